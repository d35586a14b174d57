//! AutoEq CSV: a response with finite, ascending points or an error naming
//! the file.
//! The property lives in `tipfit::fuzzcheck::autoeq`, which `cargo test`
//! also runs on the regression fixtures in tests/data/fuzz/autoeq/.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tipfit::fuzzcheck::autoeq(data));
