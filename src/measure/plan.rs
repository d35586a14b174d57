//! What to measure, typed: built by `commands/` from the command line and
//! by `session::config` from a session's TOML, checked there, and run by
//! [`super::Measurer`].

use crate::analysis::AnalysisConfig;
use crate::rig::channel::Channel;
use crate::rig::faults::Fault;
use crate::rig::outside::OutsideNoise;
use crate::rig::sim::{Canal, Fit, SimConfig, TipPreset};
use crate::signal::{MultitoneParams, SweepParams};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// One measurement plan: what is played, on which rig, how it is analysed,
/// and whether isolation is measured too.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasurePlan {
    /// The stimuli.
    pub stimulus: StimulusPlan,
    /// The rig.
    pub rig: RigPlan,
    /// Analysis settings of the seal and quick measurements (a sound card
    /// adds its stored calibration when it opens).
    pub analysis: AnalysisConfig,
    /// Passive isolation at each fit.
    pub isolation: Option<IsolationPlan>,
}

/// The stimuli of a plan, all at one rate.
#[derive(Debug, Clone, PartialEq)]
pub struct StimulusPlan {
    /// The sweep: the seal measurement, and a sealed reference.
    pub sweep: Option<SweepParams>,
    /// Play the sweep at each fit (a session may make it for its sealed
    /// reference only).
    pub seal: bool,
    /// The quick check's multitone, played at each fit.
    pub quick: Option<MultitoneParams>,
}

impl StimulusPlan {
    /// The seal sweep of `duration_s` at `rate`, peak `level_dbfs` (`None`:
    /// the sweep's default level).
    pub fn sweep(rate: u32, duration_s: f64, level_dbfs: Option<f64>) -> SweepParams {
        let p = SweepParams {
            duration_s,
            ..SweepParams::at_rate(rate)
        };
        SweepParams {
            level_dbfs: level_dbfs.unwrap_or(p.level_dbfs),
            ..p
        }
    }

    /// The quick check's multitone at `rate`, peak `level_dbfs` (`None`:
    /// the multitone's default level).
    pub fn quick(rate: u32, level_dbfs: Option<f64>) -> MultitoneParams {
        let p = MultitoneParams {
            rate,
            duration_s: crate::analysis::quick::QUICK_DURATION_S,
            ..MultitoneParams::default()
        };
        MultitoneParams {
            level_dbfs: level_dbfs.unwrap_or(p.level_dbfs),
            ..p
        }
    }

    /// One measurement, as `tipfit measure` makes it: the quick multitone
    /// or the sweep.
    pub fn single(quick: bool, rate: u32, duration_s: f64, level_dbfs: Option<f64>) -> Self {
        Self {
            sweep: (!quick).then(|| Self::sweep(rate, duration_s, level_dbfs)),
            seal: !quick,
            quick: quick.then(|| Self::quick(rate, level_dbfs)),
        }
    }

    /// The sample rate, Hz.
    pub fn rate(&self) -> u32 {
        match (&self.sweep, &self.quick) {
            (Some(s), _) => s.rate,
            (None, Some(q)) => q.rate,
            (None, None) => 48_000,
        }
    }
}

/// Which rig plays and records.
#[derive(Debug, Clone, PartialEq)]
pub enum RigPlan {
    /// The simulated ear.
    Sim(SimPlan),
    /// The simulated ear streaming like a sound card, with faults.
    SimFaults(SimPlan, FaultPlan),
    /// A sound card.
    Device(DevicePlan),
}

impl RigPlan {
    /// The same rig with `faults` injected: the sim streams with them; a
    /// sound card is left as it is.
    pub fn with_faults(self, faults: FaultPlan) -> Self {
        match self {
            RigPlan::Sim(sim) | RigPlan::SimFaults(sim, _) => RigPlan::SimFaults(sim, faults),
            device => device,
        }
    }

