//! Outside noise on the simulated rig: a loudspeaker outside the ear, an
//! optional outer reference microphone, and what reaches the inner mic.
//!
//! Paths from the outer mic (ear entrance) to the inner mic (MEASUREMENT.md
//! section 1):
//! - the leak path, the low-pass `H_l = w0^2 / (s^2 + 2 zeta w0 s + w0^2)`
//!   of the same leak that costs bass
//!   ([`crate::acoustics::Leak::leak_path`]);
//! - the tip body: a material-dependent transmission `H_b = g / (1 + s / wb)`
//!   (mass-law-like, 6 dB/octave more isolation above `fb`);
//!
//!   the two fill the same residual volume in parallel: with each path's
//!   admittance relative to the volume's, `a = H_l / (1 - H_l)`, `b = H_b /
//!   (1 - H_b)`, the two together transmit `(a + b) / (1 + a + b)`
//!   ([`parallel_paths`]). For small transmissions (a sealed tip) that is
//!   `H_l + H_b`, their complex sum; for a wide leak it tends to 1 (a leak
//!   that lets everything in cannot let more in through the body: summing
//!   them made an earbud amplify outside noise by 3.5 dB below 1 kHz);
//! - a flanking floor that caps isolation: on the ideal target a constant
//!   transmission (-48 dB); with insertion physics ([`super::insertion`])
//!   the open-ear gain times the target's limit, so the insertion loss
//!   stays below it: bone conduction on the ear (about 50 dB, 41 dB near
//!   2 kHz), the fixture's flat 50 dB on the coupler.
//!
//! With the ear open, the inner mic sees the open-ear gain (a canal
//! resonance, +12 dB near 2.7 kHz). Insertion loss is open / occluded at
//! the inner mic; noise reduction is outer / inner. They differ by the
//! open-ear gain, which [`OutsideModel::open_ear`] gives exactly.

use super::ear::{Fit, SimRig, TipPreset};
use crate::acoustics::Leak;
use crate::dsp::biquad::{chain_response, AnalogBiquad, Biquad};
use crate::dsp::{from_db, Complex64};
use serde::{Deserialize, Serialize};

/// Transmission through the tip itself.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TipBody {
    /// Low-frequency transmission through the tip, dB (negative).
    pub transmission_db: f64,
    /// Above this the body transmission falls 6 dB/octave, Hz.
    pub corner_hz: f64,
}

impl TipPreset {
    /// The tip material's body transmission (documented values: foam is
    /// the most isolating, silicone the least of the sealing tips).
    pub fn body(&self) -> TipBody {
        let (transmission_db, corner_hz) = match self {
            TipPreset::Foam => (-42.0, 500.0),
            TipPreset::SiliconeM | TipPreset::SiliconeS => (-30.0, 800.0),
            TipPreset::DoubleFlange => (-34.0, 600.0),
            TipPreset::TripleFlange => (-38.0, 500.0),
            TipPreset::CustomMold => (-36.0, 700.0),
            TipPreset::Earbud => (-25.0, 2000.0),
        };
        TipBody {
            transmission_db,
            corner_hz,
        }
    }
}

/// Everything between the outside speaker and the two microphones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutsideModel {
    /// The leak (`None`: sealed).
    pub leak: Option<Leak>,
    /// The tip body.
    pub body: TipBody,
    /// Flanking (bone-conduction-like) transmission, dB.
    pub flanking_db: f64,
    /// The flanking floor follows the open-ear gain, with a peaking boost
    /// (centre Hz, Q, dB) where the limit dips (`None`: a flat floor).
    #[serde(default)]
    pub flanking_shape: Option<(f64, f64, f64)>,
    /// Open-ear resonance (centre Hz, Q, gain dB).
    pub open_ear: (f64, f64, f64),
    /// Loudspeaker band (2nd-order high-pass Hz, low-pass Hz).
    pub speaker_band_hz: (f64, f64),
}

impl OutsideModel {
    /// The model for a tip body and leak, with documented defaults:
    /// flanking floor -48 dB, open-ear gain +12 dB at 2.7 kHz (Q 1.5),
    /// speaker 30 Hz to 18 kHz.
    pub fn new(body: TipBody, leak: Option<Leak>) -> Self {
        Self {
            leak,
            body,
            flanking_db: -48.0,
            flanking_shape: None,
            open_ear: (2700.0, 1.5, 12.0),
            speaker_band_hz: (30.0, 18_000.0),
        }
    }

