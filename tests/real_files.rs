//! Files and recordings as users bring them (issue 13): 64-bit float WAVs
//! made by SoX, scipy and by hand (WAVE_FORMAT_EXTENSIBLE), a recording that
//! started after the sweep, and tipfit stimulus descriptions edited into
//! nonsense. Truths: the sine formulas the fixture script wrote
//! (`scripts/fixtures/make_wav_formats.sh`, tests/data/wav-formats/README.md)
//! and the simulated ear's analytic transfer function.

mod common;

use common::{stdout, Fixture};
use std::path::Path;
use std::time::Duration;
use tipfit::analysis::{AnalysisConfig, AnalysisError, Analyzer};
use tipfit::dsp::db;
use tipfit::formats::wav::{decode_wav, encode_wav, read_wav, SampleFormat, WavError};
use tipfit::rig::sim::{SimConfig, SimRig, TipPreset};
use tipfit::signal::{MultitoneParams, NoiseParams, StimulusKind, SweepParams};

const DATA: &str = "tests/data/wav-formats";

fn sine(amplitude: f64, hz: f64, rate: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| amplitude * (2.0 * std::f64::consts::PI * hz * i as f64 / rate).sin())
        .collect()
}

/// Largest difference between decoded samples and the formula.
fn worst(decoded: &[f32], truth: &[f64]) -> f64 {
    assert_eq!(decoded.len(), truth.len());
    decoded
        .iter()
        .zip(truth)
        .map(|(a, b)| (*a as f64 - b).abs())
        .fold(0.0, f64::max)
}

#[test]
fn float64_wavs_from_sox_scipy_and_extensible_headers_decode_to_their_samples() {
    // Tolerance: f64 -> f32 rounding (6e-8 at full scale) plus SoX's own
    // sine synthesis rounding.
    let w = read_wav(&Path::new(DATA).join("sox-f64-stereo.wav")).unwrap();
    assert_eq!(
        (w.rate, w.channels.len(), w.channels[0].len()),
        (48_000, 2, 2400)
    );
    assert!(worst(&w.channels[0], &sine(1.0, 1000.0, 48e3, 2400)) < 1e-6);
    assert!(worst(&w.channels[1], &sine(1.0, 250.0, 48e3, 2400)) < 1e-6);

    let w = read_wav(&Path::new(DATA).join("scipy-f64-mono.wav")).unwrap();
    assert_eq!((w.rate, w.channels.len()), (48_000, 1));
    assert!(worst(&w.channels[0], &sine(0.5, 1000.0, 48e3, 2400)) < 1e-7);

    let w = read_wav(&Path::new(DATA).join("extensible-f64-3ch.wav")).unwrap();
    assert_eq!((w.rate, w.channels.len()), (44_100, 3));
    for (c, ch) in w.channels.iter().enumerate() {
        let truth = sine((c + 1) as f64 / 10.0, 441.0, 44_100.0, 1000);
        assert!(worst(ch, &truth) < 1e-7, "channel {c}");
    }
}

#[test]
fn truncated_float64_wav_is_named_as_truncated() {
    let bytes = std::fs::read(Path::new(DATA).join("scipy-f64-mono.wav")).unwrap();
    let e = decode_wav(&bytes[..bytes.len() - 1000], Path::new("cut64.wav")).unwrap_err();
    assert!(matches!(e, WavError::Truncated { .. }), "{e}");
    assert!(
        e.to_string()
            .starts_with("cut64.wav: the file is truncated"),
        "{e}"
    );
}

