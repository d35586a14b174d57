//! CSV band tables for ratings: per-fit attenuations and published mean/SD.
//!
//! Both readers accept a UTF-8 byte-order mark, CRLF line ends, blank lines,
//! `#` comment lines, spaces around cells and cells in double quotes. Cells
//! are separated by commas (or by semicolons or tabs when the header holds no
//! comma). They never panic; every error names the file, the 1-based line and,
//! where one cell is at fault, the 1-based column.
//!
//! Per-fit table (`rating --fits`): a header of band centres in Hz
//! (`63` optional, `125,250,500,1000,2000,4000,8000` required, in any order,
//! `Hz` suffix allowed), optionally preceded by a first column named `fit`
//! holding a label; then one row per fit (or subject) of attenuations in dB.
//!
//! Mean/SD table (`rating --mean-sd`): header `freq_hz,mean_db,sd_db` (any
//! order), one row per band: `125 ... 8000` required, `63`, `3150` and `6300`
//! optional (EPA labels list 3150 and 6300 Hz; the NRR averages them with
//! 4000 and 8000 Hz).

use std::path::{Path, PathBuf};

/// Bands a per-fit table may hold, Hz.
pub const FIT_BANDS_HZ: [f64; 8] = [63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0];
/// Bands a mean/SD table may hold, Hz.
pub const MEAN_SD_BANDS_HZ: [f64; 10] = [
    63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 3150.0, 4000.0, 6300.0, 8000.0,
];
/// Bands every table must hold, Hz.
pub const REQUIRED_BANDS_HZ: [f64; 7] = [125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0];
/// Largest accepted magnitude of an attenuation or mean, dB.
pub const MAX_ABS_ATTENUATION_DB: f64 = 200.0;
/// Largest accepted standard deviation, dB.
pub const MAX_SD_DB: f64 = 100.0;

/// Attenuations of several fits of one tip (or of several subjects).
#[derive(Debug, Clone, PartialEq)]
pub struct FitsTable {
    /// Band centres, Hz, ascending.
    pub centre_hz: Vec<f64>,
    /// One label per fit (`fit N` when the table has no `fit` column or the cell is empty).
    pub labels: Vec<String>,
    /// Attenuation per fit and band, dB: `attenuation_db[fit][band]`.
    pub attenuation_db: Vec<Vec<f64>>,
}

/// Published mean attenuation and standard deviation per band.
#[derive(Debug, Clone, PartialEq)]
pub struct MeanSdTable {
    /// Band centres, Hz, ascending.
    pub centre_hz: Vec<f64>,
    /// Mean attenuation per band, dB.
    pub mean_db: Vec<f64>,
    /// Standard deviation per band, dB.
    pub sd_db: Vec<f64>,
}

/// A band table that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{}{}: {reason}", path.display(), location(*line, *column))]
pub struct BandsError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line number (0 when the problem is the file as a whole).
    pub line: usize,
    /// 1-based column (0 when the problem is the whole line or file).
    pub column: usize,
    /// What is wrong and what is expected.
    pub reason: String,
}

fn location(line: usize, column: usize) -> String {
    match (line, column) {
        (0, _) => String::new(),
        (l, 0) => format!(": line {l}"),
        (l, c) => format!(": line {l}, column {c}"),
    }
}

/// Builds errors for one file.
struct Ctx<'a> {
    path: &'a Path,
}

impl Ctx<'_> {
    fn err(&self, line: usize, column: usize, reason: impl Into<String>) -> BandsError {
        BandsError {
            path: self.path.to_path_buf(),
            line,
            column,
            reason: reason.into(),
        }
    }
}

/// One significant line: its 1-based number and its cells.
struct Row<'t> {
    line: usize,
    cells: Vec<&'t str>,
}

fn list_hz(bands: &[f64]) -> String {
    let v: Vec<String> = bands.iter().map(|b| format!("{b}")).collect();
    v.join(", ")
}

