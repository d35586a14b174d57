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
/// read as lines on white) followed by six darker extras: twelve tips get
/// twelve colours.
pub(super) const PALETTE: [RGBColor; 12] = [
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
    RGBColor(0x88, 0x22, 0x55), // wine
    RGBColor(0x11, 0x55, 0x44), // dark teal
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
/// distinct and colour-blind friendly (Okabe-Ito first), cycling after 12.
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

/// Width and height of `text` in `style`, pixels (the fonts must be
/// registered: every plot does that first).
pub(super) fn text_size(text: &str, style: &TextStyle<'_>) -> Result<(i32, i32)> {
    let (w, h) = style
        .font
        .box_size(text)
        .map_err(|e| anyhow::anyhow!("cannot measure the text {text:?}: {e:?}"))?;
    Ok((w as i32, h as i32))
}

/// Draw `text` in `style` at `pos` of `area` (anchored as the style
/// says); the text helpers of the plots draw through this, so that tests
/// can see every string drawn and where ([`recorder`]).
pub(super) fn draw_text(
    area: &Area<'_>,
    text: &str,
    style: &TextStyle<'_>,
    pos: (i32, i32),
) -> Result<()> {
    recorder::note(area, text, style, pos);
    area.draw_text(text, style, pos)?;
    Ok(())
}

/// What [`draw_text`] drew, for tests: each string with its box in the
/// picture's pixels. Without `cfg(test)` it records nothing.
pub(super) mod recorder {
    use super::super::Area;
    use plotters::style::TextStyle;

    /// One string drawn and its box, (left, top, right, bottom) pixels of
    /// the whole picture.
    #[cfg(test)]
    #[derive(Debug, Clone, PartialEq)]
    pub(crate) struct Drawn {
        pub(crate) text: String,
        pub(crate) rect: (i32, i32, i32, i32),
    }

    #[cfg(test)]
    thread_local! {
        static DRAWN: std::cell::RefCell<Option<Vec<Drawn>>> = const { std::cell::RefCell::new(None) };
    }

    /// Run `f`, returning what it returns and every string drawn meanwhile
    /// on this thread.
    #[cfg(test)]
    pub(crate) fn capture<T>(f: impl FnOnce() -> T) -> (T, Vec<Drawn>) {
        DRAWN.with(|d| *d.borrow_mut() = Some(Vec::new()));
        let out = f();
        let drawn = DRAWN.with(|d| d.borrow_mut().take()).unwrap_or_default();
        (out, drawn)
    }

    #[cfg(test)]
    pub(super) fn note(area: &Area<'_>, text: &str, style: &TextStyle<'_>, pos: (i32, i32)) {
        use plotters::style::text_anchor::{HPos, VPos};
        if DRAWN.with(|d| d.borrow().is_none()) {
            return;
        }
        let (w, h) = super::text_size(text, style).unwrap_or((0, 0));
        let (bx, by) = area.get_base_pixel();
        let x0 = bx
            + pos.0
            + match style.pos.h_pos {
                HPos::Left => 0,
                HPos::Center => -w / 2,
                HPos::Right => -w,
            };
        let y0 = by
            + pos.1
            + match style.pos.v_pos {
                VPos::Top => 0,
                VPos::Center => -h / 2,
                VPos::Bottom => -h,
            };
        let drawn = Drawn {
            text: text.to_string(),
            rect: (x0, y0, x0 + w, y0 + h),
        };
        DRAWN.with(|d| {
            if let Some(v) = d.borrow_mut().as_mut() {
                v.push(drawn);
            }
        });
    }

    #[cfg(not(test))]
    #[inline(always)]
    pub(super) fn note(_: &Area<'_>, _: &str, _: &TextStyle<'_>, _: (i32, i32)) {}
}

/// `style` at `factor` times its font size.
pub(super) fn resized<'a>(style: &TextStyle<'a>, factor: f64) -> TextStyle<'a> {
    TextStyle {
        font: style.font.resize(style.font.get_size() * factor),
        color: style.color,
        pos: style.pos,
    }
}

