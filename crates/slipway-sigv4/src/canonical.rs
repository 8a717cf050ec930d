//! Building the canonical request and the signature from the request as it
//! arrived. Everything works on the raw bytes the client sent, because the
//! signature covers those, not our decoded view of them.

use hmac::{Hmac, Mac};
use http::HeaderMap;
use percent_encoding::{percent_decode, percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

use crate::UriEncoding;

type HmacSha256 = Hmac<Sha256>;

/// The SigV4 algorithm name, the only one we verify (SigV4a is not supported).
pub(crate) const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// RFC 3986 unreserved characters stay; everything else, including every
/// non-ASCII byte, is `%XX` with upper-case hex, as the SigV4 spec requires.
const AWS_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Like [`AWS_UNRESERVED`] but keeps `/`: used to encode a path as a whole.
const AWS_PATH: &AsciiSet = &AWS_UNRESERVED.remove(b'/');

/// Hex SHA-256, the form SigV4 uses for payload and canonical-request hashes.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn encode(bytes: &[u8]) -> String {
    percent_encode(bytes, AWS_UNRESERVED).to_string()
}

/// Canonical URIs the client may have signed, most likely first.
///
/// The first entry is the AWS rule applied to what the client meant:
/// `Double` normalises the path (dot segments, empty segments) and encodes
/// each decoded segment twice; `Single` (S3) encodes each decoded segment
/// once without normalising. For a path the SDKs encoded (everything but
/// unreserved characters as upper-case `%XX`) this equals what botocore and
/// aws-sigv4 compute, which is the raw path encoded once more (`Double`) or
/// the raw path verbatim (`Single`). A client that left, say, `!` or `:`
/// unencoded signs the latter, so when the two differ it is offered second.
/// Both describe the same decoded path, so accepting either lets nothing
/// else through.
pub(crate) fn canonical_uris(raw_path: &str, encoding: UriEncoding) -> Vec<String> {
    let (primary, signer_view) = match encoding {
        UriEncoding::Double => {
            let path = remove_dot_segments(raw_path);
            let primary = map_segments(&path, |seg| encode(&decode(seg)).replace('%', "%25"));
            (
                primary,
                percent_encode(path.as_bytes(), AWS_PATH).to_string(),
            )
        }
        UriEncoding::Single => {
            let path = if raw_path.is_empty() { "/" } else { raw_path };
            (
                map_segments(path, |seg| encode(&decode(seg))),
                path.to_owned(),
            )
        }
    };
    if primary == signer_view {
        vec![primary]
    } else {
        vec![primary, signer_view]
    }
}

fn decode(s: &str) -> Vec<u8> {
    percent_decode(s.as_bytes()).collect()
}

fn map_segments(path: &str, f: impl Fn(&str) -> String) -> String {
    path.split('/').map(f).collect::<Vec<_>>().join("/")
}

/// RFC 3986 §5.2.4 plus removal of empty segments, as the SDKs normalise
/// non-S3 paths before signing (botocore `remove_dot_segments`, aws-sigv4
/// `normalize_uri_path`). Keeps a trailing slash; an empty path becomes `/`.
pub(crate) fn remove_dot_segments(path: &str) -> String {
    if path.is_empty() {
        return "/".to_owned();
    }
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let first = if path.starts_with('/') { "/" } else { "" };
    let last = if path.ends_with('/') && !out.is_empty() {
        "/"
    } else {
        ""
    };
    let joined = format!("{first}{}{last}", out.join("/"));
    if joined.is_empty() {
        "/".to_owned()
    } else {
        joined
    }
}

/// Splits a raw query into decoded `(key, value)` pairs. `+` means a space,
/// as in form encoding (aws-sigv4 parses queries that way; botocore never
/// sends a bare `+`). Empty pieces (`a=1&&b=2`) are skipped, as aws-sigv4 does.
pub(crate) fn query_pairs(raw_query: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    raw_query
        .split('&')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
            (form_decode(k), form_decode(v))
        })
        .collect()
}

fn form_decode(s: &str) -> Vec<u8> {
    decode(&s.replace('+', " "))
}

