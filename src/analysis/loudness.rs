//! Stationary loudness after ISO 532-1:2017 method 1 (Zwicker), and a
//! partial-loudness model for a signal heard in noise.
//!
//! # ISO 532-1:2017, method for stationary sounds
//!
//! The input is the 28 third-octave band levels from 25 Hz to 12.5 kHz
//! ([`THIRD_OCTAVE_CENTRES_HZ`]), dB SPL, of a sound in a free or a diffuse
//! field ([`SoundField`]). The steps and the tables are those of ISO
//! 532-1:2017 Annex A, whose C program is the normative statement of the
//! method (the same algorithm as the BASIC program of Zwicker, Fastl,
//! Widmann, Kurakata, Kuwano and Namba, "Program for calculating loudness
//! according to DIN 45631 (ISO 532 B)", J. Acoust. Soc. Jpn. (E) 12(1),
//! 1991). The table names below are the program's:
//!
//! 1. The eleven bands 25 ... 250 Hz are corrected for the equal-loudness
//!    contours: the level range is found in `RAP` and the band lowered by
//!    the matching `DLL` entry.
//! 2. Their intensities are summed into the first three critical bands
//!    (25-80 Hz, 100-160 Hz, 200-250 Hz), the levels `LCB`.
//! 3. Those three and the bands 315 Hz ... 12.5 kHz give 20 critical-band
//!    levels. Each is corrected for the ear's transmission (`A0`), for a
//!    diffuse field (`DDF`) and, above the threshold in quiet `LTQ`, for
//!    the bandwidth (`DCB`); the core loudness is
//!    `N'_c = 0.0635 · 10^(0.025 LTQ) · ((1 − s + s · 10^((L_E − LTQ)/10))^0.25 − 1)`
//!    with `s = 0.25` (the 21st, 23.6-24 Bark, is 0). The lowest one is
//!    multiplied by `0.4 + 0.32 N'^0.2` when that is below 1.
//! 4. The specific-loudness pattern is the core loudness of each
//!    approximated critical band (upper limits `ZUP`, Bark), with upper
//!    slopes attached towards higher frequencies whose steepness `USL`
//!    depends on the specific loudness (ranges `RNS`) and on the band.
//!    The total loudness `N` is the area under that piecewise-linear
//!    pattern, and the pattern sampled at 0.1, 0.2 ... 24.0 Bark is the
//!    specific loudness `N'(z)` (240 values). A grid point at a band's
//!    upper limit belongs to that band, as in the program.
//!
//! The loudness level follows ISO 532-1:2017: `L_N = 40 + 10 log2 N` phon
//! (the standard's `40 + 33.22 lg N`) for `N ≥ 1` sone and
//! `L_N = 40 (N + 0.0005)^0.35` phon below.
//!
//! One table entry differs between published copies: the steepness `USL`
//! for the range 0.30-0.22 sone/Bark in the fifth critical-band range is
//! 0.22 in the C program of ISO 532-1:2017 and 0.24 in the 1991 BASIC
//! program (and in MoSQITo, which follows it). This module uses the ISO
//! value; the difference moves totals by far less than the test tolerances.
//!
//! The standard limits the method to 120 dB in the bands below 315 Hz (the
//! range of `RAP`): a level above that is an error here
//! ([`LoudnessError::AboveRange`]), as it is in MoSQITo.
//!
//! Levels of minus infinity are silence in that band; NaN and plus infinity
//! are errors, never a NaN result.
//!
//! # Partial loudness of a signal in noise
//!
//! ISO 532-1 does not define partial loudness. [`partial_loudness`] uses
//! Zwicker's specific-loudness approach to partial masking (Zwicker & Fastl,
//! "Psychoacoustics: Facts and Models", 3rd ed., Springer 2007, ch. 8 on
//! loudness, the loudness of partially masked sounds): the signal's partial
//! specific loudness at each critical-band rate is what it adds to the
//! masker's,
//!
//! `N'_partial(z) = max(0, N'(signal + noise)(z) − N'(noise)(z))`,
//!
//! with `signal + noise` the power sum in each third-octave band, and the
//! partial loudness is its integral over 0 ... 24 Bark. The integral is
//! exact: both patterns are piecewise linear, so the positive part of their
//! difference is integrated segment by segment (with the crossing points),
//! not summed on the 0.1-Bark grid. Without noise the partial loudness is
//! the ISO total loudness of the signal itself.
//!
//! This is an approximation, stated as such. It captures partial masking's
//! main effect (a signal just above the noise adds little loudness, one far
//! above it nearly its own), but it gives a small positive loudness even to
//! a signal below masked threshold, and it is not fitted to partial-loudness
//! data. The better-founded model is Moore, Glasberg & Baer, "A model for
//! the prediction of thresholds, loudness, and partial loudness", J. Audio
//! Eng. Soc. 45(4), 1997, which works on excitation patterns on the ERB
//! scale with its own threshold and compression constants (ISO 532-2). It
//! is not used here because it would mix a second loudness model with the
//! ISO 532-1 one; for ranking tips by how much gain they need, what matters
//! is that the same monotone measure is applied to every tip.

