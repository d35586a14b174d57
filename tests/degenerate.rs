//! Numeric hygiene (issue 6, item 5), through the binary as a user runs it:
//! empty and degenerate inputs give one clear error naming the file (exit
//! code 1, no panic) or a valid result, and no NaN or infinity ever reaches
//! JSON (where serde_json writes it as `null`), CSV, REW text or plots.
//!
//! A `null` is accepted only where the documented type is an `Option`
//! (listed per document below), never inside an array of numbers.

mod common;

use common::{assert_one_error, stderr, stdout, Fixture};
use serde_json::Value;
use std::path::Path;
use std::process::Output;

/// Fields of a measurement (`analyze`/`measure --json`) that are `Option`s:
/// `FrequencyResponse::phase_deg`, `SealMetrics::{bass_loss_db,
/// leak_corner_hz, leak_fit, minus3db_hz}`, and the simulated ear's leak in
/// `measure`'s `rig.truth` (none when sealed).
const MEASUREMENT_OPTIONAL: &[&str] = &[
    "phase_deg",
    "bass_loss_db",
    "leak_corner_hz",
    "leak_fit",
    "minus3db_hz",
    "leak_f0_hz",
    "leak_zeta",
];

/// Fields of a comparison (`compare --json`, `summary.json`) that are
/// `Option`s (`TipStats`, `Comparison::isolation_ranking`; `Stat`'s SD and
/// interval, none from one fit; `CornerStat`'s centre, interval, log10
/// statistics and bounds; `BandEffect`'s difference and Welch interval).
const COMPARISON_OPTIONAL: &[&str] = &[
    "verdict",
    "bass_db",
    "bass_loss_db",
    "leak_corner",
    "sd",
    "ci95_low",
    "ci95_high",
    "centre",
    "ci95_low_hz",
    "ci95_high_hz",
    "log10",
    "below_hz",
    "above_hz",
    "refit_max_diff_db",
    "isolation_octave",
    "isolation_rating_db",
    "repeatability_max_sd_db",
    "isolation_ranking",
    // `tip_effect[].bands[]`: no difference without a fit of both tips
    // covering the band, no Welch interval or degrees of freedom from a
    // single fit.
    "delta_db",
    "df",
];

// ---------------------------------------------------------------- checks

/// Walk `v`: every number finite, `null` only as the value of a key in
/// `optional`. Problems are pushed as JSON paths; returns the numbers seen.
fn walk(v: &Value, path: &str, optional: &[&str], bad: &mut Vec<String>) -> usize {
    match v {
        Value::Null => {
            let key = path.rsplit('.').next().unwrap_or("");
            if path.ends_with(']') || !optional.contains(&key) {
                bad.push(format!("{path} is null"));
            }
            0
        }
        Value::Number(n) => match n.as_f64() {
            Some(x) if x.is_finite() => 1,
            _ => {
                bad.push(format!("{path} = {n} is not finite"));
                0
            }
        },
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, x)| walk(x, &format!("{path}[{i}]"), optional, bad))
            .sum(),
        Value::Object(o) => o
            .iter()
            .map(|(k, x)| walk(x, &format!("{path}.{k}"), optional, bad))
            .sum(),
        Value::Bool(_) | Value::String(_) => 0,
    }
}

/// Parse `text` as JSON and check it (see [`walk`]); `what` names it.
fn finite_json(what: &str, text: &str, optional: &[&str]) -> Value {
    for word in ["NaN", "Infinity"] {
        assert!(!text.contains(word), "{what}: holds {word}:\n{text}");
    }
    let v: Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{what}: not JSON ({e}):\n{text}"));
    let mut bad = Vec::new();
    let numbers = walk(&v, "$", optional, &mut bad);
    assert!(bad.is_empty(), "{what}: {}", bad.join("; "));
    assert!(numbers > 0, "{what}: no numbers at all:\n{text}");
    v
}

/// Every token of a CSV / REW text file that reads as a number (Rust reads
/// "NaN", "inf" and "infinity" as numbers too) is finite; `*` comment lines
/// are skipped. Returns how many numbers there are (at least one).
fn finite_table(what: &str, text: &str) -> usize {
    let mut numbers = 0;
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('*') {
            continue;
        }
        for cell in line.split([',', '\t', ' ', ';']) {
            let cell = cell.trim().trim_matches('"');
            if let Ok(x) = cell.parse::<f64>() {
                assert!(x.is_finite(), "{what}:{}: '{cell}' in: {line}", i + 1);
                numbers += 1;
            }
        }
    }
    assert!(numbers > 0, "{what}: no numbers at all:\n{text}");
    numbers
}

