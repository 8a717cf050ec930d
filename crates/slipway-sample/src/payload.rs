//! Request and response bodies of `POST /invocations`.
//!
//! Three formats, the ones SageMaker's DataProcessing understands:
//! `text/csv` (one record of features per line), `application/json`
//! (`{"instances": [[…], …]}`) and `application/jsonlines` (one record per
//! line). Every error names the line or instance at fault, because it ends
//! up in a transform job's FailureReason.

use crate::data::parse_numbers;
use serde_json::{json, Value};

/// A supported media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `text/csv`: features per line in; one prediction per line out.
    Csv,
    /// `application/json`: `{"instances": […]}` in; `{"predictions": […]}` out.
    Json,
    /// `application/jsonlines`: a record per line in; `{"prediction": x}` per line out.
    JsonLines,
}

impl Format {
    /// Parses a Content-Type or one Accept entry, ignoring parameters such
    /// as `; charset=utf-8`. `None` when unsupported.
    pub fn from_media_type(value: &str) -> Option<Self> {
        let essence = value
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "text/csv" => Some(Self::Csv),
            "application/json" => Some(Self::Json),
            "application/jsonlines" | "application/x-jsonlines" | "application/jsonl" => {
                Some(Self::JsonLines)
            }
            _ => None,
        }
    }

    /// The Content-Type of a response in this format.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Csv => "text/csv",
            Self::Json => "application/json",
            Self::JsonLines => "application/jsonlines",
        }
    }

    /// What a position in this format is called in error messages.
    pub fn unit(self) -> &'static str {
        match self {
            Self::Json => "instance",
            Self::Csv | Self::JsonLines => "line",
        }
    }
}

/// The types `POST /invocations` accepts, for 415 messages.
pub const SUPPORTED: &str = "text/csv, application/json, application/jsonlines";

/// One input record and where it came from (1-based line or instance).
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// 1-based line (CSV, JSON lines) or instance index (JSON).
    pub position: usize,
    /// Feature values.
    pub features: Vec<f64>,
}

/// Decodes a request body. Blank lines are skipped (a trailing newline is
/// normal in split batch payloads); zero records is an error.
pub fn parse_records(format: Format, body: &[u8]) -> Result<Vec<Record>, String> {
    let text = std::str::from_utf8(body).map_err(|e| format!("payload is not UTF-8: {e}"))?;
    let records = match format {
        Format::Csv => by_line(text, parse_numbers)?,
        Format::JsonLines => by_line(text, |line| {
            let v: Value =
                serde_json::from_str(line).map_err(|e| format!("not valid JSON: {e}"))?;
            features_of(&v)
        })?,
        Format::Json => {
            let v: Value = serde_json::from_str(text)
                .map_err(|e| format!("payload is not valid JSON: {e}"))?;
            let instances = match &v {
                Value::Object(o) => o.get("instances").and_then(Value::as_array).ok_or(
                    "JSON payload must be {\"instances\": [...]} or an array of instances",
                )?,
                Value::Array(a) => a,
                _ => return Err("JSON payload must be an object or an array".to_string()),
            };
            instances
                .iter()
                .enumerate()
                .map(|(i, inst)| {
                    features_of(inst)
                        .map(|features| Record {
                            position: i + 1,
                            features,
                        })
                        .map_err(|e| format!("instance {}: {e}", i + 1))
                })
                .collect::<Result<_, _>>()?
        }
    };
    if records.is_empty() {
        return Err("payload holds no records".to_string());
    }
    Ok(records)
}

fn by_line(
    text: &str,
    parse: impl Fn(&str) -> Result<Vec<f64>, String>,
) -> Result<Vec<Record>, String> {
    let mut out = Vec::new();
    for (i, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let features = parse(line).map_err(|e| format!("line {}: {e}", i + 1))?;
        out.push(Record {
            position: i + 1,
            features,
        });
    }
    Ok(out)
}

/// A record is `[x1, x2, …]` or `{"features": [x1, x2, …]}`.
fn features_of(v: &Value) -> Result<Vec<f64>, String> {
    let arr = match v {
        Value::Array(a) => a,
        Value::Object(o) => o
            .get("features")
            .and_then(Value::as_array)
            .ok_or("an object record needs a \"features\" array")?,
        _ => return Err("a record must be an array of numbers".to_string()),
    };
    arr.iter()
        .enumerate()
        .map(|(i, x)| {
            x.as_f64()
                .filter(|f| f.is_finite())
                .ok_or_else(|| format!("feature {} ({x}) is not a number", i + 1))
        })
        .collect()
}

/// Encodes predictions in `format`; CSV and JSON lines end every record
/// with a newline so outputs can be concatenated record by record.
pub fn render(format: Format, predictions: &[f64]) -> Vec<u8> {
    match format {
        Format::Csv => predictions
            .iter()
            .map(|p| format!("{p}\n"))
            .collect::<String>()
            .into_bytes(),
        Format::JsonLines => predictions
            .iter()
            .map(|p| format!("{}\n", json!({ "prediction": p })))
            .collect::<String>()
            .into_bytes(),
        Format::Json => json!({ "predictions": predictions })
            .to_string()
            .into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_ignore_parameters_and_case() {
        assert_eq!(
            Format::from_media_type("Text/CSV; charset=utf-8"),
            Some(Format::Csv)
        );
        assert_eq!(
            Format::from_media_type("application/jsonlines"),
            Some(Format::JsonLines)
        );
        assert_eq!(
            Format::from_media_type("application/x-recordio-protobuf"),
            None
        );
    }

    #[test]
    fn csv_skips_blank_lines_and_names_bad_line() {
        let recs = parse_records(Format::Csv, b"1,2\r\n\n3,4\n").unwrap();
        assert_eq!(recs.len(), 2);
        assert_eq!(
            recs[1],
            Record {
                position: 3,
                features: vec![3.0, 4.0]
            }
        );
        let err = parse_records(Format::Csv, b"1,2\n3,x\n").unwrap_err();
        assert!(err.starts_with("line 2: column 2"), "{err}");
        assert!(parse_records(Format::Csv, b"\n").is_err());
    }

    #[test]
    fn json_and_jsonlines_records() {
        let recs = parse_records(
            Format::Json,
            br#"{"instances": [[1, 2], {"features": [3, 4]}]}"#,
        )
        .unwrap();
        assert_eq!(recs[1].features, vec![3.0, 4.0]);
        let err = parse_records(Format::Json, br#"{"instances": [[1, "a"]]}"#).unwrap_err();
        assert!(err.starts_with("instance 1: feature 2"), "{err}");
        let recs = parse_records(Format::JsonLines, b"[1,2]\n{\"features\":[5,6]}\n").unwrap();
        assert_eq!(recs[1].position, 2);
        assert!(parse_records(Format::JsonLines, b"[1,2]\n{oops\n")
            .unwrap_err()
            .starts_with("line 2"));
    }

    #[test]
    fn renders_each_format() {
        assert_eq!(render(Format::Csv, &[1.5, -2.0]), b"1.5\n-2\n");
        assert_eq!(render(Format::Json, &[1.5]), br#"{"predictions":[1.5]}"#);
        assert_eq!(render(Format::JsonLines, &[3.0]), b"{\"prediction\":3.0}\n");
    }
}
