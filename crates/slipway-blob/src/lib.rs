//! `BlobStore` adapters. `FsBlobStore` (a local directory) is the embedded
//! default; `S3BlobStore` (feature `s3`) puts blobs in any S3-compatible
//! store; `OciBlobStore` (feature `oci`) keeps the image registry's bytes
//! in an external OCI registry. All pass `slipway_core::ports::testsuite::blob`.

mod fs;
#[cfg(feature = "oci")]
mod oci;
#[cfg(feature = "s3")]
mod s3;

pub use fs::FsBlobStore;
#[cfg(feature = "oci")]
pub use oci::{OciBlobStore, OciSettings};
#[cfg(feature = "s3")]
pub use s3::{S3BlobStore, S3Settings};