fn read_text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The command succeeded and printed a JSON document with finite numbers.
fn ok_json(out: &Output, what: &str, optional: &[&str]) -> Value {
    let err = stderr(out);
    assert!(!err.contains("panicked"), "{what}: panic:\n{err}");
    assert_eq!(out.status.code(), Some(0), "{what} failed:\n{err}");
    finite_json(what, &stdout(out), optional)
}

/// The command either failed cleanly, naming `file` (exit 1, one `error:`
/// line, nothing on stdout, no panic), or succeeded with a valid JSON
/// measurement. Returns the document when it succeeded.
fn error_or_finite(out: &Output, what: &str, file: &str) -> Option<Value> {
    if out.status.success() {
        let v = ok_json(out, what, MEASUREMENT_OPTIONAL);
        for key in ["latency_s", "snr_db"] {
            assert!(v[key].is_f64(), "{what}: {key} is {}", v[key]);
        }
        assert!(v["seal"]["bass_db"].is_f64(), "{what}: {}", v["seal"]);
        Some(v)
    } else {
        assert_one_error(out, &[file]);
        None
    }
}

/// A PNG that decodes, of the size asked for.
fn assert_png(path: &Path, size: (u32, u32)) {
    let img = image::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        (img.width(), img.height()),
        size,
        "{}: wrong size",
        path.display()
    );
}

/// The HTML report's text (embedded pictures, scripts and styles left out:
/// uPlot's code says `null` and `Infinity`, and the page's curve data marks
/// gaps with `null`) holds no NaN, inf or null where numbers are shown; the
/// curve data, as JSON, cannot hold NaN or inf at all and must parse.
fn assert_finite_html(path: &Path) {
    let full = read_text(path);
    let mut html = String::new();
    let mut rest = full.as_str();
    while let Some(i) = rest.find("<script").or_else(|| rest.find("<style")) {
        let j = [rest.find("<script"), rest.find("<style")]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(i);
        html.push_str(&rest[..j]);
        let tail = &rest[j..];
        let close = if tail.starts_with("<script") {
            "</script>"
        } else {
            "</style>"
        };
        if tail.starts_with("<script id=\"tipfit-data\"") {
            let body = &tail[tail.find('>').unwrap() + 1..tail.find(close).unwrap()];
            serde_json::from_str::<Value>(&body.replace("<\\/", "</"))
                .unwrap_or_else(|e| panic!("{}: the page's data: {e}", path.display()));
        }
        rest = &tail[tail.find(close).map_or(tail.len(), |k| k + close.len())..];
    }
    html.push_str(rest);
    let mut text = String::new();
    let mut rest = html.as_str();
    while let Some(i) = rest.find("base64,") {
        text.push_str(&rest[..i]);
        rest = &rest[i..];
        rest = &rest[rest.find('"').unwrap_or(rest.len())..];
    }
    text.push_str(rest);
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        assert!(
            !["NaN", "nan", "inf", "Infinity", "null"].contains(&word),
            "{}: shows '{word}'",
            path.display()
        );
    }
}

// ---------------------------------------------------------------- fixtures

impl Fixture {
    /// Write `channels` as a WAV: 32-bit float, or 16-bit PCM with `i16`.
    fn wav(&self, name: &str, channels: &[Vec<f32>], rate: u32, i16: bool) {
        let spec = hound::WavSpec {
            channels: channels.len() as u16,
            sample_rate: rate,
            bits_per_sample: if i16 { 16 } else { 32 },
            sample_format: if i16 {
                hound::SampleFormat::Int
            } else {
                hound::SampleFormat::Float
            },
        };
        let mut w = hound::WavWriter::create(self.path(name), spec).unwrap();
        for i in 0..channels[0].len() {
            for ch in channels {
                if i16 {
                    w.write_sample((ch[i] * 32767.0).round() as i16).unwrap();
                } else {
                    w.write_sample(ch[i]).unwrap();
                }
            }
        }
        w.finalize().unwrap();
    }

