//! Speed of `tipfit report` and `tipfit compare` on a stored session of
//! 10 tips x 5 fits (issue 4 targets: report with all PNGs and the HTML
//! under 2 s; compare, reading the session from disk, under 100 ms).
//!
//! The session is measured once on the simulated ear (seal sweep and
//! isolation per fit) into a temporary folder before timing.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use tipfit::compare::compare;
use tipfit::report::plots::DEFAULT_SIZE;
use tipfit::report::write::write_report;
use tipfit::session::config::SessionConfig;
use tipfit::session::measure::FitMeasurer;
use tipfit::session::run::{self, Answer, Ui};
use tipfit::session::store::{self, Store};

struct Unattended;

impl Ui for Unattended {
    fn say(&mut self, _: &str) {}
    fn ask(&mut self, _: &str, _: &[Answer]) -> Answer {
        Answer::Go
    }
    fn advance(&mut self) {}
}

fn config() -> SessionConfig {
    let presets = [
        "foam",
        "silicone-m",
        "silicone-s",
        "double-flange",
        "triple-flange",
    ];
    let mut text = String::from(
        "iem = \"Bench IEM\"\nfits_per_tip = 5\n[reference]\nmeasure = \"sealed\"\n[signal]\nsweep_duration_s = 1.0\n",
    );
    for i in 0..10 {
        text += &format!(
            "[[tip]]\nname = \"Tip {i}\"\npreset = \"{}\"\n",
            presets[i % presets.len()]
        );
    }
    SessionConfig::parse(&text).unwrap()
}

fn session(dir: &std::path::Path) {
    let cfg = config();
    let mut info = tipfit::session::model::SessionInfo {
        schema_version: tipfit::session::model::SCHEMA_VERSION,
        tipfit_version: "bench".into(),
        created: "2026-01-01T00:00:00Z".into(),
        rig: "sim".into(),
        iem: cfg.iem.clone(),
        ear: tipfit::session::config::Ear::Left,
        tips: cfg.tips.clone(),
        fits_per_tip: cfg.fits_per_tip,
        seal: true,
        quick: false,
        isolation: true,
        reference: None,
        reference_right: None,
        target: None,
        imported_from: Vec::new(),
        config: Some(cfg.clone()),
    };
    let store = Store::create(dir, &info).unwrap();
    let measurer = FitMeasurer::new(&cfg).unwrap();
    run::run(&store, &mut info, &measurer, &mut Unattended).unwrap();
}

fn report(c: &mut Criterion) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("session");
    session(&dir);
    let loaded = store::load(&dir).unwrap();
    assert_eq!(loaded.fits.len(), 50);
    let mut g = c.benchmark_group("session_10_tips_5_fits");
    g.sample_size(10);
    g.bench_function("compare_from_disk", |b| {
        b.iter(|| {
            let l = store::load(black_box(&dir)).unwrap();
            black_box(compare(&l.info, &l.fits, l.warnings))
        })
    });
    let cmp = compare(&loaded.info, &loaded.fits, Vec::new());
    let out = tmp.path().join("report");
    tipfit::report::write::check_report_dir(&out, true).unwrap();
    g.bench_function("report_all_pngs_and_html", |b| {
        b.iter(|| {
            black_box(write_report(&loaded.info, &loaded.fits, &cmp, &out, DEFAULT_SIZE).unwrap())
        })
    });
    g.finish();
}

criterion_group!(benches, report);
criterion_main!(benches);
