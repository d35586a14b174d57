//! The cpal streams: choosing a configuration, the input and output
//! callbacks, and the live (looping) stream of the monitor.
//!
//! Samples leave the input callback through a lock-free ring buffer
//! (`ringbuf`); the output callback reads what it plays through an atomic
//! position and a [`StopToken`]. Neither callback locks, allocates or does
//! I/O.

use super::list::quiet_stderr;
use super::DeviceOptions;
use crate::interrupt::{Interrupted, StopToken};
use crate::rig::capture::Playback;
use crate::rig::channel::Channel;
use anyhow::{bail, Context, Result};
use cpal::traits::{DeviceTrait, StreamTrait};
use ringbuf::traits::{Consumer, Observer, Producer, Split};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Frames per callback asked for (when the device lets us choose).
pub const BUFFER_FRAMES: u32 = 2048;

/// Counters and flags the callbacks update.
#[derive(Debug, Default)]
pub(super) struct Counters {
    pub(super) started: AtomicBool,
    pub(super) overruns: AtomicUsize,
    pub(super) errors: AtomicUsize,
    pub(super) gone: AtomicBool,
    pub(super) played: AtomicUsize,
}

impl Counters {
    fn error(&self, e: cpal::StreamError) {
        if matches!(e, cpal::StreamError::DeviceNotAvailable) {
            self.gone.store(true, Ordering::Relaxed);
        }
        self.errors.fetch_add(1, Ordering::Relaxed);
    }
}

/// A chosen stream configuration.
#[derive(Debug, Clone)]
pub(super) struct Chosen {
    pub(super) config: cpal::StreamConfig,
    pub(super) format: cpal::SampleFormat,
}

/// Formats tipfit can stream, best first.
const FORMATS: [cpal::SampleFormat; 4] = [
    cpal::SampleFormat::F32,
    cpal::SampleFormat::I32,
    cpal::SampleFormat::I16,
    cpal::SampleFormat::U16,
];

