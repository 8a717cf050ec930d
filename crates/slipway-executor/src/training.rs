//! Driving a training container (docs/contracts.md §3): its spec, and
//! following it to its end while enforcing MaxRuntimeInSeconds and
//! honouring stops. The caller (the control plane) decides what runs and
//! records what happens; this reports through [`TrainingEvents`] and the
//! log shipper's [`LogProgress`].

use crate::logship::{LogProgress, Shipper, Shipping, Tail, TrainingProgress};
use crate::metrics::{MetricParser, MetricPattern, MetricValue};
use crate::outputs::{Ended, StopCause};
use crate::workdir::WorkDir;
use crate::{Fatal, StopKind};
use futures::future::{join_all, try_join_all};
use futures::stream::{FuturesUnordered, StreamExt};
use futures::FutureExt;
use slipway_core::ports::engine::{
    BindMount, ContainerEngine, ContainerId, ContainerSpec, ExitStatus, Limits, NetworkMode,
    LABEL_ACCOUNT, LABEL_JOB_ARN, LABEL_MANAGED,
};
use slipway_core::ports::logs::LogStore;
use slipway_core::AccountId;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The first host of a training job (the only one of most): its model
/// and output are the job's.
pub const FIRST_HOST: &str = "algo-1";

/// The name of host `n` (1-based) of a training job.
pub fn host_name(n: usize) -> String {
    format!("algo-{n}")
}

/// What a training container runs, decided by the control plane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainingContainer {
    /// The engine-side name.
    pub name: String,
    pub image_id: String,
    pub entrypoint: Option<Vec<String>>,
    pub args: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub account: AccountId,
    /// Labelled on the container, so a restarted server finds it.
    pub job_arn: String,
    /// Where the checkpoint directory is mounted, when the job keeps
    /// checkpoints.
    pub checkpoint_path: Option<String>,
    pub nano_cpus: i64,
    pub memory_bytes: i64,
    /// No network at all (docs/architecture.md "Security model"), unless
    /// the job has a network of its own.
    pub network_isolated: bool,
    /// `algo-1` … `algo-N`: the hostname, and on the job's network the
    /// name the other hosts reach this one by.
    pub host: String,
    /// The job's own network when it runs on several hosts (internal under
    /// isolation: the hosts reach each other and nothing else).
    pub cluster_network: Option<String>,
}

/// The engine's spec for `c`, with `/opt/ml` from `wd`.
pub fn container_spec(c: &TrainingContainer, wd: &WorkDir) -> ContainerSpec {
    let mut spec = ContainerSpec::new(c.name.clone(), c.image_id.clone());
    spec.entrypoint = c.entrypoint.clone();
    spec.args = c.args.clone();
    spec.env = c.env.clone();
    spec.labels.insert(LABEL_JOB_ARN.into(), c.job_arn.clone());
    spec.labels
        .insert(LABEL_ACCOUNT.into(), c.account.as_str().to_owned());
    spec.labels.insert(LABEL_MANAGED.into(), "1".into());
    spec.mounts.push(BindMount {
        host_path: wd.opt_ml(),
        container_path: "/opt/ml".into(),
        read_only: false,
    });
    // The directories the server reads back get mounts of their own:
    // a mount point cannot be renamed or replaced by a link (EBUSY), so
    // the roots of what is uploaded stay the server's directories. What
    // is inside them is still read without following links
    // (untrusted.rs).
    for (host_path, container_path) in [
        (wd.model(), "/opt/ml/model"),
        (wd.output(), "/opt/ml/output"),
        (wd.output_data(), "/opt/ml/output/data"),
    ] {
        spec.mounts.push(BindMount {
            host_path,
            container_path: container_path.into(),
            read_only: false,
        });
    }
    if let Some(path) = &c.checkpoint_path {
        spec.mounts.push(BindMount {
            host_path: wd.checkpoints(),
            container_path: path.clone(),
            read_only: false,
        });
    }
    spec.hostname = Some(c.host.clone());
    spec.limits = Limits {
        nano_cpus: Some(c.nano_cpus),
        memory_bytes: Some(c.memory_bytes),
    };
    spec.network = match (&c.cluster_network, c.network_isolated) {
        (Some(net), _) => {
            spec.network_aliases = vec![c.host.clone()];
            NetworkMode::Named(net.clone())
        }
        (None, true) => NetworkMode::None,
        (None, false) => NetworkMode::Default,
    };
    spec
}

