//! The HTTP side of batch transform (docs/contracts.md §4.2, §5.1, §5.4): waiting
//! for `/ping`, reading `/execution-parameters`, and POSTing mini-batches
//! to `/invocations` with bounded concurrency, retries and ordered results.
//!
//! Responses are read whole but capped ([`InvokerConfig::max_response_bytes`]):
//! results must come back in input order, and a cap keeps that simple while
//! stopping a container that answers with an endless body from exhausting
//! memory.

use super::batch::{describe_range, BatchStrategy, MiniBatch};
use bytes::{Bytes, BytesMut};
use futures::future::BoxFuture;
use futures::{Stream, StreamExt};
use slipway_core::ports::blob::ByteStream;
use std::sync::Arc;
use std::time::Duration;
// tokio's Instant: the same as std's in the server, and the virtual one
// under paused test time, where the ping loop's sleeps are virtual too.
use tokio::time::Instant;

/// How long one `/ping` attempt may take (docs/contracts.md §4.2).
pub const PING_TIMEOUT: Duration = Duration::from_secs(2);
/// Pause between `/ping` attempts while a container starts: short at
/// first (most servers listen within milliseconds of starting), doubling
/// up to the longest.
const PING_INTERVAL_FIRST: Duration = Duration::from_millis(5);
const PING_INTERVAL: Duration = Duration::from_millis(200);
/// `/execution-parameters` is optional; a container that hangs on it must
/// not hold the job up for long.
const EXECUTION_PARAMETERS_TIMEOUT: Duration = Duration::from_secs(5);
/// How much of a container's answer a failure message quotes.
const EXCERPT_CHARS: usize = 500;
/// How much of an error body is read to build that excerpt.
const ERROR_BODY_CAP: u64 = 64 * 1024;

/// How to reach one serving container.
#[derive(Debug, Clone)]
pub struct InvokerConfig {
    /// `http://<container ip>:8080`, no trailing slash needed.
    pub base_url: String,
    /// Sent as `Content-Type` (TransformInput.ContentType) when set.
    pub content_type: Option<String>,
    /// Sent as `Accept` (TransformOutput.Accept) when set.
    pub accept: Option<String>,
    /// Per `/invocations` attempt, body included (InvocationsTimeoutInSeconds; default 600 s).
    pub timeout: Duration,
    /// Retries after the first attempt (InvocationsMaxRetries; default 3).
    pub max_retries: u32,
    /// Requests in flight at once (effective MaxConcurrentTransforms; default 1).
    pub concurrency: usize,
    /// Largest response body accepted (default 1 GiB).
    pub max_response_bytes: u64,
    /// First retry delay, doubled per retry up to 5 s (default 100 ms).
    pub retry_base_delay: Duration,
    /// Shared by every invoker of one container, so the container never
    /// has more than MaxConcurrentTransforms requests at once, whichever
    /// input object they come from. `None`: only `concurrency` bounds it.
    pub in_flight: Option<Arc<tokio::sync::Semaphore>>,
}

impl InvokerConfig {
    /// The defaults of docs/contracts.md §5.4 for a container at `base_url`.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            content_type: None,
            accept: None,
            timeout: Duration::from_secs(600),
            max_retries: 3,
            concurrency: 1,
            max_response_bytes: 1 << 30,
            retry_base_delay: Duration::from_millis(100),
            in_flight: None,
        }
    }
}

/// What a container asked for through `/execution-parameters`; any may be
/// absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecutionParameters {
    pub max_concurrent_transforms: Option<u64>,
    pub batch_strategy: Option<BatchStrategy>,
    pub max_payload_in_mb: Option<u64>,
}

impl ExecutionParameters {
    /// Reads the JSON body leniently: a key that is missing or of the wrong
    /// type is ignored rather than failing the job.
    pub fn from_json(body: &[u8]) -> Option<Self> {
        let v: serde_json::Value = serde_json::from_slice(body).ok()?;
        let obj = v.as_object()?;
        let num = |k: &str| match obj.get(k)? {
            serde_json::Value::Number(n) => n.as_u64(),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        Some(Self {
            max_concurrent_transforms: num("MaxConcurrentTransforms"),
            batch_strategy: obj
                .get("BatchStrategy")
                .and_then(|v| v.as_str())
                .and_then(BatchStrategy::parse),
            max_payload_in_mb: num("MaxPayloadInMB"),
        })
    }
}

/// The transform job's own MaxConcurrentTransforms, BatchStrategy and
/// MaxPayloadInMB, as requested (`None` = not set).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestedParameters {
    pub max_concurrent_transforms: Option<u64>,
    pub batch_strategy: Option<BatchStrategy>,
    pub max_payload_in_mb: Option<u64>,
}

