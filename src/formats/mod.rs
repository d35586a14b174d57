//! File formats: WAV (with tipfit's stimulus description), REW-style text
//! responses. Readers never panic on bad input; every error names the file.

pub mod autoeq;
pub mod bands;
pub mod miccal;
pub mod rew;
pub mod wav;

use std::io::Write;

/// Largest level magnitude a response or calibration file may hold, dB.
/// Nothing real comes near it (the loudest sound in air is about 194 dB
/// SPL; tipfit's own floor is -400 dB), and levels beyond it overflow the
/// arithmetic downstream (differences, means, interpolation) to infinity.
pub const MAX_LEVEL_DB: f64 = 1000.0;

/// Check a level read from a response file: within +-[`MAX_LEVEL_DB`].
/// `what` names the column; the message is what to put after `file:line:`.
pub(crate) fn check_level(what: &str, v: f64) -> Result<(), String> {
    if v.abs() > MAX_LEVEL_DB {
        // 1e308 as written, not as 309 digits
        let shown = if v.abs() < 1e9 {
            format!("{v}")
        } else {
            format!("{v:e}")
        };
        return Err(format!(
            "{what} {shown} dB is beyond +-{MAX_LEVEL_DB} dB, not a level in dB"
        ));
    }
    Ok(())
}

/// The message for a file with fewer than 2 data lines; `what` is what
/// the file should hold ("a response").
pub(crate) fn too_few_lines(n: usize, what: &str) -> String {
    let s = if n == 1 { "" } else { "s" };
    format!("holds {n} data line{s}; {what} needs at least 2")
}

/// Check the next frequency of a response file: positive and above the
/// previous one. The message is what to put after `file:line:`.
pub(crate) fn check_next_frequency(f: f64, previous: Option<f64>) -> Result<(), String> {
    if f <= 0.0 {
        return Err(format!("frequency {f} Hz is not positive"));
    }
    match previous {
        Some(prev) if f <= prev => Err(format!(
            "frequency {f} Hz does not rise above the previous {prev} Hz"
        )),
        _ => Ok(()),
    }
}
use std::path::Path;

/// Fault injection for tests and for trying tipfit's behaviour: when
/// `TIPFIT_FAIL_WRITE` is set, writing a file whose path ends with its
/// value fails (after the temporary file is written, before it replaces
/// the target), as a full disk would.
fn injected_failure(path: &Path) -> std::io::Result<()> {
    match std::env::var_os("TIPFIT_FAIL_WRITE") {
        Some(v) if !v.is_empty() && path.to_string_lossy().ends_with(&*v.to_string_lossy()) => Err(
            std::io::Error::other("injected I/O error (TIPFIT_FAIL_WRITE)"),
        ),
        _ => Ok(()),
    }
}

/// Write `bytes` to `path` atomically: a temporary file in the same folder,
/// flushed and synced, renamed over the target, then the folder synced. A
/// crash leaves either the old file or the new one, never half of one.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        injected_failure(path)?;
        std::fs::rename(&tmp, path)?;
        // make the rename itself durable (a power cut keeps the new name);
        // a folder that cannot be opened for syncing is not an error
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
