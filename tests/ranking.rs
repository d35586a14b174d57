//! Each ranking is in one metric and one unit (issue 14): a tip without a
//! fitted leak (a sparse three-point import) is ranked by bass deficit in
//! dB on its own, not appended to the log10-Hz leak-corner ranking where
//! the plot drew its 4 dB as "10.0 kHz (CI 10.0 kHz-10.0 kHz)".

mod common;

use common::{stdout, Fixture};
use serde_json::Value;
use tipfit::acoustics::Leak;
use tipfit::compare::{compare, RankMetric};
use tipfit::report::plots::ranking::drawn_rankings;
use tipfit::session::store;

/// A leaky fit as a CSV: the leak's bass high-pass (f0 150 Hz, zeta 0.6)
/// on a 1/24-octave grid 10 Hz-20 kHz, flat above.
fn leaky_csv() -> String {
    let leak = Leak {
        f0_hz: 150.0,
        zeta: 0.6,
    };
    let mut s = String::from("frequency,raw\n");
    let mut f = 10.0f64;
    while f <= 20_000.0 * 1.0001 {
        let db = 20.0 * leak.bass_response(f).norm().log10();
        s += &format!("{f:.4},{db:.4}\n");
        f *= 2f64.powf(1.0 / 24.0);
    }
    s
}

/// A session of the leaky fit and a sparse three-point file (no leak fit,
/// bass 4 dB below the mids).
fn session() -> Fixture {
    let f = Fixture::new();
    f.write("leaky.csv", leaky_csv());
    f.write("sparse.csv", "frequency,raw\n20,-4\n1000,0\n10000,2\n");
    f.ok(&["import", "leaky.csv", "sparse.csv", "--into", "s"]);
    f
}

fn json(f: &Fixture, args: &[&str]) -> Value {
    serde_json::from_str(&stdout(&f.ok(args))).unwrap()
}

