//! The persisted form of every control-plane resource. The store keeps a
//! few indexed columns for filtering and sorting, and the full resource as
//! a JSON document the service owns; adding a resource kind needs no
//! migration.

use crate::time_util::Micros;
use crate::AccountId;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Kinds of resources, named as in their ARNs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ResourceKind {
    ModelPackage,
    ModelPackageGroup,
    Algorithm,
    TrainingJob,
    TransformJob,
    Model,
    EndpointConfig,
    Endpoint,
    /// The readiness report of a validated model package or algorithm
    /// (keyed `<resource ARN type>/<resource key>`).
    ReadinessReport,
    /// A Marketplace Catalog change set (in the seller's account).
    CatalogChangeSet,
    /// A Marketplace Catalog entity (a product or an offer), kept in the
    /// marketplace's own account: `parent` is the owning seller account,
    /// `status` the entity type.
    CatalogEntity,
    /// What the marketplace knows about a published copy of a model
    /// package or algorithm (keyed `<ARN type>/<key>`, in the marketplace
    /// account): the product it belongs to and its seller.
    MarketplaceCopy,
    /// A buyer's subscription to a product (its agreement), in the
    /// marketplace account, keyed `<buyer>/<product id>`.
    MarketplaceSubscription,
    /// One usage record of a buyer's run (metering), in the marketplace
    /// account.
    MarketplaceUsage,
    HyperParameterTuningJob,
    /// A job of a published copy whose usage is not recorded yet, in the
    /// job's account, keyed `<job ARN type>/<job key>`, status = the job's
    /// ARN type: what a restart still has to meter.
    UsageDue,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 16] = [
        Self::ModelPackage,
        Self::ModelPackageGroup,
        Self::Algorithm,
        Self::TrainingJob,
        Self::TransformJob,
        Self::Model,
        Self::EndpointConfig,
        Self::Endpoint,
        Self::ReadinessReport,
        Self::CatalogChangeSet,
        Self::CatalogEntity,
        Self::MarketplaceCopy,
        Self::MarketplaceSubscription,
        Self::MarketplaceUsage,
        Self::HyperParameterTuningJob,
        Self::UsageDue,
    ];

    /// The type segment of the ARN (`model-package`, `algorithm`, ...).
    pub fn arn_type(self) -> &'static str {
        match self {
            Self::ModelPackage => "model-package",
            Self::ModelPackageGroup => "model-package-group",
            Self::Algorithm => "algorithm",
            Self::TrainingJob => "training-job",
            Self::TransformJob => "transform-job",
            Self::Model => "model",
            Self::EndpointConfig => "endpoint-config",
            Self::Endpoint => "endpoint",
            Self::ReadinessReport => "readiness-report",
            Self::CatalogChangeSet => "catalog-change-set",
            Self::CatalogEntity => "catalog-entity",
            Self::MarketplaceCopy => "marketplace-copy",
            Self::MarketplaceSubscription => "marketplace-subscription",
            Self::MarketplaceUsage => "marketplace-usage",
            Self::HyperParameterTuningJob => "hyper-parameter-tuning-job",
            Self::UsageDue => "usage-due",
        }
    }

    pub fn from_arn_type(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.arn_type() == s)
    }

    /// How error messages name the kind ("model package", "algorithm").
    pub fn human(self) -> &'static str {
        match self {
            Self::ModelPackage => "model package",
            Self::ModelPackageGroup => "model package group",
            Self::Algorithm => "algorithm",
            Self::TrainingJob => "training job",
            Self::TransformJob => "transform job",
            Self::Model => "model",
            Self::EndpointConfig => "endpoint configuration",
            Self::Endpoint => "endpoint",
            Self::ReadinessReport => "readiness report",
            Self::CatalogChangeSet => "change set",
            Self::CatalogEntity => "entity",
            Self::MarketplaceCopy => "marketplace copy",
            Self::MarketplaceSubscription => "subscription",
            Self::MarketplaceUsage => "usage record",
            Self::HyperParameterTuningJob => "hyperparameter tuning job",
            Self::UsageDue => "usage due",
        }
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.human())
    }
}

/// One stored resource. `key` is unique per (account, kind): the
/// lower-cased name (`group/3` for a versioned model package), matching the
/// ARN's resource path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceRecord {
    pub account: AccountId,
    pub kind: ResourceKind,
    pub key: String,
    /// The name as the client spelled it (for versioned packages: the group).
    pub name: String,
    pub arn: String,
    pub status: String,
    pub created: Micros,
    pub modified: Micros,
    /// The parent's key for children (a versioned package's group).
    pub parent: Option<String>,
    pub version: Option<i64>,
    /// ModelApprovalStatus for versioned packages; indexed for ListModelPackages.
    pub approval: Option<String>,
    /// Optimistic-concurrency counter; bumped by every update.
    pub revision: i64,
    /// The create request's idempotency token (`ClientToken`), if any:
    /// a retried create with the same token returns this record.
    pub client_token: Option<String>,
    /// A small JSON document of what listings show, kept beside the full
    /// document so a 100-item page need not copy and parse 100 full ones.
    pub summary: Option<String>,
    /// The service's JSON document, as text: the store neither parses nor
    /// validates it, and the service decodes it straight into the typed
    /// shape it needs (a full document, or a small summary for listings).
    pub document: String,
}
