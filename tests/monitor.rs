//! `tipfit monitor`, the live seal meter: on the simulated ear with a fit
//! that changes over time, every verdict change shows within 0.3 s, the
//! meter keeps at least 10 updates per second, the leak corner follows the
//! truth, and silent or clipping inputs say so. Then the command line: JSON
//! lines when piped, clear errors, real-time pacing and Ctrl-C.

mod common;

use common::{stderr, stdout, tipfit, Fixture};
use std::time::{Duration, Instant};
use tipfit::analysis::quick::QUICK_DURATION_S;
use tipfit::analysis::seal::{SealConfig, Verdict};
use tipfit::analysis::{AnalysisConfig, Analyzer};
use tipfit::dsp::fft::FftCache;
use tipfit::monitor::{
    self, analyser, FrameAnalyser, MonitorSettings, Schedule, ScheduledFit, SimMonitorConfig,
    SimMonitorSource, Update,
};
use tipfit::rig::sim::{SimConfig, SimRig, TipPreset};
use tipfit::signal::MultitoneParams;

/// Longest time from a change of the truth to the first update showing it, s.
const MAX_LATENCY_S: f64 = 0.3;
/// Tolerance of the reported leak corner against the truth while the fit
/// is steady.
const CORNER_TOLERANCE: f64 = 0.10;

/// Run the meter on the sim (fast) and return the source (for its truth),
/// the multitone and every update.
fn run_sim(
    schedule: &str,
    duration_s: f64,
    config: SimMonitorConfig,
) -> (SimMonitorSource, MultitoneParams, Vec<Update>) {
    let seed = 1;
    let schedule = Schedule::parse(schedule, ScheduledFit::Preset(TipPreset::Foam), seed).unwrap();
    let mut source = SimMonitorSource::new(48_000, config, schedule, seed, true).unwrap();
    let (params, period) = monitor::multitone(48_000, -20.0).unwrap();
    let mut analyser = FrameAnalyser::new(
        &params,
        &period,
        None,
        SealConfig::default(),
        &FftCache::new(),
    )
    .unwrap();
    let settings = MonitorSettings {
        duration_s: Some(duration_s),
        ..MonitorSettings::default()
    };
    let mut updates = Vec::new();
    let summary = monitor::run(
        &mut source,
        &period,
        &mut analyser,
        &settings,
        &|| false,
        &mut |u| {
            updates.push(u.clone());
            Ok(())
        },
    )
    .unwrap();
    assert_eq!(summary.updates, updates.len());
    assert!(!summary.interrupted);
    assert!((summary.recorded_s - duration_s).abs() < 1e-9);
    (source, params, updates)
}

/// At least 10 updates per second of recording, with no gap longer than
/// 0.1 s, from 0.2 s on.
fn assert_update_rate(updates: &[Update], duration_s: f64) {
    assert!(
        (updates[0].t_s - 0.2).abs() < 1e-9,
        "first update at {}",
        updates[0].t_s
    );
    for w in updates.windows(2) {
        assert!(
            w[1].t_s - w[0].t_s <= 0.1 + 1e-9,
            "gap {} .. {}",
            w[0].t_s,
            w[1].t_s
        );
    }
    let rate = updates.len() as f64 / (duration_s - 0.1);
    assert!(rate >= 10.0, "{rate} updates per second");
}

/// Times (1 ms resolution) at which the truth verdict changes, with the
/// new verdict.
fn truth_changes(
    src: &SimMonitorSource,
    p: &MultitoneParams,
    duration_s: f64,
) -> Vec<(f64, Verdict)> {
    let mut changes = Vec::new();
    let mut last = src.truth_verdict_at(0.0, p);
    for i in 1..=(duration_s * 1000.0) as usize {
        let t = i as f64 / 1000.0;
        let v = src.truth_verdict_at(t, p);
        if v != last {
            changes.push((t, v));
            last = v;
        }
    }
    changes
}