    /// `s{rate}.wav`: a 1 s tipfit sweep.
    fn sweep_at(&self, rate: u32) -> String {
        let name = format!("s{rate}.wav");
        let r = rate.to_string();
        self.ok(&[
            "signal",
            "sweep",
            "--rate",
            &r,
            "--duration",
            "1",
            "--out",
            &name,
        ]);
        name
    }

    /// `r{rate}.wav`: the 1 s sweep recorded on the simulated ear; the
    /// measurement's own JSON is checked on the way.
    fn recording_at(&self, rate: u32) -> String {
        let name = format!("r{rate}.wav");
        let r = rate.to_string();
        let out = self.run(&[
            "measure",
            "--rate",
            &r,
            "--duration",
            "1",
            "--json",
            "--save-recording",
            &name,
        ]);
        let v = ok_json(
            &out,
            &format!("measure --rate {rate}"),
            MEASUREMENT_OPTIONAL,
        );
        assert_eq!(v["sample_rate"], rate);
        name
    }

    /// Copy `tests/data/<name>` into the fixture.
    fn copy_data(&self, name: &str) -> std::path::PathBuf {
        fn copy(from: &Path, to: &Path) {
            std::fs::create_dir_all(to).unwrap();
            for e in std::fs::read_dir(from).unwrap() {
                let e = e.unwrap();
                let target = to.join(e.file_name());
                if e.file_type().unwrap().is_dir() {
                    copy(&e.path(), &target);
                } else {
                    std::fs::copy(e.path(), target).unwrap();
                }
            }
        }
        let from = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name);
        let to = self.path(name);
        copy(&from, &to);
        to
    }
}

/// `analyze REC --reference REF --json --export-txt fr.txt`: a clean error
/// naming `rec` (and no export written) or finite JSON and a finite export.
fn analyze_degenerate(fx: &Fixture, rec: &str, reference: &str, extra: &[&str]) -> Option<Value> {
    let _ = std::fs::remove_file(fx.path("fr.txt"));
    let mut args = vec![
        "analyze",
        rec,
        "--reference",
        reference,
        "--json",
        "--export-txt",
        "fr.txt",
    ];
    args.extend_from_slice(extra);
    let what = args.join(" ");
    let out = fx.run(&args);
    let v = error_or_finite(&out, &what, rec);
    match &v {
        Some(_) => {
            finite_table(&what, &read_text(&fx.path("fr.txt")));
        }
        None => assert!(
            !fx.path("fr.txt").exists(),
            "{what}: failed but wrote the export"
        ),
    }
    v
}

// ---------------------------------------------------------------- analyze

#[test]
fn silent_recording_is_a_clear_error() {
    let fx = Fixture::new();
    let s = fx.sweep_at(48_000);
    fx.wav("zeros.wav", &[vec![0.0; 3 * 48_000]], 48_000, false);
    fx.wav("zeros16.wav", &[vec![0.0; 3 * 48_000]], 48_000, true);
    for rec in ["zeros.wav", "zeros16.wav"] {
        let out = fx.run(&["analyze", rec, "--reference", &s, "--json"]);
        assert_one_error(&out, &[rec, "silent"]);
    }
}

#[test]
fn one_sample_recording_is_a_clear_error() {
    let fx = Fixture::new();
    let s = fx.sweep_at(48_000);
    fx.wav("one.wav", &[vec![0.5]], 48_000, false);
    let out = fx.run(&["analyze", "one.wav", "--reference", &s, "--json"]);
    assert_one_error(&out, &["one.wav", "shorter than the stimulus"]);
}

#[test]
fn header_only_recording_is_a_clear_error() {
    let fx = Fixture::new();
    let s = fx.sweep_at(48_000);
    fx.wav("empty.wav", &[vec![]], 48_000, false);
    let header_only = hound::WavReader::open(fx.path("empty.wav")).unwrap();
    assert_eq!(header_only.len(), 0, "a header without samples");
    let out = fx.run(&["analyze", "empty.wav", "--reference", &s, "--json"]);
    assert_one_error(&out, &["empty.wav", "no audio"]);
    // the same file as the reference
    fx.wav("rec.wav", &[vec![0.1; 48_000]], 48_000, false);
    let out = fx.run(&["analyze", "rec.wav", "--reference", "empty.wav"]);
    assert_one_error(&out, &["empty.wav", "no audio"]);
}

