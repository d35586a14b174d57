//! Second-order IIR sections. The simulated rig builds every acoustic element
//! as an analog prototype `(b2 s^2 + b1 s + b0) / (a2 s^2 + a1 s + a0)`, turns
//! it into a digital biquad by the bilinear transform, and runs it in `f64`.
//! The digital filter's own response [`Biquad::response`] is the exact truth
//! the tests compare measurements with.

use rustfft::num_complex::Complex64;
use std::f64::consts::PI;

/// Analog second-order prototype, coefficients of `s^2, s, 1` (numerator `b`,
/// denominator `a`), with `s` in rad/s.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnalogBiquad {
    /// Numerator coefficients `[b2, b1, b0]`.
    pub b: [f64; 3],
    /// Denominator coefficients `[a2, a1, a0]`.
    pub a: [f64; 3],
}

impl AnalogBiquad {
    /// Response at `freq_hz`.
    pub fn response(&self, freq_hz: f64) -> Complex64 {
        let s = Complex64::new(0.0, 2.0 * PI * freq_hz);
        let num = self.b[0] * s * s + self.b[1] * s + self.b[2];
        let den = self.a[0] * s * s + self.a[1] * s + self.a[2];
        num / den
    }

    /// Second-order high-pass (Butterworth when `q` = 0.7071).
    pub fn highpass(f0_hz: f64, q: f64) -> Self {
        let w = 2.0 * PI * f0_hz;
        Self {
            b: [1.0, 0.0, 0.0],
            a: [1.0, w / q, w * w],
        }
    }

    /// Second-order low-pass.
    pub fn lowpass(f0_hz: f64, q: f64) -> Self {
        let w = 2.0 * PI * f0_hz;
        Self {
            b: [0.0, 0.0, w * w],
            a: [1.0, w / q, w * w],
        }
    }

    /// Peaking (bell) filter with `gain_db` at `f0_hz`.
    pub fn peaking(f0_hz: f64, q: f64, gain_db: f64) -> Self {
        let w = 2.0 * PI * f0_hz;
        let a = 10f64.powf(gain_db / 40.0);
        Self {
            b: [1.0, a * w / q, w * w],
            a: [1.0, w / (a * q), w * w],
        }
    }

    /// Second-order low shelf: `gain_db` well below `f0_hz`, 0 dB above.
    pub fn low_shelf(f0_hz: f64, gain_db: f64) -> Self {
        let w = 2.0 * PI * f0_hz;
        let a = 10f64.powf(gain_db / 40.0);
        let q = std::f64::consts::FRAC_1_SQRT_2;
        // RBJ analog low shelf: H(s) = A (s^2 + sqrt(A)/Q w s + A w^2) / (A s^2 + sqrt(A)/Q w s + w^2)
        Self {
            b: [a, a * a.sqrt() / q * w, a * a * w * w],
            a: [a, a.sqrt() / q * w, w * w],
        }
    }

    /// Second-order high shelf: 0 dB well below `f0_hz`, `gain_db` above.
    pub fn high_shelf(f0_hz: f64, gain_db: f64) -> Self {
        let w = 2.0 * PI * f0_hz;
        let a = 10f64.powf(gain_db / 40.0);
        let q = std::f64::consts::FRAC_1_SQRT_2;
        // RBJ analog high shelf: H(s) = A (A s^2 + sqrt(A)/Q w s + w^2) / (s^2 + sqrt(A)/Q w s + A w^2)
        Self {
            b: [a * a, a * a.sqrt() / q * w, a * w * w],
            a: [1.0, a.sqrt() / q * w, a * w * w],
        }
    }

