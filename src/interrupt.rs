//! Ctrl-C (SIGINT/SIGTERM) handling for commands that play audio.
//!
//! What records takes a [`StopToken`] (the device rig keeps one; the
//! monitor's loop asks a `stop` closure). The Ctrl-C handler only sets the
//! process's token ([`install`] returns it). The device rig's output
//! callback reads its token on every buffer and writes silence from then
//! on, so output stops within one buffer (about 40 ms) before anything
//! else happens; the command then sees the token set (or the
//! [`Interrupted`] error), drops its streams, keeps what is saved and
//! exits with status 130. A second Ctrl-C exits at once.
//!
//! A token made with [`StopToken::new`] is the caller's own: setting it
//! stops only what it was handed to, and nothing global is left set.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Once, OnceLock};

/// Exit status after Ctrl-C (128 + SIGINT).
pub const EXIT_INTERRUPTED: u8 = 130;

/// A stop request shared by whoever holds a clone: set once (Ctrl-C, or a
/// caller that wants the recording to end), read lock-free (also from
/// audio callbacks).
#[derive(Debug, Clone, Default)]
pub struct StopToken(Arc<AtomicBool>);

impl StopToken {
    /// A token that is not set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Ask everything holding this token to stop.
    pub fn stop(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// True once [`Self::stop`] was called (or Ctrl-C pressed, for the
    /// process's token).
    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// Set the token; true if it was set already.
    fn swap_set(&self) -> bool {
        self.0.swap(true, Ordering::SeqCst)
    }
}

static PROCESS_TOKEN: OnceLock<StopToken> = OnceLock::new();
static INSTALL: Once = Once::new();

/// Install the handler (once; later calls do nothing) and return the
/// process's token, which it sets. Without it, Ctrl-C keeps its default
/// meaning (the process ends at once).
pub fn install() -> StopToken {
    let token = PROCESS_TOKEN.get_or_init(StopToken::new).clone();
    INSTALL.call_once(|| {
        let set = token.clone();
        let _ = ctrlc::set_handler(move || {
            if set.swap_set() {
                std::process::exit(EXIT_INTERRUPTED as i32);
            }
        });
    });
    token
}

/// The error a command returns when it stopped on Ctrl-C.
#[derive(Debug, thiserror::Error)]
#[error("stopped by Ctrl-C (output was silenced first; everything saved before is kept)")]
pub struct Interrupted;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_a_stop_and_tokens_are_independent() {
        let a = StopToken::new();
        let b = a.clone();
        let other = StopToken::new();
        assert!(!a.is_stopped() && !b.is_stopped());
        b.stop();
        assert!(a.is_stopped() && b.is_stopped());
        assert!(!other.is_stopped());
        // a token of one's own leaves the process's token alone
        assert!(PROCESS_TOKEN.get().is_none_or(|t| !t.is_stopped()));
    }
}
