//! What a measurement gives: [`Measured`], with the rig it was made on as a
//! typed [`RigInfo`] whose JSON is the `rig` of a session's fit files.

use crate::acoustics::Leak;
use crate::analysis::isolation::Isolation;
use crate::analysis::Measurement;
use crate::calibration::SplCal;
use crate::rig::channel::Channel;
use crate::rig::faults::Fault;
use crate::rig::sim::TipPreset;
use crate::rig::Recording;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use std::path::PathBuf;

/// One measured fit.
#[derive(Debug, Clone)]
pub struct Measured {
    /// The seal sweep's result.
    pub seal: Option<Measurement>,
    /// The quick multitone's result.
    pub quick: Option<Measurement>,
    /// Passive isolation.
    pub isolation: Option<IsolationMeasured>,
    /// The rig it was measured on.
    pub rig: RigInfo,
    /// The first recording (of the sweep, else of the multitone): every
    /// input channel on a streaming rig.
    pub recording: Option<Recording>,
    /// Both ears at once on a sound card: the right ear's measurement from
    /// the same takes (its inner mic; its recording is the same, every
    /// input channel; its rig names its channels).
    pub right: Option<Box<Measured>>,
}

impl Measured {
    /// The response measured: the seal sweep's, else the quick check's.
    pub fn response(&self) -> Option<&Measurement> {
        self.seal.as_ref().or(self.quick.as_ref())
    }
}

/// Passive isolation of one fit.
#[derive(Debug, Clone)]
pub struct IsolationMeasured {
    /// Open ear against occluded ear (the sim).
    pub insertion_loss: Option<Isolation>,
    /// Outer mic against inner mic at once (a sound card; the sim with
    /// both methods).
    pub noise_reduction: Option<Isolation>,
    /// The sim's true insertion loss per third octave, dB (both methods).
    pub truth_third_octave_db: Option<Vec<f64>>,
}

impl IsolationMeasured {
    /// The isolation a session stores: insertion loss where it was
    /// measured, else noise reduction.
    pub fn primary(self) -> Option<Isolation> {
        self.insertion_loss.or(self.noise_reduction)
    }
}

/// The rig a measurement was made on. Its JSON (`kind` first) is the
/// `rig` of a session's fit files.
#[derive(Debug, Clone, PartialEq)]
pub enum RigInfo {
    /// The simulated ear.
    Sim(SimInfo),
    /// A sound card.
    Device(DeviceInfo),
}

impl RigInfo {
    /// The rig's description (`sim: foam, seed 7`).
    pub fn description(&self) -> &str {
        match self {
            RigInfo::Sim(s) => &s.description,
            RigInfo::Device(d) => &d.description,
        }
    }

    /// The sim's true leak corner, Hz.
    pub fn truth_corner_hz(&self) -> Option<f64> {
        match self {
            RigInfo::Sim(s) => s.truth.leak_corner_hz,
            RigInfo::Device(_) => None,
        }
    }
}

/// The simulated ear of a measurement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimInfo {
    /// The rig's description (with the faults when it streamed).
    pub description: String,
    /// The tip preset a session's fit was drawn from (`measure` names none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preset: Option<TipPreset>,
    /// The insertion's seed.
    pub seed: u64,
    /// How the sim streamed, with faults.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub streamed: Option<Streamed>,
    /// The truth: the drawn leak.
    pub truth: SimTruth,
}

/// How the sim streamed like a sound card.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Streamed {
    /// The faults injected.
    #[serde(serialize_with = "as_strings")]
    pub faults: Vec<Fault>,
    /// Attempts of the (last) measurement, retries included.
    pub attempts: usize,
    /// The clock drift the sync markers measured.
    pub sync: Option<ClockSync>,
}

/// A clock drift measured by the sync markers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClockSync {
    /// Recorder clock against the player's, ppm.
    pub clock_ppm: f64,
}

fn as_strings<S: Serializer>(faults: &[Fault], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(faults.iter().map(ToString::to_string))
}

/// The sim's truth: the leak of the insertion (none when sealed) and, with
/// insertion physics, the drawn insertion (depth, residual volume, the
/// canal's resonances, the tip body).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SimTruth {
    /// Leak resonance, Hz.
    pub leak_f0_hz: Option<f64>,
    /// Leak damping.
    pub leak_zeta: Option<f64>,
    /// Leak corner, Hz.
    pub leak_corner_hz: Option<f64>,
    /// The insertion (absent on the ideal target).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insertion: Option<crate::rig::sim::InsertionDraw>,
}

