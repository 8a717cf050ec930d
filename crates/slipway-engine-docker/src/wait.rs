//! Waiting for a container to end: the engine's own wait (Podman's libpod
//! endpoint on Podman, Docker's elsewhere) raced against inspect polls
//! that see short jobs end at once (`ContainerEngine::wait` in lib.rs).

use crate::convert::{self, map_err};
use crate::{DockerEngine, LONG_TIMEOUT_SECS};
use bollard::errors::Error as DockerError;
use bollard::query_parameters::WaitContainerOptionsBuilder;
use futures::stream::StreamExt;
use slipway_core::ports::engine::{ContainerEngine, ContainerId, EngineError, ExitStatus};
use std::time::Duration;

impl DockerEngine {
    /// The engine's own wait (blocks until the container is not running).
    pub(crate) async fn wait_blocking(&self, id: &ContainerId) -> Result<ExitStatus, EngineError> {
        let code = if self.podman {
            self.wait_libpod(id).await?
        } else {
            self.wait_compat(id).await?
        };
        // Wait does not say why the container ended; inspect does.
        let oom_killed = match self.inspect(id).await {
            Ok(s) => s.oom_killed,
            Err(EngineError::NotFound(_)) => false,
            Err(e) => return Err(e),
        };
        Ok(ExitStatus { code, oom_killed })
    }

    /// Podman's own wait. Its Docker-compatible `POST /containers/{id}/wait`
    /// re-checks the container's state in a tight loop on Podman 4.3: one
    /// waiting request kept the service at ~0.95 of a core for as long as
    /// the container ran (measured: 9.4 s of service CPU over a 10 s
    /// container), which halved the speed of two parallel training jobs on
    /// a 2-core machine. The libpod endpoint waits on the container's exit
    /// at an interval and costs ~nothing (0.06 s over the same run).
    async fn wait_libpod(&self, id: &ContainerId) -> Result<i64, EngineError> {
        let path = format!(
            "/v4.0.0/libpod/containers/{}/wait?condition=stopped&condition=exited",
            percent_encoding::utf8_percent_encode(id.as_str(), percent_encoding::NON_ALPHANUMERIC)
        );
        let (status, body) = self
            .endpoint
            .post(&path, Duration::from_secs(LONG_TIMEOUT_SECS))
            .await?;
        match status {
            200..=299 => convert::libpod_exit_code(&body).ok_or_else(|| EngineError::Engine {
                detail: format!(
                    "wait on {id}: unreadable answer {:?}",
                    String::from_utf8_lossy(&body)
                ),
            }),
            404 => Err(EngineError::NotFound(id.as_str().to_owned())),
            _ => Err(EngineError::Engine {
                detail: format!(
                    "wait on {id}: HTTP {status}: {}",
                    String::from_utf8_lossy(&body)
                ),
            }),
        }
    }

    /// Docker's wait.
    async fn wait_compat(&self, id: &ContainerId) -> Result<i64, EngineError> {
        let options = WaitContainerOptionsBuilder::new()
            .condition("not-running")
            .build();
        let mut results = self.long.wait_container(id.as_str(), Some(options));
        let code = match results.next().await {
            Some(Ok(r)) => r.status_code,
            // bollard turns a non-zero exit into an error carrying the code.
            Some(Err(DockerError::DockerContainerWaitError { code, .. })) => code,
            Some(Err(e)) => return Err(map_err(e, id.as_str())),
            None => {
                return Err(EngineError::Engine {
                    detail: format!("wait on {id} ended without a status"),
                })
            }
        };
        Ok(code)
    }

    /// Inspects until the container has run and stopped: every 25 ms at
    /// first, backing off to 200 ms, and to 1 s after a minute.
    pub(crate) async fn wait_polling(&self, id: &ContainerId) -> Result<ExitStatus, EngineError> {
        let started = std::time::Instant::now();
        let mut delay = Duration::from_millis(25);
        loop {
            match self.inspect(id).await {
                Ok(s) if !s.running && s.started_at.is_some() => {
                    if let Some(code) = s.exit_code {
                        return Ok(ExitStatus {
                            code,
                            oom_killed: s.oom_killed,
                        });
                    }
                }
                Err(EngineError::NotFound(n)) => return Err(EngineError::NotFound(n)),
                // Other answers: keep watching; the blocking wait decides.
                _ => {}
            }
            tokio::time::sleep(delay).await;
            delay = if started.elapsed() > Duration::from_secs(60) {
                Duration::from_secs(1)
            } else {
                (delay * 2).min(Duration::from_millis(200))
            };
        }
    }
}
