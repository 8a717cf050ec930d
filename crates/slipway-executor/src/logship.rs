//! Ships a running container's output to the job's CloudWatch stream,
//! batching lines so a chatty container costs one store write per batch,
//! not per line. For training jobs it also feeds the metric parser and
//! reports progress (lines shipped, latest metrics, a truncated log)
//! through [`LogProgress`], which the control plane persists on the job.

use crate::metrics::{MetricParser, MetricValue};
use futures::StreamExt;
use slipway_core::ports::engine::{ContainerEngine, ContainerId};
use slipway_core::ports::logs::{LogEvent, LogStore};
use slipway_core::ports::metrics::MetricSample;
use slipway_core::AccountId;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Lines kept for failure reasons.
const TAIL_LINES: usize = 20;
/// Most lines per shipped batch.
const BATCH_LINES: usize = 2000;
/// Longest a line waits before it is shipped.
const FLUSH_EVERY: Duration = Duration::from_millis(500);
/// How long a followed stream may take to end by itself once the container
/// has exited. Podman ends it about 0.45 s late (it polls); reading the
/// rest without following is immediate.
const FOLLOW_END_GRACE: Duration = Duration::from_millis(20);
/// Up to this many lines already read, catching up re-reads the output from
/// its start (the Docker API has no line offset); past it, waiting for the
/// followed stream to end is the cheaper way.
const CATCH_UP_MAX_LINES: u64 = 200_000;

/// A container's log is stored up to this many bytes of lines; past it
/// lines are counted, not stored, and the last ones are stored at the end
/// behind a marker line (docs/jobs.md "Logs"). A flood must not fill the
/// disk, nor hold the job while every byte is written.
pub const MAX_STORED_LOG_BYTES: u64 = 128 << 20;
/// How many of a flood's last lines are stored at its end (the real error
/// is there), bounded also by [`KEEP_LAST_BYTES`].
pub const KEEP_LAST_LINES: usize = 1000;
const KEEP_LAST_BYTES: usize = 4 << 20;
/// How long the end of a job waits for the shipper to read the rest by
/// itself before it takes the last lines straight from the engine.
const DRAIN_WAIT: Duration = Duration::from_secs(10);
/// Lines compared to find where the engine's tail joins what was read.
const JOIN_LINES: usize = 3;
/// The first words of every line Slipway itself writes into a log stream.
pub const MARKER_PREFIX: &str = "[slipway]";

/// The last lines a container printed, shared with the runner.
pub type Tail = Arc<Mutex<VecDeque<String>>>;

/// What a training job's shipper reports; the control plane records it
/// on the job (a re-attached shipper skips the lines shipped, and the
/// note is said in the terminal status message).
#[async_trait::async_trait]
pub trait LogProgress: Send + Sync {
    /// `lines` more lines were shipped (stored, or counted past the
    /// limit); `finals` holds the latest value of each metric and
    /// `samples` every value matched in those lines (to store before the
    /// lines are counted, so a restart re-reads rather than loses them).
    async fn shipped(&self, lines: u64, finals: Vec<MetricValue>, samples: Vec<MetricSample>);
    /// The log was truncated (a flood); `note` says how (naming the host
    /// when it is not `algo-1`).
    async fn truncated(&self, note: String);
    /// `samples` were matched in the log of host `host` (2 … N, 1-based)
    /// of a distributed job: they are that host's points. Nothing else of
    /// theirs is recorded: the job's final values are `algo-1`'s, and a
    /// distributed job is not re-attached after a restart.
    async fn host_samples(&self, host: usize, samples: Vec<MetricSample>);
}

/// Training progress a shipper reports.
pub struct TrainingProgress {
    pub metrics: MetricParser,
    pub events: Arc<dyn LogProgress>,
    /// Whose log this is (1-based): `algo-1` reports everything through
    /// [`LogProgress::shipped`], the other hosts only their samples.
    pub host: usize,
}

pub struct Shipper {
    pub engine: Arc<dyn ContainerEngine>,
    /// Where lines are stored.
    pub logs: Arc<dyn LogStore>,
    pub account: AccountId,
    /// For log messages.
    pub job: String,
    pub group: String,
    pub stream: String,
    pub container: ContainerId,
    /// Lines a previous runner already shipped (re-attach after a restart).
    pub skip: u64,
    pub training: Option<TrainingProgress>,
    pub tail: Tail,
    /// Notified by the runner once the container has exited (and is not
    /// yet removed): the shipper then stops following and reads the rest.
    pub exited: Option<Arc<tokio::sync::Notify>>,
}

