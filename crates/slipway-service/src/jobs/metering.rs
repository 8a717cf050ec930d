//! Metering of jobs that run a published copy (docs/marketplace.md
//! "Metering"), so that no job's usage is lost to a server's death.
//!
//! A job's usage is known only once it has ended, and it ends in one store
//! write while its usage is recorded in another. So before such a job
//! runs, a `UsageDue` record says its usage is owed; the record goes only
//! once the usage is recorded. A restart meters every ended job that still
//! has one (a job still running is metered by its resumed runner).

use super::lifecycle::JobKind;
use super::training::state::status;
use crate::Service;
use slipway_core::ports::metadata::MetaError;
use slipway_core::{AccountId, ResourceKind};

const KIND: ResourceKind = ResourceKind::UsageDue;

fn due_key<K: JobKind>(key: &str) -> String {
    format!("{}/{key}", K::KIND.arn_type())
}

/// Notes that job `key` owes its usage, if it runs a published copy.
/// Idempotent: a resumed runner notes it again. Without a marketplace no
/// job can run a copy, and nothing is read.
pub(crate) async fn note_due<K: JobKind>(svc: &Service, account: &AccountId, key: &str) {
    if svc.marketplace.get().is_none() {
        return;
    }
    let Ok(Some(record)) = svc.store.get(account, K::KIND, key).await else {
        return;
    };
    let Ok(doc) = crate::resources::decode::<K::Doc>(&record) else {
        return;
    };
    if !K::runs_copy(svc, &doc) {
        return;
    }
    let mut due = crate::resources::new_record(
        svc,
        &record.account,
        KIND,
        &record.name,
        K::KIND.arn_type(),
        "{}".to_owned(),
    );
    // Keyed by the job (names of two kinds may be equal); its ARN is the
    // job's, for the logs.
    due.key = due_key::<K>(&record.key);
    due.arn = record.arn.clone();
    match svc.store.insert(&due, &[]).await {
        Ok(()) | Err(MetaError::AlreadyExists { .. }) => {}
        Err(e) => tracing::error!(job = %record.arn, error = %e, "noting a job's usage as due"),
    }
}

/// Records the usage of a job that has ended and clears what it owed (a
/// runner that detached at shutdown leaves the job running: its usage is
/// recorded when the next server's runner ends it). The usage record's id
/// is the job's ARN, so a second report changes nothing.
pub(crate) async fn meter_ended<K: JobKind>(svc: &Service, account: &AccountId, key: &str) {
    let Ok(Some(record)) = svc.store.get(account, K::KIND, key).await else {
        return;
    };
    if !status::is_terminal(&record.status) {
        return;
    }
    let recorded = match crate::resources::decode::<K::Doc>(&record) {
        Ok(doc) => {
            let mut all = true;
            for usage in K::usage(svc, &record, &doc) {
                all &= svc.record_marketplace_usage(usage).await;
            }
            all
        }
        Err(_) => true,
    };
    // Kept when recording failed (a full disk): the next start retries.
    if recorded {
        if let Err(e) = svc.store.delete(account, KIND, &due_key::<K>(key)).await {
            tracing::error!(job = %record.arn, error = %e, "clearing a job's due usage");
        }
    }
}

/// At start: meters the ended jobs of kind `K` whose usage a previous
/// process owed, and forgets what was owed by jobs deleted since.
pub(crate) async fn meter_left_over<K: JobKind>(svc: &Service) {
    let owed = match svc.store.find_by_status(KIND, &[K::KIND.arn_type()]).await {
        Ok(o) => o,
        Err(e) => {
            tracing::error!(error = %e, "listing due usage");
            return;
        }
    };
    for due in owed {
        let Some(key) = due.key.split_once('/').map(|(_, k)| k.to_owned()) else {
            continue;
        };
        match svc.store.get(&due.account, K::KIND, &key).await {
            Ok(Some(_)) => meter_ended::<K>(svc, &due.account, &key).await,
            Ok(None) => {
                let _ = svc.store.delete(&due.account, KIND, &due.key).await;
            }
            Err(e) => tracing::error!(job = %due.arn, error = %e, "reading a job owing usage"),
        }
    }
}

#[cfg(test)]
#[path = "metering_tests.rs"]
mod tests;
