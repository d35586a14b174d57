//! CSV band tables for ratings: per-fit attenuations and published mean/SD.
