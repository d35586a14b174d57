//! Recording quality: silence, clipping, level, DC offset, and the warnings
//! the rest of the analysis raises. A warning's text says what to do next.

use crate::dsp::Complex64;
use serde::Serialize;
use std::fmt;

/// Samples at or above this magnitude count as clipped.
pub const CLIP_THRESHOLD: f32 = 0.999;
/// A recording whose peak is below this (dBFS) is treated as silence.
pub const SILENCE_DBFS: f64 = -100.0;
/// A recording whose peak is below this (dBFS) gets a low-level warning.
pub const LOW_LEVEL_DBFS: f64 = -50.0;
/// A DC offset above this (fraction of full scale) gets a warning.
pub const DC_WARN: f64 = 1e-3;
/// More than this fraction of clipped samples (or any run of 3) is an error.
pub const CLIP_ERROR_FRACTION: f64 = 1e-4;

/// Something the user should know about a measurement.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "warning", rename_all = "snake_case")]
pub enum Warning {
    /// A few isolated samples reached full scale.
    FewClippedSamples {
        /// How many.
        count: usize,
    },
    /// The recording is quiet.
    LowLevel {
        /// Peak level, dBFS.
        peak_dbfs: f64,
    },
    /// The recording has a DC offset (removed before analysis).
    DcOffset {
        /// Offset, fraction of full scale.
        offset: f64,
    },
    /// Low SNR in the bass band: bass metrics are uncertain.
    LowBassSnr {
        /// SNR in the bass band, dB.
        snr_db: f64,
    },
    /// Low broadband SNR.
    LowSnr {
        /// Broadband SNR, dB.
        snr_db: f64,
    },
    /// Parts of the response are at the noise floor.
    BandsAtNoiseFloor {
        /// Octave band centres with SNR below 10 dB.
        centre_hz: Vec<f64>,
    },
    /// THD could not be computed: the reference is not an exponential sweep.
    NoThd {
        /// What the reference looks like instead.
        reason: crate::signal::ess::NotEss,
    },
    /// THD at some frequencies is what noise or hum alone would read.
    ThdAtFloor {
        /// Frequency ranges (fundamental) holding the floor-limited points
        /// (ranges less than a quarter octave apart joined), Hz.
        ranges_hz: Vec<(f64, f64)>,
        /// How many points are floor-limited.
        points: usize,
        /// Of how many.
        of: usize,
        /// The largest THD read there, percent.
        max_percent: f64,
        /// Mains hum found in the recording, Hz.
        hum_hz: Option<f64>,
    },
    /// The recording started after the stimulus did.
    LateStart {
        /// How long after the stimulus (as it reached the microphone) the
        /// recording started, s.
        late_s: f64,
        /// For a sweep: how long after the sweep itself began, s.
        after_sweep_s: Option<f64>,
        /// For a sweep: the frequencies below this were not recorded (or
        /// only in part) and are left out of the response, Hz.
        missing_below_hz: Option<f64>,
    },
    /// A steady line at the mains frequency.
    MainsHum {
        /// 50 or 60 Hz.
        hz: f64,
        /// RMS level of the line, dBFS.
        level_dbfs: f64,
        /// How far it stands above its neighbours, dB.
        above_floor_db: f64,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::FewClippedSamples { count } => write!(
                f,
                "{count} sample(s) reached full scale: lower the playback level or the input gain by a few dB"
            ),
            Warning::LowLevel { peak_dbfs } => write!(
                f,
                "the recording peaks at only {peak_dbfs:.1} dBFS: raise the input gain or the playback level"
            ),
            Warning::DcOffset { offset } => write!(
                f,
                "DC offset of {:.1} dBFS removed: check the microphone's power supply or coupling",
                crate::dsp::db(*offset)
            ),
            Warning::LowBassSnr { snr_db } => write!(
                f,
                "SNR in the bass band is only {snr_db:.1} dB: bass level and leak corner are uncertain; measure in a quieter place or louder"
            ),
            Warning::LowSnr { snr_db } => write!(
                f,
                "broadband SNR is only {snr_db:.1} dB: raise the level or reduce background noise"
            ),
            Warning::BandsAtNoiseFloor { centre_hz } => {
                let list: Vec<String> = centre_hz.iter().map(|c| format!("{c:.0}")).collect();
                write!(
                    f,
                    "octave bands at {} Hz are within 10 dB of the noise floor: read them with care",
                    list.join(", ")
                )
            }
            Warning::MainsHum { hz, level_dbfs, above_floor_db } => write!(
                f,
                "mains hum at {hz:.0} Hz ({level_dbfs:.1} dBFS, {above_floor_db:.0} dB above the noise beside it): look for a ground loop (USB hub, laptop charger, unbalanced cable); bass readings near {hz:.0} Hz may be too high"
            ),
            Warning::LateStart {
                late_s,
                after_sweep_s: Some(after),
                missing_below_hz: Some(hz),
            } if *after > 0.0 => write!(
                f,
                "the recording starts {after:.2} s after the sweep began: the frequencies below {hz:.1} Hz were not recorded whole and are left out of the response; start recording before playing"
            ),
            Warning::LateStart { late_s, .. } => write!(
                f,
                "the recording starts {late_s:.2} s after the signal (only its silent lead-in is missing, nothing of the response): start recording before playing"
            ),
            Warning::NoThd { reason } => write!(
                f,
                "no THD: THD needs an exponential sweep; the reference looks like {reason}: for THD use a tipfit sweep (`tipfit signal sweep`) or another exponential sweep at a steady level"
            ),
            Warning::ThdAtFloor { ranges_hz, points, of, max_percent, hum_hz } => {
                let ranges: Vec<String> = ranges_hz.iter().map(|r| hz_range(*r)).collect();
                let cause = match hum_hz {
                    Some(h) => format!("noise and mains hum ({h:.0} Hz and its harmonics)"),
                    None => "noise".to_string(),
                };
                write!(
                    f,
                    "THD at {points} of {of} points, in {}, reads up to {max_percent:.2} % but is at the floor of the {cause}: there it is an upper bound, not the distortion (floor_limited in the JSON); measure louder or in a quieter place{}",
                    ranges.join(" and "),
                    if hum_hz.is_some() { ", and find the ground loop" } else { "" }
                )
            }
        }
    }
}

