//! Compare tips across fits: per-tip statistics, rankings with ties,
//! outliers. Reads stored fits only; never measures, never presents (the
//! terminal table and the CSV are in `report::table`).
//!
//! - [`stats`]: the statistics themselves (mean, SD, Student t interval,
//!   median, robust z, the spread of curves), free of fits and tips.
//! - [`tips`]: per-tip statistics over fits.
//! - [`rank`]: rankings, each in one metric and unit ([`RankMetric`]).
//!
//! - Spread: mean, sample SD and the 95 % confidence interval of the mean
//!   (Student t) over fits.
//! - Leak corner ([`corner`]): per fit a value or a bound ("< 20 Hz" below
//!   the measured range, "> 1 kHz" beyond the fitted range); per tip the
//!   geometric mean with its log-scale 95 % interval, or the median when
//!   some fits are bounds, or the bound when all are.
//! - Seal ranking: by the leak corner (lower is a better seal; fitted
//!   against the reference response when the session has one), compared on
//!   log10(corner). Tips whose corner is below the measured range tie first,
//!   those beyond the fitted range tie last (each group listed by bass
//!   deficit, said in the ranking's `note`). Tips without any usable leak
//!   fit are ranked on their own, by bass deficit (bass loss, else minus the
//!   bass level), in dB. Two neighbours are tied when their difference is
//!   inside 1.96 x the combined standard error of their means, or smaller
//!   than a practical minimum ([`MIN_RANK_DIFF`]).
//! - Isolation ranking: by the per-fit attenuation of A-weighted pink noise
//!   (octave bands 125 Hz-8 kHz of the insertion loss), higher is better.
//! - Repeatability: the fit-to-fit SD of the response on a 1/6-octave grid
//!   20 Hz-1 kHz; `max_sd_db` is its largest value. A pair of sealing fits
//!   that differ by more than `refit_db` there (default 2.5 dB) is listed
//!   (fits with no seal at all are not: refitting a tip that cannot seal
//!   does not help).
//! - Outliers: a fit whose bass level or corner is more than 3.5 robust
//!   z-scores from the tip's median (modified z = 0.6745 (x - median) / MAD;
//!   Iglewicz & Hoaglin 1993) and further from it than a practical minimum
//!   (1 dB of bass, 0.15 decade of corner; a bound counts as its bound,
//!   corners below 15 Hz as 15 Hz) is reported, never dropped.
//! - Ears ([`ears`]): fits measured on both ears are never pooled as if
//!   they were fits. When the fits hold both ears, `tips` and the rankings
//!   are the left ear's (left is the first of a pair, as import and the
//!   file names order them) and `ears` holds the right ear's statistics and
//!   rankings and the per-tip balance, right minus left.
//! - Tip effect ([`tip_effect`]): per tip but the baseline, the mean level
//!   difference against the baseline tip in seven bands (sub-bass to air),
//!   each fit normalised in the reference band, with Welch 95 % intervals.

pub mod corner;
pub mod ears;
pub mod listening;
pub mod rank;
pub mod stats;
pub mod tip_effect;
pub mod tips;

pub use corner::{Corner, CornerMethod, CornerStat};
pub use ears::{EarBalance, EarComparison, Ears};
pub use rank::{Bound, RankEntry, RankMetric, RankUnit, Ranking, MIN_RANK_DIFF};
pub use stats::{finite_mean, Stat};
pub use tip_effect::{BandEffect, TipEffect, EFFECT_BANDS};
pub use tips::{
    isolation_rating, tip_stats, OctaveStats, Outlier, OutlierMetric, TipStats,
    OUTLIER_CORNER_FLOOR_HZ, OUTLIER_MIN_DEV,
};

use crate::session::config::Ear;
use crate::session::model::{FitRecord, SessionInfo};
use serde::{Deserialize, Serialize};

/// The comparison of a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// IEM name.
    pub iem: String,
    /// Per tip, in session order; of the left ear when the fits hold both
    /// ears (`ears` then holds the right one), else of the session's ear.
    pub tips: Vec<TipStats>,
    /// Seal ranking, by the fitted leak corner ([`RankMetric::LeakCorner`]).
    pub seal_ranking: Ranking,
    /// The tips without a fitted leak, by bass deficit
    /// ([`RankMetric::BassDeficit`]); absent when there are none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bass_deficit_ranking: Option<Ranking>,
    /// Isolation ranking (when isolation was measured).
    pub isolation_ranking: Option<Ranking>,
    /// Problems met while reading (corrupt fits, ...).
    pub warnings: Vec<String>,
    /// What the seal figures are relative to when that is not the stored
    /// reference (`reference.measure = "best-fit"`): information, not a
    /// warning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_note: Option<String>,
    /// The refit limit used for `refit_pairs`, dB.
    pub refit_db: f64,
    /// When the fits hold both ears: the right ear and the left/right
    /// balance ([`Ears`]); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ears: Option<Ears>,
    /// What a poor seal costs in listening level ([`listening`]): per
    /// ambient and tip (of the ear `tips` describes), the gain that matches
    /// the best-sealing tip's music loudness in the noise each tip lets in.
    #[serde(default)]
    pub listening_penalty: Vec<crate::analysis::listening::ListeningPenalty>,
    /// Why `listening_penalty` is empty, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listening_note: Option<String>,
    /// Per tip but the baseline, in session order: the level difference
    /// against the baseline per band ([`tip_effect`]); of the left ear when
    /// the fits hold both (`ears.right.tip_effect` then the right one).
    #[serde(default)]
    pub tip_effect: Vec<TipEffect>,
}

