//! The AWS Marketplace Agreement API, read side (docs/marketplace.md
//! "Agreements"): who subscribes to what, for the buyer (acceptor) and the
//! seller (proposer). Signed for `aws-marketplace` like the Catalog API.
//!
//! botocore speaks Smithy RPC v2 CBOR to it (`POST
//! /service/AWSMPCommerceService_v20200301/operation/<Op>`, header
//! `smithy-protocol: rpc-v2-cbor`, CBOR bodies, errors as CBOR maps with
//! `__type`); the model also lists AWS JSON 1.0 (`X-Amz-Target:
//! AWSMPCommerceService_v20200301.<Op>`), which other SDKs may use. Both
//! become one JSON value, checked against the botocore model and handed to
//! the generated dispatch; only the framing differs.

mod api;
mod search;
mod terms;

use crate::cbor;
use crate::generated::marketplace_agreement::{dispatch, Operation};
use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use slipway_core::AccountId;
use slipway_marketplace::Marketplace;
use slipway_wire_core::auth::{Caller, KeyCache};
use slipway_wire_core::context::Cx;
use slipway_wire_core::error::AwsError;
use slipway_wire_core::json::{Input, Reply};

/// The signing name (shared with the Catalog API).
pub const SIGNING_NAME: &str = crate::catalog::SIGNING_NAME;
/// The AWS JSON 1.0 target prefix (the model's `targetPrefix`).
pub const TARGET_PREFIX: &str = "AWSMPCommerceService_v20200301.";
/// The Smithy RPC v2 path of every operation, before its name.
pub const RPC_PREFIX: &str = "/service/AWSMPCommerceService_v20200301/operation/";

/// The API's ValidationException (400).
pub(crate) fn validation(message: impl Into<String>) -> AwsError {
    AwsError::validation(message)
}

/// Checks `input` against the model, runs `op` and answers its output as JSON.
async fn run(
    m: &Marketplace,
    account: &AccountId,
    op: &str,
    input: Value,
) -> Result<(Operation, Value), AwsError> {
    let op = Operation::parse(op).ok_or_else(|| {
        AwsError::new(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            format!("Slipway implements only SearchAgreements, DescribeAgreement and GetAgreementTerms of the Marketplace Agreement API, not '{op}'."),
        )
    })?;
    slipway_botocore::agreement()
        .check_input(op.name(), &input)
        .map_err(AwsError::from_input)?;
    tracing::debug!(op = op.name(), account = %account, "marketplace-agreement");
    let cx = Cx {
        svc: m.service(),
        account,
    };
    let reply = dispatch(&api::Agreements { m }, &cx, op, input).await?;
    let value = match reply {
        Reply::Value(v) => v,
        Reply::Text(t) => serde_json::from_str(&t).map_err(|e| {
            tracing::error!(error = %e, "re-reading an agreement answer");
            AwsError::internal()
        })?,
    };
    Ok((op, value))
}

/// AWS JSON 1.0 (`X-Amz-Target`), already authenticated by the router.
pub async fn handle_json(
    m: &Marketplace,
    caller: &Caller,
    op: &str,
    body: &[u8],
) -> Result<Response, AwsError> {
    let input = Input::decode(body)?.as_value();
    let (_, value) = run(m, &caller.account, op, input).await?;
    let mut resp = (StatusCode::OK, value.to_string()).into_response();
    resp.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.0"),
    );
    Ok(resp)
}

/// Smithy RPC v2 CBOR, routed here by its path when signed for
/// `aws-marketplace`.
pub async fn handle_cbor(
    m: &Marketplace,
    keys: &KeyCache,
    max_body: usize,
    req: Request<Body>,
) -> Response {
    match serve_cbor(m, keys, max_body, req).await {
        Ok(r) => r,
        Err(e) => cbor_error(e),
    }
}

fn cbor_error(e: AwsError) -> Response {
    cbor::error_response(slipway_botocore::agreement(), &e)
}

async fn serve_cbor(
    m: &Marketplace,
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
    let (body, caller) = crate::catalog::signed_body(m, keys, max_body, &parts, body).await?;
    let input = cbor::decode(&body).map_err(AwsError::serialization)?;
    if !input.is_object() {
        return Err(AwsError::serialization(
            "The request body must be a CBOR map.",
        ));
    }
    let (op, value) = run(m, &caller.account, &op, input).await?;
    let model = slipway_botocore::agreement();
    let output = model.operation(op.name()).and_then(|o| o.output_shape());
    let bytes = cbor::encode(model, output, &value).map_err(|e| {
        tracing::error!(error = %e, "encoding an agreement answer");
        AwsError::internal()
    })?;
    Ok(cbor::response(StatusCode::OK, bytes))
}
