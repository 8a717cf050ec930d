//! Pagination tokens of the logs API. Opaque to clients; each names where
//! the previous page ended, so it stays valid while logs grow.
//!
//! Event positions are written as 58 digits (time, stream, sequence; the
//! time shifted so that order of the digits is order of the keys), shaped
//! like AWS's own `f/<digits>/s` tokens. A token that does not decode is
//! the client's error (`InvalidParameterException`).

use super::{invalid, LogStreamInfo};
use crate::Result;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use slipway_core::ports::logs::{EventKey, StreamCursor};

const BAD_TOKEN: &str = "The specified nextToken is invalid.";

/// A GetLogEvents token: read forward after, or backward before, a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    Forward(EventKey),
    Backward(EventKey),
}

/// The key as 58 digits: time (20, sign bit flipped), stream (19), seq (19).
pub fn digits(k: EventKey) -> String {
    let time = (k.timestamp_ms as u64) ^ (1 << 63);
    format!("{time:020}{:019}{:019}", k.stream_key.max(0), k.seq.max(0))
}

fn parse_digits(s: &str) -> Option<EventKey> {
    if s.len() != 58 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let time: u64 = s[..20].parse().ok()?;
    Some(EventKey {
        timestamp_ms: (time ^ (1 << 63)) as i64,
        stream_key: s[20..39].parse().ok()?,
        seq: s[39..].parse().ok()?,
    })
}

pub fn encode_position(p: Position) -> String {
    match p {
        Position::Forward(k) => format!("f/{}/s", digits(k)),
        Position::Backward(k) => format!("b/{}/s", digits(k)),
    }
}

pub fn decode_position(token: &str) -> Result<Position> {
    let parse = |rest: &str| rest.strip_suffix("/s").and_then(parse_digits);
    let pos = if let Some(rest) = token.strip_prefix("f/") {
        parse(rest).map(Position::Forward)
    } else if let Some(rest) = token.strip_prefix("b/") {
        parse(rest).map(Position::Backward)
    } else {
        None
    };
    pos.ok_or_else(|| invalid(BAD_TOKEN))
}

pub fn encode_filter(k: EventKey) -> String {
    format!("n/{}", digits(k))
}

pub fn decode_filter(token: &str) -> Result<EventKey> {
    token
        .strip_prefix("n/")
        .and_then(parse_digits)
        .ok_or_else(|| invalid(BAD_TOKEN))
}

/// DescribeLogGroups: the last group name of the page.
pub fn encode_name(name: &str) -> String {
    format!("g/{}", URL_SAFE_NO_PAD.encode(name))
}

pub fn decode_name(token: &str) -> Result<String> {
    token
        .strip_prefix("g/")
        .and_then(|b| URL_SAFE_NO_PAD.decode(b).ok())
        .and_then(|v| String::from_utf8(v).ok())
        .ok_or_else(|| invalid(BAD_TOKEN))
}

/// DescribeLogStreams: the last stream of the page (its last event time
/// matters when ordering by it).
pub fn encode_stream_cursor(s: &LogStreamInfo) -> String {
    format!(
        "s/{}/{}",
        s.last_event_ms.unwrap_or(-1),
        URL_SAFE_NO_PAD.encode(&s.name)
    )
}

pub fn decode_stream_cursor(token: &str) -> Result<StreamCursor> {
    let parsed = token.strip_prefix("s/").and_then(|rest| {
        let (time, name) = rest.split_once('/')?;
        let name = String::from_utf8(URL_SAFE_NO_PAD.decode(name).ok()?).ok()?;
        Some(StreamCursor {
            last_event_ms: time.parse().ok()?,
            name,
        })
    });
    parsed.ok_or_else(|| invalid(BAD_TOKEN))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn positions_round_trip_and_keep_order() {
        let keys = [
            EventKey::default(),
            EventKey {
                timestamp_ms: -5,
                stream_key: 1,
                seq: 1,
            },
            EventKey {
                timestamp_ms: 1_700_000_000_000,
                stream_key: 42,
                seq: 7,
            },
            EventKey {
                timestamp_ms: i64::MAX,
                stream_key: i64::MAX,
                seq: i64::MAX,
            },
        ];
        for k in keys {
            for p in [Position::Forward(k), Position::Backward(k)] {
                assert_eq!(decode_position(&encode_position(p)).unwrap(), p);
            }
            assert_eq!(decode_filter(&encode_filter(k)).unwrap(), k);
        }
        let mut sorted = keys;
        sorted.sort_by_key(|k| digits(*k));
        assert_eq!(sorted[0].timestamp_ms, -5);
    }

    #[test]
    fn garbage_is_refused() {
        for t in ["", "f/", "f/123/s", "x/000/s", "n/abc", "g/!!", "s/x/abc"] {
            assert!(decode_position(t).is_err(), "{t}");
            assert!(decode_filter(t).is_err(), "{t}");
            assert!(decode_stream_cursor(t).is_err(), "{t}");
        }
        assert_eq!(decode_name(&encode_name("/aws/ü")).unwrap(), "/aws/ü");
    }
}
