//! Specs for tests, written with AWS's member names.
//!
//! The control plane's specs are plain Rust types whose fields are the
//! snake_case forms of the AWS members they come from. Tests describe a
//! request the way the API documentation and the e2e suites do, and
//! [`spec`] renames each member to its field, so a test reads like the
//! request it stands for without going through the wire layer.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Members whose field name is not their plain snake_case form.
const RENAMED: [(&str, &str); 3] = [
    ("Type", "kind"),
    ("MaxPayloadInMB", "max_payload_in_mb"),
    (
        "SupportedResponseMIMETypes",
        "supported_response_mime_types",
    ),
];

/// Decodes an AWS-spelled document into a spec. Panics on a document that
/// does not fit: a test's own literal is wrong.
pub fn spec<T: DeserializeOwned>(aws: Value) -> T {
    match serde_json::from_value(snake_keys(aws)) {
        Ok(spec) => spec,
        Err(e) => panic!("the test's spec does not fit its type: {e}"),
    }
}

/// An AWS member name (`PascalCase`, with a lower-case letter): map keys
/// such as environment variables (`MODEL_ENV`) and hyperparameter names
/// (`epochs`) are left alone.
fn is_member(key: &str) -> bool {
    key.starts_with(|c: char| c.is_ascii_uppercase())
        && key.chars().all(|c| c.is_ascii_alphanumeric())
        && key.chars().any(|c| c.is_ascii_lowercase())
}

fn snake(key: &str) -> String {
    if let Some((_, to)) = RENAMED.iter().find(|(from, _)| *from == key) {
        return (*to).to_owned();
    }
    let chars: Vec<char> = key.chars().collect();
    let mut out = String::new();
    for (i, c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev_lower = i > 0 && !chars[i - 1].is_ascii_uppercase();
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if i > 0 && (prev_lower || next_lower) {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(*c);
        }
    }
    out
}

fn snake_keys(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let all_members = m.keys().all(|k| is_member(k));
            Value::Object(
                m.into_iter()
                    .map(|(k, v)| {
                        let k = if all_members { snake(&k) } else { k };
                        (k, snake_keys(v))
                    })
                    .collect::<Map<String, Value>>(),
            )
        }
        Value::Array(list) => Value::Array(list.into_iter().map(snake_keys).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::snake;

    #[test]
    fn member_names_become_field_names() {
        assert_eq!(snake("S3OutputPath"), "s3_output_path");
        assert_eq!(snake("S3DataSource"), "s3_data_source");
        assert_eq!(snake("MaxRuntimeInSeconds"), "max_runtime_in_seconds");
        assert_eq!(snake("Type"), "kind");
        assert_eq!(snake("ModelDataUrl"), "model_data_url");
    }
}
