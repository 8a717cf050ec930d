//! A job's way to object storage: the S3 semantics of `slipway-objects`
//! on the wired ports, owned, so that download and upload tasks can carry
//! it. Every read and write names the job's account, as a client's would.

use slipway_core::ports::clock::Clock;
use slipway_objects::{ObjectStorage, Objects};
use std::sync::Arc;

#[derive(Clone)]
pub struct JobData {
    storage: Arc<ObjectStorage>,
    region: Arc<str>,
    clock: Arc<dyn Clock>,
}

impl JobData {
    pub fn new(storage: Arc<ObjectStorage>, region: &str, clock: Arc<dyn Clock>) -> Self {
        Self {
            storage,
            region: region.into(),
            clock,
        }
    }

    /// The S3 operations, in the server's region and on its clock.
    pub fn objects(&self) -> Objects<'_> {
        Objects::new(&self.storage, &self.region, self.clock.as_ref())
    }
}
