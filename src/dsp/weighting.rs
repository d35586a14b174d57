//! IEC 61672-1 frequency weightings (A and C).
//!
//! The analytic forms of IEC 61672-1:2013, Annex E:
//! `R_A(f) = 12194² f⁴ / ((f² + 20.6²) √((f² + 107.7²)(f² + 737.9²)) (f² + 12194²))`,
//! `A(f) = 20 lg R_A(f) + 2.00 dB`, and
//! `R_C(f) = 12194² f² / ((f² + 20.6²)(f² + 12194²))`, `C(f) = 20 lg R_C(f) + 0.06 dB`.
//! The offsets make both weightings 0 dB at 1 kHz. Levels are floored like
//! [`super::db`], so 0 Hz (or a non-finite frequency) gives a large negative
//! number, never minus infinity or NaN.

use super::db;

/// Nominal octave-band centre frequencies used by the rating and
/// safe-listening code, Hz (IEC 61260-1 labels 63 ... 8000).
pub const OCTAVE_CENTRES_HZ: [f64; 8] = [63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0];

const F1_HZ: f64 = 20.6;
const F2_HZ: f64 = 107.7;
const F3_HZ: f64 = 737.9;
const F4_HZ: f64 = 12194.0;

/// A-weighting at `freq_hz`, dB re the response at 1 kHz.
pub fn a_weighting_db(freq_hz: f64) -> f64 {
    let f2 = freq_hz * freq_hz;
    let r = F4_HZ * F4_HZ * f2 * f2
        / ((f2 + F1_HZ * F1_HZ)
            * ((f2 + F2_HZ * F2_HZ) * (f2 + F3_HZ * F3_HZ)).sqrt()
            * (f2 + F4_HZ * F4_HZ));
    db(r) + 2.00
}

/// C-weighting at `freq_hz`, dB re the response at 1 kHz.
pub fn c_weighting_db(freq_hz: f64) -> f64 {
    let f2 = freq_hz * freq_hz;
    let r = F4_HZ * F4_HZ * f2 / ((f2 + F1_HZ * F1_HZ) * (f2 + F4_HZ * F4_HZ));
    db(r) + 0.06
}

#[cfg(test)]
mod tests {
    use super::*;

    /// IEC 61672-1 table values at the nominal octave centres 63 Hz ... 8 kHz.
    const A_CHECK_DB: [f64; 8] = [-26.2, -16.2, -8.7, -3.2, 0.0, 1.2, 1.0, -1.1];
    const C_CHECK_DB: [f64; 8] = [-0.8, -0.2, 0.0, 0.0, 0.0, -0.2, -0.8, -3.0];

    #[test]
    fn a_weighting_matches_the_iec_table_within_0_1_db() {
        for (f, want) in OCTAVE_CENTRES_HZ.iter().zip(A_CHECK_DB) {
            let got = a_weighting_db(*f);
            assert!((got - want).abs() <= 0.1, "A({f} Hz) = {got}, table {want}");
        }
    }

    #[test]
    fn c_weighting_matches_the_iec_table_within_0_1_db() {
        for (f, want) in OCTAVE_CENTRES_HZ.iter().zip(C_CHECK_DB) {
            let got = c_weighting_db(*f);
            assert!((got - want).abs() <= 0.1, "C({f} Hz) = {got}, table {want}");
        }
    }

    #[test]
    fn both_weightings_are_zero_at_1_khz() {
        assert!(a_weighting_db(1000.0).abs() < 0.01);
        assert!(c_weighting_db(1000.0).abs() < 0.01);
    }

    #[test]
    fn zero_and_non_finite_frequencies_give_finite_levels() {
        for f in [0.0, -5.0, f64::NAN, f64::INFINITY] {
            assert!(a_weighting_db(f).is_finite(), "A({f})");
            assert!(c_weighting_db(f).is_finite(), "C({f})");
        }
    }
}
