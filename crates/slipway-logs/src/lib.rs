//! CloudWatch Logs rules for job logs (the subset Slipway serves): the
//! rules of each operation on top of the `LogStore` port of
//! `slipway-core`. Knows no HTTP (the wire crate maps [`LogsError`] to Logs
//! codes), no SQL and nothing of the control plane: job runners append to
//! the `LogStore` directly; clients come through [`Logs`]
//! (docs/architecture.md, "Layers").
//!
//! Pagination tokens are opaque to clients and made here: GetLogEvents'
//! `f/…`/`b/…` tokens and FilterLogEvents' `nextToken` name an event
//! position ([`EventKey`]), so a token stays valid while the stream grows
//! and a client that re-sends the forward token at the end of a stream
//! gets the same token back (how the SDKs detect the end).

mod pattern;
mod tokens;

pub use pattern::FilterPattern;

use slipway_core::ports::clock::Clock;
use slipway_core::ports::logs::{
    Direction, FilterQuery, LogError, LogEvent, LogGroupInfo, LogStore, LogStreamInfo, StoredEvent,
    StreamOrder, StreamQuery, StreamSelect, TimeRange,
};
use slipway_core::AccountId;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// This crate's results.
pub type Result<T, E = LogsError> = std::result::Result<T, E>;

/// Per-event overhead PutLogEvents counts toward the batch size.
pub const EVENT_OVERHEAD: usize = 26;
/// Largest PutLogEvents batch, and largest page a read returns (bytes).
pub const MAX_BATCH_BYTES: usize = 1_048_576;
/// Longest time span of one PutLogEvents batch.
const MAX_BATCH_SPAN_MS: i64 = 24 * 3_600_000;
/// Events further in the future than this are rejected (not stored).
const TOO_NEW_MS: i64 = 2 * 3_600_000;
/// Events older than this are rejected (not stored).
const TOO_OLD_MS: i64 = 14 * 24 * 3_600_000;
/// Events a FilterLogEvents call examines before it returns a partial page
/// with a `nextToken` (AWS does the same when its search time runs out).
const FILTER_SCAN_BUDGET: usize = 100_000;
const FILTER_CHUNK: usize = 2_000;
/// Default and largest `limit` of GetLogEvents and FilterLogEvents.
const MAX_EVENTS: usize = 10_000;
/// Default `limit` of DescribeLogGroups and DescribeLogStreams.
const DESCRIBE_LIMIT: usize = 50;

/// CloudWatch Logs conditions a client acts on. The wire crate maps each
/// to its Logs error code; messages are AWS's.
#[derive(Debug, thiserror::Error)]
pub enum LogsError {
    #[error("{0}")]
    InvalidParameter(String),
    #[error("The specified log group does not exist.")]
    GroupNotFound,
    #[error("The specified log stream does not exist.")]
    StreamNotFound,
    #[error("The specified log group already exists")]
    GroupExists,
    #[error("The specified log stream already exists")]
    StreamExists,
    /// The store failed; nothing a client can act on.
    #[error("internal error")]
    Internal {
        context: String,
        #[source]
        source: BoxError,
    },
}

impl LogsError {
    pub fn internal(context: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Internal {
            context: context.into(),
            source: source.into(),
        }
    }
}

impl From<LogError> for LogsError {
    fn from(e: LogError) -> Self {
        match e {
            LogError::GroupNotFound(_) => LogsError::GroupNotFound,
            LogError::StreamNotFound(_) => LogsError::StreamNotFound,
            LogError::GroupExists(_) => LogsError::GroupExists,
            LogError::StreamExists(_) => LogsError::StreamExists,
            other => LogsError::internal("log store", other),
        }
    }
}

fn invalid(message: impl Into<String>) -> LogsError {
    LogsError::InvalidParameter(message.into())
}

/// What PutLogEvents stored: indexes of the events it did not store,
/// as `rejectedLogEventsInfo` reports them. `too_old_last` is the index of
/// the last too-old event: AWS documents `tooOldLogEventEndIndex` as "the
/// index of the last log event that is too old" and answers 0 when only
/// the event at index 0 is (docs/fidelity.md). `too_new_start` is the first
/// too-new one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutOutcome {
    pub too_old_last: Option<usize>,
    pub too_new_start: Option<usize>,
}

/// DescribeLogGroups input.
#[derive(Debug, Clone, Default)]
pub struct DescribeGroups {
    pub prefix: Option<String>,
    /// Case-sensitive substring (`logGroupNamePattern`).
    pub pattern: Option<String>,
    pub limit: Option<usize>,
    pub next_token: Option<String>,
}

