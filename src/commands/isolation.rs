//! `tipfit isolation`: passive isolation per band from recordings.

use super::Extra;
use crate::analysis::isolation::{
    insertion_loss_with_floor, noise_reduction_with_floor, BandTable, Floor, FloorSource,
    Isolation, IsolationError, IsolationMethod, FLOOR_MARGIN_DB, NO_CORRECTION_ABOVE_DB,
};
use crate::analysis::listening::{not_estimated_because, safe_listening_from};
use crate::cli::{AmbientArgs, IsolationArgs};
use crate::dsp::bands::{octaves, OCTAVE_NOMINAL};
use crate::dsp::fft::FftCache;
use crate::dsp::power_db;
use crate::dsp::welch::welch;
use crate::formats::wav::{read_wav, WavData};
use crate::measure::IsolationMeasured;
use anyhow::{anyhow, bail, Result};
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

/// The safe-listening part of an output.
pub(crate) struct Listening {
    /// The estimates per ambient (`null` when none is made).
    pub json: serde_json::Value,
    /// Why none is made.
    pub note: Option<String>,
    /// The summary lines.
    pub text: String,
}

/// Safe-listening estimates from `iso` (see
/// [`crate::analysis::listening::safe_listening_from`]): none, with the
/// reason, from an isolation that failed its self-check.
pub(crate) fn safe_listening_report(iso: &Isolation, ambients: &[(String, [f64; 8])]) -> Listening {
    if let Some(reason) = not_estimated_because(iso) {
        return Listening {
            json: serde_json::Value::Null,
            text: format!("  safe listening: {reason}\n"),
            note: Some(reason),
        };
    }
    let mut text = String::from("  safe listening (music 10 dB above the noise at the eardrum; NIOSH 85 dBA / 8 h, 3 dB exchange)\n");
    let mut docs = Vec::new();
    for (name, levels) in ambients {
        let Ok(mut s) = safe_listening_from(iso, levels) else {
            continue; // not reached: the check above passed
        };
        s.preset = Some(name.clone());
        let time = if s.unlimited {
            "no limit".to_string()
        } else if s.niosh_allowed_hours < 0.05 {
            "under 0.1 h a day".to_string()
        } else {
            format!("{:.1} h a day", s.niosh_allowed_hours)
        };
        text += &format!(
            "    {:<10} ambient {:5.1} dBA -> eardrum {:5.1} dBA, music {:5.1} dBA: {time}\n",
            name, s.ambient_dba, s.eardrum_dba, s.music_dba
        );
        docs.push(serde_json::to_value(&s).unwrap_or_default());
    }
    Listening {
        json: serde_json::Value::Array(docs),
        note: None,
        text,
    }
}

/// Recordings whose lengths differ by more than this fraction are refused.
pub const MAX_LENGTH_MISMATCH: f64 = 0.05;

