//! The `tipfit` binary: parse, run, print errors with their cause chain.
//!
//! The process's edge: the only place that reads `TIPFIT_FAIL_WRITE`, the
//! disk-fault hook of the tests (and of anyone trying tipfit's behaviour):
//! when it is set, writing a file whose path ends with its value fails
//! (after the temporary file is written, before it replaces the target),
//! as a full disk would. The library writes through the real file system
//! unless a seam is installed ([`tipfit::formats::install_file_system`]).

use clap::Parser;
use std::process::ExitCode;

/// The error text of an injected write failure.
const FAIL_WRITE_MESSAGE: &str = "injected I/O error (TIPFIT_FAIL_WRITE)";

/// Install the failing file system when `TIPFIT_FAIL_WRITE` asks for one.
fn install_write_faults() {
    if let Some(v) = std::env::var_os("TIPFIT_FAIL_WRITE").filter(|v| !v.is_empty()) {
        let fs = tipfit::formats::atomic::FailingWrites::new(
            v.to_string_lossy().into_owned(),
            FAIL_WRITE_MESSAGE,
        );
        // the first and only installation in this process
        let _ = tipfit::formats::install_file_system(Box::new(fs));
    }
}

/// Big blocks on huge pages (see `tipfit::allocator`).
#[global_allocator]
static ALLOC: tipfit::allocator::Tipfit = tipfit::allocator::Tipfit;

fn main() -> ExitCode {
    tipfit::allocator::lean();
    let cli = tipfit::cli::Cli::parse();
    install_write_faults();
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
