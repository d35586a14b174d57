//! Attenuation ratings (`tipfit rating`): the EPA NRR against the
//! regulation's worked example and real product labels, ISO 4869-2 against
//! labels and analytic cases, the personal attenuation rating, the CSV
//! parsers under random input, and the command line end to end.

mod common;

use common::{stderr, Fixture};
use proptest::prelude::*;
use std::path::Path;
use std::process::Output;
use tipfit::analysis::ratings::{
    rate_fits, rate_mean_sd, round_nrr, student_t_quantile, Rating, RatingError,
};
use tipfit::formats::bands::{parse_fits, parse_mean_sd, FitsTable, MeanSdTable};

/// 40 CFR 211.207 Figure 2, steps 6 and 7 (3150/4000 and 6300/8000 given separately).
const REGULATION_EXAMPLE: &str = "freq_hz,mean_db,sd_db
125,21,3.7
250,22,3.3
500,23,3.8
1000,29,4.7
2000,41,3.3
3150,43,3.3
4000,47,3.4
6300,41,6.1
8000,36,6.5
";

const NINE_BANDS_HZ: [f64; 9] = [
    125.0, 250.0, 500.0, 1000.0, 2000.0, 3150.0, 4000.0, 6300.0, 8000.0,
];

fn mean_sd(centre_hz: &[f64], mean_db: &[f64], sd_db: &[f64]) -> MeanSdTable {
    MeanSdTable {
        centre_hz: centre_hz.to_vec(),
        mean_db: mean_db.to_vec(),
        sd_db: sd_db.to_vec(),
    }
}

fn flat(mean: f64, sd: f64) -> MeanSdTable {
    let c = [125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0];
    mean_sd(&c, &[mean; 7], &[sd; 7])
}

fn fits(rows: &[[f64; 7]]) -> FitsTable {
    FitsTable {
        centre_hz: vec![125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0],
        labels: (1..=rows.len()).map(|i| format!("fit {i}")).collect(),
        attenuation_db: rows.iter().map(|r| r.to_vec()).collect(),
    }
}

fn close(got: f64, want: f64, tol: f64) {
    assert!((got - want).abs() <= tol, "got {got}, want {want} +- {tol}");
}

// ---- EPA NRR ----

#[test]
fn regulation_worked_example_gives_nrr_19_8() {
    let t = parse_mean_sd(REGULATION_EXAMPLE, Path::new("ex.csv")).unwrap();
    let r = rate_mean_sd(&t).unwrap();
    assert_eq!(r.nrr.tenths_db, 19.8);
    assert_eq!(r.nrr.db, 20);
    close(r.nrr.protected_total_dba, 85.1, 0.05);
    assert_eq!(r.nrr.mean_db[5], 45.0);
    assert_eq!(r.nrr.mean_db[6], 38.5);
    close(r.nrr.two_sd_db[5], 6.7, 1e-9);
    close(r.nrr.two_sd_db[6], 12.6, 1e-9);
}

/// 3M Peltor LiteCom MT53H7*4600-NA user instructions, section (K)
/// Attenuation: mean attenuation and SD per band and the printed NRR of three
/// configurations (https://manualshive.com/ru/manual/3m/peltor-litecom-mt53h7a4600-na/3316827?page=4).
/// The head-band data give 24.51 before rounding: labelled 25, which also
/// checks that the rounding acts on the unrounded value.
#[test]
fn peltor_litecom_labels_match_their_printed_nrr() {
    let labels: [(&str, [f64; 9], [f64; 9], i32); 3] = [
        (
            "MT7H7A4600-NA head band",
            [17.8, 23.0, 32.1, 36.2, 35.1, 39.0, 38.7, 38.3, 36.5],
            [4.4, 3.2, 2.8, 3.0, 2.4, 3.8, 3.0, 3.5, 3.9],
            25,
        ),
        (
            "MT7H7B4600-NA neck band",
            [18.9, 25.9, 35.2, 37.0, 34.9, 40.6, 39.9, 39.7, 39.7],
            [5.2, 3.2, 3.3, 2.9, 2.5, 3.6, 3.0, 2.3, 2.5],
            26,
        ),
        (
            "MT7H7P3E4600-NA helmet attachment",
            [19.4, 24.3, 33.6, 35.5, 34.1, 38.5, 38.0, 35.8, 35.7],
            [3.4, 3.3, 3.8, 1.7, 2.6, 3.6, 3.1, 5.4, 5.4],
            25,
        ),
    ];
    for (name, m, s, printed) in labels {
        let r = rate_mean_sd(&mean_sd(&NINE_BANDS_HZ, &m, &s)).unwrap();
        assert_eq!(
            r.nrr.db, printed,
            "{name}: unrounded {}",
            r.nrr.unrounded_db
        );
    }
}

