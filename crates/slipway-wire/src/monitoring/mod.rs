//! CloudWatch metrics (`monitoring`): GetMetricStatistics, GetMetricData
//! and ListMetrics over training jobs' metrics (docs/services.md
//! "CloudWatch metrics"); the rules are `slipway-metrics`'.
//!
//! botocore speaks Smithy RPC v2 CBOR to it (`POST
//! /service/GraniteServiceVersion20100801/operation/<Op>`, header
//! `smithy-protocol: rpc-v2-cbor`); the model also lists AWS JSON 1.0
//! (`X-Amz-Target: GraniteServiceVersion20100801.<Op>`). Both become one
//! JSON value, checked against the botocore model and handed to the
//! generated dispatch. The service is "query compatible": an error names
//! its query-protocol code in `x-amzn-query-error` (`InvalidParameterValue;
//! Sender`), which botocore reports as the error code.

mod api;

use crate::cbor;
use crate::generated::cloudwatch::{dispatch, Operation};
use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use serde_json::Value;
use slipway_botocore::InputError;
use slipway_service::Service;
use slipway_sigv4::RequestParts;
use slipway_wire_core::auth::{verify_json, Caller, KeyCache};
use slipway_wire_core::context::Cx;
use slipway_wire_core::error::AwsError;
use slipway_wire_core::json::{Input, Reply};

/// The signing name.
pub const SIGNING_NAME: &str = "monitoring";
/// The AWS JSON 1.0 target prefix (the model's `targetPrefix`).
pub const TARGET_PREFIX: &str = "GraniteServiceVersion20100801.";
/// The Smithy RPC v2 path of every operation, before its name.
pub const RPC_PREFIX: &str = "/service/GraniteServiceVersion20100801/operation/";

/// CloudWatch's error codes: the modeled exception (sent as `__type`) and
/// its query-protocol code (sent in `x-amzn-query-error`, and what
/// botocore shows as the code).
pub(crate) mod code {
    pub const INVALID_VALUE: (&str, &str) =
        ("InvalidParameterValueException", "InvalidParameterValue");
    pub const MISSING: (&str, &str) = ("MissingRequiredParameterException", "MissingParameter");
    pub const COMBINATION: (&str, &str) = (
        "InvalidParameterCombinationException",
        "InvalidParameterCombination",
    );
    pub const NEXT_TOKEN: (&str, &str) = ("InvalidNextToken", "InvalidNextToken");
    /// Model constraints (lengths, ranges, enums), in the words of
    /// CloudWatch's "1 validation error detected: ..." answers.
    pub const VALIDATION: (&str, &str) = ("ValidationError", "ValidationError");
    pub const INTERNAL: (&str, &str) = ("InternalServiceFault", "InternalServiceError");
}

/// A CloudWatch error: an [`AwsError`] whose code is the modeled exception
/// and whose query code rides along.
pub(crate) fn error(
    (shape, _query): (&'static str, &'static str),
    message: impl Into<String>,
) -> AwsError {
    let status = if shape == code::INTERNAL.0 {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::BAD_REQUEST
    };
    AwsError::new(status, shape, message)
}

/// The query-protocol code of an exception name, when CloudWatch has one.
fn query_code(shape: &str) -> Option<&'static str> {
    [
        code::INVALID_VALUE,
        code::MISSING,
        code::COMBINATION,
        code::NEXT_TOKEN,
        code::VALIDATION,
        code::INTERNAL,
    ]
    .into_iter()
    .find(|(s, _)| *s == shape)
    .map(|(_, q)| q)
}

/// A refused input in CloudWatch's words: a missing member is
/// `MissingParameter` ("The parameter X is required."), any other broken
/// constraint a `ValidationError`.
fn input_error(e: InputError) -> AwsError {
    match e {
        InputError::Constraints(v) => {
            if let Some(missing) = v.iter().find(|v| v.constraint == "Member must not be null") {
                return error(
                    code::MISSING,
                    format!("The parameter {} is required.", parameter(&missing.path)),
                );
            }
            error(code::VALIDATION, slipway_botocore::aws_message(&v))
        }
        other => AwsError::from_input(other),
    }
}

/// `metricDataQueries.1.member.id` -> `MetricDataQueries.member.1.Id`, as
/// CloudWatch names nested parameters.
fn parameter(path: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut parts = path.split('.').peekable();
    while let Some(p) = parts.next() {
        if p.bytes().all(|b| b.is_ascii_digit()) && parts.peek() == Some(&"member") {
            parts.next();
            out.push(format!("member.{p}"));
            continue;
        }
        let mut c = p.chars();
        out.push(
            c.next()
                .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect()),
        );
    }
    out.join(".")
}