/// Every truth change shows within [`MAX_LATENCY_S`]: the first update at
/// or after the change with the new verdict. Returns the latencies.
fn latencies(updates: &[Update], changes: &[(f64, Verdict)]) -> Vec<f64> {
    changes
        .iter()
        .map(|&(tc, v)| {
            let first = updates
                .iter()
                .find(|u| u.t_s >= tc && u.verdict == Some(v))
                .unwrap_or_else(|| panic!("{v} (truth from {tc} s) never shown"));
            let latency = first.t_s - tc;
            assert!(
                latency <= MAX_LATENCY_S + 1e-9,
                "{v} from {tc} s shown only at {} s",
                first.t_s
            );
            latency
        })
        .collect()
}

/// Every update shows a verdict the truth held within the last 0.3 s (it
/// never runs ahead of the ear, nor invents one).
fn assert_verdicts_follow_truth(src: &SimMonitorSource, p: &MultitoneParams, updates: &[Update]) {
    for u in updates {
        let v = u.verdict.expect("a verdict");
        let held = (0..=300).any(|ms| {
            let t = u.t_s - ms as f64 / 1000.0;
            t >= 0.0 && src.truth_verdict_at(t, p) == v
        });
        assert!(
            held,
            "{} s: shows {v}, truth never did since {} s",
            u.t_s,
            u.t_s - 0.3
        );
    }
}

#[test]
fn a_leak_that_opens_at_once_shows_within_0_3_s() {
    let (src, p, updates) = run_sim("0:foam,2:earbud", 4.0, SimMonitorConfig::default());
    assert_update_rate(&updates, 4.0);
    let changes = truth_changes(&src, &p, 4.0);
    assert_eq!(changes, vec![(2.0, Verdict::NoSeal)]);
    let lat = latencies(&updates, &changes);
    eprintln!("step foam -> earbud at 2.0 s: shown after {:.3} s", lat[0]);
    for u in &updates {
        if u.t_s <= 2.0 {
            assert_eq!(u.verdict, Some(Verdict::Good), "{u:?}");
        } else if u.t_s >= 2.0 + MAX_LATENCY_S {
            assert_eq!(u.verdict, Some(Verdict::NoSeal), "{u:?}");
        }
    }
    assert_verdicts_follow_truth(&src, &p, &updates);
}

#[test]
fn a_gliding_leak_shows_every_verdict_change_within_0_3_s() {
    // foam (good) -> a 400 Hz leak over 3 s, then back to sealed over 2 s:
    // every verdict on the way, in both directions.
    let (src, p, updates) = run_sim(
        "0:foam,1-4:400/0.5,5-7:sealed",
        8.0,
        SimMonitorConfig::default(),
    );
    assert_update_rate(&updates, 8.0);
    let changes = truth_changes(&src, &p, 8.0);
    let seen: Vec<Verdict> = changes.iter().map(|c| c.1).collect();
    assert!(
        seen.starts_with(&[Verdict::Fair, Verdict::Poor, Verdict::NoSeal]),
        "{changes:?}"
    );
    assert!(
        seen.ends_with(&[Verdict::Poor, Verdict::Fair, Verdict::Good]),
        "{changes:?}"
    );
    let lat = latencies(&updates, &changes);
    for ((t, v), l) in changes.iter().zip(&lat) {
        eprintln!("glide: truth {v} from {t:.3} s, shown after {l:.3} s");
    }
    assert_verdicts_follow_truth(&src, &p, &updates);
}

#[test]
fn the_leak_corner_follows_the_truth_while_the_fit_is_steady() {
    let (src, _, updates) = run_sim(
        "0:foam,1:120/0.5,3:silicone-s,5:60/0.7",
        7.0,
        SimMonitorConfig::default(),
    );
    let changes = src.schedule().change_times();
    let mut checked = 0;
    let mut worst = 0.0f64;
    for u in &updates {
        // Steady: no change within the last 0.3 s.
        if changes
            .iter()
            .any(|&c| u.t_s >= c && u.t_s < c + MAX_LATENCY_S)
        {
            continue;
        }
        let truth = src.truth_corner_at(u.t_s).unwrap();
        if truth < 15.0 {
            assert_eq!(u.leak_corner_hz, None, "foam: {u:?}");
            continue;
        }
        let got = u
            .leak_corner_hz
            .unwrap_or_else(|| panic!("no corner: {u:?}"));
        worst = worst.max((got / truth - 1.0).abs());
        assert!(
            (got / truth - 1.0).abs() < CORNER_TOLERANCE,
            "{} s: corner {got:.1} Hz, truth {truth:.1} Hz",
            u.t_s
        );
        checked += 1;
    }
    eprintln!(
        "steady fits: corner within {:.2} % of the truth ({checked} updates)",
        100.0 * worst
    );
    assert!(checked > 30, "{checked}");
}

