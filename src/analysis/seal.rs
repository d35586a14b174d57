//! Seal metrics from the low end of a response.
//!
//! - `bass_db`: mean level (dB) in the bass band minus mean level in the
//!   reference band. Defaults: bass 20-100 Hz, reference 300-1000 Hz (the
//!   multitone's tones sit in both).
//! - `bass_loss_db`: with a reference response (the same IEM sealed, or the
//!   best fit), how much lower the bass is than in the reference, both
//!   aligned in the reference band. Positive = bass lost.
//! - `leak_corner_hz`: the -3 dB frequency of the leak high-pass
//!   (`acoustics::Leak`) fitted by least squares (in dB, free gain).
//!   With a reference response the fit is to the ratio response/reference
//!   from 10 Hz to 2 kHz, which cancels the IEM's own tuning. Without one it
//!   assumes the sealed response is flat below 1 kHz and fits the response
//!   itself in two passes: 10 Hz to 1 kHz, then 10 Hz to 8x the first
//!   corner (at least 200 Hz), so the IEM's ear-gain rise above ~1 kHz
//!   biases small corners as little as possible. `None` when the corner is
//!   below 15 Hz (sealed) or below the lowest measured frequency (an
//!   extrapolation), above the fitted range (no seal at all: the
//!   corner cannot be told), or when the leak model does not describe the
//!   low end (next item).
//! - `leak_fit_uncertain`: the fit's RMS residual exceeds
//!   [`LEAK_FIT_MAX_RMS_DB`] (1 dB). A leak, with or without the IEM's own
//!   tuning, fits within 0.2 dB (the simulated leaks of 20-500 Hz, any
//!   damping: at most 0.18 dB); a response that is not a leak does not (a
//!   2nd-order Butterworth high-pass at 60, 100, 200 Hz: 2.2, 3.0, 4.0 dB,
//!   whose fitted corners are 11 % low or not found). Then no corner is
//!   reported, the flag is set and `notes` says why, with `minus3db_hz`.
//!   This is about the corner only; `uncertain` is about the verdict.
//! - `minus3db_hz`: the model-free -3 dB point of the low end: searching
//!   downward from the reference band, the first frequency where the
//!   response (relative to its reference band mean; with a reference
//!   response, the ratio response/reference relative to its mean there)
//!   is 3 dB down, interpolated linearly in dB over log frequency between
//!   the two grid points around the crossing. `None` when the response
//!   never falls 3 dB within the measured range (a good seal, or a range
//!   that does not reach low enough), or is already 3 dB down at the
//!   reference band's lower edge (no seal: the point is not below the
//!   band). The points are 1/12-octave smoothed; smoothing and
//!   interpolation move the crossing by less than 0.1 % (Butterworth
//!   high-passes measured by sweep: within 0.05 % of the exact point).
//!   When the crossing lies at the noise floor (a point around
//!   it less than 6 dB above the noise) the true -3 dB point is at or above
//!   it, and a note says so.
//! - verdict from the bass deficit (`bass_loss_db`, or `-bass_db` without a
//!   reference): good < 3 dB, fair < 8 dB, poor < 20 dB, no-seal otherwise.
//!   When the bass band is at the noise floor the deficit is a lower bound
//!   (`bass_floor_limited`), and the verdict is taken from that bound.
//! - `notes` also says when the measured points start above the bass band's
//!   lower edge (a reference with nothing below 20 Hz, a multitone from
//!   30 Hz): the band means then cover only the part measured.
//! - `uncertain`: the verdict may be wrong because the bass band is too
//!   close to the noise (or hum); set by the analysis from the band SNR.
//!   Compare, report and sessions count and show these fits.