    /// Digital filters at `rate`: (leak path, body path, open ear, speaker).
    pub fn filters(&self, rate: f64) -> OutsideFilters {
        let q = std::f64::consts::FRAC_1_SQRT_2;
        let wb = 2.0 * std::f64::consts::PI * self.body.corner_hz;
        let body = AnalogBiquad {
            b: [0.0, 0.0, from_db(self.body.transmission_db) * wb],
            a: [0.0, 1.0, wb],
        };
        let open_ear = AnalogBiquad::peaking(self.open_ear.0, self.open_ear.1, self.open_ear.2)
            .to_digital(rate);
        let flanking_chain = match self.flanking_shape {
            None => Vec::new(),
            Some((f, q, db)) => {
                let mut v = vec![open_ear];
                if db != 0.0 {
                    v.push(AnalogBiquad::peaking(f, q, db).to_digital(rate));
                }
                v
            }
        };
        let paths = match self.leak {
            None => vec![body.to_digital(rate)],
            Some(l) => parallel_paths(&l, from_db(self.body.transmission_db), wb)
                .iter()
                .map(|section| section.to_digital(rate))
                .collect(),
        };
        OutsideFilters {
            paths,
            flanking: from_db(self.flanking_db),
            flanking_chain,
            open_ear,
            speaker: vec![
                AnalogBiquad::highpass(self.speaker_band_hz.0, q).to_digital(rate),
                AnalogBiquad::lowpass(self.speaker_band_hz.1.min(0.45 * rate), q).to_digital(rate),
            ],
        }
    }
}

