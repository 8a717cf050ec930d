//! Change sets and entities as metadata records (docs/marketplace.md
//! "Storage"): a change set in its owner's account (kind
//! `CatalogChangeSet`, keyed by id, `client_token` = ClientRequestToken);
//! every entity in the marketplace account (kind `CatalogEntity`, keyed
//! by id, `parent` = the owning account, `status` = the entity type).

use crate::model::{ChangeSet, Entity};
use crate::{CatalogError, Marketplace, Result};
use slipway_core::ports::metadata::{MetaError, Tag};
use slipway_core::{AccountId, ResourceKind, ResourceRecord};

const SETS: ResourceKind = ResourceKind::CatalogChangeSet;
const ENTITIES: ResourceKind = ResourceKind::CatalogEntity;

fn store_err(e: MetaError) -> CatalogError {
    CatalogError::Service(e.into())
}

fn decode<T: serde::de::DeserializeOwned>(r: &ResourceRecord) -> Result<T> {
    serde_json::from_str(&r.document)
        .map_err(|e| CatalogError::internal("decoding a catalog record", e))
}

fn encode<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| CatalogError::internal("encoding a catalog record", e))
}

pub fn not_found(id: &str) -> CatalogError {
    CatalogError::NotFound(format!("Change set {id} was not found."))
}

/// The caller's change set `id`.
pub async fn change_set(m: &Marketplace, caller: &AccountId, id: &str) -> Result<ChangeSet> {
    change_set_record(m, caller, id)
        .await?
        .map(|(_, s)| s)
        .ok_or_else(|| not_found(id))
}

pub async fn change_set_record(
    m: &Marketplace,
    owner: &AccountId,
    id: &str,
) -> Result<Option<(ResourceRecord, ChangeSet)>> {
    let Some(r) = m
        .service()
        .metadata()
        .get(owner, SETS, &id.to_ascii_lowercase())
        .await
        .map_err(store_err)?
    else {
        return Ok(None);
    };
    let set = decode(&r)?;
    Ok(Some((r, set)))
}

/// Records a new change set. `Err(earlier)` when its ClientRequestToken
/// was already used: the retry answers that change set.
pub async fn insert_change_set(
    m: &Marketplace,
    set: &ChangeSet,
    client_token: Option<String>,
    tags: &[(String, String)],
) -> Result<std::result::Result<ResourceRecord, ChangeSet>> {
    let svc = m.service();
    let now = svc.now_micros();
    let record = ResourceRecord {
        account: set.owner.clone(),
        kind: SETS,
        key: set.id.clone(),
        name: set.name.clone().unwrap_or_else(|| set.id.clone()),
        arn: set.arn.clone(),
        status: set.status.as_str().to_owned(),
        created: now,
        modified: now,
        parent: None,
        version: None,
        approval: None,
        revision: 0,
        client_token,
        summary: None,
        document: encode(set)?,
    };
    let tags: Vec<Tag> = tags
        .iter()
        .map(|(k, v)| Tag {
            key: k.clone(),
            value: v.clone(),
        })
        .collect();
    match svc.metadata().insert(&record, &tags).await {
        Ok(()) => Ok(Ok(record)),
        Err(MetaError::TokenReused(earlier)) => Ok(Err(decode(&earlier)?)),
        Err(e) => Err(store_err(e)),
    }
}

/// Writes the change set's new state over `record` (revision-checked:
/// one runner owns a change set, so a conflict is a fault).
pub async fn save_change_set(
    m: &Marketplace,
    record: &ResourceRecord,
    set: &ChangeSet,
) -> Result<ResourceRecord> {
    let mut r = record.clone();
    r.status = set.status.as_str().to_owned();
    r.modified = m.service().now_micros();
    r.document = encode(set)?;
    m.service().metadata().update(&r).await.map_err(store_err)
}

pub async fn delete_change_set(m: &Marketplace, owner: &AccountId, id: &str) -> Result<()> {
    m.service()
        .metadata()
        .delete(owner, SETS, id)
        .await
        .map_err(store_err)?;
    Ok(())
}

pub async fn entity(m: &Marketplace, id: &str) -> Result<Option<Entity>> {
    Ok(entity_record(m, id).await?.map(|(_, e)| e))
}

pub async fn entity_record(m: &Marketplace, id: &str) -> Result<Option<(ResourceRecord, Entity)>> {
    let id = crate::ids::entity_id_of(id).to_ascii_lowercase();
    let Some(r) = m
        .service()
        .metadata()
        .get(&m.config().account, ENTITIES, &id)
        .await
        .map_err(store_err)?
    else {
        return Ok(None);
    };
    let e = decode(&r)?;
    Ok(Some((r, e)))
}

