//! Runs one training job: Starting (image) → Downloading (channels) →
//! Training (the container, with logs, metrics, MaxRuntime and stops) →
//! Uploading (model.tar.gz, output.tar.gz, checkpoints) → a terminal
//! status. Every transition is persisted before the next step; the runner
//! can be entered again after a restart (re-attach or finish).

use super::checkpoint_sync;
use super::finish::{self, Ended, StopCause};
use super::hosts;
use super::prepare::{self, WorkDir};
use super::recorder::Recorder;
use super::spec::TrainingJobSpec;
use super::state::{self, status, Plan, Secondary, TrainingJob, TrainingJobDocument};
use crate::jobs::lifecycle::{self, JobKind};
use crate::jobs::logship::Tail;
use crate::jobs::record::SummaryFn;
use crate::jobs::{JobRuntime, StopKind};
use crate::marketplace::{Usage, UsageKind};
use crate::{Error, Result, Service};
use slipway_core::ports::engine::{ContainerId, ExitStatus, NetworkMode};
use slipway_core::time_util::Micros;
use slipway_core::AccountId;
use slipway_core::{ResourceKind, ResourceRecord};
use slipway_executor::metrics::MetricPattern;
use slipway_executor::netlog::{NetworkLog, NetworkLogTarget};
use slipway_executor::training::{self, Follow, Followed, Peer};
use slipway_executor::{outputs, workdir};
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

/// The training job kind of the one job lifecycle (`jobs/lifecycle.rs`).
pub(crate) struct Training;

impl JobKind for Training {
    type Doc = TrainingJobDocument;
    type Entry = Entry;
    const KIND: ResourceKind = state::KIND;
    const NOUN: &'static str = "training job";
    const NAME_FIELD: &'static str = "TrainingJobName";
    const SUMMARY: SummaryFn<TrainingJobDocument> = |d| state::summary_of(d).map(Some);

    fn stopping(doc: &mut TrainingJobDocument, now: Micros) {
        doc.state.enter(Secondary::Stopping, None, now);
    }

    fn failed(doc: &mut TrainingJobDocument, reason: String, now: Micros) {
        doc.state.failure_reason = Some(reason);
        doc.state.training_end.get_or_insert(now);
        doc.state.enter(Secondary::Failed, None, now);
    }

    fn run(
        svc: Service,
        rt: Arc<JobRuntime>,
        account: AccountId,
        key: String,
        stop_rx: watch::Receiver<Option<StopKind>>,
        entry: Entry,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        let runner = Runner {
            svc,
            rt,
            account,
            key,
            stop_rx,
            detached: false,
            network_log: None,
            pipes: Vec::new(),
        };
        runner.run(entry)
    }

    fn runs_copy(svc: &Service, doc: &TrainingJobDocument) -> bool {
        doc.plan
            .algorithm_arn
            .as_ref()
            .is_some_and(|copy| svc.is_marketplace_arn(copy))
    }

    /// AWS bills a training job's billable time: training start to end,
    /// on each instance group (one report per group of a heterogeneous
    /// cluster, `<job arn>#<group>`, so each is priced by its type).
    fn usage(svc: &Service, record: &ResourceRecord, doc: &TrainingJobDocument) -> Vec<Usage> {
        let Some(copy) = doc.plan.algorithm_arn.as_ref() else {
            return Vec::new();
        };
        let st = &doc.state;
        let (Some(start), Some(end)) = (st.training_start, st.training_end) else {
            return Vec::new();
        };
        if !svc.is_marketplace_arn(copy) {
            return Vec::new();
        }
        super::cluster::metered_groups(&doc.spec, &doc.plan)
            .into_iter()
            .map(|(group, instance_type, instance_count)| Usage {
                id: match group {
                    Some(g) => format!("{}#{g}", record.arn),
                    None => record.arn.clone(),
                },
                user: record.account.clone(),
                copy_arn: copy.clone(),
                kind: UsageKind::Training,
                instance_type: instance_type.to_owned(),
                instance_count,
                start,
                end: end.max(start),
                units: 0,
                resource_arn: record.arn.clone(),
            })
            .collect()
    }

    fn resume<'a>(
        svc: &'a Service,
        rt: &'a Arc<JobRuntime>,
        record: &'a ResourceRecord,
    ) -> impl std::future::Future<Output = ()> + Send + 'a {
        super::reconcile::resume(svc, rt, record)
    }
}

