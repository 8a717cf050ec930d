//! Text of constraint violations, in AWS's wording.
//!
//! AWS's validation layer is Java, and its messages show values the way Java
//! prints them: lists as `[a, b]`, maps as `{k=v}`, doubles as `1.0` or
//! `1.0E7`. Slipway copies that so clients that parse or compare messages see
//! what AWS would send (docs/contracts.md §1.4).

use std::fmt::{self, Display, Write};

use serde_json::{Number, Value};

use crate::check::Violation;
use crate::model::{ServiceModel, Shape, ShapeId, ShapeType};

/// Joins the clauses into the message of a `ValidationException`:
/// `1 validation error detected: <c>` or `N validation errors detected:
/// <c1>; <c2>`. Why public: the wire layer builds the error body from it.
pub fn aws_message(violations: &[Violation]) -> String {
    let n = violations.len();
    let mut out = format!(
        "{n} validation error{} detected: ",
        if n == 1 { "" } else { "s" }
    );
    for (i, v) in violations.iter().enumerate() {
        if i > 0 {
            out.push_str("; ");
        }
        out.push_str(&v.message);
    }
    out
}

pub(crate) fn join<T: Display>(items: &[T], sep: &str) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        let _ = write!(out, "{item}");
    }
    out
}

/// Bits of a failure mask, in the order AWS lists constraints.
pub(crate) const LEN_MAX: u8 = 1;
pub(crate) const LEN_MIN: u8 = 2;
pub(crate) const VAL_MAX: u8 = 4;
pub(crate) const VAL_MIN: u8 = 8;
pub(crate) const PATTERN: u8 = 16;
pub(crate) const ENUM: u8 = 32;
const ORDER: [u8; 6] = [LEN_MAX, LEN_MIN, VAL_MAX, VAL_MIN, PATTERN, ENUM];

/// A shape's constraint phrases, written once at load so a failing request
/// only formats its value and path.
#[derive(Debug, Default)]
pub(crate) struct Phrases {
    /// Indexed like [`ORDER`]; empty where the shape has no such constraint.
    each: [String; 6],
    /// All of them as `[p1, p2]`: how AWS describes a list element or map
    /// key/value that fails, whichever of its constraints failed.
    pub(crate) all: String,
}

impl Phrases {
    pub(crate) fn for_shape(shape: &Shape, min: Option<&Number>, max: Option<&Number>) -> Self {
        let mut each: [String; 6] = Default::default();
        let bound = |n: &Number| match shape.kind {
            ShapeType::Float | ShapeType::Double => n.as_f64().map_or(n.to_string(), java_double),
            _ => n.to_string(),
        };
        if let Some(n) = shape.len_max {
            each[0] = format!("Member must have length less than or equal to {n}");
        }
        if let Some(n) = shape.len_min {
            each[1] = format!("Member must have length greater than or equal to {n}");
        }
        if let (Some(n), Some(_)) = (max, &shape.max) {
            each[2] = format!("Member must have value less than or equal to {}", bound(n));
        }
        if let (Some(n), Some(_)) = (min, &shape.min) {
            each[3] = format!(
                "Member must have value greater than or equal to {}",
                bound(n)
            );
        }
        if let Some(p) = shape.pattern() {
            each[4] = format!("Member must satisfy regular expression pattern: {p}");
        }
        if !shape.enum_values().is_empty() {
            each[5] = format!(
                "Member must satisfy enum value set: [{}]",
                shape.enum_values().join(", ")
            );
        }
        let present: Vec<&str> = each
            .iter()
            .map(String::as_str)
            .filter(|s| !s.is_empty())
            .collect();
        let all = format!("[{}]", present.join(", "));
        Self { each, all }
    }

    /// The phrases for the bits set in `mask`, in AWS order.
    pub(crate) fn failed(&self, mask: u8) -> impl Iterator<Item = &str> {
        ORDER
            .iter()
            .zip(&self.each)
            .filter(move |(bit, text)| mask & **bit != 0 && !text.is_empty())
            .map(|(_, text)| text.as_str())
    }

