//! ISO 532-1 loudness, partial loudness and listening penalties against
//! MoSQITo (fixtures made by `tests/data/loudness/make_fixtures.py`; the tool
//! versions are in each file's "tool" entry) and against the ISO 532-1:2017
//! Annex B.2 expected total for test signal 1.
//!
//! Tolerances:
//! - total loudness: 0.1 sone or 2 %, whichever is larger; loudness level
//!   0.5 phon (MoSQITo rounds N to 0.001 sone below 16 sone and 0.01 above);
//! - specific loudness: 0.1 sone/Bark or 5 % per point, the tolerance
//!   ISO 532-1 section 5.1 sets for conformance (MoSQITo's own validation);
//! - penalties: 0.1 dB in silence (both sides match the exact ISO totals);
//!   0.5 dB in noise, where MoSQITo's side sums the partial specific loudness
//!   on the 0.1-Bark grid and tipfit integrates it exactly.

use serde_json::Value;
use tipfit::analysis::listening::{
    listening_penalty, preset, Ambient, PenaltySettings, TipBands, PROGRAMME_SPECTRUM_DB,
};
use tipfit::analysis::loudness::{loudness, partial_loudness, SoundField, N_BANDS, N_BARK};

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/data/loudness/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect(&path)).expect(&path)
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn bands(v: &Value) -> [f64; N_BANDS] {
    numbers(v).try_into().expect("28 bands")
}

fn field(v: &Value) -> SoundField {
    match v.as_str() {
        Some("free") => SoundField::Free,
        Some("diffuse") => SoundField::Diffuse,
        other => panic!("field {other:?}"),
    }
}

fn total_tolerance(n: f64) -> f64 {
    (0.02 * n).max(0.1)
}

fn assert_specific_close(name: &str, ours: &[f64], theirs: &[f64]) {
    assert_eq!(ours.len(), N_BARK);
    assert_eq!(theirs.len(), N_BARK);
    for (k, (a, b)) in ours.iter().zip(theirs).enumerate() {
        assert!(
            (a - b).abs() <= (0.05 * b.abs()).max(0.1),
            "{name}: N'({:.1} Bark) = {a}, MoSQITo {b}",
            (k + 1) as f64 / 10.0
        );
    }
}

#[test]
fn stationary_loudness_matches_mosqito_and_iso_532_1_annex_b2() {
    let data = fixture("zwst.json");
    let (mut worst_sone, mut worst_rel, mut worst_phon) = (0.0f64, 0.0f64, 0.0f64);
    let mut iso_checked = false;
    for case in data["cases"].as_array().unwrap() {
        let name = format!("{} ({})", case["name"].as_str().unwrap(), case["field"]);
        let levels = numbers(&case["levels_db"]);
        let n = loudness(&levels, field(&case["field"])).unwrap();
        let want = case["total_sone"].as_f64().unwrap();
        let d = (n.total_sone - want).abs();
        assert!(
            d <= total_tolerance(want),
            "{name}: {} sone, MoSQITo {want}",
            n.total_sone
        );
        let phon = case["level_phon"].as_f64().unwrap();
        assert!(
            (n.level_phon - phon).abs() <= 0.5,
            "{name}: {} phon, MoSQITo {phon}",
            n.level_phon
        );
        assert_specific_close(
            &name,
            &n.specific_sone_per_bark,
            &numbers(&case["specific_sone_per_bark"]),
        );
        worst_sone = worst_sone.max(d);
        if want > 0.5 {
            worst_rel = worst_rel.max(d / want);
        }
        worst_phon = worst_phon.max((n.level_phon - phon).abs());
        if let Some(iso) = case.get("iso_expected_total_sone") {
            let iso = iso.as_f64().unwrap();
            assert!(
                (n.total_sone - iso).abs() <= total_tolerance(iso),
                "{name}: {} sone, ISO 532-1 Annex B.2 {iso}",
                n.total_sone
            );
            eprintln!(
                "ISO 532-1 B.2 test signal 1: {} sone (ISO {iso})",
                n.total_sone
            );
            iso_checked = true;
        }
    }
    assert!(iso_checked);
    eprintln!(
        "largest difference from MoSQITo: {worst_sone:.4} sone, {:.3} % (N > 0.5 sone), {worst_phon:.3} phon",
        100.0 * worst_rel
    );
}

