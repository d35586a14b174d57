//! Passive isolation per band (MEASUREMENT.md sections 3 and 4; the rules
//! are in docs/isolation.md).
//!
//! Two methods:
//! - insertion loss `IL = L_open - L_occluded`, from two recordings of the
//!   inner mic at the same source level, ear open and tip in;
//! - noise reduction `NR = L_outer - L_inner`, from one recording holding an
//!   outer and an inner mic (field MIRE style), with coherence per band.
//!
//! They differ by the open-ear gain (IL = NR + open-ear gain); results say
//! which one is shown. Spectra are Welch averages (Hann, 50 % overlap,
//! segments of about 1.4 s), summed over IEC 61260 third-octave and octave
//! bands.
//!
//! **Noise floor.** The floor is the occluded (inner) mic with no outside
//! noise ([`Floor`]): the silent lead-in before the noise starts, a separate
//! floor recording, or on the sim the mic's known white floor. Per band, with
//! the margin `m = L - L_floor` of the measured occluded level `L` over the
//! floor, the energy subtraction of ISO 3744 / ISO 11201 practice
//! ([`correct_for_floor`]):
//! - `m > 15 dB`: no correction (it would be below 0.14 dB);
//! - `6 dB <= m <= 15 dB`: `L_corr = 10 lg(10^(L/10) - 10^(L_floor/10))`, so
//!   the attenuation rises by `-10 lg(1 - 10^(-m/10))` (0.14 to 1.26 dB);
//! - `m < 6 dB`: not corrected (the floor estimate would dominate) and the
//!   band is a bound (`floor_limited`): the true occluded level is at most
//!   the measured one, so the attenuation is at least the value shown.
//!
//! Only the occluded level is corrected: the open (outer) level is the loud
//! one.
//!
//! **Self-check.** The open (outer) recording must be louder than the
//! occluded (inner) one broadband and in most bands ([`self_check`]). When
//! it is quieter broadband and in most bands the two look swapped and the
//! result is refused; when only one of the two holds, or some bands read
//! negative, a warning names them, and a [`Verdict::Doubtful`] result gives
//! no safe-listening estimate.

use crate::dsp::bands::{octaves, third_octaves, Band};
use crate::dsp::fft::FftCache;
use crate::dsp::power_db;
use crate::dsp::welch::{welch, Spectra};
use serde::{Deserialize, Serialize};

mod check;
pub use check::{
    allowance_db, band_list, check_warning, correct_for_floor, self_check, FloorCorrected,
    SelfCheck, Verdict, IL_ALLOWANCE_DB,
};

/// Below this margin over the noise floor a band is a bound, dB.
pub const FLOOR_MARGIN_DB: f64 = 6.0;
/// Above this margin over the noise floor no correction is made, dB.
pub const NO_CORRECTION_ABOVE_DB: f64 = 15.0;
/// The outer mic may be at most this much quieter than the inner one, dB.
pub const OUTER_QUIETER_LIMIT_DB: f64 = 3.0;
/// Shortest lead-in (or floor recording) that gives a noise floor, s.
pub const MIN_LEAD_S: f64 = 0.2;

/// The floor-correction rule, as written into the JSON.
pub const FLOOR_RULE: &str = "energy subtraction (ISO 3744 / ISO 11201 practice) of the occluded-mic noise floor from the occluded level: margin over 15 dB, no correction; 6 to 15 dB, corrected: 10 lg(10^(L/10) - 10^(L_floor/10)); under 6 dB, not corrected and the attenuation is a lower bound";

