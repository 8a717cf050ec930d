//! Ports: what the service needs from the outside world, as traits. The
//! embedded adapters are defaults; scale-out adapters implement the same
//! traits and pass the same conformance suites.

pub mod blob;
pub mod clock;
pub mod engine;
pub mod identity;
pub mod logs;
pub mod metadata;
pub mod metrics;
pub mod netrec;
pub mod objects;
pub mod registry;

#[cfg(feature = "testsuite")]
pub mod testsuite;