/// `"21-223 Hz"`, `"1.5-4.0 kHz"`, `"150 Hz-2.0 kHz"` or `"99 Hz"`.
fn hz_range((a, b): (f64, f64)) -> String {
    let one = |f: f64| {
        if f >= 1000.0 {
            (format!("{:.1}", f / 1000.0), "kHz")
        } else {
            (format!("{f:.0}"), "Hz")
        }
    };
    let ((x, ux), (y, uy)) = (one(a), one(b));
    if x == y && ux == uy {
        format!("{x} {ux}")
    } else if ux == uy {
        format!("{x}-{y} {ux}")
    } else {
        format!("{x} {ux}-{y} {uy}")
    }
}

/// The warning for THD points at the noise or hum floor
/// ([`crate::analysis::Thd::floor_limited`]): how many, their frequency
/// ranges (ranges less than a quarter octave apart joined) and the hum among
/// `warnings`, if any.
pub fn thd_floor_warning(thd: &crate::analysis::Thd, warnings: &[Warning]) -> Option<Warning> {
    let mut ranges: Vec<(f64, f64)> = Vec::new();
    let mut max_percent = 0f64;
    let mut points = 0;
    for ((f, v), limited) in thd.freq_hz.iter().zip(&thd.value).zip(&thd.floor_limited) {
        if !*limited {
            continue;
        }
        points += 1;
        max_percent = max_percent.max(*v);
        match ranges.last_mut() {
            Some(r) if *f <= r.1 * 2f64.powf(0.25) * 1.001 => r.1 = *f,
            _ => ranges.push((*f, *f)),
        }
    }
    if points == 0 {
        return None;
    }
    let hum_hz = warnings.iter().find_map(|w| match w {
        Warning::MainsHum { hz, .. } => Some(*hz),
        _ => None,
    });
    Some(Warning::ThdAtFloor {
        ranges_hz: ranges,
        points,
        of: thd.freq_hz.len(),
        max_percent,
        hum_hz,
    })
}

