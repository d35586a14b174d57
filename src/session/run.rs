//! Running a session: tip by tip, fit by fit, saving each fit as soon as it
//! is measured. The questions go through [`Ui`], so the same loop serves a
//! person at a terminal, a script feeding stdin, and `--yes`.

use super::config::{Ear, ReferenceKind};
use super::measure::{FitMeasurer, MeasuredFit};
use super::model::{FitRecord, SessionInfo, TipSpec, SCHEMA_VERSION};
use super::store::{self, Store};
use crate::analysis::seal::interpolate_db;
use crate::analysis::{FrequencyResponse, Measurement};
use crate::interrupt::StopToken;
use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use std::collections::HashSet;
use std::io::BufRead;
use std::sync::mpsc::{Receiver, RecvTimeoutError};

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
    /// The input ended (stdin closed) before an answer: stop, resumable.
    /// Returned whatever `allowed` says.
    EndOfInput,
    /// Ctrl-C while waiting for an answer: stop, resumable. Returned
    /// whatever `allowed` says.
    Interrupted,
}

impl Answer {
    /// How the run ends on this answer, if it ends it.
    fn stop(self) -> Option<Outcome> {
        match self {
            Answer::Quit => Some(Outcome::Stopped),
            Answer::EndOfInput => Some(Outcome::EndOfInput),
            Answer::Interrupted => Some(Outcome::Interrupted),
            Answer::Go | Answer::Redo | Answer::Skip => None,
        }
    }
}

/// Where questions go and answers come from.
pub trait Ui {
    /// Show a line of text.
    fn say(&mut self, text: &str);
    /// Ask `question`; `allowed` lists the answers that make sense.
    fn ask(&mut self, question: &str, allowed: &[Answer]) -> Answer;
    /// Move the progress on by one fit.
    fn advance(&mut self);
    /// Whether every question is answered "go" without asking (`--yes`):
    /// then fits can be measured ahead.
    fn answers_itself(&self) -> bool {
        false
    }
}

/// The terminal: questions on stderr, answers from stdin lines, an
/// indicatif progress bar (hidden when stderr is not a terminal). With
/// `yes`, nothing is asked. End of input is [`Answer::EndOfInput`];
/// Ctrl-C while waiting (the stop token set) is [`Answer::Interrupted`].
pub struct TerminalUi {
    bar: ProgressBar,
    yes: bool,
    stop: StopToken,
    lines: Option<Receiver<Option<String>>>,
}

impl TerminalUi {
    /// A terminal UI for `total` fits, `done` of them already stored;
    /// waiting for an answer ends when `stop` is set.
    pub fn new(total: usize, done: usize, yes: bool, stop: StopToken) -> Self {
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40.cyan/blue} {pos}/{len} fits  {elapsed_precise}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_position(done as u64);
        Self {
            bar,
            yes,
            stop,
            lines: None,
        }
    }

    /// Remove the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    /// The next line of stdin (`None` at its end), or `Err` when the stop
    /// token is set first. Stdin is read on a thread of its own (started
    /// at the first question), so that Ctrl-C ends the wait at once.
    fn next_line(&mut self) -> std::result::Result<Option<String>, ()> {
        let lines = self.lines.get_or_insert_with(|| {
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || loop {
                let mut line = String::new();
                let got = match std::io::stdin().lock().read_line(&mut line) {
                    Ok(0) | Err(_) => None,
                    Ok(_) => Some(line),
                };
                let end = got.is_none();
                if tx.send(got).is_err() || end {
                    return;
                }
            });
            rx
        });
        loop {
            if self.stop.is_stopped() {
                return Err(());
            }
            match lines.recv_timeout(std::time::Duration::from_millis(20)) {
                Ok(line) => return Ok(line),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Ok(None),
            }
        }
    }
}

impl Ui for TerminalUi {
    fn answers_itself(&self) -> bool {
        self.yes
    }

    fn say(&mut self, text: &str) {
        self.bar.suspend(|| eprintln!("{text}"));
    }

    fn ask(&mut self, question: &str, allowed: &[Answer]) -> Answer {
        if self.yes {
            return Answer::Go;
        }
        let bar = self.bar.clone();
        bar.suspend(|| loop {
            eprint!("{question} ");
            let line = match self.next_line() {
                Err(()) => {
                    eprintln!();
                    return Answer::Interrupted;
                }
                Ok(None) => {
                    eprintln!();
                    return Answer::EndOfInput;
                }
                Ok(Some(line)) => line,
            };
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
    /// The input ended before an answer; `resume` continues.
    EndOfInput,
    /// Ctrl-C: stopped after saving what was finished.
    Interrupted,
}

/// How many of a session's fits are stored, measured or skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Fits stored with a measurement.
    pub measured: usize,
    /// Fits stored as skipped.
    pub skipped: usize,
    /// Fits the session asks for.
    pub total: usize,
}

impl Counts {
    /// Fits stored, measured or skipped.
    pub fn done(&self) -> usize {
        self.measured + self.skipped
    }
}

impl std::fmt::Display for Counts {
    /// "2 of 6 fits measured, 1 skipped".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} of {} fits measured, {} skipped",
            self.measured, self.total, self.skipped
        )
    }
}

