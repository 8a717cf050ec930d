//! Slipway's HTTP edge. Every service answers on one port; `router`
//! decides what a request is (docs/architecture.md "One process, one port"),
//! `auth` checks who sent it, and each protocol module decodes, calls the
//! service once and encodes.

mod auth;
mod context;
mod error;
mod expect_continue;
mod generated;
mod json;
mod logs;
mod query;
mod registry;
mod router;
mod runtime;
mod s3;
mod s3_edge;
mod sagemaker;

pub use error::AwsError;
pub use router::{router, WireConfig};
/// The reader of documents an earlier release stored, for
/// `Service::upgrade_documents` at start-up.
pub use sagemaker::specs::legacy::Legacy as LegacyDocuments;

/// The SageMaker API called in-process (`slipway validate`).
pub use sagemaker::call as call_sagemaker;
