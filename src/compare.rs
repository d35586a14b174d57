//! Compare tips across fits: per-tip statistics, rankings with ties,
//! outliers. Reads stored fits only; never measures.
//!
//! - Spread: mean, sample SD and the 95 % confidence interval of the mean
//!   (Student t) over fits.
//! - Seal ranking: by the fitted leak's -3 dB corner (lower is a better
//!   seal; fitted against the reference response when the session has one),
//!   compared on log10(corner), corners clamped to [`CORNER_RANGE_HZ`]; tips
//!   without any leak fit after them by bass deficit (bass loss, else minus
//!   the bass level). Two neighbours are tied when their difference is
//!   inside 1.96 x the combined standard error of their means, or smaller
//!   than a practical minimum ([`MIN_RANK_DIFF`]).
//! - Isolation ranking: by the per-fit attenuation of A-weighted pink noise
//!   (octave bands 125 Hz-8 kHz of the insertion loss), higher is better.
//! - Repeatability: the fit-to-fit SD of the response on a 1/6-octave grid
//!   20 Hz-1 kHz; `max_sd_db` is its largest value. A pair of fits that
//!   differ by more than `refit_db` there (default 2.5 dB) is listed.
//! - Outliers: a fit whose bass level or corner is more than 3.5 robust
//!   z-scores from the tip's median (modified z = 0.6745 (x - median) / MAD;
//!   Iglewicz & Hoaglin 1993) and further from it than a practical minimum
//!   (1 dB of bass, 0.15 decade of corner; corners below 15 Hz count as
//!   15 Hz) is reported, never dropped.

use crate::analysis::isolation::BandTable;
use crate::analysis::ratings::{pink_a_attenuation_db, sample_sd, student_t_quantile};
use crate::analysis::seal::interpolate_db;
use crate::analysis::Verdict;
use crate::session::model::{FitRecord, SessionInfo};
use serde::{Deserialize, Serialize};

/// Mean and spread of one quantity over fits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    /// Number of values.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (0 for one value).
    pub sd: f64,
    /// Lower end of the 95 % confidence interval of the mean.
    pub ci95_low: f64,
    /// Upper end of the 95 % confidence interval of the mean.
    pub ci95_high: f64,
}

impl Stat {
    /// Statistics of `v` (`None` when empty, when a value is not finite or
    /// when a statistic would not be: values so huge that even the scaled
    /// arithmetic overflows).
    pub fn of(v: &[f64]) -> Option<Stat> {
        Self::of_with_t(v, t975(v.len()))
    }

    /// [`Stat::of`] with the interval factor `t = t975(v.len())` given:
    /// computed once for many statistics over the same number of values
    /// (the quantile is a bisection, too slow for every grid point).
    fn of_with_t(v: &[f64], t: f64) -> Option<Stat> {
        if v.is_empty() || v.iter().any(|x| !x.is_finite()) {
            return None;
        }
        let n = v.len();
        let scale = overflow_scale(v);
        let u: Vec<f64> = v.iter().map(|x| x / scale).collect();
        let mean = u.iter().sum::<f64>() / n as f64 * scale;
        let sd = if n > 1 { sample_sd(&u) * scale } else { 0.0 };
        let half = if n > 1 {
            t * sd / (n as f64).sqrt()
        } else {
            0.0
        };
        let s = Stat {
            n,
            mean,
            sd,
            ci95_low: mean - half,
            ci95_high: mean + half,
        };
        [s.mean, s.sd, s.ci95_low, s.ci95_high]
            .iter()
            .all(|x| x.is_finite())
            .then_some(s)
    }

    fn standard_error(&self) -> f64 {
        self.sd / (self.n as f64).sqrt()
    }
}

/// The factor of a 95 % interval of the mean of `n` values: the 97.5 %
/// Student t quantile with `n - 1` degrees of freedom (0 for one value).
fn t975(n: usize) -> f64 {
    if n > 1 {
        student_t_quantile(0.975, n - 1)
    } else {
        0.0
    }
}

/// Huge (finite) values would overflow sums and squares: statistics are
/// computed on the values divided by this power of two (exact), then
/// scaled back. 1 unless a value exceeds 1e150.
fn overflow_scale(v: &[f64]) -> f64 {
    let big = v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    if big > 1e150 {
        2f64.powi(big.log2().floor() as i32)
    } else {
        1.0
    }
}

