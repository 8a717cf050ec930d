//! The runner of a tuning job: every tick it reads its children's
//! training jobs, stops those early stopping or Hyperband gives up on,
//! launches new ones as the strategy proposes (at most
//! MaxParallelTrainingJobs at once), and ends the job when nothing runs
//! and nothing more will be launched. Each child is recorded on the tuning
//! job before its training job is created, so a restart adopts it (or
//! creates it) and never runs a finished one again.

use super::checks::OBJECTIVE_HYPERPARAMETER;
use super::state::{self, status, Child, TuningJobDocument, KIND};
use crate::error::{Error, Result};
use crate::jobs::lifecycle::{self, JobKind};
use crate::jobs::record::{clip_reason, SummaryFn};
use crate::jobs::training::state::TrainingJobDocument;
use crate::jobs::{JobRuntime, StopKind};
use crate::marketplace::Usage;
use crate::Service;
use slipway_core::spec::tuning::TuningJobSpec;
use slipway_core::time_util::Micros;
use slipway_core::{AccountId, ResourceKind, ResourceRecord};
use slipway_tuning::{Goal, StrategyKind, Trial, Tuner};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// How often the runner looks at its children when none has ended (a
/// child's end wakes it at once: `JobRuntime::job_ended`).
const TICK: Duration = Duration::from_millis(400);
/// AWS ends a tuning job whose first this-many children all failed.
pub const EARLY_ABORT_CHILDREN: usize = 5;
/// Hyperband's resource range when the request leaves it out.
pub const DEFAULT_MIN_RESOURCE: u32 = 1;
pub const DEFAULT_MAX_RESOURCE: u32 = 27;

pub(crate) struct Tuning;

impl JobKind for Tuning {
    type Doc = TuningJobDocument;
    type Entry = ();
    const KIND: ResourceKind = KIND;
    const NOUN: &'static str = "hyperparameter tuning job";
    const NAME_FIELD: &'static str = "HyperParameterTuningJobName";
    const SUMMARY: SummaryFn<TuningJobDocument> = state::summary_of;

    /// The runner reads Stopping from the record's status.
    fn stopping(_doc: &mut TuningJobDocument, _now: Micros) {}

    fn failed(doc: &mut TuningJobDocument, reason: String, now: Micros) {
        doc.state.failure_reason = Some(reason);
        doc.state.end_time.get_or_insert(now);
    }

    fn run(
        svc: Service,
        rt: Arc<JobRuntime>,
        account: AccountId,
        key: String,
        stop_rx: watch::Receiver<Option<StopKind>>,
        _entry: (),
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        run(svc, rt, account, key, stop_rx)
    }

    /// A tuning job uses nothing itself: its children are metered.
    fn usage(_svc: &Service, _record: &ResourceRecord, _doc: &TuningJobDocument) -> Vec<Usage> {
        Vec::new()
    }

    async fn resume(svc: &Service, _rt: &Arc<JobRuntime>, record: &ResourceRecord) {
        lifecycle::spawn::<Tuning>(
            svc.clone(),
            record.account.clone(),
            record.key.clone(),
            record.arn.clone(),
            (),
        );
    }
}

/// The strategy of a spec (its ranges already checked).
pub fn tuner_of(spec: &TuningJobSpec, space: slipway_tuning::Space, arn: &str) -> Result<Tuner> {
    let kind = match spec.strategy.as_str() {
        "Grid" => StrategyKind::Grid,
        "Random" => StrategyKind::Random,
        "Hyperband" => {
            let hb = spec.hyperband.as_ref();
            let clamp = |v: Option<i64>, d: u32| {
                v.map_or(d, |x| u32::try_from(x.max(0)).unwrap_or(u32::MAX))
            };
            StrategyKind::Hyperband {
                min_resource: clamp(hb.and_then(|h| h.min_resource), DEFAULT_MIN_RESOURCE),
                max_resource: clamp(hb.and_then(|h| h.max_resource), DEFAULT_MAX_RESOURCE),
            }
        }
        _ => StrategyKind::Bayesian,
    };
    let goal = if spec.objective.kind == "Minimize" {
        Goal::Minimize
    } else {
        Goal::Maximize
    };
    // RandomSeed when given; otherwise one fixed per job, so a restarted
    // runner proposes what the first would have.
    let seed = spec
        .random_seed
        .map_or_else(|| fnv(arn.as_bytes()), |s| s as u64);
    Tuner::new(kind, space, goal, seed)
        .map_err(|e| Error::invalid("HyperParameterTuningJobConfig", e.to_string()))
}

