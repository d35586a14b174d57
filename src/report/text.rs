//! How a comparison's numbers read, in one place: the terminal table, the
//! CSV, the HTML page and the PNG labels all take their texts from here, so
//! the same statistic never reads two ways.
//!
//! - A statistic over fits is "mean ± SD"; from one fit just the value (no
//!   "±", no interval: one fit has no spread).
//! - A leak corner is the geometric mean with its 95 % interval, "94 Hz
//!   (64–138)"; one fit "118 Hz"; a bound "< 20 Hz" / "> 1.0 kHz"; a tip
//!   with some fits censored "median 40 Hz (2 of 5 < 20 Hz)"; every fit a
//!   bound "all 5 fits < 20 Hz".
//! - Notes are grouped per tip, in words (no field names).
//! - A tip effect reads "+2.1 dB" (signed, 0.1 dB) with "±0.6", half its
//!   95 % interval, when there is one; its sentence names the bass and the
//!   two other bands that differ most ([`tip_effect_sentence`]).

use crate::analysis::seal::Corner;
use crate::compare::{
    BandEffect, Bound, Comparison, CornerMethod, CornerStat, OutlierMetric, RankEntry, Stat,
    TipEffect, TipStats,
};

/// A frequency: "0.6 Hz", "97 Hz", "1.6 kHz".
pub fn hz(v: f64) -> String {
    if !v.is_finite() {
        "–".into()
    } else if v >= 1000.0 {
        format!("{:.1} kHz", v / 1000.0)
    } else if v >= 10.0 {
        format!("{v:.0} Hz")
    } else {
        format!("{v:.1} Hz")
    }
}

