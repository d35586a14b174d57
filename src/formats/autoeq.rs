//! AutoEq CSV frequency responses (<https://github.com/jaakkopasanen/AutoEq>).
//!
//! Reading: the first non-empty line is a header of column names
//! (`frequency,raw,error,smoothed,...,target`); `frequency` and `raw` are
//! picked by name (case-insensitive, a BOM and quotes around names are
//! fine). A file of exactly two columns without a `raw` column uses the
//! second one. Other columns are ignored and may be empty. Frequencies must
//! be positive and rising, levels finite and within +-1000 dB
//! ([`super::MAX_LEVEL_DB`]), and at least 2 points present.
//! Line endings LF or CRLF. Errors read `{path}:{line}: {reason}` (line 0:
//! the file as a whole). Writing: `frequency,raw`, the frequency exactly (the
//! shortest text that reads back to the same number), the level with 4
//! decimals (within 0.00005 dB).

use crate::analysis::FrequencyResponse;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A line of an AutoEq CSV that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{path}:{line}: {reason}")]
pub struct AutoEqError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line number (0 when the problem is the file as a whole).
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// The lines of `text` with their 1-based numbers, BOM and surrounding
/// white space removed, empty lines left out.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_start_matches('\u{feff}').trim()))
        .filter(|(_, l)| !l.is_empty())
}

/// A header cell as a lower-case name without quotes.
fn column_name(cell: &str) -> String {
    cell.trim().trim_matches('"').trim().to_lowercase()
}

/// Whether `text` looks like an AutoEq CSV: its first non-empty line starts
/// with `frequency,` (case-insensitive).
pub fn looks_like_autoeq(text: &str) -> bool {
    lines(text).next().is_some_and(|(_, first)| {
        let mut cells = first.split(',');
        let name = cells.next().map(column_name).unwrap_or_default();
        name == "frequency" && cells.next().is_some()
    })
}

