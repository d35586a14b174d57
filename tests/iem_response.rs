//! `--iem-response FILE` (issue 18): the simulated IEM follows a measured
//! sealed response. The truth here is the file itself, read by this test's
//! own parser (not tipfit's), interpolated in log frequency and set to 0 dB
//! at 500 Hz-2 kHz like the measured response: a sealed measurement at the
//! nominal insertion must have the file's shape within what the fit says
//! it reached (its printed worst error) plus 0.3 dB (the measurement's own
//! accuracy, 0.2 dB in tests/accuracy.rs, and the interpolation between the
//! file's points).

mod common;

use common::{stderr, Fixture};
use std::path::PathBuf;

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/ecosystem")
        .join(rel)
}

/// `(Hz, dB)` lines of a REW / squig.link text or an AutoEq CSV: every line
/// whose first two fields (comma, tab or spaces) are numbers.
fn read_points(path: &PathBuf) -> Vec<(f64, f64)> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .filter_map(|l| {
            let mut it = l
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty());
            let f = it.next()?.parse::<f64>().ok()?;
            let d = it.next()?.parse::<f64>().ok()?;
            Some((f, d))
        })
        .collect()
}

fn interp(points: &[(f64, f64)], f: f64) -> f64 {
    let i = points
        .partition_point(|p| p.0 < f)
        .clamp(1, points.len() - 1);
    let ((f0, d0), (f1, d1)) = (points[i - 1], points[i]);
    let t = ((f / f0).ln() / (f1 / f0).ln()).clamp(0.0, 1.0);
    d0 + t * (d1 - d0)
}

fn mid_level(points: &[(f64, f64)]) -> f64 {
    let mids: Vec<f64> = points
        .iter()
        .filter(|p| (500.0..=2000.0).contains(&p.0))
        .map(|p| p.1)
        .collect();
    mids.iter().sum::<f64>() / mids.len() as f64
}

/// The fit's own statement: "... within R dB RMS, W dB at worst (F Hz)".
fn stated_worst(err: &str) -> f64 {
    let line = err
        .lines()
        .find(|l| l.contains("the simulated IEM follows"))
        .unwrap_or_else(|| panic!("no fit line: {err}"));
    let before = line.split(" dB at worst").next().unwrap();
    before.rsplit(' ').next().unwrap().parse().unwrap()
}

/// Measure `rel` sealed on `target`; check the measured shape against the
/// file within the fit's stated worst error + 0.3 dB. Returns the stated
/// worst error and the fit's line.
fn follows_within_stated(fx: &Fixture, rel: &str, target: &str) -> (f64, String) {
    let path = fixture(rel);
    let file = read_points(&path);
    let file_mid = mid_level(&file);
    let out = fx.ok(&[
        "measure",
        "--iem-response",
        path.to_str().unwrap(),
        "--sealed",
        "--sim-target",
        target,
        "--json",
    ]);
    let err = stderr(&out);
    let worst = stated_worst(&err);
    let m: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let fr = &m["frequency_response"];
    let measured: Vec<(f64, f64)> = fr["freq_hz"]
        .as_array()
        .unwrap()
        .iter()
        .zip(fr["db"].as_array().unwrap())
        .map(|(f, d)| (f.as_f64().unwrap(), d.as_f64().unwrap()))
        .collect();
    let m_mid = mid_level(&measured);
    let mut largest = (0.0f64, 0.0);
    for &(f, d) in measured.iter().filter(|p| (20.0..=16_000.0).contains(&p.0)) {
        let diff = (d - m_mid) - (interp(&file, f) - file_mid);
        if diff.abs() > largest.0.abs() {
            largest = (diff, f);
        }
    }
    eprintln!(
        "{rel} on {target}: largest {:.3} dB at {:.0} Hz (fit says {worst})",
        largest.0, largest.1
    );
    assert!(
        largest.0.abs() <= worst + 0.3,
        "{rel} on {target}: {:.2} dB at {:.0} Hz, the fit said {worst}",
        largest.0,
        largest.1
    );
    (worst, err)
}

#[test]
fn a_sealed_fit_has_the_shape_of_the_file_on_each_target() {
    let fx = Fixture::new();
    for rel in ["autoeq/Moondrop Aria.csv", "rew/7Hz Zero2 L.txt"] {
        for target in ["ideal", "coupler", "ear"] {
            let (worst, _) = follows_within_stated(&fx, rel, target);
            assert!(worst < 2.5, "{rel} on {target}: the fit says {worst} dB");
        }
    }
}

/// A file with a treble peak far above the sim's own IEM (B27: +19 dB re
/// its 500 Hz-2 kHz mean at 6.6 kHz) would clip the recording at the sim's
/// level: the level is lowered, said, and the shape still holds; its sharp
/// feature near 12.6 kHz is narrower than the narrowest filter, and the fit
/// says so in its worst error instead of hiding it.
#[test]
fn a_file_with_high_peaks_is_followed_without_clipping() {
    let fx = Fixture::new();
    let (worst, err) = follows_within_stated(&fx, "audiotools/B27 L.txt", "coupler");
    assert!(err.contains("its level lowered by"), "{err}");
    assert!(worst > 1.0, "B27's notch is not reached and said: {err}");
}

#[test]
fn a_session_and_the_demo_follow_a_file_and_say_so() {
    let fx = Fixture::new();
    std::fs::copy(fixture("rew/7Hz Zero2 L.txt"), fx.path("zero2.txt")).unwrap();
    fx.write(
        "s.toml",
        "iem = \"Zero2\"\nfits_per_tip = 1\n[measurements]\nisolation = false\n\
         [sim]\niem_response = \"zero2.txt\"\n[[tip]]\nname = \"Foam\"\npreset = \"foam\"\n",
    );
    let out = fx.ok(&["session", "run", "s.toml", "--out", "s", "--yes"]);
    assert!(
        stderr(&out).contains("the simulated IEM follows"),
        "{}",
        stderr(&out)
    );
    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fx.path("s/session.json")).unwrap()).unwrap();
    assert!(
        info["rig"]
            .as_str()
            .unwrap()
            .contains("IEM following zero2.txt"),
        "{info}"
    );
    // the demo names the IEM after the file it follows, in the session and the report
    fx.ok(&[
        "demo",
        "--fits",
        "1",
        "--out",
        "demo",
        "--iem-response",
        "zero2.txt",
    ]);
    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fx.path("demo/session/session.json")).unwrap())
            .unwrap();
    assert_eq!(info["iem"], "zero2 (simulated, tipfit demo)", "{info}");
    assert!(info["rig"]
        .as_str()
        .unwrap()
        .contains("IEM following zero2.txt"));
    let page = std::fs::read_to_string(fx.path("demo/report.html")).unwrap();
    assert!(page.contains("zero2 (simulated, tipfit demo)"));
    // a file that cannot be followed is refused before anything is made
    let e = fx.fails(&[
        "demo",
        "--fits",
        "1",
        "--out",
        "d",
        "--iem-response",
        fixture("frd-zma/sample.zma").to_str().unwrap(),
    ]);
    assert!(e.contains("impedance"), "{e}");
    assert!(!fx.path("d").exists());
    let e = fx.fails(&["measure", "--rig", "device", "--iem-response", "zero2.txt"]);
    assert!(e.contains("on a sound card the IEM is the real one"), "{e}");
    let e = fx.fails(&[
        "measure",
        "--iem-response",
        "zero2.txt",
        "--bass-shelf-db",
        "3",
    ]);
    assert!(e.contains("leave out --bass-shelf-db"), "{e}");
}
