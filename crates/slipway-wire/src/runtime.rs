//! The SageMaker runtime (rest-json, signed for `sagemaker`):
//! `POST /endpoints/{EndpointName}/invocations` and
//! `…/invocations-response-stream` (docs/contracts.md §1.8). Members travel
//! in headers; which header is which member comes from the botocore model
//! (`locationName`), and they are checked by the same constraint checker as
//! every JSON request. Errors are the runtime's own (`X-Amzn-ErrorType`).

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::StreamExt;
use http_body_util::BodyExt;
use serde_json::{json, Map, Value};
use slipway_hosting::invoke::{InvokeRequest, ResponseBody, RuntimeError, StreamFault};
use slipway_hosting::Hosting;
use slipway_sigv4::RequestParts;
use slipway_wire_core::auth::{verify_json, KeyCache};
use std::sync::OnceLock;

/// The runtime's path prefix; no S3 bucket is routed here unless the
/// request is signed for `sagemaker` (router.rs).
pub const PREFIX: &str = "/endpoints/";

/// Which runtime operation a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Invoke,
    InvokeStream,
    InvokeAsync,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Self::Invoke => "InvokeEndpoint",
            Self::InvokeStream => "InvokeEndpointWithResponseStream",
            Self::InvokeAsync => "InvokeEndpointAsync",
        }
    }
}

fn parse_path(path: &str) -> Option<(String, Op)> {
    let rest = path.strip_prefix(PREFIX)?;
    let (name, op) = rest.split_once('/')?;
    let op = match op {
        "invocations" => Op::Invoke,
        "invocations-response-stream" => Op::InvokeStream,
        "async-invocations" => Op::InvokeAsync,
        _ => return None,
    };
    let name = percent_encoding::percent_decode_str(name)
        .decode_utf8()
        .ok()?
        .into_owned();
    Some((name, op))
}

/// A runtime error in the rest-json form botocore reads: the code in
/// `X-Amzn-ErrorType`, members in the body.
struct RuntimeFailure {
    status: StatusCode,
    code: &'static str,
    body: Value,
}

impl RuntimeFailure {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            status,
            code,
            body: json!({ "message": message, "Message": message }),
        }
    }

    fn validation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "ValidationError", message)
    }
}

impl From<RuntimeError> for RuntimeFailure {
    fn from(e: RuntimeError) -> Self {
        match e {
            RuntimeError::Validation(m) => Self::validation(m),
            RuntimeError::NotReady(m) => {
                Self::new(StatusCode::TOO_MANY_REQUESTS, "ModelNotReadyException", m)
            }
            RuntimeError::Internal(m) => {
                tracing::error!(error = %m, "runtime internal failure");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalFailure",
                    "An internal failure occurred; retry the request.",
                )
            }
            RuntimeError::Model {
                message,
                original_status,
                original_message,
                log_stream_arn,
            } => {
                let mut body = Map::new();
                body.insert("message".into(), json!(message));
                body.insert("Message".into(), json!(message));
                if let Some(s) = original_status {
                    body.insert("OriginalStatusCode".into(), json!(s));
                }
                if let Some(m) = original_message {
                    body.insert("OriginalMessage".into(), json!(m));
                }
                if let Some(a) = log_stream_arn {
                    body.insert("LogStreamArn".into(), json!(a));
                }
                Self {
                    status: StatusCode::FAILED_DEPENDENCY,
                    code: "ModelError",
                    body: Value::Object(body),
                }
            }
        }
    }
}

impl IntoResponse for RuntimeFailure {
    fn into_response(self) -> Response {
        let mut resp = (self.status, self.body.to_string()).into_response();
        let h = resp.headers_mut();
        h.insert("x-amzn-errortype", HeaderValue::from_static(self.code));
        h.insert("content-type", HeaderValue::from_static("application/json"));
        resp
    }
}

/// Answers one runtime request.
pub async fn handle(hosting: &Hosting, keys: &KeyCache, req: Request<Body>) -> Response {
    match serve(hosting, keys, req).await {
        Ok(r) => r,
        Err(f) => f.into_response(),
    }
}