/// With `reference.measure = "best-fit"` (and no stored reference): the
/// fits with their seal metrics recomputed against the fit with the most
/// bass, and a note saying which fit that is.
pub fn best_fit_reference(
    info: &SessionInfo,
    fits: &[FitRecord],
) -> Option<(Vec<FitRecord>, String)> {
    let cfg = info.config.as_ref()?;
    if cfg.reference.measure != crate::session::config::ReferenceKind::BestFit
        || info.reference.is_some()
    {
        return None;
    }
    let best = fits
        .iter()
        .filter(|r| !r.skipped)
        .filter_map(|r| Some((r, r.response()?)))
        .filter(|(_, m)| m.seal.bass_db.is_finite())
        .max_by(|a, b| a.1.seal.bass_db.total_cmp(&b.1.seal.bass_db))?;
    let reference = best.1.frequency_response.points();
    let seal_cfg = cfg.analysis().seal;
    let note = format!(
        "reference: the best fit, tip '{}' fit {} (bass {:+.1} dB re mids)",
        best.0.tip, best.0.fit, best.1.seal.bass_db
    );
    let rebase = |m: &mut crate::analysis::Measurement| {
        let points: Vec<(f64, f64, f64)> = m
            .frequency_response
            .points()
            .into_iter()
            .map(|(f, d)| (f, d, 100.0))
            .collect();
        m.seal = crate::analysis::seal::seal_metrics(&points, Some(&reference), &seal_cfg);
    };
    let out = fits
        .iter()
        .cloned()
        .map(|mut r| {
            r.seal.iter_mut().chain(r.quick.iter_mut()).for_each(rebase);
            r
        })
        .collect();
    Some((out, note))
}

/// Compare the tips of a session from its fits.
pub fn compare(info: &SessionInfo, fits: &[FitRecord], warnings: Vec<String>) -> Comparison {
    let rebased;
    let mut reference_note = None;
    let fits = match best_fit_reference(info, fits) {
        Some((r, note)) => {
            reference_note = Some(note);
            rebased = r;
            &rebased[..]
        }
        None => fits,
    };
    let refit_db = info.config.as_ref().map_or(2.5, |c| c.thresholds.refit_db);
    let seal_cfg = info
        .config
        .as_ref()
        .map_or_else(Default::default, |c| c.analysis().seal);
    let two = ears::two_ears(fits, info.ear);
    // The statistics of one ear's fits (`None`: all fits, one ear).
    let of_ear = |ear: Option<Ear>| -> Vec<TipStats> {
        let in_ear = |r: &&FitRecord| ear.is_none_or(|e| ears::side_of(r, info.ear) == e);
        info.tips
            .iter()
            .map(|t| {
                let mine: Vec<&FitRecord> = fits
                    .iter()
                    .filter(in_ear)
                    .filter(|r| r.tip == t.name && !r.skipped)
                    .collect();
                let mut s = tip_stats(&t.name, &mine, refit_db, &seal_cfg);
                s.skipped_fits = fits
                    .iter()
                    .filter(in_ear)
                    .filter(|r| r.tip == t.name && r.skipped)
                    .count();
                s
            })
            .collect()
    };
    let tips = of_ear(two.then_some(Ear::Left));
    let ears = two.then(|| {
        let right = EarComparison::of(of_ear(Some(Ear::Right)));
        let recommended = ears::recommend(&tips, &right.tips);
        Ears {
            right,
            balance: info
                .tips
                .iter()
                .map(|t| ears::balance(&t.name, fits, info.ear))
                .collect(),
            recommended,
        }
    });
    let (seal_ranking, bass_deficit_ranking) = rank::seal_rankings(&tips);
    let isolation_ranking = rank::isolation_ranking(&tips);
    let mut cmp = Comparison {
        iem: info.iem.clone(),
        tips,
        seal_ranking,
        bass_deficit_ranking,
        isolation_ranking,
        warnings,
        reference_note,
        refit_db,
        ears,
        listening_penalty: Vec::new(),
        listening_note: None,
        tip_effect: Vec::new(),
    };
    listening::set_penalty(&mut cmp, info, fits, &[]);
    // The default baseline (the config's, else the first tip) cannot fail.
    let _ = cmp.set_baseline(info, fits, None);
    cmp
}
