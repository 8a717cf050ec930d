//! InvokeEndpoint and InvokeEndpointWithResponseStream: pick a variant
//! (by weight, or the one the caller targets), pick a healthy instance
//! (round-robin), forward the call and hand back the container's answer
//! (docs/contracts.md §1.8, §4.3). Errors are the runtime's own.

use crate::deploy::{connect_error, log_group};
use crate::fleet::{Fleet, Target, Variant};
use crate::state::status;
use crate::Hosting;
use bytes::Bytes;
use futures::stream::BoxStream;
use futures::StreamExt;
use slipway_core::AccountId;
use std::sync::Arc;
use tokio::time::Instant;

/// One call, as the runtime's edge decoded it.
#[derive(Debug, Clone, Default)]
pub struct InvokeRequest {
    pub endpoint_name: String,
    pub body: Bytes,
    pub content_type: Option<String>,
    pub accept: Option<String>,
    pub custom_attributes: Option<String>,
    pub target_variant: Option<String>,
    pub inference_id: Option<String>,
}

/// A streamed answer's failure after it began (an in-stream error event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamFault {
    /// `ModelInvocationTimeExceeded` or `StreamBroken`.
    pub code: &'static str,
    pub message: String,
}

pub enum ResponseBody {
    Full(Bytes),
    Stream(BoxStream<'static, Result<Bytes, StreamFault>>),
}

pub struct InvokeResponse {
    /// `x-Amzn-Invoked-Production-Variant`.
    pub variant: String,
    pub content_type: Option<String>,
    pub custom_attributes: Option<String>,
    pub body: ResponseBody,
}

/// The runtime's errors (docs/contracts.md §1.8).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuntimeError {
    /// 400 `ValidationError`.
    #[error("{0}")]
    Validation(String),
    /// 424 `ModelError`: the container answered non-2xx, or not in time.
    #[error("{message}")]
    Model {
        message: String,
        original_status: Option<u16>,
        original_message: Option<String>,
        log_stream_arn: Option<String>,
    },
    /// 429 `ModelNotReadyException`.
    #[error("{0}")]
    NotReady(String),
    /// 500 `InternalFailure`.
    #[error("{0}")]
    Internal(String),
}

/// The most of a container's error body quoted back.
const ORIGINAL_MESSAGE_MAX: usize = 2048;

impl Hosting {
    pub async fn invoke(
        &self,
        account: &AccountId,
        req: InvokeRequest,
        stream: bool,
    ) -> Result<InvokeResponse, RuntimeError> {
        let deadline = Instant::now() + self.settings().invocation_timeout;
        if req.body.len() > self.settings().max_payload {
            return Err(RuntimeError::Validation(format!(
                "Request body of {} bytes exceeds the limit of {} bytes.",
                req.body.len(),
                self.settings().max_payload
            )));
        }
        let key = req.endpoint_name.to_ascii_lowercase();
        let Some(fleet) = self.fleet(account, &key) else {
            return Err(self.no_fleet(account, &req.endpoint_name, &key).await);
        };
        let variant = match &req.target_variant {
            Some(name) => fleet.variant(name).ok_or_else(|| {
                RuntimeError::Validation(format!(
                    "The variant {name} is not present in the endpoint {}.",
                    req.endpoint_name
                ))
            })?,
            None => fleet.choose().ok_or_else(|| {
                RuntimeError::NotReady(format!(
                    "Endpoint {} has no variant with a weight above 0.",
                    req.endpoint_name
                ))
            })?,
        }
        .clone();
        // A container found dead before anything was sent to it (the
        // connection was refused) is replaced and the call goes to another
        // instance, or waits for the replacement.
        let mut attempts = 0;
        loop {
            attempts += 1;
            let target = self.healthy(&fleet, &variant, deadline).await?;
            match self
                .forward(&fleet, &variant, target, req.clone(), stream, deadline)
                .await
            {
                Err(Failure::Unsent(e)) if attempts < 3 => {
                    tracing::debug!(endpoint = %req.endpoint_name, error = ?e, "retrying on another instance");
                }
                Err(Failure::Unsent(e) | Failure::Failed(e)) => return Err(e),
                Ok(r) => return Ok(r),
            }
        }
    }

