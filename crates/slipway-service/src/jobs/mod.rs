//! Jobs: training (and, later, transform) jobs run in containers on the
//! configured [`ContainerEngine`]. The control plane owns each job's state
//! machine and persists every transition before acting on it; a runner
//! task per job drives the containers and only reports what happened.

pub mod lifecycle;
mod metering;
pub mod no_engine;
pub mod record;
pub mod training;
pub mod transform_job;
pub mod tuning;
// The executor's parts, under the names the control plane has used.
pub use slipway_executor::{archive, extract, instance_types, logship, transfer, untrusted};

pub mod supervise;

use slipway_core::ports::engine::ContainerEngine;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::AbortHandle;

/// How jobs run on this server.
#[derive(Debug, Clone)]
pub struct JobSettings {
    /// Where jobs keep their `/opt/ml` trees while they run.
    pub work_root: PathBuf,
    /// SIGTERM → SIGKILL grace of a stop (AWS: 120 s).
    pub stop_grace: Duration,
    /// Upper bound on any container's memory (the instance type's figure
    /// applies below it); `None` = the instance type's figure.
    pub memory_cap_bytes: Option<i64>,
    /// CPUs the host offers (the instance type's vCPUs are capped to it).
    pub host_cpus: usize,
    /// Keep a job's work directory after it ends (debugging).
    pub keep_work_dirs: bool,
    /// How long an inference container may take to answer GET /ping with
    /// 200 (docs/contracts.md §4.2: 4 minutes for endpoints; the same for batch).
    pub ready_timeout: Duration,
    /// Training containers that may run at once on this server
    /// (`SLIPWAY_MAX_TRAINING_CONTAINERS`); more jobs wait InProgress /
    /// Starting for a slot (a tuning job's children among them).
    pub max_training_containers: usize,
    /// Batch transform containers that may run at once
    /// (`SLIPWAY_MAX_TRANSFORM_CONTAINERS`); a transform job takes one per
    /// instance, all at once, and waits InProgress until it can.
    pub max_transform_containers: usize,
}

impl JobSettings {
    pub fn new(work_root: PathBuf) -> Self {
        Self {
            work_root,
            stop_grace: Duration::from_secs(120),
            memory_cap_bytes: None,
            host_cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            keep_work_dirs: false,
            ready_timeout: Duration::from_secs(240),
            max_training_containers: default_training_containers(),
            max_transform_containers: default_training_containers(),
        }
    }
}

/// Two per CPU, at least four: training containers mostly wait on I/O
/// and sleep as often as they compute, and a tuning job's parallel
/// children should fit beside a validation.
fn default_training_containers() -> usize {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    (2 * cpus).max(4)
}

pub use slipway_executor::StopKind;

/// A runner this process has: its stop switch and its task.
struct Running {
    stop: watch::Sender<Option<StopKind>>,
    task: Option<AbortHandle>,
}

/// The job runtime: the engine, settings, and the stop switches of the
/// jobs this process is running.
pub struct JobRuntime {
    pub(crate) engine: Arc<dyn ContainerEngine>,
    /// False over [`no_engine::NoEngine`]: jobs are refused, not started.
    runs_jobs: bool,
    pub(crate) settings: JobSettings,
    running: Mutex<HashMap<String, Running>>,
    /// Told whenever a runner unregisters (shutdown waits on it).
    unregistered: tokio::sync::Notify,
    /// Set by [`JobRuntime::shutdown`]: no new runner starts.
    shutting_down: AtomicBool,
    /// Other tasks of the control plane (validations, log shippers), so a
    /// simulated crash can end them too.
    tasks: Mutex<Vec<AbortHandle>>,
    /// Slots for training containers (`JobSettings::max_training_containers`).
    pub(crate) training_slots: Arc<tokio::sync::Semaphore>,
    /// Slots for transform containers (`JobSettings::max_transform_containers`).
    pub(crate) transform_slots: Arc<tokio::sync::Semaphore>,
}

impl JobRuntime {
    pub fn new(engine: Arc<dyn ContainerEngine>, settings: JobSettings) -> Self {
        Self::build(engine, settings, true)
    }

    /// The runtime of a server without a container engine: every job
    /// operation answers [`no_engine::NO_ENGINE`], validations wait, and
    /// unfinished jobs are left for a start with an engine.
    pub fn without_engine(settings: JobSettings) -> Self {
        Self::build(Arc::new(no_engine::NoEngine), settings, false)
    }

