//! Reports: PNG plots, HTML, CSV/JSON summaries and per-tip exports, made
//! from stored sessions only (never measuring).
//!
//! ```text
//! REPORT/
//!   frequency_response.png bass.png isolation.png ranking.png
//!   repeatability.png summary.png
//!   tip_effect.png                     the plots (1600x1000 by default)
//!   report.html                        self-contained: PNGs embedded, tables
//!   summary.json                       the comparison (as `tipfit compare --json`)
//!   summary.csv                        one row per tip
//!   exports/<tip>.txt                  mean response, REW text
//!   exports/<tip>-autoeq.csv           mean response, AutoEq CSV
//! ```
pub mod export;
pub mod html;
pub mod interactive;
pub mod plots;
pub mod table;
pub mod text;
pub mod write;
