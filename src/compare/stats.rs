//! The statistics behind a comparison, free of fits and tips: mean, sample
//! SD and the 95 % confidence interval of the mean (Student t), the median,
//! robust z-scores for outliers (Iglewicz & Hoaglin 1993), the fit-to-fit
//! spread of curves on a common grid, and the Welch interval of a
//! difference of two means (Student t at the Welch–Satterthwaite degrees of
//! freedom, which need not be whole: [`t_quantile`]).

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

/// A difference of two means with its Welch interval ([`welch`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Welch {
    /// `mean(x) - mean(y)`.
    pub diff: f64,
    /// Its standard error, `sqrt(sx²/nx + sy²/ny)`.
    pub se: f64,
    /// Welch–Satterthwaite degrees of freedom,
    /// `se⁴ / ((sx²/nx)²/(nx-1) + (sy²/ny)²/(ny-1))` (not whole in general).
    pub df: f64,
    /// The 97.5 % Student t quantile at `df`.
    pub t: f64,
    /// The 95 % interval, `diff ∓ t·se`.
    pub ci95: (f64, f64),
}

/// The Welch t interval of `mean(x) - mean(y)` (95 %, two-sided). `None`
/// when either sample has fewer than two values (no variance to judge by:
/// there is no interval, not a zero-width one), when both samples have no
/// spread at all (the degrees of freedom are 0/0), or when a value or a
/// statistic is not finite.
pub fn welch(x: &[f64], y: &[f64]) -> Option<Welch> {
    if x.len() < 2 || y.len() < 2 {
        return None;
    }
    let (sx, sy) = (Stat::of(x)?, Stat::of(y)?);
    let (nx, ny) = (x.len() as f64, y.len() as f64);
    let (vx, vy) = (sx.sd?.powi(2) / nx, sy.sd?.powi(2) / ny);
    let se2 = vx + vy;
    let diff = sx.mean - sy.mean;
    if !(se2 > 0.0 && se2.is_finite() && diff.is_finite()) {
        return None;
    }
    let df = se2 * se2 / (vx * vx / (nx - 1.0) + vy * vy / (ny - 1.0));
    if !df.is_finite() {
        return None;
    }
    let t = t_quantile(0.975, df);
    let se = se2.sqrt();
    let half = t * se;
    let ci95 = (diff - half, diff + half);
    (ci95.0.is_finite() && ci95.1.is_finite()).then_some(Welch {
        diff,
        se,
        df,
        t,
        ci95,
    })
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error about 1e-15).
fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // reflection: Γ(x) Γ(1 - x) = π / sin(π x)
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = G[0];
    let t = x + 7.5;
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The continued fraction of the incomplete beta function (modified Lentz;
/// Numerical Recipes, 2nd ed., `betacf`).
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=300 {
        let m = m as f64;
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        d = if d.abs() < TINY { TINY } else { d };
        c = 1.0 + aa / c;
        c = if c.abs() < TINY { TINY } else { c };
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-15 {
            break;
        }
    }
    h
}

/// The regularized incomplete beta function I_x(a, b), 0 ≤ x ≤ 1.
fn inc_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_cf(a, b, x) / a
    } else {
        1.0 - front * beta_cf(b, a, 1.0 - x) / b
    }
}

