//! Isolation on the simulated rig against its exact truth (issue 3).

use tipfit::analysis::isolation::{
    insertion_loss, insertion_loss_with_floor, noise_reduction, BandTable, Floor, Isolation,
};
use tipfit::dsp::bands::{third_octaves, Band};
use tipfit::dsp::fft::FftCache;
use tipfit::rig::outside::{truth_band_db, IsolationRecordings, OutsideNoise};
use tipfit::rig::sim::{SimConfig, SimRig, TipPreset};

const RATE: u32 = 48_000;

fn f64s(x: &[f32]) -> Vec<f64> {
    x.iter().map(|&v| v as f64).collect()
}

fn record(preset: TipPreset, seed: u64, noise: &OutsideNoise) -> (SimRig, IsolationRecordings) {
    let mut rig = SimRig::new(SimConfig::preset(preset), seed);
    let rec = rig.record_isolation(noise, RATE);
    (rig, rec)
}

fn both(rec: &IsolationRecordings) -> (Isolation, Isolation) {
    let fft = FftCache::new();
    let il = insertion_loss(&f64s(&rec.open), &f64s(&rec.occluded), RATE, &fft).unwrap();
    let nr = noise_reduction(&f64s(&rec.outer), &f64s(&rec.occluded), RATE, &fft).unwrap();
    (il, nr)
}

fn bands() -> Vec<Band> {
    third_octaves(0.45 * RATE as f64)
}

/// Largest |measured - truth| over bands with truth below 40 dB and no floor flag.
fn worst(t: &BandTable, rig: &SimRig, il: bool) -> (f64, f64, usize) {
    let filters = rig.outside_model().filters(RATE as f64);
    let mut worst = (0.0, 0.0, 0);
    for (i, b) in bands().iter().enumerate() {
        let truth = truth_band_db(&filters, b.lower_hz, b.upper_hz, il);
        if truth >= 40.0 || t.floor_limited[i] {
            continue;
        }
        worst.2 += 1;
        let err = (t.attenuation_db[i] - truth).abs();
        if err > worst.1 {
            worst = (b.nominal_hz, err, worst.2);
        }
    }
    worst
}

#[test]
fn attenuation_within_1_db_of_truth_below_40_db() {
    for preset in [
        TipPreset::Foam,
        TipPreset::SiliconeM,
        TipPreset::SiliconeS,
        TipPreset::TripleFlange,
        TipPreset::Earbud,
    ] {
        let (rig, rec) = record(preset, 3, &OutsideNoise::default());
        let (il, nr) = both(&rec);
        for (name, t, is_il) in [
            ("IL", &il.third_octave, true),
            ("NR", &nr.third_octave, false),
        ] {
            let (f, err, n) = worst(t, &rig, is_il);
            eprintln!(
                "{} {name}: {n} bands checked, worst {err:.3} dB at {f} Hz; {:?}",
                preset.name(),
                t.attenuation_db
                    .iter()
                    .map(|v| format!("{v:.1}"))
                    .collect::<Vec<_>>()
            );
            assert!(err < 1.0, "{} {name}: {err} dB at {f} Hz", preset.name());
            assert!(
                n >= 5,
                "{} {name}: only {n} bands below 40 dB",
                preset.name()
            );
        }
    }
}

/// Band power of white noise at `rms_dbfs` in a band (one-sided, 0..fs/2).
fn white_band_dbfs(rms_dbfs: f64, b: &Band) -> f64 {
    rms_dbfs + 10.0 * ((b.upper_hz - b.lower_hz) / (RATE as f64 / 2.0)).log10()
}

