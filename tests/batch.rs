//! `tipfit analyze` with many recordings, through the binary: one line,
//! JSON line and CSV row per recording in input order, a failed recording
//! reported on its line while the others go on (exit code 1), folders and
//! `-` (paths on stdin) as inputs, one recording as it always was, and the
//! errors of the whole command before any analysis.
//!
//! The recordings are three 1 s sweeps on the simulated ear (foam, a
//! silicone tip, an earbud that does not seal), copied under 18 names, plus
//! a WAV cut in the middle of its data and a silent one.

mod common;

use common::{assert_one_error, stderr, stdout, Fixture};
use serde_json::Value;

/// The presets of the three source recordings, in the order they cycle.
const PRESETS: [&str; 3] = ["foam", "silicone-s", "earbud"];

/// The verdict of each source (the sim is seeded: foam seals, this
/// insertion of the small silicone tip leaks, the earbud does not seal).
fn verdict_of(preset: &str) -> &'static str {
    match preset {
        "foam" => "good",
        "silicone-s" => "poor",
        _ => "no-seal",
    }
}
/// The positions (0-based) of the truncated and the silent recording.
const TRUNCATED: usize = 6;
const SILENT: usize = 13;

/// `s.wav` (a 1 s sweep) and `src-<preset>.wav`, one recording per preset.
fn sources() -> Fixture {
    let fx = Fixture::new();
    fx.ok(&["signal", "sweep", "--duration", "1", "--out", "s.wav"]);
    for (seed, preset) in PRESETS.iter().enumerate() {
        let name = format!("src-{preset}.wav");
        fx.ok(&[
            "measure",
            "--tip-preset",
            preset,
            "--seed",
            &seed.to_string(),
            "--duration",
            "1",
            "--save-recording",
            &name,
        ]);
    }
    fx
}

/// Write a mono 32-bit float WAV.
fn write_wav(fx: &Fixture, name: &str, samples: &[f32]) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(fx.path(name), spec).unwrap();
    for s in samples {
        w.write_sample(*s).unwrap();
    }
    w.finalize().unwrap();
}

/// 20 recordings `recs/rec_001.wav`...: sources cycling, the truncated one
/// (its data cut in the middle) and the silent one at their positions. The
/// names, and the preset of each (`None` for the two bad ones).
fn twenty(fx: &Fixture) -> Vec<(String, Option<&'static str>)> {
    std::fs::create_dir(fx.path("recs")).unwrap();
    (0..20)
        .map(|i| {
            let name = format!("recs/rec_{:03}.wav", i + 1);
            let preset = PRESETS[i % 3];
            let bytes = fx.read(&format!("src-{preset}.wav"));
            match i {
                TRUNCATED => {
                    fx.write(&name, &bytes[..bytes.len() / 2]);
                    (name, None)
                }
                SILENT => {
                    write_wav(fx, &name, &vec![0.0; 3 * 48_000]);
                    (name, None)
                }
                _ => {
                    fx.write(&name, &bytes);
                    (name, Some(preset))
                }
            }
        })
        .collect()
}

/// Each line of stdout as a JSON document.
fn json_lines(out: &std::process::Output) -> Vec<Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// The single-file `--json` document of each source, by preset.
fn alone(fx: &Fixture) -> Vec<(&'static str, Value)> {
    PRESETS
        .iter()
        .map(|p| {
            let out = fx.ok(&[
                "analyze",
                &format!("src-{p}.wav"),
                "--reference",
                "s.wav",
                "--json",
            ]);
            (*p, serde_json::from_slice(&out.stdout).unwrap())
        })
        .collect()
}

fn alone_of<'a>(docs: &'a [(&str, Value)], preset: &str) -> &'a Value {
    &docs.iter().find(|(p, _)| *p == preset).unwrap().1
}

/// A CSV table (quoted cells with commas, quotes and line breaks).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    assert!(cell.is_empty() && row.is_empty(), "no line end at the end");
    rows
}

