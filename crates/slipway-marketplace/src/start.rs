//! StartChangeSet's synchronous part: what the Catalog API refuses before
//! accepting a change set (the catalog, entity and change types, Details
//! versus DetailsDocument, names and `$Name.Entity.Identifier`
//! references, the entities named, quotas and locks). Everything about
//! what the changes say is checked later, while the change set prepares,
//! and reported per change in its ErrorDetailList, as AWS does.

use crate::changes::ChangeKind;
use crate::model::{Change, ChangeSet, EntityType, Intent, Status, CATALOG};
use crate::{ids, store, CatalogError, Marketplace, Result};
use serde_json::Value;
use slipway_core::AccountId;

/// One change as the wire decoded it.
#[derive(Debug, Clone, Default)]
pub struct NewChange {
    pub change_type: String,
    pub entity_type: String,
    pub identifier: Option<String>,
    pub details: Option<String>,
    pub details_document: Option<Value>,
    pub change_name: Option<String>,
    pub entity_tags: Vec<(String, String)>,
}

/// StartChangeSet as the wire decoded it.
#[derive(Debug, Clone, Default)]
pub struct NewChangeSet {
    pub catalog: String,
    pub changes: Vec<NewChange>,
    pub name: Option<String>,
    pub client_token: Option<String>,
    pub tags: Vec<(String, String)>,
    pub intent: Option<String>,
}

/// `$Name.Entity.Identifier` → `Name`.
pub fn reference_name(s: &str) -> Option<&str> {
    s.strip_prefix('$')?.strip_suffix(".Entity.Identifier")
}

/// Every `$Name.Entity.Identifier` string inside a details document.
fn references_in(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => {
            if let Some(n) = reference_name(s) {
                out.push(n.to_owned());
            }
        }
        Value::Array(a) => a.iter().for_each(|x| references_in(x, out)),
        Value::Object(o) => o.values().for_each(|x| references_in(x, out)),
        _ => {}
    }
}

fn invalid(m: impl Into<String>) -> CatalogError {
    CatalogError::Validation(m.into())
}

