//! Writes what a network-isolated container tried to reach into its own
//! log stream (docs/jobs.md "Logs"), one marker line per attempt:
//! `[slipway] network isolation: resolve models.example.com (A)`. A seller
//! whose container hangs or fails under `EnableNetworkIsolation` reads
//! there what it tried to download. At most [`MAX_LOGGED_LINES`] lines per
//! container, then one line saying how many more were not logged.

use crate::logship::MARKER_PREFIX;
use slipway_core::ports::engine::NetworkRecorder;
use slipway_core::ports::logs::{LogEvent, LogStore};
use slipway_core::AccountId;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

/// Attempts written per container.
pub const MAX_LOGGED_LINES: usize = 100;
/// The words after [`MARKER_PREFIX`] on every line written here.
pub const LINE_PREFIX: &str = "network isolation:";
/// How long [`NetworkLog::finish`] waits for the writer to write what the
/// recorder still holds.
const FINISH_WAIT: Duration = Duration::from_secs(3);
/// Once told to stop, how long the writer waits for one more attempt
/// before it concludes the recorder has none left.
const DRAIN_PAUSE: Duration = Duration::from_millis(50);

/// Where the lines go.
#[derive(Clone)]
pub struct NetworkLogTarget {
    pub logs: Arc<dyn LogStore>,
    pub account: AccountId,
    pub group: String,
    pub stream: String,
    /// For log messages.
    pub job: String,
}

/// The task writing one container's attempts; dropping it stops writing.
pub struct NetworkLog {
    task: Option<tokio::task::JoinHandle<()>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl NetworkLog {
    /// Writes what `recorder` reports until the recording ends.
    pub fn spawn(recorder: NetworkRecorder, target: NetworkLogTarget) -> Self {
        if let Some(reason) = recorder.reason() {
            tracing::info!(job = %target.job, %reason, "network attempts of the isolated container are not recorded");
        }
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let store = move |event: LogEvent| {
            let t = target.clone();
            async move {
                let events = [event];
                let stored = t.logs.append(&t.account, &t.group, &t.stream, &events);
                if let Err(e) = stored.await {
                    tracing::warn!(job = %t.job, error = %e, "storing a network isolation line");
                }
            }
        };
        let task = tokio::spawn(write(recorder, stopped, store));
        Self {
            task: Some(task),
            stop: Some(stop),
        }
    }

    /// Lets the last attempts be written (the container has ended), and the
    /// line counting those not logged; then ends the task.
    pub async fn finish(mut self) {
        let Some(mut task) = self.task.take() else {
            return;
        };
        // The recording itself notices the container's end only about a
        // second later (it polls); the caller knows it has ended now.
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if tokio::time::timeout(FINISH_WAIT, &mut task).await.is_err() {
            task.abort();
        }
    }
}

impl Drop for NetworkLog {
    fn drop(&mut self) {
        if let Some(t) = &self.task {
            t.abort();
        }
    }
}

/// One line of the stream for `text`.
fn line(text: &str, at: std::time::SystemTime) -> LogEvent {
    let ms = at
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    LogEvent {
        timestamp_ms: ms,
        message: format!("{MARKER_PREFIX} {LINE_PREFIX} {text}"),
    }
}

/// Hands each line to `store` until the recording ends or `stopped`.
async fn write<F, Fut>(
    mut recorder: NetworkRecorder,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
    store: F,
) where
    F: Fn(LogEvent) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut logged = 0usize;
    let mut omitted = 0u64;
    let mut stopping = false;
    loop {
        let attempt = if stopping {
            // The container has ended: what the recorder still holds comes
            // at once; a pause means it has nothing more.
            tokio::time::timeout(DRAIN_PAUSE, recorder.next())
                .await
                .ok()
                .flatten()
        } else {
            tokio::select! {
                a = recorder.next() => a,
                _ = &mut stopped => {
                    stopping = true;
                    continue;
                }
            }
        };
        let Some(attempt) = attempt else { break };
        if logged < MAX_LOGGED_LINES {
            logged += 1;
            store(line(&attempt.describe(), attempt.at)).await;
        } else {
            omitted += 1;
        }
    }
    if omitted > 0 {
        let text = format!(
            "{omitted} more attempts to reach the network were not logged (at most {MAX_LOGGED_LINES} are)"
        );
        store(line(&text, std::time::SystemTime::now())).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;
    use slipway_core::ports::engine::{NetworkAttempt, NetworkAttemptKind};
    use std::sync::Mutex;

    fn attempt(i: usize) -> NetworkAttempt {
        NetworkAttempt::new(
            NetworkAttemptKind::Resolve,
            Some(&format!("host{i}.example.com")),
            None,
            None,
            Some("A"),
        )
    }

    #[tokio::test]
    async fn writes_marker_lines_up_to_the_bound_then_a_count() {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let recorder = NetworkRecorder::new(
            futures::stream::iter((0..130).map(attempt)).boxed(),
            Box::new(()),
        );
        let (_stop, stopped) = tokio::sync::oneshot::channel();
        let sink = lines.clone();
        write(recorder, stopped, move |e: LogEvent| {
            let sink = sink.clone();
            async move {
                sink.lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(e.message)
            }
        })
        .await;
        let got = lines.lock().unwrap_or_else(|p| p.into_inner()).clone();
        assert_eq!(got.len(), MAX_LOGGED_LINES + 1);
        assert_eq!(
            got[0],
            "[slipway] network isolation: resolve host0.example.com (A)"
        );
        assert_eq!(
            got[MAX_LOGGED_LINES],
            "[slipway] network isolation: 30 more attempts to reach the network were not logged (at most 100 are)"
        );
    }
}
