//! PNG plots of a tip comparison, made from stored fits and the
//! [`Comparison`] only.
//!
//! Six pictures ([`write_all`]): frequency response, bass, isolation,
//! ranking, repeatability and a summary dashboard. Every plot draws tip `i`
//! of the session in [`tip_colour`]`(i)` and uses the DejaVu Sans fonts
//! embedded in the binary (no system fonts). Odd data is skipped, never
//! fatal: tips without fits, fits without seal or isolation data, NaN or
//! infinite values; a plot without data still shows its axes and a note.

use crate::analysis::isolation::BandTable;
use crate::analysis::seal::interpolate_db;
use crate::analysis::{FrequencyResponse, Verdict};
use crate::compare::{Comparison, RankEntry, Stat, TipStats};
use crate::dsp::grid::log_grid;
use crate::session::model::{FitRecord, SessionInfo};
use anyhow::{bail, Context, Result};
use image::ImageEncoder;
use plotters::coord::combinators::{LogCoord, WithKeyPoints};
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::{Path, PathBuf};
use std::sync::Once;

/// Default picture size.
pub const DEFAULT_SIZE: (u32, u32) = (1600, 1000);

/// The font family every plot uses (registered from the embedded fonts).
const FONT: &str = "sans-serif";

/// Okabe-Ito (colour-blind safe; black and yellow left out, they do not
/// read as lines on white) followed by four darker extras.
const PALETTE: [RGBColor; 10] = [
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

const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
const MUTED: RGBColor = RGBColor(0x5A, 0x5A, 0x5A);
/// The target curve.
const TARGET: RGBColor = RGBColor(0x99, 0x99, 0x99);
const GRID_BOLD: RGBColor = RGBColor(0xC8, 0xC8, 0xC8);
const GRID_LIGHT: RGBColor = RGBColor(0xEC, 0xEC, 0xEC);
const STRIPE: RGBColor = RGBColor(0xF3, 0xF3, 0xF3);

/// Frequency ticks of the log axes, Hz.
const HZ_TICKS: [f64; 19] = [
    1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5,
    5e5, 1e6,
];

/// The colour of tip number `i` (session order), the same in every plot;
/// distinct and colour-blind friendly (Okabe-Ito first), cycling after 10.
pub fn tip_colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The embedded fonts are known to parse; were they not, drawing text
        // would fail with a font error naming the file being written.
        let _ = plotters::style::register_font(
            FONT,
            FontStyle::Normal,
            include_bytes!("../../assets/fonts/DejaVuSans.ttf"),
        );
        let _ = plotters::style::register_font(
            FONT,
            FontStyle::Bold,
            include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf"),
        );
    });
}

// ---------------------------------------------------------------------------
// Public entry points
// ---------------------------------------------------------------------------

/// Write all six plots into `dir` (which exists); returns the paths written,
/// in this order: frequency_response.png, bass.png, isolation.png,
/// ranking.png, repeatability.png, summary.png.
pub fn write_all(
    info: &SessionInfo,
    fits: &[FitRecord],
    cmp: &Comparison,
    dir: &Path,
    size: (u32, u32),
) -> Result<Vec<PathBuf>> {
    type Plot = fn(&SessionInfo, &[FitRecord], &Comparison, &Path, (u32, u32)) -> Result<()>;
    let plots: [(&str, Plot); 6] = [
        ("frequency_response.png", frequency_response),
        ("bass.png", bass),
        ("isolation.png", isolation),
        ("ranking.png", ranking),
        ("repeatability.png", repeatability),
        ("summary.png", summary),
    ];
    let mut written = Vec::with_capacity(plots.len());
    for (name, plot) in plots {
        let path = dir.join(name);
        plot(info, fits, cmp, &path, size)?;
        written.push(path);
    }
    Ok(written)
}

/// Defines a public plot function: same arguments for every plot, the
/// drawing done by the named `draw_*` function.
macro_rules! plot_fn {
    ($(#[$doc:meta])* $name:ident => $draw:ident) => {
        $(#[$doc])*
        pub fn $name(
            info: &SessionInfo,
            fits: &[FitRecord],
            cmp: &Comparison,
            path: &Path,
            size: (u32, u32),
        ) -> Result<()> {
            render_file(path, size, |root| $draw(root, info, fits, cmp))
        }
    };
}

plot_fn! {
    /// `frequency_response.png`: each tip's mean response over its fits
    /// (absolute level, 20 Hz-20 kHz) with the fit-to-fit spread (+-1 SD) shaded.
    frequency_response => draw_frequency_response
}

plot_fn! {
    /// `bass.png`: the low end 10-500 Hz against the reference (or normalised
    /// at 300-1000 Hz without one), mean +-1 SD per tip, mean leak corners marked.
    bass => draw_bass
}

plot_fn! {
    /// `isolation.png`: attenuation per third-octave band per tip, mean +-1 SD
    /// over fits; floor-limited bands hollow.
    isolation => draw_isolation
}

plot_fn! {
    /// `ranking.png`: the seal ranking (leak corner or bass loss) and the
    /// isolation ranking side by side, means with 95 % confidence intervals.
    ranking => draw_ranking
}

plot_fn! {
    /// `repeatability.png`: one panel per tip with every fit's response
    /// 10-1000 Hz (normalised at 300-1000 Hz), outlier fits dashed black.
    repeatability => draw_repeatability
}

plot_fn! {
    /// `summary.png`: a dashboard with a table of the tips, the bass plot and
    /// both rankings.
    summary => draw_summary
}

type Area<'b> = DrawingArea<BitMapBackend<'b>, Shift>;
type LogX = WithKeyPoints<LogCoord<f64>>;
type LogChart<'a, 'b> = ChartContext<'a, BitMapBackend<'b>, Cartesian2d<LogX, RangedCoordf64>>;

fn check_size(size: (u32, u32)) -> Result<()> {
    if size.0 < 320 || size.1 < 200 || size.0 > 16_384 || size.1 > 16_384 {
        bail!(
            "a plot of {}x{} pixels cannot be drawn: use 320x200 to 16384x16384",
            size.0,
            size.1
        );
    }
    Ok(())
}

/// Draw into a PNG file, written through [`crate::formats::atomic_write`]:
/// a failed write (a full disk) leaves the old plot whole.
fn render_file(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&Area<'_>) -> Result<()>,
) -> Result<()> {
    let run = || -> Result<()> {
        let rgb = render_buffer(size, draw)?;
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png).write_image(
            &rgb,
            size.0,
            size.1,
            image::ColorType::Rgb8,
        )?;
        crate::formats::atomic_write(path, &png)?;
        Ok(())
    };
    run().with_context(|| format!("cannot write the plot {}", path.display()))
}

/// Draw into an RGB buffer of `size` (3 bytes a pixel).
fn render_buffer(size: (u32, u32), draw: impl FnOnce(&Area<'_>) -> Result<()>) -> Result<Vec<u8>> {
    check_size(size)?;
    register_fonts();
    let mut buf = vec![0u8; size.0 as usize * size.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buf, size).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()?;
    }
    Ok(buf)
}

// ---------------------------------------------------------------------------
// Data preparation
// ---------------------------------------------------------------------------

/// The finite points at positive frequencies of `fr`, ascending, one per
/// frequency.
fn clean(fr: &FrequencyResponse) -> (Vec<f64>, Vec<f64>) {
    let mut p: Vec<(f64, f64)> = fr
        .freq_hz
        .iter()
        .zip(&fr.db)
        .filter(|(f, d)| f.is_finite() && **f > 0.0 && d.is_finite())
        .map(|(f, d)| (*f, *d))
        .collect();
    p.sort_by(|a, b| a.0.total_cmp(&b.0));
    p.dedup_by(|a, b| a.0 == b.0);
    p.into_iter().unzip()
}

/// `fr` interpolated on `grid` (NaN outside its measured range); `None`
/// with fewer than two usable points.
fn on_grid(fr: &FrequencyResponse, grid: &[f64]) -> Option<Vec<f64>> {
    let (f, d) = clean(fr);
    if f.len() < 2 {
        return None;
    }
    let (lo, hi) = (f[0] * 0.999, f[f.len() - 1] * 1.001);
    Some(
        grid.iter()
            .map(|&x| {
                if x < lo || x > hi {
                    f64::NAN
                } else {
                    interpolate_db(&f, &d, x)
                }
            })
            .collect(),
    )
}

/// The session's target curve on `grid`, shifted so its 300-1000 Hz mean
/// matches the reference's (or the tips' mean curves'): targets are in
/// their own units (often dB SPL).
fn aligned_target(
    info: &SessionInfo,
    grid: &[f64],
    tips: &[TipCurve],
    reference: Option<&[f64]>,
) -> Option<Vec<f64>> {
    let target = on_grid(info.target.as_ref()?, grid)?;
    let mid = |v: &[f64]| -> Option<f64> {
        let x: Vec<f64> = grid
            .iter()
            .zip(v)
            .filter(|(f, d)| (300.0..=1000.0).contains(*f) && d.is_finite())
            .map(|(_, d)| *d)
            .collect();
        (!x.is_empty()).then(|| x.iter().sum::<f64>() / x.len() as f64)
    };
    let level = match reference {
        Some(r) => mid(r),
        None => {
            let m: Vec<f64> = tips.iter().filter_map(|t| mid(&t.spread.mean)).collect();
            (!m.is_empty()).then(|| m.iter().sum::<f64>() / m.len() as f64)
        }
    }
    .unwrap_or(0.0);
    let shift = level - mid(&target)?;
    Some(target.iter().map(|d| d + shift).collect())
}

/// Mean level of `fr`'s points in `lo..=hi` Hz.
fn band_mean(fr: &FrequencyResponse, lo: f64, hi: f64) -> Option<f64> {
    let (f, d) = clean(fr);
    let v: Vec<f64> = f
        .iter()
        .zip(&d)
        .filter(|(x, _)| **x >= lo * 0.999 && **x <= hi * 1.001)
        .map(|p| *p.1)
        .collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// `fr` on `grid` relative to its own 300-1000 Hz mean.
fn normalised(fr: &FrequencyResponse, grid: &[f64]) -> Option<Vec<f64>> {
    let level = band_mean(fr, 300.0, 1000.0)?;
    Some(on_grid(fr, grid)?.iter().map(|v| v - level).collect())
}

/// Mean and sample SD over curves, per grid point (NaN values left out).
#[derive(Debug, Clone)]
struct Spread {
    mean: Vec<f64>,
    sd: Vec<f64>,
    /// Curves that went in.
    n: usize,
}

impl Spread {
    fn of(curves: &[Vec<f64>], len: usize) -> Spread {
        let mut mean = vec![f64::NAN; len];
        let mut sd = vec![f64::NAN; len];
        for k in 0..len {
            let v: Vec<f64> = curves
                .iter()
                .filter_map(|c| c.get(k).copied())
                .filter(|x| x.is_finite())
                .collect();
            if let Some((m, s)) = mean_sd(&v) {
                mean[k] = m;
                sd[k] = s;
            }
        }
        Spread {
            mean,
            sd,
            n: curves.len(),
        }
    }

    /// Every finite mean +- SD value (for axis ranges).
    fn extent(&self) -> impl Iterator<Item = f64> + '_ {
        self.mean
            .iter()
            .zip(&self.sd)
            .flat_map(|(m, s)| [m - s, m + s])
    }
}

fn mean_sd(v: &[f64]) -> Option<(f64, f64)> {
    if v.is_empty() {
        return None;
    }
    let m = v.iter().sum::<f64>() / v.len() as f64;
    let sd = if v.len() > 1 {
        (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
    } else {
        0.0
    };
    Some((m, sd))
}

/// One tip's curve data.
#[derive(Debug, Clone)]
struct TipCurve {
    name: String,
    colour: RGBColor,
    spread: Spread,
}

/// Per tip of the session, the spread of `curve` over its fits.
fn tip_curves(
    info: &SessionInfo,
    fits: &[FitRecord],
    len: usize,
    curve: impl Fn(&FitRecord) -> Option<Vec<f64>>,
) -> Vec<TipCurve> {
    info.tips
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let curves: Vec<Vec<f64>> = fits
                .iter()
                .filter(|r| r.tip == t.name)
                .filter_map(&curve)
                .collect();
            TipCurve {
                name: t.name.clone(),
                colour: tip_colour(i),
                spread: Spread::of(&curves, len),
            }
        })
        .collect()
}

