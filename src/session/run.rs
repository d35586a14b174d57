//! Running a session: tip by tip, fit by fit, saving each fit as soon as it
//! is measured. The questions go through [`Ui`], so the same loop serves a
//! person at a terminal, a script feeding stdin, and `--yes`.

use super::config::ReferenceKind;
use super::measure::FitMeasurer;
use super::model::{FitRecord, SessionInfo, TipSpec, SCHEMA_VERSION};
use super::store::{self, Store};
use crate::analysis::seal::interpolate_db;
use crate::analysis::{FrequencyResponse, Measurement};
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::BufRead;

/// What the user answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Go on (measure / keep the fit).
    Go,
    /// Measure this fit again.
    Redo,
    /// Skip this fit.
    Skip,
    /// Stop here; the session can be resumed.
    Quit,
}

/// Where questions go and answers come from.
pub trait Ui {
    /// Show a line of text.
    fn say(&mut self, text: &str);
    /// Ask `question`; `allowed` lists the answers that make sense.
    fn ask(&mut self, question: &str, allowed: &[Answer]) -> Answer;
    /// Move the progress on by one fit.
    fn advance(&mut self);
}

/// The terminal: questions on stderr, answers from stdin lines, an
/// indicatif progress bar (hidden when stderr is not a terminal). With
/// `yes`, nothing is asked. End of input counts as quit.
pub struct TerminalUi {
    bar: ProgressBar,
    yes: bool,
}

impl TerminalUi {
    /// A terminal UI for `total` fits, `done` of them already measured.
    pub fn new(total: usize, done: usize, yes: bool) -> Self {
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40.cyan/blue} {pos}/{len} fits  {elapsed_precise}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_position(done as u64);
        Self { bar, yes }
    }

    /// Remove the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Ui for TerminalUi {
    fn say(&mut self, text: &str) {
        self.bar.suspend(|| eprintln!("{text}"));
    }

    fn ask(&mut self, question: &str, allowed: &[Answer]) -> Answer {
        if self.yes {
            return Answer::Go;
        }
        self.bar.suspend(|| loop {
            eprint!("{question} ");
            let mut line = String::new();
            match std::io::stdin().lock().read_line(&mut line) {
                Ok(0) | Err(_) => {
                    eprintln!();
                    return Answer::Quit;
                }
                Ok(_) => {}
            }
            let a = match line.trim().to_ascii_lowercase().as_str() {
                "" | "y" | "yes" | "k" | "keep" => Answer::Go,
                "r" | "redo" => Answer::Redo,
                "s" | "skip" => Answer::Skip,
                "q" | "quit" => Answer::Quit,
                _ => {
                    eprintln!("  answer with Enter, r, s or q");
                    continue;
                }
            };
            if allowed.contains(&a) {
                return a;
            }
            eprintln!("  that answer does not apply here");
        })
    }

    fn advance(&mut self) {
        self.bar.inc(1);
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every fit is measured or skipped.
    Complete,
    /// The user quit; `resume` continues.
    Stopped,
    /// Ctrl-C: stopped after saving what was finished.
    Interrupted,
}

/// Fits already stored (readable) in the session.
pub fn done_fits(dir: &std::path::Path, info: &SessionInfo) -> usize {
    info.tips
        .iter()
        .map(|t| {
            (1..=info.fits_per_tip)
                .filter(|&n| matches!(store::read_fit(dir, t, n), Ok(Some(_))))
                .count()
        })
        .sum()
}

