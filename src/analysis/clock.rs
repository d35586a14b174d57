//! What is known about the player's and the recorder's clocks: the
//! [`ClockInfo`] a measurement stores, how the analysis treats the clocks
//! ([`ClockCheck`]) and the words of the messages about a drift. The
//! estimation itself is in [`super::drift`], which re-exports these.

use crate::dsp::sync;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Largest clock difference corrected, ppm (the same limit as the sync
/// markers', [`crate::dsp::sync::MAX_PPM`]): sound-card clocks are within
/// +-100 ppm, cheap ones a few hundred; more means the devices run at
/// different nominal rates.
pub const MAX_PPM: f64 = sync::MAX_PPM;

/// A drift (or a residual after a correction) at or below this is
/// reported but not corrected, ppm.
pub const CORRECT_ABOVE_PPM: f64 = 5.0;

/// Corrections tried before a recording whose drift does not converge is
/// refused.
pub const MAX_CORRECTIONS: usize = 3;

/// The estimation window holds the spread of this clock difference, ppm,
/// so that a drift somewhat beyond [`MAX_PPM`] is still measured (and
/// refused with its value).
pub(super) const WINDOW_PPM: f64 = 1.5 * MAX_PPM;

/// How a clock difference was found (stored in [`ClockInfo::method`] as
/// its name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClockMethod {
    /// The excess group delay of a sweep's response.
    #[serde(rename = "sweep group delay")]
    SweepGroupDelay,
    /// The lags of the noise's segments.
    #[serde(rename = "noise segment lags")]
    NoiseSegmentLags,
    /// The multitone's phase turn from frame to frame.
    #[serde(rename = "multitone phase")]
    MultitonePhase,
    /// Measured by the sync markers.
    #[serde(rename = "sync markers")]
    SyncMarkers,
}

impl ClockMethod {
    /// The name stored in the JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ClockMethod::SweepGroupDelay => "sweep group delay",
            ClockMethod::NoiseSegmentLags => "noise segment lags",
            ClockMethod::MultitonePhase => "multitone phase",
            ClockMethod::SyncMarkers => "sync markers",
        }
    }
}

impl fmt::Display for ClockMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for ClockMethod {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// How a refused clock difference was found, for
/// [`super::AnalysisError::ClockDrift`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftFoundBy {
    /// Estimated (or measured) by one of the clock methods.
    Method(ClockMethod),
    /// A response showed when the recording was resampled as if the
    /// signal had been played at this rate, Hz.
    RateTrial(u32),
}

impl fmt::Display for DriftFoundBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DriftFoundBy::Method(m) => m.fmt(f),
            DriftFoundBy::RateTrial(played) => write!(f, "trial at {played} Hz"),
        }
    }
}

/// What was found about the player's and the recorder's clocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClockInfo {
    /// Recorder clock minus player clock, ppm (positive: the recorder runs
    /// fast and records more samples than were played).
    pub clock_ppm: f64,
    /// How it was found (stored as `sweep group delay`, `noise segment
    /// lags`, `multitone phase` or `sync markers`).
    pub method: ClockMethod,
    /// Whether the recording was resampled onto the player's clock.
    pub corrected: bool,
    /// Standard uncertainty of `clock_ppm`, ppm, from the fit's residuals
    /// (statistical only: on the test fixtures the estimate from another
    /// program's sweep is off by about 3 ppm at 0.9 ppm uncertainty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncertainty_ppm: Option<f64>,
}

impl ClockInfo {
    /// The summary line's text, e.g. `+1000 ppm (estimated from the
    /// sweep's group delay; corrected)`.
    pub fn describe(&self) -> String {
        let how = match self.method {
            ClockMethod::SweepGroupDelay => "estimated from the sweep's group delay",
            ClockMethod::NoiseSegmentLags => "estimated from the noise's lag drift",
            ClockMethod::MultitonePhase => "estimated from the tones' phase drift",
            ClockMethod::SyncMarkers => "measured by the sync markers",
        };
        let done = if self.corrected {
            "corrected"
        } else if self.clock_ppm.abs() <= CORRECT_ABOVE_PPM {
            "too small to need a correction"
        } else {
            "not corrected: within three times its uncertainty of 0"
        };
        let digits = if self.clock_ppm.abs() < 100.0 { 1 } else { 0 };
        let pm = self
            .uncertainty_ppm
            .filter(|u| *u >= 1.0)
            .map_or(String::new(), |u| format!(" +-{u:.0}"));
        // no "-0.0"
        let scale = 10f64.powi(digits as i32);
        let ppm = (self.clock_ppm * scale).round() / scale + 0.0;
        format!("{ppm:+.digits$}{pm} ppm ({how}; {done})")
    }
}

