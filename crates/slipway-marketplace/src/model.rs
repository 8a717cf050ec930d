//! The marketplace's own records: change sets, and the entities they
//! change (machine-learning products and their offers). Stored as JSON
//! documents in the metadata store (docs/marketplace.md "Storage"); the
//! AWS-shaped documents DescribeEntity answers are rendered from these
//! (`render.rs`).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use slipway_core::time_util::Micros;
use slipway_core::AccountId;
use std::collections::BTreeMap;

/// The only catalog: `Catalog` must name it in every request.
pub const CATALOG: &str = "AWSMarketplace";

/// The entity types this marketplace holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntityType {
    MachineLearningProduct,
    Offer,
}

impl EntityType {
    pub const VERSION: &'static str = "1.0";

    pub fn name(self) -> &'static str {
        match self {
            Self::MachineLearningProduct => "MachineLearningProduct",
            Self::Offer => "Offer",
        }
    }

    /// `MachineLearningProduct@1.0`, as changes and DescribeEntity name it.
    pub fn versioned(self) -> String {
        format!("{}@{}", self.name(), Self::VERSION)
    }

    /// Reads `Type` or `Type@1.0`.
    pub fn parse(s: &str) -> Option<Self> {
        let (name, version) = match s.split_once('@') {
            Some((n, v)) => (n, Some(v)),
            None => (s, None),
        };
        if version.is_some_and(|v| v != Self::VERSION) {
            return None;
        }
        match name {
            "MachineLearningProduct" => Some(Self::MachineLearningProduct),
            "Offer" => Some(Self::Offer),
            _ => None,
        }
    }

    /// The ARN segment and the id prefix.
    pub fn id_prefix(self) -> &'static str {
        match self {
            Self::MachineLearningProduct => "prod",
            Self::Offer => "offer",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Intent {
    Validate,
    Apply,
}

impl Intent {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Validate => "VALIDATE",
            Self::Apply => "APPLY",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Preparing,
    Applying,
    Succeeded,
    Cancelled,
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Preparing => "PREPARING",
            Self::Applying => "APPLYING",
            Self::Succeeded => "SUCCEEDED",
            Self::Cancelled => "CANCELLED",
            Self::Failed => "FAILED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Preparing,
            Self::Applying,
            Self::Succeeded,
            Self::Cancelled,
            Self::Failed,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Succeeded | Self::Cancelled | Self::Failed)
    }
}

/// Why a change set failed as a whole (`FailureCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FailureCode {
    ClientError,
    ServerFault,
}

impl FailureCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientError => "CLIENT_ERROR",
            Self::ServerFault => "SERVER_FAULT",
        }
    }
}

/// One entry of a change's `ErrorDetailList`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
}

impl ErrorDetail {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// One change of a change set, as accepted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub change_type: String,
    pub entity_type: EntityType,
    /// `Entity.Type` as sent (echoed back).
    pub entity_type_sent: String,
    /// `Entity.Identifier` as sent (`prod-…`, `prod-…@3` or a
    /// `$ChangeName.Entity.Identifier` reference).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier_sent: Option<String>,
    /// The entity id, once known: at start for existing entities, when
    /// prepared for created ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
    pub details: Value,
    /// Whether the details came as the `Details` string (echoed the same way).
    #[serde(default)]
    pub details_as_string: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entity_tags: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ErrorDetail>,
}

/// A published copy made while applying, kept so that a change set that
/// fails or is interrupted removes what it made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CopyMade {
    pub kind: slipway_core::ResourceKind,
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeSet {
    pub id: String,
    pub arn: String,
    pub owner: AccountId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub intent: Intent,
    pub status: Status,
    pub start: Micros,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Micros>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_code: Option<FailureCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_description: Option<String>,
    pub changes: Vec<Change>,
    /// Existing entities this change set holds locked until it ends.
    #[serde(default)]
    pub locked: Vec<String>,
    /// Copies made while applying (rolled back on failure or restart).
    #[serde(default)]
    pub copies: Vec<CopyMade>,
    /// The entity documents to write, recorded before the first is
    /// written: a restart finishes writing them (redo), so a change set
    /// is applied entirely or not at all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<Vec<Entity>>,
}

impl ChangeSet {
    /// Every entity the change set names (EntityIdList).
    pub fn entity_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for c in &self.changes {
            if let Some(id) = &c.entity_id {
                if !ids.contains(id) {
                    ids.push(id.clone());
                }
            }
        }
        ids
    }
}

/// A catalog entity: a product or an offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    pub id: String,
    pub owner: AccountId,
    /// Bumped by every change set that changes the entity (`id@revision`).
    pub revision: i64,
    pub created: Micros,
    pub modified: Micros,
    /// The change set holding the entity, while one runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked_by: Option<String>,
    pub body: EntityBody,
}

impl Entity {
    /// A new entity of `owner`, made at `now` (revision 0, unlocked).
    pub fn new(id: &str, owner: &AccountId, now: Micros, body: EntityBody) -> Self {
        Self {
            id: id.to_owned(),
            owner: owner.clone(),
            revision: 0,
            created: now,
            modified: now,
            locked_by: None,
            body,
        }
    }

