//! Per-tip exports of stored fits: the tip's mean response as REW-style
//! text (with the real phase, or no phase column), as an AutoEq CSV
//! (`frequency,raw`), and as a squig.link-ready folder ([`squig_files`]:
//! `IEM (Tip) L.txt` / `R.txt` and a `phone_book.json`). Pure functions:
//! text in memory, no file I/O.
//!
//! The mean is taken in dB, point by point when every fit shares the same
//! frequency grid, else on the first fit's grid with each fit interpolated
//! on a log-frequency axis ([`interpolate_db`]) inside its own range (no
//! extrapolation). Phase is kept only for a single fit: a mean of phases
//! is not a phase.

use crate::analysis::seal::interpolate_db;
use crate::analysis::FrequencyResponse;
use crate::session::config::Ear;
use crate::session::model::{FitRecord, SessionInfo, TipSpec};

/// Whether two grids hold the same frequencies (within 1 ppb).
fn same_grid(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= 1e-9 * x.abs().max(y.abs()))
}

/// The mean response (dB) of a tip's fits. Skipped fits, fits without a
/// response and non-finite values are left out; a grid point where no fit
/// has a finite value is dropped. `None` when nothing is left.
pub fn tip_mean_response(fits: &[&FitRecord]) -> Option<FrequencyResponse> {
    let responses: Vec<&FrequencyResponse> = fits
        .iter()
        .filter(|f| !f.skipped)
        .filter_map(|f| f.response())
        .map(|m| &m.frequency_response)
        .filter(|r| !r.freq_hz.is_empty() && r.freq_hz.len() == r.db.len())
        .collect();
    let first = *responses.first()?;
    let grid = &first.freq_hz;
    let shared = responses.iter().all(|r| same_grid(&r.freq_hz, grid));
    let single_phase = match (responses.len(), &first.phase_deg) {
        (1, Some(p)) if p.len() == grid.len() => Some(p),
        _ => None,
    };
    let mut out = FrequencyResponse::default();
    let mut phase = Vec::new();
    for (i, &f) in grid.iter().enumerate() {
        if !f.is_finite() || f <= 0.0 {
            continue;
        }
        let values: Vec<f64> = responses
            .iter()
            .filter_map(|r| {
                if shared {
                    return Some(r.db[i]);
                }
                let (lo, hi) = (*r.freq_hz.first()?, *r.freq_hz.last()?);
                (f >= lo * (1.0 - 1e-9) && f <= hi * (1.0 + 1e-9))
                    .then(|| interpolate_db(&r.freq_hz, &r.db, f))
            })
            .filter(|v| v.is_finite())
            .collect();
        let Some(mean) = crate::compare::finite_mean(&values) else {
            continue;
        };
        out.freq_hz.push(f);
        out.db.push(mean);
        if let Some(p) = single_phase {
            phase.push(p[i]);
        }
    }
    if out.freq_hz.is_empty() {
        return None;
    }
    if single_phase.is_some() && phase.iter().all(|p| p.is_finite()) {
        out.phase_deg = Some(phase);
    }
    Some(out)
}

