//! `tipfit isolation`: passive isolation per band from recordings.

use crate::analysis::isolation::{
    insertion_loss, noise_reduction, BandTable, Isolation, IsolationMethod,
};
use crate::cli::IsolationArgs;
use crate::dsp::fft::FftCache;
use crate::formats::wav::{read_wav, WavData};
use anyhow::{bail, Context, Result};
use serde_json::json;
use std::fmt::Write as _;
use std::path::Path;

/// Recordings whose lengths differ by more than this fraction are refused.
pub const MAX_LENGTH_MISMATCH: f64 = 0.05;

pub fn run(a: IsolationArgs) -> Result<()> {
    let fft = FftCache::new();
    let (iso, inputs) = match (&a.open, &a.occluded, &a.dual) {
        (Some(open), Some(occluded), None) => {
            let (o, c) = (read_wav(open)?, read_wav(occluded)?);
            let x = channel(&o, open, a.channel)?;
            let y = channel(&c, occluded, a.channel)?;
            check_pair(open, &o, occluded, &c)?;
            let iso = insertion_loss(&x, &y, o.rate, &fft)
                .with_context(|| format!("{} vs {}", open.display(), occluded.display()))?;
            (
                iso,
                json!({"open": open, "occluded": occluded, "channel": a.channel}),
            )
        }
        (None, None, Some(dual)) => {
            let d = read_wav(dual)?;
            if a.inner_channel == a.outer_channel {
                bail!(
                    "{}: --inner-channel and --outer-channel are both {}",
                    dual.display(),
                    a.inner_channel
                );
            }
            let inner = channel(&d, dual, a.inner_channel)?;
            let outer = channel(&d, dual, a.outer_channel)?;
            let iso = noise_reduction(&outer, &inner, d.rate, &fft).with_context(|| {
                format!(
                    "{} (inner channel {}, outer channel {})",
                    dual.display(),
                    a.inner_channel,
                    a.outer_channel
                )
            })?;
            let inputs = json!({"dual": dual, "inner_channel": a.inner_channel, "outer_channel": a.outer_channel});
            (iso, inputs)
        }
        _ => bail!("give --open and --occluded, or --dual"),
    };
    if a.json {
        let mut doc = serde_json::to_value(&iso)?;
        doc["inputs"] = inputs;
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        print!("{}", render(&iso));
    }
    Ok(())
}

fn channel(w: &WavData, path: &Path, n: usize) -> Result<Vec<f64>> {
    let count = w.channels.len();
    if n == 0 || n > count {
        bail!(
            "{}: has {count} channel(s); channel {n} does not exist (use 1 to {count})",
            path.display()
        );
    }
    Ok(w.channels[n - 1].iter().map(|&v| v as f64).collect())
}

fn check_pair(a: &Path, wa: &WavData, b: &Path, wb: &WavData) -> Result<()> {
    if wa.rate != wb.rate {
        bail!(
            "{} is at {} Hz but {} is at {} Hz: record both at the same rate",
            a.display(),
            wa.rate,
            b.display(),
            wb.rate
        );
    }
    let (la, lb) = (wa.channels[0].len() as f64, wb.channels[0].len() as f64);
    if (la - lb).abs() > MAX_LENGTH_MISMATCH * la.max(lb) {
        bail!(
            "{} lasts {:.2} s but {} lasts {:.2} s: record both conditions with the same noise and length",
            a.display(),
            la / wa.rate as f64,
            b.display(),
            lb / wb.rate as f64
        );
    }
    Ok(())
}

fn table(out: &mut String, title: &str, t: &BandTable) {
    let _ = writeln!(out, "  {title}");
    let _ = writeln!(out, "    {:>8}  {:>9}  note", "band Hz", "atten dB");
    for i in 0..t.centre_hz.len() {
        let (value, note) = if t.floor_limited[i] {
            (
                format!(">={:.1}", t.attenuation_db[i]),
                "at the noise floor",
            )
        } else {
            (format!("{:.1}", t.attenuation_db[i]), "")
        };
        let coherence = t
            .coherence
            .as_ref()
            .map(|c| format!(" coherence {:.2}", c[i]))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "    {:>8}  {:>9}  {note}{coherence}",
            t.centre_hz[i], value
        );
    }
}

/// The human-readable isolation report.
pub(crate) fn render(iso: &Isolation) -> String {
    let mut out = String::new();
    let what = match iso.method {
        IsolationMethod::InsertionLoss => "insertion loss (ear open minus tip in, inner mic)",
        IsolationMethod::NoiseReduction => "noise reduction (outer minus inner mic, at once)",
    };
    let _ = writeln!(
        out,
        "tipfit isolation — {what}, {:.1} s of noise at {} Hz",
        iso.analysed_s, iso.sample_rate
    );
    table(&mut out, "octave bands", &iso.octave);
    table(&mut out, "third-octave bands", &iso.third_octave);
    for w in &iso.warnings {
        let _ = writeln!(out, "  warning: {w}");
    }
    out
}
