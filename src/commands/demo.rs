//! `tipfit demo`: a whole session on the simulated ear (five tips, seal and
//! isolation, a sealed reference first) and its report.

use crate::cli::DemoArgs;
use crate::report::write::{check_report_dir, write_report};
use crate::rig::sim::{SimTarget, TipPreset};
use crate::session::config::{ReferenceKind, SessionConfig};
use crate::session::store::Store;
use anyhow::{bail, Context, Result};
use std::path::Path;

/// Marks a folder as written by `tipfit demo` (so a new demo may replace it).
const MARKER: &str = ".tipfit-demo";

/// The demo's tips: (name, material, size, preset).
const TIPS: [(&str, &str, &str, TipPreset); 5] = [
    ("Foam M", "foam", "M", TipPreset::Foam),
    ("Silicone M", "silicone", "M", TipPreset::SiliconeM),
    ("Silicone S", "silicone", "S", TipPreset::SiliconeS),
    ("Triple flange", "silicone", "M", TipPreset::TripleFlange),
    ("Earbud", "none", "-", TipPreset::Earbud),
];

/// The demo's session config.
pub fn demo_config(fits: usize, seed: u64, target: SimTarget) -> SessionConfig {
    let tips: String = TIPS
        .iter()
        .map(|(name, material, size, preset)| {
            format!(
                "[[tip]]\nname = \"{name}\"\nmaterial = \"{material}\"\nsize = \"{size}\"\nbrand = \"simulated\"\npreset = \"{}\"\n",
                preset.name()
            )
        })
        .collect();
    let text = format!(
        "iem = \"Simulated IEM (tipfit demo)\"\nfits_per_tip = {fits}\n[measurements]\nseal = true\nisolation = true\n\
         [reference]\nmeasure = \"sealed\"\n[sim]\nseed = {seed}\ntarget = \"{}\"\n{tips}",
        target.name()
    );
    let cfg = SessionConfig::parse(&text).expect("the demo config is valid");
    debug_assert_eq!(cfg.reference.measure, ReferenceKind::Sealed);
    cfg
}

/// Make `out` ready: a new or empty folder, or a previous demo (replaced).
fn prepare_out(out: &Path) -> Result<()> {
    if out.exists() && !out.is_dir() {
        bail!("{}: is a file, not a folder", out.display());
    }
    if out.is_dir() {
        let empty = std::fs::read_dir(out)
            .with_context(|| format!("{}: cannot read the folder", out.display()))?
            .next()
            .is_none();
        if !empty && !out.join(MARKER).exists() {
            bail!(
                "{}: the folder holds files that are not a tipfit demo; choose another --out",
                out.display()
            );
        }
        let session = out.join("session");
        if session.exists() {
            std::fs::remove_dir_all(&session).with_context(|| {
                format!("{}: cannot remove the previous demo", session.display())
            })?;
        }
    }
    std::fs::create_dir_all(out)
        .with_context(|| format!("{}: cannot create the folder", out.display()))?;
    std::fs::write(
        out.join(MARKER),
        b"written by tipfit demo; a new demo replaces this folder\n",
    )
    .with_context(|| format!("{}: the folder is not writable", out.display()))?;
    check_report_dir(out, true)
}

pub fn run(a: DemoArgs) -> Result<()> {
    let mut cfg = demo_config(a.fits as usize, a.seed, a.sim_target);
    if let Some(file) = &a.iem_response {
        // the report's title says which IEM the simulated one follows
        let stem = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        cfg.iem = format!("{stem} (simulated, tipfit demo)");
        cfg.sim.iem_response = Some(file.clone());
    }
    // the session's description first: a file that cannot be followed is
    // said before the folder is replaced
    let info = super::session::new_info(&cfg)?;
    prepare_out(&a.out)?;
    let session = a.out.join("session");
    let store = Store::create(&session, &info)?;
    eprintln!(
        "tipfit demo: {} tips x {} fits on the {}, seal sweep and isolation, sealed reference first",
        TIPS.len(),
        a.fits,
        a.sim_target.describe()
    );
    super::session::measure(store, info, &cfg, true)?;
    let (loaded, cmp) = super::compare::load_and_compare(&session)?;
    let written = write_report(
        &loaded.info,
        &loaded.fits,
        &cmp,
        &a.out,
        crate::report::plots::DEFAULT_SIZE,
    )?;
    print!("{}", crate::report::table::render_table(&cmp));
    eprintln!(
        "\nwrote {} report files to {}: open {} (dashboard: {})",
        written.len(),
        a.out.display(),
        a.out.join("report.html").display(),
        a.out.join("summary.png").display()
    );
    Ok(())
}
