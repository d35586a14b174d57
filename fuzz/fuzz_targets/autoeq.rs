//! AutoEq CSV: a response with finite, ascending points or an error naming
//! the file.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match tipfit::formats::autoeq::parse(&text, Path::new("fuzz.csv")) {
        Ok(r) => {
            assert_eq!(r.freq_hz.len(), r.db.len());
            assert!(r.freq_hz.iter().chain(&r.db).all(|v| v.is_finite()));
        }
        Err(e) => assert!(e.to_string().starts_with("fuzz.csv"), "{e}"),
    }
});
