//! `summary.png`: a dashboard with a table of the tips, the bass chart and
//! both rankings.

use super::bass::{bass_chart, bass_data};
use super::data::stats_of;
use super::ranking::{draw_panel, draw_panels, isolation_panel, seal_panels};
use super::style::{
    at, centre_note, fit_text, format_created, iem_name, mean_pm, tip_colour, title, Look, MUTED,
    STRIPE,
};
use super::Area;
use crate::analysis::Verdict;
use crate::compare::{Comparison, TipStats};
use crate::session::model::{FitRecord, SessionInfo};
use anyhow::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

pub(super) fn verdict_colour(v: Verdict) -> RGBColor {
    match v {
        Verdict::Good => RGBColor(0x1A, 0x85, 0x3F),
        Verdict::Fair => RGBColor(0xC7, 0x7C, 0x00),
        Verdict::Poor => RGBColor(0xD7, 0x30, 0x27),
        Verdict::NoSeal => RGBColor(0x6B, 0x00, 0x10),
    }
}

/// The table's cells for one tip.
pub(super) fn table_cells(t: &TipStats, loss: bool) -> Vec<String> {
    let bass = if loss {
        mean_pm(t.bass_loss_db.as_ref(), 1)
    } else {
        mean_pm(t.bass_db.as_ref(), 1)
    };
    let corner =
        crate::report::text::corner_stat(t.leak_corner.as_ref()).unwrap_or_else(|| "–".into());
    let outliers = if t.outliers.is_empty() {
        "0".to_string()
    } else {
        let mut f: Vec<usize> = t.outliers.iter().map(|o| o.fit).collect();
        f.sort_unstable();
        f.dedup();
        crate::report::text::fits(&f)
    };
    vec![
        t.fits.to_string(),
        bass,
        corner,
        mean_pm(t.isolation_rating_db.as_ref(), 1),
        t.repeatability_max_sd_db
            .filter(|v| v.is_finite())
            .map_or("–".into(), |v| format!("{v:.1}")),
        outliers,
    ]
}

/// Column left edges as fractions of the width.
pub(super) const COLUMNS: [f64; 8] = [0.0, 0.19, 0.27, 0.32, 0.47, 0.61, 0.75, 0.86];

/// The summary table: geometry and data.
pub(super) struct Table<'a> {
    pub(super) w: i32,
    pub(super) pad: i32,
    pub(super) row_h: i32,
    pub(super) gap: i32,
    pub(super) info: &'a SessionInfo,
    pub(super) cmp: &'a Comparison,
    /// Show bass loss (else the bass level).
    pub(super) loss: bool,
}

impl Table<'_> {
    pub(super) fn col_x(&self, c: usize) -> i32 {
        self.pad + ((self.w - 2 * self.pad) as f64 * COLUMNS[c]) as i32
    }

    pub(super) fn col_w(&self, c: usize) -> u32 {
        let next = if c + 1 < COLUMNS.len() {
            self.col_x(c + 1)
        } else {
            self.w - self.pad
        };
        (next - self.col_x(c) - self.gap).max(10) as u32
    }
}

pub(super) fn draw_table(
    area: &Area<'_>,
    look: Look,
    info: &SessionInfo,
    _fits: &[FitRecord], // TODO(after r15-report merge): drop
    cmp: &Comparison,
) -> Result<()> {
    let (w, h) = area.dim_in_pixel();
    let loss = cmp.tips.iter().any(|t| t.bass_loss_db.is_some());
    let bass = if loss {
        "Bass loss (dB)"
    } else {
        "Bass re 300–1k (dB)"
    };
    let headers = [
        "Tip",
        "Seal",
        "Fits",
        bass,
        "Leak corner",
        "Isolation (dB)",
        "Max SD (dB)",
        "Outliers",
    ];
    let foot_h = look.px(30.0);
    let rows = info.tips.len() + 1;
    let avail = (h as i32 - foot_h).max(rows as i32);
    let t = Table {
        w: w as i32,
        pad: look.px(16.0),
        row_h: (avail as f64 / rows as f64).min(look.s * 48.0).max(1.0) as i32,
        gap: look.px(10.0),
        info,
        cmp,
        loss,
    };
    let look = look.scaled((t.row_h as f64 / (48.0 * look.s)).clamp(0.7, 1.0));
    let head = look.bold(21.0).pos(at(HPos::Left, VPos::Center));
    for (c, text) in headers.iter().enumerate() {
        let text = fit_text(area, text, &head, t.col_w(c))?;
        area.draw_text(&text, &head, (t.col_x(c), t.row_h / 2))?;
    }
    let rule = vec![(t.pad, t.row_h), (t.w - t.pad, t.row_h)];
    area.draw(&PathElement::new(rule, MUTED.stroke_width(look.upx(2.0))))?;
    for i in 0..info.tips.len() {
        table_row(area, look, &t, i)?;
    }
    let foot = "±: SD over fits (one fit: its value) · leak corner: geometric mean over fits (95 % CI), < / >: bound · isolation: A-weighted pink noise · max SD: fit-to-fit, 20 Hz–1 kHz";
    let style = look.text(18.0, FontStyle::Normal, MUTED);
    let foot = fit_text(area, foot, &style, (t.w - 2 * t.pad).max(10) as u32)?;
    area.draw_text(&foot, &style, (t.pad, t.row_h * rows as i32 + look.px(6.0)))?;
    Ok(())
}

