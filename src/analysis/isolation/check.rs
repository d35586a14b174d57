//! The self-check of an isolation result and the noise-floor correction of
//! one band (the rules: [`super`] and docs/isolation.md).

use super::{
    BandTable, IsolationMethod, FLOOR_MARGIN_DB, NO_CORRECTION_ABOVE_DB, OUTER_QUIETER_LIMIT_DB,
};
use crate::dsp::power_db;
use serde::{Deserialize, Serialize};

/// The verdict of [`self_check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Louder open broadband and in every band.
    Ok,
    /// Louder open broadband and in most bands, some bands negative.
    SomeNegative,
    /// Louder open broadband or in most bands, not both: not clearly
    /// swapped, but no safe-listening estimate.
    Doubtful,
    /// Quieter open broadband and in most bands: refused.
    Swapped,
}

/// Whether the open (outer) recording is louder than the occluded (inner)
/// one, broadband and band by band (third octaves).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelfCheck {
    /// Open (outer) minus occluded (inner) level over all bands, as
    /// measured, dB (negative: the occluded one is louder).
    pub broadband_db: f64,
    /// Centres of the bands with negative attenuation (below
    /// `-allowance_db`), Hz.
    pub negative_bands_hz: Vec<f64>,
    /// How far below 0 dB a band may read before it counts as negative, dB
    /// ([`allowance_db`]).
    #[serde(default)]
    pub allowance_db: f64,
    /// Bands checked.
    pub bands: usize,
    /// The verdict.
    pub verdict: Verdict,
}

/// How far below 0 dB insertion loss may read before a band (or the
/// broadband level) counts as negative in [`self_check`], dB: a tip that does
/// not seal (an earbud) isolates nothing in the bass and can read a few
/// tenths of a dB below zero there, and band levels scatter by that much.
pub const IL_ALLOWANCE_DB: f64 = 1.0;

/// How far below 0 dB a band (or the broadband level) may read before it
/// counts as negative in [`self_check`], dB: [`IL_ALLOWANCE_DB`] for
/// insertion loss; for noise reduction [`OUTER_QUIETER_LIMIT_DB`], since with
/// a leaky fit the ear canal's resonance can make the inner mic louder than
/// the outer one.
pub fn allowance_db(method: IsolationMethod) -> f64 {
    match method {
        IsolationMethod::InsertionLoss => IL_ALLOWANCE_DB,
        IsolationMethod::NoiseReduction => OUTER_QUIETER_LIMIT_DB,
    }
}

/// The self-check of a third-octave table of `method` (works on files
/// written before the check too: it needs only the band levels).
pub fn self_check(t: &BandTable, method: IsolationMethod) -> SelfCheck {
    let allowance = allowance_db(method);
    let sum = |f: &dyn Fn(usize) -> f64| {
        power_db(
            (0..t.centre_hz.len())
                .map(|i| 10f64.powf(f(i) / 10.0))
                .filter(|p| p.is_finite())
                .sum(),
        )
    };
    let broadband_db = sum(&|i| t.reference_dbfs(i)) - sum(&|i| t.occluded_dbfs[i]);
    let negative_bands_hz: Vec<f64> = t
        .centre_hz
        .iter()
        .zip(&t.attenuation_db)
        .filter(|(_, a)| **a < -allowance)
        .map(|(c, _)| *c)
        .collect();
    let bands = t.centre_hz.len();
    let louder = broadband_db > -allowance;
    let most = 2 * negative_bands_hz.len() < bands;
    let verdict = match (louder, most) {
        (false, false) => Verdict::Swapped,
        (true, true) if negative_bands_hz.is_empty() => Verdict::Ok,
        (true, true) => Verdict::SomeNegative,
        _ => Verdict::Doubtful,
    };
    SelfCheck {
        broadband_db,
        negative_bands_hz,
        allowance_db: allowance,
        bands,
        verdict,
    }
}

