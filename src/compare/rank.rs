//! Rankings of tips: one metric (and so one unit) per ranking, neighbours
//! tied when their difference is inside the statistics or a practical
//! minimum.

use super::corner::Corner;
use super::stats::Stat;
use super::tips::TipStats;
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
    /// The ranked value (mean; for the leak corner log10 of the geometric
    /// mean, the median or the bound).
    pub value: f64,
    /// True when tied with the tip ranked just above.
    pub tied_with_previous: bool,
    /// For a tip whose corner is a bound: which side (`value` is then the
    /// bound, not a measured corner).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound: Option<Bound>,
}

/// The side of a bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Bound {
    /// The true value is below.
    Below,
    /// The true value is above.
    Above,
}

/// A ranking: every entry valued in the one metric `by`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ranking {
    /// What is ranked and how.
    pub by: RankMetric,
    /// Best first.
    pub entries: Vec<RankEntry>,
    /// How ties of bounds were ordered, when there are any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
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
            bound: None,
        });
    }
    Ranking {
        by,
        entries,
        note: None,
    }
}

/// The seal rankings: by the leak corner (log10), lower first; and the
/// tips without a corner (no usable leak fit, or a median that falls
/// between a "below" and an "above" fit) by bass deficit in their own
/// ranking (`None` when there are none).
///
/// Tips whose corner is below the measured range come first and tie with
/// each other (the measurement cannot tell their seals apart); tips whose
/// corner is beyond the fitted range come last and tie with each other.
/// Inside each of those groups the tips are listed by bass deficit, and the
/// ranking's `note` says so. Tips with a value are ranked between them.
pub(crate) fn seal_rankings(tips: &[TipStats]) -> (Ranking, Option<Ranking>) {
    let mut below: Vec<(&TipStats, f64)> = Vec::new();
    let mut values: Vec<(String, Stat)> = Vec::new();
    let mut above: Vec<(&TipStats, f64)> = Vec::new();
    for t in tips {
        let Some(c) = &t.leak_corner else { continue };
        match c.centre {
            Some(Corner::Below { hz }) => below.push((t, hz)),
            Some(Corner::Above { hz }) => above.push((t, hz)),
            Some(Corner::Value { hz }) => {
                let log = c.log10.clone().unwrap_or(Stat {
                    n: c.n,
                    mean: hz.log10(),
                    sd: None,
                    ci95_low: None,
                    ci95_high: None,
                });
                values.push((t.name.clone(), log));
            }
            None => {}
        }
    }
    let by_deficit = |v: &mut Vec<(&TipStats, f64)>| {
        v.sort_by(|a, b| {
            let d = |t: &TipStats| t.bass_deficit_db().map_or(f64::INFINITY, |s| s.mean);
            d(a.0).total_cmp(&d(b.0))
        })
    };
    by_deficit(&mut below);
    by_deficit(&mut above);
    let bound_group = |group: &[(&TipStats, f64)], rank: usize, side: Bound| -> Vec<RankEntry> {
        group
            .iter()
            .enumerate()
            .map(|(i, (t, hz))| RankEntry {
                rank,
                tip: t.name.clone(),
                value: hz.log10(),
                tied_with_previous: i > 0,
                bound: Some(side),
            })
            .collect()
    };
    let mut entries = bound_group(&below, 1, Bound::Below);
    let ranked = rank(RankMetric::LeakCorner, values);
    let offset = entries.len();
    entries.extend(ranked.entries.into_iter().map(|mut e| {
        e.rank += offset;
        e
    }));
    let last = entries.len() + 1;
    entries.extend(bound_group(&above, last, Bound::Above));
    let loss = tips.iter().any(|t| t.bass_loss_db.is_some());
    let how = if loss {
        "listed by bass loss"
    } else {
        "listed by bass level re mids"
    };
    let names = |g: &[(&TipStats, f64)]| {
        g.iter()
            .map(|(t, _)| t.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut notes = Vec::new();
    if below.len() > 1 {
        notes.push(format!(
            "{}: leak corners below the measured range (< {} Hz) tie on the seal; {how}",
            names(&below),
            hz_text(below.iter().map(|p| p.1).fold(0.0, f64::max))
        ));
    }
    if above.len() > 1 {
        notes.push(format!(
            "{}: leak corners beyond the fitted range (> {} Hz) tie on the seal; {how}",
            names(&above),
            hz_text(above.iter().map(|p| p.1).fold(f64::INFINITY, f64::min))
        ));
    }
    let by_corner = Ranking {
        by: RankMetric::LeakCorner,
        entries,
        note: (!notes.is_empty()).then(|| notes.join("; ")),
    };
    let rest: Vec<(String, Stat)> = tips
        .iter()
        .filter(|t| by_corner.entry(&t.name).is_none())
        .filter_map(|t| Some((t.name.clone(), t.bass_deficit_db()?)))
        .collect();
    let by_bass = (!rest.is_empty()).then(|| rank(RankMetric::BassDeficit, rest));
    (by_corner, by_bass)
}

/// A frequency in Hz for a note: whole hertz.
fn hz_text(hz: f64) -> String {
    format!("{hz:.0}")
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

    fn tip(name: &str, corners: &[Corner], loss: f64) -> TipStats {
        TipStats {
            name: name.into(),
            fits: corners.len(),
            skipped_fits: 0,
            verdicts: Vec::new(),
            verdict: None,
            bass_db: None,
            bass_loss_db: Stat::of(&[loss]),
            leak_corner: super::super::corner::CornerStat::of(corners),
            isolation_octave: None,
            isolation_rating_db: None,
            repeatability_max_sd_db: None,
            refit_pairs: Vec::new(),
            refit_max_diff_db: None,
            no_seal_fits: Vec::new(),
            outliers: Vec::new(),
            uncertain_fits: Vec::new(),
        }
    }

    /// Tips whose every fit is below the range tie first (listed by bass
    /// loss, said in the note); a tip whose fits are all beyond the range
    /// is last with its bound, never averaged; an undetermined median goes
    /// to the bass-deficit ranking.
    #[test]
    fn bounds_tie_and_are_never_numbers() {
        let below = Corner::Below { hz: 20.3 };
        let tips = vec![
            tip("foam", &[below; 3], 0.4),
            tip("flange", &[below; 3], 0.1),
            tip(
                "silicone",
                &[Corner::Value { hz: 90.0 }, Corner::Value { hz: 100.0 }],
                3.0,
            ),
            tip("earbud", &[Corner::Above { hz: 1000.0 }; 5], 25.0),
            tip("odd", &[below, Corner::Above { hz: 1000.0 }], 9.0),
        ];
        let (r, rest) = seal_rankings(&tips);
        let order: Vec<(&str, usize, Option<Bound>)> = r
            .entries
            .iter()
            .map(|e| (e.tip.as_str(), e.rank, e.bound))
            .collect();
        assert_eq!(
            order,
            [
                ("flange", 1, Some(Bound::Below)),
                ("foam", 1, Some(Bound::Below)),
                ("silicone", 3, None),
                ("earbud", 4, Some(Bound::Above)),
            ]
        );
        assert!(r.entries[1].tied_with_previous && !r.entries[2].tied_with_previous);
        assert!((r.entries[0].value - 20.3f64.log10()).abs() < 1e-12);
        assert!((r.entries[3].value - 3.0).abs() < 1e-12);
        let note = r.note.as_deref().unwrap();
        assert!(
            note.contains("flange, foam") && note.contains("< 20 Hz") && note.contains("bass loss"),
            "{note}"
        );
        let rest = rest.unwrap();
        assert_eq!(rest.entries.len(), 1);
        assert_eq!(rest.entries[0].tip, "odd");
    }
}
