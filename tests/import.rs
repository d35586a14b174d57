//! `tipfit import` and the per-tip exports, through the binary and the
//! library: real REW exports (tests/data/rew, 11 IEM measurements with
//! different tips) and AutoEq CSVs come in as tips and fits, go out again
//! unchanged (within 0.001 dB / 0.001 degree), and bad input is refused with
//! the file (and line) named and nothing written.
//!
//! Every test works in a fresh temporary folder, with the binary running
//! there so messages show the names as typed.

mod common;

use common::{assert_one_error, files_under, stderr, Fixture};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use tipfit::analysis::seal::{seal_metrics, SealConfig};
use tipfit::analysis::FrequencyResponse;
use tipfit::formats::{autoeq, rew};
use tipfit::report::export::{autoeq_csv, rew_txt, tip_mean_response};
use tipfit::session::config::Ear;
use tipfit::session::import::{import_files, ImportOptions};
use tipfit::session::model::FitRecord;
use tipfit::session::store::{self, Loaded};

/// The 11 real REW exports.
const REW_FILES: [&str; 11] = [
    "as16_deep-insertion_L.txt",
    "as16_final-e_L.txt",
    "as16_spring_L.txt",
    "as16_stock_L.txt",
    "calla_deep-insertion_L.txt",
    "calla_final-e_L.txt",
    "calla_spring_L.txt",
    "calla_stock_L.txt",
    "chu_final-e_L.txt",
    "chu_softears-uc_L.txt",
    "chu_spring_L.txt",
];

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/rew")
        .join(name)
}

impl Fixture {
    /// Copy real REW exports into the folder (under their own names).
    fn copy_rew(&self, names: &[&str]) {
        for n in names {
            std::fs::copy(data(n), self.path(n)).unwrap();
        }
    }

    /// Copy one real REW export under another name.
    fn copy_rew_as(&self, name: &str, as_name: &str) {
        std::fs::copy(data(name), self.path(as_name)).unwrap();
    }

    /// `tipfit import FILES... --into DIR EXTRA...`, which must succeed.
    fn import(&self, files: &[&str], into: &str, extra: &[&str]) -> Output {
        let mut args = vec!["import"];
        args.extend_from_slice(files);
        args.extend_from_slice(&["--into", into]);
        args.extend_from_slice(extra);
        self.ok(&args)
    }

    /// Load a session; every fit must read back.
    fn load(&self, dir: &str) -> Loaded {
        let s = store::load(&self.path(dir)).unwrap();
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
        s
    }

    /// Every file under `dir` with its bytes (missing folder: empty).
    fn snapshot(&self, dir: &str) -> BTreeMap<PathBuf, Vec<u8>> {
        files_under(&self.path(dir))
    }
}

/// The fits of one tip, in fit order.
fn fits_of<'a>(s: &'a Loaded, tip: &str) -> Vec<&'a FitRecord> {
    let mut v: Vec<&FitRecord> = s.fits.iter().filter(|f| f.tip == tip).collect();
    v.sort_by_key(|f| f.fit);
    v
}

/// Largest differences (dB, degrees) between two responses on the same
/// frequencies (checked to 1e-6 Hz).
fn max_diff(a: &FrequencyResponse, b: &FrequencyResponse) -> (f64, f64) {
    assert_eq!(a.freq_hz.len(), b.freq_hz.len(), "point counts differ");
    for (x, y) in a.freq_hz.iter().zip(&b.freq_hz) {
        assert!((x - y).abs() < 1e-6, "frequencies differ: {x} vs {y}");
    }
    let db =
        a.db.iter()
            .zip(&b.db)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max);
    let phase = match (&a.phase_deg, &b.phase_deg) {
        (Some(p), Some(q)) => p
            .iter()
            .zip(q)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max),
        (None, None) => 0.0,
        _ => panic!("one response has phase, the other not"),
    };
    (db, phase)
}

/// Recursively: no number in the JSON is missing where the fit record
/// holds a plain number (serde_json writes NaN and infinity as null).
fn assert_no_null_numbers(v: &serde_json::Value, at: &str) {
    // Option fields that may legitimately be null.
    const MAY_BE_NULL: [&str; 16] = [
        "reference",
        "clock",
        "target",
        "config",
        "bass_loss_db",
        "leak_corner_hz",
        "leak_fit",
        "minus3db_hz",
        "phase_deg",
        "quick",
        "isolation",
        "recording",
        "material",
        "size",
        "brand",
        "preset",
    ];
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                if x.is_null() {
                    assert!(MAY_BE_NULL.contains(&k.as_str()), "{at}.{k} is null");
                }
                assert_no_null_numbers(x, &format!("{at}.{k}"));
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                assert!(!x.is_null(), "{at}[{i}] is null");
                assert_no_null_numbers(x, &format!("{at}[{i}]"));
            }
        }
        serde_json::Value::Number(n) => {
            assert!(n.as_f64().is_some_and(f64::is_finite), "{at} = {n}");
        }
        _ => {}
    }
}

