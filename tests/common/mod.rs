//! Helpers shared by the integration tests: a temporary folder per test in
//! which the binary runs (so messages show file names as typed), and the
//! output accessors.

// Each test crate uses its own subset of these helpers.
#![allow(dead_code)]

use assert_cmd::Command;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use tempfile::TempDir;

/// A small, fast session: 2 tips x 3 fits, 1 s sweeps, 3 s isolation, a
/// sealed reference.
pub const SMALL_SESSION: &str = r#"
iem = "Test IEM"
fits_per_tip = 3
[signal]
sweep_duration_s = 1.0
isolation_duration_s = 3.0
[reference]
measure = "sealed"
[[tip]]
name = "Foam M"
material = "foam"
preset = "foam"
[[tip]]
name = "Silicone S"
material = "silicone"
size = "S"
preset = "silicone-s"
"#;

/// Every file under `dir` (at any depth) with its bytes, by path; a
/// missing folder gives an empty map.
pub fn files_under(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(p: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(p).into_iter().flatten().flatten() {
            let path = e.path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, &mut out);
    out
}

/// The tipfit binary.
pub fn tipfit() -> Command {
    Command::cargo_bin("tipfit").unwrap()
}

/// A temporary folder holding the files of one test.
pub struct Fixture {
    pub dir: TempDir,
}

impl Fixture {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, contents).unwrap();
        p
    }

    pub fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap()
    }

    /// Run tipfit in the folder with `stdin` as its input.
    pub fn run_with(&self, args: &[&str], stdin: &str) -> Output {
        tipfit()
            .current_dir(self.dir.path())
            .args(args)
            .write_stdin(stdin)
            .output()
            .unwrap()
    }

    /// The tipfit command in the folder, to add environment and run.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = tipfit();
        c.current_dir(self.dir.path()).args(args).write_stdin("");
        c
    }

    /// Run tipfit in the folder (empty input).
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, "")
    }

    /// Run tipfit in the folder; it must succeed.
    pub fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "tipfit {} failed ({:?}):\n{}",
            args.join(" "),
            out.status.code(),
            stderr(&out)
        );
        out
    }

    /// Run tipfit; it must fail with exit code 1 and no panic. Returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let err = stderr(&out);
        assert_eq!(
            out.status.code(),
            Some(1),
            "tipfit {}: {err}",
            args.join(" ")
        );
        assert!(!err.contains("panicked"), "{err}");
        err
    }
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The command failed with exit code 1, printed nothing on stdout and
/// exactly one `error:` line on stderr containing every one of `needles`
/// (the file name and the problem), and did not panic.
pub fn assert_one_error(out: &Output, needles: &[&str]) {
    let err = stderr(out);
    assert!(!err.contains("panicked"), "panic:\n{err}");
    assert_eq!(out.status.code(), Some(1), "exit code; stderr:\n{err}");
    assert!(
        out.stdout.is_empty(),
        "nothing expected on stdout, got:\n{}",
        stdout(out)
    );
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        1,
        "expected one message on stderr, got:\n{err}"
    );
    assert!(
        lines[0].starts_with("error: "),
        "not an error line: {}",
        lines[0]
    );
    for needle in needles {
        assert!(lines[0].contains(needle), "stderr lacks {needle:?}:\n{err}");
    }
}
