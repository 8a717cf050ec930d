//! The HTTP server of a simulated inference container: `/ping`,
//! `/execution-parameters` and `/invocations`, answering as its [`Serve`]
//! script says, in virtual time. It runs on the test's runtime and ends
//! (its listener closed) when the container exits.

use super::engine::{Request, SimEngine};
use super::process::Proc;
use super::script::{Ping, Serve};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

pub(crate) async fn bind(ip: IpAddr, port: u16) -> std::io::Result<TcpListener> {
    TcpListener::bind(SocketAddr::new(ip, port)).await
}

#[derive(Clone)]
struct Ctx {
    engine: SimEngine,
    container: String,
    serve: Serve,
    proc: Arc<Proc>,
    started: tokio::time::Instant,
}

impl Ctx {
    /// Sleeps `d` of virtual time, or until the container exits (`false`).
    async fn sleep(&self, d: Duration) -> bool {
        let mut rx = self.proc.changed.subscribe();
        let dead = async {
            loop {
                if self
                    .proc
                    .state
                    .lock()
                    .map(|p| p.exit.is_some())
                    .unwrap_or(true)
                {
                    return;
                }
                if rx.changed().await.is_err() {
                    return;
                }
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(d) => true,
            _ = dead => false,
        }
    }
}

pub(crate) fn spawn(
    engine: SimEngine,
    container: String,
    serve: Serve,
    listener: TcpListener,
    proc: Arc<Proc>,
) -> tokio::task::JoinHandle<()> {
    let ctx = Ctx {
        engine,
        container,
        serve,
        proc,
        started: tokio::time::Instant::now(),
    };
    let app = Router::new()
        .route("/ping", get(ping))
        .route("/execution-parameters", get(execution_parameters))
        .route("/invocations", post(invocations))
        .with_state(ctx);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    })
}

async fn ping(State(ctx): State<Ctx>) -> Response {
    match ctx.serve.ping {
        Ping::Ok if ctx.started.elapsed() >= ctx.serve.ready_after => {
            StatusCode::OK.into_response()
        }
        Ping::Ok => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        Ping::Status(s) => status(s).into_response(),
        Ping::Hang => {
            ctx.sleep(Duration::from_secs(365 * 24 * 3600)).await;
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

async fn execution_parameters(State(ctx): State<Ctx>) -> Response {
    match &ctx.serve.execution_parameters {
        Some(v) => (
            [("content-type", "application/json")],
            serde_json::to_vec(v).unwrap_or_default(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn status(s: u16) -> StatusCode {
    StatusCode::from_u16(s).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn header(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

async fn invocations(State(ctx): State<Ctx>, headers: HeaderMap, body: Bytes) -> Response {
    ctx.engine.record_request(Request {
        container: ctx.container.clone(),
        path: "/invocations".into(),
        content_type: header(&headers, "content-type"),
        accept: header(&headers, "accept"),
        body: body.clone(),
    });
    let reply = (ctx.serve.invoke)(&body);
    if !reply.delay.is_zero() && !ctx.sleep(reply.delay).await {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    (status(reply.status), reply.body).into_response()
}
