//! Deconvolution: recording -> impulse response.
//!
//! - tipfit's own sweep: Novak's analytic inverse spectrum
//!   `2 sqrt(f/L) exp(-j 2 pi f L (1 - ln(f/f1)) + j pi/4)`, shifted by the
//!   sweep's lead-in and divided by the sweep amplitude. Its product with the
//!   real sweep, `D = X X~`, is 1 in the band except for what the fades and
//!   the finite band do; the inverse is corrected by `D* / (|D|^2 + eps)`, so
//!   those effects cancel and nothing is amplified outside the band.
//! - any other reference (a sweep from another program, noise): Kirkeby's
//!   regularized division `X* / (|X|^2 + eps(f))`, eps tiny where the
//!   reference has energy (1/3-octave smoothed power above -50 dB of its
//!   maximum) and large elsewhere.
//! - a reference with a brick-wall low edge (noise shaped by FFT with
//!   nothing below 10 Hz, as tipfit's own pink noise was until it got a
//!   gentle 5 Hz high-pass instead, or noise through a steep filter): the
//!   bins below the edge hold only the spectral leakage of the zero-padded
//!   reference, 35-50 dB down, and dividing by them turns the recording's
//!   noise and any missing convolution tail into a large slow wave in the
//!   impulse response, which the short window before the peak turns into a
//!   bass error (with the old 10 s pink noise and a recording cut at its
//!   end: a 100 Hz 1st-order high-pass read as 86 Hz, bass 0.9 dB low).
//!   Cutting those bins off (a zero-phase brick wall) is no better: its
//!   ringing before the peak is cut by that window too (-0.5 dB at 20-60 Hz
//!   on a flat response). So the edge is found (`low_edge`: the
//!   1/3-octave power falls more than 10 dB below both its values half an
//!   octave and an octave higher), the bins below it are regularized away,
//!   and the inverse is rolled off by a causal 4th-order Butterworth
//!   high-pass at 1.5 times the edge ([`Taper`]), whose impulse response is
//!   over well inside the window; the analysis divides it back out of the
//!   response, which then starts at the taper's corner. From there the
//!   response is within 0.15 dB of the truth when the recording holds the
//!   system's tail; a recording cut at the stimulus's end lacks it, which
//!   the deconvolution sees as noise (bass SNR 27-45 dB, points within
//!   0.6 dB, `tests/seal_external.rs`).
//!
//! The deconvolution is circular, at a length that holds the longer of the
//! recording and the reference plus [`GUARD_S`] (1.25 s). The recording
//! `y = h * x` (zero-padded) fits in the buffer, so `Y / X` is exact for
//! the linear part; what the output holds at negative lags (a sweep's
//! harmonic responses, which come *before* the linear response, and the
//! noise correlated there) spans at most the reference's length and wraps
//! to the buffer's end, `[n - M, n)` for a reference of `M` samples. The
//! linear response sits at the recording's lag `tau <= N - M` (a recording
//! of `N` samples holding the whole stimulus), so its windows and the noise
//! window after it end by `tau + 1.06 s < n - M`: clear of everything
//! wrapped (a late start puts the peak at a negative lag `-d` and the same
//! holds with `n > M + 1.06 s`). A linear deconvolution (recording plus
//! reference, about twice as long) gives the same response; this length
//! halves the FFTs, their plan and the memory (`tests/lean.rs` checks the
//! two against each other).

use super::fft::{good_size, FftCache};
use super::{c32, c64, Complex32, Complex64};
use crate::signal::{Stimulus, StimulusKind, SweepParams};

/// Which inverse was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InverseMethod {
    /// Novak's analytic inverse of a tipfit sweep (with band/fade correction).
    AnalyticSweep,
    /// Kirkeby regularized spectral division by a reference signal.
    Regularized,
}

/// The inverse spectrum of a stimulus at one FFT length, reusable for many
/// recordings of that length.
#[derive(Debug, Clone)]
pub struct Inverse {
    /// FFT length.
    pub n: usize,
    /// Inverse spectrum, bins `0..=n/2` (f32: the deconvolution runs in
    /// f32, see [`Inverse::apply_with`]).
    pub spectrum: Vec<Complex32>,
    /// How it was made.
    pub method: InverseMethod,
    /// The band the stimulus excites (low, high) in Hz.
    pub band_hz: (f64, f64),
    /// The roll-off built into the inverse below a brick-wall low edge of
    /// the reference (`None`: none), to be divided out of the response.
    pub taper: Option<Taper>,
}

