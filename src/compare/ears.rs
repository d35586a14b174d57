//! Per-ear statistics: a session measured on both ears (fits stored per ear,
//! [`FitRecord::ear`]) is compared ear by ear, never pooling the two ears
//! as if they were fits of one, and each tip gets a left/right balance.
//!
//! Which ear a fit is of: its `ear`; a fit stored without one is of the
//! session's ear (`SessionInfo::ear`), and of the left ear in a session of
//! both ears. A comparison is per ear when its fits hold both a left and a
//! right one; then `Comparison::tips` (and its rankings) is the left ear and
//! [`Ears::right`] the right ear. Otherwise there is one ear and
//! `Comparison::tips` holds it, as always.
//!
//! The balance of a tip is over its pairs: the fits (same fit number)
//! measured on both ears, neither skipped. Per pair, right minus left: the
//! bass level (`seal.bass_db`, dB re mids), and per octave band 125 Hz-8 kHz
//! the mean level of the response in the band (one-octave band, 1/12-octave
//! points, each response normalised to its own 300-1000 Hz mean).

use super::rank::{self, Ranking};
use super::stats::Stat;
use super::tips::TipStats;
use crate::analysis::seal::interpolate_db;
use crate::analysis::FrequencyResponse;
use crate::session::config::Ear;
use crate::session::model::FitRecord;
use serde::{Deserialize, Serialize};

/// The octave band centres of the balance, Hz.
pub const BALANCE_BANDS_HZ: [f64; 7] = [125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0];

/// The per-ear part of a comparison (JSON `ears`, present only when the
/// session's fits hold both ears).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ears {
    /// The right ear, per tip in session order, with its own rankings
    /// (`Comparison::tips` is the left ear).
    pub right: EarComparison,
    /// Per tip, in session order: right minus left.
    pub balance: Vec<EarBalance>,
    /// The tip to use in each ear ([`recommend`]).
    #[serde(default)]
    pub recommended: Recommendation,
}

/// The tip recommended for each ear: the best seal verdict (good, fair,
/// poor, no-seal: the median over the ear's fits), then the most
/// isolation (A-weighted pink), then the least bass deficit. `None` for an
/// ear without measured fits.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// For the left ear.
    pub left: Option<String>,
    /// For the right ear.
    pub right: Option<String>,
    /// True when the two ears' best tips differ.
    pub differ: bool,
    /// One sentence for people.
    pub sentence: String,
}

/// The best tip of one ear's statistics (see [`Recommendation`]).
pub fn best_tip(tips: &[TipStats]) -> Option<&TipStats> {
    use crate::analysis::Verdict;
    let class = |t: &TipStats| match t.verdict {
        Some(Verdict::Good) => 0,
        Some(Verdict::Fair) => 1,
        Some(Verdict::Poor) => 2,
        Some(Verdict::NoSeal) => 3,
        None => 4,
    };
    let iso = |t: &TipStats| {
        t.isolation_rating_db
            .as_ref()
            .map_or(f64::NEG_INFINITY, |s| s.mean)
    };
    let deficit = |t: &TipStats| t.bass_deficit_db().map_or(f64::INFINITY, |s| s.mean);
    tips.iter()
        .filter(|t| t.fits > 0 && (t.verdict.is_some() || t.isolation_rating_db.is_some()))
        .min_by(|a, b| {
            class(a)
                .cmp(&class(b))
                .then(iso(b).total_cmp(&iso(a)))
                .then(deficit(a).total_cmp(&deficit(b)))
        })
}

/// The recommendation for the two ears from each ear's statistics.
pub fn recommend(left: &[TipStats], right: &[TipStats]) -> Recommendation {
    let l = best_tip(left).map(|t| t.name.clone());
    let r = best_tip(right).map(|t| t.name.clone());
    let differ = matches!((&l, &r), (Some(a), Some(b)) if a != b);
    let sentence = match (&l, &r) {
        (Some(a), Some(b)) if a == b => format!("recommended tip: {a} in both ears"),
        (Some(a), Some(b)) => format!(
            "the ears disagree: use {a} in the left ear and {b} in the right ear (each ear's best seal, then isolation)"
        ),
        (Some(a), None) => format!("recommended tip: {a} in the left ear (no measured fits of the right ear)"),
        (None, Some(b)) => format!("recommended tip: {b} in the right ear (no measured fits of the left ear)"),
        (None, None) => "no tip can be recommended: no measured fits".into(),
    };
    Recommendation {
        left: l,
        right: r,
        differ,
        sentence,
    }
}

