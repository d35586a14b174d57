//! Takes: the one place outside `rig/` that plays and records. A take
//! plays one signal on a rig and hands back what was recorded; on a
//! streaming rig (a sound card, or the sim with faults) it also plays the
//! sync markers, checks the inner channel and puts it on the player's
//! clock. Analysing takes is [`super::Measurer`]'s job.

use super::device::{checked_channel, use_markers};
use super::plan::FaultPlan;
use crate::dsp::sync::{measure_and_correct, with_markers_spec, Marked, MarkerSpec};
use crate::rig::capture::Recorder;
use crate::rig::channel::Channel;
use crate::rig::device::Playback;
use crate::rig::faults::SimRecorder;
use crate::rig::outside::{IsolationRecordings, OutsideNoise};
use crate::rig::sim::SimRig;
use crate::rig::{Recording, Rig};
use crate::signal::{NoiseColour, NoiseParams, Stimulus, StimulusKind};
use anyhow::{Context, Result};

/// How a streamed take is made.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StreamSetup {
    /// The input channel of the coupler or probe mic.
    pub inner: Channel,
    /// Both ears at once: the right ear's inner mic (`inner` is the left's).
    pub right_inner: Option<Channel>,
    /// Play sync markers and correct the clock drift.
    pub markers: bool,
    /// The stimulus's peak level, dBFS (the markers play at most at -12).
    pub level_dbfs: f64,
}

/// One streamed take.
#[derive(Debug, Clone)]
pub struct Take {
    /// Every input channel as recorded.
    pub recording: Recording,
    /// The stimulus with its sync markers, when they were played.
    pub marked: Option<Marked>,
    /// The clock drift the markers measured, ppm.
    pub clock_ppm: Option<f64>,
    /// The rig's description, for messages.
    pub rig: String,
    /// The input device's name, for messages.
    pub input: String,
    inner: Channel,
    corrected: Option<Vec<f32>>,
    /// Both ears: the right ear's inner channel and its samples on the
    /// player's clock (when the markers measured it).
    right: Option<(Channel, Option<Vec<f32>>)>,
}

impl Take {
    /// The inner mic's channel, checked, on the player's clock when the
    /// markers measured it.
    pub fn inner(&self) -> &[f32] {
        match &self.corrected {
            Some(c) => c,
            None => &self.recording.channels[self.inner.index()],
        }
    }

    /// Both ears: the right ear's inner mic, checked, on the player's clock
    /// when the markers measured it.
    pub fn right_inner(&self) -> Option<&[f32]> {
        self.right.as_ref().map(|(ch, corrected)| match corrected {
            Some(c) => c.as_slice(),
            None => &self.recording.channels[ch.index()],
        })
    }

    /// What was played for `stimulus`: with its markers, when they were.
    pub fn played<'a>(&'a self, stimulus: &'a Stimulus) -> &'a Stimulus {
        self.marked.as_ref().map_or(stimulus, |m| &m.stimulus)
    }
}

/// Play `stimulus` on the simulated ear.
pub fn sim(rig: &mut SimRig, stimulus: &Stimulus) -> Result<Recording> {
    rig.play_and_record(stimulus)
}

/// Play `stimulus` on the driver channel of a streaming rig (with sync
/// markers when `setup` asks), record every input channel, check the inner
/// one for silence and clipping and put it on the player's clock.
pub fn stream<R: Recorder>(rig: &mut R, setup: &StreamSetup, stimulus: &Stimulus) -> Result<Take> {
    let marked = setup.markers.then(|| {
        with_markers_spec(
            stimulus,
            &MarkerSpec {
                level_dbfs: setup.level_dbfs.min(-12.0),
                gap_s: 0.5,
                trail_s: 0.5,
                ..MarkerSpec::default()
            },
        )
    });
    let played: &Stimulus = marked.as_ref().map_or(stimulus, |m| &m.stimulus);
    let recording = rig.play_and_record_all(
        &Playback {
            driver: played.samples.clone(),
            ..Playback::default()
        },
        played.rate,
    )?;
    let input = rig.names().0;
    let inner = checked_channel(&recording, setup.inner, "--inner-channel", &input)?;
    let (corrected, clock_ppm) = match &marked {
        Some(m) => {
            let c = measure_and_correct(inner, m)
                .with_context(|| format!("{}: clock sync", rig.describe()))?;
            (Some(c.samples), Some(c.estimate.ppm))
        }
        None => (None, None),
    };
    // The right ear's mic: checked on its own, and its markers measured
    // on its own channel (the same input clock, its own acoustic path).
    let right = match setup.right_inner {
        Some(ch) => {
            let samples = checked_channel(&recording, ch, "inner_channels (right ear)", &input)?;
            let corrected = match &marked {
                Some(m) => Some(
                    measure_and_correct(samples, m)
                        .with_context(|| format!("{}: clock sync (right ear)", rig.describe()))?
                        .samples,
                ),
                None => None,
            };
            Some((ch, corrected))
        }
        None => None,
    };
    Ok(Take {
        recording,
        marked,
        clock_ppm,
        rig: rig.describe(),
        input,
        inner: setup.inner,
        corrected,
        right,
    })
}

