//! Seal metrics against filters and noises made by independent tools
//! (scipy, numpy): `tests/data/seal-external/` (README there; truths in its
//! `truth.json`, made by `scripts/fixtures/make_seal.py`).

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};
use tipfit::analysis::{AnalysisConfig, Analyzer, Measurement};
use tipfit::dsp::grid::Smoothing;
use tipfit::formats::wav::read_wav;
use tipfit::signal::{Stimulus, StimulusKind};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn data(name: &str) -> PathBuf {
    let p = Path::new(name);
    if p.starts_with("signals") {
        root().join(p)
    } else {
        root().join("tests/data/seal-external").join(p)
    }
}

fn truth() -> Vec<Value> {
    let text = std::fs::read_to_string(data("truth.json")).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["cases"].as_array().unwrap().clone()
}

fn case(file: &str) -> Value {
    truth()
        .into_iter()
        .find(|c| c["file"] == file)
        .unwrap_or_else(|| panic!("{file} not in truth.json"))
}

fn num(c: &Value, key: &str) -> f64 {
    c[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} in {}", c["file"]))
}

/// Analyse a fixture as `tipfit analyze` does (the reference's kind from its
/// WAV comment), with `smoothing` on the reported response.
fn analyse(c: &Value, smoothing: Smoothing) -> Measurement {
    let rec = read_wav(&data(c["file"].as_str().unwrap())).unwrap();
    let stim = read_wav(&data(c["reference"].as_str().unwrap())).unwrap();
    let stimulus = Stimulus {
        samples: stim.channels[0].clone(),
        rate: stim.rate,
        kind: stim.stimulus.unwrap_or(StimulusKind::External),
    };
    let cfg = AnalysisConfig {
        smoothing,
        ..AnalysisConfig::default()
    };
    Analyzer::new()
        .analyse(&rec.channels[0], rec.rate, &stimulus, None, &cfg)
        .unwrap_or_else(|e| panic!("{}: {e}", c["file"]))
}

/// The leak model's corner either is right (within 10 % of the high-pass's
/// cut-off, the accuracy bar of the leak sims) or is withheld with the flag
/// and the note that gives the model-free -3 dB point instead.
fn corner_right_or_flagged(m: &Measurement, cutoff: f64, file: &str) {
    let s = &m.seal;
    if s.leak_fit_uncertain {
        assert_eq!(s.leak_corner_hz, None, "{file}");
        let rms = s.leak_fit.as_ref().unwrap().rms_error_db;
        assert!(rms > tipfit::analysis::seal::LEAK_FIT_MAX_RMS_DB, "{file}");
        let want = format!(
            "the low end does not look like a leak: the leak model fits with {rms:.1} dB RMS error"
        );
        let at = format!("the -3 dB point is {:.0} Hz", s.minus3db_hz.unwrap());
        assert!(
            s.notes.iter().any(|n| n.contains(&want) && n.contains(&at)),
            "{file}: {:?}",
            s.notes
        );
    } else {
        let found = s.leak_corner_hz.unwrap_or(f64::NAN);
        assert!(
            (found / cutoff - 1.0).abs() < 0.10,
            "{file}: leak corner {found} Hz, cut-off {cutoff} Hz, not flagged"
        );
    }
}

/// 2nd-order Butterworth high-passes measured with a tipfit sweep: the
/// -3 dB point within 5 % of the cut-off (the brief's bar) and within 0.5 %
/// of the exact point 3 dB below the reference-band mean (tipfit's
/// definition; linear interpolation between 1/12-octave points on a
/// 12 dB/octave slope: 0.1 %). A Butterworth is not a leak (the model has a
/// zero): its leak fit errs by 2.2-4 dB RMS, so the corner is flagged.
#[test]
fn butterworth_high_passes_give_their_minus_3_db_point_and_a_flagged_leak_fit() {
    for fc in [60.0, 100.0, 200.0] {
        let file = format!("sweep-bw2-{fc:.0}.wav");
        let c = case(&file);
        let m = analyse(&c, Smoothing::None);
        let m3 = m.seal.minus3db_hz.expect("a -3 dB point");
        eprintln!(
            "{file}: -3 dB {m3:.2} Hz (cut-off {fc}, exact {:.2}), corner {:?}, flagged {}, fit {:?}",
            num(&c, "minus3db_rel_hz"),
            m.seal.leak_corner_hz,
            m.seal.leak_fit_uncertain,
            m.seal.leak_fit
        );
        assert!(
            (m3 / num(&c, "minus3db_hz") - 1.0).abs() < 0.05,
            "{file}: {m3}"
        );
        assert!(
            (m3 / num(&c, "minus3db_rel_hz") - 1.0).abs() < 0.005,
            "{file}: {m3}"
        );
        corner_right_or_flagged(&m, fc, &file);
        // A sweep with no noise: the bass level is exact too.
        assert!((m.seal.bass_db - num(&c, "bass_db")).abs() < 0.05, "{file}");
        assert_eq!(m.seal.verdict.to_string(), c["verdict"], "{file}");
    }
}

