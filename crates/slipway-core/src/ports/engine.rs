//! The container-engine port: how jobs run sellers' images. The service
//! speaks only these domain types; the Docker Engine API adapter (Docker or
//! Podman) and a future Kubernetes adapter translate them.
//!
//! What every adapter promises:
//! - every container runs with no added capabilities, `no-new-privileges`,
//!   never privileged, with the memory limit binding (no extra swap), and
//!   with at most [`PIDS_LIMIT`] processes and threads whatever the
//!   engine's default (Podman's 2,048 happens to stop a fork bomb; Docker
//!   has none);
//! - a container is found again after a restart through its labels
//!   ([`LABEL_JOB_ARN`], [`LABEL_ACCOUNT`]), never through adapter state;
//! - exit codes and OOM flags are reported as the engine reports them: on
//!   Podman `oom_killed` stays `false` and an OOM kill shows as exit 137
//!   (docs/architecture.md "Container engine facts"); interpreting that is the caller's job.

use async_trait::async_trait;
use futures::stream::BoxStream;
use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;
use time::OffsetDateTime;

pub use super::netrec::{NetworkAttempt, NetworkAttemptKind, NetworkRecorder};

/// Processes and threads one container may have at once: far above what
/// a training job's data loaders and a model server's workers use, far
/// below what exhausts the host's pid space.
pub const PIDS_LIMIT: i64 = 4096;

/// Label carrying the ARN of the job a container belongs to; restart
/// reconciliation lists containers by it.
pub const LABEL_JOB_ARN: &str = "slipway.job-arn";
/// Label carrying the 12-digit account that owns the container.
pub const LABEL_ACCOUNT: &str = "slipway.account";
/// Label marking every container and network Slipway creates, so
/// leftovers can be found without knowing job ARNs. Adapters add it
/// (value `"1"`) unless the spec sets it.
pub const LABEL_MANAGED: &str = "slipway.managed";

/// Errors a container engine reports, by what the caller can do.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The image is neither local nor pullable: the job fails with a
    /// `ClientError` naming the image and the engine's own explanation.
    #[error("image {image} not found: {detail}")]
    ImageNotFound { image: String, detail: String },
    /// No container (or network) with this id or name.
    #[error("no such container: {0}")]
    NotFound(String),
    /// A container with this name already exists (e.g. a re-attach after a
    /// restart raced a create); the caller may look it up by name.
    #[error("container name {0} is already in use")]
    NameInUse(String),
    /// The engine cannot be reached (socket missing, service down, request
    /// timed out): retry later rather than fail the job on the spot.
    #[error("container engine unavailable: {detail}")]
    Unavailable { detail: String },
    /// The engine answered with an error nothing above covers.
    #[error("container engine error: {detail}")]
    Engine { detail: String },
}

/// Credentials for pulling from a private registry (the built-in one, or
/// an external OCI registry). Kept out of `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct RegistryAuth {
    pub username: String,
    pub password: String,
    /// Registry host (`127.0.0.1:5000`); `None` lets the engine infer it
    /// from the image reference.
    pub server_address: Option<String>,
}

impl fmt::Debug for RegistryAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistryAuth")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("server_address", &self.server_address)
            .finish()
    }
}

/// A local image, resolved: what a job records so a re-run uses the same
/// bits, and what its configuration says (the readiness report reads it).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImageInfo {
    /// The engine's image id (`sha256:…`).
    pub id: String,
    /// `name@sha256:…` references; empty for images built locally.
    pub repo_digests: Vec<String>,
    /// `linux`, as the image's configuration says (empty when unknown).
    pub os: String,
    /// `amd64`, `arm64`, … (empty when unknown).
    pub architecture: String,
    /// Unpacked size in bytes, as the engine reports it.
    pub size_bytes: Option<u64>,
    /// Number of filesystem layers.
    pub layers: usize,
    /// The `USER` it runs as (empty: root).
    pub user: String,
    /// `ENTRYPOINT` (empty: none).
    pub entrypoint: Vec<String>,
    /// `CMD`.
    pub cmd: Vec<String>,
    /// `ENV` entries (`KEY=value`).
    pub env: Vec<String>,
}

/// An engine's container id (or a name: engines accept both).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContainerId(pub String);

impl ContainerId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ContainerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for ContainerId {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

/// A host directory seen inside the container (`/opt/ml/...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindMount {
    pub host_path: PathBuf,
    pub container_path: String,
    /// FastFile channels and the model directory of an inference container
    /// are read-only; the training `/opt/ml/model` is not.
    pub read_only: bool,
}

/// Resource limits from the instance-type table. `None` = engine default
/// (unlimited).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// CPUs in units of 1e-9 (2 CPUs = 2_000_000_000).
    pub nano_cpus: Option<i64>,
    /// Memory limit; swap is capped at the same value so it really binds.
    pub memory_bytes: Option<i64>,
}

