//! WAV loading (every format the decoder takes): a value or an error that
//! names the file, never a panic; decoded samples are finite.
//! The property lives in `tipfit::fuzzcheck::wav`, which `cargo test`
//! also runs on the regression fixtures in tests/data/fuzz/wav/.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tipfit::fuzzcheck::wav(data));
