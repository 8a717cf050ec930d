//! Turns a botocore document into a [`ServiceModel`]: resolves shape names
//! to indices, compiles patterns and writes constraint phrases, failing on
//! anything it cannot interpret rather than skipping it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::{Number, Value};

use crate::model::{Bound, Member, ModelError, Operation, ServiceModel, Shape, ShapeId, ShapeType};
use crate::pattern::Pattern;
use crate::render;

fn lower_camel(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub(crate) fn build(raw: RawModel) -> Result<ServiceModel, ModelError> {
    let shape_index: HashMap<String, ShapeId> = raw
        .shapes
        .keys()
        .enumerate()
        .map(|(i, name)| (name.clone(), i))
        .collect();
    let resolve = |name: &str, from: &str| {
        shape_index
            .get(name)
            .copied()
            .ok_or_else(|| ModelError::Invalid(format!("{from} refers to missing shape {name}")))
    };

    let mut bad_patterns = Vec::new();
    // Many shapes share a pattern (`.*` alone 30 times): compile each once.
    let mut compiled: HashMap<&str, Arc<Pattern>> = HashMap::new();
    let mut shapes = Vec::with_capacity(raw.shapes.len());
    for (name, rs) in &raw.shapes {
        let kind = ShapeType::parse(&rs.kind)
            .ok_or_else(|| ModelError::Invalid(format!("{name}: unknown type {}", rs.kind)))?;
        let required: HashSet<&str> = rs.required.iter().map(String::as_str).collect();
        if let Some(missing) = rs
            .required
            .iter()
            .find(|r| !rs.members.iter().any(|(m, _)| m == *r))
        {
            return Err(ModelError::Invalid(format!(
                "{name} requires unknown member {missing}"
            )));
        }
        let members = rs
            .members
            .iter()
            .map(|(m, r)| {
                Ok(Member {
                    name: m.clone(),
                    target_name: r.shape.clone(),
                    required: required.contains(m.as_str()),
                    path_name: lower_camel(m),
                    target: resolve(&r.shape, name)?,
                })
            })
            .collect::<Result<Vec<_>, ModelError>>()?;
        let link = |r: &Option<RawRef>| -> Result<Option<ShapeId>, ModelError> {
            r.as_ref().map(|r| resolve(&r.shape, name)).transpose()
        };
        let (element, key, value) = (link(&rs.member)?, link(&rs.key)?, link(&rs.value)?);
        let needs = match kind {
            ShapeType::List => element.is_some(),
            ShapeType::Map => key.is_some() && value.is_some(),
            _ => true,
        };
        if !needs {
            return Err(ModelError::Invalid(format!(
                "{name}: {kind:?} without element shapes"
            )));
        }

        let length = |n: &Option<Number>, which: &str| -> Result<Option<u64>, ModelError> {
            match n {
                Some(n) if !kind.is_numeric() => n.as_u64().map(Some).ok_or_else(|| {
                    ModelError::Invalid(format!("{name}: {which} {n} is not a length"))
                }),
                _ => Ok(None),
            }
        };
        let bound = |n: &Option<Number>| match n {
            Some(n) if kind.is_numeric() => Bound::from_number(n),
            _ => None,
        };
        let pattern = match &rs.pattern {
            Some(p) if kind == ShapeType::String => match compiled.get(p.as_str()) {
                Some(done) => Some(Arc::clone(done)),
                None => match Pattern::compile(p) {
                    Ok(pattern) => {
                        let pattern = Arc::new(pattern);
                        compiled.insert(p, Arc::clone(&pattern));
                        Some(pattern)
                    }
                    Err(e) => {
                        bad_patterns.push(e);
                        None
                    }
                },
            },
            _ => None,
        };
        let enum_values = rs.enum_values.clone().unwrap_or_default();
        let mut shape = Shape {
            name: name.clone(),
            kind,
            members,
            element,
            key,
            value,
            element_names: [&rs.member, &rs.key, &rs.value]
                .map(|r| r.as_ref().map(|r| r.shape.clone())),
            len_min: length(&rs.min, "min")?,
            len_max: length(&rs.max, "max")?,
            min: bound(&rs.min),
            max: bound(&rs.max),
            pattern,
            enum_set: enum_values.iter().cloned().collect(),
            enum_values,
            sensitive: rs.sensitive,
            union: rs.union,
            document: rs.document,
            phrases: render::Phrases::default(),
        };
        shape.phrases = render::Phrases::for_shape(&shape, rs.min.as_ref(), rs.max.as_ref());
        shapes.push(shape);
    }
    if !bad_patterns.is_empty() {
        return Err(ModelError::Patterns(bad_patterns));
    }

    let mut operations = Vec::with_capacity(raw.operations.len());
    for (name, op) in &raw.operations {
        let input_id = op
            .input
            .as_ref()
            .map(|r| resolve(&r.shape, name))
            .transpose()?;
        if let Some(r) = &op.output {
            resolve(&r.shape, name)?;
        }
        operations.push(Operation {
            name: name.clone(),
            input: op.input.as_ref().map(|r| r.shape.clone()),
            output: op.output.as_ref().map(|r| r.shape.clone()),
            errors: op.errors.iter().map(|r| r.shape.clone()).collect(),
            input_id,
        });
    }
    let operation_index = operations
        .iter()
        .enumerate()
        .map(|(i, op)| (op.name.clone(), i))
        .collect();
    Ok(ServiceModel {
        metadata: raw.metadata,
        operations,
        operation_index,
        shapes,
        shape_index,
    })
}

// --- the document as botocore writes it ---------------------------------

#[derive(Deserialize)]
pub(crate) struct RawModel {
    #[serde(default)]
    metadata: Value,
    operations: BTreeMap<String, RawOperation>,
    shapes: BTreeMap<String, RawShape>,
}

#[derive(Deserialize)]
struct RawOperation {
    input: Option<RawRef>,
    output: Option<RawRef>,
    #[serde(default)]
    errors: Vec<RawRef>,
}

#[derive(Deserialize)]
struct RawRef {
    shape: String,
}

#[derive(Deserialize)]
struct RawShape {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default, deserialize_with = "ordered_members")]
    members: Vec<(String, RawRef)>,
    #[serde(default)]
    required: Vec<String>,
    min: Option<Number>,
    max: Option<Number>,
    pattern: Option<String>,
    #[serde(rename = "enum")]
    enum_values: Option<Vec<String>>,
    #[serde(default)]
    sensitive: bool,
    #[serde(default)]
    union: bool,
    #[serde(default)]
    document: bool,
    member: Option<RawRef>,
    key: Option<RawRef>,
    value: Option<RawRef>,
}