/// DescribeLogStreams input.
#[derive(Debug, Clone, Default)]
pub struct DescribeStreams {
    pub prefix: Option<String>,
    pub order_by_last_event: bool,
    pub descending: bool,
    pub limit: Option<usize>,
    pub next_token: Option<String>,
}

/// GetLogEvents input. Times in epoch ms: start inclusive, end exclusive.
#[derive(Debug, Clone, Default)]
pub struct GetEvents {
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub next_token: Option<String>,
    pub limit: Option<usize>,
    pub start_from_head: bool,
}

/// FilterLogEvents input. Times in epoch ms, both inclusive.
#[derive(Debug, Clone, Default)]
pub struct FilterEvents {
    pub stream_names: Option<Vec<String>>,
    pub stream_prefix: Option<String>,
    pub start_ms: Option<i64>,
    pub end_ms: Option<i64>,
    pub pattern: Option<String>,
    pub next_token: Option<String>,
    pub limit: Option<usize>,
    /// `startFromHead`: absent or true reads oldest first, false newest
    /// first.
    pub start_from_head: Option<bool>,
}

/// A page of a listing, with the token for the next page when more exist.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_token: Option<String>,
}

/// GetLogEvents output: the tokens are never absent.
#[derive(Debug, Clone)]
pub struct EventsPage {
    pub events: Vec<StoredEvent>,
    pub next_forward_token: String,
    pub next_backward_token: String,
}

/// The logs operations: a view of the `LogStore`, the region ARNs name,
/// and the clock "now" comes from.
pub struct Logs<'a> {
    store: &'a dyn LogStore,
    region: &'a str,
    clock: &'a dyn Clock,
}

impl<'a> Logs<'a> {
    pub fn new(store: &'a dyn LogStore, region: &'a str, clock: &'a dyn Clock) -> Self {
        Self {
            store,
            region,
            clock,
        }
    }

    /// Now, in epoch milliseconds of the wall clock.
    fn now_ms(&self) -> i64 {
        self.clock.wall_micros() / 1_000
    }

    /// `arn:aws:logs:REGION:ACCOUNT:log-group:NAME` (DescribeLogGroups'
    /// `logGroupArn`; its `arn` adds `:*`).
    pub fn group_arn(&self, account: &AccountId, group: &str) -> String {
        format!(
            "arn:aws:logs:{}:{}:log-group:{group}",
            self.region,
            account.as_str()
        )
    }

    /// `…:log-group:GROUP:log-stream:STREAM`, as DescribeLogStreams shows it.
    pub fn stream_arn(&self, account: &AccountId, group: &str, stream: &str) -> String {
        format!("{}:log-stream:{stream}", self.group_arn(account, group))
    }

    /// The group name a `logGroupIdentifier` (name or ARN) names. An ARN
    /// of another account or region names nothing this caller can see.
    pub fn group_from_identifier(&self, account: &AccountId, id: &str) -> Result<String> {
        let Some(rest) = id.strip_prefix("arn:") else {
            return Ok(id.to_owned());
        };
        let prefix = format!("aws:logs:{}:{}:log-group:", self.region, account.as_str());
        let name = rest.strip_prefix(&prefix).ok_or(LogsError::GroupNotFound)?;
        Ok(name.strip_suffix(":*").unwrap_or(name).to_owned())
    }

    /// CreateLogGroup: `ResourceAlreadyExists` when the account has it.
    pub async fn create_log_group(&self, account: &AccountId, group: &str) -> Result<()> {
        Ok(self
            .store
            .create_group(account, group, self.now_ms())
            .await?)
    }

    /// CreateLogStream: the group must exist; the stream must not.
    pub async fn create_log_stream(
        &self,
        account: &AccountId,
        group: &str,
        stream: &str,
    ) -> Result<()> {
        Ok(self
            .store
            .create_stream(account, group, stream, self.now_ms())
            .await?)
    }

    /// DeleteLogGroup: the group, its streams and their events.
    pub async fn delete_log_group(&self, account: &AccountId, group: &str) -> Result<()> {
        Ok(self.store.delete_group(account, group).await?)
    }

    /// PutLogEvents: the batch rules first (chronological order, 1 MiB
    /// counting 26 bytes per event), then events too old or too new are
    /// left out and reported, the 24-hour span is checked on the rest (as
    /// AWS documents it: "for valid events"), and they are stored at once.
    pub async fn put_log_events(
        &self,
        account: &AccountId,
        group: &str,
        stream: &str,
        events: Vec<LogEvent>,
    ) -> Result<PutOutcome> {
        check_batch(&events)?;
        let now = self.now_ms();
        let too_old_end = events
            .iter()
            .take_while(|e| e.timestamp_ms < now - TOO_OLD_MS)
            .count();
        let too_new_start = events
            .iter()
            .position(|e| e.timestamp_ms > now + TOO_NEW_MS)
            .unwrap_or(events.len())
            .max(too_old_end);
        let keep = &events[too_old_end..too_new_start];
        if let (Some(first), Some(last)) = (keep.first(), keep.last()) {
            if last.timestamp_ms - first.timestamp_ms > MAX_BATCH_SPAN_MS {
                return Err(invalid(
                    "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.",
                ));
            }
        }
        self.store.put_events(account, group, stream, keep).await?;
        Ok(PutOutcome {
            too_old_last: too_old_end.checked_sub(1),
            too_new_start: (too_new_start < events.len()).then_some(too_new_start),
        })
    }

