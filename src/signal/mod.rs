//! Test signals: exponential sine sweeps, pink/white noise and multitones.
//!
//! A [`Stimulus`] carries its samples, its rate and a [`StimulusKind`] that
//! says how it was made. The kind is stored inside the WAV files tipfit writes
//! (a RIFF `LIST/INFO` comment), so `tipfit analyze` knows a tipfit sweep when
//! it sees one and can use its analytic inverse and separate its harmonics.

pub mod ess;
pub mod multitone;
pub mod noise;
pub mod sweep;

pub use multitone::MultitoneParams;
pub use noise::{NoiseColour, NoiseParams};
pub use sweep::SweepParams;

use serde::{Deserialize, Serialize};

/// How a stimulus was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StimulusKind {
    /// A tipfit synchronized exponential sine sweep.
    Sweep(SweepParams),
    /// Pink or white noise.
    Noise(NoiseParams),
    /// A periodic multitone for the quick seal check.
    Multitone(MultitoneParams),
    /// Any other signal (read from a file that tipfit did not write).
    External,
}

impl StimulusKind {
    /// A short name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            StimulusKind::Sweep(_) => "sweep",
            StimulusKind::Noise(_) => "noise",
            StimulusKind::Multitone(_) => "multitone",
            StimulusKind::External => "external signal",
        }
    }
}

/// A test signal: mono samples at a sample rate, with how it was made.
#[derive(Debug, Clone, PartialEq)]
pub struct Stimulus {
    /// Samples, full scale = 1.0.
    pub samples: Vec<f32>,
    /// Sample rate in Hz.
    pub rate: u32,
    /// How the signal was made.
    pub kind: StimulusKind,
}

impl Stimulus {
    /// Length in seconds.
    pub fn duration_s(&self) -> f64 {
        self.samples.len() as f64 / self.rate as f64
    }

    /// Samples widened to `f64` for analysis.
    pub fn samples_f64(&self) -> Vec<f64> {
        self.samples.iter().map(|&v| v as f64).collect()
    }
}

/// Errors in signal parameters.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum SignalError {
    /// A parameter is out of its valid range.
    #[error("--{name} {value} is out of range: {expected}")]
    OutOfRange {
        /// Parameter name as the user types it.
        name: &'static str,
        /// The value given.
        value: f64,
        /// What is accepted.
        expected: String,
    },
}

/// Check `lo <= value <= hi`, naming the parameter in the error.
pub(crate) fn check_range(
    name: &'static str,
    value: f64,
    lo: f64,
    hi: f64,
) -> Result<(), SignalError> {
    if value.is_finite() && value >= lo && value <= hi {
        Ok(())
    } else {
        Err(SignalError::OutOfRange {
            name,
            value,
            expected: format!("between {lo} and {hi}"),
        })
    }
}

/// The sample rates tipfit accepts for generated signals.
pub fn check_rate(rate: u32) -> Result<(), SignalError> {
    check_range("rate", rate as f64, 8_000.0, 384_000.0)
}
