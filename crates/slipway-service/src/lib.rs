//! The control plane. Handlers in the wire crate call one method here per
//! operation; this crate owns every rule and state transition and reaches
//! storage only through the ports in `slipway-core`.

pub mod accounts;
pub mod checks;
pub mod error;
pub mod listing;
pub mod objects;
pub mod reference;
pub mod registry;
pub mod resources;

pub use error::{Error, Result};

use slipway_core::ports::metadata::MetadataStore;
use std::sync::Arc;

/// Settings the control plane needs (not how it is reached).
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// The region in every ARN this server hands out.
    pub region: String,
}

/// The control plane, cheap to clone and shared by every request.
#[derive(Clone)]
pub struct Service {
    pub(crate) store: Arc<dyn MetadataStore>,
    pub(crate) config: Arc<ServiceConfig>,
    /// Object storage (S3), when the binary wired it (`with_object_storage`).
    pub(crate) object_storage: Option<Arc<objects::ObjectStorage>>,
    /// The image registry, when the binary wired it (`with_registry`).
    pub(crate) registry: Option<Arc<registry::RegistryStorage>>,
}

impl Service {
    pub fn new(store: Arc<dyn MetadataStore>, config: ServiceConfig) -> Self {
        Self {
            store,
            config: Arc::new(config),
            object_storage: None,
            registry: None,
        }
    }

    /// Adds object storage: S3 metadata in `index`, bytes in `blobs`.
    pub fn with_object_storage(
        mut self,
        index: Arc<dyn slipway_core::ports::objects::ObjectIndex>,
        blobs: Arc<dyn slipway_core::ports::blob::BlobStore>,
    ) -> Self {
        self.object_storage = Some(Arc::new(objects::ObjectStorage { index, blobs }));
        self
    }

    /// Buckets and objects (S3).
    pub fn objects(&self) -> objects::Objects<'_> {
        objects::Objects { svc: self }
    }

    pub fn region(&self) -> &str {
        &self.config.region
    }

    pub fn accounts(&self) -> accounts::Accounts<'_> {
        accounts::Accounts { svc: self }
    }

    pub fn algorithms(&self) -> resources::algorithms::Algorithms<'_> {
        resources::algorithms::Algorithms { svc: self }
    }

    pub fn model_packages(&self) -> resources::model_packages::ModelPackages<'_> {
        resources::model_packages::ModelPackages { svc: self }
    }

    pub fn model_package_groups(&self) -> resources::model_package_groups::ModelPackageGroups<'_> {
        resources::model_package_groups::ModelPackageGroups { svc: self }
    }

    pub fn tags(&self) -> resources::tags::Tags<'_> {
        resources::tags::Tags { svc: self }
    }
}