#[test]
fn float64_sweep_analyses_as_recording_and_as_reference() {
    // SoX converted tipfit's 2 s sweep to 64-bit float (and dropped the
    // description): analysed against the same sweep made here, the response
    // is unity gain at zero latency; and as the reference (an external
    // signal, Kirkeby inverse) the same. 0.1 dB: what tipfit's sweep reads
    // against itself at 20 Hz (0.096 dB), the documented accuracy.
    let fx = Fixture::new();
    fx.ok(&["signal", "sweep", "--duration", "2", "--out", "s.wav"]);
    std::fs::copy(Path::new(DATA).join("sweep-2s-f64.wav"), fx.path("s64.wav")).unwrap();
    for (rec, reference) in [("s64.wav", "s.wav"), ("s.wav", "s64.wav")] {
        let out = fx.ok(&["analyze", rec, "--reference", reference, "--json"]);
        let m: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert!(m["latency_s"].as_f64().unwrap().abs() < 1e-9, "{rec}");
        let fr = &m["frequency_response"];
        for (f, d) in fr["freq_hz"]
            .as_array()
            .unwrap()
            .iter()
            .zip(fr["db"].as_array().unwrap())
        {
            let (f, d) = (f.as_f64().unwrap(), d.as_f64().unwrap());
            if (20.0..=10_000.0).contains(&f) {
                assert!(d.abs() < 0.1, "{rec} vs {reference}: {d} dB at {f} Hz");
            }
        }
    }
}

fn sweep_2s() -> tipfit::signal::Stimulus {
    SweepParams {
        duration_s: 2.0,
        ..SweepParams::default()
    }
    .generate()
    .unwrap()
}

/// A 10 s sweep (10 Hz - 22 kHz, L = 1.30 s): a 0.3 s late start loses
/// 12.6 Hz and below, and reads right from 18.9 Hz (two stationary-phase
/// widths, `late_start_lowest_hz`), clear of the 20 Hz bass band.
fn sweep_10s() -> tipfit::signal::Stimulus {
    SweepParams {
        duration_s: 10.0,
        ..SweepParams::default()
    }
    .generate()
    .unwrap()
}

#[test]
fn late_start_is_diagnosed_and_the_rest_of_the_sweep_analysed() {
    // The recording starts 0.30 s after the sweep itself began (its lead and
    // the sim's latency are cut too). Truth: the sim's transfer function.
    let stim = sweep_10s();
    let StimulusKind::Sweep(p) = &stim.kind else {
        unreachable!()
    };
    let mut rig = SimRig::new(SimConfig::preset(TipPreset::SiliconeS), 3);
    let (rec, latency) = rig.simulate(&stim);
    let x = &rec.channels[0];
    let cut = latency + p.lead_samples() + (0.3 * 48_000.0) as usize;
    let cfg = AnalysisConfig::default();
    let a = Analyzer::new();
    let whole = a.analyse(x, 48_000, &stim, None, &cfg).unwrap();
    let late = a.analyse(&x[cut..], 48_000, &stim, None, &cfg).unwrap();
    let w = late
        .warnings
        .iter()
        .find(|w| w.contains("starts 0.30 s after the sweep began"))
        .unwrap_or_else(|| panic!("{:?}", late.warnings));
    let lowest = tipfit::analysis::late_start_lowest_hz(p.start_hz, p.l_s(), 0.3);
    // Independent of that search: the stationary-phase condition holds there.
    let f_cut = p.start_hz * (0.3 / p.l_s()).exp();
    assert!((p.l_s() * (lowest / f_cut).ln() - 2.0 * (p.l_s() / lowest).sqrt()).abs() < 1e-6);
    assert!((18.0..20.0).contains(&lowest), "{lowest}");
    assert!(w.contains(&format!("below {lowest:.1} Hz")), "{w}");
    // The response starts there and is right (0.5 dB, after aligning levels
    // as tests/accuracy.rs does) up to 10 kHz.
    let fr = &late.frequency_response;
    assert!(
        fr.freq_hz[0] >= lowest && fr.freq_hz[0] < lowest * 1.02,
        "{}",
        fr.freq_hz[0]
    );
    let errs: Vec<(f64, f64)> = fr
        .freq_hz
        .iter()
        .zip(&fr.db)
        .filter(|(f, _)| **f <= 10_000.0)
        .map(|(f, d)| (*f, d - db(rig.truth_response(*f, 48_000).norm())))
        .collect();
    let mean = errs.iter().map(|e| e.1).sum::<f64>() / errs.len() as f64;
    let worst = errs.iter().map(|e| (e.1 - mean).abs()).fold(0.0, f64::max);
    assert!(worst < 0.5, "worst {worst} dB");
    // Seal metrics as from the whole recording (0.3 dB), same verdict.
    assert!((late.seal.bass_db - whole.seal.bass_db).abs() < 0.3);
    assert_eq!(late.seal.verdict, whole.seal.verdict);
    assert!(late.latency_s < -0.3, "{}", late.latency_s);
}

