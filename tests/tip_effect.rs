//! The tip effect of `compare` (JSON `tip_effect`), checked against truths
//! computed here from the raw REW text files of tests/data/rew, not from
//! tipfit: the files are parsed in this test (the `freq`, `SPL` columns),
//! every fit normalised to its mean over the reference band 300-1000 Hz and
//! averaged in each band as the README documents (the plain mean of dB over
//! the file's own points with `lo <= f < hi`), tip minus baseline. The
//! Welch intervals are checked against the sample variances computed here,
//! the Welch–Satterthwaite degrees of freedom and Student t values from a
//! printed table.
//!
//! Every test works in a fresh temporary folder, importing through the
//! binary as a user would.

mod common;

use common::{stderr, stdout, Fixture, SMALL_SESSION};
use serde_json::Value;
use std::path::Path;

/// The bands as the README names them, `[lo, hi)` Hz.
const BANDS: [(&str, f64, f64); 7] = [
    ("sub-bass", 20.0, 60.0),
    ("bass", 60.0, 250.0),
    ("low-mids", 250.0, 500.0),
    ("mids", 500.0, 2000.0),
    ("presence", 2000.0, 5000.0),
    ("treble", 5000.0, 10_000.0),
    ("air", 10_000.0, 16_000.0),
];

/// The reference band every fit is normalised in (compare's default, the
/// seal's "re mids"; imported sessions have no config to change it).
const REFERENCE: (f64, f64) = (300.0, 1000.0);

/// Two-sided 95 % Student t, df 1-10 (NIST/SEMATECH e-Handbook, table
/// 1.3.6.7.2).
const T975: [f64; 10] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
];

impl Fixture {
    /// Copy REW exports from tests/data/rew into the folder.
    fn copy_rew(&self, names: &[&str]) {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rew");
        for n in names {
            std::fs::copy(data.join(n), self.path(n)).unwrap();
        }
    }

    /// `compare DIR --json EXTRA...` as JSON.
    fn compare_json(&self, dir: &str, extra: &[&str]) -> Value {
        let mut args = vec!["compare", dir, "--json"];
        args.extend_from_slice(extra);
        serde_json::from_str(&stdout(&self.ok(&args))).unwrap()
    }
}

/// `(freq, SPL)` of a REW text export, read here: `*` lines are comments,
/// data lines are tab-separated `freq SPL phase`.
fn rew_points(path: &Path) -> Vec<(f64, f64)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('*') && !l.trim().is_empty())
        .map(|l| {
            let mut c = l.split_whitespace().map(|x| x.parse::<f64>().unwrap());
            (c.next().unwrap(), c.next().unwrap())
        })
        .collect()
}

/// The mean of dB over the points with `lo <= f < hi`.
fn mean_in(points: &[(f64, f64)], lo: f64, hi: f64) -> f64 {
    let v: Vec<f64> = points
        .iter()
        .filter(|(f, _)| *f >= lo && *f < hi)
        .map(|p| p.1)
        .collect();
    assert!(!v.is_empty(), "no point in {lo}-{hi} Hz");
    v.iter().sum::<f64>() / v.len() as f64
}

/// Per band, one file's level re its reference-band level.
fn normalised_bands(file: &Path) -> Vec<f64> {
    let p = rew_points(file);
    // Every fixture runs 20.3 Hz to 20 kHz: it covers every band.
    assert!(p[0].0 < 20.0 * 2f64.powf(1.0 / 6.0) && p[p.len() - 1].0 > 16_000.0);
    let r = mean_in(&p, REFERENCE.0, REFERENCE.1);
    BANDS.iter().map(|b| mean_in(&p, b.1, b.2) - r).collect()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn variance(v: &[f64]) -> f64 {
    let m = mean(v);
    v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64
}

/// The JSON entry of `tip`.
fn entry<'a>(v: &'a Value, tip: &str) -> &'a Value {
    v["tip_effect"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["tip"] == tip)
        .unwrap_or_else(|| panic!("no tip_effect for {tip}: {v:#}"))
}

