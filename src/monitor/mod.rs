//! The live seal meter (`tipfit monitor`).
//!
//! The monitor loops one period of a periodic multitone (the quick check's
//! tones, 20 Hz to about 1.2 kHz, on a 10 Hz grid: a 0.1 s period) at a low
//! level, and reads the recording in hops of `rate / updates` samples. After
//! each hop it analyses the latest period of the recording
//! ([`FrameAnalyser`]: tone levels, seal metrics and verdict, as `tipfit
//! measure --quick`) and emits an [`Update`]. A change of fit therefore shows
//! within one period plus one hop (0.2 s at the defaults) of reaching the
//! microphone. Nothing is shown until one period plus a settling time has
//! been recorded (the first update is at 0.2 s).
//!
//! Sources: [`sim::SimMonitorSource`] (the simulated ear with a fit that
//! changes over time, [`schedule::Schedule`]) and the sound card
//! ([`device::DeviceMonitorSource`], on a [`crate::rig::device::DeviceRig`]).

pub mod analyser;
pub mod device;
pub mod schedule;
pub mod sim;

pub use analyser::{FrameAnalyser, Update};
pub use device::DeviceMonitorSource;
pub use schedule::{Schedule, ScheduleError, ScheduledFit};
pub use sim::{SimMonitorConfig, SimMonitorSource};

use crate::analysis::seal::Verdict;
use crate::signal::MultitoneParams;
use anyhow::{bail, Result};

/// Where the monitor's audio comes from: the sim or a sound card.
pub trait MonitorSource {
    /// Sample rate of the recording, Hz.
    fn rate(&self) -> u32;
    /// Start looping `period` (one period of the multitone, at its play
    /// level) on the driver and recording the inner microphone.
    fn start(&mut self, period: &[f32]) -> anyhow::Result<()>;
    /// Append the next `n` recorded samples to `out`, waiting until they are there.
    fn read(&mut self, n: usize, out: &mut Vec<f32>) -> anyhow::Result<()>;
    /// Stop the output at once (first thing on Ctrl-C, and at the end).
    fn stop(&mut self);
    /// A short description for the display and JSON.
    fn describe(&self) -> String;
}

/// Spacing of the monitor's tones and inverse of its period, Hz (0.1 s).
pub const RESOLUTION_HZ: f64 = 10.0;
/// Recording skipped before the first full window (latency, settling), s.
pub const SETTLE_S: f64 = 0.1;

/// The monitor's multitone at `rate` with peak `level_dbfs`.
pub fn multitone_params(rate: u32, level_dbfs: f64) -> MultitoneParams {
    MultitoneParams {
        resolution_hz: RESOLUTION_HZ,
        rate,
        level_dbfs,
        duration_s: 1.0 / RESOLUTION_HZ,
        ..MultitoneParams::default()
    }
}

/// The monitor's multitone and one period of it (at its play level).
pub fn multitone(rate: u32, level_dbfs: f64) -> Result<(MultitoneParams, Vec<f32>)> {
    let params = multitone_params(rate, level_dbfs);
    let mut samples = params.generate()?.samples;
    samples.truncate(params.frame_len());
    Ok((params, samples))
}

/// How the loop runs.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorSettings {
    /// Updates per second (1 to 50).
    pub updates_per_s: f64,
    /// Recording skipped before the first full window, s.
    pub settle_s: f64,
    /// Stop after this much recording, s (`None`: until stopped).
    pub duration_s: Option<f64>,
}

