//! ECR repository operations: create, describe, delete, and the settings
//! (tag mutability with its exclusion filters, scan on push, encryption).

use super::{err, page_size, registry};
use crate::generated::ecr::*;
use axum::http::StatusCode;
use slipway_core::ports::registry::RepositoryRow;
use slipway_core::time_util::micros_to_epoch_seconds;
use slipway_registry::RepositorySettings;
use slipway_wire_core::context::Cx;
use slipway_wire_core::error::AwsError;

/// ECR's names for tag mutability, by (tags move, has exclusions).
fn mutability_name(r: &RepositoryRow) -> String {
    match (r.tags_mutable, r.mutability_exclusions.is_empty()) {
        (true, true) => "MUTABLE",
        (false, true) => "IMMUTABLE",
        (true, false) => "MUTABLE_WITH_EXCLUSION",
        (false, false) => "IMMUTABLE_WITH_EXCLUSION",
    }
    .to_owned()
}

/// The exclusion filters, or `None` (left out) when there are none.
fn filters(r: &RepositoryRow) -> Option<Vec<ImageTagMutabilityExclusionFilter>> {
    (!r.mutability_exclusions.is_empty()).then(|| {
        r.mutability_exclusions
            .iter()
            .map(|f| ImageTagMutabilityExclusionFilter {
                filter_type: "WILDCARD".to_owned(),
                filter: f.clone(),
            })
            .collect()
    })
}

fn invalid(message: impl Into<String>) -> AwsError {
    AwsError::new(
        StatusCode::BAD_REQUEST,
        "InvalidParameterException",
        message,
    )
}

/// `imageTagMutability` with `imageTagMutabilityExclusionFilters`, as
/// ECR takes them: the filters go with a `*_WITH_EXCLUSION` setting and
/// only with one. `None` when neither is given. (The model check has
/// already limited the setting to ECR's four values, the filters to 1–5
/// `WILDCARD` patterns of `[0-9a-zA-Z._*-]`.)
fn tag_mutability(
    mode: Option<String>,
    filters: Option<Vec<ImageTagMutabilityExclusionFilter>>,
) -> Result<Option<(bool, Vec<String>)>, AwsError> {
    let filters: Option<Vec<String>> = filters.map(|f| f.into_iter().map(|f| f.filter).collect());
    let with_exclusion = mode
        .as_deref()
        .is_some_and(|m| m.ends_with("_WITH_EXCLUSION"));
    match (mode, filters) {
        (None, None) => Ok(None),
        (Some(m), Some(f)) if with_exclusion && !f.is_empty() => {
            Ok(Some((m.starts_with("MUTABLE"), f)))
        }
        (Some(m), None) if with_exclusion => Err(invalid(format!(
            "Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy \
             constraint: 'must be specified when imageTagMutability is {m}'"
        ))),
        (Some(m), None) => Ok(Some((m == "MUTABLE", Vec::new()))),
        (m, _) => Err(invalid(format!(
            "Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy \
             constraint: 'can only be specified when imageTagMutability is \
             IMMUTABLE_WITH_EXCLUSION or MUTABLE_WITH_EXCLUSION, not {}'",
            m.as_deref().unwrap_or("MUTABLE (the default)")
        ))),
    }
}

/// `encryptionConfiguration`: kept as given, never downgraded. A KMS key
/// belongs to the KMS types only, as on ECR.
fn encryption(
    c: Option<EncryptionConfiguration>,
) -> Result<Option<(String, Option<String>)>, AwsError> {
    let Some(c) = c else {
        return Ok(None);
    };
    if c.encryption_type == "AES256" && c.kms_key.is_some() {
        return Err(invalid(
            "Invalid parameter at 'encryptionConfiguration.kmsKey' failed to satisfy constraint: \
             'can only be specified when encryptionType is KMS or KMS_DSSE'",
        ));
    }
    Ok(Some((c.encryption_type, c.kms_key)))
}