/// What the control plane records while a training container runs.
#[async_trait::async_trait]
pub trait TrainingEvents: Send + Sync {
    /// MaxRuntimeInSeconds has passed: the container is about to be
    /// stopped (the job is Stopping from now).
    async fn max_runtime_reached(&self) -> Result<(), Fatal>;
}

/// A running (or exited) training container to follow to its end.
pub struct Follow {
    pub container: ContainerId,
    pub account: AccountId,
    /// For log messages.
    pub job: String,
    pub log_group: &'static str,
    pub log_stream: String,
    /// Log lines shipped already (a re-attach after a restart).
    pub skip: u64,
    pub metrics: Vec<MetricPattern>,
    /// The metric values recorded so far.
    pub seed: Vec<MetricValue>,
    /// Metric samples stored so far (counted against the per-job cap).
    pub samples_stored: u64,
    /// Time left of MaxRuntimeInSeconds.
    pub remaining: Duration,
    /// The job is Stopping already: stop the container at once.
    pub stopping: bool,
    /// The other hosts of a distributed job (`algo-2` …), in order.
    pub peers: Vec<Peer>,
    /// A failure from outside the containers (a Pipe-mode channel's data
    /// failing mid-stream, `pipe::first_failure`): when it comes, every
    /// host is stopped and following ends with it.
    pub failure: Option<futures::future::BoxFuture<'static, Fatal>>,
}

/// Another host of a distributed job. Its log goes to a stream of its own,
/// and its metrics are its own series (reported through
/// [`LogProgress::host_samples`]); the job's final values are `algo-1`'s.
pub struct Peer {
    pub container: ContainerId,
    pub log_stream: String,
    /// Its last lines, for a FailureReason that names it.
    pub tail: Tail,
}

/// What the executor needs to drive containers.
#[derive(Clone)]
pub struct Engine {
    pub engine: Arc<dyn ContainerEngine>,
    /// Where container logs are stored.
    pub logs: Arc<dyn LogStore>,
    /// SIGTERM → SIGKILL grace of a stop.
    pub stop_grace: Duration,
}

/// How following ended.
pub enum Followed {
    /// A shutdown: the container is left running for the next server (the
    /// shipper's unshipped lines are read again after the restart).
    Detached,
    /// The container ended. A clean exit comes with the still-draining log
    /// shipper (it only has the last lines and metrics to store, which can
    /// overlap the upload); every other ending has drained it already, for
    /// the failure reason.
    Ended(Ended, Option<Shipping>),
    /// A host of a distributed job exited non-zero; every other host has
    /// been stopped and every log drained. `host` counts from 0 (`algo-1`;
    /// `n` is `peers[n - 1]`).
    HostFailed { host: usize, exit: ExitStatus },
}

/// Why following stopped before every host exited cleanly.
enum Interrupted {
    Stop(StopCause),
    HostFailed(usize, ExitStatus),
    /// [`Follow::failure`] came.
    Failed(Fatal),
}

