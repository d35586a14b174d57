//! Through a real audio path: cpal's default devices on a PulseAudio null
//! sink whose monitor is the default source (`scripts/audio-loopback`,
//! started by `scripts/test`). With `TIPFIT_AUDIO_TESTS=1` the audio path
//! must be there (CI sets it); without it these tests say they were
//! skipped. Audio tests run one at a time (one shared sink).

use std::sync::Mutex;
use tipfit::analysis::{AnalysisConfig, Analyzer};
use tipfit::rig::device::{DeviceChoice, DeviceRig};
use tipfit::rig::Rig;
use tipfit::signal::SweepParams;

static AUDIO: Mutex<()> = Mutex::new(());

/// The rig on the default devices, or `None` when audio tests are off.
fn rig() -> Option<DeviceRig> {
    let required = std::env::var("TIPFIT_AUDIO_TESTS").is_ok_and(|v| v == "1");
    let rig = DeviceRig::new(&DeviceChoice::Default, &DeviceChoice::Default);
    match rig.and_then(|r| r.check(48_000).map(|()| r)) {
        Ok(r) => Some(r),
        Err(e) if !required => {
            eprintln!("skipped: no audio path ({e:#}); set up with scripts/audio-loopback");
            None
        }
        Err(e) => panic!("TIPFIT_AUDIO_TESTS=1 but no audio path: {e:#}"),
    }
}

#[test]
fn loopback_sweep_is_flat_with_latency_found_and_no_dropouts() {
    let _one = AUDIO.lock().unwrap_or_else(|e| e.into_inner());
    let Some(mut rig) = rig() else { return };
    let stim = SweepParams {
        duration_s: 2.0,
        ..SweepParams::at_rate(48_000)
    }
    .generate()
    .unwrap();
    let rec = rig
        .play_and_record(&stim)
        .expect("a recording without dropouts");
    if let Ok(path) = std::env::var("TIPFIT_SAVE_LOOPBACK") {
        let path = std::path::Path::new(&path);
        tipfit::formats::wav::write_wav(
            path,
            &rec.channels,
            rec.rate,
            tipfit::formats::wav::SampleFormat::F32,
            None,
        )
        .unwrap();
    }
    let m = Analyzer::new()
        .analyse(
            &rec.channels[0],
            rec.rate,
            &stim,
            None,
            &AnalysisConfig::default(),
        )
        .expect("the loopback recording analyses");
    eprintln!(
        "{}: latency {:.1} ms, SNR {:.1} dB",
        rig.describe(),
        m.latency_s * 1e3,
        m.snr_db
    );
    // The recording starts `lead_s` before the stimulus was sent out.
    let path_s = m.latency_s - rec.lead_s;
    eprintln!("path latency {:.1} ms", path_s * 1e3);
    assert!(
        path_s.abs() < 0.2,
        "latency {} s with a {} s lead",
        m.latency_s,
        rec.lead_s
    );
    let fr = &m.frequency_response;
    let mut worst = (0.0f64, 0.0f64);
    for (f, d) in fr.freq_hz.iter().zip(&fr.db) {
        if (20.0..=20_000.0).contains(f) && d.abs() > worst.1.abs() {
            worst = (*f, *d);
        }
    }
    eprintln!(
        "worst deviation from flat 20 Hz-20 kHz: {:+.3} dB at {:.0} Hz",
        worst.1, worst.0
    );
    assert!(
        worst.1.abs() < 0.5,
        "{:+.3} dB at {:.0} Hz",
        worst.1,
        worst.0
    );
}

