//! The self-contained HTML report: the PNGs embedded as data URIs, the
//! per-tip table, the rankings, the notes. Pure: returns the text.

use super::text::{self, fits_named};
use crate::compare::{Comparison, Ranking, Stat};
use crate::session::model::{FitRecord, SessionInfo};
use base64::Engine as _;
use std::fmt::Write as _;

/// Escape text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// "mean ± SD" and the interval below it; one fit: the value alone.
fn stat(s: &Option<Stat>, digits: usize) -> String {
    match s {
        Some(s) => match text::interval(s, digits) {
            Some(i) => format!("{}<br><small>{i}</small>", text::mean_sd(s, digits)),
            None => text::mean_sd(s, digits),
        },
        None => "–".into(),
    }
}

/// The page's style: at most 1200 px wide, tables and pictures shrink to
/// the window (no horizontal scroll at 1280 px nor below, down to phone
/// widths where a table scrolls inside its own box).
const STYLE: &str = "*,*::before,*::after{box-sizing:border-box}\
body{font-family:DejaVu Sans,Verdana,sans-serif;margin:1.5em auto;padding:0 16px;max-width:1200px;color:#222;line-height:1.35}\
h1,h2,p,li{overflow-wrap:anywhere}h2{margin-top:1.6em}\
.table{max-width:100%;overflow-x:auto}\
table.sortable{border-collapse:collapse;margin:.6em 0;font-size:.92em}.sortable td,.sortable th{border:1px solid #bbb;padding:3px 6px;text-align:right;vertical-align:top;overflow-wrap:break-word}\
.sortable th{background:#eee;font-size:.95em}.sortable td:first-child,.sortable th:first-child{text-align:left}\
img{display:block;max-width:100%;height:auto;border:1px solid #ddd;margin:.5em 0}\
.good{color:#1a7f37}.fair{color:#b58100}.poor{color:#c4540c}.no-seal{color:#c21}small{color:#666}\
.controls{display:flex;flex-wrap:wrap;gap:12px}.controls fieldset{border:1px solid #ccc;margin:0;padding:6px 10px;min-width:0}\
.controls label{display:inline-block;margin:2px 10px 2px 0}.tip-toggle{margin:1px 0}\
.swatch{display:inline-block;width:12px;height:12px;vertical-align:middle;border-radius:2px}\
.chart{width:100%;min-height:120px;margin:.3em 0 1em}.chart .u-legend{font-size:.85em;text-align:left}\
th[data-dir=asc]::after{content:\" \\25B2\"}th[data-dir=desc]::after{content:\" \\25BC\"}";

/// The heading and the alt text of a picture of the report, by its file
/// name (an unknown one is named after its file).
pub fn picture_title(file: &str) -> (String, String) {
    let (title, alt) = match file {
        "summary.png" => (
            "Summary",
            "Summary dashboard: the tips' table, the bass chart and the seal and isolation rankings",
        ),
        "frequency_response.png" => (
            "Frequency response",
            "Frequency response of each tip, mean over its fits with the fit-to-fit spread shaded",
        ),
        "ears.png" => (
            "Left and right ear",
            "Each tip's mean response of the left ear (solid) and the right ear (dashed), and the right-minus-left balance per octave band",
        ),
        "bass.png" => (
            "Bass and leak corners",
            "Bass from 10 to 500 Hz of each tip, with its leak corner marked",
        ),
        "isolation.png" => (
            "Isolation per band",
            "Passive isolation of each tip per third-octave band, mean and spread over fits",
        ),
        "listening.png" => (
            "What a poor seal costs in listening level",
            "Per tip and ambient, the volume to add over the best-sealing tip to hear music as loud in the noise the tip lets in, with the daily allowance that follows",
        ),
        "ranking.png" => (
            "Seal and isolation ranking",
            "The tips ranked by seal and by isolation, means with 95 % confidence intervals",
        ),
        "repeatability.png" => (
            "Repeatability",
            "Every fit's bass response, one panel per tip, outlier fits dashed",
        ),
        "tip_effect.png" => (
            "Tip effect per band",
            "Per band from sub-bass to air, each tip's mean level difference against the baseline tip, with 95 % intervals",
        ),
        other => {
            let stem = other.trim_end_matches(".png").replace(['_', '-'], " ");
            let mut c = stem.chars();
            let title = match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect(),
                None => String::from("Picture"),
            };
            return (title.clone(), title);
        }
    };
    (title.to_string(), alt.to_string())
}