    /// DescribeLogGroups: the account's groups by name, filtered by a
    /// prefix or a substring (not both), 50 per page by default.
    pub async fn describe_log_groups(
        &self,
        account: &AccountId,
        req: DescribeGroups,
    ) -> Result<Page<LogGroupInfo>> {
        if req.prefix.is_some() && req.pattern.is_some() {
            return Err(invalid(
                "LogGroupNamePrefix and LogGroupNamePattern are mutually exclusive parameters.",
            ));
        }
        let limit = req.limit.unwrap_or(DESCRIBE_LIMIT);
        let mut after = req
            .next_token
            .as_deref()
            .map(tokens::decode_name)
            .transpose()?;
        let needle = req.pattern.as_deref();
        let mut items = Vec::new();
        // A pattern filters after the store's page; read until the page is
        // full or the groups run out.
        loop {
            let batch = self
                .store
                .list_groups(account, req.prefix.as_deref(), after.as_deref(), limit + 1)
                .await?;
            let exhausted = batch.len() <= limit;
            for g in batch {
                after = Some(g.name.clone());
                if needle.is_none_or(|n| g.name.contains(n)) {
                    if items.len() == limit {
                        return Ok(Page {
                            next_token: items
                                .last()
                                .map(|l: &LogGroupInfo| tokens::encode_name(&l.name)),
                            items,
                        });
                    }
                    items.push(g);
                }
            }
            if exhausted {
                return Ok(Page {
                    items,
                    next_token: None,
                });
            }
        }
    }

    /// DescribeLogStreams: by name or by last event time (the latter not
    /// with a prefix, as on AWS), 50 per page by default.
    pub async fn describe_log_streams(
        &self,
        account: &AccountId,
        group: &str,
        req: DescribeStreams,
    ) -> Result<Page<LogStreamInfo>> {
        if req.order_by_last_event && req.prefix.is_some() {
            return Err(invalid(
                "Cannot order by LastEventTime with a logStreamNamePrefix.",
            ));
        }
        let limit = req.limit.unwrap_or(DESCRIBE_LIMIT);
        let after = req
            .next_token
            .as_deref()
            .map(tokens::decode_stream_cursor)
            .transpose()?;
        let query = StreamQuery {
            prefix: req.prefix,
            order: if req.order_by_last_event {
                StreamOrder::LastEventTime
            } else {
                StreamOrder::Name
            },
            descending: req.descending,
            after,
            limit: limit + 1,
        };
        let mut items = self.store.list_streams(account, group, &query).await?;
        // One more than asked tells whether another page exists, so the
        // last page carries no token (the SageMaker SDK loops while one is
        // present).
        let next_token = if items.len() > limit {
            items.truncate(limit);
            items.last().map(tokens::encode_stream_cursor)
        } else {
            None
        };
        Ok(Page { items, next_token })
    }

    /// GetLogEvents. Without a token: the newest events (or the oldest
    /// with `start_from_head`). With `f/…`: events after that position;
    /// with `b/…`: the events just before it. At the end the sent token
    /// comes back unchanged.
    pub async fn get_log_events(
        &self,
        account: &AccountId,
        group: &str,
        stream: &str,
        req: GetEvents,
    ) -> Result<EventsPage> {
        let sent = req
            .next_token
            .as_deref()
            .map(tokens::decode_position)
            .transpose()?;
        let direction = match sent {
            Some(tokens::Position::Forward(k)) => Direction::Forward { after: Some(k) },
            Some(tokens::Position::Backward(k)) => Direction::Backward { before: Some(k) },
            None if req.start_from_head => Direction::Forward { after: None },
            None => Direction::Backward { before: None },
        };
        let range = TimeRange {
            start_ms: req.start_ms,
            end_ms: req.end_ms,
        };
        let limit = req.limit.unwrap_or(MAX_EVENTS).min(MAX_EVENTS);
        let mut events = self
            .store
            .read_stream(account, group, stream, range, direction, limit)
            .await?;
        cap_bytes(&mut events);
        if matches!(direction, Direction::Backward { .. }) {
            events.reverse();
        }
        let (forward, backward) = match (events.first(), events.last(), sent) {
            (Some(first), Some(last), _) => (last.key, first.key),
            (_, _, Some(tokens::Position::Forward(k) | tokens::Position::Backward(k))) => (k, k),
            // An empty stream: both tokens sit before every event, so a
            // forward read later sees everything appended meanwhile.
            _ => Default::default(),
        };
        Ok(EventsPage {
            events,
            next_forward_token: tokens::encode_position(tokens::Position::Forward(forward)),
            next_backward_token: tokens::encode_position(tokens::Position::Backward(backward)),
        })
    }

