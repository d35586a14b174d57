//! The shipped signals in `signals/` never drift from the code: every
//! command listed in `signals/README.md` is run again and must give the
//! same bytes.

use assert_cmd::Command;
use std::path::Path;

#[test]
fn shipped_signals_regenerate_identically() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("signals/README.md")).unwrap();
    let commands: Vec<&str> = readme
        .lines()
        .filter(|l| l.starts_with("tipfit signal "))
        .collect();
    assert_eq!(
        commands.len(),
        3,
        "expected three commands in signals/README.md"
    );
    let dir = tempfile::tempdir().unwrap();
    for line in commands {
        let words: Vec<&str> = line.split_whitespace().skip(1).collect();
        let out_at = words
            .iter()
            .position(|w| *w == "--out")
            .expect("--out in command")
            + 1;
        let shipped = root.join(words[out_at]);
        let fresh = dir.path().join(shipped.file_name().unwrap());
        let mut args: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        args[out_at] = fresh.display().to_string();
        Command::cargo_bin("tipfit")
            .unwrap()
            .args(&args)
            .assert()
            .success();
        let a = std::fs::read(&shipped).unwrap_or_else(|e| panic!("{}: {e}", shipped.display()));
        let b = std::fs::read(&fresh).unwrap();
        assert!(
            a == b,
            "{} differs from what `{line}` makes now",
            shipped.display()
        );
    }
}

#[test]
fn shipped_sweep_is_recognised_as_a_tipfit_sweep() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let wav =
        tipfit::formats::wav::read_wav(&root.join("signals/sweep-10-22k-48k-5s-f32.wav")).unwrap();
    match wav.stimulus {
        Some(tipfit::signal::StimulusKind::Sweep(p)) => {
            assert_eq!((p.start_hz, p.end_hz, p.rate), (10.0, 22_000.0, 48_000));
        }
        other => panic!("not a tipfit sweep: {other:?}"),
    }
}
