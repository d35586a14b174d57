//! The shipped signals in `signals/` never drift from the code: every
//! command listed in `signals/README.md` is run again and must give the
//! same bytes.

use assert_cmd::Command;
use std::path::Path;

#[test]
fn shipped_signals_regenerate_identically() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("signals/README.md")).unwrap();
    let commands: Vec<&str> = readme
        .lines()
        .filter(|l| l.starts_with("tipfit signal "))
        .collect();
    assert_eq!(
        commands.len(),
        3,
        "expected three commands in signals/README.md"
    );
    let dir = tempfile::tempdir().unwrap();
    for line in commands {
        let words: Vec<&str> = line.split_whitespace().skip(1).collect();
        let out_at = words
            .iter()
            .position(|w| *w == "--out")
            .expect("--out in command")
            + 1;
        let shipped = root.join(words[out_at]);
        let fresh = dir.path().join(shipped.file_name().unwrap());
        let mut args: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        args[out_at] = fresh.display().to_string();
        Command::cargo_bin("tipfit")
            .unwrap()
            .args(&args)
            .assert()
            .success();
        let a = std::fs::read(&shipped).unwrap_or_else(|e| panic!("{}: {e}", shipped.display()));
        let b = std::fs::read(&fresh).unwrap();
        assert!(
            a == b,
            "{} differs from what `{line}` makes now",
            shipped.display()
        );
    }
}

#[test]
fn shipped_sweep_is_recognised_as_a_tipfit_sweep() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let wav =
        tipfit::formats::wav::read_wav(&root.join("signals/sweep-10-22k-48k-5s-f32.wav")).unwrap();
    match wav.stimulus {
        Some(tipfit::signal::StimulusKind::Sweep(p)) => {
            assert_eq!((p.start_hz, p.end_hz, p.rate), (10.0, 22_000.0, 48_000));
        }
        other => panic!("not a tipfit sweep: {other:?}"),
    }
}

/// The shipped pink noise is pink (equal power per octave) and rolls off
/// below 5 Hz like a 2nd-order Butterworth high-pass, not a brick wall: the
/// power of each octave band relative to the 1-2 kHz octave matches the
/// high-pass's mean power gain r^4 / (1 + r^4) (r = f / 5 Hz) over the
/// band. Its bins are random (complex Gaussian), so a band of N bins
/// scatters by 4.34 / sqrt(N) dB: the tolerance is 4 of those, plus 0.1 dB
/// (the exact law is checked on periodic noise in `signal::noise`).
#[test]
fn shipped_pink_noise_has_the_documented_low_end() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let wav = tipfit::formats::wav::read_wav(&root.join("signals/pink-48k-10s-f32.wav")).unwrap();
    let x: Vec<f64> = wav.channels[0].iter().map(|&v| v as f64).collect();
    let n = x.len();
    let spec = tipfit::dsp::fft::FftCache::new().spectrum(&x, n);
    let df = wav.rate as f64 / n as f64;
    // Power in the octave band [lo, 2 lo), and its number of bins.
    let band = |lo: f64| -> (f64, usize) {
        let (a, b) = ((lo / df).ceil() as usize, (2.0 * lo / df).ceil() as usize);
        (spec[a..b].iter().map(|c| c.norm_sqr()).sum::<f64>(), b - a)
    };
    let mid = band(1000.0).0;
    for lo in [2.5, 5.0, 10.0, 20.0, 80.0, 320.0, 4000.0] {
        let (p, bins) = band(lo);
        let got = 10.0 * (p / mid).log10();
        // Mean of r^4 / (1 + r^4) over the octave, weighted as pink (1/f).
        let steps = 1000;
        let gain: f64 = (0..steps)
            .map(|i| {
                let f = lo * 2f64.powf((i as f64 + 0.5) / steps as f64);
                let r4 = (f / 5.0).powi(4);
                r4 / (1.0 + r4)
            })
            .sum::<f64>()
            / steps as f64;
        let want = 10.0 * gain.log10();
        let tol = 4.0 * 4.34 / (bins as f64).sqrt() + 0.1;
        assert!(
            (got - want).abs() < tol,
            "octave from {lo} Hz: {got:.2} dB, want {want:.2} +- {tol:.2}"
        );
    }
}
