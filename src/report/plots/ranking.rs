//! `ranking.png`: the seal and isolation rankings, means with their 95 %
//! confidence intervals; one panel per ranking, each in its ranking's
//! unit ([`RankMetric`]). The panels are also in the summary.

use super::axes::{range_of, y_range};
use super::data::{corner_stat, stats_of, tip_index};
use super::style::{
    at, centre_note, draw_text, fit_lines, fit_one, hz_label, iem_name, num_label, resized,
    text_size, tip_colour, title, Look, GRID_BOLD, HZ_TICKS, MUTED, STRIPE,
};
use super::Area;
use crate::compare::{Comparison, RankEntry, RankMetric, RankUnit, Ranking, Stat};
use crate::report::text;
use crate::session::model::{FitRecord, SessionInfo};
use anyhow::Result;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

/// One row of a ranking panel.
#[derive(Debug, Clone)]
pub(super) struct Row {
    pub(super) rank: String,
    pub(super) tip: String,
    pub(super) colour: RGBColor,
    pub(super) mean: f64,
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) value: String,
    /// The value without its interval.
    pub(super) short: String,
}

/// A ranking panel: rows best first, all in the unit of its `metric`.
#[derive(Debug, Clone)]
pub(super) struct Panel {
    pub(super) title: String,
    pub(super) metric: RankMetric,
    /// The "ranked by" text (empty: nothing ranked, no line).
    pub(super) by: String,
    pub(super) x_desc: String,
    pub(super) rows: Vec<Row>,
    pub(super) empty: String,
    /// Rows left out for lack of room.
    pub(super) more: usize,
}

impl Panel {
    /// A log axis (Hz) rather than a linear one (dB).
    pub(super) fn log(&self) -> bool {
        self.metric.unit() == RankUnit::Hz
    }
}

/// The value and 95 % interval of a tip in a ranking, in the ranking's
/// unit: the geometric mean corner (the ranking works on log10 of it), the
/// bass deficit or the isolation.
fn ranked_value(cmp: &Comparison, by: RankMetric, e: &RankEntry) -> (f64, f64, f64) {
    let v = by.shown(e.value);
    let interval = |s: Option<Stat>| {
        s.map_or((v, v, v), |s| {
            let (lo, hi) = s.interval().unwrap_or((s.mean, s.mean));
            (s.mean, lo, hi)
        })
    };
    match by {
        // A bound is drawn at the bound with no interval (the value text
        // says "<" or ">").
        RankMetric::LeakCorner => match corner_stat(cmp, &e.tip) {
            Some(c) if e.bound.is_none() => {
                let (lo, hi) = c.interval_hz().unwrap_or((v, v));
                (v, lo, hi)
            }
            _ => (v, v, v),
        },
        RankMetric::BassDeficit => {
            interval(stats_of(cmp, &e.tip).and_then(|t| t.bass_deficit_db()))
        }
        RankMetric::Isolation => {
            interval(stats_of(cmp, &e.tip).and_then(|t| t.isolation_rating_db.clone()))
        }
    }
}

/// The full and the short value text of a row in `by`'s unit: the
/// comparison's own texts (`report::text`).
fn value_texts(
    cmp: &Comparison,
    by: RankMetric,
    e: &RankEntry,
    stat: Option<&Stat>,
) -> (String, String) {
    let short = text::rank_value_of(cmp, by, e).replace('-', "−");
    match by {
        RankMetric::LeakCorner => {
            let full = text::corner_stat(corner_stat(cmp, &e.tip)).unwrap_or_else(|| short.clone());
            (full, short)
        }
        RankMetric::BassDeficit | RankMetric::Isolation => match stat {
            Some(s) => match s.interval() {
                Some((lo, hi)) => db_values(s.mean, lo, hi),
                None => (short.clone(), short),
            },
            None => (short.clone(), short),
        },
    }
}