    /// Why an endpoint this process does not serve cannot be called.
    async fn no_fleet(&self, account: &AccountId, name: &str, key: &str) -> RuntimeError {
        let not_found = || {
            RuntimeError::Validation(format!(
                "Endpoint {name} of account {} not found.",
                account.as_str()
            ))
        };
        let record = self
            .service()
            .metadata()
            .get(account, crate::endpoints::KIND, key)
            .await;
        match record {
            Ok(Some(r)) if r.status == status::IN_SERVICE || r.status == status::UPDATING => {
                RuntimeError::NotReady(format!(
                    "Endpoint {name} of account {} is starting its containers; retry shortly.",
                    account.as_str()
                ))
            }
            Ok(_) => not_found(),
            Err(e) => RuntimeError::Internal(e.to_string()),
        }
    }

    /// A healthy instance of the variant; while instances are being
    /// started or replaced, waits for one (within the call's deadline).
    async fn healthy(
        &self,
        fleet: &Fleet,
        variant: &Variant,
        deadline: Instant,
    ) -> Result<Target, RuntimeError> {
        loop {
            let notified = variant.became_healthy.notified();
            if let Some(t) = variant.pick() {
                return Ok(t);
            }
            if !variant.recovering() || fleet.is_retired() {
                break;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                break;
            }
        }
        Err(RuntimeError::NotReady(format!(
            "Model for endpoint {}'s production variant {} is not ready: no container of the variant is passing its health check.",
            fleet.name, variant.plan.variant
        )))
    }

    async fn forward(
        &self,
        fleet: &Arc<Fleet>,
        variant: &Arc<Variant>,
        target: Target,
        req: InvokeRequest,
        stream: bool,
        deadline: Instant,
    ) -> Result<InvokeResponse, Failure> {
        let mut call = self
            .inner
            .client
            .post(format!("{}/invocations", target.url))
            .body(req.body);
        if let Some(v) = &req.content_type {
            call = call.header("content-type", v);
        }
        if let Some(v) = &req.accept {
            call = call.header("accept", v);
        }
        if let Some(v) = &req.custom_attributes {
            call = call.header("x-amzn-sagemaker-custom-attributes", v);
        }
        if let Some(v) = &req.inference_id {
            call = call.header("x-amzn-sagemaker-inference-id", v);
        }
        let ctx = ErrorContext {
            hosting: self,
            fleet,
            stream_name: target.instance.log_stream(),
        };
        let answer = match tokio::time::timeout_at(deadline, call.send()).await {
            Err(_) => return Err(Failure::Failed(ctx.timed_out())),
            Ok(Err(e)) => {
                // The container is gone or broken: out of rotation and
                // replaced now, not at the next health check.
                crate::health::replace(self, fleet, variant, target.instance.clone());
                let error = ctx.model_error(0, connect_error(&e));
                return Err(if e.is_connect() {
                    Failure::Unsent(error)
                } else {
                    Failure::Failed(error)
                });
            }
            Ok(Ok(r)) => r,
        };
        let status = answer.status().as_u16();
        let header = |name: &str| {
            answer
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        // Read before the body: counted only once the answer is whole.
        let units = variant.meter.as_ref().map(|_| {
            crate::meter::units_of(
                answer
                    .headers()
                    .get(crate::meter::METERING_HEADER)
                    .map(|v| v.as_bytes()),
            )
        });
        let count = |units: Option<u64>| {
            if let (Some(m), Some(n)) = (&variant.meter, units) {
                m.count(n);
            }
        };
        let content_type = header("content-type");
        let custom_attributes = header("x-amzn-sagemaker-custom-attributes");
        let max = self.settings().max_payload;
        if !(200..300).contains(&status) {
            let body = read_limited(answer, ORIGINAL_MESSAGE_MAX, deadline).await;
            let text = String::from_utf8_lossy(&body.unwrap_or_default()).into_owned();
            return Err(Failure::Failed(ctx.model_error(status, text)));
        }
        let variant_name = variant.plan.variant.clone();
        if stream {
            // A stream that began with a 2xx is billed (AWS bills the call).
            count(units);
            let mut chunks = answer.bytes_stream();
            let timeout = self.settings().invocation_timeout;
            let body = async_stream(move |tx| async move {
                loop {
                    match tokio::time::timeout_at(deadline, chunks.next()).await {
                        Err(_) => {
                            let _ = tx
                                .send(Err(StreamFault {
                                    code: "ModelInvocationTimeExceeded",
                                    message: format!(
                                        "The model did not finish its response within {} seconds.",
                                        timeout.as_secs()
                                    ),
                                }))
                                .await;
                            return;
                        }
                        Ok(None) => return,
                        Ok(Some(Ok(b))) => {
                            if tx.send(Ok(b)).await.is_err() {
                                return;
                            }
                        }
                        Ok(Some(Err(e))) => {
                            let _ = tx
                                .send(Err(StreamFault {
                                    code: "StreamBroken",
                                    message: format!(
                                        "The model's response stream broke: {}",
                                        connect_error(&e)
                                    ),
                                }))
                                .await;
                            return;
                        }
                    }
                }
            });
            return Ok(InvokeResponse {
                variant: variant_name,
                content_type,
                custom_attributes,
                body: ResponseBody::Stream(body),
            });
        }
        let body = match read_limited(answer, max + 1, deadline).await {
            Ok(b) if b.len() > max => {
                return Err(Failure::Failed(ctx.model_error(
                    status,
                    format!("The response of the model exceeded the limit of {max} bytes."),
                )))
            }
            Ok(b) => {
                count(units);
                b
            }
            Err(Read::TimedOut) => return Err(Failure::Failed(ctx.timed_out())),
            Err(Read::Broken(why)) => {
                return Err(Failure::Failed(ctx.model_error(
                    status,
                    format!("The model's response could not be read to its end: {why}"),
                )))
            }
        };
        Ok(InvokeResponse {
            variant: variant_name,
            content_type,
            custom_attributes,
            body: ResponseBody::Full(body),
        })
    }
}

/// How a forwarded call failed.
enum Failure {
    /// Nothing reached the container (another instance may take it).
    Unsent(RuntimeError),
    Failed(RuntimeError),
}

struct ErrorContext<'a> {
    hosting: &'a Hosting,
    fleet: &'a Fleet,
    stream_name: String,
}

