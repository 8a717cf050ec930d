//! The groups of checks, each returning findings (docs/readiness.md has
//! the catalogue of ids).

pub mod image;
pub mod listing;
pub mod network;
pub mod realtime;
pub mod records;
pub mod scan;
