//! WAV loading (every format the decoder takes): a value or an error that
//! names the file, never a panic; decoded samples are finite.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    match tipfit::formats::wav::decode_wav(data, Path::new("fuzz.wav")) {
        Ok(w) => {
            assert!(w.rate > 0);
            for ch in &w.channels {
                assert!(ch.iter().all(|v| v.is_finite()), "non-finite sample");
            }
        }
        Err(e) => assert!(e.to_string().starts_with("fuzz.wav"), "{e}"),
    }
});