/// The stored record of fit `n` (in a session of both ears, the left
/// ear's: the two are written together, the right one first).
fn stored_fit(
    dir: &std::path::Path,
    info: &SessionInfo,
    tip: &TipSpec,
    n: usize,
) -> Result<Option<FitRecord>> {
    match info.ear {
        Ear::Both => store::read_fit_ear(dir, tip, n, Some(Ear::Left)),
        _ => store::read_fit(dir, tip, n),
    }
}

/// The fits stored (readable) in the session, measured and skipped.
pub fn counts(dir: &std::path::Path, info: &SessionInfo) -> Counts {
    let mut c = Counts {
        measured: 0,
        skipped: 0,
        total: info.tips.len() * info.fits_per_tip,
    };
    for t in &info.tips {
        for n in 1..=info.fits_per_tip {
            match stored_fit(dir, info, t, n) {
                Ok(Some(r)) if r.skipped => c.skipped += 1,
                Ok(Some(_)) => c.measured += 1,
                _ => {}
            }
        }
    }
    c
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
    let a = ui.ask(
        "Press Enter to measure it (q = quit):",
        &[Answer::Go, Answer::Quit],
    );
    if let Some(stop) = a.stop() {
        return Ok(stop);
    }
    let sealed = measurer.measure_reference()?;
    let ears = [("", Some(sealed.left)), (" (right ear)", sealed.right)];
    for (i, (side, r)) in ears.into_iter().enumerate() {
        let Some((m, rec)) = r else { continue };
        let name = ["reference.wav", "reference-right.wav"][i];
        crate::formats::wav::write_wav(
            &store.dir().join(name),
            &rec.channels,
            rec.rate,
            crate::formats::wav::SampleFormat::F32,
            None,
        )
        .with_context(|| format!("cannot save the reference recording{side}"))?;
        ui.say(&format!(
            "  reference{side}: bass {:+.1} dB re 300-1000 Hz, SNR {:.0} dB",
            m.seal.bass_db, m.snr_db
        ));
        *[&mut info.reference, &mut info.reference_right][i] = Some(m.frequency_response);
    }
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
    match ensure_reference(store, info, measurer, ui)? {
        Outcome::Complete => {}
        stop => return Ok(stop),
    }
    let info: &SessionInfo = info;
    let refit_db = info.config.as_ref().map_or(2.5, |c| c.thresholds.refit_db);
    let tips = info.tips.clone();
    let mut pending = Vec::new();
    for (ti, tip) in tips.iter().enumerate() {
        for n in 1..=info.fits_per_tip {
            match stored_fit(store.dir(), info, tip, n) {
                Ok(Some(_)) => continue,
                Ok(None) => {}
                Err(e) => ui.say(&format!("  {e:#}: measuring it again")),
            }
            pending.push((ti, tip, n));
        }
    }
    let mut cannot_seal = HashSet::new();
    let workers = match ui.answers_itself() && measurer.measures_ahead() {
        true => std::thread::available_parallelism().map_or(1, |n| n.get().min(4)),
        false => 0,
    };
    std::thread::scope(|s| {
        // Nobody is asked and the sim's fits do not depend on each other
        // (each draws its own seeded insertion): they are measured ahead,
        // on every core, each worker taking every `workers`-th fit and
        // handing it over in order; this thread stores them and says
        // what it says, in the same order and with the same results as
        // one fit after another. A worker stops when this thread stops
        // listening (a stop, an error).
        let ahead: Vec<_> = (0..workers)
            .map(|w| {
                let (tx, rx) = std::sync::mpsc::sync_channel(1);
                let mine: Vec<_> = pending.iter().skip(w).step_by(workers).copied().collect();
                let references = [info.reference.as_ref(), info.reference_right.as_ref()];
                s.spawn(move || {
                    for (ti, tip, n) in mine {
                        if measurer.stop_token().is_stopped() {
                            return;
                        }
                        let m = measurer.measure(tip, ti, n, 1, references);
                        if tx.send(m).is_err() {
                            return;
                        }
                    }
                });
                rx
            })
            .collect();
        for (j, &(ti, tip, n)) in pending.iter().enumerate() {
            if measurer.stop_token().is_stopped() {
                return Ok(Outcome::Interrupted);
            }
            let first = match ahead.get(j % workers.max(1)) {
                Some(rx) => match rx.recv() {
                    Ok(m) => Some(m),
                    // the worker stopped: the stop token is set
                    Err(_) => return Ok(Outcome::Interrupted),
                },
                None => None,
            };
            let fit = FitCtx {
                ti,
                tip,
                n,
                refit_db,
            };
            match run_fit(store, info, measurer, ui, &fit, first, &mut cannot_seal) {
                Ok(Outcome::Complete) => {}
                Ok(o) => return Ok(o),
                Err(e) if e.is::<crate::interrupt::Interrupted>() => {
                    return Ok(Outcome::Interrupted)
                }
                Err(e) => return Err(e),
            }
        }
        Ok(Outcome::Complete)
    })
}

