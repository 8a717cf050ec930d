//! `DockerEngine`: the [`ContainerEngine`] port over the Docker Engine API,
//! served by Docker or by `podman system service` (API 1.41 on Podman 4.3).
//! It maps the API faithfully and interprets nothing: exit codes, OOM flags
//! and log timestamps are what the engine reports (see docs/architecture.md
//! "Container engine facts" for what Podman reports).

mod convert;
mod forward;
mod isolation;
mod logs;
mod netrec;
mod network;
mod raw;
mod wait;

use async_trait::async_trait;
use bollard::auth::DockerCredentials;
use bollard::errors::Error as DockerError;
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, CreateImageOptionsBuilder, KillContainerOptionsBuilder,
    LogsOptionsBuilder, RemoveContainerOptionsBuilder, StopContainerOptionsBuilder,
};
use bollard::{Docker, API_DEFAULT_VERSION};
use convert::{map_err, server_error};
use futures::stream::{BoxStream, StreamExt};
use slipway_core::ports::engine::{
    ContainerEngine, ContainerId, ContainerSpec, ContainerState, ContainerSummary, EngineError,
    ExitStatus, ImageInfo, LogLine, NetworkInfo, NetworkRecorder, PortForward, RegistryAuth,
};
use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

/// Sockets tried, in order, when neither an argument nor `DOCKER_HOST`
/// names one: rootful Podman first (what CI runs), then Docker.
pub const DEFAULT_SOCKETS: &[&str] = &["/run/podman/podman.sock", "/var/run/docker.sock"];

/// Per-request timeout for short calls: a hung engine surfaces as
/// `Unavailable` instead of a stuck job task.
const SHORT_TIMEOUT_SECS: u64 = 120;

/// Timeout for calls that legitimately last as long as a container runs
/// (`wait`, followed logs): Podman sends no response headers until the
/// container exits. Longer than the longest MaxRuntimeInSeconds (28 days).
const LONG_TIMEOUT_SECS: u64 = 30 * 24 * 3600;

/// Extra time a `stop` request gets beyond its grace period.
const STOP_SLACK: Duration = Duration::from_secs(60);

/// A connected engine. Cheap to clone; shares one connection pool.
#[derive(Debug, Clone)]
pub struct DockerEngine {
    docker: Docker,
    /// Same connection, no practical timeout: for `wait` and followed logs.
    long: Docker,
    /// For the requests bollard cannot decode from Podman (see `raw`).
    endpoint: raw::Endpoint,
    host: String,
    /// Served by `podman system service` (its `/version` names a "Podman
    /// Engine" component): waits use Podman's own endpoint (see
    /// [`DockerEngine::wait_blocking`]).
    podman: bool,
}

/// `GET /containers/json` items, with the state as a plain string.
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawSummary {
    id: String,
    #[serde(default)]
    names: Option<Vec<String>>,
    #[serde(default)]
    labels: Option<HashMap<String, String>>,
    #[serde(default)]
    state: Option<String>,
}

impl DockerEngine {
    /// Connects to `docker_host` (`unix:///path`, a socket path, or
    /// `tcp://host:port`), else `DOCKER_HOST`, else the first existing of
    /// [`DEFAULT_SOCKETS`], and negotiates the API version down to what the
    /// engine speaks. Fails with `Unavailable` if nothing answers.
    pub async fn connect(docker_host: Option<&str>) -> Result<Self, EngineError> {
        let host = resolve_host(docker_host)?;
        let unavailable = |e: DockerError| EngineError::Unavailable {
            detail: format!("{host}: {e}"),
        };
        let docker = if let Some(addr) = host
            .strip_prefix("tcp://")
            .or_else(|| host.strip_prefix("http://"))
        {
            Docker::connect_with_http(addr, SHORT_TIMEOUT_SECS, API_DEFAULT_VERSION)
        } else {
            Docker::connect_with_unix(&host, SHORT_TIMEOUT_SECS, API_DEFAULT_VERSION)
        }
        .map_err(unavailable)?;
        let docker = docker.negotiate_version().await.map_err(unavailable)?;
        let long = docker
            .clone()
            .with_timeout(Duration::from_secs(LONG_TIMEOUT_SECS));
        let endpoint = raw::Endpoint::parse(&host);
        let podman = docker.version().await.is_ok_and(|v| {
            v.components
                .unwrap_or_default()
                .iter()
                .any(|c| c.name.contains("Podman"))
        });
        Ok(Self {
            docker,
            long,
            endpoint,
            host,
            podman,
        })
    }

