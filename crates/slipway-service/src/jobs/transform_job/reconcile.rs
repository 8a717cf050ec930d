//! Restart reconciliation for transform jobs. A transform job's progress
//! lives in its runner (which objects are done, what is in flight), so a
//! job a previous process left InProgress is run again from the start:
//! outputs are only written for whole objects, so re-running is safe and
//! ends in the same outputs. Its old container, if any, is removed first.
//! A job left Stopping ends Stopped.

use super::runner::{self, Transform};
use super::state::{self, status};
use crate::jobs::{lifecycle, JobRuntime};
use crate::{Result, Service};
use slipway_core::ports::engine::{ContainerId, LABEL_JOB_ARN};
use slipway_core::ResourceRecord;
use std::sync::Arc;

pub async fn reconcile(svc: &Service) -> Result<usize> {
    lifecycle::reconcile::<Transform>(svc).await
}

/// Removes the job's old containers, then runs it again (or ends it
/// Stopped when it was stopping).
pub(crate) async fn resume(svc: &Service, rt: &Arc<JobRuntime>, record: &ResourceRecord) {
    match rt
        .engine
        .list_by_label(LABEL_JOB_ARN, Some(&record.arn))
        .await
    {
        Ok(found) => {
            for c in found {
                let _ = rt.engine.remove(&ContainerId(c.id.0.clone()), true).await;
            }
        }
        Err(e) => {
            tracing::warn!(job = %record.arn, error = %e, "container engine unavailable while resuming a transform job");
            return;
        }
    }
    if record.status == status::STOPPING {
        let done = state::mutate(svc, &record.account, &record.key, |st, doc| {
            if status::is_terminal(st) {
                return Ok(false);
            }
            *st = status::STOPPED.into();
            doc.state.end.get_or_insert(svc.wall_micros());
            Ok(true)
        })
        .await;
        if let Err(e) = done {
            tracing::error!(job = %record.arn, error = %e, "ending a stopped transform job");
        }
        return;
    }
    tracing::info!(job = %record.arn, "re-running transform job left unfinished");
    runner::spawn(
        svc.clone(),
        record.account.clone(),
        record.key.clone(),
        record.arn.clone(),
    );
}
