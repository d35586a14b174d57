//! `tipfit analyze`: a recording made elsewhere, against the played signal.

use super::{channel, emit, prepare};
use crate::analysis::{Analyzer, Measurement};
use crate::cli::AnalyzeArgs;
use crate::formats::wav::read_wav;
use crate::signal::{Stimulus, StimulusKind};
use anyhow::{bail, Context, Result};
use serde_json::json;
use std::path::Path;

pub fn run(a: AnalyzeArgs) -> Result<()> {
    let (reference, cfg) = prepare(&a.analysis, &[])?;
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
    let stimulus = Stimulus {
        samples: stim.channels[0].clone(),
        rate: stim.rate,
        kind: stim.stimulus.unwrap_or(StimulusKind::External),
    };
    let m = Analyzer::new()
        .analyse(samples, rec.rate, &stimulus, reference.as_ref(), &cfg)
        .with_context(|| format!("{} (channel {})", a.recording.display(), a.channel))?;
    check_finite(&m, &a.recording, a.channel)?;
    let extra = json!({
        "recording": a.recording.display().to_string(),
        "channel": a.channel,
        "reference": a.reference.display().to_string(),
    });
    let source = format!("{} channel {}", a.recording.display(), a.channel);
    emit(&m, extra, "", &a.analysis, &source)
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
