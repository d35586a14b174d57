//! Clock drift between player and recorder, found from the recording itself
//! and corrected before the response is read.
//!
//! A recorder whose clock runs `eps` fast (`eps = ppm 1e-6`, the sign of
//! [`crate::dsp::sync::ClockEstimate::ppm`] and of the sim's `drift_ppm`)
//! stretches the recording by `1 + eps`. Without sync markers it is found
//! from the recording, by the stimulus:
//!
//! - **Sweeps** (tipfit's, and any chirp deconvolved by the regularized
//!   inverse): the stretch delays what was played at time `t` by `eps t`,
//!   and a sweep plays frequency `f` at a known time, so the impulse
//!   response gets an extra group delay `eps u(f)` with `u = d(f tau_x)/df`
//!   (`tau_x(f)`: when the stimulus plays `f`, its group delay; for an
//!   exponential sweep `u = L ln f` plus a constant). The device's own group
//!   delay would bias a plain fit (a leak high-pass or an ear-gain peak adds
//!   tenths of a ms), so its minimum-phase part is removed: the minimum
//!   phase is computed from the log magnitude by the real cepstrum (below
//!   the excited band the magnitude goes on with the slope of its lowest
//!   octave, above 1/1.2 of its top it stays at that level, and it is
//!   floored 120 dB under its peak; the cepstrum is at least 0.5 s long),
//!   and what is left, the excess group delay, is read in 1/3-octave bands
//!   from 400 Hz to 10 kHz (the phase step between neighbouring bins, as
//!   in `response::arrival_spread`), weighted by how well the bins agree,
//!   and fitted with `a + eps u(f)`. A tipfit sweep's
//!   `u` is exact (`L ln f`); another reference's `tau_x` is read the same
//!   way from its inverse spectrum, band by band (its bins agree for a
//!   chirp; for noise they do not, and the noise method is used instead).
//!   The window read for this is independent of the response's pre-peak
//!   window: it holds the spread of 1.5 x [`MAX_PPM`] over the whole sweep.
//! - **Noise** (and any reference that is not a chirp): segments of the
//!   reference are cross-correlated with the recording around where they
//!   must arrive (the first found by a search over all lags); the slope of
//!   the sub-sample lag against time is `eps`.
//! - **The multitone** (the quick check): every tone turns by
//!   `-2 pi eps b` from one frame to the next (`b`: its bin, `f` times the
//!   frame length); the turn is unwrapped from the lowest tone up and
//!   fitted through the origin.
//!
//! A drift above [`CORRECT_ABOVE_PPM`] (and above three times its
//! uncertainty) is corrected: the recording is resampled onto the player's
//! clock by [`crate::dsp::sync::correct`] and analysed again, and what is
//! left is estimated again, up to [`MAX_CORRECTIONS`] times. A smaller one
//! is reported, not corrected (uncorrected, +-100 ppm moved the response
//! of the test fixtures, tests/data/drift-external, by at most 0.02 dB).
//! Beyond [`MAX_PPM`], or when the corrections do not converge, the
//! recording is refused ([`super::AnalysisError::ClockDrift`]). When no
//! response is found at all, the recording is tried resampled as if the
//! signal had been played at 44.1, 48, 88.2 or 96 kHz, or with a drift of
//! +-1, 2 or 4 %: a response there names the rate mismatch, or starts the
//! estimate from that drift (and refuses it with its value).

use super::clock::WINDOW_PPM;
pub use super::clock::{
    amount, likely_cause, ClockCheck, ClockInfo, ClockMethod, DriftFoundBy, SyncAdvice,
    CORRECT_ABOVE_PPM, MAX_CORRECTIONS, MAX_PPM,
};
use super::{AnalysisConfig, AnalysisError, Analyzer};
use crate::analysis::quick::{self, ToneResults};
use crate::dsp::deconvolve::{Inverse, InverseMethod};
use crate::dsp::fft::{good_size, FftCache};
use crate::dsp::{c64, resample, sync, Complex64};
use crate::signal::{MultitoneParams, Stimulus, StimulusKind, SweepParams};
use std::f64::consts::PI;

/// One estimate of the clock difference.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Estimate {
    /// ppm.
    pub ppm: f64,
    /// Standard uncertainty, ppm.
    pub sigma_ppm: f64,
}