/// The comparison's statistics of the tip called `name`.
fn stats_of<'c>(cmp: &'c Comparison, name: &str) -> Option<&'c TipStats> {
    cmp.tips.iter().find(|t| t.name == name)
}

/// The session index of the tip called `name` (for its colour).
fn tip_index(info: &SessionInfo, name: &str) -> Option<usize> {
    info.tips.iter().position(|t| t.name == name)
}

/// Consecutive runs of finite `(x, y)` points, `y` clamped into the plot's
/// range `lo..=hi`: axis ranges leave out absurd values (see [`y_range`]),
/// and a point far outside the range would overflow the pixel arithmetic.
fn runs(xs: &[f64], ys: &[f64], (lo, hi): (f64, f64)) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut cur = Vec::new();
    for (x, y) in xs.iter().zip(ys) {
        if x.is_finite() && y.is_finite() {
            cur.push((*x, y.clamp(lo, hi)));
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Axis range over the finite `values` with `margin`, at least `min_span`
/// wide, rounded out to multiples of `step`; `fallback` without values.
fn y_range(
    values: impl Iterator<Item = f64>,
    margin: f64,
    min_span: f64,
    step: f64,
    fallback: (f64, f64),
) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .map(|v| v.clamp(-1e4, 1e4))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if lo > hi {
        return fallback;
    }
    let (mut lo, mut hi) = (lo - margin, hi + margin);
    if hi - lo < min_span {
        let c = 0.5 * (lo + hi);
        lo = c - 0.5 * min_span;
        hi = c + 0.5 * min_span;
    }
    ((lo / step).floor() * step, (hi / step).ceil() * step)
}

// ---------------------------------------------------------------------------
// Text and number formatting
// ---------------------------------------------------------------------------

/// Frequency label: 20, 500, 1k, 20k, 0.5.
fn hz_label(v: &f64) -> String {
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

/// A frequency value with unit: 2.3 Hz, 45 Hz, 1.2 kHz.
fn hz_value(v: f64) -> String {
    if !v.is_finite() {
        "–".into()
    } else if v < 0.1 {
        "<0.1 Hz".into()
    } else if v >= 1000.0 {
        format!("{:.1} kHz", v / 1000.0)
    } else if v >= 10.0 {
        format!("{v:.0} Hz")
    } else {
        format!("{v:.1} Hz")
    }
}

/// Plain number label without a trailing ".0".
fn num_label(v: &f64) -> String {
    let s = format!("{:.1}", v);
    let s = s.strip_suffix(".0").unwrap_or(&s).to_string();
    if s == "-0" {
        "0".into()
    } else {
        s.replace('-', "−")
    }
}

/// "mean ± SD" with `d` decimals, or "–".
fn mean_pm(s: Option<&Stat>, d: usize) -> String {
    match s {
        Some(s) if s.mean.is_finite() => format!("{:.d$} ± {:.d$}", s.mean, s.sd).replace('-', "−"),
        _ => "–".into(),
    }
}

/// `text`, shortened with "…" to at most `width` pixels in `style`.
fn fit_text(area: &Area<'_>, text: &str, style: &TextStyle<'_>, width: u32) -> Result<String> {
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
fn wrap(area: &Area<'_>, text: &str, style: &TextStyle<'_>, width: u32) -> Result<Vec<String>> {
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
fn format_created(s: &str) -> String {
    let t: String = s.chars().take(16).collect();
    if t.len() == 16 && t.as_bytes().get(10) == Some(&b'T') {
        format!("{} UTC", t.replacen('T', " ", 1))
    } else {
        s.to_string()
    }
}

fn iem_name(info: &SessionInfo) -> &str {
    if info.iem.trim().is_empty() {
        "IEM"
    } else {
        info.iem.trim()
    }
}

// ---------------------------------------------------------------------------
// Drawing helpers
// ---------------------------------------------------------------------------

/// Sizes relative to a 1600x1000 picture.
#[derive(Debug, Clone, Copy)]
struct Look {
    s: f64,
}

impl Look {
    fn of(area: &Area<'_>) -> Look {
        let (w, h) = area.dim_in_pixel();
        Look {
            s: (w as f64 / 1600.0).min(h as f64 / 1000.0).clamp(0.3, 4.0),
        }
    }

    fn scaled(self, f: f64) -> Look {
        Look { s: self.s * f }
    }

    fn px(self, v: f64) -> i32 {
        (v * self.s).round().max(1.0) as i32
    }

    fn upx(self, v: f64) -> u32 {
        self.px(v) as u32
    }

    fn text(self, size: f64, style: FontStyle, colour: RGBColor) -> TextStyle<'static> {
        FontDesc::new(FontFamily::Name(FONT), size * self.s, style).color(&colour)
    }

    fn font(self, size: f64) -> TextStyle<'static> {
        self.text(size, FontStyle::Normal, INK)
    }

    fn bold(self, size: f64) -> TextStyle<'static> {
        self.text(size, FontStyle::Bold, INK)
    }
}

fn at(h: HPos, v: VPos) -> Pos {
    Pos::new(h, v)
}

/// Title (and an optional subtitle line) at the top of `root`; returns the
/// area below.
fn title<'b>(root: &Area<'b>, look: Look, text: &str, sub: Option<&str>) -> Result<Area<'b>> {
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
fn with_legend<'b>(body: &Area<'b>, look: Look) -> (Area<'b>, Area<'b>) {
    let (w, _) = body.dim_in_pixel();
    let legend_w = (w as f64 * 0.24).max(look.s * 300.0).min(w as f64 * 0.4) as i32;
    let (plot, side) = body.split_horizontally(w as i32 - legend_w);
    (
        plot,
        side.margin(look.px(20.0), 0, look.px(10.0), look.px(16.0)),
    )
}

