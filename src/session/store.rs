//! Session folders on disk.
//!
//! Every file is written by write-to-temp, fsync and rename
//! ([`crate::formats::atomic_write`]), so a crash leaves the old file or the
//! new one, never half of one. A fit's WAV is written before its JSON: the
//! JSON is the mark that the fit is done, and a fit without one is measured
//! again on resume. `session.lock` (holding the writer's process id) keeps a
//! second process from writing the same session; a lock left by a process
//! that no longer runs (a crash, `kill -9`) is taken over.

use super::config::Ear;
use super::model::{FitRecord, SessionInfo, TipSpec, SCHEMA_VERSION};
use crate::formats::atomic_write;
use crate::formats::wav::{check_wav, encode_wav, SampleFormat};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// The session description.
pub const SESSION_FILE: &str = "session.json";
/// The writer's lock.
pub const LOCK_FILE: &str = "session.lock";
/// Folder of the fits.
pub const FITS_DIR: &str = "fits";

/// `fits/<tip>/fit-<n>.json`: a fit of the session's single ear.
pub fn fit_json_path(dir: &Path, tip: &TipSpec, fit: usize) -> PathBuf {
    fit_ear_json_path(dir, tip, fit, None)
}

/// The file name's ear mark: `-left`, `-right`, or none (`None`, and
/// `both`, which is one record for the two ears).
fn ear_mark(ear: Option<Ear>) -> &'static str {
    match ear {
        Some(Ear::Left) => "-left",
        Some(Ear::Right) => "-right",
        Some(Ear::Both) | None => "",
    }
}

/// The recording's file name of fit `fit` of `ear` (`fit-<n>.wav`,
/// `fit-<n>-left.wav`, `fit-<n>-right.wav`), next to its JSON.
pub fn fit_wav_name(fit: usize, ear: Option<Ear>) -> String {
    format!("fit-{fit}{}.wav", ear_mark(ear))
}

/// `fits/<tip>/fit-<n>.json`, or `fit-<n>-left.json` / `fit-<n>-right.json`
/// for one ear of a fit measured per ear ([`FitRecord::ear`]).
pub fn fit_ear_json_path(dir: &Path, tip: &TipSpec, fit: usize, ear: Option<Ear>) -> PathBuf {
    dir.join(FITS_DIR)
        .join(tip.slug())
        .join(format!("fit-{fit}{}.json", ear_mark(ear)))
}

/// `fits/<tip>/fit-<n>.wav`.
pub fn fit_wav_path(dir: &Path, tip: &TipSpec, fit: usize) -> PathBuf {
    fit_json_path(dir, tip, fit).with_extension("wav")
}

/// The fit number and ear a fit file's name holds: `fit-3.json` ->
/// `(3, None)`, `fit-3-left.json` -> `(3, Some(Left))`; `None` for other
/// files (recordings, temporary files).
pub fn parse_fit_file_name(name: &str) -> Option<(usize, Option<Ear>)> {
    let body = name.strip_prefix("fit-")?.strip_suffix(".json")?;
    let (number, ear) = if let Some(n) = body.strip_suffix("-left") {
        (n, Some(Ear::Left))
    } else if let Some(n) = body.strip_suffix("-right") {
        (n, Some(Ear::Right))
    } else {
        (body, None)
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((number.parse().ok()?, ear))
}

/// The lock of a session being written; removed when dropped.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
}

