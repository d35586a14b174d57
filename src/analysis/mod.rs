//! Analysis: recording + stimulus -> [`Measurement`].
//!
//! Sweeps and noise are deconvolved ([`crate::dsp::deconvolve`]) into an
//! impulse response, from which [`response`] reads the frequency response,
//! THD and noise floor; the multitone goes through [`quick`]. [`seal`] turns
//! the low end into seal metrics and a verdict; [`quality`] checks the
//! recording first.

mod clock;
pub mod drift;
pub mod isolation;
pub mod listening;
pub mod loudness;
mod measurement;
pub mod quality;
pub mod quick;
pub mod ratings;
pub mod response;
pub mod seal;

use crate::dsp::deconvolve::{fft_len, transform_recording, Inverse, InverseMethod, Scratch};
use crate::dsp::fft::FftCache;
use crate::dsp::grid::Smoothing;
use crate::signal::ess::{EssFit, NotEss, SweepGeometry};
use crate::signal::{Stimulus, StimulusKind};
pub use drift::{ClockCheck, ClockInfo, SyncAdvice};
pub use measurement::{LevelUnit, Measurement, Method, ResponseSmoothing};
pub use quality::{QualityError, Warning};
pub use seal::{SealConfig, SealMetrics, Verdict};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;

/// A frequency response on a log grid.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FrequencyResponse {
    /// Frequencies, Hz, ascending.
    pub freq_hz: Vec<f64>,
    /// Level, dB re unity gain (recording full scale per stimulus full scale).
    pub db: Vec<f64>,
    /// Phase with the latency removed, degrees (wrapped to +-180).
    pub phase_deg: Option<Vec<f64>>,
}

impl FrequencyResponse {
    /// `(freq_hz, db)` pairs.
    pub fn points(&self) -> Vec<(f64, f64)> {
        self.freq_hz
            .iter()
            .cloned()
            .zip(self.db.iter().cloned())
            .collect()
    }
}

/// THD per frequency.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Thd {
    /// Fundamental frequencies, Hz.
    pub freq_hz: Vec<f64>,
    /// THD in percent of the fundamental.
    pub value: Vec<f64>,
    /// Per point: the harmonics are not clearly above what noise and hum
    /// alone read there (`response::THD_FLOOR_MARGIN_DB`): the value is an
    /// upper bound, not the distortion.
    #[serde(default)]
    pub floor_limited: Vec<bool>,
    /// Per point: the THD noise and hum alone would read, percent.
    #[serde(default)]
    pub floor_percent: Vec<f64>,
    /// The exponential sweep recognised in a reference tipfit did not make
    /// (`None` for tipfit's own sweep, whose law is in its WAV comment; left
    /// out of the JSON then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recognised_sweep: Option<crate::signal::ess::EssFit>,
}

/// A value per band.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Bands {
    /// Band centre frequencies, Hz.
    pub centre_hz: Vec<f64>,
    /// SNR per band, dB.
    pub snr_db: Vec<f64>,
}

/// Analysis settings (documented defaults).
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisConfig {
    /// Smoothing of the reported response (seal metrics always use 1/12).
    pub smoothing: Smoothing,
    /// Grid density, points per octave (default 48).
    pub points_per_octave: u32,
    /// Lowest reported frequency, Hz (default 10).
    pub f_min_hz: f64,
    /// Highest reported frequency, Hz (default 20 kHz, never above 0.45 fs).
    pub f_max_hz: f64,
    /// Length of the impulse-response window after the peak, s (default 0.5).
    pub ir_window_s: f64,
    /// Length of the window before the peak, s (default 0.005).
    pub pre_window_s: f64,
    /// Seal bands and thresholds.
    pub seal: SealConfig,
    /// Responses subtracted from every measured response before the seal
    /// metrics (`--mic-cal`, the stored sound-card loopback calibration).
    pub corrections: Vec<crate::formats::miccal::MicCal>,
    /// The player's and the recorder's clocks: the drift estimated from the
    /// recording and corrected (default), known from sync markers, or not
    /// checked (see [`drift`]).
    pub clock: ClockCheck,
    /// What the messages about clock drift advise (the command's options).
    pub sync_advice: SyncAdvice,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        Self {
            smoothing: Smoothing::None,
            points_per_octave: 48,
            f_min_hz: 10.0,
            f_max_hz: 20_000.0,
            ir_window_s: 0.5,
            pre_window_s: 0.005,
            seal: SealConfig::default(),
            corrections: Vec::new(),
            clock: ClockCheck::Estimate,
            sync_advice: SyncAdvice::Rig,
        }
    }
}

