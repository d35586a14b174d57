//! Clock-drift measurement and correction for separate playback and
//! recording devices.
//!
//! When the DAC that plays and the ADC that records run on different
//! clocks, the recording is stretched by `ratio = 1 + ppm 1e-6` (positive
//! ppm: the recorder runs fast and records more samples than were played).
//! A 2 s sweep recorded 1000 ppm fast is 96 samples longer than played.
//!
//! The cure is two sync markers around the stimulus:
//!
//! ```text
//! | lead | marker 1 | gap | stimulus (unchanged) | gap | marker 2 | trail |
//!        ^first_at        ^stimulus_at                ^second_at
//! ```
//!
//! 1. [`with_markers`] builds the marked stimulus and its [`MarkerLayout`]
//!    (player sample positions). Play the marked stimulus's samples.
//! 2. [`measure_ratio`] finds both markers in the recording by FFT
//!    cross-correlation, to a small fraction of a sample (band-limited
//!    interpolation of the correlation and a golden-section search for its
//!    peak), and returns the clock ratio
//!    `(t2_rec - t1_rec) / (second_at - first_at)`, its ppm and the latency.
//! 3. [`correct`] resamples the recording onto the player's clock with the
//!    band-limited (Kaiser-windowed sinc, 32 taps each side) interpolator of
//!    [`crate::dsp::resample`]: sample `n` of the result is the recording at
//!    `n * ratio`.
//! 4. [`cut_stimulus`] cuts the corrected recording back to the original
//!    stimulus's timing: `corrected[stimulus_at .. stimulus_at + len]`, which
//!    holds the stimulus's response with the latency kept (as if the
//!    unmarked stimulus had been played through the same system). Analyse
//!    that against the **original** (unmarked) stimulus; the markers never
//!    enter the analysis as long as the latency is below
//!    [`MarkerSpec::gap_s`].
//!
//! [`measure_and_correct`] does 2 to 4 in one call, resampling only the
//! stimulus's part.
//!
//! Time origin: the correction maps recorder time `ratio * n` to player
//! time `n`, counted from the first sample of each. Playback and recording
//! need not start together: any offset is part of the latency, which the
//! cut keeps. It must be positive (the recording starts before the first
//! marker arrives) and, for the cut to hold no marker, below the gap.

use crate::dsp::fft::{good_size, FftCache};
use crate::dsp::{db, from_db, resample};
use crate::signal::{Stimulus, StimulusKind};
use std::f64::consts::PI;

/// Largest clock error accepted as real, ppm. Sound-card clocks are
/// within +-100 ppm, cheap ones within a few hundred; more means the
/// markers were confused or the devices run at different nominal rates.
pub const MAX_PPM: f64 = 5000.0;

/// Correlation peak needed to accept a marker, dB above the correlation
/// noise (its robust RMS). Noise alone peaks about 13 dB above it over a
/// few seconds of lags.
pub const MIN_PEAK_TO_NOISE_DB: f64 = 20.0;

/// How the sync markers are made and placed (documented defaults).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct MarkerSpec {
    /// Marker length, s (default 0.02).
    pub marker_s: f64,
    /// Marker start frequency, Hz (default 2000).
    pub start_hz: f64,
    /// Marker end frequency, Hz (default 10000).
    pub end_hz: f64,
    /// Marker peak level, dBFS (default -12).
    pub level_dbfs: f64,
    /// Silence before the first marker, s (default 0.05).
    pub lead_s: f64,
    /// Silence between each marker and the stimulus, s (default 0.25): the
    /// latency must stay below it, or a marker's response runs into the
    /// stimulus's part of the recording.
    pub gap_s: f64,
    /// Silence after the second marker, s (default 0.25): room for the
    /// latency, so that the recording holds the whole second marker.
    pub trail_s: f64,
}

impl Default for MarkerSpec {
    fn default() -> Self {
        Self {
            marker_s: 0.02,
            start_hz: 2000.0,
            end_hz: 10_000.0,
            level_dbfs: -12.0,
            lead_s: 0.05,
            gap_s: 0.25,
            trail_s: 0.25,
        }
    }
}

