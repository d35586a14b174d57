//! The shared look of every plot: colours, the embedded fonts, sizes
//! relative to a 1600x1000 picture, number and text formatting, titles,
//! notes and legends.

use super::data::TipCurve;
use super::Area;
use crate::compare::Stat;
use crate::session::model::SessionInfo;
use anyhow::Result;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::sync::Once;

/// The font family every plot uses (registered from the embedded fonts).
pub(super) const FONT: &str = "sans-serif";

/// Okabe-Ito (colour-blind safe; black and yellow left out, they do not
/// read as lines on white) followed by four darker extras.
pub(super) const PALETTE: [RGBColor; 10] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0x8C, 0x56, 0x4B), // brown
    RGBColor(0x33, 0x22, 0x88), // indigo
    RGBColor(0x99, 0x99, 0x33), // olive
    RGBColor(0x7F, 0x7F, 0x7F), // grey
];

pub(super) const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
pub(super) const MUTED: RGBColor = RGBColor(0x5A, 0x5A, 0x5A);
/// The target curve.
pub(super) const TARGET: RGBColor = RGBColor(0x99, 0x99, 0x99);
pub(super) const GRID_BOLD: RGBColor = RGBColor(0xC8, 0xC8, 0xC8);
pub(super) const GRID_LIGHT: RGBColor = RGBColor(0xEC, 0xEC, 0xEC);
pub(super) const STRIPE: RGBColor = RGBColor(0xF3, 0xF3, 0xF3);

/// Frequency ticks of the log axes, Hz.
pub(super) const HZ_TICKS: [f64; 19] = [
    1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5,
    5e5, 1e6,
];

/// The colour of tip number `i` (session order), the same in every plot;
/// distinct and colour-blind friendly (Okabe-Ito first), cycling after 10.
pub fn tip_colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

pub(super) fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The embedded fonts are known to parse; were they not, drawing text
        // would fail with a font error naming the file being written.
        let _ = plotters::style::register_font(
            FONT,
            FontStyle::Normal,
            include_bytes!("../../../assets/fonts/DejaVuSans.ttf"),
        );
        let _ = plotters::style::register_font(
            FONT,
            FontStyle::Bold,
            include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf"),
        );
    });
}

/// Frequency label: 20, 500, 1k, 20k, 0.5.
pub(super) fn hz_label(v: &f64) -> String {
    let v = *v;
    if v >= 1000.0 {
        let k = v / 1000.0;
        if (k - k.round()).abs() < 1e-6 {
            format!("{}k", k.round())
        } else {
            format!("{k:.1}k")
        }
    } else if v >= 1.0 && (v - v.round()).abs() < 1e-6 {
        format!("{}", v.round())
    } else {
        format!("{v:.1}")
    }
}

/// Plain number label without a trailing ".0".
pub(super) fn num_label(v: &f64) -> String {
    let s = format!("{:.1}", v);
    let s = s.strip_suffix(".0").unwrap_or(&s).to_string();
    if s == "-0" {
        "0".into()
    } else {
        s.replace('-', "−")
    }
}

/// "mean ± SD" with `d` decimals (one fit: the value), or "–".
pub(super) fn mean_pm(s: Option<&Stat>, d: usize) -> String {
    match s {
        Some(s) if s.mean.is_finite() => crate::report::text::mean_sd(s, d).replace('-', "−"),
        _ => "–".into(),
    }
}

/// `text`, shortened with "…" to at most `width` pixels in `style`.
pub(super) fn fit_text(
    area: &Area<'_>,
    text: &str,
    style: &TextStyle<'_>,
    width: u32,
) -> Result<String> {
    if area.estimate_text_size(text, style)?.0 <= width {
        return Ok(text.to_string());
    }
    let mut chars: Vec<char> = text.chars().collect();
    while !chars.is_empty() {
        chars.pop();
        let s: String = chars.iter().collect::<String>() + "…";
        if area.estimate_text_size(&s, style)?.0 <= width {
            return Ok(s);
        }
    }
    Ok(String::new())
}

/// Greedy word wrap of `text` to lines of at most `width` pixels.
pub(super) fn wrap(
    area: &Area<'_>,
    text: &str,
    style: &TextStyle<'_>,
    width: u32,
) -> Result<Vec<String>> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if !line.is_empty() && area.estimate_text_size(&candidate, style)?.0 > width {
            lines.push(std::mem::replace(&mut line, word.to_string()));
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    Ok(lines)
}

/// "2024-05-01T10:20:30Z" -> "2024-05-01 10:20 UTC".
pub(super) fn format_created(s: &str) -> String {
    let t: String = s.chars().take(16).collect();
    if t.len() == 16 && t.as_bytes().get(10) == Some(&b'T') {
        format!("{} UTC", t.replacen('T', " ", 1))
    } else {
        s.to_string()
    }
}

pub(super) fn iem_name(info: &SessionInfo) -> &str {
    if info.iem.trim().is_empty() {
        "IEM"
    } else {
        info.iem.trim()
    }
}