impl Estimate {
    /// Worth a correction: above [`CORRECT_ABOVE_PPM`] and three times its
    /// uncertainty.
    fn significant(&self) -> bool {
        self.ppm.abs() > CORRECT_ABOVE_PPM.max(3.0 * self.sigma_ppm)
    }
}

/// Weighted least squares `y = a + b x`: `(b, standard error of b)`.
fn fit_line(pts: &[(f64, f64, f64)]) -> Option<(f64, f64)> {
    let sw: f64 = pts.iter().map(|p| p.2).sum();
    if pts.len() < 3 || sw <= 0.0 {
        return None;
    }
    let mx = pts.iter().map(|p| p.2 * p.0).sum::<f64>() / sw;
    let my = pts.iter().map(|p| p.2 * p.1).sum::<f64>() / sw;
    let sxx: f64 = pts.iter().map(|p| p.2 * (p.0 - mx).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|p| p.2 * (p.0 - mx) * (p.1 - my)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let b = sxy / sxx;
    let a = my - b * mx;
    let rss: f64 = pts.iter().map(|p| p.2 * (p.1 - a - b * p.0).powi(2)).sum();
    // effective number of points for the residual variance
    let n_eff = sw * sw / pts.iter().map(|p| p.2 * p.2).sum::<f64>();
    let dof = (n_eff - 2.0).max(1.0);
    let s2 = rss / sw * n_eff / dof;
    Some((b, (s2 * sw / n_eff / sxx).sqrt()))
}

/// The mean of `v`.
fn pts_mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// 1/3-octave bands (base-2 centres around 1 kHz) with centres from 400 Hz
/// to 10 kHz that lie inside `(lo, hi)`: `(low edge, high edge)`. Below
/// 400 Hz the minimum phase depends too much on what the magnitude does
/// below the sweep's start, which nobody measured (a guess that is off by
/// a few dB there moves the group delay at 200 Hz by tens of
/// microseconds, at 400 Hz by a few).
fn fit_bands(lo: f64, hi: f64) -> Vec<(f64, f64)> {
    let half = 2f64.powf(1.0 / 6.0);
    (-8..=10)
        .map(|k| 1000.0 * 2f64.powf(k as f64 / 3.0))
        .filter(|c| *c >= 390.0 && *c <= 10_500.0)
        .filter(|c| c / half >= lo && c * half <= hi)
        .map(|c| (c / half, c * half))
        .collect()
}

/// When a chirp stimulus plays each frequency: `u(f) = d(f tau_x)/df` per
/// fit band (see the module notes), and the length of the sweep.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Law {
    /// `(band low edge, band high edge, u)`, Hz, Hz, s.
    bands: Vec<(f64, f64, f64)>,
    /// Time over which the stimulus sweeps its band, s.
    span_s: f64,
}

impl Law {
    /// A tipfit sweep: `u = L ln(f / f1)` (plus a constant).
    pub fn sweep(p: &SweepParams, fs: f64) -> Self {
        let l = p.l_s();
        let hi = p.end_hz.min(0.45 * fs) / 1.2;
        let bands = fit_bands(4.0 * p.start_hz, hi)
            .into_iter()
            .map(|(a, b)| (a, b, l * ((a * b).sqrt() / p.start_hz).ln()))
            .collect();
        Self {
            bands,
            span_s: p.sweep_duration_s(),
        }
    }

    /// Any other reference, from its inverse spectrum (whose phase is minus
    /// the reference's): `tau_x` per band from the phase steps between
    /// bins, `None` unless the bins agree in nearly every band (a chirp).
    pub fn measured(inverse: &Inverse, fs: f64, stimulus_len: usize) -> Option<Self> {
        let n = inverse.n;
        let spec = &inverse.spectrum;
        let bin = fs / n as f64;
        let period = n as f64 / fs;
        let bands = fit_bands(4.0 * inverse.band_hz.0.max(5.0), inverse.band_hz.1 / 1.2);
        if bands.len() < 4 {
            return None;
        }
        let mut tau = Vec::with_capacity(bands.len());
        for &(a, b) in &bands {
            let k0 = (a / bin).ceil() as usize;
            let k1 = ((b / bin).floor() as usize).min(spec.len() - 1);
            let mut acc = Complex64::new(0.0, 0.0);
            let mut energy = 0.0;
            for k in k0..k1 {
                let (a, b) = (c64(spec[k]), c64(spec[k + 1]));
                acc += b * a.conj();
                energy += (a.norm_sqr() * b.norm_sqr()).sqrt();
            }
            if energy <= 0.0 || acc.norm() < 0.9 * energy {
                return None;
            }
            // the inverse's delay is minus the reference's
            let t = (acc.arg() * period / (2.0 * PI)).rem_euclid(period);
            tau.push(t);
        }
        // u = tau + d tau / d ln f (central differences)
        let ln: Vec<f64> = bands.iter().map(|(a, b)| (a * b).sqrt().ln()).collect();
        let last = tau.len() - 1;
        let bands = (0..=last)
            .map(|i| {
                let (j, k) = (i.saturating_sub(1), (i + 1).min(last));
                let slope = (tau[k] - tau[j]) / (ln[k] - ln[j]);
                (bands[i].0, bands[i].1, tau[i] + slope)
            })
            .collect();
        Some(Self {
            bands,
            span_s: stimulus_len as f64 / fs,
        })
    }