/// The values a job runs with (docs/contracts.md §5.1 step 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EffectiveParameters {
    pub max_concurrent_transforms: u64,
    pub batch_strategy: BatchStrategy,
    /// 0 = no limit (stream the object).
    pub max_payload_in_mb: u64,
}

impl EffectiveParameters {
    /// Request value > `/execution-parameters` value > default (1,
    /// MultiRecord, 6). A MaxConcurrentTransforms of 0 counts as unset on
    /// either side; a container's MaxPayloadInMB of 0 is taken as asked.
    pub fn resolve(
        requested: &RequestedParameters,
        container: Option<&ExecutionParameters>,
    ) -> Self {
        let from_container = container.cloned().unwrap_or_default();
        let positive = |v: Option<u64>| v.filter(|n| *n > 0);
        Self {
            max_concurrent_transforms: positive(requested.max_concurrent_transforms)
                .or(positive(from_container.max_concurrent_transforms))
                .unwrap_or(1),
            batch_strategy: requested
                .batch_strategy
                .or(from_container.batch_strategy)
                .unwrap_or(BatchStrategy::MultiRecord),
            max_payload_in_mb: requested
                .max_payload_in_mb
                .or(from_container.max_payload_in_mb)
                .unwrap_or(6),
        }
    }
}

/// Why an invocation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The container answered non-2xx.
    Status,
    /// The attempt exceeded the timeout.
    Timeout,
    /// The connection could not be made or broke.
    Connection,
    /// The answer exceeded `max_response_bytes` (not retried).
    ResponseTooLarge,
    /// The input stream failed before a request was made.
    Input,
    /// `/ping` never answered 200 before the deadline.
    NotReady,
    /// The container stopped while we waited for `/ping`.
    ContainerExited,
}

/// A failed call to the container, with what a seller needs to debug it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct InvokeError {
    pub kind: FailureKind,
    /// First and last record index of the mini-batch, when there was one.
    pub records: Option<(u64, u64)>,
    /// The container's HTTP status, if it answered.
    pub status: Option<u16>,
    /// Up to 500 characters of the container's answer (lossy UTF-8).
    pub excerpt: String,
    /// Attempts made.
    pub attempts: u32,
    /// Transport detail (timeouts, connection errors, input errors).
    pub detail: String,
}

impl InvokeError {
    fn new(kind: FailureKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            records: None,
            status: None,
            excerpt: String::new(),
            attempts: 0,
            detail: detail.into(),
        }
    }

    /// True for timeouts and connection errors (no answer from the container).
    pub fn is_transport(&self) -> bool {
        matches!(self.kind, FailureKind::Timeout | FailureKind::Connection)
    }

    fn describe(&self) -> String {
        let what = match self.records {
            Some((first, last)) => describe_range(first, last),
            None => "the request".to_owned(),
        };
        let tries = match self.attempts {
            0 | 1 => String::new(),
            n => format!(" (after {n} attempts)"),
        };
        let body = if self.excerpt.is_empty() {
            String::new()
        } else {
            format!(": {}", self.excerpt)
        };
        match self.kind {
            FailureKind::Status => format!(
                "{what}: the container answered HTTP {}{tries}{body}",
                self.status.unwrap_or(0)
            ),
            FailureKind::Timeout => {
                format!("{what}: /invocations timed out{tries}: {}", self.detail)
            }
            FailureKind::Connection => {
                format!(
                    "{what}: the connection to the container failed{tries}: {}",
                    self.detail
                )
            }
            FailureKind::ResponseTooLarge => format!("{what}: {}", self.detail),
            FailureKind::Input => format!("{what}: reading the input failed: {}", self.detail),
            FailureKind::NotReady | FailureKind::ContainerExited => self.detail.clone(),
        }
    }
}

/// Talks to one serving container. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Invoker {
    client: reqwest::Client,
    cfg: Arc<InvokerConfig>,
}

