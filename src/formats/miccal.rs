//! Microphone calibration files, as REW and miniDSP (UMIK-1, UMIK-2) ship
//! them.
//!
//! Reading: only lines that start like a number (after optional leading
//! whitespace: a digit, or `+`, `-` or `.` followed by a digit) are data:
//! `freq gain [phase]` (Hz, dB, degrees) separated by spaces, tabs, commas
//! or semicolons. Every other line is a comment or header and is skipped,
//! except that a header such as `"Sens Factor =-1.2dB, AGain =18dB, SERNO:
//! 7001234"` (quoted or not, possibly after `*`) gives the sensitivity
//! factor and the serial number. A line that starts like a number but is
//! not a valid data line is an error naming its line. The phase column is
//! all-or-nothing: every data line has it or none does. Frequencies must be
//! positive and strictly ascending, gains within +-1000 dB
//! ([`super::MAX_LEVEL_DB`]); a file needs at least 2 data lines. A
//! UTF-8 BOM and CRLF line endings are accepted; [`read`] names a binary
//! file (WAV, REW's `.mdat`) as what it is and decodes UTF-16, CP949 and
//! Latin-1 text, so a comment in any of them does not stop the reader.

use crate::analysis::FrequencyResponse;
use std::path::{Path, PathBuf};

/// A microphone calibration: the microphone's deviation from flat.
#[derive(Debug, Clone, PartialEq)]
pub struct MicCal {
    /// Frequencies, Hz, positive and strictly ascending (at least 2).
    pub freq_hz: Vec<f64>,
    /// The microphone's gain at each frequency, dB (its deviation from flat;
    /// the correction is the negative of this).
    pub gain_db: Vec<f64>,
    /// The microphone's phase at each frequency, degrees, when the file has
    /// a phase column.
    pub phase_deg: Option<Vec<f64>>,
    /// The sensitivity factor from a `Sens Factor =-1.2dB` header, dB.
    pub sens_factor_db: Option<f64>,
    /// The serial number from a `SERNO: 7001234` header.
    pub serial: Option<String>,
}

/// A calibration file, or a line of one, that cannot be used.
///
/// Shown as `{path}:{line}: {reason}`, or `{path} {reason}` for a file that
/// is no calibration at all ("cal.wav is a WAV file: ...").
#[derive(Debug, PartialEq)]
pub struct MicCalError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line number (0 when the problem is the file as a whole).
    pub line: usize,
    /// What is wrong.
    pub reason: String,
    /// A line (or the data as a whole), or not a calibration at all.
    pub kind: super::response::ErrorKind,
}

impl std::fmt::Display for MicCalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = super::response::display_path(&self.path);
        match self.kind {
            super::response::ErrorKind::NotAResponse => write!(f, "{path} {}", self.reason),
            super::response::ErrorKind::Data => {
                write!(f, "{path}:{}: {}", self.line, self.reason)
            }
        }
    }
}

impl std::error::Error for MicCalError {}

fn fields(line: &str) -> Vec<&str> {
    line.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Byte offset just after the first case-insensitive (ASCII) occurrence of
/// `needle` in `hay`.
fn find_after(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    h.windows(n.len())
        .position(|w| w.eq_ignore_ascii_case(n))
        .map(|p| p + n.len())
}

/// The sensitivity factor of a header line: `sens factor`, optional
/// spaces, `=`, optional spaces, a signed decimal, optional spaces, `dB`.
/// `None` when the line does not hold one in that form.
fn sens_factor(line: &str) -> Option<f64> {
    let rest = &line[find_after(line, "sens factor")?..];
    let rest = rest.trim_start().strip_prefix('=')?.trim_start();
    let b = rest.as_bytes();
    let mut end = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits_from = end;
    while b.get(end).is_some_and(|c| c.is_ascii_digit() || *c == b'.') {
        end += 1;
    }
    if !b[digits_from..end].iter().any(u8::is_ascii_digit) {
        return None;
    }
    let value: f64 = rest[..end].parse().ok().filter(|v: &f64| v.is_finite())?;
    let unit = rest[end..].trim_start().as_bytes();
    (unit.len() >= 2 && unit[..2].eq_ignore_ascii_case(b"db")).then_some(value)
}

/// The serial number of a header line: the word after `SERNO:`.
fn serial(line: &str) -> Option<String> {
    let rest = line[find_after(line, "serno")?..].trim_start();
    let rest = rest.strip_prefix(':').unwrap_or(rest).trim_start();
    let value: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, '"' | ',' | ';' | '\''))
        .collect();
    (!value.is_empty()).then_some(value)
}