    /// True when the rig streams (a sound card, or the sim with faults):
    /// recordings hold every input channel.
    pub fn streams(&self) -> bool {
        !matches!(self, RigPlan::Sim(_))
    }
}

/// The simulated ear and its insertion.
#[derive(Debug, Clone, PartialEq)]
pub struct SimPlan {
    /// The ear, the IEM and the fit.
    pub config: SimConfig,
    /// The insertion, latency and noise seed.
    pub seed: u64,
}

/// What the ear holds for one fit on the sim (a session's tips; a sound
/// card holds whatever the user inserted).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Insertion {
    /// The fit.
    pub fit: Fit,
    /// Its seed (every fit and every redo draws its own).
    pub seed: u64,
    /// The canal it goes into (`None`: the plan's; the right ear of a
    /// session of both ears has its own).
    pub canal: Option<Canal>,
    /// Factor on the drawn leak's resonance (1: the preset's statistics;
    /// a deliberately leakier ear: above 1).
    pub leak_scale: f64,
}

impl Insertion {
    /// A random insertion of `preset`, drawn from `seed`.
    pub fn tip(preset: TipPreset, seed: u64) -> Self {
        Self {
            fit: Fit::Preset(preset),
            seed,
            canal: None,
            leak_scale: 1.0,
        }
    }

    /// The IEM sealed (a reference).
    pub fn sealed(seed: u64) -> Self {
        Self {
            fit: Fit::Sealed,
            seed,
            canal: None,
            leak_scale: 1.0,
        }
    }

    /// The same insertion into another ear: its canal and leak factor.
    pub fn into_ear(self, canal: Option<Canal>, leak_scale: f64) -> Self {
        Self {
            canal: canal.or(self.canal),
            leak_scale,
            ..self
        }
    }
}

/// Faults injected into the sim, which then streams like a sound card.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultPlan {
    /// The faults.
    pub faults: Vec<Fault>,
    /// The fit (counted by the measurer, 1 = the first) the faults start
    /// at; a sealed reference is measured without them.
    pub from_fit: usize,
    /// The input channel the microphone is read from.
    pub inner_channel: Channel,
    /// Sync markers, as on a sound card.
    pub sync: SyncMode,
}

/// How the player's and the recorder's clocks are matched: sync markers
/// around the stimulus, or the drift estimated from the recording itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SyncMode {
    /// Markers where they help (measure: played when input and output are
    /// different devices; analyze: when the reference has them), else the
    /// drift is estimated from the recording and corrected.
    Auto,
    /// Always markers (measure: played; analyze: the reference must have
    /// them).
    On,
    /// Neither markers nor an estimate: the clocks are not checked.
    Off,
}

impl std::str::FromStr for SyncMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(SyncMode::Auto),
            "on" => Ok(SyncMode::On),
            "off" => Ok(SyncMode::Off),
            s => Err(format!("\"{s}\": give \"auto\", \"on\" or \"off\"")),
        }
    }
}