/// FNV-1a: a stable seed from the job's ARN (std's hasher is not stable
/// across releases, and this needs no quality beyond spreading).
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

async fn run(
    svc: Service,
    rt: Arc<JobRuntime>,
    account: AccountId,
    key: String,
    mut stop_rx: watch::Receiver<Option<StopKind>>,
) {
    let mut tuner: Option<Tuner> = None;
    loop {
        if *stop_rx.borrow() == Some(StopKind::Shutdown) {
            return; // left as it is: the next start resumes it
        }
        // A child's end wakes the runner at once (its slot is free for the
        // next child); enabled before the look, so an end during it counts.
        let ended = rt.job_ended();
        tokio::pin!(ended);
        ended.as_mut().enable();
        match tick(&svc, &account, &key, &mut tuner).await {
            Ok(true) => return,
            Ok(false) => {}
            Err(Error::NotFound { .. }) => return,
            Err(e) => tracing::warn!(job = %key, error = %e, "tuning job tick"),
        }
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = ended => {}
            changed = stop_rx.changed() => if changed.is_err() { return },
        }
    }
}

/// One look at the job; true once it has ended.
async fn tick(
    svc: &Service,
    account: &AccountId,
    key: &str,
    tuner: &mut Option<Tuner>,
) -> Result<bool> {
    let Some(record) = svc.store.get(account, KIND, key).await? else {
        return Ok(true);
    };
    if status::is_terminal(&record.status) {
        return Ok(true);
    }
    let mut doc: TuningJobDocument = crate::resources::decode(&record)?;
    let t = match tuner {
        Some(t) => t,
        None => {
            // Checked at creation; a stored job that no longer passes (a
            // rule tightened since) fails rather than waiting for ever.
            let built = super::checks::request(&doc.spec)
                .and_then(|space| tuner_of(&doc.spec, space, &record.arn));
            match built {
                Ok(t) => tuner.insert(t),
                Err(e) => {
                    lifecycle::record_failure::<Tuning>(
                        svc,
                        account,
                        key,
                        &format!("ClientError: {e}"),
                    )
                    .await;
                    return Ok(true);
                }
            }
        }
    };
    let stopping = record.status == status::STOPPING;
    refresh_children(svc, account, &mut doc).await;
    if !stopping {
        stop_early(svc, account, &mut doc, t).await;
        decide_no_more(svc, &record, &mut doc);
    }
    // A stop, or an end decided above, stops whatever still runs.
    if stopping
        || doc
            .state
            .no_more_launches
            .as_deref()
            .is_some_and(stops_children)
    {
        for c in doc
            .state
            .children
            .iter()
            .filter(|c| c.created && !c.is_finished())
        {
            let _ = svc.training_jobs().stop(account, &c.name).await;
        }
    }
    let mut launched = Vec::new();
    if !stopping && doc.state.no_more_launches.is_none() {
        launched = plan_launches(&mut doc, t, &record, svc.wall_micros());
    }
    // Record the new children (and everything seen) before creating them.
    let mut ended = finish_if_done(&mut doc, stopping, svc.wall_micros());
    save(svc, account, key, &doc, ended.as_deref()).await?;
    if !launched.is_empty() {
        for i in launched {
            let outcome = create_child(svc, account, &record.arn, &doc, i).await;
            let c = &mut doc.state.children[i];
            match outcome {
                Ok(()) => c.created = true,
                Err(e) => {
                    c.created = true;
                    c.status = status::FAILED.into();
                    c.failure_reason = Some(clip_reason(&format!("ClientError: {e}")));
                    c.training_end = Some(svc.wall_micros());
                }
            }
        }
        ended = finish_if_done(&mut doc, stopping, svc.wall_micros());
        save(svc, account, key, &doc, ended.as_deref()).await?;
    }
    Ok(ended.is_some())
}

