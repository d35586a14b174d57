//! `tipfit isolation`: passive isolation per band from recordings.

use crate::analysis::isolation::{
    insertion_loss, noise_reduction, BandTable, Isolation, IsolationMethod,
};
use crate::analysis::listening::safe_listening;
use crate::cli::{AmbientArgs, IsolationArgs};
use crate::dsp::bands::{octaves, OCTAVE_NOMINAL};
use crate::dsp::fft::FftCache;
use crate::dsp::power_db;
use crate::dsp::welch::welch;
use crate::formats::wav::{read_wav, WavData};
use anyhow::{bail, Context, Result};
use serde_json::json;
use std::fmt::Write as _;
use std::path::Path;

/// Ambient spectra for the safe-listening estimate: the chosen presets, or
/// a calibrated recording.
pub(crate) fn ambients(a: &AmbientArgs) -> Result<Vec<(String, [f64; 8])>> {
    if let (Some(path), Some(cal)) = (&a.ambient_wav, a.ambient_calibration) {
        let w = read_wav(path)?;
        let x: Vec<f64> = w.channels[0].iter().map(|&v| v as f64).collect();
        let n = 1usize << ((w.rate as f64).log2().round() as u32);
        if x.len() < 2 * n {
            bail!(
                "{}: at least {:.1} s of ambient noise is needed",
                path.display(),
                2.0 * n as f64 / w.rate as f64
            );
        }
        let s = welch(&x, None, n, w.rate as f64, &FftCache::new());
        let mut levels = [f64::NEG_INFINITY; 8];
        for b in octaves(0.45 * w.rate as f64) {
            let i = OCTAVE_NOMINAL
                .iter()
                .position(|c| *c == b.nominal_hz)
                .unwrap_or(0);
            levels[i] = power_db(s.band_sum(&s.sxx, b.lower_hz, b.upper_hz)) + cal;
        }
        return Ok(vec![(path.display().to_string(), levels)]);
    }
    Ok(a.ambient
        .presets()
        .into_iter()
        .map(|p| (p.name.to_string(), p.level_db_spl))
        .collect())
}

/// Safe-listening estimates for `octave` attenuations (63 ... 8000 Hz; a
/// band the rate does not reach counts as no attenuation; floor-limited
/// bands use their lower bound, which errs on the safe side).
pub(crate) fn safe_listening_report(
    octave: &BandTable,
    ambients: &[(String, [f64; 8])],
) -> (serde_json::Value, String) {
    let mut attenuation = [0.0; 8];
    for (c, v) in octave.centre_hz.iter().zip(&octave.attenuation_db) {
        if let Some(i) = OCTAVE_NOMINAL.iter().position(|n| n == c) {
            attenuation[i] = *v;
        }
    }
    let mut text = String::from("  safe listening (music 10 dB above the noise at the eardrum; NIOSH 85 dBA / 8 h, 3 dB exchange)\n");
    let mut docs = Vec::new();
    for (name, levels) in ambients {
        let mut s = safe_listening(levels, &attenuation);
        s.preset = Some(name.clone());
        let time = if s.unlimited {
            "no limit".to_string()
        } else {
            format!("{:.1} h a day", s.niosh_allowed_hours)
        };
        text += &format!(
            "    {:<10} ambient {:5.1} dBA -> eardrum {:5.1} dBA, music {:5.1} dBA: {time}\n",
            name, s.ambient_dba, s.eardrum_dba, s.music_dba
        );
        docs.push(serde_json::to_value(&s).unwrap_or_default());
    }
    (serde_json::Value::Array(docs), text)
}

/// Recordings whose lengths differ by more than this fraction are refused.
pub const MAX_LENGTH_MISMATCH: f64 = 0.05;

pub fn run(a: IsolationArgs) -> Result<()> {
    let fft = FftCache::new();
    let ambient = ambients(&a.ambient)?;
    let (iso, inputs) = match (&a.open, &a.occluded, &a.dual) {
        (Some(open), Some(occluded), None) => {
            let (o, c) = (read_wav(open)?, read_wav(occluded)?);
            let x = channel(&o, open, a.channel, "--channel")?;
            let y = channel(&c, occluded, a.channel, "--channel")?;
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
            let inner = channel(&d, dual, a.inner_channel, "--inner-channel")?;
            let outer = channel(&d, dual, a.outer_channel, "--outer-channel")?;
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
    let (listening, text) = safe_listening_report(&iso.octave, &ambient);
    if a.json {
        let mut doc = serde_json::to_value(&iso)?;
        doc["safe_listening"] = listening;
        doc["inputs"] = inputs;
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        print!("{}{text}", render(&iso));
    }
    Ok(())
}

fn channel(w: &WavData, path: &Path, n: usize, flag: &str) -> Result<Vec<f64>> {
    Ok(super::channel(w, path, n, flag)?
        .iter()
        .map(|&v| v as f64)
        .collect())
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