    /// Seconds of the impulse response the estimate reads before its peak.
    pub fn pre_s(&self) -> f64 {
        WINDOW_PPM * 1e-6 * self.span_s + 0.005
    }
}

/// The clock difference from a sweep's impulse response `h` (circular,
/// peak at `tau`) by the excess group delay (see the module notes).
pub(crate) fn sweep_estimate(
    h: &[f32],
    tau: usize,
    fs: f64,
    excited: (f64, f64),
    law: &Law,
    roll_off: Option<&crate::dsp::deconvolve::Taper>,
    fft: &FftCache,
) -> Option<Estimate> {
    let n = h.len();
    let spread = WINDOW_PPM * 1e-6 * law.span_s;
    let pre = (law.pre_s() * fs).ceil() as usize;
    let post = ((spread + 0.2) * fs).ceil() as usize;
    if pre + post >= n || law.bands.len() < 4 {
        return None;
    }
    // zero-padded to at least 0.5 s: a shorter cepstrum aliases (a leak's
    // high-pass puts a near-zero at DC) and biases the minimum phase
    let m = good_size((pre + post).max((0.5 * fs) as usize));
    let taper = (0.002 * fs) as usize;
    let hann = |i: usize| 0.5 - 0.5 * (PI * i as f64 / taper as f64).cos();
    let mut w = vec![0.0; m];
    for (i, v) in w.iter_mut().take(post).enumerate() {
        let from_end = post - 1 - i;
        let g = if from_end < taper {
            hann(from_end)
        } else {
            1.0
        };
        *v = h[(tau + i) % n] as f64 * g;
    }
    for i in 0..pre {
        let g = if i < taper { hann(i) } else { 1.0 };
        w[m - pre + i] = h[(tau + n - pre + i) % n] as f64 * g;
    }
    let mut spec = fft.spectrum(&w, m);
    let bin = fs / m as f64;
    // The roll-off built into an inverse below a brick-wall low edge is
    // causal: its phase is the inverse's, not the device's, and its
    // magnitude is flat where the slope below is read, so the minimum
    // phase would not hold it (a 4th-order 26 Hz taper is 68 us of group
    // delay at 400 Hz: -10.5 ppm read from a clean recording of the numpy
    // peer's 20 Hz sweep). Its phase is taken out here.
    if let Some(t) = roll_off {
        for (k, c) in spec.iter_mut().enumerate() {
            *c *= Complex64::from_polar(1.0, -t.response(k as f64 * bin).arg());
        }
    }
    let k_lo = ((excited.0 / bin).ceil() as usize).max(1);
    let k_hi = ((excited.1.min(0.45 * fs) / 1.2 / bin).floor() as usize).min(spec.len() - 1);
    if k_hi <= k_lo {
        return None;
    }
    let peak = spec[k_lo..=k_hi]
        .iter()
        .fold(0.0f64, |a, c| a.max(c.norm()));
    if peak <= 0.0 || !peak.is_finite() {
        return None;
    }
    let floor = peak * 1e-6;
    let ln_mag = |k: usize| spec[k].norm().max(floor).ln();
    // Below the excited band the magnitude goes on with the slope (in
    // log-log) of the band's lowest octave, from 1.5 to 3 times its lowest
    // frequency (a leak's high-pass goes on falling; a sealed fit stays
    // flat); above 1/1.2 of its top it stays at that level. A flat guess
    // below a falling bass would put tens of microseconds of group delay
    // at 200 Hz that the device does not have.
    let (k_a, k_b) = ((3 * k_lo).div_ceil(2), (3 * k_lo).min(k_hi));
    let slope = {
        let pts: Vec<(f64, f64, f64)> = (k_a..=k_b)
            .map(|k| ((k as f64).ln(), ln_mag(k), 1.0))
            .collect();
        fit_line(&pts).map_or(0.0, |(b, _)| b.clamp(0.0, 4.0))
    };
    let at = pts_mean(&(k_a..=k_b).map(|k| (k as f64).ln()).collect::<Vec<_>>());
    let level = pts_mean(&(k_a..=k_b).map(ln_mag).collect::<Vec<_>>());
    let edge = |k: usize| level + slope * ((k as f64).max(0.5).ln() - at);
    // minimum phase from the log magnitude: real cepstrum, folded
    let mut logmag: Vec<Complex64> = (0..spec.len())
        .map(|k| {
            let v = if k < k_a {
                edge(k).max(floor.ln())
            } else {
                ln_mag(k.min(k_hi))
            };
            Complex64::new(v, 0.0)
        })
        .collect();
    let c = fft.real_signal(&mut logmag, m);
    let mut folded = vec![0.0; m];
    folded[0] = c[0];
    for j in 1..m / 2 {
        folded[j] = 2.0 * c[j];
    }
    folded[m / 2] = c[m / 2];
    let min_phase = fft.spectrum(&folded, m);
    let excess = |k: usize| spec[k] * Complex64::from_polar(1.0, -min_phase[k].im);
    let mut pts = Vec::with_capacity(law.bands.len());
    for &(a, b, u) in &law.bands {
        let k0 = ((a / bin).ceil() as usize).max(k_lo);
        let k1 = ((b / bin).floor() as usize).min(k_hi);
        if k1 <= k0 + 2 {
            continue;
        }
        let mut acc = Complex64::new(0.0, 0.0);
        let mut energy = 0.0;
        let mut prev = excess(k0);
        for k in k0..k1 {
            let next = excess(k + 1);
            acc += next * prev.conj();
            energy += next.norm() * prev.norm();
            prev = next;
        }
        let coherence = acc.norm() / energy;
        if coherence.is_nan() || coherence <= 0.5 {
            continue;
        }
        let delay = -acc.arg() * m as f64 / (2.0 * PI * fs);
        pts.push((u, delay, ((coherence - 0.5) / 0.5).powi(2)));
    }
    if pts.len() < 4 {
        return None;
    }
    let (b, se) = fit_line(&pts)?;
    Some(Estimate {
        ppm: b * 1e6,
        sigma_ppm: se * 1e6,
    })
}