/// The statistics and rankings of one ear.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EarComparison {
    /// Per tip, in session order (a tip without fits of this ear has
    /// `fits` 0).
    pub tips: Vec<TipStats>,
    /// Seal ranking of this ear, by the fitted leak corner.
    pub seal_ranking: Ranking,
    /// Tips of this ear without a fitted leak, by bass deficit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bass_deficit_ranking: Option<Ranking>,
    /// Isolation ranking of this ear.
    pub isolation_ranking: Option<Ranking>,
    /// The tip effect of this ear ([`super::tip_effect`]).
    #[serde(default)]
    pub tip_effect: Vec<super::TipEffect>,
}

impl EarComparison {
    /// Statistics and rankings of `tips`.
    pub fn of(tips: Vec<TipStats>) -> EarComparison {
        let (seal_ranking, bass_deficit_ranking) = rank::seal_rankings(&tips);
        let isolation_ranking = rank::isolation_ranking(&tips);
        EarComparison {
            tips,
            seal_ranking,
            bass_deficit_ranking,
            isolation_ranking,
            tip_effect: Vec::new(),
        }
    }
}

/// The left/right balance of one tip, right minus left.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EarBalance {
    /// Tip name.
    pub tip: String,
    /// Pairs: fits measured on both ears.
    pub n: usize,
    /// The fit numbers of the pairs.
    pub fits: Vec<usize>,
    /// Right minus left bass level (`seal.bass_db`) over the pairs, dB
    /// (`None` without pairs).
    pub bass_db: Option<Stat>,
    /// Octave band centres, Hz ([`BALANCE_BANDS_HZ`]).
    pub centre_hz: Vec<f64>,
    /// Per band, the mean over pairs of right minus left level, responses
    /// normalised at 300-1000 Hz, dB (`null` where no pair's responses both
    /// cover the band).
    pub band_db: Vec<Option<f64>>,
}

/// The ear a fit is of (see the module documentation).
pub fn side_of(r: &FitRecord, session: Ear) -> Ear {
    match r.ear {
        Some(Ear::Left) => Ear::Left,
        Some(Ear::Right) => Ear::Right,
        _ if session == Ear::Right => Ear::Right,
        _ => Ear::Left,
    }
}

/// True when `fits` hold both a left and a right fit.
pub fn two_ears(fits: &[FitRecord], session: Ear) -> bool {
    let has = |e| fits.iter().any(|r| side_of(r, session) == e);
    has(Ear::Left) && has(Ear::Right)
}

/// Points from `lo` to `hi` Hz, 12 per octave.
fn points(lo: f64, hi: f64) -> Vec<f64> {
    let n = ((hi / lo).log2() * 12.0).round().max(1.0) as usize;
    (0..=n)
        .map(|i| lo * (hi / lo).powf(i as f64 / n as f64))
        .collect()
}

fn covers(fr: &FrequencyResponse, lo: f64, hi: f64) -> bool {
    match (fr.freq_hz.first(), fr.freq_hz.last()) {
        (Some(a), Some(b)) => *a <= lo * 1.001 && *b >= hi * 0.999 && fr.freq_hz.len() > 1,
        _ => false,
    }
}

/// The mean level of `fr` from `lo` to `hi` Hz (interpolated on
/// 1/12-octave points); `None` when `fr` does not cover the band.
fn band_level(fr: &FrequencyResponse, lo: f64, hi: f64) -> Option<f64> {
    if !covers(fr, lo, hi) {
        return None;
    }
    let v: Vec<f64> = points(lo, hi)
        .into_iter()
        .map(|f| interpolate_db(&fr.freq_hz, &fr.db, f))
        .collect();
    let m = v.iter().sum::<f64>() / v.len() as f64;
    m.is_finite().then_some(m)
}