/// A sound card: the devices, the channels, level safety, clock sync and
/// calibration. The command line's sound-card options and a session's
/// `[device]` table both become one (the table is this struct as TOML;
/// `mic_cal` there is relative to the config file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DevicePlan {
    /// Audio host [default host].
    pub host: Option<String>,
    /// Input device: a name, a unique part of one, or an index [default input].
    pub input: Option<String>,
    /// Output device [default output].
    pub output: Option<String>,
    /// Output channel of the IEM.
    pub driver_channel: Channel,
    /// Output channel of an outside speaker (isolation).
    pub ambient_channel: Option<Channel>,
    /// Input channel of the coupler or probe (inner) mic.
    pub inner_channel: Channel,
    /// Input channel of an outer mic (isolation).
    pub outer_channel: Option<Channel>,
    /// Input channel of a loopback cable from the driver output.
    pub loopback_channel: Option<Channel>,
    /// Both ears at once: the IEMs' output channels, left then right
    /// (`driver_channels = [1, 2]`; the sweep plays on both). Set by
    /// [`DevicePlan::for_both_ears`], which makes the first one
    /// `driver_channel`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver_channels: Option<Vec<Channel>>,
    /// Both ears at once: the inner mics' input channels, left then right
    /// (`inner_channels = [1, 2]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inner_channels: Option<Vec<Channel>>,
    /// Stimulus peak level, dBFS.
    pub level_dbfs: f64,
    /// Output ceiling, dBFS [default: the calibration file's, else -6].
    pub max_level_dbfs: Option<f64>,
    /// Levels above this need confirming, dBFS.
    pub confirm_above_dbfs: f64,
    /// Play above `confirm_above_dbfs` without asking.
    pub loud_ok: bool,
    /// Sync markers (`[device] sync`: "auto", "on" or "off").
    #[serde(deserialize_with = "device_sync")]
    pub sync: SyncMode,
    /// A microphone calibration applied with the stored calibration and
    /// named with it (a session's `[device] mic_cal`; the command line
    /// applies `--mic-cal` on every rig, in the analysis settings).
    pub mic_cal: Option<PathBuf>,
    /// Ignore the stored calibration.
    pub no_cal: bool,
}

impl Default for DevicePlan {
    fn default() -> Self {
        Self {
            host: None,
            input: None,
            output: None,
            driver_channel: Channel::FIRST,
            ambient_channel: None,
            inner_channel: Channel::FIRST,
            outer_channel: None,
            loopback_channel: None,
            driver_channels: None,
            inner_channels: None,
            level_dbfs: -20.0,
            max_level_dbfs: None,
            confirm_above_dbfs: -12.0,
            loud_ok: false,
            sync: SyncMode::Auto,
            no_cal: false,
            mic_cal: None,
        }
    }
}

/// `[device] sync`: "auto", "on" or "off".
fn device_sync<'de, D: serde::Deserializer<'de>>(d: D) -> Result<SyncMode, D::Error> {
    let s = String::deserialize(d)?;
    s.parse()
        .map_err(|e| serde::de::Error::custom(format!("[device] sync = {e}")))
}

/// The two ears' channels when none are given: 1 (left) and 2 (right),
/// in and out, as a stereo sound card and a stereo coupler are wired.
pub const DEFAULT_EAR_CHANNELS: [u16; 2] = [1, 2];

impl DevicePlan {
    /// The input channels a measurement reads: inner (both ears' with two),
    /// outer, loopback.
    pub fn input_channels(&self) -> Vec<Channel> {
        let mut v = vec![self.inner_channel];
        v.extend(self.right_ear().map(|(_, inner)| inner));
        v.extend(self.outer_channel);
        v.extend(self.loopback_channel);
        v
    }

    /// The right ear's (driver, inner) channels when the plan measures
    /// both ears at once (after [`Self::for_both_ears`]).
    pub fn right_ear(&self) -> Option<(Channel, Channel)> {
        match (
            self.driver_channels.as_deref(),
            self.inner_channels.as_deref(),
        ) {
            (Some([_, d]), Some([_, i])) => Some((*d, *i)),
            _ => None,
        }
    }

