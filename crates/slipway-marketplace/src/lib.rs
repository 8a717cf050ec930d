//! A private AWS Marketplace for machine-learning products
//! (docs/marketplace.md): the Catalog API's change sets and entities for
//! `MachineLearningProduct@1.0` and `Offer@1.0`, and publishing.
//!
//! A change set is accepted at once (`StartChangeSet` checks only what
//! the API itself refuses: the catalog, the change types, references
//! between changes, locks and quotas) and then runs in the background,
//! `PREPARING → APPLYING → SUCCEEDED | FAILED | CANCELLED`, all or
//! nothing. Preparing checks every change against the entities as the
//! earlier changes leave them, and the assets against what AWS refuses at
//! listing; applying copies each new version's model package or algorithm,
//! its images and artifacts into the marketplace's own account (so the
//! seller's later changes never reach buyers), then writes the entities.
//!
//! This crate sits above the control plane; it tells the control plane who
//! may read the published copies through
//! [`slipway_service::marketplace::MarketplaceAccess`].

mod changes;
mod ids;
mod list;
pub mod metering;
pub mod model;
mod publish;
pub mod render;
mod run;
mod start;
mod store;
pub mod subscriptions;
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;

pub use list::{ChangeSetFilter, EntityFilter, Page};
pub use start::{NewChange, NewChangeSet};

use async_trait::async_trait;
use model::{ChangeSet, Entity};
use slipway_core::{AccountId, ResourceKind};
use slipway_service::marketplace::{CopyAccess, Usage};
use slipway_service::Service;
use std::sync::Arc;
use std::time::Duration;
pub use subscriptions::{Subscription, SubscriptionStatus};

/// The marketplace's settings (README "Configuration").
#[derive(Debug, Clone)]
pub struct MarketplaceConfig {
    /// The account holding the catalog and every published copy. AWS uses
    /// one such account per region; by default Slipway uses the same
    /// numbers ([`default_account`]).
    pub account: AccountId,
    /// Products one seller account may own (ServiceQuotaExceeded beyond).
    pub max_products_per_account: usize,
    /// Change sets one account may have running at once.
    pub max_open_change_sets: usize,
    /// How long a change set stays PREPARING before it is checked, to let
    /// sellers exercise their polling and CancelChangeSet (AWS takes
    /// minutes to hours). Zero by default.
    pub preparing_delay: Duration,
}

impl MarketplaceConfig {
    pub fn new(region: &str) -> Self {
        Self {
            account: default_account(region),
            max_products_per_account: 100,
            max_open_change_sets: 10,
            preparing_delay: Duration::ZERO,
        }
    }
}

/// The per-region account AWS Marketplace publishes copies from (as the
/// SageMaker Python SDK's tests list them), or a fixed one for other
/// regions.
pub fn default_account(region: &str) -> AccountId {
    let id = match region {
        "us-east-1" => "865070037744",
        "us-east-2" => "057799348421",
        "us-west-2" => "594846645681",
        "eu-west-1" => "985815980388",
        _ => "999900000001",
    };
    // Twelve digits each, so `parse` cannot refuse them; the fallback
    // only keeps this free of a panic path.
    AccountId::parse(id).unwrap_or_else(AccountId::random)
}

/// The Catalog API's conditions, mapped to its HTTP codes by the wire.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// `ValidationException` (422).
    #[error("{0}")]
    Validation(String),
    /// `ResourceNotFoundException` (404).
    #[error("{0}")]
    NotFound(String),
    /// `ResourceInUseException` (423): an entity is locked by a running
    /// change set, or a change set is past cancelling.
    #[error("{0}")]
    InUse(String),
    /// `AccessDeniedException` (403).
    #[error("{0}")]
    AccessDenied(String),
    /// `ServiceQuotaExceededException` (402).
    #[error("{0}")]
    QuotaExceeded(String),
    /// `ResourceNotSupportedException` (415): an entity type this
    /// marketplace does not hold.
    #[error("{0}")]
    NotSupported(String),
    #[error(transparent)]
    Service(#[from] slipway_service::Error),
}

pub type Result<T, E = CatalogError> = std::result::Result<T, E>;

impl CatalogError {
    pub(crate) fn internal(context: &str, e: impl std::fmt::Display) -> Self {
        Self::Service(slipway_service::Error::internal(
            context.to_owned(),
            std::io::Error::other(e.to_string()),
        ))
    }
}

/// The marketplace: cheap to clone, one per server.
#[derive(Clone)]
pub struct Marketplace {
    svc: Service,
    config: Arc<MarketplaceConfig>,
    /// Serialises taking and releasing entity locks (one process owns the
    /// data directory).
    locks: Arc<tokio::sync::Mutex<()>>,
}

impl Marketplace {
    pub fn new(svc: Service, config: MarketplaceConfig) -> Self {
        Self {
            svc,
            config: Arc::new(config),
            locks: Arc::default(),
        }
    }

    pub fn service(&self) -> &Service {
        &self.svc
    }

    pub fn config(&self) -> &MarketplaceConfig {
        &self.config
    }

    /// Registers with the control plane (who may read published copies)
    /// and resumes change sets a previous process left running.
    pub async fn install(&self) -> Result<usize> {
        self.svc.set_marketplace(Arc::new(self.clone()));
        run::reconcile(self).await
    }

