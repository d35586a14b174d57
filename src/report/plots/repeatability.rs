//! `repeatability.png`: one panel per tip with every fit's normalised
//! response, outlier fits dashed black.

use super::axes::{log_chart, runs, y_range, Axes};
use super::data::{normalised, stats_of};
use super::style::{
    at, centre_note, fit_text, iem_name, inset_legend, tip_colour, title, wrap, Key, Look, Swatch,
    INK, MUTED,
};
use super::Area;
use crate::compare::Comparison;
use crate::dsp::grid::log_grid;
use crate::session::model::{FitRecord, SessionInfo};
use anyhow::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

/// One fit's normalised response.
#[derive(Debug, Clone)]
pub(super) struct FitCurve {
    pub(super) fit: usize,
    pub(super) ys: Vec<f64>,
    pub(super) outlier: bool,
}

pub(super) fn repeat_data(
    info: &SessionInfo,
    fits: &[FitRecord],
    cmp: &Comparison,
    grid: &[f64],
) -> Vec<Vec<FitCurve>> {
    info.tips
        .iter()
        .map(|t| {
            let outliers: Vec<usize> = stats_of(cmp, &t.name)
                .map(|s| s.outliers.iter().map(|o| o.fit).collect())
                .unwrap_or_default();
            fits.iter()
                .filter(|r| r.tip == t.name)
                .filter_map(|r| {
                    let ys = normalised(&r.response()?.frequency_response, grid)?;
                    Some(FitCurve {
                        fit: r.fit,
                        ys,
                        outlier: outliers.contains(&r.fit),
                    })
                })
                .collect()
        })
        .collect()
}

/// Fit `k` of `n` in a tip's colour: from darker to lighter.
pub(super) fn shade(c: RGBColor, k: usize, n: usize) -> RGBColor {
    let t = if n > 1 {
        k as f64 / (n - 1) as f64
    } else {
        0.5
    };
    let (towards, amount) = if t < 0.5 {
        (0.0, (0.5 - t) * 0.7)
    } else {
        (255.0, (t - 0.5) * 0.9)
    };
    let mix = |v: u8| {
        (v as f64 + (towards - v as f64) * amount)
            .round()
            .clamp(0.0, 255.0) as u8
    };
    RGBColor(mix(c.0), mix(c.1), mix(c.2))
}

pub(super) fn draw_repeatability(
    root: &Area<'_>,
    info: &SessionInfo,
    fits: &[FitRecord],
    cmp: &Comparison,
) -> Result<()> {
    let look = Look::of(root);
    let body = title(
        root,
        look,
        &format!("Repeatability: {}", iem_name(info)),
        Some("every fit, 10–1000 Hz, normalised at 300–1000 Hz; outlier fits dashed black; each panel has its own dB scale"),
    )?;
    let grid = log_grid(10.0, 1000.0, 24);
    let data = repeat_data(info, fits, cmp, &grid);
    if data.is_empty() {
        let ax = Axes {
            x: (10.0, 1000.0),
            y: (-20.0, 5.0),
            x_desc: "Frequency (Hz)",
            y_desc: "Level re 300–1000 Hz (dB)",
            caption: None,
        };
        let chart = log_chart(&body, look, &ax)?;
        return centre_note(&chart.plotting_area().strip_coord_spec(), look, "no tips");
    }
    let n = data.len();
    let cols = n.min(3);
    let rows = n.div_ceil(cols);
    let panel_look = look.scaled(if rows > 1 || cols > 2 { 0.8 } else { 0.9 });
    let areas = body.split_evenly((rows, cols));
    for (i, (area, curves)) in areas.iter().zip(&data).enumerate() {
        let name = &info.tips[i].name;
        let panel = RepeatPanel {
            name,
            colour: tip_colour(i),
            max_sd: stats_of(cmp, name).and_then(|s| s.repeatability_max_sd_db),
            curves,
            notes: stats_of(cmp, name).map_or_else(Vec::new, |s| {
                crate::report::text::tip_notes(s, cmp.refit_db)
            }),
        };
        draw_repeat_panel(area, panel_look, &panel, &grid)?;
    }
    Ok(())
}

