//! L and R files of one IEM are the two ears of one fit: import pairs them,
//! the store keeps them as `fit-N-left.json` / `fit-N-right.json`, and
//! compare gives each ear its own statistics and a right-minus-left
//! balance, never pooling the ears as fits. Checked against the stored fit
//! files, read here as plain JSON.

mod common;

use common::{stderr, stdout, Fixture};
use std::path::{Path, PathBuf};
use tipfit::session::config::Ear;
use tipfit::session::store;

fn rew(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/rew")
        .join(name)
}

/// Two different real REW measurements as the L and R file of one tip.
fn pair(fx: &Fixture) -> Vec<String> {
    let (l, r) = ("Chu (Spring) L.txt", "Chu (Spring) R.txt");
    std::fs::copy(rew("chu_spring_L.txt"), fx.path(l)).unwrap();
    std::fs::copy(rew("chu_final-e_L.txt"), fx.path(r)).unwrap();
    vec![l.into(), r.into()]
}

fn import(fx: &Fixture, files: &[&str], into: &str) -> String {
    let mut args = vec!["import"];
    args.extend_from_slice(files);
    args.extend_from_slice(&["--into", into]);
    stderr(&fx.ok(&args))
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The stored bass level (`seal.seal.bass_db`) of a fit file.
fn stored_bass(path: &Path) -> f64 {
    json(path)["seal"]["seal"]["bass_db"].as_f64().unwrap()
}

fn compare_json(fx: &Fixture, dir: &str) -> serde_json::Value {
    let out = fx.ok(&["compare", "--json", dir]);
    serde_json::from_str(&stdout(&out)).unwrap()
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn an_l_and_an_r_file_are_one_fit_on_two_ears() {
    let fx = Fixture::new();
    let files = pair(&fx);
    let err = import(&fx, &[&files[0], &files[1]], "s");
    assert!(
        err.contains("imported 'Chu (Spring) L.txt' as tip 'Spring' fit 1, left ear"),
        "{err}"
    );
    assert!(
        err.contains("imported 'Chu (Spring) R.txt' as tip 'Spring' fit 1, right ear"),
        "{err}"
    );
    assert_eq!(
        names(&fx.path("s/fits/spring")),
        ["fit-1-left.json", "fit-1-right.json"]
    );
    let info = json(&fx.path("s/session.json"));
    assert_eq!(info["ear"], "both");
    assert_eq!(info["fits_per_tip"], 1);
    assert_eq!(info["tips"].as_array().unwrap().len(), 1);
    let left = json(&fx.path("s/fits/spring/fit-1-left.json"));
    let right = json(&fx.path("s/fits/spring/fit-1-right.json"));
    assert_eq!((&left["fit"], &left["ear"]), (&1.into(), &"left".into()));
    assert_eq!((&right["fit"], &right["ear"]), (&1.into(), &"right".into()));
    assert_eq!(right["source"], "Chu (Spring) R.txt");

    let s = store::load(&fx.path("s")).unwrap();
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    let ears: Vec<(usize, Option<Ear>)> = s.fits.iter().map(|f| (f.fit, f.ear)).collect();
    assert_eq!(ears, [(1, Some(Ear::Left)), (1, Some(Ear::Right))]);
}

#[test]
fn compare_keeps_the_ears_apart_and_gives_their_balance() {
    let fx = Fixture::new();
    let files = pair(&fx);
    import(&fx, &[&files[0], &files[1]], "s");
    let bass_l = stored_bass(&fx.path("s/fits/spring/fit-1-left.json"));
    let bass_r = stored_bass(&fx.path("s/fits/spring/fit-1-right.json"));
    assert!((bass_l - bass_r).abs() > 0.05, "two different files");

    let c = compare_json(&fx, "s");
    // `tips` is the left ear alone: one fit, the L file's bass, no spread.
    let left = &c["tips"][0];
    assert_eq!(left["fits"], 1);
    assert_eq!(left["bass_db"]["mean"].as_f64().unwrap(), bass_l);
    assert!(left["bass_db"]["sd"].is_null(), "two ears are not two fits");
    assert_eq!(left["repeatability_max_sd_db"], serde_json::Value::Null);
    // The right ear holds the R file's values.
    let right = &c["ears"]["right"]["tips"][0];
    assert_eq!(right["name"], "Spring");
    assert_eq!(right["fits"], 1);
    assert_eq!(right["bass_db"]["mean"].as_f64().unwrap(), bass_r);
    assert_eq!(
        c["ears"]["right"]["seal_ranking"]["entries"][0]["tip"],
        "Spring"
    );
    // Balance: right minus left, over the one pair.
    let b = &c["ears"]["balance"][0];
    assert_eq!(b["tip"], "Spring");
    assert_eq!(b["n"], 1);
    assert_eq!(b["fits"], serde_json::json!([1]));
    let got = b["bass_db"]["mean"].as_f64().unwrap();
    assert!(
        (got - (bass_r - bass_l)).abs() < 1e-9,
        "{got} vs {bass_r} - {bass_l}"
    );
    assert_eq!(
        b["centre_hz"],
        serde_json::json!([125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0])
    );
    let bands: Vec<f64> = b["band_db"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(bands.len(), 7);

    // The same two files the other way round: the balance changes sign.
    let fx2 = Fixture::new();
    std::fs::copy(rew("chu_final-e_L.txt"), fx2.path("Chu (Spring) L.txt")).unwrap();
    std::fs::copy(rew("chu_spring_L.txt"), fx2.path("Chu (Spring) R.txt")).unwrap();
    import(&fx2, &["Chu (Spring) L.txt", "Chu (Spring) R.txt"], "s");
    let c2 = compare_json(&fx2, "s");
    let b2 = &c2["ears"]["balance"][0];
    assert!((b2["bass_db"]["mean"].as_f64().unwrap() + got).abs() < 1e-9);
    for (i, x) in bands.iter().enumerate() {
        let y = b2["band_db"][i].as_f64().unwrap();
        assert!((x + y).abs() < 1e-9, "band {i}: {x} vs {y}");
    }

    // The table: a block per ear and the balance line.
    let table = stdout(&fx.ok(&["compare", "s"]));
    assert!(table.contains("two ears"), "{table}");
    assert!(
        table.contains("  left ear\n") && table.contains("  right ear\n"),
        "{table}"
    );
    let line = format!("Spring: R - L bass {:+.1} dB, 125 Hz ", bass_r - bass_l);
    assert!(table.contains(&line), "{line}\n{table}");
    assert!(table.contains("(1 pair)"), "{table}");

    // CSV: one row per tip and ear.
    fx.ok(&["compare", "s", "--csv", "out.csv"]);
    let csv = String::from_utf8(fx.read("out.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert!(rows[0].starts_with("tip,ear,fits,skipped,"), "{}", rows[0]);
    assert_eq!(rows.len(), 3, "{csv}");
    assert!(rows[1].starts_with("Spring,left,1,0,"), "{}", rows[1]);
    assert!(rows[2].starts_with("Spring,right,1,0,"), "{}", rows[2]);
    let cols = rows[0].split(',').count();
    assert!(rows[1..].iter().all(|r| r.split(',').count() == cols));
    let bass_col = rows[0]
        .split(',')
        .position(|c| c == "bass_db_mean")
        .unwrap();
    let cell = |r: &str| r.split(',').nth(bass_col).unwrap().parse::<f64>().unwrap();
    assert!((cell(rows[1]) - bass_l).abs() < 0.006);
    assert!((cell(rows[2]) - bass_r).abs() < 0.006);
}

#[test]
fn an_ear_without_its_pair_is_a_one_ear_fit() {
    let fx = Fixture::new();
    std::fs::copy(rew("chu_spring_L.txt"), fx.path("Chu (Spring) R.txt")).unwrap();
    let err = import(&fx, &["Chu (Spring) R.txt"], "s");
    assert!(err.contains("as tip 'Spring' fit 1, right ear"), "{err}");
    assert_eq!(names(&fx.path("s/fits/spring")), ["fit-1-right.json"]);
    assert_eq!(json(&fx.path("s/session.json"))["ear"], "right");
    // One ear: compare is as it always was, no per-ear part, no ear column.
    let c = compare_json(&fx, "s");
    assert!(c.get("ears").is_none(), "{c}");
    assert_eq!(c["tips"][0]["fits"], 1);
    fx.ok(&["compare", "s", "--csv", "out.csv"]);
    let csv = String::from_utf8(fx.read("out.csv")).unwrap();
    assert!(csv.starts_with("tip,fits,"), "{csv}");
}

/// A later import of the same tip continues after the ear files (the
/// highest fit number counts them), and the ears of fit 1 stay one pair.
#[test]
fn fit_numbers_count_ear_files() {
    let fx = Fixture::new();
    let files = pair(&fx);
    import(&fx, &[&files[0], &files[1]], "s");
    let s = store::load(&fx.path("s")).unwrap();
    let tip = &s.info.tips[0];
    assert_eq!(store::highest_stored_fit(&fx.path("s"), tip), 1);

    std::fs::create_dir(fx.path("more")).unwrap();
    std::fs::copy(
        rew("calla_spring_L.txt"),
        fx.path("more/Chu (Spring) L.txt"),
    )
    .unwrap();
    let err = import(&fx, &["more/Chu (Spring) L.txt"], "s");
    assert!(err.contains("as tip 'Spring' fit 2, left ear"), "{err}");
    assert_eq!(store::highest_stored_fit(&fx.path("s"), tip), 2);
    assert_eq!(
        names(&fx.path("s/fits/spring")),
        ["fit-1-left.json", "fit-1-right.json", "fit-2-left.json"]
    );
    let s = store::load(&fx.path("s")).unwrap();
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    assert_eq!(s.fits.len(), 3);
    let c = compare_json(&fx, "s");
    assert_eq!(c["tips"][0]["fits"], 2);
    assert_eq!(c["ears"]["right"]["tips"][0]["fits"], 1);
    assert_eq!(c["ears"]["balance"][0]["n"], 1);
    assert_eq!(c["ears"]["balance"][0]["fits"], serde_json::json!([1]));
}

/// A fit stored both as `fit-1.json` and per ear is read once (per ear),
/// with a warning, never counted twice.
#[test]
fn a_fit_stored_both_ways_counts_once() {
    let fx = Fixture::new();
    let files = pair(&fx);
    import(&fx, &[&files[0], &files[1]], "s");
    let mut single = json(&fx.path("s/fits/spring/fit-1-left.json"));
    single.as_object_mut().unwrap().remove("ear");
    std::fs::write(
        fx.path("s/fits/spring/fit-1.json"),
        serde_json::to_string(&single).unwrap(),
    )
    .unwrap();
    let s = store::load(&fx.path("s")).unwrap();
    assert_eq!(s.fits.len(), 2);
    assert!(
        s.warnings.len() == 1 && s.warnings[0].contains("fit-1.json left out"),
        "{:?}",
        s.warnings
    );
    // A file whose name and contents disagree on the ear is left out.
    let mut wrong = json(&fx.path("s/fits/spring/fit-1-right.json"));
    wrong["ear"] = "left".into();
    std::fs::write(
        fx.path("s/fits/spring/fit-1-right.json"),
        serde_json::to_string(&wrong).unwrap(),
    )
    .unwrap();
    let s = store::load(&fx.path("s")).unwrap();
    assert_eq!(s.fits.len(), 1);
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("right ear") && w.contains("name says")),
        "{:?}",
        s.warnings
    );
}

/// An old single-ear session reads as before: no ear on any fit, no
/// per-ear part in the comparison, the CSV without an ear column.
#[test]
fn old_single_ear_session_is_unchanged() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/session-small");
    let s = store::load(&dir).unwrap();
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    assert_eq!(s.fits.len(), 6);
    assert!(s.fits.iter().all(|f| f.ear.is_none()));
    let c = tipfit::compare::compare(&s.info, &s.fits, vec![]);
    assert!(c.ears.is_none());
    assert!(c.tips.iter().all(|t| t.fits == 3));
    let text = serde_json::to_string(&c).unwrap();
    assert!(!text.contains("\"ears\""));
    let csv = tipfit::report::table::to_csv(&c);
    assert!(csv.starts_with("tip,fits,skipped,"));
    assert!(!tipfit::report::table::render_table(&c).contains("right ear"));
    // Fit records without an ear serialize without one.
    let back = serde_json::to_value(&s.fits[0]).unwrap();
    assert!(back.get("ear").is_none());
}

/// Two L and two R files of one tip: the k-th L pairs with the k-th R
/// (fits 1 and 2, each on both ears); the balance is over the two pairs.
#[test]
fn kth_left_pairs_with_kth_right() {
    let fx = Fixture::new();
    for (dir, l, r) in [
        ("a", "chu_spring_L.txt", "chu_final-e_L.txt"),
        ("b", "chu_softears-uc_L.txt", "calla_spring_L.txt"),
    ] {
        std::fs::create_dir(fx.path(dir)).unwrap();
        std::fs::copy(rew(l), fx.path(&format!("{dir}/Chu (Spring) L.txt"))).unwrap();
        std::fs::copy(rew(r), fx.path(&format!("{dir}/Chu (Spring) R.txt"))).unwrap();
    }
    let err = import(
        &fx,
        &[
            "a/Chu (Spring) L.txt",
            "b/Chu (Spring) L.txt",
            "a/Chu (Spring) R.txt",
            "b/Chu (Spring) R.txt",
        ],
        "s",
    );
    assert!(err.contains("fit 2, right ear"), "{err}");
    assert_eq!(
        names(&fx.path("s/fits/spring")),
        [
            "fit-1-left.json",
            "fit-1-right.json",
            "fit-2-left.json",
            "fit-2-right.json"
        ]
    );
    assert_eq!(
        json(&fx.path("s/fits/spring/fit-2-right.json"))["source"],
        "Chu (Spring) R.txt"
    );
    let d = |n: usize| {
        stored_bass(&fx.path(&format!("s/fits/spring/fit-{n}-right.json")))
            - stored_bass(&fx.path(&format!("s/fits/spring/fit-{n}-left.json")))
    };
    let c = compare_json(&fx, "s");
    let b = &c["ears"]["balance"][0];
    assert_eq!(b["n"], 2);
    let mean = b["bass_db"]["mean"].as_f64().unwrap();
    assert!((mean - (d(1) + d(2)) / 2.0).abs() < 1e-9);
    assert_eq!(c["tips"][0]["fits"], 2);
    assert_eq!(c["ears"]["right"]["tips"][0]["fits"], 2);
    assert_eq!(json(&fx.path("s/session.json"))["fits_per_tip"], 2);
}

/// A right-ear session's fits stored without an ear count as the left ear
/// once the session holds both: import says so.
#[test]
fn unmarked_fits_of_a_right_ear_session_are_warned_about() {
    let fx = Fixture::new();
    std::fs::copy(rew("chu_spring_L.txt"), fx.path("Chu (Spring) R.txt")).unwrap();
    std::fs::copy(rew("chu_final-e_L.txt"), fx.path("Chu (Foam).txt")).unwrap();
    std::fs::copy(rew("calla_spring_L.txt"), fx.path("Chu (Spring) L.txt")).unwrap();
    import(&fx, &["Chu (Spring) R.txt", "Chu (Foam).txt"], "s");
    assert_eq!(json(&fx.path("s/session.json"))["ear"], "right");
    let err = import(&fx, &["Chu (Spring) L.txt"], "s");
    assert!(
        err.contains("fits without an ear were of the right ear"),
        "{err}"
    );
    assert_eq!(json(&fx.path("s/session.json"))["ear"], "both");
}

/// The report never pools the ears: its squig.link folder holds each ear's
/// own response (the L file the left import's data, the R file the right's,
/// checked against the source files read here), the page's curves are the
/// left ear's (as its tables) and it says both ears were measured.
#[test]
fn the_report_shows_one_ear_and_exports_each_ear_its_own() {
    let fx = Fixture::new();
    let files = pair(&fx);
    let refs: Vec<&str> = files.iter().map(String::as_str).collect();
    import(&fx, &refs, "s");
    fx.ok(&["report", "s", "--out", "r"]);
    let read = |p: &Path| tipfit::formats::response::read(p).unwrap().response;
    let l_src = read(&rew("chu_spring_L.txt"));
    let r_src = read(&rew("chu_final-e_L.txt"));
    let squig = fx.path("r/squig");
    let l = read(&squig.join("Chu (Spring) L.txt"));
    let r = read(&squig.join("Chu (Spring) R.txt"));
    let close = |a: &[f64], b: &[f64]| {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-3)
    };
    assert!(close(&l.db, &l_src.db), "L file is the left ear's response");
    assert!(
        close(&r.db, &r_src.db),
        "R file is the right ear's response"
    );
    assert!(!close(&l.db, &r.db));
    let html = String::from_utf8(fx.read("r/report.html")).unwrap();
    assert!(
        html.contains("<h2>Two ears</h2>") && html.contains("Spring: R - L bass"),
        "two ears said"
    );
    // The page's data: one fit (the left ear's) for the tip, equal to the L file.
    let start = html
        .find("<script id=\"tipfit-data\" type=\"application/json\">")
        .unwrap();
    let body = &html[start..];
    let data: serde_json::Value = serde_json::from_str(
        &body[body.find('>').unwrap() + 1..body.find("</script>").unwrap()].replace("<\\/", "</"),
    )
    .unwrap();
    assert_eq!(
        data["tips"][0]["fits"].as_array().unwrap().len(),
        1,
        "{}",
        data["tips"]
    );
}
