//! Multitone for the quick seal check.
//!
//! Log-spaced tones, each 1.5x the last (as in open-source earable seal
//! checks), from 20 Hz up to about 1.2 kHz, snapped onto the bins of a
//! `rate / 5`-sample frame (5 Hz apart at 44.1, 48 and 96 kHz) so every tone
//! holds a whole number of periods in each frame: the signal loops seamlessly
//! and an FFT of any whole frame reads each tone exactly. Phases start from
//! Newman's (`pi (k-1)^2 / K`) and are then improved by 300 rounds of
//! iterative clipping (Van der Ouderaa et al. 1988: clip the frame at 0.9x its
//! peak, keep the phases of the clipped frame's tone bins). For the default
//! 11 sparse tones this lowers the crest factor from 3.4 (Newman) to 2.7;
//! equal phases would give 4.7. The level is the peak in dBFS.
//! Deterministic: the same parameters give the same samples.

use super::{check_range, check_rate, SignalError, Stimulus, StimulusKind};
use crate::dsp::fft::FftCache;
use crate::dsp::{from_db, Complex64};
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// Parameters of a multitone, as stored with the WAV.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultitoneParams {
    /// Lowest tone in Hz.
    pub start_hz: f64,
    /// Ratio between neighbouring tones.
    pub ratio: f64,
    /// No tone above this, Hz.
    pub max_hz: f64,
    /// Frame (period) resolution in Hz: the frame is `rate / resolution_hz` samples.
    pub resolution_hz: f64,
    /// Sample rate in Hz.
    pub rate: u32,
    /// Peak level in dBFS.
    pub level_dbfs: f64,
    /// Length in seconds (rounded up to whole frames).
    pub duration_s: f64,
}

impl Default for MultitoneParams {
    fn default() -> Self {
        Self {
            start_hz: 20.0,
            ratio: 1.5,
            max_hz: 1200.0,
            resolution_hz: 5.0,
            rate: 48_000,
            level_dbfs: -12.0,
            duration_s: 5.0,
        }
    }
}

impl MultitoneParams {
    /// Check every parameter, naming the first bad one.
    pub fn validate(&self) -> Result<(), SignalError> {
        check_rate(self.rate)?;
        check_range("resolution", self.resolution_hz, 0.5, 50.0)?;
        check_range(
            "start",
            self.start_hz,
            self.resolution_hz,
            self.rate as f64 / 4.0,
        )?;
        check_range("ratio", self.ratio, 1.05, 4.0)?;
        check_range("max", self.max_hz, self.start_hz, self.rate as f64 * 0.45)?;
        check_range("level", self.level_dbfs, -120.0, 0.0)?;
        check_range("duration", self.duration_s, 0.05, 3600.0)?;
        Ok(())
    }

    /// Samples in one frame (period).
    pub fn frame_len(&self) -> usize {
        (self.rate as f64 / self.resolution_hz).round() as usize
    }

    /// FFT bin of each tone in a frame (distinct, ascending).
    pub fn tone_bins(&self) -> Vec<usize> {
        let df = self.rate as f64 / self.frame_len() as f64;
        let mut bins: Vec<usize> = Vec::new();
        let mut f = self.start_hz;
        while f <= self.max_hz * (1.0 + 1e-9) {
            let k = (f / df).round().max(1.0) as usize;
            if bins.last() != Some(&k) {
                bins.push(k);
            }
            f *= self.ratio;
        }
        bins
    }

    /// Tone frequencies in Hz.
    pub fn tones_hz(&self) -> Vec<f64> {
        let df = self.rate as f64 / self.frame_len() as f64;
        self.tone_bins().iter().map(|&k| k as f64 * df).collect()
    }

    /// One frame with unit tone amplitudes and low-crest phases.
    fn frame(&self) -> Vec<f64> {
        let n = self.frame_len();
        let bins = self.tone_bins();
        let count = bins.len() as f64;
        let fft = FftCache::new();
        let mut phases: Vec<f64> = (0..bins.len())
            .map(|k| PI * (k * k) as f64 / count)
            .collect();
        let synth = |phases: &[f64]| -> Vec<f64> {
            let mut spec = vec![Complex64::new(0.0, 0.0); n / 2 + 1];
            for (&b, &ph) in bins.iter().zip(phases) {
                spec[b] = Complex64::from_polar(n as f64 / 2.0, ph);
            }
            fft.real_signal(&mut spec, n)
        };
        for _ in 0..300 {
            let x = synth(&phases);
            let limit = 0.9 * x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let clipped: Vec<f64> = x.iter().map(|v| v.clamp(-limit, limit)).collect();
            let spec = fft.spectrum(&clipped, n);
            for (ph, &b) in phases.iter_mut().zip(&bins) {
                *ph = spec[b].arg();
            }
        }
        synth(&phases)
    }

