//! The control plane's view of the marketplace (docs/marketplace.md):
//! published copies of model packages and algorithms live in the
//! marketplace's own account, and the accounts entitled to a product may
//! describe (and, for buyers, use) those copies by ARN. The marketplace
//! itself (`slipway-marketplace`) sits above this crate; it installs an
//! implementation of [`MarketplaceAccess`] at wiring, so dependencies
//! still point down.

use async_trait::async_trait;
use slipway_core::{AccountId, ResourceKind};

#[async_trait]
pub trait MarketplaceAccess: Send + Sync + 'static {
    /// The account holding every published copy.
    fn account(&self) -> &AccountId;
    /// Whether `caller` may read the published copy `key` of `kind` in the
    /// marketplace account (its seller; later, its subscribers).
    async fn may_use(&self, caller: &AccountId, kind: ResourceKind, key: &str) -> bool;
    /// Whether the platform may pull images of the marketplace
    /// `repository` (one per product) for `caller`'s jobs and endpoints.
    /// The caller itself never reaches the repository.
    async fn may_pull(&self, caller: &AccountId, repository: &str) -> bool;
}
