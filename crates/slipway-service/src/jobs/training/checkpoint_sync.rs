//! The checkpoint syncer of a running training job (docs/jobs.md
//! "Checkpoints"): started when the container runs (or is re-attached),
//! ended when it has stopped, before the outputs are uploaded (that
//! upload sends the whole directory once more, the last word). The
//! syncing itself is `slipway_executor::checkpoints`.

use crate::jobs::JobRuntime;
use crate::Service;
use slipway_core::AccountId;
use slipway_executor::checkpoints::CheckpointSync;
use slipway_executor::transfer::S3Uri;
use slipway_executor::workdir::WorkDir;
use std::sync::Arc;
use std::time::Duration;

/// How often new or changed checkpoints go to S3 while the job runs.
pub(crate) const EVERY: Duration = Duration::from_secs(5);

/// The running syncer; dropping it ends it (an upload in flight is cut,
/// the end-of-job upload sends that file again).
pub(super) struct Syncing(tokio::task::JoinHandle<()>);

impl Drop for Syncing {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Starts syncing `wd`'s checkpoint directory to `uri` (the job's
/// `CheckpointConfig.S3Uri`); `None` without one.
pub(super) fn start(
    svc: &Service,
    rt: &Arc<JobRuntime>,
    account: &AccountId,
    key: &str,
    uri: Option<&str>,
    wd: &WorkDir,
) -> Option<Syncing> {
    let dest = S3Uri::parse(uri?)?;
    let sync = CheckpointSync::new(svc.job_data(), account.clone(), dest, wd.clone());
    let task = tokio::spawn(sync.run(EVERY, key.to_owned()));
    rt.track(task.abort_handle());
    Some(Syncing(task))
}
