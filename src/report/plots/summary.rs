//! `summary.png`: a dashboard with a table of the tips, the bass chart and
//! both rankings.
//!
//! Every tip has its row in the table, and (up to [`MAX_GROWN_TIPS`]) in
//! each ranking panel: the picture grows taller than the asked size when
//! the tips need the room. The table's columns are as wide as their longest
//! cell; when the cells do not fit the width side by side, the table's font
//! gets smaller, then the widest cells wrap to a second line, and a cell
//! that still does not fit is drawn in a smaller font. No text is cut.

use super::bass::{bass_chart, bass_data};
use super::data::stats_of;
use super::ranking::{
    draw_panel, draw_panels, isolation_panel, panel_overhead, panel_row_px, seal_panels, Panel,
};
use super::style::{
    at, centre_note, draw_text, fit_lines, fit_one, format_created, iem_name, mean_pm, text_size,
    tip_colour, Look, TitleLayout, MUTED, STRIPE,
};
use super::Area;
use crate::analysis::Verdict;
use crate::compare::{Comparison, TipStats};
use crate::report::text::fits_named;
use crate::session::model::{FitRecord, SessionInfo};
use anyhow::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

/// Up to this many tips the ranking panels show every tip (the picture
/// grows for them); past it they show as many as that and say how many
/// more there are (the table still shows every tip).
pub const MAX_GROWN_TIPS: usize = 12;

/// The tallest summary picture, pixels.
const MAX_HEIGHT: u32 = 16_384;

/// The table's foot note.
const FOOT: &str = "±: SD over fits (one fit: its value) · leak corner: geometric mean over fits (95 % CI), < / >: a bound, median when some fits are bounds · isolation: A-weighted pink noise · max SD: fit-to-fit, 20 Hz–1 kHz";

pub(super) fn verdict_colour(v: Verdict) -> RGBColor {
    match v {
        Verdict::Good => RGBColor(0x1A, 0x85, 0x3F),
        Verdict::Fair => RGBColor(0xC7, 0x7C, 0x00),
        Verdict::Poor => RGBColor(0xD7, 0x30, 0x27),
        Verdict::NoSeal => RGBColor(0x6B, 0x00, 0x10),
    }
}