/// Pick a configuration: a format tipfit streams, the rate, and at
/// least `channels` channels (the fewest that do).
pub(super) fn choose(dev: &cpal::Device, input: bool, rate: u32, channels: u16) -> Result<Chosen> {
    let name = dev.name().unwrap_or_default();
    let kind = if input { "input" } else { "output" };
    let queried = quiet_stderr(|| -> Result<Vec<_>, cpal::SupportedStreamConfigsError> {
        Ok(if input {
            dev.supported_input_configs()?.collect()
        } else {
            dev.supported_output_configs()?.collect()
        })
    });
    let configs: Vec<cpal::SupportedStreamConfigRange> = match queried {
        Ok(c) => c,
        Err(cpal::SupportedStreamConfigsError::DeviceNotAvailable) => bail!(
            "the {kind} device '{name}' is not available: no sound card, a sound server that is not running, or a device in use by another program (`tipfit devices` lists what is there)"
        ),
        Err(e) => {
            return Err(e).with_context(|| {
                format!("the {kind} device '{name}' cannot be queried (busy or disconnected?)")
            })
        }
    };
    let offered = || {
        configs
            .iter()
            .map(|c| {
                format!(
                    "{} ch {}-{} Hz {}",
                    c.channels(),
                    c.min_sample_rate().0,
                    c.max_sample_rate().0,
                    c.sample_format()
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    if configs.is_empty() {
        bail!("the {kind} device '{name}' offers no configuration (is it an {kind}?)");
    }
    let at_rate: Vec<&cpal::SupportedStreamConfigRange> = configs
        .iter()
        .filter(|c| c.min_sample_rate().0 <= rate && rate <= c.max_sample_rate().0)
        .collect();
    if at_rate.is_empty() {
        bail!(
            "the {kind} device '{name}' cannot run at {rate} Hz (give --rate one it can); it offers: {}",
            offered()
        );
    }
    let max_ch = at_rate.iter().map(|c| c.channels()).max().unwrap_or(0);
    if max_ch < channels {
        bail!(
            "the {kind} device '{name}' has {max_ch} channel(s) at {rate} Hz but channel {channels} was asked for",
        );
    }
    let c = FORMATS
        .iter()
        .find_map(|f| {
            at_rate
                .iter()
                .filter(|c| c.sample_format() == *f && c.channels() >= channels)
                .min_by_key(|c| c.channels())
        })
        .with_context(|| {
            format!(
                "the {kind} device '{name}' offers no sample format tipfit can stream (f32, i32, i16, u16) at {rate} Hz; it offers: {}",
                offered()
            )
        })?;
    // Large buffers: small ones glitch through the ALSA pulse plugin.
    let buffer_size = match c.buffer_size() {
        cpal::SupportedBufferSize::Range { min, max } => {
            cpal::BufferSize::Fixed(BUFFER_FRAMES.clamp(*min, *max))
        }
        cpal::SupportedBufferSize::Unknown => cpal::BufferSize::Default,
    };
    Ok(Chosen {
        config: cpal::StreamConfig {
            channels: c.channels(),
            sample_rate: cpal::SampleRate(rate),
            buffer_size,
        },
        format: c.sample_format(),
    })
}

/// Start the input stream of `dev` at `rate` with at least `channels`
/// channels and a ring of `ring_s` seconds; returns it, the ring's
/// consumer and the channel count. Waits for the first callback (5 s at most).
pub(super) fn start_input(
    dev: &cpal::Device,
    rate: u32,
    channels: u16,
    ring_s: f64,
    counters: &Arc<Counters>,
) -> Result<(cpal::Stream, ringbuf::HeapCons<f32>, usize)> {
    let chosen = choose(dev, true, rate, channels)?;
    let ch = chosen.config.channels as usize;
    let (prod, mut cons) =
        ringbuf::HeapRb::<f32>::new(((rate as f64 * ring_s) as usize).max(8192) * ch).split();
    let name = dev.name().unwrap_or_default();
    let stream = build_input(dev, &chosen, prod, counters.clone()).with_context(|| {
        format!("cannot open the input device '{name}' (busy? close other programs using it, or pick another with --input)")
    })?;
    stream
        .play()
        .with_context(|| format!("cannot start the input device '{name}'"))?;
    let t0 = Instant::now();
    while !counters.started.load(Ordering::Acquire) {
        if t0.elapsed() > Duration::from_secs(5) {
            bail!(
                "no data from the input device '{name}' within 5 s (muted, busy or disconnected?)"
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    cons.clear();
    Ok((stream, cons, ch))
}

/// The output channels `opts` needs (the highest one it plays on).
pub(super) fn output_channels_needed(opts: &DeviceOptions) -> u16 {
    opts.driver_channel
        .max(opts.ambient_channel.unwrap_or(0))
        .max(opts.second_driver_channel.unwrap_or(0))
}

/// Start the output stream of `dev` playing `play` on the channels of
/// `opts`, silent from the moment `stop` is set.
pub(super) fn start_output(
    dev: &cpal::Device,
    opts: &DeviceOptions,
    rate: u32,
    play: Playback,
    stop: &StopToken,
    counters: &Arc<Counters>,
) -> Result<cpal::Stream> {
    let chosen = choose(dev, false, rate, output_channels_needed(opts))?;
    let name = dev.name().unwrap_or_default();
    let plan = OutputPlan {
        channels: chosen.config.channels as usize,
        driver: opts.driver_channel as usize - 1,
        ambient: opts.ambient_channel.map(|c| c as usize - 1),
        second_driver: opts.second_driver_channel.map(|c| c as usize - 1),
        ceiling: crate::dsp::from_db(opts.max_level_dbfs) as f32,
        ramp: ((opts.ramp_s * rate as f64) as usize).max(1),
        play: Arc::new(play),
        stop: stop.clone(),
    };
    let stream = build_output(dev, &chosen, plan, counters.clone())
        .with_context(|| format!("cannot open the output device '{name}' (busy? close other programs using it, or pick another with --output)"))?;
    stream
        .play()
        .with_context(|| format!("cannot start the output device '{name}'"))?;
    Ok(stream)
}

/// A running input and looping output (the monitor).
pub struct LiveStream {
    pub(super) out_stream: Option<cpal::Stream>,
    pub(super) in_stream: Option<cpal::Stream>,
    pub(super) cons: ringbuf::HeapCons<f32>,
    pub(super) in_ch: usize,
    pub(super) counters: Arc<Counters>,
    pub(super) pending: Vec<f32>,
    pub(super) describe: String,
    pub(super) stop_token: StopToken,
}

impl LiveStream {
    /// Append the next `n` frames of input channel `channel`.
    /// Ends with [`Interrupted`] once the rig's stop token is set.
    pub fn read(&mut self, channel: Channel, n: usize, out: &mut Vec<f32>) -> Result<()> {
        let ch = channel.index();
        let want = n * self.in_ch;
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.pending.len() < want {
            if self.stop_token.is_stopped() {
                self.stop();
                return Err(Interrupted.into());
            }
            if self.counters.gone.load(Ordering::Relaxed) {
                self.stop();
                bail!("{}: a device disappeared (unplugged?)", self.describe);
            }
            let mut buf = [0f32; 4096];
            let got = self.cons.pop_slice(&mut buf);
            self.pending.extend_from_slice(&buf[..got]);
            if got == 0 {
                if Instant::now() > deadline {
                    bail!(
                        "{}: the input stopped delivering samples (device disconnected?)",
                        self.describe
                    );
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        }
        out.extend(self.pending[..want].iter().skip(ch).step_by(self.in_ch));
        self.pending.drain(..want);
        Ok(())
    }

    /// Dropouts so far: (overruns, stream errors).
    pub fn dropouts(&self) -> (usize, usize) {
        (
            self.counters.overruns.load(Ordering::Relaxed),
            self.counters.errors.load(Ordering::Relaxed),
        )
    }

    /// Dropouts since the last call: (overruns, stream errors). Taken
    /// with `swap(0)`, so an increment between reading and clearing is
    /// kept for the next call rather than lost.
    pub fn take_dropouts(&mut self) -> (usize, usize) {
        (
            self.counters.overruns.swap(0, Ordering::Relaxed),
            self.counters.errors.swap(0, Ordering::Relaxed),
        )
    }

    /// Stop the output first, then the input.
    pub fn stop(&mut self) {
        self.out_stream.take();
        self.in_stream.take();
    }
}

impl Drop for LiveStream {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What the output callback plays, and where.
struct OutputPlan {
    channels: usize,
    driver: usize,
    ambient: Option<usize>,
    /// A second IEM playing the driver's samples (both ears).
    second_driver: Option<usize>,
    ceiling: f32,
    ramp: usize,
    play: Arc<Playback>,
    /// Silence from the moment this is set (Ctrl-C).
    stop: StopToken,
}

fn build_input(
    dev: &cpal::Device,
    chosen: &Chosen,
    prod: ringbuf::HeapProd<f32>,
    c: Arc<Counters>,
) -> Result<cpal::Stream> {
    use cpal::SampleFormat as F;
    Ok(match chosen.format {
        F::F32 => input_stream::<f32>(dev, &chosen.config, prod, c)?,
        F::I32 => input_stream::<i32>(dev, &chosen.config, prod, c)?,
        F::I16 => input_stream::<i16>(dev, &chosen.config, prod, c)?,
        F::U16 => input_stream::<u16>(dev, &chosen.config, prod, c)?,
        f => bail!("sample format {f} is not supported"),
    })
}

fn input_stream<T>(
    dev: &cpal::Device,
    cfg: &cpal::StreamConfig,
    mut prod: ringbuf::HeapProd<f32>,
    c: Arc<Counters>,
) -> Result<cpal::Stream, cpal::BuildStreamError>
where
    T: cpal::SizedSample,
    f32: cpal::FromSample<T>,
{
    let ce = c.clone();
    dev.build_input_stream(
        cfg,
        move |data: &[T], _: &cpal::InputCallbackInfo| {
            c.started.store(true, Ordering::Release);
            if prod.vacant_len() < data.len() {
                c.overruns.fetch_add(1, Ordering::Relaxed);
            }
            for &s in data {
                if prod.try_push(cpal::Sample::to_sample::<f32>(s)).is_err() {
                    break;
                }
            }
        },
        move |e| ce.error(e),
        None,
    )
}

fn build_output(
    dev: &cpal::Device,
    chosen: &Chosen,
    plan: OutputPlan,
    c: Arc<Counters>,
) -> Result<cpal::Stream> {
    use cpal::SampleFormat as F;
    Ok(match chosen.format {
        F::F32 => output_stream::<f32>(dev, &chosen.config, plan, c)?,
        F::I32 => output_stream::<i32>(dev, &chosen.config, plan, c)?,
        F::I16 => output_stream::<i16>(dev, &chosen.config, plan, c)?,
        F::U16 => output_stream::<u16>(dev, &chosen.config, plan, c)?,
        f => bail!("sample format {f} is not supported"),
    })
}

/// The output callback: the driver samples on the driver channel (and the
/// second IEM's, with both ears), the ambient ones on theirs,
/// silence elsewhere, faded in over `ramp` frames, never above `ceiling`,
/// and silence from the moment the stop token is set (Ctrl-C).
fn output_stream<T>(
    dev: &cpal::Device,
    cfg: &cpal::StreamConfig,
    plan: OutputPlan,
    c: Arc<Counters>,
) -> Result<cpal::Stream, cpal::BuildStreamError>
where
    T: cpal::SizedSample + cpal::FromSample<f32>,
{
    let ce = c.clone();
    dev.build_output_stream(
        cfg,
        move |data: &mut [T], _: &cpal::OutputCallbackInfo| {
            let silent = T::from_sample(0.0f32);
            if plan.stop.is_stopped() {
                data.fill(silent);
                return;
            }
            let pos = c.played.load(Ordering::Relaxed);
            let p = &plan.play;
            let at = |x: &[f32], i: usize| -> f32 {
                if x.is_empty() {
                    0.0
                } else if p.looped {
                    x[i % x.len()]
                } else {
                    x.get(i).copied().unwrap_or(0.0)
                }
            };
            let mut frames = 0;
            for (k, frame) in data.chunks_mut(plan.channels).enumerate() {
                let i = pos + k;
                let g = (i as f32 / plan.ramp as f32).min(1.0);
                frame.fill(silent);
                let d = (g * at(&p.driver, i)).clamp(-plan.ceiling, plan.ceiling);
                frame[plan.driver] = T::from_sample(d);
                if let Some(c) = plan.second_driver {
                    frame[c] = T::from_sample(d);
                }
                if let Some(a) = plan.ambient {
                    let v = (g * at(&p.ambient, i)).clamp(-plan.ceiling, plan.ceiling);
                    frame[a] = T::from_sample(v);
                }
                frames += 1;
            }
            c.played.store(pos + frames, Ordering::Relaxed);
        },
        move |e| ce.error(e),
        None,
    )
}
