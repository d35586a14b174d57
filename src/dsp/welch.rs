//! Welch averaging: auto and cross spectra from Hann-windowed segments with
//! 50 % overlap. One-sided power per bin, normalised so that the sum over
//! all bins is the signal's mean square whatever the segment length: band
//! powers are plain sums over bins and compare across segment lengths.

use super::fft::FftCache;
use super::Complex64;

/// Averaged spectra of one or two signals.
#[derive(Debug, Clone)]
pub struct Spectra {
    /// Segment (FFT) length.
    pub n: usize,
    /// Bin spacing, Hz.
    pub bin_hz: f64,
    /// Number of averaged segments.
    pub segments: usize,
    /// Auto spectrum of x.
    pub sxx: Vec<f64>,
    /// Auto spectrum of y (empty without y).
    pub syy: Vec<f64>,
    /// Cross spectrum conj(X) Y (empty without y).
    pub sxy: Vec<Complex64>,
}

impl Spectra {
    /// Sum of `s` over the bins from `lo_hz` to `hi_hz`.
    pub fn band_sum(&self, s: &[f64], lo_hz: f64, hi_hz: f64) -> f64 {
        self.bins(lo_hz, hi_hz).map(|k| s[k]).sum()
    }

    /// Coherence over a band: the fraction of y's power that is coherent
    /// with x, `sum_k gamma_k^2 Syy_k / sum_k Syy_k` with the per-bin
    /// magnitude-squared coherence `gamma_k^2 = |Sxy_k|^2 / (Sxx_k Syy_k)`.
    pub fn band_coherence(&self, lo_hz: f64, hi_hz: f64) -> f64 {
        ratio(
            self.coherent_power(lo_hz, hi_hz),
            self.band_sum(&self.syy, lo_hz, hi_hz),
        )
    }

    /// `|H1|^2` over a band, with `H1 = Sxy / Sxx` per bin, weighted by x's
    /// power: `sum_k |Sxy_k|^2 / Sxx_k / sum_k Sxx_k`. Unlike the ratio of
    /// y's and x's powers it leaves out what in y is not coherent with x.
    pub fn band_h1_power(&self, lo_hz: f64, hi_hz: f64) -> f64 {
        ratio(
            self.coherent_power(lo_hz, hi_hz),
            self.band_sum(&self.sxx, lo_hz, hi_hz),
        )
    }

    /// The part of y's power coherent with x over a band: `sum_k |Sxy_k|^2 / Sxx_k`.
    fn coherent_power(&self, lo_hz: f64, hi_hz: f64) -> f64 {
        self.bins(lo_hz, hi_hz)
            .filter(|&k| self.sxx[k] > 0.0)
            .map(|k| self.sxy[k].norm_sqr() / self.sxx[k])
            .sum()
    }

    fn bins(&self, lo_hz: f64, hi_hz: f64) -> std::ops::Range<usize> {
        let a = ((lo_hz / self.bin_hz).ceil() as usize).min(self.sxx.len());
        let b = ((hi_hz / self.bin_hz).floor() as usize + 1).min(self.sxx.len());
        a..b.max(a)
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}

/// Welch spectra of `x` (and `y`, same length) with segments of `n` samples.
pub fn welch(x: &[f64], y: Option<&[f64]>, n: usize, rate: f64, fft: &FftCache) -> Spectra {
    let window: Vec<f64> = (0..n)
        .map(|i| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n as f64).cos())
        .collect();
    let hop = n / 2;
    let bins = n / 2 + 1;
    let mut out = Spectra {
        n,
        bin_hz: rate / n as f64,
        segments: 0,
        sxx: vec![0.0; bins],
        syy: if y.is_some() {
            vec![0.0; bins]
        } else {
            Vec::new()
        },
        sxy: if y.is_some() {
            vec![Complex64::new(0.0, 0.0); bins]
        } else {
            Vec::new()
        },
    };
    let segment = |s: &[f64], start: usize| -> Vec<Complex64> {
        let w: Vec<f64> = s[start..start + n]
            .iter()
            .zip(&window)
            .map(|(a, b)| a * b)
            .collect();
        fft.spectrum(&w, n)
    };
    let mut start = 0;
    while start + n <= x.len() {
        let fx = segment(x, start);
        for (acc, v) in out.sxx.iter_mut().zip(&fx) {
            *acc += v.norm_sqr();
        }
        if let Some(y) = y {
            let fy = segment(y, start);
            for k in 0..bins {
                out.syy[k] += fy[k].norm_sqr();
                out.sxy[k] += fx[k].conj() * fy[k];
            }
        }
        out.segments += 1;
        start += hop;
    }
    let w2: f64 = window.iter().map(|w| w * w).sum();
    let scale = 2.0 / (out.segments.max(1) as f64 * w2 * n as f64);
    out.sxx
        .iter_mut()
        .chain(out.syy.iter_mut())
        .for_each(|v| *v *= scale);
    out.sxy.iter_mut().for_each(|v| *v *= scale);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_copy_has_exact_ratio_and_full_coherence() {
        let x: Vec<f64> = (0..40_000)
            .map(|i| ((i * 7919) % 1013) as f64 - 506.0)
            .collect();
        let y: Vec<f64> = x.iter().map(|v| 0.1 * v).collect();
        let s = welch(&x, Some(&y), 4096, 48_000.0, &FftCache::new());
        assert!(s.segments >= 18);
        let ratio = s.band_sum(&s.syy, 100.0, 1000.0) / s.band_sum(&s.sxx, 100.0, 1000.0);
        assert!((ratio - 0.01).abs() < 1e-12);
        assert!((s.band_coherence(100.0, 1000.0) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn bins_sum_to_the_mean_square_for_any_segment_length() {
        let x: Vec<f64> = (0..100_000)
            .map(|i| ((i * 7919) % 1013) as f64 / 506.0 - 1.0)
            .collect();
        let ms = x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64;
        for n in [1024, 16_384] {
            let s = welch(&x, None, n, 48_000.0, &FftCache::new());
            let total: f64 = s.sxx.iter().sum();
            assert!((total / ms - 1.0).abs() < 0.02, "n {n}: {total} vs {ms}");
        }
    }
}