/// A note centred in `area`.
fn centre_note(area: &Area<'_>, look: Look, text: &str) -> Result<()> {
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
enum Swatch {
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
struct Key {
    swatch: Swatch,
    label: String,
    /// A second, smaller line under the label.
    detail: Option<String>,
}

impl Key {
    fn new(swatch: Swatch, label: impl Into<String>) -> Key {
        Key {
            swatch,
            label: label.into(),
            detail: None,
        }
    }
}

fn draw_swatch(area: &Area<'_>, look: Look, sw: Swatch, x: i32, y: i32) -> Result<()> {
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
fn draw_marker(
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
fn draw_legend(
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
fn inset_legend(area: &Area<'_>, look: Look, keys: &[Key]) -> Result<()> {
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

/// Tick and grid points of a log frequency axis over `lo..hi`: bold at
/// 1-2-5 steps, light at every integer multiple of a decade.
fn log_points(lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>) {
    let bold: Vec<f64> = HZ_TICKS
        .iter()
        .copied()
        .filter(|f| *f >= lo * 0.999 && *f <= hi * 1.001)
        .collect();
    let mut light = Vec::new();
    let mut decade = 10f64.powf(lo.log10().floor());
    while decade <= hi {
        for m in 1..10 {
            let f = decade * m as f64;
            if f >= lo && f <= hi && !bold.iter().any(|b| (b / f - 1.0).abs() < 1e-9) {
                light.push(f);
            }
        }
        decade *= 10.0;
    }
    (bold, light)
}

/// Labels and axis descriptions of a plot.
struct Axes<'t> {
    x: (f64, f64),
    y: (f64, f64),
    x_desc: &'t str,
    y_desc: &'t str,
    caption: Option<&'t str>,
}

/// A chart with a log frequency x axis and a dB y axis, mesh drawn.
fn log_chart<'a, 'b>(area: &'a Area<'b>, look: Look, ax: &Axes<'_>) -> Result<LogChart<'a, 'b>> {
    let (bold, light) = log_points(ax.x.0, ax.x.1);
    let mut builder = ChartBuilder::on(area);
    builder
        .margin_top(look.px(16.0))
        .margin_right(look.px(30.0))
        .margin_left(look.px(10.0))
        .x_label_area_size(look.px(78.0))
        .y_label_area_size(look.px(96.0));
    if let Some(c) = ax.caption {
        builder.caption(c, look.bold(26.0));
    }
    let mut chart = builder.build_cartesian_2d(
        (ax.x.0..ax.x.1)
            .log_scale()
            .with_key_points(bold)
            .with_light_points(light),
        ax.y.0..ax.y.1,
    )?;
    chart
        .configure_mesh()
        .x_desc(ax.x_desc)
        .y_desc(ax.y_desc)
        .axis_desc_style(look.font(24.0))
        .label_style(look.font(22.0))
        .x_label_formatter(&hz_label)
        .y_label_formatter(&num_label)
        .y_labels(12)
        .y_max_light_lines(2)
        .bold_line_style(GRID_BOLD.stroke_width(1))
        .light_line_style(GRID_LIGHT.stroke_width(1))
        .axis_style(MUTED.stroke_width(look.upx(2.0)))
        .draw()?;
    Ok(chart)
}

/// Mean line and +-1 SD band of one tip.
fn draw_spread(
    chart: &mut LogChart<'_, '_>,
    grid: &[f64],
    s: &Spread,
    c: RGBColor,
    look: Look,
) -> Result<()> {
    let (lo, hi) = range_of(chart.y_range());
    let clamp = |v: f64| v.clamp(lo, hi);
    let upper: Vec<f64> = s
        .mean
        .iter()
        .zip(&s.sd)
        .map(|(m, d)| clamp(m + d))
        .collect();
    let lower: Vec<f64> = s
        .mean
        .iter()
        .zip(&s.sd)
        .map(|(m, d)| clamp(m - d))
        .collect();
    let band_y: Vec<f64> = s
        .mean
        .iter()
        .zip(&s.sd)
        .map(|(m, d)| if *d > 0.0 { *m } else { f64::NAN })
        .collect();
    for run in runs(grid, &band_y, (lo, hi)) {
        let pts: Vec<(f64, f64)> = run
            .iter()
            .map(|(x, _)| (*x, upper[index_of(grid, *x)]))
            .chain(
                run.iter()
                    .rev()
                    .map(|(x, _)| (*x, lower[index_of(grid, *x)])),
            )
            .collect();
        chart.draw_series(std::iter::once(Polygon::new(pts, c.mix(0.18).filled())))?;
    }
    for run in runs(grid, &s.mean, (lo, hi)) {
        chart.draw_series(LineSeries::new(run, c.stroke_width(look.upx(3.0))))?;
    }
    Ok(())
}

fn range_of(r: std::ops::Range<f64>) -> (f64, f64) {
    (r.start, r.end)
}

fn index_of(grid: &[f64], x: f64) -> usize {
    grid.iter().position(|g| *g == x).unwrap_or(0)
}

/// A dashed line through the finite points.
fn draw_dashed(
    chart: &mut LogChart<'_, '_>,
    grid: &[f64],
    ys: &[f64],
    c: RGBColor,
    width: u32,
    look: Look,
) -> Result<()> {
    let y_lim = range_of(chart.y_range());
    for run in runs(grid, ys, y_lim) {
        chart.draw_series(DashedLineSeries::new(
            run,
            look.upx(10.0),
            look.upx(6.0),
            c.stroke_width(width),
        ))?;
    }
    Ok(())
}

/// A legend key per tip; tips without data say so.
fn tip_keys(tips: &[TipCurve], swatch: fn(RGBColor) -> Swatch) -> Vec<Key> {
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

// ---------------------------------------------------------------------------
// 1. Frequency response
// ---------------------------------------------------------------------------

fn draw_frequency_response(
    root: &Area<'_>,
    info: &SessionInfo,
    fits: &[FitRecord],
    _cmp: &Comparison,
) -> Result<()> {
    let look = Look::of(root);
    let body = title(
        root,
        look,
        &format!("Frequency response: {}", iem_name(info)),
        Some("mean over each tip's fits, shaded ±1 SD fit to fit; absolute level as measured"),
    )?;
    let (plot, side) = with_legend(&body, look);
    let grid = log_grid(20.0, 20_000.0, 24);
    let tips = tip_curves(info, fits, grid.len(), |r| {
        on_grid(&r.response()?.frequency_response, &grid)
    });
    let reference = info.reference.as_ref().and_then(|r| on_grid(r, &grid));
    let target = aligned_target(info, &grid, &tips, reference.as_deref());
    let values = tips
        .iter()
        .flat_map(|t| t.spread.extent())
        .chain(reference.iter().flatten().copied())
        .chain(target.iter().flatten().copied());
    let ax = Axes {
        x: (20.0, 20_000.0),
        y: y_range(values, 5.0, 20.0, 5.0, (-40.0, 10.0)),
        x_desc: "Frequency (Hz)",
        y_desc: "Level (dB re stimulus full scale)",
        caption: None,
    };
    let mut chart = log_chart(&plot, look, &ax)?;
    for t in &tips {
        draw_spread(&mut chart, &grid, &t.spread, t.colour, look)?;
    }
    let mut keys = tip_keys(&tips, Swatch::Band);
    if let Some(r) = &reference {
        draw_dashed(&mut chart, &grid, r, INK, look.upx(2.0), look)?;
        keys.push(Key::new(Swatch::Dashed(INK), "reference"));
    }
    if let Some(t) = &target {
        draw_dashed(&mut chart, &grid, t, TARGET, look.upx(2.0), look)?;
        keys.push(Key::new(
            Swatch::Dashed(TARGET),
            "target (aligned 300-1000 Hz)",
        ));
    }
    if tips.iter().all(|t| t.spread.n == 0) {
        centre_note(&chart.plotting_area().strip_coord_spec(), look, "no data")?;
    }
    let notes = [
        "Line: mean of the fits' dB levels. Shaded: ±1 SD over fits.".to_string(),
        "0 dB: recording full scale per stimulus full scale.".to_string(),
    ];
    draw_legend(&side, look, "Tips", &keys, &notes)
}

// ---------------------------------------------------------------------------
// 2. Bass
// ---------------------------------------------------------------------------

/// The bass plot's data.
struct BassData {
    grid: Vec<f64>,
    tips: Vec<TipCurve>,
    /// Mean leak corner per tip, Hz.
    corners: Vec<Option<f64>>,
    with_reference: bool,
}

fn bass_data(info: &SessionInfo, fits: &[FitRecord], cmp: &Comparison) -> BassData {
    let grid = log_grid(10.0, 500.0, 48);
    let reference = info.reference.as_ref().and_then(|r| on_grid(r, &grid));
    let tips = tip_curves(info, fits, grid.len(), |r| {
        let fr = &r.response()?.frequency_response;
        match &reference {
            Some(rf) => Some(
                on_grid(fr, &grid)?
                    .iter()
                    .zip(rf)
                    .map(|(a, b)| a - b)
                    .collect(),
            ),
            None => normalised(fr, &grid),
        }
    });
    let corners = info
        .tips
        .iter()
        .map(|t| {
            let (mean, _, _) = corner_value(fits, cmp, &t.name)?;
            (mean.is_finite() && mean > 0.0).then_some(mean)
        })
        .collect();
    BassData {
        grid,
        tips,
        corners,
        with_reference: reference.is_some(),
    }
}

impl BassData {
    fn y_desc(&self) -> &'static str {
        if self.with_reference {
            "Level re reference (dB)"
        } else {
            "Level re 300–1000 Hz (dB)"
        }
    }
}

/// The bass chart itself (no title, no legend column).
fn bass_chart(area: &Area<'_>, look: Look, d: &BassData, caption: Option<&str>) -> Result<()> {
    let values = d.tips.iter().flat_map(|t| t.spread.extent()).chain([0.0]);
    let ax = Axes {
        x: (10.0, 500.0),
        y: y_range(values, 3.0, 12.0, 5.0, (-30.0, 5.0)),
        x_desc: "Frequency (Hz)",
        y_desc: d.y_desc(),
        caption,
    };
    let mut chart = log_chart(area, look, &ax)?;
    chart.draw_series(LineSeries::new(
        [(10.0, 0.0), (500.0, 0.0)],
        MUTED.stroke_width(look.upx(2.0)),
    ))?;
    for t in &d.tips {
        draw_spread(&mut chart, &d.grid, &t.spread, t.colour, look)?;
    }
    for (t, corner) in d.tips.iter().zip(&d.corners) {
        if let Some(f) = corner.filter(|f| (10.0..=500.0).contains(f)) {
            draw_corner(&mut chart, &d.grid, t, f, look)?;
        }
    }
    if d.tips.iter().all(|t| t.spread.n == 0) {
        centre_note(&chart.plotting_area().strip_coord_spec(), look, "no data")?;
    }
    Ok(())
}

/// A tip's mean leak corner: a dashed drop line and a triangle on its curve.
fn draw_corner(
    chart: &mut LogChart<'_, '_>,
    grid: &[f64],
    t: &TipCurve,
    f: f64,
    look: Look,
) -> Result<()> {
    let (lo, hi) = range_of(chart.y_range());
    let (g, m): (Vec<f64>, Vec<f64>) = grid
        .iter()
        .zip(&t.spread.mean)
        .filter(|p| p.1.is_finite())
        .map(|(a, b)| (*a, *b))
        .unzip();
    let y = if g.len() >= 2 {
        interpolate_db(&g, &m, f).clamp(lo, hi)
    } else {
        lo + 0.06 * (hi - lo)
    };
    chart.draw_series(DashedLineSeries::new(
        [(f, lo), (f, y)],
        look.upx(6.0),
        look.upx(6.0),
        t.colour.stroke_width(look.upx(2.0)),
    ))?;
    chart.draw_series(std::iter::once(TriangleMarker::new(
        (f, y),
        look.px(11.0),
        t.colour.filled(),
    )))?;
    Ok(())
}

fn draw_bass(
    root: &Area<'_>,
    info: &SessionInfo,
    fits: &[FitRecord],
    cmp: &Comparison,
) -> Result<()> {
    let look = Look::of(root);
    let d = bass_data(info, fits, cmp);
    let sub = if d.with_reference {
        "each fit minus the reference response; mean per tip, shaded ±1 SD"
    } else {
        "normalised at 300–1000 Hz (each fit minus its own 300–1000 Hz mean); mean per tip, shaded ±1 SD"
    };
    let body = title(
        root,
        look,
        &format!("Bass and seal: {}", iem_name(info)),
        Some(sub),
    )?;
    let (plot, side) = with_legend(&body, look);
    bass_chart(&plot, look, &d, None)?;
    let mut keys = tip_keys(&d.tips, Swatch::Band);
    for (k, c) in keys.iter_mut().zip(&d.corners) {
        k.detail = c.map(|f| {
            let off = if (10.0..=500.0).contains(&f) {
                ""
            } else {
                " (off scale)"
            };
            format!("leak corner {}{off}", hz_value(f))
        });
    }
    keys.push(Key::new(Swatch::Triangle(MUTED), "leak corner"));
    let notes = [
        "▲ and dashed drop line: the −3 dB corner of each tip's fitted leak model, geometric mean over fits (marked when inside 10–500 Hz).".to_string(),
        "Shaded: ±1 SD over fits.".to_string(),
    ];
    draw_legend(&side, look, "Tips", &keys, &notes)
}

// ---------------------------------------------------------------------------
// 3. Isolation
// ---------------------------------------------------------------------------

/// Third-octave attenuation of one tip over its fits.
#[derive(Debug, Clone)]
struct BandStats {
    centre: Vec<f64>,
    mean: Vec<f64>,
    sd: Vec<f64>,
    floor: Vec<bool>,
}

fn band_stats(tables: &[&BandTable]) -> Option<BandStats> {
    let mut centres: Vec<f64> = tables
        .iter()
        .flat_map(|t| t.centre_hz.iter().copied())
        .filter(|c| c.is_finite() && *c > 0.0)
        .collect();
    centres.sort_by(f64::total_cmp);
    centres.dedup_by(|a, b| (*a / *b - 1.0).abs() < 0.01);
    let mut out = BandStats {
        centre: Vec::new(),
        mean: Vec::new(),
        sd: Vec::new(),
        floor: Vec::new(),
    };
    for c in centres {
        let mut v = Vec::new();
        let mut floor = false;
        for t in tables {
            let Some(j) = t.centre_hz.iter().position(|x| (x / c - 1.0).abs() < 0.01) else {
                continue;
            };
            match t.attenuation_db.get(j) {
                Some(a) if a.is_finite() => v.push(*a),
                _ => continue,
            }
            floor |= t.floor_limited.get(j).copied().unwrap_or(false);
        }
        if let Some((m, s)) = mean_sd(&v) {
            out.centre.push(c);
            out.mean.push(m);
            out.sd.push(s);
            out.floor.push(floor);
        }
    }
    (!out.centre.is_empty()).then_some(out)
}

/// Per tip with isolation data: (session index, stats).
fn isolation_data(info: &SessionInfo, fits: &[FitRecord]) -> Vec<(usize, BandStats)> {
    info.tips
        .iter()
        .enumerate()
        .filter_map(|(i, t)| {
            let tables: Vec<&BandTable> = fits
                .iter()
                .filter(|r| r.tip == t.name)
                .filter_map(|r| Some(&r.isolation.as_ref()?.third_octave))
                .collect();
            Some((i, band_stats(&tables)?))
        })
        .collect()
}

fn draw_isolation(
    root: &Area<'_>,
    info: &SessionInfo,
    fits: &[FitRecord],
    _cmp: &Comparison,
) -> Result<()> {
    let look = Look::of(root);
    let data = isolation_data(info, fits);
    let method = fits
        .iter()
        .find_map(|r| r.isolation.as_ref())
        .map(|i| match i.method {
            crate::analysis::isolation::IsolationMethod::InsertionLoss => "insertion loss",
            crate::analysis::isolation::IsolationMethod::NoiseReduction => "noise reduction",
        });
    let sub = match method {
        Some(m) => format!("{m} per third-octave band, mean over fits, error bars ±1 SD"),
        None => "isolation not measured".to_string(),
    };
    let body = title(
        root,
        look,
        &format!("Passive isolation: {}", iem_name(info)),
        Some(&sub),
    )?;
    let (plot, side) = with_legend(&body, look);
    let values = data
        .iter()
        .flat_map(|(_, b)| b.mean.iter().zip(&b.sd).flat_map(|(m, s)| [m - s, m + s]))
        .chain([0.0]);
    let ax = Axes {
        x: (20.0, 20_000.0),
        y: y_range(values, 4.0, 20.0, 5.0, (0.0, 40.0)),
        x_desc: "Frequency (Hz), third-octave band centres",
        y_desc: "Attenuation (dB)",
        caption: None,
    };
    let mut chart = log_chart(&plot, look, &ax)?;
    let n = data.len();
    let step = (0.25 / n.max(1) as f64).min(0.05);
    for (k, (i, b)) in data.iter().enumerate() {
        let dodge = 2f64.powf((k as f64 - (n as f64 - 1.0) / 2.0) * step);
        draw_band_series(&mut chart, b, tip_colour(*i), dodge, look)?;
    }
    if data.is_empty() {
        centre_note(
            &chart.plotting_area().strip_coord_spec(),
            look,
            "isolation not measured",
        )?;
    }
    let mut keys: Vec<Key> = info
        .tips
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let has = data.iter().any(|(j, _)| *j == i);
            let label = if has {
                t.name.clone()
            } else {
                format!("{} (no data)", t.name)
            };
            Key::new(Swatch::Marker(tip_colour(i), false), label)
        })
        .collect();
    keys.push(Key::new(Swatch::Marker(MUTED, true), "floor-limited"));
    let notes = [
        "Hollow marker = floor-limited: the occluded level is near the noise floor, so the attenuation is at least this.".to_string(),
        "Markers are nudged sideways per tip so error bars do not overlap.".to_string(),
    ];
    draw_legend(&side, look, "Tips", &keys, &notes)
}

/// One tip's isolation: line through the means, ±1 SD bars, markers.
fn draw_band_series(
    chart: &mut LogChart<'_, '_>,
    b: &BandStats,
    c: RGBColor,
    dodge: f64,
    look: Look,
) -> Result<()> {
    let (x0, x1) = range_of(chart.x_range());
    let (y0, y1) = range_of(chart.y_range());
    let xs: Vec<f64> = b.centre.iter().map(|f| f * dodge).collect();
    let inside = |x: f64| x >= x0 && x <= x1;
    let pts: Vec<(f64, f64)> = xs
        .iter()
        .zip(&b.mean)
        .filter(|p| inside(*p.0) && p.1.is_finite())
        .map(|(x, m)| (*x, m.clamp(y0, y1)))
        .collect();
    chart.draw_series(LineSeries::new(pts, c.stroke_width(look.upx(2.0))))?;
    let cap = look.px(7.0);
    for k in (0..xs.len()).filter(|k| inside(xs[*k]) && b.sd[*k] > 0.0) {
        let (lo, hi) = (
            (b.mean[k] - b.sd[k]).clamp(y0, y1),
            (b.mean[k] + b.sd[k]).clamp(y0, y1),
        );
        let style = c.stroke_width(look.upx(2.0));
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(xs[k], lo), (xs[k], hi)],
            style,
        )))?;
        for y in [lo, hi] {
            chart.draw_series(std::iter::once(
                EmptyElement::at((xs[k], y)) + PathElement::new(vec![(-cap, 0), (cap, 0)], style),
            ))?;
        }
    }
    let area = chart.plotting_area().strip_coord_spec();
    let base = area.get_base_pixel();
    for k in (0..xs.len()).filter(|k| inside(xs[*k])) {
        let p = chart.backend_coord(&(xs[k], b.mean[k].clamp(y0, y1)));
        draw_marker(
            &area,
            (p.0 - base.0, p.1 - base.1),
            look.px(7.0),
            c,
            b.floor[k],
            look,
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// 4. Ranking
// ---------------------------------------------------------------------------

/// One row of a ranking panel.
#[derive(Debug, Clone)]
struct Row {
    rank: String,
    tip: String,
    colour: RGBColor,
    mean: f64,
    lo: f64,
    hi: f64,
    value: String,
    /// The value without its interval.
    short: String,
}

/// A ranking panel: rows best first.
#[derive(Debug, Clone)]
struct Panel {
    title: String,
    by: String,
    x_desc: String,
    log: bool,
    rows: Vec<Row>,
    empty: String,
    /// Rows left out for lack of room.
    more: usize,
}

/// A tip's leak corners as statistics of log10(corner / Hz), as the
/// ranking compares them.
fn log_corner_stat(fits: &[FitRecord], tip: &str) -> Option<Stat> {
    let logs: Vec<f64> = fits
        .iter()
        .filter(|r| r.tip == tip)
        .filter_map(|r| {
            let f = r.response()?.seal.leak_fit.as_ref()?;
            let leak = crate::acoustics::Leak {
                f0_hz: f.f0_hz,
                zeta: f.zeta,
            };
            let c = leak.corner_hz();
            (c.is_finite() && c > 0.0).then(|| c.log10())
        })
        .collect();
    Stat::of(&logs)
}

/// The value and 95 % interval of a tip in the seal ranking: the geometric
/// mean corner (the ranking works on log10 of it) or the bass loss.
fn seal_value(
    fits: &[FitRecord],
    cmp: &Comparison,
    e: &RankEntry,
    corner: bool,
) -> (f64, f64, f64) {
    if corner {
        let v = 10f64.powf(e.value);
        return corner_value(fits, cmp, &e.tip).unwrap_or((v, v, v));
    }
    match stats_of(cmp, &e.tip).and_then(|t| t.bass_loss_db.as_ref()) {
        Some(s) => (s.mean, s.ci95_low, s.ci95_high),
        None => (e.value, e.value, e.value),
    }
}

/// A tip's leak corner as (mean, 95 % CI low, high), Hz: the geometric
/// mean over fits, as the seal ranking compares corners on log10; else the
/// comparison's arithmetic mean.
fn corner_value(fits: &[FitRecord], cmp: &Comparison, tip: &str) -> Option<(f64, f64, f64)> {
    if let Some(s) = log_corner_stat(fits, tip) {
        let p = |v: f64| 10f64.powf(v);
        return Some((p(s.mean), p(s.ci95_low), p(s.ci95_high)));
    }
    let s = stats_of(cmp, tip)?.leak_corner_hz.as_ref()?;
    Some((s.mean, s.ci95_low.max(s.mean * 0.1), s.ci95_high))
}

/// Seal ranking by leak corner or by bass loss (as `seal_ranking.by` says).
fn seal_panel(info: &SessionInfo, fits: &[FitRecord], cmp: &Comparison) -> Panel {
    let by = cmp.seal_ranking.by.to_lowercase();
    let corner = if by.contains("corner") {
        true
    } else if by.contains("bass loss") {
        false
    } else {
        cmp.tips.iter().all(|t| t.bass_loss_db.is_none())
    };
    let entries = &cmp.seal_ranking.entries;
    let rows = entries
        .iter()
        .filter_map(|e| {
            let (mean, lo, hi) = seal_value(fits, cmp, e, corner);
            let value = if corner {
                let bare = |v: f64| hz_value(v).trim_end_matches(" Hz").to_string();
                let full = format!("{} (CI {}–{})", hz_value(mean), bare(lo), hz_value(hi));
                (full, hz_value(mean))
            } else {
                db_values(mean, lo, hi)
            };
            row(info, entries, e, mean, lo, hi, value)
        })
        .collect();
    Panel {
        title: "Seal".into(),
        by: cmp.seal_ranking.by.clone(),
        x_desc: if corner {
            "Leak corner, −3 dB (Hz): geometric mean, 95 % CI"
        } else {
            "Bass loss against the reference (dB): mean, 95 % CI"
        }
        .into(),
        log: corner,
        rows,
        empty: "no seal data".into(),
        more: 0,
    }
}

fn row(
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
fn db_values(mean: f64, lo: f64, hi: f64) -> (String, String) {
    let full = format!("{mean:.1} dB (CI {lo:.1}–{hi:.1})").replace('-', "−");
    (full, format!("{mean:.1} dB").replace('-', "−"))
}

fn isolation_panel(info: &SessionInfo, cmp: &Comparison) -> Panel {
    let rows = match &cmp.isolation_ranking {
        Some(r) => r
            .entries
            .iter()
            .filter_map(|e| {
                let s = stats_of(cmp, &e.tip).and_then(|t| t.isolation_rating_db.as_ref());
                let (mean, lo, hi) = s.map_or((e.value, e.value, e.value), |s| {
                    (s.mean, s.ci95_low, s.ci95_high)
                });
                row(info, &r.entries, e, mean, lo, hi, db_values(mean, lo, hi))
            })
            .collect(),
        None => Vec::new(),
    };
    Panel {
        title: "Isolation".into(),
        by: cmp
            .isolation_ranking
            .as_ref()
            .map(|r| r.by.clone())
            .unwrap_or_default(),
        x_desc: "Attenuation of A-weighted pink noise (dB): mean, 95 % CI".into(),
        log: false,
        rows,
        empty: "isolation not measured".into(),
        more: 0,
    }
}

/// The x range of a panel and, for a log axis, its ticks.
fn panel_axis(p: &Panel) -> ((f64, f64), Vec<f64>) {
    let vals = p
        .rows
        .iter()
        .flat_map(|r| [r.lo, r.mean, r.hi])
        .filter(|v| v.is_finite());
    if p.log {
        let pos: Vec<f64> = vals.filter(|v| *v > 0.0).collect();
        let lo = pos.iter().copied().fold(1.0, f64::min).max(0.01) / 1.5;
        let hi = pos.iter().copied().fold(5000.0, f64::max).min(1e6) * 1.5;
        // 1-2-5 ticks crowd a narrow panel over many decades: then only
        // decades and threes.
        let sparse = (hi / lo).log10() > 3.5;
        let ticks = HZ_TICKS
            .iter()
            .copied()
            .chain([3.0, 30.0, 300.0, 3000.0, 30_000.0])
            .filter(|t| {
                let m = (t / 10f64.powf(t.log10().floor())).round();
                let wanted = if sparse {
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
fn row_label_width(area: &Area<'_>, look: Look, p: &Panel) -> Result<i32> {
    let style = look.bold(22.0);
    let mut w = look.px(80.0);
    for r in &p.rows {
        let s = format!("{}  {}", r.rank, r.tip);
        w = w.max(area.estimate_text_size(&s, &style)?.0 as i32 + look.px(24.0));
    }
    Ok(w.min((area.dim_in_pixel().0 as f64 * 0.42) as i32))
}

/// The panel's title and "ranked by" line; returns the area below.
fn panel_header<'b>(area: &Area<'b>, look: Look, p: &Panel) -> Result<Area<'b>> {
    let (w, _) = area.dim_in_pixel();
    let centre = at(HPos::Center, VPos::Top);
    area.draw_text(
        &p.title,
        &look.bold(28.0).pos(centre),
        (w as i32 / 2, look.px(4.0)),
    )?;
    let mut y = look.px(42.0);
    if !p.by.is_empty() {
        let style = look.text(19.0, FontStyle::Normal, MUTED).pos(centre);
        let text = format!("ranked by {}", p.by);
        let lines = wrap(area, &text, &style, w.saturating_sub(look.upx(40.0)))?;
        for line in lines.iter().take(2) {
            area.draw_text(line, &style, (w as i32 / 2, y))?;
            y += look.px(25.0);
        }
    }
    Ok(area.split_vertically(y + look.px(4.0)).1)
}

/// `p` with as many rows as fit `plot_h` pixels at 30 px (scaled) a row.
fn fit_rows(p: &Panel, look: Look, plot_h: i32) -> Panel {
    let max_rows = ((plot_h as f64 / (30.0 * look.s)).floor() as usize).max(2);
    let mut p = p.clone();
    if p.rows.len() > max_rows {
        p.more = p.rows.len() - (max_rows - 1);
        p.rows.truncate(max_rows - 1);
    }
    p
}

fn draw_panel(area: &Area<'_>, look: Look, p: &Panel) -> Result<()> {
    let area = panel_header(area, look, p)?;
    let plot_h = area.dim_in_pixel().1 as i32 - look.px(10.0 + 18.0 + 76.0);
    let p = &fit_rows(p, look, plot_h);
    let n = (p.rows.len() + usize::from(p.more > 0)).max(1) as f64;
    let (x, ticks) = panel_axis(p);
    let label_w = row_label_width(&area, look, p)?;
    let mut builder = ChartBuilder::on(&area);
    builder
        .margin(look.px(10.0))
        .margin_right(look.px(36.0))
        .margin_bottom(look.px(18.0))
        .x_label_area_size(look.px(76.0))
        .y_label_area_size(label_w);
    if p.log {
        let xr = (x.0..x.1).log_scale().with_key_points(ticks);
        let mut chart = builder.build_cartesian_2d(xr, 0.0..n)?;
        panel_mesh(&mut chart, look, p, &hz_label)?;
        draw_rows(&mut chart, look, p, label_w)
    } else {
        let mut chart = builder.build_cartesian_2d(x.0..x.1, 0.0..n)?;
        panel_mesh(&mut chart, look, p, &num_label)?;
        draw_rows(&mut chart, look, p, label_w)
    }
}

type PanelChart<'a, 'b, X> = ChartContext<'a, BitMapBackend<'b>, Cartesian2d<X, RangedCoordf64>>;

fn panel_mesh<X>(
    chart: &mut PanelChart<'_, '_, X>,
    look: Look,
    p: &Panel,
    fmt: &dyn Fn(&f64) -> String,
) -> Result<()>
where
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    chart
        .configure_mesh()
        .x_desc(p.x_desc.as_str())
        .axis_desc_style(look.font(22.0))
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

fn draw_rows<X>(
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
    let look = look.scaled((row_h / (44.0 * look.s)).clamp(0.6, 1.0));
    if p.more > 0 {
        let style = look
            .text(20.0, FontStyle::Normal, MUTED)
            .pos(at(HPos::Left, VPos::Center));
        let text = format!("… and {} more (see ranking.png)", p.more);
        let note = EmptyElement::at((x0, 0.5)) + Text::new(text, (look.px(10.0), 0), style);
        chart.draw_series(std::iter::once(note))?;
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
        let label = fit_text(&plot, &format!("{}  {}", r.rank, r.tip), &lstyle, width)?;
        let label = EmptyElement::at((x0, yc)) + Text::new(label, (-look.px(12.0), 0), lstyle);
        chart.draw_series(std::iter::once(label))?;
    }
    Ok(())
}

/// A row's value: right of its interval, else left of it, else above.
fn value_label<X>(
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
        let tw = plot.estimate_text_size(text, &style)?.0 as i32;
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
    let text = Text::new(text.clone(), (dx, dy), style.pos(anchor));
    chart.draw_series(std::iter::once(EmptyElement::at((x, yc)) + text))?;
    Ok(())
}

fn draw_ranking(
    root: &Area<'_>,
    info: &SessionInfo,
    fits: &[FitRecord],
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
    draw_panel(&left, look, &seal_panel(info, fits, cmp))?;
    draw_panel(&right, look, &isolation_panel(info, cmp))?;
    Ok(())
}

// ---------------------------------------------------------------------------
// 5. Repeatability
// ---------------------------------------------------------------------------

/// One fit's normalised response.
#[derive(Debug, Clone)]
struct FitCurve {
    fit: usize,
    ys: Vec<f64>,
    outlier: bool,
}

fn repeat_data(
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
fn shade(c: RGBColor, k: usize, n: usize) -> RGBColor {
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

fn draw_repeatability(
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
        };
        draw_repeat_panel(area, panel_look, &panel, &grid)?;
    }
    Ok(())
}

/// One tip's repeatability panel.
struct RepeatPanel<'a> {
    name: &'a str,
    colour: RGBColor,
    max_sd: Option<f64>,
    curves: &'a [FitCurve],
}

/// The panel's caption; returns the area below it.
fn repeat_caption<'b>(area: &Area<'b>, look: Look, p: &RepeatPanel<'_>) -> Result<Area<'b>> {
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
    Ok(area.margin(look.px(36.0), 0, 0, 0))
}

fn draw_repeat_panel(area: &Area<'_>, look: Look, p: &RepeatPanel<'_>, grid: &[f64]) -> Result<()> {
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

// ---------------------------------------------------------------------------
// 6. Summary
// ---------------------------------------------------------------------------

fn verdict_colour(v: Verdict) -> RGBColor {
    match v {
        Verdict::Good => RGBColor(0x1A, 0x85, 0x3F),
        Verdict::Fair => RGBColor(0xC7, 0x7C, 0x00),
        Verdict::Poor => RGBColor(0xD7, 0x30, 0x27),
        Verdict::NoSeal => RGBColor(0x6B, 0x00, 0x10),
    }
}

/// The table's cells for one tip.
fn table_cells(t: &TipStats, loss: bool, corner: Option<(f64, f64, f64)>) -> Vec<String> {
    let bass = if loss {
        mean_pm(t.bass_loss_db.as_ref(), 1)
    } else {
        mean_pm(t.bass_db.as_ref(), 1)
    };
    let corner = match corner {
        Some((m, lo, hi)) if m.is_finite() => {
            let bare = |v: f64| hz_value(v).trim_end_matches(" Hz").to_string();
            format!("{} ({}–{})", hz_value(m), bare(lo), bare(hi))
        }
        _ => "–".into(),
    };
    let outliers = if t.outliers.is_empty() {
        "0".to_string()
    } else {
        let mut f: Vec<usize> = t.outliers.iter().map(|o| o.fit).collect();
        f.sort_unstable();
        f.dedup();
        let list: Vec<String> = f.iter().map(|x| x.to_string()).collect();
        format!("{} (fit {})", f.len(), list.join(", "))
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
const COLUMNS: [f64; 8] = [0.0, 0.19, 0.27, 0.32, 0.47, 0.61, 0.75, 0.86];

/// The summary table: geometry and data.
struct Table<'a> {
    w: i32,
    pad: i32,
    row_h: i32,
    gap: i32,
    info: &'a SessionInfo,
    fits: &'a [FitRecord],
    cmp: &'a Comparison,
    /// Show bass loss (else the bass level).
    loss: bool,
}

impl Table<'_> {
    fn col_x(&self, c: usize) -> i32 {
        self.pad + ((self.w - 2 * self.pad) as f64 * COLUMNS[c]) as i32
    }

    fn col_w(&self, c: usize) -> u32 {
        let next = if c + 1 < COLUMNS.len() {
            self.col_x(c + 1)
        } else {
            self.w - self.pad
        };
        (next - self.col_x(c) - self.gap).max(10) as u32
    }
}

fn draw_table(
    area: &Area<'_>,
    look: Look,
    info: &SessionInfo,
    fits: &[FitRecord],
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
        fits,
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
    let foot = "±: SD over fits · leak corner: geometric mean over fits (95 % CI) · isolation: A-weighted pink noise · max SD: fit-to-fit, 20 Hz–1 kHz";
    let style = look.text(18.0, FontStyle::Normal, MUTED);
    let foot = fit_text(area, foot, &style, (t.w - 2 * t.pad).max(10) as u32)?;
    area.draw_text(&foot, &style, (t.pad, t.row_h * rows as i32 + look.px(6.0)))?;
    Ok(())
}

fn table_row(area: &Area<'_>, look: Look, t: &Table<'_>, i: usize) -> Result<()> {
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
    let corner = corner_value(t.fits, t.cmp, &tip.name);
    for (c, text) in table_cells(stats, t.loss, corner).iter().enumerate() {
        let text = fit_text(area, text, &cell, t.col_w(c + 2))?;
        area.draw_text(&text, &cell, (t.col_x(c + 2), yc))?;
    }
    Ok(())
}

/// The verdict as a coloured pill at `x`, centred on `yc`, at most `w`
/// wide and `2 max_hh` high.
fn draw_verdict(
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

fn draw_summary(
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
    draw_panel(&top, look.scaled(0.85), &seal_panel(info, fits, cmp))?;
    let bot = bot.margin(look.px(12.0), 0, 0, 0);
    draw_panel(&bot, look.scaled(0.85), &isolation_panel(info, cmp))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::isolation::{insertion_loss, Isolation};
    use crate::analysis::{AnalysisConfig, Analyzer, Measurement};
    use crate::dsp::fft::FftCache;
    use crate::rig::outside::OutsideNoise;
    use crate::rig::sim::{Fit, SimConfig, SimRig, TipPreset};
    use crate::rig::Rig;
    use crate::signal::{Stimulus, SweepParams};
    use serde_json::json;
    use std::sync::OnceLock;

    const TIPS: [(&str, TipPreset); 3] = [
        ("Comply foam M", TipPreset::Foam),
        ("Silicone M", TipPreset::SiliconeM),
        ("Silicone S", TipPreset::SiliconeS),
    ];

    fn session(tips: &[&str], reference: Option<&FrequencyResponse>) -> SessionInfo {
        serde_json::from_value(json!({
            "schema_version": 1,
            "tipfit_version": "test",
            "created": "2024-05-01T10:20:30Z",
            "rig": "sim",
            "iem": "Test IEM",
            "ear": "left",
            "tips": tips.iter().map(|t| json!({ "name": t })).collect::<Vec<_>>(),
            "fits_per_tip": 3,
            "seal": true,
            "quick": false,
            "isolation": true,
            "reference": reference,
        }))
        .unwrap()
    }

    fn record(
        tip: &str,
        fit: usize,
        seal: Option<&Measurement>,
        iso: Option<&Isolation>,
    ) -> FitRecord {
        serde_json::from_value(json!({
            "schema_version": 1,
            "tip": tip,
            "fit": fit,
            "seal": seal,
            "isolation": iso,
        }))
        .unwrap()
    }

    fn stimulus() -> Stimulus {
        SweepParams {
            duration_s: 1.0,
            ..SweepParams::at_rate(48_000)
        }
        .generate()
        .unwrap()
    }

    /// One simulated fit: the seal sweep and the insertion loss.
    fn simulate(
        cfg: SimConfig,
        seed: u64,
        stim: &Stimulus,
        reference: Option<&FrequencyResponse>,
    ) -> (Measurement, Isolation) {
        let mut rig = SimRig::new(cfg, seed);
        let rec = rig.play_and_record(stim).unwrap();
        let m = Analyzer::new()
            .analyse(
                &rec.channels[0],
                rec.rate,
                stim,
                reference,
                &AnalysisConfig::default(),
            )
            .unwrap();
        let noise = OutsideNoise {
            duration_s: 3.0,
            ..Default::default()
        };
        let iso = rig.record_isolation(&noise, 48_000);
        let f64s = |x: &[f32]| -> Vec<f64> { x.iter().map(|&v| v as f64).collect() };
        let il = insertion_loss(
            &f64s(&iso.open),
            &f64s(&iso.occluded),
            48_000,
            &FftCache::new(),
        )
        .unwrap();
        (m, il)
    }

    /// 3 tips x 3 fits from the simulator (computed once).
    fn data() -> &'static (SessionInfo, Vec<FitRecord>, Comparison) {
        static DATA: OnceLock<(SessionInfo, Vec<FitRecord>, Comparison)> = OnceLock::new();
        DATA.get_or_init(|| {
            let stim = stimulus();
            let info = session(&TIPS.map(|t| t.0), None);
            let mut fits = Vec::new();
            for (i, (name, preset)) in TIPS.iter().enumerate() {
                for k in 1..=3 {
                    let seed = 100 * i as u64 + k as u64;
                    let (m, il) = simulate(SimConfig::preset(*preset), seed, &stim, None);
                    fits.push(record(name, k, Some(&m), Some(&il)));
                }
            }
            let cmp = crate::compare::compare(&info, &fits, vec![]);
            (info, fits, cmp)
        })
    }

    fn temp_dir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("tipfit-plots-{}-{tag}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Width and height from a PNG's IHDR chunk.
    fn png_size(bytes: &[u8]) -> (u32, u32) {
        assert!(bytes.len() > 24, "too short for a PNG");
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
        assert_eq!(&bytes[12..16], b"IHDR");
        let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        (be(&bytes[16..20]), be(&bytes[20..24]))
    }

    fn has_colour(buf: &[u8], c: RGBColor) -> bool {
        buf.chunks_exact(3).any(|p| p == [c.0, c.1, c.2])
    }

    fn distinct_colours(buf: &[u8]) -> usize {
        let mut seen = std::collections::HashSet::new();
        for p in buf.chunks_exact(3) {
            seen.insert((p[0], p[1], p[2]));
        }
        seen.len()
    }

    #[test]
    fn write_all_writes_six_pngs() {
        let (info, fits, cmp) = data();
        let dir = temp_dir("all");
        let t0 = std::time::Instant::now();
        let paths = write_all(info, fits, cmp, &dir, DEFAULT_SIZE).unwrap();
        eprintln!(
            "write_all, 3 tips x 3 fits, 1600x1000: {:.2?}",
            t0.elapsed()
        );
        let names: Vec<String> = paths
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "frequency_response.png",
                "bass.png",
                "isolation.png",
                "ranking.png",
                "repeatability.png",
                "summary.png"
            ]
        );
        for p in &paths {
            let bytes = std::fs::read(p).unwrap();
            assert_eq!(png_size(&bytes), (1600, 1000), "{}", p.display());
            assert!(
                bytes.len() > 20_000,
                "{} is only {} bytes",
                p.display(),
                bytes.len()
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn plots_show_every_tip_colour() {
        let (info, fits, cmp) = data();
        type Draw = fn(&Area<'_>, &SessionInfo, &[FitRecord], &Comparison) -> Result<()>;
        let draws: [(&str, Draw); 6] = [
            ("frequency response", draw_frequency_response),
            ("bass", draw_bass),
            ("isolation", draw_isolation),
            ("ranking", draw_ranking),
            ("repeatability", draw_repeatability),
            ("summary", draw_summary),
        ];
        for (name, draw) in draws {
            let buf = render_buffer(DEFAULT_SIZE, |root| draw(root, info, fits, cmp)).unwrap();
            assert!(distinct_colours(&buf) > 2, "{name} is blank");
            for i in 0..TIPS.len() {
                assert!(
                    has_colour(&buf, tip_colour(i)),
                    "{name}: no pixel in the colour of tip {i}"
                );
            }
        }
    }

    #[test]
    fn degenerate_sessions_still_draw() {
        let (info, fits, _) = data();
        let mut nan = fits[0].clone();
        if let Some(m) = nan.seal.as_mut() {
            for (k, v) in m.frequency_response.db.iter_mut().enumerate() {
                match k % 3 {
                    0 => *v = f64::NAN,
                    1 if k % 7 == 0 => *v = f64::INFINITY,
                    _ => {}
                }
            }
        }
        if let Some(iso) = nan.isolation.as_mut() {
            iso.third_octave.attenuation_db[0] = f64::NAN;
            iso.third_octave.attenuation_db[3] = f64::NEG_INFINITY;
            iso.third_octave.floor_limited.clear();
        }
        let mut all_nan = fits[1].clone();
        if let Some(m) = all_nan.seal.as_mut() {
            m.frequency_response
                .db
                .iter_mut()
                .for_each(|v| *v = f64::NAN);
        }
        let empty = record("Silicone S", 1, None, None);
        let stranger = record("Not in the session", 1, fits[2].seal.as_ref(), None);
        let cases: Vec<(&str, SessionInfo, Vec<FitRecord>)> = vec![
            ("no tips", session(&[], None), vec![]),
            ("no fits", info.clone(), vec![]),
            ("one fit", info.clone(), vec![fits[0].clone()]),
            (
                "nan values",
                info.clone(),
                vec![nan, all_nan, empty, stranger],
            ),
            (
                "no isolation",
                info.clone(),
                fits.iter()
                    .cloned()
                    .map(|mut r| {
                        r.isolation = None;
                        r
                    })
                    .collect(),
            ),
        ];
        for (tag, info, fits) in cases {
            let cmp = crate::compare::compare(&info, &fits, vec!["a warning".into()]);
            let dir = temp_dir(&tag.replace(' ', "-"));
            let paths = write_all(&info, &fits, &cmp, &dir, (800, 500))
                .unwrap_or_else(|e| panic!("{tag}: {e:#}"));
            for p in &paths {
                assert_eq!(png_size(&std::fs::read(p).unwrap()), (800, 500), "{tag}");
            }
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    #[test]
    fn errors_name_the_file() {
        let (info, fits, cmp) = data();
        let missing =
            std::env::temp_dir().join(format!("tipfit-plots-{}-missing/sub", std::process::id()));
        let e = write_all(info, fits, cmp, &missing, DEFAULT_SIZE).unwrap_err();
        assert!(format!("{e:#}").contains("frequency_response.png"), "{e:#}");
        let e = bass(info, fits, cmp, &missing.join("b.png"), (10, 10)).unwrap_err();
        assert!(format!("{e:#}").contains("b.png"), "{e:#}");
    }

    #[test]
    fn helpers_skip_odd_values() {
        assert_eq!(hz_label(&20.0), "20");
        assert_eq!(hz_label(&1000.0), "1k");
        assert_eq!(hz_label(&20_000.0), "20k");
        assert_eq!(hz_label(&2500.0), "2.5k");
        assert_eq!(num_label(&-5.0), "−5");
        assert_eq!(
            runs(
                &[1.0, 2.0, 3.0, 4.0],
                &[0.0, f64::NAN, 1.0, 2.0],
                (-5.0, 5.0)
            )
            .len(),
            2
        );
        assert_eq!(
            runs(&[1.0, 2.0], &[-1e300, 1e300], (-5.0, 5.0)),
            vec![vec![(1.0, -5.0), (2.0, 5.0)]]
        );
        assert_eq!(
            y_range([f64::NAN].into_iter(), 5.0, 10.0, 5.0, (-1.0, 1.0)),
            (-1.0, 1.0)
        );
        assert_eq!(
            y_range(
                [-12.0, 3.0, f64::INFINITY].into_iter(),
                5.0,
                10.0,
                5.0,
                (0.0, 1.0)
            ),
            (-20.0, 10.0)
        );
        let fr = FrequencyResponse {
            freq_hz: vec![100.0, f64::NAN, 1000.0],
            db: vec![0.0, 5.0, 10.0],
            phase_deg: None,
        };
        let g = on_grid(&fr, &[50.0, 100.0, 1000.0, 2000.0]).unwrap();
        assert!(g[0].is_nan() && g[3].is_nan());
        assert_eq!((g[1], g[2]), (0.0, 10.0));
        let s = Spread::of(&[vec![1.0, f64::NAN], vec![3.0, f64::NAN]], 2);
        assert_eq!(s.mean[0], 2.0);
        assert!(s.mean[1].is_nan());
        assert_eq!(tip_colour(0), tip_colour(10));
        assert_ne!(tip_colour(0), tip_colour(1));
    }

    /// Writes review pictures to /tmp/plots-review:
    /// `cargo test --lib report::plots -- --ignored review`.
    #[test]
    #[ignore]
    fn review_pictures() {
        let dir = PathBuf::from("/tmp/plots-review");
        std::fs::create_dir_all(&dir).unwrap();
        let (info, fits, cmp) = data();
        for p in write_all(info, fits, cmp, &dir, DEFAULT_SIZE).unwrap() {
            eprintln!("{}", p.display());
        }
        // With a reference, an outlier fit and more tips.
        let stim = stimulus();
        let sealed = SimConfig {
            fit: Fit::Sealed,
            ..SimConfig::default()
        };
        let (refm, _) = simulate(sealed, 1, &stim, None);
        let reference = refm.frequency_response.clone();
        let presets = [
            ("Comply Foam T-500 M", TipPreset::Foam),
            ("Spinfit CP100 M", TipPreset::SiliconeM),
            ("Stock silicone S", TipPreset::SiliconeS),
            ("Double flange", TipPreset::DoubleFlange),
            ("Triple flange", TipPreset::TripleFlange),
        ];
        let info = session(&presets.map(|p| p.0), Some(&reference));
        let mut fits = Vec::new();
        for (i, (name, preset)) in presets.iter().enumerate() {
            for k in 1..=4 {
                let p = if i == 1 && k == 4 {
                    TipPreset::SiliconeS
                } else {
                    *preset
                };
                let (m, il) = simulate(
                    SimConfig::preset(p),
                    1000 * i as u64 + k as u64,
                    &stim,
                    Some(&reference),
                );
                let mut il = il;
                if i == 0 {
                    // Pretend the foam's treble reached the noise floor.
                    for (j, c) in il.third_octave.centre_hz.iter().enumerate() {
                        il.third_octave.floor_limited[j] = *c >= 2000.0;
                    }
                }
                fits.push(record(name, k, Some(&m), Some(&il)));
            }
        }
        let cmp = crate::compare::compare(&info, &fits, vec![]);
        let dir2 = dir.join("reference");
        std::fs::create_dir_all(&dir2).unwrap();
        write_all(&info, &fits, &cmp, &dir2, DEFAULT_SIZE).unwrap();
        // Many tips (colours cycle), small pictures.
        let (_, fits3, _) = data();
        let names: Vec<String> = (1..=12).map(|i| format!("Tip number {i}")).collect();
        let many = session(&names.iter().map(|s| s.as_str()).collect::<Vec<_>>(), None);
        let many_fits: Vec<FitRecord> = names
            .iter()
            .enumerate()
            .flat_map(|(i, n)| {
                fits3[(i % 3) * 3..(i % 3) * 3 + 3]
                    .iter()
                    .map(move |r| FitRecord {
                        tip: n.clone(),
                        ..r.clone()
                    })
            })
            .collect();
        let cmp_many = crate::compare::compare(&many, &many_fits, vec![]);
        for (tag, size) in [("many", DEFAULT_SIZE), ("small", (800, 500))] {
            let d = dir.join(tag);
            std::fs::create_dir_all(&d).unwrap();
            write_all(&many, &many_fits, &cmp_many, &d, size).unwrap();
        }
        let dir3 = dir.join("empty");
        std::fs::create_dir_all(&dir3).unwrap();
        let cmp = crate::compare::compare(&info, &[], vec![]);
        write_all(&info, &[], &cmp, &dir3, DEFAULT_SIZE).unwrap();
    }
}
