//! `isolation.png`: attenuation per third-octave band per tip, mean and
//! SD over fits, floor-limited bands hollow.

use super::axes::{log_chart, range_of, y_range, Axes, LogChart};
use super::data::mean_sd;
use super::style::{
    centre_note, draw_legend, draw_marker, iem_name, tip_colour, title, with_legend, Key, Look,
    Swatch, MUTED,
};
use super::Area;
use crate::analysis::isolation::BandTable;
use crate::compare::Comparison;
use crate::session::model::{FitRecord, SessionInfo};
use anyhow::Result;
use plotters::prelude::*;

/// Third-octave attenuation of one tip over its fits.
#[derive(Debug, Clone)]
pub(super) struct BandStats {
    pub(super) centre: Vec<f64>,
    pub(super) mean: Vec<f64>,
    pub(super) sd: Vec<f64>,
    pub(super) floor: Vec<bool>,
    /// True where a fit's band was corrected for the noise floor.
    pub(super) corrected: Vec<bool>,
}

pub(super) fn band_stats(tables: &[&BandTable]) -> Option<BandStats> {
    let mut centres: Vec<f64> = tables
        .iter()
        .flat_map(|t| t.centre_hz.iter().copied())
        .filter(|c| c.is_finite() && *c > 0.0)
        .collect();
    centres.sort_by(f64::total_cmp);
    centres.dedup_by(|a, b| (*a / *b - 1.0).abs() < 0.01);
    let mut out = BandStats {
        centre: Vec::new(),
        mean: Vec::new(),
        sd: Vec::new(),
        floor: Vec::new(),
        corrected: Vec::new(),
    };
    for c in centres {
        let mut v = Vec::new();
        let mut floor = false;
        let mut corrected = false;
        for t in tables {
            let Some(j) = t.centre_hz.iter().position(|x| (x / c - 1.0).abs() < 0.01) else {
                continue;
            };
            match t.attenuation_db.get(j) {
                Some(a) if a.is_finite() => v.push(*a),
                _ => continue,
            }
            floor |= t.floor_limited.get(j).copied().unwrap_or(false);
            corrected |= t.corrected.get(j).copied().unwrap_or(false);
        }
        if let Some((m, s)) = mean_sd(&v) {
            out.centre.push(c);
            out.mean.push(m);
            out.sd.push(s);
            out.floor.push(floor);
            out.corrected.push(corrected);
        }
    }
    (!out.centre.is_empty()).then_some(out)
}

/// Per tip with isolation data: (session index, stats).
pub(super) fn isolation_data(info: &SessionInfo, fits: &[FitRecord]) -> Vec<(usize, BandStats)> {
    info.tips
        .iter()
        .enumerate()
        .filter_map(|(i, t)| {
            let tables: Vec<&BandTable> = fits
                .iter()
                .filter(|r| r.tip == t.name)
                .filter_map(|r| Some(&r.isolation.as_ref()?.third_octave))
                .collect();
            Some((i, band_stats(&tables)?))
        })
        .collect()
}