    /// The engine address in use, for messages and the start-up banner.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The negotiated API version, e.g. `1.41` on Podman 4.3.
    pub fn api_version(&self) -> String {
        self.docker.client_version().to_string()
    }

    /// `GET /containers/{id}/json`, read leniently. Raw: between a
    /// container's exit and its clean-up Podman reports the state
    /// `stopped`, which bollard's strict enum rejects; reading it is what
    /// lets a job see its container end at once.
    async fn inspect_raw(
        &self,
        id: &ContainerId,
    ) -> Result<bollard::models::ContainerInspectResponse, EngineError> {
        let (status, body) = self.inspect_body(id.as_str()).await?;
        match status {
            200..=299 => convert::lenient_inspect(&body),
            404 => Err(EngineError::NotFound(id.as_str().to_owned())),
            _ => Err(EngineError::Engine {
                detail: format!(
                    "inspecting container {id}: HTTP {status}: {}",
                    String::from_utf8_lossy(&body)
                ),
            }),
        }
    }

    /// Both output streams as lines, with timestamps: followed, or what
    /// was written so far (only the last `tail` lines of each, if given).
    fn log_lines(
        &self,
        id: &ContainerId,
        follow: bool,
        tail: Option<usize>,
    ) -> BoxStream<'static, Result<LogLine, EngineError>> {
        let mut options = LogsOptionsBuilder::new()
            .follow(follow)
            .stdout(true)
            .stderr(true)
            .timestamps(true);
        if let Some(n) = tail {
            options = options.tail(&n.to_string());
        }
        let client = if follow { &self.long } else { &self.docker };
        let id_owned = id.as_str().to_owned();
        let options = options.build();
        if follow || !self.podman {
            let frames = client.logs(id.as_str(), Some(options)).boxed();
            return logs::lines(frames, move |e| map_err(e, &id_owned));
        }
        // Podman 4.3 may report a container `stopped`, exit code known,
        // while the last of its output is not yet readable: reads made
        // just then missed the last lines in 3 of ~1,100 containers
        // under CPU load (raw API reads; through this adapter it was not
        // reproduced), and with them a job's final metrics. conmon
        // drains the output before it exits and Podman marks the
        // container `exited` only after its clean-up, which conmon starts
        // on exit, so a read of a `stopped` container waits for `exited`
        // (~0.3 s; the training and validation benchmarks did not move).
        let engine = self.clone();
        let frames = futures::stream::once(async move {
            engine.until_output_final(&id_owned).await;
            engine.docker.logs(&id_owned, Some(options))
        })
        .flatten()
        .boxed();
        let id_owned = id.as_str().to_owned();
        logs::lines(frames, move |e| map_err(e, &id_owned))
    }

    /// `GET /containers/{id}/json`: status and body as the engine sent them.
    async fn inspect_body(&self, id: &str) -> Result<(u16, Vec<u8>), EngineError> {
        let path = format!(
            "/v{}/containers/{}/json",
            self.api_version(),
            percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC)
        );
        self.endpoint
            .get(&path, Duration::from_secs(SHORT_TIMEOUT_SECS))
            .await
    }

    /// Waits, up to [`OUTPUT_FINAL_WAIT`], while Podman reports the
    /// container `stopped` (ended, its output maybe not all written yet);
    /// returns at once for any other state, or when it cannot tell.
    async fn until_output_final(&self, id: &str) {
        let deadline = tokio::time::Instant::now() + OUTPUT_FINAL_WAIT;
        loop {
            let stopped = match self.inspect_body(id).await {
                Ok((200..=299, body)) => convert::raw_status(&body).as_deref() == Some("stopped"),
                _ => false,
            };
            if !stopped || tokio::time::Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The host pid of a container's first process: running, or only
    /// initialised (Podman reports it once `init` has run).
    async fn pid(&self, id: &ContainerId) -> Result<u32, EngineError> {
        self.inspect_raw(id)
            .await?
            .state
            .and_then(|s| s.pid)
            .and_then(|p| u32::try_from(p).ok())
            .filter(|p| *p > 0)
            .ok_or_else(|| EngineError::Engine {
                detail: format!("container {id} has no process (it is not running)"),
            })
    }

    async fn image_info(&self, image: &str) -> Result<ImageInfo, DockerError> {
        let i = self.docker.inspect_image(image).await?;
        let config = i.config.unwrap_or_default();
        Ok(ImageInfo {
            id: i.id.unwrap_or_default(),
            repo_digests: i.repo_digests.unwrap_or_default(),
            os: i.os.unwrap_or_default(),
            architecture: i.architecture.unwrap_or_default(),
            size_bytes: i.size.and_then(|s| u64::try_from(s).ok()),
            layers: i
                .root_fs
                .and_then(|r| r.layers)
                .map(|l| l.len())
                .unwrap_or_default(),
            user: config.user.unwrap_or_default(),
            entrypoint: config.entrypoint.unwrap_or_default(),
            cmd: config.cmd.unwrap_or_default(),
            env: config.env.unwrap_or_default(),
        })
    }

    async fn pull(&self, image: &str, auth: Option<&RegistryAuth>) -> Result<(), EngineError> {
        let reference = convert::with_default_tag(image);
        let options = CreateImageOptionsBuilder::new()
            .from_image(&reference)
            .build();
        let credentials = auth.map(|a| DockerCredentials {
            username: Some(a.username.clone()),
            password: Some(a.password.clone()),
            serveraddress: a.server_address.clone(),
            ..Default::default()
        });
        let mut progress = self.docker.create_image(Some(options), None, credentials);
        while let Some(item) = progress.next().await {
            if let Err(e) = item {
                return Err(match e {
                    DockerError::DockerStreamError { error } => EngineError::ImageNotFound {
                        image: image.to_owned(),
                        detail: error,
                    },
                    DockerError::DockerResponseServerError { message, .. } => {
                        EngineError::ImageNotFound {
                            image: image.to_owned(),
                            detail: message,
                        }
                    }
                    other => map_err(other, image),
                });
            }
        }
        Ok(())
    }
}

/// Longest a read of an ended container's output waits for Podman to
/// finish writing it (see `log_lines`).
const OUTPUT_FINAL_WAIT: Duration = Duration::from_secs(3);

/// How often a pull is tried when its image is missing afterwards.
const PULL_ATTEMPTS: u32 = 3;

/// Picks the engine address (see [`DockerEngine::connect`]).
fn resolve_host(docker_host: Option<&str>) -> Result<String, EngineError> {
    if let Some(h) = docker_host.filter(|h| !h.is_empty()) {
        return Ok(h.to_owned());
    }
    if let Some(h) = std::env::var("DOCKER_HOST").ok().filter(|h| !h.is_empty()) {
        return Ok(h);
    }
    DEFAULT_SOCKETS
        .iter()
        .find(|p| Path::new(p).exists())
        .map(|p| format!("unix://{p}"))
        .ok_or_else(|| EngineError::Unavailable {
            detail: format!(
                "DOCKER_HOST is not set and none of {} exists (start one with scripts/podman-service.sh)",
                DEFAULT_SOCKETS.join(", ")
            ),
        })
}

/// Whether an error says "the container is not running" (Docker answers
/// 409, Podman 500 "container state improper").
fn is_not_running(e: &DockerError) -> bool {
    server_error(e).is_some_and(|(code, msg)| {
        code == 409 || msg.contains("state improper") || msg.contains("is not running")
    })
}

#[async_trait]
impl ContainerEngine for DockerEngine {
    async fn ensure_image(
        &self,
        image: &str,
        auth: Option<&RegistryAuth>,
    ) -> Result<ImageInfo, EngineError> {
        match self.image_info(image).await {
            Ok(info) => return Ok(info),
            Err(e) if server_error(&e).is_some_and(|(c, _)| c == 404) => {}
            Err(e) => return Err(map_err(e, image)),
        }
        // Podman 4.3 can lose an image's name when names of the same image
        // change concurrently (a read-modify-write race in its image store:
        // two pulls or tags of one image by different names), so a name
        // just pulled may be missing. Pulling again restores it.
        let mut attempt = 1;
        loop {
            self.pull(image, auth).await?;
            match self.image_info(image).await {
                Ok(info) => return Ok(info),
                Err(e) => match server_error(&e) {
                    Some((404, _)) if attempt < PULL_ATTEMPTS => attempt += 1,
                    Some((404, msg)) => {
                        return Err(EngineError::ImageNotFound {
                            image: image.to_owned(),
                            detail: format!("pulled, yet not found locally: {msg}"),
                        })
                    }
                    _ => return Err(map_err(e, image)),
                },
            }
        }
    }

    async fn create(&self, spec: &ContainerSpec) -> Result<ContainerId, EngineError> {
        // The engine resolves a relative source against its own working
        // directory: it would mount some other directory, or fail.
        if let Some(m) = spec.mounts.iter().find(|m| !m.host_path.is_absolute()) {
            return Err(EngineError::Engine {
                detail: format!(
                    "bind-mount source {} is not an absolute path",
                    m.host_path.display()
                ),
            });
        }
        let options = CreateContainerOptionsBuilder::new()
            .name(&spec.name)
            .build();
        let body = convert::create_body(spec);
        match self.docker.create_container(Some(options), body).await {
            Ok(r) => Ok(ContainerId(r.id)),
            Err(e) => Err(match server_error(&e) {
                Some((404, msg)) => EngineError::ImageNotFound {
                    image: spec.image.clone(),
                    detail: msg.to_owned(),
                },
                Some((code, msg)) if code == 409 || msg.contains("already in use") => {
                    EngineError::NameInUse(spec.name.clone())
                }
                _ => map_err(e, &spec.name),
            }),
        }
    }

    async fn start(&self, id: &ContainerId) -> Result<(), EngineError> {
        self.docker
            .start_container(id.as_str(), None)
            .await
            .map_err(|e| map_err(e, id.as_str()))
    }

    /// See `netrec::start_recorded` (Podman: set up before the start;
    /// Docker: right after it).
    async fn start_recorded(&self, id: &ContainerId) -> Result<NetworkRecorder, EngineError> {
        self.start_recorded_here(id).await
    }

    async fn stop(&self, id: &ContainerId, grace: Duration) -> Result<(), EngineError> {
        // The API takes whole seconds; round up so the grace is never shorter.
        let secs = grace.as_secs() + u64::from(grace.subsec_nanos() > 0);
        let t = i32::try_from(secs).unwrap_or(i32::MAX);
        let options = StopContainerOptionsBuilder::new().t(t).build();
        let client = self.docker.clone().with_timeout(grace + STOP_SLACK);
        match client.stop_container(id.as_str(), Some(options)).await {
            Ok(()) => Ok(()),
            Err(e) if is_not_running(&e) => Ok(()),
            Err(e) => Err(map_err(e, id.as_str())),
        }
    }

    async fn kill(&self, id: &ContainerId) -> Result<(), EngineError> {
        let options = KillContainerOptionsBuilder::new().signal("SIGKILL").build();
        match self.docker.kill_container(id.as_str(), Some(options)).await {
            Ok(()) => Ok(()),
            Err(e) if is_not_running(&e) => Ok(()),
            Err(e) => Err(map_err(e, id.as_str())),
        }
    }

    async fn wait(&self, id: &ContainerId) -> Result<ExitStatus, EngineError> {
        // Podman's wait endpoint reports an exit 0.3–0.9 s late (it polls);
        // watching the state ourselves, often at first and rarely later,
        // sees short jobs end at once. Whichever answers first wins.
        tokio::select! {
            r = self.wait_blocking(id) => r,
            r = self.wait_polling(id) => r,
        }
    }

    async fn remove(&self, id: &ContainerId, force: bool) -> Result<(), EngineError> {
        let options = RemoveContainerOptionsBuilder::new()
            .force(force)
            .v(true)
            .build();
        match self
            .docker
            .remove_container(id.as_str(), Some(options))
            .await
        {
            Ok(()) => Ok(()),
            Err(e) if server_error(&e).is_some_and(|(c, _)| c == 404) => Ok(()),
            Err(e) => Err(map_err(e, id.as_str())),
        }
    }

    async fn inspect(&self, id: &ContainerId) -> Result<ContainerState, EngineError> {
        self.inspect_raw(id).await.map(convert::container_state)
    }

    fn logs(
        &self,
        id: &ContainerId,
        follow: bool,
    ) -> BoxStream<'static, Result<LogLine, EngineError>> {
        self.log_lines(id, follow, None)
    }

    fn last_logs(
        &self,
        id: &ContainerId,
        lines: usize,
    ) -> BoxStream<'static, Result<LogLine, EngineError>> {
        self.log_lines(id, false, Some(lines))
    }

    async fn list_by_label(
        &self,
        key: &str,
        value: Option<&str>,
    ) -> Result<Vec<ContainerSummary>, EngineError> {
        let filter = match value {
            Some(v) => format!("{key}={v}"),
            None => key.to_owned(),
        };
        let filters = serde_json::json!({ "label": [filter] }).to_string();
        let path = format!(
            "/v{}/containers/json?all=1&filters={}",
            self.api_version(),
            percent_encoding::utf8_percent_encode(&filters, percent_encoding::NON_ALPHANUMERIC)
        );
        let (status, body) = self
            .endpoint
            .get(&path, Duration::from_secs(SHORT_TIMEOUT_SECS))
            .await?;
        if !(200..300).contains(&status) {
            return Err(EngineError::Engine {
                detail: format!(
                    "listing containers: HTTP {status}: {}",
                    String::from_utf8_lossy(&body)
                ),
            });
        }
        let list: Vec<RawSummary> =
            serde_json::from_slice(&body).map_err(|e| EngineError::Engine {
                detail: format!("listing containers: {e}"),
            })?;
        Ok(list
            .into_iter()
            .map(|c| ContainerSummary {
                id: ContainerId(c.id),
                name: c
                    .names
                    .unwrap_or_default()
                    .into_iter()
                    .next()
                    .map(|n| n.trim_start_matches('/').to_owned())
                    .unwrap_or_default(),
                labels: c.labels.unwrap_or_default().into_iter().collect(),
                running: c.state.as_deref() == Some("running"),
            })
            .collect())
    }

    async fn ensure_network(&self, name: &str, internal: bool) -> Result<NetworkInfo, EngineError> {
        self.ensure_network_impl(name, internal).await
    }

    async fn remove_network(&self, name: &str) -> Result<(), EngineError> {
        self.remove_network_impl(name).await
    }

    async fn reach_port(&self, id: &ContainerId, port: u16) -> Result<PortForward, EngineError> {
        if matches!(self.endpoint, raw::Endpoint::Tcp(_)) {
            return Err(EngineError::Engine {
                detail: format!(
                    "the engine at {} is remote: a container without a network can only be reached from the engine's host",
                    self.host
                ),
            });
        }
        let pid = self.pid(id).await?;
        forward::forward(pid, port).await
    }
}