/// Harbor Freight Tools disposable foam earplugs (50 pk) product manual:
/// "The NRR calculated from this attenuation data is 29"; seven bands, no
/// 3150/6300 Hz (https://manualmachine.com/harborfreighttools/disposableearplugs50pk/1941586-product-manual).
#[test]
fn harbor_freight_foam_plug_label_matches_its_printed_nrr() {
    let c = [125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0];
    let m = [38.1, 37.9, 39.6, 37.7, 37.3, 48.4, 45.9];
    let s = [4.9, 6.3, 6.5, 4.2, 3.5, 5.1, 4.5];
    let r = rate_mean_sd(&mean_sd(&c, &m, &s)).unwrap();
    assert_eq!(r.nrr.db, 29, "unrounded {}", r.nrr.unrounded_db);
}

#[test]
fn twice_the_sd_costs_exactly_twice_the_sd_in_nrr() {
    let a = rate_mean_sd(&flat(30.0, 0.0)).unwrap();
    let b = rate_mean_sd(&flat(30.0, 3.0)).unwrap();
    close(a.nrr.unrounded_db - b.nrr.unrounded_db, 6.0, 1e-9);
}

// ---- ISO 4869-2 ----

/// 3M E-A-R UltraFit: mean and APV84 per band (63 ... 8000 Hz) with
/// SNR 32, H 33, M 28, L 25, as quoted by Flare Audio's support article
/// "Attenuation data for Isolate earplugs"
/// (https://support.flareaudio.com/support/solutions/articles/43000044914).
/// SD = mean − APV84. With only mean and SD this is the 1994 method; the
/// SNR needs the 63 Hz band to come out at 32 (31 without it).
#[test]
fn ultrafit_label_matches_its_printed_snr_and_hml() {
    let c = [63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0];
    let m = [29.2, 29.4, 29.4, 32.2, 32.3, 36.1, 44.3, 44.8];
    let apv = [23.2, 22.0, 22.7, 26.9, 27.3, 32.8, 38.3, 38.4];
    let s: Vec<f64> = m.iter().zip(apv).map(|(m, a)| m - a).collect();
    let r = rate_mean_sd(&mean_sd(&c, &m, &s)).unwrap();
    assert_eq!((r.snr.db, r.h.db, r.m.db, r.l.db), (32, 33, 28, 25));
    for (got, want) in r.apv84_db.iter().zip(apv) {
        close(*got, want, 1e-9);
    }
    assert!(r.method.iso.contains("1994"), "{}", r.method.iso);
}

/// Alpine PartyPlug (EN 352-2): H 19, M 17, L 12 from the same article.
#[test]
fn alpine_partyplug_label_matches_its_printed_hml() {
    let c = [63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0];
    let m = [8.8, 10.3, 13.2, 16.6, 20.6, 25.4, 25.2, 19.2];
    let s = [4.4, 3.3, 3.0, 2.4, 2.8, 3.0, 5.0, 4.1];
    let r = rate_mean_sd(&mean_sd(&c, &m, &s)).unwrap();
    assert_eq!((r.h.db, r.m.db, r.l.db), (19, 17, 12));
}

