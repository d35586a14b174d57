//! `ear = "both"` on the simulated rig (issue 18): every fit measures the
//! left and the right ear, each with its own canal and insertion; the two
//! are stored apart, compared apart, balanced, and a tip is recommended per
//! ear. A deliberately leakier right ear shows as the imbalance.

mod common;

use common::{stderr, stdout, Fixture};
use serde_json::Value;

fn config(right_leak_scale: f64, target: &str) -> String {
    format!(
        "iem = \"Both ears\"\near = \"both\"\nfits_per_tip = 3\n\
         [measurements]\nseal = true\nisolation = true\n\
         [reference]\nmeasure = \"sealed\"\n\
         [sim]\nseed = 5\ntarget = \"{target}\"\nright_leak_scale = {right_leak_scale}\n\
         [[tip]]\nname = \"Foam M\"\npreset = \"foam\"\n\
         [[tip]]\nname = \"Silicone M\"\npreset = \"silicone-m\"\n\
         [[tip]]\nname = \"Silicone S\"\npreset = \"silicone-s\"\n"
    )
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("compare --json prints JSON")
}

fn tip<'a>(tips: &'a Value, name: &str) -> &'a Value {
    tips.as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no tip {name}"))
}

#[test]
fn both_ears_are_measured_stored_compared_and_a_leakier_right_ear_shows() {
    let fx = Fixture::new();
    fx.write("s.toml", config(8.0, "ear"));
    let out = fx.ok(&["session", "run", "s.toml", "--out", "s", "--yes"]);
    let said = stderr(&out) + &stdout(&out);
    assert!(said.contains("Foam M fit 1/3 (left)"), "{said}");
    assert!(said.contains("Foam M fit 1/3 (right)"), "{said}");
    assert!(said.contains("9 of 9 fits measured"), "{said}");
    // a sealed reference per ear, each in its own canal (on the ear
    // target the two canals differ, so the two references do too)
    assert!(said.contains("reference (right ear): bass"), "{said}");
    let info = json(&std::fs::read(fx.path("s/session.json")).unwrap());
    assert!(info["reference_right"].is_object(), "{info}");
    assert_ne!(info["reference"], info["reference_right"]);
    assert!(fx.path("s/reference-right.wav").exists());
    // stored per ear, each with its own recording and insertion truth
    for n in 1..=3 {
        for ear in ["left", "right"] {
            let p = fx.path(&format!("s/fits/silicone-m/fit-{n}-{ear}.json"));
            let r: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
            assert_eq!(r["ear"], ear);
            assert!(fx
                .path(&format!("s/fits/silicone-m/fit-{n}-{ear}.wav"))
                .exists());
            assert!(r["rig"]["truth"]["insertion"]["depth_mm"].is_f64(), "{r}");
        }
    }
    let l: Value = serde_json::from_slice(
        &std::fs::read(fx.path("s/fits/silicone-m/fit-1-left.json")).unwrap(),
    )
    .unwrap();
    let r: Value = serde_json::from_slice(
        &std::fs::read(fx.path("s/fits/silicone-m/fit-1-right.json")).unwrap(),
    )
    .unwrap();
    // two ears of one person: their own canals, so their own insertions
    assert_ne!(
        l["rig"]["truth"]["insertion"],
        r["rig"]["truth"]["insertion"]
    );
    // the right ear's leak is the drawn one times 8 (its truth says so):
    // its leak corner is far above the left one's
    let f0 = |v: &Value| v["rig"]["truth"]["leak_f0_hz"].as_f64().unwrap();
    assert!(f0(&r) > 3.0 * f0(&l), "{} vs {}", f0(&r), f0(&l));

    let c = json(&fx.ok(&["compare", "s", "--json"]).stdout);
    let ears = &c["ears"];
    assert!(ears.is_object(), "no per-ear comparison: {c}");
    // left in `tips`, right in `ears.right.tips`: the right ear loses more bass
    let loss = |t: &Value| t["bass_loss_db"]["mean"].as_f64().unwrap();
    let (left_s, right_s) = (
        tip(&c["tips"], "Silicone M"),
        tip(&ears["right"]["tips"], "Silicone M"),
    );
    assert!(
        loss(right_s) > loss(left_s) + 1.0,
        "{} vs {}",
        loss(right_s),
        loss(left_s)
    );
    // the balance (right minus left) shows it: less bass on the right
    let bal = ears["balance"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["tip"] == "Silicone M")
        .unwrap();
    assert_eq!(bal["n"], 3);
    assert!(bal["bass_db"]["mean"].as_f64().unwrap() < -1.0, "{bal}");
    // a tip per ear: the best verdict, then isolation
    let rec = &ears["recommended"];
    assert_eq!(rec["left"], "Foam M", "{rec}");
    assert!(rec["right"].is_string(), "{rec}");
    assert!(
        rec["sentence"].as_str().unwrap().contains("Foam M"),
        "{rec}"
    );

    // the report: both ears' exports and the ears picture
    fx.ok(&["report", "s", "--out", "r"]);
    for f in [
        "foam-m-left.txt",
        "foam-m-right.txt",
        "foam-m-left-autoeq.csv",
        "foam-m-right-autoeq.csv",
    ] {
        assert!(fx.path(&format!("r/exports/{f}")).exists(), "{f}");
    }
    assert!(fx.path("r/ears.png").exists());
    let html = String::from_utf8(fx.read("r/report.html")).unwrap();
    let sentence = rec["sentence"].as_str().unwrap();
    assert!(
        html.contains("Left and right ear") && html.contains(sentence),
        "report: {sentence}"
    );
    // the two ears of one REW export differ as the stored fits do: the
    // left and right exports are not the same curve
    assert_ne!(
        fx.read("r/exports/silicone-m-left.txt"),
        fx.read("r/exports/silicone-m-right.txt")
    );
}