// ------------------------------------------------------------ real REW files

#[test]
fn every_real_rew_file_imports_and_exports_back_within_a_thousandth_of_a_db() {
    let fx = Fixture::new();
    fx.copy_rew(&REW_FILES);
    let out = fx.import(&REW_FILES, "s", &[]);
    let err = stderr(&out);
    assert!(
        err.contains(
            "imported 'chu_spring_L.txt' as tip 'chu_spring' fit 1, left ear (480 points)"
        ),
        "{err}"
    );
    assert!(err.contains("compare with: tipfit compare s"), "{err}");
    let s = fx.load("s");
    let (mut worst_db, mut worst_phase) = (0.0f64, 0.0f64);
    for name in REW_FILES {
        let original = rew::read(&data(name)).unwrap();
        assert_eq!(original.freq_hz.len(), 480, "{name}");
        assert!(original.phase_deg.is_some(), "{name}: the phase column");
        let tip_name = name.strip_suffix("_L.txt").unwrap();
        let tip = s.info.tips.iter().find(|t| t.name == tip_name).unwrap();
        let fits = fits_of(&s, tip_name);
        assert_eq!(fits.len(), 1, "{name}");
        assert_eq!(fits[0].source.as_deref(), Some(name));
        let mean = tip_mean_response(&fits).unwrap();
        let text = rew_txt(
            tip,
            &s.info,
            &mean,
            fits.len(),
            Some(tipfit::analysis::LevelUnit::Spl),
        );
        let back = rew::parse(&text, Path::new("export.txt")).unwrap();
        let (db, phase) = max_diff(&back, &original);
        assert!(db <= 0.001, "{name}: {db} dB");
        assert!(phase <= 0.001, "{name}: {phase} degrees");
        worst_db = worst_db.max(db);
        worst_phase = worst_phase.max(phase);
    }
    eprintln!("worst round-trip error over 11 files: {worst_db} dB, {worst_phase} degrees");
}

#[test]
fn all_eleven_files_in_one_session_load_back_with_distinct_tips_and_no_nan() {
    let fx = Fixture::new();
    fx.copy_rew(&REW_FILES);
    fx.import(&REW_FILES, "s", &[]);
    let s = fx.load("s");
    assert_eq!(s.info.tips.len(), 11);
    let mut names: Vec<&str> = s.info.tips.iter().map(|t| t.name.as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 11, "{names:?}");
    let mut slugs: Vec<String> = s.info.tips.iter().map(|t| t.slug()).collect();
    slugs.sort();
    slugs.dedup();
    assert_eq!(slugs.len(), 11, "{slugs:?}");
    assert_eq!(s.fits.len(), 11);
    assert_eq!(s.info.imported_from, REW_FILES.to_vec());
    assert_eq!(s.info.rig, "imported");
    assert_eq!(s.info.ear, "left");
    assert_eq!(s.info.fits_per_tip, 1);
    // No NaN or infinity anywhere: every number is a finite number in the
    // JSON, and the stored seal metrics equal a fresh computation (a NaN in
    // an Option would have come back as None).
    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fx.path("s/session.json")).unwrap()).unwrap();
    assert_no_null_numbers(&info, "session");
    for tip in &s.info.tips {
        let path = store::fit_ear_json_path(&fx.path("s"), tip, 1, Some(Ear::Left));
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_no_null_numbers(&v, &path.display().to_string());
        let m = fits_of(&s, &tip.name)[0].seal.clone().unwrap();
        let points: Vec<(f64, f64, f64)> = m
            .frequency_response
            .points()
            .into_iter()
            .map(|(f, d)| (f, d, f64::INFINITY))
            .collect();
        let fresh = seal_metrics(&points, None, &SealConfig::default());
        // The same up to the last bit serde_json's float parsing may change.
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(1.0);
        let opt = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => close(a, b),
            (a, b) => a.is_none() && b.is_none(),
        };
        let (st, fr) = (&m.seal, &fresh);
        assert!(
            close(st.bass_db, fr.bass_db),
            "{}: {st:?} vs {fr:?}",
            tip.name
        );
        assert!(
            opt(st.bass_loss_db, fr.bass_loss_db),
            "{}: {st:?} vs {fr:?}",
            tip.name
        );
        assert!(
            opt(st.leak_corner_hz, fr.leak_corner_hz),
            "{}: {st:?} vs {fr:?}",
            tip.name
        );
        assert!(
            opt(
                st.leak_fit.as_ref().map(|f| f.f0_hz),
                fr.leak_fit.as_ref().map(|f| f.f0_hz)
            ),
            "{}: {st:?} vs {fr:?}",
            tip.name
        );
        assert_eq!(st.verdict, fr.verdict, "{}", tip.name);
        assert!(m.seal.bass_db.is_finite());
        assert_eq!(m.method, "imported");
        assert!(m.snr_db.is_finite());
        assert!(m.warnings[0].contains("no noise floor"), "{:?}", m.warnings);
    }
    // And the session is usable by `compare`.
    fx.ok(&["compare", "s"]);
}

