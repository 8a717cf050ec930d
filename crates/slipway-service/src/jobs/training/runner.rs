//! Runs one training job: Starting (image) → Downloading (channels) →
//! Training (the container, with logs, metrics, MaxRuntime and stops) →
//! Uploading (model.tar.gz, output.tar.gz, checkpoints) → a terminal
//! status. Every transition is persisted before the next step; the runner
//! can be entered again after a restart (re-attach or finish).

use super::finish::{self, Ended, StopCause};
use super::metrics::MetricParser;
use super::prepare::{self, WorkDir};
use super::state::{self, status, Secondary, TrainingJob};
use crate::jobs::logship::{Shipper, Shipping, Tail, TrainingProgress};
use crate::jobs::{JobRuntime, StopKind};
use crate::{Error, Result, Service};
use slipway_core::ports::engine::{
    BindMount, ContainerId, ContainerSpec, EngineError, Limits, NetworkMode, LABEL_ACCOUNT,
    LABEL_JOB_ARN, LABEL_MANAGED,
};
use slipway_core::AccountId;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Where a runner picks a job up.
#[derive(Debug, Clone)]
pub enum Entry {
    /// From the start (a new job, or one whose container was never made).
    Fresh,
    /// Its container is running: follow it to the end.
    Reattach(ContainerId),
    /// Its container has exited: collect the outcome.
    Finish(ContainerId),
}

/// Starts a runner task for the job unless one is already running here.
/// A panic in it fails the job (`jobs/supervise.rs`).
pub fn spawn(svc: Service, account: AccountId, key: String, arn: String, entry: Entry) {
    let Some(rt) = svc.jobs.clone() else {
        return;
    };
    let fail = {
        let (svc, account, key) = (svc.clone(), account.clone(), key.clone());
        Box::new(move |reason: String| {
            Box::pin(async move { record_failure(&svc, &account, &key, &reason).await })
                as futures::future::BoxFuture<'static, ()>
        })
    };
    let runtime = rt.clone();
    crate::jobs::supervise::spawn_runner(
        &rt,
        &arn,
        move |stop_rx| {
            let runner = Runner {
                svc,
                rt: runtime,
                account,
                key,
                stop_rx,
                detached: false,
            };
            runner.run(entry)
        },
        fail,
    );
}

/// Ends the job Failed with `reason`, unless it has ended already.
async fn record_failure(svc: &Service, account: &AccountId, key: &str, reason: &str) {
    let done = state::mutate(svc, account, key, |st, doc| {
        if status::is_terminal(st) {
            return Ok(false);
        }
        *st = status::FAILED.into();
        doc.state.failure_reason = Some(state::clip_reason(reason));
        doc.state.training_end.get_or_insert(svc.wall_micros());
        doc.state.enter(Secondary::Failed, None, svc.wall_micros());
        Ok(true)
    })
    .await;
    if let Err(e) = done {
        tracing::error!(job = %key, error = %e, "recording a failed training job");
    }
}

/// A failure that ends the job with `reason` (already prefixed
/// `ClientError:` / `InternalServerError:`).
pub(super) struct Fatal(pub String);

impl From<Error> for Fatal {
    fn from(e: Error) -> Self {
        Fatal(format!("InternalServerError: {e}"))
    }
}

struct Runner {
    svc: Service,
    rt: Arc<JobRuntime>,
    account: AccountId,
    key: String,
    stop_rx: watch::Receiver<Option<StopKind>>,
    /// Left its running container to the next server (a shutdown): no
    /// cleanup, no terminal status.
    detached: bool,
}

