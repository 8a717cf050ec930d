//! The container engine of a server that has none (no engine answered at
//! start, or jobs are turned off: `SLIPWAY_JOBS=off`). The control plane is
//! built the same way with or without one; a [`JobRuntime`] over this engine
//! says it runs no jobs ([`JobRuntime::runs_jobs`]), so job creation answers
//! [`NO_ENGINE`] and validations wait for a start with an engine, and any
//! call that reaches the engine anyway fails with the same reason.
//!
//! [`JobRuntime`]: super::JobRuntime
//! [`JobRuntime::runs_jobs`]: super::JobRuntime::runs_jobs

use async_trait::async_trait;
use futures::stream::BoxStream;
use slipway_core::ports::engine::{
    ContainerEngine, ContainerId, ContainerSpec, ContainerState, ContainerSummary, EngineError,
    ExitStatus, ImageInfo, LogLine, NetworkInfo, PortForward, RegistryAuth,
};
use std::time::Duration;

/// What job operations answer on a server without a container engine.
pub const NO_ENGINE: &str = "This Slipway server runs no jobs: no container engine is configured (set DOCKER_HOST or start Podman's API service).";

/// An engine that answers every call with [`NO_ENGINE`].
#[derive(Debug, Clone, Copy, Default)]
pub struct NoEngine;

fn refused<T>() -> Result<T, EngineError> {
    Err(EngineError::Unavailable {
        detail: NO_ENGINE.to_owned(),
    })
}

#[async_trait]
impl ContainerEngine for NoEngine {
    async fn ensure_image(
        &self,
        _image: &str,
        _auth: Option<&RegistryAuth>,
    ) -> Result<ImageInfo, EngineError> {
        refused()
    }

    async fn create(&self, _spec: &ContainerSpec) -> Result<ContainerId, EngineError> {
        refused()
    }

    async fn start(&self, _id: &ContainerId) -> Result<(), EngineError> {
        refused()
    }

    async fn stop(&self, _id: &ContainerId, _grace: Duration) -> Result<(), EngineError> {
        refused()
    }

    async fn kill(&self, _id: &ContainerId) -> Result<(), EngineError> {
        refused()
    }

    async fn wait(&self, _id: &ContainerId) -> Result<ExitStatus, EngineError> {
        refused()
    }

    async fn remove(&self, _id: &ContainerId, _force: bool) -> Result<(), EngineError> {
        refused()
    }

    async fn inspect(&self, _id: &ContainerId) -> Result<ContainerState, EngineError> {
        refused()
    }

    fn logs(
        &self,
        _id: &ContainerId,
        _follow: bool,
    ) -> BoxStream<'static, Result<LogLine, EngineError>> {
        Box::pin(futures::stream::once(async { refused() }))
    }

    fn last_logs(
        &self,
        _id: &ContainerId,
        _lines: usize,
    ) -> BoxStream<'static, Result<LogLine, EngineError>> {
        Box::pin(futures::stream::once(async { refused() }))
    }

    async fn list_by_label(
        &self,
        _key: &str,
        _value: Option<&str>,
    ) -> Result<Vec<ContainerSummary>, EngineError> {
        refused()
    }

    async fn ensure_network(
        &self,
        _name: &str,
        _internal: bool,
    ) -> Result<NetworkInfo, EngineError> {
        refused()
    }

    async fn remove_network(&self, _name: &str) -> Result<(), EngineError> {
        refused()
    }

    async fn reach_port(&self, _id: &ContainerId, _port: u16) -> Result<PortForward, EngineError> {
        refused()
    }
}