/// A frequency without its unit, in kHz when `kilo`: for intervals, "64–138"
/// after "94 Hz", "1.2–2.3" after "1.6 kHz".
fn hz_bare(v: f64, kilo: bool) -> String {
    if kilo {
        format!("{:.1}", v / 1000.0)
    } else if v >= 10.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// A value or a bound: "97 Hz", "< 20 Hz", "> 1.0 kHz".
pub fn corner(c: Corner) -> String {
    match c {
        Corner::Value { hz: v } => hz(v),
        Corner::Below { hz: v } => format!("< {}", hz(v)),
        Corner::Above { hz: v } => format!("> {}", hz(v)),
    }
}

/// A tip's leak corner (see the module documentation); `None` without one.
pub fn corner_stat(c: Option<&CornerStat>) -> Option<String> {
    let c = c?;
    let counts = || {
        let mut parts = Vec::new();
        if let Some(b) = c.below_hz.filter(|_| c.below > 0) {
            parts.push(format!("{} of {} < {}", c.below, c.n, hz(b)));
        }
        if let Some(a) = c.above_hz.filter(|_| c.above > 0) {
            parts.push(format!("{} of {} > {}", c.above, c.n, hz(a)));
        }
        parts.join(", ")
    };
    Some(match c.method {
        CornerMethod::GeometricMean => {
            let centre = c.value_hz()?;
            match c.interval_hz() {
                // The ends in the centre's unit; a kHz centre whose interval
                // starts under 100 Hz names both units.
                Some((lo, hi)) if centre >= 1000.0 && lo < 100.0 => {
                    format!("{} ({}–{})", hz(centre), hz(lo), hz(hi))
                }
                Some((lo, hi)) => {
                    let kilo = centre >= 1000.0;
                    format!(
                        "{} ({}–{})",
                        hz(centre),
                        hz_bare(lo, kilo),
                        hz_bare(hi, kilo)
                    )
                }
                None => hz(centre),
            }
        }
        CornerMethod::Bound if c.n == 1 => corner(c.centre?),
        CornerMethod::Bound => format!("all {} fits {}", c.n, corner(c.centre?)),
        CornerMethod::Median => match c.centre {
            Some(centre) => format!("median {} ({})", corner(centre), counts()),
            None => format!("undetermined ({})", counts()),
        },
    })
}

/// A tip's leak corner without interval or counts: "94 Hz", "median
/// 500 Hz", "< 20 Hz" (legends, short labels).
pub fn corner_short(c: Option<&CornerStat>) -> Option<String> {
    let c = c?;
    let centre = corner(c.centre?);
    Some(match c.method {
        CornerMethod::Median => format!("median {centre}"),
        _ => centre,
    })
}

/// `v` with `digits` decimals, rounded first so that -0.04 reads "0.0",
/// never "-0.0".
pub fn fixed(v: f64, digits: usize) -> String {
    let p = 10f64.powi(digits as i32);
    let r = if v.is_finite() {
        (v * p).round() / p + 0.0
    } else {
        v
    };
    format!("{r:.digits$}")
}

/// "mean ± SD" with `digits` decimals; one fit: the value alone.
pub fn mean_sd(s: &Stat, digits: usize) -> String {
    match s.sd {
        Some(sd) => format!("{} ± {}", fixed(s.mean, digits), fixed(sd, digits)),
        None => fixed(s.mean, digits),
    }
}

/// The 95 % interval "[low, high]" with `digits` decimals (`None` from one
/// fit).
pub fn interval(s: &Stat, digits: usize) -> Option<String> {
    let (lo, hi) = s.interval()?;
    Some(format!("[{}, {}]", fixed(lo, digits), fixed(hi, digits)))
}

/// "fit 5", "fits 2, 5" (sorted, each once; empty for none), so that a
/// list of fits never reads as a count.
pub fn fits(list: &[usize]) -> String {
    fits_named(list.iter().copied())
}

/// [`fits`] of any iterator of fit numbers.
pub fn fits_named(fits: impl IntoIterator<Item = usize>) -> String {
    let set: std::collections::BTreeSet<usize> = fits.into_iter().collect();
    let list: Vec<String> = set.iter().map(|f| f.to_string()).collect();
    match list.len() {
        0 => String::new(),
        1 => format!("fit {}", list[0]),
        _ => format!("fits {}", list.join(", ")),
    }
}

/// A ranking entry's value as shown: "94 Hz", "< 20 Hz", "3.1 dB".
pub fn rank_value(by: crate::compare::RankMetric, e: &RankEntry) -> String {
    match by.unit() {
        crate::compare::RankUnit::Hz => {
            let v = by.shown(e.value);
            match e.bound {
                Some(Bound::Below) => corner(Corner::Below { hz: v }),
                Some(Bound::Above) => corner(Corner::Above { hz: v }),
                None => hz(v),
            }
        }
        crate::compare::RankUnit::Db => format!("{:.1} dB", e.value),
    }
}

/// [`rank_value`], with a leak corner that is a median said so ("median
/// 1.6 kHz"), as the tip's corner reads elsewhere.
pub fn rank_value_of(c: &Comparison, by: crate::compare::RankMetric, e: &RankEntry) -> String {
    let stat = c
        .tips
        .iter()
        .find(|t| t.name == e.tip)
        .and_then(|t| t.leak_corner.as_ref());
    match (by, stat) {
        (crate::compare::RankMetric::LeakCorner, Some(s)) if e.bound.is_none() => {
            corner_short(Some(s)).unwrap_or_else(|| rank_value(by, e))
        }
        _ => rank_value(by, e),
    }
}

/// What compare and report say of fits whose verdict is uncertain.
pub fn uncertain(fits_: &[usize]) -> String {
    format!(
        "{} measured near the noise floor; {} verdict is uncertain (redo in a quieter place)",
        fits(fits_),
        if fits_.len() == 1 { "its" } else { "their" }
    )
}

/// The notes on one tip, in words: no seal, refit advice (sealing fits
/// only), uncertain verdicts, outliers.
pub fn tip_notes(t: &TipStats, refit_db: f64) -> Vec<String> {
    let mut out = Vec::new();
    let sealing = t.verdicts.len() - t.no_seal_fits.len().min(t.verdicts.len());
    if !t.no_seal_fits.is_empty() && sealing == 0 {
        out.push(format!(
            "no fit seals ({} of {}): this tip cannot seal here, and refitting will not help",
            t.no_seal_fits.len(),
            t.verdicts.len()
        ));
    } else if !t.no_seal_fits.is_empty() {
        out.push(format!(
            "{} did not seal while the others did: refit advised",
            fits(&t.no_seal_fits)
        ));
    }
    if !t.refit_pairs.is_empty() {
        let involved: Vec<usize> = t.refit_pairs.iter().flat_map(|(a, b)| [*a, *b]).collect();
        let by = t
            .refit_max_diff_db
            .map_or(String::new(), |d| format!(" by up to {d:.1} dB"));
        out.push(format!(
            "{} disagree below 1 kHz{by} (more than {refit_db} dB): refit advised",
            fits(&involved)
        ));
    }
    if !t.uncertain_fits.is_empty() {
        out.push(uncertain(&t.uncertain_fits));
    }
    for o in &t.outliers {
        let what = match o.metric {
            OutlierMetric::BassDb => format!("bass level ({:+.1} dB re mids)", o.value),
            OutlierMetric::Log10LeakCornerHz => {
                format!("leak corner ({})", hz(10f64.powf(o.value)))
            }
        };
        out.push(format!(
            "{}'s {what} is far from the other fits' ({:.1} robust SDs from the median); it is kept in the statistics",
            fits(&[o.fit]),
            o.robust_z.abs()
        ));
    }
    out
}

/// Every tip's notes as "Tip: note" lines, tip by tip, then the
/// comparison's own warnings ("warning: ...") and its reference note.
pub fn notes(c: &Comparison) -> Vec<String> {
    let mut out = Vec::new();
    for t in &c.tips {
        for n in tip_notes(t, c.refit_db) {
            out.push(format!("{}: {n}", t.name));
        }
    }
    for r in [&c.seal_ranking]
        .into_iter()
        .chain(c.bass_deficit_ranking.as_ref())
        .chain(c.isolation_ranking.as_ref())
    {
        if let Some(n) = &r.note {
            out.push(format!("seal ranking: {n}"));
        }
    }
    if let Some(n) = &c.reference_note {
        out.push(n.clone());
    }
    out.extend(c.warnings.iter().map(|w| format!("warning: {w}")));
    out
}

/// A signed level in dB with one decimal, rounded first so that -0.04
/// reads "+0.0", never "-0.0".
pub fn signed(v: f64) -> String {
    format!("{:+.1}", (v * 10.0).round() / 10.0 + 0.0)
}

/// A band's name as read: "sub-bass", "low mids", "air".
pub fn band_name(band: &str) -> String {
    band.replace("low-mids", "low mids")
}

/// A band's edges without units: "20-60", "500-2k", "10k-16k".
pub fn band_range(hz: [f64; 2]) -> String {
    let k = |v: f64| {
        if v >= 1000.0 {
            format!("{}k", v / 1000.0)
        } else {
            format!("{v}")
        }
    };
    format!("{}-{}", k(hz[0]), k(hz[1]))
}

/// A band's effect: "+2.1 ±0.6" (± half the 95 % interval), "+2.1" with no
/// interval, "-" without data.
pub fn effect_cell(b: &BandEffect) -> String {
    match (b.delta_db, b.half_ci()) {
        (Some(d), Some(h)) => format!("{} ±{h:.1}", signed(d)),
        (Some(d), None) => signed(d),
        (None, _) => "-".into(),
    }
}

/// The tip effect in one sentence: "Final E vs stock: -0.4 dB bass, +2.1 dB
/// treble (±0.6), +5.8 dB air (±0.9)": the bass and the two other bands
/// whose difference is largest, in band order; "(±h)" is half the 95 %
/// interval, left out where there is none (and then said why).
pub fn tip_effect_sentence(e: &TipEffect) -> String {
    let head = format!("{} vs {}", e.tip, e.baseline);
    let with: Vec<(usize, &BandEffect)> = e
        .bands
        .iter()
        .enumerate()
        .filter(|(_, b)| b.delta_db.is_some())
        .collect();
    if with.is_empty() {
        return format!("{head}: no band measured by both");
    }
    let mut others: Vec<&(usize, &BandEffect)> =
        with.iter().filter(|(_, b)| b.band != "bass").collect();
    others.sort_by(|a, b| {
        let m = |x: &BandEffect| x.delta_db.map_or(0.0, f64::abs);
        m(b.1).total_cmp(&m(a.1)).then(a.0.cmp(&b.0))
    });
    let mut shown: Vec<usize> = others.iter().take(2).map(|p| p.0).collect();
    shown.extend(with.iter().filter(|(_, b)| b.band == "bass").map(|p| p.0));
    shown.sort_unstable();
    let parts: Vec<String> = shown
        .iter()
        .map(|&k| {
            let b = &e.bands[k];
            let d = signed(b.delta_db.unwrap_or(0.0));
            match b.half_ci() {
                Some(h) => format!("{d} dB {} (±{h:.1})", band_name(&b.band)),
                None => format!("{d} dB {}", band_name(&b.band)),
            }
        })
        .collect();
    let mut out = format!("{head}: {}", parts.join(", "));
    if shown.iter().any(|&k| e.bands[k].single_fit) {
        let n = |n: usize| {
            if n == 1 {
                "1 fit".to_string()
            } else {
                format!("{n} fits")
            }
        };
        out += &format!(
            " ({} of {}, {} of {}: no interval)",
            n(e.n),
            e.tip,
            n(e.n_baseline),
            e.baseline
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_never_reads_minus_zero() {
        assert_eq!(fixed(-0.04, 1), "0.0");
        assert_eq!(fixed(-0.0, 2), "0.00");
        assert_eq!(fixed(-0.05, 1), "-0.1");
        assert_eq!(fixed(2.345, 2), "2.35");
        assert_eq!(fixed(-12.0, 0), "-12");
    }

    fn cs(c: &[Corner]) -> Option<String> {
        corner_stat(CornerStat::of(c).as_ref())
    }

    #[test]
    fn corners_read_the_same_everywhere() {
        let v = |hz| Corner::Value { hz };
        // 10^mean of log10 64, 138: sqrt(64 x 138) = 93.98.
        let t = cs(&[v(64.0), v(138.0)]).unwrap();
        assert!(t.starts_with("94 Hz ("), "{t}");
        assert_eq!(cs(&[v(118.0)]).unwrap(), "118 Hz");
        assert_eq!(
            cs(&[Corner::Below { hz: 20.3 }; 5]).unwrap(),
            "all 5 fits < 20 Hz"
        );
        assert_eq!(cs(&[Corner::Below { hz: 15.0 }]).unwrap(), "< 15 Hz");
        assert_eq!(
            cs(&[
                v(300.0),
                v(500.0),
                Corner::Above { hz: 1000.0 },
                Corner::Above { hz: 1000.0 },
                v(400.0)
            ])
            .unwrap(),
            "median 500 Hz (2 of 5 > 1.0 kHz)"
        );
        assert_eq!(corner_stat(None), None);
        // A kHz centre: the interval's ends in kHz too. log10 of 1200,
        // 1500, 2300: mean 3.2057 (1606 Hz), SD 0.1436, t(2) = 4.303, half
        // 0.3567: 706-3651 Hz (checked with Python).
        assert_eq!(
            cs(&[v(1200.0), v(1500.0), v(2300.0)]).unwrap(),
            "1.6 kHz (0.7–3.7)"
        );
        // Two fits 1200 and 2300 Hz: t(1) = 12.7 makes the interval start
        // under 100 Hz, which keeps its own unit.
        let t = cs(&[v(1200.0), v(2300.0)]).unwrap();
        assert!(
            t.starts_with("1.7 kHz (") && t.contains(" Hz–") && t.ends_with(" kHz)"),
            "{t}"
        );
    }

    #[test]
    fn one_fit_has_no_plus_minus() {
        let one = Stat::of(&[3.04159]).unwrap();
        assert_eq!(mean_sd(&one, 1), "3.0");
        assert_eq!(interval(&one, 1), None);
        let two = Stat::of(&[1.0, 3.0]).unwrap();
        assert_eq!(mean_sd(&two, 1), "2.0 ± 1.4");
        assert!(interval(&two, 1).is_some());
    }

    #[test]
    fn fit_lists_name_the_fits() {
        assert_eq!(fits(&[5]), "fit 5");
        assert_eq!(fits(&[5, 2, 5]), "fits 2, 5");
        assert_eq!(fits(&[]), "");
        assert_eq!(fits(&[]), "");
    }

    fn effect(deltas: [Option<f64>; 7], half: Option<f64>, n: usize) -> TipEffect {
        TipEffect {
            tip: "Final E".into(),
            baseline: "stock".into(),
            n,
            n_baseline: 2,
            reference_band_hz: [300.0, 1000.0],
            bands: crate::compare::EFFECT_BANDS
                .iter()
                .zip(deltas)
                .map(|(b, d)| BandEffect {
                    band: b.name.into(),
                    band_hz: [b.lo_hz, b.hi_hz],
                    delta_db: d,
                    ci95_low: half.and(d).map(|d| d - half.unwrap()),
                    ci95_high: half.and(d).map(|d| d + half.unwrap()),
                    df: half.map(|_| 3.0),
                    n,
                    n_baseline: 2,
                    single_fit: d.is_some() && n == 1,
                })
                .collect(),
            notes: vec![],
        }
    }

    /// The bass and the two largest other bands, in band order, signed,
    /// "±" only with an interval; a single fit is said.
    #[test]
    fn tip_effect_sentences_by_hand() {
        let d = [
            Some(0.3),
            Some(-0.44),
            Some(0.1),
            Some(0.0),
            Some(-1.0),
            Some(2.1),
            Some(5.84),
        ];
        assert_eq!(
            tip_effect_sentence(&effect(d, Some(0.6), 3)),
            "Final E vs stock: -0.4 dB bass (±0.6), +2.1 dB treble (±0.6), +5.8 dB air (±0.6)"
        );
        assert_eq!(
            tip_effect_sentence(&effect(d, None, 1)),
            "Final E vs stock: -0.4 dB bass, +2.1 dB treble, +5.8 dB air (1 fit of Final E, 2 fits of stock: no interval)"
        );
        let mut lows = d;
        lows[0] = Some(-7.0);
        lows[2] = Some(-0.04);
        let s = tip_effect_sentence(&effect(lows, None, 1));
        assert!(
            s.starts_with("Final E vs stock: -7.0 dB sub-bass, -0.4 dB bass, +5.8 dB air"),
            "{s}"
        );
        assert_eq!(
            tip_effect_sentence(&effect([None; 7], None, 0)),
            "Final E vs stock: no band measured by both"
        );
        let e = effect(d, Some(0.61), 3);
        assert_eq!(effect_cell(&e.bands[1]), "-0.4 ±0.6");
        assert_eq!(effect_cell(&effect(d, None, 1).bands[1]), "-0.4");
        assert_eq!(signed(-0.04), "+0.0");
        assert_eq!(band_range([500.0, 2000.0]), "500-2k");
        assert_eq!(band_range([10_000.0, 16_000.0]), "10k-16k");
    }
}
