//! Running a change set in the background (docs/marketplace.md "Change
//! sets"): PREPARING (every change checked against the entities as the
//! earlier ones leave them), APPLYING (copies made, then the entities
//! written), then SUCCEEDED, FAILED or CANCELLED, the locks released.
//!
//! All or nothing across a restart: each copy is recorded in the change
//! set before it is made, and the entity documents before the first is
//! written. A change set found APPLYING on start finishes writing its
//! recorded entities (redo) or, without them, removes its copies and
//! prepares again; one found PREPARING prepares again.

use crate::model::{ChangeSet, FailureCode, Intent, Status};
use crate::{changes, publish, store, CatalogError, Marketplace, Result};
use slipway_core::ports::metadata::Tag;
use slipway_core::{AccountId, ResourceKind, ResourceRecord};

pub fn spawn(m: Marketplace, owner: AccountId, id: String) {
    tokio::spawn(async move {
        if let Err(e) = drive(&m, &owner, &id).await {
            tracing::error!(error = %e, change_set = %id, "change set failed on a server fault");
            if let Err(e2) = fail(
                &m,
                &owner,
                &id,
                FailureCode::ServerFault,
                Some(format!(
                    "The change set stopped on an internal error: {e}. Start it again."
                )),
            )
            .await
            {
                tracing::error!(error = %e2, change_set = %id, "recording a change set's failure");
            }
        }
    });
}

/// Resumes every change set a previous process left running.
pub async fn reconcile(m: &Marketplace) -> Result<usize> {
    let open = m
        .service()
        .metadata()
        .find_by_status(ResourceKind::CatalogChangeSet, &["PREPARING", "APPLYING"])
        .await
        .map_err(|e| CatalogError::Service(e.into()))?;
    let n = open.len();
    for r in open {
        tracing::info!(change_set = %r.key, status = %r.status, "resuming a change set");
        spawn(m.clone(), r.account.clone(), r.key.clone());
    }
    Ok(n)
}

fn is_conflict(e: &CatalogError) -> bool {
    matches!(
        e,
        CatalogError::Service(slipway_service::Error::Conflict(_))
    )
}

async fn drive(m: &Marketplace, owner: &AccountId, id: &str) -> Result<()> {
    let delay = m.config().preparing_delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    // Twice at most: an interrupted APPLYING without its commit record
    // goes back to PREPARING once.
    for _ in 0..2 {
        let Some((rec, mut set)) = store::change_set_record(m, owner, id).await? else {
            return Ok(());
        };
        match set.status {
            s if s.is_terminal() => return Ok(()),
            Status::Applying => {
                if let Some(entities) = set.commit.clone() {
                    for e in &entities {
                        store::put_entity(m, e).await?;
                    }
                    return finish(m, rec, set, Status::Succeeded, None).await;
                }
                for c in std::mem::take(&mut set.copies) {
                    publish::remove(m, &c).await?;
                }
                set.status = Status::Preparing;
                store::save_change_set(m, &rec, &set).await?;
                continue;
            }
            _ => return prepare_and_apply(m, rec, set).await,
        }
    }
    Ok(())
}

async fn prepare_and_apply(m: &Marketplace, rec: ResourceRecord, mut set: ChangeSet) -> Result<()> {
    for c in &mut set.changes {
        c.errors.clear();
    }
    let prepared = changes::prepare(m, &mut set).await?;
    if changes::failed(&set) {
        set.failure_code = Some(FailureCode::ClientError);
        return finish(m, rec, set, Status::Failed, None).await;
    }
    if set.intent == Intent::Validate {
        return finish(m, rec, set, Status::Succeeded, None).await;
    }
    set.status = Status::Applying;
    let mut rec = match store::save_change_set(m, &rec, &set).await {
        Ok(r) => r,
        // Cancelled while preparing: the cancel released the locks.
        Err(e) if is_conflict(&e) => return Ok(()),
        Err(e) => return Err(e),
    };
    for pending in &prepared.copies {
        set.copies.push(crate::model::CopyMade {
            kind: pending.asset.kind.resource_kind(),
            key: pending.copy_name.to_ascii_lowercase(),
        });
        rec = store::save_change_set(m, &rec, &set).await?;
        publish::copy(m, &set.owner, pending).await?;
    }
    let mut entities = Vec::new();
    for id in &prepared.changed {
        if let Some(e) = prepared.entities.get(id) {
            let mut e = e.clone();
            e.revision += 1;
            e.locked_by = None;
            entities.push(e);
        }
    }
    set.commit = Some(entities.clone());
    rec = store::save_change_set(m, &rec, &set).await?;
    for e in &entities {
        store::put_entity(m, e).await?;
    }
    tag_entities(m, &set, &entities).await;
    finish(m, rec, set, Status::Succeeded, None).await
}

