//! Managed spot training (docs/jobs.md "Managed spot training"):
//! `EnableManagedSpotTraining` and `StoppingCondition.MaxWaitTimeInSeconds`
//! checked as AWS checks them. No spot capacity is waited for and nothing
//! is interrupted here, so a spot job runs as any other, within its
//! MaxRuntimeInSeconds (and, for a Marketplace algorithm, within the
//! 3,600 s MaxWaitTimeInSeconds AWS fixes for those).

use crate::error::{Error, Result};
use slipway_core::spec::TrainingJobSpec;

/// AWS fixes MaxWaitTimeInSeconds at this for managed spot training of
/// AWS Marketplace algorithms.
pub const MARKETPLACE_MAX_WAIT_SECONDS: i64 = 3_600;

const FIELD: &str = "StoppingCondition.MaxWaitTimeInSeconds";

/// Checks the spot fields against `max_runtime` (the effective
/// MaxRuntimeInSeconds) and answers the seconds the job may run:
/// `max_runtime`, or at most [`MARKETPLACE_MAX_WAIT_SECONDS`] for a spot
/// job of a Marketplace algorithm.
pub fn runtime_budget(req: &TrainingJobSpec, max_runtime: i64, marketplace: bool) -> Result<i64> {
    let max_wait = req.stopping_condition.max_wait_time_in_seconds;
    if !req.managed_spot() {
        if max_wait.is_some() {
            return Err(Error::invalid(
                FIELD,
                "Invalid MaxWaitTimeInSeconds. It is only supported when EnableManagedSpotTraining is set to true",
            ));
        }
        return Ok(max_runtime);
    }
    match max_wait {
        Some(wait) if wait >= max_runtime => {}
        _ => {
            return Err(Error::invalid(
                FIELD,
                "Invalid MaxWaitTimeInSeconds. It must be present and be greater than or equal to MaxRuntimeInSeconds",
            ))
        }
    }
    Ok(if marketplace {
        max_runtime.min(MARKETPLACE_MAX_WAIT_SECONDS)
    } else {
        max_runtime
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(spot: Option<bool>, wait: Option<i64>) -> TrainingJobSpec {
        let mut r: TrainingJobSpec = serde_json::from_value(serde_json::json!({
            "training_job_name": "j",
            "role_arn": "r",
            "output_data_config": {"s3_output_path": "s3://b/o"},
        }))
        .expect("a spec");
        r.enable_managed_spot_training = spot;
        r.stopping_condition.max_wait_time_in_seconds = wait;
        r
    }

    fn reason(r: Result<i64>) -> String {
        match r {
            Err(Error::Invalid { field, reason }) => format!("{field}: {reason}"),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn max_wait_needs_spot() {
        assert_eq!(runtime_budget(&req(None, None), 60, false).ok(), Some(60));
        assert_eq!(
            runtime_budget(&req(Some(false), None), 60, false).ok(),
            Some(60)
        );
        assert_eq!(
            reason(runtime_budget(&req(Some(false), Some(60)), 60, false)),
            "StoppingCondition.MaxWaitTimeInSeconds: Invalid MaxWaitTimeInSeconds. It is only supported when EnableManagedSpotTraining is set to true"
        );
    }

    #[test]
    fn spot_needs_a_max_wait_of_at_least_the_max_runtime() {
        let want = "StoppingCondition.MaxWaitTimeInSeconds: Invalid MaxWaitTimeInSeconds. It must be present and be greater than or equal to MaxRuntimeInSeconds";
        assert_eq!(
            reason(runtime_budget(&req(Some(true), None), 60, false)),
            want
        );
        assert_eq!(
            reason(runtime_budget(&req(Some(true), Some(59)), 60, false)),
            want
        );
        assert_eq!(
            runtime_budget(&req(Some(true), Some(60)), 60, false).ok(),
            Some(60)
        );
    }

    #[test]
    fn a_marketplace_algorithm_runs_at_most_an_hour_on_spot() {
        let spot = req(Some(true), Some(86_400));
        assert_eq!(runtime_budget(&spot, 7_200, true).ok(), Some(3_600));
        assert_eq!(runtime_budget(&spot, 600, true).ok(), Some(600));
        assert_eq!(
            runtime_budget(&req(None, None), 7_200, true).ok(),
            Some(7_200)
        );
    }
}
