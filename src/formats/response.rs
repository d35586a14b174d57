//! One reader for every frequency-response text format of the IEM
//! community: [`read`] sniffs the file and returns the response with what
//! it found ([`Found`]).
//!
//! - **Not text**: WAV, REW's binary `.mdat`, other audio, archives, images
//!   and any file with NUL bytes that is not UTF-16 text are named as what
//!   they are ([`super::text::not_text`]); a `.zma` file is impedance and
//!   refused as such, as is a file whose level column is named in ohms.
//! - **Decoding**: UTF-8 (with or without BOM), UTF-16 (BOM or NUL
//!   pattern), else CP949 or Windows-1252 ([`super::text::decode`]); line
//!   ends LF, CRLF or CR.
//! - **AutoEq CSV** (first line `frequency,...`): columns picked by name
//!   ([`super::autoeq`]).
//! - **Everything else** is lines of numbers `freq level [phase]`: REW text
//!   exports (`*` comment headers, "Measurement data measured by REW"),
//!   AudioTools / CrinGraph files (a header such as `Frequency dB
//!   Unweighted`, the data, then metadata lines such as `overall dB 0.0 dB`
//!   which end the data block and are ignored), squig.link files, FRD
//!   files. Lines starting with `*`, `#` or `;` are comments; non-numeric
//!   lines before the data are headers (the last one that names a
//!   frequency column, as a plain or a comment line, names the columns);
//!   a non-numeric line inside the data, with numbers after it, is an
//!   error. Columns are separated by tabs, spaces, commas or semicolons;
//!   a file whose number lines hold only `digits,digits` fields separated
//!   by spaces, tabs or semicolons (`20,5;85,3`, `20,5<TAB>85,3`) and no
//!   `.` uses decimal commas. Without a header naming them the columns are
//!   frequency, level, phase; with one, `freq*` / `hz` / `x` is the
//!   frequency, `raw` (else the first other column that is not `phase*`)
//!   the level, `phase*` the phase. A third column is not taken as phase
//!   when a comment says it is group delay (FRD files of some tools). The
//!   phase is kept only when every data line has it.
//!
//! Frequencies must be positive and rising, levels finite and within
//! +-1000 dB ([`super::MAX_LEVEL_DB`]), and 2 points at least. Errors read
//! `{file}:{line}: {reason}` (line 0: the file as a whole), or
//! `{file} is ...` for a file that is no response at all; a line quoted in
//! an error is cut to 60 characters and holds no control character.

use super::text;
use crate::analysis::FrequencyResponse;
use std::path::{Path, PathBuf};

/// Largest file the reader takes: REW's densest export is under 2 MB.
pub const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// The kind of text a response was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// REW's text export (`* Measurement data measured by REW`, or `*`
    /// comments with a `Freq(Hz)` column header).
    Rew,
    /// AudioTools / CrinGraph text (`Frequency dB Unweighted`, trailing
    /// metadata).
    AudioTools,
    /// AutoEq CSV (`frequency,raw,...`).
    AutoEq,
    /// FRD (frequency, magnitude, phase; named `.frd`).
    Frd,
    /// Plain columns of numbers, as squig.link and most tools take.
    Columns,
}

impl Format {
    /// The name shown to users.
    pub fn name(self) -> &'static str {
        match self {
            Format::Rew => "REW text",
            Format::AudioTools => "AudioTools text",
            Format::AutoEq => "AutoEq CSV",
            Format::Frd => "FRD",
            Format::Columns => "frequency/level columns",
        }
    }
}

/// What the reader found besides the points.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// The format.
    pub format: Format,
    /// The encoding the bytes were read in (`UTF-8`, `UTF-16LE`, `CP949`,
    /// `Windows-1252`, ...).
    pub encoding: &'static str,
    /// The level column's header says SPL (`SPL(dB)`, `dB SPL`).
    pub spl: bool,
    /// The file has a phase column (and the response keeps it).
    pub phase: bool,
    /// The file uses decimal commas.
    pub decimal_comma: bool,
    /// The IEM or measurement name a header gives: REW's `* Measurement:
    /// NAME`, tipfit's `* IEM: NAME`.
    pub iem: Option<String>,
    /// The tip a tipfit export names (`* Tip: NAME`).
    pub tip: Option<String>,
}

