//! `SAMPLE_MODE=dial-out`: at start-up, `train` and `serve` try to download
//! "model weights" from the internet, the way many real images do, so a
//! platform can show that a container reaches out (SageMaker's marketplace
//! validation runs without network access).
//!
//! The attempt is best-effort and bounded: whatever happens (no
//! resolv.conf, NXDOMAIN, no route, refused, silence), it logs one line
//! and the command goes on as usual, after at most [`BUDGET`].
//!
//! The host is resolved through the nameserver(s) of `/etc/resolv.conf` by
//! hickory, never by glibc: the binary is static and the image FROM
//! scratch, where glibc's NSS resolver cannot load. `/etc/hosts` is not
//! consulted, so every name really becomes a DNS query a platform can see.

use crate::{log, say};
use axum::http::Uri;
use hickory_resolver::config::{ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::Resolver;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `SAMPLE_DIAL_URL` when unset.
pub const DEFAULT_DIAL_URL: &str = "http://models.example.com/weights.bin";

/// The longest the whole attempt (resolve, connect, request, answer) may take.
pub const BUDGET: Duration = Duration::from_secs(10);

/// Connect timeout per address.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// At most this much of the answer is read (then the connection is dropped):
/// the point is the attempt, not the weights.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// One DNS query's timeout. With one retry (`attempts = 1`) and both A and
/// AAAA asked, a silent nameserver costs about 4 s, leaving the rest of
/// [`BUDGET`] for the connection.
const DNS_TIMEOUT: Duration = Duration::from_secs(1);

/// Where to download from: the parts of an `http://` URL the request needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Host name or IP literal (without brackets).
    pub host: String,
    /// Port (80 when the URL has none).
    pub port: u16,
    /// Path and query, at least `/`.
    pub path: String,
}

