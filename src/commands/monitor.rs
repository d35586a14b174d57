//! `tipfit monitor`: the live seal meter.
//!
//! On a terminal (and without `--json`) one line is redrawn per update; on
//! anything else each update is one JSON object per line, flushed at once.
//! Ctrl-C silences the output first, then ends with status 130; the end of
//! `--duration` ends with status 0.

use crate::analysis::seal::{SealConfig, Verdict};
use crate::calibration::Calibration;
use crate::cli::{MonitorArgs, RigKind};
use crate::dsp::fft::FftCache;
use crate::interrupt::StopToken;
use crate::measure::DevicePlan;
use crate::monitor::{
    self, FrameAnalyser, MonitorSettings, MonitorSource, Schedule, ScheduledFit, SimMonitorConfig,
    SimMonitorSource, Summary, Update,
};
use crate::signal::RATE_RANGE_HZ;
use anyhow::{bail, Result};
use std::io::{IsTerminal, Write};

/// Default length of a sim run, s.
const SIM_DURATION_S: f64 = 10.0;

pub fn run(a: MonitorArgs) -> Result<()> {
    let stop_token = crate::interrupt::install();
    validate(&a)?;
    let reference = a
        .reference_response
        .as_deref()
        .map(super::load_reference)
        .transpose()?;
    let (mut source, cal): (Box<dyn MonitorSource>, _) = match a.rig {
        RigKind::Sim => (Box::new(sim_source(&a)?), None),
        RigKind::Device => {
            let (source, cal) = open_device(&a, stop_token.clone())?;
            (source, Some(cal))
        }
    };
    let rate = source.rate();
    let (params, period) = monitor::multitone(rate, a.device.level)?;
    let mut analyser = FrameAnalyser::new(
        &params,
        &period,
        reference.as_ref(),
        SealConfig::default(),
        &FftCache::new(),
    )?;
    let mut corrections = Vec::new();
    if let Some(path) = &a.mic_cal {
        corrections.push(crate::formats::miccal::read(path)?);
        eprintln!(
            "calibration: microphone calibration {} subtracted",
            path.display()
        );
    }
    if let Some(cal) = &cal {
        let mut cfg = crate::analysis::AnalysisConfig::default();
        for line in crate::measure::device::apply_calibration(cal, rate, &mut cfg) {
            eprintln!("calibration: {line}");
        }
        corrections.extend(cfg.corrections);
    }
    analyser.set_corrections(&corrections);
    let settings = MonitorSettings {
        updates_per_s: a.updates,
        settle_s: monitor::SETTLE_S,
        duration_s: a.duration.or(match a.rig {
            RigKind::Sim => Some(SIM_DURATION_S),
            RigKind::Device => None,
        }),
    };
    let terminal = !a.json && std::io::stdout().is_terminal();
    if terminal {
        eprintln!(
            "tipfit monitor: {}, {}; Ctrl-C to stop",
            source.describe(),
            match settings.duration_s {
                Some(d) => format!("{d} s"),
                None => "until Ctrl-C".into(),
            }
        );
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut emit = |u: &Update| -> Result<()> {
        if terminal {
            write!(out, "\r{}\x1b[K", render_line(u, true))?;
        } else {
            serde_json::to_writer(&mut out, u)?;
            out.write_all(b"\n")?;
        }
        out.flush()?;
        Ok(())
    };
    let stop = || stop_token.is_stopped();
    let result = monitor::run(
        source.as_mut(),
        &period,
        &mut analyser,
        &settings,
        &stop,
        &mut emit,
    );
    drop(out);
    // The source is stopped (output silent) by now, whatever happened.
    let summary = match result {
        Ok(s) => s,
        Err(e) if is_broken_pipe(&e) => return Ok(()),
        Err(e) => {
            if terminal {
                eprintln!();
            }
            return Err(e.context(format!("{}: the monitor stopped", source.describe())));
        }
    };
    if terminal {
        println!();
        println!("{}", summary_line(&summary));
    }
    if summary.interrupted {
        return Err(crate::interrupt::Interrupted.into());
    }
    Ok(())
}

/// The option checks, before anything plays.
fn validate(a: &MonitorArgs) -> Result<()> {
    if !(a.updates.is_finite() && (1.0..=50.0).contains(&a.updates)) {
        bail!("--updates {}: give 1 to 50 updates per second", a.updates);
    }
    if let Some(d) = a.duration {
        if !(d.is_finite() && d > 0.0) {
            bail!("--duration {d}: give a positive number of seconds");
        }
    }
    if !RATE_RANGE_HZ.contains(&a.rate) {
        bail!(
            "--rate {}: give {} to {} Hz",
            a.rate,
            RATE_RANGE_HZ.start(),
            RATE_RANGE_HZ.end()
        );
    }
    if a.rig == RigKind::Device && (a.schedule.is_some() || a.fast) {
        bail!("--schedule and --fast are for the simulated ear (--rig sim); a real ear changes when you move the tip");
    }
    Ok(())
}

fn sim_source(a: &MonitorArgs) -> Result<SimMonitorSource> {
    let default = ScheduledFit::Preset(a.tip_preset);
    let schedule = match &a.schedule {
        Some(s) => Schedule::parse(s, default, a.seed)?,
        None => Schedule::constant(default, a.seed),
    };
    SimMonitorSource::new(
        a.rate,
        SimMonitorConfig::default(),
        schedule,
        a.seed,
        a.fast,
    )
}

/// The sound card: level safety and the stored ceiling first, then the
/// looping stream on the driver channel; and the stored calibration.
fn open_device(a: &MonitorArgs, stop: StopToken) -> Result<(Box<dyn MonitorSource>, Calibration)> {
    use crate::measure::device::{check_level, open_rig, stored_calibration};
    let dev = DevicePlan::from(&a.device);
    let (cal, _) = stored_calibration(&dev)?;
    let confirm = &mut super::device_common::TerminalConfirm;
    let ceiling = check_level(&dev, dev.level_dbfs, &cal, confirm)?;
    let rig = open_rig(&dev, ceiling, &[dev.inner_channel], a.rate, stop)?;
    let source = crate::monitor::DeviceMonitorSource::new(rig, a.rate, dev.inner_channel)?;
    Ok((Box::new(source), cal))
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .and_then(|j| j.io_error_kind())
                == Some(std::io::ErrorKind::BrokenPipe)
    })
}

