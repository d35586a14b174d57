//! Passive isolation per band (MEASUREMENT.md sections 3 and 4).
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
//! bands. The noise floor is read from the silent lead-in (source off)
//! before the noise starts: a band whose occluded level is within 6 dB of
//! the floor is `floor_limited` and its attenuation is a lower bound.

use crate::dsp::bands::{octaves, third_octaves, Band};
use crate::dsp::fft::FftCache;
use crate::dsp::power_db;
use crate::dsp::welch::{welch, Spectra};
use serde::{Deserialize, Serialize};

/// A band within this many dB of the noise floor is floor-limited.
pub const FLOOR_MARGIN_DB: f64 = 6.0;
/// The outer mic may be at most this much quieter than the inner one, dB.
pub const OUTER_QUIETER_LIMIT_DB: f64 = 3.0;
/// Shortest lead-in that gives a noise floor, s.
pub const MIN_LEAD_S: f64 = 0.2;

/// Attenuation per band.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BandTable {
    /// Nominal band centres, Hz.
    pub centre_hz: Vec<f64>,
    /// Attenuation, dB (a lower bound where `floor_limited`).
    pub attenuation_db: Vec<f64>,
    /// True where the occluded level is within 6 dB of the noise floor.
    pub floor_limited: Vec<bool>,
    /// Occluded (inner) band level, dBFS.
    pub occluded_dbfs: Vec<f64>,
    /// Noise-floor band level, dBFS (`None` without a lead-in).
    pub floor_dbfs: Option<Vec<f64>>,
    /// Coherence outer/inner per band (noise reduction only).
    pub coherence: Option<Vec<f64>>,
    /// Attenuation from the H1 estimate `Sxy / Sxx` (noise reduction only):
    /// leaves out inner-mic noise that is not coherent with the outer mic.
    pub h1_attenuation_db: Option<Vec<f64>>,
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
    /// Warnings, each saying what to do.
    pub warnings: Vec<String>,
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
    analysed_s: f64,
    warnings: Vec<String>,
}

fn prepare(
    reference: &[f64],
    occluded: &[f64],
    rate: u32,
    dual: bool,
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
    let floor_len = lead.saturating_sub(guard);
    let floor = if floor_len as f64 >= MIN_LEAD_S * rate as f64 {
        let m = 1usize << (floor_len as f64).log2().floor() as u32;
        Some(welch(
            &occluded[..floor_len],
            None,
            m.min(n),
            rate as f64,
            fft,
        ))
    } else {
        warnings.push(format!(
            "no silent lead-in of {MIN_LEAD_S} s before the noise, so the noise floor is unknown and no band is flagged: record half a second of silence first"
        ));
        None
    };
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
        analysed_s: got_s,
        warnings,
    })
}

fn table(p: &Prepared, bands: &[Band], dual: bool) -> BandTable {
    let mut t = BandTable::default();
    let mut floors = Vec::new();
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
        t.centre_hz.push(b.nominal_hz);
        t.attenuation_db.push(power_db(r) - occluded_db);
        t.occluded_dbfs.push(occluded_db);
        t.floor_limited
            .push(floor_db.is_some_and(|f| occluded_db - f < FLOOR_MARGIN_DB));
        floors.extend(floor_db);
        if dual {
            coherence.push(p.reference.band_coherence(b.lower_hz, b.upper_hz));
            h1.push(-power_db(p.reference.band_h1_power(b.lower_hz, b.upper_hz)));
        }
    }
    t.floor_dbfs = p.floor.is_some().then_some(floors);
    t.coherence = dual.then_some(coherence);
    t.h1_attenuation_db = dual.then_some(h1);
    t
}

fn finish(method: IsolationMethod, p: Prepared, rate: u32) -> Isolation {
    let top = 0.45 * rate as f64;
    let dual = method == IsolationMethod::NoiseReduction;
    let third_octave = table(&p, &third_octaves(top), dual);
    let octave = table(&p, &octaves(top), dual);
    let mut warnings = p.warnings.clone();
    let limited: Vec<String> = third_octave
        .centre_hz
        .iter()
        .zip(&third_octave.floor_limited)
        .filter(|(_, l)| **l)
        .map(|(c, _)| format!("{c}"))
        .collect();
    if !limited.is_empty() {
        warnings.push(format!(
            "bands at {} Hz are at the noise floor: their isolation is at least the value shown; play the outside noise louder to read them",
            limited.join(", ")
        ));
    }
    Isolation {
        method,
        sample_rate: rate,
        analysed_s: p.analysed_s,
        third_octave,
        octave,
        warnings,
    }
}

fn rms(x: &[f64]) -> f64 {
    (x.iter().map(|v| v * v).sum::<f64>() / x.len().max(1) as f64).sqrt()
}

/// Insertion loss from the inner mic with the ear open and with the tip in.
pub fn insertion_loss(
    open: &[f64],
    occluded: &[f64],
    rate: u32,
    fft: &FftCache,
) -> Result<Isolation, IsolationError> {
    if rms(open) == 0.0 {
        return Err(IsolationError::Silent { which: "open-ear" });
    }
    let p = prepare(open, occluded, rate, false, fft)?;
    Ok(finish(IsolationMethod::InsertionLoss, p, rate))
}

/// Noise reduction from simultaneous outer and inner mic signals.
pub fn noise_reduction(
    outer: &[f64],
    inner: &[f64],
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
    let p = prepare(outer, inner, rate, true, fft)?;
    Ok(finish(IsolationMethod::NoiseReduction, p, rate))
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
