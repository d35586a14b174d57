//! `tipfit analyze`: a recording made elsewhere, against the played signal.

use super::{channel, emit, prepare};
use crate::analysis::drift::ClockMethod;
use crate::analysis::{Analyzer, ClockCheck, ClockInfo, Measurement, SyncAdvice};
use crate::cli::{AnalyzeArgs, SyncMode};
use crate::dsp::sync::{
    correct_range, layout_of, measure_ratio, ClockEstimate, Marked, MarkerSpec,
};
use crate::formats::wav::{read_wav, WavData};
use crate::signal::{Stimulus, StimulusKind};
use anyhow::{bail, Context, Result};
use serde_json::json;
use std::path::Path;

pub fn run(a: AnalyzeArgs) -> Result<()> {
    let (reference, mut cfg) = prepare(&a.analysis, &[])?;
    cfg.sync_advice = SyncAdvice::File;
    let rec = read_wav(&a.recording)?;
    let stim = read_wav(&a.reference)?;
    let samples = channel(&rec, &a.recording, a.channel, "--channel")?;
    if rec.rate != stim.rate {
        bail!(
            "{}: recorded at {} Hz, but the reference {} is at {} Hz: record at the reference's rate",
            a.recording.display(),
            rec.rate,
            a.reference.display(),
            stim.rate
        );
    }
    let peak = stim.channels[0].iter().fold(0f32, |m, v| m.max(v.abs()));
    if crate::dsp::db(peak as f64) < crate::analysis::quality::SILENCE_DBFS {
        bail!(
            "{}: the reference signal is silent: give the file that was played",
            a.reference.display()
        );
    }
    if stim.channels[0].len() < (stim.rate / 10) as usize {
        bail!(
            "{}: the reference is only {} samples long; a sweep or noise of at least 0.1 s is needed",
            a.reference.display(),
            stim.channels[0].len()
        );
    }
    let kind = stim.stimulus.clone().unwrap_or(StimulusKind::External);
    let at = || format!("{} (channel {})", a.recording.display(), a.channel);
    let (stimulus, cut, shift) = match (&stim.sync_markers, a.sync) {
        (Some(spec), sync) => {
            let (marked, stimulus) = marked_reference(&stim, kind, spec, &a.reference)?;
            let est = measure_ratio(samples, &marked.layout, &marked.marker, rec.rate)
                .with_context(|| format!("{}: the sync markers of {}", at(), a.reference.display()))?;
            let ratio = if sync == SyncMode::Off {
                cfg.clock = ClockCheck::Off;
                1.0
            } else {
                cfg.clock = ClockCheck::Known(ClockInfo {
                    clock_ppm: est.ppm,
                    method: ClockMethod::SyncMarkers,
                    corrected: true,
                    uncertainty_ppm: None,
                });
                est.ratio
            };
            let (cut, shift) = cut_marked(samples, &marked, &est, ratio);
            (stimulus, Some(cut), shift)
        }
        (None, SyncMode::On) => bail!(
            "--sync on: {} has no sync markers: write the signal with them (e.g. `tipfit signal sweep --sync-markers --out marked.wav`), play that file and record it; or leave --sync at auto to estimate the drift from the recording",
            a.reference.display()
        ),
        (None, sync) => {
            if sync == SyncMode::Off {
                cfg.clock = ClockCheck::Off;
            }
            let stimulus = Stimulus {
                samples: stim.channels[0].clone(),
                rate: stim.rate,
                kind,
            };
            (stimulus, None, 0)
        }
    };
    let analysed = Analyzer::new()
        .analyse(
            cut.as_deref().unwrap_or(samples),
            rec.rate,
            &stimulus,
            reference.as_ref(),
            &cfg,
        )
        .with_context(at);
    // A description that was ignored explains a failure too.
    let mut m = match (analysed, &stim.stimulus_note) {
        (Err(e), Some(note)) => return Err(e.context(note.clone())),
        (r, _) => r?,
    };
    m.warnings.extend(stim.stimulus_note.clone());
    m.latency_s += shift as f64 / rec.rate as f64;
    check_finite(&m, &a.recording, a.channel)?;
    let extra = json!({
        "recording": a.recording.display().to_string(),
        "channel": a.channel,
        "reference": a.reference.display().to_string(),
    });
    let source = format!("{} channel {}", a.recording.display(), a.channel);
    let extra = super::Extra {
        doc: extra,
        ..super::Extra::default()
    };
    emit(&m, extra, &a.analysis, &source)
}

