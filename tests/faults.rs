//! Fault injection through the simulated rig (`tipfit measure --fault`):
//! the sim streams like a sound card (two input channels, a lead and a
//! tail, retries, sync markers), and each fault must end in its exact
//! outcome: a warning with the right text, a retried measurement, or a
//! clear error, and never a confident wrong verdict. The table is in
//! docs/failure-modes.md.
//!
//! Truth: without a fault, seed 1 gives silicone-s POOR (leak corner
//! 125 Hz), foam GOOD and earbud NO-SEAL; a fault that is survived must
//! give the same verdict, within 1 dB of the fault-free bass level.

mod common;
use common::{assert_one_error, stderr, stdout, Fixture};
use serde_json::Value;

/// `tipfit measure --json` of `tip` (1 s sweep, seed 1) with `extra`.
fn measure(f: &Fixture, tip: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["measure", "--tip-preset", tip, "--json"];
    if !extra.contains(&"--duration") {
        args.extend(["--duration", "1"]);
    }
    args.extend_from_slice(extra);
    f.run(&args)
}

fn json(out: &std::process::Output) -> Value {
    assert!(out.status.success(), "failed: {}", stderr(out));
    serde_json::from_str(&stdout(out)).expect("JSON on stdout")
}

fn verdict(v: &Value) -> (&str, f64) {
    (
        v["seal"]["verdict"].as_str().unwrap(),
        v["seal"]["bass_db"].as_f64().unwrap(),
    )
}

fn warnings(v: &Value) -> Vec<String> {
    v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect()
}

/// The fault-free verdict and bass level of `tip`.
fn truth(f: &Fixture, tip: &str) -> (String, f64) {
    let v = json(&measure(f, tip, &[]));
    let (verdict, bass) = verdict(&v);
    (verdict.to_string(), bass)
}

/// A fault that is survived: the same verdict as without it, bass within
/// 1 dB, the verdict not uncertain; returns the JSON and stderr.
fn survives(tip: &str, fault: &str) -> (Value, String) {
    let f = Fixture::new();
    let (want, bass) = truth(&f, tip);
    let out = measure(&f, tip, &["--fault", fault]);
    let v = json(&out);
    let (got, got_bass) = verdict(&v);
    assert_eq!(got, want, "{tip} with {fault}");
    assert!(
        (got_bass - bass).abs() < 1.0,
        "{tip} with {fault}: bass {got_bass} vs {bass}"
    );
    assert_eq!(v["seal"]["uncertain"], false, "{tip} with {fault}");
    assert_eq!(v["rig"]["faults"][0], fault);
    (v, stderr(&out))
}

#[test]
fn a_reported_dropout_is_measured_again() {
    for tip in ["silicone-s", "foam"] {
        let (v, err) = survives(tip, "dropout=2");
        assert_eq!(v["rig"]["attempts"], 3, "two lost attempts, the third kept");
        let retries: Vec<&str> = err
            .lines()
            .filter(|l| {
                l.contains("dropouts (1 input overrun(s), 0 stream error(s)); measuring again")
            })
            .collect();
        assert_eq!(retries.len(), 2, "{err}");
    }
}

