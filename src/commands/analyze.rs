//! `tipfit analyze`: a recording made elsewhere, against the played signal.

use super::{channel, check_output, emit, prepare};
use crate::analysis::drift::ClockMethod;
use crate::analysis::seal::{Corner, SealMetrics};
use crate::analysis::{
    AnalysisConfig, Analyzer, ClockCheck, ClockInfo, FrequencyResponse, Measurement, SyncAdvice,
};
use crate::cli::{AnalyzeArgs, SyncMode};
use crate::dsp::sync::{
    correct_range, layout_of, measure_ratio, ClockEstimate, Marked, MarkerSpec,
};
use crate::formats::wav::{read_wav, WavData};
use crate::report::text;
use crate::signal::{Stimulus, StimulusKind};
use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use serde_json::json;
use std::collections::BTreeMap;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Analyse one recording (today's summary or JSON document) or many (one
/// line, JSON line and CSV row each, in input order, analysed in parallel).
/// Exit code 1 when any recording of a batch failed.
pub fn run(a: AnalyzeArgs) -> Result<ExitCode> {
    let (response, mut cfg) = prepare(&a.analysis, &[])?;
    cfg.sync_advice = SyncAdvice::File;
    if let Some(csv) = &a.csv {
        check_output(csv, a.analysis.force)?;
    }
    let paths = recordings(&a.recordings)?;
    // freed buffers stay for the next stage and the next recording
    crate::allocator::batch();
    if paths.len() > 1 {
        // (one recording names itself in this error, as it always did)
        if a.channel == 0 {
            bail!(
                "--channel 0 does not exist: {}",
                crate::rig::channel::CHANNELS_COUNT_FROM_1
            );
        }
        if let Some(txt) = &a.analysis.export_txt {
            bail!(
                "--export-txt {}: writes the response of one recording, but {} were given: analyse that recording alone",
                txt.display(),
                paths.len()
            );
        }
    }
    let analyzer = Analyzer::new();
    // The long FFT's plan is made on another core while the files are read
    // (its length follows from the headers; a reference with sync markers
    // is cut shorter, and then this plan is simply not used).
    let frames = |p: &Path| {
        hound::WavReader::open(p)
            .ok()
            .map(|r| (r.duration() as usize, r.spec().sample_rate))
    };
    let first = paths.first().and_then(|p| frames(p));
    let first_frames = first.map(|(len, _)| len);
    if let (Some((rec, rate)), Some((stim, _))) = (first, frames(&a.reference)) {
        analyzer.prepare(rec, stim, rate);
    }
    let reference = Reference::read(&a.reference, a.sync, response, cfg)?;
    let outcome = std::thread::scope(|scope| {
        // The inverse of the reference and its sweep law are built on the
        // other core while the first recording is read and checked (the
        // analysis waits for them; a reference cut at its sync markers is
        // built by the analysis itself).
        if let (Some(len), None) = (first_frames, &reference.marked) {
            let (analyzer, stimulus) = (&analyzer, &reference.stimulus);
            let spawned = std::thread::Builder::new()
                .name("inverse".into())
                .spawn_scoped(scope, move || {
                    analyzer.inverse(stimulus, len);
                    analyzer.sweep_law(stimulus);
                });
            // without a thread, the analysis builds them when it needs them
            drop(spawned);
        }
        if let [path] = paths.as_slice() {
            one(&a, &reference, &analyzer, path)?;
            Ok(ExitCode::SUCCESS)
        } else {
            many(&a, &reference, &analyzer, &paths)
        }
    });
    // The long buffers (the inverse, the FFT plans and scratch, the
    // reference's samples) are not freed one by one: the process ends
    // with this command and gives them back at once (unmapping them here
    // would cost milliseconds of a run of tens).
    std::mem::forget(analyzer);
    std::mem::forget(reference);
    outcome
}

/// The recordings the inputs name, in order: a file as it is (a file that
/// does not exist fails on its own line), a folder's `*.wav` files sorted
/// by name (not recursive), `-` the paths on stdin, one per line (blank
/// lines ignored).
fn recordings(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stdin_read = false;
    for input in inputs {
        if input.as_os_str() == "-" {
            if stdin_read {
                bail!("`-` (the paths on stdin) is given twice: give it once");
            }
            stdin_read = true;
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("-: cannot read the list of recordings from stdin")?;
            let listed: Vec<PathBuf> = text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(PathBuf::from)
                .collect();
            if listed.is_empty() {
                bail!("-: no recordings listed on stdin: give one path per line (e.g. `ls recs/*.wav | tipfit analyze - --reference sweep.wav`)");
            }
            out.extend(listed);
        } else if input.is_dir() {
            let mut wavs: Vec<PathBuf> = std::fs::read_dir(input)
                .with_context(|| format!("{}: cannot list the folder", input.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file() && p.extension().is_some_and(|x| x.eq_ignore_ascii_case("wav"))
                })
                .collect();
            if wavs.is_empty() {
                bail!(
                    "{}: the folder holds no .wav files: give the folder of the recordings, or the files",
                    input.display()
                );
            }
            wavs.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
            out.extend(wavs);
        } else {
            out.push(input.clone());
        }
    }
    Ok(out)
}

/// The played signal, read and checked once for every recording, with the
/// analysis settings.
struct Reference {
    /// As given.
    path: PathBuf,
    /// Its sample rate.
    rate: u32,
    /// What the signal is, ready to analyse against.
    stimulus: Stimulus,
    /// The marked signal when the file has sync markers.
    marked: Option<Marked>,
    /// Why its description was ignored (a warning of every result).
    note: Option<String>,
    /// `--sync`.
    sync: SyncMode,
    /// `--reference-response`.
    response: Option<FrequencyResponse>,
    /// The analysis settings (the clock check is set per recording).
    cfg: AnalysisConfig,
}

impl Reference {
    /// Read and check the reference at `path` (silent, too short, sync
    /// markers missing or misplaced are refused).
    fn read(
        path: &Path,
        sync: SyncMode,
        response: Option<FrequencyResponse>,
        cfg: AnalysisConfig,
    ) -> Result<Self> {
        let mut stim = read_wav(path)?;
        let peak = stim.channels[0].iter().fold(0f32, |m, v| m.max(v.abs()));
        if crate::dsp::db(peak as f64) < crate::analysis::quality::SILENCE_DBFS {
            bail!(
                "{}: the reference signal is silent: give the file that was played",
                path.display()
            );
        }
        if stim.channels[0].len() < (stim.rate / 10) as usize {
            bail!(
                "{}: the reference is only {} samples long; a sweep or noise of at least 0.1 s is needed",
                path.display(),
                stim.channels[0].len()
            );
        }
        let kind = stim.stimulus.clone().unwrap_or(StimulusKind::External);
        let (stimulus, marked) = match (&stim.sync_markers, sync) {
            (Some(spec), _) => {
                let (marked, stimulus) = marked_reference(&stim, kind, spec, path)?;
                (stimulus, Some(marked))
            }
            (None, SyncMode::On) => bail!(
                "--sync on: {} has no sync markers: write the signal with them (e.g. `tipfit signal sweep --sync-markers --out marked.wav`), play that file and record it; or leave --sync at auto to estimate the drift from the recording",
                path.display()
            ),
            (None, _) => {
                let stimulus = Stimulus {
                    samples: std::mem::take(&mut stim.channels[0]),
                    rate: stim.rate,
                    kind,
                };
                (stimulus, None)
            }
        };
        Ok(Self {
            path: path.to_path_buf(),
            rate: stim.rate,
            stimulus,
            marked,
            note: stim.stimulus_note,
            sync,
            response,
            cfg,
        })
    }
}

/// Analyse channel `channel` of the recording at `path` against `r`: the
/// measurement and the members the JSON document adds (recording,
/// channel, reference).
fn analyse_one(
    r: &Reference,
    analyzer: &Analyzer,
    path: &Path,
    channel_no: usize,
) -> Result<(Measurement, serde_json::Value)> {
    let rec = read_wav(path)?;
    let samples = channel(&rec, path, channel_no, "--channel")?;
    if rec.rate != r.rate {
        bail!(
            "{}: recorded at {} Hz, but the reference {} is at {} Hz: record at the reference's rate",
            path.display(),
            rec.rate,
            r.path.display(),
            r.rate
        );
    }
    let at = || format!("{} (channel {channel_no})", path.display());
    let mut cfg = r.cfg.clone();
    if r.sync == SyncMode::Off {
        cfg.clock = ClockCheck::Off;
    }
    let (cut, shift) = match &r.marked {
        Some(marked) => {
            let est = measure_ratio(samples, &marked.layout, &marked.marker, rec.rate)
                .with_context(|| format!("{}: the sync markers of {}", at(), r.path.display()))?;
            let ratio = if r.sync == SyncMode::Off {
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
            let (cut, shift) = cut_marked(samples, marked, &est, ratio);
            (Some(cut), shift)
        }
        None => (None, 0),
    };
    let analysed = analyzer
        .analyse(
            cut.as_deref().unwrap_or(samples),
            rec.rate,
            &r.stimulus,
            r.response.as_ref(),
            &cfg,
        )
        .with_context(at);
    // A description that was ignored explains a failure too.
    let mut m = match (analysed, &r.note) {
        (Err(e), Some(note)) => return Err(e.context(note.clone())),
        (result, _) => result?,
    };
    m.warnings.extend(r.note.clone());
    m.latency_s += shift as f64 / rec.rate as f64;
    check_finite(&m, path, channel_no)?;
    let extra = json!({
        "recording": path.display().to_string(),
        "channel": channel_no,
        "reference": r.path.display().to_string(),
    });
    Ok((m, extra))
}

/// One recording: the summary or the JSON document as always (an error is
/// the command's error), and its CSV row when asked.
fn one(a: &AnalyzeArgs, r: &Reference, analyzer: &Analyzer, path: &Path) -> Result<()> {
    let result = analyse_one(r, analyzer, path, a.channel);
    if let Some(csv) = &a.csv {
        write_csv(csv, &[csv_row(path, &result)])?;
        eprintln!("wrote {}", csv.display());
    }
    let (m, doc) = result?;
    let source = format!("{} channel {}", path.display(), a.channel);
    let extra = super::Extra {
        doc,
        ..super::Extra::default()
    };
    emit(&m, extra, &a.analysis, &source)
}

/// How long a batch runs before its progress bar shows.
const PROGRESS_AFTER: Duration = Duration::from_secs(1);

/// Many recordings, analysed in parallel; each one's line (or JSON line)
/// printed in input order as soon as it and those before it are done.
fn many(
    a: &AnalyzeArgs,
    r: &Reference,
    analyzer: &Analyzer,
    paths: &[PathBuf],
) -> Result<ExitCode> {
    let width = paths
        .iter()
        .map(|p| p.display().to_string().chars().count())
        .max()
        .unwrap_or(0);
    let bar = ProgressBar::with_draw_target(Some(paths.len() as u64), ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40.cyan/blue} {pos}/{len} recordings  {elapsed_precise}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let terminal = std::io::stderr().is_terminal();
    let started = Instant::now();
    let mut rows = Vec::with_capacity(paths.len());
    let mut failed = Vec::new();
    let mut pending = BTreeMap::new();
    let mut stdout = std::io::stdout().lock();
    // Set when the results can no longer be printed: the rest is skipped.
    let stop = AtomicBool::new(false);
    let outcome = std::thread::scope(|scope| -> Result<()> {
        let (tx, rx) = mpsc::channel();
        let stop = &stop;
        scope.spawn(move || {
            paths
                .par_iter()
                .enumerate()
                .for_each_with(tx, |tx, (i, path)| {
                    if !stop.load(Ordering::Relaxed) {
                        // the receiver is gone only when printing failed
                        let _ = tx.send((i, analyse_one(r, analyzer, path, a.channel)));
                    }
                });
        });
        let stopping = |e: anyhow::Error| {
            stop.store(true, Ordering::Relaxed);
            e
        };
        let mut next = 0;
        while next < paths.len() {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok((i, result)) => {
                    pending.insert(i, result);
                    bar.inc(1);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    bail!("the analysis threads ended early (a defect in tipfit: please report it)")
                }
            }
            if terminal && bar.is_hidden() && started.elapsed() >= PROGRESS_AFTER {
                bar.set_draw_target(ProgressDrawTarget::stderr());
            }
            while let Some(result) = pending.remove(&next) {
                let path = &paths[next];
                let line = match (&result, a.analysis.json) {
                    (Ok((m, doc)), true) => super::document(m, doc.clone(), &a.analysis)
                        .and_then(|d| Ok(serde_json::to_string(&d)?))
                        .map_err(stopping)?,
                    (Ok((m, _)), false) => text_line(path, width, m),
                    (Err(e), true) => json!({
                        "recording": path.display().to_string(),
                        "channel": a.channel,
                        "error": format!("{e:#}"),
                    })
                    .to_string(),
                    (Err(e), false) => {
                        format!("{:width$}  error: {e:#}", path.display().to_string())
                    }
                };
                if result.is_err() {
                    failed.push(path.display().to_string());
                }
                bar.suspend(|| writeln!(stdout, "{line}").and_then(|()| stdout.flush()))
                    .context("cannot write the results to stdout")
                    .map_err(stopping)?;
                rows.push(csv_row(path, &result));
                next += 1;
            }
        }
        Ok(())
    });
    bar.finish_and_clear();
    outcome?;
    if let Some(csv) = &a.csv {
        write_csv(csv, &rows)?;
        eprintln!("wrote {}", csv.display());
    }
    if failed.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "{} of {} recordings could not be analysed: {}",
            failed.len(),
            paths.len(),
            failed.join(", ")
        );
        Ok(ExitCode::from(1))
    }
}

