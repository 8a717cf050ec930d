//! DataProcessing filters' JSONPath (docs/transform-data-processing.md).
//! The grammar is RFC 9535's, parsed by `rsonpath-syntax`; what a path
//! selects follows SageMaker's rules, which differ from the RFC's (slice
//! ends are **inclusive**, a single index gives the value itself, a union
//! gives one flat array), so evaluation is ours, on the parsed tree.

use rsonpath_syntax::{Index, Segment, Selector};
use serde_json::{Map, Value};

/// One step of a path, in the forms SageMaker's filters use.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// `.name`, `['name']`
    Child(String),
    /// `['a','b']`: an object with just those keys.
    Children(Vec<String>),
    /// `.*`, `[*]`
    Wildcard,
    /// `[n]`, `[n,m]`, `[s:e]`, `[0,5:]`: array positions; one index
    /// gives the element, anything else an array of the picked elements.
    Pick(Vec<Pick>),
}

/// One selector of an array step.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pick {
    /// Negative counts from the end.
    Index(i64),
    /// `[s:e]` with an **inclusive** end; `None` is "to the last".
    Slice(i64, Option<i64>),
}

impl std::fmt::Display for Pick {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Index(i) => write!(f, "{i}"),
            Self::Slice(s, e) => write!(f, "{s}:{}", e.map(|e| e.to_string()).unwrap_or_default()),
        }
    }
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |items: Vec<String>| items.join(",");
        match self {
            Self::Child(n) => write!(f, ".{n}"),
            Self::Children(ns) => write!(
                f,
                "[{}]",
                list(ns.iter().map(|n| format!("'{n}'")).collect())
            ),
            Self::Wildcard => write!(f, "[*]"),
            Self::Pick(p) => write!(f, "[{}]", list(p.iter().map(Pick::to_string).collect())),
        }
    }
}

/// A parsed path; `$` is the empty step list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath {
    pub(crate) text: String,
    steps: Vec<Step>,
}

impl JsonPath {
    /// Parses a filter. An empty string means `$` (the API allows length 0
    /// and documents `$` as the default).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Self {
                text: "$".into(),
                steps: vec![],
            });
        }
        let query = rsonpath_syntax::parse(text).map_err(|e| {
            // The parser's report spans several lines with a caret under
            // the fault; its first line names the fault.
            let report = e.to_string();
            let first = report.lines().next().unwrap_or("").trim().to_owned();
            format!("'{text}' is not a valid JSONPath expression ({first})")
        })?;
        let steps = query
            .segments()
            .iter()
            .map(|segment| step_of(segment).map_err(|why| format!("'{text}': {why}")))
            .collect::<Result<_, _>>()?;
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
            && self
                .steps
                .iter()
                .all(|s| matches!(s, Step::Pick(_) | Step::Wildcard))
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

const SUPPORTED: &str =
    "filters select with .name, ['a','b'], *, [n], [n,m], [s:e] and unions like [0,5:]";

/// The step one segment of the parsed query is, or why filters cannot use it.
fn step_of(segment: &Segment) -> Result<Step, String> {
    let Segment::Child(selectors) = segment else {
        return Err(format!(
            "descendant segments (..) are not supported; {SUPPORTED}"
        ));
    };
    let selectors: &[Selector] = selectors;
    if let [Selector::Wildcard] = selectors {
        return Ok(Step::Wildcard);
    }
    if selectors.iter().all(|s| matches!(s, Selector::Name(_))) {
        let mut names: Vec<String> = selectors
            .iter()
            .filter_map(|s| match s {
                // `quoted` is a JSON string literal: decoding it resolves
                // escapes such as `\u0041`.
                Selector::Name(n) => Some(
                    serde_json::from_str(n.quoted()).unwrap_or_else(|_| n.unquoted().to_owned()),
                ),
                _ => None,
            })
            .collect();
        return Ok(if names.len() == 1 {
            Step::Child(names.remove(0))
        } else {
            Step::Children(names)
        });
    }
    let picks = selectors
        .iter()
        .map(|s| match s {
            Selector::Index(i) => Ok(Pick::Index(index_of(*i))),
            Selector::Slice(slice) => {
                if slice.step()
                    != rsonpath_syntax::Step::Forward(rsonpath_syntax::num::JsonUInt::ONE)
                {
                    return Err("slices with a step ([s:e:k]) are not supported".to_owned());
                }
                Ok(Pick::Slice(
                    index_of(slice.start()),
                    slice.end().map(index_of),
                ))
            }
            Selector::Name(_) | Selector::Wildcard => Err(format!(
                "a step cannot mix names, * and indexes; {SUPPORTED}"
            )),
            Selector::Filter(_) => Err(format!(
                "filter selectors ([?…]) are not supported; {SUPPORTED}"
            )),
        })
        .collect::<Result<_, _>>()?;
    Ok(Step::Pick(picks))
}

fn index_of(i: Index) -> i64 {
    // Both magnitudes are at most 2^53 - 1 (I-JSON), so they fit.
    match i {
        Index::FromStart(n) => n.as_u64() as i64,
        Index::FromEnd(n) => -(n.as_u64() as i64),
    }
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
        (Step::Pick(picks), Value::Array(mut a)) => {
            if let [Pick::Index(i)] = picks.as_slice() {
                let r = resolve(*i, a.len())?;
                return Ok(a.swap_remove(r));
            }
            let mut picked = Vec::new();
            for pick in picks {
                match pick {
                    Pick::Index(i) => picked.push(a[resolve(*i, a.len())?].clone()),
                    Pick::Slice(s, e) => {
                        if a.is_empty() {
                            return Err("cannot slice an empty record".into());
                        }
                        let start = resolve(*s, a.len())?;
                        let end = resolve(e.unwrap_or(-1), a.len())?;
                        picked.extend(
                            a.get(start..=end)
                                .map(<[Value]>::to_vec)
                                .unwrap_or_default(),
                        );
                    }
                }
            }
            Ok(Value::Array(picked))
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
