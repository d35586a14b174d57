//! Measuring one fit of a session on a rig (the simulated ear or a sound
//! card): the seal sweep, the quick multitone and the isolation noise, as
//! the config asks, into a [`FitRecord`] plus the raw seal recording.

use super::config::{RigChoice, SessionConfig};
use super::model::{FitRecord, TipSpec, SCHEMA_VERSION};
use crate::analysis::isolation::{insertion_loss, Isolation};
use crate::analysis::{AnalysisConfig, Analyzer, FrequencyResponse, Measurement};
use crate::rig::device_measure::{apply_calibration, DeviceSetup};
use crate::rig::outside::OutsideNoise;
use crate::rig::sim::{Fit, NoiseLevel, SimConfig, SimRig, TipPreset};
use crate::rig::{Recording, Rig};
use crate::signal::{MultitoneParams, Stimulus, SweepParams};
use anyhow::{Context, Result};
use serde_json::json;
use std::sync::Mutex;

/// Measures fits for one session (stimuli and FFT plans are made once).
#[derive(Debug)]
pub struct FitMeasurer {
    cfg: SessionConfig,
    analysis: AnalysisConfig,
    analyzer: Analyzer,
    sweep: Stimulus,
    multitone: Option<Stimulus>,
    device: Option<Mutex<DeviceSetup>>,
    calibration: Vec<String>,
    /// Faults injected into the sim (`TIPFIT_SIM_FAULT`), from the n-th
    /// fit this process measures.
    sim_faults: Option<(Vec<crate::rig::faults::Fault>, usize)>,
    /// Fits this process has measured.
    measured: std::sync::atomic::AtomicUsize,
}

