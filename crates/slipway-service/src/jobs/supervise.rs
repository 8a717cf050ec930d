//! Runner supervision: a runner task that panics must not leave its job
//! InProgress for ever with nobody driving it (docs/jobs.md: "None stays
//! stuck"). The panic is caught, the job's containers are removed, the job
//! fails with an `InternalServerError` reason, and the runner is
//! unregistered so a later reconcile or stop can start another.

use super::{JobRuntime, StopKind};
use futures::future::BoxFuture;
use futures::FutureExt;
use slipway_core::ports::engine::{ContainerId, LABEL_JOB_ARN};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use tokio::sync::watch;

/// Records a job's failure after its runner panicked (given the reason).
pub(crate) type FailJob = Box<dyn FnOnce(String) -> BoxFuture<'static, ()> + Send>;

/// What a panic carried, as text.
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

/// The FailureReason of a job whose runner panicked.
pub fn panic_reason(message: &str) -> String {
    format!("InternalServerError: the job's runner stopped unexpectedly: {message}")
}

/// Starts `run` as the runner of `arn` unless one is registered already
/// (or the runtime is shutting down). A panic in it is reported through
/// `fail`; the runner is unregistered however it ends.
pub(crate) fn spawn_runner<F>(
    rt: &Arc<JobRuntime>,
    arn: &str,
    run: impl FnOnce(watch::Receiver<Option<StopKind>>) -> F,
    fail: FailJob,
) -> bool
where
    F: Future<Output = ()> + Send + 'static,
{
    let Some(stop_rx) = rt.register(arn) else {
        return false;
    };
    let runner = run(stop_rx);
    let (rt2, arn2) = (rt.clone(), arn.to_owned());
    let task = tokio::spawn(async move {
        if let Err(payload) = AssertUnwindSafe(runner).catch_unwind().await {
            let message = panic_text(payload.as_ref());
            tracing::error!(job = %arn2, panic = %message, "a job runner panicked");
            remove_containers(&rt2, &arn2).await;
            fail(panic_reason(&message)).await;
        }
        rt2.unregister(&arn2);
    });
    rt.set_task(arn, task.abort_handle());
    true
}

/// Removes whatever containers the job has, so none outlives a runner
/// that can no longer manage it.
async fn remove_containers(rt: &JobRuntime, arn: &str) {
    match rt.engine.list_by_label(LABEL_JOB_ARN, Some(arn)).await {
        Ok(found) => {
            for c in found {
                let _ = rt.engine.remove(&ContainerId(c.id.0.clone()), true).await;
            }
        }
        Err(e) => {
            tracing::warn!(job = %arn, error = %e, "listing a panicked runner's containers");
        }
    }
}

#[cfg(test)]
#[path = "supervise_tests.rs"]
mod tests;