/// Position of the largest `|c|` near `k`, to a fraction of a sample
/// (band-limited interpolation of `c` and a golden-section search: 16 steps
/// narrow the sample to 0.0005 of a sample, far below what noise leaves,
/// at a third of the cost of the 40 it took before).
fn refine_peak(c: &[f64], k: usize) -> f64 {
    let sign = c[k].signum();
    let f = |p: f64| -sign * resample::value_at(c, p);
    let (mut a, mut b) = (k as f64 - 0.5, k as f64 + 0.5);
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let mut x1 = b - g * (b - a);
    let mut x2 = a + g * (b - a);
    let (mut f1, mut f2) = (f(x1), f(x2));
    for _ in 0..16 {
        if f1 < f2 {
            b = x2;
            x2 = x1;
            f2 = f1;
            x1 = b - g * (b - a);
            f1 = f(x1);
        } else {
            a = x1;
            x1 = x2;
            f1 = f2;
            x2 = a + g * (b - a);
            f2 = f(x2);
        }
    }
    0.5 * (a + b)
}

/// `c[k] = sum_i y[k + i] s[i]` for `k` in `0..=y.len() - s.len()`.
fn correlate(y: &[f64], s: &[f64], fft: &FftCache) -> Vec<f64> {
    // Only lags 0..=y.len()-s.len() are kept, where `k + j < y.len()`: a
    // circular correlation of y's length does not wrap there.
    let n = good_size(y.len());
    let ys = fft.spectrum(y, n);
    let ss = fft.spectrum(s, n);
    let mut prod: Vec<Complex64> = ys.iter().zip(&ss).map(|(a, b)| a * b.conj()).collect();
    let mut c = fft.real_signal(&mut prod, n);
    c.truncate(y.len().saturating_sub(s.len()) + 1);
    c
}

