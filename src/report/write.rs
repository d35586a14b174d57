//! Writing a whole report folder.

use super::table::to_csv;
use super::{export, html, plots};
use crate::compare::Comparison;
use crate::formats::atomic_write;
use crate::session::model::{FitRecord, SessionInfo};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// Files that mark a folder as holding a report.
const OWN: [&str; 3] = ["report.html", "summary.json", "summary.csv"];

/// Check, before any work, that `out` can take a report: missing or empty,
/// or `force` (then a previous report is overwritten and other files are
/// left as they are), and writable. Like every other output of tipfit, a
/// report is never overwritten without `force`.
pub fn check_report_dir(out: &Path, force: bool) -> Result<()> {
    if out.exists() && !out.is_dir() {
        bail!("{}: is a file, not a folder", out.display());
    }
    if out.is_dir() && !force {
        let empty = std::fs::read_dir(out)
            .with_context(|| format!("{}: cannot read the folder", out.display()))?
            .next()
            .is_none();
        if !empty {
            if OWN.iter().any(|f| out.join(f).exists()) {
                bail!(
                    "{}: already holds a report; pass --force to overwrite it, or choose another --out",
                    out.display()
                );
            }
            bail!(
                "{}: the folder holds other files; pass --force to write the report into it, or choose another --out",
                out.display()
            );
        }
    }
    std::fs::create_dir_all(out.join("exports"))
        .with_context(|| format!("{}: cannot create the report folder", out.display()))?;
    let probe = out.join(".tipfit-write-test");
    std::fs::write(&probe, b"ok")
        .with_context(|| format!("{}: the folder is not writable", out.display()))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> Result<PathBuf> {
    atomic_write(path, bytes).with_context(|| format!("{}: cannot write", path.display()))?;
    Ok(path.to_path_buf())
}

/// Draw every plot ([`plots::PLOTS`]) and write it into `dir` (which
/// exists) through [`atomic_write`], one after the other: a failed write (a
/// full disk) leaves the old plot whole. Returns the paths written with
/// their PNG bytes, in the plots' order.
pub fn write_plots(
    info: &SessionInfo,
    fits: &[FitRecord],
    cmp: &Comparison,
    dir: &Path,
    size: (u32, u32),
) -> Result<Vec<(PathBuf, Vec<u8>)>> {
    let mut written = Vec::with_capacity(plots::PLOTS.len());
    for (name, plot) in plots::PLOTS {
        let path = dir.join(name);
        let png = save_plot(&path, || plot(info, fits, cmp, size))?;
        written.push((path, png));
    }
    Ok(written)
}

/// Draw a plot with `draw` and write its PNG bytes to `path`; errors, of
/// drawing or writing, name the file.
pub fn save_plot(path: &Path, draw: impl FnOnce() -> Result<Vec<u8>>) -> Result<Vec<u8>> {
    let run = || -> Result<Vec<u8>> {
        let png = draw()?;
        atomic_write(path, &png)?;
        Ok(png)
    };
    run().with_context(|| format!("cannot write the plot {}", path.display()))
}

/// Write the whole report into `out` (checked with [`check_report_dir`]);
/// returns the files written.
pub fn write_report(
    info: &SessionInfo,
    fits: &[FitRecord],
    cmp: &Comparison,
    out: &Path,
    size: (u32, u32),
) -> Result<Vec<PathBuf>> {
    let all: Vec<FitRecord> = fits.iter().filter(|f| !f.skipped).cloned().collect();
    // With both ears measured, the pictures, the page's curves and the
    // exports show the ear `cmp.tips` describes (the left one), never the
    // two ears pooled; the squig.link folder gets each ear's own file.
    let two = crate::compare::ears::two_ears(&all, info.ear);
    let side = |r: &FitRecord| crate::compare::ears::side_of(r, info.ear);
    let (measured, right): (Vec<FitRecord>, Vec<FitRecord>) = if two {
        all.into_iter()
            .partition(|r| side(r) == crate::session::config::Ear::Left)
    } else {
        (all, Vec::new())
    };
    let mut written = Vec::new();
    let mut pictures = Vec::new();
    for ((path, png), (name, _)) in write_plots(info, &measured, cmp, out, size)?
        .into_iter()
        .zip(plots::PLOTS)
    {
        written.push(path);
        pictures.push((name.to_string(), png));
    }
    if two {
        let both: Vec<FitRecord> = measured.iter().chain(&right).cloned().collect();
        let path = out.join("ears.png");
        let png = save_plot(&path, || plots::ears(info, &both, cmp, size))?;
        written.push(path);
        pictures.insert(1, ("ears.png".to_string(), png));
    }
    written.push(write(
        &out.join("report.html"),
        html::render(info, &measured, cmp, &pictures).as_bytes(),
    )?);
    written.push(write(
        &out.join("summary.json"),
        serde_json::to_string_pretty(cmp)?.as_bytes(),
    )?);
    written.push(write(&out.join("summary.csv"), to_csv(cmp).as_bytes())?);
    let mut means = Vec::new();
    // REW and AutoEq exports: one per tip, or with both ears one per tip
    // and ear (`<tip>-left.txt`, `<tip>-right-autoeq.csv`, ...)
    let sides: &[(&[FitRecord], &str)] = if two {
        &[(&measured, "-left"), (&right, "-right")]
    } else {
        &[(&measured, "")]
    };
    for tip in &info.tips {
        for (k, (fits, mark)) in sides.iter().enumerate() {
            let mine: Vec<&FitRecord> = fits.iter().filter(|f| f.tip == tip.name).collect();
            let Some(mean) = export::tip_mean_response(&mine) else {
                continue;
            };
            let exports = out.join("exports");
            let unit = plots::session_unit(mine.iter().copied());
            let txt = export::rew_txt(tip, info, &mean, mine.len(), unit);
            let name = format!("{}{mark}.txt", tip.slug());
            written.push(write(&exports.join(name), txt.as_bytes())?);
            let csv = export::autoeq_csv(&mean);
            let autoeq = exports.join(format!("{}{mark}-autoeq.csv", tip.slug()));
            written.push(write(&autoeq, csv.as_bytes())?);
            if k == 0 {
                means.push((tip, mean, mine.len()));
            }
        }
    }
    if !means.is_empty() {
        // Beside exports/, not in it: exports/ holds one table per file.
        let squig = out.join("squig");
        std::fs::create_dir_all(&squig)
            .with_context(|| format!("{}: cannot create the folder", squig.display()))?;
        let tips: Vec<_> = means.iter().map(|(t, m, n)| (*t, m, *n)).collect();
        let right_means: Vec<Option<(crate::analysis::FrequencyResponse, usize)>> = means
            .iter()
            .map(|(t, _, _)| {
                let mine: Vec<&FitRecord> = right.iter().filter(|f| f.tip == t.name).collect();
                export::tip_mean_response(&mine).map(|m| (m, mine.len()))
            })
            .collect();
        let r = two.then_some(&right_means[..]);
        for (name, text) in export::squig_files(info, &tips, r) {
            written.push(write(&squig.join(name), text.as_bytes())?);
        }
    }
    Ok(written)
}
