//! Recognising an exponential sine sweep (ESS) made by any program (pyfar,
//! sox, REW, numpy...) from its samples alone, so that its harmonic
//! distortion can be read like that of a tipfit sweep.
//!
//! Model: `x(t) = A sin(2 pi f1 L (exp((t - t0) / L) - 1) + phi)` from `t0`
//! for `L ln(f2/f1)` seconds; its instantaneous frequency is
//! `f(t) = f1 exp((t - t0) / L)`, a straight line in `ln f` against `t`.
//!
//! How (one pass over the samples, no FFT; about a millisecond for 3 s):
//! 1. The sweep's extent: from the first to the last sample above -60 dB of
//!    the peak, inside the 10 ms blocks whose RMS is within 30 dB of the
//!    loudest block (`t0` is its start).
//! 2. Zero crossings (cubic interpolation between samples), grouped into
//!    spans of at least 5 ms (at least one half period): each span gives a
//!    point `(t, f, A)`: time, mean frequency (half periods / 2 span) and
//!    amplitude (`sqrt 2` x RMS).
//! 3. The kind of signal from the points, where `f <= 0.4 fs` (crossings
//!    above are too coarse) and `A` is within 20 dB of the median: a sweep's
//!    `ln f` moves smoothly (median step between points under 0.1) and in
//!    one direction (90 % of steps); noise or a multitone jumps about.
//! 4. Fit of the rising sweep: `ln f = a + b t` (least squares, weighted by
//!    span), then the phase of every zero crossing (`k pi`) against
//!    `C exp(b t) + D`, refined by Gauss-Newton in `(C, D, b)`: `L = 1 / b`,
//!    `f1 = f(t0)`, `f2 = f(t_end)`, `phi` = the model phase at `t0`.
//!
//! A fit is accepted ([`recognise`] returns [`EssFit`]) only if
//! - the sweep passes every frequency within [`MAX_TIME_ERROR_S`] (1 ms) of
//!   the fitted law (the harmonic windows start 5 ms before each harmonic's
//!   impulse; a linear sweep misses the law by hundreds of ms),
//! - the crossings' phase stays within [`MAX_PHASE_RMS_RAD`] (0.15 rad RMS)
//!   of the model: the re-synthesised sweep correlates with the reference
//!   by at least `cos 0.15 = 0.99` (splices and lost samples break it),
//! - the level is steady (within [`STEADY_DB`], 1 dB, of its median) over at
//!   least [`MIN_STEADY_FRACTION`] (60 %) of the sweep's duration: THD is
//!   read only where the sweep is at that level (the fundamental band
//!   [`EssFit::steady_hz`]); a fade that eats much of the sweep, or a level
//!   that changes along it, makes it not an ESS for THD.
//!
//! Otherwise [`NotEss`] says what the reference looks like.

use super::SweepParams;
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;
use std::fmt;

/// Largest time by which the sweep may miss the fitted exponential law at
/// any frequency, s.
pub const MAX_TIME_ERROR_S: f64 = 0.001;
/// Largest RMS phase error of the zero crossings against the model, rad.
pub const MAX_PHASE_RMS_RAD: f64 = 0.15;
/// The level counts as steady within this of its median, dB.
pub const STEADY_DB: f64 = 1.0;
/// Smallest part of the sweep's duration at a steady level.
pub const MIN_STEADY_FRACTION: f64 = 0.6;
/// Shortest span of one frequency point, s.
const SPAN_S: f64 = 0.005;
/// Fewest points for a verdict.
const MIN_POINTS: usize = 20;

/// The law of a recognised exponential sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EssFit {
    /// Start frequency f1 (at `start_s`), Hz.
    pub start_hz: f64,
    /// End frequency f2 (at `start_s + duration_s`), Hz.
    pub end_hz: f64,
    /// Rate parameter L, s (`f(t) = f1 exp((t - t0) / L)`).
    pub l_s: f64,
    /// Start t0 of the sweep in the file (its lead silence), s.
    pub start_s: f64,
    /// Duration of the sweep, s.
    pub duration_s: f64,
    /// Phase phi at `start_s`, rad (`x = A sin(... + phi)`), 0 to 2 pi.
    pub phase_rad: f64,
    /// Peak amplitude A at the steady level (full scale 1.0).
    pub amplitude: f64,
    /// Fundamental band where the sweep is at its steady level, Hz.
    pub steady_hz: (f64, f64),
    /// Largest time by which the sweep misses the law, s.
    pub max_time_error_s: f64,
    /// RMS phase error of the zero crossings against the model, rad.
    pub phase_rms_rad: f64,
}