/// Checks `input` against the model, runs `op` and answers its output.
async fn run(
    svc: &Service,
    caller: &Caller,
    op: &str,
    input: Value,
) -> Result<(Operation, Value), AwsError> {
    let op = Operation::parse(op).ok_or_else(|| {
        AwsError::new(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            format!("Operation {op} is not part of the CloudWatch subset this Slipway server implements (GetMetricStatistics, GetMetricData, ListMetrics)."),
        )
    })?;
    slipway_botocore::cloudwatch()
        .check_input(op.name(), &input)
        .map_err(input_error)?;
    tracing::debug!(op = op.name(), account = %caller.account, "monitoring");
    let cx = Cx {
        svc,
        account: &caller.account,
    };
    let value = match dispatch(&api::CloudWatch, &cx, op, input).await? {
        Reply::Value(v) => v,
        Reply::Text(t) => serde_json::from_str(&t).map_err(|e| {
            tracing::error!(error = %e, "re-reading a CloudWatch answer");
            AwsError::internal()
        })?,
    };
    Ok((op, value))
}

/// Adds `x-amzn-query-error` to an error answer of this service.
fn with_query_code(mut resp: Response, shape: &str) -> Response {
    if let Some(q) = query_code(shape) {
        if let Ok(v) = HeaderValue::from_str(&format!("{q};Sender")) {
            resp.headers_mut().insert("x-amzn-query-error", v);
        }
    }
    resp
}

/// AWS JSON 1.0 (`X-Amz-Target`), already authenticated by the router.
pub async fn handle_json(
    svc: &Service,
    caller: &Caller,
    op: &str,
    body: &[u8],
) -> Result<Response, AwsError> {
    let answer = async {
        let input = Input::decode(body)?.as_value();
        run(svc, caller, op, input).await
    }
    .await;
    match answer {
        Ok((_, value)) => {
            let mut resp = (StatusCode::OK, value.to_string()).into_response();
            resp.headers_mut().insert(
                "content-type",
                HeaderValue::from_static("application/x-amz-json-1.0"),
            );
            Ok(resp)
        }
        Err(e) => {
            let shape = e.code;
            Ok(with_query_code(e.into_response(), shape))
        }
    }
}

/// Smithy RPC v2 CBOR, routed here by its path when signed for `monitoring`.
pub async fn handle_cbor(
    svc: &Service,
    keys: &KeyCache,
    max_body: usize,
    req: Request<Body>,
) -> Response {
    match serve_cbor(svc, keys, max_body, req).await {
        Ok(r) => r,
        Err(e) => cbor_error(e),
    }
}

/// An error in CBOR, with CloudWatch's query code beside it.
fn cbor_error(e: AwsError) -> Response {
    let resp = cbor::error_response(slipway_botocore::cloudwatch(), &e);
    with_query_code(resp, e.code)
}

async fn serve_cbor(
    svc: &Service,
    keys: &KeyCache,
    max_body: usize,
    req: Request<Body>,
) -> Result<Response, AwsError> {
    let (parts, body) = req.into_parts();
    let op = parts
        .uri
        .path()
        .strip_prefix(RPC_PREFIX)
        .unwrap_or_default()
        .to_owned();
    if parts.method != Method::POST {
        return Err(AwsError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "UnknownOperationException",
            "Smithy RPC v2 operations accept only POST.",
        ));
    }
    let body = http_body_util::Limited::new(body, max_body)
        .collect()
        .await
        .map_err(|_| {
            AwsError::serialization(format!(
                "Request body exceeds the limit of {max_body} bytes."
            ))
        })?
        .to_bytes();
    let sig = RequestParts {
        method: parts.method.as_str(),
        raw_path: parts.uri.path(),
        raw_query: parts.uri.query(),
        headers: &parts.headers,
    };
    let caller = verify_json(svc, keys, &sig, &body).await?;
    if caller.service != SIGNING_NAME {
        return Err(AwsError::new(
            StatusCode::FORBIDDEN,
            "InvalidSignatureException",
            format!("Credential should be scoped to correct service: '{SIGNING_NAME}'. "),
        ));
    }
    let input = cbor::decode(&body).map_err(AwsError::serialization)?;
    if !input.is_object() {
        return Err(AwsError::serialization(
            "The request body must be a CBOR map.",
        ));
    }
    let (op, value) = run(svc, &caller, &op, input).await?;
    let model = slipway_botocore::cloudwatch();
    let output = model.operation(op.name()).and_then(|o| o.output_shape());
    let bytes = cbor::encode(model, output, &value).map_err(|e| {
        tracing::error!(error = %e, "encoding a CloudWatch answer");
        AwsError::internal()
    })?;
    Ok(cbor::response(StatusCode::OK, bytes))
}

#[cfg(test)]
mod tests {
    #[test]
    fn nested_parameters_are_named_as_cloudwatch_names_them() {
        assert_eq!(super::parameter("metricName"), "MetricName");
        assert_eq!(
            super::parameter("metricDataQueries.1.member.id"),
            "MetricDataQueries.member.1.Id"
        );
    }
}
