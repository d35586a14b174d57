//! Fault injection: the simulated rig behind the same streaming steps as a
//! sound card ([`Recorder`]), with the faults real rigs have. Each fault
//! changes what the "sound card" delivers; the measurement code cannot
//! tell it from a real one, so the tests prove what a user would see.
//!
//! | fault | what the rig does |
//! |---|---|
//! | `dropout[=N]` | the first N attempts (1) lose a 4096-frame block and report an overrun |
//! | `gap[=N]` | the first N attempts (1) have 2048 samples of digital zeros cut in, unreported |
//! | `lost[=S]` | the device disappears S s (1.0) into the first attempt |
//! | `dc[=X]` | a DC offset of X full scale (0.05) |
//! | `hum[=DBFS]` | 50 Hz mains hum with harmonics, fundamental at DBFS RMS (-40) |
//! | `hum60[=DBFS]` | the same at 60 Hz |
//! | `clip` | the input gain 30 dB too high: the ADC clips |
//! | `silence` | the microphone delivers nothing (digital zeros) |
//! | `wrong-channel` | the microphone is on input channel 2; channel 1 is an open input's hiss |
//! | `drift=PPM` | the recorder's clock runs PPM fast (separate clocks) |
//! | `late=S` | the stimulus arrives S s late (a long output buffer) |
//!
//! Every recording has two input channels (the microphone on 1, an open
//! input on 2, unless `wrong-channel`), a 50 ms lead before the stimulus
//! is sent and a 0.5 s tail after it, like [`crate::rig::device::DeviceRig`].

use super::ear::{Latency, SimRig};
use crate::rig::capture::{device_lost, Capture, Playback, Recorder};
use crate::rig::Recording;
use crate::signal::{NoiseColour, NoiseParams, Stimulus, StimulusKind};
use anyhow::{bail, Result};
use std::fmt;
use std::str::FromStr;

/// One injected fault.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// The first `attempts` attempts lose a block and report an overrun.
    Dropout {
        /// Attempts affected.
        attempts: usize,
    },
    /// The first `attempts` attempts have zeros cut in, unreported.
    Gap {
        /// Attempts affected.
        attempts: usize,
    },
    /// The device disappears this far into the first attempt.
    Lost {
        /// Seconds into the attempt.
        at_s: f64,
    },
    /// A DC offset.
    Dc {
        /// Fraction of full scale.
        offset: f64,
    },
    /// Mains hum with harmonics 2 to 5 (each 6 dB below the last).
    Hum {
        /// Mains frequency, Hz.
        hz: f64,
        /// RMS level of the fundamental, dBFS.
        level_dbfs: f64,
    },
    /// The input gain 30 dB too high.
    Clip,
    /// The microphone delivers digital zeros.
    Silence,
    /// The microphone is on input channel 2.
    WrongChannel,
    /// The recorder's clock runs fast by this much.
    Drift {
        /// Clock error, ppm.
        ppm: f64,
    },
    /// The stimulus arrives late.
    Late {
        /// Delay, s.
        delay_s: f64,
    },
}

/// Frames lost by a `dropout`.
pub const DROPOUT_FRAMES: usize = 4096;
/// Samples zeroed by a `gap`.
pub const GAP_SAMPLES: usize = 2048;
/// Lead kept before the stimulus is sent, s (as the device rig keeps).
pub const LEAD_S: f64 = 0.05;
/// Recording after the stimulus ends, s (as the device rig records).
pub const TAIL_S: f64 = 0.5;
/// The sim's own latency, samples.
pub const BASE_LATENCY: usize = 480;
/// RMS level of an open input's hiss, dBFS.
pub const HISS_DBFS: f64 = -90.0;