/// A network made by [`ContainerEngine::ensure_network`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NetworkInfo {
    /// The IPv4 subnet (address, prefix length), if the engine said.
    pub ipv4_subnet: Option<(Ipv4Addr, u8)>,
    /// The subnet's gateway: the engine host's own address on it.
    pub ipv4_gateway: Option<Ipv4Addr>,
}

impl NetworkInfo {
    /// `count` container addresses in the subnet, skipping the network
    /// address and the gateway; `None` if the subnet is unknown or too
    /// small.
    pub fn container_addresses(&self, count: usize) -> Option<Vec<Ipv4Addr>> {
        let (base, prefix) = self.ipv4_subnet?;
        if prefix > 30 {
            return None;
        }
        let base = u32::from(base) & (u32::MAX << (32 - u32::from(prefix)));
        let last = base | (u32::MAX >> u32::from(prefix));
        let gateway = self.ipv4_gateway.map(u32::from);
        let addrs: Vec<Ipv4Addr> = (base + 1..last)
            .filter(|a| Some(*a) != gateway)
            .take(count)
            .map(Ipv4Addr::from)
            .collect();
        (addrs.len() == count).then_some(addrs)
    }
}

/// Which network a container joins.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum NetworkMode {
    /// The engine's default bridge network.
    #[default]
    Default,
    /// A named network, e.g. a Slipway-owned one from
    /// [`ContainerEngine::ensure_network`] (internal for isolation).
    Named(String),
    /// Loopback only.
    None,
}

/// Everything needed to create one container. Security settings are not
/// here on purpose: adapters always apply the same hardened defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSpec {
    /// Engine-side name; unique per engine, so derive it from the job.
    pub name: String,
    pub image: String,
    /// Replaces the image's ENTRYPOINT when set (`ContainerEntrypoint`).
    pub entrypoint: Option<Vec<String>>,
    /// Replaces the image's CMD (`["train"]`, `["serve"]`). Empty keeps the
    /// image's CMD only when the entrypoint is not replaced (Docker rules).
    pub args: Vec<String>,
    pub env: BTreeMap<String, String>,
    /// Must carry [`LABEL_JOB_ARN`] and [`LABEL_ACCOUNT`] for job containers.
    pub labels: BTreeMap<String, String>,
    pub mounts: Vec<BindMount>,
    /// `algo-1` for training (docs/contracts.md §3.1), `ContainerHostname` for inference.
    pub hostname: Option<String>,
    /// Names other containers on the same [`NetworkMode::Named`] network
    /// reach this one by (`algo-2` of a distributed training job);
    /// ignored on other networks.
    pub network_aliases: Vec<String>,
    /// A fixed address on the [`NetworkMode::Named`] network, inside the
    /// subnet [`ContainerEngine::ensure_network`] reported.
    pub ipv4_address: Option<Ipv4Addr>,
    /// `/etc/hosts` entries: how the hosts of a distributed training job
    /// find each other on a network without DNS (an isolated one).
    pub extra_hosts: Vec<(String, IpAddr)>,
    pub limits: Limits,
    pub network: NetworkMode,
    /// `None` = the image's user; the contract expects root.
    pub user: Option<String>,
}

impl ContainerSpec {
    /// A spec with no overrides, mounts, limits or labels.
    pub fn new(name: impl Into<String>, image: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            image: image.into(),
            entrypoint: None,
            args: Vec::new(),
            env: BTreeMap::new(),
            labels: BTreeMap::new(),
            mounts: Vec::new(),
            hostname: None,
            network_aliases: Vec::new(),
            ipv4_address: None,
            extra_hosts: Vec::new(),
            limits: Limits::default(),
            network: NetworkMode::Default,
            user: None,
        }
    }
}

/// How a container ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitStatus {
    /// 128 + signal for signal deaths (137 = SIGKILL).
    pub code: i64,
    /// As the engine says; Podman never sets it (see the module doc).
    pub oom_killed: bool,
}

/// A container as the engine sees it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerState {
    pub running: bool,
    /// Set once the container has exited.
    pub exit_code: Option<i64>,
    pub oom_killed: bool,
    /// Network name → address, for networks where the container has one.
    /// Inference containers are reached at `http://<ip>:8080`.
    pub ip_addresses: BTreeMap<String, IpAddr>,
    pub labels: BTreeMap<String, String>,
    /// `None` if never started.
    pub started_at: Option<OffsetDateTime>,
    /// `None` while running or never started.
    pub finished_at: Option<OffsetDateTime>,
}

/// Which output a log line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogSource {
    Stdout,
    Stderr,
}

/// One line of container output, as CloudWatch shows it (one event per line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub stream: LogSource,
    /// Without the trailing newline; a last line without one is still a line.
    pub line: String,
    /// Epoch milliseconds the engine recorded (Podman: whole seconds).
    pub timestamp_ms: i64,
}

/// A container found by label, for reconciliation after a restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSummary {
    pub id: ContainerId,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub running: bool,
}

/// A loopback address on the server's host that reaches one port of a
/// container that has no network ([`ContainerEngine::reach_port`]). The
/// forward lives as long as this value.
pub struct PortForward {
    pub addr: std::net::SocketAddr,
    _guard: Box<dyn Send + Sync>,
}

