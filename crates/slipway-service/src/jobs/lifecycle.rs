//! The one lifecycle of training and transform jobs: a supervised runner
//! per job, StopTrainingJob / StopTransformJob, and picking jobs up after
//! a restart (docs/architecture.md "Jobs and validation"). What differs
//! between the two kinds (their documents, how a runner runs, how a job
//! left unfinished resumes) is said by each kind's [`JobKind`].

use super::metering;
use super::record::{clip_reason, SummaryFn};
use super::training::state::status;
use super::{JobRuntime, StopKind};
use crate::error::{Error, Result};
use crate::marketplace::Usage;
use crate::Service;
use serde::de::DeserializeOwned;
use serde::Serialize;
use slipway_core::time_util::Micros;
use slipway_core::{AccountId, ResourceKind, ResourceRecord};
use std::future::Future;
use std::sync::Arc;
use tokio::sync::watch;

/// One kind of job.
pub(crate) trait JobKind: Send + Sync + 'static {
    /// The stored document.
    type Doc: Serialize + DeserializeOwned + Send + Sync;
    /// Where a runner picks a job up.
    type Entry: Send + 'static;
    const KIND: ResourceKind;
    /// "training job", "transform job" (messages).
    const NOUN: &'static str;
    /// The request member that names a job (`TrainingJobName`).
    const NAME_FIELD: &'static str;
    /// What listings show.
    const SUMMARY: SummaryFn<Self::Doc>;

    /// The document's part of entering Stopping.
    fn stopping(doc: &mut Self::Doc, now: Micros);

    /// The document's part of failing with `reason` (already clipped).
    fn failed(doc: &mut Self::Doc, reason: String, now: Micros);

    /// The runner of one job; it hears stop requests on `stop_rx`.
    fn run(
        svc: Service,
        rt: Arc<JobRuntime>,
        account: AccountId,
        key: String,
        stop_rx: watch::Receiver<Option<StopKind>>,
        entry: Self::Entry,
    ) -> impl Future<Output = ()> + Send + 'static;

    /// What an ended job used of a published copy (metering), if it ran
    /// one: one report per instance type it ran on (a heterogeneous
    /// training cluster has several).
    fn usage(svc: &Service, record: &ResourceRecord, doc: &Self::Doc) -> Vec<Usage>;

    /// Whether the job runs a published copy, so that its usage is owed
    /// from its start (`jobs/metering.rs`).
    fn runs_copy(_svc: &Service, _doc: &Self::Doc) -> bool {
        false
    }

    /// Starts a runner for a job a previous process (or a runner that is
    /// gone) left unfinished, in the way its containers allow.
    fn resume<'a>(
        svc: &'a Service,
        rt: &'a Arc<JobRuntime>,
        record: &'a ResourceRecord,
    ) -> impl Future<Output = ()> + Send + 'a;
}

/// Starts the job's runner unless one runs here already. A panic in it
/// fails the job (`jobs/supervise.rs`).
pub(crate) fn spawn<K: JobKind>(
    svc: Service,
    account: AccountId,
    key: String,
    arn: String,
    entry: K::Entry,
) {
    let rt = svc.jobs.clone();
    let fail = {
        let (svc, account, key) = (svc.clone(), account.clone(), key.clone());
        Box::new(move |reason: String| {
            Box::pin(async move { record_failure::<K>(&svc, &account, &key, &reason).await })
                as futures::future::BoxFuture<'static, ()>
        })
    };
    let runtime = rt.clone();
    super::supervise::spawn_runner(
        &rt,
        &arn,
        move |stop_rx| async move {
            metering::note_due::<K>(&svc, &account, &key).await;
            let meter = (svc.clone(), account.clone(), key.clone());
            K::run(svc, runtime, account, key, stop_rx, entry).await;
            metering::meter_ended::<K>(&meter.0, &meter.1, &meter.2).await;
        },
        fail,
    );
}

/// Ends the job Failed with `reason`, unless it has ended already.
pub(crate) async fn record_failure<K: JobKind>(
    svc: &Service,
    account: &AccountId,
    key: &str,
    reason: &str,
) {
    let done = super::record::mutate(svc, account, K::KIND, key, Some(K::SUMMARY), |st, doc| {
        if status::is_terminal(st) {
            return Ok(false);
        }
        *st = status::FAILED.into();
        K::failed(doc, clip_reason(reason), svc.wall_micros());
        Ok(true)
    })
    .await;
    if let Err(e) = done {
        tracing::error!(job = %key, error = %e, "recording a failed {}", K::NOUN);
    }
}

/// Stop{Training,Transform}Job on a described job: Stopping now, Stopped
/// once its runner has stopped the container.
pub(crate) async fn stop<K: JobKind>(svc: &Service, account: &AccountId, key: &str) -> Result<()> {
    let (stopped, _) = super::record::mutate(
        svc,
        account,
        K::KIND,
        key,
        Some(K::SUMMARY),
        |st, doc| match st.as_str() {
            status::IN_PROGRESS => {
                *st = status::STOPPING.into();
                K::stopping(doc, svc.wall_micros());
                Ok(true)
            }
            status::STOPPING => Ok(false),
            other => Err(Error::invalid(
                K::NAME_FIELD,
                format!(
                    "The request was rejected because the {} is in status {other}.",
                    K::NOUN
                ),
            )),
        },
    )
    .await?;
    // Without an engine nothing runs: the job waits for a start with one.
    let rt = &svc.jobs;
    if rt.runs_jobs() && !rt.signal_stop(&stopped.arn, StopKind::User) {
        // No runner here (it is between hand-offs, or the server is
        // reconciling): start one; it sees Stopping and stops.
        K::resume(svc, rt, &stopped).await;
    }
    Ok(())
}

/// Picks up every unfinished job of the kind, and meters the ended ones
/// whose usage a previous process owed; returns how many were unfinished.
pub(crate) async fn reconcile<K: JobKind>(svc: &Service) -> Result<usize> {
    metering::meter_left_over::<K>(svc).await;
    let records = svc
        .store
        .find_by_status(K::KIND, &[status::IN_PROGRESS, status::STOPPING])
        .await?;
    if svc.jobs.runs_jobs() {
        for r in &records {
            K::resume(svc, &svc.jobs, r).await;
        }
    }
    Ok(records.len())
}

/// Resolves a job's image (through this server's registry when it lives
/// there) and has the engine pull it. `role` names the image in reasons:
/// "training", "inference".
pub async fn pull_image(
    svc: &Service,
    account: &AccountId,
    image: &str,
    role: &str,
) -> std::result::Result<slipway_core::ports::engine::ImageInfo, slipway_executor::Fatal> {
    use slipway_core::ports::engine::EngineError;
    use slipway_executor::Fatal;
    let (image_ref, auth) = svc.image_for_job(account, image).await.map_err(|e| {
        Fatal(format!(
            "ClientError: the {role} image {image} cannot be resolved: {e}"
        ))
    })?;
    match svc
        .jobs
        .engine
        .ensure_image(&image_ref, auth.as_ref())
        .await
    {
        Ok(i) => Ok(i),
        Err(EngineError::ImageNotFound { image, detail }) => Err(Fatal(format!(
            "ClientError: the {role} image {image} could not be found or pulled: {detail}"
        ))),
        Err(e) => Err(Fatal(format!("InternalServerError: {e}"))),
    }
}
