//! File formats: WAV (with tipfit's stimulus description), REW-style text
//! responses. Readers never panic on bad input; every error names the file.

pub mod autoeq;
pub mod bands;
pub mod miccal;
pub mod rew;
pub mod wav;

use std::io::Write;

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

/// Write `bytes` to `path` atomically: a temporary file in the same folder,
/// flushed and synced, then renamed over the target. A crash leaves either
/// the old file or the new one, never half of one.
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
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
