//! `tipfit measure --rig device`: the same measurement through a sound card.
//!
//! Order: stored calibration and level safety, then the rig; the stimulus
//! (with sync markers when the clocks are separate) is played on the
//! driver channel and every needed input channel recorded; the inner
//! channel is checked for silence and clipping, corrected onto the
//! player's clock, corrected by the mic and sound-card calibrations, and
//! analysed like a sim recording.

use super::device_common::{
    calibration, check_level, input_channel, open_rig, save_recording, use_sync,
};
use super::emit;
use crate::analysis::isolation::noise_reduction;
use crate::analysis::{AnalysisConfig, Analyzer, FrequencyResponse};
use crate::cli::MeasureArgs;
use crate::dsp::fft::FftCache;
use crate::rig::device::Playback;
use crate::rig::device_measure::{apply_calibration, DeviceSetup};
use crate::rig::Rig;
use crate::signal::{MultitoneParams, NoiseColour, NoiseParams, SweepParams};
use anyhow::{bail, Context, Result};
use serde_json::json;

use crate::analysis::quick::QUICK_DURATION_S;

/// Run a device measurement (output paths, reference and analysis
/// settings already checked by the caller).
pub(crate) fn run(
    a: &MeasureArgs,
    reference: Option<FrequencyResponse>,
    mut cfg: AnalysisConfig,
) -> Result<()> {
    let dev = &a.device;
    let (cal, cal_path) = calibration(dev)?;
    let ceiling = check_level(dev, dev.level, &cal)?;
    if a.isolation && (dev.ambient_channel.is_none() || dev.outer_channel.is_none()) {
        bail!("--isolation on a sound card needs an outside speaker and an outer mic: give --ambient-channel and --outer-channel (the noise-reduction method)");
    }
    let mut channels = vec![dev.inner_channel];
    channels.extend(dev.outer_channel);
    channels.extend(dev.loopback_channel);
    let rig = open_rig(dev, ceiling, channels, a.rate)?;
    let stimulus = if a.quick {
        MultitoneParams {
            rate: a.rate,
            duration_s: QUICK_DURATION_S,
            level_dbfs: dev.level,
            ..MultitoneParams::default()
        }
        .generate()?
    } else {
        SweepParams {
            duration_s: a.duration,
            level_dbfs: dev.level,
            ..SweepParams::at_rate(a.rate)
        }
        .generate()?
    };
    let sync = use_sync(dev, &rig);
    let calibration_lines = apply_calibration(&cal, a.rate, &mut cfg);
    let mut setup = DeviceSetup {
        rig,
        inner_channel: dev.inner_channel,
        loopback_channel: dev.loopback_channel,
        sync,
        level_dbfs: dev.level,
    };
    eprintln!(
        "{}: playing {:.1} s at {} dBFS peak on output channel {}",
        setup.rig.describe(),
        stimulus.duration_s(),
        dev.level,
        dev.driver_channel
    );
    let r = setup.measure(&stimulus, &Analyzer::new(), reference.as_ref(), &cfg)?;
    let mut rig = setup.rig;
    if let Some(path) = &a.save_recording {
        save_recording(path, &r.recording)?;
    }
    let m = r.measurement;
    let sync_doc = match r.clock_ppm {
        Some(ppm) => json!({ "clock_ppm": ppm }),
        None => serde_json::Value::Null,
    };
    let card_latency = json!(r.card_latency_s);
    let mut extra = json!({
        "rig": {
            "kind": "device",
            "description": rig.describe(),
            "input": rig.names().0,
            "output": rig.names().1,
            "driver_channel": dev.driver_channel,
            "inner_channel": dev.inner_channel,
            "level_dbfs": dev.level,
            "max_level_dbfs": ceiling,
            "sync": sync_doc,
            "sound_card_latency_s": card_latency,
            "dropouts": 0,
        },
        "calibration": {
            "file": cal_path,
            "applied": calibration_lines,
            "spl": cal.spl,
        },
    });
    let mut text = String::new();
    if let Some(l) = card_latency.as_f64() {
        text += &format!(
            "  latency        {:.1} ms sound card, {:.2} ms acoustic\n",
            l * 1e3,
            (m.latency_s - l) * 1e3
        );
    }
    for l in &calibration_lines {
        text += &format!("  calibration    {l}\n");
    }
    if a.isolation {
        let (doc, t) = isolation(a, &mut rig, ceiling)?;
        extra["isolation"] = doc;
        text += &t;
    }
    emit(&m, extra, &text, &a.analysis, &rig.describe())
}

/// Isolation on a sound card: pink noise on the outside speaker, inner
/// and outer mics at once (noise reduction per band).
fn isolation(
    a: &MeasureArgs,
    rig: &mut crate::rig::device::DeviceRig,
    ceiling: f64,
) -> Result<(serde_json::Value, String)> {
    let dev = &a.device;
    let noise = NoiseParams {
        colour: NoiseColour::Pink,
        duration_s: 5.0,
        rate: a.rate,
        level_dbfs: (dev.level - 10.0).min(ceiling - 12.0),
        seed: 1,
        period: None,
    }
    .generate()?;
    eprintln!(
        "{}: isolation, pink noise on output channel {}",
        rig.describe(),
        dev.ambient_channel.unwrap_or(0)
    );
    let rec = rig.play_and_record_all(
        &Playback {
            ambient: noise.samples,
            ..Playback::default()
        },
        a.rate,
    )?;
    let inner = input_channel(&rec, dev.inner_channel, "--inner-channel", rig)?;
    let outer = input_channel(
        &rec,
        dev.outer_channel.expect("checked"),
        "--outer-channel",
        rig,
    )?;
    let f64s = |x: &[f32]| -> Vec<f64> { x.iter().map(|&v| v as f64).collect() };
    let nr = noise_reduction(&f64s(outer), &f64s(inner), a.rate, &FftCache::new())
        .with_context(|| format!("{}: isolation", rig.describe()))?;
    let mut text = String::from("  isolation      octave band: noise reduction, dB\n");
    for i in 0..nr.octave.centre_hz.len() {
        text += &format!(
            "    {:>6} Hz  {}{:.1}\n",
            nr.octave.centre_hz[i],
            if nr.octave.floor_limited[i] { ">=" } else { "" },
            nr.octave.attenuation_db[i]
        );
    }
    Ok((json!({ "noise_reduction": nr }), text))
}
