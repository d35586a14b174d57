//! Isolation that checks itself (issue 15, item 3), through the binary:
//! swapped recordings refused, the noise-floor correction against signals
//! made here from numbers, no safe-listening estimate from a bad isolation.
//!
//! The signals: tones of known amplitude (multisines, a few per
//! third-octave band, well inside the band) for the outside noise, and
//! independent Gaussian white noise of known RMS for each mic's floor (an
//! xorshift generator and Box-Muller here, not tipfit's). The truth of a
//! band is then arithmetic: a tone of amplitude `a` has power `a^2 / 2`, and
//! white noise of RMS `s` holds `s^2 B / (fs / 2)` in a band of width `B`.

use assert_cmd::Command;
use serde_json::Value;
use std::f64::consts::PI;
use std::path::Path;
use tipfit::formats::wav::{write_wav, SampleFormat};

const RATE: u32 = 48_000;
const SECONDS: f64 = 12.0;
/// Each mic's white floor, RMS dBFS.
const FLOOR_DBFS: f64 = -70.0;
/// The true insertion loss in the test bands, dB.
const TRUE_IL_DB: f64 = 30.0;
/// Third-octave bands with a signal in the occluded recording, and its
/// margin over the floor as measured (signal + floor against floor), dB.
const MARGINS: [(i32, f64, f64); 5] = [
    // (index from 1 kHz, nominal Hz, margin dB)
    (-3, 500.0, 4.0),
    (0, 1000.0, 6.5),
    (3, 2000.0, 10.0),
    (6, 4000.0, 14.0),
    (9, 8000.0, 20.0),
];

fn tipfit(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("tipfit").unwrap();
    c.current_dir(dir);
    c
}

/// xorshift64* with Box-Muller: independent of tipfit's generators.
struct Gauss(u64);

