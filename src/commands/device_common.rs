//! What every command that plays through a sound card shares: the
//! sound-card options as a [`DevicePlan`], the terminal question about a
//! loud level, saving a recording.

use crate::cli::DeviceArgs;
use crate::formats::wav::{write_wav, SampleFormat};
use crate::measure::{Confirm, DevicePlan};
use crate::rig::Recording;
use anyhow::Result;
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

impl From<&DeviceArgs> for DevicePlan {
    fn from(dev: &DeviceArgs) -> Self {
        DevicePlan {
            host: dev.host.clone(),
            input: dev.input.clone(),
            output: dev.output.clone(),
            driver_channel: dev.driver_channel,
            ambient_channel: dev.ambient_channel,
            inner_channel: dev.inner_channel,
            outer_channel: dev.outer_channel,
            loopback_channel: dev.loopback_channel,
            driver_channels: None,
            inner_channels: None,
            level_dbfs: dev.level,
            max_level_dbfs: dev.max_level,
            confirm_above_dbfs: dev.confirm_above,
            loud_ok: dev.loud_ok,
            sync: dev.sync,
            no_cal: dev.no_cal,
            mic_cal: None,
        }
    }
}

/// The person at the terminal: the question on stderr, the answer from
/// stdin (nobody to ask when stdin is not a terminal).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TerminalConfirm;

impl Confirm for TerminalConfirm {
    fn confirm(&mut self, question: &str) -> Option<bool> {
        let mut stdin = std::io::stdin().lock();
        if !stdin.is_terminal() {
            return None;
        }
        eprint!("{question} ");
        std::io::stderr().flush().ok();
        let mut line = String::new();
        stdin.read_line(&mut line).ok();
        let yes = line.trim().eq_ignore_ascii_case("y") || line.trim().eq_ignore_ascii_case("yes");
        Some(yes)
    }
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

#[cfg(test)]
mod tests {
    use crate::cli::{Cli, Command};
    use crate::measure::DevicePlan;
    use crate::rig::channel::CHANNELS_COUNT_FROM_1;
    use clap::Parser;

    #[test]
    fn channel_0_is_refused_on_the_command_line_with_the_one_message() {
        for flag in [
            "--driver-channel",
            "--ambient-channel",
            "--inner-channel",
            "--outer-channel",
            "--loopback-channel",
        ] {
            let e = Cli::try_parse_from(["tipfit", "measure", flag, "0"]).unwrap_err();
            assert!(e.to_string().contains(CHANNELS_COUNT_FROM_1), "{flag}: {e}");
        }
        let cli = Cli::try_parse_from(["tipfit", "monitor", "--inner-channel", "2"]).unwrap();
        let Command::Monitor(a) = cli.command else {
            panic!("monitor")
        };
        let plan = DevicePlan::from(&a.device);
        assert_eq!(
            (plan.inner_channel.get(), plan.driver_channel.get()),
            (2, 1)
        );
        assert_eq!(plan.level_dbfs, -20.0);
    }
}