/// Play `stimulus` on the simulated ear streaming like a sound card with
/// `faults`; the ear's noise goes on afterwards as if it had played
/// directly. Returns the take and the attempts it took.
pub fn faulted(rig: &mut SimRig, faults: &FaultPlan, stimulus: &Stimulus) -> Result<(Take, usize)> {
    let mut recorder = SimRecorder::new(rig.clone(), faults.faults.clone());
    recorder.max_level_dbfs = 0.0;
    let peak = stimulus.samples.iter().fold(0f32, |m, v| m.max(v.abs()));
    let setup = StreamSetup {
        inner: faults.inner_channel,
        right_inner: None,
        markers: use_markers(faults.sync, &recorder),
        level_dbfs: crate::dsp::db(peak as f64),
    };
    let take = stream(&mut recorder, &setup, stimulus);
    rig.noise_seed = recorder.sim.noise_seed;
    Ok((take?, recorder.attempt))
}

/// The sim's isolation: pink (or swept) noise on the outside speaker, the
/// inner mic open and occluded, the outer mic.
pub fn sim_isolation(rig: &mut SimRig, noise: &OutsideNoise, rate: u32) -> IsolationRecordings {
    rig.record_isolation(noise, rate)
}

/// Isolation on a streaming rig: `lead_s` of silence (the mics' noise
/// floor), then pink noise of `duration_s` at `level_dbfs` RMS on the
/// ambient (outside speaker) channel, every input channel recorded at once.
pub fn ambient_noise<R: Recorder>(
    rig: &mut R,
    duration_s: f64,
    lead_s: f64,
    level_dbfs: f64,
    rate: u32,
) -> Result<Recording> {
    let noise = NoiseParams {
        colour: NoiseColour::Pink,
        duration_s,
        rate,
        level_dbfs,
        seed: 1,
        period: None,
    }
    .generate()?;
    let mut ambient = vec![0f32; (lead_s.max(0.0) * rate as f64).round() as usize];
    ambient.extend(noise.samples);
    rig.play_and_record_all(
        &Playback {
            ambient,
            ..Playback::default()
        },
        rate,
    )
}

/// Record input channel `channel` for `seconds` while the output plays
/// silence (a calibrator on the mic), checked for silence and clipping;
/// returns its samples and the rate they were recorded at.
pub fn record_input<R: Recorder>(
    rig: &mut R,
    channel: Channel,
    seconds: f64,
    rate: u32,
) -> Result<(Vec<f32>, u32)> {
    let silence = Stimulus {
        samples: vec![0f32; (seconds * rate as f64) as usize],
        rate,
        kind: StimulusKind::External,
    };
    let setup = StreamSetup {
        inner: channel,
        right_inner: None,
        markers: false,
        level_dbfs: -60.0,
    };
    let take = stream(rig, &setup, &silence)?;
    Ok((take.inner().to_vec(), take.recording.rate))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::plan::SyncMode;
    use crate::rig::sim::{SimConfig, TipPreset};

    #[test]
    fn a_faulted_take_streams_two_channels_and_moves_the_noise_on() {
        let mut rig = SimRig::new(SimConfig::preset(TipPreset::Foam), 1);
        let before = rig.noise_seed;
        let faults = FaultPlan {
            faults: vec!["dropout".parse().unwrap()],
            from_fit: 1,
            inner_channel: Channel::FIRST,
            sync: SyncMode::Auto,
        };
        let stim = crate::signal::MultitoneParams {
            duration_s: 0.5,
            ..Default::default()
        }
        .generate()
        .unwrap();
        let (take, attempts) = faulted(&mut rig, &faults, &stim).unwrap();
        assert_eq!(attempts, 2, "the dropout is measured again");
        assert_eq!(take.recording.channels.len(), 2);
        assert!(take.clock_ppm.is_none(), "one clock: no markers");
        assert_ne!(rig.noise_seed, before);
        assert!(take.rig.contains("(faults: dropout=1)"), "{}", take.rig);
        assert_eq!(take.inner(), &take.recording.channels[0][..]);
    }
}
