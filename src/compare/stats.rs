//! The statistics behind a comparison, free of fits and tips: mean, sample
//! SD and the 95 % confidence interval of the mean (Student t), the median,
//! robust z-scores for outliers (Iglewicz & Hoaglin 1993) and the
//! fit-to-fit spread of curves on a common grid.

use crate::analysis::ratings::{sample_sd, student_t_quantile};
use serde::{Deserialize, Serialize};

/// Mean and spread of one quantity over fits. One value has no spread and
/// no interval: `sd` and the interval are then `None` (`null` in JSON), so
/// no display can show "± 0.0" or "[x-x]" from a single fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    /// Number of values.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Sample standard deviation (`None` for one value).
    pub sd: Option<f64>,
    /// Lower end of the 95 % confidence interval of the mean (`None` for
    /// one value).
    pub ci95_low: Option<f64>,
    /// Upper end of the 95 % confidence interval of the mean (`None` for
    /// one value).
    pub ci95_high: Option<f64>,
}

impl Stat {
    /// Statistics of `v` (`None` when empty, when a value is not finite or
    /// when a statistic would not be: values so huge that even the scaled
    /// arithmetic overflows).
    pub fn of(v: &[f64]) -> Option<Stat> {
        Self::of_with_t(v, t975(v.len()))
    }

    /// [`Stat::of`] with the interval factor `t = t975(v.len())` given:
    /// computed once for many statistics over the same number of values
    /// (the quantile is a bisection, too slow for every grid point).
    pub(crate) fn of_with_t(v: &[f64], t: f64) -> Option<Stat> {
        if v.is_empty() || v.iter().any(|x| !x.is_finite()) {
            return None;
        }
        let n = v.len();
        let scale = overflow_scale(v);
        let u: Vec<f64> = v.iter().map(|x| x / scale).collect();
        let mean = u.iter().sum::<f64>() / n as f64 * scale;
        let (sd, half) = if n > 1 {
            let sd = sample_sd(&u) * scale;
            (Some(sd), Some(t * sd / (n as f64).sqrt()))
        } else {
            (None, None)
        };
        let s = Stat {
            n,
            mean,
            sd,
            ci95_low: half.map(|h| mean - h),
            ci95_high: half.map(|h| mean + h),
        };
        [Some(s.mean), s.sd, s.ci95_low, s.ci95_high]
            .iter()
            .flatten()
            .all(|x| x.is_finite())
            .then_some(s)
    }

    /// The standard error of the mean, `sd / sqrt(n)` (0 for one value:
    /// there is no spread to judge by).
    pub fn standard_error(&self) -> f64 {
        self.sd.map_or(0.0, |sd| sd / (self.n as f64).sqrt())
    }

    /// The 95 % interval of the mean, `(low, high)` (`None` for one value).
    pub fn interval(&self) -> Option<(f64, f64)> {
        Some((self.ci95_low?, self.ci95_high?))
    }

    /// The statistics of `-x`: mean and interval negated (SD unchanged).
    pub fn negated(&self) -> Stat {
        Stat {
            mean: -self.mean,
            ci95_low: self.ci95_high.map(|x| -x),
            ci95_high: self.ci95_low.map(|x| -x),
            ..self.clone()
        }
    }

    /// `10^x` of statistics over log10 values: the geometric mean and its
    /// interval (always above zero; `sd` stays in decades).
    pub fn pow10(&self) -> Stat {
        let p = |x: f64| 10f64.powf(x);
        Stat {
            mean: p(self.mean),
            ci95_low: self.ci95_low.map(p),
            ci95_high: self.ci95_high.map(p),
            ..self.clone()
        }
    }
}

/// The factor of a 95 % interval of the mean of `n` values: the 97.5 %
/// Student t quantile with `n - 1` degrees of freedom (0 for one value).
pub fn t975(n: usize) -> f64 {
    if n > 1 {
        student_t_quantile(0.975, n - 1)
    } else {
        0.0
    }
}

/// Huge (finite) values would overflow sums and squares: statistics are
/// computed on the values divided by this power of two (exact), then
/// scaled back. 1 unless a value exceeds 1e150.
fn overflow_scale(v: &[f64]) -> f64 {
    let big = v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    if big > 1e150 {
        2f64.powi(big.log2().floor() as i32)
    } else {
        1.0
    }
}

/// The mean of `v`, safe from overflow however huge the values (`None`:
/// empty, or a value not finite).
pub fn finite_mean(v: &[f64]) -> Option<f64> {
    let scale = overflow_scale(v);
    let m = v.iter().map(|x| x / scale).sum::<f64>() / v.len() as f64 * scale;
    m.is_finite().then_some(m)
}