    /// StartChangeSet: checks and records the change set, then runs it in
    /// the background. A retry with the same ClientRequestToken answers
    /// the change set the first call started.
    pub async fn start_change_set(
        &self,
        caller: &AccountId,
        new: NewChangeSet,
    ) -> Result<ChangeSet> {
        let (set, fresh) = start::start(self, caller, new).await?;
        if fresh {
            run::spawn(self.clone(), caller.clone(), set.id.clone());
        }
        Ok(set)
    }

    pub async fn describe_change_set(&self, caller: &AccountId, id: &str) -> Result<ChangeSet> {
        store::change_set(self, caller, id).await
    }

    /// CancelChangeSet: only while PREPARING.
    pub async fn cancel_change_set(&self, caller: &AccountId, id: &str) -> Result<ChangeSet> {
        run::cancel(self, caller, id).await
    }

    pub async fn list_change_sets(
        &self,
        caller: &AccountId,
        filter: &ChangeSetFilter,
    ) -> Result<Page<ChangeSet>> {
        list::change_sets(self, caller, filter).await
    }

    /// DescribeEntity: the caller's own entities, and products (and their
    /// offers) it may see: public ones, and limited ones it is targeted by.
    pub async fn describe_entity(&self, caller: &AccountId, id: &str) -> Result<Entity> {
        let missing = || CatalogError::NotFound(format!("Entity {id} was not found."));
        let entity = store::entity(self, id).await?.ok_or_else(missing)?;
        let product = match &entity.body {
            model::EntityBody::Offer(o) if &entity.owner != caller => {
                store::entity(self, &o.product_id).await?
            }
            _ => None,
        };
        if !list::visible_to_with(&entity, caller, product.as_ref()) {
            return Err(missing());
        }
        Ok(entity)
    }

    pub async fn list_entities(
        &self,
        caller: &AccountId,
        filter: &EntityFilter,
    ) -> Result<Page<Entity>> {
        list::entities(self, caller, filter).await
    }

    /// The ARN of an entity.
    pub fn entity_arn(&self, e: &Entity) -> String {
        ids::entity_arn(self, &e.owner, e.entity_type(), &e.id)
    }
}

#[async_trait]
impl slipway_service::marketplace::MarketplaceAccess for Marketplace {
    fn account(&self) -> &AccountId {
        &self.config.account
    }

    async fn access(&self, caller: &AccountId, kind: ResourceKind, key: &str) -> CopyAccess {
        let answer = async {
            let Some((product_id, version_id)) = publish::copy_of(self, kind, key).await? else {
                return Ok(CopyAccess::None);
            };
            let option = match store::entity(self, &product_id).await? {
                Some(Entity {
                    body: model::EntityBody::Product(p),
                    ..
                }) => p
                    .versions
                    .iter()
                    .find(|v| v.id == version_id)
                    .map(|v| v.delivery.id.clone()),
                _ => None,
            };
            subscriptions::access(self, caller, &product_id, option.as_deref()).await
        };
        answer.await.unwrap_or_else(|e: CatalogError| {
            tracing::warn!(error = %e, key, "reading a marketplace copy's access");
            CopyAccess::None
        })
    }

    async fn record_usage(&self, usage: Usage) -> slipway_service::Result<()> {
        metering::record(self, usage).await.map_err(|e| match e {
            CatalogError::Service(e) => e,
            other => slipway_service::Error::internal(
                "recording marketplace usage".to_owned(),
                std::io::Error::other(other.to_string()),
            ),
        })
    }

    async fn may_pull(&self, caller: &AccountId, repository: &str) -> bool {
        self.entitled_to_product(caller, repository).await
    }

    async fn may_read_artifact(&self, caller: &AccountId, bucket: &str, key: &str) -> bool {
        if bucket != publish::bucket(self) {
            return false;
        }
        let product = key.split('/').next().unwrap_or_default();
        self.entitled_to_product(caller, product).await
    }
}

impl Marketplace {
    /// Whether `caller` may use some version of `product_id` (its seller,
    /// or an active subscriber): what the platform's pulls and artifact
    /// reads for the caller's jobs need.
    async fn entitled_to_product(&self, caller: &AccountId, product_id: &str) -> bool {
        match subscriptions::access(self, caller, product_id, None).await {
            Ok(a) => a == CopyAccess::Entitled,
            Err(e) => {
                tracing::warn!(error = %e, product_id, "reading a product's entitlement");
                false
            }
        }
    }

    /// Subscribes `buyer` to `product_id` (accepts its offer).
    pub async fn subscribe(&self, buyer: &AccountId, product_id: &str) -> Result<Subscription> {
        subscriptions::subscribe(self, buyer, product_id).await
    }

    /// Ends `buyer`'s subscription to `product_id`.
    pub async fn unsubscribe(&self, buyer: &AccountId, product_id: &str) -> Result<Subscription> {
        subscriptions::unsubscribe(self, buyer, product_id).await
    }

    /// GetUsage: usage `caller` is party to (as the account that ran it,
    /// or as the product's seller), priced.
    pub async fn usage(
        &self,
        caller: &AccountId,
        filter: &metering::UsageFilter,
    ) -> Result<Vec<metering::UsageLine>> {
        metering::lines(self, caller, filter).await
    }

    /// Subscriptions `caller` is party to: as buyer, and as seller of the
    /// product (who subscribes to what), newest first.
    pub async fn subscriptions(&self, caller: &AccountId) -> Result<Vec<Subscription>> {
        let mut all: Vec<Subscription> = subscriptions::all(self)
            .await?
            .into_iter()
            .filter(|s| &s.buyer == caller || &s.seller == caller)
            .collect();
        all.sort_by_key(|s| std::cmp::Reverse(s.start));
        Ok(all)
    }
}
