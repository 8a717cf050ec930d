//! DataProcessing (docs/contracts.md §5.6): InputFilter, JoinSource=Input and
//! OutputFilter, one record at a time, for CSV, JSON and JSON Lines.
//!
//! JSONPath is the documented subset only, parsed here at create time so a
//! bad path is a ValidationException, not a failed job. We evaluate it
//! ourselves rather than with a general JSONPath crate because the subset
//! has one deliberate departure from RFC 9535: **slice ends are inclusive**
//! (`$[1:4]` = the second through the fifth column), as the SageMaker
//! developer guide describes them (docs/contracts.md §5.6, **unverified**). Sellers
//! write paths from that guide, so matching it keeps their jobs' columns
//! where they expect them. See `docs/transform-data-processing.md`.
//!
//! Line terminators: [`DataProcessing::filter_input`] keeps a record's
//! trailing `\n` (records are concatenated into mini-batches), while
//! [`DataProcessing::split_response`] and
//! [`DataProcessing::join_and_filter_output`] return records without one;
//! AssembleWith adds it back.

use bytes::Bytes;
use serde_json::{Map, Value};

pub use super::jsonpath::JsonPath;

/// The content types DataProcessing understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFormat {
    Csv,
    Json,
    JsonLines,
}

impl DataFormat {
    /// `text/csv`, `application/json`, `application/jsonlines` (parameters
    /// such as `; charset=utf-8` are ignored).
    pub fn from_mime(mime: &str) -> Option<Self> {
        let base = mime.split(';').next().unwrap_or("").trim();
        match base.to_ascii_lowercase().as_str() {
            "text/csv" => Some(Self::Csv),
            "application/json" => Some(Self::Json),
            "application/jsonlines" => Some(Self::JsonLines),
            _ => None,
        }
    }
}

/// Why a filter cannot be set up or applied. Create-time errors name the
/// request member (`DataProcessing.InputFilter`, …).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("{member}: {reason}")]
    Invalid {
        member: &'static str,
        reason: String,
    },
    #[error("{0}")]
    Record(String),
}

fn invalid(member: &'static str, reason: impl Into<String>) -> FilterError {
    FilterError::Invalid {
        member,
        reason: reason.into(),
    }
}

/// A transform job's DataProcessing, validated and ready to apply.
#[derive(Debug, Clone)]
pub struct DataProcessing {
    pub input_filter: JsonPath,
    pub output_filter: JsonPath,
    /// JoinSource=Input.
    pub join_source: bool,
    input_format: Option<DataFormat>,
    output_format: Option<DataFormat>,
}

impl DataProcessing {
    /// Create-time validation. Formats matter only when something is to be
    /// filtered or joined; an identity DataProcessing accepts any content
    /// type. A missing Accept is taken to mean the ContentType's format
    /// (Slipway's choice: the container is asked for no particular type).
    pub fn new(
        input_filter: Option<&str>,
        output_filter: Option<&str>,
        join_input: bool,
        content_type: Option<&str>,
        accept: Option<&str>,
    ) -> Result<Self, FilterError> {
        let input_filter = JsonPath::parse(input_filter.unwrap_or("$"))
            .map_err(|e| invalid("DataProcessing.InputFilter", e))?;
        let output_filter = JsonPath::parse(output_filter.unwrap_or("$"))
            .map_err(|e| invalid("DataProcessing.OutputFilter", e))?;
        let mut dp = Self {
            input_filter,
            output_filter,
            join_source: join_input,
            input_format: None,
            output_format: None,
        };
        if dp.is_identity() {
            return Ok(dp);
        }
        const SUPPORTED: &str = "text/csv, application/json or application/jsonlines";
        let ct = content_type.ok_or_else(|| {
            invalid(
                "TransformInput.ContentType",
                format!("DataProcessing needs a ContentType of {SUPPORTED}"),
            )
        })?;
        let input = DataFormat::from_mime(ct).ok_or_else(|| {
            invalid(
                "TransformInput.ContentType",
                format!("DataProcessing supports only {SUPPORTED}, not '{ct}'"),
            )
        })?;
        let output = match accept {
            None => input,
            Some(a) => DataFormat::from_mime(a).ok_or_else(|| {
                invalid(
                    "TransformOutput.Accept",
                    format!("DataProcessing supports only {SUPPORTED}, not '{a}'"),
                )
            })?,
        };
        if join_input && output != input {
            return Err(invalid(
                "TransformOutput.Accept",
                "with DataProcessing.JoinSource=Input, Accept must equal TransformInput.ContentType",
            ));
        }
        for (path, member, format) in [
            (&dp.input_filter, "DataProcessing.InputFilter", input),
            (&dp.output_filter, "DataProcessing.OutputFilter", output),
        ] {
            if format == DataFormat::Csv && !path.is_index_only() {
                return Err(invalid(
                    member,
                    format!("'{}': CSV records are arrays, so only index paths ($[0], $[1:], $[0,-1]) apply", path.text),
                ));
            }
        }
        dp.input_format = Some(input);
        dp.output_format = Some(output);
        Ok(dp)
    }