fn clean_cell(cell: &str) -> &str {
    let t = cell.trim();
    let t = t.strip_prefix('"').unwrap_or(t);
    t.strip_suffix('"').unwrap_or(t).trim()
}

/// Split the text into non-blank, non-comment rows of cells; the separator
/// is chosen from the first (header) row.
fn rows(text: &str) -> Vec<Row<'_>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut sep: Option<char> = None;
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let s = *sep.get_or_insert_with(|| {
            [',', ';', '\t']
                .into_iter()
                .find(|c| line.contains(*c))
                .unwrap_or(',')
        });
        out.push(Row {
            line: i + 1,
            cells: line.split(s).map(clean_cell).collect(),
        });
    }
    out
}

/// Parse a band label such as `500`, `500 Hz` or `1000.0Hz`.
fn band_label(cell: &str) -> Option<f64> {
    let lower = cell.to_ascii_lowercase();
    let num = lower.strip_suffix("hz").unwrap_or(&lower).trim();
    num.parse::<f64>().ok().filter(|v| v.is_finite())
}

fn accepted_band(value: f64, accepted: &[f64]) -> Option<usize> {
    accepted.iter().position(|b| (b - value).abs() < 1e-6)
}

/// A finite number within `lo..=hi`, or an error naming the cell.
fn number(
    ctx: &Ctx,
    row: &Row,
    col: usize,
    what: &str,
    (lo, hi): (f64, f64),
) -> Result<f64, BandsError> {
    let cell = row.cells[col];
    let v: f64 = cell.parse().map_err(|_| {
        ctx.err(
            row.line,
            col + 1,
            format!("{what} '{cell}' is not a number"),
        )
    })?;
    if !v.is_finite() {
        return Err(ctx.err(
            row.line,
            col + 1,
            format!("{what} '{cell}' is not a finite number"),
        ));
    }
    if !(lo..=hi).contains(&v) {
        return Err(ctx.err(
            row.line,
            col + 1,
            format!("{what} {v} dB is outside {lo} ... {hi} dB"),
        ));
    }
    Ok(v)
}

fn check_cell_count(ctx: &Ctx, row: &Row, expected: usize) -> Result<(), BandsError> {
    let n = row.cells.len();
    if n == expected {
        return Ok(());
    }
    let column = if n < expected { n + 1 } else { expected + 1 };
    Err(ctx.err(
        row.line,
        column,
        format!("has {n} cells but the header has {expected}"),
    ))
}

fn check_required(ctx: &Ctx, header_line: usize, present: &[f64]) -> Result<(), BandsError> {
    let missing: Vec<f64> = REQUIRED_BANDS_HZ
        .iter()
        .copied()
        .filter(|b| accepted_band(*b, present).is_none())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(ctx.err(
        header_line,
        0,
        format!(
            "missing band(s) {} Hz: the table needs {} Hz",
            list_hz(&missing),
            list_hz(&REQUIRED_BANDS_HZ)
        ),
    ))
}

/// Where each header column of a fits table goes: `None` for the label column.
fn fits_header(ctx: &Ctx, header: &Row) -> Result<Vec<Option<f64>>, BandsError> {
    let mut columns: Vec<Option<f64>> = Vec::with_capacity(header.cells.len());
    for (col, cell) in header.cells.iter().enumerate() {
        if col == 0 && cell.eq_ignore_ascii_case("fit") {
            columns.push(None);
            continue;
        }
        let band = band_label(cell)
            .and_then(|v| accepted_band(v, &FIT_BANDS_HZ))
            .map(|i| FIT_BANDS_HZ[i])
            .ok_or_else(|| {
                ctx.err(
                    header.line,
                    col + 1,
                    format!(
                        "'{cell}' is not a band of a fits table: use {} Hz (and an optional first column 'fit')",
                        list_hz(&FIT_BANDS_HZ)
                    ),
                )
            })?;
        if let Some(first) = columns.iter().position(|c| *c == Some(band)) {
            return Err(ctx.err(
                header.line,
                col + 1,
                format!("band {band} Hz appears twice (also column {})", first + 1),
            ));
        }
        columns.push(Some(band));
    }
    let present: Vec<f64> = columns.iter().flatten().copied().collect();
    check_required(ctx, header.line, &present)?;
    Ok(columns)
}

