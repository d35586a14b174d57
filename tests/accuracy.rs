//! Accuracy against the simulated rig's exact truth (issue 2's bars).

use tipfit::acoustics::Leak;
use tipfit::analysis::{AnalysisConfig, Analyzer, Measurement, Verdict};
use tipfit::dsp::db;
use tipfit::rig::sim::{Driver, Fit, Latency, NoiseLevel, SimConfig, SimRig, TipPreset};
use tipfit::signal::{MultitoneParams, Stimulus, SweepParams};

fn sweep() -> Stimulus {
    SweepParams::default().generate().unwrap()
}

fn measure(
    rig: &mut SimRig,
    stim: &Stimulus,
    reference: Option<&tipfit::analysis::FrequencyResponse>,
) -> (Measurement, usize) {
    let (rec, latency) = rig.simulate(stim);
    let m = Analyzer::new()
        .analyse(
            &rec.channels[0],
            rec.rate,
            stim,
            reference,
            &AnalysisConfig::default(),
        )
        .unwrap();
    (m, latency)
}

/// Largest deviation in dB between measurement and truth over [lo, hi] Hz,
/// after aligning the mean level over that range.
fn max_error_db(m: &Measurement, rig: &SimRig, lo: f64, hi: f64) -> (f64, f64) {
    let fr = &m.frequency_response;
    let pts: Vec<(f64, f64)> = fr
        .freq_hz
        .iter()
        .zip(&fr.db)
        .filter(|(f, _)| **f >= lo && **f <= hi)
        .map(|(f, d)| (*f, d - db(rig.truth_response(*f, m.sample_rate).norm())))
        .collect();
    let mean = pts.iter().map(|p| p.1).sum::<f64>() / pts.len() as f64;
    pts.iter()
        .map(|p| (p.0, (p.1 - mean).abs()))
        .fold((0.0, 0.0), |a, b| if b.1 > a.1 { b } else { a })
}

#[test]
fn response_within_0_2_db_of_truth_at_50_db_snr() {
    let stim = sweep();
    let cfg = SimConfig {
        noise: Some(NoiseLevel::BelowSignal(50.0)),
        fit: Fit::Preset(TipPreset::SiliconeM),
        latency: Latency::Samples(1234),
        ..SimConfig::default()
    };
    let mut rig = SimRig::new(cfg, 11);
    let (m, latency) = measure(&mut rig, &stim, None);
    let (f, err) = max_error_db(&m, &rig, 20.0, 16_000.0);
    eprintln!(
        "max error {err:.4} dB at {f:.1} Hz; latency {} vs {latency}",
        m.latency_s * 48_000.0
    );
    assert!(err < 0.2, "max error {err} dB at {f} Hz");
    let found = (m.latency_s * 48_000.0).round() as i64;
    assert!(
        (found - latency as i64).abs() <= 1,
        "latency {found} vs {latency}"
    );
}

#[test]
fn response_within_0_5_db_up_to_10_khz_with_200_ppm_drift() {
    let stim = sweep();
    let cfg = SimConfig {
        noise: Some(NoiseLevel::BelowSignal(50.0)),
        fit: Fit::Preset(TipPreset::Foam),
        drift_ppm: 200.0,
        ..SimConfig::default()
    };
    let mut rig = SimRig::new(cfg, 5);
    let (m, _) = measure(&mut rig, &stim, None);
    let (f, err) = max_error_db(&m, &rig, 20.0, 10_000.0);
    eprintln!("200 ppm: max error {err:.4} dB at {f:.1} Hz");
    assert!(err < 0.5, "max error {err} dB at {f} Hz");
}

fn leak_with_corner(corner_hz: f64, zeta: f64) -> Leak {
    let unit = Leak { f0_hz: 1.0, zeta }.corner_hz();
    Leak {
        f0_hz: corner_hz / unit,
        zeta,
    }
}

/// Without a reference the fit assumes the sealed response is flat below
/// 1 kHz; the sim's IEM has a +8 dB ear-gain peak at 3 kHz whose skirt
/// (+1.1 dB at 1 kHz) is what limits this mode to corners up to 250 Hz and
/// leaks that are not strongly resistive. Corners up to 500 Hz of any
/// damping are covered against a reference (next test).
#[test]
fn leak_corner_without_reference_within_10_percent_from_30_to_250_hz() {
    let stim = sweep();
    for zeta in [0.3, 0.5, 0.7] {
        for corner in [30.0, 60.0, 120.0, 250.0] {
            let leak = leak_with_corner(corner, zeta);
            let mut rig = SimRig::new(
                SimConfig {
                    fit: Fit::Leak(leak),
                    ..SimConfig::default()
                },
                1,
            );
            let (m, _) = measure(&mut rig, &stim, None);
            let found = m.seal.leak_corner_hz.expect("a corner");
            eprintln!(
                "zeta {zeta} corner {corner}: found {found:.2} ({:+.2} %) {:?}",
                100.0 * (found / corner - 1.0),
                m.seal.verdict
            );
            assert!(
                (found / corner - 1.0).abs() < 0.10,
                "corner {corner} Hz, zeta {zeta}: found {found}"
            );
        }
    }
}