#[test]
fn the_meter_agrees_with_the_quick_check_for_every_preset() {
    let tones = MultitoneParams {
        duration_s: QUICK_DURATION_S,
        ..MultitoneParams::default()
    }
    .generate()
    .unwrap();
    let analyzer = Analyzer::new();
    for preset in TipPreset::ALL {
        for seed in 1..=3 {
            let schedule = Schedule::constant(ScheduledFit::Preset(preset), seed);
            let mut source =
                SimMonitorSource::new(48_000, SimMonitorConfig::default(), schedule, seed, true)
                    .unwrap();
            let (params, period) = monitor::multitone(48_000, -20.0).unwrap();
            let mut a = FrameAnalyser::new(
                &params,
                &period,
                None,
                SealConfig::default(),
                &FftCache::new(),
            )
            .unwrap();
            let mut last = None;
            monitor::run(
                &mut source,
                &period,
                &mut a,
                &MonitorSettings {
                    duration_s: Some(1.0),
                    ..MonitorSettings::default()
                },
                &|| false,
                &mut |u| {
                    last = Some(u.clone());
                    Ok(())
                },
            )
            .unwrap();
            let last = last.unwrap();
            let mut rig = SimRig::new(SimConfig::preset(preset), seed);
            let rec = rig.simulate(&tones).0;
            let quick = analyzer
                .analyse(
                    &rec.channels[0],
                    rec.rate,
                    &tones,
                    None,
                    &AnalysisConfig::default(),
                )
                .unwrap();
            eprintln!(
                "{} seed {seed}: monitor {:?} bass {:.2} corner {:?} | quick {:?} bass {:.2} corner {:?}",
                preset.name(),
                last.verdict,
                last.bass_db.unwrap(),
                last.leak_corner_hz,
                quick.seal.verdict,
                quick.seal.bass_db,
                quick.seal.leak_corner_hz
            );
            assert_eq!(last.verdict, Some(quick.seal.verdict), "{}", preset.name());
            assert_eq!(last.verdict, Some(source.truth_verdict_at(1.0, &params)));
        }
    }
}

#[test]
fn a_muted_microphone_is_reported_as_silent() {
    let config = SimMonitorConfig {
        gain_db: f64::NEG_INFINITY,
        ..SimMonitorConfig::default()
    };
    let (_, _, updates) = run_sim("0:foam", 1.0, config);
    assert!(!updates.is_empty());
    for u in &updates {
        assert!(u.silent, "{u:?}");
        assert_eq!(u.verdict, None);
        assert_eq!(u.bass_db, None);
        assert_eq!(
            u.message,
            Some("no signal: mic muted or wrong --inner-channel")
        );
    }
    // The analyser alone, fed zeros.
    let (params, period) = monitor::multitone(48_000, -20.0).unwrap();
    let mut a = FrameAnalyser::new(
        &params,
        &period,
        None,
        SealConfig::default(),
        &FftCache::new(),
    )
    .unwrap();
    let u = a.analyse(&vec![0.0; period.len()], 0.3);
    assert!(u.silent && u.message == Some(analyser::SILENT_MESSAGE));
}

#[test]
fn a_clipping_input_says_so() {
    let config = SimMonitorConfig {
        gain_db: 40.0,
        ..SimMonitorConfig::default()
    };
    let (_, _, updates) = run_sim("0:foam", 1.0, config);
    for u in &updates {
        assert!(u.clipped && !u.silent, "{u:?}");
        assert_eq!(u.message, Some("input clipping: turn the input gain down"));
    }
}

#[test]
fn the_simulated_stream_matches_the_sim_rigs_truth() {
    // A steady leak: the recording's tone levels are the sim rig's exact
    // response (the monitor's driver chain is the rig's).
    let leak = "150/0.4";
    let (src, p, updates) = run_sim(
        &format!("0:{leak}"),
        1.0,
        SimMonitorConfig {
            noise_below_db: None,
            ..SimMonitorConfig::default()
        },
    );
    let truth = src.truth_metrics_at(1.0, &p, None, &SealConfig::default());
    let last = updates.last().unwrap();
    assert!(
        (last.bass_db.unwrap() - truth.bass_db).abs() < 0.05,
        "{last:?} vs {truth:?}"
    );
    assert_eq!(last.verdict, Some(truth.verdict));
}

