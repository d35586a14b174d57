//! Attenuation ratings: EPA NRR (40 CFR 211.207), ISO 4869-2 (APV, SNR, HML), personal attenuation rating.
//!
//! Inputs are octave-band attenuations in dB, either published mean and
//! standard deviation per band ([`rate_mean_sd`]) or one row per fit or
//! subject ([`rate_fits`]). Every number that leaves this module is finite:
//! a computation that overflows becomes a [`RatingError`].
//!
//! - **NRR**, 40 CFR 211.207 Figure 2: pink noise of 100 dB in each of the
//!   bands 125 ... 8000 Hz, the tabulated C corrections (unprotected level
//!   107.9 dBC) and A corrections, protected level per band
//!   `(100 + A_f) − (m_f − 2 s_f)`, `NRR = 107.9 − 10 lg Σ 10^(protected/10) − 3`.
//!   When 3150 and 6300 Hz are given, the regulation's 4000 and 8000 Hz
//!   columns use the average of the 3150 and 4000 Hz means (and of the
//!   6300 and 8000 Hz means), and the sum of the two SDs as "2 SD", i.e.
//!   twice their average. The labelled value is the nearest whole number,
//!   values ending in exactly .5 going to the lower one ("round values ending
//!   in .5 to next lower whole number"); the rounding is of the unrounded
//!   value, which is what labels do: the 3M Peltor LiteCom head-band label's
//!   data give 24.51 and it is labelled 25.
//! - **ISO 4869-2**: `APV_f = m_f − α s_f` (α = 1 for 84 %, 2 for 98 %).
//!   SNR and H, M, L use the pink and eight reference spectra of the
//!   standard. With per-fit data, the 2018 method: each value per fit, then
//!   mean − SD over fits (84 %, sample SD). With only mean and SD, the 1994
//!   octave-band method from APV84. 63 Hz, when given, enters the SNR (the
//!   pink spectrum then spans 63 ... 8000 Hz, still 100 dBC in total; this
//!   reproduces the 3M E-A-R UltraFit label's SNR 32) but not H, M, L, whose
//!   reference noises start at 125 Hz. Values are rounded to whole dB as the
//!   standard reports them; the unrounded ones are kept too.
//! - **PAR** (personal attenuation rating) of one person's fits: each fit's
//!   A-weighted attenuation of pink noise, then
//!   `PAR84 = mean − t(0.84, n−1) · SD · √(1 + 1/n)`, the one-sided 84 %
//!   Student-t prediction bound for the next insertion (prediction interval
//!   for one further observation of a normal sample, e.g. Hahn & Meeker,
//!   *Statistical Intervals*, Wiley 1991). The bound on the mean alone,
//!   `mean − t · SD / √n`, is reported as `mean_lower_84_db`. Fit-test
//!   systems report a PAR with an uncertainty in the same spirit (ANSI/ASA
//!   S12.71-2018); its exact uncertainty budget is not reproduced here.

use crate::dsp::power_db;
use crate::formats::bands::{FitsTable, MeanSdTable};
use serde::Serialize;

