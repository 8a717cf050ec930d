//! The JSONPath subset of DataProcessing filters (CONTRACT §5.6): `$`,
//! `.name`, `*`, `['a','b']`, `[n]`, `[n,m]` (negative from the end) and
//! slices whose end is **inclusive**, as the SageMaker developer guide
//! describes them (why we evaluate paths ourselves: see `filters.rs`).

use serde_json::{Map, Value};

/// One step of a parsed JSONPath.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// `.name`, `['name']`
    Child(String),
    /// `['a','b']`: an object with just those keys.
    Children(Vec<String>),
    /// `.*`, `[*]`
    Wildcard,
    /// `[n]`
    Index(i64),
    /// `[n,m,…]`
    Indexes(Vec<i64>),
    /// `[s:e]` with an **inclusive** end.
    Slice(Option<i64>, Option<i64>),
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let join = |v: &[i64]| v.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let opt = |v: &Option<i64>| v.map(|n| n.to_string()).unwrap_or_default();
        match self {
            Self::Child(n) => write!(f, ".{n}"),
            Self::Children(ns) => write!(
                f,
                "[{}]",
                ns.iter()
                    .map(|n| format!("'{n}'"))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            Self::Wildcard => write!(f, "[*]"),
            Self::Index(i) => write!(f, "[{i}]"),
            Self::Indexes(v) => write!(f, "[{}]", join(v)),
            Self::Slice(s, e) => write!(f, "[{}:{}]", opt(s), opt(e)),
        }
    }
}

/// A parsed path of the supported subset; `$` is the empty step list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath {
    pub(crate) text: String,
    steps: Vec<Step>,
}

impl JsonPath {
    /// Parses the subset of CONTRACT §5.6. An empty string means `$` (the
    /// API allows length 0 and documents `$` as the default).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Self {
                text: "$".into(),
                steps: vec![],
            });
        }
        let rest = text
            .strip_prefix('$')
            .ok_or_else(|| format!("the JSONPath expression '{text}' must start with '$'"))?;
        let mut steps = Vec::new();
        let mut rest = rest;
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix(".*") {
                steps.push(Step::Wildcard);
                rest = r;
            } else if let Some(r) = rest.strip_prefix('.') {
                let end = r.find(['.', '[']).unwrap_or(r.len());
                let name = &r[..end];
                if name.is_empty() || name.contains([']', '\'', '"', '*', ' ']) {
                    return Err(format!("'{text}' has an invalid member name after '.'"));
                }
                steps.push(Step::Child(name.to_owned()));
                rest = &r[end..];
            } else if let Some(r) = rest.strip_prefix('[') {
                let end = r
                    .find(']')
                    .ok_or_else(|| format!("'{text}' has a '[' without a matching ']'"))?;
                steps.push(parse_bracket(&r[..end]).map_err(|e| format!("'{text}': {e}"))?);
                rest = &r[end + 1..];
            } else {
                return Err(format!(
                    "'{text}' is not in the supported JSONPath subset ($, .name, *, ['a','b'], [n], [n,m], [s:e])"
                ));
            }
        }
        Ok(Self {
            text: text.to_owned(),
            steps,
        })
    }

    /// True for `$`.
    pub fn is_root(&self) -> bool {
        self.steps.is_empty()
    }

    /// True when every step addresses array positions (what CSV allows).
    pub(crate) fn is_index_only(&self) -> bool {
        self.steps.len() <= 1
            && self.steps.iter().all(|s| {
                matches!(
                    s,
                    Step::Index(_) | Step::Indexes(_) | Step::Slice(..) | Step::Wildcard
                )
            })
    }

    /// Applies the path to one value. Multi-selections (`*`, `[n,m]`,
    /// slices) give an array, `['a','b']` an object, single steps the value.
    pub fn apply(&self, value: Value) -> Result<Value, String> {
        let mut v = value;
        for step in &self.steps {
            v = apply_step(step, v).map_err(|e| format!("JSONPath '{}': {e}", self.text))?;
        }
        Ok(v)
    }
}

