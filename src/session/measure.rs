//! Measuring one fit of a session: the tip's insertion on the measuring
//! layer ([`crate::measure`]), as the config's plan says, into a
//! [`FitRecord`] plus the raw recording.

use super::config::{Ear, SessionConfig};
use super::model::{FitRecord, TipSpec, SCHEMA_VERSION};
use crate::analysis::{FrequencyResponse, Measurement};
use crate::interrupt::StopToken;
use crate::measure::{Confirm, FaultPlan, Insertion, Measured, Measurer, NoOneToAsk};
use crate::rig::sim::{Canal, TipPreset};
use crate::rig::Recording;
use anyhow::{Context, Result};

/// Measures fits for one session (stimuli and FFT plans are made once, a
/// sound card is opened once).
#[derive(Debug)]
pub struct FitMeasurer {
    measurer: Measurer,
    seed: u64,
    /// With both ears: the right ear's canal and leak factor.
    right: Option<(Option<Canal>, f64)>,
    /// Both ears in one take (a sound card with two drivers and mics).
    at_once: bool,
}

/// A session's sealed references: one per ear with both ears.
#[derive(Debug, Clone)]
pub struct SealedReference {
    /// The (left, or only) ear's response and recording.
    pub left: (Measurement, Recording),
    /// With both ears: the right ear's.
    pub right: Option<(Measurement, Recording)>,
}

/// One measured fit: the record and the seal recording (with both ears:
/// the left ear's, and the right ear's in `right`).
#[derive(Debug, Clone)]
pub struct MeasuredFit {
    /// What is stored as JSON.
    pub record: FitRecord,
    /// The raw recording of the seal sweep (or the quick check).
    pub recording: Option<Recording>,
    /// The right ear of a fit measured on both ears.
    pub right: Option<Box<MeasuredFit>>,
}

/// The right ear's insertion seed from the left's: each ear is inserted on
/// its own.
fn right_seed(seed: u64) -> u64 {
    seed ^ 0x5249_4748_5445_4152
}

