//! Microphone calibration files (REW / miniDSP layouts): the fixtures in
//! tests/data/miccal, interpolation of the correction, applying it to a
//! response, and a parser fuzz.

use proptest::prelude::*;
use std::path::{Path, PathBuf};
use tipfit::analysis::FrequencyResponse;
use tipfit::formats::miccal::{self, MicCal};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/miccal")
        .join(name)
}

fn read_ok(name: &str) -> MicCal {
    miccal::read(&fixture(name)).unwrap_or_else(|e| panic!("{e}"))
}

/// The error message of a malformed fixture, with the folder cut off so it
/// starts with `file:line:`.
fn read_err(name: &str) -> (usize, String) {
    let e = miccal::read(&fixture(name)).unwrap_err();
    let dir = format!(
        "{}/",
        fixture("").display().to_string().trim_end_matches('/')
    );
    let msg = e.to_string();
    let msg = msg.strip_prefix(&dir).unwrap_or(&msg).to_string();
    (e.line, msg)
}

#[test]
fn umik1_style_file() {
    let c = read_ok("umik1-style.txt");
    assert_eq!(c.freq_hz.len(), 22);
    assert_eq!(c.gain_db.len(), 22);
    assert_eq!(c.phase_deg, None);
    assert_eq!(c.freq_hz[0], 10.0);
    assert_eq!(c.freq_hz[3], 31.5);
    assert_eq!(*c.freq_hz.last().unwrap(), 20000.0);
    assert_eq!(c.gain_db[0], -4.2);
    assert_eq!(c.gain_db[12], 0.0); // 1 kHz
    assert_eq!(*c.gain_db.last().unwrap(), -1.5);
    assert_eq!(c.sens_factor_db, Some(-0.9));
    assert_eq!(c.serial.as_deref(), Some("7000000"));
}

#[test]
fn rew_style_file_with_phase() {
    let c = read_ok("rew-style-with-phase.cal");
    assert_eq!(c.freq_hz.len(), 10);
    assert_eq!(c.freq_hz[..3], [20.0, 50.0, 100.0]);
    assert_eq!(c.gain_db[..3], [-1.5, -0.5, -0.2]);
    let phase = c.phase_deg.as_ref().unwrap();
    assert_eq!(phase.len(), 10);
    assert_eq!(phase[0], 12.0);
    assert_eq!(phase[9], -40.0);
    assert_eq!(c.sens_factor_db, Some(-1.25));
    assert_eq!(c.serial, None);
}

#[test]
fn crlf_bom_latin1_file() {
    let c = read_ok("crlf-bom.txt");
    assert_eq!(c.freq_hz, vec![20.0, 200.0, 2000.0, 20000.0]);
    assert_eq!(c.gain_db, vec![-1.0, 0.0, 0.5, -2.0]);
    assert_eq!(c.phase_deg, None);
    assert_eq!(c.sens_factor_db, Some(0.4));
    assert_eq!(c.serial.as_deref(), Some("8000001"));
}

#[test]
fn comma_separated_file() {
    let c = read_ok("commas.csv");
    assert_eq!(c.freq_hz, vec![20.0, 100.0, 1000.0, 10000.0, 20000.0]);
    assert_eq!(c.gain_db, vec![-0.8, -0.1, 0.0, 1.2, 0.4]);
    assert_eq!(c.sens_factor_db, Some(-2.5));
    assert_eq!(c.serial, None);
}

#[test]
fn bad_number_file_names_its_line() {
    assert_eq!(
        read_err("bad-number.txt"),
        (
            4,
            "bad-number.txt:4: gain '-0.l' is not a finite number".into()
        )
    );
}

#[test]
fn descending_file_names_its_line() {
    assert_eq!(
        read_err("descending.txt"),
        (
            5,
            "descending.txt:5: frequency 500 Hz does not rise above the previous 1000 Hz".into()
        )
    );
}

#[test]
fn one_field_file_names_its_line() {
    let (line, msg) = read_err("one-field.txt");
    assert_eq!(line, 4);
    assert!(msg.starts_with("one-field.txt:4: "), "{msg}");
}

#[test]
fn mixed_phase_file_names_its_line() {
    let (line, msg) = read_err("mixed-phase.txt");
    assert_eq!(line, 4);
    assert!(
        msg.starts_with("mixed-phase.txt:4: phase column missing"),
        "{msg}"
    );
}

#[test]
fn missing_file_is_a_line_0_error() {
    let (line, msg) = read_err("no-such-file.txt");
    assert_eq!(line, 0);
    assert!(msg.starts_with("no-such-file.txt:0: cannot read"), "{msg}");
}

#[test]
fn correction_exact_at_points_log_interpolated_between_held_beyond() {
    let c = read_ok("umik1-style.txt");
    for (f, g) in c.freq_hz.iter().zip(&c.gain_db) {
        assert_eq!(c.correction_db(*f), -g, "at {f} Hz");
    }
    // Between 10 Hz (-4.2) and 15 Hz (-2.6): log-frequency, not linear.
    let f = (10.0f64 * 15.0).sqrt();
    assert!((c.correction_db(f) - 3.4).abs() < 1e-12);
    let linear_mid = c.correction_db(12.5);
    let t = (12.5f64 / 10.0).ln() / 1.5f64.ln();
    assert!((linear_mid - (4.2 - t * 1.6)).abs() < 1e-12);
    assert!(linear_mid != 3.4);
    // Held beyond the ends.
    assert_eq!(c.correction_db(1.0), 4.2);
    assert_eq!(c.correction_db(5.0), 4.2);
    assert_eq!(c.correction_db(24_000.0), 1.5);
    assert_eq!(c.correction_db(96_000.0), 1.5);
}