/// Measure the sealed reference if the config asks and it is not there yet.
pub fn ensure_reference(
    store: &Store,
    info: &mut SessionInfo,
    measurer: &FitMeasurer,
    ui: &mut dyn Ui,
) -> Result<Outcome> {
    let wants = info
        .config
        .as_ref()
        .is_some_and(|c| c.reference.measure == ReferenceKind::Sealed);
    if !wants || info.reference.is_some() {
        return Ok(Outcome::Complete);
    }
    ui.say("Reference: seal the IEM with putty (or fit it to the coupler without a leak).");
    if ui.ask(
        "Press Enter to measure it (q = quit):",
        &[Answer::Go, Answer::Quit],
    ) == Answer::Quit
    {
        return Ok(Outcome::Stopped);
    }
    let (m, rec) = measurer.measure_reference()?;
    let wav = store.dir().join("reference.wav");
    crate::formats::wav::write_wav(
        &wav,
        &rec.channels,
        rec.rate,
        crate::formats::wav::SampleFormat::F32,
        None,
    )
    .context("cannot save the reference recording")?;
    ui.say(&format!(
        "  reference: bass {:+.1} dB re 300-1000 Hz, SNR {:.0} dB",
        m.seal.bass_db, m.snr_db
    ));
    info.reference = Some(m.frequency_response);
    store.save_info(info)?;
    Ok(Outcome::Complete)
}

