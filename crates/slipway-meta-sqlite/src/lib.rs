//! `SqliteStore`: the embedded `MetadataStore`.
//!
//! One file in the data directory, WAL mode with `synchronous=FULL`, so a
//! commit is on disk before the call returns (a SIGKILL or power loss right
//! after an acknowledged create loses nothing). Writes go through a
//! one-connection pool, which serialises writers inside the process and
//! makes "read max version, insert max+1" race-free; reads use their own
//! pool and never wait for writers (WAL). Other processes (`slipway account
//! create` while the server runs) share the file through SQLite's locking.
//! A write that fails (a full disk) fails alone: the writer connection it
//! used is replaced if SQLite and sqlx no longer agree about its
//! transaction (see `writer`), so later writes commit for real.

mod error;
mod fetch;
mod group_commit;
mod identity;
mod image_scans;
mod logs;
mod metrics;
mod objects;
mod registry;
mod rows;
mod uploads_done;
mod writer;

use async_trait::async_trait;
use slipway_core::ports::metadata::{
    Cursor, CursorValue, ListQuery, MetaError, MetadataStore, Page, ParentFilter, SortKey, Tag,
    TagLimit,
};
use slipway_core::time_util::now_micros;
use slipway_core::{AccessKey, AccountId, ResourceKind, ResourceRecord};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{QueryBuilder, Sqlite, SqlitePool};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

pub use rows::resources::kind_to_str;
use rows::resources::{DbAccessKey, DbResource, DbTag, COLUMNS};

/// SQLite-backed metadata.
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    /// Object writes, committed in groups (see `group_commit`).
    puts: group_commit::PutCommitter,
}

/// Every write transaction takes SQLite's write lock at BEGIN. A deferred
/// one that reads first and then writes is refused at once with
/// SQLITE_BUSY (no busy wait) when another process — `slipway account
/// create` beside a running server — wrote in between.
pub(crate) const IMMEDIATE: &str = "BEGIN IMMEDIATE";

fn backend(e: sqlx::Error) -> MetaError {
    MetaError::Backend(e.to_string())
}

