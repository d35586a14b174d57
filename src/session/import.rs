//! Bring measured responses from other programs into a session: REW /
//! squig.link text exports and AutoEq CSVs become tips and fits.
//!
//! Every file is read and checked first; when one is bad the error names it
//! (and its line) and nothing is written. A folder without `session.json`
//! becomes a new session (it must be missing or empty). Each file becomes
//! one fit, or one ear of a fit: of the tip given with
//! [`ImportOptions::tip`], else of a tip named after the file (squig.link
//! style `IEM (Tip Name, by X) L.txt` -> `Tip Name`; otherwise the stem
//! without a trailing `_L`/`_R`/` L`/` R`/`-L`/`-R`).
//!
//! Ears: a file whose name ends in such a mark is one ear of a fit
//! ([`FitRecord::ear`]). Among the files of one tip in one import, the k-th
//! left file and the k-th right file are the two ears of the same fit (fit
//! numbers count pairs, so an `L` and an `R` file make fit 1, not fits 1
//! and 2); a left file without a right one (or the reverse) is a fit of
//! that ear alone. Files without a mark are fits of the session's single
//! ear, as before. Ears pair only within one import: a right file imported
//! later is a new fit of the right ear. A session that holds both ears gets
//! `ear = both`.
//!
//! A tip that already exists gets the next fit number. The response is
//! stored unchanged; its seal metrics are computed as for a measurement
//! (against the session's reference response, if any), with no noise floor,
//! distortion or SNR data (`snr_db` is stored as 0 and a warning says so).

use super::config::Ear;
use super::model::{FitRecord, SessionInfo, TipSpec, SCHEMA_VERSION};
use super::store::{Store, FITS_DIR, SESSION_FILE};
use crate::analysis::seal::{seal_metrics, SealConfig};
use crate::analysis::{
    Bands, FrequencyResponse, LevelUnit, Measurement, Method, ResponseSmoothing, Thd,
};
use crate::formats::response::Format;
use anyhow::{bail, Result};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// How to import.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportOptions {
    /// Put every file on this tip, as successive fits.
    pub tip: Option<String>,
    /// IEM name of a new session (default: the files' common name).
    pub iem: Option<String>,
    /// Import a response already in the batch or the session anyway (with a
    /// warning) instead of refusing it.
    pub allow_duplicates: bool,
}

/// What an import did: the files imported, and what the user should know
/// (a file naming another IEM, how the IEM was named).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImportReport {
    /// The files, in the order given.
    pub imported: Vec<Imported>,
    /// Warnings, each naming its file.
    pub warnings: Vec<String>,
    /// How a new session's IEM was named (`None` with `--iem` or into an
    /// existing session).
    pub iem_note: Option<String>,
}

/// One imported file.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The tip it became a fit of.
    pub tip: String,
    /// Its fit number.
    pub fit: usize,
    /// The ear it is of that fit (`None`: the session's single ear).
    pub ear: Option<Ear>,
    /// The file, as given.
    pub file: PathBuf,
    /// Points of its response.
    pub points: usize,
}

/// A file read and checked, not yet stored.
struct Parsed {
    file: PathBuf,
    name: String,
    response: FrequencyResponse,
    unit: LevelUnit,
    /// The IEM a header names (REW's `* Measurement:`, tipfit's `* IEM:`).
    header_iem: Option<String>,
}

/// The file name, for messages and records.
fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// The file stem (name without extension).
fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|n| n.to_string_lossy().trim().to_string())
        .unwrap_or_default()
}

/// The stem without a trailing channel mark, and the ear it names.
fn split_channel(stem: &str) -> (&str, Option<Ear>) {
    for (mark, ear) in [
        (" L", Ear::Left),
        (" R", Ear::Right),
        ("_L", Ear::Left),
        ("_R", Ear::Right),
        ("-L", Ear::Left),
        ("-R", Ear::Right),
    ] {
        if let Some(rest) = stem.strip_suffix(mark) {
            if !rest.trim().is_empty() {
                return (rest.trim_end(), Some(ear));
            }
        }
    }
    (stem, None)
}

