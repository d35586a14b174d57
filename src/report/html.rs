//! The self-contained HTML report: the PNGs embedded as data URIs, the
//! per-tip table, the rankings, the notes. Pure: returns the text.

use super::text;
use crate::compare::{Comparison, Ranking, Stat};
use crate::session::model::SessionInfo;
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

const STYLE: &str = "body{font-family:DejaVu Sans,Verdana,sans-serif;margin:2em auto;max-width:1650px;color:#222}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:4px 8px;text-align:right}\
th{background:#eee}td:first-child,th:first-child{text-align:left}img{max-width:100%;border:1px solid #ddd;margin:.5em 0}\
.good{color:#1a7f37}.fair{color:#b58100}.poor{color:#c4540c}.no-seal{color:#c21}small{color:#666}";

/// The report page. `pictures` are (file name, PNG bytes) in display order.
pub fn render(info: &SessionInfo, cmp: &Comparison, pictures: &[(String, Vec<u8>)]) -> String {
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
    h += &tip_table(info, cmp);
    h += &isolation_table(cmp);
    h += &ranking_html("Seal ranking", &cmp.seal_ranking);
    if let Some(r) = &cmp.bass_deficit_ranking {
        h += &ranking_html("Seal ranking, tips without a fitted leak", r);
    }
    if let Some(r) = &cmp.isolation_ranking {
        h += &ranking_html("Isolation ranking", r);
    }
    h += &notes(cmp);
    for (name, bytes) in pictures {
        let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
        let _ = writeln!(
            h,
            "<h2>{}</h2>\n<img alt=\"{}\" src=\"data:image/png;base64,{b64}\">",
            esc(name.trim_end_matches(".png")),
            esc(name)
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
        "<h2>Tips</h2>\n<table><tr><th>tip</th><th>material / size / brand</th><th>fits</th><th>verdict</th>\
         <th>bass loss, dB</th><th>bass re mids, dB</th><th>leak corner</th><th>isolation, dB</th><th>repeatability, dB</th><th>outlier fits</th></tr>\n",
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
        let outliers: std::collections::BTreeSet<usize> =
            t.outliers.iter().map(|o| o.fit).collect();
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
            if outliers.is_empty() { String::new() } else { text::fits(&outliers.iter().copied().collect::<Vec<_>>()) },
        );
    }
    h + "</table>\n"
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
        "<h2>Isolation per octave band, dB (mean ± SD over fits)</h2>\n<table><tr><th>tip</th>",
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
                format!(" ± {:.1}", o.sd_db[i])
            } else {
                String::new()
            };
            let _ = write!(h, "<td>{bound}{:.1}{sd}{corrected}</td>", o.mean_db[i]);
        }
        h += "</tr>\n";
    }
    h + "</table>\n<p><small>≥: the occluded level was less than 6 dB above the noise floor in at least one fit; the attenuation is at least this. c: corrected for the noise floor (margin 6-15 dB) in at least one fit.</small></p>\n"
}

fn ranking_html(title: &str, r: &Ranking) -> String {
    let mut h = format!("<h2>{}</h2>\n<p><small>by {}</small></p>\n<table><tr><th>rank</th><th>tip</th><th>value</th></tr>\n", esc(title), esc(r.by.text()));
    for e in &r.entries {
        let tied = r.is_shared(e);
        let _ = writeln!(
            h,
            "<tr><td>{}{}</td><td>{}</td><td>{}</td></tr>",
            e.rank,
            if tied { " (tie)" } else { "" },
            esc(&e.tip),
            esc(&text::rank_value(r.by, e)),
        );
    }
    h += "</table>\n";
    if let Some(n) = &r.note {
        let _ = writeln!(h, "<p><small>{}</small></p>", esc(n));
    }
    h
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
