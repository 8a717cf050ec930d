//! The rows of `resources`, `access_keys` and `tags` (schema in
//! `migrations/0001_initial.sql`) and their conversions into the port's
//! records. A corrupt or foreign row is an error, never a panic.

use crate::error::{StoreError, Table};
use slipway_core::ports::metadata::Tag;
use slipway_core::{AccessKey, ResourceKind, ResourceRecord};

pub(super) const RESOURCES: Table = Table("resources");
const ACCESS_KEYS: Table = Table("access_keys");

/// The columns `DbResource` reads.
pub(crate) const COLUMNS: &str =
    "account, kind, key, name, arn, status, created, modified, parent, version, approval, revision, document, client_token, summary";

/// The stable text stored in the `kind` column.
pub fn kind_to_str(kind: ResourceKind) -> &'static str {
    kind.arn_type()
}

/// A row of `resources`, as `COLUMNS` selects it.
#[derive(sqlx::FromRow)]
pub(crate) struct DbResource {
    account: String,
    kind: String,
    key: String,
    name: String,
    arn: String,
    status: String,
    created: i64,
    modified: i64,
    parent: Option<String>,
    version: Option<i64>,
    approval: Option<String>,
    revision: i64,
    document: String,
    client_token: Option<String>,
    summary: Option<String>,
}

impl TryFrom<DbResource> for ResourceRecord {
    type Error = StoreError;

    fn try_from(r: DbResource) -> Result<Self, StoreError> {
        Ok(ResourceRecord {
            account: RESOURCES.account("account", &r.account)?,
            kind: ResourceKind::from_arn_type(&r.kind)
                .ok_or_else(|| RESOURCES.corrupt(format!("kind {:?}", r.kind)))?,
            key: r.key,
            name: r.name,
            arn: r.arn,
            status: r.status,
            created: r.created,
            modified: r.modified,
            parent: r.parent,
            version: r.version,
            approval: r.approval,
            revision: r.revision,
            document: r.document,
            client_token: r.client_token,
            summary: r.summary,
        })
    }
}

/// A row of `access_keys`.
#[derive(sqlx::FromRow)]
pub(crate) struct DbAccessKey {
    access_key_id: String,
    secret: String,
    account_id: String,
}

impl TryFrom<DbAccessKey> for AccessKey {
    type Error = StoreError;

    fn try_from(r: DbAccessKey) -> Result<Self, StoreError> {
        Ok(AccessKey {
            account: ACCESS_KEYS.account("account_id", &r.account_id)?,
            access_key_id: r.access_key_id,
            secret_access_key: r.secret,
        })
    }
}

/// A row of `tags` (without its ARN and order).
#[derive(sqlx::FromRow)]
pub(crate) struct DbTag {
    key: String,
    value: String,
}

impl From<DbTag> for Tag {
    fn from(r: DbTag) -> Self {
        Tag {
            key: r.key,
            value: r.value,
        }
    }
}