/// Sizes relative to a 1600x1000 picture.
#[derive(Debug, Clone, Copy)]
pub(super) struct Look {
    pub(super) s: f64,
}

impl Look {
    pub(super) fn of(area: &Area<'_>) -> Look {
        let (w, h) = area.dim_in_pixel();
        Look {
            s: (w as f64 / 1600.0).min(h as f64 / 1000.0).clamp(0.3, 4.0),
        }
    }

    pub(super) fn scaled(self, f: f64) -> Look {
        Look { s: self.s * f }
    }

    pub(super) fn px(self, v: f64) -> i32 {
        (v * self.s).round().max(1.0) as i32
    }

    pub(super) fn upx(self, v: f64) -> u32 {
        self.px(v) as u32
    }

    pub(super) fn text(self, size: f64, style: FontStyle, colour: RGBColor) -> TextStyle<'static> {
        FontDesc::new(FontFamily::Name(FONT), size * self.s, style).color(&colour)
    }

    pub(super) fn font(self, size: f64) -> TextStyle<'static> {
        self.text(size, FontStyle::Normal, INK)
    }

    pub(super) fn bold(self, size: f64) -> TextStyle<'static> {
        self.text(size, FontStyle::Bold, INK)
    }
}

pub(super) fn at(h: HPos, v: VPos) -> Pos {
    Pos::new(h, v)
}

/// Title (and an optional subtitle line) at the top of `root`; returns the
/// area below.
pub(super) fn title<'b>(
    root: &Area<'b>,
    look: Look,
    text: &str,
    sub: Option<&str>,
) -> Result<Area<'b>> {
    let (w, _) = root.dim_in_pixel();
    let style = look.bold(34.0).pos(at(HPos::Center, VPos::Top));
    let text = fit_text(root, text, &style, w.saturating_sub(look.upx(40.0)))?;
    root.draw_text(&text, &style, (w as i32 / 2, look.px(14.0)))?;
    let mut y = look.px(62.0);
    if let Some(sub) = sub {
        let style = look
            .text(22.0, FontStyle::Normal, MUTED)
            .pos(at(HPos::Center, VPos::Top));
        let sub = fit_text(root, sub, &style, w.saturating_sub(look.upx(40.0)))?;
        root.draw_text(&sub, &style, (w as i32 / 2, y))?;
        y += look.px(34.0);
    }
    Ok(root.split_vertically(y).1)
}

/// Split a figure body into the plot (left) and the legend column (right).
pub(super) fn with_legend<'b>(body: &Area<'b>, look: Look) -> (Area<'b>, Area<'b>) {
    let (w, _) = body.dim_in_pixel();
    let legend_w = (w as f64 * 0.24).max(look.s * 300.0).min(w as f64 * 0.4) as i32;
    let (plot, side) = body.split_horizontally(w as i32 - legend_w);
    (
        plot,
        side.margin(look.px(20.0), 0, look.px(10.0), look.px(16.0)),
    )
}

/// A note centred in `area`.
pub(super) fn centre_note(area: &Area<'_>, look: Look, text: &str) -> Result<()> {
    let (w, h) = area.dim_in_pixel();
    let style = look
        .text(30.0, FontStyle::Bold, MUTED)
        .pos(at(HPos::Center, VPos::Center));
    let (tw, th) = area.estimate_text_size(text, &style)?;
    let (cx, cy) = (w as i32 / 2, h as i32 / 2);
    let (hw, hh) = (tw as i32 / 2 + look.px(16.0), th as i32 / 2 + look.px(10.0));
    area.draw(&Rectangle::new(
        [(cx - hw, cy - hh), (cx + hw, cy + hh)],
        WHITE.filled(),
    ))?;
    area.draw_text(text, &style, (cx, cy))?;
    Ok(())
}

/// What a legend entry shows left of its label.
#[derive(Debug, Clone, Copy)]
pub(super) enum Swatch {
    /// A line.
    Line(RGBColor),
    /// A line over a shaded band.
    Band(RGBColor),
    /// A dashed line.
    Dashed(RGBColor),
    /// A circle marker, hollow or filled.
    Marker(RGBColor, bool),
    /// An upward triangle marker.
    Triangle(RGBColor),
}

#[derive(Debug, Clone)]
pub(super) struct Key {
    pub(super) swatch: Swatch,
    pub(super) label: String,
    /// A second, smaller line under the label.
    pub(super) detail: Option<String>,
}

impl Key {
    pub(super) fn new(swatch: Swatch, label: impl Into<String>) -> Key {
        Key {
            swatch,
            label: label.into(),
            detail: None,
        }
    }
}

