//! Loading the embedded model; rules no SageMaker shape in the subset
//! exercises (blobs, sensitive elements, maps of structures, null elements),
//! on a small synthetic model; and "never panics" for every operation, on
//! arbitrary JSON and on values shaped like the model with random damage
//! (which reach deep members that random JSON never does).

use proptest::prelude::*;
use serde_json::{json, Map, Value};

use crate::{sagemaker, InputError, ServiceModel, ShapeType};

/// The operations the server implements; the extract must keep them all.
const EXPECTED_OPERATIONS: &[&str] = &[
    "CreateModelPackage",
    "DescribeModelPackage",
    "ListModelPackages",
    "UpdateModelPackage",
    "DeleteModelPackage",
    "CreateModelPackageGroup",
    "DescribeModelPackageGroup",
    "ListModelPackageGroups",
    "DeleteModelPackageGroup",
    "CreateAlgorithm",
    "DescribeAlgorithm",
    "ListAlgorithms",
    "DeleteAlgorithm",
    "AddTags",
    "ListTags",
    "DeleteTags",
    "CreateTrainingJob",
    "DescribeTrainingJob",
    "ListTrainingJobs",
    "StopTrainingJob",
    "DeleteTrainingJob",
    "CreateModel",
    "DescribeModel",
    "ListModels",
    "DeleteModel",
    "CreateTransformJob",
    "DescribeTransformJob",
    "ListTransformJobs",
    "StopTransformJob",
    "CreateEndpointConfig",
    "DescribeEndpointConfig",
    "DeleteEndpointConfig",
    "ListEndpointConfigs",
    "CreateEndpoint",
    "DescribeEndpoint",
    "DeleteEndpoint",
    "ListEndpoints",
    "UpdateEndpoint",
    "UpdateEndpointWeightsAndCapacities",
    "CreateHyperParameterTuningJob",
    "DescribeHyperParameterTuningJob",
    "ListHyperParameterTuningJobs",
    "StopHyperParameterTuningJob",
    "DeleteHyperParameterTuningJob",
    "ListTrainingJobsForHyperParameterTuningJob",
];

#[test]
fn the_runtime_model_loads_with_its_operations() {
    let model = crate::runtime();
    for op in [
        "InvokeEndpoint",
        "InvokeEndpointWithResponseStream",
        "InvokeEndpointAsync",
    ] {
        let input = model.operation(op).and_then(|o| o.input_shape()).unwrap();
        assert!(model.shape(input).is_some(), "{op}");
    }
}

#[test]
fn embedded_model_loads_with_every_operation() {
    let model = sagemaker();
    for op in EXPECTED_OPERATIONS {
        let operation = model
            .operation(op)
            .unwrap_or_else(|| panic!("{op} missing"));
        let input = operation.input_shape().unwrap();
        assert!(model.shape(input).is_some());
    }
    assert_eq!(model.operations().len(), EXPECTED_OPERATIONS.len());
    assert!(model.botocore_version().is_some());
    assert_eq!(model.metadata()["targetPrefix"], "SageMaker");
    let tag = model.shape("Tag").unwrap();
    assert_eq!(tag.shape_type(), ShapeType::Structure);
    assert!(tag.members().iter().all(|m| m.is_required()));
    assert_eq!(
        model.shape("SortOrder").unwrap().enum_values(),
        ["Ascending", "Descending"]
    );
    assert!(model
        .shapes()
        .any(|s| s.pattern().is_some_and(|p| p.contains("(?<!-)"))));
}

#[test]
fn every_operation_accepts_an_empty_body_without_panicking() {
    for op in sagemaker().operations() {
        match sagemaker().check_input(op.name(), &json!({})) {
            Ok(()) | Err(InputError::Constraints(_)) => {}
            Err(e) => panic!("{}: {e}", op.name()),
        }
    }
}