/// A running shipper: its task, and the way to make it finish now.
pub struct Shipping {
    task: tokio::task::JoinHandle<()>,
    finish_now: Arc<tokio::sync::Notify>,
}

impl Shipping {
    /// The shipper's task, for a caller that ends every task at once.
    pub fn abort_handle(&self) -> tokio::task::AbortHandle {
        self.task.abort_handle()
    }

    /// Stops shipping now, leaving unshipped lines unrecorded (a shutdown:
    /// the next server reads them again, skipping the recorded ones).
    pub fn abandon(self) {
        self.task.abort();
    }

    /// Waits for the shipper to store the container's last lines (the
    /// container has exited). One that is still behind after
    /// [`DRAIN_WAIT`] (a flood) is told to stop reading and take the last
    /// lines from the engine instead, saying so in the stream; call this
    /// before the container is removed.
    pub async fn finish(self) {
        let abort = self.task.abort_handle();
        let mut task = self.task;
        if tokio::time::timeout(DRAIN_WAIT, &mut task).await.is_ok() {
            return;
        }
        self.finish_now.notify_one();
        if tokio::time::timeout(DRAIN_WAIT, &mut task).await.is_err() {
            tracing::warn!("the log shipper did not finish; its last lines are lost");
            abort.abort();
        }
    }
}

/// Lines read past [`MAX_STORED_LOG_BYTES`]: counted, and the last ones kept.
#[derive(Default)]
struct Overflow {
    lines: u64,
    bytes: u64,
    last: VecDeque<LogEvent>,
    last_bytes: usize,
}

impl Overflow {
    fn push(&mut self, event: LogEvent) {
        self.lines += 1;
        self.bytes += event.message.len() as u64;
        self.last_bytes += event.message.len();
        self.last.push_back(event);
        while self.last.len() > KEEP_LAST_LINES || self.last_bytes > KEEP_LAST_BYTES {
            match self.last.pop_front() {
                Some(e) => self.last_bytes -= e.message.len(),
                None => break,
            }
        }
    }
}

/// Where the engine's last lines join the lines read: the index after the
/// last place where `read_end` (the final lines read) occurs in `tail`,
/// or 0 if it does not (then everything in `tail` is new).
fn join_point(tail: &[LogEvent], read_end: &VecDeque<String>) -> usize {
    let n = read_end.len();
    if n == 0 || tail.len() < n {
        return 0;
    }
    (n..=tail.len())
        .rev()
        .find(|&end| {
            tail[end - n..end]
                .iter()
                .zip(read_end)
                .all(|(t, r)| &t.message == r)
        })
        .unwrap_or(0)
}

fn human(bytes: u64) -> String {
    crate::instance_types::human_bytes(i64::try_from(bytes).unwrap_or(i64::MAX))
}

impl Shipper {
    /// Starts shipping; see [`Shipping::finish`] for the end.
    pub fn spawn(self) -> Shipping {
        let finish_now = Arc::new(tokio::sync::Notify::new());
        let task = tokio::spawn(self.run(finish_now.clone()));
        Shipping { task, finish_now }
    }