impl PortForward {
    /// `guard` is dropped with the forward and ends it.
    pub fn new(addr: std::net::SocketAddr, guard: Box<dyn Send + Sync>) -> Self {
        Self {
            addr,
            _guard: guard,
        }
    }
}

impl fmt::Debug for PortForward {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PortForward")
            .field("addr", &self.addr)
            .finish()
    }
}

/// Runs containers. Implementations are shared (`Arc<dyn ContainerEngine>`)
/// by every job task, so all methods take `&self`.
#[async_trait]
pub trait ContainerEngine: Send + Sync + 'static {
    /// The image by reference: the local one if present, else pulled (with
    /// `auth` if given). Unobtainable images are `ImageNotFound` carrying
    /// the engine's message (e.g. "manifest unknown", "connection refused").
    async fn ensure_image(
        &self,
        image: &str,
        auth: Option<&RegistryAuth>,
    ) -> Result<ImageInfo, EngineError>;

    /// Creates (does not start) a container with hardened defaults.
    async fn create(&self, spec: &ContainerSpec) -> Result<ContainerId, EngineError>;

    /// Starts a created container; starting a running one is `Ok`.
    async fn start(&self, id: &ContainerId) -> Result<(), EngineError>;

    /// Starts a container created with [`NetworkMode::None`] and records
    /// every attempt it makes to reach the network (names it resolves,
    /// connections it opens), while it stays isolated. Fails only when the
    /// container cannot be started; a recorder that cannot be set up is
    /// [`NetworkRecorder::unsupported`] with the reason. Default: plain
    /// `start`, with a recorder that reports nothing (and says why).
    async fn start_recorded(&self, id: &ContainerId) -> Result<NetworkRecorder, EngineError> {
        self.start(id).await?;
        Ok(NetworkRecorder::unsupported(
            "this container engine does not record network attempts".into(),
        ))
    }

    /// SIGTERM, then SIGKILL after `grace` (`docker stop -t`). Returns once
    /// the container is no longer running; a stopped container is `Ok`.
    async fn stop(&self, id: &ContainerId, grace: Duration) -> Result<(), EngineError>;

    /// SIGKILL now. A container that already exited is `Ok` (the caller
    /// raced its exit, which is what it wanted).
    async fn kill(&self, id: &ContainerId) -> Result<(), EngineError>;

    /// Blocks until the container is not running (however long: the
    /// caller enforces MaxRuntime with `stop`) and reports how it ended.
    /// Call after `start`.
    async fn wait(&self, id: &ContainerId) -> Result<ExitStatus, EngineError>;

    /// Removes the container; `force` kills it first if running. A missing
    /// container is `Ok`, so cleanup can be retried blindly.
    async fn remove(&self, id: &ContainerId, force: bool) -> Result<(), EngineError>;

    /// The container's state now; `NotFound` once removed.
    async fn inspect(&self, id: &ContainerId) -> Result<ContainerState, EngineError>;

    /// Output split into lines. `follow` streams live until the container
    /// exits (open it after `start`); otherwise what has been written so
    /// far. Ordering is kept within each of stdout and stderr, not across
    /// them (Podman returns each stream's lines separately).
    fn logs(
        &self,
        id: &ContainerId,
        follow: bool,
    ) -> BoxStream<'static, Result<LogLine, EngineError>>;

    /// The last `lines` lines of each of stdout and stderr written so far
    /// (not followed): the end of a flood, without reading all of it.
    fn last_logs(
        &self,
        id: &ContainerId,
        lines: usize,
    ) -> BoxStream<'static, Result<LogLine, EngineError>>;

    /// Containers (running or not) with label `key`, equal to `value` if given.
    async fn list_by_label(
        &self,
        key: &str,
        value: Option<&str>,
    ) -> Result<Vec<ContainerSummary>, EngineError>;

    /// Creates the network if missing and says which addresses it hands
    /// out. `internal` networks (EnableNetworkIsolation) have no route
    /// out, no DNS, and their containers cannot open connections to the
    /// engine's host either (nor need the host reach them). An
    /// existing network with the other `internal` setting is an `Engine`
    /// error: silently reusing it would break isolation.
    async fn ensure_network(&self, name: &str, internal: bool) -> Result<NetworkInfo, EngineError>;

    /// Removes a network made by [`Self::ensure_network`] once no
    /// container uses it (a distributed training job's own network). A
    /// missing network is `Ok`, so cleanup can be retried blindly.
    async fn remove_network(&self, name: &str) -> Result<(), EngineError>;

    /// Reaches TCP `port` of a running container created with
    /// [`NetworkMode::None`], without giving it a network: connections to
    /// the returned loopback address are made from inside the container's
    /// own network namespace. This is how network-isolated inference
    /// containers are served: they reach nothing, and only the server
    /// reaches them. An engine that cannot do this (remote, unprivileged)
    /// answers `Engine` with the reason.
    async fn reach_port(&self, id: &ContainerId, port: u16) -> Result<PortForward, EngineError>;
}