fn tips(r: &Value) -> Vec<&str> {
    r["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["tip"].as_str().unwrap())
        .collect()
}

#[test]
fn a_tip_without_a_leak_fit_has_its_own_ranking_in_db() {
    let f = session();
    let v = json(&f, &["compare", "s", "--json"]);
    let with_corner: Vec<&str> = v["tips"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| !t["leak_corner"].is_null())
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(with_corner, ["leaky"], "{v:#}");

    let seal = &v["seal_ranking"];
    assert_eq!(
        seal["by"],
        "log10 of the fitted leak corner in Hz (lower is a better seal)"
    );
    assert_eq!(tips(seal), ["leaky"]);
    let corner_hz = 10f64.powf(seal["entries"][0]["value"].as_f64().unwrap());
    assert!((30.0..300.0).contains(&corner_hz), "{corner_hz} Hz");

    let bass = &v["bass_deficit_ranking"];
    assert_eq!(bass["by"], RankMetric::BassDeficit.text());
    assert_eq!(tips(bass), ["sparse"]);
    assert_eq!(bass["entries"][0]["rank"], 1);
    assert!((bass["entries"][0]["value"].as_f64().unwrap() - 4.0).abs() < 1e-9);
    assert!(v["isolation_ranking"].is_null());

    // The terminal table keeps one seal column: the tip without a leak fit
    // after the ranked corners.
    let table = stdout(&f.ok(&["compare", "s"]));
    let rank_col = |tip: &str| -> String {
        let line = table
            .lines()
            .find(|l| l.split_whitespace().next() == Some(tip))
            .unwrap_or_else(|| panic!("{tip} missing:\n{table}"));
        line.split_whitespace().nth(4).unwrap().to_string()
    };
    assert_eq!(rank_col("leaky"), "1");
    assert_eq!(rank_col("sparse"), "2");
}

#[test]
fn the_ranking_plot_draws_each_ranking_in_its_unit() {
    let f = session();
    let loaded = store::load(&f.path("s")).unwrap();
    let cmp = compare(&loaded.info, &loaded.fits, loaded.warnings.clone());
    let drawn = drawn_rankings(&loaded.info, &cmp);
    let metrics: Vec<RankMetric> = drawn.iter().map(|d| d.metric).collect();
    assert_eq!(
        metrics,
        [
            RankMetric::LeakCorner,
            RankMetric::BassDeficit,
            RankMetric::Isolation
        ]
    );
    for d in &drawn {
        for (tip, value) in &d.rows {
            assert!(!value.contains("10.0 kHz"), "{tip}: {value}");
            match d.metric {
                RankMetric::LeakCorner => {
                    assert!(value.contains("Hz") && !value.contains("dB"), "{value}")
                }
                RankMetric::BassDeficit | RankMetric::Isolation => {
                    assert!(value.contains("dB") && !value.contains("Hz"), "{value}")
                }
            }
        }
    }
    let rows = |m: RankMetric| -> Vec<String> {
        drawn
            .iter()
            .find(|d| d.metric == m)
            .unwrap()
            .rows
            .iter()
            .map(|r| r.0.clone())
            .collect()
    };
    assert_eq!(rows(RankMetric::LeakCorner), ["leaky"]);
    assert_eq!(rows(RankMetric::BassDeficit), ["sparse"]);
    let sparse = &drawn[1].rows[0].1;
    assert!(sparse.starts_with("4.0 dB"), "{sparse}");
    assert!(drawn[1].axis.contains("(dB)"), "{}", drawn[1].axis);
    assert!(drawn[0].axis.contains("(Hz)"), "{}", drawn[0].axis);
    assert!(rows(RankMetric::Isolation).is_empty());

    // The report draws it; its HTML shows the corner in Hz and the deficit in dB.
    f.ok(&["report", "s", "--out", "r"]);
    let html = String::from_utf8(f.read("r/report.html")).unwrap();
    assert!(html.contains("Seal ranking, tips without a fitted leak"));
    assert!(
        html.contains("<td>sparse</td><td>4.0 dB</td>"),
        "deficit in dB"
    );
    let leaky = html
        .lines()
        .find(|l| {
            l.contains("<td>leaky</td><td>") && !l.contains("(tie)") && l.starts_with("<tr><td>1")
        })
        .expect("the corner ranking's row");
    assert!(leaky.ends_with(" Hz</td></tr>"), "corner in Hz: {leaky}");
    assert!(!html.contains("10000.0 Hz"));
    let summary: Value = serde_json::from_slice(&f.read("r/summary.json")).unwrap();
    assert_eq!(summary, json(&f, &["compare", "s", "--json"]));
}

/// With a leak fit for every tip nothing changes: no bass-deficit ranking
/// in the JSON (not even `null`), one seal panel.
#[test]
fn every_tip_with_a_leak_fit_keeps_one_seal_ranking() {
    let f = Fixture::new();
    f.write("leaky.csv", leaky_csv());
    f.ok(&["import", "leaky.csv", "--into", "s"]);
    let v = json(&f, &["compare", "s", "--json"]);
    assert!(v.get("bass_deficit_ranking").is_none(), "{v:#}");
    assert_eq!(tips(&v["seal_ranking"]), ["leaky"]);
    let loaded = store::load(&f.path("s")).unwrap();
    let cmp = compare(&loaded.info, &loaded.fits, Vec::new());
    let drawn = drawn_rankings(&loaded.info, &cmp);
    assert_eq!(drawn.len(), 2);
    assert_eq!(drawn[0].metric, RankMetric::LeakCorner);
}

/// Only tips without a leak fit: the seal ranking is empty, the plot shows
/// the bass-deficit panel alone, in dB.
#[test]
fn only_sparse_tips_are_ranked_in_db() {
    let f = Fixture::new();
    f.write("a.csv", "frequency,raw\n20,-4\n1000,0\n10000,2\n");
    f.write("b.csv", "frequency,raw\n20,-10\n1000,0\n10000,2\n");
    f.ok(&["import", "a.csv", "b.csv", "--into", "s"]);
    let v = json(&f, &["compare", "s", "--json"]);
    assert!(v["seal_ranking"]["entries"].as_array().unwrap().is_empty());
    assert_eq!(tips(&v["bass_deficit_ranking"]), ["a", "b"]);
    let loaded = store::load(&f.path("s")).unwrap();
    let cmp = compare(&loaded.info, &loaded.fits, Vec::new());
    let drawn = drawn_rankings(&loaded.info, &cmp);
    assert_eq!(drawn[0].metric, RankMetric::BassDeficit);
    assert!(drawn[0].rows.iter().all(|r| r.1.contains("dB")));
    f.ok(&["report", "s", "--out", "r"]);
}
