//! The tip effect in reviewers' words: per tip, how much louder or quieter
//! than the baseline tip it makes each part of the spectrum, in seven bands,
//! with a 95 % interval when the fits allow one.
//!
//! Exactly, for every fit (not skipped, of the ear compared) with a
//! response ([`FitRecord::response`]: the seal sweep's, else the quick
//! check's), on the response's own stored grid (its frequencies and dB as
//! stored, no interpolation, no smoothing added):
//!
//! 1. The **level of a band** `[lo, hi)` is the plain mean of the dB
//!    values of the points with `lo ≤ f < hi` (a half-open band, so a
//!    point on a shared edge, such as 250 Hz, counts in the upper band
//!    only). It is defined when at least one point lies in the band and the
//!    response reaches within 1/6 octave of both edges (its first frequency
//!    at most `lo·2^(1/6)`, its last at least `hi·2^(-1/6)`): a response
//!    that stops inside a band does not stand for the whole band.
//! 2. The fit is **normalised** in the session's reference band, the band
//!    the seal's "bass re mids" is judged against
//!    (`thresholds.reference_band_hz`, default 300-1000 Hz; the same for
//!    imported sessions): its value in a band is the band's level minus the
//!    reference band's level, both as in 1. (so the reference band is also
//!    taken as `[lo, hi)`). A fit whose response does not cover the
//!    reference band is left out.
//! 3. Per tip and band: `delta_db = mean over the tip's fits − mean over the
//!    baseline's fits` of those values.
//! 4. The 95 % interval is Welch's t interval of that difference
//!    ([`super::stats::welch`]): `delta ± t(0.975, df) · se`, `se² = s_t²/n_t +
//!    s_b²/n_b`, `df` by Welch–Satterthwaite (not whole in general). When
//!    the tip or the baseline has a single fit in the band there is no
//!    variance to judge by: the interval is `null` and `single_fit` is true
//!    (never a made-up number); with two or more fits each but no spread at
//!    all it is `null` too, and the tip's `notes` say so.
//!
//! The baseline is the config's `baseline` (default: the session's first
//! tip), or what `--baseline` asks for. With both ears the effect is per
//! ear, as every statistic of a comparison: `Comparison::tip_effect` is the
//! left ear's, `ears.right.tip_effect` the right ear's.

use super::ears::side_of;
use super::stats::{finite_mean, welch};
use super::Comparison;
use crate::analysis::seal::SealConfig;
use crate::analysis::FrequencyResponse;
use crate::session::config::Ear;
use crate::session::model::{FitRecord, SessionInfo};
use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};

/// A band of the tip effect.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EffectBand {
    /// Its name, as in the JSON (`bass`, `sub-bass`, ...).
    pub name: &'static str,
    /// Low edge, Hz (in the band).
    pub lo_hz: f64,
    /// High edge, Hz (not in the band).
    pub hi_hz: f64,
}

/// The seven bands: sub-bass 20-60 Hz, bass 60-250, low mids 250-500, mids
/// 500-2k, presence 2-5k, treble 5-10k, air 10-16k.
pub const EFFECT_BANDS: [EffectBand; 7] = [
    band("sub-bass", 20.0, 60.0),
    band("bass", 60.0, 250.0),
    band("low-mids", 250.0, 500.0),
    band("mids", 500.0, 2000.0),
    band("presence", 2000.0, 5000.0),
    band("treble", 5000.0, 10_000.0),
    band("air", 10_000.0, 16_000.0),
];

const fn band(name: &'static str, lo_hz: f64, hi_hz: f64) -> EffectBand {
    EffectBand { name, lo_hz, hi_hz }
}

/// How far (octaves) a response may stop short of a band's edge and still
/// stand for the band.
pub const EDGE_OCTAVES: f64 = 1.0 / 6.0;

/// One tip against the baseline (JSON `tip_effect[]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TipEffect {
    /// The tip.
    pub tip: String,
    /// The tip it is compared with.
    pub baseline: String,
    /// The tip's fits with a response covering the reference band.
    pub n: usize,
    /// The baseline's fits with a response covering the reference band.
    pub n_baseline: usize,
    /// The band every fit is normalised in, Hz.
    pub reference_band_hz: [f64; 2],
    /// Per band of [`EFFECT_BANDS`], in that order.
    pub bands: Vec<BandEffect>,
    /// What the reader should know (no interval and why, no data).
    #[serde(default)]
    pub notes: Vec<String>,
}

