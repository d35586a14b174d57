//! `tipfit isolation` and `measure --isolation` through the binary.

use assert_cmd::Command;
use std::path::Path;

fn tipfit(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("tipfit").unwrap();
    c.current_dir(dir);
    c
}

/// p-open.wav and p-occluded.wav (inner, outer) from the sim.
fn recordings(dir: &Path) {
    tipfit(dir)
        .args([
            "measure",
            "--tip-preset",
            "foam",
            "--duration",
            "1",
            "--isolation",
            "--save-isolation",
            "p",
        ])
        .assert()
        .success();
}

fn error_of(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(out.stdout.is_empty());
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn measure_isolation_json_has_both_methods_and_band_tables() {
    let dir = tempfile::tempdir().unwrap();
    let out = tipfit(dir.path())
        .args([
            "measure",
            "--tip-preset",
            "silicone-m",
            "--duration",
            "1",
            "--isolation",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for method in ["insertion_loss", "noise_reduction"] {
        for table in ["third_octave", "octave"] {
            let t = &doc["isolation"][method][table];
            let n = t["centre_hz"].as_array().unwrap().len();
            assert!(n >= 8, "{method} {table}");
            assert_eq!(t["attenuation_db"].as_array().unwrap().len(), n);
            assert_eq!(t["floor_limited"].as_array().unwrap().len(), n);
        }
    }
    assert_eq!(doc["isolation"]["octave"], serde_json::Value::Null);
    assert_eq!(
        doc["isolation"]["insertion_loss"]["octave"]["centre_hz"][0],
        63.0
    );
}

#[test]
fn saved_sim_recordings_give_the_same_isolation_through_the_isolation_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = tipfit(dir.path())
        .args([
            "measure",
            "--tip-preset",
            "foam",
            "--duration",
            "1",
            "--isolation",
            "--save-isolation",
            "p",
            "--json",
        ])
        .output()
        .unwrap();
    let measured: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let out = tipfit(dir.path())
        .args([
            "isolation",
            "--open",
            "p-open.wav",
            "--occluded",
            "p-occluded.wav",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let il: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        il["octave"]["attenuation_db"],
        measured["isolation"]["insertion_loss"]["octave"]["attenuation_db"]
    );
    let out = tipfit(dir.path())
        .args(["isolation", "--dual", "p-occluded.wav", "--json"])
        .output()
        .unwrap();
    let nr: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(nr["method"], "noise_reduction");
    assert_eq!(
        nr["octave"]["attenuation_db"],
        measured["isolation"]["noise_reduction"]["octave"]["attenuation_db"]
    );
}

#[test]
fn swapped_channels_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    recordings(dir.path());
    let err = error_of(tipfit(dir.path()).args([
        "isolation",
        "--dual",
        "p-occluded.wav",
        "--inner-channel",
        "2",
        "--outer-channel",
        "1",
    ]));
    assert!(
        err.contains("p-occluded.wav") && err.contains("channels swapped"),
        "{err}"
    );
}

#[test]
fn bad_channel_and_same_channel_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    recordings(dir.path());
    let err = error_of(tipfit(dir.path()).args([
        "isolation",
        "--dual",
        "p-occluded.wav",
        "--outer-channel",
        "3",
    ]));
    assert!(
        err.contains("p-occluded.wav") && err.contains("channel 3 does not exist"),
        "{err}"
    );
    let err = error_of(tipfit(dir.path()).args([
        "isolation",
        "--dual",
        "p-occluded.wav",
        "--outer-channel",
        "1",
    ]));
    assert!(err.contains("both 1"), "{err}");
}

#[test]
fn recordings_of_different_rates_or_lengths_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    recordings(dir.path());
    tipfit(dir.path())
        .args(["signal", "noise", "--rate", "44100", "--out", "n44.wav"])
        .assert()
        .success();
    let err = error_of(tipfit(dir.path()).args([
        "isolation",
        "--open",
        "n44.wav",
        "--occluded",
        "p-occluded.wav",
    ]));
    assert!(
        err.contains("n44.wav is at 44100 Hz") && err.contains("p-occluded.wav"),
        "{err}"
    );
    tipfit(dir.path())
        .args(["signal", "noise", "--duration", "3", "--out", "short.wav"])
        .assert()
        .success();
    let err = error_of(tipfit(dir.path()).args([
        "isolation",
        "--open",
        "p-open.wav",
        "--occluded",
        "short.wav",
    ]));
    assert!(err.contains("lasts") && err.contains("short.wav"), "{err}");
}