/// One band level corrected for the noise floor by [`correct_for_floor`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FloorCorrected {
    /// Measured level minus the floor, dB.
    pub margin_db: f64,
    /// The level, corrected where `corrected`, dB.
    pub level_db: f64,
    /// True for a margin of 6 to 15 dB.
    pub corrected: bool,
    /// True for a margin under 6 dB: the true level is at most `level_db`.
    pub bound: bool,
}

/// Correct a measured band level `level_db` for a noise floor `floor_db` in
/// the same band (both in dB of power): with the margin `m = L - L_floor`,
/// no correction for `m > 15 dB`, `10 lg(10^(L/10) - 10^(L_floor/10))` for
/// `6 <= m <= 15 dB`, and for `m < 6 dB` no correction and a bound (ISO 3744
/// / ISO 11201 background-noise correction practice).
pub fn correct_for_floor(level_db: f64, floor_db: f64) -> FloorCorrected {
    let margin_db = level_db - floor_db;
    let mut out = FloorCorrected {
        margin_db,
        level_db,
        corrected: false,
        bound: false,
    };
    if margin_db.is_nan() || margin_db > NO_CORRECTION_ABOVE_DB {
        return out;
    }
    if margin_db < FLOOR_MARGIN_DB {
        out.bound = true;
        return out;
    }
    out.level_db = level_db + 10.0 * (1.0 - 10f64.powf(-margin_db / 10.0)).log10();
    out.corrected = true;
    out
}

/// Band centres for a message: "63, 80 and 100 Hz".
pub fn band_list(centres: &[f64]) -> String {
    let names: Vec<String> = centres.iter().map(|c| format!("{c}")).collect();
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => format!("{last} Hz"),
        Some((last, rest)) => format!("{} and {last} Hz", rest.join(", ")),
    }
}

