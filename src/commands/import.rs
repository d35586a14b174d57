//! `tipfit import`.

use crate::cli::ImportArgs;
use crate::session::import::{import_files, ImportOptions};
use anyhow::Result;

/// Import the files into the session, one line per file on stderr.
pub fn run(a: ImportArgs) -> Result<()> {
    let opts = ImportOptions {
        tip: a.tip,
        iem: a.iem,
        allow_duplicates: a.allow_duplicates,
    };
    let report = import_files(&a.files, &a.into, &opts)?;
    if let Some(n) = &report.iem_note {
        eprintln!("{n}");
    }
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    for i in &report.imported {
        let name = i
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| i.file.display().to_string());
        let ear = i.ear.map_or(String::new(), |e| format!(", {e} ear"));
        eprintln!(
            "imported '{name}' as tip '{}' fit {}{ear} ({} points)",
            i.tip, i.fit, i.points
        );
    }
    eprintln!("compare with: tipfit compare {}", a.into.display());
    Ok(())
}
