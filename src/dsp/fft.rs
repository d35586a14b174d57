//! A cache of real-FFT plans. Planning is the slow part of an FFT; analysis
//! code asks the cache for a plan of a given length and reuses it.

use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::num_complex::{Complex32, Complex64};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// A plan being made or made (see [`FftCache::prepare_real32`]).
type PlanCell = Arc<OnceLock<Arc<RealFft32>>>;

/// Shared planner: plans are created once per length and reused.
#[derive(Clone, Default)]
pub struct FftCache {
    planner: Arc<Mutex<RealFftPlanner<f64>>>,
    /// The long f32 transforms of the deconvolution, by length; a plan
    /// may still be being made by the thread [`Self::prepare_real32`]
    /// started.
    real32: Arc<Mutex<HashMap<usize, PlanCell>>>,
}

impl std::fmt::Debug for FftCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FftCache")
    }
}

impl FftCache {
    /// A new, empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The process's shared cache, for code that has no cache of its own
    /// to hand (e.g. noise generation, which the simulated rig runs four
    /// times per fit at the same lengths: planning each time took about a
    /// sixth of the demo).
    pub fn shared() -> Self {
        static SHARED: OnceLock<FftCache> = OnceLock::new();
        SHARED.get_or_init(FftCache::new).clone()
    }

    /// Forward plan (real -> complex) of length `n`.
    pub fn forward(&self, n: usize) -> Arc<dyn RealToComplex<f64>> {
        self.planner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .plan_fft_forward(n)
    }

    /// Inverse plan (complex -> real) of length `n` (not normalised).
    pub fn inverse(&self, n: usize) -> Arc<dyn ComplexToReal<f64>> {
        self.planner
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .plan_fft_inverse(n)
    }

    /// The f32 real FFT of length `n` (see [`RealFft32`]), planned once;
    /// waits for a plan [`Self::prepare_real32`] is making.
    pub fn real32(&self, n: usize) -> Arc<RealFft32> {
        let cell = self.real32_cell(n);
        cell.get_or_init(|| Arc::new(RealFft32::new(n))).clone()
    }

    /// Start planning the f32 real FFT of length `n` on another thread, so
    /// that it is ready when [`Self::real32`] asks for it (a long plan
    /// takes about as long as reading and checking the recording, which
    /// the caller does meanwhile).
    pub fn prepare_real32(&self, n: usize) {
        let cell = self.real32_cell(n);
        if cell.get().is_some() {
            return;
        }
        let spawned = std::thread::Builder::new()
            .name("fft-plan".into())
            .spawn(move || {
                cell.get_or_init(|| Arc::new(RealFft32::new(n)));
            });
        // without a thread, the plan is made when it is needed
        drop(spawned);
    }

    fn real32_cell(&self, n: usize) -> PlanCell {
        self.real32
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(n)
            .or_default()
            .clone()
    }

    /// Spectrum (n/2+1 bins) of `input` zero-padded (or truncated) to `n`.
    pub fn spectrum(&self, input: &[f64], n: usize) -> Vec<Complex64> {
        let plan = self.forward(n);
        let mut buf = vec![0.0; n];
        let m = input.len().min(n);
        buf[..m].copy_from_slice(&input[..m]);
        let mut out = plan.make_output_vec();
        plan.process(&mut buf, &mut out)
            .expect("buffer lengths come from the plan");
        out
    }

    /// Spectrum of `input` at its own length, transformed in place (the
    /// same result as [`Self::spectrum`] of it, without copying it).
    pub fn spectrum_of(&self, mut input: Vec<f64>) -> Vec<Complex64> {
        let plan = self.forward(input.len());
        let mut out = plan.make_output_vec();
        plan.process(&mut input, &mut out)
            .expect("buffer lengths come from the plan");
        out
    }