/// Parse a calibration from text; `path` names the source in errors.
pub fn parse(text: &str, path: &Path) -> Result<MicCal, MicCalError> {
    let err = |line: usize, reason: String| MicCalError {
        path: path.to_path_buf(),
        line,
        reason,
        kind: super::response::ErrorKind::Data,
    };
    let mut cal = MicCal {
        freq_hz: Vec::new(),
        gain_db: Vec::new(),
        phase_deg: None,
        sens_factor_db: None,
        serial: None,
    };
    let mut phases: Vec<f64> = Vec::new();
    let mut with_phase: Option<bool> = None;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim_start_matches('\u{feff}').trim();
        if !super::starts_like_number(line) {
            if let Some(s) = sens_factor(line) {
                match cal.sens_factor_db {
                    Some(prev) if prev != s => {
                        return Err(err(
                            n,
                            format!("sens factor {s} dB conflicts with the earlier {prev} dB"),
                        ))
                    }
                    _ => cal.sens_factor_db = Some(s),
                }
            }
            if cal.serial.is_none() {
                cal.serial = serial(line);
            }
            continue;
        }
        let cols = fields(line);
        if cols.len() < 2 {
            return Err(err(
                n,
                "a data line needs frequency and gain ('freq gain [phase]')".into(),
            ));
        }
        if cols.len() > 3 {
            return Err(err(
                n,
                format!(
                    "a data line holds 'freq gain [phase]', found {} fields",
                    cols.len()
                ),
            ));
        }
        let value = |k: usize, what: &str| -> Result<f64, MicCalError> {
            match cols[k].parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(v),
                _ => Err(err(
                    n,
                    format!(
                        "{what} '{}' is not a finite number",
                        super::text::quote(cols[k])
                    ),
                )),
            }
        };
        let f = value(0, "frequency")?;
        let gain = value(1, "gain")?;
        super::check_level("gain", gain).map_err(|m| err(n, m))?;
        let has_phase = cols.len() == 3;
        let phase = if has_phase {
            Some(value(2, "phase")?)
        } else {
            None
        };
        match with_phase {
            Some(true) if !has_phase => {
                return Err(err(
                    n,
                    "phase column missing (earlier data lines have one)".into(),
                ))
            }
            Some(false) if has_phase => {
                return Err(err(
                    n,
                    "phase column unexpected (earlier data lines have none)".into(),
                ))
            }
            _ => with_phase = Some(has_phase),
        }
        super::check_next_frequency(f, cal.freq_hz.last().copied()).map_err(|m| err(n, m))?;
        cal.freq_hz.push(f);
        cal.gain_db.push(gain);
        phases.extend(phase);
    }
    if cal.freq_hz.len() < 2 {
        return Err(err(
            0,
            super::too_few_lines(cal.freq_hz.len(), "a calibration"),
        ));
    }
    if with_phase == Some(true) {
        cal.phase_deg = Some(phases);
    }
    Ok(cal)
}

/// Read a calibration file: a binary file (WAV, REW's `.mdat`, anything
/// with NUL bytes that is not UTF-16 text) is named as what it is, without
/// quoting its bytes; text is decoded as [`super::text::decode`] does
/// (UTF-8, UTF-16, CP949, Windows-1252).
pub fn read(path: &Path) -> Result<MicCal, MicCalError> {
    let bytes = std::fs::read(path).map_err(|e| MicCalError {
        path: path.to_path_buf(),
        line: 0,
        reason: format!("cannot read: {e}"),
        kind: super::response::ErrorKind::Data,
    })?;
    if let Some(why) = super::text::not_text(&bytes, path) {
        return Err(MicCalError {
            path: path.to_path_buf(),
            line: 0,
            reason: why,
            kind: super::response::ErrorKind::NotAResponse,
        });
    }
    parse(&super::text::decode(&bytes).0, path)
}

/// `values` at `freq_hz`, interpolated linearly in log-frequency between
/// the points `freqs` and held constant beyond the ends (below the first
/// point also for zero, negative or NaN frequencies). 0 when there are no
/// points (a hand-built, empty calibration).
fn interpolate(freqs: &[f64], values: &[f64], freq_hz: f64) -> f64 {
    let n = freqs.len().min(values.len());
    let (freqs, values) = (&freqs[..n], &values[..n]);
    let Some(last) = n.checked_sub(1) else {
        return 0.0;
    };
    if freq_hz.is_nan() || freq_hz <= freqs[0] {
        return values[0];
    }
    if freq_hz >= freqs[last] {
        return values[last];
    }
    // freqs[0] < freq_hz < freqs[last]: 1 <= hi <= last.
    let hi = freqs.partition_point(|&f| f <= freq_hz);
    let lo = hi - 1;
    if freqs[lo] == freq_hz {
        return values[lo];
    }
    let t = (freq_hz / freqs[lo]).ln() / (freqs[hi] / freqs[lo]).ln();
    values[lo] + t * (values[hi] - values[lo])
}