/// ANSI colour of a verdict.
fn colour(v: Verdict) -> &'static str {
    match v {
        Verdict::Good => "\x1b[1;32m",
        Verdict::Fair => "\x1b[1;33m",
        Verdict::Poor => "\x1b[1;31m",
        Verdict::NoSeal => "\x1b[1;37;41m",
    }
}

/// Width of the bass bar, characters.
const BAR: usize = 20;
/// Bass deficit at which the bar is empty, dB.
const BAR_RANGE_DB: f64 = 30.0;

/// One meter line: time, bass, bar, leak, verdict, warnings.
fn render_line(u: &Update, ansi: bool) -> String {
    let time = format!("{:6.1} s", u.t_s);
    let Some(bass) = u.bass_db else {
        let msg = u.message.unwrap_or("no signal");
        return if ansi {
            format!("{time}  \x1b[1;33m{msg}\x1b[0m")
        } else {
            format!("{time}  {msg}")
        };
    };
    let (label, value) = match u.bass_loss_db {
        Some(loss) => ("bass loss", loss),
        None => ("bass", bass),
    };
    let deficit = u.bass_loss_db.unwrap_or(-bass);
    let filled = (((BAR_RANGE_DB - deficit) / BAR_RANGE_DB * BAR as f64).round() as isize)
        .clamp(0, BAR as isize) as usize;
    let bar = format!("{}{}", "#".repeat(filled), "-".repeat(BAR - filled));
    let floor = if u.bass_floor_limited { "<" } else { " " };
    let leak = match u.leak_corner_hz {
        Some(c) => format!("{c:5.0} Hz"),
        None => format!("{:>8}", "--"),
    };
    let verdict = match u.verdict {
        Some(v) if ansi => format!("{}{:^9}\x1b[0m", colour(v), v.to_string().to_uppercase()),
        Some(v) => format!("{:^9}", v.to_string().to_uppercase()),
        None => format!("{:^9}", "?"),
    };
    let mut line = format!("{time}  {label} {floor}{value:6.1} dB [{bar}]  leak {leak}  {verdict}");
    if let Some(msg) = u.message {
        line += &if ansi {
            format!("  \x1b[1;33m{msg}\x1b[0m")
        } else {
            format!("  {msg}")
        };
    } else if u.snr_db < 10.0 {
        line += &format!("  low bass SNR {:.0} dB", u.snr_db);
    }
    line
}

/// The closing line on a terminal.
fn summary_line(s: &Summary) -> String {
    let best = match s.best {
        Some(v) => v.to_string(),
        None => "none (no signal)".into(),
    };
    let good = match s.first_good_s {
        Some(t) => format!("good seal first at {t:.1} s"),
        None => "no good seal".into(),
    };
    format!(
        "best verdict: {best}; {good} ({} updates over {:.1} s)",
        s.updates, s.recorded_s
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update() -> Update {
        Update {
            t_s: 1.25,
            bass_db: Some(-4.0),
            bass_floor_limited: false,
            bass_loss_db: None,
            leak_corner_hz: Some(42.0),
            verdict: Some(Verdict::Fair),
            snr_db: 60.0,
            level_dbfs: -26.0,
            silent: false,
            clipped: false,
            message: None,
        }
    }

    #[test]
    fn plain_line_has_every_part_and_no_escapes() {
        let line = render_line(&update(), false);
        assert!(!line.contains('\x1b'), "{line}");
        for part in ["1.2 s", "bass", "-4.0 dB", "###", "42 Hz", "FAIR"] {
            assert!(line.contains(part), "{part} in {line}");
        }
        let coloured = render_line(&update(), true);
        assert!(coloured.contains("\x1b[1;33m"));
    }

    #[test]
    fn silent_line_says_what_to_do() {
        let u = Update {
            bass_db: None,
            verdict: None,
            silent: true,
            message: Some(crate::monitor::analyser::SILENT_MESSAGE),
            ..update()
        };
        assert!(render_line(&u, false).contains("mic muted"));
    }
}
