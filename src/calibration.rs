//! Stored calibration: the SPL offset from a sound calibrator and the sound
//! card's own response and latency from a loopback cable.
//!
//! Kept in `calibration.json` in the config folder: `$TIPFIT_CONFIG_DIR`,
//! else `$XDG_CONFIG_HOME/tipfit`, else `~/.config/tipfit`. The file is
//! small JSON, written atomically; `tipfit calibrate show` prints it and
//! every device measurement names what it applied.
//!
//! - **SPL**: a calibrator (94 dB SPL at 1 kHz, the usual class 1/2 kind)
//!   on the measurement mic is recorded; its RMS level in dBFS gives
//!   `offset_db = spl - dbfs`, the dB SPL of a 0 dBFS RMS recording.
//!   Responses then read in dB SPL for a 0 dBFS RMS drive.
//! - **Loopback**: a sweep through a cable from the output to the input
//!   gives the sound card's response (subtracted from later responses like
//!   a mic calibration) and its latency.

use crate::analysis::FrequencyResponse;
use crate::dsp::fft::FftCache;
use crate::formats::miccal::MicCal;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Version of the calibration file this tipfit writes.
pub const CAL_VERSION: u32 = 1;
/// The file's name in the config folder.
pub const FILE_NAME: &str = "calibration.json";
/// Default ceiling of the output level, dBFS peak (the rig's).
pub use crate::rig::DEFAULT_MAX_LEVEL_DBFS;

/// The SPL calibration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplCal {
    /// dB SPL of a 0 dBFS RMS recording.
    pub offset_db: f64,
    /// The calibrator's level, dB SPL.
    pub calibrator_db_spl: f64,
    /// The calibrator's frequency as measured, Hz.
    pub freq_hz: f64,
    /// The calibrator's recorded RMS level, dBFS.
    pub recorded_dbfs: f64,
    /// Input device and channel it was recorded on.
    pub input: String,
    /// When (RFC 3339, UTC).
    pub date: String,
}

/// The sound card's own response and latency (loopback cable).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoopbackCal {
    /// Output -> input device it was measured on.
    pub device: String,
    /// Sample rate, Hz.
    pub rate: u32,
    /// Round-trip latency, s.
    pub latency_s: f64,
    /// The response (dB re unity gain), subtracted from later responses.
    pub response: FrequencyResponse,
    /// When (RFC 3339, UTC).
    pub date: String,
}

/// Everything stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calibration {
    /// File version.
    pub version: u32,
    /// SPL calibration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spl: Option<SplCal>,
    /// Sound-card calibration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loopback: Option<LoopbackCal>,
    /// Ceiling of the output level, dBFS peak (overrides the default -6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_level_dbfs: Option<f64>,
}

impl Default for Calibration {
    fn default() -> Self {
        Self {
            version: CAL_VERSION,
            spl: None,
            loopback: None,
            max_level_dbfs: None,
        }
    }
}

/// The config folder (see the module docs).
pub fn config_dir() -> Result<PathBuf> {
    let non_empty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(d) = non_empty("TIPFIT_CONFIG_DIR") {
        return Ok(PathBuf::from(d));
    }
    if let Some(d) = non_empty("XDG_CONFIG_HOME") {
        return Ok(PathBuf::from(d).join("tipfit"));
    }
    if let Some(h) = non_empty("HOME") {
        return Ok(PathBuf::from(h).join(".config").join("tipfit"));
    }
    bail!("no config folder: set TIPFIT_CONFIG_DIR (or HOME)")
}

/// The calibration file's path.
pub fn path() -> Result<PathBuf> {
    Ok(config_dir()?.join(FILE_NAME))
}