/// The report page. `pictures` are (file name, PNG bytes) in display order.
pub fn render(
    info: &SessionInfo,
    fits: &[FitRecord],
    cmp: &Comparison,
    pictures: &[(String, Vec<u8>)],
) -> String {
    let mut h = String::new();
    let title = format!("tipfit report: {}", esc(&info.iem));
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title><style>{STYLE}</style></head><body>\n<h1>{title}</h1>\n"
    );
    let _ = writeln!(
        h,
        "<p>{} tips, {} fits per tip planned; ear: {}; rig: {}; created {}; tipfit {}.{}</p>",
        info.tips.len(),
        info.fits_per_tip,
        esc(info.ear.as_str()),
        esc(&info.rig),
        esc(&info.created),
        esc(&info.tipfit_version),
        if info.reference.is_some() {
            " Seal figures are relative to the stored reference response."
        } else {
            ""
        }
    );
    let _ = writeln!(
        h,
        "<p><small>Levels of the responses: {}.</small></p>",
        esc(&crate::report::plots::level_label(fits)
            .replace("Level (", "")
            .replace(')', ""))
    );
    if let Some(e) = &cmp.ears {
        h += "<h2>Two ears</h2>\n<p>Both ears were measured. The tables, charts and pictures below show the <b>left ear</b>; \
              the right ear's statistics and rankings are in <code>summary.json</code> (<code>ears.right</code>), \
              <code>summary.csv</code> (one row per tip and ear) and <code>tipfit compare</code>. Right minus left:</p>\n<ul>\n";
        for b in &e.balance {
            let _ = writeln!(h, "<li>{}</li>", esc(&super::table::balance_line(b)));
        }
        h += "</ul>\n";
        let _ = writeln!(h, "<p><b>{}</b></p>", esc(&e.recommended.sentence));
    }
    h += &tip_table(info, cmp);
    h += &isolation_table(cmp);
    h += &ranking_html("Seal ranking", &cmp.seal_ranking, cmp);
    if let Some(r) = &cmp.bass_deficit_ranking {
        h += &ranking_html("Seal ranking, tips without a fitted leak", r, cmp);
    }
    if let Some(r) = &cmp.isolation_ranking {
        h += &ranking_html("Isolation ranking", r, cmp);
    }
    h += &tip_effect_html(&cmp.tip_effect, cmp.ears.is_some());
    h += &listening_html(cmp);
    h += &notes(cmp);
    h += &super::interactive::section(info, fits);
    h += "<h2 id=\"pictures\">Pictures</h2>\n<p><small>The same figures as PNG files in the report folder, for forums and print.</small></p>\n";
    for (name, bytes) in pictures {
        let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
        let (heading, alt) = picture_title(name);
        let _ = writeln!(
            h,
            "<h2>{}</h2>\n<img alt=\"{}\" src=\"data:image/png;base64,{b64}\">",
            esc(&heading),
            esc(&alt),
        );
    }
    h += "<p><small>Values are mean ± SD over fits with the 95 % confidence interval of the mean in brackets (one fit: its value, no interval). \
          Leak corner: -3 dB frequency of the fitted leak high-pass (lower is a better seal), the geometric mean over fits with its 95 % interval in brackets; \
          &lt; F: below the measured range, &gt; F: beyond the fitted range; a median when some fits are such bounds. \
          Isolation: attenuation of A-weighted pink noise from octave-band insertion loss, 125 Hz-8 kHz. \
          Repeatability: the largest fit-to-fit SD of the response from 20 Hz to 1 kHz. \
          Ties: the difference to the tip above is within 1.96 combined standard errors.</small></p>\n</body></html>\n";
    h
}

