//! The sim's settings as the command line spells them (`--latency`,
//! `--distortion`), parsed by clap through [`FromStr`] so that a bad value
//! is a usage error (clap names the option and the value; the messages say
//! what to give).

use super::ear::Latency;
use std::str::FromStr;

/// `--latency`: seconds from 0 to 10, or `random` (up to 1 s, drawn per
/// measurement).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LatencySpec {
    /// A fixed latency, s.
    Seconds(f64),
    /// Random, up to 1 s.
    Random,
}

impl LatencySpec {
    /// The sim's latency at `rate` Hz.
    pub fn at_rate(self, rate: u32) -> Latency {
        match self {
            LatencySpec::Random => Latency::Random(1.0),
            LatencySpec::Seconds(s) => Latency::Samples((s * rate as f64).round() as usize),
        }
    }
}

impl FromStr for LatencySpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "random" => Ok(LatencySpec::Random),
            t => t
                .parse()
                .ok()
                .filter(|v: &f64| (0.0..=10.0).contains(v))
                .map(LatencySpec::Seconds)
                .ok_or_else(|| "give seconds from 0 to 10, or 'random'".to_string()),
        }
    }
}

/// `--distortion "H2,H3"`: the driver's second and third harmonic, percent
/// of the fundamental at full scale, each from 0 to 30.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Distortion {
    /// Second harmonic, %.
    pub h2_percent: f64,
    /// Third harmonic, %.
    pub h3_percent: f64,
}

impl FromStr for Distortion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let pair = |s: &str| -> Option<(f64, f64)> {
            let (a, b) = s.split_once(',')?;
            Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
        };
        pair(s)
            .filter(|(x, y)| (0.0..=30.0).contains(x) && (0.0..=30.0).contains(y))
            .map(|(h2_percent, h3_percent)| Distortion {
                h2_percent,
                h3_percent,
            })
            .ok_or_else(|| "give \"H2,H3\" in percent, each from 0 to 30".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_takes_seconds_or_random() {
        assert_eq!("random".parse(), Ok(LatencySpec::Random));
        assert_eq!(" 0.5 ".parse(), Ok(LatencySpec::Seconds(0.5)));
        assert_eq!(
            LatencySpec::Seconds(0.01).at_rate(48_000),
            Latency::Samples(480)
        );
        for bad in ["11", "-1", "soon", "NaN"] {
            let e = bad.parse::<LatencySpec>().unwrap_err();
            assert!(e.contains("give seconds from 0 to 10, or 'random'"), "{e}");
        }
    }

    #[test]
    fn distortion_takes_two_percentages() {
        assert_eq!(
            "1, 0.5".parse(),
            Ok(Distortion {
                h2_percent: 1.0,
                h3_percent: 0.5
            })
        );
        for bad in ["1", "1,31", "a,b", "1,0.5,2"] {
            let e = bad.parse::<Distortion>().unwrap_err();
            assert!(e.contains("give \"H2,H3\" in percent"), "{e}");
        }
    }
}