impl FromStr for Fault {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (name, value) = match s.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (s.trim(), None),
        };
        let num = |default: Option<f64>| -> Result<f64, String> {
            match value {
                Some(v) => v
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| format!("fault '{s}': '{v}' is not a number")),
                None => default.ok_or_else(|| format!("fault '{name}' needs a value: {name}=...")),
            }
        };
        let count = || -> Result<usize, String> {
            let n = num(Some(1.0))?;
            if n < 1.0 || n.fract() != 0.0 || n > 100.0 {
                return Err(format!(
                    "fault '{s}': give a whole number of attempts, 1 to 100"
                ));
            }
            Ok(n as usize)
        };
        let no_value = |f: Fault| match value {
            Some(_) => Err(format!("fault '{name}' takes no value")),
            None => Ok(f),
        };
        let f = match name {
            "dropout" => Fault::Dropout { attempts: count()? },
            "gap" => Fault::Gap { attempts: count()? },
            "lost" => Fault::Lost {
                at_s: num(Some(1.0))?.max(0.0),
            },
            "dc" => Fault::Dc {
                offset: num(Some(0.05))?,
            },
            "hum" | "hum50" => Fault::Hum {
                hz: 50.0,
                level_dbfs: num(Some(-40.0))?,
            },
            "hum60" => Fault::Hum {
                hz: 60.0,
                level_dbfs: num(Some(-40.0))?,
            },
            "clip" => no_value(Fault::Clip)?,
            "silence" => no_value(Fault::Silence)?,
            "wrong-channel" => no_value(Fault::WrongChannel)?,
            "drift" => Fault::Drift { ppm: num(None)? },
            "late" => Fault::Late {
                delay_s: num(None)?.max(0.0),
            },
            _ => {
                return Err(format!(
                    "unknown fault '{name}': dropout, gap, lost, dc, hum, hum60, clip, silence, wrong-channel, drift=PPM, late=S"
                ))
            }
        };
        if let Fault::Drift { ppm } = f {
            if ppm.abs() > 200_000.0 {
                return Err(format!("fault '{s}': give -200000 to 200000 ppm"));
            }
        }
        if let Fault::Late { delay_s } = f {
            if delay_s > 60.0 {
                return Err(format!("fault '{s}': give at most 60 s"));
            }
        }
        Ok(f)
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Dropout { attempts } => write!(f, "dropout={attempts}"),
            Fault::Gap { attempts } => write!(f, "gap={attempts}"),
            Fault::Lost { at_s } => write!(f, "lost={at_s}"),
            Fault::Dc { offset } => write!(f, "dc={offset}"),
            Fault::Hum { hz, level_dbfs } if *hz == 60.0 => write!(f, "hum60={level_dbfs}"),
            Fault::Hum { level_dbfs, .. } => write!(f, "hum={level_dbfs}"),
            Fault::Clip => f.write_str("clip"),
            Fault::Silence => f.write_str("silence"),
            Fault::WrongChannel => f.write_str("wrong-channel"),
            Fault::Drift { ppm } => write!(f, "drift={ppm}"),
            Fault::Late { delay_s } => write!(f, "late={delay_s}"),
        }
    }
}

/// The simulated rig as a streaming recorder with faults.
#[derive(Debug, Clone)]
pub struct SimRecorder {
    /// The simulated ear (its leak is the truth).
    pub sim: SimRig,
    /// The faults.
    pub faults: Vec<Fault>,
    /// Attempts so far.
    pub attempt: usize,
    /// Attempts before a measurement with dropouts is refused.
    pub attempts: usize,
    /// Output ceiling, dBFS.
    pub max_level_dbfs: f64,
}

impl SimRecorder {
    /// A recorder around `sim` with `faults`.
    pub fn new(sim: SimRig, faults: Vec<Fault>) -> Self {
        Self {
            sim,
            faults,
            attempt: 0,
            attempts: 3,
            max_level_dbfs: crate::rig::DEFAULT_MAX_LEVEL_DBFS,
        }
    }

    fn drift_ppm(&self) -> f64 {
        self.faults
            .iter()
            .find_map(|f| match f {
                Fault::Drift { ppm } => Some(*ppm),
                _ => None,
            })
            .unwrap_or(0.0)
    }

    /// The microphone's samples for one attempt, `frames` long.
    fn microphone(&mut self, driver: &[f32], rate: u32, frames: usize) -> Vec<f64> {
        let r = rate as f64;
        let late: f64 = self
            .faults
            .iter()
            .map(|f| match f {
                Fault::Late { delay_s } => *delay_s,
                _ => 0.0,
            })
            .sum();
        let lead = (LEAD_S * r).round() as usize;
        let latency = lead + BASE_LATENCY + (late * r).round() as usize;
        let cfg = self.sim.config_mut();
        cfg.latency = Latency::Samples(latency);
        cfg.drift_ppm = 0.0;
        // long enough for the frames, a lost block and the drift
        let extra = frames.saturating_sub(latency + driver.len()) + DROPOUT_FRAMES + 64;
        cfg.extra_record_s = extra as f64 / r;
        let stim = Stimulus {
            samples: driver.to_vec(),
            rate,
            kind: StimulusKind::External,
        };
        let (rec, _) = self.sim.simulate(&stim);
        let mut y: Vec<f64> = rec.channels[0].iter().map(|&v| v as f64).collect();
        let ppm = self.drift_ppm();
        if ppm != 0.0 {
            y = crate::dsp::resample::drift(&y, ppm);
        }
        y
    }
}

