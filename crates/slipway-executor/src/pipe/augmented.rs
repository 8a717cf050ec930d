//! Augmented manifest files in Pipe mode (`S3DataType=AugmentedManifestFile`,
//! docs/contracts.md §3.3): a JSON Lines file whose every line is an
//! object; for each line, the values of the channel's `AttributeNames`, in
//! that order, go down the FIFO, each as one record (one RecordIO record
//! with `RecordWrapperType=RecordIO`, else the bare bytes). An attribute
//! whose name ends in `-ref` holds an `s3://` URI: its object's bytes are
//! streamed; any other value is streamed as its text (a JSON string
//! without its quotes, anything else as compact JSON — AWS's rendering of
//! non-string values is unverified). Attributes not listed are ignored.
//!
//! A line's parts are [`InputObject`]s: a referenced object is read as the
//! job's account reads it, like any channel object, when it is streamed;
//! a value is one with no bucket and its bytes prefetched.

use crate::transfer::{self, DataError, InputObject, S3Uri};
use crate::JobData;
use bytes::Bytes;
use slipway_core::AccountId;

/// The largest augmented manifest read, as for a manifest file.
pub const MAX_MANIFEST_BYTES: u64 = 64 * 1024 * 1024;

/// Lines a manifest may hold: each becomes a few small records in memory.
pub const MAX_LINES: usize = 1_000_000;

/// The lines of the augmented manifest at `uri`, each as its parts.
pub async fn read_lines(
    data: &JobData,
    account: &AccountId,
    uri: &str,
    attributes: &[String],
) -> Result<Vec<Vec<InputObject>>, DataError> {
    let parsed = S3Uri::parse(uri)
        .ok_or_else(|| DataError::Invalid(format!("{uri} is not an s3:// URI")))?;
    let bytes = transfer::read_small(data, account, &parsed, MAX_MANIFEST_BYTES).await?;
    parse(&bytes, uri, attributes).map_err(DataError::Invalid)
}

/// Splits an augmented manifest into its lines' parts (blank lines are
/// skipped).
pub fn parse(
    bytes: &[u8],
    uri: &str,
    attributes: &[String],
) -> Result<Vec<Vec<InputObject>>, String> {
    let mut lines = Vec::new();
    for (n, line) in bytes.split(|b| *b == b'\n').enumerate() {
        let number = n + 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if lines.len() >= MAX_LINES {
            return Err(format!(
                "augmented manifest {uri} has more than {MAX_LINES} lines"
            ));
        }
        let at = |why: String| format!("augmented manifest {uri}, line {number}: {why}");
        let value: serde_json::Value =
            serde_json::from_slice(line).map_err(|e| at(format!("not JSON ({e})")))?;
        let object = value
            .as_object()
            .ok_or_else(|| at("not a JSON object".into()))?;
        let mut parts = Vec::with_capacity(attributes.len());
        for name in attributes {
            let v = object
                .get(name)
                .ok_or_else(|| at(format!("no attribute '{name}'")))?;
            parts.push(if name.ends_with("-ref") {
                let target = v
                    .as_str()
                    .and_then(S3Uri::parse)
                    .ok_or_else(|| at(format!("attribute '{name}' is not an s3:// URI")))?;
                InputObject {
                    relative: target.key.clone(),
                    bucket: target.bucket,
                    key: target.key,
                    size: 0,
                    listed_blob: None,
                    prefetched: None,
                }
            } else {
                let text = match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                InputObject {
                    bucket: String::new(),
                    key: format!("{uri} line {number} attribute {name}"),
                    size: text.len() as u64,
                    relative: String::new(),
                    listed_blob: None,
                    prefetched: Some(Bytes::from(text)),
                }
            });
        }
        lines.push(parts);
    }
    if lines.is_empty() {
        return Err(format!("augmented manifest {uri} has no lines"));
    }
    Ok(lines)
}

/// Whether `object` is a value of a line rather than an object to read.
pub fn is_inline(object: &InputObject) -> bool {
    object.bucket.is_empty() && object.prefetched.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn lines_give_their_listed_attributes_in_order() {
        let m = br#"{"source-ref": "s3://b/img/1.jpg", "class": "0", "other": 7}

{"class": 1, "source-ref": "s3://b/img/2.jpg", "meta": {"k": [1, 2]}}
"#;
        let lines = parse(m, "s3://b/m.json", &names(&["source-ref", "class"])).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            (lines[0][0].bucket.as_str(), lines[0][0].key.as_str()),
            ("b", "img/1.jpg")
        );
        assert!(!is_inline(&lines[0][0]));
        assert_eq!(lines[0][1].prefetched.as_deref(), Some(&b"0"[..]));
        assert!(is_inline(&lines[0][1]));
        assert_eq!(lines[1][0].key, "img/2.jpg");
        assert_eq!(lines[1][1].prefetched.as_deref(), Some(&b"1"[..]));
        let meta = parse(m, "s3://b/m.json", &names(&["class"])).unwrap();
        assert_eq!(meta[1][0].prefetched.as_deref(), Some(&b"1"[..]));
        let obj = parse(br#"{"meta": {"k": [1, 2]}}"#, "u", &names(&["meta"]));
        assert_eq!(
            obj.unwrap()[0][0].prefetched.as_deref(),
            Some(&br#"{"k":[1,2]}"#[..])
        );
    }

    #[test]
    fn bad_lines_are_named() {
        let attrs = names(&["source-ref"]);
        let err = |m: &[u8]| parse(m, "s3://b/m", &attrs).unwrap_err();
        assert_eq!(
            err(b"{\"source-ref\": \"s3://b/k\"}\nnot json\n"),
            "augmented manifest s3://b/m, line 2: not JSON (expected ident at line 1 column 2)"
        );
        assert_eq!(
            err(b"[1]"),
            "augmented manifest s3://b/m, line 1: not a JSON object"
        );
        assert_eq!(
            err(b"{\"class\": 1}"),
            "augmented manifest s3://b/m, line 1: no attribute 'source-ref'"
        );
        assert_eq!(
            err(b"{\"source-ref\": \"/etc/passwd\"}"),
            "augmented manifest s3://b/m, line 1: attribute 'source-ref' is not an s3:// URI"
        );
        assert_eq!(err(b"\n \n"), "augmented manifest s3://b/m has no lines");
    }
}
