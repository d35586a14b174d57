//! Sessions: several tips, several fits each, stored as they are measured.

pub mod model;
