//! Jobs: training (and, later, transform) jobs run in containers on the
//! configured [`ContainerEngine`]. The control plane owns each job's state
//! machine and persists every transition before acting on it; a runner
//! task per job drives the containers and only reports what happened.

pub mod archive;
pub mod batch_transform;
pub mod extract;
pub mod instance_types;
pub mod logship;
pub mod record;
pub mod training;
pub mod transfer;
pub mod transform;
pub mod untrusted;

use slipway_core::ports::engine::ContainerEngine;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;

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
        }
    }
}

/// Why a running job is asked to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopKind {
    /// StopTrainingJob / StopTransformJob.
    User,
}

/// The job runtime: the engine, settings, and the stop switches of the
/// jobs this process is running.
pub struct JobRuntime {
    pub(crate) engine: Arc<dyn ContainerEngine>,
    pub(crate) settings: JobSettings,
    running: Mutex<HashMap<String, watch::Sender<Option<StopKind>>>>,
}

impl JobRuntime {
    pub fn new(engine: Arc<dyn ContainerEngine>, settings: JobSettings) -> Self {
        Self {
            engine,
            settings,
            running: Mutex::new(HashMap::new()),
        }
    }

    /// Registers a runner for `arn`; its receiver hears stop requests.
    /// `None` if a runner for this job is already registered.
    pub(crate) fn register(&self, arn: &str) -> Option<watch::Receiver<Option<StopKind>>> {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if running.contains_key(arn) {
            return None;
        }
        let (tx, rx) = watch::channel(None);
        running.insert(arn.to_owned(), tx);
        Some(rx)
    }

    pub(crate) fn unregister(&self, arn: &str) {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        running.remove(arn);
    }

    /// Tells a running job to stop; false when no runner here has it.
    pub(crate) fn signal_stop(&self, arn: &str, kind: StopKind) -> bool {
        let running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        match running.get(arn) {
            Some(tx) => {
                tx.send_replace(Some(kind));
                true
            }
            None => false,
        }
    }

    /// Jobs with a live runner in this process.
    pub fn running_count(&self) -> usize {
        self.running.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}