#[test]
fn partial_loudness_matches_the_model_computed_from_mosqito() {
    let data = fixture("partial.json");
    let mut worst_exact = 0.0f64;
    for case in data["cases"].as_array().unwrap() {
        let name = format!("{} ({})", case["name"].as_str().unwrap(), case["field"]);
        let p = partial_loudness(
            &numbers(&case["signal_db"]),
            &numbers(&case["noise_db"]),
            field(&case["field"]),
        )
        .unwrap();
        let grid_want = case["partial_grid_sone"].as_f64().unwrap();
        let grid_ours: f64 = 0.1 * p.specific_sone_per_bark.iter().sum::<f64>();
        assert!(
            (grid_ours - grid_want).abs() <= total_tolerance(grid_want),
            "{name}: grid sum {grid_ours}, MoSQITo {grid_want}"
        );
        assert_specific_close(
            &name,
            &p.specific_sone_per_bark,
            &numbers(&case["specific_sone_per_bark"]),
        );
        // The exact integral differs from the grid sum only by the grid.
        let rel = (p.partial_sone - grid_want).abs() / grid_want;
        assert!(
            rel < 0.05,
            "{name}: exact {} vs grid {grid_want}",
            p.partial_sone
        );
        worst_exact = worst_exact.max(rel);
    }
    eprintln!(
        "partial loudness, exact integral vs MoSQITo grid sum: at most {:.2} %",
        100.0 * worst_exact
    );
}

#[test]
fn listening_penalties_match_bisection_on_mosqito() {
    let data = fixture("penalty.json");
    assert_eq!(bands(&data["music_relative_db"]), PROGRAMME_SPECTRUM_DB);
    let settings = PenaltySettings {
        reference_dba: data["reference_dba"].as_f64().unwrap(),
        field: field(&data["field"]),
        ..PenaltySettings::default()
    };
    for case in data["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let ambient_db = bands(&case["ambient_db"]);
        let ambient = if name.starts_with("subway") {
            // The fixture splits the preset's octaves itself: it must agree.
            let a = Ambient::from_preset(&preset("subway").unwrap());
            for (ours, theirs) in a.level_db_spl.iter().zip(&ambient_db) {
                assert!((ours - theirs).abs() < 1e-9, "{name}: {ours} vs {theirs}");
            }
            a
        } else {
            Ambient {
                name: "silence".into(),
                place: "in silence".into(),
                level_db_spl: ambient_db,
            }
        };
        let tip = |v: &Value, n: &str| {
            TipBands::new(n, bands(&v["response_db"]), bands(&v["isolation_db"]))
        };
        let tips = [
            tip(&case["reference"], "reference"),
            tip(&case["tip"], "tip"),
        ];
        let p = listening_penalty(&tips, 0, &ambient, &settings).unwrap();
        assert_eq!(p[0].gain_db, 0.0);
        let want = case["gain_db"].as_f64().unwrap();
        let tolerance = if name.starts_with("silence") {
            0.1
        } else {
            0.5
        };
        assert!(
            (p[1].gain_db - want).abs() <= tolerance,
            "{name}: {:+.3} dB, MoSQITo bisection {want:+.3} dB",
            p[1].gain_db
        );
        let dba = case["eardrum_dba"].as_f64().unwrap();
        assert!(
            (p[1].eardrum_dba - dba).abs() <= tolerance + 0.01,
            "{name}: {} dBA vs {dba}",
            p[1].eardrum_dba
        );
        eprintln!(
            "{name}: {:+.3} dB (MoSQITo {want:+.3}); {}",
            p[1].gain_db,
            p[1].sentence()
        );
    }
}