pub(super) fn draw_isolation(
    root: &Area<'_>,
    info: &SessionInfo,
    fits: &[FitRecord],
    _cmp: &Comparison,
) -> Result<()> {
    let look = Look::of(root);
    let data = isolation_data(info, fits);
    let method = fits
        .iter()
        .find_map(|r| r.isolation.as_ref())
        .map(|i| match i.method {
            crate::analysis::isolation::IsolationMethod::InsertionLoss => "insertion loss",
            crate::analysis::isolation::IsolationMethod::NoiseReduction => "noise reduction",
        });
    let sub = match method {
        Some(m) => format!("{m} per third-octave band, mean over fits, error bars ±1 SD"),
        None => "isolation not measured".to_string(),
    };
    let body = title(
        root,
        look,
        &format!("Passive isolation: {}", iem_name(info)),
        Some(&sub),
    )?;
    let (plot, side) = with_legend(&body, look);
    let values = data
        .iter()
        .flat_map(|(_, b)| b.mean.iter().zip(&b.sd).flat_map(|(m, s)| [m - s, m + s]))
        .chain([0.0]);
    let ax = Axes {
        x: (20.0, 20_000.0),
        y: y_range(values, 4.0, 20.0, 5.0, (0.0, 40.0)),
        x_desc: "Frequency (Hz), third-octave band centres",
        y_desc: "Attenuation (dB)",
        caption: None,
    };
    let mut chart = log_chart(&plot, look, &ax)?;
    let n = data.len();
    let step = (0.25 / n.max(1) as f64).min(0.05);
    for (k, (i, b)) in data.iter().enumerate() {
        let dodge = 2f64.powf((k as f64 - (n as f64 - 1.0) / 2.0) * step);
        draw_band_series(&mut chart, b, tip_colour(*i), dodge, look)?;
    }
    if data.is_empty() {
        centre_note(
            &chart.plotting_area().strip_coord_spec(),
            look,
            "isolation not measured",
        )?;
    }
    let mut keys: Vec<Key> = info
        .tips
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let has = data.iter().any(|(j, _)| *j == i);
            let label = if has {
                t.name.clone()
            } else {
                format!("{} (no data)", t.name)
            };
            Key::new(Swatch::Marker(tip_colour(i), false), label)
        })
        .collect();
    keys.push(Key::new(Swatch::Marker(MUTED, true), "floor-limited"));
    let notes = [
        "Hollow marker = floor-limited: the occluded level is less than 6 dB above the noise floor, so the attenuation is at least this.".to_string(),
        "Ringed marker = corrected for the noise floor (6–15 dB above it; energy subtraction).".to_string(),
        "Markers are nudged sideways per tip so error bars do not overlap.".to_string(),
    ];
    draw_legend(&side, look, "Tips", &keys, &notes)
}

/// One tip's isolation: line through the means, ±1 SD bars, markers.
pub(super) fn draw_band_series(
    chart: &mut LogChart<'_, '_>,
    b: &BandStats,
    c: RGBColor,
    dodge: f64,
    look: Look,
) -> Result<()> {
    let (x0, x1) = range_of(chart.x_range());
    let (y0, y1) = range_of(chart.y_range());
    let xs: Vec<f64> = b.centre.iter().map(|f| f * dodge).collect();
    let inside = |x: f64| x >= x0 && x <= x1;
    let pts: Vec<(f64, f64)> = xs
        .iter()
        .zip(&b.mean)
        .filter(|p| inside(*p.0) && p.1.is_finite())
        .map(|(x, m)| (*x, m.clamp(y0, y1)))
        .collect();
    chart.draw_series(LineSeries::new(pts, c.stroke_width(look.upx(2.0))))?;
    let cap = look.px(7.0);
    for k in (0..xs.len()).filter(|k| inside(xs[*k]) && b.sd[*k] > 0.0) {
        let (lo, hi) = (
            (b.mean[k] - b.sd[k]).clamp(y0, y1),
            (b.mean[k] + b.sd[k]).clamp(y0, y1),
        );
        let style = c.stroke_width(look.upx(2.0));
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(xs[k], lo), (xs[k], hi)],
            style,
        )))?;
        for y in [lo, hi] {
            chart.draw_series(std::iter::once(
                EmptyElement::at((xs[k], y)) + PathElement::new(vec![(-cap, 0), (cap, 0)], style),
            ))?;
        }
    }
    let area = chart.plotting_area().strip_coord_spec();
    let base = area.get_base_pixel();
    for k in (0..xs.len()).filter(|k| inside(xs[*k])) {
        let p = chart.backend_coord(&(xs[k], b.mean[k].clamp(y0, y1)));
        draw_marker(
            &area,
            (p.0 - base.0, p.1 - base.1),
            look.px(7.0),
            c,
            b.floor[k],
            look,
        )?;
        if b.corrected.get(k).copied().unwrap_or(false) {
            area.draw(&Circle::new(
                (p.0 - base.0, p.1 - base.1),
                look.px(12.0),
                c.stroke_width(look.upx(2.0)),
            ))?;
        }
    }
    Ok(())
}