/// The clock difference from a recording `y` (mean removed) of a noise
/// reference `x` by the lag drift of its segments (see the module notes):
/// segments of 0.125 s (0.25 s cost twice as much for no gain in the
/// tests/drift_external.rs figures), or of 0.05 s when too few of those match (a large
/// drift turns the lag within a long segment by a fraction of a
/// millisecond, which undoes the correlation of all but the low
/// frequencies).
pub(crate) fn noise_estimate(y: &[f64], x: &[f64], fs: f64, fft: &FftCache) -> Option<Estimate> {
    segment_lags(y, x, fs, fft, 0.125).or_else(|| segment_lags(y, x, fs, fft, 0.05))
}

/// [`noise_estimate`] with segments of `seg_s`.
fn segment_lags(y: &[f64], x: &[f64], fs: f64, fft: &FftCache, seg_s: f64) -> Option<Estimate> {
    let peak = x.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    let first = x.iter().position(|v| v.abs() > 1e-3 * peak)?;
    let last = x.iter().rposition(|v| v.abs() > 1e-3 * peak)?;
    let active = last + 1 - first;
    if active < (0.2 * fs) as usize {
        return None;
    }
    let seg = ((seg_s * fs) as usize).min(active / 4);
    let count = (active / seg).clamp(3, 16);
    let starts: Vec<usize> = (0..count)
        .map(|k| first + k * (active - seg) / (count - 1))
        .collect();
    let norm = |v: &[f64]| v.iter().map(|a| a * a).sum::<f64>().sqrt();
    // the best match of segment `sk` in `y[from..to]`: (index, normalised
    // correlation; a match stands far above noise's ~1/sqrt(seg))
    let best = |sk: &[f64], from: usize, to: usize| -> Option<(Vec<f64>, usize, f64)> {
        if to < from + sk.len() + 1 {
            return None;
        }
        let c = correlate(&y[from..to], sk, fft);
        let k = (0..c.len()).max_by(|&a, &b| c[a].abs().total_cmp(&c[b].abs()))?;
        let rho = c[k].abs() / (norm(sk) * norm(&y[from + k..from + k + sk.len()])).max(1e-300);
        Some((c, k, rho))
    };
    // where the first segment arrives: a search over every lag
    let reach = y.len().saturating_sub(x.len()) + (0.05 * fs) as usize;
    let s0 = starts[0];
    let (_, k0, rho0) = best(&x[s0..s0 + seg], s0, (s0 + seg + reach).min(y.len()))?;
    if rho0 < 0.2 {
        return None;
    }
    let mut pts: Vec<(f64, f64, f64)> = Vec::with_capacity(count);
    for &s in &starts {
        let t = (s - s0) as f64;
        let full = (WINDOW_PPM * 1e-6 * t + 0.002 * fs).ceil() as usize;
        // where the segment should be, from the lags found so far: searched
        // first within 500 ppm of the time since the last one (2-3 times
        // cheaper than the whole window), then in the whole window when
        // that finds no clear peak inside
        let guess = match pts.as_slice() {
            [.., a, b] => {
                let slope = (b.1 - a.1) / (b.0 - a.0);
                let near = (500e-6 * (t - b.0) + 0.002 * fs).ceil() as usize;
                Some((b.1 + slope * (t - b.0), near.min(full)))
            }
            _ => None,
        };
        let search = |centre: f64, w: usize| {
            let at = (s as f64 + centre).round().max(0.0) as usize;
            let from = at.saturating_sub(w);
            let to = (at + seg + w).min(y.len());
            // a peak on the edge of a narrow window may lie outside it
            match best(&x[s..s + seg], from, to) {
                Some((c, k, rho)) if rho >= 0.2 && (w == full || (k > 0 && k + 1 < c.len())) => {
                    Some(from as f64 + refine_peak(&c, k) - s as f64)
                }
                _ => None,
            }
        };
        let lag = guess
            .and_then(|(centre, w)| search(centre, w))
            .or_else(|| search(k0 as f64, full));
        if let Some(lag) = lag {
            pts.push((t, lag, 1.0));
        }
    }
    if pts.len() < 3 {
        return None;
    }
    let (b, se) = fit_line(&pts)?;
    Some(Estimate {
        ppm: b * 1e6,
        sigma_ppm: se * 1e6,
    })
}