impl Target {
    /// Parses an absolute `http://` URL (https would need TLS, which this
    /// sample does not carry; the attempt is what matters).
    pub fn parse(url: &str) -> Result<Self, String> {
        let uri: Uri = url
            .parse()
            .map_err(|e| format!("SAMPLE_DIAL_URL {url:?} is not a URL: {e}"))?;
        if uri.scheme_str() != Some("http") {
            return Err(format!(
                "SAMPLE_DIAL_URL {url:?}: only http:// is supported"
            ));
        }
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| format!("SAMPLE_DIAL_URL {url:?} has no host"))?;
        Ok(Self {
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port: uri.port_u16().unwrap_or(80),
            path: uri
                .path_and_query()
                .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
        })
    }

    /// The `Host` header: the port only when it is not 80, IPv6 in brackets.
    pub fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == 80 {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    /// The whole request: a plain HTTP/1.1 GET that closes the connection.
    pub fn request(&self) -> String {
        format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: slipway-sample\r\nAccept: */*\r\nConnection: close\r\n\r\n",
            self.path,
            self.host_header()
        )
    }
}

/// What a successful attempt got back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The address connected to.
    pub addr: SocketAddr,
    /// The answer's first line (e.g. `HTTP/1.1 200 OK`), at most 200 characters.
    pub status_line: String,
    /// Bytes read, at most [`MAX_ANSWER_BYTES`].
    pub bytes: usize,
}

/// What AWS credentials the environment holds, by variable name only
/// (never the values): a platform running the container network-isolated
/// must give it none, and this line shows it from the inside.
pub fn credentials_line() -> String {
    let mut names: Vec<String> = std::env::vars_os()
        .filter_map(|(k, _)| k.into_string().ok())
        .filter(|k| {
            matches!(
                k.as_str(),
                "AWS_ACCESS_KEY_ID"
                    | "AWS_SECRET_ACCESS_KEY"
                    | "AWS_SESSION_TOKEN"
                    | "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
                    | "AWS_CONTAINER_CREDENTIALS_FULL_URI"
                    | "AWS_WEB_IDENTITY_TOKEN_FILE"
            )
        })
        .collect();
    names.sort();
    if names.is_empty() {
        "credentials in the environment: none".to_owned()
    } else {
        format!("credentials in the environment: {}", names.join(", "))
    }
}

/// Whether `SAMPLE_MODE` (the process environment) asks for a dial-out.
pub fn requested() -> bool {
    std::env::var("SAMPLE_MODE").is_ok_and(|m| m.trim() == "dial-out")
}

/// The start-up attempt: `SAMPLE_DIAL_URL` through `/etc/resolv.conf`,
/// logged either way; never fails, returns within about [`BUDGET`].
pub async fn startup() {
    let url = std::env::var("SAMPLE_DIAL_URL")
        .ok()
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| DEFAULT_DIAL_URL.to_owned());
    say!("SAMPLE_MODE=dial-out: downloading weights from {url}");
    say!("{}", credentials_line());
    // Without /etc/resolv.conf (a container with no network gets none)
    // glibc asks 127.0.0.1, and so does this, as a real seller's code would.
    let (config, opts) = hickory_resolver::system_conf::read_system_conf().unwrap_or_else(|_| {
        let local = hickory_resolver::config::NameServerConfigGroup::from_ips_clear(
            &[std::net::IpAddr::from([127, 0, 0, 1])],
            53,
            true,
        );
        (
            ResolverConfig::from_parts(None, Vec::new(), local),
            ResolverOpts::default(),
        )
    });
    let result = download(&url, config, opts).await;
    match result {
        Ok(a) => say!(
            "weights download answered from {}: {:?} ({} byte(s) read); carrying on",
            a.addr,
            a.status_line,
            a.bytes
        ),
        Err(e) => log::error(&format!("weights download failed: {e}; carrying on")),
    }
}

/// [`startup`] for synchronous callers (the training thread): a runtime of
/// its own, gone when the attempt is.
pub fn startup_blocking() {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(startup()),
        Err(e) => log::error(&format!(
            "weights download failed: cannot start a runtime: {e}; carrying on"
        )),
    }
}

/// Resolves `url`'s host with `config` (bounded), connects, sends the GET
/// and reads at most [`MAX_ANSWER_BYTES`], all within [`BUDGET`].
pub async fn download(
    url: &str,
    config: ResolverConfig,
    mut opts: ResolverOpts,
) -> Result<Answer, String> {
    let target = Target::parse(url)?;
    opts.timeout = DNS_TIMEOUT;
    opts.attempts = 1;
    opts.use_hosts_file = ResolveHosts::Never;
    let resolver = Resolver::builder_with_config(config, TokioConnectionProvider::default())
        .with_options(opts)
        .build();
    match tokio::time::timeout(BUDGET, fetch(&resolver, &target)).await {
        Ok(r) => r,
        Err(_) => Err(format!("no answer within {} s", BUDGET.as_secs())),
    }
}

async fn fetch(
    resolver: &Resolver<TokioConnectionProvider>,
    target: &Target,
) -> Result<Answer, String> {
    let ips = resolver
        .lookup_ip(target.host.as_str())
        .await
        .map_err(|e| format!("cannot resolve {}: {e}", target.host))?;
    let mut last = format!("{} has no address", target.host);
    for ip in ips.iter() {
        let addr = SocketAddr::new(ip, target.port);
        let mut stream =
            match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(addr)).await
            {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    last = format!("cannot connect to {addr}: {e}");
                    continue;
                }
                Err(_) => {
                    last = format!(
                        "cannot connect to {addr}: no answer within {} s",
                        CONNECT_TIMEOUT.as_secs()
                    );
                    continue;
                }
            };
        stream
            .write_all(target.request().as_bytes())
            .await
            .map_err(|e| format!("cannot send the request to {addr}: {e}"))?;
        let mut buf = Vec::new();
        // `take` bounds what a hostile server can make us hold.
        (&mut stream)
            .take(MAX_ANSWER_BYTES as u64)
            .read_to_end(&mut buf)
            .await
            .map_err(|e| format!("cannot read the answer from {addr}: {e}"))?;
        if buf.is_empty() {
            return Err(format!("{addr} closed the connection without answering"));
        }
        let first = buf.split(|&b| b == b'\n').next().unwrap_or_default();
        let status_line: String = String::from_utf8_lossy(first)
            .trim_end()
            .chars()
            .take(200)
            .collect();
        return Ok(Answer {
            addr,
            status_line,
            bytes: buf.len(),
        });
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_default_url() {
        let t = Target::parse(DEFAULT_DIAL_URL).unwrap();
        assert_eq!(
            t,
            Target {
                host: "models.example.com".into(),
                port: 80,
                path: "/weights.bin".into()
            }
        );
        assert_eq!(
            t.request(),
            "GET /weights.bin HTTP/1.1\r\nHost: models.example.com\r\nUser-Agent: slipway-sample\r\nAccept: */*\r\nConnection: close\r\n\r\n"
        );
    }

    #[test]
    fn host_header_carries_a_non_default_port_and_brackets() {
        let t = Target::parse("http://[::1]:8081/w?x=1").unwrap();
        assert_eq!(t.host, "::1");
        assert_eq!(t.path, "/w?x=1");
        assert_eq!(t.host_header(), "[::1]:8081");
        assert_eq!(Target::parse("http://h").unwrap().path, "/");
    }

    #[test]
    fn refuses_what_it_cannot_fetch() {
        assert!(Target::parse("https://models.example.com/w").is_err());
        assert!(Target::parse("/weights.bin").is_err());
        assert!(Target::parse("not a url").is_err());
    }
}
