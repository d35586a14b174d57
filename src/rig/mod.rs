//! Rigs play a stimulus and record what the microphone hears; they do
//! nothing else (no analysis, no files). `rig` imports only the layers
//! below it (`signal`, `dsp`, `acoustics`) and the stop token
//! ([`crate::interrupt::StopToken`]).
//!
//! | rig | what it is |
//! |---|---|
//! | [`sim::SimRig`] | a simulated ear or coupler with exact truth (the default) |
//! | [`sim::faults::SimRecorder`] | the sim behind the streaming steps, with injected faults |
//! | [`device::DeviceRig`] | a sound card through cpal |
//!
//! [`capture`] holds what the streaming rigs share (playback, retries on
//! dropouts). `rig::outside` and `rig::faults` are the modules in
//! [`sim`], re-exported under their old paths.

pub mod capture;
pub mod channel;
pub mod device;
pub mod sim;

pub use sim::{faults, outside};

use crate::signal::Stimulus;

/// The output ceiling when nothing else is set (no stored calibration, no
/// `--max-level`), dBFS peak.
pub const DEFAULT_MAX_LEVEL_DBFS: f64 = -6.0;

/// What a rig recorded: samples always travel with their rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Recording {
    /// One vector per channel, full scale = 1.0.
    pub channels: Vec<Vec<f32>>,
    /// Sample rate in Hz.
    pub rate: u32,
    /// The recording starts this long before the stimulus's first sample
    /// was sent out (the device rig keeps a little of its pre-roll), s;
    /// subtract it from a latency found in the recording.
    pub lead_s: f64,
}

/// Something that plays a stimulus through an in-ear monitor and records it.
pub trait Rig {
    /// Play `stimulus` and return the recording (starting when playback
    /// starts, long enough to hold the latency and the response's tail).
    fn play_and_record(&mut self, stimulus: &Stimulus) -> anyhow::Result<Recording>;

    /// A short description for results (`sim: silicone-s, seed 7`).
    fn describe(&self) -> String;
}