#[test]
fn floor_flags_are_right_in_both_directions_with_a_raised_floor() {
    let noise = OutsideNoise {
        floor_dbfs: -75.0,
        ..OutsideNoise::default()
    };
    let (_, rec) = record(TipPreset::TripleFlange, 4, &noise);
    let (il, _) = both(&rec);
    let t = &il.third_octave;
    let (mut flagged, mut clear) = (0, 0);
    for (i, b) in bands().iter().enumerate() {
        // Expected: occluded level (measured, dominated by the signal where
        // clear) against the known white floor of the inner mic.
        let floor = white_band_dbfs(noise.floor_dbfs, b);
        let margin = t.occluded_dbfs[i] - floor;
        let measured_floor = t.floor_dbfs.as_ref().unwrap()[i];
        // The floor comes from the 0.5 s lead-in: few bins in the lowest
        // bands, so its estimate scatters more there.
        let tolerance = if b.nominal_hz < 100.0 { 3.0 } else { 1.5 };
        assert!(
            (measured_floor - floor).abs() < 2.0 * tolerance,
            "{} Hz floor {measured_floor} vs {floor}",
            b.nominal_hz
        );
        if (margin - 6.0).abs() < tolerance {
            continue; // too close to the threshold to call
        }
        assert_eq!(
            t.floor_limited[i],
            margin < 6.0,
            "{} Hz: margin {margin:.1} dB",
            b.nominal_hz
        );
        if margin < 6.0 {
            flagged += 1
        } else {
            clear += 1
        }
    }
    eprintln!("{flagged} bands flagged, {clear} clear");
    assert!(
        flagged >= 3 && clear >= 3,
        "the test must see both kinds: {flagged} flagged, {clear} clear"
    );
    assert!(il.warnings.iter().any(|w| w.contains("noise floor")));
    // The default (quiet) floor flags nothing for the same tip.
    let (_, quiet) = record(TipPreset::TripleFlange, 4, &OutsideNoise::default());
    assert!(both(&quiet).0.third_octave.floor_limited.iter().all(|f| !f));
}

#[test]
fn leaky_silicone_isolates_less_in_the_bass_as_the_model_says() {
    let (sealed_rig, sealed) = record(TipPreset::SiliconeM, 5, &OutsideNoise::default());
    let (leaky_rig, leaky) = record(TipPreset::SiliconeS, 5, &OutsideNoise::default());
    let (s, _) = both(&sealed);
    let (l, _) = both(&leaky);
    let fs = sealed_rig.outside_model().filters(RATE as f64);
    let fl = leaky_rig.outside_model().filters(RATE as f64);
    for (i, b) in bands()
        .iter()
        .enumerate()
        .filter(|(_, b)| b.nominal_hz <= 250.0)
    {
        let measured = s.third_octave.attenuation_db[i] - l.third_octave.attenuation_db[i];
        let model = truth_band_db(&fs, b.lower_hz, b.upper_hz, true)
            - truth_band_db(&fl, b.lower_hz, b.upper_hz, true);
        eprintln!(
            "{} Hz: sealed - leaky {measured:.2} dB, model {model:.2} dB",
            b.nominal_hz
        );
        assert!(
            measured > 10.0,
            "{} Hz: only {measured} dB less isolation",
            b.nominal_hz
        );
        assert!(
            (measured - model).abs() < 1.0,
            "{} Hz: {measured} vs model {model}",
            b.nominal_hz
        );
    }
}

#[test]
fn insertion_loss_and_noise_reduction_differ_by_the_open_ear_gain() {
    let (rig, rec) = record(TipPreset::SiliconeM, 6, &OutsideNoise::default());
    let (il, nr) = both(&rec);
    let f = rig.outside_model().filters(RATE as f64);
    for (i, b) in bands().iter().enumerate() {
        if il.third_octave.floor_limited[i] || nr.third_octave.floor_limited[i] {
            continue;
        }
        // Open-ear gain over the band, weighted like the measurement.
        let open_ear = truth_band_db(&f, b.lower_hz, b.upper_hz, true)
            - truth_band_db(&f, b.lower_hz, b.upper_hz, false);
        let diff = il.third_octave.attenuation_db[i] - nr.third_octave.attenuation_db[i];
        assert!(
            (diff - open_ear).abs() < 0.5,
            "{} Hz: IL - NR {diff:.2} vs open-ear {open_ear:.2}",
            b.nominal_hz
        );
    }
    let coh = nr.third_octave.coherence.as_ref().unwrap();
    assert!(coh.iter().all(|c| *c > 0.9), "{coh:?}");
}

#[test]
fn a_sweep_on_the_outside_speaker_gives_the_same_isolation() {
    use tipfit::rig::outside::OutsideSignal;
    let noise = OutsideNoise {
        signal: OutsideSignal::Sweep,
        duration_s: 6.0,
        ..OutsideNoise::default()
    };
    let (rig, rec) = record(TipPreset::SiliconeM, 7, &noise);
    let (il, nr) = both(&rec);
    for (name, t, is_il) in [
        ("IL", &il.third_octave, true),
        ("NR", &nr.third_octave, false),
    ] {
        let (f, err, n) = worst(t, &rig, is_il);
        eprintln!("sweep {name}: {n} bands, worst {err:.3} dB at {f} Hz");
        assert!(
            err < 1.0 && n >= 10,
            "sweep {name}: {err} dB at {f} Hz over {n} bands"
        );
    }
}

