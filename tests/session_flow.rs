//! The guided session through a pseudo-terminal, as a person runs it:
//! Enter, r (redo asks for a new insertion and waits), s, q, Ctrl-C at a
//! prompt and end of input (Ctrl-D). Every case checks the lock file
//! afterwards, the exit code and the message. Also: a tip that cannot seal
//! is said so once, with no refit advice.
//!
//! The pseudo-terminal is opened with `libc::openpty`; the child is made a
//! session leader with the terminal as its controlling terminal, so Ctrl-C
//! typed as `^C` reaches it as SIGINT, as at a real terminal.

#![cfg(unix)]

mod common;

use common::Fixture;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::FromRawFd;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ExitStatus};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tipfit::session::store;

/// One tip, foam, `fits` fits, a sealed reference, 1 s sweeps and no
/// isolation (quick to measure).
fn config(fits: usize) -> String {
    format!(
        r#"
iem = "Test IEM"
fits_per_tip = {fits}
[measurements]
isolation = false
[signal]
sweep_duration_s = 1.0
[reference]
measure = "sealed"
[[tip]]
name = "Foam M"
preset = "foam"
"#
    )
}

const WAIT: Duration = Duration::from_secs(90);

/// tipfit running on a pseudo-terminal.
struct Pty {
    master: File,
    child: Child,
    out: Arc<Mutex<Vec<u8>>>,
    /// How far [`Pty::expect`] has read.
    cursor: usize,
}