/// Two streams at slightly different rates (the input runs at 48048 or
/// 47976 Hz while the output runs at 48000 Hz; PulseAudio resamples each
/// to the sink), like a USB mic and a DAC with their own clocks: the sync
/// markers measure the ratio and the corrected response is flat within
/// 0.5 dB to 10 kHz.
#[test]
fn drift_between_two_streams_is_measured_and_corrected() {
    use tipfit::dsp::sync::{measure_and_correct, with_markers_spec, MarkerSpec};
    let _one = AUDIO.lock().unwrap_or_else(|e| e.into_inner());
    let Some(mut rig) = rig() else { return };
    let stim = SweepParams {
        duration_s: 2.0,
        level_dbfs: -20.0,
        ..SweepParams::at_rate(48_000)
    }
    .generate()
    .unwrap();
    let marked = with_markers_spec(
        &stim,
        &MarkerSpec {
            gap_s: 0.5,
            trail_s: 0.5,
            ..MarkerSpec::default()
        },
    );
    for (in_rate, ppm) in [(48_048u32, 1000.0f64), (47_976, -500.0)] {
        rig.input_rate = Some(in_rate);
        let rec = rig.play_and_record(&marked.stimulus).expect("a recording");
        let c = measure_and_correct(&rec.channels[0], &marked).expect("both markers found");
        eprintln!(
            "input at {in_rate} Hz: measured {:+.2} ppm (nominal {ppm:+.0})",
            c.estimate.ppm
        );
        assert!(
            (c.estimate.ppm - ppm).abs() < 20.0,
            "measured {} ppm for {ppm}",
            c.estimate.ppm
        );
        let cfg = AnalysisConfig::default();
        let m = Analyzer::new()
            .analyse(&c.samples, 48_000, &stim, None, &cfg)
            .expect("the corrected recording analyses");
        let worst = worst_deviation(&m.frequency_response, 20.0, 10_000.0);
        eprintln!(
            "  corrected: worst {:+.3} dB at {:.0} Hz (20 Hz-10 kHz)",
            worst.1, worst.0
        );
        assert!(worst.1.abs() < 0.5, "{worst:?}");
        // Analysed as recorded (no correction), the same recording is not flat.
        let raw = Analyzer::new().analyse(&rec.channels[0], 48_000, &stim, None, &cfg);
        if let Ok(raw) = raw {
            let w = worst_deviation(&raw.frequency_response, 20.0, 10_000.0);
            eprintln!("  uncorrected: worst {:+.3} dB at {:.0} Hz", w.1, w.0);
        }
    }
}

/// The largest deviation from 0 dB between `lo` and `hi` Hz: (Hz, dB).
fn worst_deviation(fr: &tipfit::analysis::FrequencyResponse, lo: f64, hi: f64) -> (f64, f64) {
    fr.freq_hz
        .iter()
        .zip(&fr.db)
        .filter(|(f, _)| (lo..=hi).contains(*f))
        .fold(
            (0.0, 0.0),
            |w: (f64, f64), (f, d)| {
                if d.abs() > w.1.abs() {
                    (*f, *d)
                } else {
                    w
                }
            },
        )
}

// ---- The command line through the audio path -------------------------

mod common;
use common::{tipfit, Fixture};

/// `tipfit` with a private calibration folder, or `None` when audio tests
/// are off.
fn cli(fx: &Fixture) -> Option<assert_cmd::Command> {
    rig()?;
    let mut c = tipfit();
    c.current_dir(fx.dir.path())
        .env("TIPFIT_CONFIG_DIR", fx.path("config"));
    Some(c)
}