/// What harmonic separation needs to know of an exponential sweep, whether
/// tipfit made it ([`SweepParams`]) or it was recognised ([`EssFit`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SweepGeometry {
    /// Rate parameter L, s: harmonic `n` arrives `L ln n` before the linear
    /// response.
    pub l_s: f64,
    /// Start frequency, Hz.
    pub start_hz: f64,
    /// End frequency, Hz (harmonics are read up to it).
    pub end_hz: f64,
    /// Sample rate, Hz.
    pub rate: u32,
    /// Fundamental band where the sweep is at its steady level, Hz (THD is
    /// reported only there).
    pub steady_hz: (f64, f64),
}

impl SweepGeometry {
    /// Seconds by which harmonic `order` arrives before the linear response.
    pub fn harmonic_advance_s(&self, order: usize) -> f64 {
        self.l_s * (order as f64).ln()
    }
}

impl From<&SweepParams> for SweepGeometry {
    fn from(p: &SweepParams) -> Self {
        Self {
            l_s: p.l_s(),
            start_hz: p.start_hz,
            end_hz: p.end_hz,
            rate: p.rate,
            steady_hz: (p.start_hz, p.end_hz),
        }
    }
}

impl EssFit {
    /// The geometry of this sweep at `rate`.
    pub fn geometry(&self, rate: u32) -> SweepGeometry {
        SweepGeometry {
            l_s: self.l_s,
            start_hz: self.start_hz,
            end_hz: self.end_hz,
            rate,
            steady_hz: self.steady_hz,
        }
    }
}

/// What a reference that is not an exponential sweep looks like.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "looks_like", rename_all = "snake_case")]
pub enum NotEss {
    /// Digital silence.
    Silent,
    /// Too short, or too few zero crossings, to tell.
    TooShort {
        /// Length of its non-silent part, s.
        seconds: f64,
    },
    /// Noise, a multitone or music: no steady frequency movement.
    Noise,
    /// A tone whose frequency does not move.
    SteadyTone,
    /// A sweep from high to low frequencies.
    FallingSweep,
    /// A linear sweep.
    LinearSweep,
    /// A rising sweep whose frequency law is not exponential.
    OtherSweep {
        /// Largest miss of the best exponential law, ms.
        max_error_ms: f64,
    },
    /// An exponential sweep whose phase breaks (splices, lost samples).
    BrokenPhase {
        /// RMS phase error against the model, rad.
        phase_rms_rad: f64,
    },
    /// An exponential sweep steady in level over too little of it.
    UnsteadyLevel {
        /// Percent of its duration within 1 dB of its median level.
        steady_percent: f64,
    },
    /// The reference is tipfit's own noise.
    TipfitNoise,
}

impl fmt::Display for NotEss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotEss::Silent => f.write_str("silence"),
            NotEss::TooShort { seconds } => write!(
                f,
                "a signal too short to tell ({:.0} ms of signal)",
                seconds * 1e3
            ),
            NotEss::Noise => f.write_str(
                "noise (or a multitone or music): its frequency does not move steadily like a sweep's",
            ),
            NotEss::SteadyTone => f.write_str("a tone whose frequency does not move"),
            NotEss::FallingSweep => {
                f.write_str("a falling sweep (the harmonics of a rising one are needed)")
            }
            NotEss::LinearSweep => f.write_str(
                "a linear sweep (its frequency rises by the same number of Hz each second)",
            ),
            NotEss::OtherSweep { max_error_ms } => write!(
                f,
                "a sweep that does not rise exponentially (it misses the best exponential law by {max_error_ms:.1} ms)"
            ),
            NotEss::BrokenPhase { phase_rms_rad } => write!(
                f,
                "an exponential sweep whose phase breaks ({phase_rms_rad:.2} rad RMS off a continuous sweep: splices or lost samples)"
            ),
            NotEss::UnsteadyLevel { steady_percent } => write!(
                f,
                "an exponential sweep at a steady level (within 1 dB) over only {steady_percent:.0} % of it (long fades or a level that changes along it)"
            ),
            NotEss::TipfitNoise => f.write_str("noise (tipfit noise)"),
        }
    }
}

