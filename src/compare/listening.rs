//! What a poor seal costs in listening level, per tip and ambient
//! ([`crate::analysis::listening::listening_penalty`]): each tip's mean
//! response (third-octave power means of its fits' responses, averaged in
//! dB over fits) and mean isolation (its fits' third-octave attenuations,
//! averaged in dB; a floor-limited band counts with its bound, so the
//! leaked noise is if anything overstated), against the session's
//! best-sealing tip ([`super::ears::best_tip`]: the best seal verdict, then
//! the most isolation) in the four ambient presets.
//!
//! Tips without both a measured response and a measured isolation are left
//! out, and so is the whole penalty when fewer than two tips have both:
//! `Comparison::listening_note` says why, never a number made up.

use super::tips::TipStats;
use crate::analysis::listening::{
    listening_penalties, on_third_octaves, third_octave_response, Ambient, ListeningPenalty,
    PenaltySettings, TipBands,
};
use crate::analysis::loudness::N_BANDS;
use crate::session::model::{FitRecord, SessionInfo};

/// The penalties of `fits` (one ear's), with the best of `tips` as the
/// reference, in every preset and in `extra` ambients; or why there are none.
pub fn penalties(
    info: &SessionInfo,
    fits: &[&FitRecord],
    tips: &[TipStats],
    extra: &[Ambient],
) -> Result<Vec<ListeningPenalty>, String> {
    let mut bands = Vec::new();
    for t in &info.tips {
        let mine: Vec<&FitRecord> = fits
            .iter()
            .copied()
            .filter(|r| r.tip == t.name && !r.skipped)
            .collect();
        if let Some(b) = tip_bands(&t.name, &mine) {
            bands.push(b);
        }
    }
    if bands.len() < 2 {
        return Err(format!(
            "the listening penalty needs at least two tips with both a response and an isolation measured ({} here)",
            bands.len()
        ));
    }
    let measured: Vec<TipStats> = tips
        .iter()
        .filter(|t| bands.iter().any(|b| b.name == t.name))
        .cloned()
        .collect();
    let best = super::ears::best_tip(&measured)
        .and_then(|t| bands.iter().position(|b| b.name == t.name))
        .unwrap_or(0);
    let mut ambients = Ambient::presets();
    ambients.extend_from_slice(extra);
    // one IEM at one volume: absolute levels when tipfit measured every fit
    // (imported files' levels are their own)
    let settings = PenaltySettings {
        absolute_levels: crate::report::plots::session_unit(fits.iter().copied())
            == Some(crate::analysis::LevelUnit::ReUnityGain),
        ..PenaltySettings::default()
    };
    listening_penalties(&bands, best, &ambients, &settings)
        .map_err(|e| format!("the listening penalty cannot be computed: {e}"))
}

/// Set `cmp`'s listening penalty (of the ear `cmp.tips` describes) in the
/// presets and the `extra` ambients (a recorded one), or the note why
/// there is none.
pub fn set_penalty(
    cmp: &mut super::Comparison,
    info: &SessionInfo,
    fits: &[FitRecord],
    extra: &[Ambient],
) {
    let two = cmp.ears.is_some();
    let ear_fits: Vec<&FitRecord> = fits
        .iter()
        .filter(|r| !two || super::ears::side_of(r, info.ear) == crate::session::config::Ear::Left)
        .collect();
    match penalties(info, &ear_fits, &cmp.tips, extra) {
        Ok(p) => {
            cmp.listening_penalty = p;
            cmp.listening_note = None;
        }
        Err(why) => {
            cmp.listening_penalty = Vec::new();
            cmp.listening_note = Some(why);
        }
    }
}

/// The ambients of `p` in order, each as its first entry (for its
/// `preset` and `place`).
pub fn ambients(p: &[ListeningPenalty]) -> Vec<&ListeningPenalty> {
    let mut out: Vec<&ListeningPenalty> = Vec::new();
    for x in p {
        if !out.iter().any(|q| q.preset == x.preset) {
            out.push(x);
        }
    }
    out
}

/// The ambient whose sentences the text and the page print: the subway,
/// else the first.
pub fn sentence_ambient(p: &[ListeningPenalty]) -> Option<&str> {
    let all = ambients(p);
    all.iter()
        .find(|x| x.preset == "subway")
        .or(all.first())
        .map(|x| x.preset.as_str())
}