/// The panel of `ranking` (`None`: not measured, an empty panel of
/// `metric` saying so).
fn panel(
    info: &SessionInfo,
    cmp: &Comparison,
    metric: RankMetric,
    ranking: Option<&Ranking>,
) -> Panel {
    let rows = ranking.map_or_else(Vec::new, |r| {
        r.entries
            .iter()
            .filter_map(|e| {
                let (mean, lo, hi) = ranked_value(cmp, metric, e);
                let stat = stats_of(cmp, &e.tip).and_then(|t| match metric {
                    RankMetric::BassDeficit => t.bass_deficit_db(),
                    RankMetric::Isolation => t.isolation_rating_db.clone(),
                    RankMetric::LeakCorner => None,
                });
                row(
                    info,
                    &r.entries,
                    e,
                    mean,
                    lo,
                    hi,
                    value_texts(cmp, metric, e, stat.as_ref()),
                )
            })
            .collect()
    });
    let (title, x_desc, empty) = match metric {
        RankMetric::LeakCorner => (
            "Seal",
            "Leak corner, −3 dB (Hz): geometric mean, 95 % CI; < / >: bound",
            "no seal data",
        ),
        RankMetric::BassDeficit => (
            "Seal, tips without a fitted leak",
            "Bass deficit (dB): mean, 95 % CI",
            "no seal data",
        ),
        RankMetric::Isolation => (
            "Isolation",
            "Attenuation of A-weighted pink noise (dB): mean, 95 % CI",
            "isolation not measured",
        ),
    };
    Panel {
        title: title.into(),
        metric,
        by: ranking
            .map(|r| match &r.note {
                Some(n) => format!("{}; {n}", r.by),
                None => r.by.to_string(),
            })
            .unwrap_or_default(),
        x_desc: x_desc.into(),
        rows,
        empty: empty.into(),
        more: 0,
    }
}

/// The seal panels: by leak corner, and by bass deficit for the tips
/// without a fitted leak when there are any (then the corner panel only
/// when it ranks a tip).
pub(super) fn seal_panels(info: &SessionInfo, cmp: &Comparison) -> Vec<Panel> {
    let corner = panel(info, cmp, RankMetric::LeakCorner, Some(&cmp.seal_ranking));
    match &cmp.bass_deficit_ranking {
        None => vec![corner],
        Some(r) => {
            let bass = panel(info, cmp, RankMetric::BassDeficit, Some(r));
            if corner.rows.is_empty() {
                vec![bass]
            } else {
                vec![corner, bass]
            }
        }
    }
}

pub(super) fn row(
    info: &SessionInfo,
    entries: &[RankEntry],
    e: &RankEntry,
    mean: f64,
    lo: f64,
    hi: f64,
    (value, short): (String, String),
) -> Option<Row> {
    if !mean.is_finite() {
        return None;
    }
    let shared = entries.iter().filter(|o| o.rank == e.rank).count() > 1;
    let rank = if shared || e.tied_with_previous {
        format!("={}", e.rank)
    } else {
        e.rank.to_string()
    };
    Some(Row {
        rank,
        tip: e.tip.clone(),
        colour: tip_index(info, &e.tip).map(tip_colour).unwrap_or(MUTED),
        mean,
        lo: if lo.is_finite() { lo.min(mean) } else { mean },
        hi: if hi.is_finite() { hi.max(mean) } else { mean },
        value,
        short,
    })
}

/// "12.3 dB (CI 10.1–14.5)" and "12.3 dB".
pub(super) fn db_values(mean: f64, lo: f64, hi: f64) -> (String, String) {
    let full = format!("{mean:.1} dB (CI {lo:.1}–{hi:.1})").replace('-', "−");
    (full, format!("{mean:.1} dB").replace('-', "−"))
}

pub(super) fn isolation_panel(info: &SessionInfo, cmp: &Comparison) -> Panel {
    panel(
        info,
        cmp,
        RankMetric::Isolation,
        cmp.isolation_ranking.as_ref(),
    )
}

