//! `tipfit measure`: the options become a [`MeasurePlan`], the measuring
//! layer plays and analyses, and this prints or saves what it gave.
//!
//! On a sound card: stored calibration and level safety first, then the
//! rig; the stimulus (with sync markers when the clocks are separate) is
//! played on the driver channel and every needed input channel recorded;
//! the inner channel is checked for silence and clipping, put on the
//! player's clock, corrected by the mic and sound-card calibrations, and
//! analysed like a sim recording.

use super::device_common::{save_recording, TerminalConfirm};
use super::{emit, prepare, Extra};
use crate::acoustics::Leak;
use crate::analysis::{AnalysisConfig, ClockCheck};
use crate::cli::{MeasureArgs, RigKind, SyncMode};
use crate::formats::wav::{write_wav, SampleFormat};
use crate::measure::{
    DeviceInfo, DevicePlan, FaultPlan, IsolationPlan, MeasurePlan, Measurer, Observer, Playing,
    Recorded, RigInfo, RigPlan, SimPlan, StimulusPlan,
};
use crate::rig::channel::Channel;
use crate::rig::outside::OutsideNoise;
use crate::rig::sim::{Canal, Distortion, Driver, Fit, NoiseLevel, SimConfig, SimTarget};
use anyhow::{bail, Context, Result};
use serde_json::json;
use std::path::{Path, PathBuf};

/// Duration of the isolation noise on a sound card, s.
const DEVICE_ISOLATION_S: f64 = 5.0;

/// Ambient noises for the safe-listening estimate: name, octave levels.
type Ambients = Vec<(String, [f64; 8])>;

pub fn run(a: MeasureArgs) -> Result<()> {
    let isolation_files = a.save_isolation.as_deref().map(isolation_paths);
    let saved: Vec<&Path> = a
        .save_recording
        .iter()
        .map(|p| p.as_path())
        .chain(
            isolation_files
                .iter()
                .flat_map(|(o, c)| [o.as_path(), c.as_path()]),
        )
        .collect();
    let (reference, mut cfg) = prepare(&a.analysis, &saved)?;
    if a.device.sync == SyncMode::Off {
        // --sync off: no markers, and no drift estimated from the recording
        cfg.clock = ClockCheck::Off;
    }
    let (plan, ambient) = plan(&a, cfg)?;
    // Ctrl-C silences a sound card first; on the sim it keeps its meaning
    let stop = match plan.rig {
        RigPlan::Device(_) => crate::interrupt::install(),
        _ => crate::interrupt::StopToken::new(),
    };
    let measurer = Measurer::new(plan, &mut TerminalConfirm, stop)?;
    let mut saver = Saver {
        recording: a.save_recording.as_deref(),
        isolation: isolation_files.as_ref(),
        every_channel: measurer.plan().rig.streams(),
    };
    let right_reference = a
        .right_reference_response
        .as_deref()
        .map(super::load_reference)
        .transpose()?;
    if let RigPlan::Device(d) = &measurer.plan().rig {
        if let Some((rd, ri)) = d.right_ear() {
            eprintln!(
                "both ears: left on output {} / input {}, right on output {rd} / input {ri}",
                d.driver_channel, d.inner_channel
            );
        }
    }
    let references = [reference.as_ref(), right_reference.as_ref()];
    let mut measured = measurer.measure_ears(None, references, &mut saver)?;
    let right = measured.right.take();
    let (m, mut extra) = output(&measured, &ambient)?;
    let mut source = measured.rig.description().to_string();
    if let Some(r) = right {
        source += " (left ear)";
        let (rm, rx) = output(&r, &ambient)?;
        let mut doc = super::document(rm, rx.doc, &a.analysis)?;
        doc["ear"] = json!("right");
        extra.doc["ear"] = json!("left");
        extra.doc["right"] = doc;
        let right_source = format!("{} (right ear)", r.rig.description());
        extra.text += &format!(
            "\n{}{}",
            super::summary::render(rm, &right_source, None),
            rx.text
        );
    }
    emit(m, extra, &a.analysis, &source)
}

/// One ear's measurement and what the output adds to it (the rig, the
/// calibration, isolation).
fn output<'m>(
    measured: &'m crate::measure::Measured,
    ambient: &Ambients,
) -> Result<(&'m crate::analysis::Measurement, Extra)> {
    let m = measured
        .response()
        .context("the plan measures a response")?;
    let mut extra = Extra {
        truth_corner_hz: measured.rig.truth_corner_hz(),
        ..Extra::default()
    };
    match &measured.rig {
        RigInfo::Sim(_) => extra.doc = json!({ "rig": measured.rig }),
        RigInfo::Device(d) => device_output(d, m.latency_s, &mut extra),
    }
    if let Some(iso) = &measured.isolation {
        super::isolation::measure_output(iso, ambient, &mut extra)?;
    }
    Ok((m, extra))
}

