//! Smithy RPC v2 CBOR bodies <-> the JSON values the model checker and the
//! generated wire layer work on (the Marketplace Agreement API and
//! CloudWatch metrics). The codec is ciborium; what is written by
//! hand here is only the mapping, which the protocol fixes: timestamps
//! travel as tag 1 (epoch seconds), and botocore's CBOR parser turns only
//! tagged numbers into datetimes, so an answer is encoded with the output
//! shape in hand to know which numbers are timestamps.

use ciborium::Value as Cbor;
use serde_json::{Map, Number, Value};
use slipway_botocore::{ServiceModel, ShapeType};

/// The CBOR tag for epoch-based date/time (RFC 8949 §3.4.2).
const EPOCH_TAG: u64 = 1;

/// Nesting allowed in a request body: far more than any Agreement or
/// CloudWatch input has (four levels), and bounded so hostile input cannot recurse deeply.
const MAX_DEPTH: usize = 32;

/// Decodes a request body. An empty body is an empty input, as botocore
/// sends none for an operation without members.
pub fn decode(body: &[u8]) -> Result<Value, String> {
    if body.is_empty() {
        return Ok(Value::Object(Map::new()));
    }
    let mut reader = body;
    let v: Cbor = ciborium::de::from_reader_with_recursion_limit(&mut reader, MAX_DEPTH)
        .map_err(|e| format!("The request body is not valid CBOR: {e}"))?;
    if !reader.is_empty() {
        return Err("The request body has bytes after its CBOR data item.".to_owned());
    }
    to_json(v)
}

fn to_json(v: Cbor) -> Result<Value, String> {
    Ok(match v {
        Cbor::Null => Value::Null,
        Cbor::Bool(b) => Value::Bool(b),
        Cbor::Text(s) => Value::String(s),
        Cbor::Integer(i) => {
            let i = i128::from(i);
            if let Ok(n) = i64::try_from(i) {
                Value::Number(n.into())
            } else if let Ok(n) = u64::try_from(i) {
                Value::Number(n.into())
            } else {
                return Err(format!("The integer {i} is out of range."));
            }
        }
        Cbor::Float(f) => Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| format!("The number {f} is not finite."))?,
        Cbor::Tag(EPOCH_TAG, inner) => match *inner {
            n @ (Cbor::Integer(_) | Cbor::Float(_)) => to_json(n)?,
            _ => return Err("A timestamp (tag 1) must hold a number.".to_owned()),
        },
        Cbor::Tag(t, _) => return Err(format!("CBOR tag {t} is not supported.")),
        Cbor::Bytes(_) => {
            return Err("Byte strings are not expected in this API's requests.".to_owned())
        }
        Cbor::Array(items) => {
            Value::Array(items.into_iter().map(to_json).collect::<Result<_, _>>()?)
        }
        Cbor::Map(pairs) => {
            let mut o = Map::new();
            for (k, v) in pairs {
                let Cbor::Text(k) = k else {
                    return Err("Map keys must be text strings.".to_owned());
                };
                o.insert(k, to_json(v)?);
            }
            Value::Object(o)
        }
        // Values a newer ciborium may add.
        _ => return Err("Unsupported CBOR value.".to_owned()),
    })
}

/// Encodes an answer of `shape` (a structure of `model`).
pub fn encode(model: &ServiceModel, shape: Option<&str>, v: &Value) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(&to_cbor(model, shape, v), &mut out)
        .map_err(|e| format!("encoding CBOR: {e}"))?;
    Ok(out)
}

fn number(n: &Number) -> Cbor {
    if let Some(i) = n.as_i64() {
        Cbor::Integer(i.into())
    } else if let Some(u) = n.as_u64() {
        Cbor::Integer(u.into())
    } else {
        Cbor::Float(n.as_f64().unwrap_or_default())
    }
}

fn to_cbor(model: &ServiceModel, shape: Option<&str>, v: &Value) -> Cbor {
    let shape = shape.and_then(|s| model.shape(s));
    let ty = shape.map(|s| s.shape_type());
    match v {
        Value::Null => Cbor::Null,
        Value::Bool(b) => Cbor::Bool(*b),
        Value::String(s) => Cbor::Text(s.clone()),
        Value::Number(n) if ty == Some(ShapeType::Timestamp) => {
            Cbor::Tag(EPOCH_TAG, Box::new(number(n)))
        }
        Value::Number(n) => number(n),
        Value::Array(items) => {
            let member = shape.and_then(|s| s.member_shape());
            Cbor::Array(items.iter().map(|i| to_cbor(model, member, i)).collect())
        }
        Value::Object(o) => Cbor::Map(
            o.iter()
                .map(|(k, v)| {
                    let inner = match ty {
                        Some(ShapeType::Map) => shape.and_then(|s| s.value_shape()),
                        _ => shape.and_then(|s| {
                            s.members()
                                .iter()
                                .find(|m| m.name() == k)
                                .map(|m| m.shape())
                        }),
                    };
                    (Cbor::Text(k.clone()), to_cbor(model, inner, v))
                })
                .collect(),
        ),
    }
}

