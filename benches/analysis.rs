//! Speed of the core pipeline (issue 2 targets):
//! - analysis of a 5 s, 48 kHz sweep recording (deconvolve, response,
//!   smoothing, THD, seal metrics) against the FFTs that analysis needs,
//!   measured side by side;
//! - a whole simulated measurement (stimulus, simulation, analysis) from cold;
//! - the numpy peer's job: the deconvolution core against its own FFTs
//!   (issue 17: within 2x), the whole analysis of a 10 s recording, and
//!   batch throughput (eight of them in parallel, one analyzer).

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use tipfit::analysis::{AnalysisConfig, Analyzer};
use tipfit::dsp::deconvolve::{fft_len, Inverse, Scratch};
use tipfit::dsp::fft::{good_size, FftCache};
use tipfit::dsp::grid::Smoothing;
use tipfit::dsp::Complex32;
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
    // length (f32, as the analysis runs them), and six short f64 forward
    // FFTs (linear window, four harmonics, noise window).
    let fft = FftCache::new();
    let n = fft_len(x.len(), stim.samples.len(), stim.rate);
    let m = good_size(48_000);
    let small = vec![0.5f64; m];
    let short = fft.forward(m);
    let big = fft.real32(n);
    g.bench_function("ffts_only", |b| {
        let mut buf = vec![0.0f32; n];
        let mut spec = vec![Complex32::default(); n / 2 + 1];
        let mut scratch = Vec::new();
        let mut sbuf = vec![0.0; m];
        let mut sspec = short.make_output_vec();
        let mut sscratch = short.make_scratch_vec();
        b.iter(|| {
            buf[..x.len()].copy_from_slice(x);
            buf[x.len()..].fill(0.0);
            big.forward(&mut buf, &mut spec, &mut scratch);
            big.inverse(&mut spec, &mut buf, &mut scratch);
            for _ in 0..6 {
                sbuf.copy_from_slice(&small);
                short
                    .process_with_scratch(&mut sbuf, &mut sspec, &mut sscratch)
                    .unwrap();
            }
            black_box(&buf);
        })
    });
    g.finish();
}

/// The numpy peer's job (`benches/peer/`, `scripts/bench`): a 10 s,
/// 20 Hz-20 kHz exponential sweep from another program (no tipfit
/// description: the regularized inverse), recorded through a 2nd-order
/// 80 Hz high-pass with noise 60 dB down, 10.5 s in all. The deconvolution
/// core (the recording's FFT, the product with the cached inverse, the
/// inverse FFT, reused buffers) against its two FFTs alone, and the whole
/// analysis with warm caches.
fn external_sweep(c: &mut Criterion) {
    use tipfit::dsp::biquad::AnalogBiquad;
    use tipfit::signal::StimulusKind;
    let mut stim = SweepParams {
        duration_s: 10.0,
        start_hz: 20.0,
        lead_s: 0.0,
        tail_s: 0.0,
        ..SweepParams::default()
    }
    .generate()
    .unwrap();
    stim.kind = StimulusKind::External;
    let hp = AnalogBiquad::highpass(80.0, std::f64::consts::FRAC_1_SQRT_2).to_digital(48_000.0);
    let mut y = vec![0.0f64; 4_800];
    y.extend(stim.samples.iter().map(|&v| v as f64));
    y.extend(std::iter::repeat_n(0.0, 19_200));
    hp.process(&mut y);
    let mut seed = 1u64;
    let rec: Vec<f32> = y
        .iter()
        .map(|v| {
            // xorshift noise, 60 dB under the sweep's RMS
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let u = (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
            (v + 0.5 / 2f64.sqrt() * 1e-3 * 12f64.sqrt() * u) as f32
        })
        .collect();
    let analyzer = Analyzer::new();
    let cfg = AnalysisConfig::default();
    analyzer.analyse(&rec, 48_000, &stim, None, &cfg).unwrap();
    let fft = FftCache::new();
    let n = fft_len(rec.len(), stim.samples.len(), stim.rate);
    let inverse = Inverse::new(&stim, n);
    let big = fft.real32(n);
    let mut g = c.benchmark_group("external_sweep_10s_48k");
    g.sample_size(20);
    g.bench_function("deconvolution_core", |b| {
        let mut scratch = Scratch::default();
        b.iter(|| black_box(inverse.apply_with(black_box(&rec), 0.0, &fft, &mut scratch)[0]))
    });
    g.bench_function("its_ffts_only", |b| {
        let mut buf = vec![0.0f32; n];
        let mut spec = vec![Complex32::default(); n / 2 + 1];
        let mut scratch = Vec::new();
        b.iter(|| {
            buf[..rec.len()].copy_from_slice(&rec);
            buf[rec.len()..].fill(0.0);
            big.forward(&mut buf, &mut spec, &mut scratch);
            big.inverse(&mut spec, &mut buf, &mut scratch);
            black_box(buf[0])
        })
    });
    g.bench_function("analyse", |b| {
        b.iter(|| {
            analyzer
                .analyse(black_box(&rec), 48_000, &stim, None, &cfg)
                .unwrap()
        })
    });
    g.finish();
    // Batch throughput: eight recordings against one reference on every
    // core, one analyzer (its inverse built once), as `tipfit analyze
    // DIR --reference` runs them (without reading the files).
    let batch: Vec<Vec<f32>> = (0..8)
        .map(|i| rec.iter().map(|v| v * (1.0 + 0.01 * i as f32)).collect())
        .collect();
    let mut g = c.benchmark_group("batch_10s_48k");
    g.sample_size(10);
    g.throughput(criterion::Throughput::Elements(batch.len() as u64));
    g.bench_function("analyse_8_in_parallel", |b| {
        use rayon::prelude::*;
        b.iter(|| {
            batch
                .par_iter()
                .map(|r| {
                    analyzer
                        .analyse(black_box(r), 48_000, &stim, None, &cfg)
                        .unwrap()
                        .snr_db
                })
                .sum::<f64>()
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

criterion_group!(benches, analysis, external_sweep, end_to_end, isolation);
criterion_main!(benches);
