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

use super::device::Playback;
use super::Recording;
use anyhow::{bail, Result};

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
/// Level on both sides of a run of zeros that makes it a cut, not a pause.
pub const GAP_EDGE_LEVEL: f32 = 1e-3;

/// The error text of a device that disappeared during a measurement.
pub fn device_lost(describe: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "{describe}: a device disappeared during the measurement (unplugged?); nothing was saved from this measurement"
    )
}

/// A gap in a channel: `(start, length)` of the first run of at least
/// [`GAP_MIN_SAMPLES`] exact zeros with signal on both sides (the sample
/// before and the one after at or above [`GAP_EDGE_LEVEL`]). Silence that
/// fades in and out (a pause in the stimulus) is not a gap.
pub fn find_gap(x: &[f32]) -> Option<(usize, usize)> {
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
        let len = i - start;
        if len >= GAP_MIN_SAMPLES
            && start > 0
            && i < x.len()
            && x[start - 1].abs() >= GAP_EDGE_LEVEL
            && x[i].abs() >= GAP_EDGE_LEVEL
        {
            return Some((start, len));
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
        // leading and trailing zeros (pre-roll, a digital loopback) and a
        // faded pause are not gaps
        let mut y = vec![0f32; 500];
        y.extend((0..500).map(|i| 0.5 * (i as f32 * 0.1).sin() * (1.0 - i as f32 / 500.0)));
        y.extend(vec![0f32; 300]);
        y.extend((0..500).map(|i| 0.5 * (i as f32 * 0.1 + 0.3).sin() * (i as f32 / 500.0)));
        y.extend(vec![0f32; 500]);
        assert_eq!(find_gap(&y), None);
        // short runs are zero crossings, not gaps
        let mut z: Vec<f32> = vec![0.5; 200];
        z[100..120].fill(0.0);
        assert_eq!(find_gap(&z), None);
    }
}
