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

use super::channel::Channel;
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

/// Run `f` with the process's stderr sent to /dev/null: opening ALSA
/// devices makes alsa-lib and the JACK and OSS plugins print errors about
/// every PCM they cannot open ("Unknown PCM pipewire", "jack server is not
/// running"), which says nothing about the devices tipfit uses. Set
/// `TIPFIT_AUDIO_DEBUG=1` to see them.
pub fn quiet_stderr<T>(f: impl FnOnce() -> T) -> T {
    if std::env::var_os("TIPFIT_AUDIO_DEBUG").is_some_and(|v| v == "1") {
        return f();
    }
    use std::io::Write;
    let _ = std::io::stderr().flush();
    // SAFETY: plain POSIX fd calls; fd 2 is restored before returning.
    let saved = unsafe { libc::dup(2) };
    let null = std::fs::OpenOptions::new().write(true).open("/dev/null");
    let redirected = match (&null, saved >= 0) {
        (Ok(n), true) => {
            use std::os::fd::AsRawFd;
            unsafe { libc::dup2(n.as_raw_fd(), 2) >= 0 }
        }
        _ => false,
    };
    let out = f();
    if redirected {
        unsafe {
            libc::dup2(saved, 2);
        }
    }
    if saved >= 0 {
        unsafe {
            libc::close(saved);
        }
    }
    out
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
    quiet_stderr(list_devices_loud)
}

