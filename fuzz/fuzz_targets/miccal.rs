//! Microphone calibration files: a calibration with finite corrections or
//! an error naming the file and line.
//! The property lives in `tipfit::fuzzcheck::miccal`, which `cargo test`
//! also runs on the regression fixtures in tests/data/fuzz/miccal/.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tipfit::fuzzcheck::miccal(data));
