//! Request classification: one fallback handler looks at what a request
//! is and hands it to its protocol (docs/architecture.md "One process, one port").

use crate::expect_continue::ExpectContinue;
use crate::{logs, sagemaker};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use http_body_util::BodyExt;
use slipway_hosting::Hosting;
use slipway_service::Service;
use slipway_sigv4::RequestParts;
use slipway_wire_core::auth::{verify_json, KeyCache};
use slipway_wire_core::error::AwsError;
use slipway_wire_s3::S3Front;
use std::sync::Arc;
use tracing::Instrument;

/// Limits and switches of the HTTP edge.
#[derive(Debug, Clone)]
pub struct WireConfig {
    /// Largest JSON request body accepted (bytes). Default 8 MiB: more than
    /// any SageMaker request needs (a CreateAlgorithm with 100 fully
    /// described hyperparameters is ~300 KiB).
    pub max_json_body: usize,
}

impl Default for WireConfig {
    fn default() -> Self {
        Self {
            max_json_body: 8 * 1024 * 1024,
        }
    }
}

struct AppState {
    service: Service,
    /// Endpoints: their SageMaker operations and the runtime.
    hosting: Hosting,
    /// The readiness reports of validations.
    readiness: slipway_readiness::Readiness,
    /// The Marketplace Catalog API.
    marketplace: slipway_marketplace::Marketplace,
    keys: Arc<KeyCache>,
    config: WireConfig,
    /// S3 (path-style): everything that is not another protocol.
    s3: S3Front,
}

/// The whole HTTP surface.
pub fn router(
    service: Service,
    hosting: Hosting,
    readiness: slipway_readiness::Readiness,
    marketplace: slipway_marketplace::Marketplace,
    config: WireConfig,
) -> Router {
    let keys = Arc::new(KeyCache::default());
    let state = Arc::new(AppState {
        s3: S3Front::new(service.clone(), keys.clone()),
        service,
        hosting,
        readiness,
        marketplace,
        keys,
        config,
    });
    Router::new().fallback(dispatch).with_state(state)
}

const SAGEMAKER_PREFIX: &str = "SageMaker.";
const LOGS_PREFIX: &str = "Logs_20140328.";

async fn dispatch(State(state): State<Arc<AppState>>, req: Request<Body>) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let span = tracing::info_span!("request", id = %request_id, method = %req.method(), path = %req.uri().path());
    let (mut req, expect) = ExpectContinue::watch(req);
    req.extensions_mut().insert(RequestId(request_id.clone()));
    // Each request runs to completion in its own task: when a client
    // disconnects, hyper drops this future, and dropping a handler in the
    // middle of a metadata transaction could leave the (single) SQLite
    // writer connection stuck, hanging every later write. A detached task
    // finishes (or fails on the closed body) and releases what it holds.
    let handled = tokio::spawn(route(state, req).instrument(span)).await;
    let mut resp = match handled {
        Ok(resp) => resp,
        Err(e) => {
            tracing::error!(error = %e, "request handler panicked");
            AwsError::internal().into_response()
        }
    };
    // S3 names its request id `x-amz-request-id` (set by `slipway-wire-s3`), and
    // botocore reads `HostId` (`x-amz-id-2`) only when `x-amzn-requestid`
    // is absent, as it is on S3.
    if !resp.headers().contains_key("x-amz-request-id") {
        if let Ok(v) = HeaderValue::from_str(&request_id) {
            resp.headers_mut().insert("x-amzn-requestid", v);
        }
    }
    expect.settle(&mut resp);
    resp
}

/// The id of the request being answered, for protocols that put it in
/// the body (`<RequestId>` of the query protocol).
#[derive(Debug, Clone)]
struct RequestId(String);

