//! `tipfit import`.

use crate::cli::ImportArgs;
use anyhow::{bail, Result};

pub fn run(_a: ImportArgs) -> Result<()> {
    bail!("tipfit import: not built yet")
}
