//! A simulated IEM that follows a measured sealed response (`--iem-response
//! FILE`, `[sim] iem_response`): the driver's own shape is replaced by a
//! cascade of peaking filters fitted to the file, so the sim stays a chain
//! of biquads with an exact, analytic truth.
//!
//! The fit works in dB on a 1/48-octave grid from 20 Hz (or the file's
//! first point) to 16 kHz (or the file's last point, or 0.4 x the rate).
//! The target is the file minus what the rest of the chain already does
//! (the driver's 3 Hz high-pass and 17 kHz low-pass, and on the coupler and
//! ear targets the nominal insertion's volume, resonances and shelves), with
//! its level set to 0 dB at 500 Hz-2 kHz (the sim's `gain_db` sets the
//! level). Filters are placed greedily where the 1/6-octave-smoothed error
//! is largest (gain = the error there, Q from the width of the error's
//! half-height region); after each placement every filter's gain, and at
//! the end every centre, Q and gain, is refined by Levenberg-Marquardt
//! (`refine`). A file peaking above the sim's own IEM lowers the sim's
//! level ([`Followed::lowered_db`]) so it does not clip. This is the approach of
//! parametric-EQ fitters such as AutoEq's, written here in a few dozen
//! lines because the fit must use the sim's own filters at the sim's own
//! rate. How well it followed is measured on a 1/192-octave grid (between
//! the fit's points too) and returned
//! ([`Followed`]): callers print it, so a file it cannot follow is said.

use super::insertion::prewarp;
use crate::analysis::FrequencyResponse;
use crate::dsp::biquad::{chain_response, AnalogBiquad, Biquad};
use anyhow::{bail, Result};

/// Most peaking filters the fit places.
pub const MAX_PEAKS: usize = 40;

/// The fit stops when the smoothed error is below this everywhere, dB.
const DONE_DB: f64 = 0.1;

/// Largest gain of one filter, dB.
const MAX_GAIN_DB: f64 = 24.0;

/// Narrowest filter, Q (about 1/6 octave: narrower ones would ring between
/// the fit's grid points).
const MAX_Q: f64 = 8.0;

/// Grid points per octave of the fit, and of the check of how well it
/// followed (between the fit's points, where the file is interpolated).
const PER_OCTAVE: f64 = 48.0;
const CHECK_PER_OCTAVE: f64 = 192.0;

/// Levenberg-Marquardt on the filters: every gain, and with `all` also
/// every centre and Q (in logarithms). The Jacobian by central differences
/// of each filter's own level (the cascade's dB are the sum); a step is
/// taken only when the squared error falls.
fn refine(
    peaks: &mut [(f64, f64, f64)],
    levels: &mut [Vec<f64>],
    one: &dyn Fn((f64, f64, f64)) -> Vec<f64>,
    error: &dyn Fn(&[Vec<f64>]) -> Vec<f64>,
    band: (f64, f64),
    all: bool,
    rounds: usize,
) {
    let per = if all { 3 } else { 1 };
    let k = peaks.len() * per;
    // parameter j of a peak: 0 gain (dB), 1 ln f, 2 ln Q
    let moved = |p: (f64, f64, f64), j: usize, d: f64| -> (f64, f64, f64) {
        match j {
            0 => (p.0, p.1, (p.2 + d).clamp(-MAX_GAIN_DB, MAX_GAIN_DB)),
            1 => ((p.0 * d.exp()).clamp(band.0, band.1), p.1, p.2),
            _ => (p.0, (p.1 * d.exp()).clamp(0.3, MAX_Q), p.2),
        }
    };
    let norm = |e: &[f64]| e.iter().map(|v| v * v).sum::<f64>();
    let mut lambda = 1e-3;
    let mut e = error(levels);
    let mut now = norm(&e);
    for _ in 0..rounds {
        let mut jac: Vec<Vec<f64>> = Vec::with_capacity(k);
        for &p in peaks.iter() {
            for j in 0..per {
                let h = if j == 0 { 0.05 } else { 0.01 };
                let (up, down) = (one(moved(p, j, h)), one(moved(p, j, -h)));
                jac.push(
                    up.iter()
                        .zip(&down)
                        .map(|(a, b)| (a - b) / (2.0 * h))
                        .collect(),
                );
            }
        }
        let mut jtj = vec![vec![0.0; k]; k];
        let mut jte = vec![0.0; k];
        for a in 0..k {
            jte[a] = jac[a].iter().zip(&e).map(|(j, e)| j * e).sum();
            for b in a..k {
                let v: f64 = jac[a].iter().zip(&jac[b]).map(|(x, y)| x * y).sum();
                jtj[a][b] = v;
                jtj[b][a] = v;
            }
        }
        let mut improved = false;
        for _ in 0..6 {
            let mut m = jtj.clone();
            for (a, row) in m.iter_mut().enumerate() {
                row[a] = row[a] * (1.0 + lambda) + 1e-9;
            }
            let Some(step) = solve(m, jte.clone()) else {
                lambda *= 10.0;
                continue;
            };
            let trial: Vec<(f64, f64, f64)> = peaks
                .iter()
                .enumerate()
                .map(|(n, &p)| {
                    let mut p = p;
                    for j in 0..per {
                        // at most a third of an octave, a factor 1.4 of Q,
                        // 6 dB per step
                        let d = step[n * per + j];
                        let d = if j == 0 {
                            d.clamp(-6.0, 6.0)
                        } else {
                            d.clamp(-0.33, 0.33)
                        };
                        p = moved(p, j, d);
                    }
                    p
                })
                .collect();
            let trial_levels: Vec<Vec<f64>> = trial.iter().map(|&p| one(p)).collect();
            let te = error(&trial_levels);
            let tn = norm(&te);
            if tn < now {
                peaks.copy_from_slice(&trial);
                levels.clone_from_slice(&trial_levels);
                (e, now) = (te, tn);
                lambda = (lambda / 10.0).max(1e-7);
                improved = true;
                break;
            }
            lambda *= 10.0;
        }
        if !improved {
            break;
        }
    }
}

