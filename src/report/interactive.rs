//! The interactive part of `report.html`: the session's curves as data in
//! the page and the charts drawn from them in the browser by uPlot
//! (vendored in `assets/uplot/`, embedded into the binary: the page works
//! offline and fetches nothing).
//!
//! The data are every fit's response on one log grid (10 Hz-20 kHz, 1/48
//! octave) as stored (no smoothing), the reference and target on the same
//! grid, and every fit's third-octave isolation. The page's script
//! (`assets/report.js`) does only what a viewer chooses: which tips and
//! fits are shown, the normalisation (at a frequency or over a band), the
//! smoothing (1/48 to 1/3 octave, power average over the band), a
//! difference against a baseline tip or the reference, and table sorting.
//! Every statistic stays compare's: the page draws curves, it does not
//! compute the numbers the tables show.

use super::plots::tip_colour;
use crate::analysis::seal::interpolate_db;
use crate::analysis::FrequencyResponse;
use crate::session::model::{FitRecord, SessionInfo};
use serde::Serialize;

/// The vendored uPlot's version (assets/uplot/README.md).
pub const UPLOT_VERSION: &str = "1.6.32";
const UPLOT_JS: &str = include_str!("../../assets/uplot/uPlot.iife.min.js");
const UPLOT_CSS: &str = include_str!("../../assets/uplot/uPlot.min.css");
const REPORT_JS: &str = include_str!("../../assets/report.js");

/// Points per octave of the page's grid.
pub const GRID_PER_OCTAVE: u32 = 48;

/// One fit's curves.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FitData {
    /// Fit number.
    pub fit: usize,
    /// The response on the grid, dB (`null` outside its measured range).
    pub db: Vec<Option<f64>>,
    /// Third-octave attenuation, dB, at the page's `band_hz` (`null`
    /// where the fit has none).
    pub isolation_db: Option<Vec<Option<f64>>>,
}

/// One tip's data.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TipData {
    /// Tip name.
    pub name: String,
    /// Its colour in every chart (as in the PNGs), `#rrggbb`.
    pub colour: String,
    /// Its fits, in fit order.
    pub fits: Vec<FitData>,
}

/// Everything the page's charts draw.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PageData {
    /// IEM name.
    pub iem: String,
    /// The levels' unit, as the axis says it.
    pub level_label: String,
    /// The grid, Hz.
    pub grid_hz: Vec<f64>,
    /// Third-octave band centres of the isolation chart, Hz.
    pub band_hz: Vec<f64>,
    /// The tips, in session order.
    pub tips: Vec<TipData>,
    /// The stored reference response on the grid.
    pub reference: Option<Vec<Option<f64>>>,
    /// The target curve on the grid (its own level).
    pub target: Option<Vec<Option<f64>>>,
}

/// The page's log grid: 10 Hz to 20 kHz, [`GRID_PER_OCTAVE`] per octave.
pub fn grid() -> Vec<f64> {
    crate::dsp::grid::log_grid(10.0, 20_000.0, GRID_PER_OCTAVE)
}

/// `fr` on `grid`, `None` outside its measured range or where not finite.
fn on_grid(fr: &FrequencyResponse, grid: &[f64]) -> Vec<Option<f64>> {
    let pts: Vec<(f64, f64)> = fr
        .freq_hz
        .iter()
        .zip(&fr.db)
        .filter(|(f, d)| f.is_finite() && **f > 0.0 && d.is_finite())
        .map(|(f, d)| (*f, *d))
        .collect();
    if pts.len() < 2 {
        return vec![None; grid.len()];
    }
    let (f, d): (Vec<f64>, Vec<f64>) = pts.into_iter().unzip();
    let (lo, hi) = (f[0] * 0.999, f[f.len() - 1] * 1.001);
    grid.iter()
        .map(|&x| (x >= lo && x <= hi).then(|| round(interpolate_db(&f, &d, x))))
        .collect()
}