/// Where the markers and the stimulus sit in the marked stimulus, in
/// player samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarkerLayout {
    /// First sample of the first marker.
    pub first_at: usize,
    /// First sample of the second marker.
    pub second_at: usize,
    /// Marker length, samples.
    pub len: usize,
    /// First sample of the original stimulus.
    pub stimulus_at: usize,
    /// Length of the original stimulus, samples.
    pub stimulus_len: usize,
}

/// A stimulus with sync markers, ready to play.
#[derive(Debug, Clone, PartialEq)]
pub struct Marked {
    /// The samples to play (kind [`StimulusKind::External`]: analyse the
    /// original stimulus, not this one).
    pub stimulus: Stimulus,
    /// Where the markers and the original stimulus are.
    pub layout: MarkerLayout,
    /// The marker's samples (both markers are this signal).
    pub marker: Vec<f32>,
}

/// What [`measure_ratio`] found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClockEstimate {
    /// Recorder samples per player sample: `(t2_rec - t1_rec) / (t2_play - t1_play)`.
    pub ratio: f64,
    /// Recorder clock error, ppm: `(ratio - 1) 1e6` (positive: the
    /// recorder runs fast, as in [`crate::rig::sim::SimConfig::drift_ppm`]).
    pub ppm: f64,
    /// `t1_rec - t1_play`, recorder samples: when the first marker arrived
    /// relative to when it was played (includes the system's group delay
    /// in the marker's band).
    pub latency_samples: f64,
    /// Where the first marker starts in the recording, fractional samples.
    pub first_found_at: f64,
    /// Where the second marker starts in the recording, fractional samples.
    pub second_found_at: f64,
    /// The weaker marker's correlation peak, dB above the correlation noise.
    pub peak_to_noise_db: f64,
}

/// Why the clocks could not be compared.
#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum SyncError {
    /// A marker's correlation peak is too weak.
    #[error("no sync marker found: is the right input channel selected / is the level high enough? (the {which} marker's correlation peak is {peak_to_noise_db:.1} dB above the correlation noise, {needed_db:.0} dB needed; the recording peaks at {recording_peak_dbfs:.1} dBFS)")]
    MarkerNotFound {
        /// `first` or `second`.
        which: &'static str,
        /// Its correlation peak over the correlation noise, dB.
        peak_to_noise_db: f64,
        /// What is needed, dB.
        needed_db: f64,
        /// Peak level of the whole recording, dBFS.
        recording_peak_dbfs: f64,
    },
    /// The markers' distance says the clocks differ by more than [`MAX_PPM`].
    #[error("implausible clock ratio: the recorder's clock differs from the player's by {ppm:+.0} ppm, as if it recorded at {implied_rate_hz:.0} Hz instead of {rate} Hz (at most +-{max:.0} ppm is real): check that playback and recording run at the same sample rate, and that the recording holds the whole marked stimulus")]
    ImplausibleRatio {
        /// The ppm the markers' distance implies.
        ppm: f64,
        /// The limit, ppm.
        max: f64,
        /// The nominal rate, Hz.
        rate: u32,
        /// The rate the markers' distance implies, Hz.
        implied_rate_hz: f64,
    },
    /// The layout does not fit the marker.
    #[error("the marker layout is invalid (markers at {first_at} and {second_at}, {len} samples long, marker of {marker_len} samples): build it with with_markers")]
    BadLayout {
        /// First marker position.
        first_at: usize,
        /// Second marker position.
        second_at: usize,
        /// Layout's marker length.
        len: usize,
        /// The marker given.
        marker_len: usize,
    },
}

/// The result of [`measure_and_correct`].
#[derive(Debug, Clone, PartialEq)]
pub struct Corrected {
    /// The clock estimate used.
    pub estimate: ClockEstimate,
    /// The recording on the player's clock, cut to the original stimulus's
    /// timing ([`cut_stimulus`]): analyse it against the original stimulus.
    pub samples: Vec<f32>,
}

