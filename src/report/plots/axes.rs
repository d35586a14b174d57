//! Axes helpers: log frequency charts with their grid, axis ranges, and
//! the curve drawing they share (mean with a shaded spread, dashed lines).

use super::data::Spread;
use super::style::{
    fit_one, hz_label, num_label, text_size, Look, GRID_BOLD, GRID_LIGHT, HZ_TICKS, MUTED,
};
use super::Area;
use anyhow::Result;
use plotters::coord::combinators::{LogCoord, WithKeyPoints};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

pub(super) type LogX = WithKeyPoints<LogCoord<f64>>;
pub(super) type LogChart<'a, 'b> =
    ChartContext<'a, BitMapBackend<'b>, Cartesian2d<LogX, RangedCoordf64>>;

/// Consecutive runs of finite `(x, y)` points, `y` clamped into the plot's
/// range `lo..=hi`: axis ranges leave out absurd values (see [`y_range`]),
/// and a point far outside the range would overflow the pixel arithmetic.
pub(super) fn runs(xs: &[f64], ys: &[f64], (lo, hi): (f64, f64)) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut cur = Vec::new();
    for (x, y) in xs.iter().zip(ys) {
        if x.is_finite() && y.is_finite() {
            cur.push((*x, y.clamp(lo, hi)));
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Axis range over the finite `values` with `margin`, at least `min_span`
/// wide, rounded out to multiples of `step`; `fallback` without values.
pub(super) fn y_range(
    values: impl Iterator<Item = f64>,
    margin: f64,
    min_span: f64,
    step: f64,
    fallback: (f64, f64),
) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .map(|v| v.clamp(-1e4, 1e4))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if lo > hi {
        return fallback;
    }
    let (mut lo, mut hi) = (lo - margin, hi + margin);
    if hi - lo < min_span {
        let c = 0.5 * (lo + hi);
        lo = c - 0.5 * min_span;
        hi = c + 0.5 * min_span;
    }
    ((lo / step).floor() * step, (hi / step).ceil() * step)
}

/// Tick and grid points of a log frequency axis over `lo..hi`: bold at
/// 1-2-5 steps, light at every integer multiple of a decade.
pub(super) fn log_points(lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>) {
    let bold: Vec<f64> = HZ_TICKS
        .iter()
        .copied()
        .filter(|f| *f >= lo * 0.999 && *f <= hi * 1.001)
        .collect();
    let mut light = Vec::new();
    let mut decade = 10f64.powf(lo.log10().floor());
    while decade <= hi {
        for m in 1..10 {
            let f = decade * m as f64;
            if f >= lo && f <= hi && !bold.iter().any(|b| (b / f - 1.0).abs() < 1e-9) {
                light.push(f);
            }
        }
        decade *= 10.0;
    }
    (bold, light)
}

/// Labels and axis descriptions of a plot.
pub(super) struct Axes<'t> {
    pub(super) x: (f64, f64),
    pub(super) y: (f64, f64),
    pub(super) x_desc: &'t str,
    pub(super) y_desc: &'t str,
    pub(super) caption: Option<&'t str>,
}