fn tip_table(info: &SessionInfo, cmp: &Comparison) -> String {
    let mut h = String::from(
        "<h2>Tips</h2>\n<div class=\"table\"><table class=\"sortable\"><tr><th>tip</th><th>material / size / brand</th><th>fits</th><th>verdict</th>\
         <th>bass loss, dB</th><th>bass re mids, dB</th><th>leak corner</th><th>isolation, dB</th><th>repeatability, dB</th><th>outliers</th></tr>\n",
    );
    for t in &cmp.tips {
        let spec = info.tips.iter().find(|s| s.name == t.name);
        let desc: Vec<String> = spec
            .map(|s| {
                [&s.material, &s.size, &s.brand]
                    .iter()
                    .filter_map(|x| x.as_deref().map(esc))
                    .collect()
            })
            .unwrap_or_default();
        let outliers = match fits_named(t.outliers.iter().map(|o| o.fit)) {
            s if !s.is_empty() => s,
            _ if t.fits == 0 => "–".into(),
            _ => "none".into(),
        };
        let verdict = t.verdict.map_or("–".to_string(), |v| v.to_string());
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}{}</td><td class=\"{verdict}\">{verdict}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&t.name),
            desc.join(" / "),
            t.fits,
            if t.skipped_fits > 0 { format!(" (+{} skipped)", t.skipped_fits) } else { String::new() },
            stat(&t.bass_loss_db, 1),
            stat(&t.bass_db, 1),
            text::corner_stat(t.leak_corner.as_ref()).map_or("–".into(), |c| esc(&c)),
            stat(&t.isolation_rating_db, 1),
            t.repeatability_max_sd_db.map_or("–".into(), |v| format!("{v:.2}")),
            outliers,
        );
    }
    h + "</table></div>\n"
}

/// Mean octave-band isolation per tip; `≥` where a fit was floor-limited.
fn isolation_table(cmp: &Comparison) -> String {
    let Some(bands) = cmp
        .tips
        .iter()
        .find_map(|t| t.isolation_octave.as_ref().map(|o| o.centre_hz.clone()))
    else {
        return String::new();
    };
    let mut h = String::from(
        "<h2>Isolation per octave band, dB (mean ± SD over fits)</h2>\n<div class=\"table\"><table class=\"sortable\"><tr><th>tip</th>",
    );
    for c in &bands {
        let _ = write!(
            h,
            "<th>{}</th>",
            if *c >= 1000.0 {
                format!("{} kHz", c / 1000.0)
            } else {
                format!("{c} Hz")
            }
        );
    }
    h += "</tr>\n";
    for t in &cmp.tips {
        let Some(o) = &t.isolation_octave else {
            continue;
        };
        let _ = write!(h, "<tr><td>{}</td>", esc(&t.name));
        for i in 0..o.centre_hz.len() {
            let bound = if o.floor_limited[i] { "≥ " } else { "" };
            let corrected = if o.floor_corrected.get(i).copied().unwrap_or(false) {
                "<sup>c</sup>"
            } else {
                ""
            };
            let sd = if o.n > 1 {
                format!(" ± {}", super::text::fixed(o.sd_db[i], 1))
            } else {
                String::new()
            };
            let mean = super::text::fixed(o.mean_db[i], 1);
            let _ = write!(h, "<td>{bound}{mean}{sd}{corrected}</td>");
        }
        h += "</tr>\n";
    }
    h + "</table></div>\n<p><small>≥: the occluded level was less than 6 dB above the noise floor in at least one fit; the attenuation is at least this. c: corrected for the noise floor (margin 6-15 dB) in at least one fit.</small></p>\n"
}

fn ranking_html(title: &str, r: &Ranking, cmp: &Comparison) -> String {
    let mut h = format!("<h2>{}</h2>\n<p><small>by {}</small></p>\n<div class=\"table\"><table class=\"sortable\"><tr><th>rank</th><th>tip</th><th>value</th></tr>\n", esc(title), esc(r.by.text()));
    for e in &r.entries {
        let tied = r.is_shared(e);
        let _ = writeln!(
            h,
            "<tr><td>{}{}</td><td>{}</td><td>{}</td></tr>",
            e.rank,
            if tied { " (tie)" } else { "" },
            esc(&e.tip),
            esc(&text::rank_value_of(cmp, r.by, e)),
        );
    }
    h += "</table></div>\n";
    if let Some(n) = &r.note {
        let _ = writeln!(h, "<p><small>{}</small></p>", esc(n));
    }
    h
}

