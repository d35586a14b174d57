//! Deconvolution: recording -> impulse response.
//!
//! - tipfit's own sweep: Novak's analytic inverse spectrum
//!   `2 sqrt(f/L) exp(-j 2 pi f L (1 - ln(f/f1)) + j pi/4)`, shifted by the
//!   sweep's lead-in and divided by the sweep amplitude. Its product with the
//!   real sweep, `D = X X~`, is 1 in the band except for what the fades and
//!   the finite band do; the inverse is corrected by `D* / (|D|^2 + eps)`, so
//!   those effects cancel and nothing is amplified outside the band.
//! - any other reference (a sweep from another program, noise): Kirkeby's
//!   regularized division `X* / (|X|^2 + eps(f))`, eps tiny where the
//!   reference has energy (1/3-octave smoothed power above -50 dB of its
//!   maximum) and large elsewhere.
//!
//! The deconvolution is linear, not circular: the FFT length holds recording
//! plus reference, so harmonic responses of a sweep (which come *before* the
//! linear response) wrap to the end of the buffer without overlapping it.

use super::fft::{good_size, FftCache};
use super::Complex64;
use crate::signal::{Stimulus, StimulusKind, SweepParams};

/// Which inverse was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InverseMethod {
    /// Novak's analytic inverse of a tipfit sweep (with band/fade correction).
    AnalyticSweep,
    /// Kirkeby regularized spectral division by a reference signal.
    Regularized,
}

/// The inverse spectrum of a stimulus at one FFT length, reusable for many
/// recordings of that length.
#[derive(Debug, Clone)]
pub struct Inverse {
    /// FFT length.
    pub n: usize,
    /// Inverse spectrum, bins `0..=n/2`.
    pub spectrum: Vec<Complex64>,
    /// How it was made.
    pub method: InverseMethod,
    /// The band the stimulus excites (low, high) in Hz.
    pub band_hz: (f64, f64),
}

/// FFT length for a linear deconvolution of `recording_len` samples by a
/// reference of `reference_len` samples.
pub fn fft_len(recording_len: usize, reference_len: usize) -> usize {
    good_size(recording_len + reference_len)
}

impl Inverse {
    /// Build the inverse of `stimulus` for FFT length `n`.
    pub fn new(stimulus: &Stimulus, n: usize, fft: &FftCache) -> Self {
        let x = fft.spectrum(&stimulus.samples_f64(), n);
        match &stimulus.kind {
            StimulusKind::Sweep(p) => Self::analytic(p, &x, n),
            _ => Self::regularized(&x, n, stimulus.rate as f64),
        }
    }

    fn analytic(p: &SweepParams, x: &[Complex64], n: usize) -> Self {
        let fs = p.rate as f64;
        let amp = crate::dsp::from_db(p.level_dbfs);
        let lead = p.lead_samples() as f64;
        let mut inv: Vec<Complex64> = (0..x.len())
            .map(|k| {
                let f = k as f64 * fs / n as f64;
                let shift = Complex64::from_polar(
                    1.0,
                    2.0 * std::f64::consts::PI * k as f64 * lead / n as f64,
                );
                p.analytic_inverse(f) * shift / (fs * amp)
            })
            .collect();
        for (i, xk) in inv.iter_mut().zip(x) {
            let d = *i * xk;
            *i *= d.conj() / (d.norm_sqr() + 1e-4);
        }
        Self {
            n,
            spectrum: inv,
            method: InverseMethod::AnalyticSweep,
            band_hz: (p.start_hz, p.end_hz),
        }
    }

    fn regularized(x: &[Complex64], n: usize, fs: f64) -> Self {
        let power: Vec<f64> = x.iter().map(|c| c.norm_sqr()).collect();
        let smoothed = third_octave_smooth(&power, fs / n as f64);
        let max_p = power.iter().cloned().fold(0.0, f64::max).max(1e-300);
        let max_s = smoothed.iter().cloned().fold(0.0, f64::max).max(1e-300);
        let excited = |s: f64| s >= max_s * 1e-5;
        let spectrum = x
            .iter()
            .zip(&smoothed)
            .map(|(xk, s)| {
                let eps = if excited(*s) { max_p * 1e-8 } else { max_p };
                xk.conj() / (xk.norm_sqr() + eps)
            })
            .collect();
        let bin_hz = fs / n as f64;
        let lo = smoothed
            .iter()
            .skip(1)
            .position(|s| excited(*s))
            .map_or(0, |k| k + 1);
        let hi = smoothed.iter().rposition(|s| excited(*s)).unwrap_or(0);
        Self {
            n,
            spectrum,
            method: InverseMethod::Regularized,
            band_hz: (lo as f64 * bin_hz, hi as f64 * bin_hz),
        }
    }

