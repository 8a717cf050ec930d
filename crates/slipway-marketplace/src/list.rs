//! ListEntities and ListChangeSets: who sees what, filters, sorting and
//! paging. The catalog is small (products and offers of one server), so
//! listings read every entity and filter in memory; `NextToken` is the
//! position in the sorted result.

use crate::model::{ChangeSet, Entity, EntityBody, EntityType, OfferState, Visibility};
use crate::{store, CatalogError, Marketplace, Result};
use slipway_core::ports::metadata::ListQuery;
use slipway_core::time_util::Micros;
use slipway_core::{AccountId, ResourceKind};

/// One page of a listing.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct EntityFilter {
    pub entity_type: String,
    /// `SELF` (default) or `SHARED` (other accounts' entities the caller
    /// may see: public products, and limited ones it is targeted by).
    pub ownership: Option<String>,
    pub entity_ids: Vec<String>,
    pub visibilities: Vec<String>,
    /// Case-insensitive substring of the product title.
    pub title_contains: Option<String>,
    /// `LastModifiedDate` (default), `ProductTitle`, `EntityId`, `Visibility`.
    pub sort_by: Option<String>,
    pub descending: bool,
    pub max_results: Option<usize>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ChangeSetFilter {
    /// `(Name, ValueList)`: ChangeSetName, Status, EntityId,
    /// BeforeStartTime, AfterStartTime, BeforeEndTime, AfterEndTime.
    pub filters: Vec<(String, Vec<String>)>,
    /// `StartTime` (default) or `EndTime`.
    pub sort_by: Option<String>,
    pub descending: bool,
    pub max_results: Option<usize>,
    pub next_token: Option<String>,
}

fn page<T>(
    mut all: Vec<T>,
    max: Option<usize>,
    default: usize,
    limit: usize,
    token: Option<&str>,
) -> Result<Page<T>> {
    let max = max.unwrap_or(default).clamp(1, limit);
    let start = match token {
        None => 0,
        Some(t) => t
            .strip_prefix("p")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= all.len())
            .ok_or_else(|| CatalogError::Validation(format!("NextToken {t} is not valid.")))?,
    };
    let end = (start + max).min(all.len());
    let next_token = (end < all.len()).then(|| format!("p{end}"));
    let items = all.drain(start..end).collect();
    Ok(Page { items, next_token })
}

/// Whether `caller` may see `e`: its owner always; a product when public,
/// or limited and targeted at the caller; an offer when released on a
/// product the caller may see.
pub fn visible_to_with(e: &Entity, caller: &AccountId, product: Option<&Entity>) -> bool {
    if &e.owner == caller {
        return true;
    }
    match &e.body {
        EntityBody::Product(p) => match p.visibility() {
            Visibility::Public => true,
            Visibility::Limited => p.buyer_accounts.iter().any(|a| a == caller.as_str()),
            _ => false,
        },
        EntityBody::Offer(o) => {
            o.state == OfferState::Released
                && product.is_some_and(|p| visible_to_with(p, caller, None))
        }
    }
}

pub async fn entities(
    m: &Marketplace,
    caller: &AccountId,
    f: &EntityFilter,
) -> Result<Page<Entity>> {
    let t = EntityType::parse(&f.entity_type).ok_or_else(|| {
        CatalogError::NotSupported(format!(
            "Entity type {} is not supported: this marketplace holds MachineLearningProduct and Offer entities.",
            f.entity_type
        ))
    })?;
    let shared = match f.ownership.as_deref() {
        None | Some("SELF") => false,
        Some("SHARED") => true,
        Some(o) => {
            return Err(CatalogError::Validation(format!(
                "OwnershipType {o} is not valid: use SELF or SHARED."
            )))
        }
    };
    let all = store::all_entities(m).await?;
    let product_of = |e: &Entity| match &e.body {
        EntityBody::Offer(o) => all.iter().find(|p| p.id == o.product_id),
        _ => None,
    };
    let title = f.title_contains.as_ref().map(|s| s.to_lowercase());
    let mut out: Vec<Entity> = all
        .iter()
        .filter(|e| e.entity_type() == t)
        .filter(|e| if shared { &e.owner != caller && visible_to_with(e, caller, product_of(e)) } else { &e.owner == caller })
        .filter(|e| f.entity_ids.is_empty() || f.entity_ids.contains(&e.id))
        .filter(|e| {
            f.visibilities.is_empty()
                || matches!(&e.body, EntityBody::Product(p) if f.visibilities.iter().any(|v| v == p.visibility().as_str()))
        })
        .filter(|e| title.as_ref().is_none_or(|s| e.display_name().to_lowercase().contains(s)))
        .cloned()
        .collect();
    let vis = |e: &Entity| match &e.body {
        EntityBody::Product(p) => p.visibility().as_str(),
        EntityBody::Offer(_) => "",
    };
    match f.sort_by.as_deref() {
        None | Some("LastModifiedDate") => out.sort_by_key(|e| (e.modified, e.id.clone())),
        Some("ProductTitle") | Some("Name") => out.sort_by_key(|e| (e.display_name(), e.id.clone())),
        Some("EntityId") => out.sort_by_key(|e| e.id.clone()),
        Some("Visibility") => out.sort_by(|a, b| (vis(a), &a.id).cmp(&(vis(b), &b.id))),
        Some(other) => return Err(CatalogError::Validation(format!(
            "SortBy {other} is not valid: use LastModifiedDate, ProductTitle, EntityId or Visibility."
        ))),
    }
    if f.descending {
        out.reverse();
    }
    page(out, f.max_results, 20, 50, f.next_token.as_deref())
}