impl Default for MonitorSettings {
    fn default() -> Self {
        Self {
            updates_per_s: 10.0,
            settle_s: SETTLE_S,
            duration_s: Some(10.0),
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Updates emitted.
    pub updates: usize,
    /// Seconds recorded.
    pub recorded_s: f64,
    /// The best verdict shown.
    pub best: Option<Verdict>,
    /// When the first good verdict was shown, s.
    pub first_good_s: Option<f64>,
    /// The run stopped because `stop` said so (Ctrl-C).
    pub interrupted: bool,
}

/// Rank of a verdict, higher is better.
pub fn verdict_rank(v: Verdict) -> u8 {
    match v {
        Verdict::Good => 3,
        Verdict::Fair => 2,
        Verdict::Poor => 1,
        Verdict::NoSeal => 0,
    }
}

/// Run the meter: start `source` looping `period`, read hops, analyse the
/// latest period after each and hand every update to `emit`, until the
/// duration is recorded or `stop()` is true. The source is stopped before
/// this returns, also on errors (an error of `emit` ends the run too).
pub fn run(
    source: &mut dyn MonitorSource,
    period: &[f32],
    analyser: &mut FrameAnalyser,
    settings: &MonitorSettings,
    stop: &dyn Fn() -> bool,
    emit: &mut dyn FnMut(&Update) -> Result<()>,
) -> Result<Summary> {
    let rate = source.rate();
    if !(settings.updates_per_s.is_finite() && (1.0..=50.0).contains(&settings.updates_per_s)) {
        bail!(
            "--updates {}: give 1 to 50 updates per second",
            settings.updates_per_s
        );
    }
    if let Some(d) = settings.duration_s {
        if !(d.is_finite() && d > 0.0) {
            bail!("--duration {d}: give a positive number of seconds");
        }
    }
    if period.len() != analyser.window_len() {
        bail!(
            "the period has {} samples but the analyser's window {}",
            period.len(),
            analyser.window_len()
        );
    }
    source.start(period)?;
    let result = run_started(source, analyser, settings, rate, stop, emit);
    source.stop();
    result
}

fn run_started(
    source: &mut dyn MonitorSource,
    analyser: &mut FrameAnalyser,
    settings: &MonitorSettings,
    rate: u32,
    stop: &dyn Fn() -> bool,
    emit: &mut dyn FnMut(&Update) -> Result<()>,
) -> Result<Summary> {
    let r = rate as f64;
    let n = analyser.window_len();
    let hop = ((r / settings.updates_per_s).round() as usize).max(1);
    let warmup = (n + (settings.settle_s.max(0.0) * r).round() as usize) as u64;
    let total = settings.duration_s.map(|d| (d * r).round() as u64);
    let mut window = vec![0.0f32; n];
    let mut block: Vec<f32> = Vec::with_capacity(hop);
    let mut read: u64 = 0;
    let mut summary = Summary {
        updates: 0,
        recorded_s: 0.0,
        best: None,
        first_good_s: None,
        interrupted: false,
    };
    loop {
        if stop() {
            summary.interrupted = true;
            break;
        }
        let want = match total {
            Some(t) => (t.saturating_sub(read)).min(hop as u64) as usize,
            None => hop,
        };
        if want == 0 {
            break;
        }
        block.clear();
        source.read(want, &mut block)?;
        if block.len() != want {
            bail!(
                "{}: asked for {want} samples, got {}",
                source.describe(),
                block.len()
            );
        }
        if want >= n {
            window.copy_from_slice(&block[want - n..]);
        } else {
            window.copy_within(want.., 0);
            window[n - want..].copy_from_slice(&block);
        }
        read += want as u64;
        summary.recorded_s = read as f64 / r;
        if read < warmup {
            continue;
        }
        let update = analyser.analyse(&window, summary.recorded_s);
        summary.updates += 1;
        if let Some(v) = update.verdict {
            if summary
                .best
                .is_none_or(|b| verdict_rank(v) > verdict_rank(b))
            {
                summary.best = Some(v);
            }
            if v == Verdict::Good && summary.first_good_s.is_none() {
                summary.first_good_s = Some(update.t_s);
            }
        }
        emit(&update)?;
    }
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::seal::SealConfig;
    use crate::dsp::fft::FftCache;

    fn analyser(rate: u32) -> (MultitoneParams, Vec<f32>, FrameAnalyser) {
        let (p, period) = multitone(rate, -20.0).unwrap();
        let a =
            FrameAnalyser::new(&p, &period, None, SealConfig::default(), &FftCache::new()).unwrap();
        (p, period, a)
    }

    #[test]
    fn the_period_is_0_1_s_with_tones_in_both_bands() {
        for rate in [44_100, 48_000, 96_000] {
            let (p, period, a) = analyser(rate);
            assert_eq!(period.len(), rate as usize / 10);
            let t = a.tones_hz();
            assert_eq!(t, p.tones_hz().as_slice());
            assert!(t.iter().filter(|f| **f <= 100.0).count() >= 4, "{t:?}");
            assert!(t.iter().filter(|f| (300.0..=1000.0).contains(*f)).count() >= 2);
            let peak = period.iter().fold(0f32, |m, v| m.max(v.abs()));
            assert!((crate::dsp::db(peak as f64) + 20.0).abs() < 0.01);
        }
    }

    #[test]
    fn the_period_itself_is_flat_and_good_at_any_offset() {
        let (_, period, mut a) = analyser(48_000);
        let mut looped = period.clone();
        looped.extend_from_slice(&period);
        for offset in [0, 1, 1234, 4799] {
            let u = a.analyse(&looped[offset..offset + period.len()], 1.0);
            assert_eq!(u.verdict, Some(Verdict::Good));
            assert!(u.bass_db.unwrap().abs() < 1e-6, "{u:?}");
            assert!(u.snr_db > 100.0, "{u:?}");
            assert!(!u.silent && !u.clipped && u.message.is_none());
        }
    }

    #[test]
    fn zeros_are_silent_and_full_scale_clips() {
        let (_, period, mut a) = analyser(48_000);
        let u = a.analyse(&vec![0.0; period.len()], 0.5);
        assert!(u.silent);
        assert_eq!(u.verdict, None);
        assert_eq!(u.message, Some(analyser::SILENT_MESSAGE));
        let loud: Vec<f32> = period
            .iter()
            .map(|v| (v * 100.0).clamp(-1.0, 1.0))
            .collect();
        let u = a.analyse(&loud, 0.5);
        assert!(u.clipped && !u.silent);
        assert_eq!(u.message, Some(analyser::CLIPPED_MESSAGE));
    }
}
