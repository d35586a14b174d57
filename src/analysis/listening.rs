//! Safe-listening estimate from ambient noise and a tip's attenuation (NIOSH 85 dBA, 3 dB exchange).
//!
//! The noise that reaches the eardrum is the ambient octave-band spectrum
//! minus the tip's attenuation in each band, A-weighted (IEC 61672-1 at the
//! nominal centres) and summed on an energy basis. People set music about
//! [`MUSIC_ABOVE_NOISE_DB`] above that (MEASUREMENT.md §5), so better
//! isolation lowers the music level. The allowed daily time at that level
//! follows the NIOSH recommended exposure limit (NIOSH 98-126, 1998):
//! 85 dBA for 8 h with a 3 dB exchange rate, `T = 8 h / 2^((L − 85)/3)`.
//!
//! Reporting choice: the time is capped at [`MAX_HOURS`] (a day), and below
//! [`UNLIMITED_BELOW_DBA`] the result is also flagged `unlimited`: the US EPA
//! "Levels Document" (550/9-74-004, 1974) names 70 dB Leq(24 h) as the level
//! that protects hearing with an adequate margin, so a whole day there is
//! considered safe. Every output number is finite: non-finite ambient levels
//! count as silence in that band, non-finite attenuations as 0 dB (unknown).
//!
//! Only a valid isolation gives an estimate ([`safe_listening_from`]): one
//! that failed its self-check ([`crate::analysis::isolation::self_check`]:
//! the open recording not louder than the occluded one broadband and in most
//! bands) gives none, with the reason, never a time computed from it.
//!
//! # What a poor seal costs in listening level
//!
//! [`listening_penalty`] asks how much louder a tip's music must be played
//! to sound as loud, over the noise it lets in, as the music through a
//! reference tip (say the best-sealing one, [`best_sealing`]) over the noise
//! that one lets in. Everything is in the 28 third-octave bands 25 Hz ...
//! 12.5 kHz of ISO 532-1 ([`crate::analysis::loudness`]):
//!
//! - **Music**: the simulated programme signal of IEC 60268-1:1985 Clause 7,
//!   Table II ([`PROGRAMME_SPECTRUM_DB`]): a long-term spectrum of "a wide
//!   range of programme material, including both speech and music", the one
//!   EN 50332-1 plays to rate the maximum level of personal music players.
//!   Each tip adds its own response ([`TipBands::response_db`], normalised
//!   to a 0 dB mean over 500-2000 Hz), so a tip that loses bass plays that
//!   music with less bass at the same volume setting.
//! - **Level**: the volume is set so that the music through the reference
//!   tip is [`PenaltySettings::reference_dba`] (default
//!   [`REFERENCE_MUSIC_DBA`], 75 dBA); every tip starts at that setting.
//! - **Noise**: the ambient third-octave spectrum minus the tip's isolation
//!   in each band (NaN or missing isolation counts as 0 dB). The presets'
//!   octave bands are split into thirds by [`third_octave_ambient`]; a
//!   recorded ambient is given as third-octave levels ([`Ambient::recorded`]).
//! - **Match**: the partial loudness of the music in the leaked noise
//!   ([`crate::analysis::loudness::partial_loudness`]: Zwicker specific
//!   loudness of music plus noise minus the noise's, integrated over Bark).
//!   For each tip the gain that gives its music the reference tip's partial
//!   loudness is found by bisection (0 dB exactly for the reference itself),
//!   within ±[`MAX_PENALTY_DB`].
//!
//! Field and levels: an insertion loss is the drop at the eardrum relative
//! to the open ear, so the ambient minus the isolation is the diffuse-field
//! level that would give an open ear the leaked noise's eardrum pressure.
//! The music is taken the same way, as the diffuse-field-equivalent level of
//! a diffuse-field-equalised earphone (the convention of EN 50332-1, which
//! reads earphone levels on a head and torso simulator and applies the
//! diffuse- or free-field correction before A-weighting). So the loudness
//! uses ISO 532-1's diffuse field by default, and `eardrum_dba` is that
//! equivalent A-weighted level, the one the exposure limits are written for.
//!
//! The allowances at the music's level: NIOSH's daily time ([`niosh_hours`],
//! capped at [`MAX_HOURS`]) and the weekly time of WHO-ITU H.870 (2022),
//! "Safe listening devices and systems", whose adult reference exposure is
//! 80 dBA for 40 h a week with the same 3 dB exchange ([`who_weekly_hours`],
//! capped at [`WEEK_HOURS`]).

use crate::analysis::isolation::{BandTable, Isolation, Verdict};
use crate::analysis::loudness::{
    exact_centre_hz, partial_loudness, LoudnessError, SoundField, MAX_LOW_BAND_DB, N_BANDS,
    THIRD_OCTAVE_CENTRES_HZ,
};
use crate::dsp::power_db;
use crate::dsp::weighting::{a_weighting_db, OCTAVE_CENTRES_HZ};
use serde::Serialize;

/// How far above the noise at the eardrum people set their music, dB.
pub const MUSIC_ABOVE_NOISE_DB: f64 = 10.0;
/// NIOSH recommended exposure limit: level for 8 h, dBA.
pub const NIOSH_REL_DBA: f64 = 85.0;
/// NIOSH exchange rate: each 3 dB more halves the allowed time, dB.
pub const NIOSH_EXCHANGE_DB: f64 = 3.0;
/// Longest reported allowed time, h.
pub const MAX_HOURS: f64 = 24.0;
/// Below this music level the time is reported as unlimited, dBA.
pub const UNLIMITED_BELOW_DBA: f64 = 70.0;

/// A typical ambient noise, octave bands 63 ... 8000 Hz.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AmbientPreset {
    /// Name used on the command line.
    pub name: &'static str,
    /// What it represents.
    pub description: &'static str,
    /// Where the level and spectrum shape come from.
    pub source: &'static str,
    /// Octave-band levels at [`OCTAVE_CENTRES_HZ`], dB SPL (unweighted).
    pub level_db_spl: [f64; 8],
}

/// Preset names, for help text.
pub const PRESET_NAMES: [&str; 4] = ["office", "street", "subway", "airplane"];

/// The ambient presets. Representative spectra, not measurements: the overall
/// levels are typical published values and the shapes follow the cited
/// curves or the usual shape of that noise.
///
/// - `office` (53 dBA): the NC-45 curve (Beranek's noise criteria, ANSI/ASA
///   S12.2), the upper end of what is recommended for open offices and
///   secretarial areas (NC-40 to NC-45, about 47-52 dBA).
/// - `street` (72 dBA): busy urban kerbside; 125-4000 Hz follow the
///   normalised road-traffic noise spectrum of EN 1793-3 (peak at 1 kHz
///   A-weighted), 63 and 8000 Hz extrapolated; kerbside levels of 70-75 dBA
///   are typical of busy streets in city noise surveys.
/// - `subway` (81 dBA): inside a moving subway car; New York City subway cars
///   average about 80 dBA (Gershon et al., J. Urban Health 83(5), 2006;
///   Neitzel et al., Environ. Sci. Technol. 43(3), 2009); broadband with
///   strong low-mid content.
/// - `airplane` (82 dBA): jet cabin in cruise, 80-85 dBA in cabin surveys
///   (Ozcan & Nemlioglu, Canadian Acoustics 34(4), 2006; Zevitas et al.,
///   J. Expo. Sci. Environ. Epidemiol. 28, 2018), falling about 4 dB per
///   octave from a low-frequency peak (boundary-layer and engine noise).
pub const PRESETS: [AmbientPreset; 4] = [
    AmbientPreset {
        name: "office",
        description: "busy open-plan office, about 53 dBA",
        source: "NC-45 curve (ANSI/ASA S12.2)",
        level_db_spl: [67.0, 60.0, 54.0, 49.0, 46.0, 44.0, 43.0, 42.0],
    },
    AmbientPreset {
        name: "street",
        description: "busy city street at the kerb, about 72 dBA",
        source: "EN 1793-3 road-traffic spectrum shape scaled to 72 dBA",
        level_db_spl: [78.0, 74.0, 70.0, 68.0, 68.0, 64.0, 60.0, 53.0],
    },
    AmbientPreset {
        name: "subway",
        description: "inside a moving subway car, about 81 dBA",
        source: "NYC subway car levels (Gershon et al. 2006; Neitzel et al. 2009)",
        level_db_spl: [85.0, 84.0, 80.0, 78.0, 76.0, 73.0, 68.0, 60.0],
    },
    AmbientPreset {
        name: "airplane",
        description: "jet airplane cabin in cruise, about 82 dBA",
        source: "cabin surveys (Ozcan & Nemlioglu 2006; Zevitas et al. 2018)",
        level_db_spl: [92.0, 88.0, 84.0, 80.0, 76.0, 71.0, 64.0, 56.0],
    },
];

