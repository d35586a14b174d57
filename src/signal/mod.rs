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
    /// Check a description read from a file against the samples and rate
    /// it came with: its parameters are valid, its rate is the file's, its
    /// length is the file's and (for a sweep or multitone, whose analysis
    /// trusts the parameters) the samples are the ones these parameters
    /// make. `Err` says what does not match. A description can be edited by
    /// hand or by another program, so nothing in it is trusted before this.
    pub fn check_against(&self, samples: &[f32], rate: u32) -> Result<(), String> {
        self.check_params(rate)?;
        let expected_len = match self {
            StimulusKind::Sweep(p) => {
                let tail = (p.tail_s * p.rate as f64).round() as usize;
                p.lead_samples() + p.sweep_samples() + tail
            }
            StimulusKind::Noise(p) => (p.duration_s * p.rate as f64).round() as usize,
            StimulusKind::Multitone(p) => {
                let n = p.frame_len();
                (p.duration_s * p.rate as f64 / n as f64).ceil() as usize * n
            }
            StimulusKind::External => return Ok(()),
        };
        self.check_samples(samples, expected_len)
    }

    /// The first part of [`Self::check_against`]: every parameter valid and
    /// the rate the file's.
    pub fn check_params(&self, rate: u32) -> Result<(), String> {
        let params_rate = match self {
            StimulusKind::Sweep(p) => p.validate().map(|()| p.rate),
            StimulusKind::Noise(p) => p.validate().map(|()| p.rate),
            StimulusKind::Multitone(p) => p.validate().map(|()| p.rate),
            StimulusKind::External => return Ok(()),
        }
        .map_err(|e| e.to_string())?;
        if params_rate != rate {
            return Err(format!(
                "it describes a {} at {params_rate} Hz, but the file is at {rate} Hz",
                self.name()
            ));
        }
        Ok(())
    }

    fn check_samples(&self, samples: &[f32], expected_len: usize) -> Result<(), String> {
        if expected_len != samples.len() {
            return Err(format!(
                "it describes a {} of {expected_len} samples, but the file holds {}",
                self.name(),
                samples.len()
            ));
        }
        let edited = |worst: f32, peak: f32| {
            format!(
                "its samples differ from the {} it describes (by up to {:.1} dB re its peak): \
                 the file was edited or re-saved at another level",
                self.name(),
                crate::dsp::db((worst / peak.max(1e-30)) as f64)
            )
        };
        match self {
            StimulusKind::Sweep(p) => {
                // Every 8th sample of the sweep proper and the silence around
                // it: an edited description or another level changes nearly
                // all of them (the whole sweep would cost more than reading it).
                let lead = p.lead_samples();
                let n = p.sweep_samples();
                let value = p.sampler();
                let want = |i: usize| {
                    if i >= lead && i < lead + n {
                        value(i - lead)
                    } else {
                        0.0
                    }
                };
                let peak = crate::dsp::from_db(p.level_dbfs) as f32;
                let tolerance = description_tolerance(peak);
                let worst = (0..samples.len())
                    .step_by(8)
                    .chain([lead, lead + n - 1, samples.len() - 1])
                    .map(|i| (want(i) - samples[i]).abs())
                    .fold(0f32, f32::max);
                if worst > tolerance {
                    return Err(edited(worst, peak));
                }
                Ok(())
            }
            StimulusKind::Multitone(p) => {
                multitone::check_samples(p, samples).map_err(|(w, pk)| edited(w, pk))
            }
            // Noise is deconvolved by its own samples: the parameters only name it.
            _ => Ok(()),
        }
    }

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

/// How far a file's samples may stray from the signal its description
/// makes (peak `peak`): f32 storage is exact, 16-bit files are within 2^-16
/// of full scale.
pub(crate) fn description_tolerance(peak: f32) -> f32 {
    1e-3 * peak + 2f32.powi(-15)
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

/// The sample rates tipfit accepts, Hz: for generated signals, measurements,
/// sessions and the monitor.
pub const RATE_RANGE_HZ: std::ops::RangeInclusive<u32> = 8_000..=192_000;

/// The sample rates tipfit accepts for generated signals ([`RATE_RANGE_HZ`]).
pub fn check_rate(rate: u32) -> Result<(), SignalError> {
    check_range(
        "rate",
        rate as f64,
        *RATE_RANGE_HZ.start() as f64,
        *RATE_RANGE_HZ.end() as f64,
    )
}