/// Fatal problems with a recording.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum QualityError {
    /// No signal at all.
    #[error("the recording is silent ({}): check the microphone, its channel and the input gain", silent_peak(*peak_dbfs))]
    Silent {
        /// Peak level, dBFS.
        peak_dbfs: f64,
    },
    /// Too much clipping.
    #[error("the recording is clipped ({count} samples at full scale, the first at {first_s:.3} s): turn the level down and measure again")]
    Clipped {
        /// Clipped samples.
        count: usize,
        /// Time of the first, seconds.
        first_s: f64,
    },
}

/// A line must stand this far above its neighbours to count as hum, dB.
pub const HUM_LINE_DB: f64 = 20.0;
/// Hum more than this far below the recording's peak is ignored, dB.
pub const HUM_IGNORE_BELOW_PEAK_DB: f64 = 80.0;

/// Look for mains hum (a steady line at 50 or 60 Hz) in a recording of at
/// least 1 s (its first 8 s are examined): the Blackman-Harris windowed
/// spectrum at the mains frequency against the median of 8 bins 5 to 8
/// bins away (the stimulus's spectrum is smooth there; a multitone tone
/// near it moves at most two of them).
pub fn detect_hum(x: &[f32], mean: f64, rate: u32) -> Option<Warning> {
    let r = rate as f64;
    if (x.len() as f64) < r {
        return None;
    }
    let n = x.len().min((8.0 * r) as usize);
    let x = &x[..n];
    let bin = r / n as f64;
    // per mains frequency: the line, then 8 neighbours 5 to 8 bins away
    let offsets = [0.0, -5.0, 5.0, -6.0, 6.0, -7.0, 7.0, -8.0, 8.0];
    let mut freqs = [0.0; HUM_PROBES];
    for (f, (hz, k)) in freqs.iter_mut().zip(
        [50.0, 60.0]
            .iter()
            .flat_map(|hz| offsets.iter().map(move |k| (hz, k))),
    ) {
        *f = hz + k * bin;
    }
    let (rms, peak) = windowed_amplitudes(x, mean, &freqs, r);
    let mut best: Option<Warning> = None;
    for (hz, at) in [50.0, 60.0].into_iter().zip(rms.chunks(offsets.len())) {
        let line = at[0];
        let mut side = at[1..].to_vec();
        side.sort_by(f64::total_cmp);
        let floor = 0.5 * (side[3] + side[4]);
        let above = crate::dsp::db(line / floor.max(1e-300));
        let level = crate::dsp::db(line);
        let loud_enough = level > crate::dsp::db(peak) - HUM_IGNORE_BELOW_PEAK_DB;
        if above >= HUM_LINE_DB && loud_enough && level.is_finite() {
            let better = match &best {
                Some(Warning::MainsHum { level_dbfs, .. }) => level > *level_dbfs,
                _ => true,
            };
            if better {
                best = Some(Warning::MainsHum {
                    hz,
                    level_dbfs: level,
                    above_floor_db: above.min(200.0),
                });
            }
        }
    }
    best
}

/// Frequencies probed for hum: 50 and 60 Hz, each with 8 neighbours.
const HUM_PROBES: usize = 18;
/// [`HUM_PROBES`] rounded up to whole vectors of four f64.
const GOERTZEL_LANES: usize = 24;
/// The recurrences run over a block in two halves of this many lanes (few
/// enough to stay in registers).
const GOERTZEL_HALF: usize = GOERTZEL_LANES / 2;

/// Lanes of Goertzel state: `s1`, `s2` and the coefficients `2 cos w`.
type Lanes = [f64; GOERTZEL_LANES];