/// Per octave band of [`BALANCE_BANDS_HZ`], the level of `fr` re its
/// 300-1000 Hz mean.
fn normalised_bands(fr: &FrequencyResponse) -> Vec<Option<f64>> {
    let mids = band_level(fr, 300.0, 1000.0);
    BALANCE_BANDS_HZ
        .iter()
        .map(|c| {
            let (lo, hi) = (c / std::f64::consts::SQRT_2, c * std::f64::consts::SQRT_2);
            Some(band_level(fr, lo, hi)? - mids?)
        })
        .collect()
}

/// The balance of tip `tip` from `fits` (all the session's fits).
pub fn balance(tip: &str, fits: &[FitRecord], session: Ear) -> EarBalance {
    let of = |e: Ear| {
        fits.iter()
            .filter(move |r| r.tip == tip && !r.skipped && side_of(r, session) == e)
            .filter_map(|r| Some((r.fit, r.response()?)))
    };
    let mut pairs: Vec<(usize, _, _)> = of(Ear::Left)
        .filter_map(|(n, l)| Some((n, l, of(Ear::Right).find(|(m, _)| *m == n)?.1)))
        .collect();
    pairs.sort_by_key(|p| p.0);
    pairs.dedup_by_key(|p| p.0);
    let bass: Vec<f64> = pairs
        .iter()
        .map(|(_, l, r)| r.seal.bass_db - l.seal.bass_db)
        .collect();
    let diffs: Vec<Vec<Option<f64>>> = pairs
        .iter()
        .map(|(_, l, r)| {
            normalised_bands(&r.frequency_response)
                .into_iter()
                .zip(normalised_bands(&l.frequency_response))
                .map(|(r, l)| Some(r? - l?))
                .collect()
        })
        .collect();
    let band_db = (0..BALANCE_BANDS_HZ.len())
        .map(|i| {
            let v: Vec<f64> = diffs.iter().filter_map(|d| d[i]).collect();
            (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
        })
        .collect();
    EarBalance {
        tip: tip.into(),
        n: pairs.len(),
        fits: pairs.iter().map(|p| p.0).collect(),
        bass_db: Stat::of(&bass),
        centre_hz: BALANCE_BANDS_HZ.to_vec(),
        band_db,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fr(f: impl Fn(f64) -> f64) -> FrequencyResponse {
        let freq_hz = crate::dsp::grid::log_grid(20.0, 20000.0, 24);
        let db = freq_hz.iter().map(|x| f(*x)).collect();
        FrequencyResponse {
            freq_hz,
            db,
            phase_deg: None,
        }
    }

    /// A constant offset is normalised away; a step above 1.5 kHz shows in
    /// the bands above it only.
    #[test]
    fn bands_are_normalised_at_the_mids() {
        let flat = normalised_bands(&fr(|_| 80.0));
        assert!(flat.iter().all(|b| b.unwrap().abs() < 1e-9), "{flat:?}");
        let step = normalised_bands(&fr(|f| if f > 1500.0 { 73.0 } else { 70.0 }));
        assert!(step[0].unwrap().abs() < 1e-9);
        assert!((step[5].unwrap() - 3.0).abs() < 1e-9, "{step:?}");
        let short = FrequencyResponse {
            freq_hz: vec![200.0, 2000.0],
            db: vec![0.0, 0.0],
            phase_deg: None,
        };
        let b = normalised_bands(&short);
        assert_eq!(b[0], None);
        assert_eq!(b[6], None);
        assert!(b[3].is_some());
    }

    #[test]
    fn unmarked_fits_are_of_the_sessions_ear() {
        let r: FitRecord = serde_json::from_value(serde_json::json!({
            "schema_version": 1, "tip": "t", "fit": 1
        }))
        .unwrap();
        assert_eq!(side_of(&r, Ear::Right), Ear::Right);
        assert_eq!(side_of(&r, Ear::Both), Ear::Left);
        let right = FitRecord {
            ear: Some(Ear::Right),
            ..r.clone()
        };
        assert_eq!(side_of(&right, Ear::Left), Ear::Right);
        assert!(two_ears(&[r.clone(), right.clone()], Ear::Both));
        assert!(!two_ears(&[right.clone(), right], Ear::Left));
        assert!(!two_ears(&[r], Ear::Left));
    }
}
