//! What a session folder holds (the stored data model).
//!
//! ```text
//! SESSION/
//!   session.json            SessionInfo (schema_version, rig, IEM, tips, ...)
//!   session.lock            present while a process writes the session
//!   fits/<tip>/fit-<n>.json FitRecord, written by temp file + rename
//!   fits/<tip>/fit-<n>.wav  the raw seal recording of that fit
//!   fits/<tip>/fit-<n>-left.json, fit-<n>-right.json
//!                           one fit measured on each ear (FitRecord::ear)
//! ```
//!
//! A fit of one ear (every measured session, and every file written before
//! ears were recorded) has `ear` unset and is `fit-<n>.json`. A fit measured
//! on both ears is two records with the same tip and fit number, `ear`
//! `left` and `right`, stored as `fit-<n>-left.json` and
//! `fit-<n>-right.json`; a fit of which only one ear was imported is one
//! such file alone.

use crate::analysis::isolation::Isolation;
use crate::analysis::{FrequencyResponse, Measurement};
use serde::{Deserialize, Serialize};

/// The session format this tipfit writes; newer ones are refused.
pub const SCHEMA_VERSION: u32 = 1;

/// One ear tip of a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TipSpec {
    /// Display name, unique within the session (e.g. "Spinfit W1 M").
    pub name: String,
    /// Material (foam, silicone, ...).
    #[serde(default)]
    pub material: Option<String>,
    /// Size (S, M, L, ...).
    #[serde(default)]
    pub size: Option<String>,
    /// Brand.
    #[serde(default)]
    pub brand: Option<String>,
    /// On the sim rig: the preset that simulates this tip.
    #[serde(default)]
    pub preset: Option<crate::rig::sim::TipPreset>,
}

impl TipSpec {
    /// The tip's folder name under `fits/`: lower-case letters, digits and dashes.
    pub fn slug(&self) -> String {
        let mut s: String = self
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        while s.contains("--") {
            s = s.replace("--", "-");
        }
        let s = s.trim_matches('-').to_string();
        if s.is_empty() {
            "tip".into()
        } else {
            s
        }
    }
}

/// The session's description, `session.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// Format version ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// tipfit version that created it.
    pub tipfit_version: String,
    /// Creation time, RFC 3339 UTC.
    pub created: String,
    /// Rig description.
    pub rig: String,
    /// IEM name.
    pub iem: String,
    /// Ear: left, right or both.
    pub ear: super::config::Ear,
    /// Tips, in the order they are measured.
    pub tips: Vec<TipSpec>,
    /// Fits per tip.
    pub fits_per_tip: usize,
    /// Seal sweep per fit.
    pub seal: bool,
    /// Quick multitone check per fit.
    pub quick: bool,
    /// Isolation per fit.
    pub isolation: bool,
    /// Reference response (e.g. the IEM sealed with putty), if any.
    #[serde(default)]
    pub reference: Option<FrequencyResponse>,
    /// With both ears and a measured sealed reference: the right ear's
    /// (`reference` is then the left's). Absent in older sessions: the
    /// right ear is then measured against `reference` on the sim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_right: Option<FrequencyResponse>,
    /// Target curve, if any.
    #[serde(default)]
    pub target: Option<FrequencyResponse>,
    /// Where the data came from when imported (file names).
    #[serde(default)]
    pub imported_from: Vec<String>,
    /// The config the session was started with (`None` for imported
    /// sessions); `resume` continues with it.
    #[serde(default)]
    pub config: Option<super::config::SessionConfig>,
}

/// One fit of one tip: `fits/<tip>/fit-<n>.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitRecord {
    /// Format version.
    pub schema_version: u32,
    /// Tip name (as in [`TipSpec::name`]).
    pub tip: String,
    /// Fit number, 1-based.
    pub fit: usize,
    /// Seal sweep result.
    #[serde(default)]
    pub seal: Option<Measurement>,
    /// Quick multitone result.
    #[serde(default)]
    pub quick: Option<Measurement>,
    /// Isolation (insertion loss).
    #[serde(default)]
    pub isolation: Option<Isolation>,
    /// File name of the raw recording next to this file.
    #[serde(default)]
    pub recording: Option<String>,
    /// Rig description of this fit (on the sim: the drawn leak).
    #[serde(default)]
    pub rig: Option<serde_json::Value>,
    /// The user skipped this fit: it holds no measurement.
    #[serde(default)]
    pub skipped: bool,
    /// How many times the fit was measured (redo counts).
    #[serde(default = "one")]
    pub attempts: usize,
    /// Where the fit came from when imported (file name).
    #[serde(default)]
    pub source: Option<String>,
    /// The ear of this record when the fit was measured per ear (`left`
    /// or `right`, stored as `fit-<n>-left.json` / `fit-<n>-right.json`);
    /// `None` (absent in the JSON): the session's single ear, as in every
    /// file written before ears were recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ear: Option<super::config::Ear>,
}

fn one() -> usize {
    1
}

impl FitRecord {
    /// The response used for comparison: the seal sweep's, else the quick check's.
    pub fn response(&self) -> Option<&Measurement> {
        self.seal.as_ref().or(self.quick.as_ref())
    }
}