#[test]
fn two_alike_ears_on_a_coupler_are_balanced_within_the_fit_to_fit_spread() {
    let fx = Fixture::new();
    fx.write("s.toml", config(1.0, "coupler"));
    fx.ok(&["session", "run", "s.toml", "--out", "s", "--yes"]);
    let c = json(&fx.ok(&["compare", "s", "--json"]).stdout);
    for b in c["ears"]["balance"].as_array().unwrap() {
        if b["tip"] == "Silicone S" {
            continue; // a leaky tip: each insertion leaks its own way
        }
        let bass = b["bass_db"]["mean"].as_f64().unwrap();
        assert!(bass.abs() < 1.0, "{b}");
    }
}

/// Both ears on a sound card are measured through the PulseAudio loopback
/// (tests/loopback.rs); here the config's channel checks, which need no
/// sound card: every one refused before anything plays, naming the key.
#[test]
fn both_ears_on_a_sound_card_check_their_channels_before_playing() {
    let fx = Fixture::new();
    let base =
        "iem = \"x\"\nrig = \"device\"\n[measurements]\nisolation = false\n[[tip]]\nname = \"A\"\n";
    let cases = [
        (
            "both",
            "driver_channels = [1]",
            "[device] driver_channels: give two channels, the left ear's then the right ear's",
        ),
        (
            "both",
            "inner_channels = [3, 3]",
            "[device] inner_channels: the left and right ear are both on channel 3",
        ),
        ("both", "inner_channels = [1, 0]", "channels count from 1"),
        (
            "left",
            "driver_channels = [1, 2]",
            "are for both ears at once on a sound card: set ear = \"both\"",
        ),
    ];
    for (ear, device, want) in cases {
        let text = format!("ear = \"{ear}\"\n{base}[device]\n{device}\n");
        fx.write("s.toml", text.clone());
        let err = fx.fails(&["session", "run", "s.toml", "--out", "s", "--yes"]);
        assert!(err.contains(want), "{text}\n{err}");
        assert!(
            !fx.path("s").exists(),
            "nothing made before the config is right"
        );
    }
}