/// The attenuations of one fit row, in ascending band order (`order`: band, column).
fn fit_values(ctx: &Ctx, row: &Row, order: &[(f64, usize)]) -> Result<Vec<f64>, BandsError> {
    let limits = (-MAX_ABS_ATTENUATION_DB, MAX_ABS_ATTENUATION_DB);
    order
        .iter()
        .map(|(band, col)| number(ctx, row, *col, &format!("{band} Hz attenuation"), limits))
        .collect()
}

/// Parse a per-fit table from text; `path` names the source in errors.
pub fn parse_fits(text: &str, path: &Path) -> Result<FitsTable, BandsError> {
    let ctx = Ctx { path };
    let rows = rows(text);
    let header = rows.first().ok_or_else(|| {
        ctx.err(
            0,
            0,
            format!(
                "is empty: expected a header of band centres in Hz ({}) and one row per fit",
                list_hz(&FIT_BANDS_HZ)
            ),
        )
    })?;
    let columns = fits_header(&ctx, header)?;
    let mut order: Vec<(f64, usize)> = columns
        .iter()
        .enumerate()
        .filter_map(|(col, band)| band.map(|b| (b, col)))
        .collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0));
    let label_col = columns.iter().position(Option::is_none);
    let mut table = FitsTable {
        centre_hz: order.iter().map(|(b, _)| *b).collect(),
        labels: Vec::new(),
        attenuation_db: Vec::new(),
    };
    for row in &rows[1..] {
        check_cell_count(&ctx, row, columns.len())?;
        table.attenuation_db.push(fit_values(&ctx, row, &order)?);
        let label = label_col.map(|c| row.cells[c]).unwrap_or("");
        table.labels.push(if label.is_empty() {
            format!("fit {}", table.labels.len() + 1)
        } else {
            label.to_string()
        });
    }
    if table.attenuation_db.is_empty() {
        return Err(ctx.err(
            0,
            0,
            "has a header but no fits: add one row of attenuations per fit",
        ));
    }
    Ok(table)
}

const MEAN_SD_COLUMNS: [&str; 3] = ["freq_hz", "mean_db", "sd_db"];

/// Column index of `freq_hz`, `mean_db` and `sd_db`.
fn mean_sd_header(ctx: &Ctx, header: &Row) -> Result<[usize; 3], BandsError> {
    let mut at = [usize::MAX; 3];
    for (col, cell) in header.cells.iter().enumerate() {
        let name = cell.to_ascii_lowercase();
        let k = MEAN_SD_COLUMNS
            .iter()
            .position(|c| *c == name)
            .ok_or_else(|| {
                ctx.err(
                    header.line,
                    col + 1,
                    format!("unknown column '{cell}': the header must be freq_hz,mean_db,sd_db"),
                )
            })?;
        if at[k] != usize::MAX {
            return Err(ctx.err(
                header.line,
                col + 1,
                format!("column '{cell}' appears twice"),
            ));
        }
        at[k] = col;
    }
    if let Some(k) = at.iter().position(|c| *c == usize::MAX) {
        return Err(ctx.err(
            header.line,
            0,
            format!(
                "no '{}' column: the header must be freq_hz,mean_db,sd_db",
                MEAN_SD_COLUMNS[k]
            ),
        ));
    }
    Ok(at)
}