/// A flat 30 dB with no spread protects by 30 dB in every reference noise:
/// H = M = L = 30. The SNR is 31, not 30, because it is defined against the
/// C-weighted level of the pink noise, about 1 dB above its A-weighted level.
#[test]
fn flat_30_db_without_spread_gives_hml_30_and_snr_31() {
    for r in [
        rate_mean_sd(&flat(30.0, 0.0)).unwrap(),
        rate_fits(&fits(&[[30.0; 7], [30.0; 7], [30.0; 7]])).unwrap(),
    ] {
        assert_eq!((r.h.db, r.m.db, r.l.db), (30, 30, 30));
        assert_eq!(r.snr.db, 31);
        close(r.snr.unrounded_db, 31.0, 0.05);
        assert!(r.apv84_db.iter().all(|a| *a == 30.0));
    }
}

/// A uniform SD of 3 dB lowers every APV84 by 3 dB, so the SNR, M and L by
/// exactly 3 dB; H by 3 (1 − 0.48 Σ d₁..₄) = 2.9856 dB, as the weights d of
/// noises 1-4 sum to 0.01 rather than 0.
#[test]
fn an_sd_lowers_apv_snr_and_hml_by_the_expected_amount() {
    let a = rate_mean_sd(&flat(30.0, 0.0)).unwrap();
    let b = rate_mean_sd(&flat(30.0, 3.0)).unwrap();
    for (x, y) in [(a.snr, b.snr), (a.m, b.m), (a.l, b.l)] {
        close(x.unrounded_db - y.unrounded_db, 3.0, 1e-9);
    }
    close(
        a.h.unrounded_db - b.h.unrounded_db,
        3.0 * (1.0 - 0.48 * 0.01),
        1e-9,
    );
    assert_eq!((b.h.db, b.m.db, b.l.db, b.snr.db), (27, 27, 27, 28));
    assert!(b.apv84_db.iter().all(|v| *v == 27.0));
    assert!(b.apv98_db.iter().all(|v| *v == 24.0));
}

#[test]
fn per_subject_method_subtracts_the_spread_of_the_subjects() {
    // Two flat subjects at 27 and 33 dB: per-subject values are the mean
    // attenuation (+1 dB for the SNR), their SD is 3 sqrt(2).
    let r = rate_fits(&fits(&[[27.0; 7], [33.0; 7]])).unwrap();
    let sd = 3.0 * 2f64.sqrt();
    close(r.h.unrounded_db, 30.0 - sd, 0.2);
    close(r.m.unrounded_db, 30.0 - sd, 0.05);
    close(r.snr.unrounded_db, 31.0 - sd, 0.05);
    assert!(r.method.iso.contains("2018"), "{}", r.method.iso);
}

// ---- PAR ----

#[test]
fn nrr_rounding_sends_exact_halves_down() {
    assert_eq!(round_nrr(19.5), 19.0);
    assert_eq!(round_nrr(19.500_000_000_1), 19.0);
    assert_eq!(round_nrr(19.51), 20.0);
    assert_eq!(round_nrr(19.49), 19.0);
    assert_eq!(round_nrr(-0.5), -1.0);
}

#[test]
fn student_t_quantiles_match_known_values() {
    // nu = 1 is the Cauchy distribution: t = tan(pi (p - 1/2)).
    close(
        student_t_quantile(0.84, 1),
        (std::f64::consts::PI * 0.34).tan(),
        1e-9,
    );
    // nu = 2: t = (2p - 1) sqrt(2 / (1 - (2p - 1)^2)).
    let a: f64 = 0.68;
    close(
        student_t_quantile(0.84, 2),
        a * (2.0 / (1.0 - a * a)).sqrt(),
        1e-9,
    );
    // Tables: t(0.975, 10) = 2.228, t(0.95, 5) = 2.015, t(0.90, 3) = 1.638.
    close(student_t_quantile(0.975, 10), 2.228, 1e-3);
    close(student_t_quantile(0.95, 5), 2.015, 1e-3);
    close(student_t_quantile(0.90, 3), 1.638, 1e-3);
    // Large nu tends to the normal quantile z(0.84) = 0.9945.
    close(student_t_quantile(0.84, 100_000), 0.9945, 1e-3);
}

