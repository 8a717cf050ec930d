//! Runs one transform job: pull the image, extract the model, start the
//! container with `serve`, wait for `/ping`, read `/execution-parameters`,
//! then drive every input object through `/invocations` (objects.rs) and
//! end Completed, Failed (naming the objects that failed) or Stopped.

use super::objects::{self, Effective, ObjectFailure};
use super::state::{self, status, TransformJob, TransformJobDocument};
use crate::jobs::extract::{extract_tar_gz, ExtractLimits};
use crate::jobs::lifecycle::{self, JobKind};
use crate::jobs::logship::{excerpt, Shipper, Shipping, Tail};
use crate::jobs::record::SummaryFn;
use crate::jobs::transfer::{self, S3Uri};
use crate::jobs::{JobRuntime, StopKind};
use crate::Service;
use slipway_batch::invoke::{Invoker, InvokerConfig};
use slipway_core::ports::engine::{
    BindMount, ContainerId, ContainerSpec, Limits, NetworkMode, PortForward, LABEL_ACCOUNT,
    LABEL_JOB_ARN, LABEL_MANAGED,
};
use slipway_core::time_util::Micros;
use slipway_core::AccountId;
use slipway_core::{ResourceKind, ResourceRecord};
use slipway_executor::Fatal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// The CloudWatch log group of transform jobs.
pub const LOG_GROUP: &str = "/aws/sagemaker/TransformJobs";
/// The Slipway-owned network of inference containers that are not
/// network-isolated: they are reached by IP on it. Network-isolated ones
/// get no network at all and are reached through
/// [`ContainerEngine::reach_port`](slipway_core::ports::engine::ContainerEngine::reach_port)
/// (docs/architecture.md "Security model").
const NETWORK: &str = "slipway";
/// Longest an inference container gets to exit on SIGTERM when its job
/// ends (the engine's own default for a forced removal).
const END_GRACE: Duration = Duration::from_secs(10);
/// The port of the inference contract (`/ping`, `/invocations`).
const SERVE_PORT: u16 = 8080;

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
            container: None,
            forward: None,
            logs: None,
            exited: Arc::new(tokio::sync::Notify::new()),
        };
        runner.run().await;
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
    container: Option<ContainerId>,
    /// How a network-isolated container is reached; ends with the runner.
    forward: Option<PortForward>,
    /// The log shipper, drained before the terminal status so a job seen
    /// ended has all of its container's lines in CloudWatch.
    logs: Option<Shipping>,
    /// Tells the shipper the container has stopped: it reads the last lines
    /// at once instead of waiting for the engine to end the followed stream.
    exited: Arc<tokio::sync::Notify>,
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
        let container = self.container.take();
        if let Some(id) = &container {
            let grace = self.rt.settings.stop_grace.min(END_GRACE);
            if let Err(e) = self.rt.engine.stop(id, grace).await {
                tracing::warn!(job = %self.key, error = %e, "stopping the inference container");
            }
            self.exited.notify_one();
        }
        if let Some(logs) = self.logs.take() {
            logs.finish().await;
        }
        if let Some(id) = container {
            if let Err(e) = self.rt.engine.remove(&id, true).await {
                tracing::warn!(job = %self.key, error = %e, "removing the inference container");
            }
        }
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

    /// A StopTransformJob arrived.
    fn stopping(&self) -> bool {
        *self.stop_rx.borrow() == Some(StopKind::User)
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
        let model_dir = self.model(&job).await?;
        if self.stopping() {
            return Ok(Outcome::Stopped);
        }
        let tail = Tail::default();
        let base_url = self
            .start_container(&job, &image_id, model_dir, &tail)
            .await?;
        let cfg = &job.doc.spec;
        let client = cfg.model_client_config.clone().unwrap_or_default();
        let mut icfg = InvokerConfig::new(base_url);
        icfg.content_type = cfg.transform_input.content_type.clone();
        icfg.accept = cfg.transform_output.accept.clone();
        icfg.timeout =
            Duration::from_secs(client.invocations_timeout_in_seconds.unwrap_or(600).max(1) as u64);
        icfg.max_retries = client.invocations_max_retries.unwrap_or(3).max(0) as u32;
        let probe =
            Invoker::new(icfg.clone()).map_err(|e| Fatal(format!("InternalServerError: {e}")))?;
        self.wait_ready(&probe, &tail).await?;
        let exec = probe.execution_parameters().await;
        let eff = Effective::decide(cfg, exec.as_ref());
        icfg.concurrency = eff.concurrency;
        icfg.in_flight = Some(Arc::new(tokio::sync::Semaphore::new(eff.concurrency)));
        let invoker = Invoker::new(icfg).map_err(|e| Fatal(format!("InternalServerError: {e}")))?;
        let inputs = objects::list_inputs(&self.svc, &self.account, cfg)
            .await
            .map_err(|e| Fatal(format!("ClientError: {e}")))?;
        let out_base = objects::output_base(&self.svc, &self.account, cfg)
            .await
            .map_err(|e| Fatal(format!("ClientError: cannot store the outputs: {e}")))?;
        let total = inputs.len();
        let mut failures: Vec<ObjectFailure> = Vec::new();
        let run = objects::run_all(
            &self.svc,
            &self.account,
            &job,
            &invoker,
            &eff,
            inputs,
            out_base,
        );
        let stop = {
            let mut rx = self.stop_rx.clone();
            async move {
                let _ = rx.wait_for(Option::is_some).await;
            }
        };
        tokio::select! {
            result = run => failures.extend(result.map_err(|e| Fatal(format!("InternalServerError: {e}")))?),
            _ = stop => {
                return Ok(if *self.stop_rx.borrow() == Some(StopKind::Shutdown) {
                    Outcome::Detached
                } else {
                    Outcome::Stopped
                });
            }
        }
        if failures.is_empty() {
            return Ok(Outcome::Completed);
        }
        let first = &failures[0];
        let container_said = excerpt(&tail, 3);
        let mut reason = format!(
            "{}: {} of {total} input objects failed; first: {}",
            first.class(),
            failures.len(),
            first
        );
        if !container_said.is_empty() {
            reason.push_str(&format!("; the container printed: {container_said}"));
        }
        Err(Fatal(reason))
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

    /// Downloads and safely extracts ModelDataUrl; `None` when the model
    /// has none (the image's own /opt/ml/model is then left alone).
    async fn model(&self, job: &TransformJob) -> Result<Option<PathBuf>, Fatal> {
        let Some(url) = job.doc.plan.model_data_url.clone() else {
            return Ok(None);
        };
        let uri = S3Uri::parse(&url).ok_or_else(|| {
            Fatal(format!(
                "ClientError: ModelDataUrl {url} is not an s3:// URI"
            ))
        })?;
        let archive = self.work.join("model.tar.gz");
        let object = transfer::InputObject {
            bucket: uri.bucket.clone(),
            key: uri.key.clone(),
            size: 0,
            relative: "model.tar.gz".into(),
            listed_blob: None,
            prefetched: None,
        };
        transfer::download(&self.svc.job_data(), &self.account, &object, &archive)
            .await
            .map_err(|e| {
                Fatal(format!(
                    "ClientError: downloading the model {url} failed: {e}"
                ))
            })?;
        let dest = self.work.join("model");
        let (src, out) = (archive.clone(), dest.clone());
        tokio::task::spawn_blocking(move || extract_tar_gz(&src, &out, ExtractLimits::default()))
            .await
            .map_err(|e| Fatal(format!("InternalServerError: extracting the model: {e}")))?
            .map_err(|e| Fatal(format!("ClientError: the model {url} cannot be used: {e}")))?;
        let _ = tokio::fs::remove_file(&archive).await;
        Ok(Some(dest))
    }

    async fn start_container(
        &mut self,
        job: &TransformJob,
        image_id: &str,
        model_dir: Option<PathBuf>,
        tail: &Tail,
    ) -> Result<String, Fatal> {
        let plan = &job.doc.plan;
        let req = &job.doc.spec;
        if !plan.network_isolation {
            self.rt
                .engine
                .ensure_network(NETWORK, false)
                .await
                .map_err(|e| {
                    Fatal(format!(
                        "InternalServerError: preparing network {NETWORK}: {e}"
                    ))
                })?;
        }
        let mut spec = ContainerSpec::new(container_name(&self.account, &self.key), image_id);
        spec.args = vec!["serve".into()];
        spec.env = plan.environment.clone().into_iter().collect();
        spec.env.extend(req.environment.clone());
        spec.env.insert("SAGEMAKER_BATCH".into(), "true".into());
        if let Some(mb) = req.max_payload_in_mb {
            spec.env
                .insert("SAGEMAKER_MAX_PAYLOAD_IN_MB".into(), mb.to_string());
        }
        if let Some(s) = &req.batch_strategy {
            let v = if s == "SingleRecord" {
                "SINGLE_RECORD"
            } else {
                "MULTI_RECORD"
            };
            spec.env.insert("SAGEMAKER_BATCH_STRATEGY".into(), v.into());
        }
        if let Some(c) = req.max_concurrent_transforms.filter(|c| *c > 0) {
            spec.env
                .insert("SAGEMAKER_MAX_CONCURRENT_TRANSFORMS".into(), c.to_string());
        }
        spec.labels
            .insert(LABEL_JOB_ARN.into(), job.record.arn.clone());
        spec.labels
            .insert(LABEL_ACCOUNT.into(), self.account.as_str().to_owned());
        spec.labels.insert(LABEL_MANAGED.into(), "1".into());
        if let Some(dir) = model_dir {
            spec.mounts.push(BindMount {
                host_path: dir,
                container_path: "/opt/ml/model".into(),
                read_only: true,
            });
        }
        spec.hostname = plan.hostname.clone();
        spec.limits = Limits {
            nano_cpus: Some(plan.nano_cpus),
            memory_bytes: Some(plan.memory_bytes),
        };
        spec.network = if plan.network_isolation {
            NetworkMode::None
        } else {
            NetworkMode::Named(NETWORK.into())
        };
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
        self.container = Some(id.clone());
        self.rt.engine.start(&id).await.map_err(|e| {
            Fatal(format!(
                "ClientError: the inference container could not be started: {e}"
            ))
        })?;
        let stream = format!("{}/{}", job.record.name, instance_id(&job.record.arn));
        state::mutate(&self.svc, &self.account, &self.key, |_, doc| {
            doc.state.log_stream = Some(stream.clone());
            Ok(true)
        })
        .await?;
        let shipper = Shipper {
            engine: self.rt.engine.clone(),
            logs: self.svc.logs.clone(),
            account: self.account.clone(),
            job: self.key.clone(),
            group: LOG_GROUP.into(),
            stream,
            container: id.clone(),
            skip: 0,
            training: None,
            tail: tail.clone(),
            exited: Some(self.exited.clone()),
        };
        let logs = shipper.spawn();
        self.rt.track(logs.abort_handle());
        self.logs = Some(logs);
        if plan.network_isolation {
            let forward = self
                .rt
                .engine
                .reach_port(&id, SERVE_PORT)
                .await
                .map_err(|e| {
                    Fatal(format!(
                        "InternalServerError: reaching the network-isolated container: {e}"
                    ))
                })?;
            let url = format!("http://{}", forward.addr);
            self.forward = Some(forward);
            return Ok(url);
        }
        let info = self.rt.engine.inspect(&id).await.map_err(|e| {
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
            return Err(self.not_ready(Some(code), tail).await);
        }
        Err(Fatal(format!(
            "InternalServerError: the inference container has no address on network {NETWORK}"
        )))
    }

    async fn wait_ready(&mut self, invoker: &Invoker, tail: &Tail) -> Result<(), Fatal> {
        let Some(id) = self.container.clone() else {
            return Err(Fatal("InternalServerError: no container".into()));
        };
        let engine = self.rt.engine.clone();
        let alive = move || {
            let (engine, id) = (engine.clone(), id.clone());
            Box::pin(async move {
                engine
                    .inspect(&id)
                    .await
                    .map(|s| s.running)
                    .unwrap_or(false)
            }) as futures::future::BoxFuture<'static, bool>
        };
        let timeout = self.rt.settings.ready_timeout;
        if invoker.wait_ready(timeout, alive).await.is_ok() {
            return Ok(());
        }
        let exit = match &self.container {
            Some(id) => self
                .rt
                .engine
                .inspect(id)
                .await
                .ok()
                .and_then(|s| s.exit_code),
            None => None,
        };
        Err(self.not_ready(exit, tail).await)
    }

    /// Why the container never became ready: it exited (`exit`), or it did
    /// not answer GET /ping with 200 within the ready timeout; either way
    /// quoting its last lines.
    async fn not_ready(&mut self, exit: Option<i64>, tail: &Tail) -> Fatal {
        let timeout = self.rt.settings.ready_timeout;
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
        let said = excerpt(tail, 5);
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
}

/// The engine-side name of a transform job's container.
pub fn container_name(account: &AccountId, key: &str) -> String {
    format!("slipway-transform-{}-{key}", account.as_str())
}

/// A stable instance id for the job's log stream (`i-` + 17 hex digits,
/// the shape of an EC2 instance id).
fn instance_id(arn: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(arn.as_bytes());
    let hex = hex::encode(digest);
    format!("i-{}", &hex[..17])
}
