//! `LogStore` on SQLite (schema in `migrations/0003_logs.sql`).
//!
//! An append is one transaction however many events it carries (the job
//! runner batches lines, so a call of thousands of events must cost one
//! fsync, not thousands): parents are found or created, events are inserted
//! in multi-row statements, and the stream's summary (first/last event,
//! last ingestion, bytes, sequence) is updated once. Writes share the
//! store's one-connection writer pool, so "read last_seq, insert after it"
//! is race-free.

use crate::fetch;
use crate::rows::logs::{DbEvent, DbGroup, DbStream, DbStreamEvent};
use crate::SqliteStore;
use async_trait::async_trait;
use slipway_core::ports::logs::{
    Direction, FilterQuery, LogError, LogEvent, LogGroupInfo, LogStore, LogStreamInfo, StoredEvent,
    StreamOrder, StreamQuery, StreamSelect, TimeRange,
};
use slipway_core::time_util::wall_micros;
use slipway_core::AccountId;
use sqlx::{QueryBuilder, Sqlite, Transaction};

/// Rows per INSERT: 6 parameters each stays well under SQLite's limit of
/// bound parameters per statement.
const INSERT_CHUNK: usize = 500;

fn backend(e: sqlx::Error) -> LogError {
    LogError::Backend(e.to_string())
}

fn now_ms() -> i64 {
    wall_micros() / 1_000
}

/// The bounds of a time range as SQL values (open ends become the extremes).
fn bounds(range: TimeRange) -> (i64, i64) {
    (
        range.start_ms.unwrap_or(i64::MIN),
        range.end_ms.unwrap_or(i64::MAX),
    )
}

async fn group_id(
    conn: &mut sqlx::SqliteConnection,
    account: &AccountId,
    group: &str,
) -> Result<Option<i64>, LogError> {
    sqlx::query_scalar("SELECT id FROM log_groups WHERE account = ? AND name = ?")
        .bind(account.as_str())
        .bind(group)
        .fetch_optional(conn)
        .await
        .map_err(backend)
}

async fn existing_group(
    conn: &mut sqlx::SqliteConnection,
    account: &AccountId,
    group: &str,
) -> Result<i64, LogError> {
    group_id(conn, account, group)
        .await?
        .ok_or_else(|| LogError::GroupNotFound(group.to_owned()))
}

/// (id, last_seq) of a stream.
async fn stream_row(
    conn: &mut sqlx::SqliteConnection,
    group_id: i64,
    stream: &str,
) -> Result<Option<(i64, i64)>, LogError> {
    sqlx::query_as("SELECT id, last_seq FROM log_streams WHERE group_id = ? AND name = ?")
        .bind(group_id)
        .bind(stream)
        .fetch_optional(conn)
        .await
        .map_err(backend)
}

async fn insert_group(
    tx: &mut Transaction<'_, Sqlite>,
    account: &AccountId,
    group: &str,
    created_ms: i64,
) -> Result<i64, LogError> {
    sqlx::query_scalar(
        "INSERT INTO log_groups (account, name, created) VALUES (?, ?, ?) RETURNING id",
    )
    .bind(account.as_str())
    .bind(group)
    .bind(created_ms)
    .fetch_one(&mut **tx)
    .await
    .map_err(backend)
}

async fn insert_stream(
    tx: &mut Transaction<'_, Sqlite>,
    group_id: i64,
    stream: &str,
    created_ms: i64,
) -> Result<i64, LogError> {
    sqlx::query_scalar(
        "INSERT INTO log_streams (group_id, name, created) VALUES (?, ?, ?) RETURNING id",
    )
    .bind(group_id)
    .bind(stream)
    .bind(created_ms)
    .fetch_one(&mut **tx)
    .await
    .map_err(backend)
}

