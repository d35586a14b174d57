//! The leak corner of a tip over its fits, with censored fits kept as
//! bounds.
//!
//! A fit's corner is a value, or a bound when the fitted corner lies
//! outside what the measurement can tell ([`Corner`]: below the lowest
//! measured frequency, "< 20 Hz"; beyond the fitted range, "> 1 kHz"). A
//! bound is never used as a number:
//!
//! - every fit a value: the **geometric mean** (corners are compared on
//!   log10, as a seal spans decades) with the 95 % interval of the mean of
//!   log10 (Student t), `10^(m -+ t s / sqrt n)`: never at or below zero,
//!   never symmetric in Hz. One fit: the value, no interval.
//! - some fits bounds: the **median**, counting a "below" fit under every
//!   value and an "above" fit over every value (what a bound does say). No
//!   interval. When the middle falls on bounds the median is itself a bound
//!   ("median < 20 Hz"); with one bound and one value in the middle of an
//!   even count, the value bounds it (the median lies between them).
//! - every fit a bound on the same side: that bound ("all 5 fits < 20 Hz").

use super::stats::Stat;
pub use crate::analysis::seal::Corner;
use serde::{Deserialize, Serialize};

/// How a tip's corner was summarised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CornerMethod {
    /// Every fit a value: geometric mean (with its interval from two fits).
    GeometricMean,
    /// Some fits are bounds: the median (no interval).
    Median,
    /// Every fit a bound on the same side.
    Bound,
}

/// A tip's leak corner over its fits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CornerStat {
    /// Fits with a corner (a value or a bound).
    pub n: usize,
    /// Fits whose corner is below the measured range.
    pub below: usize,
    /// Fits whose corner is beyond the fitted range.
    pub above: usize,
    /// How `centre` was found.
    pub method: CornerMethod,
    /// The corner shown for the tip: a value (geometric mean or median) or a
    /// bound. `None` when the median falls between a "below" and an
    /// "above" fit (undetermined).
    pub centre: Option<Corner>,
    /// The 95 % interval of the geometric mean, Hz (two or more fits, every
    /// one a value; else `None`).
    pub ci95_low_hz: Option<f64>,
    /// Upper end of that interval, Hz.
    pub ci95_high_hz: Option<f64>,
    /// The statistics of log10(corner / Hz) over the fits (every one a
    /// value; else `None`): what rankings compare.
    pub log10: Option<Stat>,
    /// The bound of the "below" fits, Hz: all are below it (the largest of
    /// their bounds).
    pub below_hz: Option<f64>,
    /// The bound of the "above" fits, Hz: all are above it (the smallest).
    pub above_hz: Option<f64>,
}

impl CornerStat {
    /// The statistic of `corners` (`None` when empty or a value is not a
    /// positive finite number).
    pub fn of(corners: &[Corner]) -> Option<CornerStat> {
        if corners.is_empty()
            || corners
                .iter()
                .any(|c| !(c.hz().is_finite() && c.hz() > 0.0))
        {
            return None;
        }
        let n = corners.len();
        let below_hz = corners
            .iter()
            .filter(|c| matches!(c, Corner::Below { .. }))
            .map(|c| c.hz())
            .reduce(f64::max);
        let above_hz = corners
            .iter()
            .filter(|c| matches!(c, Corner::Above { .. }))
            .map(|c| c.hz())
            .reduce(f64::min);
        let below = corners
            .iter()
            .filter(|c| matches!(c, Corner::Below { .. }))
            .count();
        let above = corners
            .iter()
            .filter(|c| matches!(c, Corner::Above { .. }))
            .count();
        let mut s = CornerStat {
            n,
            below,
            above,
            method: CornerMethod::GeometricMean,
            centre: None,
            ci95_low_hz: None,
            ci95_high_hz: None,
            log10: None,
            below_hz,
            above_hz,
        };
        if below == 0 && above == 0 {
            let logs: Vec<f64> = corners.iter().map(|c| c.hz().log10()).collect();
            let log10 = Stat::of(&logs)?;
            let hz = log10.pow10();
            // One fit: its own value (10^log10 may differ in the last bit).
            let centre = if n == 1 { corners[0].hz() } else { hz.mean };
            s.centre = Some(Corner::Value { hz: centre });
            s.ci95_low_hz = hz.ci95_low;
            s.ci95_high_hz = hz.ci95_high;
            s.log10 = Some(log10);
            return Some(s);
        }
        if below == n {
            s.method = CornerMethod::Bound;
            s.centre = below_hz.map(|hz| Corner::Below { hz });
            return Some(s);
        }
        if above == n {
            s.method = CornerMethod::Bound;
            s.centre = above_hz.map(|hz| Corner::Above { hz });
            return Some(s);
        }
        s.method = CornerMethod::Median;
        s.centre = censored_median(corners, below_hz, above_hz);
        Some(s)
    }

