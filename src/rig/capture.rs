//! What every streaming rig shares, whatever makes the samples (a sound
//! card through cpal, or the simulated rig with injected faults): one
//! attempt plays a [`Playback`] and records every input channel
//! ([`Recorder::capture`]); [`Recorder::play_and_record_all`] refuses a
//! signal above the output ceiling, retries attempts that had dropouts,
//! and refuses the measurement when every attempt had them.
//!
//! A dropout is either reported by the stream (an input overrun or a
//! stream error, counted in [`Capture`]) or found in the samples: a run of
//! exact digital zeros cut into a signal ([`find_gap`]), which is what
//! some drivers write for lost blocks.

use super::Recording;
use anyhow::{bail, Result};

/// What to play on which output channel.
#[derive(Debug, Clone, Default)]
pub struct Playback {
    /// Samples for the driver (IEM) channel.
    pub driver: Vec<f32>,
    /// Samples for the ambient (outside speaker) channel.
    pub ambient: Vec<f32>,
    /// Loop both (the monitor) instead of playing them once.
    pub looped: bool,
}

/// One attempt's recording and what went wrong in the stream.
#[derive(Debug, Clone)]
pub struct Capture {
    /// Every input channel.
    pub recording: Recording,
    /// Input blocks lost because the consumer fell behind.
    pub overruns: usize,
    /// Errors the stream reported (xruns and the like).
    pub errors: usize,
}

/// Shortest run of exact zeros counted as a dropout, samples.
pub const GAP_MIN_SAMPLES: usize = 32;

/// The error text of a device that disappeared during a measurement.
pub fn device_lost(describe: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "{describe}: a device disappeared during the measurement (unplugged?); nothing was saved from this measurement"
    )
}

/// A gap in a channel: `(start, length)` of the first run of at least
/// [`GAP_MIN_SAMPLES`] exact zeros inside a live input, with signal on both
/// sides. A live input (a microphone: its noise floor never reads exact
/// zero) is one whose first [`GAP_MIN_SAMPLES`] samples are not all zero;
/// a digital loopback, silent before the stimulus, is not checked.
pub fn find_gap(x: &[f32]) -> Option<(usize, usize)> {
    if x.len() < GAP_MIN_SAMPLES || x[..GAP_MIN_SAMPLES].iter().all(|v| *v == 0.0) {
        return None;
    }
    let mut i = 0;
    while i < x.len() {
        if x[i] != 0.0 {
            i += 1;
            continue;
        }
        let start = i;
        while i < x.len() && x[i] == 0.0 {
            i += 1;
        }
        if i - start >= GAP_MIN_SAMPLES && i < x.len() {
            return Some((start, i - start));
        }
    }
    None
}

/// Something that plays on output channels and records input channels.
pub trait Recorder: Send + std::fmt::Debug {
    /// One attempt: play `play` once at `rate` and record every input
    /// channel. An error here (a device gone, an interrupt) is final.
    fn capture(&mut self, play: &Playback, rate: u32) -> Result<Capture>;

    /// A short description for messages (`device: A -> B (ALSA)`).
    fn describe(&self) -> String;

    /// The input and output device names.
    fn names(&self) -> (String, String);

    /// Attempts before a measurement with dropouts is refused.
    fn attempts(&self) -> usize;

    /// The output ceiling, dBFS peak.
    fn max_level_dbfs(&self) -> f64;

    /// True when input and output run on different clocks.
    fn separate_clocks(&self) -> bool;

    /// Play `play` and record every input channel; attempts with dropouts
    /// (reported, or a gap of zeros in a channel) are made again, and the
    /// measurement is refused after [`Self::attempts`].
    fn play_and_record_all(&mut self, play: &Playback, rate: u32) -> Result<Recording> {
        let peak = play
            .driver
            .iter()
            .chain(&play.ambient)
            .fold(0f32, |m, v| m.max(v.abs()));
        let ceiling = crate::dsp::from_db(self.max_level_dbfs()) as f32;
        if peak > ceiling * 1.0001 {
            bail!(
                "the signal peaks at {:.1} dBFS, above the output ceiling of {:.1} dBFS (--max-level): lower --level",
                crate::dsp::db(peak as f64),
                self.max_level_dbfs()
            );
        }
        let mut last = String::new();
        for _ in 0..self.attempts().max(1) {
            let c = self.capture(play, rate)?;
            let gap = c
                .recording
                .channels
                .iter()
                .enumerate()
                .find_map(|(ch, x)| find_gap(x).map(|g| (ch, g)));
            last = match (c.overruns, c.errors, gap) {
                (0, 0, None) => return Ok(c.recording),
                (o, e, None) => format!("{o} input overrun(s), {e} stream error(s)"),
                (_, _, Some((ch, (start, len)))) => format!(
                    "{len} samples of digital silence cut into input channel {} at {:.3} s",
                    ch + 1,
                    start as f64 / c.recording.rate as f64
                ),
            };
            eprintln!("{}: dropouts ({last}); measuring again", self.describe());
        }
        bail!(
            "{}: every attempt had dropouts ({last}); the measurement is refused. Close other audio programs or use a larger buffer",
            self.describe()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_is_a_gap_a_fade_is_not() {
        let mut x: Vec<f32> = (0..4000).map(|i| (i as f32 * 0.1).sin() * 0.5).collect();
        assert_eq!(find_gap(&x), None);
        x[1000..1100].fill(0.0);
        x[999] = 0.4;
        x[1100] = 0.4;
        assert_eq!(find_gap(&x), Some((1000, 100)));
        // a gap in a quiet stretch of a live input still counts
        let mut q: Vec<f32> = (0..4000).map(|i| 1e-6 * ((i % 5) as f32 + 1.0)).collect();
        q[2000..2040].fill(0.0);
        assert_eq!(find_gap(&q), Some((2000, 40)));
        // trailing zeros (the input stopped) are not a gap
        q[2000..2040].fill(1e-6);
        q[3900..].fill(0.0);
        assert_eq!(find_gap(&q), None);
        // a digital loopback starts silent: its pauses are not gaps
        let mut y = vec![0f32; 500];
        y.extend((0..500).map(|i| 0.5 * (i as f32 * 0.1).sin()));
        y.extend(vec![0f32; 300]);
        y.extend((0..500).map(|i| 0.5 * (i as f32 * 0.1 + 0.3).sin()));
        assert_eq!(find_gap(&y), None);
        // short runs are zero crossings, not gaps
        let mut z: Vec<f32> = vec![0.5; 200];
        z[100..120].fill(0.0);
        assert_eq!(find_gap(&z), None);
    }
}