/// The mean of `v`, safe from overflow however huge the values (`None`:
/// empty, or a value not finite).
pub fn finite_mean(v: &[f64]) -> Option<f64> {
    let scale = overflow_scale(v);
    let m = v.iter().map(|x| x / scale).sum::<f64>() / v.len() as f64 * scale;
    m.is_finite().then_some(m)
}

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

/// A fit reported as an outlier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outlier {
    /// Fit number.
    pub fit: usize,
    /// Which quantity.
    pub metric: String,
    /// Its value.
    pub value: f64,
    /// Modified z-score.
    pub robust_z: f64,
}

/// Isolation per octave band over fits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OctaveStats {
    /// Nominal centres, Hz.
    pub centre_hz: Vec<f64>,
    /// Mean attenuation, dB.
    pub mean_db: Vec<f64>,
    /// SD over fits, dB.
    pub sd_db: Vec<f64>,
    /// True where any fit was floor-limited (the mean is then a lower bound).
    pub floor_limited: Vec<bool>,
}

/// Everything `compare` says about one tip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TipStats {
    /// Tip name.
    pub name: String,
    /// Fits measured and read.
    pub fits: usize,
    /// Fits the user skipped.
    pub skipped_fits: usize,
    /// Per-fit verdicts, in fit order.
    pub verdicts: Vec<Verdict>,
    /// The median verdict (`None`: no seal measurement).
    pub verdict: Option<Verdict>,
    /// Bass level, dB.
    pub bass_db: Option<Stat>,
    /// Bass loss against the reference, dB.
    pub bass_loss_db: Option<Stat>,
    /// Fitted leak corner (including corners below the reported 15 Hz), Hz.
    pub leak_corner_hz: Option<Stat>,
    /// Isolation per octave band.
    pub isolation_octave: Option<OctaveStats>,
    /// Attenuation of A-weighted pink noise, dB.
    pub isolation_rating_db: Option<Stat>,
    /// Largest fit-to-fit SD of the response 20 Hz-1 kHz, dB.
    pub repeatability_max_sd_db: Option<f64>,
    /// Pairs of fits differing by more than `refit_db` below 1 kHz (refit advised).
    pub refit_pairs: Vec<(usize, usize)>,
    /// Outlier fits.
    pub outliers: Vec<Outlier>,
    /// Fits whose verdict is uncertain (bass near the noise floor).
    #[serde(default)]
    pub uncertain_fits: Vec<usize>,
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

/// A ranking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ranking {
    /// What is ranked and how.
    pub by: String,
    /// Best first.
    pub entries: Vec<RankEntry>,
}

/// The comparison of a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// IEM name.
    pub iem: String,
    /// Per tip, in session order.
    pub tips: Vec<TipStats>,
    /// Seal ranking.
    pub seal_ranking: Ranking,
    /// Isolation ranking (when isolation was measured).
    pub isolation_ranking: Option<Ranking>,
    /// Problems met while reading (corrupt fits, ...).
    pub warnings: Vec<String>,
    /// The refit limit used for `refit_pairs`, dB.
    pub refit_db: f64,
}

/// The 1/6-octave grid on which repeatability is judged.
fn repeatability_grid() -> Vec<f64> {
    crate::dsp::grid::log_grid(20.0, 1000.0, 6)
}

/// Smallest deviation from the tip's median that can make an outlier:
/// bass 1 dB, leak corner 0.15 decade (x1.4).
pub const OUTLIER_MIN_DEV: (f64, f64) = (1.0, 0.15);
/// Corners below this count as this for outliers (all are sealed), Hz.
pub const OUTLIER_CORNER_FLOOR_HZ: f64 = 15.0;

/// Corners are clamped to this range before statistics: below 0.5 Hz a
/// sweep from 10 Hz cannot tell seals apart, above 24 kHz there is no seal.
pub const CORNER_RANGE_HZ: (f64, f64) = (0.5, 24_000.0);