/// The plan of `a` (options checked before anything plays), and the
/// ambients of the safe-listening estimate.
fn plan(a: &MeasureArgs, analysis: AnalysisConfig) -> Result<(MeasurePlan, Ambients)> {
    let device = a.rig == RigKind::Device;
    let mut ambient = Vec::new();
    let isolation = match (a.isolation, device) {
        (false, _) => None,
        (true, true) => {
            if a.save_isolation.is_some() {
                bail!("--save-isolation is for the sim; on a sound card use --save-recording (it keeps every input channel)");
            }
            if a.device.ambient_channel.is_none() || a.device.outer_channel.is_none() {
                bail!("--isolation on a sound card needs an outside speaker and an outer mic: give --ambient-channel and --outer-channel (the noise-reduction method)");
            }
            Some(IsolationPlan {
                noise: OutsideNoise {
                    duration_s: DEVICE_ISOLATION_S,
                    ..OutsideNoise::default()
                },
                both_methods: false,
            })
        }
        (true, false) => {
            if !a.fault.is_empty() {
                bail!("--fault works on the seal measurement (sweep or --quick), not with --isolation");
            }
            let noise = outside_noise(a)?;
            ambient = super::isolation::ambients(&a.ambient)?;
            Some(IsolationPlan {
                noise,
                both_methods: true,
            })
        }
    };
    if device && a.iem_response.is_some() {
        bail!("--iem-response shapes the simulated IEM: on a sound card the IEM is the real one (leave it out, or use --rig sim)");
    }
    let both = a.driver_channels.is_some() || a.inner_channels.is_some();
    if both && !device {
        bail!("--driver-channels / --inner-channels are for --rig device; the sim measures both ears in a session (ear = \"both\")");
    }
    if both && a.analysis.export_txt.is_some() {
        bail!("--export-txt writes one response: with both ears use --json (the right ear is under \"right\"), or a session with ear = \"both\" (its report exports each ear)");
    }
    let rig = match device {
        true if both => RigPlan::Device(
            DevicePlan {
                driver_channels: a.driver_channels.clone(),
                inner_channels: a.inner_channels.clone(),
                ..(&a.device).into()
            }
            .for_both_ears(["--driver-channels", "--inner-channels"])?,
        ),
        true => RigPlan::Device((&a.device).into()),
        false => {
            let sim = SimPlan {
                config: sim_config(a)?,
                seed: a.seed,
            };
            match a.fault.is_empty() {
                true => RigPlan::Sim(sim),
                false => RigPlan::SimFaults(
                    sim,
                    FaultPlan {
                        faults: a.fault.clone(),
                        from_fit: 1,
                        inner_channel: a.device.inner_channel,
                        sync: a.device.sync,
                    },
                ),
            }
        }
    };
    let level = device.then_some(a.device.level);
    let plan = MeasurePlan {
        stimulus: StimulusPlan::single(a.quick, a.rate, a.duration, level),
        rig,
        analysis,
        isolation,
    };
    Ok((plan, ambient))
}

/// Saves the recordings `--save-recording` and `--save-isolation` ask for
/// as soon as they are made, and says what a sound card plays.
struct Saver<'a> {
    recording: Option<&'a Path>,
    isolation: Option<&'a (PathBuf, PathBuf)>,
    every_channel: bool,
}

impl Observer for Saver<'_> {
    fn playing(&mut self, what: Playing<'_>) {
        match what {
            Playing::Stimulus {
                rig,
                duration_s,
                level_dbfs,
                channel,
            } => eprintln!(
                "{rig}: playing {duration_s:.1} s at {level_dbfs} dBFS peak on output channel {channel}"
            ),
            Playing::Isolation { rig, channel } => eprintln!(
                "{rig}: isolation, pink noise on output channel {}",
                channel.map_or(0, Channel::get)
            ),
        }
    }

    fn recorded(&mut self, what: Recorded<'_>) -> Result<()> {
        match what {
            Recorded::Stimulus(rec) => {
                let Some(path) = self.recording else {
                    return Ok(());
                };
                if self.every_channel {
                    return save_recording(path, rec);
                }
                write_wav(path, &rec.channels, rec.rate, SampleFormat::F32, None)?;
                eprintln!("saved the recording to {}", path.display());
            }
            Recorded::SimIsolation(rec) => {
                let Some((open, occluded)) = self.isolation else {
                    return Ok(());
                };
                let (one, two) = (
                    std::slice::from_ref(&rec.open),
                    [rec.occluded.clone(), rec.outer.clone()],
                );
                write_wav(open, one, rec.rate, SampleFormat::F32, None)?;
                write_wav(occluded, &two, rec.rate, SampleFormat::F32, None)?;
                eprintln!(
                    "saved {} and {} (channel 1 inner, 2 outer)",
                    open.display(),
                    occluded.display()
                );
            }
            Recorded::DeviceIsolation(_) => {}
        }
        Ok(())
    }
}