/// Check every band of `tip` against the independent deltas of `files`
/// (its fits) minus `base` (the baseline's); returns the largest
/// difference, dB.
fn check_deltas(v: &Value, tip: &str, files: &[&Path], base: &[&Path]) -> f64 {
    let e = entry(v, tip);
    let bands = e["bands"].as_array().unwrap();
    assert_eq!(bands.len(), 7);
    let mine: Vec<Vec<f64>> = files.iter().map(|f| normalised_bands(f)).collect();
    let theirs: Vec<Vec<f64>> = base.iter().map(|f| normalised_bands(f)).collect();
    let mut worst: f64 = 0.0;
    for (k, (name, lo, hi)) in BANDS.iter().enumerate() {
        let b = &bands[k];
        assert_eq!(b["band"], *name);
        assert_eq!(b["band_hz"], serde_json::json!([lo, hi]));
        let x: Vec<f64> = mine.iter().map(|l| l[k]).collect();
        let y: Vec<f64> = theirs.iter().map(|l| l[k]).collect();
        let truth = mean(&x) - mean(&y);
        let got = b["delta_db"].as_f64().unwrap();
        let d = (got - truth).abs();
        assert!(
            d <= 0.05,
            "{tip} {name}: {got} dB, computed here {truth} dB"
        );
        worst = worst.max(d);
        assert_eq!(b["n"], files.len());
        assert_eq!(b["n_baseline"], base.len());
    }
    worst
}

/// AS16 and CALLA on stock, Final E and Spring tips and deep insertion
/// (one fit each), stock the baseline by `--baseline` (the first tip
/// imported is deep-insertion): each tip's difference per band is the one
/// computed here from the raw files, within 0.05 dB; a single fit gives no
/// interval (`null`) and says so (`single_fit`, a note), never a number.
#[test]
fn rew_tip_effect_matches_the_raw_files() {
    let mut worst: f64 = 0.0;
    for iem in ["as16", "calla"] {
        let f = Fixture::new();
        let tips = ["deep-insertion", "final-e", "spring", "stock"];
        let files: Vec<String> = tips.iter().map(|t| format!("{iem}_{t}_L.txt")).collect();
        let names: Vec<&str> = files.iter().map(String::as_str).collect();
        f.copy_rew(&names);
        let mut args = vec!["import"];
        args.extend(&names);
        args.extend(["--into", "s"]);
        f.ok(&args);
        let v = f.compare_json("s", &["--baseline", "stock"]);
        let effects = v["tip_effect"].as_array().unwrap();
        assert_eq!(effects.len(), 3, "{v:#}");
        let stock = f.path(&format!("{iem}_stock_L.txt"));
        for t in ["deep-insertion", "final-e", "spring"] {
            let e = entry(&v, t);
            assert_eq!(e["baseline"], "stock");
            assert_eq!(e["reference_band_hz"], serde_json::json!([300.0, 1000.0]));
            let file = f.path(&format!("{iem}_{t}_L.txt"));
            worst = worst.max(check_deltas(&v, t, &[&file], &[&stock]));
            for b in e["bands"].as_array().unwrap() {
                assert!(b["ci95_low"].is_null() && b["ci95_high"].is_null(), "{b}");
                assert!(b["df"].is_null(), "{b}");
                assert_eq!(b["single_fit"], true, "{b}");
            }
            let notes = e["notes"].as_array().unwrap();
            assert!(
                notes
                    .iter()
                    .any(|n| n.as_str().unwrap().contains("no 95 % interval")),
                "{notes:?}"
            );
        }
        // The table and a sentence per tip, with no "±" from single fits.
        let table = stdout(&f.ok(&["compare", "s", "--baseline", "stock"]));
        assert!(table.contains("tip effect vs 'stock'"), "{table}");
        let line = table
            .lines()
            .find(|l| l.trim_start().starts_with("final-e vs stock: "))
            .unwrap_or_else(|| panic!("no sentence for final-e:\n{table}"));
        assert!(line.contains(" dB bass") && !line.contains('±'), "{line}");
        assert!(line.contains("no interval"), "{line}");
        // Without --baseline: the first tip.
        let d = f.compare_json("s", &[]);
        assert_eq!(entry(&d, "stock")["baseline"], "deep-insertion");
        // A baseline that is not a tip: an error naming the tips.
        let err = f.fails(&["compare", "s", "--baseline", "Stock"]);
        assert!(
            err.contains("--baseline 'Stock'") && err.contains("'stock'"),
            "{err}"
        );
    }
    eprintln!("largest difference from the raw files: {worst:.2e} dB");
}

