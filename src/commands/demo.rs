//! `tipfit demo`.

use crate::cli::DemoArgs;
use anyhow::{bail, Result};

pub fn run(_a: DemoArgs) -> Result<()> {
    bail!("tipfit demo: not built yet")
}