/// One band of a [`TipEffect`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BandEffect {
    /// Band name ([`EffectBand::name`]).
    pub band: String,
    /// `[lo, hi)`, Hz.
    pub band_hz: [f64; 2],
    /// Mean over the tip's fits minus mean over the baseline's, dB
    /// (`null`: either has no fit covering the band).
    pub delta_db: Option<f64>,
    /// Low end of the Welch 95 % interval, dB (`null`: no interval).
    pub ci95_low: Option<f64>,
    /// High end of the Welch 95 % interval, dB (`null`: no interval).
    pub ci95_high: Option<f64>,
    /// Welch–Satterthwaite degrees of freedom (`null`: no interval).
    pub df: Option<f64>,
    /// The tip's fits covering the band.
    pub n: usize,
    /// The baseline's fits covering the band.
    pub n_baseline: usize,
    /// True when the tip or the baseline has a single fit here: the
    /// interval is not defined (`null`), not zero.
    pub single_fit: bool,
}

impl BandEffect {
    /// Half the width of the interval, dB.
    pub fn half_ci(&self) -> Option<f64> {
        Some(0.5 * (self.ci95_high? - self.ci95_low?))
    }
}

impl TipEffect {
    /// The band called `name`.
    pub fn band(&self, name: &str) -> Option<&BandEffect> {
        self.bands.iter().find(|b| b.band == name)
    }

    /// The notes but the one that says a single fit gives no interval
    /// (for outputs that say so already, per band).
    pub fn other_notes(&self) -> impl Iterator<Item = &String> {
        let single = single_fit_note(&self.tip, &self.baseline, self.n, self.n_baseline);
        self.notes.iter().filter(move |n| **n != single)
    }
}

/// The note of a tip effect with a single fit of the tip or the baseline.
fn single_fit_note(tip: &str, baseline: &str, n: usize, n_baseline: usize) -> String {
    let fits = |n: usize| {
        if n == 1 {
            "1 fit".to_string()
        } else {
            format!("{n} fits")
        }
    };
    format!(
        "{} of '{tip}', {} of the baseline '{baseline}': no 95 % interval where either has a single fit (Welch needs two of each)",
        fits(n),
        fits(n_baseline)
    )
}

/// The level of `fr` in `[lo, hi)` (see the module documentation): the
/// mean of the dB of the points in the band, when the response reaches
/// within [`EDGE_OCTAVES`] of both edges; `None` otherwise or when not
/// finite.
pub fn band_level(fr: &FrequencyResponse, lo: f64, hi: f64) -> Option<f64> {
    let edge = 2f64.powf(EDGE_OCTAVES);
    let (first, last) = (*fr.freq_hz.first()?, *fr.freq_hz.last()?);
    if first > lo * edge || last < hi / edge {
        return None;
    }
    let v: Vec<f64> = fr
        .freq_hz
        .iter()
        .zip(&fr.db)
        .filter(|(f, _)| **f >= lo && **f < hi)
        .map(|(_, d)| *d)
        .collect();
    if v.is_empty() {
        return None;
    }
    finite_mean(&v)
}

/// Per band of [`EFFECT_BANDS`], the level of `fr` re its level in
/// `reference` (`None` for every band when the reference band is not
/// covered).
pub fn normalised_levels(
    fr: &FrequencyResponse,
    reference: (f64, f64),
) -> Option<Vec<Option<f64>>> {
    let r = band_level(fr, reference.0, reference.1)?;
    Some(
        EFFECT_BANDS
            .iter()
            .map(|b| {
                let d = band_level(fr, b.lo_hz, b.hi_hz)? - r;
                d.is_finite().then_some(d)
            })
            .collect(),
    )
}

/// The reference band of a session: its config's, else the seal's default.
pub fn reference_band(info: &SessionInfo) -> (f64, f64) {
    info.config.as_ref().map_or_else(
        || SealConfig::default().reference_band_hz,
        |c| {
            (
                c.thresholds.reference_band_hz[0],
                c.thresholds.reference_band_hz[1],
            )
        },
    )
}

/// The baseline tip: `asked` (an error naming the tips when it is not one
/// of them), else the config's `baseline`, else the first tip (`None`: no
/// tips). A config's baseline that is not a tip of the session (a hand-
/// edited `session.json`) falls back to the first tip.
pub fn baseline_of(info: &SessionInfo, asked: Option<&str>) -> Result<Option<String>> {
    let is_tip = |n: &str| info.tips.iter().any(|t| t.name == n);
    if let Some(a) = asked {
        if !is_tip(a) {
            let names: Vec<String> = info.tips.iter().map(|t| format!("'{}'", t.name)).collect();
            bail!(
                "--baseline '{a}': not a tip of this session (its tips: {})",
                names.join(", ")
            );
        }
        return Ok(Some(a.to_string()));
    }
    let configured = info
        .config
        .as_ref()
        .and_then(|c| c.baseline.as_deref())
        .filter(|b| is_tip(b));
    Ok(configured
        .map(str::to_string)
        .or_else(|| info.tips.first().map(|t| t.name.clone())))
}

