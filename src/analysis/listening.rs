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

use crate::analysis::isolation::{BandTable, Isolation, Verdict};
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
