//! The session config file (TOML): what to measure, on which rig, with
//! which tips. `examples/session.toml` is the commented example; every key
//! has a documented default except `iem` and the tips.
//!
//! Parsing refuses unknown keys (a typo is an error, not a silent default)
//! and names the line, column and key of the problem.

use super::model::TipSpec;
use crate::analysis::{AnalysisConfig, ClockCheck, SealConfig};
use crate::dsp::grid::Smoothing;
use crate::measure::{
    DevicePlan, IsolationPlan, MeasurePlan, RigPlan, SimPlan, StimulusPlan, SyncMode,
};
use crate::rig::outside::OutsideNoise;
use crate::rig::sim::{Canal, NoiseLevel, SimConfig, SimTarget};
use crate::signal::RATE_RANGE_HZ;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A parsed session config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionConfig {
    /// The IEM measured.
    pub iem: String,
    /// Ear: left, right or both (recorded with the results).
    #[serde(default = "default_ear")]
    pub ear: Ear,
    /// The rig: "sim" (the simulated ear) or "device" (a sound card, set
    /// up in `[device]`).
    #[serde(default)]
    pub rig: RigChoice,
    /// Fits per tip (1 to 50).
    #[serde(default = "default_fits")]
    pub fits_per_tip: usize,
    /// Which measurements each fit gets.
    #[serde(default)]
    pub measurements: Measurements,
    /// Signal parameters.
    #[serde(default)]
    pub signal: SignalConfig,
    /// Verdict thresholds and bands.
    #[serde(default)]
    pub thresholds: Thresholds,
    /// Reference response.
    #[serde(default)]
    pub reference: ReferenceConfig,
    /// Optional target curve (REW text or AutoEq CSV), relative to the
    /// config file's folder.
    #[serde(default)]
    pub target: Option<PathBuf>,
    /// The tip the others are compared with in `compare`'s tip effect (one
    /// of the tips' names; default: the first tip).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<String>,
    /// Simulated-rig settings.
    #[serde(default)]
    pub sim: SimSettings,
    /// Sound-card settings (rig = "device").
    #[serde(default)]
    pub device: DevicePlan,
    /// The tips, in the order they are measured.
    #[serde(rename = "tip", default)]
    pub tips: Vec<TipSpec>,
}

/// Which ear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ear {
    /// Left ear (or the left coupler).
    Left,
    /// Right ear.
    Right,
    /// Both: left and right in every fit (on the sim two ears, on a sound
    /// card `[device] driver_channels` and `inner_channels`).
    Both,
}

impl Ear {
    /// The name stored in the config and the session (`left`, `right`,
    /// `both`).
    pub fn as_str(self) -> &'static str {
        match self {
            Ear::Left => "left",
            Ear::Right => "right",
            Ear::Both => "both",
        }
    }
}

impl std::fmt::Display for Ear {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Ear {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Which rig.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RigChoice {
    /// The simulated ear: each fit draws a new random insertion of the
    /// tip's `preset`.
    #[default]
    Sim,
    /// A sound card through cpal, set up in `[device]`.
    Device,
}

/// Which measurements each fit gets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Measurements {
    /// Seal sweep (frequency response, seal metrics).
    pub seal: bool,
    /// Quick multitone check (1 s).
    pub quick: bool,
    /// Passive isolation (insertion loss per band).
    pub isolation: bool,
}

impl Default for Measurements {
    fn default() -> Self {
        Self {
            seal: true,
            quick: false,
            isolation: true,
        }
    }
}

/// Signal parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SignalConfig {
    /// Sample rate, Hz.
    pub rate: u32,
    /// Sweep duration, s.
    pub sweep_duration_s: f64,
    /// Sweep peak level, dBFS.
    pub sweep_level_dbfs: f64,
    /// Smoothing of the stored responses: none, 1/48, 1/24, 1/12, 1/6, 1/3
    /// (any other value is refused when the config is read).
    pub smoothing: Smoothing,
    /// Outside noise duration for isolation, s.
    pub isolation_duration_s: f64,
    /// Outside noise level at the outer mic, dBFS RMS.
    pub isolation_level_dbfs: f64,
}

