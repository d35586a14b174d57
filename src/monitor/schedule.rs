//! How the simulated fit changes over time (`--schedule`).
//!
//! A schedule is a comma-separated list of `TIME:FIT` steps:
//!
//! - `3:earbud`: from 3 s on, the fit is `earbud` (a step change);
//! - `6-8:foam`: from 6 s to 8 s the leak glides from whatever it was at
//!   6 s to `foam` (log f0 and log zeta interpolated linearly in time), and
//!   stays `foam` after 8 s.
//!
//! FIT is a tip preset name (`foam`, `silicone-m`, ...), `sealed`, or an
//! explicit leak `F0/ZETA` such as `120/0.5`. A preset stands for one
//! deterministic insertion drawn with the seed ([`TipPreset::draw_leak`],
//! the same leak `tipfit measure --tip-preset P --seed S` simulates), so every
//! mention of a preset in one schedule is the same leak. Before the first
//! step, the fit is the default (`--tip-preset`).

use crate::acoustics::Leak;
use crate::rig::sim::TipPreset;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::fmt;

/// Stand-in for "no leak" at the sealed end of a glide: a leak so small
/// (corner well below 1 Hz) that nothing in the audio band sees it.
const SEALED_PROXY: Leak = Leak {
    f0_hz: 0.5,
    zeta: 1.0,
};

/// One fit: what the ear holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ScheduledFit {
    /// A tip preset (one insertion drawn with the seed).
    Preset(TipPreset),
    /// An explicit leak.
    Leak(Leak),
    /// No leak at all.
    Sealed,
}

impl ScheduledFit {
    /// The leak of this fit (`None`: sealed).
    pub fn leak(&self, seed: u64) -> Option<Leak> {
        match self {
            ScheduledFit::Preset(p) => Some(p.draw_leak(&mut ChaCha8Rng::seed_from_u64(seed))),
            ScheduledFit::Leak(l) => Some(*l),
            ScheduledFit::Sealed => None,
        }
    }
}

impl fmt::Display for ScheduledFit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScheduledFit::Preset(p) => f.write_str(p.name()),
            ScheduledFit::Leak(l) => write!(f, "{}/{}", l.f0_hz, l.zeta),
            ScheduledFit::Sealed => f.write_str("sealed"),
        }
    }
}

/// One resolved step of a schedule.
#[derive(Debug, Clone, PartialEq)]
struct Step {
    /// Start of the change, s.
    start_s: f64,
    /// End of the change (equal to `start_s` for a step), s.
    end_s: f64,
    /// The fit after the change.
    fit: ScheduledFit,
    /// Its leak.
    leak: Option<Leak>,
}

/// A fit that changes over time.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    initial: ScheduledFit,
    initial_leak: Option<Leak>,
    steps: Vec<Step>,
}

/// A `--schedule` that cannot be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("--schedule step {index} '{step}': {problem}")]
pub struct ScheduleError {
    /// 1-based number of the bad step.
    pub index: usize,
    /// The step as typed.
    pub step: String,
    /// What is wrong and what is allowed.
    pub problem: String,
}

impl Schedule {
    /// The same fit throughout.
    pub fn constant(fit: ScheduledFit, seed: u64) -> Self {
        Self {
            initial: fit,
            initial_leak: fit.leak(seed),
            steps: Vec::new(),
        }
    }

    /// Parse `TIME:FIT,...` (see the module docs); before the first step
    /// the fit is `default`.
    pub fn parse(text: &str, default: ScheduledFit, seed: u64) -> Result<Self, ScheduleError> {
        let mut schedule = Self::constant(default, seed);
        let mut previous_end = 0.0f64;
        let parts: Vec<&str> = text.split(',').collect();
        for (i, raw) in parts.iter().enumerate() {
            let err = |problem: String| ScheduleError {
                index: i + 1,
                step: raw.trim().to_string(),
                problem,
            };
            let step = raw.trim();
            if step.is_empty() {
                return Err(err(
                    "is empty: write TIME:FIT steps separated by commas, e.g. \"0:foam,3:earbud,6-8:foam\"".into(),
                ));
            }
            let (time, fit) = step.split_once(':').ok_or_else(|| {
                err("has no ':': write TIME:FIT, e.g. \"3:earbud\" or \"6-8:foam\"".into())
            })?;
            let (start_s, end_s) = parse_time(time.trim()).map_err(err)?;
            let fit = parse_fit(fit.trim()).map_err(err)?;
            if start_s < previous_end {
                return Err(err(format!(
                    "starts at {start_s} s, before the previous step ends at {previous_end} s: give the steps in time order"
                )));
            }
            previous_end = end_s;
            schedule.steps.push(Step {
                start_s,
                end_s,
                fit,
                leak: fit.leak(seed),
            });
        }
        Ok(schedule)
    }

    /// The leak at recording time `t_s` (`None`: sealed).
    pub fn leak_at(&self, t_s: f64) -> Option<Leak> {
        let mut leak = self.initial_leak;
        for step in &self.steps {
            if t_s < step.start_s {
                break;
            }
            if t_s >= step.end_s {
                leak = step.leak;
                continue;
            }
            // Inside a glide: from the leak at its start to the new one.
            let u = (t_s - step.start_s) / (step.end_s - step.start_s);
            let a = leak.unwrap_or(SEALED_PROXY);
            let b = step.leak.unwrap_or(SEALED_PROXY);
            let mix = |x: f64, y: f64| (x.ln() + u * (y.ln() - x.ln())).exp();
            return Some(Leak {
                f0_hz: mix(a.f0_hz, b.f0_hz),
                zeta: mix(a.zeta, b.zeta),
            });
        }
        leak
    }