#[test]
fn late_start_that_cuts_into_the_bass_band_is_refused_with_what_is_missing() {
    // The default 5 s sweep (L = 0.60 s) 0.3 s late: 16.5 Hz never recorded,
    // right only from 27.1 Hz: the 20-100 Hz bass band cannot be had.
    let stim = SweepParams::default().generate().unwrap();
    let StimulusKind::Sweep(p) = &stim.kind else {
        unreachable!()
    };
    let mut rig = SimRig::new(SimConfig::preset(TipPreset::Foam), 1);
    let (rec, latency) = rig.simulate(&stim);
    let cut = latency + p.lead_samples() + (0.3 * 48_000.0) as usize;
    let e = Analyzer::new()
        .analyse(
            &rec.channels[0][cut..],
            48_000,
            &stim,
            None,
            &AnalysisConfig::default(),
        )
        .unwrap_err();
    assert!(matches!(e, AnalysisError::LateStart { .. }), "{e}");
    let text = e.to_string();
    let f_cut = p.start_hz * (0.3 / p.l_s()).exp();
    assert!(
        text.contains("starts 0.30 s after the sweep began"),
        "{text}"
    );
    assert!(
        text.contains(&format!("up to {f_cut:.1} Hz were never recorded")),
        "{text}"
    );
    assert!(
        text.contains("--bass-band 28-100 would use what was recorded"),
        "{text}"
    );
    assert!(text.contains("start recording before playing"), "{text}");
}

#[test]
fn late_start_on_noise_is_diagnosed_not_called_a_missing_stimulus() {
    let stim = NoiseParams {
        duration_s: 3.0,
        ..NoiseParams::default()
    }
    .generate()
    .unwrap();
    let mut rig = SimRig::new(SimConfig::preset(TipPreset::Foam), 1);
    let (rec, latency) = rig.simulate(&stim);
    let cut = latency + (0.3 * 48_000.0) as usize;
    let e = Analyzer::new()
        .analyse(
            &rec.channels[0][cut..],
            48_000,
            &stim,
            None,
            &AnalysisConfig::default(),
        )
        .unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("starts 0.30 s after the signal began (10.0 %"),
        "{text}"
    );
    assert!(!text.contains("does not contain the stimulus"), "{text}");
}

#[test]
fn late_start_through_analyze_names_the_cut() {
    let fx = Fixture::new();
    fx.ok(&["signal", "sweep", "--out", "s.wav"]);
    let stim = read_wav(&fx.path("s.wav")).unwrap();
    let StimulusKind::Sweep(p) = stim.stimulus.clone().unwrap() else {
        unreachable!()
    };
    // An ideal recorder (no latency) that started 0.3 s into the sweep.
    let x = stim.channels[0][p.lead_samples() + 14_400..].to_vec();
    let bytes = encode_wav(std::slice::from_ref(&x), 48_000, SampleFormat::I24, None).unwrap();
    fx.write("late.wav", bytes);
    let out = fx.run(&["analyze", "late.wav", "--reference", "s.wav"]);
    common::assert_one_error(
        &out,
        &[
            "late.wav",
            "the recording starts 0.30 s after the sweep began",
            "--bass-band 28-100",
        ],
    );
    // With the bass band it suggests, it is analysed.
    let out = fx.ok(&[
        "analyze",
        "late.wav",
        "--reference",
        "s.wav",
        "--bass-band",
        "28-100",
    ]);
    let text = stdout(&out);
    assert!(
        text.contains("the recording starts 0.30 s after the sweep began"),
        "{text}"
    );
    assert!(text.contains("GOOD"), "{text}");
}

