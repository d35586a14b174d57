//! `tipfit calibrate` without a sound card: the SPL calibration from a
//! recording (`--from-wav`), the stored file, and a damaged file.

mod common;
use common::{tipfit, Fixture};

fn tone(rms_dbfs: f64, freq: f64, secs: f64) -> Vec<f32> {
    let a = 10f64.powf(rms_dbfs / 20.0) * 2f64.sqrt();
    (0..(secs * 48_000.0) as usize)
        .map(|i| (a * (2.0 * std::f64::consts::PI * freq * i as f64 / 48_000.0).sin()) as f32)
        .collect()
}

fn write(fx: &Fixture, name: &str, x: Vec<f32>) {
    tipfit::formats::wav::write_wav(
        &fx.path(name),
        &[x],
        48_000,
        tipfit::formats::wav::SampleFormat::F32,
        None,
    )
    .unwrap();
}

fn cmd(fx: &Fixture) -> assert_cmd::Command {
    let mut c = tipfit();
    c.current_dir(fx.dir.path())
        .env("TIPFIT_CONFIG_DIR", fx.path("cfg"));
    c
}

#[test]
fn spl_from_a_recording_is_stored_shown_and_cleared() {
    let fx = Fixture::new();
    // A 114 dB calibrator recorded at -20 dBFS RMS: 0 dBFS RMS = 134 dB SPL.
    write(&fx, "cal.wav", tone(-20.0, 1000.0, 3.0));
    let out = cmd(&fx)
        .args(["calibrate", "spl", "--spl", "114", "--from-wav", "cal.wav"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 dBFS RMS = 134.00 dB SPL"));
    let out = cmd(&fx)
        .args(["calibrate", "show", "--json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let offset = doc["calibration"]["spl"]["offset_db"].as_f64().unwrap();
    assert!((offset - 134.0).abs() < 0.02, "{offset}");
    let out = cmd(&fx).args(["calibrate", "show"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("SPL: 0 dBFS RMS = 134.0 dB SPL"));
    cmd(&fx).args(["calibrate", "clear"]).assert().success();
    assert!(!fx.path("cfg/calibration.json").exists());
}

#[test]
fn a_wrong_tone_or_a_damaged_file_is_refused_and_nothing_is_overwritten() {
    let fx = Fixture::new();
    write(&fx, "hum.wav", tone(-20.0, 50.0, 3.0));
    let out = cmd(&fx)
        .args(["calibrate", "spl", "--from-wav", "hum.wav"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("hum.wav") && e.contains("not 1000 Hz"), "{e}");
    std::fs::create_dir_all(fx.path("cfg")).unwrap();
    std::fs::write(fx.path("cfg/calibration.json"), "{ broken").unwrap();
    write(&fx, "cal.wav", tone(-26.0, 1000.0, 3.0));
    let out = cmd(&fx)
        .args(["calibrate", "spl", "--from-wav", "cal.wav"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("calibration.json") && e.contains("not a tipfit calibration file"),
        "{e}"
    );
    assert_eq!(
        std::fs::read_to_string(fx.path("cfg/calibration.json")).unwrap(),
        "{ broken"
    );
}
