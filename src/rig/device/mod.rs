//! The sound-card rig (cpal). The only module that knows cpal exists.
//!
//! Measuring: the input stream starts first; once its first callback has
//! arrived, the output stream plays the stimulus; capture runs until the
//! stimulus and a tail are in. Samples leave the input callback through a
//! lock-free ring buffer (`ringbuf`); the output callback reads the
//! stimulus through an atomic position. Neither callback locks, allocates
//! or does I/O. Overruns (the ring was full) and stream errors (which is
//! how ALSA reports xruns) are counted; a measurement with any of them is
//! retried, then refused, never analysed.
//!
//! | file | what it holds |
//! |---|---|
//! | `list.rs` | hosts and devices: listing, picking by name or index |
//! | `stream.rs` | configurations, the callbacks, the live (looping) stream |
//! | `rig.rs` | [`DeviceRig`]: opening, one measurement, the live stream |
//!
//! The rig plays and records only; the monitor's source on a sound card
//! is `monitor::device`.

mod list;
mod rig;
mod stream;

pub use list::{list_devices, pick_host, quiet_stderr, DeviceChoice, DeviceInfo, HostInfo};
pub use rig::{DeviceOptions, DeviceRig, KEPT_LEAD_S};
pub use stream::{LiveStream, BUFFER_FRAMES};
// Defined in `rig::capture` (the sim's streaming recorder plays it too).
pub use crate::rig::capture::Playback;
