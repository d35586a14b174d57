//! tipfit: measure how well an ear tip seals and isolates.
//!
//! The data flow is `signal -> rig -> recording -> analysis`, driven by
//! `measure`: a [`signal::Stimulus`] is played by a rig (the simulated ear
//! in [`rig::sim`] or a sound card in [`rig::device`]), and the
//! [`rig::Recording`] is turned into a frequency response, distortion,
//! quality figures and seal metrics by [`analysis`]. [`measure`] runs that
//! pipeline from a typed plan for every rig; [`session`] keeps fits on disk,
//! [`compare`] computes the statistics over them and [`report`] displays
//! them. [`commands`] is the only layer that knows the command line
//! ([`cli`]). The layers, which way each dependency points and where new
//! rigs, stimuli, charts and file formats go: `docs/architecture.md`.
//!
//! Numbers: audio samples travel as `f32`; every analysis sum and filter state
//! is `f64`.

#![warn(missing_docs)]

pub mod acoustics;
pub mod allocator;
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