use serde::{Deserialize, Serialize};

/// Number of third-octave bands the method takes (25 Hz ... 12.5 kHz).
pub const N_BANDS: usize = 28;

/// Number of specific-loudness values (0.1 ... 24.0 Bark in 0.1-Bark steps).
pub const N_BARK: usize = 240;

/// Nominal third-octave centres of the input levels, Hz (IEC 61260-1
/// labels; the exact mid-band frequencies are `1000 · 10^(n/10)`, n = −16 ... 11).
pub const THIRD_OCTAVE_CENTRES_HZ: [f64; N_BANDS] = [
    25.0, 31.5, 40.0, 50.0, 63.0, 80.0, 100.0, 125.0, 160.0, 200.0, 250.0, 315.0, 400.0, 500.0,
    630.0, 800.0, 1000.0, 1250.0, 1600.0, 2000.0, 2500.0, 3150.0, 4000.0, 5000.0, 6300.0, 8000.0,
    10_000.0, 12_500.0,
];

/// Highest band level the method allows below 315 Hz, dB SPL.
pub const MAX_LOW_BAND_DB: f64 = 120.0;

/// Exact mid-band frequency of band `i` of [`THIRD_OCTAVE_CENTRES_HZ`], Hz.
pub fn exact_centre_hz(i: usize) -> f64 {
    1000.0 * 10f64.powf((i as f64 - 16.0) / 10.0)
}

/// The critical-band rates of the specific loudness, Bark: 0.1, 0.2 ... 24.0.
pub fn bark_axis() -> Vec<f64> {
    (1..=N_BARK).map(|k| k as f64 / 10.0).collect()
}

/// The sound field the band levels were measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SoundField {
    /// Frontal free field (plane wave).
    Free,
    /// Diffuse field.
    Diffuse,
}

/// Why no loudness was computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LoudnessError {
    /// Not one level per band of [`THIRD_OCTAVE_CENTRES_HZ`].
    #[error(
        "ISO 532-1 loudness takes {N_BANDS} third-octave levels (25 Hz to 12.5 kHz), got {got}"
    )]
    BandCount {
        /// How many levels were given.
        got: usize,
    },
    /// A level that is NaN or plus infinity.
    #[error("the {band_hz} Hz third-octave level is {level} dB, not a level")]
    NotALevel {
        /// Nominal centre of the band, Hz.
        band_hz: f64,
        /// The value given.
        level: f64,
    },
    /// A level above [`MAX_LOW_BAND_DB`] below 315 Hz.
    #[error("the {band_hz} Hz third-octave level is {level:.1} dB SPL, above the 120 dB ISO 532-1 allows below 315 Hz")]
    AboveRange {
        /// Nominal centre of the band, Hz.
        band_hz: f64,
        /// The level given, dB SPL.
        level: f64,
    },
}