/// Leak corners from 30 to 500 Hz, any damping, on an IEM with a +6 dB bass
/// shelf, measured against the same IEM sealed: within 10 % (seen: 0.8 %).
#[test]
fn leak_corner_within_10_percent_from_30_to_500_hz_against_sealed_reference() {
    let stim = sweep();
    let driver = Driver {
        bass_shelf_db: 6.0,
        ..Driver::default()
    };
    let sealed_cfg = SimConfig {
        driver: driver.clone(),
        fit: Fit::Sealed,
        ..SimConfig::default()
    };
    let (reference, _) = measure(&mut SimRig::new(sealed_cfg, 1), &stim, None);
    for (zeta, corner) in [0.3, 0.5, 0.7, 2.0]
        .into_iter()
        .flat_map(|z| [30.0, 60.0, 120.0, 250.0, 500.0].map(|c| (z, c)))
    {
        let leak = leak_with_corner(corner, zeta);
        let cfg = SimConfig {
            driver: driver.clone(),
            fit: Fit::Leak(leak),
            ..SimConfig::default()
        };
        let (m, _) = measure(
            &mut SimRig::new(cfg, 2),
            &stim,
            Some(&reference.frequency_response),
        );
        let found = m.seal.leak_corner_hz.expect("a corner");
        eprintln!(
            "shelf+ref zeta {zeta} corner {corner}: found {found:.2} ({:+.2} %), loss {:?}",
            100.0 * (found / corner - 1.0),
            m.seal.bass_loss_db
        );
        assert!(
            (found / corner - 1.0).abs() < 0.10,
            "corner {corner}: found {found}"
        );
        if corner >= 60.0 {
            assert!(m.seal.bass_loss_db.unwrap() > 0.0);
        }
    }
}

#[test]
fn sealed_presets_report_no_corner_and_good_earbud_no_seal() {
    let stim = sweep();
    for (preset, verdict) in [
        (TipPreset::Foam, Verdict::Good),
        (TipPreset::SiliconeM, Verdict::Good),
        (TipPreset::DoubleFlange, Verdict::Good),
        (TipPreset::TripleFlange, Verdict::Good),
        (TipPreset::CustomMold, Verdict::Good),
        (TipPreset::Earbud, Verdict::NoSeal),
    ] {
        for seed in 1..=5 {
            let mut rig = SimRig::new(SimConfig::preset(preset), seed);
            let (m, _) = measure(&mut rig, &stim, None);
            eprintln!(
                "{} seed {seed}: {:?} bass {:.2} corner {:?}",
                preset.name(),
                m.seal.verdict,
                m.seal.bass_db,
                m.seal.leak_corner_hz
            );
            assert_eq!(m.seal.verdict, verdict, "{} seed {seed}", preset.name());
            if verdict == Verdict::Good {
                assert_eq!(m.seal.leak_corner_hz, None, "{} seed {seed}", preset.name());
            }
        }
    }
}

#[test]
fn thd_recovered_within_1_db_at_100_hz_and_1_khz() {
    let stim = sweep();
    let amplitude = tipfit::dsp::from_db(SweepParams::default().level_dbfs);
    let driver = Driver {
        h2_percent: 3.0,
        h3_percent: 2.0,
        ..Driver::default()
    };
    let cfg = SimConfig {
        driver,
        fit: Fit::Preset(TipPreset::Foam),
        ..SimConfig::default()
    };
    let mut rig = SimRig::new(cfg, 3);
    let (m, _) = measure(&mut rig, &stim, None);
    for f in [100.0, 1000.0] {
        let i = (0..m.thd_percent.freq_hz.len())
            .min_by(|&a, &b| {
                (m.thd_percent.freq_hz[a] - f)
                    .abs()
                    .total_cmp(&(m.thd_percent.freq_hz[b] - f).abs())
            })
            .expect("THD values");
        let f = m.thd_percent.freq_hz[i];
        let truth = rig.truth_thd_percent(f, amplitude, 48_000);
        let err = 20.0 * (m.thd_percent.value[i] / truth).log10();
        eprintln!(
            "THD at {f}: {:.4} % vs truth {truth:.4} % ({err:+.3} dB)",
            m.thd_percent.value[i]
        );
        assert!(
            err.abs() < 1.0,
            "THD at {f} Hz: {} vs {truth}",
            m.thd_percent.value[i]
        );
    }
}

