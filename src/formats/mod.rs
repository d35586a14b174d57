//! File formats: WAV (with tipfit's stimulus description), frequency
//! responses in every text format of the REW / squig.link / AutoEq
//! community ([`response::read`]), squig.link file names and phone books
//! ([`squig`]). Readers never panic on bad input; every error names the
//! file.

pub mod atomic;
pub mod autoeq;
pub mod bands;
pub mod miccal;
pub mod response;
pub mod rew;
pub mod squig;
pub mod text;
pub mod wav;

pub use atomic::{atomic_write, atomic_write_with, install_file_system, FileSystem};

/// Largest level magnitude a response or calibration file may hold, dB.
/// Nothing real comes near it (the loudest sound in air is about 194 dB
/// SPL; tipfit's own floor is -400 dB), and levels beyond it overflow the
/// arithmetic downstream (differences, means, interpolation) to infinity.
pub const MAX_LEVEL_DB: f64 = 1000.0;

/// Check a level read from a response file: within +-[`MAX_LEVEL_DB`].
/// `what` names the column; the message is what to put after `file:line:`.
pub(crate) fn check_level(what: &str, v: f64) -> Result<(), String> {
    if v.abs() > MAX_LEVEL_DB {
        // 1e308 as written, not as 309 digits
        let shown = if v.abs() < 1e9 {
            format!("{v}")
        } else {
            format!("{v:e}")
        };
        return Err(format!(
            "{what} {shown} dB is beyond +-{MAX_LEVEL_DB} dB, not a level in dB"
        ));
    }
    Ok(())
}

/// The message for a file with fewer than 2 data lines; `what` is what
/// the file should hold ("a response").
pub(crate) fn too_few_lines(n: usize, what: &str) -> String {
    let s = if n == 1 { "" } else { "s" };
    format!("holds {n} data line{s}; {what} needs at least 2")
}

/// Check the next frequency of a response file: positive and above the
/// previous one. The message is what to put after `file:line:`.
pub(crate) fn check_next_frequency(f: f64, previous: Option<f64>) -> Result<(), String> {
    if f <= 0.0 {
        return Err(format!("frequency {f} Hz is not positive"));
    }
    match previous {
        Some(prev) if f <= prev => Err(format!(
            "frequency {f} Hz does not rise above the previous {prev} Hz"
        )),
        _ => Ok(()),
    }
}

/// Whether a (left-trimmed) line starts like a number: a digit, or a sign
/// or point followed by a digit (`-.5` too).
pub(crate) fn starts_like_number(line: &str) -> bool {
    let b = line.as_bytes();
    let digit_at = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    match b.first() {
        Some(c) if c.is_ascii_digit() => true,
        Some(b'.') => digit_at(1),
        Some(b'+' | b'-') => digit_at(1) || (b.get(1) == Some(&b'.') && digit_at(2)),
        _ => false,
    }
}
