//! IEC 61260-1 fractional-octave bands (base 10: G = 10^0.3, fr = 1 kHz).
//!
//! Exact mid-band frequencies are `fr G^(x/b)` for odd `b` (octaves b = 1,
//! third octaves b = 3); band edges are `fm G^(+-1/(2b))`. Results are
//! labelled with the nominal frequencies (25, 31.5, 40 ... 16000).

/// One band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Band {
    /// Nominal centre (label), Hz.
    pub nominal_hz: f64,
    /// Exact mid-band frequency, Hz.
    pub centre_hz: f64,
    /// Lower edge, Hz.
    pub lower_hz: f64,
    /// Upper edge, Hz.
    pub upper_hz: f64,
}

const G: f64 = 1.995_262_314_968_879_5; // 10^0.3

/// Nominal third-octave labels from 25 Hz to 20 kHz.
pub const THIRD_OCTAVE_NOMINAL: [f64; 30] = [
    25.0, 31.5, 40.0, 50.0, 63.0, 80.0, 100.0, 125.0, 160.0, 200.0, 250.0, 315.0, 400.0, 500.0,
    630.0, 800.0, 1000.0, 1250.0, 1600.0, 2000.0, 2500.0, 3150.0, 4000.0, 5000.0, 6300.0, 8000.0,
    10_000.0, 12_500.0, 16_000.0, 20_000.0,
];

/// Nominal octave labels from 63 Hz to 8 kHz (the rating bands).
pub const OCTAVE_NOMINAL: [f64; 8] = [63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0];

fn band(x: i32, b: i32, nominal_hz: f64) -> Band {
    let centre_hz = 1000.0 * G.powf(x as f64 / b as f64);
    let half = G.powf(1.0 / (2.0 * b as f64));
    Band {
        nominal_hz,
        centre_hz,
        lower_hz: centre_hz / half,
        upper_hz: centre_hz * half,
    }
}

/// Third-octave bands 25 Hz ... 16 kHz whose upper edge stays below
/// `max_hz` (e.g. 0.45 x the sample rate).
pub fn third_octaves(max_hz: f64) -> Vec<Band> {
    THIRD_OCTAVE_NOMINAL
        .iter()
        .enumerate()
        .map(|(i, &nom)| band(i as i32 - 16, 3, nom))
        .filter(|b| b.nominal_hz <= 16_000.0 && b.upper_hz <= max_hz)
        .collect()
}

/// Octave bands 63 Hz ... 8 kHz whose upper edge stays below `max_hz`.
pub fn octaves(max_hz: f64) -> Vec<Band> {
    OCTAVE_NOMINAL
        .iter()
        .enumerate()
        .map(|(i, &nom)| band(i as i32 - 4, 1, nom))
        .filter(|b| b.upper_hz <= max_hz)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centres_match_the_nominal_labels() {
        for b in third_octaves(24_000.0)
            .iter()
            .chain(octaves(24_000.0).iter())
        {
            assert!((b.centre_hz / b.nominal_hz - 1.0).abs() < 0.03, "{b:?}");
        }
        assert_eq!(third_octaves(24_000.0).len(), 29);
        assert_eq!(octaves(24_000.0).len(), 8);
    }

    #[test]
    fn third_octaves_tile_the_octave() {
        let t = third_octaves(24_000.0);
        for w in t.windows(2) {
            assert!((w[0].upper_hz - w[1].lower_hz).abs() < 1e-9);
        }
        let o = octaves(24_000.0);
        let oct_1k = o.iter().find(|b| b.nominal_hz == 1000.0).unwrap();
        let lo = t.iter().find(|b| b.nominal_hz == 800.0).unwrap();
        assert!((oct_1k.lower_hz - lo.lower_hz).abs() < 1e-9);
    }

    #[test]
    fn rate_limits_the_top_band() {
        let t = third_octaves(0.45 * 32_000.0);
        assert_eq!(t.last().unwrap().nominal_hz, 12_500.0);
    }
}
