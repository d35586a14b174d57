//! Log-frequency grids and fractional-octave smoothing.
//!
//! Grid points are `1000 Hz * 2^(k / points_per_octave)` (aligned to 1 kHz,
//! as REW does). Smoothing averages power over `f * 2^(+-1 / (2 b))` using
//! prefix sums, so it costs O(bins + points) whatever the width.

use rustfft::num_complex::Complex64;
use std::fmt;
use std::str::FromStr;

/// Fractional-octave smoothing width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Smoothing {
    /// No smoothing: the spectrum is interpolated at each grid point.
    #[default]
    None,
    /// 1/b-octave smoothing (b = 48, 24, 12, 6 or 3).
    Octave(u32),
}

impl Smoothing {
    /// The smoothing widths tipfit accepts.
    pub const ACCEPTED: &'static str = "none, 1/48, 1/24, 1/12, 1/6, 1/3";
}

impl FromStr for Smoothing {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        if t == "none" || t == "off" || t == "0" {
            return Ok(Smoothing::None);
        }
        let b = t
            .strip_prefix("1/")
            .and_then(|d| d.parse::<u32>().ok())
            .filter(|b| [48, 24, 12, 6, 3].contains(b));
        b.map(Smoothing::Octave).ok_or_else(|| {
            format!(
                "unknown smoothing '{s}': use one of {}",
                Smoothing::ACCEPTED
            )
        })
    }
}

impl fmt::Display for Smoothing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Smoothing::None => f.write_str("none"),
            Smoothing::Octave(b) => write!(f, "1/{b}"),
        }
    }
}

/// Stored as its name (`none`, `1/12`, ...).
impl serde::Serialize for Smoothing {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Read from any spelling [`Smoothing::from_str`] accepts; anything else is
/// refused naming the accepted widths.
impl<'de> serde::Deserialize<'de> for Smoothing {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Log-spaced grid frequencies from `f_min_hz` to `f_max_hz` (inclusive where
/// a point falls on it), `points_per_octave` per octave, aligned to 1 kHz.
pub fn log_grid(f_min_hz: f64, f_max_hz: f64, points_per_octave: u32) -> Vec<f64> {
    let ppo = points_per_octave.max(1) as f64;
    let k_min = (ppo * (f_min_hz / 1000.0).log2() - 1e-9).ceil() as i64;
    let k_max = (ppo * (f_max_hz / 1000.0).log2() + 1e-9).floor() as i64;
    (k_min..=k_max)
        .map(|k| 1000.0 * 2f64.powf(k as f64 / ppo))
        .collect()
}

/// A half spectrum (bins `0..=n/2` of an `n`-point FFT) ready for sampling
/// at arbitrary frequencies, with or without smoothing.
pub struct SpectrumSampler<'a> {
    spectrum: &'a [Complex64],
    bin_hz: f64,
    power_prefix: Vec<f64>,
    complex_prefix: Vec<Complex64>,
}

impl<'a> SpectrumSampler<'a> {
    /// Prepare `spectrum` whose bins are `bin_hz` apart.
    pub fn new(spectrum: &'a [Complex64], bin_hz: f64) -> Self {
        let mut power_prefix = Vec::with_capacity(spectrum.len() + 1);
        let mut complex_prefix = Vec::with_capacity(spectrum.len() + 1);
        power_prefix.push(0.0);
        complex_prefix.push(Complex64::new(0.0, 0.0));
        for c in spectrum {
            power_prefix.push(power_prefix.last().unwrap() + c.norm_sqr());
            complex_prefix.push(complex_prefix.last().unwrap() + c);
        }
        Self {
            spectrum,
            bin_hz,
            power_prefix,
            complex_prefix,
        }
    }

    /// Like [`Self::new`] for magnitudes only ([`Self::magnitude`]): no
    /// complex prefix sums are built, and the complex value
    /// [`Self::sample`] gives when smoothing is 0.
    pub fn magnitudes(spectrum: &'a [Complex64], bin_hz: f64) -> Self {
        let mut power_prefix = Vec::with_capacity(spectrum.len() + 1);
        power_prefix.push(0.0);
        let mut acc = 0.0;
        for c in spectrum {
            acc += c.norm_sqr();
            power_prefix.push(acc);
        }
        Self {
            spectrum,
            bin_hz,
            power_prefix,
            complex_prefix: Vec::new(),
        }
    }

    /// The magnitude [`Self::sample`] gives (the RMS over the band), without
    /// the complex value.
    pub fn magnitude(&self, freq_hz: f64, smoothing: Smoothing) -> f64 {
        let Smoothing::Octave(b) = smoothing else {
            return self.interpolate_magnitude(freq_hz);
        };
        let half = 2f64.powf(1.0 / (2.0 * b as f64));
        let lo = freq_hz / half / self.bin_hz;
        let hi = freq_hz * half / self.bin_hz;
        if hi - lo < 1.5 {
            return self.interpolate_magnitude(freq_hz);
        }
        let p = Self::integral(&self.power_prefix, lo, hi) * (1.0 / (hi - lo));
        p.max(0.0).sqrt()
    }

    /// Complex value at `freq_hz`, linearly interpolated between bins.
    pub fn interpolate(&self, freq_hz: f64) -> Complex64 {
        let pos = (freq_hz / self.bin_hz).max(0.0);
        let last = self.spectrum.len() - 1;
        let i = (pos.floor() as usize).min(last);
        let j = (i + 1).min(last);
        let t = (pos - i as f64).clamp(0.0, 1.0);
        self.spectrum[i] * (1.0 - t) + self.spectrum[j] * t
    }