/// The preset called `name` (case-insensitive; `airplane-cabin`,
/// `airplane_cabin`, `plane` and `cabin` also name the airplane).
pub fn preset(name: &str) -> Option<AmbientPreset> {
    let name = name.trim().to_ascii_lowercase();
    let name = match name.as_str() {
        "airplane-cabin" | "airplane_cabin" | "plane" | "cabin" => "airplane",
        n => n,
    };
    PRESETS.iter().find(|p| p.name == name).copied()
}

/// `--ambient`: one preset (any name [`preset`] knows) or `all` of them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AmbientChoice {
    /// Every preset, in [`PRESETS`] order.
    All,
    /// One preset.
    One(AmbientPreset),
}

impl AmbientChoice {
    /// The presets chosen.
    pub fn presets(&self) -> Vec<AmbientPreset> {
        match self {
            AmbientChoice::All => PRESETS.to_vec(),
            AmbientChoice::One(p) => vec![*p],
        }
    }
}

impl std::str::FromStr for AmbientChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s == "all" {
            return Ok(AmbientChoice::All);
        }
        preset(s)
            .map(AmbientChoice::One)
            .ok_or_else(|| format!("use one of {}, or all", PRESET_NAMES.join(", ")))
    }
}

/// The safe-listening estimate. Serialized as is into JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SafeListening {
    /// Preset name, or `None` for a custom spectrum.
    pub preset: Option<String>,
    /// Octave-band centres, Hz.
    pub centre_hz: [f64; 8],
    /// A-weighted level of the ambient noise, dBA.
    pub ambient_dba: f64,
    /// Noise at the eardrum per band (ambient minus attenuation, unweighted), dB SPL.
    pub eardrum_db_spl: [f64; 8],
    /// A-weighted level of the noise at the eardrum, dBA.
    pub eardrum_dba: f64,
    /// Expected music level, eardrum level + [`MUSIC_ABOVE_NOISE_DB`], dBA.
    pub music_dba: f64,
    /// NIOSH allowed daily listening time at `music_dba`, h (at most [`MAX_HOURS`]).
    pub niosh_allowed_hours: f64,
    /// True when `music_dba` is below [`UNLIMITED_BELOW_DBA`]: no daily limit.
    pub unlimited: bool,
}

/// NIOSH allowed time at `level_dba`, h, uncapped: `8 / 2^((L − 85)/3)`.
pub fn niosh_hours(level_dba: f64) -> f64 {
    8.0 / 2f64.powf((level_dba - NIOSH_REL_DBA) / NIOSH_EXCHANGE_DB)
}

/// A-weighted energy sum of octave-band levels at [`OCTAVE_CENTRES_HZ`], dBA.
/// Non-finite bands count as silence; the result is floored, never -inf.
pub fn a_weighted_dba(level_db_spl: &[f64; 8]) -> f64 {
    let power: f64 = level_db_spl
        .iter()
        .zip(OCTAVE_CENTRES_HZ)
        .filter(|(l, _)| l.is_finite())
        .map(|(l, f)| 10f64.powf(0.1 * (l + a_weighting_db(f))))
        .filter(|p| p.is_finite())
        .sum();
    power_db(power)
}

/// Estimate safe listening in `ambient_db_spl` (octave bands 63 ... 8000 Hz,
/// dB SPL) with a tip of `attenuation_db` in the same bands (0 where unknown).
pub fn safe_listening(ambient_db_spl: &[f64; 8], attenuation_db: &[f64; 8]) -> SafeListening {
    let mut eardrum = [0.0; 8];
    for (i, e) in eardrum.iter_mut().enumerate() {
        let att = if attenuation_db[i].is_finite() {
            attenuation_db[i]
        } else {
            0.0
        };
        *e = ambient_db_spl[i] - att;
    }
    let eardrum_dba = a_weighted_dba(&eardrum);
    let music_dba = eardrum_dba + MUSIC_ABOVE_NOISE_DB;
    SafeListening {
        preset: None,
        centre_hz: OCTAVE_CENTRES_HZ,
        ambient_dba: a_weighted_dba(ambient_db_spl),
        eardrum_db_spl: eardrum.map(|e| if e.is_finite() { e } else { -400.0 }),
        eardrum_dba,
        music_dba,
        niosh_allowed_hours: niosh_hours(music_dba).min(MAX_HOURS),
        unlimited: music_dba < UNLIMITED_BELOW_DBA,
    }
}

/// [`safe_listening`] in a preset's noise, with the preset's name in the result.
pub fn safe_listening_in(preset: &AmbientPreset, attenuation_db: &[f64; 8]) -> SafeListening {
    SafeListening {
        preset: Some(preset.name.to_string()),
        ..safe_listening(&preset.level_db_spl, attenuation_db)
    }
}

/// Octave-band attenuations at [`OCTAVE_CENTRES_HZ`] from an isolation's
/// octave table: a band the rate does not reach counts as no attenuation;
/// a floor-limited band uses its lower bound (the safe side).
pub fn octave_attenuation(octave: &BandTable) -> [f64; 8] {
    let mut attenuation = [0.0; 8];
    for (c, v) in octave.centre_hz.iter().zip(&octave.attenuation_db) {
        if let Some(i) = OCTAVE_CENTRES_HZ.iter().position(|n| n == c) {
            attenuation[i] = *v;
        }
    }
    attenuation
}

/// Why no estimate is made from `iso`, in words for people (`None` when one
/// is made): an isolation whose self-check found the recordings swapped, or
/// the open one not louder broadband and in most bands.
pub fn not_estimated_because(iso: &Isolation) -> Option<String> {
    let check = iso.check();
    let negative = check.negative_bands_hz.len();
    let what = match iso.method {
        crate::analysis::isolation::IsolationMethod::InsertionLoss => {
            "the open-ear recording is not louder than the tip-in one"
        }
        crate::analysis::isolation::IsolationMethod::NoiseReduction => {
            "the outer microphone is not louder than the inner one"
        }
    };
    match check.verdict {
        Verdict::Ok | Verdict::SomeNegative => None,
        Verdict::Doubtful | Verdict::Swapped => Some(format!(
            "no safe-listening estimate: {what} both broadband ({:+.1} dB) and in most bands (it is in {} of {}), so the isolation is not trustworthy",
            check.broadband_db,
            check.bands - negative,
            check.bands
        )),
    }
}

/// [`safe_listening`] in `ambient_db_spl` with the attenuation of `iso`, or
/// the reason none is made ([`not_estimated_because`]).
pub fn safe_listening_from(
    iso: &Isolation,
    ambient_db_spl: &[f64; 8],
) -> Result<SafeListening, String> {
    match not_estimated_because(iso) {
        Some(reason) => Err(reason),
        None => Ok(safe_listening(
            ambient_db_spl,
            &octave_attenuation(&iso.octave),
        )),
    }
}

