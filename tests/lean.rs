//! The lean analysis path (issue 17): the deconvolution runs in f32 on
//! [`tipfit::dsp::fft::RealFft32`]; here it is compared with an f64
//! deconvolution of the same recording made in this test with realfft's
//! f64 transforms, which tipfit's analysis no longer uses for it.
//!
//! The recording: an exponential sweep written as another program's
//! (External, so the regularized inverse and its taper are exercised) and
//! tipfit's own sweep (Novak's analytic inverse), each through a digital
//! 2nd-order 80 Hz high-pass, with noise 60 dB under the sweep.
//!
//! Both paths use the inverse spectrum the library built, which is stored
//! in f32 (relative rounding 6e-8 per bin, about -144 dB): what is compared
//! is the f32 transforms and buffers against f64 ones.

use rand::{Rng, SeedableRng};
use realfft::RealFftPlanner;
use tipfit::dsp::biquad::AnalogBiquad;
use tipfit::dsp::deconvolve::{fft_len, Inverse};
use tipfit::dsp::fft::FftCache;
use tipfit::signal::{Stimulus, StimulusKind, SweepParams};

fn recording(stim: &Stimulus, seed: u64) -> Vec<f32> {
    let hp = AnalogBiquad::highpass(80.0, std::f64::consts::FRAC_1_SQRT_2).to_digital(48_000.0);
    let mut x = vec![0.0f64; 4_800];
    x.extend(stim.samples.iter().map(|&v| v as f64));
    x.extend(std::iter::repeat_n(0.0, 19_200));
    hp.process(&mut x);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let noise = 0.5 / 2f64.sqrt() * 1e-3;
    x.iter()
        .map(|v| (v + noise * (rng.gen::<f64>() - 0.5) * 12f64.sqrt()) as f32)
        .collect()
}

/// The deconvolution in f64: realfft forward of the recording, times the
/// inverse spectrum, realfft inverse, normalised.
fn deconvolve_f64(rec: &[f32], inv: &Inverse) -> Vec<f64> {
    let n = inv.n;
    let mut planner = RealFftPlanner::<f64>::new();
    let (fwd, bwd) = (planner.plan_fft_forward(n), planner.plan_fft_inverse(n));
    let mut time = vec![0.0f64; n];
    for (t, r) in time.iter_mut().zip(rec) {
        *t = *r as f64;
    }
    let mut spec = fwd.make_output_vec();
    fwd.process(&mut time, &mut spec).unwrap();
    for (s, i) in spec.iter_mut().zip(&inv.spectrum) {
        *s *= tipfit::dsp::c64(*i) / n as f64;
    }
    spec[0].im = 0.0;
    spec[n / 2].im = 0.0;
    bwd.process(&mut spec, &mut time).unwrap();
    time
}

/// Level in dB of the 0.5 s after the peak of `h` (and 5 ms before it) at
/// 1/3-octave frequencies from 20 Hz to 20 kHz, by an f64 DFT.
fn levels(h: &[f64], peak: usize) -> Vec<f64> {
    let n = h.len();
    let (pre, post) = (240, 24_000);
    let m = 48_000;
    let mut w = vec![0.0f64; m];
    for i in 0..post {
        w[i] = h[(peak + i) % n];
    }
    for i in 0..pre {
        w[m - pre + i] = h[(peak + n - pre + i) % n];
    }
    let mut planner = RealFftPlanner::<f64>::new();
    let f = planner.plan_fft_forward(m);
    let mut spec = f.make_output_vec();
    f.process(&mut w, &mut spec).unwrap();
    (0..=30)
        .map(|k| 20.0 * 2f64.powf(k as f64 / 3.0))
        .map(|hz| 20.0 * spec[hz.round() as usize].norm().log10())
        .collect()
}

fn compare(stim: &Stimulus, what: &str) {
    let rec = recording(stim, 3);
    let fft = FftCache::new();
    let inv = Inverse::new(stim, fft_len(rec.len(), stim.samples.len(), stim.rate));
    let h32: Vec<f64> = inv.apply(&rec, &fft).iter().map(|&v| v as f64).collect();
    let h64 = deconvolve_f64(&rec, &inv);
    let peak = (0..h64.len())
        .max_by(|&a, &b| h64[a].abs().total_cmp(&h64[b].abs()))
        .unwrap();
    assert_eq!(
        peak,
        (0..h32.len())
            .max_by(|&a, &b| h32[a].abs().total_cmp(&h32[b].abs()))
            .unwrap(),
        "{what}: the peaks differ"
    );
    assert_eq!(
        peak, 4_800,
        "{what}: the impulse arrives with the 0.1 s lead"
    );
    let top = h64[peak].abs();
    let diff = h32
        .iter()
        .zip(&h64)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    let (l32, l64) = (levels(&h32, peak), levels(&h64, peak));
    let db = l32
        .iter()
        .zip(&l64)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    println!(
        "{what}: largest IR difference {:.2e} of the peak ({:.1} dB), largest level difference {db:.2e} dB",
        diff / top,
        20.0 * (diff / top).log10()
    );
    // f32 rounding in transforms of 2^20 points: about 1e-7 times the
    // log of the length of the largest value; the sweep's noise in this
    // recording is 60 dB under it
    assert!(diff < 1e-5 * top, "{what}: IR difference {diff} of {top}");
    assert!(db < 1e-3, "{what}: levels differ by up to {db} dB");
}

