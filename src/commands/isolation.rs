//! `tipfit isolation`: passive isolation per band from recordings.

use crate::cli::IsolationArgs;
use anyhow::{bail, Result};

pub fn run(_a: IsolationArgs) -> Result<()> {
    bail!("tipfit isolation is being built (issue 3): not available in this build yet")
}