/// Attenuation per band.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BandTable {
    /// Nominal band centres, Hz.
    pub centre_hz: Vec<f64>,
    /// Attenuation, dB: corrected for the noise floor where `corrected`, a
    /// lower bound where `floor_limited`.
    pub attenuation_db: Vec<f64>,
    /// The bound flag: true where the occluded level is less than 6 dB above
    /// the noise floor (not corrected; the attenuation is at least the value).
    pub floor_limited: Vec<bool>,
    /// Occluded (inner) band level as measured (before the floor
    /// correction), dBFS.
    pub occluded_dbfs: Vec<f64>,
    /// Noise-floor band level, dBFS (`None` when the floor is unknown).
    pub floor_dbfs: Option<Vec<f64>>,
    /// Measured occluded level minus the noise floor, dB (`None` when the
    /// floor is unknown).
    #[serde(default)]
    pub margin_db: Option<Vec<f64>>,
    /// True where the occluded level was corrected for the noise floor
    /// (margin 6-15 dB). Empty in files written before the correction.
    #[serde(default)]
    pub corrected: Vec<bool>,
    /// How much the floor correction raised the attenuation, dB (0 where not
    /// corrected). Empty in files written before the correction.
    #[serde(default)]
    pub correction_db: Vec<f64>,
    /// Coherence outer/inner per band (noise reduction only).
    pub coherence: Option<Vec<f64>>,
    /// Attenuation from the H1 estimate `Sxy / Sxx` (noise reduction only):
    /// leaves out inner-mic noise that is not coherent with the outer mic.
    pub h1_attenuation_db: Option<Vec<f64>>,
}

impl BandTable {
    /// Whether band `i` was corrected for the noise floor.
    pub fn is_corrected(&self, i: usize) -> bool {
        self.corrected.get(i).copied().unwrap_or(false)
    }

    /// The attenuation correction of band `i`, dB (0 when none).
    pub fn correction(&self, i: usize) -> f64 {
        self.correction_db.get(i).copied().unwrap_or(0.0)
    }

    /// The open (outer) band level of band `i`, dBFS, as measured.
    pub fn reference_dbfs(&self, i: usize) -> f64 {
        self.occluded_dbfs[i] + self.attenuation_db[i] - self.correction(i)
    }
}

/// Which quantity a result is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IsolationMethod {
    /// Open minus occluded at the inner mic.
    InsertionLoss,
    /// Outer minus inner mic at once.
    NoiseReduction,
}

/// Where the noise floor of the occluded (inner) mic comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Floor<'a> {
    /// The silent lead-in (source off) before the noise starts, if there is
    /// one of at least [`MIN_LEAD_S`].
    LeadIn,
    /// A separate recording of the occluded (inner) mic with no outside
    /// noise, at the same rate and gain.
    Recording(&'a [f64]),
    /// White noise of this RMS level, dBFS: the sim's mic floor, known
    /// exactly.
    White {
        /// RMS level, dBFS.
        rms_dbfs: f64,
    },
}

/// Where the floor of a result came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FloorSource {
    /// No floor: nothing corrected or flagged (files written before the
    /// correction read as this).
    #[default]
    Unknown,
    /// The silent lead-in of the recording.
    LeadIn,
    /// A separate floor recording.
    Recording,
    /// The simulated mic's known floor.
    Known,
}

/// The floor correction applied to a result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct FloorCorrection {
    /// Where the floor came from.
    pub source: FloorSource,
    /// The rule ([`FLOOR_RULE`]; empty in files written before it).
    pub rule: String,
}

/// An isolation result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Isolation {
    /// Which quantity.
    pub method: IsolationMethod,
    /// Sample rate, Hz.
    pub sample_rate: u32,
    /// Seconds of noise analysed.
    pub analysed_s: f64,
    /// Third-octave bands 25 Hz ... 16 kHz (as the rate allows).
    pub third_octave: BandTable,
    /// Octave bands 63 Hz ... 8 kHz.
    pub octave: BandTable,
    /// The noise-floor correction (where the floor came from, the rule).
    #[serde(default)]
    pub floor_correction: FloorCorrection,
    /// The self-check (`None` in files written before it: see
    /// [`Isolation::check`]).
    #[serde(default)]
    pub self_check: Option<SelfCheck>,
    /// Warnings, each saying what to do.
    pub warnings: Vec<String>,
}