#[test]
fn twenty_recordings_give_twenty_json_lines_in_input_order() {
    let fx = sources();
    let recs = twenty(&fx);
    let docs = alone(&fx);
    // Not in name order: the output follows the input, not the names.
    let mut order: Vec<usize> = (0..20).rev().collect();
    order.swap(0, 7);
    let mut args = vec!["analyze"];
    args.extend(order.iter().map(|&i| recs[i].0.as_str()));
    args.extend(["--reference", "s.wav", "--json"]);
    let out = fx.run(&args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 20, "{}", stdout(&out));
    let names: Vec<&str> = lines
        .iter()
        .map(|l| l["recording"].as_str().unwrap())
        .collect();
    let given: Vec<&str> = order.iter().map(|&i| recs[i].0.as_str()).collect();
    assert_eq!(names, given);
    let mut errors = 0;
    for (line, &i) in lines.iter().zip(&order) {
        let (name, preset) = &recs[i];
        assert_eq!(line["channel"], 1);
        match preset {
            None => {
                errors += 1;
                let e = line["error"].as_str().unwrap();
                assert!(e.contains(name.as_str()), "{e}");
                let why = if i == TRUNCATED {
                    "truncated"
                } else {
                    "silent"
                };
                assert!(e.contains(why), "{e}");
                assert!(line.get("seal").is_none());
            }
            Some(p) => {
                assert!(line.get("error").is_none(), "{line}");
                let solo = alone_of(&docs, p);
                // the same analysis as the file alone, to the last bit
                for key in [
                    "seal",
                    "snr_db",
                    "latency_s",
                    "frequency_response",
                    "warnings",
                ] {
                    assert_eq!(line[key], solo[key], "{name}: {key}");
                }
                assert_eq!(line["reference"], "s.wav");
                let verdict = line["seal"]["verdict"].as_str().unwrap();
                assert_eq!(verdict, verdict_of(p), "{name}");
            }
        }
    }
    assert_eq!(errors, 2);
    // one compact document per line
    assert!(stdout(&out).lines().all(|l| l.starts_with('{')));
    let err = stderr(&out);
    // one line on stderr: no progress bar when stderr is not a terminal
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("2 of 20 recordings could not be analysed")
            && err.contains("recs/rec_007.wav")
            && err.contains("recs/rec_014.wav"),
        "{err}"
    );
}

