//! Analysis of one rolling window of the monitor's recording.
//!
//! The monitor plays a periodic multitone, so any window of exactly one
//! period, at any offset, holds each tone whole on its FFT bin: `|Y / X|` at
//! the tone bins is the magnitude response (the phase, which depends on the
//! unknown offset and latency, is ignored). The noise at a tone is read from
//! the neighbouring non-tone bins, as in the quick check
//! ([`crate::analysis::quick`]), and the tones go through the same
//! [`seal_metrics`] as `tipfit measure --quick`, so both give the same
//! verdict on the same ear.
//!
//! Buffers and the FFT plan are made once; a frame reuses them.

use crate::analysis::seal::{seal_metrics, SealConfig, Verdict};
use crate::analysis::FrequencyResponse;
use crate::dsp::fft::FftCache;
use crate::dsp::{db, power_db, Complex64};
use crate::signal::MultitoneParams;
use anyhow::{bail, Result};
use realfft::RealToComplex;
use serde::Serialize;
use std::sync::Arc;

/// Peak below which the input counts as silent, dBFS.
pub const SILENT_BELOW_DBFS: f64 = -90.0;
/// Peak at or above which the input counts as clipping (full scale 1.0).
pub const CLIP_LEVEL: f64 = 0.999;
/// Message for a silent input.
pub const SILENT_MESSAGE: &str = "no signal: mic muted or wrong --inner-channel";
/// Message for a clipping input.
pub const CLIPPED_MESSAGE: &str = "input clipping: turn the input gain down";

/// What one frame shows. This is one JSON line of `tipfit monitor`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Update {
    /// Recording time of the window's end, s.
    pub t_s: f64,
    /// Bass band level re the reference band, dB (`None`: silent).
    pub bass_db: Option<f64>,
    /// The bass band is at the noise floor: the bass is at most this high.
    pub bass_floor_limited: bool,
    /// Bass lost against the reference response, dB (`None` without one).
    pub bass_loss_db: Option<f64>,
    /// Leak corner (-3 dB), Hz (`None`: sealed, no seal at all, or not found).
    pub leak_corner_hz: Option<f64>,
    /// The verdict (`None`: silent input).
    pub verdict: Option<Verdict>,
    /// Worst tone SNR in the bass band, dB.
    pub snr_db: f64,
    /// Peak of the window, dBFS.
    pub level_dbfs: f64,
    /// The input is silent.
    pub silent: bool,
    /// The input clips.
    pub clipped: bool,
    /// What to do about a silent or clipping input.
    pub message: Option<&'static str>,
}

/// Analyses one-period windows of a recording of the monitor's multitone.
pub struct FrameAnalyser {
    n: usize,
    bins: Vec<usize>,
    tones_hz: Vec<f64>,
    /// `|X|` of the played period at each tone bin.
    stimulus_mag: Vec<f64>,
    /// Non-tone neighbours (up to 2 either side) of each tone, and how many.
    neighbours: Vec<([usize; 4], usize)>,
    bass_tones: Vec<usize>,
    plan: Arc<dyn RealToComplex<f64>>,
    input: Vec<f64>,
    spectrum: Vec<Complex64>,
    scratch: Vec<Complex64>,
    points: Vec<(f64, f64, f64)>,
    reference: Option<Vec<(f64, f64)>>,
    seal: SealConfig,
    /// dB added to each tone's level (mic and sound-card calibration).
    correction_db: Vec<f64>,
}

impl std::fmt::Debug for FrameAnalyser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrameAnalyser")
            .field("n", &self.n)
            .field("tones_hz", &self.tones_hz)
            .finish_non_exhaustive()
    }
}