    /// The bracket list for an element with `null` entries: AWS adds
    /// "Member must not be null" to it.
    pub(crate) fn all_with_not_null(&self) -> String {
        match self.all.as_str() {
            "[]" => "[Member must not be null]".to_owned(),
            all => format!("{}, Member must not be null]", &all[..all.len() - 1]),
        }
    }
}

/// Java's `Double.toString`: `0.0`, `0.25`, `1.0`, `1.0E7`, `1.5E-5`.
pub(crate) fn java_double(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    let a = x.abs();
    if (1e-3..1e7).contains(&a) {
        let s = format!("{x}");
        if s.contains('.') {
            s
        } else {
            s + ".0"
        }
    } else {
        let s = format!("{x:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.to_owned()
        } else {
            format!("{mantissa}.0")
        };
        format!("{mantissa}E{exp}")
    }
}

/// How a violation shows its value: `Value 'x'`, `Value null`, or `Value`
/// alone for sensitive shapes (and containers of sensitive elements).
pub(crate) fn value_prefix(
    model: &ServiceModel,
    shape: ShapeId,
    value: Option<&Value>,
    hide: bool,
) -> String {
    match value {
        None | Some(Value::Null) => "Value null".to_owned(),
        Some(_) if hide || model.shapes[shape].sensitive => "Value".to_owned(),
        Some(v) => {
            let mut out = String::from("Value '");
            java_value(model, Some(shape), v, &mut out);
            out.push('\'');
            out
        }
    }
}

/// What a sensitive value nested in a rendered container shows (the AWS SDK
/// for Java's wording; what AWS's server prints there is unknown).
const REDACTED: &str = "*** Sensitive Data Redacted ***";

/// Writes `v` the way Java's `toString` would for the modeled type.
fn java_value(model: &ServiceModel, shape: Option<ShapeId>, v: &Value, out: &mut String) {
    let shape = shape.map(|id| &model.shapes[id]);
    let kind = shape.map(|s| s.kind);
    if shape.is_some_and(|s| s.sensitive) && !v.is_null() {
        out.push_str(REDACTED);
        return;
    }
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Value::String(s) => out.push_str(s),
        Value::Number(n) => match (kind, n.as_f64()) {
            (Some(ShapeType::Float | ShapeType::Double), Some(f)) => out.push_str(&java_double(f)),
            (Some(ShapeType::Integer | ShapeType::Long), Some(f))
                if n.is_f64() && f.fract() == 0.0 && f.abs() < 9.2e18 =>
            {
                let _ = write!(out, "{}", f as i64);
            }
            _ => {
                let _ = write!(out, "{n}");
            }
        },
        Value::Array(items) => {
            let element = shape.and_then(|s| s.element);
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                java_value(model, element, item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            match shape {
                Some(s) if s.kind == ShapeType::Structure => {
                    let present = s
                        .members
                        .iter()
                        .filter_map(|m| map.get(m.name()).map(|v| (m, v)))
                        .filter(|(_, v)| !v.is_null());
                    for (i, (m, v)) in present.enumerate() {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        out.push_str(m.name());
                        out.push('=');
                        java_value(model, Some(m.target), v, out);
                    }
                }
                _ => {
                    let value_shape = shape.and_then(|s| s.value);
                    for (i, (k, v)) in map.iter().enumerate() {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        out.push_str(k);
                        out.push('=');
                        java_value(model, value_shape, v, out);
                    }
                }
            }
            out.push('}');
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (STYLE 6)
mod tests {
    use super::*;

    #[test]
    fn java_doubles() {
        assert_eq!(java_double(0.0), "0.0");
        assert_eq!(java_double(1.0), "1.0");
        assert_eq!(java_double(0.25), "0.25");
        assert_eq!(java_double(10_000_000.0), "1.0E7");
        assert_eq!(java_double(0.000_015), "1.5E-5");
        assert_eq!(java_double(-2.5), "-2.5");
    }

    #[test]
    fn message_counts_and_joins() {
        let v = |m: &str| Violation {
            path: "p".into(),
            message: m.into(),
            constraint: String::new(),
        };
        assert_eq!(aws_message(&[v("a")]), "1 validation error detected: a");
        assert_eq!(
            aws_message(&[v("a"), v("b")]),
            "2 validation errors detected: a; b"
        );
    }
}