fn repository(cx: &Cx<'_>, r: &RepositoryRow) -> Repository {
    let region = cx.svc.region();
    Repository {
        repository_arn: Some(format!(
            "arn:aws:ecr:{region}:{}:repository/{}",
            r.account, r.name
        )),
        registry_id: Some(r.account.as_str().to_owned()),
        repository_name: Some(r.name.clone()),
        repository_uri: Some(format!(
            "{}.dkr.ecr.{region}.amazonaws.com/{}",
            r.account, r.name
        )),
        created_at: Some(micros_to_epoch_seconds(r.created)),
        image_tag_mutability: Some(mutability_name(r)),
        image_tag_mutability_exclusion_filters: filters(r),
        image_scanning_configuration: Some(ImageScanningConfiguration {
            scan_on_push: Some(r.scan_on_push),
        }),
        encryption_configuration: Some(EncryptionConfiguration {
            encryption_type: r.encryption_type.clone(),
            kms_key: r.kms_key.clone(),
        }),
    }
}

pub(super) async fn create_repository(
    cx: &Cx<'_>,
    input: CreateRepositoryRequest,
) -> Result<CreateRepositoryResponse, AwsError> {
    let settings = RepositorySettings {
        tag_mutability: tag_mutability(
            input.image_tag_mutability,
            input.image_tag_mutability_exclusion_filters,
        )?,
        scan_on_push: input
            .image_scanning_configuration
            .and_then(|c| c.scan_on_push),
        encryption: encryption(input.encryption_configuration)?,
    };
    let r = registry(cx)
        .create_repository(cx.account, &input.repository_name, settings)
        .await
        .map_err(err)?;
    Ok(CreateRepositoryResponse {
        repository: Some(repository(cx, &r)),
    })
}

pub(super) async fn describe_repositories(
    cx: &Cx<'_>,
    input: DescribeRepositoriesRequest,
) -> Result<DescribeRepositoriesResponse, AwsError> {
    let reg = registry(cx);
    let repos = match input.repository_names {
        Some(names) => {
            let mut out = Vec::new();
            for n in names {
                out.push(reg.repository(cx.account, &n).await.map_err(err)?);
            }
            out
        }
        None => reg.list_repositories(cx.account).await.map_err(err)?,
    };
    let after = input.next_token;
    let n = page_size(input.max_results, 100);
    let mut page: Vec<&RepositoryRow> = repos
        .iter()
        .filter(|r| after.as_deref().is_none_or(|a| r.name.as_str() > a))
        .take(n + 1)
        .collect();
    let next_token = (page.len() > n).then(|| page[n - 1].name.clone());
    page.truncate(n);
    Ok(DescribeRepositoriesResponse {
        repositories: Some(page.into_iter().map(|r| repository(cx, r)).collect()),
        next_token,
    })
}

pub(super) async fn delete_repository(
    cx: &Cx<'_>,
    input: DeleteRepositoryRequest,
) -> Result<DeleteRepositoryResponse, AwsError> {
    let r = registry(cx)
        .delete_repository(
            cx.account,
            &input.repository_name,
            input.force.unwrap_or(false),
        )
        .await
        .map_err(err)?;
    Ok(DeleteRepositoryResponse {
        repository: Some(repository(cx, &r)),
    })
}

pub(super) async fn put_image_tag_mutability(
    cx: &Cx<'_>,
    input: PutImageTagMutabilityRequest,
) -> Result<PutImageTagMutabilityResponse, AwsError> {
    let settings = RepositorySettings {
        tag_mutability: tag_mutability(
            Some(input.image_tag_mutability),
            input.image_tag_mutability_exclusion_filters,
        )?,
        ..RepositorySettings::default()
    };
    let r = registry(cx)
        .update_repository(cx.account, &input.repository_name, settings)
        .await
        .map_err(err)?;
    Ok(PutImageTagMutabilityResponse {
        registry_id: Some(cx.account.as_str().to_owned()),
        image_tag_mutability: Some(mutability_name(&r)),
        image_tag_mutability_exclusion_filters: filters(&r),
        repository_name: Some(r.name),
    })
}

pub(super) async fn put_image_scanning_configuration(
    cx: &Cx<'_>,
    input: PutImageScanningConfigurationRequest,
) -> Result<PutImageScanningConfigurationResponse, AwsError> {
    let settings = RepositorySettings {
        scan_on_push: input.image_scanning_configuration.scan_on_push,
        ..RepositorySettings::default()
    };
    let r = registry(cx)
        .update_repository(cx.account, &input.repository_name, settings)
        .await
        .map_err(err)?;
    Ok(PutImageScanningConfigurationResponse {
        registry_id: Some(cx.account.as_str().to_owned()),
        repository_name: Some(r.name),
        image_scanning_configuration: Some(ImageScanningConfiguration {
            scan_on_push: Some(r.scan_on_push),
        }),
    })
}