/// `s` without a `, by ...` credit (case-insensitive).
fn without_credit(s: &str) -> &str {
    let lower = s.to_lowercase();
    // Lower-casing can change byte lengths outside ASCII; cut only when the
    // position maps to the same place in `s`.
    match lower.find(", by ") {
        Some(i) if lower.len() == s.len() && s.is_char_boundary(i) => s[..i].trim(),
        _ => s.trim(),
    }
}

/// The tip name a file's stem suggests (see the module documentation).
pub fn tip_name_from_stem(stem: &str) -> String {
    let (base, _) = split_channel(stem.trim());
    let from_parens = crate::formats::squig::paren_groups(base)
        .into_iter()
        .map(without_credit)
        .rfind(|g| !g.is_empty() && !g.to_lowercase().starts_with("by "));
    let name = from_parens.unwrap_or(base).trim();
    if name.is_empty() {
        "tip".into()
    } else {
        name.into()
    }
}

/// The IEM name a file's stem suggests: the part before ` (` (squig.link
/// style), else the stem without its channel mark.
pub fn iem_name_from_stem(stem: &str) -> String {
    let (base, _) = split_channel(stem.trim());
    let name = base.split(" (").next().unwrap_or(base).trim();
    if name.is_empty() {
        "IEM".into()
    } else {
        name.into()
    }
}

/// The ear a file's stem names (`left` unless it ends in ` R` / `_R`).
pub fn ear_from_stem(stem: &str) -> Ear {
    split_channel(stem.trim()).1.unwrap_or(Ear::Left)
}

/// Read and check one file (any response text format:
/// [`crate::formats::response::read`]).
fn parse_file(path: &Path) -> Result<Parsed> {
    let read = crate::formats::response::read(path)?;
    let response = read.response;
    // REW, squig.link / CrinGraph, AudioTools and FRD text hold coupler
    // levels in dB SPL; AutoEq's `raw` is dB of its own reference.
    let unit = match read.found.format {
        Format::AutoEq => LevelUnit::Relative,
        _ => LevelUnit::Spl,
    };
    let header_iem = read.found.iem.clone();
    let cfg = SealConfig::default();
    for (which, (lo, hi)) in [
        ("bass", cfg.bass_band_hz),
        ("reference", cfg.reference_band_hz),
    ] {
        let inside = |f: &f64| *f >= lo * 0.999 && *f <= hi * 1.001;
        if !response.freq_hz.iter().any(inside) {
            let (first, last) = (
                response.freq_hz[0],
                response.freq_hz[response.freq_hz.len() - 1],
            );
            bail!(
                "{}: the response ({first} Hz to {last} Hz) has no point in the {which} band \
                 {lo}-{hi} Hz that the seal is judged from",
                path.display()
            );
        }
    }
    Ok(Parsed {
        file: path.to_path_buf(),
        name: file_name(path),
        response,
        unit,
        header_iem,
    })
}

