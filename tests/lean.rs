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
    let inv = Inverse::new(stim, fft_len(rec.len(), stim.samples.len()), &fft);
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
