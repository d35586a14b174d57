//! Clock drift found and corrected from the recording itself (no sync
//! markers), against recordings whose drift was made by an independent
//! resampler (scipy.signal.resample_poly with exact rationals, see
//! tests/data/drift-external/README.md and scripts/fixtures/make_drift.py):
//! tipfit's own sweep, a numpy-made sweep and numpy pink noise through a
//! known filter (2nd-order high-pass at 60 Hz times a +6 dB peak at 3 kHz,
//! truth |H| from scipy.signal.freqz), at -2000 ... +2000 ppm. Then the
//! sim's own drift (`SimConfig::drift_ppm`) through `tipfit measure` and
//! the quick check, and sync markers through `tipfit analyze --sync on`.

mod common;
use common::{stderr, stdout, tipfit, Fixture};
use serde_json::Value;
use std::path::{Path, PathBuf};
use tipfit::analysis::{AnalysisConfig, AnalysisError, Analyzer, ClockCheck, Measurement};
use tipfit::formats::wav::{read_wav, write_wav, SampleFormat};
use tipfit::rig::sim::{Fit, SimConfig, SimRig};
use tipfit::signal::{MultitoneParams, Stimulus, StimulusKind};

const RATE: u32 = 48_000;
const PPMS: [i32; 9] = [-2000, -1000, -500, -100, 0, 100, 500, 1000, 2000];

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/drift-external")
        .join(name)
}

/// The fixture's name for a drift, e.g. `tipfit-m500ppm.wav`.
fn recording_name(set: &str, ppm: i32) -> String {
    let sign = match ppm.signum() {
        1 => "p",
        -1 => "m",
        _ => "",
    };
    format!("{set}-{sign}{}ppm.wav", ppm.abs())
}

/// scipy's |H(f)| in dB from truth.json, interpolated in log frequency.
struct Truth {
    freq: Vec<f64>,
    db: Vec<f64>,
}

impl Truth {
    fn load() -> Self {
        let v: Value = serde_json::from_slice(&std::fs::read(data("truth.json")).unwrap()).unwrap();
        let nums = |k: &str| -> Vec<f64> {
            v[k].as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect()
        };
        Self {
            freq: nums("truth_freq_hz"),
            db: nums("truth_db"),
        }
    }

    fn at(&self, f: f64) -> f64 {
        let i = self
            .freq
            .partition_point(|x| *x < f)
            .clamp(1, self.freq.len() - 1);
        let (f0, f1) = (self.freq[i - 1].ln(), self.freq[i].ln());
        let t = (f.ln() - f0) / (f1 - f0);
        self.db[i - 1] + t * (self.db[i] - self.db[i - 1])
    }
}

/// Largest deviation in dB from the truth over [lo, hi] Hz, after
/// aligning the mean level over that range (as tests/drift.rs does):
/// `(frequency, error)`.
fn max_error_db(freq: &[f64], db: &[f64], truth: &Truth, lo: f64, hi: f64) -> (f64, f64) {
    let pts: Vec<(f64, f64)> = freq
        .iter()
        .zip(db)
        .filter(|(f, _)| **f >= lo && **f <= hi)
        .map(|(f, d)| (*f, d - truth.at(*f)))
        .collect();
    assert!(pts.len() > 100, "{} points in {lo}-{hi} Hz", pts.len());
    let mean = pts.iter().map(|p| p.1).sum::<f64>() / pts.len() as f64;
    pts.iter()
        .map(|p| (p.0, (p.1 - mean).abs()))
        .fold((0.0, 0.0), |a, b| if b.1 > a.1 { b } else { a })
}

fn reference(name: &str) -> Stimulus {
    let w = read_wav(&data(name)).unwrap();
    Stimulus {
        samples: w.channels[0].clone(),
        rate: w.rate,
        kind: w.stimulus.unwrap_or(StimulusKind::External),
    }
}

fn analyse(rec: &str, stim: &Stimulus, clock: ClockCheck) -> Result<Measurement, AnalysisError> {
    let w = read_wav(&data(rec)).unwrap();
    let cfg = AnalysisConfig {
        clock,
        ..AnalysisConfig::default()
    };
    Analyzer::new().analyse(&w.channels[0], w.rate, stim, None, &cfg)
}

