//! The command line, through the binary: every bad input gives one clear
//! message on stderr that names the file and the problem, exit code 1
//! (clap's usage errors: 2), and never a panic. Plus a few happy paths.
//!
//! Fixtures are made in a fresh temporary folder per test, mostly with the
//! binary itself (1 s sweeps keep it fast), and the binary runs with that
//! folder as its working directory so messages show the names as typed.

mod common;

use common::{assert_one_error, stderr, stdout, tipfit, Fixture};
use std::process::Output;

impl Fixture {
    /// `s.wav`: a 1 s tipfit sweep at 48 kHz.
    fn sweep(&self) -> &Self {
        self.ok(&["signal", "sweep", "--duration", "1", "--out", "s.wav"]);
        self
    }

    /// `r.wav`: a mono recording of the 1 s sweep on the simulated ear.
    fn recording(&self) -> &Self {
        self.ok(&[
            "measure",
            "--tip-preset",
            "foam",
            "--duration",
            "1",
            "--save-recording",
            "r.wav",
        ]);
        self
    }

    /// Write `channels` as a 32-bit float WAV.
    fn write_wav_f32(&self, name: &str, channels: &[Vec<f32>], rate: u32) {
        let spec = hound::WavSpec {
            channels: channels.len() as u16,
            sample_rate: rate,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut w = hound::WavWriter::create(self.path(name), spec).unwrap();
        for i in 0..channels[0].len() {
            for ch in channels {
                w.write_sample(ch[i]).unwrap();
            }
        }
        w.finalize().unwrap();
    }

    /// The first channel of a WAV file as f32.
    fn read_mono_f32(&self, name: &str) -> (Vec<f32>, u32) {
        let mut r = hound::WavReader::open(self.path(name)).unwrap();
        let spec = r.spec();
        assert_eq!(
            (spec.channels, spec.sample_format),
            (1, hound::SampleFormat::Float)
        );
        (
            r.samples::<f32>().map(Result::unwrap).collect(),
            spec.sample_rate,
        )
    }
}

/// A clap usage error: exit code 2, no panic, the `needles` on stderr.
fn assert_usage_error(out: &Output, needles: &[&str]) {
    let err = stderr(out);
    assert!(!err.contains("panicked"), "panic:\n{err}");
    assert_eq!(out.status.code(), Some(2), "exit code; stderr:\n{err}");
    assert!(
        out.stdout.is_empty(),
        "nothing expected on stdout, got:\n{}",
        stdout(out)
    );
    for needle in needles {
        assert!(err.contains(needle), "stderr lacks {needle:?}:\n{err}");
    }
}

// ---------------------------------------------------------------- analyze: bad recordings

#[test]
fn missing_recording_is_named_and_exits_1() {
    let fx = Fixture::new();
    fx.sweep();
    let out = fx.run(&["analyze", "missing.wav", "--reference", "s.wav"]);
    assert_one_error(&out, &["missing.wav", "cannot read", "No such file"]);
}

#[test]

fn unreadable_recording_states_the_cause_once() {
    let fx = Fixture::new();
    fx.sweep();
    let out = fx.run(&["analyze", "missing.wav", "--reference", "s.wav"]);
    assert_one_error(&out, &["missing.wav", "cannot read"]);
    assert_eq!(
        stderr(&out).matches("os error 2").count(),
        1,
        "{}",
        stderr(&out)
    );
}

#[test]
fn missing_reference_is_named_and_exits_1() {
    let fx = Fixture::new();
    fx.sweep().recording();
    let out = fx.run(&["analyze", "r.wav", "--reference", "nosweep.wav"]);
    assert_one_error(&out, &["nosweep.wav", "cannot read"]);
}

#[test]
fn empty_recording_is_named_and_exits_1() {
    let fx = Fixture::new();
    fx.sweep();
    fx.write("empty.wav", b"");
    let out = fx.run(&["analyze", "empty.wav", "--reference", "s.wav"]);
    assert_one_error(&out, &["empty.wav", "empty (0 bytes)"]);
}

#[test]
fn truncated_wav_is_named_and_exits_1() {
    let fx = Fixture::new();
    fx.sweep().recording();
    let bytes = fx.read("r.wav");
    fx.write("cut.wav", &bytes[..bytes.len() - 400]);
    let out = fx.run(&["analyze", "cut.wav", "--reference", "s.wav"]);
    assert_one_error(&out, &["cut.wav", "truncated"]);
}

#[test]
fn text_file_as_recording_is_named_and_exits_1() {
    let fx = Fixture::new();
    fx.sweep();
    fx.write("notes.txt", b"these are my measurement notes, not audio\n");
    let out = fx.run(&["analyze", "notes.txt", "--reference", "s.wav"]);
    assert_one_error(&out, &["notes.txt", "not a readable WAV file"]);
}

#[test]
fn header_only_wav_is_named_and_exits_1() {
    let fx = Fixture::new();
    fx.sweep();
    fx.write_wav_f32("nothing.wav", &[vec![]], 48_000);
    let out = fx.run(&["analyze", "nothing.wav", "--reference", "s.wav"]);
    assert_one_error(&out, &["nothing.wav", "no audio"]);
}

#[test]
fn sample_rate_mismatch_names_both_files_and_rates() {
    let fx = Fixture::new();
    fx.sweep();
    fx.ok(&[
        "signal",
        "sweep",
        "--duration",
        "1",
        "--rate",
        "44100",
        "--out",
        "s44.wav",
    ]);
    let out = fx.run(&["analyze", "s44.wav", "--reference", "s.wav"]);
    assert_one_error(&out, &["s44.wav", "s.wav", "44100 Hz", "48000 Hz"]);
}

#[test]
fn recording_shorter_than_stimulus_is_named_and_exits_1() {
    let fx = Fixture::new();
    fx.sweep();
    fx.ok(&[
        "signal",
        "sweep",
        "--duration",
        "1",
        "--lead",
        "0",
        "--tail",
        "0",
        "--out",
        "short.wav",
    ]);
    let out = fx.run(&["analyze", "short.wav", "--reference", "s.wav"]);
    assert_one_error(&out, &["short.wav", "shorter than the stimulus"]);
}

#[test]
fn silent_recording_is_named_and_exits_1() {
    let fx = Fixture::new();
    fx.sweep();
    fx.write_wav_f32("silence.wav", &[vec![0.0; 3 * 48_000]], 48_000);
    let out = fx.run(&["analyze", "silence.wav", "--reference", "s.wav"]);
    assert_one_error(&out, &["silence.wav", "silent"]);
}

#[test]

fn silent_reference_is_named_and_exits_1() {
    let fx = Fixture::new();
    fx.sweep().recording();
    fx.write_wav_f32("silent-ref.wav", &[vec![0.0; 48_000]], 48_000);
    let out = fx.run(&["analyze", "r.wav", "--reference", "silent-ref.wav"]);
    assert_one_error(&out, &["silent-ref.wav", "silent"]);
}

#[test]
fn clipped_recording_is_named_and_exits_1() {
    let fx = Fixture::new();
    fx.sweep();
    // The simulated measurement itself is refused, but the raw recording is saved.
    let out = fx.run(&[
        "measure",
        "--tip-preset",
        "foam",
        "--duration",
        "1",
        "--gain-db",
        "20",
        "--save-recording",
        "clip.wav",
    ]);
    let err = stderr(&out);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(out.stdout.is_empty(), "{}", stdout(&out));
    assert!(err.contains("clipped"), "{err}");
    assert!(
        fx.path("clip.wav").is_file(),
        "the recording should be saved"
    );

    let out = fx.run(&["analyze", "clip.wav", "--reference", "s.wav"]);
    assert_one_error(&out, &["clip.wav", "clipped", "turn the level down"]);
}

#[test]
fn recording_with_samples_at_full_scale_is_refused_as_clipped() {
    let fx = Fixture::new();
    fx.sweep().recording();
    let (samples, rate) = fx.read_mono_f32("r.wav");
    let hot: Vec<f32> = samples
        .iter()
        .map(|v| (v * 100.0).clamp(-1.0, 1.0))
        .collect();
    fx.write_wav_f32("hot.wav", &[hot], rate);
    let out = fx.run(&["analyze", "hot.wav", "--reference", "s.wav"]);
    assert_one_error(&out, &["hot.wav", "clipped"]);
}

#[test]
fn channel_beyond_mono_file_is_named_and_exits_1() {
    let fx = Fixture::new();
    fx.sweep().recording();
    let out = fx.run(&["analyze", "r.wav", "--reference", "s.wav", "--channel", "3"]);
    assert_one_error(
        &out,
        &["r.wav", "1 channel(s)", "--channel 3 does not exist"],
    );
}

#[test]
fn channel_beyond_stereo_file_is_named_and_exits_1() {
    let fx = Fixture::new();
    fx.sweep().recording();
    let (samples, rate) = fx.read_mono_f32("r.wav");
    fx.write_wav_f32("stereo.wav", &[vec![0.0; samples.len()], samples], rate);
    let out = fx.run(&[
        "analyze",
        "stereo.wav",
        "--reference",
        "s.wav",
        "--channel",
        "3",
    ]);
    assert_one_error(
        &out,
        &[
            "stereo.wav",
            "2 channel(s)",
            "--channel 3 does not exist",
            "1 to 2",
        ],
    );
    // The right channel of the same file is fine.
    let out = fx.ok(&[
        "analyze",
        "stereo.wav",
        "--reference",
        "s.wav",
        "--channel",
        "2",
    ]);
    assert!(
        stdout(&out).contains("stereo.wav channel 2"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn channel_zero_is_named_and_exits_1() {
    let fx = Fixture::new();
    fx.sweep().recording();
    let out = fx.run(&["analyze", "r.wav", "--reference", "s.wav", "--channel", "0"]);
    assert_one_error(&out, &["r.wav", "--channel 0 does not exist"]);
}

#[test]
fn json_with_failing_analysis_prints_nothing_on_stdout() {
    let fx = Fixture::new();
    fx.sweep();
    fx.write_wav_f32("silence.wav", &[vec![0.0; 3 * 48_000]], 48_000);
    let out = fx.run(&[
        "analyze",
        "silence.wav",
        "--reference",
        "s.wav",
        "--json",
        "--export-txt",
        "fr.txt",
    ]);
    assert_one_error(&out, &["silence.wav", "silent"]);
    assert!(
        !fx.path("fr.txt").exists(),
        "no export from a failed analysis"
    );

    let out = fx.run(&["measure", "--duration", "1", "--gain-db", "20", "--json"]);
    assert_one_error(&out, &["clipped"]);
}

// ---------------------------------------------------------------- --reference-response

#[test]
fn missing_reference_response_is_named_and_exits_1() {
    let fx = Fixture::new();
    fx.sweep().recording();
    let out = fx.run(&[
        "analyze",
        "r.wav",
        "--reference",
        "s.wav",
        "--reference-response",
        "sealed.json",
    ]);
    assert_one_error(&out, &["sealed.json", "cannot read the reference response"]);
}

#[test]
fn invalid_json_reference_response_is_named_and_exits_1() {
    let fx = Fixture::new();
    fx.sweep().recording();
    fx.write(
        "sealed.json",
        b"{\"frequency_response\": {\"freq_hz\": [20, 30,",
    );
    let out = fx.run(&[
        "analyze",
        "r.wav",
        "--reference",
        "s.wav",
        "--reference-response",
        "sealed.json",
    ]);
    assert_one_error(&out, &["sealed.json", "not valid JSON"]);
}

#[test]
fn rew_reference_response_with_bad_line_names_file_and_line() {
    let fx = Fixture::new();
    fx.sweep().recording();
    fx.write(
        "sealed.txt",
        b"* Measurement data measured by REW\n20\t90.5\t0\n30\tabc\t0\n40\t91\t0\n",
    );
    let out = fx.run(&[
        "analyze",
        "r.wav",
        "--reference",
        "s.wav",
        "--reference-response",
        "sealed.txt",
    ]);
    assert_one_error(&out, &["sealed.txt:3", "level 'abc'"]);

    let out = fx.run(&[
        "measure",
        "--duration",
        "1",
        "--reference-response",
        "sealed.txt",
    ]);
    assert_one_error(&out, &["sealed.txt:3", "level 'abc'"]);
}

// ---------------------------------------------------------------- output protection

#[test]
fn existing_export_txt_is_kept_without_force_and_replaced_with_it() {
    let fx = Fixture::new();
    fx.sweep().recording();
    let original = b"my precious measurement\n".to_vec();
    fx.write("fr.txt", &original);
    let out = fx.run(&[
        "analyze",
        "r.wav",
        "--reference",
        "s.wav",
        "--export-txt",
        "fr.txt",
    ]);
    assert_one_error(&out, &["fr.txt", "already exists", "--force"]);
    assert_eq!(fx.read("fr.txt"), original);

    fx.ok(&[
        "analyze",
        "r.wav",
        "--reference",
        "s.wav",
        "--export-txt",
        "fr.txt",
        "--force",
    ]);
    let text = String::from_utf8(fx.read("fr.txt")).unwrap();
    assert!(text.starts_with("* "), "{text}");
}

#[test]
fn failed_analysis_with_force_leaves_existing_export_untouched() {
    let fx = Fixture::new();
    fx.sweep();
    fx.write_wav_f32("silence.wav", &[vec![0.0; 3 * 48_000]], 48_000);
    let original = b"my precious measurement\n".to_vec();
    fx.write("fr.txt", &original);
    let out = fx.run(&[
        "analyze",
        "silence.wav",
        "--reference",
        "s.wav",
        "--export-txt",
        "fr.txt",
        "--force",
    ]);
    assert_one_error(&out, &["silence.wav", "silent"]);
    assert_eq!(fx.read("fr.txt"), original);
}

#[test]
fn existing_saved_recording_is_kept_without_force_and_replaced_with_it() {
    let fx = Fixture::new();
    let original = b"RIFF-ish bytes of an earlier recording".to_vec();
    fx.write("r.wav", &original);
    let out = fx.run(&["measure", "--duration", "1", "--save-recording", "r.wav"]);
    assert_one_error(&out, &["r.wav", "already exists", "--force"]);
    assert_eq!(fx.read("r.wav"), original);

    fx.ok(&[
        "measure",
        "--duration",
        "1",
        "--save-recording",
        "r.wav",
        "--force",
    ]);
    assert!(fx.read("r.wav").starts_with(b"RIFF"));
    assert_ne!(fx.read("r.wav"), original);
}

#[test]
fn existing_signal_out_is_kept_without_force_and_replaced_with_it() {
    let fx = Fixture::new();
    let original = b"not yet a sweep".to_vec();
    fx.write("s.wav", &original);
    let out = fx.run(&["signal", "sweep", "--duration", "1", "--out", "s.wav"]);
    assert_one_error(&out, &["s.wav", "already exists", "--force"]);
    assert_eq!(fx.read("s.wav"), original);

    fx.ok(&[
        "signal",
        "sweep",
        "--duration",
        "1",
        "--out",
        "s.wav",
        "--force",
    ]);
    assert!(fx.read("s.wav").starts_with(b"RIFF"));
}

#[test]
fn export_into_missing_folder_fails_before_reading_anything() {
    let fx = Fixture::new();
    fx.sweep();
    // The recording does not exist either: the output is checked first.
    let out = fx.run(&[
        "analyze",
        "missing.wav",
        "--reference",
        "s.wav",
        "--export-txt",
        "nodir/fr.txt",
    ]);
    assert_one_error(&out, &["nodir/fr.txt", "folder nodir does not exist"]);
    assert!(!fx.path("nodir").exists());
}

#[test]
fn measure_outputs_into_missing_folder_fail_before_measuring() {
    let fx = Fixture::new();
    let out = fx.run(&[
        "measure",
        "--duration",
        "1",
        "--save-recording",
        "nodir/r.wav",
    ]);
    assert_one_error(&out, &["nodir/r.wav", "folder nodir does not exist"]);

    // The recording would be saved before the analysis: it must not be.
    let out = fx.run(&[
        "measure",
        "--duration",
        "1",
        "--save-recording",
        "r.wav",
        "--export-txt",
        "nodir/fr.txt",
    ]);
    assert_one_error(&out, &["nodir/fr.txt", "folder nodir does not exist"]);
    assert!(!fx.path("r.wav").exists(), "nothing should be written");
    assert!(!fx.path("nodir").exists());
}

#[test]
fn signal_out_into_missing_folder_fails() {
    let fx = Fixture::new();
    let out = fx.run(&["signal", "sweep", "--duration", "1", "--out", "nodir/s.wav"]);
    assert_one_error(&out, &["nodir/s.wav", "folder nodir does not exist"]);
    assert!(!fx.path("nodir").exists());
}

// ---------------------------------------------------------------- parameters

#[test]
fn sweep_end_above_nyquist_names_the_parameter() {
    let fx = Fixture::new();
    let out = fx.run(&["signal", "sweep", "--end", "30000", "--out", "s.wav"]);
    assert_one_error(&out, &["end", "30000", "out of range"]);
    assert!(!fx.path("s.wav").exists());
}

#[test]
fn unknown_tip_preset_is_a_usage_error() {
    let out = tipfit()
        .args(["measure", "--tip-preset", "cotton-wool"])
        .output()
        .unwrap();
    assert_usage_error(&out, &["cotton-wool", "--tip-preset", "silicone-s"]);
}

#[test]
fn analyze_without_reference_is_a_usage_error() {
    let out = tipfit().args(["analyze", "r.wav"]).output().unwrap();
    assert_usage_error(&out, &["--reference"]);
}

// ---------------------------------------------------------------- happy paths

fn json_documents(bytes: &[u8]) -> Vec<serde_json::Value> {
    serde_json::Deserializer::from_slice(bytes)
        .into_iter::<serde_json::Value>()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}",
                String::from_utf8_lossy(bytes)
            )
        })
}