impl Runner {
    async fn run(mut self, entry: Entry) {
        let wd = WorkDir::new(&self.rt.settings.work_root, &self.account, &self.key);
        let mut container = None;
        let outcome = self.drive(entry, &wd, &mut container).await;
        if self.detached {
            // The container still runs and writes into the work directory;
            // the next server re-attaches to both.
            return;
        }
        // The container goes before the terminal status is written: a
        // client that sees the job ended finds nothing left behind.
        if let Some(id) = container {
            if let Err(e) = self.rt.engine.remove(&id, true).await {
                tracing::warn!(job = %self.key, error = %e, "removing the training container");
            }
        }
        if let Err(Fatal(reason)) = outcome {
            tracing::info!(job = %self.key, %reason, "training job failed");
            record_failure(&self.svc, &self.account, &self.key, &reason).await;
        }
        if !self.rt.settings.keep_work_dirs {
            let _ = tokio::fs::remove_dir_all(&wd.root).await;
        }
    }

    /// A StopTrainingJob arrived (a shutdown lets the start finish: the
    /// job is re-attached after the restart).
    fn stop_requested(&self) -> bool {
        *self.stop_rx.borrow() == Some(StopKind::User)
    }

    async fn load(&self) -> Result<TrainingJob, Fatal> {
        Ok(state::mutate(&self.svc, &self.account, &self.key, |_, _| Ok(false)).await?)
    }

    async fn drive(
        &mut self,
        entry: Entry,
        wd: &WorkDir,
        container: &mut Option<ContainerId>,
    ) -> Result<(), Fatal> {
        let job = self.load().await?;
        if status::is_terminal(&job.record.status) {
            return Ok(());
        }
        let stopping = job.record.status == status::STOPPING;
        let id = match entry {
            Entry::Fresh if stopping => {
                return finish::conclude(
                    self.svc.clone(),
                    &self.account,
                    &self.key,
                    wd,
                    Ended::Stopped {
                        cause: StopCause::User,
                        exit: None,
                    },
                    &Tail::default(),
                )
                .await;
            }
            Entry::Fresh => match self.start(job, wd).await? {
                Some(id) => id,
                None => {
                    // Stopped before a container existed.
                    return finish::conclude(
                        self.svc.clone(),
                        &self.account,
                        &self.key,
                        wd,
                        Ended::Stopped {
                            cause: StopCause::User,
                            exit: None,
                        },
                        &Tail::default(),
                    )
                    .await;
                }
            },
            Entry::Reattach(id) | Entry::Finish(id) => id,
        };
        *container = Some(id.clone());
        let tail = Tail::default();
        let watched = match self.watch(&id, &tail).await {
            Ok(None) => {
                self.detached = true;
                *container = None;
                return Ok(());
            }
            Ok(Some(w)) => Ok(w),
            Err(e) => Err(e),
        };
        // The exit code is known: the container has served. Its removal
        // (and the last log lines' shipping) overlaps the upload; conclude
        // waits for both before it writes the terminal status.
        let (engine, key) = (self.rt.engine.clone(), self.key.clone());
        let (ended, logs) = match watched {
            Ok(w) => w,
            Err(e) => {
                let _ = engine.remove(&id, true).await;
                *container = None;
                return Err(e);
            }
        };
        let cleanup = tokio::spawn(async move {
            if let Some(l) = logs {
                l.finish().await;
            }
            if let Err(e) = engine.remove(&id, true).await {
                tracing::warn!(job = %key, error = %e, "removing the training container");
            }
        });
        *container = None;
        finish::conclude_after(
            cleanup,
            self.svc.clone(),
            &self.account,
            &self.key,
            wd,
            ended,
            &tail,
        )
        .await
    }

