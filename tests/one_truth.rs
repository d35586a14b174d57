//! One truth: every output of a comparison (compare's JSON, the CSV, the
//! terminal table, the HTML page and the ranking plot's labels) shows the
//! same leak corner per tip, and that corner is the statistic the stored
//! fits give when computed here, independently of tipfit: the geometric
//! mean with a Student t interval on log10 (t from a printed table), a
//! median or a bound when fits are censored, no interval from one fit.
//!
//! Runs the demo (5 fits), a 2-fit demo and a 1-fit demo on the simulated
//! rig.

mod common;

use common::{stdout, Fixture};
use serde_json::Value;
use std::path::Path;
use tipfit::compare::compare;
use tipfit::report::plots::ranking::drawn_rankings;
use tipfit::session::store;

/// Two-sided 95 % Student t, df 1-4 (NIST/SEMATECH e-Handbook, table
/// 1.3.6.7.2).
fn t975(n: usize) -> f64 {
    [f64::NAN, 12.706, 4.303, 3.182, 2.776][n - 1]
}

/// Per fit of `tip` in the session at `dir`: its stored corner as (kind, hz).
fn stored_corners(dir: &Path, tip: &str) -> Vec<(String, f64)> {
    let slug_dir = std::fs::read_dir(dir.join("fits"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let first = std::fs::read_dir(p)
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|f| f.extension().is_some_and(|x| x == "json"));
            first.is_some_and(|f| {
                let v: Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
                v["tip"] == tip
            })
        })
        .unwrap_or_else(|| panic!("no fits folder for {tip}"));
    let mut out = Vec::new();
    for e in std::fs::read_dir(slug_dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let v: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
        if v["skipped"] == true || v["seal"].is_null() {
            continue;
        }
        let c = &v["seal"]["seal"]["leak_corner"];
        if c.is_null() {
            continue;
        }
        out.push((
            c["kind"].as_str().unwrap().to_string(),
            c["hz"].as_f64().unwrap(),
        ));
    }
    out
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a / b - 1.0).abs() <= rel
}

/// The CSV's columns by header name, per row.
fn csv_rows(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    // A small CSV reader for quoted fields.
    fn split(line: &str) -> Vec<String> {
        let (mut out, mut cur, mut quoted) = (Vec::new(), String::new(), false);
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    cur.push('"');
                    chars.next();
                }
                '"' => quoted = !quoted,
                ',' if !quoted => out.push(std::mem::take(&mut cur)),
                c => cur.push(c),
            }
        }
        out.push(cur);
        out
    }
    let mut lines = text.lines();
    let head = split(lines.next().unwrap());
    lines
        .map(|l| head.iter().cloned().zip(split(l)).collect())
        .collect()
}

