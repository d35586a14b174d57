//! Rankings of tips: one metric (and so one unit) per ranking, neighbours
//! tied when their difference is inside the statistics or a practical
//! minimum.

use super::stats::Stat;
use super::tips::{corner_of, TipStats};
use crate::session::model::FitRecord;
use serde::{Deserialize, Serialize};

/// What a ranking ranks: one quantity in one unit. Serialised as the
/// ranking's `by` text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RankMetric {
    /// log10 of the fitted leak corner in Hz, lower first (the mean of the
    /// logs: its power of ten is the geometric mean corner).
    #[serde(
        rename = "log10 of the fitted leak corner in Hz (lower is a better seal)",
        alias = "log10 of the fitted leak corner in Hz (lower is a better seal); tips without a fitted leak after them, by bass deficit in dB"
    )]
    LeakCorner,
    /// The bass deficit in dB, lower first: the bass loss against the
    /// reference, else minus the bass level re mids. Ranks the tips
    /// without a fitted leak.
    #[serde(
        rename = "bass deficit in dB of the tips without a fitted leak (lower is a better seal)"
    )]
    BassDeficit,
    /// The attenuation of A-weighted pink noise in dB, higher first.
    #[serde(rename = "attenuation of A-weighted pink noise, dB (higher is better)")]
    Isolation,
}

/// The unit of a ranked quantity as shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RankUnit {
    /// Hertz (ranked on log10 of the value).
    Hz,
    /// Decibels.
    Db,
}

impl RankMetric {
    /// The `by` text of the ranking.
    pub fn text(self) -> &'static str {
        match self {
            RankMetric::LeakCorner => {
                "log10 of the fitted leak corner in Hz (lower is a better seal)"
            }
            RankMetric::BassDeficit => {
                "bass deficit in dB of the tips without a fitted leak (lower is a better seal)"
            }
            RankMetric::Isolation => "attenuation of A-weighted pink noise, dB (higher is better)",
        }
    }

    /// The unit shown.
    pub fn unit(self) -> RankUnit {
        match self {
            RankMetric::LeakCorner => RankUnit::Hz,
            RankMetric::BassDeficit | RankMetric::Isolation => RankUnit::Db,
        }
    }

    /// A ranked value in the shown unit: the geometric mean corner in Hz
    /// for [`RankMetric::LeakCorner`] (ranked on log10), else the value.
    pub fn shown(self, value: f64) -> f64 {
        match self {
            RankMetric::LeakCorner => 10f64.powf(value),
            RankMetric::BassDeficit | RankMetric::Isolation => value,
        }
    }

    /// True when a lower value ranks first.
    pub fn lower_is_better(self) -> bool {
        match self {
            RankMetric::LeakCorner | RankMetric::BassDeficit => true,
            RankMetric::Isolation => false,
        }
    }

    /// The practical minimum difference of [`MIN_RANK_DIFF`] for this metric.
    pub fn min_diff(self) -> f64 {
        match self {
            RankMetric::LeakCorner => MIN_RANK_DIFF.0,
            RankMetric::BassDeficit => MIN_RANK_DIFF.1,
            RankMetric::Isolation => MIN_RANK_DIFF.2,
        }
    }
}

impl std::fmt::Display for RankMetric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.text())
    }
}

/// One place in a ranking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankEntry {
    /// Rank, 1 = best; tied tips share a rank.
    pub rank: usize,
    /// Tip name.
    pub tip: String,
    /// The ranked value (mean).
    pub value: f64,
    /// True when tied with the tip ranked just above.
    pub tied_with_previous: bool,
}

/// A ranking: every entry valued in the one metric `by`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ranking {
    /// What is ranked and how.
    pub by: RankMetric,
    /// Best first.
    pub entries: Vec<RankEntry>,
}

impl Ranking {
    /// The entry of `tip`.
    pub fn entry(&self, tip: &str) -> Option<&RankEntry> {
        self.entries.iter().find(|e| e.tip == tip)
    }

    /// True when another entry shares `e`'s rank.
    pub fn is_shared(&self, e: &RankEntry) -> bool {
        self.entries.iter().filter(|x| x.rank == e.rank).count() > 1
    }
}

/// Smallest difference that separates two tips, whatever the statistics
/// say (with one fit per tip there is no spread to judge by): leak corner
/// 0.05 decade (12 %), bass deficit 0.5 dB, isolation 1 dB.
pub const MIN_RANK_DIFF: (f64, f64, f64) = (0.05, 0.5, 1.0);

/// Rank `(tip, stat)` pairs by `by` (its order and practical minimum).
pub fn rank(by: RankMetric, items: Vec<(String, Stat)>) -> Ranking {
    rank_with(by, items, by.lower_is_better(), by.min_diff())
}

/// Rank `(tip, stat)` pairs; `lower_is_better` flips the order; neighbours
/// closer than 1.96 combined standard errors or `min_diff` are tied.
fn rank_with(
    by: RankMetric,
    mut items: Vec<(String, Stat)>,
    lower_is_better: bool,
    min_diff: f64,
) -> Ranking {
    items.sort_by(|a, b| {
        let o = a.1.mean.total_cmp(&b.1.mean);
        if lower_is_better {
            o
        } else {
            o.reverse()
        }
    });
    let mut entries: Vec<RankEntry> = Vec::new();
    for (i, (tip, s)) in items.iter().enumerate() {
        let tied = i > 0 && {
            let p = &items[i - 1].1;
            let se = (p.standard_error().powi(2) + s.standard_error().powi(2)).sqrt();
            (p.mean - s.mean).abs() <= (1.96 * se).max(min_diff)
        };
        let rank = if tied { entries[i - 1].rank } else { i + 1 };
        entries.push(RankEntry {
            rank,
            tip: tip.clone(),
            value: s.mean,
            tied_with_previous: tied,
        });
    }
    Ranking { by, entries }
}

