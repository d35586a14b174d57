//! The terminal table and the CSV of a comparison (`tipfit compare`, the
//! report's `summary.csv`). Pure: returns the text.

use crate::compare::{Comparison, Ranking, Stat};

/// What compare and report say of fits whose verdict is uncertain.
pub fn uncertain_text(fits: &[usize]) -> String {
    let list: Vec<String> = fits.iter().map(|f| f.to_string()).collect();
    format!(
        "{} {} measured near the noise floor; {} verdict is uncertain (redo in a quieter place)",
        if fits.len() == 1 { "fit" } else { "fits" },
        list.join(", "),
        if fits.len() == 1 { "its" } else { "their" }
    )
}

/// Fit numbers as words, sorted and each once: "fit 5", "fits 2, 5"
/// (empty for none), so that a list of fits never reads as a count.
pub fn fits_named(fits: impl IntoIterator<Item = usize>) -> String {
    let set: std::collections::BTreeSet<usize> = fits.into_iter().collect();
    let list: Vec<String> = set.iter().map(|f| f.to_string()).collect();
    match list.len() {
        0 => String::new(),
        1 => format!("fit {}", list[0]),
        _ => format!("fits {}", list.join(", ")),
    }
}

/// `mean ± sd` with `digits` decimals, or `-`.
fn pm(s: &Option<Stat>, digits: usize) -> String {
    match s {
        Some(s) => format!("{:.digits$} ± {:.digits$}", s.mean, s.sd),
        None => "-".into(),
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.filter(|x| x.is_finite())
        .map_or(String::new(), |x| format!("{x:.digits$}"))
}

/// Ranks of `tip` in a ranking (`"2="` when tied).
fn rank_of(r: Option<&Ranking>, tip: &str) -> String {
    rank_after(r, tip, 0).unwrap_or_default()
}

/// The rank of `tip` in `r` plus `offset` (`"2="` when tied); `None` when
/// not ranked there.
fn rank_after(r: Option<&Ranking>, tip: &str, offset: usize) -> Option<String> {
    let r = r?;
    let e = r.entry(tip)?;
    let tied = r.is_shared(e);
    Some(format!(
        "{}{}",
        e.rank + offset,
        if tied { "=" } else { "" }
    ))
}

/// The seal rank of `tip`: in the leak-corner ranking, else in the
/// bass-deficit ranking counted after it (one seal column for both).
fn seal_rank_of(c: &Comparison, tip: &str) -> String {
    rank_after(Some(&c.seal_ranking), tip, 0)
        .or_else(|| {
            rank_after(
                c.bass_deficit_ranking.as_ref(),
                tip,
                c.seal_ranking.entries.len(),
            )
        })
        .unwrap_or_default()
}

/// The per-tip table as CSV (one row per tip; means, SDs and 95 % intervals).
pub fn to_csv(c: &Comparison) -> String {
    let mut s = String::from(
        "tip,fits,skipped,verdict,seal_rank,isolation_rank,\
         bass_db_mean,bass_db_sd,bass_loss_db_mean,bass_loss_db_sd,bass_loss_db_ci95_low,bass_loss_db_ci95_high,\
         leak_corner_hz_mean,leak_corner_hz_sd,leak_corner_hz_ci95_low,leak_corner_hz_ci95_high,\
         isolation_db_mean,isolation_db_sd,isolation_db_ci95_low,isolation_db_ci95_high,\
         repeatability_max_sd_db,refit_pairs,outlier_fits",
    );
    for (_, c125) in [
        (0, 125),
        (1, 250),
        (2, 500),
        (3, 1000),
        (4, 2000),
        (5, 4000),
        (6, 8000),
    ] {
        s += &format!(",isolation_{c125}hz_db");
    }
    s += ",uncertain_fits\n";
    for t in &c.tips {
        let st = |x: &Option<Stat>, d| {
            x.as_ref().map_or(",,,".to_string(), |x| {
                format!(
                    "{},{},{},{}",
                    opt(Some(x.mean), d),
                    opt(Some(x.sd), d),
                    opt(Some(x.ci95_low), d),
                    opt(Some(x.ci95_high), d)
                )
            })
        };
        let two = |x: &Option<Stat>, d| {
            x.as_ref().map_or(",".to_string(), |x| {
                format!("{},{}", opt(Some(x.mean), d), opt(Some(x.sd), d))
            })
        };
        let pairs: Vec<String> = t
            .refit_pairs
            .iter()
            .map(|(a, b)| format!("{a}-{b}"))
            .collect();
        let mut outl: Vec<String> = t.outliers.iter().map(|o| o.fit.to_string()).collect();
        outl.dedup();
        s += &format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{}",
            csv_field(&t.name),
            t.fits,
            t.skipped_fits,
            t.verdict.map_or(String::new(), |v| v.to_string()),
            seal_rank_of(c, &t.name),
            rank_of(c.isolation_ranking.as_ref(), &t.name),
            two(&t.bass_db, 2),
            st(&t.bass_loss_db, 2),
            st(&t.leak_corner_hz, 1),
            st(&t.isolation_rating_db, 1),
            opt(t.repeatability_max_sd_db, 2),
            pairs.join(" "),
            outl.join(" "),
        );
        for band in [125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0] {
            let v = t.isolation_octave.as_ref().and_then(|o| {
                let i = o.centre_hz.iter().position(|c| *c == band)?;
                Some(o.mean_db[i])
            });
            s += &format!(",{}", opt(v, 1));
        }
        let unc: Vec<String> = t.uncertain_fits.iter().map(|f| f.to_string()).collect();
        s += &format!(",{}\n", unc.join(" "));
    }
    s
}

