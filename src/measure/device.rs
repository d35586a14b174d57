//! Before a sound card plays: the stored calibration, level safety (the
//! question goes through [`Confirm`]), opening the rig; after it recorded:
//! the input channel checks.

use super::plan::{DevicePlan, SyncMode};
use crate::analysis::AnalysisConfig;
use crate::calibration::Calibration;
use crate::formats::miccal::MicCal;
use crate::interrupt::StopToken;
use crate::rig::capture::Recorder;
use crate::rig::channel::Channel;
use crate::rig::device::{DeviceChoice, DeviceOptions, DeviceRig};
use crate::rig::Recording;
use anyhow::{bail, Context, Result};
use std::path::PathBuf;

/// Where a question about a loud level goes (a person at a terminal, or
/// nobody).
pub trait Confirm {
    /// Ask `question` (a yes/no question); `None` when nobody can be asked.
    fn confirm(&mut self, question: &str) -> Option<bool>;
}

/// Nobody to ask: a level that needs confirming is refused.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoOneToAsk;

impl Confirm for NoOneToAsk {
    fn confirm(&mut self, _: &str) -> Option<bool> {
        None
    }
}

/// The stored calibration (empty when the plan ignores it) and its file.
pub fn stored_calibration(plan: &DevicePlan) -> Result<(Calibration, PathBuf)> {
    let (cal, path) = Calibration::load()?;
    if plan.no_cal {
        return Ok((Calibration::default(), path));
    }
    Ok((cal, path))
}

/// Level safety before anything plays: `level` must not exceed the
/// ceiling; above the plan's confirm level `confirm` is asked, unless the
/// plan says loud is fine. Returns the ceiling, dBFS.
pub fn check_level(
    plan: &DevicePlan,
    level: f64,
    cal: &Calibration,
    confirm: &mut dyn Confirm,
) -> Result<f64> {
    let ceiling = plan.max_level_dbfs.unwrap_or_else(|| cal.max_level_dbfs());
    if !(-60.0..=0.0).contains(&ceiling) {
        bail!("--max-level {ceiling}: give -60 to 0 dBFS");
    }
    if !(-100.0..=0.0).contains(&level) {
        bail!("--level {level}: give -100 to 0 dBFS");
    }
    if level > ceiling {
        bail!(
            "--level {level} dBFS is above the output ceiling of {ceiling} dBFS; lower --level (or raise --max-level, knowing a probe mic may be in someone's ear)"
        );
    }
    if level > plan.confirm_above_dbfs && !plan.loud_ok {
        let question = format!(
            "About to play at {level} dBFS peak (above {} dBFS). Is the volume safe for whoever wears the IEM? [y/N]",
            plan.confirm_above_dbfs
        );
        match confirm.confirm(&question) {
            None => bail!(
                "--level {level} dBFS is above {} dBFS: pass --loud-ok to play it without a question",
                plan.confirm_above_dbfs
            ),
            Some(false) => bail!("not played: the level was not confirmed"),
            Some(true) => {}
        }
    }
    Ok(ceiling)
}

/// Open the sound card the plan names, reading `input_channels`, and
/// check before anything plays that both devices can run at `rate`.
pub fn open_rig(
    plan: &DevicePlan,
    ceiling: f64,
    input_channels: &[Channel],
    rate: u32,
    stop: StopToken,
) -> Result<DeviceRig> {
    let opts = DeviceOptions {
        host: plan.host.clone(),
        input: DeviceChoice::from_option(plan.input.as_deref()),
        output: DeviceChoice::from_option(plan.output.as_deref()),
        driver_channel: plan.driver_channel.get(),
        ambient_channel: plan.ambient_channel.map(Channel::get),
        second_driver_channel: plan.right_ear().map(|(d, _)| d.get()),
        input_channels: input_channels.iter().map(|c| c.get()).collect(),
        max_level_dbfs: ceiling,
        ..DeviceOptions::default()
    };
    let rig = DeviceRig::open_with_stop(opts, stop)?;
    rig.check(rate)?;
    Ok(rig)
}

/// Whether to play sync markers on `rig`.
pub fn use_markers(sync: SyncMode, rig: &impl Recorder) -> bool {
    match sync {
        SyncMode::On => true,
        SyncMode::Off => false,
        SyncMode::Auto => rig.separate_clocks(),
    }
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

/// Input channel `channel` (from option `flag`) of a recording from the
/// input device `input`, refused when it is missing, silent (muted mic,
/// wrong channel) or clipping.
pub fn checked_channel<'a>(
    rec: &'a Recording,
    channel: Channel,
    flag: &str,
    input: &str,
) -> Result<&'a [f32]> {
    let x = rec.channels.get(channel.index()).with_context(|| {
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

#[cfg(test)]
mod tests {
    use super::*;

    struct Answer(Option<bool>, usize);

    impl Confirm for Answer {
        fn confirm(&mut self, question: &str) -> Option<bool> {
            assert!(question.contains("-10 dBFS peak"), "{question}");
            self.1 += 1;
            self.0
        }
    }

    #[test]
    fn a_loud_level_is_asked_through_confirm() {
        let cal = Calibration::default();
        let plan = DevicePlan::default();
        let mut a = Answer(Some(true), 0);
        assert_eq!(check_level(&plan, -20.0, &cal, &mut a).unwrap(), -6.0);
        assert_eq!(a.1, 0, "quiet enough: not asked");
        assert_eq!(check_level(&plan, -10.0, &cal, &mut a).unwrap(), -6.0);
        assert_eq!(a.1, 1);
        let e = |a: &mut dyn Confirm| check_level(&plan, -10.0, &cal, a).unwrap_err().to_string();
        assert!(e(&mut Answer(Some(false), 0)).contains("not confirmed"));
        assert!(e(&mut NoOneToAsk).contains("pass --loud-ok"));
        let loud = DevicePlan {
            loud_ok: true,
            ..DevicePlan::default()
        };
        assert!(check_level(&loud, -10.0, &cal, &mut NoOneToAsk).is_ok());
        let e = check_level(&plan, -3.0, &cal, &mut NoOneToAsk).unwrap_err();
        assert!(e.to_string().contains("above the output ceiling of -6"));
    }

    #[test]
    fn a_missing_silent_or_clipping_channel_is_refused() {
        let rec = |x: Vec<f32>| Recording {
            channels: vec![x],
            rate: 48_000,
            lead_s: 0.0,
        };
        let e = |x: Vec<f32>, ch: u16| {
            let r = rec(x);
            let c = Channel::new(ch).unwrap();
            checked_channel(&r, c, "--inner-channel", "mic")
                .unwrap_err()
                .to_string()
        };
        let want = "--inner-channel 2: the input 'mic' recorded 1 channel(s)";
        assert!(e(vec![0.1; 10], 2).contains(want));
        assert!(e(vec![0.0; 10], 1).contains("no signal on input channel 1 of 'mic'"));
        assert!(e(vec![1.0; 10], 1).contains("is clipping (10 samples"));
        assert!(checked_channel(
            &rec(vec![0.1; 10]),
            Channel::FIRST,
            "--inner-channel",
            "mic"
        )
        .is_ok());
    }
}
