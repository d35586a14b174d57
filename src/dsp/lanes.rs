//! Whole-buffer reductions (sums, peaks) written so that the compiler
//! vectorises them: eight independent partial results, combined at the
//! end. A plain running `sum()` in f64 waits on its last add at every
//! sample (about a millisecond per million samples, several times per
//! recording); these run at the speed of memory. They differ from a
//! running sum only in rounding (the partial sums are combined in a fixed
//! order, so results are the same on every run).

/// Lanes of the partial results.
const LANES: usize = 8;

/// `sum f(v)` over `x`, in f64.
pub fn sum_by(x: &[f32], f: impl Fn(f32) -> f64) -> f64 {
    let mut acc = [0f64; LANES];
    let chunks = x.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for j in 0..LANES {
            acc[j] += f(c[j]);
        }
    }
    let tail: f64 = rest.iter().map(|&v| f(v)).sum();
    acc.iter().sum::<f64>() + tail
}

/// The largest `|v|` of `x` (0 for an empty slice; NaNs are passed over).
pub fn peak_abs(x: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let chunks = x.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for j in 0..LANES {
            acc[j] = acc[j].max(c[j].abs());
        }
    }
    rest.iter().chain(&acc).fold(0f32, |m, v| m.max(v.abs()))
}

/// The index of the last sample of `x` with the largest `|v|` (0 for an
/// empty or all-NaN slice).
pub fn last_peak(x: &[f32]) -> usize {
    let top = peak_abs(x);
    let is_top = |v: &f32| v.abs() == top;
    // the first one, then a count of any others (which vectorises; a
    // backward search would run over the whole buffer, the peak of an
    // impulse response being near its start)
    match x.iter().position(is_top) {
        Some(first) if !x[first + 1..].iter().fold(false, |any, v| any | is_top(v)) => first,
        Some(_) => x.iter().rposition(is_top).unwrap_or(0),
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values whose sums and peaks are known in closed form, at lengths
    /// around the lane count (the remainder path).
    #[test]
    fn reductions_equal_the_closed_forms() {
        for n in [0usize, 1, 7, 8, 9, 17, 1000, 1003] {
            // 1, -2, 3, -4, ...: |v| = k + 1, sum of squares n(n+1)(2n+1)/6
            let x: Vec<f32> = (0..n)
                .map(|k| {
                    if k % 2 == 0 {
                        (k + 1) as f32
                    } else {
                        -((k + 1) as f32)
                    }
                })
                .collect();
            let squares = (n * (n + 1) * (2 * n + 1) / 6) as f64;
            assert_eq!(sum_by(&x, |v| (v as f64).powi(2)), squares, "n {n}");
            assert_eq!(peak_abs(&x), n as f32, "n {n}");
            assert_eq!(last_peak(&x), n.saturating_sub(1), "n {n}");
        }
    }

    #[test]
    fn the_last_of_equal_peaks_and_nans_passed_over() {
        let x = [0.5f32, -2.0, 1.0, 2.0, f32::NAN, -1.0];
        assert_eq!(peak_abs(&x), 2.0);
        assert_eq!(last_peak(&x), 3);
        assert_eq!(peak_abs(&[f32::NAN; 20]), 0.0);
        assert_eq!(last_peak(&[f32::NAN; 20]), 0);
    }
}
