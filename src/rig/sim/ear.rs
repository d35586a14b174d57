//! The simulated rig: an IEM driver, an ear canal or coupler with a leak,
//! and a microphone with the usual imperfections. Seeded and deterministic;
//! its exact truth ([`SimRig::truth_response`], [`SimRig::truth_thd_percent`],
//! [`SimRig::leak`]) is what the accuracy tests measure against.
//!
//! Signal path: stimulus -> driver nonlinearity (2nd and 3rd order
//! polynomial) -> driver response (biquads) -> leak high-pass
//! (`acoustics::Leak`) -> canal volume and mic gain -> latency -> recorder
//! clock drift (band-limited resampling) -> background pink noise -> ADC
//! clipping at the clip level.

use super::insertion::{Canal, InsertionDraw, SimTarget};
use crate::acoustics::Leak;
use crate::dsp::biquad::{chain_response, AnalogBiquad, Biquad};
use crate::dsp::{from_db, resample, Complex64};
use crate::rig::{Recording, Rig};
use crate::signal::{NoiseColour, NoiseParams, Stimulus};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Ear tips the simulator knows, with documented leak statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum TipPreset {
    /// Memory foam: seals almost always (leak f0 3 Hz, resistive).
    Foam,
    /// Silicone, right size: good seal (leak f0 9 Hz).
    SiliconeM,
    /// Silicone, too small: leaky (leak f0 180 Hz, spread +-20 %).
    SiliconeS,
    /// Double flange (leak f0 6 Hz).
    DoubleFlange,
    /// Triple flange (leak f0 4 Hz).
    TripleFlange,
    /// Custom mold (leak f0 2 Hz).
    CustomMold,
    /// An earbud resting in the concha: no seal (leak f0 2 kHz).
    Earbud,
}

/// Leak statistics of a preset: median f0, log-normal spread of f0 over
/// insertions, damping.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeakStats {
    /// Median leak resonance, Hz.
    pub f0_hz: f64,
    /// Standard deviation of ln(f0) over insertions.
    pub f0_log_sd: f64,
    /// Damping (zeta) of the leak.
    pub zeta: f64,
}

impl TipPreset {
    /// All presets, in a stable order.
    pub const ALL: [TipPreset; 7] = [
        TipPreset::Foam,
        TipPreset::SiliconeM,
        TipPreset::SiliconeS,
        TipPreset::DoubleFlange,
        TipPreset::TripleFlange,
        TipPreset::CustomMold,
        TipPreset::Earbud,
    ];

    /// The preset's name as typed on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            TipPreset::Foam => "foam",
            TipPreset::SiliconeM => "silicone-m",
            TipPreset::SiliconeS => "silicone-s",
            TipPreset::DoubleFlange => "double-flange",
            TipPreset::TripleFlange => "triple-flange",
            TipPreset::CustomMold => "custom-mold",
            TipPreset::Earbud => "earbud",
        }
    }

    /// Leak statistics over insertions.
    pub fn leak_stats(&self) -> LeakStats {
        let (f0_hz, f0_log_sd, zeta) = match self {
            TipPreset::Foam => (3.0, 0.2, 2.0),
            TipPreset::SiliconeM => (9.0, 0.2, 0.7),
            TipPreset::SiliconeS => (180.0, 0.2, 0.5),
            TipPreset::DoubleFlange => (6.0, 0.2, 0.9),
            TipPreset::TripleFlange => (4.0, 0.2, 1.0),
            TipPreset::CustomMold => (2.0, 0.1, 1.0),
            TipPreset::Earbud => (2000.0, 0.15, 0.3),
        };
        LeakStats {
            f0_hz,
            f0_log_sd,
            zeta,
        }
    }

    /// Draw one insertion's leak.
    pub fn draw_leak(&self, rng: &mut ChaCha8Rng) -> Leak {
        let s = self.leak_stats();
        let z = standard_normal(rng);
        let z2 = standard_normal(rng);
        Leak {
            f0_hz: s.f0_hz * (s.f0_log_sd * z).exp(),
            zeta: s.zeta * (0.1 * z2).exp(),
        }
    }
}