/// The causal roll-off of an inverse below a brick-wall low edge: a
/// 4th-order Butterworth high-pass (analog prototype evaluated at each bin).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Taper {
    /// The -3 dB corner, Hz (1.5 times the reference's low edge).
    pub corner_hz: f64,
}

/// Corner of the taper over the low edge of the reference.
pub const TAPER_CORNER_RATIO: f64 = 1.5;

impl Taper {
    /// Complex response at `freq_hz`.
    pub fn response(&self, freq_hz: f64) -> Complex64 {
        // Butterworth pole pairs of order 4: Q = 1 / (2 cos(pi/8)), 1 / (2 cos(3 pi/8)).
        // Each high-pass s^2 / (s^2 + s w0/Q + w0^2) at s = j w, with
        // x = w / w0: -x^2 / (1 - x^2 + j x / Q), in real arithmetic (it
        // is evaluated at every bin of a long inverse).
        let x = freq_hz / self.corner_hz;
        let x2 = x * x;
        let a = 1.0 - x2;
        let (b1, b2) = (x / 0.541_196_100_146_197, x / 1.306_562_964_876_376_6);
        // (-x^2)^2 (a - j b1)(a - j b2) / ((a^2 + b1^2)(a^2 + b2^2)): one
        // division instead of two
        let d = x2 * x2 / ((a * a + b1 * b1) * (a * a + b2 * b2));
        Complex64::new(a * a - b1 * b2, -a * (b1 + b2)) * d
    }

    /// Power gain at `freq_hz` averaged as a `1/b`-octave smoothing averages
    /// power (uniformly in frequency over `f * 2^(+-1/(2b))`); `b = 0`: no
    /// smoothing.
    pub fn smoothed_power(&self, freq_hz: f64, b: u32) -> f64 {
        if b == 0 {
            return self.response(freq_hz).norm_sqr();
        }
        let half = 2f64.powf(1.0 / (2.0 * b as f64));
        let (lo, hi) = (freq_hz / half, freq_hz * half);
        const STEPS: usize = 16;
        (0..STEPS)
            .map(|i| {
                let f = lo + (hi - lo) * (i as f64 + 0.5) / STEPS as f64;
                self.response(f).norm_sqr()
            })
            .sum::<f64>()
            / STEPS as f64
    }
}

/// Seconds the deconvolution's buffer holds beyond the longer of the
/// recording and the reference: the linear response's windows (5 ms
/// before the peak, 500 ms after, the noise window 50 ms later and 500 ms
/// long, `analysis::response`) plus 0.2 s to spare, so that what the
/// output holds at negative lags (a sweep's harmonics, noise), which wraps
/// to the end of the buffer, stays clear of them.
pub const GUARD_S: f64 = 1.25;

/// FFT length for deconvolving `recording_len` samples at `rate` by a
/// reference of `reference_len` samples (see the module notes on why
/// this circular length is enough).
pub fn fft_len(recording_len: usize, reference_len: usize, rate: u32) -> usize {
    good_size(recording_len.max(reference_len) + (GUARD_S * rate as f64).ceil() as usize)
}

impl Inverse {
    /// Build the inverse of `stimulus` for FFT length `n` (its transform
    /// is planned on its own, see [`Inverse::spectrum_of`]).
    pub fn new(stimulus: &Stimulus, n: usize) -> Self {
        let x = Self::spectrum_of(stimulus, n, &mut Scratch::default());
        Self::from_spectrum(stimulus, x, n)
    }

    /// The first half of [`Inverse::new`], in the buffers of `s` (which
    /// the recordings' deconvolutions then reuse): the spectrum of
    /// `stimulus` zero-padded to `n`.
    pub fn spectrum_of(stimulus: &Stimulus, n: usize, s: &mut Scratch) -> Vec<Complex32> {
        // The reference is transformed once: by a transform planned in a
        // fraction of the time, so as not to wait for the long plan, always
        // (not only while that plan is being made: the inverse, and so
        // every result, must not depend on which finished first).
        let big = super::fft::RealFft32::quick(n);
        s.time.clear();
        s.time.reserve(n);
        s.time.extend(stimulus.samples.iter().take(n).copied());
        s.time.resize(n, 0.0);
        let mut x = vec![Complex32::default(); n / 2 + 1];
        big.forward(&mut s.time, &mut x, &mut s.fft);
        x
    }