/// The canonical query string: every pair decoded then re-encoded with the
/// AWS set, sorted by encoded key then encoded value. `skip_key` drops the
/// presigned `X-Amz-Signature`, which cannot sign itself.
pub(crate) fn canonical_query(raw_query: Option<&str>, skip_key: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = query_pairs(raw_query.unwrap_or(""))
        .into_iter()
        .filter(|(k, _)| skip_key.is_none_or(|skip| k.as_slice() != skip.as_bytes()))
        .map(|(k, v)| (encode(&k), encode(&v)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// `name:value\n` for each signed header, in the order the client listed
/// them. Repeated headers are joined with `,`; each value is trimmed and its
/// runs of spaces/tabs collapsed to one space. Values stay bytes: a header
/// may carry non-UTF-8 octets and the client signed those octets.
pub(crate) fn canonical_headers(headers: &HeaderMap, signed: &[String]) -> Vec<u8> {
    let mut out = Vec::new();
    for name in signed {
        let lower = name.to_ascii_lowercase();
        out.extend_from_slice(lower.as_bytes());
        out.push(b':');
        for (i, value) in headers.get_all(lower.as_str()).iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            push_normalised(&mut out, value.as_bytes());
        }
        out.push(b'\n');
    }
    out
}

fn push_normalised(out: &mut Vec<u8>, value: &[u8]) {
    let is_ws = |b: &u8| *b == b' ' || *b == b'\t';
    let mut pending_space = false;
    let mut started = false;
    for b in value {
        if is_ws(b) {
            pending_space = started;
        } else {
            if pending_space {
                out.push(b' ');
                pending_space = false;
            }
            out.push(*b);
            started = true;
        }
    }
}

/// The pieces of a canonical request that are not the URI.
pub(crate) struct CanonicalParts<'a> {
    pub method: &'a str,
    pub query: &'a str,
    pub headers: &'a [u8],
    pub signed_headers: &'a str,
    pub payload_hash: &'a str,
}

/// Joins the canonical request for one candidate URI.
pub(crate) fn canonical_request(parts: &CanonicalParts<'_>, uri: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + parts.headers.len());
    for piece in [parts.method, uri, parts.query] {
        out.extend_from_slice(piece.as_bytes());
        out.push(b'\n');
    }
    out.extend_from_slice(parts.headers);
    out.push(b'\n');
    out.extend_from_slice(parts.signed_headers.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(parts.payload_hash.as_bytes());
    out
}

/// `AWS4-HMAC-SHA256\n<amz-date>\n<scope>\n<hex sha256(canonical request)>`.
pub(crate) fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &[u8]) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request)
    )
}

fn hmac(key: &[u8], data: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(data);
    mac
}

/// The signing key: HMAC chain `"AWS4"+secret` → date → region → service → `aws4_request`.
pub(crate) fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let mut key = format!("AWS4{secret}").into_bytes();
    for part in [date, region, service, "aws4_request"] {
        key = hmac(&key, part.as_bytes()).finalize().into_bytes().to_vec();
    }
    key
}

/// Whether `provided` (raw signature bytes) is the HMAC of `string_to_sign`.
/// `verify_slice` compares in constant time, so timing reveals nothing about
/// how many leading bytes of a guess were right.
pub(crate) fn signature_matches(key: &[u8], string_to_sign: &str, provided: &[u8]) -> bool {
    hmac(key, string_to_sign.as_bytes())
        .verify_slice(provided)
        .is_ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap freely (STYLE.md §6)
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn dot_segments_and_empty_segments_are_removed() {
        for (input, want) in [
            ("", "/"),
            ("/", "/"),
            ("/a//b/", "/a/b/"),
            ("/a/./b/../c", "/a/c"),
            ("/../..", "/"),
            ("/a/..", "/"),
            (
                "/endpoints/my-ep/invocations",
                "/endpoints/my-ep/invocations",
            ),
        ] {
            assert_eq!(remove_dot_segments(input), want, "{input}");
        }
    }

    #[test]
    fn double_encoding_encodes_decoded_segments_twice() {
        assert_eq!(
            canonical_uris("/endpoints/my%20ep/invocations", UriEncoding::Double),
            vec!["/endpoints/my%2520ep/invocations"]
        );
        assert_eq!(canonical_uris("/", UriEncoding::Double), vec!["/"]);
        // A client that left ':' raw signs "%3A" (encoded once); we offer both.
        assert_eq!(
            canonical_uris("/a:b", UriEncoding::Double),
            vec!["/a%253Ab", "/a%3Ab"]
        );
    }

    #[test]
    fn single_encoding_keeps_the_path_shape() {
        assert_eq!(
            canonical_uris("/bucket/a%20b/%C3%A9//x/../y", UriEncoding::Single),
            vec!["/bucket/a%20b/%C3%A9//x/../y"]
        );
        assert_eq!(
            canonical_uris("/bucket/a!b", UriEncoding::Single),
            vec!["/bucket/a%21b", "/bucket/a!b"]
        );
        assert_eq!(canonical_uris("", UriEncoding::Single), vec!["/"]);
    }

    #[test]
    fn query_is_decoded_reencoded_and_sorted() {
        assert_eq!(
            canonical_query(Some("b=2&a=%7e+x&a=1&&c&X-Amz-Signature=zz"), None),
            "X-Amz-Signature=zz&a=1&a=~%20x&b=2&c="
        );
        assert_eq!(
            canonical_query(Some("b=2&X-Amz-Signature=zz"), Some("X-Amz-Signature")),
            "b=2"
        );
        assert_eq!(canonical_query(None, None), "");
    }

    #[test]
    fn header_values_are_trimmed_collapsed_and_joined() {
        let mut h = HeaderMap::new();
        h.append("x-a", HeaderValue::from_static("  one   two  "));
        h.append("x-a", HeaderValue::from_static("three"));
        h.insert("host", HeaderValue::from_static("example.com"));
        let got = canonical_headers(&h, &["host".to_owned(), "X-A".to_owned()]);
        assert_eq!(got, b"host:example.com\nx-a:one two,three\n");
    }

    #[test]
    fn signing_key_matches_the_aws_documentation_example() {
        // From "Examples of how to derive a signing key for Signature Version 4".
        let key = signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(key),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }
}
