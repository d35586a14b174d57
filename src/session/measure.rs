//! Measuring one fit of a session on a rig (the simulated ear for now):
//! the seal sweep, the quick multitone and the isolation noise, as the
//! config asks, into a [`FitRecord`] plus the raw seal recording.

use super::config::SessionConfig;
use super::model::{FitRecord, TipSpec, SCHEMA_VERSION};
use crate::analysis::isolation::{insertion_loss, Isolation};
use crate::analysis::{AnalysisConfig, Analyzer, FrequencyResponse, Measurement};
use crate::rig::outside::OutsideNoise;
use crate::rig::sim::{Fit, NoiseLevel, SimConfig, SimRig, TipPreset};
use crate::rig::{Recording, Rig};
use crate::signal::{MultitoneParams, Stimulus, SweepParams};
use anyhow::{Context, Result};
use serde_json::json;

/// Measures fits for one session (stimuli and FFT plans are made once).
#[derive(Debug)]
pub struct FitMeasurer {
    cfg: SessionConfig,
    analysis: AnalysisConfig,
    analyzer: Analyzer,
    sweep: Stimulus,
    multitone: Option<Stimulus>,
}

/// One measured fit: the record and the seal recording.
#[derive(Debug, Clone)]
pub struct MeasuredFit {
    /// What is stored as JSON.
    pub record: FitRecord,
    /// The raw recording of the seal sweep (or the quick check).
    pub recording: Option<Recording>,
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
    /// Prepare the stimuli of `cfg`.
    pub fn new(cfg: &SessionConfig) -> Result<Self> {
        let s = &cfg.signal;
        let sweep = SweepParams {
            duration_s: s.sweep_duration_s,
            level_dbfs: s.sweep_level_dbfs,
            ..SweepParams::at_rate(s.rate)
        }
        .generate()
        .context("[signal]: cannot make the sweep")?;
        let multitone = cfg
            .measurements
            .quick
            .then(|| {
                MultitoneParams {
                    rate: s.rate,
                    duration_s: crate::analysis::quick::QUICK_DURATION_S,
                    ..MultitoneParams::default()
                }
                .generate()
            })
            .transpose()
            .context("[signal]: cannot make the multitone")?;
        Ok(Self {
            cfg: cfg.clone(),
            analysis: cfg.analysis(),
            analyzer: Analyzer::new(),
            sweep,
            multitone,
        })
    }

    fn rig(&self, fit: Fit, seed: u64) -> SimRig {
        let config = SimConfig {
            fit,
            noise: Some(NoiseLevel::BelowSignal(self.cfg.sim.snr_db)),
            ..SimConfig::default()
        };
        SimRig::new(config, seed)
    }

    /// Measure the IEM sealed (the reference): its response and recording.
    pub fn measure_reference(&self) -> Result<(Measurement, Recording)> {
        let mut rig = self.rig(Fit::Sealed, fit_seed(self.cfg.sim.seed, 0, 0, 0));
        let rec = rig.play_and_record(&self.sweep)?;
        let m = self
            .analyzer
            .analyse(
                &rec.channels[0],
                rec.rate,
                &self.sweep,
                None,
                &self.analysis,
            )
            .with_context(|| format!("{}: the reference cannot be analysed", rig.describe()))?;
        Ok((m, rec))
    }

    /// Measure fit `fit` (1-based) of tip number `tip_index`.
    pub fn measure(
        &self,
        tip: &TipSpec,
        tip_index: usize,
        fit: usize,
        attempt: usize,
        reference: Option<&FrequencyResponse>,
    ) -> Result<MeasuredFit> {
        let preset = tip.preset.unwrap_or(TipPreset::SiliconeM);
        let seed = fit_seed(self.cfg.sim.seed, tip_index + 1, fit, attempt);
        let mut rig = self.rig(Fit::Preset(preset), seed);
        let described = rig.describe();
        let what = || format!("tip '{}' fit {fit} ({described})", tip.name);
        let mut recording = None;
        let mut play = |stim: &Stimulus| -> Result<Measurement> {
            let rec = rig.play_and_record(stim)?;
            let m = self
                .analyzer
                .analyse(&rec.channels[0], rec.rate, stim, reference, &self.analysis)
                .with_context(what)?;
            recording.get_or_insert(rec);
            Ok(m)
        };
        let seal = match self.cfg.measurements.seal {
            true => Some(play(&self.sweep)?),
            false => None,
        };
        let quick = self.multitone.as_ref().map(&mut play).transpose()?;
        let isolation = if self.cfg.measurements.isolation {
            Some(self.isolation(&mut rig).with_context(what)?)
        } else {
            None
        };
        let leak = rig.leak();
        let record = FitRecord {
            schema_version: SCHEMA_VERSION,
            tip: tip.name.clone(),
            fit,
            seal,
            quick,
            isolation,
            recording: recording.as_ref().map(|_| format!("fit-{fit}.wav")),
            rig: Some(json!({
                "kind": "sim",
                "description": rig.describe(),
                "preset": preset.name(),
                "seed": seed,
                "truth": {
                    "leak_f0_hz": leak.map(|l| l.f0_hz),
                    "leak_zeta": leak.map(|l| l.zeta),
                    "leak_corner_hz": leak.map(|l| l.corner_hz()),
                }
            })),
            skipped: false,
            attempts: attempt,
            source: None,
        };
        Ok(MeasuredFit { record, recording })
    }

    fn isolation(&self, rig: &mut SimRig) -> Result<Isolation> {
        let s = &self.cfg.signal;
        let noise = OutsideNoise {
            level_dbfs: s.isolation_level_dbfs,
            duration_s: s.isolation_duration_s,
            ..OutsideNoise::default()
        };
        let rec = rig.record_isolation(&noise, s.rate);
        let f64s = |x: &[f32]| -> Vec<f64> { x.iter().map(|&v| v as f64).collect() };
        Ok(insertion_loss(
            &f64s(&rec.open),
            &f64s(&rec.occluded),
            s.rate,
            self.analyzer.fft(),
        )?)
    }
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