/// IEC 60268-1:1985 Table II, the power spectrum of the simulated programme
/// signal, at [`THIRD_OCTAVE_CENTRES_HZ`] (its 20, 16 000 and 20 000 Hz rows
/// lie outside ISO 532-1's bands), dB relative to the 250-800 Hz bands.
/// Transcribed from the standard by the phonometry project
/// (J. M. Requena Plens, `phonometry.electroacoustics.programme_signal`).
pub const PROGRAMME_SPECTRUM_DB: [f64; N_BANDS] = [
    -10.2, -7.4, -5.2, -3.5, -2.3, -1.4, -0.9, -0.5, -0.2, -0.1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    -0.1, -0.3, -0.6, -1.0, -1.6, -2.5, -3.7, -5.1, -7.0, -9.4, -11.9, -14.8,
];

/// Default music level through the reference tip, dBA (diffuse-field
/// equivalent at the eardrum). A moderate level chosen for the comparison,
/// not a measured preference: 5 dB under WHO-ITU H.870's 80 dBA, so the
/// reference listens within the weekly allowance at any daily use up to 8 h.
pub const REFERENCE_MUSIC_DBA: f64 = 75.0;
/// WHO-ITU H.870 adult reference level for [`WHO_WEEKLY_HOURS`], dBA.
pub const WHO_WEEKLY_DBA: f64 = 80.0;
/// WHO-ITU H.870 weekly time at [`WHO_WEEKLY_DBA`], h.
pub const WHO_WEEKLY_HOURS: f64 = 40.0;
/// Longest reported weekly time, h (a week).
pub const WEEK_HOURS: f64 = 168.0;
/// The gain search stops at ± this, dB; a tip that needs more is reported
/// at the limit with `matched: false`.
pub const MAX_PENALTY_DB: f64 = 40.0;
/// Responses are normalised to a 0 dB mean over these bands, Hz.
pub const NORMALISATION_BAND_HZ: (f64, f64) = (500.0, 2000.0);

/// WHO-ITU H.870 weekly allowed time at `level_dba`, h, uncapped:
/// `40 / 2^((L − 80)/3)`.
pub fn who_weekly_hours(level_dba: f64) -> f64 {
    WHO_WEEKLY_HOURS / 2f64.powf((level_dba - WHO_WEEKLY_DBA) / NIOSH_EXCHANGE_DB)
}

/// A-weighted energy sum of third-octave levels at [`THIRD_OCTAVE_CENTRES_HZ`]
/// (A-weighting at the exact mid-band frequencies), dBA. Non-finite bands
/// count as silence; the result is floored, never -inf.
pub fn a_weighted_third_octaves(level_db_spl: &[f64; N_BANDS]) -> f64 {
    let power: f64 = level_db_spl
        .iter()
        .enumerate()
        .filter(|(_, l)| l.is_finite())
        .map(|(i, l)| 10f64.powf(0.1 * (l + a_weighting_db(exact_centre_hz(i)))))
        .filter(|p| p.is_finite())
        .sum();
    power_db(power)
}

/// Octave levels at [`OCTAVE_CENTRES_HZ`] (a preset's) as third-octave levels
/// at [`THIRD_OCTAVE_CENTRES_HZ`], dB SPL. Each octave's power is split
/// equally into its three thirds (−10 lg 3 = −4.77 dB each): the presets are
/// smooth spectra with no finer data behind them. The bands outside the
/// octaves repeat the nearest third (25-40 Hz the 50 Hz one, 12.5 kHz the
/// 10 kHz one): a flat extrapolation, on the side of more noise, in bands
/// where the ear's threshold and the tips' isolation make it count little.
/// Non-finite octave levels are silence (minus infinity).
pub fn third_octave_ambient(octave_db_spl: &[f64; 8]) -> [f64; N_BANDS] {
    let third = 10.0 * 3f64.log10();
    let mut out = [f64::NEG_INFINITY; N_BANDS];
    for (k, level) in octave_db_spl.iter().enumerate() {
        if level.is_finite() {
            for j in 0..3 {
                out[3 + 3 * k + j] = level - third;
            }
        }
    }
    for i in 0..3 {
        out[i] = out[3];
    }
    out[27] = out[26];
    out
}

/// Values at third-octave centres (nominal labels or exact mid-band
/// frequencies, within 1/12 octave) placed on [`THIRD_OCTAVE_CENTRES_HZ`];
/// bands not given are NaN. Extra entries and a length mismatch's surplus
/// are ignored.
pub fn on_third_octaves(centre_hz: &[f64], values: &[f64]) -> [f64; N_BANDS] {
    let mut out = [f64::NAN; N_BANDS];
    let tolerance = 2f64.powf(1.0 / 12.0).ln();
    for (c, v) in centre_hz.iter().zip(values) {
        if !(c.is_finite() && *c > 0.0) {
            continue;
        }
        if let Some(i) =
            (0..N_BANDS).find(|&i| (c / THIRD_OCTAVE_CENTRES_HZ[i]).ln().abs() < tolerance)
        {
            out[i] = *v;
        }
    }
    out
}

/// A fine frequency response (`freq_hz` ascending, `db`, e.g. a
/// [`crate::analysis::FrequencyResponse`] on its log grid) averaged into the
/// third-octave bands: the power mean of the points inside each band's edges
/// (`f_m · 10^(±0.05)`), every point weighted alike, which on a log grid is
/// what pink-like music sees. A band with no point inside takes the
/// log-frequency interpolation at its centre, and NaN outside the data.
pub fn third_octave_response(freq_hz: &[f64], db: &[f64]) -> [f64; N_BANDS] {
    let points: Vec<(f64, f64)> = freq_hz
        .iter()
        .zip(db)
        .filter(|(f, d)| f.is_finite() && **f > 0.0 && d.is_finite())
        .map(|(f, d)| (*f, *d))
        .collect();
    let mut out = [f64::NAN; N_BANDS];
    for (i, o) in out.iter_mut().enumerate() {
        let centre = exact_centre_hz(i);
        let (lo, hi) = (centre / 10f64.powf(0.05), centre * 10f64.powf(0.05));
        let inside: Vec<f64> = points
            .iter()
            .filter(|(f, _)| *f >= lo && *f < hi)
            .map(|(_, d)| 10f64.powf(d / 10.0))
            .collect();
        if !inside.is_empty() {
            *o = power_db(inside.iter().sum::<f64>() / inside.len() as f64);
        } else if let Some(w) = points
            .windows(2)
            .find(|w| w[0].0 <= centre && centre <= w[1].0)
        {
            let ((f0, d0), (f1, d1)) = (w[0], w[1]);
            let t = if f1 > f0 {
                (centre / f0).ln() / (f1 / f0).ln()
            } else {
                0.0
            };
            *o = d0 + t * (d1 - d0);
        }
    }
    out
}

/// A noise environment in third-octave bands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ambient {
    /// Preset name, or the name given to a recording.
    pub name: String,
    /// Where, for sentences: "in the subway".
    pub place: String,
    /// Levels at [`THIRD_OCTAVE_CENTRES_HZ`], dB SPL (minus infinity: silence).
    pub level_db_spl: [f64; N_BANDS],
}

impl Ambient {
    /// A preset ([`PRESETS`]) in third octaves ([`third_octave_ambient`]).
    pub fn from_preset(preset: &AmbientPreset) -> Ambient {
        let place = match preset.name {
            "office" => "in the office".to_string(),
            "street" => "in the street".to_string(),
            "subway" => "in the subway".to_string(),
            "airplane" => "in the airplane cabin".to_string(),
            other => format!("in the {other}"),
        };
        Ambient {
            name: preset.name.to_string(),
            place,
            level_db_spl: third_octave_ambient(&preset.level_db_spl),
        }
    }

    /// Every preset, in [`PRESETS`] order.
    pub fn presets() -> Vec<Ambient> {
        PRESETS.iter().map(Ambient::from_preset).collect()
    }

