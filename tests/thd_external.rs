//! THD from exponential sweeps tipfit did not make (issue 13), and THD that
//! is really hum or noise flagged.
//!
//! Truth: `tests/data/ess-thd/truth.json`, written by
//! `scripts/fixtures/make_ess_thd.py` (numpy, scipy, sox): the analytic THD
//! of a memoryless polynomial `x + a2 x^2 + a3 x^3` (then a known filter)
//! and the sweeps' own parameters. The sim cases use the sim's exact THD
//! (`SimRig::truth_thd_percent`).

mod common;

use common::{stdout, Fixture};
use serde_json::Value;
use std::path::{Path, PathBuf};
use tipfit::analysis::{AnalysisConfig, Analyzer, Measurement, Thd};
use tipfit::formats::wav::read_wav;
use tipfit::rig::sim::{Driver, Fit, NoiseLevel, SimConfig, SimRig, TipPreset};
use tipfit::signal::ess::{recognise, NotEss};
use tipfit::signal::{MultitoneParams, NoiseParams, Stimulus, StimulusKind, SweepParams};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/ess-thd")
        .join(name)
}

fn truth() -> Value {
    serde_json::from_str(&std::fs::read_to_string(data("truth.json")).unwrap()).unwrap()
}

fn reference(name: &str) -> Stimulus {
    let w = read_wav(&data(name)).unwrap();
    Stimulus {
        samples: w.channels[0].clone(),
        rate: w.rate,
        kind: StimulusKind::External,
    }
}

fn analyse(rec: &[f32], stim: &Stimulus) -> Measurement {
    Analyzer::new()
        .analyse(rec, stim.rate, stim, None, &AnalysisConfig::default())
        .unwrap()
}

/// Index of the THD point nearest `f`.
fn nearest(t: &Thd, f: f64) -> usize {
    (0..t.freq_hz.len())
        .min_by(|&a, &b| {
            (t.freq_hz[a] / f)
                .ln()
                .abs()
                .total_cmp(&(t.freq_hz[b] / f).ln().abs())
        })
        .expect("THD points")
}

/// THD of a fixture recording within 10 % (relative) of the closed form at
/// 100 Hz and 1 kHz (the task's bar), and not marked as at the floor. The
/// grid point nearest 100 Hz is 99.2 Hz: the closed form is flat there
/// (the filters are flat), so the truth at 100 Hz stands.
fn check_fixture(set: &str) {
    let t = &truth()[set];
    let stim = reference(t["reference"].as_str().unwrap());
    let rec = read_wav(&data(t["recording"].as_str().unwrap())).unwrap();
    let m = analyse(&rec.channels[0], &stim);
    assert!(
        !m.warnings.iter().any(|w| w.contains("THD needs")),
        "{:?}",
        m.warnings
    );
    let thd = &m.thd_percent;
    for (f, key) in [(100.0, "100"), (1000.0, "1000")] {
        let i = nearest(thd, f);
        let want = t["thd_percent"][key].as_f64().unwrap();
        let got = thd.value[i];
        eprintln!(
            "{set}: THD at {:.1} Hz {got:.4} % vs analytic {want:.4} % ({:+.2} %), floor {:.4} %",
            thd.freq_hz[i],
            100.0 * (got / want - 1.0),
            thd.floor_percent[i]
        );
        assert!(
            (got / want - 1.0).abs() < 0.10,
            "{set} at {f} Hz: {got} vs {want}"
        );
        assert!(
            !thd.floor_limited[i],
            "{set} at {f} Hz marked as at the floor"
        );
    }
    assert!(thd.recognised_sweep.is_some());
}

#[test]
fn thd_of_a_numpy_sweep_within_10_percent_of_the_analytic_value() {
    check_fixture("numpy_ess");
}

#[test]
fn thd_of_a_sox_sweep_within_10_percent_of_the_analytic_value() {
    check_fixture("sox_ess");
}