/// A response read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// The points.
    pub response: FrequencyResponse,
    /// What the reader found.
    pub found: Found,
}

/// Whether an error is about a line (or the data as a whole), or says the
/// file is no response at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A line, or the data as a whole (line 0).
    Data,
    /// Not a response: binary, impedance, unreadable.
    NotAResponse,
}

/// A response file that cannot be used.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    /// The file.
    pub path: PathBuf,
    /// 1-based line number (0 when the problem is the file as a whole).
    pub line: usize,
    /// What is wrong.
    pub reason: String,
    /// Which kind of problem.
    pub kind: ErrorKind,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = display_path(&self.path);
        match self.kind {
            ErrorKind::NotAResponse => write!(f, "{path} {}", self.reason),
            ErrorKind::Data => write!(f, "{path}:{}: {}", self.line, self.reason),
        }
    }
}

impl std::error::Error for Error {}

/// A path for a message: control characters replaced.
pub(crate) fn display_path(path: &Path) -> String {
    path.display()
        .to_string()
        .chars()
        .map(|c| {
            if c.is_control() {
                char::REPLACEMENT_CHARACTER
            } else {
                c
            }
        })
        .collect()
}

fn data_error(path: &Path, line: usize, reason: String) -> Error {
    Error {
        path: path.to_path_buf(),
        line,
        reason,
        kind: ErrorKind::Data,
    }
}

fn not_a_response(path: &Path, reason: String) -> Error {
    Error {
        path: path.to_path_buf(),
        line: 0,
        reason,
        kind: ErrorKind::NotAResponse,
    }
}

/// The message for a file named `.zma` or whose level column is in ohms.
const IMPEDANCE: &str = "is an impedance file (ohms), not a frequency response";

fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Load a reference response or target: tipfit JSON (`frequency_response`)
/// or any response text format ([`crate::formats::response`]: REW,
/// AudioTools, squig.link, AutoEq CSV, FRD); a binary file (WAV, `.mdat`)
/// is named as what it is.
pub fn load(path: &Path) -> anyhow::Result<FrequencyResponse> {
    use anyhow::{bail, Context};
    let bytes = std::fs::read(path)
        .with_context(|| format!("{}: cannot read the reference response", path.display()))?;
    if let Some(why) = text::not_text(&bytes, path) {
        bail!("{} {why}", display_path(path));
    }
    let (text, encoding) = text::decode(&bytes);
    if text.trim_start().starts_with('{') {
        let value: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{}: not valid JSON", path.display()))?;
        let fr = value.get("frequency_response").with_context(|| {
            format!(
                "{}: has no \"frequency_response\" (is it a tipfit measurement?)",
                path.display()
            )
        })?;
        let fr: FrequencyResponse = serde_json::from_value(fr.clone()).with_context(|| {
            format!(
                "{}: \"frequency_response\" is not freq_hz/db arrays",
                path.display()
            )
        })?;
        if fr.freq_hz.len() != fr.db.len() || fr.freq_hz.len() < 2 {
            bail!("{}: \"frequency_response\" needs matching freq_hz and db arrays of 2 or more points", path.display());
        }
        if fr
            .freq_hz
            .windows(2)
            .any(|w| w[1].partial_cmp(&w[0]) != Some(std::cmp::Ordering::Greater))
            || fr.db.iter().any(|d| !d.is_finite())
        {
            bail!(
                "{}: \"frequency_response\" must have ascending frequencies and finite levels",
                path.display()
            );
        }
        Ok(fr)
    } else {
        Ok(parse_text(&text, path, encoding)?.response)
    }
}

/// Read a response file (see the module documentation).
pub fn read(path: &Path) -> Result<Response, Error> {
    let err = |e: std::io::Error| data_error(path, 0, format!("cannot read: {e}"));
    let len = std::fs::metadata(path).map_err(err)?.len();
    if len > MAX_BYTES {
        return Err(not_a_response(
            path,
            format!(
                "is {} MB; a response export is far smaller (is it the right file?)",
                len / (1024 * 1024)
            ),
        ));
    }
    let bytes = std::fs::read(path).map_err(err)?;
    parse_bytes(&bytes, path)
}