/// Reasons for no more launches that also stop the running children.
fn stops_children(reason: &str) -> bool {
    reason.starts_with("MaxRuntime") || reason.starts_with("EarlyAbort")
}

/// Reads each unfinished child's training job.
async fn refresh_children(svc: &Service, account: &AccountId, doc: &mut TuningJobDocument) {
    let metric = doc.spec.objective.metric_name.clone();
    for c in doc.state.children.iter_mut().filter(|c| !c.is_finished()) {
        if !c.created {
            // Recorded, then the server stopped before creating it: the
            // job is looked up by name below; absent, it is created again.
            match svc.training_jobs().describe(account, &c.name).await {
                Ok(_) => c.created = true,
                Err(_) => continue,
            }
        }
        let job = match svc.training_jobs().describe(account, &c.name).await {
            Ok(j) => j,
            Err(Error::NotFound { .. }) => {
                c.status = status::FAILED.into();
                c.failure_reason = Some("ClientError: the training job no longer exists".into());
                continue;
            }
            Err(_) => continue,
        };
        apply_training_job(c, &job.record.status, &job.doc, &metric);
    }
}

fn apply_training_job(c: &mut Child, job_status: &str, job: &TrainingJobDocument, metric: &str) {
    let st = &job.state;
    c.status = job_status.to_owned();
    c.training_start = st.training_start.or(c.training_start);
    c.training_end = st.training_end.or(c.training_end);
    c.failure_reason = st.failure_reason.clone();
    c.objective = st
        .final_metrics
        .iter()
        .find(|m| m.name == metric)
        .map(|m| m.value);
}

/// Early stopping (Auto: the median rule) and Hyperband's rungs, on
/// each running child's intermediate objective values.
async fn stop_early(svc: &Service, account: &AccountId, doc: &mut TuningJobDocument, t: &Tuner) {
    let auto = doc.spec.early_stopping == "Auto";
    let hyperband = t.hyperband();
    if !auto && hyperband.is_none() {
        return;
    }
    let metric = doc.spec.objective.metric_name.clone();
    let goal = t.goal();
    let mut curves = Vec::with_capacity(doc.state.children.len());
    for c in &doc.state.children {
        curves.push(if c.created {
            svc.training_jobs()
                .metric_series(account, &c.name, &metric)
                .await
        } else {
            Vec::new()
        });
    }
    for i in 0..doc.state.children.len() {
        let c = &doc.state.children[i];
        if !c.created || c.is_finished() || c.early_stopped || curves[i].is_empty() {
            continue;
        }
        let (name, judged) = (c.name.clone(), c.judged_rung);
        let stop = match hyperband {
            Some(hb) => {
                let bracket = hb.bracket_of(i as u64);
                // The runner sees a curve every tick, not at every epoch:
                // a child is judged at the highest rung it has reached,
                // once, on its value there.
                let len = curves[i].len();
                let Some(rung) = bracket
                    .rungs
                    .iter()
                    .copied()
                    .filter(|&r| r as usize <= len)
                    .max()
                else {
                    continue;
                };
                if len < hb.max_resource() as usize && rung <= judged {
                    continue;
                }
                doc.state.children[i].judged_rung = rung;
                let peers: Vec<Vec<f64>> = (0..curves.len())
                    .filter(|&j| j != i && hb.bracket_of(j as u64).index == bracket.index)
                    .map(|j| curves[j].clone())
                    .collect();
                let max = hb.max_resource() as usize;
                let at_rung = if len >= max {
                    &curves[i][..]
                } else {
                    &curves[i][..rung as usize]
                };
                hb.should_stop(bracket, at_rung, &peers, goal)
            }
            None => {
                let others: Vec<Vec<f64>> = (0..curves.len())
                    .filter(|&j| j != i)
                    .map(|j| curves[j].clone())
                    .collect();
                slipway_tuning::median_rule_should_stop(&curves[i], &others, goal)
            }
        };
        if stop && svc.training_jobs().stop(account, &name).await.is_ok() {
            doc.state.children[i].early_stopped = true;
        }
    }
}