/// One standard normal draw (Box-Muller), for the insertions' spreads.
pub(super) fn standard_normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.gen::<f64>().max(1e-300);
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// The simulated IEM driver's sealed response, as documented parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Driver {
    /// Low-frequency limit (2nd-order high-pass, e.g. the DAC's coupling), Hz.
    pub low_cut_hz: f64,
    /// Bass shelf below `bass_shelf_hz`, dB (0 for a bass-flat IEM).
    pub bass_shelf_db: f64,
    /// Corner of the bass shelf, Hz.
    pub bass_shelf_hz: f64,
    /// Ear-gain peak (centre Hz, Q, gain dB).
    pub presence: (f64, f64, f64),
    /// Treble (coupler resonance) peak (centre Hz, Q, gain dB).
    pub treble_peak: (f64, f64, f64),
    /// Treble roll-off (2nd-order low-pass), Hz.
    pub high_cut_hz: f64,
    /// Second harmonic in % of the fundamental at 0 dBFS drive.
    pub h2_percent: f64,
    /// Third harmonic in % of the fundamental at 0 dBFS drive.
    pub h3_percent: f64,
    /// Peaking filters (centre Hz, Q, gain dB) fitted to a measured
    /// response ([`SimConfig::follow`]); empty for the documented shape.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub peaks: Vec<(f64, f64, f64)>,
}

impl Default for Driver {
    fn default() -> Self {
        Self {
            low_cut_hz: 3.0,
            bass_shelf_db: 0.0,
            bass_shelf_hz: 120.0,
            presence: (3000.0, 1.0, 8.0),
            treble_peak: (8200.0, 4.0, 5.0),
            high_cut_hz: 17_000.0,
            h2_percent: 0.0,
            h3_percent: 0.0,
            peaks: Vec::new(),
        }
    }
}

impl Driver {
    /// The driver's filters at `rate` (without the leak or the gain).
    pub fn chain(&self, rate: f64) -> Vec<Biquad> {
        self.chain_with(rate, true)
    }

    /// The driver's filters; without `treble_peak` when the insertion
    /// physics ([`super::insertion`]) supplies the canal's resonances.
    pub fn chain_with(&self, rate: f64, treble_peak: bool) -> Vec<Biquad> {
        let q = std::f64::consts::FRAC_1_SQRT_2;
        let mut v = vec![
            AnalogBiquad::highpass(self.low_cut_hz, q),
            AnalogBiquad::peaking(self.presence.0, self.presence.1, self.presence.2),
            AnalogBiquad::lowpass(self.high_cut_hz.min(0.45 * rate), 0.6),
        ];
        if treble_peak {
            v.push(AnalogBiquad::peaking(
                self.treble_peak.0,
                self.treble_peak.1,
                self.treble_peak.2,
            ));
        }
        if self.bass_shelf_db != 0.0 {
            v.push(AnalogBiquad::low_shelf(
                self.bass_shelf_hz,
                self.bass_shelf_db,
            ));
        }
        let mut chain: Vec<Biquad> = v.iter().map(|a| a.to_digital(rate)).collect();
        chain.extend(super::follow::peak_chain(&self.peaks, rate));
        chain
    }

    /// Polynomial coefficients (a2, a3) of `x + a2 x^2 + a3 x^3`, chosen so
    /// a full-scale sine gives `h2_percent` and `h3_percent`.
    fn poly(&self) -> (f64, f64) {
        (2.0 * self.h2_percent / 100.0, 4.0 * self.h3_percent / 100.0)
    }
}

/// How the ear is sealed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Fit {
    /// A preset; each insertion draws a new leak.
    Preset(TipPreset),
    /// A fixed leak (for tests and explicit parameters).
    Leak(Leak),
    /// No leak at all.
    Sealed,
}

/// Background noise level.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum NoiseLevel {
    /// Pink noise at this many dB below the RMS of the recorded stimulus.
    BelowSignal(f64),
    /// Pink noise at this RMS level in dBFS.
    Dbfs(f64),
}

/// Delay between playback and recording.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Latency {
    /// A fixed number of samples.
    Samples(usize),
    /// Uniformly random from 0 up to this many seconds, drawn per measurement.
    Random(f64),
}