/// NRR bands, Hz (4000 stands for 3150+4000 and 8000 for 6300+8000 when given).
pub const NRR_CENTRES_HZ: [f64; 7] = [125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0];
/// A-weighting corrections of 40 CFR 211.207 Figure 2, step 4, dB.
pub const NRR_A_CORRECTIONS_DB: [f64; 7] = [-16.1, -8.6, -3.2, 0.0, 1.2, 1.0, -1.1];
/// C-weighted level of the unprotected pink noise, 40 CFR 211.207 step 3, dBC.
pub const NRR_UNPROTECTED_DBC: f64 = 107.9;
/// The regulation's allowance for spectral uncertainty, dB.
pub const NRR_SPECTRAL_UNCERTAINTY_DB: f64 = 3.0;
/// Pink noise of 100 dBC over 125 ... 8000 Hz, A-weighted octave levels (ISO 4869-2), dB.
pub const PINK_A_125_DB: [f64; 7] = [75.9, 83.4, 88.8, 92.0, 93.2, 93.0, 90.9];
/// The same pink noise over 63 ... 8000 Hz (91.5 dB per band, still 100 dBC), A-weighted, dB.
pub const PINK_A_63_DB: [f64; 8] = [65.3, 75.4, 82.9, 88.3, 91.5, 92.7, 92.5, 90.4];
/// ISO 4869-2 Table 2: the eight reference noises, A-weighted octave levels 125 ... 8000 Hz, dB.
pub const HML_NOISES_A_DB: [[f64; 7]; 8] = [
    [62.6, 70.8, 81.0, 90.4, 96.2, 94.7, 92.3],
    [68.9, 78.3, 84.3, 92.8, 96.3, 94.0, 90.0],
    [71.1, 80.8, 88.0, 95.0, 94.4, 94.1, 89.0],
    [77.2, 84.5, 89.8, 95.5, 94.3, 92.5, 88.8],
    [77.4, 86.5, 92.5, 96.4, 93.0, 90.4, 83.7],
    [82.0, 89.3, 93.3, 95.6, 93.0, 90.1, 83.0],
    [84.2, 90.1, 93.6, 96.2, 91.3, 87.9, 81.9],
    [88.0, 93.4, 93.8, 94.2, 91.4, 87.9, 79.9],
];
/// ISO 4869-2 weights `d_i` of the reference noises in H, M and L.
#[allow(clippy::approx_constant)] // d_8 = 3.14 is the standard's coefficient, not pi
pub const HML_D: [f64; 8] = [-1.20, -0.49, 0.14, 1.56, -2.98, -1.01, 0.85, 3.14];
/// One-sided protection level of SNR, H, M, L and PAR, as a fraction.
pub const PROTECTION_84: f64 = 0.84;

/// Why a table cannot be rated.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum RatingError {
    /// A spread is needed and one fit has none.
    #[error("needs at least 2 fits to estimate a standard deviation (the NRR, ISO 4869-2 and PAR all use one); found {found}")]
    TooFewFits {
        /// Fits in the table.
        found: usize,
    },
    /// A band the ratings need is absent.
    #[error(
        "has no {centre_hz} Hz band: ratings need 125, 250, 500, 1000, 2000, 4000 and 8000 Hz"
    )]
    MissingBand {
        /// The band, Hz.
        centre_hz: f64,
    },
    /// Arrays of different lengths.
    #[error("has {values} values for {bands} bands")]
    Shape {
        /// Bands.
        bands: usize,
        /// Values.
        values: usize,
    },
    /// An input or result is NaN or infinite.
    #[error("{what} is not a finite number: check the table for extreme values")]
    NonFinite {
        /// Which quantity.
        what: String,
    },
}

/// The EPA Noise Reduction Rating, with the steps of 40 CFR 211.207 Figure 2.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Nrr {
    /// The labelled NRR, whole dB (nearest; exact .5 goes to the lower number).
    pub db: i32,
    /// The NRR to 0.1 dB, as Figure 2 states it (19.8 in its example).
    pub tenths_db: f64,
    /// The NRR before rounding, dB.
    pub unrounded_db: f64,
    /// NRR bands, Hz.
    pub centre_hz: [f64; 7],
    /// Step 6: mean attenuation per band after averaging 3150/4000 and 6300/8000, dB.
    pub mean_db: [f64; 7],
    /// Step 7: twice the standard deviation per band, dB.
    pub two_sd_db: [f64; 7],
    /// Step 8: protected A-weighted level per band, dB.
    pub protected_a_db: [f64; 7],
    /// Logarithmic sum of step 8, dBA (85.1 in the regulation's example).
    pub protected_total_dba: f64,
}

/// An ISO 4869-2 single number: whole dB as reported, and unrounded.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct IsoValue {
    /// Rounded to the nearest whole dB.
    pub db: i32,
    /// Before rounding, dB.
    pub unrounded_db: f64,
}

impl IsoValue {
    fn new(unrounded_db: f64) -> Self {
        Self {
            db: unrounded_db.round() as i32,
            unrounded_db,
        }
    }
}

/// Unrounded SNR, H, M and L of one attenuation spectrum, dB.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IsoValues {
    /// Single number rating, dB.
    pub snr_db: f64,
    /// High-frequency value, dB.
    pub h_db: f64,
    /// Medium-frequency value, dB.
    pub m_db: f64,
    /// Low-frequency value, dB.
    pub l_db: f64,
}

