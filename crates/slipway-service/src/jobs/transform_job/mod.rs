//! Batch transform jobs: CreateTransformJob / Describe / List / Stop, and
//! the runner that drives a seller's inference container through every
//! input object (docs/contracts.md §2.8, §5).

pub mod create;
mod instances;
pub mod reconcile;
mod runner;
pub mod spec;
pub mod state;

pub use runner::LOG_GROUP;
pub use state::{TransformJob, TransformJobDocument, TransformJobSummary};

use crate::error::{Error, Result};
use crate::listing::ListParams;
use crate::Service;
use slipway_core::{AccountId, ResourceRecord};
use state::KIND;

pub struct TransformJobs<'a> {
    pub(crate) svc: &'a Service,
}

impl TransformJobs<'_> {
    pub async fn describe(&self, account: &AccountId, reference: &str) -> Result<TransformJob> {
        use crate::reference::{arn_for, key_for};
        let arn = arn_for(reference, account, self.svc.region(), KIND);
        let not_found = || Error::NotFound {
            message: format!("Could not find transform job '{arn}'."),
        };
        let key = key_for(reference, account, self.svc.region(), KIND).ok_or_else(not_found)?;
        let record = self
            .svc
            .store
            .get(account, KIND, &key)
            .await?
            .ok_or_else(not_found)?;
        let doc = crate::resources::decode(&record)?;
        Ok(TransformJob { record, doc })
    }

    pub async fn list(
        &self,
        account: &AccountId,
        params: &ListParams,
    ) -> Result<(Vec<(ResourceRecord, TransformJobSummary)>, Option<String>)> {
        let mut q = params.to_query(account, KIND, true)?;
        q.summaries = true;
        crate::resources::list_page(self.svc, q, params).await
    }

    /// StopTransformJob: Stopping now, Stopped once the container is gone.
    pub async fn stop(&self, account: &AccountId, reference: &str) -> Result<()> {
        let job = self.describe(account, reference).await?;
        crate::jobs::lifecycle::stop::<runner::Transform>(self.svc, account, &job.record.key).await
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_instances;
