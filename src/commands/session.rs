//! `tipfit session run | resume`.

use crate::cli::{SessionCommand, SessionResumeArgs, SessionRunArgs};
use crate::measure::{FaultPlan, SyncMode};
use crate::rig::channel::Channel;
use crate::rig::faults::Fault;
use crate::session::config::{ReferenceKind, SessionConfig};
use crate::session::measure::FitMeasurer;
use crate::session::model::{SessionInfo, SCHEMA_VERSION};
use crate::session::run::{self, Outcome, TerminalUi};
use crate::session::store::Store;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

pub fn run(cmd: SessionCommand) -> Result<()> {
    match cmd {
        SessionCommand::Run(a) => start(a),
        SessionCommand::Resume(a) => resume(a),
    }
}

/// Now as RFC 3339 UTC (seconds).
pub(crate) fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// `sessions/<config name>-<YYYYMMDD-HHMMSS>`.
fn default_out(config: &Path) -> PathBuf {
    let stem = config
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "session".into());
    let stamp: String = now_rfc3339()
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == 'T')
        .collect::<String>()
        .replace('T', "-");
    PathBuf::from("sessions").join(format!("{stem}-{stamp}"))
}

/// The description of a new session from its config (reference and target
/// files loaded).
pub(crate) fn new_info(cfg: &SessionConfig) -> Result<SessionInfo> {
    let reference_file = |file: &Option<PathBuf>| match (cfg.reference.measure, file) {
        (ReferenceKind::File, Some(path)) => super::load_reference(path).map(Some),
        _ => Ok(None),
    };
    let reference = reference_file(&cfg.reference.file)?;
    let reference_right = reference_file(&cfg.reference.file_right)?;
    let mut rig = match cfg.rig {
        crate::session::config::RigChoice::Sim => format!("sim: {}", cfg.sim.target.describe()),
        crate::session::config::RigChoice::Device => "sound card".into(),
    };
    if let (crate::session::config::RigChoice::Sim, Some(path)) = (cfg.rig, &cfg.sim.iem_response) {
        if let (_, Some(fit)) = cfg.sim_config()? {
            let name = path
                .file_name()
                .unwrap_or(path.as_os_str())
                .to_string_lossy();
            eprintln!("{}", fit.describe(&path.display().to_string()));
            rig += &format!(", IEM following {name} (within {:.1} dB RMS)", fit.rms_db);
        }
    }
    let target = cfg
        .target
        .as_deref()
        .map(super::load_reference)
        .transpose()?;
    Ok(SessionInfo {
        schema_version: SCHEMA_VERSION,
        tipfit_version: env!("CARGO_PKG_VERSION").into(),
        created: now_rfc3339(),
        rig,
        iem: cfg.iem.clone(),
        ear: cfg.ear,
        tips: cfg.tips.clone(),
        fits_per_tip: cfg.fits_per_tip,
        seal: cfg.measurements.seal,
        quick: cfg.measurements.quick,
        isolation: cfg.measurements.isolation,
        reference,
        reference_right,
        target,
        imported_from: Vec::new(),
        config: Some(cfg.clone()),
    })
}

fn start(a: SessionRunArgs) -> Result<()> {
    let cfg = SessionConfig::load(&a.config)?;
    let info = new_info(&cfg)?;
    let out = a.out.clone().unwrap_or_else(|| default_out(&a.config));
    let store = Store::create(&out, &info)?;
    eprintln!(
        "session {}: {} tips x {} fits of {} (Ctrl-C or q stops; `tipfit session resume {}` continues)",
        out.display(),
        info.tips.len(),
        info.fits_per_tip,
        info.iem,
        out.display()
    );
    measure(store, info, &cfg, a.yes)
}

fn resume(a: SessionResumeArgs) -> Result<()> {
    let (store, info) = Store::open(&a.dir)?;
    let Some(cfg) = info.config.clone() else {
        bail!(
            "{}: this session was imported, not measured: there is nothing to resume",
            a.dir.display()
        );
    };
    measure(store, info, &cfg, a.yes)
}