#[test]
fn rew_header_variants_import_crlf_bom_latin1_plain_header_and_no_phase() {
    let fx = Fixture::new();
    let original = std::fs::read_to_string(data("chu_spring_L.txt")).unwrap();
    let reference = rew::parse(&original, Path::new("x")).unwrap();
    // CRLF line endings.
    fx.write("crlf.txt", original.replace('\n', "\r\n").as_bytes());
    // A byte-order mark.
    fx.write("bom.txt", format!("\u{feff}{original}").as_bytes());
    // The original Chu encoding: Latin-1 bytes on the `* Dated:` line (not UTF-8).
    let latin1: Vec<u8> = original
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect();
    assert!(std::str::from_utf8(&latin1).is_err());
    fx.write("latin1.txt", &latin1);
    // An uncommented column header, no comments.
    let data_lines: Vec<&str> = original.lines().filter(|l| !l.starts_with('*')).collect();
    fx.write(
        "plain.txt",
        format!(
            "Freq(Hz) SPL(dB) Phase(degrees)\n{}\n",
            data_lines.join("\n")
        )
        .as_bytes(),
    );
    // Two columns (squig.link style), space separated.
    let two: Vec<String> = data_lines
        .iter()
        .map(|l| l.split('\t').take(2).collect::<Vec<_>>().join(" "))
        .collect();
    fx.write("nophase.txt", format!("{}\n", two.join("\n")).as_bytes());
    let files = [
        "crlf.txt",
        "bom.txt",
        "latin1.txt",
        "plain.txt",
        "nophase.txt",
    ];
    // The same data in five encodings: duplicates, imported on purpose.
    fx.import(&files, "s", &["--allow-duplicates"]);
    let s = fx.load("s");
    assert_eq!(s.info.tips.len(), 5);
    for f in files {
        let tip = f.strip_suffix(".txt").unwrap();
        let fits = fits_of(&s, tip);
        let m = &fits[0].seal.as_ref().unwrap().frequency_response;
        assert_eq!(m.freq_hz, reference.freq_hz, "{f}");
        assert_eq!(m.db, reference.db, "{f}");
        if f == "nophase.txt" {
            assert_eq!(m.phase_deg, None);
        } else {
            assert_eq!(m.phase_deg, reference.phase_deg, "{f}");
        }
    }
}

#[test]
fn squig_link_file_names_give_iem_tip_and_ear() {
    let fx = Fixture::new();
    fx.copy_rew_as(
        "chu_spring_L.txt",
        "Chu Sample 1 (Spring Tips, by THX™) R.txt",
    );
    fx.copy_rew_as(
        "calla_final-e_L.txt",
        "CALLA Sample 1 (by 냥냐냥) (Final E Tips) R.txt",
    );
    fx.import(
        &[
            "Chu Sample 1 (Spring Tips, by THX™) R.txt",
            "CALLA Sample 1 (by 냥냐냥) (Final E Tips) R.txt",
        ],
        "s",
        &[],
    );
    let s = fx.load("s");
    assert_eq!(s.info.iem, "Chu Sample 1");
    assert_eq!(s.info.ear, "right");
    let names: Vec<&str> = s.info.tips.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, vec!["Spring Tips", "Final E Tips"]);
}