/// Follows the job's containers to their end, shipping their logs,
/// enforcing MaxRuntime and honouring stops. A distributed job ends when
/// every host has exited 0, or when one exits non-zero (the others are then
/// stopped), or when [`Follow::failure`] comes (every host is stopped and
/// the failure returned once their logs are drained). `track` is given
/// each shipper's task (so a simulated crash ends them too).
pub async fn follow(
    ex: &Engine,
    mut f: Follow,
    tail: &Tail,
    stop_rx: &mut watch::Receiver<Option<StopKind>>,
    progress: Arc<dyn LogProgress>,
    events: &dyn TrainingEvents,
    mut track: impl FnMut(tokio::task::AbortHandle),
) -> Result<Followed, Fatal> {
    let mut ids = vec![f.container.clone()];
    ids.extend(f.peers.iter().map(|p| p.container.clone()));
    let exited: Vec<_> = ids
        .iter()
        .map(|_| Arc::new(tokio::sync::Notify::new()))
        .collect();
    // Every host's log is parsed; each counts its own samples against the
    // cap (a peer is never re-attached, so it starts from none).
    let shipper = |container: &ContainerId, stream: &str, tail: &Tail, n: usize| Shipper {
        engine: ex.engine.clone(),
        logs: ex.logs.clone(),
        account: f.account.clone(),
        job: f.job.clone(),
        group: f.log_group.into(),
        stream: stream.to_owned(),
        container: container.clone(),
        skip: 0,
        training: Some(TrainingProgress {
            metrics: MetricParser::new(&f.metrics, &[], 0),
            events: progress.clone(),
            host: n + 1,
        }),
        tail: tail.clone(),
        exited: Some(exited[n].clone()),
    };
    let logs = Shipper {
        skip: f.skip,
        training: Some(TrainingProgress {
            metrics: MetricParser::new(&f.metrics, &f.seed, f.samples_stored),
            events: progress.clone(),
            host: 1,
        }),
        ..shipper(&f.container, &f.log_stream, tail, 0)
    }
    .spawn();
    track(logs.abort_handle());
    let mut peer_logs = Vec::with_capacity(f.peers.len());
    for (i, p) in f.peers.iter().enumerate() {
        let shipping = shipper(&p.container, &p.log_stream, &p.tail, i + 1).spawn();
        track(shipping.abort_handle());
        peer_logs.push(shipping);
    }
    let engine = ex.engine.clone();
    let mut first_exit = None;
    let interrupted = if f.stopping {
        Interrupted::Stop(StopCause::User)
    } else {
        let mut waits: FuturesUnordered<_> = ids
            .iter()
            .enumerate()
            .map(|(n, id)| {
                let (engine, id) = (engine.clone(), id.clone());
                async move { (n, engine.wait(&id).await) }
            })
            .collect();
        let deadline = tokio::time::sleep(f.remaining);
        tokio::pin!(deadline);
        let stop = async {
            let _ = stop_rx.wait_for(Option::is_some).await;
        };
        tokio::pin!(stop);
        let outside = f.failure.take();
        let failure = async {
            match outside {
                Some(failure) => failure.await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(failure);
        loop {
            tokio::select! {
                Some((n, exit)) = waits.next() => {
                    exited[n].notify_one();
                    let exit = exit.map_err(|e| Fatal(format!("InternalServerError: waiting for the container: {e}")))?;
                    if n == 0 {
                        first_exit = Some(exit);
                    }
                    if exit.code != 0 {
                        // A container that gave up on what a failed
                        // channel left it: the data's failure is the reason.
                        if let Some(reason) = failure.as_mut().now_or_never() {
                            break Interrupted::Failed(reason);
                        }
                    }
                    if exit.code != 0 && f.peers.is_empty() {
                        logs.finish().await;
                        return Ok(Followed::Ended(Ended::Exited(exit), None));
                    }
                    if exit.code != 0 {
                        break Interrupted::HostFailed(n, exit);
                    }
                    if waits.is_empty() {
                        // Every host is done: the peers' last lines now,
                        // algo-1's may overlap the upload.
                        join_all(peer_logs.into_iter().map(Shipping::finish)).await;
                        let exit = first_exit.unwrap_or(exit);
                        return Ok(Followed::Ended(Ended::Exited(exit), Some(logs)));
                    }
                }
                _ = &mut deadline => break Interrupted::Stop(StopCause::MaxRuntime),
                _ = &mut stop => break Interrupted::Stop(StopCause::User),
                reason = &mut failure => break Interrupted::Failed(reason),
            }
        }
    };
    let shutdown = *stop_rx.borrow() == Some(StopKind::Shutdown);
    if shutdown && matches!(interrupted, Interrupted::Stop(StopCause::User)) {
        // Leave the containers running; the shippers' unshipped lines are
        // read again after the restart (the lines shipped are recorded).
        logs.abandon();
        peer_logs.into_iter().for_each(Shipping::abandon);
        return Ok(Followed::Detached);
    }
    if matches!(interrupted, Interrupted::Stop(StopCause::MaxRuntime)) {
        events.max_runtime_reached().await?;
    }
    try_join_all(ids.iter().map(|id| engine.stop(id, ex.stop_grace)))
        .await
        .map_err(|e| Fatal(format!("InternalServerError: stopping the container: {e}")))?;
    let exit = match first_exit {
        Some(exit) => Some(exit),
        None => engine.wait(&f.container).await.ok(),
    };
    exited.iter().for_each(|e| e.notify_one());
    logs.finish().await;
    join_all(peer_logs.into_iter().map(Shipping::finish)).await;
    Ok(match interrupted {
        Interrupted::HostFailed(host, exit) => Followed::HostFailed { host, exit },
        Interrupted::Stop(cause) => Followed::Ended(Ended::Stopped { cause, exit }, None),
        Interrupted::Failed(reason) => return Err(reason),
    })
}