/// `m x = b` by Gaussian elimination with partial pivoting (`None` when
/// singular).
fn solve(mut m: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for c in 0..n {
        let p = (c..n).max_by(|&x, &y| m[x][c].abs().total_cmp(&m[y][c].abs()))?;
        if m[p][c].abs() < 1e-12 {
            return None;
        }
        m.swap(c, p);
        b.swap(c, p);
        let (upper, lower) = m.split_at_mut(c + 1);
        let pivot = &upper[c];
        for (k, row) in lower.iter_mut().enumerate() {
            let f = row[c] / pivot[c];
            for (x, &p) in row[c..].iter_mut().zip(&pivot[c..]) {
                *x -= f * p;
            }
            b[c + 1 + k] -= f * b[c];
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let s: f64 = (r + 1..n).map(|j| m[r][j] * x[j]).sum();
        x[r] = (b[r] - s) / m[r][r];
    }
    Some(x)
}

/// A fitted response.
#[derive(Debug, Clone, PartialEq)]
pub struct Followed {
    /// The peaking filters (centre Hz of the digital filter, Q, gain dB).
    pub peaks: Vec<(f64, f64, f64)>,
    /// The band the fit covers, Hz.
    pub band_hz: (f64, f64),
    /// RMS of the remaining error on the grid, dB.
    pub rms_db: f64,
    /// Largest remaining error on the grid, dB, and where, Hz.
    pub max_db: (f64, f64),
    /// How far the sim's level was lowered so that the followed response
    /// peaks no higher than the sim's own IEM (its headroom to clipping), dB.
    pub lowered_db: f64,
}

impl Followed {
    /// One line for the user: what was followed and how well.
    pub fn describe(&self, file: &str) -> String {
        format!(
            "the simulated IEM follows {file} from {:.0} Hz to {:.0} Hz with {} filters: \
             within {:.2} dB RMS, {:.2} dB at worst ({:.0} Hz)",
            self.band_hz.0,
            self.band_hz.1,
            self.peaks.len(),
            self.rms_db,
            self.max_db.0.abs(),
            self.max_db.1
        ) + &if self.lowered_db > 0.05 {
            format!(
                "; its level lowered by {:.1} dB so that its peaks do not clip",
                self.lowered_db
            )
        } else {
            String::new()
        }
    }
}

/// The highest level of `chain` at `rate` from 10 Hz to 0.45 `rate`, dB (on
/// a 1/96-octave grid).
pub fn peak_db(chain: &[Biquad], rate: f64) -> f64 {
    let (lo, hi) = (10.0_f64, 0.45 * rate);
    let n = ((hi / lo).log2() * 96.0).floor() as usize + 1;
    (0..n)
        .map(|i| {
            20.0 * chain_response(chain, lo * 2f64.powf(i as f64 / 96.0))
                .norm()
                .log10()
        })
        .fold(f64::NEG_INFINITY, f64::max)
}

/// The peaking filters of `peaks` at `rate`, pre-warped: each peaks at its
/// centre at any rate.
pub fn peak_chain(peaks: &[(f64, f64, f64)], rate: f64) -> Vec<Biquad> {
    peaks
        .iter()
        .map(|&(f, q, g)| AnalogBiquad::peaking(prewarp(f, rate), q, g).to_digital(rate))
        .collect()
}

/// Where `e` (a grid's errors, not empty) is largest in magnitude, and its
/// value there.
fn largest(e: &[f64]) -> (usize, f64) {
    e.iter()
        .copied()
        .enumerate()
        .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
        .expect("a grid")
}

/// `file` interpolated linearly in log frequency at `f` (inside its range).
fn level_at(file: &FrequencyResponse, f: f64) -> f64 {
    crate::analysis::seal::interpolate_db(&file.freq_hz, &file.db, f)
}

/// Fit peaking filters so that `base` (the rest of the chain at `rate`)
/// followed by them has the shape of `file`. A fit is made once per file,
/// chain and rate in a process (a session asks for its plan more than
/// once, a second or so each time).
pub fn follow(file: &FrequencyResponse, base: &[Biquad], rate: f64) -> Result<Followed> {
    static MADE: std::sync::Mutex<Vec<(Vec<u64>, Followed)>> = std::sync::Mutex::new(Vec::new());
    let key: Vec<u64> = file
        .freq_hz
        .iter()
        .chain(&file.db)
        .copied()
        .chain(base.iter().flat_map(|b| b.b.into_iter().chain(b.a)))
        .chain([rate])
        .map(f64::to_bits)
        .collect();
    let made =
        |m: &Vec<(Vec<u64>, Followed)>| m.iter().find(|(k, _)| *k == key).map(|(_, f)| f.clone());
    if let Some(f) = made(&MADE.lock().unwrap_or_else(|e| e.into_inner())) {
        return Ok(f);
    }
    let f = fit(file, base, rate)?;
    MADE.lock()
        .unwrap_or_else(|e| e.into_inner())
        .push((key, f.clone()));
    Ok(f)
}

fn fit(file: &FrequencyResponse, base: &[Biquad], rate: f64) -> Result<Followed> {
    let (first, last) = match (file.freq_hz.first(), file.freq_hz.last()) {
        (Some(&a), Some(&b)) if file.freq_hz.len() >= 8 => (a, b),
        _ => bail!(
            "has {} points: a measured response needs at least 8",
            file.freq_hz.len()
        ),
    };
    let lo = first.max(20.0);
    let hi = last.min(16_000.0).min(0.4 * rate);
    if lo > 100.0 || hi < 5_000.0 {
        bail!(
            "covers {first:.0}-{last:.0} Hz: to follow it the sim needs a response from 100 Hz or lower to 5 kHz or higher"
        );
    }
    if file.db.iter().any(|d| !d.is_finite()) {
        bail!("has a level that is not a number");
    }
    let on_grid = |per: f64| -> Vec<f64> {
        let n = ((hi / lo).log2() * per).floor() as usize + 1;
        (0..n).map(|i| lo * 2f64.powf(i as f64 / per)).collect()
    };
    let grid = on_grid(PER_OCTAVE);
    let db = |c: &[Biquad], f: f64| 20.0 * chain_response(c, f).norm().log10();
    let mut want: Vec<f64> = grid
        .iter()
        .map(|&f| level_at(file, f) - db(base, f))
        .collect();
    let mids: Vec<f64> = grid
        .iter()
        .zip(&want)
        .filter(|(f, _)| (500.0..=2000.0).contains(*f))
        .map(|(_, d)| *d)
        .collect();
    let mid = mids.iter().sum::<f64>() / mids.len().max(1) as f64;
    want.iter_mut().for_each(|d| *d -= mid);
    let mut peaks: Vec<(f64, f64, f64)> = Vec::new();
    // each filter's level on the grid (dB add along a cascade)
    let one = |p: (f64, f64, f64)| -> Vec<f64> {
        let c = peak_chain(&[p], rate);
        grid.iter().map(|&f| db(&c, f)).collect()
    };
    let error = |levels: &[Vec<f64>]| -> Vec<f64> {
        (0..grid.len())
            .map(|i| want[i] - levels.iter().map(|l| l[i]).sum::<f64>())
            .collect()
    };
    // 1/6 octave: 4 grid points either side
    let smooth = |e: &[f64]| -> Vec<f64> {
        (0..e.len())
            .map(|i| {
                let s = &e[i.saturating_sub(4)..(i + 5).min(e.len())];
                s.iter().sum::<f64>() / s.len() as f64
            })
            .collect()
    };
    let mut levels: Vec<Vec<f64>> = Vec::new();
    for _ in 0..MAX_PEAKS {
        let e = smooth(&error(&levels));
        let (i, g) = largest(&e);
        if g.abs() < DONE_DB {
            break;
        }
        let same = |j: usize| e[j].signum() == g.signum() && e[j].abs() > 0.5 * g.abs();
        let (mut l, mut r) = (i, i);
        while l > 0 && same(l - 1) {
            l -= 1;
        }
        while r + 1 < e.len() && same(r + 1) {
            r += 1;
        }
        let bw = ((grid[r] / grid[l]).log2()).max(1.0 / 12.0);
        let q = (2f64.powf(bw / 2.0) / (2f64.powf(bw) - 1.0)).clamp(0.3, MAX_Q);
        let p = (grid[i], q, g.clamp(-MAX_GAIN_DB, MAX_GAIN_DB));
        peaks.push(p);
        levels.push(one(p));
        refine(&mut peaks, &mut levels, &one, &error, (lo, hi), false, 8);
    }
    refine(&mut peaks, &mut levels, &one, &error, (lo, hi), true, 30);
    // how well: on a grid four times finer than the fit's
    let fine = on_grid(CHECK_PER_OCTAVE);
    let chain = peak_chain(&peaks, rate);
    let e: Vec<f64> = fine
        .iter()
        .map(|&f| level_at(file, f) - mid - db(base, f) - db(&chain, f))
        .collect();
    let rms_db = (e.iter().map(|v| v * v).sum::<f64>() / e.len() as f64).sqrt();
    let (k, worst) = largest(&e);
    Ok(Followed {
        peaks,
        band_hz: (lo, hi),
        rms_db,
        max_db: (worst, fine[k]),
        lowered_db: 0.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(shape: impl Fn(f64) -> f64) -> FrequencyResponse {
        let freq_hz: Vec<f64> = (0..400)
            .map(|i| 10.0 * 2f64.powf(i as f64 / 36.0))
            .filter(|&f| f <= 20_000.0)
            .collect();
        let db = freq_hz.iter().map(|&f| shape(f)).collect();
        FrequencyResponse {
            freq_hz,
            db,
            phase_deg: None,
        }
    }

    #[test]
    fn a_known_bell_and_tilt_are_followed_closely() {
        // a Harman-like shape written as closed forms (not biquads)
        let shape = |f: f64| {
            let x = (f / 2800.0).log2();
            6.0 * (-x * x / 0.5).exp() - 4.0 * (f / 100.0).log10().clamp(-1.0, 0.0)
        };
        let fit = follow(&curve(shape), &[], 48_000.0).unwrap();
        assert!(fit.rms_db < 0.2, "{fit:?}");
        assert!(fit.max_db.0.abs() < 0.6, "{fit:?}");
        assert!(fit.peaks.len() <= MAX_PEAKS);
    }

    #[test]
    fn narrow_or_short_files_are_refused() {
        let e = follow(&curve(|_| 0.0).clone_band(1000.0, 20_000.0), &[], 48_000.0)
            .unwrap_err()
            .to_string();
        assert!(e.contains("from 100 Hz or lower"), "{e}");
        let mut short = curve(|_| 0.0);
        short.freq_hz.truncate(3);
        short.db.truncate(3);
        assert!(follow(&short, &[], 48_000.0).is_err());
    }

    trait Band {
        fn clone_band(&self, lo: f64, hi: f64) -> FrequencyResponse;
    }

    impl Band for FrequencyResponse {
        fn clone_band(&self, lo: f64, hi: f64) -> FrequencyResponse {
            let keep: Vec<usize> = (0..self.freq_hz.len())
                .filter(|&i| (lo..=hi).contains(&self.freq_hz[i]))
                .collect();
            FrequencyResponse {
                freq_hz: keep.iter().map(|&i| self.freq_hz[i]).collect(),
                db: keep.iter().map(|&i| self.db[i]).collect(),
                phase_deg: None,
            }
        }
    }
}
