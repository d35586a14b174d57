//! A cache of real-FFT plans. Planning is the slow part of an FFT; analysis
//! code asks the cache for a plan of a given length and reuses it.

use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::num_complex::Complex64;
use std::sync::{Arc, Mutex};

/// Shared planner: plans are created once per length and reused.
#[derive(Clone, Default)]
pub struct FftCache {
    planner: Arc<Mutex<RealFftPlanner<f64>>>,
}

impl std::fmt::Debug for FftCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FftCache")
    }
}

impl FftCache {
    /// A new, empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forward plan (real -> complex) of length `n`.
    pub fn forward(&self, n: usize) -> Arc<dyn RealToComplex<f64>> {
        self.planner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .plan_fft_forward(n)
    }

    /// Inverse plan (complex -> real) of length `n` (not normalised).
    pub fn inverse(&self, n: usize) -> Arc<dyn ComplexToReal<f64>> {
        self.planner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .plan_fft_inverse(n)
    }

    /// Spectrum (n/2+1 bins) of `input` zero-padded (or truncated) to `n`.
    pub fn spectrum(&self, input: &[f64], n: usize) -> Vec<Complex64> {
        let plan = self.forward(n);
        let mut buf = vec![0.0; n];
        let m = input.len().min(n);
        buf[..m].copy_from_slice(&input[..m]);
        let mut out = plan.make_output_vec();
        plan.process(&mut buf, &mut out)
            .expect("buffer lengths come from the plan");
        out
    }

    /// Spectrum of `input` at its own length, transformed in place (the
    /// same result as [`Self::spectrum`] of it, without copying it).
    pub fn spectrum_of(&self, mut input: Vec<f64>) -> Vec<Complex64> {
        let plan = self.forward(input.len());
        let mut out = plan.make_output_vec();
        plan.process(&mut input, &mut out)
            .expect("buffer lengths come from the plan");
        out
    }

    /// Real signal of length `n` from its half spectrum, normalised by 1/n.
    pub fn real_signal(&self, spectrum: &mut [Complex64], n: usize) -> Vec<f64> {
        let plan = self.inverse(n);
        // The DC and Nyquist bins of a real signal are real; realfft checks.
        spectrum[0].im = 0.0;
        if n.is_multiple_of(2) {
            if let Some(last) = spectrum.last_mut() {
                last.im = 0.0;
            }
        }
        let mut out = plan.make_output_vec();
        plan.process(spectrum, &mut out)
            .expect("buffer lengths come from the plan");
        let scale = 1.0 / n as f64;
        out.iter_mut().for_each(|v| *v *= scale);
        out
    }
}

/// The smallest length >= `n` whose only prime factors are 2, 3 and 5, so
/// that the FFT stays fast without padding all the way to a power of two.
pub fn good_size(n: usize) -> usize {
    let mut m = n.max(2);
    loop {
        let mut r = m;
        for p in [2, 3, 5] {
            while r.is_multiple_of(p) {
                r /= p;
            }
        }
        if r == 1 && m.is_multiple_of(2) {
            return m;
        }
        m += 1;
    }
}

/// Frequency in Hz of bin `k` of an `n`-point FFT at `rate` Hz.
pub fn bin_hz(k: usize, n: usize, rate: f64) -> f64 {
    k as f64 * rate / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_size_has_small_factors_and_is_even() {
        for n in [1, 7, 97, 1000, 263_001, 524_289] {
            let m = good_size(n);
            assert!(m >= n && m.is_multiple_of(2));
            let mut r = m;
            for p in [2, 3, 5] {
                while r.is_multiple_of(p) {
                    r /= p;
                }
            }
            assert_eq!(r, 1, "{m} has a large prime factor");
            assert!(m < n + n / 10 + 10, "{m} is far above {n}");
        }
    }

    #[test]
    fn forward_then_inverse_round_trips() {
        let fft = FftCache::new();
        let x: Vec<f64> = (0..90).map(|i| ((i * 7) % 13) as f64 - 6.0).collect();
        let mut spec = fft.spectrum(&x, 90);
        let y = fft.real_signal(&mut spec, 90);
        for (a, b) in x.iter().zip(&y) {
            assert!((a - b).abs() < 1e-9);
        }
    }
}
