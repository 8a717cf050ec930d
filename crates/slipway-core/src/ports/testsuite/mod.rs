//! Conformance suites: one async function per port that any adapter must
//! pass (the embedded one and the scale-out one alike). Adapters call them
//! from their own tests; the suites panic on failure like any test.
#![allow(clippy::unwrap_used)]

pub mod blob;
pub mod engine;
pub mod image_scans;
pub mod logs;
pub mod metadata;
pub mod metrics;
pub mod objects;
pub mod registry;
pub mod small_fs;