/// The sync marker at `rate`: a linear chirp from `spec.start_hz` to
/// `spec.end_hz` over `spec.marker_s`, with 25 % raised-cosine tapers at
/// both ends, peaking at `spec.level_dbfs`.
pub fn marker(rate: u32, spec: &MarkerSpec) -> Vec<f32> {
    let fs = rate as f64;
    let n = (spec.marker_s * fs).round().max(16.0) as usize;
    let t_len = n as f64 / fs;
    let f_hi = spec.end_hz.min(0.45 * fs);
    let f_lo = spec.start_hz.min(f_hi);
    let sweep_rate = (f_hi - f_lo) / t_len;
    let taper = (n / 4).max(1);
    let amp = from_db(spec.level_dbfs);
    (0..n)
        .map(|i| {
            let t = i as f64 / fs;
            let mut v = (2.0 * PI * (f_lo * t + 0.5 * sweep_rate * t * t)).sin();
            let edge = i.min(n - 1 - i);
            if edge < taper {
                v *= 0.5 - 0.5 * (PI * edge as f64 / taper as f64).cos();
            }
            (amp * v) as f32
        })
        .collect()
}

/// `stimulus` with the default sync markers ([`MarkerSpec::default`])
/// before and after it; see [`with_markers_spec`].
pub fn with_markers(stimulus: &Stimulus) -> Marked {
    with_markers_spec(stimulus, &MarkerSpec::default())
}

/// `stimulus` with a sync marker before and after it, each separated from
/// it by `spec.gap_s` of silence. The stimulus's samples are copied
/// unchanged to [`MarkerLayout::stimulus_at`].
pub fn with_markers_spec(stimulus: &Stimulus, spec: &MarkerSpec) -> Marked {
    let fs = stimulus.rate as f64;
    let secs = |s: f64| (s.max(0.0) * fs).round() as usize;
    let marker = marker(stimulus.rate, spec);
    let len = marker.len();
    let first_at = secs(spec.lead_s);
    let stimulus_at = first_at + len + secs(spec.gap_s);
    let stimulus_len = stimulus.samples.len();
    let second_at = stimulus_at + stimulus_len + secs(spec.gap_s);
    let total = second_at + len + secs(spec.trail_s);
    let mut samples = vec![0f32; total];
    samples[first_at..first_at + len].copy_from_slice(&marker);
    samples[stimulus_at..stimulus_at + stimulus_len].copy_from_slice(&stimulus.samples);
    samples[second_at..second_at + len].copy_from_slice(&marker);
    Marked {
        stimulus: Stimulus {
            samples,
            rate: stimulus.rate,
            kind: StimulusKind::External,
        },
        layout: MarkerLayout {
            first_at,
            second_at,
            len,
            stimulus_at,
            stimulus_len,
        },
        marker,
    }
}

/// The layout [`with_markers_spec`] gives at `rate` for a marked stimulus
/// `total` samples long (`None`: too short to hold the markers and a
/// stimulus).
pub fn layout_of(total: usize, rate: u32, spec: &MarkerSpec) -> Option<MarkerLayout> {
    let fs = rate as f64;
    let secs = |s: f64| (s.max(0.0) * fs).round() as usize;
    let len = marker(rate, spec).len();
    let first_at = secs(spec.lead_s);
    let stimulus_at = first_at + len + secs(spec.gap_s);
    let stimulus_len =
        total.checked_sub(stimulus_at + secs(spec.gap_s) + len + secs(spec.trail_s))?;
    (stimulus_len > 0).then_some(MarkerLayout {
        first_at,
        second_at: stimulus_at + stimulus_len + secs(spec.gap_s),
        len,
        stimulus_at,
        stimulus_len,
    })
}

/// Cross-correlation `c[k] = sum_i x[k + i] m[i]` for lags `0..x.len()`.
fn correlate(x: &[f64], m: &[f64], fft: &FftCache) -> Vec<f64> {
    let n = good_size(x.len() + m.len());
    let xs = fft.spectrum(x, n);
    let ms = fft.spectrum(m, n);
    let mut prod: Vec<_> = xs.iter().zip(&ms).map(|(a, b)| a * b.conj()).collect();
    let mut c = fft.real_signal(&mut prod, n);
    c.truncate(x.len());
    c
}

