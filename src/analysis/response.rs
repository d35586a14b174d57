//! From an impulse response to the frequency response, harmonic distortion
//! and the noise floor.
//!
//! Windows (documented defaults): the linear response is taken from 5 ms
//! before the impulse peak (half-Hann rise over the first 2 ms) to 500 ms
//! after it (half-Hann fall over the last 100 ms). A sweep's harmonic `n`
//! arrives `L ln n` before the linear response; its window is the same shape,
//! cut short so it stays clear of harmonic `n - 1`. The noise floor is read
//! from a window of the same shape placed after the linear response, where
//! the deconvolved output holds only noise.

use super::{AnalysisConfig, Bands, FrequencyResponse, Thd};
use crate::dsp::fft::{good_size, FftCache};
use crate::dsp::grid::{log_grid, Smoothing, SpectrumSampler};
use crate::dsp::{db, power_db, Complex64};
use crate::signal::ess::SweepGeometry;

/// Everything read from one impulse response.
#[derive(Debug, Clone)]
pub struct ImpulseResults {
    /// Index of the impulse peak (latency) in samples.
    pub latency_samples: usize,
    /// The same as a signed lag: negative when the recording started after
    /// the stimulus (the peak wrapped to the end of the buffer). Set by the
    /// analyzer, which knows the stimulus length.
    pub lag_samples: i64,
    /// The late start found by the analyzer, if any.
    pub late_start: Option<super::Warning>,
    /// Response on the display grid with the chosen smoothing.
    pub response: FrequencyResponse,
    /// Response on a 1/12-octave grid, 1/12-octave smoothed, for seal metrics,
    /// with per-point SNR in dB.
    pub seal_points: Vec<(f64, f64, f64)>,
    /// THD per frequency (empty unless an exponential sweep: tipfit's or a
    /// recognised one, [`crate::signal::ess`]).
    pub thd: Thd,
    /// SNR per octave band.
    pub snr_bands: Bands,
    /// Broadband SNR, dB.
    pub snr_db: f64,
    /// SNR in the bass band, dB.
    pub bass_snr_db: f64,
    /// Arrival of the high band (4-8 kHz) minus that of the low band
    /// (500-1000 Hz), s: a few tenths of a ms for an IEM; a clock
    /// difference between player and recorder smears a sweep's impulse so
    /// the bands arrive apart (`None`: a band is too noisy to tell).
    pub arrival_spread_s: Option<f64>,
    /// The impulse peak above what the largest of as many samples of pure
    /// noise would reach (`sqrt(2 ln N)` times the RMS), dB: a response
    /// stands tens of dB clear; noise alone (the wrong channel) about 0.
    pub peak_prominence_db: f64,
}

/// Band-limited arrival spread of the impulse at `tau` (see
/// [`ImpulseResults::arrival_spread_s`]): each band's mean group delay,
/// from the phase step between neighbouring bins of a +-100 ms window,
/// weighted by their energy. A band counts only when its phase steps
/// agree (coherence at least 0.5: a delayed impulse gives 1, noise about 0).
fn arrival_spread(h: &[f32], tau: usize, fs: f64, f_hi: f64, fft: &FftCache) -> Option<f64> {
    let half = (0.1 * fs) as usize;
    // no zero padding: padding would make neighbouring bins of noise agree
    let m = 2 * half;
    let spec = fft.spectrum_of(windowed(h, tau, half, half, m));
    let bin_hz = fs / m as f64;
    let lo = (500.0, 1000.0);
    let hi = (f_hi.min(8000.0) / 2.0, f_hi.min(8000.0));
    if hi.0 < 4.0 * lo.1 {
        return None;
    }
    let delay = |(a, b): (f64, f64)| -> Option<f64> {
        let k0 = (a / bin_hz).ceil() as usize;
        let k1 = ((b / bin_hz).floor() as usize).min(spec.len() - 1);
        let acc: Complex64 = (k0..k1).map(|k| spec[k + 1] * spec[k].conj()).sum();
        let energy: f64 = (k0..k1).map(|k| spec[k].norm() * spec[k + 1].norm()).sum();
        if acc.norm() < 0.5 * energy || acc.norm().is_nan() || energy == 0.0 {
            return None;
        }
        // a delay of d samples turns each bin by -2 pi d / m
        Some(-acc.arg() * m as f64 / (2.0 * std::f64::consts::PI) / fs)
    };
    Some(delay(hi)? - delay(lo)?)
}