/// The bar on the estimate: within 2 % of the applied drift or 5 ppm,
/// whichever is larger.
fn ppm_bar(ppm: f64) -> f64 {
    (0.02 * ppm.abs()).max(5.0)
}

/// The bar on the response: 0.5 dB up to +-500 ppm, 1 dB beyond, from
/// 20 Hz to 10 kHz (seen: at most 0.016 dB for the sweeps, 0.07 dB for
/// the noise, at every drift).
fn db_bar(ppm: f64) -> f64 {
    if ppm.abs() <= 500.0 {
        0.5
    } else {
        1.0
    }
}

/// Every drift of `set` against `reference_file`: the estimate and the
/// corrected response against the truth; returns the worst errors.
fn check_set(set: &str, reference_file: &str, ppms: &[i32], method: &str) {
    let truth = Truth::load();
    let stim = reference(reference_file);
    for &ppm in ppms {
        let name = recording_name(set, ppm);
        let m =
            analyse(&name, &stim, ClockCheck::Estimate).unwrap_or_else(|e| panic!("{name}: {e}"));
        let fr = &m.frequency_response;
        let (f, err) = max_error_db(&fr.freq_hz, &fr.db, &truth, 20.0, 10_000.0);
        let clock = m.clock.as_ref().expect("the clock is estimated");
        let ppm_err = clock.clock_ppm - ppm as f64;
        eprintln!(
            "{name:22} found {:+9.2} ppm (error {ppm_err:+6.2}, u {:.2}), corrected {:5}: \
             max error {err:.3} dB at {f:.0} Hz",
            clock.clock_ppm,
            clock.uncertainty_ppm.unwrap_or(f64::NAN),
            clock.corrected
        );
        assert_eq!(clock.method, method, "{name}");
        assert!(
            ppm_err.abs() <= ppm_bar(ppm as f64),
            "{name}: found {} ppm",
            clock.clock_ppm
        );
        assert_eq!(clock.corrected, ppm != 0, "{name}: {clock:?}");
        assert!(
            err <= db_bar(ppm as f64),
            "{name}: max error {err} dB at {f} Hz"
        );
    }
}

#[test]
fn own_sweep_drift_from_minus_to_plus_2000_ppm_is_found_and_corrected() {
    check_set("tipfit", "tipfit-sweep.wav", &PPMS, "sweep group delay");
}

#[test]
fn numpy_sweep_drift_from_minus_to_plus_2000_ppm_is_found_and_corrected() {
    check_set("ess", "numpy-ess.wav", &PPMS, "sweep group delay");
}

#[test]
fn pink_noise_drift_is_found_from_segment_lags_and_corrected() {
    check_set(
        "pink",
        "numpy-pink.wav",
        &[-1000, 0, 1000],
        "noise segment lags",
    );
}

/// Without the estimate the same recordings are off: what the test above
/// guards against (seen: tipfit's sweep at +2000 ppm 6.4 dB at 20 Hz, the
/// pink noise at +-1000 ppm gives no impulse at all).
#[test]
fn without_the_estimate_a_drifted_recording_is_wrong_or_refused() {
    let truth = Truth::load();
    let stim = reference("tipfit-sweep.wav");
    let m = analyse("tipfit-p2000ppm.wav", &stim, ClockCheck::Off).unwrap();
    assert_eq!(m.clock, None);
    let fr = &m.frequency_response;
    let (f, err) = max_error_db(&fr.freq_hz, &fr.db, &truth, 20.0, 10_000.0);
    assert!(err > 1.0, "uncorrected: only {err} dB at {f} Hz");
    let noise = reference("numpy-pink.wav");
    let e = analyse("pink-p1000ppm.wav", &noise, ClockCheck::Off).unwrap_err();
    assert!(matches!(e, AnalysisError::NoImpulse { .. }), "{e}");
}