impl Invoker {
    pub fn new(cfg: InvokerConfig) -> Result<Self, InvokeError> {
        let client = reqwest::Client::builder()
            // The container is on a local network; a proxy from the
            // environment must not sit in between.
            .no_proxy()
            .pool_max_idle_per_host(cfg.concurrency.max(1))
            .build()
            .map_err(|e| {
                InvokeError::new(
                    FailureKind::Connection,
                    format!("building the HTTP client: {e}"),
                )
            })?;
        Ok(Self {
            client,
            cfg: Arc::new(cfg),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.cfg.base_url.trim_end_matches('/'))
    }

    /// One `GET /ping`: true on 200 within `timeout`.
    pub async fn ping(&self, timeout: Duration) -> bool {
        let resp = self
            .client
            .get(self.url("/ping"))
            .timeout(timeout)
            .send()
            .await;
        resp.is_ok_and(|r| r.status() == reqwest::StatusCode::OK)
    }

    /// Polls `/ping` until it answers 200, the `deadline` passes
    /// ([`FailureKind::NotReady`]) or `is_alive` says the container is gone
    /// ([`FailureKind::ContainerExited`]).
    pub async fn wait_ready<F>(&self, deadline: Duration, is_alive: F) -> Result<(), InvokeError>
    where
        F: Fn() -> BoxFuture<'static, bool>,
    {
        let start = Instant::now();
        let mut pause = PING_INTERVAL_FIRST;
        loop {
            let left = deadline.saturating_sub(start.elapsed());
            if self
                .ping(PING_TIMEOUT.min(left).max(Duration::from_millis(10)))
                .await
            {
                return Ok(());
            }
            if !is_alive().await {
                return Err(InvokeError::new(
                    FailureKind::ContainerExited,
                    "the container exited before /ping answered 200",
                ));
            }
            let left = deadline.saturating_sub(start.elapsed());
            if left.is_zero() {
                return Err(InvokeError::new(
                    FailureKind::NotReady,
                    format!(
                        "the container did not answer 200 to GET /ping within {}",
                        human(deadline)
                    ),
                ));
            }
            tokio::time::sleep(pause.min(left)).await;
            pause = (pause * 2).min(PING_INTERVAL);
        }
    }

    /// `GET /execution-parameters`; `None` on 404, other errors, timeouts
    /// or a body that is not a JSON object (the endpoint is optional).
    pub async fn execution_parameters(&self) -> Option<ExecutionParameters> {
        let resp = self
            .client
            .get(self.url("/execution-parameters"))
            .timeout(EXECUTION_PARAMETERS_TIMEOUT)
            .send()
            .await
            .ok()?;
        if !resp.status().is_success() {
            return None;
        }
        let body = read_capped(resp, 64 * 1024).await.ok()?;
        ExecutionParameters::from_json(&body)
    }

    /// POSTs one mini-batch, retrying as docs/contracts.md §5.4 says.
    /// A slot of the container-wide in-flight limit, if there is one.
    async fn permit(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        match &self.cfg.in_flight {
            Some(s) => s.clone().acquire_owned().await.ok(),
            None => None,
        }
    }

    pub async fn invoke(&self, batch: &MiniBatch) -> Result<Bytes, InvokeError> {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let permit = self.permit().await;
            let result = self
                .attempt(reqwest::Body::from(batch.payload.clone()))
                .await;
            drop(permit);
            match result {
                Ok(body) => return Ok(body),
                Err(mut e) => {
                    let retryable = e.kind != FailureKind::ResponseTooLarge;
                    if !retryable || attempts > self.cfg.max_retries {
                        e.records = Some((batch.first, batch.last));
                        e.attempts = attempts;
                        return Err(e);
                    }
                    tracing::debug!(records = %batch.describe(), error = %e, "retrying /invocations");
                    tokio::time::sleep(self.backoff(attempts)).await;
                }
            }
        }
    }

    /// Invokes every batch of `batches` with up to `concurrency` requests in
    /// flight, yielding results in input order. Requests run on their own
    /// tasks, so they progress while the caller handles earlier results;
    /// at most `concurrency` are outstanding, and dropping the stream
    /// aborts them. The caller should stop at the first error.
    pub fn invoke_all<S, E>(
        &self,
        batches: S,
    ) -> impl Stream<Item = Result<(MiniBatch, Bytes), InvokeError>> + Send + 'static
    where
        S: Stream<Item = Result<MiniBatch, E>> + Send + 'static,
        E: std::fmt::Display + Send + 'static,
    {
        let this = self.clone();
        let concurrency = self.cfg.concurrency.max(1);
        batches
            .map(move |item| {
                let this = this.clone();
                AbortOnDrop(tokio::spawn(async move {
                    let batch =
                        item.map_err(|e| InvokeError::new(FailureKind::Input, e.to_string()))?;
                    let out = this.invoke(&batch).await?;
                    Ok((batch, out))
                }))
            })
            .buffered(concurrency)
    }