/// The seal rankings: by the fitted leak corner (log10), lower first; and
/// the tips without any fitted leak by bass deficit in their own ranking
/// (`None` when there are none).
pub(crate) fn seal_rankings(tips: &[TipStats], fits: &[FitRecord]) -> (Ranking, Option<Ranking>) {
    let items: Vec<(String, Stat)> = tips
        .iter()
        .filter_map(|t| {
            let logs: Vec<f64> = fits
                .iter()
                .filter(|r| r.tip == t.name && !r.skipped)
                .filter_map(corner_of)
                .map(f64::log10)
                .collect();
            Some((t.name.clone(), Stat::of(&logs)?))
        })
        .collect();
    let by_corner = rank(RankMetric::LeakCorner, items);
    let rest: Vec<(String, Stat)> = tips
        .iter()
        .filter(|t| by_corner.entry(&t.name).is_none())
        .filter_map(|t| Some((t.name.clone(), t.bass_deficit_db()?)))
        .collect();
    let by_bass = (!rest.is_empty()).then(|| rank(RankMetric::BassDeficit, rest));
    (by_corner, by_bass)
}

/// Isolation ranking (`None` when no tip has an isolation rating).
pub(crate) fn isolation_ranking(tips: &[TipStats]) -> Option<Ranking> {
    let ratings: Vec<(String, Stat)> = tips
        .iter()
        .filter_map(|t| Some((t.name.clone(), t.isolation_rating_db.clone()?)))
        .collect();
    (!ratings.is_empty()).then(|| rank(RankMetric::Isolation, ratings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_fits_tie_unless_a_practical_difference_separates_them() {
        let one = |m: f64| Stat::of(&[m]).unwrap();
        let r = rank_with(
            RankMetric::Isolation,
            vec![
                ("a".into(), one(30.0)),
                ("b".into(), one(29.5)),
                ("c".into(), one(25.0)),
            ],
            false,
            MIN_RANK_DIFF.2,
        );
        let ranks: Vec<usize> = r.entries.iter().map(|e| e.rank).collect();
        assert_eq!(ranks, vec![1, 1, 3]);
    }

    #[test]
    fn close_tips_tie_and_far_ones_do_not() {
        let s = |m: f64| Stat::of(&[m - 0.5, m, m + 0.5]).unwrap();
        let r = rank_with(
            RankMetric::LeakCorner,
            vec![
                ("a".into(), s(1.0)),
                ("b".into(), s(1.2)),
                ("c".into(), s(10.0)),
            ],
            true,
            0.0,
        );
        assert_eq!(r.entries[0].rank, 1);
        assert_eq!(r.entries[1].rank, 1);
        assert!(r.entries[1].tied_with_previous);
        assert_eq!(r.entries[2].rank, 3);
    }

    #[test]
    fn metrics_serialise_as_the_by_text() {
        for m in [
            RankMetric::LeakCorner,
            RankMetric::BassDeficit,
            RankMetric::Isolation,
        ] {
            assert_eq!(
                serde_json::to_value(m).unwrap(),
                serde_json::json!(m.text())
            );
            let back: RankMetric = serde_json::from_value(serde_json::json!(m.text())).unwrap();
            assert_eq!(back, m);
        }
        // The text of the rankings before each had one metric.
        assert_eq!(
            RankMetric::LeakCorner.text(),
            "log10 of the fitted leak corner in Hz (lower is a better seal)"
        );
        assert_eq!(
            RankMetric::Isolation.text(),
            "attenuation of A-weighted pink noise, dB (higher is better)"
        );
        let old: RankMetric = serde_json::from_value(serde_json::json!(
            "log10 of the fitted leak corner in Hz (lower is a better seal); tips without a fitted leak after them, by bass deficit in dB"
        ))
        .unwrap();
        assert_eq!(old, RankMetric::LeakCorner);
        assert_eq!(RankMetric::LeakCorner.shown(2.0), 100.0);
        assert_eq!(RankMetric::BassDeficit.unit(), RankUnit::Db);
    }

    #[test]
    fn rank_uses_the_metric_order_and_minimum() {
        let one = |m: f64| Stat::of(&[m]).unwrap();
        let items = || {
            vec![
                ("a".into(), one(3.0)),
                ("b".into(), one(1.0)),
                ("c".into(), one(1.4)),
            ]
        };
        let tips = |r: &Ranking| r.entries.iter().map(|e| e.tip.clone()).collect::<Vec<_>>();
        let low = rank(RankMetric::BassDeficit, items());
        assert_eq!(tips(&low), ["b", "c", "a"]);
        // 0.4 dB apart: inside the 0.5 dB minimum.
        assert_eq!(low.entries[1].rank, 1);
        let high = rank(RankMetric::Isolation, items());
        assert_eq!(tips(&high), ["a", "c", "b"]);
        // 0.4 dB apart: inside the 1 dB minimum.
        assert_eq!(high.entries[2].rank, 2);
        assert!(high.is_shared(&high.entries[1]));
    }
}