impl SqliteStore {
    /// Opens (creating if needed) `DIR/metadata.sqlite` and applies migrations.
    pub async fn open(dir: &Path) -> Result<Self, MetaError> {
        let path = dir.join("metadata.sqlite");
        let opts = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .map_err(backend)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let writer = writer::pool(opts.clone()).await.map_err(backend)?;
        sqlx::migrate!("./migrations")
            .run(&writer)
            .await
            .map_err(|e| MetaError::Backend(format!("migrating {}: {e}", path.display())))?;
        // No ping before handing out a connection: a local database file
        // does not go stale the way a network connection does, and the ping
        // is one more round trip to the connection's worker thread on every
        // query.
        let reader = SqlitePoolOptions::new()
            .max_connections(8)
            .test_before_acquire(false)
            .connect_with(opts.read_only(true))
            .await
            .map_err(backend)?;
        let puts = group_commit::PutCommitter::start(writer.clone());
        Ok(Self {
            writer,
            reader,
            puts,
        })
    }
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

async fn insert_tags(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    arn: &str,
    tags: &[Tag],
) -> Result<(), sqlx::Error> {
    for t in tags {
        sqlx::query(
            "INSERT INTO tags (arn, key, value, seq) VALUES (?1, ?2, ?3, \
             (SELECT COALESCE(MAX(seq), 0) + 1 FROM tags WHERE arn = ?1)) \
             ON CONFLICT (arn, key) DO UPDATE SET value = excluded.value",
        )
        .bind(arn)
        .bind(&t.key)
        .bind(&t.value)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// A retried create: the record an earlier insert with the same client
/// token made, reported as `TokenReused`.
async fn check_token(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    r: &ResourceRecord,
) -> Result<(), MetaError> {
    let Some(token) = &r.client_token else {
        return Ok(());
    };
    let earlier: Option<ResourceRecord> = fetch::optional(
        sqlx::query_as::<_, DbResource>(&format!(
            "SELECT {} FROM resources WHERE account = ? AND kind = ? AND client_token = ?",
            COLUMNS
        ))
        .bind(r.account.as_str())
        .bind(kind_to_str(r.kind))
        .bind(token),
        &mut **tx,
    )
    .await?;
    match earlier {
        Some(earlier) => Err(MetaError::TokenReused(Box::new(earlier))),
        None => Ok(()),
    }
}

async fn insert_record(
    tx: &mut sqlx::Transaction<'_, Sqlite>,
    r: &ResourceRecord,
) -> Result<(), MetaError> {
    let res = sqlx::query(
        "INSERT INTO resources (account, kind, key, name, name_lower, arn, status, created, \
         modified, parent, version, approval, revision, document, client_token, summary) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(r.account.as_str())
    .bind(kind_to_str(r.kind))
    .bind(&r.key)
    .bind(&r.name)
    .bind(r.name.to_lowercase())
    .bind(&r.arn)
    .bind(&r.status)
    .bind(r.created)
    .bind(r.modified)
    .bind(&r.parent)
    .bind(r.version)
    .bind(&r.approval)
    .bind(r.revision)
    .bind(&r.document)
    .bind(&r.client_token)
    .bind(&r.summary)
    .execute(&mut **tx)
    .await;
    match res {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Err(MetaError::AlreadyExists {
            kind: r.kind,
            key: r.key.clone(),
        }),
        Err(e) => Err(backend(e)),
    }
}

#[async_trait]
impl MetadataStore for SqliteStore {
    async fn create_account(&self, key: &AccessKey, name: &str) -> Result<(), MetaError> {
        let mut tx = self.writer.begin_with(IMMEDIATE).await.map_err(backend)?;
        let now = now_micros();
        sqlx::query("INSERT OR IGNORE INTO accounts (account_id, name, created) VALUES (?, ?, ?)")
            .bind(key.account.as_str())
            .bind(name)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        sqlx::query(
            "INSERT OR IGNORE INTO access_keys (access_key_id, secret, account_id, created) \
             VALUES (?, ?, ?, ?)",
        )
        .bind(&key.access_key_id)
        .bind(&key.secret_access_key)
        .bind(key.account.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn find_access_key(&self, access_key_id: &str) -> Result<Option<AccessKey>, MetaError> {
        Ok(fetch::optional(
            sqlx::query_as::<_, DbAccessKey>(
                "SELECT access_key_id, secret, account_id FROM access_keys \
                 WHERE access_key_id = ?",
            )
            .bind(access_key_id),
            &self.reader,
        )
        .await?)
    }

    async fn list_access_keys(&self) -> Result<Vec<AccessKey>, MetaError> {
        Ok(fetch::all(
            sqlx::query_as::<_, DbAccessKey>(
                "SELECT access_key_id, secret, account_id FROM access_keys \
                 ORDER BY created, rowid",
            ),
            &self.reader,
        )
        .await?)
    }

    async fn insert(&self, record: &ResourceRecord, tags: &[Tag]) -> Result<(), MetaError> {
        let mut tx = self.writer.begin_with(IMMEDIATE).await.map_err(backend)?;
        check_token(&mut tx, record).await?;
        insert_record(&mut tx, record).await?;
        insert_tags(&mut tx, &record.arn, tags)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn insert_version(
        &self,
        parent_kind: ResourceKind,
        mut record: ResourceRecord,
        tags: &[Tag],
        finish: &(dyn for<'r> Fn(&'r mut ResourceRecord, i64) + Send + Sync),
    ) -> Result<ResourceRecord, MetaError> {
        let parent = record
            .parent
            .clone()
            .ok_or_else(|| MetaError::Backend("insert_version without a parent".into()))?;
        let mut tx = self.writer.begin_with(IMMEDIATE).await.map_err(backend)?;
        let exists =
            sqlx::query("SELECT 1 FROM resources WHERE account = ? AND kind = ? AND key = ?")
                .bind(record.account.as_str())
                .bind(kind_to_str(parent_kind))
                .bind(&parent)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
        if exists.is_none() {
            return Err(MetaError::MissingParent(parent));
        }
        check_token(&mut tx, &record).await?;
        // Versions are never reused, even after deletes: AWS keeps counting.
        let max: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(version) FROM resources WHERE account = ? AND kind = ? AND parent = ?",
        )
        .bind(record.account.as_str())
        .bind(kind_to_str(record.kind))
        .bind(&parent)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        let last: Option<i64> = sqlx::query_scalar(
            "SELECT last FROM version_counters WHERE account = ? AND kind = ? AND parent = ?",
        )
        .bind(record.account.as_str())
        .bind(kind_to_str(record.kind))
        .bind(&parent)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let version = max.unwrap_or(0).max(last.unwrap_or(0)) + 1;
        finish(&mut record, version);
        record.version = Some(version);
        insert_record(&mut tx, &record).await?;
        sqlx::query(
            "INSERT INTO version_counters (account, kind, parent, last) VALUES (?, ?, ?, ?) \
             ON CONFLICT (account, kind, parent) DO UPDATE SET last = excluded.last",
        )
        .bind(record.account.as_str())
        .bind(kind_to_str(record.kind))
        .bind(&parent)
        .bind(version)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        insert_tags(&mut tx, &record.arn, tags)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(record)
    }

    async fn get(
        &self,
        account: &AccountId,
        kind: ResourceKind,
        key: &str,
    ) -> Result<Option<ResourceRecord>, MetaError> {
        Ok(fetch::optional(
            sqlx::query_as::<_, DbResource>(&format!(
                "SELECT {} FROM resources WHERE account = ? AND kind = ? AND key = ?",
                COLUMNS
            ))
            .bind(account.as_str())
            .bind(kind_to_str(kind))
            .bind(key),
            &self.reader,
        )
        .await?)
    }

    async fn update(&self, record: &ResourceRecord) -> Result<ResourceRecord, MetaError> {
        let mut next = record.clone();
        next.revision = record.revision + 1;
        let done = sqlx::query(
            "UPDATE resources SET name = ?, name_lower = ?, status = ?, modified = ?, \
             approval = ?, revision = ?, document = ?, summary = ? \
             WHERE account = ? AND kind = ? AND key = ? AND revision = ?",
        )
        .bind(&next.name)
        .bind(next.name.to_lowercase())
        .bind(&next.status)
        .bind(next.modified)
        .bind(&next.approval)
        .bind(next.revision)
        .bind(&next.document)
        .bind(&next.summary)
        .bind(record.account.as_str())
        .bind(kind_to_str(record.kind))
        .bind(&record.key)
        .bind(record.revision)
        .execute(&self.writer)
        .await
        .map_err(backend)?;
        if done.rows_affected() == 1 {
            Ok(next)
        } else {
            Err(MetaError::Conflict(record.arn.clone()))
        }
    }

    async fn delete(
        &self,
        account: &AccountId,
        kind: ResourceKind,
        key: &str,
    ) -> Result<bool, MetaError> {
        let mut tx = self.writer.begin_with(IMMEDIATE).await.map_err(backend)?;
        let arn: Option<String> = sqlx::query_scalar(
            "DELETE FROM resources WHERE account = ? AND kind = ? AND key = ? RETURNING arn",
        )
        .bind(account.as_str())
        .bind(kind_to_str(kind))
        .bind(key)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        if let Some(arn) = &arn {
            sqlx::query("DELETE FROM tags WHERE arn = ?")
                .bind(arn)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(arn.is_some())
    }

    async fn list(&self, q: &ListQuery) -> Result<Page, MetaError> {
        let col = match q.sort {
            SortKey::Name => "name",
            SortKey::CreationTime => "created",
            SortKey::Status => "status",
        };
        let (cmp, dir) = if q.descending {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        // The page comes back as ONE row: sqlx hands rows from its SQLite
        // worker thread to the caller one channel message (and futex
        // wake-up) at a time, and under concurrent load that hand-off, not
        // SQLite, dominated listing cost. See `rows::PACKED_PAGE`.
        let mut b: QueryBuilder<Sqlite> = QueryBuilder::new(format!(
            "SELECT group_concat(p, '' ORDER BY s {dir}, k {dir}) FROM (SELECT {} AS p, {col} AS s, key AS k \
             FROM resources WHERE account = ",
            rows::packed::packed_row(q.summaries)
        ));
        b.push_bind(q.account.as_str());
        b.push(" AND kind = ").push_bind(kind_to_str(q.kind));
        if let Some(s) = &q.name_contains {
            b.push(" AND instr(name_lower, ")
                .push_bind(s.to_lowercase())
                .push(") > 0");
        }
        for (col, op, v) in [
            ("created", ">", q.created_after),
            ("created", "<", q.created_before),
            ("modified", ">", q.modified_after),
            ("modified", "<", q.modified_before),
        ] {
            if let Some(v) = v {
                b.push(format!(" AND {col} {op} ")).push_bind(v);
            }
        }
        if let Some(s) = &q.status {
            b.push(" AND status = ").push_bind(s.clone());
        }
        if let Some(s) = &q.approval {
            b.push(" AND approval = ").push_bind(s.clone());
        }
        match &q.parent {
            ParentFilter::Any => {}
            ParentFilter::None => {
                b.push(" AND parent IS NULL");
            }
            ParentFilter::Some => {
                b.push(" AND parent IS NOT NULL");
            }
            ParentFilter::Of(p) => {
                b.push(" AND parent = ").push_bind(p.clone());
            }
        }
        if let Some(c) = &q.after {
            b.push(format!(" AND ({col}, key) {cmp} ("));
            match &c.sort_value {
                CursorValue::Text(t) => b.push_bind(t.clone()),
                CursorValue::Time(t) => b.push_bind(*t),
            };
            b.push(", ").push_bind(c.key.clone()).push(")");
        }
        b.push(format!(" ORDER BY {col} {dir}, key {dir} LIMIT "));
        b.push_bind((q.limit + 1) as i64).push(")");
        let packed: Option<Vec<u8>> = b
            .build_query_scalar()
            .fetch_one(&self.reader)
            .await
            .map_err(backend)?;
        let mut records =
            rows::packed::unpack_page(&q.account, q.kind, packed.as_deref().unwrap_or_default())?;
        let next = if records.len() > q.limit {
            records.truncate(q.limit);
            records.last().map(|r| Cursor {
                sort_value: match q.sort {
                    SortKey::Name => CursorValue::Text(r.name.clone()),
                    SortKey::CreationTime => CursorValue::Time(r.created),
                    SortKey::Status => CursorValue::Text(r.status.clone()),
                },
                key: r.key.clone(),
            })
        } else {
            None
        };
        Ok(Page { records, next })
    }

    async fn count_children(
        &self,
        account: &AccountId,
        kind: ResourceKind,
        parent_key: &str,
    ) -> Result<u64, MetaError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM resources WHERE account = ? AND kind = ? AND parent = ?",
        )
        .bind(account.as_str())
        .bind(kind_to_str(kind))
        .bind(parent_key)
        .fetch_one(&self.reader)
        .await
        .map_err(backend)?;
        Ok(n.max(0) as u64)
    }

    async fn find_by_status(
        &self,
        kind: ResourceKind,
        statuses: &[&str],
    ) -> Result<Vec<ResourceRecord>, MetaError> {
        let mut b: QueryBuilder<Sqlite> =
            QueryBuilder::new(format!("SELECT {} FROM resources WHERE kind = ", COLUMNS));
        b.push_bind(kind_to_str(kind)).push(" AND status IN (");
        let mut sep = b.separated(", ");
        for s in statuses {
            sep.push_bind(s.to_string());
        }
        b.push(") ORDER BY created");
        Ok(fetch::all(b.build_query_as::<DbResource>(), &self.reader).await?)
    }

    async fn put_tags(&self, arn: &str, tags: &[Tag], max_total: usize) -> Result<(), TagLimit> {
        let mut tx = self.writer.begin_with(IMMEDIATE).await.map_err(backend)?;
        let existing: Vec<String> = sqlx::query_scalar("SELECT key FROM tags WHERE arn = ?")
            .bind(arn)
            .fetch_all(&mut *tx)
            .await
            .map_err(backend)?;
        let mut keys: std::collections::BTreeSet<&str> =
            existing.iter().map(String::as_str).collect();
        keys.extend(tags.iter().map(|t| t.key.as_str()));
        if keys.len() > max_total {
            return Err(TagLimit::Exceeded {
                max: max_total,
                would_be: keys.len(),
            });
        }
        insert_tags(&mut tx, arn, tags).await.map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(())
    }

    async fn list_tags(&self, arn: &str) -> Result<Vec<Tag>, MetaError> {
        Ok(fetch::all(
            sqlx::query_as::<_, DbTag>("SELECT key, value FROM tags WHERE arn = ? ORDER BY seq")
                .bind(arn),
            &self.reader,
        )
        .await?)
    }

    async fn delete_tags(&self, arn: &str, keys: &[String]) -> Result<(), MetaError> {
        let mut tx = self.writer.begin_with(IMMEDIATE).await.map_err(backend)?;
        for k in keys {
            sqlx::query("DELETE FROM tags WHERE arn = ? AND key = ?")
                .bind(arn)
                .bind(k)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }
}
