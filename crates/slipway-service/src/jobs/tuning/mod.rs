//! Hyperparameter tuning jobs (docs/tuning.md): CreateHyperParameterTuningJob
//! and its Describe / List / Stop / Delete, and the runner that launches
//! child training jobs as the search strategy (`slipway-tuning`) proposes
//! them. Children are ordinary training jobs; the tuning job's runner
//! only creates, watches and stops them.

pub mod checks;
mod runner;
pub mod state;

pub(crate) use runner::Tuning;
pub use state::{Child, TuningJobDocument, TuningJobSummary};

use crate::error::{Error, Result};
use crate::listing::ListParams;
use crate::resources::{document, new_record, tags_of};
use crate::Service;
use serde_json::Value;
use slipway_core::ports::metadata::MetaError;
use slipway_core::spec::tuning::TuningJobSpec;
use slipway_core::spec::{HyperParameterSpec, MetricDefinition};
use slipway_core::{AccountId, Echo, ResourceRecord};
use state::{status, ParentTrial, TuningState, KIND};

pub struct TuningJob {
    pub record: ResourceRecord,
    pub doc: TuningJobDocument,
}

pub struct TuningJobs<'a> {
    pub(crate) svc: &'a Service,
}

impl TuningJobs<'_> {
    /// CreateHyperParameterTuningJob: checks the request, stores the job
    /// and starts its runner, which launches the first children.
    pub async fn create(
        &self,
        account: &AccountId,
        mut spec: TuningJobSpec,
        echo: Echo,
        tags: Vec<(String, String)>,
    ) -> Result<TuningJob> {
        let svc = self.svc;
        svc.jobs.require_engine("HyperParameterTuningJobName")?;
        // The strategy's own rules (Grid's categorical ranges, Hyperband's
        // resources) are the tuner's: building one checks them.
        runner::tuner_of(&spec, checks::request(&spec)?, "")?;
        svc.iam()
            .require_assumable(
                account,
                "TrainingJobDefinition.RoleArn",
                &spec.template.role_arn,
            )
            .await?;
        let metrics = self.check_algorithm(account, &mut spec).await?;
        checks::objective_defined(&spec, &metrics)?;
        let parent_trials = match &spec.warm_start {
            Some(w) => self.parent_trials(account, &spec, w).await?,
            None => Vec::new(),
        };
        let doc = TuningJobDocument {
            spec,
            echo: Some(echo),
            state: TuningState {
                parent_trials,
                ..TuningState::default()
            },
        };
        let name = doc.spec.tuning_job_name.clone();
        let mut record = new_record(
            svc,
            account,
            KIND,
            &name,
            status::IN_PROGRESS,
            document(&doc)?,
        );
        record.summary = state::summary_of(&doc)?;
        svc.store
            .insert(&record, &tags_of(&tags))
            .await
            .map_err(|e| match e {
                MetaError::AlreadyExists { .. } => Error::InUse(format!(
                    "Hyperparameter tuning job names must be unique within an AWS account and region, and a hyperparameter tuning job with this name already exists ({})",
                    record.arn
                )),
                other => other.into(),
            })?;
        crate::jobs::lifecycle::spawn::<runner::Tuning>(
            svc.clone(),
            account.clone(),
            record.key.clone(),
            record.arn.clone(),
            (),
        );
        Ok(TuningJob { record, doc })
    }

    /// With `AlgorithmName`: the algorithm's rules (Marketplace use, its
    /// declared tunable hyperparameters and objective metrics). Answers
    /// the metric definitions the children will have.
    async fn check_algorithm(
        &self,
        account: &AccountId,
        spec: &mut TuningJobSpec,
    ) -> Result<Vec<MetricDefinition>> {
        let algo_spec = &spec.template.algorithm_specification;
        let Some(name) = algo_spec.algorithm_name.clone() else {
            if algo_spec.training_image.is_none() {
                return Err(Error::invalid(
                    "TrainingJobDefinition.AlgorithmSpecification",
                    "AlgorithmSpecification must specify either TrainingImage or AlgorithmName.",
                ));
            }
            return Ok(algo_spec.metric_definitions.clone());
        };
        if algo_spec.training_image.is_some() {
            return Err(Error::invalid(
                "TrainingJobDefinition.AlgorithmSpecification",
                "Only one of TrainingImage or AlgorithmName may be specified in AlgorithmSpecification.",
            ));
        }
        let algo = self.svc.algorithms().describe(account, &name).await?;
        let field = "TrainingJobDefinition.AlgorithmSpecification.AlgorithmName";
        if self
            .svc
            .check_marketplace_use(account, &algo.record, field)
            .await?
            && spec.template.enable_network_isolation != Some(true)
        {
            return Err(Error::invalid(
                "TrainingJobDefinition.EnableNetworkIsolation",
                "EnableNetworkIsolation must be true for jobs using SageMaker Marketplace algorithms.",
            ));
        }
        if algo.record.status != "Completed" {
            return Err(Error::invalid(
                field,
                format!(
                    "Algorithm {} is in status {}; only a Completed algorithm can be used for tuning.",
                    algo.record.arn, algo.record.status
                ),
            ));
        }
        let training = &algo.doc.spec.training;
        let declared = declared_tunable(
            algo.doc.echo.as_value(),
            &training.supported_hyper_parameters,
        );
        checks::ranges_declared(spec, &algo.record.arn, &declared)?;
        checks::objective_supported(
            spec,
            &algo.record.arn,
            &supported_objectives(algo.doc.echo.as_value()),
        )?;
        let mut metrics = training.metric_definitions.clone();
        for m in &spec.template.algorithm_specification.metric_definitions {
            if !metrics.iter().any(|d| d.name == m.name) {
                metrics.push(m.clone());
            }
        }
        Ok(metrics)
    }

    /// The finished children of the warm-start parents.
    async fn parent_trials(
        &self,
        account: &AccountId,
        spec: &TuningJobSpec,
        warm: &slipway_core::spec::tuning::WarmStart,
    ) -> Result<Vec<ParentTrial>> {
        let field = "WarmStartConfig.ParentHyperParameterTuningJobs";
        if warm.parents.len() > checks::MAX_WARM_START_PARENTS {
            return Err(Error::invalid(
                field,
                format!(
                    "A tuning job can warm start from at most {} parent tuning jobs.",
                    checks::MAX_WARM_START_PARENTS
                ),
            ));
        }
        let mut trials = Vec::new();
        for name in &warm.parents {
            let parent = self.describe(account, name).await.map_err(|e| match e {
                Error::NotFound { .. } => Error::NotFound {
                    message: format!("Parent hyperparameter tuning job {name} does not exist."),
                },
                other => other,
            })?;
            if !status::is_terminal(&parent.record.status) {
                return Err(Error::invalid(
                    field,
                    format!(
                        "Parent hyperparameter tuning job {name} is {}; a parent must be Completed, Stopped or Failed.",
                        parent.record.status
                    ),
                ));
            }
            let p = &parent.doc.spec;
            if p.objective != spec.objective {
                return Err(Error::invalid(
                    field,
                    format!(
                        "The objective of parent hyperparameter tuning job {name} ({} {}) must be the same as this job's ({} {}).",
                        p.objective.kind, p.objective.metric_name, spec.objective.kind, spec.objective.metric_name
                    ),
                ));
            }
            let same_algorithm = p.template.algorithm_specification.training_image
                == spec.template.algorithm_specification.training_image
                && p.template.algorithm_specification.algorithm_name
                    == spec.template.algorithm_specification.algorithm_name;
            if warm.kind == "IdenticalDataAndAlgorithm"
                && (!same_algorithm
                    || p.template.input_data_config != spec.template.input_data_config)
            {
                return Err(Error::invalid(
                    "WarmStartConfig.WarmStartType",
                    format!(
                        "IdenticalDataAndAlgorithm needs the same training image or algorithm and the same input data as parent hyperparameter tuning job {name}; use TransferLearning."
                    ),
                ));
            }
            for c in parent.doc.state.children.iter().filter(|c| c.is_finished()) {
                trials.push(ParentTrial {
                    tuning_job_name: parent.record.name.clone(),
                    training_job_name: c.name.clone(),
                    training_job_arn: c.arn.clone(),
                    tuned: c.tuned.clone(),
                    objective: c.objective,
                    status: c.status.clone(),
                    creation_time: c.creation_time,
                    training_start: c.training_start,
                    training_end: c.training_end,
                });
            }
        }
        Ok(trials)
    }

    /// Finds a tuning job by name or ARN.
    pub async fn describe(&self, account: &AccountId, reference: &str) -> Result<TuningJob> {
        let (record, doc) = crate::resources::find(
            self.svc,
            account,
            KIND,
            "Amazon SageMaker can't find a tuning job",
            reference,
        )
        .await
        .map_err(|e| match e {
            Error::NotFound { .. } => Error::NotFound {
                message: format!("Amazon SageMaker can't find a tuning job with name {reference}"),
            },
            other => other,
        })?;
        Ok(TuningJob { record, doc })
    }

    pub async fn list(
        &self,
        account: &AccountId,
        params: &ListParams,
    ) -> Result<(Vec<(ResourceRecord, TuningJobSummary)>, Option<String>)> {
        let mut q = params.to_query(account, KIND, true)?;
        q.summaries = true;
        crate::resources::list_page(self.svc, q, params).await
    }

    /// StopHyperParameterTuningJob: Stopping now; the runner stops every
    /// running child and the job ends Stopped.
    pub async fn stop(&self, account: &AccountId, reference: &str) -> Result<()> {
        let job = self.describe(account, reference).await?;
        crate::jobs::lifecycle::stop::<runner::Tuning>(self.svc, account, &job.record.key).await
    }

    /// DeleteHyperParameterTuningJob: only one that has ended. Its
    /// children stay, as on AWS.
    pub async fn delete(&self, account: &AccountId, reference: &str) -> Result<()> {
        let job = self.describe(account, reference).await?;
        if !status::is_terminal(&job.record.status) {
            return Err(Error::InUse(format!(
                "Hyperparameter tuning job {} is {}; only a Completed, Failed or Stopped tuning job can be deleted.",
                job.record.name, job.record.status
            )));
        }
        self.svc
            .store
            .delete(account, KIND, &job.record.key)
            .await?;
        Ok(())
    }
}

/// The algorithm's hyperparameters with whether each is tunable
/// (`IsTunable` is kept in the request as sent, not in the spec).
fn declared_tunable(echo: &Value, specs: &[HyperParameterSpec]) -> Vec<(HyperParameterSpec, bool)> {
    let sent = echo
        .pointer("/TrainingSpecification/SupportedHyperParameters")
        .and_then(Value::as_array);
    specs
        .iter()
        .map(|s| {
            let tunable = sent
                .into_iter()
                .flatten()
                .find(|h| h.get("Name").and_then(Value::as_str) == Some(&s.name))
                .and_then(|h| h.get("IsTunable"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            (s.clone(), tunable)
        })
        .collect()
}

/// `SupportedTuningJobObjectiveMetrics` as `(Type, MetricName)`.
fn supported_objectives(echo: &Value) -> Vec<(String, String)> {
    echo.pointer("/TrainingSpecification/SupportedTuningJobObjectiveMetrics")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| {
            Some((
                m.get("Type")?.as_str()?.to_owned(),
                m.get("MetricName")?.as_str()?.to_owned(),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests;
