//! `frequency_response.png`: each tip's mean response over its fits with
//! the fit-to-fit spread shaded, the reference and the target dashed.

use super::axes::{draw_dashed, draw_spread, log_chart, y_range, Axes};
use super::data::{aligned_target, on_grid, tip_curves};
use super::style::{
    centre_note, draw_legend, iem_name, tip_keys, title, with_legend, Key, Look, Swatch, INK,
    TARGET,
};
use super::Area;
use crate::analysis::LevelUnit;
use crate::compare::Comparison;
use crate::dsp::grid::log_grid;
use crate::session::model::{FitRecord, SessionInfo};
use anyhow::Result;

pub(super) fn draw_frequency_response(
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
    let unit = session_unit(fits);
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
        y_desc: unit.map_or("Level (dB; the fits' units differ)", LevelUnit::axis_label),
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
        match unit {
            Some(LevelUnit::ReUnityGain) => "0 dB: recording full scale per stimulus full scale.",
            Some(LevelUnit::Spl) => "Levels as imported, dB SPL (the files' coupler levels).",
            Some(LevelUnit::Relative) => "Levels as imported, dB of the files' own reference.",
            None => {
                "The fits' level units differ (imported and measured): compare shapes, not levels."
            }
        }
        .to_string(),
    ];
    draw_legend(&side, look, "Tips", &keys, &notes)
}

/// The level unit every fit's response shares (`None`: they differ). A
/// session without fits is tipfit's own unit.
pub fn session_unit<'a>(fits: impl IntoIterator<Item = &'a FitRecord>) -> Option<LevelUnit> {
    let mut units = fits
        .into_iter()
        .filter_map(|r| r.response().map(|m| m.unit()));
    let first = units.next().unwrap_or(LevelUnit::ReUnityGain);
    units.all(|u| u == first).then_some(first)
}