impl Isolation {
    /// The self-check, stored or recomputed from the third-octave bands.
    pub fn check(&self) -> SelfCheck {
        self.self_check
            .clone()
            .unwrap_or_else(|| self_check(&self.third_octave, self.method))
    }
}

/// Why isolation cannot be computed.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum IsolationError {
    /// Too little audio.
    #[error("only {got_s:.2} s of noise after the lead-in; at least {need_s:.1} s is needed")]
    TooShort {
        /// Seconds available.
        got_s: f64,
        /// Seconds needed.
        need_s: f64,
    },
    /// The reference (open or outer) is silent.
    #[error("the {which} signal is silent: was the outside noise playing?")]
    Silent {
        /// Which signal.
        which: &'static str,
    },
    /// The outer mic is quieter than the inner one.
    #[error("the outer microphone is {diff_db:.1} dB quieter than the inner one: are the channels swapped?")]
    OuterQuieter {
        /// How much quieter, dB.
        diff_db: f64,
    },
    /// The occluded recording is louder than the open one broadband and
    /// in most bands.
    #[error("the open and occluded recordings look swapped: the occluded one is {louder_db:.1} dB louder broadband and louder in {negative} of {bands} bands; the open-ear recording must be the louder one")]
    Swapped {
        /// How much louder the occluded recording is broadband, dB.
        louder_db: f64,
        /// Bands where it is louder.
        negative: usize,
        /// Bands checked.
        bands: usize,
    },
    /// The inner mic is louder than the outer one broadband and in most bands.
    #[error("the outer and inner microphones look swapped (are the channels swapped?): the inner one is {louder_db:.1} dB louder broadband and louder in {negative} of {bands} bands")]
    ChannelsSwapped {
        /// How much louder the inner mic is broadband, dB.
        louder_db: f64,
        /// Bands where it is louder.
        negative: usize,
        /// Bands checked.
        bands: usize,
    },
    /// A floor recording too short to read.
    #[error("the noise-floor recording lasts {got_s:.2} s; at least {need_s:.1} s is needed")]
    FloorTooShort {
        /// Seconds available.
        got_s: f64,
        /// Seconds needed.
        need_s: f64,
    },
}

/// Welch segment length for `rate`: the power of two nearest 1.4 s.
fn segment_len(rate: u32) -> usize {
    (rate as f64 * 1.4).log2().round().exp2() as usize
}

/// Length of the silent lead-in in samples: leading 50 ms blocks more than
/// 30 dB below the loudest block of `reference` (a sweep's quiet first
/// octave, still within 30 dB, is not taken for silence).
pub fn lead_in(reference: &[f64], rate: u32) -> usize {
    let block = (rate as usize / 20).max(1);
    let rms: Vec<f64> = reference
        .chunks(block)
        .map(|c| (c.iter().map(|v| v * v).sum::<f64>() / c.len() as f64).sqrt())
        .collect();
    let loud = rms.iter().cloned().fold(0.0, f64::max);
    let quiet = rms
        .iter()
        .take_while(|r| **r < loud * crate::dsp::from_db(-30.0))
        .count();
    quiet * block
}

struct Prepared {
    reference: Spectra,
    occluded: Spectra,
    floor: Option<Spectra>,
    source: FloorSource,
    analysed_s: f64,
    warnings: Vec<String>,
}

/// The largest power of two at most `len`, and at most `n`.
fn floor_segment(len: usize, n: usize) -> usize {
    (1usize << (len.max(1) as f64).log2().floor() as u32).min(n)
}

