//! An inference container (docs/contracts.md §4): started with `serve`,
//! its output shipped to CloudWatch, reached on port 8080, probed with
//! GET /ping until ready, and ended with its last lines shipped. A batch
//! transform job runs one for its whole run; a real-time endpoint will run
//! several per production variant, keep them running and replace the
//! unhealthy ones, so nothing here knows which of the two it serves: the
//! caller decides the name, environment and log stream, and records what
//! happened.
//!
//! This crate depends on `slipway-batch` for [`Invoker`]: the readiness
//! probe is the same HTTP client that then posts `/invocations` (one base
//! URL, one set of timeouts), and `slipway-batch` owns the container's
//! HTTP contract while knowing no containers. The executor adds what only
//! it knows: whether the container is still alive, and what it printed.

mod model;

pub use model::download_model;

use crate::logship::{excerpt, Shipper, Shipping, Tail};
use crate::netlog::{NetworkLog, NetworkLogTarget};
use crate::Fatal;
use slipway_batch::invoke::Invoker;
use slipway_core::ports::engine::{
    BindMount, ContainerEngine, ContainerId, ContainerSpec, Limits, NetworkMode, PortForward,
    LABEL_ACCOUNT, LABEL_JOB_ARN, LABEL_MANAGED,
};
use slipway_core::ports::logs::LogStore;
use slipway_core::AccountId;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// The Slipway-owned network of inference containers that are not
/// network-isolated: they are reached by IP on it. Network-isolated ones
/// get no network at all and are reached through
/// [`ContainerEngine::reach_port`] (docs/architecture.md "Security model").
pub const NETWORK: &str = "slipway";
/// The port of the inference contract (`/ping`, `/invocations`).
pub const SERVE_PORT: u16 = 8080;

/// What an inference container runs, decided by the control plane (the
/// environment included: a transform job adds `SAGEMAKER_BATCH` and its
/// batching variables, an endpoint would not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InferenceContainer {
    /// The engine-side name; a leftover container of this name is removed
    /// first.
    pub name: String,
    pub image_id: String,
    pub env: BTreeMap<String, String>,
    pub account: AccountId,
    /// The ARN of the resource the container serves (the
    /// [`LABEL_JOB_ARN`] label), so a restarted server finds it.
    pub owner_arn: String,
    /// Mounted read-only at `/opt/ml/model`; `None` leaves the image's own.
    pub model_dir: Option<PathBuf>,
    /// `ContainerHostname`.
    pub hostname: Option<String>,
    pub nano_cpus: i64,
    pub memory_bytes: i64,
    /// No network at all (docs/architecture.md "Security model").
    pub network_isolated: bool,
    /// SIGTERM → SIGKILL grace when a failed [`start`] ends the container
    /// it created (a caller ending a started one passes its own to
    /// [`Running::end`]).
    pub stop_grace: Duration,
}

/// The engine's spec for `c`.
pub fn container_spec(c: &InferenceContainer) -> ContainerSpec {
    let mut spec = ContainerSpec::new(c.name.clone(), c.image_id.clone());
    spec.args = vec!["serve".into()];
    spec.env = c.env.clone();
    spec.labels
        .insert(LABEL_JOB_ARN.into(), c.owner_arn.clone());
    spec.labels
        .insert(LABEL_ACCOUNT.into(), c.account.as_str().to_owned());
    spec.labels.insert(LABEL_MANAGED.into(), "1".into());
    if let Some(dir) = &c.model_dir {
        spec.mounts.push(BindMount {
            host_path: dir.clone(),
            container_path: "/opt/ml/model".into(),
            read_only: true,
        });
    }
    spec.hostname = c.hostname.clone();
    spec.limits = Limits {
        nano_cpus: Some(c.nano_cpus),
        memory_bytes: Some(c.memory_bytes),
    };
    spec.network = if c.network_isolated {
        NetworkMode::None
    } else {
        NetworkMode::Named(NETWORK.into())
    };
    spec
}

/// Where the container's output goes.
#[derive(Debug, Clone)]
pub struct LogTarget {
    pub group: String,
    pub stream: String,
    pub account: AccountId,
    /// For log messages.
    pub job: String,
}