    /// The second half of [`Inverse::new`]: the inverse of the
    /// stimulus whose spectrum at length `n` is `x` (which becomes it).
    pub fn from_spectrum(stimulus: &Stimulus, x: Vec<Complex32>, n: usize) -> Self {
        match &stimulus.kind {
            StimulusKind::Sweep(p) => Self::analytic(p, x, n),
            _ => Self::regularized(x, n, stimulus.rate as f64),
        }
    }

    /// Novak's inverse, corrected by the sweep's own spectrum `x`, which
    /// becomes the inverse in place.
    fn analytic(p: &SweepParams, mut x: Vec<Complex32>, n: usize) -> Self {
        let fs = p.rate as f64;
        let amp = crate::dsp::from_db(p.level_dbfs);
        let scale = 1.0 / (fs * amp);
        let phase = AnalyticPhase::new(p, n);
        let mut rot = phase.rotations();
        for (k, xk) in x.iter_mut().enumerate() {
            let inv = rot.next_bin(k) * (phase.magnitude(k) * scale);
            let d = inv * c64(*xk);
            *xk = c32(inv * (d.conj() / (d.norm_sqr() + 1e-4)));
        }
        Self {
            n,
            spectrum: x,
            method: InverseMethod::AnalyticSweep,
            band_hz: (p.start_hz, p.end_hz),
            taper: None,
        }
    }

    /// Kirkeby's inverse of the reference spectrum `x`, in place.
    fn regularized(mut x: Vec<Complex32>, n: usize, fs: f64) -> Self {
        let (smoothed, max_p, max_s) = third_octave_smooth(&x);
        let (max_p, max_s) = (max_p.max(1e-300), max_s.max(1e-300));
        let floor = max_s * 1e-5;
        let excited = |s: f32| s as f64 >= floor;
        let bin_hz = fs / n as f64;
        let lo = smoothed
            .iter()
            .skip(1)
            .position(|s| excited(*s))
            .map_or(0, |k| k + 1);
        let hi = smoothed.iter().rposition(|s| excited(*s)).unwrap_or(0);
        let edge = low_edge(&smoothed, bin_hz, (lo, hi), floor);
        let taper = edge.map(|k| Taper {
            corner_hz: TAPER_CORNER_RATIO * k as f64 * bin_hz,
        });
        let first = edge.unwrap_or(0);
        split_in_two(&mut x, |from, part| {
            for (k, (xk, s)) in (from..).zip(part.iter_mut().zip(&smoothed[from..])) {
                let eps = if excited(*s) && k >= first {
                    max_p * 1e-8
                } else {
                    max_p
                };
                let c = c64(*xk);
                let inv = c.conj() * (1.0 / (c.norm_sqr() + eps));
                *xk = c32(match &taper {
                    Some(t) => inv * t.response(k as f64 * bin_hz),
                    None => inv,
                });
            }
        });
        let low = taper.map_or(lo as f64 * bin_hz, |t| t.corner_hz);
        Self {
            n,
            spectrum: x,
            method: InverseMethod::Regularized,
            band_hz: (low, hi as f64 * bin_hz),
            taper,
        }
    }

    /// Impulse response (length `n`) of `recording` deconvolved by this inverse.
    pub fn apply(&self, recording: &[f32], fft: &FftCache) -> Vec<f32> {
        let mut scratch = Scratch::default();
        self.apply_with(recording, 0.0, fft, &mut scratch).to_vec()
    }

