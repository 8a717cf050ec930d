//! The rows of the log tables (schema in `migrations/0003_logs.sql`) and
//! their conversions into the `LogStore` port's types.

use slipway_core::ports::logs::{EventKey, LogGroupInfo, LogStreamInfo, StoredEvent};

/// Stored byte counts only grow from zero; a negative one reads as zero.
fn bytes(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// A log group with its streams' stored bytes summed.
#[derive(sqlx::FromRow)]
pub(crate) struct DbGroup {
    name: String,
    created: i64,
    stored_bytes: i64,
}

impl From<DbGroup> for LogGroupInfo {
    fn from(r: DbGroup) -> Self {
        LogGroupInfo {
            name: r.name,
            created_ms: r.created,
            stored_bytes: bytes(r.stored_bytes),
        }
    }
}

/// A row of `log_streams` (the columns a listing shows).
#[derive(sqlx::FromRow)]
pub(crate) struct DbStream {
    name: String,
    created: i64,
    first_event: Option<i64>,
    last_event: Option<i64>,
    last_ingestion: Option<i64>,
    stored_bytes: i64,
}

impl From<DbStream> for LogStreamInfo {
    fn from(r: DbStream) -> Self {
        LogStreamInfo {
            name: r.name,
            created_ms: r.created,
            first_event_ms: r.first_event,
            last_event_ms: r.last_event,
            last_ingestion_ms: r.last_ingestion,
            stored_bytes: bytes(r.stored_bytes),
        }
    }
}

/// A row of `log_events` (without its group).
#[derive(sqlx::FromRow)]
pub(crate) struct DbEvent {
    stream_id: i64,
    timestamp: i64,
    seq: i64,
    message: String,
    ingestion: i64,
}

impl DbEvent {
    /// The event as readers see it, in the stream named `stream`.
    pub(crate) fn into_event(self, stream: String) -> StoredEvent {
        StoredEvent {
            stream,
            key: EventKey {
                timestamp_ms: self.timestamp,
                stream_key: self.stream_id,
                seq: self.seq,
            },
            message: self.message,
            ingestion_ms: self.ingestion,
        }
    }
}

/// An event joined with its stream's name (a read across streams).
#[derive(sqlx::FromRow)]
pub(crate) struct DbStreamEvent {
    name: String,
    #[sqlx(flatten)]
    event: DbEvent,
}

impl From<DbStreamEvent> for StoredEvent {
    fn from(r: DbStreamEvent) -> Self {
        r.event.into_event(r.name)
    }
}