/// Several fits per tip (the same tips on AS16, CALLA and Chu imported as
/// fits of one tip): the difference of the means, and the Welch interval
/// checked against variances computed here: centred on the difference,
/// df = se⁴ / Σ (s²/n)² / (n-1), half-width t · se with t between the
/// printed t of the whole df around it. A tip with a single fit next to
/// them still has no interval. The report draws the chart.
#[test]
fn welch_intervals_from_several_fits() {
    let f = Fixture::new();
    let groups: [(&str, &[&str]); 4] = [
        ("stock", &["as16_stock_L.txt", "calla_stock_L.txt"]),
        (
            "final-e",
            &[
                "as16_final-e_L.txt",
                "calla_final-e_L.txt",
                "chu_final-e_L.txt",
            ],
        ),
        (
            "spring",
            &[
                "as16_spring_L.txt",
                "calla_spring_L.txt",
                "chu_spring_L.txt",
            ],
        ),
        ("deep", &["as16_deep-insertion_L.txt"]),
    ];
    for (tip, files) in groups {
        f.copy_rew(files);
        let mut args = vec!["import"];
        args.extend(files);
        args.extend(["--tip", tip, "--into", "m", "--iem", "three IEMs"]);
        f.ok(&args);
    }
    let v = f.compare_json("m", &[]);
    let path = |n: &&str| f.path(n);
    let stock: Vec<_> = groups[0].1.iter().map(path).collect();
    let stock_refs: Vec<&Path> = stock.iter().map(|p| p.as_path()).collect();
    let base_levels: Vec<Vec<f64>> = stock_refs.iter().map(|p| normalised_bands(p)).collect();
    let mut worst: f64 = 0.0;
    for (tip, files) in &groups[1..] {
        let mine: Vec<_> = files.iter().map(path).collect();
        let refs: Vec<&Path> = mine.iter().map(|p| p.as_path()).collect();
        worst = worst.max(check_deltas(&v, tip, &refs, &stock_refs));
        let e = entry(&v, tip);
        assert_eq!(e["baseline"], "stock");
        let levels: Vec<Vec<f64>> = refs.iter().map(|p| normalised_bands(p)).collect();
        for (k, b) in e["bands"].as_array().unwrap().iter().enumerate() {
            if files.len() == 1 {
                assert!(b["ci95_low"].is_null() && b["single_fit"] == true, "{b}");
                continue;
            }
            assert_eq!(b["single_fit"], false, "{b}");
            let x: Vec<f64> = levels.iter().map(|l| l[k]).collect();
            let y: Vec<f64> = base_levels.iter().map(|l| l[k]).collect();
            let (vx, vy) = (variance(&x) / x.len() as f64, variance(&y) / y.len() as f64);
            let se = (vx + vy).sqrt();
            let df = (vx + vy).powi(2)
                / (vx * vx / (x.len() - 1) as f64 + vy * vy / (y.len() - 1) as f64);
            let delta = b["delta_db"].as_f64().unwrap();
            let (lo, hi) = (
                b["ci95_low"].as_f64().unwrap(),
                b["ci95_high"].as_f64().unwrap(),
            );
            assert!((b["df"].as_f64().unwrap() - df).abs() < 1e-6, "{b} df {df}");
            assert!(((lo + hi) / 2.0 - delta).abs() < 1e-9, "{b}");
            let t = (hi - lo) / 2.0 / se;
            let (t_hi, t_lo) = (T975[df.floor() as usize - 1], T975[df.ceil() as usize - 1]);
            assert!(
                t >= t_lo - 2e-3 && t <= t_hi + 2e-3,
                "{tip} band {k}: t {t} for df {df} not within [{t_lo}, {t_hi}]"
            );
        }
    }
    eprintln!("largest difference from the raw files: {worst:.2e} dB");
    let table = stdout(&f.ok(&["compare", "m"]));
    let line = table
        .lines()
        .find(|l| l.trim_start().starts_with("final-e vs stock: "))
        .unwrap_or_else(|| panic!("no sentence:\n{table}"));
    assert!(line.contains(" dB bass (±"), "{line}");
    let out = f.ok(&["report", "m", "--out", "r"]);
    assert!(stderr(&out).contains("wrote"), "{}", stderr(&out));
    let png = f.read("r/tip_effect.png");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let html = String::from_utf8(f.read("r/report.html")).unwrap();
    assert!(
        html.contains("<h2>Tip effect against stock</h2>") && html.contains("Tip effect per band"),
        "no tip effect in the page"
    );
    if let Ok(keep) = std::env::var("TIPFIT_KEEP_TIP_EFFECT_PNG") {
        std::fs::write(keep, &png).unwrap();
    }
}