    /// This plan measuring both ears at once: `driver_channels` and
    /// `inner_channels` (each [`DEFAULT_EAR_CHANNELS`] when not given)
    /// checked (two each, left then right, none used twice) and their
    /// first ones made `driver_channel` and `inner_channel`. `keys` names
    /// them in messages (`[device] driver_channels` or `--driver-channels`).
    pub fn for_both_ears(mut self, keys: [&str; 2]) -> anyhow::Result<Self> {
        let default = || {
            DEFAULT_EAR_CHANNELS
                .map(|n| Channel::new(n).expect("not 0"))
                .to_vec()
        };
        let drivers = self.driver_channels.take().unwrap_or_else(default);
        let inners = self.inner_channels.take().unwrap_or_else(default);
        for (key, v) in keys.iter().zip([&drivers, &inners]) {
            if v.len() != 2 {
                anyhow::bail!(
                    "{key}: give two channels, the left ear's then the right ear's (e.g. 1, 2); got {}",
                    v.len()
                );
            }
            if v[0] == v[1] {
                anyhow::bail!(
                    "{key}: the left and right ear are both on channel {}: give two different channels",
                    v[0]
                );
            }
        }
        if let Some(a) = self.ambient_channel.filter(|a| drivers.contains(a)) {
            anyhow::bail!(
                "{}: output channel {a} is also the ambient (outside speaker) channel",
                keys[0]
            );
        }
        let others = [
            (self.outer_channel, "outer mic"),
            (self.loopback_channel, "loopback"),
        ];
        for (c, what) in others {
            if let Some(c) = c.filter(|c| inners.contains(c)) {
                anyhow::bail!("{}: input channel {c} is also the {what} channel", keys[1]);
            }
        }
        self.driver_channel = drivers[0];
        self.inner_channel = inners[0];
        self.driver_channels = Some(drivers);
        self.inner_channels = Some(inners);
        Ok(self)
    }
}

/// Passive isolation at each fit.
#[derive(Debug, Clone, PartialEq)]
pub struct IsolationPlan {
    /// The outside noise. On the sim: what the outside speaker plays, its
    /// level at the outer mic (dBFS RMS), its duration and the mics' floor.
    /// On a sound card: pink noise of this duration on the ambient channel,
    /// 10 dB below the stimulus's peak level and at least 12 dB below the
    /// output ceiling (the level here is the sim's only).
    pub noise: OutsideNoise,
    /// On the sim: both methods (insertion loss and noise reduction) and
    /// the true insertion loss; otherwise insertion loss only. A sound card
    /// measures noise reduction (inner and outer mic at once).
    pub both_methods: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ch(v: &[u16]) -> Option<Vec<Channel>> {
        Some(v.iter().map(|&n| Channel::new(n).unwrap()).collect())
    }

    const KEYS: [&str; 2] = ["--driver-channels", "--inner-channels"];

    #[test]
    fn both_ears_take_their_channels_or_1_and_2_and_refuse_clashes() {
        let p = DevicePlan::default().for_both_ears(KEYS).unwrap();
        assert_eq!(
            (p.driver_channel.get(), p.inner_channel.get()),
            (1, 1),
            "left"
        );
        let right = p.right_ear().map(|(d, i)| (d.get(), i.get()));
        assert_eq!(right, Some((2, 2)));
        assert_eq!(p.input_channels().len(), 2);
        let p = DevicePlan {
            driver_channels: ch(&[3, 4]),
            inner_channels: ch(&[2, 1]),
            outer_channel: Channel::new(5),
            ..DevicePlan::default()
        }
        .for_both_ears(KEYS)
        .unwrap();
        assert_eq!((p.driver_channel.get(), p.inner_channel.get()), (3, 2));
        assert_eq!(p.right_ear().map(|(d, i)| (d.get(), i.get())), Some((4, 1)));
        let err = |p: DevicePlan| p.for_both_ears(KEYS).unwrap_err().to_string();
        let e = err(DevicePlan {
            driver_channels: ch(&[1, 2, 3]),
            ..DevicePlan::default()
        });
        assert!(
            e.contains("--driver-channels: give two channels") && e.contains("got 3"),
            "{e}"
        );
        let e = err(DevicePlan {
            inner_channels: ch(&[2, 2]),
            ..DevicePlan::default()
        });
        assert!(e.contains("both on channel 2"), "{e}");
        let e = err(DevicePlan {
            ambient_channel: Channel::new(2),
            ..DevicePlan::default()
        });
        assert!(e.contains("output channel 2 is also the ambient"), "{e}");
        let e = err(DevicePlan {
            loopback_channel: Channel::new(1),
            ..DevicePlan::default()
        });
        assert!(e.contains("input channel 1 is also the loopback"), "{e}");
        assert_eq!(DevicePlan::default().right_ear(), None, "one ear");
    }
}
