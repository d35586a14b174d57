//! The terminal table and the CSV of a comparison (`tipfit compare`, the
//! report's `summary.csv`). Pure: returns the text.

use super::text;
use crate::compare::{
    Comparison, Corner, CornerMethod, Ranking, Stat, TipEffect, TipStats, EFFECT_BANDS,
};

/// `mean ± sd` with `digits` decimals (one fit: the value), or `-`.
fn pm(s: &Option<Stat>, digits: usize) -> String {
    s.as_ref().map_or("-".into(), |s| text::mean_sd(s, digits))
}

/// A CSV cell: quoted when it holds a comma, a quote or a line break.
pub(crate) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
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

/// The tips of one ear with their rankings.
struct Block<'a> {
    /// `left` / `right`, or `None` for the single ear.
    ear: Option<&'static str>,
    tips: &'a [TipStats],
    seal: &'a Ranking,
    bass_deficit: Option<&'a Ranking>,
    isolation: Option<&'a Ranking>,
}

/// The blocks of a comparison: one, or the left and the right ear.
fn blocks(c: &Comparison) -> Vec<Block<'_>> {
    let mut out = vec![Block {
        ear: c.ears.as_ref().map(|_| "left"),
        tips: &c.tips,
        seal: &c.seal_ranking,
        bass_deficit: c.bass_deficit_ranking.as_ref(),
        isolation: c.isolation_ranking.as_ref(),
    }];
    if let Some(e) = &c.ears {
        out.push(Block {
            ear: Some("right"),
            tips: &e.right.tips,
            seal: &e.right.seal_ranking,
            bass_deficit: e.right.bass_deficit_ranking.as_ref(),
            isolation: e.right.isolation_ranking.as_ref(),
        });
    }
    out
}

/// The seal rank of `tip`: in the leak-corner ranking, else in the
/// bass-deficit ranking counted after it (one seal column for both).
fn seal_rank_in(seal: &Ranking, bass_deficit: Option<&Ranking>, tip: &str) -> String {
    rank_after(Some(seal), tip, 0)
        .or_else(|| rank_after(bass_deficit, tip, seal.entries.len()))
        .unwrap_or_default()
}

#[cfg(test)]
fn seal_rank_of(c: &Comparison, tip: &str) -> String {
    seal_rank_in(&c.seal_ranking, c.bass_deficit_ranking.as_ref(), tip)
}

/// The per-tip table as CSV (one row per tip; means, SDs and 95 % intervals,
/// empty where there is none: one fit has no SD and no interval). The leak
/// corner: `leak_corner_hz` is the geometric mean, the median or the bound
/// (`leak_corner_kind`: `value`, `below` or `above`), `leak_corner_method`
/// how it was found, the interval only for a geometric mean of two or more
/// fits, the counts of censored fits, and `leak_corner` the text every
/// other output shows. When the session's fits hold both ears, an `ear`
/// column follows `tip` and each tip has a `left` and a `right` row (the
/// ranks are within that ear); otherwise the columns are as they were.
pub fn to_csv(c: &Comparison) -> String {
    let mut s = String::from(if c.ears.is_some() { "tip,ear," } else { "tip," });
    s.push_str(
        "fits,skipped,verdict,seal_rank,isolation_rank,\
         bass_db_mean,bass_db_sd,bass_loss_db_mean,bass_loss_db_sd,bass_loss_db_ci95_low,bass_loss_db_ci95_high,\
         leak_corner,leak_corner_hz,leak_corner_kind,leak_corner_method,leak_corner_hz_ci95_low,leak_corner_hz_ci95_high,\
         leak_corner_fits,leak_corner_fits_below,leak_corner_fits_above,\
         isolation_db_mean,isolation_db_sd,isolation_db_ci95_low,isolation_db_ci95_high,\
         repeatability_max_sd_db,refit_pairs,outlier_fits",
    );
    for c125 in [125, 250, 500, 1000, 2000, 4000, 8000] {
        s += &format!(",isolation_{c125}hz_db");
    }
    s += ",uncertain_fits,no_seal_fits\n";
    for b in blocks(c) {
        for t in b.tips {
            s += &csv_row(&b, t);
        }
    }
    s
}

