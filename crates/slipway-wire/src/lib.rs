//! Slipway's HTTP edge. Every service answers on one port; `router`
//! decides what a request is (docs/architecture.md "One process, one port")
//! and hands it to its protocol: SageMaker, CloudWatch Logs and the query
//! protocol (STS, IAM) here, S3 in `slipway-wire-s3`, the OCI registry and
//! ECR in `slipway-wire-registry`. What they share (SigV4 checks, the
//! AWS JSON error table, the generated wire shapes) is `slipway-wire-core`.
//! Each protocol module decodes, calls the service once and encodes.

mod agreement;
mod catalog;
mod cbor;
mod expect_continue;
mod generated;
mod logs;
mod monitoring;
mod query;
pub mod readiness;
mod router;
mod runtime;
mod sagemaker;
pub mod subscriptions;
pub mod usage;

pub use router::{router, WireConfig};
/// The reader of documents an earlier release stored, for
/// `Service::upgrade_documents` at start-up.
pub use sagemaker::specs::legacy::Legacy as LegacyDocuments;
/// The AWS JSON 1.1 error `call_sagemaker` answers with.
pub use slipway_wire_core::error::AwsError;

/// The SageMaker API called in-process (`slipway validate`).
pub use sagemaker::call as call_sagemaker;
