//! Per-tip statistics over fits: bass, leak corner, isolation,
//! repeatability and outliers.

use super::corner::{Corner, CornerStat};
use super::stats::{curve_spread, robust_outliers, Stat};
pub use crate::analysis::isolation::isolation_rating;
use crate::analysis::isolation::BandTable;
use crate::analysis::seal::{interpolate_db, leak_corner_class, SealConfig};
use crate::analysis::Verdict;
use crate::session::model::FitRecord;
use serde::{Deserialize, Serialize};

/// The quantity in which a fit is an outlier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OutlierMetric {
    /// The bass level, dB.
    #[serde(rename = "bass_db")]
    BassDb,
    /// log10 of the fitted leak corner in Hz (corners below
    /// [`OUTLIER_CORNER_FLOOR_HZ`] count as that).
    #[serde(rename = "log10_leak_corner_hz")]
    Log10LeakCornerHz,
}

impl OutlierMetric {
    /// The name as stored and shown: `bass_db`, `log10_leak_corner_hz`.
    pub fn as_str(self) -> &'static str {
        match self {
            OutlierMetric::BassDb => "bass_db",
            OutlierMetric::Log10LeakCornerHz => "log10_leak_corner_hz",
        }
    }
}

impl std::fmt::Display for OutlierMetric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A fit reported as an outlier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outlier {
    /// Fit number.
    pub fit: usize,
    /// Which quantity.
    pub metric: OutlierMetric,
    /// Its value.
    pub value: f64,
    /// Modified z-score.
    pub robust_z: f64,
}

/// Isolation per octave band over fits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OctaveStats {
    /// Fits with isolation (with one, `sd_db` is 0 and not shown).
    #[serde(default)]
    pub n: usize,
    /// Nominal centres, Hz.
    pub centre_hz: Vec<f64>,
    /// Mean attenuation, dB.
    pub mean_db: Vec<f64>,
    /// SD over fits, dB.
    pub sd_db: Vec<f64>,
    /// True where any fit was floor-limited (the mean is then a lower bound).
    pub floor_limited: Vec<bool>,
    /// True where any fit's band was corrected for the noise floor (margin
    /// 6-15 dB above it).
    #[serde(default)]
    pub floor_corrected: Vec<bool>,
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
    /// The leak corner over fits: geometric mean with its interval, or a
    /// median or a bound when fits are censored ([`CornerStat`]).
    pub leak_corner: Option<CornerStat>,
    /// Isolation per octave band.
    pub isolation_octave: Option<OctaveStats>,
    /// Attenuation of A-weighted pink noise, dB.
    pub isolation_rating_db: Option<Stat>,
    /// Largest fit-to-fit SD of the response 20 Hz-1 kHz, dB.
    pub repeatability_max_sd_db: Option<f64>,
    /// Pairs of sealing fits differing by more than `refit_db` below 1 kHz
    /// (refit advised). Fits with no seal at all are left out: refitting a
    /// tip that cannot seal does not help (see `no_seal_fits`).
    pub refit_pairs: Vec<(usize, usize)>,
    /// The largest difference between the fits of `refit_pairs` below
    /// 1 kHz, dB.
    #[serde(default)]
    pub refit_max_diff_db: Option<f64>,
    /// Fits whose verdict is no-seal.
    #[serde(default)]
    pub no_seal_fits: Vec<usize>,
    /// Outlier fits.
    pub outliers: Vec<Outlier>,
    /// Fits whose verdict is uncertain (bass near the noise floor).
    #[serde(default)]
    pub uncertain_fits: Vec<usize>,
}