/// A window around index `centre` of the circular buffer `h`, rotated so the
/// centre lands at index 0 of an `m`-point buffer.
fn windowed(h: &[f32], centre: usize, pre: usize, post: usize, m: usize) -> Vec<f64> {
    let n = h.len();
    let mut out = vec![0.0; m];
    let rise = (pre * 2 / 5).max(1);
    let fall = (post / 5).max(1);
    // source indices run on from the window's start, wrapping at n (no
    // division per sample)
    let mut src = (centre + n - pre) % n;
    for i in 0..pre {
        let w = if i < rise {
            0.5 - 0.5 * (std::f64::consts::PI * i as f64 / rise as f64).cos()
        } else {
            1.0
        };
        out[m - pre + i] = h[src] as f64 * w;
        src += 1;
        if src == n {
            src = 0;
        }
    }
    let mut src = centre % n;
    for (i, o) in out.iter_mut().enumerate().take(post.min(m - pre)) {
        let w = if i >= post - fall {
            0.5 + 0.5 * (std::f64::consts::PI * (i - (post - fall)) as f64 / fall as f64).cos()
        } else {
            1.0
        };
        *o = h[src] as f64 * w;
        src += 1;
        if src == n {
            src = 0;
        }
    }
    out
}

/// Octave band centres 31.5 Hz ... 16 kHz (exact base-2 centres around 1 kHz).
pub fn octave_centres(f_max_hz: f64) -> Vec<f64> {
    (-5..=4)
        .map(|k| 1000.0 * 2f64.powi(k))
        .filter(|c| c * std::f64::consts::SQRT_2 <= f_max_hz * 1.001)
        .collect()
}

fn band_power(spec: &[Complex64], bin_hz: f64, lo: f64, hi: f64) -> f64 {
    let a = ((lo / bin_hz).ceil() as usize).min(spec.len());
    let b = ((hi / bin_hz).floor() as usize + 1).min(spec.len());
    spec[a..b.max(a)].iter().map(|c| c.norm_sqr()).sum()
}