/// Stationary loudness of one sound. Serialized as is into JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Loudness {
    /// The sound field the levels were taken as.
    pub field: SoundField,
    /// Total loudness `N`, sone.
    pub total_sone: f64,
    /// Loudness level `L_N`, phon.
    pub level_phon: f64,
    /// Specific loudness `N'(z)` at [`bark_axis`], sone/Bark ([`N_BARK`] values).
    pub specific_sone_per_bark: Vec<f64>,
}

/// Partial loudness of a signal in noise ([`partial_loudness`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartialLoudness {
    /// The sound field the levels were taken as.
    pub field: SoundField,
    /// Partial loudness of the signal, sone: the integral of
    /// `max(0, N'(signal + noise) − N'(noise))` over Bark.
    pub partial_sone: f64,
    /// ISO 532-1 loudness of signal and noise together, sone.
    pub total_sone: f64,
    /// ISO 532-1 loudness of the noise alone, sone.
    pub noise_sone: f64,
    /// Partial specific loudness at [`bark_axis`], sone/Bark ([`N_BARK`] values).
    pub specific_sone_per_bark: Vec<f64>,
}

/// ISO 532-1:2017 stationary loudness of the third-octave levels
/// `levels_db` (dB SPL at [`THIRD_OCTAVE_CENTRES_HZ`]) in `field`.
pub fn loudness(levels_db: &[f64], field: SoundField) -> Result<Loudness, LoudnessError> {
    let levels = checked_levels(levels_db)?;
    let pattern = Pattern::of(&core_loudness(&levels, field));
    let total = pattern.area().max(0.0);
    Ok(Loudness {
        field,
        total_sone: total,
        level_phon: sone_to_phon(total),
        specific_sone_per_bark: pattern.on_grid(),
    })
}

/// Partial loudness of `signal_db` heard in `noise_db` (both dB SPL at
/// [`THIRD_OCTAVE_CENTRES_HZ`], minus infinity for silence) in `field`, by
/// the specific-loudness subtraction model described in the module docs.
pub fn partial_loudness(
    signal_db: &[f64],
    noise_db: &[f64],
    field: SoundField,
) -> Result<PartialLoudness, LoudnessError> {
    let signal = checked_levels(signal_db)?;
    let noise = checked_levels(noise_db)?;
    let mut both = [0.0; N_BANDS];
    for (b, (s, n)) in both.iter_mut().zip(signal.iter().zip(&noise)) {
        *b = power_sum_db(*s, *n);
    }
    let both = checked_levels(&both)?;
    let with = Pattern::of(&core_loudness(&both, field));
    let without = Pattern::of(&core_loudness(&noise, field));
    let specific = with
        .on_grid()
        .iter()
        .zip(without.on_grid())
        .map(|(a, b)| (a - b).max(0.0))
        .collect();
    Ok(PartialLoudness {
        field,
        partial_sone: with.area_above(&without),
        total_sone: with.area().max(0.0),
        noise_sone: without.area().max(0.0),
        specific_sone_per_bark: specific,
    })
}

/// Loudness level of `sone`, phon (ISO 532-1:2017): `40 + 10 log2 N` from
/// 1 sone up, `40 (N + 0.0005)^0.35` below. Negative or NaN loudness counts as 0.
pub fn sone_to_phon(sone: f64) -> f64 {
    let n = if sone > 0.0 { sone } else { 0.0 };
    if n >= 1.0 {
        40.0 + 10.0 * n.log2()
    } else {
        40.0 * (n + 0.0005).powf(0.35)
    }
}

/// Power sum of two levels, dB (minus infinity is silence).
pub fn power_sum_db(a_db: f64, b_db: f64) -> f64 {
    let (hi, lo) = if a_db >= b_db {
        (a_db, b_db)
    } else {
        (b_db, a_db)
    };
    if hi == f64::NEG_INFINITY {
        return f64::NEG_INFINITY;
    }
    // Relative to the louder one: no overflow for any finite pair.
    hi + 10.0 * (1.0 + 10f64.powf((lo - hi) / 10.0)).log10()
}