/// `text` laid out in at most `max_lines` lines of at most `width` pixels,
/// never cut: on one line at the size of `style` or a little smaller (down
/// to 85 %), else word-wrapped at a font down to 70 % of it, else (a word
/// wider than the room) at whatever smaller size fits. Returns the lines
/// and the style to draw them in.
pub(super) fn fit_lines<'a>(
    text: &str,
    style: &TextStyle<'a>,
    width: u32,
    max_lines: usize,
) -> Result<(Vec<String>, TextStyle<'a>)> {
    let width = width.max(1) as i32;
    let one = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut factor = 1.0;
    while factor > 0.84 {
        let st = resized(style, factor);
        if text_size(&one, &st)?.0 <= width {
            return Ok((vec![one], st));
        }
        factor -= 0.05;
    }
    let max_lines = max_lines.max(1);
    let mut factor = 1.0;
    loop {
        let st = resized(style, factor);
        let lines = if max_lines == 1 {
            vec![one.clone()]
        } else {
            wrap_lines(&one, &st, width as u32)?
        };
        let mut fits = lines.len() <= max_lines;
        for l in &lines {
            fits &= text_size(l, &st)?.0 <= width;
        }
        if fits || style.font.get_size() * factor < 4.0 {
            return Ok((lines, st));
        }
        factor *= if factor > 0.71 { 0.95 } else { 0.9 };
    }
}

/// `text` on one line of at most `width` pixels: in `style`, or shrunk
/// until it fits (never cut).
pub(super) fn fit_one<'a>(text: &str, style: &TextStyle<'a>, width: u32) -> Result<TextStyle<'a>> {
    Ok(fit_lines(text, style, width, 1)?.1)
}