/// Pink noise as the reference: tipfit's (3 s, and the shipped 10 s file)
/// and numpy's brick-walled at 10 Hz, through 2nd-order high-passes at 30,
/// 60, 120 Hz: bass_db within 0.3 dB of the truth and the true verdict
/// (seen: 0.1 dB at most); the -3 dB point within 5 %. The response is
/// right from where it starts: the brick-walled noise's range starts above
/// its edge (1.5 x the edge found, 13-16 Hz), tipfit's at 10 Hz, and the
/// 1/12-octave response is within 1 dB of the filter wherever the filter
/// is above -20 dB. The recordings hold no tail after the noise (like sox's
/// output), and the missing tail is noise to the deconvolution: the bass
/// octaves' SNR is 27-45 dB, at 29 dB three standard deviations of a
/// 1/12-octave point are 0.9 dB (seen: 0.62 dB at most; 0.14 dB on the same
/// noises with a 0.3 s tail; before the band edge was handled, 2.8 dB at
/// 21 Hz and 15 dB at 10 Hz where the range then started).
#[test]
fn pink_noise_references_give_the_true_bass_level_and_verdict() {
    let mut files: Vec<String> = Vec::new();
    for fc in [30, 60, 120] {
        files.push(format!("pink-tipfit-bw2-{fc}.wav"));
        files.push(format!("pink-numpy-bw2-{fc}.wav"));
    }
    files.push("pink-shipped-bw2-60.wav".into());
    for file in files {
        let c = case(&file);
        let m = analyse(&c, Smoothing::Octave(12));
        let s = &m.seal;
        let err = s.bass_db - num(&c, "bass_db");
        eprintln!(
            "{file}: bass {:.3} dB (truth {:.3}, error {err:+.3}), {} (truth {}), -3 dB {:?}, from {:.1} Hz",
            s.bass_db,
            num(&c, "bass_db"),
            s.verdict,
            c["verdict"],
            s.minus3db_hz,
            m.frequency_response.freq_hz[0]
        );
        assert!(err.abs() < 0.3, "{file}: bass_db error {err}");
        assert_eq!(s.verdict.to_string(), c["verdict"], "{file}");
        let m3 = s.minus3db_hz.expect("a -3 dB point");
        assert!(
            (m3 / num(&c, "minus3db_hz") - 1.0).abs() < 0.05,
            "{file}: {m3}"
        );
        let start = m.frequency_response.freq_hz[0];
        if file.contains("numpy") {
            assert!(
                (13.0..16.0).contains(&start),
                "{file}: starts at {start} Hz"
            );
        } else {
            assert!(start < 10.2, "{file}: starts at {start} Hz");
        }
        response_follows_the_filter(&m, &c, 1.0);
    }
}