#[test]
fn recording_at_another_rate_than_the_reference_is_a_clear_error() {
    let fx = Fixture::new();
    let s = fx.sweep_at(48_000);
    let r = fx.recording_at(8_000);
    let out = fx.run(&["analyze", &r, "--reference", &s, "--json"]);
    assert_one_error(&out, &[&r, "8000 Hz", &s, "48000 Hz"]);
}

/// Sweeps at 8 and 192 kHz: a valid result with finite numbers, in JSON
/// and in the REW export, with and without smoothing.
#[test]
fn sweeps_at_8_and_192_khz_give_finite_results() {
    let fx = Fixture::new();
    for rate in [8_000u32, 192_000] {
        let s = fx.sweep_at(rate);
        let r = fx.recording_at(rate);
        for smoothing in ["none", "1/3"] {
            let v = analyze_degenerate(&fx, &r, &s, &["--smoothing", smoothing])
                .unwrap_or_else(|| panic!("{rate} Hz: a clean recording was refused"));
            assert_eq!(v["sample_rate"], rate);
            let f = v["frequency_response"]["freq_hz"].as_array().unwrap();
            let top = f.last().unwrap().as_f64().unwrap();
            assert!(
                top < rate as f64 / 2.0,
                "{rate} Hz: response up to {top} Hz"
            );
            assert!(f.len() > 50, "{rate} Hz: only {} points", f.len());
            assert_eq!(v["seal"]["verdict"], "good", "{rate} Hz: {}", v["seal"]);
        }
    }
}

/// Quick-check recordings (the multitone) at 8 and 192 kHz.
#[test]
fn multitone_at_8_and_192_khz_gives_finite_results() {
    let fx = Fixture::new();
    for rate in [8_000u32, 192_000] {
        let r = rate.to_string();
        let (m, rec) = (format!("m{rate}.wav"), format!("q{rate}.wav"));
        fx.ok(&[
            "signal",
            "multitone",
            "--rate",
            &r,
            "--duration",
            "1",
            "--out",
            &m,
        ]);
        fx.ok(&["measure", "--quick", "--rate", &r, "--save-recording", &rec]);
        let v = analyze_degenerate(&fx, &rec, &m, &[])
            .unwrap_or_else(|| panic!("{rate} Hz: a clean multitone recording was refused"));
        assert_eq!(v["method"], "multitone");
        assert_eq!(v["sample_rate"], rate);
    }
}

/// Recordings that hold no response, or a strange one: each is refused
/// with a message naming it, or analysed with finite numbers only.
#[test]
fn degenerate_recordings_give_an_error_or_finite_numbers() {
    let fx = Fixture::new();
    let s = fx.sweep_at(48_000);
    let n = 3 * 48_000;
    let mut seed = 12_345u64;
    let mut noise = |amp: f32| {
        (0..n)
            .map(|_| {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                amp * (((seed >> 33) as f32 / (1u64 << 31) as f32) - 0.5)
            })
            .collect::<Vec<f32>>()
    };
    let white = noise(0.2);
    let lsb = noise(2.0 / 32768.0);
    let mut click = vec![0.0; n];
    click[1000] = 0.5;
    let mut lone_lsb = vec![0.0; n];
    lone_lsb[0] = 1.0 / 32768.0;
    let cases: Vec<(&str, Vec<f32>, bool)> = vec![
        ("dc.wav", vec![0.3; n], true),
        ("white.wav", white, false),
        ("lsb.wav", lsb, true),
        ("click.wav", click, false),
        ("lone-lsb.wav", lone_lsb, true),
        ("denormal.wav", vec![1e-30; n], false),
        (
            "square.wav",
            (0..n)
                .map(|i| if (i / 50) % 2 == 0 { 0.4 } else { -0.4 })
                .collect(),
            false,
        ),
    ];
    for (name, samples, i16) in cases {
        fx.wav(name, &[samples], 48_000, i16);
        analyze_degenerate(&fx, name, &s, &[]);
    }
    // the stimulus analysed against itself (no latency, no noise)
    analyze_degenerate(&fx, &s, &s, &[]);
    // a stereo recording: the response on channel 1, silence on channel 2
    let r = fx.recording_at(48_000);
    let mut rd = hound::WavReader::open(fx.path(&r)).unwrap();
    let resp: Vec<f32> = rd.samples::<f32>().map(Result::unwrap).collect();
    fx.wav(
        "stereo.wav",
        &[resp.clone(), vec![0.0; resp.len()]],
        48_000,
        false,
    );
    assert!(analyze_degenerate(&fx, "stereo.wav", &s, &["--channel", "1"]).is_some());
    let out = fx.run(&[
        "analyze",
        "stereo.wav",
        "--reference",
        &s,
        "--channel",
        "2",
        "--json",
    ]);
    assert_one_error(&out, &["stereo.wav", "channel 2", "silent"]);
}