#[test]
fn too_short_recordings_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    tipfit(dir.path())
        .args(["signal", "noise", "--duration", "1", "--out", "a.wav"])
        .assert()
        .success();
    let err =
        error_of(tipfit(dir.path()).args(["isolation", "--open", "a.wav", "--occluded", "a.wav"]));
    assert!(err.contains("a.wav") && err.contains("at least"), "{err}");
}

#[test]
fn isolation_needs_a_method() {
    let dir = tempfile::tempdir().unwrap();
    let out = tipfit(dir.path()).args(["isolation"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = tipfit(dir.path())
        .args(["isolation", "--open", "x.wav"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn safe_listening_uses_presets_or_a_calibrated_recording() {
    let dir = tempfile::tempdir().unwrap();
    recordings(dir.path());
    let out = tipfit(dir.path())
        .args([
            "isolation",
            "--open",
            "p-open.wav",
            "--occluded",
            "p-occluded.wav",
            "--json",
        ])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let all = doc["safe_listening"].as_array().unwrap();
    assert_eq!(all.len(), 4);
    for s in all {
        let (ambient, eardrum) = (
            s["ambient_dba"].as_f64().unwrap(),
            s["eardrum_dba"].as_f64().unwrap(),
        );
        assert!(
            eardrum < ambient - 30.0,
            "foam must take off more than 30 dBA: {s}"
        );
        assert_eq!(s["music_dba"].as_f64().unwrap(), eardrum + 10.0);
    }
    // A pink-noise "street" recording at -20 dBFS RMS, calibrated so 0 dBFS = 100 dB SPL.
    tipfit(dir.path())
        .args(["signal", "noise", "--out", "street.wav"])
        .assert()
        .success();
    let out = tipfit(dir.path())
        .args([
            "isolation",
            "--dual",
            "p-occluded.wav",
            "--ambient-wav",
            "street.wav",
            "--ambient-calibration",
            "100",
            "--json",
        ])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &doc["safe_listening"][0];
    let ambient = s["ambient_dba"].as_f64().unwrap();
    assert!(
        ambient > 70.0 && ambient < 80.0,
        "80 dB SPL pink noise, A-weighted over 63-8000 Hz: {ambient}"
    );
    assert_eq!(s["preset"], "street.wav");
    let out = tipfit(dir.path())
        .args([
            "isolation",
            "--dual",
            "p-occluded.wav",
            "--ambient-wav",
            "street.wav",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "a recording needs its calibration"
    );
}

#[test]
fn measure_uses_the_sims_known_floor_and_shows_the_flags() {
    let dir = tempfile::tempdir().unwrap();
    let out = tipfit(dir.path())
        .args([
            "measure",
            "--tip-preset",
            "triple-flange",
            "--duration",
            "1",
            "--isolation",
            "--mic-floor",
            "-75",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for method in ["insertion_loss", "noise_reduction"] {
        let iso = &doc["isolation"][method];
        assert_eq!(iso["floor_correction"]["source"], "known", "{method}");
        let t = &iso["third_octave"];
        let n = t["centre_hz"].as_array().unwrap().len();
        assert_eq!(t["corrected"].as_array().unwrap().len(), n);
        assert_eq!(t["margin_db"].as_array().unwrap().len(), n);
    }
    let out = tipfit(dir.path())
        .args([
            "measure",
            "--tip-preset",
            "triple-flange",
            "--duration",
            "1",
            "--isolation",
            "--mic-floor",
            "-75",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    // With a raised floor some octave band is a bound, and the summary says
    // what the mark means.
    assert!(text.contains(">="), "{text}");
    assert!(
        text.contains("less than 6 dB above the noise floor"),
        "{text}"
    );
}