/// The terminal table.
pub fn render_table(c: &Comparison) -> String {
    let mut s = format!("{}: {} tips\n\n", c.iem, c.tips.len());
    let has_loss = c.tips.iter().any(|t| t.bass_loss_db.is_some());
    s += &format!(
        "  {:<22} {:>4} {:<8} {:>5} {:>16} {:>18} {:>5} {:>15} {:>5} {:>7}\n",
        "tip",
        "fits",
        "verdict",
        "seal",
        if has_loss { "bass loss dB" } else { "bass dB" },
        "leak corner Hz",
        "iso",
        "isolation dB",
        "rep",
        "outliers"
    );
    for t in &c.tips {
        let corner = match &t.leak_corner_hz {
            Some(x) if x.mean < 15.0 => format!("<15 ({:.1})", x.mean),
            Some(x) => format!(
                "{:.0} [{:.0}-{:.0}]",
                x.mean,
                x.ci95_low.max(0.0),
                x.ci95_high
            ),
            None => "-".into(),
        };
        let name: String = t.name.chars().take(22).collect();
        let outl: std::collections::BTreeSet<usize> = t.outliers.iter().map(|o| o.fit).collect();
        s += &format!(
            "  {:<22} {:>4} {:<8} {:>5} {:>16} {:>18} {:>5} {:>15} {:>5} {:>7}\n",
            name,
            t.fits,
            t.verdict.map_or("-".to_string(), |v| v.to_string()),
            seal_rank_of(c, &t.name),
            pm(
                if has_loss {
                    &t.bass_loss_db
                } else {
                    &t.bass_db
                },
                1
            ),
            corner,
            rank_of(c.isolation_ranking.as_ref(), &t.name),
            pm(&t.isolation_rating_db, 1),
            t.repeatability_max_sd_db
                .map_or("-".into(), |v| format!("{v:.1}")),
            if outl.is_empty() {
                "-".to_string()
            } else {
                outl.iter()
                    .map(|f| format!("#{f}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            },
        );
    }
    s += "\n  seal: rank by the fitted leak corner (lower is better), iso: rank by isolation;\n  \
          \"=\" marks a tie (the difference is inside the 95 % uncertainty). Values are mean ± SD over fits;\n  \
          isolation: attenuation of A-weighted pink noise; rep: largest fit-to-fit SD 20 Hz-1 kHz, dB.\n";
    if let Some(r) = c
        .bass_deficit_ranking
        .as_ref()
        .filter(|r| !r.entries.is_empty())
    {
        s += &format!(
            "  seal ranks {}-{} are tips without a leak fit, ranked after the fitted corners by their bass deficit (dB; JSON: bass_deficit_ranking).\n",
            c.seal_ranking.entries.len() + 1,
            c.seal_ranking.entries.len() + r.entries.len()
        );
    }
    for t in &c.tips {
        for (a, b) in &t.refit_pairs {
            s += &format!(
                "  {}: fits {a} and {b} differ by more than {} dB below 1 kHz (refit advised)\n",
                t.name, c.refit_db
            );
        }
        if !t.uncertain_fits.is_empty() {
            s += &format!("  {}: {}\n", t.name, uncertain_text(&t.uncertain_fits));
        }
        for o in &t.outliers {
            s += &format!(
                "  {}: fit {} is an outlier in {} ({:.2}, robust z {:+.1}); kept in the statistics\n",
                t.name, o.fit, o.metric, o.value, o.robust_z
            );
        }
    }
    for w in &c.warnings {
        s += &format!("  warning: {w}\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::{RankEntry, RankMetric};

    fn ranking(by: RankMetric, ranks: &[(&str, usize)]) -> Ranking {
        Ranking {
            by,
            entries: ranks
                .iter()
                .map(|(tip, rank)| RankEntry {
                    rank: *rank,
                    tip: tip.to_string(),
                    value: 0.0,
                    tied_with_previous: false,
                })
                .collect(),
        }
    }

    /// Tips without a leak fit count after the ranked corners in the one
    /// seal column; ties keep their "=".
    #[test]
    fn seal_column_counts_the_bass_ranking_after_the_corners() {
        let c = Comparison {
            iem: "x".into(),
            tips: Vec::new(),
            seal_ranking: ranking(RankMetric::LeakCorner, &[("a", 1), ("b", 1)]),
            bass_deficit_ranking: Some(ranking(
                RankMetric::BassDeficit,
                &[("c", 1), ("d", 2), ("e", 2)],
            )),
            isolation_ranking: None,
            warnings: Vec::new(),
            refit_db: 2.5,
        };
        let ranks: Vec<String> = ["a", "b", "c", "d", "e", "f"]
            .iter()
            .map(|t| seal_rank_of(&c, t))
            .collect();
        assert_eq!(ranks, ["1=", "1=", "3", "4=", "4=", ""]);
        assert_eq!(rank_of(c.isolation_ranking.as_ref(), "a"), "");
    }
}
