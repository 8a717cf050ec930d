//! `serve`: the inference container contract (`docs/contracts.md` §4–5).
//!
//! `GET /ping`, `POST /invocations` and `GET /execution-parameters` on
//! port 8080 (or `SAGEMAKER_BIND_TO_PORT`). `SAMPLE_MODE` turns the server
//! into one of the hostile containers a platform must survive.

use crate::model::{LinearModel, MODEL_FILE};
use crate::paths::MlRoot;
use crate::payload::{self, Format, Record};
use crate::{log, say};
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

mod settings;
pub use settings::{
    over_body_cap, ServeMode, Settings, BODY_CAP_BYTES, DEFAULT_INVOKE_DELAY, DEFAULT_PING_DELAY,
    HUGE_BODY_BYTES, NGINX_413_PAGE, NGINX_SERVER,
};

/// The model being served.
#[derive(Debug, Clone, PartialEq)]
pub enum ServingModel {
    /// A trained (or baked-in) `model.json`.
    Linear(LinearModel),
    /// No model.json anywhere: prediction = sum of the features, any width.
    /// Lets an image with an empty `/opt/ml/model` still answer, visibly so.
    Sum,
}

impl ServingModel {
    /// `model.json` at the top of the model directory, or [`ServingModel::Sum`]
    /// when there is none. A present but broken file is an error.
    pub fn load(root: &MlRoot) -> Result<Self, String> {
        let path = root.model_dir().join(MODEL_FILE);
        if path.exists() {
            let m = LinearModel::load(&path)?;
            say!(
                "loaded {} ({} features, weights {:?}, bias {})",
                path.display(),
                m.feature_count,
                m.weights,
                m.bias
            );
            Ok(Self::Linear(m))
        } else {
            say!(
                "no {} found: serving the built-in fallback model (prediction = sum of features)",
                path.display()
            );
            Ok(Self::Sum)
        }
    }

    fn predict(&self, format: Format, records: &[Record]) -> Result<Vec<f64>, String> {
        records
            .iter()
            .map(|r| match self {
                Self::Sum => Ok(r.features.iter().sum()),
                Self::Linear(m) if r.features.len() == m.feature_count => {
                    Ok(m.predict(&r.features))
                }
                Self::Linear(m) => Err(format!(
                    "{} {}: expected {} features, got {}",
                    format.unit(),
                    r.position,
                    m.feature_count,
                    r.features.len()
                )),
            })
            .collect()
    }
}

/// Shared state of the HTTP handlers.
#[derive(Debug)]
pub struct App {
    model: ServingModel,
    settings: Settings,
    started: Instant,
    invoked: AtomicBool,
}

impl App {
    /// State for [`router`]; the slow-start clock starts now.
    pub fn new(model: ServingModel, settings: Settings) -> Arc<Self> {
        Arc::new(Self {
            model,
            settings,
            started: Instant::now(),
            invoked: AtomicBool::new(false),
        })
    }

    fn ready(&self) -> bool {
        match self.settings.mode {
            ServeMode::NeverReady => false,
            ServeMode::SlowStart => self.started.elapsed() >= self.settings.start_delay,
            _ => true,
        }
    }
}

/// The three routes of the contract; anything else is 404.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/ping", get(ping))
        .route("/invocations", post(invocations))
        .route("/execution-parameters", get(execution_parameters))
        // The payload limit is ours (SAGEMAKER_MAX_PAYLOAD_IN_MB), not axum's 2 MB default.
        .layer(DefaultBodyLimit::disable())
        .with_state(app)
}

async fn ping(State(app): State<Arc<App>>) -> StatusCode {
    if app.settings.mode == ServeMode::SlowPing {
        tokio::time::sleep(app.settings.ping_delay).await;
    }
    if app.ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    }
}

