//! The live seal meter (`tipfit monitor`): being built.

/// Where the monitor's audio comes from: the sim or a sound card.
pub trait MonitorSource {
    /// Sample rate of the recording, Hz.
    fn rate(&self) -> u32;
    /// Start looping `period` (one period of the multitone, at its play
    /// level) on the driver and recording the inner microphone.
    fn start(&mut self, period: &[f32]) -> anyhow::Result<()>;
    /// Append the next `n` recorded samples to `out`, waiting until they are there.
    fn read(&mut self, n: usize, out: &mut Vec<f32>) -> anyhow::Result<()>;
    /// Stop the output at once (first thing on Ctrl-C, and at the end).
    fn stop(&mut self);
    /// A short description for the display and JSON.
    fn describe(&self) -> String;
}
