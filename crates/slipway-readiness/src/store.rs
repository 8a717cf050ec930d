//! Reports are records of their own kind (`ReadinessReport`), keyed
//! `<resource ARN type>/<resource key>` in the resource's account, so a
//! report is found from the resource and survives restarts.

use crate::report::{Report, ReportStatus};
use crate::ReadinessError;
use slipway_core::arn::Arn;
use slipway_core::ports::metadata::MetaError;
use slipway_core::{AccountId, ResourceKind, ResourceRecord};
use slipway_service::validation::status;
use slipway_service::Service;

const KIND: ResourceKind = ResourceKind::ReadinessReport;

fn report_key(resource: &ResourceRecord) -> String {
    format!("{}/{}", resource.kind.arn_type(), resource.key)
}

/// Stores `report` as the report of `resource` (insert or replace).
pub async fn save(
    svc: &Service,
    resource: &ResourceRecord,
    report: &Report,
) -> Result<(), ReadinessError> {
    let key = report_key(resource);
    let document = serde_json::to_string(report)
        .map_err(|e| slipway_service::Error::internal("encoding a readiness report", e))?;
    let store = svc.metadata();
    for _ in 0..5 {
        match store
            .get(&resource.account, KIND, &key)
            .await
            .map_err(slipway_service::Error::from)?
        {
            Some(mut existing) => {
                existing.status = report.status.as_str().to_owned();
                existing.document = document.clone();
                existing.modified = svc.now_micros();
                match store.update(&existing).await {
                    Ok(_) => return Ok(()),
                    Err(MetaError::Conflict(_)) => continue,
                    Err(e) => return Err(slipway_service::Error::from(e).into()),
                }
            }
            None => {
                let mut record = slipway_service::resources::new_record(
                    svc,
                    &resource.account,
                    KIND,
                    &key,
                    report.status.as_str(),
                    document.clone(),
                );
                record.name = resource.name.clone();
                match store.insert(&record, &[]).await {
                    Ok(()) => return Ok(()),
                    Err(MetaError::AlreadyExists { .. }) => continue,
                    Err(e) => return Err(slipway_service::Error::from(e).into()),
                }
            }
        }
    }
    Err(ReadinessError::Service(slipway_service::Error::Conflict(
        format!("the readiness report of {} kept changing", resource.arn),
    )))
}

async fn load(svc: &Service, resource: &ResourceRecord) -> Result<Option<Report>, ReadinessError> {
    let Some(record) = svc
        .metadata()
        .get(&resource.account, KIND, &report_key(resource))
        .await
        .map_err(slipway_service::Error::from)?
    else {
        return Ok(None);
    };
    let report: Report = serde_json::from_str(&record.document).map_err(|e| {
        slipway_service::Error::internal(
            format!("decoding the readiness report of {}", resource.arn),
            e,
        )
    })?;
    // A deleted resource's report is not its successor's of the same name.
    Ok((report.resource_created == resource.created).then_some(report))
}

/// The report of the model package or algorithm named by `resource_arn`.
pub async fn describe(
    svc: &Service,
    account: &AccountId,
    resource_arn: &str,
) -> Result<Report, ReadinessError> {
    let arn = Arn::parse(resource_arn)
        .filter(|a| matches!(a.kind, ResourceKind::ModelPackage | ResourceKind::Algorithm))
        .ok_or_else(|| {
            ReadinessError::Invalid(format!(
                "ResourceArn {resource_arn} is not the ARN of a model package or an algorithm."
            ))
        })?;
    let missing = || {
        ReadinessError::NotFound(format!(
            "{} {resource_arn} does not exist.",
            capitalised(arn.kind.human())
        ))
    };
    if &arn.account != account || arn.region != svc.region() {
        return Err(missing());
    }
    let key = arn.resource.to_ascii_lowercase();
    let resource = svc
        .metadata()
        .get(account, arn.kind, &key)
        .await
        .map_err(slipway_service::Error::from)?
        .ok_or_else(missing)?;
    if let Some(report) = load(svc, &resource).await? {
        return Ok(report);
    }
    let subject = crate::Subject::of(&resource).map_err(ReadinessError::Invalid)?;
    if subject.profiles.is_empty() {
        return Err(ReadinessError::NotFound(format!(
            "{} {resource_arn} has no readiness report: it was created without a ValidationSpecification, and the report is produced beside a validation.",
            capitalised(arn.kind.human())
        )));
    }
    Ok(Report {
        resource_arn: resource.arn.clone(),
        resource_type: subject.type_name().to_owned(),
        resource_created: resource.created,
        status: ReportStatus::NotStarted,
        failure_reason: None,
        validation_status: resource.status.clone(),
        started: 0,
        ended: None,
        checks: Vec::new(),
        findings: Vec::new(),
        images: Vec::new(),
        realtime: None,
        network: Vec::new(),
    })
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// The resources whose report a previous process left unfinished, or
/// never wrote (it stopped between the validation's end and the report).
pub async fn owed(svc: &Service) -> Result<Vec<(AccountId, ResourceRecord)>, ReadinessError> {
    let mut out = Vec::new();
    let store = svc.metadata();
    for kind in [ResourceKind::Algorithm, ResourceKind::ModelPackage] {
        let ended = store
            .find_by_status(kind, &[status::COMPLETED, status::FAILED])
            .await
            .map_err(slipway_service::Error::from)?;
        for r in ended {
            let has_profiles = crate::Subject::of(&r).is_ok_and(|s| !s.profiles.is_empty());
            if !has_profiles {
                continue;
            }
            match load(svc, &r).await? {
                Some(report) if report.status != ReportStatus::InProgress => {}
                _ => out.push((r.account.clone(), r)),
            }
        }
    }
    Ok(out)
}