/// A chart with a log frequency x axis and a dB y axis, mesh drawn.
pub(super) fn log_chart<'a, 'b>(
    area: &'a Area<'b>,
    look: Look,
    ax: &Axes<'_>,
) -> Result<LogChart<'a, 'b>> {
    let (bold, light) = log_points(ax.x.0, ax.x.1);
    // The plot's own size, for the number of dB labels (one per 40 px at
    // most) and axis descriptions that fit along it.
    let (w, h) = area.dim_in_pixel();
    let caption_h = match ax.caption {
        Some(c) => text_size(c, &look.bold(26.0))?.1 + look.px(10.0),
        None => 0,
    };
    let plot_w = w as i32 - look.px(10.0 + 30.0 + 96.0);
    let plot_h = h as i32 - look.px(16.0 + 78.0) - caption_h;
    let y_labels = (plot_h / look.px(40.0)).clamp(3, 12) as usize;
    let desc = look.font(24.0);
    let desc = fit_one(ax.y_desc, &desc, plot_h.max(1) as u32)?;
    let desc = fit_one(ax.x_desc, &desc, plot_w.max(1) as u32)?;
    let mut builder = ChartBuilder::on(area);
    builder
        .margin_top(look.px(16.0))
        .margin_right(look.px(30.0))
        .margin_left(look.px(10.0))
        .x_label_area_size(look.px(78.0))
        .y_label_area_size(look.px(96.0));
    if let Some(c) = ax.caption {
        builder.caption(c, look.bold(26.0));
    }
    let mut chart = builder.build_cartesian_2d(
        (ax.x.0..ax.x.1)
            .log_scale()
            .with_key_points(bold)
            .with_light_points(light),
        ax.y.0..ax.y.1,
    )?;
    chart
        .configure_mesh()
        .x_desc(ax.x_desc)
        .y_desc(ax.y_desc)
        .axis_desc_style(desc)
        .label_style(look.font(22.0))
        .x_label_formatter(&hz_label)
        .y_label_formatter(&num_label)
        .y_labels(y_labels)
        .y_max_light_lines(2)
        .bold_line_style(GRID_BOLD.stroke_width(1))
        .light_line_style(GRID_LIGHT.stroke_width(1))
        .axis_style(MUTED.stroke_width(look.upx(2.0)))
        .draw()?;
    Ok(chart)
}

/// Mean line and +-1 SD band of one tip.
pub(super) fn draw_spread(
    chart: &mut LogChart<'_, '_>,
    grid: &[f64],
    s: &Spread,
    c: RGBColor,
    look: Look,
) -> Result<()> {
    let (lo, hi) = range_of(chart.y_range());
    let clamp = |v: f64| v.clamp(lo, hi);
    let upper: Vec<f64> = s
        .mean
        .iter()
        .zip(&s.sd)
        .map(|(m, d)| clamp(m + d))
        .collect();
    let lower: Vec<f64> = s
        .mean
        .iter()
        .zip(&s.sd)
        .map(|(m, d)| clamp(m - d))
        .collect();
    let band_y: Vec<f64> = s
        .mean
        .iter()
        .zip(&s.sd)
        .map(|(m, d)| if *d > 0.0 { *m } else { f64::NAN })
        .collect();
    for run in runs(grid, &band_y, (lo, hi)) {
        let pts: Vec<(f64, f64)> = run
            .iter()
            .map(|(x, _)| (*x, upper[index_of(grid, *x)]))
            .chain(
                run.iter()
                    .rev()
                    .map(|(x, _)| (*x, lower[index_of(grid, *x)])),
            )
            .collect();
        chart.draw_series(std::iter::once(Polygon::new(pts, c.mix(0.18).filled())))?;
    }
    for run in runs(grid, &s.mean, (lo, hi)) {
        chart.draw_series(LineSeries::new(run, c.stroke_width(look.upx(3.0))))?;
    }
    Ok(())
}

pub(super) fn range_of(r: std::ops::Range<f64>) -> (f64, f64) {
    (r.start, r.end)
}

pub(super) fn index_of(grid: &[f64], x: f64) -> usize {
    grid.iter().position(|g| *g == x).unwrap_or(0)
}

/// A dashed line through the finite points.
pub(super) fn draw_dashed(
    chart: &mut LogChart<'_, '_>,
    grid: &[f64],
    ys: &[f64],
    c: RGBColor,
    width: u32,
    look: Look,
) -> Result<()> {
    let y_lim = range_of(chart.y_range());
    for run in runs(grid, ys, y_lim) {
        chart.draw_series(DashedLineSeries::new(
            run,
            look.upx(10.0),
            look.upx(6.0),
            c.stroke_width(width),
        ))?;
    }
    Ok(())
}