#[test]
fn non_ascii_tip_names_get_distinct_folders_and_load_back() {
    let fx = Fixture::new();
    fx.copy_rew_as("calla_spring_L.txt", "CALLA (스프링) L.txt");
    fx.copy_rew_as("calla_final-e_L.txt", "CALLA (파이널 E) L.txt");
    fx.copy_rew_as("calla_stock_L.txt", "CALLA (기본) L.txt");
    let files = [
        "CALLA (스프링) L.txt",
        "CALLA (파이널 E) L.txt",
        "CALLA (기본) L.txt",
    ];
    let out = fx.import(&files, "s", &["--iem", "칼라"]);
    assert!(
        stderr(&out).contains("as tip '스프링' fit 1"),
        "{}",
        stderr(&out)
    );
    let s = fx.load("s");
    assert_eq!(s.info.iem, "칼라");
    assert_eq!(s.info.tips.len(), 3);
    assert_eq!(s.fits.len(), 3);
    let mut slugs: Vec<String> = s.info.tips.iter().map(|t| t.slug()).collect();
    slugs.sort();
    slugs.dedup();
    assert_eq!(slugs.len(), 3, "{:?}", s.info.tips);
    assert_eq!(s.info.tips[0].name, "스프링");
    assert!(
        s.info.tips[1].name.starts_with("파이널 E"),
        "{:?}",
        s.info.tips
    );
    // Each tip holds its own file.
    for (tip, file) in s.info.tips.iter().zip(files) {
        assert_eq!(fits_of(&s, &tip.name)[0].source.as_deref(), Some(file));
    }
    // Importing the first file again is refused; with --allow-duplicates
    // it appends a fit to the same tip.
    let err = fx.fails(&["import", files[0], "--into", "s"]);
    assert!(
        err.contains("already in the session") && err.contains("--allow-duplicates"),
        "{err}"
    );
    let out = fx.import(&files[..1], "s", &["--allow-duplicates"]);
    assert!(
        stderr(&out).contains("as tip '스프링' fit 2"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fx.load("s").fits.len(), 4);
}

// ------------------------------------------------------------ AutoEq

#[test]
fn autoeq_csv_with_extra_columns_round_trips_through_import_and_export() {
    let fx = Fixture::new();
    let original = rew::read(&data("as16_stock_L.txt")).unwrap();
    let mut csv = String::from(
        "frequency,raw,error,smoothed,error_smoothed,equalization,parametric_eq,fixed_band_eq,equalized_raw,equalized_smoothed,target\n",
    );
    for (f, d) in original.points() {
        csv.push_str(&format!(
            "{f:.2},{:.2},,{:.2},,-1.5,,,,,{:.1}\n",
            d - 80.0,
            d - 79.0,
            3.0
        ));
    }
    fx.write("as16.csv", csv.as_bytes());
    let out = fx.import(&["as16.csv"], "s", &[]);
    assert!(
        stderr(&out).contains("imported 'as16.csv' as tip 'as16' fit 1 (480 points)"),
        "{}",
        stderr(&out)
    );
    let s = fx.load("s");
    let fits = fits_of(&s, "as16");
    let stored = &fits[0].seal.as_ref().unwrap().frequency_response;
    let parsed = autoeq::parse(&csv, Path::new("as16.csv")).unwrap();
    assert_eq!(stored, &parsed, "stored unchanged");
    assert_eq!(stored.phase_deg, None);
    let exported = autoeq_csv(&tip_mean_response(&fits).unwrap());
    assert!(exported.starts_with("frequency,raw\n"), "{exported}");
    let back = autoeq::parse(&exported, Path::new("export.csv")).unwrap();
    let (db, _) = max_diff(&back, &parsed);
    assert!(db <= 0.001, "{db} dB");
    // And the exported CSV imports again as a second fit.
    fx.write("as16-export.csv", exported.as_bytes());
    // Its own export read back is the same response: a duplicate on purpose.
    fx.import(
        &["as16-export.csv"],
        "s",
        &["--tip", "as16", "--allow-duplicates"],
    );
    let s = fx.load("s");
    let fits = fits_of(&s, "as16");
    assert_eq!(fits.len(), 2);
    let (db, _) = max_diff(&tip_mean_response(&fits).unwrap(), &parsed);
    assert!(db <= 0.001, "{db} dB");
}

// ------------------------------------------------------------ tips and fits

#[test]
fn tip_option_puts_files_as_successive_fits_and_reimport_appends() {
    let fx = Fixture::new();
    fx.copy_rew(&REW_FILES[8..]);
    let chu = [
        "chu_final-e_L.txt",
        "chu_softears-uc_L.txt",
        "chu_spring_L.txt",
    ];
    let out = fx.import(&chu, "s", &["--tip", "Spinfit W1 M", "--iem", "Chu"]);
    let err = stderr(&out);
    for (i, f) in chu.iter().enumerate() {
        let line = format!(
            "imported '{f}' as tip 'Spinfit W1 M' fit {}, left ear (480 points)",
            i + 1
        );
        assert!(err.contains(&line), "{err}");
    }
    let s = fx.load("s");
    assert_eq!(s.info.iem, "Chu");
    assert_eq!(s.info.tips.len(), 1);
    assert_eq!(s.info.fits_per_tip, 3);
    let fits = fits_of(&s, "Spinfit W1 M");
    assert_eq!(
        fits.iter().map(|f| f.fit).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(fits[1].source.as_deref(), Some("chu_softears-uc_L.txt"));
    // The mean of three fits has no phase, and lies between them.
    let mean = tip_mean_response(&fits).unwrap();
    assert_eq!(mean.phase_deg, None);
    let text = rew_txt(
        &s.info.tips[0],
        &s.info,
        &mean,
        fits.len(),
        Some(tipfit::analysis::LevelUnit::Spl),
    );
    assert!(text.contains("* Levels: dB SPL (as imported)"), "{text}");
    assert!(text.contains("mean of 3 fits"), "{text}");
    // Again into the same session: refused, the files are already there;
    // with --allow-duplicates fits 4 and 5, said as warnings naming them; a
    // file without --tip adds a tip.
    let err = fx.fails(&[
        "import",
        chu[0],
        chu[1],
        "--into",
        "s",
        "--tip",
        "Spinfit W1 M",
    ]);
    assert!(
        err.contains(chu[0]) && err.contains("already in the session"),
        "{err}"
    );
    let out = fx.import(
        &chu[..2],
        "s",
        &["--tip", "Spinfit W1 M", "--allow-duplicates"],
    );
    assert!(
        stderr(&out).contains(&format!(
            "warning: {}: the same response as tip 'Spinfit W1 M' fit 1",
            chu[0]
        )),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("fit 5, left ear (480 points)"),
        "{}",
        stderr(&out)
    );
    fx.import(&["chu_spring_L.txt"], "s", &["--allow-duplicates"]);
    let s = fx.load("s");
    assert_eq!(s.info.iem, "Chu", "an existing session keeps its IEM");
    assert_eq!(s.info.fits_per_tip, 5);
    assert_eq!(fits_of(&s, "Spinfit W1 M").len(), 5);
    assert_eq!(fits_of(&s, "chu_spring").len(), 1);
    assert_eq!(s.info.imported_from.len(), 6);
}

/// `chu_spring_L` and `chu_spring_R` are the two ears of one fit, not two
/// fits (which would fake a fit-to-fit spread out of two ears).
#[test]
fn left_and_right_file_of_a_tip_are_two_ears_of_one_fit() {
    let fx = Fixture::new();
    fx.copy_rew(&["chu_spring_L.txt"]);
    fx.copy_rew_as("chu_final-e_L.txt", "chu_spring_R.txt");
    let out = fx.import(&["chu_spring_L.txt", "chu_spring_R.txt"], "s", &[]);
    let err = stderr(&out);
    assert!(
        err.contains("'chu_spring_L.txt' as tip 'chu_spring' fit 1, left ear"),
        "{err}"
    );
    assert!(
        err.contains("'chu_spring_R.txt' as tip 'chu_spring' fit 1, right ear"),
        "{err}"
    );
    let s = fx.load("s");
    assert_eq!(s.info.tips.len(), 1);
    assert_eq!(s.info.fits_per_tip, 1);
    assert_eq!(s.info.ear, "both");
}

#[test]
fn imported_fits_are_judged_against_the_session_reference() {
    let fx = Fixture::new();
    let sealed = rew::read(&data("chu_spring_L.txt")).unwrap();
    let opts = ImportOptions::default();
    import_files(&[data("chu_spring_L.txt")], &fx.path("s"), &opts).unwrap();
    // Give the session a reference response (the same IEM, sealed).
    let path = fx.path("s/session.json");
    let mut info: tipfit::session::model::SessionInfo =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    info.reference = Some(sealed);
    std::fs::write(&path, serde_json::to_string_pretty(&info).unwrap()).unwrap();
    // The same response 1 dB louder (the same file again would be refused
    // as a duplicate): aligned in the reference band, it loses no bass.
    let louder: String = std::fs::read_to_string(data("chu_spring_L.txt"))
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            match (
                f.first().and_then(|x| x.parse::<f64>().ok()),
                f.get(1).and_then(|x| x.parse::<f64>().ok()),
            ) {
                (Some(hz), Some(db)) => format!("{hz}\t{}\n", db + 1.0),
                _ => format!("{l}\n"),
            }
        })
        .collect();
    let copy = fx.write("chu_spring_L.txt", louder);
    let done = import_files(&[copy], &fx.path("s"), &opts)
        .unwrap()
        .imported;
    assert_eq!(
        (done[0].tip.as_str(), done[0].fit, done[0].points),
        ("chu_spring", 2, 480)
    );
    let s = fx.load("s");
    let fits = fits_of(&s, "chu_spring");
    assert_eq!(fits[0].seal.as_ref().unwrap().seal.bass_loss_db, None);
    let loss = fits[1].seal.as_ref().unwrap().seal.bass_loss_db.unwrap();
    assert!(loss.abs() < 1e-9, "the same response loses no bass: {loss}");
}

