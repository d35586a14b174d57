//! Passive isolation of a fit: on the sim the open and occluded ear (and
//! the outer mic), on a sound card the outer and inner mic at once. The
//! noise floor of the inner mic: on the sim its known white floor, on a
//! sound card a silent lead-in before the noise (see
//! [`crate::analysis::isolation`] for the correction and the self-check).

use super::device::checked_channel;
use super::plan::{DevicePlan, IsolationPlan};
use super::{take, Card, IsolationMeasured, Measurer, Observer, Recorded};
use crate::analysis::isolation::{
    insertion_loss_with_floor, noise_reduction_with_floor, Floor, IsolationError,
};
use crate::dsp::bands::third_octaves;
use crate::rig::capture::Recorder;
use crate::rig::outside::truth_band_db;
use crate::rig::sim::SimRig;
use crate::rig::Rig;
use anyhow::{anyhow, Context, Result};

/// Shortest silent lead-in before the outside noise on a sound card, s:
/// long enough for a floor estimate with a few averaged segments.
pub const DEVICE_FLOOR_S: f64 = 1.5;

/// Samples widened to `f64` for the band analysis.
fn f64s(x: &[f32]) -> Vec<f64> {
    x.iter().map(|&v| v as f64).collect()
}

impl Measurer {
    /// Isolation on the sim: insertion loss, and with both methods noise
    /// reduction and the truth.
    pub(super) fn sim_isolation(
        &self,
        rig: &mut SimRig,
        plan: &IsolationPlan,
        rate: u32,
        observer: &mut dyn Observer,
    ) -> Result<IsolationMeasured> {
        let rec = take::sim_isolation(rig, &plan.noise, rate);
        observer.recorded(Recorded::SimIsolation(&rec))?;
        let fft = self.analyzer.fft();
        let what = || format!("{}: isolation", rig.describe());
        let (open, occluded) = (f64s(&rec.open), f64s(&rec.occluded));
        // The sim's mic floor is white noise at a known level: exact.
        let floor = Floor::White {
            rms_dbfs: plan.noise.floor_dbfs,
        };
        let il =
            insertion_loss_with_floor(&open, &occluded, floor, rate, fft).with_context(what)?;
        if !plan.both_methods {
            return Ok(IsolationMeasured {
                insertion_loss: Some(il),
                noise_reduction: None,
                truth_third_octave_db: None,
            });
        }
        let nr = noise_reduction_with_floor(&f64s(&rec.outer), &occluded, floor, rate, fft)
            .with_context(what)?;
        let filters = rig.outside_model().filters(rate as f64);
        let truth = third_octaves(0.45 * rate as f64)
            .iter()
            .map(|b| truth_band_db(&filters, b.lower_hz, b.upper_hz, true))
            .collect();
        Ok(IsolationMeasured {
            insertion_loss: Some(il),
            noise_reduction: Some(nr),
            truth_third_octave_db: Some(truth),
        })
    }

    /// Isolation on a sound card: a silent lead-in of at least
    /// [`DEVICE_FLOOR_S`] (the inner mic's noise floor), then pink noise on
    /// the outside speaker (10 dB below the stimulus, at least 12 dB below
    /// the output ceiling), inner and outer mics at once: noise reduction,
    /// one per ear (the left's, then with both ears the right's, against
    /// the one outer mic).
    pub(super) fn device_isolation(
        &self,
        card: &mut Card,
        device: &DevicePlan,
        plan: &IsolationPlan,
        rate: u32,
        observer: &mut dyn Observer,
    ) -> Result<Vec<IsolationMeasured>> {
        let level = (device.level_dbfs - 10.0).min(card.ceiling - 12.0);
        let rig = &mut card.rig;
        let lead_s = plan.noise.lead_s.max(DEVICE_FLOOR_S);
        let rec = take::ambient_noise(rig, plan.noise.duration_s, lead_s, level, rate)?;
        observer.recorded(Recorded::DeviceIsolation(&rec))?;
        let input = Recorder::names(rig).0;
        let outer_channel = device
            .outer_channel
            .context("isolation on a sound card needs an outer mic (--outer-channel)")?;
        let outer = f64s(checked_channel(
            &rec,
            outer_channel,
            "--outer-channel",
            &input,
        )?);
        let fft = self.analyzer.fft();
        let ears = [device.inner_channel]
            .into_iter()
            .chain(device.right_ear().map(|(_, inner)| inner));
        let mut out = Vec::new();
        for (ear, inner_channel) in ears.enumerate() {
            let side = match (ear, device.right_ear().is_some()) {
                (_, false) => "",
                (0, true) => " (left ear)",
                _ => " (right ear)",
            };
            let inner = f64s(checked_channel(
                &rec,
                inner_channel,
                "--inner-channel",
                &input,
            )?);
            let nr = noise_reduction_with_floor(&outer, &inner, Floor::LeadIn, rate, fft).map_err(|e| {
                let hint = match e {
                    IsolationError::OuterQuieter { .. } | IsolationError::ChannelsSwapped { .. } => {
                        format!(
                            "; if input {inner_channel} is the outer mic and {outer_channel} the inner one, swap --inner-channel and --outer-channel"
                        )
                    }
                    _ => String::new(),
                };
                anyhow!("{}: isolation{side}: {e}{hint}", Rig::describe(rig))
            })?;
            out.push(IsolationMeasured {
                insertion_loss: None,
                noise_reduction: Some(nr),
                truth_third_octave_db: None,
            });
        }
        Ok(out)
    }
}