    /// Impulse response (length `n`) of `recording` deconvolved by this inverse.
    pub fn apply(&self, recording: &[f64], fft: &FftCache) -> Vec<f64> {
        let mut scratch = Scratch::default();
        self.apply_with(recording.iter().copied(), fft, &mut scratch)
            .to_vec()
    }

    /// Like [`Inverse::apply`], reusing `scratch` so repeated analyses do
    /// not allocate (and page-fault) tens of megabytes each time. Returns
    /// the impulse response, which lives in `scratch`.
    pub fn apply_with<'s>(
        &self,
        recording: impl Iterator<Item = f64>,
        fft: &FftCache,
        s: &'s mut Scratch,
    ) -> &'s [f64] {
        let (fwd, inv) = (fft.forward(self.n), fft.inverse(self.n));
        s.time.clear();
        s.time.extend(recording.take(self.n));
        s.time.resize(self.n, 0.0);
        s.spec.resize(self.n / 2 + 1, Complex64::new(0.0, 0.0));
        let need = fwd.get_scratch_len().max(inv.get_scratch_len());
        s.fft.resize(need, Complex64::new(0.0, 0.0));
        fwd.process_with_scratch(&mut s.time, &mut s.spec, &mut s.fft)
            .expect("buffer lengths come from the plan");
        let scale = 1.0 / self.n as f64;
        for (yk, ik) in s.spec.iter_mut().zip(&self.spectrum) {
            *yk *= ik * scale;
        }
        s.spec[0].im = 0.0;
        if let Some(last) = s.spec.last_mut() {
            last.im = 0.0;
        }
        inv.process_with_scratch(&mut s.spec, &mut s.time, &mut s.fft)
            .expect("buffer lengths come from the plan");
        &s.time
    }
}

/// Reusable buffers for [`Inverse::apply_with`].
#[derive(Debug, Default)]
pub struct Scratch {
    time: Vec<f64>,
    spec: Vec<Complex64>,
    fft: Vec<Complex64>,
}

/// 1/3-octave moving average of a power spectrum (prefix sums).
fn third_octave_smooth(power: &[f64], bin_hz: f64) -> Vec<f64> {
    let mut prefix = vec![0.0; power.len() + 1];
    for (i, p) in power.iter().enumerate() {
        prefix[i + 1] = prefix[i] + p;
    }
    let half = 2f64.powf(1.0 / 6.0);
    (0..power.len())
        .map(|k| {
            let f = (k as f64).max(1.0) * bin_hz;
            let lo = ((f / half / bin_hz).floor() as usize).min(power.len() - 1);
            let hi = ((f * half / bin_hz).ceil() as usize).clamp(lo + 1, power.len());
            (prefix[hi] - prefix[lo]) / (hi - lo) as f64
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn self_deconvolution(stim: &Stimulus) -> Vec<f64> {
        let fft = FftCache::new();
        let n = fft_len(stim.samples.len(), stim.samples.len());
        let inv = Inverse::new(stim, n, &fft);
        inv.apply(&stim.samples_f64(), &fft)
    }

    #[test]
    fn sweep_deconvolved_by_itself_is_an_impulse_at_zero() {
        let stim = SweepParams {
            duration_s: 1.0,
            ..SweepParams::default()
        }
        .generate()
        .unwrap();
        let h = self_deconvolution(&stim);
        let (imax, vmax) =
            h.iter().enumerate().fold(
                (0, 0.0),
                |(i, m), (j, v)| if v.abs() > m { (j, v.abs()) } else { (i, m) },
            );
        assert_eq!(imax, 0);
        assert!((vmax - 1.0).abs() < 0.1, "peak {vmax}");
    }

    #[test]
    fn noise_deconvolved_by_itself_is_an_impulse_at_zero() {
        let stim = crate::signal::NoiseParams {
            duration_s: 0.5,
            ..Default::default()
        }
        .generate()
        .unwrap();
        let h = self_deconvolution(&stim);
        let imax = (0..h.len())
            .max_by(|&a, &b| h[a].abs().total_cmp(&h[b].abs()))
            .unwrap();
        assert_eq!(imax, 0);
    }
}
