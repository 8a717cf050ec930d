//! Small helpers for AWS JSON 1.1 bodies: reading members of an already
//! shape-checked request, and writing responses.

use crate::error::AwsError;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use slipway_core::time_util::{micros_to_epoch_seconds, Micros};

/// A request body: always a JSON object after decoding.
pub struct Input(pub Map<String, Value>);

impl Input {
    /// Reads a body as a JSON object; anything else is a `SerializationException`.
    pub fn decode(body: &[u8]) -> Result<Self, AwsError> {
        // Operations without input still send `{}`; treat an empty body the same.
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(Map::new()));
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(m)) => Ok(Self(m)),
            Ok(_) => Err(AwsError::serialization(
                "The request body must be a JSON object.",
            )),
            Err(e) => Err(AwsError::serialization(format!(
                "The request body is not valid JSON: {e}"
            ))),
        }
    }

    /// The body as one JSON value, for the model check and the typed decode.
    pub fn as_value(&self) -> Value {
        Value::Object(self.0.clone())
    }

    fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    /// Tags as (key, value) pairs.
    pub fn tags(&self, name: &str) -> Vec<(String, String)> {
        self.get(name)
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|t| {
                        Some((
                            t.get("Key")?.as_str()?.to_owned(),
                            t.get("Value")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_owned(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Decodes a shape-checked request body into its generated request type.
/// The check already refused what AWS refuses, so a failure here is a shape
/// the typed request cannot hold; unknown members are ignored.
pub fn decode<T: DeserializeOwned>(input: Value) -> Result<T, AwsError> {
    serde_json::from_value(input)
        .map_err(|e| AwsError::serialization(format!("Cannot read the request: {e}")))
}

/// Serializes a generated response shape to the response text.
pub fn encode<T: serde::Serialize>(shape: &T) -> Result<Reply, AwsError> {
    serde_json::to_string(shape).map(Reply::Text).map_err(|e| {
        tracing::error!(error = %e, "encoding a response");
        AwsError::internal()
    })
}

/// Deserializers for the generated shapes, as lenient as the model check:
/// integers may be written `5.0`, timestamps as epoch seconds or ISO-8601.
pub mod de {
    use serde::de::Error;
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    fn int_of<E: Error>(v: &Value) -> Result<i64, E> {
        v.as_i64()
            .or_else(|| {
                v.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.2e18)
                    .map(|f| f as i64)
            })
            .ok_or_else(|| E::custom(format!("expected an integer, found {v}")))
    }

    fn timestamp_of<E: Error>(v: &Value) -> Result<f64, E> {
        if let Some(n) = v.as_f64() {
            return Ok(n);
        }
        let s = v.as_str().unwrap_or_default();
        let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .map_err(|_| E::custom(format!("not a valid timestamp: '{s}'")))?;
        Ok(t.unix_timestamp_nanos() as f64 / 1e9)
    }

    /// A required integer.
    pub fn int<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        int_of(&Value::deserialize(d)?)
    }

    /// An optional integer.
    pub fn opt_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            v => int_of(&v).map(Some),
        }
    }

    /// A required timestamp, as epoch seconds.
    pub fn timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        timestamp_of(&Value::deserialize(d)?)
    }

    /// An optional timestamp, as epoch seconds.
    pub fn opt_timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            v => timestamp_of(&v).map(Some),
        }
    }
}

/// Epoch seconds, as SageMaker encodes timestamps.
pub fn ts(m: Micros) -> Value {
    serde_json::json!(micros_to_epoch_seconds(m))
}

/// A successful body: a JSON value, or text already serialized from typed
/// wire shapes (listings serialize up to 100 summaries straight to text
/// instead of building a map per item first).
pub enum Reply {
    /// A built value (echoed documents).
    Value(Value),
    /// Text serialized from a generated shape.
    Text(String),
}

impl From<Value> for Reply {
    fn from(v: Value) -> Self {
        Self::Value(v)
    }
}

/// A successful response.
pub fn ok(body: Reply) -> Response {
    let text = match body {
        Reply::Value(v) => v.to_string(),
        Reply::Text(t) => t,
    };
    let mut r = (StatusCode::OK, text).into_response();
    r.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    r
}

/// Builds an object from (name, value) pairs, leaving out nulls: AWS
/// omits members without a value rather than sending null.
pub fn object<I: IntoIterator<Item = (&'static str, Value)>>(members: I) -> Value {
    Value::Object(
        members
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

/// Merges a stored document's members into a response object.
pub fn merge(mut base: Value, extra: Value) -> Value {
    if let (Value::Object(b), Value::Object(e)) = (&mut base, extra) {
        for (k, v) in e {
            b.entry(k).or_insert(v);
        }
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The decoder never panics, whatever bytes arrive; it either yields
        /// an object or a SerializationException.
        #[test]
        fn decode_never_panics(body in proptest::collection::vec(any::<u8>(), 0..512)) {
            match Input::decode(&body) {
                Ok(input) => { let _ = input.0.len(); }
                Err(e) => prop_assert_eq!(e.code, "SerializationException"),
            }
        }

        /// Arbitrary JSON text (structured enough to parse) through every
        /// member accessor: wrong types come back as errors or `None`.
        #[test]
        fn accessors_never_panic(s in "[{}\\[\\]\":,0-9a-zA-Z. -]{0,200}") {
            if let Ok(input) = Input::decode(s.as_bytes()) {
                for name in ["A", "Tags", "CreationTimeAfter", "MaxResults", ""] {
                    let _ = input.tags(name);
                }
            }
        }
    }

    #[test]
    fn empty_body_is_an_empty_object_and_non_objects_are_refused() {
        assert!(Input::decode(b"").unwrap().0.is_empty());
        assert!(Input::decode(b" \n").unwrap().0.is_empty());
        assert_eq!(
            Input::decode(b"[]").err().unwrap().code,
            "SerializationException"
        );
        assert_eq!(
            Input::decode(b"{\"a\":").err().unwrap().code,
            "SerializationException"
        );
    }

    #[derive(serde::Deserialize)]
    struct Shape {
        #[serde(default, deserialize_with = "de::opt_timestamp")]
        t: Option<f64>,
        #[serde(default, deserialize_with = "de::opt_int")]
        n: Option<i64>,
    }

    fn shape(body: &str) -> Result<Shape, AwsError> {
        decode(serde_json::from_str(body).unwrap())
    }

    #[test]
    fn timestamps_accept_numbers_and_iso_8601() {
        assert_eq!(
            shape(r#"{"t": 1700000000}"#).unwrap().t,
            Some(1_700_000_000.0)
        );
        assert_eq!(
            shape(r#"{"t": 1700000000.5}"#).unwrap().t,
            Some(1_700_000_000.5)
        );
        assert_eq!(
            shape(r#"{"t": "2023-11-14T22:13:20Z"}"#).unwrap().t,
            Some(1_700_000_000.0)
        );
        assert_eq!(shape(r#"{"t": null}"#).unwrap().t, None);
        assert_eq!(shape("{}").unwrap().t, None);
        assert_eq!(
            shape(r#"{"t": "soon"}"#).err().unwrap().code,
            "SerializationException"
        );
    }

    #[test]
    fn integers_may_be_written_as_whole_floats() {
        assert_eq!(shape(r#"{"n": 5}"#).unwrap().n, Some(5));
        assert_eq!(shape(r#"{"n": 5.0}"#).unwrap().n, Some(5));
        assert_eq!(
            shape(r#"{"n": 5.5}"#).err().unwrap().code,
            "SerializationException"
        );
    }
}