#[test]
fn apply_to_flat_response_gives_minus_gain() {
    let c = read_ok("rew-style-with-phase.cal");
    let mut r = FrequencyResponse {
        freq_hz: c.freq_hz.clone(),
        db: vec![0.0; c.freq_hz.len()],
        phase_deg: Some(vec![0.0; c.freq_hz.len()]),
    };
    c.apply(&mut r);
    let minus_gain: Vec<f64> = c.gain_db.iter().map(|g| -g).collect();
    assert_eq!(r.db, minus_gain);
    let minus_phase: Vec<f64> = c.phase_deg.as_ref().unwrap().iter().map(|p| -p).collect();
    assert_eq!(r.phase_deg, Some(minus_phase));

    // Off the calibration points, a flat response takes the interpolated
    // correction; without cal phase the response phase stays.
    let c = read_ok("commas.csv");
    let freqs: Vec<f64> = (0..40).map(|i| 10.0 * 1.25f64.powi(i)).collect();
    let mut r = FrequencyResponse {
        freq_hz: freqs.clone(),
        db: vec![0.0; freqs.len()],
        phase_deg: Some(vec![7.0; freqs.len()]),
    };
    c.apply(&mut r);
    for (f, db) in freqs.iter().zip(&r.db) {
        assert_eq!(*db, c.correction_db(*f));
    }
    assert_eq!(r.phase_deg, Some(vec![7.0; freqs.len()]));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn parser_never_panics_and_errors_name_the_file(
        text in "[0-9eE\\.,;\\t \\-+a-zA-Z\"'=:*#\\r\\n\u{feff}\u{fffd}]{0,300}",
    ) {
        if let Err(e) = miccal::parse(&text, Path::new("cal.txt")) {
            prop_assert!(e.to_string().starts_with("cal.txt:"), "{}", e);
        }
    }

    #[test]
    fn parser_never_panics_on_header_like_lines(
        lines in proptest::collection::vec(
            "(\"?\\*?[Ss]ens [Ff]actor ?= ?[+-]?[0-9.]{0,4} ?(dB|DB|db)?,? ?(AGain ?= ?[0-9]{0,2}dB)?,? ?(SERNO:? ?[0-9a-z-]{0,8})?\"?|[0-9.+-]{0,6}[\\t ,;]{1,2}[0-9.eE+-]{0,6}([\\t ,;][0-9.-]{0,4})?)",
            0..12,
        ),
    ) {
        let text = lines.join("\n");
        match miccal::parse(&text, Path::new("h.txt")) {
            Ok(c) => {
                prop_assert!(c.freq_hz.len() >= 2);
                prop_assert_eq!(c.freq_hz.len(), c.gain_db.len());
                prop_assert!(c.freq_hz.windows(2).all(|w| w[0] < w[1]));
                prop_assert!(c.sens_factor_db.is_none_or(f64::is_finite));
            }
            Err(e) => prop_assert!(e.to_string().starts_with("h.txt:"), "{}", e),
        }
    }
}

/// `--mic-cal` on the command line: the microphone's bass boost is taken
/// out of the response before the seal metrics, and the result says so.
#[test]
fn mic_cal_on_the_command_line_corrects_the_response_and_seal_metrics() {
    let dir = tempfile::tempdir().unwrap();
    // A mic that reads 6 dB hot from 10 to 100 Hz, flat from 150 Hz up.
    let cal = dir.path().join("hot-bass.txt");
    std::fs::write(
        &cal,
        "\"Sens Factor =-0.5dB, SERNO: 7001234\"\n10 6.0\n100 6.0\n150 0.0\n20000 0.0\n",
    )
    .unwrap();
    let run = |extra: &[&str]| -> serde_json::Value {
        let out = assert_cmd::Command::cargo_bin("tipfit")
            .unwrap()
            .args(["measure", "--tip-preset", "foam", "--json"])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let plain = run(&[]);
    let corrected = run(&["--mic-cal", cal.to_str().unwrap()]);
    let at = |m: &serde_json::Value, f: f64| -> f64 {
        let fr: FrequencyResponse =
            serde_json::from_value(m["frequency_response"].clone()).unwrap();
        let i = fr
            .freq_hz
            .iter()
            .position(|x| *x >= f)
            .expect("frequency in range");
        fr.db[i]
    };
    // 6 dB lower at 50 Hz (within 0.01 dB), unchanged at 1 kHz.
    assert!(((at(&plain, 50.0) - at(&corrected, 50.0)) - 6.0).abs() < 0.01);
    assert!((at(&plain, 1000.0) - at(&corrected, 1000.0)).abs() < 0.01);
    // The seal metrics are computed after the correction: about 6 dB less bass.
    let bass = |m: &serde_json::Value| m["seal"]["bass_db"].as_f64().unwrap();
    let drop = bass(&plain) - bass(&corrected);
    assert!((drop - 6.0).abs() < 0.5, "bass dropped {drop} dB");
    assert!(corrected["calibration"]["mic_cal"]
        .as_str()
        .unwrap()
        .ends_with("hot-bass.txt"));
    // A bad line is named by number, and nothing is measured.
    std::fs::write(&cal, "10 6.0\n100 six\n").unwrap();
    let out = assert_cmd::Command::cargo_bin("tipfit")
        .unwrap()
        .args(["measure", "--mic-cal", cal.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("hot-bass.txt:2"), "{e}");
}