#[test]
fn response_starting_above_20_hz_imports_without_nan() {
    let fx = Fixture::new();
    let r = rew::read(&data("calla_spring_L.txt")).unwrap();
    let mut text = String::new();
    for (f, d) in r.points().into_iter().filter(|p| p.0 >= 60.0) {
        text.push_str(&format!("{f}\t{d}\n"));
    }
    fx.write("from60.txt", text.as_bytes());
    fx.import(&["from60.txt"], "s", &[]);
    let s = fx.load("s");
    let m = s.fits[0].seal.as_ref().unwrap();
    assert!(m.seal.bass_db.is_finite());
    let v: serde_json::Value = serde_json::from_slice(
        &std::fs::read(store::fit_json_path(&fx.path("s"), &s.info.tips[0], 1)).unwrap(),
    )
    .unwrap();
    assert_no_null_numbers(&v, "fit");
}

// ------------------------------------------------------------ bad input

#[test]
fn bad_line_fails_naming_file_and_line_and_leaves_the_session_unchanged() {
    let fx = Fixture::new();
    fx.copy_rew(&["chu_spring_L.txt", "chu_final-e_L.txt"]);
    fx.import(&["chu_spring_L.txt"], "s", &[]);
    let before = fx.snapshot("s");
    let mut text = std::fs::read_to_string(data("calla_stock_L.txt")).unwrap();
    text = text.replacen("20.600000\t76.867", "20.600000\tabc", 1);
    fx.write("bad.txt", text.as_bytes());
    // The good file comes first: it must not be written either.
    let out = fx.run(&["import", "chu_final-e_L.txt", "bad.txt", "--into", "s"]);
    assert_one_error(&out, &["bad.txt:16", "level 'abc' is not a finite number"]);
    assert_eq!(fx.snapshot("s"), before, "the session changed");
    assert_eq!(fx.load("s").fits.len(), 1);
    // Into a new folder: it is not even created.
    let out = fx.run(&["import", "chu_final-e_L.txt", "bad.txt", "--into", "new"]);
    assert_one_error(&out, &["bad.txt:16"]);
    assert!(!fx.path("new").exists());
    // A bad AutoEq line is named the same way.
    fx.write("bad.csv", b"frequency,raw,target\n20,1,0\n30,,0\n");
    let out = fx.run(&["import", "bad.csv", "--into", "s"]);
    assert_one_error(&out, &["bad.csv:3", "level ('raw') is empty"]);
    assert_eq!(fx.snapshot("s"), before, "the session changed");
}