fn checked_levels(levels_db: &[f64]) -> Result<[f64; N_BANDS], LoudnessError> {
    let levels: [f64; N_BANDS] = levels_db.try_into().map_err(|_| LoudnessError::BandCount {
        got: levels_db.len(),
    })?;
    for (i, &level) in levels.iter().enumerate() {
        let band_hz = THIRD_OCTAVE_CENTRES_HZ[i];
        if level.is_nan() || level == f64::INFINITY {
            return Err(LoudnessError::NotALevel { band_hz, level });
        }
        if i < N_LOW_BANDS && level > MAX_LOW_BAND_DB {
            return Err(LoudnessError::AboveRange { band_hz, level });
        }
    }
    Ok(levels)
}

/// Bands 25 ... 250 Hz, corrected for the equal-loudness contours.
const N_LOW_BANDS: usize = 11;
/// Critical bands with a core loudness (the last, 23.6-24 Bark, is 0).
const N_CORE: usize = 21;

/// Upper ends of the level ranges for the low-band correction, dB (`RAP`).
const RAP: [f64; 8] = [45.0, 55.0, 65.0, 71.0, 80.0, 90.0, 100.0, 120.0];

/// Level corrections of the bands 25 ... 250 Hz in each `RAP` range, dB (`DLL`).
const DLL: [[f64; N_LOW_BANDS]; 8] = [
    [
        -32.0, -24.0, -16.0, -10.0, -5.0, 0.0, -7.0, -3.0, 0.0, -2.0, 0.0,
    ],
    [
        -29.0, -22.0, -15.0, -10.0, -4.0, 0.0, -7.0, -2.0, 0.0, -2.0, 0.0,
    ],
    [
        -27.0, -19.0, -14.0, -9.0, -4.0, 0.0, -6.0, -2.0, 0.0, -2.0, 0.0,
    ],
    [
        -25.0, -17.0, -12.0, -9.0, -3.0, 0.0, -5.0, -2.0, 0.0, -2.0, 0.0,
    ],
    [
        -23.0, -16.0, -11.0, -7.0, -3.0, 0.0, -4.0, -1.0, 0.0, -1.0, 0.0,
    ],
    [
        -20.0, -14.0, -10.0, -6.0, -3.0, 0.0, -4.0, -1.0, 0.0, -1.0, 0.0,
    ],
    [
        -18.0, -12.0, -9.0, -6.0, -2.0, 0.0, -3.0, -1.0, 0.0, -1.0, 0.0,
    ],
    [
        -15.0, -10.0, -8.0, -4.0, -2.0, 0.0, -3.0, -1.0, 0.0, -1.0, 0.0,
    ],
];

/// Critical-band level at the threshold in quiet, without the ear's
/// transmission, dB (`LTQ`).
const LTQ: [f64; 20] = [
    30.0, 18.0, 12.0, 8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0,
    3.0, 3.0,
];

/// Correction for the ear's transmission, dB (`A0`).
const A0: [f64; 20] = [
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.5, -1.6, -3.2, -5.4, -5.6, -4.0, -1.5,
    2.0, 5.0, 12.0,
];

/// Level difference between diffuse and free field, dB (`DDF`).
const DDF: [f64; 20] = [
    0.0, 0.0, 0.5, 0.9, 1.2, 1.6, 2.3, 2.8, 3.0, 2.0, 0.0, -1.4, -2.0, -1.9, -1.0, 0.5, 3.0, 4.0,
    4.3, 4.0,
];

/// Third-octave to critical-band level adaptation, dB (`DCB`).
const DCB: [f64; 20] = [
    -0.25, -0.6, -0.8, -0.8, -0.5, 0.0, 0.5, 1.1, 1.5, 1.7, 1.8, 1.8, 1.7, 1.6, 1.4, 1.2, 0.8, 0.5,
    0.0, -0.5,
];