/// Why a recording cannot be analysed.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AnalysisError {
    /// Rates differ.
    #[error("the recording is at {recording} Hz but the reference is at {reference} Hz: record at the reference's rate (or resample it)")]
    RateMismatch {
        /// Recording rate.
        recording: u32,
        /// Reference rate.
        reference: u32,
    },
    /// Recording shorter than the stimulus.
    #[error("the recording ({recording_s:.3} s) is shorter than the stimulus ({stimulus_s:.3} s): the end of the signal is missing")]
    TooShort {
        /// Recording length, s.
        recording_s: f64,
        /// Stimulus length, s.
        stimulus_s: f64,
    },
    /// Not enough multitone frames.
    #[error("the recording is too short for the quick check: it needs at least {needed_s:.2} s of the multitone after it arrives")]
    TooShortForQuick {
        /// Seconds needed.
        needed_s: f64,
    },
    /// Bad recording.
    #[error(transparent)]
    Quality(#[from] QualityError),
    /// A seal band holds no measured point (e.g. no multitone tone in it).
    #[error("no measured point in the {which} band {lo}-{hi} Hz: widen the band (the multitone's tones are at {tones})")]
    EmptyBand {
        /// Which band.
        which: &'static str,
        /// Low edge, Hz.
        lo: f64,
        /// High edge, Hz.
        hi: f64,
        /// The frequencies available.
        tones: String,
    },
    /// The stimulus arrived so late that its end was not recorded.
    #[error("the stimulus arrived {latency_s:.3} s after the recording started and its last {missing_s:.3} s were not recorded (nothing above {recorded_up_to_hz:.0} Hz): record longer after the stimulus ends, or find what delays the output")]
    Truncated {
        /// Arrival of the stimulus in the recording, s.
        latency_s: f64,
        /// Stimulus time missing at the end, s.
        missing_s: f64,
        /// Highest frequency recorded, Hz.
        recorded_up_to_hz: f64,
    },
    /// The impulse is smeared: high and low frequencies arrive apart.
    #[error("the response is smeared in time: 4-8 kHz arrives {spread_ms:+.1} ms after 500-1000 Hz{ppm} (an IEM gives a few tenths of a ms): the recorder's clock differs from the player's, or the rates do not match; {advice}")]
    Smeared {
        /// The arrival spread, ms.
        spread_ms: f64,
        /// The clock difference that would explain it, as text.
        ppm: String,
        /// What to do, for the command that analysed.
        advice: SyncAdvice,
    },
    /// The clock difference is beyond what is corrected, or its
    /// corrections do not converge.
    #[error("the recorder's clock differs from the player's by {} (found from the {method}), beyond the +-{max_ppm:.0} ppm tipfit corrects: {cause}; {advice}", drift::amount(*ppm, *rough))]
    ClockDrift {
        /// The clock difference found, ppm (`None`: too large to measure).
        ppm: Option<f64>,
        /// Whether `ppm` is only a rough figure (beyond the estimation
        /// window).
        rough: bool,
        /// How it was found (see [`ClockInfo::method`]).
        method: drift::DriftFoundBy,
        /// The limit, ppm.
        max_ppm: f64,
        /// The likely cause, as text.
        cause: String,
        /// What to do, for the command that analysed.
        advice: SyncAdvice,
    },
    /// A seal band holds no point of the seal metrics' grid.
    #[error("the seal cannot be judged: the bass band {}-{} Hz or the reference band {}-{} Hz holds no point of the seal metrics' 1/12-octave grid, which ends at 2 kHz (or at the top of the stimulus): widen the band or keep it below 2 kHz", bass.0, bass.1, reference.0, reference.1)]
    SealOffGrid {
        /// Bass band, Hz.
        bass: (f64, f64),
        /// Reference band, Hz.
        reference: (f64, f64),
    },
    /// The recording started after the stimulus, so much that what is left
    /// cannot be analysed.
    #[error("the recording starts {late_s:.2} s after the {what} began{missing}: start recording before playing")]
    LateStart {
        /// How long after the start of the sweep (or of the signal), s.
        late_s: f64,
        /// "sweep" or "signal".
        what: &'static str,
        /// What is missing, as text.
        missing: String,
    },
    /// The impulse response is noise.
    #[error("no response found: the impulse peak stands {prominence_db:.1} dB clear of the noise (a response stands tens of dB clear): the recording does not contain the stimulus: the wrong input channel, an output that does not reach the IEM, or a stimulus that arrived too late")]
    NoImpulse {
        /// See `response::ImpulseResults::peak_prominence_db`.
        prominence_db: f64,
    },
    /// No response found.
    #[error("no response found: the broadband SNR is {snr_db:.1} dB (the recording does not contain the stimulus: the wrong input channel, an output that does not reach the IEM, or a stimulus that arrived too late)")]
    NoResponse {
        /// Broadband SNR, dB.
        snr_db: f64,
    },
}

