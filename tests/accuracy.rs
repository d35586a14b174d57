//! Accuracy against the simulated rig's exact truth (issue 2's bars).

use tipfit::acoustics::Leak;
use tipfit::analysis::{AnalysisConfig, Analyzer, Measurement, Verdict};
use tipfit::dsp::db;
use tipfit::rig::sim::{Driver, Fit, Latency, NoiseLevel, SimConfig, SimRig, TipPreset};
use tipfit::signal::{MultitoneParams, Stimulus, SweepParams};

fn sweep() -> Stimulus {
    SweepParams::default().generate().unwrap()
}

fn measure(rig: &mut SimRig, stim: &Stimulus, reference: Option<&tipfit::analysis::FrequencyResponse>) -> (Measurement, usize) {
    let (rec, latency) = rig.simulate(stim);
    let m = Analyzer::new()
        .analyse(&rec.channels[0], rec.rate, stim, reference, &AnalysisConfig::default())
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
    eprintln!("max error {err:.4} dB at {f:.1} Hz; latency {} vs {latency}", m.latency_s * 48_000.0);
    assert!(err < 0.2, "max error {err} dB at {f} Hz");
    let found = (m.latency_s * 48_000.0).round() as i64;
    assert!((found - latency as i64).abs() <= 1, "latency {found} vs {latency}");
}
