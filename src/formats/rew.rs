//! REW-style text frequency responses (also squig.link / CrinGraph files).
//!
//! Reading is [`super::response`]'s: every text format of the ecosystem
//! (REW, AudioTools with its trailing metadata, squig.link, AutoEq CSV,
//! FRD; decimal commas; lines starting with `*`, `#` or `;` are
//! comments). Frequencies must be positive and ascending, levels finite
//! and within +-1000 dB ([`super::MAX_LEVEL_DB`]). Writing: `*` comment
//! lines, then `freq<TAB>dB<TAB>phase`, or `freq<TAB>dB` when the response
//! has no phase.

use crate::analysis::FrequencyResponse;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A line of a response file that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{path}:{line}: {reason}")]
pub struct RewError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line number (0 when the problem is the file as a whole).
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// Parse a response from text; `path` names the source in errors. This is
/// [`super::response::parse_text`] (every text format: REW, AudioTools,
/// squig.link, AutoEq CSV, FRD, decimal commas) with the points only.
pub fn parse(text: &str, path: &Path) -> Result<FrequencyResponse, RewError> {
    super::response::parse_text(text, path, "UTF-8")
        .map(|r| r.response)
        .map_err(into_rew_error)
}

fn into_rew_error(e: super::response::Error) -> RewError {
    RewError {
        path: e.path,
        line: e.line,
        reason: e.reason,
    }
}

/// Read a response file: [`super::response::read`] (binary files are
/// named, legacy encodings decoded) with the points only.
pub fn read(path: &Path) -> Result<FrequencyResponse, RewError> {
    super::response::read(path)
        .map(|r| r.response)
        .map_err(into_rew_error)
}

/// Render a response as REW-style text with `comments` as `*` lines, then
/// `* Freq(Hz)<TAB>SPL(dB)<TAB>Phase(degrees)` and the points, as REW
/// writes them (frequency to 6 decimals, level to 3, phase to 4). A
/// response without phase gets no phase column (and no `Phase` header):
/// a made-up 0 would read as a measured phase.
pub fn render(resp: &FrequencyResponse, comments: &[String]) -> String {
    let mut s = String::new();
    for c in comments {
        let _ = writeln!(s, "* {c}");
    }
    let phase = resp
        .phase_deg
        .as_ref()
        .filter(|p| p.len() == resp.freq_hz.len());
    match phase {
        Some(_) => s.push_str("* Freq(Hz)\tSPL(dB)\tPhase(degrees)\n"),
        None => s.push_str("* Freq(Hz)\tSPL(dB)\n"),
    }
    for i in 0..resp.freq_hz.len().min(resp.db.len()) {
        let _ = write!(s, "{:.6}\t{:.3}", resp.freq_hz[i], resp.db[i]);
        if let Some(p) = phase {
            let _ = write!(s, "\t{:.4}", p[i]);
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rew_export_with_comments_and_phase() {
        let text = "* Measurement data measured by REW\n* Freq(Hz)\tSPL(dB)\tPhase(degrees)\n20.0\t90.5\t-10\n40.0\t91.0\t-5.5\n";
        let r = parse(text, Path::new("m.txt")).unwrap();
        assert_eq!(r.freq_hz, vec![20.0, 40.0]);
        assert_eq!(r.db, vec![90.5, 91.0]);
        assert_eq!(r.phase_deg, Some(vec![-10.0, -5.5]));
    }

    #[test]
    fn line_of_only_separators_is_skipped_regression_fuzz() {
        // Found by tests/parsers.rs: a line like ",;" used to panic.
        let r = parse("20\t1\n,;\n30\t2\n", Path::new("x.txt")).unwrap();
        assert_eq!(r.freq_hz, vec![20.0, 30.0]);
    }

    #[test]
    fn reads_autoeq_csv_header() {
        let r = parse("frequency,raw\n20,1.5\n30,2.0\n", Path::new("a.csv")).unwrap();
        assert_eq!(r.db, vec![1.5, 2.0]);
        assert_eq!(r.phase_deg, None);
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse("20\t1\n10\t2\n", Path::new("x.txt")).unwrap_err();
        assert_eq!(e.line, 2);
        let e = parse("20\t1\n30\tabc\n", Path::new("x.txt")).unwrap_err();
        assert_eq!(e.to_string(), "x.txt:2: level 'abc' is not a finite number");
        assert!(parse("", Path::new("x.txt")).is_err());
    }

    #[test]
    fn render_then_parse_round_trips() {
        let r = FrequencyResponse {
            freq_hz: vec![20.0, 1000.0],
            db: vec![-1.25, 0.5],
            phase_deg: Some(vec![12.0, -170.0]),
        };
        let back = parse(&render(&r, &["made by a test".into()]), Path::new("r.txt")).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn render_without_phase_writes_no_phase_column() {
        let r = FrequencyResponse {
            freq_hz: vec![20.0, 1000.0],
            db: vec![-1.25, 0.5],
            phase_deg: None,
        };
        let text = render(&r, &[]);
        assert_eq!(
            text,
            "* Freq(Hz)\tSPL(dB)\n20.000000\t-1.250\n1000.000000\t0.500\n"
        );
        let back = parse(&text, Path::new("r.txt")).unwrap();
        assert_eq!(back, r);
    }
}