#[test]
fn twenty_recordings_give_twenty_text_lines_and_csv_rows() {
    let fx = sources();
    let recs = twenty(&fx);
    let docs = alone(&fx);
    let mut args = vec!["analyze"];
    args.extend(recs.iter().map(|(n, _)| n.as_str()));
    args.extend(["--reference", "s.wav", "--csv", "seal.csv"]);
    let out = fx.run(&args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 20, "{text}");
    for (line, (name, preset)) in lines.iter().zip(&recs) {
        assert!(line.starts_with(&format!("{name}  ")), "{line}");
        match preset {
            None => assert!(line.contains("  error: ") && line.contains(name.as_str())),
            Some(p) => {
                let seal = &alone_of(&docs, p)["seal"];
                let verdict = verdict_of(p).to_uppercase();
                let bass = format!("{:+.1}", seal["bass_db"].as_f64().unwrap());
                let words: Vec<&str> = line.split_whitespace().collect();
                assert_eq!(words[1], verdict, "{line}");
                let at = words.iter().position(|w| *w == "bass").unwrap();
                assert_eq!(words[at + 1..at + 3], [bass.as_str(), "dB"], "{line}");
                assert!(line.contains("leak corner ") && line.contains("SNR "));
            }
        }
    }
    // aligned: every answered line has its verdict in the same column
    let col = lines[0].find("GOOD").unwrap();
    assert_eq!(col, "recs/rec_001.wav  ".len());
    assert!(lines
        .iter()
        .all(|l| l.contains("error:") || l.find(" bass ").is_some()));
    assert!(stderr(&out).contains("wrote seal.csv"));

    let rows = parse_csv(&String::from_utf8(fx.read("seal.csv")).unwrap());
    assert_eq!(rows.len(), 21);
    assert_eq!(
        rows[0].join(","),
        "file,verdict,bass_db,bass_loss_db,leak_corner,leak_corner_hz,minus3db_hz,snr_db,warnings,error"
    );
    for (row, (name, preset)) in rows[1..].iter().zip(&recs) {
        assert_eq!(row.len(), 10, "{row:?}");
        assert_eq!(&row[0], name);
        match preset {
            None => {
                assert!(row[1..9].iter().all(String::is_empty), "{row:?}");
                assert!(row[9].contains(name.as_str()), "{row:?}");
            }
            Some(p) => {
                let doc = alone_of(&docs, p);
                let seal = &doc["seal"];
                assert_eq!(row[9], "", "{row:?}");
                assert_eq!(row[1], seal["verdict"].as_str().unwrap());
                let bass: f64 = row[2].parse().unwrap();
                assert!((bass - seal["bass_db"].as_f64().unwrap()).abs() < 0.006);
                assert_eq!(row[3], "", "no reference response: no bass loss");
                let corner = &seal["leak_corner"];
                assert_eq!(row[4], corner["kind"].as_str().unwrap());
                let hz: f64 = row[5].parse().unwrap();
                assert!((hz - corner["hz"].as_f64().unwrap()).abs() < 0.06);
                let snr: f64 = row[7].parse().unwrap();
                assert!((snr - doc["snr_db"].as_f64().unwrap()).abs() < 0.06);
                let warnings: Vec<&str> = doc["warnings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|w| w.as_str().unwrap())
                    .collect();
                assert_eq!(row[8], warnings.join("; "));
            }
        }
    }
    // the earbud does not seal: its corner is above the fitted range
    assert_eq!(rows[3][1], "no-seal");
    assert_eq!(rows[3][4], "above");
    assert_eq!(rows[1][4], "below");
    // the leaky silicone tip has a corner inside the fitted range
    assert_eq!(rows[2][1], "poor");
    assert_eq!(rows[2][4], "value");
    let corner: f64 = rows[2][5].parse().unwrap();
    assert!((50.0..400.0).contains(&corner), "{corner}");

    // an existing CSV is refused without --force, before any analysis
    let out = fx.run(&args);
    assert_one_error(&out, &["seal.csv", "already exists", "--force"]);
    std::fs::write(fx.path("seal.csv"), "old").unwrap();
    args.push("--force");
    let out = fx.run(&args);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out).lines().count(), 20);
    let rows = parse_csv(&String::from_utf8(fx.read("seal.csv")).unwrap());
    assert_eq!(rows.len(), 21);
}