fn json_of(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

/// Play a WAV into the loopback with `paplay` while `f` runs (stereo:
/// PulseAudio would halve a mono file on its way to our mono input).
fn while_playing<T>(fx: &Fixture, samples: &[f32], f: impl FnOnce() -> T) -> T {
    let path = fx.path("play.wav");
    tipfit::formats::wav::write_wav(
        &path,
        &[samples.to_vec(), samples.to_vec()],
        48_000,
        tipfit::formats::wav::SampleFormat::F32,
        None,
    )
    .unwrap();
    let mut child = std::process::Command::new("paplay")
        .arg(&path)
        .spawn()
        .expect("paplay (pulseaudio-utils) runs");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let out = f();
    let _ = child.kill();
    let _ = child.wait();
    out
}

fn sine(freq: f64, peak: f64, secs: f64) -> Vec<f32> {
    (0..(secs * 48_000.0) as usize)
        .map(|i| (peak * (2.0 * std::f64::consts::PI * freq * i as f64 / 48_000.0).sin()) as f32)
        .collect()
}

#[test]
fn measure_and_calibrate_through_the_sound_card() {
    let _one = AUDIO.lock().unwrap_or_else(|e| e.into_inner());
    let fx = Fixture::new();
    let Some(mut c) = cli(&fx) else { return };
    // Uncalibrated: a sealed "ear" (the cable) with the latency found.
    let m = json_of(
        &c.args(["measure", "--rig", "device", "--duration", "2", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(m["rig"]["kind"], "device");
    assert_eq!(m["seal"]["verdict"], "good");
    assert_eq!(m["rig"]["dropouts"], 0);
    assert!(
        m["latency_s"].as_f64().unwrap().abs() < 0.2,
        "{}",
        m["latency_s"]
    );
    assert_eq!(m["calibration"]["applied"].as_array().unwrap().len(), 0);
    // The sound card's own response and latency, stored...
    let out = cli(&fx)
        .unwrap()
        .args(["calibrate", "loopback", "--duration", "2"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("latency"));
    let shown = json_of(
        &cli(&fx)
            .unwrap()
            .args(["calibrate", "show", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(shown["calibration"]["loopback"]["rate"], 48_000);
    // ...and subtracted from the next measurement: flat within 0.1 dB.
    let m = json_of(
        &cli(&fx)
            .unwrap()
            .args(["measure", "--rig", "device", "--duration", "2", "--json"])
            .output()
            .unwrap(),
    );
    let applied = m["calibration"]["applied"].to_string();
    assert!(
        applied.contains("sound-card response subtracted"),
        "{applied}"
    );
    let fr: tipfit::analysis::FrequencyResponse =
        serde_json::from_value(m["frequency_response"].clone()).unwrap();
    let worst = worst_deviation(&fr, 20.0, 20_000.0);
    eprintln!(
        "calibrated loopback: worst {:+.3} dB at {:.0} Hz",
        worst.1, worst.0
    );
    assert!(worst.1.abs() < 0.1, "{worst:?}");
    // --no-cal ignores it.
    let m = json_of(
        &cli(&fx)
            .unwrap()
            .args([
                "measure", "--rig", "device", "--quick", "--no-cal", "--json",
            ])
            .output()
            .unwrap(),
    );
    assert_eq!(m["calibration"]["applied"].as_array().unwrap().len(), 0);
}

#[test]
fn spl_calibration_reads_a_calibrator_played_into_the_input() {
    let _one = AUDIO.lock().unwrap_or_else(|e| e.into_inner());
    let fx = Fixture::new();
    let Some(_) = cli(&fx) else { return };
    // A "94 dB calibrator" recorded at -26 dBFS RMS: 0 dBFS RMS = 120 dB SPL.
    let peak = 10f64.powf(-26.0 / 20.0) * 2f64.sqrt();
    let out = while_playing(&fx, &sine(1000.0, peak, 6.0), || {
        cli(&fx)
            .unwrap()
            .args(["calibrate", "spl", "--seconds", "2"])
            .output()
            .unwrap()
    });
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = json_of(
        &cli(&fx)
            .unwrap()
            .args(["calibrate", "show", "--json"])
            .output()
            .unwrap(),
    );
    let offset = shown["calibration"]["spl"]["offset_db"].as_f64().unwrap();
    eprintln!("{stdout}offset {offset:.3} dB");
    assert!((offset - 120.0).abs() < 0.2, "{offset}");
    // A measurement now reads in dB SPL: the level rises by the offset.
    let m = json_of(
        &cli(&fx)
            .unwrap()
            .args(["measure", "--rig", "device", "--quick", "--json"])
            .output()
            .unwrap(),
    );
    let mid = m["frequency_response"]["db"][8].as_f64().unwrap();
    assert!((mid - offset).abs() < 0.3, "{mid} vs {offset}");
    assert!(m["calibration"]["applied"].to_string().contains("dB SPL"));
}

#[test]
fn silence_clipping_and_bad_choices_are_clear_errors() {
    let _one = AUDIO.lock().unwrap_or_else(|e| e.into_inner());
    let fx = Fixture::new();
    let Some(_) = cli(&fx) else { return };
    let err = |args: &[&str]| {
        let out = cli(&fx).unwrap().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    // Nothing plays: the calibrator recording is silent.
    let e = err(&["calibrate", "spl", "--seconds", "1"]);
    assert!(e.contains("no signal on input channel 1"), "{e}");
    // A full-scale square wave: the input clips.
    let square: Vec<f32> = sine(500.0, 1.0, 5.0).iter().map(|v| v.signum()).collect();
    let e = while_playing(&fx, &square, || {
        err(&["calibrate", "spl", "--seconds", "1"])
    });
    assert!(
        e.contains("clipping") && e.contains("turn the input gain down"),
        "{e}"
    );
    let e = err(&["measure", "--rig", "device", "--input", "no-such-card"]);
    assert!(
        e.contains("no input device 'no-such-card'") && e.contains("0: default"),
        "{e}"
    );
    let e = err(&["measure", "--rig", "device", "--host", "nohost"]);
    assert!(
        e.contains("no audio host 'nohost'") && e.contains("ALSA"),
        "{e}"
    );
    let e = err(&["measure", "--rig", "device", "--level", "-3"]);
    assert!(e.contains("above the output ceiling of -6"), "{e}");
    // Above --confirm-above with no terminal to ask on: refused, not played.
    let e = err(&["measure", "--rig", "device", "--level", "-10"]);
    assert!(e.contains("--loud-ok"), "{e}");
    let e = err(&[
        "measure",
        "--rig",
        "device",
        "--output",
        "pulse",
        "--driver-channel",
        "40",
    ]);
    assert!(e.contains("channel 40"), "{e}");
}

#[test]
fn ctrl_c_stops_a_device_measurement_at_once() {
    let _one = AUDIO.lock().unwrap_or_else(|e| e.into_inner());
    let fx = Fixture::new();
    let Some(_) = cli(&fx) else { return };
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("tipfit"))
        .args(["measure", "--rig", "device", "--duration", "20"])
        .env("TIPFIT_CONFIG_DIR", fx.path("config"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2000));
    let sent = std::time::Instant::now();
    // SAFETY: signalling our own child.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let out = child.wait_with_output().unwrap();
    let took = sent.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!(
        "stopped {:.0} ms after SIGINT: {stderr}",
        took.as_secs_f64() * 1e3
    );
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("stopped by Ctrl-C"), "{stderr}");
    assert!(took.as_secs_f64() < 1.0, "{took:?}");
}

#[test]
fn monitor_runs_live_on_the_sound_card() {
    let _one = AUDIO.lock().unwrap_or_else(|e| e.into_inner());
    let fx = Fixture::new();
    let Some(mut c) = cli(&fx) else { return };
    let t0 = std::time::Instant::now();
    let out = c
        .args(["monitor", "--rig", "device", "--duration", "3"])
        .output()
        .unwrap();
    let wall = t0.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let updates: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    eprintln!("{} updates in {wall:.2} s wall clock", updates.len());
    // The first update comes after one period and the settling (0.2 s).
    assert!(updates.len() >= 28, "{} updates", updates.len());
    assert!(wall < 6.0, "{wall} s");
    for u in &updates {
        assert_eq!(u["verdict"], "good", "{u}");
        assert_eq!(u["silent"], false);
    }
}

#[test]
fn a_session_on_the_sound_card_is_measured_compared_and_reported() {
    let _one = AUDIO.lock().unwrap_or_else(|e| e.into_inner());
    let fx = Fixture::new();
    let Some(_) = cli(&fx) else { return };
    std::fs::write(
        fx.path("s.toml"),
        r#"iem = "Loopback cable"
rig = "device"
fits_per_tip = 2
[measurements]
seal = true
quick = true
isolation = false
[signal]
sweep_duration_s = 1.0
[device]
level_dbfs = -20
[[tip]]
name = "Cable A"
[[tip]]
name = "Cable B"
"#,
    )
    .unwrap();
    let out = cli(&fx)
        .unwrap()
        .args(["session", "run", "s.toml", "--out", "sess", "--yes"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fit: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fx.path("sess/fits/cable-b/fit-2.json")).unwrap())
            .unwrap();
    assert_eq!(fit["rig"]["kind"], "device");
    assert_eq!(fit["seal"]["seal"]["verdict"], "good");
    let c = json_of(
        &cli(&fx)
            .unwrap()
            .args(["compare", "sess", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(c["tips"].as_array().unwrap().len(), 2, "{c}");
    let out = cli(&fx)
        .unwrap()
        .args(["report", "sess", "--out", "rep"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(fx.path("rep/summary.png").is_file());
}

/// A session of both ears on two channels of the null sink: the sweep
/// plays on output 1 (left IEM) and output 2 (right IEM) at once and the
/// monitor's inputs 1 and 2 are the two inner mics. Each ear gets its own
/// sealed reference, its own files and its own rig channels; compare
/// gives both ears and their balance (a pure cable on both: 0 dB within
/// 0.1 dB) and the report draws them. Channel 2 of every recording holds
/// the sweep at the played level (-20 dBFS peak within 1 dB): the second
/// driver channel really played (a silent input 2 would be refused).
#[test]
fn a_session_of_both_ears_on_two_sound_card_channels() {
    let _one = AUDIO.lock().unwrap_or_else(|e| e.into_inner());
    let fx = Fixture::new();
    let Some(_) = cli(&fx) else { return };
    let config = r#"iem = "Loopback cable"
rig = "device"
ear = "both"
fits_per_tip = 2
[measurements]
seal = true
quick = false
isolation = false
[signal]
sweep_duration_s = 1.0
[reference]
measure = "sealed"
[device]
level_dbfs = -20
driver_channels = [1, 2]
inner_channels = [1, 2]
[[tip]]
name = "Cable A"
[[tip]]
name = "Cable B"
"#;
    std::fs::write(fx.path("s.toml"), config).unwrap();
    let out = cli(&fx)
        .unwrap()
        .args(["session", "run", "s.toml", "--out", "sess", "--yes"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("reference (right ear): bass"), "{stderr}");
    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fx.path("sess/session.json")).unwrap()).unwrap();
    assert!(info["reference"].is_object() && info["reference_right"].is_object());
    assert!(fx.path("sess/reference-right.wav").is_file());
    for tip in ["cable-a", "cable-b"] {
        for n in 1..=2 {
            for (ear, channel) in [("left", 1), ("right", 2)] {
                let stem = format!("sess/fits/{tip}/fit-{n}-{ear}");
                let fit: serde_json::Value = serde_json::from_slice(
                    &std::fs::read(fx.path(&format!("{stem}.json"))).unwrap(),
                )
                .unwrap();
                assert_eq!(fit["ear"], ear);
                assert_eq!(fit["rig"]["driver_channel"], channel, "{fit}");
                assert_eq!(fit["rig"]["inner_channel"], channel, "{fit}");
                assert_eq!(fit["seal"]["seal"]["verdict"], "good", "{stem}");
                let loss = fit["seal"]["seal"]["bass_loss_db"].as_f64().unwrap();
                assert!(loss.abs() < 0.2, "{stem}: bass loss {loss} dB on a cable");
                let wav = hound::WavReader::open(fx.path(&format!("{stem}.wav"))).unwrap();
                let chans = wav.spec().channels as usize;
                assert!(chans >= 2, "{stem}.wav: {chans} channel(s)");
                let samples: Vec<f32> = wav.into_samples::<f32>().map(Result::unwrap).collect();
                let peak = samples
                    .iter()
                    .skip(1)
                    .step_by(chans)
                    .fold(0f32, |m, v| m.max(v.abs()));
                let peak_db = 20.0 * (peak as f64).log10();
                assert!(
                    (peak_db + 20.0).abs() < 1.0,
                    "{stem}.wav channel 2: {peak_db} dBFS"
                );
            }
        }
    }
    let c = json_of(
        &cli(&fx)
            .unwrap()
            .args(["compare", "sess", "--json"])
            .output()
            .unwrap(),
    );
    let ears = &c["ears"];
    assert_eq!(ears["right"]["tips"].as_array().unwrap().len(), 2, "{c}");
    for b in ears["balance"].as_array().unwrap() {
        assert_eq!(b["n"], 2, "{b}");
        for d in b["band_db"].as_array().unwrap() {
            assert!(d.as_f64().unwrap().abs() < 0.1, "balance {b}");
        }
    }
    assert_eq!(ears["recommended"]["differ"], false, "{c}");
    let out = cli(&fx)
        .unwrap()
        .args(["report", "sess", "--out", "rep"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(fx.path("rep/ears.png").is_file());
    // `measure` with both ears: the left ear's document and the right's
    // under "right", each naming its channels.
    let m = json_of(
        &cli(&fx)
            .unwrap()
            .args(["measure", "--rig", "device", "--duration", "1", "--json"])
            .args(["--driver-channels", "1,2", "--inner-channels", "1,2"])
            .output()
            .unwrap(),
    );
    assert_eq!(
        (&m["ear"], &m["rig"]["inner_channel"]),
        (&"left".into(), &1.into())
    );
    let r = &m["right"];
    assert_eq!(
        (&r["ear"], &r["rig"]["driver_channel"]),
        (&"right".into(), &2.into())
    );
    assert_eq!(r["seal"]["verdict"], "good", "{r}");
    // An inner mic on a channel the input does not have: refused, named.
    let bad = config.replace("inner_channels = [1, 2]", "inner_channels = [1, 9]");
    std::fs::write(fx.path("bad.toml"), bad).unwrap();
    let out = cli(&fx)
        .unwrap()
        .args(["session", "run", "bad.toml", "--out", "bad", "--yes"])
        .output()
        .unwrap();
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{e}");
    assert!(e.contains('9') && e.contains("channel"), "{e}");
    assert!(!e.contains("panicked"), "{e}");
}