/// Analyses recordings, reusing FFT plans and stimulus inverses.
#[derive(Debug, Default)]
pub struct Analyzer {
    fft: FftCache,
    inverses: Mutex<HashMap<usize, std::sync::Arc<Inverse>>>,
    /// Deconvolution buffers, one set per analysis running at once (a
    /// batch analyses on every core; each takes a set and gives it back).
    scratch: Mutex<Pool>,
    /// Signalled when buffers are given back.
    returned: std::sync::Condvar,
    /// The reference's sweep law, by reference length (see [`Self::sweep_law`]).
    laws: Mutex<HashMap<usize, std::sync::Arc<SweepLaw>>>,
}

/// Deconvolution buffers not in use, and how many sets are lent to
/// inverses being built (each given back as soon as the stimulus is
/// transformed: an analysis waits for it rather than touching a fresh
/// set, 2.3 MB for a 10 s recording).
#[derive(Debug, Default)]
struct Pool {
    free: Vec<Scratch>,
    building: usize,
}

/// A set of buffers lent to an inverse being built, given back when
/// dropped (also if the build panics, so that no analysis waits for it
/// forever).
struct Lent<'a> {
    analyzer: &'a Analyzer,
    scratch: Scratch,
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        let mut pool = self.analyzer.pool();
        pool.building -= 1;
        pool.free.push(std::mem::take(&mut self.scratch));
        drop(pool);
        self.analyzer.returned.notify_all();
    }
}

/// What a reference is for THD: tipfit's own sweep, a recognised exponential
/// sweep, or why there is none.
pub type SweepLaw = Result<(SweepGeometry, Option<EssFit>), NotEss>;

/// Both seal bands must hold measured points.
fn check_bands(m: &Measurement, cfg: &AnalysisConfig) -> Result<(), AnalysisError> {
    let f = &m.frequency_response.freq_hz;
    for (which, (lo, hi)) in [
        ("bass", cfg.seal.bass_band_hz),
        ("reference", cfg.seal.reference_band_hz),
    ] {
        if !f.iter().any(|x| *x >= lo * 0.999 && *x <= hi * 1.001) {
            let tones: Vec<String> = f.iter().map(|x| format!("{x:.0}")).collect();
            return Err(AnalysisError::EmptyBand {
                which,
                lo,
                hi,
                tones: tones.join(", "),
            });
        }
    }
    Ok(())
}

/// Divide the roll-off built into the inverse of a brick-walled reference
/// (`deconvolve::Taper`) back out of the response and the seal points, as
/// smoothed as they are (the SNR is a ratio of two tapered spectra: kept).
fn undo_taper(t: &crate::dsp::deconvolve::Taper, r: &mut response::ImpulseResults, s: Smoothing) {
    let b = match s {
        Smoothing::None => 0,
        Smoothing::Octave(b) => b,
    };
    let fr = &mut r.response;
    for (i, &f) in fr.freq_hz.iter().enumerate() {
        fr.db[i] -= crate::dsp::power_db(t.smoothed_power(f, b));
        if let Some(p) = fr.phase_deg.as_mut() {
            p[i] = (p[i] - t.response(f).arg().to_degrees() + 180.0).rem_euclid(360.0) - 180.0;
        }
    }
    for (f, db, _) in r.seal_points.iter_mut() {
        *db -= crate::dsp::power_db(t.smoothed_power(*f, 12));
    }
}