    /// Magnitude interpolated in the log domain between bins (smoother than
    /// interpolating the complex value where the phase turns fast).
    fn interpolate_magnitude(&self, freq_hz: f64) -> f64 {
        let pos = (freq_hz / self.bin_hz).max(0.0);
        let last = self.spectrum.len() - 1;
        let i = (pos.floor() as usize).min(last);
        let j = (i + 1).min(last);
        let t = (pos - i as f64).clamp(0.0, 1.0);
        let (a, b) = (self.spectrum[i].norm(), self.spectrum[j].norm());
        if a > 0.0 && b > 0.0 {
            (a.ln() * (1.0 - t) + b.ln() * t).exp()
        } else {
            a * (1.0 - t) + b * t
        }
    }

    /// Integral of a prefix-summed bin quantity over `[lo, hi]` in bins, each
    /// bin `k` covering `[k - 0.5, k + 0.5]`.
    fn integral<T>(prefix: &[T], lo: f64, hi: f64) -> T
    where
        T: Copy
            + std::ops::Sub<Output = T>
            + std::ops::Mul<f64, Output = T>
            + std::ops::Add<Output = T>,
    {
        let at = |x: f64| -> T {
            // prefix value at continuous position x (in bins, shifted by 0.5)
            let x = (x + 0.5).clamp(0.0, (prefix.len() - 1) as f64);
            let i = (x.floor() as usize).min(prefix.len() - 2);
            let t = x - i as f64;
            prefix[i] * (1.0 - t) + prefix[i + 1] * t
        };
        at(hi) - at(lo)
    }

    /// Magnitude and complex value at `freq_hz` under `smoothing`. The
    /// magnitude is the RMS over the band (power average); the complex
    /// value (for phase) is the plain average.
    pub fn sample(&self, freq_hz: f64, smoothing: Smoothing) -> (f64, Complex64) {
        let Smoothing::Octave(b) = smoothing else {
            return (
                self.interpolate_magnitude(freq_hz),
                self.interpolate(freq_hz),
            );
        };
        let half = 2f64.powf(1.0 / (2.0 * b as f64));
        let lo = freq_hz / half / self.bin_hz;
        let hi = freq_hz * half / self.bin_hz;
        if hi - lo < 1.5 {
            return (
                self.interpolate_magnitude(freq_hz),
                self.interpolate(freq_hz),
            );
        }
        let width = hi - lo;
        let p = Self::integral(&self.power_prefix, lo, hi) * (1.0 / width);
        let c = if self.complex_prefix.is_empty() {
            Complex64::new(0.0, 0.0)
        } else {
            Self::integral(&self.complex_prefix, lo, hi) * (1.0 / width)
        };
        (p.max(0.0).sqrt(), c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_is_aligned_to_1k_and_spans_the_range() {
        let g = log_grid(10.0, 20_000.0, 48);
        assert!(g.iter().any(|f| (f - 1000.0).abs() < 1e-9));
        assert!(g[0] >= 10.0 && g[0] < 10.0 * 2f64.powf(1.0 / 48.0));
        assert!(*g.last().unwrap() <= 20_000.0);
        let ratio = g[1] / g[0];
        assert!((ratio - 2f64.powf(1.0 / 48.0)).abs() < 1e-12);
    }

    #[test]
    fn smoothing_parses_the_accepted_widths_only() {
        assert_eq!("1/12".parse::<Smoothing>(), Ok(Smoothing::Octave(12)));
        assert_eq!("none".parse::<Smoothing>(), Ok(Smoothing::None));
        assert!("1/5".parse::<Smoothing>().is_err());
        assert!("x".parse::<Smoothing>().is_err());
    }

    #[test]
    fn smoothing_a_flat_spectrum_keeps_it_flat() {
        let spec = vec![Complex64::new(2.0, 0.0); 4097];
        let s = SpectrumSampler::new(&spec, 48_000.0 / 8192.0);
        for sm in [Smoothing::None, Smoothing::Octave(3), Smoothing::Octave(48)] {
            for f in [30.0, 1000.0, 15_000.0] {
                let (m, _) = s.sample(f, sm);
                assert!((m - 2.0).abs() < 1e-9, "{sm} at {f}: {m}");
            }
        }
    }

    #[test]
    fn magnitudes_only_read_what_sample_reads() {
        let spec: Vec<Complex64> = (0..8193)
            .map(|k| Complex64::from_polar(1.0 + (k % 7) as f64, k as f64 * 0.3))
            .collect();
        let (full, mag) = (
            SpectrumSampler::new(&spec, 3.0),
            SpectrumSampler::magnitudes(&spec, 3.0),
        );
        for sm in [Smoothing::None, Smoothing::Octave(12), Smoothing::Octave(3)] {
            for f in [10.0, 100.0, 1000.0, 20_000.0] {
                assert_eq!(full.sample(f, sm).0, mag.magnitude(f, sm), "{sm} {f}");
                assert_eq!(full.sample(f, sm).0, mag.sample(f, sm).0, "{sm} {f}");
            }
        }
    }

    #[test]
    fn smoothing_averages_power_over_the_band() {
        // Alternate bins of power 1 and 9: the power average is 5.
        let spec: Vec<Complex64> = (0..8193)
            .map(|k| Complex64::new(if k % 2 == 0 { 1.0 } else { 3.0 }, 0.0))
            .collect();
        let s = SpectrumSampler::new(&spec, 1.0);
        let (m, _) = s.sample(4000.0, Smoothing::Octave(3));
        assert!((m * m - 5.0).abs() < 0.01, "{}", m * m);
    }
}
