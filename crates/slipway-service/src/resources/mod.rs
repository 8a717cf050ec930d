//! One module per resource kind.

pub mod algorithms;
pub mod model_package_groups;
pub mod model_packages;
pub mod tags;

use crate::error::{Error, Result};
use slipway_core::ports::metadata::{MetaError, Tag};
use slipway_core::time_util::now_micros;
use slipway_core::{AccountId, Arn, ResourceKind, ResourceRecord};

/// A fresh record for a resource about to be created.
pub(crate) fn new_record(
    region: &str,
    account: &AccountId,
    kind: ResourceKind,
    name: &str,
    status: &str,
    document: serde_json::Value,
) -> ResourceRecord {
    let now = now_micros();
    ResourceRecord {
        account: account.clone(),
        kind,
        key: name.to_ascii_lowercase(),
        name: name.to_owned(),
        arn: Arn::new(region, account, kind, name).to_string(),
        status: status.to_owned(),
        created: now,
        modified: now,
        parent: None,
        version: None,
        approval: None,
        revision: 0,
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

pub(crate) fn document<T: serde::Serialize>(value: &T) -> Result<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| Error::internal("encoding a resource document", e))
}

pub(crate) fn decode<T: serde::de::DeserializeOwned>(record: &ResourceRecord) -> Result<T> {
    serde_json::from_value(record.document.clone())
        .map_err(|e| Error::internal(format!("decoding stored {}", record.arn), e))
}

/// Tags as given at create time.
pub(crate) fn tags_of(tags: &[(String, String)]) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag {
            key: k.clone(),
            value: v.clone(),
        })
        .collect()
}