/// The clock difference from the multitone's tone values per frame
/// (`frames[k][i]`: tone `i` of frame `k`, at `bins[i]`).
pub(crate) fn multitone_estimate(
    frames: &[Vec<Complex64>],
    bins: &[usize],
    snr_db: &[f64],
) -> Option<Estimate> {
    if frames.len() < 2 || bins.is_empty() {
        return None;
    }
    // (bin, turn per frame, weight), lowest tone first; only tones well
    // above the noise whose turns agree from frame to frame (noise alone,
    // the wrong channel, turns at random)
    let mut turns: Vec<(f64, f64, f64)> = bins
        .iter()
        .enumerate()
        .filter(|(i, _)| snr_db.get(*i).is_some_and(|s| *s >= 15.0))
        .filter_map(|(i, &b)| {
            let acc: Complex64 = frames.windows(2).map(|w| w[1][i] * w[0][i].conj()).sum();
            let energy: f64 = frames
                .windows(2)
                .map(|w| w[1][i].norm() * w[0][i].norm())
                .sum();
            (acc.norm() >= 0.9 * energy && energy > 0.0).then(|| (b as f64, acc.arg(), acc.norm()))
        })
        .collect();
    if turns.len() < 3 {
        return None;
    }
    turns.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut sxy, mut sxx) = (0.0, 0.0);
    let mut unwrapped = Vec::with_capacity(turns.len());
    for &(b, phi, w) in &turns {
        let eps = if sxx > 0.0 {
            -sxy / (2.0 * PI * sxx)
        } else {
            0.0
        };
        let predicted = -2.0 * PI * b * eps;
        let phi = phi + 2.0 * PI * ((predicted - phi) / (2.0 * PI)).round();
        sxy += w * b * phi;
        sxx += w * b * b;
        unwrapped.push((b, phi, w));
    }
    if sxx <= 0.0 {
        return None;
    }
    let eps = -sxy / (2.0 * PI * sxx);
    let sw: f64 = unwrapped.iter().map(|p| p.2).sum();
    let rss: f64 = unwrapped
        .iter()
        .map(|&(b, phi, w)| w * (phi + 2.0 * PI * b * eps).powi(2))
        .sum();
    let n = unwrapped.len() as f64;
    let sigma = if n > 1.0 {
        (rss / sw * n / (n - 1.0) * sw / n / sxx).sqrt() / (2.0 * PI)
    } else {
        0.0
    };
    Some(Estimate {
        ppm: eps * 1e6,
        sigma_ppm: sigma * 1e6,
    })
}

/// What [`correction_loop`] gives: the last analysis, the clock, and the
/// recording resampled onto the player's clock if it was.
type Corrected<T> = (T, Option<ClockInfo>, Option<Vec<f32>>);

/// Estimate, correct, estimate what is left: the loop shared by every
/// method. `analyse(None)` analyses the recording as it is,
/// `analyse(Some(samples))` a version resampled onto the player's clock;
/// each returns its result and the drift left in it. `resample(ratio)`
/// resamples the recording; `start` is the first ratio tried (1: the
/// recording as it is).
fn correction_loop<T>(
    rate: u32,
    method: ClockMethod,
    cfg: &AnalysisConfig,
    start: f64,
    resample: impl Fn(f64) -> Vec<f32>,
    mut analyse: impl FnMut(Option<&[f32]>) -> Result<(T, Option<Estimate>), AnalysisError>,
) -> Result<Corrected<T>, AnalysisError> {
    let refuse = |ppm: Option<f64>| AnalysisError::ClockDrift {
        ppm,
        rough: ppm.is_some_and(|p| p.abs() > WINDOW_PPM),
        method: DriftFoundBy::Method(method),
        max_ppm: MAX_PPM,
        cause: likely_cause(ppm, rate),
        advice: cfg.sync_advice,
    };
    let mut ratio = start;
    let mut samples: Option<Vec<f32>> = (start != 1.0).then(|| resample(start));
    let (mut out, mut est) = analyse(samples.as_deref())?;
    let mut corrections = usize::from(start != 1.0);
    loop {
        let Some(e) = est else {
            return Ok((out, None, samples));
        };
        let total = (ratio * (1.0 + e.ppm * 1e-6) - 1.0) * 1e6;
        if !total.is_finite() {
            return Err(refuse(None));
        }
        if total.abs() > MAX_PPM {
            return Err(refuse(Some(total)));
        }
        if !e.significant() {
            let info = ClockInfo {
                clock_ppm: total,
                method,
                corrected: corrections > 0,
                uncertainty_ppm: Some(e.sigma_ppm),
            };
            return Ok((out, Some(info), samples));
        }
        if corrections == MAX_CORRECTIONS {
            return Err(refuse(None));
        }
        ratio *= 1.0 + e.ppm * 1e-6;
        let s = resample(ratio);
        (out, est) = analyse(Some(&s))?;
        samples = Some(s);
        corrections += 1;
    }
}