#[test]
fn a_bad_right_leak_scale_is_refused_with_its_name() {
    let fx = Fixture::new();
    fx.write("s.toml", config(-1.0, "ear"));
    let err = fx.fails(&["session", "run", "s.toml", "--out", "s", "--yes"]);
    assert!(err.contains("right_leak_scale"), "{err}");
}

/// `[reference] measure = "file"` with `file_right`: the right ear's bass
/// loss is against its own file. The same session (same seed, same
/// draws) is run with the left file for both ears and with a right file
/// that is the left one plus a bass shelf this test adds: the right ear's
/// bass loss moves by the shelf's mean over the 20-100 Hz bass band (less
/// its mean over the 300-1000 Hz reference band), computed here from the
/// file's own points, within 0.1 dB (interpolation onto the measured
/// grid); the left ear does not move.
#[test]
fn a_right_ear_reference_file_is_the_right_ears_reference() {
    let fx = Fixture::new();
    fx.ok(&[
        "measure",
        "--sealed",
        "--sim-target",
        "coupler",
        "--export-txt",
        "left.txt",
    ]);
    let shelf = |f: f64| 3.0 / (1.0 + (f / 150.0).powi(8));
    let left = std::fs::read_to_string(fx.path("left.txt")).unwrap();
    let (mut bass, mut mids) = (Vec::new(), Vec::new());
    let right: String = left
        .lines()
        .map(|l| {
            let v: Vec<&str> = l.split_whitespace().collect();
            match (
                v.first().and_then(|s| s.parse::<f64>().ok()),
                v.get(1).and_then(|s| s.parse::<f64>().ok()),
            ) {
                (Some(f), Some(db)) => {
                    if (20.0..=100.0).contains(&f) {
                        bass.push(shelf(f));
                    }
                    if (300.0..=1000.0).contains(&f) {
                        mids.push(shelf(f));
                    }
                    let rest: Vec<&str> = v[2..].to_vec();
                    format!("{f} {:.4} {}\n", db + shelf(f), rest.join(" "))
                }
                _ => format!("{l}\n"),
            }
        })
        .collect();
    fx.write("right.txt", right);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let expected = mean(&bass) - mean(&mids);
    let session = |extra: &str| {
        format!(
            "iem = \"Both\"\near = \"both\"\nfits_per_tip = 1\n[measurements]\nisolation = false\n\
             [reference]\nmeasure = \"file\"\nfile = \"left.txt\"\n{extra}\
             [sim]\nseed = 3\ntarget = \"coupler\"\n[[tip]]\nname = \"Foam\"\npreset = \"foam\"\n"
        )
    };
    fx.write("one.toml", session(""));
    fx.write("two.toml", session("file_right = \"right.txt\"\n"));
    fx.ok(&["session", "run", "one.toml", "--out", "one", "--yes"]);
    fx.ok(&["session", "run", "two.toml", "--out", "two", "--yes"]);
    let info = json(&std::fs::read(fx.path("two/session.json")).unwrap());
    assert!(info["reference_right"].is_object(), "{info}");
    let loss = |dir: &str, ear: &str| {
        let r =
            json(&std::fs::read(fx.path(&format!("{dir}/fits/foam/fit-1-{ear}.json"))).unwrap());
        r["seal"]["seal"]["bass_loss_db"].as_f64().unwrap()
    };
    let moved = loss("two", "right") - loss("one", "right");
    eprintln!("right ear's bass loss moved {moved:.3} dB, the shelf's mean {expected:.3} dB");
    assert!((moved - expected).abs() < 0.1, "{moved} vs {expected}");
    assert!((loss("two", "left") - loss("one", "left")).abs() < 1e-9);
    // the right ear's file needs both ears and a file reference
    fx.write(
        "bad.toml",
        session("file_right = \"right.txt\"\n").replace("ear = \"both\"", "ear = \"left\""),
    );
    let err = fx.fails(&["session", "run", "bad.toml", "--out", "bad", "--yes"]);
    assert!(
        err.contains("file_right") && err.contains("ear = \"both\""),
        "{err}"
    );
}