/// A leak corner in a few words: "97 Hz", "< 15 Hz", "> 1.0 kHz",
/// "uncertain" (not a leak shape), "-" (no fit).
fn corner_words(s: &SealMetrics) -> String {
    if s.leak_fit_uncertain {
        "uncertain".into()
    } else {
        s.leak_corner.map_or("-".into(), text::corner)
    }
}

/// One recording's line of a batch: file, verdict, bass, leak corner,
/// -3 dB point, SNR, warnings; columns aligned.
fn text_line(path: &Path, width: usize, m: &Measurement) -> String {
    let s = &m.seal;
    let mut verdict = s.verdict.to_string().to_uppercase();
    if s.uncertain {
        verdict += "?";
    }
    let bass = format!(
        "{}{:+.1} dB",
        if s.bass_floor_limited { "<=" } else { "" },
        s.bass_db
    );
    let loss = s
        .bass_loss_db
        .map_or(String::new(), |l| format!("  loss {l:.1} dB"));
    let minus3 = s.minus3db_hz.map_or("-".into(), text::hz);
    let warnings = match m.warnings.len() {
        0 => "no warnings".to_string(),
        1 => "1 warning".to_string(),
        n => format!("{n} warnings"),
    };
    format!(
        "{:width$}  {verdict:<8} bass {bass:>9}{loss}  leak corner {:<9}  -3 dB {minus3:<8}  SNR {:>3.0} dB  {warnings}",
        path.display().to_string(),
        corner_words(s),
        m.snr_db
    )
}

