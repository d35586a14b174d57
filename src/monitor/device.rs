//! The monitor's source on a sound card: the multitone period looped on
//! the driver channel of a [`DeviceRig`], the inner mic read as it
//! arrives. The rig only plays and records; the dropout report and the
//! level check against the ceiling are the monitor's.

use super::MonitorSource;
use crate::rig::capture::Playback;
use crate::rig::channel::Channel;
use crate::rig::device::{DeviceRig, LiveStream};
use crate::rig::Rig;
use anyhow::{bail, Context, Result};

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

impl MonitorSource for DeviceMonitorSource {
    fn rate(&self) -> u32 {
        self.rate
    }

    fn start(&mut self, period: &[f32]) -> Result<()> {
        let max_level_dbfs = self.rig.options().max_level_dbfs;
        let ceiling = crate::dsp::from_db(max_level_dbfs) as f32;
        if period.iter().any(|v| v.abs() > ceiling * 1.0001) {
            bail!(
                "the monitor's signal is above the output ceiling of {:.1} dBFS: lower --level",
                max_level_dbfs
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
        let (o, e) = live.take_dropouts();
        if o + e > 0 {
            // Dropouts break the periodic signal for a frame or two; the
            // meter says so rather than showing a wrong value silently.
            eprintln!(
                "\n{}: {o} overrun(s), {e} stream error(s) so far; the meter may jump",
                self.rig.describe()
            );
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_rigs_default_ceiling_is_the_calibrations() {
        assert_eq!(
            crate::rig::DEFAULT_MAX_LEVEL_DBFS,
            crate::calibration::DEFAULT_MAX_LEVEL_DBFS
        );
    }
}