/// Analyse the impulse response `h` (circular, from a linear deconvolution
/// of a recording) whose peak is at `tau`
/// ([`crate::dsp::lanes::last_peak`] of it).
pub fn analyse_impulse(
    h: &[f32],
    tau: usize,
    rate: u32,
    band_hz: (f64, f64),
    sweep: Option<&SweepGeometry>,
    cfg: &AnalysisConfig,
    fft: &FftCache,
) -> ImpulseResults {
    let fs = rate as f64;
    let n = h.len();
    let pre = (cfg.pre_window_s * fs).round() as usize;
    let post = (cfg.ir_window_s * fs).round() as usize;
    let m = good_size(((pre + post) as f64).max(fs) as usize);
    let bin_hz = fs / m as f64;
    // Noise floor: same window shape after the linear response. The two
    // windows' spectra are made side by side (rayon: on another core
    // when one is free).
    let noise_centre = tau + post + pre + (0.05 * fs) as usize;
    let harmonic_zone = sweep.map_or(0, |p| (p.harmonic_advance_s(6) * fs) as usize);
    let room = noise_centre + post < (n + tau).saturating_sub(harmonic_zone + pre);
    let (lin, noise) = rayon::join(
        || fft.spectrum_of(windowed(h, tau, pre, post, m)),
        || room.then(|| fft.spectrum_of(windowed(h, noise_centre, pre, post, m))),
    );
    let lin_s = SpectrumSampler::new(&lin, bin_hz);

    let f_lo = cfg.f_min_hz.max(band_hz.0);
    let f_hi = cfg.f_max_hz.min(0.45 * fs).min(band_hz.1);
    let grid = log_grid(f_lo, f_hi, cfg.points_per_octave);
    let mut response = FrequencyResponse::default();
    let mut phases = Vec::with_capacity(grid.len());
    for &f in &grid {
        let (mag, c) = lin_s.sample(f, cfg.smoothing);
        response.freq_hz.push(f);
        response.db.push(db(mag));
        phases.push(c.arg().to_degrees());
    }
    response.phase_deg = Some(phases);

    let noise_s = noise
        .as_ref()
        .map(|nz| SpectrumSampler::magnitudes(nz, bin_hz));
    let seal_points = log_grid(f_lo, f_hi.min(2000.0), 12)
        .into_iter()
        .map(|f| {
            let (mag, _) = lin_s.sample(f, Smoothing::Octave(12));
            let snr = noise_s.as_ref().map_or(f64::INFINITY, |ns| {
                db(mag) - db(ns.magnitude(f, Smoothing::Octave(12)))
            });
            (f, db(mag), snr)
        })
        .collect();

    let snr_of = |lo: f64, hi: f64| -> f64 {
        noise.as_ref().map_or(f64::NAN, |nz| {
            power_db(band_power(&lin, bin_hz, lo, hi)) - power_db(band_power(nz, bin_hz, lo, hi))
        })
    };
    let centres = octave_centres(f_hi);
    let half = std::f64::consts::SQRT_2;
    let snr_bands = Bands {
        snr_db: centres.iter().map(|c| snr_of(c / half, c * half)).collect(),
        centre_hz: centres,
    };
    // the harmonics, and the arrival check with the energy, side by side
    let (thd, (arrival_spread_s, energy)) = rayon::join(
        || {
            sweep.map_or_else(Thd::default, |p| {
                let noise = noise_s.as_ref();
                harmonic_distortion(h, tau, p, &lin_s, noise, (pre, post, m), (f_lo, f_hi), fft)
            })
        },
        || {
            (
                arrival_spread(h, tau, fs, f_hi, fft),
                crate::dsp::lanes::sum_by(h, |v| (v as f64).powi(2)),
            )
        },
    );
    let rms = (energy / n.max(1) as f64).sqrt();
    let noise_max = rms * (2.0 * (n.max(2) as f64).ln()).sqrt();
    let peak_prominence_db = db(h.get(tau).map_or(0.0, |v| v.abs() as f64) / noise_max.max(1e-300));
    ImpulseResults {
        peak_prominence_db,
        arrival_spread_s,
        latency_samples: tau,
        lag_samples: tau as i64,
        late_start: None,
        response,
        seal_points,
        thd,
        snr_bands,
        snr_db: snr_of(20f64.max(f_lo), f_hi),
        bass_snr_db: snr_of(cfg.seal.bass_band_hz.0, cfg.seal.bass_band_hz.1),
    }
}

/// A THD point whose harmonics read less than this far above what noise
/// alone reads there is floor-limited ([`Thd::floor_limited`]), dB. Noise
/// adds in power, so at the margin it adds at most 1.25 dB (sqrt(4/3)).
pub const THD_FLOOR_MARGIN_DB: f64 = 6.0;

/// The margin when the recording holds mains hum, dB: a hum line adds to a
/// harmonic in amplitude (by up to 6 dB at a 6 dB margin, 2.5 dB at 12),
/// and the leakage of neighbouring lines into a window depends on where
/// the window sits (the lines interfere), so the noise window reads it only
/// to within about 6 dB.
pub const THD_HUM_FLOOR_MARGIN_DB: f64 = 12.0;

/// Mark the points of `thd` whose value is not [`THD_FLOOR_MARGIN_DB`]
/// (with mains hum: [`THD_HUM_FLOOR_MARGIN_DB`]) above its floor.
pub fn mark_floor_limited(thd: &mut Thd, hum: bool) {
    let margin = crate::dsp::from_db(if hum {
        THD_HUM_FLOOR_MARGIN_DB
    } else {
        THD_FLOOR_MARGIN_DB
    });
    thd.floor_limited = thd
        .value
        .iter()
        .zip(&thd.floor_percent)
        // below the margin, or not a number: at the floor
        .map(|(v, fl)| {
            matches!(
                v.partial_cmp(&(margin * fl)),
                Some(std::cmp::Ordering::Less) | None
            )
        })
        .collect();
}

