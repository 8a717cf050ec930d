//! A simulated container engine: [`ContainerEngine`] over scripted images
//! ([`Script`]), in virtual time. Containers keep the state the port
//! promises (running, exit code, labels, lines printed), write what their
//! script says into their bind mounts, and serve HTTP where the runners
//! reach them: isolated ones through [`ContainerEngine::reach_port`] (a
//! loopback listener), the others at `inspect().ip_addresses` port 8080 (a
//! distinct 127.x.y.z per container: Linux routes all of 127/8 to `lo`).
//! Every call is recorded for tests to assert on.

use super::process::{self, Proc};
use super::script::{Script, Started};
use super::serve;
use async_trait::async_trait;
use futures::stream::{self, BoxStream, StreamExt};
use slipway_core::ports::clock::Clock;
use slipway_core::ports::engine::{
    ContainerEngine, ContainerId, ContainerSpec, ContainerState, ContainerSummary, EngineError,
    ExitStatus, ImageInfo, LogLine, LogSource, NetworkInfo, NetworkMode, PortForward, RegistryAuth,
};
use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::watch;

/// One call the engine received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    EnsureImage(String),
    Create(String),
    Start(String),
    Stop { name: String, grace: Duration },
    Kill(String),
    Remove { name: String, force: bool },
    EnsureNetwork { name: String, internal: bool },
    RemoveNetwork(String),
    ReachPort { name: String, port: u16 },
}

/// A request a simulated inference server received.
#[derive(Debug, Clone)]
pub struct Request {
    pub container: String,
    pub path: String,
    pub content_type: Option<String>,
    pub accept: Option<String>,
    pub body: bytes::Bytes,
}

struct Container {
    id: String,
    spec: ContainerSpec,
    script: Script,
    proc: Arc<Proc>,
    started_at: Option<OffsetDateTime>,
    finished_at: Option<OffsetDateTime>,
    ip: Option<(String, IpAddr)>,
    /// The inference server's address, while it runs.
    served: Option<SocketAddr>,
    server: Option<tokio::task::JoinHandle<()>>,
    process: Option<tokio::task::JoinHandle<()>>,
    /// Files under the mounts when it started (container path → bytes).
    files_at_start: BTreeMap<String, Vec<u8>>,
}

#[derive(Default)]
struct State {
    images: HashMap<String, Script>,
    containers: BTreeMap<String, Container>,
    created: Vec<ContainerSpec>,
    started: Vec<SimContainer>,
    calls: Vec<Call>,
    requests: Vec<Request>,
    unavailable: Option<String>,
    next_id: u64,
}

/// A container as a test sees it.
#[derive(Debug, Clone)]
pub struct SimContainer {
    pub id: ContainerId,
    pub spec: ContainerSpec,
    pub running: bool,
    pub exit: Option<ExitStatus>,
    pub files_at_start: BTreeMap<String, Vec<u8>>,
}

/// The simulated engine; clones share one state.
#[derive(Clone)]
pub struct SimEngine {
    state: Arc<Mutex<State>>,
    clock: Arc<dyn Clock>,
}

fn image_id(reference: &str) -> String {
    use sha2::Digest;
    format!(
        "sha256:{}",
        hex::encode(sha2::Sha256::digest(reference.as_bytes()))
    )
}

fn now(clock: &dyn Clock) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(clock.wall_micros()) * 1_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// A loopback address of its own for a container on a named network.
fn loopback_address(n: u64) -> Ipv4Addr {
    // Spread over 127/8 by process and count, so tests running side by
    // side in other processes rarely pick the same one (a bind retries).
    let seed = u64::from(std::process::id())
        .wrapping_mul(7919)
        .wrapping_add(n.wrapping_mul(104_729));
    let [_, _, _, _, _, a, b, c] = seed.to_be_bytes();
    Ipv4Addr::new(127, a.max(1), b, c.clamp(2, 254))
}

