//! `bass.png`: the low end against the reference (or normalised), with
//! each tip's mean leak corner marked; its chart is also in the summary.

use super::axes::{draw_spread, log_chart, range_of, y_range, Axes, LogChart};
use super::data::{corner_stat, normalised, on_grid, tip_curves, TipCurve};
use super::style::{
    centre_note, draw_legend, iem_name, tip_keys, title, with_legend, Key, Look, Swatch, MUTED,
};
use super::Area;
use crate::analysis::seal::interpolate_db;
use crate::compare::{Comparison, CornerStat};
use crate::dsp::grid::log_grid;
use crate::session::model::{FitRecord, SessionInfo};
use anyhow::Result;
use plotters::prelude::*;

/// The bass plot's data.
pub(super) struct BassData {
    pub(super) grid: Vec<f64>,
    pub(super) tips: Vec<TipCurve>,
    /// Leak corner per tip as compare gives it.
    pub(super) corners: Vec<Option<CornerStat>>,
    pub(super) with_reference: bool,
}

pub(super) fn bass_data(info: &SessionInfo, fits: &[FitRecord], cmp: &Comparison) -> BassData {
    let grid = log_grid(10.0, 500.0, 48);
    let reference = info.reference.as_ref().and_then(|r| on_grid(r, &grid));
    let tips = tip_curves(info, fits, grid.len(), |r| {
        let fr = &r.response()?.frequency_response;
        match &reference {
            Some(rf) => Some(
                on_grid(fr, &grid)?
                    .iter()
                    .zip(rf)
                    .map(|(a, b)| a - b)
                    .collect(),
            ),
            None => normalised(fr, &grid),
        }
    });
    let corners = info
        .tips
        .iter()
        .map(|t| corner_stat(cmp, &t.name).cloned())
        .collect();
    BassData {
        grid,
        tips,
        corners,
        with_reference: reference.is_some(),
    }
}

impl BassData {
    pub(super) fn y_desc(&self) -> &'static str {
        if self.with_reference {
            "Level re reference (dB)"
        } else {
            "Level re 300–1000 Hz (dB)"
        }
    }
}

/// The bass chart itself (no title, no legend column).
pub(super) fn bass_chart(
    area: &Area<'_>,
    look: Look,
    d: &BassData,
    caption: Option<&str>,
) -> Result<()> {
    let values = d.tips.iter().flat_map(|t| t.spread.extent()).chain([0.0]);
    let ax = Axes {
        x: (10.0, 500.0),
        y: y_range(values, 3.0, 12.0, 5.0, (-30.0, 5.0)),
        x_desc: "Frequency (Hz)",
        y_desc: d.y_desc(),
        caption,
    };
    let mut chart = log_chart(area, look, &ax)?;
    chart.draw_series(LineSeries::new(
        [(10.0, 0.0), (500.0, 0.0)],
        MUTED.stroke_width(look.upx(2.0)),
    ))?;
    for t in &d.tips {
        draw_spread(&mut chart, &d.grid, &t.spread, t.colour, look)?;
    }
    for (t, corner) in d.tips.iter().zip(&d.corners) {
        // Only a value (never a bound), and only where the tip's curve
        // was measured.
        let measured = |f: f64| {
            let (lo, hi) = d
                .grid
                .iter()
                .zip(&t.spread.mean)
                .filter(|p| p.1.is_finite())
                .fold((f64::INFINITY, 0.0f64), |(lo, hi), p| {
                    (lo.min(*p.0), hi.max(*p.0))
                });
            f >= lo && f <= hi
        };
        if let Some(f) = corner
            .as_ref()
            .and_then(|c| c.value_hz())
            .filter(|f| (10.0..=500.0).contains(f) && measured(*f))
        {
            draw_corner(&mut chart, &d.grid, t, f, look)?;
        }
    }
    if d.tips.iter().all(|t| t.spread.n == 0) {
        centre_note(&chart.plotting_area().strip_coord_spec(), look, "no data")?;
    }
    Ok(())
}

/// A tip's mean leak corner: a dashed drop line and a triangle on its curve.
pub(super) fn draw_corner(
    chart: &mut LogChart<'_, '_>,
    grid: &[f64],
    t: &TipCurve,
    f: f64,
    look: Look,
) -> Result<()> {
    let (lo, hi) = range_of(chart.y_range());
    let (g, m): (Vec<f64>, Vec<f64>) = grid
        .iter()
        .zip(&t.spread.mean)
        .filter(|p| p.1.is_finite())
        .map(|(a, b)| (*a, *b))
        .unzip();
    let y = if g.len() >= 2 {
        interpolate_db(&g, &m, f).clamp(lo, hi)
    } else {
        lo + 0.06 * (hi - lo)
    };
    chart.draw_series(DashedLineSeries::new(
        [(f, lo), (f, y)],
        look.upx(6.0),
        look.upx(6.0),
        t.colour.stroke_width(look.upx(2.0)),
    ))?;
    chart.draw_series(std::iter::once(TriangleMarker::new(
        (f, y),
        look.px(11.0),
        t.colour.filled(),
    )))?;
    Ok(())
}

pub(super) fn draw_bass(
    root: &Area<'_>,
    info: &SessionInfo,
    fits: &[FitRecord],
    cmp: &Comparison,
) -> Result<()> {
    let look = Look::of(root);
    let d = bass_data(info, fits, cmp);
    let sub = if d.with_reference {
        "each fit minus the reference response; mean per tip, shaded ±1 SD"
    } else {
        "normalised at 300–1000 Hz (each fit minus its own 300–1000 Hz mean); mean per tip, shaded ±1 SD"
    };
    let body = title(
        root,
        look,
        &format!("Bass and seal: {}", iem_name(info)),
        Some(sub),
    )?;
    let (plot, side) = with_legend(&body, look);
    bass_chart(&plot, look, &d, None)?;
    let mut keys = tip_keys(&d.tips, Swatch::Band);
    for (k, c) in keys.iter_mut().zip(&d.corners) {
        k.detail = c.as_ref().and_then(|c| {
            let text = crate::report::text::corner_short(Some(c))?;
            let off = match c.value_hz() {
                Some(f) if !(10.0..=500.0).contains(&f) => " (off scale)",
                _ => "",
            };
            Some(format!("leak corner {text}{off}"))
        });
    }
    keys.push(Key::new(Swatch::Triangle(MUTED), "leak corner"));
    let notes = [
        "▲ and dashed drop line: the −3 dB corner of each tip's fitted leak model, geometric mean over fits (a median when some fits are bounds; marked when inside 10–500 Hz and the measured range). \"<\": below the measured range, \">\": beyond the fitted range.".to_string(),
        "Shaded: ±1 SD over fits.".to_string(),
    ];
    draw_legend(&side, look, "Tips", &keys, &notes)
}