/// A session config's `baseline` must name one of its tips: anything else
/// is refused when the config is read, naming the file and the key.
#[test]
fn a_config_baseline_that_is_not_a_tip_is_refused() {
    let f = Fixture::new();
    f.write(
        "aria.toml",
        "iem = \"Aria\"\nbaseline = \"Final E\"\nfits_per_tip = 1\n\
         [[tip]]\nname = \"Stock\"\npreset = \"silicone-m\"\n\
         [[tip]]\nname = \"Foam\"\npreset = \"foam\"\n",
    );
    let err = f.fails(&["session", "run", "aria.toml", "--out", "s", "--yes"]);
    assert!(
        err.contains("aria.toml")
            && err.contains("`baseline` = \"Final E\"")
            && err.contains("\"Stock\", \"Foam\""),
        "{err}"
    );
    assert!(!f.path("s").exists(), "a session was started");
}

/// A measured session (the simulated rig, 3 fits a tip) whose config names
/// its second tip the baseline: the tip effect is against it, with Welch
/// intervals from the fits; `--baseline` overrides it.
#[test]
fn a_config_baseline_is_the_default() {
    let f = Fixture::new();
    f.write(
        "s.toml",
        format!("baseline = \"Silicone S\"\n{SMALL_SESSION}"),
    );
    f.ok(&["session", "run", "s.toml", "--out", "s", "--yes"]);
    let v = f.compare_json("s", &[]);
    let e = entry(&v, "Foam M");
    assert_eq!(e["baseline"], "Silicone S");
    assert_eq!(
        (e["n"].as_u64(), e["n_baseline"].as_u64()),
        (Some(3), Some(3))
    );
    let bass = &e["bands"][1];
    assert_eq!(bass["band"], "bass");
    let (lo, d, hi) = (
        bass["ci95_low"].as_f64().unwrap(),
        bass["delta_db"].as_f64().unwrap(),
        bass["ci95_high"].as_f64().unwrap(),
    );
    // Foam seals, silicone S leaks: more bass, and an interval around it.
    assert!(lo < d && d < hi && d > 1.0, "{bass}");
    let o = f.compare_json("s", &["--baseline", "Foam M"]);
    assert_eq!(entry(&o, "Silicone S")["baseline"], "Foam M");
    let back = entry(&o, "Silicone S")["bands"][1]["delta_db"]
        .as_f64()
        .unwrap();
    assert!((back + d).abs() < 1e-9, "{back} vs {d}");
}