/// The median of `v` (sorted in place; the mean of the middle two for an
/// even count). `v` must not be empty.
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// The modified z-score above which a value is an outlier.
pub const OUTLIER_Z: f64 = 3.5;

/// Values of `(id, value)` more than [`OUTLIER_Z`] modified z-scores
/// (`0.6745 (x - median) / MAD`) from the median and further than
/// `min_dev` from it (so near-identical values do not flag noise), as
/// `(id, value, robust z)`. Fewer than three values, or a MAD of zero,
/// flag nothing.
pub fn robust_outliers(values: &[(usize, f64)], min_dev: f64) -> Vec<(usize, f64, f64)> {
    let mut v: Vec<f64> = values.iter().map(|p| p.1).collect();
    if v.len() < 3 {
        return Vec::new();
    }
    let centre = median(&mut v);
    let mut dev: Vec<f64> = values.iter().map(|p| (p.1 - centre).abs()).collect();
    let mad = median(&mut dev);
    if mad <= 1e-9 {
        return Vec::new();
    }
    values
        .iter()
        .map(|&(id, value)| (id, value, 0.6745 * (value - centre) / mad))
        .filter(|p| p.2.is_finite() && p.2.abs() > OUTLIER_Z && (p.1 - centre).abs() > min_dev)
        .collect()
}

