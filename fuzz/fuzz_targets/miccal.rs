//! Microphone calibration files: a calibration with finite corrections or
//! an error naming the file and line.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match tipfit::formats::miccal::parse(&text, Path::new("fuzz.cal")) {
        Ok(c) => {
            for f in [10.0, 1000.0, 20_000.0] {
                assert!(c.correction_db(f).is_finite());
            }
        }
        Err(e) => assert!(e.to_string().starts_with("fuzz.cal"), "{e}"),
    }
});
