//! What every command that plays through a sound card shares: the stored
//! calibration, level safety, opening the rig, checking the input.

use crate::calibration::Calibration;
use crate::cli::{DeviceArgs, SyncMode};
use crate::formats::wav::{write_wav, SampleFormat};
use crate::rig::capture::Recorder;
use crate::rig::device::{DeviceChoice, DeviceOptions, DeviceRig};
use crate::rig::Recording;
use anyhow::{bail, Result};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

/// The stored calibration (empty with `--no-cal`) and its path.
pub(crate) fn calibration(dev: &DeviceArgs) -> Result<(Calibration, PathBuf)> {
    let (cal, path) = Calibration::load()?;
    if dev.no_cal {
        return Ok((Calibration::default(), path));
    }
    Ok((cal, path))
}

/// Level safety before anything plays: `level` must not exceed the
/// ceiling; above `--confirm-above` the user is asked (a terminal), or must
/// have passed `--loud-ok`. Returns the ceiling, dBFS.
pub(crate) fn check_level(dev: &DeviceArgs, level: f64, cal: &Calibration) -> Result<f64> {
    let ceiling = dev.max_level.unwrap_or_else(|| cal.max_level_dbfs());
    if !(-60.0..=0.0).contains(&ceiling) {
        bail!("--max-level {ceiling}: give -60 to 0 dBFS");
    }
    if !(-100.0..=0.0).contains(&level) {
        bail!("--level {level}: give -100 to 0 dBFS");
    }
    if level > ceiling {
        bail!(
            "--level {level} dBFS is above the output ceiling of {ceiling} dBFS; lower --level (or raise --max-level, knowing a probe mic may be in someone's ear)"
        );
    }
    if level > dev.confirm_above && !dev.loud_ok {
        let mut stdin = std::io::stdin().lock();
        if !stdin.is_terminal() {
            bail!(
                "--level {level} dBFS is above {} dBFS: pass --loud-ok to play it without a question",
                dev.confirm_above
            );
        }
        eprint!(
            "About to play at {level} dBFS peak (above {} dBFS). Is the volume safe for whoever wears the IEM? [y/N] ",
            dev.confirm_above
        );
        std::io::stderr().flush().ok();
        let mut line = String::new();
        stdin.read_line(&mut line).ok();
        if !line.trim().eq_ignore_ascii_case("y") && !line.trim().eq_ignore_ascii_case("yes") {
            bail!("not played: the level was not confirmed");
        }
    }
    Ok(ceiling)
}

/// Open the rig the options name, reading `input_channels` (1-based), and
/// check before anything plays that both devices can run at `rate`.
pub(crate) fn open_rig(
    dev: &DeviceArgs,
    ceiling: f64,
    input_channels: Vec<u16>,
    rate: u32,
) -> Result<DeviceRig> {
    crate::interrupt::install();
    let rig = DeviceRig::open(DeviceOptions {
        host: dev.host.clone(),
        input: DeviceChoice::from_option(dev.input.as_deref()),
        output: DeviceChoice::from_option(dev.output.as_deref()),
        driver_channel: dev.driver_channel,
        ambient_channel: dev.ambient_channel,
        input_channels,
        max_level_dbfs: ceiling,
        ..DeviceOptions::default()
    })?;
    rig.check(rate)?;
    Ok(rig)
}

/// Whether to play sync markers on this rig.
pub(crate) fn use_sync(dev: &DeviceArgs, rig: &impl Recorder) -> bool {
    match dev.sync {
        SyncMode::On => true,
        SyncMode::Off => false,
        SyncMode::Auto => rig.separate_clocks(),
    }
}

/// Input channel `channel` (1-based, from `flag`) of a recording, checked
/// for silence (muted mic, wrong channel) and clipping (gain too high).
pub(crate) fn input_channel<'a>(
    rec: &'a crate::rig::Recording,
    channel: u16,
    flag: &str,
    rig: &DeviceRig,
) -> Result<&'a [f32]> {
    crate::rig::device_measure::checked_channel(rec, channel, flag, &rig.names().0)
}

/// `--save-recording`: every input channel as 32-bit float WAV.
pub(crate) fn save_recording(path: &Path, rec: &Recording) -> Result<()> {
    write_wav(path, &rec.channels, rec.rate, SampleFormat::F32, None)?;
    eprintln!(
        "saved the recording (every input channel) to {}",
        path.display()
    );
    Ok(())
}