/// Everything the simulated rig does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimConfig {
    /// The IEM driver.
    pub driver: Driver,
    /// The seal.
    pub fit: Fit,
    /// Canal (or coupler) volume, cm^3; levels scale with 1.26 / V.
    pub canal_volume_cm3: f64,
    /// Overall gain from stimulus to recording at mid frequencies, dB.
    pub gain_db: f64,
    /// Latency.
    pub latency: Latency,
    /// Background noise (`None`: noiseless).
    pub noise: Option<NoiseLevel>,
    /// Recorder clock error, ppm (positive: the recorder runs fast).
    pub drift_ppm: f64,
    /// Recorder full scale: samples beyond +-this are clipped.
    pub clip_level: f64,
    /// Extra recording after the stimulus ends, seconds.
    pub extra_record_s: f64,
    /// Transmission through the tip body (`None`: the preset's, or
    /// silicone's for an explicit leak).
    pub tip_body: Option<super::outside::TipBody>,
    /// What the IEM is measured on: `Ideal` (no insertion physics, the
    /// default), a coupler or a human ear ([`super::insertion`]).
    #[serde(default)]
    pub target: SimTarget,
    /// The canal (`None`: the target's own: the coupler's, or an average
    /// person's for the ear). Sessions draw one per person and ear.
    #[serde(default)]
    pub canal: Option<Canal>,
    /// Factor on a preset's drawn leak resonance (1: its statistics; above
    /// 1: a leakier ear, as in a session's `right_leak_scale`).
    #[serde(default = "unit")]
    pub leak_scale: f64,
}

fn unit() -> f64 {
    1.0
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            driver: Driver::default(),
            fit: Fit::Sealed,
            canal_volume_cm3: 1.26,
            gain_db: -6.0,
            latency: Latency::Samples(480),
            noise: Some(NoiseLevel::BelowSignal(70.0)),
            drift_ppm: 0.0,
            clip_level: 1.0,
            extra_record_s: 0.2,
            tip_body: None,
            target: SimTarget::Ideal,
            canal: None,
            leak_scale: 1.0,
        }
    }
}

impl SimConfig {
    /// Make the driver follow `file`, a measured sealed response (REW,
    /// AutoEq, squig.link): its presence, treble and bass shapes are
    /// replaced by peaking filters fitted at `rate` so that a sealed fit at
    /// the nominal insertion of this target and canal has the file's shape
    /// (see [`super::follow`]). Returns how well it followed.
    pub fn follow(
        &mut self,
        file: &crate::analysis::FrequencyResponse,
        rate: f64,
    ) -> anyhow::Result<super::follow::Followed> {
        let plain = Driver {
            presence: (self.driver.presence.0, self.driver.presence.1, 0.0),
            treble_peak: (self.driver.treble_peak.0, self.driver.treble_peak.1, 0.0),
            bass_shelf_db: 0.0,
            peaks: Vec::new(),
            ..self.driver.clone()
        };
        let ideal = self.target == SimTarget::Ideal;
        let mut base = plain.chain_with(rate, ideal);
        let mut own = self.driver.chain_with(rate, ideal);
        if !ideal {
            let nominal = InsertionDraw::nominal(TipPreset::SiliconeM, &self.canal(), self.target);
            base.extend(nominal.chain(rate));
            own.extend(nominal.chain(rate));
        }
        let mut fit = super::follow::follow(file, &base, rate)?;
        // a file with a higher peak than the sim's own IEM (relative to its
        // mids) would clip the recording at the sim's level: lower the level
        let mut followed = base;
        followed.extend(super::follow::peak_chain(&fit.peaks, rate));
        let excess = super::follow::peak_db(&followed, rate) - super::follow::peak_db(&own, rate);
        if excess > 0.0 {
            self.gain_db -= excess;
            fit.lowered_db = excess;
        }
        self.driver = Driver {
            peaks: fit.peaks.clone(),
            ..plain
        };
        Ok(fit)
    }

    /// The default rig with a preset tip.
    pub fn preset(preset: TipPreset) -> Self {
        Self {
            fit: Fit::Preset(preset),
            ..Self::default()
        }
    }

    /// The canal the tip goes into on this target.
    pub fn canal(&self) -> Canal {
        self.canal.unwrap_or(match self.target {
            SimTarget::Ear => Canal::person(0, 0),
            _ => Canal::coupler(),
        })
    }
}

/// The simulated rig.
#[derive(Debug, Clone)]
pub struct SimRig {
    config: SimConfig,
    seed: u64,
    leak: Option<Leak>,
    insertion: Option<InsertionDraw>,
    /// Seed of the background noise (and random latency) of the next
    /// measurement; it counts up after each one.
    pub noise_seed: u64,
}

