//! The short human summary printed without `--json`.

use crate::analysis::Measurement;
use std::fmt::Write as _;

fn nearest(freqs: &[f64], values: &[f64], f: f64) -> Option<(f64, f64)> {
    let i =
        (0..freqs.len()).min_by(|&a, &b| (freqs[a] - f).abs().total_cmp(&(freqs[b] - f).abs()))?;
    ((freqs[i] / f).ln().abs() < 0.2).then(|| (freqs[i], values[i]))
}

/// Render the summary of `m` measured on/from `source` (on the sim, whose
/// true leak corner is `truth_corner_hz`).
pub fn render(m: &Measurement, source: &str, truth_corner_hz: Option<f64>) -> String {
    let s = &m.seal;
    let mut out = String::new();
    let _ = writeln!(out, "tipfit {} — {source}", m.method);
    let mut verdict = s.verdict.to_string().to_uppercase();
    if s.uncertain {
        verdict += " (uncertain: the bass is near the noise floor, see the warnings)";
    }
    let _ = writeln!(out, "  seal verdict   {verdict}");
    let bound = if s.bass_floor_limited {
        " (at the noise floor: at most)"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "  bass level     {:+.1} dB, {}-{} Hz vs {}-{} Hz{bound}",
        s.bass_db, s.bass_band_hz.0, s.bass_band_hz.1, s.reference_band_hz.0, s.reference_band_hz.1
    );
    match s.bass_loss_db {
        Some(l) => {
            let _ = writeln!(
                out,
                "  bass loss      {l:.1} dB against the reference response"
            );
        }
        None => {
            let _ = writeln!(
                out,
                "  bass loss      - (give --reference-response to compare with a sealed fit)"
            );
        }
    }
    use crate::analysis::seal::Corner;
    match s.leak_corner {
        _ if s.leak_fit_uncertain => {
            let rms = s.leak_fit.as_ref().map_or(f64::NAN, |f| f.rms_error_db);
            let _ = writeln!(
                out,
                "  leak corner    uncertain ({rms:.1} dB RMS fit error: not a leak shape, see the seal note)"
            );
        }
        Some(Corner::Value { hz }) => {
            let _ = writeln!(
                out,
                "  leak corner    {hz:.0} Hz (-3 dB of the fitted leak high-pass)"
            );
        }
        Some(Corner::Below { hz }) => {
            let _ = writeln!(
                out,
                "  leak corner    < {hz:.0} Hz (below the lowest measured frequency: sealed as far as this measurement can tell)"
            );
        }
        Some(Corner::Above { hz }) => {
            let _ = writeln!(
                out,
                "  leak corner    > {hz:.0} Hz (beyond the fitted range: no seal)"
            );
        }
        None => {
            let _ = writeln!(out, "  leak corner    - (no leak fit)");
        }
    }
    if let Some(f) = s.minus3db_hz {
        let _ = writeln!(
            out,
            "  -3 dB point    {f:.0} Hz (model-free, re the {}-{} Hz level)",
            s.reference_band_hz.0, s.reference_band_hz.1
        );
    }
    for n in &s.notes {
        let _ = writeln!(out, "  seal note: {n}");
    }
    if m.latency_s < 0.0 {
        let _ = writeln!(
            out,
            "  latency        {:.2} ms (negative: the recording started after the signal)",
            m.latency_s * 1000.0
        );
    } else {
        let _ = writeln!(out, "  latency        {:.2} ms", m.latency_s * 1000.0);
    }
    if let Some(c) = &m.clock {
        let _ = writeln!(out, "  clock          {}", c.describe());
    }
    let _ = writeln!(out, "  SNR            {:.1} dB", m.snr_db);
    let t = &m.thd_percent;
    let thd: Vec<String> = [100.0, 1000.0]
        .iter()
        .filter_map(|&f| nearest(&t.freq_hz, &t.value, f))
        .map(|(f, v)| {
            // a point at the noise or hum floor is an upper bound only
            let at_floor = t
                .freq_hz
                .iter()
                .position(|x| *x == f)
                .and_then(|i| t.floor_limited.get(i))
                .copied()
                .unwrap_or(false);
            if at_floor {
                format!("at most {v:.2} % at {f:.0} Hz (at the noise/hum floor)")
            } else {
                format!("{v:.2} % at {f:.0} Hz")
            }
        })
        .collect();
    if !thd.is_empty() {
        let _ = writeln!(out, "  THD            {}", thd.join(", "));
    }
    if let Some(t) = truth_corner_hz {
        let _ = writeln!(out, "  sim truth      leak corner {t:.0} Hz");
    }
    if m.warnings.is_empty() {
        let _ = writeln!(out, "  warnings       none");
    }
    for w in &m.warnings {
        let _ = writeln!(out, "  warning: {w}");
    }
    out
}