impl ErrorContext<'_> {
    fn log_stream_arn(&self) -> String {
        format!(
            "arn:aws:logs:{}:{}:log-group:{}:log-stream:{}",
            self.hosting.service().region(),
            self.fleet.account.as_str(),
            log_group(&self.fleet.name),
            self.stream_name
        )
    }

    fn see_logs(&self) -> String {
        let region = self.hosting.service().region();
        format!(
            "See https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#logEventViewer:group={} in account {} for more information.",
            log_group(&self.fleet.name),
            self.fleet.account.as_str()
        )
    }

    /// AWS's words: "Received server error (500) from primary with message
    /// "…". See … for more information."
    fn model_error(&self, status: u16, body: String) -> RuntimeError {
        let kind = if (400..500).contains(&status) {
            "client"
        } else {
            "server"
        };
        let quoted = clip(&body, ORIGINAL_MESSAGE_MAX);
        RuntimeError::Model {
            message: format!(
                "Received {kind} error ({status}) from primary with message \"{quoted}\". {}",
                self.see_logs()
            ),
            original_status: Some(status),
            original_message: Some(quoted),
            log_stream_arn: Some(self.log_stream_arn()),
        }
    }

    fn timed_out(&self) -> RuntimeError {
        RuntimeError::Model {
            message: format!(
                "Received server error (0) from primary with message \"Your invocation timed out while waiting for a response from container primary. Review the latency metrics for each container in Amazon CloudWatch, resolve the issue, and try again.\". {}",
                self.see_logs()
            ),
            original_status: None,
            original_message: None,
            log_stream_arn: Some(self.log_stream_arn()),
        }
    }
}

enum Read {
    TimedOut,
    Broken(String),
}

/// Reads at most `max` bytes of a body (the rest is not read).
async fn read_limited(
    mut answer: reqwest::Response,
    max: usize,
    deadline: Instant,
) -> Result<Bytes, Read> {
    let mut out = bytes::BytesMut::new();
    loop {
        match tokio::time::timeout_at(deadline, answer.chunk()).await {
            Err(_) => return Err(Read::TimedOut),
            Ok(Err(e)) => return Err(Read::Broken(connect_error(&e))),
            Ok(Ok(None)) => return Ok(out.freeze()),
            Ok(Ok(Some(chunk))) => {
                let room = max.saturating_sub(out.len());
                out.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if out.len() >= max {
                    return Ok(out.freeze());
                }
            }
        }
    }
}

fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

/// A stream fed by a task through a small channel: the task ends when the
/// caller stops reading (the channel closes), so a client that goes away
/// never leaves a reader behind.
fn async_stream<F, Fut>(f: F) -> BoxStream<'static, Result<Bytes, StreamFault>>
where
    F: FnOnce(tokio::sync::mpsc::Sender<Result<Bytes, StreamFault>>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::spawn(f(tx));
    futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|v| (v, rx)) }).boxed()
}