    /// Follows the container's output until it exits; returns when every
    /// line has been shipped and the final metrics recorded.
    async fn run(mut self, finish_now: Arc<tokio::sync::Notify>) {
        let engine = self.engine.clone();
        let mut lines = engine.logs(&self.container, true);
        let mut batch: Vec<LogEvent> = Vec::new();
        let mut overflow = Overflow::default();
        let mut stored_bytes = 0u64;
        let mut read_end: VecDeque<String> = VecDeque::new();
        let mut forced = false;
        let mut seen = 0u64;
        let mut pending = 0u64;
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let exited = self.exited.clone();
        let mut following = true;
        let mut catch_up_at: Option<tokio::time::Instant> = None;
        loop {
            let exit_signal = async {
                match &exited {
                    Some(n) => n.notified().await,
                    None => std::future::pending().await,
                }
            };
            let catch_up = async {
                match catch_up_at {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = finish_now.notified() => {
                    forced = true;
                    break;
                }
                _ = exit_signal, if following && catch_up_at.is_none() => {
                    catch_up_at = Some(tokio::time::Instant::now() + FOLLOW_END_GRACE);
                }
                _ = catch_up => {
                    catch_up_at = None;
                    following = false;
                    if seen <= CATCH_UP_MAX_LINES {
                        // The same output from its start, without following:
                        // the lines read so far are skipped.
                        self.skip = self.skip.max(seen);
                        seen = 0;
                        lines = engine.logs(&self.container, false);
                    }
                }
                next = lines.next() => match next {
                    Some(Ok(l)) => {
                        seen += 1;
                        if seen <= self.skip {
                            continue;
                        }
                        if let Some(t) = &mut self.training {
                            t.metrics.feed(&l.line, l.timestamp_ms, seen);
                        }
                        self.remember(&l.line);
                        if read_end.len() == JOIN_LINES {
                            read_end.pop_front();
                        }
                        read_end.push_back(l.line.clone());
                        let event = LogEvent { timestamp_ms: l.timestamp_ms, message: l.line };
                        let size = event.message.len() as u64;
                        if overflow.lines == 0 && stored_bytes + size <= MAX_STORED_LOG_BYTES {
                            stored_bytes += size;
                            batch.push(event);
                        } else {
                            overflow.push(event);
                        }
                        pending += 1;
                        if batch.len() >= BATCH_LINES {
                            self.flush(&mut batch, &mut pending).await;
                        }
                    }
                    Some(Err(e)) => {
                        tracing::warn!(job = %self.job, error = %e, "reading container logs");
                        break;
                    }
                    None => break,
                },
                _ = tick.tick() => self.flush(&mut batch, &mut pending).await,
            }
        }
        self.flush(&mut batch, &mut pending).await;
        if forced {
            self.store_engine_tail(&overflow, &read_end).await;
        } else if overflow.lines > 0 {
            self.store_overflow(overflow).await;
        }
    }

    /// The end of a flood whose every line was read: a marker, then the
    /// last lines kept.
    async fn store_overflow(&mut self, overflow: Overflow) {
        let kept = overflow.last.len() as u64;
        let dropped = overflow.lines - kept;
        let marker = format!(
            "{MARKER_PREFIX} this container printed more than {} of log lines; Slipway stores the first {} of a container's log, so {dropped} lines ({}) after them were not stored; the last {kept} lines follow",
            human(MAX_STORED_LOG_BYTES),
            human(MAX_STORED_LOG_BYTES),
            human(overflow.bytes.saturating_sub(overflow.last_bytes as u64)),
        );
        let note = format!("{dropped} log lines were not stored (the log exceeded {}; see the '{MARKER_PREFIX}' line in the log stream)", human(MAX_STORED_LOG_BYTES));
        let mut events = Vec::with_capacity(overflow.last.len() + 1);
        let at = overflow.last.front().map_or(0, |e| e.timestamp_ms);
        events.push(LogEvent {
            timestamp_ms: at,
            message: marker,
        });
        events.extend(overflow.last);
        self.store_final(events, note).await;
    }

    /// The end of a flood the shipper could not read to its end in time:
    /// the engine's own last lines, joined where they meet what was read.
    async fn store_engine_tail(&mut self, overflow: &Overflow, read_end: &VecDeque<String>) {
        let mut tail = Vec::new();
        let engine = self.engine.clone();
        let mut last = engine.last_logs(&self.container, KEEP_LAST_LINES);
        while let Some(item) = last.next().await {
            match item {
                Ok(l) => tail.push(LogEvent {
                    timestamp_ms: l.timestamp_ms,
                    message: l.line,
                }),
                Err(e) => {
                    tracing::warn!(job = %self.job, error = %e, "reading the container's last log lines");
                    break;
                }
            }
        }
        let from = join_point(&tail, read_end);
        let new = tail.split_off(from);
        for l in &new {
            self.remember(&l.message);
        }
        let not_stored = if from > 0 {
            format!("{} lines read but not stored", overflow.lines)
        } else {
            format!(
                "{} lines read but not stored, and an unknown number never read",
                overflow.lines
            )
        };
        let marker = format!(
            "{MARKER_PREFIX} this container printed faster than its log could be read by the end of the job ({not_stored}); the last {} lines it printed follow",
            new.len()
        );
        let note = format!("the log was truncated ({not_stored}; see the '{MARKER_PREFIX}' line in the log stream)");
        let at = new.first().map_or(0, |e| e.timestamp_ms);
        let mut events = Vec::with_capacity(new.len() + 1);
        events.push(LogEvent {
            timestamp_ms: at,
            message: marker,
        });
        events.extend(new);
        self.store_final(events, note).await;
    }

    /// Stores the closing events and reports the note of a training job
    /// (it shows in the terminal status message).
    async fn store_final(&mut self, mut events: Vec<LogEvent>, note: String) {
        if let Err(e) = self
            .logs
            .append(&self.account, &self.group, &self.stream, &events)
            .await
        {
            tracing::warn!(job = %self.job, error = %e, "storing the last log events");
        }
        events.clear();
        if let Some(t) = self.training.as_ref() {
            let note = if t.host > 1 {
                format!("algo-{}: {note}", t.host)
            } else {
                note
            };
            t.events.truncated(note).await;
        }
    }

    fn remember(&self, line: &str) {
        let mut tail = self.tail.lock().unwrap_or_else(|p| p.into_inner());
        if tail.len() == TAIL_LINES {
            tail.pop_front();
        }
        tail.push_back(line.to_owned());
    }

    /// Stores `batch` and reports `pending` lines (stored or not) as
    /// shipped, so a re-attach after a restart skips them.
    async fn flush(&mut self, batch: &mut Vec<LogEvent>, pending: &mut u64) {
        if *pending == 0 {
            return;
        }
        if !batch.is_empty() {
            if let Err(e) = self
                .logs
                .append(&self.account, &self.group, &self.stream, batch)
                .await
            {
                tracing::warn!(job = %self.job, error = %e, "storing log events");
            }
        }
        let n = std::mem::take(pending);
        batch.clear();
        if let Some(t) = &mut self.training {
            let samples = t.metrics.take_samples();
            if t.host <= 1 {
                t.events.shipped(n, t.metrics.finals(), samples).await;
            } else if !samples.is_empty() {
                t.events.host_samples(t.host, samples).await;
            }
        }
    }
}

/// The tail as one excerpt for a failure reason.
pub fn excerpt(tail: &Tail, max_lines: usize) -> String {
    let tail = tail.lock().unwrap_or_else(|p| p.into_inner());
    let skip = tail.len().saturating_sub(max_lines);
    tail.iter()
        .skip(skip)
        .cloned()
        .collect::<Vec<_>>()
        .join(" | ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(lines: &[&str]) -> Vec<LogEvent> {
        lines
            .iter()
            .map(|l| LogEvent {
                timestamp_ms: 0,
                message: (*l).to_owned(),
            })
            .collect()
    }

    fn ends(lines: &[&str]) -> VecDeque<String> {
        lines.iter().map(|l| (*l).to_owned()).collect()
    }

    #[test]
    fn the_engine_tail_joins_after_the_last_lines_read() {
        let tail = events(&["a", "b", "c", "d", "e"]);
        assert_eq!(join_point(&tail, &ends(&["a", "b", "c"])), 3);
        assert_eq!(join_point(&tail, &ends(&["c", "d", "e"])), 5);
        // Not found: everything in the tail is new.
        assert_eq!(join_point(&tail, &ends(&["x", "y", "z"])), 0);
        assert_eq!(join_point(&tail, &ends(&[])), 0);
        // Repeated lines join at their last occurrence.
        let tail = events(&["x", "x", "x", "y"]);
        assert_eq!(join_point(&tail, &ends(&["x", "x"])), 3);
    }

    #[test]
    fn an_overflow_keeps_only_the_last_lines_within_bounds() {
        let mut o = Overflow::default();
        for i in 0..(KEEP_LAST_LINES + 10) {
            o.push(LogEvent {
                timestamp_ms: i as i64,
                message: format!("line {i}"),
            });
        }
        assert_eq!(o.lines, (KEEP_LAST_LINES + 10) as u64);
        assert_eq!(o.last.len(), KEEP_LAST_LINES);
        assert_eq!(o.last.front().map(|e| e.message.as_str()), Some("line 10"));
        let mut big = Overflow::default();
        for _ in 0..10 {
            big.push(LogEvent {
                timestamp_ms: 0,
                message: "y".repeat(1 << 20),
            });
        }
        assert!(big.last_bytes <= KEEP_LAST_BYTES);
        assert_eq!(big.last.len(), 4);
    }
}