#[test]
fn missing_file_is_named_and_nothing_is_written() {
    let fx = Fixture::new();
    fx.copy_rew(&["chu_spring_L.txt"]);
    let out = fx.run(&["import", "chu_spring_L.txt", "nope.txt", "--into", "s"]);
    assert_one_error(&out, &["nope.txt", "cannot read"]);
    assert!(!fx.path("s").exists());
}

#[test]
fn response_without_a_bass_band_is_refused_naming_the_file() {
    let fx = Fixture::new();
    fx.write("mid.txt", b"200\t1\n1000\t2\n5000\t3\n");
    let out = fx.run(&["import", "mid.txt", "--into", "s"]);
    assert_one_error(&out, &["mid.txt", "bass band 20-100 Hz"]);
    assert!(!fx.path("s").exists());
}

#[test]
fn into_a_file_is_refused() {
    let fx = Fixture::new();
    fx.copy_rew(&["chu_spring_L.txt"]);
    fx.write("notes.txt", b"hello");
    let out = fx.run(&["import", "chu_spring_L.txt", "--into", "notes.txt"]);
    assert_one_error(&out, &["notes.txt", "is a file, not a folder"]);
    assert_eq!(std::fs::read(fx.path("notes.txt")).unwrap(), b"hello");
}

#[test]
fn into_a_non_empty_folder_that_is_not_a_session_is_refused() {
    let fx = Fixture::new();
    fx.copy_rew(&["chu_spring_L.txt"]);
    std::fs::create_dir(fx.path("stuff")).unwrap();
    fx.write("stuff/keep.txt", b"mine");
    let out = fx.run(&["import", "chu_spring_L.txt", "--into", "stuff"]);
    assert_one_error(&out, &["stuff", "not empty and is not a session"]);
    assert_eq!(fx.snapshot("stuff").len(), 1);
}