impl Default for SignalConfig {
    fn default() -> Self {
        Self {
            rate: 48_000,
            sweep_duration_s: 3.0,
            sweep_level_dbfs: -12.0,
            smoothing: Smoothing::None,
            isolation_duration_s: 3.0,
            isolation_level_dbfs: -20.0,
        }
    }
}

/// Thresholds and bands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// Bass band, Hz.
    pub bass_band_hz: [f64; 2],
    /// Midrange reference band, Hz.
    pub reference_band_hz: [f64; 2],
    /// Bass deficit below which a seal is good, dB.
    pub good_below_db: f64,
    /// ... fair, dB.
    pub fair_below_db: f64,
    /// ... poor (else no seal), dB.
    pub poor_below_db: f64,
    /// Two fits differing by more than this in a band below 1 kHz suggest a
    /// refit, dB.
    pub refit_db: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        let s = SealConfig::default();
        Self {
            bass_band_hz: [s.bass_band_hz.0, s.bass_band_hz.1],
            reference_band_hz: [s.reference_band_hz.0, s.reference_band_hz.1],
            good_below_db: s.good_below_db,
            fair_below_db: s.fair_below_db,
            poor_below_db: s.poor_below_db,
            refit_db: 2.5,
        }
    }
}

/// Reference response for bass loss and the leak fit.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReferenceConfig {
    /// How the reference is obtained.
    pub measure: ReferenceKind,
    /// With `measure = "file"`: a tipfit JSON or REW text response, relative
    /// to the config file's folder.
    pub file: Option<PathBuf>,
    /// With `measure = "file"` and `ear = "both"`: the right ear's sealed
    /// response (without it the right ear has no reference on a sound
    /// card, and the left ear's on the sim).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_right: Option<PathBuf>,
}

/// How the reference is obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReferenceKind {
    /// No reference: seal metrics from the response alone.
    #[default]
    None,
    /// Measure the IEM sealed (putty, or a coupler without leak) first.
    Sealed,
    /// Load `file`.
    File,
    /// After the session, compare against the fit with the most bass.
    BestFit,
}

/// Simulated-rig settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimSettings {
    /// Session seed: fit k of tip t draws its insertion from it.
    pub seed: u64,
    /// Background noise below the signal, dB.
    pub snr_db: f64,
    /// What the simulated IEM is measured on: "coupler" (an IEC 60318-4
    /// style ear simulator, the default), "ear" (a person's canal, drawn
    /// from `person`, with bone conduction) or "ideal" (no insertion
    /// physics: every sealed fit alike).
    pub target: SimTarget,
    /// With `target = "ear"`: whose ears (a seed; the same number, the
    /// same canals). Default: the session seed.
    pub person: Option<u64>,
    /// With `ear = "both"`: factor on the right ear's drawn leak
    /// resonance (1: both ears alike; 3: a right ear that leaks much more,
    /// to see an imbalance).
    pub right_leak_scale: f64,
    /// The simulated IEM follows this measured sealed response (REW,
    /// AutoEq, squig.link, tipfit JSON; relative to the config file)
    /// instead of the built-in shape.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iem_response: Option<PathBuf>,
}

impl Default for SimSettings {
    fn default() -> Self {
        Self {
            seed: 1,
            snr_db: 70.0,
            target: SimTarget::Coupler,
            person: None,
            right_leak_scale: 1.0,
            iem_response: None,
        }
    }
}

fn default_ear() -> Ear {
    Ear::Left
}

fn default_fits() -> usize {
    5
}