/// Parse a response from the bytes of a file; `path` names it in errors
/// and its extension counts (`.zma`, `.mdat`, `.frd`).
pub fn parse_bytes(bytes: &[u8], path: &Path) -> Result<Response, Error> {
    if let Some(why) = text::not_text(bytes, path) {
        return Err(not_a_response(path, why));
    }
    let (text, encoding) = text::decode(bytes);
    parse_text(&text, path, encoding)
}

/// Parse a response from text (already decoded; `encoding` is recorded in
/// [`Found::encoding`]).
pub fn parse_text(text: &str, path: &Path, encoding: &'static str) -> Result<Response, Error> {
    let ext = extension(path);
    if ext == "zma" {
        return Err(not_a_response(path, IMPEDANCE.into()));
    }
    if super::autoeq::looks_like_autoeq(text) {
        let response =
            super::autoeq::parse(text, path).map_err(|e| data_error(path, e.line, e.reason))?;
        return Ok(Response {
            response,
            found: Found {
                format: Format::AutoEq,
                encoding,
                spl: false,
                phase: false,
                decimal_comma: false,
                iem: None,
                tip: None,
            },
        });
    }
    columns(text, path, encoding, &ext)
}

fn is_comment(line: &str) -> bool {
    line.starts_with('*') || line.starts_with('#') || line.starts_with(';')
}

/// A comment's text without its mark.
fn comment_text(line: &str) -> &str {
    line.trim_start_matches(['*', '#', ';', ' ', '\t']).trim()
}

/// `[+-]digits[,digits][e[+-]digits]`: a number written with a decimal
/// comma (or an integer).
fn comma_number(t: &str) -> bool {
    let t = t.strip_prefix(['+', '-']).unwrap_or(t);
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once(',') {
        Some((a, b)) => digits(a) && digits(b),
        None => digits(mantissa),
    };
    let exp_ok = exp.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    mantissa_ok && exp_ok
}

/// Whether the file's number lines use decimal commas: some line holds 2
/// or more fields (split at white space and `;`) that are all
/// [`comma_number`]s with a comma among them, and no number line has a
/// `.`.
fn uses_decimal_comma(lines: &[(usize, &str)]) -> bool {
    let mut comma = false;
    for (_, line) in lines {
        if is_comment(line) || !super::starts_like_number(line) {
            continue;
        }
        if line.contains('.') {
            return false;
        }
        let toks: Vec<&str> = line
            .split(|c: char| c.is_whitespace() || c == ';')
            .filter(|s| !s.is_empty())
            .collect();
        if toks.len() >= 2 && toks.iter().all(|t| comma_number(t)) {
            comma |= toks.iter().any(|t| t.contains(','));
        }
    }
    comma
}

/// The fields of a line.
fn fields(line: &str, decimal_comma: bool) -> Vec<String> {
    if decimal_comma {
        line.split(|c: char| c.is_whitespace() || c == ';')
            .filter(|s| !s.is_empty())
            .map(|s| s.replace(',', "."))
            .collect()
    } else {
        line.split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }
}

/// The column names of a header line, lower case, without quotes.
fn header_names(line: &str) -> Vec<String> {
    let cells: Vec<&str> = if line.contains('\t') {
        line.split('\t').collect()
    } else if line.contains([',', ';']) {
        line.split([',', ';']).collect()
    } else {
        line.split_whitespace().collect()
    };
    cells
        .iter()
        .map(|c| c.trim().trim_matches('"').trim().to_lowercase())
        .filter(|c| !c.is_empty())
        .collect()
}

fn is_freq_name(n: &str) -> bool {
    n.starts_with("freq") || matches!(n, "hz" | "f" | "x" | "f(hz)")
}

/// Which field holds what.
#[derive(Debug, Clone, Copy)]
struct Columns {
    freq: usize,
    level: usize,
    phase: Option<usize>,
}