/// The fit being measured: tip number and tip, fit number, refit limit.
struct FitCtx<'a> {
    ti: usize,
    tip: &'a TipSpec,
    n: usize,
    refit_db: f64,
}

/// Measure one fit: ask for the insertion, measure, say the verdict and
/// the advice, ask keep / redo / skip / quit. A redo asks for a new
/// insertion and waits before measuring again. `cannot_seal` holds the
/// tips already said to be unable to seal (said once per tip).
fn run_fit(
    store: &Store,
    info: &SessionInfo,
    measurer: &FitMeasurer,
    ui: &mut dyn Ui,
    fit: &FitCtx,
    first: Option<Result<MeasuredFit>>,
    cannot_seal: &mut HashSet<usize>,
) -> Result<Outcome> {
    let (tip, n, of) = (fit.tip, fit.n, info.fits_per_tip);
    let q = format!(
        "Insert tip '{}', fit {n} of {of}, press Enter (s = skip, q = quit):",
        tip.name
    );
    let skip = |ui: &mut dyn Ui| -> Result<Outcome> {
        match info.ear {
            Ear::Both => {
                for ear in [Ear::Right, Ear::Left] {
                    let r = FitRecord {
                        ear: Some(ear),
                        ..skipped(tip, n)
                    };
                    store.save_fit(tip, &r, None)?;
                }
            }
            _ => store.save_fit(tip, &skipped(tip, n), None)?,
        }
        ui.say(&format!("  tip '{}' fit {n}: skipped", tip.name));
        ui.advance();
        Ok(Outcome::Complete)
    };
    match ui.ask(&q, &[Answer::Go, Answer::Skip, Answer::Quit]) {
        Answer::Skip => return skip(ui),
        a => {
            if let Some(stop) = a.stop() {
                return Ok(stop);
            }
        }
    }
    let mut attempt = 1;
    let mut first = first;
    loop {
        let m = match first.take() {
            Some(m) => m?,
            None => {
                let references = [info.reference.as_ref(), info.reference_right.as_ref()];
                measurer.measure(tip, fit.ti, n, attempt, references)?
            }
        };
        // the right ear first: the left ear's file marks the fit done
        let ears: Vec<&MeasuredFit> = m.right.as_deref().into_iter().chain([&m]).collect();
        for e in &ears {
            let rec = e
                .recording
                .as_ref()
                .map(|r| (r.channels.as_slice(), r.rate));
            store.save_fit(tip, &e.record, rec)?;
        }
        for e in ears.iter().rev() {
            ui.say(&verdict_line(&e.record, of));
        }
        if measurer.stop_token().is_stopped() {
            ui.advance();
            return Ok(Outcome::Interrupted);
        }
        for e in ears.iter().rev() {
            if let Some(advice) = advice(store, info, fit, &e.record, cannot_seal) {
                ui.say(&advice);
            }
        }
        match ui.ask(
            "  Enter = keep, r = redo, s = skip, q = quit:",
            &[Answer::Go, Answer::Redo, Answer::Skip, Answer::Quit],
        ) {
            Answer::Redo => {}
            Answer::Skip => return skip(ui),
            Answer::Go => {
                ui.advance();
                return Ok(Outcome::Complete);
            }
            a => {
                ui.advance();
                return Ok(a.stop().unwrap_or(Outcome::Stopped));
            }
        }
        let q = format!(
            "Re-insert tip '{}' (a new insertion), press Enter to measure fit {n} again \
             (s = skip, q = quit keeping the last measurement):",
            tip.name
        );
        match ui.ask(&q, &[Answer::Go, Answer::Skip, Answer::Quit]) {
            Answer::Go => attempt += 1,
            Answer::Skip => return skip(ui),
            a => {
                ui.advance();
                return Ok(a.stop().unwrap_or(Outcome::Stopped));
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
        ear: None,
    }
}

/// The line printed as soon as a fit is measured.
pub fn verdict_line(r: &FitRecord, of: usize) -> String {
    let ear = match r.ear {
        Some(Ear::Left) => " (left)",
        Some(Ear::Right) => " (right)",
        _ => "",
    };
    let mut s = format!("  {} fit {}/{of}{ear}:", r.tip, r.fit);
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
    use crate::analysis::seal::{leak_corner_class, Corner, SealConfig};
    // Fits stored before corners were classified fall back to the default
    // settings (only `leak_corner_class`'s fallback reads them).
    let corner = leak_corner_class(
        &m.seal,
        &m.frequency_response.freq_hz,
        &SealConfig::default(),
    );
    s += &match corner {
        _ if m.seal.leak_fit_uncertain => match m.seal.minus3db_hz {
            Some(f) => format!(", leak corner uncertain (not a leak shape; -3 dB at {f:.0} Hz)"),
            None => ", leak corner uncertain (not a leak shape)".into(),
        },
        Some(Corner::Value { hz }) => format!(", leak corner {hz:.0} Hz"),
        Some(Corner::Below { hz }) => {
            format!(", leak corner < {hz:.0} Hz (below the measured range)")
        }
        Some(Corner::Above { hz }) => {
            format!(", leak corner > {hz:.0} Hz (beyond the fitted range)")
        }
        None => ", no leak fit".into(),
    };
    s
}

/// Whether a fit has no seal at all (its verdict is no-seal).
fn no_seal(r: &FitRecord) -> bool {
    r.response()
        .is_some_and(|m| m.seal.verdict == crate::analysis::Verdict::NoSeal)
}

/// What to tell the user after a fit: for a fit with no seal at all, that
/// the tip cannot seal (once per tip, in `said`), or that this insertion
/// failed when another fit of the tip did seal; for a fit that seals, the
/// refit advice of [`refit_advice`].
fn advice(
    store: &Store,
    info: &SessionInfo,
    fit: &FitCtx,
    new: &FitRecord,
    said: &mut HashSet<usize>,
) -> Option<String> {
    if !no_seal(new) {
        return refit_advice(store, info, fit.tip, new, fit.refit_db);
    }
    let sealed = (1..=info.fits_per_tip)
        .filter(|&n| n != new.fit)
        .find(|&n| matches!(store::read_fit_ear(store.dir(), fit.tip, n, new.ear), Ok(Some(r)) if r.response().is_some() && !no_seal(&r)));
    match sealed {
        Some(other) => Some(format!(
            "  fit {} did not seal at all, although fit {other} of this tip did: re-insert the tip and redo (r)",
            new.fit
        )),
        None if said.insert(fit.ti) => Some(format!(
            "  tip '{}' does not seal at all (fit {}): re-inserting will not make it seal, so no refit is suggested for it",
            fit.tip.name, new.fit
        )),
        None => None,
    }
}

/// Compare a new fit with the tip's other stored fits that seal, on a
/// 1/6-octave grid 20 Hz-1 kHz; advise a refit when two differ by more
/// than `limit_db`. A fit with no seal at all gives no advice and is not
/// compared with (see `advice`).
pub fn refit_advice(
    store: &Store,
    info: &SessionInfo,
    tip: &TipSpec,
    new: &FitRecord,
    limit_db: f64,
) -> Option<String> {
    if no_seal(new) {
        return None;
    }
    let grid = crate::dsp::grid::log_grid(20.0, 1000.0, 6);
    let sample = |fr: &FrequencyResponse| -> Vec<f64> {
        grid.iter()
            .map(|&f| interpolate_db(&fr.freq_hz, &fr.db, f))
            .collect()
    };
    let mine = sample(&new.response()?.frequency_response);
    let mut worst: Option<(usize, f64, f64)> = None;
    for n in (1..=info.fits_per_tip).filter(|&n| n != new.fit) {
        let Ok(Some(other)) = store::read_fit_ear(store.dir(), tip, n, new.ear) else {
            continue;
        };
        let Some(m) = other.response().filter(|_| !no_seal(&other)) else {
            continue;
        };
        for (k, (a, b)) in mine.iter().zip(sample(&m.frequency_response)).enumerate() {
            let d = (a - b).abs();
            if d > limit_db && worst.is_none_or(|w| d > w.1) {
                worst = Some((n, d, grid[k]));
            }
        }
    }
    worst.map(|(n, d, f)| {
        format!(
            "  fit {} differs from fit {n} by {d:.1} dB at {f:.0} Hz (more than {limit_db} dB): a refit may help (r = redo)",
            new.fit
        )
    })
}