fn parse_bracket(inner: &str) -> Result<Step, String> {
    let inner = inner.trim();
    if inner == "*" {
        return Ok(Step::Wildcard);
    }
    if inner.starts_with(['\'', '"']) {
        let mut names = Vec::new();
        for part in inner.split(',') {
            let part = part.trim();
            let name = part
                .strip_prefix('\'')
                .and_then(|p| p.strip_suffix('\''))
                .or_else(|| part.strip_prefix('"').and_then(|p| p.strip_suffix('"')))
                .ok_or_else(|| format!("[{inner}] must list quoted names like ['a','b']"))?;
            if name.is_empty() || name.contains(['.', '[', ']', '$']) {
                return Err(format!("[{inner}]: names in brackets cannot be paths"));
            }
            names.push(name.to_owned());
        }
        return Ok(match <[String; 1]>::try_from(names) {
            Ok([one]) => Step::Child(one),
            Err(names) => Step::Children(names),
        });
    }
    let int = |s: &str| -> Result<Option<i64>, String> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(None);
        }
        s.parse::<i64>()
            .map(Some)
            .map_err(|_| format!("'{s}' is not an integer index"))
    };
    if let Some((s, e)) = inner.split_once(':') {
        if e.contains(':') {
            return Err("slices with a step ([s:e:k]) are not supported".into());
        }
        return Ok(Step::Slice(int(s)?, int(e)?));
    }
    let mut idx = Vec::new();
    for part in inner.split(',') {
        idx.push(int(part)?.ok_or_else(|| format!("[{inner}] has an empty index"))?);
    }
    Ok(match idx[..] {
        [one] => Step::Index(one),
        _ => Step::Indexes(idx),
    })
}

/// Resolves a possibly negative index against `len`; error when outside.
fn resolve(i: i64, len: usize) -> Result<usize, String> {
    let len_i = len as i64;
    let r = if i < 0 { len_i + i } else { i };
    if r < 0 || r >= len_i {
        return Err(format!("index {i} is outside the record's {len} elements"));
    }
    Ok(r as usize)
}

fn apply_step(step: &Step, v: Value) -> Result<Value, String> {
    match (step, v) {
        (Step::Child(name), Value::Object(mut m)) => m
            .remove(name)
            .ok_or_else(|| format!("the record has no member '{name}'")),
        (Step::Children(names), Value::Object(mut m)) => {
            let mut out = Map::new();
            for n in names {
                let v = m
                    .remove(n)
                    .ok_or_else(|| format!("the record has no member '{n}'"))?;
                out.insert(n.clone(), v);
            }
            Ok(Value::Object(out))
        }
        (Step::Wildcard, Value::Object(m)) => {
            Ok(Value::Array(m.into_iter().map(|(_, v)| v).collect()))
        }
        (Step::Wildcard, v @ Value::Array(_)) => Ok(v),
        (Step::Index(i), Value::Array(mut a)) => {
            let r = resolve(*i, a.len())?;
            Ok(a.swap_remove(r))
        }
        (Step::Indexes(list), Value::Array(a)) => {
            let picked = list
                .iter()
                .map(|i| resolve(*i, a.len()).map(|r| a[r].clone()))
                .collect::<Result<_, _>>()?;
            Ok(Value::Array(picked))
        }
        (Step::Slice(s, e), Value::Array(a)) => {
            if a.is_empty() {
                return Err("cannot slice an empty record".into());
            }
            let start = resolve(s.unwrap_or(0), a.len())?;
            let end = resolve(e.unwrap_or(-1), a.len())?;
            Ok(Value::Array(
                a.get(start..=end)
                    .map(<[Value]>::to_vec)
                    .unwrap_or_default(),
            ))
        }
        (step, v) => Err(format!("'{step}' does not apply to {}", kind_of(&v))),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