    /// Times at which the fit starts or stops changing, s (ascending).
    pub fn change_times(&self) -> Vec<f64> {
        let mut v: Vec<f64> = self
            .steps
            .iter()
            .flat_map(|s| [s.start_s, s.end_s])
            .collect();
        v.dedup();
        v
    }

    /// A short description: `foam` or `foam; 3 s earbud; 6-8 s foam`.
    pub fn describe(&self) -> String {
        let mut s = self.initial.to_string();
        for step in &self.steps {
            if step.start_s == 0.0 && step.end_s == 0.0 {
                s = step.fit.to_string();
            } else if step.end_s > step.start_s {
                s += &format!("; {}-{} s {}", step.start_s, step.end_s, step.fit);
            } else {
                s += &format!("; {} s {}", step.start_s, step.fit);
            }
        }
        s
    }
}

/// `T` or `A-B` in seconds.
fn parse_time(s: &str) -> Result<(f64, f64), String> {
    let bad = || {
        format!(
            "TIME '{s}' is not seconds: give a time like \"3\" or \"2.5\", or a glide \"6-8\" (from 6 s to 8 s)"
        )
    };
    let secs = |x: &str| -> Result<f64, String> {
        x.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or_else(bad)
    };
    match s.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (secs(a)?, secs(b)?);
            if b <= a {
                return Err(format!(
                    "the glide {s} must end after it starts (A-B with A < B)"
                ));
            }
            Ok((a, b))
        }
        None => {
            let t = secs(s)?;
            Ok((t, t))
        }
    }
}

/// A preset name, `sealed`, or `F0/ZETA`.
fn parse_fit(s: &str) -> Result<ScheduledFit, String> {
    let lower = s.to_ascii_lowercase();
    if lower == "sealed" {
        return Ok(ScheduledFit::Sealed);
    }
    if let Some(p) = TipPreset::ALL.iter().find(|p| p.name() == lower) {
        return Ok(ScheduledFit::Preset(*p));
    }
    if let Some((f0, zeta)) = s.split_once('/') {
        let f0 = f0.trim().parse::<f64>().ok();
        let zeta = zeta.trim().parse::<f64>().ok();
        return match (f0, zeta) {
            (Some(f0), Some(zeta)) if f0 > 0.0 && f0 < 20_000.0 && zeta > 0.0 && zeta < 100.0 => {
                Ok(ScheduledFit::Leak(Leak { f0_hz: f0, zeta }))
            }
            _ => Err(format!(
                "the leak '{s}' must be F0/ZETA with F0 between 0 and 20000 Hz and ZETA between 0 and 100, e.g. \"120/0.5\""
            )),
        };
    }
    let names: Vec<&str> = TipPreset::ALL.iter().map(|p| p.name()).collect();
    Err(format!(
        "unknown fit '{s}': give a tip preset ({}), \"sealed\", or a leak F0/ZETA like \"120/0.5\"",
        names.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leak(f0_hz: f64, zeta: f64) -> Option<Leak> {
        Some(Leak { f0_hz, zeta })
    }

    #[test]
    fn steps_and_glides() {
        let s = Schedule::parse("0:100/1,2:sealed,4-6:400/0.25", ScheduledFit::Sealed, 1).unwrap();
        assert_eq!(s.leak_at(0.0), leak(100.0, 1.0));
        assert_eq!(s.leak_at(1.99), leak(100.0, 1.0));
        assert_eq!(s.leak_at(2.0), None);
        assert_eq!(s.leak_at(3.99), None);
        let mid = s.leak_at(5.0).unwrap();
        // Halfway in log between the sealed stand-in and the new leak.
        assert!((mid.f0_hz - (0.5f64 * 400.0).sqrt()).abs() < 1e-9);
        assert!((mid.zeta - 0.5).abs() < 1e-9);
        assert_eq!(s.leak_at(6.0), leak(400.0, 0.25));
        assert_eq!(s.leak_at(100.0), leak(400.0, 0.25));
        assert_eq!(s.change_times(), vec![0.0, 2.0, 4.0, 6.0]);
    }

    #[test]
    fn before_the_first_step_the_default_holds() {
        let s = Schedule::parse("3:earbud", ScheduledFit::Preset(TipPreset::Foam), 7).unwrap();
        let foam = TipPreset::Foam.draw_leak(&mut ChaCha8Rng::seed_from_u64(7));
        assert_eq!(s.leak_at(1.0), Some(foam));
        let earbud = TipPreset::Earbud.draw_leak(&mut ChaCha8Rng::seed_from_u64(7));
        assert_eq!(s.leak_at(3.0), Some(earbud));
        assert_eq!(s.describe(), "foam; 3 s earbud");
    }

    #[test]
    fn bad_steps_are_named() {
        let default = ScheduledFit::Sealed;
        for (text, index, needle) in [
            ("0:foam,3:earbud2", 2, "unknown fit 'earbud2'"),
            ("0:foam,x:earbud", 2, "TIME 'x' is not seconds"),
            ("0:foam,,3:foam", 2, "is empty"),
            ("foam", 1, "has no ':'"),
            ("0:foam,4:earbud,3:foam", 3, "time order"),
            ("0:foam,5-4:foam", 2, "must end after it starts"),
            ("0:-5/1", 1, "F0/ZETA"),
            ("-1:foam", 1, "not seconds"),
        ] {
            let e = Schedule::parse(text, default, 1).unwrap_err();
            assert_eq!(e.index, index, "{text}: {e}");
            let msg = e.to_string();
            assert!(msg.contains(needle), "{text}: {msg}");
            assert!(msg.contains(&format!("step {index}")), "{msg}");
        }
    }
}
