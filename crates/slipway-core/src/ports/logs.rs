//! The job-log port: what CloudWatch Logs holds for Slipway's jobs. Job
//! runners append container output here; the logs API (`Logs_20140328.*`)
//! reads it. Groups and streams belong to an account, as on AWS.

use crate::AccountId;
use async_trait::async_trait;

/// One log event: one line of container output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEvent {
    /// When the line was written (epoch milliseconds).
    pub timestamp_ms: i64,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("log store failure: {0}")]
    Backend(String),
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
}
