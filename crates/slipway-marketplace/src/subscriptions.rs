//! Buyers' subscriptions (docs/marketplace.md "Buyers"): an account
//! subscribes to a product it may see — public, or limited and targeted
//! at it — by accepting the product's offer, which makes an agreement. A
//! subscription entitles its buyer to the versions available when it was
//! made and to later ones; a version restricted since keeps working for
//! it, and is closed to new subscribers. Stored as `MarketplaceSubscription`
//! records in the marketplace account, keyed `<buyer>/<product id>`.

use crate::list::visible_to_with;
use crate::model::{EntityBody, OfferState, OptionVisibility, Pricing, Product, Visibility};
use crate::{ids, store, CatalogError, Marketplace, Result};
use serde::{Deserialize, Serialize};
use slipway_core::ports::metadata::{ListQuery, MetaError};
use slipway_core::time_util::Micros;
use slipway_core::{AccountId, ResourceKind, ResourceRecord};
use slipway_service::marketplace::CopyAccess;

const KIND: ResourceKind = ResourceKind::MarketplaceSubscription;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SubscriptionStatus {
    Active,
    Cancelled,
}

impl SubscriptionStatus {
    /// As the Agreement API writes agreement statuses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Cancelled => "CANCELLED",
        }
    }
}

/// A subscription: the buyer's accepted agreement on a product's offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscription {
    /// `agmt-` and 25 characters, as AWS's agreement ids.
    pub agreement_id: String,
    pub buyer: AccountId,
    pub seller: AccountId,
    pub product_id: String,
    pub product_title: String,
    pub offer_id: String,
    pub status: SubscriptionStatus,
    pub start: Micros,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Micros>,
    /// Delivery options available when the buyer subscribed: the ones it
    /// keeps if they are restricted later.
    pub usable_options: Vec<String>,
    /// The offer's pricing when accepted (what usage is priced with).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pricing: Option<Pricing>,
}

fn key(buyer: &AccountId, product_id: &str) -> String {
    format!("{buyer}/{product_id}")
}

fn decode(r: &ResourceRecord) -> Result<Subscription> {
    serde_json::from_str(&r.document)
        .map_err(|e| CatalogError::internal("decoding a subscription", e))
}

fn meta(e: MetaError) -> CatalogError {
    CatalogError::Service(e.into())
}

async fn record(
    m: &Marketplace,
    buyer: &AccountId,
    product_id: &str,
) -> Result<Option<(ResourceRecord, Subscription)>> {
    let r = m
        .service()
        .metadata()
        .get(&m.config().account, KIND, &key(buyer, product_id))
        .await
        .map_err(meta)?;
    match r {
        Some(r) => {
            let s = decode(&r)?;
            Ok(Some((r, s)))
        }
        None => Ok(None),
    }
}

/// The buyer's active subscription to `product_id`, if any.
pub async fn active(
    m: &Marketplace,
    buyer: &AccountId,
    product_id: &str,
) -> Result<Option<Subscription>> {
    Ok(record(m, buyer, product_id)
        .await?
        .map(|(_, s)| s)
        .filter(|s| s.status == SubscriptionStatus::Active))
}

/// The buyer's subscription to `product_id`, active or not.
pub async fn latest(
    m: &Marketplace,
    buyer: &AccountId,
    product_id: &str,
) -> Result<Option<Subscription>> {
    Ok(record(m, buyer, product_id).await?.map(|(_, s)| s))
}

/// Every subscription record (the marketplace is small).
pub async fn all(m: &Marketplace) -> Result<Vec<Subscription>> {
    let mut out = Vec::new();
    let mut q = ListQuery::new(m.config().account.clone(), KIND);
    q.limit = 1000;
    loop {
        let page = m.service().metadata().list(&q).await.map_err(meta)?;
        for r in &page.records {
            out.push(decode(r)?);
        }
        match page.next {
            Some(c) => q.after = Some(c),
            None => return Ok(out),
        }
    }
}

fn not_found(product_id: &str) -> CatalogError {
    CatalogError::NotFound(format!("Product {product_id} was not found."))
}