/// `recording` resampled onto the player's clock ([`sync::correct`]), and
/// padded with silence to its own length when that made it shorter: the
/// deconvolution then keeps its FFT length and the cached inverse.
fn resampled(recording: &[f32], ratio: f64) -> Vec<f32> {
    let mut s = sync::correct(recording, ratio);
    if s.len() < recording.len() {
        s.resize(recording.len(), 0.0);
    }
    s
}

/// The mean of `x`.
fn mean(x: &[f32]) -> f64 {
    x.iter().map(|&v| v as f64).sum::<f64>() / x.len().max(1) as f64
}

impl Analyzer {
    /// The impulse analysis of `recording` (whose mean is `mean`) with the
    /// clock checked as `cfg.clock` says.
    pub(super) fn impulse_with_clock(
        &self,
        recording: &[f32],
        mean: f64,
        stimulus: &Stimulus,
        cfg: &AnalysisConfig,
        ahead: &super::Ahead,
    ) -> Result<(super::response::ImpulseResults, Option<ClockInfo>), AnalysisError> {
        let known = match &cfg.clock {
            ClockCheck::Estimate => None,
            ClockCheck::Known(info) => Some(Some(info.clone())),
            ClockCheck::Off => Some(None),
        };
        if let Some(clock) = known {
            let (r, _) = self.impulse_pass(recording, mean, stimulus, cfg, None, ahead)?;
            return Ok((r, clock));
        }
        let fs = stimulus.rate as f64;
        let law = {
            let inverse = self.inverse(stimulus, recording.len());
            match (&stimulus.kind, inverse.method) {
                (StimulusKind::Sweep(p), InverseMethod::AnalyticSweep) => Some(Law::sweep(p, fs)),
                (StimulusKind::Noise(_) | StimulusKind::Multitone(_), _) => None,
                _ => Law::measured(&inverse, fs, stimulus.samples.len()),
            }
        };
        let first =
            self.estimate_and_correct((recording, mean), stimulus, cfg, law.as_ref(), 1.0, ahead);
        let Err(e @ (AnalysisError::NoImpulse { .. } | AnalysisError::NoResponse { .. })) = first
        else {
            return first;
        };
        // No response: a drift too large to leave an impulse, or a signal
        // played at another sample rate? Try those; the error stands when
        // none shows a response.
        let off = AnalysisConfig {
            clock: ClockCheck::Off,
            ..cfg.clone()
        };
        let rate = stimulus.rate;
        let rates = [44_100u32, 48_000, 88_200, 96_000]
            .into_iter()
            .filter(|p| *p != rate)
            .map(|p| (rate as f64 / p as f64, Some(p)));
        let drifts = [-0.02, 0.02, -0.04, 0.04].map(|d| (1.0 + d, None));
        for (ratio, played) in rates.chain(drifts) {
            if !(0.45..=2.2).contains(&ratio) {
                continue;
            }
            // the same length as the recording (cut or padded), so that
            // each trial reuses the inverse: only whether a response shows
            let mut s = sync::correct(recording, ratio);
            if s.len() < stimulus.samples.len() {
                continue;
            }
            s.resize(recording.len(), 0.0);
            if self
                .impulse_pass(&s, self::mean(&s), stimulus, &off, None, &None.into())
                .is_err()
            {
                continue;
            }
            return match played {
                Some(played) => Err(AnalysisError::ClockDrift {
                    ppm: Some((ratio - 1.0) * 1e6),
                    rough: false,
                    method: DriftFoundBy::RateTrial(played),
                    max_ppm: MAX_PPM,
                    cause: format!("the recording holds the signal played at {played} Hz and recorded at {rate} Hz: play it at {rate} Hz (or resample the signal to the player's rate)"),
                    advice: cfg.sync_advice,
                }),
                None => {
                    self.estimate_and_correct((recording, mean), stimulus, cfg, law.as_ref(), ratio, ahead)
                }
            };
        }
        Err(e)
    }