#[test]
fn h1_reads_through_an_uncorrelated_inner_floor() {
    let noise = OutsideNoise {
        floor_dbfs: -75.0,
        ..OutsideNoise::default()
    };
    let (rig, rec) = record(TipPreset::TripleFlange, 4, &noise);
    let (_, nr) = both(&rec);
    let t = &nr.third_octave;
    let h1 = t.h1_attenuation_db.as_ref().unwrap();
    let filters = rig.outside_model().filters(RATE as f64);
    let mut checked = 0;
    for (i, b) in bands().iter().enumerate() {
        let truth = truth_band_db(&filters, b.lower_hz, b.upper_hz, false);
        if t.floor_limited[i] && truth < 60.0 {
            // The power ratio is capped by the floor; H1 gets much closer.
            assert!(
                (h1[i] - truth).abs() < (t.attenuation_db[i] - truth).abs(),
                "{} Hz",
                b.nominal_hz
            );
            checked += 1;
        }
    }
    assert!(checked >= 2, "{checked}");
}

#[test]
fn the_sims_known_floor_corrects_bands_6_to_15_db_above_it() {
    // A raised mic floor: the triple flange's upper bands sit 0-20 dB above
    // it. The floor is white at -75 dBFS RMS, known exactly.
    let noise = OutsideNoise {
        floor_dbfs: -75.0,
        ..OutsideNoise::default()
    };
    let (rig, rec) = record(TipPreset::TripleFlange, 4, &noise);
    let fft = FftCache::new();
    let floor = Floor::White {
        rms_dbfs: noise.floor_dbfs,
    };
    let il = insertion_loss_with_floor(&f64s(&rec.open), &f64s(&rec.occluded), floor, RATE, &fft)
        .unwrap();
    let t = &il.third_octave;
    let filters = rig.outside_model().filters(RATE as f64);
    let (mut corrected, mut bounds, mut clear) = (0, 0, 0);
    for (i, b) in bands().iter().enumerate() {
        let truth = truth_band_db(&filters, b.lower_hz, b.upper_hz, true);
        // The margin against the floor computed here: white noise of RMS
        // -75 dBFS holds -75 + 10 lg(B / 24 kHz) in a band of width B.
        let margin = t.occluded_dbfs[i] - white_band_dbfs(noise.floor_dbfs, b);
        // The analysis sums whole FFT bins (48000 / 65536 Hz each): up to
        // one bin more or less than the band's width.
        let bin_hz = RATE as f64 / 65_536.0;
        let tolerance = 10.0 * (1.0 + bin_hz / (b.upper_hz - b.lower_hz)).log10() + 0.01;
        let reported = t.margin_db.as_ref().unwrap()[i];
        assert!(
            (reported - margin).abs() < tolerance,
            "{} Hz: margin {reported} vs {margin}",
            b.nominal_hz
        );
        let raw = t.attenuation_db[i] - t.correction_db[i];
        eprintln!(
            "{} Hz: margin {margin:.1} dB, attenuation {:.2} (raw {raw:.2}), truth {truth:.2}, corrected {}, bound {}",
            b.nominal_hz, t.attenuation_db[i], t.corrected[i], t.floor_limited[i]
        );
        if margin < 6.0 {
            assert!(t.floor_limited[i] && !t.corrected[i], "{} Hz", b.nominal_hz);
            assert!(
                t.attenuation_db[i] < truth + 0.5,
                "{} Hz: not a lower bound",
                b.nominal_hz
            );
            bounds += 1;
        } else if margin <= 15.0 {
            assert!(t.corrected[i] && !t.floor_limited[i], "{} Hz", b.nominal_hz);
            assert!(
                (t.attenuation_db[i] - truth).abs() < 1.0,
                "{} Hz: {} vs truth {truth}",
                b.nominal_hz,
                t.attenuation_db[i]
            );
            // Closer to the truth than the reading before the correction
            // (the correction is 0.14-1.26 dB, the scatter about 0.1 dB).
            if margin < 10.0 {
                assert!(
                    (t.attenuation_db[i] - truth).abs() < (raw - truth).abs(),
                    "{} Hz",
                    b.nominal_hz
                );
            }
            corrected += 1;
        } else {
            assert!(
                !t.corrected[i] && !t.floor_limited[i],
                "{} Hz",
                b.nominal_hz
            );
            assert_eq!(t.correction_db[i], 0.0);
            clear += 1;
        }
    }
    eprintln!("{corrected} corrected, {bounds} bounds, {clear} clear");
    assert!(
        corrected >= 2 && bounds >= 2 && clear >= 2,
        "the test must see every kind: {corrected} corrected, {bounds} bounds, {clear} clear"
    );
}
