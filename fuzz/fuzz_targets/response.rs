//! Any response file through `tipfit::formats::response::parse_bytes`
//! (binary sniffing, decoding, every text format): finite, rising points or
//! an error naming the file with no control character in it.
//! The property lives in `tipfit::fuzzcheck::response`, which `cargo test`
//! also runs on the regression fixtures in tests/data/fuzz/response/.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tipfit::fuzzcheck::response(data));
