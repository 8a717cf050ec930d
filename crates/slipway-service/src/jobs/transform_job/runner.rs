//! Runs one transform job and records how it goes: mark it started, pull
//! the image, download the model, start the inference container
//! (`slipway_executor::inference`), wait for `/ping`, read
//! `/execution-parameters`, drive every input object through
//! `/invocations` (`slipway_executor::transform`) under the stop signal,
//! end the container and write Completed, Failed (naming the objects that
//! failed) or Stopped. The executor runs; everything persistent is here.

use super::instances::{self, Instance};
use super::state::{self, status, TransformJob, TransformJobDocument};
use crate::jobs::lifecycle::{self, JobKind};
use crate::jobs::record::SummaryFn;
use crate::jobs::{JobRuntime, StopKind};
use crate::marketplace::{instance_count, Usage, UsageKind};
use crate::Service;
use slipway_batch::invoke::{Invoker, InvokerConfig};
use slipway_core::time_util::Micros;
use slipway_core::AccountId;
use slipway_core::{ResourceKind, ResourceRecord};
use slipway_executor::inference::{self, InferenceContainer, LogTarget, Running};
use slipway_executor::logship::Tail;
use slipway_executor::transform::{self, Effective, ObjectFailure};
use slipway_executor::Fatal;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The CloudWatch log group of transform jobs.
pub const LOG_GROUP: &str = "/aws/sagemaker/TransformJobs";
/// Longest an inference container gets to exit on SIGTERM when its job
/// ends (the engine's own default for a forced removal).
const END_GRACE: Duration = Duration::from_secs(10);

/// The transform job kind of the one job lifecycle (`jobs/lifecycle.rs`).
/// A transform job always runs from the start (`reconcile.rs`).
pub(crate) struct Transform;

impl JobKind for Transform {
    type Doc = TransformJobDocument;
    type Entry = ();
    const KIND: ResourceKind = state::KIND;
    const NOUN: &'static str = "transform job";
    const NAME_FIELD: &'static str = "TransformJobName";
    const SUMMARY: SummaryFn<TransformJobDocument> = state::summary_of;

    fn stopping(_: &mut TransformJobDocument, _: Micros) {}

    fn failed(doc: &mut TransformJobDocument, reason: String, now: Micros) {
        doc.state.failure_reason = Some(reason);
        doc.state.end = Some(now);
    }

    async fn run(
        svc: Service,
        rt: Arc<JobRuntime>,
        account: AccountId,
        key: String,
        stop_rx: watch::Receiver<Option<StopKind>>,
        _: (),
    ) {
        let work = rt
            .settings
            .work_root
            .join(account.as_str())
            .join("transform")
            .join(&key);
        let mut runner = Runner {
            svc,
            rt,
            account,
            key,
            stop_rx,
            work,
            containers: Vec::new(),
            slots: None,
        };
        runner.run().await;
    }

    fn runs_copy(svc: &Service, doc: &TransformJobDocument) -> bool {
        doc.plan
            .metered
            .as_ref()
            .is_some_and(|copy| svc.is_marketplace_arn(copy))
    }

    /// From the job's start (the container's preparation) to its end.
    fn usage(svc: &Service, record: &ResourceRecord, doc: &TransformJobDocument) -> Vec<Usage> {
        let Some(copy) = doc.plan.metered.as_ref() else {
            return Vec::new();
        };
        let (Some(start), Some(end)) = (doc.state.start, doc.state.end) else {
            return Vec::new();
        };
        if !svc.is_marketplace_arn(copy) {
            return Vec::new();
        }
        vec![Usage {
            id: record.arn.clone(),
            user: record.account.clone(),
            copy_arn: copy.clone(),
            kind: UsageKind::Transform,
            instance_type: doc.plan.instance_type.clone(),
            instance_count: instance_count(doc.spec.transform_resources.instance_count),
            start,
            end: end.max(start),
            units: 0,
            resource_arn: record.arn.clone(),
        }]
    }

    fn resume<'a>(
        svc: &'a Service,
        rt: &'a Arc<JobRuntime>,
        record: &'a ResourceRecord,
    ) -> impl std::future::Future<Output = ()> + Send + 'a {
        super::reconcile::resume(svc, rt, record)
    }
}

/// Starts the job's runner unless one runs here; a panic in it fails the
/// job (`jobs/supervise.rs`).
pub fn spawn(svc: Service, account: AccountId, key: String, arn: String) {
    lifecycle::spawn::<Transform>(svc, account, key, arn, ());
}

struct Runner {
    svc: Service,
    rt: Arc<JobRuntime>,
    account: AccountId,
    key: String,
    stop_rx: watch::Receiver<Option<StopKind>>,
    work: PathBuf,
    /// The inference containers (one per instance) once started; ended
    /// (their last lines shipped, then removed) before the terminal status
    /// is written.
    containers: Vec<Running>,
    /// The job's container slots (one per instance), held until its
    /// containers have ended.
    slots: Option<tokio::sync::OwnedSemaphorePermit>,
}

