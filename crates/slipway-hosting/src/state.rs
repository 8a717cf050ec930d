//! What is stored for endpoint configs and endpoints (docs/architecture.md
//! "Stored documents"): plain domain types; the wire crate converts AWS
//! shapes to and from them.

use serde::{Deserialize, Serialize};
use slipway_core::time_util::Micros;
use slipway_core::{Echo, ResourceRecord};

/// EndpointStatus values (docs/contracts.md §2.2).
pub mod status {
    pub const CREATING: &str = "Creating";
    pub const UPDATING: &str = "Updating";
    pub const IN_SERVICE: &str = "InService";
    pub const DELETING: &str = "Deleting";
    pub const FAILED: &str = "Failed";
}

/// One production variant of an endpoint config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantSpec {
    pub variant_name: String,
    pub model_name: String,
    pub instance_type: String,
    pub initial_instance_count: i64,
    pub initial_variant_weight: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup_timeout_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_download_timeout_seconds: Option<i64>,
}

/// CreateEndpointConfig as the control plane acts on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointConfigSpec {
    pub endpoint_config_name: String,
    pub variants: Vec<VariantSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_network_isolation: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointConfigDocument {
    pub spec: EndpointConfigSpec,
    /// The request as sent, for DescribeEndpointConfig.
    pub echo: Echo,
}

#[derive(Debug, Clone)]
pub struct EndpointConfig {
    pub record: ResourceRecord,
    pub doc: EndpointConfigDocument,
}

/// An image a variant runs: as specified, and the digest it resolved to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeployedImage {
    pub specified: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution_time: Option<Micros>,
}

/// A variant as deployed (or being deployed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantState {
    pub spec: VariantSpec,
    /// The weight now applied (UpdateEndpointWeightsAndCapacities moves it).
    pub weight: f64,
    /// The number of instances wanted.
    pub instance_count: i64,
    #[serde(default)]
    pub deployed_images: Vec<DeployedImage>,
}

/// One endpoint config put into service, under a generation number that
/// names its containers (blue/green updates run two side by side).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    pub generation: u64,
    pub config_name: String,
    pub variants: Vec<VariantState>,
    /// From the endpoint config.
    #[serde(default)]
    pub network_isolation: bool,
    pub start: Micros,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct EndpointState {
    /// What serves (None until the first deployment is healthy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serving: Option<Deployment>,
    /// What is being deployed (Creating, or Updating).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Deployment>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    /// The last generation handed out.
    #[serde(default)]
    pub generation: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointDocument {
    pub endpoint_name: String,
    pub state: EndpointState,
}

impl EndpointDocument {
    /// The config the endpoint is (being) put on: the pending one while
    /// creating or updating, else the serving one.
    pub fn config_name(&self) -> Option<&str> {
        self.state
            .pending
            .as_ref()
            .or(self.state.serving.as_ref())
            .map(|d| d.config_name.as_str())
    }
}

#[derive(Debug, Clone)]
pub struct Endpoint {
    pub record: ResourceRecord,
    pub doc: EndpointDocument,
}