/// Starts `c` and its log shipper, and finds its base URL. A failure
/// after the container was created ends it (stopped, its last lines
/// shipped, removed) before this returns.
pub async fn start(
    engine: Arc<dyn ContainerEngine>,
    logs: Arc<dyn LogStore>,
    c: &InferenceContainer,
    target: LogTarget,
) -> Result<Running, Fatal> {
    if !c.network_isolated {
        engine
            .ensure_network(NETWORK, false)
            .await
            .map(drop)
            .map_err(|e| {
                Fatal(format!(
                    "InternalServerError: preparing network {NETWORK}: {e}"
                ))
            })?;
    }
    let spec = container_spec(c);
    let _ = engine.remove(&ContainerId(spec.name.clone()), true).await;
    let id = engine
        .create(&spec)
        .await
        .map_err(|e| Fatal(format!("InternalServerError: creating the container: {e}")))?;
    let mut running = Running {
        id: id.clone(),
        base_url: String::new(),
        forward: None,
        logs: None,
        network_log: None,
        exited: Arc::new(Notify::new()),
        tail: Tail::default(),
        job: target.job.clone(),
    };
    // An isolated container's attempts to reach the network go into its
    // own log stream (docs/jobs.md "Logs").
    let started = if c.network_isolated {
        engine.start_recorded(&id).await.map(|recorder| {
            let to = NetworkLogTarget {
                logs: logs.clone(),
                account: target.account.clone(),
                group: target.group.clone(),
                stream: target.stream.clone(),
                job: target.job.clone(),
            };
            running.network_log = Some(NetworkLog::spawn(recorder, to));
        })
    } else {
        engine.start(&id).await
    };
    if let Err(e) = started {
        running.end(&engine, c.stop_grace).await;
        return Err(Fatal(format!(
            "ClientError: the inference container could not be started: {e}"
        )));
    }
    let shipper = Shipper {
        engine: engine.clone(),
        logs,
        account: target.account,
        job: target.job,
        group: target.group,
        stream: target.stream,
        container: id,
        skip: 0,
        training: None,
        tail: running.tail.clone(),
        exited: Some(running.exited.clone()),
    };
    running.logs = Some(shipper.spawn());
    match running.reach(&engine, c.network_isolated).await {
        Ok(url) => {
            running.base_url = url;
            Ok(running)
        }
        Err(fatal) => {
            running.end(&engine, c.stop_grace).await;
            Err(fatal)
        }
    }
}

/// A started inference container: how to reach it, its log shipper and
/// the last lines it printed. End it with [`Running::end`].
pub struct Running {
    id: ContainerId,
    base_url: String,
    /// How a network-isolated container is reached; ends with this value.
    forward: Option<PortForward>,
    /// The log shipper, drained by [`Running::end`] so that a caller that
    /// records an end afterwards has all of the container's lines stored.
    logs: Option<Shipping>,
    /// Writes what an isolated container tried to reach into its stream.
    network_log: Option<NetworkLog>,
    /// Tells the shipper the container has stopped: it reads the last lines
    /// at once instead of waiting for the engine to end the followed stream.
    exited: Arc<Notify>,
    tail: Tail,
    /// For log messages.
    job: String,
}

impl Running {
    pub fn id(&self) -> &ContainerId {
        &self.id
    }

    /// `http://<ip>:8080`, or the loopback forward of an isolated container.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The last lines the container printed (for failure reasons).
    pub fn tail(&self) -> &Tail {
        &self.tail
    }

    /// The log shipper's task, for a caller that ends every task at once
    /// (a simulated crash).
    pub fn shipper_task(&self) -> Option<tokio::task::AbortHandle> {
        self.logs.as_ref().map(Shipping::abort_handle)
    }