    /// Digital biquad at `rate_hz` by the bilinear transform (no pre-warping:
    /// the digital response, not the analog one, is the simulation's truth).
    pub fn to_digital(&self, rate_hz: f64) -> Biquad {
        let k = 2.0 * rate_hz;
        let k2 = k * k;
        let [b2, b1, b0] = self.b;
        let [a2, a1, a0] = self.a;
        let nb = [
            b2 * k2 + b1 * k + b0,
            2.0 * (b0 - b2 * k2),
            b2 * k2 - b1 * k + b0,
        ];
        let na = [
            a2 * k2 + a1 * k + a0,
            2.0 * (a0 - a2 * k2),
            a2 * k2 - a1 * k + a0,
        ];
        Biquad {
            b: [nb[0] / na[0], nb[1] / na[0], nb[2] / na[0]],
            a: [na[1] / na[0], na[2] / na[0]],
            rate_hz,
        }
    }
}

/// Digital biquad `(b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Biquad {
    /// Feed-forward coefficients `[b0, b1, b2]`.
    pub b: [f64; 3],
    /// Feedback coefficients `[a1, a2]`.
    pub a: [f64; 2],
    /// Sample rate the coefficients are for.
    pub rate_hz: f64,
}

impl Biquad {
    /// Exact response of the digital filter at `freq_hz`.
    pub fn response(&self, freq_hz: f64) -> Complex64 {
        let w = 2.0 * PI * freq_hz / self.rate_hz;
        let z1 = Complex64::from_polar(1.0, -w);
        let z2 = z1 * z1;
        (self.b[0] + self.b[1] * z1 + self.b[2] * z2) / (1.0 + self.a[0] * z1 + self.a[1] * z2)
    }

    /// Filter `x` in place (transposed direct form II, `f64` state).
    pub fn process(&self, x: &mut [f64]) {
        let (mut s1, mut s2) = (0.0, 0.0);
        for v in x.iter_mut() {
            let input = *v;
            let y = self.b[0] * input + s1;
            s1 = self.b[1] * input - self.a[0] * y + s2;
            s2 = self.b[2] * input - self.a[1] * y;
            *v = y;
        }
    }
}

/// Product of the responses of a chain of biquads at `freq_hz`.
pub fn chain_response(chain: &[Biquad], freq_hz: f64) -> Complex64 {
    chain
        .iter()
        .fold(Complex64::new(1.0, 0.0), |acc, b| acc * b.response(freq_hz))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digital_filter_matches_its_stated_response() {
        let rate = 48_000.0;
        let bq = AnalogBiquad::peaking(3000.0, 1.0, 8.0).to_digital(rate);
        // Run a long sine through it and compare the steady-state amplitude.
        let f = 1000.0;
        let mut x: Vec<f64> = (0..48_000)
            .map(|n| (2.0 * PI * f * n as f64 / rate).sin())
            .collect();
        bq.process(&mut x);
        // 8000 samples = 166 whole periods: RMS times sqrt(2) is the amplitude.
        let tail = &x[40_032..];
        let amp = (2.0 * tail.iter().map(|v| v * v).sum::<f64>() / tail.len() as f64).sqrt();
        let expect = bq.response(f).norm();
        assert!((amp - expect).abs() < 1e-6, "{amp} vs {expect}");
    }

    #[test]
    fn analog_prototypes_have_the_expected_gains() {
        let hp = AnalogBiquad::highpass(100.0, std::f64::consts::FRAC_1_SQRT_2);
        assert!((hp.response(100.0).norm() - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-9);
        let pk = AnalogBiquad::peaking(1000.0, 2.0, 6.0);
        assert!((20.0 * pk.response(1000.0).norm().log10() - 6.0).abs() < 1e-9);
        let ls = AnalogBiquad::low_shelf(100.0, 6.0);
        assert!((20.0 * ls.response(1.0).norm().log10() - 6.0).abs() < 0.01);
        assert!((20.0 * ls.response(10_000.0).norm().log10()).abs() < 0.01);
        let hs = AnalogBiquad::high_shelf(1000.0, -4.0);
        assert!((20.0 * hs.response(1.0e5).norm().log10() + 4.0).abs() < 0.01);
        assert!((20.0 * hs.response(10.0).norm().log10()).abs() < 0.01);
        // half the gain (in dB) at the corner
        assert!((20.0 * hs.response(1000.0).norm().log10() + 2.0).abs() < 0.01);
    }
}
