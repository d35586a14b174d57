//! The simulated ear for the monitor: a continuous stream through the sim
//! rig's driver, a leak that follows a [`Schedule`], a little pink noise and
//! the rig's gain.
//!
//! The period loops forever. Samples go through the driver chain (the same
//! biquads as [`crate::rig::sim`]'s driver) and the leak high-pass
//! ([`Leak::bass_filter`]), in blocks of 5 ms: at each block the leak's
//! coefficients are recomputed for the block's mid time, while every filter
//! keeps its state from block to block, so a change of fit does not click.
//! Blocks are fixed in recording time (not by how much is read), so the same
//! seed and schedule give the same samples however they are read.
//!
//! Unless `fast`, reads are paced to the wall clock (a read returns when its
//! last sample would have been recorded), so the CPU mostly sleeps. The
//! exact truth at any time ([`SimMonitorSource::truth_leak_at`],
//! [`SimMonitorSource::truth_metrics_at`]) is what the tests compare with.

use super::schedule::Schedule;
use super::MonitorSource;
use crate::acoustics::Leak;
use crate::analysis::seal::{seal_metrics, SealConfig, SealMetrics, Verdict};
use crate::analysis::FrequencyResponse;
use crate::dsp::biquad::Biquad;
use crate::dsp::{db, from_db};
use crate::rig::sim::{Driver, Fit, SimConfig, SimRig};
use crate::signal::MultitoneParams;
use anyhow::{bail, Result};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::{Duration, Instant};

/// The simulated rig's settings for the monitor.
#[derive(Debug, Clone, PartialEq)]
pub struct SimMonitorConfig {
    /// The IEM driver (its linear part: the monitor plays quietly).
    pub driver: Driver,
    /// Overall gain from stimulus to recording at mid frequencies, dB
    /// (`f64::NEG_INFINITY`: a muted microphone).
    pub gain_db: f64,
    /// Canal (or coupler) volume, cm^3; levels scale with 1.26 / V.
    pub canal_volume_cm3: f64,
    /// Delay from playback to recording, s.
    pub latency_s: f64,
    /// Pink background noise this many dB below the recorded (sealed)
    /// signal's RMS (`None`: noiseless).
    pub noise_below_db: Option<f64>,
    /// Recorder full scale: samples beyond +-this are clipped.
    pub clip_level: f64,
    /// Length of the blocks over which the leak is held constant, s.
    pub block_s: f64,
}

impl Default for SimMonitorConfig {
    fn default() -> Self {
        Self {
            driver: Driver::default(),
            gain_db: -6.0,
            canal_volume_cm3: 1.26,
            latency_s: 0.01,
            noise_below_db: Some(70.0),
            clip_level: 1.0,
            block_s: 0.005,
        }
    }
}

/// Transposed direct form II state of one biquad.
#[derive(Debug, Clone, Copy, Default)]
struct State(f64, f64);

impl State {
    #[inline]
    fn step(&mut self, bq: &Biquad, x: f64) -> f64 {
        let y = bq.b[0] * x + self.0;
        self.0 = bq.b[1] * x - bq.a[0] * y + self.1;
        self.1 = bq.b[2] * x - bq.a[1] * y;
        y
    }
}

/// Pink noise, one sample at a time: white noise through Paul Kellet's
/// three-pole "economy" filter, scaled to unit RMS.
#[derive(Debug, Clone)]
struct Pink {
    rng: ChaCha8Rng,
    poles: [f64; 3],
    state: [f64; 3],
    scale: f64,
}

impl Pink {
    const POLES: [f64; 3] = [0.99765, 0.963, 0.57];
    const GAINS: [f64; 4] = [0.099_046, 0.296_516_4, 1.052_691_3, 0.1848];