pub fn run(a: IsolationArgs) -> Result<()> {
    let fft = FftCache::new();
    let ambient = ambients(&a.ambient)?;
    let (iso, mut inputs) = match (&a.open, &a.occluded, &a.dual) {
        (Some(open), Some(occluded), None) => {
            let (o, c) = (read_wav(open)?, read_wav(occluded)?);
            let x = channel(&o, open, a.channel, "--channel")?;
            let y = channel(&c, occluded, a.channel, "--channel")?;
            check_pair(open, &o, occluded, &c)?;
            let floor = floor_samples(a.floor.as_deref(), o.rate, a.channel, "--channel")?;
            let floor = floor.as_deref().map_or(Floor::LeadIn, Floor::Recording);
            let iso = insertion_loss_with_floor(&x, &y, floor, o.rate, &fft).map_err(|e| {
                let (o, c) = (open.display(), occluded.display());
                match e {
                    IsolationError::Swapped { .. } => anyhow!(
                        "{o} vs {c}: {e}. If the files went in the wrong way round, run again with --open {c} --occluded {o}; otherwise check that {o} was recorded with the ear open and {c} with the tip in, with the outside noise at the same level"
                    ),
                    e => anyhow!("{o} vs {c}: {e}"),
                }
            })?;
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
            let floor = floor_samples(
                a.floor.as_deref(),
                d.rate,
                a.inner_channel,
                "--inner-channel",
            )?;
            let floor = floor.as_deref().map_or(Floor::LeadIn, Floor::Recording);
            let (i, o) = (a.inner_channel, a.outer_channel);
            let iso = noise_reduction_with_floor(&outer, &inner, floor, d.rate, &fft).map_err(|e| {
                let hint = match e {
                    IsolationError::OuterQuieter { .. } | IsolationError::ChannelsSwapped { .. } => {
                        format!("; if channel {i} is the outer mic, run again with --inner-channel {o} --outer-channel {i}")
                    }
                    _ => String::new(),
                };
                anyhow!(
                    "{} (inner channel {i}, outer channel {o}): {e}{hint}",
                    dual.display()
                )
            })?;
            let inputs = json!({"dual": dual, "inner_channel": a.inner_channel, "outer_channel": a.outer_channel});
            (iso, inputs)
        }
        _ => bail!("give --open and --occluded, or --dual"),
    };
    if let Some(f) = &a.floor {
        inputs["floor"] = json!(f);
    }
    let listening = safe_listening_report(&iso, &ambient);
    if a.json {
        let mut doc = serde_json::to_value(&iso)?;
        doc["safe_listening"] = listening.json;
        if let Some(note) = listening.note {
            doc["safe_listening_note"] = json!(note);
        }
        doc["inputs"] = inputs;
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        print!("{}{}", render(&iso), listening.text);
    }
    Ok(())
}