impl Lock {
    /// Take the lock of the session in `dir`.
    pub fn acquire(dir: &Path) -> Result<Lock> {
        let path = dir.join(LOCK_FILE);
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    use std::io::Write;
                    writeln!(f, "{}", std::process::id())
                        .with_context(|| format!("{}: cannot write", path.display()))?;
                    return Ok(Lock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = std::fs::read_to_string(&path).unwrap_or_default();
                    let pid = holder.trim().parse::<u32>().ok();
                    if pid.is_some_and(process_runs) {
                        bail!(
                            "{}: the session is being written by another tipfit (process {}); \
                             wait for it to finish, or stop it first",
                            dir.display(),
                            pid.unwrap_or(0)
                        );
                    }
                    eprintln!(
                        "note: {}: taking over a lock left by a process that no longer runs",
                        path.display()
                    );
                    std::fs::remove_file(&path).with_context(|| {
                        format!("{}: cannot remove the stale lock", path.display())
                    })?;
                }
                Err(e) => {
                    return Err(e).with_context(|| {
                        format!(
                            "{}: cannot create the lock file (is the folder writable?)",
                            path.display()
                        )
                    })
                }
            }
        }
        bail!("{}: cannot take the lock", path.display())
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Whether process `pid` still runs (Linux: `/proc/<pid>`; elsewhere a lock
/// is assumed live).
fn process_runs(pid: u32) -> bool {
    if pid == std::process::id() {
        return false;
    }
    let proc = Path::new("/proc");
    if proc.is_dir() {
        proc.join(pid.to_string()).exists()
    } else {
        true
    }
}

/// A session open for writing (it holds the lock).
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    _lock: Lock,
}