#[test]
fn the_f32_deconvolution_equals_an_f64_one_on_another_programs_sweep() {
    let p = SweepParams {
        duration_s: 10.0,
        start_hz: 20.0,
        lead_s: 0.0,
        tail_s: 0.0,
        ..SweepParams::default()
    };
    let mut stim = p.generate().unwrap();
    // as another program's sweep: no description, so the regularized
    // inverse is built from the samples
    stim.kind = StimulusKind::External;
    compare(&stim, "external sweep");
}

#[test]
fn the_f32_deconvolution_equals_an_f64_one_on_tipfits_sweep() {
    let stim = SweepParams::default().generate().unwrap();
    compare(&stim, "tipfit sweep");
}

/// Energy in dB of `h` over `len` samples from `start` (wrapping at its
/// length).
fn energy_db(h: &[f64], start: i64, len: usize) -> f64 {
    let n = h.len() as i64;
    let e: f64 = (0..len as i64)
        .map(|i| h[(start + i).rem_euclid(n) as usize].powi(2))
        .sum();
    10.0 * e.log10()
}

/// The deconvolution's length holds the longer of the recording and the
/// reference plus `GUARD_S`, not the two together: what the output holds
/// at negative lags (harmonics, noise) wraps to the buffer's end and must
/// stay clear of the linear response and the noise window after it. The
/// check: a strongly distorting system (`v + 0.3 v^2 + 0.2 v^3`, harmonics
/// about 10-20 dB under the fundamental) and a recording cut 50 ms after
/// the sweep (the least room), deconvolved by the library at its circular
/// length and by this test's own f64 linear deconvolution (realfft, the
/// recording plus the reference). Equal within 0.01 dB in the linear
/// response (1/3-octave levels, 40 Hz-20 kHz; 0.1 dB at 20-32 Hz, where the
/// sweep starts and another program's sweep's regularized inverse rolls
/// off: measured 0.084 dB at 20 Hz), 0.05 dB in the second and
/// third harmonic's windows, and 0.5 dB in the noise window (0.555-1.055 s
/// after the peak, where `analysis::response` reads the noise floor).
#[test]
fn the_circular_length_equals_a_linear_deconvolution() {
    for external in [true, false] {
        let p = SweepParams {
            duration_s: 10.0,
            start_hz: 20.0,
            ..SweepParams::default()
        };
        let mut stim = p.generate().unwrap();
        if external {
            stim.kind = StimulusKind::External;
        }
        // the sweep's rate L = T / ln(f2 / f1): harmonic k arrives L ln k early
        let l = p.duration_s / (p.end_hz / p.start_hz).ln();
        let hp = AnalogBiquad::highpass(80.0, std::f64::consts::FRAC_1_SQRT_2).to_digital(48_000.0);
        let mut x = vec![0.0f64; 4_800];
        x.extend(
            stim.samples
                .iter()
                .map(|&v| v as f64)
                .map(|v| v + 0.3 * v * v + 0.2 * v * v * v),
        );
        x.extend(std::iter::repeat_n(0.0, 2_400));
        hp.process(&mut x);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let rec: Vec<f32> = x
            .iter()
            .map(|v| (v + 1e-3 * (rng.gen::<f64>() - 0.5)) as f32)
            .collect();
        let fft = FftCache::new();
        let circular = Inverse::new(&stim, fft_len(rec.len(), stim.samples.len(), stim.rate));
        let linear_n = tipfit::dsp::fft::good_size(rec.len() + stim.samples.len());
        assert!(
            circular.n * 3 < linear_n * 2,
            "{} vs {linear_n}",
            circular.n
        );
        let linear = Inverse::new(&stim, linear_n);
        let hc: Vec<f64> = circular
            .apply(&rec, &fft)
            .iter()
            .map(|&v| v as f64)
            .collect();
        let hl = deconvolve_f64(&rec, &linear);
        let peak = |h: &[f64]| {
            (0..h.len())
                .max_by(|&a, &b| h[a].abs().total_cmp(&h[b].abs()))
                .unwrap()
        };
        let (pc, pl) = (peak(&hc), peak(&hl));
        assert_eq!(pc, pl, "external {external}: the peaks differ");
        let (lc, ll) = (levels(&hc, pc), levels(&hl, pl));
        // 20-32 Hz: the sweep's first 2/3 octave, where it fades in and the
        // regularized inverse rolls off (both read about 10 dB under the
        // system there); from 40 Hz on, the band the sweep excites
        let worst = |from: usize, to: usize| {
            (from..to)
                .map(|k| (lc[k] - ll[k]).abs())
                .fold(0.0, f64::max)
        };
        let (edge, band) = (worst(0, 3), worst(3, lc.len()));
        println!(
            "external {external}: linear response differs by up to {band:.2e} dB from 40 Hz, {edge:.3} dB at 20-32 Hz"
        );
        assert!(band < 0.01, "external {external}: {band} dB");
        assert!(edge < 0.1, "external {external}: {edge} dB at 20-32 Hz");
        let fs = 48_000.0;
        for k in [2.0f64, 3.0] {
            let at = pc as i64 - (l * k.ln() * fs).round() as i64 - 240;
            let (c, li) = (energy_db(&hc, at, 9_600), energy_db(&hl, at, 9_600));
            println!("external {external}: harmonic {k}: {c:.3} vs {li:.3} dB");
            assert!((c - li).abs() < 0.05, "harmonic {k}: {c} vs {li}");
        }
        let at = pc as i64 + (0.555 * fs) as i64;
        let (c, li) = (energy_db(&hc, at, 24_000), energy_db(&hl, at, 24_000));
        println!("external {external}: noise window {c:.2} vs {li:.2} dB");
        assert!((c - li).abs() < 0.5, "noise window: {c} vs {li}");
    }
}
