//! ECR repository operations: create, describe, delete, and the settings
//! (tag mutability with its exclusion filters, scan on push, encryption).

use super::{err, page_size, Cx, Out};
use crate::error::AwsError;
use crate::json::{ts, Input};
use axum::http::StatusCode;
use serde_json::{json, Value};
use slipway_core::ports::registry::RepositoryRow;
use slipway_registry::RepositorySettings;

/// ECR's names for tag mutability, by (tags move, has exclusions).
fn mutability_name(r: &RepositoryRow) -> &'static str {
    match (r.tags_mutable, r.mutability_exclusions.is_empty()) {
        (true, true) => "MUTABLE",
        (false, true) => "IMMUTABLE",
        (true, false) => "MUTABLE_WITH_EXCLUSION",
        (false, false) => "IMMUTABLE_WITH_EXCLUSION",
    }
}

fn filters_json(r: &RepositoryRow) -> Value {
    r.mutability_exclusions
        .iter()
        .map(|f| json!({"filterType": "WILDCARD", "filter": f}))
        .collect()
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
fn tag_mutability(input: &Input) -> Result<Option<(bool, Vec<String>)>, AwsError> {
    let mode = input.str("imageTagMutability");
    let filters: Option<Vec<Value>> = input.typed("imageTagMutabilityExclusionFilters")?;
    let filters: Option<Vec<String>> = filters.map(|f| {
        f.iter()
            .filter_map(|v| v.get("filter").and_then(Value::as_str).map(str::to_owned))
            .collect()
    });
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
fn encryption(input: &Input) -> Result<Option<(String, Option<String>)>, AwsError> {
    let Some(c) = input
        .0
        .get("encryptionConfiguration")
        .filter(|c| !c.is_null())
    else {
        return Ok(None);
    };
    // Required by the model, so present once the check has passed.
    let kind = c
        .get("encryptionType")
        .and_then(Value::as_str)
        .unwrap_or("AES256")
        .to_owned();
    let key = c.get("kmsKey").and_then(Value::as_str).map(str::to_owned);
    if kind == "AES256" && key.is_some() {
        return Err(invalid(
            "Invalid parameter at 'encryptionConfiguration.kmsKey' failed to satisfy constraint: \
             'can only be specified when encryptionType is KMS or KMS_DSSE'",
        ));
    }
    Ok(Some((kind, key)))
}

impl Cx<'_> {
    pub(super) fn repo_json(&self, r: &RepositoryRow) -> Value {
        let region = self.svc.region();
        let mut encryption = json!({"encryptionType": r.encryption_type});
        if let Some(k) = &r.kms_key {
            encryption["kmsKey"] = k.clone().into();
        }
        let mut out = json!({
            "repositoryArn": format!("arn:aws:ecr:{region}:{}:repository/{}", r.account, r.name),
            "registryId": r.account.as_str(),
            "repositoryName": r.name,
            "repositoryUri": format!("{}.dkr.ecr.{region}.amazonaws.com/{}", r.account, r.name),
            "createdAt": ts(r.created),
            "imageTagMutability": mutability_name(r),
            "imageScanningConfiguration": {"scanOnPush": r.scan_on_push},
            "encryptionConfiguration": encryption,
        });
        if !r.mutability_exclusions.is_empty() {
            out["imageTagMutabilityExclusionFilters"] = filters_json(r);
        }
        out
    }

    pub(super) async fn create_repository(&self, input: &Input) -> Out {
        let name = input.str("repositoryName").unwrap_or_default();
        let settings = RepositorySettings {
            tag_mutability: tag_mutability(input)?,
            scan_on_push: scan_on_push(input),
            encryption: encryption(input)?,
        };
        let r = self
            .registry()
            .create_repository(self.account, &name, settings)
            .await
            .map_err(err)?;
        Ok(json!({"repository": self.repo_json(&r)}))
    }

    pub(super) async fn describe_repositories(&self, input: &Input) -> Out {
        let names: Option<Vec<String>> = input.typed("repositoryNames")?;
        let reg = self.registry();
        let repos = match names {
            Some(names) => {
                let mut out = Vec::new();
                for n in names {
                    out.push(reg.repository(self.account, &n).await.map_err(err)?);
                }
                out
            }
            None => reg.list_repositories(self.account).await.map_err(err)?,
        };
        let after = input.str("nextToken");
        let n = page_size(input, 100);
        let mut page: Vec<&RepositoryRow> = repos
            .iter()
            .filter(|r| after.as_deref().is_none_or(|a| r.name.as_str() > a))
            .take(n + 1)
            .collect();
        let next = (page.len() > n).then(|| page[n - 1].name.clone());
        page.truncate(n);
        let mut out =
            json!({"repositories": page.iter().map(|r| self.repo_json(r)).collect::<Vec<_>>()});
        if let Some(t) = next {
            out["nextToken"] = t.into();
        }
        Ok(out)
    }

    pub(super) async fn delete_repository(&self, input: &Input) -> Out {
        let name = input.str("repositoryName").unwrap_or_default();
        let force = input.bool("force").unwrap_or(false);
        let r = self
            .registry()
            .delete_repository(self.account, &name, force)
            .await
            .map_err(err)?;
        Ok(json!({"repository": self.repo_json(&r)}))
    }

    pub(super) async fn put_image_tag_mutability(&self, input: &Input) -> Out {
        let name = input.str("repositoryName").unwrap_or_default();
        let settings = RepositorySettings {
            tag_mutability: tag_mutability(input)?,
            ..RepositorySettings::default()
        };
        let r = self
            .registry()
            .update_repository(self.account, &name, settings)
            .await
            .map_err(err)?;
        let mut out = json!({
            "registryId": self.account.as_str(),
            "repositoryName": r.name,
            "imageTagMutability": mutability_name(&r),
        });
        if !r.mutability_exclusions.is_empty() {
            out["imageTagMutabilityExclusionFilters"] = filters_json(&r);
        }
        Ok(out)
    }

    pub(super) async fn put_image_scanning_configuration(&self, input: &Input) -> Out {
        let name = input.str("repositoryName").unwrap_or_default();
        let settings = RepositorySettings {
            scan_on_push: scan_on_push(input),
            ..RepositorySettings::default()
        };
        let r = self
            .registry()
            .update_repository(self.account, &name, settings)
            .await
            .map_err(err)?;
        Ok(json!({
            "registryId": self.account.as_str(),
            "repositoryName": r.name,
            "imageScanningConfiguration": {"scanOnPush": r.scan_on_push},
        }))
    }
}

fn scan_on_push(input: &Input) -> Option<bool> {
    input
        .0
        .get("imageScanningConfiguration")
        .and_then(|c| c.get("scanOnPush"))
        .and_then(Value::as_bool)
}
