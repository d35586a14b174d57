//! What each command does: parse-validated options in, files and text out.

mod analyze;
mod calibrate;
mod compare;
mod demo;
mod device_common;
mod devices;
mod import;
mod isolation;
mod measure;
mod monitor;
mod rating;
mod report;
mod session;
mod signal;
mod summary;

use crate::analysis::{AnalysisConfig, FrequencyResponse, Measurement};
use crate::cli::{AnalysisArgs, Cli, Command};
use crate::formats::wav::WavData;
use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::ExitCode;

/// Run a parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Signal(cmd) => signal::run(cmd),
        Command::Measure(args) => measure::run(*args),
        Command::Analyze(args) => return analyze::run(args),
        Command::Isolation(args) => isolation::run(args),
        Command::Rating(args) => rating::run(args),
        Command::Session(cmd) => session::run(cmd),
        Command::Compare(args) => compare::run(args),
        Command::Report(args) => report::run(args),
        Command::Import(args) => import::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Devices(args) => devices::run(args),
        Command::Monitor(args) => monitor::run(*args),
        Command::Calibrate(cmd) => calibrate::run(cmd),
    }?;
    Ok(ExitCode::SUCCESS)
}

/// Check, before any work, that `path` can be written: its folder exists
/// and, unless `force`, the file does not.
pub(crate) fn check_output(path: &Path, force: bool) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        bail!(
            "{}: the folder {} does not exist",
            path.display(),
            dir.display()
        );
    }
    if path.is_dir() {
        bail!("{}: is a folder, not a file", path.display());
    }
    if path.exists() && !force {
        bail!(
            "{}: already exists; pass --force to overwrite it",
            path.display()
        );
    }
    Ok(())
}

/// What `measure` and `analyze` take from their shared options, before any
/// work: every output path checked (`extra_outputs` too), the reference
/// response loaded, and the analysis settings.
pub(crate) fn prepare(
    args: &AnalysisArgs,
    extra_outputs: &[&Path],
) -> Result<(Option<FrequencyResponse>, AnalysisConfig)> {
    for path in args
        .export_txt
        .iter()
        .map(|p| p.as_path())
        .chain(extra_outputs.iter().copied())
    {
        check_output(path, args.force)?;
    }
    let reference = args
        .reference_response
        .as_deref()
        .map(load_reference)
        .transpose()?;
    if args.bass_band.1 > args.reference_band.0 {
        bail!(
            "--bass-band {}-{} must lie below --reference-band {}-{}",
            args.bass_band.0,
            args.bass_band.1,
            args.reference_band.0,
            args.reference_band.1
        );
    }
    let mut cfg = AnalysisConfig {
        smoothing: args.smoothing,
        ..AnalysisConfig::default()
    };
    cfg.seal.bass_band_hz = args.bass_band;
    cfg.seal.reference_band_hz = args.reference_band;
    if let Some(path) = &args.mic_cal {
        cfg.corrections.push(crate::formats::miccal::read(path)?);
    }
    Ok((reference, cfg))
}

/// Channel `n` (1-based, given with `flag`) of a WAV read from `path`, or
/// an error that says which channels exist.
pub(crate) fn channel<'w>(w: &'w WavData, path: &Path, n: usize, flag: &str) -> Result<&'w [f32]> {
    let count = w.channels.len();
    if n == 0 {
        bail!(
            "{}: {flag} 0 does not exist: {} (use 1 to {count})",
            path.display(),
            crate::rig::channel::CHANNELS_COUNT_FROM_1
        );
    }
    if n > count {
        bail!(
            "{}: has {count} channel(s); {flag} {n} does not exist (use 1 to {count})",
            path.display()
        );
    }
    Ok(&w.channels[n - 1])
}

/// Load a reference response or target ([`crate::formats::response::load`]).
pub(crate) fn load_reference(path: &Path) -> Result<FrequencyResponse> {
    crate::formats::response::load(path)
}

/// What a command adds to a measurement's output.
#[derive(Debug, Default)]
pub(crate) struct Extra {
    /// More members of the JSON document.
    pub doc: serde_json::Value,
    /// More lines of the summary.
    pub text: String,
    /// The SPL calibration's offset when levels are in dB SPL (for the REW
    /// text's level comment).
    pub spl_offset_db: Option<f64>,
    /// The sim's true leak corner (the summary names it).
    pub truth_corner_hz: Option<f64>,
}

/// The JSON document of `m`: the measurement, the members `extra` adds
/// and the microphone calibration's file (`--mic-cal`).
pub(crate) fn document(
    m: &Measurement,
    mut extra: serde_json::Value,
    args: &AnalysisArgs,
) -> Result<serde_json::Value> {
    if let Some(path) = &args.mic_cal {
        if !extra["calibration"].is_object() {
            extra["calibration"] = serde_json::json!({});
        }
        extra["calibration"]["mic_cal"] = serde_json::json!(path);
    }
    let mut doc = serde_json::to_value(m)?;
    if let (Some(obj), serde_json::Value::Object(more)) = (doc.as_object_mut(), extra) {
        obj.extend(more);
    }
    Ok(doc)
}

/// Write what the user asked for: JSON or summary on stdout, REW text.
pub(crate) fn emit(m: &Measurement, extra: Extra, args: &AnalysisArgs, source: &str) -> Result<()> {
    let Extra {
        doc: extra,
        text: mut extra_text,
        spl_offset_db: spl,
        truth_corner_hz,
    } = extra;
    if let Some(path) = &args.mic_cal {
        let line = format!("microphone calibration {} subtracted", path.display());
        extra_text += &format!("  calibration    {line}\n");
    }
    if let Some(path) = &args.export_txt {
        let mut comments = vec![
            format!("Frequency response exported by tipfit {}", m.tipfit_version),
            format!("Source: {source}"),
            format!("Smoothing: {}", m.smoothing),
            match spl {
                Some(o) => {
                    format!("Level: dB SPL for a 0 dBFS RMS drive (0 dBFS RMS = {o:.1} dB SPL)")
                }
                None => "Level: dB re unity gain (recording / stimulus)".to_string(),
            },
        ];
        if let Some(cal) = &args.mic_cal {
            comments.push(format!("Mic calibration: {}", cal.display()));
        }
        let text = crate::formats::rew::render(&m.frequency_response, &comments);
        crate::formats::atomic_write(path, text.as_bytes())
            .with_context(|| format!("{}: cannot write", path.display()))?;
    }
    if args.json {
        let doc = document(m, extra, args)?;
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        print!(
            "{}{extra_text}",
            summary::render(m, source, truth_corner_hz)
        );
    }
    Ok(())
}