#[test]
fn a_drift_beyond_5000_ppm_or_a_rate_mismatch_is_refused_with_its_cause() {
    let e = analyse(
        "tipfit-p20000ppm.wav",
        &reference("tipfit-sweep.wav"),
        ClockCheck::Estimate,
    )
    .unwrap_err();
    let msg = e.to_string();
    assert!(
        matches!(e, AnalysisError::ClockDrift { ppm: Some(p), .. } if (p - 20_000.0).abs() < 1000.0),
        "{msg}"
    );
    assert!(
        msg.contains("beyond the +-5000 ppm tipfit corrects")
            && msg.contains("different sample rates")
            && msg.contains("--sync on"),
        "{msg}"
    );
    let e = analyse(
        "ess-played-44k1.wav",
        &reference("numpy-ess.wav"),
        ClockCheck::Estimate,
    )
    .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("by +88435 ppm")
            && msg.contains(
                "the recording holds the signal played at 44100 Hz and recorded at 48000 Hz"
            ),
        "{msg}"
    );
}

// ---- through `tipfit analyze` ----

fn analyze(args: &[&str]) -> std::process::Output {
    let mut cmd = tipfit();
    cmd.arg("analyze");
    for a in args {
        cmd.arg(a);
    }
    cmd.output().unwrap()
}

fn json(out: &std::process::Output) -> Value {
    assert!(out.status.success(), "failed: {}", stderr(out));
    serde_json::from_str(&stdout(out)).expect("JSON on stdout")
}

fn path(name: &str) -> String {
    data(name).display().to_string()
}

