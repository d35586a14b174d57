//! `tipfit measure`: play a stimulus on a rig, analyse the recording.

use super::device_common::save_recording;
use super::{emit, prepare};
use crate::acoustics::Leak;
use crate::analysis::isolation::{insertion_loss, noise_reduction};
use crate::analysis::Analyzer;
use crate::cli::MeasureArgs;
use crate::dsp::bands::third_octaves;
use crate::dsp::fft::FftCache;
use crate::formats::wav::{write_wav, SampleFormat};
use crate::rig::outside::{truth_band_db, OutsideNoise};
use crate::rig::sim::{Driver, Fit, Latency, NoiseLevel, SimConfig, SimRig};
use crate::rig::Rig;
use crate::signal::{MultitoneParams, Stimulus, SweepParams};
use anyhow::{bail, Context, Result};
use serde_json::json;
use std::path::{Path, PathBuf};

use crate::analysis::quick::QUICK_DURATION_S;

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
    if a.device.sync == crate::cli::SyncMode::Off {
        // --sync off: no markers, and no drift estimated from the recording
        cfg.clock = crate::analysis::ClockCheck::Off;
    }
    if a.rig == crate::cli::RigKind::Device {
        if a.save_isolation.is_some() {
            anyhow::bail!("--save-isolation is for the sim; on a sound card use --save-recording (it keeps every input channel)");
        }
        return super::measure_device::run(&a, reference, cfg);
    }
    if !a.fault.is_empty() {
        if a.isolation {
            bail!("--fault works on the seal measurement (sweep or --quick), not with --isolation");
        }
        return measure_with_faults(&a, reference, cfg);
    }
    let noise = outside_noise(&a)?;
    let ambient = if a.isolation {
        super::isolation::ambients(&a.ambient)?
    } else {
        Vec::new()
    };
    let config = sim_config(&a)?;
    let mut rig = SimRig::new(config, a.seed);
    let stimulus = stimulus(&a)?;
    let recording = rig.play_and_record(&stimulus)?;
    if let Some(path) = &a.save_recording {
        write_wav(
            path,
            &recording.channels,
            recording.rate,
            SampleFormat::F32,
            None,
        )?;
        eprintln!("saved the recording to {}", path.display());
    }
    let m = Analyzer::new()
        .analyse(
            &recording.channels[0],
            recording.rate,
            &stimulus,
            reference.as_ref(),
            &cfg,
        )
        .with_context(|| format!("{}: the measurement cannot be analysed", rig.describe()))?;
    let leak = rig.leak();
    let mut extra = json!({
        "rig": {
            "kind": "sim",
            "description": rig.describe(),
            "seed": a.seed,
            "truth": {
                "leak_f0_hz": leak.map(|l| l.f0_hz),
                "leak_zeta": leak.map(|l| l.zeta),
                "leak_corner_hz": leak.map(|l| l.corner_hz()),
            }
        }
    });
    let mut text = String::new();
    if let Some(noise) = noise {
        let (mut doc, t) = measure_isolation(
            &mut rig,
            &noise,
            recording.rate,
            isolation_files.as_ref(),
            &ambient,
        )?;
        extra["isolation"] = doc["isolation"].take();
        extra["safe_listening"] = doc["safe_listening"].take();
        text = t;
    }
    emit(&m, extra, &text, &a.analysis, &rig.describe())
}

