//! `compare`'s listening penalty on the simulated rig (issue 18): zero for
//! the best-sealing tip against itself, growing with the leak, and the
//! allowances following the exchange rules exactly.

mod common;

use common::{stdout, Fixture};
use serde_json::Value;

const CONFIG: &str = "iem = \"Penalty\"\nfits_per_tip = 2\n\
    [measurements]\nseal = true\nisolation = true\n\
    [reference]\nmeasure = \"sealed\"\n\
    [sim]\nseed = 9\ntarget = \"ear\"\n\
    [[tip]]\nname = \"Foam M\"\npreset = \"foam\"\n\
    [[tip]]\nname = \"Silicone M\"\npreset = \"silicone-m\"\n\
    [[tip]]\nname = \"Silicone S\"\npreset = \"silicone-s\"\n\
    [[tip]]\nname = \"Earbud\"\npreset = \"earbud\"\n";

#[test]
fn the_penalty_is_zero_for_the_best_tip_and_grows_with_the_leak() {
    let fx = Fixture::new();
    fx.write("s.toml", CONFIG);
    fx.ok(&["session", "run", "s.toml", "--out", "s", "--yes"]);
    let c: Value = serde_json::from_slice(&fx.ok(&["compare", "s", "--json"]).stdout).unwrap();
    let p = c["listening_penalty"]
        .as_array()
        .expect("listening_penalty");
    assert_eq!(p.len(), 4 * 4, "4 tips x 4 presets: {p:?}");
    let get = |tip: &str, preset: &str| {
        p.iter()
            .find(|x| x["tip"] == tip && x["preset"] == preset)
            .unwrap_or_else(|| panic!("{tip} {preset}"))
    };
    let gain = |tip: &str, preset: &str| get(tip, preset)["gain_db"].as_f64().unwrap();
    for preset in ["office", "street", "subway", "airplane"] {
        // the best-sealing tip (the best verdict, then isolation) is foam
        assert_eq!(get("Foam M", preset)["reference_tip"], "Foam M");
        assert_eq!(gain("Foam M", preset), 0.0);
    }
    // in loud places the penalty grows with the leak: silicone M (sealed),
    // silicone S (leaky), the earbud (no seal)
    for preset in ["subway", "airplane"] {
        let (m, s, e) = (
            gain("Silicone M", preset),
            gain("Silicone S", preset),
            gain("Earbud", preset),
        );
        eprintln!("{preset}: silicone M {m:+.2}, silicone S {s:+.2}, earbud {e:+.2} dB");
        assert!(m < s && s < e, "{preset}: {m} {s} {e}");
        assert!(e > 3.0, "{preset}: earbud {e}");
    }
    // NIOSH: 8 h at 85 dBA, halved per 3 dB (capped at 24 h); WHO: 40 h a
    // week at 80 dB, halved per 3 dB (capped at 168 h)
    for x in p {
        let l = x["eardrum_dba"].as_f64().unwrap();
        let niosh = (8.0 * 2f64.powf((85.0 - l) / 3.0)).min(24.0);
        let who = (40.0 * 2f64.powf((80.0 - l) / 3.0)).min(168.0);
        assert!(
            (x["allowance_h"].as_f64().unwrap() - niosh).abs() < 1e-9,
            "{x}"
        );
        assert!(
            (x["who_weekly_h"].as_f64().unwrap() - who).abs() < 1e-9,
            "{x}"
        );
    }
    // the text says it
    let text = stdout(&fx.ok(&["compare", "s"]));
    assert!(text.contains("listening penalty"), "{text}");
    assert!(text.contains("in the subway, Earbud needs +"), "{text}");
}

#[test]
fn without_isolation_there_is_no_penalty_and_the_note_says_why() {
    let fx = Fixture::new();
    fx.write(
        "s.toml",
        CONFIG.replace("isolation = true", "isolation = false"),
    );
    fx.ok(&["session", "run", "s.toml", "--out", "s", "--yes"]);
    let c: Value = serde_json::from_slice(&fx.ok(&["compare", "s", "--json"]).stdout).unwrap();
    assert_eq!(c["listening_penalty"].as_array().unwrap().len(), 0);
    let note = c["listening_note"].as_str().unwrap();
    assert!(note.contains("isolation"), "{note}");
}

#[test]
fn a_recorded_ambient_joins_the_presets_and_bad_files_name_their_line() {
    let fx = Fixture::new();
    fx.write("s.toml", CONFIG);
    fx.ok(&["session", "run", "s.toml", "--out", "s", "--yes"]);
    // a loud, bass-heavy ambient (third octaves 25 Hz-12.5 kHz, as a sound
    // level meter exports them), with a header and a comment
    let centres = [
        25.0, 31.5, 40.0, 50.0, 63.0, 80.0, 100.0, 125.0, 160.0, 200.0, 250.0, 315.0, 400.0, 500.0,
        630.0, 800.0, 1000.0, 1250.0, 1600.0, 2000.0, 2500.0, 3150.0, 4000.0, 5000.0, 6300.0,
        8000.0, 10000.0, 12500.0,
    ];
    let mut text = String::from("# engine room\nfrequency,level\n");
    for (i, f) in centres.iter().enumerate() {
        text += &format!("{f},{}\n", 90.0 - i as f64);
    }
    fx.write("engine-room.csv", &text);
    let c: Value = serde_json::from_slice(
        &fx.ok(&[
            "compare",
            "s",
            "--json",
            "--ambient-levels",
            "engine-room.csv",
        ])
        .stdout,
    )
    .unwrap();
    let p = c["listening_penalty"].as_array().unwrap();
    assert_eq!(p.len(), 4 * 5, "four presets and the recording");
    let e = p
        .iter()
        .find(|x| x["preset"] == "engine-room" && x["tip"] == "Earbud")
        .expect("the recorded ambient's entry");
    assert!(e["place"].as_str().unwrap().contains("engine-room"), "{e}");
    // louder than the subway: the earbud needs more there
    let sub = p
        .iter()
        .find(|x| x["preset"] == "subway" && x["tip"] == "Earbud")
        .unwrap();
    assert!(
        e["gain_db"].as_f64().unwrap() > sub["gain_db"].as_f64().unwrap(),
        "{e} {sub}"
    );
    // bad files: the file and line named, non-zero exit
    fx.write("bad.csv", "frequency,level\n100,60\n1100,60\n");
    let err = fx.fails(&["compare", "s", "--ambient-levels", "bad.csv"]);
    assert!(
        err.contains("bad.csv:3") && err.contains("third-octave centre"),
        "{err}"
    );
    fx.write("bad2.csv", "100,60\n200,loud\n");
    let err = fx.fails(&["compare", "s", "--ambient-levels", "bad2.csv"]);
    assert!(
        err.contains("bad2.csv:2") && err.contains("two numbers"),
        "{err}"
    );
    let err = fx.fails(&["compare", "s", "--ambient-levels", "missing.csv"]);
    assert!(err.contains("missing.csv"), "{err}");
}