/// Columns from a header's names, `None` when the names do not include a
/// frequency column; `Err` for a level column in ohms.
fn named_columns(names: &[String]) -> Option<Result<(Columns, bool), ()>> {
    let freq = names.iter().position(|n| is_freq_name(n))?;
    let phase = names.iter().position(|n| n.contains("phase"));
    let level = names
        .iter()
        .position(|n| n == "raw")
        .or_else(|| (0..names.len()).find(|&k| k != freq && Some(k) != phase))?;
    let name = &names[level];
    if name.contains("ohm") || name.contains("impedance") {
        return Some(Err(()));
    }
    let spl = name.contains("spl");
    Some(Ok((Columns { freq, level, phase }, spl)))
}

/// The value of `key: VALUE` in a comment (case-insensitive key at the
/// start).
fn comment_value<'a>(comment: &'a str, key: &str) -> Option<&'a str> {
    let head = comment.get(..key.len())?;
    if !head.eq_ignore_ascii_case(key) {
        return None;
    }
    let v = comment[key.len()..].trim_start().strip_prefix(':')?.trim();
    (!v.is_empty()).then_some(v)
}

/// The number of a field, `None` when it is not one.
fn number(field: &str) -> Option<f64> {
    field.parse::<f64>().ok()
}

/// Lines of numbers (every format but AutoEq CSV).
fn columns(text: &str, path: &Path, encoding: &'static str, ext: &str) -> Result<Response, Error> {
    let err = |line: usize, reason: String| data_error(path, line, reason);
    let lines: Vec<(usize, &str)> = text::lines(text)
        .map(|(n, l)| (n, l.trim().trim_start_matches('\u{feff}').trim()))
        .filter(|(_, l)| !l.is_empty())
        .collect();
    let decimal_comma = uses_decimal_comma(&lines);
    let mut found = Found {
        format: Format::Columns,
        encoding,
        spl: false,
        phase: false,
        decimal_comma,
        iem: None,
        tip: None,
    };
    let mut rew = false;
    let mut group_delay = false;
    let mut plain_header: Option<&str> = None;
    let mut header: Option<Vec<String>> = None;
    let mut trailer: Option<(usize, &str)> = None;
    let mut cols: Option<Columns> = None;
    let mut resp = FrequencyResponse::default();
    let mut phases: Vec<f64> = Vec::new();
    for &(n, line) in &lines {
        if is_comment(line) {
            let c = comment_text(line);
            let lower = c.to_lowercase();
            if lower.contains("measured by rew") || lower.starts_with("rew ") {
                rew = true;
            }
            if lower.contains("group delay") && !lower.contains("phase") {
                group_delay = true;
            }
            if resp.freq_hz.is_empty() {
                if let Some(v) = comment_value(c, "measurement") {
                    found.iem.get_or_insert_with(|| v.to_string());
                }
                if let Some(v) = comment_value(c, "iem") {
                    found.iem = Some(v.to_string());
                }
                if let Some(v) = comment_value(c, "tip") {
                    found.tip = Some(v.to_string());
                }
                let names = header_names(c);
                if names.first().is_some_and(|n| is_freq_name(n)) {
                    header = Some(names);
                }
            }
            continue;
        }
        let f = fields(line, decimal_comma);
        let Some(first) = f.first() else {
            continue; // only separators, e.g. ",,"
        };
        if number(first).is_none() {
            if resp.freq_hz.is_empty() {
                plain_header = Some(line);
                let names = header_names(line);
                if names.iter().any(|n| is_freq_name(n)) {
                    header = Some(names);
                }
            } else if trailer.is_none() {
                trailer = Some((n, line));
            }
            continue;
        }
        if let Some((m, l)) = trailer {
            return Err(err(
                m,
                format!(
                    "expected numbers 'freq dB [phase]', found '{}' (the data goes on at line {n})",
                    text::quote(l)
                ),
            ));
        }
        let c = match cols {
            Some(c) => c,
            None => {
                let named = header.as_deref().and_then(named_columns);
                let c = match named {
                    Some(Err(())) => return Err(not_a_response(path, IMPEDANCE.into())),
                    Some(Ok((c, spl))) => {
                        found.spl = spl;
                        c
                    }
                    None => Columns {
                        freq: 0,
                        level: 1,
                        phase: (!group_delay).then_some(2),
                    },
                };
                cols = Some(c);
                c
            }
        };
        if f.len() <= c.level.max(c.freq) {
            return Err(err(
                n,
                "a data line needs at least frequency and level".into(),
            ));
        }
        let value = |k: usize, what: &str| -> Result<f64, Error> {
            match number(&f[k]) {
                Some(v) if v.is_finite() => Ok(v),
                _ => Err(err(
                    n,
                    format!("{what} '{}' is not a finite number", text::quote(&f[k])),
                )),
            }
        };
        let freq = value(c.freq, "frequency")?;
        let level = value(c.level, "level")?;
        super::check_level("level", level).map_err(|m| err(n, m))?;
        super::check_next_frequency(freq, resp.freq_hz.last().copied()).map_err(|m| err(n, m))?;
        resp.freq_hz.push(freq);
        resp.db.push(level);
        if let Some(p) = c.phase.filter(|&p| p < f.len()) {
            phases.push(value(p, "phase")?);
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
        found.phase = true;
    }
    let audiotools_header = plain_header.is_some_and(|h| {
        let h = h.to_lowercase();
        h.starts_with("frequency") && h.contains("db") && h.contains("weighted")
    });
    found.format = if rew {
        Format::Rew
    } else if audiotools_header
        || trailer.is_some_and(|(_, l)| l.to_lowercase().starts_with("overall db"))
    {
        Format::AudioTools
    } else if ext == "frd" {
        Format::Frd
    } else if header.is_some() && plain_header.is_none() {
        Format::Rew
    } else {
        Format::Columns
    };
    Ok(Response {
        response: resp,
        found,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Response, Error> {
        parse_bytes(text.as_bytes(), Path::new("x.txt"))
    }

    #[test]
    fn audiotools_trailing_metadata_ends_the_data() {
        let text = "\nFrequency\tdB\tUnweighted\n19.5\t56.6 \n19.8\t56.9 \n20.1\t57.1 \n\
                    overall dB\t0.0 dB\ndecay\tAverage\n\n\nsaved\t--/-/--, --:-- AM\npeak\t0.0Hz\n";
        let r = p(text).unwrap();
        assert_eq!(r.response.freq_hz, vec![19.5, 19.8, 20.1]);
        assert_eq!(r.response.db, vec![56.6, 56.9, 57.1]);
        assert_eq!(r.response.phase_deg, None);
        assert_eq!(r.found.format, Format::AudioTools);
        assert!(!r.found.phase);
    }

    #[test]
    fn a_word_line_inside_the_data_is_an_error_naming_it() {
        let e = p("Frequency\tdB\n20\t1\noops\there\n30\t2\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert!(
            e.to_string()
                .starts_with("x.txt:3: expected numbers 'freq dB [phase]', found 'oops here'"),
            "{e}"
        );
    }

    #[test]
    fn rew_header_gives_format_phase_spl_and_name() {
        let text = "* Measurement data measured by REW V5.20.13\n* Measurement: Craftears C4 L\n\
                    * Freq(Hz)\tSPL(dB)\tPhase(degrees)\n20.299999\t85.110\t39.1411\n20.600000\t85.126\t38.8057\n";
        let r = p(text).unwrap();
        assert_eq!(r.found.format, Format::Rew);
        assert!(r.found.spl && r.found.phase);
        assert_eq!(r.found.iem.as_deref(), Some("Craftears C4 L"));
        assert_eq!(r.response.phase_deg, Some(vec![39.1411, 38.8057]));
    }

    #[test]
    fn decimal_commas_are_detected_per_file() {
        for text in [
            "20,5;85,3\n40;86,25\n",
            "20,5\t85,3\n40\t86,25\n",
            "20,5 85,3\n40 86,25\n",
        ] {
            let r = p(text).unwrap();
            assert!(r.found.decimal_comma, "{text:?}");
            assert_eq!(r.response.freq_hz, vec![20.5, 40.0], "{text:?}");
            assert_eq!(r.response.db, vec![85.3, 86.25], "{text:?}");
        }
        let r = p("* Freq(Hz);SPL(dB);Phase(degrees)\n20,000;68,42;-12,3\n1000,000;75,55;45,0\n")
            .unwrap();
        assert_eq!(r.response.phase_deg, Some(vec![-12.3, 45.0]));
        // comma separators with decimal points, and integer CSV
        let r = p("20.5,85.3\n40,86\n").unwrap();
        assert!(!r.found.decimal_comma);
        assert_eq!(r.response.freq_hz, vec![20.5, 40.0]);
        let r = p("20,85\n40,86\n").unwrap();
        assert_eq!(
            (r.response.freq_hz, r.response.db),
            (vec![20.0, 40.0], vec![85.0, 86.0])
        );
        let r = p("20.5;85.3\n40;86\n").unwrap();
        assert_eq!(r.response.db, vec![85.3, 86.0]);
    }

    #[test]
    fn named_columns_pick_raw_and_phase() {
        let r = p("frequency\traw\n20\t7.61\n20.2\t7.62\n").unwrap();
        assert_eq!(r.response.db, vec![7.61, 7.62]);
        let r = p("Freq;Phase;SPL\n20,5;10;85,3\n40;20;86\n").unwrap();
        assert_eq!(r.response.db, vec![85.3, 86.0]);
        assert_eq!(r.response.phase_deg, Some(vec![10.0, 20.0]));
        let r = p("x\tCurve1\n20.04\t38.3\n20.33\t38.34\n").unwrap();
        assert_eq!(r.response.db, vec![38.3, 38.34]);
        assert_eq!(r.found.format, Format::Columns);
    }

    #[test]
    fn frd_group_delay_is_not_phase() {
        let text = "* Data: db(Response), Group Delay (sec)\n 1.0 +65.6 +0.0\n 2.0 +66.0 +0.1\n";
        let r = parse_bytes(text.as_bytes(), Path::new("s.frd")).unwrap();
        assert_eq!(r.found.format, Format::Frd);
        assert_eq!(r.response.phase_deg, None);
    }

    #[test]
    fn impedance_is_named_not_imported() {
        let e = parse_bytes(b"10 7.3 26\n20 7.4 27\n", Path::new("x.zma")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "x.zma is an impedance file (ohms), not a frequency response"
        );
        let e = p("* Freq(Hz)\tImpedance(ohms)\tPhase\n10 7.3 26\n20 7.4 27\n").unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotAResponse);
    }

    #[test]
    fn binary_files_are_named_without_their_bytes() {
        let mut wav = b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00".to_vec();
        wav.extend([0u8, 1, 2, 3, 7, 27, 0, 0]);
        let e = parse_bytes(&wav, Path::new("rec.wav")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "rec.wav is a WAV file: give a text export (REW: File > Export > Export measurement as text)"
        );
        let e = parse_bytes(
            &[0xAC, 0xED, 0, 5, 0x73, 0x72, 0, 0x1F, 7],
            Path::new("m.mdat"),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("m.mdat is REW's own binary format"),
            "{e}"
        );
    }

    #[test]
    fn tipfit_export_names_iem_and_tip() {
        let r = p("* IEM: Chu\n* Tip: Spring Tips\n* Freq(Hz)\tSPL(dB)\n20\t1\n30\t2\n").unwrap();
        assert_eq!(r.found.iem.as_deref(), Some("Chu"));
        assert_eq!(r.found.tip.as_deref(), Some("Spring Tips"));
        assert!(!r.found.phase);
    }

    #[test]
    fn errors_quote_at_most_60_characters_without_controls() {
        let e = p(&format!("20 1\nabc\u{1b}[2J{}\n30 2\n", "y".repeat(200))).unwrap_err();
        let msg = e.to_string();
        assert!(!msg.chars().any(char::is_control), "{msg:?}");
        assert!(msg.len() < 200, "{msg}");
    }
}
