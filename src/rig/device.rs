//! The sound-card rig (cpal). The only module that knows cpal exists.
//!
//! Measuring: the input stream starts first; once its first callback has
//! arrived, the output stream plays the stimulus; capture runs until the
//! stimulus and a tail are in. Samples leave the input callback through a
//! lock-free ring buffer (`ringbuf`); the output callback reads the
//! stimulus through an atomic position. Neither callback locks, allocates
//! or does I/O. Overruns (the ring was full) and stream errors (which is
//! how ALSA reports xruns) are counted; a measurement with any of them is
//! retried, then refused, never analysed.

use super::{Recording, Rig};
use crate::signal::Stimulus;
use anyhow::{bail, Context, Result};
use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use ringbuf::traits::{Consumer, Observer, Producer, Split};
use serde::Serialize;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One device as `tipfit devices` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceInfo {
    /// Position in the host's list (for `--input N` / `--output N`).
    pub index: usize,
    /// Device name.
    pub name: String,
    /// The host's default input.
    pub default_input: bool,
    /// The host's default output.
    pub default_output: bool,
    /// Input configurations: "channels ch, min-max Hz, format".
    pub inputs: Vec<String>,
    /// Output configurations.
    pub outputs: Vec<String>,
}

/// One audio host (ALSA, ...).
#[derive(Debug, Clone, Serialize)]
pub struct HostInfo {
    /// Host name.
    pub name: String,
    /// Its devices.
    pub devices: Vec<DeviceInfo>,
}

/// A device's configurations in one line: channel range, rate range, formats.
fn ranges(
    it: Result<
        impl Iterator<Item = cpal::SupportedStreamConfigRange>,
        cpal::SupportedStreamConfigsError,
    >,
) -> Vec<String> {
    let configs: Vec<cpal::SupportedStreamConfigRange> = match it {
        Ok(i) => i.collect(),
        Err(_) => return Vec::new(),
    };
    let (Some(ch_lo), Some(ch_hi)) = (
        configs.iter().map(|c| c.channels()).min(),
        configs.iter().map(|c| c.channels()).max(),
    ) else {
        return Vec::new();
    };
    let r_lo = configs
        .iter()
        .map(|c| c.min_sample_rate().0)
        .min()
        .unwrap_or(0);
    let r_hi = configs
        .iter()
        .map(|c| c.max_sample_rate().0)
        .max()
        .unwrap_or(0);
    let mut formats: Vec<String> = configs
        .iter()
        .map(|c| c.sample_format().to_string())
        .collect();
    formats.sort();
    formats.dedup();
    vec![format!(
        "{ch_lo}-{ch_hi} ch, {r_lo}-{r_hi} Hz, {}",
        formats.join(" ")
    )]
}

/// Every host and device cpal can see.
pub fn list_devices() -> Vec<HostInfo> {
    cpal::available_hosts()
        .into_iter()
        .filter_map(|id| cpal::host_from_id(id).ok())
        .map(|host| {
            let name_of = |d: Option<cpal::Device>| d.and_then(|d| d.name().ok());
            let def_in = name_of(host.default_input_device());
            let def_out = name_of(host.default_output_device());
            let devices = host
                .devices()
                .map(|ds| {
                    ds.enumerate()
                        .map(|(index, d)| {
                            let name = d.name().unwrap_or_else(|_| "(unnamed)".into());
                            DeviceInfo {
                                index,
                                default_input: def_in.as_deref() == Some(name.as_str()),
                                default_output: def_out.as_deref() == Some(name.as_str()),
                                inputs: ranges(d.supported_input_configs()),
                                outputs: ranges(d.supported_output_configs()),
                                name,
                            }
                        })
                        .collect()
                })
                .unwrap_or_default();
            HostInfo {
                name: host.id().name().to_string(),
                devices,
            }
        })
        .collect()
}

/// Which device: the default, a name (exact or unique substring) or an index.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum DeviceChoice {
    /// The host's default.
    #[default]
    Default,
    /// By name or index as typed.
    Named(String),
}

