//! `tipfit rating`: attenuation ratings from band tables.

use crate::analysis::ratings::{rate_fits, rate_mean_sd, Rating};
use crate::cli::RatingArgs;
use crate::formats::bands;
use anyhow::{bail, Context, Result};
use std::fmt::Write as _;
use std::path::Path;

/// Read the table, compute the ratings, print a summary or one JSON document.
pub fn run(a: RatingArgs) -> Result<()> {
    let (path, rating) = match (&a.fits, &a.mean_sd) {
        (Some(p), None) => (
            p,
            rate_fits(&bands::read_fits(p)?).with_context(|| cannot(p))?,
        ),
        (None, Some(p)) => (
            p,
            rate_mean_sd(&bands::read_mean_sd(p)?).with_context(|| cannot(p))?,
        ),
        _ => bail!("give exactly one of --fits FITS.csv or --mean-sd MEAN_SD.csv"),
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&rating)?);
    } else {
        print!("{}", render(&rating, path));
    }
    Ok(())
}

fn cannot(path: &Path) -> String {
    format!("{}: cannot be rated", path.display())
}

fn row(label: &str, values: &[f64], decimals: usize) -> String {
    let cells: String = values.iter().map(|v| format!("{v:>7.decimals$}")).collect();
    format!("  {label:<10}{cells}\n")
}

/// The human summary of a rating of the table at `path`.
pub fn render(r: &Rating, path: &Path) -> String {
    let mut s = String::new();
    let source = match &r.inputs.fits {
        Some(f) => format!("{} fits", f.len()),
        None => "published mean and SD".to_string(),
    };
    let _ = writeln!(s, "Attenuation ratings of {} ({source})", path.display());
    let _ = writeln!(
        s,
        "  NRR  {:>3} dB   ({:.2} dB before rounding; EPA 40 CFR 211.207)",
        r.nrr.db, r.nrr.unrounded_db
    );
    let _ = writeln!(
        s,
        "  SNR  {:>3} dB   H {} dB, M {} dB, L {} dB   (ISO 4869-2, 84 % protection)",
        r.snr.db, r.h.db, r.m.db, r.l.db
    );
    if let Some(p) = &r.par {
        let _ = writeln!(
            s,
            "  PAR  {:>5.1} dB (84 % prediction bound for the next insertion; mean {:.1} dB, SD {:.1} dB over {} fits)",
            p.db, p.mean_db, p.sd_db, p.n_fits
        );
    }
    s.push('\n');
    s.push_str(&row("Band (Hz)", &r.inputs.centre_hz, 0));
    s.push_str(&row("Mean (dB)", &r.inputs.mean_db, 1));
    s.push_str(&row("SD (dB)", &r.inputs.sd_db, 1));
    if r.centre_hz != r.inputs.centre_hz {
        s.push_str(&row("Band (Hz)", &r.centre_hz, 0));
    }
    s.push_str(&row("APV84 (dB)", &r.apv84_db, 1));
    s.push_str(&row("APV98 (dB)", &r.apv98_db, 1));
    let _ = writeln!(s, "\nISO method: {}", r.method.iso);
    s
}
