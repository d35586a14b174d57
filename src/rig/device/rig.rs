//! The sound-card rig: opening the devices, one measurement (input first,
//! then the output plays the padded stimulus, capture until the stimulus
//! and a tail are in), the monitor's live stream.

use super::list::{pick, pick_host, quiet_stderr, DeviceChoice};
use super::stream::{self, Counters, LiveStream};
use crate::interrupt::{Interrupted, StopToken};
use crate::rig::capture::{self, device_lost, Capture, Playback};
use crate::rig::{Recording, Rig, DEFAULT_MAX_LEVEL_DBFS};
use crate::signal::Stimulus;
use anyhow::{bail, Result};
use cpal::traits::DeviceTrait;
use ringbuf::traits::Consumer;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Seconds of the pre-roll kept at the start of a recording (the rest is
/// cut): room for a path that delivers the first samples "early".
pub const KEPT_LEAD_S: f64 = 0.05;

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
    /// A second IEM's output channel, 1-based: it plays what the driver
    /// channel plays (both ears at once).
    pub second_driver_channel: Option<u16>,
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
            second_driver_channel: None,
            input_channels: vec![1],
            max_level_dbfs: DEFAULT_MAX_LEVEL_DBFS,
            ramp_s: 0.05,
        }
    }
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
    /// Set by Ctrl-C (or by the caller): output goes silent within one
    /// buffer and the measurement ends with [`Interrupted`].
    stop: StopToken,
}

impl std::fmt::Debug for DeviceRig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl DeviceRig {
    /// Open the chosen devices of the default host (channel 1 in and out).
    pub fn new(input: &DeviceChoice, output: &DeviceChoice) -> Result<Self> {
        Self::open(DeviceOptions {
            input: input.clone(),
            output: output.clone(),
            ..DeviceOptions::default()
        })
    }

    /// Open the devices `opts` names, with a stop token of its own
    /// (nothing stops it but the end of what it plays; Ctrl-C keeps its
    /// default meaning unless the caller installed a handler and passes
    /// its token to [`Self::open_with_stop`]).
    pub fn open(opts: DeviceOptions) -> Result<Self> {
        Self::open_with_stop(opts, StopToken::new())
    }

    /// Open the devices `opts` names; setting `stop` silences the output
    /// and ends a measurement or live stream with [`Interrupted`].
    pub fn open_with_stop(opts: DeviceOptions, stop: StopToken) -> Result<Self> {
        let host = pick_host(opts.host.as_deref())?;
        let (input, output) = quiet_stderr(|| -> Result<_> {
            Ok((
                pick(&host, &opts.input, true)?,
                pick(&host, &opts.output, false)?,
            ))
        })?;
        if opts.driver_channel == 0
            || opts.ambient_channel == Some(0)
            || opts.second_driver_channel == Some(0)
            || opts.input_channels.contains(&0)
        {
            bail!(crate::rig::channel::CHANNELS_COUNT_FROM_1);
        }
        if let Some(c) = opts.second_driver_channel {
            if c == opts.driver_channel || Some(c) == opts.ambient_channel {
                bail!("the second IEM's output channel {c} is already in use: give the two ears and the outside speaker different channels");
            }
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
            stop,
        })
    }

    /// Check, before anything plays, that both devices answer and can run
    /// at `rate` with the channels asked for.
    pub fn check(&self, rate: u32) -> Result<()> {
        quiet_stderr(|| -> Result<()> {
            stream::choose(
                &self.input,
                true,
                self.input_rate.unwrap_or(rate),
                self.input_channels_needed(),
            )?;
            stream::choose(
                &self.output,
                false,
                rate,
                stream::output_channels_needed(&self.opts),
            )?;
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

    /// The token that stops this rig.
    pub fn stop_token(&self) -> &StopToken {
        &self.stop
    }

    fn input_channels_needed(&self) -> u16 {
        self.opts.input_channels.iter().copied().max().unwrap_or(1)
    }

    fn start_input(
        &self,
        rate: u32,
        ring_s: f64,
        counters: &Arc<Counters>,
    ) -> Result<(cpal::Stream, ringbuf::HeapCons<f32>, usize)> {
        stream::start_input(
            &self.input,
            rate,
            self.input_channels_needed(),
            ring_s,
            counters,
        )
    }

    fn start_output(
        &self,
        rate: u32,
        play: Playback,
        counters: &Arc<Counters>,
    ) -> Result<cpal::Stream> {
        stream::start_output(&self.output, &self.opts, rate, play, &self.stop, counters)
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
            if self.stop.is_stopped() {
                drop(out_stream);
                drop(in_stream);
                return Err(Interrupted.into());
            }
            if counters.gone.load(Ordering::Relaxed) {
                drop(out_stream);
                drop(in_stream);
                return Err(device_lost(&self.describe()));
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
    /// [`Self::attempts`] (see [`capture::Recorder`]).
    pub fn play_and_record_all(&mut self, play: &Playback, rate: u32) -> Result<Recording> {
        capture::Recorder::play_and_record_all(self, play, rate)
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
            stop_token: self.stop.clone(),
        })
    }
}

impl capture::Recorder for DeviceRig {
    fn capture(&mut self, play: &Playback, rate: u32) -> Result<Capture> {
        let (recording, c) = self.attempt(play, rate)?;
        Ok(Capture {
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
