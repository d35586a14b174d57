//! `tipfit report`: plots, HTML, summaries and exports of a stored session.

use crate::cli::ReportArgs;
use crate::report::write::{check_report_dir, write_report};
use anyhow::Result;
use std::path::{Path, PathBuf};

/// `reports/<session folder name>`.
fn default_out(dir: &Path) -> PathBuf {
    let name = dir
        .canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "session".into());
    PathBuf::from("reports").join(name)
}

pub fn run(a: ReportArgs) -> Result<()> {
    let (loaded, mut cmp) = super::compare::load_and_compare(&a.dir)?;
    if a.baseline.is_some() {
        cmp.set_baseline(&loaded.info, &loaded.fits, a.baseline.as_deref())?;
    }
    let out = a.out.clone().unwrap_or_else(|| default_out(&a.dir));
    check_report_dir(&out, a.force)?;
    for w in &cmp.warnings {
        eprintln!("warning: {w}");
    }
    if let Some(n) = &cmp.reference_note {
        eprintln!("{n}");
    }
    let written = write_report(&loaded.info, &loaded.fits, &cmp, &out, a.size)?;
    eprintln!(
        "wrote {} files to {} (open {})",
        written.len(),
        out.display(),
        out.join("report.html").display()
    );
    Ok(())
}
