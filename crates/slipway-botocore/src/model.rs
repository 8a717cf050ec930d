//! The service model in memory: operations and shapes, resolved and with
//! every constraint precompiled, so checking a request does no parsing,
//! no regex compilation and no name lookups beyond the operation itself.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::{Number, Value};

use crate::pattern::{Pattern, PatternError};
use crate::render;

/// Index of a shape in [`ServiceModel`]'s arena.
pub(crate) type ShapeId = usize;

/// A botocore service model (or a subset of one), ready for checking input.
/// Built once: loading resolves every shape reference and compiles every
/// pattern, so a model that loads can check any request.
#[derive(Debug)]
pub struct ServiceModel {
    pub(crate) metadata: Value,
    pub(crate) operations: Vec<Operation>,
    pub(crate) operation_index: HashMap<String, usize>,
    pub(crate) shapes: Vec<Shape>,
    pub(crate) shape_index: HashMap<String, ShapeId>,
}

/// Why a model document was rejected. Loading never skips a part it cannot
/// use: a pattern that does not compile would silently accept bad input.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// The document is not a botocore service model.
    #[error("service model is not valid JSON of the expected form: {0}")]
    Json(#[from] serde_json::Error),
    /// A reference, type or bound the checker cannot interpret.
    #[error("service model is inconsistent: {0}")]
    Invalid(String),
    /// Patterns the regex engine cannot compile, all of them, with reasons.
    #[error("{} pattern(s) do not compile: {}", .0.len(), render::join(.0, "; "))]
    Patterns(Vec<PatternError>),
}

/// One operation: the names of its input, output and error shapes. Callers
/// use it to route (`X-Amz-Target`) and to find the shapes to generate.
#[derive(Debug, Clone)]
pub struct Operation {
    pub(crate) name: String,
    pub(crate) input: Option<String>,
    pub(crate) output: Option<String>,
    pub(crate) errors: Vec<String>,
    pub(crate) input_id: Option<ShapeId>,
}

impl Operation {
    /// The operation name, e.g. `CreateTrainingJob`.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The input shape's name; `None` when the operation takes no input.
    pub fn input_shape(&self) -> Option<&str> {
        self.input.as_deref()
    }
    /// The output shape's name; `None` when the operation answers `{}`.
    pub fn output_shape(&self) -> Option<&str> {
        self.output.as_deref()
    }
    /// The modeled error shapes (e.g. `ResourceNotFound`), in model order.
    pub fn errors(&self) -> &[String] {
        &self.errors
    }
}

/// The botocore shape types. Why an enum: the checker's type rules (which
/// JSON values a member accepts) are decided by it alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShapeType {
    /// JSON object with named members.
    Structure,
    /// JSON array.
    List,
    /// JSON object with arbitrary string keys.
    Map,
    /// JSON string.
    String,
    /// JSON integer within 32 bits.
    Integer,
    /// JSON integer within 64 bits.
    Long,
    /// Any JSON number.
    Float,
    /// Any JSON number.
    Double,
    /// JSON boolean.
    Boolean,
    /// Epoch seconds (number) or an ISO-8601 string.
    Timestamp,
    /// Base64 string.
    Blob,
}

impl ShapeType {
    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "structure" => Self::Structure,
            "list" => Self::List,
            "map" => Self::Map,
            "string" => Self::String,
            "integer" => Self::Integer,
            "long" => Self::Long,
            "float" => Self::Float,
            "double" => Self::Double,
            "boolean" => Self::Boolean,
            "timestamp" => Self::Timestamp,
            "blob" => Self::Blob,
            _ => return None,
        })
    }

    /// The botocore spelling, also used in serialization messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Structure => "structure",
            Self::List => "list",
            Self::Map => "map",
            Self::String => "string",
            Self::Integer => "integer",
            Self::Long => "long",
            Self::Float => "float",
            Self::Double => "double",
            Self::Boolean => "boolean",
            Self::Timestamp => "timestamp",
            Self::Blob => "blob",
        }
    }

    /// Whether values of this type hold other values the checker descends into.
    pub(crate) fn is_compound(self) -> bool {
        matches!(self, Self::Structure | Self::List | Self::Map)
    }

    pub(crate) fn is_numeric(self) -> bool {
        matches!(
            self,
            Self::Integer | Self::Long | Self::Float | Self::Double
        )
    }
}

/// A numeric bound from the model (`min`/`max`), kept exact for integers.
#[derive(Debug, Clone)]
pub(crate) struct Bound {
    pub(crate) float: f64,
    pub(crate) int: Option<i128>,
}

impl Bound {
    pub(crate) fn from_number(n: &Number) -> Option<Self> {
        let int = n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from));
        Some(Self {
            float: n.as_f64()?,
            int,
        })
    }
}

/// A member of a structure shape.
#[derive(Debug, Clone)]
pub struct Member {
    pub(crate) name: String,
    pub(crate) target_name: String,
    pub(crate) required: bool,
    pub(crate) path_name: String,
    pub(crate) target: ShapeId,
}

