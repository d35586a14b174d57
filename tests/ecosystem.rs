//! Real files of the REW / squig.link / CrinGraph / AutoEq ecosystem
//! (tests/data/ecosystem/KIND/, each folder's README.md names the
//! repository, path and commit of every file) through the one reader,
//! `tipfit::formats::response::read`.

use std::path::{Path, PathBuf};
use tipfit::formats::response::{self, ErrorKind, Format};

fn dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/ecosystem")
        .join(kind)
}

/// The fixture files of a folder (not its README), sorted.
fn files(kind: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir(kind))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    v.sort();
    v
}

fn read(kind: &str, name: &str) -> response::Response {
    let p = dir(kind).join(name);
    response::read(&p).unwrap_or_else(|e| panic!("{e}"))
}

/// A plausible response: a few hundred points at least, rising from the
/// bottom of the audio band (1 Hz for speaker tools' FRD) to 10-48 kHz,
/// levels finite and inside +-200 dB, phase (when kept) one finite value
/// per point.
fn assert_plausible(p: &Path, r: &response::Response) {
    let f = &r.response.freq_hz;
    let name = p.display();
    assert!(f.len() >= 100, "{name}: only {} points", f.len());
    assert_eq!(f.len(), r.response.db.len(), "{name}");
    assert!(f.windows(2).all(|w| w[0] < w[1]), "{name}: not rising");
    assert!(
        (1.0..=50.0).contains(&f[0]),
        "{name}: starts at {} Hz",
        f[0]
    );
    let last = f[f.len() - 1];
    assert!(
        (10_000.0..=48_000.0).contains(&last),
        "{name}: ends at {last} Hz"
    );
    assert!(
        r.response
            .db
            .iter()
            .all(|d| d.is_finite() && d.abs() < 200.0),
        "{name}: a level is out of range"
    );
    if let Some(ph) = &r.response.phase_deg {
        assert!(r.found.phase, "{name}");
        assert_eq!(ph.len(), f.len(), "{name}");
        assert!(ph.iter().all(|v| v.is_finite()), "{name}");
    }
}

/// Every fixture of `kind` reads as a plausible response of `format`
/// (or one of `formats`); returns how many.
fn all_plausible(kind: &str, formats: &[Format]) -> usize {
    let list = files(kind);
    for p in &list {
        let r = response::read(p).unwrap_or_else(|e| panic!("{e}"));
        assert_plausible(p, &r);
        assert!(
            formats.contains(&r.found.format),
            "{}: read as {:?}",
            p.display(),
            r.found.format
        );
    }
    list.len()
}

#[test]
fn audiotools_files_of_cringraph_read_to_the_end_of_their_data() {
    let n = all_plausible("audiotools", &[Format::AudioTools]);
    assert!(n >= 10, "{n} files");
    // line 3 is the first data line, line 482 the last one ("20000<TAB>41.1"),
    // line 483 the first metadata line ("overall dB<TAB>0.0 dB")
    let r = read("audiotools", "B27 L.txt");
    assert_eq!(r.response.freq_hz.len(), 480);
    assert_eq!((r.response.freq_hz[0], r.response.db[0]), (19.5, 56.6));
    assert_eq!(
        (r.response.freq_hz[479], r.response.db[479]),
        (20_000.0, 41.1)
    );
    assert!(!r.found.phase && !r.found.spl);
}

#[test]
fn rew_exports_read_with_phase_and_their_names() {
    let n = all_plausible("rew", &[Format::Rew]);
    assert!(n >= 14, "{n} files");
    // CRLF; line 15: "20.299999<TAB>91.252<TAB>-142.3078"
    let r = read("rew", "Cowon EG2 Sample 1 (by ER4SR) L.txt");
    assert_eq!(r.response.freq_hz[0], 20.299999);
    assert_eq!(r.response.db[0], 91.252);
    assert_eq!(r.response.phase_deg.as_ref().unwrap()[0], -142.3078);
    assert_eq!(r.found.iem.as_deref(), Some("Cowon EG2 L"));
    assert!(r.found.spl && r.found.phase);
    // CP949 comments; line 15: "20.299999<TAB>79.128<TAB>-145.6888"
    let r = read("rew", "A4000 Sample 1 (by NX7) (L Only) L.txt");
    assert_eq!(r.found.encoding, "CP949");
    assert_eq!(
        (r.response.freq_hz[0], r.response.db[0]),
        (20.299999, 79.128)
    );
    let iem = r.found.iem.unwrap();
    assert!(iem.starts_with("A4000 ") && iem.ends_with(" R"), "{iem}");
    assert!(
        iem.chars().any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c)),
        "{iem}"
    );
    // space-separated, Windows-1251 comments (read as Windows-1252: only
    // comments change); line 15: "20.187378 96.385 -172.7255"
    let r = read("rew", "CKLVX CK2V L.txt");
    assert_eq!(r.found.encoding, "Windows-1252");
    assert!(!r.found.decimal_comma);
    assert_eq!(
        (r.response.freq_hz[0], r.response.db[0]),
        (20.187378, 96.385)
    );
    assert_eq!(r.response.phase_deg.as_ref().unwrap()[0], -172.7255);
    // a target exported from REW without phase
    let r = read("rew", "KEMAR DF Target.txt");
    assert_eq!(r.response.phase_deg, None);
}

