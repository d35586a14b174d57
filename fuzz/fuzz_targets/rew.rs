//! REW / squig.link text: a response with finite, ascending points or an
//! error naming the file.
//! The property lives in `tipfit::fuzzcheck::rew`, which `cargo test`
//! also runs on the regression fixtures in tests/data/fuzz/rew/.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tipfit::fuzzcheck::rew(data));