/// The spread of curves sampled on one grid, `(id, values)` each: the
/// largest per-point sample SD over the curves, and the pairs of ids
/// whose curves differ somewhere by more than `limit`. `None` (and no
/// pairs) with fewer than two curves.
pub fn curve_spread(
    curves: &[(usize, Vec<f64>)],
    limit: f64,
) -> (Option<f64>, Vec<(usize, usize)>) {
    if curves.len() < 2 {
        return (None, Vec::new());
    }
    let len = curves.iter().map(|c| c.1.len()).min().unwrap_or(0);
    let t = t975(curves.len());
    let max_sd = (0..len)
        .filter_map(|k| Stat::of_with_t(&curves.iter().map(|c| c.1[k]).collect::<Vec<_>>(), t))
        .filter_map(|s| s.sd)
        .fold(0.0, f64::max);
    let mut pairs = Vec::new();
    for (i, a) in curves.iter().enumerate() {
        for b in &curves[i + 1..] {
            if a.1.iter().zip(&b.1).any(|(x, y)| (x - y).abs() > limit) {
                pairs.push((a.0, b.0));
            }
        }
    }
    (Some(max_sd), pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn finite_mean_of_huge_values_does_not_overflow() {
        assert_eq!(finite_mean(&[1.0, 2.0, 3.0]), Some(2.0));
        assert_eq!(finite_mean(&[1e308, 1.5e308]), Some(1.25e308));
        assert_eq!(finite_mean(&[-1.7e308, -1.7e308]), Some(-1.7e308));
        assert_eq!(finite_mean(&[]), None);
        assert_eq!(finite_mean(&[1.0, f64::NAN]), None);
        assert_eq!(finite_mean(&[1.0, f64::INFINITY]), None);
    }

    #[test]
    fn stat_of_known_values() {
        let s = Stat::of(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        assert_eq!(s.mean, 3.0);
        assert!((s.sd.unwrap() - 1.5811).abs() < 1e-4);
        // t(0.975, 4) = 2.776
        assert!((s.ci95_high.unwrap() - 3.0 - 2.776 * 1.5811 / 5f64.sqrt()).abs() < 1e-2);
        assert!(Stat::of(&[]).is_none());
    }

    /// Two-sided 95 % critical values of Student's t from a printed table
    /// (e.g. NIST/SEMATECH e-Handbook, table 1.3.6.7.2).
    #[test]
    fn t_factor_matches_the_printed_table() {
        for (df, t) in [
            (1, 12.706),
            (2, 4.303),
            (3, 3.182),
            (4, 2.776),
            (5, 2.571),
            (9, 2.262),
            (10, 2.228),
            (19, 2.093),
            (29, 2.045),
            (100, 1.984),
        ] {
            assert!(close(t975(df + 1), t, 1.5e-3), "df {df}: {}", t975(df + 1));
        }
        assert_eq!(t975(1), 0.0);
        assert_eq!(t975(0), 0.0);
    }

    /// Hand-computed: 2, 4, 4, 4, 5, 5, 7, 9 has mean 5, squared deviations
    /// summing to 32, so SD = sqrt(32 / 7) = 2.13809; with t(7) = 2.365 the
    /// interval is 5 ± 2.365 x 2.13809 / sqrt(8) = 5 ± 1.7878.
    #[test]
    fn stat_interval_by_hand() {
        let s = Stat::of(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]).unwrap();
        assert_eq!(s.n, 8);
        assert_eq!(s.mean, 5.0);
        assert!(close(s.sd.unwrap(), 2.13809, 1e-5), "{:?}", s.sd);
        let (lo, hi) = s.interval().unwrap();
        assert!(close(lo, 5.0 - 1.7878, 2e-3), "{lo}");
        assert!(close(hi, 5.0 + 1.7878, 2e-3), "{hi}");
        assert!(close(s.standard_error(), 2.13809 / 8f64.sqrt(), 1e-5));
        // One value: a mean, no spread, no interval.
        let one = Stat::of(&[7.5]).unwrap();
        assert_eq!((one.mean, one.sd, one.interval()), (7.5, None, None));
        assert_eq!(one.standard_error(), 0.0);
        // Over log10 values: the geometric mean 10^mean, the interval
        // 10^(mean -+ half), above zero however wide.
        let logs = Stat::of(&[1.0, 3.0]).unwrap();
        let g = logs.pow10();
        assert!(close(g.mean, 100.0, 1e-9));
        let (glo, ghi) = g.interval().unwrap();
        assert!(glo > 0.0 && glo < g.mean && ghi > g.mean, "{g:?}");
        assert!(Stat::of(&[1.0, f64::NAN]).is_none());
        let neg = s.negated();
        assert_eq!(neg.mean, -5.0);
        assert_eq!(neg.interval(), Some((-hi, -lo)));
        assert_eq!(neg.sd, s.sd);
        assert_eq!(one.negated().interval(), None);
    }

    #[test]
    fn medians_by_hand() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&mut [5.0]), 5.0);
        assert_eq!(median(&mut [-1.0, 10.0]), 4.5);
        assert_eq!(median(&mut [2.0, 2.0, 9.0, 2.0, -7.0]), 2.0);
    }

    #[test]
    fn mad_flags_the_odd_fit_only() {
        let v: Vec<(usize, f64)> = [0.1, -0.2, 0.0, 0.15, -12.0]
            .iter()
            .enumerate()
            .map(|(i, x)| (i + 1, *x))
            .collect();
        let o = robust_outliers(&v, 1.0);
        assert!(robust_outliers(&v, 20.0).is_empty());
        assert_eq!(o.len(), 1);
        assert_eq!(o[0].0, 5);
    }

    /// 1, 2, 3, 4, 100: median 3, absolute deviations 2, 1, 0, 1, 97 with
    /// median (MAD) 1, so the modified z of 100 is 0.6745 x 97 = 65.4265;
    /// 1's is -1.349, inside 3.5.
    #[test]
    fn robust_z_by_hand() {
        let v: Vec<(usize, f64)> = [1.0, 2.0, 3.0, 4.0, 100.0]
            .iter()
            .enumerate()
            .map(|(i, x)| (i + 1, *x))
            .collect();
        let o = robust_outliers(&v, 0.0);
        assert_eq!(o.len(), 1);
        assert_eq!((o[0].0, o[0].1), (5, 100.0));
        assert!(close(o[0].2, 65.4265, 1e-9), "{}", o[0].2);
        // Identical values: MAD 0, nothing flagged; two values: too few.
        assert!(robust_outliers(&[(1, 1.0), (2, 1.0), (3, 1.0), (4, 9.0)], 0.0).is_empty());
        assert!(robust_outliers(&[(1, 1.0), (2, 50.0)], 0.0).is_empty());
    }

    /// Two curves 2 dB apart everywhere: the SD of {x, x + 2} is sqrt(2);
    /// they differ by more than 1.5 dB, not by more than 2.5 dB.
    #[test]
    fn curve_spread_by_hand() {
        let a = vec![0.0, 1.0, -3.0];
        let b: Vec<f64> = a.iter().map(|x| x + 2.0).collect();
        let curves = vec![(1, a.clone()), (2, b)];
        let (sd, pairs) = curve_spread(&curves, 1.5);
        assert!(close(sd.unwrap(), 2f64.sqrt(), 1e-12));
        assert_eq!(pairs, vec![(1, 2)]);
        assert!(curve_spread(&curves, 2.5).1.is_empty());
        let three = vec![(1, a.clone()), (2, a.clone()), (7, vec![0.0, 4.0, -3.0])];
        // Middle point: 1, 1, 4 has mean 2 and SD sqrt((1 + 1 + 4) / 2) = sqrt(3).
        let (sd, pairs) = curve_spread(&three, 2.5);
        assert!(close(sd.unwrap(), 3f64.sqrt(), 1e-12));
        assert_eq!(pairs, vec![(1, 7), (2, 7)]);
        assert_eq!(curve_spread(&[(1, a)], 1.0), (None, Vec::new()));
    }
}
