//! What the executor reports while a training job's containers run,
//! recorded on the job.

use super::runner::Fatal;
use super::state::{self, status, MetricValue, Secondary};
use crate::jobs::logship::LogProgress;
use crate::Service;
use slipway_core::ports::metrics::{HostNumber, MetricSample, PRIMARY_HOST};
use slipway_core::AccountId;
use slipway_executor::training::TrainingEvents;

/// Records what the executor reports on the training job: lines shipped
/// (a re-attached shipper skips them), the latest metrics and every matched
/// value of every host (into the metric store, each host's its own series; before the lines are counted: a restart
/// re-reads uncounted lines, and the store skips samples it has), the note of a
/// truncated log (said in the terminal status message), and Stopping when
/// MaxRuntimeInSeconds has passed.
pub(super) struct Recorder {
    pub(super) svc: Service,
    pub(super) account: AccountId,
    pub(super) key: String,
    /// The job's name as created: its metrics' `TrainingJobName`.
    pub(super) name: String,
}

#[async_trait::async_trait]
impl LogProgress for Recorder {
    async fn shipped(&self, lines: u64, finals: Vec<MetricValue>, samples: Vec<MetricSample>) {
        let metrics = self.svc.metrics();
        let stored = metrics
            .append(&self.account, &self.name, PRIMARY_HOST, &samples)
            .await;
        if let Err(e) = stored {
            tracing::warn!(job = %self.key, error = %e, "storing metric points");
        }
        let added = samples.len() as u64;
        let saved = state::mutate(&self.svc, &self.account, &self.key, |_, doc| {
            doc.state.log_lines_shipped += lines;
            doc.state.metric_samples_stored += added;
            doc.state.final_metrics = finals.clone();
            Ok(true)
        })
        .await;
        if let Err(e) = saved {
            tracing::warn!(job = %self.key, error = %e, "recording shipped log lines");
        }
    }

    async fn truncated(&self, note: String) {
        // Several hosts of a job may each flood their log: every note is kept.
        let saved = state::mutate(&self.svc, &self.account, &self.key, |_, doc| {
            doc.state.log_note = match doc.state.log_note.take() {
                Some(earlier) if earlier.contains(&note) => Some(earlier),
                Some(earlier) => Some(format!("{earlier}; {note}")),
                None => Some(note.clone()),
            };
            Ok(true)
        })
        .await;
        if let Err(e) = saved {
            tracing::warn!(job = %self.key, error = %e, "recording the log note");
        }
    }

    async fn host_samples(&self, host: usize, samples: Vec<MetricSample>) {
        let Ok(host) = HostNumber::try_from(host) else {
            return;
        };
        let metrics = self.svc.metrics();
        if let Err(e) = metrics
            .append(&self.account, &self.name, host, &samples)
            .await
        {
            tracing::warn!(job = %self.key, host, error = %e, "storing metric points");
        }
    }
}

#[async_trait::async_trait]
impl TrainingEvents for Recorder {
    async fn max_runtime_reached(&self) -> Result<(), Fatal> {
        state::mutate(&self.svc, &self.account, &self.key, |st, doc| {
            if status::is_terminal(st) {
                return Ok(false);
            }
            *st = status::STOPPING.into();
            doc.state
                .enter(Secondary::Stopping, None, self.svc.wall_micros());
            Ok(true)
        })
        .await?;
        Ok(())
    }
}