/// The samples of `--floor FILE.wav` (channel `n`, or the only one), checked
/// to be at the recordings' `rate`.
fn floor_samples(path: Option<&Path>, rate: u32, n: usize, flag: &str) -> Result<Option<Vec<f64>>> {
    let Some(path) = path else {
        return Ok(None);
    };
    let w = read_wav(path)?;
    if w.rate != rate {
        bail!(
            "{} (--floor) is at {} Hz but the recordings are at {rate} Hz: record the floor at the same rate",
            path.display(),
            w.rate
        );
    }
    let n = if w.channels.len() == 1 { 1 } else { n };
    Ok(Some(channel(&w, path, n, flag)?))
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

/// The value of band `i` as printed: ">=" before a bound, "*" after a value
/// corrected for the noise floor.
pub(crate) fn band_value(t: &BandTable, i: usize) -> String {
    let v = t.attenuation_db[i];
    if t.floor_limited[i] {
        format!(">={v:.1}")
    } else if t.is_corrected(i) {
        format!("{v:.1}*")
    } else {
        format!("{v:.1}")
    }
}

/// What the marks of [`band_value`] mean, when `tables` use any.
pub(crate) fn legend(tables: &[&BandTable]) -> Option<String> {
    let bound = tables.iter().any(|t| t.floor_limited.iter().any(|b| *b));
    let corrected = tables
        .iter()
        .any(|t| (0..t.centre_hz.len()).any(|i| t.is_corrected(i)));
    let mut parts = Vec::new();
    if corrected {
        parts.push(format!(
            "* corrected for the noise floor ({FLOOR_MARGIN_DB:.0}-{NO_CORRECTION_ABOVE_DB:.0} dB above it: its energy subtracted)"
        ));
    }
    if bound {
        parts.push(format!(
            ">= less than {FLOOR_MARGIN_DB:.0} dB above the noise floor: the isolation is at least this"
        ));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn table(out: &mut String, title: &str, t: &BandTable) {
    let _ = writeln!(out, "  {title}");
    let _ = writeln!(
        out,
        "    {:>8}  {:>9}  {:>11}  note",
        "band Hz", "atten dB", "above floor"
    );
    for i in 0..t.centre_hz.len() {
        let margin = t
            .margin_db
            .as_ref()
            .and_then(|m| m.get(i))
            .map_or("-".to_string(), |m| format!("{m:.1} dB"));
        let note = if t.floor_limited[i] {
            "at the noise floor: at least this".to_string()
        } else if t.is_corrected(i) {
            format!("corrected for the noise floor (+{:.1} dB)", t.correction(i))
        } else {
            String::new()
        };
        let coherence = t
            .coherence
            .as_ref()
            .map(|c| format!(" coherence {:.2}", c[i]))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "    {:>8}  {:>9}  {margin:>11}  {note}{coherence}",
            t.centre_hz[i],
            band_value(t, i)
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
    let floor = match iso.floor_correction.source {
        FloorSource::Unknown => "unknown (nothing corrected or flagged)",
        FloorSource::LeadIn => "from the silent lead-in",
        FloorSource::Recording => "from the floor recording",
        FloorSource::Known => "the simulated mic's known floor",
    };
    let _ = writeln!(out, "  noise floor    {floor}");
    table(&mut out, "octave bands", &iso.octave);
    table(&mut out, "third-octave bands", &iso.third_octave);
    if let Some(l) = legend(&[&iso.octave, &iso.third_octave]) {
        let _ = writeln!(out, "  {l}");
    }
    for w in &iso.warnings {
        let _ = writeln!(out, "  warning: {w}");
    }
    out
}

/// Isolation in `measure`'s output: on the sim both methods, the truth and
/// the safe-listening estimate; on a sound card noise reduction.
pub(crate) fn measure_output(
    iso: &IsolationMeasured,
    ambient: &[(String, [f64; 8])],
    extra: &mut Extra,
) -> Result<()> {
    let (il, nr) = match (&iso.insertion_loss, &iso.noise_reduction) {
        (Some(il), Some(nr)) => (il, nr),
        (None, Some(nr)) => {
            extra.doc["isolation"] = json!({ "noise_reduction": nr });
            extra.text += "  isolation      octave band: noise reduction, dB\n";
            for i in 0..nr.octave.centre_hz.len() {
                extra.text += &format!(
                    "    {:>6} Hz  {}\n",
                    nr.octave.centre_hz[i],
                    band_value(&nr.octave, i)
                );
            }
            if let Some(l) = legend(&[&nr.octave]) {
                extra.text += &format!("    {l}\n");
            }
            for w in &nr.warnings {
                extra.text += &format!("  warning: {w}\n");
            }
            return Ok(());
        }
        _ => bail!("the isolation holds no noise reduction"),
    };
    extra.doc["isolation"] = json!({
        "insertion_loss": il,
        "noise_reduction": nr,
        "truth_third_octave_insertion_loss_db": iso.truth_third_octave_db,
    });
    let mut text =
        String::from("  isolation      octave band: insertion loss / noise reduction, dB\n");
    for i in 0..il.octave.centre_hz.len() {
        text += &format!(
            "    {:>6} Hz  {} / {}\n",
            il.octave.centre_hz[i],
            band_value(&il.octave, i),
            band_value(&nr.octave, i)
        );
    }
    if let Some(l) = legend(&[&il.octave, &nr.octave]) {
        text += &format!("    {l}\n");
    }
    let mut warnings: Vec<&String> = il.warnings.iter().collect();
    warnings.extend(nr.warnings.iter().filter(|w| !il.warnings.contains(w)));
    for w in warnings {
        text += &format!("  warning: {w}\n");
    }
    let listening = safe_listening_report(il, ambient);
    extra.doc["safe_listening"] = listening.json;
    if let Some(note) = listening.note {
        extra.doc["safe_listening_note"] = json!(note);
    }
    extra.text += &text;
    extra.text += &listening.text;
    Ok(())
}
