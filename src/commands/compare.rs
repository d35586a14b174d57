//! `tipfit compare`: statistics and rankings of a stored session.

use super::check_output;
use crate::cli::CompareArgs;
use crate::compare::{compare, Comparison};
use crate::report::table::{render_table, to_csv};
use crate::session::store;
use anyhow::{Context, Result};
use std::path::Path;

/// Load a session and compare it; unreadable fits become warnings.
pub(crate) fn load_and_compare(dir: &Path) -> Result<(store::Loaded, Comparison)> {
    let loaded = store::load(dir)?;
    let cmp = compare(&loaded.info, &loaded.fits, loaded.warnings.clone());
    Ok((loaded, cmp))
}

pub fn run(a: CompareArgs) -> Result<()> {
    if let Some(csv) = &a.csv {
        check_output(csv, a.force)?;
    }
    let (loaded, mut cmp) = load_and_compare(&a.dir)?;
    if a.baseline.is_some() {
        cmp.set_baseline(&loaded.info, &loaded.fits, a.baseline.as_deref())?;
    }
    if let Some(path) = &a.ambient_levels {
        let ambient = crate::compare::listening::read_ambient_levels(path)?;
        crate::compare::listening::set_penalty(&mut cmp, &loaded.info, &loaded.fits, &[ambient]);
    }
    for w in &cmp.warnings {
        eprintln!("warning: {w}");
    }
    if let Some(csv) = &a.csv {
        crate::formats::atomic_write(csv, to_csv(&cmp).as_bytes())
            .with_context(|| format!("{}: cannot write", csv.display()))?;
        eprintln!("wrote {}", csv.display());
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&cmp)?);
    } else {
        print!("{}", render_table(&cmp));
    }
    Ok(())
}