async fn route(state: Arc<AppState>, req: Request<Body>) -> Response {
    let path = req.uri().path();
    if path == "/_slipway/health" {
        return (StatusCode::OK, "ok\n").into_response();
    }
    if let Some(target) = req.headers().get("x-amz-target") {
        let target = target.to_str().unwrap_or_default().to_owned();
        return json_service(&state, &target, req)
            .await
            .unwrap_or_else(IntoResponse::into_response);
    }
    // The OCI distribution API: no bucket can be named `v2` (bucket names
    // have at least three characters), so this never hides an S3 path.
    if path == "/v2" || path.starts_with("/v2/") {
        return slipway_wire_registry::handle(&state.service, req).await;
    }
    // Slipway's own paths never fall through to S3 (a bucket cannot be
    // named `_slipway` anyway).
    if path.starts_with("/_slipway/") {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    }
    let scope = scope_service(&req);
    // The SageMaker runtime (rest-json): by path, when signed for
    // `sagemaker`; an S3 bucket named `endpoints` is still S3's.
    if path.starts_with(crate::runtime::PREFIX) && scope.as_deref() == Some("sagemaker") {
        return crate::runtime::handle(&state.hosting, &state.keys, req).await;
    }
    // The Marketplace Agreement API (Smithy RPC v2 CBOR): signed for
    // `aws-marketplace` like the Catalog, told apart by its path.
    if scope.as_deref() == Some(crate::agreement::SIGNING_NAME)
        && path.starts_with(crate::agreement::RPC_PREFIX)
    {
        let max = state.config.max_json_body;
        return crate::agreement::handle_cbor(&state.marketplace, &state.keys, max, req).await;
    }
    // CloudWatch metrics (Smithy RPC v2 CBOR): signed for `monitoring`, a
    // query service too (its query protocol is not served), told apart by
    // its path.
    if scope.as_deref() == Some(crate::monitoring::SIGNING_NAME)
        && path.starts_with(crate::monitoring::RPC_PREFIX)
    {
        let max = state.config.max_json_body;
        return crate::monitoring::handle_cbor(&state.service, &state.keys, max, req).await;
    }
    // The Marketplace Catalog API (rest-json): by its signing name.
    if scope.as_deref() == Some(crate::catalog::SIGNING_NAME) {
        let max = state.config.max_json_body;
        return crate::catalog::handle(&state.marketplace, &state.keys, max, req).await;
    }
    if crate::query::is_query(&req, scope.as_deref()) {
        let id = req
            .extensions()
            .get::<RequestId>()
            .map(|r| r.0.clone())
            .unwrap_or_default();
        let max = state.config.max_json_body;
        return crate::query::handle(&state.service, &state.keys, max, scope.as_deref(), &id, req)
            .await;
    }
    // Signed for a service that is neither S3 nor one of the query or
    // JSON services above (e.g. a REST-JSON API such as Lambda): refuse in
    // the JSON error shape botocore's REST parsers read, rather than let
    // S3 answer with an error its client cannot parse.
    if let Some(service) = scope.filter(|s| s != "s3") {
        return AwsError::new(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            format!("Slipway does not implement service '{service}'."),
        )
        .into_response();
    }
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    state.s3.handle(req, &request_id).await
}

/// The signing name in a SigV4 credential scope (`Credential=AKID/DATE/
/// REGION/SERVICE/aws4_request`), from the header or a presigned query,
/// unverified: it only decides which protocol answers.
fn scope_service(req: &Request<Body>) -> Option<String> {
    let from_credential = |c: &str| c.split('/').nth(3).map(str::to_owned);
    if let Some(auth) = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
    {
        let rest = auth.strip_prefix("AWS4-HMAC-SHA256")?;
        return rest
            .split(',')
            .find_map(|p| p.trim().strip_prefix("Credential="))
            .and_then(from_credential);
    }
    let query = req.uri().query()?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "X-Amz-Credential")
        .and_then(|(_, v)| from_credential(&v))
}

/// A signature is only good for the service its credential scope names.
fn require_scope(signed_for: &str, service: &str) -> Result<(), AwsError> {
    if signed_for == service {
        return Ok(());
    }
    Err(AwsError::new(
        StatusCode::FORBIDDEN,
        "InvalidSignatureException",
        format!("Credential should be scoped to correct service: '{service}'. "),
    ))
}