async fn execution_parameters() -> Response {
    let body =
        r#"{"MaxConcurrentTransforms": 4, "BatchStrategy": "MULTI_RECORD", "MaxPayloadInMB": 6}"#;
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn text(status: StatusCode, msg: String) -> Response {
    if status != StatusCode::OK {
        log::error(&format!("invocations: {} {msg}", status.as_u16()));
    }
    (status, [(header::CONTENT_TYPE, "text/plain")], msg + "\n").into_response()
}

async fn invocations(State(app): State<Arc<App>>, headers: HeaderMap, body: Body) -> Response {
    match app.settings.mode {
        ServeMode::CrashAfterReady if !app.invoked.swap(true, Ordering::SeqCst) => {
            log::error("SAMPLE_MODE=crash-after-ready: crashing on the first invocation (exit 2)");
            std::process::exit(2);
        }
        ServeMode::Error500 => {
            return text(
                StatusCode::INTERNAL_SERVER_ERROR,
                "SAMPLE_MODE=error500: this sample fails every invocation on purpose".into(),
            )
        }
        ServeMode::Hang => {
            say!("SAMPLE_MODE=hang: this invocation will never be answered");
            return std::future::pending().await;
        }
        ServeMode::Huge => {
            say!("SAMPLE_MODE=huge: answering {HUGE_BODY_BYTES} bytes");
            return (
                [(header::CONTENT_TYPE, "text/csv")],
                "0\n".repeat(HUGE_BODY_BYTES / 2),
            )
                .into_response();
        }
        ServeMode::SlowInvoke => {
            let delay = app.settings.invoke_delay;
            say!(
                "SAMPLE_MODE=slow-invoke: answering in {} ms",
                delay.as_millis()
            );
            tokio::time::sleep(delay).await;
        }
        _ => {}
    }

    let header_str = |name| {
        headers
            .get(name)
            .and_then(|v: &header::HeaderValue| v.to_str().ok())
    };
    let declared = header_str(header::CONTENT_LENGTH).and_then(|v| v.parse::<usize>().ok());
    if app.settings.log_invocations {
        match declared {
            Some(len) => say!("invocation: {len} byte(s)"),
            None => say!("invocation: chunked body"),
        }
    }
    // nginx decides from Content-Length before reading; a chunked body is
    // cut at the cap while reading (below), as nginx does too.
    let body_cap = app.settings.mode == ServeMode::BodyCap;
    if body_cap && declared.is_some_and(over_body_cap) {
        return nginx_413(declared);
    }
    match app.settings.mode {
        ServeMode::Echo => {
            tokio::time::sleep(app.settings.echo_delay).await;
            let ct = header_str(header::CONTENT_TYPE)
                .unwrap_or("application/octet-stream")
                .to_owned();
            return ([(header::CONTENT_TYPE, ct)], body).into_response();
        }
        ServeMode::EchoHeaders => {
            let line = format!(
                "content-type={};accept={};batch={}\n",
                header_str(header::CONTENT_TYPE).unwrap_or("-"),
                header_str(header::ACCEPT).unwrap_or("-"),
                std::env::var("SAGEMAKER_BATCH").unwrap_or_else(|_| "-".into())
            );
            return ([(header::CONTENT_TYPE, "text/plain")], line).into_response();
        }
        _ => {}
    }
    // No Content-Type: batch jobs only send one when TransformInput.ContentType is set.
    let content_type = header_str(header::CONTENT_TYPE).unwrap_or("text/csv");
    let Some(input) = Format::from_media_type(content_type) else {
        return text(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "unsupported Content-Type {content_type:?}; supported: {}",
                payload::SUPPORTED
            ),
        );
    };
    let output = match header_str(header::ACCEPT) {
        None => input,
        Some(accept) => match accept_format(accept, input) {
            Some(f) => f,
            None => {
                return text(
                    StatusCode::NOT_ACCEPTABLE,
                    format!(
                        "cannot answer Accept {accept:?}; supported: {}",
                        payload::SUPPORTED
                    ),
                )
            }
        },
    };

    let limit = app.settings.max_payload;
    let too_large = |len: Option<usize>| {
        let mb = limit.unwrap_or(0) / (1024 * 1024);
        let size = len.map(|n| format!(" of {n} bytes")).unwrap_or_default();
        text(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("payload{size} exceeds SAGEMAKER_MAX_PAYLOAD_IN_MB={mb}"),
        )
    };
    if let (Some(len), Some(max)) = (declared, limit) {
        if len > max {
            return too_large(Some(len));
        }
    }
    // The cap answers only where it is the tighter of the two limits.
    let cap_binds = body_cap && limit.is_none_or(|max| max >= BODY_CAP_BYTES);
    let read_limit = if cap_binds {
        BODY_CAP_BYTES
    } else {
        limit.unwrap_or(usize::MAX)
    };
    let bytes = match axum::body::to_bytes(body, read_limit).await {
        Ok(b) => b,
        Err(_) if cap_binds => return nginx_413(None),
        Err(_) if limit.is_some() => return too_large(None),
        Err(e) => {
            return text(
                StatusCode::BAD_REQUEST,
                format!("cannot read the request body: {e}"),
            )
        }
    };

    let predictions = payload::parse_records(input, &bytes)
        .and_then(|records| app.model.predict(input, &records));
    match predictions {
        Ok(p) => {
            say!(
                "invocations: {} record(s), {} -> {}",
                p.len(),
                input.mime(),
                output.mime()
            );
            let mut resp = (
                [(header::CONTENT_TYPE, output.mime())],
                payload::render(output, &p),
            )
                .into_response();
            if let Some(v) = app
                .settings
                .metering
                .as_deref()
                .and_then(|v| header::HeaderValue::from_str(v).ok())
            {
                resp.headers_mut().insert("x-amzn-inference-metering", v);
            }
            resp
        }
        Err(msg) => text(StatusCode::BAD_REQUEST, msg),
    }
}

