//! Synchronized exponential sine sweep (Farina 2000; Novak et al. 2015).
//!
//! `x(t) = sin(2 pi f1 L (exp(t / L) - 1))` with `L = round(f1 T / ln(f2/f1)) / f1`:
//! rounding `f1 L` to a whole number makes the phase of every harmonic line up,
//! so harmonic impulse responses are valid. The actual duration is
//! `L ln(f2 / f1)`, within `0.5 ln(f2/f1) / f1` of the requested one
//! (4.62 s for the default 5 s request, 10 Hz to 22 kHz).
//!
//! Fades (documented defaults): a half-Hann fade-in over one period of the
//! start frequency (at most 0.1 s) and a 5 ms half-Hann fade-out. Both only
//! touch the first period and the last few ms, outside the analysed band for
//! default settings, and the deconvolution corrects what they do.
//! Silence: 0.1 s lead, 1.0 s tail (room for latency and the impulse tail).

use super::{check_range, check_rate, SignalError, Stimulus, StimulusKind};
use crate::dsp::from_db;
use rustfft::num_complex::Complex64;
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// Parameters of a tipfit sweep, as stored with the WAV.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepParams {
    /// Start frequency f1 in Hz.
    pub start_hz: f64,
    /// End frequency f2 in Hz.
    pub end_hz: f64,
    /// Requested sweep duration in seconds (the actual one is [`Self::sweep_duration_s`]).
    pub duration_s: f64,
    /// Sample rate in Hz.
    pub rate: u32,
    /// Peak level in dBFS.
    pub level_dbfs: f64,
    /// Silence before the sweep, seconds.
    pub lead_s: f64,
    /// Silence after the sweep, seconds.
    pub tail_s: f64,
}

impl Default for SweepParams {
    fn default() -> Self {
        Self {
            start_hz: 10.0,
            end_hz: 22_000.0,
            duration_s: 5.0,
            rate: 48_000,
            level_dbfs: -12.0,
            lead_s: 0.1,
            tail_s: 1.0,
        }
    }
}

impl SweepParams {
    /// Default sweep at `rate`: 10 Hz to min(22 kHz, 0.46 rate), 5 s, -12 dBFS.
    pub fn at_rate(rate: u32) -> Self {
        Self {
            rate,
            end_hz: 22_000f64.min(0.46 * rate as f64),
            ..Self::default()
        }
    }

    /// Check every parameter, naming the first bad one.
    pub fn validate(&self) -> Result<(), SignalError> {
        check_rate(self.rate)?;
        let nyq = self.rate as f64 / 2.0;
        check_range("start", self.start_hz, 1.0, nyq / 4.0)?;
        check_range("end", self.end_hz, self.start_hz * 2.0, nyq * 0.999)?;
        check_range("duration", self.duration_s, 0.1, 600.0)?;
        check_range("level", self.level_dbfs, -120.0, 0.0)?;
        check_range("lead", self.lead_s, 0.0, 60.0)?;
        check_range("tail", self.tail_s, 0.0, 60.0)?;
        Ok(())
    }

    /// The rate parameter L in seconds (synchronized: `f1 L` is whole).
    pub fn l_s(&self) -> f64 {
        let ratio = (self.end_hz / self.start_hz).ln();
        (self.start_hz * self.duration_s / ratio).round().max(1.0) / self.start_hz
    }

    /// The actual sweep duration `L ln(f2/f1)` in seconds.
    pub fn sweep_duration_s(&self) -> f64 {
        self.l_s() * (self.end_hz / self.start_hz).ln()
    }

    /// Samples of leading silence.
    pub fn lead_samples(&self) -> usize {
        (self.lead_s * self.rate as f64).round() as usize
    }

    /// Samples of the sweep itself (without silence).
    pub fn sweep_samples(&self) -> usize {
        (self.sweep_duration_s() * self.rate as f64).ceil() as usize
    }

    /// Fade-in length in seconds: one period of f1, at most 0.1 s.
    pub fn fade_in_s(&self) -> f64 {
        (1.0 / self.start_hz).min(0.1)
    }

    /// Fade-out length in seconds.
    pub fn fade_out_s(&self) -> f64 {
        0.005f64.min(self.sweep_duration_s() / 10.0)
    }

    /// Seconds by which harmonic `order` (2, 3, ...) arrives before the
    /// linear response after deconvolution: `L ln(order)`.
    pub fn harmonic_advance_s(&self, order: usize) -> f64 {
        self.l_s() * (order as f64).ln()
    }