/// One comment line: control characters (a newline would start a data
/// line) become spaces.
fn comment_text(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The header comments of a tip's export.
fn comments(tip: &TipSpec, info: &SessionInfo, fits: usize) -> Vec<String> {
    let mut c = vec![format!(
        "Exported by tipfit {} (mean response of one tip)",
        env!("CARGO_PKG_VERSION")
    )];
    c.push(format!("IEM: {}", info.iem));
    c.push(format!("Tip: {}", tip.name));
    for (what, v) in [
        ("Material", &tip.material),
        ("Size", &tip.size),
        ("Brand", &tip.brand),
    ] {
        if let Some(v) = v {
            c.push(format!("{what}: {v}"));
        }
    }
    c.push(format!(
        "Response: mean of {fits} fit{} (in dB)",
        if fits == 1 { "" } else { "s" }
    ));
    if !info.imported_from.is_empty() {
        c.push(format!(
            "Session imported from: {}",
            info.imported_from.join(", ")
        ));
    }
    c.iter().map(|s| comment_text(s)).collect()
}

/// REW-style text of a tip's response: `*` comment lines (tipfit version,
/// IEM, tip name/material/size/brand, how many fits, imported files), then
/// `freq<TAB>dB<TAB>phase` lines, or `freq<TAB>dB` when the response has no
/// phase (a mean of several fits) ([`crate::formats::rew::render`]).
///
/// `unit`: the levels' unit, said in a comment (`* Levels: dB SPL`), as
/// the fits store it (`None`: the fits' units differ).
pub fn rew_txt(
    tip: &TipSpec,
    info: &SessionInfo,
    resp: &FrequencyResponse,
    fits: usize,
    unit: Option<crate::analysis::LevelUnit>,
) -> String {
    let mut c = comments(tip, info, fits);
    c.push(match unit {
        Some(crate::analysis::LevelUnit::ReUnityGain) => {
            "Levels: dB re unity gain (recording full scale per stimulus full scale; not SPL)"
                .into()
        }
        Some(u) => format!("Levels: {} (as imported)", u.as_str()),
        None => "Levels: dB (the fits' units differ)".into(),
    });
    crate::formats::rew::render(resp, &c)
}

/// AutoEq CSV (`frequency,raw`) of a response
/// ([`crate::formats::autoeq::render`]).
pub fn autoeq_csv(resp: &FrequencyResponse) -> String {
    crate::formats::autoeq::render(resp)
}

/// The name of the phone book file in a squig.link folder.
pub const PHONE_BOOK: &str = "phone_book.json";

/// The files of a squig.link-ready folder for `tips` (each with its mean
/// response and how many fits it holds): per tip one file per ear of the
/// session, named as the graph tools load them
/// ([`crate::formats::squig::file_name`]: `IEM Name (Tip) L.txt`; a
/// session of both ears gets the same response as `L` and `R`, and says
/// so in a comment), REW-style text (`*` comments, which squig.link skips,
/// then `freq<TAB>dB[<TAB>phase]`), and [`PHONE_BOOK`] listing them as one
/// phone with a variant per tip ([`crate::formats::squig::phone_book`]).
/// Tips whose names make the same file name get ` 2`, ` 3`... Returns
/// (file name, text) pairs, the phone book last.
///
/// `right`: with fits of both ears (`compare::ears::two_ears`), each tip's
/// right-ear mean (and fit count), aligned with `tips` (whose responses are
/// then the left ear's): `R` files get the right ear's own response, and a
/// tip without a right-ear fit gets no `R` file.
pub fn squig_files(
    info: &SessionInfo,
    tips: &[(&TipSpec, &FrequencyResponse, usize)],
    right: Option<&[Option<(FrequencyResponse, usize)>]>,
) -> Vec<(String, String)> {
    use crate::formats::squig;
    let channels: &[&str] = match (info.ear, right) {
        (_, Some(_)) => &["L", "R"],
        (Ear::Left, None) => &["L"],
        (Ear::Right, None) => &["R"],
        (Ear::Both, None) => &["L", "R"],
    };
    let mut files = Vec::new();
    let mut variants: Vec<(String, String)> = Vec::new();
    for (tip, resp, fits) in tips {
        let mut variant = comment_text(&tip.name).trim().to_string();
        let mut n = 1;
        while variants
            .iter()
            .any(|(_, base)| *base == squig::file_base(&info.iem, Some(&variant)))
        {
            n += 1;
            variant = format!("{} {n}", comment_text(&tip.name).trim());
        }
        let base = squig::file_base(&info.iem, Some(&variant));
        let k = variants.len();
        for ch in channels {
            let text = match (right, *ch) {
                // Two ears measured: each file its own ear's mean.
                (Some(r), "R") => {
                    let Some((rm, rn)) = r.get(k).and_then(|x| x.as_ref()) else {
                        continue;
                    };
                    let mut c = comments(tip, info, *rn);
                    c.push("Ear: right".into());
                    crate::formats::rew::render(rm, &c)
                }
                (Some(_), _) => {
                    let mut c = comments(tip, info, *fits);
                    c.push("Ear: left".into());
                    crate::formats::rew::render(resp, &c)
                }
                (None, _) => {
                    let mut c = comments(tip, info, *fits);
                    if channels.len() == 2 {
                        c.push("Ear: both (one response, written as L and R)".into());
                    }
                    crate::formats::rew::render(resp, &c)
                }
            };
            files.push((squig::file_name(&info.iem, Some(&variant), ch), text));
        }
        variants.push((variant, base));
    }
    let book = squig::phone_book(&info.iem, &variants);
    let mut json = serde_json::to_string_pretty(&book).unwrap_or_else(|_| "[]".into());
    json.push('\n');
    files.push((PHONE_BOOK.to_string(), json));
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::seal::{seal_metrics, SealConfig};
    use crate::analysis::{Bands, Measurement, Method, ResponseSmoothing, Thd};
    use crate::session::model::SCHEMA_VERSION;
    use std::path::Path;

    fn fit(n: usize, freq: &[f64], db: &[f64], phase: Option<Vec<f64>>) -> FitRecord {
        let resp = FrequencyResponse {
            freq_hz: freq.to_vec(),
            db: db.to_vec(),
            phase_deg: phase,
        };
        let pts: Vec<(f64, f64, f64)> = resp.points().iter().map(|p| (p.0, p.1, 100.0)).collect();
        FitRecord {
            schema_version: SCHEMA_VERSION,
            tip: "t".into(),
            fit: n,
            seal: Some(Measurement {
                tipfit_version: "x".into(),
                method: Method::Imported,
                sample_rate: 0,
                latency_s: 0.0,
                smoothing: ResponseSmoothing::AsImported,
                frequency_response: resp,
                seal: seal_metrics(&pts, None, &SealConfig::default()),
                thd_percent: Thd::default(),
                snr_db: 0.0,
                snr_bands: Bands::default(),
                warnings: vec![],
                clock: None,
                level_unit: None,
            }),
            quick: None,
            isolation: None,
            recording: None,
            rig: None,
            skipped: false,
            attempts: 1,
            source: None,
            ear: None,
        }
    }

    fn info() -> SessionInfo {
        SessionInfo {
            schema_version: SCHEMA_VERSION,
            tipfit_version: "x".into(),
            created: "2024-01-01T00:00:00Z".into(),
            rig: "imported".into(),
            iem: "Chu".into(),
            ear: crate::session::config::Ear::Left,
            tips: vec![],
            fits_per_tip: 1,
            seal: true,
            quick: false,
            isolation: false,
            reference: None,
            reference_right: None,
            target: None,
            imported_from: vec!["a.txt".into()],
            config: None,
        }
    }

    #[test]
    fn mean_of_fits_on_one_grid_is_pointwise_and_drops_phase() {
        let f = [20.0, 100.0, 1000.0];
        let a = fit(1, &f, &[1.0, 2.0, 3.0], Some(vec![10.0; 3]));
        let b = fit(2, &f, &[3.0, 4.0, f64::NAN], Some(vec![20.0; 3]));
        let mut c = fit(3, &f, &[100.0; 3], None);
        c.skipped = true;
        let m = tip_mean_response(&[&a, &b, &c]).unwrap();
        assert_eq!(m.freq_hz, f.to_vec());
        assert_eq!(m.db, vec![2.0, 3.0, 3.0]);
        assert_eq!(m.phase_deg, None);
    }

    #[test]
    fn mean_of_one_fit_keeps_it_exactly_with_phase() {
        let a = fit(1, &[20.0, 40.0], &[1.25, -3.5], Some(vec![-170.0, 5.0]));
        let m = tip_mean_response(&[&a]).unwrap();
        assert_eq!(&m, &a.seal.as_ref().unwrap().frequency_response);
    }

    #[test]
    fn mean_on_different_grids_interpolates_inside_each_range() {
        let a = fit(1, &[10.0, 100.0, 1000.0], &[0.0, 10.0, 20.0], None);
        let b = fit(2, &[50.0, 200.0, 2000.0], &[4.0, 4.0, 4.0], None);
        let m = tip_mean_response(&[&a, &b]).unwrap();
        assert_eq!(m.freq_hz, vec![10.0, 100.0, 1000.0]);
        // 10 Hz is below b's range: a alone.
        assert_eq!(m.db, vec![0.0, 7.0, 12.0]);
    }

    #[test]
    fn mean_of_nothing_is_none() {
        assert!(tip_mean_response(&[]).is_none());
        let mut a = fit(1, &[20.0, 40.0], &[1.0, 2.0], None);
        a.skipped = true;
        assert!(tip_mean_response(&[&a]).is_none());
        a.skipped = false;
        a.seal = None;
        assert!(tip_mean_response(&[&a]).is_none());
    }

    #[test]
    fn rew_export_names_the_tip_and_reads_back() {
        let a = fit(
            1,
            &[20.299999, 20.6],
            &[85.749, 85.75],
            Some(vec![-171.9848, 0.5]),
        );
        let tip = TipSpec {
            name: "Spring\nTips".into(),
            material: Some("silicone".into()),
            size: None,
            brand: Some("Azla".into()),
            preset: None,
        };
        let m = tip_mean_response(&[&a]).unwrap();
        let text = rew_txt(
            &tip,
            &info(),
            &m,
            1,
            Some(crate::analysis::LevelUnit::ReUnityGain),
        );
        assert!(text.contains("* Tip: Spring Tips\n"), "{text}");
        assert!(text.contains("* Material: silicone\n"), "{text}");
        assert!(text.contains("* Brand: Azla\n"), "{text}");
        assert!(text.contains("* IEM: Chu\n"), "{text}");
        assert!(text.contains(env!("CARGO_PKG_VERSION")), "{text}");
        assert!(text.contains("a.txt"), "{text}");
        let back = crate::formats::rew::parse(&text, Path::new("x.txt")).unwrap();
        assert_eq!(back, m);
        let csv = autoeq_csv(&m);
        let back = crate::formats::autoeq::parse(&csv, Path::new("x.csv")).unwrap();
        assert_eq!(back.freq_hz, m.freq_hz);
        assert_eq!(back.db, m.db);
    }

    fn tip(name: &str) -> TipSpec {
        TipSpec {
            name: name.into(),
            material: None,
            size: None,
            brand: None,
            preset: None,
        }
    }

    #[test]
    fn rew_export_of_a_mean_has_no_phase_column_and_reads_back() {
        let f = [20.0, 100.0, 1000.0];
        let a = fit(1, &f, &[1.0, 2.0, 3.0], Some(vec![10.0; 3]));
        let b = fit(2, &f, &[3.0, 4.0, 5.0], Some(vec![20.0; 3]));
        let m = tip_mean_response(&[&a, &b]).unwrap();
        let text = rew_txt(
            &tip("Foam"),
            &info(),
            &m,
            2,
            Some(crate::analysis::LevelUnit::ReUnityGain),
        );
        assert!(text.contains("* Freq(Hz)\tSPL(dB)\n"), "{text}");
        assert!(!text.contains("Phase"), "{text}");
        for line in text.lines().filter(|l| !l.starts_with('*')) {
            assert_eq!(line.split('\t').count(), 2, "{line:?}");
        }
        let back =
            crate::formats::response::parse_text(&text, Path::new("x.txt"), "UTF-8").unwrap();
        assert!(!back.found.phase);
        assert_eq!(back.found.tip.as_deref(), Some("Foam"));
        assert_eq!(back.found.iem.as_deref(), Some("Chu"));
        assert_eq!(back.response, m);
    }

    #[test]
    fn rew_export_of_one_fit_keeps_its_real_phase() {
        let a = fit(1, &[20.0, 40.0], &[1.25, -3.5], Some(vec![-170.5, 5.25]));
        let m = tip_mean_response(&[&a]).unwrap();
        let text = rew_txt(
            &tip("Foam"),
            &info(),
            &m,
            1,
            Some(crate::analysis::LevelUnit::ReUnityGain),
        );
        assert!(text.contains("\n20.000000\t1.250\t-170.5000\n"), "{text}");
        let back =
            crate::formats::response::parse_text(&text, Path::new("x.txt"), "UTF-8").unwrap();
        assert_eq!(back.response.phase_deg, Some(vec![-170.5, 5.25]));
    }

    #[test]
    fn autoeq_export_reads_back_as_autoeq() {
        let a = fit(1, &[20.0, 40.0, 80.0], &[1.25, -3.5, 0.0], None);
        let csv = autoeq_csv(&tip_mean_response(&[&a]).unwrap());
        assert!(csv.starts_with("frequency,raw\n"), "{csv}");
        let back =
            crate::formats::response::parse_bytes(csv.as_bytes(), Path::new("x.csv")).unwrap();
        assert_eq!(back.found.format, crate::formats::response::Format::AutoEq);
        assert_eq!(back.response.db, vec![1.25, -3.5, 0.0]);
    }

    #[test]
    fn squig_folder_names_files_per_tip_and_ear_and_lists_them() {
        use crate::formats::squig;
        let f = [20.0, 100.0, 1000.0];
        let a = fit(1, &f, &[1.0, 2.0, 3.0], None);
        let b = fit(2, &f, &[4.0, 5.0, 6.0], Some(vec![1.0, 2.0, 3.0]));
        let (ma, mb) = (
            tip_mean_response(&[&a]).unwrap(),
            tip_mean_response(&[&b]).unwrap(),
        );
        let (ta, tb, tc) = (tip("Spring Tips"), tip("Final E"), tip("Spring/Tips"));
        let mut inf = info();
        inf.iem = "Moondrop Chu".into();
        let files = squig_files(&inf, &[(&ta, &ma, 1), (&tb, &mb, 1)], None);
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "Moondrop Chu (Spring Tips) L.txt",
                "Moondrop Chu (Final E) L.txt",
                PHONE_BOOK
            ]
        );
        for (name, text) in &files[..2] {
            let n = squig::parse_name(name);
            assert_eq!(n.iem, "Moondrop Chu");
            assert_eq!(n.ear, Some(Ear::Left));
            let back =
                crate::formats::response::parse_text(text, Path::new(name), "UTF-8").unwrap();
            assert_eq!(back.found.tip, n.variant, "{name}");
        }
        let back =
            crate::formats::response::parse_text(&files[1].1, Path::new("x.txt"), "UTF-8").unwrap();
        assert_eq!(back.response, mb);
        let book: serde_json::Value = serde_json::from_str(&files[2].1).unwrap();
        assert_eq!(book[0]["name"], "Moondrop");
        assert_eq!(book[0]["phones"][0]["name"], "Chu");
        assert_eq!(
            book[0]["phones"][0]["file"],
            serde_json::json!(["Moondrop Chu (Spring Tips)", "Moondrop Chu (Final E)"])
        );
        assert_eq!(
            book[0]["phones"][0]["suffix"],
            serde_json::json!(["(Spring Tips)", "(Final E)"])
        );
        // the graph tool loads DIR + file + " " + channel + ".txt"
        for file in book[0]["phones"][0]["file"].as_array().unwrap() {
            let want = format!("{} L.txt", file.as_str().unwrap());
            assert!(names.contains(&want.as_str()), "{want}");
        }
        // both ears: L and R; names that collide get a number
        inf.ear = Ear::Both;
        let files = squig_files(&inf, &[(&ta, &ma, 1), (&tc, &ma, 1)], None);
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            vec![
                "Moondrop Chu (Spring Tips) L.txt",
                "Moondrop Chu (Spring Tips) R.txt",
                "Moondrop Chu (Spring-Tips) L.txt",
                "Moondrop Chu (Spring-Tips) R.txt",
                PHONE_BOOK
            ]
        );
        let files = squig_files(&inf, &[(&ta, &ma, 1), (&ta, &ma, 1)], None);
        assert_eq!(files[2].0, "Moondrop Chu (Spring Tips 2) L.txt");
    }
}
