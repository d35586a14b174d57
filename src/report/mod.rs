//! Reports: PNG plots, HTML, CSV/JSON summaries and per-tip exports, made
//! from stored sessions only.