    fn new(seed: u64) -> Self {
        // Exact variance of the filter for unit-variance white input:
        // sum over pairs of c_k c_l / (1 - p_k p_l), with a pole 0 for the
        // direct path.
        let p = [Self::POLES[0], Self::POLES[1], Self::POLES[2], 0.0];
        let c = Self::GAINS;
        let mut var = 0.0;
        for k in 0..4 {
            for l in 0..4 {
                var += c[k] * c[l] / (1.0 - p[k] * p[l]);
            }
        }
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
            poles: Self::POLES,
            state: [0.0; 3],
            scale: 1.0 / var.sqrt(),
        }
    }

    #[inline]
    fn next(&mut self) -> f64 {
        // Uniform on [-sqrt 3, sqrt 3]: unit variance.
        let w = (self.rng.gen::<f64>() * 2.0 - 1.0) * 3f64.sqrt();
        let mut out = Self::GAINS[3] * w;
        for k in 0..3 {
            self.state[k] = self.poles[k] * self.state[k] + Self::GAINS[k] * w;
            out += self.state[k];
        }
        out * self.scale
    }
}

/// The identity biquad (the leak filter while sealed).
const IDENTITY: Biquad = Biquad {
    b: [1.0, 0.0, 0.0],
    a: [0.0, 0.0],
    rate_hz: 0.0,
};

/// The driver chain of the sim rig.
pub fn driver_chain(driver: &Driver, rate: f64) -> Vec<Biquad> {
    driver.chain(rate)
}

/// The monitor's simulated ear.
#[derive(Debug, Clone)]
pub struct SimMonitorSource {
    rate: u32,
    config: SimMonitorConfig,
    schedule: Schedule,
    seed: u64,
    fast: bool,
    period: Vec<f64>,
    chain: Vec<Biquad>,
    chain_state: Vec<State>,
    leak: Biquad,
    leak_state: State,
    gain: f64,
    noise_gain: f64,
    pink: Pink,
    latency: u64,
    block: u64,
    produced: u64,
    started: Option<Instant>,
    stopped: bool,
}

impl SimMonitorSource {
    /// A simulated ear at `rate` whose fit follows `schedule`; `seed` draws
    /// the noise (the schedule's presets were drawn with it too). With
    /// `fast`, reads return at once instead of in real time.
    pub fn new(
        rate: u32,
        config: SimMonitorConfig,
        schedule: Schedule,
        seed: u64,
        fast: bool,
    ) -> Result<Self> {
        if !crate::signal::RATE_RANGE_HZ.contains(&rate) {
            bail!(
                "--rate {rate}: give {} to {} Hz",
                crate::signal::RATE_RANGE_HZ.start(),
                crate::signal::RATE_RANGE_HZ.end()
            );
        }
        let valid = config.block_s > 0.0
            && config.block_s <= 0.1
            && (0.0..=10.0).contains(&config.latency_s)
            && config.canal_volume_cm3 > 0.0
            && !config.gain_db.is_nan();
        if !valid {
            bail!("the simulated monitor's settings are out of range: {config:?}");
        }
        let r = rate as f64;
        let chain = driver_chain(&config.driver, r);
        let gain = from_db(config.gain_db) * 1.26 / config.canal_volume_cm3;
        Ok(Self {
            rate,
            chain_state: vec![State::default(); chain.len()],
            chain,
            leak: IDENTITY,
            leak_state: State::default(),
            gain,
            noise_gain: 0.0,
            pink: Pink::new(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(7)),
            latency: (config.latency_s * r).round() as u64,
            block: ((config.block_s * r).round() as u64).max(1),
            config,
            schedule,
            seed,
            fast,
            period: Vec::new(),
            produced: 0,
            started: None,
            stopped: false,
        })
    }

    /// The schedule of fits.
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    /// The leak at recording time `t_s` (`None`: sealed).
    pub fn truth_leak_at(&self, t_s: f64) -> Option<Leak> {
        self.schedule.leak_at(t_s)
    }

    /// The true leak corner at `t_s`, Hz (`None`: sealed).
    pub fn truth_corner_at(&self, t_s: f64) -> Option<f64> {
        self.truth_leak_at(t_s).map(|l| l.corner_hz())
    }