/// One data row of a mean/SD table: (band, mean, sd).
fn mean_sd_row(ctx: &Ctx, row: &Row, at: [usize; 3]) -> Result<(f64, f64, f64), BandsError> {
    let cell = row.cells[at[0]];
    let band = band_label(cell)
        .and_then(|v| accepted_band(v, &MEAN_SD_BANDS_HZ))
        .map(|i| MEAN_SD_BANDS_HZ[i])
        .ok_or_else(|| {
            ctx.err(
                row.line,
                at[0] + 1,
                format!(
                    "'{cell}' is not an accepted band: use {} Hz",
                    list_hz(&MEAN_SD_BANDS_HZ)
                ),
            )
        })?;
    let limits = (-MAX_ABS_ATTENUATION_DB, MAX_ABS_ATTENUATION_DB);
    let mean = number(ctx, row, at[1], &format!("{band} Hz mean"), limits)?;
    let sd_cell = row.cells[at[2]];
    if sd_cell.parse::<f64>().is_ok_and(|v| v < 0.0) {
        return Err(ctx.err(
            row.line,
            at[2] + 1,
            format!("{band} Hz SD {sd_cell} dB is negative: a standard deviation is 0 or more"),
        ));
    }
    let sd = number(ctx, row, at[2], &format!("{band} Hz SD"), (0.0, MAX_SD_DB))?;
    Ok((band, mean, sd))
}

/// Parse a mean/SD table from text; `path` names the source in errors.
pub fn parse_mean_sd(text: &str, path: &Path) -> Result<MeanSdTable, BandsError> {
    let ctx = Ctx { path };
    let rows = rows(text);
    let header = rows.first().ok_or_else(|| {
        ctx.err(
            0,
            0,
            "is empty: expected the header freq_hz,mean_db,sd_db and one row per band",
        )
    })?;
    let at = mean_sd_header(&ctx, header)?;
    let mut bands: Vec<(f64, f64, f64, usize)> = Vec::new();
    for row in &rows[1..] {
        check_cell_count(&ctx, row, 3)?;
        let (band, mean, sd) = mean_sd_row(&ctx, row, at)?;
        if let Some(first) = bands.iter().find(|b| b.0 == band) {
            return Err(ctx.err(
                row.line,
                at[0] + 1,
                format!("band {band} Hz appears twice (also line {})", first.3),
            ));
        }
        bands.push((band, mean, sd, row.line));
    }
    let present: Vec<f64> = bands.iter().map(|b| b.0).collect();
    check_required(&ctx, 0, &present)?;
    bands.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(MeanSdTable {
        centre_hz: bands.iter().map(|b| b.0).collect(),
        mean_db: bands.iter().map(|b| b.1).collect(),
        sd_db: bands.iter().map(|b| b.2).collect(),
    })
}