/// The floor's spectra (with segments of `n` or shorter) and where they
/// came from.
fn floor_spectra(
    floor: Floor<'_>,
    occluded: &[f64],
    lead: usize,
    guard: usize,
    n: usize,
    rate: u32,
    fft: &FftCache,
) -> Result<(Option<Spectra>, FloorSource), IsolationError> {
    let min_len = MIN_LEAD_S * rate as f64;
    Ok(match floor {
        Floor::LeadIn => {
            let floor_len = lead.saturating_sub(guard).min(occluded.len());
            if (floor_len as f64) < min_len {
                return Ok((None, FloorSource::Unknown));
            }
            let m = floor_segment(floor_len, n);
            let s = welch(&occluded[..floor_len], None, m, rate as f64, fft);
            (Some(s), FloorSource::LeadIn)
        }
        Floor::Recording(x) => {
            if (x.len() as f64) < min_len {
                return Err(IsolationError::FloorTooShort {
                    got_s: x.len() as f64 / rate as f64,
                    need_s: MIN_LEAD_S,
                });
            }
            // Segments as long as the noise's when the floor allows two.
            let m = if x.len() >= 2 * n {
                n
            } else {
                floor_segment(x.len(), n)
            };
            (
                Some(welch(x, None, m, rate as f64, fft)),
                FloorSource::Recording,
            )
        }
        Floor::White { rms_dbfs } => {
            // Each bin of a Welch power spectrum (see `welch`) of white
            // noise of variance s^2 holds 2 s^2 / n on average.
            let variance = 10f64.powf(rms_dbfs / 10.0);
            let bins = n / 2 + 1;
            let s = Spectra {
                n,
                bin_hz: rate as f64 / n as f64,
                segments: 1,
                sxx: vec![2.0 * variance / n as f64; bins],
                syy: Vec::new(),
                sxy: Vec::new(),
            };
            (Some(s), FloorSource::Known)
        }
    })
}

fn prepare(
    reference: &[f64],
    occluded: &[f64],
    rate: u32,
    dual: bool,
    floor: Floor<'_>,
    fft: &FftCache,
) -> Result<Prepared, IsolationError> {
    let lead = lead_in(reference, rate);
    let guard = rate as usize / 10;
    let start = if lead > 0 { lead + guard } else { 0 };
    let n = segment_len(rate);
    let len = reference.len().min(occluded.len());
    let got_s = len.saturating_sub(start) as f64 / rate as f64;
    let need_s = 2.0 * n as f64 / rate as f64;
    if got_s < need_s {
        return Err(IsolationError::TooShort { got_s, need_s });
    }
    let mut warnings = Vec::new();
    let (floor, source) = floor_spectra(floor, occluded, lead, guard, n, rate, fft)?;
    if floor.is_none() {
        warnings.push(format!(
            "no silent lead-in of {MIN_LEAD_S} s before the noise, so the noise floor is unknown: no band is corrected for it or flagged; record half a second of silence first, or give a recording of the tip-in mic with the outside noise off"
        ));
    }
    let (reference, occluded) = if dual {
        let s = welch(
            &reference[start..len],
            Some(&occluded[start..len]),
            n,
            rate as f64,
            fft,
        );
        let mut occ = s.clone();
        occ.sxx = s.syy.clone();
        (s, occ)
    } else {
        (
            welch(&reference[start..len], None, n, rate as f64, fft),
            welch(&occluded[start..len], None, n, rate as f64, fft),
        )
    };
    Ok(Prepared {
        reference,
        occluded,
        floor,
        source,
        analysed_s: got_s,
        warnings,
    })
}