/// A Smithy RPC v2 CBOR answer: the body with its content type and the
/// protocol header clients check.
pub fn response(status: axum::http::StatusCode, body: Vec<u8>) -> axum::response::Response {
    use axum::http::HeaderValue;
    use axum::response::IntoResponse;
    let mut resp = (status, body).into_response();
    let h = resp.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/cbor"));
    h.insert("smithy-protocol", HeaderValue::from_static("rpc-v2-cbor"));
    resp
}

/// An error as RPC v2 CBOR writes it: a map with `__type` and `message`,
/// and the code in `x-amzn-errortype`.
pub fn error_response(
    model: &ServiceModel,
    e: &slipway_wire_core::error::AwsError,
) -> axum::response::Response {
    let body = serde_json::json!({"__type": e.code, "message": e.message});
    let bytes = encode(model, None, &body).unwrap_or_default();
    let mut resp = response(e.status, bytes);
    if let Ok(v) = axum::http::HeaderValue::from_str(e.code) {
        resp.headers_mut().insert("x-amzn-errortype", v);
    }
    resp
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (STYLE 6)
mod tests {
    use super::*;
    use serde_json::json;

    fn cbor(v: &Cbor) -> Vec<u8> {
        let mut out = Vec::new();
        ciborium::ser::into_writer(v, &mut out).unwrap();
        out
    }

    #[test]
    fn timestamps_of_the_output_shape_are_tagged_and_others_are_not() {
        let m = slipway_botocore::agreement();
        let answer = json!({"agreementId": "agmt-1", "startTime": 1_700_000_000.5,
            "acceptor": {"accountId": "123456789012"}});
        let bytes = encode(m, Some("DescribeAgreementOutput"), &answer).unwrap();
        let back: Cbor = ciborium::de::from_reader(&bytes[..]).unwrap();
        let Cbor::Map(pairs) = back else {
            panic!("{back:?}")
        };
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(x, _)| x == &Cbor::Text(k.into()))
                .map(|(_, v)| v.clone())
        };
        assert_eq!(
            get("startTime"),
            Some(Cbor::Tag(1, Box::new(Cbor::Float(1_700_000_000.5))))
        );
        assert_eq!(get("agreementId"), Some(Cbor::Text("agmt-1".into())));
    }

    #[test]
    fn requests_decode_to_json_with_timestamps_as_numbers() {
        let v = Cbor::Map(vec![
            (Cbor::Text("maxResults".into()), Cbor::Integer(5.into())),
            (
                Cbor::Text("t".into()),
                Cbor::Tag(1, Box::new(Cbor::Integer(1_700_000_000.into()))),
            ),
            (
                Cbor::Text("filters".into()),
                Cbor::Array(vec![Cbor::Null, Cbor::Bool(true)]),
            ),
        ]);
        let j = decode(&cbor(&v)).unwrap();
        assert_eq!(
            j,
            json!({"maxResults": 5, "t": 1_700_000_000, "filters": [null, true]})
        );
        assert_eq!(decode(b"").unwrap(), json!({}));
    }

    #[test]
    fn hostile_bodies_are_refused_not_panicked_on() {
        assert!(decode(b"\xff\x00").is_err());
        let bad_key = Cbor::Map(vec![(Cbor::Integer(1.into()), Cbor::Null)]);
        assert!(decode(&cbor(&bad_key)).is_err());
        let tag = Cbor::Tag(32, Box::new(Cbor::Text("http://x".into())));
        assert!(decode(&cbor(&tag)).is_err());
        let mut trailing = cbor(&Cbor::Null);
        trailing.push(0);
        assert!(decode(&trailing).is_err());
        // Deep nesting stops at the limit.
        let mut deep = vec![0x81u8; 10_000];
        deep.push(0xf6);
        assert!(decode(&deep).is_err());
        // A length far beyond the body.
        assert!(decode(b"\x7b\xff\xff\xff\xff\xff\xff\xff\xff").is_err());
    }
}
