//! Speed of the core pipeline (issue 2 targets):
//! - analysis of a 5 s, 48 kHz sweep recording (deconvolve, response,
//!   smoothing, THD, seal metrics) against the FFTs that analysis needs,
//!   measured side by side;
//! - a whole simulated measurement (stimulus, simulation, analysis) from cold.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use tipfit::analysis::{AnalysisConfig, Analyzer};
use tipfit::dsp::deconvolve::fft_len;
use tipfit::dsp::fft::{good_size, FftCache};
use tipfit::dsp::grid::Smoothing;
use tipfit::rig::sim::{SimConfig, SimRig, TipPreset};
use tipfit::signal::SweepParams;

fn analysis(c: &mut Criterion) {
    let stim = SweepParams::default().generate().unwrap();
    let mut rig = SimRig::new(SimConfig::preset(TipPreset::SiliconeS), 1);
    let (rec, _) = rig.simulate(&stim);
    let x = &rec.channels[0];
    let analyzer = Analyzer::new();
    let cfg = AnalysisConfig {
        smoothing: Smoothing::Octave(12),
        ..AnalysisConfig::default()
    };
    // Warm the plan and inverse caches, as a session or monitor would.
    analyzer.analyse(x, rec.rate, &stim, None, &cfg).unwrap();

    let mut g = c.benchmark_group("sweep_5s_48k");
    g.sample_size(30);
    g.bench_function("analyse", |b| {
        b.iter(|| {
            analyzer
                .analyse(black_box(x), rec.rate, &stim, None, &cfg)
                .unwrap()
        })
    });
    // The same with the clock not checked (`--sync off`): what the drift
    // estimate costs when there is no drift.
    let off = AnalysisConfig {
        clock: tipfit::analysis::ClockCheck::Off,
        ..cfg.clone()
    };
    g.bench_function("analyse_clock_off", |b| {
        b.iter(|| {
            analyzer
                .analyse(black_box(x), rec.rate, &stim, None, &off)
                .unwrap()
        })
    });
    // The FFTs of one analysis: forward and inverse at the deconvolution
    // length, and six short forward FFTs (linear window, four harmonics,
    // noise window).
    let fft = FftCache::new();
    let n = fft_len(x.len(), stim.samples.len());
    let m = good_size(48_000);
    let big: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    let small = vec![0.5f64; m];
    let (fwd, inv, short) = (fft.forward(n), fft.inverse(n), fft.forward(m));
    g.bench_function("ffts_only", |b| {
        let mut buf = vec![0.0; n];
        let mut spec = fwd.make_output_vec();
        let mut out = vec![0.0; n];
        let mut sbuf = vec![0.0; m];
        let mut sspec = short.make_output_vec();
        let mut scratch = fwd.make_scratch_vec();
        scratch.resize(scratch.len().max(inv.get_scratch_len()), Default::default());
        let mut sscratch = short.make_scratch_vec();
        b.iter(|| {
            buf[..big.len()].copy_from_slice(&big);
            buf[big.len()..].fill(0.0);
            fwd.process_with_scratch(&mut buf, &mut spec, &mut scratch)
                .unwrap();
            spec[0].im = 0.0;
            if let Some(last) = spec.last_mut() {
                last.im = 0.0;
            }
            inv.process_with_scratch(&mut spec, &mut out, &mut scratch)
                .unwrap();
            for _ in 0..6 {
                sbuf.copy_from_slice(&small);
                short
                    .process_with_scratch(&mut sbuf, &mut sspec, &mut sscratch)
                    .unwrap();
            }
            black_box(&out);
        })
    });
    g.finish();
}

fn end_to_end(c: &mut Criterion) {
    let mut g = c.benchmark_group("measure_sim");
    g.sample_size(10);
    g.bench_function("sweep_5s_48k_cold", |b| {
        b.iter(|| {
            let stim = SweepParams::default().generate().unwrap();
            let mut rig = SimRig::new(SimConfig::preset(TipPreset::SiliconeS), 1);
            let (rec, _) = rig.simulate(&stim);
            Analyzer::new()
                .analyse(
                    &rec.channels[0],
                    rec.rate,
                    &stim,
                    None,
                    &AnalysisConfig::default(),
                )
                .unwrap()
        })
    });
    g.finish();
}

fn isolation(c: &mut Criterion) {
    use tipfit::analysis::isolation::{insertion_loss, noise_reduction};
    use tipfit::rig::outside::OutsideNoise;
    let mut rig = SimRig::new(SimConfig::preset(TipPreset::SiliconeM), 1);
    let noise = OutsideNoise {
        duration_s: 10.0,
        lead_s: 0.5,
        ..OutsideNoise::default()
    };
    let rec = rig.record_isolation(&noise, 48_000);
    let f = |x: &[f32]| -> Vec<f64> { x.iter().map(|&v| v as f64).collect() };
    let (open, occ, outer) = (f(&rec.open), f(&rec.occluded), f(&rec.outer));
    let fft = FftCache::new();
    let mut g = c.benchmark_group("isolation_10s_48k");
    g.sample_size(20);
    g.bench_function("insertion_loss", |b| {
        b.iter(|| insertion_loss(black_box(&open), &occ, 48_000, &fft).unwrap())
    });
    g.bench_function("noise_reduction", |b| {
        b.iter(|| noise_reduction(black_box(&outer), &occ, 48_000, &fft).unwrap())
    });
    g.finish();
}

criterion_group!(benches, analysis, end_to_end, isolation);
criterion_main!(benches);
