//! REW-style text frequency responses (also squig.link / CrinGraph files).
//!
//! Reading: lines starting with `*` (or `#`, `;`) are comments; data lines
//! hold frequency, level in dB and optionally phase in degrees, separated by
//! tabs, spaces, commas or semicolons. One header line of words (e.g.
//! `Freq SPL` or `frequency,raw`) is accepted before the data. Frequencies
//! must be positive and ascending, levels finite and within +-1000 dB
//! ([`super::MAX_LEVEL_DB`]). Writing: `*` comment lines, then
//! `freq<TAB>dB<TAB>phase`.

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

fn is_comment(line: &str) -> bool {
    line.starts_with('*') || line.starts_with('#') || line.starts_with(';')
}

fn fields(line: &str) -> Vec<&str> {
    line.split(|c: char| c == '\t' || c == ',' || c == ';' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Parse a response from text; `path` names the source in errors.
pub fn parse(text: &str, path: &Path) -> Result<FrequencyResponse, RewError> {
    let err = |line: usize, reason: String| RewError {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let mut resp = FrequencyResponse::default();
    let mut phases: Vec<f64> = Vec::new();
    let mut header_seen = false;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || is_comment(line) {
            continue;
        }
        let cols = fields(line);
        if cols.is_empty() {
            continue; // only separators, e.g. ",,"
        }
        let nums: Vec<Option<f64>> = cols.iter().map(|c| c.parse::<f64>().ok()).collect();
        if nums[0].is_none() {
            if resp.freq_hz.is_empty() && !header_seen {
                header_seen = true;
                continue;
            }
            return Err(err(
                n,
                format!("expected numbers 'freq dB [phase]', found '{line}'"),
            ));
        }
        if cols.len() < 2 {
            return Err(err(
                n,
                "a data line needs at least frequency and level".into(),
            ));
        }
        let value = |k: usize, what: &str| -> Result<f64, RewError> {
            match nums.get(k).copied().flatten() {
                Some(v) if v.is_finite() => Ok(v),
                _ => Err(err(
                    n,
                    format!("{what} '{}' is not a finite number", cols[k]),
                )),
            }
        };
        let f = value(0, "frequency")?;
        let level = value(1, "level")?;
        super::check_level("level", level).map_err(|m| err(n, m))?;
        super::check_next_frequency(f, resp.freq_hz.last().copied()).map_err(|m| err(n, m))?;
        resp.freq_hz.push(f);
        resp.db.push(level);
        if cols.len() >= 3 {
            phases.push(value(2, "phase")?);
        }
    }
    if resp.freq_hz.len() < 2 {
        return Err(err(
            0,
            super::too_few_lines(resp.freq_hz.len(), "a response"),
        ));
    }
    if phases.len() == resp.freq_hz.len() {
        resp.phase_deg = Some(phases);
    }
    Ok(resp)
}

/// Read a response file.
pub fn read(path: &Path) -> Result<FrequencyResponse, RewError> {
    let bytes = std::fs::read(path).map_err(|e| RewError {
        path: path.to_path_buf(),
        line: 0,
        reason: format!("cannot read: {e}"),
    })?;
    parse(&String::from_utf8_lossy(&bytes), path)
}

/// Render a response as REW-style text with `comments` as `*` lines.
pub fn render(resp: &FrequencyResponse, comments: &[String]) -> String {
    let mut s = String::new();
    for c in comments {
        let _ = writeln!(s, "* {c}");
    }
    let _ = writeln!(s, "* Freq(Hz)\tSPL(dB)\tPhase(degrees)");
    for i in 0..resp.freq_hz.len() {
        let phase = resp.phase_deg.as_ref().map_or(0.0, |p| p[i]);
        let _ = writeln!(s, "{:.6}\t{:.3}\t{:.4}", resp.freq_hz[i], resp.db[i], phase);
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
}