/// Run the Goertzel recurrences of all lanes over `block_a` into `a` and
/// `block_b` into `b` (`block_a` no longer than `block_b`; the rest of
/// `block_b` alone).
#[inline(always)]
fn goertzel_pair(a: &mut Goertzel, b: &mut Goertzel, k: &Lanes, block_a: &[f64], block_b: &[f64]) {
    let both = block_a.len();
    // half the lanes at a time, both blocks side by side: few enough
    // values to stay in registers
    for h in 0..2 {
        let at = h * GOERTZEL_HALF;
        let lanes = |v: &Lanes| -> [f64; GOERTZEL_HALF] { std::array::from_fn(|j| v[at + j]) };
        let (mut a1, mut a2, mut b1, mut b2) =
            (lanes(&a.s1), lanes(&a.s2), lanes(&b.s1), lanes(&b.s2));
        let c = lanes(k);
        for (va, vb) in block_a.iter().zip(&block_b[..both]) {
            for j in 0..GOERTZEL_HALF {
                let sa = va + c[j] * a1[j] - a2[j];
                a2[j] = a1[j];
                a1[j] = sa;
                let sb = vb + c[j] * b1[j] - b2[j];
                b2[j] = b1[j];
                b1[j] = sb;
            }
        }
        for vb in &block_b[both..] {
            for j in 0..GOERTZEL_HALF {
                let sb = vb + c[j] * b1[j] - b2[j];
                b2[j] = b1[j];
                b1[j] = sb;
            }
        }
        a.s1[at..at + GOERTZEL_HALF].copy_from_slice(&a1);
        a.s2[at..at + GOERTZEL_HALF].copy_from_slice(&a2);
        b.s1[at..at + GOERTZEL_HALF].copy_from_slice(&b1);
        b.s2[at..at + GOERTZEL_HALF].copy_from_slice(&b2);
    }
}

/// Blackman-Harris window of `n` points (`step = 2 pi / (n - 1)`) times
/// `x[from..from + out.len()] - mean` into `out`; adds the window's values
/// to `wsum` and raises `peak` to the largest `|x - mean|`. `cos p` by
/// rotations from an exact value at the block's start, in eight lanes a
/// sample apart (each turned by eight steps: eight independent recurrences
/// instead of one chain), `cos 2p` and `cos 3p` from `cos p`.
#[inline(always)]
fn window_block(
    x: &[f32],
    mean: f64,
    step: f64,
    from: usize,
    out: &mut [f64],
    wsum: &mut f64,
    peak: &mut f64,
) {
    const L: usize = 8;
    let x = &x[from..from + out.len()];
    let (s1, c1) = step.sin_cos();
    let (s8, c8) = (step * L as f64).sin_cos();
    let (mut ci, mut cr) = ([0.0f64; L], [0.0f64; L]);
    (ci[0], cr[0]) = (step * from as f64).sin_cos();
    for j in 1..L {
        (cr[j], ci[j]) = (
            cr[j - 1] * c1 - ci[j - 1] * s1,
            cr[j - 1] * s1 + ci[j - 1] * c1,
        );
    }
    let (mut ws, mut pk) = ([0.0f64; L], [0.0f64; L]);
    let one = |c: f64, v: f32, o: &mut f64, ws: &mut f64, pk: &mut f64| {
        let (c2, c3) = (2.0 * c * c - 1.0, c * (4.0 * c * c - 3.0));
        let wi = 0.35875 - 0.48829 * c + 0.14128 * c2 - 0.01168 * c3;
        *ws += wi;
        let d = v as f64 - mean;
        *pk = pk.max(d.abs());
        *o = d * wi;
    };
    let whole = out.len() / L * L;
    for (o, v) in out[..whole].chunks_exact_mut(L).zip(x.chunks_exact(L)) {
        for j in 0..L {
            one(cr[j], v[j], &mut o[j], &mut ws[j], &mut pk[j]);
            (cr[j], ci[j]) = (cr[j] * c8 - ci[j] * s8, cr[j] * s8 + ci[j] * c8);
        }
    }
    // the last few samples: lane j holds sample whole + j
    for (j, (o, v)) in out[whole..].iter_mut().zip(&x[whole..]).enumerate() {
        one(cr[j], *v, o, &mut ws[j], &mut pk[j]);
    }
    *wsum += ws.iter().sum::<f64>();
    *peak = pk.iter().fold(*peak, |m, v| m.max(*v));
}

