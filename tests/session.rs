//! Sessions end to end through the binary: the guided run (answers on
//! stdin, `--yes`), storage, resume after a kill, compare, report, demo,
//! and the bad inputs of issue 4.

mod common;

use common::{files_under, stderr, stdout, tipfit, Fixture, SMALL_SESSION as SMALL};
use std::path::{Path, PathBuf};
use tipfit::session::store;

impl Fixture {
    /// The small session measured unattended into `s/`.
    fn small_session(&self) -> PathBuf {
        self.write("small.toml", SMALL);
        self.ok(&["session", "run", "small.toml", "--out", "s", "--yes"]);
        self.path("s")
    }
}

/// The fits' JSON and WAV files under a session folder, with their bytes.
fn fit_files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    files_under(&dir.join("fits"))
        .into_iter()
        .filter(|(p, _)| p.extension().is_some_and(|e| e == "json" || e == "wav"))
        .collect()
}

#[test]
fn unattended_session_stores_every_fit_and_compares() {
    let f = Fixture::new();
    let dir = f.small_session();
    let loaded = store::load(&dir).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert_eq!(loaded.fits.len(), 6);
    assert!(
        loaded.info.reference.is_some(),
        "the sealed reference is stored"
    );
    assert!(dir.join("reference.wav").exists());
    assert!(!dir.join(store::LOCK_FILE).exists(), "the lock is released");
    for r in &loaded.fits {
        let m = r.seal.as_ref().expect("a seal measurement");
        assert!(
            m.seal.bass_loss_db.is_some(),
            "measured against the reference"
        );
        assert!(r.isolation.is_some());
        let wav = dir.join("fits").join(if r.tip == "Foam M" {
            "foam-m"
        } else {
            "silicone-s"
        });
        assert!(wav.join(format!("fit-{}.wav", r.fit)).exists());
    }
    let out = f.ok(&["compare", "s", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["seal_ranking"]["entries"][0]["tip"], "Foam M");
    assert_eq!(v["isolation_ranking"]["entries"][0]["tip"], "Foam M");
    let table = stdout(&f.ok(&["compare", "s", "--csv", "c.csv"]));
    assert!(
        table.contains("Foam M") && table.contains("leak corner"),
        "{table}"
    );
    let csv = std::fs::read_to_string(f.path("c.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.starts_with("tip,fits,skipped,verdict,seal_rank"));
}

#[test]
fn guided_run_follows_redo_skip_and_quit_then_resumes() {
    let f = Fixture::new();
    f.write("small.toml", SMALL);
    // reference; fit 1: go, measured, redo, new insertion, keep; fit 2:
    // skip; fit 3: go, then quit.
    let out = f.run_with(
        &["session", "run", "small.toml", "--out", "s"],
        "\n\nr\n\n\ns\n\nq\n",
    );
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("Insert tip 'Foam M', fit 1 of 3"), "{err}");
    assert!(
        err.contains("Re-insert tip 'Foam M' (a new insertion)"),
        "{err}"
    );
    assert!(
        err.contains(
            "stopped with 2 of 6 fits measured, 1 skipped; continue with: tipfit session resume s"
        ),
        "{err}"
    );
    let dir = f.path("s");
    let loaded = store::load(&dir).unwrap();
    let foam = |n: usize| loaded.fits.iter().find(|r| r.tip == "Foam M" && r.fit == n);
    assert_eq!(foam(1).unwrap().attempts, 2, "fit 1 was measured twice");
    assert!(foam(2).unwrap().skipped);
    assert!(
        foam(3).is_some(),
        "the fit measured before quitting is kept"
    );
    assert_eq!(loaded.fits.len(), 3);
    // End of input after a measured fit also stops cleanly (exit 0).
    let out = f.run_with(&["session", "resume", "s"], "\n");
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("resuming: 2 of 6 fits measured, 1 skipped"),
        "{err}"
    );
    assert!(err.contains("--yes runs unattended"), "{err}");
    assert_eq!(store::load(&dir).unwrap().fits.len(), 4);
    f.ok(&["session", "resume", "s", "--yes"]);
    let loaded = store::load(&dir).unwrap();
    assert_eq!(loaded.fits.len(), 6);
    let v: serde_json::Value =
        serde_json::from_slice(&f.ok(&["compare", "s", "--json"]).stdout).unwrap();
    assert_eq!(v["tips"][0]["fits"], 2);
    assert_eq!(v["tips"][0]["skipped_fits"], 1);
    let again = stderr(&f.ok(&["session", "resume", "s", "--yes"]));
    assert!(
        again.contains("nothing left to measure (5 of 6 fits measured, 1 skipped)"),
        "{again}"
    );
}

/// Kill `tipfit session run --yes` (SIGKILL) at 50 pseudo-random points
/// spread over a whole run (timed first); the folder must always be
/// readable, and resume must complete it without touching any fit
/// finished before the kill. `TIPFIT_KILL_SEED` picks other points.
#[test]
fn killing_a_session_never_leaves_it_unreadable_and_resume_completes_it() {
    let f = Fixture::new();
    f.write("small.toml", SMALL);
    let bin = assert_cmd::cargo::cargo_bin("tipfit");
    let t0 = std::time::Instant::now();
    f.ok(&["session", "run", "small.toml", "--yes", "--out", "timed"]);
    let full_ms = t0.elapsed().as_millis() as u64;
    let seed: u64 = std::env::var("TIPFIT_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x2545_F491_4F6C_DD1D);
    let mut state = seed.max(1);
    let runs = 50;
    // fits saved at the kill -> runs (None: killed before session.json)
    let mut saved_at_kill = std::collections::BTreeMap::<Option<usize>, usize>::new();
    for run in 0..runs {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let delay_ms = 5 + state % (full_ms * 9 / 10);
        let out = f.path(&format!("k{run}"));
        let mut child = std::process::Command::new(&bin)
            .args(["session", "run", "small.toml", "--yes", "--out"])
            .arg(&out)
            .current_dir(f.dir.path())
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let why = format!("run {run} (seed {seed}, killed at {delay_ms} of {full_ms} ms)");
        if !out.join(store::SESSION_FILE).exists() {
            *saved_at_kill.entry(None).or_default() += 1;
            continue; // killed before the session existed: nothing to lose
        }
        let loaded = store::load(&out).unwrap_or_else(|e| panic!("{why}: {e:#}"));
        assert!(loaded.warnings.is_empty(), "{why}: {:?}", loaded.warnings);
        *saved_at_kill.entry(Some(loaded.fits.len())).or_default() += 1;
        let before = fit_files(&out);
        let finished: Vec<&(PathBuf, Vec<u8>)> = before
            .iter()
            .filter(|(p, _)| p.extension().is_some_and(|e| e == "json"))
            .collect();
        let o = f.run(&["session", "resume", out.to_str().unwrap(), "--yes"]);
        assert!(o.status.success(), "{why}: {}", stderr(&o));
        let after = store::load(&out).unwrap();
        assert_eq!(after.fits.len(), 6, "{why}");
        assert!(after.warnings.is_empty(), "{why}");
        assert!(!out.join(store::LOCK_FILE).exists(), "{why}: lock left");
        for (p, bytes) in finished {
            let wav = p.with_extension("wav");
            assert_eq!(
                &std::fs::read(p).unwrap(),
                bytes,
                "{why}: {} changed",
                p.display()
            );
            if let Some((_, w)) = before.iter().find(|(q, _)| *q == wav) {
                assert_eq!(
                    &std::fs::read(&wav).unwrap(),
                    w,
                    "{why}: {} changed",
                    wav.display()
                );
            }
        }
        let o = f.run(&["compare", out.to_str().unwrap(), "--json"]);
        assert!(o.status.success(), "{why}: {}", stderr(&o));
    }
    eprintln!("kill points (fits saved -> runs): {saved_at_kill:?}, a full run {full_ms} ms");
    // the kills landed all over the run: before the session, mid-way, late
    assert!(saved_at_kill.len() >= 4, "{saved_at_kill:?}");
    assert_eq!(saved_at_kill.values().sum::<usize>(), runs);
}

/// Ctrl-C (SIGINT) during `session run`: the fit in progress is finished
/// and saved or dropped, the lock released, exit 130 with the resume
/// command; resume completes the session without touching saved fits.
#[test]
fn ctrl_c_saves_what_is_finished_and_says_how_to_resume() {
    let f = Fixture::new();
    f.write(
        "long.toml",
        SMALL.replace("fits_per_tip = 3", "fits_per_tip = 8"),
    );
    let bin = assert_cmd::cargo::cargo_bin("tipfit");
    let out = f.path("c");
    let child = std::process::Command::new(&bin)
        .args(["session", "run", "long.toml", "--yes", "--out"])
        .arg(&out)
        .current_dir(f.dir.path())
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // wait for the first saved fit, then press Ctrl-C
    let t0 = std::time::Instant::now();
    while fit_files(&out).is_empty() {
        assert!(t0.elapsed().as_secs() < 60, "no fit saved within 60 s");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let pid = child.id().to_string();
    let sent = std::time::Instant::now();
    assert!(std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let o = child.wait_with_output().unwrap();
    let took = sent.elapsed();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(130), "{err}");
    assert!(took.as_secs_f64() < 5.0, "took {took:?} to stop");
    let line = err
        .lines()
        .find(|l| l.starts_with("interrupted: "))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(
        line.contains(&format!(
            "of 16 fits measured, 0 skipped, saved in {}; continue with: tipfit session resume {}",
            out.display(),
            out.display()
        )),
        "{line}"
    );
    assert!(err.contains("stopped by Ctrl-C"), "{err}");
    assert!(!out.join(store::LOCK_FILE).exists(), "lock left");
    let loaded = store::load(&out).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    let saved = loaded.fits.len();
    assert!((1..16).contains(&saved), "{saved}");
    assert!(
        line.starts_with(&format!("interrupted: {saved} of 16")),
        "{line}"
    );
    let before = fit_files(&out);
    let o = f.run(&["session", "resume", out.to_str().unwrap(), "--yes"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains(&format!("resuming: {saved} of 16 fits measured, 0 skipped")));
    assert_eq!(store::load(&out).unwrap().fits.len(), 16);
    for (p, bytes) in before {
        assert_eq!(std::fs::read(&p).unwrap(), bytes, "{} changed", p.display());
    }
}

#[test]
fn a_locked_session_is_refused_and_a_stale_lock_is_taken_over() {
    let f = Fixture::new();
    let dir = f.small_session();
    // A lock held by a running process (this test).
    std::fs::write(
        dir.join(store::LOCK_FILE),
        format!("{}\n", std::process::id()),
    )
    .unwrap();
    let err = f.fails(&["session", "resume", "s", "--yes"]);
    assert!(err.contains("being written by another tipfit"), "{err}");
    // A lock left by a process that is gone.
    std::fs::write(dir.join(store::LOCK_FILE), "4194303999\n").unwrap();
    let err = stderr(&f.ok(&["session", "resume", "s", "--yes"]));
    assert!(err.contains("taking over a lock"), "{err}");
}

#[test]
fn bad_config_names_line_and_key_and_measures_nothing() {
    let f = Fixture::new();
    f.write("typo.toml", format!("{SMALL}fits_per_tp = 3\n"));
    let err = f.fails(&["session", "run", "typo.toml", "--out", "a", "--yes"]);
    assert!(
        err.contains("typo.toml") && err.contains("fits_per_tp") && err.contains("line"),
        "{err}"
    );
    assert!(!f.path("a").exists(), "nothing is created for a bad config");

    f.write("preset.toml", SMALL.replace("\"silicone-s\"", "\"gel\""));
    let err = f.fails(&["session", "run", "preset.toml", "--out", "a", "--yes"]);
    assert!(
        err.contains("gel") && err.contains("silicone-m") && err.contains("line 17"),
        "{err}"
    );

    f.write("broken.toml", "iem = \"x\n");
    let err = f.fails(&["session", "run", "broken.toml", "--out", "a", "--yes"]);
    assert!(
        err.contains("broken.toml") && err.contains("line 1"),
        "{err}"
    );

    let err = f.fails(&["session", "run", "missing.toml", "--out", "a"]);
    assert!(err.contains("missing.toml"), "{err}");
}

#[test]
fn unwritable_or_used_output_fails_before_measuring() {
    let f = Fixture::new();
    f.write("small.toml", SMALL);
    f.write("afile", "x");
    let err = f.fails(&[
        "session",
        "run",
        "small.toml",
        "--out",
        "afile/sub",
        "--yes",
    ]);
    assert!(err.contains("afile/sub"), "{err}");
    std::fs::create_dir(f.path("busy")).unwrap();
    f.write("busy/notes.txt", "mine");
    let err = f.fails(&["session", "run", "small.toml", "--out", "busy", "--yes"]);
    assert!(err.contains("not empty"), "{err}");
    assert_eq!(
        std::fs::read_to_string(f.path("busy/notes.txt")).unwrap(),
        "mine"
    );
    f.small_session();
    let err = f.fails(&["session", "run", "small.toml", "--out", "s", "--yes"]);
    assert!(
        err.contains("already holds a session") && err.contains("resume"),
        "{err}"
    );
    let err = f.fails(&["report", "s", "--out", "busy"]);
    assert!(err.contains("busy") && err.contains("--force"), "{err}");
}

#[test]
fn folders_that_are_not_sessions_or_too_new_are_refused() {
    let f = Fixture::new();
    std::fs::create_dir(f.path("empty")).unwrap();
    for cmd in ["compare", "report"] {
        let err = f.fails(&[cmd, "empty"]);
        assert!(
            err.contains("empty") && err.contains("not a tipfit session"),
            "{err}"
        );
    }
    let err = f.fails(&["session", "resume", "empty"]);
    assert!(err.contains("not a tipfit session"), "{err}");
    let dir = f.small_session();
    let path = dir.join("session.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        text.replacen("\"schema_version\": 1", "\"schema_version\": 99", 1),
    )
    .unwrap();
    let err = f.fails(&["compare", "s"]);
    assert!(
        err.contains("session.json") && err.contains("newer tipfit") && err.contains("99"),
        "{err}"
    );
    std::fs::write(&path, "{ not json").unwrap();
    let err = f.fails(&["compare", "s"]);
    assert!(
        err.contains("session.json") && err.contains("corrupt"),
        "{err}"
    );
}

#[test]
fn corrupt_fits_are_reported_by_name_and_the_others_compared() {
    let f = Fixture::new();
    let dir = f.small_session();
    std::fs::write(
        dir.join("fits/foam-m/fit-2.json"),
        "{\"schema_version\": 1, \"tip\": ",
    )
    .unwrap();
    let wav = dir.join("fits/silicone-s/fit-3.wav");
    let bytes = std::fs::read(&wav).unwrap();
    std::fs::write(&wav, &bytes[..bytes.len() / 2]).unwrap();
    let out = f.ok(&["compare", "s", "--json"]);
    let err = stderr(&out);
    assert!(
        err.contains("'Foam M' fit 2") && err.contains("fit-2.json"),
        "{err}"
    );
    assert!(
        err.contains("'Silicone S' fit 3") && err.contains("truncated"),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["tips"][0]["fits"], 2);
    assert_eq!(v["tips"][1]["fits"], 2);
    assert_eq!(v["warnings"].as_array().unwrap().len(), 2);
    // A report still comes out, and resume measures the two fits again.
    f.ok(&["report", "s", "--out", "r"]);
    f.ok(&["session", "resume", "s", "--yes"]);
    assert!(store::load(&dir).unwrap().warnings.is_empty());
}

fn check_png(path: &Path, size: (u32, u32)) {
    let img = image::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .to_rgb8();
    assert_eq!(img.dimensions(), size, "{}", path.display());
    let mut colours = std::collections::HashSet::new();
    let mut non_white = 0usize;
    for p in img.pixels() {
        colours.insert(p.0);
        if p.0 != [255, 255, 255] {
            non_white += 1;
        }
    }
    let share = non_white as f64 / (size.0 * size.1) as f64;
    assert!(
        colours.len() > 20,
        "{}: only {} colours",
        path.display(),
        colours.len()
    );
    assert!(
        share > 0.02,
        "{}: {:.1} % drawn: blank?",
        path.display(),
        share * 100.0
    );
}

const PLOTS: [&str; 8] = [
    "frequency_response.png",
    "bass.png",
    "isolation.png",
    "listening.png",
    "ranking.png",
    "repeatability.png",
    "summary.png",
    "tip_effect.png",
];

#[test]
fn report_writes_every_file_at_the_asked_size() {
    let f = Fixture::new();
    f.small_session();
    f.ok(&["report", "s", "--out", "r", "--size", "1200x800"]);
    for p in PLOTS {
        check_png(&f.path("r").join(p), (1200, 800));
    }
    let html = std::fs::read_to_string(f.path("r/report.html")).unwrap();
    assert_eq!(html.matches("data:image/png;base64,").count(), PLOTS.len());
    assert!(html.contains("Foam M") && html.contains("Seal ranking"));
    for e in [
        "foam-m.txt",
        "foam-m-autoeq.csv",
        "silicone-s.txt",
        "silicone-s-autoeq.csv",
    ] {
        assert!(f.path("r/exports").join(e).exists(), "{e}");
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(f.path("r/summary.json")).unwrap()).unwrap();
    assert_eq!(summary["tips"].as_array().unwrap().len(), 2);
    // A second report into the same folder is refused without --force (as
    // every output of tipfit), and leaves the first one as it was.
    let before = files_under(&f.path("r"));
    let out = f.run(&["report", "s", "--out", "r"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("r: already holds a report")
            && err.contains("pass --force to overwrite it")
            && err.contains("--out"),
        "{err}"
    );
    assert_eq!(files_under(&f.path("r")), before, "the old report changed");
    // With --force it is rewritten.
    f.ok(&["report", "s", "--out", "r", "--force"]);
    check_png(&f.path("r/summary.png"), (1600, 1000));
    assert_ne!(files_under(&f.path("r")), before, "--force rewrote nothing");
    // An empty folder that exists takes a report without --force.
    std::fs::create_dir(f.path("empty")).unwrap();
    f.ok(&["report", "s", "--out", "empty"]);
    check_png(&f.path("empty/summary.png"), (1600, 1000));
}

/// The demo: five presets, five fits, seal and isolation; foam, triple
/// flange and silicone M seal below the measured range in every fit, so
/// they tie first on the seal (bounds, not numbers), above silicone S above
/// the earbud.
#[test]
fn demo_ranks_the_presets_and_writes_the_full_report() {
    let f = Fixture::new();
    let out = f.ok(&["demo", "--out", "demo"]);
    assert!(stdout(&out).contains("Triple flange"));
    let demo = f.path("demo");
    for p in PLOTS {
        check_png(&demo.join(p), (1600, 1000));
    }
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(demo.join("summary.json")).unwrap()).unwrap();
    let entries = v["seal_ranking"]["entries"].as_array().unwrap();
    let rank = |tip: &str| -> u64 {
        entries
            .iter()
            .find(|e| e["tip"] == tip)
            .unwrap_or_else(|| panic!("{tip} not ranked: {entries:?}"))["rank"]
            .as_u64()
            .unwrap()
    };
    for sealed in ["Foam M", "Triple flange", "Silicone M"] {
        assert_eq!(rank(sealed), 1, "{entries:?}");
        let e = entries.iter().find(|e| e["tip"] == sealed).unwrap();
        assert_eq!(e["bound"], "below", "{e}");
    }
    assert!(rank("Silicone M") < rank("Silicone S"), "{entries:?}");
    assert!(rank("Silicone S") < rank("Earbud"), "{entries:?}");
    for t in v["tips"].as_array().unwrap() {
        assert_eq!(t["fits"], 5, "{}", t["name"]);
    }
    let fits = std::fs::read_dir(demo.join("session/fits"))
        .unwrap()
        .count();
    assert_eq!(fits, 5);
    // The report's headings are plain titles; the outlier column names the
    // fit (the demo's Silicone S has fit 5 out).
    let html = std::fs::read_to_string(demo.join("report.html")).unwrap();
    for h in [
        "<h2>Summary</h2>",
        "<h2>Frequency response</h2>",
        "<h2>Bass and leak corners</h2>",
        "<h2>Isolation per band</h2>",
        "<h2>Seal and isolation ranking</h2>",
        "<h2>Repeatability</h2>",
    ] {
        assert!(html.contains(h), "no {h}");
    }
    assert!(!html.contains("<h2>summary</h2>") && !html.contains("<h2>bass</h2>"));
    let silicone_s = html
        .lines()
        .find(|l| l.starts_with("<tr><td>Silicone S</td>"))
        .expect("a row for Silicone S");
    assert!(silicone_s.ends_with("<td>fit 5</td></tr>"), "{silicone_s}");
    // Running the demo again replaces it (the demo owns its folder, no
    // --force needed); a folder of other files is refused.
    f.ok(&["demo", "--out", "demo", "--fits", "1"]);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(demo.join("summary.json")).unwrap()).unwrap();
    for t in v["tips"].as_array().unwrap() {
        assert_eq!(t["fits"], 1, "the second demo's report: {}", t["name"]);
    }
    check_png(&demo.join("summary.png"), (1600, 1000));
    std::fs::create_dir(f.path("mine")).unwrap();
    f.write("mine/a.txt", "keep");
    let err = f.fails(&["demo", "--out", "mine"]);
    assert!(err.contains("not a tipfit demo"), "{err}");
    assert_eq!(
        std::fs::read_to_string(f.path("mine/a.txt")).unwrap(),
        "keep"
    );
}

/// `compare --json` of a stored session is stable: the snapshot in
/// tests/data/compare-snapshot.json (made from tests/data/session-small,
/// which holds fits measured on the sim rig). Set UPDATE_SNAPSHOTS=1 to
/// rewrite it after an intended change, and review the diff.
#[test]
fn compare_json_matches_the_snapshot() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let out = tipfit()
        .args(["compare", "--json"])
        .arg(data.join("session-small"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let snapshot = data.join("compare-snapshot.json");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&snapshot, &out.stdout).unwrap();
    }
    let want = std::fs::read_to_string(&snapshot).unwrap();
    assert_eq!(
        stdout(&out),
        want,
        "compare --json changed; see the test's doc comment"
    );
}

#[test]
fn reference_file_and_target_curve_are_stored_with_the_session() {
    let f = Fixture::new();
    let flat: String = (0..60)
        .map(|k| format!("{:.3}\t-6.0\n", 10.0 * 2f64.powf(k as f64 / 6.0)))
        .collect();
    f.write("sealed.txt", format!("* a flat reference\n{flat}"));
    f.write(
        "target.csv",
        "frequency,raw,error,smoothed\n20,6,,1\n100,5,,\n1000,0,,\n3000,10,,\n20000,-5,,\n",
    );
    let cfg = SMALL
        .replace(
            "measure = \"sealed\"",
            "measure = \"file\"\nfile = \"sealed.txt\"",
        )
        .replace(
            "fits_per_tip = 3",
            "fits_per_tip = 1\ntarget = \"target.csv\"",
        );
    f.write("t.toml", &cfg);
    f.ok(&["session", "run", "t.toml", "--out", "s", "--yes"]);
    let info = store::load(&f.path("s")).unwrap().info;
    assert_eq!(info.target.unwrap().db, vec![6.0, 5.0, 0.0, 10.0, -5.0]);
    assert_eq!(info.reference.unwrap().freq_hz.len(), 60);
    f.ok(&["report", "s", "--out", "r"]);
    // A target that cannot be read stops the run before anything is created.
    f.write("target.csv", "frequency,raw\n20,x\n");
    let err = f.fails(&["session", "run", "t.toml", "--out", "s2", "--yes"]);
    assert!(err.contains("target.csv:2"), "{err}");
    assert!(!f.path("s2").exists());
}

#[test]
fn isolation_only_and_quick_only_sessions_compare_and_report() {
    let f = Fixture::new();
    let iso = SMALL
        .replace(
            "fits_per_tip = 3",
            "fits_per_tip = 2\n[measurements]\nseal = false\nisolation = true",
        )
        .replace("[reference]\nmeasure = \"sealed\"\n", "");
    f.write("iso.toml", iso);
    f.ok(&["session", "run", "iso.toml", "--out", "iso", "--yes"]);
    let v: serde_json::Value =
        serde_json::from_slice(&f.ok(&["compare", "iso", "--json"]).stdout).unwrap();
    assert!(
        v["tips"][0]["verdict"].is_null(),
        "no seal measured: no verdict"
    );
    assert_eq!(v["isolation_ranking"]["entries"][0]["tip"], "Foam M");
    f.ok(&["report", "iso", "--out", "iso-report"]);
    check_png(&f.path("iso-report/summary.png"), (1600, 1000));

    let quick = SMALL.replace(
        "fits_per_tip = 3",
        "fits_per_tip = 2\n[measurements]\nseal = false\nquick = true\nisolation = false",
    );
    f.write("quick.toml", quick);
    f.ok(&["session", "run", "quick.toml", "--out", "quick", "--yes"]);
    let v: serde_json::Value =
        serde_json::from_slice(&f.ok(&["compare", "quick", "--json"]).stdout).unwrap();
    assert_eq!(v["tips"][0]["verdict"], "good");
    assert_eq!(v["tips"][1]["verdict"], "poor");
    assert!(v["isolation_ranking"].is_null());
    f.ok(&["report", "quick", "--out", "quick-report"]);
}

/// A fit measured in noise says its verdict is uncertain, and the stored
/// record keeps the flag.
#[test]
fn a_fit_in_noise_is_shown_and_stored_as_uncertain() {
    let f = Fixture::new();
    f.write(
        "noisy.toml",
        "iem = \"Noisy\"\nfits_per_tip = 1\n[signal]\nsweep_duration_s = 1.0\n\
         [measurements]\nisolation = false\n[sim]\nsnr_db = 8\n[[tip]]\nname = \"Foam\"\npreset = \"foam\"\n",
    );
    let out = f.ok(&["session", "run", "noisy.toml", "--yes", "--out", "n"]);
    assert!(
        stderr(&out).contains(
            "Foam fit 1/1: good (uncertain: the bass is near the noise floor; redo in a quieter place)"
        ),
        "{}",
        stderr(&out)
    );
    let fit: serde_json::Value = serde_json::from_slice(&f.read("n/fits/foam/fit-1.json")).unwrap();
    assert_eq!(fit["seal"]["seal"]["uncertain"], true, "{fit}");
    // compare and the report carry it on.
    let note = "Foam: fit 1 measured near the noise floor; its verdict is uncertain (redo in a quieter place)";
    let table = stdout(&f.ok(&["compare", "n"]));
    assert!(table.contains(note), "{table}");
    let cmp: serde_json::Value =
        serde_json::from_slice(&f.ok(&["compare", "n", "--json"]).stdout).unwrap();
    assert_eq!(
        cmp["tips"][0]["uncertain_fits"],
        serde_json::json!([1]),
        "{cmp}"
    );
    f.ok(&["compare", "n", "--csv", "c.csv"]);
    let csv = String::from_utf8(f.read("c.csv")).unwrap();
    let mut lines = csv.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = head
        .iter()
        .position(|h| *h == "uncertain_fits")
        .expect("the column");
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(row[col], "1", "{csv}");
    f.ok(&["report", "n", "--out", "r"]);
    let html = String::from_utf8(f.read("r/report.html")).unwrap();
    assert!(html.contains(note), "{html}");
}

/// A device lost in the middle of a session (the sim's `lost` fault from
/// the 3rd fit): the session stops with the error and the resume command,
/// the two finished fits are kept, and a resume with dropouts retries each
/// fit and completes the session without touching them.
#[test]
fn a_device_lost_mid_session_keeps_the_finished_fits() {
    let f = Fixture::new();
    f.write("small.toml", SMALL);
    let out = f
        .cmd(&["session", "run", "small.toml", "--yes", "--out", "s"])
        .env("TIPFIT_SIM_FAULT", "lost@3")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("(faults: lost=1): a device disappeared during the measurement (unplugged?); nothing was saved from this measurement\n  2 of 6 fits measured, 0 skipped, saved in s; once fixed, continue with: tipfit session resume s"),
        "{err}"
    );
    let loaded = store::load(&f.path("s")).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert_eq!(loaded.fits.len(), 2);
    assert!(!f.path("s").join(store::LOCK_FILE).exists());
    let before = fit_files(&f.path("s"));
    let out = f
        .cmd(&["session", "resume", "s", "--yes"])
        .env("TIPFIT_SIM_FAULT", "dropout")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert_eq!(
        err.matches("dropouts (1 input overrun(s), 0 stream error(s)); measuring again")
            .count(),
        4,
        "one retry per remaining fit: {err}"
    );
    assert_eq!(store::load(&f.path("s")).unwrap().fits.len(), 6);
    for (p, bytes) in before {
        assert_eq!(std::fs::read(&p).unwrap(), bytes, "{} changed", p.display());
    }
}