use crate::acoustics::Leak;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Bands and thresholds of the seal analysis (documented defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SealConfig {
    /// Bass band (low, high) in Hz.
    pub bass_band_hz: (f64, f64),
    /// Midrange reference band (low, high) in Hz.
    pub reference_band_hz: (f64, f64),
    /// Lowest frequency used by the leak fit, Hz.
    pub fit_low_hz: f64,
    /// Highest frequency of the leak fit without a reference, Hz.
    pub fit_high_hz: f64,
    /// Highest frequency of the leak fit against a reference, Hz.
    pub fit_high_with_reference_hz: f64,
    /// Corners below this are reported as no corner, Hz.
    pub min_corner_hz: f64,
    /// Deficit below which the seal is good, dB.
    pub good_below_db: f64,
    /// Deficit below which the seal is fair, dB.
    pub fair_below_db: f64,
    /// Deficit below which the seal is poor (else no seal), dB.
    pub poor_below_db: f64,
}

impl Default for SealConfig {
    fn default() -> Self {
        Self {
            bass_band_hz: (20.0, 100.0),
            reference_band_hz: (300.0, 1000.0),
            fit_low_hz: 10.0,
            fit_high_hz: 1000.0,
            fit_high_with_reference_hz: 2000.0,
            min_corner_hz: 15.0,
            good_below_db: 3.0,
            fair_below_db: 8.0,
            poor_below_db: 20.0,
        }
    }
}

/// Largest RMS residual (dB) of the leak fit for which its corner is
/// reported as a leak corner (see the module documentation for how it was
/// chosen).
pub const LEAK_FIT_MAX_RMS_DB: f64 = 1.0;

/// Seal verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Bass within 3 dB of sealed.
    Good,
    /// Some bass lost.
    Fair,
    /// Clearly leaky.
    Poor,
    /// No seal at all.
    NoSeal,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Good => "good",
            Verdict::Fair => "fair",
            Verdict::Poor => "poor",
            Verdict::NoSeal => "no-seal",
        })
    }
}

/// A leak corner as the measurement can tell it: a value inside the fitted
/// range, or a bound when the fitted corner lies outside it (a censored
/// value: the true corner is below or above `hz`, and is never used as a
/// number). JSON: `{"kind": "value" | "below" | "above", "hz": F}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Corner {
    /// The corner, Hz.
    Value {
        /// Hz.
        hz: f64,
    },
    /// Below the lowest measured (and reported) frequency: a seal the
    /// measurement cannot tell apart from a better one.
    Below {
        /// The bound, Hz.
        hz: f64,
    },
    /// Above the fitted range: no seal, the corner cannot be told.
    Above {
        /// The bound, Hz.
        hz: f64,
    },
}

impl Corner {
    /// The value or the bound, Hz.
    pub fn hz(self) -> f64 {
        match self {
            Corner::Value { hz } | Corner::Below { hz } | Corner::Above { hz } => hz,
        }
    }

    /// True for a bound (a censored corner).
    pub fn is_bound(self) -> bool {
        !matches!(self, Corner::Value { .. })
    }
}

/// The leak corner of one measurement as a value or a bound, by the rules
/// of [`seal_metrics`] (module documentation): `seal.leak_corner` as
/// stored. Fits stored before it was (no `leak_corner` key) are classified
/// from their fitted leak: below `max(cfg.min_corner_hz, the lowest
/// measured frequency >= cfg.fit_low_hz)`, above the top of the fitted
/// range, else the value. `None` when there is no fit, or the leak model
/// does not describe the low end (`leak_fit_uncertain`).
pub fn leak_corner_class(seal: &SealMetrics, freq_hz: &[f64], cfg: &SealConfig) -> Option<Corner> {
    if seal.leak_fit_uncertain {
        return None;
    }
    if seal.leak_corner.is_some() {
        return seal.leak_corner;
    }
    if let Some(hz) = seal.leak_corner_hz {
        return Some(Corner::Value { hz });
    }
    let lowest = freq_hz
        .iter()
        .copied()
        .find(|f| *f >= cfg.fit_low_hz)
        .unwrap_or(cfg.fit_low_hz);
    classify(
        seal.leak_fit.as_ref()?,
        lowest,
        seal.bass_loss_db.is_some(),
        cfg,
    )
}

/// The corner of `fit` against the reportable range: below
/// `max(min_corner_hz, lowest)`, above the fitted range's top, else the
/// value (`None`: the fitted corner is not a number).
fn classify(fit: &LeakFit, lowest: f64, with_reference: bool, cfg: &SealConfig) -> Option<Corner> {
    let c = Leak {
        f0_hz: fit.f0_hz,
        zeta: fit.zeta,
    }
    .corner_hz();
    if !c.is_finite() {
        return None;
    }
    let low = cfg.min_corner_hz.max(lowest);
    let top = if with_reference {
        cfg.fit_high_with_reference_hz
    } else {
        cfg.fit_high_hz
    };
    Some(if c < low {
        Corner::Below { hz: low }
    } else if c > top {
        Corner::Above { hz: top }
    } else {
        Corner::Value { hz: c }
    })
}