/// Upper limits of the approximated critical bands, Bark (`ZUP`).
const ZUP: [f64; N_CORE] = [
    0.9, 1.8, 2.8, 3.5, 4.4, 5.4, 6.6, 7.9, 9.2, 10.6, 12.3, 13.8, 15.2, 16.7, 18.1, 19.3, 20.6,
    21.8, 22.7, 23.6, 24.0,
];

/// Specific-loudness ranges for the steepness of the upper slopes, sone/Bark (`RNS`).
const RNS: [f64; 18] = [
    21.5, 18.0, 15.1, 11.5, 9.0, 6.1, 4.4, 3.1, 2.13, 1.36, 0.82, 0.42, 0.30, 0.22, 0.15, 0.10,
    0.035, 0.0,
];

/// Steepness of the upper slopes per `RNS` range and critical-band range,
/// sone/Bark per Bark (`USL`, as in the ISO 532-1:2017 program).
const USL: [[f64; 8]; 18] = [
    [13.00, 8.20, 6.30, 5.50, 5.50, 5.50, 5.50, 5.50],
    [9.00, 7.50, 6.00, 5.10, 4.50, 4.50, 4.50, 4.50],
    [7.80, 6.70, 5.60, 4.90, 4.40, 3.90, 3.90, 3.90],
    [6.20, 5.40, 4.60, 4.00, 3.50, 3.20, 3.20, 3.20],
    [4.50, 3.80, 3.60, 3.20, 2.90, 2.70, 2.70, 2.70],
    [3.70, 3.00, 2.80, 2.35, 2.20, 2.20, 2.20, 2.20],
    [2.90, 2.30, 2.10, 1.90, 1.80, 1.70, 1.70, 1.70],
    [2.40, 1.70, 1.50, 1.35, 1.30, 1.30, 1.30, 1.30],
    [1.95, 1.45, 1.30, 1.15, 1.10, 1.10, 1.10, 1.10],
    [1.50, 1.20, 0.94, 0.86, 0.82, 0.82, 0.82, 0.82],
    [0.72, 0.67, 0.64, 0.63, 0.62, 0.62, 0.62, 0.62],
    [0.59, 0.53, 0.51, 0.50, 0.42, 0.42, 0.42, 0.42],
    [0.40, 0.33, 0.26, 0.24, 0.22, 0.22, 0.22, 0.22],
    [0.27, 0.21, 0.20, 0.18, 0.17, 0.17, 0.17, 0.17],
    [0.16, 0.15, 0.14, 0.12, 0.11, 0.11, 0.11, 0.11],
    [0.12, 0.11, 0.10, 0.08, 0.08, 0.08, 0.08, 0.08],
    [0.09, 0.08, 0.07, 0.06, 0.06, 0.06, 0.06, 0.05],
    [0.06, 0.05, 0.03, 0.02, 0.02, 0.02, 0.02, 0.02],
];

/// Steps 1-3 of the method: the core loudness of the 21 critical bands.
fn core_loudness(levels: &[f64; N_BANDS], field: SoundField) -> [f64; N_CORE] {
    // Equal-loudness correction of the low bands, as intensities.
    let mut intensity = [0.0; N_LOW_BANDS];
    for (i, ti) in intensity.iter_mut().enumerate() {
        let level = levels[i];
        let mut range = 0;
        while range < RAP.len() - 1 && level > RAP[range] - DLL[range][i] {
            range += 1;
        }
        *ti = 10f64.powf((level + DLL[range][i]) / 10.0);
    }
    // Levels of the first three critical bands.
    let lcb = [0..6, 6..9, 9..11].map(|r| {
        let sum: f64 = intensity[r].iter().sum();
        if sum > 0.0 {
            10.0 * sum.log10()
        } else {
            f64::NEG_INFINITY
        }
    });
    let mut core = [0.0; N_CORE];
    for (k, c) in core.iter_mut().take(20).enumerate() {
        let mut le = if k < 3 { lcb[k] } else { levels[k + 8] };
        le -= A0[k];
        if field == SoundField::Diffuse {
            le += DDF[k];
        }
        if le > LTQ[k] {
            le -= DCB[k];
            const S: f64 = 0.25;
            let mp1 = 0.0635 * 10f64.powf(0.025 * LTQ[k]);
            let mp2 = (1.0 - S + S * 10f64.powf(0.1 * (le - LTQ[k]))).powf(0.25) - 1.0;
            *c = (mp1 * mp2).max(0.0);
        }
    }
    // The threshold's run within the lowest critical band.
    let correction = 0.4 + 0.32 * core[0].powf(0.2);
    if correction < 1.0 {
        core[0] *= correction;
    }
    core
}