/// Personal attenuation rating of one person's fits.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Par {
    /// PAR84: attenuation of A-weighted pink noise that the next insertion reaches with 84 % confidence, dB.
    pub db: f64,
    /// Mean over fits of the A-weighted pink-noise attenuation, dB.
    pub mean_db: f64,
    /// Sample standard deviation over fits (n − 1), dB.
    pub sd_db: f64,
    /// Number of fits.
    pub n_fits: usize,
    /// Student t quantile t(0.84, n − 1).
    pub t_84: f64,
    /// `t · SD · √(1 + 1/n)`, subtracted from the mean, dB.
    pub uncertainty_db: f64,
    /// One-sided 84 % lower confidence bound of the mean, `mean − t · SD / √n`, dB.
    pub mean_lower_84_db: f64,
    /// A-weighted pink-noise attenuation of each fit, dB.
    pub per_fit_db: Vec<f64>,
}

/// How each number was computed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Methods {
    /// NRR procedure and band handling.
    pub nrr: String,
    /// ISO 4869-2 edition and method used for SNR, H, M, L.
    pub iso: String,
    /// PAR method (fits only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub par: Option<String>,
}

/// One fit as read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitInput {
    /// Label from the table.
    pub label: String,
    /// Attenuation per band (`Inputs::centre_hz`), dB.
    pub attenuation_db: Vec<f64>,
}

/// The inputs, echoed back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Inputs {
    /// Band centres, Hz, as given.
    pub centre_hz: Vec<f64>,
    /// Mean attenuation per band (computed from the fits when fits were given), dB.
    pub mean_db: Vec<f64>,
    /// Standard deviation per band (sample SD of the fits when fits were given), dB.
    pub sd_db: Vec<f64>,
    /// The fits, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fits: Option<Vec<FitInput>>,
}

/// All ratings of one table. This is the `rating --json` document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rating {
    /// EPA NRR.
    pub nrr: Nrr,
    /// ISO 4869-2 SNR at 84 % protection.
    pub snr: IsoValue,
    /// ISO 4869-2 H (high-frequency noise) at 84 %.
    pub h: IsoValue,
    /// ISO 4869-2 M (medium) at 84 %.
    pub m: IsoValue,
    /// ISO 4869-2 L (low-frequency noise) at 84 %.
    pub l: IsoValue,
    /// Octave bands of the APV arrays, Hz.
    pub centre_hz: Vec<f64>,
    /// Assumed protection value at 84 %, mean − SD, dB.
    pub apv84_db: Vec<f64>,
    /// Assumed protection value at 98 %, mean − 2 SD, dB.
    pub apv98_db: Vec<f64>,
    /// Personal attenuation rating (fits only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub par: Option<Par>,
    /// How each number was computed.
    pub method: Methods,
    /// The inputs.
    pub inputs: Inputs,
}

fn finite(what: &str, v: f64) -> Result<f64, RatingError> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(RatingError::NonFinite { what: what.into() })
    }
}

fn all_finite(what: &str, v: &[f64]) -> Result<(), RatingError> {
    v.iter().try_for_each(|x| finite(what, *x).map(|_| ()))
}