/// Draw `panels` one above the other in `area`: each gets the room its
/// title, axis and legend need ([`panel_overhead`]) and a share of the rest
/// in proportion to its rows (one panel: all of it).
pub(super) fn draw_panels(area: &Area<'_>, look: Look, panels: &[Panel]) -> Result<()> {
    let [first, rest @ ..] = panels else {
        return Ok(());
    };
    if rest.is_empty() {
        return draw_panel(area, look, first);
    }
    let (w, h) = area.dim_in_pixel();
    let mut overheads = Vec::with_capacity(panels.len());
    for p in panels {
        overheads.push(panel_overhead(w, look, p)?);
    }
    let rows = |p: &Panel| p.rows.len().max(1) as f64;
    let total_rows: f64 = panels.iter().map(rows).sum();
    let free = (h as f64 - overheads.iter().sum::<i32>() as f64).max(0.0);
    let share = overheads[0] as f64 + free * rows(first) / total_rows;
    let share = if free > 0.0 {
        share
    } else {
        h as f64 * rows(first) / total_rows
    };
    let (top, below) = area.split_vertically(share.round() as i32);
    draw_panel(&top, look, first)?;
    draw_panels(&below, look, rest)
}

/// The height of a panel `w` pixels wide without its rows: title, "ranked
/// by" lines, margins and the x axis.
pub(super) fn panel_overhead(w: u32, look: Look, p: &Panel) -> Result<i32> {
    Ok(header_layout(w, look, p)?.2 + look.px(10.0 + 18.0 + 76.0))
}

/// Pixels a row of a panel takes at least (before it shrinks).
pub(super) fn panel_row_px(look: Look) -> i32 {
    look.px(34.0)
}

/// One ranking as the ranking plot draws it (for checks: every value in the
/// unit of its metric).
#[derive(Debug, Clone, PartialEq)]
pub struct DrawnRanking {
    /// The panel's title.
    pub title: String,
    /// Its metric.
    pub metric: RankMetric,
    /// The x axis description.
    pub axis: String,
    /// Per row, best first: the tip and its value text as drawn (with its
    /// interval).
    pub rows: Vec<(String, String)>,
}

/// The panels of `ranking.png`, left column first.
pub fn drawn_rankings(info: &SessionInfo, cmp: &Comparison) -> Vec<DrawnRanking> {
    seal_panels(info, cmp)
        .into_iter()
        .chain([isolation_panel(info, cmp)])
        .map(|p| DrawnRanking {
            title: p.title,
            metric: p.metric,
            axis: p.x_desc,
            rows: p.rows.into_iter().map(|r| (r.tip, r.value)).collect(),
        })
        .collect()
}

/// The x range of a panel and, for a log axis, its ticks.
pub(super) fn panel_axis(p: &Panel) -> ((f64, f64), Vec<f64>) {
    let vals = p
        .rows
        .iter()
        .flat_map(|r| [r.lo, r.mean, r.hi])
        .filter(|v| v.is_finite());
    if p.log() {
        let pos: Vec<f64> = vals.filter(|v| *v > 0.0).collect();
        let lo = pos.iter().copied().fold(f64::INFINITY, f64::min);
        let lo = if lo.is_finite() { lo } else { 10.0 }.max(0.01) / 1.5;
        let hi = pos.iter().copied().fold(5000.0, f64::max).min(1e6) * 1.5;
        // 1-2-5 ticks crowd a narrow panel over many decades: then only
        // decades and threes, over very many only decades.
        let decades = (hi / lo).log10();
        let sparse = decades > 3.5;
        let ticks = HZ_TICKS
            .iter()
            .copied()
            .chain([3.0, 30.0, 300.0, 3000.0, 30_000.0])
            .filter(|t| {
                let m = (t / 10f64.powf(t.log10().floor())).round();
                let wanted = if decades > 5.5 {
                    m == 1.0
                } else if sparse {
                    m == 1.0 || m == 3.0
                } else {
                    m != 3.0
                };
                wanted && *t >= lo && *t <= hi
            })
            .collect();
        ((lo, hi), ticks)
    } else {
        let vals: Vec<f64> = vals.collect();
        if vals.is_empty() {
            return ((0.0, 30.0), Vec::new());
        }
        let (lo, hi) = y_range(vals.into_iter().chain([0.0]), 0.0, 5.0, 1.0, (0.0, 30.0));
        let pad = 0.12 * (hi - lo);
        ((if lo < 0.0 { lo - pad } else { lo }, hi + pad), Vec::new())
    }
}