/// Per fit of `tip` (of `ear`; `None`: every fit): the normalised band
/// levels of the fits covering the reference band.
fn fit_levels(
    tip: &str,
    fits: &[FitRecord],
    info: &SessionInfo,
    ear: Option<Ear>,
    reference: (f64, f64),
) -> Vec<Vec<Option<f64>>> {
    fits.iter()
        .filter(|r| r.tip == tip && !r.skipped)
        .filter(|r| ear.is_none_or(|e| side_of(r, info.ear) == e))
        .filter_map(|r| normalised_levels(&r.response()?.frequency_response, reference))
        .collect()
}

/// The tip effect of every tip but `baseline`, in session order, from the
/// fits of `ear` (`None`: all fits, one ear).
pub fn tip_effects(
    info: &SessionInfo,
    fits: &[FitRecord],
    baseline: &str,
    ear: Option<Ear>,
) -> Vec<TipEffect> {
    let reference = reference_band(info);
    let base = fit_levels(baseline, fits, info, ear, reference);
    info.tips
        .iter()
        .filter(|t| t.name != baseline)
        .map(|t| {
            let mine = fit_levels(&t.name, fits, info, ear, reference);
            effect(&t.name, baseline, &mine, &base, reference)
        })
        .collect()
}

/// One tip's effect from its fits' normalised levels and the baseline's.
fn effect(
    tip: &str,
    baseline: &str,
    mine: &[Vec<Option<f64>>],
    base: &[Vec<Option<f64>>],
    reference: (f64, f64),
) -> TipEffect {
    let column = |fits: &[Vec<Option<f64>>], k: usize| -> Vec<f64> {
        fits.iter().filter_map(|l| l[k]).collect()
    };
    let bands: Vec<BandEffect> = EFFECT_BANDS
        .iter()
        .enumerate()
        .map(|(k, b)| {
            let (x, y) = (column(mine, k), column(base, k));
            let delta = match (finite_mean(&x), finite_mean(&y)) {
                (Some(a), Some(c)) if !x.is_empty() && !y.is_empty() => {
                    Some(a - c).filter(|d| d.is_finite())
                }
                _ => None,
            };
            let w = delta.and_then(|_| welch(&x, &y));
            BandEffect {
                band: b.name.into(),
                band_hz: [b.lo_hz, b.hi_hz],
                delta_db: delta,
                ci95_low: w.map(|w| w.ci95.0),
                ci95_high: w.map(|w| w.ci95.1),
                df: w.map(|w| w.df),
                n: x.len(),
                n_baseline: y.len(),
                single_fit: delta.is_some() && (x.len() == 1 || y.len() == 1),
            }
        })
        .collect();
    let mut notes = Vec::new();
    if mine.is_empty() || base.is_empty() {
        let (who, name) = if base.is_empty() {
            ("the baseline", baseline)
        } else {
            ("this tip", tip)
        };
        notes.push(format!(
            "no fit of {who} '{name}' covers the reference band {}-{} Hz: no tip effect",
            reference.0, reference.1
        ));
    } else {
        if bands.iter().any(|b| b.single_fit) {
            notes.push(single_fit_note(tip, baseline, mine.len(), base.len()));
        }
        let flat: Vec<&str> = bands
            .iter()
            .filter(|b| b.delta_db.is_some() && !b.single_fit && b.ci95_low.is_none())
            .map(|b| b.band.as_str())
            .collect();
        if !flat.is_empty() {
            notes.push(format!(
                "{}: the fits do not differ at all, no interval can be judged",
                flat.join(", ")
            ));
        }
        let missing: Vec<&str> = bands
            .iter()
            .filter(|b| b.delta_db.is_none())
            .map(|b| b.band.as_str())
            .collect();
        if !missing.is_empty() {
            notes.push(format!(
                "{}: not covered by the responses of both tips",
                missing.join(", ")
            ));
        }
    }
    TipEffect {
        tip: tip.into(),
        baseline: baseline.into(),
        n: mine.len(),
        n_baseline: base.len(),
        reference_band_hz: [reference.0, reference.1],
        bands,
        notes,
    }
}