#[test]
fn dropouts_on_every_attempt_refuse_the_measurement() {
    let f = Fixture::new();
    let out = measure(&f, "silicone-s", &["--fault", "dropout=3"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(out.stdout.is_empty());
    assert_eq!(err.matches("measuring again").count(), 3, "{err}");
    assert!(
        err.contains("error: sim: silicone-s, seed 1 (faults: dropout=3): every attempt had dropouts (1 input overrun(s), 0 stream error(s)); the measurement is refused"),
        "{err}"
    );
}

#[test]
fn an_unreported_gap_of_zeros_is_found_and_measured_again() {
    let (v, err) = survives("earbud", "gap=1");
    assert_eq!(v["rig"]["attempts"], 2);
    assert!(
        err.contains("dropouts (2048 samples of digital silence cut into input channel 1 at "),
        "{err}"
    );
    let f = Fixture::new();
    let err = stderr(&measure(&f, "earbud", &["--fault", "gap=3"]));
    assert!(
        err.contains("every attempt had dropouts (2048 samples of digital silence"),
        "{err}"
    );
}

#[test]
fn a_lost_device_is_a_clear_error_and_nothing_is_written() {
    let f = Fixture::new();
    let out = measure(
        &f,
        "foam",
        &["--fault", "lost=0.3", "--save-recording", "rec.wav"],
    );
    assert_one_error(
        &out,
        &["a device disappeared during the measurement (unplugged?); nothing was saved from this measurement"],
    );
    assert!(!f.path("rec.wav").exists());
}

#[test]
fn dc_offset_is_removed_with_a_warning() {
    let (v, _) = survives("silicone-s", "dc=0.05");
    let w = warnings(&v);
    assert!(
        w.iter().any(|w| w
            == "DC offset of -26.0 dBFS removed: check the microphone's power supply or coupling"),
        "{w:?}"
    );
}

#[test]
fn mains_hum_is_named_and_strong_hum_makes_the_verdict_uncertain() {
    // moderate hum (-60 dBFS): named, the verdict stands
    let (v, _) = survives("silicone-s", "hum60=-60");
    let w = warnings(&v);
    let hum = w
        .iter()
        .find(|w| w.starts_with("mains hum at 60 Hz (") && w.contains("look for a ground loop"))
        .unwrap_or_else(|| panic!("{w:?}"));
    let level: f64 = hum["mains hum at 60 Hz (".len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((level + 60.0).abs() < 1.0, "{hum}");
    // strong hum (-20 dBFS) on every tip: named, and the verdict is
    // flagged uncertain (the bass band is buried) or still right
    let f = Fixture::new();
    for tip in ["silicone-s", "foam", "earbud"] {
        let (want, _) = truth(&f, tip);
        let v = json(&measure(&f, tip, &["--fault", "hum=-20"]));
        let w = warnings(&v);
        assert!(
            w.iter()
                .any(|w| w.starts_with("mains hum at 50 Hz (-20.0 dBFS")),
            "{tip}: {w:?}"
        );
        let (got, _) = verdict(&v);
        assert!(
            got == want || v["seal"]["uncertain"] == true,
            "{tip}: a confident {got} instead of {want}"
        );
        if v["seal"]["uncertain"] == true {
            assert!(
                w.iter()
                    .any(|w| w.starts_with("SNR in the bass band is only")),
                "{w:?}"
            );
        }
    }
    // the human summary says so
    let out = f.run(&[
        "measure",
        "--tip-preset",
        "silicone-s",
        "--duration",
        "1",
        "--fault",
        "hum=-20",
    ]);
    assert!(
        stdout(&out).contains(" (uncertain: the bass is near the noise floor, see the warnings)"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn clipping_is_refused() {
    let f = Fixture::new();
    assert_one_error(
        &measure(&f, "foam", &["--fault", "clip"]),
        &[
            "input channel 1 of 'sim input' is clipping (",
            "samples at full scale): turn the input gain down or lower --level",
        ],
    );
}

#[test]
fn silence_is_refused() {
    let f = Fixture::new();
    assert_one_error(
        &measure(&f, "foam", &["--fault", "silence"]),
        &["no signal on input channel 1 of 'sim input' (silence, peak -200 dBFS): is the mic unmuted and connected, is --inner-channel right, does the output reach the IEM?"],
    );
}

#[test]
fn the_wrong_channel_is_refused_and_the_right_one_works() {
    let f = Fixture::new();
    for quick in [false, true] {
        let mut extra = vec!["--fault", "wrong-channel"];
        if quick {
            extra.push("--quick");
        }
        assert_one_error(
            &measure(&f, "foam", &extra),
            &["no response found: the ", "the wrong input channel"],
        );
    }
    let v = json(&measure(
        &f,
        "foam",
        &["--fault", "wrong-channel", "--inner-channel", "2"],
    ));
    assert_eq!(verdict(&v).0, truth(&f, "foam").0);
    let out = measure(&f, "foam", &["--inner-channel", "3", "--fault", "dc=0"]);
    assert_one_error(
        &out,
        &["--inner-channel 3: the input 'sim input' recorded 2 channel(s)"],
    );
}

#[test]
fn drift_is_measured_and_corrected_with_sync_markers() {
    // --sync auto plays markers when the clocks are separate
    let (v, _) = survives("silicone-s", "drift=800");
    let ppm = v["rig"]["sync"]["clock_ppm"].as_f64().unwrap();
    assert!((ppm - 800.0).abs() < 1.0, "{ppm}");
}

#[test]
fn extreme_drift_is_refused_with_or_without_markers() {
    let f = Fixture::new();
    // markers: an implausible clock ratio
    assert_one_error(
        &measure(&f, "silicone-s", &["--fault", "drift=20000"]),
        &["implausible clock ratio: the recorder's clock differs from the player's by +20000 ppm, as if it recorded at 48960 Hz instead of 48000 Hz"],
    );
    // no markers: the smeared impulse gives it away, for every tip and
    // either sign (a 5 s sweep, where 3000 ppm spreads the arrivals by
    // 5 ms and, unrefused, turned silicone-s GOOD and foam POOR); a small
    // drift is tolerated
    for tip in ["silicone-s", "foam", "earbud"] {
        for ppm in ["drift=3000", "drift=-3000", "drift=50000"] {
            let out = measure(
                &f,
                tip,
                &["--fault", ppm, "--sync", "off", "--duration", "5"],
            );
            assert_one_error(
                &out,
                &[
                    "the response is smeared in time: 4-8 kHz arrives",
                    "--sync on",
                ],
            );
        }
        let (want, bass) = truth(&f, tip);
        let v = json(&measure(
            &f,
            tip,
            &["--fault", "drift=300", "--sync", "off"],
        ));
        assert_eq!(verdict(&v).0, want, "{tip}");
        assert!((verdict(&v).1 - bass).abs() < 1.0);
    }
}

#[test]
fn a_late_stimulus_is_found_or_refused_when_its_end_is_missing() {
    // 0.3 s late: inside the 0.5 s tail, measured, the latency says so
    let (v, _) = survives("silicone-s", "late=0.3");
    let latency = v["latency_s"].as_f64().unwrap();
    assert!((latency - 0.31).abs() < 1e-3, "{latency}");
    // 1.5 s late: the sweep's last 0.6 s are lost
    let f = Fixture::new();
    assert_one_error(
        &measure(&f, "silicone-s", &["--fault", "late=1.5"]),
        &[
            "the stimulus arrived 1.560 s after the recording started and its last",
            "were not recorded (nothing above",
            "record longer after the stimulus ends",
        ],
    );
    // the quick check, 1.5 s late: no tones in the recording
    assert_one_error(
        &measure(&f, "silicone-s", &["--fault", "late=1.5", "--quick"]),
        &["no response found", "arrived too late"],
    );
}

#[test]
fn several_faults_at_once_and_bad_fault_names() {
    let (v, err) = {
        let f = Fixture::new();
        let (want, _) = truth(&f, "foam");
        let out = measure(
            &f,
            "foam",
            &[
                "--fault",
                "dropout",
                "--fault",
                "dc=0.02",
                "--fault",
                "drift=200",
            ],
        );
        let v = json(&out);
        assert_eq!(verdict(&v).0, want);
        (v, stderr(&out))
    };
    assert_eq!(v["rig"]["attempts"], 2);
    assert!(err.contains("measuring again"));
    assert!(warnings(&v).iter().any(|w| w.starts_with("DC offset")));
    let f = Fixture::new();
    let out = f.run(&["measure", "--fault", "smoke"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown fault 'smoke': dropout, gap, lost, dc, hum, hum60, clip, silence, wrong-channel, drift=PPM, late=S"),
        "{}",
        stderr(&out)
    );
    let out = f.run(&["measure", "--fault", "dc", "--isolation"]);
    assert_one_error(&out, &["--fault works on the seal measurement"]);
}