enum Outcome {
    Completed,
    Stopped,
    /// The server is shutting down: the container goes, the job stays as
    /// it is and runs again after the restart (docs/jobs.md).
    Detached,
}

impl Runner {
    async fn run(&mut self) {
        let result = self.drive().await;
        // The container is stopped (SIGTERM, then a kill after the grace),
        // its last lines shipped, and then removed, all before the terminal
        // status is written: a client that sees the job ended finds every
        // line in CloudWatch and nothing left behind.
        let (engine, grace) = (self.rt.engine.clone(), self.end_grace());
        let ends = self
            .containers
            .drain(..)
            .map(|container| container.end(&engine, grace));
        futures::future::join_all(ends).await;
        self.slots = None;
        let (final_status, reason) = match result {
            Ok(Outcome::Detached) => return,
            Ok(Outcome::Completed) => (status::COMPLETED, None),
            Ok(Outcome::Stopped) => (status::STOPPED, None),
            Err(Fatal(r)) => (status::FAILED, Some(crate::jobs::record::clip_reason(&r))),
        };
        let saved = state::mutate(&self.svc, &self.account, &self.key, |st, doc| {
            if status::is_terminal(st) {
                return Ok(false);
            }
            // A stop that arrived while the job was failing still ends it
            // Stopped only if nothing failed first.
            *st = if *st == status::STOPPING && reason.is_none() {
                status::STOPPED.into()
            } else {
                final_status.into()
            };
            doc.state.failure_reason = reason.clone();
            doc.state.end = Some(self.svc.wall_micros());
            Ok(true)
        })
        .await;
        if let Err(e) = saved {
            tracing::error!(job = %self.key, error = %e, "recording the end of a transform job");
        }
        if !self.rt.settings.keep_work_dirs {
            let _ = tokio::fs::remove_dir_all(&self.work).await;
        }
    }

    /// Takes `count` transform container slots at once (never a part, so
    /// two waiting jobs cannot each hold what the other needs); false when
    /// a stop or shutdown came first.
    async fn take_slots(&mut self, count: usize) -> bool {
        let slots = self.rt.transform_slots.clone();
        let wanted = u32::try_from(count).unwrap_or(u32::MAX);
        if let Ok(permit) = slots.clone().try_acquire_many_owned(wanted) {
            self.slots = Some(permit);
            return true;
        }
        tracing::info!(
            job = %self.key,
            count,
            cap = self.rt.settings.max_transform_containers,
            "transform job waiting for container slots"
        );
        let mut stop = self.stop_rx.clone();
        tokio::select! {
            permit = slots.acquire_many_owned(wanted) => self.slots = permit.ok(),
            _ = stop.wait_for(Option::is_some) => {}
        }
        self.slots.is_some()
    }

    /// A StopTransformJob arrived.
    fn stopping(&self) -> bool {
        *self.stop_rx.borrow() == Some(StopKind::User)
    }

    /// SIGTERM → SIGKILL grace of the inference container.
    fn end_grace(&self) -> Duration {
        self.rt.settings.stop_grace.min(END_GRACE)
    }