    /// Starting and Downloading, then creates and starts the container.
    /// `None` when a stop arrived before the container was started.
    async fn start(&self, job: TrainingJob, wd: &WorkDir) -> Result<Option<ContainerId>, Fatal> {
        let plan = &job.doc.plan;
        let req = &job.doc.spec;
        let (image_ref, auth) = self
            .svc
            .image_for_job(&self.account, &plan.image)
            .await
            .map_err(|e| {
                Fatal(format!(
                    "ClientError: the training image {} cannot be resolved: {e}",
                    plan.image
                ))
            })?;
        let image = match self.rt.engine.ensure_image(&image_ref, auth.as_ref()).await {
            Ok(i) => i,
            Err(EngineError::ImageNotFound { image, detail }) => {
                return Err(Fatal(format!(
                    "ClientError: the training image {image} could not be found or pulled: {detail}"
                )));
            }
            Err(e) => return Err(Fatal(format!("InternalServerError: {e}"))),
        };
        if self.stop_requested() {
            return Ok(None);
        }
        let image_id = image.id.clone();
        state::mutate(&self.svc, &self.account, &self.key, |_, doc| {
            doc.state.image_id = Some(image_id.clone());
            doc.state
                .enter(Secondary::Downloading, None, self.svc.wall_micros());
            Ok(true)
        })
        .await?;
        prepare::lay_out(wd, req, plan)
            .await
            .map_err(|e| Fatal(format!("InternalServerError: preparing /opt/ml: {e}")))?;
        prepare::download_channels(&self.svc, &self.account, wd, req)
            .await
            .map_err(|e| Fatal(format!("ClientError: Data download failed: {e}")))?;
        if let Some(cp) = &req.checkpoint_config {
            finish::restore_checkpoints(&self.svc, &self.account, &cp.s3_uri, &wd.checkpoints())
                .await?;
        }
        if self.stop_requested() {
            return Ok(None);
        }
        let spec = self.container_spec(&job, wd, &image.id);
        // A container of the same name can only be a leftover of an
        // earlier attempt of this job that never started: replace it.
        let _ = self
            .rt
            .engine
            .remove(&ContainerId(spec.name.clone()), true)
            .await;
        let id = self
            .rt
            .engine
            .create(&spec)
            .await
            .map_err(|e| Fatal(format!("InternalServerError: creating the container: {e}")))?;
        let started = self.svc.wall_micros();
        let stream = format!("{}/algo-1-{}", job.record.name, started / 1_000_000);
        let name = spec.name.clone();
        state::mutate(&self.svc, &self.account, &self.key, |_, doc| {
            doc.state.container = Some(name.clone());
            doc.state.log_stream = Some(stream.clone());
            doc.state.training_start = Some(started);
            doc.state.enter(Secondary::Training, None, started);
            Ok(true)
        })
        .await?;
        if let Err(e) = self.rt.engine.start(&id).await {
            let _ = self.rt.engine.remove(&id, true).await;
            return Err(Fatal(format!(
                "ClientError: the training container could not be started: {e}"
            )));
        }
        Ok(Some(id))
    }

    fn container_spec(&self, job: &TrainingJob, wd: &WorkDir, image_id: &str) -> ContainerSpec {
        let req = &job.doc.spec;
        let plan = &job.doc.plan;
        let mut spec = ContainerSpec::new(container_name(&self.account, &self.key), image_id);
        spec.entrypoint = req.algorithm_specification.container_entrypoint.clone();
        spec.args = req
            .algorithm_specification
            .container_arguments
            .clone()
            .unwrap_or_else(|| vec!["train".to_owned()]);
        spec.env = req.environment.clone().into_iter().collect();
        spec.env
            .insert("TRAINING_JOB_NAME".into(), job.record.name.clone());
        spec.env
            .insert("TRAINING_JOB_ARN".into(), job.record.arn.clone());
        spec.labels
            .insert(LABEL_JOB_ARN.into(), job.record.arn.clone());
        spec.labels
            .insert(LABEL_ACCOUNT.into(), self.account.as_str().to_owned());
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
        // (jobs/untrusted.rs).
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
        if let Some(cp) = &req.checkpoint_config {
            spec.mounts.push(BindMount {
                host_path: wd.checkpoints(),
                container_path: cp
                    .local_path
                    .clone()
                    .unwrap_or_else(|| "/opt/ml/checkpoints".into()),
                read_only: false,
            });
        }
        spec.hostname = Some("algo-1".into());
        spec.limits = Limits {
            nano_cpus: Some(plan.nano_cpus),
            memory_bytes: Some(plan.memory_bytes),
        };
        spec.network = if req.network_isolated() {
            NetworkMode::None
        } else {
            NetworkMode::Default
        };
        spec
    }