    /// The sim rig (exact truth) with the fit of time `t_s`.
    pub fn truth_rig_at(&self, t_s: f64) -> SimRig {
        let fit = match self.truth_leak_at(t_s) {
            Some(l) => Fit::Leak(l),
            None => Fit::Sealed,
        };
        SimRig::new(
            SimConfig {
                driver: self.config.driver.clone(),
                fit,
                canal_volume_cm3: self.config.canal_volume_cm3,
                gain_db: self.config.gain_db,
                ..SimConfig::default()
            },
            self.seed,
        )
    }

    /// The seal metrics of the exact response at `t_s`, read at the tones of
    /// `params` by the same path as a measurement (every tone at 100 dB SNR).
    pub fn truth_metrics_at(
        &self,
        t_s: f64,
        params: &MultitoneParams,
        reference: Option<&FrequencyResponse>,
        cfg: &SealConfig,
    ) -> SealMetrics {
        let rig = self.truth_rig_at(t_s);
        let points: Vec<(f64, f64, f64)> = params
            .tones_hz()
            .iter()
            .map(|&f| (f, db(rig.truth_response(f, self.rate).norm()), 100.0))
            .collect();
        let reference = reference.map(FrequencyResponse::points);
        seal_metrics(&points, reference.as_deref(), cfg)
    }

    /// The verdict of the exact response at `t_s` (default seal bands).
    pub fn truth_verdict_at(&self, t_s: f64, params: &MultitoneParams) -> Verdict {
        self.truth_metrics_at(t_s, params, None, &SealConfig::default())
            .verdict
    }

    /// Samples produced so far.
    pub fn produced(&self) -> u64 {
        self.produced
    }

    fn set_leak(&mut self, t_s: f64) {
        self.leak = match self.schedule.leak_at(t_s) {
            Some(l) => l.bass_filter().to_digital(self.rate as f64),
            None => IDENTITY,
        };
    }

    fn next_sample(&mut self) -> f64 {
        let i = self.produced;
        if i.is_multiple_of(self.block) {
            let mid = (i as f64 + self.block as f64 / 2.0) / self.rate as f64;
            self.set_leak(mid);
        }
        let mut y = if i >= self.latency && !self.stopped {
            self.period[((i - self.latency) % self.period.len() as u64) as usize]
        } else {
            0.0
        };
        for (bq, st) in self.chain.iter().zip(self.chain_state.iter_mut()) {
            y = st.step(bq, y);
        }
        y = self.leak_state.step(&self.leak, y) * self.gain;
        if self.noise_gain > 0.0 {
            y += self.noise_gain * self.pink.next();
        }
        self.produced += 1;
        y.clamp(-self.config.clip_level, self.config.clip_level)
    }
}

impl MonitorSource for SimMonitorSource {
    fn rate(&self) -> u32 {
        self.rate
    }

    fn start(&mut self, period: &[f32]) -> Result<()> {
        if period.is_empty() {
            bail!("the monitor's period is empty");
        }
        self.period = period.iter().map(|&v| v as f64).collect();
        let rms =
            (self.period.iter().map(|v| v * v).sum::<f64>() / self.period.len() as f64).sqrt();
        self.noise_gain = match self.config.noise_below_db {
            Some(below) if self.gain > 0.0 => rms * self.gain * from_db(-below),
            _ => 0.0,
        };
        self.produced = 0;
        self.stopped = false;
        self.started = Some(Instant::now());
        Ok(())
    }

    fn read(&mut self, n: usize, out: &mut Vec<f32>) -> Result<()> {
        if self.period.is_empty() {
            bail!("the simulated monitor was read before it was started");
        }
        out.reserve(n);
        for _ in 0..n {
            let v = self.next_sample();
            out.push(v as f32);
        }
        if let (false, Some(start)) = (self.fast, self.started) {
            let due = start + Duration::from_secs_f64(self.produced as f64 / self.rate as f64);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
        }
        Ok(())
    }

    fn stop(&mut self) {
        self.stopped = true;
    }

    fn describe(&self) -> String {
        format!("sim: {}, seed {}", self.schedule.describe(), self.seed)
    }
}