impl Comparison {
    /// Compute the tip effect against `baseline` (`None`: the config's or
    /// the first tip, see [`baseline_of`]) from the session's fits, into
    /// `tip_effect` and, with both ears, `ears.right.tip_effect`. An
    /// `baseline` that is not a tip of the session is an error naming the
    /// tips.
    pub fn set_baseline(
        &mut self,
        info: &SessionInfo,
        fits: &[FitRecord],
        baseline: Option<&str>,
    ) -> Result<()> {
        let Some(b) = baseline_of(info, baseline)? else {
            self.tip_effect = Vec::new();
            return Ok(());
        };
        match self.ears.as_mut() {
            Some(e) => {
                self.tip_effect = tip_effects(info, fits, &b, Some(Ear::Left));
                e.right.tip_effect = tip_effects(info, fits, &b, Some(Ear::Right));
            }
            None => self.tip_effect = tip_effects(info, fits, &b, None),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fr(points: &[(f64, f64)]) -> FrequencyResponse {
        FrequencyResponse {
            freq_hz: points.iter().map(|p| p.0).collect(),
            db: points.iter().map(|p| p.1).collect(),
            phase_deg: None,
        }
    }

    /// Band levels by hand: the half-open band takes 60 Hz into bass, not
    /// sub-bass; the edges may be missed by 1/6 octave, not more.
    #[test]
    fn band_levels_by_hand() {
        let r = fr(&[
            (21.0, 1.0),
            (40.0, 3.0),
            (60.0, 10.0),
            (100.0, 20.0),
            (240.0, 30.0),
            (250.0, 99.0),
        ]);
        assert_eq!(band_level(&r, 20.0, 60.0), Some(2.0));
        assert_eq!(band_level(&r, 60.0, 250.0), Some(20.0));
        // Starts 1/6 octave above 20 Hz at most: 22.45 Hz would do, 23 not.
        let late = fr(&[(23.0, 1.0), (40.0, 3.0), (60.0, 0.0)]);
        assert_eq!(band_level(&late, 20.0, 60.0), None);
        let short = fr(&[(20.0, 1.0), (40.0, 3.0), (50.0, 0.0)]);
        assert_eq!(band_level(&short, 20.0, 60.0), None);
        assert_eq!(band_level(&fr(&[]), 20.0, 60.0), None);
    }

    /// A constant offset is normalised away; a step shows in its bands.
    #[test]
    fn levels_are_normalised_in_the_reference_band() {
        let grid = crate::dsp::grid::log_grid(20.0, 20_000.0, 48);
        let flat = FrequencyResponse {
            db: grid.iter().map(|_| 93.0).collect(),
            freq_hz: grid.clone(),
            phase_deg: None,
        };
        let l = normalised_levels(&flat, (300.0, 1000.0)).unwrap();
        assert!(l.iter().all(|v| v.unwrap().abs() < 1e-12), "{l:?}");
        let step = FrequencyResponse {
            db: grid
                .iter()
                .map(|f| if *f >= 5000.0 { 74.0 } else { 70.0 })
                .collect(),
            freq_hz: grid.clone(),
            phase_deg: None,
        };
        let l = normalised_levels(&step, (300.0, 1000.0)).unwrap();
        assert!(l[4].unwrap().abs() < 1e-12 && (l[5].unwrap() - 4.0).abs() < 1e-12);
        let no_mids = fr(&[(20.0, 0.0), (200.0, 0.0)]);
        assert_eq!(normalised_levels(&no_mids, (300.0, 1000.0)), None);
    }

    /// Two fits each: the Welch interval; one fit: none, flagged; a tip
    /// without data: null deltas and a note.
    #[test]
    fn effects_by_hand() {
        let v = |x: f64| vec![Some(x); 7];
        let e = effect(
            "a",
            "b",
            &[v(3.0), v(5.0)],
            &[v(0.0), v(1.0), v(2.0)],
            (300.0, 1000.0),
        );
        let bass = e.band("bass").unwrap();
        assert_eq!(bass.delta_db, Some(3.0));
        assert!(!bass.single_fit && bass.ci95_low.is_some());
        let one = effect("a", "b", &[v(3.0)], &[v(0.0), v(1.0)], (300.0, 1000.0));
        let bass = one.band("bass").unwrap();
        assert_eq!(
            (bass.delta_db, bass.ci95_low, bass.ci95_high),
            (Some(2.5), None, None)
        );
        assert!(bass.single_fit && bass.df.is_none());
        assert!(one.notes[0].contains("single fit"), "{:?}", one.notes);
        let none = effect("a", "b", &[], &[v(0.0)], (300.0, 1000.0));
        assert!(none
            .bands
            .iter()
            .all(|b| b.delta_db.is_none() && !b.single_fit));
        assert!(none.notes[0].contains("'a'"), "{:?}", none.notes);
        let same = effect(
            "a",
            "b",
            &[v(1.0), v(1.0)],
            &[v(0.0), v(0.0)],
            (300.0, 1000.0),
        );
        assert!(same.bands[0].ci95_low.is_none() && !same.bands[0].single_fit);
        assert!(same.notes[0].contains("do not differ"), "{:?}", same.notes);
    }
}
