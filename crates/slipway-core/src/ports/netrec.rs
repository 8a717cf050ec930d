//! What a network-isolated container tried to reach
//! ([`ContainerEngine::start_recorded`](super::engine::ContainerEngine::start_recorded)).
//! A container that downloads weights at start-up fails under
//! `EnableNetworkIsolation` with no clue why; these records turn "hung
//! under isolation" into "tried to download http://…/weights.bin". The
//! container stays isolated: nothing it sends leaves its network namespace.
//!
//! Every field comes from the container (names it looked up, requests it
//! sent), so each is bounded and reduced to printable ASCII when an
//! attempt is made ([`NetworkAttempt::new`]) and again when it is described.

use futures::stream::{BoxStream, StreamExt};
use std::fmt;
use std::net::IpAddr;
use std::time::SystemTime;

/// Longest host name kept (a DNS name has at most 253 characters).
pub const MAX_HOST_CHARS: usize = 253;
/// Longest detail kept (a request line, a TLS server name).
pub const MAX_DETAIL_CHARS: usize = 300;

/// What the container tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetworkAttemptKind {
    /// A DNS query for `host`; `detail` is the query type (`A`, `AAAA`, …).
    Resolve,
    /// A TCP connection to `address:port` (`host` when the address was one
    /// the recorder handed out for a name); `detail` is what it sent, when
    /// that could be read (an HTTP request, a TLS server name).
    Connect,
}

/// One attempt to reach the network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkAttempt {
    pub at: SystemTime,
    pub kind: NetworkAttemptKind,
    pub host: Option<String>,
    pub address: Option<IpAddr>,
    pub port: Option<u16>,
    pub detail: Option<String>,
}

/// `s` as printable ASCII (anything else becomes `?`), at most `max`
/// characters; `None` when nothing printable is left.
fn sanitize(s: &str, max: usize) -> Option<String> {
    let out: String = s
        .chars()
        .take(max)
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    let out = out.trim().to_owned();
    (!out.is_empty()).then_some(out)
}

impl NetworkAttempt {
    /// An attempt made now, its fields bounded and sanitized.
    pub fn new(
        kind: NetworkAttemptKind,
        host: Option<&str>,
        address: Option<IpAddr>,
        port: Option<u16>,
        detail: Option<&str>,
    ) -> Self {
        Self {
            at: SystemTime::now(),
            kind,
            host: host.and_then(|h| sanitize(h, MAX_HOST_CHARS)),
            address,
            port,
            detail: detail.and_then(|d| sanitize(d, MAX_DETAIL_CHARS)),
        }
    }

    /// One human line: `resolve models.example.com (A)`,
    /// `connect models.example.com:80 (198.18.0.1): GET http://models.example.com/weights.bin`,
    /// `connect 203.0.113.9:443`.
    pub fn describe(&self) -> String {
        let host = self
            .host
            .as_deref()
            .and_then(|h| sanitize(h, MAX_HOST_CHARS));
        let detail = self
            .detail
            .as_deref()
            .and_then(|d| sanitize(d, MAX_DETAIL_CHARS));
        match self.kind {
            NetworkAttemptKind::Resolve => {
                let mut s = format!("resolve {}", host.as_deref().unwrap_or("?"));
                if let Some(d) = detail {
                    s.push_str(&format!(" ({d})"));
                }
                s
            }
            NetworkAttemptKind::Connect => {
                let port = self.port.map(|p| format!(":{p}")).unwrap_or_default();
                let addr = self.address.map(|a| match a {
                    IpAddr::V6(_) => format!("[{a}]"),
                    IpAddr::V4(_) => a.to_string(),
                });
                let mut s = match (host, addr) {
                    (Some(h), Some(a)) => {
                        format!("connect {h}{port} ({})", a.trim_matches(['[', ']']))
                    }
                    (Some(h), None) => format!("connect {h}{port}"),
                    (None, Some(a)) => format!("connect {a}{port}"),
                    (None, None) => format!("connect ?{port}"),
                };
                if let Some(d) = detail {
                    s.push_str(&format!(": {d}"));
                }
                s
            }
        }
    }
}