/// Run the fits still missing and say how it ended: after q, the counts
/// and the resume command (exit 0); after Ctrl-C at a prompt or during a
/// fit, the same and [`crate::interrupt::Interrupted`] (exit 130); at the
/// end of the input (stdin closed without `--yes`), the same plus a hint
/// at `--yes`, and an error (exit 1) when this run measured no fit. The
/// lock is released in every case (the store is dropped before return).
pub(crate) fn measure(
    store: Store,
    mut info: SessionInfo,
    cfg: &SessionConfig,
    yes: bool,
) -> Result<()> {
    // every fit allocates its recordings and buffers again: freed blocks
    // stay in the heap for the next fit instead of being unmapped (each
    // unmapping stops the other cores to flush their address caches; the
    // demo took 1.42 s instead of 0.99, see `crate::allocator`)
    crate::allocator::sessions();
    let stop = crate::interrupt::install();
    let measurer = FitMeasurer::with(
        cfg,
        sim_faults_from_env()?,
        &mut super::device_common::TerminalConfirm,
        stop.clone(),
    )?;
    let before = run::counts(store.dir(), &info);
    let total = before.total;
    if before.done() == total {
        eprintln!(
            "{}: nothing left to measure ({before})",
            store.dir().display()
        );
    } else if before.done() > 0 {
        eprintln!("resuming: {before}");
    }
    let mut ui = TerminalUi::new(total, before.done(), yes, stop);
    let outcome = run::run(&store, &mut info, &measurer, &mut ui);
    ui.finish();
    let dir = store.dir().display().to_string();
    let now = || run::counts(store.dir(), &info);
    let resume = format!("continue with: tipfit session resume {dir}");
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) if e.is::<crate::interrupt::Interrupted>() => Outcome::Interrupted,
        Err(e) => {
            return Err(anyhow::anyhow!(
                "{e:#}\n  {}, saved in {dir}; once fixed, {resume}",
                now()
            ))
        }
    };
    // q or the end of input after the last fit: nothing is left to do
    let outcome = match outcome {
        Outcome::Stopped | Outcome::EndOfInput if now().done() == total => Outcome::Complete,
        o => o,
    };
    match outcome {
        Outcome::Interrupted => {
            eprintln!("interrupted: {}, saved in {dir}; {resume}", now());
            return Err(crate::interrupt::Interrupted.into());
        }
        Outcome::Complete => {
            eprintln!(
                "session complete in {dir}: {}\n  compare: tipfit compare {dir}\n  report:  tipfit report {dir}",
                now()
            );
        }
        Outcome::Stopped => {
            eprintln!("stopped with {}; {resume}", now());
        }
        Outcome::EndOfInput => {
            let after = now();
            let hint = "(stdin was closed before an answer; --yes runs unattended)";
            if after.measured <= before.measured {
                bail!(
                    "end of input before any fit was measured {hint}: {after}, saved in {dir}; {resume}"
                );
            }
            eprintln!("stopped at the end of input with {after}; {resume}\n  {hint}");
        }
    }
    Ok(())
}

/// Fault injection for sessions on the sim (a test hook, like
/// `TIPFIT_FAIL_WRITE`): `TIPFIT_SIM_FAULT="lost@3"` makes the sim stream
/// like a sound card with the faults (comma-separated, as `measure --fault`
/// takes them) from the 3rd fit this process measures on (default 1).
fn sim_faults_from_env() -> Result<Option<FaultPlan>> {
    let Ok(v) = std::env::var("TIPFIT_SIM_FAULT") else {
        return Ok(None);
    };
    let (list, from) = match v.rsplit_once('@') {
        Some((l, n)) => (
            l,
            n.trim()
                .parse::<usize>()
                .ok()
                .filter(|n| *n >= 1)
                .with_context(|| {
                    format!("TIPFIT_SIM_FAULT={v}: '@{n}' is not a fit number (1, 2, ...)")
                })?,
        ),
        None => (v.as_str(), 1),
    };
    let faults = list
        .split(',')
        .map(|f| {
            f.parse()
                .map_err(|e: String| anyhow::anyhow!("TIPFIT_SIM_FAULT={v}: {e}"))
        })
        .collect::<Result<Vec<Fault>>>()?;
    Ok(Some(FaultPlan {
        faults,
        from_fit: from,
        inner_channel: Channel::FIRST,
        sync: SyncMode::Auto,
    }))
}