/// Checks and records a change set. Returns it and whether it is new
/// (false: a retry with the same ClientRequestToken).
pub async fn start(
    m: &Marketplace,
    caller: &AccountId,
    new: NewChangeSet,
) -> Result<(ChangeSet, bool)> {
    if new.catalog != CATALOG {
        return Err(invalid(format!(
            "Catalog '{}' is not supported. The only catalog is {CATALOG}.",
            new.catalog
        )));
    }
    let intent = match new.intent.as_deref() {
        None | Some("APPLY") => Intent::Apply,
        Some("VALIDATE") => Intent::Validate,
        Some(other) => {
            return Err(invalid(format!(
                "Intent '{other}' is not valid. Use VALIDATE or APPLY."
            )))
        }
    };
    let mut accepted: Vec<Change> = Vec::with_capacity(new.changes.len());
    let mut existing: Vec<String> = Vec::new();
    let mut creates = 0usize;
    for (i, c) in new.changes.into_iter().enumerate() {
        let n = i + 1;
        let entity_type = EntityType::parse(&c.entity_type).ok_or_else(|| {
            CatalogError::NotSupported(format!(
                "Entity type {} is not supported: this marketplace holds MachineLearningProduct@1.0 and Offer@1.0 entities.",
                c.entity_type
            ))
        })?;
        let kind = ChangeKind::parse(entity_type, &c.change_type).ok_or_else(|| {
            invalid(format!(
                "Change type {} is not supported for entity type {}. Supported: {}.",
                c.change_type,
                entity_type.versioned(),
                ChangeKind::names(entity_type).join(", ")
            ))
        })?;
        let (details, details_as_string) = match (c.details, c.details_document) {
            (Some(_), Some(_)) => {
                return Err(invalid(format!(
                    "Change {n} ({}) has both Details and DetailsDocument; send only one.",
                    c.change_type
                )))
            }
            (None, None) => {
                return Err(invalid(format!(
                    "Change {n} ({}) has neither Details nor DetailsDocument; send one (use {{}} when the change type takes no details).",
                    c.change_type
                )))
            }
            (Some(text), None) => {
                let v: Value = serde_json::from_str(&text).map_err(|e| {
                    invalid(format!(
                        "Details of change {n} ({}) is not valid JSON: {e}",
                        c.change_type
                    ))
                })?;
                (v, true)
            }
            (None, Some(v)) => (v, false),
        };
        if !details.is_object() {
            return Err(invalid(format!(
                "The details of change {n} ({}) must be a JSON object.",
                c.change_type
            )));
        }
        if let Some(name) = &c.change_name {
            if accepted
                .iter()
                .any(|a| a.change_name.as_deref() == Some(name))
            {
                return Err(invalid(format!(
                    "ChangeName {name} is used by more than one change; names must be unique within a change set."
                )));
            }
        }
        let earlier = |name: &str| {
            accepted
                .iter()
                .find(|a| a.change_name.as_deref() == Some(name))
        };
        let mut refs = Vec::new();
        references_in(&details, &mut refs);
        if let Some(id) = &c.identifier {
            if let Some(name) = reference_name(id) {
                refs.push(name.to_owned());
            }
        }
        for r in &refs {
            if earlier(r).is_none() {
                return Err(invalid(format!(
                    "Change {n} ({}) refers to ${r}.Entity.Identifier, but no earlier change in this change set is named {r}.",
                    c.change_type
                )));
            }
        }
        let mut entity_id = None;
        match (&c.identifier, kind.creates()) {
            (Some(_), true) => {
                return Err(invalid(format!(
                    "Change {n} ({}) creates an entity: leave Entity.Identifier out.",
                    c.change_type
                )))
            }
            (None, false) => {
                return Err(invalid(format!(
                    "Change {n} ({}) needs Entity.Identifier: the id of the {} it changes, or $ChangeName.Entity.Identifier of an earlier change.",
                    c.change_type,
                    entity_type.name()
                )))
            }
            (None, true) => creates += usize::from(entity_type == EntityType::MachineLearningProduct),
            (Some(id), false) => {
                if let Some(name) = reference_name(id) {
                    if let Some(target) = earlier(name) {
                        if target.entity_type != entity_type {
                            return Err(invalid(format!(
                                "Change {n} ({}) is on a {} but ${name}.Entity.Identifier names a {}.",
                                c.change_type,
                                entity_type.versioned(),
                                target.entity_type.versioned()
                            )));
                        }
                        entity_id = target.entity_id.clone();
                    }
                } else {
                    let bare = ids::entity_id_of(id).to_ascii_lowercase();
                    let e = store::entity(m, &bare).await?.ok_or_else(|| {
                        CatalogError::NotFound(format!("Entity {id} was not found."))
                    })?;
                    if &e.owner != caller {
                        return Err(CatalogError::AccessDenied(format!(
                            "Entity {id} belongs to another account; only its owner can change it."
                        )));
                    }
                    if e.entity_type() != entity_type {
                        return Err(invalid(format!(
                            "Entity {id} is a {}, not a {}.",
                            e.entity_type().versioned(),
                            entity_type.versioned()
                        )));
                    }
                    if !existing.contains(&bare) {
                        existing.push(bare.clone());
                    }
                    entity_id = Some(bare);
                }
            }
        }
        let target = entity_id.clone().or_else(|| c.identifier.clone());
        if let Some(t) = &target {
            if accepted.iter().any(|a| {
                a.change_type == c.change_type
                    && (a.entity_id.as_ref() == Some(t) || a.identifier_sent.as_ref() == Some(t))
            }) {
                return Err(invalid(format!(
                    "Change type {} appears more than once for entity {t}; a change set may apply a change type to an entity once.",
                    c.change_type
                )));
            }
        }
        accepted.push(Change {
            change_type: c.change_type,
            entity_type,
            entity_type_sent: c.entity_type,
            identifier_sent: c.identifier,
            // Created entities get their ids as the change set prepares.
            entity_id: if kind.creates() {
                Some(ids::entity_id(entity_type))
            } else {
                entity_id
            },
            details,
            details_as_string,
            change_name: c.change_name,
            entity_tags: c.entity_tags,
            errors: Vec::new(),
        });
    }
    quotas(m, caller, creates).await?;
    let id = ids::change_set_id();
    let set = ChangeSet {
        arn: ids::change_set_arn(m, caller, &id),
        id: id.clone(),
        owner: caller.clone(),
        name: new.name,
        intent,
        status: Status::Preparing,
        start: m.service().wall_micros(),
        end: None,
        failure_code: None,
        failure_description: None,
        changes: accepted,
        locked: existing.clone(),
        copies: Vec::new(),
        commit: None,
    };
    match store::insert_change_set(m, &set, new.client_token, &new.tags).await? {
        Ok(_) => {}
        Err(earlier) => return Ok((earlier, false)),
    }
    if let Err(e) = store::lock(m, &id, &existing).await {
        store::delete_change_set(m, caller, &id).await?;
        return Err(e);
    }
    Ok((set, true))
}

async fn quotas(m: &Marketplace, caller: &AccountId, creates: usize) -> Result<()> {
    let cfg = m.config();
    let running: Vec<ChangeSet> = m
        .service()
        .metadata()
        .find_by_status(
            slipway_core::ResourceKind::CatalogChangeSet,
            &["PREPARING", "APPLYING"],
        )
        .await
        .map_err(|e| CatalogError::Service(e.into()))?
        .into_iter()
        .filter(|r| &r.account == caller)
        .filter_map(|r| serde_json::from_str(&r.document).ok())
        .collect();
    let open = running.len();
    // Products that running change sets are about to create count too.
    let pending = running
        .iter()
        .filter(|s| s.intent == Intent::Apply)
        .flat_map(|s| &s.changes)
        .filter(|c| c.change_type == "CreateProduct")
        .count();
    if open >= cfg.max_open_change_sets {
        return Err(CatalogError::QuotaExceeded(format!(
            "This account already has {open} change sets running, the most it may have at once ({}). Wait for one to finish.",
            cfg.max_open_change_sets
        )));
    }
    if creates > 0 {
        let owned = store::products_owned(m, caller).await?;
        if owned + pending + creates > cfg.max_products_per_account {
            return Err(CatalogError::QuotaExceeded(format!(
                "This account owns {owned} products ({pending} more being created); creating {creates} more would pass the limit of {} products per account.",
                cfg.max_products_per_account
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_found_anywhere_in_details() {
        assert_eq!(
            reference_name("$CreateProduct.Entity.Identifier"),
            Some("CreateProduct")
        );
        assert_eq!(reference_name("prod-abc"), None);
        let mut out = Vec::new();
        references_in(
            &serde_json::json!({"ProductId": "$P.Entity.Identifier", "x": ["$Q.Entity.Identifier", 1]}),
            &mut out,
        );
        assert_eq!(out, vec!["P".to_owned(), "Q".to_owned()]);
    }
}
