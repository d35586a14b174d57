//! Band-limited interpolation for the simulated clock drift between the
//! player's and the recorder's clocks: a Kaiser-windowed sinc kernel, flat
//! within 0.01 dB up to 0.42 of the sample rate.

use std::f64::consts::PI;

const HALF_TAPS: isize = 32;
const KAISER_BETA: f64 = 9.0;

fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let q = x * x / 4.0;
    for k in 1..60 {
        term *= q / (k * k) as f64;
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

fn kernel(t: f64) -> f64 {
    let half = HALF_TAPS as f64;
    if t.abs() >= half {
        return 0.0;
    }
    let sinc = if t.abs() < 1e-12 {
        1.0
    } else {
        (PI * t).sin() / (PI * t)
    };
    let r = t / half;
    sinc * bessel_i0(KAISER_BETA * (1.0 - r * r).max(0.0).sqrt()) / bessel_i0(KAISER_BETA)
}

/// Value of the band-limited signal `x` at fractional index `pos`.
pub fn value_at(x: &[f64], pos: f64) -> f64 {
    let centre = pos.floor() as isize;
    let frac = pos - centre as f64;
    let mut acc = 0.0;
    for i in (-HALF_TAPS + 1)..=HALF_TAPS {
        let idx = centre + i;
        if idx < 0 || idx as usize >= x.len() {
            continue;
        }
        acc += x[idx as usize] * kernel(i as f64 - frac);
    }
    acc
}

/// Steps per sample of the tabulated kernel ([`value_at_tabled`]).
const TABLE_STEPS: usize = 1024;

/// Taps of the kernel, `-HALF_TAPS + 1 ..= HALF_TAPS` around the centre.
const TAPS: usize = 2 * HALF_TAPS as usize;

/// The kernel's taps for each fractional position `j / TABLE_STEPS`
/// (`j = 0 ..= TABLE_STEPS`): row `j`, tap `q` is the kernel at
/// `q - HALF_TAPS + 1 - j / TABLE_STEPS`.
fn kernel_table() -> &'static [[f64; TAPS]] {
    static TABLE: std::sync::OnceLock<Vec<[f64; TAPS]>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        (0..=TABLE_STEPS)
            .map(|j| {
                let frac = j as f64 / TABLE_STEPS as f64;
                let mut row = [0.0; TAPS];
                for (q, w) in row.iter_mut().enumerate() {
                    *w = kernel(q as f64 - (HALF_TAPS - 1) as f64 - frac);
                }
                row
            })
            .collect()
    })
}

/// [`value_at`] with the kernel read from a table (1024 fractional
/// positions per sample, linearly interpolated between them: within 1e-6
/// of the kernel), many times faster: for resampling whole recordings.
pub fn value_at_tabled(x: &[f64], pos: f64) -> f64 {
    let table = kernel_table();
    let centre = pos.floor();
    let p = (pos - centre) * TABLE_STEPS as f64;
    let j = (p as usize).min(TABLE_STEPS - 1);
    let f = p - j as f64;
    let (r0, r1) = (&table[j], &table[j + 1]);
    let start = centre as isize - (HALF_TAPS - 1);
    if start >= 0 && start as usize + TAPS <= x.len() {
        let xs = &x[start as usize..start as usize + TAPS];
        return xs
            .iter()
            .zip(r0.iter().zip(r1))
            .map(|(v, (a, b))| v * (a + f * (b - a)))
            .sum();
    }
    let mut acc = 0.0;
    for q in 0..TAPS {
        let idx = start + q as isize;
        if idx >= 0 && (idx as usize) < x.len() {
            acc += x[idx as usize] * (r0[q] + f * (r1[q] - r0[q]));
        }
    }
    acc
}

/// What a recorder whose clock runs `ppm` parts per million fast captures of
/// `x`: sample `k` of the result is `x` at time `k / (1 + ppm 1e-6)`.
pub fn drift(x: &[f64], ppm: f64) -> Vec<f64> {
    let ratio = 1.0 + ppm * 1e-6;
    let n_out = (x.len() as f64 * ratio).floor() as usize;
    (0..n_out).map(|k| value_at(x, k as f64 / ratio)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolated_sine_keeps_its_amplitude_and_frequency() {
        let rate = 48_000.0;
        let f = 10_000.0;
        let x: Vec<f64> = (0..20_000)
            .map(|n| (2.0 * PI * f * n as f64 / rate).sin())
            .collect();
        let ppm = 500.0;
        let y = drift(&x, ppm);
        let ratio = 1.0 + ppm * 1e-6;
        for k in (5_000..15_000).step_by(97) {
            let expect = (2.0 * PI * f * (k as f64 / ratio) / rate).sin();
            assert!((y[k] - expect).abs() < 2e-3, "k={k}: {} vs {expect}", y[k]);
        }
    }

    #[test]
    fn the_tabled_kernel_agrees_with_the_exact_one() {
        let x: Vec<f64> = (0..300).map(|n| ((n * 37) % 23) as f64 - 11.0).collect();
        for k in 0..500 {
            let pos = 40.0 + k as f64 * 0.4321;
            let (a, b) = (value_at(&x, pos), value_at_tabled(&x, pos));
            assert!((a - b).abs() < 1e-5, "{pos}: {a} vs {b}");
        }
    }

    #[test]
    fn zero_drift_is_the_identity() {
        let x: Vec<f64> = (0..500).map(|n| ((n * 31) % 17) as f64).collect();
        let y = drift(&x, 0.0);
        assert_eq!(y.len(), x.len());
        for (a, b) in x.iter().zip(&y) {
            assert!((a - b).abs() < 1e-9);
        }
    }
}
