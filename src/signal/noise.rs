//! Seeded pink and white noise.
//!
//! Noise is made in the frequency domain: random phases (ChaCha8 seeded, so a
//! seed gives the same file on every machine) on a flat (white) or 1/sqrt(f)
//! (pink, -3 dB/octave) magnitude, then one inverse FFT. Pink noise is
//! rolled off below [`PINK_HIGHPASS_HZ`] (5 Hz) by the magnitude of a
//! 2nd-order Butterworth high-pass (-3 dB at 5 Hz, -0.26 dB at 10 Hz,
//! -0.02 dB at 20 Hz), not cut off: a brick wall made the bins below it
//! pure spectral leakage, which a deconvolution by this noise cannot use
//! (see `dsp::deconvolve`). The periodic variant repeats one FFT-length period with an exactly
//! flat or pink magnitude, so an analysis with that FFT length sees no leakage;
//! the plain variant uses complex-Gaussian bins over the whole length.
//! The level is the RMS in dBFS.

use super::{check_range, check_rate, SignalError, Stimulus, StimulusKind};
use crate::dsp::{fft::FftCache, from_db, Complex64};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// Noise colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum NoiseColour {
    /// Equal power per octave (-3 dB/octave).
    Pink,
    /// Equal power per Hz.
    White,
}

/// Parameters of a noise signal, as stored with the WAV.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoiseParams {
    /// Pink or white.
    pub colour: NoiseColour,
    /// Length in seconds.
    pub duration_s: f64,
    /// Sample rate in Hz.
    pub rate: u32,
    /// RMS level in dBFS.
    pub level_dbfs: f64,
    /// Random seed.
    pub seed: u64,
    /// Period in samples for periodic noise (`None`: not periodic).
    pub period: Option<usize>,
}

impl Default for NoiseParams {
    fn default() -> Self {
        Self {
            colour: NoiseColour::Pink,
            duration_s: 10.0,
            rate: 48_000,
            level_dbfs: -20.0,
            seed: 1,
            period: None,
        }
    }
}

/// Corner of the 2nd-order Butterworth high-pass that rolls pink noise off
/// at the low end, Hz.
pub const PINK_HIGHPASS_HZ: f64 = 5.0;

/// Frequency where the pink magnitude law `sqrt(PINK_REF_HZ / f)` is 1, Hz.
const PINK_REF_HZ: f64 = 10.0;

fn gaussian(rng: &mut ChaCha8Rng) -> f64 {
    // Box-Muller; written out so the stream is fixed by the seed alone.
    let u1: f64 = rng.gen::<f64>().max(1e-300);
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (2.0 * PI * u2).cos()
}

impl NoiseParams {
    /// Check every parameter, naming the first bad one.
    pub fn validate(&self) -> Result<(), SignalError> {
        check_rate(self.rate)?;
        check_range("duration", self.duration_s, 0.01, 3600.0)?;
        check_range("level", self.level_dbfs, -120.0, -3.0)?;
        if let Some(p) = self.period {
            check_range("period", p as f64, 256.0, 16_777_216.0)?;
        }
        Ok(())
    }

    /// One block of `n` samples with the given magnitude law.
    fn block(&self, n: usize, periodic: bool, rng: &mut ChaCha8Rng) -> Vec<f64> {
        let fs = self.rate as f64;
        let mut spec = vec![Complex64::new(0.0, 0.0); n / 2 + 1];
        for (k, bin) in spec.iter_mut().enumerate().skip(1) {
            let f = k as f64 * fs / n as f64;
            let mag = match self.colour {
                NoiseColour::White => 1.0,
                NoiseColour::Pink => {
                    let r2 = (f / PINK_HIGHPASS_HZ).powi(2);
                    (PINK_REF_HZ / f).sqrt() * r2 / (1.0 + r2 * r2).sqrt()
                }
            };
            *bin = if periodic {
                Complex64::from_polar(mag, 2.0 * PI * rng.gen::<f64>())
            } else {
                Complex64::new(gaussian(rng), gaussian(rng)) * mag
            };
        }
        FftCache::shared().real_signal(&mut spec, n)
    }