/// Energy (sum of squares) of the window [`windowed`] makes of `pre` and
/// `post` samples: its half-Hann rise and fall hold 3/8 of their length.
fn window_energy(pre: usize, post: usize) -> f64 {
    let (rise, fall) = ((pre * 2 / 5).max(1), (post / 5).max(1));
    (pre + post) as f64 - 0.625 * (rise + fall) as f64
}

/// THD from the harmonic impulse responses of an exponential sweep:
/// `THD(f) = sqrt(sum_n |H_n(n f)|^2) / |H_1(f)|`, n = 2..5, on a 1/12-octave
/// grid, each term 1/12-octave smoothed, for `f` up to where the 2nd
/// harmonic leaves the band, within the sweep's steady-level band.
///
/// Harmonics need not be in phase (a sweep that is not synchronized): only
/// their magnitudes count.
///
/// The floor (`Thd::floor_percent`, flags by [`mark_floor_limited`]): what
/// noise and hum alone would read in each harmonic window, from the noise
/// window after the linear response (`noise`, shaped like the linear
/// window), which holds the same stationary noise and hum; its 1/12-octave
/// power scaled by the harmonic window's energy over its own, which is
/// exact for stationary noise and for a steady line (the smoothing band
/// holds the line's whole main lobe). A transient in the noise window
/// (which is not in the harmonic windows) is scaled down with it.
#[allow(clippy::too_many_arguments)]
fn harmonic_distortion(
    h: &[f32],
    tau: usize,
    p: &SweepGeometry,
    lin: &SpectrumSampler,
    noise: Option<&SpectrumSampler>,
    (pre, post, m): (usize, usize, usize),
    (f_lo, f_hi): (f64, f64),
    fft: &FftCache,
) -> Thd {
    let fs = p.rate as f64;
    let n = h.len();
    // Harmonic windows are shorter than the linear one: a shorter FFT reads
    // the same (continuous) spectrum of the windowed samples.
    let m = good_size((pre + post).min(m));
    let bin_hz = fs / m as f64;
    let noise_energy = window_energy(pre, post);
    let mut harmonics: Vec<(usize, Vec<Complex64>, f64)> = Vec::new();
    for order in 2..=5usize {
        let advance = (p.harmonic_advance_s(order) * fs).round() as usize;
        let gap = p.l_s * (order as f64 / (order - 1) as f64).ln() * fs;
        let post_n = post.min((gap as usize).saturating_sub(2 * pre));
        if post_n < (0.02 * fs) as usize || advance >= n {
            break;
        }
        let centre = (tau + n - advance) % n;
        let spec = fft.spectrum_of(windowed(h, centre, pre, post_n, m));
        harmonics.push((order, spec, window_energy(pre, post_n) / noise_energy));
    }
    let samplers: Vec<(f64, SpectrumSampler, f64)> = harmonics
        .iter()
        .map(|(order, spec, scale)| {
            (
                *order as f64,
                SpectrumSampler::magnitudes(spec, bin_hz),
                *scale,
            )
        })
        .collect();
    let top = f_hi.min(p.end_hz);
    let mut thd = Thd::default();
    let (lo, hi) = (
        f_lo.max(20.0).max(p.steady_hz.0),
        (top / 2.0).min(p.steady_hz.1),
    );
    for f in log_grid(lo, hi, 12) {
        let base = lin.sample(f, Smoothing::Octave(12)).0;
        let (mut sum, mut floor) = (0.0, 0.0);
        for (order, s, scale) in samplers.iter().filter(|(order, ..)| order * f <= top) {
            sum += s.magnitude(order * f, Smoothing::Octave(12)).powi(2);
            if let Some(nz) = noise {
                floor += nz.magnitude(order * f, Smoothing::Octave(12)).powi(2) * scale;
            }
        }
        let value = 100.0 * sum.sqrt() / base.max(1e-30);
        thd.freq_hz.push(f);
        thd.value.push(value);
        // no noise window (the analysis refuses such a recording): the
        // floor is unknown, so every point counts as at the floor
        thd.floor_percent.push(match noise {
            Some(_) => 100.0 * floor.sqrt() / base.max(1e-30),
            None => value,
        });
    }
    mark_floor_limited(&mut thd, false);
    thd
}