/// Three decimals: a thousandth of a dB is below anything drawn, and the
/// page stays small.
fn round(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// The page's data for a session.
pub fn page_data(info: &SessionInfo, fits: &[FitRecord]) -> PageData {
    let grid = grid();
    let band_hz: Vec<f64> = fits
        .iter()
        .find_map(|r| Some(r.isolation.as_ref()?.third_octave.centre_hz.clone()))
        .unwrap_or_default();
    let tips = info
        .tips
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let c = tip_colour(i);
            let mut mine: Vec<&FitRecord> = fits
                .iter()
                .filter(|r| r.tip == t.name && !r.skipped)
                .collect();
            mine.sort_by_key(|r| r.fit);
            TipData {
                name: t.name.clone(),
                colour: format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2),
                fits: mine
                    .iter()
                    .map(|r| FitData {
                        fit: r.fit,
                        db: r.response().map_or_else(
                            || vec![None; grid.len()],
                            |m| on_grid(&m.frequency_response, &grid),
                        ),
                        isolation_db: r.isolation.as_ref().map(|iso| {
                            let t = &iso.third_octave;
                            band_hz
                                .iter()
                                .map(|b| {
                                    let k = t
                                        .centre_hz
                                        .iter()
                                        .position(|c| (c / b - 1.0).abs() < 0.01)?;
                                    t.attenuation_db
                                        .get(k)
                                        .copied()
                                        .filter(|v| v.is_finite())
                                        .map(round)
                                })
                                .collect()
                        }),
                    })
                    .collect(),
            }
        })
        .collect();
    PageData {
        iem: info.iem.clone(),
        level_label: crate::report::plots::level_label(fits).to_string(),
        reference: info.reference.as_ref().map(|r| on_grid(r, &grid)),
        target: info.target.as_ref().map(|r| on_grid(r, &grid)),
        grid_hz: grid.iter().map(|f| (f * 100.0).round() / 100.0).collect(),
        band_hz,
        tips,
    }
}

/// JSON safe inside `<script>`: no `</` can close the element.
fn script_json(v: &impl Serialize) -> String {
    serde_json::to_string(v)
        .unwrap_or_else(|_| "null".into())
        .replace("</", "<\\/")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// The interactive section: controls, four charts, the data and the
/// scripts (uPlot and the page's own), all inline.
pub fn section(info: &SessionInfo, fits: &[FitRecord]) -> String {
    let data = page_data(info, fits);
    format!(
        "<style>{UPLOT_CSS}</style>\n\
<h2 id=\"explore\">Explore the curves</h2>\n\
<p><small>Interactive: hover a chart to read every visible curve at that frequency; click a legend entry to hide a curve. \
Curves are the stored fits (no smoothing unless chosen here). uPlot {UPLOT_VERSION}, embedded: this page needs no network.</small></p>\n\
<div id=\"controls\" class=\"controls\">\n\
<fieldset><legend>Tips</legend><div id=\"tip-toggles\"></div></fieldset>\n\
<fieldset><legend>View</legend>\n\
<label>Normalise <select id=\"norm\"><option value=\"none\">no (as measured)</option><option value=\"500\">at 500 Hz</option><option value=\"1000\">at 1 kHz</option><option value=\"300-1000\" selected>over 300-1000 Hz</option></select></label>\n\
<label>Smoothing <select id=\"smooth\"><option value=\"0\">none</option><option value=\"48\">1/48 octave</option><option value=\"24\">1/24 octave</option><option value=\"12\" selected>1/12 octave</option><option value=\"6\">1/6 octave</option><option value=\"3\">1/3 octave</option></select></label>\n\
<label>Difference against <select id=\"baseline\"><option value=\"\">nothing (levels)</option></select></label>\n\
</fieldset>\n</div>\n\
<h3>Frequency response</h3><div id=\"chart-fr\" class=\"chart\"></div>\n\
<h3>Bass (where leaks show)</h3><div id=\"chart-bass\" class=\"chart\"></div>\n\
<h3>Isolation per third-octave band</h3><div id=\"chart-iso\" class=\"chart\"></div>\n\
<h3>Repeatability: each fit minus its tip's mean</h3><div id=\"chart-rep\" class=\"chart\"></div>\n\
<script id=\"tipfit-data\" type=\"application/json\">{}</script>\n\
<script>{UPLOT_JS}</script>\n<script>{REPORT_JS}</script>\n",
        script_json(&data)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_cannot_close_the_script() {
        let s = script_json(&serde_json::json!({"name": "</script><b>"}));
        assert!(!s.contains("</"), "{s}");
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["name"], "</script><b>");
    }

    #[test]
    fn curves_are_null_outside_their_range() {
        let fr = FrequencyResponse {
            freq_hz: vec![100.0, 1000.0],
            db: vec![0.0, 10.0],
            phase_deg: None,
        };
        let g = [50.0, 100.0, 316.227766, 1000.0, 2000.0];
        let v = on_grid(&fr, &g);
        assert_eq!(v[0], None);
        assert_eq!(v[1], Some(0.0));
        // Halfway in log frequency: 5 dB.
        assert_eq!(v[2], Some(5.0));
        assert_eq!(v[3], Some(10.0));
        assert_eq!(v[4], None);
    }

    #[test]
    fn the_vendored_library_is_the_named_version_and_links_nowhere() {
        assert!(UPLOT_JS.starts_with(&format!(
            "/*! https://github.com/leeoniya/uPlot (v{UPLOT_VERSION}) */"
        )));
        for code in [UPLOT_JS, REPORT_JS] {
            for needle in [
                "fetch(",
                "XMLHttpRequest",
                "import(",
                "src=\"http",
                "href=\"http",
            ] {
                assert!(!code.contains(needle), "{needle}");
            }
        }
    }
}
