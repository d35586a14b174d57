//! Property tests of the file parsers: whatever the bytes, they return a
//! value or an error naming the file, never panic or allocate what a
//! corrupt header claims.

use proptest::prelude::*;
use std::path::Path;
use tipfit::analysis::FrequencyResponse;
use tipfit::formats::{rew, wav};

/// Run `f` on its own thread and fail if it takes longer than `limit`: a
/// property test must catch a hang as surely as a panic.
fn within<T: Send + 'static>(
    limit: std::time::Duration,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    });
    match rx.recv_timeout(limit) {
        Ok(Ok(v)) => v,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => panic!("did not finish within {limit:?} (a hang?)"),
    }
}

const LIMIT: std::time::Duration = std::time::Duration::from_secs(20);

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
        within(LIMIT, move || tipfit::fuzzcheck::wav(&bytes));
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
        within(LIMIT, move || tipfit::fuzzcheck::wav(&bytes));
    }

    /// `read_wav` decodes the first channel where the file's bytes lie
    /// (`decode_owned`); `fuzzcheck::wav` asserts its result equals
    /// `decode_wav`'s (values, or the error's words) on WAVs of every
    /// layout it takes in place and some it leaves to `decode_wav`, edited
    /// and cut.
    #[test]
    fn in_place_wav_decoding_equals_decode_wav(
        format in 0usize..5,
        nch in 1usize..4,
        frames in 1usize..200,
        edits in proptest::collection::vec((0usize..2000, any::<u8>()), 0..4),
        cut in 0usize..40,
        nan in proptest::option::of(0usize..200),
        described in any::<bool>(),
    ) {
        let ch: Vec<Vec<f32>> = (0..nch)
            .map(|c| (0..frames).map(|i| ((i * 37 + c * 101) % 200) as f32 / 100.0 - 1.0).collect())
            .collect();
        let kind = tipfit::signal::StimulusKind::Sweep(tipfit::signal::SweepParams::default());
        let mut bytes = match format {
            0 => wav::encode_wav(&ch, 48_000, wav::SampleFormat::F32, described.then_some(&kind)).unwrap(),
            1 => wav::encode_wav(&ch, 44_100, wav::SampleFormat::I16, described.then_some(&kind)).unwrap(),
            2 => wav::encode_wav(&ch, 96_000, wav::SampleFormat::I24, described.then_some(&kind)).unwrap(),
            f => {
                // 32-bit integers, or 8-bit (decode_wav's only)
                let bits = if f == 3 { 32 } else { 8 };
                let spec = hound::WavSpec {
                    channels: nch as u16,
                    sample_rate: 48_000,
                    bits_per_sample: bits,
                    sample_format: hound::SampleFormat::Int,
                };
                let mut out = std::io::Cursor::new(Vec::new());
                let mut w = hound::WavWriter::new(&mut out, spec).unwrap();
                for i in 0..frames {
                    for c in &ch {
                        let full = (1i64 << (bits - 1)) as f32 - 1.0;
                        w.write_sample((c[i] * full) as i32).unwrap();
                    }
                }
                w.finalize().unwrap();
                out.into_inner()
            }
        };
        if let (Some(at), 0) = (nan, format) {
            let data = bytes.windows(4).position(|w| w == b"data").unwrap() + 8;
            let i = data + 4 * (at % (frames * nch));
            bytes[i..i + 4].copy_from_slice(&f32::NAN.to_le_bytes());
        }
        for (pos, val) in edits {
            let i = pos % bytes.len();
            bytes[i] = val;
        }
        bytes.truncate(bytes.len().saturating_sub(cut));
        within(LIMIT, move || tipfit::fuzzcheck::wav(&bytes));
    }

    #[test]
    fn edited_stimulus_descriptions_never_panic_or_hang(
        which in 0usize..3,
        field in 0usize..6,
        value in prop_oneof![
            Just(0.0), Just(1.0), Just(-1.0), Just(1e9), Just(f64::MAX), Just(1e-300),
            -1e5f64..1e5,
        ],
    ) {
        within(LIMIT, move || {
            let (json, samples, rate) = described(which);
            let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
            let keys: Vec<String> = v.as_object().unwrap().keys()
                .filter(|k| *k != "kind" && *k != "colour").cloned().collect();
            let key = &keys[field % keys.len()];
            v[key] = if key == "rate" || key == "seed" || key == "period" {
                serde_json::json!((value.abs().min(4e9)) as u64)
            } else {
                serde_json::json!(value)
            };
            let kind: Result<tipfit::signal::StimulusKind, _> = serde_json::from_value(v);
            if let Ok(kind) = kind {
                let bytes = wav::encode_wav(&[samples], rate, wav::SampleFormat::F32, Some(&kind)).unwrap();
                tipfit::fuzzcheck::wav(&bytes);
            }
        });
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

/// A short tipfit signal of kind `which` (sweep, multitone, noise) with its
/// description as JSON.
fn described(which: usize) -> (String, Vec<f32>, u32) {
    use tipfit::signal::{MultitoneParams, NoiseParams, SweepParams};
    let s = match which {
        0 => SweepParams {
            duration_s: 0.2,
            lead_s: 0.01,
            tail_s: 0.05,
            rate: 8_000,
            end_hz: 3_000.0,
            ..SweepParams::default()
        }
        .generate(),
        1 => MultitoneParams {
            duration_s: 0.4,
            rate: 8_000,
            max_hz: 1_000.0,
            ..MultitoneParams::default()
        }
        .generate(),
        _ => NoiseParams {
            duration_s: 0.2,
            rate: 8_000,
            ..NoiseParams::default()
        }
        .generate(),
    }
    .unwrap();
    (serde_json::to_string(&s.kind).unwrap(), s.samples, s.rate)
}

#[test]
fn unedited_descriptions_are_kept_and_analyse() {
    for which in 0..3 {
        let (json, samples, rate) = described(which);
        let kind: tipfit::signal::StimulusKind = serde_json::from_str(&json).unwrap();
        let bytes = wav::encode_wav(&[samples], rate, wav::SampleFormat::F32, Some(&kind)).unwrap();
        let w = wav::decode_wav(&bytes, Path::new("d.wav")).unwrap();
        assert_eq!(w.stimulus, Some(kind), "{:?}", w.stimulus_note);
        within(LIMIT, move || tipfit::fuzzcheck::wav(&bytes));
    }
}

/// `read_wav` on files (the path it reads from disk) equals `decode_wav`
/// of the same bytes, for the layouts decoded in place and one that is not.
#[test]
fn read_wav_equals_decode_wav_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let ch: Vec<Vec<f32>> = (0..2)
        .map(|c| {
            (0..5000)
                .map(|i| ((i * 13 + c * 7) % 97) as f32 / 97.0 - 0.5)
                .collect()
        })
        .collect();
    for (format, nch) in [
        (wav::SampleFormat::F32, 1),
        (wav::SampleFormat::F32, 2),
        (wav::SampleFormat::I16, 2),
        (wav::SampleFormat::I24, 2),
        (wav::SampleFormat::I24, 1),
        (wav::SampleFormat::I16, 1),
    ] {
        let bytes = wav::encode_wav(&ch[..nch], 48_000, format, None).unwrap();
        let path = dir.path().join(format!("{format:?}-{nch}.wav"));
        std::fs::write(&path, &bytes).unwrap();
        let read = wav::read_wav(&path).unwrap();
        let decoded = wav::decode_wav(&bytes, &path).unwrap();
        assert_eq!(read, decoded, "{format:?}, {nch} channels");
        // and the samples are the written ones, within the format's step
        let step = match format {
            wav::SampleFormat::F32 => 0.0,
            wav::SampleFormat::I16 => 1.0 / 32_768.0,
            wav::SampleFormat::I24 => 1.0 / 8_388_608.0,
        };
        for (got, want) in read.channels.iter().zip(&ch) {
            let err = got
                .iter()
                .zip(want)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            assert!(err <= step, "{format:?}, {nch} channels: error {err}");
        }
        // a file cut short is refused as decode_wav refuses it
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        let e = wav::read_wav(&path).unwrap_err().to_string();
        let want = wav::decode_wav(&bytes[..bytes.len() - 3], &path)
            .unwrap_err()
            .to_string();
        assert_eq!(e, want);
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