/// A seal band that holds no point of the seal metrics' grid (1/12 octave
/// up to 2 kHz) used to give `"bass_db": null` and "NaN dB"; now a clear
/// error that says what to change.
#[test]
fn seal_band_off_the_seal_grid_is_a_clear_error() {
    let fx = Fixture::new();
    for rate in [8_000u32, 48_000] {
        let s = fx.sweep_at(rate);
        let r = fx.recording_at(rate);
        for band in ["3000-5000", "1010-1040"] {
            for json in [true, false] {
                let mut args = vec!["analyze", &r, "--reference", &s, "--reference-band", band];
                if json {
                    args.push("--json");
                }
                let out = fx.run(&args);
                assert_one_error(&out, &[&r, &format!("reference band {band} Hz"), "2 kHz"]);
            }
        }
        // a band on the grid still works
        let v = analyze_degenerate(&fx, &r, &s, &["--reference-band", "1000-1100"]);
        assert!(
            v.is_some(),
            "{rate} Hz: reference band 1000-1100 Hz refused"
        );
    }
}

/// Reference responses and microphone calibrations with unusable numbers.
#[test]
fn absurd_reference_response_or_mic_cal_is_a_clear_error() {
    let fx = Fixture::new();
    let s = fx.sweep_at(48_000);
    let r = fx.recording_at(48_000);
    let files = [
        (
            "ref-big.txt",
            "50 1e308\n500 -1e308\n",
            "--reference-response",
            "1e308",
        ),
        (
            "ref-big.csv",
            "frequency,raw\n20,1e300\n20000,-1e300\n",
            "--reference-response",
            "1e300",
        ),
        (
            "ref-nan.txt",
            "50 nan\n500 1\n",
            "--reference-response",
            "not a finite number",
        ),
        (
            "ref-inf.csv",
            "frequency,raw\n50,1\n500,inf\n",
            "--reference-response",
            "not a finite number",
        ),
        (
            "ref-one.txt",
            "50 1\n",
            "--reference-response",
            "holds 1 data line;",
        ),
        (
            "cal-big.txt",
            "10 1e308\n20000 -1e308\n",
            "--mic-cal",
            "1e308",
        ),
        (
            "cal-nan.txt",
            "10 0\n1000 NaN\n",
            "--mic-cal",
            "not a finite number",
        ),
    ];
    for (name, text, flag, needle) in files {
        fx.write(name, text);
        let out = fx.run(&["analyze", &r, "--reference", &s, flag, name, "--json"]);
        assert_one_error(&out, &[name, needle]);
    }
    // extreme but sane files work and stay finite
    fx.write("ref-two.txt", "50 0\n500 0\n");
    fx.write("cal-two.txt", "1e-3 0\n1e9 0\n");
    for (flag, name) in [
        ("--reference-response", "ref-two.txt"),
        ("--mic-cal", "cal-two.txt"),
    ] {
        let v = analyze_degenerate(&fx, &r, &s, &[flag, name]);
        assert!(v.is_some(), "{flag} {name} refused");
    }
}

// ---------------------------------------------------------------- measure