impl SqliteStore {
    /// Appends in one transaction; `create` makes missing parents (the
    /// runner's `append`) instead of reporting them (PutLogEvents).
    async fn write_events(
        &self,
        account: &AccountId,
        group: &str,
        stream: &str,
        events: &[LogEvent],
        create: bool,
    ) -> Result<(), LogError> {
        let mut tx = self
            .writer
            .begin_with(crate::IMMEDIATE)
            .await
            .map_err(backend)?;
        let now = now_ms();
        let gid = match group_id(&mut tx, account, group).await? {
            Some(id) => id,
            None if create => insert_group(&mut tx, account, group, now).await?,
            None => return Err(LogError::GroupNotFound(group.to_owned())),
        };
        let (sid, last_seq) = match stream_row(&mut tx, gid, stream).await? {
            Some(row) => row,
            None if create => (insert_stream(&mut tx, gid, stream, now).await?, 0),
            None => return Err(LogError::StreamNotFound(stream.to_owned())),
        };
        if events.is_empty() {
            return tx.commit().await.map_err(backend);
        }
        let mut seq = last_seq;
        for chunk in events.chunks(INSERT_CHUNK) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO log_events (stream_id, timestamp, seq, group_id, ingestion, message) ",
            );
            q.push_values(chunk, |mut b, e| {
                seq += 1;
                b.push_bind(sid)
                    .push_bind(e.timestamp_ms)
                    .push_bind(seq)
                    .push_bind(gid)
                    .push_bind(now)
                    .push_bind(&e.message);
            });
            q.build().execute(&mut *tx).await.map_err(backend)?;
        }
        let first = events.iter().map(|e| e.timestamp_ms).min();
        let last = events.iter().map(|e| e.timestamp_ms).max();
        let added: i64 = events.iter().map(|e| e.message.len() as i64).sum();
        sqlx::query(
            "UPDATE log_streams SET \
             first_event = MIN(COALESCE(first_event, ?1), ?1), \
             last_event = MAX(COALESCE(last_event, ?2), ?2), \
             last_ingestion = ?3, stored_bytes = stored_bytes + ?4, last_seq = ?5 \
             WHERE id = ?6",
        )
        .bind(first)
        .bind(last)
        .bind(now)
        .bind(added)
        .bind(seq)
        .bind(sid)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }
}

fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[async_trait]
impl LogStore for SqliteStore {
    async fn append(
        &self,
        account: &AccountId,
        group: &str,
        stream: &str,
        events: &[LogEvent],
    ) -> Result<(), LogError> {
        self.write_events(account, group, stream, events, true)
            .await
    }

    async fn put_events(
        &self,
        account: &AccountId,
        group: &str,
        stream: &str,
        events: &[LogEvent],
    ) -> Result<(), LogError> {
        self.write_events(account, group, stream, events, false)
            .await
    }

    async fn create_group(
        &self,
        account: &AccountId,
        group: &str,
        created_ms: i64,
    ) -> Result<(), LogError> {
        let mut tx = self
            .writer
            .begin_with(crate::IMMEDIATE)
            .await
            .map_err(backend)?;
        if group_id(&mut tx, account, group).await?.is_some() {
            return Err(LogError::GroupExists(group.to_owned()));
        }
        insert_group(&mut tx, account, group, created_ms).await?;
        tx.commit().await.map_err(backend)
    }

    async fn create_stream(
        &self,
        account: &AccountId,
        group: &str,
        stream: &str,
        created_ms: i64,
    ) -> Result<(), LogError> {
        let mut tx = self
            .writer
            .begin_with(crate::IMMEDIATE)
            .await
            .map_err(backend)?;
        let gid = existing_group(&mut tx, account, group).await?;
        if stream_row(&mut tx, gid, stream).await?.is_some() {
            return Err(LogError::StreamExists(stream.to_owned()));
        }
        insert_stream(&mut tx, gid, stream, created_ms).await?;
        tx.commit().await.map_err(backend)
    }

    async fn delete_group(&self, account: &AccountId, group: &str) -> Result<(), LogError> {
        let mut tx = self
            .writer
            .begin_with(crate::IMMEDIATE)
            .await
            .map_err(backend)?;
        let gid = existing_group(&mut tx, account, group).await?;
        for sql in [
            "DELETE FROM log_events WHERE group_id = ?",
            "DELETE FROM log_streams WHERE group_id = ?",
            "DELETE FROM log_groups WHERE id = ?",
        ] {
            sqlx::query(sql)
                .bind(gid)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }

    async fn list_groups(
        &self,
        account: &AccountId,
        prefix: Option<&str>,
        after: Option<&str>,
        limit_n: usize,
    ) -> Result<Vec<LogGroupInfo>, LogError> {
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT g.name, g.created, \
             (SELECT COALESCE(SUM(s.stored_bytes), 0) FROM log_streams s WHERE s.group_id = g.id) \
             AS stored_bytes FROM log_groups g WHERE g.account = ",
        );
        q.push_bind(account.as_str());
        if let Some(p) = prefix {
            q.push(" AND substr(g.name, 1, length(")
                .push_bind(p)
                .push(")) = ")
                .push_bind(p);
        }
        if let Some(a) = after {
            q.push(" AND g.name > ").push_bind(a);
        }
        q.push(" ORDER BY g.name LIMIT ").push_bind(limit(limit_n));
        Ok(fetch::all(q.build_query_as::<DbGroup>(), &self.reader).await?)
    }