fn number_array<'a>(doc: &'a serde_json::Value, pointer: &str) -> &'a Vec<serde_json::Value> {
    let a = doc
        .pointer(pointer)
        .and_then(|v| v.as_array())
        .unwrap_or_else(|| panic!("{pointer} is not an array"));
    assert!(
        a.iter().all(|v| v.is_f64() || v.is_i64() || v.is_u64()),
        "{pointer}: not all numbers"
    );
    a
}

#[test]
fn measure_json_is_one_document_with_the_documented_keys() {
    let out = tipfit()
        .args(["measure", "--tip-preset", "silicone-s", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"));
    let docs = json_documents(&out.stdout);
    assert_eq!(docs.len(), 1, "expected exactly one JSON document");
    let doc = &docs[0];

    assert_eq!(doc["sample_rate"], 48_000);
    assert!(doc["latency_s"].is_f64(), "latency_s");
    assert!(doc["snr_db"].is_f64(), "snr_db");
    assert!(doc["warnings"].is_array(), "warnings");

    let freq = number_array(doc, "/frequency_response/freq_hz");
    let db = number_array(doc, "/frequency_response/db");
    let phase = number_array(doc, "/frequency_response/phase_deg");
    assert!(!freq.is_empty());
    assert_eq!((db.len(), phase.len()), (freq.len(), freq.len()));

    let seal = doc["seal"].as_object().expect("seal");
    for key in ["bass_db", "bass_loss_db", "leak_corner_hz", "verdict"] {
        assert!(seal.contains_key(key), "seal.{key} missing");
    }
    assert_eq!(doc["seal"]["verdict"], "poor");

    let thd_f = number_array(doc, "/thd_percent/freq_hz");
    let thd_v = number_array(doc, "/thd_percent/value");
    assert_eq!(thd_f.len(), thd_v.len());
}

#[test]
fn quick_check_of_an_earbud_finds_no_seal() {
    let out = tipfit()
        .args(["measure", "--tip-preset", "earbud", "--quick", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let docs = json_documents(&out.stdout);
    assert_eq!(docs.len(), 1, "expected exactly one JSON document");
    assert_eq!(docs[0]["seal"]["verdict"], "no-seal");
}

#[test]
fn analyze_exports_rew_text_with_three_numbers_per_line() {
    let fx = Fixture::new();
    fx.sweep().recording();
    let out = fx.ok(&[
        "analyze",
        "r.wav",
        "--reference",
        "s.wav",
        "--export-txt",
        "fr.txt",
    ]);
    assert!(stdout(&out).contains("seal verdict"), "{}", stdout(&out));
    let text = String::from_utf8(fx.read("fr.txt")).unwrap();
    let mut freqs = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('*') && !l.trim().is_empty())
    {
        let cols: Vec<f64> = line
            .split('\t')
            .map(|c| {
                c.parse()
                    .unwrap_or_else(|_| panic!("not a number in {line:?}"))
            })
            .collect();
        assert_eq!(cols.len(), 3, "{line:?}");
        assert!(cols.iter().all(|v| v.is_finite()), "{line:?}");
        freqs.push(cols[0]);
    }
    assert!(freqs.len() > 100, "only {} data lines", freqs.len());
    assert!(
        freqs.windows(2).all(|w| w[1] > w[0]),
        "frequencies must rise"
    );
}

#[test]
fn exported_rew_text_is_accepted_as_reference_response() {
    let fx = Fixture::new();
    fx.sweep().recording();
    fx.ok(&[
        "analyze",
        "r.wav",
        "--reference",
        "s.wav",
        "--export-txt",
        "fr.txt",
    ]);
    let out = fx.ok(&[
        "analyze",
        "r.wav",
        "--reference",
        "s.wav",
        "--reference-response",
        "fr.txt",
        "--json",
    ]);
    let docs = json_documents(&out.stdout);
    assert_eq!(docs.len(), 1);
    assert!(
        docs[0]["seal"]["bass_loss_db"].is_f64(),
        "{}",
        docs[0]["seal"]
    );
}

#[test]
fn help_of_tipfit_and_its_commands_has_examples() {
    let commands: [&[&str]; 6] = [
        &[],
        &["signal", "sweep"],
        &["signal", "noise"],
        &["signal", "multitone"],
        &["measure"],
        &["analyze"],
    ];
    for command in commands {
        let out = tipfit().args(command).arg("--help").output().unwrap();
        let text = stdout(&out);
        assert!(
            out.status.success(),
            "tipfit {} --help: {:?}",
            command.join(" "),
            out.status.code()
        );
        assert!(
            text.contains("Examples"),
            "tipfit {} --help has no Examples:\n{text}",
            command.join(" ")
        );
    }
}

#[test]

fn help_of_signal_group_has_examples() {
    let out = tipfit().args(["signal", "--help"]).output().unwrap();
    assert!(out.status.success());
    assert!(stdout(&out).contains("Examples"), "{}", stdout(&out));
}

// ---------------------------------------------------------------- seal bands

#[test]
fn custom_seal_bands_are_used_and_echoed_in_json() {
    let fx = Fixture::new();
    let out = fx.ok(&[
        "measure",
        "--tip-preset",
        "silicone-s",
        "--bass-band",
        "20-200",
        "--reference-band",
        "500-2000",
        "--json",
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["seal"]["bass_band_hz"],
        serde_json::json!([20.0, 200.0])
    );
    assert_eq!(
        doc["seal"]["reference_band_hz"],
        serde_json::json!([500.0, 2000.0])
    );
    let default = fx.ok(&["measure", "--tip-preset", "silicone-s", "--json"]);
    let default: serde_json::Value = serde_json::from_slice(&default.stdout).unwrap();
    assert_ne!(doc["seal"]["bass_db"], default["seal"]["bass_db"]);
}

#[test]
fn band_without_multitone_tone_is_an_error_naming_the_tones() {
    let fx = Fixture::new();
    let out = fx.run(&["measure", "--quick", "--bass-band", "22-28"]);
    assert_one_error(&out, &["bass band 22-28 Hz", "20, 30, 45"]);
}

#[test]
fn bad_bands_are_refused() {
    let fx = Fixture::new();
    let out = fx.run(&["measure", "--bass-band", "100-20"]);
    assert_eq!(out.status.code(), Some(2));
    let out = fx.run(&["measure", "--bass-band", "20-400"]);
    assert_one_error(&out, &["--bass-band 20-400", "below --reference-band"]);
}

/// No sound card and no sound server (PulseAudio pointed at nothing): a
/// device command says so in one line, exits 1 and plays nothing. On a
/// machine whose ALSA default is real hardware the command may succeed
/// instead; then there is nothing to check.
#[test]
fn no_sound_device_is_a_clear_error() {
    for args in [
        &["measure", "--rig", "device", "--quick"][..],
        &["monitor", "--rig", "device", "--duration", "0.5"][..],
        &["calibrate", "spl", "--seconds", "1"][..],
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = tipfit()
            .args(args)
            .env("PULSE_SERVER", "unix:/nonexistent/pulse.sock")
            .env("TIPFIT_CONFIG_DIR", dir.path())
            .output()
            .unwrap();
        if out.status.success() {
            continue;
        }
        let e = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {e}");
        assert!(
            e.contains("is not available: no sound card") || e.contains("no default"),
            "{args:?}: {e}"
        );
        assert!(!e.contains("ALSA lib"), "ALSA's own noise leaked: {e}");
        assert!(!e.contains("panicked"), "{e}");
    }
}
