//! The properties the fuzz targets (`fuzz/`) check on each input, shared
//! with `cargo test`, which replays the regression fixtures in
//! `tests/data/fuzz/TARGET/` through the same functions. Each function
//! panics when the property fails: a loader must return a value (with
//! finite numbers) or an error whose message starts with the file name.

use std::path::Path;

fn names_file(message: &str, file: &str) {
    assert!(
        message.starts_with(file),
        "error does not name {file}: {message}"
    );
}

/// WAV loading: finite samples at a positive rate, or an error naming the
/// file. A tipfit stimulus description is kept only when it matches the
/// file (else the note names the file), and a kept one analyses: the
/// first channel against itself gives a measurement or an analysis error,
/// never a panic or a hang (an edited description used to do both).
pub fn wav(data: &[u8]) {
    let decoded = crate::formats::wav::decode_wav(data, Path::new("fuzz.wav"));
    // the in-place decoder (`read_wav`'s) gives the same result
    let mut words = vec![0f32; data.len().div_ceil(4)];
    bytemuck::cast_slice_mut::<f32, u8>(&mut words)[..data.len()].copy_from_slice(data);
    let owned = crate::formats::wav::decode_owned(words, data.len(), Path::new("fuzz.wav"));
    match (&decoded, &owned) {
        (Ok(a), Ok(b)) => assert!(a == b, "decode_owned decoded another result"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        (a, b) => panic!(
            "decode_wav and decode_owned disagree: {:?} / {:?}",
            a.as_ref().map(|_| "ok"),
            b.as_ref().map(|_| "ok")
        ),
    }
    match decoded {
        Ok(w) => {
            assert!(w.rate > 0);
            for ch in &w.channels {
                assert!(ch.iter().all(|v| v.is_finite()), "non-finite sample");
            }
            if let Some(note) = &w.stimulus_note {
                names_file(note, "fuzz.wav");
            }
            if let Some(kind) = &w.stimulus {
                assert!(w.stimulus_note.is_none());
                kind.check_against(&w.channels[0], w.rate)
                    .expect("a kept description matches its file");
                let stimulus = crate::signal::Stimulus {
                    samples: w.channels[0].clone(),
                    rate: w.rate,
                    kind: kind.clone(),
                };
                let _ = crate::analysis::Analyzer::new().analyse(
                    &w.channels[0],
                    w.rate,
                    &stimulus,
                    None,
                    &crate::analysis::AnalysisConfig::default(),
                );
            }
        }
        Err(e) => names_file(&e.to_string(), "fuzz.wav"),
    }
}

/// REW / squig.link text: finite, rising points, or an error naming the file.
pub fn rew(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match crate::formats::rew::parse(&text, Path::new("fuzz.txt")) {
        Ok(r) => {
            assert_eq!(r.freq_hz.len(), r.db.len());
            assert!(r.freq_hz.iter().chain(&r.db).all(|v| v.is_finite()));
            assert!(r.freq_hz.windows(2).all(|w| w[0] < w[1]));
        }
        Err(e) => names_file(&e.to_string(), "fuzz.txt"),
    }
}

/// Any response file through the one entry point
/// ([`crate::formats::response::parse_bytes`]), as `.txt`, `.frd` and
/// `.zma`: finite, rising points (phase, when kept, one finite value per
/// point), or an error naming the file with no control character in it.
pub fn response(data: &[u8]) {
    for name in ["fuzz.txt", "fuzz.frd", "fuzz.zma", "fuzz.mdat"] {
        match crate::formats::response::parse_bytes(data, Path::new(name)) {
            Ok(r) => {
                let r = r.response;
                assert_eq!(r.freq_hz.len(), r.db.len());
                assert!(r.freq_hz.len() >= 2);
                assert!(r.freq_hz.iter().chain(&r.db).all(|v| v.is_finite()));
                assert!(r.freq_hz.windows(2).all(|w| w[0] < w[1]));
                if let Some(p) = &r.phase_deg {
                    assert_eq!(p.len(), r.freq_hz.len());
                    assert!(p.iter().all(|v| v.is_finite()));
                }
            }
            Err(e) => {
                let msg = e.to_string();
                names_file(&msg, name);
                assert!(
                    !msg.chars().any(char::is_control),
                    "control character in {msg:?}"
                );
            }
        }
    }
}

/// AutoEq CSV: finite points, or an error naming the file.
pub fn autoeq(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match crate::formats::autoeq::parse(&text, Path::new("fuzz.csv")) {
        Ok(r) => {
            assert_eq!(r.freq_hz.len(), r.db.len());
            assert!(r.freq_hz.iter().chain(&r.db).all(|v| v.is_finite()));
        }
        Err(e) => names_file(&e.to_string(), "fuzz.csv"),
    }
}

/// Microphone calibration: finite corrections, or an error naming the file.
pub fn miccal(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match crate::formats::miccal::parse(&text, Path::new("fuzz.cal")) {
        Ok(c) => {
            for f in [10.0, 1000.0, 20_000.0] {
                assert!(c.correction_db(f).is_finite());
            }
        }
        Err(e) => names_file(&e.to_string(), "fuzz.cal"),
    }
}

/// Rating tables (per fit, and mean/SD): a rating without NaN or null
/// numbers, or an error naming the file.
pub fn rating_tables(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let p = Path::new("fuzz.csv");
    let check = |r: crate::analysis::ratings::Rating| {
        let json = serde_json::to_string(&r).expect("a rating serializes");
        assert!(!json.contains("NaN") && !json.contains("inf"), "{json}");
    };
    match crate::formats::bands::parse_fits(&text, p) {
        Ok(t) => {
            if let Ok(r) = crate::analysis::ratings::rate_fits(&t) {
                check(r);
            }
        }
        Err(e) => names_file(&e.to_string(), "fuzz.csv"),
    }
    match crate::formats::bands::parse_mean_sd(&text, p) {
        Ok(t) => {
            if let Ok(r) = crate::analysis::ratings::rate_mean_sd(&t) {
                check(r);
            }
        }
        Err(e) => names_file(&e.to_string(), "fuzz.csv"),
    }
}

/// Session config TOML: a config or an error, never a panic.
pub fn session_config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = crate::session::config::SessionConfig::parse(&text);
}

/// Session JSON (`session.json` and fit records): a value or an error
/// naming the file.
pub fn session_json(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let p = Path::new("fuzz.json");
    if let Err(e) = crate::session::store::parse_info(&text, p) {
        names_file(&format!("{e:#}"), "fuzz.json");
    }
    if let Err(e) = crate::session::store::parse_fit(&text, p) {
        names_file(&format!("{e:#}"), "fuzz.json");
    }
}

/// The check of fuzz target `name`.
pub fn by_name(name: &str) -> Option<fn(&[u8])> {
    Some(match name {
        "wav" => wav,
        "rew" => rew,
        "response" => response,
        "autoeq" => autoeq,
        "miccal" => miccal,
        "rating_tables" => rating_tables,
        "session_config" => session_config,
        "session_json" => session_json,
        _ => return None,
    })
}