/// One-sided Student t quantile `t(p, df)` for 0.5 < p < 1 and any real
/// `df` > 0 (the Welch–Satterthwaite degrees of freedom are not whole):
/// bisection on `P(|T| ≤ t) = 1 - I_{df/(df+t²)}(df/2, 1/2)`. Agrees with
/// [`student_t_quantile`] at whole `df` (tested to 1e-9).
pub fn t_quantile(p: f64, df: f64) -> f64 {
    let df = df.clamp(1e-3, 1e7);
    let target = 2.0 * p - 1.0;
    let two_sided = |t: f64| 1.0 - inc_beta(0.5 * df, 0.5, df / (df + t * t));
    let mut hi = 1.0;
    while two_sided(hi) < target && hi < 1e12 {
        hi *= 2.0;
    }
    let mut lo = 0.0;
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if two_sided(mid) < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
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

    /// At whole degrees of freedom the real-df quantile is the exact one;
    /// at fractional ones it matches values computed with mpmath (30
    /// digits, `findroot` on `betainc`), and it lies between its whole
    /// neighbours.
    #[test]
    fn t_quantile_of_real_degrees_of_freedom() {
        for df in 1..=40 {
            let exact = student_t_quantile(0.975, df);
            assert!(close(t_quantile(0.975, df as f64), exact, 1e-9), "df {df}");
        }
        assert!(close(t_quantile(0.975, 120.0), 1.979_930, 1e-6));
        for (df, t) in [
            (1.8972, 4.533_975_603_680_557),
            (2.5, 3.574_654_842_003_681),
            (7.5, 2.333_039_626_864_974),
            (30.3, 2.041_424_872_699_853),
            (100.7, 1.983_802_650_108_761),
        ] {
            assert!(close(t_quantile(0.975, df), t, 1e-9), "df {df}");
            let (lo, hi) = (t975(df.ceil() as usize + 1), t975(df.floor() as usize + 1));
            assert!(lo < t && t < hi, "df {df}");
        }
    }

    /// Welch by hand. Equal sizes and spreads: x = 3, 4, 5 and y = 0, 1, 2
    /// have means 4 and 1 and variances 1, so se² = 1/3 + 1/3 = 2/3 and
    /// df = (2/3)² / ((1/3)²/2 + (1/3)²/2) = 4; with t(0.975, 4) = 2.776
    /// (printed table) the interval is 3 ± 2.776 x 0.8165 = 3 ± 2.2669.
    /// Unequal: x = 1, 2, 3, 4 (mean 2.5, variance 5/3) minus y = 0, 2
    /// (mean 1, variance 2): se² = 5/12 + 1 = 17/12, df = (17/12)² /
    /// ((5/12)²/3 + 1²/1) = 867/457 = 1.89716, t(0.975, 1.89716) = 4.53409
    /// (mpmath), so 1.5 ± 4.53409 x 1.19024 = 1.5 ± 5.39664.
    #[test]
    fn welch_interval_by_hand() {
        let w = welch(&[3.0, 4.0, 5.0], &[0.0, 1.0, 2.0]).unwrap();
        assert!(close(w.diff, 3.0, 1e-12));
        assert!(close(w.df, 4.0, 1e-12), "{w:?}");
        assert!(close(w.se, (2.0f64 / 3.0).sqrt(), 1e-12));
        assert!(close(w.t, 2.776, 1e-3), "{w:?}");
        assert!(close(w.ci95.0, 3.0 - 2.2669, 1e-3), "{w:?}");
        assert!(close(w.ci95.1, 3.0 + 2.2669, 1e-3), "{w:?}");
        let u = welch(&[1.0, 2.0, 3.0, 4.0], &[0.0, 2.0]).unwrap();
        assert!(close(u.diff, 1.5, 1e-12));
        assert!(close(u.df, 867.0 / 457.0, 1e-12), "{u:?}");
        assert!(close(u.se, (17.0f64 / 12.0).sqrt(), 1e-12));
        assert!(close(u.t, 4.534_085_204, 1e-8), "{u:?}");
        assert!(close(u.ci95.0, 1.5 - 5.396_640_829, 1e-7), "{u:?}");
        assert!(close(u.ci95.1, 1.5 + 5.396_640_829, 1e-7), "{u:?}");
        // No interval from one value, from no spread, from odd values.
        assert_eq!(welch(&[1.0], &[0.0, 2.0]), None);
        assert_eq!(welch(&[1.0, 2.0], &[3.0]), None);
        assert_eq!(welch(&[1.0, 1.0], &[3.0, 3.0, 3.0]), None);
        assert_eq!(welch(&[1.0, f64::NAN], &[3.0, 4.0]), None);
        // One sample without spread: all the variance is the other's, df = n - 1.
        let one = welch(&[1.0, 1.0, 1.0], &[0.0, 1.0, 2.0]).unwrap();
        assert!(
            close(one.df, 2.0, 1e-12) && close(one.t, 4.303, 1e-3),
            "{one:?}"
        );
    }
}