/// The RMS of a sine at each of `freqs` in `x - mean` under a
/// Blackman-Harris window over all of `x` (twice the magnitude of its DFT
/// there, divided by the window's sum and by sqrt 2), and the largest
/// `|x - mean|`, in one pass over the samples.
///
/// By the Goertzel recurrence, every frequency side by side (each waits on
/// its own last step, so running many keeps the processor busy), and the
/// two halves of `x` side by side too, which doubles the recurrences in
/// flight (the first half's sum plus the second's, turned by the first's
/// length: `X = Y_a + e^{-j w L_a} Y_b`).
fn windowed_amplitudes(
    x: &[f32],
    mean: f64,
    freqs: &[f64; HUM_PROBES],
    rate: f64,
) -> ([f64; HUM_PROBES], f64) {
    let n = x.len();
    let step = 2.0 * std::f64::consts::PI / (n.max(2) - 1) as f64;
    let w = freqs.map(|f| 2.0 * std::f64::consts::PI * f / rate);
    // the recurrences in lanes, whole vectors of them (the last six lanes
    // idle), so that each step is a few vector operations
    let mut k = [0.0f64; GOERTZEL_LANES];
    for (kj, wj) in k.iter_mut().zip(&w) {
        *kj = 2.0 * wj.cos();
    }
    let (la, lb) = (n / 2, n - n / 2);
    let mut a = Goertzel::default();
    let mut b = Goertzel::default();
    let (wsum, peak) = halves(x, mean, step, &k, &mut a, &mut b);
    let sum = |g: &Goertzel, j: usize, len: usize, at: usize| {
        // sum of x[m] e^{-j w (at + m)} over the block: e^{-j w (at + len -
        // 1)} (s1 - e^{-j w} s2)
        let y = Complex64::new(g.s1[j] - g.s2[j] * w[j].cos(), g.s2[j] * w[j].sin());
        y * Complex64::from_polar(1.0, -w[j] * (at + len) as f64 + w[j])
    };
    let rms = std::array::from_fn(|j| {
        let total = sum(&a, j, la, 0) + sum(&b, j, lb, la);
        2.0 * total.norm() / wsum / std::f64::consts::SQRT_2
    });
    (rms, peak)
}

/// The windowed halves of `x` through the recurrences `k`, into `a` (the
/// first `n / 2` samples) and `b` (the rest), block by block; the window's
/// sum and the largest `|x - mean|`. With AVX where the processor has it
/// (four f64 per operation instead of two; the same operations in the same
/// order, so the same results bit for bit: no fused multiply-add).
fn halves(
    x: &[f32],
    mean: f64,
    step: f64,
    k: &Lanes,
    a: &mut Goertzel,
    b: &mut Goertzel,
) -> (f64, f64) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx") {
        // SAFETY: the processor has AVX (checked just above), the only
        // requirement of a function compiled with it enabled.
        return unsafe { halves_avx(x, mean, step, k, a, b) };
    }
    halves_plain(x, mean, step, k, a, b)
}

/// [`halves_plain`] compiled for AVX.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn halves_avx(
    x: &[f32],
    mean: f64,
    step: f64,
    k: &Lanes,
    a: &mut Goertzel,
    b: &mut Goertzel,
) -> (f64, f64) {
    halves_plain(x, mean, step, k, a, b)
}

#[inline(always)]
fn halves_plain(
    x: &[f32],
    mean: f64,
    step: f64,
    k: &Lanes,
    a: &mut Goertzel,
    b: &mut Goertzel,
) -> (f64, f64) {
    let n = x.len();
    let (la, lb) = (n / 2, n - n / 2);
    let (mut wsum, mut peak) = (0.0, 0f64);
    // the samples in blocks that stay in the first-level cache
    let (mut ba, mut bb) = ([0.0f64; 1024], [0.0f64; 1024]);
    let mut i = 0;
    while i < la {
        let len = (la - i).min(ba.len());
        window_block(x, mean, step, i, &mut ba[..len], &mut wsum, &mut peak);
        window_block(x, mean, step, la + i, &mut bb[..len], &mut wsum, &mut peak);
        goertzel_pair(a, b, k, &ba[..len], &bb[..len]);
        i += len;
    }
    if lb > la {
        // the second half's last sample
        window_block(x, mean, step, n - 1, &mut bb[..1], &mut wsum, &mut peak);
        goertzel_pair(&mut Goertzel::default(), b, k, &[], &bb[..1]);
    }
    (wsum, peak)
}

/// Goertzel state of every lane: `s1`, `s2`.
#[derive(Default)]
struct Goertzel {
    s1: Lanes,
    s2: Lanes,
}