impl SimEngine {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            state: Arc::default(),
            clock,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Makes `reference` an image that runs `script` (replacing any).
    pub fn add_image(&self, reference: &str, script: Script) {
        self.lock().images.insert(reference.to_owned(), script);
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// Requests the inference servers received.
    pub fn requests(&self) -> Vec<Request> {
        self.lock().requests.clone()
    }

    pub(crate) fn record_request(&self, r: Request) {
        self.lock().requests.push(r);
    }

    /// Every container that exists now (created, not removed).
    pub fn containers(&self) -> Vec<SimContainer> {
        let st = self.lock();
        st.containers
            .values()
            .map(|c| {
                let p = c.proc.lock();
                SimContainer {
                    id: ContainerId(c.id.clone()),
                    spec: c.spec.clone(),
                    running: c.started_at.is_some() && p.exit.is_none(),
                    exit: p.exit,
                    files_at_start: c.files_at_start.clone(),
                }
            })
            .collect()
    }

    /// Every spec ever created, in order.
    pub fn created(&self) -> Vec<ContainerSpec> {
        self.lock().created.clone()
    }

    /// Every container ever started, as it was when it started (the files
    /// it found in its mounts), in order.
    pub fn started(&self) -> Vec<SimContainer> {
        self.lock().started.clone()
    }

    /// Makes every call fail as an unreachable engine does (`None`: back).
    pub fn set_unavailable(&self, detail: Option<&str>) {
        self.lock().unavailable = detail.map(str::to_owned);
    }

    fn check(&self, st: &State) -> Result<(), EngineError> {
        match &st.unavailable {
            Some(d) => Err(EngineError::Unavailable { detail: d.clone() }),
            None => Ok(()),
        }
    }

    fn find<'a>(st: &'a mut State, id: &ContainerId) -> Option<&'a mut Container> {
        let key = if st.containers.contains_key(id.as_str()) {
            Some(id.0.clone())
        } else {
            st.containers
                .values()
                .find(|c| c.spec.name == id.0)
                .map(|c| c.id.clone())
        };
        key.and_then(move |k| st.containers.get_mut(&k))
    }

    fn proc_of(&self, id: &ContainerId) -> Result<Arc<Proc>, EngineError> {
        let mut st = self.lock();
        self.check(&st)?;
        Self::find(&mut st, id)
            .map(|c| c.proc.clone())
            .ok_or_else(|| EngineError::NotFound(id.0.clone()))
    }

    /// Ends the container's process with `code` (if it is running).
    pub(crate) fn exit(&self, id: &str, code: i64) {
        let mut st = self.lock();
        let Some(c) = st.containers.get_mut(id) else {
            return;
        };
        {
            let mut p = c.proc.lock();
            if p.exit.is_some() || c.started_at.is_none() {
                return;
            }
            p.exit = Some(ExitStatus {
                code,
                oom_killed: false,
            });
        }
        c.finished_at = Some(now(self.clock.as_ref()));
        if let Some(s) = c.server.take() {
            s.abort();
        }
        c.served = None;
        if let Some(p) = c.process.take() {
            p.abort();
        }
        c.proc.bump();
    }

    fn print(&self, proc: &Proc, stream: LogSource, line: &str) {
        let ms = self.clock.wall_micros() / 1_000;
        proc.lock().lines.push(LogLine {
            stream,
            line: line.to_owned(),
            timestamp_ms: ms,
        });
        proc.bump();
    }
}

#[async_trait]
impl ContainerEngine for SimEngine {
    async fn ensure_image(
        &self,
        image: &str,
        _auth: Option<&RegistryAuth>,
    ) -> Result<ImageInfo, EngineError> {
        let mut st = self.lock();
        self.check(&st)?;
        st.calls.push(Call::EnsureImage(image.to_owned()));
        if st.images.contains_key(image) {
            Ok(ImageInfo {
                id: image_id(image),
                os: "linux".into(),
                architecture: "amd64".into(),
                ..ImageInfo::default()
            })
        } else {
            Err(EngineError::ImageNotFound {
                image: image.to_owned(),
                detail: "manifest unknown".into(),
            })
        }
    }

    async fn create(&self, spec: &ContainerSpec) -> Result<ContainerId, EngineError> {
        let mut st = self.lock();
        self.check(&st)?;
        st.calls.push(Call::Create(spec.name.clone()));
        if st.containers.values().any(|c| c.spec.name == spec.name) {
            return Err(EngineError::NameInUse(spec.name.clone()));
        }
        let script = st
            .images
            .iter()
            .find(|(r, _)| **r == spec.image || image_id(r) == spec.image)
            .map(|(_, s)| s.clone())
            .ok_or_else(|| EngineError::ImageNotFound {
                image: spec.image.clone(),
                detail: "no such image".into(),
            })?;
        st.next_id += 1;
        let id = format!("sim{:012x}", st.next_id);
        st.created.push(spec.clone());
        let (changed, _) = watch::channel(0);
        st.containers.insert(
            id.clone(),
            Container {
                id: id.clone(),
                spec: spec.clone(),
                script,
                proc: Arc::new(Proc {
                    state: Mutex::default(),
                    changed,
                }),
                started_at: None,
                finished_at: None,
                ip: None,
                served: None,
                server: None,
                process: None,
                files_at_start: BTreeMap::new(),
            },
        );
        Ok(ContainerId(id))
    }