    /// Like [`Inverse::apply`] for `recording` minus `mean`, reusing
    /// `scratch` so repeated analyses do not allocate (and page-fault)
    /// tens of megabytes each time. Returns the impulse response, which
    /// lives in `scratch`.
    ///
    /// The long transforms run in f32 ([`super::fft::RealFft32`]): half
    /// the memory and the memory traffic of f64. f32's rounding leaves an
    /// error floor far below a recording's noise (`tests/lean.rs` compares
    /// the figures read from it with an f64 deconvolution of the same
    /// recording).
    pub fn apply_with<'s>(
        &self,
        recording: &[f32],
        mean: f64,
        fft: &FftCache,
        s: &'s mut Scratch,
    ) -> &'s [f32] {
        transform_recording(recording, mean, self.n, fft, s);
        self.finish(fft, s)
    }

    /// The impulse response of the recording whose spectrum
    /// [`transform_recording`] left in `s` (at this inverse's length),
    /// in `s`.
    pub fn finish<'s>(&self, fft: &FftCache, s: &'s mut Scratch) -> &'s [f32] {
        assert_eq!(
            s.spec.len(),
            self.n / 2 + 1,
            "the recording was transformed at another length"
        );
        let big = fft.real32(self.n);
        let scale = 1.0 / self.n as f32;
        for (yk, ik) in s.spec.iter_mut().zip(&self.spectrum) {
            *yk *= ik * scale;
        }
        big.inverse(&mut s.spec, &mut s.time, &mut s.fft);
        &s.time
    }
}

/// The first half of [`Inverse::apply_with`]: the spectrum of `recording`
/// minus `mean`, zero-padded to `n`, into `s`; [`Inverse::finish`] then
/// deconvolves it. Apart so that the recording is transformed while its
/// inverse is still being built on another core.
pub fn transform_recording(
    recording: &[f32],
    mean: f64,
    n: usize,
    fft: &FftCache,
    s: &mut Scratch,
) {
    let big = fft.real32(n);
    let mean = mean as f32;
    s.time.clear();
    // its full length at once (growing a long buffer moves it)
    s.time.reserve(n);
    s.time.extend(recording.iter().take(n).map(|&v| v - mean));
    s.time.resize(n, 0.0);
    s.spec.resize(n / 2 + 1, Complex32::default());
    big.forward(&mut s.time, &mut s.spec, &mut s.fft);
}

/// The phase of Novak's inverse plus the lead-in shift,
/// `theta(k) = -2 pi f L (1 - ln(f/f1)) + pi/4 + 2 pi k lead / n` at
/// `f = k fs / n`, and its magnitude.
struct AnalyticPhase {
    /// `fs / n`, Hz per bin.
    bin_hz: f64,
    l: f64,
    f1: f64,
    lead: f64,
    n: f64,
    /// Bins below this get the exact phase; from it on, blocks of
    /// [`PHASE_BLOCK`] bins follow it by a recurrence.
    exact_below: usize,
}

/// Bins per block of the phase recurrence (three `sin_cos` calls per
/// block instead of two per bin).
const PHASE_BLOCK: usize = 32;

impl AnalyticPhase {
    fn new(p: &SweepParams, n: usize) -> Self {
        let bin_hz = p.rate as f64 / n as f64;
        let l = p.l_s();
        // Within a block the recurrence is exact for a quadratic phase; the
        // third derivative, -2 pi L bin / k^2, leaves at most its size
        // times B^3 / 6 at the block's end: kept under 1e-6 rad (and the
        // correction by the sweep's own spectrum takes out what is left).
        let c = 2.0 * std::f64::consts::PI * l * bin_hz * (PHASE_BLOCK as f64).powi(3) / 6.0;
        let exact_below = ((c / 1e-6).sqrt().ceil() as usize).max(1);
        Self {
            bin_hz,
            l,
            f1: p.start_hz,
            lead: p.lead_samples() as f64,
            n: n as f64,
            exact_below,
        }
    }

    fn theta(&self, k: usize) -> f64 {
        use std::f64::consts::PI;
        let f = k as f64 * self.bin_hz;
        -2.0 * PI * f * self.l * (1.0 - (f / self.f1).ln())
            + PI / 4.0
            + 2.0 * PI * k as f64 * self.lead / self.n
    }

    fn magnitude(&self, k: usize) -> f64 {
        2.0 * (k as f64 * self.bin_hz / self.l).sqrt()
    }

    fn rotations(&self) -> Rotations<'_> {
        let one = Complex64::new(1.0, 0.0);
        Rotations {
            phase: self,
            z: one,
            r: one,
            c: one,
        }
    }
}

/// `exp(i theta(k))` bin after bin (see [`AnalyticPhase`]).
struct Rotations<'a> {
    phase: &'a AnalyticPhase,
    z: Complex64,
    r: Complex64,
    c: Complex64,
}