pub(super) fn table_row(area: &Area<'_>, look: Look, t: &Table<'_>, i: usize) -> Result<()> {
    let y0 = t.row_h * (i as i32 + 1);
    if i % 2 == 1 {
        let band = [(t.pad, y0), (t.w - t.pad, y0 + t.row_h)];
        area.draw(&Rectangle::new(band, STRIPE.filled()))?;
    }
    let yc = y0 + t.row_h / 2;
    let (tip, colour) = (&t.info.tips[i], tip_colour(i));
    let sq = look.px(9.0);
    let x0 = t.col_x(0);
    area.draw(&Rectangle::new(
        [(x0, yc - sq), (x0 + 2 * sq, yc + sq)],
        colour.filled(),
    ))?;
    let name_style = look
        .text(22.0, FontStyle::Bold, colour)
        .pos(at(HPos::Left, VPos::Center));
    let name_w = t.col_w(0).saturating_sub(3 * sq as u32);
    let name = fit_text(area, &tip.name, &name_style, name_w)?;
    area.draw_text(&name, &name_style, (x0 + 3 * sq, yc))?;
    let Some(stats) = stats_of(t.cmp, &tip.name) else {
        return Ok(());
    };
    let pill = (t.col_x(1), yc, t.col_w(1), (t.row_h as f64 * 0.42) as i32);
    draw_verdict(area, look, stats, pill)?;
    let cell = look.font(21.0).pos(at(HPos::Left, VPos::Center));
    for (c, text) in table_cells(stats, t.loss).iter().enumerate() {
        let text = fit_text(area, text, &cell, t.col_w(c + 2))?;
        area.draw_text(&text, &cell, (t.col_x(c + 2), yc))?;
    }
    Ok(())
}

/// The verdict as a coloured pill at `x`, centred on `yc`, at most `w`
/// wide and `2 max_hh` high.
pub(super) fn draw_verdict(
    area: &Area<'_>,
    look: Look,
    t: &TipStats,
    (x, yc, w, max_hh): (i32, i32, u32, i32),
) -> Result<()> {
    let (text, colour) = match t.verdict {
        None => ("no data".to_string(), MUTED),
        Some(v) => (v.to_string(), verdict_colour(v)),
    };
    let style = look
        .text(20.0, FontStyle::Bold, WHITE)
        .pos(at(HPos::Center, VPos::Center));
    let tw = (area.estimate_text_size(&text, &style)?.0 as i32 + look.px(20.0)).min(w as i32);
    let hh = look.px(15.0).min(max_hh).max(1);
    area.draw(&Rectangle::new(
        [(x, yc - hh), (x + tw, yc + hh)],
        colour.filled(),
    ))?;
    area.draw_text(&text, &style, (x + tw / 2, yc))?;
    Ok(())
}

pub(super) fn draw_summary(
    root: &Area<'_>,
    info: &SessionInfo,
    fits: &[FitRecord],
    cmp: &Comparison,
) -> Result<()> {
    let look = Look::of(root);
    let n_fits = fits
        .iter()
        .filter(|r| r.response().is_some() || r.isolation.is_some())
        .count();
    let mut sub = format!(
        "{} · {} ear · {} tips · {} fits with data",
        format_created(&info.created),
        info.ear,
        info.tips.len(),
        n_fits
    );
    if !cmp.warnings.is_empty() {
        sub += &format!(" · {} warnings while reading", cmp.warnings.len());
    }
    let body = title(
        root,
        look,
        &format!("{}: ear-tip comparison", iem_name(info)),
        Some(&sub),
    )?;
    let (w, h) = body.dim_in_pixel();
    let table_h =
        (((info.tips.len() + 1) as f64 * 48.0 + 46.0) * look.s).min(h as f64 * 0.5) as i32;
    let (table, bottom) = body.split_vertically(table_h);
    draw_table(&table, look, info, fits, cmp)?;
    if info.tips.is_empty() {
        centre_note(&table, look, "no tips in this session")?;
    }
    let (left, right) = bottom.split_horizontally((w as f64 * 0.5) as i32);
    let d = bass_data(info, fits, cmp);
    let cap = if d.with_reference {
        "Bass re reference, mean ±1 SD"
    } else {
        "Bass, normalised at 300–1000 Hz, mean ±1 SD"
    };
    bass_chart(&left, look.scaled(0.8), &d, Some(cap))?;
    let (_, rh) = right.dim_in_pixel();
    let (top, bot) = right.split_vertically(rh as i32 / 2);
    draw_panels(&top, look.scaled(0.85), &seal_panels(info, fits, cmp))?;
    let bot = bot.margin(look.px(12.0), 0, 0, 0);
    draw_panel(&bot, look.scaled(0.85), &isolation_panel(info, fits, cmp))?;
    Ok(())
}
