//! `tip_effect.png`: the tip effect ([`crate::compare::tip_effect`]) as
//! grouped bars, one group per band (sub-bass to air), one bar per tip but
//! the baseline in its colour: the mean level difference against the
//! baseline, with its 95 % interval as a whisker. A bar without an interval
//! (a single fit of the tip or the baseline) is drawn light, with no
//! whisker, and the legend says why.

use super::axes::y_range;
use super::data::tip_index;
use super::style::{
    at, centre_note, draw_legend, draw_text, fit_one, iem_name, num_label, title, with_legend, Key,
    Look, Swatch, GRID_BOLD, GRID_LIGHT, INK, MUTED, STRIPE,
};
use super::Area;
use crate::compare::{Comparison, TipEffect, EFFECT_BANDS};
use crate::report::text;
use crate::session::model::{FitRecord, SessionInfo};
use anyhow::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

/// The y range: every difference and interval end and 0, at least 6 dB,
/// on whole dB (2 dB or 5 dB steps when wide).
fn y_extent(effects: &[TipEffect]) -> (f64, f64) {
    let values = || {
        effects
            .iter()
            .flat_map(|e| &e.bands)
            .flat_map(|b| [b.delta_db, b.ci95_low, b.ci95_high])
            .flatten()
            .filter(|v| v.is_finite())
            .map(|v| v.clamp(-200.0, 200.0))
            .chain([0.0])
    };
    let (lo, hi) = y_range(values(), 1.0, 6.0, 1.0, (-6.0, 6.0));
    let step = match hi - lo {
        s if s > 40.0 => 5.0,
        s if s > 16.0 => 2.0,
        _ => 1.0,
    };
    y_range(values(), 0.6 * step, 6.0, step, (-6.0, 6.0))
}

/// Where bar `j` of `n` sits in band `k`: (left, right) in band units.
fn bar_span(k: usize, j: usize, n: usize) -> (f64, f64) {
    let group = 0.8;
    let w = group / n.max(1) as f64;
    let left = k as f64 + 0.5 - group / 2.0 + j as f64 * w;
    let gap = (w * 0.12).min(0.02);
    (left + gap, left + w - gap)
}