    /// Follows the running container to its end, enforcing MaxRuntime and
    /// honouring stops.
    /// A clean exit returns the still-draining log shipper (it only has the
    /// last lines and metrics to store, which can overlap the upload);
    /// every other ending has drained it already, for the failure reason.
    async fn watch(
        &mut self,
        id: &ContainerId,
        tail: &Tail,
    ) -> Result<Option<(Ended, Option<Shipping>)>, Fatal> {
        let job = self.load().await?;
        let plan = job.doc.plan.clone();
        let exited = Arc::new(tokio::sync::Notify::new());
        let shipper = Shipper {
            svc: self.svc.clone(),
            account: self.account.clone(),
            job: self.key.clone(),
            group: super::LOG_GROUP,
            stream: job
                .doc
                .state
                .log_stream
                .clone()
                .unwrap_or_else(|| format!("{}/algo-1-0", job.record.name)),
            container: id.clone(),
            skip: job.doc.state.log_lines_shipped,
            training: Some(TrainingProgress {
                key: self.key.clone(),
                metrics: MetricParser::new(&plan.metric_definitions, &job.doc.state.final_metrics),
            }),
            tail: tail.clone(),
            exited: Some(exited.clone()),
        };
        let logs = shipper.spawn();
        let started = job
            .doc
            .state
            .training_start
            .unwrap_or_else(|| self.svc.wall_micros());
        let elapsed = Duration::from_micros((self.svc.wall_micros() - started).max(0) as u64);
        let budget = Duration::from_secs(plan.max_runtime_seconds.max(1) as u64);
        let remaining = budget.saturating_sub(elapsed);
        let already_stopping = job.record.status == status::STOPPING;
        let engine = self.rt.engine.clone();
        let cause = if already_stopping {
            Some(StopCause::User)
        } else {
            let stop = async {
                let _ = self.stop_rx.wait_for(Option::is_some).await;
            };
            tokio::select! {
                exit = engine.wait(id) => {
                    exited.notify_one();
                    let exit = exit.map_err(|e| Fatal(format!("InternalServerError: waiting for the container: {e}")))?;
                    if exit.code == 0 {
                        return Ok(Some((Ended::Exited(exit), Some(logs))));
                    }
                    logs.finish().await;
                    return Ok(Some((Ended::Exited(exit), None)));
                }
                _ = tokio::time::sleep(remaining) => Some(StopCause::MaxRuntime),
                _ = stop => Some(StopCause::User),
            }
        };
        if *self.stop_rx.borrow() == Some(StopKind::Shutdown) && cause == Some(StopCause::User) {
            // Leave the container running; the shipper's unshipped lines
            // are read again after the restart (log_lines_shipped).
            logs.abandon();
            return Ok(None);
        }
        let cause = cause.unwrap_or(StopCause::User);
        if cause == StopCause::MaxRuntime {
            state::mutate(&self.svc, &self.account, &self.key, |st, doc| {
                if status::is_terminal(st) {
                    return Ok(false);
                }
                *st = status::STOPPING.into();
                doc.state
                    .enter(Secondary::Stopping, None, self.svc.wall_micros());
                Ok(true)
            })
            .await?;
        }
        engine
            .stop(id, self.rt.settings.stop_grace)
            .await
            .map_err(|e| Fatal(format!("InternalServerError: stopping the container: {e}")))?;
        let exit = engine.wait(id).await.ok();
        exited.notify_one();
        logs.finish().await;
        Ok(Some((Ended::Stopped { cause, exit }, None)))
    }
}

/// The engine-side name of a job's container.
pub fn container_name(account: &AccountId, key: &str) -> String {
    format!("slipway-train-{}-{key}", account.as_str())
}
