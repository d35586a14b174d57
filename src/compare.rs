//! Compare tips across fits: per-tip statistics, rankings with ties,
//! outliers. Reads stored fits only; never measures.
//!
//! - Spread: mean, sample SD and the 95 % confidence interval of the mean
//!   (Student t) over fits.
//! - Seal ranking: by the fitted leak's -3 dB corner (lower is a better
//!   seal), compared on log10(corner); with a reference response, by bass
//!   loss (lower is better). Two neighbours are tied when their difference is
//!   inside 1.96 x the combined standard error of their means.
//! - Isolation ranking: by the per-fit attenuation of A-weighted pink noise
//!   (octave bands 125 Hz-8 kHz of the insertion loss), higher is better.
//! - Repeatability: the fit-to-fit SD of the response on a 1/6-octave grid
//!   20 Hz-1 kHz; `max_sd_db` is its largest value. A pair of fits that
//!   differ by more than 2.5 dB there (IEC 60268-7 practice) is listed.
//! - Outliers: a fit whose bass level or corner is more than 3.5 robust
//!   z-scores from the tip's median (modified z = 0.6745 (x - median) / MAD;
//!   Iglewicz & Hoaglin 1993) is reported, never dropped.

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
    /// Statistics of `v` (`None` when empty or not finite).
    pub fn of(v: &[f64]) -> Option<Stat> {
        if v.is_empty() || v.iter().any(|x| !x.is_finite()) {
            return None;
        }
        let n = v.len();
        let mean = v.iter().sum::<f64>() / n as f64;
        let sd = if n > 1 { sample_sd(v) } else { 0.0 };
        let half = if n > 1 {
            student_t_quantile(0.975, n - 1) * sd / (n as f64).sqrt()
        } else {
            0.0
        };
        Some(Stat {
            n,
            mean,
            sd,
            ci95_low: mean - half,
            ci95_high: mean + half,
        })
    }

    fn standard_error(&self) -> f64 {
        self.sd / (self.n as f64).sqrt()
    }
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
    /// Fits that could be read.
    pub fits: usize,
    /// Per-fit verdicts, in fit order.
    pub verdicts: Vec<Verdict>,
    /// The median verdict.
    pub verdict: Verdict,
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
    /// Pairs of fits differing by more than 2.5 dB below 1 kHz (refit advised).
    pub refit_pairs: Vec<(usize, usize)>,
    /// Outlier fits.
    pub outliers: Vec<Outlier>,
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
}

/// The 1/6-octave grid on which repeatability is judged.
fn repeatability_grid() -> Vec<f64> {
    crate::dsp::grid::log_grid(20.0, 1000.0, 6)
}

fn corner_of(r: &FitRecord) -> Option<f64> {
    let fit = r.response()?.seal.leak_fit.as_ref()?;
    Some(
        crate::acoustics::Leak {
            f0_hz: fit.f0_hz,
            zeta: fit.zeta,
        }
        .corner_hz(),
    )
}

fn isolation_rating(t: &BandTable) -> Option<f64> {
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

fn outliers(metric: &str, values: &[(usize, f64)]) -> Vec<Outlier> {
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
        .filter(|p| p.2.abs() > 3.5)
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

fn repeatability(fits: &[&FitRecord]) -> (Option<f64>, Vec<(usize, usize)>) {
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
    let max_sd = (0..grid.len())
        .map(|k| sample_sd(&curves.iter().map(|c| c.1[k]).collect::<Vec<_>>()))
        .fold(0.0, f64::max);
    let mut pairs = Vec::new();
    for (i, a) in curves.iter().enumerate() {
        for b in &curves[i + 1..] {
            if a.1.iter().zip(&b.1).any(|(x, y)| (x - y).abs() > 2.5) {
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
pub fn tip_stats(name: &str, fits: &[&FitRecord]) -> TipStats {
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
        .filter_map(|r| Some((r.fit, corner_of(r)?)))
        .collect();
    let mut verdicts: Vec<Verdict> = seal.iter().map(|(_, m)| m.seal.verdict).collect();
    let mut sorted = verdicts.clone();
    sorted.sort_by_key(|v| verdict_rank(*v));
    let verdict = sorted
        .get(sorted.len() / 2)
        .copied()
        .unwrap_or(Verdict::NoSeal);
    let tables: Vec<&BandTable> = fits
        .iter()
        .filter_map(|r| Some(&r.isolation.as_ref()?.octave))
        .collect();
    let ratings: Vec<f64> = tables.iter().filter_map(|t| isolation_rating(t)).collect();
    let (repeatability_max_sd_db, refit_pairs) = repeatability(fits);
    let mut out = outliers("bass_db", &bass);
    let log_corners: Vec<(usize, f64)> = corners.iter().map(|(f, c)| (*f, c.log10())).collect();
    out.extend(outliers("log10_leak_corner_hz", &log_corners));
    verdicts.shrink_to_fit();
    TipStats {
        name: name.into(),
        fits: fits.len(),
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
    }
}

/// Rank `(tip, stat)` pairs; `lower_is_better` flips the order.
fn rank(by: &str, mut items: Vec<(String, Stat)>, lower_is_better: bool) -> Ranking {
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
            (p.mean - s.mean).abs() <= 1.96 * se
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

/// Compare the tips of a session from its fits.
pub fn compare(info: &SessionInfo, fits: &[FitRecord], warnings: Vec<String>) -> Comparison {
    let tips: Vec<TipStats> = info
        .tips
        .iter()
        .map(|t| {
            let mine: Vec<&FitRecord> = fits.iter().filter(|r| r.tip == t.name).collect();
            tip_stats(&t.name, &mine)
        })
        .collect();
    let with_reference = tips.iter().any(|t| t.bass_loss_db.is_some());
    let seal_ranking = if with_reference {
        let items = tips
            .iter()
            .filter_map(|t| Some((t.name.clone(), t.bass_loss_db.clone()?)))
            .collect();
        rank(
            "bass loss against the reference, dB (lower is better)",
            items,
            true,
        )
    } else {
        let items = tips
            .iter()
            .filter_map(|t| {
                let logs: Vec<f64> = fits
                    .iter()
                    .filter(|r| r.tip == t.name)
                    .filter_map(corner_of)
                    .map(f64::log10)
                    .collect();
                Some((t.name.clone(), Stat::of(&logs)?))
            })
            .collect();
        rank(
            "log10 of the fitted leak corner in Hz (lower is a better seal)",
            items,
            true,
        )
    };
    let ratings: Vec<(String, Stat)> = tips
        .iter()
        .filter_map(|t| Some((t.name.clone(), t.isolation_rating_db.clone()?)))
        .collect();
    let isolation_ranking = (!ratings.is_empty()).then(|| {
        rank(
            "attenuation of A-weighted pink noise, dB (higher is better)",
            ratings,
            false,
        )
    });
    Comparison {
        iem: info.iem.clone(),
        tips,
        seal_ranking,
        isolation_ranking,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let o = outliers("bass_db", &v);
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].fit, 5);
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
        );
        assert_eq!(r.entries[0].rank, 1);
        assert_eq!(r.entries[1].rank, 1);
        assert!(r.entries[1].tied_with_previous);
        assert_eq!(r.entries[2].rank, 3);
    }
}
