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
