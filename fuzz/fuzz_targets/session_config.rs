//! Session config TOML: a checked config or an error, never a panic.
//! The property lives in `tipfit::fuzzcheck::session_config`, which `cargo test`
//! also runs on the regression fixtures in tests/data/fuzz/session_config/.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tipfit::fuzzcheck::session_config(data));