    /// POSTs a streamed body with chunked transfer encoding (MaxPayloadInMB
    /// 0 with SplitType None). Not retried: the stream is consumed by the
    /// first attempt.
    pub async fn invoke_stream(&self, body: ByteStream) -> Result<Bytes, InvokeError> {
        let _permit = self.permit().await;
        self.attempt(reqwest::Body::wrap_stream(body))
            .await
            .map_err(|mut e| {
                e.attempts = 1;
                e
            })
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.saturating_sub(1).min(16);
        (self.cfg.retry_base_delay * factor).min(Duration::from_secs(5))
    }

    async fn attempt(&self, body: reqwest::Body) -> Result<Bytes, InvokeError> {
        let mut req = self
            .client
            .post(self.url("/invocations"))
            .timeout(self.cfg.timeout)
            .body(body);
        if let Some(ct) = &self.cfg.content_type {
            req = req.header(reqwest::header::CONTENT_TYPE, ct);
        }
        // Without one, reqwest sends `Accept: */*`, which the inference
        // toolkits read as "no preference" (their default accept applies).
        if let Some(accept) = &self.cfg.accept {
            req = req.header(reqwest::header::ACCEPT, accept);
        }
        let timeout = self.cfg.timeout;
        let resp = req.send().await.map_err(|e| transport_error(e, timeout))?;
        let status = resp.status();
        if !status.is_success() {
            let body = match read_capped(resp, ERROR_BODY_CAP).await {
                Ok(b) | Err(ReadError::TooLarge(b)) => b,
                Err(ReadError::Transport(_)) => Bytes::new(),
            };
            let mut e = InvokeError::new(FailureKind::Status, String::new());
            e.status = Some(status.as_u16());
            e.excerpt = excerpt(&body);
            return Err(e);
        }
        match read_capped(resp, self.cfg.max_response_bytes).await {
            Ok(body) => Ok(body),
            Err(ReadError::Transport(e)) => Err(transport_error(e, timeout)),
            Err(ReadError::TooLarge(head)) => {
                let mut e = InvokeError::new(
                    FailureKind::ResponseTooLarge,
                    format!(
                        "the container's response is larger than {} bytes",
                        self.cfg.max_response_bytes
                    ),
                );
                e.status = Some(status.as_u16());
                e.excerpt = excerpt(&head);
                Err(e)
            }
        }
    }
}

enum ReadError {
    Transport(reqwest::Error),
    /// The body passed the cap; holds what was read.
    TooLarge(Bytes),
}

async fn read_capped(mut resp: reqwest::Response, cap: u64) -> Result<Bytes, ReadError> {
    if resp.content_length().is_some_and(|n| n > cap) {
        return Err(ReadError::TooLarge(Bytes::new()));
    }
    let mut buf = BytesMut::new();
    while let Some(chunk) = resp.chunk().await.map_err(ReadError::Transport)? {
        if buf.len() as u64 + chunk.len() as u64 > cap {
            buf.extend_from_slice(&chunk[..chunk.len().min(EXCERPT_CHARS * 4)]);
            return Err(ReadError::TooLarge(buf.freeze()));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

fn transport_error(e: reqwest::Error, timeout: Duration) -> InvokeError {
    if e.is_timeout() {
        // reqwest's text ("operation timed out") does not say how long.
        return InvokeError::new(
            FailureKind::Timeout,
            format!("no complete answer within {}", human(timeout)),
        );
    }
    let kind = FailureKind::Connection;
    // reqwest's Display omits the cause ("connection refused", …), which is
    // the useful part for a seller.
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        source = s.source();
    }
    InvokeError::new(kind, detail)
}

/// "600 s" or "250 ms".
fn human(d: Duration) -> String {
    if d.subsec_millis() == 0 && d.as_secs() > 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// The first 500 characters of `body`, lossy UTF-8, on one line: a
/// FailureReason is shown as one line, and an HTML error page's first line
/// (`<html>`) says nothing of what went wrong.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = text.as_str();
    match text.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// A spawned request that is cancelled when its result is no longer wanted.
struct AbortOnDrop<T>(tokio::task::JoinHandle<Result<T, InvokeError>>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> std::future::Future for AbortOnDrop<T> {
    type Output = Result<T, InvokeError>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0).poll(cx).map(|joined| {
            joined.unwrap_or_else(|e| {
                Err(InvokeError::new(
                    FailureKind::Connection,
                    format!("request task failed: {e}"),
                ))
            })
        })
    }
}

#[cfg(test)]
#[path = "invoke_tests.rs"]
mod tests;
