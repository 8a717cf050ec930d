//! Checks a request body against an operation's input shape, the way AWS
//! does before any handler runs.
//!
//! Two kinds of failure, as on the real service:
//! - a member of the wrong JSON type (or a body that is not an object) is a
//!   serialization failure: AWS could not even read the request, so the first
//!   one found is returned alone (`SerializationException`);
//! - otherwise every broken constraint is collected, in model member order,
//!   one clause each (`ValidationException`, docs/contracts.md §1.4).
//!
//! Scalar list elements, map keys and map values are reported once per
//! container, at the container's path, as AWS does:
//! `Member must satisfy constraint: [<every element constraint>]`,
//! `Map keys must satisfy constraint: [...]`, `Map value must satisfy
//! constraint: [...]`. Structures inside lists are reported at
//! `<list>.<n>.member.<field>`, inside maps at `<map>.<key>.<field>`.

use serde_json::Value;

use crate::model::{ServiceModel, Shape, ShapeId, ShapeType};
use crate::render::{self, value_prefix, ENUM, LEN_MAX, LEN_MIN, PATTERN, VAL_MAX, VAL_MIN};

/// One broken constraint. Why both fields: `path` lets callers (and tests)
/// find a violation without parsing; `message` is the exact clause AWS
/// sends, e.g. `Value 'x' at 'trainingJobName' failed to satisfy constraint:
/// Member must satisfy regular expression pattern: ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// lowerCamel member path, e.g. `tags.1.member.key`.
    pub path: String,
    /// The whole clause, ready for [`crate::aws_message`].
    pub message: String,
    /// The constraint alone (`Member must ...`), for services that word
    /// their messages otherwise (ECR's `InvalidParameterException`).
    pub constraint: String,
}

/// Why a request body was refused. The wire layer maps each variant to one
/// AWS error code; this crate knows no HTTP.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// A member has the wrong JSON type, or the body is not a JSON object.
    /// AWS: `SerializationException`.
    #[error("{0}")]
    Serialization(String),
    /// One or more constraint violations, in report order.
    /// AWS: `ValidationException` with [`crate::aws_message`] as the text.
    #[error("{}", render::aws_message(.0))]
    Constraints(Vec<Violation>),
    /// The model has no such operation. AWS: `UnknownOperationException`.
    #[error("unknown operation {0}")]
    UnknownOperation(String),
}

/// Deeper than any SageMaker shape; stops a recursive model from recursing
/// without end on hostile input.
const MAX_DEPTH: usize = 64;

impl ServiceModel {
    /// Checks `input` (the parsed request body) against `op`'s input shape.
    /// JSON `null` counts as absent; members the model does not know are
    /// ignored. Never panics, whatever the input.
    pub fn check_input(&self, op: &str, input: &Value) -> Result<(), InputError> {
        let operation = self
            .operation(op)
            .ok_or_else(|| InputError::UnknownOperation(op.to_owned()))?;
        if !input.is_object() {
            return Err(InputError::Serialization(format!(
                "Request body must be a JSON object, got {}",
                json_kind(input)
            )));
        }
        let Some(shape) = operation.input_id else {
            return Ok(());
        };
        let mut checker = Checker {
            model: self,
            path: Vec::new(),
            found: Vec::new(),
        };
        checker.check(shape, input)?;
        if checker.found.is_empty() {
            return Ok(());
        }
        let violations = checker
            .found
            .into_iter()
            .map(|f| {
                let phrase = match f.phrase {
                    Phrase::NotNull => "Member must not be null",
                    Phrase::Text(t) => t,
                    Phrase::Owned(ref t) => t,
                };
                let message = format!(
                    "{} at '{}' failed to satisfy constraint: {phrase}",
                    value_prefix(self, f.shape, f.value, f.hide),
                    f.path
                );
                Violation {
                    path: f.path,
                    message,
                    constraint: phrase.to_owned(),
                }
            })
            .collect();
        Err(InputError::Constraints(violations))
    }
}