impl Member {
    /// The member's wire name (PascalCase for SageMaker).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The name of the shape the member refers to.
    pub fn shape(&self) -> &str {
        &self.target_name
    }
    /// Whether AWS rejects a request that leaves it out ("must not be null").
    pub fn is_required(&self) -> bool {
        self.required
    }
}

/// One shape with its constraints. Read-only: exposed so Rust callers (code
/// generators, docs) can walk the model the checker uses.
#[derive(Debug)]
pub struct Shape {
    pub(crate) name: String,
    pub(crate) kind: ShapeType,
    pub(crate) members: Vec<Member>,
    pub(crate) element: Option<ShapeId>,
    pub(crate) key: Option<ShapeId>,
    pub(crate) value: Option<ShapeId>,
    pub(crate) element_names: [Option<String>; 3],
    pub(crate) len_min: Option<u64>,
    pub(crate) len_max: Option<u64>,
    pub(crate) min: Option<Bound>,
    pub(crate) max: Option<Bound>,
    pub(crate) pattern: Option<Arc<Pattern>>,
    pub(crate) enum_values: Vec<String>,
    pub(crate) enum_set: HashSet<String>,
    pub(crate) sensitive: bool,
    pub(crate) union: bool,
    /// A botocore document: any JSON value, never checked.
    pub(crate) document: bool,
    /// Constraint phrases, in the order AWS lists them.
    pub(crate) phrases: render::Phrases,
}

impl Shape {
    /// The shape's name in the model.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The botocore type.
    pub fn shape_type(&self) -> ShapeType {
        self.kind
    }
    /// Structure members in model order (empty for other types).
    pub fn members(&self) -> &[Member] {
        &self.members
    }
    /// List element shape name.
    pub fn member_shape(&self) -> Option<&str> {
        self.element_names[0].as_deref()
    }
    /// Map key shape name.
    pub fn key_shape(&self) -> Option<&str> {
        self.element_names[1].as_deref()
    }
    /// Map value shape name.
    pub fn value_shape(&self) -> Option<&str> {
        self.element_names[2].as_deref()
    }
    /// `min` as the model has it: a length for strings, blobs, lists and
    /// maps; a value for numbers.
    pub fn min(&self) -> Option<f64> {
        match self.kind.is_numeric() {
            true => self.min.as_ref().map(|b| b.float),
            false => self.len_min.map(|n| n as f64),
        }
    }
    /// `max`, read like [`Shape::min`].
    pub fn max(&self) -> Option<f64> {
        match self.kind.is_numeric() {
            true => self.max.as_ref().map(|b| b.float),
            false => self.len_max.map(|n| n as f64),
        }
    }
    /// The pattern as the model writes it.
    pub fn pattern(&self) -> Option<&str> {
        self.pattern.as_deref().map(Pattern::source)
    }
    /// Enum values in model order (empty when the string is free-form).
    pub fn enum_values(&self) -> &[String] {
        &self.enum_values
    }
    /// Whether AWS leaves the value out of error messages.
    pub fn is_sensitive(&self) -> bool {
        self.sensitive
    }
    /// Whether the structure is a union (exactly one member set). Recorded
    /// but not enforced: AWS's message for it is unknown.
    pub fn is_union(&self) -> bool {
        self.union
    }
    /// Whether the shape is a document (free-form JSON, such as the
    /// Marketplace Catalog's `DetailsDocument`).
    pub fn is_document(&self) -> bool {
        self.document
    }
}

impl ServiceModel {
    /// Loads a botocore `service-2.json` document or a subset of one (as
    /// written by `tools/codegen/extract_model.py`). Unknown keys are ignored.
    pub fn from_json(text: &str) -> Result<Self, ModelError> {
        crate::load::build(serde_json::from_str(text)?)
    }

    /// The operation with this name, if the model has it.
    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operation_index.get(name).map(|&i| &self.operations[i])
    }

    /// Every operation, sorted by name.
    pub fn operations(&self) -> impl ExactSizeIterator<Item = &Operation> {
        self.operations.iter()
    }

    /// The shape with this name, if the model has it.
    pub fn shape(&self, name: &str) -> Option<&Shape> {
        self.shape_index.get(name).map(|&i| &self.shapes[i])
    }

    /// Every shape, sorted by name.
    pub fn shapes(&self) -> impl ExactSizeIterator<Item = &Shape> {
        self.shapes.iter()
    }

    /// The model's `metadata` object (`apiVersion`, `targetPrefix`, …; the
    /// extract adds `slipwayExtract.botocoreVersion`).
    pub fn metadata(&self) -> &Value {
        &self.metadata
    }

    /// The botocore version the model was extracted from, when recorded.
    pub fn botocore_version(&self) -> Option<&str> {
        self.metadata
            .pointer("/slipwayExtract/botocoreVersion")
            .and_then(Value::as_str)
    }
}
