//! REW / squig.link text: a response with finite, ascending points or an
//! error naming the file.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match tipfit::formats::rew::parse(&text, Path::new("fuzz.txt")) {
        Ok(r) => {
            assert_eq!(r.freq_hz.len(), r.db.len());
            assert!(r.freq_hz.iter().chain(&r.db).all(|v| v.is_finite()));
            assert!(r.freq_hz.windows(2).all(|w| w[0] < w[1]));
        }
        Err(e) => assert!(e.to_string().starts_with("fuzz.txt"), "{e}"),
    }
});