impl Rotations<'_> {
    /// `exp(i theta(k))`, called for `k = 0, 1, 2, ...` in turn (0 at DC,
    /// where the inverse is 0).
    fn next_bin(&mut self, k: usize) -> Complex64 {
        let p = self.phase;
        if k == 0 {
            return Complex64::new(0.0, 0.0);
        }
        if k < p.exact_below {
            return Complex64::from_polar(1.0, p.theta(k));
        }
        if (k - p.exact_below).is_multiple_of(PHASE_BLOCK) {
            let (t0, t1, t2) = (p.theta(k), p.theta(k + 1), p.theta(k + 2));
            self.z = Complex64::from_polar(1.0, t0);
            self.r = Complex64::from_polar(1.0, t1 - t0);
            self.c = Complex64::from_polar(1.0, (t2 - t1) - (t1 - t0));
        } else {
            self.z *= self.r;
            self.r *= self.c;
        }
        self.z
    }
}

/// Fewest bins a 1/3-octave band must hold for [`low_edge`] to judge it
/// (a band of fewer random bins can dip 10 dB by chance): the edge can be
/// found down to `35 * bin` (about 4.4 Hz for a 4 s reference).
const EDGE_MIN_BINS: usize = 35;

/// The brick-wall low edge of a reference, as a bin index: scanning down
/// from 1 kHz (or the middle of the excited band `lo..=hi`), the first bin
/// whose 1/3-octave power `smoothed` falls below `floor` or more than 10 dB
/// below both the power half an octave and an octave higher; the edge is
/// the bin above it. Pink, white or brown noise, a sweep's gentle start, or
/// noise rolled off by a 2nd-order high-pass (15 dB/octave of power at
/// most) never fall that fast; a brick wall does within a few percent of
/// its frequency. `None`: no such edge above `EDGE_MIN_BINS`.
fn low_edge(smoothed: &[f32], bin_hz: f64, (lo, hi): (usize, usize), floor: f64) -> Option<usize> {
    if hi <= lo || hi >= smoothed.len() {
        return None;
    }
    let start = match (1000.0 / bin_hz).round() as usize {
        k if k >= lo && k <= hi => k,
        _ => ((lo.max(1) as f64) * (hi as f64)).sqrt() as usize,
    };
    let last = smoothed.len() - 1;
    (EDGE_MIN_BINS.max(lo + 1)..=start).rev().find_map(|k| {
        let s = smoothed[k] as f64;
        let half =
            smoothed[((k as f64 * std::f64::consts::SQRT_2).round() as usize).min(last)] as f64;
        let octave = smoothed[(2 * k).min(last)] as f64;
        (s < floor || s < 0.1 * half.min(octave)).then_some(k + 1)
    })
}

/// Reusable buffers for [`Inverse::apply_with`].
#[derive(Debug, Default)]
pub struct Scratch {
    time: Vec<f32>,
    spec: Vec<Complex32>,
    fft: Vec<Complex32>,
}

/// 1/3-octave moving average of the power of the spectrum `x`: at bin
/// `k`, the mean power of bins `floor(k / 2^(1/6))` to
/// `ceil(k 2^(1/6)) - 1` (bin 1's band at DC). The window only moves up,
/// so a running f64 sum serves (no prefix array of `x.len()` f64: 8 bytes
/// a bin less to allocate and touch); the averages are f32, as they are
/// compared. A long spectrum is done in two halves side by side.
///
/// Also returns the largest power of a bin and the largest average (found
/// on the way: every bin enters a window).
fn third_octave_smooth(x: &[Complex32]) -> (Vec<f32>, f64, f64) {
    let mut out = vec![0f32; x.len()];
    let parts = split_in_two(&mut out, |from, part| smooth_into(x, from, part));
    let max_p = parts.iter().fold(0.0, |m, p| f64::max(m, p.0));
    let max_s = parts.iter().fold(0.0, |m, p| f64::max(m, p.1));
    (out, max_p, max_s)
}

/// Below this many bins a loop over a spectrum runs on one thread.
const SPLIT_BINS: usize = 1 << 15;