impl SimTruth {
    /// The truth of an insertion with `leak` (no insertion physics).
    pub fn of(leak: Option<Leak>) -> Self {
        Self {
            leak_f0_hz: leak.map(|l| l.f0_hz),
            leak_zeta: leak.map(|l| l.zeta),
            leak_corner_hz: leak.map(|l| l.corner_hz()),
            insertion: None,
        }
    }

    /// The truth of a simulated rig's insertion.
    pub fn of_rig(rig: &crate::rig::sim::SimRig) -> Self {
        Self {
            insertion: rig.insertion().copied(),
            ..Self::of(rig.leak())
        }
    }
}

/// The sound card of a measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceInfo {
    /// The rig's description (`device: A -> B (ALSA)`).
    pub description: String,
    /// Input device name.
    pub input: String,
    /// Output device name.
    pub output: String,
    /// Output channel of the IEM.
    pub driver_channel: Channel,
    /// Input channel of the inner mic.
    pub inner_channel: Channel,
    /// Stimulus peak level, dBFS.
    pub level_dbfs: f64,
    /// The output ceiling, dBFS.
    pub max_level_dbfs: f64,
    /// The clock drift the sync markers measured (the last stimulus), ppm.
    pub clock_ppm: Option<f64>,
    /// The sound card's latency from the loopback channel (the last
    /// stimulus), s.
    pub sound_card_latency_s: Option<f64>,
    /// The calibration applied.
    pub calibration: CalibrationApplied,
}

/// The calibration a sound-card measurement applied.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CalibrationApplied {
    /// The stored calibration's file.
    pub file: PathBuf,
    /// One line per item: what was applied or why not.
    pub lines: Vec<String>,
    /// The SPL calibration, when levels are in dB SPL.
    pub spl: Option<SplCal>,
}

impl Serialize for RigInfo {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            RigInfo::Sim(sim) => {
                #[derive(Serialize)]
                struct Tagged<'a> {
                    kind: &'static str,
                    #[serde(flatten)]
                    sim: &'a SimInfo,
                }
                Tagged { kind: "sim", sim }.serialize(s)
            }
            RigInfo::Device(d) => {
                let mut m = s.serialize_map(Some(8))?;
                m.serialize_entry("kind", "device")?;
                m.serialize_entry("description", &d.description)?;
                m.serialize_entry("driver_channel", &d.driver_channel)?;
                m.serialize_entry("inner_channel", &d.inner_channel)?;
                m.serialize_entry("clock_ppm", &d.clock_ppm)?;
                m.serialize_entry("sound_card_latency_s", &d.sound_card_latency_s)?;
                m.serialize_entry("level_dbfs", &d.level_dbfs)?;
                m.serialize_entry("calibration", &d.calibration.lines)?;
                m.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sim(preset: Option<TipPreset>, streamed: Option<Streamed>) -> RigInfo {
        RigInfo::Sim(SimInfo {
            description: "sim: foam, seed 3".into(),
            preset,
            seed: 3,
            streamed,
            truth: SimTruth::of(None),
        })
    }

    #[test]
    fn rig_info_serialises_in_the_fit_files_shape() {
        let truth = json!({"leak_f0_hz": null, "leak_zeta": null, "leak_corner_hz": null});
        let v = serde_json::to_string(&sim(Some(TipPreset::Foam), None)).unwrap();
        let want = json!({"kind": "sim", "description": "sim: foam, seed 3", "preset": "foam", "seed": 3, "truth": truth});
        assert_eq!(v, want.to_string());
        let streamed = Streamed {
            faults: vec!["dropout=2".parse().unwrap()],
            attempts: 3,
            sync: None,
        };
        let v = serde_json::to_string(&sim(None, Some(streamed))).unwrap();
        let want = json!({"kind": "sim", "description": "sim: foam, seed 3", "seed": 3,
            "faults": ["dropout=2"], "attempts": 3, "sync": null, "truth": truth});
        assert_eq!(v, want.to_string());
        let d = RigInfo::Device(DeviceInfo {
            description: "device: a -> b (ALSA)".into(),
            input: "b".into(),
            output: "a".into(),
            driver_channel: Channel::FIRST,
            inner_channel: Channel::FIRST,
            level_dbfs: -20.0,
            max_level_dbfs: -6.0,
            clock_ppm: Some(1.5),
            sound_card_latency_s: None,
            calibration: CalibrationApplied {
                lines: vec!["x".into()],
                ..CalibrationApplied::default()
            },
        });
        let want = json!({"kind": "device", "description": "device: a -> b (ALSA)",
            "driver_channel": 1, "inner_channel": 1, "clock_ppm": 1.5,
            "sound_card_latency_s": null, "level_dbfs": -20.0, "calibration": ["x"]});
        assert_eq!(serde_json::to_string(&d).unwrap(), want.to_string());
    }
}
