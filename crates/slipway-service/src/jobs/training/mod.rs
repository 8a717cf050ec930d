//! Training jobs: CreateTrainingJob / Describe / List / Stop, and the
//! runner that executes them (docs/contracts.md §2.6, §3).

mod checkpoint_sync;
pub mod cluster;
pub mod create;
mod finish;
mod pipes;
pub use slipway_executor::metrics;
mod hosts;
pub mod prepare;
pub mod reconcile;
mod recorder;
mod runner;
pub mod spec;
mod spot;
pub mod state;

/// The CloudWatch log group of training jobs.
pub const LOG_GROUP: &str = "/aws/sagemaker/TrainingJobs";
pub use runner::container_name;
pub use state::{TrainingJob, TrainingJobDocument, TrainingJobSummary};

use crate::error::{Error, Result};
use crate::listing::ListParams;
use crate::Service;
use slipway_core::{AccountId, ResourceRecord};
use state::{status, KIND};

pub struct TrainingJobs<'a> {
    pub(crate) svc: &'a Service,
}

impl TrainingJobs<'_> {
    /// Finds a job by name or ARN, or fails as DescribeTrainingJob does.
    pub async fn describe(&self, account: &AccountId, reference: &str) -> Result<TrainingJob> {
        // AWS answers a missing training job with a ValidationException
        // "Requested resource not found." (docs/contracts.md §1.3), not a message
        // naming the ARN as other Describe operations do.
        let (record, doc) =
            crate::resources::find(self.svc, account, KIND, "Training job", reference)
                .await
                .map_err(|e| match e {
                    Error::NotFound { .. } => Error::NotFound {
                        message: "Requested resource not found.".into(),
                    },
                    other => other,
                })?;
        Ok(TrainingJob { record, doc })
    }

    /// A page of jobs, with the summary members listings show.
    pub async fn list(
        &self,
        account: &AccountId,
        params: &ListParams,
    ) -> Result<(Vec<(ResourceRecord, TrainingJobSummary)>, Option<String>)> {
        let mut q = params.to_query(account, KIND, false)?;
        q.summaries = true;
        crate::resources::list_page(self.svc, q, params).await
    }

    /// The values a running or ended job's `metric` has had, in log
    /// order (early stopping and Hyperband read a child's curve here): its
    /// primary host's (`algo-1`), whose final value is the job's
    /// FinalMetricDataList.
    pub async fn metric_series(&self, account: &AccountId, job: &str, metric: &str) -> Vec<f64> {
        let primary = slipway_core::ports::metrics::PRIMARY_HOST;
        match self
            .svc
            .metrics()
            .series(account, job, primary, metric)
            .await
        {
            Ok(points) => points.into_iter().map(|p| p.value).collect(),
            Err(e) => {
                tracing::warn!(job, error = %e, "reading a metric's time series");
                Vec::new()
            }
        }
    }

    /// StopTrainingJob: Stopping now, Stopped once the container is gone.
    pub async fn stop(&self, account: &AccountId, reference: &str) -> Result<()> {
        let job = self.describe(account, reference).await?;
        crate::jobs::lifecycle::stop::<runner::Training>(self.svc, account, &job.record.key).await
    }

    /// DeleteTrainingJob: only a job that has ended; its name may then be
    /// used again. Its artifacts in S3 and its log stream stay, as on AWS;
    /// its metric points go first (they are the job's, keyed by its name
    /// and log lines, and a new job of that name starts its own series).
    pub async fn delete(&self, account: &AccountId, reference: &str) -> Result<()> {
        let job = self.describe(account, reference).await?;
        if !status::is_terminal(&job.record.status) {
            return Err(Error::InUse(format!(
                "Training job {} is {}; only a Completed, Failed or Stopped training job can be deleted.",
                job.record.name, job.record.status
            )));
        }
        self.svc
            .metrics()
            .delete_job(account, &job.record.name)
            .await
            .map_err(|e| Error::internal("deleting the job's metric points", e))?;
        self.svc
            .store
            .delete(account, KIND, &job.record.key)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_checkpoints;
#[cfg(test)]
mod tests_distributed;
#[cfg(test)]
mod tests_groups;
#[cfg(test)]
mod tests_pipe;
