//! `tipfit monitor`: the live seal meter.

use crate::cli::MonitorArgs;
use anyhow::{bail, Result};

pub fn run(_a: MonitorArgs) -> Result<()> {
    bail!("tipfit monitor is being built")
}