/// One frequency point: a span of whole half periods.
#[derive(Debug, Clone, Copy)]
struct Point {
    t: f64,
    f: f64,
    amp: f64,
    span: f64,
    /// first and last crossing of the span (indices into the crossings)
    c0: usize,
    c1: usize,
}

/// Where `x` crosses zero between `i` and `i + 1` (a fraction 0..1 past
/// `i`): the cubic through `x[i-1..=i+2]` where it exists, else linear.
fn crossing(x: &[f32], i: usize) -> f64 {
    let v = |k: usize| x[k] as f64;
    let (a, b) = (v(i), v(i + 1));
    let lin = a / (a - b);
    if i == 0 || i + 2 >= x.len() {
        return lin;
    }
    let (p0, p1, p2, p3) = (v(i - 1), a, b, v(i + 2));
    // Lagrange cubic through t = -1, 0, 1, 2
    let c0 = p1;
    let c1 = -p0 / 3.0 - p1 / 2.0 + p2 - p3 / 6.0;
    let c2 = p0 / 2.0 - p1 + p2 / 2.0;
    let c3 = -p0 / 6.0 + p1 / 2.0 - p2 / 2.0 + p3 / 6.0;
    let mut t = lin;
    for _ in 0..3 {
        let val = c0 + t * (c1 + t * (c2 + t * c3));
        let d = c1 + t * (2.0 * c2 + t * 3.0 * c3);
        if d == 0.0 {
            break;
        }
        t -= val / d;
    }
    if t.is_finite() && (0.0..=1.0).contains(&t) {
        t
    } else {
        lin
    }
}

/// A linearly interpolated crossing `c` refined by [`crossing`] (a crossing
/// at an exact zero is left as it is).
fn refine(x: &[f32], c: f64) -> f64 {
    let j = c as usize;
    if j + 1 < x.len() && x[j] != 0.0 && x[j + 1] != 0.0 && (x[j] > 0.0) != (x[j + 1] > 0.0) {
        j as f64 + crossing(x, j)
    } else {
        c
    }
}

/// Weighted least squares `y = a + b t`; returns `(a, b)`.
fn line_fit(pts: &[(f64, f64, f64)]) -> (f64, f64) {
    let (mut sw, mut st, mut sy, mut stt, mut sty) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &(t, y, w) in pts {
        sw += w;
        st += w * t;
        sy += w * y;
        stt += w * t * t;
        sty += w * t * y;
    }
    let det = sw * stt - st * st;
    if det.abs() < 1e-300 {
        return (sy / sw.max(1e-300), 0.0);
    }
    let b = (sw * sty - st * sy) / det;
    ((sy - b * st) / sw, b)
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mid = v.len() / 2;
    let (_, m, _) = v.select_nth_unstable_by(mid, f64::total_cmp);
    *m
}