    fn build(engine: Arc<dyn ContainerEngine>, settings: JobSettings, runs_jobs: bool) -> Self {
        let slots = settings.max_training_containers.max(1);
        let transform_slots = settings.max_transform_containers.max(1);
        Self {
            training_slots: Arc::new(tokio::sync::Semaphore::new(slots)),
            transform_slots: Arc::new(tokio::sync::Semaphore::new(transform_slots)),
            engine,
            runs_jobs,
            settings,
            running: Mutex::new(HashMap::new()),
            unregistered: tokio::sync::Notify::new(),
            shutting_down: AtomicBool::new(false),
            tasks: Mutex::new(Vec::new()),
        }
    }

    /// Whether this server runs jobs (it has a container engine).
    /// The container engine jobs and endpoints run on.
    pub fn engine(&self) -> &Arc<dyn ContainerEngine> {
        &self.engine
    }

    /// How containers run on this server.
    pub fn settings(&self) -> &JobSettings {
        &self.settings
    }

    pub fn runs_jobs(&self) -> bool {
        self.runs_jobs
    }

    /// `Ok` when jobs run here; else the ValidationException job creation
    /// answers, on `field`.
    pub fn require_engine(&self, field: &str) -> crate::Result<()> {
        if self.runs_jobs {
            Ok(())
        } else {
            Err(crate::Error::invalid(field, no_engine::NO_ENGINE))
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Running>> {
        self.running.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a runner for `arn`; its receiver hears stop requests.
    /// `None` if a runner for this job is already registered, or the
    /// runtime is shutting down.
    pub(crate) fn register(&self, arn: &str) -> Option<watch::Receiver<Option<StopKind>>> {
        if self.shutting_down.load(Ordering::SeqCst) {
            return None;
        }
        let mut running = self.lock();
        if running.contains_key(arn) {
            return None;
        }
        let (tx, rx) = watch::channel(None);
        running.insert(
            arn.to_owned(),
            Running {
                stop: tx,
                task: None,
            },
        );
        Some(rx)
    }

    /// Records the task of a registered runner (for [`JobRuntime::crash`]).
    pub(crate) fn set_task(&self, arn: &str, task: AbortHandle) {
        if let Some(r) = self.lock().get_mut(arn) {
            r.task = Some(task);
        }
    }

    /// Completes when a runner next unregisters: a job of this server has
    /// ended (its terminal status is written).
    pub(crate) fn job_ended(&self) -> tokio::sync::futures::Notified<'_> {
        self.unregistered.notified()
    }

    pub(crate) fn unregister(&self, arn: &str) {
        self.lock().remove(arn);
        self.unregistered.notify_waiters();
    }

    /// Keeps `task` to end it in [`JobRuntime::crash`]; finished ones are dropped.
    pub fn track(&self, task: AbortHandle) {
        let mut tasks = self.tasks.lock().unwrap_or_else(|p| p.into_inner());
        tasks.retain(|t| !t.is_finished());
        tasks.push(task);
    }

    /// Tells a running job to stop; false when no runner here has it.
    pub(crate) fn signal_stop(&self, arn: &str, kind: StopKind) -> bool {
        match self.lock().get(arn) {
            Some(r) => {
                r.stop.send_replace(Some(kind));
                true
            }
            None => false,
        }
    }

    /// Jobs with a live runner in this process.
    pub fn running_count(&self) -> usize {
        self.lock().len()
    }

    /// Whether a runner for this job is registered here.
    pub fn is_running(&self, arn: &str) -> bool {
        self.lock().contains_key(arn)
    }

    /// The server is stopping: no runner starts any more, every runner is
    /// told to leave its job as it is (a restart reconciles it: training
    /// jobs re-attach to their containers, transform jobs run again), and
    /// this waits up to `grace` for them to end. Returns how many were
    /// still running then.
    pub async fn shutdown(&self, grace: Duration) -> usize {
        self.shutting_down.store(true, Ordering::SeqCst);
        for r in self.lock().values() {
            r.stop.send_replace(Some(StopKind::Shutdown));
        }
        let deadline = tokio::time::Instant::now() + grace;
        loop {
            let ended = self.unregistered.notified();
            let left = self.running_count();
            if left == 0 {
                return 0;
            }
            if tokio::time::timeout_at(deadline, ended).await.is_err() {
                return self.running_count();
            }
        }
    }

    /// Ends every task of this runtime at once, as if the process had been
    /// killed: nothing is cleaned up or recorded. For restart tests.
    #[cfg(any(test, feature = "testkit"))]
    pub fn crash(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
        for r in self.lock().drain().map(|(_, r)| r) {
            if let Some(t) = r.task {
                t.abort();
            }
        }
        for t in self
            .tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            t.abort();
        }
    }
}
