//! Tests of the plots: every picture drawn, every tip in its colour, odd
//! data survived.

use super::axes::{runs, y_range};
use super::bass::draw_bass;
use super::data::{on_grid, Spread};
use super::frequency_response::draw_frequency_response;
use super::isolation::draw_isolation;
use super::ranking::draw_ranking;
use super::repeatability::draw_repeatability;
use super::style::{hz_label, num_label};
use super::summary::draw_summary;
use super::tip_effect::draw_tip_effect;
use super::*;
use crate::analysis::isolation::{insertion_loss, Isolation};
use crate::analysis::FrequencyResponse;
use crate::analysis::{AnalysisConfig, Analyzer, Measurement};
use crate::dsp::fft::FftCache;
use crate::report::write::{save_plot, write_plots};
use crate::rig::outside::OutsideNoise;
use crate::rig::sim::{Fit, SimConfig, SimRig, TipPreset};
use crate::rig::Rig;
use crate::signal::{Stimulus, SweepParams};
use serde_json::json;
use std::path::PathBuf;
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

fn record(tip: &str, fit: usize, seal: Option<&Measurement>, iso: Option<&Isolation>) -> FitRecord {
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
fn write_all_writes_seven_pngs() {
    let (info, fits, cmp) = data();
    let dir = temp_dir("all");
    let t0 = std::time::Instant::now();
    let paths: Vec<PathBuf> = write_plots(info, fits, cmp, &dir, DEFAULT_SIZE)
        .unwrap()
        .into_iter()
        .map(|p| p.0)
        .collect();
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
            "listening.png",
            "ranking.png",
            "repeatability.png",
            "summary.png",
            "tip_effect.png"
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
    let draws: [(&str, Draw); 7] = [
        ("frequency response", draw_frequency_response),
        ("bass", draw_bass),
        ("isolation", draw_isolation),
        ("ranking", draw_ranking),
        ("repeatability", draw_repeatability),
        ("summary", draw_summary),
        ("tip effect", draw_tip_effect),
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
        let paths: Vec<PathBuf> = write_plots(&info, &fits, &cmp, &dir, (800, 500))
            .unwrap_or_else(|e| panic!("{tag}: {e:#}"))
            .into_iter()
            .map(|p| p.0)
            .collect();
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
    let e = write_plots(info, fits, cmp, &missing, DEFAULT_SIZE).unwrap_err();
    assert!(format!("{e:#}").contains("frequency_response.png"), "{e:#}");
    let e = save_plot(&missing.join("b.png"), || bass(info, fits, cmp, (10, 10))).unwrap_err();
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
    assert_eq!(tip_colour(0), tip_colour(12));
    let twelve: std::collections::HashSet<_> = (0..12).map(|i| tip_colour(i).rgb()).collect();
    assert_eq!(twelve.len(), 12, "twelve tips, twelve colours");
    assert_ne!(tip_colour(0), tip_colour(1));
}

/// A session of `n` tips named `name(i)`, each with a copy of one of the
/// simulated tips' three fits (so every tip has seal and isolation data).
fn many_tips(
    n: usize,
    name: impl Fn(usize) -> String,
) -> (SessionInfo, Vec<FitRecord>, Comparison) {
    let (_, fits3, _) = data();
    let names: Vec<String> = (0..n).map(name).collect();
    let info = session(&names.iter().map(|s| s.as_str()).collect::<Vec<_>>(), None);
    let fits: Vec<FitRecord> = names
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
    let cmp = crate::compare::compare(&info, &fits, vec![]);
    (info, fits, cmp)
}

/// Mark fits of tip `i` as outliers (the plots draw what the comparison says).
fn with_outliers(cmp: &mut Comparison, i: usize, fits: &[usize]) {
    for &fit in fits {
        cmp.tips[i].outliers.push(crate::compare::Outlier {
            fit,
            metric: crate::compare::OutlierMetric::BassDb,
            value: -6.0,
            robust_z: 5.0,
        });
    }
}

use super::style::recorder::{capture, Drawn};

/// `text` is drawn whole: as one string, or as consecutive lines that
/// join (with spaces) to it.
fn drawn_whole(drawn: &[Drawn], text: &str) -> bool {
    let want = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (0..drawn.len()).any(|i| {
        (1..=3).any(|k| {
            i + k <= drawn.len()
                && drawn[i..i + k]
                    .iter()
                    .map(|d| d.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
                    == want
        })
    })
}

/// No string is cut, every one lies inside the picture and none overlaps
/// another.
fn assert_clean(drawn: &[Drawn], (w, h): (u32, u32), what: &str) {
    for d in drawn {
        assert!(
            !d.text.contains('…') && !d.text.contains("..."),
            "{what}: a cut text {:?}",
            d.text
        );
        let (x0, y0, x1, y1) = d.rect;
        assert!(
            x0 >= 0 && y0 >= 0 && x1 <= w as i32 && y1 <= h as i32,
            "{what}: {:?} at {:?} is outside the {w}x{h} picture",
            d.text,
            d.rect
        );
    }
    let overlap = |a: (i32, i32, i32, i32), b: (i32, i32, i32, i32)| {
        // One pixel of slack: glyph boxes of neighbouring lines may touch.
        a.0 < b.2 - 1 && b.0 < a.2 - 1 && a.1 < b.3 - 1 && b.1 < a.3 - 1
    };
    for (i, a) in drawn.iter().enumerate() {
        for b in &drawn[i + 1..] {
            assert!(
                !overlap(a.rect, b.rect),
                "{what}: {:?} at {:?} overlaps {:?} at {:?}",
                a.text,
                a.rect,
                b.text,
                b.rect
            );
        }
    }
}

#[test]
fn summary_of_twelve_tips_shows_every_tip_and_every_cell_whole() {
    let (info, fits, mut cmp) = many_tips(12, |i| format!("Tip number {}", i + 1));
    with_outliers(&mut cmp, 2, &[2]);
    with_outliers(&mut cmp, 4, &[5, 2]);
    for size in [DEFAULT_SIZE, (800, 500)] {
        let (png, drawn) = capture(|| summary(&info, &fits, &cmp, size).unwrap());
        let (w, h) = png_size(&png);
        assert_eq!(w, size.0);
        assert!(
            h > size.1,
            "{size:?}: twelve tips need a taller picture, got {h}"
        );
        assert_clean(&drawn, (w, h), &format!("summary {size:?}"));
        let loss = cmp.tips.iter().any(|t| t.bass_loss_db.is_some());
        for (i, tip) in info.tips.iter().enumerate() {
            assert!(
                drawn_whole(&drawn, &tip.name),
                "{size:?}: tip {i} not in the table"
            );
            // Once in the seal ranking, once in the isolation ranking.
            let ranked = drawn
                .iter()
                .filter(|d| d.text.ends_with(&format!("  {}", tip.name)))
                .count();
            assert_eq!(ranked, 2, "{size:?}: {} in the rankings", tip.name);
            let stats = &cmp.tips[i];
            for cell in super::summary::table_cells(stats, loss) {
                assert!(
                    drawn_whole(&drawn, &cell),
                    "{size:?}: {} cell {cell:?}",
                    tip.name
                );
            }
        }
        let texts: Vec<&str> = drawn.iter().map(|d| d.text.as_str()).collect();
        // The outlier column names fits (the simulated data has outliers of
        // its own; tip 5 has none but the two added).
        assert!(texts.contains(&"fits 2, 5"), "{texts:?}");
        for t in &cmp.tips {
            let cell = &super::summary::table_cells(t, loss)[5];
            assert!(
                cell == "none" || cell.starts_with("fit ") || cell.starts_with("fits "),
                "{}: {cell:?}",
                t.name
            );
        }
        assert!(!texts.iter().any(|t| t.contains("more")), "{texts:?}");
    }
    // Up to five tips the summary keeps the asked size.
    let (info, fits, cmp) = many_tips(5, |i| format!("Tip {i}"));
    assert_eq!(
        png_size(&summary(&info, &fits, &cmp, DEFAULT_SIZE).unwrap()),
        DEFAULT_SIZE
    );
}

/// Cells as long as the coming leak-corner texts, and long tip names: each
/// drawn whole inside its column (wrapped or smaller), at 1600 and 800 px.
#[test]
fn long_cells_wrap_or_shrink_inside_their_columns() {
    use super::style::Look;
    use super::summary::{TableData, TableLayout, TableRow, COLUMNS};
    let corners = [
        "median 1.63 kHz (2 of 5 > 1.0 kHz)",
        "all 5 fits < 15 Hz",
        "1.6 kHz (1.2 kHz–2.3 kHz)",
    ];
    let names = [
        "Azla SednaEarfit Crystal for AirPods Pro M",
        "Comply Foam T-500 M",
        "Supercalifragilisticexpialidocious-tips",
    ];
    let d = TableData {
        headers: [
            "Tip",
            "Seal",
            "Fits",
            "Bass re 300–1k (dB)",
            "Leak corner",
            "Isolation (dB)",
            "Max SD (dB)",
            "Outliers",
        ]
        .map(String::from),
        rows: (0..12)
            .map(|i| TableRow {
                name: names[i % 3].to_string(),
                colour: tip_colour(i),
                verdict: Some(("no seal".to_string(), RGBColor(0x6B, 0, 0x10))),
                cells: vec![
                    "12".into(),
                    "−12.3 ± 4.5".into(),
                    corners[i % 3].into(),
                    "−22.3 ± 14.5".into(),
                    "12.3".into(),
                    "fits 1, 2, 3, 4, 5".into(),
                ],
            })
            .collect(),
    };
    for size in [DEFAULT_SIZE, (800, 500), (640, 400)] {
        super::style::register_fonts();
        let look = Look::of_size(size);
        let t = TableLayout::new(&d, look, size.0 as i32).unwrap();
        let h = t.height as u32;
        let (_, drawn) = capture(|| render_buffer((size.0, h), |root| t.draw(root, &d)).unwrap());
        assert_clean(&drawn, (size.0, h), &format!("table {size:?}"));
        for r in &d.rows {
            let texts = std::iter::once(&r.name).chain(&r.cells);
            for text in texts {
                assert!(
                    drawn_whole(&drawn, text),
                    "{size:?}: {text:?} not drawn whole"
                );
            }
        }
        // Every string lies inside one column.
        for dr in &drawn {
            let inside =
                (0..COLUMNS).any(|c| dr.rect.0 >= t.x[c] - 1 && dr.rect.2 <= t.x[c] + t.w[c] + 1);
            let foot = dr.rect.1 >= t.foot_y;
            assert!(
                inside || foot,
                "{size:?}: {:?} at {:?} crosses a column",
                dr.text,
                dr.rect
            );
        }
    }
}

/// Writes review pictures to /tmp/plots-review:
/// `cargo test --lib report::plots -- --ignored review`.
#[test]
#[ignore]
fn review_pictures() {
    let dir = PathBuf::from("/tmp/plots-review");
    std::fs::create_dir_all(&dir).unwrap();
    let (info, fits, cmp) = data();
    for (p, _) in write_plots(info, fits, cmp, &dir, DEFAULT_SIZE).unwrap() {
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
    write_plots(&info, &fits, &cmp, &dir2, DEFAULT_SIZE).unwrap();
    // Twelve tips (one colour each, the summary taller), small pictures.
    let (many, many_fits, mut cmp_many) = many_tips(12, |i| match i {
        7 => "Azla SednaEarfit Crystal for AirPods Pro M".to_string(),
        _ => format!("Tip number {}", i + 1),
    });
    with_outliers(&mut cmp_many, 4, &[2, 3]);
    for (tag, size) in [("many", DEFAULT_SIZE), ("small", (800, 500))] {
        let d = dir.join(tag);
        std::fs::create_dir_all(&d).unwrap();
        write_plots(&many, &many_fits, &cmp_many, &d, size).unwrap();
    }
    let dir3 = dir.join("empty");
    std::fs::create_dir_all(&dir3).unwrap();
    let cmp = crate::compare::compare(&info, &[], vec![]);
    write_plots(&info, &[], &cmp, &dir3, DEFAULT_SIZE).unwrap();
}