    /// A recorded ambient: third-octave levels (dB SPL) at `centre_hz`
    /// (nominal or exact centres, [`on_third_octaves`]). Bands not given or
    /// not finite count as silence; at least one band must be given.
    pub fn recorded(
        name: &str,
        centre_hz: &[f64],
        level_db_spl: &[f64],
    ) -> Result<Ambient, PenaltyError> {
        if centre_hz.len() != level_db_spl.len() {
            return Err(PenaltyError::Mismatch {
                what: format!("recorded ambient '{name}'"),
                centres: centre_hz.len(),
                values: level_db_spl.len(),
            });
        }
        let levels = on_third_octaves(centre_hz, level_db_spl);
        if !levels.iter().any(|l| l.is_finite()) {
            return Err(PenaltyError::NoAmbientBands {
                name: name.to_string(),
            });
        }
        Ok(Ambient {
            name: name.to_string(),
            place: format!("in the recorded ambient '{name}'"),
            level_db_spl: levels.map(|l| if l.is_finite() { l } else { f64::NEG_INFINITY }),
        })
    }
}

/// One tip's third-octave data for [`listening_penalty`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TipBands {
    /// The tip's name, as shown.
    pub name: String,
    /// Response at [`THIRD_OCTAVE_CENTRES_HZ`], dB, any reference: it is
    /// normalised to a 0 dB mean over [`NORMALISATION_BAND_HZ`]. NaN bands
    /// count as 0 dB after normalisation (no deviation known).
    pub response_db: [f64; N_BANDS],
    /// Isolation (attenuation) at the same centres, dB; NaN counts as 0 dB.
    pub isolation_db: [f64; N_BANDS],
}

impl TipBands {
    /// A tip from values already on [`THIRD_OCTAVE_CENTRES_HZ`].
    pub fn new(name: &str, response_db: [f64; N_BANDS], isolation_db: [f64; N_BANDS]) -> Self {
        TipBands {
            name: name.to_string(),
            response_db,
            isolation_db,
        }
    }

    /// A tip from its response and isolation at third-octave centres of
    /// their own (e.g. an isolation's `third_octave.centre_hz` and
    /// `attenuation_db`, and [`third_octave_response`] of its response),
    /// placed by [`on_third_octaves`]; bands not given are NaN.
    pub fn from_bands(
        name: &str,
        response_hz: &[f64],
        response_db: &[f64],
        isolation_hz: &[f64],
        isolation_db: &[f64],
    ) -> Result<Self, PenaltyError> {
        for (what, c, v) in [
            ("response", response_hz, response_db),
            ("isolation", isolation_hz, isolation_db),
        ] {
            if c.len() != v.len() {
                return Err(PenaltyError::Mismatch {
                    what: format!("{name}'s {what}"),
                    centres: c.len(),
                    values: v.len(),
                });
            }
        }
        Ok(TipBands::new(
            name,
            on_third_octaves(response_hz, response_db),
            on_third_octaves(isolation_hz, isolation_db),
        ))
    }

    /// The response normalised to a 0 dB mean over [`NORMALISATION_BAND_HZ`]
    /// (finite bands only), NaN bands 0 dB.
    pub fn normalised_response(&self) -> [f64; N_BANDS] {
        let mean = self.normalisation_level();
        self.response_db
            .map(|r| if r.is_finite() { r - mean } else { 0.0 })
    }

    /// The mean response over [`NORMALISATION_BAND_HZ`] (finite bands
    /// only; 0 without any), dB.
    pub fn normalisation_level(&self) -> f64 {
        let (lo, hi) = NORMALISATION_BAND_HZ;
        let in_band: Vec<f64> = THIRD_OCTAVE_CENTRES_HZ
            .iter()
            .zip(&self.response_db)
            .filter(|(c, r)| **c >= lo && **c <= hi && r.is_finite())
            .map(|(_, r)| *r)
            .collect();
        if in_band.is_empty() {
            0.0
        } else {
            in_band.iter().sum::<f64>() / in_band.len() as f64
        }
    }

    /// The ambient that reaches the eardrum through this tip: ambient minus
    /// isolation per band (NaN or infinite isolation counts as 0 dB,
    /// non-finite ambient as silence), dB SPL.
    pub fn leaked_noise(&self, ambient: &Ambient) -> [f64; N_BANDS] {
        std::array::from_fn(|i| {
            let a = ambient.level_db_spl[i];
            let iso = self.isolation_db[i];
            let iso = if iso.is_finite() { iso } else { 0.0 };
            if a.is_finite() {
                a - iso
            } else {
                f64::NEG_INFINITY
            }
        })
    }
}

/// How [`listening_penalty`] plays the music.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PenaltySettings {
    /// Music level through the reference tip, dBA.
    pub reference_dba: f64,
    /// Sound field the levels are taken as for the loudness.
    pub field: SoundField,
    /// Music spectrum at [`THIRD_OCTAVE_CENTRES_HZ`], dB, any reference
    /// (only its shape counts).
    pub music_db: [f64; N_BANDS],
    /// True when the tips' responses share one absolute level (one IEM on
    /// one rig at one volume, as in a measured session): a tip's music is
    /// then its response as measured relative to the reference's, so a
    /// leak that also lowers the mids counts. False (imported files of
    /// unknown levels): each response is normalised in
    /// [`NORMALISATION_BAND_HZ`] first.
    pub absolute_levels: bool,
}

impl Default for PenaltySettings {
    /// 75 dBA, diffuse field, IEC 60268-1 programme simulation spectrum.
    fn default() -> Self {
        PenaltySettings {
            reference_dba: REFERENCE_MUSIC_DBA,
            field: SoundField::Diffuse,
            music_db: PROGRAMME_SPECTRUM_DB,
            absolute_levels: false,
        }
    }
}

/// Why no listening penalty was computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PenaltyError {
    /// The list of tips is empty.
    #[error("no tips to compare")]
    NoTips,
    /// The reference index is not in the list.
    #[error("reference tip {reference} is not among the {tips} tips")]
    ReferenceOutOfRange {
        /// The index given.
        reference: usize,
        /// How many tips there are.
        tips: usize,
    },
    /// A setting that is not a finite number.
    #[error("listening penalty: {0}")]
    Setting(String),
    /// Centres and values of different lengths.
    #[error("{what}: {centres} band centres but {values} values")]
    Mismatch {
        /// What was given.
        what: String,
        /// How many centres.
        centres: usize,
        /// How many values.
        values: usize,
    },
    /// A recorded ambient with no finite level in the 25 Hz-12.5 kHz bands.
    #[error("recorded ambient '{name}' has no level in the third-octave bands 25 Hz to 12.5 kHz")]
    NoAmbientBands {
        /// The recording's name.
        name: String,
    },
    /// The loudness could not be computed for this tip.
    #[error("{tip} {place}: {source}")]
    Loudness {
        /// The tip.
        tip: String,
        /// The ambient's place.
        place: String,
        /// Why.
        source: LoudnessError,
    },
    /// The reference tip's music has no partial loudness over its noise.
    #[error(
        "{tip} {place}: the reference music is inaudible over the noise (0 sone), nothing to match"
    )]
    Inaudible {
        /// The reference tip.
        tip: String,
        /// The ambient's place.
        place: String,
    },
}

/// One tip's listening penalty in one ambient. Serialized as is into JSON;
/// every number is finite.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ListeningPenalty {
    /// The tip.
    pub tip: String,
    /// The ambient (preset name or recording name).
    pub preset: String,
    /// Where, for sentences ("in the subway").
    pub place: String,
    /// The reference tip the music is matched to.
    pub reference_tip: String,
    /// Gain over the reference's volume setting that gives this tip's music
    /// the reference's partial loudness, dB (0 for the reference).
    pub gain_db: f64,
    /// False when the gain hit ±[`MAX_PENALTY_DB`] (or, upwards, 120 dB in
    /// a band below 315 Hz) before the loudness matched: `gain_db` is then
    /// that limit.
    pub matched: bool,
    /// A-weighted level of this tip's music after the gain, dBA
    /// (diffuse-field equivalent at the eardrum).
    pub eardrum_dba: f64,
    /// NIOSH daily allowance at `eardrum_dba`, h (at most [`MAX_HOURS`]).
    pub allowance_h: f64,
    /// WHO-ITU H.870 weekly allowance at `eardrum_dba`, h (at most [`WEEK_HOURS`]).
    pub who_weekly_h: f64,
    /// The reference tip's music level, dBA.
    pub reference_eardrum_dba: f64,
    /// NIOSH daily allowance of the reference, h.
    pub reference_allowance_h: f64,
    /// WHO weekly allowance of the reference, h.
    pub reference_who_weekly_h: f64,
    /// A-weighted level of the noise this tip lets through, dBA.
    pub leaked_noise_dba: f64,
    /// The partial loudness matched (the reference music's over its noise), sone.
    pub partial_loudness_sone: f64,
    /// Sound field of the loudness.
    pub field: SoundField,
}