    /// Real signal of length `n` from its half spectrum, normalised by 1/n.
    pub fn real_signal(&self, spectrum: &mut [Complex64], n: usize) -> Vec<f64> {
        let plan = self.inverse(n);
        // The DC and Nyquist bins of a real signal are real; realfft checks.
        spectrum[0].im = 0.0;
        if n.is_multiple_of(2) {
            if let Some(last) = spectrum.last_mut() {
                last.im = 0.0;
            }
        }
        let mut out = plan.make_output_vec();
        plan.process(spectrum, &mut out)
            .expect("buffer lengths come from the plan");
        let scale = 1.0 / n as f64;
        out.iter_mut().for_each(|v| *v *= scale);
        out
    }
}

/// A real FFT of even length `n` in `f32` on one forward complex plan of
/// length `n/2`, for the long transforms of a deconvolution.
///
/// Why not realfft here: planning is what a long FFT costs once per
/// process. rustfft computes each twiddle with a `sin_cos` call (about
/// 20 ns each on the 2-core test machine), so a realfft forward and
/// inverse pair of 2^20 points takes 40-50 ms to plan, several times what
/// the transforms themselves take (4-5 ms each). This type plans only the
/// forward complex FFT of `n/2`; the inverse uses it through
/// `ifft(z) = conj(fft(conj(z)))`, and the split of the packed real
/// signal (`z[m] = x[2m] + i x[2m+1]`) into its spectrum uses twiddles
/// `exp(-2 pi i k / n)` made as the product of two small f64 tables (`k`
/// split into `1024 q + r`: about 1,300 `sin_cos` calls and 20 KB instead
/// of one call per bin and a table of n/4 bins, 2 MB at 2^20), not a trig
/// call per bin, nor a long table to allocate and touch. The results equal
/// realfft's within f32 rounding (`tests` below, against [`FftCache`]'s
/// f64 transform).
pub struct RealFft32 {
    n: usize,
    fft: HalfFft,
    /// `exp(-2 pi i 1024 q / n)` for `q` in `0..=n/4/1024`.
    coarse: Vec<Complex64>,
    /// `exp(-2 pi i r / n)` for `r` in `0..1024`.
    fine: Vec<Complex64>,
}

impl std::fmt::Debug for RealFft32 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RealFft32({})", self.n)
    }
}

/// The twiddle `k = TWIDDLE_BLOCK q + r` is `coarse[q] fine[r]`.
const TWIDDLE_BLOCK: usize = 1024;

/// The complex FFT of `n/2` points inside a [`RealFft32`].
enum HalfFft {
    /// rustfft's plan of the whole length.
    Planned(Arc<dyn rustfft::Fft<f32>>),
    /// Split in two levels (see [`RealFft32::quick`]).
    Split(Split),
}

/// A complex FFT of `r m` points as `r`-point DFTs across `r` blocks of
/// `m` (rustfft, in batches of columns gathered into a small buffer),
/// twiddles `exp(-2 pi i n1 k2 / (r m))` by a recurrence from two small
/// tables, then `r` rustfft FFTs of `m` points in place and a gather into
/// natural order (decimation in frequency). Planning it is planning `r` and
/// `m` points: for 288,000 points 0.3 ms instead of rustfft's 4.8 ms (which
/// computes a `sin_cos` per twiddle of every level), for a transform about
/// twice as slow (1.4 ms against 0.7): worth it for a transform made once.
struct Split {
    r: usize,
    m: usize,
    small: Arc<dyn rustfft::Fft<f32>>,
    inner: Arc<dyn rustfft::Fft<f32>>,
    /// `exp(-2 pi i 1024 q / (r m))`.
    coarse: Vec<Complex64>,
    /// `exp(-2 pi i j / (r m))` for `j` in `0..1024`.
    fine: Vec<Complex64>,
}

/// Columns gathered at once by [`Split`].
const SPLIT_COLUMNS: usize = 64;