#[test]
fn squig_files_read_and_their_names_parse() {
    let n = all_plausible("squig", &[Format::Columns]);
    assert!(n >= 10, "{n} files");
    // "x<TAB>Curve1" header; line 2: "20.0421<TAB>38.3025"
    let name = "ER4XR Sample 3 (Deprecated) (by ER4SR) (Ety Grey Tips) L.txt";
    let r = read("squig", name);
    assert_eq!(
        (r.response.freq_hz[0], r.response.db[0]),
        (20.0421, 38.3025)
    );
    let n = tipfit::formats::squig::parse_name(name);
    assert_eq!(n.iem, "ER4XR Sample 3");
    assert_eq!(n.variant.as_deref(), Some("Ety Grey Tips"));
    assert_eq!(n.credit.as_deref(), Some("ER4SR"));
    assert_eq!(n.ear, Some(tipfit::session::config::Ear::Left));
    // an empty first line, CRLF, two spaces between columns; line 2: "20.00  3.86"
    let r = read("squig", "AutoEQ Target.txt");
    assert_eq!((r.response.freq_hz[0], r.response.db[0]), (20.0, 3.86));
    assert!(tipfit::formats::squig::parse_name("AutoEQ Target.txt").target);
    // plain three columns: frequency, level, phase
    let r = read("squig", "7Hz Aero L.txt");
    assert_eq!(r.response.phase_deg.as_ref().unwrap()[0], 144.9778);
}

#[test]
fn autoeq_style_files_read_by_column_name() {
    let n = all_plausible("autoeq", &[Format::AutoEq, Format::Columns]);
    assert!(n >= 5, "{n} files");
    // line 2: "20.00,7.36"
    let r = read("autoeq", "Moondrop Aria.csv");
    assert_eq!(r.found.format, Format::AutoEq);
    assert_eq!((r.response.freq_hz[0], r.response.db[0]), (20.0, 7.36));
    // "frequency<TAB>raw", CRLF; line 2: "20<TAB>7.61"
    let r = read("autoeq", "Harman in-ear 2019Target.txt");
    assert_eq!((r.response.freq_hz[0], r.response.db[0]), (20.0, 7.61));
}

#[test]
fn frd_reads_and_zma_is_refused_as_impedance() {
    let mut zma = 0;
    for p in files("frd-zma") {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".zma") {
            let e = response::read(&p).unwrap_err();
            assert_eq!(e.kind, ErrorKind::NotAResponse);
            assert!(
                e.to_string()
                    .ends_with(" is an impedance file (ohms), not a frequency response"),
                "{e}"
            );
            zma += 1;
        } else {
            let r = response::read(&p).unwrap_or_else(|e| panic!("{e}"));
            assert_plausible(&p, &r);
            assert_eq!(r.found.format, Format::Frd);
            // "Data: db(Response), Group Delay (sec)": no phase; line 6:
            // "    1.000   +65.6568    +0.0000  "
            assert_eq!(r.response.phase_deg, None);
            assert_eq!((r.response.freq_hz[0], r.response.db[0]), (1.0, 65.6568));
        }
    }
    assert!(zma >= 3, "{zma} zma files");
}

/// Binary files given where a response or a calibration is read are named
/// as what they are; no byte of them reaches the message.
#[test]
fn binary_files_are_named_for_responses_and_calibrations() {
    let tmp = tempfile::tempdir().unwrap();
    let wav = tmp.path().join("rec.wav");
    let samples = vec![vec![0.5f32, -0.5, 0.25, 0.0]];
    let bytes = tipfit::formats::wav::encode_wav(
        &samples,
        48_000,
        tipfit::formats::wav::SampleFormat::I16,
        None,
    )
    .unwrap();
    std::fs::write(&wav, bytes).unwrap();
    let mdat = tmp.path().join("m.mdat");
    std::fs::write(
        &mdat,
        [0xAC, 0xED, 0x00, 0x05, 0x73, 0x72, 0x00, 0x1B, 0x07],
    )
    .unwrap();
    let e = response::read(&wav).unwrap_err().to_string();
    assert!(
        e.ends_with("rec.wav is a WAV file: give a text export (REW: File > Export > Export measurement as text)"),
        "{e}"
    );
    let e = response::read(&mdat).unwrap_err().to_string();
    assert!(e.ends_with("m.mdat is REW's own binary format (.mdat): export as text in REW (File > Export > Export measurement as text)"), "{e}");
    let e = tipfit::formats::miccal::read(&wav).unwrap_err().to_string();
    assert!(e.ends_with("rec.wav is a WAV file: give a text export (REW: File > Export > Export measurement as text)"), "{e}");
    for msg in [
        response::read(&wav).unwrap_err().to_string(),
        tipfit::formats::miccal::read(&mdat)
            .unwrap_err()
            .to_string(),
    ] {
        assert!(!msg.chars().any(char::is_control), "{msg:?}");
    }
}
