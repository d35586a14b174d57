//! `tipfit analyze`: a recording made elsewhere, against the played signal.

use super::{channel, emit, prepare};
use crate::analysis::Analyzer;
use crate::cli::AnalyzeArgs;
use crate::formats::wav::read_wav;
use crate::signal::{Stimulus, StimulusKind};
use anyhow::{bail, Context, Result};
use serde_json::json;

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
    let extra = json!({
        "recording": a.recording.display().to_string(),
        "channel": a.channel,
        "reference": a.reference.display().to_string(),
    });
    let source = format!("{} channel {}", a.recording.display(), a.channel);
    emit(&m, extra, "", &a.analysis, &source)
}