/// Check that `dir` can hold a new session, before anything is measured:
/// it is missing or an empty folder, and a file can be written in it.
pub fn check_new_session_dir(dir: &Path) -> Result<()> {
    if dir.join(SESSION_FILE).exists() {
        bail!(
            "{}: already holds a session; continue it with `tipfit session resume {}`, or choose another --out",
            dir.display(),
            dir.display()
        );
    }
    if dir.exists() {
        if !dir.is_dir() {
            bail!("{}: is a file, not a folder", dir.display());
        }
        let mut entries = std::fs::read_dir(dir)
            .with_context(|| format!("{}: cannot read the folder", dir.display()))?;
        if entries.next().is_some() {
            bail!(
                "{}: the folder is not empty and is not a session; choose a new or empty folder",
                dir.display()
            );
        }
    }
    std::fs::create_dir_all(dir)
        .with_context(|| format!("{}: cannot create the session folder", dir.display()))?;
    let probe = dir.join(".tipfit-write-test");
    std::fs::write(&probe, b"ok")
        .with_context(|| format!("{}: the folder is not writable", dir.display()))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

impl Store {
    /// Start a new session in `dir` (see [`check_new_session_dir`]).
    pub fn create(dir: &Path, info: &SessionInfo) -> Result<Store> {
        check_new_session_dir(dir)?;
        let store = Store {
            dir: dir.to_path_buf(),
            _lock: Lock::acquire(dir)?,
        };
        store.save_info(info)?;
        Ok(store)
    }

    /// Open an existing session for writing (resume, import).
    pub fn open(dir: &Path) -> Result<(Store, SessionInfo)> {
        let info = read_info(dir)?;
        let lock = Lock::acquire(dir)?;
        let store = Store {
            dir: dir.to_path_buf(),
            _lock: lock,
        };
        store.remove_stale_temps();
        Ok((store, info))
    }

    /// The session folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Write `session.json`.
    pub fn save_info(&self, info: &SessionInfo) -> Result<()> {
        let path = self.dir.join(SESSION_FILE);
        let text = serde_json::to_string_pretty(info)?;
        atomic_write(&path, text.as_bytes())
            .with_context(|| format!("{}: cannot write", path.display()))
    }

    /// Write one fit: the recording (if any) first, then the JSON.
    pub fn save_fit(
        &self,
        tip: &TipSpec,
        record: &FitRecord,
        recording: Option<(&[Vec<f32>], u32)>,
    ) -> Result<()> {
        let json = fit_ear_json_path(&self.dir, tip, record.fit, record.ear);
        let folder = json.parent().unwrap_or(&self.dir);
        std::fs::create_dir_all(folder)
            .with_context(|| format!("{}: cannot create the folder", folder.display()))?;
        if let Some((channels, rate)) = recording {
            let wav = json.with_extension("wav");
            let bytes = encode_wav(channels, rate, SampleFormat::F32, None)
                .map_err(|e| anyhow::anyhow!("{}: cannot encode: {e}", wav.display()))?;
            atomic_write(&wav, &bytes)
                .with_context(|| format!("{}: cannot write", wav.display()))?;
        }
        let text = serde_json::to_string_pretty(record)?;
        atomic_write(&json, text.as_bytes())
            .with_context(|| format!("{}: cannot write", json.display()))
    }

    /// Remove temporary files a killed writer left (`.NAME.tmp-PID`).
    fn remove_stale_temps(&self) {
        let mut dirs = vec![self.dir.clone()];
        if let Ok(tips) = std::fs::read_dir(self.dir.join(FITS_DIR)) {
            dirs.extend(tips.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
        }
        for d in dirs {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') && name.contains(".tmp-") {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
    }
}

/// Read `session.json`, refusing folders that are not sessions and newer
/// formats.
pub fn read_info(dir: &Path) -> Result<SessionInfo> {
    if !dir.is_dir() {
        bail!("{}: no such folder", dir.display());
    }
    let path = dir.join(SESSION_FILE);
    if !path.exists() {
        bail!(
            "{}: not a tipfit session (no {SESSION_FILE}); start one with `tipfit session run CONFIG.toml --out {}`",
            dir.display(),
            dir.display()
        );
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    parse_info(&text, &path)
}

/// Parse the text of a `session.json` read from `path` (named in errors).
pub fn parse_info(text: &str, path: &Path) -> Result<SessionInfo> {
    parse_versioned(text, path, "session description")
}

/// Parse the text of a fit record read from `path` (named in errors).
pub fn parse_fit(text: &str, path: &Path) -> Result<FitRecord> {
    parse_versioned(text, path, "fit record")
}

/// Parse a stored JSON file of a known schema version; `what` names the
/// kind of file in the error ("not a tipfit WHAT").
fn parse_versioned<T: serde::de::DeserializeOwned>(
    text: &str,
    path: &Path,
    what: &str,
) -> Result<T> {
    let value: serde_json::Value = serde_json::from_str(text)
        .with_context(|| format!("{}: corrupt (not valid JSON)", path.display()))?;
    check_version(&value, path)?;
    serde_json::from_value(value)
        .with_context(|| format!("{}: not a tipfit {what}", path.display()))
}

fn check_version(value: &serde_json::Value, path: &Path) -> Result<()> {
    match value.get("schema_version").and_then(|v| v.as_u64()) {
        Some(v) if v > SCHEMA_VERSION as u64 => bail!(
            "{}: written by a newer tipfit (schema_version {v}; this tipfit {} reads up to {SCHEMA_VERSION}); update tipfit",
            path.display(),
            env!("CARGO_PKG_VERSION")
        ),
        Some(_) => Ok(()),
        None => bail!("{}: has no schema_version (not a tipfit file?)", path.display()),
    }
}

/// A session as read from disk.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// `session.json`.
    pub info: SessionInfo,
    /// Every fit that could be read (skipped fits included).
    pub fits: Vec<FitRecord>,
    /// Fits that could not be read, each naming its file and the problem.
    pub warnings: Vec<String>,
}

impl Loaded {
    /// Fits with a measurement (not skipped).
    pub fn measured(&self) -> Vec<FitRecord> {
        self.fits.iter().filter(|f| !f.skipped).cloned().collect()
    }
}

/// Read one fit of the session's single ear (`fit-<n>.json`), checking its
/// recording too.
pub fn read_fit(dir: &Path, tip: &TipSpec, fit: usize) -> Result<Option<FitRecord>> {
    read_fit_ear(dir, tip, fit, None)
}

/// Read one fit file: `fit-<n>.json` (`ear` `None`) or one ear's
/// `fit-<n>-left.json` / `fit-<n>-right.json`, checking that it holds that
/// tip, fit and ear, and its recording.
pub fn read_fit_ear(
    dir: &Path,
    tip: &TipSpec,
    fit: usize,
    ear: Option<Ear>,
) -> Result<Option<FitRecord>> {
    let path = fit_ear_json_path(dir, tip, fit, ear);
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    let record = parse_fit(&text, &path)?;
    if record.tip != tip.name || record.fit != fit {
        bail!(
            "{}: holds tip '{}' fit {}, expected '{}' fit {fit}",
            path.display(),
            record.tip,
            record.fit,
            tip.name
        );
    }
    if ear_mark(record.ear) != ear_mark(ear) {
        let said = |e: Option<Ear>| e.map_or("no ear".to_string(), |e| format!("the {e} ear"));
        bail!(
            "{}: holds {}, its name says {}",
            path.display(),
            said(record.ear),
            said(ear)
        );
    }
    if let Some(name) = &record.recording {
        let wav = path.with_file_name(name);
        check_wav(&wav)
            .with_context(|| format!("tip '{}' fit {fit}: the recording is damaged", tip.name))?;
    }
    Ok(Some(record))
}

/// Read a whole session; a fit that cannot be read becomes a warning (which
/// tip, which fit, what is wrong) and the others are still read. Each fit
/// is `fit-<n>.json`, or its ears' `fit-<n>-left.json` and
/// `fit-<n>-right.json` (left first); a fit stored both ways keeps its ear
/// files and the single-ear file is left out with a warning, so nothing
/// counts twice.
pub fn load(dir: &Path) -> Result<Loaded> {
    let info = read_info(dir)?;
    let mut fits = Vec::new();
    let mut warnings = Vec::new();
    for tip in &info.tips {
        for n in 1..=highest_stored_fit(dir, tip).max(info.fits_per_tip) {
            let per_ear = [Ear::Left, Ear::Right]
                .iter()
                .any(|e| fit_ear_json_path(dir, tip, n, Some(*e)).exists());
            let ears: &[Option<Ear>] = if per_ear {
                if fit_json_path(dir, tip, n).exists() {
                    warnings.push(format!(
                        "tip '{}' fit {n}: stored both for one ear (fit-{n}.json) and per ear; \
                         fit-{n}.json left out",
                        tip.name
                    ));
                }
                &[Some(Ear::Left), Some(Ear::Right)]
            } else {
                &[None]
            };
            for &ear in ears {
                let which = ear.map_or(String::new(), |e| format!(" ({e} ear)"));
                match read_fit_ear(dir, tip, n, ear) {
                    Ok(Some(r)) => fits.push(r),
                    Ok(None) => {}
                    Err(e) => {
                        warnings.push(format!("tip '{}' fit {n}{which} left out: {e:#}", tip.name))
                    }
                }
            }
        }
    }
    Ok(Loaded {
        info,
        fits,
        warnings,
    })
}

/// The highest fit number stored on disk for a tip, counting single-ear
/// and per-ear files alike (0 when none).
pub fn highest_stored_fit(dir: &Path, tip: &TipSpec) -> usize {
    std::fs::read_dir(dir.join(FITS_DIR).join(tip.slug()))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| parse_fit_file_name(&e.file_name().to_string_lossy()).map(|p| p.0))
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_file_names_give_number_and_ear() {
        assert_eq!(parse_fit_file_name("fit-3.json"), Some((3, None)));
        assert_eq!(
            parse_fit_file_name("fit-12-left.json"),
            Some((12, Some(Ear::Left)))
        );
        assert_eq!(
            parse_fit_file_name("fit-2-right.json"),
            Some((2, Some(Ear::Right)))
        );
        for other in [
            "fit-3.wav",
            "fit--left.json",
            "fit-+3.json",
            "fit-3-both.json",
            ".fit-3.json.tmp-12",
            "fit-x.json",
        ] {
            assert_eq!(parse_fit_file_name(other), None, "{other}");
        }
    }
}
