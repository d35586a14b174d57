//! Property tests of the file parsers: whatever the bytes, they return a
//! value or an error naming the file, never panic or allocate what a
//! corrupt header claims.

use proptest::prelude::*;
use std::path::Path;
use tipfit::analysis::FrequencyResponse;
use tipfit::formats::{rew, wav};

fn valid_wav() -> Vec<u8> {
    let kind = tipfit::signal::StimulusKind::Sweep(tipfit::signal::SweepParams::default());
    let ch = vec![(0..64)
        .map(|i| (i as f32 / 64.0) - 0.5)
        .collect::<Vec<f32>>()];
    wav::encode_wav(&ch, 48_000, wav::SampleFormat::I24, Some(&kind)).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn wav_decoder_never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Err(e) = wav::decode_wav(&bytes, Path::new("fuzz.wav")) {
            prop_assert!(e.to_string().starts_with("fuzz.wav: "), "{}", e);
        }
    }

    #[test]
    fn wav_decoder_never_panics_on_mutated_wavs(
        edits in proptest::collection::vec((0usize..400, any::<u8>()), 1..8),
        cut in 0usize..400,
    ) {
        let mut bytes = valid_wav();
        for (pos, val) in edits {
            let i = pos % bytes.len();
            bytes[i] = val;
        }
        bytes.truncate(bytes.len().saturating_sub(cut % 64));
        if let Err(e) = wav::decode_wav(&bytes, Path::new("m.wav")) {
            prop_assert!(e.to_string().starts_with("m.wav: "), "{}", e);
        }
    }

    #[test]
    fn rew_parser_never_panics(text in "[\\*#0-9eE\\.,;\\t \\-+a-zA-Z\\n]{0,300}") {
        if let Err(e) = rew::parse(&text, Path::new("f.txt")) {
            prop_assert!(e.to_string().starts_with("f.txt:"), "{}", e);
        }
    }

    #[test]
    fn rew_render_then_parse_round_trips(
        levels in proptest::collection::vec((-150.0f64..150.0, -180.0f64..180.0), 2..50),
    ) {
        let r = FrequencyResponse {
            freq_hz: (0..levels.len()).map(|i| 10.0 * 1.1f64.powi(i as i32)).collect(),
            db: levels.iter().map(|l| (l.0 * 1000.0).round() / 1000.0).collect(),
            phase_deg: Some(levels.iter().map(|l| (l.1 * 10_000.0).round() / 10_000.0).collect()),
        };
        let back = rew::parse(&rew::render(&r, &["c".into()]), Path::new("r.txt")).unwrap();
        prop_assert_eq!(back.db, r.db);
        prop_assert_eq!(back.phase_deg, r.phase_deg);
        for (a, b) in back.freq_hz.iter().zip(&r.freq_hz) {
            prop_assert!((a - b).abs() < 1e-5);
        }
    }
}

#[test]
fn header_claiming_gigabytes_is_an_error_not_an_abort() {
    let mut bytes = valid_wav();
    // The data chunk's length field: find "data" and claim 0xFFFFFFF0 bytes.
    let at = bytes.windows(4).position(|w| w == b"data").unwrap() + 4;
    bytes[at..at + 4].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    let e = wav::decode_wav(&bytes, Path::new("huge.wav")).unwrap_err();
    assert!(e.to_string().starts_with("huge.wav: "), "{e}");
}

/// A valid session config, for mutation.
const CONFIG: &str = "iem = \"x\"\nfits_per_tip = 3\n[signal]\nrate = 48000\n[reference]\nmeasure = \"sealed\"\n[[tip]]\nname = \"a\"\npreset = \"foam\"\n";

/// The stored fit of tests/data/session-small, for mutation.
fn stored_fit() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/session-small/fits/foam-m/fit-1.json"),
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn session_config_parser_never_panics(text in "[a-z_=\\[\\]\" .0-9\\n#-]{0,200}") {
        let _ = tipfit::session::config::SessionConfig::parse(&text);
    }

    #[test]
    fn session_config_parser_never_panics_on_mutated_configs(
        edits in proptest::collection::vec((0usize..200, "[a-z0-9\\[\\]\"=\\n. -]"), 1..6),
    ) {
        let mut text: Vec<char> = CONFIG.chars().collect();
        for (pos, s) in edits {
            let i = pos % text.len();
            text.splice(i..=i, s.chars());
        }
        let text: String = text.into_iter().collect();
        if let Err(e) = tipfit::session::config::SessionConfig::parse(&text) {
            prop_assert!(!e.to_string().is_empty());
        }
    }

    #[test]
    fn stored_fit_reader_never_panics_on_mutated_json(
        edits in proptest::collection::vec((0usize..60_000, any::<u8>()), 1..6),
        cut in 0usize..60_000,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let tip = tipfit::session::model::TipSpec {
            name: "Foam M".into(), material: None, size: None, brand: None, preset: None,
        };
        let path = tipfit::session::store::fit_json_path(dir.path(), &tip, 1);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut bytes = stored_fit().into_bytes();
        for (pos, val) in edits {
            let i = pos % bytes.len();
            bytes[i] = val;
        }
        bytes.truncate(bytes.len() - cut % bytes.len());
        std::fs::write(&path, &bytes).unwrap();
        if let Err(e) = tipfit::session::store::read_fit(dir.path(), &tip, 1) {
            prop_assert!(format!("{e:#}").contains("fit-1.json"), "{:#}", e);
        }
    }
}

/// Every regression fixture in tests/data/fuzz/TARGET/ goes through the
/// fuzz target's own check (`tipfit::fuzzcheck`): a value with finite
/// numbers or an error naming the file, never a panic.
#[test]
fn fuzz_fixtures_replay() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz");
    let mut replayed = 0;
    for target in std::fs::read_dir(&root).unwrap().flatten() {
        if !target.path().is_dir() {
            continue;
        }
        let name = target.file_name().to_string_lossy().into_owned();
        let check = tipfit::fuzzcheck::by_name(&name)
            .unwrap_or_else(|| panic!("tests/data/fuzz/{name}: no such fuzz target"));
        for file in std::fs::read_dir(target.path()).unwrap().flatten() {
            let data = std::fs::read(file.path()).unwrap();
            let path = file.path();
            if let Err(e) = std::panic::catch_unwind(|| check(&data)) {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                panic!("{}: {msg}", path.display());
            }
            replayed += 1;
        }
    }
    assert!(replayed >= 15, "only {replayed} fixtures");
}
