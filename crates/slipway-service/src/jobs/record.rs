//! The one way jobs change: read the stored job, apply a change, write it
//! back with the revision check, retry on a concurrent modification. Both
//! the runner (progress) and the API (StopTrainingJob) go through here, so
//! neither can overwrite the other's change.

use crate::error::{Error, Result};
use crate::resources::{decode, document};
use crate::Service;
use serde::de::DeserializeOwned;
use serde::Serialize;
use slipway_core::ports::metadata::MetaError;
use slipway_core::{AccountId, ResourceKind, ResourceRecord};

/// Renders a document's listing view.
pub type SummaryFn<D> = fn(&D) -> Result<Option<String>>;

/// Applies `change` (to the status and the decoded document) and stores
/// the result; `change` returns false to leave the job untouched.
/// `summary` renders what listings show (`None`: the change leaves the
/// listing view as it is). Returns the stored record and document.
pub async fn mutate<D, F>(
    svc: &Service,
    account: &AccountId,
    kind: ResourceKind,
    key: &str,
    summary: Option<SummaryFn<D>>,
    mut change: F,
) -> Result<(ResourceRecord, D)>
where
    D: Serialize + DeserializeOwned,
    F: FnMut(&mut String, &mut D) -> Result<bool>,
{
    for _ in 0..50 {
        let record = svc
            .store
            .get(account, kind, key)
            .await?
            .ok_or_else(|| Error::NotFound {
                message: format!("{kind} {key} no longer exists"),
            })?;
        let mut doc: D = decode(&record)?;
        let mut status = record.status.clone();
        if !change(&mut status, &mut doc)? {
            return Ok((record, doc));
        }
        let mut next = record.clone();
        next.status = status;
        next.modified = svc.now_micros();
        if let Some(summary) = summary {
            next.summary = summary(&doc)?;
        }
        next.document = document(&doc)?;
        match svc.store.update(&next).await {
            Ok(stored) => return Ok((stored, doc)),
            Err(MetaError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Conflict(format!(
        "{kind} {key} is being modified too often; retry"
    )))
}

/// The first 1024 characters (FailureReason's limit), on a char boundary.
pub use slipway_executor::clip_reason;
