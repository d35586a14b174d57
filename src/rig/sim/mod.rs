//! The simulated rig, seeded and deterministic, with exact truth:
//!
//! | module | what it simulates |
//! |---|---|
//! | [`ear`] | the IEM driver, the ear canal or coupler with its leak, the microphone ([`SimRig`]) |
//! | [`follow`] | the driver fitted to a measured sealed response (`--iem-response`) |
//! | [`insertion`] | where the tip sits: depth, residual volume, the canal's resonances, the tip's bore and damping, the flanking limit; coupler and ear targets |
//! | [`outside`] | outside noise through the tip body and the leak (isolation) |
//! | [`faults`] | the sim behind the sound card's streaming steps, with the faults real rigs have |
//! | [`spec`] | the command line's spellings of sim settings (`--latency`, `--distortion`) |
//!
//! The ear's types are re-exported here (`rig::sim::SimRig`).

pub mod ear;
pub mod faults;
pub mod follow;
pub mod insertion;
pub mod outside;
pub mod spec;

pub use ear::{Driver, Fit, Latency, LeakStats, NoiseLevel, SimConfig, SimRig, TipPreset};
pub use insertion::{Canal, InsertionDraw, SimTarget};
pub use spec::{Distortion, LatencySpec};