#[test]
fn measure_json_is_finite_at_extreme_rates_and_quick() {
    let fx = Fixture::new();
    for (rate, quick) in [
        (8_000u32, false),
        (192_000, false),
        (8_000, true),
        (48_000, true),
        (192_000, true),
    ] {
        let r = rate.to_string();
        let mut args = vec![
            "measure",
            "--rate",
            &r,
            "--json",
            "--export-txt",
            "fr.txt",
            "--force",
        ];
        if quick {
            args.push("--quick");
        } else {
            args.extend(["--duration", "1"]);
        }
        let what = args.join(" ");
        let v = ok_json(&fx.run(&args), &what, MEASUREMENT_OPTIONAL);
        assert_eq!(v["sample_rate"], rate, "{what}");
        assert_eq!(
            v["method"],
            if quick { "multitone" } else { "sweep" },
            "{what}"
        );
        assert!(v["seal"]["bass_db"].is_f64(), "{what}: {}", v["seal"]);
        finite_table(&what, &read_text(&fx.path("fr.txt")));
    }
    // a perfect seal and an earbud: leak corner absent / present, finite
    for preset in [&["--sealed"][..], &["--tip-preset", "earbud"][..]] {
        let mut args = vec!["measure", "--quick", "--json"];
        args.extend_from_slice(preset);
        ok_json(&fx.run(&args), &args.join(" "), MEASUREMENT_OPTIONAL);
    }
}

/// `measure` with a seal band off the seal grid (it printed
/// `"bass_db": null` before the analysis refused it).
#[test]
fn measure_seal_band_off_the_seal_grid_is_a_clear_error() {
    let fx = Fixture::new();
    let out = fx.run(&[
        "measure",
        "--duration",
        "1",
        "--reference-band",
        "3000-5000",
        "--json",
    ]);
    assert_one_error(&out, &["the seal cannot be judged", "3000-5000 Hz"]);
}

// ---------------------------------------------------------------- import

/// Files that cannot be a response: one error naming the file (and line),
/// and nothing written.
#[test]
fn import_refuses_degenerate_files() {
    let fx = Fixture::new();
    let files = [
        ("empty.txt", "", "empty.txt:0:"),
        ("comments.txt", "* only a comment\n", "holds 0 data lines"),
        ("single.txt", "50 1\n", "holds 1 data line;"),
        ("single.csv", "frequency,raw\n50,1\n", "holds 1 data line;"),
        ("same.txt", "50 1\n50 2\n500 1\n", "same.txt:2:"),
        ("same.csv", "frequency,raw\n500,1\n500,1\n", "same.csv:3:"),
        ("falling.txt", "500 1\n50 1\n", "does not rise"),
        ("zero.txt", "0 1\n50 1\n500 1\n", "not positive"),
        (
            "nan.txt",
            "50 nan\n500 1\n",
            "nan.txt:1: level 'nan' is not a finite number",
        ),
        ("nanf.txt", "NaN 1\n500 1\n", "not a finite number"),
        ("inf.txt", "50 1\n500 inf\n", "inf.txt:2:"),
        ("inf.csv", "frequency,raw\n50,-inf\n500,1\n", "inf.csv:2:"),
        (
            "huge.txt",
            "50 1e308\n500 -1e308\n",
            "huge.txt:1: level 1e308 dB",
        ),
        (
            "huge.csv",
            "frequency,raw\n50,1\n500,1e300\n",
            "huge.csv:3:",
        ),
        (
            "big-all.txt",
            "50 1e308\n100 1e308\n500 1e308\n1000 1e308\n",
            "big-all.txt:1:",
        ),
        ("overflow.txt", "50 1e999\n500 1\n", "not a finite number"),
        ("bass-only.txt", "20 1\n100 1\n", "reference band"),
        ("mids-only.txt", "300 1\n1000 1\n", "bass band"),
    ];
    for (name, text, needle) in files {
        fx.write(name, text);
        let out = fx.run(&["import", name, "--into", "sess"]);
        assert_one_error(&out, &[name, needle]);
        assert!(!fx.path("sess").exists(), "{name}: the session was created");
    }
}