    /// Generate the stimulus.
    pub fn generate(&self) -> Result<Stimulus, SignalError> {
        self.validate()?;
        let n = self.frame_len();
        let frame = self.frame();
        let peak = frame.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let gain = from_db(self.level_dbfs) / peak;
        let frames = (self.duration_s * self.rate as f64 / n as f64).ceil() as usize;
        let samples = (0..frames * n)
            .map(|i| (frame[i % n] * gain) as f32)
            .collect();
        Ok(Stimulus {
            samples,
            rate: self.rate,
            kind: StimulusKind::Multitone(self.clone()),
        })
    }
}

/// Whether `samples` (of the described length) are the multitone `p`
/// describes, without making it (its crest-factor search costs far more
/// than reading a file): repeated frames, the stated peak, and all the power
/// of a frame in its tone bins at equal amplitudes, which is all the analysis
/// relies on. `Err((worst deviation, peak))` otherwise.
pub(crate) fn check_samples(p: &MultitoneParams, samples: &[f32]) -> Result<(), (f32, f32)> {
    let n = p.frame_len();
    let peak = from_db(p.level_dbfs) as f32;
    let tolerance = super::description_tolerance(peak);
    let found_peak = samples.iter().fold(0f32, |m, v| m.max(v.abs()));
    let mut worst = (found_peak - peak).abs();
    if let Some(repeats) = samples.get(n..) {
        let rep = repeats
            .iter()
            .zip(samples)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        worst = worst.max(rep);
    }
    if worst > tolerance || samples.len() < n {
        return Err((worst, peak));
    }
    let frame: Vec<f64> = samples[..n].iter().map(|&v| v as f64).collect();
    let spec = FftCache::new().spectrum(&frame, n);
    let bins = p.tone_bins();
    let power = |c: &Complex64| c.norm_sqr();
    let total: f64 = spec.iter().map(power).sum();
    let tones: Vec<f64> = bins
        .iter()
        .map(|&b| spec.get(b).map_or(0.0, power))
        .collect();
    let in_tones: f64 = tones.iter().sum();
    let (lo, hi) = tones
        .iter()
        .fold((f64::INFINITY, 0.0f64), |(l, h), &t| (l.min(t), h.max(t)));
    // off-tone power and unequal tones, as a deviation per sample
    let off = ((total - in_tones).max(0.0) / total.max(1e-300)).sqrt();
    let unequal = 1.0 - (lo / hi.max(1e-300)).sqrt();
    let dev = (off.max(unequal) * found_peak as f64) as f32;
    if dev > tolerance {
        return Err((dev, peak));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `samples` written as 16-bit PCM and read back.
    fn as_16_bit(samples: &[f32]) -> Vec<f32> {
        samples
            .iter()
            .map(|v| (v * 32768.0).round().clamp(-32768.0, 32767.0) / 32768.0)
            .collect()
    }

    #[test]
    fn the_description_check_accepts_the_file_and_refuses_edits() {
        let p = MultitoneParams::default();
        let s = p.generate().unwrap();
        let kind = &s.kind;
        assert_eq!(kind.check_against(&s.samples, p.rate), Ok(()));
        assert_eq!(kind.check_against(&as_16_bit(&s.samples), p.rate), Ok(()));
        // another level: 1 dB down
        let quieter: Vec<f32> = s.samples.iter().map(|v| v * 0.891).collect();
        let e = kind.check_against(&quieter, p.rate).unwrap_err();
        assert!(e.contains("samples differ from the multitone"), "{e}");
        // other tones, same frame and length
        let other = StimulusKind::Multitone(MultitoneParams {
            start_hz: 25.0,
            ..p.clone()
        });
        let e = other.check_against(&s.samples, p.rate).unwrap_err();
        assert!(e.contains("samples differ"), "{e}");
        // a frame that does not repeat: one sample of the last frame changed
        let mut edited = s.samples.clone();
        let last = edited.len() - 10;
        edited[last] += 0.01;
        assert!(kind.check_against(&edited, p.rate).is_err());
        // noise 40 dB down on every sample
        let mut seed = 1u32;
        let noisy: Vec<f32> = s
            .samples
            .iter()
            .map(|v| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                v + 0.01 * ((seed >> 8) as f32 / (1 << 24) as f32 - 0.5)
            })
            .collect();
        assert!(kind.check_against(&noisy, p.rate).is_err());
    }

    #[test]
    fn tones_are_log_spaced_from_20_hz_to_about_1_khz() {
        let p = MultitoneParams::default();
        let t = p.tones_hz();
        assert_eq!(t.first(), Some(&20.0));
        assert!(t.len() >= 9, "{t:?}");
        assert!(*t.last().unwrap() > 900.0 && *t.last().unwrap() < 1300.0);
        for w in t.windows(2) {
            assert!((w[1] / w[0] - 1.5).abs() < 0.1, "{t:?}");
        }
    }

    #[test]
    fn crest_factor_is_low() {
        let s = MultitoneParams::default().generate().unwrap();
        let n = s.samples.len() as f64;
        let rms = (s.samples.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / n).sqrt();
        let peak = s.samples.iter().fold(0f32, |m, v| m.max(v.abs())) as f64;
        // Equal-phase tones would give sqrt(2 K) = 4.7, Newman phases 3.4.
        assert!(peak / rms < 2.8, "crest factor {}", peak / rms);
    }
}