/// Every entity record (the catalog is small: listings filter in memory).
pub async fn all_entities(m: &Marketplace) -> Result<Vec<Entity>> {
    let mut out = Vec::new();
    let mut query =
        slipway_core::ports::metadata::ListQuery::new(m.config().account.clone(), ENTITIES);
    query.limit = 1000;
    loop {
        let page = m
            .service()
            .metadata()
            .list(&query)
            .await
            .map_err(store_err)?;
        for r in &page.records {
            out.push(decode::<Entity>(r)?);
        }
        match page.next {
            Some(c) => query.after = Some(c),
            None => return Ok(out),
        }
    }
}

/// Writes `entity` as it is (insert, or overwrite whatever is stored):
/// the last step of applying, and its redo after a restart.
pub async fn put_entity(m: &Marketplace, entity: &Entity) -> Result<()> {
    let svc = m.service();
    let store = svc.metadata();
    let document = encode(entity)?;
    for _ in 0..5 {
        match entity_record(m, &entity.id).await? {
            Some((mut r, _)) => {
                r.name = entity.display_name();
                r.modified = entity.modified;
                r.document = document.clone();
                match store.update(&r).await {
                    Ok(_) => return Ok(()),
                    Err(MetaError::Conflict(_)) => continue,
                    Err(e) => return Err(store_err(e)),
                }
            }
            None => {
                let t = entity.entity_type();
                let record = ResourceRecord {
                    account: m.config().account.clone(),
                    kind: ENTITIES,
                    key: entity.id.clone(),
                    name: entity.display_name(),
                    arn: crate::ids::entity_arn(m, &entity.owner, t, &entity.id),
                    status: t.name().to_owned(),
                    created: entity.created,
                    modified: entity.modified,
                    parent: Some(entity.owner.as_str().to_owned()),
                    version: None,
                    approval: None,
                    revision: 0,
                    client_token: None,
                    summary: None,
                    document: document.clone(),
                };
                match store.insert(&record, &[]).await {
                    Ok(()) => return Ok(()),
                    Err(MetaError::AlreadyExists { .. }) => continue,
                    Err(e) => return Err(store_err(e)),
                }
            }
        }
    }
    Err(CatalogError::Service(slipway_service::Error::Conflict(
        format!("entity {} kept changing", entity.id),
    )))
}

/// Whether change set `id` of `owner` still runs (a lock it holds is live).
async fn running(m: &Marketplace, owner: &AccountId, id: &str) -> Result<bool> {
    Ok(change_set_record(m, owner, id)
        .await?
        .is_some_and(|(_, s)| !s.status.is_terminal()))
}

/// Locks `ids` for change set `set_id`, all or none. An entity held by a
/// running change set refuses with ResourceInUse, naming it, in AWS's
/// words; a lock left by a change set that has ended is taken over.
pub async fn lock(m: &Marketplace, set_id: &str, ids: &[String]) -> Result<()> {
    let _guard = m.locks.lock().await;
    let mut held = Vec::new();
    for id in ids {
        let Some((r, mut e)) = entity_record(m, id).await? else {
            continue;
        };
        if let Some(other) = e.locked_by.clone() {
            if other != set_id && running(m, &e.owner, &other).await? {
                drop(_guard);
                unlock(m, set_id, &held).await?;
                return Err(CatalogError::InUse(format!(
                    "Requested change set has entities locked by change sets - {other}"
                )));
            }
        }
        e.locked_by = Some(set_id.to_owned());
        let mut r2 = r.clone();
        r2.document = encode(&e)?;
        m.service()
            .metadata()
            .update(&r2)
            .await
            .map_err(store_err)?;
        held.push(id.clone());
    }
    Ok(())
}

/// Releases what `set_id` holds of `ids`.
pub async fn unlock(m: &Marketplace, set_id: &str, ids: &[String]) -> Result<()> {
    let _guard = m.locks.lock().await;
    for id in ids {
        for _ in 0..5 {
            let Some((mut r, mut e)) = entity_record(m, id).await? else {
                break;
            };
            if e.locked_by.as_deref() != Some(set_id) {
                break;
            }
            e.locked_by = None;
            r.document = encode(&e)?;
            match m.service().metadata().update(&r).await {
                Ok(_) => break,
                Err(MetaError::Conflict(_)) => continue,
                Err(e) => return Err(store_err(e)),
            }
        }
    }
    Ok(())
}

/// Products the account owns (the product quota).
pub async fn products_owned(m: &Marketplace, owner: &AccountId) -> Result<usize> {
    Ok(all_entities(m)
        .await?
        .iter()
        .filter(|e| {
            &e.owner == owner && e.entity_type() == crate::model::EntityType::MachineLearningProduct
        })
        .count())
}