    async fn start(&self, id: &ContainerId) -> Result<(), EngineError> {
        let (cid, spec, script, proc, n) = {
            let mut st = self.lock();
            self.check(&st)?;
            st.calls.push(Call::Start(id.0.clone()));
            let n = st.next_id;
            let c = Self::find(&mut st, id).ok_or_else(|| EngineError::NotFound(id.0.clone()))?;
            if c.started_at.is_some() {
                return Ok(());
            }
            c.started_at = Some(now(self.clock.as_ref()));
            (
                c.id.clone(),
                c.spec.clone(),
                c.script.clone(),
                c.proc.clone(),
                n,
            )
        };
        let script = script.for_host(spec.hostname.as_deref());
        if let Some(hook) = &script.on_start {
            hook(&Started { spec: &spec });
        }
        let files = process::lay_files(&spec, &script);
        for (s, line) in &script.lines {
            self.print(&proc, *s, line);
        }
        let mut ip = None;
        let mut served = None;
        let mut server = None;
        if let Some(sv) = &script.serve {
            let bound = if spec.network == NetworkMode::None {
                serve::bind(IpAddr::V4(Ipv4Addr::LOCALHOST), 0).await
            } else {
                let net = match &spec.network {
                    NetworkMode::Named(n) => n.clone(),
                    _ => "bridge".into(),
                };
                let mut found = Err(std::io::Error::other("no free loopback address"));
                for k in 0..32 {
                    let addr = IpAddr::V4(loopback_address(n * 32 + k));
                    if let Ok(l) = serve::bind(addr, 8080).await {
                        ip = Some((net.clone(), addr));
                        found = Ok(l);
                        break;
                    }
                }
                found
            };
            let listener = bound.map_err(|e| EngineError::Engine {
                detail: format!("binding the simulated server: {e}"),
            })?;
            served = listener.local_addr().ok();
            server = Some(serve::spawn(
                self.clone(),
                spec.name.clone(),
                sv.clone(),
                listener,
                proc.clone(),
            ));
        }
        let engine = self.clone();
        let process_id = cid.clone();
        let process = tokio::spawn(async move {
            let run = async {
                if let Some((after, code)) = script.serve.as_ref().and_then(|s| s.dies_after) {
                    tokio::time::sleep(after).await;
                    return Some(code);
                }
                if script.hangs {
                    return None;
                }
                tokio::time::sleep(script.runs_for).await;
                Some(script.exit_code)
            };
            if let Some(code) = run.await {
                engine.exit(&process_id, code);
            } else {
                std::future::pending::<()>().await;
            }
        });
        let mut st = self.lock();
        st.started.push(SimContainer {
            id: ContainerId(cid.clone()),
            spec: spec.clone(),
            running: true,
            exit: None,
            files_at_start: files.clone(),
        });
        if let Some(c) = st.containers.get_mut(&cid) {
            c.files_at_start = files;
            c.ip = ip;
            c.served = served;
            c.server = server;
            c.process = Some(process);
        }
        Ok(())
    }

    async fn stop(&self, id: &ContainerId, grace: Duration) -> Result<(), EngineError> {
        let (cid, sigterm, proc) = {
            let mut st = self.lock();
            self.check(&st)?;
            st.calls.push(Call::Stop {
                name: id.0.clone(),
                grace,
            });
            let c = Self::find(&mut st, id).ok_or_else(|| EngineError::NotFound(id.0.clone()))?;
            (c.id.clone(), c.script.sigterm_exit, c.proc.clone())
        };
        if let Some(code) = sigterm {
            self.exit(&cid, code);
            return Ok(());
        }
        let mut rx = proc.changed.subscribe();
        let exited = async {
            while proc.lock().exit.is_none() {
                if rx.changed().await.is_err() {
                    break;
                }
            }
        };
        if tokio::time::timeout(grace, exited).await.is_err() {
            self.exit(&cid, 137);
        }
        Ok(())
    }

    async fn kill(&self, id: &ContainerId) -> Result<(), EngineError> {
        let cid = {
            let mut st = self.lock();
            self.check(&st)?;
            st.calls.push(Call::Kill(id.0.clone()));
            let c = Self::find(&mut st, id).ok_or_else(|| EngineError::NotFound(id.0.clone()))?;
            c.id.clone()
        };
        self.exit(&cid, 137);
        Ok(())
    }

    async fn wait(&self, id: &ContainerId) -> Result<ExitStatus, EngineError> {
        let proc = self.proc_of(id)?;
        let mut rx = proc.changed.subscribe();
        loop {
            {
                let p = proc.lock();
                if let Some(e) = p.exit {
                    return Ok(e);
                }
                if p.removed {
                    return Err(EngineError::NotFound(id.0.clone()));
                }
            }
            if rx.changed().await.is_err() {
                return Err(EngineError::NotFound(id.0.clone()));
            }
        }
    }