fn table(p: &Prepared, bands: &[Band], dual: bool) -> BandTable {
    let mut t = BandTable::default();
    let mut floors = Vec::new();
    let mut margins = Vec::new();
    let mut coherence = Vec::new();
    let mut h1 = Vec::new();
    for b in bands {
        let r = p
            .reference
            .band_sum(&p.reference.sxx, b.lower_hz, b.upper_hz);
        let o = p.occluded.band_sum(&p.occluded.sxx, b.lower_hz, b.upper_hz);
        let occluded_db = power_db(o);
        let floor_db = p
            .floor
            .as_ref()
            .map(|f| power_db(f.band_sum(&f.sxx, b.lower_hz, b.upper_hz)));
        let c = floor_db.map(|f| correct_for_floor(occluded_db, f));
        let occluded_corr = c.map_or(occluded_db, |c| c.level_db);
        t.centre_hz.push(b.nominal_hz);
        t.attenuation_db.push(power_db(r) - occluded_corr);
        t.occluded_dbfs.push(occluded_db);
        t.floor_limited.push(c.is_some_and(|c| c.bound));
        t.corrected.push(c.is_some_and(|c| c.corrected));
        t.correction_db.push(occluded_db - occluded_corr);
        floors.extend(floor_db);
        margins.extend(c.map(|c| c.margin_db));
        if dual {
            coherence.push(p.reference.band_coherence(b.lower_hz, b.upper_hz));
            h1.push(-power_db(p.reference.band_h1_power(b.lower_hz, b.upper_hz)));
        }
    }
    t.floor_dbfs = p.floor.is_some().then_some(floors);
    t.margin_db = p.floor.is_some().then_some(margins);
    t.coherence = dual.then_some(coherence);
    t.h1_attenuation_db = dual.then_some(h1);
    t
}

fn finish(method: IsolationMethod, p: Prepared, rate: u32) -> Result<Isolation, IsolationError> {
    let top = 0.45 * rate as f64;
    let dual = method == IsolationMethod::NoiseReduction;
    let third_octave = table(&p, &third_octaves(top), dual);
    let octave = table(&p, &octaves(top), dual);
    let check = self_check(&third_octave, method);
    if check.verdict == Verdict::Swapped {
        let (louder_db, negative, bands) = (
            -check.broadband_db,
            check.negative_bands_hz.len(),
            check.bands,
        );
        return Err(match method {
            IsolationMethod::InsertionLoss => IsolationError::Swapped {
                louder_db,
                negative,
                bands,
            },
            IsolationMethod::NoiseReduction => IsolationError::ChannelsSwapped {
                louder_db,
                negative,
                bands,
            },
        });
    }
    let mut warnings = p.warnings.clone();
    warnings.extend(check_warning(&check, method));
    let limited: Vec<f64> = third_octave
        .centre_hz
        .iter()
        .zip(&third_octave.floor_limited)
        .filter(|(_, l)| **l)
        .map(|(c, _)| *c)
        .collect();
    if !limited.is_empty() {
        warnings.push(format!(
            "bands at {} are less than {FLOOR_MARGIN_DB} dB above the noise floor: their isolation is at least the value shown; play the outside noise louder to read them",
            band_list(&limited)
        ));
    }
    Ok(Isolation {
        method,
        sample_rate: rate,
        analysed_s: p.analysed_s,
        third_octave,
        octave,
        floor_correction: FloorCorrection {
            source: p.source,
            rule: FLOOR_RULE.to_string(),
        },
        self_check: Some(check),
        warnings,
    })
}

fn rms(x: &[f64]) -> f64 {
    (x.iter().map(|v| v * v).sum::<f64>() / x.len().max(1) as f64).sqrt()
}

/// Insertion loss from the inner mic with the ear open and with the tip in,
/// the floor from the silent lead-in.
pub fn insertion_loss(
    open: &[f64],
    occluded: &[f64],
    rate: u32,
    fft: &FftCache,
) -> Result<Isolation, IsolationError> {
    insertion_loss_with_floor(open, occluded, Floor::LeadIn, rate, fft)
}

/// [`insertion_loss`] with the noise floor from `floor`.
pub fn insertion_loss_with_floor(
    open: &[f64],
    occluded: &[f64],
    floor: Floor<'_>,
    rate: u32,
    fft: &FftCache,
) -> Result<Isolation, IsolationError> {
    if rms(open) == 0.0 {
        return Err(IsolationError::Silent { which: "open-ear" });
    }
    let p = prepare(open, occluded, rate, false, floor, fft)?;
    finish(IsolationMethod::InsertionLoss, p, rate)
}