/// The header of `--csv`.
const CSV_HEADER: &str =
    "file,verdict,bass_db,bass_loss_db,leak_corner,leak_corner_hz,minus3db_hz,snr_db,warnings,error";

/// One recording's CSV row (without its line end).
fn csv_row(path: &Path, result: &Result<(Measurement, serde_json::Value)>) -> String {
    let num = |v: Option<f64>, digits: usize| v.map_or(String::new(), |x| format!("{x:.digits$}"));
    let cells: Vec<String> = match result {
        Ok((m, _)) => {
            let s = &m.seal;
            let (kind, hz) = match s.leak_corner {
                _ if s.leak_fit_uncertain => ("uncertain", None),
                Some(Corner::Value { hz }) => ("value", Some(hz)),
                Some(Corner::Below { hz }) => ("below", Some(hz)),
                Some(Corner::Above { hz }) => ("above", Some(hz)),
                None => ("", None),
            };
            vec![
                path.display().to_string(),
                s.verdict.to_string(),
                num(Some(s.bass_db), 2),
                num(s.bass_loss_db, 2),
                kind.to_string(),
                num(hz, 1),
                num(s.minus3db_hz, 1),
                num(Some(m.snr_db), 1),
                m.warnings.join("; "),
                String::new(),
            ]
        }
        Err(e) => {
            let mut cells = vec![path.display().to_string()];
            cells.extend(std::iter::repeat_n(String::new(), 8));
            cells.push(format!("{e:#}"));
            cells
        }
    };
    cells
        .iter()
        .map(|c| crate::report::table::csv_field(c))
        .collect::<Vec<_>>()
        .join(",")
}

/// Write the CSV of `rows` to `path` at once (no half-written file).
fn write_csv(path: &Path, rows: &[String]) -> Result<()> {
    let mut text = String::from(CSV_HEADER);
    text.push('\n');
    for row in rows {
        text += row;
        text.push('\n');
    }
    crate::formats::atomic_write(path, text.as_bytes())
        .with_context(|| format!("{}: cannot write", path.display()))
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