/// `EntityTags` of the changes, on the entities they name.
async fn tag_entities(m: &Marketplace, set: &ChangeSet, entities: &[crate::model::Entity]) {
    for c in set.changes.iter().filter(|c| !c.entity_tags.is_empty()) {
        let Some(e) = c
            .entity_id
            .as_ref()
            .and_then(|id| entities.iter().find(|e| &e.id == id))
        else {
            continue;
        };
        let tags: Vec<Tag> = c
            .entity_tags
            .iter()
            .map(|(k, v)| Tag {
                key: k.clone(),
                value: v.clone(),
            })
            .collect();
        if let Err(err) = m
            .service()
            .metadata()
            .put_tags(&m.entity_arn(e), &tags, 200)
            .await
        {
            tracing::warn!(error = %err, entity = %e.id, "tagging an entity");
        }
    }
}

/// Ends the change set with `status`, keeping only what Describe shows.
async fn finish(
    m: &Marketplace,
    rec: ResourceRecord,
    mut set: ChangeSet,
    status: Status,
    description: Option<String>,
) -> Result<()> {
    set.status = status;
    set.end = Some(m.service().wall_micros());
    if description.is_some() {
        set.failure_description = description;
    }
    set.commit = None;
    if status == Status::Succeeded {
        set.copies.clear();
    }
    let locked = set.locked.clone();
    let id = set.id.clone();
    store::save_change_set(m, &rec, &set).await?;
    store::unlock(m, &id, &locked).await
}

/// Fails a change set on a fault: its copies removed, its locks released.
async fn fail(
    m: &Marketplace,
    owner: &AccountId,
    id: &str,
    code: FailureCode,
    why: Option<String>,
) -> Result<()> {
    for _ in 0..3 {
        let Some((rec, mut set)) = store::change_set_record(m, owner, id).await? else {
            return Ok(());
        };
        if set.status.is_terminal() {
            return Ok(());
        }
        for c in std::mem::take(&mut set.copies) {
            publish::remove(m, &c).await?;
        }
        set.failure_code = Some(code);
        match finish(m, rec, set, Status::Failed, why.clone()).await {
            Err(e) if is_conflict(&e) => continue,
            other => return other,
        }
    }
    Ok(())
}

/// CancelChangeSet: only while PREPARING (AWS: before APPLYING).
pub async fn cancel(m: &Marketplace, caller: &AccountId, id: &str) -> Result<ChangeSet> {
    for _ in 0..5 {
        let (rec, mut set) = store::change_set_record(m, caller, id)
            .await?
            .ok_or_else(|| store::not_found(id))?;
        match set.status {
            Status::Preparing => {}
            Status::Applying => {
                return Err(CatalogError::InUse(format!(
                    "Change set {id} is APPLYING and can no longer be cancelled."
                )))
            }
            s => {
                return Err(CatalogError::Validation(format!(
                    "Change set {id} has already ended ({}); only a PREPARING change set can be cancelled.",
                    s.as_str()
                )))
            }
        }
        set.status = Status::Cancelled;
        set.end = Some(m.service().wall_micros());
        match store::save_change_set(m, &rec, &set).await {
            Ok(_) => {
                store::unlock(m, id, &set.locked).await?;
                return Ok(set);
            }
            Err(CatalogError::Service(slipway_service::Error::Conflict(_))) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(CatalogError::InUse(format!(
        "Change set {id} kept changing; try again."
    )))
}