/// The warning of a self-check that passed with doubts (`None` when clean
/// or swapped).
pub fn check_warning(check: &SelfCheck, method: IsolationMethod) -> Option<String> {
    let (open, occluded) = match method {
        IsolationMethod::InsertionLoss => ("open-ear recording", "tip-in recording"),
        IsolationMethod::NoiseReduction => ("outer microphone", "inner microphone"),
    };
    let negative = check.negative_bands_hz.len();
    let louder = if check.allowance_db > 0.0 {
        format!("more than {:.0} dB louder", check.allowance_db)
    } else {
        "louder".to_string()
    };
    match check.verdict {
        Verdict::Ok | Verdict::Swapped => None,
        Verdict::SomeNegative => Some(format!(
            "the {occluded} is {louder} than the {open} at {}: the isolation there is negative. A leaky fit can do this near its leak resonance; otherwise check that the tip stayed in and that the outside noise played the same throughout",
            band_list(&check.negative_bands_hz)
        )),
        Verdict::Doubtful if check.broadband_db <= -check.allowance_db => Some(format!(
            "the {occluded} is {:.1} dB louder than the {open} broadband, although not in {} of {} bands: check the recordings (are they swapped, or did the outside noise change level?); no safe-listening estimate is made from this",
            -check.broadband_db,
            check.bands - negative,
            check.bands
        )),
        Verdict::Doubtful => Some(format!(
            "the {occluded} is {louder} than the {open} in {negative} of {} bands{}, although not broadband: check the recordings (are they swapped, or did the outside noise change?); no safe-listening estimate is made from this",
            check.bands,
            if negative <= 6 {
                format!(" ({})", band_list(&check.negative_bands_hz))
            } else {
                String::new()
            }
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correction_follows_the_energy_subtraction_by_hand() {
        // 20 dB above the floor: over 15, left alone.
        let c = correct_for_floor(-40.0, -60.0);
        assert_eq!((c.level_db, c.corrected, c.bound), (-40.0, false, false));
        assert_eq!(c.margin_db, 20.0);
        // 10 dB: 10 lg(10^-4 - 10^-5) = -40.458 dB.
        let c = correct_for_floor(-40.0, -50.0);
        assert!(c.corrected && !c.bound);
        assert!((c.level_db - (-40.457_575)).abs() < 1e-5, "{c:?}");
        // The edges: 6 and 15 dB are corrected (1.256 and 0.139 dB).
        let c = correct_for_floor(0.0, -6.0);
        assert!(c.corrected && (c.level_db + 1.256).abs() < 1e-3, "{c:?}");
        let c = correct_for_floor(0.0, -15.0);
        assert!(c.corrected && (c.level_db + 0.139).abs() < 1e-3, "{c:?}");
        // 4 dB: a bound, not corrected.
        let c = correct_for_floor(-46.0, -50.0);
        assert_eq!((c.level_db, c.corrected, c.bound), (-46.0, false, true));
        // Nonsense in, nothing changed.
        let c = correct_for_floor(f64::NAN, -50.0);
        assert!(!c.corrected && !c.bound);
    }

    fn self_check_il(t: &BandTable) -> SelfCheck {
        self_check(t, IsolationMethod::InsertionLoss)
    }

    #[test]
    fn noise_reduction_allows_a_little_negative() {
        // Inner 2 dB louder everywhere: a leaky fit's canal resonance can do
        // that to noise reduction, not to insertion loss (1 dB allowance).
        let t = table(&[-2.0, -2.0, -2.0]);
        assert_eq!(
            self_check(&t, IsolationMethod::NoiseReduction).verdict,
            Verdict::Ok
        );
        assert_eq!(self_check_il(&t).verdict, Verdict::Swapped);
        let t = table(&[-20.0, -25.0, -30.0]);
        assert_eq!(
            self_check(&t, IsolationMethod::NoiseReduction).verdict,
            Verdict::Swapped
        );
    }

    fn table(attenuation: &[f64]) -> BandTable {
        let n = attenuation.len();
        BandTable {
            centre_hz: (0..n).map(|i| 100.0 * (i + 1) as f64).collect(),
            attenuation_db: attenuation.to_vec(),
            floor_limited: vec![false; n],
            occluded_dbfs: vec![-60.0; n],
            ..BandTable::default()
        }
    }

    #[test]
    fn self_check_verdicts_on_hand_made_tables() {
        let ok = self_check_il(&table(&[10.0, 20.0, 30.0]));
        assert_eq!(ok.verdict, Verdict::Ok);
        // Broadband of +10, +20, +30 dB over three equal occluded bands:
        // 10 lg((10 + 100 + 1000) / 3) = 25.68 dB.
        assert!((ok.broadband_db - 25.682).abs() < 1e-3, "{ok:?}");
        // An earbud's -0.5 dB in the bass is within the allowance.
        assert_eq!(
            self_check_il(&table(&[-0.5, -0.5, 30.0])).verdict,
            Verdict::Ok
        );
        let some = self_check_il(&table(&[-1.5, 20.0, 30.0]));
        assert_eq!(some.verdict, Verdict::SomeNegative);
        assert_eq!(some.negative_bands_hz, vec![100.0]);
        // Quieter in 2 of 3 bands but louder broadband: doubtful.
        let doubtful = self_check_il(&table(&[-1.5, -1.5, 30.0]));
        assert_eq!(doubtful.verdict, Verdict::Doubtful);
        // Negative across the board: swapped.
        let swapped = self_check_il(&table(&[-40.0, -45.0, -41.0]));
        assert_eq!(swapped.verdict, Verdict::Swapped);
        // 10 lg((10^-4 + 10^-4.5 + 10^-4.1) / 3) = -41.527 dB.
        assert!((swapped.broadband_db + 41.527).abs() < 1e-3, "{swapped:?}");
        // The open level of a corrected band leaves the correction out.
        let mut t = table(&[10.0, 11.0]);
        t.corrected = vec![true, false];
        t.correction_db = vec![1.0, 0.0];
        assert_eq!(t.reference_dbfs(0), -51.0);
        assert_eq!(t.reference_dbfs(1), -49.0);
    }

    #[test]
    fn band_lists_read_as_words() {
        assert_eq!(band_list(&[63.0]), "63 Hz");
        assert_eq!(band_list(&[63.0, 80.0, 100.0]), "63, 80 and 100 Hz");
    }
}
