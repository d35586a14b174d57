//! `tipfit analyze`: a recording made elsewhere, against the played signal.

use super::{channel, emit, prepare};
use crate::analysis::{AnalysisConfig, Analyzer, Measurement};
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
    check_finite(&m, &a.recording, a.channel, &cfg)?;
    let extra = json!({
        "recording": a.recording.display().to_string(),
        "channel": a.channel,
        "reference": a.reference.display().to_string(),
    });
    let source = format!("{} channel {}", a.recording.display(), a.channel);
    emit(&m, extra, "", &a.analysis, &source)
}

/// Refuse a result holding a number that is not finite: JSON would show it
/// as `null`, the summary and the REW export as NaN or inf. The seal bands
/// are judged on the 1/12-octave seal grid up to 2 kHz, which a band can
/// miss (above 2 kHz, or narrower than the grid's steps) even when the
/// reported response covers it: that is the user's to change. Anything
/// else is a defect.
fn check_finite(
    m: &Measurement,
    recording: &Path,
    channel: usize,
    cfg: &AnalysisConfig,
) -> Result<()> {
    let at = || format!("{} (channel {channel})", recording.display());
    if !m.seal.bass_db.is_finite() {
        let ((b0, b1), (r0, r1)) = (cfg.seal.bass_band_hz, cfg.seal.reference_band_hz);
        bail!(
            "{}: the seal cannot be judged: the bass band {b0}-{b1} Hz or the reference band \
             {r0}-{r1} Hz holds no point of the seal metrics' 1/12-octave grid, which ends at \
             2 kHz (or at the top of the stimulus); widen the band or keep it below 2 kHz",
            at()
        );
    }
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