    async fn drive(&mut self) -> Result<Outcome, Fatal> {
        let job = state::mutate(&self.svc, &self.account, &self.key, |st, doc| {
            if status::is_terminal(st) || *st == status::STOPPING {
                return Ok(false);
            }
            doc.state = Default::default();
            doc.state.start = Some(self.svc.wall_micros());
            Ok(true)
        })
        .await?;
        if status::is_terminal(&job.record.status) {
            return Ok(Outcome::Completed);
        }
        if job.record.status == status::STOPPING {
            return Ok(Outcome::Stopped);
        }
        let _ = tokio::fs::remove_dir_all(&self.work).await;
        tokio::fs::create_dir_all(&self.work).await.map_err(|e| {
            Fatal(format!(
                "InternalServerError: creating {}: {e}",
                self.work.display()
            ))
        })?;
        let image_id = self.pull(&job).await?;
        // Without a ModelDataUrl the image's own /opt/ml/model is left alone.
        let model_dir = match &job.doc.plan.model_data_url {
            Some(url) => {
                // A published copy's artifacts are the marketplace's: the
                // platform reads them for an entitled caller.
                let reader = self.svc.model_data_reader(&self.account, url).await;
                Some(
                    inference::download_model(&self.svc.job_data(), &reader, url, &self.work)
                        .await?,
                )
            }
            None => None,
        };
        if self.stopping() {
            return Ok(Outcome::Stopped);
        }
        let instances = Instance::all(
            &self.account,
            &self.key,
            &job.record.name,
            &job.record.arn,
            instance_total(&job),
        );
        if !self.take_slots(instances.len()).await {
            return Ok(if self.stopping() {
                Outcome::Stopped
            } else {
                Outcome::Detached
            });
        }
        let reached = self
            .start_containers(&job, &instances, image_id, model_dir)
            .await?;
        let cfg = &job.doc.spec;
        let client = cfg.model_client_config.clone().unwrap_or_default();
        let mut icfg = InvokerConfig::new(String::new());
        icfg.content_type = cfg.transform_input.content_type.clone();
        icfg.accept = cfg.transform_output.accept.clone();
        icfg.timeout =
            Duration::from_secs(client.invocations_timeout_in_seconds.unwrap_or(600).max(1) as u64);
        icfg.max_retries = client.invocations_max_retries.unwrap_or(3).max(0) as u32;
        let at = |base_url: &str, cfg: &InvokerConfig| {
            let mut cfg = cfg.clone();
            cfg.base_url = base_url.to_owned();
            Invoker::new(cfg).map_err(|e| Fatal(format!("InternalServerError: {e}")))
        };
        let probes = reached
            .iter()
            .map(|(url, _)| at(url, &icfg))
            .collect::<Result<Vec<_>, _>>()?;
        self.wait_ready(&instances, &probes).await?;
        // Every instance runs the same image and model: the first one's
        // execution parameters stand for all.
        let exec = match probes.first() {
            Some(probe) => probe.execution_parameters().await,
            None => None,
        };
        let eff = Effective::decide(cfg, exec.as_ref());
        icfg.concurrency = eff.concurrency;
        let data = self.svc.job_data();
        let inputs = transform::list_inputs(&data, &self.account, cfg)
            .await
            .map_err(|e| Fatal(format!("ClientError: {e}")))?;
        let out_base = transform::output_base(&data, &self.account, cfg)
            .await
            .map_err(|e| Fatal(format!("ClientError: cannot store the outputs: {e}")))?;
        let total = inputs.len();
        let shares = instances::deal(inputs, instances.len());
        // Each instance has its own MaxConcurrentTransforms in flight, as
        // each AWS instance does.
        let mut runs = Vec::with_capacity(instances.len());
        for ((instance, share), (url, _)) in instances.iter().zip(shares).zip(&reached) {
            let mut cfg_i = icfg.clone();
            cfg_i.in_flight = Some(Arc::new(tokio::sync::Semaphore::new(eff.concurrency)));
            let invoker = at(url, &cfg_i)?;
            let (data, account, out_base, eff) = (
                data.clone(),
                self.account.clone(),
                out_base.clone(),
                eff.clone(),
            );
            let named = (instance.count > 1).then(|| instance.label());
            runs.push(async move {
                let failures =
                    transform::run_all(&data, &account, cfg, &invoker, &eff, share, out_base)
                        .await?;
                Ok::<_, slipway_batch::filters::FilterError>(
                    failures
                        .into_iter()
                        .map(|mut f| {
                            f.instance = named.clone();
                            (instance.number, f)
                        })
                        .collect::<Vec<_>>(),
                )
            });
        }
        let run = futures::future::try_join_all(runs);
        let stop = {
            let mut rx = self.stop_rx.clone();
            async move {
                let _ = rx.wait_for(Option::is_some).await;
            }
        };
        let mut failures: Vec<(usize, ObjectFailure)> = tokio::select! {
            result = run => result
                .map_err(|e| Fatal(format!("InternalServerError: {e}")))?
                .into_iter()
                .flatten()
                .collect(),
            _ = stop => {
                return Ok(if *self.stop_rx.borrow() == Some(StopKind::Shutdown) {
                    Outcome::Detached
                } else {
                    Outcome::Stopped
                });
            }
        };
        // The first failure in key order is the one named, quoting the
        // last lines of the container that ran it.
        failures.sort_by(|a, b| a.1.uri.cmp(&b.1.uri));
        let tail = failures
            .first()
            .and_then(|(n, _)| reached.get(n - 1))
            .map(|(_, tail)| tail.clone())
            .unwrap_or_default();
        let failures: Vec<ObjectFailure> = failures.into_iter().map(|(_, f)| f).collect();
        match transform::failure_reason(&failures, total, &tail) {
            None => Ok(Outcome::Completed),
            Some(fatal) => Err(fatal),
        }
    }

    async fn pull(&self, job: &TransformJob) -> Result<String, Fatal> {
        let plan = &job.doc.plan;
        let image =
            crate::jobs::lifecycle::pull_image(&self.svc, &self.account, &plan.image, "inference")
                .await?;
        let id = image.id.clone();
        state::mutate(&self.svc, &self.account, &self.key, |_, doc| {
            doc.state.image_id = Some(id.clone());
            Ok(true)
        })
        .await?;
        Ok(image.id)
    }

