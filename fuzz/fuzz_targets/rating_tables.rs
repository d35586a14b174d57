//! Rating tables (per-fit and mean/SD CSVs): parsed and rated, or an error
//! naming the file; a rating never holds NaN or infinity.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let p = Path::new("fuzz.csv");
    let check = |r: tipfit::analysis::ratings::Rating| {
        let json = serde_json::to_string(&r).expect("a rating serializes");
        assert!(!json.contains("NaN") && !json.contains("inf"), "{json}");
    };
    match tipfit::formats::bands::parse_fits(&text, p) {
        Ok(t) => {
            if let Ok(r) = tipfit::analysis::ratings::rate_fits(&t) {
                check(r);
            }
        }
        Err(e) => assert!(e.to_string().starts_with("fuzz.csv"), "{e}"),
    }
    match tipfit::formats::bands::parse_mean_sd(&text, p) {
        Ok(t) => {
            if let Ok(r) = tipfit::analysis::ratings::rate_mean_sd(&t) {
                check(r);
            }
        }
        Err(e) => assert!(e.to_string().starts_with("fuzz.csv"), "{e}"),
    }
});