/// An exponential sweep written without tipfit's generator: instantaneous
/// frequency integrated numerically, a Tukey window, no stored description.
fn foreign_sweep(rate: u32) -> Stimulus {
    let fs = rate as f64;
    let (f1, f2, dur) = (15.0f64, 21_000.0f64, 3.0f64);
    let n = (dur * fs) as usize;
    let k = (f2 / f1).ln() / dur;
    let mut phase = 0.0f64;
    let mut samples = vec![0f32; (0.2 * fs) as usize];
    for i in 0..n {
        let t = i as f64 / fs;
        let w = if i < 2000 {
            (i as f64 / 2000.0 * std::f64::consts::FRAC_PI_2)
                .sin()
                .powi(2)
        } else if n - i < 500 {
            ((n - i) as f64 / 500.0 * std::f64::consts::FRAC_PI_2)
                .sin()
                .powi(2)
        } else {
            1.0
        };
        samples.push((0.3 * w * phase.sin()) as f32);
        phase += 2.0 * std::f64::consts::PI * f1 * (k * t).exp() / fs;
    }
    samples.extend(std::iter::repeat_n(0.0, (0.8 * fs) as usize));
    Stimulus {
        samples,
        rate,
        kind: tipfit::signal::StimulusKind::External,
    }
}

#[test]
fn foreign_sweep_reference_matches_truth_within_0_3_db() {
    let stim = foreign_sweep(48_000);
    let cfg = SimConfig {
        noise: Some(NoiseLevel::BelowSignal(50.0)),
        fit: Fit::Preset(TipPreset::SiliconeM),
        ..SimConfig::default()
    };
    let mut rig = SimRig::new(cfg, 4);
    let (m, latency) = measure(&mut rig, &stim, None);
    let (f, err) = max_error_db(&m, &rig, 20.0, 16_000.0);
    eprintln!(
        "foreign sweep: max error {err:.4} dB at {f:.1} Hz, latency {} vs {latency}",
        m.latency_s * 48_000.0
    );
    assert!(err < 0.3, "max error {err} dB at {f} Hz");
    // Issue 13 changed this expectation (it was `thd_percent.value` empty):
    // an exponential sweep from another program is now recognised and gets
    // THD. This rig has no distortion, so every THD point reads the noise
    // and must be marked as at the floor.
    let fit = m.thd_percent.recognised_sweep.as_ref().expect("recognised");
    let l = 3.0 / (21_000f64 / 15.0).ln();
    assert!((fit.l_s / l - 1.0).abs() < 1e-3, "{fit:?}");
    assert!(!m.thd_percent.value.is_empty());
    assert!(m.thd_percent.floor_limited.iter().all(|f| *f));
}

#[test]
fn quick_check_agrees_with_sweep_for_every_preset() {
    let stim = sweep();
    let tones = MultitoneParams {
        duration_s: 1.0,
        ..MultitoneParams::default()
    }
    .generate()
    .unwrap();
    for preset in TipPreset::ALL {
        for seed in 1..=3 {
            let mut rig = SimRig::new(SimConfig::preset(preset), seed);
            let (full, _) = measure(&mut rig, &stim, None);
            let (quick, _) = measure(&mut rig, &tones, None);
            eprintln!(
                "{} seed {seed}: sweep {:?} bass {:.2} corner {:?} | quick {:?} bass {:.2} corner {:?}",
                preset.name(), full.seal.verdict, full.seal.bass_db, full.seal.leak_corner_hz,
                quick.seal.verdict, quick.seal.bass_db, quick.seal.leak_corner_hz
            );
            assert_eq!(
                full.seal.verdict,
                quick.seal.verdict,
                "{} seed {seed}",
                preset.name()
            );
        }
    }
}