/// Subscribes `buyer` to `product_id` (idempotent while active).
pub async fn subscribe(
    m: &Marketplace,
    buyer: &AccountId,
    product_id: &str,
) -> Result<Subscription> {
    let product_id = ids::entity_id_of(product_id).to_ascii_lowercase();
    let entity = store::entity(m, &product_id)
        .await?
        .ok_or_else(|| not_found(&product_id))?;
    let EntityBody::Product(p) = &entity.body else {
        return Err(not_found(&product_id));
    };
    if !visible_to_with(&entity, buyer, None) {
        return Err(not_found(&product_id));
    }
    if let Some(s) = active(m, buyer, &product_id).await? {
        return Ok(s);
    }
    match p.visibility() {
        Visibility::Draft => {
            return Err(CatalogError::Validation(format!(
                "Product {product_id} is not released yet; it can be subscribed to once it is Limited or Public."
            )))
        }
        Visibility::Restricted => {
            return Err(CatalogError::Validation(format!(
                "Product {product_id} is no longer available to new subscribers."
            )))
        }
        _ => {}
    }
    let offer = store::all_entities(m)
        .await?
        .into_iter()
        .find_map(|e| match e.body {
            EntityBody::Offer(o) if o.product_id == product_id => Some((e.id, o)),
            _ => None,
        });
    let Some((offer_id, offer)) = offer.filter(|(_, o)| o.pricing.is_some()) else {
        return Err(CatalogError::Validation(format!(
            "Product {product_id} has no priced offer to accept yet."
        )));
    };
    if p.visibility() == Visibility::Public
        && offer.state != OfferState::Released
        && &entity.owner != buyer
    {
        return Err(CatalogError::Validation(format!(
            "The offer of product {product_id} is not released yet."
        )));
    }
    let usable_options = usable_now(p);
    if usable_options.is_empty() {
        return Err(CatalogError::Validation(format!(
            "Product {product_id} has no available version to subscribe to."
        )));
    }
    let now = m.service().wall_micros();
    let sub = Subscription {
        agreement_id: format!("agmt-{}", ids::random(25)),
        buyer: buyer.clone(),
        seller: entity.owner.clone(),
        product_id: product_id.clone(),
        product_title: p.title.clone().unwrap_or_default(),
        offer_id,
        status: SubscriptionStatus::Active,
        start: now,
        end: None,
        usable_options,
        pricing: offer.pricing.clone(),
    };
    write(m, &sub).await?;
    Ok(sub)
}

fn usable_now(p: &Product) -> Vec<String> {
    p.versions
        .iter()
        .filter(|v| v.delivery.visibility != OptionVisibility::Restricted)
        .map(|v| v.delivery.id.clone())
        .collect()
}

async fn write(m: &Marketplace, sub: &Subscription) -> Result<()> {
    let document = serde_json::to_string(sub)
        .map_err(|e| CatalogError::internal("encoding a subscription", e))?;
    let store = m.service().metadata();
    for _ in 0..5 {
        match record(m, &sub.buyer, &sub.product_id).await? {
            Some((mut r, _)) => {
                r.status = sub.status.as_str().to_owned();
                r.document = document.clone();
                r.modified = m.service().now_micros();
                match store.update(&r).await {
                    Ok(_) => return Ok(()),
                    Err(MetaError::Conflict(_)) => continue,
                    Err(e) => return Err(meta(e)),
                }
            }
            None => {
                let mut r = slipway_service::resources::new_record(
                    m.service(),
                    &m.config().account,
                    KIND,
                    &key(&sub.buyer, &sub.product_id),
                    sub.status.as_str(),
                    document.clone(),
                );
                r.parent = Some(sub.buyer.as_str().to_owned());
                match store.insert(&r, &[]).await {
                    Ok(()) => return Ok(()),
                    Err(MetaError::AlreadyExists { .. }) => continue,
                    Err(e) => return Err(meta(e)),
                }
            }
        }
    }
    Err(CatalogError::InUse(format!(
        "The subscription to {} kept changing; try again.",
        sub.product_id
    )))
}

/// Ends `buyer`'s subscription to `product_id`.
pub async fn unsubscribe(
    m: &Marketplace,
    buyer: &AccountId,
    product_id: &str,
) -> Result<Subscription> {
    let product_id = ids::entity_id_of(product_id).to_ascii_lowercase();
    let mut sub = active(m, buyer, &product_id).await?.ok_or_else(|| {
        CatalogError::NotFound(format!(
            "This account has no active subscription to product {product_id}."
        ))
    })?;
    sub.status = SubscriptionStatus::Cancelled;
    sub.end = Some(m.service().wall_micros());
    write(m, &sub).await?;
    Ok(sub)
}

/// What `caller` may do with a version of `product_id` (its delivery
/// option `option_id`).
pub async fn access(
    m: &Marketplace,
    caller: &AccountId,
    product_id: &str,
    option_id: Option<&str>,
) -> Result<CopyAccess> {
    let Some(entity) = store::entity(m, product_id).await? else {
        return Ok(CopyAccess::None);
    };
    let EntityBody::Product(p) = &entity.body else {
        return Ok(CopyAccess::None);
    };
    if &entity.owner == caller {
        return Ok(CopyAccess::Entitled);
    }
    let sub = active(m, caller, product_id).await?;
    if sub.is_none() && !visible_to_with(&entity, caller, None) {
        return Ok(CopyAccess::None);
    }
    let Some(sub) = sub else {
        return Ok(CopyAccess::Visible);
    };
    let usable = match option_id {
        None => true,
        Some(id) => {
            let open = p.versions.iter().any(|v| {
                v.delivery.id == id && v.delivery.visibility != OptionVisibility::Restricted
            });
            open || sub.usable_options.iter().any(|o| o == id)
        }
    };
    Ok(if usable {
        CopyAccess::Entitled
    } else {
        CopyAccess::Visible
    })
}