    /// The centre's value in Hz when it is a value (not a bound).
    pub fn value_hz(&self) -> Option<f64> {
        match self.centre? {
            Corner::Value { hz } => Some(hz),
            _ => None,
        }
    }

    /// The 95 % interval, Hz, when there is one.
    pub fn interval_hz(&self) -> Option<(f64, f64)> {
        Some((self.ci95_low_hz?, self.ci95_high_hz?))
    }
}

/// Order key of a corner in the median: "below" fits under every value,
/// "above" fits over every value.
fn key(c: &Corner) -> f64 {
    match c {
        Corner::Below { .. } => f64::NEG_INFINITY,
        Corner::Value { hz } => hz.log10(),
        Corner::Above { .. } => f64::INFINITY,
    }
}

/// The median of corners some of which are bounds (see the module
/// documentation); the values of the middle pair of an even count are
/// combined on log10 (their geometric mean).
fn censored_median(
    corners: &[Corner],
    below_hz: Option<f64>,
    above_hz: Option<f64>,
) -> Option<Corner> {
    let mut v = corners.to_vec();
    v.sort_by(|a, b| key(a).total_cmp(&key(b)));
    let n = v.len();
    let one = |c: Corner| match c {
        Corner::Below { .. } => below_hz.map(|hz| Corner::Below { hz }),
        Corner::Above { .. } => above_hz.map(|hz| Corner::Above { hz }),
        value => Some(value),
    };
    if n % 2 == 1 {
        return one(v[n / 2]);
    }
    match (v[n / 2 - 1], v[n / 2]) {
        (Corner::Value { hz: a }, Corner::Value { hz: b }) => {
            Some(Corner::Value { hz: (a * b).sqrt() })
        }
        // The median lies between a "below" fit and a value: below the value.
        (Corner::Below { .. }, Corner::Value { hz }) => Some(Corner::Below { hz }),
        // Between a value and an "above" fit: above the value.
        (Corner::Value { hz }, Corner::Above { .. }) => Some(Corner::Above { hz }),
        (Corner::Below { .. }, Corner::Below { .. }) => below_hz.map(|hz| Corner::Below { hz }),
        (Corner::Above { .. }, Corner::Above { .. }) => above_hz.map(|hz| Corner::Above { hz }),
        // Between a "below" and an "above" fit: undetermined.
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(hz: f64) -> Corner {
        Corner::Value { hz }
    }
    fn lo(hz: f64) -> Corner {
        Corner::Below { hz }
    }
    fn hi(hz: f64) -> Corner {
        Corner::Above { hz }
    }

    /// 10, 100, 1000 Hz: log10 1, 2, 3, mean 2, SD 1, t(2) = 4.303, so the
    /// geometric mean is 100 Hz and the interval 10^(2 -+ 4.303 / sqrt 3)
    /// = 10^(2 -+ 2.4843) = 0.3278 .. 30 503 Hz: wide, but above zero.
    #[test]
    fn geometric_mean_and_log_interval_by_hand() {
        let s = CornerStat::of(&[v(10.0), v(100.0), v(1000.0)]).unwrap();
        assert_eq!(s.method, CornerMethod::GeometricMean);
        let c = s.value_hz().unwrap();
        assert!((c - 100.0).abs() < 1e-9, "{c}");
        let (l, h) = s.interval_hz().unwrap();
        assert!((l / 0.3278 - 1.0).abs() < 2e-3, "{l}");
        assert!((h / 30_503.0 - 1.0).abs() < 2e-3, "{h}");
        assert!(l > 0.0 && l < c && h > c);
        // Two fits 1000 and 4000 Hz: the linear mean's interval would reach
        // below zero; the geometric mean 2000 Hz and its interval stay
        // positive.
        let two = CornerStat::of(&[v(1000.0), v(4000.0)]).unwrap();
        assert!((two.value_hz().unwrap() - 2000.0).abs() < 1e-6);
        let (l, h) = two.interval_hz().unwrap();
        assert!(l > 0.0 && l < 2000.0 && h > 2000.0, "{l} {h}");
    }

    #[test]
    fn one_fit_has_no_interval() {
        let s = CornerStat::of(&[v(118.0)]).unwrap();
        assert_eq!(s.value_hz(), Some(118.0));
        assert_eq!(s.interval_hz(), None);
        assert_eq!(s.log10.as_ref().unwrap().sd, None);
    }

    #[test]
    fn all_bounds_are_a_bound_not_a_number() {
        let s = CornerStat::of(&[lo(20.3), lo(20.3), lo(15.0)]).unwrap();
        assert_eq!(s.method, CornerMethod::Bound);
        // All are below the largest bound.
        assert_eq!(s.centre, Some(lo(20.3)));
        assert_eq!((s.below, s.above, s.n), (3, 0, 3));
        assert!(s.log10.is_none() && s.interval_hz().is_none());
        let s = CornerStat::of(&[hi(1000.0); 5]).unwrap();
        assert_eq!(s.centre, Some(hi(1000.0)));
        assert_eq!(s.above, 5);
    }

    /// Medians with bounds, by hand.
    #[test]
    fn censored_medians_by_hand() {
        // 300, 500, >1000, >1000, 400 -> sorted 300 400 500 >1k >1k: 500.
        let s = CornerStat::of(&[v(300.0), v(500.0), hi(1000.0), hi(1000.0), v(400.0)]).unwrap();
        assert_eq!(s.method, CornerMethod::Median);
        assert_eq!(s.centre, Some(v(500.0)));
        assert_eq!((s.above, s.below), (2, 0));
        assert!(s.interval_hz().is_none() && s.log10.is_none());
        // 300, >1k, >1k: the middle is a bound.
        let s = CornerStat::of(&[v(300.0), hi(1000.0), hi(1000.0)]).unwrap();
        assert_eq!(s.centre, Some(hi(1000.0)));
        // Even count: 100 and 400 in the middle -> sqrt(100 x 400) = 200.
        let s = CornerStat::of(&[lo(15.0), v(100.0), v(400.0), hi(1000.0)]).unwrap();
        assert_eq!(s.centre, Some(v(200.0)));
        // <20, 60: the median is below 60 Hz.
        let s = CornerStat::of(&[lo(20.0), v(60.0)]).unwrap();
        assert_eq!(s.centre, Some(lo(60.0)));
        // 60, >1k: above 60 Hz.
        let s = CornerStat::of(&[v(60.0), hi(1000.0)]).unwrap();
        assert_eq!(s.centre, Some(hi(60.0)));
        // <20, >1k: nothing can be said.
        let s = CornerStat::of(&[lo(20.0), hi(1000.0)]).unwrap();
        assert_eq!(s.centre, None);
        assert_eq!((s.below, s.above), (1, 1));
    }

    #[test]
    fn bad_values_and_empty_give_nothing() {
        assert!(CornerStat::of(&[]).is_none());
        assert!(CornerStat::of(&[v(f64::NAN)]).is_none());
        assert!(CornerStat::of(&[v(0.0), v(10.0)]).is_none());
    }

    #[test]
    fn corners_serialise_as_kind_and_hz() {
        let j = serde_json::to_value(lo(15.0)).unwrap();
        assert_eq!(j, serde_json::json!({"kind": "below", "hz": 15.0}));
        let back: Corner =
            serde_json::from_value(serde_json::json!({"kind": "above", "hz": 1000.0})).unwrap();
        assert_eq!(back, hi(1000.0));
        let m = serde_json::to_value(CornerMethod::GeometricMean).unwrap();
        assert_eq!(m, serde_json::json!("geometric_mean"));
    }
}