    /// The sweep proper (after the lead-in) sample by sample: what
    /// [`Self::generate`] writes, so that a file can be checked at a few
    /// samples without making the whole sweep.
    pub(crate) fn sampler(&self) -> impl Fn(usize) -> f32 {
        let fs = self.rate as f64;
        let l = self.l_s();
        let f1 = self.start_hz;
        let n = self.sweep_samples();
        let amp = from_db(self.level_dbfs);
        let fade_in = (self.fade_in_s() * fs).round() as usize;
        let fade_out = (self.fade_out_s() * fs).round() as usize;
        move |i| {
            let t = i as f64 / fs;
            let mut v = (2.0 * PI * f1 * l * ((t / l).exp() - 1.0)).sin();
            if i < fade_in {
                v *= 0.5 - 0.5 * (PI * i as f64 / fade_in as f64).cos();
            }
            let from_end = n - 1 - i;
            if from_end < fade_out {
                v *= 0.5 - 0.5 * (PI * from_end as f64 / fade_out as f64).cos();
            }
            (amp * v) as f32
        }
    }

    /// Generate the stimulus.
    pub fn generate(&self) -> Result<Stimulus, SignalError> {
        self.validate()?;
        let fs = self.rate as f64;
        let n = self.sweep_samples();
        let mut samples = vec![0f32; self.lead_samples()];
        samples.reserve(n + (self.tail_s * fs).round() as usize);
        samples.extend((0..n).map(self.sampler()));
        samples.resize(samples.len() + (self.tail_s * fs).round() as usize, 0.0);
        Ok(Stimulus {
            samples,
            rate: self.rate,
            kind: StimulusKind::Sweep(self.clone()),
        })
    }

    /// Novak's analytic inverse spectrum at `freq_hz` for a sweep of unit
    /// amplitude starting at time 0, in continuous-time units:
    /// `2 sqrt(f/L) exp(-j 2 pi f L (1 - ln(f/f1)) + j pi/4)`. Zero at 0 Hz.
    pub fn analytic_inverse(&self, freq_hz: f64) -> Complex64 {
        if freq_hz <= 0.0 {
            return Complex64::new(0.0, 0.0);
        }
        let l = self.l_s();
        let mag = 2.0 * (freq_hz / l).sqrt();
        let phase = -2.0 * PI * freq_hz * l * (1.0 - (freq_hz / self.start_hz).ln()) + PI / 4.0;
        Complex64::from_polar(mag, phase)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_description_check_accepts_the_file_and_refuses_edits() {
        let p = SweepParams::default();
        let s = p.generate().unwrap();
        let kind = &s.kind;
        assert_eq!(kind.check_against(&s.samples, p.rate), Ok(()));
        let pcm16: Vec<f32> = s
            .samples
            .iter()
            .map(|v| (v * 32768.0).round().clamp(-32768.0, 32767.0) / 32768.0)
            .collect();
        assert_eq!(kind.check_against(&pcm16, p.rate), Ok(()));
        let quieter: Vec<f32> = s.samples.iter().map(|v| v * 0.891).collect();
        let e = kind.check_against(&quieter, p.rate).unwrap_err();
        assert!(e.contains("samples differ from the sweep"), "{e}");
        // another start frequency, same length
        let other = StimulusKind::Sweep(SweepParams {
            start_hz: p.start_hz * 1.5,
            ..p.clone()
        });
        assert!(other.check_against(&s.samples, p.rate).is_err());
        // a second of silence where the sweep should be
        let mut gap = s.samples.clone();
        let from = p.lead_samples() + 48_000;
        gap[from..from + 48_000].fill(0.0);
        assert!(kind.check_against(&gap, p.rate).is_err());
    }

    #[test]
    fn synchronized_sweep_has_whole_f1_l() {
        let p = SweepParams::default();
        let fl = p.start_hz * p.l_s();
        assert!((fl - fl.round()).abs() < 1e-9);
        let max_change = 0.5 * (p.end_hz / p.start_hz).ln() / p.start_hz;
        assert!((p.sweep_duration_s() - p.duration_s).abs() <= max_change + 1e-12);
    }

    #[test]
    fn sweep_starts_after_lead_and_peaks_at_level() {
        let p = SweepParams::default();
        let s = p.generate().unwrap();
        let lead = p.lead_samples();
        assert!(s.samples[..lead].iter().all(|&v| v == 0.0));
        let peak = s.samples.iter().fold(0f32, |m, v| m.max(v.abs())) as f64;
        assert!((crate::dsp::db(peak) - p.level_dbfs).abs() < 0.01);
        let expected = lead + p.sweep_samples() + (p.tail_s * 48_000.0) as usize;
        assert_eq!(s.samples.len(), expected);
    }

    #[test]
    fn bad_parameters_are_named() {
        let p = SweepParams {
            end_hz: 30_000.0,
            ..SweepParams::default()
        };
        let e = p.generate().unwrap_err();
        assert!(
            e.to_string().starts_with("--end 30000 is out of range"),
            "{e}"
        );
    }
}