    /// FilterLogEvents: events of the selected streams in (time, stream,
    /// sequence) order (reversed with `startFromHead: false`) matching the
    /// pattern. A page ends at `limit`, at
    /// 1 MiB, or when the scan budget runs out; `next_token` is present
    /// exactly when events may remain.
    pub async fn filter_log_events(
        &self,
        account: &AccountId,
        group: &str,
        req: FilterEvents,
    ) -> Result<Page<StoredEvent>> {
        let streams = match (req.stream_names, req.stream_prefix) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "logStreamNames and logStreamNamePrefix are mutually exclusive; specify only one of them.",
                ))
            }
            (Some(names), None) => StreamSelect::Names(names),
            (None, Some(prefix)) => StreamSelect::Prefix(prefix),
            (None, None) => StreamSelect::All,
        };
        let pattern =
            FilterPattern::parse(req.pattern.as_deref().unwrap_or("")).map_err(invalid)?;
        let mut after = req
            .next_token
            .as_deref()
            .map(tokens::decode_filter)
            .transpose()?;
        let limit = req.limit.unwrap_or(MAX_EVENTS).min(MAX_EVENTS);
        let range = TimeRange {
            start_ms: req.start_ms,
            // FilterLogEvents' endTime is inclusive.
            end_ms: req.end_ms.map(|e| e.saturating_add(1)),
        };
        let store = self.store;
        let mut items = Vec::new();
        let mut bytes = 0;
        let mut scanned = 0;
        loop {
            let query = FilterQuery {
                streams: streams.clone(),
                range,
                after,
                descending: req.start_from_head == Some(false),
                limit: FILTER_CHUNK,
            };
            let rows = store.filter_events(account, group, &query).await?;
            let full_chunk = rows.len() == FILTER_CHUNK;
            let count = rows.len();
            for (i, ev) in rows.into_iter().enumerate() {
                let size = ev.message.len() + EVENT_OVERHEAD;
                let matched = pattern.matches(&ev.message);
                if matched && (items.len() == limit || bytes + size > MAX_BATCH_BYTES) {
                    // This event starts the next page.
                    return Ok(Page {
                        items,
                        next_token: after.map(tokens::encode_filter),
                    });
                }
                after = Some(ev.key);
                scanned += 1;
                if matched {
                    bytes += size;
                    items.push(ev);
                }
                let more = i + 1 < count || full_chunk;
                if items.len() == limit && !more {
                    return Ok(Page {
                        items,
                        next_token: None,
                    });
                }
            }
            if !full_chunk {
                return Ok(Page {
                    items,
                    next_token: None,
                });
            }
            if scanned >= FILTER_SCAN_BUDGET {
                return Ok(Page {
                    items,
                    next_token: after.map(tokens::encode_filter),
                });
            }
        }
    }
}

/// The PutLogEvents rules on the whole batch, with AWS's messages.
fn check_batch(events: &[LogEvent]) -> Result<()> {
    if events
        .windows(2)
        .any(|w| w[1].timestamp_ms < w[0].timestamp_ms)
    {
        return Err(invalid(
            "Log events in a single PutLogEvents request must be in chronological order.",
        ));
    }
    let size: usize = events
        .iter()
        .map(|e| e.message.len() + EVENT_OVERHEAD)
        .sum();
    if size > MAX_BATCH_BYTES {
        return Err(invalid(format!(
            "Upload too large: {size} bytes exceeds limit of {MAX_BATCH_BYTES}"
        )));
    }
    Ok(())
}

/// Keeps the events (in read order) that fit in one 1 MiB page; always
/// at least one, so a reader never stalls on a large event.
fn cap_bytes(events: &mut Vec<StoredEvent>) {
    let mut total = 0;
    let keep = events
        .iter()
        .take_while(|e| {
            total += e.message.len() + EVENT_OVERHEAD;
            total <= MAX_BATCH_BYTES
        })
        .count()
        .max(1);
    events.truncate(keep);
}

/// The `eventId` FilterLogEvents reports: the event's position, so the
/// same event always has the same id (`aws logs tail` de-duplicates by it).
pub fn event_id(ev: &StoredEvent) -> String {
    tokens::digits(ev.key)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