/// Width of the row labels ("=1  name") left of a panel's plot.
pub(super) fn row_label_width(area: &Area<'_>, look: Look, p: &Panel) -> Result<i32> {
    let style = look.bold(22.0);
    let mut w = look.px(80.0);
    for r in &p.rows {
        let s = format!("{}  {}", r.rank, r.tip);
        w = w.max(area.estimate_text_size(&s, &style)?.0 as i32 + look.px(24.0));
    }
    Ok(w.min((area.dim_in_pixel().0 as f64 * 0.42) as i32))
}

/// The panel's title (shrunk to fit), its "ranked by" lines (at most two)
/// and the height they take, for a panel `w` pixels wide.
type Header = (
    (String, TextStyle<'static>),
    Vec<(String, TextStyle<'static>)>,
    i32,
);

fn header_layout(w: u32, look: Look, p: &Panel) -> Result<Header> {
    let centre = at(HPos::Center, VPos::Top);
    let room = w.saturating_sub(look.upx(40.0));
    let tstyle = fit_one(&p.title, &look.bold(28.0).pos(centre), room)?;
    let mut y = look.px(42.0);
    let mut by = Vec::new();
    if !p.by.is_empty() {
        let style = look.text(19.0, FontStyle::Normal, MUTED).pos(centre);
        let (lines, st) = fit_lines(&format!("ranked by {}", p.by), &style, room, 3)?;
        for line in lines {
            by.push((line, st.clone()));
            y += look.px(25.0);
        }
    }
    Ok(((p.title.clone(), tstyle), by, y + look.px(4.0)))
}

/// The panel's title and "ranked by" lines; returns the area below.
pub(super) fn panel_header<'b>(area: &Area<'b>, look: Look, p: &Panel) -> Result<Area<'b>> {
    let (w, _) = area.dim_in_pixel();
    let ((title, tstyle), by, height) = header_layout(w, look, p)?;
    let cx = w as i32 / 2;
    draw_text(area, &title, &tstyle, (cx, look.px(4.0)))?;
    let mut y = look.px(42.0);
    for (line, st) in &by {
        draw_text(area, line, st, (cx, y))?;
        y += look.px(25.0);
    }
    Ok(area.split_vertically(height).1)
}

/// `p` with as many rows as fit `plot_h` pixels at 30 px (scaled) a row.
pub(super) fn fit_rows(p: &Panel, look: Look, plot_h: i32) -> Panel {
    let max_rows = ((plot_h as f64 / (30.0 * look.s)).floor() as usize).max(2);
    let mut p = p.clone();
    if p.rows.len() > max_rows {
        p.more = p.rows.len() - (max_rows - 1);
        p.rows.truncate(max_rows - 1);
    }
    p
}

pub(super) fn draw_panel(area: &Area<'_>, look: Look, p: &Panel) -> Result<()> {
    let area = panel_header(area, look, p)?;
    let plot_h = area.dim_in_pixel().1 as i32 - look.px(10.0 + 18.0 + 76.0);
    let p = &fit_rows(p, look, plot_h);
    let n = (p.rows.len() + usize::from(p.more > 0)).max(1) as f64;
    let (x, ticks) = panel_axis(p);
    let label_w = row_label_width(&area, look, p)?;
    // The x description is centred under the plot: at most as wide.
    let plot_w = area.dim_in_pixel().0 as i32 - label_w - look.px(10.0 + 36.0);
    let room = plot_w - look.px(8.0);
    let desc = fit_one(&p.x_desc, &look.font(22.0), room.max(1) as u32)?;
    let mut builder = ChartBuilder::on(&area);
    builder
        .margin(look.px(10.0))
        .margin_right(look.px(36.0))
        .margin_bottom(look.px(18.0))
        .x_label_area_size(look.px(76.0))
        .y_label_area_size(label_w);
    if p.log() {
        let xr = (x.0..x.1).log_scale().with_key_points(ticks);
        let mut chart = builder.build_cartesian_2d(xr, 0.0..n)?;
        panel_mesh(&mut chart, look, p, &desc, &hz_label)?;
        draw_rows(&mut chart, look, p, label_w)
    } else {
        let mut chart = builder.build_cartesian_2d(x.0..x.1, 0.0..n)?;
        panel_mesh(&mut chart, look, p, &desc, &num_label)?;
        draw_rows(&mut chart, look, p, label_w)
    }
}

