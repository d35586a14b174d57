//! `tipfit rating`: attenuation ratings from band tables.

use crate::cli::RatingArgs;
use anyhow::{bail, Result};

pub fn run(_a: RatingArgs) -> Result<()> {
    bail!("tipfit rating is being built (issue 3): not available in this build yet")
}