impl Calibration {
    /// Read `path`; a missing file is an empty calibration.
    pub fn load_from(path: &Path) -> Result<Self> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(e).with_context(|| format!("{}: cannot read", path.display())),
        };
        let cal: Calibration = serde_json::from_str(&text).with_context(|| {
            format!(
                "{}: not a tipfit calibration file (fix or remove it: `tipfit calibrate clear`)",
                path.display()
            )
        })?;
        if cal.version > CAL_VERSION {
            bail!(
                "{}: written by a newer tipfit (version {}); update tipfit",
                path.display(),
                cal.version
            );
        }
        if let Some(m) = cal.max_level_dbfs {
            if !(-60.0..=0.0).contains(&m) {
                bail!(
                    "{}: max_level_dbfs {m} must be from -60 to 0 dBFS",
                    path.display()
                );
            }
        }
        Ok(cal)
    }

    /// Read the stored calibration.
    pub fn load() -> Result<(Self, PathBuf)> {
        let p = path()?;
        Ok((Self::load_from(&p)?, p))
    }

    /// Write atomically to `path` (creating its folder).
    pub fn save_to(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("{}: cannot create the folder", dir.display()))?;
        }
        let text = serde_json::to_string_pretty(self)?;
        crate::formats::atomic_write(path, text.as_bytes())
            .with_context(|| format!("{}: cannot write", path.display()))
    }

    /// The output ceiling, dBFS peak.
    pub fn max_level_dbfs(&self) -> f64 {
        self.max_level_dbfs.unwrap_or(DEFAULT_MAX_LEVEL_DBFS)
    }

    /// The loopback response as a correction to subtract (when it was
    /// measured at `rate`).
    pub fn loopback_correction(&self, rate: u32) -> Option<MicCal> {
        let l = self.loopback.as_ref().filter(|l| l.rate == rate)?;
        Some(MicCal {
            freq_hz: l.response.freq_hz.clone(),
            gain_db: l.response.db.clone(),
            phase_deg: None,
            sens_factor_db: None,
            serial: None,
        })
    }

    /// One line per stored item, for results and `calibrate show`.
    pub fn describe(&self) -> Vec<String> {
        let mut v = Vec::new();
        if let Some(s) = &self.spl {
            v.push(format!(
                "SPL: 0 dBFS RMS = {:.1} dB SPL ({:.1} dB SPL calibrator at {:.0} Hz read {:.1} dBFS on {}, {})",
                s.offset_db, s.calibrator_db_spl, s.freq_hz, s.recorded_dbfs, s.input, s.date
            ));
        }
        if let Some(l) = &self.loopback {
            v.push(format!(
                "sound card: {} at {} Hz, latency {:.1} ms, response {:+.2} to {:+.2} dB ({})",
                l.device,
                l.rate,
                l.latency_s * 1000.0,
                l.response.db.iter().cloned().fold(f64::INFINITY, f64::min),
                l.response
                    .db
                    .iter()
                    .cloned()
                    .fold(f64::NEG_INFINITY, f64::max),
                l.date
            ));
        }
        v
    }
}

/// The current time as RFC 3339 (UTC, seconds).
pub fn now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

/// What a calibrator recording gave.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibratorReading {
    /// RMS level of the tone, dBFS (full-scale sine = -3.01 dBFS RMS... here
    /// 0 dBFS RMS = an RMS of 1.0).
    pub dbfs: f64,
    /// The tone's frequency, Hz.
    pub freq_hz: f64,
    /// Level spread over the recording (max - min of 0.25 s blocks), dB.
    pub spread_db: f64,
}

