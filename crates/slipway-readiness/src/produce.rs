//! One report: the checks in order, each timed, the report stored
//! InProgress first (a restart resumes it) and Completed at the end.

use crate::checks::network::Source;
use crate::checks::realtime::Outcome;
use crate::checks::{image, listing, network, realtime, scan};
use crate::report::{Category, CheckOutcome, CheckStatus, Finding, Report, ReportStatus};
use crate::subject::Subject;
use crate::{store, Ctx, Readiness};
use slipway_core::{AccountId, ResourceKind, ResourceRecord};
use slipway_service::jobs::{training, transform_job};
use std::time::Instant;

pub async fn run(r: &Readiness, account: &AccountId, record: &ResourceRecord) {
    let svc = r.hosting.service();
    let subject = match Subject::of(record) {
        Ok(s) if !s.profiles.is_empty() => s,
        _ => return,
    };
    let mut report = Report {
        resource_arn: record.arn.clone(),
        resource_type: subject.type_name().to_owned(),
        resource_created: record.created,
        status: ReportStatus::InProgress,
        failure_reason: None,
        validation_status: record.status.clone(),
        started: svc.wall_micros() / 1000,
        ended: None,
        checks: Vec::new(),
        findings: Vec::new(),
        images: Vec::new(),
        realtime: None,
        network: Vec::new(),
    };
    if let Err(e) = store::save(svc, record, &report).await {
        tracing::error!(resource = %record.arn, error = %e, "storing the readiness report");
        return;
    }
    let cx = Ctx {
        hosting: r.hosting.clone(),
        account: account.clone(),
        subject,
        client: r.client.clone(),
        registry_images: Default::default(),
        pulled: Default::default(),
    };
    checks(&cx, &mut report).await;
    report.status = ReportStatus::Completed;
    report.ended = Some(svc.wall_micros() / 1000);
    // Most severe first, then by category and id: stable for diffs.
    report
        .findings
        .sort_by(|a, b| (a.severity, a.category, &a.id).cmp(&(b.severity, b.category, &b.id)));
    if let Err(e) = store::save(svc, record, &report).await {
        tracing::error!(resource = %record.arn, error = %e, "storing the readiness report");
    }
}

fn outcome(
    category: Category,
    started: Instant,
    found: &[Finding],
    skipped: Option<String>,
) -> CheckOutcome {
    CheckOutcome {
        category,
        status: match (&skipped, found.is_empty()) {
            (Some(_), _) => CheckStatus::Skipped,
            (None, true) => CheckStatus::Passed,
            (None, false) => CheckStatus::Found,
        },
        reason: skipped,
        duration_ms: started.elapsed().as_millis() as u64,
    }
}

async fn checks(cx: &Ctx, report: &mut Report) {
    let s = &cx.subject;
    // Listing blockers and batch limits: the resource alone.
    let t = Instant::now();
    let found = listing::listing(s);
    report
        .checks
        .push(outcome(Category::Listing, t, &found, None));
    report.findings.extend(found);

    // Images.
    let t = Instant::now();
    let mut found = Vec::new();
    let mut images: Vec<(&str, String)> = Vec::new();
    if let Some(img) = &s.training_image {
        images.push(("training", img.clone()));
    }
    for img in s.inference_images() {
        images.push(("inference", img));
    }
    for (role, img) in &images {
        let (facts, f) = image::check(cx, role, img).await;
        report.images.push(facts);
        found.extend(f);
    }
    // A training container that could not start says why in its job's
    // failure reason: `train` missing or not executable.
    for (profile, names) in s.job_names() {
        if s.kind != ResourceKind::Algorithm {
            break;
        }
        if let Ok(job) = cx
            .hosting
            .service()
            .training_jobs()
            .describe(&cx.account, &names.training)
            .await
        {
            if let Some(reason) = &job.doc.state.failure_reason {
                let subject = format!(
                    "training image {} (profile {profile})",
                    s.training_image.as_deref().unwrap_or("?")
                );
                found.extend(image::not_runnable("training", "train", reason, &subject));
            }
        }
    }
    report
        .checks
        .push(outcome(Category::Image, t, &found, None));
    report.findings.extend(found);

    // Vulnerability scans.
    let t = Instant::now();
    let found = scan::check(cx, &mut report.images).await;
    report
        .checks
        .push(outcome(Category::VulnerabilityScan, t, &found, None));
    report.findings.extend(found);

    // Real-time (and /execution-parameters, a batch finding).
    let t = Instant::now();
    match realtime::check(cx).await {
        Outcome::Skipped(why) => report
            .checks
            .push(outcome(Category::RealTime, t, &[], Some(why))),
        Outcome::Ran(figures, found) => {
            let (batch, rt): (Vec<_>, Vec<_>) = found
                .into_iter()
                .partition(|f| f.category == Category::Batch);
            report
                .checks
                .push(outcome(Category::RealTime, t, &rt, None));
            report.findings.extend(rt);
            report.realtime = Some(figures);
            report.findings.extend(batch);
        }
    }

    // Batch limits (what the profiles ask, and the transform jobs' ends).
    let t = Instant::now();
    let mut found = listing::batch_limits(s);
    for (profile, names) in s.job_names() {
        if let Ok(job) = cx
            .hosting
            .service()
            .transform_jobs()
            .describe(&cx.account, &names.transform)
            .await
        {
            let reason = job.doc.state.failure_reason.clone().unwrap_or_default();
            if reason.contains("did not answer within") || reason.contains("timed out") {
                found.push(
                    Finding::new("batch.invocation-time", Category::Batch, crate::Severity::BreaksBuyers, "A batch invocation ran out of time")
                        .subject(format!("profile {profile}"))
                        .evidence(reason)
                        .fix("A batch invocation may take at most 60 minutes (InvocationsTimeoutInSeconds ≤ 3600): send fewer records per request (MaxPayloadInMB, BatchStrategy SingleRecord) or answer faster."),
                );
            }
        }
    }
    found.extend(
        report
            .findings
            .iter()
            .filter(|f| f.category == Category::Batch)
            .cloned()
            .collect::<Vec<_>>(),
    );
    report.findings.retain(|f| f.category != Category::Batch);
    report
        .checks
        .push(outcome(Category::Batch, t, &found, None));
    report.findings.extend(found);

    // Network under isolation: every container's recorded attempts.
    let t = Instant::now();
    let mut sources = Vec::new();
    for (profile, names) in s.job_names() {
        if s.kind == ResourceKind::Algorithm {
            sources.push(Source {
                container: format!("training job {} (profile {profile})", names.training),
                log_group: training::LOG_GROUP.into(),
                stream_prefix: format!("{}/", names.training),
            });
        }
        sources.push(Source {
            container: format!("transform job {} (profile {profile})", names.transform),
            log_group: transform_job::LOG_GROUP.into(),
            stream_prefix: format!("{}/", names.transform),
        });
    }
    if let Some(rt) = &report.realtime {
        sources.push(Source {
            container: format!("real-time check {}", rt.endpoint_name),
            log_group: format!("/aws/sagemaker/Endpoints/{}", rt.endpoint_name),
            stream_prefix: String::new(),
        });
    }
    report.network = network::gather(cx, &sources).await;
    let found = network::findings(&report.network);
    report
        .checks
        .push(outcome(Category::Network, t, &found, None));
    report.findings.extend(found);
}
