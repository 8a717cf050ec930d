//! Preparing a change set: each change applied, in order, to a working
//! copy of the entities it names, so a later change sees what the earlier
//! ones made (`$Name.Entity.Identifier` resolved). Every problem becomes
//! an entry of that change's ErrorDetailList with AWS's code and a message
//! that says what to fix (docs/marketplace.md "Errors"); nothing is
//! written here.

mod details;
mod offer;
mod product;

use crate::model::{ChangeSet, Entity, EntityBody, EntityType, ErrorDetail};
use crate::publish::Asset;
use crate::{store, Marketplace, Result};
use serde_json::Value;
use std::collections::BTreeMap;

pub use details::Fields;

/// The change types of each entity type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    CreateProduct,
    UpdateInformation,
    AddDeliveryOptions,
    UpdateDeliveryOptions,
    RestrictDeliveryOptions,
    UpdateVisibility,
    UpdateTargeting,
    ReleaseProduct,
    CreateOffer,
    UpdateOfferInformation,
    UpdatePricingTerms,
    UpdateLegalTerms,
    UpdateSupportTerms,
    ReleaseOffer,
}

const PRODUCT_CHANGES: [(&str, ChangeKind); 8] = [
    ("CreateProduct", ChangeKind::CreateProduct),
    ("UpdateInformation", ChangeKind::UpdateInformation),
    ("AddDeliveryOptions", ChangeKind::AddDeliveryOptions),
    ("UpdateDeliveryOptions", ChangeKind::UpdateDeliveryOptions),
    (
        "RestrictDeliveryOptions",
        ChangeKind::RestrictDeliveryOptions,
    ),
    ("UpdateVisibility", ChangeKind::UpdateVisibility),
    ("UpdateTargeting", ChangeKind::UpdateTargeting),
    ("ReleaseProduct", ChangeKind::ReleaseProduct),
];

const OFFER_CHANGES: [(&str, ChangeKind); 6] = [
    ("CreateOffer", ChangeKind::CreateOffer),
    ("UpdateInformation", ChangeKind::UpdateOfferInformation),
    ("UpdatePricingTerms", ChangeKind::UpdatePricingTerms),
    ("UpdateLegalTerms", ChangeKind::UpdateLegalTerms),
    ("UpdateSupportTerms", ChangeKind::UpdateSupportTerms),
    ("ReleaseOffer", ChangeKind::ReleaseOffer),
];

impl ChangeKind {
    fn table(t: EntityType) -> &'static [(&'static str, ChangeKind)] {
        match t {
            EntityType::MachineLearningProduct => &PRODUCT_CHANGES,
            EntityType::Offer => &OFFER_CHANGES,
        }
    }

    pub fn parse(t: EntityType, name: &str) -> Option<Self> {
        Self::table(t)
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, k)| *k)
    }

    pub fn names(t: EntityType) -> Vec<&'static str> {
        Self::table(t).iter().map(|(n, _)| *n).collect()
    }

    pub fn creates(self) -> bool {
        matches!(self, Self::CreateProduct | Self::CreateOffer)
    }
}

/// A version to publish when the change set applies: the asset checked
/// while preparing and the name its copy will have.
#[derive(Debug, Clone)]
pub struct PendingCopy {
    pub product_id: String,
    pub version_id: String,
    pub asset: Asset,
    pub copy_name: String,
}

/// What preparing leaves for applying.
#[derive(Debug, Default)]
pub struct Prepared {
    /// Entities as they will be written, by id.
    pub entities: BTreeMap<String, Entity>,
    pub copies: Vec<PendingCopy>,
    /// Product ids that gained a version (pricing must cover them).
    pub new_versions: Vec<String>,
    /// Ids of the entities the changes made or changed: what applying writes.
    pub changed: std::collections::BTreeSet<String>,
}

/// The state the changes work on.
pub struct Working<'a> {
    pub m: &'a Marketplace,
    pub set: &'a ChangeSet,
    pub out: Prepared,
}

impl Working<'_> {
    pub fn product_mut(&mut self, id: &str) -> Option<&mut crate::model::Product> {
        match self.out.entities.get_mut(id).map(|e| &mut e.body) {
            Some(EntityBody::Product(p)) => Some(p),
            _ => None,
        }
    }

    pub fn product(&self, id: &str) -> Option<&crate::model::Product> {
        match self.out.entities.get(id).map(|e| &e.body) {
            Some(EntityBody::Product(p)) => Some(p),
            _ => None,
        }
    }

    /// The offer of a product, among the entities this change set holds
    /// or made.
    pub fn offer_of(&self, product_id: &str) -> Option<&crate::model::Offer> {
        self.out.entities.values().find_map(|e| match &e.body {
            EntityBody::Offer(o) if o.product_id == product_id => Some(o),
            _ => None,
        })
    }

    /// Marks the entity changed by this change set.
    pub fn touch(&mut self, id: &str) {
        let now = self.m.service().wall_micros();
        if let Some(e) = self.out.entities.get_mut(id) {
            e.modified = now;
            self.out.changed.insert(id.to_owned());
        }
    }
}

