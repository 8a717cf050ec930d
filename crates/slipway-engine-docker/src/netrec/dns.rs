//! The recorder's resolver: every query is recorded; A queries get an
//! address of the recorder's own (so the container goes on to connect,
//! and the connection names what it wanted), every other type an empty
//! answer. Wire format by `hickory-proto`.

use super::Shared;
use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::{rdata::A, RData, Record, RecordType};
use slipway_core::ports::engine::{NetworkAttempt, NetworkAttemptKind};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Largest query read (a longer datagram is cut, fails to parse and is
/// ignored); also bounds a TCP query.
const MAX_MESSAGE: usize = 4096;
/// Lifetime of an answer: short, the addresses mean nothing outside.
const TTL: u32 = 60;
/// How long a TCP client may take per query, and queries per connection.
const TCP_TIMEOUT: Duration = Duration::from_secs(3);
const TCP_QUERIES: usize = 16;

/// Answers datagrams on `socket` until aborted.
pub(super) async fn serve_udp(socket: tokio::net::UdpSocket, shared: Arc<Shared>) {
    let mut buf = vec![0u8; MAX_MESSAGE];
    loop {
        let Ok((n, from)) = socket.recv_from(&mut buf).await else {
            continue;
        };
        if let Some(reply) = answer(&buf[..n], &shared) {
            let _ = socket.send_to(&reply, from).await;
        }
    }
}

/// Answers length-prefixed queries on one TCP connection (RFC 1035 4.2.2).
pub(super) async fn serve_tcp(mut stream: tokio::net::TcpStream, shared: Arc<Shared>) {
    for _ in 0..TCP_QUERIES {
        let exchange = async {
            let len = usize::from(stream.read_u16().await?);
            if len > MAX_MESSAGE {
                return Err(std::io::Error::other("query too long"));
            }
            let mut query = vec![0u8; len];
            stream.read_exact(&mut query).await?;
            if let Some(reply) = answer(&query, &shared) {
                let Ok(n) = u16::try_from(reply.len()) else {
                    return Err(std::io::Error::other("answer too long"));
                };
                stream.write_u16(n).await?;
                stream.write_all(&reply).await?;
            }
            Ok(())
        };
        match tokio::time::timeout(TCP_TIMEOUT, exchange).await {
            Ok(Ok(())) => {}
            _ => return,
        }
    }
}

/// The answer to one query message, recording what it asked; `None` for
/// anything that is not a parsable standard query.
pub(super) fn answer(query: &[u8], shared: &Shared) -> Option<Vec<u8>> {
    let request = Message::from_vec(query).ok()?;
    let meta = &request.metadata;
    if meta.message_type != MessageType::Query {
        return None;
    }
    let mut reply = Message::response(meta.id, meta.op_code);
    reply.metadata.recursion_desired = meta.recursion_desired;
    reply.metadata.recursion_available = true;
    if meta.op_code != OpCode::Query {
        reply.metadata.response_code = ResponseCode::NotImp;
        return reply.to_vec().ok();
    }
    // Resolvers ask one question per message; the first is the one.
    let Some(q) = request.queries.first() else {
        reply.metadata.response_code = ResponseCode::FormErr;
        return reply.to_vec().ok();
    };
    let ascii = q.name().to_ascii();
    let name = ascii.trim_end_matches('.').to_ascii_lowercase();
    let qtype = q.query_type();
    shared.record(NetworkAttempt::new(
        NetworkAttemptKind::Resolve,
        Some(&name),
        None,
        None,
        Some(&qtype.to_string()),
    ));
    reply.add_query(q.clone());
    if qtype == RecordType::A && !name.is_empty() {
        match shared.address_for(&name) {
            Some(addr) => {
                reply.add_answer(Record::from_rdata(q.name().clone(), TTL, RData::A(A(addr))));
            }
            None => reply.metadata.response_code = ResponseCode::NXDomain,
        }
    }
    // AAAA and every other type: no records (NOERROR), so a client falls
    // back to the IPv4 address it got.
    reply.to_vec().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::Query;
    use hickory_proto::rr::Name;
    use std::str::FromStr;

    fn shared() -> (Shared, tokio::sync::mpsc::Receiver<NetworkAttempt>) {
        let (tx, rx) = tokio::sync::mpsc::channel(8);
        (
            Shared {
                names: Default::default(),
                tx,
                recorded: Default::default(),
            },
            rx,
        )
    }

    fn query(name: &str, t: RecordType) -> Vec<u8> {
        let mut m = Message::new(7, MessageType::Query, OpCode::Query);
        m.add_query(Query::query(Name::from_str(name).unwrap(), t));
        m.to_vec().unwrap()
    }

    #[test]
    fn a_queries_get_an_address_and_are_recorded() {
        let (s, mut rx) = shared();
        let reply =
            Message::from_vec(&answer(&query("Models.Example.com.", RecordType::A), &s).unwrap())
                .unwrap();
        assert_eq!(reply.metadata.id, 7);
        assert_eq!(reply.metadata.response_code, ResponseCode::NoError);
        let Some(RData::A(A(addr))) = reply.answers.first().map(|r| r.data.clone()) else {
            panic!("no A record: {reply:?}");
        };
        assert_eq!(
            s.name_for(addr.into()).as_deref(),
            Some("models.example.com")
        );
        assert_eq!(
            rx.try_recv().unwrap().describe(),
            "resolve models.example.com (A)"
        );
        let aaaa = Message::from_vec(
            &answer(&query("models.example.com.", RecordType::AAAA), &s).unwrap(),
        )
        .unwrap();
        assert!(aaaa.answers.is_empty());
        assert_eq!(aaaa.metadata.response_code, ResponseCode::NoError);
        assert_eq!(
            rx.try_recv().unwrap().describe(),
            "resolve models.example.com (AAAA)"
        );
    }

    #[test]
    fn garbage_gets_no_answer_and_no_panic() {
        let (s, mut rx) = shared();
        for junk in [
            &b""[..],
            b"\x00",
            &[0xffu8; 64],
            &query("a.b.", RecordType::A)[..20],
        ] {
            assert!(answer(junk, &s).is_none() || rx.try_recv().is_err());
        }
        // A response is not answered.
        let mut m = Message::new(1, MessageType::Response, OpCode::Query);
        m.add_query(Query::query(Name::from_str("x.").unwrap(), RecordType::A));
        assert!(answer(&m.to_vec().unwrap(), &s).is_none());
    }
}
