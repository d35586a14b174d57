//! `tipfit report`.

use crate::cli::ReportArgs;
use anyhow::{bail, Result};

pub fn run(_a: ReportArgs) -> Result<()> {
    bail!("tipfit report: not built yet")
}
