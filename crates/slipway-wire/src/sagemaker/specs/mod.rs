//! AWS request shapes into the control plane's specs.
//!
//! Each Create* request is decoded into its generated type
//! (`crate::generated::sagemaker`) and converted with `TryFrom` into the
//! spec the control plane acts on; the request as sent (less its Tags and
//! the members the server renders itself) is kept as the resource's
//! [`Echo`], which Describe* shows (docs/architecture.md, "Stored
//! documents"). Jobs and models a validation makes have no echo: their
//! Describe* shape is rendered from the spec (`render_*`).
//! `legacy.rs` reads the documents of the earlier storage layout.

mod jobs;
pub mod legacy;
mod resources;

pub use jobs::{render_training_job, render_transform_job};
pub use resources::{render_inference, render_model, update_of};

use serde::de::DeserializeOwned;
use serde_json::Value;
use slipway_core::Echo;
use slipway_wire_core::error::AwsError;
use slipway_wire_core::json::Input;

/// A conversion failure, worded as the control plane words a request it
/// cannot read: a `ValidationException`.
#[derive(Debug)]
pub struct Unreadable(pub String);

impl From<Unreadable> for AwsError {
    fn from(e: Unreadable) -> Self {
        AwsError::validation(e.0)
    }
}

/// Decodes the (shape-checked) request into its generated type.
pub fn request<T: DeserializeOwned>(input: &Input) -> Result<T, Unreadable> {
    decode(input.as_value())
}

pub(crate) fn decode<T: DeserializeOwned>(v: Value) -> Result<T, Unreadable> {
    serde_json::from_value(v).map_err(|e| Unreadable(format!("Cannot read the request: {e}")))
}

/// The request as sent, less `without` (Tags, tokens, and members the
/// server renders itself).
pub fn echo(input: &Input, without: &[&str]) -> Echo {
    let mut v = input.as_value();
    if let Value::Object(m) = &mut v {
        m.retain(|k, v| !without.contains(&k.as_str()) && !v.is_null());
    }
    Echo::new(v)
}
