//! One measurement through a sound card, shared by `tipfit measure` and
//! sessions: play (with sync markers when asked), check the inner
//! channel for silence and clipping, put the recording on the player's
//! clock, analyse, and read the sound card's latency from a loopback
//! channel when there is one.

use super::capture::Recorder;
use super::device::{DeviceRig, Playback};
use super::Recording;
use crate::analysis::drift::METHOD_MARKERS;
use crate::analysis::{
    AnalysisConfig, Analyzer, ClockCheck, ClockInfo, FrequencyResponse, Measurement,
};
use crate::calibration::Calibration;
use crate::dsp::sync::{measure_and_correct, with_markers_spec, MarkerSpec};
use crate::formats::miccal::MicCal;
use crate::signal::Stimulus;
use anyhow::{bail, Context, Result};

/// How a device measurement is made.
///
/// The rig is a sound card, or anything else that streams
/// ([`Recorder`]): the simulated rig with injected faults goes through the
/// same steps (`crate::rig::faults`).
#[derive(Debug)]
pub struct DeviceSetup<R: Recorder = DeviceRig> {
    /// The open rig.
    pub rig: R,
    /// Input channel of the coupler or probe mic (1-based).
    pub inner_channel: u16,
    /// Input channel of a loopback cable from the driver output, if any.
    pub loopback_channel: Option<u16>,
    /// Play sync markers and correct the clock drift.
    pub sync: bool,
    /// Peak level of the markers, dBFS.
    pub level_dbfs: f64,
}

/// What a device measurement gave.
#[derive(Debug, Clone)]
pub struct DeviceResult {
    /// The analysed measurement (latency: the path, the lead removed).
    pub measurement: Measurement,
    /// Every input channel as recorded.
    pub recording: Recording,
    /// The clock drift measured by the markers, ppm.
    pub clock_ppm: Option<f64>,
    /// The sound card's latency from the loopback channel, s.
    pub card_latency_s: Option<f64>,
}

/// Input channel `channel` (1-based, from option `flag`) of a recording,
/// refused when it is silent (muted mic, wrong channel) or clipping.
pub fn checked_channel<'a>(
    rec: &'a Recording,
    channel: u16,
    flag: &str,
    input: &str,
) -> Result<&'a [f32]> {
    let x = rec
        .channels
        .get((channel as usize).saturating_sub(1))
        .with_context(|| {
            format!(
                "{flag} {channel}: the input '{input}' recorded {} channel(s)",
                rec.channels.len()
            )
        })?;
    let peak = x.iter().fold(0f32, |m, v| m.max(v.abs()));
    if peak < crate::dsp::from_db(-90.0) as f32 {
        bail!(
            "no signal on input channel {channel} of '{input}' (silence, peak {:.0} dBFS): is the mic unmuted and connected, is {flag} right, does the output reach the IEM?",
            crate::dsp::db(peak as f64).max(-200.0)
        );
    }
    let clipped = x.iter().filter(|v| v.abs() >= 0.999).count();
    if clipped > 3 {
        bail!(
            "input channel {channel} of '{input}' is clipping ({clipped} samples at full scale): turn the input gain down or lower --level"
        );
    }
    Ok(x)
}

/// Add the stored calibration to `cfg`'s corrections (the sound card's
/// response when measured at `rate`, the SPL offset); returns one line per
/// item saying what was applied or why not.
pub fn apply_calibration(cal: &Calibration, rate: u32, cfg: &mut AnalysisConfig) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(lc) = cal.loopback_correction(rate) {
        cfg.corrections.push(lc);
        lines.push("sound-card response subtracted (calibrate loopback)".to_string());
    } else if cal.loopback.is_some() {
        lines.push(format!(
            "the sound-card calibration was made at another rate: not applied (run `tipfit calibrate loopback --rate {rate}`)"
        ));
    }
    if let Some(spl) = &cal.spl {
        cfg.corrections.push(MicCal {
            freq_hz: vec![1.0, 1e5],
            gain_db: vec![-spl.offset_db; 2],
            phase_deg: None,
            sens_factor_db: None,
            serial: None,
        });
        lines.push(format!(
            "levels in dB SPL for a 0 dBFS RMS drive (0 dBFS RMS = {:.1} dB SPL)",
            spl.offset_db
        ));
    }
    lines
}

impl<R: Recorder> DeviceSetup<R> {
    /// Play `stimulus` on the driver channel and analyse the inner channel.
    pub fn measure(
        &mut self,
        stimulus: &Stimulus,
        analyzer: &Analyzer,
        reference: Option<&FrequencyResponse>,
        cfg: &AnalysisConfig,
    ) -> Result<DeviceResult> {
        let marked = self.sync.then(|| {
            with_markers_spec(
                stimulus,
                &MarkerSpec {
                    level_dbfs: self.level_dbfs.min(-12.0),
                    gap_s: 0.5,
                    trail_s: 0.5,
                    ..MarkerSpec::default()
                },
            )
        });
        let played: &Stimulus = marked.as_ref().map_or(stimulus, |m| &m.stimulus);
        let rec = self.rig.play_and_record_all(
            &Playback {
                driver: played.samples.clone(),
                ..Playback::default()
            },
            played.rate,
        )?;
        let input = self.rig.names().0;
        let inner = checked_channel(&rec, self.inner_channel, "--inner-channel", &input)?;
        let mut clock_ppm = None;
        let corrected;
        let marked_cfg;
        let (inner, cfg): (&[f32], &AnalysisConfig) = match &marked {
            Some(m) => {
                let c = measure_and_correct(inner, m)
                    .with_context(|| format!("{}: clock sync", self.rig.describe()))?;
                clock_ppm = Some(c.estimate.ppm);
                corrected = c.samples;
                // the markers corrected the drift: reported, not estimated again
                marked_cfg = AnalysisConfig {
                    clock: ClockCheck::Known(ClockInfo {
                        clock_ppm: c.estimate.ppm,
                        method: METHOD_MARKERS.into(),
                        corrected: true,
                        uncertainty_ppm: None,
                    }),
                    ..cfg.clone()
                };
                (&corrected, &marked_cfg)
            }
            None => (inner, cfg),
        };
        let mut m = analyzer
            .analyse(inner, rec.rate, stimulus, reference, cfg)
            .with_context(|| {
                format!(
                    "{}: the measurement cannot be analysed",
                    self.rig.describe()
                )
            })?;
        m.latency_s -= rec.lead_s;
        let mut card_latency_s = None;
        if let Some(ch) = self.loopback_channel {
            let lb = checked_channel(&rec, ch, "--loopback-channel", &input)?;
            // the loopback gives the latency only: its clock is not checked
            let lb_cfg = AnalysisConfig {
                corrections: Vec::new(),
                clock: ClockCheck::Off,
                ..cfg.clone()
            };
            let l = analyzer
                .analyse(lb, rec.rate, played, None, &lb_cfg)
                .with_context(|| format!("{}: the loopback channel {ch}", self.rig.describe()))?;
            card_latency_s = Some(l.latency_s - rec.lead_s);
        }
        Ok(DeviceResult {
            measurement: m,
            recording: rec,
            clock_ppm,
            card_latency_s,
        })
    }
}