/// Starts a runner task for the job unless one is already running here.
/// A panic in it fails the job (`jobs/supervise.rs`).
pub fn spawn(svc: Service, account: AccountId, key: String, arn: String, entry: Entry) {
    lifecycle::spawn::<Training>(svc, account, key, arn, entry);
}

/// Ends the job Failed with `reason`, unless it has ended already.
async fn record_failure(svc: &Service, account: &AccountId, key: &str, reason: &str) {
    lifecycle::record_failure::<Training>(svc, account, key, reason).await;
}

/// A failure that ends the job with `reason` (already prefixed
/// `ClientError:` / `InternalServerError:`).
pub(super) use slipway_executor::Fatal;

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
    /// Writes what a network-isolated container tried to reach into its
    /// log stream, from its start to its end (not after a re-attach: the
    /// recorder lives with the server that started the container).
    network_log: Option<NetworkLog>,
    /// Feeds the Pipe-mode channels while the container runs (dropped,
    /// they stop).
    /// The Pipe feeders of each host that has Pipe channels (host, 1-based).
    pipes: Vec<(usize, slipway_executor::pipe::Feeders)>,
}

impl Runner {
    async fn run(mut self, entry: Entry) {
        // A new job waits (InProgress / Starting) for a training slot per
        // host, or for a stop; a job re-attached after a restart already
        // has its container and takes a slot only if one is free.
        let host_count = match self.load().await {
            Ok(job) => prepare::host_count(&job.doc.spec),
            Err(_) => 1,
        };
        let slot = match entry {
            Entry::Fresh => {
                let (svc, rt) = (&self.svc, &self.rt);
                hosts::wait_for_slots(svc, rt, &self.account, &self.key, host_count, &self.stop_rx)
                    .await
            }
            _ => {
                let wanted = u32::try_from(host_count).unwrap_or(u32::MAX);
                let slots = self.rt.training_slots.clone();
                slots.try_acquire_many_owned(wanted).ok()
            }
        };
        if slot.is_none()
            && matches!(entry, Entry::Fresh)
            && *self.stop_rx.borrow() == Some(StopKind::Shutdown)
        {
            return; // never started: the next start runs it from the beginning
        }
        let _slot = slot;
        let wd = WorkDir::new(&self.rt.settings.work_root, &self.account, &self.key);
        let mut containers = Vec::new();
        let outcome = self.drive(entry, &wd, &mut containers).await;
        if self.detached {
            // The container still runs and writes into the work directory;
            // the next server re-attaches to both.
            return;
        }
        // The containers (and a distributed job's network) go before the
        // terminal status is written: a client that sees the job ended
        // finds nothing left behind.
        for id in containers {
            if let Err(e) = self.rt.engine.remove(&id, true).await {
                tracing::warn!(job = %self.key, error = %e, "removing the training container");
            }
        }
        if host_count > 1 {
            let network = hosts::network_name(&self.account, &self.key);
            if let Err(e) = self.rt.engine.remove_network(&network).await {
                tracing::warn!(job = %self.key, error = %e, "removing the job's network");
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
        containers: &mut Vec<ContainerId>,
    ) -> Result<(), Fatal> {
        let job = self.load().await?;
        if status::is_terminal(&job.record.status) {
            return Ok(());
        }
        let stopping = job.record.status == status::STOPPING;
        let checkpoints = job.doc.spec.checkpoint_config.as_ref();
        let checkpoints = checkpoints.map(|c| c.s3_uri.clone());
        let ids = match entry {
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
                Some(ids) => ids,
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
            Entry::Reattach(id) => {
                // Only a one-host job is re-attached (reconcile.rs).
                let req = &job.doc.spec;
                self.pipes =
                    super::pipes::start_resumed(&self.svc, &self.account, wd, req, &self.key)
                        .await
                        .map(|f| (1, f))
                        .into_iter()
                        .collect();
                vec![id]
            }
            Entry::Finish(id) => vec![id],
        };
        *containers = ids.clone();
        let tails: Vec<Tail> = ids.iter().map(|_| Tail::default()).collect();
        // algo-1's checkpoints (its tree is the job's root) are synced while
        // the job runs.
        let (svc, rt, cp) = (&self.svc, &self.rt, checkpoints.as_deref());
        let syncing = checkpoint_sync::start(svc, rt, &self.account, &self.key, cp, wd);
        let watched = self.watch(&ids, &tails).await;
        drop(syncing); // the containers have stopped: the final upload follows
        self.pipes.clear(); // the containers have ended (or are left to the next server)
                            // A failure while following leaves `containers` for `run` to remove.
        let (ended, logs) = match watched? {
            Followed::Detached => {
                self.detached = true;
                containers.clear();
                return Ok(());
            }
            Followed::HostFailed { host, exit } => {
                return Err(self.host_failure(wd, host + 1, exit, &tails[host]).await);
            }
            Followed::Ended(ended, logs) => (ended, logs),
        };
        // The exit code is known: the container has served. Its removal
        // (and the last log lines' shipping) overlaps the upload; conclude
        // waits for both before it writes the terminal status. (A
        // distributed job's other hosts are removed by `run`.)
        let (engine, key) = (self.rt.engine.clone(), self.key.clone());
        let id = ids[0].clone();
        let network_log = self.network_log.take();
        let cleanup = tokio::spawn(async move {
            if let Some(l) = logs {
                l.finish().await;
            }
            if let Some(n) = network_log {
                n.finish().await;
            }
            if let Err(e) = engine.remove(&id, true).await {
                tracing::warn!(job = %key, error = %e, "removing the training container");
            }
        });
        containers.remove(0);
        finish::conclude_after(
            cleanup,
            self.svc.clone(),
            &self.account,
            &self.key,
            wd,
            ended,
            &tails[0],
        )
        .await
    }

    /// The FailureReason of a distributed job whose host `n` (1-based)
    /// exited non-zero: that host's failure file or last lines, named.
    async fn host_failure(&self, wd: &WorkDir, n: usize, exit: ExitStatus, tail: &Tail) -> Fatal {
        let job = match self.load().await {
            Ok(job) => job,
            Err(e) => return e,
        };
        let shape = super::cluster::shape_of(&job.doc.plan, n);
        let reason = outputs::failure_reason(
            &wd.for_host(n),
            exit,
            shape.instance_type,
            shape.memory_bytes,
            tail,
        )
        .await;
        Fatal(hosts::naming_host(&reason, n))
    }

    /// Starting and Downloading, then creates and starts the containers
    /// (`algo-1` first). `None` when a stop arrived before they started.
    async fn start(
        &mut self,
        job: TrainingJob,
        wd: &WorkDir,
    ) -> Result<Option<Vec<ContainerId>>, Fatal> {
        let plan = &job.doc.plan;
        let req = &job.doc.spec;
        let image =
            crate::jobs::lifecycle::pull_image(&self.svc, &self.account, &plan.image, "training")
                .await?;
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
        let count = prepare::host_count(req);
        // `algo-1`'s tree first: laying it out clears the job's whole tree,
        // the other hosts' included.
        for n in 1..=count {
            self.prepare_host(req, plan, &wd.for_host(n), n).await?;
        }
        if self.stop_requested() {
            return Ok(None);
        }
        let specs = hosts::container_specs(
            &self.rt,
            (&self.account, &self.key),
            &job,
            wd,
            &image.id,
            count,
        )
        .await?;
        let mut ids = Vec::with_capacity(count);
        for spec in &specs {
            // A container of the same name can only be a leftover of an
            // earlier attempt of this job that never started: replace it.
            let _ = self
                .rt
                .engine
                .remove(&ContainerId(spec.name.clone()), true)
                .await;
            match self.rt.engine.create(spec).await {
                Ok(id) => ids.push(id),
                Err(e) => {
                    self.remove_all(&ids).await;
                    return Err(Fatal(format!(
                        "InternalServerError: creating the container: {e}"
                    )));
                }
            }
        }
        let started = self.svc.wall_micros();
        let stream = format!("{}/algo-1-{}", job.record.name, started / 1_000_000);
        let name = specs[0].name.clone();
        state::mutate(&self.svc, &self.account, &self.key, |_, doc| {
            doc.state.container = Some(name.clone());
            doc.state.log_stream = Some(stream.clone());
            doc.state.training_start = Some(started);
            doc.state.enter(Secondary::Training, None, started);
            Ok(true)
        })
        .await?;
        for (n, (id, spec)) in ids.iter().zip(&specs).enumerate() {
            // EnableNetworkIsolation on one host: no network at all, and
            // what the container tries to reach goes into its log stream
            // (docs/jobs.md "Logs").
            let started = if spec.network == NetworkMode::None {
                self.rt.engine.start_recorded(id).await.map(|recorder| {
                    let target = NetworkLogTarget {
                        logs: self.svc.logs.clone(),
                        account: self.account.clone(),
                        group: super::LOG_GROUP.to_owned(),
                        stream: stream.clone(),
                        job: self.key.clone(),
                    };
                    self.network_log = Some(NetworkLog::spawn(recorder, target));
                })
            } else {
                self.rt.engine.start(id).await
            };
            if let Err(e) = started {
                self.remove_all(&ids).await;
                let which = if count > 1 {
                    format!(" of {}", training::host_name(n + 1))
                } else {
                    String::new()
                };
                return Err(Fatal(format!(
                    "ClientError: the training container{which} could not be started: {e}"
                )));
            }
        }
        Ok(Some(ids))
    }

    /// Host `n`'s `/opt/ml`: config files, its channel data, checkpoints.
    async fn prepare_host(
        &mut self,
        req: &TrainingJobSpec,
        plan: &Plan,
        wd: &WorkDir,
        n: usize,
    ) -> Result<(), Fatal> {
        workdir::lay_out(wd, &prepare::config_files(req, plan, n))
            .await
            .map_err(|e| Fatal(format!("InternalServerError: preparing /opt/ml: {e}")))?;
        workdir::download_channels(
            &self.svc.job_data(),
            &self.account,
            wd,
            &prepare::channel_sources(req, n),
        )
        .await
        .map_err(|e| Fatal(format!("ClientError: Data download failed: {e}")))?;
        let fed =
            super::pipes::start_fresh(&self.svc, &self.account, wd, req, n, &self.key).await?;
        self.pipes.extend(fed.map(|f| (n, f)));
        if let Some(cp) = &req.checkpoint_config {
            outputs::restore_checkpoints(
                &self.svc.job_data(),
                &self.account,
                &cp.s3_uri,
                &wd.checkpoints(),
            )
            .await?;
        }
        Ok(())
    }

    async fn remove_all(&self, ids: &[ContainerId]) {
        for id in ids {
            let _ = self.rt.engine.remove(id, true).await;
        }
    }

    /// Follows the running containers (`algo-1` first) to their end (the
    /// executor enforces MaxRuntime and honours stops); `tails[n]` gets
    /// host `n + 1`'s last lines.
    async fn watch(&mut self, ids: &[ContainerId], tails: &[Tail]) -> Result<Followed, Fatal> {
        let job = self.load().await?;
        let plan = &job.doc.plan;
        let started = job
            .doc
            .state
            .training_start
            .unwrap_or_else(|| self.svc.wall_micros());
        let elapsed = Duration::from_micros((self.svc.wall_micros() - started).max(0) as u64);
        let budget = Duration::from_secs(plan.max_runtime_seconds.max(1) as u64);
        let first_stream = job
            .doc
            .state
            .log_stream
            .clone()
            .unwrap_or_else(|| format!("{}/algo-1-0", job.record.name));
        let peers = ids
            .iter()
            .zip(tails)
            .enumerate()
            .skip(1)
            .map(|(i, (id, tail))| Peer {
                container: id.clone(),
                log_stream: hosts::log_stream_of(&first_stream, &job.record.name, i + 1),
                tail: tail.clone(),
            })
            .collect();
        let follow = Follow {
            container: ids[0].clone(),
            account: self.account.clone(),
            job: self.key.clone(),
            log_group: super::LOG_GROUP,
            log_stream: first_stream,
            skip: job.doc.state.log_lines_shipped,
            metrics: plan
                .metric_definitions
                .iter()
                .map(|d| MetricPattern {
                    name: d.name.clone(),
                    regex: d.regex.clone(),
                })
                .collect(),
            seed: job.doc.state.final_metrics.clone(),
            samples_stored: job.doc.state.metric_samples_stored,
            remaining: budget.saturating_sub(elapsed),
            stopping: job.record.status == status::STOPPING,
            peers,
            failure: super::pipes::failure(&self.pipes, ids.len() > 1),
        };
        let ex = training::Engine {
            engine: self.rt.engine.clone(),
            logs: self.svc.logs.clone(),
            stop_grace: self.rt.settings.stop_grace,
        };
        let recorder = Arc::new(Recorder {
            svc: self.svc.clone(),
            account: self.account.clone(),
            key: self.key.clone(),
            name: job.record.name.clone(),
        });
        let rt = self.rt.clone();
        training::follow(
            &ex,
            follow,
            &tails[0],
            &mut self.stop_rx,
            recorder.clone(),
            recorder.as_ref(),
            |task| rt.track(task),
        )
        .await
    }
}

/// The engine-side name of a job's container.
pub fn container_name(account: &AccountId, key: &str) -> String {
    format!("slipway-train-{}-{key}", account.as_str())
}