#[cfg(unix)]
#[test]
fn into_an_unwritable_folder_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let fx = Fixture::new();
    fx.copy_rew(&["chu_spring_L.txt"]);
    std::fs::create_dir(fx.path("ro")).unwrap();
    std::fs::set_permissions(fx.path("ro"), std::fs::Permissions::from_mode(0o555)).unwrap();
    let writable = std::fs::write(fx.path("ro/probe"), b"x").is_ok();
    let (into, needles): (String, Vec<&str>) = if !writable {
        ("ro".into(), vec!["ro", "not writable"])
    } else if Path::new("/sys/kernel").is_dir() {
        // Root writes anywhere: use a folder no one can create.
        (
            "/sys/tipfit-import-test".into(),
            vec!["/sys/tipfit-import-test", "cannot create"],
        )
    } else {
        eprintln!("skipped: running as a user that writes everywhere");
        return;
    };
    let out = fx.run(&["import", "chu_spring_L.txt", "--into", &into]);
    assert_one_error(&out, &needles);
    let _ = std::fs::set_permissions(fx.path("ro"), std::fs::Permissions::from_mode(0o755));
}

#[test]
fn no_nan_reaches_json_for_a_reference_missing_the_bass_band() {
    // A session whose reference starts at 200 Hz: the bass loss cannot be
    // computed; it is left out instead of stored as NaN.
    let fx = Fixture::new();
    import_files(
        &[data("as16_stock_L.txt")],
        &fx.path("s"),
        &ImportOptions::default(),
    )
    .unwrap();
    let path = fx.path("s/session.json");
    let mut info: tipfit::session::model::SessionInfo =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let full = rew::read(&data("as16_stock_L.txt")).unwrap();
    let keep: Vec<usize> = (0..full.freq_hz.len())
        .filter(|&i| full.freq_hz[i] >= 200.0)
        .collect();
    info.reference = Some(FrequencyResponse {
        freq_hz: keep.iter().map(|&i| full.freq_hz[i]).collect(),
        db: keep.iter().map(|&i| full.db[i]).collect(),
        phase_deg: None,
    });
    std::fs::write(&path, serde_json::to_string_pretty(&info).unwrap()).unwrap();
    import_files(
        &[data("as16_spring_L.txt")],
        &fx.path("s"),
        &ImportOptions::default(),
    )
    .unwrap();
    let s = fx.load("s");
    let spring = fits_of(&s, "as16_spring")[0].seal.clone().unwrap();
    assert!(spring.seal.bass_db.is_finite());
    assert!(
        spring.warnings.iter().any(|w| w.contains("reference")),
        "{:?}",
        spring.warnings
    );
    let v: serde_json::Value = serde_json::from_slice(
        &std::fs::read(store::fit_ear_json_path(
            &fx.path("s"),
            &s.info.tips[1],
            1,
            Some(Ear::Left),
        ))
        .unwrap(),
    )
    .unwrap();
    assert_no_null_numbers(&v, "fit");
}

/// The same response imported twice is refused by name, in one import and
/// into a session that holds it, and nothing is written.
#[test]
fn a_file_already_imported_is_refused_by_name() {
    let fx = Fixture::new();
    fx.copy_rew(&["chu_spring_L.txt"]);
    fx.copy_rew_as("chu_spring_L.txt", "copy of spring_L.txt");
    let err = fx.fails(&[
        "import",
        "chu_spring_L.txt",
        "copy of spring_L.txt",
        "--into",
        "s",
    ]);
    assert!(
        err.contains("copy of spring_L.txt")
            && err.contains("the same response as")
            && err.contains("chu_spring_L.txt"),
        "{err}"
    );
    assert!(!fx.path("s").exists(), "nothing written");
    fx.import(&["chu_spring_L.txt"], "s", &[]);
    let before = fx.snapshot("s");
    let err = fx.fails(&["import", "copy of spring_L.txt", "--into", "s"]);
    assert!(
        err.contains("copy of spring_L.txt")
            && err.contains("already in the session")
            && err.contains("imported from chu_spring_L.txt"),
        "{err}"
    );
    assert_eq!(fx.snapshot("s"), before, "the session is unchanged");
}