/// The peak of a silent recording, in words: its level, or that every
/// sample is 0 (not "-400 dBFS").
fn silent_peak(peak_dbfs: f64) -> String {
    if peak_dbfs < -300.0 {
        "every sample is 0".into()
    } else {
        format!("peak {peak_dbfs:.1} dBFS")
    }
}

/// Check a recording; returns warnings, or the error that makes analysis
/// meaningless.
pub fn check_recording(x: &[f32], rate: u32) -> Result<Vec<Warning>, QualityError> {
    let mut warnings = Vec::new();
    let peak = crate::dsp::lanes::peak_abs(x);
    let peak_dbfs = crate::dsp::db(peak as f64);
    if peak_dbfs < SILENCE_DBFS {
        return Err(QualityError::Silent { peak_dbfs });
    }
    // clipped samples and the longest run of them (none below the threshold)
    let mut count = 0usize;
    let mut run = 0usize;
    let mut longest = 0usize;
    let mut first = None;
    if peak >= CLIP_THRESHOLD {
        for (i, v) in x.iter().enumerate() {
            if v.abs() >= CLIP_THRESHOLD {
                count += 1;
                run += 1;
                longest = longest.max(run);
                first.get_or_insert(i);
            } else {
                run = 0;
            }
        }
    }
    if longest >= 3 || count as f64 > CLIP_ERROR_FRACTION * x.len() as f64 {
        return Err(QualityError::Clipped {
            count,
            first_s: first.unwrap_or(0) as f64 / rate as f64,
        });
    }
    if count > 0 {
        warnings.push(Warning::FewClippedSamples { count });
    }
    if peak_dbfs < LOW_LEVEL_DBFS {
        warnings.push(Warning::LowLevel { peak_dbfs });
    }
    let mean = crate::dsp::lanes::sum_by(x, f64::from) / x.len().max(1) as f64;
    if mean.abs() > DC_WARN {
        warnings.push(Warning::DcOffset { offset: mean.abs() });
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two-halves Goertzel against a direct DFT of the windowed signal
    /// (the window from `cos` at every sample), odd and even lengths,
    /// within 1e-7 (the recurrence's rounding over 50,000 steps; measured
    /// 1.2e-9 at worst).
    #[test]
    fn windowed_amplitudes_equal_a_direct_dft() {
        use rand::{Rng, SeedableRng};
        let rate = 48_000.0;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        for n in [48_001usize, 50_000, 3_071] {
            let x: Vec<f32> = (0..n)
                .map(|i| {
                    let t = i as f64 / rate;
                    (0.3 * (2.0 * std::f64::consts::PI * 50.2 * t).sin() + rng.gen::<f64>() - 0.5)
                        as f32
                })
                .collect();
            let mean = 0.01;
            let freqs: [f64; HUM_PROBES] = std::array::from_fn(|j| 45.0 + 1.3 * j as f64);
            let (got, peak) = windowed_amplitudes(&x, mean, &freqs, rate);
            let step = 2.0 * std::f64::consts::PI / (n - 1) as f64;
            let w = |i: usize| {
                let p = step * i as f64;
                0.35875 - 0.48829 * p.cos() + 0.14128 * (2.0 * p).cos() - 0.01168 * (3.0 * p).cos()
            };
            let wsum: f64 = (0..n).map(w).sum();
            for (j, f) in freqs.iter().enumerate() {
                let om = 2.0 * std::f64::consts::PI * f / rate;
                let dft: Complex64 = (0..n)
                    .map(|i| Complex64::from_polar((x[i] as f64 - mean) * w(i), -om * i as f64))
                    .sum();
                let want = 2.0 * dft.norm() / wsum / std::f64::consts::SQRT_2;
                assert!(
                    (got[j] - want).abs() <= 1e-7 * want,
                    "n {n}, {f} Hz: {} vs {want}",
                    got[j]
                );
            }
            let want_peak = x
                .iter()
                .map(|v| (*v as f64 - mean).abs())
                .fold(0.0, f64::max);
            assert_eq!(peak, want_peak);
        }
    }

    #[test]
    fn hum_is_found_at_its_level_and_smooth_spectra_are_not_hum() {
        let rate = 48_000;
        let noise = crate::signal::NoiseParams {
            colour: crate::signal::NoiseColour::Pink,
            duration_s: 3.0,
            rate,
            level_dbfs: -50.0,
            seed: 4,
            period: None,
        }
        .generate()
        .unwrap()
        .samples;
        assert_eq!(detect_hum(&noise, 0.0, rate), None);
        for (hz, level) in [(50.0, -40.0), (60.0, -55.0)] {
            let a = crate::dsp::from_db(level) * std::f64::consts::SQRT_2;
            let x: Vec<f32> = noise
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let t = i as f64 / rate as f64;
                    (*v as f64 + a * (2.0 * std::f64::consts::PI * hz * t).sin()) as f32
                })
                .collect();
            match detect_hum(&x, 0.0, rate) {
                Some(Warning::MainsHum {
                    hz: h, level_dbfs, ..
                }) => {
                    assert_eq!(h, hz);
                    assert!((level_dbfs - level).abs() < 0.5, "{level_dbfs} vs {level}");
                }
                other => panic!("{hz} Hz at {level} dBFS: {other:?}"),
            }
        }
        // too short to tell
        assert_eq!(detect_hum(&noise[..10_000], 0.0, rate), None);
    }

    #[test]
    fn thd_at_the_floor_names_its_ranges_and_the_hum() {
        let f = crate::dsp::grid::log_grid(20.0, 10_000.0, 12);
        let limited: Vec<bool> = f
            .iter()
            .map(|x| *x < 200.0 || (*x > 2000.0 && *x < 3000.0))
            .collect();
        let thd = crate::analysis::Thd {
            value: f
                .iter()
                .map(|x| if *x < 200.0 { 10.0 } else { 0.3 })
                .collect(),
            floor_percent: vec![0.0; f.len()],
            floor_limited: limited.clone(),
            freq_hz: f.clone(),
            recognised_sweep: None,
        };
        let hum = Warning::MainsHum {
            hz: 50.0,
            level_dbfs: -30.0,
            above_floor_db: 40.0,
        };
        let w = thd_floor_warning(&thd, &[hum]).unwrap();
        let n = limited.iter().filter(|l| **l).count();
        assert_eq!(
            w.to_string(),
            format!("THD at {n} of {} points, in 21-198 Hz and 2.1-3.0 kHz, reads up to 10.00 % but is at the floor of the noise and mains hum (50 Hz and its harmonics): there it is an upper bound, not the distortion (floor_limited in the JSON); measure louder or in a quieter place, and find the ground loop", f.len())
        );
        let clean = crate::analysis::Thd {
            floor_limited: vec![false; f.len()],
            ..thd
        };
        assert_eq!(thd_floor_warning(&clean, &[]), None);
    }

    #[test]
    fn silence_and_clipping_are_errors() {
        let e = check_recording(&[0.0; 1000], 48_000).unwrap_err();
        assert!(matches!(e, QualityError::Silent { .. }));
        assert!(e.to_string().contains("(every sample is 0)"), "{e}");
        let e = check_recording(&[1e-6; 1000], 48_000).unwrap_err();
        assert!(e.to_string().contains("(peak -120.0 dBFS)"), "{e}");
        let mut x = vec![0.1f32; 1000];
        x[500..504].fill(1.0);
        let e = check_recording(&x, 1000).unwrap_err();
        assert_eq!(
            e,
            QualityError::Clipped {
                count: 4,
                first_s: 0.5
            }
        );
    }

    #[test]
    fn small_problems_are_warnings() {
        let mut x: Vec<f32> = (0..100_000)
            .map(|i| 0.0003 * ((i % 7) as f32 - 3.0) + 0.0015)
            .collect();
        let w = check_recording(&x, 48_000).unwrap();
        assert!(
            w.iter().any(|w| matches!(w, Warning::LowLevel { .. })),
            "{w:?}"
        );
        assert!(
            w.iter().any(|w| matches!(w, Warning::DcOffset { .. })),
            "{w:?}"
        );
        x[10] = 1.0;
        let w = check_recording(&x, 48_000).unwrap();
        assert_eq!(
            w,
            vec![
                Warning::FewClippedSamples { count: 1 },
                Warning::DcOffset {
                    offset: w.last().map_or(0.0, |l| match l {
                        Warning::DcOffset { offset } => *offset,
                        _ => 0.0,
                    })
                }
            ]
        );
    }
}
