//! Exports others read, through the binary: `report` writes per tip REW
//! text (real phase for one fit, no phase column for a mean), an AutoEq
//! CSV and a squig.link folder (`squig/`: `IEM (Tip) L.txt` files and a
//! `phone_book.json` listing them), and each reads back through
//! `tipfit::formats::response::read` with the stored response; `import`,
//! `--reference-response` and `--mic-cal` name a WAV or an `.mdat` as what
//! it is.

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use tipfit::formats::response::{self, Format};

fn rew_data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/rew")
        .join(name)
}

fn tipfit(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::cargo_bin("tipfit")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

fn ok(dir: &Path, args: &[&str]) {
    let out = tipfit(dir, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn report_exports_read_back_and_the_squig_folder_matches_its_phone_book() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    // Spring: one fit (keeps its phase); Final E: two fits (a mean: no phase)
    for (src, dst) in [
        ("chu_spring_L.txt", "Chu (Spring) L.txt"),
        ("chu_final-e_L.txt", "Chu (Final E) L.txt"),
    ] {
        std::fs::copy(rew_data(src), d.join(dst)).unwrap();
    }
    ok(d, &["import", "Chu (Spring) L.txt", "--into", "s"]);
    ok(d, &["import", "Chu (Final E) L.txt", "--into", "s"]);
    // The same file again makes the second fit (a duplicate on purpose).
    ok(
        d,
        &[
            "import",
            "Chu (Final E) L.txt",
            "--into",
            "s",
            "--allow-duplicates",
        ],
    );
    ok(d, &["report", "s", "--out", "r"]);
    let spring_in = response::read(&rew_data("chu_spring_L.txt")).unwrap();
    assert!(spring_in.found.phase);

    // REW text: the one fit's real phase; the mean without a phase column
    let spring = response::read(&d.join("r/exports/spring.txt")).unwrap();
    assert_eq!(spring.found.format, Format::Rew);
    assert_eq!(
        spring.response.freq_hz.len(),
        spring_in.response.freq_hz.len()
    );
    let (a, b) = (
        spring.response.phase_deg.as_ref().unwrap(),
        spring_in.response.phase_deg.as_ref().unwrap(),
    );
    assert!(a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-4));
    let mean_text = std::fs::read_to_string(d.join("r/exports/final-e.txt")).unwrap();
    assert!(!mean_text.contains("Phase"), "{mean_text}");
    for line in mean_text.lines().filter(|l| !l.starts_with('*')) {
        assert_eq!(line.split('\t').count(), 2, "{line:?}");
    }
    let mean = response::read(&d.join("r/exports/final-e.txt")).unwrap();
    assert!(!mean.found.phase);
    assert_eq!(mean.found.tip.as_deref(), Some("Final E"));

    // AutoEq CSV
    let csv = response::read(&d.join("r/exports/final-e-autoeq.csv")).unwrap();
    assert_eq!(csv.found.format, Format::AutoEq);
    assert_eq!(csv.response.freq_hz, mean.response.freq_hz);
    for (x, y) in csv.response.db.iter().zip(&mean.response.db) {
        assert!((x - y).abs() <= 5e-4, "{x} vs {y}");
    }

    // squig.link folder: every file the phone book names exists, reads
    // back, and its name parses to the IEM, the tip and the ear
    let book: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.join("r/squig/phone_book.json")).unwrap()).unwrap();
    let phone = &book[0]["phones"][0];
    let files = phone["file"].as_array().unwrap();
    assert_eq!(files.len(), 2, "{book}");
    for (file, suffix) in files.iter().zip(phone["suffix"].as_array().unwrap()) {
        let name = format!("{} L.txt", file.as_str().unwrap());
        let r = response::read(&d.join("r/squig").join(&name)).unwrap();
        let n = tipfit::formats::squig::parse_name(&name);
        assert_eq!(n.ear, Some(tipfit::session::config::Ear::Left));
        assert_eq!(
            suffix.as_str().unwrap(),
            format!("({})", n.variant.unwrap())
        );
        let twin = if name.contains("Spring") {
            &spring
        } else {
            &mean
        };
        assert_eq!(r.response.freq_hz, twin.response.freq_hz, "{name}");
        assert_eq!(r.response.db, twin.response.db, "{name}");
    }
    let count = std::fs::read_dir(d.join("r/squig")).unwrap().count();
    assert_eq!(count, 3, "two response files and the phone book");
}

#[test]
fn wav_and_mdat_are_named_where_a_response_or_calibration_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let bytes = tipfit::formats::wav::encode_wav(
        &[vec![0.5f32, -0.5, 0.25, 0.0]],
        48_000,
        tipfit::formats::wav::SampleFormat::I16,
        None,
    )
    .unwrap();
    std::fs::write(d.join("rec.wav"), bytes).unwrap();
    std::fs::write(
        d.join("m.mdat"),
        [0xAC, 0xED, 0x00, 0x05, 0x73, 0x72, 0x1B, 0x07],
    )
    .unwrap();
    let wav_msg = "rec.wav is a WAV file: give a text export (REW: File > Export > Export measurement as text)";
    let mdat_msg = "m.mdat is REW's own binary format (.mdat): export as text in REW";
    for (args, want) in [
        (vec!["import", "rec.wav", "--into", "s"], wav_msg),
        (vec!["import", "m.mdat", "--into", "s"], mdat_msg),
        (
            vec![
                "analyze",
                "rec.wav",
                "--reference",
                "rec.wav",
                "--reference-response",
                "rec.wav",
            ],
            wav_msg,
        ),
        (
            vec![
                "analyze",
                "rec.wav",
                "--reference",
                "rec.wav",
                "--mic-cal",
                "m.mdat",
            ],
            mdat_msg,
        ),
    ] {
        let out = tipfit(d, &args);
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(
            !err.chars().any(|c| c.is_control() && c != '\n'),
            "{args:?}: {err:?}"
        );
    }
    assert!(!d.join("s").exists());
}
