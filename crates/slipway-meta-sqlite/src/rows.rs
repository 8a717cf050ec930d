//! Row decoding: a corrupt or foreign row becomes a `Backend` error, never a panic.

use slipway_core::ports::metadata::MetaError;
use slipway_core::{AccessKey, AccountId, ResourceKind, ResourceRecord};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

pub(crate) const COLUMNS: &str =
    "account, kind, key, name, arn, status, created, modified, parent, version, approval, revision, document";

/// The stable text stored in the `kind` column.
pub fn kind_to_str(kind: ResourceKind) -> &'static str {
    kind.arn_type()
}

fn bad(what: &str) -> MetaError {
    MetaError::Backend(format!("corrupt metadata row: {what}"))
}

fn col<'r, T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>>(
    r: &'r SqliteRow,
    name: &str,
) -> Result<T, MetaError> {
    r.try_get(name)
        .map_err(|e| MetaError::Backend(format!("column {name}: {e}")))
}

pub(crate) fn record(r: &SqliteRow) -> Result<ResourceRecord, MetaError> {
    let account: String = col(r, "account")?;
    let kind: String = col(r, "kind")?;
    let document: String = col(r, "document")?;
    Ok(ResourceRecord {
        account: AccountId::parse(&account).ok_or_else(|| bad("account"))?,
        kind: ResourceKind::from_arn_type(&kind).ok_or_else(|| bad("kind"))?,
        key: col(r, "key")?,
        name: col(r, "name")?,
        arn: col(r, "arn")?,
        status: col(r, "status")?,
        created: col(r, "created")?,
        modified: col(r, "modified")?,
        parent: col(r, "parent")?,
        version: col(r, "version")?,
        approval: col(r, "approval")?,
        revision: col(r, "revision")?,
        document: serde_json::from_str(&document).map_err(|_| bad("document"))?,
    })
}

pub(crate) fn access_key(r: &SqliteRow) -> Result<AccessKey, MetaError> {
    let account: String = col(r, "account_id")?;
    Ok(AccessKey {
        access_key_id: col(r, "access_key_id")?,
        secret_access_key: col(r, "secret")?,
        account: AccountId::parse(&account).ok_or_else(|| bad("account_id"))?,
    })
}