/// Files of one IEM named the plain way share a prefix: the session is
/// named after it and the tips after the rest; a squig.link name of
/// another IEM is warned about by file.
#[test]
fn the_iem_is_the_files_common_name_and_another_iem_is_warned_about() {
    let fx = Fixture::new();
    fx.copy_rew(&["chu_spring_L.txt", "chu_final-e_L.txt"]);
    let out = fx.import(&["chu_spring_L.txt", "chu_final-e_L.txt"], "s", &[]);
    let err = stderr(&out);
    assert!(err.contains("IEM 'chu', the files' common name"), "{err}");
    let s = fx.load("s");
    assert_eq!(s.info.iem, "chu");
    let tips: Vec<&str> = s.info.tips.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(tips, ["spring", "final-e"]);
    // --iem overrides.
    let out = fx.import(&["chu_spring_L.txt"], "t", &["--iem", "Moondrop Chu"]);
    assert!(!stderr(&out).contains("common name"));
    assert_eq!(fx.load("t").info.iem, "Moondrop Chu");
    // A squig.link file of another IEM: imported with a warning naming it.
    fx.copy_rew_as("as16_stock_L.txt", "AS16 Pro (Stock) L.txt");
    let out = fx.import(&["AS16 Pro (Stock) L.txt"], "s", &[]);
    let err = stderr(&out);
    assert!(
        err.contains("warning: AS16 Pro (Stock) L.txt: the file name says IEM 'AS16 Pro', the session is 'chu'"),
        "{err}"
    );
    // squig.link names of one IEM name the session.
    fx.copy_rew_as("chu_spring_L.txt", "Chu (Spring Tips) L.txt");
    fx.copy_rew_as("chu_final-e_L.txt", "Chu (Final E) L.txt");
    let out = fx.import(
        &["Chu (Spring Tips) L.txt", "Chu (Final E) L.txt"],
        "u",
        &[],
    );
    assert!(
        stderr(&out).contains("IEM 'Chu', as the file names say"),
        "{}",
        stderr(&out)
    );
    let u = fx.load("u");
    assert_eq!(u.info.iem, "Chu");
    let tips: Vec<&str> = u.info.tips.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(tips, ["Spring Tips", "Final E"]);
}

/// Imported REW text keeps its unit, dB SPL (AutoEq's raw: dB), stored
/// with the fit.
#[test]
fn imported_responses_keep_their_unit() {
    let fx = Fixture::new();
    fx.copy_rew(&["chu_spring_L.txt"]);
    fx.import(&["chu_spring_L.txt"], "s", &[]);
    let s = fx.load("s");
    let m = fits_of(&s, "chu_spring")[0].seal.clone().unwrap();
    assert_eq!(m.unit(), tipfit::analysis::LevelUnit::Spl);
    let v: serde_json::Value = serde_json::from_slice(
        &std::fs::read(store::fit_ear_json_path(
            &fx.path("s"),
            &s.info.tips[0],
            1,
            Some(Ear::Left),
        ))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(v["seal"]["level_unit"], "dB SPL", "{}", v["seal"]);
    // The report says so.
    fx.ok(&["report", "s", "--out", "r"]);
    let html = String::from_utf8(fx.read("r/report.html")).unwrap();
    assert!(html.contains("Levels of the responses: dB SPL, as imported."));
    let export = std::fs::read_dir(fx.path("r/exports"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .expect("the tip's REW export");
    assert!(
        export.contains("* Levels: dB SPL (as imported)"),
        "{export}"
    );
    fx.write(
        "eq.csv",
        "frequency,raw\n20,1.0\n50,0.5\n100,0.2\n500,0.0\n1000,0.0\n",
    );
    fx.import(&["eq.csv"], "a", &[]);
    let a = fx.load("a");
    let m = a.fits[0].seal.clone().unwrap();
    assert_eq!(m.unit(), tipfit::analysis::LevelUnit::Relative);
}