impl ListeningPenalty {
    /// The penalty in words, e.g. "in the subway, Silicone S needs +9.0 dB
    /// over Foam M: the daily allowance falls from 8 h to 1 h, the weekly
    /// one (WHO) falls from 40 h to 5 h". Allowances at their cap read "24 h or
    /// more" (daily) and "168 h or more" (weekly).
    pub fn sentence(&self) -> String {
        let (place, tip, reference) = (&self.place, &self.tip, &self.reference_tip);
        if tip == reference && self.gain_db == 0.0 {
            return format!(
                "{place}, {tip} is the reference: music at {:.0} dBA, daily allowance {}",
                self.eardrum_dba,
                hours_text(self.allowance_h, MAX_HOURS)
            );
        }
        let (from, to) = (
            hours_text(self.reference_allowance_h, MAX_HOURS),
            hours_text(self.allowance_h, MAX_HOURS),
        );
        let change = format!(
            "{}, the weekly one (WHO) {}",
            change_text(&from, &to, self.allowance_h < self.reference_allowance_h),
            change_text(
                &hours_text(self.reference_who_weekly_h, WEEK_HOURS),
                &hours_text(self.who_weekly_h, WEEK_HOURS),
                self.who_weekly_h < self.reference_who_weekly_h,
            )
        );
        if self.matched {
            format!(
                "{place}, {tip} needs {:+.1} dB over {reference}: the daily allowance {change}",
                self.gain_db
            )
        } else if self.gain_db > 0.0 {
            format!(
                "{place}, {tip} does not match {reference} even at {:+.0} dB ({:.0} dBA): the daily allowance {change}",
                self.gain_db, self.eardrum_dba
            )
        } else {
            format!(
                "{place}, {tip} is louder than {reference} even at {:+.0} dB: the daily allowance {change}",
                self.gain_db
            )
        }
    }
}

/// "falls from 8 h to 1 h", "rises from ...", or "stays at ...".
fn change_text(from: &str, to: &str, falls: bool) -> String {
    if from == to {
        format!("stays at {to}")
    } else if falls {
        format!("falls from {from} to {to}")
    } else {
        format!("rises from {from} to {to}")
    }
}

/// `h` hours for people: "8 h", "2.5 h", "40 min", and "`cap` h or more"
/// at the cap.
pub fn hours_text(h: f64, cap: f64) -> String {
    if h >= cap {
        format!("{cap:.0} h or more")
    } else if h >= 10.0 {
        format!("{h:.0} h")
    } else if h >= 1.0 {
        let t = format!("{h:.1}");
        format!("{} h", t.strip_suffix(".0").unwrap_or(&t))
    } else {
        format!("{:.0} min", (h * 60.0).max(1.0))
    }
}