#[derive(Clone, Copy)]
enum Seg<'a> {
    Member(&'a str),
    Index(usize),
    Key(&'a str),
}

enum Phrase<'a> {
    NotNull,
    Text(&'a str),
    Owned(String),
}

/// A violation before its value is rendered: rendering waits until the
/// whole body is known to deserialize.
struct Found<'a> {
    path: String,
    value: Option<&'a Value>,
    shape: ShapeId,
    /// Leave the value out even though `shape` is not sensitive (its
    /// elements are).
    hide: bool,
    phrase: Phrase<'a>,
}

struct Checker<'a> {
    model: &'a ServiceModel,
    path: Vec<Seg<'a>>,
    found: Vec<Found<'a>>,
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

impl<'a> Checker<'a> {
    fn path_string(&self) -> String {
        let mut out = String::new();
        for (i, seg) in self.path.iter().enumerate() {
            if i > 0 {
                out.push('.');
            }
            match seg {
                Seg::Member(name) | Seg::Key(name) => out.push_str(name),
                Seg::Index(n) => {
                    out.push_str(&(n + 1).to_string());
                    out.push_str(".member");
                }
            }
        }
        out
    }

    fn report(&mut self, shape: ShapeId, value: Option<&'a Value>, phrase: Phrase<'a>) {
        self.report_hidden(shape, value, false, phrase);
    }

    fn report_hidden(
        &mut self,
        shape: ShapeId,
        value: Option<&'a Value>,
        hide: bool,
        phrase: Phrase<'a>,
    ) {
        let path = self.path_string();
        self.found.push(Found {
            path,
            value,
            shape,
            hide,
            phrase,
        });
    }

    fn type_error(&self, expected: &str, got: &str) -> InputError {
        InputError::Serialization(format!(
            "Unexpected value type for '{}': expected {expected}, got {got}",
            self.path_string()
        ))
    }

    fn check(&mut self, id: ShapeId, value: &'a Value) -> Result<(), InputError> {
        if self.path.len() > MAX_DEPTH {
            return Err(InputError::Serialization(format!(
                "Input nested too deeply at '{}'",
                self.path_string()
            )));
        }
        let model = self.model;
        let shape = &model.shapes[id];
        if shape.document {
            // Free-form JSON: its meaning is the caller's (change-type
            // details are checked by the service that reads them).
            return Ok(());
        }
        match shape.kind {
            ShapeType::Structure => {
                let Some(obj) = value.as_object() else {
                    return Err(self.type_error("structure", json_kind(value)));
                };
                for m in &shape.members {
                    self.path.push(Seg::Member(&m.path_name));
                    match obj.get(m.name()) {
                        None | Some(Value::Null) => {
                            if m.is_required() {
                                self.report(m.target, None, Phrase::NotNull);
                            }
                        }
                        Some(child) => self.check(m.target, child)?,
                    }
                    self.path.pop();
                }
            }
            ShapeType::List => {
                let Some(items) = value.as_array() else {
                    return Err(self.type_error("list", json_kind(value)));
                };
                self.size(id, shape, value, items.len());
                if let Some(el) = shape.element {
                    self.elements(
                        el,
                        items.iter().enumerate().map(|(i, v)| (Seg::Index(i), v)),
                        (id, value, "Member must satisfy constraint: "),
                    )?;
                }
            }
            ShapeType::Map => {
                let Some(map) = value.as_object() else {
                    return Err(self.type_error("map", json_kind(value)));
                };
                self.size(id, shape, value, map.len());
                if let Some(key) = shape.key {
                    let key_shape = &model.shapes[key];
                    let bad = key_shape.kind == ShapeType::String
                        && map.keys().any(|k| string_failures(key_shape, k) != 0);
                    if bad {
                        let text = format!(
                            "Map keys must satisfy constraint: {}",
                            key_shape.phrases.all
                        );
                        let hide = key_shape.sensitive;
                        self.report_hidden(id, Some(value), hide, Phrase::Owned(text));
                    }
                }
                if let Some(val) = shape.value {
                    self.elements(
                        val,
                        map.iter().map(|(k, v)| (Seg::Key(k.as_str()), v)),
                        (id, value, "Map value must satisfy constraint: "),
                    )?;
                }
            }
            _ => {
                let mask = self.scalar(shape, value)?;
                for text in shape.phrases.failed(mask) {
                    self.report(id, Some(value), Phrase::Text(text));
                }
            }
        }
        Ok(())
    }