/// Unwrap degrees: remove the 360-degree jumps between neighbours.
fn unwrap_deg(phase: &[f64]) -> Vec<f64> {
    let mut out: Vec<f64> = Vec::with_capacity(phase.len());
    let mut offset = 0.0;
    for (i, &p) in phase.iter().enumerate() {
        if i > 0 {
            let step = p + offset - out[i - 1];
            offset -= 360.0 * (step / 360.0).round();
        }
        out.push(p + offset);
    }
    out
}

/// Wrap degrees to (-180, 180].
fn wrap_deg(p: f64) -> f64 {
    let w = p - 360.0 * (p / 360.0).round();
    if w <= -180.0 {
        w + 360.0
    } else {
        w
    }
}

impl MicCal {
    /// Correction in dB to ADD to a measured level at `freq_hz` (= -gain,
    /// interpolated linearly in log-frequency; held constant beyond the
    /// ends).
    pub fn correction_db(&self, freq_hz: f64) -> f64 {
        -interpolate(&self.freq_hz, &self.gain_db, freq_hz)
    }

    /// Apply to a response in place: `db[i] += correction_db(freq[i])`;
    /// when both the response and the calibration have phase, the cal phase
    /// (unwrapped, interpolated like the gain) is subtracted too and the
    /// result wrapped to (-180, 180].
    pub fn apply(&self, resp: &mut FrequencyResponse) {
        for (db, &f) in resp.db.iter_mut().zip(&resp.freq_hz) {
            *db += self.correction_db(f);
        }
        if let (Some(cal_phase), Some(phase)) = (&self.phase_deg, resp.phase_deg.as_mut()) {
            let unwrapped = unwrap_deg(cal_phase);
            for (p, &f) in phase.iter_mut().zip(&resp.freq_hz) {
                *p = wrap_deg(*p - interpolate(&self.freq_hz, &unwrapped, f));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<MicCal, MicCalError> {
        parse(text, Path::new("c.txt"))
    }

    fn line_of(text: &str) -> (usize, String) {
        let e = p(text).unwrap_err();
        assert!(e.to_string().starts_with("c.txt:"), "{e}");
        (e.line, e.reason)
    }

    #[test]
    fn umik_quoted_header_with_sens_factor_again_and_serial() {
        let c = p(
            "\"Sens Factor =-1.2dB, AGain =18dB, SERNO: 7001234\"\n10\t-3.5\n1000\t0\n20000 1.25\n",
        )
        .unwrap();
        assert_eq!(c.freq_hz, vec![10.0, 1000.0, 20000.0]);
        assert_eq!(c.gain_db, vec![-3.5, 0.0, 1.25]);
        assert_eq!(c.phase_deg, None);
        assert_eq!(c.sens_factor_db, Some(-1.2));
        assert_eq!(c.serial.as_deref(), Some("7001234"));
    }

    #[test]
    fn unquoted_and_starred_sens_factor_headers() {
        let c = p("Sens Factor =-1.2dB\n20 1\n30 2\n").unwrap();
        assert_eq!(c.sens_factor_db, Some(-1.2));
        assert_eq!(c.serial, None);
        let c = p("*Sens Factor=+0.75 dB\n20 1\n30 2\n").unwrap();
        assert_eq!(c.sens_factor_db, Some(0.75));
        let c = p("# SENS FACTOR = .5DB serno:abc-12\n20 1\n30 2\n").unwrap();
        assert_eq!(c.sens_factor_db, Some(0.5));
        assert_eq!(c.serial.as_deref(), Some("abc-12"));
    }

    #[test]
    fn sens_factor_without_db_or_number_is_ignored() {
        for h in [
            "Sens Factor = -1.2",
            "Sens Factor: -1.2dB",
            "Sens Factor = dB",
            "Sens Factor = -dB",
            "* Sens Factor is applied elsewhere",
        ] {
            let c = p(&format!("{h}\n20 1\n30 2\n")).unwrap();
            assert_eq!(c.sens_factor_db, None, "{h}");
        }
    }

    #[test]
    fn repeated_equal_sens_factor_is_fine_conflicting_is_an_error() {
        let c = p("Sens Factor=-1dB\n20 1\n* Sens Factor=-1.0dB\n30 2\n").unwrap();
        assert_eq!(c.sens_factor_db, Some(-1.0));
        let (line, reason) = line_of("Sens Factor=-1dB\n20 1\n* Sens Factor=2dB\n30 2\n");
        assert_eq!(line, 3);
        assert!(reason.contains("conflicts"), "{reason}");
    }

    #[test]
    fn rew_style_comments_and_phase() {
        let c = p("* REW cal file\n# made up\n; another\n20\t-1\t5\n200\t0\t0\n2000\t0.5\t-10.5\n")
            .unwrap();
        assert_eq!(c.gain_db, vec![-1.0, 0.0, 0.5]);
        assert_eq!(c.phase_deg, Some(vec![5.0, 0.0, -10.5]));
        assert_eq!(c.sens_factor_db, None);
    }

    #[test]
    fn bom_crlf_commas_semicolons_and_leading_whitespace() {
        let c =
            p("\u{feff}\"Sens Factor =-0.5dB\"\r\n  20,-1\r\n\t30;  -2\r\n40 ,; -3\r\n").unwrap();
        assert_eq!(c.freq_hz, vec![20.0, 30.0, 40.0]);
        assert_eq!(c.gain_db, vec![-1.0, -2.0, -3.0]);
        assert_eq!(c.sens_factor_db, Some(-0.5));
        // A BOM right before data.
        let c = p("\u{feff}20 1\n30 2\n").unwrap();
        assert_eq!(c.freq_hz, vec![20.0, 30.0]);
    }

    #[test]
    fn header_words_and_lossy_latin1_are_skipped() {
        let bytes = b"Freq(Hz) dB\n* Mikrofon \xfc\xb0\n20 1\n30 2\n";
        let c = p(&String::from_utf8_lossy(bytes)).unwrap();
        assert_eq!(c.freq_hz, vec![20.0, 30.0]);
        // Words like "inf" or "nan" do not start like a number: comments.
        let c = p("inf 1\nnan 2\n20 1\n30 2\n-- dashes\n").unwrap();
        assert_eq!(c.freq_hz.len(), 2);
    }

    #[test]
    fn starts_like_number_cases() {
        for s in ["1", "0.5 x", ".5", "-1", "+2", "-.5", "+.5"] {
            assert!(crate::formats::starts_like_number(s), "{s}");
        }
        for s in ["", "-", ".", "+.", "-x", "a1", "*1", "\"1"] {
            assert!(!crate::formats::starts_like_number(s), "{s}");
        }
    }

    #[test]
    fn bad_numbers_are_errors_with_their_line() {
        assert_eq!(
            p("* c\n20 1\n100 abc\n").unwrap_err().to_string(),
            "c.txt:3: gain 'abc' is not a finite number"
        );
        assert_eq!(
            p("20 1\n1e400 2\n").unwrap_err().to_string(),
            "c.txt:2: frequency '1e400' is not a finite number"
        );
        assert_eq!(line_of("20 1\n100Hz 2\n").0, 2);
        assert_eq!(line_of("20 1 0\n30 2 NaN\n").0, 2);
        assert_eq!(line_of("20 1 0\n30 2 inf\n").0, 2);
        assert_eq!(line_of("20 -1e999\n").0, 1);
    }

    #[test]
    fn one_field_and_too_many_fields_are_errors() {
        let (line, reason) = line_of("20 1\n\n100\n");
        assert_eq!(line, 3);
        assert!(reason.contains("needs frequency and gain"), "{reason}");
        let (line, reason) = line_of("20 1 0\n30 1 0 7\n");
        assert_eq!(line, 2);
        assert!(reason.contains("4 fields"), "{reason}");
        // Only separators after the number still counts as one field.
        assert_eq!(line_of("20 1\n30,;\n").0, 2);
    }

    #[test]
    fn frequencies_must_be_positive_and_ascending() {
        let (line, reason) = line_of("* c\n20 1\n10 2\n");
        assert_eq!(line, 3);
        assert!(reason.contains("does not rise"), "{reason}");
        assert_eq!(line_of("20 1\n20 2\n").0, 2);
        let (line, reason) = line_of("0 1\n20 2\n");
        assert_eq!(line, 1);
        assert!(reason.contains("not positive"), "{reason}");
        assert_eq!(line_of("-5 1\n20 2\n").0, 1);
    }

    #[test]
    fn phase_is_all_or_nothing() {
        let (line, reason) = line_of("20 1 0\n30 2 0\n40 3\n");
        assert_eq!(line, 3);
        assert!(reason.starts_with("phase column missing"), "{reason}");
        let (line, reason) = line_of("* c\n20 1\n30 2 5\n");
        assert_eq!(line, 3);
        assert!(reason.starts_with("phase column unexpected"), "{reason}");
    }

    #[test]
    fn fewer_than_two_points_is_a_whole_file_error() {
        for text in ["", "* only comments\n", "\"Sens Factor =-1dB\"\n20 1\n"] {
            let e = p(text).unwrap_err();
            assert_eq!(e.line, 0, "{text:?}");
            assert!(e.to_string().starts_with("c.txt:0: holds"), "{e}");
        }
    }

    #[test]
    fn read_missing_file_is_a_line_0_error() {
        let e = read(Path::new("/nonexistent/tipfit-miccal.txt")).unwrap_err();
        assert_eq!(e.line, 0);
        assert!(e.reason.starts_with("cannot read"), "{e}");
    }

    fn cal() -> MicCal {
        p("10 -4\n100 0\n1000 2\n10000 2\n").unwrap()
    }

    #[test]
    fn correction_is_minus_gain_log_interpolated_and_held() {
        let c = cal();
        assert_eq!(c.correction_db(10.0), 4.0);
        assert_eq!(c.correction_db(100.0), 0.0);
        assert_eq!(c.correction_db(1000.0), -2.0);
        assert!((c.correction_db(10f64.powf(1.5)) - 2.0).abs() < 1e-12);
        assert!((c.correction_db(10f64.powf(2.25)) + 0.5).abs() < 1e-12);
        assert_eq!(c.correction_db(5000.0), -2.0);
        assert_eq!(c.correction_db(1.0), 4.0);
        assert_eq!(c.correction_db(0.0), 4.0);
        assert_eq!(c.correction_db(-3.0), 4.0);
        assert_eq!(c.correction_db(f64::NAN), 4.0);
        assert_eq!(c.correction_db(1e9), -2.0);
        assert_eq!(c.correction_db(f64::INFINITY), -2.0);
    }

    #[test]
    fn apply_adds_correction_and_leaves_phase_without_cal_phase() {
        let mut r = FrequencyResponse {
            freq_hz: vec![5.0, 10.0, 100.0, 20000.0],
            db: vec![1.0; 4],
            phase_deg: Some(vec![10.0; 4]),
        };
        cal().apply(&mut r);
        assert_eq!(r.db, vec![5.0, 5.0, 1.0, -1.0]);
        assert_eq!(r.phase_deg, Some(vec![10.0; 4]));
    }

    #[test]
    fn apply_subtracts_cal_phase_unwrapped_and_wraps() {
        let c = p("100 0 170\n1000 0 -170\n").unwrap();
        let mut r = FrequencyResponse {
            freq_hz: vec![100.0, 10f64.powf(2.5), 1000.0],
            db: vec![0.0; 3],
            phase_deg: Some(vec![0.0; 3]),
        };
        c.apply(&mut r);
        let ph = r.phase_deg.unwrap();
        // 170 -> 190 (unwrapped -170): the midpoint is 180, not 0.
        assert!((ph[0] + 170.0).abs() < 1e-9, "{ph:?}");
        assert!((ph[1] - 180.0).abs() < 1e-9, "{ph:?}");
        assert!((ph[2] - 170.0).abs() < 1e-9, "{ph:?}");
        // No phase in the response: nothing to subtract from.
        let mut r = FrequencyResponse {
            freq_hz: vec![100.0],
            db: vec![0.0],
            phase_deg: None,
        };
        c.apply(&mut r);
        assert_eq!(r.phase_deg, None);
    }

    #[test]
    fn empty_hand_built_calibration_corrects_nothing() {
        let c = MicCal {
            freq_hz: vec![],
            gain_db: vec![],
            phase_deg: Some(vec![]),
            sens_factor_db: None,
            serial: None,
        };
        assert_eq!(c.correction_db(1000.0), 0.0);
        let mut r = FrequencyResponse {
            freq_hz: vec![100.0],
            db: vec![1.0],
            phase_deg: Some(vec![2.0]),
        };
        c.apply(&mut r);
        assert_eq!((r.db, r.phase_deg), (vec![1.0], Some(vec![2.0])));
    }

    #[test]
    fn wrap_and_unwrap_helpers() {
        assert_eq!(wrap_deg(180.0), 180.0);
        assert_eq!(wrap_deg(-180.0), 180.0);
        assert_eq!(wrap_deg(190.0), -170.0);
        assert_eq!(wrap_deg(-540.0), 180.0);
        assert_eq!(
            unwrap_deg(&[170.0, -170.0, 170.0]),
            vec![170.0, 190.0, 170.0]
        );
    }
}