/// A sound card's rig and calibration in the output.
fn device_output(d: &DeviceInfo, latency_s: f64, extra: &mut Extra) {
    let cal = &d.calibration;
    extra.doc = json!({
        "rig": {
            "kind": "device",
            "description": d.description,
            "input": d.input,
            "output": d.output,
            "driver_channel": d.driver_channel,
            "inner_channel": d.inner_channel,
            "level_dbfs": d.level_dbfs,
            "max_level_dbfs": d.max_level_dbfs,
            "sync": d.clock_ppm.map(|ppm| json!({ "clock_ppm": ppm })),
            "sound_card_latency_s": d.sound_card_latency_s,
            "dropouts": 0,
        },
        "calibration": {
            "file": cal.file,
            "applied": cal.lines,
            "spl": cal.spl,
        },
    });
    extra.spl_offset_db = cal.spl.as_ref().map(|s| s.offset_db);
    if let Some(l) = d.sound_card_latency_s {
        extra.text += &format!(
            "  latency        {:.1} ms sound card, {:.2} ms acoustic\n",
            l * 1e3,
            (latency_s - l) * 1e3
        );
    }
    for l in &cal.lines {
        extra.text += &format!("  calibration    {l}\n");
    }
}

/// The two files `--save-isolation PREFIX` writes.
fn isolation_paths(prefix: &Path) -> (PathBuf, PathBuf) {
    let name = prefix
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    (
        prefix.with_file_name(format!("{name}-open.wav")),
        prefix.with_file_name(format!("{name}-occluded.wav")),
    )
}

fn outside_noise(a: &MeasureArgs) -> Result<OutsideNoise> {
    if !(-80.0..=-3.0).contains(&a.outside_level) || !(-200.0..=-10.0).contains(&a.mic_floor) {
        bail!("--outside-level must be -80..-3 dBFS and --mic-floor -200..-10 dBFS");
    }
    Ok(OutsideNoise {
        signal: a.outside_signal,
        level_dbfs: a.outside_level,
        floor_dbfs: a.mic_floor,
        ..OutsideNoise::default()
    })
}

fn sim_config(a: &MeasureArgs) -> Result<SimConfig> {
    let fit = match (a.sealed, a.leak_f0, a.leak_zeta) {
        (true, _, _) => Fit::Sealed,
        (false, Some(f0), Some(zeta)) => {
            if !(f0 > 0.0 && f0 < 20_000.0 && zeta > 0.0 && zeta < 100.0) {
                bail!("--leak-f0 must be between 0 and 20000 Hz and --leak-zeta between 0 and 100 (got {f0} Hz, {zeta})");
            }
            Fit::Leak(Leak { f0_hz: f0, zeta })
        }
        _ => Fit::Preset(a.tip_preset),
    };
    let latency = a.latency.at_rate(a.rate);
    let Distortion {
        h2_percent: h2,
        h3_percent: h3,
    } = a.distortion;
    if !(0.0..=200.0).contains(&a.snr) {
        bail!("--snr {}: give 0 to 200 dB", a.snr);
    }
    if a.sim_target != SimTarget::Ideal && a.canal_volume != 1.26 {
        bail!(
            "--canal-volume applies to --sim-target ideal only: on the {} the residual volume follows from the insertion depth",
            a.sim_target.name()
        );
    }
    if !(0.1..=20.0).contains(&a.canal_volume) {
        bail!(
            "--canal-volume {}: give 0.1 to 20 cm^3 (an adult canal is about 1.2)",
            a.canal_volume
        );
    }
    if !(-100.0..=60.0).contains(&a.gain_db)
        || a.drift_ppm.abs() > 10_000.0
        || a.bass_shelf_db.abs() > 30.0
    {
        bail!("--gain-db must be -100..60 dB, --drift-ppm within +-10000, --bass-shelf-db within +-30 dB");
    }
    let mut config = SimConfig {
        driver: Driver {
            h2_percent: h2,
            h3_percent: h3,
            bass_shelf_db: a.bass_shelf_db,
            ..Driver::default()
        },
        fit,
        canal_volume_cm3: a.canal_volume,
        gain_db: a.gain_db,
        latency,
        noise: Some(NoiseLevel::BelowSignal(a.snr)),
        drift_ppm: a.drift_ppm,
        target: a.sim_target,
        canal: match a.sim_target {
            SimTarget::Ear => Some(Canal::person(a.person, 0)),
            SimTarget::Coupler => Some(Canal::coupler()),
            SimTarget::Ideal => None,
        },
        ..SimConfig::default()
    };
    if let Some(path) = &a.iem_response {
        if a.bass_shelf_db != 0.0 {
            bail!("--iem-response sets the whole shape of the simulated IEM: leave out --bass-shelf-db (shape the file instead)");
        }
        let file = super::load_reference(path)?;
        let fit = config
            .follow(&file, a.rate as f64)
            .map_err(|e| anyhow::anyhow!("--iem-response {}: {e}", path.display()))?;
        eprintln!("{}", fit.describe(&path.display().to_string()));
    }
    Ok(config)
}
