//! The recorder's TCP sinks (ports 80 and 443): accept, read what the
//! container sends first (bounded in size and time), record the HTTP
//! request or the TLS server name, close. They answer nothing: the
//! container sees its connection closed.

use super::Shared;
use slipway_core::ports::engine::{NetworkAttempt, NetworkAttemptKind};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;

/// Bytes read from a connection: an HTTP request's head or a TLS
/// ClientHello fit.
const MAX_READ: usize = 8 * 1024;
/// How long a connection may take to say what it wants.
const READ_TIMEOUT: Duration = Duration::from_secs(3);
/// Headers looked at in an HTTP request.
const MAX_HEADERS: usize = 64;

/// Reads, records, closes.
pub(super) async fn serve(mut stream: tokio::net::TcpStream, port: u16, shared: Arc<Shared>) {
    // With every address local, the socket's own address is the one the
    // container connected to.
    let address = stream.local_addr().ok().map(|a| canonical(a.ip()));
    let mut buf = Vec::with_capacity(1024);
    let _ = tokio::time::timeout(READ_TIMEOUT, async {
        let mut chunk = [0u8; 2048];
        while buf.len() < MAX_READ {
            let want = chunk.len().min(MAX_READ - buf.len());
            match stream.read(&mut chunk[..want]).await {
                Ok(0) | Err(_) => break,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            if said_enough(&buf) {
                break;
            }
        }
    })
    .await;
    let host = address.and_then(|a| shared.name_for(a));
    shared.record(NetworkAttempt::new(
        NetworkAttemptKind::Connect,
        host.as_deref(),
        address,
        Some(port),
        detail(&buf).as_deref(),
    ));
}

/// An IPv4-mapped IPv6 address as the IPv4 address it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Whether `buf` holds a whole HTTP head or TLS record already.
fn said_enough(buf: &[u8]) -> bool {
    if buf.first() == Some(&0x16) {
        return buf.len() >= 5
            && buf.len() >= 5 + usize::from(u16::from_be_bytes([buf[3], buf[4]]));
    }
    buf.windows(4).any(|w| w == b"\r\n\r\n")
}

/// What the connection said, for the record: `GET http://host/path`, or
/// `TLS server name NAME`, or `TLS` without one; `None` for anything else.
pub(super) fn detail(buf: &[u8]) -> Option<String> {
    if buf.first() == Some(&0x16) {
        return Some(match server_name(buf) {
            Some(name) => format!("TLS server name {name}"),
            None => "TLS".to_owned(),
        });
    }
    http_request(buf)
}

/// `METHOD URL` of an HTTP request head (the URL absolute when the
/// request names its Host), with `httparse`.
fn http_request(buf: &[u8]) -> Option<String> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    // A partial head (cut by the read bound) still has its request line.
    let _ = req.parse(buf);
    let (method, target) = (req.method?, req.path?);
    let host = req
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("host"))
        .and_then(|h| std::str::from_utf8(h.value).ok())
        .map(str::trim)
        .filter(|h| !h.is_empty());
    Some(match host {
        Some(h) if target.starts_with('/') => format!("{method} http://{h}{target}"),
        _ => format!("{method} {target}"),
    })
}

