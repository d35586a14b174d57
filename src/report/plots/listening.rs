//! `listening.png`: what a poor seal costs in listening level
//! (`Comparison::listening_penalty`): per tip, one bar per ambient preset,
//! the volume to add over the best-sealing tip to hear the music as loud in
//! the noise the tip lets in, each bar labelled with the NIOSH daily
//! allowance that follows.

use super::style::{
    centre_note, draw_legend, iem_name, num_label, tip_colour, title, with_legend, Key, Look,
    Swatch, GRID_BOLD, MUTED,
};
use super::Area;
use crate::analysis::listening::{hours_text, ListeningPenalty, MAX_HOURS};
use crate::compare::Comparison;
use crate::session::model::{FitRecord, SessionInfo};
use anyhow::Result;
use plotters::prelude::*;

/// Bar colours of the ambients, light to dark as they get louder.
const AMBIENT_COLOURS: [RGBColor; 6] = [
    RGBColor(0x9E, 0xCA, 0xE1),
    RGBColor(0x42, 0x92, 0xC6),
    RGBColor(0x08, 0x51, 0x9C),
    RGBColor(0x08, 0x30, 0x6B),
    RGBColor(0xB0, 0x70, 0x30),
    RGBColor(0x70, 0x40, 0x10),
];

fn allowance(p: &ListeningPenalty) -> String {
    if p.allowance_h >= MAX_HOURS {
        "≥24h".into()
    } else {
        hours_text(p.allowance_h, MAX_HOURS).replace(' ', "")
    }
}

pub(super) fn draw_listening(
    root: &Area<'_>,
    info: &SessionInfo,
    _fits: &[FitRecord],
    cmp: &Comparison,
) -> Result<()> {
    let look = Look::of(root);
    let p = &cmp.listening_penalty;
    let reference = p
        .first()
        .map_or("the best tip", |x| x.reference_tip.as_str());
    let sub = match p.first() {
        Some(x) => format!(
            "volume to add over {reference} (music at {:.0} dBA) to hear the music as loud in the noise each tip lets in; \
             ISO 532-1 partial loudness, IEC 60268-1 programme spectrum",
            x.reference_eardrum_dba
        ),
        None => cmp
            .listening_note
            .clone()
            .unwrap_or_else(|| "no listening penalty".into()),
    };
    let body = title(
        root,
        look,
        &format!(
            "What a poor seal costs in listening level: {}",
            iem_name(info)
        ),
        Some(&sub),
    )?;
    let (plot, side) = with_legend(&body, look);
    let presets: Vec<&str> = crate::compare::listening::ambients(p)
        .iter()
        .map(|x| x.preset.as_str())
        .collect();
    let tips: Vec<(usize, &str)> = info
        .tips
        .iter()
        .enumerate()
        .filter(|(_, t)| p.iter().any(|x| x.tip == t.name))
        .map(|(i, t)| (i, t.name.as_str()))
        .collect();
    let (lo, hi) = p.iter().fold((0.0f64, 1.0f64), |(lo, hi), x| {
        (lo.min(x.gain_db), hi.max(x.gain_db))
    });
    let (lo, hi) = ((lo - 1.0).floor(), (hi * 1.15 + 1.0).ceil());
    let n = tips.len().max(1) as f64;
    let mut chart = ChartBuilder::on(&plot)
        .margin_top(look.px(16.0))
        .margin_right(look.px(30.0))
        .margin_left(look.px(10.0))
        .x_label_area_size(look.px(90.0))
        .y_label_area_size(look.px(96.0))
        .build_cartesian_2d(-0.5..n - 0.5, lo..hi)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_desc(format!("Volume to add over {reference} (dB)"))
        .axis_desc_style(look.font(24.0))
        .label_style(look.font(22.0))
        .y_label_formatter(&num_label)
        .bold_line_style(GRID_BOLD.stroke_width(1))
        .light_line_style(WHITE.stroke_width(0))
        .axis_style(MUTED.stroke_width(look.upx(2.0)))
        .draw()?;
    chart.draw_series(std::iter::once(PathElement::new(
        vec![(-0.5, 0.0), (n - 0.5, 0.0)],
        BLACK.stroke_width(look.upx(2.0)),
    )))?;
    let k = presets.len().max(1) as f64;
    let width = 0.8 / k;
    let label = look.font(17.0);
    for (ti, (colour_index, name)) in tips.iter().enumerate() {
        for (pi, preset) in presets.iter().enumerate() {
            let Some(x) = p.iter().find(|x| x.tip == *name && x.preset == *preset) else {
                continue;
            };
            let x0 = ti as f64 - 0.4 + pi as f64 * width;
            let c = AMBIENT_COLOURS[pi % AMBIENT_COLOURS.len()];
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x0 + 0.1 * width, 0.0), (x0 + 0.9 * width, x.gain_db)],
                c.filled(),
            )))?;
            let y = if x.gain_db >= 0.0 { x.gain_db } else { 0.0 };
            let text = format!("{}{:+.1}", if x.matched { "" } else { ">" }, x.gain_db);
            chart.draw_series(std::iter::once(Text::new(
                text,
                (x0 + 0.05 * width, y + (hi - lo) * 0.045),
                label.clone(),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                allowance(x),
                (x0 + 0.05 * width, y + (hi - lo) * 0.02),
                label.clone().color(&MUTED),
            )))?;
        }
        // the tip's name under its group, in its colour (drawn on the
        // picture, in the axis' label area)
        let (px, py) = chart.backend_coord(&(ti as f64, lo));
        let (ox, oy) = plot.get_base_pixel();
        let colour = tip_colour(*colour_index);
        let style = look.bold(22.0).color(&colour);
        let w = super::style::text_size(name, &style)?.0;
        plot.draw(&Text::new(
            name.to_string(),
            (px - ox - w / 2, py - oy + look.px(14.0)),
            style,
        ))?;
        // and a strip of its colour along the axis
        chart.draw_series(std::iter::once(Rectangle::new(
            [
                (ti as f64 - 0.4, lo),
                (ti as f64 + 0.4, lo + (hi - lo) * 0.012),
            ],
            tip_colour(*colour_index).filled(),
        )))?;
    }
    if p.is_empty() {
        centre_note(&plot, look, "no listening penalty: see the note above")?;
    }
    let keys: Vec<Key> = presets
        .iter()
        .enumerate()
        .map(|(i, pr)| {
            let place = p
                .iter()
                .find(|x| x.preset == *pr)
                .map_or(pr.to_string(), |x| x.place.clone());
            Key::new(
                Swatch::Marker(AMBIENT_COLOURS[i % AMBIENT_COLOURS.len()], true),
                place,
            )
        })
        .collect();
    let worst = p
        .iter()
        .filter(|x| x.tip != x.reference_tip)
        .max_by(|a, b| a.gain_db.total_cmp(&b.gain_db))
        .map(|w| format!("Worst: {}.", w.sentence()));
    let notes = [
        worst.unwrap_or_default(),
        "Bar: dB to add; number below it: the NIOSH daily allowance at the level that follows (85 dBA for 8 h, 3 dB exchange).".to_string(),
        "The reference tip's music is 75 dBA at the eardrum (diffuse-field equivalent).".to_string(),
    ];
    draw_legend(&side, look, "Ambient", &keys, &notes)
}