/// The measurement stored for an imported response.
fn measurement(p: &Parsed, reference: Option<&FrequencyResponse>) -> Result<Measurement> {
    let cfg = SealConfig::default();
    let points: Vec<(f64, f64, f64)> = p
        .response
        .points()
        .into_iter()
        .map(|(f, db)| (f, db, f64::INFINITY))
        .collect();
    let mut warnings = vec![format!(
        "imported from {}: no noise floor or distortion data",
        p.name
    )];
    // A reference that does not reach both seal bands would be extrapolated
    // (flat) into them: judge the fit without it.
    let covers = |r: &FrequencyResponse| {
        [cfg.bass_band_hz, cfg.reference_band_hz]
            .iter()
            .all(|&(lo, hi)| {
                r.freq_hz
                    .iter()
                    .any(|f| *f >= lo * 0.999 && *f <= hi * 1.001)
            })
    };
    let reference_points = match reference {
        Some(r) if covers(r) => Some(r.points()),
        Some(_) => {
            warnings.push(format!(
                "the session's reference response does not cover the seal bands \
                 ({}-{} Hz and {}-{} Hz): bass loss left out",
                cfg.bass_band_hz.0,
                cfg.bass_band_hz.1,
                cfg.reference_band_hz.0,
                cfg.reference_band_hz.1
            ));
            None
        }
        None => None,
    };
    let seal = seal_metrics(&points, reference_points.as_deref(), &cfg);
    let m = Measurement {
        tipfit_version: env!("CARGO_PKG_VERSION").into(),
        method: Method::Imported,
        sample_rate: 0,
        latency_s: 0.0,
        smoothing: ResponseSmoothing::AsImported,
        frequency_response: p.response.clone(),
        seal,
        thd_percent: Thd::default(),
        snr_db: 0.0,
        snr_bands: Bands::default(),
        warnings,
        clock: None,
        level_unit: Some(p.unit),
    };
    // JSON has no NaN or infinity (serde_json writes null, which does not
    // read back as a number, or reads back as `None`): what is stored must
    // read back as it is, else refuse before writing anything.
    let back = serde_json::from_value::<Measurement>(serde_json::to_value(&m)?).ok();
    if back.as_ref() != Some(&m) {
        bail!(
            "{}: the seal metrics of this response are not finite numbers; it cannot be stored",
            p.file.display()
        );
    }
    Ok(m)
}

/// A new session's description, for the IEM `iem`.
fn new_info(first: &Parsed, iem: String) -> SessionInfo {
    let stem = stem(&first.file);
    SessionInfo {
        schema_version: SCHEMA_VERSION,
        tipfit_version: env!("CARGO_PKG_VERSION").into(),
        created: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        rig: "imported".into(),
        iem,
        ear: ear_from_stem(&stem),
        tips: vec![],
        fits_per_tip: 1,
        seal: true,
        quick: false,
        isolation: false,
        reference: None,
        reference_right: None,
        target: None,
        imported_from: vec![],
        config: None,
    }
}

/// True for a squig.link / CrinGraph style name, `IEM (Tip) L`: the part
/// before ` (` names the IEM.
fn squig_style(stem: &str) -> bool {
    stem.contains(" (")
}

