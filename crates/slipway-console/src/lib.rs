//! The web console, served on the API port to browsers (docs/console.md).
//!
//! Which requests are the console's: unsigned `GET`/`HEAD` of `/` or of a
//! path under `/console/`. Every API request is signed (a header or a
//! presigned query), and an unsigned S3 request would only be refused, so
//! the console hides nothing an API client can reach.
//!
//! The page is a single-page application: any path under `/console/` that
//! is not an asset answers the index, whose script routes in the browser
//! (so every page has a deep link). Assets carry content hashes in their
//! names and are cached for good; the index is never cached. Compressed
//! copies are made once, on first use.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, Request, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use rust_embed::Embed;
use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::sync::OnceLock;

#[derive(Embed)]
#[folder = "../../console/dist"]
#[allow_missing = true]
struct Assets;

/// Where the console's pages and assets live.
pub const BASE: &str = "/console";
const ASSETS: &str = "/console/assets/";
const REGION_PLACEHOLDER: &str = "%SLIPWAY_REGION%";

/// Sent with every console response. `style-src 'unsafe-inline'`: the
/// JSON editor (CodeMirror) injects its styles at run time.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The region the console's signatures must name (the server's).
#[derive(Debug, Clone)]
pub struct Region(pub Arc<str>);

/// An axum middleware (`from_fn_with_state`) in front of the API router:
/// answers the console's requests, passes every other one on.
pub async fn middleware(State(region): State<Region>, req: Request<Body>, next: Next) -> Response {
    if wants(&req) {
        return serve(&req, &region.0);
    }
    next.run(req).await
}

/// Whether `req` is a browser's request for the console.
pub fn wants<B>(req: &Request<B>) -> bool {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return false;
    }
    let path = req.uri().path();
    if path != "/" && path != BASE && !path.starts_with("/console/") {
        return false;
    }
    if req.headers().contains_key(header::AUTHORIZATION)
        || req.headers().contains_key("x-amz-target")
    {
        return false;
    }
    // A presigned request (SigV4 or SigV2) is an API call.
    let signed_query = req.uri().query().is_some_and(|q| {
        q.split('&').any(|kv| {
            let key = kv.split('=').next().unwrap_or_default();
            matches!(
                key,
                "X-Amz-Signature" | "X-Amz-Credential" | "Signature" | "AWSAccessKeyId"
            )
        })
    });
    !signed_query
}

/// The console's answer to a request [`wants`] accepted. `region` is the
/// one the page's signatures must name.
pub fn serve<B>(req: &Request<B>, region: &str) -> Response {
    let path = req.uri().path();
    let gzip = accepts_gzip(req.headers());
    let head = req.method() == Method::HEAD;
    if let Some(name) = path.strip_prefix(ASSETS) {
        return match asset(&format!("assets/{name}")) {
            Some(a) => respond(a, gzip, head, "public, max-age=31536000, immutable"),
            None => plain(StatusCode::NOT_FOUND, "No such console asset.\n"),
        };
    }
    match index(region) {
        Some(a) => respond(a, gzip, head, "no-cache"),
        None => plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "This Slipway binary was built without the web console's assets. \
             Run scripts/build-console.sh (needs Node.js 20 and npm), then rebuild: \
             cargo build --release -p slipway.\n",
        ),
    }
}

/// One asset, as it is sent.
struct Asset {
    body: Vec<u8>,
    gzipped: Option<Vec<u8>>,
    content_type: String,
}

fn asset(name: &str) -> Option<&'static Asset> {
    static CACHE: OnceLock<HashMap<String, Asset>> = OnceLock::new();
    CACHE
        .get_or_init(|| {
            Assets::iter()
                .filter(|n| n.as_ref() != "index.html")
                .filter_map(|n| {
                    let file = Assets::get(&n)?;
                    let content_type = file.metadata.mimetype().to_owned();
                    Some((
                        n.into_owned(),
                        prepare(file.data.into_owned(), content_type),
                    ))
                })
                .collect()
        })
        .get(name)
}

fn index(region: &str) -> Option<&'static Asset> {
    static INDEX: OnceLock<Option<Asset>> = OnceLock::new();
    INDEX
        .get_or_init(|| {
            let file = Assets::get("index.html")?;
            let html = String::from_utf8_lossy(&file.data).replace(REGION_PLACEHOLDER, region);
            Some(prepare(
                html.into_bytes(),
                "text/html; charset=utf-8".to_owned(),
            ))
        })
        .as_ref()
}

/// Compresses text assets once; binary formats are already compressed.
fn prepare(body: Vec<u8>, content_type: String) -> Asset {
    let compressible = content_type.starts_with("text/")
        || content_type.contains("javascript")
        || content_type.contains("json")
        || content_type.contains("svg");
    let gzipped = compressible.then(|| gzip(&body)).flatten();
    Asset {
        body,
        gzipped,
        content_type,
    }
}

fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(body).ok()?;
    enc.finish().ok()
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or_default().trim();
            let refused = parts.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
            name.eq_ignore_ascii_case("gzip") && !refused
        })
}

fn respond(a: &Asset, gzip: bool, head: bool, cache: &'static str) -> Response {
    let (body, encoded) = match (&a.gzipped, gzip) {
        (Some(z), true) => (z.as_slice(), true),
        _ => (a.body.as_slice(), false),
    };
    let mut r = Response::new(if head {
        Body::empty()
    } else {
        Body::from(body.to_vec())
    });
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&a.content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    if encoded {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    security_headers(h);
    r
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    let mut r = Response::new(Body::from(text));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    security_headers(h);
    r
}

fn security_headers(h: &mut HeaderMap) {
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

#[cfg(test)]
mod tests;
