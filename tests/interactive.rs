//! The interactive report.html: one self-contained file (uPlot and the
//! page's script inline, nothing fetched), with the session's curves as
//! data that match the stored fits (checked here against the fit files by
//! an interpolation written in this test) and sortable tables.
//!
//! What a browser does with it (charts drawn, no script errors, no
//! horizontal scroll at 1280 px) was checked by hand in headless Chromium;
//! see the closing note.

mod common;

use common::Fixture;
use serde_json::Value;

/// The JSON in `<script id="tipfit-data">`.
fn page_data(html: &str) -> Value {
    let start = html
        .find("<script id=\"tipfit-data\" type=\"application/json\">")
        .expect("the data script");
    let body = &html[start..];
    let open = body.find('>').unwrap() + 1;
    let close = body.find("</script>").unwrap();
    serde_json::from_str(&body[open..close].replace("<\\/", "</")).unwrap()
}

/// Linear interpolation in dB over log frequency, written here.
fn interp(f: &[f64], d: &[f64], x: f64) -> f64 {
    let i = f.iter().position(|v| *v >= x).unwrap();
    if i == 0 {
        return d[0];
    }
    let t = (x.ln() - f[i - 1].ln()) / (f[i].ln() - f[i - 1].ln());
    d[i - 1] + t * (d[i] - d[i - 1])
}

#[test]
fn the_page_is_one_offline_file_whose_curves_are_the_stored_fits() {
    let f = Fixture::new();
    f.ok(&["demo", "--out", "d", "--fits", "2"]);
    let html = String::from_utf8(f.read("d/report.html")).unwrap();
    // Self-contained: no external script, style, image or fetch.
    for needle in [
        "src=\"http",
        "href=\"http",
        "src=\"//",
        "<link ",
        "fetch(",
        "XMLHttpRequest",
    ] {
        assert!(!html.contains(needle), "{needle}");
    }
    assert!(html.contains("/*! https://github.com/leeoniya/uPlot (v1.6.32) */"));
    for id in [
        "chart-fr",
        "chart-bass",
        "chart-iso",
        "chart-rep",
        "norm",
        "smooth",
        "baseline",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
    }
    // Normalisation and smoothing choices the issue names.
    for opt in [
        "value=\"500\"",
        "value=\"1000\"",
        "value=\"300-1000\"",
        "value=\"48\"",
        "value=\"3\"",
    ] {
        assert!(html.contains(opt), "{opt}");
    }
    assert!(html.matches("class=\"sortable\"").count() >= 3);
    assert!(html.contains("Levels of the responses: dB re stimulus full scale."));
    let export = String::from_utf8(f.read("d/exports/foam-m.txt")).unwrap();
    assert!(
        export.contains(
            "* Levels: dB re unity gain (recording full scale per stimulus full scale; not SPL)"
        ),
        "{export}"
    );
    // The PNGs are still in the page.
    assert!(html.matches("data:image/png;base64,").count() >= 6);

    let data = page_data(&html);
    let grid: Vec<f64> = data["grid_hz"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    // 10 Hz-20 kHz at 48 per octave, anchored at 1 kHz: the ends lie within
    // one step (2^(1/48) = 1.45 %) inside the range.
    let step = 2f64.powf(1.0 / 48.0);
    assert!(grid[0] >= 10.0 && grid[0] < 10.0 * step, "{}", grid[0]);
    let last = *grid.last().unwrap();
    assert!(last <= 20_000.0 && last > 20_000.0 / step, "{last}");
    for w in grid.windows(2) {
        assert!((w[1] / w[0] / step - 1.0).abs() < 1e-3, "{w:?}");
    }
    let tips = data["tips"].as_array().unwrap();
    assert_eq!(tips.len(), 5);
    let k = grid.iter().position(|g| *g >= 1000.0).unwrap();
    for t in tips {
        let fits = t["fits"].as_array().unwrap();
        assert_eq!(fits.len(), 2, "{}", t["name"]);
        // The stored fit file, read here.
        let name = t["name"].as_str().unwrap();
        let slug = name.to_lowercase().replace(' ', "-");
        let rec: Value =
            serde_json::from_slice(&f.read(&format!("d/session/fits/{slug}/fit-1.json"))).unwrap();
        let fr = &rec["seal"]["frequency_response"];
        let ff: Vec<f64> = fr["freq_hz"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let dd: Vec<f64> = fr["db"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let want = interp(&ff, &dd, grid[k]);
        let got = fits[0]["db"][k].as_f64().unwrap();
        // Stored to a thousandth of a dB (the grid frequency to 0.01 Hz).
        assert!((got - want).abs() < 2e-3, "{name}: {got} vs {want}");
        // Isolation per third-octave band, as stored.
        let iso = &rec["isolation"]["third_octave"];
        let bands = data["band_hz"].as_array().unwrap();
        let b = bands
            .iter()
            .position(|c| c.as_f64() == Some(1000.0))
            .unwrap();
        let j = iso["centre_hz"]
            .as_array()
            .unwrap()
            .iter()
            .position(|c| c.as_f64() == Some(1000.0))
            .unwrap();
        let stored = iso["attenuation_db"][j].as_f64().unwrap();
        assert!((fits[0]["isolation_db"][b].as_f64().unwrap() - stored).abs() < 1e-3);
        assert!(t["colour"].as_str().unwrap().starts_with('#'));
    }
    assert!(data["reference"].is_array(), "the demo has a reference");
    assert!(data["level_label"].as_str().unwrap().contains("dB"));
}
