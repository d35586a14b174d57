//! Property tests of the one response reader (`formats::response`):
//! whatever the bytes, a response with finite rising points or an error
//! naming the file without control characters (the check of the `response`
//! fuzz target, `tipfit::fuzzcheck::response`), and the separators,
//! decimal marks, line ends and encodings of the ecosystem read back the
//! same points.

use proptest::prelude::*;
use std::path::Path;
use tipfit::formats::response;

fn ecosystem_file(i: usize) -> Vec<u8> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ecosystem");
    let mut all = Vec::new();
    for kind in std::fs::read_dir(&root).unwrap().flatten() {
        for f in std::fs::read_dir(kind.path()).unwrap().flatten() {
            if f.file_name() != "README.md" {
                all.push(f.path());
            }
        }
    }
    all.sort();
    std::fs::read(&all[i % all.len()]).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn reader_never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        tipfit::fuzzcheck::response(&bytes);
    }

    #[test]
    fn reader_never_panics_on_text_like_input(
        text in "[\\*#;0-9eE\\.,;\\t \\-+a-zA-Z\\r\\n\u{feff}\u{1b}\u{7}]{0,400}",
    ) {
        tipfit::fuzzcheck::response(text.as_bytes());
    }

    #[test]
    fn reader_never_panics_on_mutated_real_files(
        which in 0usize..64,
        edits in proptest::collection::vec((0usize..20_000, any::<u8>()), 1..12),
        cut in 0usize..20_000,
    ) {
        let mut bytes = ecosystem_file(which);
        for (pos, val) in edits {
            let i = pos % bytes.len();
            bytes[i] = val;
        }
        bytes.truncate(bytes.len().saturating_sub(cut % 4000));
        tipfit::fuzzcheck::response(&bytes);
    }

    #[test]
    fn separators_decimal_marks_line_ends_and_encodings_read_the_same(
        points in proptest::collection::vec((1u32..2000, -9000i32..9000), 2..40),
        style in 0usize..6,
        crlf in any::<bool>(),
        utf16 in any::<bool>(),
        header in any::<bool>(),
    ) {
        // levels with 2 decimals, rising frequencies with 1 decimal
        let mut f = 10.0f64;
        let mut want = Vec::new();
        for (step, db) in &points {
            f += *step as f64 / 10.0;
            want.push(((f * 10.0).round() / 10.0, *db as f64 / 100.0));
        }
        let (sep, comma) = [("\t", false), (" ", false), (",", false), (";", false), (";", true), ("\t", true)][style];
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut text = String::new();
        if header {
            text += &format!("* Freq(Hz){sep}SPL(dB){eol}");
        }
        for (f, db) in &want {
            let line = format!("{f:.1}{sep}{db:.2}");
            text += &if comma { line.replace('.', ",") } else { line };
            text += eol;
        }
        let bytes: Vec<u8> = if utf16 {
            [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect()
        } else {
            text.into_bytes()
        };
        let r = response::parse_bytes(&bytes, Path::new("p.txt")).unwrap();
        prop_assert_eq!(r.found.decimal_comma, comma);
        prop_assert_eq!(r.found.encoding, if utf16 { "UTF-16LE" } else { "UTF-8" });
        let got: Vec<(f64, f64)> = r.response.freq_hz.iter().copied().zip(r.response.db.iter().copied()).collect();
        prop_assert_eq!(got, want);
    }
}
