//! The `tipfit` binary: parse, run, print errors with their cause chain.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = tipfit::cli::Cli::parse();
    match tipfit::commands::run(cli) {
        Ok(code) => code,
        Err(e) if e.is::<tipfit::interrupt::Interrupted>() => {
            eprintln!("{e}");
            ExitCode::from(tipfit::interrupt::EXIT_INTERRUPTED)
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