/// The server name (SNI) of a TLS ClientHello in `buf`. Hand-written: it
/// is a dozen length-prefixed fields (RFC 8446 4.1.2, RFC 6066 3) and a
/// TLS library would parse far more than this needs. Every read is
/// bounds-checked; garbage is `None`.
pub(super) fn server_name(buf: &[u8]) -> Option<String> {
    let mut r = Reader(buf);
    // Record header: handshake (22), version, length.
    if r.u8()? != 22 {
        return None;
    }
    r.skip(2)?;
    let record_len = r.u16()?;
    let mut r = Reader(r.take(record_len.min(r.0.len()))?);
    // Handshake header: ClientHello (1), 24-bit length.
    if r.u8()? != 1 {
        return None;
    }
    r.skip(3)?;
    r.skip(2 + 32)?; // client version, random
    let session = usize::from(r.u8()?);
    r.skip(session)?;
    let suites = r.u16()?;
    r.skip(suites)?;
    let compression = usize::from(r.u8()?);
    r.skip(compression)?;
    let ext_len = r.u16()?;
    let mut exts = Reader(r.take(ext_len.min(r.0.len()))?);
    while !exts.0.is_empty() {
        let kind = exts.u16()?;
        let len = exts.u16()?;
        let mut body = Reader(exts.take(len)?);
        if kind != 0 {
            continue;
        }
        // server_name: list length, then entries of type 0 (host_name).
        let list = body.u16()?;
        let mut list = Reader(body.take(list)?);
        while !list.0.is_empty() {
            let name_type = list.u8()?;
            let name_len = list.u16()?;
            let name = list.take(name_len)?;
            if name_type == 0 {
                return std::str::from_utf8(name).ok().map(str::to_owned);
            }
        }
        return None;
    }
    None
}

/// A bounds-checked cursor.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn skip(&mut self, n: usize) -> Option<()> {
        self.take(n).map(|_| ())
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<usize> {
        self.take(2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal TLS 1.2 ClientHello naming `host`.
    pub(crate) fn client_hello(host: &str) -> Vec<u8> {
        let name = host.as_bytes();
        let mut sni = Vec::new();
        sni.extend_from_slice(&((name.len() + 3) as u16).to_be_bytes());
        sni.push(0);
        sni.extend_from_slice(&(name.len() as u16).to_be_bytes());
        sni.extend_from_slice(name);
        let mut exts = Vec::new();
        exts.extend_from_slice(&[0x00, 0x0b, 0x00, 0x02, 0x01, 0x00]); // ec_point_formats
        exts.extend_from_slice(&[0, 0]);
        exts.extend_from_slice(&(sni.len() as u16).to_be_bytes());
        exts.extend_from_slice(&sni);
        let mut hello = vec![0x03, 0x03];
        hello.extend_from_slice(&[7u8; 32]);
        hello.push(0);
        hello.extend_from_slice(&[0, 2, 0x13, 0x01, 1, 0]);
        hello.extend_from_slice(&(exts.len() as u16).to_be_bytes());
        hello.extend_from_slice(&exts);
        let mut hs = vec![1, 0];
        hs.extend_from_slice(&(hello.len() as u16).to_be_bytes());
        hs.extend_from_slice(&hello);
        let mut rec = vec![22, 3, 1];
        rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
        rec.extend_from_slice(&hs);
        rec
    }

    #[test]
    fn reads_the_server_name_of_a_client_hello() {
        let hello = client_hello("models.example.com");
        assert!(said_enough(&hello));
        assert_eq!(server_name(&hello).as_deref(), Some("models.example.com"));
        assert_eq!(
            detail(&hello).as_deref(),
            Some("TLS server name models.example.com")
        );
        // Every truncation and a flipped byte anywhere: no panic.
        for n in 0..hello.len() {
            let _ = server_name(&hello[..n]);
            let mut bent = hello.clone();
            bent[n] ^= 0xff;
            let _ = server_name(&bent);
        }
        assert_eq!(server_name(&[22, 3, 1, 0xff, 0xff, 1]), None);
    }

    #[test]
    fn reads_the_request_line_and_host_of_http() {
        let req =
            b"GET /weights.bin HTTP/1.1\r\nHost: models.example.com\r\nUser-Agent: Wget\r\n\r\n";
        assert!(said_enough(req));
        assert_eq!(
            detail(req).as_deref(),
            Some("GET http://models.example.com/weights.bin")
        );
        assert_eq!(
            detail(b"GET http://x/y HTTP/1.1\r\n").as_deref(),
            Some("GET http://x/y")
        );
        assert_eq!(detail(b"\x00\x01garbage"), None);
        assert_eq!(detail(b""), None);
    }
}