/// Checks that every pattern of a full botocore model compiles, e.g.
/// `SLIPWAY_FULL_MODEL=/tmp/sagemaker-service-2.json cargo test -p slipway-botocore -- --ignored`
/// (botocore ships it gzipped: `zcat .../service-2.json.gz > /tmp/...`).
#[test]
#[ignore = "needs SLIPWAY_FULL_MODEL pointing at a botocore service-2.json"]
fn full_botocore_model_loads() {
    let path = std::env::var("SLIPWAY_FULL_MODEL").unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    if let Err(e) = ServiceModel::from_json(&text) {
        panic!("{e}");
    }
}

const SYNTHETIC: &str = r#"{"operations": {"Op": {"input": {"shape": "In"}}},
"shapes": {
  "In": {"type": "structure", "members": {
    "Data": {"shape": "Bytes"}, "Secrets": {"shape": "SecretList"},
    "Things": {"shape": "ThingMap"}, "Names": {"shape": "NameList"},
    "Items": {"shape": "ItemList"}, "Wrapped": {"shape": "ItemList"}}},
  "Bytes": {"type": "blob", "min": 2, "max": 3},
  "Secret": {"type": "string", "max": 3, "sensitive": true},
  "SecretList": {"type": "list", "member": {"shape": "Secret"}},
  "Name": {"type": "string", "min": 1},
  "NameList": {"type": "list", "member": {"shape": "Name"}},
  "Item": {"type": "structure", "required": ["Id"], "members": {
    "Id": {"shape": "Name"}, "Secret": {"shape": "Secret"}}},
  "ItemList": {"type": "list", "member": {"shape": "Item"}, "max": 1},
  "ThingMap": {"type": "map", "key": {"shape": "Name"}, "value": {"shape": "Item"}}
}}"#;

fn synthetic(body: Value) -> Vec<String> {
    let model = ServiceModel::from_json(SYNTHETIC).unwrap();
    match model.check_input("Op", &body) {
        Ok(()) => Vec::new(),
        Err(InputError::Constraints(v)) => v.into_iter().map(|v| v.message).collect(),
        Err(e) => vec![format!("serialization: {e}")],
    }
}

#[test]
fn blob_length_counts_decoded_bytes() {
    assert!(synthetic(json!({"Data": "YWJj"})).is_empty());
    assert_eq!(
        synthetic(json!({"Data": "YWJjZA=="})),
        ["Value 'YWJjZA==' at 'data' failed to satisfy constraint: Member must have length less than or equal to 3"]
    );
    assert_eq!(
        synthetic(json!({"Data": "not base64!"})),
        ["serialization: Unexpected value type for 'data': expected blob (base64), got string that is not base64"]
    );
}

#[test]
fn sensitive_elements_hide_the_container_value() {
    assert_eq!(
        synthetic(json!({"Secrets": ["ok", "toolong"]})),
        ["Value at 'secrets' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 3]"]
    );
    assert_eq!(
        synthetic(json!({"Items": [{"Id": "a", "Secret": "s"}, {"Id": "b"}]})),
        ["Value '[{Id=a, Secret=*** Sensitive Data Redacted ***}, {Id=b}]' at 'items' failed to satisfy constraint: Member must have length less than or equal to 1"]
    );
}

