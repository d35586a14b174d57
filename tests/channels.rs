//! Channel 0 is refused wherever a channel is given, with the one message
//! ("channels count from 1"), a non-zero exit and no panic: options that
//! pick a channel of a WAV file (exit 1, the file named) and options that
//! pick a sound-card channel (clap's usage error, exit 2, before any device
//! is opened). The `[device]` table of a session config is checked in
//! `session::config`'s unit tests.

mod common;

use common::{stderr, Fixture};

const ONE_MESSAGE: &str = "channels count from 1";

fn fixture() -> Fixture {
    let fx = Fixture::new();
    fx.ok(&["signal", "sweep", "--duration", "1", "--out", "s.wav"]);
    fx.ok(&[
        "measure",
        "--tip-preset",
        "foam",
        "--duration",
        "1",
        "--save-recording",
        "r.wav",
    ]);
    fx
}

#[test]
fn channel_0_of_a_wav_is_refused_naming_the_file() {
    let fx = fixture();
    let cases: [&[&str]; 6] = [
        &["analyze", "r.wav", "--reference", "s.wav", "--channel", "0"],
        &["isolation", "--dual", "r.wav", "--inner-channel", "0"],
        &["isolation", "--dual", "r.wav", "--outer-channel", "0"],
        &[
            "isolation",
            "--open",
            "r.wav",
            "--occluded",
            "r.wav",
            "--channel",
            "0",
        ],
        &["calibrate", "spl", "--from-wav", "r.wav", "--channel", "0"],
        &[
            "analyze",
            "r.wav",
            "--reference",
            "s.wav",
            "--channel",
            "0",
            "--json",
        ],
    ];
    for args in cases {
        let err = fx.fails(args);
        let flag = args[args.iter().position(|a| *a == "0").unwrap() - 1];
        assert!(err.contains(ONE_MESSAGE), "{args:?}: {err}");
        assert!(err.contains("r.wav"), "{args:?}: {err}");
        assert!(err.contains(&format!("{flag} 0")), "{args:?}: {err}");
    }
}

#[test]
fn channel_0_of_a_sound_card_is_a_usage_error_before_anything_opens() {
    let fx = Fixture::new();
    let cases: [&[&str]; 6] = [
        &["measure", "--rig", "device", "--inner-channel", "0"],
        &["measure", "--rig", "device", "--driver-channel", "0"],
        &["measure", "--rig", "device", "--outer-channel", "0"],
        &["measure", "--rig", "device", "--ambient-channel", "0"],
        &["monitor", "--rig", "device", "--inner-channel", "0"],
        &["calibrate", "loopback", "--loopback-channel", "0"],
    ];
    for args in cases {
        let out = fx.run(args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        let flag = args[args.len() - 2];
        assert!(
            err.contains(&format!("'0' for '{flag}")) && err.contains(ONE_MESSAGE),
            "{args:?}: {err}"
        );
    }
}