/// Refuse a recording that misses the end of the stimulus (it arrived
/// late): a sweep may lose its last part only above the reported range
/// (`cfg.f_max_hz`), other stimuli at most 1 %.
fn truncation(
    stimulus: &Stimulus,
    latency: i64,
    len: usize,
    cfg: &AnalysisConfig,
) -> Result<(), AnalysisError> {
    let rate = stimulus.rate as f64;
    let missing = (latency + stimulus.samples.len() as i64 - len as i64).max(0) as usize;
    if missing == 0 {
        return Ok(());
    }
    let recorded_s = (len as i64 - latency).max(0) as f64 / rate;
    let (up_to, bad) = match &stimulus.kind {
        StimulusKind::Sweep(p) => {
            let t = (recorded_s - p.lead_s).clamp(0.0, p.duration_s);
            let f = p.start_hz * (p.end_hz / p.start_hz).powf(t / p.duration_s);
            (f, f < cfg.f_max_hz.min(0.45 * rate))
        }
        _ => (0.0, missing as f64 > 0.01 * stimulus.samples.len() as f64),
    };
    if bad {
        return Err(AnalysisError::Truncated {
            latency_s: latency.max(0) as f64 / rate,
            missing_s: missing as f64 / rate,
            recorded_up_to_hz: up_to,
        });
    }
    Ok(())
}

/// The impulse peak at index `tau` of a circular impulse response of `n`
/// samples from a linear deconvolution by a stimulus of `stimulus_len`
/// samples, as a signed lag: indices in the last `stimulus_len` samples are
/// negative lags (the recording started after the stimulus).
fn signed_lag(tau: usize, n: usize, stimulus_len: usize) -> i64 {
    if tau + stimulus_len >= n {
        tau as i64 - n as i64
    } else {
        tau as i64
    }
}

/// A late start leaves out the frequencies a sweep played before the
/// recording began, and makes those just above them read low: a sweep
/// builds frequency `f` over about `sqrt(L / f)` seconds around the moment
/// it passes `f` (the stationary-phase width). The response is reported
/// from the frequency the sweep reached this many widths after the
/// recording began (measured on the simulated ear and a 2nd-order 100 Hz
/// high-pass: within 0.25 dB of the whole recording there).
pub const LATE_START_WIDTHS: f64 = 2.0;

