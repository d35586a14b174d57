//! IEC 61672-1 frequency weightings (A and C).