/// A name folded for comparison: lower case, letters and digits only.
fn folded(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The separators of plain file names (`chu_final-e_L`).
fn is_separator(c: char) -> bool {
    matches!(c, '_' | '-' | ' ' | '.')
}

/// The longest common prefix of `stems` that ends at a separator, without
/// trailing separators (`chu_final-e`, `chu_spring` -> `chu`); `None` when
/// there is none or only one stem.
fn common_prefix(stems: &[&str]) -> Option<String> {
    let first = *stems.first()?;
    if stems.len() < 2 {
        return None;
    }
    let mut end = first.len();
    for s in &stems[1..] {
        end = first
            .char_indices()
            .zip(s.chars())
            .take_while(|((_, a), b)| a == b)
            .map(|((i, a), _)| i + a.len_utf8())
            .last()
            .unwrap_or(0)
            .min(end);
    }
    // Cut back to the last separator (a whole word), unless every stem
    // continues with a separator right there.
    let whole = stems.iter().all(|s| {
        s[end.min(s.len())..]
            .chars()
            .next()
            .is_none_or(is_separator)
    });
    let cut = if whole {
        end
    } else {
        first[..end].rfind(is_separator).unwrap_or(0)
    };
    let p = first[..cut].trim_end_matches(is_separator).trim();
    (!p.is_empty()).then(|| p.to_string())
}

/// The IEM of a new session and how it was found: `--iem`; else the name
/// every squig.link-style file gives; else the files' common prefix; else
/// the one file's stem.
fn session_iem(
    parsed: &[Parsed],
    opts: &ImportOptions,
) -> (String, Option<String>, Option<String>) {
    if let Some(i) = &opts.iem {
        return (i.clone(), None, None);
    }
    let stems: Vec<String> = parsed.iter().map(|p| stem(&p.file)).collect();
    let bases: Vec<&str> = stems.iter().map(|s| split_channel(s).0).collect();
    if stems.iter().all(|s| squig_style(s)) {
        let names: Vec<String> = stems.iter().map(|s| iem_name_from_stem(s)).collect();
        if names.iter().all(|n| folded(n) == folded(&names[0])) {
            let note = format!(
                "IEM '{}', as the file names say (--iem NAME overrides)",
                names[0]
            );
            return (names[0].clone(), Some(note), None);
        }
    }
    if let Some(p) = common_prefix(&bases) {
        let note = format!("IEM '{p}', the files' common name (--iem NAME overrides)");
        return (p.clone(), Some(note), Some(p));
    }
    let name = iem_name_from_stem(&stems[0]);
    let note = if parsed.len() == 1 {
        format!("IEM '{name}', after the file's name (--iem NAME names it)")
    } else {
        format!("IEM '{name}': the files share no name, so it is the first file's (--iem NAME names it)")
    };
    (name, Some(note), None)
}

/// The tip a file becomes: `--tip`; the squig.link tip name; else the stem
/// without the channel mark and without the IEM's common prefix.
fn tip_for(p: &Parsed, opts: &ImportOptions, prefix: Option<&str>) -> String {
    if let Some(t) = &opts.tip {
        return t.trim().to_string();
    }
    let stem = stem(&p.file);
    if let (Some(prefix), false) = (prefix, squig_style(&stem)) {
        let base = split_channel(&stem).0;
        if let Some(rest) = base.strip_prefix(prefix) {
            let rest = rest.trim_start_matches(is_separator).trim();
            if !rest.is_empty() {
                return rest.to_string();
            }
        }
    }
    tip_name_from_stem(&stem)
}

/// Refuse a file whose response is one already in the batch or the
/// session (the same frequencies and levels): importing it twice would
/// make a fit-to-fit spread of zero out of one measurement.
/// With `allow`, the duplicates are returned as warnings instead.
fn check_duplicates(parsed: &[Parsed], stored: &[FitRecord], allow: bool) -> Result<Vec<String>> {
    let same =
        |a: &FrequencyResponse, b: &FrequencyResponse| a.freq_hz == b.freq_hz && a.db == b.db;
    let mut warnings = Vec::new();
    let mut found = |msg: String| -> Result<()> {
        if allow {
            warnings.push(format!("{msg} (imported anyway: --allow-duplicates)"));
            Ok(())
        } else {
            bail!("{msg}; pass --allow-duplicates to import it anyway")
        }
    };
    for (i, p) in parsed.iter().enumerate() {
        if let Some(q) = parsed[..i].iter().find(|q| same(&q.response, &p.response)) {
            found(format!(
                "{}: the same response as {} in this import (one measurement makes one fit)",
                p.file.display(),
                q.file.display()
            ))?;
            continue;
        }
        if let Some(r) = stored.iter().find(|r| {
            r.response()
                .is_some_and(|m| same(&m.frequency_response, &p.response))
        }) {
            let from = r
                .source
                .as_deref()
                .map_or(String::new(), |s| format!(", imported from {s}"));
            let ear = r.ear.map_or(String::new(), |e| format!(" ({e} ear)"));
            found(format!(
                "{}: the same response as tip '{}' fit {}{ear} already in the session{from}",
                p.file.display(),
                r.tip,
                r.fit
            ))?;
        }
    }
    Ok(warnings)
}

/// The tip called `name`, added to `info` when new. A new tip whose folder
/// would be another tip's (non-ASCII names all map to `tip`, "A b" and
/// "a-b" to `a-b`), or a folder already on disk, is renamed `name (2)`,
/// `name (3)`, ... Returns its index in `info.tips`.
fn tip_index(info: &mut SessionInfo, dir: &Path, name: &str) -> usize {
    if let Some(i) = info.tips.iter().position(|t| t.name == name) {
        return i;
    }
    let spec = |name: String| TipSpec {
        name,
        material: None,
        size: None,
        brand: None,
        preset: None,
    };
    let free = |t: &TipSpec, info: &SessionInfo| {
        let slug = t.slug();
        !info
            .tips
            .iter()
            .any(|o| o.name == t.name || o.slug() == slug)
            && !dir.join(FITS_DIR).join(&slug).exists()
    };
    let mut tip = spec(name.to_string());
    let mut k = 2;
    while !free(&tip, info) {
        tip = spec(format!("{name} ({k})"));
        k += 1;
    }
    info.tips.push(tip);
    info.tips.len() - 1
}

/// Fit numbers of one import, per tip: a file without an ear takes the
/// next number; the k-th left and the k-th right file of a tip share one
/// (the first of the two to come takes the next number).
#[derive(Default)]
struct FitNumbers {
    /// Per tip: the next free number, the files of each ear so far (left,
    /// right) and the k-th pair's fit number.
    tips: HashMap<String, TipNumbers>,
}

struct TipNumbers {
    free: usize,
    per_ear: [usize; 2],
    pairs: Vec<usize>,
}

impl FitNumbers {
    /// The fit number of the next file of `tip` and `ear`; `first`: the
    /// tip's first free number (after the fits stored).
    fn next(&mut self, tip: &str, ear: Option<Ear>, first: impl FnOnce() -> usize) -> usize {
        let t = self
            .tips
            .entry(tip.to_string())
            .or_insert_with(|| TipNumbers {
                free: first(),
                per_ear: [0, 0],
                pairs: Vec::new(),
            });
        let side = match ear {
            Some(Ear::Left) => 0,
            Some(Ear::Right) => 1,
            _ => {
                t.free += 1;
                return t.free - 1;
            }
        };
        let k = t.per_ear[side];
        t.per_ear[side] += 1;
        if let Some(n) = t.pairs.get(k) {
            return *n;
        }
        t.pairs.push(t.free);
        t.free += 1;
        t.free - 1
    }
}

/// Import `files` into the session folder `into` (created when it is not a
/// session). All files are read and checked before anything is written: a
/// bad file, or one whose response is already in the batch or the session,
/// stops the import with nothing written.
pub fn import_files(files: &[PathBuf], into: &Path, opts: &ImportOptions) -> Result<ImportReport> {
    if files.is_empty() {
        bail!("no files to import");
    }
    if let Some(t) = &opts.tip {
        if t.trim().is_empty() {
            bail!("--tip: the tip name is empty");
        }
    }
    let parsed = files
        .iter()
        .map(|f| parse_file(f))
        .collect::<Result<Vec<Parsed>>>()?;

    let mut report = ImportReport::default();
    let existing = into.join(SESSION_FILE).is_file();
    let stored = if existing {
        super::store::load(into)?.fits
    } else {
        Vec::new()
    };
    report.warnings = check_duplicates(&parsed, &stored, opts.allow_duplicates)?;
    let (store, mut info, measurements, prefix) = if existing {
        let (store, info) = Store::open(into)?;
        let m = parsed
            .iter()
            .map(|p| measurement(p, info.reference.as_ref()))
            .collect::<Result<Vec<_>>>()?;
        (store, info, m, None)
    } else {
        let (iem, note, prefix) = session_iem(&parsed, opts);
        report.iem_note = note;
        let info = new_info(&parsed[0], iem);
        let m = parsed
            .iter()
            .map(|p| measurement(p, None))
            .collect::<Result<Vec<_>>>()?;
        (Store::create(into, &info)?, info, m, prefix)
    };
    // A file whose name or header says it is another IEM.
    for p in &parsed {
        let st = stem(&p.file);
        if squig_style(&st) {
            let named = iem_name_from_stem(&st);
            if folded(&named) != folded(&info.iem) {
                report.warnings.push(format!(
                    "{}: the file name says IEM '{named}', the session is '{}'; imported anyway (check it is the same IEM)",
                    p.name, info.iem
                ));
                continue;
            }
        }
        // A header name ("Cowon EG2 L") counts when it does not hold the
        // session's IEM name, nor the session's name it.
        if let Some(h) = p.header_iem.as_deref().filter(|h| !h.trim().is_empty()) {
            let (fh, fi) = (folded(split_channel(h.trim()).0), folded(&info.iem));
            if !fh.contains(&fi) && !fi.contains(&fh) {
                report.warnings.push(format!(
                    "{}: its header names '{}', the session is '{}'; imported anyway (check it is the same IEM)",
                    p.name,
                    h.trim(),
                    info.iem
                ));
            }
        }
    }
    // Units: one session, one unit of level.
    let units: Vec<LevelUnit> = stored
        .iter()
        .filter_map(|r| r.response().map(|m| m.unit()))
        .collect();
    for p in &parsed {
        if let Some(u) = units.iter().find(|u| **u != p.unit) {
            report.warnings.push(format!(
                "{}: its levels are {}, the session's fits are {}; compare and the plots normalise at 300-1000 Hz, but absolute levels do not compare",
                p.name,
                p.unit.as_str(),
                u.as_str()
            ));
            break;
        }
    }

    let mut fits = FitNumbers::default();
    for (p, m) in parsed.iter().zip(measurements) {
        let wanted = tip_for(p, opts, prefix.as_deref());
        let i = tip_index(&mut info, into, &wanted);
        let tip = info.tips[i].clone();
        let ear = split_channel(&stem(&p.file)).1;
        let fit = fits.next(&tip.name, ear, || {
            super::store::highest_stored_fit(into, &tip) + 1
        });
        // A new session has the ear of its first file; a session given the
        // other ear holds both.
        if ear.is_some_and(|e| e != info.ear) {
            // Fits stored without an ear were of the session's ear; in a
            // session of both ears they count as the left one.
            if info.ear == Ear::Right && stored.iter().any(|r| r.ear.is_none()) {
                report.warnings.push(format!(
                    "{}: the session's fits without an ear were of the right ear; with both \
                     ears they count as the left ear in compare",
                    p.name
                ));
            }
            info.ear = Ear::Both;
        }
        let record = FitRecord {
            schema_version: SCHEMA_VERSION,
            tip: tip.name.clone(),
            fit,
            seal: Some(m),
            quick: None,
            isolation: None,
            recording: None,
            rig: Some(serde_json::json!({ "kind": "imported", "file": p.name })),
            skipped: false,
            attempts: 1,
            source: Some(p.name.clone()),
            ear,
        };
        store.save_fit(&tip, &record, None)?;
        info.imported_from.push(p.name.clone());
        info.fits_per_tip = info.fits_per_tip.max(fit);
        // The description is saved after every fit, so the session on disk
        // always lists the tips of the fits it holds.
        store.save_info(&info)?;
        report.imported.push(Imported {
            tip: tip.name,
            fit,
            ear,
            file: p.file.clone(),
            points: p.response.freq_hz.len(),
        });
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squig_names_give_tip_iem_and_ear() {
        let s = "Chu Sample 1 (Spring Tips, by THX™) L";
        assert_eq!(tip_name_from_stem(s), "Spring Tips");
        assert_eq!(iem_name_from_stem(s), "Chu Sample 1");
        assert_eq!(ear_from_stem(s), "left");
        let s = "CALLA Sample 1 (by 냥냐냥) (Final E Tips) R";
        assert_eq!(tip_name_from_stem(s), "Final E Tips");
        assert_eq!(iem_name_from_stem(s), "CALLA Sample 1");
        assert_eq!(ear_from_stem(s), "right");
        // Only a credit in parentheses: the stem is the name.
        assert_eq!(
            tip_name_from_stem("CALLA Sample 1 (by 냥냐냥) L"),
            "CALLA Sample 1 (by 냥냐냥)"
        );
        assert_eq!(tip_name_from_stem("Chu (Spring Tips) L"), "Spring Tips");
    }

    #[test]
    fn plain_names_lose_only_the_channel_mark() {
        assert_eq!(tip_name_from_stem("chu_spring_L"), "chu_spring");
        assert_eq!(tip_name_from_stem("chu_spring_R"), "chu_spring");
        assert_eq!(ear_from_stem("chu_spring_R"), "right");
        assert_eq!(ear_from_stem("chu_spring"), "left");
        assert_eq!(tip_name_from_stem("foam"), "foam");
        assert_eq!(tip_name_from_stem("L"), "L");
        assert_eq!(tip_name_from_stem(""), "tip");
        assert_eq!(iem_name_from_stem("chu_spring_L"), "chu_spring");
        assert_eq!(tip_name_from_stem("스프링 팁 L"), "스프링 팁");
    }

    /// Common prefixes end at a word: `chu_final-e`, `chu_spring` -> `chu`;
    /// `chu_spring` twice -> all of it; nothing shared -> none.
    #[test]
    fn common_prefixes_by_hand() {
        assert_eq!(
            common_prefix(&["chu_final-e", "chu_spring"]).as_deref(),
            Some("chu")
        );
        assert_eq!(
            common_prefix(&["chu_spring", "chu_spring"]).as_deref(),
            Some("chu_spring")
        );
        assert_eq!(
            common_prefix(&["as16_stock", "as16 pro_x"]).as_deref(),
            Some("as16")
        );
        assert_eq!(common_prefix(&["blessing3 foam", "blessing2 foam"]), None);
        assert_eq!(common_prefix(&["a"]), None);
        assert_eq!(
            common_prefix(&["Moondrop Chu foam", "Moondrop Chu spinfit"]).as_deref(),
            Some("Moondrop Chu")
        );
    }

    /// The k-th left and k-th right file of a tip share a fit number;
    /// unmarked files and other tips count on their own.
    #[test]
    fn left_and_right_files_pair_by_order() {
        let mut n = FitNumbers::default();
        let mut next = |tip: &str, ear| n.next(tip, ear, || 1);
        let (l, r) = (Some(Ear::Left), Some(Ear::Right));
        assert_eq!(next("a", l), 1);
        assert_eq!(next("a", l), 2);
        assert_eq!(next("a", r), 1);
        assert_eq!(next("a", None), 3);
        assert_eq!(next("a", r), 2);
        assert_eq!(next("a", r), 4);
        assert_eq!(next("b", r), 1);
        assert_eq!(next("b", l), 1);
        let mut m = FitNumbers::default();
        assert_eq!(m.next("a", r, || 5), 5);
        assert_eq!(m.next("a", l, || 9), 5);
        assert_eq!(m.next("a", l, || 9), 6);
    }

    #[test]
    fn non_ascii_tips_get_distinct_folders() {
        let dir = tempfile::tempdir().unwrap();
        let first = Parsed {
            file: "x.txt".into(),
            name: "x.txt".into(),
            response: FrequencyResponse::default(),
            unit: LevelUnit::Spl,
            header_iem: None,
        };
        let mut info = new_info(&first, "x".into());
        let a = tip_index(&mut info, dir.path(), "스프링");
        let b = tip_index(&mut info, dir.path(), "파이널");
        let c = tip_index(&mut info, dir.path(), "스프링");
        assert_eq!(a, c);
        assert_ne!(a, b);
        assert_eq!(info.tips[b].name, "파이널 (2)");
        assert_ne!(info.tips[a].slug(), info.tips[b].slug());
        let d = tip_index(&mut info, dir.path(), "Spring Tips");
        let e = tip_index(&mut info, dir.path(), "spring-tips");
        assert_eq!(info.tips[d].slug(), "spring-tips");
        assert_eq!(info.tips[e].name, "spring-tips (2)");
    }
}