/// The lowest frequency a sweep (start `f1`, rate `l`) reads right when
/// the recording began `after` seconds after the sweep did: the smallest
/// `f` with `l ln(f / f_cut) >= LATE_START_WIDTHS sqrt(l / f)`, `f_cut` the
/// frequency it played at the start of the recording.
pub fn late_start_lowest_hz(f1: f64, l: f64, after: f64) -> f64 {
    let f_cut = f1 * (after / l).exp();
    // The left side rises and the right falls with f: bisect on ln f.
    let (mut lo, mut hi) = (f_cut.ln(), (f_cut * 1e3).ln());
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        let f = mid.exp();
        if l * (f / f_cut).ln() >= LATE_START_WIDTHS * (l / f).sqrt() {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi.exp()
}

/// A signal (not a sweep) may miss at most this fraction at its start.
const LATE_START_MAX_FRACTION: f64 = 0.01;

/// What a recording that started `late` samples after the stimulus misses:
/// a sweep's lowest frequencies (left out of the analysis while the seal
/// bands keep what they need), a silent lead-in only, or too much.
fn late_start(
    late: usize,
    stimulus: &Stimulus,
    sweep: Option<&crate::signal::SweepParams>,
    cfg: &AnalysisConfig,
) -> Result<Warning, AnalysisError> {
    let late_s = late as f64 / stimulus.rate as f64;
    let Some(p) = sweep else {
        let fraction = late as f64 / stimulus.samples.len() as f64;
        if fraction > LATE_START_MAX_FRACTION {
            return Err(AnalysisError::LateStart {
                late_s,
                what: "signal",
                missing: format!(" ({:.1} % of it was never recorded)", 100.0 * fraction),
            });
        }
        return Ok(Warning::LateStart {
            late_s,
            after_sweep_s: None,
            missing_below_hz: None,
        });
    };
    let after = late_s - p.lead_s;
    if after <= 0.0 {
        return Ok(Warning::LateStart {
            late_s,
            after_sweep_s: Some(after),
            missing_below_hz: None,
        });
    }
    let missing_hz = p.start_hz * (after / p.l_s()).exp();
    let lowest = late_start_lowest_hz(p.start_hz, p.l_s(), after);
    let top = cfg.f_max_hz.min(p.end_hz);
    if lowest > cfg.seal.bass_band_hz.0 || lowest >= top {
        return Err(AnalysisError::LateStart {
            late_s: after,
            what: "sweep",
            missing: format!(
                "; the frequencies up to {missing_hz:.1} Hz were never recorded and those up to \
                 {lowest:.1} Hz read too low, but the seal needs the bass band from {:.0} Hz \
                 (--bass-band {:.0}-{:.0} would use what was recorded)",
                cfg.seal.bass_band_hz.0,
                lowest.ceil(),
                cfg.seal.bass_band_hz.1
            ),
        });
    }
    Ok(Warning::LateStart {
        late_s,
        after_sweep_s: Some(after),
        missing_below_hz: Some(lowest),
    })
}

/// Largest arrival spread between 500-1000 Hz and 4-8 kHz accepted, s
/// (see `response::ImpulseResults::arrival_spread_s`).
pub const MAX_ARRIVAL_SPREAD_S: f64 = 0.0015;

/// An impulse peak less prominent than this is noise (see
/// `response::ImpulseResults::peak_prominence_db`), dB.
pub const MIN_PEAK_PROMINENCE_DB: f64 = 12.0;

/// A recording's spectrum computed ahead of its inverse (see
/// [`Analyzer::analyse`]), taken by the first deconvolution of that same
/// recording; the others transform theirs.
type Ahead = std::cell::Cell<Option<Scratch>>;

/// SNR below which the whole measurement is refused, dB.
pub const MIN_SNR_DB: f64 = 3.0;

impl Analyzer {
    /// A new analyzer with empty caches.
    pub fn new() -> Self {
        Self::default()
    }

    /// The FFT plan cache.
    pub fn fft(&self) -> &FftCache {
        &self.fft
    }

    fn pool(&self) -> std::sync::MutexGuard<'_, Pool> {
        self.scratch.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A set of deconvolution buffers (see [`Self::give_scratch`]): a free
    /// one, or the one an inverse being built is about to give back, or a
    /// new one.
    fn take_scratch(&self) -> Scratch {
        let mut pool = self.pool();
        while pool.free.is_empty() && pool.building > 0 {
            pool = self.returned.wait(pool).unwrap_or_else(|e| e.into_inner());
        }
        pool.free.pop().unwrap_or_default()
    }

    /// Return buffers taken by [`Self::take_scratch`] for the next analysis.
    fn give_scratch(&self, s: Scratch) {
        self.pool().free.push(s);
        self.returned.notify_all();
    }

    /// A set of buffers for building an inverse, lent until the [`Lent`]
    /// is dropped.
    fn lend_scratch(&self) -> Lent<'_> {
        let mut pool = self.pool();
        let scratch = pool.free.pop().unwrap_or_default();
        pool.building += 1;
        Lent {
            analyzer: self,
            scratch,
        }
    }

    /// Start planning, on another thread, the FFT that deconvolves a
    /// recording of `recording_len` samples by a stimulus of
    /// `stimulus_len` (planning a long FFT takes as long as reading and
    /// checking the files, which can go on meanwhile).
    pub fn prepare(&self, recording_len: usize, stimulus_len: usize, rate: u32) {
        self.fft
            .prepare_real32(fft_len(recording_len, stimulus_len, rate));
    }

    /// The inverse of `stimulus` for recordings of `recording_len` samples
    /// (cached by FFT length; one analyzer serves one stimulus).
    pub fn inverse(&self, stimulus: &Stimulus, recording_len: usize) -> std::sync::Arc<Inverse> {
        let n = fft_len(recording_len, stimulus.samples.len(), stimulus.rate);
        let mut cache = self.inverses.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(n)
            .or_insert_with(|| {
                let mut lent = self.lend_scratch();
                let x = Inverse::spectrum_of(stimulus, n, &mut lent.scratch);
                // given back before the rest of the inverse is built
                drop(lent);
                std::sync::Arc::new(Inverse::from_spectrum(stimulus, x, n))
            })
            .clone()
    }

    /// The sweep law of `stimulus` (cached by length, like the inverses):
    /// a tipfit sweep's from its parameters, another reference's recognised
    /// from its samples ([`crate::signal::ess::recognise`]).
    pub fn sweep_law(&self, stimulus: &Stimulus) -> std::sync::Arc<SweepLaw> {
        let law = || match &stimulus.kind {
            StimulusKind::Sweep(p) => Ok((SweepGeometry::from(p), None)),
            StimulusKind::Noise(_) => Err(NotEss::TipfitNoise),
            _ => crate::signal::ess::recognise(&stimulus.samples, stimulus.rate)
                .map(|fit| (fit.geometry(stimulus.rate), Some(fit))),
        };
        let mut cache = self.laws.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(stimulus.samples.len())
            .or_insert_with(|| std::sync::Arc::new(law()))
            .clone()
    }

    /// Buffers holding the spectrum of `recording` minus `mean` at the
    /// length of its deconvolution by `stimulus` (the first half of it,
    /// which needs no inverse).
    fn transform(&self, recording: &[f32], mean: f64, stimulus: &Stimulus) -> Scratch {
        let mut scratch = self.take_scratch();
        let n = fft_len(recording.len(), stimulus.samples.len(), stimulus.rate);
        transform_recording(recording, mean, n, &self.fft, &mut scratch);
        scratch
    }

    /// Analyse one recorded channel against its stimulus.
    pub fn analyse(
        &self,
        recording: &[f32],
        rate: u32,
        stimulus: &Stimulus,
        reference: Option<&FrequencyResponse>,
        cfg: &AnalysisConfig,
    ) -> Result<Measurement, AnalysisError> {
        if rate != stimulus.rate {
            return Err(AnalysisError::RateMismatch {
                recording: rate,
                reference: stimulus.rate,
            });
        }
        let too_short = AnalysisError::TooShort {
            recording_s: recording.len() as f64 / rate as f64,
            stimulus_s: stimulus.duration_s(),
        };
        // A shorter recording is analysed only to tell a late start (its
        // beginning is missing) from a cut end: anything else is TooShort.
        let short = recording.len() < stimulus.samples.len();
        if short
            && (matches!(stimulus.kind, StimulusKind::Multitone(_))
                || recording.len() * 2 < stimulus.samples.len())
        {
            return Err(too_short);
        }
        if !matches!(stimulus.kind, StimulusKind::Multitone(_)) {
            // the long FFT's plan is made on another core meanwhile
            self.prepare(recording.len(), stimulus.samples.len(), rate);
        }
        let mut warnings = quality::check_recording(recording, rate)?;
        let mean = crate::dsp::lanes::sum_by(recording, f64::from) / recording.len() as f64;
        if let Some(h) = quality::detect_hum(recording, mean, rate) {
            warnings.push(h);
        }
        let x = recording.iter().map(|&v| v as f64 - mean);
        let ref_points = reference.map(FrequencyResponse::points);
        let mut m = match &stimulus.kind {
            StimulusKind::Multitone(p) => {
                let x: Vec<f64> = x.collect();
                let (mut t, clock) = self.tones_with_clock(recording, &x, stimulus, p, cfg)?;
                for c in &cfg.corrections {
                    c.apply(&mut t.response);
                }
                let points: Vec<(f64, f64, f64)> = t
                    .response
                    .points()
                    .into_iter()
                    .zip(&t.snr_db)
                    .map(|((f, d), s)| (f, d, *s))
                    .collect();
                let mut sorted = t.snr_db.clone();
                sorted.sort_by(f64::total_cmp);
                let median = sorted[sorted.len() / 2];
                if median < MIN_SNR_DB || median.is_nan() {
                    return Err(AnalysisError::NoResponse { snr_db: median });
                }
                Measurement {
                    tipfit_version: env!("CARGO_PKG_VERSION").into(),
                    method: Method::of(&stimulus.kind),
                    sample_rate: rate,
                    latency_s: t.onset_samples as f64 / rate as f64,
                    smoothing: Smoothing::None.into(),
                    seal: seal::seal_metrics(&points, ref_points.as_deref(), &cfg.seal),
                    frequency_response: t.response.clone(),
                    thd_percent: Thd::default(),
                    snr_db: median,
                    snr_bands: Bands {
                        centre_hz: t.response.freq_hz.clone(),
                        snr_db: t.snr_db.clone(),
                    },
                    warnings: Vec::new(),
                    clock,
                    level_unit: None,
                }
            }
            _ => {
                let r = self.analyse_impulse(
                    recording,
                    mean,
                    stimulus,
                    ref_points.as_deref(),
                    cfg,
                    &mut warnings,
                );
                let late = warnings
                    .iter()
                    .any(|w| matches!(w, Warning::LateStart { .. }));
                match r {
                    Err(e @ AnalysisError::LateStart { .. }) => return Err(e),
                    Ok(_) if short && !late => return Err(too_short),
                    Err(_) if short => return Err(too_short),
                    r => r?,
                }
            }
        };
        check_bands(&m, cfg)?;
        if !m.seal.bass_db.is_finite() {
            return Err(AnalysisError::SealOffGrid {
                bass: cfg.seal.bass_band_hz,
                reference: cfg.seal.reference_band_hz,
            });
        }
        self.snr_warnings(&mut m, cfg, &mut warnings);
        m.warnings = warnings.iter().map(ToString::to_string).collect();
        Ok(m)
    }

    /// Deconvolve `recording` (mean `mean`), read the impulse response and
    /// refuse what holds no response; with `law`, also estimate the clock
    /// drift left in it (see [`drift`]).
    fn impulse_pass(
        &self,
        recording: &[f32],
        mean: f64,
        stimulus: &Stimulus,
        cfg: &AnalysisConfig,
        law: Option<&drift::Law>,
        ahead: &Ahead,
    ) -> Result<(response::ImpulseResults, Option<drift::Estimate>), AnalysisError> {
        let len = recording.len();
        let mut scratch = match ahead.take() {
            Some(s) => s,
            None => self.transform(recording, mean, stimulus),
        };
        let inverse = self.inverse(stimulus, len);
        let h = inverse.finish(&self.fft, &mut scratch);
        let ess = self.sweep_law(stimulus);
        let sweep = match (&*ess, &stimulus.kind, inverse.method) {
            (Ok((g, _)), StimulusKind::Sweep(_), InverseMethod::AnalyticSweep) => Some(g),
            (Ok((g, Some(_))), _, InverseMethod::Regularized) => Some(g),
            _ => None,
        };
        let tipfit_sweep = match &stimulus.kind {
            StimulusKind::Sweep(p) if sweep.is_some() => Some(p),
            _ => None,
        };
        // the peak: the lag of the response (the whole buffer is searched:
        // a recording that started after the stimulus puts the peak at a
        // negative lag, at the end of the circular buffer). Found once, for
        // the response and the clock estimate, which then run side by side
        // (each on its own windows of `h`; in a batch, rayon runs them in
        // turn when every core is busy).
        let tau = crate::dsp::lanes::last_peak(h);
        let (mut r, estimate) = rayon::join(
            || {
                response::analyse_impulse(
                    h,
                    tau,
                    stimulus.rate,
                    inverse.band_hz,
                    sweep,
                    cfg,
                    &self.fft,
                )
            },
            || {
                law.and_then(|law| {
                    drift::sweep_estimate(
                        h,
                        tau,
                        stimulus.rate as f64,
                        inverse.band_hz,
                        law,
                        inverse.taper.as_ref(),
                        &self.fft,
                    )
                })
            },
        );
        let lag = signed_lag(r.latency_samples, inverse.n, stimulus.samples.len());
        if lag < 0 && r.peak_prominence_db >= MIN_PEAK_PROMINENCE_DB {
            let late = late_start(-lag as usize, stimulus, tipfit_sweep, cfg)?;
            let missing = match &late {
                Warning::LateStart {
                    missing_below_hz, ..
                } => *missing_below_hz,
                _ => None,
            };
            if let Some(f_lo) = missing.filter(|f| *f > cfg.f_min_hz) {
                let cfg = AnalysisConfig {
                    f_min_hz: f_lo,
                    ..cfg.clone()
                };
                r = response::analyse_impulse(
                    h,
                    tau,
                    stimulus.rate,
                    inverse.band_hz,
                    sweep,
                    &cfg,
                    &self.fft,
                );
            }
            r.late_start = Some(late);
        }
        r.lag_samples = lag;
        self.give_scratch(scratch);
        if let Some(t) = &inverse.taper {
            undo_taper(t, &mut r, cfg.smoothing);
        }
        if r.peak_prominence_db < MIN_PEAK_PROMINENCE_DB {
            return Err(AnalysisError::NoImpulse {
                prominence_db: r.peak_prominence_db,
            });
        }
        if r.snr_db < MIN_SNR_DB || r.snr_db.is_nan() {
            return Err(AnalysisError::NoResponse { snr_db: r.snr_db });
        }
        truncation(stimulus, r.lag_samples, len, cfg)?;
        Ok((r, estimate))
    }

    fn analyse_impulse(
        &self,
        recording: &[f32],
        mean: f64,
        stimulus: &Stimulus,
        reference: Option<&[(f64, f64)]>,
        cfg: &AnalysisConfig,
        warnings: &mut Vec<Warning>,
    ) -> Result<Measurement, AnalysisError> {
        let ess = self.sweep_law(stimulus);
        if let Err(reason) = &*ess {
            warnings.push(Warning::NoThd {
                reason: reason.clone(),
            });
        }
        // The recording is transformed now (after the sweep law, found
        // while the long FFT is still being planned), while its inverse may
        // still be being built on the other core: the clock estimate needs
        // the inverse before the first deconvolution, which takes this
        // spectrum.
        let ahead = Ahead::new(Some(self.transform(recording, mean, stimulus)));
        let done = self.impulse_with_clock(recording, mean, stimulus, cfg, &ahead);
        if let Some(unused) = ahead.take() {
            self.give_scratch(unused);
        }
        let (mut r, clock) = done?;
        if let Some(late) = r.late_start.take() {
            warnings.push(late);
        }
        if let Ok((_, Some(fit))) = &*ess {
            r.thd.recognised_sweep = Some(fit.clone());
        }
        let hum = warnings
            .iter()
            .any(|w| matches!(w, Warning::MainsHum { .. }));
        if hum {
            response::mark_floor_limited(&mut r.thd, true);
        }
        if let Some(w) = quality::thd_floor_warning(&r.thd, warnings) {
            warnings.push(w);
        }
        if let Some(spread) = r
            .arrival_spread_s
            .filter(|s| s.abs() > MAX_ARRIVAL_SPREAD_S)
        {
            let ppm = match &*ess {
                Ok((g, _)) => {
                    let l = g.l_s;
                    let (lo, hi) = (
                        353.6,
                        0.707 * cfg.f_max_hz.min(0.45 * stimulus.rate as f64).min(8000.0),
                    );
                    format!(
                        ", as a clock difference of about {:+.0} ppm would make it",
                        spread / (l * (hi / lo).ln()) * 1e6
                    )
                }
                Err(_) => String::new(),
            };
            return Err(AnalysisError::Smeared {
                spread_ms: spread * 1e3,
                ppm,
                advice: cfg.sync_advice,
            });
        }
        for c in &cfg.corrections {
            c.apply(&mut r.response);
            for (f, db, _) in r.seal_points.iter_mut() {
                *db += c.correction_db(*f);
            }
        }
        let seal = seal::seal_metrics(&r.seal_points, reference, &cfg.seal);
        Ok(Measurement {
            tipfit_version: env!("CARGO_PKG_VERSION").into(),
            method: Method::of(&stimulus.kind),
            sample_rate: stimulus.rate,
            latency_s: r.lag_samples as f64 / stimulus.rate as f64,
            smoothing: cfg.smoothing.into(),
            frequency_response: r.response,
            seal,
            thd_percent: r.thd,
            snr_db: r.snr_db,
            snr_bands: r.snr_bands,
            warnings: Vec::new(),
            clock,
            level_unit: None,
        })
    }

    fn snr_warnings(&self, m: &mut Measurement, cfg: &AnalysisConfig, warnings: &mut Vec<Warning>) {
        if m.snr_db < 20.0 {
            warnings.push(Warning::LowSnr { snr_db: m.snr_db });
        }
        let (lo, hi) = cfg.seal.bass_band_hz;
        let bass: Vec<f64> = m
            .snr_bands
            .centre_hz
            .iter()
            .zip(&m.snr_bands.snr_db)
            .filter(|(c, _)| **c >= lo * 0.7 && **c <= hi * 1.4)
            .map(|(_, s)| *s)
            .collect();
        if let Some(min) = bass.iter().cloned().reduce(f64::min) {
            if min < 10.0 {
                warnings.push(Warning::LowBassSnr { snr_db: min });
                m.seal.uncertain = true;
            }
        }
        let low: Vec<f64> = m
            .snr_bands
            .centre_hz
            .iter()
            .zip(&m.snr_bands.snr_db)
            .filter(|(_, s)| **s < 10.0)
            .map(|(c, _)| *c)
            .collect();
        if !low.is_empty() && m.method != Method::Multitone {
            warnings.push(Warning::BandsAtNoiseFloor { centre_hz: low });
        }
    }
}