fn iso_micros(s: &str) -> Result<Micros> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map(|t| (t.unix_timestamp_nanos() / 1000) as Micros)
        .map_err(|_| {
            CatalogError::Validation(format!(
                "{s} is not an ISO 8601 date-time (e.g. 2026-12-03T10:00:00Z)."
            ))
        })
}

pub async fn change_sets(
    m: &Marketplace,
    caller: &AccountId,
    f: &ChangeSetFilter,
) -> Result<Page<ChangeSet>> {
    let mut all = Vec::new();
    let mut q = ListQuery::new(caller.clone(), ResourceKind::CatalogChangeSet);
    q.limit = 1000;
    loop {
        let p = m
            .service()
            .metadata()
            .list(&q)
            .await
            .map_err(|e| CatalogError::Service(e.into()))?;
        for r in &p.records {
            let s: ChangeSet = serde_json::from_str(&r.document)
                .map_err(|e| CatalogError::internal("decoding a change set", e))?;
            all.push(s);
        }
        match p.next {
            Some(c) => q.after = Some(c),
            None => break,
        }
    }
    for (name, values) in &f.filters {
        let one = || values.first().map(String::as_str).unwrap_or_default();
        match name.as_str() {
            "ChangeSetName" => all.retain(|s| s.name.as_ref().is_some_and(|n| values.contains(n))),
            "Status" => all.retain(|s| values.iter().any(|v| v == s.status.as_str())),
            "EntityId" => all.retain(|s| s.entity_ids().iter().any(|id| values.contains(id))),
            "BeforeStartTime" => {
                let t = iso_micros(one())?;
                all.retain(|s| s.start < t)
            }
            "AfterStartTime" => {
                let t = iso_micros(one())?;
                all.retain(|s| s.start > t)
            }
            "BeforeEndTime" => {
                let t = iso_micros(one())?;
                all.retain(|s| s.end.is_some_and(|e| e < t))
            }
            "AfterEndTime" => {
                let t = iso_micros(one())?;
                all.retain(|s| s.end.is_some_and(|e| e > t))
            }
            other => {
                return Err(CatalogError::Validation(format!(
                    "Filter {other} is not valid: use ChangeSetName, Status, EntityId, BeforeStartTime, AfterStartTime, BeforeEndTime or AfterEndTime."
                )))
            }
        }
    }
    match f.sort_by.as_deref() {
        None | Some("StartTime") => all.sort_by_key(|s| (s.start, s.id.clone())),
        Some("EndTime") => all.sort_by_key(|s| (s.end.unwrap_or(i64::MAX), s.id.clone())),
        Some("ChangeSetName") | Some("Name") => {
            all.sort_by_key(|s| (s.name.clone().unwrap_or_default(), s.id.clone()))
        }
        Some(other) => {
            return Err(CatalogError::Validation(format!(
                "SortBy {other} is not valid: use StartTime, EndTime or ChangeSetName."
            )))
        }
    }
    if f.descending {
        all.reverse();
    }
    page(all, f.max_results, 20, 20, f.next_token.as_deref())
}