    async fn list_streams(
        &self,
        account: &AccountId,
        group: &str,
        query: &StreamQuery,
    ) -> Result<Vec<LogStreamInfo>, LogError> {
        let mut conn = self.reader.acquire().await.map_err(backend)?;
        let gid = existing_group(&mut conn, account, group).await?;
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT name, created, first_event, last_event, last_ingestion, stored_bytes \
             FROM log_streams WHERE group_id = ",
        );
        q.push_bind(gid);
        if let Some(p) = &query.prefix {
            q.push(" AND substr(name, 1, length(")
                .push_bind(p.as_str())
                .push(")) = ")
                .push_bind(p.as_str());
        }
        let (cmp, dir) = if query.descending {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        match query.order {
            StreamOrder::Name => {
                if let Some(c) = &query.after {
                    q.push(format_args!(" AND name {cmp} "))
                        .push_bind(c.name.as_str());
                }
                q.push(format_args!(" ORDER BY name {dir}"));
            }
            StreamOrder::LastEventTime => {
                if let Some(c) = &query.after {
                    q.push(format_args!(
                        " AND (COALESCE(last_event, -1), name) {cmp} ("
                    ))
                    .push_bind(c.last_event_ms)
                    .push(", ")
                    .push_bind(c.name.as_str())
                    .push(")");
                }
                q.push(format_args!(
                    " ORDER BY COALESCE(last_event, -1) {dir}, name {dir}"
                ));
            }
        }
        q.push(" LIMIT ").push_bind(limit(query.limit));
        Ok(fetch::all(q.build_query_as::<DbStream>(), &mut *conn).await?)
    }

    async fn read_stream(
        &self,
        account: &AccountId,
        group: &str,
        stream: &str,
        range: TimeRange,
        direction: Direction,
        limit_n: usize,
    ) -> Result<Vec<StoredEvent>, LogError> {
        let mut conn = self.reader.acquire().await.map_err(backend)?;
        let gid = existing_group(&mut conn, account, group).await?;
        let (sid, _) = stream_row(&mut conn, gid, stream)
            .await?
            .ok_or_else(|| LogError::StreamNotFound(stream.to_owned()))?;
        let (start, end) = bounds(range);
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT stream_id, timestamp, seq, message, ingestion FROM log_events \
             WHERE stream_id = ",
        );
        q.push_bind(sid)
            .push(" AND timestamp >= ")
            .push_bind(start)
            .push(" AND timestamp < ")
            .push_bind(end);
        let (cursor, cmp, dir) = match direction {
            Direction::Forward { after } => (after, ">", "ASC"),
            Direction::Backward { before } => (before, "<", "DESC"),
        };
        if let Some(k) = cursor {
            q.push(format_args!(" AND (timestamp, seq) {cmp} ("))
                .push_bind(k.timestamp_ms)
                .push(", ")
                .push_bind(k.seq)
                .push(")");
        }
        q.push(format_args!(" ORDER BY timestamp {dir}, seq {dir} LIMIT "))
            .push_bind(limit(limit_n));
        let rows: Vec<DbEvent> = q
            .build_query_as()
            .fetch_all(&mut *conn)
            .await
            .map_err(backend)?;
        Ok(rows
            .into_iter()
            .map(|r| r.into_event(stream.to_owned()))
            .collect())
    }

    async fn filter_events(
        &self,
        account: &AccountId,
        group: &str,
        query: &FilterQuery,
    ) -> Result<Vec<StoredEvent>, LogError> {
        let mut conn = self.reader.acquire().await.map_err(backend)?;
        let gid = existing_group(&mut conn, account, group).await?;
        let (start, end) = bounds(query.range);
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT s.name, e.stream_id, e.timestamp, e.seq, e.message, e.ingestion \
             FROM log_events e JOIN log_streams s ON s.id = e.stream_id WHERE e.group_id = ",
        );
        q.push_bind(gid)
            .push(" AND e.timestamp >= ")
            .push_bind(start)
            .push(" AND e.timestamp < ")
            .push_bind(end);
        match &query.streams {
            StreamSelect::All => {}
            StreamSelect::Names(names) if names.is_empty() => return Ok(Vec::new()),
            StreamSelect::Names(names) => {
                q.push(" AND s.name IN (");
                let mut list = q.separated(", ");
                for n in names {
                    list.push_bind(n.as_str());
                }
                q.push(")");
            }
            StreamSelect::Prefix(p) => {
                q.push(" AND substr(s.name, 1, length(")
                    .push_bind(p.as_str())
                    .push(")) = ")
                    .push_bind(p.as_str());
            }
        }
        let (cmp, dir) = if query.descending {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        if let Some(k) = query.after {
            q.push(format_args!(
                " AND (e.timestamp, e.stream_id, e.seq) {cmp} ("
            ))
            .push_bind(k.timestamp_ms)
            .push(", ")
            .push_bind(k.stream_key)
            .push(", ")
            .push_bind(k.seq)
            .push(")");
        }
        q.push(format_args!(
            " ORDER BY e.timestamp {dir}, e.stream_id {dir}, e.seq {dir} LIMIT "
        ))
        .push_bind(limit(query.limit));
        Ok(fetch::all(q.build_query_as::<DbStreamEvent>(), &mut *conn).await?)
    }
}