/// Minimal and extreme but valid files: the session's comparison and
/// report hold finite numbers only.
#[test]
fn import_compare_report_of_minimal_files_are_finite() {
    let fx = Fixture::new();
    fx.write("two.txt", "50 1\n500 1\n");
    fx.write("wide.txt", "1e-300 0\n50 1\n500 1\n1e300 0\n");
    fx.write("close.txt", "50 1\n50.00000000000001 5\n500 1\n");
    fx.write(
        "loud.csv",
        "frequency,raw\n20,999\n100,-999\n300,999\n1000,-999\n",
    );
    fx.write("flat.txt", "20 -400\n100 -400\n300 -400\n1000 -400\n");
    let files = ["two.txt", "wide.txt", "close.txt", "loud.csv", "flat.txt"];
    let mut args = vec!["import"];
    args.extend(files);
    args.extend(["--into", "sess"]);
    fx.ok(&args);
    // a second and third fit for one tip
    fx.write("fit2.txt", "50 -20\n500 1\n");
    fx.write("fit3.txt", "50 900\n500 -900\n");
    fx.ok(&[
        "import", "fit2.txt", "fit3.txt", "--tip", "two", "--into", "sess",
    ]);
    check_session(&fx, "sess", 5);
}

/// `compare --json`, `compare --csv` and `report` of a session: finite
/// numbers in every JSON, CSV and text file, PNGs that decode.
fn check_session(fx: &Fixture, dir: &str, tips: usize) {
    let out = fx.run(&["compare", dir, "--json", "--csv", "cmp.csv", "--force"]);
    let v = ok_json(&out, &format!("compare {dir}"), COMPARISON_OPTIONAL);
    assert_eq!(v["tips"].as_array().map(Vec::len), Some(tips), "{v}");
    finite_table("cmp.csv", &read_text(&fx.path("cmp.csv")));
    let table = stdout(&fx.ok(&["compare", dir]));
    for word in table.split(|c: char| !c.is_alphanumeric()) {
        assert!(
            !["NaN", "nan", "inf"].contains(&word),
            "compare table shows '{word}':\n{table}"
        );
    }
    let report = fx.path("report");
    let size = (640, 400);
    fx.ok(&[
        "report", dir, "--out", "report", "--force", "--size", "640x400",
    ]);
    finite_json(
        "summary.json",
        &read_text(&report.join("summary.json")),
        COMPARISON_OPTIONAL,
    );
    finite_table("summary.csv", &read_text(&report.join("summary.csv")));
    assert_finite_html(&report.join("report.html"));
    let mut pngs = 0;
    for e in std::fs::read_dir(&report).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "png") {
            assert_png(&p, size);
            pngs += 1;
        }
    }
    assert!(pngs >= 5, "only {pngs} plots");
    let mut exports = 0;
    for e in std::fs::read_dir(report.join("exports")).unwrap() {
        let p = e.unwrap().path();
        finite_table(&p.display().to_string(), &read_text(&p));
        exports += 1;
    }
    assert!(exports > 0, "no exports");
}

/// Stored fits edited by hand to hold huge (finite) numbers: the
/// statistics overflowed to `"sd": null` and the plots panicked with an
/// integer overflow; now every number stays finite and the plots draw.
#[test]
fn compare_and_report_survive_absurd_stored_fits() {
    let fx = Fixture::new();
    let dir = fx.copy_data("session-small");
    for (fit, big) in [(1, 1.7e308f64), (2, -1e300), (3, 1.7e308)] {
        let p = dir.join(format!("fits/foam-m/fit-{fit}.json"));
        let mut v: Value = serde_json::from_str(&read_text(&p)).unwrap();
        let m = &mut v["seal"];
        m["seal"]["bass_db"] = big.into();
        m["seal"]["bass_loss_db"] = (-big).into();
        m["seal"]["leak_fit"]["f0_hz"] = big.abs().into();
        for (i, d) in m["frequency_response"]["db"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .enumerate()
        {
            if i % 3 == 0 {
                *d = big.into();
            }
        }
        for table in ["octave", "third_octave"] {
            for a in v["isolation"][table]["attenuation_db"]
                .as_array_mut()
                .unwrap()
                .iter_mut()
                .step_by(2)
            {
                *a = big.into();
            }
        }
        std::fs::write(&p, serde_json::to_string(&v).unwrap()).unwrap();
    }
    check_session(&fx, "session-small", 2);
}

/// A tip without any fit, next to one with fits.
#[test]
fn compare_and_report_of_a_tip_without_fits_are_finite() {
    let fx = Fixture::new();
    let dir = fx.copy_data("session-small");
    for fit in 1..=3 {
        std::fs::remove_file(dir.join(format!("fits/silicone-s/fit-{fit}.json"))).unwrap();
    }
    check_session(&fx, "session-small", 2);
}
