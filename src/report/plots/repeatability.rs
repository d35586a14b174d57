//! `repeatability.png`: one panel per tip with every fit's normalised
//! response, outlier fits dashed black.

use super::axes::{log_chart, runs, y_range, Axes};
use super::data::{normalised, stats_of};
use super::style::{
    at, centre_note, draw_swatch, draw_text, fit_one, iem_name, text_size, tip_colour, title,
    wrap_lines, Key, Look, Swatch, INK, MUTED,
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
    let caption = format!("{}: {sd}", p.name);
    let style = fit_one(&caption, &style, w)?;
    draw_text(area, &caption, &style, (w as i32 / 2, 0))?;
    // The tip's notes (refit advice, no seal, outliers), wrapped.
    let mut y = look.px(36.0);
    let note_style = look
        .text(17.0, FontStyle::Normal, MUTED)
        .pos(at(HPos::Center, VPos::Top));
    let mut lines = Vec::new();
    for n in &p.notes {
        lines.extend(wrap_lines(
            n,
            &note_style,
            w.saturating_sub(look.upx(12.0)),
        )?);
    }
    for line in &lines {
        draw_text(area, line, &note_style, (w as i32 / 2, y))?;
        y += look.px(21.0);
    }
    Ok(area.margin(
        y + look.px(if lines.is_empty() { 0.0 } else { 4.0 }),
        0,
        0,
        0,
    ))
}

/// The fits' keys in one row, centred at the top of `area` (above the
/// chart, so that it never covers a curve), smaller when the row is wide;
/// returns the area below.
pub(super) fn key_row<'b>(area: &Area<'b>, look: Look, keys: &[Key]) -> Result<Area<'b>> {
    let (w, _) = area.dim_in_pixel();
    let mut f = 1.0;
    loop {
        let l = look.scaled(f);
        let style = l.font(19.0).pos(at(HPos::Left, VPos::Center));
        let swatch = l.scaled(0.8);
        let (sw, gap, sep) = (swatch.px(44.0), l.px(6.0), l.px(18.0));
        let mut widths = Vec::with_capacity(keys.len());
        for k in keys {
            widths.push(text_size(&k.label, &style)?.0);
        }
        let total: i32 =
            widths.iter().map(|t| sw + gap + t).sum::<i32>() + sep * (keys.len() as i32 - 1).max(0);
        if total <= w as i32 || f < 0.45 {
            let y = l.px(12.0);
            let mut x = (w as i32 - total).max(0) / 2;
            for (k, tw) in keys.iter().zip(&widths) {
                draw_swatch(area, swatch, k.swatch, x, y)?;
                x += sw + gap;
                draw_text(area, &k.label, &style, (x, y))?;
                x += tw + sep;
            }
            return Ok(area.margin(l.px(26.0), 0, 0, 0));
        }
        f *= 0.9;
    }
}

pub(super) fn draw_repeat_panel(
    area: &Area<'_>,
    look: Look,
    p: &RepeatPanel<'_>,
    grid: &[f64],
) -> Result<()> {
    let area = area.margin(look.px(6.0), look.px(6.0), look.px(6.0), look.px(6.0));
    let area = repeat_caption(&area, look, p)?;
    let (colour, curves) = (p.colour, p.curves);
    let mut keys: Vec<Key> = curves
        .iter()
        .enumerate()
        .map(|(k, c)| {
            if c.outlier {
                Key::new(Swatch::Dashed(INK), format!("fit {} (outlier)", c.fit))
            } else {
                Key::new(
                    Swatch::Line(shade(colour, k, curves.len())),
                    format!("fit {}", c.fit),
                )
            }
        })
        .collect();
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
    let area = if keys.is_empty() {
        area
    } else {
        key_row(&area, look, &keys)?
    };
    let ys = p.curves.iter().flat_map(|c| c.ys.iter().copied());
    // A low panel has no room along its side for the long description.
    let short = area.dim_in_pixel().1 < look.upx(420.0);
    let ax = Axes {
        x: (10.0, 1000.0),
        y: y_range(ys, 2.0, 12.0, 2.0, (-10.0, 5.0)),
        x_desc: "Frequency (Hz)",
        y_desc: if short {
            "dB"
        } else {
            "Level re 300–1000 Hz (dB)"
        },
        caption: None,
    };
    let mut chart = log_chart(&area, look, &ax)?;
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
    }
    if curves.is_empty() {
        let plot = chart.plotting_area().strip_coord_spec();
        return centre_note(&plot, look, "no fits");
    }
    Ok(())
}
