//! The result of one measurement ([`Measurement`], the `--json` document)
//! and the typed fields it stores as strings.

use super::{Bands, ClockInfo, FrequencyResponse, SealMetrics, Thd};
use crate::dsp::grid::Smoothing;
use crate::signal::StimulusKind;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The result of one measurement. This is the `--json` document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// tipfit version that made it.
    pub tipfit_version: String,
    /// Stimulus kind: `sweep`, `noise`, `multitone` or `external signal`
    /// (`imported` for a response read from another program's export).
    pub method: Method,
    /// Sample rate, Hz.
    pub sample_rate: u32,
    /// Latency (impulse peak, or multitone arrival), s.
    pub latency_s: f64,
    /// Smoothing applied to `frequency_response`.
    pub smoothing: ResponseSmoothing,
    /// Frequency response (multitone: one point per tone).
    pub frequency_response: FrequencyResponse,
    /// Seal metrics and verdict.
    pub seal: SealMetrics,
    /// THD per frequency (sweeps only).
    pub thd_percent: Thd,
    /// Broadband SNR (sweep/noise) or median tone SNR (multitone), dB.
    pub snr_db: f64,
    /// SNR per octave band (multitone: per tone).
    pub snr_bands: Bands,
    /// Warnings, each saying what to do.
    ///
    /// Text, not [`super::Warning`]: the analysis makes its warnings as
    /// `Warning` values and stores their messages, which round their figures
    /// (a file cannot be read back into the variant it came from), and the
    /// same list holds notes that are no `Warning` (the stimulus file's note
    /// in `analyze`, an import's "no noise floor" note). A typed list would
    /// need a different JSON (variant and figures) or would read every
    /// stored file back as untyped text anyway; code that needs to know a
    /// warning's kind matches the `Warning` values before they are stored
    /// (as the analysis does).
    pub warnings: Vec<String>,
    /// The clock difference between player and recorder, estimated from
    /// the recording or measured by sync markers (`None`: not checked).
    #[serde(default)]
    pub clock: Option<ClockInfo>,
    /// The unit of `frequency_response.db` when it is not tipfit's own (dB
    /// re unity gain): imported responses keep theirs ([`Measurement::unit`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level_unit: Option<LevelUnit>,
}

/// The unit of a response's levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LevelUnit {
    /// tipfit's measurements: recording full scale per stimulus full scale.
    #[serde(rename = "dB re unity gain")]
    ReUnityGain,
    /// Sound pressure level (REW, squig.link, CrinGraph and AudioTools
    /// exports of a coupler measurement).
    #[serde(rename = "dB SPL")]
    Spl,
    /// dB of an unknown or normalised reference (AutoEq's `raw`).
    #[serde(rename = "dB")]
    Relative,
}

impl LevelUnit {
    /// The axis label of a level in this unit.
    pub fn axis_label(self) -> &'static str {
        match self {
            LevelUnit::ReUnityGain => "Level (dB re stimulus full scale)",
            LevelUnit::Spl => "Level (dB SPL, as imported)",
            LevelUnit::Relative => "Level (dB, as imported)",
        }
    }

    /// The unit as written: "dB re unity gain", "dB SPL", "dB".
    pub fn as_str(self) -> &'static str {
        match self {
            LevelUnit::ReUnityGain => "dB re unity gain",
            LevelUnit::Spl => "dB SPL",
            LevelUnit::Relative => "dB",
        }
    }
}

impl Measurement {
    /// The unit of the response's levels: as stored, else tipfit's own for
    /// a measurement and "dB" for an import stored before units were.
    pub fn unit(&self) -> LevelUnit {
        self.level_unit.unwrap_or(match self.method {
            Method::Imported => LevelUnit::Relative,
            _ => LevelUnit::ReUnityGain,
        })
    }
}

/// How a measurement was made: the stimulus kind, or imported (stored as
/// `sweep`, `noise`, `multitone`, `external signal`, `imported`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Method {
    /// A tipfit sweep.
    #[serde(rename = "sweep")]
    Sweep,
    /// Pink or white noise.
    #[serde(rename = "noise")]
    Noise,
    /// The multitone (the quick check).
    #[serde(rename = "multitone")]
    Multitone,
    /// Any other signal (a reference tipfit did not write).
    #[serde(rename = "external signal")]
    External,
    /// A response read from another program's export (`tipfit import`).
    #[serde(rename = "imported")]
    Imported,
}

impl Method {
    /// The method of a measurement of `kind`.
    pub fn of(kind: &StimulusKind) -> Self {
        match kind {
            StimulusKind::Sweep(_) => Method::Sweep,
            StimulusKind::Noise(_) => Method::Noise,
            StimulusKind::Multitone(_) => Method::Multitone,
            StimulusKind::External => Method::External,
        }
    }

    /// The name stored in the JSON (and shown in the summary).
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Sweep => "sweep",
            Method::Noise => "noise",
            Method::Multitone => "multitone",
            Method::External => "external signal",
            Method::Imported => "imported",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Method {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// The smoothing of a stored response: what the analysis applied, or
/// unknown for an imported response (stored as the smoothing's name, e.g.
/// `none` or `1/12`, or `as imported`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseSmoothing {
    /// Smoothed by tipfit (or not: [`Smoothing::None`]).
    Applied(Smoothing),
    /// As the program that exported it left it.
    AsImported,
}

impl ResponseSmoothing {
    /// The text stored for [`ResponseSmoothing::AsImported`].
    pub const AS_IMPORTED: &'static str = "as imported";
}

impl From<Smoothing> for ResponseSmoothing {
    fn from(s: Smoothing) -> Self {
        ResponseSmoothing::Applied(s)
    }
}

impl fmt::Display for ResponseSmoothing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponseSmoothing::Applied(s) => s.fmt(f),
            ResponseSmoothing::AsImported => f.write_str(Self::AS_IMPORTED),
        }
    }
}

impl Serialize for ResponseSmoothing {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ResponseSmoothing {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s == Self::AS_IMPORTED {
            return Ok(ResponseSmoothing::AsImported);
        }
        s.parse()
            .map(ResponseSmoothing::Applied)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_stored_as_before() {
        for (m, s) in [
            (Method::Sweep, "\"sweep\""),
            (Method::Noise, "\"noise\""),
            (Method::Multitone, "\"multitone\""),
            (Method::External, "\"external signal\""),
            (Method::Imported, "\"imported\""),
        ] {
            assert_eq!(serde_json::to_string(&m).unwrap(), s);
            assert_eq!(serde_json::from_str::<Method>(s).unwrap(), m);
            assert_eq!(format!("\"{m}\""), s);
        }
        assert!(serde_json::from_str::<Method>("\"chirp\"").is_err());
    }

    #[test]
    fn smoothing_is_stored_as_before() {
        for (m, s) in [
            (ResponseSmoothing::Applied(Smoothing::None), "\"none\""),
            (
                ResponseSmoothing::Applied(Smoothing::Octave(12)),
                "\"1/12\"",
            ),
            (ResponseSmoothing::AsImported, "\"as imported\""),
        ] {
            assert_eq!(serde_json::to_string(&m).unwrap(), s);
            assert_eq!(serde_json::from_str::<ResponseSmoothing>(s).unwrap(), m);
        }
        let e = serde_json::from_str::<ResponseSmoothing>("\"1/5\"").unwrap_err();
        assert!(e.to_string().contains("1/48"), "{e}");
    }
}