    /// The rest of create-time validation, which needs TransformInput's
    /// SplitType and TransformOutput's AssembleWith (`true` = `Line`).
    pub fn check_framing(
        &self,
        split_is_line: bool,
        assemble_with_line: bool,
    ) -> Result<(), FilterError> {
        let csv = self.input_format == Some(DataFormat::Csv)
            || self.output_format == Some(DataFormat::Csv);
        if csv && !split_is_line {
            return Err(invalid(
                "TransformInput.SplitType",
                "DataProcessing on text/csv needs SplitType Line",
            ));
        }
        if csv && !assemble_with_line {
            return Err(invalid(
                "TransformOutput.AssembleWith",
                "DataProcessing on text/csv needs AssembleWith Line",
            ));
        }
        if self.join_source && split_is_line != assemble_with_line {
            return Err(invalid(
                "TransformOutput.AssembleWith",
                "with DataProcessing.JoinSource=Input, AssembleWith must match SplitType",
            ));
        }
        Ok(())
    }

    /// Nothing to filter or join: the runner can pass bytes through.
    pub fn is_identity(&self) -> bool {
        self.input_filter.is_root() && self.output_filter.is_root() && !self.join_source
    }

    /// Applies InputFilter to one record. The result keeps the record's
    /// trailing `\n` if it had one, so filtered records batch like raw ones.
    pub fn filter_input(&self, record: &[u8]) -> Result<Bytes, FilterError> {
        let Some(format) = self.input_format.filter(|_| !self.input_filter.is_root()) else {
            return Ok(Bytes::copy_from_slice(record));
        };
        let (body, newline) = strip_newline(record);
        let value = parse_record(format, body, "input")?;
        let filtered = self
            .input_filter
            .apply(value)
            .map_err(|e| FilterError::Record(format!("InputFilter: {e}")))?;
        let mut out = write_record(format, filtered)?;
        if newline {
            out.push(b'\n');
        }
        Ok(out.into())
    }

    /// JoinSource (with the *unfiltered* input record) then OutputFilter,
    /// for one output record. No trailing newline.
    pub fn join_and_filter_output(
        &self,
        input_record: &[u8],
        output_record: &[u8],
    ) -> Result<Bytes, FilterError> {
        let (output_body, _) = strip_newline(output_record);
        let Some(out_format) = self.output_format.filter(|_| !self.is_identity()) else {
            return Ok(Bytes::copy_from_slice(output_body));
        };
        if !self.join_source && self.output_filter.is_root() {
            return Ok(Bytes::copy_from_slice(output_body));
        }
        let output = parse_record(out_format, output_body, "output")?;
        let joined = if self.join_source {
            let in_format = self.input_format.unwrap_or(out_format);
            let input = parse_record(in_format, strip_newline(input_record).0, "input")?;
            join(out_format, input, output)
        } else {
            output
        };
        let filtered = self
            .output_filter
            .apply(joined)
            .map_err(|e| FilterError::Record(format!("OutputFilter: {e}")))?;
        Ok(write_record(out_format, filtered)?.into())
    }

    /// Cuts a container response for `expected` records back into one
    /// output per record (no line terminators). CSV and JSON Lines: one
    /// line each. JSON: a JSON array of `expected` items, or `expected`
    /// concatenated JSON values; a single record takes the whole body.
    pub fn split_response(&self, body: &[u8], expected: usize) -> Result<Vec<Bytes>, FilterError> {
        let format = self.output_format.unwrap_or(DataFormat::JsonLines);
        if expected == 1 && format == DataFormat::Json {
            return Ok(vec![Bytes::copy_from_slice(body.trim_ascii())]);
        }
        let parts: Vec<Bytes> = match format {
            // A pretty-printed JSON Lines answer is still one value per
            // record; count values when the lines do not match.
            DataFormat::JsonLines => {
                let lines = split_lines(body);
                match json_values(body) {
                    Ok(values) if lines.len() != expected && values.len() == expected => {
                        compact_all(&values)?
                    }
                    _ => lines,
                }
            }
            DataFormat::Csv => split_lines(body),
            DataFormat::Json => split_json(body)?,
        };
        if parts.len() != expected {
            return Err(FilterError::Record(format!(
                "the container returned {} output records for {expected} input records",
                parts.len()
            )));
        }
        Ok(parts)
    }
}