/// Checks one demo run with `fits` fits per tip.
fn check_demo(fits: usize) {
    let f = Fixture::new();
    let fits_arg = fits.to_string();
    f.ok(&["demo", "--out", "d", "--fits", &fits_arg]);
    let session = f.path("d/session");
    let json: Value = serde_json::from_slice(&f.read("d/summary.json")).unwrap();
    let csv = String::from_utf8(f.read("d/summary.csv")).unwrap();
    let rows = csv_rows(&csv);
    let html = String::from_utf8(f.read("d/report.html")).unwrap();
    let table = stdout(&f.ok(&["compare", session.to_str().unwrap()]));
    let loaded = store::load(&session).unwrap();
    let cmp = compare(&loaded.info, &loaded.fits, loaded.warnings.clone());
    let drawn = drawn_rankings(&loaded.info, &cmp);

    let tips = json["tips"].as_array().unwrap();
    assert!(tips.len() >= 4, "{json:#}");
    for t in tips {
        let name = t["name"].as_str().unwrap();
        let c = &t["leak_corner"];
        let stored = stored_corners(&session, name);
        if stored.is_empty() {
            assert!(c.is_null(), "{name}: no stored corner, yet {c}");
            continue;
        }
        // The statistic, computed here from the stored fits.
        let n = stored.len();
        let below = stored.iter().filter(|s| s.0 == "below").count();
        let above = stored.iter().filter(|s| s.0 == "above").count();
        assert_eq!(c["n"], n, "{name}: {c}");
        assert_eq!(c["below"], below, "{name}: {c}");
        assert_eq!(c["above"], above, "{name}: {c}");
        let centre = c["centre"]["hz"].as_f64();
        if below == 0 && above == 0 {
            assert_eq!(c["method"], "geometric_mean", "{name}");
            let logs: Vec<f64> = stored.iter().map(|s| s.1.log10()).collect();
            let m = logs.iter().sum::<f64>() / n as f64;
            assert!(close(centre.unwrap(), 10f64.powf(m), 1e-9), "{name}: {c}");
            if n == 1 {
                assert!(
                    c["ci95_low_hz"].is_null() && c["ci95_high_hz"].is_null(),
                    "{name}: {c}"
                );
            } else {
                let sd =
                    (logs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
                let half = t975(n) * sd / (n as f64).sqrt();
                let (lo, hi) = (
                    c["ci95_low_hz"].as_f64().unwrap(),
                    c["ci95_high_hz"].as_f64().unwrap(),
                );
                // The t values are printed to 3 decimals: 2e-3 relative in
                // the half width, a little more in 10^half.
                assert!(
                    close(lo, 10f64.powf(m - half), 0.01),
                    "{name}: {lo} vs {}",
                    10f64.powf(m - half)
                );
                assert!(close(hi, 10f64.powf(m + half), 0.01), "{name}: {hi}");
                let centre = centre.unwrap();
                assert!(lo > 0.0 && lo < centre && hi > centre, "{name}: {c}");
            }
        } else if below == n || above == n {
            assert_eq!(c["method"], "bound", "{name}");
            let kind = if below == n { "below" } else { "above" };
            assert_eq!(c["centre"]["kind"], kind, "{name}: {c}");
            let bound = if below == n {
                stored.iter().map(|s| s.1).fold(0.0, f64::max)
            } else {
                stored.iter().map(|s| s.1).fold(f64::INFINITY, f64::min)
            };
            assert!(close(centre.unwrap(), bound, 1e-12), "{name}: {c}");
            assert!(
                c["ci95_low_hz"].is_null(),
                "{name}: a bound has no interval"
            );
        } else {
            assert_eq!(c["method"], "median", "{name}: {c}");
            assert!(
                c["ci95_low_hz"].is_null(),
                "{name}: a median has no interval"
            );
        }

        // Every output shows the same text.
        let row = rows
            .iter()
            .find(|r| r["tip"] == name)
            .unwrap_or_else(|| panic!("{name} not in the CSV"));
        let text = row["leak_corner"].clone();
        assert!(!text.is_empty(), "{name}: CSV has no corner text");
        if let Some(hz) = centre {
            let csv_hz: f64 = row["leak_corner_hz"].parse().unwrap();
            assert!(
                (csv_hz - hz).abs() <= 0.05 + 1e-9,
                "{name}: CSV {csv_hz} vs JSON {hz}"
            );
        }
        assert_eq!(
            row["leak_corner_kind"],
            c["centre"]["kind"].as_str().unwrap_or("undetermined")
        );
        let esc = text.replace('<', "&lt;").replace('>', "&gt;");
        let html_row = html
            .lines()
            .find(|l| l.starts_with(&format!("<tr><td>{name}</td>")))
            .unwrap_or_else(|| panic!("{name} not in the HTML tip table"));
        assert!(
            html_row.contains(&esc),
            "{name}: HTML row lacks {esc:?}: {html_row}"
        );
        let table_line = table
            .lines()
            .find(|l| l.trim_start().starts_with(name) && l.contains(&text))
            .unwrap_or_else(|| panic!("{name}: table lacks {text:?}:\n{table}"));
        assert!(!table_line.is_empty());
        let seal_panel = &drawn[0];
        if let Some((_, value)) = seal_panel.rows.iter().find(|r| r.0 == name) {
            assert_eq!(value, &text, "{name}: the ranking plot reads otherwise");
        }
    }
    // No interval and no "±" from one fit anywhere.
    if fits == 1 {
        assert!(!csv.contains("± 0.0") && !html.contains("± 0.0") && !table.contains("± 0.0"));
        for t in tips {
            for key in ["bass_db", "bass_loss_db", "isolation_rating_db"] {
                let s = &t[key];
                if !s.is_null() {
                    assert!(s["sd"].is_null() && s["ci95_low"].is_null(), "{key}: {s}");
                }
            }
        }
        for r in &rows {
            assert_eq!(r["leak_corner_hz_ci95_low"], "", "{r:?}");
            assert_eq!(r["bass_db_sd"], "", "{r:?}");
        }
    } else {
        // Every interval contains its centre and is above zero.
        for t in tips {
            for key in ["bass_db", "bass_loss_db", "isolation_rating_db"] {
                let s = &t[key];
                if s.is_null() {
                    continue;
                }
                let (m, lo, hi) = (
                    s["mean"].as_f64().unwrap(),
                    s["ci95_low"].as_f64().unwrap(),
                    s["ci95_high"].as_f64().unwrap(),
                );
                assert!(lo <= m && m <= hi, "{key}: {s}");
            }
        }
    }
}

#[test]
fn the_demo_shows_one_corner_per_tip_everywhere() {
    check_demo(5);
}

#[test]
fn a_two_fit_demo_keeps_its_intervals_above_zero() {
    check_demo(2);
}

#[test]
fn a_one_fit_demo_shows_no_interval_and_no_plus_minus() {
    check_demo(1);
}

/// On the demo the sealed tips' corners are all below the measured range:
/// they tie on the seal, listed by bass loss (the ranking says so), and no
/// bound is ranked as a number.
#[test]
fn sealed_tips_below_the_range_tie_on_the_seal() {
    let f = Fixture::new();
    f.ok(&["demo", "--out", "d", "--fits", "3"]);
    let json: Value = serde_json::from_slice(&f.read("d/summary.json")).unwrap();
    let entries = json["seal_ranking"]["entries"].as_array().unwrap();
    let below: Vec<&Value> = entries.iter().filter(|e| e["bound"] == "below").collect();
    assert!(below.len() >= 2, "{json:#}");
    for e in &below {
        assert_eq!(e["rank"], 1, "{e}");
        let tip = json["tips"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == e["tip"])
            .unwrap();
        assert_eq!(tip["leak_corner"]["centre"]["kind"], "below", "{tip}");
    }
    let note = json["seal_ranking"]["note"].as_str().unwrap();
    assert!(
        note.contains("tie on the seal") && note.contains("listed by bass"),
        "{note}"
    );
    // Listed by bass deficit: loss ascending.
    let loss = |tip: &Value| {
        json["tips"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == tip["tip"])
            .and_then(|t| t["bass_loss_db"]["mean"].as_f64())
            .unwrap()
    };
    for w in below.windows(2) {
        assert!(loss(w[0]) <= loss(w[1]), "{} then {}", w[0], w[1]);
    }
    // A tip whose fits are all beyond the fitted range is a bound, last.
    for e in entries.iter().filter(|e| e["bound"] == "above") {
        let rank = e["rank"].as_u64().unwrap() as usize;
        assert!(
            rank > entries.len() - entries.iter().filter(|x| x["bound"] == "above").count(),
            "{e}"
        );
    }
}