    /// Length of a list or map.
    fn size(&mut self, id: ShapeId, shape: &'a Shape, value: &'a Value, len: usize) {
        let len = len as u64;
        let mut mask = 0;
        if shape.len_max.is_some_and(|max| len > max) {
            mask |= LEN_MAX;
        }
        if shape.len_min.is_some_and(|min| len < min) {
            mask |= LEN_MIN;
        }
        for text in shape.phrases.failed(mask) {
            self.report(id, Some(value), Phrase::Text(text));
        }
    }

    /// List elements or map values: compound ones are checked in place,
    /// scalar ones are reported together against their container.
    fn elements(
        &mut self,
        el: ShapeId,
        items: impl Iterator<Item = (Seg<'a>, &'a Value)>,
        (container, container_value, prefix): (ShapeId, &'a Value, &str),
    ) -> Result<(), InputError> {
        let el_shape = &self.model.shapes[el];
        let (mut failed, mut null) = (false, false);
        for (seg, item) in items {
            self.path.push(seg);
            if item.is_null() {
                if el_shape.kind.is_compound() {
                    self.report(el, None, Phrase::NotNull);
                }
                null = true;
            } else if el_shape.kind.is_compound() {
                self.check(el, item)?;
            } else {
                failed |= self.scalar(el_shape, item)? != 0;
            }
            self.path.pop();
        }
        if !el_shape.kind.is_compound() && (failed || null) {
            let all = match null {
                true => el_shape.phrases.all_with_not_null(),
                false => el_shape.phrases.all.clone(),
            };
            let text = format!("{prefix}{all}");
            let hide = el_shape.sensitive;
            self.report_hidden(container, Some(container_value), hide, Phrase::Owned(text));
        }
        Ok(())
    }

    /// Type-checks a scalar and returns the mask of constraints it breaks.
    fn scalar(&self, shape: &Shape, value: &Value) -> Result<u8, InputError> {
        let kind = shape.kind;
        match (kind, value) {
            (ShapeType::String, Value::String(s)) => Ok(string_failures(shape, s)),
            (ShapeType::Boolean, Value::Bool(_)) => Ok(0),
            (ShapeType::Timestamp, Value::Number(_)) => Ok(0),
            (ShapeType::Timestamp, Value::String(s)) if is_iso8601(s) => Ok(0),
            (ShapeType::Blob, Value::String(s)) => match base64_len(s) {
                Some(n) => Ok(length_failures(shape, n as u64)),
                None => Err(self.type_error("blob (base64)", "string that is not base64")),
            },
            (ShapeType::Integer | ShapeType::Long, Value::Number(n)) => {
                let int = n
                    .as_i64()
                    .map(i128::from)
                    .or_else(|| n.as_u64().map(i128::from))
                    .or_else(|| {
                        n.as_f64()
                            .filter(|f| f.fract() == 0.0 && f.abs() < 1e19)
                            .map(|f| f as i128)
                    });
                let Some(int) = int else {
                    return Err(self.type_error(kind.as_str(), "number with a fractional part"));
                };
                let fits = match kind {
                    ShapeType::Integer => i32::try_from(int).is_ok(),
                    _ => i64::try_from(int).is_ok(),
                };
                if !fits {
                    return Err(self.type_error(kind.as_str(), "number out of range"));
                }
                let mut mask = 0;
                if shape.max.as_ref().is_some_and(|b| match b.int {
                    Some(max) => int > max,
                    None => int as f64 > b.float,
                }) {
                    mask |= VAL_MAX;
                }
                if shape.min.as_ref().is_some_and(|b| match b.int {
                    Some(min) => int < min,
                    None => (int as f64) < b.float,
                }) {
                    mask |= VAL_MIN;
                }
                Ok(mask)
            }
            (ShapeType::Float | ShapeType::Double, Value::Number(n)) => {
                let f = n.as_f64().unwrap_or(f64::NAN);
                let mut mask = 0;
                if shape.max.as_ref().is_some_and(|b| f > b.float) {
                    mask |= VAL_MAX;
                }
                if shape.min.as_ref().is_some_and(|b| f < b.float) {
                    mask |= VAL_MIN;
                }
                Ok(mask)
            }
            (ShapeType::Timestamp, Value::String(_)) => {
                Err(self.type_error("timestamp", "string that is not ISO-8601"))
            }
            _ => Err(self.type_error(kind.as_str(), json_kind(value))),
        }
    }
}

fn length_failures(shape: &Shape, len: u64) -> u8 {
    let mut mask = 0;
    if shape.len_max.is_some_and(|max| len > max) {
        mask |= LEN_MAX;
    }
    if shape.len_min.is_some_and(|min| len < min) {
        mask |= LEN_MIN;
    }
    mask
}

/// Length in code points, pattern, enum.
fn string_failures(shape: &Shape, s: &str) -> u8 {
    let mut mask = 0;
    if shape.len_min.is_some() || shape.len_max.is_some() {
        mask |= length_failures(shape, s.chars().count() as u64);
    }
    if shape.pattern.as_ref().is_some_and(|p| !p.is_match(s)) {
        mask |= PATTERN;
    }
    if !shape.enum_set.is_empty() && !shape.enum_set.contains(s) {
        mask |= ENUM;
    }
    mask
}

/// Decoded length of standard base64 (padding optional), or `None` if `s`
/// is not base64.
fn base64_len(s: &str) -> Option<usize> {
    let body = s.trim_end_matches('=');
    let pad = s.len() - body.len();
    let ok = pad <= 2
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/');
    let rem = body.len() % 4;
    if !ok || rem == 1 || (pad > 0 && s.len() & 3 != 0) {
        return None;
    }
    Some(body.len() / 4 * 3 + rem.saturating_sub(1))
}

/// `YYYY-MM-DD[Thh:mm[:ss[.fff]]][Z|±hh[:mm]]`, the forms botocore and
/// common clients send.
fn is_iso8601(s: &str) -> bool {
    fn digits(s: &[u8], n: usize) -> Option<(u32, &[u8])> {
        if s.len() < n || !s[..n].iter().all(u8::is_ascii_digit) {
            return None;
        }
        let v = s[..n]
            .iter()
            .fold(0u32, |a, d| a * 10 + u32::from(d - b'0'));
        Some((v, &s[n..]))
    }
    fn lit(s: &[u8], c: u8) -> Option<&[u8]> {
        s.first().filter(|&&b| b == c).map(|_| &s[1..])
    }
    fn parse(s: &[u8]) -> Option<()> {
        let (_, s) = digits(s, 4)?;
        let (month, s) = digits(lit(s, b'-')?, 2)?;
        let (day, s) = digits(lit(s, b'-')?, 2)?;
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return None;
        }
        let Some((&sep, rest)) = s.split_first() else {
            return Some(());
        };
        if !matches!(sep, b'T' | b't' | b' ') {
            return None;
        }
        let (hour, s) = digits(rest, 2)?;
        let (minute, mut s) = digits(lit(s, b':')?, 2)?;
        if hour > 23 || minute > 59 {
            return None;
        }
        if let Some(rest) = lit(s, b':') {
            let (sec, rest) = digits(rest, 2)?;
            if sec > 60 {
                return None;
            }
            s = rest;
            if let Some(rest) = lit(s, b'.') {
                let n = rest.iter().take_while(|b| b.is_ascii_digit()).count();
                if n == 0 {
                    return None;
                }
                s = &rest[n..];
            }
        }
        match s.split_first() {
            None => Some(()),
            Some((b'Z' | b'z', [])) => Some(()),
            Some((b'+' | b'-', rest)) => {
                let (_, rest) = digits(rest, 2)?;
                let rest = lit(rest, b':').unwrap_or(rest);
                match rest {
                    [] => Some(()),
                    _ => digits(rest, 2).filter(|(_, r)| r.is_empty()).map(|_| ()),
                }
            }
            _ => None,
        }
    }
    parse(s.as_bytes()).is_some()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (STYLE 6)
#[path = "check_tests.rs"]
mod tests;
