//! The control plane's test kit (feature `testkit`; always in this
//! crate's own tests): a [`SimEngine`] that runs scripted images in
//! virtual time, the [`TestClock`](slipway_core::ports::clock::TestClock),
//! and [`TestService`], a whole `Service` on a temporary SQLite store.
//!
//! Tests run under paused tokio time (`#[tokio::test(start_paused = true)]`):
//! a job's MaxRuntimeInSeconds, a 240-second ping deadline or a stop grace
//! pass in microseconds, and the timestamps the service stores move with
//! them. This kit is for the control plane's own rules and state machines;
//! real containers are tested end to end by the Podman suites (tests/e2e).

mod engine;
mod held;
mod process;
mod script;
mod serve;
mod service;
mod specs;

pub use engine::{Call, Request, SimContainer, SimEngine};
pub use held::{held, HeldStore};
pub use script::{Invoke, Ping, Reply, Script, Serve, StartHook, Started};
pub use service::{model_tar_gz, sqlite_ports, test_registry_config, TestService};
pub use specs::spec;