/// The insertion seed of fit `fit` (attempt `attempt`) of tip number `tip`:
/// every fit and every redo draws a new, reproducible insertion.
pub fn fit_seed(session_seed: u64, tip: usize, fit: usize, attempt: usize) -> u64 {
    let mut x = session_seed
        ^ (tip as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (fit as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
        ^ (attempt as u64).wrapping_mul(0x1656_67B1_9E37_79F9);
    // splitmix64 finalizer
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

impl FitMeasurer {
    /// Prepare the measurements of `cfg` (a loud level on a sound card is
    /// refused: nobody is asked).
    pub fn new(cfg: &SessionConfig) -> Result<Self> {
        Self::with(cfg, None, &mut NoOneToAsk, StopToken::new())
    }

    /// Prepare the measurements of `cfg`, with `faults` injected into the
    /// sim; a loud level on a sound card is asked through `confirm`;
    /// setting `stop` ends the session after the fit being measured (a
    /// sound card falls silent at once).
    pub fn with(
        cfg: &SessionConfig,
        faults: Option<FaultPlan>,
        confirm: &mut dyn Confirm,
        stop: StopToken,
    ) -> Result<Self> {
        let mut plan = cfg.measure_plan()?;
        if let Some(f) = faults {
            plan.rig = plan.rig.with_faults(f);
        }
        let right = (cfg.ear == Ear::Both).then(|| (cfg.sim_canal(1), cfg.sim.right_leak_scale));
        let at_once = match &plan.rig {
            crate::measure::RigPlan::Device(d) => d.right_ear().is_some(),
            _ => false,
        };
        Ok(Self {
            measurer: Measurer::new(plan, confirm, stop)?,
            seed: cfg.sim.seed,
            right,
            at_once,
        })
    }

    /// Whether fits can be measured ahead, several at once, with the
    /// results of one after another: on the plain sim, where each fit
    /// draws its own seeded insertion (not with faults, which start at a
    /// fit's number, nor on a sound card).
    pub fn measures_ahead(&self) -> bool {
        matches!(self.measurer.plan().rig, crate::measure::RigPlan::Sim(_))
    }

    /// The token that stops the session.
    pub fn stop_token(&self) -> &StopToken {
        self.measurer.stop_token()
    }

    /// Measure the IEM sealed (the reference): its response and recording,
    /// with both ears each ear's (on the sim in its own canal, on a sound
    /// card both at once).
    pub fn measure_reference(&self) -> Result<SealedReference> {
        let seed = fit_seed(self.seed, 0, 0, 0);
        let context = "the sealed reference";
        if self.at_once {
            let mut m = self.measurer.reference_ears(None).context(context)?;
            let right = m.right.take().map(|r| ear_reference(*r));
            return Ok(SealedReference {
                left: ear_reference(m),
                right,
            });
        }
        let left = self
            .measurer
            .reference(Some(Insertion::sealed(seed)))
            .context(context)?;
        let right = match self.right {
            Some((canal, _)) => {
                let sealed = Insertion::sealed(right_seed(seed)).into_ear(canal, 1.0);
                let r = self.measurer.reference(Some(sealed));
                Some(r.context("the sealed reference (right ear)")?)
            }
            None => None,
        };
        Ok(SealedReference { left, right })
    }

    /// Measure fit `fit` (1-based) of tip number `tip_index`; bass loss
    /// against `references` (the left or only ear's, the right ear's: a
    /// session without the right one measures the right ear on the sim
    /// against the left one's, the same IEM; a sound card never does).
    pub fn measure(
        &self,
        tip: &TipSpec,
        tip_index: usize,
        fit: usize,
        attempt: usize,
        references: [Option<&FrequencyResponse>; 2],
    ) -> Result<MeasuredFit> {
        let ctx = |ear: &str| format!("tip '{}' fit {fit}{ear}", tip.name);
        if self.at_once {
            let mut m = self
                .measurer
                .measure_ears(None, references, &mut ())
                .with_context(|| ctx(""))?;
            let right = m.right.take().context("both ears were measured")?;
            let mut left = fit_record(tip, fit, attempt, m, Some(Ear::Left))?;
            let right = fit_record(tip, fit, attempt, *right, Some(Ear::Right))?;
            left.right = Some(Box::new(right));
            return Ok(left);
        }
        let preset = tip.preset.unwrap_or(TipPreset::SiliconeM);
        let seed = fit_seed(self.seed, tip_index + 1, fit, attempt);
        let insertion = Insertion::tip(preset, seed);
        let ear = self.right.map(|_| Ear::Left);
        let m = self
            .measurer
            .measure(Some(insertion), references[0], &mut ())
            .with_context(|| ctx(""))?;
        let mut left = fit_record(tip, fit, attempt, m, ear)?;
        if let Some((canal, scale)) = self.right {
            let right = Insertion::tip(preset, right_seed(seed)).into_ear(canal, scale);
            let m = self
                .measurer
                .measure(Some(right), references[1].or(references[0]), &mut ())
                .with_context(|| ctx(" (right ear)"))?;
            let r = fit_record(tip, fit, attempt, m, Some(Ear::Right))?;
            left.right = Some(Box::new(r));
        }
        Ok(left)
    }
}

/// A reference's response and recording.
fn ear_reference(m: Measured) -> (Measurement, Recording) {
    (
        m.seal.expect("the sweep was measured"),
        m.recording.expect("the sweep was recorded"),
    )
}

/// The stored record of one ear's measurement of a fit.
fn fit_record(
    tip: &TipSpec,
    fit: usize,
    attempt: usize,
    m: Measured,
    ear: Option<Ear>,
) -> Result<MeasuredFit> {
    let record = FitRecord {
        schema_version: SCHEMA_VERSION,
        tip: tip.name.clone(),
        fit,
        seal: m.seal,
        quick: m.quick,
        isolation: m.isolation.and_then(|i| i.primary()),
        recording: m
            .recording
            .as_ref()
            .map(|_| super::store::fit_wav_name(fit, ear)),
        rig: Some(serde_json::to_value(&m.rig)?),
        skipped: false,
        attempts: attempt,
        source: None,
        ear,
    };
    Ok(MeasuredFit {
        record,
        recording: m.recording,
        right: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fit_and_redo_draws_its_own_insertion() {
        let mut seen = std::collections::HashSet::new();
        for tip in 0..5 {
            for fit in 1..=5 {
                for attempt in 1..=3 {
                    assert!(seen.insert(fit_seed(1, tip, fit, attempt)));
                }
            }
        }
        assert_eq!(fit_seed(7, 1, 2, 1), fit_seed(7, 1, 2, 1));
    }
}
