//! tipfit: measure how well an ear tip seals and isolates.
//!
//! The data flow is `signal -> rig -> recording -> analysis`:
//! a [`signal::Stimulus`] is played by a [`rig::Rig`] (the simulated ear in
//! [`rig::sim`] or, later, a sound card), the resulting [`rig::Recording`] is
//! turned into a frequency response, harmonic distortion, quality figures and
//! seal metrics by [`analysis`]. [`measure`] runs that pipeline from a typed
//! plan for every rig (sim, sim with faults, sound card); [`session`] and
//! [`commands`] build the plans.
//!
//! Numbers: audio samples travel as `f32`; every analysis sum and filter state
//! is `f64`.

#![warn(missing_docs)]

pub mod acoustics;
pub mod analysis;
pub mod calibration;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod dsp;
pub mod formats;
pub mod fuzzcheck;
pub mod interrupt;
pub mod measure;
pub mod monitor;
pub mod report;
pub mod rig;
pub mod session;
pub mod signal;