/// A sim measurement with injected faults: the sim streams like a sound
/// card and goes through the device rig's steps (retries, sync markers,
/// channel checks), so what a user sees here is what a real rig gives.
fn measure_with_faults(
    a: &MeasureArgs,
    reference: Option<crate::analysis::FrequencyResponse>,
    cfg: crate::analysis::AnalysisConfig,
) -> Result<()> {
    use crate::rig::capture::Recorder;
    use crate::rig::device_measure::DeviceSetup;
    use crate::rig::faults::SimRecorder;
    let sim = SimRig::new(sim_config(a)?, a.seed);
    let leak = sim.leak();
    let mut recorder = SimRecorder::new(sim, a.fault.clone());
    recorder.max_level_dbfs = 0.0;
    let sync = super::device_common::use_sync(&a.device, &recorder);
    let stimulus = stimulus(a)?;
    let peak = stimulus.samples.iter().fold(0f32, |m, v| m.max(v.abs()));
    let mut setup = DeviceSetup {
        rig: recorder,
        inner_channel: a.device.inner_channel,
        loopback_channel: None,
        sync,
        level_dbfs: crate::dsp::db(peak as f64),
    };
    let r = setup.measure(&stimulus, &Analyzer::new(), reference.as_ref(), &cfg)?;
    if let Some(path) = &a.save_recording {
        save_recording(path, &r.recording)?;
    }
    let describe = Recorder::describe(&setup.rig);
    let faults: Vec<String> = a.fault.iter().map(ToString::to_string).collect();
    let extra = json!({
        "rig": {
            "kind": "sim",
            "description": describe,
            "seed": a.seed,
            "faults": faults,
            "attempts": setup.rig.attempt,
            "sync": r.clock_ppm.map(|ppm| json!({ "clock_ppm": ppm })),
            "truth": {
                "leak_f0_hz": leak.map(|l| l.f0_hz),
                "leak_zeta": leak.map(|l| l.zeta),
                "leak_corner_hz": leak.map(|l| l.corner_hz()),
            }
        }
    });
    emit(&r.measurement, extra, "", &a.analysis, &describe)
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

fn outside_noise(a: &MeasureArgs) -> Result<Option<OutsideNoise>> {
    if !a.isolation {
        return Ok(None);
    }
    if !(-80.0..=-3.0).contains(&a.outside_level) || !(-200.0..=-10.0).contains(&a.mic_floor) {
        bail!("--outside-level must be -80..-3 dBFS and --mic-floor -200..-10 dBFS");
    }
    Ok(Some(OutsideNoise {
        signal: a.outside_signal,
        level_dbfs: a.outside_level,
        floor_dbfs: a.mic_floor,
        ..OutsideNoise::default()
    }))
}

/// Isolation on the sim: both methods, JSON and a compact octave table.
fn measure_isolation(
    rig: &mut SimRig,
    noise: &OutsideNoise,
    rate: u32,
    save: Option<&(PathBuf, PathBuf)>,
    ambient: &[(String, [f64; 8])],
) -> Result<(serde_json::Value, String)> {
    let rec = rig.record_isolation(noise, rate);
    if let Some((open, occluded)) = save {
        write_wav(
            open,
            std::slice::from_ref(&rec.open),
            rate,
            SampleFormat::F32,
            None,
        )?;
        write_wav(
            occluded,
            &[rec.occluded.clone(), rec.outer.clone()],
            rate,
            SampleFormat::F32,
            None,
        )?;
        eprintln!(
            "saved {} and {} (channel 1 inner, 2 outer)",
            open.display(),
            occluded.display()
        );
    }
    let f64s = |x: &[f32]| -> Vec<f64> { x.iter().map(|&v| v as f64).collect() };
    let fft = FftCache::new();
    let what = || format!("{}: isolation", rig.describe());
    let il =
        insertion_loss(&f64s(&rec.open), &f64s(&rec.occluded), rate, &fft).with_context(what)?;
    let nr =
        noise_reduction(&f64s(&rec.outer), &f64s(&rec.occluded), rate, &fft).with_context(what)?;
    let filters = rig.outside_model().filters(rate as f64);
    let truth: Vec<f64> = third_octaves(0.45 * rate as f64)
        .iter()
        .map(|b| truth_band_db(&filters, b.lower_hz, b.upper_hz, true))
        .collect();
    let mut text =
        String::from("  isolation      octave band: insertion loss / noise reduction, dB\n");
    for i in 0..il.octave.centre_hz.len() {
        let mark =
            |t: &crate::analysis::isolation::BandTable| if t.floor_limited[i] { ">=" } else { "" };
        text += &format!(
            "    {:>6} Hz  {}{:.1} / {}{:.1}\n",
            il.octave.centre_hz[i],
            mark(&il.octave),
            il.octave.attenuation_db[i],
            mark(&nr.octave),
            nr.octave.attenuation_db[i]
        );
    }
    for w in il.warnings.iter().chain(&nr.warnings) {
        text += &format!("  warning: {w}\n");
    }
    let (listening, listening_text) = super::isolation::safe_listening_report(&il.octave, ambient);
    text += &listening_text;
    let doc = json!({
        "isolation": {
            "insertion_loss": il,
            "noise_reduction": nr,
            "truth_third_octave_insertion_loss_db": truth,
        },
        "safe_listening": listening,
    });
    Ok((doc, text))
}

fn stimulus(a: &MeasureArgs) -> Result<Stimulus> {
    Ok(if a.quick {
        MultitoneParams {
            rate: a.rate,
            duration_s: QUICK_DURATION_S,
            ..MultitoneParams::default()
        }
        .generate()?
    } else {
        SweepParams {
            duration_s: a.duration,
            ..SweepParams::at_rate(a.rate)
        }
        .generate()?
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
    let latency = match a.latency.trim() {
        "random" => Latency::Random(1.0),
        s => {
            let secs: f64 = s
                .parse()
                .ok()
                .filter(|v: &f64| (0.0..=10.0).contains(v))
                .with_context(|| {
                    format!("--latency '{s}': give seconds from 0 to 10, or 'random'")
                })?;
            Latency::Samples((secs * a.rate as f64).round() as usize)
        }
    };
    let (h2, h3) = parse_pair(&a.distortion)
        .filter(|(x, y)| (0.0..=30.0).contains(x) && (0.0..=30.0).contains(y))
        .with_context(|| {
            format!(
                "--distortion '{}': give \"H2,H3\" in percent, each from 0 to 30",
                a.distortion
            )
        })?;
    if !(0.0..=200.0).contains(&a.snr) {
        bail!("--snr {}: give 0 to 200 dB", a.snr);
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
    Ok(SimConfig {
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
        ..SimConfig::default()
    })
}

fn parse_pair(s: &str) -> Option<(f64, f64)> {
    let (a, b) = s.split_once(',')?;
    Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
}
