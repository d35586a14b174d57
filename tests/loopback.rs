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
    match DeviceRig::new(&DeviceChoice::Default, &DeviceChoice::Default) {
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
    // The rig plays `preroll_s` of silence first; what remains is the path.
    let path_s = m.latency_s - rig.preroll_s;
    eprintln!("path latency {:.1} ms", path_s * 1e3);
    assert!(
        path_s.abs() < 0.2,
        "latency {} s with a {} s pre-roll",
        m.latency_s,
        rig.preroll_s
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