/// The completion criteria, MaxRuntimeInSeconds and the early abort.
fn decide_no_more(svc: &Service, record: &ResourceRecord, doc: &mut TuningJobDocument) {
    if doc.state.no_more_launches.is_some() {
        return;
    }
    let now = svc.wall_micros();
    if let Some(max) = doc.spec.max_runtime_seconds {
        if now - record.created >= max.saturating_mul(1_000_000) {
            doc.state.no_more_launches = Some(format!("MaxRuntimeInSeconds ({max} s) reached"));
            return;
        }
    }
    let first: Vec<&Child> = doc
        .state
        .children
        .iter()
        .take(EARLY_ABORT_CHILDREN)
        .collect();
    if first.len() == EARLY_ABORT_CHILDREN
        && first
            .iter()
            .all(|c| c.is_finished() && c.objective.is_none())
        && doc.state.children.iter().all(|c| c.objective.is_none())
    {
        doc.state.no_more_launches = Some(format!(
            "EarlyAbort: No training job succeeded after {EARLY_ABORT_CHILDREN} attempts."
        ));
        return;
    }
    if let (Some(target), Some(best)) = (
        doc.spec.target_objective,
        doc.best_child().and_then(|c| c.objective),
    ) {
        if best == target || doc.better(best, target) {
            doc.state.no_more_launches = Some("TargetObjectiveMetricValue reached".into());
            doc.state.converged_at = Some(now);
        }
    }
}

/// Adds the children to launch now; answers their indexes.
fn plan_launches(
    doc: &mut TuningJobDocument,
    t: &Tuner,
    record: &ResourceRecord,
    now: Micros,
) -> Vec<usize> {
    let limit = doc
        .spec
        .max_training_jobs
        .map(|m| m.max(0) as u64)
        .or_else(|| t.grid_size())
        .unwrap_or(0);
    let mut launched = Vec::new();
    while (doc.running() as i64) < doc.spec.max_parallel_training_jobs
        && (doc.state.children.len() as u64) < limit
    {
        // Until one child reports the objective, no more than the early
        // abort's attempts are made: five failures end the job.
        if doc.state.children.len() >= EARLY_ABORT_CHILDREN
            && doc.state.children.iter().all(|c| c.objective.is_none())
        {
            break;
        }
        let finished: Vec<Trial> = doc
            .state
            .parent_trials
            .iter()
            .map(|p| Trial {
                assignment: p.tuned.clone(),
                objective: p.objective,
            })
            .chain(
                doc.state
                    .children
                    .iter()
                    .filter(|c| c.is_finished())
                    .map(|c| Trial {
                        assignment: c.tuned.clone(),
                        objective: c.objective,
                    }),
            )
            .collect();
        let pending: Vec<_> = doc
            .state
            .children
            .iter()
            .filter(|c| !c.is_finished())
            .map(|c| c.tuned.clone())
            .collect();
        let Some(tuned) = t.propose(&finished, &pending) else {
            if doc.running() == 0 {
                doc.state.no_more_launches =
                    Some("Exhausted: every hyperparameter combination has been trained".into());
            }
            break;
        };
        let index = doc.state.children.len();
        let name = child_name(&record.name, index, &record.arn);
        doc.state.children.push(Child {
            arn: slipway_core::Arn::new(
                &record_region(&record.arn),
                &record.account,
                ResourceKind::TrainingJob,
                &name,
            )
            .to_string(),
            name,
            tuned,
            status: status::IN_PROGRESS.into(),
            created: false,
            creation_time: now,
            training_start: None,
            training_end: None,
            objective: None,
            failure_reason: None,
            early_stopped: false,
            judged_rung: 0,
        });
        launched.push(index);
    }
    if launched.is_empty() && doc.running() == 0 && doc.state.children.len() as u64 >= limit {
        doc.state.no_more_launches = Some(format!(
            "Every one of the {limit} training jobs has been launched"
        ));
    }
    launched
}