impl SessionConfig {
    /// Read and check a config file.
    pub fn load(path: &Path) -> Result<SessionConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read the session config", path.display()))?;
        let mut cfg =
            Self::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e:#}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let rebase = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        if let Some(t) = cfg.target.as_mut() {
            rebase(t);
        }
        if let Some(f) = cfg.reference.file.as_mut() {
            rebase(f);
        }
        if let Some(f) = cfg.reference.file_right.as_mut() {
            rebase(f);
        }
        if let Some(f) = cfg.device.mic_cal.as_mut() {
            rebase(f);
        }
        if let Some(f) = cfg.sim.iem_response.as_mut() {
            rebase(f);
        }
        Ok(cfg)
    }

    /// Parse and check config text.
    pub fn parse(text: &str) -> Result<SessionConfig> {
        let cfg: SessionConfig = toml::from_str(text)
            .map_err(|e| anyhow::anyhow!("invalid session config: {}", e.to_string().trim_end()))?;
        cfg.check()?;
        Ok(cfg)
    }

    fn check(&self) -> Result<()> {
        if self.iem.trim().is_empty() {
            bail!("key `iem`: give the IEM's name");
        }
        if self.tips.is_empty() {
            bail!("no tips: add at least one [[tip]] table with a `name`");
        }
        if !(1..=50).contains(&self.fits_per_tip) {
            bail!("key `fits_per_tip` = {}: give 1 to 50", self.fits_per_tip);
        }
        let m = &self.measurements;
        if !(m.seal || m.quick || m.isolation) {
            bail!("[measurements]: turn on at least one of seal, quick, isolation");
        }
        let mut seen = std::collections::HashSet::new();
        for (i, t) in self.tips.iter().enumerate() {
            if t.name.trim().is_empty() {
                bail!("[[tip]] number {}: `name` is empty", i + 1);
            }
            if !seen.insert(t.slug()) {
                bail!(
                    "[[tip]] '{}': another tip has the same name (or the same folder name '{}')",
                    t.name,
                    t.slug()
                );
            }
            if self.rig == RigChoice::Sim && t.preset.is_none() {
                bail!(
                    "[[tip]] '{}': on the sim rig each tip needs `preset` (one of {})",
                    t.name,
                    crate::rig::sim::TipPreset::ALL.map(|p| p.name()).join(", ")
                );
            }
        }
        if let Some(b) = &self.baseline {
            if !self.tips.iter().any(|t| &t.name == b) {
                let names: Vec<String> = self
                    .tips
                    .iter()
                    .map(|t| format!("\"{}\"", t.name))
                    .collect();
                bail!(
                    "key `baseline` = \"{b}\": not one of the tips; give one of {}",
                    names.join(", ")
                );
            }
        }
        self.check_signal()?;
        if !(self.sim.right_leak_scale > 0.0 && self.sim.right_leak_scale <= 1000.0) {
            bail!(
                "[sim] right_leak_scale = {}: give a factor above 0, up to 1000 (1: both ears alike)",
                self.sim.right_leak_scale
            );
        }
        let ear_channels =
            self.device.driver_channels.is_some() || self.device.inner_channels.is_some();
        if ear_channels && !(self.rig == RigChoice::Device && self.ear == Ear::Both) {
            bail!(
                "[device] driver_channels / inner_channels are for both ears at once on a sound card: \
                 set ear = \"both\" and rig = \"device\" (one ear uses driver_channel and inner_channel)"
            );
        }
        if self.rig == RigChoice::Device {
            self.device_plan()?;
        }
        if self.rig == RigChoice::Device {
            let d = &self.device;
            if !(-100.0..=0.0).contains(&d.level_dbfs) {
                bail!(
                    "[device] level_dbfs = {}: give -100 to 0 dBFS",
                    d.level_dbfs
                );
            }
            if self.measurements.isolation
                && (d.ambient_channel.is_none() || d.outer_channel.is_none())
            {
                bail!("[measurements] isolation on a sound card needs [device] ambient_channel (outside speaker) and outer_channel (outer mic)");
            }
        }
        match (self.reference.measure, &self.reference.file) {
            (ReferenceKind::File, None) => {
                bail!("[reference] measure = \"file\" needs `file = \"...\"`")
            }
            (k, Some(_)) if k != ReferenceKind::File => {
                bail!("[reference] `file` is given but `measure` is not \"file\"")
            }
            _ => {}
        }
        if self.reference.file_right.is_some() {
            if self.reference.measure != ReferenceKind::File {
                bail!("[reference] `file_right` is given but `measure` is not \"file\"")
            }
            if self.ear != Ear::Both {
                bail!("[reference] `file_right` is the right ear's reference: it needs ear = \"both\"")
            }
        }
        Ok(())
    }

    fn check_signal(&self) -> Result<()> {
        let s = &self.signal;
        if !RATE_RANGE_HZ.contains(&s.rate) {
            bail!(
                "[signal] rate = {}: give {} to {} Hz",
                s.rate,
                RATE_RANGE_HZ.start(),
                RATE_RANGE_HZ.end()
            );
        }
        if !(0.5..=30.0).contains(&s.sweep_duration_s) {
            bail!(
                "[signal] sweep_duration_s = {}: give 0.5 to 30 s",
                s.sweep_duration_s
            );
        }
        if !(-60.0..=0.0).contains(&s.sweep_level_dbfs) {
            bail!(
                "[signal] sweep_level_dbfs = {}: give -60 to 0",
                s.sweep_level_dbfs
            );
        }
        if !(3.0..=60.0).contains(&s.isolation_duration_s) {
            bail!(
                "[signal] isolation_duration_s = {}: give 3 to 60 s (the band analysis needs about 2.7 s of noise after the lead-in)",
                s.isolation_duration_s
            );
        }
        if !(-80.0..=-3.0).contains(&s.isolation_level_dbfs) {
            bail!(
                "[signal] isolation_level_dbfs = {}: give -80 to -3",
                s.isolation_level_dbfs
            );
        }
        let t = &self.thresholds;
        let band_ok = |b: [f64; 2]| b[0] >= 10.0 && b[0] < b[1] && b[1] <= 20_000.0;
        if !band_ok(t.bass_band_hz) || !band_ok(t.reference_band_hz) {
            bail!("[thresholds] bands must be [LOW, HIGH] within 10-20000 Hz with LOW < HIGH");
        }
        if t.bass_band_hz[1] > t.reference_band_hz[0] {
            bail!("[thresholds] bass_band_hz must lie below reference_band_hz");
        }
        if !(0.0 < t.good_below_db
            && t.good_below_db < t.fair_below_db
            && t.fair_below_db < t.poor_below_db)
        {
            bail!("[thresholds] need 0 < good_below_db < fair_below_db < poor_below_db");
        }
        if !(t.refit_db > 0.0 && t.refit_db < 40.0) {
            bail!(
                "[thresholds] refit_db = {}: give a value between 0 and 40 dB",
                t.refit_db
            );
        }
        Ok(())
    }

    /// The analysis settings this config asks for.
    pub fn analysis(&self) -> AnalysisConfig {
        let t = &self.thresholds;
        let mut cfg = AnalysisConfig {
            smoothing: self.signal.smoothing,
            ..AnalysisConfig::default()
        };
        cfg.seal.bass_band_hz = (t.bass_band_hz[0], t.bass_band_hz[1]);
        cfg.seal.reference_band_hz = (t.reference_band_hz[0], t.reference_band_hz[1]);
        cfg.seal.good_below_db = t.good_below_db;
        cfg.seal.fair_below_db = t.fair_below_db;
        cfg.seal.poor_below_db = t.poor_below_db;
        cfg
    }

    /// The simulated canal of one ear (`side` 0 left, 1 right): the
    /// coupler's, or on the `ear` target the person's.
    pub fn sim_canal(&self, side: u8) -> Option<Canal> {
        match self.sim.target {
            SimTarget::Ear => Some(Canal::person(
                self.sim.person.unwrap_or(self.sim.seed),
                side,
            )),
            SimTarget::Coupler => Some(Canal::coupler()),
            SimTarget::Ideal => None,
        }
    }

    /// The simulated ear of this session's plan, and with
    /// `[sim] iem_response` how closely its IEM follows the file.
    pub fn sim_config(&self) -> Result<(SimConfig, Option<crate::rig::sim::follow::Followed>)> {
        let mut config = SimConfig {
            noise: Some(NoiseLevel::BelowSignal(self.sim.snr_db)),
            target: self.sim.target,
            canal: self.sim_canal(0),
            ..SimConfig::default()
        };
        let followed = match &self.sim.iem_response {
            Some(path) => {
                let file = crate::formats::response::load(path)?;
                let fit = config
                    .follow(&file, self.signal.rate as f64)
                    .map_err(|e| anyhow::anyhow!("[sim] iem_response: {}: {e}", path.display()))?;
                Some(fit)
            }
            None => None,
        };
        Ok((config, followed))
    }

    /// The sound card's plan: `[device]`, with both ears' channels
    /// ([`DevicePlan::for_both_ears`]) when `ear = "both"`.
    pub fn device_plan(&self) -> Result<DevicePlan> {
        match self.ear {
            Ear::Both => self
                .device
                .clone()
                .for_both_ears(["[device] driver_channels", "[device] inner_channels"]),
            _ => Ok(self.device.clone()),
        }
    }

    /// What each fit of this session measures. On the sim the plan holds
    /// the ear and the session seed; each fit is an
    /// [`Insertion`](crate::measure::Insertion) of its tip's preset.
    pub fn measure_plan(&self) -> Result<MeasurePlan> {
        let s = &self.signal;
        let device = self.rig == RigChoice::Device;
        let level = match device {
            true => self.device.level_dbfs,
            false => s.sweep_level_dbfs,
        };
        let sweep = StimulusPlan::sweep(s.rate, s.sweep_duration_s, Some(level));
        sweep
            .validate()
            .context("[signal]: cannot make the sweep")?;
        let quick = self
            .measurements
            .quick
            .then(|| StimulusPlan::quick(s.rate, device.then_some(level)));
        if let Some(q) = &quick {
            q.validate()
                .context("[signal]: cannot make the multitone")?;
        }
        let mut analysis = self.analysis();
        let rig = match self.rig {
            RigChoice::Sim => RigPlan::Sim(SimPlan {
                config: self.sim_config()?.0,
                seed: self.sim.seed,
            }),
            RigChoice::Device => {
                if self.device.sync == SyncMode::Off {
                    // no markers, and no drift estimated from the recording
                    analysis.clock = ClockCheck::Off;
                }
                RigPlan::Device(self.device_plan()?)
            }
        };
        let isolation = self.measurements.isolation.then(|| IsolationPlan {
            noise: OutsideNoise {
                level_dbfs: s.isolation_level_dbfs,
                duration_s: s.isolation_duration_s,
                ..OutsideNoise::default()
            },
            both_methods: false,
        });
        Ok(MeasurePlan {
            stimulus: StimulusPlan {
                sweep: Some(sweep),
                seal: self.measurements.seal,
                quick,
            },
            rig,
            analysis,
            isolation,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
iem = "Test IEM"
[[tip]]
name = "Foam M"
preset = "foam"
"#;

    #[test]
    fn minimal_config_takes_the_documented_defaults() {
        let c = SessionConfig::parse(MINIMAL).unwrap();
        assert_eq!(c.fits_per_tip, 5);
        assert_eq!(c.ear, Ear::Left);
        assert!(c.measurements.seal && c.measurements.isolation && !c.measurements.quick);
        assert_eq!(c.signal.rate, 48_000);
        assert_eq!(c.thresholds.refit_db, 2.5);
        assert_eq!(c.reference.measure, ReferenceKind::None);
    }

    #[test]
    fn a_typo_names_line_and_key() {
        let e = SessionConfig::parse(&format!("{MINIMAL}fits_per_tp = 3\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 6") && e.contains("fits_per_tp"), "{e}");
    }

    #[test]
    fn unknown_preset_lists_the_known_ones() {
        let e = SessionConfig::parse(&MINIMAL.replace("\"foam\"", "\"gel\""))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("line 5") && e.contains("gel") && e.contains("silicone-m"),
            "{e}"
        );
    }

    #[test]
    fn device_settings_become_a_plan_and_channel_0_is_refused() {
        let text =
            format!("rig = \"device\"\n{MINIMAL}[measurements]\nisolation = false\n[device]\ninner_channel = 2\nsync = \"off\"\n");
        let c = SessionConfig::parse(&text).unwrap();
        let plan = c.measure_plan().unwrap();
        match &plan.rig {
            RigPlan::Device(d) => {
                assert_eq!((d.inner_channel.get(), d.sync), (2, SyncMode::Off));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(plan.analysis.clock, ClockCheck::Off);
        let e = SessionConfig::parse(&text.replace("= 2", "= 0"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(crate::rig::channel::CHANNELS_COUNT_FROM_1),
            "{e}"
        );
        let e = SessionConfig::parse(&text.replace("\"off\"", "\"maybe\""))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("[device] sync = \"maybe\": give \"auto\", \"on\" or \"off\""),
            "{e}"
        );
    }

    #[test]
    fn smoothing_takes_the_documented_spellings_only() {
        let with =
            |v: &str| SessionConfig::parse(&format!("{MINIMAL}[signal]\nsmoothing = \"{v}\"\n"));
        assert_eq!(
            with("1/12").unwrap().signal.smoothing,
            Smoothing::Octave(12)
        );
        assert_eq!(with("none").unwrap().analysis().smoothing, Smoothing::None);
        let e = with("1/5").unwrap_err().to_string();
        assert!(
            e.contains("line 7") && e.contains("smoothing") && e.contains(Smoothing::ACCEPTED),
            "{e}"
        );
    }

    /// `baseline` names a tip (default: none, the first tip); any other
    /// name is refused with the key, the tips and, read from a file, the
    /// file's name.
    #[test]
    fn baseline_must_be_one_of_the_tips() {
        assert_eq!(SessionConfig::parse(MINIMAL).unwrap().baseline, None);
        let two = format!("{MINIMAL}[[tip]]\nname = \"Stock\"\npreset = \"silicone-m\"\n");
        let c = SessionConfig::parse(&format!("baseline = \"Stock\"\n{two}")).unwrap();
        assert_eq!(c.baseline.as_deref(), Some("Stock"));
        let e = SessionConfig::parse(&format!("baseline = \"stock\"\n{two}"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`baseline` = \"stock\"") && e.contains("\"Foam M\", \"Stock\""),
            "{e}"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("aria.toml");
        std::fs::write(&path, format!("baseline = \"Final E\"\n{two}")).unwrap();
        let e = format!("{:#}", SessionConfig::load(&path).unwrap_err());
        assert!(
            e.contains("aria.toml") && e.contains("`baseline` = \"Final E\""),
            "{e}"
        );
    }

    #[test]
    fn bad_values_are_refused_with_the_key() {
        for (extra, key) in [
            ("fits_per_tip = 0\n", "fits_per_tip"),
            ("[signal]\nrate = 1000\n", "rate"),
            ("[thresholds]\ngood_below_db = 9\n", "good_below_db"),
            ("[reference]\nmeasure = \"file\"\n", "file"),
        ] {
            let text = if extra.starts_with('[') {
                format!("{MINIMAL}{extra}")
            } else {
                format!("{extra}{MINIMAL}")
            };
            let e = SessionConfig::parse(&text).unwrap_err().to_string();
            assert!(e.contains(key), "{extra}: {e}");
        }
    }
}
