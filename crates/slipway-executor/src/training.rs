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
use slipway_core::ports::engine::{
    BindMount, ContainerEngine, ContainerId, ContainerSpec, Limits, NetworkMode, LABEL_ACCOUNT,
    LABEL_JOB_ARN, LABEL_MANAGED,
};
use slipway_core::ports::logs::LogStore;
use slipway_core::AccountId;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The one host of a training job.
pub const HOSTNAME: &str = "algo-1";

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
    /// No network at all (docs/architecture.md "Security model").
    pub network_isolated: bool,
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
    spec.hostname = Some(HOSTNAME.into());
    spec.limits = Limits {
        nano_cpus: Some(c.nano_cpus),
        memory_bytes: Some(c.memory_bytes),
    };
    spec.network = if c.network_isolated {
        NetworkMode::None
    } else {
        NetworkMode::Default
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
}

/// Follows the container to its end, shipping its log, enforcing
/// MaxRuntime and honouring stops. `track` is given the shipper's task
/// (so a simulated crash ends it too).
pub async fn follow(
    ex: &Engine,
    f: Follow,
    tail: &Tail,
    stop_rx: &mut watch::Receiver<Option<StopKind>>,
    progress: Arc<dyn LogProgress>,
    events: &dyn TrainingEvents,
    track: impl FnOnce(tokio::task::AbortHandle),
) -> Result<Followed, Fatal> {
    let exited = Arc::new(tokio::sync::Notify::new());
    let id = f.container.clone();
    let shipper = Shipper {
        engine: ex.engine.clone(),
        logs: ex.logs.clone(),
        account: f.account.clone(),
        job: f.job.clone(),
        group: f.log_group.into(),
        stream: f.log_stream.clone(),
        container: id.clone(),
        skip: f.skip,
        training: Some(TrainingProgress {
            metrics: MetricParser::new(&f.metrics, &f.seed, f.samples_stored),
            events: progress,
        }),
        tail: tail.clone(),
        exited: Some(exited.clone()),
    };
    let logs = shipper.spawn();
    track(logs.abort_handle());
    let engine = ex.engine.clone();
    let cause = if f.stopping {
        Some(StopCause::User)
    } else {
        let stop = async {
            let _ = stop_rx.wait_for(Option::is_some).await;
        };
        tokio::select! {
            exit = engine.wait(&id) => {
                exited.notify_one();
                let exit = exit.map_err(|e| Fatal(format!("InternalServerError: waiting for the container: {e}")))?;
                if exit.code == 0 {
                    return Ok(Followed::Ended(Ended::Exited(exit), Some(logs)));
                }
                logs.finish().await;
                return Ok(Followed::Ended(Ended::Exited(exit), None));
            }
            _ = tokio::time::sleep(f.remaining) => Some(StopCause::MaxRuntime),
            _ = stop => Some(StopCause::User),
        }
    };
    if *stop_rx.borrow() == Some(StopKind::Shutdown) && cause == Some(StopCause::User) {
        // Leave the container running; the shipper's unshipped lines are
        // read again after the restart (the lines shipped are recorded).
        logs.abandon();
        return Ok(Followed::Detached);
    }
    let cause = cause.unwrap_or(StopCause::User);
    if cause == StopCause::MaxRuntime {
        events.max_runtime_reached().await?;
    }
    engine
        .stop(&id, ex.stop_grace)
        .await
        .map_err(|e| Fatal(format!("InternalServerError: stopping the container: {e}")))?;
    let exit = engine.wait(&id).await.ok();
    exited.notify_one();
    logs.finish().await;
    Ok(Followed::Ended(Ended::Stopped { cause, exit }, None))
}
