//! The control plane's view of the marketplace (docs/marketplace.md):
//! published copies of model packages and algorithms live in the
//! marketplace's own account. Who may describe a copy, use it (its
//! seller, and buyers subscribed to its product), and have the platform
//! pull its image and read its model artifacts for their jobs and
//! endpoints is the marketplace's answer. The marketplace itself
//! (`slipway-marketplace`) sits above this crate; it installs an
//! implementation of [`MarketplaceAccess`] at wiring, so dependencies
//! still point down.

use crate::{Error, Result, Service};
use async_trait::async_trait;
use slipway_core::time_util::Micros;
use slipway_core::{AccountId, ResourceKind, ResourceRecord};

/// What an account may do with a published copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyAccess {
    /// Nothing: to this account the copy does not exist.
    None,
    /// Describe it (a public product, or a limited one it is targeted by).
    Visible,
    /// Use it: its seller, or a subscriber the version is available to.
    Entitled,
}

#[async_trait]
pub trait MarketplaceAccess: Send + Sync + 'static {
    /// The account holding every published copy.
    fn account(&self) -> &AccountId;
    /// What `caller` may do with the published copy `key` of `kind`.
    async fn access(&self, caller: &AccountId, kind: ResourceKind, key: &str) -> CopyAccess;
    /// Whether the platform may pull images of the marketplace
    /// `repository` (one per product) for `caller`'s jobs and endpoints.
    /// The caller itself never reaches the repository.
    async fn may_pull(&self, caller: &AccountId, repository: &str) -> bool;
    /// Whether the platform may read the marketplace's object `key` of
    /// `bucket` (a copy's model artifacts) for `caller`'s jobs.
    async fn may_read_artifact(&self, caller: &AccountId, bucket: &str, key: &str) -> bool;
    /// Records `usage` of a published copy (docs/marketplace.md
    /// "Metering"). Idempotent per [`Usage::id`] for the timed kinds: a
    /// later call with the same id moves the end; inference counts add.
    async fn record_usage(&self, usage: Usage) -> Result<()>;
}

/// What a run of a published copy used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageKind {
    /// A training job (`AlgorithmName` = the copy).
    Training,
    /// A batch transform job of a model made from the copy.
    Transform,
    /// An endpoint's production variant serving the copy.
    Realtime,
    /// Inferences the container counted with `X-Amzn-Inference-Metering`.
    Inference,
}

/// One usage report of a run of a published copy.
#[derive(Debug, Clone, PartialEq)]
pub struct Usage {
    /// Names the run (and the segment of an endpoint's life): reports with
    /// the same id update one record.
    pub id: String,
    /// The account that ran it (a buyer, or the seller itself).
    pub user: AccountId,
    /// The published copy (model package or algorithm) that ran.
    pub copy_arn: String,
    pub kind: UsageKind,
    /// Empty for [`UsageKind::Inference`].
    pub instance_type: String,
    pub instance_count: u32,
    /// Wall-clock times of the timed kinds; for inference counts, the
    /// period the units were counted in.
    pub start: Micros,
    pub end: Micros,
    /// Inferences, for [`UsageKind::Inference`]; 0 otherwise.
    pub units: u64,
    /// The training job, transform job or endpoint.
    pub resource_arn: String,
}

/// An `InstanceCount` as metered (absent or out of range: one).
pub fn instance_count(n: Option<i64>) -> u32 {
    n.and_then(|n| u32::try_from(n).ok()).unwrap_or(1).max(1)
}

/// AWS's words for a buyer without a subscription.
pub const NOT_SUBSCRIBED: &str = "Caller is not subscribed to the marketplace offering.";

impl Service {
    /// Whether `record` is a published copy (it lives in the marketplace
    /// account and the caller is another account).
    pub fn is_marketplace_copy(&self, caller: &AccountId, record: &ResourceRecord) -> bool {
        self.marketplace
            .get()
            .is_some_and(|m| m.account() == &record.account && &record.account != caller)
    }

    /// Refuses the use of a published copy by a caller not entitled to it
    /// (ValidationException "Caller is not subscribed to the marketplace
    /// offering.", on `field`). Returns whether `record` is a copy.
    pub async fn check_marketplace_use(
        &self,
        caller: &AccountId,
        record: &ResourceRecord,
        field: &str,
    ) -> Result<bool> {
        if !self.is_marketplace_copy(caller, record) {
            return Ok(false);
        }
        let Some(m) = self.marketplace.get() else {
            return Ok(false);
        };
        match m.access(caller, record.kind, &record.key).await {
            CopyAccess::Entitled => Ok(true),
            _ => Err(Error::invalid(field, NOT_SUBSCRIBED)),
        }
    }

    /// Whether `arn` names a published copy (it lives in the marketplace
    /// account): the runs that are metered.
    pub fn is_marketplace_arn(&self, arn: &str) -> bool {
        let account = arn.split(':').nth(4);
        self.marketplace
            .get()
            .is_some_and(|m| account == Some(m.account().as_str()))
    }

    /// Hands `usage` to the marketplace; whether it is recorded (true
    /// when no marketplace is configured: nothing is owed). Metering never
    /// fails a run: an error is logged (the run's resource names it).
    pub async fn record_marketplace_usage(&self, usage: Usage) -> bool {
        let Some(m) = self.marketplace.get() else {
            return true;
        };
        let (id, resource) = (usage.id.clone(), usage.resource_arn.clone());
        match m.record_usage(usage).await {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(error = %e, usage = %id, resource, "recording marketplace usage");
                false
            }
        }
    }

    /// The account whose storage a job of `caller` reads `s3://bucket/key`
    /// model artifacts as: the marketplace's for a copy's artifacts the
    /// caller is entitled to, else the caller's own.
    pub async fn model_data_reader(&self, caller: &AccountId, url: &str) -> AccountId {
        if let Some(m) = self.marketplace.get() {
            let parsed = url.strip_prefix("s3://").and_then(|r| r.split_once('/'));
            if let Some((bucket, key)) = parsed {
                if m.may_read_artifact(caller, bucket, key).await {
                    return m.account().clone();
                }
            }
        }
        caller.clone()
    }
}