    async fn remove(&self, id: &ContainerId, force: bool) -> Result<(), EngineError> {
        let cid = {
            let mut st = self.lock();
            self.check(&st)?;
            st.calls.push(Call::Remove {
                name: id.0.clone(),
                force,
            });
            match Self::find(&mut st, id) {
                None => return Ok(()),
                Some(c) => {
                    let running = c.started_at.is_some() && c.proc.lock().exit.is_none();
                    if running && !force {
                        return Err(EngineError::Engine {
                            detail: format!("container {} is running", c.spec.name),
                        });
                    }
                    c.id.clone()
                }
            }
        };
        self.exit(&cid, 137);
        let mut st = self.lock();
        if let Some(c) = st.containers.remove(&cid) {
            if let Some(p) = c.process {
                p.abort();
            }
            c.proc.lock().removed = true;
            c.proc.bump();
        }
        Ok(())
    }

    async fn inspect(&self, id: &ContainerId) -> Result<ContainerState, EngineError> {
        let mut st = self.lock();
        self.check(&st)?;
        let c = Self::find(&mut st, id).ok_or_else(|| EngineError::NotFound(id.0.clone()))?;
        let p = c.proc.lock();
        let running = c.started_at.is_some() && p.exit.is_none();
        Ok(ContainerState {
            running,
            exit_code: p.exit.map(|e| e.code),
            oom_killed: false,
            // As Docker and Podman: an exited container has left its
            // networks and reports no address.
            ip_addresses: if running {
                c.ip.iter().cloned().collect()
            } else {
                Default::default()
            },
            labels: c.spec.labels.clone(),
            started_at: c.started_at,
            finished_at: c.finished_at,
        })
    }

    fn logs(
        &self,
        id: &ContainerId,
        follow: bool,
    ) -> BoxStream<'static, Result<LogLine, EngineError>> {
        match self.proc_of(id) {
            Ok(p) => process::lines(p, follow, None),
            Err(e) => stream::iter([Err(e)]).boxed(),
        }
    }

    fn last_logs(
        &self,
        id: &ContainerId,
        lines: usize,
    ) -> BoxStream<'static, Result<LogLine, EngineError>> {
        match self.proc_of(id) {
            Ok(p) => process::lines(p, false, Some(lines)),
            Err(e) => stream::iter([Err(e)]).boxed(),
        }
    }

    async fn list_by_label(
        &self,
        key: &str,
        value: Option<&str>,
    ) -> Result<Vec<ContainerSummary>, EngineError> {
        let st = self.lock();
        self.check(&st)?;
        Ok(st
            .containers
            .values()
            .filter(|c| {
                c.spec
                    .labels
                    .get(key)
                    .is_some_and(|v| value.is_none_or(|want| v == want))
            })
            .map(|c| ContainerSummary {
                id: ContainerId(c.id.clone()),
                name: c.spec.name.clone(),
                labels: c.spec.labels.clone(),
                running: c.started_at.is_some() && c.proc.lock().exit.is_none(),
            })
            .collect())
    }

    async fn ensure_network(&self, name: &str, internal: bool) -> Result<NetworkInfo, EngineError> {
        let mut st = self.lock();
        self.check(&st)?;
        st.calls.push(Call::EnsureNetwork {
            name: name.to_owned(),
            internal,
        });
        // Podman's first network subnet, as a real engine would say.
        Ok(NetworkInfo {
            ipv4_subnet: Some((std::net::Ipv4Addr::new(10, 89, 0, 0), 24)),
            ipv4_gateway: Some(std::net::Ipv4Addr::new(10, 89, 0, 1)),
        })
    }

    async fn remove_network(&self, name: &str) -> Result<(), EngineError> {
        let mut st = self.lock();
        self.check(&st)?;
        st.calls.push(Call::RemoveNetwork(name.to_owned()));
        Ok(())
    }

    async fn reach_port(&self, id: &ContainerId, port: u16) -> Result<PortForward, EngineError> {
        let mut st = self.lock();
        self.check(&st)?;
        st.calls.push(Call::ReachPort {
            name: id.0.clone(),
            port,
        });
        let c = Self::find(&mut st, id).ok_or_else(|| EngineError::NotFound(id.0.clone()))?;
        if c.spec.network != NetworkMode::None {
            return Err(EngineError::Engine {
                detail: "reach_port is for containers without a network".into(),
            });
        }
        let addr = match (c.served, port) {
            (Some(a), 8080) => a,
            // Nothing listens: an address that refuses connections.
            _ => std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map_err(|e| EngineError::Engine {
                    detail: e.to_string(),
                })?,
        };
        Ok(PortForward::new(addr, Box::new(())))
    }
}