/// The fitted leak corner of a fit, for statistics and ranking; `None`
/// when the leak model does not describe its low end
/// (`seal.leak_fit_uncertain`: its corner would rank nothing).
fn corner_of(r: &FitRecord) -> Option<f64> {
    let seal = &r.response()?.seal;
    if seal.leak_fit_uncertain {
        return None;
    }
    let fit = seal.leak_fit.as_ref()?;
    let c = crate::acoustics::Leak {
        f0_hz: fit.f0_hz,
        zeta: fit.zeta,
    }
    .corner_hz();
    if c.is_nan() {
        return None;
    }
    Some(c.clamp(CORNER_RANGE_HZ.0, CORNER_RANGE_HZ.1))
}

/// Seal ranking: by the fitted leak corner (log10), lower first; tips
/// without any fitted leak by bass deficit after them.
fn seal_ranking(tips: &[TipStats], fits: &[FitRecord]) -> Ranking {
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
    let mut ranking = rank(
        "log10 of the fitted leak corner in Hz (lower is a better seal)",
        items,
        true,
        MIN_RANK_DIFF.0,
    );
    let ranked: Vec<String> = ranking.entries.iter().map(|e| e.tip.clone()).collect();
    let rest: Vec<(String, Stat)> = tips
        .iter()
        .filter(|t| !ranked.contains(&t.name))
        .filter_map(|t| {
            let deficit = t.bass_loss_db.clone().or_else(|| {
                t.bass_db.clone().map(|s| Stat {
                    mean: -s.mean,
                    ci95_low: -s.ci95_high,
                    ci95_high: -s.ci95_low,
                    ..s
                })
            })?;
            Some((t.name.clone(), deficit))
        })
        .collect();
    if !rest.is_empty() {
        let offset = ranking.entries.len();
        for mut e in rank("", rest, true, MIN_RANK_DIFF.1).entries {
            e.rank += offset;
            e.tied_with_previous = e.tied_with_previous && e.rank > offset + 1;
            ranking.by = "log10 of the fitted leak corner in Hz (lower is a better seal); tips without a fitted leak after them, by bass deficit in dB".into();
            ranking.entries.push(e);
        }
    }
    ranking
}

/// The attenuation of A-weighted pink noise from octave bands 125 Hz-8 kHz.
pub fn isolation_rating(t: &BandTable) -> Option<f64> {
    let mut att = [0.0; 7];
    for (i, c) in [125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0]
        .iter()
        .enumerate()
    {
        let j = t.centre_hz.iter().position(|x| x == c)?;
        att[i] = t.attenuation_db[j];
    }
    Some(pink_a_attenuation_db(&att, None))
}