#[test]
fn analyze_reports_and_corrects_the_drift_it_finds() {
    // the summary's line
    let out = analyze(&[
        &path("tipfit-p1000ppm.wav"),
        "--reference",
        &path("tipfit-sweep.wav"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(
            "  clock          +1000 ppm (estimated from the sweep's group delay; corrected)\n"
        ),
        "{text}"
    );
    // JSON, an external sweep and noise
    let truth = Truth::load();
    for (rec, reference, ppm, method) in [
        (
            "ess-m500ppm.wav",
            "numpy-ess.wav",
            -500.0,
            "sweep group delay",
        ),
        (
            "tipfit-m2000ppm.wav",
            "tipfit-sweep.wav",
            -2000.0,
            "sweep group delay",
        ),
        (
            "pink-p1000ppm.wav",
            "numpy-pink.wav",
            1000.0,
            "noise segment lags",
        ),
    ] {
        let v = json(&analyze(&[
            &path(rec),
            "--reference",
            &path(reference),
            "--json",
        ]));
        let c = &v["clock"];
        assert_eq!(c["method"], method, "{rec}");
        assert_eq!(c["corrected"], true, "{rec}");
        let found = c["clock_ppm"].as_f64().unwrap();
        assert!((found - ppm).abs() <= ppm_bar(ppm), "{rec}: {found}");
        let nums = |k: &str| -> Vec<f64> {
            v["frequency_response"][k]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect()
        };
        let (f, err) = max_error_db(&nums("freq_hz"), &nums("db"), &truth, 20.0, 10_000.0);
        assert!(err <= db_bar(ppm), "{rec}: {err} dB at {f} Hz");
    }
    // no drift: reported, not corrected
    let v = json(&analyze(&[
        &path("tipfit-0ppm.wav"),
        "--reference",
        &path("tipfit-sweep.wav"),
        "--json",
    ]));
    assert_eq!(v["clock"]["corrected"], false);
    assert!(v["clock"]["clock_ppm"].as_f64().unwrap().abs() <= 5.0);
}

#[test]
fn analyze_sync_off_checks_nothing_and_sync_on_needs_markers() {
    let v = json(&analyze(&[
        &path("tipfit-p500ppm.wav"),
        "--reference",
        &path("tipfit-sweep.wav"),
        "--sync",
        "off",
        "--json",
    ]));
    assert_eq!(v["clock"], Value::Null);
    let out = analyze(&[
        &path("tipfit-p500ppm.wav"),
        "--reference",
        &path("tipfit-sweep.wav"),
        "--sync",
        "on",
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("--sync on: ")
            && err.contains("has no sync markers: write the signal with them"),
        "{err}"
    );
}

#[test]
fn analyze_refuses_what_it_cannot_correct_with_advice_for_a_recording() {
    let out = analyze(&[
        &path("tipfit-p20000ppm.wav"),
        "--reference",
        &path("tipfit-sweep.wav"),
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    // analyze has no device: the advice is about the recording and the file
    assert!(
        err.contains("beyond the +-5000 ppm tipfit corrects")
            && err.contains("record and play on one device, or play a signal written with sync markers (tipfit signal sweep --sync-markers --out s.wav) and analyze with --sync on"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// A signal written with sync markers, played by a recorder started 1.5 s
/// early whose clock runs 700 ppm fast (tipfit's own resampler: this is
/// about the markers' path, the accuracy is tested above).
#[test]
fn analyze_uses_the_sync_markers_of_a_marked_reference() {
    let f = Fixture::new();
    let marked = f.path("marked.wav");
    let out = tipfit()
        .args([
            "signal",
            "sweep",
            "--duration",
            "2",
            "--sync-markers",
            "--out",
        ])
        .arg(&marked)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let w = read_wav(&marked).unwrap();
    assert!(w.sync_markers.is_some());
    let mut x = vec![0.0f64; (1.5 * RATE as f64) as usize];
    x.extend(w.channels[0].iter().map(|&v| v as f64 * 0.5));
    x.extend(vec![0.0; RATE as usize / 2]);
    let y: Vec<f32> = tipfit::dsp::resample::drift(&x, 700.0)
        .iter()
        .map(|&v| v as f32)
        .collect();
    let rec = f.path("rec.wav");
    write_wav(&rec, &[y], RATE, SampleFormat::F32, None).unwrap();
    let r = rec.display().to_string();
    let m = marked.display().to_string();
    for sync in ["on", "auto"] {
        let v = json(&analyze(&[&r, "--reference", &m, "--sync", sync, "--json"]));
        assert_eq!(v["clock"]["method"], "sync markers", "{sync}");
        let ppm = v["clock"]["clock_ppm"].as_f64().unwrap();
        assert!((ppm - 700.0).abs() < 0.5, "{sync}: {ppm}");
        // a flat response (a gain of 0.5) once corrected
        let db: Vec<f64> = v["frequency_response"]["db"]
            .as_array()
            .unwrap()
            .iter()
            .zip(v["frequency_response"]["freq_hz"].as_array().unwrap())
            .filter(|(_, f)| (20.0..=10_000.0).contains(&f.as_f64().unwrap()))
            .map(|(d, _)| d.as_f64().unwrap())
            .collect();
        let worst = db.iter().map(|d| (d + 6.0206).abs()).fold(0.0, f64::max);
        assert!(worst < 0.1, "{sync}: {worst} dB off a flat -6.02 dB");
        // the latency counts from the recording's start
        let latency = v["latency_s"].as_f64().unwrap();
        assert!((latency - 1.5).abs() < 0.01, "{latency}");
    }
    // off: the markers only find the signal; the drift is not corrected
    let v = json(&analyze(&[
        &r,
        "--reference",
        &m,
        "--sync",
        "off",
        "--json",
    ]));
    assert_eq!(v["clock"], Value::Null);
}

// ---- the sim's own drift ----

fn measure(args: &[&str]) -> Value {
    let mut cmd = tipfit();
    cmd.args(["measure", "--json"]);
    cmd.args(args);
    json(&cmd.output().unwrap())
}

/// The plain sim (no markers) with `--drift-ppm`: the drift is estimated
/// and corrected, the verdict and bass level are the drift-free ones
/// (bass within 0.2 dB; seen: within 0.01 dB).
#[test]
fn the_sims_drift_is_corrected_through_measure() {
    for tip in ["silicone-s", "foam"] {
        for quick in [false, true] {
            let mut base = vec!["--tip-preset", tip];
            if quick {
                base.push("--quick");
            }
            let clean = measure(&base);
            for ppm in ["-1500", "800"] {
                let mut args = base.clone();
                args.extend(["--drift-ppm", ppm]);
                let v = measure(&args);
                let what = format!("{tip} quick={quick} {ppm} ppm");
                assert_eq!(v["seal"]["verdict"], clean["seal"]["verdict"], "{what}");
                let bass = v["seal"]["bass_db"].as_f64().unwrap();
                let want = clean["seal"]["bass_db"].as_f64().unwrap();
                assert!((bass - want).abs() < 0.2, "{what}: {bass} vs {want}");
                let applied: f64 = ppm.parse().unwrap();
                let found = v["clock"]["clock_ppm"].as_f64().unwrap();
                assert!(
                    (found - applied).abs() <= ppm_bar(applied),
                    "{what}: {found}"
                );
                assert_eq!(v["clock"]["corrected"], true, "{what}");
                let method = if quick {
                    "multitone phase"
                } else {
                    "sweep group delay"
                };
                assert_eq!(v["clock"]["method"], method, "{what}");
            }
        }
    }
}

/// The rig path with markers (a separate-clock sim with a drift fault)
/// reports the markers' figure, not a second estimate.
#[test]
fn markers_on_the_rig_are_reported_as_the_clock() {
    let v = measure(&[
        "--tip-preset",
        "foam",
        "--duration",
        "1",
        "--fault",
        "drift=800",
    ]);
    assert_eq!(v["clock"]["method"], "sync markers");
    assert_eq!(v["clock"]["corrected"], true);
    let ppm = v["clock"]["clock_ppm"].as_f64().unwrap();
    assert_eq!(Some(ppm), v["rig"]["sync"]["clock_ppm"].as_f64());
    assert!((ppm - 800.0).abs() < 1.0);
}

/// The quick check through the library: the sim's tone levels against its
/// exact truth, -2000 ... +2000 ppm (bars as for the sweeps).
#[test]
fn quick_check_drift_is_found_from_the_tone_phases_and_corrected() {
    let stim = MultitoneParams {
        rate: RATE,
        duration_s: tipfit::analysis::quick::QUICK_DURATION_S,
        ..MultitoneParams::default()
    }
    .generate()
    .unwrap();
    for ppm in PPMS {
        let mut rig = SimRig::new(
            SimConfig {
                drift_ppm: ppm as f64,
                fit: Fit::Sealed,
                ..SimConfig::default()
            },
            5,
        );
        let (rec, _) = rig.simulate(&stim);
        let m = Analyzer::new()
            .analyse(
                &rec.channels[0],
                RATE,
                &stim,
                None,
                &AnalysisConfig::default(),
            )
            .unwrap();
        let fr = &m.frequency_response;
        let errs: Vec<f64> = fr
            .freq_hz
            .iter()
            .zip(&fr.db)
            .map(|(f, d)| d - tipfit::dsp::db(rig.truth_response(*f, RATE).norm()))
            .collect();
        let mean = errs.iter().sum::<f64>() / errs.len() as f64;
        let worst = errs.iter().map(|e| (e - mean).abs()).fold(0.0, f64::max);
        let clock = m.clock.as_ref().unwrap();
        eprintln!(
            "multitone {ppm:+5} ppm: found {:+9.2} ppm, max error {worst:.3} dB",
            clock.clock_ppm
        );
        assert_eq!(clock.method, "multitone phase");
        assert!(
            (clock.clock_ppm - ppm as f64).abs() <= ppm_bar(ppm as f64),
            "{ppm}: {}",
            clock.clock_ppm
        );
        assert!(worst <= db_bar(ppm as f64), "{ppm}: {worst} dB");
    }
}

#[test]
fn a_measurement_saved_before_the_clock_field_still_loads() {
    let stim = reference("tipfit-sweep.wav");
    let m = analyse("tipfit-0ppm.wav", &stim, ClockCheck::Estimate).unwrap();
    let mut v = serde_json::to_value(&m).unwrap();
    v.as_object_mut().unwrap().remove("clock");
    let back: Measurement = serde_json::from_value(v).unwrap();
    assert_eq!(back.clock, None);
}