fn hiss(frames: usize, rate: u32, seed: u64) -> Vec<f64> {
    let n = NoiseParams {
        colour: NoiseColour::White,
        duration_s: frames as f64 / rate as f64,
        rate,
        level_dbfs: -20.0,
        seed,
        period: None,
    }
    .generate()
    .expect("valid noise parameters");
    let g = crate::dsp::from_db(HISS_DBFS + 20.0);
    let mut v: Vec<f64> = n.samples.iter().map(|&s| s as f64 * g).collect();
    v.resize(frames, 0.0);
    v
}

impl Recorder for SimRecorder {
    fn capture(&mut self, play: &Playback, rate: u32) -> Result<Capture> {
        self.attempt += 1;
        let r = rate as f64;
        let len = play.driver.len().max(play.ambient.len());
        if len == 0 {
            bail!("nothing to play");
        }
        let lead = (LEAD_S * r).round() as usize;
        let frames = lead + len + (TAIL_S * r).round() as usize;
        for f in &self.faults {
            if let Fault::Lost { at_s } = f {
                if self.attempt == 1 && *at_s * r < frames as f64 {
                    return Err(device_lost(&self.describe()));
                }
            }
        }
        let mut y = self.microphone(&play.driver, rate, frames);
        let mut overruns = 0;
        for f in self.faults.clone() {
            match f {
                Fault::Dropout { attempts } if self.attempt <= attempts => {
                    let at = frames * 2 / 5;
                    y.drain(at..(at + DROPOUT_FRAMES).min(y.len()));
                    overruns += 1;
                }
                Fault::Gap { attempts } if self.attempt <= attempts => {
                    let at = frames * 2 / 5;
                    let end = (at + GAP_SAMPLES).min(y.len());
                    y[at..end].fill(0.0);
                }
                Fault::Dc { offset } => y.iter_mut().for_each(|v| *v += offset),
                Fault::Hum { hz, level_dbfs } => {
                    let a = crate::dsp::from_db(level_dbfs) * std::f64::consts::SQRT_2;
                    for (k, v) in y.iter_mut().enumerate() {
                        let t = k as f64 / r;
                        for h in 1..=5 {
                            let w = 2.0 * std::f64::consts::PI * hz * h as f64;
                            *v += a * 0.5f64.powi(h - 1) * (w * t + 0.3 * h as f64).sin();
                        }
                    }
                }
                Fault::Clip => y.iter_mut().for_each(|v| *v *= crate::dsp::from_db(30.0)),
                Fault::Silence => y.iter_mut().for_each(|v| *v = 0.0),
                _ => {}
            }
        }
        y.resize(frames, 0.0);
        let clip = self.sim.config().clip_level;
        let mic: Vec<f32> = y.iter().map(|v| v.clamp(-clip, clip) as f32).collect();
        let open: Vec<f32> = hiss(frames, rate, self.sim.noise_seed ^ 0x5eed)
            .iter()
            .map(|&v| v as f32)
            .collect();
        let channels = match self.faults.contains(&Fault::WrongChannel) {
            true => vec![open, mic],
            false => vec![mic, open],
        };
        Ok(Capture {
            recording: Recording {
                channels,
                rate,
                lead_s: lead as f64 / r,
            },
            overruns,
            errors: 0,
        })
    }

    fn describe(&self) -> String {
        use crate::rig::Rig;
        let faults: Vec<String> = self.faults.iter().map(ToString::to_string).collect();
        format!("{} (faults: {})", self.sim.describe(), faults.join(", "))
    }

    fn names(&self) -> (String, String) {
        ("sim input".into(), "sim output".into())
    }

    fn attempts(&self) -> usize {
        self.attempts
    }

    fn max_level_dbfs(&self) -> f64 {
        self.max_level_dbfs
    }

    fn separate_clocks(&self) -> bool {
        self.drift_ppm() != 0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse_and_print_back() {
        for s in [
            "dropout=1",
            "gap=2",
            "lost=0.5",
            "dc=0.05",
            "hum=-40",
            "hum60=-30",
            "clip",
            "silence",
            "wrong-channel",
            "drift=500",
            "late=0.2",
        ] {
            let f: Fault = s.parse().unwrap();
            assert_eq!(f.to_string(), s);
        }
        assert_eq!(
            "dropout".parse::<Fault>(),
            Ok(Fault::Dropout { attempts: 1 })
        );
        for (bad, says) in [
            ("drift", "needs a value"),
            ("clip=3", "takes no value"),
            ("dropout=0", "whole number"),
            ("late=x", "not a number"),
            ("smoke", "unknown fault 'smoke'"),
            ("drift=1e9", "200000"),
        ] {
            let e = bad.parse::<Fault>().unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