/// Fits more than 3.5 robust z from the median and further than `min_dev`
/// from it (so near-identical fits do not flag noise).
fn outliers(metric: &str, values: &[(usize, f64)], min_dev: f64) -> Vec<Outlier> {
    let mut v: Vec<f64> = values.iter().map(|p| p.1).collect();
    if v.len() < 3 {
        return Vec::new();
    }
    let centre = median(&mut v);
    let mut dev: Vec<f64> = values.iter().map(|p| (p.1 - centre).abs()).collect();
    let mad = median(&mut dev);
    if mad <= 1e-9 {
        return Vec::new();
    }
    values
        .iter()
        .map(|&(fit, value)| (fit, value, 0.6745 * (value - centre) / mad))
        .filter(|p| p.2.is_finite() && p.2.abs() > 3.5 && (p.1 - centre).abs() > min_dev)
        .map(|(fit, value, robust_z)| Outlier {
            fit,
            metric: metric.into(),
            value,
            robust_z,
        })
        .collect()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

fn repeatability(fits: &[&FitRecord], limit_db: f64) -> (Option<f64>, Vec<(usize, usize)>) {
    let grid = repeatability_grid();
    let curves: Vec<(usize, Vec<f64>)> = fits
        .iter()
        .filter_map(|r| {
            let fr = &r.response()?.frequency_response;
            (fr.freq_hz.len() > 1).then(|| {
                (
                    r.fit,
                    grid.iter()
                        .map(|&f| interpolate_db(&fr.freq_hz, &fr.db, f))
                        .collect(),
                )
            })
        })
        .collect();
    if curves.len() < 2 {
        return (None, Vec::new());
    }
    let t = t975(curves.len());
    let max_sd = (0..grid.len())
        .filter_map(|k| Stat::of_with_t(&curves.iter().map(|c| c.1[k]).collect::<Vec<_>>(), t))
        .map(|s| s.sd)
        .fold(0.0, f64::max);
    let mut pairs = Vec::new();
    for (i, a) in curves.iter().enumerate() {
        for b in &curves[i + 1..] {
            if a.1.iter().zip(&b.1).any(|(x, y)| (x - y).abs() > limit_db) {
                pairs.push((a.0, b.0));
            }
        }
    }
    (Some(max_sd), pairs)
}

fn octave_stats(tables: &[&BandTable]) -> Option<OctaveStats> {
    let first = tables.first()?;
    let centre_hz = first.centre_hz.clone();
    let mut mean_db = Vec::new();
    let mut sd_db = Vec::new();
    let mut floor_limited = Vec::new();
    for i in 0..centre_hz.len() {
        let v: Vec<f64> = tables
            .iter()
            .filter_map(|t| t.attenuation_db.get(i).copied())
            .collect();
        let s = Stat::of(&v)?;
        mean_db.push(s.mean);
        sd_db.push(s.sd);
        floor_limited.push(
            tables
                .iter()
                .any(|t| t.floor_limited.get(i).copied().unwrap_or(false)),
        );
    }
    Some(OctaveStats {
        centre_hz,
        mean_db,
        sd_db,
        floor_limited,
    })
}

fn verdict_rank(v: Verdict) -> usize {
    match v {
        Verdict::Good => 0,
        Verdict::Fair => 1,
        Verdict::Poor => 2,
        Verdict::NoSeal => 3,
    }
}

/// Statistics of one tip's fits.
/// `refit_db`: two fits further apart than this below 1 kHz are listed.
pub fn tip_stats(name: &str, fits: &[&FitRecord], refit_db: f64) -> TipStats {
    let seal: Vec<(usize, &crate::analysis::Measurement)> = fits
        .iter()
        .filter_map(|r| Some((r.fit, r.response()?)))
        .collect();
    let bass: Vec<(usize, f64)> = seal.iter().map(|(f, m)| (*f, m.seal.bass_db)).collect();
    let loss: Vec<f64> = seal
        .iter()
        .filter_map(|(_, m)| m.seal.bass_loss_db)
        .collect();
    let corners: Vec<(usize, f64)> = fits
        .iter()
        .filter(|r| !r.skipped)
        .filter_map(|r| Some((r.fit, corner_of(r)?)))
        .collect();
    let mut verdicts: Vec<Verdict> = seal.iter().map(|(_, m)| m.seal.verdict).collect();
    let uncertain_fits: Vec<usize> = seal
        .iter()
        .filter(|(_, m)| m.seal.uncertain)
        .map(|(f, _)| *f)
        .collect();
    let mut sorted = verdicts.clone();
    sorted.sort_by_key(|v| verdict_rank(*v));
    let verdict = sorted.get(sorted.len() / 2).copied();
    let tables: Vec<&BandTable> = fits
        .iter()
        .filter_map(|r| Some(&r.isolation.as_ref()?.octave))
        .collect();
    let ratings: Vec<f64> = tables.iter().filter_map(|t| isolation_rating(t)).collect();
    let (repeatability_max_sd_db, refit_pairs) = repeatability(fits, refit_db);
    let mut out = outliers("bass_db", &bass, OUTLIER_MIN_DEV.0);
    let log_corners: Vec<(usize, f64)> = corners
        .iter()
        .map(|(f, c)| (*f, c.max(OUTLIER_CORNER_FLOOR_HZ).log10()))
        .collect();
    out.extend(outliers(
        "log10_leak_corner_hz",
        &log_corners,
        OUTLIER_MIN_DEV.1,
    ));
    verdicts.shrink_to_fit();
    TipStats {
        name: name.into(),
        fits: fits.len(),
        skipped_fits: 0,
        verdicts,
        verdict,
        bass_db: Stat::of(&bass.iter().map(|p| p.1).collect::<Vec<_>>()),
        bass_loss_db: Stat::of(&loss),
        leak_corner_hz: Stat::of(&corners.iter().map(|p| p.1).collect::<Vec<_>>()),
        isolation_octave: octave_stats(&tables),
        isolation_rating_db: Stat::of(&ratings),
        repeatability_max_sd_db,
        refit_pairs,
        outliers: out,
        uncertain_fits,
    }
}

/// Smallest difference that separates two tips, whatever the statistics
/// say (with one fit per tip there is no spread to judge by): leak corner
/// 0.05 decade (12 %), bass deficit 0.5 dB, isolation 1 dB.
pub const MIN_RANK_DIFF: (f64, f64, f64) = (0.05, 0.5, 1.0);

/// Rank `(tip, stat)` pairs; `lower_is_better` flips the order; neighbours
/// closer than 1.96 combined standard errors or `min_diff` are tied.
fn rank(by: &str, mut items: Vec<(String, Stat)>, lower_is_better: bool, min_diff: f64) -> Ranking {
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
    Ranking {
        by: by.into(),
        entries,
    }
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
pub fn compare(info: &SessionInfo, fits: &[FitRecord], mut warnings: Vec<String>) -> Comparison {
    let rebased;
    let fits = match best_fit_reference(info, fits) {
        Some((r, note)) => {
            warnings.push(note);
            rebased = r;
            &rebased[..]
        }
        None => fits,
    };
    let refit_db = info.config.as_ref().map_or(2.5, |c| c.thresholds.refit_db);
    let tips: Vec<TipStats> = info
        .tips
        .iter()
        .map(|t| {
            let mine: Vec<&FitRecord> = fits
                .iter()
                .filter(|r| r.tip == t.name && !r.skipped)
                .collect();
            let mut s = tip_stats(&t.name, &mine, refit_db);
            s.skipped_fits = fits.iter().filter(|r| r.tip == t.name && r.skipped).count();
            s
        })
        .collect();
    let seal_ranking = seal_ranking(&tips, fits);
    let ratings: Vec<(String, Stat)> = tips
        .iter()
        .filter_map(|t| Some((t.name.clone(), t.isolation_rating_db.clone()?)))
        .collect();
    let isolation_ranking = (!ratings.is_empty()).then(|| {
        rank(
            "attenuation of A-weighted pink noise, dB (higher is better)",
            ratings,
            false,
            MIN_RANK_DIFF.2,
        )
    });
    Comparison {
        iem: info.iem.clone(),
        tips,
        seal_ranking,
        isolation_ranking,
        warnings,
        refit_db,
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
    let Some(r) = r else { return String::new() };
    let Some(e) = r.entries.iter().find(|e| e.tip == tip) else {
        return String::new();
    };
    let tied = r.entries.iter().filter(|x| x.rank == e.rank).count() > 1;
    format!("{}{}", e.rank, if tied { "=" } else { "" })
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
            rank_of(Some(&c.seal_ranking), &t.name),
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
            rank_of(Some(&c.seal_ranking), &t.name),
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

    #[test]
    fn finite_mean_of_huge_values_does_not_overflow() {
        assert_eq!(finite_mean(&[1.0, 2.0, 3.0]), Some(2.0));
        assert_eq!(finite_mean(&[1e308, 1.5e308]), Some(1.25e308));
        assert_eq!(finite_mean(&[-1.7e308, -1.7e308]), Some(-1.7e308));
        assert_eq!(finite_mean(&[]), None);
        assert_eq!(finite_mean(&[1.0, f64::NAN]), None);
        assert_eq!(finite_mean(&[1.0, f64::INFINITY]), None);
    }

    #[test]
    fn stat_of_known_values() {
        let s = Stat::of(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        assert_eq!(s.mean, 3.0);
        assert!((s.sd - 1.5811).abs() < 1e-4);
        // t(0.975, 4) = 2.776
        assert!((s.ci95_high - 3.0 - 2.776 * 1.5811 / 5f64.sqrt()).abs() < 1e-2);
        assert!(Stat::of(&[]).is_none());
    }

    #[test]
    fn mad_flags_the_odd_fit_only() {
        let v: Vec<(usize, f64)> = [0.1, -0.2, 0.0, 0.15, -12.0]
            .iter()
            .enumerate()
            .map(|(i, x)| (i + 1, *x))
            .collect();
        let o = outliers("bass_db", &v, 1.0);
        assert!(outliers("bass_db", &v, 20.0).is_empty());
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].fit, 5);
    }

    #[test]
    fn single_fits_tie_unless_a_practical_difference_separates_them() {
        let one = |m: f64| Stat::of(&[m]).unwrap();
        let r = rank(
            "x",
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
        let r = rank(
            "x",
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
}
