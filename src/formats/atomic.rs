//! The atomic writer and the file-system seam it writes through.
//!
//! [`atomic_write`] writes a temporary file in the target's folder,
//! flushed and synced, renames it over the target, then syncs the folder.
//! Every step goes through a [`FileSystem`]: the real one ([`RealFs`]) unless
//! the process installed another ([`install_file_system`]), or a caller
//! hands one in ([`atomic_write_with`]). Tests make writes fail through
//! the seam ([`FailingWrites`]); nothing in the writer reads the
//! environment.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The file-system steps of an atomic write.
pub trait FileSystem: Send + Sync {
    /// Create `tmp`, write `bytes` and sync them to the disk.
    fn write_synced(&self, tmp: &Path, bytes: &[u8]) -> std::io::Result<()>;
    /// Rename `tmp` over `target`.
    fn replace(&self, tmp: &Path, target: &Path) -> std::io::Result<()>;
    /// Make a rename in `dir` durable (best effort: a folder that cannot be
    /// opened for syncing is not an error).
    fn sync_dir(&self, dir: &Path);
    /// Remove a temporary file left by a failed write (best effort).
    fn remove(&self, tmp: &Path);
}

/// The real file system.
#[derive(Debug, Clone, Copy, Default)]
pub struct RealFs;

impl FileSystem for RealFs {
    fn write_synced(&self, tmp: &Path, bytes: &[u8]) -> std::io::Result<()> {
        let mut f = std::fs::File::create(tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    }

    fn replace(&self, tmp: &Path, target: &Path) -> std::io::Result<()> {
        std::fs::rename(tmp, target)
    }

    fn sync_dir(&self, dir: &Path) {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }

    fn remove(&self, tmp: &Path) {
        let _ = std::fs::remove_file(tmp);
    }
}

/// The real file system, except that replacing a target whose path ends
/// with `suffix` fails with `message` (after the temporary file is
/// written, before it replaces the target), as a full disk would.
#[derive(Debug, Clone)]
pub struct FailingWrites {
    /// The end of the paths whose write fails.
    pub suffix: String,
    /// The I/O error's text.
    pub message: String,
}

impl FailingWrites {
    /// Writes to paths ending with `suffix` fail with `message`.
    pub fn new(suffix: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            suffix: suffix.into(),
            message: message.into(),
        }
    }
}

impl FileSystem for FailingWrites {
    fn write_synced(&self, tmp: &Path, bytes: &[u8]) -> std::io::Result<()> {
        RealFs.write_synced(tmp, bytes)
    }

    fn replace(&self, tmp: &Path, target: &Path) -> std::io::Result<()> {
        if !self.suffix.is_empty() && target.to_string_lossy().ends_with(self.suffix.as_str()) {
            return Err(std::io::Error::other(self.message.clone()));
        }
        RealFs.replace(tmp, target)
    }

    fn sync_dir(&self, dir: &Path) {
        RealFs.sync_dir(dir)
    }

    fn remove(&self, tmp: &Path) {
        RealFs.remove(tmp)
    }
}

static PROCESS_FS: OnceLock<Box<dyn FileSystem>> = OnceLock::new();

/// Make `fs` the file system of every [`atomic_write`] in this process
/// (the binary's edge does this once, before any command runs). Returns
/// `fs` back if one was installed already.
pub fn install_file_system(fs: Box<dyn FileSystem>) -> Result<(), Box<dyn FileSystem>> {
    PROCESS_FS.set(fs)
}

/// The process's file system: the installed one, else [`RealFs`].
fn process_fs() -> &'static dyn FileSystem {
    match PROCESS_FS.get() {
        Some(fs) => fs.as_ref(),
        None => &RealFs,
    }
}

/// Write `bytes` to `path` atomically: a temporary file in the same folder,
/// flushed and synced, renamed over the target, then the folder synced. A
/// crash leaves either the old file or the new one, never half of one.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    atomic_write_with(process_fs(), path, bytes)
}

/// [`atomic_write`] through `fs`. A failed write removes its temporary
/// file and leaves the target as it was.
pub fn atomic_write_with(fs: &dyn FileSystem, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        fs.write_synced(&tmp, bytes)?;
        fs.replace(&tmp, path)?;
        // make the rename itself durable (a power cut keeps the new name)
        fs.sync_dir(&dir);
        Ok(())
    })();
    if result.is_err() {
        fs.remove(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_failing_seam_keeps_the_old_file_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("fit-2.json");
        atomic_write_with(&RealFs, &target, b"old").unwrap();
        let fs = FailingWrites::new("fit-2.json", "injected");
        let e = atomic_write_with(&fs, &target, b"new").unwrap_err();
        assert_eq!(e.to_string(), "injected");
        assert_eq!(std::fs::read(&target).unwrap(), b"old");
        assert_eq!(names(dir.path()), ["fit-2.json"]);
        // other paths write through
        let other = dir.path().join("fit-1.json");
        atomic_write_with(&fs, &other, b"one").unwrap();
        assert_eq!(std::fs::read(&other).unwrap(), b"one");
        // a new file that fails is not created at all
        let fresh = dir.path().join("b").join("fit-2.json");
        std::fs::create_dir(fresh.parent().unwrap()).unwrap();
        assert!(atomic_write_with(&fs, &fresh, b"x").is_err());
        assert!(names(fresh.parent().unwrap()).is_empty());
    }

    #[test]
    fn the_default_is_the_real_file_system() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("a.txt");
        atomic_write(&target, b"1").unwrap();
        atomic_write(&target, b"22").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"22");
        assert_eq!(names(dir.path()), ["a.txt"]);
    }

    #[test]
    fn an_empty_suffix_fails_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("x");
        atomic_write_with(&FailingWrites::new("", "no"), &target, b"y").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"y");
    }
}
