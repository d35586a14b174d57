//! Session JSON (session.json and fit records): a value or an error naming
//! the file, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let p = Path::new("fuzz.json");
    if let Err(e) = tipfit::session::store::parse_info(&text, p) {
        assert!(format!("{e:#}").starts_with("fuzz.json"), "{e:#}");
    }
    if let Err(e) = tipfit::session::store::parse_fit(&text, p) {
        assert!(format!("{e:#}").starts_with("fuzz.json"), "{e:#}");
    }
});