/// The recognised law against the generators' parameters. Tolerances: L
/// within 0.1 % (it places the harmonic windows: 0.1 % of L ln 5 is 0.7 ms
/// against their 5 ms margin); f1 within 1 % and the start within 1 ms (a
/// fade-in, 10 ms on the numpy sweep, starts from zero, so the first sample
/// above -60 dB of the peak comes a fraction of a ms late); f2 within 1 %
/// (the 5 ms fade-out ends early the same way); the phase at the found
/// start within 0.1 rad of the generator's phase there.
#[test]
fn recognised_sweep_parameters_match_the_generators() {
    let t = truth();
    for set in ["numpy_ess", "sox_ess"] {
        let tt = &t[set];
        let stim = reference(tt["reference"].as_str().unwrap());
        let fit = recognise(&stim.samples, stim.rate).unwrap();
        eprintln!("{set}: {fit:?}");
        let num = |k: &str| tt[k].as_f64().unwrap();
        assert!(
            (fit.l_s / num("l_s") - 1.0).abs() < 1e-3,
            "{set} L {}",
            fit.l_s
        );
        assert!((fit.start_hz / num("start_hz") - 1.0).abs() < 0.01, "{set}");
        assert!((fit.end_hz / num("end_hz") - 1.0).abs() < 0.01, "{set}");
        assert!((fit.start_s - num("start_s")).abs() < 1e-3, "{set}");
        assert!((fit.duration_s - num("duration_s")).abs() < 2e-3, "{set}");
        assert!(
            (fit.amplitude / num("amplitude") - 1.0).abs() < 0.01,
            "{set}"
        );
        if let Some(phi) = tt["phase_rad"].as_f64() {
            // the generator's phase at the start tipfit found
            let (f1, l, t0) = (num("start_hz"), num("l_s"), num("start_s"));
            let want =
                2.0 * std::f64::consts::PI * f1 * l * (((fit.start_s - t0) / l).exp() - 1.0) + phi;
            let d = (fit.phase_rad - want).rem_euclid(std::f64::consts::TAU);
            assert!(
                d.min(std::f64::consts::TAU - d) < 0.1,
                "{set} phase {fit:?}"
            );
        }
        // THD is reported only where the sweep is at its steady level
        assert!(
            fit.steady_hz.0 < 25.0 && fit.steady_hz.1 > 15_000.0,
            "{fit:?}"
        );
    }
}

