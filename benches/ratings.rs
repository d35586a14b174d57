//! Speed of `tipfit rating` without I/O (issue 3 target: under 1 ms):
//! parse a 10-fit table (63 ... 8000 Hz) and compute every rating
//! (NRR, ISO 4869-2 per-subject SNR/HML, APV, PAR), plus the mean/SD path.

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use std::path::Path;
use tipfit::analysis::ratings::{rate_fits, rate_mean_sd};
use tipfit::formats::bands::{parse_fits, parse_mean_sd};

/// A 10-fit table: a foam-tip-like spectrum with fit-to-fit wobble.
fn ten_fits_csv() -> String {
    let base = [12.0, 15.0, 18.0, 22.0, 28.0, 32.0, 38.0, 36.0];
    let mut s = String::from("fit,63,125,250,500,1000,2000,4000,8000\n");
    for fit in 0..10 {
        let cells: Vec<String> = base
            .iter()
            .enumerate()
            .map(|(b, v)| format!("{:.1}", v + ((fit * 7 + b * 3) % 5) as f64 * 0.6 - 1.2))
            .collect();
        s.push_str(&format!("fit {},{}\n", fit + 1, cells.join(",")));
    }
    s
}

const MEAN_SD: &str = "freq_hz,mean_db,sd_db\n125,21,3.7\n250,22,3.3\n500,23,3.8\n1000,29,4.7\n2000,41,3.3\n3150,43,3.3\n4000,47,3.4\n6300,41,6.1\n8000,36,6.5\n";

fn ratings(c: &mut Criterion) {
    let fits = ten_fits_csv();
    let path = Path::new("fits.csv");
    c.bench_function("rating_10_fits_parse_and_compute", |b| {
        b.iter(|| {
            let t = parse_fits(black_box(&fits), path).unwrap();
            black_box(rate_fits(&t).unwrap())
        })
    });
    c.bench_function("rating_mean_sd_parse_and_compute", |b| {
        b.iter(|| {
            let t = parse_mean_sd(black_box(MEAN_SD), path).unwrap();
            black_box(rate_mean_sd(&t).unwrap())
        })
    });
}

criterion_group!(benches, ratings);
criterion_main!(benches);
