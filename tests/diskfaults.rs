//! Disk faults: a write that fails leaves the previous state intact and
//! readable, says which file failed and why, and (for sessions) how to
//! continue. Three kinds of failure:
//! - a file-size limit (`ulimit -f`, SIGXFSZ ignored): the kernel refuses
//!   the write with EFBIG, as a full disk refuses it with ENOSPC;
//! - an injected I/O error on one named file (`TIPFIT_FAIL_WRITE`), to hit
//!   exact points (after a fit's WAV, before its JSON);
//! - a real full tmpfs and a read-only remount, where the test may mount
//!   (root with CAP_SYS_ADMIN, as in CI); elsewhere it says it was skipped.

mod common;
use common::{files_under, stderr, Fixture, SMALL_SESSION as SMALL};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use tipfit::session::store;

/// Every file under `dir` with its bytes; the folder must hold some.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let files = files_under(dir);
    assert!(!files.is_empty(), "{}: no files", dir.display());
    files
}

/// No temporary file (`.NAME.tmp-PID`) is left anywhere under `dir`.
fn no_temps(dir: &Path) {
    for (p, _) in snapshot(dir) {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            !name.contains(".tmp-"),
            "temporary file left: {}",
            p.display()
        );
    }
}

/// Run tipfit in `f` through bash with a file-size limit of `kib` KiB.
fn run_limited(f: &Fixture, kib: u64, args: &[&str]) -> Output {
    let bin = assert_cmd::cargo::cargo_bin("tipfit");
    let mut script = format!("trap '' XFSZ; ulimit -f {kib}; exec '{}'", bin.display());
    for a in args {
        script += &format!(" '{a}'");
    }
    std::process::Command::new("bash")
        .args(["-c", &script])
        .current_dir(f.dir.path())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

/// The session in `dir` loads without warnings and holds `fits` fits.
fn readable(dir: &Path, fits: usize) {
    let loaded = store::load(dir).unwrap_or_else(|e| panic!("{}: {e:#}", dir.display()));
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert_eq!(loaded.fits.len(), fits);
}

fn assert_failed_with(out: &Output, needles: &[&str]) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}:\n{err}");
    }
    err
}

#[test]
fn a_file_size_limit_stops_the_session_cleanly_and_resume_completes_it() {
    let f = Fixture::new();
    f.write("small.toml", SMALL);
    // 100 KiB: session.json fits, the reference recording (~0.5 MB) not
    let out = run_limited(
        &f,
        100,
        &["session", "run", "small.toml", "--yes", "--out", "s"],
    );
    assert_failed_with(
        &out,
        &[
            "error: cannot save the reference recording: s/reference.wav: cannot write: File too large (os error 27)",
            "0 of 6 fits measured, 0 skipped, saved in s; once fixed, continue with: tipfit session resume s",
        ],
    );
    readable(&f.path("s"), 0);
    no_temps(&f.path("s"));
    assert!(!f.path("s/reference.wav").exists());
    assert!(!f.path("s").join(store::LOCK_FILE).exists());
    f.ok(&["session", "resume", "s", "--yes"]);
    readable(&f.path("s"), 6);

    // a finished session: a report that cannot be written keeps the old one
    f.ok(&["report", "s", "--out", "r"]);
    let before = snapshot(&f.path("r"));
    let out = run_limited(&f, 20, &["report", "s", "--out", "r", "--force"]);
    assert_failed_with(&out, &["r/", "File too large (os error 27)"]);
    assert_eq!(snapshot(&f.path("r")), before, "the old report changed");
}

