//! The AWS Marketplace Catalog API (rest-json, signed for
//! `aws-marketplace`; docs/marketplace.md): routed here by the credential
//! scope. Each operation has its own method and path (`POST
//! /StartChangeSet`, `GET /DescribeEntity?catalog=…&entityId=…`); the
//! edge gathers the query-string and body members into one JSON object
//! in the model's member names, checks it against the botocore model and
//! hands it to the generated dispatch. Errors carry the Catalog's own
//! HTTP statuses (ValidationException is 422 here, not 400).

pub(crate) mod api;

use crate::generated::marketplace_catalog::{dispatch, Operation};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use serde_json::{Map, Value};
use slipway_marketplace::Marketplace;
use slipway_sigv4::RequestParts;
use slipway_wire_core::auth::{verify_json, KeyCache};
use slipway_wire_core::context::Cx;
use slipway_wire_core::error::AwsError;
use slipway_wire_core::json::ok;

/// The service's signing name (the credential scope routes on it).
pub const SIGNING_NAME: &str = "aws-marketplace";

/// Method and path of each operation (the model's `http`).
const ROUTES: [(Method, &str, Operation); 10] = [
    (Method::POST, "/StartChangeSet", Operation::StartChangeSet),
    (
        Method::GET,
        "/DescribeChangeSet",
        Operation::DescribeChangeSet,
    ),
    (Method::POST, "/ListChangeSets", Operation::ListChangeSets),
    (
        Method::PATCH,
        "/CancelChangeSet",
        Operation::CancelChangeSet,
    ),
    (Method::GET, "/DescribeEntity", Operation::DescribeEntity),
    (Method::POST, "/ListEntities", Operation::ListEntities),
    (
        Method::POST,
        "/BatchDescribeEntities",
        Operation::BatchDescribeEntities,
    ),
    (Method::POST, "/TagResource", Operation::TagResource),
    (Method::POST, "/UntagResource", Operation::UntagResource),
    (
        Method::POST,
        "/ListTagsForResource",
        Operation::ListTagsForResource,
    ),
];

/// Query-string members (`locationName` → member name in the model).
const QUERY_MEMBERS: [(&str, &str); 3] = [
    ("catalog", "Catalog"),
    ("changeSetId", "ChangeSetId"),
    ("entityId", "EntityId"),
];

/// Reads a Marketplace request's body within `max_body` and checks its
/// signature, which must be for `aws-marketplace` (the Catalog and the
/// Agreement API share it).
pub(crate) async fn signed_body(
    m: &Marketplace,
    keys: &KeyCache,
    max_body: usize,
    parts: &axum::http::request::Parts,
    body: Body,
) -> Result<(bytes::Bytes, slipway_wire_core::auth::Caller), AwsError> {
    let body = http_body_util::Limited::new(body, max_body)
        .collect()
        .await
        .map_err(|_| {
            AwsError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "ValidationException",
                format!("Request body exceeds the limit of {max_body} bytes."),
            )
        })?
        .to_bytes();
    let sig = RequestParts {
        method: parts.method.as_str(),
        raw_path: parts.uri.path(),
        raw_query: parts.uri.query(),
        headers: &parts.headers,
    };
    let caller = verify_json(m.service(), keys, &sig, &body).await?;
    if caller.service != SIGNING_NAME {
        return Err(AwsError::new(
            StatusCode::FORBIDDEN,
            "InvalidSignatureException",
            format!("Credential should be scoped to correct service: '{SIGNING_NAME}'. "),
        ));
    }
    Ok((body, caller))
}

/// The Catalog's ValidationException status.
pub const UNPROCESSABLE: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;

pub async fn handle(
    m: &Marketplace,
    keys: &KeyCache,
    max_body: usize,
    req: Request<Body>,
) -> Response {
    match serve(m, keys, max_body, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

fn validation(message: impl Into<String>) -> AwsError {
    AwsError::new(UNPROCESSABLE, "ValidationException", message)
}

async fn serve(
    m: &Marketplace,
    keys: &KeyCache,
    max_body: usize,
    req: Request<Body>,
) -> Result<Response, AwsError> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path();
    let Some((_, _, op)) = ROUTES
        .iter()
        .find(|(meth, p, _)| *p == path && *meth == parts.method)
    else {
        let known = ROUTES.iter().any(|(_, p, _)| *p == path);
        return Err(AwsError::new(
            if known {
                StatusCode::METHOD_NOT_ALLOWED
            } else {
                StatusCode::NOT_FOUND
            },
            "UnknownOperationException",
            format!(
                "The Marketplace Catalog API has no operation at {} {path} on this server.",
                parts.method
            ),
        ));
    };
    let (body, caller) = signed_body(m, keys, max_body, &parts, body).await?;
    let mut input = if body.is_empty() {
        Map::new()
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(o)) => o,
            Ok(_) => return Err(validation("The request body must be a JSON object.")),
            Err(e) => return Err(validation(format!("The request body is not JSON: {e}"))),
        }
    };
    for (k, v) in form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes()) {
        if let Some((_, member)) = QUERY_MEMBERS.iter().find(|(q, _)| *q == k) {
            input.insert((*member).to_owned(), Value::String(v.into_owned()));
        }
    }
    let input = Value::Object(input);
    slipway_botocore::catalog()
        .check_input(op.name(), &input)
        .map_err(|e| {
            let e = AwsError::from_input(e);
            AwsError::new(UNPROCESSABLE, "ValidationException", e.message)
        })?;
    tracing::debug!(op = op.name(), account = %caller.account, "marketplace-catalog");
    let cx = Cx {
        svc: m.service(),
        account: &caller.account,
    };
    let reply = dispatch(&api::Catalog { m }, &cx, *op, input).await?;
    let mut resp = ok(reply);
    resp.headers_mut().insert(
        "content-type",
        axum::http::HeaderValue::from_static("application/json"),
    );
    Ok(resp)
}
