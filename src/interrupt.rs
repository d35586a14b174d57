//! Ctrl-C (SIGINT/SIGTERM) handling for commands that play audio.
//!
//! The handler only sets a flag. The device rig's output callback reads it
//! on every buffer and writes silence from then on, so output stops within
//! one buffer (about 40 ms) before anything else happens; the command then
//! sees [`interrupted`], drops its streams, keeps what is saved and exits
//! with status 130. A second Ctrl-C exits at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);
static INSTALL: Once = Once::new();

/// Exit status after Ctrl-C (128 + SIGINT).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Install the handler (once; later calls do nothing). Without it, Ctrl-C
/// keeps its default meaning (the process ends at once).
pub fn install() {
    INSTALL.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            if INTERRUPTED.swap(true, Ordering::SeqCst) {
                std::process::exit(EXIT_INTERRUPTED as i32);
            }
        });
    });
}

/// True once Ctrl-C was pressed.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::Relaxed)
}

/// Set the flag as Ctrl-C would (for tests and for stopping on errors).
pub fn request_stop() {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// The error a command returns when it stopped on Ctrl-C.
#[derive(Debug, thiserror::Error)]
#[error("stopped by Ctrl-C (output was silenced first; everything saved before is kept)")]
pub struct Interrupted;
