//! `ears.png` (sessions of both ears): left, each tip's mean response of
//! the left ear (solid) and the right ear (dashed) in the tip's colour,
//! normalised at 300-1000 Hz; right, the balance: right minus left per
//! octave band for each tip (`Comparison::ears`).

use super::axes::{draw_dashed, log_chart, y_range, Axes};
use super::data::{normalised, tip_curves};
use super::style::{
    centre_note, draw_legend, iem_name, tip_colour, title, with_legend, Key, Look, Swatch,
};
use super::Area;
use crate::compare::ears::side_of;
use crate::compare::Comparison;
use crate::dsp::grid::log_grid;
use crate::session::config::Ear;
use crate::session::model::{FitRecord, SessionInfo};
use anyhow::Result;
use plotters::prelude::*;

pub(super) fn draw_ears(
    root: &Area<'_>,
    info: &SessionInfo,
    fits: &[FitRecord],
    cmp: &Comparison,
) -> Result<()> {
    let look = Look::of(root);
    let sub = cmp
        .ears
        .as_ref()
        .map(|e| e.recommended.sentence.clone())
        .unwrap_or_else(|| "one ear only: no balance".into());
    let body = title(
        root,
        look,
        &format!("Left and right ear: {}", iem_name(info)),
        Some(&sub),
    )?;
    let (plot, side) = with_legend(&body, look);
    let (w, _) = plot.dim_in_pixel();
    let (resp_area, bal_area) = plot.split_horizontally((w as f64 * 0.55) as u32);
    let grid = log_grid(20.0, 20_000.0, 24);
    let ear_of = |e: Ear| -> Vec<FitRecord> {
        fits.iter()
            .filter(|r| side_of(r, info.ear) == e)
            .cloned()
            .collect()
    };
    let curve = |r: &FitRecord| normalised(&r.response()?.frequency_response, &grid);
    let left = tip_curves(info, &ear_of(Ear::Left), grid.len(), curve);
    let right = tip_curves(info, &ear_of(Ear::Right), grid.len(), curve);
    let values = left
        .iter()
        .chain(&right)
        .flat_map(|t| t.spread.mean.iter().copied());
    let ax = Axes {
        x: (20.0, 20_000.0),
        y: y_range(values, 3.0, 20.0, 5.0, (-40.0, 20.0)),
        x_desc: "Frequency (Hz)",
        y_desc: "Level re 300-1000 Hz (dB)",
        caption: Some("Mean response: left solid, right dashed"),
    };
    let mut chart = log_chart(&resp_area, look, &ax)?;
    let (lo, hi) = (ax.y.0, ax.y.1);
    for t in &left {
        for run in super::axes::runs(&grid, &t.spread.mean, (lo, hi)) {
            chart.draw_series(LineSeries::new(run, t.colour.stroke_width(look.upx(3.0))))?;
        }
    }
    for t in &right {
        draw_dashed(
            &mut chart,
            &grid,
            &t.spread.mean,
            t.colour,
            look.upx(3.0),
            look,
        )?;
    }
    if left.iter().chain(&right).all(|t| t.spread.n == 0) {
        centre_note(&chart.plotting_area().strip_coord_spec(), look, "no data")?;
    }

    // the balance: right minus left per octave band, one line of markers per tip
    let balance = cmp.ears.as_ref().map(|e| &e.balance[..]).unwrap_or(&[]);
    let vals = balance
        .iter()
        .flat_map(|b| b.band_db.iter().flatten().copied());
    let bx = Axes {
        x: (90.0, 11_000.0),
        y: y_range(vals.chain([0.0]), 1.0, 4.0, 1.0, (-30.0, 30.0)),
        x_desc: "Octave band (Hz)",
        y_desc: "Right minus left (dB)",
        caption: Some("Balance per octave band (mean over pairs)"),
    };
    let mut bchart = log_chart(&bal_area, look, &bx)?;
    bchart.draw_series(LineSeries::new(
        [(bx.x.0, 0.0), (bx.x.1, 0.0)],
        BLACK.stroke_width(look.upx(2.0)),
    ))?;
    for b in balance {
        let Some(i) = info.tips.iter().position(|t| t.name == b.tip) else {
            continue;
        };
        let c = tip_colour(i);
        let pts: Vec<(f64, f64)> = b
            .centre_hz
            .iter()
            .zip(&b.band_db)
            .filter_map(|(f, v)| v.map(|v| (*f, v.clamp(bx.y.0, bx.y.1))))
            .collect();
        bchart.draw_series(LineSeries::new(pts.clone(), c.stroke_width(look.upx(3.0))))?;
        bchart.draw_series(
            pts.iter()
                .map(|p| Circle::new(*p, look.upx(7.0), c.filled())),
        )?;
    }
    if balance.iter().all(|b| b.n == 0) {
        centre_note(
            &bchart.plotting_area().strip_coord_spec(),
            look,
            "no fits on both ears",
        )?;
    }

    let mut keys: Vec<Key> = left
        .iter()
        .zip(&right)
        .map(|(l, r)| {
            let mut k = Key::new(
                Swatch::Line(l.colour),
                format!("{} (L {} / R {} fits)", l.name, l.spread.n, r.spread.n),
            );
            if let Some(b) = balance.iter().find(|b| b.tip == l.name) {
                if let Some(s) = &b.bass_db {
                    k.detail = Some(format!("bass R - L {:+.1} dB", s.mean));
                }
            }
            k
        })
        .collect();
    keys.push(Key::new(
        Swatch::Line(RGBColor(90, 90, 90)),
        "left ear: solid",
    ));
    keys.push(Key::new(
        Swatch::Dashed(RGBColor(90, 90, 90)),
        "right ear: dashed",
    ));
    let notes = [
        "Responses normalised to their 300-1000 Hz mean.".to_string(),
        "Balance: per pair of fits measured on both ears, right minus left; markers per octave band 125 Hz-8 kHz.".to_string(),
    ];
    draw_legend(&side, look, "Tips", &keys, &notes)
}