impl Split {
    /// The split of `len` points into `r` blocks, `None` when no small
    /// factor divides it (or it is too short to gain).
    fn new(len: usize) -> Option<Self> {
        if len < 1 << 14 {
            return None;
        }
        let r = [16usize, 32, 8, 24, 20, 15, 12, 10, 9, 6, 5, 4, 3, 2]
            .into_iter()
            .find(|r| len.is_multiple_of(*r))?;
        let m = len / r;
        let mut planner = rustfft::FftPlanner::<f32>::new();
        let step = -2.0 * std::f64::consts::PI / len as f64;
        let w = |k: usize| Complex64::from_polar(1.0, step * k as f64);
        Some(Self {
            r,
            m,
            small: planner.plan_fft_forward(r),
            inner: planner.plan_fft_forward(m),
            coarse: (0..=len / TWIDDLE_BLOCK)
                .map(|q| w(q * TWIDDLE_BLOCK))
                .collect(),
            fine: (0..TWIDDLE_BLOCK).map(w).collect(),
        })
    }

    /// `exp(-2 pi i k / (r m))`, `k < r m`.
    fn w(&self, k: usize) -> Complex64 {
        self.coarse[k / TWIDDLE_BLOCK] * self.fine[k % TWIDDLE_BLOCK]
    }

    /// The DFT of `z` (left undefined) into `out`, in natural order.
    fn process(&self, z: &mut [Complex32], out: &mut [Complex32], scratch: &mut Vec<Complex32>) {
        let (r, m) = (self.r, self.m);
        let mut g = vec![Complex32::default(); SPLIT_COLUMNS * r];
        let mut small_scratch = vec![Complex32::default(); self.small.get_inplace_scratch_len()];
        let mut c0 = 0;
        while c0 < m {
            let c = SPLIT_COLUMNS.min(m - c0);
            for j in 0..c {
                for n2 in 0..r {
                    g[j * r + n2] = z[n2 * m + c0 + j];
                }
            }
            self.small
                .process_with_scratch(&mut g[..c * r], &mut small_scratch);
            for k2 in 0..r {
                let mut t = self.w(c0 * k2);
                let step = self.w(k2);
                let row = &mut z[k2 * m + c0..k2 * m + c0 + c];
                for (j, o) in row.iter_mut().enumerate() {
                    *o = g[j * r + k2] * Complex32::new(t.re as f32, t.im as f32);
                    t *= step;
                }
            }
            c0 += c;
        }
        scratch.resize(self.inner.get_inplace_scratch_len(), Complex32::default());
        self.inner.process_with_scratch(z, scratch);
        // X[r k1 + k2] is at z[k2 m + k1]
        for (k1, chunk) in out.chunks_exact_mut(r).enumerate() {
            for (k2, o) in chunk.iter_mut().enumerate() {
                *o = z[k2 * m + k1];
            }
        }
    }
}

impl HalfFft {
    fn scratch_len(&self) -> usize {
        match self {
            Self::Planned(f) => f.get_outofplace_scratch_len(),
            Self::Split(_) => 0,
        }
    }

    /// The DFT of `input` (left undefined) into `output`.
    fn process(
        &self,
        input: &mut [Complex32],
        output: &mut [Complex32],
        scratch: &mut Vec<Complex32>,
    ) {
        match self {
            Self::Planned(f) => {
                scratch.resize(f.get_outofplace_scratch_len(), Complex32::default());
                f.process_outofplace_with_scratch(input, output, scratch)
            }
            Self::Split(s) => s.process(input, output, scratch),
        }
    }
}

impl RealFft32 {
    /// Plan a real FFT of length `n` (even, at least 4).
    pub fn new(n: usize) -> Self {
        Self::with(
            n,
            HalfFft::Planned(rustfft::FftPlanner::<f32>::new().plan_fft_forward(n / 2)),
        )
    }

    /// The same transform, planned in a fraction of the time and run about
    /// twice as slowly: `r`-point DFTs across `r` blocks of `n/(2r)` points,
    /// twiddled by a recurrence, then rustfft on the blocks (for `n` =
    /// 576,000: planned in 0.3 ms instead of 4.8); as [`Self::new`] when
    /// `n/2` has no small factor or is short.
    pub fn quick(n: usize) -> Self {
        match Split::new(n / 2) {
            Some(split) => Self::with(n, HalfFft::Split(split)),
            None => Self::new(n),
        }
    }