/// The fitted leak.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeakFit {
    /// Fitted leak resonance, Hz.
    pub f0_hz: f64,
    /// Fitted damping.
    pub zeta: f64,
    /// RMS residual of the fit, dB.
    pub rms_error_db: f64,
}

/// Seal metrics of one measurement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SealMetrics {
    /// Bass band level relative to the reference band, dB.
    pub bass_db: f64,
    /// True when the bass band is at the noise floor: the bass is at least
    /// this low, maybe lower.
    pub bass_floor_limited: bool,
    /// Bass lost against the reference response, dB (`None` without one).
    pub bass_loss_db: Option<f64>,
    /// Equivalent leak corner (-3 dB), Hz (`None`: sealed or not found).
    pub leak_corner_hz: Option<f64>,
    /// The leak corner as a value or a bound ("< 20 Hz": below the lowest
    /// measured frequency; "> 1 kHz": beyond the fitted range); `None` with
    /// no usable fit (see [`leak_corner_class`] for fits stored before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leak_corner: Option<Corner>,
    /// The verdict.
    pub verdict: Verdict,
    /// True when the bass band is too close to the noise (or hum) for the
    /// verdict to be trusted: it is shown as uncertain.
    #[serde(default)]
    pub uncertain: bool,
    /// The fitted leak model.
    pub leak_fit: Option<LeakFit>,
    /// Bass band used, [low, high] Hz.
    pub bass_band_hz: (f64, f64),
    /// Reference band used, [low, high] Hz.
    pub reference_band_hz: (f64, f64),
    /// Model-free -3 dB point of the low end, Hz (`None`: the response does
    /// not fall 3 dB below the reference band within the measured range).
    #[serde(default)]
    pub minus3db_hz: Option<f64>,
    /// True when the leak model does not describe the low end (its fit
    /// error exceeds [`LEAK_FIT_MAX_RMS_DB`]): no leak corner is reported
    /// and `notes` says why. Distinct from `uncertain` (the verdict).
    #[serde(default)]
    pub leak_fit_uncertain: bool,
    /// Sentences on the seal metrics a user should read (why the leak fit
    /// is uncertain, a -3 dB point at the noise floor).
    #[serde(default)]
    pub notes: Vec<String>,
}

/// Log-frequency interpolation of `(freq, db)` points at `f` (clamped at
/// the ends).
pub fn interpolate_db(freq_hz: &[f64], db: &[f64], f: f64) -> f64 {
    match freq_hz.iter().position(|&x| x >= f) {
        None => *db.last().unwrap_or(&0.0),
        Some(0) => db[0],
        Some(i) => {
            let (f0, f1) = (freq_hz[i - 1].ln(), freq_hz[i].ln());
            let t = (f.ln() - f0) / (f1 - f0);
            db[i - 1] + t * (db[i] - db[i - 1])
        }
    }
}