fn list_devices_loud() -> Vec<HostInfo> {
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

impl DeviceChoice {
    /// `None` is the default, anything else a name or index.
    pub fn from_option(s: Option<&str>) -> Self {
        match s {
            None => Self::Default,
            Some(n) => Self::Named(n.to_string()),
        }
    }
}

/// The host named `name` (case-insensitive), or the default host.
pub fn pick_host(name: Option<&str>) -> Result<cpal::Host> {
    let Some(name) = name else {
        return Ok(cpal::default_host());
    };
    let hosts = cpal::available_hosts();
    let id = hosts
        .iter()
        .find(|h| h.name().eq_ignore_ascii_case(name))
        .with_context(|| {
            format!(
                "no audio host '{name}'; this tipfit has: {}",
                hosts
                    .iter()
                    .map(|h| h.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
    cpal::host_from_id(*id).with_context(|| format!("the audio host '{name}' is not available"))
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
            if names.is_empty() {
                "(none)".to_string()
            } else {
                names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| format!("{i}: {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ),
    }
}

/// Frames per callback asked for (when the device lets us choose).
pub const BUFFER_FRAMES: u32 = 2048;
/// Seconds of the pre-roll kept at the start of a recording (the rest is
/// cut): room for a path that delivers the first samples "early".
pub const KEPT_LEAD_S: f64 = 0.05;

/// Counters and flags the callbacks update.
#[derive(Debug, Default)]
struct Counters {
    started: AtomicBool,
    overruns: AtomicUsize,
    errors: AtomicUsize,
    gone: AtomicBool,
    played: AtomicUsize,
}

impl Counters {
    fn error(&self, e: cpal::StreamError) {
        if matches!(e, cpal::StreamError::DeviceNotAvailable) {
            self.gone.store(true, Ordering::Relaxed);
        }
        self.errors.fetch_add(1, Ordering::Relaxed);
    }
}

/// How the rig uses the devices (from the command line).
#[derive(Debug, Clone)]
pub struct DeviceOptions {
    /// Audio host name [default host].
    pub host: Option<String>,
    /// Input device.
    pub input: DeviceChoice,
    /// Output device.
    pub output: DeviceChoice,
    /// Output channel of the IEM, 1-based.
    pub driver_channel: u16,
    /// Output channel of an outside speaker, 1-based.
    pub ambient_channel: Option<u16>,
    /// Input channels the caller will read (1-based): the rig opens enough.
    pub input_channels: Vec<u16>,
    /// Hard ceiling of every output sample, dBFS peak.
    pub max_level_dbfs: f64,
    /// Fade-in of the output stream, s.
    pub ramp_s: f64,
}

impl Default for DeviceOptions {
    fn default() -> Self {
        Self {
            host: None,
            input: DeviceChoice::Default,
            output: DeviceChoice::Default,
            driver_channel: 1,
            ambient_channel: None,
            input_channels: vec![1],
            max_level_dbfs: crate::calibration::DEFAULT_MAX_LEVEL_DBFS,
            ramp_s: 0.05,
        }
    }
}

/// A chosen stream configuration.
#[derive(Debug, Clone)]
struct Chosen {
    config: cpal::StreamConfig,
    format: cpal::SampleFormat,
}

/// What to play on which output channel.
#[derive(Debug, Clone, Default)]
pub struct Playback {
    /// Samples for the driver (IEM) channel.
    pub driver: Vec<f32>,
    /// Samples for the ambient (outside speaker) channel.
    pub ambient: Vec<f32>,
    /// Loop both (the monitor) instead of playing them once.
    pub looped: bool,
}

/// The sound-card rig.
pub struct DeviceRig {
    host: cpal::Host,
    input: cpal::Device,
    output: cpal::Device,
    opts: DeviceOptions,
    /// Seconds of silence played before the stimulus.
    pub preroll_s: f64,
    /// Seconds recorded after the stimulus ends.
    pub tail_s: f64,
    /// Attempts before a measurement with dropouts is refused.
    pub attempts: usize,
    /// Run the input stream at this rate instead of the stimulus's (the
    /// recording is still labelled with the stimulus's rate): two streams
    /// at slightly different rates behave like two devices whose clocks
    /// drift, which is how the drift correction is tested through a real
    /// audio stack.
    pub input_rate: Option<u32>,
}

impl std::fmt::Debug for DeviceRig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Formats tipfit can stream, best first.
const FORMATS: [cpal::SampleFormat; 4] = [
    cpal::SampleFormat::F32,
    cpal::SampleFormat::I32,
    cpal::SampleFormat::I16,
    cpal::SampleFormat::U16,
];

impl DeviceRig {
    /// Open the chosen devices of the default host (channel 1 in and out).
    pub fn new(input: &DeviceChoice, output: &DeviceChoice) -> Result<Self> {
        Self::open(DeviceOptions {
            input: input.clone(),
            output: output.clone(),
            ..DeviceOptions::default()
        })
    }

    /// Open the devices `opts` names.
    pub fn open(opts: DeviceOptions) -> Result<Self> {
        let host = pick_host(opts.host.as_deref())?;
        let (input, output) = quiet_stderr(|| -> Result<_> {
            Ok((
                pick(&host, &opts.input, true)?,
                pick(&host, &opts.output, false)?,
            ))
        })?;
        if opts.driver_channel == 0
            || opts.ambient_channel == Some(0)
            || opts.input_channels.contains(&0)
        {
            bail!("channels count from 1");
        }
        if Some(opts.driver_channel) == opts.ambient_channel {
            bail!(
                "--driver-channel and --ambient-channel are both {}: give them different channels",
                opts.driver_channel
            );
        }
        Ok(Self {
            host,
            input,
            output,
            opts,
            preroll_s: 0.25,
            tail_s: 0.5,
            attempts: 3,
            input_rate: None,
        })
    }

    /// Check, before anything plays, that both devices answer and can run
    /// at `rate` with the channels asked for.
    pub fn check(&self, rate: u32) -> Result<()> {
        quiet_stderr(|| -> Result<()> {
            Self::config(
                &self.input,
                true,
                self.input_rate.unwrap_or(rate),
                self.input_channels_needed(),
            )?;
            Self::config(&self.output, false, rate, self.output_channels_needed())?;
            Ok(())
        })
    }

    /// The input and output device names.
    pub fn names(&self) -> (String, String) {
        (
            self.input.name().unwrap_or_default(),
            self.output.name().unwrap_or_default(),
        )
    }

    /// True when input and output are different devices (two clocks).
    pub fn separate_clocks(&self) -> bool {
        let (i, o) = self.names();
        i != o
    }

    /// The options the rig was opened with.
    pub fn options(&self) -> &DeviceOptions {
        &self.opts
    }

    /// Pick a configuration: a format tipfit streams, the rate, and at
    /// least `channels` channels (the fewest that do).
    fn config(dev: &cpal::Device, input: bool, rate: u32, channels: u16) -> Result<Chosen> {
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

    fn input_channels_needed(&self) -> u16 {
        self.opts.input_channels.iter().copied().max().unwrap_or(1)
    }

    fn output_channels_needed(&self) -> u16 {
        self.opts
            .driver_channel
            .max(self.opts.ambient_channel.unwrap_or(0))
    }

    /// Start the input stream; returns it, the ring's consumer and the
    /// channel count. Waits for the first callback (5 s at most).
    fn start_input(
        &self,
        rate: u32,
        ring_s: f64,
        counters: &Arc<Counters>,
    ) -> Result<(cpal::Stream, ringbuf::HeapCons<f32>, usize)> {
        let chosen = Self::config(&self.input, true, rate, self.input_channels_needed())?;
        let ch = chosen.config.channels as usize;
        let (prod, mut cons) =
            ringbuf::HeapRb::<f32>::new(((rate as f64 * ring_s) as usize).max(8192) * ch).split();
        let name = self.input.name().unwrap_or_default();
        let stream = build_input(&self.input, &chosen, prod, counters.clone()).with_context(|| {
            format!("cannot open the input device '{name}' (busy? close other programs using it, or pick another with --input)")
        })?;
        stream
            .play()
            .with_context(|| format!("cannot start the input device '{name}'"))?;
        let t0 = Instant::now();
        while !counters.started.load(Ordering::Acquire) {
            if t0.elapsed() > Duration::from_secs(5) {
                bail!("no data from the input device '{name}' within 5 s (muted, busy or disconnected?)");
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        cons.clear();
        Ok((stream, cons, ch))
    }

    /// Start the output stream playing `play`.
    fn start_output(
        &self,
        rate: u32,
        play: Playback,
        counters: &Arc<Counters>,
    ) -> Result<cpal::Stream> {
        let chosen = Self::config(&self.output, false, rate, self.output_channels_needed())?;
        let name = self.output.name().unwrap_or_default();
        let plan = OutputPlan {
            channels: chosen.config.channels as usize,
            driver: self.opts.driver_channel as usize - 1,
            ambient: self.opts.ambient_channel.map(|c| c as usize - 1),
            ceiling: crate::dsp::from_db(self.opts.max_level_dbfs) as f32,
            ramp: ((self.opts.ramp_s * rate as f64) as usize).max(1),
            play: Arc::new(play),
        };
        let stream = build_output(&self.output, &chosen, plan, counters.clone())
            .with_context(|| format!("cannot open the output device '{name}' (busy? close other programs using it, or pick another with --output)"))?;
        stream
            .play()
            .with_context(|| format!("cannot start the output device '{name}'"))?;
        Ok(stream)
    }

    /// Play `play` once and record every input channel until `frames`
    /// frames are in. The pre-roll is cut down to [`KEPT_LEAD_S`].
    fn attempt(&self, play: &Playback, rate: u32) -> Result<(Recording, Arc<Counters>)> {
        let preroll = (self.preroll_s * rate as f64) as usize;
        let len = play.driver.len().max(play.ambient.len());
        let frames = preroll + len + (self.tail_s * rate as f64) as usize;
        let counters = Arc::new(Counters::default());
        let in_rate = self.input_rate.unwrap_or(rate);
        let frames = (frames as f64 * in_rate as f64 / rate as f64).ceil() as usize;
        let (in_stream, mut cons, in_ch) = self.start_input(in_rate, 2.0, &counters)?;
        let pad = |x: &[f32]| {
            if x.is_empty() {
                Vec::new()
            } else {
                let mut v = vec![0f32; preroll];
                v.extend_from_slice(x);
                v
            }
        };
        let padded = Playback {
            driver: pad(&play.driver),
            ambient: pad(&play.ambient),
            looped: false,
        };
        let out_stream = self.start_output(rate, padded, &counters)?;
        let mut interleaved: Vec<f32> = Vec::with_capacity(frames * in_ch);
        let deadline = Instant::now() + Duration::from_secs_f64(frames as f64 / rate as f64 + 10.0);
        let mut buf = vec![0f32; 4096 * in_ch];
        while interleaved.len() < frames * in_ch {
            if crate::interrupt::interrupted() {
                drop(out_stream);
                drop(in_stream);
                return Err(crate::interrupt::Interrupted.into());
            }
            if counters.gone.load(Ordering::Relaxed) {
                drop(out_stream);
                drop(in_stream);
                return Err(super::capture::device_lost(&self.describe()));
            }
            let n = cons.pop_slice(&mut buf);
            interleaved.extend_from_slice(&buf[..n]);
            if n == 0 {
                if Instant::now() > deadline {
                    bail!(
                        "{}: the input stopped delivering samples (device disconnected?)",
                        self.describe()
                    );
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        drop(out_stream);
        drop(in_stream);
        interleaved.truncate(frames * in_ch);
        let cut = ((preroll as f64 - KEPT_LEAD_S * rate as f64).max(0.0) * in_rate as f64
            / rate as f64)
            .round() as usize;
        let channels = (0..in_ch)
            .map(|ch| {
                interleaved
                    .iter()
                    .skip(ch + cut * in_ch)
                    .step_by(in_ch)
                    .copied()
                    .collect()
            })
            .collect();
        Ok((
            Recording {
                channels,
                rate,
                lead_s: preroll as f64 / rate as f64 - cut as f64 / in_rate as f64,
            },
            counters,
        ))
    }

    /// Play `play` (driver and/or ambient channel) and record every input
    /// channel; retried when there were dropouts, refused after
    /// [`Self::attempts`] (see [`super::capture::Recorder`]).
    pub fn play_and_record_all(&mut self, play: &Playback, rate: u32) -> Result<Recording> {
        super::capture::Recorder::play_and_record_all(self, play, rate)
    }

    /// Start looping `play` and recording: the live monitor's stream.
    pub fn start_live(&mut self, play: Playback, rate: u32) -> Result<LiveStream> {
        let counters = Arc::new(Counters::default());
        let (in_stream, cons, in_ch) = self.start_input(rate, 4.0, &counters)?;
        let out_stream = self.start_output(
            rate,
            Playback {
                looped: true,
                ..play
            },
            &counters,
        )?;
        Ok(LiveStream {
            out_stream: Some(out_stream),
            in_stream: Some(in_stream),
            cons,
            in_ch,
            counters,
            pending: Vec::new(),
            describe: self.describe(),
        })
    }
}

/// A running input and looping output (the monitor).
pub struct LiveStream {
    out_stream: Option<cpal::Stream>,
    in_stream: Option<cpal::Stream>,
    cons: ringbuf::HeapCons<f32>,
    in_ch: usize,
    counters: Arc<Counters>,
    pending: Vec<f32>,
    describe: String,
}

impl LiveStream {
    /// Append the next `n` frames of input channel `channel`.
    pub fn read(&mut self, channel: Channel, n: usize, out: &mut Vec<f32>) -> Result<()> {
        let ch = channel.index();
        let want = n * self.in_ch;
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.pending.len() < want {
            if crate::interrupt::interrupted() {
                self.stop();
                return Err(crate::interrupt::Interrupted.into());
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
    ceiling: f32,
    ramp: usize,
    play: Arc<Playback>,
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

/// The output callback: the driver and ambient samples on their channels,
/// silence elsewhere, faded in over `ramp` frames, never above `ceiling`,
/// and silence from the moment Ctrl-C is pressed.
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
            if crate::interrupt::interrupted() {
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

impl super::capture::Recorder for DeviceRig {
    fn capture(&mut self, play: &Playback, rate: u32) -> Result<super::capture::Capture> {
        let (recording, c) = self.attempt(play, rate)?;
        Ok(super::capture::Capture {
            recording,
            overruns: c.overruns.load(Ordering::Relaxed),
            errors: c.errors.load(Ordering::Relaxed),
        })
    }

    fn describe(&self) -> String {
        Rig::describe(self)
    }

    fn names(&self) -> (String, String) {
        DeviceRig::names(self)
    }

    fn attempts(&self) -> usize {
        self.attempts
    }

    fn max_level_dbfs(&self) -> f64 {
        self.opts.max_level_dbfs
    }

    fn separate_clocks(&self) -> bool {
        DeviceRig::separate_clocks(self)
    }
}

impl Rig for DeviceRig {
    fn play_and_record(&mut self, stimulus: &Stimulus) -> Result<Recording> {
        let play = Playback {
            driver: stimulus.samples.clone(),
            ..Playback::default()
        };
        self.play_and_record_all(&play, stimulus.rate)
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

/// The live monitor's source on a sound card: the multitone period looped
/// on the driver channel, the inner mic read as it arrives.
pub struct DeviceMonitorSource {
    rig: DeviceRig,
    live: Option<LiveStream>,
    rate: u32,
    inner_channel: Channel,
}

impl DeviceMonitorSource {
    /// A source on `rig` at `rate`, reading input channel `inner_channel`.
    pub fn new(rig: DeviceRig, rate: u32, inner_channel: Channel) -> Result<Self> {
        rig.check(rate)?;
        Ok(Self {
            rig,
            live: None,
            rate,
            inner_channel,
        })
    }
}

impl crate::monitor::MonitorSource for DeviceMonitorSource {
    fn rate(&self) -> u32 {
        self.rate
    }

    fn start(&mut self, period: &[f32]) -> Result<()> {
        let ceiling = crate::dsp::from_db(self.rig.opts.max_level_dbfs) as f32;
        if period.iter().any(|v| v.abs() > ceiling * 1.0001) {
            bail!(
                "the monitor's signal is above the output ceiling of {:.1} dBFS: lower --level",
                self.rig.opts.max_level_dbfs
            );
        }
        let play = Playback {
            driver: period.to_vec(),
            ..Playback::default()
        };
        self.live = Some(self.rig.start_live(play, self.rate)?);
        Ok(())
    }

    fn read(&mut self, n: usize, out: &mut Vec<f32>) -> Result<()> {
        let live = self
            .live
            .as_mut()
            .context("the monitor's stream was not started")?;
        let before = out.len();
        live.read(self.inner_channel, n, out)?;
        let (o, e) = live.dropouts();
        if o + e > 0 {
            // Dropouts break the periodic signal for a frame or two; the
            // meter says so rather than showing a wrong value silently.
            eprintln!(
                "\n{}: {o} overrun(s), {e} stream error(s) so far; the meter may jump",
                self.rig.describe()
            );
            live.counters.overruns.store(0, Ordering::Relaxed);
            live.counters.errors.store(0, Ordering::Relaxed);
        }
        debug_assert_eq!(out.len() - before, n);
        Ok(())
    }

    fn stop(&mut self) {
        if let Some(mut l) = self.live.take() {
            l.stop();
        }
    }

    fn describe(&self) -> String {
        self.rig.describe()
    }
}