/// The 1/12-octave response against the analytic filter (both relative to
/// their 300-1000 Hz mean), where the filter is above -20 dB, up to 1 kHz.
fn response_follows_the_filter(m: &Measurement, c: &Value, tol_db: f64) {
    let order = c["filter"]["order"].as_u64().unwrap() as i32;
    let fc = c["filter"]["cutoff_hz"].as_f64().unwrap();
    // |H| of the digital Butterworth high-pass (bilinear transform, as
    // scipy designs it): |H|^2 = t^(2n) / (1 + t^(2n)), t = tan(pi f/fs) /
    // tan(pi fc/fs).
    let truth = |f: f64| {
        let w = |x: f64| (std::f64::consts::PI * x / 48_000.0).tan();
        let t2n = (w(f) / w(fc)).powi(2 * order);
        10.0 * (t2n / (1.0 + t2n)).log10()
    };
    let fr = &m.frequency_response;
    let errs: Vec<(f64, f64, f64)> = fr
        .freq_hz
        .iter()
        .zip(&fr.db)
        .map(|(&f, &d)| (f, d - truth(f), truth(f)))
        .collect();
    let mid: Vec<f64> = errs
        .iter()
        .filter(|e| e.0 >= 300.0 && e.0 <= 1000.0)
        .map(|e| e.1)
        .collect();
    let offset = mid.iter().sum::<f64>() / mid.len() as f64;
    let worst = errs
        .iter()
        .filter(|e| e.0 <= 1000.0 && e.2 > -20.0)
        .map(|e| (e.0, (e.1 - offset).abs()))
        .fold((0.0, 0.0), |a, b| if b.1 > a.1 { b } else { a });
    eprintln!("  response: worst {:.3} dB at {:.1} Hz", worst.1, worst.0);
    assert!(
        worst.1 < tol_db,
        "{}: {:.3} dB off at {:.1} Hz",
        c["file"],
        worst.1,
        worst.0
    );
}

/// A 1st-order high-pass at 100 Hz is a (resistive) leak: its corner within
/// 10 % with pink noise (tipfit's, and numpy's brick-walled at 10 Hz), a
/// sweep and the multitone alike (the brick-walled noise read 81 Hz before
/// the deconvolution handled its band edge; seen now: 96-100 Hz, the leak
/// model's own bias on an exact 1st-order shape being -3 %); the -3 dB
/// point within 1 % of the exact one.
#[test]
fn first_order_high_pass_corner_is_right_with_noise_sweep_and_multitone() {
    for file in [
        "pink-tipfit-bw1-100.wav",
        "pink-numpy-bw1-100.wav",
        "sweep-bw1-100.wav",
        "multitone-bw1-100.wav",
    ] {
        let c = case(file);
        let m = analyse(&c, Smoothing::None);
        let corner = m.seal.leak_corner_hz.unwrap_or(f64::NAN);
        eprintln!(
            "{file}: corner {corner:.2} Hz, -3 dB {:?}, fit {:?}",
            m.seal.minus3db_hz, m.seal.leak_fit
        );
        assert!(!m.seal.leak_fit_uncertain, "{file}");
        assert!(
            (corner / num(&c, "corner_hz") - 1.0).abs() < 0.10,
            "{file}: {corner}"
        );
        let m3 = m.seal.minus3db_hz.unwrap();
        assert!(
            (m3 / num(&c, "minus3db_rel_hz") - 1.0).abs() < 0.01,
            "{file}: {m3}"
        );
    }
}

/// Once through the command line: `--json` carries the new fields, the
/// summary shows the -3 dB point and why the corner is withheld.
#[test]
fn analyze_shows_the_minus_3_db_point_and_the_uncertain_leak_fit() {
    let dir = root().join("tests/data/seal-external");
    let run = |json: bool| {
        let mut cmd = Command::cargo_bin("tipfit").unwrap();
        cmd.current_dir(&dir).args([
            "analyze",
            "sweep-bw2-100.wav",
            "--reference",
            "sweep-2s.wav",
        ]);
        if json {
            cmd.arg("--json");
        }
        let out = cmd.assert().success().get_output().stdout.clone();
        String::from_utf8(out).unwrap()
    };
    let v: Value = serde_json::from_str(&run(true)).unwrap();
    let seal = &v["seal"];
    let m3 = seal["minus3db_hz"].as_f64().unwrap();
    assert!((m3 / 100.0 - 1.0).abs() < 0.05, "{seal}");
    assert_eq!(seal["leak_fit_uncertain"], true, "{seal}");
    assert_eq!(seal["leak_corner_hz"], Value::Null, "{seal}");
    assert_eq!(seal["uncertain"], false, "{seal}");
    let note = seal["notes"][0].as_str().unwrap();
    assert!(
        note.starts_with(
            "the low end does not look like a leak: the leak model fits with 3.0 dB RMS error"
        ) && note.ends_with("the -3 dB point is 100 Hz"),
        "{note}"
    );
    let text = run(false);
    assert!(text.contains("  -3 dB point    100 Hz"), "{text}");
    assert!(text.contains("  leak corner    uncertain"), "{text}");
    assert!(text.contains(note), "{text}");
}