    /// Starts the job's inference containers, one per instance, side by
    /// side (kept in `self.containers`, so that the end of the run ends
    /// every one that started) and records their log streams; each
    /// container's base URL and the tail of its output, in instance order.
    async fn start_containers(
        &mut self,
        job: &TransformJob,
        instances: &[Instance],
        image_id: String,
        model_dir: Option<PathBuf>,
    ) -> Result<Vec<(String, Tail)>, Fatal> {
        let plan = &job.doc.plan;
        let env = batch_environment(job);
        let starts = instances.iter().map(|instance| {
            let container = InferenceContainer {
                name: instance.container.clone(),
                image_id: image_id.clone(),
                env: env.clone(),
                account: self.account.clone(),
                owner_arn: job.record.arn.clone(),
                // The one downloaded model, mounted read-only in each.
                model_dir: model_dir.clone(),
                hostname: plan.hostname.clone(),
                nano_cpus: plan.nano_cpus,
                memory_bytes: plan.memory_bytes,
                network_isolated: plan.network_isolation,
                stop_grace: self.end_grace(),
            };
            let target = LogTarget {
                group: LOG_GROUP.into(),
                stream: instance.stream.clone(),
                account: self.account.clone(),
                job: self.key.clone(),
            };
            let (engine, logs) = (self.rt.engine.clone(), self.svc.logs.clone());
            async move {
                inference::start(engine, logs, &container, target)
                    .await
                    .map_err(|fatal| instance.name_in(fatal))
            }
        });
        let started = futures::future::join_all(starts).await;
        let mut first_failure = None;
        for result in started {
            match result {
                Ok(running) => {
                    if let Some(task) = running.shipper_task() {
                        self.rt.track(task);
                    }
                    self.containers.push(running);
                }
                Err(fatal) => {
                    first_failure.get_or_insert(fatal);
                }
            }
        }
        if let Some(fatal) = first_failure {
            return Err(fatal);
        }
        let streams: Vec<String> = instances.iter().map(|i| i.stream.clone()).collect();
        state::mutate(&self.svc, &self.account, &self.key, |_, doc| {
            doc.state.log_stream = streams.first().cloned();
            doc.state.log_streams = streams.clone();
            Ok(true)
        })
        .await?;
        Ok(self
            .containers
            .iter()
            .map(|c| (c.base_url().to_owned(), c.tail().clone()))
            .collect())
    }

    /// Waits until every container answers GET /ping; the first that
    /// cannot fails the job, naming its instance.
    async fn wait_ready(
        &mut self,
        instances: &[Instance],
        probes: &[Invoker],
    ) -> Result<(), Fatal> {
        let (engine, timeout) = (self.rt.engine.clone(), self.rt.settings.ready_timeout);
        let waits = self.containers.iter_mut().zip(probes).zip(instances).map(
            |((container, probe), instance)| {
                let engine = engine.clone();
                async move {
                    container
                        .wait_ready(&engine, timeout, probe)
                        .await
                        .map_err(|fatal| instance.name_in(fatal))
                }
            },
        );
        futures::future::try_join_all(waits).await.map(|_| ())
    }
}

/// `TransformResources.InstanceCount` (absent or below 1: one).
fn instance_total(job: &TransformJob) -> usize {
    let n = job.doc.spec.transform_resources.instance_count.unwrap_or(1);
    usize::try_from(n).unwrap_or(1).max(1)
}

/// The inference container's environment: the model's, then the job's,
/// then the variables of the batch contract (docs/contracts.md §5.1).
fn batch_environment(job: &TransformJob) -> BTreeMap<String, String> {
    let (plan, req) = (&job.doc.plan, &job.doc.spec);
    let mut env = plan.environment.clone();
    env.extend(req.environment.clone());
    env.insert("SAGEMAKER_BATCH".into(), "true".into());
    if let Some(mb) = req.max_payload_in_mb {
        env.insert("SAGEMAKER_MAX_PAYLOAD_IN_MB".into(), mb.to_string());
    }
    if let Some(s) = &req.batch_strategy {
        let v = if s == "SingleRecord" {
            "SINGLE_RECORD"
        } else {
            "MULTI_RECORD"
        };
        env.insert("SAGEMAKER_BATCH_STRATEGY".into(), v.into());
    }
    if let Some(c) = req.max_concurrent_transforms.filter(|c| *c > 0) {
        env.insert("SAGEMAKER_MAX_CONCURRENT_TRANSFORMS".into(), c.to_string());
    }
    env
}

/// The engine-side name of a transform job's container.
pub fn container_name(account: &AccountId, key: &str) -> String {
    format!("slipway-transform-{}-{key}", account.as_str())
}