    /// Generate the stimulus.
    pub fn generate(&self) -> Result<Stimulus, SignalError> {
        self.validate()?;
        let total = (self.duration_s * self.rate as f64).round() as usize;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let x: Vec<f64> = match self.period {
            Some(p) => {
                let one = self.block(p, true, &mut rng);
                (0..total).map(|i| one[i % p]).collect()
            }
            None => self.block(total.max(2) + total % 2, false, &mut rng)[..total].to_vec(),
        };
        let rms = (x.iter().map(|v| v * v).sum::<f64>() / x.len().max(1) as f64).sqrt();
        let gain = if rms > 0.0 {
            from_db(self.level_dbfs) / rms
        } else {
            0.0
        };
        let peak = x.iter().fold(0.0f64, |m, v| m.max(v.abs())) * gain;
        if peak >= 1.0 {
            return Err(SignalError::OutOfRange {
                name: "level",
                value: self.level_dbfs,
                expected: format!(
                    "low enough that peaks stay below 0 dBFS (this noise peaks {:.1} dB above its RMS)",
                    crate::dsp::db(peak / (gain * rms))
                ),
            });
        }
        Ok(Stimulus {
            samples: x.iter().map(|v| (v * gain) as f32).collect(),
            rate: self.rate,
            kind: StimulusKind::Noise(self.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_noise_other_seed_other_noise() {
        let p = NoiseParams {
            duration_s: 0.5,
            ..NoiseParams::default()
        };
        let a = p.generate().unwrap();
        let b = p.generate().unwrap();
        let c = NoiseParams { seed: 2, ..p }.generate().unwrap();
        assert_eq!(a, b);
        assert_ne!(a.samples, c.samples);
    }

    #[test]
    fn rms_matches_level_and_periodic_noise_repeats() {
        let p = NoiseParams {
            duration_s: 1.0,
            period: Some(4096),
            colour: NoiseColour::White,
            ..NoiseParams::default()
        };
        let s = p.generate().unwrap();
        let rms = (s.samples.iter().map(|&v| (v as f64).powi(2)).sum::<f64>()
            / s.samples.len() as f64)
            .sqrt();
        assert!((crate::dsp::db(rms) - p.level_dbfs).abs() < 0.1);
        assert_eq!(s.samples[100], s.samples[100 + 4096]);
    }

    #[test]
    fn pink_noise_falls_3_db_per_octave() {
        let p = NoiseParams {
            duration_s: 4.0,
            period: Some(65_536),
            ..NoiseParams::default()
        };
        let s = p.generate().unwrap();
        let x: Vec<f64> = s.samples[..65_536].iter().map(|&v| v as f64).collect();
        let spec = FftCache::new().spectrum(&x, 65_536);
        let band = |lo: f64| -> f64 {
            let df = 48_000.0 / 65_536.0;
            let (a, b) = ((lo / df) as usize, (2.0 * lo / df) as usize);
            spec[a..b].iter().map(|c| c.norm_sqr()).sum::<f64>()
        };
        // Equal power per octave.
        let ratio_db = 10.0 * (band(100.0) / band(1600.0)).log10();
        assert!(ratio_db.abs() < 0.2, "{ratio_db}");
    }

    #[test]
    fn pink_noise_rolls_off_like_a_2nd_order_high_pass_at_5_hz() {
        // Periodic noise has exactly the magnitude law on its bins.
        let n = 1 << 20;
        let p = NoiseParams {
            duration_s: n as f64 / 48_000.0,
            period: Some(n),
            ..NoiseParams::default()
        };
        let s = p.generate().unwrap();
        let x: Vec<f64> = s.samples.iter().map(|&v| v as f64).collect();
        let spec = FftCache::new().spectrum(&x, n);
        let df = 48_000.0 / n as f64;
        // Power of a bin times its frequency: flat for pink, times the
        // high-pass's |H|^2 = r^4 / (1 + r^4), r = f / 5 Hz.
        let level = |k: usize| 10.0 * (spec[k].norm_sqr() * k as f64 * df).log10();
        let pink = level((1000.0 / df) as usize);
        for f in [1.0, 2.5, 5.0, 10.0, 40.0] {
            let k = (f / df).round() as usize;
            let r4 = (k as f64 * df / 5.0).powi(4);
            let want = 10.0 * (r4 / (1.0 + r4)).log10();
            let got = level(k) - pink;
            assert!(
                (got - want).abs() < 0.01,
                "{f} Hz: {got:.3} dB, want {want:.3}"
            );
        }
    }
}