    fn with(n: usize, fft: HalfFft) -> Self {
        assert!(
            n >= 4 && n.is_multiple_of(2),
            "RealFft32 needs an even length >= 4"
        );
        let step = -2.0 * std::f64::consts::PI / n as f64;
        let w = |k: usize| Complex64::from_polar(1.0, step * k as f64);
        let coarse = (0..=(n / 4) / TWIDDLE_BLOCK)
            .map(|q| w(q * TWIDDLE_BLOCK))
            .collect();
        let fine = (0..TWIDDLE_BLOCK.min(n / 4 + 1)).map(w).collect();
        Self {
            n,
            fft,
            coarse,
            fine,
        }
    }

    /// Scratch length [`Self::forward`] and [`Self::inverse`] need (the
    /// out-of-place transform's: the samples' own buffer is the other
    /// half, so no scratch as long as the signal is needed).
    pub fn scratch_len(&self) -> usize {
        self.fft.scratch_len()
    }

    /// `exp(-2 pi i k / n)`, `k` in `0..=n/4`.
    fn twiddle(&self, k: usize) -> Complex32 {
        let w = self.coarse[k / TWIDDLE_BLOCK] * self.fine[k % TWIDDLE_BLOCK];
        Complex32::new(w.re as f32, w.im as f32)
    }

    /// Spectrum (bins `0..=n/2`, unnormalised, like realfft's) of the `n`
    /// samples `x`, which are left undefined. `spec` must hold `n/2 + 1`.
    pub fn forward(&self, x: &mut [f32], spec: &mut [Complex32], scratch: &mut Vec<Complex32>) {
        let half = self.n / 2;
        assert!(x.len() == self.n && spec.len() == half + 1);
        // z[m] = x[2m] + i x[2m+1] is x itself, seen as complex numbers
        let z: &mut [Complex32] = bytemuck::cast_slice_mut(x);
        self.fft.process(z, &mut spec[..half], scratch);
        let z0 = spec[0];
        spec[0] = Complex32::new(z0.re + z0.im, 0.0);
        spec[half] = Complex32::new(z0.re - z0.im, 0.0);
        for k in 1..=half / 2 {
            let (zk, zm) = (spec[k], spec[half - k].conj());
            let e = (zk + zm) * 0.5;
            // (zk - zm) / 2i
            let d = (zk - zm) * 0.5;
            let o = Complex32::new(d.im, -d.re);
            let wo = self.twiddle(k) * o;
            spec[k] = e + wo;
            spec[half - k] = (e - wo).conj();
        }
    }

    /// The `n` samples (times `n`, unnormalised, like realfft's) of the
    /// half spectrum `spec` (`n/2 + 1` bins, left undefined; the imaginary
    /// parts of its first and last bins are ignored).
    pub fn inverse(&self, spec: &mut [Complex32], x: &mut [f32], scratch: &mut Vec<Complex32>) {
        let half = self.n / 2;
        assert!(x.len() == self.n && spec.len() == half + 1);
        let (x0, xn) = (spec[0].re, spec[half].re);
        // z = 2 (E + i O), conjugated for the forward transform
        let z0 = Complex32::new(x0 + xn, x0 - xn);
        for k in 1..=half / 2 {
            let (xk, xm) = (spec[k], spec[half - k].conj());
            let e = xk + xm;
            let o = (xk - xm) * self.twiddle(k).conj();
            // Z[k] = e + i o; Z[half-k] = conj(e) + i conj(o)
            let io = Complex32::new(-o.im, o.re);
            let zk = e + io;
            let oc = o.conj();
            let zm = e.conj() + Complex32::new(-oc.im, oc.re);
            spec[k] = zk.conj();
            spec[half - k] = zm.conj();
        }
        spec[0] = z0.conj();
        let z: &mut [Complex32] = bytemuck::cast_slice_mut(x);
        self.fft.process(&mut spec[..half], z, scratch);
        for p in z {
            // conj of the forward transform
            p.im = -p.im;
        }
    }
}