/// AWS JSON 1.1 services: read the body within the limit, authenticate,
/// then hand the operation to its protocol module.
async fn json_service(
    state: &AppState,
    target: &str,
    req: Request<Body>,
) -> Result<Response, AwsError> {
    let (parts, body) = req.into_parts();
    if parts.method != http::Method::POST {
        return Err(AwsError::new(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            "AWS JSON services accept only POST /",
        ));
    }
    let limit = state.config.max_json_body;
    let too_large = |n: Option<usize>| {
        AwsError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "SerializationException",
            match n {
                Some(n) => format!("Request body of {n} bytes exceeds the limit of {limit} bytes."),
                None => format!("Request body exceeds the limit of {limit} bytes."),
            },
        )
    };
    let declared = parts
        .headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(declared));
    }
    let body = http_body_util::Limited::new(body, limit)
        .collect()
        .await
        .map_err(|_| too_large(None))?
        .to_bytes();
    let content_type = parts
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = content_type.split(';').next().unwrap_or("").trim();
    if !matches!(
        media,
        "application/x-amz-json-1.1" | "application/x-amz-json-1.0"
    ) {
        return Err(AwsError::serialization(format!(
            "Unsupported Content-Type '{content_type}': AWS JSON 1.1 requests must be sent as application/x-amz-json-1.1."
        )));
    }
    let raw_path = parts.uri.path();
    let sig_parts = RequestParts {
        method: parts.method.as_str(),
        raw_path,
        raw_query: parts.uri.query(),
        headers: &parts.headers,
    };
    let caller = verify_json(&state.service, &state.keys, &sig_parts, &body).await?;
    if let Some(op) = target.strip_prefix(SAGEMAKER_PREFIX) {
        require_scope(&caller.service, "sagemaker")?;
        tracing::debug!(op, account = %caller.account, key = %caller.access_key_id, region = %caller.region, service = %caller.service, "sagemaker");
        return sagemaker::handle(&state.service, &state.hosting, &caller, op, &body).await;
    }
    if let Some(op) = target.strip_prefix(LOGS_PREFIX) {
        require_scope(&caller.service, "logs")?;
        tracing::debug!(op, account = %caller.account, "logs");
        return logs::handle(&state.service, &caller, op, &body).await;
    }
    if let Some(op) = target.strip_prefix(crate::readiness::TARGET_PREFIX) {
        require_scope(&caller.service, "sagemaker")?;
        tracing::debug!(op, account = %caller.account, "readiness");
        return crate::readiness::handle(&state.readiness, &caller, op, &body).await;
    }
    if let Some(op) = target.strip_prefix(crate::subscriptions::TARGET_PREFIX) {
        require_scope(&caller.service, crate::catalog::SIGNING_NAME)?;
        tracing::debug!(op, account = %caller.account, "slipway marketplace");
        if let Some(answer) = crate::usage::handle(&state.marketplace, &caller, op, &body).await {
            return answer;
        }
        return crate::subscriptions::handle(&state.marketplace, &caller, op, &body).await;
    }
    if let Some(op) = target.strip_prefix(slipway_wire_registry::ecr::TARGET_PREFIX) {
        require_scope(&caller.service, "ecr")?;
        tracing::debug!(op, account = %caller.account, "ecr");
        return slipway_wire_registry::ecr::handle(&state.service, &caller, op, &body).await;
    }
    if let Some(op) = target.strip_prefix(crate::monitoring::TARGET_PREFIX) {
        require_scope(&caller.service, crate::monitoring::SIGNING_NAME)?;
        return crate::monitoring::handle_json(&state.service, &caller, op, &body).await;
    }
    if let Some(op) = target.strip_prefix(crate::agreement::TARGET_PREFIX) {
        require_scope(&caller.service, crate::agreement::SIGNING_NAME)?;
        return crate::agreement::handle_json(&state.marketplace, &caller, op, &body).await;
    }
    let service = target.split('.').next().unwrap_or(target);
    Err(AwsError::new(
        StatusCode::BAD_REQUEST,
        "UnknownOperationException",
        format!("Slipway does not implement service '{service}' (operation {target})."),
    ))
}