/// Replaces every `$Name.Entity.Identifier` in `v` with the id of the
/// change named so.
fn resolve_refs(v: &mut Value, names: &BTreeMap<String, String>) {
    match v {
        Value::String(s) => {
            if let Some(id) = crate::start::reference_name(s).and_then(|n| names.get(n)) {
                *s = id.clone();
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| resolve_refs(x, names)),
        Value::Object(o) => o.values_mut().for_each(|x| resolve_refs(x, names)),
        _ => {}
    }
}

/// Prepares `set`: fills each change's `errors`, and returns what applying
/// needs. The change set has failed when any change has errors.
pub async fn prepare(m: &Marketplace, set: &mut ChangeSet) -> Result<Prepared> {
    let mut names = BTreeMap::new();
    for c in &set.changes {
        if let (Some(n), Some(id)) = (&c.change_name, &c.entity_id) {
            names.insert(n.clone(), id.clone());
        }
    }
    // Every offer of a product this change set touches comes along, so
    // the pricing check sees the product's whole offer.
    let mut entities = BTreeMap::new();
    for id in &set.locked {
        if let Some(e) = store::entity(m, id).await? {
            entities.insert(e.id.clone(), e);
        }
    }
    let product_ids: Vec<String> = entities
        .values()
        .filter(|e| e.entity_type() == EntityType::MachineLearningProduct)
        .map(|e| e.id.clone())
        .collect();
    // Products a CreateOffer names by id come along read-only (only
    // entities a change touches are written).
    let offered: Vec<String> = set
        .changes
        .iter()
        .filter(|c| c.change_type == "CreateOffer")
        .filter_map(|c| c.details.get("ProductId").and_then(Value::as_str))
        .filter(|p| crate::start::reference_name(p).is_none())
        .map(|p| crate::ids::entity_id_of(p).to_ascii_lowercase())
        .collect();
    for e in store::all_entities(m).await? {
        let wanted = match &e.body {
            EntityBody::Offer(o) => {
                product_ids.contains(&o.product_id) || offered.contains(&o.product_id)
            }
            EntityBody::Product(_) => offered.contains(&e.id) && e.owner == set.owner,
        };
        if wanted && !entities.contains_key(&e.id) {
            entities.insert(e.id.clone(), e);
        }
    }
    let snapshot = set.clone();
    let mut w = Working {
        m,
        set: &snapshot,
        out: Prepared {
            entities,
            ..Prepared::default()
        },
    };
    // A change on an entity an earlier change failed on is not checked:
    // its errors would only echo the first one.
    let mut failed_entities = std::collections::BTreeSet::new();
    for i in 0..set.changes.len() {
        let mut details = set.changes[i].details.clone();
        resolve_refs(&mut details, &names);
        let c = &set.changes[i];
        let Some(id) = c.entity_id.clone() else {
            continue;
        };
        if failed_entities.contains(&id) {
            continue;
        }
        let Some(kind) = ChangeKind::parse(c.entity_type, &c.change_type) else {
            continue;
        };
        let fields = Fields::new(&details);
        let errors = match c.entity_type {
            EntityType::MachineLearningProduct => {
                product::apply(&mut w, kind, &id, &fields).await?
            }
            EntityType::Offer => offer::apply(&mut w, kind, &id, &fields),
        };
        let mut errors = errors;
        errors.extend(fields.finish());
        if !errors.is_empty() {
            failed_entities.insert(id.clone());
        }
        set.changes[i].errors = errors;
    }
    // Pricing must cover every instance type a new version supports, and
    // at least one version must stay available.
    for i in 0..set.changes.len() {
        let c = &set.changes[i];
        let Some(id) = c.entity_id.clone() else {
            continue;
        };
        match ChangeKind::parse(c.entity_type, &c.change_type) {
            Some(ChangeKind::AddDeliveryOptions) if c.errors.is_empty() => {
                if let Some(e) = product::pricing_gap(&w, &id) {
                    set.changes[i].errors.push(e);
                }
            }
            Some(ChangeKind::UpdatePricingTerms) if c.errors.is_empty() => {
                let product_failed = match w.out.entities.get(&id).map(|e| &e.body) {
                    Some(EntityBody::Offer(o)) => failed_entities.contains(&o.product_id),
                    _ => false,
                };
                if product_failed {
                    continue;
                }
                if let Some(e) = offer::unknown_keys(&w, &id) {
                    set.changes[i].errors.push(e);
                }
            }
            _ => {}
        }
    }
    Ok(w.out)
}

/// Whether any change of the set has errors.
pub fn failed(set: &ChangeSet) -> bool {
    set.changes.iter().any(|c| !c.errors.is_empty())
}

/// `ErrorDetail` shorthand.
pub fn err(code: &str, message: impl Into<String>) -> ErrorDetail {
    ErrorDetail::new(code, message)
}