#[test]
fn a_folder_gives_its_wav_files_in_name_order() {
    let fx = sources();
    std::fs::create_dir_all(fx.path("recs/sub")).unwrap();
    // written out of order; a text file and a sub-folder are not recordings
    for (name, preset) in [("c.wav", "earbud"), ("a.wav", "foam"), ("b.WAV", "foam")] {
        fx.write(
            &format!("recs/{name}"),
            fx.read(&format!("src-{preset}.wav")),
        );
    }
    fx.write("recs/notes.txt", "not a recording");
    fx.write("recs/sub/d.wav", fx.read("src-foam.wav"));
    let out = fx.ok(&["analyze", "recs", "--reference", "s.wav", "--json"]);
    let lines = json_lines(&out);
    let names: Vec<String> = lines
        .iter()
        .map(|l| {
            std::path::Path::new(l["recording"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(names, ["a.wav", "b.WAV", "c.wav"]);
    let verdicts: Vec<&str> = lines
        .iter()
        .map(|l| l["seal"]["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["good", "good", "no-seal"]);

    // a folder with no WAV files is refused before any analysis
    let out = fx.run(&[
        "analyze",
        "recs/sub",
        "src-foam.wav",
        "--reference",
        "s.wav",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    std::fs::create_dir(fx.path("empty")).unwrap();
    let out = fx.run(&["analyze", "empty", "src-foam.wav", "--reference", "s.wav"]);
    assert_one_error(&out, &["empty", "no .wav files"]);
}

#[test]
fn a_dash_reads_the_paths_from_stdin() {
    let fx = sources();
    let list = "src-earbud.wav\n\nsrc-foam.wav\r\n  \nsrc-silicone-s.wav\n";
    let out = fx.run_with(&["analyze", "-", "--reference", "s.wav", "--json"], list);
    assert!(out.status.success(), "{}", stderr(&out));
    let names: Vec<String> = json_lines(&out)
        .iter()
        .map(|l| l["recording"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        ["src-earbud.wav", "src-foam.wav", "src-silicone-s.wav"]
    );
    // files and the list together, in the order given
    let out = fx.run_with(
        &["analyze", "src-foam.wav", "-", "--reference", "s.wav"],
        "src-earbud.wav\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("src-foam.wav    GOOD "), "{text}");
    assert!(lines[1].starts_with("src-earbud.wav  NO-SEAL "), "{text}");
    // an empty list is an error of the command
    let out = fx.run_with(&["analyze", "-", "--reference", "s.wav"], "\n \n");
    assert_one_error(&out, &["-: no recordings listed on stdin"]);
}

#[test]
fn one_recording_gives_the_summary_and_document_as_before() {
    let fx = sources();
    let out = fx.ok(&["analyze", "src-foam.wav", "--reference", "s.wav"]);
    let text = stdout(&out);
    assert!(
        text.starts_with("tipfit sweep — src-foam.wav channel 1\n  seal verdict   GOOD\n"),
        "{text}"
    );
    assert!(text.contains("\n  leak corner    < ") && text.contains("\n  SNR  "));
    let out = fx.ok(&["analyze", "src-foam.wav", "--reference", "s.wav", "--json"]);
    // one pretty document, as always
    let text = stdout(&out);
    assert!(text.starts_with("{\n  \""), "{text}");
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["recording"], "src-foam.wav");
    assert_eq!(doc["seal"]["verdict"], "good");
    // a failure is the command's error, as always
    fx.write("cut.wav", &fx.read("src-foam.wav")[..5000]);
    let out = fx.run(&["analyze", "cut.wav", "--reference", "s.wav"]);
    assert_one_error(&out, &["cut.wav", "truncated"]);
    // --csv with one recording: one row
    let out = fx.ok(&[
        "analyze",
        "src-earbud.wav",
        "--reference",
        "s.wav",
        "--csv",
        "one.csv",
    ]);
    assert!(stdout(&out).contains("seal verdict   NO-SEAL"));
    let rows = parse_csv(&String::from_utf8(fx.read("one.csv")).unwrap());
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][..2], ["src-earbud.wav", "no-seal"]);
}

#[test]
fn errors_of_the_whole_command_come_before_any_analysis() {
    let fx = sources();
    let two = ["src-foam.wav", "src-earbud.wav"];
    let run = |more: &[&str]| {
        let mut args = vec!["analyze"];
        args.extend(two);
        args.extend(more);
        fx.run(&args)
    };
    assert_one_error(&run(&["--reference", "missing.wav"]), &["missing.wav"]);
    assert_one_error(
        &run(&["--reference", "s.wav", "--export-txt", "fr.txt"]),
        &["--export-txt", "fr.txt", "one recording"],
    );
    assert_one_error(
        &run(&["--reference", "s.wav", "--channel", "0"]),
        &["--channel 0", "channels count from 1"],
    );
    assert_one_error(
        &run(&["--reference", "s.wav", "--bass-band", "200-400"]),
        &["--bass-band"],
    );
    assert_one_error(
        &run(&["--reference", "s.wav", "--csv", "nowhere/x.csv"]),
        &["nowhere", "does not exist"],
    );
    // a missing recording among others is its own line
    let out = fx.run(&[
        "analyze",
        "src-foam.wav",
        "gone.wav",
        "--reference",
        "s.wav",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[1].starts_with("gone.wav      error: gone.wav"),
        "{text}"
    );
    assert!(lines[1].contains("cannot read"), "{text}");
}
