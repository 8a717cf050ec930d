//! A minimal GET for the endpoints bollard cannot read from Podman:
//! `GET /containers/json` reports Podman's own states (`stopped`,
//! `configured`, …) where Docker's enum is expected, and bollard's strict
//! enum then rejects the whole list. And POSTs to Podman's own API, which
//! bollard does not speak (`POST /libpod/containers/{id}/init`,
//! `POST /libpod/networks/create`). HTTP/1.0 keeps it simple: the server
//! answers without chunking and closes the connection after the body.

use slipway_core::ports::engine::EngineError;
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A container list answer larger than this is refused rather than read.
const MAX_RESPONSE: u64 = 64 * 1024 * 1024;

/// Where the engine listens.
#[derive(Debug, Clone)]
pub(crate) enum Endpoint {
    Unix(PathBuf),
    Tcp(String),
}

impl Endpoint {
    pub(crate) fn parse(host: &str) -> Self {
        if let Some(addr) = host
            .strip_prefix("tcp://")
            .or_else(|| host.strip_prefix("http://"))
        {
            Self::Tcp(addr.trim_end_matches('/').to_owned())
        } else {
            Self::Unix(PathBuf::from(host.strip_prefix("unix://").unwrap_or(host)))
        }
    }

    /// GETs `path_and_query`; `Ok((status, body))` for any HTTP answer.
    pub(crate) async fn get(
        &self,
        path_and_query: &str,
        timeout: Duration,
    ) -> Result<(u16, Vec<u8>), EngineError> {
        self.request("GET", path_and_query, None, timeout).await
    }

    /// POSTs `path_and_query` with no body; `Ok((status, body))` for any
    /// HTTP answer.
    pub(crate) async fn post(
        &self,
        path_and_query: &str,
        timeout: Duration,
    ) -> Result<(u16, Vec<u8>), EngineError> {
        self.request("POST", path_and_query, None, timeout).await
    }

    /// POSTs `body` as JSON to `path_and_query`; `Ok((status, body))` for
    /// any HTTP answer.
    pub(crate) async fn post_json(
        &self,
        path_and_query: &str,
        body: &[u8],
        timeout: Duration,
    ) -> Result<(u16, Vec<u8>), EngineError> {
        self.request("POST", path_and_query, Some(body), timeout)
            .await
    }

    async fn request(
        &self,
        method: &str,
        path_and_query: &str,
        body: Option<&[u8]>,
        timeout: Duration,
    ) -> Result<(u16, Vec<u8>), EngineError> {
        let exchange = async {
            match self {
                Self::Unix(p) => {
                    let s = tokio::net::UnixStream::connect(p).await?;
                    exchange(s, method, path_and_query, body).await
                }
                Self::Tcp(a) => {
                    let s = tokio::net::TcpStream::connect(a).await?;
                    exchange(s, method, path_and_query, body).await
                }
            }
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(Ok(r)) => parse_response(&r),
            Ok(Err(e)) => Err(EngineError::Unavailable {
                detail: format!("{method} {path_and_query}: {e}"),
            }),
            Err(_) => Err(EngineError::Unavailable {
                detail: format!("{method} {path_and_query}: timed out after {timeout:?}"),
            }),
        }
    }
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    method: &str,
    path_and_query: &str,
    body: Option<&[u8]>,
) -> std::io::Result<Vec<u8>> {
    let headers = match body {
        Some(b) => format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            b.len()
        ),
        None if method == "POST" => "Content-Length: 0\r\n".to_owned(),
        None => String::new(),
    };
    let req = format!(
        "{method} {path_and_query} HTTP/1.0\r\nHost: d\r\nAccept: application/json\r\n{headers}\r\n"
    );
    s.write_all(req.as_bytes()).await?;
    if let Some(b) = body {
        s.write_all(b).await?;
    }
    let mut buf = Vec::new();
    (&mut s).take(MAX_RESPONSE).read_to_end(&mut buf).await?;
    Ok(buf)
}

fn parse_response(r: &[u8]) -> Result<(u16, Vec<u8>), EngineError> {
    let bad = |why: &str| EngineError::Engine {
        detail: format!("unreadable engine response: {why}"),
    };
    let end = r
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no header end"))?;
    let head = std::str::from_utf8(&r[..end]).map_err(|_| bad("header not UTF-8"))?;
    let status = head
        .lines()
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|c| c.parse::<u16>().ok())
        .ok_or_else(|| bad("no status line"))?;
    if head.lines().any(|l| {
        l.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    }) {
        return Err(bad("chunked answer to an HTTP/1.0 request"));
    }
    Ok((status, r[end + 4..].to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn parses_status_and_body() {
        let (s, b) = parse_response(b"HTTP/1.0 200 OK\r\nContent-Type: x\r\n\r\n[1]").unwrap();
        assert_eq!((s, b.as_slice()), (200, &b"[1]"[..]));
        assert!(parse_response(b"garbage").is_err());
    }

    #[test]
    fn endpoints() {
        assert!(
            matches!(Endpoint::parse("unix:///run/x.sock"), Endpoint::Unix(p) if p == Path::new("/run/x.sock"))
        );
        assert!(matches!(Endpoint::parse("tcp://h:2375"), Endpoint::Tcp(a) if a == "h:2375"));
        assert!(matches!(Endpoint::parse("/run/x.sock"), Endpoint::Unix(_)));
    }
}
