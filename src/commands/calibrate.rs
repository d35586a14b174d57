//! `tipfit calibrate`: SPL and sound-card calibration, stored in the
//! config folder (see [`crate::calibration`]).

use super::channel;
use super::device_common::TerminalConfirm;
use crate::analysis::{AnalysisConfig, Analyzer};
use crate::calibration::{now, read_calibrator, Calibration, LoopbackCal, SplCal};
use crate::cli::{CalibrateCommand, CalibrateLoopbackArgs, CalibrateShowArgs, CalibrateSplArgs};
use crate::dsp::grid::Smoothing;
use crate::formats::wav::read_wav;
use crate::measure::device::{check_level, open_rig, use_markers};
use crate::measure::take::{self, StreamSetup};
use crate::measure::DevicePlan;
use crate::rig::Rig;
use crate::signal::SweepParams;
use anyhow::{bail, Context, Result};

pub fn run(c: CalibrateCommand) -> Result<()> {
    match c {
        CalibrateCommand::Spl(a) => spl(a),
        CalibrateCommand::Loopback(a) => loopback(a),
        CalibrateCommand::Show(a) => show(a),
        CalibrateCommand::Clear(_) => clear(),
    }
}

fn spl(a: CalibrateSplArgs) -> Result<()> {
    if !(60.0..=140.0).contains(&a.spl) {
        bail!(
            "--spl {}: give the calibrator's level, 60 to 140 dB SPL (usually 94 or 114)",
            a.spl
        );
    }
    if !(50.0..=10_000.0).contains(&a.freq) {
        bail!("--freq {}: give 50 to 10000 Hz (usually 1000)", a.freq);
    }
    if !(1.0..=60.0).contains(&a.seconds) {
        bail!("--seconds {}: give 1 to 60 s", a.seconds);
    }
    let (mut cal, path) = Calibration::load()?;
    let (x, rate, input) = match &a.from_wav {
        Some(wav) => {
            let w = read_wav(wav)?;
            let x = channel(&w, wav, a.channel, "--channel")?.to_vec();
            (
                x,
                w.rate,
                format!("{} channel {}", wav.display(), a.channel),
            )
        }
        None => {
            // Record only: the output plays silence.
            let dev = DevicePlan::from(&a.device);
            let mut rig = open_rig(
                &dev,
                -60.0,
                &[dev.inner_channel],
                a.rate,
                crate::interrupt::install(),
            )?;
            eprintln!(
                "{}: recording the calibrator for {} s on input channel {}...",
                rig.describe(),
                a.seconds,
                dev.inner_channel
            );
            let (x, rate) = take::record_input(&mut rig, dev.inner_channel, a.seconds, a.rate)?;
            (
                x,
                rate,
                format!("{} channel {}", rig.names().0, dev.inner_channel),
            )
        }
    };
    let r = read_calibrator(&x, rate, a.freq).with_context(|| format!("{input}: calibrator"))?;
    let offset_db = a.spl - r.dbfs;
    cal.spl = Some(SplCal {
        offset_db,
        calibrator_db_spl: a.spl,
        freq_hz: r.freq_hz,
        recorded_dbfs: r.dbfs,
        input,
        date: now(),
    });
    cal.save_to(&path)?;
    println!(
        "calibrator {:.1} dB SPL at {:.1} Hz read {:.2} dBFS RMS (steady within {:.2} dB)\n\
         0 dBFS RMS = {offset_db:.2} dB SPL; stored in {}",
        a.spl,
        r.freq_hz,
        r.dbfs,
        r.spread_db,
        path.display()
    );
    Ok(())
}

fn loopback(a: CalibrateLoopbackArgs) -> Result<()> {
    let dev = DevicePlan::from(&a.device);
    let (mut cal, path) = Calibration::load()?;
    let ceiling = check_level(&dev, dev.level_dbfs, &cal, &mut TerminalConfirm)?;
    let stimulus = SweepParams {
        duration_s: a.duration,
        level_dbfs: dev.level_dbfs,
        ..SweepParams::at_rate(a.rate)
    }
    .generate()?;
    let mut rig = open_rig(
        &dev,
        ceiling,
        &[dev.inner_channel],
        a.rate,
        crate::interrupt::install(),
    )?;
    let setup = StreamSetup {
        inner: dev.inner_channel,
        right_inner: None,
        markers: use_markers(dev.sync, &rig),
        level_dbfs: dev.level_dbfs,
    };
    eprintln!(
        "{}: measuring the sound card (cable from output channel {} to input channel {})...",
        rig.describe(),
        dev.driver_channel,
        dev.inner_channel
    );
    let take = take::stream(&mut rig, &setup, &stimulus)?;
    if let Some(ppm) = take.clock_ppm {
        eprintln!("clock drift {ppm:+.1} ppm (corrected)");
    }
    let (x, rec) = (take.inner(), &take.recording);
    let cfg = AnalysisConfig {
        smoothing: Smoothing::Octave(12),
        ..AnalysisConfig::default()
    };
    let m = Analyzer::new()
        .analyse(x, rec.rate, &stimulus, None, &cfg)
        .with_context(|| format!("{}: the loopback recording", rig.describe()))?;
    let fr = &m.frequency_response;
    let (lo, hi) = fr
        .freq_hz
        .iter()
        .zip(&fr.db)
        .filter(|(f, _)| (20.0..=20_000.0).contains(*f))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (_, d)| {
            (lo.min(*d), hi.max(*d))
        });
    if m.snr_db < 40.0 {
        bail!(
            "{}: the loopback's SNR is only {:.1} dB: is the cable from output channel {} to input channel {} in, and the gain right?",
            rig.describe(),
            m.snr_db,
            dev.driver_channel,
            dev.inner_channel
        );
    }
    let latency_s = m.latency_s - rec.lead_s;
    cal.loopback = Some(LoopbackCal {
        device: rig.describe(),
        rate: a.rate,
        latency_s,
        response: m.frequency_response.clone(),
        date: now(),
    });
    cal.save_to(&path)?;
    println!(
        "sound card: latency {:.2} ms, response {lo:+.2} to {hi:+.2} dB from 20 Hz to 20 kHz, SNR {:.1} dB\n\
         stored in {}; later measurements at {} Hz subtract it (--no-cal to skip)",
        latency_s * 1e3,
        m.snr_db,
        path.display(),
        a.rate
    );
    Ok(())
}

fn show(a: CalibrateShowArgs) -> Result<()> {
    let (cal, path) = Calibration::load()?;
    if a.json {
        let doc = serde_json::json!({ "file": path, "calibration": cal });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    println!("calibration file: {}", path.display());
    let lines = cal.describe();
    if lines.is_empty() {
        println!("  nothing stored (tipfit calibrate spl / tipfit calibrate loopback)");
    }
    for l in lines {
        println!("  {l}");
    }
    println!("  output ceiling: {:.1} dBFS peak", cal.max_level_dbfs());
    Ok(())
}

fn clear() -> Result<()> {
    let path = crate::calibration::path()?;
    match std::fs::remove_file(&path) {
        Ok(()) => println!("removed {}", path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            println!("nothing stored ({} does not exist)", path.display())
        }
        Err(e) => return Err(e).with_context(|| format!("{}: cannot remove", path.display())),
    }
    Ok(())
}
