//! Signal-processing building blocks: FFT plan cache, deconvolution,
//! log-frequency grids and smoothing, biquad filters, resampling and the
//! leak-model fit.

pub mod bands;
pub mod biquad;
pub mod deconvolve;
pub mod fft;
pub mod grid;
pub mod lanes;
pub mod resample;
pub mod sync;
pub mod weighting;
pub mod welch;

pub use rustfft::num_complex::{Complex32, Complex64};

/// `c` in f64.
pub fn c64(c: Complex32) -> Complex64 {
    Complex64::new(c.re as f64, c.im as f64)
}

/// `c` rounded to f32.
pub fn c32(c: Complex64) -> Complex32 {
    Complex32::new(c.re as f32, c.im as f32)
}

/// Convert an amplitude ratio to decibels (20 lg), floored at -400 dB so
/// that silence never turns into minus infinity.
pub fn db(amplitude: f64) -> f64 {
    20.0 * amplitude.abs().max(1e-20).log10()
}

/// Convert a power ratio to decibels (10 lg), floored like [`db`].
pub fn power_db(power: f64) -> f64 {
    10.0 * power.abs().max(1e-40).log10()
}

/// Convert decibels to an amplitude ratio.
pub fn from_db(level_db: f64) -> f64 {
    10f64.powf(level_db / 20.0)
}