/// How the analysis treats the clocks.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ClockCheck {
    /// Estimate the drift from the recording and correct it (default).
    #[default]
    Estimate,
    /// Already measured and corrected (sync markers): reported as given,
    /// not estimated again.
    Known(ClockInfo),
    /// Not checked (`--sync off`): a large drift still shows as a smeared
    /// response (`AnalysisError::Smeared`).
    Off,
}

/// What the messages about a clock drift advise: the options of the
/// command that analyses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SyncAdvice {
    /// `tipfit measure` or a session on a rig (`--sync` plays markers).
    #[default]
    Rig,
    /// `tipfit analyze`: a recording made elsewhere.
    File,
}

impl fmt::Display for SyncAdvice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SyncAdvice::Rig => "measure with sync markers (--sync on) or record and play on one device",
            SyncAdvice::File => "record and play on one device, or play a signal written with sync markers (tipfit signal sweep --sync-markers --out s.wav) and analyze with --sync on",
        })
    }
}

/// How much the clocks differ, for [`super::AnalysisError::ClockDrift`]: the
/// figure, or a bound when it is `rough` (beyond what the estimation
/// window holds).
pub fn amount(ppm: Option<f64>, rough: bool) -> String {
    match ppm {
        Some(p) if rough => format!("more than {WINDOW_PPM:.0} ppm (about {p:+.0} ppm)"),
        Some(p) => format!("{p:+.0} ppm"),
        None => "more than can be measured".into(),
    }
}

/// Why a clock difference was refused, for [`super::AnalysisError::ClockDrift`].
pub fn likely_cause(ppm: Option<f64>, rate: u32) -> String {
    let rates = "playback and recording probably run at different sample rates (44.1 against 48 kHz is 8.8 %), or the file was resampled";
    match ppm {
        Some(p) if p.abs() > 10_000.0 => format!(
            "as if it recorded at {:.0} Hz instead of {rate} Hz, far more than two clocks differ (a few hundred ppm): {rates}",
            rate as f64 * (1.0 + p * 1e-6)
        ),
        Some(p) => format!(
            "as if it recorded at {:.0} Hz instead of {rate} Hz: the devices' clocks are far apart, or one runs at a different rate",
            rate as f64 * (1.0 + p * 1e-6)
        ),
        None => format!("the corrections did not converge: {rates}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_info_reads_well() {
        let c = ClockInfo {
            clock_ppm: 1000.2,
            method: ClockMethod::SweepGroupDelay,
            corrected: true,
            uncertainty_ppm: Some(0.3),
        };
        assert_eq!(
            c.describe(),
            "+1000 ppm (estimated from the sweep's group delay; corrected)"
        );
    }

    #[test]
    fn clock_methods_are_stored_as_before() {
        for m in [
            ClockMethod::SweepGroupDelay,
            ClockMethod::NoiseSegmentLags,
            ClockMethod::MultitonePhase,
            ClockMethod::SyncMarkers,
        ] {
            let s = serde_json::to_string(&m).unwrap();
            assert_eq!(s, format!("\"{m}\""));
            assert_eq!(serde_json::from_str::<ClockMethod>(&s).unwrap(), m);
        }
        let old = r#"{"clock_ppm":-3.5,"method":"sync markers","corrected":false}"#;
        let c: ClockInfo = serde_json::from_str(old).unwrap();
        assert_eq!(c.method, ClockMethod::SyncMarkers);
        assert_eq!(serde_json::to_string(&c).unwrap(), old);
        assert_eq!(
            DriftFoundBy::RateTrial(44_100).to_string(),
            "trial at 44100 Hz"
        );
    }
}