impl Gauss {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let v = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        ((v >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn next(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * PI * v).cos()
    }
}

fn white(n: usize, rms_dbfs: f64, seed: u64) -> Vec<f64> {
    let s = 10f64.powf(rms_dbfs / 20.0);
    let mut g = Gauss(seed);
    (0..n).map(|_| s * g.next()).collect()
}

/// Exact third-octave band `k` (from 1 kHz) of IEC 61260 base 10: centre
/// and width, Hz.
fn band(k: i32) -> (f64, f64) {
    let centre = 1000.0 * 10f64.powf(0.1 * k as f64);
    (centre, centre * (10f64.powf(0.05) - 10f64.powf(-0.05)))
}

/// Expected power of the white floor in band `k`.
fn floor_power(k: i32) -> f64 {
    10f64.powf(FLOOR_DBFS / 10.0) * band(k).1 / (RATE as f64 / 2.0)
}

/// Add to `x` tones of total power `power` in band `k`: `count` tones
/// within +-6 % of the centre, random phases from `g`.
fn add_tones(x: &mut [f64], k: i32, power: f64, count: usize, g: &mut Gauss) {
    let (centre, _) = band(k);
    let amplitude = (2.0 * power / count as f64).sqrt();
    for j in 0..count {
        let f = centre * 10f64.powf(-0.025 + 0.05 * j as f64 / (count - 1) as f64);
        let w = 2.0 * PI * f / RATE as f64;
        let phase = 2.0 * PI * g.uniform();
        for (i, v) in x.iter_mut().enumerate() {
            *v += amplitude * (w * i as f64 + phase).sin();
        }
    }
}

/// Occluded signal power in a test band for a measured margin `m`.
fn occluded_power(k: i32, m: f64) -> f64 {
    floor_power(k) * (10f64.powf(m / 10.0) - 1.0)
}

struct Fixture {
    open: Vec<f64>,
    occluded: Vec<f64>,
    floor: Vec<f64>,
}

/// Open: tones in every third-octave band 25 Hz-16 kHz (-40 dBFS a band,
/// the test bands 30 dB above their occluded level); occluded: tones in the
/// test bands only; each with its own white floor; and a floor recording.
/// `lead_s` of floor alone first (the outside noise off).
fn fixture(lead_s: f64) -> Fixture {
    let n = (SECONDS * RATE as f64) as usize;
    let lead = (lead_s * RATE as f64) as usize;
    let mut g = Gauss(0x9E37_79B9_7F4A_7C15);
    let (mut open, mut occluded) = (vec![0.0; n], vec![0.0; n]);
    for k in -16..=12 {
        let test = MARGINS.iter().find(|(i, _, _)| *i == k);
        let power = match test {
            Some((_, _, m)) => occluded_power(k, *m) * 10f64.powf(TRUE_IL_DB / 10.0),
            None => 1e-4,
        };
        add_tones(&mut open, k, power, if k < -6 { 4 } else { 8 }, &mut g);
        if let Some((_, _, m)) = test {
            add_tones(&mut occluded, k, occluded_power(k, *m), 8, &mut g);
        }
    }
    let with_lead_and_floor = |x: Vec<f64>, seed: u64| -> Vec<f64> {
        let mut y = vec![0.0; lead];
        y.extend(x);
        y.iter()
            .zip(white(y.len(), FLOOR_DBFS, seed))
            .map(|(s, f)| s + f)
            .collect()
    };
    Fixture {
        open: with_lead_and_floor(open, 11),
        occluded: with_lead_and_floor(occluded, 12),
        floor: white(n, FLOOR_DBFS, 13),
    }
}

fn save(dir: &Path, name: &str, channels: &[&[f64]]) {
    let channels: Vec<Vec<f32>> = channels
        .iter()
        .map(|c| c.iter().map(|&v| v as f32).collect())
        .collect();
    write_wav(&dir.join(name), &channels, RATE, SampleFormat::F32, None).unwrap();
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn json_of(cmd: &mut Command) -> Value {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Run `args`, expect exit 1, nothing on stdout and no new file; the error.
fn refused(dir: &Path, args: &[&str]) -> String {
    let before = files_in(dir);
    let out = tipfit(dir).args(args).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(files_in(dir), before, "nothing may be written");
    err
}

fn band_index(t: &Value, nominal: f64) -> usize {
    t["centre_hz"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c.as_f64() == Some(nominal))
        .unwrap()
}

/// `-10 lg(1 - 10^(-m/10))`: how far the measured occluded level of a band
/// `m` dB above the floor is above the true one.
fn expected_correction(m: f64) -> f64 {
    -10.0 * (1.0 - 10f64.powf(-m / 10.0)).log10()
}

#[test]
fn floor_correction_is_within_1_db_of_the_truth_and_flags_both_sides() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(0.0);
    save(dir.path(), "open.wav", &[&f.open]);
    save(dir.path(), "occluded.wav", &[&f.occluded]);
    save(dir.path(), "floor.wav", &[&f.floor]);
    let doc = json_of(tipfit(dir.path()).args([
        "isolation",
        "--open",
        "open.wav",
        "--occluded",
        "occluded.wav",
        "--floor",
        "floor.wav",
        "--json",
    ]));
    assert_eq!(doc["floor_correction"]["source"], "recording");
    assert!(doc["floor_correction"]["rule"]
        .as_str()
        .unwrap()
        .contains("10 lg(10^(L/10) - 10^(L_floor/10))"));
    assert_eq!(doc["inputs"]["floor"], "floor.wav");
    let t = &doc["third_octave"];
    for (_, nominal, m) in MARGINS {
        let i = band_index(t, nominal);
        let att = t["attenuation_db"][i].as_f64().unwrap();
        let margin = t["margin_db"][i].as_f64().unwrap();
        let corrected = t["corrected"][i].as_bool().unwrap();
        let bound = t["floor_limited"][i].as_bool().unwrap();
        let correction = t["correction_db"][i].as_f64().unwrap();
        eprintln!(
            "{nominal} Hz: margin {margin:.2} (made {m}), attenuation {att:.2} (truth {TRUE_IL_DB}), corrected {corrected} by {correction:.2}, bound {bound}"
        );
        assert!(
            (margin - m).abs() < 0.5,
            "{nominal} Hz: margin {margin} dB, made {m} dB"
        );
        if m < 6.0 {
            // A bound: not corrected, and below the truth by about the
            // floor's share (4 dB margin: 2.2 dB).
            assert!(bound && !corrected, "{nominal} Hz");
            assert_eq!(correction, 0.0);
            assert!(att < TRUE_IL_DB, "{nominal} Hz: {att} is not a lower bound");
            assert!(
                (TRUE_IL_DB - att - expected_correction(m)).abs() < 0.5,
                "{nominal} Hz: {att}"
            );
        } else if m <= 15.0 {
            assert!(corrected && !bound, "{nominal} Hz");
            assert!(
                (att - TRUE_IL_DB).abs() < 1.0,
                "{nominal} Hz: {att} dB, truth {TRUE_IL_DB} dB"
            );
            assert!(
                (correction - expected_correction(m)).abs() < 0.3,
                "{nominal} Hz: correction {correction}, expected {}",
                expected_correction(m)
            );
            // The test bites: without the correction the 6.5 dB band reads
            // more than 1 dB low.
            if m < 7.0 {
                assert!(TRUE_IL_DB - (att - correction) > 1.0, "{nominal} Hz");
            }
        } else {
            assert!(!corrected && !bound, "{nominal} Hz");
            assert_eq!(correction, 0.0);
            assert!((att - TRUE_IL_DB).abs() < 0.3, "{nominal} Hz: {att}");
        }
    }
    // Old-style flags still there; the self-check passed.
    assert_eq!(doc["self_check"]["verdict"], "ok");
    assert!(doc["safe_listening"].is_array());

    // The same in the text table.
    let out = tipfit(dir.path())
        .args([
            "isolation",
            "--open",
            "open.wav",
            "--occluded",
            "occluded.wav",
            "--floor",
            "floor.wav",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let third = &text[text.find("third-octave bands").unwrap()..];
    let line = |nominal: &str| {
        third
            .lines()
            .find(|l| l.split_whitespace().next() == Some(nominal))
            .unwrap_or_else(|| panic!("no {nominal} Hz line in\n{text}"))
            .to_string()
    };
    let l500 = line("500");
    assert!(
        l500.contains(">=") && l500.contains("at the noise floor"),
        "{l500}"
    );
    let l1k = line("1000");
    assert!(
        l1k.contains('*') && l1k.contains("corrected for the noise floor"),
        "{l1k}"
    );
    let l8k = line("8000");
    assert!(
        !l8k.contains('*') && !l8k.contains(">=") && !l8k.contains("noise floor"),
        "{l8k}"
    );
    assert!(
        text.contains("noise floor    from the floor recording"),
        "{text}"
    );
    assert!(text.contains("* corrected for the noise floor"), "{text}");
}

#[test]
fn the_floor_also_comes_from_a_silent_lead_in() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(1.0);
    save(dir.path(), "open.wav", &[&f.open]);
    save(dir.path(), "occluded.wav", &[&f.occluded]);
    let doc = json_of(tipfit(dir.path()).args([
        "isolation",
        "--open",
        "open.wav",
        "--occluded",
        "occluded.wav",
        "--json",
    ]));
    assert_eq!(doc["floor_correction"]["source"], "lead_in");
    let t = &doc["third_octave"];
    // The lead-in floor is one short segment: looser than the floor
    // recording, so only the bands far from the 6 and 15 dB limits.
    for (nominal, bound, corrected) in [
        (500.0, true, false),
        (2000.0, false, true),
        (8000.0, false, false),
    ] {
        let i = band_index(t, nominal);
        assert_eq!(t["floor_limited"][i], bound, "{nominal} Hz");
        assert_eq!(t["corrected"][i], corrected, "{nominal} Hz");
    }
    let i = band_index(t, 2000.0);
    let att = t["attenuation_db"][i].as_f64().unwrap();
    assert!((att - TRUE_IL_DB).abs() < 1.0, "2 kHz: {att}");
}

#[test]
fn swapped_open_and_occluded_recordings_are_refused_with_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(0.0);
    save(dir.path(), "open.wav", &[&f.open]);
    save(dir.path(), "occluded.wav", &[&f.occluded]);
    for json in [false, true] {
        let mut args = vec![
            "isolation",
            "--open",
            "occluded.wav",
            "--occluded",
            "open.wav",
        ];
        if json {
            args.push("--json");
        }
        let err = refused(dir.path(), &args);
        assert!(
            err.contains("the open and occluded recordings look swapped"),
            "{err}"
        );
        assert!(
            err.contains("--open open.wav --occluded occluded.wav"),
            "it must say what to do: {err}"
        );
        assert!(!err.contains("h a day"), "{err}");
    }
}

#[test]
fn swapped_sim_recordings_are_refused_too() {
    let dir = tempfile::tempdir().unwrap();
    tipfit(dir.path())
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
    let err = refused(
        dir.path(),
        &[
            "isolation",
            "--open",
            "p-occluded.wav",
            "--occluded",
            "p-open.wav",
        ],
    );
    assert!(
        err.contains("the open and occluded recordings look swapped")
            && err.contains("p-open.wav")
            && err.contains("p-occluded.wav"),
        "{err}"
    );
}

#[test]
fn dual_recordings_with_swapped_channels_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(0.0);
    // Channel 1 outer (open), channel 2 inner (occluded); given the other
    // way round.
    save(dir.path(), "dual.wav", &[&f.open, &f.occluded]);
    let err = refused(
        dir.path(),
        &[
            "isolation",
            "--dual",
            "dual.wav",
            "--inner-channel",
            "1",
            "--outer-channel",
            "2",
        ],
    );
    assert!(
        err.contains("dual.wav") && err.contains("channels swapped"),
        "{err}"
    );
    assert!(err.contains("--inner-channel 2 --outer-channel 1"), "{err}");
    // Inner only 1.6 dB louder in every band: what a leaky earbud's canal
    // resonance can do to noise reduction; within the 3 dB allowance, so
    // not refused (insertion loss has no such allowance).
    let louder: Vec<f64> = f.occluded.iter().map(|v| 1.2 * v).collect();
    save(dir.path(), "close.wav", &[&louder, &f.occluded]);
    let doc = json_of(tipfit(dir.path()).args(["isolation", "--dual", "close.wav", "--json"]));
    let i = band_index(&doc["third_octave"], 1000.0);
    let nr = doc["third_octave"]["attenuation_db"][i].as_f64().unwrap();
    assert!((nr + 20.0 * 1.2f64.log10()).abs() < 0.01, "{nr}");
    assert_eq!(doc["self_check"]["verdict"], "ok");
    save(dir.path(), "close-open.wav", &[&f.occluded]);
    save(dir.path(), "close-occluded.wav", &[&louder]);
    let err = refused(
        dir.path(),
        &[
            "isolation",
            "--open",
            "close-open.wav",
            "--occluded",
            "close-occluded.wav",
        ],
    );
    assert!(err.contains("look swapped"), "{err}");
    // The right way round it is fine.
    let doc = json_of(tipfit(dir.path()).args([
        "isolation",
        "--dual",
        "dual.wav",
        "--inner-channel",
        "2",
        "--outer-channel",
        "1",
        "--json",
    ]));
    assert_eq!(doc["self_check"]["verdict"], "ok");
}

#[test]
fn no_safe_listening_estimate_from_a_doubtful_isolation() {
    let dir = tempfile::tempdir().unwrap();
    let n = (SECONDS * RATE as f64) as usize;
    // "Open" 2 dB quieter than "occluded" in every band but one (28 of the 29 bands 25 Hz-16 kHz), where a
    // loud tone makes it louder broadband: neither clearly right nor
    // clearly swapped.
    let occluded = white(n, -30.0, 21);
    let mut open: Vec<f64> = occluded
        .iter()
        .map(|v| v * 10f64.powf(-2.0 / 20.0))
        .collect();
    add_tones(&mut open, 0, 0.01, 8, &mut Gauss(5));
    save(dir.path(), "open.wav", &[&open]);
    save(dir.path(), "occluded.wav", &[&occluded]);
    let args = [
        "isolation",
        "--open",
        "open.wav",
        "--occluded",
        "occluded.wav",
    ];
    let doc = json_of(tipfit(dir.path()).args(args).arg("--json"));
    assert_eq!(doc["self_check"]["verdict"], "doubtful");
    assert!(doc["self_check"]["broadband_db"].as_f64().unwrap() > 0.0);
    assert_eq!(doc["safe_listening"], Value::Null);
    let note = doc["safe_listening_note"].as_str().unwrap();
    assert!(note.contains("no safe-listening estimate"), "{note}");
    let warnings = doc["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| w
            .as_str()
            .unwrap()
            .contains("louder than the open-ear recording in 28 of 29 bands")),
        "{warnings:?}"
    );
    let out = tipfit(dir.path()).args(args).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.contains("no safe-listening estimate"), "{text}");
    assert!(
        !text.contains("h a day") && !text.contains("no limit"),
        "{text}"
    );
}

#[test]
fn a_few_negative_bands_are_named_in_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture(0.0);
    // The occluded recording gets a tone 10 dB above the open level in the
    // 100 Hz band (index -10).
    let mut occluded = f.occluded.clone();
    add_tones(&mut occluded, -10, 1e-3, 4, &mut Gauss(7));
    save(dir.path(), "open.wav", &[&f.open]);
    save(dir.path(), "occluded.wav", &[&occluded]);
    let doc = json_of(tipfit(dir.path()).args([
        "isolation",
        "--open",
        "open.wav",
        "--occluded",
        "occluded.wav",
        "--json",
    ]));
    assert_eq!(doc["self_check"]["verdict"], "some_negative");
    assert_eq!(
        doc["self_check"]["negative_bands_hz"],
        serde_json::json!([100.0])
    );
    let warnings: Vec<&str> = doc["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("louder than the open-ear recording at 100 Hz")),
        "{warnings:?}"
    );
    // Still a valid isolation: the estimate is made.
    assert_eq!(doc["safe_listening"].as_array().unwrap().len(), 4);
}