/// One linear piece of a specific-loudness pattern: `n1 − slope (z − z1)`
/// on `z1 ≤ z ≤ z2`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Segment {
    z1: f64,
    z2: f64,
    n1: f64,
    slope: f64,
}

impl Segment {
    fn at(&self, z: f64) -> f64 {
        self.n1 - self.slope * (z - self.z1)
    }
    fn area(&self) -> f64 {
        (self.z2 - self.z1) * (self.at(self.z1) + self.at(self.z2)) / 2.0
    }
}

/// A specific-loudness pattern over 0 ... 24 Bark: contiguous segments in
/// ascending order.
#[derive(Debug, Clone, PartialEq)]
struct Pattern {
    segments: Vec<Segment>,
}

impl Pattern {
    /// Step 4 of the method: the core loudness with the upper slopes.
    fn of(core: &[f64; N_CORE]) -> Pattern {
        let mut segments = Vec::with_capacity(2 * N_CORE);
        let (mut z1, mut n1) = (0.0, 0.0);
        let mut j = 0; // RNS range
        for (i, (&nc, &zup)) in core.iter().zip(&ZUP).enumerate() {
            // Critical-band range of the slope steepness; the lowest band
            // never starts on a slope (n1 = 0 there).
            let ig = i.saturating_sub(1).min(7);
            // Each pass ends a segment: a slope moves to a lower RNS range or
            // reaches the core loudness, so a band takes at most 19 passes.
            for _ in 0..=RNS.len() {
                let (segment, n2, band_done) = if n1 > nc {
                    // On an upper slope: down to the next RNS range or to the
                    // core loudness, whichever comes first, but not past zup.
                    let usl = USL[j][ig];
                    let n2 = RNS[j].max(nc);
                    let z2 = z1 + (n1 - n2) / usl;
                    let (z2, n2, done) = if z2 > zup {
                        (zup, n1 - (zup - z1) * usl, true)
                    } else {
                        (z2, n2, false)
                    };
                    let slope = Segment {
                        z1,
                        z2,
                        n1,
                        slope: usl,
                    };
                    (slope, n2, done)
                } else {
                    // The core loudness is not masked by the slope: flat to zup.
                    if n1 < nc {
                        j = RNS.iter().position(|&r| r < nc).unwrap_or(RNS.len() - 1);
                    }
                    let flat = Segment {
                        z1,
                        z2: zup,
                        n1: nc,
                        slope: 0.0,
                    };
                    (flat, nc, true)
                };
                segments.push(segment);
                while j < RNS.len() - 1 && n2 <= RNS[j] {
                    j += 1;
                }
                z1 = segment.z2;
                n1 = n2;
                if band_done {
                    break;
                }
            }
        }
        Pattern { segments }
    }

    /// Area under the pattern, sone.
    fn area(&self) -> f64 {
        self.segments.iter().map(Segment::area).sum()
    }

