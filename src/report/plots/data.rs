//! Data preparation shared by the plots: responses on a grid, the spread
//! over a tip's fits, the leak corner as compare gives it.

use super::style::tip_colour;
use crate::analysis::seal::interpolate_db;
use crate::analysis::FrequencyResponse;
use crate::compare::{Comparison, CornerStat, TipStats};
use crate::session::model::{FitRecord, SessionInfo};
use plotters::style::RGBColor;

/// The finite points at positive frequencies of `fr`, ascending, one per
/// frequency.
pub(super) fn clean(fr: &FrequencyResponse) -> (Vec<f64>, Vec<f64>) {
    let mut p: Vec<(f64, f64)> = fr
        .freq_hz
        .iter()
        .zip(&fr.db)
        .filter(|(f, d)| f.is_finite() && **f > 0.0 && d.is_finite())
        .map(|(f, d)| (*f, *d))
        .collect();
    p.sort_by(|a, b| a.0.total_cmp(&b.0));
    p.dedup_by(|a, b| a.0 == b.0);
    p.into_iter().unzip()
}

/// `fr` interpolated on `grid` (NaN outside its measured range); `None`
/// with fewer than two usable points.
pub(super) fn on_grid(fr: &FrequencyResponse, grid: &[f64]) -> Option<Vec<f64>> {
    let (f, d) = clean(fr);
    if f.len() < 2 {
        return None;
    }
    let (lo, hi) = (f[0] * 0.999, f[f.len() - 1] * 1.001);
    Some(
        grid.iter()
            .map(|&x| {
                if x < lo || x > hi {
                    f64::NAN
                } else {
                    interpolate_db(&f, &d, x)
                }
            })
            .collect(),
    )
}

/// The session's target curve on `grid`, shifted so its 300-1000 Hz mean
/// matches the reference's (or the tips' mean curves'): targets are in
/// their own units (often dB SPL).
pub(super) fn aligned_target(
    info: &SessionInfo,
    grid: &[f64],
    tips: &[TipCurve],
    reference: Option<&[f64]>,
) -> Option<Vec<f64>> {
    let target = on_grid(info.target.as_ref()?, grid)?;
    let mid = |v: &[f64]| -> Option<f64> {
        let x: Vec<f64> = grid
            .iter()
            .zip(v)
            .filter(|(f, d)| (300.0..=1000.0).contains(*f) && d.is_finite())
            .map(|(_, d)| *d)
            .collect();
        (!x.is_empty()).then(|| x.iter().sum::<f64>() / x.len() as f64)
    };
    let level = match reference {
        Some(r) => mid(r),
        None => {
            let m: Vec<f64> = tips.iter().filter_map(|t| mid(&t.spread.mean)).collect();
            (!m.is_empty()).then(|| m.iter().sum::<f64>() / m.len() as f64)
        }
    }
    .unwrap_or(0.0);
    let shift = level - mid(&target)?;
    Some(target.iter().map(|d| d + shift).collect())
}

/// Mean level of `fr`'s points in `lo..=hi` Hz.
pub(super) fn band_mean(fr: &FrequencyResponse, lo: f64, hi: f64) -> Option<f64> {
    let (f, d) = clean(fr);
    let v: Vec<f64> = f
        .iter()
        .zip(&d)
        .filter(|(x, _)| **x >= lo * 0.999 && **x <= hi * 1.001)
        .map(|p| *p.1)
        .collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// `fr` on `grid` relative to its own 300-1000 Hz mean.
pub(super) fn normalised(fr: &FrequencyResponse, grid: &[f64]) -> Option<Vec<f64>> {
    let level = band_mean(fr, 300.0, 1000.0)?;
    Some(on_grid(fr, grid)?.iter().map(|v| v - level).collect())
}

/// Mean and sample SD over curves, per grid point (NaN values left out).
#[derive(Debug, Clone)]
pub(super) struct Spread {
    pub(super) mean: Vec<f64>,
    pub(super) sd: Vec<f64>,
    /// Curves that went in.
    pub(super) n: usize,
}

impl Spread {
    pub(super) fn of(curves: &[Vec<f64>], len: usize) -> Spread {
        let mut mean = vec![f64::NAN; len];
        let mut sd = vec![f64::NAN; len];
        for k in 0..len {
            let v: Vec<f64> = curves
                .iter()
                .filter_map(|c| c.get(k).copied())
                .filter(|x| x.is_finite())
                .collect();
            if let Some((m, s)) = mean_sd(&v) {
                mean[k] = m;
                sd[k] = s;
            }
        }
        Spread {
            mean,
            sd,
            n: curves.len(),
        }
    }

    /// Every finite mean +- SD value (for axis ranges).
    pub(super) fn extent(&self) -> impl Iterator<Item = f64> + '_ {
        self.mean
            .iter()
            .zip(&self.sd)
            .flat_map(|(m, s)| [m - s, m + s])
    }
}

pub(super) fn mean_sd(v: &[f64]) -> Option<(f64, f64)> {
    if v.is_empty() {
        return None;
    }
    let m = v.iter().sum::<f64>() / v.len() as f64;
    let sd = if v.len() > 1 {
        (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
    } else {
        0.0
    };
    Some((m, sd))
}

/// One tip's curve data.
#[derive(Debug, Clone)]
pub(super) struct TipCurve {
    pub(super) name: String,
    pub(super) colour: RGBColor,
    pub(super) spread: Spread,
}

/// Per tip of the session, the spread of `curve` over its fits.
pub(super) fn tip_curves(
    info: &SessionInfo,
    fits: &[FitRecord],
    len: usize,
    curve: impl Fn(&FitRecord) -> Option<Vec<f64>>,
) -> Vec<TipCurve> {
    info.tips
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let curves: Vec<Vec<f64>> = fits
                .iter()
                .filter(|r| r.tip == t.name)
                .filter_map(&curve)
                .collect();
            TipCurve {
                name: t.name.clone(),
                colour: tip_colour(i),
                spread: Spread::of(&curves, len),
            }
        })
        .collect()
}

/// The comparison's statistics of the tip called `name`.
pub(super) fn stats_of<'c>(cmp: &'c Comparison, name: &str) -> Option<&'c TipStats> {
    cmp.tips.iter().find(|t| t.name == name)
}

/// The session index of the tip called `name` (for its colour).
pub(super) fn tip_index(info: &SessionInfo, name: &str) -> Option<usize> {
    info.tips.iter().position(|t| t.name == name)
}

/// A tip's leak corner as compare gives it (its centre may be a bound).
pub(super) fn corner_stat<'c>(cmp: &'c Comparison, tip: &str) -> Option<&'c CornerStat> {
    stats_of(cmp, tip)?.leak_corner.as_ref()
}