#[test]
fn real_time_pacing_follows_the_wall_clock() {
    let schedule = Schedule::constant(ScheduledFit::Sealed, 1);
    let mut source =
        SimMonitorSource::new(48_000, SimMonitorConfig::default(), schedule, 1, false).unwrap();
    let (params, period) = monitor::multitone(48_000, -20.0).unwrap();
    let mut a = FrameAnalyser::new(
        &params,
        &period,
        None,
        SealConfig::default(),
        &FftCache::new(),
    )
    .unwrap();
    let start = Instant::now();
    let mut times = Vec::new();
    monitor::run(
        &mut source,
        &period,
        &mut a,
        &MonitorSettings {
            duration_s: Some(1.0),
            ..MonitorSettings::default()
        },
        &|| false,
        &mut |u| {
            times.push((u.t_s, start.elapsed().as_secs_f64()));
            Ok(())
        },
    )
    .unwrap();
    assert_eq!(times.len(), 9);
    for (t, wall) in times {
        assert!(
            wall >= t - 0.005 && wall < t + 0.5,
            "update {t} s at wall {wall} s"
        );
    }
}

#[test]
fn stopping_ends_the_run_and_silences_the_source() {
    let schedule = Schedule::constant(ScheduledFit::Sealed, 1);
    let mut source =
        SimMonitorSource::new(48_000, SimMonitorConfig::default(), schedule, 1, true).unwrap();
    let (params, period) = monitor::multitone(48_000, -20.0).unwrap();
    let mut a = FrameAnalyser::new(
        &params,
        &period,
        None,
        SealConfig::default(),
        &FftCache::new(),
    )
    .unwrap();
    let count = std::cell::Cell::new(0);
    let summary = monitor::run(
        &mut source,
        &period,
        &mut a,
        &MonitorSettings {
            duration_s: None,
            ..MonitorSettings::default()
        },
        &|| count.get() >= 5,
        &mut |_| {
            count.set(count.get() + 1);
            Ok(())
        },
    )
    .unwrap();
    assert!(summary.interrupted);
    assert_eq!(summary.updates, 5);
    assert_eq!(summary.best, Some(Verdict::Good));
    assert_eq!(summary.first_good_s, Some(0.2));
    // Stopped: the output is silent from now on; 0.1 s later only the
    // driver's tail and the noise floor remain, 40 dB below the meter's level.
    let mut tail = Vec::new();
    use tipfit::monitor::MonitorSource;
    source.read(9600, &mut tail).unwrap();
    let peak = tail[4800..].iter().fold(0f32, |m, v| m.max(v.abs()));
    let playing = 10f32.powf(-26.0 / 20.0);
    assert!(peak < playing / 100.0, "{peak}");
}

// ---- command line ----

fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn cli_prints_json_lines_when_piped() {
    let out = tipfit()
        .args([
            "monitor",
            "--fast",
            "--duration",
            "3",
            "--schedule",
            "0:foam,2:earbud",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = json_lines(&stdout(&out));
    assert_eq!(lines.len(), 29, "0.2 s to 3.0 s every 0.1 s");
    for (i, l) in lines.iter().enumerate() {
        for key in [
            "t_s",
            "bass_db",
            "bass_loss_db",
            "leak_corner_hz",
            "verdict",
            "snr_db",
            "level_dbfs",
            "silent",
            "clipped",
            "message",
        ] {
            assert!(l.get(key).is_some(), "line {i} lacks {key}: {l}");
        }
        let t = l["t_s"].as_f64().unwrap();
        assert!((t - (0.2 + 0.1 * i as f64)).abs() < 1e-9, "{t}");
        let v = l["verdict"].as_str().unwrap();
        if t <= 2.0 {
            assert_eq!(v, "good", "{l}");
        }
        if t >= 2.3 {
            assert_eq!(v, "no-seal", "{l}");
        }
        assert_eq!(l["silent"], false);
    }
}

#[test]
fn cli_json_flag_and_reference_response_give_bass_loss() {
    let fx = Fixture::new();
    let sealed = fx.ok(&["measure", "--sealed", "--quick", "--json"]);
    fx.write("sealed.json", &sealed.stdout);
    let out = fx.ok(&[
        "monitor",
        "--json",
        "--fast",
        "--duration",
        "1",
        "--tip-preset",
        "silicone-s",
        "--reference-response",
        "sealed.json",
    ]);
    let lines = json_lines(&stdout(&out));
    let last = lines.last().unwrap();
    let loss = last["bass_loss_db"].as_f64().unwrap();
    assert!(loss > 8.0, "{last}");
    assert!(last["leak_corner_hz"].as_f64().is_some(), "{last}");
}

#[test]
fn cli_bad_schedule_names_the_step() {
    let fx = Fixture::new();
    let err = fx.fails(&[
        "monitor",
        "--fast",
        "--schedule",
        "0:foam,3:earbud2,6-8:foam",
    ]);
    assert!(err.contains("step 2 '3:earbud2'"), "{err}");
    assert!(
        err.contains("silicone-m") && err.contains("sealed"),
        "{err}"
    );
    let err = fx.fails(&["monitor", "--fast", "--schedule", "0:foam,8-6:foam"]);
    assert!(err.contains("step 2 '8-6:foam'"), "{err}");
}

#[test]
fn cli_bad_options_are_refused_before_playing() {
    let fx = Fixture::new();
    for (args, needle) in [
        (vec!["--updates", "0"], "--updates 0: give 1 to 50"),
        (vec!["--updates", "60"], "--updates 60: give 1 to 50"),
        (vec!["--duration", "0"], "--duration 0: give a positive"),
        (vec!["--duration=-2"], "--duration -2: give a positive"),
        (vec!["--rate", "4000"], "--rate 4000: give 8000 to 192000"),
        (vec!["--level", "3"], "--level 3 is out of range"),
    ] {
        let mut all = vec!["monitor", "--fast"];
        all.extend(args);
        let err = fx.fails(&all);
        assert!(err.contains(needle), "{all:?}: {err}");
    }
    // Usage errors are clap's (status 2).
    let out = fx.run(&["monitor", "--updates", "many"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn cli_runs_in_real_time() {
    let start = Instant::now();
    let out = tipfit()
        .args(["monitor", "--duration", "2"])
        .output()
        .unwrap();
    let wall = start.elapsed().as_secs_f64();
    assert!(out.status.success(), "{}", stderr(&out));
    let lines = json_lines(&stdout(&out));
    assert!(lines.len() >= 19, "{} updates", lines.len());
    assert!((1.9..4.0).contains(&wall), "took {wall} s");
}

#[test]
fn cli_ctrl_c_stops_with_status_130() {
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("tipfit"))
        .args(["monitor", "--duration", "30"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let sent = Instant::now();
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let after = sent.elapsed().as_secs_f64();
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(after < 1.0, "stopped {after} s after Ctrl-C");
    assert!(
        stderr(&out).contains("stopped by Ctrl-C"),
        "{}",
        stderr(&out)
    );
    let lines = json_lines(&stdout(&out));
    assert!(lines.len() >= 5, "{} updates before Ctrl-C", lines.len());
}

/// `--mic-cal` is subtracted from the monitor's tone levels too: a mic
/// reading 6 dB hot in the bass lowers the shown bass level by about 6 dB.
#[test]
fn mic_cal_lowers_the_monitor_bass_level() {
    let dir = tempfile::tempdir().unwrap();
    let cal = dir.path().join("hot.txt");
    std::fs::write(&cal, "10 6.0\n100 6.0\n150 0.0\n20000 0.0\n").unwrap();
    let last_bass = |extra: &[&str]| -> f64 {
        let out = assert_cmd::Command::cargo_bin("tipfit")
            .unwrap()
            .args(["monitor", "--fast", "--duration", "1", "--json"])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
        last["bass_db"].as_f64().unwrap()
    };
    let drop = last_bass(&[]) - last_bass(&["--mic-cal", cal.to_str().unwrap()]);
    assert!((drop - 6.0).abs() < 0.5, "bass dropped {drop} dB");
}