/// Lines without terminators; trailing empty lines dropped.
fn split_lines(body: &[u8]) -> Vec<Bytes> {
    let mut lines: Vec<&[u8]> = body
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect();
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines.into_iter().map(Bytes::copy_from_slice).collect()
}

/// The JSON values of `body`, back to back.
fn json_values(body: &[u8]) -> Result<Vec<Value>, FilterError> {
    serde_json::Deserializer::from_slice(body)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .map_err(|e| FilterError::Record(format!("the container's response is not JSON: {e}")))
}

fn compact_all(values: &[Value]) -> Result<Vec<Bytes>, FilterError> {
    values
        .iter()
        .map(|v| to_json_bytes(v).map(Bytes::from))
        .collect()
}

/// A JSON answer: one array of outputs, or outputs back to back.
fn split_json(body: &[u8]) -> Result<Vec<Bytes>, FilterError> {
    let values = json_values(body)?;
    let values = match <[Value; 1]>::try_from(values) {
        Ok([Value::Array(items)]) => items,
        Ok([other]) => vec![other],
        Err(values) => values,
    };
    compact_all(&values)
}

fn join(format: DataFormat, input: Value, output: Value) -> Value {
    match (format, input, output) {
        (DataFormat::Csv, Value::Array(mut i), Value::Array(o)) => {
            i.extend(o);
            Value::Array(i)
        }
        (_, Value::Object(mut m), output) => {
            m.insert("SageMakerOutput".into(), output);
            Value::Object(m)
        }
        (_, input, output) => {
            let mut m = Map::new();
            m.insert("SageMakerInput".into(), input);
            m.insert("SageMakerOutput".into(), output);
            Value::Object(m)
        }
    }
}

fn strip_newline(record: &[u8]) -> (&[u8], bool) {
    match record.strip_suffix(b"\n") {
        Some(r) => (r.strip_suffix(b"\r").unwrap_or(r), true),
        None => (record, false),
    }
}

fn parse_record(format: DataFormat, body: &[u8], which: &str) -> Result<Value, FilterError> {
    match format {
        DataFormat::Csv => {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(body);
            let mut row = csv::ByteRecord::new();
            let got = reader.read_byte_record(&mut row).map_err(|e| {
                FilterError::Record(format!("the {which} record is not valid CSV: {e}"))
            })?;
            if !got {
                return Ok(Value::Array(vec![]));
            }
            let fields = row
                .iter()
                .map(|f| Value::String(String::from_utf8_lossy(f).into_owned()))
                .collect();
            Ok(Value::Array(fields))
        }
        DataFormat::Json | DataFormat::JsonLines => serde_json::from_slice(body)
            .map_err(|e| FilterError::Record(format!("the {which} record is not valid JSON: {e}"))),
    }
}

fn write_record(format: DataFormat, value: Value) -> Result<Vec<u8>, FilterError> {
    match format {
        DataFormat::Csv => {
            let fields: Vec<Value> = match value {
                Value::Array(a) => a,
                other => vec![other],
            };
            let mut w = csv::WriterBuilder::new()
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(Vec::new());
            let cells: Vec<String> = fields
                .into_iter()
                .map(|f| match f {
                    Value::String(s) => s,
                    other => other.to_string(),
                })
                .collect();
            let csv_err = |e: String| FilterError::Record(format!("writing a CSV record: {e}"));
            // csv writes a lone empty field as `""` so the row is not blank.
            w.write_record(&cells).map_err(|e| csv_err(e.to_string()))?;
            let mut out = w.into_inner().map_err(|e| csv_err(e.to_string()))?;
            if out.last() == Some(&b'\n') {
                out.pop();
            }
            Ok(out)
        }
        DataFormat::Json | DataFormat::JsonLines => to_json_bytes(&value),
    }
}

fn to_json_bytes(v: &Value) -> Result<Vec<u8>, FilterError> {
    serde_json::to_vec(v).map_err(|e| FilterError::Record(format!("writing JSON: {e}")))
}

#[cfg(test)]
#[path = "filters_tests.rs"]
mod tests;