pub(super) type PanelChart<'a, 'b, X> =
    ChartContext<'a, BitMapBackend<'b>, Cartesian2d<X, RangedCoordf64>>;

pub(super) fn panel_mesh<X>(
    chart: &mut PanelChart<'_, '_, X>,
    look: Look,
    p: &Panel,
    desc: &TextStyle<'_>,
    fmt: &dyn Fn(&f64) -> String,
) -> Result<()>
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    chart
        .configure_mesh()
        .x_desc(p.x_desc.as_str())
        .axis_desc_style(desc.clone())
        .label_style(look.font(20.0))
        .x_label_formatter(fmt)
        .x_labels(8)
        .y_labels(0)
        .disable_y_mesh()
        .x_max_light_lines(0)
        .bold_line_style(GRID_BOLD.stroke_width(1))
        .axis_style(MUTED.stroke_width(look.upx(2.0)))
        .draw()?;
    Ok(())
}

pub(super) fn draw_rows<X>(
    chart: &mut PanelChart<'_, '_, X>,
    look: Look,
    p: &Panel,
    label_w: i32,
) -> Result<()>
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let n = p.rows.len() + usize::from(p.more > 0);
    let (x0, x1) = range_of(chart.x_range());
    let plot = chart.plotting_area().strip_coord_spec();
    if n == 0 {
        return centre_note(&plot, look, &p.empty);
    }
    let row_h = plot.dim_in_pixel().1 as f64 / n as f64;
    let look = look.scaled((row_h / (36.0 * look.s)).clamp(0.6, 1.0));
    if p.more > 0 {
        let style = look
            .text(20.0, FontStyle::Normal, MUTED)
            .pos(at(HPos::Left, VPos::Center));
        let text = format!("… and {} more (see ranking.png)", p.more);
        let at = pixel_in(chart, &plot, (x0, 0.5));
        draw_text(&plot, &text, &style, (at.0 + look.px(10.0), at.1))?;
    }
    for (i, r) in p.rows.iter().enumerate() {
        let yc = n as f64 - i as f64 - 0.5;
        if i % 2 == 1 {
            let band = Rectangle::new([(x0, yc - 0.5), (x1, yc + 0.5)], STRIPE.mix(0.6).filled());
            chart.draw_series(std::iter::once(band))?;
        }
        let (lo, m, hi) = (r.lo.clamp(x0, x1), r.mean.clamp(x0, x1), r.hi.clamp(x0, x1));
        let style = r.colour.stroke_width(look.upx(3.0));
        let cap = look.px(10.0);
        let bar = PathElement::new(vec![(lo, yc), (hi, yc)], style);
        chart.draw_series(std::iter::once(bar))?;
        for x in [lo, hi] {
            let tick = PathElement::new(vec![(0, -cap), (0, cap)], style);
            chart.draw_series(std::iter::once(EmptyElement::at((x, yc)) + tick))?;
        }
        let dot = Circle::new((m, yc), look.px(10.0), r.colour.filled());
        chart.draw_series(std::iter::once(dot))?;
        value_label(chart, &plot, look, r, (lo, hi, yc))?;
        let lstyle = look
            .text(22.0, FontStyle::Bold, r.colour)
            .pos(at(HPos::Right, VPos::Center));
        let width = (label_w - look.px(20.0)).max(10) as u32;
        let label = format!("{}  {}", r.rank, r.tip);
        let at = pixel_in(chart, &plot, (x0, yc));
        let x = at.0 - look.px(12.0);
        // A long name: smaller on one line, or on two lines in the row's
        // height when that reads bigger.
        let one = fit_one(&label, &lstyle, width)?;
        let two_max = (row_h / 2.2) / lstyle.font.get_size();
        let (lines, two) = fit_lines(&label, &resized(&lstyle, two_max.min(1.0)), width, 2)?;
        if lines.len() == 2 && two.font.get_size() > 1.15 * one.font.get_size() {
            let line_h = (two.font.get_size() * 1.1).ceil() as i32;
            draw_text(&plot, &lines[0], &two, (x, at.1 - line_h / 2))?;
            draw_text(&plot, &lines[1], &two, (x, at.1 - line_h / 2 + line_h))?;
        } else {
            draw_text(&plot, &label, &one, (x, at.1))?;
        }
    }
    Ok(())
}