/// Members in document order, whatever map type serde_json is built with:
/// AWS reports violations in this order.
fn ordered_members<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, RawRef)>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<(String, RawRef)>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map of member references")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0));
            while let Some(entry) = map.next_entry()? {
                out.push(entry);
            }
            Ok(out)
        }
    }
    d.deserialize_map(V)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap (STYLE 6)
mod tests {
    use super::*;

    #[test]
    fn lower_camel_lowers_only_the_first_char() {
        assert_eq!(lower_camel("TrainingJobName"), "trainingJobName");
        assert_eq!(lower_camel("S3Uri"), "s3Uri");
        assert_eq!(lower_camel("KMSKeyId"), "kMSKeyId");
    }

    #[test]
    fn bad_patterns_are_all_reported() {
        let doc = r#"{"operations":{},"shapes":{
            "A":{"type":"string","pattern":"[a-"},
            "B":{"type":"string","pattern":"(x"},
            "C":{"type":"string","pattern":"ok"}}}"#;
        match ServiceModel::from_json(doc) {
            Err(ModelError::Patterns(p)) => {
                assert_eq!(p.len(), 2);
                assert_eq!(p[0].pattern, "[a-");
            }
            other => panic!("expected pattern errors, got {other:?}"),
        }
    }

    #[test]
    fn dangling_references_are_rejected() {
        let doc = r#"{"operations":{"Op":{"input":{"shape":"Nope"}}},"shapes":{}}"#;
        assert!(matches!(
            ServiceModel::from_json(doc),
            Err(ModelError::Invalid(_))
        ));
    }

    #[test]
    fn member_order_follows_the_document() {
        let doc = r#"{"operations":{},"shapes":{
            "S":{"type":"structure","members":{"Zed":{"shape":"T"},"Alpha":{"shape":"T"}}},
            "T":{"type":"string"}}}"#;
        let m = ServiceModel::from_json(doc).unwrap();
        let names: Vec<_> = m
            .shape("S")
            .unwrap()
            .members()
            .iter()
            .map(Member::name)
            .collect();
        assert_eq!(names, ["Zed", "Alpha"]);
    }
}
