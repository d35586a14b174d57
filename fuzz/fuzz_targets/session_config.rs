//! Session config TOML: a checked config or an error, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = tipfit::session::config::SessionConfig::parse(&text);
});