fn pick(host: &cpal::Host, choice: &DeviceChoice, input: bool) -> Result<cpal::Device> {
    let kind = if input { "input" } else { "output" };
    let default = || {
        if input {
            host.default_input_device()
        } else {
            host.default_output_device()
        }
    };
    let name = match choice {
        DeviceChoice::Default => {
            return default().with_context(|| {
                format!("no default {kind} device (is a sound card or sound server there? see `tipfit devices`)")
            })
        }
        DeviceChoice::Named(n) => n,
    };
    let all: Vec<cpal::Device> = host
        .devices()
        .context("cannot list the audio devices")?
        .collect();
    let names: Vec<String> = all.iter().map(|d| d.name().unwrap_or_default()).collect();
    let found = match name.parse::<usize>() {
        Ok(i) if i < all.len() => Some(i),
        _ => names.iter().position(|n| n == name).or_else(|| {
            let m: Vec<usize> = (0..names.len())
                .filter(|&i| names[i].contains(name.as_str()))
                .collect();
            (m.len() == 1).then(|| m[0])
        }),
    };
    match found {
        Some(i) => Ok(all.into_iter().nth(i).expect("index in range")),
        None => bail!(
            "no {kind} device '{name}'; the devices are: {}",
            names
                .iter()
                .enumerate()
                .map(|(i, n)| format!("{i}: {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Frames per callback asked for (when the device lets us choose).
pub const BUFFER_FRAMES: u32 = 2048;

/// Counters the callbacks update.
#[derive(Debug, Default)]
struct Counters {
    started: AtomicBool,
    overruns: AtomicUsize,
    errors: AtomicUsize,
    played: AtomicUsize,
}

/// The sound-card rig.
pub struct DeviceRig {
    host: cpal::Host,
    input: cpal::Device,
    output: cpal::Device,
    /// Seconds of silence played before the stimulus (the recording starts
    /// with it, so the stimulus never arrives before the recording starts).
    pub preroll_s: f64,
    /// Seconds recorded after the stimulus ends.
    pub tail_s: f64,
    /// Attempts before a measurement with dropouts is refused.
    pub attempts: usize,
}

impl std::fmt::Debug for DeviceRig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl DeviceRig {
    /// Open the chosen devices of the default host.
    pub fn new(input: &DeviceChoice, output: &DeviceChoice) -> Result<Self> {
        let host = cpal::default_host();
        let input = pick(&host, input, true)?;
        let output = pick(&host, output, false)?;
        Ok(Self {
            host,
            input,
            output,
            preroll_s: 0.25,
            tail_s: 0.5,
            attempts: 3,
        })
    }

    fn config(dev: &cpal::Device, input: bool, rate: u32) -> Result<cpal::StreamConfig> {
        let name = dev.name().unwrap_or_default();
        let configs: Vec<cpal::SupportedStreamConfigRange> = if input {
            dev.supported_input_configs()?.collect()
        } else {
            dev.supported_output_configs()?.collect()
        };
        let ok = configs.iter().find(|c| {
            c.sample_format() == cpal::SampleFormat::F32
                && c.min_sample_rate().0 <= rate
                && rate <= c.max_sample_rate().0
        });
        let Some(c) = ok else {
            bail!(
                "device '{name}' cannot run 32-bit float at {rate} Hz; it offers: {}",
                configs
                    .iter()
                    .map(|c| format!(
                        "{} ch {}-{} Hz {}",
                        c.channels(),
                        c.min_sample_rate().0,
                        c.max_sample_rate().0,
                        c.sample_format()
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            );
        };
        // Large buffers: small ones glitch through the ALSA pulse plugin.
        let buffer_size = match c.buffer_size() {
            cpal::SupportedBufferSize::Range { min, max } => {
                cpal::BufferSize::Fixed(BUFFER_FRAMES.clamp(*min, *max))
            }
            cpal::SupportedBufferSize::Unknown => cpal::BufferSize::Default,
        };
        Ok(cpal::StreamConfig {
            channels: c.channels(),
            sample_rate: cpal::SampleRate(rate),
            buffer_size,
        })
    }

    /// One attempt: the recording and the counters.
    fn attempt(&self, stimulus: &Stimulus) -> Result<(Recording, Arc<Counters>)> {
        let rate = stimulus.rate;
        let in_cfg = Self::config(&self.input, true, rate)?;
        let out_cfg = Self::config(&self.output, false, rate)?;
        let in_ch = in_cfg.channels as usize;
        let out_ch = out_cfg.channels as usize;
        let preroll = (self.preroll_s * rate as f64) as usize;
        let frames = preroll + stimulus.samples.len() + (self.tail_s * rate as f64) as usize;
        let counters = Arc::new(Counters::default());
        let (mut prod, mut cons) = ringbuf::HeapRb::<f32>::new(rate as usize * in_ch * 2).split();
        let c = counters.clone();
        let ce = counters.clone();
        let in_stream = self.input.build_input_stream(
            &in_cfg,
            move |data: &[f32], _: &cpal::InputCallbackInfo| {
                c.started.store(true, Ordering::Release);
                let n = prod.push_slice(data);
                if n < data.len() {
                    c.overruns.fetch_add(1, Ordering::Relaxed);
                }
            },
            move |_| {
                ce.errors.fetch_add(1, Ordering::Relaxed);
            },
            None,
        )?;
        in_stream.play()?;
        let t0 = Instant::now();
        while !counters.started.load(Ordering::Acquire) {
            if t0.elapsed() > Duration::from_secs(5) {
                bail!("no data from the input device within 5 s (muted, busy or disconnected?)");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        cons.clear();
        let mut played = vec![0f32; preroll];
        played.extend_from_slice(&stimulus.samples);
        let samples: Arc<Vec<f32>> = Arc::new(played);
        let c = counters.clone();
        let ce = counters.clone();
        let out_stream = self.output.build_output_stream(
            &out_cfg,
            move |data: &mut [f32], _: &cpal::OutputCallbackInfo| {
                let pos = c.played.load(Ordering::Relaxed);
                for (k, frame) in data.chunks_mut(out_ch).enumerate() {
                    let v = samples.get(pos + k).copied().unwrap_or(0.0);
                    frame.fill(v);
                }
                c.played.store(pos + data.len() / out_ch, Ordering::Relaxed);
            },
            move |_| {
                ce.errors.fetch_add(1, Ordering::Relaxed);
            },
            None,
        )?;
        out_stream.play()?;
        let mut interleaved: Vec<f32> = Vec::with_capacity(frames * in_ch);
        let deadline = Instant::now() + Duration::from_secs_f64(frames as f64 / rate as f64 + 10.0);
        let mut buf = vec![0f32; 4096 * in_ch];
        while interleaved.len() < frames * in_ch {
            let n = cons.pop_slice(&mut buf);
            interleaved.extend_from_slice(&buf[..n]);
            if n == 0 {
                if Instant::now() > deadline {
                    bail!("the input stopped delivering samples (device disconnected?)");
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        drop(out_stream);
        drop(in_stream);
        let _ = cons.occupied_len();
        interleaved.truncate(frames * in_ch);
        let channels = (0..in_ch)
            .map(|ch| {
                interleaved
                    .iter()
                    .skip(ch)
                    .step_by(in_ch)
                    .copied()
                    .collect()
            })
            .collect();
        Ok((Recording { channels, rate }, counters))
    }
}

impl Rig for DeviceRig {
    fn play_and_record(&mut self, stimulus: &Stimulus) -> Result<Recording> {
        let mut last = String::new();
        for _ in 0..self.attempts.max(1) {
            let (rec, c) = self.attempt(stimulus)?;
            let (o, e) = (
                c.overruns.load(Ordering::Relaxed),
                c.errors.load(Ordering::Relaxed),
            );
            if o == 0 && e == 0 {
                return Ok(rec);
            }
            last = format!("{o} input overrun(s), {e} stream error(s)");
        }
        bail!(
            "{}: every attempt had dropouts ({last}); the measurement is refused. Close other audio programs or use a larger buffer",
            self.describe()
        )
    }

    fn describe(&self) -> String {
        format!(
            "device: {} -> {} ({})",
            self.output.name().unwrap_or_default(),
            self.input.name().unwrap_or_default(),
            self.host.id().name()
        )
    }
}
