//! The measuring layer: one pipeline from a typed [`MeasurePlan`] to a
//! typed [`Measured`], whatever the rig.
//!
//! `commands/` builds plans from the command line, `session::config` from a
//! session's TOML; [`Measurer`] makes the stimuli once, opens a sound card
//! once (stored calibration, level safety through [`Confirm`]), and then
//! measures fits: it plays ([`take`], the only code outside `rig/` that
//! plays and records), analyses, measures isolation and says which rig it
//! was ([`RigInfo`]). Layers point one way: this module uses `rig`,
//! `signal`, `analysis` and `calibration`, and is used by `session` and
//! `commands`.

pub mod device;
pub mod isolation;
pub mod plan;
pub mod record;
pub mod take;

pub use device::{Confirm, NoOneToAsk};
pub use plan::{
    DevicePlan, FaultPlan, Insertion, IsolationPlan, MeasurePlan, RigPlan, SimPlan, StimulusPlan,
    SyncMode,
};
pub use record::{
    CalibrationApplied, ClockSync, DeviceInfo, IsolationMeasured, Measured, RigInfo, SimInfo,
    SimTruth, Streamed,
};

use crate::analysis::drift::ClockMethod;
use crate::analysis::{
    AnalysisConfig, Analyzer, ClockCheck, ClockInfo, FrequencyResponse, Measurement,
};
use crate::interrupt::StopToken;
use crate::rig::channel::Channel;
use crate::rig::device::DeviceRig;
use crate::rig::outside::IsolationRecordings;
use crate::rig::sim::{Fit, SimConfig, SimRig};
use crate::rig::{Recording, Rig};
use crate::signal::Stimulus;
use anyhow::{bail, Context, Result};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use take::{StreamSetup, Take};

/// What a measurement tells as it goes (a command prints and saves; a
/// session waits for the record). Every method does nothing by default.
pub trait Observer {
    /// A sound card is about to play (someone may be wearing the IEM).
    fn playing(&mut self, _what: Playing<'_>) {}
    /// A take was recorded, before it is analysed.
    fn recorded(&mut self, _what: Recorded<'_>) -> Result<()> {
        Ok(())
    }
}

/// Nothing to tell.
impl Observer for () {}

/// What a sound card is about to play.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Playing<'a> {
    /// A stimulus on the driver channel.
    Stimulus {
        /// The rig's description.
        rig: &'a str,
        /// The stimulus's length (without sync markers), s.
        duration_s: f64,
        /// Its peak level, dBFS.
        level_dbfs: f64,
        /// The driver channel.
        channel: Channel,
    },
    /// Isolation noise on the ambient channel.
    Isolation {
        /// The rig's description.
        rig: &'a str,
        /// The ambient channel.
        channel: Option<Channel>,
    },
}