/// The tip that lets the least A-weighted noise through in `ambient` (the
/// first of equals), or `None` for no tips: a natural reference.
pub fn best_sealing(tips: &[TipBands], ambient: &Ambient) -> Option<usize> {
    tips.iter()
        .map(|t| a_weighted_third_octaves(&t.leaked_noise(ambient)))
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

/// The listening penalty of every tip in `ambient` against
/// `tips[reference]`, in `tips` order (see the module docs for the model).
pub fn listening_penalty(
    tips: &[TipBands],
    reference: usize,
    ambient: &Ambient,
    settings: &PenaltySettings,
) -> Result<Vec<ListeningPenalty>, PenaltyError> {
    if tips.is_empty() {
        return Err(PenaltyError::NoTips);
    }
    let Some(ref_tip) = tips.get(reference) else {
        return Err(PenaltyError::ReferenceOutOfRange {
            reference,
            tips: tips.len(),
        });
    };
    if !settings.reference_dba.is_finite() {
        return Err(PenaltyError::Setting(format!(
            "the reference level is {} dBA",
            settings.reference_dba
        )));
    }
    if let Some(bad) = settings.music_db.iter().find(|m| !m.is_finite()) {
        return Err(PenaltyError::Setting(format!(
            "the music spectrum has a band at {bad} dB"
        )));
    }
    let field = settings.field;
    let loudness_error = |tip: &TipBands| {
        let (tip, place) = (tip.name.clone(), ambient.place.clone());
        move |source| PenaltyError::Loudness { tip, place, source }
    };
    // The music through a tip at the reference's volume setting.
    let shaped = |tip: &TipBands| -> [f64; N_BANDS] {
        let r = tip.normalised_response();
        let offset = match settings.absolute_levels {
            true => tip.normalisation_level() - ref_tip.normalisation_level(),
            false => 0.0,
        };
        std::array::from_fn(|i| settings.music_db[i] + r[i] + offset)
    };
    let k = settings.reference_dba - a_weighted_third_octaves(&shaped(ref_tip));
    let music_of = |tip: &TipBands| shaped(tip).map(|m| m + k);

    let ref_music = music_of(ref_tip);
    let ref_noise = ref_tip.leaked_noise(ambient);
    let target = partial_loudness(&ref_music, &ref_noise, field)
        .map_err(loudness_error(ref_tip))?
        .partial_sone;
    if target.is_nan() || target <= 0.0 {
        return Err(PenaltyError::Inaudible {
            tip: ref_tip.name.clone(),
            place: ambient.place.clone(),
        });
    }
    let ref_dba = a_weighted_third_octaves(&ref_music);

    tips.iter()
        .map(|tip| {
            let music = music_of(tip);
            let noise = tip.leaked_noise(ambient);
            let (gain_db, matched) =
                matching_gain(&music, &noise, target, field).map_err(loudness_error(tip))?;
            let eardrum_dba = a_weighted_third_octaves(&music.map(|m| m + gain_db));
            Ok(ListeningPenalty {
                tip: tip.name.clone(),
                preset: ambient.name.clone(),
                place: ambient.place.clone(),
                reference_tip: ref_tip.name.clone(),
                gain_db,
                matched,
                eardrum_dba,
                allowance_h: niosh_hours(eardrum_dba).min(MAX_HOURS),
                who_weekly_h: who_weekly_hours(eardrum_dba).min(WEEK_HOURS),
                reference_eardrum_dba: ref_dba,
                reference_allowance_h: niosh_hours(ref_dba).min(MAX_HOURS),
                reference_who_weekly_h: who_weekly_hours(ref_dba).min(WEEK_HOURS),
                leaked_noise_dba: a_weighted_third_octaves(&noise),
                partial_loudness_sone: target,
                field,
            })
        })
        .collect()
}

/// [`listening_penalty`] in each of `ambients`, ambient by ambient (each
/// ambient's tips in `tips` order).
pub fn listening_penalties(
    tips: &[TipBands],
    reference: usize,
    ambients: &[Ambient],
    settings: &PenaltySettings,
) -> Result<Vec<ListeningPenalty>, PenaltyError> {
    let mut out = Vec::with_capacity(tips.len() * ambients.len());
    for ambient in ambients {
        out.extend(listening_penalty(tips, reference, ambient, settings)?);
    }
    Ok(out)
}

/// [`listening_penalty`] in a recorded ambient given as third-octave levels
/// (dB SPL at `centre_hz`, see [`Ambient::recorded`]).
pub fn listening_penalty_recorded(
    tips: &[TipBands],
    reference: usize,
    name: &str,
    centre_hz: &[f64],
    level_db_spl: &[f64],
    settings: &PenaltySettings,
) -> Result<Vec<ListeningPenalty>, PenaltyError> {
    let ambient = Ambient::recorded(name, centre_hz, level_db_spl)?;
    listening_penalty(tips, reference, &ambient, settings)
}

/// The gain `g` (dB) at which `music + g` has the partial loudness `target`
/// over `noise`, by bisection on that monotone function, and whether it was
/// reached inside the search range (±[`MAX_PENALTY_DB`], and upwards no band
/// below 315 Hz above the 120 dB ISO 532-1 allows).
fn matching_gain(
    music: &[f64; N_BANDS],
    noise: &[f64; N_BANDS],
    target: f64,
    field: SoundField,
) -> Result<(f64, bool), LoudnessError> {
    let partial =
        |g: f64| partial_loudness(&music.map(|m| m + g), noise, field).map(|p| p.partial_sone);
    let at_zero = partial(0.0)?;
    if at_zero == target {
        return Ok((0.0, true));
    }
    let (mut lo, mut hi) = if at_zero < target {
        let top = max_gain(music, noise);
        if partial(top)? < target {
            return Ok((top, false));
        }
        (0.0, top)
    } else {
        if partial(-MAX_PENALTY_DB)? > target {
            return Ok((-MAX_PENALTY_DB, false));
        }
        (-MAX_PENALTY_DB, 0.0)
    };
    // partial(lo) < target <= partial(hi) (or > and <= at the bottom end).
    for _ in 0..64 {
        if hi - lo < 1e-7 {
            break;
        }
        let mid = 0.5 * (lo + hi);
        if partial(mid)? < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok((0.5 * (lo + hi), true))
}

/// The largest gain in 0 ... [`MAX_PENALTY_DB`] that keeps music plus noise
/// at or below 120 dB in every band below 315 Hz.
fn max_gain(music: &[f64; N_BANDS], noise: &[f64; N_BANDS]) -> f64 {
    let mut top = MAX_PENALTY_DB;
    for (m, n) in music.iter().zip(noise).take(11) {
        let room = 10f64.powf(MAX_LOW_BAND_DB / 10.0) - 10f64.powf(n / 10.0);
        if room > 0.0 {
            top = top.min(10.0 * room.log10() - m - 1e-9);
        } else {
            top = 0.0;
        }
    }
    top.max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ambient_takes_a_preset_or_all() {
        let names = |c: AmbientChoice| c.presets().iter().map(|p| p.name).collect::<Vec<_>>();
        assert_eq!(names("all".parse().unwrap()), PRESET_NAMES);
        assert_eq!(names("Plane".parse().unwrap()), ["airplane"]);
        let e = "gym".parse::<AmbientChoice>().unwrap_err();
        assert_eq!(e, "use one of office, street, subway, airplane, or all");
    }

    #[test]
    fn niosh_85_dba_allows_8_hours_and_88_allows_4() {
        assert!((niosh_hours(85.0) - 8.0).abs() < 1e-12);
        assert!((niosh_hours(88.0) - 4.0).abs() < 1e-12);
        assert!((niosh_hours(100.0) - 0.25).abs() < 1e-12);
    }

    #[test]
    fn music_at_85_dba_gives_8_hours() {
        // 75 dB SPL at 1 kHz only (A = 0): eardrum 75 dBA, music 85 dBA.
        let mut ambient = [-400.0; 8];
        ambient[4] = 75.0;
        let s = safe_listening(&ambient, &[0.0; 8]);
        assert!((s.music_dba - 85.0).abs() < 0.01, "{s:?}");
        assert!((s.niosh_allowed_hours - 8.0).abs() < 0.05);
        assert!(!s.unlimited);
    }

    #[test]
    fn more_attenuation_lowers_music_level_and_lengthens_time() {
        let p = preset("subway").unwrap();
        let open = safe_listening_in(&p, &[0.0; 8]);
        let tip = safe_listening_in(&p, &[5.0, 8.0, 12.0, 18.0, 25.0, 30.0, 32.0, 30.0]);
        assert!((open.ambient_dba - 81.0).abs() < 0.5, "{open:?}");
        assert!(tip.music_dba < open.music_dba - 10.0, "{tip:?}");
        assert!(tip.niosh_allowed_hours > open.niosh_allowed_hours);
        assert_eq!(tip.preset.as_deref(), Some("subway"));
    }

    #[test]
    fn quiet_results_are_capped_and_flagged_unlimited() {
        let s = safe_listening_in(&preset("office").unwrap(), &[30.0; 8]);
        assert_eq!(s.niosh_allowed_hours, MAX_HOURS);
        assert!(s.unlimited);
    }

    #[test]
    fn presets_are_found_by_name_and_alias() {
        for name in PRESET_NAMES {
            assert_eq!(preset(name).unwrap().name, name);
        }
        assert_eq!(preset("Airplane-Cabin").unwrap().name, "airplane");
        assert!(preset("moon").is_none());
    }

    #[test]
    fn preset_levels_match_their_descriptions() {
        for (p, dba) in PRESETS.iter().zip([53.4, 72.1, 81.0, 82.1]) {
            assert!(
                (a_weighted_dba(&p.level_db_spl) - dba).abs() < 0.1,
                "{}",
                p.name
            );
        }
    }

    #[test]
    fn non_finite_inputs_give_finite_outputs() {
        let mut ambient = [60.0; 8];
        ambient[2] = f64::NAN;
        let mut att = [10.0; 8];
        att[3] = f64::INFINITY;
        let s = safe_listening(&ambient, &att);
        let numbers = [
            s.ambient_dba,
            s.eardrum_dba,
            s.music_dba,
            s.niosh_allowed_hours,
        ];
        assert!(
            numbers
                .iter()
                .chain(&s.eardrum_db_spl)
                .all(|x| x.is_finite()),
            "{s:?}"
        );
        assert_eq!(s.eardrum_db_spl[3], 60.0);
        let s = safe_listening(&[f64::NEG_INFINITY; 8], &[0.0; 8]);
        assert!(s.eardrum_dba.is_finite() && s.unlimited);
    }

    fn isolation(attenuation: [f64; 8]) -> Isolation {
        use crate::analysis::isolation::{BandTable, IsolationMethod};
        let t = BandTable {
            centre_hz: OCTAVE_CENTRES_HZ.to_vec(),
            attenuation_db: attenuation.to_vec(),
            floor_limited: vec![false; 8],
            occluded_dbfs: vec![-70.0; 8],
            ..BandTable::default()
        };
        Isolation {
            method: IsolationMethod::InsertionLoss,
            sample_rate: 48_000,
            analysed_s: 10.0,
            third_octave: t.clone(),
            octave: t,
            floor_correction: Default::default(),
            self_check: None,
            warnings: Vec::new(),
        }
    }

    #[test]
    fn no_estimate_from_a_swapped_or_doubtful_isolation() {
        // Swapped: -41 to -48 dB in every band (the example), which
        // would read "0.0 h a day".
        let swapped = isolation([-41.0, -42.0, -44.0, -45.0, -46.0, -47.0, -48.0, -48.0]);
        let p = preset("subway").unwrap();
        let why = safe_listening_from(&swapped, &p.level_db_spl).unwrap_err();
        assert!(why.contains("no safe-listening estimate"), "{why}");
        assert!(why.contains("(it is in 0 of 8)"), "{why}");
        // Quieter in 5 of 8 bands, louder broadband: doubtful, none either.
        let doubtful = isolation([-2.0, -2.0, -2.0, -2.0, -2.0, 30.0, 30.0, 30.0]);
        assert!(safe_listening_from(&doubtful, &p.level_db_spl).is_err());
        // A sound one gives the same as the array form.
        let att = [5.0, 8.0, 12.0, 18.0, 25.0, 30.0, 32.0, 30.0];
        let good = safe_listening_from(&isolation(att), &p.level_db_spl).unwrap();
        assert_eq!(good, safe_listening(&p.level_db_spl, &att));
    }
}

#[cfg(test)]
mod penalty_tests {
    use super::*;
    use crate::analysis::loudness::loudness;

    const FOAM: [f64; N_BANDS] = [
        18.0, 19.0, 20.0, 21.0, 22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0, 32.0,
        33.0, 34.0, 35.0, 36.0, 37.0, 38.0, 38.0, 38.0, 38.0, 37.0, 36.0, 35.0, 34.0,
    ];
    const BASS_CUT: [f64; N_BANDS] = [
        -20.0, -18.0, -16.0, -14.0, -12.0, -10.0, -8.5, -7.0, -5.5, -4.0, -3.0, -2.0, -1.0, 0.0,
        0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
    ];

    fn tip(name: &str, response: [f64; N_BANDS], isolation: [f64; N_BANDS]) -> TipBands {
        TipBands::new(name, response, isolation)
    }

    fn subway() -> Ambient {
        Ambient::from_preset(&preset("subway").unwrap())
    }

    fn silence() -> Ambient {
        Ambient {
            name: "silence".into(),
            place: "in silence".into(),
            level_db_spl: [f64::NEG_INFINITY; N_BANDS],
        }
    }

    fn scaled(x: &[f64; N_BANDS], s: f64) -> [f64; N_BANDS] {
        x.map(|v| v * s)
    }

    #[test]
    fn the_reference_against_itself_is_exactly_zero() {
        let tips = [
            tip("Foam M", [0.0; N_BANDS], FOAM),
            tip("Silicone S", BASS_CUT, scaled(&FOAM, 0.5)),
        ];
        for ambient in Ambient::presets().iter().chain([&silence()]) {
            for reference in 0..2 {
                let p = listening_penalty(&tips, reference, ambient, &PenaltySettings::default())
                    .unwrap();
                assert_eq!(p[reference].gain_db, 0.0, "{}", ambient.name);
                assert!(p[reference].matched);
                assert_eq!(p[reference].eardrum_dba, p[reference].reference_eardrum_dba);
                assert!((p[reference].eardrum_dba - REFERENCE_MUSIC_DBA).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn less_isolation_costs_more_gain() {
        let mut tips = vec![tip("ref", [0.0; N_BANDS], FOAM)];
        for loss in [0.0, 5.0, 10.0, 15.0, 20.0, 30.0] {
            tips.push(tip(
                &format!("-{loss}"),
                [0.0; N_BANDS],
                FOAM.map(|i| i - loss),
            ));
        }
        for ambient in Ambient::presets() {
            let p = listening_penalty(&tips, 0, &ambient, &PenaltySettings::default()).unwrap();
            assert_eq!(p[1].gain_db, 0.0);
            for w in p[1..].windows(2) {
                assert!(w[1].gain_db > w[0].gain_db, "{}: {:?}", ambient.name, w);
                assert!(w[1].allowance_h <= w[0].allowance_h);
                assert!(w[1].leaked_noise_dba > w[0].leaked_noise_dba);
            }
        }
        // In the subway 30 dB less isolation is a real cost.
        let p = listening_penalty(&tips, 0, &subway(), &PenaltySettings::default()).unwrap();
        assert!(p[6].gain_db > 3.0, "{:?}", p[6]);
    }

    #[test]
    fn losing_bass_costs_more_gain() {
        let mut tips = vec![tip("ref", [0.0; N_BANDS], FOAM)];
        for s in [0.0, 0.5, 1.0, 1.5, 2.0] {
            tips.push(tip(&format!("x{s}"), scaled(&BASS_CUT, s), FOAM));
        }
        for ambient in [subway(), silence()] {
            let p = listening_penalty(&tips, 0, &ambient, &PenaltySettings::default()).unwrap();
            assert_eq!(p[1].gain_db, 0.0);
            for w in p[1..].windows(2) {
                assert!(w[1].gain_db > w[0].gain_db, "{}: {:?}", ambient.name, w);
            }
        }
    }

    #[test]
    fn in_silence_only_the_response_counts() {
        // No noise: isolation changes nothing, and the gain is the one that
        // matches ISO 532-1 total loudness (the bass compensation alone).
        let tips = [
            tip("ref", [0.0; N_BANDS], FOAM),
            tip("same, leaky", [0.0; N_BANDS], [0.0; N_BANDS]),
            tip("bass cut", BASS_CUT, FOAM),
            tip("bass cut, leaky", BASS_CUT, [3.0; N_BANDS]),
            tip("louder, same shape", [6.0; N_BANDS], FOAM),
        ];
        let settings = PenaltySettings::default();
        let p = listening_penalty(&tips, 0, &silence(), &settings).unwrap();
        assert_eq!(p[1].gain_db, 0.0);
        assert_eq!(p[4].gain_db, 0.0, "a uniform offset is normalised away");
        assert_eq!(p[2].gain_db, p[3].gain_db);
        assert!(p[2].gain_db > 0.3 && p[2].gain_db < 2.0, "{:?}", p[2]);
        let k = REFERENCE_MUSIC_DBA - a_weighted_third_octaves(&PROGRAMME_SPECTRUM_DB);
        let reference: Vec<f64> = PROGRAMME_SPECTRUM_DB.iter().map(|m| m + k).collect();
        let compensated: Vec<f64> = (0..N_BANDS)
            .map(|i| PROGRAMME_SPECTRUM_DB[i] + k + BASS_CUT[i] + p[2].gain_db)
            .collect();
        let n_ref = loudness(&reference, SoundField::Diffuse)
            .unwrap()
            .total_sone;
        let n_tip = loudness(&compensated, SoundField::Diffuse)
            .unwrap()
            .total_sone;
        assert!((n_tip - n_ref).abs() < 1e-6 * n_ref, "{n_tip} {n_ref}");
        assert!((p[2].partial_loudness_sone - n_ref).abs() < 1e-9 * n_ref);
    }

    #[test]
    fn allowances_follow_the_exchange_rules() {
        assert!((who_weekly_hours(80.0) - 40.0).abs() < 1e-12);
        assert!((who_weekly_hours(83.0) - 20.0).abs() < 1e-12);
        assert!((who_weekly_hours(89.0) - 5.0).abs() < 1e-12);
        let settings = PenaltySettings {
            reference_dba: 88.0,
            ..PenaltySettings::default()
        };
        let tips = [
            tip("ref", [0.0; N_BANDS], FOAM),
            tip("leaky", [0.0; N_BANDS], scaled(&FOAM, 0.3)),
            tip("bassless", BASS_CUT, scaled(&FOAM, 0.6)),
        ];
        let p = listening_penalty(&tips, 0, &subway(), &settings).unwrap();
        // 88 dBA: 4 h a day (NIOSH), 40 / 2^(8/3) h a week (WHO).
        assert!((p[0].allowance_h - 4.0).abs() < 1e-9, "{:?}", p[0]);
        assert!((p[0].who_weekly_h - 40.0 / 2f64.powf(8.0 / 3.0)).abs() < 1e-9);
        for q in &p {
            let over = q.eardrum_dba - q.reference_eardrum_dba;
            // Every 3 dB over the reference halves both allowances.
            assert!(
                (q.allowance_h / q.reference_allowance_h - 2f64.powf(-over / 3.0)).abs() < 1e-9
            );
            assert!(
                (q.who_weekly_h / q.reference_who_weekly_h - 2f64.powf(-over / 3.0)).abs() < 1e-9
            );
            assert!((q.allowance_h - 8.0 / 2f64.powf((q.eardrum_dba - 85.0) / 3.0)).abs() < 1e-9);
        }
        // The flat leaky tip's level is the reference's plus its gain.
        assert!((p[1].eardrum_dba - (88.0 + p[1].gain_db)).abs() < 1e-9);
        // Quiet music is capped, not unbounded.
        let quiet = listening_penalty(&tips, 0, &silence(), &PenaltySettings::default()).unwrap();
        assert_eq!(quiet[0].allowance_h, MAX_HOURS);
        assert!((quiet[0].who_weekly_h - 40.0 * 2f64.powf(5.0 / 3.0)).abs() < 1e-9);
        assert_eq!(who_weekly_hours(60.0).min(WEEK_HOURS), WEEK_HOURS);
    }

    #[test]
    fn an_unreachable_match_is_reported_at_the_limit() {
        // 118 dB thirds: 38 dB behind the reference's 80 dB of isolation,
        // all of it through the open tip, which +40 dB cannot overcome.
        let tips = [
            tip("ref", [0.0; N_BANDS], [80.0; N_BANDS]),
            tip("open", [0.0; N_BANDS], [0.0; N_BANDS]),
        ];
        let roar = Ambient {
            name: "roar".into(),
            place: "at the roar".into(),
            level_db_spl: [118.0; N_BANDS],
        };
        let p = listening_penalty(&tips, 0, &roar, &PenaltySettings::default()).unwrap();
        assert!(!p[1].matched);
        assert!(p[1].gain_db > 0.0 && p[1].gain_db <= MAX_PENALTY_DB);
        assert!(
            p[1].sentence().contains("does not match"),
            "{}",
            p[1].sentence()
        );
        assert!(p[1].allowance_h.is_finite() && p[1].allowance_h > 0.0);
    }

    #[test]
    fn bad_inputs_are_errors_or_neutral_never_panics() {
        let good = tip("ref", [0.0; N_BANDS], FOAM);
        let settings = PenaltySettings::default();
        assert_eq!(
            listening_penalty(&[], 0, &subway(), &settings),
            Err(PenaltyError::NoTips)
        );
        assert!(matches!(
            listening_penalty(std::slice::from_ref(&good), 3, &subway(), &settings),
            Err(PenaltyError::ReferenceOutOfRange {
                reference: 3,
                tips: 1
            })
        ));
        let nan_level = PenaltySettings {
            reference_dba: f64::NAN,
            ..PenaltySettings::default()
        };
        assert!(listening_penalty(std::slice::from_ref(&good), 0, &subway(), &nan_level).is_err());
        // NaN isolation is 0 dB, NaN response 0 dB.
        let nan = tip("nan", [f64::NAN; N_BANDS], [f64::NAN; N_BANDS]);
        let zero = tip("zero", [0.0; N_BANDS], [0.0; N_BANDS]);
        let p = listening_penalty(&[good.clone(), nan, zero], 0, &subway(), &settings).unwrap();
        assert_eq!(p[1].gain_db, p[2].gain_db);
        let json = serde_json::to_string(&p).unwrap();
        assert!(!json.contains("null") && !json.contains("NaN"), "{json}");
        // Recorded ambients.
        assert!(matches!(
            Ambient::recorded("empty", &[], &[]),
            Err(PenaltyError::NoAmbientBands { .. })
        ));
        assert!(matches!(
            Ambient::recorded("short", &[100.0, 200.0], &[60.0]),
            Err(PenaltyError::Mismatch { .. })
        ));
        assert!(TipBands::from_bands("t", &[100.0], &[], &[], &[]).is_err());
        // A ridiculous recorded level is an error naming the band, not a panic.
        let loud = listening_penalty_recorded(
            std::slice::from_ref(&good),
            0,
            "jet engine",
            &[63.0],
            &[200.0],
            &settings,
        );
        let e = loud.unwrap_err().to_string();
        assert!(e.contains("63 Hz"), "{e}");
    }

    #[test]
    fn recorded_ambient_equals_the_same_levels_as_a_preset() {
        let sub = subway();
        let p1 = listening_penalty(
            &[
                tip("ref", [0.0; N_BANDS], FOAM),
                tip("leaky", BASS_CUT, scaled(&FOAM, 0.5)),
            ],
            0,
            &sub,
            &PenaltySettings::default(),
        )
        .unwrap();
        let p2 = listening_penalty_recorded(
            &[
                tip("ref", [0.0; N_BANDS], FOAM),
                tip("leaky", BASS_CUT, scaled(&FOAM, 0.5)),
            ],
            0,
            "subway.wav",
            &THIRD_OCTAVE_CENTRES_HZ,
            &sub.level_db_spl,
            &PenaltySettings::default(),
        )
        .unwrap();
        assert_eq!(p1[1].gain_db, p2[1].gain_db);
        assert_eq!(p2[1].preset, "subway.wav");
    }

    #[test]
    fn sentences_read_as_intended() {
        let tips = [
            tip("Foam M", [0.0; N_BANDS], FOAM),
            tip("Silicone S", BASS_CUT, scaled(&FOAM, 0.3)),
        ];
        let settings = PenaltySettings {
            reference_dba: 85.0,
            ..PenaltySettings::default()
        };
        let p = listening_penalty(&tips, 0, &subway(), &settings).unwrap();
        let s = p[1].sentence();
        assert!(s.starts_with("in the subway, Silicone S needs +"), "{s}");
        assert!(
            s.contains(" dB over Foam M: the daily allowance falls from 8 h to "),
            "{s}"
        );
        assert!(
            s.contains(", the weekly one (WHO) falls from 13 h to "),
            "{s}"
        );
        let r = p[0].sentence();
        assert_eq!(
            r,
            "in the subway, Foam M is the reference: music at 85 dBA, daily allowance 8 h"
        );
        assert_eq!(hours_text(24.0, 24.0), "24 h or more");
        assert_eq!(hours_text(2.5, 24.0), "2.5 h");
        assert_eq!(hours_text(0.5, 24.0), "30 min");
        assert_eq!(hours_text(12.4, 24.0), "12 h");
    }

    #[test]
    fn best_sealing_is_the_quietest_inside() {
        let tips = [
            tip("a", [0.0; N_BANDS], scaled(&FOAM, 0.5)),
            tip("b", [0.0; N_BANDS], FOAM),
            tip("c", [0.0; N_BANDS], [f64::NAN; N_BANDS]),
        ];
        assert_eq!(best_sealing(&tips, &subway()), Some(1));
        assert_eq!(best_sealing(&[], &subway()), None);
    }

    #[test]
    fn preset_thirds_keep_the_octave_power() {
        for p in PRESETS {
            let t = third_octave_ambient(&p.level_db_spl);
            for (k, octave) in p.level_db_spl.iter().enumerate() {
                let sum: f64 = t[3 + 3 * k..6 + 3 * k]
                    .iter()
                    .map(|l| 10f64.powf(l / 10.0))
                    .sum();
                assert!((10.0 * sum.log10() - octave).abs() < 1e-9);
            }
            assert_eq!(t[0], t[3]);
            assert_eq!(t[27], t[26]);
            // The A-weighted level barely moves (the extrapolated 25-40 Hz
            // and 12.5 kHz bands add little under A-weighting).
            let a8 = a_weighted_dba(&p.level_db_spl);
            let a28 = a_weighted_third_octaves(&t);
            assert!((a28 - a8).abs() < 0.5, "{}: {a8} {a28}", p.name);
        }
    }

    #[test]
    fn responses_are_averaged_into_bands() {
        let f: Vec<f64> = (0..400).map(|k| 10.0 * 1.02f64.powi(k)).collect();
        let flat = third_octave_response(&f, &vec![-3.0; f.len()]);
        assert!(flat.iter().all(|d| (d + 3.0).abs() < 1e-9), "{flat:?}");
        let step: Vec<f64> = f
            .iter()
            .map(|&x| if x < 300.0 { -10.0 } else { 0.0 })
            .collect();
        let s = third_octave_response(&f, &step);
        assert!((s[7] + 10.0).abs() < 1e-9 && s[14].abs() < 1e-9, "{s:?}");
        // Outside the data: NaN (then 0 dB once normalised).
        let narrow = third_octave_response(&[1000.0, 2000.0], &[1.0, 1.0]);
        assert!(narrow[0].is_nan() && (narrow[16] - 1.0).abs() < 1e-12);
        let t = TipBands::new("n", narrow, [0.0; N_BANDS]);
        assert!(t.normalised_response().iter().all(|x| x.abs() < 1e-12));
        // Exact mid-band frequencies find their nominal bands.
        let c: Vec<f64> = (0..N_BANDS).map(exact_centre_hz).collect();
        let v: Vec<f64> = (0..N_BANDS).map(|i| i as f64).collect();
        assert_eq!(on_third_octaves(&c, &v).to_vec(), v);
    }
}