fn spread_fits(spread: f64) -> Rating {
    let rows: Vec<[f64; 7]> = [-1.0, -0.5, 0.0, 0.5, 1.0]
        .iter()
        .map(|k| [25.0 + k * spread; 7])
        .collect();
    rate_fits(&fits(&rows)).unwrap()
}

#[test]
fn par_decreases_when_fits_spread_more() {
    let tight = spread_fits(1.0).par.unwrap();
    let loose = spread_fits(6.0).par.unwrap();
    close(tight.mean_db, loose.mean_db, 1e-9);
    assert!(loose.db < tight.db - 3.0, "{loose:?} vs {tight:?}");
    assert!(tight.db < tight.mean_db);
    assert!(loose.mean_lower_84_db > loose.db);
    assert_eq!(tight.n_fits, 5);
}

#[test]
fn identical_fits_give_par_equal_to_their_attenuation() {
    let p = spread_fits(0.0).par.unwrap();
    close(p.db, 25.0, 1e-9);
    close(p.sd_db, 0.0, 1e-12);
}

#[test]
fn one_fit_cannot_be_rated() {
    let e = rate_fits(&fits(&[[30.0; 7]])).unwrap_err();
    assert_eq!(e, RatingError::TooFewFits { found: 1 });
}

#[test]
fn rating_json_has_the_documented_keys_and_no_par_for_mean_sd() {
    let r = rate_mean_sd(&parse_mean_sd(REGULATION_EXAMPLE, Path::new("e.csv")).unwrap()).unwrap();
    let v = serde_json::to_value(&r).unwrap();
    for key in [
        "nrr",
        "snr",
        "h",
        "m",
        "l",
        "centre_hz",
        "apv84_db",
        "apv98_db",
        "method",
        "inputs",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert!(v.get("par").is_none());
    assert_eq!(v["centre_hz"].as_array().unwrap().len(), 7);
    assert_eq!(v["inputs"]["centre_hz"].as_array().unwrap().len(), 9);
}

// ---- parsers never panic ----

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn fits_parser_never_panics(text in "[#0-9eE\\.,;\\t \\-+a-zA-Z\"\\r\\n\u{feff}]{0,300}") {
        if let Err(e) = parse_fits(&text, Path::new("f.csv")) {
            prop_assert!(e.to_string().starts_with("f.csv:"), "{}", e);
        }
    }

    #[test]
    fn mean_sd_parser_never_panics(text in "[#0-9eE\\.,;\\t \\-+a-zA-Z_\"\\r\\n\u{feff}]{0,300}") {
        if let Err(e) = parse_mean_sd(&text, Path::new("m.csv")) {
            prop_assert!(e.to_string().starts_with("m.csv:"), "{}", e);
        }
    }

    #[test]
    fn parsers_never_panic_on_near_valid_tables(
        cells in proptest::collection::vec("(-?[0-9]{1,3}(\\.[0-9])?|x|inf|NaN|)", 0..40),
        cut in 0usize..12,
    ) {
        let mut fits = String::from("fit,63,125,250,500,1000,2000,4000,8000\n");
        for (i, chunk) in cells.chunks(9usize.saturating_sub(cut % 3)).enumerate() {
            fits.push_str(&format!("f{i},{}\n", chunk.join(",")));
        }
        if let Ok(t) = parse_fits(&fits, Path::new("f.csv")) {
            let _ = rate_fits(&t);
        }
        let mut ms = String::from("freq_hz,mean_db,sd_db\n");
        for (i, chunk) in cells.chunks(2).enumerate() {
            let band = [63, 125, 250, 500, 1000, 2000, 3150, 4000, 6300, 8000][i % 10];
            ms.push_str(&format!("{band},{}\n", chunk.join(",")));
        }
        if let Ok(t) = parse_mean_sd(&ms, Path::new("m.csv")) {
            let _ = rate_mean_sd(&t);
        }
    }

    #[test]
    fn ratings_of_valid_tables_are_finite(
        rows in proptest::collection::vec(proptest::array::uniform7(-200.0f64..200.0), 2..8),
    ) {
        let r = rate_fits(&fits(&rows)).unwrap();
        let text = serde_json::to_string(&r).unwrap();
        prop_assert!(!text.contains("null"), "{}", text);
    }
}