/// Parse an AutoEq CSV; `path` names the source in errors.
pub fn parse(text: &str, path: &Path) -> Result<FrequencyResponse, AutoEqError> {
    let err = |line: usize, reason: String| AutoEqError {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let mut rows = lines(text);
    let Some((header_line, header)) = rows.next() else {
        return Err(err(
            0,
            "is empty; an AutoEq CSV starts with a header line 'frequency,raw,...'".into(),
        ));
    };
    let names: Vec<String> = header.split(',').map(column_name).collect();
    let freq_col = names.iter().position(|n| n == "frequency").ok_or_else(|| {
        err(
            header_line,
            format!(
                "no 'frequency' column in the header '{}'",
                super::text::quote(header)
            ),
        )
    })?;
    let raw_col = match names.iter().position(|n| n == "raw") {
        Some(k) => k,
        None if names.len() == 2 => 1 - freq_col,
        None => {
            return Err(err(
                header_line,
                format!(
                    "no 'raw' column in the header '{}'",
                    super::text::quote(header)
                ),
            ))
        }
    };
    let level_name = super::text::quote(&names[raw_col]);
    let mut resp = FrequencyResponse::default();
    for (n, line) in rows {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let value = |k: usize, what: &str| -> Result<f64, AutoEqError> {
            match cells.get(k) {
                None => Err(err(
                    n,
                    format!(
                        "has {} columns; the {what} is in column {} (header line {header_line})",
                        cells.len(),
                        k + 1
                    ),
                )),
                Some(&"") => Err(err(n, format!("the {what} is empty"))),
                Some(c) => match c.parse::<f64>() {
                    Ok(v) if v.is_finite() => Ok(v),
                    _ => Err(err(
                        n,
                        format!("{what} '{}' is not a finite number", super::text::quote(c)),
                    )),
                },
            }
        };
        let f = value(freq_col, "frequency")?;
        let level = value(raw_col, &format!("level ('{level_name}')"))?;
        super::check_level(&format!("level ('{level_name}')"), level).map_err(|m| err(n, m))?;
        super::check_next_frequency(f, resp.freq_hz.last().copied()).map_err(|m| err(n, m))?;
        resp.freq_hz.push(f);
        resp.db.push(level);
    }
    if resp.freq_hz.len() < 2 {
        return Err(err(
            0,
            super::too_few_lines(resp.freq_hz.len(), "a response"),
        ));
    }
    Ok(resp)
}

/// Render a response as an AutoEq CSV (`frequency,raw`; the phase is not
/// part of the format and is left out).
pub fn render(resp: &FrequencyResponse) -> String {
    let mut s = String::from("frequency,raw\n");
    for (f, db) in resp.freq_hz.iter().zip(&resp.db) {
        let _ = writeln!(s, "{f},{db:.4}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(text: &str) -> Result<FrequencyResponse, AutoEqError> {
        parse(text, Path::new("a.csv"))
    }

    #[test]
    fn autoeq_picks_frequency_and_raw_by_name_among_other_columns() {
        let text = "frequency,error,raw,smoothed,target\n20.0,1,85.5,,\n20.5,2,85.25,84,80\n";
        let r = p(text).unwrap();
        assert_eq!(r.freq_hz, vec![20.0, 20.5]);
        assert_eq!(r.db, vec![85.5, 85.25]);
        assert_eq!(r.phase_deg, None);
    }

    #[test]
    fn autoeq_reads_the_full_autoeq_header_with_empty_columns() {
        let text = "frequency,raw,error,smoothed,error_smoothed,equalization,parametric_eq,fixed_band_eq,equalized_raw,equalized_smoothed,target\n\
                    20.00,5.21,,,,,,,,,\n20.20,5.19,,,,,,,,,\n";
        let r = p(text).unwrap();
        assert_eq!(r.db, vec![5.21, 5.19]);
    }

    #[test]
    fn autoeq_header_is_case_insensitive_and_bom_crlf_quotes_are_fine() {
        let text = "\u{feff}\"Frequency\",\"RAW\"\r\n20,1.5\r\n\r\n30,2.0\r\n";
        let r = p(text).unwrap();
        assert_eq!(r.freq_hz, vec![20.0, 30.0]);
        assert_eq!(r.db, vec![1.5, 2.0]);
        assert!(looks_like_autoeq(text));
    }

    #[test]
    fn autoeq_two_columns_without_raw_use_the_second() {
        let r = p("frequency,spl\n20,1\n40,2\n").unwrap();
        assert_eq!(r.db, vec![1.0, 2.0]);
        let e = p("frequency,spl,target\n20,1,0\n").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.reason.contains("no 'raw' column"), "{e}");
    }

    #[test]
    fn autoeq_errors_name_file_and_line() {
        let e = p("frequency,raw\n20,1\n30,abc\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "a.csv:3: level ('raw') 'abc' is not a finite number"
        );
        let e = p("frequency,raw\n20,1\n10,2\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.reason.contains("does not rise"), "{e}");
        let e = p("frequency,raw\n0,1\n10,2\n").unwrap_err();
        assert_eq!((e.line, e.reason.contains("not positive")), (2, true));
        let e = p("frequency,raw\n20,1\n30\n").unwrap_err();
        assert_eq!(e.line, 3);
        let e = p("frequency,raw\n20,\n30,1\n").unwrap_err();
        assert_eq!(
            (e.line, e.reason.as_str()),
            (2, "the level ('raw') is empty")
        );
        let e = p("frequency,raw\n20,inf\n30,1\n").unwrap_err();
        assert_eq!(e.line, 2);
        let e = p("frequency,raw\n20,1\n").unwrap_err();
        assert_eq!(e.line, 0);
        assert!(e.reason.contains("at least 2"), "{e}");
        let e = p("freq,raw\n20,1\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "a.csv:1: no 'frequency' column in the header 'freq,raw'"
        );
        assert_eq!(p("").unwrap_err().line, 0);
        assert_eq!(p("\n  \n").unwrap_err().line, 0);
    }

    #[test]
    fn autoeq_detection_needs_frequency_first() {
        assert!(looks_like_autoeq("\n\nfrequency,raw\n20,1\n"));
        assert!(looks_like_autoeq("FREQUENCY,raw,target\n"));
        assert!(!looks_like_autoeq("* REW\nfrequency,raw\n"));
        assert!(!looks_like_autoeq("20\t1\n30\t2\n"));
        assert!(!looks_like_autoeq("frequency\n"));
        assert!(!looks_like_autoeq("frequencyx,raw\n"));
        assert!(!looks_like_autoeq(""));
    }

    #[test]
    fn autoeq_render_then_parse_round_trips_a_rew_grid() {
        let r = FrequencyResponse {
            freq_hz: vec![20.299999, 20.6, 19_750.0, 20_000.0],
            db: vec![85.749, -0.00004, 38.705, 37.247],
            phase_deg: Some(vec![0.0; 4]),
        };
        let text = render(&r);
        assert!(
            text.starts_with("frequency,raw\n20.299999,85.7490\n"),
            "{text}"
        );
        let back = p(&text).unwrap();
        assert_eq!(back.freq_hz, r.freq_hz);
        for (a, b) in back.db.iter().zip(&r.db) {
            assert!((a - b).abs() <= 5e-5 + 1e-12);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

        #[test]
        fn autoeq_parser_never_panics(text in "[fF]?(requency,)?[0-9eE\\.,;\\t \\-+a-zA-Z\\r\\n\u{feff}]{0,300}") {
            if let Err(e) = parse(&text, Path::new("f.csv")) {
                prop_assert!(e.to_string().starts_with("f.csv:"), "{}", e);
            }
            let _ = looks_like_autoeq(&text);
        }

        #[test]
        fn autoeq_parser_never_panics_on_numeric_lines_after_a_header(
            header in "(frequency|FREQUENCY|raw|error|target|,){1,6}",
            body in "[0-9eE\\.,\\-+\\r\\n naif]{0,300}",
        ) {
            let text = format!("{header}\n{body}");
            if let Err(e) = parse(&text, Path::new("f.csv")) {
                prop_assert!(e.to_string().starts_with("f.csv:"), "{}", e);
            }
        }

        #[test]
        fn autoeq_parser_never_panics_on_any_string(text in any::<String>()) {
            if let Err(e) = parse(&text, Path::new("f.csv")) {
                prop_assert!(e.to_string().starts_with("f.csv:"), "{}", e);
            }
        }

        #[test]
        fn autoeq_render_then_parse_round_trips(
            start in 1e-3f64..1e4,
            steps in proptest::collection::vec((1e-9f64..1.0, -200.0f64..200.0), 2..60),
        ) {
            let mut f = start;
            let mut r = FrequencyResponse::default();
            for (step, db) in steps {
                r.freq_hz.push(f);
                r.db.push(db);
                f *= 1.0 + step;
            }
            let back = parse(&render(&r), Path::new("r.csv")).unwrap();
            prop_assert_eq!(&back.freq_hz, &r.freq_hz);
            prop_assert_eq!(back.phase_deg, None);
            for (a, b) in back.db.iter().zip(&r.db) {
                prop_assert!((a - b).abs() < 0.001, "{} vs {}", a, b);
            }
        }
    }
}