/// The tip effect: a sentence per tip and the table of tips x bands
/// (difference ± half its 95 % interval, dB); empty with one tip.
fn tip_effect_html(effects: &[crate::compare::TipEffect], two_ears: bool) -> String {
    let Some(first) = effects.first() else {
        return String::new();
    };
    let [rlo, rhi] = first.reference_band_hz;
    let mut h = format!(
        "<h2>Tip effect against {}</h2>\n<p><small>Mean level difference per band, tip minus baseline over fits{}, each fit normalised to its {rlo}-{rhi} Hz mean, dB; \
         ± half the 95 % interval (Welch t); no ±: a single fit of the tip or the baseline, no interval.</small></p>\n<ul>\n",
        esc(&first.baseline),
        if two_ears { " (left ear)" } else { "" }
    );
    for e in effects {
        let _ = writeln!(h, "<li>{}</li>", esc(&text::tip_effect_sentence(e)));
    }
    h += "</ul>\n<div class=\"table\"><table class=\"sortable\"><tr><th>tip</th>";
    for b in crate::compare::EFFECT_BANDS {
        let _ = write!(
            h,
            "<th>{}<br><small>{} Hz</small></th>",
            esc(&text::band_name(b.name)),
            text::band_range([b.lo_hz, b.hi_hz])
        );
    }
    h += "</tr>\n";
    for e in effects {
        let _ = write!(h, "<tr><td>{}</td>", esc(&e.tip));
        for b in &e.bands {
            let _ = write!(h, "<td>{}</td>", esc(&text::effect_cell(b)));
        }
        h += "</tr>\n";
    }
    h + "</table></div>\n"
}

/// The listening penalty: the table of dB to add per tip and ambient (with
/// the daily allowance) and a sentence per tip in the loudest preset; or
/// the note saying why there is none.
fn listening_html(cmp: &Comparison) -> String {
    let p = &cmp.listening_penalty;
    let Some(first) = p.first() else {
        return match &cmp.listening_note {
            Some(n) => format!(
                "<h2>What a poor seal costs in listening level</h2>\n<p>{}</p>\n",
                esc(n)
            ),
            None => String::new(),
        };
    };
    let presets: Vec<(&str, &str)> = crate::compare::listening::ambients(p)
        .iter()
        .map(|x| (x.preset.as_str(), x.place.as_str()))
        .collect();
    let mut h = format!(
        "<h2>What a poor seal costs in listening level</h2>\n<p><small>The volume to add over {} (the best-sealing tip{}, music at {:.0} dBA at the eardrum) \
         to hear the music as loud (ISO 532-1 partial loudness) in the noise each tip lets in, dB; in brackets the NIOSH daily allowance at the level that follows \
         (85 dBA for 8 h, 3 dB exchange).</small></p>\n<div class=\"table\"><table class=\"sortable\"><tr><th>tip</th>",
        esc(&first.reference_tip),
        if cmp.ears.is_some() { ", left ear" } else { "" },
        first.reference_eardrum_dba
    );
    for (_, place) in &presets {
        let _ = write!(h, "<th>{}</th>", esc(place));
    }
    h += "</tr>\n";
    for t in &cmp.tips {
        if !p.iter().any(|x| x.tip == t.name) {
            continue;
        }
        let _ = write!(h, "<tr><td>{}</td>", esc(&t.name));
        for (preset, _) in &presets {
            match p.iter().find(|x| x.tip == t.name && x.preset == *preset) {
                Some(x) => {
                    let hours = crate::analysis::listening::hours_text(
                        x.allowance_h,
                        crate::analysis::listening::MAX_HOURS,
                    );
                    let _ = write!(
                        h,
                        "<td>{}{:+.1} dB ({})</td>",
                        if x.matched { "" } else { "&gt;" },
                        x.gain_db,
                        esc(&hours)
                    );
                }
                None => h += "<td></td>",
            }
        }
        h += "</tr>\n";
    }
    h += "</table></div>\n<ul>\n";
    let pick = crate::compare::listening::sentence_ambient(p).unwrap_or_default();
    for x in p
        .iter()
        .filter(|x| x.preset == pick && x.tip != x.reference_tip)
    {
        let _ = writeln!(h, "<li>{}</li>", esc(&x.sentence()));
    }
    h + "</ul>\n"
}