async fn serve(
    hosting: &Hosting,
    keys: &KeyCache,
    req: Request<Body>,
) -> Result<Response, RuntimeFailure> {
    let (parts, body) = req.into_parts();
    let Some((name, op)) = parse_path(parts.uri.path()) else {
        return Err(RuntimeFailure::new(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            format!("The runtime has no operation at {}.", parts.uri.path()),
        ));
    };
    if parts.method != http::Method::POST {
        return Err(RuntimeFailure::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "UnknownOperationException",
            format!("{} accepts only POST.", op.name()),
        ));
    }
    let max = hosting.settings().max_payload;
    let too_large = || {
        RuntimeFailure::validation(format!(
            "Request body exceeds the limit of {max} bytes (6 MB)."
        ))
    };
    let declared = parts
        .headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max) {
        return Err(too_large());
    }
    let body = http_body_util::Limited::new(body, max)
        .collect()
        .await
        .map_err(|_| too_large())?
        .to_bytes();
    let sig = RequestParts {
        method: parts.method.as_str(),
        raw_path: parts.uri.path(),
        raw_query: parts.uri.query(),
        headers: &parts.headers,
    };
    let caller = verify_json(hosting.service(), keys, &sig, &body)
        .await
        .map_err(|e| RuntimeFailure::new(e.status, e.code, e.message))?;
    if caller.service != "sagemaker" {
        return Err(RuntimeFailure::new(
            StatusCode::FORBIDDEN,
            "InvalidSignatureException",
            "Credential should be scoped to correct service: 'sagemaker'. ",
        ));
    }
    if op == Op::InvokeAsync {
        return Err(RuntimeFailure::validation(
            "Slipway does not run asynchronous inference: InvokeEndpointAsync is not implemented (use InvokeEndpoint).",
        ));
    }
    let members = header_members(op, &name, &parts.headers);
    slipway_botocore::runtime()
        .check_input(op.name(), &Value::Object(members.clone()))
        .map_err(|e| match e {
            slipway_botocore::InputError::Constraints(v) => {
                RuntimeFailure::validation(slipway_botocore::aws_message(&v))
            }
            other => RuntimeFailure::validation(format!("{other:?}")),
        })?;
    let text = |k: &str| members.get(k).and_then(Value::as_str).map(str::to_owned);
    for unsupported in [
        "TargetModel",
        "TargetContainerHostname",
        "InferenceComponentName",
        "SessionId",
    ] {
        if members.contains_key(unsupported) {
            return Err(RuntimeFailure::validation(format!(
                "Slipway's endpoints run one model in one container per variant; {unsupported} is not supported."
            )));
        }
    }
    let request = InvokeRequest {
        endpoint_name: name,
        body,
        content_type: text("ContentType"),
        accept: text("Accept"),
        custom_attributes: text("CustomAttributes"),
        target_variant: text("TargetVariant"),
        inference_id: text("InferenceId"),
    };
    let answer = hosting
        .invoke(&caller.account, request, op == Op::InvokeStream)
        .await?;
    let mut resp = match answer.body {
        ResponseBody::Full(bytes) => {
            let mut r = Response::new(Body::from(bytes));
            if let Some(ct) = answer.content_type.as_deref().and_then(header_value) {
                r.headers_mut().insert("content-type", ct);
            }
            r
        }
        ResponseBody::Stream(chunks) => {
            let frames = chunks.map(|c| Ok::<Bytes, std::convert::Infallible>(frame(c)));
            let mut r = Response::new(Body::from_stream(frames));
            r.headers_mut().insert(
                "content-type",
                HeaderValue::from_static("application/vnd.amazon.eventstream"),
            );
            if let Some(ct) = answer.content_type.as_deref().and_then(header_value) {
                r.headers_mut().insert("x-amzn-sagemaker-content-type", ct);
            }
            r
        }
    };
    if let Some(v) = header_value(&answer.variant) {
        resp.headers_mut()
            .insert("x-amzn-invoked-production-variant", v);
    }
    if let Some(v) = answer.custom_attributes.as_deref().and_then(header_value) {
        resp.headers_mut()
            .insert("x-amzn-sagemaker-custom-attributes", v);
    }
    Ok(resp)
}

