//! Restart reconciliation (docs/architecture.md "Jobs and validation"; details in docs/jobs.md "Training jobs"): every job
//! left InProgress or Stopping by a previous process is picked up again.
//! A job whose container still exists is re-attached (running) or finished
//! (exited); a job that never got a container starts over; a job whose
//! container vanished mid-training fails with a reason. None stays stuck.

use super::hosts;
use super::prepare::{self, WorkDir};
use super::runner::{self, Entry, Training};
use super::state::{self, status, Secondary, TrainingJobDocument};
use crate::jobs::{lifecycle, JobRuntime};
use crate::resources::decode;
use crate::{Result, Service};
use slipway_core::ports::engine::{ContainerId, LABEL_JOB_ARN};
use slipway_core::ResourceRecord;
use std::sync::Arc;

/// Picks up every unfinished training job; returns how many.
pub async fn reconcile(svc: &Service) -> Result<usize> {
    lifecycle::reconcile::<Training>(svc).await
}

/// Starts a runner for one unfinished job in the way its containers allow.
pub(crate) async fn resume(svc: &Service, rt: &Arc<JobRuntime>, record: &ResourceRecord) {
    let doc: TrainingJobDocument = match decode(record) {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(job = %record.arn, error = %e, "cannot decode a training job to resume it");
            return;
        }
    };
    let found = match rt
        .engine
        .list_by_label(LABEL_JOB_ARN, Some(&record.arn))
        .await
    {
        Ok(found) => found,
        Err(e) => {
            // The engine is down: fail nothing now; the job resumes at the
            // next start (or Stop request) when the engine answers.
            tracing::warn!(job = %record.arn, error = %e, "container engine unavailable while resuming a job");
            return;
        }
    };
    let hosts = prepare::host_count(&doc.spec);
    if hosts > 1 && (!found.is_empty() || doc.state.container.is_some()) {
        // A distributed job is not re-attached: its hosts' logs, their
        // exits and the stop of the others would all have to be picked up
        // again. It ends cleanly instead, and leaves nothing behind.
        for c in &found {
            let _ = rt.engine.remove(&c.id, true).await;
        }
        let _ = rt
            .engine
            .remove_network(&hosts::network_name(&record.account, &record.key))
            .await;
        if !rt.settings.keep_work_dirs {
            let wd = WorkDir::new(&rt.settings.work_root, &record.account, &record.key);
            let _ = tokio::fs::remove_dir_all(&wd.root).await;
        }
        let phase = doc.state.secondary.clone();
        let reason = format!(
            "InternalServerError: the Slipway server restarted while the job was {phase}; a job on {hosts} instances is not resumed after a restart (its containers were removed)"
        );
        end_unresumable(svc, record, &reason).await;
        return;
    }
    // A container that was created (or initialized, for the network
    // recorder) but never started — the server stopped in between — has
    // no exit to finish with: it is replaced and the job starts afresh.
    let never_started = match found.first() {
        Some(c) if !c.running => rt.engine.inspect(&c.id).await.is_ok_and(|s| {
            !s.running && s.started_at.is_none() && s.exit_code.is_none_or(|c| c <= 0)
        }),
        _ => false,
    };
    let entry = match found.first() {
        Some(c) if c.running => Entry::Reattach(c.id.clone()),
        Some(c) if never_started => {
            let _ = rt.engine.remove(&c.id, true).await;
            Entry::Fresh
        }
        Some(c) => Entry::Finish(c.id.clone()),
        None if doc.state.container.is_none() => Entry::Fresh,
        None => {
            let name = doc.state.container.clone().unwrap_or_default();
            let phase = doc.state.secondary.clone();
            let reason = format!(
                "InternalServerError: the Slipway server restarted while the job was {phase} and its container {name} no longer exists; the job cannot be resumed"
            );
            end_unresumable(svc, record, &reason).await;
            return;
        }
    };
    tracing::info!(job = %record.arn, ?entry, "resuming training job");
    // Extra containers for the same job (should not happen) are removed so
    // none is left behind.
    for extra in found.iter().skip(1) {
        let _ = rt
            .engine
            .remove(&ContainerId(extra.id.0.clone()), true)
            .await;
    }
    runner::spawn(
        svc.clone(),
        record.account.clone(),
        record.key.clone(),
        record.arn.clone(),
        entry,
    );
}

/// Ends a job that cannot be resumed: Stopped if it was Stopping, else
/// Failed with `reason`.
async fn end_unresumable(svc: &Service, record: &ResourceRecord, reason: &str) {
    let stopping = record.status == status::STOPPING;
    let saved = state::mutate(svc, &record.account, &record.key, |st, doc| {
        if status::is_terminal(st) {
            return Ok(false);
        }
        doc.state.training_end.get_or_insert(svc.wall_micros());
        if stopping {
            *st = status::STOPPED.into();
            doc.state.enter(Secondary::Stopped, None, svc.wall_micros());
        } else {
            *st = status::FAILED.into();
            doc.state.failure_reason = Some(reason.to_owned());
            doc.state.enter(Secondary::Failed, None, svc.wall_micros());
        }
        Ok(true)
    })
    .await;
    if let Err(e) = saved {
        tracing::error!(job = %record.arn, error = %e, "ending a job that cannot be resumed");
    }
}