/// Fault injection for sessions on the sim (a test hook, like
/// `TIPFIT_FAIL_WRITE`): `TIPFIT_SIM_FAULT="lost@3"` makes the sim stream
/// like a sound card with the faults (comma-separated, as `measure --fault`
/// takes them) from the 3rd fit this process measures on (default 1).
fn sim_faults_from_env() -> Result<Option<(Vec<crate::rig::faults::Fault>, usize)>> {
    let Ok(v) = std::env::var("TIPFIT_SIM_FAULT") else {
        return Ok(None);
    };
    let (list, from) = match v.rsplit_once('@') {
        Some((l, n)) => (
            l,
            n.trim()
                .parse::<usize>()
                .ok()
                .filter(|n| *n >= 1)
                .with_context(|| {
                    format!("TIPFIT_SIM_FAULT={v}: '@{n}' is not a fit number (1, 2, ...)")
                })?,
        ),
        None => (v.as_str(), 1),
    };
    let faults = list
        .split(',')
        .map(|f| {
            f.parse()
                .map_err(|e: String| anyhow::anyhow!("TIPFIT_SIM_FAULT={v}: {e}"))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Some((faults, from)))
}

/// One measured fit: the record and the seal recording.
#[derive(Debug, Clone)]
pub struct MeasuredFit {
    /// What is stored as JSON.
    pub record: FitRecord,
    /// The raw recording of the seal sweep (or the quick check).
    pub recording: Option<Recording>,
}

/// The insertion seed of fit `fit` (attempt `attempt`) of tip number `tip`:
/// every fit and every redo draws a new, reproducible insertion.
pub fn fit_seed(session_seed: u64, tip: usize, fit: usize, attempt: usize) -> u64 {
    let mut x = session_seed
        ^ (tip as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (fit as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
        ^ (attempt as u64).wrapping_mul(0x1656_67B1_9E37_79F9);
    // splitmix64 finalizer
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

impl FitMeasurer {
    /// Prepare the stimuli of `cfg`.
    pub fn new(cfg: &SessionConfig) -> Result<Self> {
        let s = &cfg.signal;
        let device = cfg.rig == RigChoice::Device;
        let level = match device {
            true => cfg.device.level_dbfs,
            false => s.sweep_level_dbfs,
        };
        let sweep = SweepParams {
            duration_s: s.sweep_duration_s,
            level_dbfs: level,
            ..SweepParams::at_rate(s.rate)
        }
        .generate()
        .context("[signal]: cannot make the sweep")?;
        let multitone = cfg
            .measurements
            .quick
            .then(|| {
                MultitoneParams {
                    rate: s.rate,
                    duration_s: crate::analysis::quick::QUICK_DURATION_S,
                    level_dbfs: if device {
                        level
                    } else {
                        MultitoneParams::default().level_dbfs
                    },
                    ..MultitoneParams::default()
                }
                .generate()
            })
            .transpose()
            .context("[signal]: cannot make the multitone")?;
        let mut analysis = cfg.analysis();
        let mut calibration = Vec::new();
        let setup = match device {
            false => None,
            true => {
                use crate::commands::device_common::{
                    calibration as stored, check_level, open_rig, use_sync,
                };
                let args = cfg.device.to_args()?;
                if args.sync == crate::cli::SyncMode::Off {
                    // no markers, and no drift estimated from the recording
                    analysis.clock = crate::analysis::ClockCheck::Off;
                }
                if let Some(path) = &cfg.device.mic_cal {
                    analysis
                        .corrections
                        .push(crate::formats::miccal::read(path)?);
                    calibration.push(format!(
                        "microphone calibration {} subtracted",
                        path.display()
                    ));
                }
                let (cal, _) = stored(&args)?;
                let ceiling = check_level(&args, args.level, &cal)?;
                calibration.extend(apply_calibration(&cal, s.rate, &mut analysis));
                let mut channels = vec![args.inner_channel];
                channels.extend(args.outer_channel);
                channels.extend(args.loopback_channel);
                let rig = open_rig(&args, ceiling, channels, s.rate)?;
                rig.check(s.rate)?;
                Some(Mutex::new(DeviceSetup {
                    sync: use_sync(&args, &rig),
                    rig,
                    inner_channel: args.inner_channel,
                    loopback_channel: args.loopback_channel,
                    level_dbfs: args.level,
                }))
            }
        };
        Ok(Self {
            cfg: cfg.clone(),
            analysis,
            analyzer: Analyzer::new(),
            sweep,
            multitone,
            device: setup,
            calibration,
            sim_faults: sim_faults_from_env()?,
            measured: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    /// The sound card of a device session.
    fn device_setup(&self) -> std::sync::MutexGuard<'_, DeviceSetup> {
        self.device
            .as_ref()
            .expect("a device session")
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Play `stim` on the sound card and analyse it.
    fn device_measure(
        &self,
        stim: &Stimulus,
        reference: Option<&FrequencyResponse>,
    ) -> Result<(Measurement, Recording, serde_json::Value)> {
        let mut setup = self.device_setup();
        let r = setup.measure(stim, &self.analyzer, reference, &self.analysis)?;
        let doc = json!({
            "kind": "device",
            "description": setup.rig.describe(),
            "clock_ppm": r.clock_ppm,
            "sound_card_latency_s": r.card_latency_s,
            "level_dbfs": self.cfg.device.level_dbfs,
            "calibration": self.calibration,
        });
        Ok((r.measurement, r.recording, doc))
    }

    /// Isolation on the sound card: pink noise on the outside speaker,
    /// inner and outer mics at once (noise reduction).
    fn device_isolation(&self) -> Result<Isolation> {
        use crate::rig::device::Playback;
        use crate::rig::device_measure::checked_channel;
        let s = &self.cfg.signal;
        let d = &self.cfg.device;
        let noise = crate::signal::NoiseParams {
            colour: crate::signal::NoiseColour::Pink,
            duration_s: s.isolation_duration_s,
            rate: s.rate,
            level_dbfs: d.level_dbfs - 10.0,
            seed: 1,
            period: None,
        }
        .generate()?;
        let mut setup = self.device_setup();
        let rec = setup.rig.play_and_record_all(
            &Playback {
                ambient: noise.samples,
                ..Playback::default()
            },
            s.rate,
        )?;
        let input = setup.rig.names().0;
        let f64s = |x: &[f32]| -> Vec<f64> { x.iter().map(|&v| v as f64).collect() };
        let inner = checked_channel(&rec, d.inner_channel, "inner_channel", &input)?;
        let outer = checked_channel(&rec, d.outer_channel.unwrap_or(2), "outer_channel", &input)?;
        Ok(crate::analysis::isolation::noise_reduction(
            &f64s(outer),
            &f64s(inner),
            s.rate,
            self.analyzer.fft(),
        )?)
    }

    fn rig(&self, fit: Fit, seed: u64) -> SimRig {
        let config = SimConfig {
            fit,
            noise: Some(NoiseLevel::BelowSignal(self.cfg.sim.snr_db)),
            ..SimConfig::default()
        };
        SimRig::new(config, seed)
    }

    /// Measure the IEM sealed (the reference): its response and recording.
    pub fn measure_reference(&self) -> Result<(Measurement, Recording)> {
        if self.device.is_some() {
            let (m, rec, _) = self
                .device_measure(&self.sweep, None)
                .context("the sealed reference")?;
            return Ok((m, rec));
        }
        let mut rig = self.rig(Fit::Sealed, fit_seed(self.cfg.sim.seed, 0, 0, 0));
        let rec = rig.play_and_record(&self.sweep)?;
        let m = self
            .analyzer
            .analyse(
                &rec.channels[0],
                rec.rate,
                &self.sweep,
                None,
                &self.analysis,
            )
            .with_context(|| format!("{}: the reference cannot be analysed", rig.describe()))?;
        Ok((m, rec))
    }

    /// Measure fit `fit` (1-based) of tip number `tip_index`.
    pub fn measure(
        &self,
        tip: &TipSpec,
        tip_index: usize,
        fit: usize,
        attempt: usize,
        reference: Option<&FrequencyResponse>,
    ) -> Result<MeasuredFit> {
        if self.device.is_some() {
            return self.measure_device(tip, fit, attempt, reference);
        }
        let preset = tip.preset.unwrap_or(TipPreset::SiliconeM);
        let seed = fit_seed(self.cfg.sim.seed, tip_index + 1, fit, attempt);
        let mut rig = self.rig(Fit::Preset(preset), seed);
        let described = rig.describe();
        let what = || format!("tip '{}' fit {fit} ({described})", tip.name);
        let mut recording = None;
        let nth = 1 + self
            .measured
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let faults = self
            .sim_faults
            .as_ref()
            .filter(|(_, from)| nth >= *from)
            .map(|(f, _)| f.clone());
        let mut play = |stim: &Stimulus| -> Result<Measurement> {
            let rec = match &faults {
                None => rig.play_and_record(stim)?,
                Some(f) => {
                    use crate::rig::capture::Recorder;
                    let mut r = crate::rig::faults::SimRecorder::new(rig.clone(), f.clone());
                    r.max_level_dbfs = 0.0;
                    let play = crate::rig::device::Playback {
                        driver: stim.samples.clone(),
                        ..Default::default()
                    };
                    let mut rec = r.play_and_record_all(&play, stim.rate)?;
                    rig.noise_seed = r.sim.noise_seed;
                    rec.channels.truncate(1);
                    rec
                }
            };
            let mut m = self
                .analyzer
                .analyse(&rec.channels[0], rec.rate, stim, reference, &self.analysis)
                .with_context(what)?;
            m.latency_s -= rec.lead_s;
            recording.get_or_insert(rec);
            Ok(m)
        };
        let seal = match self.cfg.measurements.seal {
            true => Some(play(&self.sweep)?),
            false => None,
        };
        let quick = self.multitone.as_ref().map(&mut play).transpose()?;
        let isolation = if self.cfg.measurements.isolation {
            Some(self.isolation(&mut rig).with_context(what)?)
        } else {
            None
        };
        let leak = rig.leak();
        let record = FitRecord {
            schema_version: SCHEMA_VERSION,
            tip: tip.name.clone(),
            fit,
            seal,
            quick,
            isolation,
            recording: recording.as_ref().map(|_| format!("fit-{fit}.wav")),
            rig: Some(json!({
                "kind": "sim",
                "description": rig.describe(),
                "preset": preset.name(),
                "seed": seed,
                "truth": {
                    "leak_f0_hz": leak.map(|l| l.f0_hz),
                    "leak_zeta": leak.map(|l| l.zeta),
                    "leak_corner_hz": leak.map(|l| l.corner_hz()),
                }
            })),
            skipped: false,
            attempts: attempt,
            source: None,
        };
        Ok(MeasuredFit { record, recording })
    }

    fn measure_device(
        &self,
        tip: &TipSpec,
        fit: usize,
        attempt: usize,
        reference: Option<&FrequencyResponse>,
    ) -> Result<MeasuredFit> {
        let what = || format!("tip '{}' fit {fit}", tip.name);
        let mut recording = None;
        let mut rig_doc = serde_json::Value::Null;
        let mut play = |stim: &Stimulus| -> Result<Measurement> {
            let (m, rec, doc) = self.device_measure(stim, reference).with_context(what)?;
            recording.get_or_insert(rec);
            rig_doc = doc;
            Ok(m)
        };
        let seal = match self.cfg.measurements.seal {
            true => Some(play(&self.sweep)?),
            false => None,
        };
        let quick = self.multitone.as_ref().map(&mut play).transpose()?;
        let isolation = match self.cfg.measurements.isolation {
            true => Some(self.device_isolation().with_context(what)?),
            false => None,
        };
        let record = FitRecord {
            schema_version: SCHEMA_VERSION,
            tip: tip.name.clone(),
            fit,
            seal,
            quick,
            isolation,
            recording: recording.as_ref().map(|_| format!("fit-{fit}.wav")),
            rig: Some(rig_doc),
            skipped: false,
            attempts: attempt,
            source: None,
        };
        Ok(MeasuredFit { record, recording })
    }

    fn isolation(&self, rig: &mut SimRig) -> Result<Isolation> {
        let s = &self.cfg.signal;
        let noise = OutsideNoise {
            level_dbfs: s.isolation_level_dbfs,
            duration_s: s.isolation_duration_s,
            ..OutsideNoise::default()
        };
        let rec = rig.record_isolation(&noise, s.rate);
        let f64s = |x: &[f32]| -> Vec<f64> { x.iter().map(|&v| v as f64).collect() };
        Ok(insertion_loss(
            &f64s(&rec.open),
            &f64s(&rec.occluded),
            s.rate,
            self.analyzer.fft(),
        )?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fit_and_redo_draws_its_own_insertion() {
        let mut seen = std::collections::HashSet::new();
        for tip in 0..5 {
            for fit in 1..=5 {
                for attempt in 1..=3 {
                    assert!(seen.insert(fit_seed(1, tip, fit, attempt)));
                }
            }
        }
        assert_eq!(fit_seed(7, 1, 2, 1), fit_seed(7, 1, 2, 1));
    }
}