pub(super) fn draw_tip_effect(
    root: &Area<'_>,
    info: &SessionInfo,
    _fits: &[FitRecord], // every plot has the same signature
    cmp: &Comparison,
) -> Result<()> {
    let look = Look::of(root);
    let effects = &cmp.tip_effect;
    let baseline = effects
        .first()
        .map(|e| e.baseline.clone())
        .or_else(|| info.tips.first().map(|t| t.name.clone()))
        .unwrap_or_else(|| "–".into());
    let reference = effects
        .first()
        .map(|e| e.reference_band_hz)
        .unwrap_or_else(|| {
            let r = crate::compare::tip_effect::reference_band(info);
            [r.0, r.1]
        });
    let two = if cmp.ears.is_some() { "left ear; " } else { "" };
    let sub = format!(
        "{two}mean level difference per band, each tip minus '{baseline}' over fits, each fit normalised to its {}–{} Hz mean; whiskers: 95 % interval (Welch t)",
        reference[0], reference[1]
    );
    let body = title(
        root,
        look,
        &format!("Tip effect: {}, against '{baseline}'", iem_name(info)),
        Some(&sub),
    )?;
    let (plot, side) = with_legend(&body, look);
    let (y0, y1) = y_extent(effects);
    let nb = EFFECT_BANDS.len();
    let (w, h) = plot.dim_in_pixel();
    let label_h = look.px(118.0);
    let plot_h = h as i32 - look.px(16.0) - label_h;
    let plot_w = w as i32 - look.px(10.0 + 30.0 + 96.0);
    let y_desc = format!("Level difference vs '{baseline}' (dB)");
    let desc = fit_one(&y_desc, &look.font(24.0), plot_h.max(1) as u32)?;
    let mut chart = ChartBuilder::on(&plot)
        .margin_top(look.px(16.0))
        .margin_right(look.px(30.0))
        .margin_left(look.px(10.0))
        .x_label_area_size(label_h)
        .y_label_area_size(look.px(96.0))
        .build_cartesian_2d(0.0..nb as f64, y0..y1)?;
    // Every other band shaded, under the grid.
    for k in (0..nb).filter(|k| k % 2 == 1) {
        let r = Rectangle::new([(k as f64, y0), (k as f64 + 1.0, y1)], STRIPE.filled());
        chart.draw_series(std::iter::once(r))?;
    }
    let y_labels = (plot_h / look.px(44.0)).clamp(3, 14) as usize;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .x_desc("Band (Hz)")
        .y_desc(y_desc.as_str())
        .axis_desc_style(desc)
        .label_style(look.font(22.0))
        .y_label_formatter(&num_label)
        .y_labels(y_labels)
        .y_max_light_lines(1)
        .bold_line_style(GRID_BOLD.stroke_width(1))
        .light_line_style(GRID_LIGHT.stroke_width(1))
        .axis_style(MUTED.stroke_width(look.upx(2.0)))
        .draw()?;
    // The zero line is the baseline: drawn in its colour, as in the legend.
    let base_colour = tip_index(info, &baseline)
        .map(super::tip_colour)
        .unwrap_or(INK);
    let zero = PathElement::new(
        vec![(0.0, 0.0), (nb as f64, 0.0)],
        base_colour.stroke_width(look.upx(3.0)),
    );
    chart.draw_series(std::iter::once(zero))?;
    // The band names and edges under the axis.
    let base = plot.get_base_pixel();
    let px = |chart: &ChartContext<'_, _, _>, v: (f64, f64)| {
        let p = chart.backend_coord(&v);
        (p.0 - base.0, p.1 - base.1)
    };
    let band_w = (plot_w as f64 / nb as f64 - look.px(6.0) as f64).max(10.0) as u32;
    for (k, b) in EFFECT_BANDS.iter().enumerate() {
        let (x, y) = px(&chart, (k as f64 + 0.5, y0));
        let name = text::band_name(b.name);
        let st = fit_one(
            &name,
            &look.bold(22.0).pos(at(HPos::Center, VPos::Top)),
            band_w,
        )?;
        draw_text(&plot, &name, &st, (x, y + look.px(12.0)))?;
        let range = text::band_range([b.lo_hz, b.hi_hz]).replace('-', "–");
        let st = fit_one(
            &range,
            &look
                .text(20.0, FontStyle::Normal, MUTED)
                .pos(at(HPos::Center, VPos::Top)),
            band_w,
        )?;
        draw_text(&plot, &range, &st, (x, y + look.px(42.0)))?;
    }
    let inner = chart.plotting_area().strip_coord_spec();
    if effects.is_empty() {
        let why = if info.tips.len() < 2 {
            "one tip: nothing to compare"
        } else {
            "no tip effect"
        };
        centre_note(&inner, look, why)?;
    } else if effects
        .iter()
        .all(|e| e.bands.iter().all(|b| b.delta_db.is_none()))
    {
        centre_note(&inner, look, "no band measured by a tip and the baseline")?;
    }
    let n = effects.len();
    let clamp = |v: f64| v.clamp(y0, y1);
    let value_style = look.font(18.0);
    // The values are written at the bars' ends when every one of them fits
    // its bar's width (all or none, so no value looks missing).
    let (l, r) = bar_span(0, 0, n);
    let bar_px = px(&chart, (r, 0.0)).0 - px(&chart, (l, 0.0)).0;
    let mut label_all = true;
    for b in effects.iter().flat_map(|e| &e.bands) {
        if let Some(d) = b.delta_db {
            let label = text::signed(d).replace('-', "−");
            label_all &= super::style::text_size(&label, &value_style)?.0 <= bar_px + look.px(8.0);
        }
    }
    for (j, e) in effects.iter().enumerate() {
        let colour = tip_index(info, &e.tip)
            .map(super::tip_colour)
            .unwrap_or(MUTED);
        for (k, b) in e.bands.iter().enumerate().take(nb) {
            let Some(d) = b.delta_db.filter(|d| d.is_finite()) else {
                continue;
            };
            let (l, r) = bar_span(k, j, n);
            let interval = b.ci95_low.zip(b.ci95_high);
            let fill = if interval.is_some() {
                colour.filled()
            } else {
                colour.mix(0.35).filled()
            };
            chart.draw_series(std::iter::once(Rectangle::new(
                [(l, 0.0), (r, clamp(d))],
                fill,
            )))?;
            if interval.is_none() {
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(l, 0.0), (r, clamp(d))],
                    colour.stroke_width(look.upx(2.0)),
                )))?;
            }
            let c = 0.5 * (l + r);
            let (bar_l, _) = px(&chart, (l, 0.0));
            let (bar_r, _) = px(&chart, (r, 0.0));
            let bar_px = bar_r - bar_l;
            if let Some((lo, hi)) = interval {
                let style = INK.stroke_width(look.upx(2.0));
                let whisker = PathElement::new(vec![(c, clamp(lo)), (c, clamp(hi))], style);
                chart.draw_series(std::iter::once(whisker))?;
                let cap = (bar_px / 4).clamp(look.px(3.0), look.px(10.0));
                for y in [lo, hi] {
                    let tick = PathElement::new(vec![(-cap, 0), (cap, 0)], style);
                    chart.draw_series(std::iter::once(EmptyElement::at((c, clamp(y))) + tick))?;
                }
            }
            // The value beyond the bar's end (or its whisker's), when the
            // bar is wide enough to carry it.
            let label = text::signed(d).replace('-', "−");
            if label_all {
                let up = d >= 0.0;
                let end = match interval {
                    Some((_, hi)) if up => hi.max(d),
                    Some((lo, _)) => lo.min(d),
                    None => d,
                };
                let (x, y) = px(&chart, (c, clamp(end)));
                let (pos, dy) = if up {
                    (at(HPos::Center, VPos::Bottom), -look.px(4.0))
                } else {
                    (at(HPos::Center, VPos::Top), look.px(4.0))
                };
                let (_, top) = px(&chart, (c, y1));
                let (_, bottom) = px(&chart, (c, y0));
                let y = (y + dy).clamp(top + look.px(18.0), bottom - look.px(18.0));
                draw_text(&plot, &label, &value_style.pos(pos), (x, y))?;
            }
        }
    }
    // The legend: the baseline (the zero line) and the tips.
    let fits = |n: usize| match n {
        0 => "no fits".to_string(),
        1 => "1 fit".to_string(),
        n => format!("{n} fits"),
    };
    let mut keys = Vec::new();
    if let Some(i) = tip_index(info, &baseline) {
        let n = effects.first().map_or(0, |e| e.n_baseline);
        keys.push(Key::new(
            Swatch::Line(super::tip_colour(i)),
            format!("{baseline}, the baseline ({})", fits(n)),
        ));
    }
    for e in effects {
        let colour = tip_index(info, &e.tip)
            .map(super::tip_colour)
            .unwrap_or(MUTED);
        keys.push(Key::new(
            Swatch::Bar(colour),
            format!("{} ({})", e.tip, fits(e.n)),
        ));
    }
    let mut notes = vec![
        "A band's level is the mean of dB over the response's own points in the band; each fit is first normalised to its reference-band mean.".to_string(),
        "Bar: mean over the tip's fits minus mean over the baseline's. Whisker: 95 % interval of that difference (Welch t).".to_string(),
    ];
    if effects.iter().any(|e| e.bands.iter().any(|b| b.single_fit)) {
        notes.push(
            "Light bar, no whisker: the tip or the baseline has a single fit, so there is no interval."
                .to_string(),
        );
    }
    draw_legend(&side, look, "Tips", &keys, &notes)
}