/// Read a recorded ambient's third-octave levels: lines `Hz, dB SPL`
/// (comma, semicolon, tab or spaces between), `#` comments and blank lines
/// skipped, one header line allowed first. Errors name the file and line.
pub fn read_ambient_levels(path: &std::path::Path) -> anyhow::Result<Ambient> {
    use anyhow::{bail, Context};
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read the ambient levels", path.display()))?;
    let (mut hz, mut db) = (Vec::new(), Vec::new());
    let mut seen_data = false;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cells: Vec<&str> = line
            .split([',', ';', '\t', ' '])
            .filter(|c| !c.is_empty())
            .collect();
        let nums: Vec<Option<f64>> = cells.iter().map(|c| c.parse::<f64>().ok()).collect();
        let at = format!("{}:{}", path.display(), i + 1);
        match nums.as_slice() {
            [Some(f), Some(l), ..] => {
                if !(f.is_finite() && (20.0..=20_000.0).contains(f)) {
                    bail!(
                        "{at}: frequency {f} Hz: give a third-octave centre from 20 Hz to 20 kHz"
                    );
                }
                if !(l.is_finite() && (-50.0..=150.0).contains(l)) {
                    bail!("{at}: level {l} dB SPL: give -50 to 150 dB SPL");
                }
                let centre = crate::analysis::loudness::THIRD_OCTAVE_CENTRES_HZ
                    .iter()
                    .chain(&[16_000.0, 20_000.0])
                    .any(|c| (f / c).ln().abs() < 2f64.powf(1.0 / 12.0).ln());
                if !centre {
                    bail!("{at}: {f} Hz is not a third-octave centre (25, 31.5, 40 ... 12500 Hz)");
                }
                if *f > 14_000.0 {
                    eprintln!("warning: {at}: {f} Hz is left out (ISO 532-1 loudness ends at the 12.5 kHz band)");
                }
                if hz.last().is_some_and(|p| p >= f) {
                    bail!(
                        "{at}: frequencies must rise ({f} Hz after {} Hz)",
                        hz.last().unwrap()
                    );
                }
                hz.push(*f);
                db.push(*l);
                seen_data = true;
            }
            _ if !seen_data && hz.is_empty() && nums.iter().all(|n| n.is_none()) => {
                // a header line
                seen_data = true;
            }
            _ => bail!("{at}: expected two numbers, a frequency in Hz and a level in dB SPL"),
        }
    }
    if hz.is_empty() {
        bail!("{}: no levels (lines of \"Hz, dB SPL\")", path.display());
    }
    let name = path
        .file_stem()
        .map_or("recorded".into(), |s| s.to_string_lossy().into_owned());
    Ambient::recorded(&name, &hz, &db).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// One tip's mean third-octave response and isolation over `fits`.
fn tip_bands(name: &str, fits: &[&FitRecord]) -> Option<TipBands> {
    let responses: Vec<[f64; N_BANDS]> = fits
        .iter()
        .filter_map(|r| r.response())
        .map(|m| {
            let fr = &m.frequency_response;
            third_octave_response(&fr.freq_hz, &fr.db)
        })
        .collect();
    let isolations: Vec<[f64; N_BANDS]> = fits
        .iter()
        .filter_map(|r| r.isolation.as_ref())
        .map(|iso| {
            on_third_octaves(
                &iso.third_octave.centre_hz,
                &iso.third_octave.attenuation_db,
            )
        })
        .collect();
    if responses.is_empty() || isolations.is_empty() {
        return None;
    }
    Some(TipBands::new(
        name,
        mean_bands(&responses),
        mean_bands(&isolations),
    ))
}

/// Per band, the mean of the finite values (NaN where none is).
fn mean_bands(v: &[[f64; N_BANDS]]) -> [f64; N_BANDS] {
    let mut out = [f64::NAN; N_BANDS];
    for (k, o) in out.iter_mut().enumerate() {
        let vals: Vec<f64> = v.iter().map(|b| b[k]).filter(|x| x.is_finite()).collect();
        if !vals.is_empty() {
            *o = vals.iter().sum::<f64>() / vals.len() as f64;
        }
    }
    out
}
