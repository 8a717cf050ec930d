//! The end of a training job: what the exit means (docs/contracts.md §3.5), the
//! uploads (§3.4), and the terminal status with its FailureReason.

use super::prepare::WorkDir;
use super::runner::Fatal;
use super::state::{self, status, Secondary};
use crate::jobs::logship::Tail;
use crate::Service;
use slipway_core::AccountId;
use slipway_executor::outputs::{self, OutputPlan};

pub use slipway_executor::outputs::{Ended, StopCause};

/// Uploads what the job produced (on success and on a stop) and records
/// the terminal status.
pub(super) async fn conclude(
    svc: Service,
    account: &AccountId,
    key: &str,
    wd: &WorkDir,
    ended: Ended,
    tail: &Tail,
) -> Result<(), Fatal> {
    conclude_with(None, svc, account, key, wd, ended, tail).await
}

/// [`conclude`], with `cleanup` (the container's removal, the last log
/// lines) running meanwhile; it is awaited before any terminal status is
/// written, so a job seen ended has nothing left behind.
pub(super) async fn conclude_after(
    cleanup: tokio::task::JoinHandle<()>,
    svc: Service,
    account: &AccountId,
    key: &str,
    wd: &WorkDir,
    ended: Ended,
    tail: &Tail,
) -> Result<(), Fatal> {
    conclude_with(Some(cleanup), svc, account, key, wd, ended, tail).await
}

async fn conclude_with(
    mut cleanup: Option<tokio::task::JoinHandle<()>>,
    svc: Service,
    account: &AccountId,
    key: &str,
    wd: &WorkDir,
    ended: Ended,
    tail: &Tail,
) -> Result<(), Fatal> {
    let result = conclude_inner(&mut cleanup, svc, account, key, wd, ended, tail).await;
    if let Some(c) = cleanup.take() {
        let _ = c.await;
    }
    result
}

async fn conclude_inner(
    cleanup: &mut Option<tokio::task::JoinHandle<()>>,
    svc: Service,
    account: &AccountId,
    key: &str,
    wd: &WorkDir,
    ended: Ended,
    tail: &Tail,
) -> Result<(), Fatal> {
    let job = state::mutate(&svc, account, key, |st, doc| {
        if status::is_terminal(st) {
            return Ok(false);
        }
        if doc.state.training_start.is_some() {
            doc.state.training_end.get_or_insert(svc.wall_micros());
        }
        Ok(true)
    })
    .await?;
    if status::is_terminal(&job.record.status) {
        return Ok(());
    }
    if let Ended::Exited(exit) = ended {
        if exit.code != 0 {
            let plan = &job.doc.plan;
            let reason =
                outputs::failure_reason(wd, exit, &plan.instance_type, plan.memory_bytes, tail)
                    .await;
            return Err(Fatal(reason));
        }
    }
    let ran = !matches!(ended, Ended::Stopped { exit: None, .. });
    let mut artifacts = None;
    if ran && (outputs::model_has_content(wd).await || matches!(ended, Ended::Exited(_))) {
        state::mutate(&svc, account, key, |st, doc| {
            if status::is_terminal(st) {
                return Ok(false);
            }
            doc.state
                .enter(Secondary::Uploading, None, svc.wall_micros());
            Ok(true)
        })
        .await?;
        let req = &job.doc.spec;
        let plan = OutputPlan {
            s3_output_path: req.output_data_config.s3_output_path.clone(),
            uncompressed: req.output_data_config.compression_type.as_deref() == Some("NONE"),
            checkpoint_uri: req.checkpoint_config.as_ref().map(|c| c.s3_uri.clone()),
        };
        artifacts = Some(
            outputs::upload_outputs(&svc.job_data(), account, &job.record.name, &plan, wd).await?,
        );
    }
    let (final_status, secondary) = match ended {
        Ended::Exited(_) => (status::COMPLETED, Secondary::Completed),
        Ended::Stopped {
            cause: StopCause::MaxRuntime,
            ..
        } => (status::STOPPED, Secondary::MaxRuntimeExceeded),
        Ended::Stopped { .. } => (status::STOPPED, Secondary::Stopped),
    };
    if let Some(c) = cleanup.take() {
        let _ = c.await;
    }
    state::mutate(&svc, account, key, |st, doc| {
        if status::is_terminal(st) {
            return Ok(false);
        }
        *st = final_status.into();
        if let Some(a) = &artifacts {
            doc.state.model_artifacts = Some(a.clone());
        }
        doc.state.enter(secondary, None, svc.wall_micros());
        Ok(true)
    })
    .await?;
    Ok(())
}