pub(super) fn draw_swatch(area: &Area<'_>, look: Look, sw: Swatch, x: i32, y: i32) -> Result<()> {
    let (x1, r) = (x + look.px(44.0), look.px(8.0));
    let line = |c: RGBColor| PathElement::new(vec![(x, y), (x1, y)], c.stroke_width(look.upx(3.0)));
    let mid = (x + x1) / 2;
    match sw {
        Swatch::Line(c) => area.draw(&line(c))?,
        Swatch::Band(c) => {
            area.draw(&Rectangle::new(
                [(x, y - look.px(10.0)), (x1, y + look.px(10.0))],
                c.mix(0.2).filled(),
            ))?;
            area.draw(&line(c))?;
        }
        Swatch::Dashed(c) => area.draw(&DashedPathElement::new(
            vec![(x, y), (x1, y)],
            look.upx(8.0),
            look.upx(5.0),
            c.stroke_width(look.upx(3.0)),
        ))?,
        Swatch::Marker(c, hollow) => {
            area.draw(&line(c))?;
            draw_marker(area, (mid, y), r, c, hollow, look)?;
        }
        Swatch::Triangle(c) => {
            area.draw(&TriangleMarker::new((mid, y), look.px(10.0), c.filled()))?
        }
    }
    Ok(())
}

/// A circle marker at pixel `p`: filled, or white with a coloured ring.
pub(super) fn draw_marker(
    area: &Area<'_>,
    p: (i32, i32),
    r: i32,
    c: RGBColor,
    hollow: bool,
    look: Look,
) -> Result<()> {
    if hollow {
        area.draw(&Circle::new(p, r, WHITE.filled()))?;
        area.draw(&Circle::new(p, r, c.stroke_width(look.upx(3.0))))?;
    } else {
        area.draw(&Circle::new(p, r, c.filled()))?;
    }
    Ok(())
}

/// The legend column: a heading, one row per key, then wrapped notes.
pub(super) fn draw_legend(
    area: &Area<'_>,
    look: Look,
    heading: &str,
    keys: &[Key],
    notes: &[String],
) -> Result<()> {
    let (w, h) = area.dim_in_pixel();
    let left = look.px(8.0);
    let text_x = left + look.px(56.0);
    let label_w = (w as i32 - text_x).max(10) as u32;
    let mut y = 0;
    area.draw_text(heading, &look.bold(24.0), (left, y))?;
    y += look.px(44.0);
    let row = look.px(38.0);
    let style = look.font(22.0).pos(at(HPos::Left, VPos::Center));
    let detail_style = look.text(19.0, FontStyle::Normal, MUTED);
    for k in keys {
        if y + row > h as i32 {
            break;
        }
        draw_swatch(area, look, k.swatch, left, y + row / 2)?;
        let label = fit_text(area, &k.label, &style, label_w)?;
        area.draw_text(&label, &style, (text_x, y + row / 2))?;
        y += row;
        if let Some(d) = &k.detail {
            let d = fit_text(area, d, &detail_style, label_w)?;
            area.draw_text(&d, &detail_style, (text_x, y - look.px(6.0)))?;
            y += look.px(24.0);
        }
    }
    y += look.px(22.0);
    let note_style = look.text(20.0, FontStyle::Normal, MUTED);
    for note in notes {
        for line in wrap(area, note, &note_style, (w as i32 - left).max(10) as u32)? {
            if y + look.px(26.0) > h as i32 {
                return Ok(());
            }
            area.draw_text(&line, &note_style, (left, y))?;
            y += look.px(27.0);
        }
        y += look.px(10.0);
    }
    Ok(())
}

/// A small boxed legend in the lower right corner of `area`.
pub(super) fn inset_legend(area: &Area<'_>, look: Look, keys: &[Key]) -> Result<()> {
    let style = look.font(20.0).pos(at(HPos::Left, VPos::Center));
    let mut text_w = 0;
    for k in keys {
        text_w = text_w.max(area.estimate_text_size(&k.label, &style)?.0 as i32);
    }
    let (w, h) = area.dim_in_pixel();
    let row = look.px(30.0);
    let pad = look.px(8.0);
    let box_w = (pad * 3 + look.px(44.0) + text_w).min(w as i32);
    let box_h = pad * 2 + row * keys.len() as i32;
    let (x0, y0) = (w as i32 - box_w - pad, h as i32 - box_h - pad);
    area.draw(&Rectangle::new(
        [(x0, y0), (x0 + box_w, y0 + box_h)],
        WHITE.mix(0.88).filled(),
    ))?;
    area.draw(&Rectangle::new(
        [(x0, y0), (x0 + box_w, y0 + box_h)],
        GRID_BOLD.stroke_width(1),
    ))?;
    for (i, k) in keys.iter().enumerate() {
        let y = y0 + pad + row * i as i32 + row / 2;
        draw_swatch(area, look.scaled(0.85), k.swatch, x0 + pad, y)?;
        area.draw_text(&k.label, &style, (x0 + pad * 2 + look.px(44.0), y))?;
    }
    Ok(())
}

/// A legend key per tip; tips without data say so.
pub(super) fn tip_keys(tips: &[TipCurve], swatch: fn(RGBColor) -> Swatch) -> Vec<Key> {
    tips.iter()
        .map(|t| {
            let label = match t.spread.n {
                0 => format!("{} (no data)", t.name),
                1 => format!("{} (1 fit)", t.name),
                n => format!("{} ({n} fits)", t.name),
            };
            Key::new(swatch(t.colour), label)
        })
        .collect()
}