#[test]
fn quick_bass_metric_repeats_within_0_3_db_at_40_db_snr() {
    let tones = MultitoneParams {
        duration_s: 1.0,
        ..MultitoneParams::default()
    }
    .generate()
    .unwrap();
    for preset in [TipPreset::SiliconeM, TipPreset::SiliconeS] {
        let cfg = SimConfig {
            noise: Some(NoiseLevel::BelowSignal(40.0)),
            ..SimConfig::preset(preset)
        };
        let mut rig = SimRig::new(cfg, 9);
        let values: Vec<f64> = (0..20)
            .map(|_| measure(&mut rig, &tones, None).0.seal.bass_db)
            .collect();
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>()
            / (values.len() - 1) as f64)
            .sqrt();
        eprintln!(
            "{}: quick bass {mean:.2} dB, SD {sd:.4} dB over 20 noise seeds",
            preset.name()
        );
        assert!(sd < 0.3, "SD {sd}");
        assert!(sd > 0.0, "noise seeds must differ");
    }
}

#[test]
fn random_latency_up_to_1_s_is_found_within_one_sample() {
    let stim = sweep();
    for seed in 1..=6 {
        let cfg = SimConfig {
            latency: Latency::Random(1.0),
            driver: Driver {
                h2_percent: 1.0,
                h3_percent: 0.5,
                ..Driver::default()
            },
            ..SimConfig::preset(TipPreset::SiliconeM)
        };
        let mut rig = SimRig::new(cfg, seed);
        let (m, latency) = measure(&mut rig, &stim, None);
        let found = (m.latency_s * 48_000.0).round() as i64;
        eprintln!("seed {seed}: latency {latency} found {found}");
        assert!(
            (found - latency as i64).abs() <= 1,
            "seed {seed}: {found} vs {latency}"
        );
        let (f, err) = max_error_db(&m, &rig, 20.0, 16_000.0);
        assert!(err < 0.2, "seed {seed}: {err} dB at {f} Hz");
    }
}

#[test]
fn pink_noise_excitation_matches_truth_within_0_3_db() {
    let stim = tipfit::signal::NoiseParams {
        duration_s: 5.0,
        ..Default::default()
    }
    .generate()
    .unwrap();
    let cfg = SimConfig {
        noise: Some(NoiseLevel::BelowSignal(50.0)),
        ..SimConfig::preset(TipPreset::SiliconeS)
    };
    let mut rig = SimRig::new(cfg, 8);
    let (m, latency) = measure(&mut rig, &stim, None);
    let (f, err) = max_error_db(&m, &rig, 20.0, 16_000.0);
    eprintln!("pink noise: max error {err:.4} dB at {f:.1} Hz");
    assert!(err < 0.3, "{err} dB at {f} Hz");
    assert!(((m.latency_s * 48_000.0).round() as i64 - latency as i64).abs() <= 1);
    assert_eq!(m.method, "noise");
}

#[test]
fn sweeps_at_44_1_and_96_khz_match_truth_within_0_2_db() {
    for rate in [44_100, 96_000] {
        let stim = SweepParams::at_rate(rate).generate().unwrap();
        let cfg = SimConfig {
            noise: Some(NoiseLevel::BelowSignal(50.0)),
            ..SimConfig::preset(TipPreset::Foam)
        };
        let mut rig = SimRig::new(cfg, 2);
        let (m, _) = measure(&mut rig, &stim, None);
        assert_eq!(m.sample_rate, rate);
        let (f, err) = max_error_db(&m, &rig, 20.0, 16_000.0);
        eprintln!("{rate} Hz: max error {err:.4} dB at {f:.1} Hz");
        assert!(err < 0.2, "{rate} Hz: {err} dB at {f} Hz");
    }
}

#[test]
fn clipping_recording_is_refused_not_analysed() {
    let stim = sweep();
    let cfg = SimConfig {
        gain_db: 20.0,
        ..SimConfig::preset(TipPreset::Foam)
    };
    let (rec, _) = SimRig::new(cfg, 1).simulate(&stim);
    let e = Analyzer::new()
        .analyse(
            &rec.channels[0],
            rec.rate,
            &stim,
            None,
            &AnalysisConfig::default(),
        )
        .unwrap_err();
    assert!(e.to_string().contains("clipped"), "{e}");
}

#[test]
fn low_snr_warns_about_the_bass_and_noise_floor() {
    let stim = sweep();
    let cfg = SimConfig {
        noise: Some(NoiseLevel::BelowSignal(15.0)),
        ..SimConfig::preset(TipPreset::SiliconeS)
    };
    let (m, _) = measure(&mut SimRig::new(cfg, 1), &stim, None);
    eprintln!("{:?}", m.warnings);
    assert!(
        m.warnings.iter().any(|w| w.contains("bass band")),
        "{:?}",
        m.warnings
    );
    assert!(
        m.warnings.iter().any(|w| w.contains("noise floor")),
        "{:?}",
        m.warnings
    );
}