/// The reference written with sync markers (`tipfit signal ...
/// --sync-markers`): the marked signal, and the signal between the
/// markers with what made it.
fn marked_reference(
    stim: &WavData,
    kind: StimulusKind,
    spec: &MarkerSpec,
    path: &Path,
) -> Result<(Marked, Stimulus)> {
    let samples = &stim.channels[0];
    let marker = crate::dsp::sync::marker(stim.rate, spec);
    let layout = layout_of(samples.len(), stim.rate, spec);
    let fits = |at: usize| {
        samples
            .get(at..at + marker.len())
            .is_some_and(|s| s.iter().zip(&marker).all(|(a, b)| (a - b).abs() < 1e-3))
    };
    let Some(layout) = layout.filter(|l| fits(l.first_at) && fits(l.second_at)) else {
        bail!(
            "{}: its comment says it has sync markers, but they are not where they should be (was the file edited or resampled?): write it again with `tipfit signal ... --sync-markers`",
            path.display()
        );
    };
    let stimulus = Stimulus {
        samples: samples[layout.stimulus_at..layout.stimulus_at + layout.stimulus_len].to_vec(),
        rate: stim.rate,
        kind,
    };
    if let Err(why) = stimulus.kind.check_against(&stimulus.samples, stim.rate) {
        bail!(
            "{}: the signal between its sync markers is not the one its description gives ({why}): write it again with `tipfit signal ... --sync-markers`",
            path.display()
        );
    }
    let marked = Marked {
        stimulus: Stimulus {
            samples: samples.clone(),
            rate: stim.rate,
            kind: StimulusKind::External,
        },
        layout,
        marker,
    };
    Ok((marked, stimulus))
}

/// The part of `recording` that holds the signal between the markers,
/// resampled by `ratio` onto the player's clock (1: as it is), and the
/// player samples cut off before it beyond the signal's own timing.
///
/// A recording made elsewhere may start long before the player does: the
/// cut keeps at most a quarter of the gap between a marker and the signal
/// as latency (all of it when the latency is shorter), and runs half a gap
/// past the signal's end, so that neither marker's response is in it.
fn cut_marked(
    recording: &[f32],
    marked: &Marked,
    est: &ClockEstimate,
    ratio: f64,
) -> (Vec<f32>, usize) {
    let l = &marked.layout;
    let gap = l.stimulus_at - l.first_at - l.len;
    let latency = (est.first_found_at / ratio - l.first_at as f64).max(0.0);
    let shift = (latency.floor() as usize).saturating_sub(gap / 4);
    let cut = correct_range(
        recording,
        ratio,
        l.stimulus_at + shift,
        l.stimulus_len + gap / 2,
    );
    (cut, shift)
}

/// Refuse a result holding a number that is not finite: JSON would show it
/// as `null`, the summary and the REW export as NaN or inf. Seal bands off
/// the seal grid are refused earlier by the analyzer
/// (`AnalysisError::SealOffGrid`); anything left is a defect.
fn check_finite(m: &Measurement, recording: &Path, channel: usize) -> Result<()> {
    let at = || format!("{} (channel {channel})", recording.display());
    let finite = |v: &[f64]| v.iter().all(|x| x.is_finite());
    let fr = &m.frequency_response;
    let seal = &m.seal;
    let checks = [
        ("latency", m.latency_s.is_finite()),
        ("SNR", m.snr_db.is_finite()),
        (
            "frequency response",
            finite(&fr.freq_hz) && finite(&fr.db) && fr.phase_deg.as_deref().is_none_or(finite),
        ),
        (
            "THD",
            finite(&m.thd_percent.freq_hz) && finite(&m.thd_percent.value),
        ),
        (
            "band SNR",
            finite(&m.snr_bands.centre_hz) && finite(&m.snr_bands.snr_db),
        ),
        (
            "seal metric",
            seal.bass_loss_db.is_none_or(f64::is_finite)
                && seal.leak_corner_hz.is_none_or(f64::is_finite)
                && seal.minus3db_hz.is_none_or(f64::is_finite)
                && seal
                    .leak_fit
                    .as_ref()
                    .is_none_or(|f| finite(&[f.f0_hz, f.zeta, f.rms_error_db])),
        ),
    ];
    if let Some((what, _)) = checks.iter().find(|(_, ok)| !ok) {
        bail!(
            "{}: the analysis gave a {what} that is not a finite number (a defect in tipfit: \
             please report it with the recording)",
            at()
        );
    }
    Ok(())
}