    pub fn entity_type(&self) -> EntityType {
        match self.body {
            EntityBody::Product(_) => EntityType::MachineLearningProduct,
            EntityBody::Offer(_) => EntityType::Offer,
        }
    }

    /// What listings name the entity by.
    pub fn display_name(&self) -> String {
        match &self.body {
            EntityBody::Product(p) => p.title.clone().unwrap_or_default(),
            EntityBody::Offer(o) => o.name.clone().unwrap_or_default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EntityBody {
    Product(Product),
    Offer(Offer),
}

/// Product visibility (`Description.Visibility`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Visibility {
    Draft,
    Limited,
    Public,
    Restricted,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "Draft",
            Self::Limited => "Limited",
            Self::Public => "Public",
            Self::Restricted => "Restricted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Draft, Self::Limited, Self::Public, Self::Restricted]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Product {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The 25-character product code AWS gives every product.
    pub code: String,
    #[serde(default)]
    pub info: ProductInfo,
    pub visibility: Option<Visibility>,
    #[serde(default)]
    pub versions: Vec<Version>,
    /// Buyer accounts a limited listing is shown to.
    #[serde(default)]
    pub buyer_accounts: Vec<String>,
}

impl Product {
    pub fn visibility(&self) -> Visibility {
        self.visibility.unwrap_or(Visibility::Draft)
    }

    /// Every supported instance type of every version, as pricing
    /// dimensions (`<type>.m.i.b`, …; docs/marketplace.md "Pricing").
    pub fn dimension_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = Vec::new();
        for v in &self.versions {
            for k in v.dimension_keys() {
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
        }
        keys
    }
}

/// What UpdateInformation sets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductInfo {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub video_urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub highlights: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub additional_resources: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_description: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SourceKind {
    ModelPackage,
    Algorithm,
}

impl SourceKind {
    /// `SageMakerModelPackage` / `SageMakerAlgorithm`.
    pub fn type_name(self) -> &'static str {
        match self {
            Self::ModelPackage => "SageMakerModelPackage",
            Self::Algorithm => "SageMakerAlgorithm",
        }
    }

    pub fn resource_kind(self) -> slipway_core::ResourceKind {
        match self {
            Self::ModelPackage => slipway_core::ResourceKind::ModelPackage,
            Self::Algorithm => slipway_core::ResourceKind::Algorithm,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InstanceTypes {
    #[serde(default)]
    pub batch: Vec<String>,
    #[serde(default)]
    pub realtime: Vec<String>,
    #[serde(default)]
    pub training: Vec<String>,
}

/// A version: one delivery option serving one published copy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Version {
    pub id: String,
    pub title: String,
    pub release_notes: String,
    pub created: Micros,
    pub source_id: String,
    pub source_kind: SourceKind,
    /// The seller's resource the version was published from.
    pub seller_arn: String,
    /// The marketplace's copy: what buyers use.
    pub copy_arn: String,
    pub delivery: DeliveryOption,
}

impl Version {
    pub fn dimension_keys(&self) -> Vec<String> {
        let s = &self.delivery.supported;
        let mut out = Vec::new();
        match self.source_kind {
            SourceKind::ModelPackage => {
                out.extend(s.batch.iter().map(|t| format!("{t}.m.i.b")));
                out.extend(s.realtime.iter().map(|t| format!("{t}.m.i.r")));
            }
            SourceKind::Algorithm => {
                out.extend(s.training.iter().map(|t| format!("{t}.a.t")));
                out.extend(s.batch.iter().map(|t| format!("{t}.a.i.b")));
                out.extend(s.realtime.iter().map(|t| format!("{t}.a.i.r")));
            }
        }
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OptionVisibility {
    Limited,
    Public,
    Restricted,
}

impl OptionVisibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Limited => "Limited",
            Self::Public => "Public",
            Self::Restricted => "Restricted",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeliveryOption {
    pub id: String,
    pub visibility: OptionVisibility,
    /// The details as sent (AddDeliveryOptions, then UpdateDeliveryOptions):
    /// usage instructions, input/output properties, samples, URLs.
    pub details: Value,
    pub recommended: InstanceTypes,
    pub supported: InstanceTypes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OfferState {
    Draft,
    Released,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    pub product_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub state: OfferState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Pricing>,
    /// The terms as sent by UpdateLegalTerms / UpdateSupportTerms.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_terms: Vec<Value>,
}

/// UpdatePricingTerms: free, or an hourly price per dimension key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pricing {
    /// `Usage` or `Free`.
    pub model: String,
    pub currency: String,
    /// Dimension key → price per hour (or per inference for `*.i.c`).
    pub rates: BTreeMap<String, f64>,
    /// The terms as sent, echoed by DescribeEntity.
    pub terms: Vec<Value>,
}

impl Pricing {
    /// Whether `key` has a price (a free offer prices everything at 0).
    pub fn covers(&self, key: &str) -> bool {
        self.model == "Free" || self.rates.contains_key(key)
    }
}