#[test]
fn tipfit_analyze_json_gives_thd_of_a_numpy_sweep() {
    let f = Fixture::new();
    let out = f.ok(&[
        "analyze",
        data("numpy_ess_rec.wav").to_str().unwrap(),
        "--reference",
        data("numpy_ess_ref.wav").to_str().unwrap(),
        "--json",
    ]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let thd: Thd = serde_json::from_value(doc["thd_percent"].clone()).unwrap();
    let t = &truth()["numpy_ess"];
    for (f, key) in [(100.0, "100"), (1000.0, "1000")] {
        let i = nearest(&thd, f);
        let want = t["thd_percent"][key].as_f64().unwrap();
        assert!(
            (thd.value[i] / want - 1.0).abs() < 0.10,
            "{} vs {want}",
            thd.value[i]
        );
        assert!(!thd.floor_limited[i]);
    }
    let l = doc["thd_percent"]["recognised_sweep"]["l_s"]
        .as_f64()
        .unwrap();
    assert!((l / t["l_s"].as_f64().unwrap() - 1.0).abs() < 1e-3, "{l}");
    assert_eq!(thd.floor_limited.len(), thd.value.len());
    assert_eq!(thd.floor_percent.len(), thd.value.len());
}

/// A recording of `stim`: half its level, 200 samples late, with a little
/// deterministic noise (-90 dBFS), 0.1 s longer than the reference.
fn through_a_wire(stim: &Stimulus) -> Vec<f32> {
    let mut y = vec![0f32; 200];
    y.extend(stim.samples.iter().map(|v| 0.5 * v));
    y.resize(y.len() + stim.rate as usize / 10, 0.0);
    let mut state = 12345u32;
    for v in y.iter_mut() {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        *v += 3e-5 * ((state >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * 2.0;
    }
    y
}

#[test]
fn linear_sweep_noise_and_a_faded_sweep_give_no_thd_and_say_why() {
    for (name, looks_like) in [
        ("sox_linear_ref.wav", "looks like a linear sweep"),
        ("pink_noise_ref.wav", "looks like noise"),
        (
            "ess_hann_ref.wav",
            "looks like an exponential sweep at a steady level (within 1 dB) over only",
        ),
    ] {
        let stim = reference(name);
        let m = analyse(&through_a_wire(&stim), &stim);
        eprintln!("{name}: {:?}", m.warnings);
        assert!(m.thd_percent.value.is_empty(), "{name}");
        assert!(m.thd_percent.recognised_sweep.is_none(), "{name}");
        let w = m
            .warnings
            .iter()
            .find(|w| {
                w.starts_with("no THD: THD needs an exponential sweep; the reference looks like ")
            })
            .unwrap_or_else(|| panic!("{name}: {:?}", m.warnings));
        assert!(w.contains(looks_like), "{name}: {w}");
    }
    // tipfit's own noise and multitone, and other signals, by the recogniser
    let noise = NoiseParams::default().generate().unwrap();
    assert_eq!(recognise(&noise.samples, 48_000), Err(NotEss::Noise));
    let tones = MultitoneParams::default().generate().unwrap();
    assert_eq!(recognise(&tones.samples, 48_000), Err(NotEss::Noise));
    let tone: Vec<f32> = (0..48_000)
        .map(|i| (0.5 * (2.0 * std::f64::consts::PI * 1000.0 * i as f64 / 48e3).sin()) as f32)
        .collect();
    assert_eq!(recognise(&tone, 48_000), Err(NotEss::SteadyTone));
    let mut falling = reference("sox_ess_ref.wav").samples;
    falling.reverse();
    assert_eq!(recognise(&falling, 48_000), Err(NotEss::FallingSweep));
    assert_eq!(recognise(&[0.0; 4800], 48_000), Err(NotEss::Silent));
}

#[test]
fn tipfit_noise_reference_says_why_there_is_no_thd() {
    let stim = NoiseParams {
        duration_s: 3.0,
        ..NoiseParams::default()
    }
    .generate()
    .unwrap();
    let m = analyse(&through_a_wire(&stim), &stim);
    assert!(m.thd_percent.value.is_empty());
    assert!(
        m.warnings
            .iter()
            .any(|w| w.contains("looks like noise (tipfit noise)")),
        "{:?}",
        m.warnings
    );
}

/// A sweep recognised from its samples, without its WAV description, keeps
/// tipfit's THD accuracy (the sim's exact truth within 1 dB at 100 Hz and
/// 1 kHz, the bar of tests/accuracy.rs).
#[test]
fn a_tipfit_sweep_without_its_description_still_gets_thd() {
    let mut stim = SweepParams::default().generate().unwrap();
    let amplitude = tipfit::dsp::from_db(SweepParams::default().level_dbfs);
    stim.kind = StimulusKind::External;
    let mut rig = SimRig::new(sim(70.0), 3);
    let (rec, _) = rig.simulate(&stim);
    let m = analyse(&rec.channels[0], &stim);
    for f in [100.0, 1000.0] {
        let i = nearest(&m.thd_percent, f);
        let f = m.thd_percent.freq_hz[i];
        let truth = rig.truth_thd_percent(f, amplitude, 48_000);
        let err = 20.0 * (m.thd_percent.value[i] / truth).log10();
        eprintln!("at {f:.1} Hz: {err:+.3} dB");
        assert!(
            err.abs() < 1.0,
            "{f} Hz: {} vs {truth}",
            m.thd_percent.value[i]
        );
    }
}

/// The sim as `tipfit measure` sets it up by default (silicone M, 1 % / 0.5
/// % driver distortion) with background noise `snr` dB below the signal.
fn sim(snr: f64) -> SimConfig {
    SimConfig {
        driver: Driver {
            h2_percent: 1.0,
            h3_percent: 0.5,
            ..Driver::default()
        },
        fit: Fit::Preset(TipPreset::SiliconeM),
        noise: Some(NoiseLevel::BelowSignal(snr)),
        ..SimConfig::default()
    }
}

/// Measure the sim with `hum_dbfs` of 50 Hz mains hum added as the fault
/// injector adds it (`src/rig/faults.rs`: harmonics 2-5 each 6 dB lower),
/// and compare every THD point with the truth: `(freq, value, truth,
/// flagged)`.
fn thd_vs_truth(snr: f64, hum_dbfs: Option<f64>) -> (Measurement, Vec<(f64, f64, f64, bool)>) {
    let stim = SweepParams::default().generate().unwrap();
    let amplitude = tipfit::dsp::from_db(SweepParams::default().level_dbfs);
    let mut rig = SimRig::new(sim(snr), 1);
    let (rec, _) = rig.simulate(&stim);
    let mut x = rec.channels[0].clone();
    if let Some(level) = hum_dbfs {
        let a = tipfit::dsp::from_db(level) * std::f64::consts::SQRT_2;
        for (k, v) in x.iter_mut().enumerate() {
            let t = k as f64 / 48_000.0;
            for h in 1..=5 {
                let w = 2.0 * std::f64::consts::PI * 50.0 * h as f64;
                *v += (a * 0.5f64.powi(h - 1) * (w * t + 0.3 * h as f64).sin()) as f32;
            }
        }
    }
    let m = analyse(&x, &stim);
    let t = &m.thd_percent;
    let rows = (0..t.freq_hz.len())
        .map(|i| {
            let f = t.freq_hz[i];
            (
                f,
                t.value[i],
                rig.truth_thd_percent(f, amplitude, 48_000),
                t.floor_limited[i],
            )
        })
        .collect();
    (m, rows)
}

/// What "not presented as distortion" means, point by point: every point
/// reading more than 3 dB above the truth is flagged, and every unflagged
/// point between 40 Hz and 8 kHz is within 1.5 dB of the truth. (Below 40
/// Hz and above 8 kHz tipfit's THD misses the sim's truth by up to 1.9 and
/// 2.5 dB in a clean measurement too: the 1/12-octave smoothing at the
/// band's edges.)
fn check_flags(rows: &[(f64, f64, f64, bool)], case: &str) {
    for &(f, v, truth, flagged) in rows {
        let err = 20.0 * (v / truth).log10();
        assert!(
            flagged || err < 3.0,
            "{case}: {v:.3} % at {f:.1} Hz (truth {truth:.3} %) is not flagged"
        );
        if !flagged && (40.0..=8000.0).contains(&f) {
            assert!(
                err.abs() < 1.5,
                "{case}: {v:.3} % at {f:.1} Hz vs {truth:.3} %"
            );
        }
    }
}

#[test]
fn a_clean_measurement_has_no_thd_at_the_floor() {
    let (m, rows) = thd_vs_truth(70.0, None);
    check_flags(&rows, "clean");
    assert!(rows.iter().all(|r| !r.3), "{:?}", m.warnings);
    assert!(
        !m.warnings.iter().any(|w| w.contains("THD")),
        "{:?}",
        m.warnings
    );
}

#[test]
fn hum_at_minus_30_dbfs_is_flagged_not_shown_as_distortion() {
    let (m, rows) = thd_vs_truth(70.0, Some(-30.0));
    check_flags(&rows, "hum -30 dBFS");
    // the 99 Hz point reads the hum's harmonics (about 10 %, truth 0.25 %)
    let near_100 = rows
        .iter()
        .min_by(|a, b| (a.0 - 100.0).abs().total_cmp(&(b.0 - 100.0).abs()))
        .unwrap();
    assert!(near_100.1 > 5.0 && near_100.3, "{near_100:?}");
    let w = m
        .warnings
        .iter()
        .find(|w| w.starts_with("THD at "))
        .unwrap_or_else(|| panic!("{:?}", m.warnings));
    assert!(
        w.contains("in 21-") && w.contains("mains hum (50 Hz and its harmonics)"),
        "{w}"
    );
    assert!(w.contains("upper bound, not the distortion"), "{w}");
}

#[test]
fn a_noisy_measurement_has_its_thd_flagged() {
    // --snr 10: THD reads the noise (about 15 %, truth 0.25-0.5 %)
    let (m, rows) = thd_vs_truth(10.0, None);
    check_flags(&rows, "snr 10");
    assert!(rows.iter().all(|r| r.3), "{:?}", m.warnings);
    assert!(
        m.warnings
            .iter()
            .any(|w| w.starts_with("THD at ") && w.contains("floor of the noise:")),
        "{:?}",
        m.warnings
    );
}

/// The same two cases through `tipfit measure`, with the fault injector's
/// hum: the JSON marks the points and the summary shows them as bounds.
#[test]
fn tipfit_measure_flags_hum_and_noise_in_json_and_summary() {
    let f = Fixture::new();
    for args in [&["--fault", "hum=-30"][..], &["--snr", "10"][..]] {
        let mut a = vec!["measure", "--json"];
        a.extend_from_slice(args);
        let doc: Value = serde_json::from_slice(&f.ok(&a).stdout).unwrap();
        let thd: Thd = serde_json::from_value(doc["thd_percent"].clone()).unwrap();
        let i = nearest(&thd, 100.0);
        assert!(
            thd.value[i] > 5.0 && thd.floor_limited[i],
            "{args:?}: {}",
            thd.value[i]
        );
        let mut a = vec!["measure"];
        a.extend_from_slice(args);
        let text = stdout(&f.ok(&a));
        assert!(
            text.contains("THD            at most ") && text.contains("(at the noise/hum floor)"),
            "{args:?}: {text}"
        );
        if args[0] == "--fault" {
            assert!(text.contains("mains hum (50 Hz"), "{text}");
        }
    }
}