    /// The base URL: the address on [`NETWORK`], or a forward to
    /// [`SERVE_PORT`] of an isolated container.
    async fn reach(
        &mut self,
        engine: &Arc<dyn ContainerEngine>,
        isolated: bool,
    ) -> Result<String, Fatal> {
        if isolated {
            let forward = engine.reach_port(&self.id, SERVE_PORT).await.map_err(|e| {
                Fatal(format!(
                    "InternalServerError: reaching the network-isolated container: {e}"
                ))
            })?;
            let url = format!("http://{}", forward.addr);
            self.forward = Some(forward);
            return Ok(url);
        }
        let info = engine.inspect(&self.id).await.map_err(|e| {
            Fatal(format!(
                "InternalServerError: inspecting the container: {e}"
            ))
        })?;
        if let Some(ip) = info.ip_addresses.get(NETWORK) {
            return Ok(format!("http://{ip}:{SERVE_PORT}"));
        }
        // A container that died at once has already left its network: that
        // is the seller's failure, told in its own words like any exit
        // before GET /ping.
        if let Some(code) = info.exit_code.filter(|_| !info.running) {
            return Err(self.not_ready(Some(code), Duration::ZERO).await);
        }
        Err(Fatal(format!(
            "InternalServerError: the inference container has no address on network {NETWORK}"
        )))
    }

    /// Waits until the container answers GET /ping with 200 (`probe` is an
    /// invoker at [`Running::base_url`]). It fails, quoting the container's
    /// last lines, when the container exits first or `timeout` passes.
    pub async fn wait_ready(
        &mut self,
        engine: &Arc<dyn ContainerEngine>,
        timeout: Duration,
        probe: &Invoker,
    ) -> Result<(), Fatal> {
        let alive = {
            let (engine, id) = (engine.clone(), self.id.clone());
            move || {
                let (engine, id) = (engine.clone(), id.clone());
                Box::pin(async move {
                    engine
                        .inspect(&id)
                        .await
                        .map(|s| s.running)
                        .unwrap_or(false)
                }) as futures::future::BoxFuture<'static, bool>
            }
        };
        if probe.wait_ready(timeout, alive).await.is_ok() {
            return Ok(());
        }
        let exit = engine
            .inspect(&self.id)
            .await
            .ok()
            .and_then(|s| s.exit_code);
        Err(self.not_ready(exit, timeout).await)
    }

    /// Why the container never became ready: it exited (`exit`), or it did
    /// not answer GET /ping with 200 within `timeout`; either way quoting
    /// its last lines.
    async fn not_ready(&mut self, exit: Option<i64>, timeout: Duration) -> Fatal {
        if exit.is_some() {
            // The container is gone: let the shipper read its output to
            // the end first, so the reason quotes what it printed last (a
            // traceback written just before it died is usually still in
            // flight when the exit is seen).
            self.exited.notify_one();
            if let Some(logs) = self.logs.take() {
                logs.finish().await;
            }
        }
        let said = excerpt(&self.tail, 5);
        let said = if said.is_empty() {
            "nothing".to_owned()
        } else {
            said
        };
        Fatal(match exit {
            Some(code) => format!(
                "ClientError: the inference container exited with code {code} before answering GET /ping; the container printed: {said}"
            ),
            None => format!(
                "ClientError: the inference container did not answer GET /ping with 200 within {} s; the container printed: {said}",
                timeout.as_secs()
            ),
        })
    }

    /// Whether the engine says the container still runs.
    pub async fn is_running(&self, engine: &Arc<dyn ContainerEngine>) -> bool {
        engine
            .inspect(&self.id)
            .await
            .map(|s| s.running)
            .unwrap_or(false)
    }

    /// Stops the container (SIGTERM, then a kill after `grace`), ships its
    /// last lines and removes it: when this returns, every line is stored
    /// and nothing is left behind. Engine failures are logged, not
    /// returned: there is nothing more a caller could do about them.
    pub async fn end(mut self, engine: &Arc<dyn ContainerEngine>, grace: Duration) {
        if let Err(e) = engine.stop(&self.id, grace).await {
            tracing::warn!(job = %self.job, error = %e, "stopping the inference container");
        }
        self.exited.notify_one();
        if let Some(logs) = self.logs.take() {
            logs.finish().await;
        }
        if let Some(network) = self.network_log.take() {
            network.finish().await;
        }
        if let Err(e) = engine.remove(&self.id, true).await {
            tracing::warn!(job = %self.job, error = %e, "removing the inference container");
        }
    }
}

/// A stable instance id for a container's log stream (`i-` + 17 hex
/// digits, the shape of an EC2 instance id), from the ARN it serves.
pub fn instance_id(arn: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(arn.as_bytes());
    let hex = hex::encode(digest);
    format!("i-{}", &hex[..17])
}

#[cfg(test)]
mod tests;