fn notes(cmp: &Comparison) -> String {
    let items = text::notes(cmp);
    if items.is_empty() {
        return String::new();
    }
    let mut h = String::from("<h2>Notes</h2>\n<ul>\n");
    for i in items {
        let _ = writeln!(h, "<li>{}</li>", esc(&i));
    }
    h + "</ul>\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::{Outlier, OutlierMetric};
    use crate::report::plots::PLOTS;
    use serde_json::json;

    fn info(tips: &[&str]) -> SessionInfo {
        serde_json::from_value(json!({
            "schema_version": 1,
            "tipfit_version": "test",
            "created": "2024-05-01T10:20:30Z",
            "rig": "sim",
            "iem": "Test IEM",
            "ear": "left",
            "tips": tips.iter().map(|t| json!({ "name": t })).collect::<Vec<_>>(),
            "fits_per_tip": 5,
            "seal": true,
            "quick": false,
            "isolation": true,
        }))
        .unwrap()
    }

    fn outlier(fit: usize, metric: OutlierMetric) -> Outlier {
        Outlier {
            fit,
            metric,
            value: 1.0,
            robust_z: 5.0,
        }
    }

    /// The `<h2>` headings of a page, in order.
    fn headings(h: &str) -> Vec<&str> {
        h.split("<h2>")
            .skip(1)
            .map(|s| &s[..s.find("</h2>").unwrap()])
            .collect()
    }

    #[test]
    fn pictures_have_plain_titles_and_outliers_name_their_fits() {
        let info = info(&["Foam", "Silicone", "Earbud"]);
        let mut cmp = crate::compare::compare(&info, &[], vec![]);
        assert_eq!(cmp.tips.len(), 3);
        for t in &mut cmp.tips {
            t.fits = 5;
        }
        // One fit out in two quantities is one fit; two fits are named both.
        cmp.tips[0].outliers = vec![
            outlier(5, OutlierMetric::BassDb),
            outlier(5, OutlierMetric::Log10LeakCornerHz),
        ];
        cmp.tips[1].outliers = vec![
            outlier(5, OutlierMetric::BassDb),
            outlier(2, OutlierMetric::BassDb),
        ];
        let pictures: Vec<(String, Vec<u8>)> = PLOTS
            .iter()
            .map(|(name, _)| (name.to_string(), b"png".to_vec()))
            .collect();
        let h = render(&info, &[], &cmp, &pictures);
        let heads = headings(&h);
        for want in [
            "Summary",
            "Frequency response",
            "Bass and leak corners",
            "Isolation per band",
            "Seal and isolation ranking",
            "Repeatability",
            "Tip effect per band",
        ] {
            assert!(heads.contains(&want), "no heading {want:?} in {heads:?}");
        }
        for (name, _) in PLOTS {
            let stem = name.trim_end_matches(".png");
            assert!(
                !heads.iter().any(|x| *x == stem || x.contains(".png")),
                "a file-name heading in {heads:?}"
            );
            assert!(!h.contains(&format!("alt=\"{name}\"")), "alt {name}");
        }
        assert_eq!(h.matches("<img alt=\"").count(), PLOTS.len());
        assert!(h.contains("<td>fit 5</td>"), "{h}");
        assert!(h.contains("<td>fits 2, 5</td>"), "{h}");
        assert!(h.contains("<td>none</td>"), "{h}");
        assert!(!h.contains("<td>5</td></tr>"), "a bare fit number");
        // Laid out to fit a 1280 px window: a narrower body, pictures and
        // tables that shrink.
        assert!(h.contains("max-width:1200px") && h.contains("box-sizing:border-box"));
        assert!(h.contains("img{display:block;max-width:100%;height:auto"));
        assert!(!h.contains("1650px"));
    }
}