/// Measure every fit not yet stored.
pub fn run(
    store: &Store,
    info: &mut SessionInfo,
    measurer: &FitMeasurer,
    ui: &mut dyn Ui,
) -> Result<Outcome> {
    if ensure_reference(store, info, measurer, ui)? == Outcome::Stopped {
        return Ok(Outcome::Stopped);
    }
    let refit_db = info.config.as_ref().map_or(2.5, |c| c.thresholds.refit_db);
    let tips = info.tips.clone();
    for (ti, tip) in tips.iter().enumerate() {
        for n in 1..=info.fits_per_tip {
            match store::read_fit(store.dir(), tip, n) {
                Ok(Some(_)) => continue,
                Ok(None) => {}
                Err(e) => ui.say(&format!("  {e:#}: measuring it again")),
            }
            if measurer.stop_token().is_stopped() {
                return Ok(Outcome::Interrupted);
            }
            match run_fit(store, info, measurer, ui, (ti, tip), n, refit_db) {
                Ok(Outcome::Complete) => {}
                Ok(o) => return Ok(o),
                Err(e) if e.is::<crate::interrupt::Interrupted>() => {
                    return Ok(Outcome::Interrupted)
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(Outcome::Complete)
}

fn run_fit(
    store: &Store,
    info: &SessionInfo,
    measurer: &FitMeasurer,
    ui: &mut dyn Ui,
    (ti, tip): (usize, &TipSpec),
    n: usize,
    refit_db: f64,
) -> Result<Outcome> {
    let of = info.fits_per_tip;
    let q = format!(
        "Insert tip '{}', fit {n} of {of}, press Enter (s = skip, q = quit):",
        tip.name
    );
    match ui.ask(&q, &[Answer::Go, Answer::Skip, Answer::Quit]) {
        Answer::Quit => return Ok(Outcome::Stopped),
        Answer::Skip => {
            store.save_fit(tip, &skipped(tip, n), None)?;
            ui.say(&format!("  tip '{}' fit {n}: skipped", tip.name));
            ui.advance();
            return Ok(Outcome::Complete);
        }
        _ => {}
    }
    let mut attempt = 1;
    loop {
        let m = measurer.measure(tip, ti, n, attempt, info.reference.as_ref())?;
        let rec = m
            .recording
            .as_ref()
            .map(|r| (r.channels.as_slice(), r.rate));
        store.save_fit(tip, &m.record, rec)?;
        ui.say(&verdict_line(&m.record, of));
        if measurer.stop_token().is_stopped() {
            ui.advance();
            return Ok(Outcome::Interrupted);
        }
        if let Some(advice) = refit_advice(store, info, tip, &m.record, refit_db) {
            ui.say(&advice);
        }
        match ui.ask(
            "  Enter = keep, r = redo, s = skip, q = quit:",
            &[Answer::Go, Answer::Redo, Answer::Skip, Answer::Quit],
        ) {
            Answer::Redo => attempt += 1,
            Answer::Skip => {
                store.save_fit(tip, &skipped(tip, n), None)?;
                ui.advance();
                return Ok(Outcome::Complete);
            }
            Answer::Quit => {
                ui.advance();
                return Ok(Outcome::Stopped);
            }
            Answer::Go => {
                ui.advance();
                return Ok(Outcome::Complete);
            }
        }
    }
}

fn skipped(tip: &TipSpec, n: usize) -> FitRecord {
    FitRecord {
        schema_version: SCHEMA_VERSION,
        tip: tip.name.clone(),
        fit: n,
        seal: None,
        quick: None,
        isolation: None,
        recording: None,
        rig: None,
        skipped: true,
        attempts: 0,
        source: None,
    }
}

/// The line printed as soon as a fit is measured.
pub fn verdict_line(r: &FitRecord, of: usize) -> String {
    let mut s = format!("  {} fit {}/{of}:", r.tip, r.fit);
    if let Some(m) = r.response() {
        s += &format!(" {}", m.seal.verdict);
        if m.seal.uncertain {
            s += " (uncertain: the bass is near the noise floor; redo in a quieter place)";
        }
        s += &seal_numbers(m);
    }
    if let Some(iso) = &r.isolation {
        if let Some(rating) = crate::analysis::isolation::isolation_rating(&iso.octave) {
            s += &format!(", isolation {rating:.1} dB (A-weighted pink)");
        }
    }
    s
}

fn seal_numbers(m: &Measurement) -> String {
    let mut s = match m.seal.bass_loss_db {
        Some(loss) => format!(" - bass loss {loss:.1} dB"),
        None => format!(" - bass {:+.1} dB re mids", m.seal.bass_db),
    };
    s += &match (m.seal.leak_corner_hz, m.seal.verdict) {
        (None, _) if m.seal.leak_fit_uncertain => match m.seal.minus3db_hz {
            Some(f) => format!(", leak corner uncertain (not a leak shape; -3 dB at {f:.0} Hz)"),
            None => ", leak corner uncertain (not a leak shape)".into(),
        },
        (Some(c), _) => format!(", leak corner {c:.0} Hz"),
        (None, crate::analysis::Verdict::NoSeal) => ", leak corner beyond the fitted range".into(),
        (None, _) => ", no leak corner above 15 Hz".into(),
    };
    s
}

/// Compare a new fit with the tip's other stored fits on a 1/6-octave grid
/// 20 Hz-1 kHz; advise a refit when two differ by more than `limit_db`.
pub fn refit_advice(
    store: &Store,
    info: &SessionInfo,
    tip: &TipSpec,
    new: &FitRecord,
    limit_db: f64,
) -> Option<String> {
    let grid = crate::dsp::grid::log_grid(20.0, 1000.0, 6);
    let sample = |fr: &FrequencyResponse| -> Vec<f64> {
        grid.iter()
            .map(|&f| interpolate_db(&fr.freq_hz, &fr.db, f))
            .collect()
    };
    let mine = sample(&new.response()?.frequency_response);
    let mut worst: Option<(usize, f64, f64)> = None;
    for n in (1..=info.fits_per_tip).filter(|&n| n != new.fit) {
        let Ok(Some(other)) = store::read_fit(store.dir(), tip, n) else {
            continue;
        };
        let Some(m) = other.response() else { continue };
        for (k, (a, b)) in mine.iter().zip(sample(&m.frequency_response)).enumerate() {
            let d = (a - b).abs();
            if d > limit_db && worst.is_none_or(|w| d > w.1) {
                worst = Some((n, d, grid[k]));
            }
        }
    }
    worst.map(|(n, d, f)| {
        format!(
            "  fit {} differs from fit {n} by {d:.1} dB at {f:.0} Hz (more than {limit_db} dB): a refit (r) may help",
            new.fit
        )
    })
}