/// nginx's answer to a body over `client_max_body_size`: its HTML page,
/// its reason phrase and `Connection: close` (the body is never read).
fn nginx_413(declared: Option<usize>) -> Response {
    let size = declared
        .map(|n| format!(" ({n} bytes)"))
        .unwrap_or_default();
    log::error(&format!(
        "SAMPLE_MODE=body-cap: request body{size} over {BODY_CAP_BYTES} bytes: 413 Request Entity Too Large"
    ));
    let mut resp = (
        StatusCode::PAYLOAD_TOO_LARGE,
        [
            (header::CONTENT_TYPE, "text/html"),
            (header::SERVER, NGINX_SERVER),
            (header::CONNECTION, "close"),
        ],
        NGINX_413_PAGE,
    )
        .into_response();
    resp.extensions_mut()
        .insert(hyper::ext::ReasonPhrase::from_static(
            b"Request Entity Too Large",
        ));
    resp
}

/// First supported entry of an Accept list; `*/*` means "same as the input".
fn accept_format(accept: &str, input: Format) -> Option<Format> {
    accept.split(',').find_map(|entry| {
        let essence = entry.split(';').next().unwrap_or("").trim();
        if essence == "*/*" {
            Some(input)
        } else {
            Format::from_media_type(essence)
        }
    })
}

/// Runs `serve` until SIGTERM/SIGINT (exit 0) or a start-up error (exit 1).
pub async fn run(root: &MlRoot) -> i32 {
    use tokio::signal::unix::{signal, SignalKind};
    say!(
        "slipway-sample serve: starting (ML root {})",
        root.root().display()
    );
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            log::error(&format!("serve: {e}"));
            return 1;
        }
    };
    let model = match ServingModel::load(root) {
        Ok(m) => m,
        Err(e) => {
            log::error(&format!("serve: {e}"));
            return 1;
        }
    };
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        log::error("serve: cannot install signal handlers");
        return 1;
    };
    let ip = if settings.mode == ServeMode::ListenLocalhost {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    };
    let listener = match tokio::net::TcpListener::bind(SocketAddr::new(ip, settings.port)).await {
        Ok(l) => l,
        Err(e) => {
            log::error(&format!(
                "serve: cannot listen on {ip}:{}: {e}",
                settings.port
            ));
            return 1;
        }
    };
    match listener.local_addr() {
        Ok(addr) => say!("listening on {addr} (SAMPLE_MODE={:?})", settings.mode),
        Err(e) => say!("listening (address unknown: {e})"),
    }
    if settings.mode == ServeMode::DialOut {
        // Alongside serving, not before it: the download must not also
        // delay readiness (one misbehaviour per mode).
        tokio::spawn(crate::dialout::startup());
    }
    let app = App::new(model, settings);
    tokio::select! {
        res = axum::serve(listener, router(app)) => match res {
            Ok(()) => 0,
            Err(e) => { log::error(&format!("serve: server error: {e}")); 1 }
        },
        _ = term.recv() => { say!("SIGTERM received: shutting down"); 0 }
        _ = int.recv() => { say!("SIGINT received: shutting down"); 0 }
    }
}