/// One tip's repeatability panel.
pub(super) struct RepeatPanel<'a> {
    pub(super) name: &'a str,
    pub(super) colour: RGBColor,
    pub(super) max_sd: Option<f64>,
    pub(super) curves: &'a [FitCurve],
    /// The tip's notes (refit advice, no seal, outliers), as compare and
    /// the HTML say them.
    pub(super) notes: Vec<String>,
}

/// The panel's caption; returns the area below it.
pub(super) fn repeat_caption<'b>(
    area: &Area<'b>,
    look: Look,
    p: &RepeatPanel<'_>,
) -> Result<Area<'b>> {
    let sd = match p.max_sd {
        Some(v) if v.is_finite() => format!("max SD {v:.1} dB"),
        _ if p.curves.is_empty() => "no fits".into(),
        _ if p.curves.len() == 1 => "1 fit, no SD".into(),
        _ => "max SD n/a".into(),
    };
    let (w, _) = area.dim_in_pixel();
    let style = look
        .text(26.0, FontStyle::Bold, p.colour)
        .pos(at(HPos::Center, VPos::Top));
    let caption = fit_text(area, &format!("{}: {sd}", p.name), &style, w)?;
    area.draw_text(&caption, &style, (w as i32 / 2, 0))?;
    let mut y = look.px(36.0);
    let note_style = look
        .text(17.0, FontStyle::Normal, MUTED)
        .pos(at(HPos::Center, VPos::Top));
    let mut lines = Vec::new();
    for n in &p.notes {
        lines.extend(wrap(
            area,
            n,
            &note_style,
            w.saturating_sub(look.upx(12.0)),
        )?);
    }
    for line in &lines {
        area.draw_text(line, &note_style, (w as i32 / 2, y))?;
        y += look.px(21.0);
    }
    Ok(area.margin(
        y + look.px(if lines.is_empty() { 0.0 } else { 4.0 }),
        0,
        0,
        0,
    ))
}

pub(super) fn draw_repeat_panel(
    area: &Area<'_>,
    look: Look,
    p: &RepeatPanel<'_>,
    grid: &[f64],
) -> Result<()> {
    let area = area.margin(look.px(6.0), look.px(6.0), look.px(6.0), look.px(6.0));
    let area = repeat_caption(&area, look, p)?;
    let ys = p.curves.iter().flat_map(|c| c.ys.iter().copied());
    let ax = Axes {
        x: (10.0, 1000.0),
        y: y_range(ys, 2.0, 12.0, 2.0, (-10.0, 5.0)),
        x_desc: "Frequency (Hz)",
        y_desc: "Level re 300–1000 Hz (dB)",
        caption: None,
    };
    let (colour, curves) = (p.colour, p.curves);
    let mut chart = log_chart(&area, look, &ax)?;
    let mut keys = Vec::new();
    for (k, c) in curves.iter().enumerate() {
        let col = shade(colour, k, curves.len());
        for run in runs(grid, &c.ys, ax.y) {
            if c.outlier {
                chart.draw_series(DashedLineSeries::new(
                    run,
                    look.upx(10.0),
                    look.upx(6.0),
                    INK.stroke_width(look.upx(4.0)),
                ))?;
            } else {
                chart.draw_series(LineSeries::new(run, col.stroke_width(look.upx(2.5))))?;
            }
        }
        keys.push(if c.outlier {
            Key::new(Swatch::Dashed(INK), format!("fit {} (outlier)", c.fit))
        } else {
            Key::new(Swatch::Line(col), format!("fit {}", c.fit))
        });
    }
    let plot = chart.plotting_area().strip_coord_spec();
    if curves.is_empty() {
        return centre_note(&plot, look, "no fits");
    }
    if keys.len() > 8 {
        let outl: Vec<Key> = keys
            .iter()
            .filter(|k| matches!(k.swatch, Swatch::Dashed(_)))
            .cloned()
            .collect();
        keys = std::iter::once(Key::new(
            Swatch::Line(colour),
            format!("{} fits", curves.len()),
        ))
        .chain(outl)
        .collect();
    }
    inset_legend(&plot, look, &keys)
}