/// Noise reduction from simultaneous outer and inner mic signals, the floor
/// from the silent lead-in.
pub fn noise_reduction(
    outer: &[f64],
    inner: &[f64],
    rate: u32,
    fft: &FftCache,
) -> Result<Isolation, IsolationError> {
    noise_reduction_with_floor(outer, inner, Floor::LeadIn, rate, fft)
}

/// [`noise_reduction`] with the inner mic's noise floor from `floor`.
pub fn noise_reduction_with_floor(
    outer: &[f64],
    inner: &[f64],
    floor: Floor<'_>,
    rate: u32,
    fft: &FftCache,
) -> Result<Isolation, IsolationError> {
    let (ro, ri) = (rms(outer), rms(inner));
    if ro == 0.0 {
        return Err(IsolationError::Silent {
            which: "outer microphone",
        });
    }
    // An unsealed earbud can make the inner mic a little louder (the leak
    // resonates); more than 3 dB means the channels are swapped.
    if ro < ri * crate::dsp::from_db(-OUTER_QUIETER_LIMIT_DB) {
        return Err(IsolationError::OuterQuieter {
            diff_db: crate::dsp::db(ri / ro),
        });
    }
    let p = prepare(outer, inner, rate, true, floor, fft)?;
    finish(IsolationMethod::NoiseReduction, p, rate)
}

/// The attenuation of A-weighted pink noise from octave bands 125 Hz-8 kHz
/// (`None` when one of those bands is missing).
pub fn isolation_rating(t: &BandTable) -> Option<f64> {
    let mut att = [0.0; 7];
    for (i, c) in [125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0]
        .iter()
        .enumerate()
    {
        let j = t.centre_hz.iter().position(|x| x == c)?;
        att[i] = t.attenuation_db[j];
    }
    Some(super::ratings::pink_a_attenuation_db(&att, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_white_floor_gives_the_expected_band_power() {
        // White noise of RMS -60 dBFS at 48 kHz holds -60 + 10 lg(B / 24000)
        // in a band of width B.
        let rate = 48_000;
        let n = segment_len(rate);
        let (s, source) = floor_spectra(
            Floor::White { rms_dbfs: -60.0 },
            &[],
            0,
            0,
            n,
            rate,
            &FftCache::new(),
        )
        .unwrap();
        assert_eq!(source, FloorSource::Known);
        let s = s.unwrap();
        let p = power_db(s.band_sum(&s.sxx, 891.0, 1122.0));
        let expected = -60.0 + 10.0 * ((1122.0 - 891.0) / 24_000.0f64).log10();
        assert!((p - expected).abs() < 0.05, "{p} vs {expected}");
    }

    #[test]
    fn swapped_recordings_are_refused_and_a_floor_too_short_is_named() {
        let fft = FftCache::new();
        let rate = 16_000;
        let mut seed = 1u64;
        let mut noise = |n: usize, gain: f64| -> Vec<f64> {
            (0..n)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                    gain * ((seed >> 33) as f64 / (1u64 << 31) as f64 - 0.5)
                })
                .collect()
        };
        let loud = noise(6 * rate as usize, 0.5);
        let quiet: Vec<f64> = loud.iter().map(|v| v * 0.01).collect();
        let e = insertion_loss(&quiet, &loud, rate, &fft).unwrap_err();
        assert!(matches!(e, IsolationError::Swapped { negative, bands, .. } if negative == bands));
        assert!(e
            .to_string()
            .contains("the open and occluded recordings look swapped"));
        let ok = insertion_loss(&loud, &quiet, rate, &fft).unwrap();
        assert_eq!(ok.self_check.unwrap().verdict, Verdict::Ok);
        let short = noise(rate as usize / 10, 1e-4);
        let e = insertion_loss_with_floor(&loud, &quiet, Floor::Recording(&short), rate, &fft)
            .unwrap_err();
        assert!(matches!(e, IsolationError::FloorTooShort { .. }), "{e}");
    }
}