/// Run `tipfit analyze` on a recording against a reference whose
/// description was edited; it must end within 60 s (a hang fails), without
/// a panic, and say the description was ignored.
fn analyse_crafted(kind: &StimulusKind, samples: Vec<f32>, rate: u32) -> (bool, String) {
    let fx = Fixture::new();
    let bytes = encode_wav(
        std::slice::from_ref(&samples),
        rate,
        SampleFormat::F32,
        Some(kind),
    )
    .unwrap();
    fx.write("crafted.wav", bytes);
    let rec = encode_wav(&[samples], rate, SampleFormat::F32, None).unwrap();
    fx.write("rec.wav", rec);
    let out = fx
        .cmd(&["analyze", "rec.wav", "--reference", "crafted.wav"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let text = format!("{}{}", stdout(&out), common::stderr(&out));
    assert!(!text.contains("panicked"), "{text}");
    assert!(out.status.code().is_some(), "killed (a hang?): {text}");
    assert!(
        text.contains("crafted.wav: its tipfit stimulus description is ignored"),
        "{text}"
    );
    (out.status.success(), text)
}

#[test]
fn crafted_descriptions_are_ignored_with_a_warning_and_never_panic_or_hang() {
    let mt = MultitoneParams::default().generate().unwrap();
    let StimulusKind::Multitone(p) = mt.kind.clone() else {
        unreachable!()
    };
    // Inverted band (used to panic with an index out of bounds).
    let inverted = StimulusKind::Multitone(MultitoneParams {
        start_hz: 2000.0,
        max_hz: 1000.0,
        ..p.clone()
    });
    let (_, text) = analyse_crafted(&inverted, mt.samples.clone(), 48_000);
    assert!(text.contains("--max 1000 is out of range"), "{text}");
    // Ratio 1.0 (used to hang in the tone loop).
    let ratio = StimulusKind::Multitone(MultitoneParams { ratio: 1.0, ..p });
    let (_, text) = analyse_crafted(&ratio, mt.samples, 48_000);
    assert!(text.contains("--ratio 1 is out of range"), "{text}");
    // A sweep description at another rate than the file's.
    let sweep = sweep_2s();
    let StimulusKind::Sweep(sp) = sweep.kind.clone() else {
        unreachable!()
    };
    let wrong_rate = StimulusKind::Sweep(SweepParams {
        rate: 44_100,
        ..sp.clone()
    });
    let (ok, text) = analyse_crafted(&wrong_rate, sweep.samples.clone(), 48_000);
    assert!(
        text.contains("at 44100 Hz, but the file is at 48000 Hz"),
        "{text}"
    );
    assert!(ok, "the sweep itself is fine as an external signal: {text}");
    // Valid, same length, other samples: a different level.
    let louder = StimulusKind::Sweep(SweepParams {
        level_dbfs: -6.0,
        ..sp
    });
    let (ok, text) = analyse_crafted(&louder, sweep.samples, 48_000);
    assert!(
        text.contains("its samples differ from the sweep it describes"),
        "{text}"
    );
    assert!(ok, "{text}");
}

#[test]
fn a_matching_description_is_kept() {
    let sweep = sweep_2s();
    for fmt in [SampleFormat::F32, SampleFormat::I24, SampleFormat::I16] {
        let bytes = encode_wav(
            std::slice::from_ref(&sweep.samples),
            48_000,
            fmt,
            Some(&sweep.kind),
        )
        .unwrap();
        let w = decode_wav(&bytes, Path::new("s.wav")).unwrap();
        assert_eq!(
            w.stimulus.as_ref(),
            Some(&sweep.kind),
            "{fmt:?}: {:?}",
            w.stimulus_note
        );
        assert!(w.stimulus_note.is_none());
    }
}