#[test]
fn a_failed_fit_write_keeps_the_finished_fits_and_resume_redoes_it() {
    let f = Fixture::new();
    f.write("small.toml", SMALL);
    let out = f
        .cmd(&["session", "run", "small.toml", "--yes", "--out", "s"])
        .env("TIPFIT_FAIL_WRITE", "foam-m/fit-2.json")
        .output()
        .unwrap();
    assert_failed_with(
        &out,
        &[
            "error: s/fits/foam-m/fit-2.json: cannot write: injected I/O error (TIPFIT_FAIL_WRITE)",
            "1 of 6 fits measured, 0 skipped, saved in s; once fixed, continue with: tipfit session resume s",
        ],
    );
    readable(&f.path("s"), 1);
    no_temps(&f.path("s"));
    let fit1 = f.read("s/fits/foam-m/fit-1.json");
    let wav1 = f.read("s/fits/foam-m/fit-1.wav");
    f.ok(&["session", "resume", "s", "--yes"]);
    readable(&f.path("s"), 6);
    assert_eq!(f.read("s/fits/foam-m/fit-1.json"), fit1);
    assert_eq!(f.read("s/fits/foam-m/fit-1.wav"), wav1);

    // the session file itself: nothing is left half-made, a rerun works
    let out = f
        .cmd(&["session", "run", "small.toml", "--yes", "--out", "t"])
        .env("TIPFIT_FAIL_WRITE", "t/session.json")
        .output()
        .unwrap();
    assert_failed_with(&out, &["t/session.json: cannot write: injected I/O error"]);
    assert!(!f.path("t/session.json").exists());
    f.ok(&["session", "run", "small.toml", "--yes", "--out", "t"]);
    readable(&f.path("t"), 6);
}

#[test]
fn a_failed_export_or_calibration_write_leaves_the_old_file() {
    let f = Fixture::new();
    f.ok(&["measure", "--duration", "1", "--export-txt", "fr.txt"]);
    let old = f.read("fr.txt");
    let out = f
        .cmd(&[
            "measure",
            "--duration",
            "1",
            "--tip-preset",
            "earbud",
            "--export-txt",
            "fr.txt",
            "--force",
        ])
        .env("TIPFIT_FAIL_WRITE", "fr.txt")
        .output()
        .unwrap();
    assert_failed_with(&out, &["fr.txt", "injected I/O error"]);
    assert_eq!(f.read("fr.txt"), old);
    no_temps(f.dir.path());
}

/// Mount a tmpfs of `size` at `dir`; false when this machine does not let
/// the test mount (not root, no CAP_SYS_ADMIN).
fn mount_tmpfs(dir: &Path, size: &str) -> bool {
    std::fs::create_dir_all(dir).unwrap();
    std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(dir)
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

struct Unmount(PathBuf);
impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_and_a_read_only_disk_keep_the_session() {
    let f = Fixture::new();
    let disk = f.path("disk");
    if !mount_tmpfs(&disk, "1200k") {
        eprintln!("SKIPPED: cannot mount a tmpfs here (needs root); the ulimit and injected tests cover the logic");
        return;
    }
    let _guard = Unmount(disk.clone());
    f.write("small.toml", SMALL);
    // 1.2 MB holds session.json, the reference and a fit or so, not six
    let out = f.run(&["session", "run", "small.toml", "--yes", "--out", "disk/s"]);
    let err = assert_failed_with(
        &out,
        &[
            "No space left on device (os error 28)",
            "continue with: tipfit session resume disk/s",
        ],
    );
    let dir = disk.join("s");
    let saved = store::load(&dir).unwrap().fits.len();
    assert!(saved < 6, "{err}");
    readable(&dir, saved);
    no_temps(&dir);
    let before = snapshot(&dir);

    // read-only: resume says so and changes nothing
    let ro = std::process::Command::new("mount")
        .args(["-o", "remount,ro"])
        .arg(&disk)
        .status()
        .unwrap();
    assert!(ro.success());
    let out = f.run(&["session", "resume", "disk/s", "--yes"]);
    assert_failed_with(&out, &["Read-only file system (os error 30)"]);
    assert_eq!(snapshot(&dir), before);
    let out = f.run(&["compare", "disk/s"]);
    assert!(
        out.status.success(),
        "compare reads a read-only session: {}",
        stderr(&out)
    );

    // room again: resume completes without touching the saved fits
    let rw = std::process::Command::new("mount")
        .args(["-o", "remount,rw,size=20m"])
        .arg(&disk)
        .status()
        .unwrap();
    assert!(rw.success());
    f.ok(&["session", "resume", "disk/s", "--yes"]);
    readable(&dir, 6);
    for (p, bytes) in before {
        if p.extension().is_some_and(|e| e == "json" || e == "wav") && !p.ends_with("session.json")
        {
            assert_eq!(std::fs::read(&p).unwrap(), bytes, "{} changed", p.display());
        }
    }
}