/// The table's cells for one tip: fits, bass, leak corner, isolation, max
/// SD, outlier fits ("fit 5", "fits 2, 5", "none").
pub(super) fn table_cells(t: &TipStats, loss: bool) -> Vec<String> {
    let bass = if loss {
        mean_pm(t.bass_loss_db.as_ref(), 1)
    } else {
        mean_pm(t.bass_db.as_ref(), 1)
    };
    let corner =
        crate::report::text::corner_stat(t.leak_corner.as_ref()).unwrap_or_else(|| "–".into());
    let outliers = match fits_named(t.outliers.iter().map(|o| o.fit)) {
        s if !s.is_empty() => s,
        _ if t.fits == 0 => "–".into(),
        _ => "none".into(),
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

/// The table's columns.
pub(super) const COLUMNS: usize = 8;

/// One tip's row of the table, as text.
#[derive(Debug, Clone)]
pub(super) struct TableRow {
    pub(super) name: String,
    pub(super) colour: RGBColor,
    /// The seal verdict's text and colour (`None`: the tip is not in the
    /// comparison, its row holds the name only).
    pub(super) verdict: Option<(String, RGBColor)>,
    /// Fits, bass, leak corner, isolation, max SD, outliers.
    pub(super) cells: Vec<String>,
}

/// The table as text: headers and a row per tip.
#[derive(Debug, Clone)]
pub(super) struct TableData {
    pub(super) headers: [String; COLUMNS],
    pub(super) rows: Vec<TableRow>,
}

/// The table of a session's tips.
pub(super) fn table_data(info: &SessionInfo, cmp: &Comparison) -> TableData {
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
    ]
    .map(String::from);
    let rows = info
        .tips
        .iter()
        .enumerate()
        .map(|(i, tip)| {
            let stats = stats_of(cmp, &tip.name);
            TableRow {
                name: tip.name.clone(),
                colour: tip_colour(i),
                verdict: stats.map(|s| match s.verdict {
                    None => ("no data".to_string(), MUTED),
                    Some(v) => (v.to_string(), verdict_colour(v)),
                }),
                cells: stats.map_or_else(Vec::new, |s| table_cells(s, loss)),
            }
        })
        .collect();
    TableData { headers, rows }
}

/// Text laid out in a cell: its lines and the style to draw them in.
#[derive(Clone)]
pub(super) struct Cell {
    pub(super) lines: Vec<String>,
    pub(super) style: TextStyle<'static>,
}

/// The table laid out for a width: columns, rows, heights.
pub(super) struct TableLayout {
    look: Look,
    pad: i32,
    pub(super) x: [i32; COLUMNS],
    pub(super) w: [i32; COLUMNS],
    head: Vec<Cell>,
    head_h: i32,
    /// Per row: the top and the height.
    rows: Vec<(i32, i32)>,
    /// Per row: the tip name and the verdict (if any), then the cells.
    cells: Vec<Vec<Cell>>,
    line_h: i32,
    foot: Cell,
    /// The top of the foot note.
    pub(super) foot_y: i32,
    /// The whole table's height.
    pub(super) height: i32,
}

/// The narrowest width `text` takes in one line or two (split at a space).
fn one_or_two_lines(text: &str, style: &TextStyle<'_>) -> Result<i32> {
    let mut best = text_size(text, style)?.0;
    let words: Vec<&str> = text.split_whitespace().collect();
    for k in 1..words.len() {
        let a = text_size(&words[..k].join(" "), style)?.0;
        let b = text_size(&words[k..].join(" "), style)?.0;
        best = best.min(a.max(b));
    }
    Ok(best)
}

/// The widest `want` can be, capped at a common level so that they add up
/// to at most `room` (the widest columns give up room first).
fn water_fill(want: &[i32; COLUMNS], room: i32) -> [i32; COLUMNS] {
    let total = |cap: i32| want.iter().map(|w| (*w).min(cap)).sum::<i32>();
    if total(i32::MAX) <= room {
        return *want;
    }
    let (mut lo, mut hi) = (1, want.iter().copied().max().unwrap_or(1));
    while lo < hi {
        let mid = lo + (hi - lo + 1) / 2;
        if total(mid) <= room {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    want.map(|w| w.min(lo))
}

impl TableLayout {
    pub(super) fn new(d: &TableData, look: Look, w: i32) -> Result<TableLayout> {
        let pad = look.px(16.0);
        let gap = look.px(14.0);
        let room = (w - 2 * pad - gap * (COLUMNS as i32 - 1)).max(COLUMNS as i32);
        let mut chosen = None;
        for f in [1.0, 0.93, 0.86, 0.8] {
            let l = look.scaled(f);
            let want = Self::natural(d, l)?;
            let fits = want.iter().sum::<i32>() <= room;
            if fits || f == 0.8 {
                chosen = Some((l, want));
                break;
            }
        }
        let (l, want) = chosen.expect("the loop ends on its last factor");
        let mut widths = water_fill(&want, room);
        let extra = room - widths.iter().sum::<i32>();
        if extra > 0 {
            for (c, wc) in widths.iter_mut().enumerate() {
                *wc += extra / COLUMNS as i32 + i32::from((c as i32) < extra % COLUMNS as i32);
            }
        }
        let mut x = [0; COLUMNS];
        let mut at_x = pad;
        for c in 0..COLUMNS {
            x[c] = at_x;
            at_x += widths[c] + gap;
        }
        let line_h = l.px(26.0);
        let lay = |text: &str, style: TextStyle<'static>, width: i32| -> Result<Cell> {
            let (lines, style) = fit_lines(text, &style, width.max(1) as u32, 2)?;
            Ok(Cell { lines, style })
        };
        let row_h = |cells: &[Cell]| {
            let n = cells.iter().map(|c| c.lines.len()).max().unwrap_or(1) as i32;
            (n * line_h + l.px(16.0)).max(l.px(44.0))
        };
        let left = at(HPos::Left, VPos::Center);
        let mut head = Vec::with_capacity(COLUMNS);
        for (c, text) in d.headers.iter().enumerate() {
            head.push(lay(text, l.bold(21.0).pos(left), widths[c])?);
        }
        let head_h = row_h(&head);
        let sq = l.px(9.0);
        let mut rows = Vec::with_capacity(d.rows.len());
        let mut cells = Vec::with_capacity(d.rows.len());
        let mut y = head_h;
        for r in &d.rows {
            let name_style = l.text(22.0, FontStyle::Bold, r.colour).pos(left);
            let mut row = vec![lay(&r.name, name_style, widths[0] - 3 * sq)?];
            if let Some((v, _)) = &r.verdict {
                let style = l
                    .text(20.0, FontStyle::Bold, WHITE)
                    .pos(at(HPos::Center, VPos::Center));
                let style = fit_one(v, &style, (widths[1] - l.px(20.0)).max(1) as u32)?;
                row.push(Cell {
                    lines: vec![v.clone()],
                    style,
                });
            }
            for (c, text) in r.cells.iter().enumerate().take(COLUMNS - 2) {
                row.push(lay(text, l.font(21.0).pos(left), widths[c + 2])?);
            }
            let h = row_h(&row);
            rows.push((y, h));
            cells.push(row);
            y += h;
        }
        let foot = lay(FOOT, l.text(18.0, FontStyle::Normal, MUTED), w - 2 * pad)?;
        let foot_y = y + l.px(8.0);
        let height = foot_y + foot.lines.len() as i32 * l.px(24.0) + l.px(10.0);
        Ok(TableLayout {
            look: l,
            pad,
            x,
            w: widths,
            head,
            head_h,
            rows,
            cells,
            line_h,
            foot,
            foot_y,
            height,
        })
    }

    /// Each column's width with nothing wrapped or shrunk (a header may
    /// take two lines).
    fn natural(d: &TableData, l: Look) -> Result<[i32; COLUMNS]> {
        let mut want = [0; COLUMNS];
        for (c, h) in d.headers.iter().enumerate() {
            want[c] = one_or_two_lines(h, &l.bold(21.0))?;
        }
        let sq = l.px(9.0);
        for r in &d.rows {
            let name = text_size(&r.name, &l.text(22.0, FontStyle::Bold, r.colour))?.0;
            want[0] = want[0].max(name + 3 * sq);
            if let Some((v, _)) = &r.verdict {
                let pill = text_size(v, &l.text(20.0, FontStyle::Bold, WHITE))?.0 + l.px(20.0);
                want[1] = want[1].max(pill);
            }
            for (c, text) in r.cells.iter().enumerate().take(COLUMNS - 2) {
                want[c + 2] = want[c + 2].max(text_size(text, &l.font(21.0))?.0);
            }
        }
        Ok(want)
    }

    /// Draw `cell`'s lines at `x`, centred on `yc` as a block.
    fn draw_cell(&self, area: &Area<'_>, cell: &Cell, x: i32, yc: i32) -> Result<()> {
        let n = cell.lines.len() as i32;
        let mut y = yc - (n - 1) * self.line_h / 2;
        for line in &cell.lines {
            draw_text(area, line, &cell.style, (x, y))?;
            y += self.line_h;
        }
        Ok(())
    }

    pub(super) fn draw(&self, area: &Area<'_>, d: &TableData) -> Result<()> {
        let (w, _) = area.dim_in_pixel();
        let (w, l) = (w as i32, self.look);
        for (c, cell) in self.head.iter().enumerate() {
            self.draw_cell(area, cell, self.x[c], self.head_h / 2)?;
        }
        let rule = vec![(self.pad, self.head_h), (w - self.pad, self.head_h)];
        area.draw(&PathElement::new(rule, MUTED.stroke_width(l.upx(2.0))))?;
        for (i, ((y0, h), r)) in self.rows.iter().zip(&d.rows).enumerate() {
            let (y0, h) = (*y0, *h);
            if i % 2 == 1 {
                let band = [(self.pad, y0), (w - self.pad, y0 + h)];
                area.draw(&Rectangle::new(band, STRIPE.filled()))?;
            }
            let yc = y0 + h / 2;
            let cells = &self.cells[i];
            let sq = l.px(9.0);
            let x0 = self.x[0];
            area.draw(&Rectangle::new(
                [(x0, yc - sq), (x0 + 2 * sq, yc + sq)],
                r.colour.filled(),
            ))?;
            self.draw_cell(area, &cells[0], x0 + 3 * sq, yc)?;
            let Some((_, colour)) = &r.verdict else {
                continue;
            };
            let pill = &cells[1];
            let tw = (text_size(&pill.lines[0], &pill.style)?.0 + l.px(20.0)).min(self.w[1]);
            let hh = l.px(15.0).min((h as f64 * 0.42) as i32).max(1);
            let x = self.x[1];
            area.draw(&Rectangle::new(
                [(x, yc - hh), (x + tw, yc + hh)],
                colour.filled(),
            ))?;
            draw_text(area, &pill.lines[0], &pill.style, (x + tw / 2, yc))?;
            for (c, cell) in cells[2..].iter().enumerate() {
                self.draw_cell(area, cell, self.x[c + 2], yc)?;
            }
        }
        let mut y = self.foot_y;
        for line in &self.foot.lines {
            draw_text(area, line, &self.foot.style, (self.pad, y))?;
            y += l.px(24.0);
        }
        Ok(())
    }
}

/// The summary laid out for a width at a look.
struct SummaryLayout {
    title: TitleLayout,
    table: TableData,
    table_layout: TableLayout,
    seal: Vec<Panel>,
    isolation: Panel,
    /// Heights the seal panels and the isolation panel need.
    seal_h: i32,
    isolation_h: i32,
    /// The whole picture's height.
    height: i32,
}

/// The look of the ranking panels in the summary.
fn panel_look(look: Look) -> Look {
    look.scaled(0.85)
}

/// The margin between the seal and the isolation panel.
fn panel_gap(look: Look) -> i32 {
    look.px(12.0)
}

fn layout(
    look: Look,
    w: u32,
    info: &SessionInfo,
    fits: &[FitRecord],
    cmp: &Comparison,
) -> Result<SummaryLayout> {
    let title = TitleLayout::new(
        look,
        w,
        &format!("{}: ear-tip comparison", iem_name(info)),
        Some(&subtitle(info, fits, cmp)),
    )?;
    let table = table_data(info, cmp);
    let table_layout = TableLayout::new(&table, look, w as i32)?;
    let seal = seal_panels(info, cmp);
    let isolation = isolation_panel(info, cmp);
    let pl = panel_look(look);
    let half = w / 2;
    let need = |p: &Panel| -> Result<i32> {
        let rows = p.rows.len().clamp(1, MAX_GROWN_TIPS) as i32;
        Ok(panel_overhead(half, pl, p)? + rows * panel_row_px(pl))
    };
    let mut seal_h = 0;
    for p in &seal {
        seal_h += need(p)?;
    }
    let isolation_h = need(&isolation)?;
    let bottom = (seal_h + panel_gap(look) + isolation_h).max(look.px(460.0));
    let height = title.height + table_layout.height + bottom;
    Ok(SummaryLayout {
        title,
        table,
        table_layout,
        seal,
        isolation,
        seal_h,
        isolation_h,
        height,
    })
}

fn subtitle(info: &SessionInfo, fits: &[FitRecord], cmp: &Comparison) -> String {
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
    if let Some(sim) = info.rig.strip_prefix("sim: ") {
        sub += &format!(" · {sim}");
    }
    if !cmp.warnings.is_empty() {
        sub += &format!(" · {} warnings while reading", cmp.warnings.len());
    }
    sub
}

/// The height the summary of `size` takes: the asked height, or more when
/// its tips need more than 5 % more (at most 16384 pixels).
pub(super) fn summary_height(
    size: (u32, u32),
    info: &SessionInfo,
    fits: &[FitRecord],
    cmp: &Comparison,
) -> Result<u32> {
    let look = Look::of_size(size);
    let need = layout(look, size.0, info, fits, cmp)?.height.max(0) as u32;
    // A little short of room (5 %): the asked size, drawn a little smaller.
    if need as f64 <= size.1 as f64 * 1.05 {
        return Ok(size.1);
    }
    Ok(need.min(MAX_HEIGHT))
}

/// The summary in `root` at the look of a picture of `size` (the asked
/// size, before [`summary_height`] made it taller).
pub(super) fn draw_summary_sized(
    root: &Area<'_>,
    size: (u32, u32),
    info: &SessionInfo,
    fits: &[FitRecord],
    cmp: &Comparison,
) -> Result<()> {
    draw_summary_at(root, Look::of_size(size), info, fits, cmp)
}

/// The summary in all of `root`, at its own look (for tests).
#[cfg(test)]
pub(super) fn draw_summary(
    root: &Area<'_>,
    info: &SessionInfo,
    fits: &[FitRecord],
    cmp: &Comparison,
) -> Result<()> {
    draw_summary_at(root, Look::of(root), info, fits, cmp)
}

/// The summary in `root` at `look`, drawn smaller when `root` is too low
/// for it.
fn draw_summary_at(
    root: &Area<'_>,
    mut look: Look,
    info: &SessionInfo,
    fits: &[FitRecord],
    cmp: &Comparison,
) -> Result<()> {
    let (w, h) = root.dim_in_pixel();
    let mut lay = layout(look, w, info, fits, cmp)?;
    for _ in 0..4 {
        if lay.height <= h as i32 {
            break;
        }
        look = look.scaled((h as f64 / lay.height as f64).max(0.5));
        lay = layout(look, w, info, fits, cmp)?;
    }
    let body = lay.title.draw(root, look)?;
    let (table, bottom) = body.split_vertically(lay.table_layout.height);
    lay.table_layout.draw(&table, &lay.table)?;
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
    let gap = panel_gap(look);
    let share = lay.seal_h as f64 / (lay.seal_h + lay.isolation_h).max(1) as f64;
    let top_h = ((rh as i32 - gap).max(0) as f64 * share).round() as i32;
    let (top, bot) = right.split_vertically(top_h);
    draw_panels(&top, panel_look(look), &lay.seal)?;
    let bot = bot.margin(gap, 0, 0, 0);
    draw_panel(&bot, panel_look(look), &lay.isolation)?;
    Ok(())
}