impl TipStats {
    /// The bass deficit, dB (higher is a worse seal): the bass loss against
    /// the reference, else minus the bass level re mids.
    pub fn bass_deficit_db(&self) -> Option<Stat> {
        self.bass_loss_db
            .clone()
            .or_else(|| self.bass_db.as_ref().map(Stat::negated))
    }
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

/// The leak corner of a fit as a value or a bound
/// ([`leak_corner_class`]); `None` when there is no usable leak fit.
pub(crate) fn corner_of(r: &FitRecord, cfg: &SealConfig) -> Option<Corner> {
    let m = r.response()?;
    leak_corner_class(&m.seal, &m.frequency_response.freq_hz, cfg)
}

/// Fits more than 3.5 robust z from the median and further than `min_dev`
/// from it (so near-identical fits do not flag noise).
pub(crate) fn outliers(
    metric: OutlierMetric,
    values: &[(usize, f64)],
    min_dev: f64,
) -> Vec<Outlier> {
    robust_outliers(values, min_dev)
        .into_iter()
        .map(|(fit, value, robust_z)| Outlier {
            fit,
            metric,
            value,
            robust_z,
        })
        .collect()
}

/// The curves of `fits` on the repeatability grid.
fn grid_curves(fits: &[&FitRecord]) -> Vec<(usize, Vec<f64>)> {
    let grid = repeatability_grid();
    fits.iter()
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
        .collect()
}

/// Repeatability over every fit (the largest SD), and the pairs of sealing
/// fits further apart than `limit_db` with their largest difference.
fn repeatability(
    fits: &[&FitRecord],
    limit_db: f64,
) -> (Option<f64>, Vec<(usize, usize)>, Option<f64>) {
    let all = grid_curves(fits);
    let (max_sd, _) = curve_spread(&all, limit_db);
    let sealing: Vec<(usize, Vec<f64>)> = all
        .into_iter()
        .filter(|(fit, _)| {
            fits.iter()
                .find(|r| r.fit == *fit)
                .and_then(|r| r.response())
                .is_some_and(|m| m.seal.verdict != Verdict::NoSeal)
        })
        .collect();
    let (_, pairs) = curve_spread(&sealing, limit_db);
    let curve = |f: usize| sealing.iter().find(|c| c.0 == f).map(|c| &c.1);
    let max_diff = pairs
        .iter()
        .filter_map(|(a, b)| {
            let (a, b) = (curve(*a)?, curve(*b)?);
            a.iter().zip(b).map(|(x, y)| (x - y).abs()).reduce(f64::max)
        })
        .reduce(f64::max);
    (max_sd, pairs, max_diff)
}

fn octave_stats(tables: &[&BandTable]) -> Option<OctaveStats> {
    let first = tables.first()?;
    let centre_hz = first.centre_hz.clone();
    let mut mean_db = Vec::new();
    let mut sd_db = Vec::new();
    let mut floor_limited = Vec::new();
    let mut floor_corrected = Vec::new();
    for i in 0..centre_hz.len() {
        let v: Vec<f64> = tables
            .iter()
            .filter_map(|t| t.attenuation_db.get(i).copied())
            .collect();
        let s = Stat::of(&v)?;
        mean_db.push(s.mean);
        sd_db.push(s.sd.unwrap_or(0.0));
        floor_limited.push(
            tables
                .iter()
                .any(|t| t.floor_limited.get(i).copied().unwrap_or(false)),
        );
        floor_corrected.push(
            tables
                .iter()
                .any(|t| t.corrected.get(i).copied().unwrap_or(false)),
        );
    }
    Some(OctaveStats {
        n: tables.len(),
        centre_hz,
        mean_db,
        sd_db,
        floor_limited,
        floor_corrected,
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
/// `refit_db`: two sealing fits further apart than this below 1 kHz are
/// listed; `seal`: the analysis settings the fits were measured with (the
/// range in which a leak corner is a value).
pub fn tip_stats(
    name: &str,
    fits: &[&FitRecord],
    refit_db: f64,
    seal_cfg: &SealConfig,
) -> TipStats {
    let seal: Vec<(usize, &crate::analysis::Measurement)> = fits
        .iter()
        .filter_map(|r| Some((r.fit, r.response()?)))
        .collect();
    let bass: Vec<(usize, f64)> = seal.iter().map(|(f, m)| (*f, m.seal.bass_db)).collect();
    let loss: Vec<f64> = seal
        .iter()
        .filter_map(|(_, m)| m.seal.bass_loss_db)
        .collect();
    let corners: Vec<(usize, Corner)> = fits
        .iter()
        .filter(|r| !r.skipped)
        .filter_map(|r| Some((r.fit, corner_of(r, seal_cfg)?)))
        .collect();
    let no_seal_fits: Vec<usize> = seal
        .iter()
        .filter(|(_, m)| m.seal.verdict == Verdict::NoSeal)
        .map(|(f, _)| *f)
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
    let (repeatability_max_sd_db, refit_pairs, refit_max_diff_db) = repeatability(fits, refit_db);
    let mut out = outliers(OutlierMetric::BassDb, &bass, OUTLIER_MIN_DEV.0);
    // Bounds count as their bound (a "below" fit at least as sealed as
    // it, an "above" fit at least as leaky).
    let log_corners: Vec<(usize, f64)> = corners
        .iter()
        .map(|(f, c)| (*f, c.hz().max(OUTLIER_CORNER_FLOOR_HZ).log10()))
        .collect();
    out.extend(outliers(
        OutlierMetric::Log10LeakCornerHz,
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
        leak_corner: CornerStat::of(&corners.iter().map(|p| p.1).collect::<Vec<_>>()),
        isolation_octave: octave_stats(&tables),
        isolation_rating_db: Stat::of(&ratings),
        repeatability_max_sd_db,
        refit_pairs,
        refit_max_diff_db,
        no_seal_fits,
        outliers: out,
        uncertain_fits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outlier_metrics_keep_their_names() {
        for (m, s) in [
            (OutlierMetric::BassDb, "bass_db"),
            (OutlierMetric::Log10LeakCornerHz, "log10_leak_corner_hz"),
        ] {
            assert_eq!(m.to_string(), s);
            assert_eq!(serde_json::to_value(m).unwrap(), serde_json::json!(s));
            let back: OutlierMetric = serde_json::from_value(serde_json::json!(s)).unwrap();
            assert_eq!(back, m);
        }
    }

    #[test]
    fn outliers_carry_their_metric() {
        let v: Vec<(usize, f64)> = [0.1, -0.2, 0.0, 0.15, -12.0]
            .iter()
            .enumerate()
            .map(|(i, x)| (i + 1, *x))
            .collect();
        let o = outliers(OutlierMetric::BassDb, &v, 1.0);
        assert_eq!(o.len(), 1);
        assert_eq!((o[0].fit, o[0].metric), (5, OutlierMetric::BassDb));
    }
}