fn read_text(path: &Path) -> Result<String, BandsError> {
    let bytes = std::fs::read(path).map_err(|e| BandsError {
        path: path.to_path_buf(),
        line: 0,
        column: 0,
        reason: format!("cannot read: {e}"),
    })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Read a per-fit table file.
pub fn read_fits(path: &Path) -> Result<FitsTable, BandsError> {
    parse_fits(&read_text(path)?, path)
}

/// Read a mean/SD table file.
pub fn read_mean_sd(path: &Path) -> Result<MeanSdTable, BandsError> {
    parse_mean_sd(&read_text(path)?, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FITS: &str =
        "fit,125,250,500,1000,2000,4000,8000\nA,20,22,25,28,30,35,33\nB,21,23,26,29,31,36,34\n";

    fn fits(text: &str) -> Result<FitsTable, BandsError> {
        parse_fits(text, Path::new("f.csv"))
    }

    fn mean_sd(text: &str) -> Result<MeanSdTable, BandsError> {
        parse_mean_sd(text, Path::new("m.csv"))
    }

    fn at(e: &BandsError) -> (usize, usize) {
        (e.line, e.column)
    }

    #[test]
    fn reads_fits_with_labels() {
        let t = fits(FITS).unwrap();
        assert_eq!(t.centre_hz, REQUIRED_BANDS_HZ.to_vec());
        assert_eq!(t.labels, vec!["A", "B"]);
        assert_eq!(t.attenuation_db[1][6], 34.0);
    }

    #[test]
    fn reads_fits_with_bom_crlf_comments_blank_lines_spaces_and_63_hz() {
        let text = "\u{feff}# my tips\r\n\r\n 8000 , 63Hz,125,250,500,1000,2000,4000\r\n# first\r\n1, 2 ,3,4,5,6,7,8\r\n\r\n";
        let t = fits(text).unwrap();
        assert_eq!(t.centre_hz, FIT_BANDS_HZ.to_vec());
        assert_eq!(
            t.attenuation_db,
            vec![vec![2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 1.0]]
        );
        assert_eq!(t.labels, vec!["fit 1"]);
    }

    #[test]
    fn fits_unknown_band_names_column_and_lists_accepted() {
        let e = fits("125,250,500,1000,2000,3150,4000,8000\n").unwrap_err();
        assert_eq!(at(&e), (1, 6));
        assert!(e.reason.contains("63, 125, 250"), "{e}");
    }

    #[test]
    fn fits_missing_band_is_listed() {
        let e = fits("125,250,500,1000,2000,4000\n1,2,3,4,5,6\n").unwrap_err();
        assert_eq!(at(&e), (1, 0));
        assert!(e.to_string().contains("missing band(s) 8000 Hz"), "{e}");
    }

    #[test]
    fn fits_duplicated_band_names_both_columns() {
        let e = fits("125,250,500,1000,2000,4000,8000,500\n").unwrap_err();
        assert_eq!(at(&e), (1, 8));
        assert!(e.reason.contains("also column 3"), "{e}");
    }

    #[test]
    fn fits_non_numeric_and_non_finite_cells_name_line_and_column() {
        let e = fits("fit,125,250,500,1000,2000,4000,8000\nA,20,x,25,28,30,35,33\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "f.csv: line 2, column 3: 250 Hz attenuation 'x' is not a number"
        );
        let e = fits("125,250,500,1000,2000,4000,8000\n\n1,2,3,inf,5,6,7\n").unwrap_err();
        assert_eq!(at(&e), (3, 4));
        assert!(e.reason.contains("not a finite number"), "{e}");
        let e = fits("125,250,500,1000,2000,4000,8000\n1,2,3,NaN,5,6,1e9\n").unwrap_err();
        assert_eq!(at(&e), (2, 4));
    }

    #[test]
    fn fits_out_of_range_value_is_refused() {
        let e = fits("125,250,500,1000,2000,4000,8000\n1,2,3,4,5,6,1e9\n").unwrap_err();
        assert_eq!(at(&e), (2, 7));
        assert!(e.reason.contains("outside"), "{e}");
    }

    #[test]
    fn fits_wrong_cell_count_names_the_line() {
        let e = fits("125,250,500,1000,2000,4000,8000\n1,2,3\n").unwrap_err();
        assert_eq!(at(&e), (2, 4));
        assert!(e.reason.contains("has 3 cells but the header has 7"), "{e}");
        let e = fits("125,250,500,1000,2000,4000,8000\n1,2,3,4,5,6,7,8\n").unwrap_err();
        assert_eq!(at(&e), (2, 8));
    }

    #[test]
    fn fits_empty_file_and_header_only_are_errors() {
        let e = fits("\u{feff}\n# nothing\n\n").unwrap_err();
        assert_eq!(e.to_string().split(':').next(), Some("f.csv"));
        assert!(e.reason.contains("is empty"), "{e}");
        let e = fits("125,250,500,1000,2000,4000,8000\n").unwrap_err();
        assert!(e.reason.contains("no fits"), "{e}");
    }

    #[test]
    fn fit_label_column_only_first() {
        let e = fits("125,fit,250,500,1000,2000,4000,8000\n").unwrap_err();
        assert_eq!(at(&e), (1, 2));
    }

    const EXAMPLE: &str = "freq_hz,mean_db,sd_db\n125,21,3.7\n250,22,3.3\n500,23,3.8\n1000,29,4.7\n2000,41,3.3\n3150,43,3.3\n4000,47,3.4\n6300,41,6.1\n8000,36,6.5\n";

    #[test]
    fn reads_mean_sd_with_3150_and_6300() {
        let t = mean_sd(EXAMPLE).unwrap();
        assert_eq!(t.centre_hz.len(), 9);
        assert_eq!(t.centre_hz[5], 3150.0);
        assert_eq!(t.sd_db[7], 6.1);
    }

    #[test]
    fn reads_mean_sd_in_any_order_with_semicolons_and_quotes() {
        let text = "\"sd_db\";\"mean_db\";\"freq_hz\"\n1;30;8000\n1;30;4000\n1;30;2000\n1;30;1000\n1;30;500\n1;30;250\n1;30;125\n2;10;63\n";
        let t = mean_sd(text).unwrap();
        assert_eq!(t.centre_hz, FIT_BANDS_HZ.to_vec());
        assert_eq!((t.mean_db[0], t.sd_db[0]), (10.0, 2.0));
    }

    #[test]
    fn mean_sd_bad_header_names_the_column() {
        let e = mean_sd("freq_hz,mean,sd_db\n").unwrap_err();
        assert_eq!(at(&e), (1, 2));
        let e = mean_sd("freq_hz,mean_db\n").unwrap_err();
        assert!(e.reason.contains("no 'sd_db' column"), "{e}");
    }

    #[test]
    fn mean_sd_unknown_band_lists_accepted() {
        let e = mean_sd("freq_hz,mean_db,sd_db\n125,1,1\n300,1,1\n").unwrap_err();
        assert_eq!(at(&e), (3, 1));
        assert!(e.reason.contains("3150, 4000, 6300, 8000"), "{e}");
    }

    #[test]
    fn mean_sd_missing_band_is_listed() {
        let e = mean_sd(&EXAMPLE.replace("500,23,3.8\n", "")).unwrap_err();
        assert_eq!(at(&e), (0, 0));
        assert!(
            e.to_string().starts_with("m.csv: missing band(s) 500 Hz"),
            "{e}"
        );
    }

    #[test]
    fn mean_sd_negative_sd_is_refused() {
        let e = mean_sd(&EXAMPLE.replace("250,22,3.3", "250,22,-3.3")).unwrap_err();
        assert_eq!(at(&e), (3, 3));
        assert!(e.reason.contains("negative"), "{e}");
    }

    #[test]
    fn mean_sd_duplicated_band_names_the_first_line() {
        let e = mean_sd(&format!("{EXAMPLE}# again\n250,1,1\n")).unwrap_err();
        assert_eq!(at(&e), (12, 1));
        assert!(e.reason.contains("also line 3"), "{e}");
    }

    #[test]
    fn mean_sd_non_numeric_non_finite_and_cell_count() {
        let e = mean_sd(&EXAMPLE.replace("1000,29,4.7", "1000,abc,4.7")).unwrap_err();
        assert_eq!(at(&e), (5, 2));
        let e = mean_sd(&EXAMPLE.replace("1000,29,4.7", "1000,29,inf")).unwrap_err();
        assert_eq!(at(&e), (5, 3));
        let e = mean_sd(&EXAMPLE.replace("1000,29,4.7", "1000,29")).unwrap_err();
        assert_eq!(at(&e), (5, 3));
        assert!(e.reason.contains("has 2 cells"), "{e}");
    }

    #[test]
    fn mean_sd_empty_file_is_an_error() {
        let e = mean_sd("").unwrap_err();
        assert!(e.to_string().starts_with("m.csv: is empty"), "{e}");
    }

    #[test]
    fn unreadable_file_is_named() {
        let e = read_fits(Path::new("/nonexistent/fits.csv")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("/nonexistent/fits.csv: cannot read"),
            "{e}"
        );
    }
}