/// The leak (`H_l`, its [`Leak::leak_path`]) and the tip body (`H_b = g wb
/// / (s + wb)`) in parallel into one residual volume: `(a + b) / (1 + a +
/// b)` with `a = H_l / (1 - H_l)`, `b = H_b / (1 - H_b)` (each path's
/// admittance over the volume's). With `H = N / D` for each, that is
/// `(N_l D_b + N_b D_l - 2 N_l N_b) / (D_l D_b - N_l N_b)`: a second-order
/// numerator over a cubic, returned as a biquad (the cubic's quadratic
/// factor) and a first-order low-pass (its real root), in cascade.
pub fn parallel_paths(leak: &Leak, g: f64, wb: f64) -> [AnalogBiquad; 2] {
    let g = g.min(0.999);
    let w0 = 2.0 * std::f64::consts::PI * leak.f0_hz;
    let z = leak.zeta;
    let num = [
        g * wb,
        w0 * w0 + 2.0 * z * w0 * g * wb,
        w0 * w0 * wb * (1.0 - g),
    ];
    // monic cubic s^3 + c2 s^2 + c1 s + c0, every coefficient positive
    let (c2, c1, c0) = (
        wb + 2.0 * z * w0,
        2.0 * z * w0 * wb + w0 * w0,
        w0 * w0 * wb * (1.0 - g),
    );
    let cubic = |s: f64| ((s + c2) * s + c1) * s + c0;
    // its real root lies in (-(1 + max c), 0): bisection, then Newton
    let (mut lo, mut hi) = (-(1.0 + c2.max(c1).max(c0)), 0.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if cubic(mid) > 0.0 {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    let mut root = 0.5 * (lo + hi);
    for _ in 0..3 {
        let d = (3.0 * root + 2.0 * c2) * root + c1;
        if d != 0.0 {
            root -= cubic(root) / d;
        }
    }
    let r = -root;
    [
        AnalogBiquad {
            b: num.map(|c| c / r),
            a: [1.0, c2 - r, c0 / r],
        },
        AnalogBiquad {
            b: [0.0, 0.0, r],
            a: [0.0, 1.0, r],
        },
    ]
}

/// The digital filters of an [`OutsideModel`] at one rate.
#[derive(Debug, Clone)]
pub struct OutsideFilters {
    /// The leak and the tip body in parallel ([`parallel_paths`]), a
    /// cascade; sealed: the body alone.
    pub paths: Vec<Biquad>,
    /// Flanking transmission (a constant gain).
    pub flanking: f64,
    /// Shape of the flanking path (empty: flat).
    pub flanking_chain: Vec<Biquad>,
    /// Open-ear gain from the outer to the inner mic.
    pub open_ear: Biquad,
    /// Loudspeaker response.
    pub speaker: Vec<Biquad>,
}

impl OutsideFilters {
    /// Occluded transmission outer mic -> inner mic at `freq_hz` (exact).
    pub fn occluded(&self, freq_hz: f64) -> Complex64 {
        chain_response(&self.paths, freq_hz)
            + self.flanking * chain_response(&self.flanking_chain, freq_hz)
    }

    /// Open-ear transmission outer mic -> inner mic at `freq_hz` (exact).
    pub fn open(&self, freq_hz: f64) -> Complex64 {
        self.open_ear.response(freq_hz)
    }

    /// Speaker response at `freq_hz`.
    pub fn speaker(&self, freq_hz: f64) -> Complex64 {
        chain_response(&self.speaker, freq_hz)
    }

    /// Apply the occluded transmission to the outer-mic signal.
    pub fn apply_occluded(&self, outer: &[f64]) -> Vec<f64> {
        let mut through = outer.to_vec();
        for bq in &self.paths {
            bq.process(&mut through);
        }
        let mut flank = outer.to_vec();
        for bq in &self.flanking_chain {
            bq.process(&mut flank);
        }
        (0..outer.len())
            .map(|i| through[i] + self.flanking * flank[i])
            .collect()
    }

    /// Apply the open-ear gain to the outer-mic signal.
    pub fn apply_open(&self, outer: &[f64]) -> Vec<f64> {
        let mut y = outer.to_vec();
        self.open_ear.process(&mut y);
        y
    }
}

/// What the outside speaker plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, Default)]
#[serde(rename_all = "snake_case")]
pub enum OutsideSignal {
    /// Seeded pink noise.
    #[default]
    Pink,
    /// An exponential sweep (10 Hz to 22 kHz).
    Sweep,
}

/// Outside noise for an isolation measurement on the simulated rig.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutsideNoise {
    /// Pink noise or a sweep.
    pub signal: OutsideSignal,
    /// Pink-noise RMS level at the outer mic, dBFS.
    pub level_dbfs: f64,
    /// Seconds of noise.
    pub duration_s: f64,
    /// Seconds of silence (source off) first: the noise floor.
    pub lead_s: f64,
    /// Each mic's own noise floor (white), RMS dBFS.
    pub floor_dbfs: f64,
}

impl Default for OutsideNoise {
    fn default() -> Self {
        Self {
            signal: OutsideSignal::Pink,
            level_dbfs: -20.0,
            duration_s: 10.0,
            lead_s: 0.5,
            floor_dbfs: -100.0,
        }
    }
}

/// What the mics recorded for an isolation measurement (same source
/// realization for the open and the occluded condition).
#[derive(Debug, Clone, PartialEq)]
pub struct IsolationRecordings {
    /// Sample rate, Hz.
    pub rate: u32,
    /// Inner mic, ear open.
    pub open: Vec<f32>,
    /// Inner mic, tip in.
    pub occluded: Vec<f32>,
    /// Outer mic, at the same time as `occluded`.
    pub outer: Vec<f32>,
}

impl SimRig {
    /// The outside-noise model of this insertion.
    pub fn outside_model(&self) -> OutsideModel {
        let ins = self.insertion();
        let body = self.config().tip_body.unwrap_or_else(|| match ins {
            Some(ins) => TipBody {
                transmission_db: ins.body_db,
                corner_hz: ins.body_corner_hz,
            },
            None => match self.config().fit {
                Fit::Preset(p) => p.body(),
                _ => TipPreset::SiliconeM.body(),
            },
        });
        let mut model = OutsideModel::new(body, self.leak());
        if let Some(ins) = ins {
            let (limit_db, dip_hz, q, dip_db) = super::insertion::flanking_limit(ins.target);
            model.flanking_db = -limit_db;
            model.flanking_shape = Some((dip_hz, q, dip_db));
            model.open_ear.0 = ins.open_resonance_hz;
        }
        model
    }

    /// Play pink noise on the outside speaker; record the inner mic open
    /// and occluded, and the outer mic.
    pub fn record_isolation(&mut self, noise: &OutsideNoise, rate: u32) -> IsolationRecordings {
        use crate::signal::{NoiseColour, NoiseParams};
        let filters = self.outside_model().filters(rate as f64);
        let seed = self.noise_seed;
        self.noise_seed = self.noise_seed.wrapping_add(3);
        let gen = |colour, duration_s: f64, seed| {
            let p = NoiseParams {
                colour,
                duration_s,
                rate,
                level_dbfs: -20.0,
                seed,
                period: None,
            };
            p.generate().expect("valid noise parameters").samples_f64()
        };
        let lead = (noise.lead_s * rate as f64).round() as usize;
        let mut outer = vec![0.0; lead];
        let mut source = match noise.signal {
            OutsideSignal::Pink => gen(NoiseColour::Pink, noise.duration_s, seed),
            OutsideSignal::Sweep => crate::signal::SweepParams {
                duration_s: noise.duration_s,
                lead_s: 0.0,
                tail_s: 0.0,
                ..crate::signal::SweepParams::at_rate(rate)
            }
            .generate()
            .expect("valid sweep parameters")
            .samples_f64(),
        };
        for bq in &filters.speaker {
            bq.process(&mut source);
        }
        let level = (source.iter().map(|v| v * v).sum::<f64>() / source.len() as f64).sqrt();
        let g = from_db(noise.level_dbfs) / level.max(1e-30);
        outer.extend(source.iter().map(|v| v * g));
        let total_s = outer.len() as f64 / rate as f64;
        let floor_gain = from_db(noise.floor_dbfs + 20.0);
        let with_floor = |x: &[f64], floor: &[f64]| -> Vec<f32> {
            x.iter()
                .zip(floor)
                .map(|(s, f)| (s + floor_gain * f).clamp(-1.0, 1.0) as f32)
                .collect()
        };
        // The three microphones' floors (seeded, so the same whichever
        // thread makes them) on another core while the ear is filtered.
        let floor = |k: u64| gen(NoiseColour::White, total_s, seed.wrapping_add(1000 + k));
        let (open, occluded, floors) = std::thread::scope(|s| {
            let floors = s.spawn(|| [floor(1), floor(2), floor(3)]);
            let open = filters.apply_open(&outer);
            let occluded = filters.apply_occluded(&outer);
            // a panic there is the one the same call would raise here
            let floors = floors
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e));
            (open, occluded, floors)
        });
        IsolationRecordings {
            rate,
            open: with_floor(&open, &floors[0]),
            occluded: with_floor(&occluded, &floors[1]),
            outer: with_floor(&outer, &floors[2]),
        }
    }
}

