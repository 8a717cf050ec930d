//! Pieces shared by the SageMaker handlers.

use crate::error::AwsError;
use crate::json::Input;
use slipway_service::listing::ListParams;

pub type HandlerResult = Result<serde_json::Value, AwsError>;

/// Serializes a typed response shape to the response text.
pub fn text<T: serde::Serialize>(shape: &T) -> Result<crate::json::Reply, AwsError> {
    serde_json::to_string(shape)
        .map(crate::json::Reply::Text)
        .map_err(|e| {
            tracing::error!(error = %e, "encoding a response");
            AwsError::internal()
        })
}

/// The List* members every listing shares.
pub fn list_params(input: &Input) -> Result<ListParams, AwsError> {
    Ok(ListParams {
        name_contains: input.str("NameContains"),
        created_after: input.time("CreationTimeAfter")?,
        created_before: input.time("CreationTimeBefore")?,
        modified_after: input.time("LastModifiedTimeAfter")?,
        modified_before: input.time("LastModifiedTimeBefore")?,
        status: input.str("StatusEquals"),
        sort_by: input.str("SortBy"),
        sort_order: input.str("SortOrder"),
        max_results: input.usize("MaxResults"),
        next_token: input.str("NextToken"),
    })
}

/// A required member the shape check guarantees; absent only if the
/// model and this handler disagree, which is a bug but not a panic.
pub fn required(input: &Input, name: &str) -> Result<String, AwsError> {
    input.str(name).ok_or_else(|| {
        AwsError::validation(format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            lower_camel(name)
        ))
    })
}

fn lower_camel(name: &str) -> String {
    let mut c = name.chars();
    c.next()
        .map(|f| f.to_lowercase().chain(c).collect())
        .unwrap_or_default()
}

/// `AlgorithmStatusDetails` / `ModelPackageStatusDetails`: both lists
/// always present, even empty (the model marks them required).
pub fn status_details(d: &slipway_core::spec::StatusDetails) -> serde_json::Value {
    let items = |list: &[slipway_core::spec::StatusItem]| -> Vec<serde_json::Value> {
        list.iter()
            .map(|i| {
                crate::json::object([
                    ("Name", serde_json::json!(i.name)),
                    ("Status", serde_json::json!(i.status)),
                    ("FailureReason", serde_json::json!(i.failure_reason)),
                ])
            })
            .collect()
    };
    serde_json::json!({
        "ValidationStatuses": items(&d.validation_statuses),
        "ImageScanStatuses": items(&d.image_scan_statuses),
    })
}