#[test]
fn maps_of_structures_and_null_elements() {
    assert_eq!(
        synthetic(json!({"Things": {"t1": {"Id": ""}, "t2": {}}})),
        [
            "Value '' at 'things.t1.id' failed to satisfy constraint: Member must have length greater than or equal to 1",
            "Value null at 'things.t2.id' failed to satisfy constraint: Member must not be null",
        ]
    );
    assert_eq!(
        synthetic(json!({"Names": ["a", null]})),
        ["Value '[a, null]' at 'names' failed to satisfy constraint: Member must satisfy constraint: [Member must have length greater than or equal to 1, Member must not be null]"]
    );
    assert_eq!(
        synthetic(json!({"Wrapped": [null]})),
        ["Value null at 'wrapped.1.member' failed to satisfy constraint: Member must not be null"]
    );
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    "[A-Z][A-Za-z]{0,20}".boxed(),
                    prop::sample::select(member_names()).boxed()
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Real member names, so random objects hit modeled members.
fn member_names() -> Vec<String> {
    let mut names: Vec<String> = sagemaker()
        .shapes()
        .flat_map(|s| s.members().iter().map(|m| m.name().to_owned()))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// A tiny deterministic generator (splitmix64) driven by a proptest seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// Builds a value for `shape`, mostly well-typed, sometimes broken.
fn shaped(model: &ServiceModel, shape: &str, rng: &mut Rng, depth: usize, junk: &[Value]) -> Value {
    if rng.chance(3) || depth > 12 {
        return junk[rng.below(junk.len() as u64) as usize].clone();
    }
    let Some(s) = model.shape(shape) else {
        return Value::Null;
    };
    let text = |rng: &mut Rng| -> String {
        let pool = [
            "a",
            "Z",
            "-",
            "_",
            "é",
            " ",
            "0",
            "ml.m5.large",
            "s3://b/k",
            "\n",
            "😀",
            "/",
            ":",
        ];
        (0..rng.below(8))
            .map(|_| pool[rng.below(pool.len() as u64) as usize])
            .collect()
    };
    match s.shape_type() {
        ShapeType::Structure => {
            let mut out = Map::new();
            for m in s.members() {
                if rng.chance(if m.is_required() { 85 } else { 40 }) {
                    out.insert(
                        m.name().to_owned(),
                        shaped(model, m.shape(), rng, depth + 1, junk),
                    );
                }
            }
            Value::Object(out)
        }
        ShapeType::List => {
            let el = s.member_shape().unwrap_or_default();
            Value::Array(
                (0..rng.below(4))
                    .map(|_| shaped(model, el, rng, depth + 1, junk))
                    .collect(),
            )
        }
        ShapeType::Map => {
            let (k, v) = (
                s.key_shape().unwrap_or_default(),
                s.value_shape().unwrap_or_default(),
            );
            let mut out = Map::new();
            for _ in 0..rng.below(4) {
                let key = match shaped(model, k, rng, depth + 1, junk) {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                out.insert(key, shaped(model, v, rng, depth + 1, junk));
            }
            Value::Object(out)
        }
        ShapeType::String if !s.enum_values().is_empty() && rng.chance(80) => {
            json!(s.enum_values()[rng.below(s.enum_values().len() as u64) as usize])
        }
        ShapeType::String | ShapeType::Blob => json!(text(rng)),
        ShapeType::Integer | ShapeType::Long => json!(rng.next() as i64 >> rng.below(64)),
        ShapeType::Float | ShapeType::Double => {
            json!((rng.next() as i64 >> rng.below(64)) as f64 / 7.0)
        }
        ShapeType::Boolean => json!(rng.chance(50)),
        ShapeType::Timestamp => json!(rng.below(2_000_000_000)),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_arbitrary_json(body in arb_json()) {
        for op in sagemaker().operations() {
            let _ = sagemaker().check_input(op.name(), &body);
        }
    }

    #[test]
    fn never_panics_on_damaged_model_shaped_input(seed in any::<u64>(), junk in prop::collection::vec(arb_json(), 1..4)) {
        let model = sagemaker();
        let mut rng = Rng(seed);
        for op in model.operations() {
            let input = op.input_shape().unwrap_or_default();
            let body = shaped(model, input, &mut rng, 0, &junk);
            if let Err(InputError::Constraints(v)) = model.check_input(op.name(), &body) {
                prop_assert!(!v.is_empty());
                let msg = crate::aws_message(&v);
                let count_prefix = format!("{} validation error", v.len());
                prop_assert!(msg.starts_with(&count_prefix));
            }
        }
    }
}
