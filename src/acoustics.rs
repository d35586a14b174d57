//! The leak model (MEASUREMENT.md section 1).
//!
//! A sealed tip makes the canal a closed compliance `C = V / (rho c^2)`. A leak
//! is an acoustic mass `M` with resistance `R` from that volume to outside.
//! Driven by a volume-velocity source, the canal pressure relative to the
//! sealed case is
//!
//! `p_leak / p_sealed = jwC (R + jwM) / (1 - w^2 M C + jwRC)`
//!
//! which, with `w0 = 1 / sqrt(M C)` and `zeta = (R / 2) sqrt(C / M)`, is the
//! high-pass `(s^2 + 2 zeta w0 s) / (s^2 + 2 zeta w0 s + w0^2)`: 12 dB/octave
//! below `f0` for a mass-dominated leak (small zeta), 6 dB/octave below
//! `1 / (2 pi R C)` for a resistive one (large zeta). The same leak passes
//! outside sound into the canal as the low-pass `w0^2 / (...)`.
//!
//! The *leak corner* tipfit reports is the -3 dB frequency of that high-pass.

use crate::dsp::biquad::AnalogBiquad;
use rustfft::num_complex::Complex64;
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// Air density, kg/m^3.
pub const RHO: f64 = 1.2;
/// rho c^2 for air, Pa (MEASUREMENT.md: ~1.41e5).
pub const RHO_C2: f64 = 1.41e5;
/// Dynamic viscosity of air, Pa s.
pub const ETA: f64 = 1.8e-5;

/// Compliance in m^5/N of a closed volume in cm^3.
pub fn compliance(volume_cm3: f64) -> f64 {
    volume_cm3 * 1e-6 / RHO_C2
}

/// A leak, described by its resonance with the canal compliance.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Leak {
    /// `1 / (2 pi sqrt(M C))`, Hz.
    pub f0_hz: f64,
    /// Damping `(R / 2) sqrt(C / M)`; large values mean a resistive leak.
    pub zeta: f64,
}

impl Leak {
    /// A leak from its acoustic mass (kg/m^4), resistance (Pa s/m^3) and the
    /// canal compliance (m^5/N).
    pub fn from_elements(mass: f64, resistance: f64, compliance: f64) -> Self {
        Self {
            f0_hz: 1.0 / (2.0 * PI * (mass * compliance).sqrt()),
            zeta: 0.5 * resistance * (compliance / mass).sqrt(),
        }
    }

    /// A round tube of `radius_m` and `length_m` into a canal of
    /// `volume_cm3`: mass `rho l' / (pi a^2)` with end corrections
    /// `l' = l + 1.7 a`, Poiseuille resistance `8 eta l / (pi a^4)`.
    pub fn tube(radius_m: f64, length_m: f64, volume_cm3: f64) -> Self {
        let area = PI * radius_m * radius_m;
        let mass = RHO * (length_m + 1.7 * radius_m) / area;
        let resistance = 8.0 * ETA * length_m / (PI * radius_m.powi(4));
        Self::from_elements(mass, resistance, compliance(volume_cm3))
    }

    /// Acoustic mass M (kg/m^4) for a canal of `volume_cm3`.
    pub fn mass(&self, volume_cm3: f64) -> f64 {
        let w0 = 2.0 * PI * self.f0_hz;
        1.0 / (w0 * w0 * compliance(volume_cm3))
    }

    /// Acoustic resistance R (Pa s/m^3) for a canal of `volume_cm3`.
    pub fn resistance(&self, volume_cm3: f64) -> f64 {
        let c = compliance(volume_cm3);
        2.0 * self.zeta * (self.mass(volume_cm3) / c).sqrt()
    }

    /// The high-pass `p_leak / p_sealed` as an analog prototype.
    pub fn bass_filter(&self) -> AnalogBiquad {
        let w0 = 2.0 * PI * self.f0_hz;
        AnalogBiquad {
            b: [1.0, 2.0 * self.zeta * w0, 0.0],
            a: [1.0, 2.0 * self.zeta * w0, w0 * w0],
        }
    }

    /// The low-pass leak path from outside into the canal.
    pub fn leak_path(&self) -> AnalogBiquad {
        let w0 = 2.0 * PI * self.f0_hz;
        AnalogBiquad {
            b: [0.0, 0.0, w0 * w0],
            a: [1.0, 2.0 * self.zeta * w0, w0 * w0],
        }
    }

    /// `p_leak / p_sealed` at `freq_hz`.
    pub fn bass_response(&self, freq_hz: f64) -> Complex64 {
        self.bass_filter().response(freq_hz)
    }

    /// The -3 dB frequency of the bass high-pass, Hz.
    pub fn corner_hz(&self) -> f64 {
        let target = std::f64::consts::FRAC_1_SQRT_2;
        // |H| rises monotonically from 0 up to its first crossing of -3 dB.
        let (mut lo, mut hi) = ((self.f0_hz * 1e-4).ln(), (self.f0_hz * 10.0).ln());
        for _ in 0..100 {
            let mid = 0.5 * (lo + hi);
            if self.bass_response(mid.exp()).norm() < target {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        (0.5 * (lo + hi)).exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mass_dominated_leak_falls_12_db_per_octave() {
        let leak = Leak {
            f0_hz: 4000.0,
            zeta: 0.0005,
        };
        let a = leak.bass_response(100.0).norm();
        let b = leak.bass_response(200.0).norm();
        assert!((20.0 * (b / a).log10() - 12.0).abs() < 0.3);
    }

    #[test]
    fn resistive_leak_falls_6_db_per_octave_below_rc_corner() {
        let leak = Leak {
            f0_hz: 400.0,
            zeta: 50.0,
        };
        let rc_corner = leak.f0_hz / (2.0 * leak.zeta);
        assert!((leak.corner_hz() / rc_corner - 1.0).abs() < 0.01);
        let a = leak.bass_response(rc_corner / 20.0).norm();
        let b = leak.bass_response(rc_corner / 10.0).norm();
        assert!((20.0 * (b / a).log10() - 6.0).abs() < 0.1);
    }

    #[test]
    fn elements_round_trip() {
        let leak = Leak::tube(0.4e-3, 5e-3, 1.2);
        let back = Leak::from_elements(leak.mass(1.2), leak.resistance(1.2), compliance(1.2));
        assert!((back.f0_hz - leak.f0_hz).abs() < 1e-9 * leak.f0_hz);
        assert!((back.zeta - leak.zeta).abs() < 1e-9);
    }

    #[test]
    fn corner_is_where_the_response_is_3_db_down() {
        for zeta in [0.1, 0.7, 3.0] {
            let leak = Leak { f0_hz: 100.0, zeta };
            let c = leak.corner_hz();
            let level = 20.0 * leak.bass_response(c).norm().log10();
            assert!((level + 3.0103).abs() < 1e-6, "zeta {zeta}: {level}");
            assert!(c < leak.f0_hz);
        }
    }
}