fn band_mean(points: &[(f64, f64)], band: (f64, f64)) -> Option<f64> {
    let v: Vec<f64> = points
        .iter()
        .filter(|(f, _)| *f >= band.0 * 0.999 && *f <= band.1 * 1.001)
        .map(|p| p.1)
        .collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// Seal metrics from `(freq_hz, db, snr_db)` points (log-spaced, ascending),
/// with an optional reference response as `(freq_hz, db)`. Points less than
/// 6 dB above the noise floor count in the band means (as bounds) but not in
/// the leak fit.
pub fn seal_metrics(
    points: &[(f64, f64, f64)],
    reference: Option<&[(f64, f64)]>,
    cfg: &SealConfig,
) -> SealMetrics {
    let clean: Vec<(f64, f64)> = points
        .iter()
        .filter(|p| p.2 >= 6.0)
        .map(|p| (p.0, p.1))
        .collect();
    let bass_snr: Vec<f64> = points
        .iter()
        .filter(|p| p.0 >= cfg.bass_band_hz.0 * 0.999 && p.0 <= cfg.bass_band_hz.1 * 1.001)
        .map(|p| p.2)
        .collect();
    let floor_limited = bass_snr.iter().filter(|s| **s < 6.0).count() * 2 > bass_snr.len();
    let all: Vec<(f64, f64)> = points.iter().map(|p| (p.0, p.1)).collect();
    let mut m = band_metrics(&all, reference, cfg);
    m.bass_floor_limited = floor_limited;
    let (fit, corner) = leak_corner(&relative_to(&clean, reference), reference.is_some(), cfg);
    if let Some(&(first, _, _)) = points
        .first()
        .filter(|p| p.0 > cfg.bass_band_hz.0 * 2f64.powf(1.0 / 12.0))
    {
        m.notes.push(format!(
            "the measured response starts at {first:.0} Hz, above the bass band's lower edge ({} Hz): \
             the bass level and the verdict cover {first:.0}-{} Hz only",
            cfg.bass_band_hz.0, cfg.bass_band_hz.1
        ));
    }
    let minus3 = minus_3db(points, reference, cfg);
    m.minus3db_hz = minus3.map(|p| p.0);
    if let Some((f, true)) = minus3 {
        m.notes.push(format!(
            "the -3 dB point ({f:.0} Hz) lies at the noise floor: the true one is at or above it"
        ));
    }
    if let Some(rms) = fit
        .as_ref()
        .map(|f| f.rms_error_db)
        // NaN (a fit that failed) counts as above the limit.
        .filter(|r| r.is_nan() || *r > LEAK_FIT_MAX_RMS_DB)
    {
        m.leak_fit_uncertain = true;
        let at = match m.minus3db_hz {
            Some(f) => format!("the -3 dB point is {f:.0} Hz"),
            None => "the response does not fall 3 dB within the measured range".into(),
        };
        m.notes.push(format!(
            "the low end does not look like a leak: the leak model fits with {rms:.1} dB RMS error \
             (a leak fits within {LEAK_FIT_MAX_RMS_DB:.0} dB), so no leak corner is given; {at}"
        ));
    }
    m.leak_fit = fit;
    m.leak_corner = corner.filter(|_| !m.leak_fit_uncertain);
    m.leak_corner_hz = match m.leak_corner {
        Some(Corner::Value { hz }) => Some(hz),
        _ => None,
    };
    m
}

/// The -3 dB point (see the module documentation) and whether it lies at
/// the noise floor.
fn minus_3db(
    points: &[(f64, f64, f64)],
    reference: Option<&[(f64, f64)]>,
    cfg: &SealConfig,
) -> Option<(f64, bool)> {
    let pts: Vec<(f64, f64)> = points
        .iter()
        .filter(|p| p.1.is_finite())
        .map(|p| (p.0, p.1))
        .collect();
    let rel = relative_to(&pts, reference);
    let level = band_mean(&rel, cfg.reference_band_hz)?;
    if !level.is_finite() {
        return None;
    }
    let snr: Vec<f64> = points
        .iter()
        .filter(|p| p.1.is_finite())
        .map(|p| p.2)
        .collect();
    // Index of the lowest point of the reference band: the search starts
    // below it and goes down.
    let top = rel
        .iter()
        .position(|p| p.0 >= cfg.reference_band_hz.0 * 0.999)?;
    let target = level - 3.0;
    for i in (1..=top).rev() {
        let ((f0, d0), (f1, d1)) = (rel[i - 1], rel[i]);
        if d1 <= target {
            // Already 3 dB down at the reference band's lower edge.
            return None;
        }
        if d0 <= target {
            let t = (d1 - target) / (d1 - d0);
            let f = (f1.ln() + t * (f0.ln() - f1.ln())).exp();
            return Some((f, snr[i - 1] < 6.0 || snr[i] < 6.0));
        }
    }
    None
}

fn relative_to(points: &[(f64, f64)], reference: Option<&[(f64, f64)]>) -> Vec<(f64, f64)> {
    match reference {
        Some(r) => {
            let (rf, rd): (Vec<f64>, Vec<f64>) = r.iter().cloned().unzip();
            points
                .iter()
                .map(|&(f, d)| (f, d - interpolate_db(&rf, &rd, f)))
                .collect()
        }
        None => points.to_vec(),
    }
}

/// Fit the leak and report its corner, as documented above.
fn leak_corner(
    relative: &[(f64, f64)],
    with_reference: bool,
    cfg: &SealConfig,
) -> (Option<LeakFit>, Option<Corner>) {
    let within = |hi: f64| -> Vec<(f64, f64)> {
        relative
            .iter()
            .cloned()
            .filter(|(f, d)| *f >= cfg.fit_low_hz && *f <= hi * 1.001 && d.is_finite())
            .collect()
    };
    let corner_of = |fit: &LeakFit| {
        Leak {
            f0_hz: fit.f0_hz,
            zeta: fit.zeta,
        }
        .corner_hz()
    };
    let top = if with_reference {
        cfg.fit_high_with_reference_hz
    } else {
        cfg.fit_high_hz
    };
    let mut fit = fit_leak(&within(top));
    if let (false, Some(first)) = (with_reference, fit.as_ref()) {
        let hi = (8.0 * corner_of(first)).clamp(200.0, cfg.fit_high_hz);
        if hi < cfg.fit_high_hz {
            fit = refine(&within(hi), first).or(fit);
        }
    }
    let lowest = relative
        .iter()
        .map(|p| p.0)
        .find(|f| *f >= cfg.fit_low_hz)
        .unwrap_or(cfg.fit_low_hz);
    let class = fit
        .as_ref()
        .and_then(|f| classify(f, lowest, with_reference, cfg));
    (fit, class)
}

/// Band means, bass loss and verdict (no fit).
fn band_metrics(
    points: &[(f64, f64)],
    reference: Option<&[(f64, f64)]>,
    cfg: &SealConfig,
) -> SealMetrics {
    let bass = band_mean(points, cfg.bass_band_hz).unwrap_or(f64::NAN);
    let mid = band_mean(points, cfg.reference_band_hz).unwrap_or(f64::NAN);
    let bass_db = bass - mid;
    let relative = relative_to(points, reference);
    let bass_loss_db = reference.map(|_| {
        let b = band_mean(&relative, cfg.bass_band_hz).unwrap_or(f64::NAN);
        let m = band_mean(&relative, cfg.reference_band_hz).unwrap_or(f64::NAN);
        m - b
    });
    let deficit = bass_loss_db.unwrap_or(-bass_db);
    let verdict = if !deficit.is_finite() {
        Verdict::NoSeal
    } else if deficit < cfg.good_below_db {
        Verdict::Good
    } else if deficit < cfg.fair_below_db {
        Verdict::Fair
    } else if deficit < cfg.poor_below_db {
        Verdict::Poor
    } else {
        Verdict::NoSeal
    };
    SealMetrics {
        bass_db,
        bass_floor_limited: false,
        bass_loss_db,
        leak_corner_hz: None,
        leak_corner: None,
        verdict,
        uncertain: false,
        leak_fit: None,
        bass_band_hz: cfg.bass_band_hz,
        reference_band_hz: cfg.reference_band_hz,
        minus3db_hz: None,
        leak_fit_uncertain: false,
        notes: Vec::new(),
    }
}

/// Sum of squared dB residuals of the leak model with the best gain.
/// `|H|^2 = (r^4 + 4 z^2 r^2) / ((1 - r^2)^2 + 4 z^2 r^2)` with `r = f / f0`
/// (the magnitude of `Leak::bass_response`, in real arithmetic for speed).
fn cost(points: &[(f64, f64)], ln_f0: f64, ln_zeta: f64) -> f64 {
    let inv_f0 = (-ln_f0).exp();
    let z2 = 4.0 * (2.0 * ln_zeta).exp();
    let (mut sum, mut sum_sq) = (0.0, 0.0);
    for &(f, d) in points {
        let r2 = (f * inv_f0).powi(2);
        let damp = z2 * r2;
        let h2 = (r2 * r2 + damp) / ((1.0 - r2).powi(2) + damp);
        let resid = d - 10.0 * h2.log10();
        sum += resid;
        sum_sq += resid * resid;
    }
    // Residual variance around the best gain (the mean residual).
    sum_sq - sum * sum / points.len() as f64
}

const LN_F0_RANGE: (f64, f64) = (0.0, 8.517_193_191_416_238); // 1 Hz .. 5 kHz
const LN_ZETA_RANGE: (f64, f64) = (-2.995_732_273_553_991, 2.995_732_273_553_991); // 0.05 .. 20

/// Fit the leak model to `(freq_hz, db)` points: coarse grid over f0
/// (1 Hz - 5 kHz, 1/4 octave) and zeta (0.05 - 20, 12 steps), then
/// Nelder-Mead in log space.
pub fn fit_leak(points: &[(f64, f64)]) -> Option<LeakFit> {
    if points.len() < 4 {
        return None;
    }
    let (f_lo, f_hi) = LN_F0_RANGE;
    let (z_lo, z_hi) = LN_ZETA_RANGE;
    let mut best = (f64::INFINITY, 0.0, 0.0);
    for i in 0..=49 {
        let lf = f_lo + (f_hi - f_lo) * i as f64 / 49.0;
        for j in 0..=11 {
            let lz = z_lo + (z_hi - z_lo) * j as f64 / 11.0;
            let c = cost(points, lf, lz);
            if c < best.0 {
                best = (c, lf, lz);
            }
        }
    }
    Some(polish(points, best.1, best.2))
}

/// Refit `points` starting from an earlier fit (no grid search).
fn refine(points: &[(f64, f64)], start: &LeakFit) -> Option<LeakFit> {
    (points.len() >= 4).then(|| polish(points, start.f0_hz.ln(), start.zeta.ln()))
}

fn polish(points: &[(f64, f64)], lf: f64, lz: f64) -> LeakFit {
    let (z_lo, z_hi) = LN_ZETA_RANGE;
    let (lf, lz) = nelder_mead(
        |p| cost(points, p[0], p[1].clamp(z_lo, z_hi)),
        [lf, lz],
        [0.1, 0.2],
    );
    let lz = lz.clamp(z_lo, z_hi);
    LeakFit {
        f0_hz: lf.exp(),
        zeta: lz.exp(),
        rms_error_db: (cost(points, lf, lz).max(0.0) / points.len() as f64).sqrt(),
    }
}

/// Minimal 2-D Nelder-Mead.
fn nelder_mead(f: impl Fn([f64; 2]) -> f64, start: [f64; 2], step: [f64; 2]) -> (f64, f64) {
    let mut s = [
        start,
        [start[0] + step[0], start[1]],
        [start[0], start[1] + step[1]],
    ];
    let mut v = s.map(&f);
    for _ in 0..200 {
        let mut idx = [0, 1, 2];
        idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
        let (b, m, w) = (idx[0], idx[1], idx[2]);
        if (v[w] - v[b]).abs() < 1e-10 * (1.0 + v[b].abs()) {
            break;
        }
        let c = [(s[b][0] + s[m][0]) / 2.0, (s[b][1] + s[m][1]) / 2.0];
        let at = |t: f64| [c[0] + t * (s[w][0] - c[0]), c[1] + t * (s[w][1] - c[1])];
        let r = at(-1.0);
        let fr = f(r);
        if fr < v[b] {
            let e = at(-2.0);
            let fe = f(e);
            (s[w], v[w]) = if fe < fr { (e, fe) } else { (r, fr) };
        } else if fr < v[m] {
            (s[w], v[w]) = (r, fr);
        } else {
            let k = at(0.5);
            let fk = f(k);
            if fk < v[w] {
                (s[w], v[w]) = (k, fk);
            } else {
                for i in [m, w] {
                    s[i] = [(s[i][0] + s[b][0]) / 2.0, (s[i][1] + s[b][1]) / 2.0];
                    v[i] = f(s[i]);
                }
            }
        }
    }
    let i = (0..3).min_by(|&a, &b| v[a].total_cmp(&v[b])).unwrap_or(0);
    (s[i][0], s[i][1])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model_points(leak: Leak, offset_db: f64) -> Vec<(f64, f64, f64)> {
        crate::dsp::grid::log_grid(10.0, 2000.0, 12)
            .into_iter()
            .map(|f| {
                (
                    f,
                    offset_db + crate::dsp::db(leak.bass_response(f).norm()),
                    60.0,
                )
            })
            .collect()
    }

    #[test]
    fn fit_recovers_an_exact_model() {
        for (f0, zeta) in [(40.0, 0.6), (150.0, 0.3), (400.0, 1.5)] {
            let leak = Leak { f0_hz: f0, zeta };
            let m = seal_metrics(&model_points(leak, -7.0), None, &SealConfig::default());
            let corner = m.leak_corner_hz.expect("a corner");
            assert!(
                (corner / leak.corner_hz() - 1.0).abs() < 0.01,
                "{corner} vs {}",
                leak.corner_hz()
            );
        }
    }

    #[test]
    fn flat_response_is_sealed_and_good() {
        let pts: Vec<(f64, f64, f64)> = crate::dsp::grid::log_grid(10.0, 2000.0, 12)
            .into_iter()
            .map(|f| (f, 3.0, 60.0))
            .collect();
        let m = seal_metrics(&pts, None, &SealConfig::default());
        assert_eq!(m.verdict, Verdict::Good);
        assert_eq!(m.leak_corner_hz, None);
        assert!(m.bass_db.abs() < 1e-9);
    }

    #[test]
    fn verdict_thresholds_follow_the_deficit() {
        let cfg = SealConfig::default();
        let with_bass = |b: f64| -> Verdict {
            let pts: Vec<(f64, f64, f64)> = crate::dsp::grid::log_grid(10.0, 2000.0, 12)
                .into_iter()
                .map(|f| (f, if f <= 150.0 { b } else { 0.0 }, 60.0))
                .collect();
            seal_metrics(&pts, None, &cfg).verdict
        };
        assert_eq!(with_bass(-2.0), Verdict::Good);
        assert_eq!(with_bass(-5.0), Verdict::Fair);
        assert_eq!(with_bass(-12.0), Verdict::Poor);
        assert_eq!(with_bass(-19.0), Verdict::Poor);
        assert_eq!(with_bass(-30.0), Verdict::NoSeal);
    }

    /// `|H|` in dB of an analog Butterworth high-pass of `order` at `fc`.
    fn butterworth_db(f: f64, fc: f64, order: i32) -> f64 {
        let r = (f / fc).powi(2 * order);
        10.0 * (r / (1.0 + r)).log10()
    }

    fn points_of(db: impl Fn(f64) -> f64) -> Vec<(f64, f64, f64)> {
        crate::dsp::grid::log_grid(10.0, 2000.0, 12)
            .into_iter()
            .map(|f| (f, db(f), 60.0))
            .collect()
    }

    #[test]
    fn minus_3db_point_of_butterworth_high_passes() {
        let cfg = SealConfig::default();
        for (fc, order) in [(40.0, 2), (100.0, 2), (150.0, 1), (60.0, 4)] {
            let m = seal_metrics(&points_of(|f| butterworth_db(f, fc, order)), None, &cfg);
            // Exact: where |H| is 3 dB below its mean over the reference
            // band's grid points, by bisection.
            let band: Vec<f64> = crate::dsp::grid::log_grid(300.0, 1000.0, 12)
                .into_iter()
                .map(|f| butterworth_db(f, fc, order))
                .collect();
            let target = band.iter().sum::<f64>() / band.len() as f64 - 3.0;
            let (mut lo, mut hi) = (1f64.ln(), 300f64.ln());
            for _ in 0..100 {
                let mid = 0.5 * (lo + hi);
                if butterworth_db(mid.exp(), fc, order) < target {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let want = lo.exp();
            let got = m.minus3db_hz.expect("a -3 dB point");
            // Linear interpolation in dB between 1/12-octave points.
            assert!(
                (got / want - 1.0).abs() < 0.002,
                "{fc} Hz order {order}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn no_minus_3db_point_when_the_response_never_falls_3_db() {
        let cfg = SealConfig::default();
        let m = seal_metrics(&points_of(|f| butterworth_db(f, 5.0, 2)), None, &cfg);
        assert_eq!(m.minus3db_hz, None);
        // Against a reference that is the response itself: flat ratio.
        let pts = points_of(|f| butterworth_db(f, 80.0, 2));
        let reference: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.1)).collect();
        let m = seal_metrics(&pts, Some(&reference), &cfg);
        assert_eq!(m.minus3db_hz, None);
        assert!(m.notes.is_empty(), "{:?}", m.notes);
    }

    #[test]
    fn minus_3db_point_against_a_reference_is_that_of_the_ratio() {
        // An IEM with a bass shelf, leaky: the ratio is the Butterworth.
        let cfg = SealConfig::default();
        let shelf = |f: f64| 6.0 / (1.0 + (f / 120.0).powi(2));
        let pts = points_of(|f| shelf(f) + butterworth_db(f, 70.0, 2));
        let reference: Vec<(f64, f64)> = points_of(shelf).iter().map(|p| (p.0, p.1)).collect();
        let m = seal_metrics(&pts, Some(&reference), &cfg);
        let got = m.minus3db_hz.unwrap();
        assert!((got / 70.0 - 1.0).abs() < 0.01, "{got}");
    }

    #[test]
    fn a_butterworth_low_end_is_flagged_and_a_leak_is_not() {
        let cfg = SealConfig::default();
        let m = seal_metrics(&points_of(|f| butterworth_db(f, 100.0, 2)), None, &cfg);
        assert!(m.leak_fit_uncertain);
        assert_eq!(m.leak_corner_hz, None);
        assert!(!m.uncertain);
        assert!(m.leak_fit.as_ref().unwrap().rms_error_db > LEAK_FIT_MAX_RMS_DB);
        assert!(
            m.notes[0].starts_with("the low end does not look like a leak")
                && m.notes[0].ends_with("the -3 dB point is 100 Hz"),
            "{:?}",
            m.notes
        );
        let leak = Leak {
            f0_hz: 150.0,
            zeta: 0.4,
        };
        let m = seal_metrics(&model_points(leak, 0.0), None, &cfg);
        assert!(!m.leak_fit_uncertain);
        assert!(m.notes.is_empty());
        assert!(m.leak_corner_hz.is_some());
    }

    #[test]
    fn a_response_starting_above_the_bass_band_says_so() {
        let cfg = SealConfig::default();
        let from = |lo: f64| -> Vec<(f64, f64, f64)> {
            crate::dsp::grid::log_grid(lo, 2000.0, 12)
                .into_iter()
                .map(|f| (f, 0.0, 60.0))
                .collect()
        };
        assert!(seal_metrics(&from(20.0), None, &cfg).notes.is_empty());
        let m = seal_metrics(&from(30.0), None, &cfg);
        assert_eq!(
            m.notes,
            [
                "the measured response starts at 31 Hz, above the bass band's lower edge (20 Hz): \
              the bass level and the verdict cover 31-100 Hz only"
            ]
        );
    }

    #[test]
    fn seal_json_without_the_new_fields_still_loads() {
        let m = seal_metrics(
            &points_of(|f| butterworth_db(f, 100.0, 2)),
            None,
            &SealConfig::default(),
        );
        let mut v = serde_json::to_value(&m).unwrap();
        for key in ["minus3db_hz", "leak_fit_uncertain", "notes"] {
            assert!(v.as_object_mut().unwrap().remove(key).is_some(), "{key}");
        }
        let old: SealMetrics = serde_json::from_value(v).unwrap();
        assert_eq!(old.minus3db_hz, None);
        assert!(!old.leak_fit_uncertain);
        assert!(old.notes.is_empty());
    }
}

#[cfg(test)]
mod cost_tests {
    use super::*;

    #[test]
    fn fast_cost_uses_the_same_magnitude_as_the_leak_model() {
        let leak = Leak {
            f0_hz: 137.0,
            zeta: 0.42,
        };
        let pts: Vec<(f64, f64)> = [12.0, 50.0, 137.0, 600.0]
            .iter()
            .map(|&f| (f, crate::dsp::db(leak.bass_response(f).norm()) + 5.0))
            .collect();
        assert!(cost(&pts, leak.f0_hz.ln(), leak.zeta.ln()) < 1e-18);
        assert!(cost(&pts, (leak.f0_hz * 1.1).ln(), leak.zeta.ln()) > 0.01);
    }
}
