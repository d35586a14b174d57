//! The quick seal check: tone levels of the periodic multitone.
//!
//! The multitone repeats every frame (`rate / 5` samples), and every tone
//! sits on a bin of that frame's FFT. After the signal arrives (first sample
//! above 10 % of the recording's peak) one frame is skipped so the leak and
//! driver settle, then up to four whole frames are averaged coherently: at
//! most 1 s of audio. Each tone's level is `|Y / X|` at its bin; the noise at
//! a tone is read from the neighbouring non-tone bins.

/// Audio the quick check plays: one settling frame and four measured frames, s.
pub const QUICK_DURATION_S: f64 = 1.0;

use super::{AnalysisError, FrequencyResponse};
use crate::dsp::fft::FftCache;
use crate::dsp::{db, power_db, Complex64};
use crate::signal::{MultitoneParams, Stimulus};

/// Frames averaged after the settling frame.
pub const FRAMES: usize = 4;

/// Tone levels and their SNR.
#[derive(Debug, Clone)]
pub struct ToneResults {
    /// Sample where the signal arrives.
    pub onset_samples: usize,
    /// Level and phase at each tone.
    pub response: FrequencyResponse,
    /// SNR at each tone, dB.
    pub snr_db: Vec<f64>,
    /// Frames averaged.
    pub frames: usize,
    /// Each averaged frame's value at each tone (`[frame][tone]`): their
    /// turn from frame to frame shows a clock drift (`super::drift`).
    pub frame_tones: Vec<Vec<Complex64>>,
}

/// Measure tone levels in a recording of the multitone `stimulus`.
pub fn analyse_tones(
    x: &[f64],
    stimulus: &Stimulus,
    p: &MultitoneParams,
    fft: &FftCache,
) -> Result<ToneResults, AnalysisError> {
    let n = p.frame_len();
    let peak = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let onset = x.iter().position(|v| v.abs() > 0.1 * peak).unwrap_or(0);
    let start = onset + n;
    let frames = (x.len().saturating_sub(start) / n).min(FRAMES);
    if frames == 0 {
        return Err(AnalysisError::TooShortForQuick {
            needed_s: 2.0 * n as f64 / p.rate as f64,
        });
    }
    let bins = p.tone_bins();
    let mut sum = vec![Complex64::new(0.0, 0.0); n / 2 + 1];
    let mut noise_power = vec![0.0f64; bins.len()];
    let mut frame_tones = Vec::with_capacity(frames);
    for k in 0..frames {
        let spec = fft.spectrum(&x[start + k * n..start + (k + 1) * n], n);
        frame_tones.push(bins.iter().map(|&b| spec[b]).collect());
        for (s, v) in sum.iter_mut().zip(&spec) {
            *s += v;
        }
        for (i, &b) in bins.iter().enumerate() {
            let neighbours: Vec<usize> = [b.saturating_sub(2), b.saturating_sub(1), b + 1, b + 2]
                .into_iter()
                .filter(|j| *j > 0 && *j < spec.len() && !bins.contains(j))
                .collect();
            let p: f64 = neighbours.iter().map(|&j| spec[j].norm_sqr()).sum();
            noise_power[i] += p / neighbours.len().max(1) as f64;
        }
    }
    let stim: Vec<f64> = stimulus.samples[..n.min(stimulus.samples.len())]
        .iter()
        .map(|&v| v as f64)
        .collect();
    let reference = fft.spectrum(&stim, n);
    let df = p.rate as f64 / n as f64;
    let mut response = FrequencyResponse::default();
    let mut phases = Vec::new();
    let mut snr_db = Vec::new();
    for (i, &b) in bins.iter().enumerate() {
        let y = sum[b] / frames as f64;
        let h = y / reference[b];
        response.freq_hz.push(b as f64 * df);
        response.db.push(db(h.norm()));
        phases.push(h.arg().to_degrees());
        // Coherent averaging divides the noise power by the frame count.
        let noise = noise_power[i] / (frames * frames) as f64;
        snr_db.push(power_db(y.norm_sqr()) - power_db(noise));
    }
    response.phase_deg = Some(phases);
    Ok(ToneResults {
        onset_samples: onset,
        response,
        snr_db,
        frames,
        frame_tones,
    })
}