/// Solve a 3x3 system by Cramer's rule.
fn solve3(m: [[f64; 3]; 3], r: [f64; 3]) -> Option<[f64; 3]> {
    let det = |m: [[f64; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let d = det(m);
    if d.abs() < 1e-300 || !d.is_finite() {
        return None;
    }
    let mut out = [0.0; 3];
    for (j, o) in out.iter_mut().enumerate() {
        let mut mj = m;
        for i in 0..3 {
            mj[i][j] = r[i];
        }
        *o = det(mj) / d;
    }
    Some(out)
}

/// Recognise an exponential sweep in `samples` at `rate` (see the module
/// documentation for the method and the acceptance thresholds).
pub fn recognise(samples: &[f32], rate: u32) -> Result<EssFit, NotEss> {
    let fs = rate as f64;
    // 1. extent (the peak and the blocks' RMS in one pass)
    let blk = ((0.01 * fs) as usize).max(1);
    let mut peak = 0f32;
    let rms: Vec<f64> = samples
        .chunks(blk)
        .map(|c| {
            let mut e = 0f64;
            for &v in c {
                peak = peak.max(v.abs());
                e += (v as f64) * (v as f64);
            }
            (e / c.len() as f64).sqrt()
        })
        .collect();
    let peak = peak as f64;
    if peak == 0.0 || !peak.is_finite() {
        return Err(NotEss::Silent);
    }
    let loud = rms.iter().cloned().fold(0.0, f64::max);
    let active = |r: &f64| *r >= loud * crate::dsp::from_db(-30.0);
    let (Some(fa), Some(la)) = (rms.iter().position(active), rms.iter().rposition(active)) else {
        return Err(NotEss::Silent);
    };
    let thr = peak * 1e-3;
    let lo = fa.saturating_sub(1) * blk;
    let hi = ((la + 2) * blk).min(samples.len());
    let onset = (lo..hi)
        .find(|&i| (samples[i] as f64).abs() >= thr)
        .unwrap_or(lo);
    let end = (lo..hi)
        .rev()
        .find(|&i| (samples[i] as f64).abs() >= thr)
        .unwrap_or(hi - 1)
        + 1;
    let seconds = (end - onset) as f64 / fs;
    if end <= onset + 8 {
        return Err(NotEss::TooShort { seconds });
    }
    let x = &samples[onset..end];

    // 2. zero crossings (fractional sample positions in `x`: between a
    // positive sample and one that is not) and points. Found without a
    // branch per sample (a sweep's high end crosses every few samples):
    // each index of a block is written, and kept when the sign changed
    // (in blocks, so that the indices need no buffer as long as `x`).
    const BLOCK: usize = 4096;
    let mut at = [0u32; BLOCK];
    let mut up_first = None;
    // linear for now; [`refine`] where the precision counts
    let mut cross: Vec<f64> = Vec::new();
    let mut from = 1;
    while from < x.len() {
        let to = (from + BLOCK).min(x.len());
        let mut count = 0usize;
        for i in from..to {
            at[count] = i as u32;
            count += ((x[i - 1] > 0.0) != (x[i] > 0.0)) as usize;
        }
        if up_first.is_none() && count > 0 {
            up_first = Some(x[at[0] as usize] > 0.0);
        }
        cross.extend(at[..count].iter().map(|&i| {
            let j = i as usize - 1;
            let (a, b) = (x[j] as f64, x[j + 1] as f64);
            j as f64 + a / (a - b)
        }));
        from = to;
    }
    let span_min = SPAN_S * fs;
    let mut points: Vec<Point> = Vec::new();
    let mut c0 = 0;
    // whole periods (an even number of half periods), so that a DC offset,
    // which lengthens one half period and shortens the next, cancels
    while c0 + 2 < cross.len() {
        let mut c1 = c0 + 2;
        while c1 + 2 < cross.len() && cross[c1] - cross[c0] < span_min {
            c1 += 2;
        }
        cross[c0] = refine(x, cross[c0]);
        cross[c1] = refine(x, cross[c1]);
        let (a, b) = (cross[c0], cross[c1]);
        if b - a < span_min {
            // the short remainder at the end: too coarse
            break;
        }
        let (ia, ib) = (a.ceil() as usize, (b.floor() as usize).min(x.len() - 1));
        let energy: f64 = x[ia..=ib.max(ia)]
            .iter()
            .map(|&v| (v as f64) * (v as f64))
            .sum();
        let n = (ib + 1).saturating_sub(ia).max(1) as f64;
        points.push(Point {
            t: 0.5 * (a + b) / fs,
            f: (c1 - c0) as f64 * fs / (2.0 * (b - a)),
            amp: (2.0 * energy / n).sqrt(),
            span: (b - a) / fs,
            c0,
            c1,
        });
        c0 = c1;
    }
    if points.len() < MIN_POINTS {
        return Err(NotEss::TooShort { seconds });
    }

    // 3. the kind of signal
    let amp_med = median(points.iter().map(|p| p.amp).collect());
    let law: Vec<Point> = points
        .iter()
        .filter(|p| p.f <= 0.4 * fs && p.amp >= 0.1 * amp_med)
        .copied()
        .collect();
    if law.len() < MIN_POINTS {
        return Err(NotEss::Noise);
    }
    let steps: Vec<f64> = law.windows(2).map(|w| (w[1].f / w[0].f).ln()).collect();
    let step_med = median(steps.iter().map(|s| s.abs()).collect());
    let rising = steps.iter().filter(|s| **s > 0.0).count() as f64 / steps.len() as f64;
    if step_med > 0.1 {
        return Err(NotEss::Noise);
    }
    if rising <= 0.1 {
        return Err(NotEss::FallingSweep);
    }
    if rising < 0.9 {
        return Err(if step_med < 0.01 {
            NotEss::SteadyTone
        } else {
            NotEss::Noise
        });
    }

    // 4. the exponential law
    let t_ref = law[0].t;
    let (a, b) = line_fit(
        &law.iter()
            .map(|p| (p.t - t_ref, p.f.ln(), p.span))
            .collect::<Vec<_>>(),
    );
    let miss = |ln_f_at: &dyn Fn(f64) -> f64, b: f64| -> f64 {
        law.iter()
            .map(|p| ((p.f.ln() - ln_f_at(p.t - t_ref)) / b).abs())
            .fold(0.0, f64::max)
    };
    let coarse_miss = miss(&|t| a + b * t, b);
    if b <= 0.0 || !coarse_miss.is_finite() || coarse_miss > 10.0 * MAX_TIME_ERROR_S {
        // a linear sweep: f = c + d t
        let (c, d) = line_fit(
            &law.iter()
                .map(|p| (p.t - t_ref, p.f, p.span))
                .collect::<Vec<_>>(),
        );
        let lin_miss = law
            .iter()
            .map(|p| ((p.f - c - d * (p.t - t_ref)) / d).abs())
            .fold(0.0, f64::max);
        if d > 0.0 && lin_miss <= 10.0 * MAX_TIME_ERROR_S {
            return Err(NotEss::LinearSweep);
        }
        return Err(NotEss::OtherSweep {
            max_error_ms: coarse_miss * 1e3,
        });
    }
    // phase of the crossings from the first to the last law point
    let (k0, k1) = (law[0].c0, law[law.len() - 1].c1);
    // (every `stride`-th crossing, at most about 2000: the phase of each is
    // still known exactly, `k pi`)
    let t_base = cross[k0] / fs;
    let stride = ((k1 - k0) / 2000).max(1);
    let tc: Vec<f64> = cross[k0..=k1]
        .iter()
        .step_by(stride)
        .map(|&c| refine(x, c) / fs - t_base)
        .collect();
    let theta = |k: usize| (k * stride) as f64 * PI;
    // initial C, D for b: theta = C u + D, u = exp(b t)
    let (mut cc, mut dd, mut bb) = {
        let pts: Vec<(f64, f64, f64)> = tc
            .iter()
            .enumerate()
            .map(|(k, t)| ((b * t).exp(), theta(k), 1.0))
            .collect();
        let (d, c) = line_fit(&pts);
        (c, d, b)
    };
    for _ in 0..6 {
        let (mut m, mut r) = ([[0.0; 3]; 3], [0.0; 3]);
        for (k, &t) in tc.iter().enumerate() {
            let u = (bb * t).exp();
            let res = theta(k) - (cc * u + dd);
            let j = [u, 1.0, cc * t * u];
            for p in 0..3 {
                r[p] += j[p] * res;
                for q in 0..3 {
                    m[p][q] += j[p] * j[q];
                }
            }
        }
        let Some(step) = solve3(m, r) else { break };
        cc += step[0];
        dd += step[1];
        bb += step[2];
        if step[2].abs() < 1e-12 * bb.abs() {
            break;
        }
    }
    let phase_rms_rad = (tc
        .iter()
        .enumerate()
        .map(|(k, &t)| (theta(k) - (cc * (bb * t).exp() + dd)).powi(2))
        .sum::<f64>()
        / tc.len() as f64)
        .sqrt();
    if !(bb > 0.0 && cc > 0.0 && phase_rms_rad.is_finite()) {
        return Err(NotEss::OtherSweep {
            max_error_ms: coarse_miss * 1e3,
        });
    }
    // instantaneous frequency of the model: C b exp(b t) / 2 pi
    let ln_f = |t: f64| (cc * bb / (2.0 * PI)).ln() + bb * (t + t_ref - t_base);
    // each point against the model's mean frequency over the same span
    // (the phase it turns through / 2 pi span): exact for any span
    let max_time_error_s = law
        .iter()
        .map(|p| {
            let (ta, tb) = (cross[p.c0] / fs - t_base, cross[p.c1] / fs - t_base);
            let model = cc * ((bb * tb).exp() - (bb * ta).exp()) / (2.0 * PI * (tb - ta));
            ((p.f / model).ln() / bb).abs()
        })
        .fold(0.0, f64::max);
    if max_time_error_s > MAX_TIME_ERROR_S {
        return Err(NotEss::OtherSweep {
            max_error_ms: max_time_error_s * 1e3,
        });
    }
    if phase_rms_rad > MAX_PHASE_RMS_RAD {
        return Err(NotEss::BrokenPhase { phase_rms_rad });
    }

    // 5. the steady level
    let steady = |p: &Point| (crate::dsp::db(p.amp / amp_med)).abs() <= STEADY_DB;
    let first = points.iter().position(steady);
    let last = points.iter().rposition(steady);
    let (first, last) = match (first, last) {
        (Some(a), Some(b)) => (a, b),
        _ => {
            return Err(NotEss::UnsteadyLevel {
                steady_percent: 0.0,
            })
        }
    };
    let steady_time: f64 = points[first..=last]
        .iter()
        .filter(|p| steady(p))
        .map(|p| p.span)
        .sum();
    let fraction = steady_time / seconds;
    let gaps = steady_time
        / points[first..=last]
            .iter()
            .map(|p| p.span)
            .sum::<f64>()
            .max(1e-300);
    if fraction < MIN_STEADY_FRACTION || gaps < 0.95 {
        return Err(NotEss::UnsteadyLevel {
            steady_percent: 100.0 * fraction,
        });
    }
    let at = |t: f64| ln_f(t - t_ref).exp();
    let t_first = cross[points[first].c0] / fs;
    let t_last = cross[points[last].c1] / fs;
    let t_end = (end - onset) as f64 / fs;
    let amplitude = median(
        points[first..=last]
            .iter()
            .filter(|p| steady(p))
            .map(|p| p.amp)
            .collect(),
    );
    // the model's phase at the onset (t = 0 in `x`), with the direction of
    // crossing k0 (upward: phase 0 mod 2 pi, downward: pi); crossings
    // alternate in direction
    let up_k0 = up_first.unwrap_or(true) ^ (k0 % 2 == 1);
    let offset = if up_k0 { 0.0 } else { PI };
    let phase0 = cc * (-bb * t_base).exp() + dd + offset;
    Ok(EssFit {
        start_hz: at(0.0),
        end_hz: at(t_end),
        l_s: 1.0 / bb,
        start_s: onset as f64 / fs,
        duration_s: t_end,
        phase_rad: phase0.rem_euclid(2.0 * PI),
        amplitude,
        steady_hz: (at(t_first), at(t_last)),
        max_time_error_s,
        phase_rms_rad,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ess(f1: f64, f2: f64, dur: f64, phase: f64, rate: u32) -> Vec<f32> {
        let fs = rate as f64;
        let l = dur / (f2 / f1).ln();
        let mut v = vec![0f32; (0.1 * fs) as usize];
        v.extend((0..(dur * fs) as usize).map(|i| {
            let t = i as f64 / fs;
            (0.5 * (2.0 * PI * f1 * l * ((t / l).exp() - 1.0) + phase).sin()) as f32
        }));
        v.extend(vec![0f32; (0.1 * fs) as usize]);
        v
    }

    #[test]
    fn a_plain_ess_is_recognised_with_its_law() {
        let (f1, f2, dur, phase) = (30.0, 18_000.0, 2.0, 2.0);
        let fit = recognise(&ess(f1, f2, dur, phase, 48_000), 48_000).unwrap();
        let l = dur / (f2 / f1).ln();
        assert!((fit.l_s / l - 1.0).abs() < 1e-3, "{fit:?}");
        assert!((fit.start_hz / f1 - 1.0).abs() < 0.01, "{fit:?}");
        assert!((fit.end_hz / f2 - 1.0).abs() < 0.01, "{fit:?}");
        assert!((fit.start_s - 0.1).abs() < 1e-3, "{fit:?}");
        assert!((fit.amplitude - 0.5).abs() < 0.005, "{fit:?}");
        let dphi = (fit.phase_rad - phase).rem_euclid(2.0 * PI);
        assert!(dphi.min(2.0 * PI - dphi) < 0.1, "{fit:?}");
        assert!(fit.max_time_error_s < MAX_TIME_ERROR_S / 2.0, "{fit:?}");
        assert!(fit.phase_rms_rad < MAX_PHASE_RMS_RAD / 2.0, "{fit:?}");
    }

    #[test]
    fn a_dc_offset_or_a_top_near_nyquist_does_not_hide_the_sweep() {
        let dc: Vec<f32> = ess(20.0, 20_000.0, 2.0, 0.0, 48_000)
            .iter()
            .map(|v| v + 0.01)
            .collect();
        let fit = recognise(&dc, 48_000).unwrap();
        assert!(
            (fit.l_s / (2.0 / 1000f64.ln()) - 1.0).abs() < 1e-3,
            "{fit:?}"
        );
        let fit = recognise(&ess(10.0, 22_000.0, 3.0, 1.0, 44_100), 44_100).unwrap();
        assert!((fit.end_hz / 22_000.0 - 1.0).abs() < 0.01, "{fit:?}");
    }

    #[test]
    fn other_signals_are_named() {
        let fs = 48_000.0;
        let n = (2.0 * fs) as usize;
        let linear: Vec<f32> = (0..n)
            .map(|i| {
                let t = i as f64 / fs;
                (0.5 * (2.0 * PI * (20.0 * t + 0.25 * 10_000.0 * t * t)).sin()) as f32
            })
            .collect();
        assert_eq!(recognise(&linear, 48_000), Err(NotEss::LinearSweep));
        // quadratic in log frequency: neither linear nor exponential
        let curved: Vec<f32> = {
            let mut ph = 0.0f64;
            (0..n)
                .map(|i| {
                    let t = i as f64 / fs;
                    ph += 2.0 * PI * 50.0 * (0.8 * t * t).exp() / fs;
                    (0.5 * ph.sin()) as f32
                })
                .collect()
        };
        assert!(
            matches!(recognise(&curved, 48_000), Err(NotEss::OtherSweep { .. })),
            "{:?}",
            recognise(&curved, 48_000)
        );
        // the level rises 12 dB along the sweep
        let mut rising = ess(20.0, 20_000.0, 2.0, 0.0, 48_000);
        let len = rising.len() as f32;
        for (i, v) in rising.iter_mut().enumerate() {
            *v *= 0.25 * 4f32.powf(i as f32 / len);
        }
        assert!(
            matches!(
                recognise(&rising, 48_000),
                Err(NotEss::UnsteadyLevel { .. })
            ),
            "{:?}",
            recognise(&rising, 48_000)
        );
        // 200 samples lost in the middle
        let mut gap = ess(20.0, 20_000.0, 2.0, 0.0, 48_000);
        gap.drain(50_000..50_200);
        assert!(
            recognise(&gap, 48_000).is_err(),
            "{:?}",
            recognise(&gap, 48_000)
        );
        // 10 ms of a sweep
        let short = &ess(1000.0, 2000.0, 0.01, 0.0, 48_000)[4700..];
        assert!(
            matches!(recognise(short, 48_000), Err(NotEss::TooShort { .. })),
            "{:?}",
            recognise(short, 48_000)
        );
    }

    #[test]
    fn degenerate_input_gives_a_verdict_not_a_panic() {
        for x in [
            vec![],
            vec![0.3],
            vec![0.3, -0.3],
            vec![1.0; 1000],
            (0..1000)
                .map(|i| if i % 2 == 0 { 0.5 } else { -0.5 })
                .collect(),
            (0..20_000)
                .map(|i| ((i * 7919) % 13) as f32 - 6.0)
                .collect::<Vec<f32>>(),
        ] {
            for rate in [8_000, 48_000, 384_000] {
                match recognise(&x, rate) {
                    Ok(fit) => panic!("{} samples at {rate}: {fit:?}", x.len()),
                    Err(e) => assert!(!e.to_string().is_empty()),
                }
            }
        }
    }
}
