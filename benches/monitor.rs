//! Speed of the live seal meter (issue target: under 5 ms per update):
//! - one frame analysis at 48 kHz (a 0.1 s window: FFT, tone levels and
//!   noise, seal metrics with the leak fit, verdict), on a leaky fit (the
//!   leak fit works hardest) and on a sealed one;
//! - 0.1 s of the simulated ear's stream (what the sim source computes per
//!   update).

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use tipfit::analysis::seal::SealConfig;
use tipfit::dsp::fft::FftCache;
use tipfit::monitor::{
    self, FrameAnalyser, MonitorSource, Schedule, ScheduledFit, SimMonitorConfig, SimMonitorSource,
};
use tipfit::rig::sim::TipPreset;

/// One second of the monitor's recording on the sim with `preset`.
fn recording(preset: TipPreset, period: &[f32]) -> (SimMonitorSource, Vec<f32>) {
    let schedule = Schedule::constant(ScheduledFit::Preset(preset), 1);
    let mut src =
        SimMonitorSource::new(48_000, SimMonitorConfig::default(), schedule, 1, true).unwrap();
    src.start(period).unwrap();
    let mut rec = Vec::new();
    src.read(48_000, &mut rec).unwrap();
    (src, rec)
}

fn frame(c: &mut Criterion) {
    let (params, period) = monitor::multitone(48_000, -20.0).unwrap();
    let mut g = c.benchmark_group("monitor_48k");
    for preset in [TipPreset::SiliconeS, TipPreset::Foam] {
        let (_, rec) = recording(preset, &period);
        let mut analyser = FrameAnalyser::new(
            &params,
            &period,
            None,
            SealConfig::default(),
            &FftCache::new(),
        )
        .unwrap();
        let window = &rec[rec.len() - period.len()..];
        g.bench_function(format!("frame_analysis_{}", preset.name()), |b| {
            b.iter(|| analyser.analyse(black_box(window), 1.0))
        });
    }
    let (mut src, _) = recording(TipPreset::SiliconeS, &period);
    let mut out = Vec::with_capacity(4800);
    g.bench_function("sim_stream_0.1s", |b| {
        b.iter(|| {
            out.clear();
            src.read(4800, &mut out).unwrap();
            black_box(&out);
        })
    });
    g.finish();
}

criterion_group!(benches, frame);
criterion_main!(benches);
