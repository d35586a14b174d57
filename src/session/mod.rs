//! Sessions: several tips, several fits each, stored as they are measured.
//!
//! [`config`] reads the TOML a user writes, [`model`] is what is stored,
//! [`store`] writes and reads session folders (atomic, locked), [`run`]
//! measures a session fit by fit.

pub mod config;
pub mod import;
pub mod measure;
pub mod model;
pub mod run;
pub mod store;