// ---- command line ----

/// Exit 1, one message naming `needles`, no panic.
fn assert_fails_with(o: &Output, needles: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(err.contains(n), "'{n}' not in: {err}");
    }
}

#[test]
fn cli_worked_example_gives_nrr_19_8_in_json() {
    let f = Fixture::new();
    f.write("example.csv", REGULATION_EXAMPLE);
    let o = f.run(&["rating", "--mean-sd", "example.csv", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["nrr"]["tenths_db"], 19.8);
    assert_eq!(v["nrr"]["db"], 20);
    assert!(v["snr"]["db"].is_i64());
    assert!(v.get("par").is_none());
}

#[test]
fn cli_fits_table_prints_summary_and_par() {
    let f = Fixture::new();
    f.write(
        "fits.csv",
        "\u{feff}# five insertions\r\nfit,63,125,250,500,1000,2000,4000,8000\r\nA,12,15,18,22,28,32,38,36\r\nB,11,14,18,21,27,33,37,35\r\nC,14,16,20,23,29,32,39,37\r\n",
    );
    let o = f.run(&["rating", "--fits", "fits.csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    for needle in ["fits.csv", "NRR", "SNR", "PAR", "APV84", "3 fits"] {
        assert!(out.contains(needle), "'{needle}' not in:\n{out}");
    }
    let o = f.run(&["rating", "--fits", "fits.csv", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["par"]["n_fits"], 3);
    assert_eq!(v["inputs"]["fits"][2]["label"], "C");
    assert_eq!(v["centre_hz"].as_array().unwrap().len(), 8);
}

#[test]
fn cli_bad_cell_names_file_line_and_column() {
    let f = Fixture::new();
    f.write(
        "bad.csv",
        "125,250,500,1000,2000,4000,8000\n1,2,3,4,x,6,7\n",
    );
    let o = f.run(&["rating", "--fits", "bad.csv"]);
    assert_fails_with(&o, &["bad.csv", "line 2, column 5", "not a number"]);
}

#[test]
fn cli_bad_mean_sd_tables_name_file_line_and_column() {
    let f = Fixture::new();
    f.write(
        "neg.csv",
        REGULATION_EXAMPLE.replace("500,23,3.8", "500,23,-1"),
    );
    assert_fails_with(
        &f.run(&["rating", "--mean-sd", "neg.csv"]),
        &["neg.csv", "line 4, column 3", "negative"],
    );
    f.write("band.csv", REGULATION_EXAMPLE.replace("3150,", "3000,"));
    assert_fails_with(
        &f.run(&["rating", "--mean-sd", "band.csv", "--json"]),
        &["band.csv", "line 7, column 1", "3150"],
    );
    f.write("dup.csv", format!("{REGULATION_EXAMPLE}4000,1,1\n"));
    assert_fails_with(
        &f.run(&["rating", "--mean-sd", "dup.csv"]),
        &["dup.csv", "line 11, column 1", "twice"],
    );
    f.write("empty.csv", "");
    assert_fails_with(
        &f.run(&["rating", "--mean-sd", "empty.csv"]),
        &["empty.csv", "empty"],
    );
}

#[test]
fn cli_one_fit_is_refused_with_the_file_named() {
    let f = Fixture::new();
    f.write(
        "one.csv",
        "125,250,500,1000,2000,4000,8000\n20,22,25,28,30,35,33\n",
    );
    let o = f.run(&["rating", "--fits", "one.csv"]);
    assert_fails_with(&o, &["one.csv", "at least 2 fits", "found 1"]);
}

#[test]
fn cli_missing_file_is_named() {
    let f = Fixture::new();
    let o = f.run(&["rating", "--fits", "nope.csv"]);
    assert_fails_with(&o, &["nope.csv", "cannot read"]);
}