impl SimRig {
    /// A rig; with a preset, `seed` draws the insertion (the leak).
    pub fn new(config: SimConfig, seed: u64) -> Self {
        let mut leak = match config.fit {
            Fit::Preset(p) => Some(p.draw_leak(&mut ChaCha8Rng::seed_from_u64(seed))),
            Fit::Leak(l) => Some(l),
            Fit::Sealed => None,
        };
        let insertion = (config.target != SimTarget::Ideal).then(|| {
            let canal = config.canal();
            match config.fit {
                Fit::Preset(p) => InsertionDraw::draw(p, &canal, config.target, seed),
                // an explicit leak or the sealed reference: a medium
                // silicone tip at its nominal depth
                _ => InsertionDraw::nominal(TipPreset::SiliconeM, &canal, config.target),
            }
        });
        if let (Fit::Preset(p), Some(ins), Some(l)) = (config.fit, &insertion, leak.as_mut()) {
            // the leak's resonance in this residual volume; a real ear's
            // soft, varied canal spreads the seal more than a coupler
            let mut f0 = ins.leak_f0(l.f0_hz);
            if config.target == SimTarget::Ear {
                let s = p.leak_stats();
                f0 = s.f0_hz * (f0 / s.f0_hz).powf(1.5);
            }
            l.f0_hz = f0;
        }
        if let (Fit::Preset(_), Some(l)) = (config.fit, leak.as_mut()) {
            l.f0_hz *= config.leak_scale;
        }
        Self {
            config,
            seed,
            leak,
            insertion,
            noise_seed: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(1),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// Change the configuration but keep this insertion (the leak) and
    /// the noise seed (the fault injector sets latency, drift and length
    /// per attempt).
    pub fn config_mut(&mut self) -> &mut SimConfig {
        &mut self.config
    }

    /// This insertion's leak (`None`: perfectly sealed).
    pub fn leak(&self) -> Option<Leak> {
        self.leak
    }

    /// This insertion's physics (`None` on the ideal target).
    pub fn insertion(&self) -> Option<&InsertionDraw> {
        self.insertion.as_ref()
    }

    /// Draw a new insertion of the same preset (a refit).
    pub fn reinsert(&mut self, seed: u64) {
        *self = Self::new(self.config.clone(), seed);
    }

    fn linear_gain(&self) -> f64 {
        match &self.insertion {
            // the residual volume is a low shelf in the canal's chain
            Some(_) => from_db(self.config.gain_db),
            None => from_db(self.config.gain_db) * 1.26 / self.config.canal_volume_cm3,
        }
    }

    fn chain(&self, rate: f64) -> Vec<Biquad> {
        let mut chain = self
            .config
            .driver
            .chain_with(rate, self.insertion.is_none());
        if let Some(ins) = &self.insertion {
            chain.extend(ins.chain(rate));
        }
        if let Some(leak) = self.leak {
            chain.push(leak.bass_filter().to_digital(rate));
        }
        chain
    }

    /// Exact linear transfer function from stimulus to recording at
    /// `freq_hz` (without latency, drift or the small change of the
    /// fundamental by the 3rd-order term).
    pub fn truth_response(&self, freq_hz: f64, rate: u32) -> Complex64 {
        chain_response(&self.chain(rate as f64), freq_hz) * self.linear_gain()
    }

    /// Exact THD in % at `freq_hz` for a sine of peak `amplitude` (full
    /// scale 1.0): `sqrt(|c2 H(2f)|^2 + |c3 H(3f)|^2) / |c1 H(f)|`.
    pub fn truth_thd_percent(&self, freq_hz: f64, amplitude: f64, rate: u32) -> f64 {
        let (a2, a3) = self.config.driver.poly();
        let a = amplitude;
        let c1 = a + 0.75 * a3 * a.powi(3);
        let c2 = 0.5 * a2 * a * a;
        let c3 = 0.25 * a3 * a.powi(3);
        let chain = self.chain(rate as f64);
        let h = |f: f64| chain_response(&chain, f).norm();
        100.0 * ((c2 * h(2.0 * freq_hz)).powi(2) + (c3 * h(3.0 * freq_hz)).powi(2)).sqrt()
            / (c1 * h(freq_hz))
    }

    fn latency_samples(&self, rate: f64, rng: &mut ChaCha8Rng) -> usize {
        match self.config.latency {
            Latency::Samples(n) => n,
            Latency::Random(max_s) => (rng.gen::<f64>() * max_s * rate).round() as usize,
        }
    }

    /// Simulate one measurement; returns the recording and the latency used.
    pub fn simulate(&mut self, stimulus: &Stimulus) -> (Recording, usize) {
        let rate = stimulus.rate as f64;
        let mut rng = ChaCha8Rng::seed_from_u64(self.noise_seed);
        let noise_seed = self.noise_seed;
        self.noise_seed = self.noise_seed.wrapping_add(1);
        let latency = self.latency_samples(rate, &mut rng);
        let extra = (self.config.extra_record_s * rate).round() as usize;
        let (a2, a3) = self.config.driver.poly();
        let mut y = vec![0.0f64; latency];
        y.extend(stimulus.samples.iter().map(|&v| {
            let x = v as f64;
            x + a2 * x * x + a3 * x * x * x
        }));
        y.resize(y.len() + extra, 0.0);
        for bq in self.chain(rate) {
            bq.process(&mut y);
        }
        let g = self.linear_gain();
        y.iter_mut().for_each(|v| *v *= g);
        if self.config.drift_ppm != 0.0 {
            y = resample::drift(&y, self.config.drift_ppm);
        }
        if let Some(level) = self.config.noise {
            self.add_noise(&mut y, stimulus, latency, level, noise_seed);
        }
        let clip = self.config.clip_level;
        let samples = y.iter().map(|v| v.clamp(-clip, clip) as f32).collect();
        let rec = Recording {
            channels: vec![samples],
            rate: stimulus.rate,
            lead_s: 0.0,
        };
        (rec, latency)
    }

    fn add_noise(
        &self,
        y: &mut [f64],
        stimulus: &Stimulus,
        latency: usize,
        level: NoiseLevel,
        seed: u64,
    ) {
        let rms_db = match level {
            NoiseLevel::Dbfs(db) => db,
            NoiseLevel::BelowSignal(snr) => {
                let s = &stimulus.samples;
                let first = s.iter().position(|v| *v != 0.0).unwrap_or(0) + latency;
                let last =
                    (s.iter().rposition(|v| *v != 0.0).unwrap_or(0) + latency).min(y.len() - 1);
                let span = &y[first..=last.max(first)];
                let rms = (span.iter().map(|v| v * v).sum::<f64>() / span.len() as f64).sqrt();
                crate::dsp::db(rms) - snr
            }
        };
        let params = NoiseParams {
            colour: NoiseColour::Pink,
            duration_s: y.len() as f64 / stimulus.rate as f64,
            rate: stimulus.rate,
            level_dbfs: -20.0,
            seed,
            period: None,
        };
        let noise = params.generate().expect("valid noise parameters");
        let g = from_db(rms_db + 20.0);
        for (v, n) in y.iter_mut().zip(&noise.samples) {
            *v += g * *n as f64;
        }
    }
}

impl Rig for SimRig {
    fn play_and_record(&mut self, stimulus: &Stimulus) -> anyhow::Result<Recording> {
        Ok(self.simulate(stimulus).0)
    }

    fn describe(&self) -> String {
        let fit = match self.config.fit {
            Fit::Preset(p) => p.name().to_string(),
            Fit::Leak(l) => format!("leak f0 {:.1} Hz, zeta {:.2}", l.f0_hz, l.zeta),
            Fit::Sealed => "sealed".into(),
        };
        format!("sim: {fit}, seed {}", self.seed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::SweepParams;

    #[test]
    fn preset_insertions_vary_but_repeat_with_the_seed() {
        let a = SimRig::new(SimConfig::preset(TipPreset::SiliconeS), 1)
            .leak()
            .unwrap();
        let b = SimRig::new(SimConfig::preset(TipPreset::SiliconeS), 1)
            .leak()
            .unwrap();
        let c = SimRig::new(SimConfig::preset(TipPreset::SiliconeS), 2)
            .leak()
            .unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn recording_holds_latency_stimulus_and_extra() {
        let stim = SweepParams {
            duration_s: 0.5,
            ..SweepParams::default()
        }
        .generate()
        .unwrap();
        let mut rig = SimRig::new(SimConfig::default(), 3);
        let (rec, latency) = rig.simulate(&stim);
        assert_eq!(latency, 480);
        assert_eq!(rec.channels[0].len(), stim.samples.len() + 480 + 9600);
    }

    #[test]
    fn leaky_preset_loses_bass_in_the_truth() {
        let sealed = SimRig::new(SimConfig::preset(TipPreset::Foam), 1);
        let leaky = SimRig::new(SimConfig::preset(TipPreset::Earbud), 1);
        let loss = |r: &SimRig, f| crate::dsp::db(r.truth_response(f, 48_000).norm());
        assert!(loss(&sealed, 50.0) - loss(&leaky, 50.0) > 30.0);
        assert!((loss(&sealed, 12_000.0) - loss(&leaky, 12_000.0)).abs() < 0.5);
    }
}
