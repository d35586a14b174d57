//! Session JSON (session.json and fit records): a value or an error naming
//! the file, never a panic.
//! The property lives in `tipfit::fuzzcheck::session_json`, which `cargo test`
//! also runs on the regression fixtures in tests/data/fuzz/session_json/.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tipfit::fuzzcheck::session_json(data));