fn header_value(s: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(s).ok()
}

/// (member, header) pairs of each operation's input, from the model.
fn header_map(op: Op) -> &'static [(String, String)] {
    static MAPS: OnceLock<Vec<Vec<(String, String)>>> = OnceLock::new();
    let maps = MAPS.get_or_init(|| {
        let model: Value =
            serde_json::from_str(slipway_botocore::RUNTIME_MODEL_JSON).unwrap_or_default();
        [Op::Invoke, Op::InvokeStream, Op::InvokeAsync]
            .iter()
            .map(|op| {
                let input = model
                    .pointer(&format!("/operations/{}/input/shape", op.name()))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                model
                    .pointer(&format!("/shapes/{input}/members"))
                    .and_then(Value::as_object)
                    .map(|m| {
                        m.iter()
                            .filter(|(_, r)| {
                                r.get("location").and_then(Value::as_str) == Some("header")
                            })
                            .filter_map(|(name, r)| {
                                let header = r.get("locationName")?.as_str()?;
                                Some((name.clone(), header.to_ascii_lowercase()))
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect()
    });
    let i = match op {
        Op::Invoke => 0,
        Op::InvokeStream => 1,
        Op::InvokeAsync => 2,
    };
    maps.get(i).map(Vec::as_slice).unwrap_or(&[])
}

/// The request's members: the endpoint name from the URI, the rest from
/// headers (a header that is not valid text is passed on as its bytes,
/// lossily, for the checker to judge). `Body` is present (it is the
/// payload; its size was checked while reading).
fn header_members(op: Op, name: &str, headers: &HeaderMap) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("EndpointName".into(), json!(name));
    m.insert("Body".into(), json!(""));
    for (member, header) in header_map(op) {
        if let Some(v) = headers.get(header.as_str()) {
            let text = String::from_utf8_lossy(v.as_bytes()).into_owned();
            m.insert(member.clone(), json!(text));
        }
    }
    m
}

/// One event-stream message (the `application/vnd.amazon.eventstream`
/// framing botocore decodes): a `PayloadPart` carrying the bytes, or a
/// `ModelStreamError` exception.
fn frame(item: Result<Bytes, StreamFault>) -> Bytes {
    use aws_smithy_types::event_stream::{Header, HeaderValue as H, Message};
    let message = match item {
        Ok(bytes) => Message::new(bytes)
            .add_header(Header::new(":event-type", H::String("PayloadPart".into())))
            .add_header(Header::new(
                ":content-type",
                H::String("application/octet-stream".into()),
            ))
            .add_header(Header::new(":message-type", H::String("event".into()))),
        Err(fault) => Message::new(Bytes::from(
            json!({ "Message": fault.message, "ErrorCode": fault.code }).to_string(),
        ))
        .add_header(Header::new(
            ":exception-type",
            H::String("ModelStreamError".into()),
        ))
        .add_header(Header::new(
            ":content-type",
            H::String("application/json".into()),
        ))
        .add_header(Header::new(":message-type", H::String("exception".into()))),
    };
    let mut out = Vec::new();
    if let Err(e) = aws_smithy_eventstream::frame::write_message_to(&message, &mut out) {
        tracing::error!(error = %e, "encoding an event-stream message");
    }
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_the_operation() {
        assert_eq!(
            parse_path("/endpoints/my-ep/invocations"),
            Some(("my-ep".into(), Op::Invoke))
        );
        assert_eq!(
            parse_path("/endpoints/my-ep/invocations-response-stream"),
            Some(("my-ep".into(), Op::InvokeStream))
        );
        assert_eq!(parse_path("/endpoints/my-ep/other"), None);
        assert_eq!(parse_path("/endpoints/my-ep"), None);
    }

    #[test]
    fn headers_map_to_model_members() {
        let map = header_map(Op::Invoke);
        assert!(map
            .iter()
            .any(|(m, h)| m == "CustomAttributes" && h == "x-amzn-sagemaker-custom-attributes"));
        let stream = header_map(Op::InvokeStream);
        assert!(stream
            .iter()
            .any(|(m, h)| m == "Accept" && h == "x-amzn-sagemaker-accept"));
    }
}