    /// The pattern at 0.1 ... 24.0 Bark; a point on a boundary takes the
    /// lower segment's value.
    fn on_grid(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(N_BARK);
        let mut s = 0;
        for k in 1..=N_BARK {
            let z = k as f64 / 10.0;
            while s + 1 < self.segments.len()
                && (self.segments[s].z2 < z || self.segments[s].z2 <= self.segments[s].z1)
            {
                s += 1;
            }
            out.push(self.segments.get(s).map_or(0.0, |seg| seg.at(z)));
        }
        out
    }

    /// The segment that holds `z` in its interior (or on its ends).
    fn segment_at(&self, z: f64) -> Option<&Segment> {
        self.segments
            .iter()
            .find(|s| s.z1 <= z && z <= s.z2 && s.z2 > s.z1)
    }

    /// Exact integral of `max(0, self − other)` over 0 ... 24 Bark.
    fn area_above(&self, other: &Pattern) -> f64 {
        let mut cuts: Vec<f64> = self
            .segments
            .iter()
            .chain(&other.segments)
            .flat_map(|s| [s.z1, s.z2])
            .collect();
        cuts.sort_by(f64::total_cmp);
        cuts.dedup();
        let mut area = 0.0;
        for w in cuts.windows(2) {
            let (a, b) = (w[0], w[1]);
            if b <= a {
                continue;
            }
            let mid = 0.5 * (a + b);
            let value = |p: &Pattern, z: f64| p.segment_at(mid).map_or(0.0, |s| s.at(z));
            let da = value(self, a) - value(other, a);
            let db = value(self, b) - value(other, b);
            area += positive_area(da, db, b - a);
        }
        area
    }
}

