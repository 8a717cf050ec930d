//! The AWS query protocol on the shared port: STS and IAM (form POSTs or
//! GETs of `Action=…&Version=…` to `/`, XML answers), and a parsable
//! refusal, in the service's own error shape, for every other query
//! service Slipway does not implement (SNS, EC2, ...).
//!
//! What counts as a query request (`is_query`) must never catch S3: S3
//! also receives POSTs (multipart, DeleteObjects, browser uploads with
//! form bodies), but always to a bucket path, never to `/`.

mod codec;
mod error;
mod iam;
mod sts;

use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use error::{QueryDialect, QueryError};
use http_body_util::BodyExt;
use serde_json::Value;
use slipway_botocore::ServiceModel;
use slipway_service::Service;
use slipway_sigv4::RequestParts;
use slipway_wire_core::auth::{verify_body, Caller, KeyCache};

pub(crate) const STS_NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
pub(crate) const IAM_NAMESPACE: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

/// Signing names of AWS services that speak the query protocol (or EC2's
/// variant of it), so a request signed for one is answered in its shape
/// even without an `Action` Slipway can see.
const QUERY_SERVICES: &[&str] = &[
    "sts",
    "iam",
    "sns",
    "ec2",
    "rds",
    "autoscaling",
    "cloudformation",
    "elasticloadbalancing",
    "monitoring",
    "ses",
    "elasticache",
    "redshift",
    "elasticbeanstalk",
    "sdb",
];

/// Whether a request is for a query-protocol service: `POST /` with a form
/// body, or `/` with `Action` in the query string, or `/` signed for a
/// query service.
pub(crate) fn is_query(req: &Request<Body>, scope: Option<&str>) -> bool {
    if req.uri().path() != "/" {
        return false;
    }
    let form_post = req.method() == http::Method::POST && is_form(req.headers());
    let action_in_query = req
        .uri()
        .query()
        .is_some_and(|q| form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == "Action"));
    form_post || action_in_query || scope.is_some_and(|s| QUERY_SERVICES.contains(&s))
}

fn is_form(headers: &http::HeaderMap) -> bool {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// The service a query request is for: the credential scope's signing
/// name when signed, else what its `Version` names.
fn service_of<'a>(scope: Option<&'a str>, version: Option<&str>) -> Option<&'a str> {
    if scope.is_some() {
        return scope;
    }
    match version {
        Some("2011-06-15") => Some("sts"),
        Some("2010-05-08") => Some("iam"),
        Some("2016-11-15") => Some("ec2"),
        _ => None,
    }
}

/// Reads, authenticates and answers one query request.
pub(crate) async fn handle(
    svc: &Service,
    keys: &KeyCache,
    max_body: usize,
    scope: Option<&str>,
    request_id: &str,
    req: Request<Body>,
) -> Response {
    let (parts, body) = req.into_parts();
    let dialect_of = |service: Option<&str>| match service {
        Some("sts") => QueryDialect::Query(Some(STS_NAMESPACE)),
        Some("iam") => QueryDialect::Query(Some(IAM_NAMESPACE)),
        Some("ec2") => QueryDialect::Ec2,
        _ => QueryDialect::Query(None),
    };
    let body = match http_body_util::Limited::new(body, max_body).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return QueryError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                format!("Request body exceeds the limit of {max_body} bytes."),
            )
            .render(dialect_of(scope), request_id)
        }
    };
    let form_body: &[u8] = if is_form(&parts.headers) { &body } else { b"" };
    let params = codec::params(parts.uri.query(), form_body);
    let service = service_of(scope, params.get("Version").map(String::as_str));
    let dialect = dialect_of(service);
    let Some(action) = params.get("Action").cloned() else {
        return QueryError::new(StatusCode::BAD_REQUEST, "MissingAction", "Missing Action")
            .render(dialect, request_id);
    };
    let (model, namespace, handler): (&ServiceModel, &str, Handler) = match service {
        Some("sts") => (slipway_botocore::sts(), STS_NAMESPACE, Handler::Sts),
        Some("iam") => (slipway_botocore::iam(), IAM_NAMESPACE, Handler::Iam),
        other => {
            let name = other.unwrap_or("unknown");
            return QueryError::new(
                StatusCode::BAD_REQUEST,
                "InvalidAction",
                format!("Slipway does not implement service '{name}' (action {action})."),
            )
            .render(dialect, request_id);
        }
    };
    let sig_parts = RequestParts {
        method: parts.method.as_str(),
        raw_path: parts.uri.path(),
        raw_query: parts.uri.query(),
        headers: &parts.headers,
    };
    let caller = match verify_body(svc, keys, &sig_parts, &body, QueryError::from_auth, |e| {
        QueryError::new(e.status, "InternalFailure", e.message)
    })
    .await
    {
        Ok(c) => c,
        Err(e) => return e.render(dialect, request_id),
    };
    let answered = answer(svc, &caller, model, handler, &action, &params).await;
    match answered {
        Ok(result) => {
            let xml = codec::response(model, &action, namespace, &result, request_id);
            let mut resp = (StatusCode::OK, xml).into_response();
            resp.headers_mut()
                .insert("content-type", HeaderValue::from_static("text/xml"));
            resp
        }
        Err(e) => e.render(dialect, request_id),
    }
}

#[derive(Clone, Copy)]
enum Handler {
    Sts,
    Iam,
}

async fn answer(
    svc: &Service,
    caller: &Caller,
    model: &ServiceModel,
    handler: Handler,
    action: &str,
    params: &std::collections::HashMap<String, String>,
) -> Result<Value, QueryError> {
    let (wanted, ops): (&str, &[&str]) = match handler {
        Handler::Sts => ("sts", sts::OPERATIONS),
        Handler::Iam => ("iam", iam::OPERATIONS),
    };
    if caller.service != wanted {
        return Err(QueryError::new(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            format!("Credential should be scoped to correct service: '{wanted}'. "),
        ));
    }
    if !ops.contains(&action) {
        return Err(QueryError::new(
            StatusCode::BAD_REQUEST,
            "InvalidAction",
            format!(
                "Could not find operation {action} for version {}",
                model_version(model)
            ),
        ));
    }
    let input = codec::input(model, action, params).map_err(QueryError::from_input)?;
    tracing::debug!(action, account = %caller.account, service = wanted, "query");
    match handler {
        Handler::Sts => sts::handle(svc, caller, action, &input).await,
        Handler::Iam => iam::handle(svc, caller, action, &input).await,
    }
}

fn model_version(model: &ServiceModel) -> String {
    model
        .metadata()
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned()
}

/// A string member of a checked input (the model has seen to its type).
pub(crate) fn text<'a>(input: &'a Value, name: &str) -> Option<&'a str> {
    input.get(name).and_then(Value::as_str)
}

/// Timestamps in query answers: ISO 8601 in UTC, as STS and IAM write them.
pub(crate) fn iso8601(micros: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(micros / 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    t.format(&f).unwrap_or_default()
}
