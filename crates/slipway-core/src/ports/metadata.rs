//! The metadata port: accounts, resources and tags.

use crate::resource::{ResourceKind, ResourceRecord};
use crate::time_util::Micros;
use crate::{AccessKey, AccountId};
use async_trait::async_trait;

/// Errors a metadata store reports. Callers act on `AlreadyExists` and
/// `Conflict`; everything else is an internal fault.
#[derive(Debug, thiserror::Error)]
pub enum MetaError {
    #[error("a {kind} with key {key} already exists")]
    AlreadyExists { kind: ResourceKind, key: String },
    /// The record changed since it was read (revision mismatch) or vanished.
    #[error("concurrent modification of {0}")]
    Conflict(String),
    #[error("parent {0} does not exist")]
    MissingParent(String),
    /// An insert carried a client token already used by this record: the
    /// create is a retry and this is its result.
    #[error("client token already used by {}", .0.arn)]
    TokenReused(Box<ResourceRecord>),
    #[error("metadata store failure: {0}")]
    Backend(String),
}

/// How `list` orders results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Name,
    CreationTime,
    Status,
}

/// Which children `list` returns when a kind has parents (model packages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParentFilter {
    Any,
    /// Only records without a parent (unversioned packages).
    None,
    /// Only records with any parent (versioned packages).
    Some,
    /// Only children of this parent key.
    Of(String),
}

/// A page request. Filters are conjunctive; time bounds are strict.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub account: AccountId,
    pub kind: ResourceKind,
    /// Case-insensitive substring of the name.
    pub name_contains: Option<String>,
    pub created_after: Option<Micros>,
    pub created_before: Option<Micros>,
    pub modified_after: Option<Micros>,
    pub modified_before: Option<Micros>,
    pub status: Option<String>,
    pub approval: Option<String>,
    pub parent: ParentFilter,
    pub sort: SortKey,
    pub descending: bool,
    pub limit: usize,
    /// Resume strictly after this position (from a previous page's cursor).
    pub after: Option<Cursor>,
    /// Return each record's `summary` (where it has one) in `document`:
    /// what listings need, at a fraction of the bytes.
    pub summaries: bool,
}

impl ListQuery {
    pub fn new(account: AccountId, kind: ResourceKind) -> Self {
        Self {
            account,
            kind,
            name_contains: None,
            created_after: None,
            created_before: None,
            modified_after: None,
            modified_before: None,
            status: None,
            approval: None,
            parent: ParentFilter::Any,
            sort: SortKey::CreationTime,
            descending: false,
            limit: 100,
            after: None,
            summaries: false,
        }
    }
}

/// A keyset position: the sort value of the last row and its unique key,
/// so pages stay correct while rows are inserted or deleted between calls.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Cursor {
    pub sort_value: CursorValue,
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CursorValue {
    Text(String),
    Time(Micros),
}

/// A page of results and where the next one starts, if anywhere.
#[derive(Debug, Clone)]
pub struct Page {
    pub records: Vec<ResourceRecord>,
    pub next: Option<Cursor>,
}

/// A tag on a resource, keyed by the resource's ARN.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// Durable metadata. Every mutating call is durable when it returns Ok:
/// a crash right after loses nothing acknowledged.
#[async_trait]
pub trait MetadataStore: Send + Sync + 'static {
    // --- accounts ---
    /// Creates an account with its first key. Idempotent on the same key.
    async fn create_account(&self, key: &AccessKey, name: &str) -> Result<(), MetaError>;
    /// Looks up a key; `None` when unknown.
    async fn find_access_key(&self, access_key_id: &str) -> Result<Option<AccessKey>, MetaError>;
    /// Every key, oldest first (the first is the default account's).
    async fn list_access_keys(&self) -> Result<Vec<AccessKey>, MetaError>;

    // --- resources ---
    /// Inserts a new record, and its tags, atomically; `AlreadyExists` when
    /// (account, kind, key) is taken; `TokenReused` when the record's
    /// client token was already used for this (account, kind).
    async fn insert(&self, record: &ResourceRecord, tags: &[Tag]) -> Result<(), MetaError>;
    /// Inserts a versioned child of `parent_key` (same account, `parent_kind`),
    /// assigning `version = max(existing) + 1` (starting at 1) and calling
    /// `finish` to fill key/arn/document from the version, all in one
    /// transaction. Returns the stored record.
    async fn insert_version(
        &self,
        parent_kind: ResourceKind,
        record: ResourceRecord,
        tags: &[Tag],
        finish: &(dyn for<'r> Fn(&'r mut ResourceRecord, i64) + Send + Sync),
    ) -> Result<ResourceRecord, MetaError>;
    async fn get(
        &self,
        account: &AccountId,
        kind: ResourceKind,
        key: &str,
    ) -> Result<Option<ResourceRecord>, MetaError>;
    /// Replaces a record if its revision is still `record.revision`; the
    /// stored revision becomes `record.revision + 1`. `Conflict` otherwise.
    async fn update(&self, record: &ResourceRecord) -> Result<ResourceRecord, MetaError>;
    /// Deletes a record and its tags. Returns whether it existed.
    async fn delete(
        &self,
        account: &AccountId,
        kind: ResourceKind,
        key: &str,
    ) -> Result<bool, MetaError>;
    async fn list(&self, query: &ListQuery) -> Result<Page, MetaError>;
    /// How many children a parent has (a group cannot be deleted with versions in it).
    async fn count_children(
        &self,
        account: &AccountId,
        kind: ResourceKind,
        parent_key: &str,
    ) -> Result<u64, MetaError>;
    /// Records of `kind` in any of `statuses`, across accounts: what to
    /// reconcile after a restart.
    async fn find_by_status(
        &self,
        kind: ResourceKind,
        statuses: &[&str],
    ) -> Result<Vec<ResourceRecord>, MetaError>;

    // --- tags (keyed by ARN, which carries the account) ---
    /// Adds or overwrites tags; refuses (returns the would-be count as an
    /// error) when the total would exceed `max_total`.
    async fn put_tags(&self, arn: &str, tags: &[Tag], max_total: usize) -> Result<(), TagLimit>;
    async fn list_tags(&self, arn: &str) -> Result<Vec<Tag>, MetaError>;
    async fn delete_tags(&self, arn: &str, keys: &[String]) -> Result<(), MetaError>;
}

/// `put_tags` failure: either the store failed or the limit would be passed.
#[derive(Debug, thiserror::Error)]
pub enum TagLimit {
    #[error("a resource can have at most {max} tags; this request would make {would_be}")]
    Exceeded { max: usize, would_be: usize },
    #[error(transparent)]
    Store(#[from] MetaError),
}