/// Integral over a width `w` of the positive part of the line from `da` to `db`.
fn positive_area(da: f64, db: f64, w: f64) -> f64 {
    if da >= 0.0 && db >= 0.0 {
        0.5 * (da + db) * w
    } else if da <= 0.0 && db <= 0.0 {
        0.0
    } else {
        let (pos, neg) = if da > 0.0 { (da, db) } else { (db, da) };
        0.5 * pos * pos / (pos - neg) * w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SILENT: [f64; N_BANDS] = [f64::NEG_INFINITY; N_BANDS];

    fn only(band_hz: f64, level: f64) -> [f64; N_BANDS] {
        let mut l = SILENT;
        let i = THIRD_OCTAVE_CENTRES_HZ
            .iter()
            .position(|&c| c == band_hz)
            .unwrap();
        l[i] = level;
        l
    }

    #[test]
    fn silence_is_zero_sone_and_finite_phon() {
        for field in [SoundField::Free, SoundField::Diffuse] {
            let n = loudness(&SILENT, field).unwrap();
            assert_eq!(n.total_sone, 0.0);
            assert_eq!(n.specific_sone_per_bark.len(), N_BARK);
            assert!(n.specific_sone_per_bark.iter().all(|&x| x == 0.0));
            assert!(n.level_phon.is_finite() && n.level_phon < 3.0);
        }
    }

    #[test]
    fn bad_inputs_are_errors_not_panics() {
        assert_eq!(
            loudness(&[], SoundField::Free).unwrap_err(),
            LoudnessError::BandCount { got: 0 }
        );
        let mut l = [60.0; N_BANDS];
        l[5] = f64::NAN;
        assert!(matches!(
            loudness(&l, SoundField::Free),
            Err(LoudnessError::NotALevel { band_hz, .. }) if band_hz == 80.0
        ));
        l[5] = f64::INFINITY;
        assert!(loudness(&l, SoundField::Free).is_err());
        l[5] = 121.0;
        let e = loudness(&l, SoundField::Free).unwrap_err();
        assert!(e.to_string().contains("80 Hz"), "{e}");
        // Above 120 dB is allowed from 315 Hz up.
        assert!(loudness(&only(1000.0, 125.0), SoundField::Free).is_ok());
        assert!(partial_loudness(&[60.0; 3], &SILENT, SoundField::Free).is_err());
    }

    #[test]
    fn one_khz_tone_at_40_db_is_about_one_sone() {
        // The definition of the sone: 1 kHz at 40 dB is 1 sone (40 phon);
        // the method puts it within a few percent.
        let n = loudness(&only(1000.0, 40.0), SoundField::Free).unwrap();
        assert!((n.total_sone - 1.0).abs() < 0.1, "{n:?}");
        assert!((n.level_phon - 40.0).abs() < 1.5, "{}", n.level_phon);
    }

    #[test]
    fn ten_db_more_roughly_doubles_loudness_well_above_threshold() {
        let a = loudness(&only(1000.0, 60.0), SoundField::Free).unwrap();
        let b = loudness(&only(1000.0, 70.0), SoundField::Free).unwrap();
        let ratio = b.total_sone / a.total_sone;
        assert!((1.8..2.2).contains(&ratio), "{ratio}");
    }

    #[test]
    fn area_and_grid_agree() {
        let levels: [f64; N_BANDS] =
            std::array::from_fn(|i| 40.0 + 30.0 * ((i as f64) * 0.7).sin());
        let n = loudness(&levels, SoundField::Diffuse).unwrap();
        let grid: f64 = n.specific_sone_per_bark.iter().sum::<f64>() * 0.1;
        assert!(
            (grid - n.total_sone).abs() < 0.03 * n.total_sone,
            "{grid} {}",
            n.total_sone
        );
    }

    #[test]
    fn partial_loudness_without_noise_is_the_loudness() {
        let levels: [f64; N_BANDS] = std::array::from_fn(|i| 70.0 - i as f64);
        let n = loudness(&levels, SoundField::Free).unwrap();
        let p = partial_loudness(&levels, &SILENT, SoundField::Free).unwrap();
        assert!((p.partial_sone - n.total_sone).abs() < 1e-9 * n.total_sone);
        assert_eq!(p.noise_sone, 0.0);
    }

    #[test]
    fn partial_loudness_falls_as_noise_rises_and_never_goes_negative() {
        let signal = [50.0; N_BANDS];
        let mut last = f64::INFINITY;
        for noise_level in [-100.0, 20.0, 40.0, 50.0, 60.0, 80.0] {
            let p = partial_loudness(&signal, &[noise_level; N_BANDS], SoundField::Free).unwrap();
            assert!(
                p.partial_sone >= 0.0 && p.partial_sone <= last,
                "{noise_level}: {p:?}"
            );
            assert!(p.specific_sone_per_bark.iter().all(|&x| x >= 0.0));
            last = p.partial_sone;
        }
        // 30 dB under the noise it is small, but not zero (the model's known bias).
        let buried =
            partial_loudness(&[30.0; N_BANDS], &[60.0; N_BANDS], SoundField::Free).unwrap();
        assert!(buried.partial_sone < 0.05 * buried.noise_sone, "{buried:?}");
    }

    #[test]
    fn positive_area_handles_crossings() {
        assert_eq!(positive_area(1.0, 1.0, 2.0), 2.0);
        assert_eq!(positive_area(-1.0, -1.0, 2.0), 0.0);
        assert!((positive_area(1.0, -1.0, 2.0) - 0.5).abs() < 1e-15);
        assert!((positive_area(-1.0, 3.0, 4.0) - 4.5).abs() < 1e-15);
    }

    #[test]
    fn phon_conversion_is_continuous_at_one_sone() {
        assert_eq!(sone_to_phon(1.0), 40.0);
        assert!((sone_to_phon(0.999_999) - 40.0).abs() < 0.01);
        assert_eq!(sone_to_phon(2.0), 50.0);
        assert!(sone_to_phon(f64::NAN).is_finite());
    }

    #[test]
    fn power_sum() {
        assert!((power_sum_db(60.0, 60.0) - 63.0103).abs() < 1e-4);
        assert_eq!(power_sum_db(f64::NEG_INFINITY, 50.0), 50.0);
        assert_eq!(
            power_sum_db(f64::NEG_INFINITY, f64::NEG_INFINITY),
            f64::NEG_INFINITY
        );
    }
}