    /// [`Self::impulse_with_clock`] once the kind of stimulus is known
    /// (`law`: a chirp's; `None`: noise), from the ratio `start` on.
    fn estimate_and_correct(
        &self,
        (recording, mean): (&[f32], f64),
        stimulus: &Stimulus,
        cfg: &AnalysisConfig,
        law: Option<&Law>,
        start: f64,
        ahead: &super::Ahead,
    ) -> Result<(super::response::ImpulseResults, Option<ClockInfo>), AnalysisError> {
        let fs = stimulus.rate as f64;
        let rate = stimulus.rate;
        let resample = |ratio: f64| resampled(recording, ratio);
        if let Some(law) = law {
            let (r, clock, _) = correction_loop(
                rate,
                ClockMethod::SweepGroupDelay,
                cfg,
                start,
                resample,
                |s| match s {
                    None => self.impulse_pass(recording, mean, stimulus, cfg, Some(law), ahead),
                    Some(s) => {
                        self.impulse_pass(s, self::mean(s), stimulus, cfg, Some(law), &None.into())
                    }
                },
            )?;
            return Ok((r, clock));
        }
        let reference = stimulus.samples_f64();
        let estimate = |s: &[f32], m: f64| {
            let y: Vec<f64> = s.iter().map(|&v| v as f64 - m).collect();
            noise_estimate(&y, &reference, fs, &self.fft)
        };
        let ((), clock, corrected) = correction_loop(
            rate,
            ClockMethod::NoiseSegmentLags,
            cfg,
            start,
            resample,
            |s| {
                let e = match s {
                    None => estimate(recording, mean),
                    Some(s) => estimate(s, self::mean(s)),
                };
                Ok(((), e))
            },
        )?;
        let (r, _) = match &corrected {
            Some(s) => self.impulse_pass(s, self::mean(s), stimulus, cfg, None, &None.into())?,
            None => self.impulse_pass(recording, mean, stimulus, cfg, None, ahead)?,
        };
        Ok((r, clock))
    }

    /// The quick check's tones of `recording` (`x`: the same, mean removed)
    /// with the clock checked as `cfg.clock` says.
    pub(super) fn tones_with_clock(
        &self,
        recording: &[f32],
        x: &[f64],
        stimulus: &Stimulus,
        p: &MultitoneParams,
        cfg: &AnalysisConfig,
    ) -> Result<(ToneResults, Option<ClockInfo>), AnalysisError> {
        let clock = match &cfg.clock {
            ClockCheck::Estimate => {
                let bins = p.tone_bins();
                let resample = |ratio: f64| resampled(recording, ratio);
                let (t, clock, _) = correction_loop(
                    stimulus.rate,
                    ClockMethod::MultitonePhase,
                    cfg,
                    1.0,
                    resample,
                    |s| {
                        let t = match s {
                            None => quick::analyse_tones(x, stimulus, p, &self.fft)?,
                            Some(s) => {
                                let m = self::mean(s);
                                let y: Vec<f64> = s.iter().map(|&v| v as f64 - m).collect();
                                quick::analyse_tones(&y, stimulus, p, &self.fft)?
                            }
                        };
                        let e = multitone_estimate(&t.frame_tones, &bins, &t.snr_db);
                        Ok((t, e))
                    },
                )?;
                return Ok((t, clock));
            }
            ClockCheck::Known(info) => Some(info.clone()),
            ClockCheck::Off => None,
        };
        Ok((quick::analyse_tones(x, stimulus, p, &self.fft)?, clock))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_fitted_exactly() {
        let pts: Vec<(f64, f64, f64)> = (0..6)
            .map(|i| (i as f64, 2.0 + 0.5 * i as f64, 1.0 + i as f64))
            .collect();
        let (b, se) = fit_line(&pts).unwrap();
        assert!((b - 0.5).abs() < 1e-12 && se < 1e-9, "{b} {se}");
    }

    #[test]
    fn fit_bands_run_from_200_hz_to_10_khz() {
        let b = fit_bands(10.0, 20_000.0);
        assert_eq!(b.len(), 15);
        assert!((b[0].0 * b[0].1).sqrt() > 390.0);
        assert!((b[14].0 * b[14].1).sqrt() < 10_500.0);
    }
}