/// Read a calibrator tone of about `expected_hz` in `x`: its RMS level in
/// dBFS (the tone alone, from its spectral peak), its frequency, and how
/// steady it is. Refuses silence, clipping, a tone far from `expected_hz`
/// (more than 5 %), a tone buried in noise (under 90 % of the power) and a
/// level that changes by more than 1 dB.
pub fn read_calibrator(x: &[f32], rate: u32, expected_hz: f64) -> Result<CalibratorReading> {
    let rate_f = rate as f64;
    // Skip the first 0.25 s (the stream starting, the user letting go).
    let skip = (0.25 * rate_f) as usize;
    if x.len() < skip + rate as usize / 2 {
        bail!("the recording is too short: record at least 1 s of the calibrator");
    }
    let x: Vec<f64> = x[skip..].iter().map(|&v| v as f64).collect();
    let peak = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if crate::dsp::db(peak) < -90.0 {
        bail!("no signal on the input (silence): is the mic connected, unmuted, on this channel, and the calibrator on?");
    }
    let clipped = x.iter().filter(|v| v.abs() >= 0.999).count();
    if clipped > 2 {
        bail!("the input is clipping ({clipped} samples at full scale): turn the input gain down");
    }
    let mean = x.iter().sum::<f64>() / x.len() as f64;
    let x: Vec<f64> = x.iter().map(|v| v - mean).collect();
    let total_power = x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64;
    // Hann-windowed spectrum: the peak and its neighbours hold the tone.
    let n = x.len();
    let w: Vec<f64> = (0..n)
        .map(|i| {
            let s = (std::f64::consts::PI * i as f64 / n as f64).sin();
            x[i] * s * s
        })
        .collect();
    let spec = FftCache::new().spectrum(&w, n);
    let df = rate_f / n as f64;
    let lo = ((20.0 / df) as usize).max(1);
    let (k, _) = spec
        .iter()
        .enumerate()
        .skip(lo)
        .max_by(|a, b| a.1.norm_sqr().total_cmp(&b.1.norm_sqr()))
        .context("empty spectrum")?;
    // Parabolic interpolation of the log magnitude for the frequency.
    let lm = |i: usize| spec[i].norm().max(1e-30).ln();
    let delta = if k > 0 && k + 1 < spec.len() {
        let (a, b, c) = (lm(k - 1), lm(k), lm(k + 1));
        0.5 * (a - c) / (a - 2.0 * b + c)
    } else {
        0.0
    };
    let freq_hz = (k as f64 + delta) * df;
    if (freq_hz / expected_hz - 1.0).abs() > 0.05 {
        bail!(
            "the loudest tone is at {freq_hz:.0} Hz, not {expected_hz:.0} Hz: is the calibrator on the mic (or give --freq)?"
        );
    }
    // Tone power: the bins around the peak (Hann spreads it over +-2 bins;
    // take +-4), with the window's power gain (3/8) removed.
    let band = 4usize;
    let tone_power: f64 = spec[k.saturating_sub(band)..(k + band + 1).min(spec.len())]
        .iter()
        .map(|c| c.norm_sqr())
        .sum::<f64>()
        * 2.0
        / (n as f64 * n as f64 * 0.375);
    if tone_power < 0.9 * total_power {
        bail!(
            "the tone is only {:.0} % of the recorded power: too much noise or another sound (quiet room, calibrator seated on the mic)",
            100.0 * tone_power / total_power
        );
    }
    let block = rate as usize / 4;
    let levels: Vec<f64> = x
        .chunks_exact(block)
        .map(|c| 10.0 * (c.iter().map(|v| v * v).sum::<f64>() / c.len() as f64).log10())
        .collect();
    let spread_db = levels.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
        - levels.iter().cloned().fold(f64::INFINITY, f64::min);
    if spread_db > 1.0 {
        bail!("the level changed by {spread_db:.1} dB while recording: hold the calibrator steady and record again");
    }
    Ok(CalibratorReading {
        dbfs: 10.0 * tone_power.log10(),
        freq_hz,
        spread_db,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(freq: f64, rms_dbfs: f64, secs: f64, noise: f64) -> Vec<f32> {
        let a = crate::dsp::from_db(rms_dbfs) * 2f64.sqrt();
        let mut seed = 1u64;
        (0..(secs * 48_000.0) as usize)
            .map(|i| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let r = (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
                (a * (2.0 * std::f64::consts::PI * freq * i as f64 / 48_000.0).sin() + noise * r)
                    as f32
            })
            .collect()
    }

    #[test]
    fn reads_a_calibrator_level_and_frequency() {
        // -26 dBFS RMS at 1003 Hz (calibrators are within a few %).
        let r = read_calibrator(&tone(1003.0, -26.0, 3.0, 1e-4), 48_000, 1000.0).unwrap();
        assert!((r.dbfs + 26.0).abs() < 0.05, "{r:?}");
        assert!((r.freq_hz - 1003.0).abs() < 0.5, "{r:?}");
        assert!(r.spread_db < 0.1);
    }

    #[test]
    fn refuses_what_is_not_a_calibrator() {
        let e = |x: Vec<f32>| read_calibrator(&x, 48_000, 1000.0).unwrap_err().to_string();
        assert!(e(vec![0.0; 96_000]).contains("silence"));
        assert!(e(tone(250.0, -20.0, 2.0, 0.0)).contains("250 Hz"));
        assert!(e(tone(1000.0, -40.0, 2.0, 0.2)).contains("% of the recorded power"));
        assert!(e(tone(1000.0, 0.0, 2.0, 0.0)).contains("clipping"));
        let mut steps = tone(1000.0, -20.0, 2.0, 0.0);
        steps[60_000..].iter_mut().for_each(|v| *v *= 0.5);
        assert!(e(steps).contains("level changed"));
        assert!(e(tone(1000.0, -20.0, 0.5, 0.0)).contains("too short"));
    }

    #[test]
    fn store_round_trips_and_names_a_bad_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub").join(FILE_NAME);
        assert_eq!(Calibration::load_from(&p).unwrap(), Calibration::default());
        let cal = Calibration {
            spl: Some(SplCal {
                offset_db: 120.0,
                calibrator_db_spl: 94.0,
                freq_hz: 1000.0,
                recorded_dbfs: -26.0,
                input: "mic".into(),
                date: now(),
            }),
            max_level_dbfs: Some(-10.0),
            ..Calibration::default()
        };
        cal.save_to(&p).unwrap();
        assert_eq!(Calibration::load_from(&p).unwrap(), cal);
        assert_eq!(cal.max_level_dbfs(), -10.0);
        std::fs::write(&p, "{ not json").unwrap();
        let e = format!("{:#}", Calibration::load_from(&p).unwrap_err());
        assert!(e.contains(&p.display().to_string()), "{e}");
        std::fs::write(&p, r#"{"version": 9}"#).unwrap();
        let e = format!("{:#}", Calibration::load_from(&p).unwrap_err());
        assert!(e.contains("newer tipfit"), "{e}");
    }
}