/// One CSV row: `t` of block `b`.
fn csv_row(b: &Block<'_>, t: &TipStats) -> String {
    let mut s = String::new();
    {
        let st = |x: &Option<Stat>, d| {
            x.as_ref().map_or(",,,".to_string(), |x| {
                format!(
                    "{},{},{},{}",
                    opt(Some(x.mean), d),
                    opt(x.sd, d),
                    opt(x.ci95_low, d),
                    opt(x.ci95_high, d)
                )
            })
        };
        let two = |x: &Option<Stat>, d| {
            x.as_ref().map_or(",".to_string(), |x| {
                format!("{},{}", opt(Some(x.mean), d), opt(x.sd, d))
            })
        };
        let corner = t.leak_corner.as_ref().map_or(",,,,,,,,".to_string(), |k| {
            let (hz, kind) = match k.centre {
                Some(Corner::Value { hz }) => (Some(hz), "value"),
                Some(Corner::Below { hz }) => (Some(hz), "below"),
                Some(Corner::Above { hz }) => (Some(hz), "above"),
                None => (None, "undetermined"),
            };
            let method = match k.method {
                CornerMethod::GeometricMean => "geometric_mean",
                CornerMethod::Median => "median",
                CornerMethod::Bound => "bound",
            };
            format!(
                "{},{},{kind},{method},{},{},{},{},{}",
                csv_field(&text::corner_stat(Some(k)).unwrap_or_default()),
                opt(hz, 1),
                opt(k.ci95_low_hz, 1),
                opt(k.ci95_high_hz, 1),
                k.n,
                k.below,
                k.above
            )
        });
        let pairs: Vec<String> = t
            .refit_pairs
            .iter()
            .map(|(a, b)| format!("{a}-{b}"))
            .collect();
        let mut outl: Vec<String> = t.outliers.iter().map(|o| o.fit.to_string()).collect();
        outl.dedup();
        s += &format!(
            "{}{},{},{},{},{},{},{},{},{},{},{},{},{}",
            csv_field(&t.name),
            b.ear.map_or(String::new(), |e| format!(",{e}")),
            t.fits,
            t.skipped_fits,
            t.verdict.map_or(String::new(), |v| v.to_string()),
            seal_rank_in(b.seal, b.bass_deficit, &t.name),
            rank_of(b.isolation, &t.name),
            two(&t.bass_db, 2),
            st(&t.bass_loss_db, 2),
            corner,
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
        let list = |v: &[usize]| {
            v.iter()
                .map(|f| f.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        };
        s += &format!(",{},{}\n", list(&t.uncertain_fits), list(&t.no_seal_fits));
    }
    s
}

/// The listening-penalty block of the text output: a table of the gain per
/// tip and ambient (with the NIOSH daily allowance), and the subway's
/// sentence per tip; or the note saying why there is none.
pub fn listening_block(c: &Comparison) -> String {
    let p = &c.listening_penalty;
    let Some(first) = p.first() else {
        return match &c.listening_note {
            Some(n) => format!("\n  listening penalty: none ({n})\n"),
            None => String::new(),
        };
    };
    let presets: Vec<&str> = crate::compare::listening::ambients(p)
        .iter()
        .map(|x| x.preset.as_str())
        .collect();
    let mut s = format!(
        "\n  listening penalty{}: the volume to add over {} (the best-sealing tip, music at {:.0} dBA)\n  \
         to hear music as loud in the noise each tip lets in; dB, and the NIOSH daily allowance after it\n",
        if c.ears.is_some() { " (left ear)" } else { "" },
        first.reference_tip,
        first.reference_eardrum_dba
    );
    s += &format!("  {:<22}", "tip");
    for pr in &presets {
        s += &format!(" {pr:>16}");
    }
    s += "\n";
    for t in &c.tips {
        let row: Vec<_> = presets
            .iter()
            .map(|pr| p.iter().find(|x| x.tip == t.name && x.preset == *pr))
            .collect();
        if row.iter().all(|x| x.is_none()) {
            continue;
        }
        s += &format!("  {:<22}", t.name);
        for x in row {
            match x {
                Some(x) => {
                    let h = match x.allowance_h >= crate::analysis::listening::MAX_HOURS {
                        true => "≥24 h".to_string(),
                        false => crate::analysis::listening::hours_text(x.allowance_h, 24.0),
                    };
                    let g = format!(
                        "{}{:+.1} ({h})",
                        if x.matched { "" } else { ">" },
                        x.gain_db
                    );
                    s += &format!(" {g:>16}");
                }
                None => s += &format!(" {:>16}", "-"),
            }
        }
        s += "\n";
    }
    let pick = crate::compare::listening::sentence_ambient(p).unwrap_or_default();
    for x in p
        .iter()
        .filter(|x| x.preset == pick && x.tip != x.reference_tip)
    {
        s += &format!("  {}\n", x.sentence());
    }
    s
}

/// The terminal table: one block of tips, or, when the fits hold both
/// ears, a block per ear and a balance line per tip (right minus left);
/// then the notes and the listening penalty.
pub fn render_table(c: &Comparison) -> String {
    let mut s = format!("{}: {} tips", c.iem, c.tips.len());
    s += if c.ears.is_some() {
        ", two ears\n"
    } else {
        "\n"
    };
    let has_loss = blocks(c)
        .iter()
        .any(|b| b.tips.iter().any(|t| t.bass_loss_db.is_some()));
    for b in blocks(c) {
        match b.ear {
            Some(e) => s += &format!("\n  {e} ear\n"),
            None => s += "\n",
        }
        s += &block_table(&b, has_loss);
    }
    s += "\n  fits: measured and read; skip: skipped by the user;\n  seal: rank by the fitted leak corner (lower is better), iso: rank by isolation;\n  \
          \"=\" marks a tie (the difference is inside the 95 % uncertainty). Values are mean ± SD over fits\n  \
          (one fit: its value); leak corner: geometric mean (95 % interval), \"<\" below the measured range,\n  \
          \">\" beyond the fitted range, a median when some fits are such bounds;\n  \
          isolation: attenuation of A-weighted pink noise; rep: largest fit-to-fit SD 20 Hz-1 kHz, dB.\n";
    if c.ears.is_some() {
        s += "  Each ear is ranked on its own; the two ears are never pooled as fits.\n";
    }
    for b in blocks(c) {
        if let Some(r) = b.bass_deficit.filter(|r| !r.entries.is_empty()) {
            s += &format!(
                "  {}seal ranks {}-{} are tips without a leak fit, ranked after the fitted corners by their bass deficit (dB; JSON: {}bass_deficit_ranking).\n",
                b.ear.map_or(String::new(), |e| format!("{e} ear: ")),
                b.seal.entries.len() + 1,
                b.seal.entries.len() + r.entries.len(),
                if b.ear == Some("right") { "ears.right." } else { "" }
            );
        }
    }
    if let Some(e) = &c.ears {
        s += "\n  balance, right minus left over the fits measured on both ears (octave bands:\n  \
              responses normalised at 300-1000 Hz):\n";
        for b in &e.balance {
            s += &format!("  {}\n", balance_line(b));
        }
        if !e.recommended.sentence.is_empty() {
            s += &format!("\n  {}\n", e.recommended.sentence);
        }
    }
    for (ear, effects) in tip_effect_blocks(c) {
        s += &tip_effect_table(ear, effects);
    }
    s += &listening_block(c);
    let mut notes = text::notes(c);
    if let Some(e) = &c.ears {
        for t in &e.right.tips {
            for n in text::tip_notes(t, c.refit_db) {
                notes.push(format!("{} (right ear): {n}", t.name));
            }
        }
    }
    if !notes.is_empty() {
        s += "\n";
    }
    for n in notes {
        s += &format!("  {n}\n");
    }
    s
}

/// The tip effects of a comparison: of its one ear, or of the left and the
/// right ear.
fn tip_effect_blocks(c: &Comparison) -> Vec<(Option<&'static str>, &[TipEffect])> {
    match &c.ears {
        Some(e) => vec![
            (Some("left"), &c.tip_effect[..]),
            (Some("right"), &e.right.tip_effect[..]),
        ],
        None => vec![(None, &c.tip_effect[..])],
    }
}

/// The tip effect as a table (tips x bands, "+2.1 ±0.6": the difference
/// and half its 95 % interval), a sentence per tip and the notes; empty
/// without effects (one tip).
pub fn tip_effect_table(ear: Option<&str>, effects: &[TipEffect]) -> String {
    let Some(first) = effects.first() else {
        return String::new();
    };
    let [rlo, rhi] = first.reference_band_hz;
    let mut s = format!(
        "\n  tip effect{} vs '{}', dB: mean level difference per band, tip minus baseline over fits,\n  \
         each fit normalised to its {rlo}-{rhi} Hz mean; ± half the 95 % interval (Welch t); no ±: one fit, no interval\n",
        ear.map_or(String::new(), |e| format!(", {e} ear,")),
        first.baseline
    );
    s += &format!("  {:<22}", "tip");
    for b in EFFECT_BANDS {
        s += &format!(" {:>11}", text::band_name(b.name));
    }
    s += &format!("\n  {:<22}", "");
    for b in EFFECT_BANDS {
        s += &format!(" {:>11}", text::band_range([b.lo_hz, b.hi_hz]));
    }
    s += "\n";
    for e in effects {
        let name: String = e.tip.chars().take(22).collect();
        s += &format!("  {name:<22}");
        for b in &e.bands {
            s += &format!(" {:>11}", text::effect_cell(b));
        }
        s += "\n";
    }
    s += "\n";
    for e in effects {
        s += &format!("  {}\n", text::tip_effect_sentence(e));
        for n in e.other_notes() {
            s += &format!("    {}: {n}\n", e.tip);
        }
    }
    s
}

/// "Spring: R - L bass +0.4 dB, 125 Hz +0.1 dB, ... (1 pair)".
pub fn balance_line(b: &crate::compare::EarBalance) -> String {
    if b.n == 0 {
        return format!("{}: no fit measured on both ears", b.tip);
    }
    // Rounded first, so -0.04 shows as +0.0, not -0.0.
    let signed = |v: f64| format!("{:+.1}", (v * 10.0).round() / 10.0 + 0.0);
    let bass = b.bass_db.as_ref().map_or("-".to_string(), |s| match s.sd {
        Some(sd) => format!("{} ± {sd:.1} dB", signed(s.mean)),
        None => format!("{} dB", signed(s.mean)),
    });
    let bands: Vec<String> = b
        .centre_hz
        .iter()
        .zip(&b.band_db)
        .map(|(c, d)| {
            let f = if *c >= 1000.0 {
                format!("{} kHz", c / 1000.0)
            } else {
                format!("{c} Hz")
            };
            format!(
                "{f} {}",
                d.map_or("-".to_string(), |d| format!("{} dB", signed(d)))
            )
        })
        .collect();
    format!(
        "{}: R - L bass {bass}, {} ({} pair{})",
        b.tip,
        bands.join(", "),
        b.n,
        if b.n == 1 { "" } else { "s" }
    )
}

/// The rows of one block, with their header.
fn block_table(b: &Block<'_>, has_loss: bool) -> String {
    let mut s = String::new();
    s += &format!(
        "  {:<22} {:>4} {:>4} {:<8} {:>5} {:>16} {:>34} {:>5} {:>15} {:>5} {:>7}\n",
        "tip",
        "fits",
        "skip",
        "verdict",
        "seal",
        if has_loss { "bass loss dB" } else { "bass dB" },
        "leak corner",
        "iso",
        "isolation dB",
        "rep",
        "outliers"
    );
    for t in b.tips {
        let corner = text::corner_stat(t.leak_corner.as_ref()).unwrap_or_else(|| "-".into());
        let name: String = t.name.chars().take(22).collect();
        let outl: std::collections::BTreeSet<usize> = t.outliers.iter().map(|o| o.fit).collect();
        s += &format!(
            "  {:<22} {:>4} {:>4} {:<8} {:>5} {:>16} {:>34} {:>5} {:>15} {:>5} {:>7}\n",
            name,
            t.fits,
            t.skipped_fits,
            t.verdict.map_or("-".to_string(), |v| v.to_string()),
            seal_rank_in(b.seal, b.bass_deficit, &t.name),
            pm(
                if has_loss {
                    &t.bass_loss_db
                } else {
                    &t.bass_db
                },
                1
            ),
            corner,
            rank_of(b.isolation, &t.name),
            pm(&t.isolation_rating_db, 1),
            t.repeatability_max_sd_db
                .map_or("-".into(), |v| format!("{v:.1}")),
            if outl.is_empty() {
                "-".to_string()
            } else {
                text::fits(&outl.iter().copied().collect::<Vec<_>>())
            },
        );
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
                    bound: None,
                })
                .collect(),
            note: None,
        }
    }

    /// The balance line: signed, rounded (no "-0.0"), "-" where a band is
    /// not covered, the count of pairs.
    #[test]
    fn balance_line_by_hand() {
        let b = crate::compare::EarBalance {
            tip: "Spring".into(),
            n: 2,
            fits: vec![1, 2],
            bass_db: Stat::of(&[0.3, 0.5]),
            centre_hz: vec![125.0, 2000.0, 8000.0],
            band_db: vec![Some(-0.04), Some(1.26), None],
        };
        assert_eq!(
            balance_line(&b),
            "Spring: R - L bass +0.4 ± 0.1 dB, 125 Hz +0.0 dB, 2 kHz +1.3 dB, 8 kHz - (2 pairs)"
        );
        let none = crate::compare::EarBalance {
            n: 0,
            fits: vec![],
            bass_db: None,
            ..b
        };
        assert_eq!(balance_line(&none), "Spring: no fit measured on both ears");
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
            reference_note: None,
            refit_db: 2.5,
            ears: None,
            tip_effect: Vec::new(),
            listening_penalty: Vec::new(),
            listening_note: None,
        };
        let ranks: Vec<String> = ["a", "b", "c", "d", "e", "f"]
            .iter()
            .map(|t| seal_rank_of(&c, t))
            .collect();
        assert_eq!(ranks, ["1=", "1=", "3", "4=", "4=", ""]);
        assert_eq!(rank_of(c.isolation_ranking.as_ref(), "a"), "");
    }
}