/// Exact band isolation of `filters` for pink noise through the speaker:
/// `10 lg(int w |R|^2 / int w |T|^2)` over the band, `w = |speaker|^2 / f`,
/// with `R` the open ear (insertion loss) or 1 (noise reduction).
pub fn truth_band_db(
    filters: &OutsideFilters,
    lower_hz: f64,
    upper_hz: f64,
    insertion_loss: bool,
) -> f64 {
    let steps = 400;
    let (mut num, mut den) = (0.0, 0.0);
    for i in 0..=steps {
        let f = lower_hz + (upper_hz - lower_hz) * i as f64 / steps as f64;
        let trapezoid = if i == 0 || i == steps { 0.5 } else { 1.0 };
        let w = trapezoid * filters.speaker(f).norm_sqr() / f;
        num += w * if insertion_loss {
            filters.open(f).norm_sqr()
        } else {
            1.0
        };
        den += w * filters.occluded(f).norm_sqr();
    }
    10.0 * (num / den).log10()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cascade equals `(a + b) / (1 + a + b)` formed from the two
    /// paths' own analog responses (not from the polynomials the cascade
    /// is built from), over 1 Hz-20 kHz, for sealed, leaky and open fits.
    #[test]
    fn parallel_paths_equal_the_admittance_sum_of_the_two_paths() {
        let one = Complex64::new(1.0, 0.0);
        for (f0, zeta, g_db, fb) in [
            (2.0, 1.5, -42.0, 500.0),
            (90.0, 0.6, -30.0, 800.0),
            (1400.0, 0.3, -6.0, 3000.0),
            (400.0, 2.5, -25.0, 2000.0),
        ] {
            let leak = Leak { f0_hz: f0, zeta };
            let (g, wb) = (from_db(g_db), 2.0 * std::f64::consts::PI * fb);
            let body = AnalogBiquad {
                b: [0.0, 0.0, g * wb],
                a: [0.0, 1.0, wb],
            };
            let sections = parallel_paths(&leak, g, wb);
            for i in 0..=86 {
                let f = 10f64.powf(i as f64 / 20.0);
                let (hl, hb) = (leak.leak_path().response(f), body.response(f));
                let (a, b) = (hl / (one - hl), hb / (one - hb));
                let want = (a + b) / (one + a + b);
                let got = sections[0].response(f) * sections[1].response(f);
                assert!(
                    (got - want).norm() <= 1e-9 * want.norm().max(1e-6),
                    "f0 {f0} zeta {zeta} at {f} Hz: {got} vs {want}"
                );
                // small paths (a sealed tip): their complex sum
                // (second order: within 3 % of the two paths' size)
                if hl.norm() < 0.01 && hb.norm() < 0.01 {
                    let size = hl.norm() + hb.norm();
                    assert!(
                        (got - (hl + hb)).norm() < 0.03 * size,
                        "f0 {f0} at {f} Hz: {got} vs {}",
                        hl + hb
                    );
                }
            }
            // at DC the leak lets the outside pressure in: 0 dB, not more
            let dc = sections[0].response(0.01) * sections[1].response(0.01);
            assert!((dc.norm() - 1.0).abs() < 1e-3, "{dc}");
        }
    }
}