/// `10 lg Σ 10^(x/10)`, dB (floored, never minus infinity).
pub fn power_sum_db(levels_db: impl IntoIterator<Item = f64>) -> f64 {
    power_db(levels_db.into_iter().map(|l| 10f64.powf(0.1 * l)).sum())
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Sample standard deviation (n − 1); 0 for fewer than two values.
pub fn sample_sd(v: &[f64]) -> f64 {
    if v.len() < 2 {
        return 0.0;
    }
    let m = mean(v);
    (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
}

fn band_value(centre_hz: &[f64], values: &[f64], hz: f64) -> Option<f64> {
    centre_hz.iter().position(|c| *c == hz).map(|i| values[i])
}

/// The NRR's seven bands from a table: 125 ... 2000 Hz as given; 4000 Hz
/// averaged with 3150 Hz and 8000 Hz with 6300 Hz when those are given.
/// Returns (means, SDs), dB.
pub fn nrr_bands(
    centre_hz: &[f64],
    mean_db: &[f64],
    sd_db: &[f64],
) -> Result<([f64; 7], [f64; 7]), RatingError> {
    let mut m = [0.0; 7];
    let mut s = [0.0; 7];
    for (i, hz) in NRR_CENTRES_HZ.iter().enumerate() {
        let get = |v: &[f64]| band_value(centre_hz, v, *hz);
        let (Some(mi), Some(si)) = (get(mean_db), get(sd_db)) else {
            return Err(RatingError::MissingBand { centre_hz: *hz });
        };
        let partner = if *hz == 4000.0 {
            Some(3150.0)
        } else if *hz == 8000.0 {
            Some(6300.0)
        } else {
            None
        };
        let pm = partner.and_then(|p| band_value(centre_hz, mean_db, p));
        let ps = partner.and_then(|p| band_value(centre_hz, sd_db, p));
        (m[i], s[i]) = match (pm, ps) {
            (Some(pm), Some(ps)) => ((mi + pm) / 2.0, (si + ps) / 2.0),
            _ => (mi, si),
        };
    }
    Ok((m, s))
}

/// Round as 40 CFR 211.207 says: to the nearest whole number, a value
/// ending in exactly .5 to the next lower one.
pub fn round_nrr(unrounded_db: f64) -> f64 {
    let floor = unrounded_db.floor();
    if (unrounded_db - floor - 0.5).abs() < 1e-9 {
        floor
    } else {
        unrounded_db.round()
    }
}

/// NRR from the seven NRR-band means and SDs (see [`nrr_bands`]), dB.
pub fn nrr(mean_db: &[f64; 7], sd_db: &[f64; 7]) -> Nrr {
    let mut protected = [0.0; 7];
    let mut two_sd = [0.0; 7];
    for i in 0..7 {
        two_sd[i] = 2.0 * sd_db[i];
        protected[i] = 100.0 + NRR_A_CORRECTIONS_DB[i] - (mean_db[i] - two_sd[i]);
    }
    let total = power_sum_db(protected);
    let unrounded = NRR_UNPROTECTED_DBC - total - NRR_SPECTRAL_UNCERTAINTY_DB;
    Nrr {
        db: round_nrr(unrounded) as i32,
        tenths_db: (unrounded * 10.0).round() / 10.0,
        unrounded_db: unrounded,
        centre_hz: NRR_CENTRES_HZ,
        mean_db: *mean_db,
        two_sd_db: two_sd,
        protected_a_db: protected,
        protected_total_dba: total,
    }
}

/// Predicted noise level reduction for a noise of A-weighted band levels
/// `noise_a_db` (100 dBA, or 100 dBC for the pink noise) and attenuations
/// `attenuation_db` in the same bands: `100 − 10 lg Σ 10^((L − a)/10)`, dB.
pub fn pnr_db(noise_a_db: &[f64], attenuation_db: &[f64]) -> f64 {
    100.0 - power_sum_db(noise_a_db.iter().zip(attenuation_db).map(|(l, a)| l - a))
}

/// The pink noise and attenuations for the SNR: 63 Hz included when known.
fn pink_with(att_125: &[f64; 7], at_63_db: Option<f64>) -> (&'static [f64], Vec<f64>) {
    match at_63_db {
        Some(a63) => (
            &PINK_A_63_DB[..],
            std::iter::once(a63)
                .chain(att_125.iter().copied())
                .collect(),
        ),
        None => (&PINK_A_125_DB[..], att_125.to_vec()),
    }
}

/// Unrounded ISO 4869-2 SNR, H, M, L of one attenuation spectrum
/// (`att_125`: 125 ... 8000 Hz; `at_63_db`: the 63 Hz band if known).
pub fn iso_values(att_125: &[f64; 7], at_63_db: Option<f64>) -> IsoValues {
    let (pink, att) = pink_with(att_125, at_63_db);
    let pnr: Vec<f64> = HML_NOISES_A_DB.iter().map(|n| pnr_db(n, att_125)).collect();
    let sum = |r: std::ops::Range<usize>| pnr[r.clone()].iter().sum::<f64>();
    let dsum = |r: std::ops::Range<usize>| r.map(|i| HML_D[i] * pnr[i]).sum::<f64>();
    IsoValues {
        snr_db: pnr_db(pink, &att),
        h_db: 0.25 * sum(0..4) - 0.48 * dsum(0..4),
        m_db: 0.25 * sum(4..8) - 0.16 * dsum(4..8),
        l_db: 0.25 * sum(4..8) + 0.23 * dsum(4..8),
    }
}

/// Attenuation of A-weighted pink noise (the [`PINK_A_125_DB`] or
/// [`PINK_A_63_DB`] spectrum) by one spectrum, dB.
pub fn pink_a_attenuation_db(att_125: &[f64; 7], at_63_db: Option<f64>) -> f64 {
    let (pink, att) = pink_with(att_125, at_63_db);
    power_sum_db(pink.iter().copied()) - power_sum_db(pink.iter().zip(&att).map(|(l, a)| l - a))
}

/// P(|T| ≤ t) for Student's t with `nu` ≥ 1 degrees of freedom, t ≥ 0
/// (Abramowitz & Stegun 26.7.3 and 26.7.4, exact for integer `nu`).
fn t_two_sided(t: f64, nu: usize) -> f64 {
    let theta = (t / (nu as f64).sqrt()).atan();
    let (s, c) = theta.sin_cos();
    let first_power = nu % 2;
    let (mut term, mut sum) = (c.powi(first_power as i32), 0.0);
    let mut p = first_power;
    while p + 2 <= nu {
        sum += term;
        term *= c * c * (p + 1) as f64 / (p + 2) as f64;
        p += 2;
    }
    match nu {
        1 => 2.0 * theta / std::f64::consts::PI,
        _ if nu % 2 == 1 => 2.0 / std::f64::consts::PI * (theta + s * sum),
        _ => s * sum,
    }
}

/// One-sided Student t quantile `t(p, nu)` for 0.5 < p < 1 and `nu` ≥ 1
/// (bisection on the exact distribution; `nu` above 10 000 is treated as 10 000).
pub fn student_t_quantile(p: f64, nu: usize) -> f64 {
    let nu = nu.clamp(1, 10_000);
    let target = 2.0 * p - 1.0;
    let mut hi = 1.0;
    while t_two_sided(hi, nu) < target && hi < 1e12 {
        hi *= 2.0;
    }
    let mut lo = 0.0;
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if t_two_sided(mid, nu) < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// PAR of per-fit A-weighted pink-noise attenuations (needs two or more).
pub fn par(per_fit_db: Vec<f64>) -> Result<Par, RatingError> {
    let n = per_fit_db.len();
    if n < 2 {
        return Err(RatingError::TooFewFits { found: n });
    }
    let (m, s) = (mean(&per_fit_db), sample_sd(&per_fit_db));
    let t = student_t_quantile(PROTECTION_84, n - 1);
    let uncertainty = t * s * (1.0 + 1.0 / n as f64).sqrt();
    Ok(Par {
        db: finite("the PAR", m - uncertainty)?,
        mean_db: m,
        sd_db: s,
        n_fits: n,
        t_84: t,
        uncertainty_db: uncertainty,
        mean_lower_84_db: m - t * s / (n as f64).sqrt(),
        per_fit_db,
    })
}

/// The ISO octave bands of a table (3150 and 6300 Hz left out) with APV84 and APV98.
fn apv(centre_hz: &[f64], mean_db: &[f64], sd_db: &[f64]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let keep: Vec<usize> = (0..centre_hz.len())
        .filter(|i| centre_hz[*i] != 3150.0 && centre_hz[*i] != 6300.0)
        .collect();
    (
        keep.iter().map(|i| centre_hz[*i]).collect(),
        keep.iter().map(|i| mean_db[*i] - sd_db[*i]).collect(),
        keep.iter().map(|i| mean_db[*i] - 2.0 * sd_db[*i]).collect(),
    )
}

/// Attenuations at 125 ... 8000 Hz and at 63 Hz (if present) of one spectrum.
fn split_125(centre_hz: &[f64], values: &[f64]) -> Result<([f64; 7], Option<f64>), RatingError> {
    let mut out = [0.0; 7];
    for (i, hz) in NRR_CENTRES_HZ.iter().enumerate() {
        out[i] = band_value(centre_hz, values, *hz)
            .ok_or(RatingError::MissingBand { centre_hz: *hz })?;
    }
    Ok((out, band_value(centre_hz, values, 63.0)))
}

const NRR_METHOD: &str = "EPA 40 CFR 211.207 Figure 2: pink noise 100 dB per band 125-8000 Hz (107.9 dBC), tabulated A corrections, protected level (100 + A) - (mean - 2 SD) per band, NRR = 107.9 - 10 lg sum 10^(protected/10) - 3; labelled value rounded to the nearest whole dB, an exact .5 down";

fn check_shape(centre_hz: &[f64], arrays: &[&[f64]]) -> Result<(), RatingError> {
    for a in arrays {
        if a.len() != centre_hz.len() {
            return Err(RatingError::Shape {
                bands: centre_hz.len(),
                values: a.len(),
            });
        }
    }
    all_finite("a band centre", centre_hz)?;
    arrays
        .iter()
        .try_for_each(|a| all_finite("an input value", a))
}

/// Everything but the ISO single numbers and the PAR, from means and SDs.
fn common(
    inputs: Inputs,
    nrr_note: &str,
    iso: IsoValues,
    iso_note: String,
) -> Result<Rating, RatingError> {
    let (m, s) = nrr_bands(&inputs.centre_hz, &inputs.mean_db, &inputs.sd_db)?;
    let nrr = nrr(&m, &s);
    finite("the NRR", nrr.unrounded_db)?;
    let (centre_hz, apv84_db, apv98_db) = apv(&inputs.centre_hz, &inputs.mean_db, &inputs.sd_db);
    all_finite("an APV", &apv84_db)?;
    all_finite("an APV", &apv98_db)?;
    for (what, v) in [
        ("the SNR", iso.snr_db),
        ("H", iso.h_db),
        ("M", iso.m_db),
        ("L", iso.l_db),
    ] {
        finite(what, v)?;
    }
    Ok(Rating {
        nrr,
        snr: IsoValue::new(iso.snr_db),
        h: IsoValue::new(iso.h_db),
        m: IsoValue::new(iso.m_db),
        l: IsoValue::new(iso.l_db),
        centre_hz,
        apv84_db,
        apv98_db,
        par: None,
        method: Methods {
            nrr: format!("{NRR_METHOD}; {nrr_note}"),
            iso: iso_note,
            par: None,
        },
        inputs,
    })
}

const SNR_63_NOTE: &str = "63 Hz, when given, enters the SNR (pink noise 63-8000 Hz, 100 dBC) but not H, M, L (reference noises 125-8000 Hz)";

/// Ratings from a published mean/SD table (ISO 4869-2:1994 octave-band method).
pub fn rate_mean_sd(t: &MeanSdTable) -> Result<Rating, RatingError> {
    check_shape(&t.centre_hz, &[&t.mean_db, &t.sd_db])?;
    let apv84: Vec<f64> = t.mean_db.iter().zip(&t.sd_db).map(|(m, s)| m - s).collect();
    let (a125, a63) = split_125(&t.centre_hz, &apv84)?;
    let iso = iso_values(&a125, a63);
    let has = |hz: f64| t.centre_hz.contains(&hz);
    let nrr_note = match (has(3150.0), has(6300.0)) {
        (true, true) => "3150+4000 Hz and 6300+8000 Hz means and SDs averaged",
        (true, false) => "3150+4000 Hz averaged; 8000 Hz alone (no 6300 Hz row)",
        (false, true) => "6300+8000 Hz averaged; 4000 Hz alone (no 3150 Hz row)",
        (false, false) => "no 3150/6300 Hz rows: 4000 and 8000 Hz alone",
    };
    let iso_note = format!("ISO 4869-2:1994 octave-band method from APV84 = mean - SD (only mean and SD given, no per-subject data); SNR = 100 - 10 lg sum 10^((P - APV)/10) with the pink spectrum, H/M/L from the PNR of the 8 reference noises; {SNR_63_NOTE}");
    let inputs = Inputs {
        centre_hz: t.centre_hz.clone(),
        mean_db: t.mean_db.clone(),
        sd_db: t.sd_db.clone(),
        fits: None,
    };
    common(inputs, nrr_note, iso, iso_note)
}

/// ISO 4869-2:2018 per-subject values: each fit first, then mean − SD.
fn iso_per_fit(t: &FitsTable) -> Result<(IsoValues, Vec<f64>), RatingError> {
    let mut per: [Vec<f64>; 4] = Default::default();
    let mut pink = Vec::with_capacity(t.attenuation_db.len());
    for fit in &t.attenuation_db {
        let (a125, a63) = split_125(&t.centre_hz, fit)?;
        let v = iso_values(&a125, a63);
        for (k, x) in [v.snr_db, v.h_db, v.m_db, v.l_db].into_iter().enumerate() {
            per[k].push(x);
        }
        pink.push(finite(
            "a fit's pink-noise attenuation",
            pink_a_attenuation_db(&a125, a63),
        )?);
    }
    let at84 = |v: &[f64]| mean(v) - sample_sd(v);
    let values = IsoValues {
        snr_db: at84(&per[0]),
        h_db: at84(&per[1]),
        m_db: at84(&per[2]),
        l_db: at84(&per[3]),
    };
    Ok((values, pink))
}

/// Ratings from one person's fits (or a panel's subjects): NRR from the
/// per-band mean and sample SD, ISO 4869-2:2018 per-subject method, PAR.
pub fn rate_fits(t: &FitsTable) -> Result<Rating, RatingError> {
    let n = t.attenuation_db.len();
    if n < 2 {
        return Err(RatingError::TooFewFits { found: n });
    }
    for fit in &t.attenuation_db {
        check_shape(&t.centre_hz, &[fit])?;
    }
    let column = |b: usize| -> Vec<f64> { t.attenuation_db.iter().map(|f| f[b]).collect() };
    let inputs = Inputs {
        centre_hz: t.centre_hz.clone(),
        mean_db: (0..t.centre_hz.len()).map(|b| mean(&column(b))).collect(),
        sd_db: (0..t.centre_hz.len())
            .map(|b| sample_sd(&column(b)))
            .collect(),
        fits: Some(
            t.labels
                .iter()
                .zip(&t.attenuation_db)
                .map(|(label, a)| FitInput {
                    label: label.clone(),
                    attenuation_db: a.clone(),
                })
                .collect(),
        ),
    };
    let (iso, pink) = iso_per_fit(t)?;
    let nrr_note = format!("mean and sample SD (n - 1) over {n} fits; a fits table has no 3150/6300 Hz bands, so 4000 and 8000 Hz stand alone");
    let iso_note = format!("ISO 4869-2:2018 per-subject method: SNR, H, M, L of each of the {n} fits (PNR of the pink and 8 reference noises), then mean - 1 SD over fits (84 %, sample SD); {SNR_63_NOTE}");
    let mut rating = common(inputs, &nrr_note, iso, iso_note)?;
    rating.par = Some(par(pink)?);
    rating.method.par = Some(format!("PAR84 = mean - t(0.84, {}) SD sqrt(1 + 1/{n}) of the {n} fits' A-weighted pink-noise attenuations: one-sided 84 % Student-t prediction bound for the next insertion (Hahn & Meeker, Statistical Intervals, 1991); mean_lower_84_db = mean - t SD / sqrt(n) bounds the mean", n - 1));
    Ok(rating)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regulation_example_gives_19_8() {
        let m = [21.0, 22.0, 23.0, 29.0, 41.0, 45.0, 38.5];
        let s = [3.7, 3.3, 3.8, 4.7, 3.3, 3.35, 6.3];
        let n = nrr(&m, &s);
        assert_eq!(n.tenths_db, 19.8);
        assert_eq!(n.db, 20);
        assert!((n.protected_total_dba - 85.1).abs() < 0.05);
        let want = [70.3, 76.0, 81.4, 80.4, 66.8, 62.7, 73.0];
        for (got, want) in n.protected_a_db.iter().zip(want) {
            assert!((got - want).abs() < 1e-9, "{got} vs {want}");
        }
    }

    #[test]
    fn par_needs_two_fits() {
        assert_eq!(par(vec![20.0]), Err(RatingError::TooFewFits { found: 1 }));
    }

    #[test]
    fn flat_attenuation_gives_that_pink_noise_attenuation() {
        let a = pink_a_attenuation_db(&[30.0; 7], None);
        assert!((a - 30.0).abs() < 1e-9);
        let a = pink_a_attenuation_db(&[30.0; 7], Some(30.0));
        assert!((a - 30.0).abs() < 1e-9);
    }

    #[test]
    fn extreme_inputs_give_errors_not_nan() {
        let t = MeanSdTable {
            centre_hz: NRR_CENTRES_HZ.to_vec(),
            mean_db: vec![-1e308; 7],
            sd_db: vec![1e308; 7],
        };
        assert!(matches!(
            rate_mean_sd(&t),
            Err(RatingError::NonFinite { .. })
        ));
        let t = MeanSdTable {
            centre_hz: NRR_CENTRES_HZ.to_vec(),
            mean_db: vec![f64::NAN; 7],
            sd_db: vec![1.0; 7],
        };
        assert!(matches!(
            rate_mean_sd(&t),
            Err(RatingError::NonFinite { .. })
        ));
    }
}