impl FrameAnalyser {
    /// An analyser for recordings of `period` (one period of the multitone
    /// `params`, as played), with an optional reference response.
    pub fn new(
        params: &MultitoneParams,
        period: &[f32],
        reference: Option<&FrequencyResponse>,
        seal: SealConfig,
        fft: &FftCache,
    ) -> Result<Self> {
        let n = params.frame_len();
        if period.len() != n {
            bail!(
                "the period has {} samples but the multitone's frame is {n}",
                period.len()
            );
        }
        let bins = params.tone_bins();
        let tones_hz = params.tones_hz();
        for (which, (lo, hi)) in [
            ("bass", seal.bass_band_hz),
            ("reference", seal.reference_band_hz),
        ] {
            if !tones_hz
                .iter()
                .any(|f| *f >= lo * 0.999 && *f <= hi * 1.001)
            {
                bail!("no tone of the monitor's multitone lies in the {which} band {lo}-{hi} Hz");
            }
        }
        let x: Vec<f64> = period.iter().map(|&v| v as f64).collect();
        let spec = fft.spectrum(&x, n);
        let stimulus_mag: Vec<f64> = bins.iter().map(|&b| spec[b].norm()).collect();
        let neighbours = bins
            .iter()
            .map(|&b| {
                let mut v = [0usize; 4];
                let mut count = 0;
                for j in [b.wrapping_sub(2), b.wrapping_sub(1), b + 1, b + 2] {
                    if j > 0 && j < spec.len() && !bins.contains(&j) {
                        v[count] = j;
                        count += 1;
                    }
                }
                (v, count)
            })
            .collect();
        let (blo, bhi) = seal.bass_band_hz;
        let bass_tones = tones_hz
            .iter()
            .enumerate()
            .filter(|(_, f)| **f >= blo * 0.999 && **f <= bhi * 1.001)
            .map(|(i, _)| i)
            .collect();
        let plan = fft.forward(n);
        Ok(Self {
            n,
            input: plan.make_input_vec(),
            spectrum: plan.make_output_vec(),
            scratch: plan.make_scratch_vec(),
            plan,
            points: Vec::with_capacity(bins.len()),
            correction_db: vec![0.0; bins.len()],
            bins,
            tones_hz,
            stimulus_mag,
            neighbours,
            bass_tones,
            reference: reference.map(FrequencyResponse::points),
            seal,
        })
    }

    /// Samples in a window (one period).
    pub fn window_len(&self) -> usize {
        self.n
    }

    /// The tone frequencies, Hz.
    pub fn tones_hz(&self) -> &[f64] {
        &self.tones_hz
    }

    /// Subtract these responses (mic calibration, the sound card's
    /// response, the SPL offset) from every tone's level, as `measure` does.
    pub fn set_corrections(&mut self, corrections: &[crate::formats::miccal::MicCal]) {
        for (c, f) in self.correction_db.iter_mut().zip(&self.tones_hz) {
            *c = corrections.iter().map(|m| m.correction_db(*f)).sum();
        }
    }

    /// Analyse `window` (the last `window_len()` samples; extra samples at
    /// the front are ignored), whose last sample was recorded at `t_s`.
    pub fn analyse(&mut self, window: &[f32], t_s: f64) -> Update {
        assert!(window.len() >= self.n, "a window holds at least one period");
        let window = &window[window.len() - self.n..];
        let mut peak = 0.0f64;
        for (d, &s) in self.input.iter_mut().zip(window) {
            let v = s as f64;
            peak = peak.max(v.abs());
            *d = v;
        }
        let level_dbfs = db(peak);
        let silent = level_dbfs < SILENT_BELOW_DBFS;
        let clipped = peak >= CLIP_LEVEL;
        let message = if silent {
            Some(SILENT_MESSAGE)
        } else if clipped {
            Some(CLIPPED_MESSAGE)
        } else {
            None
        };
        self.plan
            .process_with_scratch(&mut self.input, &mut self.spectrum, &mut self.scratch)
            .expect("buffer lengths come from the plan");
        self.points.clear();
        let mut worst_bass_snr = f64::INFINITY;
        for (i, &b) in self.bins.iter().enumerate() {
            let y = self.spectrum[b].norm_sqr();
            let (nb, count) = &self.neighbours[i];
            let noise = nb[..*count]
                .iter()
                .map(|&j| self.spectrum[j].norm_sqr())
                .sum::<f64>()
                / (*count).max(1) as f64;
            let snr = power_db(y) - power_db(noise);
            if self.bass_tones.contains(&i) {
                worst_bass_snr = worst_bass_snr.min(snr);
            }
            let level = db(y.sqrt() / self.stimulus_mag[i]) + self.correction_db[i];
            self.points.push((self.tones_hz[i], level, snr));
        }
        if silent {
            return Update {
                t_s,
                bass_db: None,
                bass_floor_limited: true,
                bass_loss_db: None,
                leak_corner_hz: None,
                verdict: None,
                snr_db: worst_bass_snr,
                level_dbfs,
                silent,
                clipped,
                message,
            };
        }
        let m = seal_metrics(&self.points, self.reference.as_deref(), &self.seal);
        Update {
            t_s,
            bass_db: Some(m.bass_db),
            bass_floor_limited: m.bass_floor_limited,
            bass_loss_db: m.bass_loss_db,
            leak_corner_hz: m.leak_corner_hz,
            verdict: Some(m.verdict),
            snr_db: worst_bass_snr,
            level_dbfs,
            silent,
            clipped,
            message,
        }
    }
}
