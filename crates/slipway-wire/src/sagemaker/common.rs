//! Pieces shared by the SageMaker handlers.

use crate::generated::sagemaker::Tag;
use slipway_core::time_util::{epoch_seconds_to_micros, micros_to_epoch_seconds, Micros};
use slipway_wire_core::error::AwsError;
use slipway_wire_core::json::Input;

/// A request timestamp (epoch seconds) as the service's microseconds.
pub fn micros(seconds: Option<f64>) -> Option<Micros> {
    seconds.map(epoch_seconds_to_micros)
}

/// A stored time as SageMaker's epoch seconds.
pub fn seconds(m: Micros) -> f64 {
    micros_to_epoch_seconds(m)
}

/// A `MaxResults` member; the model check keeps it positive.
pub fn count(n: Option<i64>) -> Option<usize> {
    n.and_then(|n| usize::try_from(n).ok())
}

/// Tags as (key, value) pairs, as the service takes them.
pub fn tag_pairs(tags: Option<Vec<Tag>>) -> Vec<(String, String)> {
    tags.unwrap_or_default()
        .into_iter()
        .map(|t| (t.key, t.value))
        .collect()
}

/// The members every List* request shares, as the service's `ListParams`
/// (the typed requests differ, so a macro rather than a function).
macro_rules! list_params {
    ($input:expr) => {
        slipway_service::listing::ListParams {
            name_contains: $input.name_contains,
            created_after: $crate::sagemaker::common::micros($input.creation_time_after),
            created_before: $crate::sagemaker::common::micros($input.creation_time_before),
            sort_by: $input.sort_by,
            sort_order: $input.sort_order,
            max_results: $crate::sagemaker::common::count($input.max_results),
            next_token: $input.next_token,
            ..slipway_service::listing::ListParams::default()
        }
    };
}
pub(crate) use list_params;

/// The request as the member map the create handlers still read (they move
/// to typed specs separately); serializing the typed request keeps exactly
/// the members the model knows.
pub fn members<T: serde::Serialize>(input: &T) -> Result<Input, AwsError> {
    match serde_json::to_value(input) {
        Ok(serde_json::Value::Object(m)) => Ok(Input(m)),
        _ => Err(AwsError::internal()),
    }
}

/// `AlgorithmStatusDetails` / `ModelPackageStatusDetails`: both lists
/// always present, even empty (the model marks them required).
pub fn status_details(d: &slipway_core::spec::StatusDetails) -> serde_json::Value {
    let items = |list: &[slipway_core::spec::StatusItem]| -> Vec<serde_json::Value> {
        list.iter()
            .map(|i| {
                slipway_wire_core::json::object([
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