/// Run `work(from, part)` over `out` in two halves, the upper one on
/// another thread when `out` is long (a plain scoped thread, not rayon's
/// pool: the inverse is built while a batch's rayon workers wait for it);
/// the results of the parts, lowest first.
fn split_in_two<T: Send, R: Send>(
    out: &mut [T],
    work: impl Fn(usize, &mut [T]) -> R + Sync,
) -> Vec<R> {
    if out.len() < SPLIT_BINS {
        return vec![work(0, out)];
    }
    let half = out.len() / 2;
    let (low, high) = out.split_at_mut(half);
    // the upper half goes to whoever takes it: the other thread, or this
    // one when no thread can be started
    let upper = std::sync::Mutex::new(Some(high));
    let take = || upper.lock().unwrap_or_else(|e| e.into_inner()).take();
    std::thread::scope(|s| {
        let (work, take) = (&work, &take);
        let spawned = std::thread::Builder::new()
            .spawn_scoped(s, move || take().map(|high| work(half, high)));
        let mut done = vec![work(0, low)];
        let upper = match spawned {
            // a panic there is passed on
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p)),
            Err(_) => None,
        };
        done.extend(upper.or_else(|| take().map(|high| work(half, high))));
        done
    })
}

/// [`third_octave_smooth`] of bins `from..from + out.len()` into `out`;
/// the largest power of the bins that entered its windows, and the largest
/// average.
fn smooth_into(x: &[Complex32], from: usize, out: &mut [f32]) -> (f64, f64) {
    let (mut max_p, mut max_s) = (0f64, 0f32);
    let (up, down) = (2f64.powf(1.0 / 6.0), 2f64.powf(-1.0 / 6.0));
    let len = x.len();
    let power = |k: usize| c64(x[k]).norm_sqr();
    let (mut lo, mut hi, mut sum) = (0usize, 0usize, 0.0f64);
    for (k, o) in (from..).zip(out.iter_mut()) {
        let f = (k as f64).max(1.0);
        // floor and ceil of positive values by casts (no libm call)
        let new_lo = ((f * down) as usize).min(len - 1);
        let t = f * up;
        let c = t as usize;
        let new_hi = (c + usize::from((c as f64) < t)).clamp(new_lo + 1, len);
        if hi <= new_lo {
            // the first bin of this part: start the window at its band
            (lo, hi, sum) = (new_lo, new_lo, 0.0);
        }
        while hi < new_hi {
            let p = power(hi);
            max_p = max_p.max(p);
            sum += p;
            hi += 1;
        }
        while lo < new_lo {
            sum -= power(lo);
            lo += 1;
        }
        // the running sum can round below 0 once large bins have left
        *o = (sum.max(0.0) as f32) / (hi - lo) as f32;
        max_s = max_s.max(*o);
    }
    (max_p, max_s as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn self_deconvolution(stim: &Stimulus) -> Vec<f32> {
        let fft = FftCache::new();
        let n = fft_len(stim.samples.len(), stim.samples.len(), stim.rate);
        let inv = Inverse::new(stim, n);
        inv.apply(&stim.samples, &fft)
    }

    #[test]
    fn sweep_deconvolved_by_itself_is_an_impulse_at_zero() {
        let stim = SweepParams {
            duration_s: 1.0,
            ..SweepParams::default()
        }
        .generate()
        .unwrap();
        let h = self_deconvolution(&stim);
        let (imax, vmax) =
            h.iter().enumerate().fold(
                (0, 0.0),
                |(i, m), (j, v)| if v.abs() > m { (j, v.abs()) } else { (i, m) },
            );
        assert_eq!(imax, 0);
        assert!((vmax - 1.0).abs() < 0.1, "peak {vmax}");
    }

    /// Pink noise by FFT shaping, `1/sqrt(f)` from `edge_hz` (0: from the
    /// first bin), complex Gaussian bins.
    fn fft_pink(seconds: f64, edge_hz: f64, seed: u64) -> Stimulus {
        use rand::{Rng, SeedableRng};
        let fs = 48_000.0;
        let n = (seconds * fs) as usize;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let mut g = || {
            let (u1, u2): (f64, f64) = (rng.gen::<f64>().max(1e-300), rng.gen());
            (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
        };
        let mut spec: Vec<Complex64> = (0..=n / 2)
            .map(|k| {
                let f = k as f64 * fs / n as f64;
                let mag = if k == 0 || f < edge_hz {
                    0.0
                } else {
                    f.powf(-0.5)
                };
                Complex64::new(g(), g()) * mag
            })
            .collect();
        let x = FftCache::new().real_signal(&mut spec, n);
        let rms = (x.iter().map(|v| v * v).sum::<f64>() / n as f64).sqrt();
        Stimulus {
            samples: x.iter().map(|v| (0.1 * v / rms) as f32).collect(),
            rate: 48_000,
            kind: StimulusKind::External,
        }
    }

    fn inverse_of(stim: &Stimulus) -> Inverse {
        Inverse::new(
            stim,
            fft_len(stim.samples.len(), stim.samples.len(), stim.rate),
        )
    }

    #[test]
    fn a_brick_wall_low_edge_is_found_and_tapered() {
        for (seconds, edge) in [(3.0, 10.0), (4.0, 20.0), (2.0, 40.0)] {
            let inv = inverse_of(&fft_pink(seconds, edge, 7));
            let t = inv.taper.expect("a taper");
            // The 1/3-octave power is 10 dB down within a few % of the edge.
            let found = t.corner_hz / TAPER_CORNER_RATIO;
            assert!(
                (found / edge - 1.0).abs() < 0.12,
                "edge {edge}: found {found}"
            );
            assert_eq!(inv.band_hz.0, t.corner_hz);
        }
    }

    #[test]
    fn gentle_low_ends_get_no_taper() {
        // Pink from the first bin, tipfit's pink (5 Hz 2nd-order roll-off)
        // and white noise, short and long.
        for seconds in [0.5, 1.0, 3.0] {
            let tipfit_pink = crate::signal::NoiseParams {
                duration_s: seconds,
                ..Default::default()
            }
            .generate()
            .unwrap();
            let white = crate::signal::NoiseParams {
                duration_s: seconds,
                colour: crate::signal::NoiseColour::White,
                seed: 3,
                ..Default::default()
            }
            .generate()
            .unwrap();
            for (name, s) in [
                ("pink from DC", fft_pink(seconds, 0.0, 2)),
                ("tipfit pink", tipfit_pink),
                ("white", white),
            ] {
                let inv = inverse_of(&s);
                assert_eq!(inv.taper, None, "{name} {seconds} s");
                assert!(
                    inv.band_hz.0 <= 1.0,
                    "{name} {seconds} s: {:?}",
                    inv.band_hz
                );
            }
        }
    }

    #[test]
    fn the_taper_equals_two_analog_biquads() {
        let t = Taper { corner_hz: 26.0 };
        for f in [0.0, 1.0, 13.0, 26.0, 40.0, 1000.0, 24_000.0] {
            let want: Complex64 = [0.541_196_100_146_197, 1.306_562_964_876_376_6]
                .iter()
                .map(|&q| super::super::biquad::AnalogBiquad::highpass(26.0, q).response(f))
                .product();
            assert!((t.response(f) - want).norm() < 1e-12, "{f} Hz");
        }
    }

    #[test]
    fn the_taper_is_a_4th_order_butterworth_high_pass() {
        let t = Taper { corner_hz: 15.0 };
        assert!((crate::dsp::db(t.response(15.0).norm()) + 3.0103).abs() < 1e-3);
        // 24 dB/octave well below, flat well above.
        let slope = crate::dsp::db(t.response(2.0).norm() / t.response(1.0).norm());
        assert!((slope - 24.08).abs() < 0.05, "{slope}");
        assert!(crate::dsp::db(t.response(150.0).norm()).abs() < 1e-3);
        // Smoothing-consistent power: the plain power without smoothing,
        // close to it on a flat part.
        assert_eq!(t.smoothed_power(20.0, 0), t.response(20.0).norm_sqr());
        assert!((t.smoothed_power(300.0, 3) - 1.0).abs() < 1e-4);
    }

    #[test]
    fn noise_deconvolved_by_itself_is_an_impulse_at_zero() {
        let stim = crate::signal::NoiseParams {
            duration_s: 0.5,
            ..Default::default()
        }
        .generate()
        .unwrap();
        let h = self_deconvolution(&stim);
        let imax = (0..h.len())
            .max_by(|&a, &b| h[a].abs().total_cmp(&h[b].abs()))
            .unwrap();
        assert_eq!(imax, 0);
    }
}
