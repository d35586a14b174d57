//! PNG plots of a tip comparison, made from stored fits and the
//! [`Comparison`] only. Pure: every plot returns the PNG bytes; the report
//! writer saves them.
//!
//! Eight pictures ([`PLOTS`]): frequency response, bass, isolation, the
//! listening penalty, ranking, repeatability, a summary dashboard and the
//! tip effect, one module each (and `ears.png` for sessions of both ears); the shared look
//! (colours, fonts, legends) is in `style`, the axes helpers in `axes`, the
//! data preparation in `data`. Every plot draws tip `i` of the session in
//! [`tip_colour`]`(i)` and uses the DejaVu Sans fonts embedded in the
//! binary (no system fonts). Odd data is skipped, never fatal: tips without
//! fits, fits without seal or isolation data, NaN or infinite values; a
//! plot without data still shows its axes and a note.

mod axes;
mod bass;
mod data;
mod ears;
mod frequency_response;
mod isolation;
mod listening;
pub mod ranking;
mod repeatability;
mod style;
mod summary;
#[cfg(test)]
mod tests;
mod tip_effect;

pub use frequency_response::session_unit;
pub use style::tip_colour;
pub use summary::MAX_GROWN_TIPS;

use crate::compare::Comparison;
use crate::session::model::{FitRecord, SessionInfo};
use anyhow::{bail, Result};
use image::ImageEncoder;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Default picture size.
pub const DEFAULT_SIZE: (u32, u32) = (1600, 1000);

/// A plot: the PNG of `size` pixels drawn from a session, its measured
/// fits and their comparison.
pub type Plot = fn(&SessionInfo, &[FitRecord], &Comparison, (u32, u32)) -> Result<Vec<u8>>;

/// Every plot with its file name, in the report's order.
pub const PLOTS: [(&str, Plot); 8] = [
    ("frequency_response.png", frequency_response),
    ("bass.png", bass),
    ("isolation.png", isolation),
    ("listening.png", listening),
    ("ranking.png", ranking),
    ("repeatability.png", repeatability),
    ("summary.png", summary),
    ("tip_effect.png", tip_effect),
];

/// Defines a public plot function: same arguments for every plot, the
/// drawing done by the named `draw_*` function.
macro_rules! plot_fn {
    ($(#[$doc:meta])* $name:ident => $draw:path) => {
        $(#[$doc])*
        pub fn $name(
            info: &SessionInfo,
            fits: &[FitRecord],
            cmp: &Comparison,
            size: (u32, u32),
        ) -> Result<Vec<u8>> {
            render_png(size, |root| $draw(root, info, fits, cmp))
        }
    };
}

plot_fn! {
    /// `frequency_response.png`: each tip's mean response over its fits
    /// (absolute level, 20 Hz-20 kHz) with the fit-to-fit spread (+-1 SD) shaded.
    frequency_response => frequency_response::draw_frequency_response
}

plot_fn! {
    /// `ears.png`, for sessions of both ears: each tip's mean response of
    /// the left ear (solid) and the right ear (dashed), and the right-minus-
    /// left balance per octave band. `fits` holds both ears.
    ears => ears::draw_ears
}

plot_fn! {
    /// `bass.png`: the low end 10-500 Hz against the reference (or normalised
    /// at 300-1000 Hz without one), mean +-1 SD per tip, mean leak corners marked.
    bass => bass::draw_bass
}

plot_fn! {
    /// `isolation.png`: attenuation per third-octave band per tip, mean +-1 SD
    /// over fits; floor-limited bands hollow.
    isolation => isolation::draw_isolation
}

plot_fn! {
    /// `listening.png`: per tip and ambient, the volume to add over the
    /// best-sealing tip to hear music as loud in the noise the tip lets in,
    /// with the NIOSH daily allowance that follows.
    listening => listening::draw_listening
}

plot_fn! {
    /// `ranking.png`: the seal rankings (by leak corner; tips without a
    /// fitted leak by bass deficit) and the isolation ranking side by side,
    /// means with 95 % confidence intervals.
    ranking => ranking::draw_ranking
}

plot_fn! {
    /// `repeatability.png`: one panel per tip with every fit's response
    /// 10-1000 Hz (normalised at 300-1000 Hz), outlier fits dashed black.
    repeatability => repeatability::draw_repeatability
}

plot_fn! {
    /// `tip_effect.png`: per band (sub-bass to air) a bar per tip but the
    /// baseline, the mean level difference against the baseline with its
    /// 95 % interval (Welch) as a whisker.
    tip_effect => tip_effect::draw_tip_effect
}

/// `summary.png`: a dashboard with a table of the tips, the bass plot and
/// both rankings. `size` is its width and least height: it grows taller
/// when its tips need the room (every tip in the table, and up to
/// [`MAX_GROWN_TIPS`] tips in full in each ranking panel), drawn at the
/// look of `size`.
pub fn summary(
    info: &SessionInfo,
    fits: &[FitRecord],
    cmp: &Comparison,
    size: (u32, u32),
) -> Result<Vec<u8>> {
    check_size(size)?;
    style::register_fonts();
    let grown = (size.0, summary::summary_height(size, info, fits, cmp)?);
    render_png(grown, |root| {
        summary::draw_summary_sized(root, size, info, fits, cmp)
    })
}

/// The axis label of the fits' levels: their shared unit
/// ([`crate::analysis::LevelUnit::axis_label`]), or a note that they differ.
pub fn level_label(fits: &[FitRecord]) -> &'static str {
    frequency_response::session_unit(fits).map_or(
        "Level (dB; the fits' units differ)",
        crate::analysis::LevelUnit::axis_label,
    )
}

type Area<'b> = DrawingArea<BitMapBackend<'b>, Shift>;

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

/// Draw into a picture of `size` and encode it as PNG.
fn render_png(size: (u32, u32), draw: impl FnOnce(&Area<'_>) -> Result<()>) -> Result<Vec<u8>> {
    let rgb = render_buffer(size, draw)?;
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png).write_image(
        &rgb,
        size.0,
        size.1,
        image::ColorType::Rgb8,
    )?;
    Ok(png)
}

/// Draw into an RGB buffer of `size` (3 bytes a pixel).
fn render_buffer(size: (u32, u32), draw: impl FnOnce(&Area<'_>) -> Result<()>) -> Result<Vec<u8>> {
    check_size(size)?;
    style::register_fonts();
    let mut buf = vec![0u8; size.0 as usize * size.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buf, size).into_drawing_area();
        root.fill(&WHITE)?;
        draw(&root)?;
        root.present()?;
    }
    Ok(buf)
}