/// Robust RMS of the correlation noise: median |c| / 0.6745 (the median
/// absolute value of a Gaussian is 0.6745 sigma); markers occupy too few
/// lags to move the median.
fn noise_rms(c: &[f64]) -> f64 {
    let mut a: Vec<f64> = c.iter().map(|v| v.abs()).collect();
    let mid = a.len() / 2;
    let (_, m, _) = a.select_nth_unstable_by(mid, f64::total_cmp);
    *m / 0.6745
}

/// Index of the largest |c| in `lo..hi`.
fn argmax_abs(c: &[f64], lo: usize, hi: usize) -> Option<usize> {
    (lo..hi.min(c.len())).max_by(|&a, &b| c[a].abs().total_cmp(&c[b].abs()))
}

/// Sub-sample position of the correlation peak near integer lag `k`: the
/// correlation is band-limited (to the marker's band), so the band-limited
/// interpolator gives its value between samples; a golden-section search
/// finds the maximum of `sign * c` within half a sample of `k`.
fn refine_peak(c: &[f64], k: usize) -> f64 {
    let sign = c[k].signum();
    let f = |p: f64| -sign * resample::value_at(c, p);
    let (mut a, mut b) = (k as f64 - 0.5, k as f64 + 0.5);
    // The integer maximum lies within half a sample of the true one.
    let g = (5f64.sqrt() - 1.0) / 2.0;
    let mut x1 = b - g * (b - a);
    let mut x2 = a + g * (b - a);
    let (mut f1, mut f2) = (f(x1), f(x2));
    for _ in 0..50 {
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

/// Measure the recorder's clock against the player's from the two sync
/// markers in `recording` (one channel at `rate`, the same nominal rate as
/// the marked stimulus).
///
/// The first marker is the first correlation peak that reaches a quarter
/// of the strongest one (and [`MIN_PEAK_TO_NOISE_DB`]); the second is the
/// strongest peak at least half the markers' distance after it. The
/// positions are refined to a few thousandths of a sample.
pub fn measure_ratio(
    recording: &[f32],
    layout: &MarkerLayout,
    marker: &[f32],
    rate: u32,
) -> Result<ClockEstimate, SyncError> {
    measure_ratio_with(recording, layout, marker, rate, &FftCache::new())
}

/// [`measure_ratio`] with a shared FFT plan cache.
pub fn measure_ratio_with(
    recording: &[f32],
    layout: &MarkerLayout,
    marker: &[f32],
    rate: u32,
    fft: &FftCache,
) -> Result<ClockEstimate, SyncError> {
    if marker.is_empty() || marker.len() != layout.len || layout.second_at <= layout.first_at {
        return Err(SyncError::BadLayout {
            first_at: layout.first_at,
            second_at: layout.second_at,
            len: layout.len,
            marker_len: marker.len(),
        });
    }
    let x: Vec<f64> = recording.iter().map(|&v| v as f64).collect();
    let m: Vec<f64> = marker.iter().map(|&v| v as f64).collect();
    let recording_peak_dbfs = db(x.iter().fold(0.0f64, |a, v| a.max(v.abs())));
    let not_found = |which, peak: f64, noise: f64| SyncError::MarkerNotFound {
        which,
        peak_to_noise_db: if peak > 0.0 {
            db(peak / noise.max(peak * 1e-20))
        } else {
            f64::NEG_INFINITY
        },
        needed_db: MIN_PEAK_TO_NOISE_DB,
        recording_peak_dbfs,
    };
    if x.len() <= marker.len() {
        return Err(not_found("first", 0.0, 0.0));
    }
    let c = correlate(&x, &m, fft);
    let noise = noise_rms(&c);
    let floor = noise * from_db(MIN_PEAK_TO_NOISE_DB);
    let strongest = argmax_abs(&c, 0, c.len()).map_or(0.0, |k| c[k].abs());
    if strongest == 0.0 || strongest < floor {
        return Err(not_found("first", strongest, noise));
    }
    // First marker: the first lag reaching a quarter of the strongest peak,
    // then the largest peak within a marker's length of it.
    let threshold = floor.max(0.25 * strongest);
    let crossing = c
        .iter()
        .position(|v| v.abs() >= threshold)
        .expect("the strongest peak reaches the threshold");
    let k1 = argmax_abs(&c, crossing, crossing + marker.len()).expect("non-empty range");
    // Second marker: the strongest peak from half the distance on.
    let distance = (layout.second_at - layout.first_at) as f64;
    let from = k1 + (distance / 2.0) as usize;
    let k2 = argmax_abs(&c, from, c.len());
    let peak2 = k2.map_or(0.0, |k| c[k].abs());
    let k2 = match k2 {
        Some(k) if peak2 >= floor && peak2 >= 0.25 * c[k1].abs() => k,
        _ => return Err(not_found("second", peak2, noise)),
    };
    let t1 = refine_peak(&c, k1);
    let t2 = refine_peak(&c, k2);
    let ratio = (t2 - t1) / distance;
    let ppm = (ratio - 1.0) * 1e6;
    if !ppm.is_finite() || ppm.abs() > MAX_PPM {
        return Err(SyncError::ImplausibleRatio {
            ppm,
            max: MAX_PPM,
            rate,
            implied_rate_hz: rate as f64 * ratio,
        });
    }
    Ok(ClockEstimate {
        ratio,
        ppm,
        latency_samples: t1 - layout.first_at as f64,
        first_found_at: t1,
        second_found_at: t2,
        peak_to_noise_db: db(c[k1].abs().min(peak2) / noise.max(1e-300)),
    })
}

/// `len` samples of `recording` resampled onto the player's clock, from
/// player sample `start` on: sample `n` of the result is the recording at
/// (fractional) sample `(start + n) * ratio`, band-limited interpolated
/// (Kaiser-windowed sinc, 32 taps each side, flat within 0.01 dB up to
/// 0.42 of the rate; the kernel tabulated, [`resample::value_at_tabled`]).
/// Beyond the recording's end the result is silence.
pub fn correct_range(recording: &[f32], ratio: f64, start: usize, len: usize) -> Vec<f32> {
    let x: Vec<f64> = recording.iter().map(|&v| v as f64).collect();
    (start..start + len)
        .map(|n| resample::value_at_tabled(&x, n as f64 * ratio) as f32)
        .collect()
}

/// The whole `recording` resampled by `1 / ratio` onto the player's clock
/// (`ratio` from [`ClockEstimate::ratio`]): sample `n` of the result is the
/// recording at `n * ratio`; the result is `len / ratio` samples long.
pub fn correct(recording: &[f32], ratio: f64) -> Vec<f32> {
    let len = (recording.len() as f64 / ratio).floor() as usize;
    correct_range(recording, ratio, 0, len)
}

/// The original stimulus's part of a corrected recording:
/// `corrected[stimulus_at .. stimulus_at + stimulus_len]` (zero-padded if
/// the recording is short). It holds the response with the latency kept;
/// analyse it against the original stimulus.
pub fn cut_stimulus(corrected: &[f32], layout: &MarkerLayout) -> Vec<f32> {
    let mut out: Vec<f32> = corrected
        .iter()
        .skip(layout.stimulus_at)
        .take(layout.stimulus_len)
        .copied()
        .collect();
    out.resize(layout.stimulus_len, 0.0);
    out
}

/// Measure the clock ratio ([`measure_ratio`]) and return the recording's
/// stimulus part on the player's clock, cut to the original stimulus's
/// timing (the same as [`cut_stimulus`] of [`correct`], computed for the
/// cut only).
pub fn measure_and_correct(recording: &[f32], marked: &Marked) -> Result<Corrected, SyncError> {
    let layout = &marked.layout;
    let estimate = measure_ratio(recording, layout, &marked.marker, marked.stimulus.rate)?;
    let samples = correct_range(
        recording,
        estimate.ratio,
        layout.stimulus_at,
        layout.stimulus_len,
    );
    Ok(Corrected { estimate, samples })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::SweepParams;

    fn short_sweep() -> Stimulus {
        SweepParams {
            duration_s: 0.3,
            tail_s: 0.1,
            ..SweepParams::at_rate(48_000)
        }
        .generate()
        .unwrap()
    }

    #[test]
    fn layout_places_markers_and_stimulus_unchanged() {
        let stim = short_sweep();
        let m = with_markers(&stim);
        let l = m.layout;
        assert_eq!(l.len, 960);
        assert_eq!(l.first_at, 2400);
        assert_eq!(l.stimulus_at, 2400 + 960 + 12_000);
        assert_eq!(l.second_at, l.stimulus_at + stim.samples.len() + 12_000);
        let s = &m.stimulus.samples;
        assert_eq!(&s[l.first_at..l.first_at + l.len], &m.marker[..]);
        assert_eq!(&s[l.second_at..l.second_at + l.len], &m.marker[..]);
        assert_eq!(
            &s[l.stimulus_at..l.stimulus_at + l.stimulus_len],
            &stim.samples[..]
        );
        let peak = m.marker.iter().fold(0f32, |a, v| a.max(v.abs())) as f64;
        assert!((db(peak) + 12.0).abs() < 0.1);
    }

    #[test]
    fn layout_of_a_marked_length_is_the_layout_it_was_made_with() {
        let stim = short_sweep();
        let spec = MarkerSpec {
            gap_s: 0.5,
            trail_s: 0.4,
            ..MarkerSpec::default()
        };
        let m = with_markers_spec(&stim, &spec);
        assert_eq!(
            layout_of(m.stimulus.samples.len(), 48_000, &spec),
            Some(m.layout)
        );
        assert_eq!(layout_of(1000, 48_000, &spec), None);
    }

    #[test]
    fn finds_a_fractional_stretch_of_the_marked_signal() {
        let stim = short_sweep();
        let m = with_markers(&stim);
        let x: Vec<f64> = m.stimulus.samples.iter().map(|&v| v as f64).collect();
        for ppm in [-700.0, 0.0, 333.0] {
            let mut y = vec![0.0; 321];
            y.extend(resample::drift(&x, ppm));
            let y: Vec<f32> = y.iter().map(|&v| v as f32).collect();
            let e = measure_ratio(&y, &m.layout, &m.marker, 48_000).unwrap();
            assert!((e.ppm - ppm).abs() < 0.5, "{ppm}: {e:?}");
            // The lead before the first marker is stretched too.
            let latency = 321.0 + 2400.0 * ppm * 1e-6;
            assert!((e.latency_samples - latency).abs() < 1.0, "{e:?}");
        }
    }

    #[test]
    fn a_different_sample_rate_is_implausible() {
        let stim = short_sweep();
        let m = with_markers(&stim);
        let x: Vec<f64> = m.stimulus.samples.iter().map(|&v| v as f64).collect();
        let y: Vec<f32> = resample::drift(&x, 20_000.0)
            .iter()
            .map(|&v| v as f32)
            .collect();
        let e = measure_ratio(&y, &m.layout, &m.marker, 48_000).unwrap_err();
        assert!(matches!(e, SyncError::ImplausibleRatio { .. }), "{e}");
    }

    #[test]
    fn correction_undoes_the_drift() {
        let x: Vec<f64> = (0..20_000)
            .map(|n| (2.0 * PI * 9_000.0 * n as f64 / 48_000.0).sin())
            .collect();
        let y: Vec<f32> = resample::drift(&x, 1500.0)
            .iter()
            .map(|&v| v as f32)
            .collect();
        let z = correct(&y, 1.0015);
        for k in (2_000..18_000).step_by(101) {
            assert!((z[k] as f64 - x[k]).abs() < 2e-3, "{k}");
        }
    }
}