/// Greedy word wrap of `text` to lines of at most `width` pixels (a word
/// wider than that stays whole on its own line).
pub(super) fn wrap_lines(text: &str, style: &TextStyle<'_>, width: u32) -> Result<Vec<String>> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if !line.is_empty() && text_size(&candidate, style)?.0 > width as i32 {
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
        Look::of_size(area.dim_in_pixel())
    }

    /// The look of a picture of `(w, h)` pixels.
    pub(super) fn of_size((w, h): (u32, u32)) -> Look {
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

/// A title shrunk to one line and its subtitle wrapped to at most two,
/// laid out for a picture `w` pixels wide.
pub(super) struct TitleLayout {
    title: (String, TextStyle<'static>),
    sub: Option<(Vec<String>, TextStyle<'static>)>,
    /// The height the title takes, pixels.
    pub(super) height: i32,
}

impl TitleLayout {
    pub(super) fn new(look: Look, w: u32, text: &str, sub: Option<&str>) -> Result<TitleLayout> {
        let room = w.saturating_sub(look.upx(40.0));
        let style = look.bold(34.0).pos(at(HPos::Center, VPos::Top));
        let style = fit_one(text, &style, room)?;
        let mut height = look.px(62.0);
        let sub = match sub {
            Some(sub) => {
                let style = look
                    .text(22.0, FontStyle::Normal, MUTED)
                    .pos(at(HPos::Center, VPos::Top));
                let (lines, style) = fit_lines(sub, &style, room, 2)?;
                height += look.px(34.0) + look.px(28.0) * (lines.len() as i32 - 1);
                Some((lines, style))
            }
            None => None,
        };
        Ok(TitleLayout {
            title: (text.to_string(), style),
            sub,
            height,
        })
    }

    /// Draw at the top of `root`; returns the area below.
    pub(super) fn draw<'b>(&self, root: &Area<'b>, look: Look) -> Result<Area<'b>> {
        let (w, _) = root.dim_in_pixel();
        let cx = w as i32 / 2;
        draw_text(root, &self.title.0, &self.title.1, (cx, look.px(14.0)))?;
        if let Some((lines, style)) = &self.sub {
            let mut y = look.px(62.0);
            for line in lines {
                draw_text(root, line, style, (cx, y))?;
                y += look.px(28.0);
            }
        }
        Ok(root.split_vertically(self.height).1)
    }
}

/// Title (and an optional subtitle, up to two lines) at the top of `root`;
/// returns the area below.
pub(super) fn title<'b>(
    root: &Area<'b>,
    look: Look,
    text: &str,
    sub: Option<&str>,
) -> Result<Area<'b>> {
    TitleLayout::new(look, root.dim_in_pixel().0, text, sub)?.draw(root, look)
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
    draw_text(area, text, &style, (cx, cy))?;
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
    /// A filled bar (a square).
    Bar(RGBColor),
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
        Swatch::Bar(c) => {
            let r = look.px(11.0);
            area.draw(&Rectangle::new(
                [(mid - r, y - r), (mid + r, y + r)],
                c.filled(),
            ))?
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

/// The legend column: a heading, one row per key (a long label wrapped to
/// two lines), then wrapped notes; all drawn smaller, down to 60 %, when
/// they would not fit the column's height (notes left out last).
pub(super) fn draw_legend(
    area: &Area<'_>,
    look: Look,
    heading: &str,
    keys: &[Key],
    notes: &[String],
) -> Result<()> {
    let h = area.dim_in_pixel().1 as i32;
    let mut f = 1.0;
    loop {
        let l = look.scaled(f);
        if f <= 0.61 || legend_pass(area, l, heading, keys, notes, false)? <= h {
            legend_pass(area, l, heading, keys, notes, true)?;
            return Ok(());
        }
        f -= 0.1;
    }
}

/// Lay out (and with `draw`, draw) the legend; returns the height it needs.
fn legend_pass(
    area: &Area<'_>,
    look: Look,
    heading: &str,
    keys: &[Key],
    notes: &[String],
    draw: bool,
) -> Result<i32> {
    let (w, h) = area.dim_in_pixel();
    let h = h as i32;
    let left = look.px(8.0);
    let text_x = left + look.px(56.0);
    let label_w = (w as i32 - text_x).max(10) as u32;
    let mut y = 0;
    if draw {
        let style = fit_one(heading, &look.bold(24.0), (w as i32 - left).max(10) as u32)?;
        draw_text(area, heading, &style, (left, y))?;
    }
    y += look.px(44.0);
    let row = look.px(38.0);
    let line_h = look.px(26.0);
    let style = look.font(22.0).pos(at(HPos::Left, VPos::Center));
    let detail_style = look.text(19.0, FontStyle::Normal, MUTED);
    for k in keys {
        let (lines, st) = fit_lines(&k.label, &style, label_w, 2)?;
        let extra = line_h * (lines.len() as i32 - 1);
        if draw && y + row + extra <= h {
            draw_swatch(area, look, k.swatch, left, y + row / 2)?;
            for (j, line) in lines.iter().enumerate() {
                draw_text(area, line, &st, (text_x, y + row / 2 + line_h * j as i32))?;
            }
        }
        y += row + extra;
        if let Some(d) = &k.detail {
            let (lines, st) = fit_lines(d, &detail_style, label_w, 2)?;
            for line in &lines {
                if draw && y + look.px(18.0) <= h {
                    draw_text(area, line, &st, (text_x, y - look.px(6.0)))?;
                }
                y += look.px(24.0);
            }
        }
    }
    y += look.px(22.0);
    let note_style = look.text(20.0, FontStyle::Normal, MUTED);
    for note in notes {
        for line in wrap_lines(note, &note_style, (w as i32 - left).max(10) as u32)? {
            if draw && y + look.px(26.0) <= h {
                draw_text(area, &line, &note_style, (left, y))?;
            }
            y += look.px(27.0);
        }
        y += look.px(10.0);
    }
    Ok(y - look.px(10.0))
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
