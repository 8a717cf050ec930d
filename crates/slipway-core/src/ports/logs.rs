//! The job-log port: what CloudWatch Logs holds for Slipway's jobs. Job
//! runners append container output here; the logs API (`Logs_20140328.*`)
//! reads it. Groups and streams belong to an account, as on AWS: every
//! method takes the account, and one account never sees another's logs.
//!
//! Events of a stream are ordered by (timestamp, per-stream sequence), so
//! lines appended with equal timestamps keep their append order. Readers
//! page with an [`EventKey`], a position that stays valid while more events
//! are appended.

use crate::AccountId;
use async_trait::async_trait;

/// One log event: one line of container output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEvent {
    /// When the line was written (epoch milliseconds).
    pub timestamp_ms: i64,
    pub message: String,
}

/// What a log store reports. `*NotFound` and `GroupExists`/`StreamExists`
/// are conditions a caller acts on; `Backend` is an internal fault.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("log store failure: {0}")]
    Backend(String),
    #[error("log group {0} does not exist")]
    GroupNotFound(String),
    #[error("log stream {0} does not exist")]
    StreamNotFound(String),
    #[error("log group {0} already exists")]
    GroupExists(String),
    #[error("log stream {0} already exists")]
    StreamExists(String),
}

/// A log group as DescribeLogGroups shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogGroupInfo {
    pub name: String,
    /// Epoch milliseconds.
    pub created_ms: i64,
    /// Sum of the message bytes of every event in the group.
    pub stored_bytes: u64,
}

/// A log stream as DescribeLogStreams shows it. The event times are absent
/// until the first event arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogStreamInfo {
    pub name: String,
    pub created_ms: i64,
    pub first_event_ms: Option<i64>,
    pub last_event_ms: Option<i64>,
    pub last_ingestion_ms: Option<i64>,
    /// Sum of the message bytes of the stream's events.
    pub stored_bytes: u64,
}

/// How `list_streams` orders streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamOrder {
    /// By name (byte order).
    Name,
    /// By last event timestamp (streams without events first), then name.
    LastEventTime,
}

/// Where the previous page of streams ended: the last stream returned.
/// With `StreamOrder::Name` only `name` matters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamCursor {
    /// The stream's last event timestamp, `-1` for a stream without events.
    pub last_event_ms: i64,
    pub name: String,
}

/// A page request for `list_streams`. `prefix` and `LastEventTime` order
/// may both be given; the AWS rule against combining them is the service's.
#[derive(Debug, Clone)]
pub struct StreamQuery {
    pub prefix: Option<String>,
    pub order: StreamOrder,
    pub descending: bool,
    /// Return streams strictly after this one (in the requested order).
    pub after: Option<StreamCursor>,
    pub limit: usize,
}

/// The position of one event within a group: events are ordered by
/// (timestamp, stream, sequence). `stream_key` is an adapter-chosen number,
/// unique within the store and stable for the stream's lifetime; `seq`
/// grows with every event appended to the stream. The all-zero key sorts
/// before every event (adapters number streams and sequences from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct EventKey {
    pub timestamp_ms: i64,
    pub stream_key: i64,
    pub seq: i64,
}

/// An event as readers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// The stream it belongs to.
    pub stream: String,
    pub key: EventKey,
    pub message: String,
    /// When the store accepted it (epoch milliseconds).
    pub ingestion_ms: i64,
}

/// Direction of a read of one stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Events with key > `after` (all when `None`), oldest first.
    Forward { after: Option<EventKey> },
    /// Events with key < `before` (all when `None`), newest first.
    Backward { before: Option<EventKey> },
}

/// Time bounds: `start_ms` inclusive, `end_ms` exclusive (as GetLogEvents
/// and FilterLogEvents define them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeRange {
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
}

/// Which streams of a group `filter_events` reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamSelect {
    All,
    /// Exactly these names (missing names are skipped).
    Names(Vec<String>),
    Prefix(String),
}

/// A page request for `filter_events`: events of the selected streams in
/// key order (newest first when `descending`), strictly after `after` in
/// that order.
#[derive(Debug, Clone)]
pub struct FilterQuery {
    pub streams: StreamSelect,
    pub range: TimeRange,
    pub after: Option<EventKey>,
    pub descending: bool,
    pub limit: usize,
}

/// Durable job logs. Every mutating call is durable when it returns Ok.
#[async_trait]
pub trait LogStore: Send + Sync + 'static {
    /// Appends events to `group`/`stream`, creating both if missing. Events
    /// keep their order within one call and across calls.
    async fn append(
        &self,
        account: &AccountId,
        group: &str,
        stream: &str,
        events: &[LogEvent],
    ) -> Result<(), LogError>;

    /// Appends to an existing stream (PutLogEvents): `GroupNotFound` or
    /// `StreamNotFound` when either is missing. All events or none.
    async fn put_events(
        &self,
        account: &AccountId,
        group: &str,
        stream: &str,
        events: &[LogEvent],
    ) -> Result<(), LogError>;

    /// `GroupExists` when the account already has it.
    async fn create_group(
        &self,
        account: &AccountId,
        group: &str,
        created_ms: i64,
    ) -> Result<(), LogError>;

    /// `GroupNotFound` when the group is missing, `StreamExists` when the
    /// stream is already there.
    async fn create_stream(
        &self,
        account: &AccountId,
        group: &str,
        stream: &str,
        created_ms: i64,
    ) -> Result<(), LogError>;

    /// Deletes the group, its streams and their events; `GroupNotFound`
    /// when missing.
    async fn delete_group(&self, account: &AccountId, group: &str) -> Result<(), LogError>;

    /// Groups whose name starts with `prefix`, by name, strictly after
    /// `after`, at most `limit`.
    async fn list_groups(
        &self,
        account: &AccountId,
        prefix: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<LogGroupInfo>, LogError>;

    /// One page of a group's streams; `GroupNotFound` when missing.
    async fn list_streams(
        &self,
        account: &AccountId,
        group: &str,
        query: &StreamQuery,
    ) -> Result<Vec<LogStreamInfo>, LogError>;

    /// Up to `limit` events of one stream within `range`, in the order the
    /// direction names; `GroupNotFound`/`StreamNotFound` when missing.
    async fn read_stream(
        &self,
        account: &AccountId,
        group: &str,
        stream: &str,
        range: TimeRange,
        direction: Direction,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, LogError>;

    /// Up to `limit` events of the selected streams of a group, in key
    /// order (or reverse key order); `GroupNotFound` when the group is
    /// missing.
    async fn filter_events(
        &self,
        account: &AccountId,
        group: &str,
        query: &FilterQuery,
    ) -> Result<Vec<StoredEvent>, LogError>;
}