/// A take just recorded.
#[derive(Debug, Clone, Copy)]
pub enum Recorded<'a> {
    /// A stimulus (every input channel on a streaming rig).
    Stimulus(&'a Recording),
    /// The sim's isolation recordings.
    SimIsolation(&'a IsolationRecordings),
    /// A sound card's isolation recording (every input channel).
    DeviceIsolation(&'a Recording),
}

/// Which parts a measurement makes.
#[derive(Debug, Clone, Copy)]
struct Parts {
    seal: bool,
    quick: bool,
    isolation: bool,
    faults: bool,
}

/// An open sound card.
#[derive(Debug)]
struct Card {
    rig: DeviceRig,
    ceiling: f64,
    markers: bool,
    calibration: CalibrationApplied,
}

/// Measures fits by a plan (stimuli made once, a sound card opened once).
#[derive(Debug)]
pub struct Measurer {
    plan: MeasurePlan,
    analysis: AnalysisConfig,
    analyzer: Analyzer,
    sweep: Option<Stimulus>,
    quick: Option<Stimulus>,
    card: Option<Mutex<Card>>,
    /// Fits measured so far (faults start at [`FaultPlan::from_fit`]).
    fits: AtomicUsize,
    /// Set to stop: the sound card falls silent and the measurement ends
    /// with [`crate::interrupt::Interrupted`]; sessions stop between fits.
    stop: StopToken,
}

impl Measurer {
    /// Make the plan's stimuli and, on a sound card, load the stored
    /// calibration, check the level (asking `confirm` when it is loud) and
    /// open the devices. Setting `stop` (Ctrl-C sets the token
    /// [`crate::interrupt::install`] returns) silences the sound card and
    /// ends what is being measured.
    pub fn new(plan: MeasurePlan, confirm: &mut dyn Confirm, stop: StopToken) -> Result<Self> {
        let sweep = plan.stimulus.sweep.as_ref().map(|p| p.generate());
        let quick = plan.stimulus.quick.as_ref().map(|p| p.generate());
        let (sweep, quick) = (sweep.transpose()?, quick.transpose()?);
        let mut analysis = plan.analysis.clone();
        let card = match &plan.rig {
            RigPlan::Device(d) => {
                let rate = plan.stimulus.rate();
                Some(Mutex::new(Card::open(
                    d,
                    rate,
                    &mut analysis,
                    confirm,
                    &stop,
                )?))
            }
            _ => None,
        };
        Ok(Self {
            plan,
            analysis,
            analyzer: Analyzer::new(),
            sweep,
            quick,
            card,
            fits: AtomicUsize::new(0),
            stop,
        })
    }

    /// The token that stops this measurer.
    pub fn stop_token(&self) -> &StopToken {
        &self.stop
    }

    /// The plan.
    pub fn plan(&self) -> &MeasurePlan {
        &self.plan
    }

    /// The analysis settings, the sound card's calibration included.
    pub fn analysis(&self) -> &AnalysisConfig {
        &self.analysis
    }

    /// The stimulus of each fit's response: the sweep, else the multitone.
    pub fn stimulus(&self) -> Option<&Stimulus> {
        match self.plan.stimulus.seal {
            true => self.sweep.as_ref(),
            false => self.quick.as_ref(),
        }
    }

    /// Measure one fit as the plan says. On the sim, `insertion` is what
    /// the ear holds (`None`: the plan's own fit and seed). Bass loss and
    /// the leak fit are against `reference` when given.
    pub fn measure(
        &self,
        insertion: Option<Insertion>,
        reference: Option<&FrequencyResponse>,
        observer: &mut dyn Observer,
    ) -> Result<Measured> {
        self.measure_ears(insertion, [reference, None], observer)
    }

    /// [`Self::measure`] with a reference per ear: on a sound card that
    /// measures both ears at once ([`DevicePlan::right_ear`]) the right
    /// ear's bass loss is against `references[1]` (none without one: never
    /// against the left ear's IEM).
    pub fn measure_ears(
        &self,
        insertion: Option<Insertion>,
        references: [Option<&FrequencyResponse>; 2],
        observer: &mut dyn Observer,
    ) -> Result<Measured> {
        let nth = 1 + self.fits.fetch_add(1, Ordering::Relaxed);
        let faults = match &self.plan.rig {
            RigPlan::SimFaults(_, f) => nth >= f.from_fit,
            _ => false,
        };
        let parts = Parts {
            seal: self.plan.stimulus.seal && self.sweep.is_some(),
            quick: self.quick.is_some(),
            isolation: self.plan.isolation.is_some(),
            faults,
        };
        self.run(insertion, parts, references, observer)
    }

    /// Measure the sweep alone, without a reference and without faults:
    /// the IEM sealed (on the sim, `insertion`), a reference for the fits.
    pub fn reference(&self, insertion: Option<Insertion>) -> Result<(Measurement, Recording)> {
        let m = self.reference_ears(insertion)?;
        Ok((
            m.seal.expect("the sweep was measured"),
            m.recording.expect("the sweep was recorded"),
        ))
    }

    /// [`Self::reference`] as measured: with both ears on a sound card,
    /// the right ear's in [`Measured::right`].
    pub fn reference_ears(&self, insertion: Option<Insertion>) -> Result<Measured> {
        if self.sweep.is_none() {
            bail!("the plan has no sweep to measure a reference with");
        }
        let parts = Parts {
            seal: true,
            quick: false,
            isolation: false,
            faults: false,
        };
        self.run(insertion, parts, [None, None], &mut ())
    }

    fn run(
        &self,
        insertion: Option<Insertion>,
        parts: Parts,
        references: [Option<&FrequencyResponse>; 2],
        observer: &mut dyn Observer,
    ) -> Result<Measured> {
        let reference = references[0];
        match &self.plan.rig {
            RigPlan::Sim(sim) => self.on_sim(sim, None, insertion, parts, reference, observer),
            RigPlan::SimFaults(sim, f) => {
                let f = parts.faults.then_some(f);
                self.on_sim(sim, f, insertion, parts, reference, observer)
            }
            RigPlan::Device(d) => self.on_device(d, parts, references, observer),
        }
    }

    /// The stimuli `parts` plays, in order.
    fn stimuli(&self, parts: Parts) -> impl Iterator<Item = (bool, &Stimulus)> {
        let seal = self.sweep.as_ref().filter(|_| parts.seal);
        let quick = self.quick.as_ref().filter(|_| parts.quick);
        seal.map(|s| (true, s))
            .into_iter()
            .chain(quick.map(|q| (false, q)))
    }

    fn on_sim(
        &self,
        sim: &SimPlan,
        faults: Option<&FaultPlan>,
        insertion: Option<Insertion>,
        parts: Parts,
        reference: Option<&FrequencyResponse>,
        observer: &mut dyn Observer,
    ) -> Result<Measured> {
        let (config, seed, preset) = match insertion {
            Some(i) => {
                let preset = match i.fit {
                    Fit::Preset(p) => Some(p),
                    _ => None,
                };
                let config = SimConfig {
                    fit: i.fit,
                    canal: i.canal.or(sim.config.canal),
                    leak_scale: i.leak_scale,
                    ..sim.config.clone()
                };
                (config, i.seed, preset)
            }
            None => (sim.config.clone(), sim.seed, None),
        };
        let mut rig = SimRig::new(config, seed);
        let mut description = rig.describe();
        let (mut streamed, mut takes) = (None, Takes::default());
        for (is_seal, stim) in self.stimuli(parts) {
            let (m, rec) = match faults {
                None => {
                    let rec = take::sim(&mut rig, stim)?;
                    observer.recorded(Recorded::Stimulus(&rec))?;
                    let mut m = self
                        .analyzer
                        .analyse(&rec.channels[0], rec.rate, stim, reference, &self.analysis)
                        .with_context(|| {
                            format!("{description}: the measurement cannot be analysed")
                        })?;
                    m.latency_s -= rec.lead_s;
                    (m, rec)
                }
                Some(f) => {
                    let (take, attempts) = take::faulted(&mut rig, f, stim)?;
                    observer.recorded(Recorded::Stimulus(&take.recording))?;
                    let (m, _) =
                        self.analyse_streamed(&take, take.inner(), stim, reference, None)?;
                    description = take.rig.clone();
                    streamed = Some(Streamed {
                        faults: f.faults.clone(),
                        attempts,
                        sync: take.clock_ppm.map(|clock_ppm| ClockSync { clock_ppm }),
                    });
                    (m, take.recording)
                }
            };
            takes.put(is_seal, m, rec);
        }
        let isolation = match self.plan.isolation.as_ref().filter(|_| parts.isolation) {
            Some(iso) => {
                let rate = self.plan.stimulus.rate();
                Some(self.sim_isolation(&mut rig, iso, rate, observer)?)
            }
            None => None,
        };
        let rig = RigInfo::Sim(SimInfo {
            description,
            preset,
            seed,
            streamed,
            truth: SimTruth::of_rig(&rig),
        });
        Ok(takes.measured(isolation, rig))
    }

    fn card(&self) -> MutexGuard<'_, Card> {
        self.card
            .as_ref()
            .expect("a sound card plan opens its card")
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn on_device(
        &self,
        plan: &DevicePlan,
        parts: Parts,
        references: [Option<&FrequencyResponse>; 2],
        observer: &mut dyn Observer,
    ) -> Result<Measured> {
        let mut card = self.card();
        let card = &mut *card;
        let right_ear = plan.right_ear();
        let setup = StreamSetup {
            inner: plan.inner_channel,
            right_inner: right_ear.map(|(_, inner)| inner),
            markers: card.markers,
            level_dbfs: plan.level_dbfs,
        };
        let describe = card.rig.describe();
        let (mut takes, mut right, mut clock_ppm, mut latency) =
            (Takes::default(), Takes::default(), None, None);
        for (is_seal, stim) in self.stimuli(parts) {
            observer.playing(Playing::Stimulus {
                rig: &describe,
                duration_s: stim.duration_s(),
                level_dbfs: plan.level_dbfs,
                channel: plan.driver_channel,
            });
            let take = take::stream(&mut card.rig, &setup, stim)?;
            observer.recorded(Recorded::Stimulus(&take.recording))?;
            let (m, l) = self.analyse_streamed(
                &take,
                take.inner(),
                stim,
                references[0],
                plan.loopback_channel,
            )?;
            if let Some(samples) = take.right_inner() {
                let (m, _) = self
                    .analyse_streamed(&take, samples, stim, references[1], None)
                    .context("the right ear")?;
                right.put(is_seal, m, take.recording.clone());
            }
            (clock_ppm, latency) = (take.clock_ppm, l);
            takes.put(is_seal, m, take.recording);
        }
        let mut isolation = match self.plan.isolation.as_ref().filter(|_| parts.isolation) {
            Some(iso) => {
                observer.playing(Playing::Isolation {
                    rig: &describe,
                    channel: plan.ambient_channel,
                });
                let rate = self.plan.stimulus.rate();
                self.device_isolation(card, plan, iso, rate, observer)?
            }
            None => Vec::new(),
        }
        .into_iter();
        let (input, output) = card.rig.names();
        let info = DeviceInfo {
            description: card.rig.describe(),
            input,
            output,
            driver_channel: plan.driver_channel,
            inner_channel: plan.inner_channel,
            level_dbfs: plan.level_dbfs,
            max_level_dbfs: card.ceiling,
            clock_ppm,
            sound_card_latency_s: latency,
            calibration: card.calibration.clone(),
        };
        let left_isolation = isolation.next();
        let right = right_ear.map(|(driver_channel, inner_channel)| {
            let info = DeviceInfo {
                driver_channel,
                inner_channel,
                ..info.clone()
            };
            Box::new(right.measured(isolation.next(), RigInfo::Device(info)))
        });
        Ok(Measured {
            right,
            ..takes.measured(left_isolation, RigInfo::Device(info))
        })
    }

    /// Analyse `inner`, a streamed take's inner channel (on the player's
    /// clock when the markers measured it: the drift is then known, not
    /// estimated again), and read the sound card's latency from `loopback`.
    fn analyse_streamed(
        &self,
        take: &Take,
        inner: &[f32],
        stimulus: &Stimulus,
        reference: Option<&FrequencyResponse>,
        loopback: Option<Channel>,
    ) -> Result<(Measurement, Option<f64>)> {
        let marked_cfg;
        let cfg = match take.clock_ppm {
            Some(ppm) => {
                marked_cfg = AnalysisConfig {
                    clock: ClockCheck::Known(ClockInfo {
                        clock_ppm: ppm,
                        method: ClockMethod::SyncMarkers,
                        corrected: true,
                        uncertainty_ppm: None,
                    }),
                    ..self.analysis.clone()
                };
                &marked_cfg
            }
            None => &self.analysis,
        };
        let rec = &take.recording;
        let mut m = self
            .analyzer
            .analyse(inner, rec.rate, stimulus, reference, cfg)
            .with_context(|| format!("{}: the measurement cannot be analysed", take.rig))?;
        m.latency_s -= rec.lead_s;
        let Some(ch) = loopback else {
            return Ok((m, None));
        };
        let lb = device::checked_channel(rec, ch, "--loopback-channel", &take.input)?;
        // the loopback gives the latency only: its clock is not checked
        let lb_cfg = AnalysisConfig {
            corrections: Vec::new(),
            clock: ClockCheck::Off,
            ..cfg.clone()
        };
        let l = self
            .analyzer
            .analyse(lb, rec.rate, take.played(stimulus), None, &lb_cfg)
            .with_context(|| format!("{}: the loopback channel {ch}", take.rig))?;
        Ok((m, Some(l.latency_s - rec.lead_s)))
    }
}

/// The stimuli of one fit as they are measured.
#[derive(Default)]
struct Takes {
    seal: Option<Measurement>,
    quick: Option<Measurement>,
    recording: Option<Recording>,
}

impl Takes {
    fn put(&mut self, is_seal: bool, m: Measurement, rec: Recording) {
        self.recording.get_or_insert(rec);
        *if is_seal {
            &mut self.seal
        } else {
            &mut self.quick
        } = Some(m);
    }

    fn measured(self, isolation: Option<IsolationMeasured>, rig: RigInfo) -> Measured {
        Measured {
            seal: self.seal,
            quick: self.quick,
            isolation,
            rig,
            recording: self.recording,
            right: None,
        }
    }
}

impl Card {
    /// A session's microphone calibration, the stored calibration, level
    /// safety, then the devices.
    fn open(
        plan: &DevicePlan,
        rate: u32,
        analysis: &mut AnalysisConfig,
        confirm: &mut dyn Confirm,
        stop: &StopToken,
    ) -> Result<Self> {
        let mut lines = Vec::new();
        if let Some(path) = &plan.mic_cal {
            analysis
                .corrections
                .push(crate::formats::miccal::read(path)?);
            lines.push(format!(
                "microphone calibration {} subtracted",
                path.display()
            ));
        }
        let (cal, file) = device::stored_calibration(plan)?;
        let ceiling = device::check_level(plan, plan.level_dbfs, &cal, confirm)?;
        lines.extend(device::apply_calibration(&cal, rate, analysis));
        let rig = device::open_rig(plan, ceiling, &plan.input_channels(), rate, stop.clone())?;
        Ok(Self {
            markers: device::use_markers(plan.sync, &rig),
            rig,
            ceiling,
            calibration: CalibrationApplied {
                file,
                lines,
                spl: cal.spl,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rig::sim::TipPreset;

    fn quick_plan(rig: RigPlan) -> MeasurePlan {
        MeasurePlan {
            stimulus: StimulusPlan::single(true, 48_000, 1.0, None),
            rig,
            analysis: AnalysisConfig::default(),
            isolation: None,
        }
    }

    fn sim() -> SimPlan {
        SimPlan {
            config: SimConfig::preset(TipPreset::Foam),
            seed: 1,
        }
    }

    #[test]
    fn the_sim_names_a_sessions_preset_and_faults_start_at_their_fit() {
        let faults = FaultPlan {
            faults: vec!["dropout".parse().unwrap()],
            from_fit: 2,
            inner_channel: Channel::FIRST,
            sync: SyncMode::Auto,
        };
        let plan = quick_plan(RigPlan::Sim(sim()).with_faults(faults));
        let m = Measurer::new(plan, &mut NoOneToAsk, StopToken::new()).unwrap();
        let first = m.measure(None, None, &mut ()).unwrap();
        assert!(first.seal.is_none() && first.quick.is_some());
        let RigInfo::Sim(s) = &first.rig else {
            panic!("{:?}", first.rig)
        };
        assert_eq!((s.preset, s.seed, &s.streamed), (None, 1, &None));
        assert_eq!(first.recording.as_ref().unwrap().channels.len(), 1);
        let tip = Insertion::tip(TipPreset::Earbud, 9);
        let second = m.measure(Some(tip), None, &mut ()).unwrap();
        let RigInfo::Sim(s) = &second.rig else {
            panic!("{:?}", second.rig)
        };
        assert_eq!((s.preset, s.seed), (Some(TipPreset::Earbud), 9));
        assert_eq!(s.streamed.as_ref().map(|f| f.attempts), Some(2));
        assert!(s.description.contains("(faults: dropout=1)"));
        assert_eq!(second.recording.as_ref().unwrap().channels.len(), 2);
        assert!(s.truth.leak_corner_hz.is_some());
    }

    #[test]
    fn a_reference_needs_the_sweep() {
        let m = Measurer::new(
            quick_plan(RigPlan::Sim(sim())),
            &mut NoOneToAsk,
            StopToken::new(),
        )
        .unwrap();
        let e = m.reference(None).unwrap_err().to_string();
        assert!(e.contains("no sweep"), "{e}");
    }
}