/// The attempts of one started container, as they happen. The recording
/// lasts while this value lives (its guard ends the recorder's tasks) and
/// at most until the container ends; then [`NetworkRecorder::next`] answers
/// `None`.
pub struct NetworkRecorder {
    attempts: Option<BoxStream<'static, NetworkAttempt>>,
    _guard: Box<dyn Send + Sync>,
    reason: Option<String>,
}

impl NetworkRecorder {
    /// A recorder fed by `attempts`; `guard` is dropped with it and stops
    /// whatever produces them.
    pub fn new(attempts: BoxStream<'static, NetworkAttempt>, guard: Box<dyn Send + Sync>) -> Self {
        Self {
            attempts: Some(attempts),
            _guard: guard,
            reason: None,
        }
    }

    /// A recorder that records nothing, saying why (an engine that cannot
    /// enter a container's namespace, a failed set-up).
    pub fn unsupported(reason: String) -> Self {
        Self {
            attempts: None,
            _guard: Box::new(()),
            reason: Some(reason),
        }
    }

    /// The next attempt; `None` once the recording has ended (the container
    /// ended) or if nothing is recorded.
    pub async fn next(&mut self) -> Option<NetworkAttempt> {
        match &mut self.attempts {
            Some(s) => s.next().await,
            None => None,
        }
    }

    /// Why nothing is recorded, if so.
    pub fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }
}

impl fmt::Debug for NetworkRecorder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NetworkRecorder")
            .field("recording", &self.attempts.is_some())
            .field("reason", &self.reason)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn describes_each_kind_in_one_line() {
        let r = NetworkAttempt::new(
            NetworkAttemptKind::Resolve,
            Some("models.example.com"),
            None,
            None,
            Some("A"),
        );
        assert_eq!(r.describe(), "resolve models.example.com (A)");
        let addr = Some(IpAddr::V4(Ipv4Addr::new(198, 18, 0, 1)));
        let c = NetworkAttempt::new(
            NetworkAttemptKind::Connect,
            Some("models.example.com"),
            addr,
            Some(80),
            Some("GET http://models.example.com/weights.bin"),
        );
        assert_eq!(
            c.describe(),
            "connect models.example.com:80 (198.18.0.1): GET http://models.example.com/weights.bin"
        );
        let bare = NetworkAttempt::new(
            NetworkAttemptKind::Connect,
            None,
            Some(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9))),
            Some(443),
            None,
        );
        assert_eq!(bare.describe(), "connect 203.0.113.9:443");
        let v6 = NetworkAttempt::new(
            NetworkAttemptKind::Connect,
            None,
            Some("2001:db8::1".parse().unwrap()),
            Some(443),
            None,
        );
        assert_eq!(v6.describe(), "connect [2001:db8::1]:443");
    }

    #[test]
    fn hostile_fields_are_bounded_and_printable() {
        let long = "a".repeat(10_000);
        let a = NetworkAttempt::new(
            NetworkAttemptKind::Connect,
            Some(&long),
            None,
            Some(80),
            Some("GET /\u{1b}[31m\r\nX\u{0}é"),
        );
        assert_eq!(a.host.as_ref().map(String::len), Some(MAX_HOST_CHARS));
        assert_eq!(a.detail.as_deref(), Some("GET /?[31m??X??"));
        // Fields set directly are bounded when described.
        let raw = NetworkAttempt {
            detail: Some(long.clone()),
            ..a
        };
        assert!(raw.describe().len() < MAX_HOST_CHARS + MAX_DETAIL_CHARS + 20);
        assert!(
            NetworkAttempt::new(NetworkAttemptKind::Resolve, Some("  "), None, None, None)
                .host
                .is_none()
        );
    }

    #[tokio::test]
    async fn an_unsupported_recorder_says_why_and_records_nothing() {
        let mut r = NetworkRecorder::unsupported("remote engine".into());
        assert_eq!(r.reason(), Some("remote engine"));
        assert!(r.next().await.is_none());
        let mut fed = NetworkRecorder::new(
            futures::stream::iter(vec![NetworkAttempt::new(
                NetworkAttemptKind::Resolve,
                Some("x"),
                None,
                None,
                None,
            )])
            .boxed(),
            Box::new(()),
        );
        assert_eq!(fed.reason(), None);
        assert_eq!(
            fed.next().await.map(|a| a.describe()),
            Some("resolve x".into())
        );
        assert!(fed.next().await.is_none());
    }
}
