//! One module per resource kind, and the helpers every resource kind
//! uses (also those of the capability crates built on the control plane,
//! such as `slipway-hosting`).

pub mod algorithms;
pub mod model_package_groups;
pub mod model_packages;
pub mod models;
pub mod tags;

use crate::error::{Error, Result};
use slipway_core::ports::metadata::{MetaError, Tag};
use slipway_core::{AccountId, Arn, ResourceKind, ResourceRecord};

/// A fresh record for a resource about to be created.
pub fn new_record(
    svc: &crate::Service,
    account: &AccountId,
    kind: ResourceKind,
    name: &str,
    status: &str,
    document: String,
) -> ResourceRecord {
    let now = svc.now_micros();
    ResourceRecord {
        account: account.clone(),
        kind,
        key: name.to_ascii_lowercase(),
        name: name.to_owned(),
        arn: Arn::new(svc.region(), account, kind, name).to_string(),
        status: status.to_owned(),
        created: now,
        modified: now,
        parent: None,
        version: None,
        approval: None,
        revision: 0,
        client_token: None,
        summary: None,
        document,
    }
}

/// Maps a duplicate key to the service's `AlreadyExists` with AWS-like text.
pub(crate) fn map_insert(e: MetaError, label: &str, arn: &str) -> Error {
    match e {
        MetaError::AlreadyExists { .. } => Error::AlreadyExists {
            message: format!("{label} already exists: {arn}"),
        },
        other => other.into(),
    }
}

pub fn document<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::internal("encoding a resource document", e))
}

pub fn decode<T: serde::de::DeserializeOwned>(record: &ResourceRecord) -> Result<T> {
    serde_json::from_str(&record.document)
        .map_err(|e| Error::internal(format!("decoding stored {}", record.arn), e))
}

/// Tags as given at create time.
pub fn tags_of(tags: &[(String, String)]) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag {
            key: k.clone(),
            value: v.clone(),
        })
        .collect()
}

/// Finds a resource by name or ARN in the caller's account, failing with
/// `"<Label> <arn> does not exist."` (the form Describe* errors take).
pub async fn find<T: serde::de::DeserializeOwned>(
    svc: &crate::Service,
    account: &AccountId,
    kind: ResourceKind,
    label: &str,
    reference: &str,
) -> Result<(ResourceRecord, T)> {
    use crate::reference::{arn_for, key_for};
    let not_found = || Error::NotFound {
        message: format!(
            "{label} {} does not exist.",
            arn_for(reference, account, svc.region(), kind)
        ),
    };
    // An ARN of another region names nothing here; AWS says so plainly.
    if let Some(arn) = reference
        .starts_with("arn:")
        .then(|| slipway_core::Arn::parse(reference))
        .flatten()
    {
        if arn.region != svc.region() {
            return Err(Error::invalid(
                label,
                format!("ARN should be scoped to correct region: {}", svc.region()),
            ));
        }
    }
    let (owner, key) = match key_for(reference, account, svc.region(), kind) {
        Some(key) => (account.clone(), key),
        None => published_copy(svc, account, kind, reference)
            .await
            .ok_or_else(not_found)?,
    };
    let record = svc
        .store
        .get(&owner, kind, &key)
        .await?
        .ok_or_else(not_found)?;
    let doc = decode(&record)?;
    Ok((record, doc))
}

/// A marketplace copy (another account's ARN) that `caller` is entitled
/// to read: its (account, key). Anything else stays "does not exist", so
/// one account still cannot probe another's resources.
async fn published_copy(
    svc: &crate::Service,
    caller: &AccountId,
    kind: ResourceKind,
    reference: &str,
) -> Option<(AccountId, String)> {
    let access = svc.marketplace.get()?;
    let arn = slipway_core::Arn::parse(reference)?;
    if arn.kind != kind || &arn.account != access.account() || arn.region != svc.region() {
        return None;
    }
    let key = arn.resource.to_ascii_lowercase();
    let visible = access.access(caller, kind, &key).await != crate::marketplace::CopyAccess::None;
    visible.then_some((arn.account, key))
}

/// Runs a finished list query (resuming from the params' NextToken) and
/// decodes each document.
pub async fn list_page<T: serde::de::DeserializeOwned>(
    svc: &crate::Service,
    mut q: slipway_core::ports::metadata::ListQuery,
    params: &crate::listing::ListParams,
) -> Result<(Vec<(ResourceRecord, T)>, Option<String>)> {
    params.resume(&mut q)?;
    let page = svc.store.list(&q).await?;
    let items = page
        .records
        .into_iter()
        .map(|record| {
            let doc = decode(&record)?;
            Ok((record, doc))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((items, crate::listing::next_token(&q, page.next)))
}

#[cfg(test)]
mod tests;
