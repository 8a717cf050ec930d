//! Closes the connection after a final response to an `Expect:
//! 100-continue` request that never got an interim `100 Continue`.
//!
//! hyper answers `100 Continue` lazily, when a handler first polls the
//! request body, and never for a body the framing says is empty
//! (RFC 9110 §10.1.1 allows both). botocore (boto3 and the AWS CLI) adds
//! `Expect: 100-continue` to every S3 PUT, zero-length ones included. When
//! a final status arrives where it waits for the `100`, it stashes that
//! status line on the pooled connection and — because it only resets the
//! stash for requests *without* `Expect` — replays it for the next
//! `Expect` request on the same connection. That request's real status
//! line is then parsed as a header, its `Content-Length` is lost and the
//! client reads until the socket closes: `aws s3 sync` of a tree holding
//! an empty file hangs until its read timeout (boto/botocore#3755).
//!
//! Closing the connection after such a response makes botocore drop the
//! connection object's state (`AWSConnection.close` resets it), so the
//! next request starts clean. Only requests that asked for `100-continue`
//! and did not get it pay for a new connection.

use axum::body::{Body, Bytes, HttpBody};
use axum::http::{header, HeaderValue, Request, Response, Version};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

/// What a request's `Expect: 100-continue` turned into.
pub(crate) struct ExpectContinue {
    /// Set once the handler polled the body: hyper has then sent (or is
    /// about to send) `100 Continue`. `None` when the request did not ask
    /// for it or hyper cannot send it (empty body, HTTP/1.0).
    polled: Option<Arc<AtomicBool>>,
    expected: bool,
}

impl ExpectContinue {
    /// Notes whether `req` expects `100 Continue` and, if hyper may send
    /// one, watches its body for the first poll.
    pub(crate) fn watch(req: Request<Body>) -> (Request<Body>, Self) {
        let expected = req
            .headers()
            .get(header::EXPECT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("100-continue"));
        let body = req.body();
        let empty = body.is_end_stream() || body.size_hint().exact() == Some(0);
        if !expected || empty || req.version() < Version::HTTP_11 {
            return (
                req,
                Self {
                    polled: None,
                    expected,
                },
            );
        }
        let polled = Arc::new(AtomicBool::new(false));
        let flag = polled.clone();
        let req = req.map(|inner| {
            Body::new(Watched {
                inner,
                polled: flag,
            })
        });
        (
            req,
            Self {
                polled: Some(polled),
                expected,
            },
        )
    }

    /// Adds `Connection: close` to the response if the client asked for
    /// `100 Continue` and will get the final status instead.
    pub(crate) fn settle<B>(self, resp: &mut Response<B>) {
        if !self.expected {
            return;
        }
        let continued = self.polled.is_some_and(|p| p.load(Ordering::Acquire));
        if !continued {
            resp.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
    }
}

/// A request body that records its first poll.
struct Watched {
    inner: Body,
    polled: Arc<AtomicBool>,
}

impl HttpBody for Watched {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        this.polled.store(true, Ordering::Release);
        Pin::new(&mut this.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    //! Over a real socket, because what matters is what hyper writes.
    use super::ExpectContinue;
    use axum::body::Body;
    use axum::http::Request;
    use axum::response::{IntoResponse, Response};
    use http_body_util::BodyExt;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    /// Reads the body (as a PUT handler does) unless the path is `/early`
    /// (as an error answered before the body is read).
    async fn handler(req: Request<Body>) -> Response {
        let (req, expect) = ExpectContinue::watch(req);
        let mut resp = if req.uri().path() == "/early" {
            (axum::http::StatusCode::FORBIDDEN, "no").into_response()
        } else {
            let n = req.into_body().collect().await.unwrap().to_bytes().len();
            format!("{n}").into_response()
        };
        expect.settle(&mut resp);
        resp
    }

    async fn server() -> std::net::SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new().fallback(handler);
        tokio::spawn(async move { axum::serve(listener, app).await });
        addr
    }

    /// Reads one response head (and a short body) from the socket.
    async fn read_response(s: &mut TcpStream) -> String {
        let mut buf = vec![0u8; 4096];
        let n = s.read(&mut buf).await.unwrap();
        String::from_utf8_lossy(&buf[..n]).to_ascii_lowercase()
    }

    fn put(path: &str, len: usize) -> String {
        format!("PUT {path} HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: {len}\r\n\r\n")
    }

    #[tokio::test]
    async fn an_empty_body_gets_no_100_and_the_connection_closes() {
        let mut s = TcpStream::connect(server().await).await.unwrap();
        s.write_all(put("/empty", 0).as_bytes()).await.unwrap();
        let r = read_response(&mut s).await;
        assert!(r.starts_with("http/1.1 200"), "{r}");
        assert!(r.contains("connection: close"), "{r}");
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).await.unwrap(); // EOF: the server closed
    }

    #[tokio::test]
    async fn an_early_answer_closes_the_connection() {
        let mut s = TcpStream::connect(server().await).await.unwrap();
        s.write_all(put("/early", 5).as_bytes()).await.unwrap();
        let r = read_response(&mut s).await;
        assert!(r.starts_with("http/1.1 403"), "{r}");
        assert!(r.contains("connection: close"), "{r}");
    }

    #[tokio::test]
    async fn a_continued_body_keeps_the_connection_alive() {
        let mut s = TcpStream::connect(server().await).await.unwrap();
        for _ in 0..2 {
            s.write_all(put("/data", 5).as_bytes()).await.unwrap();
            let r = read_response(&mut s).await;
            assert!(r.starts_with("http/1.1 100 continue"), "{r}");
            s.write_all(b"hello").await.unwrap();
            let r = read_response(&mut s).await;
            assert!(r.starts_with("http/1.1 200"), "{r}");
            assert!(!r.contains("connection: close"), "{r}");
            assert!(r.ends_with("\r\n\r\n5"), "{r}");
        }
    }
}