/// The smallest length >= `n` whose only prime factors are 2, 3 and 5, so
/// that the FFT stays fast without padding all the way to a power of two.
pub fn good_size(n: usize) -> usize {
    let mut m = n.max(2);
    loop {
        let mut r = m;
        for p in [2, 3, 5] {
            while r.is_multiple_of(p) {
                r /= p;
            }
        }
        if r == 1 && m.is_multiple_of(2) {
            return m;
        }
        m += 1;
    }
}

/// Frequency in Hz of bin `k` of an `n`-point FFT at `rate` Hz.
pub fn bin_hz(k: usize, n: usize, rate: f64) -> f64 {
    k as f64 * rate / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `f` (of length `n`) against realfft's f64 transform, forward and
    /// back, within f32 rounding.
    fn check_against_f64(f: &RealFft32, n: usize) {
        let x: Vec<f64> = (0..n)
            .map(|i| ((i * 7919) % 1013) as f64 / 1013.0 - 0.5 + (i as f64 * 0.01).sin())
            .collect();
        let want = FftCache::new().spectrum(&x, n);
        let mut x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let mut spec = vec![Complex32::default(); n / 2 + 1];
        let mut scratch = Vec::new();
        f.forward(&mut x32, &mut spec, &mut scratch);
        let peak = want.iter().map(|c| c.norm()).fold(0.0, f64::max);
        let err = spec
            .iter()
            .zip(&want)
            .map(|(a, b)| (Complex64::new(a.re as f64, a.im as f64) - b).norm())
            .fold(0.0, f64::max);
        // f32 rounding: about 1e-7 of the peak times log2(n)
        assert!(err < 3e-6 * peak, "n {n}: error {err} of {peak}");
        let mut back = vec![0.0f32; n];
        f.inverse(&mut spec, &mut back, &mut scratch);
        let err = back
            .iter()
            .zip(&x)
            .map(|(a, b)| (*a as f64 / n as f64 - b).abs())
            .fold(0.0, f64::max);
        assert!(err < 1e-5, "n {n}: round trip error {err}");
    }

    #[test]
    fn real_fft32_matches_the_f64_realfft() {
        // lengths with factors 2, 3 and 5, and n/2 odd and even
        for n in [12usize, 30, 64, 1000, 4374, 32_768] {
            check_against_f64(&RealFft32::new(n), n);
        }
    }

    #[test]
    fn quick_real_fft32_matches_the_f64_realfft() {
        // half lengths split by 16 (288,000 = 16 * 18,000) and by 15, and
        // one too short to split
        for n in [
            576_000usize,
            2 * 3 * 5 * 2187 * 3,
            2 * 15 * 3125,
            2 * 2 * 3 * 3125 * 3,
            1000,
        ] {
            check_against_f64(&RealFft32::quick(n), n);
        }
    }

    #[test]
    fn good_size_has_small_factors_and_is_even() {
        for n in [1, 7, 97, 1000, 263_001, 524_289] {
            let m = good_size(n);
            assert!(m >= n && m.is_multiple_of(2));
            let mut r = m;
            for p in [2, 3, 5] {
                while r.is_multiple_of(p) {
                    r /= p;
                }
            }
            assert_eq!(r, 1, "{m} has a large prime factor");
            assert!(m < n + n / 10 + 10, "{m} is far above {n}");
        }
    }

    #[test]
    fn forward_then_inverse_round_trips() {
        let fft = FftCache::new();
        let x: Vec<f64> = (0..90).map(|i| ((i * 7) % 13) as f64 - 6.0).collect();
        let mut spec = fft.spectrum(&x, 90);
        let y = fft.real_signal(&mut spec, 90);
        for (a, b) in x.iter().zip(&y) {
            assert!((a - b).abs() < 1e-9);
        }
    }
}