/// `<tuning job>-NNN-<8 hex>`, as AWS names children.
fn child_name(tuning: &str, index: usize, arn: &str) -> String {
    let tag = fnv(format!("{arn}#{index}").as_bytes()) as u32;
    format!("{tuning}-{:03}-{tag:08x}", index + 1)
}

fn record_region(arn: &str) -> String {
    arn.split(':').nth(3).unwrap_or_default().to_owned()
}

/// Creates child `i`'s training job: the definition, the static
/// hyperparameters, the drawn ones and `_tuning_objective_metric`.
async fn create_child(
    svc: &Service,
    account: &AccountId,
    tuning_arn: &str,
    doc: &TuningJobDocument,
    i: usize,
) -> Result<()> {
    let c = &doc.state.children[i];
    let mut spec = doc.spec.template.clone();
    spec.training_job_name = c.name.clone();
    spec.hyper_parameters.extend(c.tuned.clone());
    spec.hyper_parameters
        .entry(OBJECTIVE_HYPERPARAMETER.to_owned())
        .or_insert_with(|| doc.spec.objective.metric_name.clone());
    svc.training_jobs()
        .create_for_tuning(account, spec, tuning_arn)
        .await
        .map(|_| ())
}

/// Ends the job when nothing runs and nothing more will be launched;
/// answers the final status.
fn finish_if_done(doc: &mut TuningJobDocument, stopping: bool, now: Micros) -> Option<String> {
    if doc.running() > 0 {
        return None;
    }
    let limit_reached = doc
        .spec
        .max_training_jobs
        .is_some_and(|m| doc.state.children.len() as i64 >= m);
    if !stopping && !limit_reached && doc.state.no_more_launches.is_none() {
        return None;
    }
    doc.state.end_time = Some(now);
    if stopping {
        return Some(status::STOPPED.into());
    }
    if doc.best_child().is_some() {
        return Some(status::COMPLETED.into());
    }
    doc.state.failure_reason = Some(clip_reason(&failure_reason(doc)));
    Some(status::FAILED.into())
}

/// Why no child produced the objective: the early abort, the children's
/// own reasons, or a metric that never matched.
fn failure_reason(doc: &TuningJobDocument) -> String {
    let metric = &doc.spec.objective.metric_name;
    let failed: Vec<&Child> = doc
        .state
        .children
        .iter()
        .filter(|c| c.status == status::FAILED)
        .collect();
    let reasons: Vec<String> = failed
        .iter()
        .take(3)
        .map(|c| {
            format!(
                "{}: {}",
                c.name,
                c.failure_reason.as_deref().unwrap_or("failed")
            )
        })
        .collect();
    let head = match doc.state.no_more_launches.as_deref() {
        Some(r) if r.starts_with("EarlyAbort: ") => r.trim_start_matches("EarlyAbort: ").to_owned(),
        _ if doc.state.children.is_empty() => "No training job was launched.".to_owned(),
        _ => "No training job reported the objective metric.".to_owned(),
    };
    let completed = doc
        .state
        .children
        .iter()
        .filter(|c| c.status == status::COMPLETED)
        .count();
    if completed > 0 && reasons.is_empty() {
        return format!(
            "{head} The objective metric {metric} never matched the logs of any child job: check its regex in MetricDefinitions against what the container prints."
        );
    }
    if reasons.is_empty() {
        head
    } else {
        format!(
            "{head} Please take a look at the training job failures to get more details. {}",
            reasons.join("; ")
        )
    }
}

async fn save(
    svc: &Service,
    account: &AccountId,
    key: &str,
    doc: &TuningJobDocument,
    end: Option<&str>,
) -> Result<()> {
    crate::jobs::record::mutate(
        svc,
        account,
        KIND,
        key,
        Some(state::summary_of),
        |st, stored: &mut TuningJobDocument| {
            if status::is_terminal(st) {
                return Ok(false);
            }
            stored.state = doc.state.clone();
            if let Some(end) = end {
                *st = end.to_owned();
            }
            Ok(true)
        },
    )
    .await
    .map(|_| ())
}