impl Pty {
    fn spawn(f: &Fixture, args: &[&str]) -> Pty {
        let (mut master, mut slave) = (0, 0);
        let size = libc::winsize {
            ws_row: 40,
            ws_col: 200,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: openpty writes two fds into the given ints; the name
        // buffer and termios are optional (null).
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                &size,
            )
        };
        assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: the fds are fresh and owned here from now on.
        unsafe { libc::fcntl(master, libc::F_SETFD, libc::FD_CLOEXEC) };
        let master = unsafe { File::from_raw_fd(master) };
        let slave = unsafe { File::from_raw_fd(slave) };
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("tipfit"));
        cmd.args(args)
            .current_dir(f.dir.path())
            .env_remove("TIPFIT_SIM_FAULT")
            .stdin(slave.try_clone().unwrap())
            .stdout(slave.try_clone().unwrap())
            .stderr(slave);
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY as _, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().unwrap();
        drop(cmd); // the parent's copies of the terminal's slave side
        let out = Arc::new(Mutex::new(Vec::new()));
        let (mut reader, sink) = (master.try_clone().unwrap(), out.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            // ends with EIO once the child (the last holder of the slave) exits
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Pty {
            master,
            child,
            out,
            cursor: 0,
        }
    }

    /// Everything printed so far, `\r` removed.
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().unwrap()).replace('\r', "")
    }

    /// Wait until `needle` is printed after what was expected before;
    /// returns the text from the old cursor to the end of the match.
    fn expect(&mut self, needle: &str) -> String {
        let t0 = Instant::now();
        loop {
            let text = self.text();
            if let Some(at) = text[self.cursor.min(text.len())..].find(needle) {
                let end = self.cursor + at + needle.len();
                let seen = text[self.cursor..end].to_string();
                self.cursor = end;
                return seen;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                std::thread::sleep(Duration::from_millis(200));
                let text = self.text();
                assert!(
                    text[self.cursor.min(text.len())..].contains(needle),
                    "tipfit exited ({status}) without printing {needle:?}:\n{text}"
                );
                continue;
            }
            assert!(
                t0.elapsed() < WAIT,
                "{needle:?} not printed within {WAIT:?}:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Type `keys` at the terminal.
    fn send(&mut self, keys: &str) {
        self.master.write_all(keys.as_bytes()).unwrap();
        self.master.flush().unwrap();
    }

    /// Wait for the exit; the whole output after it.
    fn finish(&mut self) -> (ExitStatus, String) {
        let t0 = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            assert!(t0.elapsed() < WAIT, "tipfit did not exit:\n{}", self.text());
            std::thread::sleep(Duration::from_millis(20));
        };
        std::thread::sleep(Duration::from_millis(200));
        (status, self.text())
    }
}

impl Drop for Pty {
    /// A test that failed while tipfit waits leaves no process behind.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn lock_exists(dir: &Path) -> bool {
    dir.join(store::LOCK_FILE).exists()
}

/// The sim's drawn leak of a stored fit (its truth, not tipfit's analysis).
fn drawn_leak_hz(dir: &Path, fit: usize) -> f64 {
    let r = store::load(dir).unwrap();
    let rec = r.fits.iter().find(|r| r.fit == fit).expect("fit stored");
    let rig = rec.rig.as_ref().expect("the sim's description");
    rig["truth"]["leak_f0_hz"]
        .as_f64()
        .unwrap_or_else(|| panic!("no leak f0 in {rig}"))
}

fn attempts(dir: &Path, fit: usize) -> usize {
    let r = store::load(dir).unwrap();
    r.fits.iter().find(|r| r.fit == fit).unwrap().attempts
}

/// Enter measures and keeps; r asks for a new insertion and measures only
/// after Enter, drawing a new insertion on the sim.
#[test]
fn enter_keeps_and_redo_waits_for_a_new_insertion() {
    let f = Fixture::new();
    f.write("one.toml", config(2));
    let dir = f.path("s");
    let mut t = Pty::spawn(&f, &["session", "run", "one.toml", "--out", "s"]);
    t.expect("Press Enter to measure it");
    assert!(lock_exists(&dir), "the lock is held while the session runs");
    t.send("\n");
    t.expect("Insert tip 'Foam M', fit 1 of 2, press Enter");
    t.send("\n");
    t.expect("Foam M fit 1/2:");
    t.expect("Enter = keep, r = redo, s = skip, q = quit:");
    let first = std::fs::read(dir.join("fits/foam-m/fit-1.json")).unwrap();
    let first_leak = drawn_leak_hz(&dir, 1);
    t.send("r\n");
    t.expect("Re-insert tip 'Foam M' (a new insertion), press Enter to measure fit 1 again");
    // it waits: nothing is measured before Enter
    std::thread::sleep(Duration::from_millis(2500));
    let waiting = t.text()[t.cursor..].to_string();
    assert!(
        !waiting.contains("fit 1/2:"),
        "measured without Enter:\n{waiting}"
    );
    assert_eq!(
        std::fs::read(dir.join("fits/foam-m/fit-1.json")).unwrap(),
        first,
        "fit 1 changed before the new insertion was confirmed"
    );
    t.send("\n");
    t.expect("Foam M fit 1/2:");
    t.expect("Enter = keep");
    assert_eq!(
        attempts(&dir, 1),
        2,
        "the redo is the fit's 2nd measurement"
    );
    let second_leak = drawn_leak_hz(&dir, 1);
    assert!(
        (second_leak / first_leak - 1.0).abs() > 1e-6,
        "a redo draws a new insertion: leak {first_leak} Hz both times"
    );
    t.send("\n");
    t.expect("Insert tip 'Foam M', fit 2 of 2");
    t.send("\n");
    t.expect("Enter = keep");
    t.send("\n");
    let (status, text) = t.finish();
    assert_eq!(status.code(), Some(0), "{text}");
    assert!(
        text.contains("session complete in s: 2 of 2 fits measured, 0 skipped"),
        "{text}"
    );
    assert!(!lock_exists(&dir), "lock left after completion");
    assert_eq!(attempts(&dir, 2), 1);
}

/// s skips (not counted as measured), q stops with both counts and the
/// resume command; resume says the counts apart and q stops it again.
#[test]
fn skip_and_quit_count_measured_and_skipped_apart() {
    let f = Fixture::new();
    f.write("three.toml", config(3));
    let dir = f.path("s");
    let mut t = Pty::spawn(&f, &["session", "run", "three.toml", "--out", "s"]);
    t.expect("Press Enter to measure it");
    t.send("\n");
    t.expect("fit 1 of 3");
    t.send("s\n");
    t.expect("tip 'Foam M' fit 1: skipped");
    t.expect("fit 2 of 3");
    t.send("\n");
    t.expect("Enter = keep");
    t.send("q\n");
    let (status, text) = t.finish();
    assert_eq!(status.code(), Some(0), "{text}");
    assert!(
        text.contains(
            "stopped with 1 of 3 fits measured, 1 skipped; continue with: tipfit session resume s"
        ),
        "{text}"
    );
    assert!(!lock_exists(&dir), "lock left after q");
    let loaded = store::load(&dir).unwrap();
    assert_eq!(loaded.fits.len(), 2);
    assert!(loaded.fits.iter().any(|r| r.fit == 1 && r.skipped));
    assert!(loaded.fits.iter().any(|r| r.fit == 2 && !r.skipped));

    let mut t = Pty::spawn(&f, &["session", "resume", "s"]);
    t.expect("resuming: 1 of 3 fits measured, 1 skipped");
    t.expect("fit 3 of 3");
    assert!(lock_exists(&dir));
    t.send("q\n");
    let (status, text) = t.finish();
    assert_eq!(status.code(), Some(0), "{text}");
    assert!(
        text.contains("stopped with 1 of 3 fits measured, 1 skipped"),
        "{text}"
    );
    assert!(!lock_exists(&dir), "lock left after q on resume");

    // q after the last fit is measured: nothing is left, the session is complete
    let mut t = Pty::spawn(&f, &["session", "resume", "s"]);
    t.expect("fit 3 of 3");
    t.send("\n");
    t.expect("Enter = keep");
    t.send("q\n");
    let (status, text) = t.finish();
    assert_eq!(status.code(), Some(0), "{text}");
    assert!(
        text.contains("session complete in s: 2 of 3 fits measured, 1 skipped"),
        "{text}"
    );
    assert!(!text.contains("stopped with"), "{text}");
    assert!(!lock_exists(&dir), "lock left after the last fit");
}

/// Ctrl-C (SIGINT) while tipfit waits at a prompt: it stops at once,
/// keeps the fit measured, releases the lock, prints the resume command
/// and exits 130.
#[test]
fn ctrl_c_at_a_prompt_releases_the_lock_and_says_how_to_resume() {
    let f = Fixture::new();
    f.write("two.toml", config(2));
    let dir = f.path("s");
    let mut t = Pty::spawn(&f, &["session", "run", "two.toml", "--out", "s"]);
    t.expect("Press Enter to measure it");
    t.send("\n");
    t.expect("fit 1 of 2");
    t.send("\n");
    t.expect("Enter = keep");
    t.send("\n");
    t.expect("Insert tip 'Foam M', fit 2 of 2, press Enter");
    std::thread::sleep(Duration::from_millis(300));
    assert!(lock_exists(&dir), "the lock is held at the prompt");
    let sent = Instant::now();
    // SAFETY: a signal to our own child.
    assert_eq!(unsafe { libc::kill(t.child.id() as i32, libc::SIGINT) }, 0);
    let (status, text) = t.finish();
    let took = sent.elapsed();
    assert_eq!(status.code(), Some(130), "{text}");
    assert!(took < Duration::from_secs(3), "took {took:?} to stop");
    assert!(
        text.contains(
            "interrupted: 1 of 2 fits measured, 0 skipped, saved in s; continue with: tipfit session resume s"
        ),
        "{text}"
    );
    assert!(!lock_exists(&dir), "lock left after Ctrl-C at a prompt");
    let loaded = store::load(&dir).unwrap();
    assert_eq!(loaded.measured().len(), 1, "the measured fit is kept");
}

/// ^C typed at the terminal at the first prompt (nothing measured): the
/// same stop, exit 130, the lock released.
#[test]
fn ctrl_c_typed_at_the_first_prompt_stops_with_130() {
    let f = Fixture::new();
    f.write("two.toml", config(2));
    let dir = f.path("s");
    let mut t = Pty::spawn(&f, &["session", "run", "two.toml", "--out", "s"]);
    t.expect("Press Enter to measure it");
    std::thread::sleep(Duration::from_millis(300));
    t.send("\x03");
    let (status, text) = t.finish();
    assert_eq!(status.code(), Some(130), "{text}");
    assert!(
        text.contains("interrupted: 0 of 2 fits measured, 0 skipped, saved in s; continue with: tipfit session resume s"),
        "{text}"
    );
    assert!(!lock_exists(&dir), "lock left after ^C");
    assert!(
        dir.join(store::SESSION_FILE).exists(),
        "the session is kept"
    );
}

/// End of input (^D) before anything was measured: exit 1, the hint at
/// --yes and the resume command, the lock released. After a measured fit:
/// exit 0 with the counts.
#[test]
fn end_of_input_stops_says_yes_and_fails_only_when_nothing_was_measured() {
    let f = Fixture::new();
    f.write("two.toml", config(2));
    let dir = f.path("s");
    let mut t = Pty::spawn(&f, &["session", "run", "two.toml", "--out", "s"]);
    t.expect("Press Enter to measure it");
    t.send("\x04");
    let (status, text) = t.finish();
    assert_eq!(status.code(), Some(1), "{text}");
    assert!(
        text.contains("error: end of input before any fit was measured"),
        "{text}"
    );
    assert!(text.contains("--yes runs unattended"), "{text}");
    assert!(text.contains("0 of 2 fits measured, 0 skipped"), "{text}");
    assert!(text.contains("tipfit session resume s"), "{text}");
    assert!(!lock_exists(&dir), "lock left after end of input");

    // resume: the reference and one fit measured, then the input ends
    let mut t = Pty::spawn(&f, &["session", "resume", "s"]);
    t.expect("Press Enter to measure it");
    t.send("\n");
    t.expect("fit 1 of 2");
    t.send("\n");
    t.expect("Enter = keep");
    t.send("\x04");
    let (status, text) = t.finish();
    assert_eq!(status.code(), Some(0), "{text}");
    assert!(
        text.contains("stopped at the end of input with 1 of 2 fits measured, 0 skipped; continue with: tipfit session resume s"),
        "{text}"
    );
    assert!(text.contains("--yes runs unattended"), "{text}");
    assert!(!lock_exists(&dir), "lock left after end of input");
    assert_eq!(store::load(&dir).unwrap().measured().len(), 1);
}

/// A tip that cannot seal (the sim's earbud: leak corner near 2 kHz,
/// far above the bass) is said to not seal once, and no refit is
/// suggested after any of its fits.
#[test]
fn a_tip_that_cannot_seal_is_said_once_without_refit_advice() {
    let f = Fixture::new();
    f.write(
        "earbud.toml",
        config(4).replace(
            "name = \"Foam M\"\npreset = \"foam\"",
            "name = \"Earbud\"\npreset = \"earbud\"",
        ),
    );
    let out = f.ok(&["session", "run", "earbud.toml", "--out", "s", "--yes"]);
    let err = common::stderr(&out);
    let dir = f.path("s");
    for n in 1..=4 {
        let leak = drawn_leak_hz(&dir, n);
        assert!(leak > 1000.0, "the sim drew a leak at {leak} Hz");
    }
    assert_eq!(err.matches("Earbud fit").count(), 4, "{err}");
    assert_eq!(
        err.matches("tip 'Earbud' does not seal at all").count(),
        1,
        "{err}"
    );
    assert!(!err.contains("refit may help"), "{err}");
    assert!(!lock_exists(&dir));
}