/// The pixel of chart point `v` in `plot` (the chart's plotting area).
fn pixel_in<X>(chart: &PanelChart<'_, '_, X>, plot: &Area<'_>, v: (f64, f64)) -> (i32, i32)
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let (bx, by) = plot.get_base_pixel();
    let p = chart.backend_coord(&v);
    (p.0 - bx, p.1 - by)
}

/// A row's value: right of its interval, else left of it, else above.
pub(super) fn value_label<X>(
    chart: &mut PanelChart<'_, '_, X>,
    plot: &Area<'_>,
    look: Look,
    r: &Row,
    (lo, hi, yc): (f64, f64, f64),
) -> Result<()>
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let style = look.font(20.0);
    let (px0, pw) = (plot.get_base_pixel().0, plot.dim_in_pixel().0 as i32);
    let gap = look.px(18.0);
    let right_end = chart.backend_coord(&(hi, yc)).0 - px0 + gap;
    let left_end = chart.backend_coord(&(lo, yc)).0 - px0 - gap;
    let mean_at = chart.backend_coord(&(r.mean.clamp(lo, hi), yc)).0 - px0;
    let mut place = None;
    for text in [&r.value, &r.short] {
        let tw = text_size(text, &style)?.0;
        place = if right_end + tw <= pw {
            Some((text, at(HPos::Left, VPos::Center), hi, gap, 0))
        } else if left_end - tw >= 0 {
            Some((text, at(HPos::Right, VPos::Center), lo, -gap, 0))
        } else {
            None
        };
        if place.is_some() {
            break;
        }
    }
    let (text, anchor, x, dx, dy) = place.unwrap_or_else(|| {
        let h = if mean_at > pw / 2 {
            HPos::Right
        } else {
            HPos::Left
        };
        (
            &r.short,
            at(h, VPos::Bottom),
            r.mean.clamp(lo, hi),
            0,
            -look.px(12.0),
        )
    });
    let p = pixel_in(chart, plot, (x, yc));
    draw_text(plot, text, &style.pos(anchor), (p.0 + dx, p.1 + dy))?;
    Ok(())
}

pub(super) fn draw_ranking(
    root: &Area<'_>,
    info: &SessionInfo,
    _fits: &[FitRecord], // every plot has the same signature
    cmp: &Comparison,
) -> Result<()> {
    let look = Look::of(root);
    let body = title(
        root,
        look,
        &format!("Ranking: {}", iem_name(info)),
        Some("best at the top; mean over fits with its 95 % confidence interval; \"=\" marks tips tied in the ranking"),
    )?;
    let (w, _) = body.dim_in_pixel();
    let (left, right) = body.split_horizontally(w as i32 / 2);
    draw_panels(&left, look, &seal_panels(info, cmp))?;
    draw_panel(&right, look, &isolation_panel(info, cmp))?;
    Ok(())
}
