//! Slipway's HTTP edge. Every service answers on one port; `router`
//! decides what a request is (DESIGN.md, "One process, one port"),
//! `auth` checks who sent it, and each protocol module decodes, calls the
//! service once and encodes.

mod auth;
mod error;
mod json;
mod registry;
mod router;
mod s3;
mod sagemaker;

pub use error::AwsError;
pub use router::{router, WireConfig};
