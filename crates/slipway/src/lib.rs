//! Slipway's binary crate: command line, configuration, and the wiring
//! that picks adapters from configuration (the only place that names them).

pub mod blob_config;
pub mod cli;
pub mod config;
pub mod http_server;
pub mod iam_config;
pub mod jobs_config;
pub mod marketplace_cli;
pub mod registry_config;
pub mod sdk_config;
pub mod validate;
pub mod wiring;

pub use wiring::{build, App};
