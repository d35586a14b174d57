//! Rating tables (per-fit and mean/SD CSVs): parsed and rated, or an error
//! naming the file; a rating never holds NaN or infinity.
//! The property lives in `tipfit::fuzzcheck::rating_tables`, which `cargo test`
//! also runs on the regression fixtures in tests/data/fuzz/rating_tables/.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tipfit::fuzzcheck::rating_tables(data));
