//! Ships a running container's output to the job's CloudWatch stream,
//! batching lines so a chatty container costs one store write per batch,
//! not per line. For training jobs it also feeds the metric parser and
//! records progress (lines shipped, latest metrics) on the job.

use super::training::metrics::MetricParser;
use super::training::state;
use crate::Service;
use futures::StreamExt;
use slipway_core::ports::engine::ContainerId;
use slipway_core::ports::logs::LogEvent;
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

/// The last lines a container printed, shared with the runner.
pub type Tail = Arc<Mutex<VecDeque<String>>>;

/// Training progress a shipper records on its job.
pub struct TrainingProgress {
    pub key: String,
    pub metrics: MetricParser,
}

pub struct Shipper {
    pub svc: Service,
    pub account: AccountId,
    /// For log messages.
    pub job: String,
    pub group: &'static str,
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

impl Shipper {
    /// Follows the container's output until it exits; returns when every
    /// line has been shipped and the final metrics recorded.
    pub async fn run(mut self) {
        let Some(jobs) = self.svc.jobs.clone() else {
            return;
        };
        let mut lines = jobs.engine.logs(&self.container, true);
        let mut batch: Vec<LogEvent> = Vec::new();
        let mut seen = 0u64;
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
                        lines = jobs.engine.logs(&self.container, false);
                    }
                }
                next = lines.next() => match next {
                    Some(Ok(l)) => {
                        seen += 1;
                        if seen <= self.skip {
                            continue;
                        }
                        if let Some(t) = &mut self.training {
                            t.metrics.feed(&l.line, l.timestamp_ms);
                        }
                        self.remember(&l.line);
                        batch.push(LogEvent { timestamp_ms: l.timestamp_ms, message: l.line });
                        if batch.len() >= BATCH_LINES {
                            self.flush(&mut batch).await;
                        }
                    }
                    Some(Err(e)) => {
                        tracing::warn!(job = %self.job, error = %e, "reading container logs");
                        break;
                    }
                    None => break,
                },
                _ = tick.tick() => self.flush(&mut batch).await,
            }
        }
        self.flush(&mut batch).await;
    }

    fn remember(&self, line: &str) {
        let mut tail = self.tail.lock().unwrap_or_else(|p| p.into_inner());
        if tail.len() == TAIL_LINES {
            tail.pop_front();
        }
        tail.push_back(line.to_owned());
    }

    async fn flush(&mut self, batch: &mut Vec<LogEvent>) {
        if batch.is_empty() {
            return;
        }
        if let Some(logs) = &self.svc.logs {
            if let Err(e) = logs
                .append(&self.account, self.group, &self.stream, batch)
                .await
            {
                tracing::warn!(job = %self.job, error = %e, "storing log events");
            }
        }
        let n = batch.len() as u64;
        batch.clear();
        let Some(t) = &self.training else {
            return;
        };
        let finals = t.metrics.finals();
        let saved = state::mutate(&self.svc, &self.account, &t.key, |_, doc| {
            doc.state.log_lines_shipped += n;
            doc.state.final_metrics = finals.clone();
            Ok(true)
        })
        .await;
        if let Err(e) = saved {
            tracing::warn!(job = %self.job, error = %e, "recording shipped log lines");
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
