//! CreateTrainingJob: the request's rules, the plan (image, limits,
//! metrics) and the stored job, whose runner starts at once.

use super::metrics;
use super::prepare::channel_mode;
use super::runner::{self, Entry};
use super::spec::{TrainingJobSpec, DEFAULT_MAX_RUNTIME_SECONDS};
use super::state::{
    self, status, Plan, RunState, Secondary, TrainingJob, TrainingJobDocument, KIND,
};
use super::TrainingJobs;
use crate::error::{Error, Result};
use crate::jobs::instance_types;
use crate::jobs::transfer::S3Uri;
use crate::resources::{document, new_record, tags_of};
use slipway_core::ports::metadata::MetaError;
use slipway_core::spec::TrainingJobDefinition;
use slipway_core::{AccountId, Echo};

/// Who is creating the job: a client, or the validation of a resource
/// (which may run an algorithm that is not Completed yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Client,
    Validation,
}

impl TrainingJobs<'_> {
    /// CreateTrainingJob. `echo` is the request as sent, for
    /// DescribeTrainingJob (`None` for a validation's job); `tags` its Tags.
    pub async fn create(
        &self,
        account: &AccountId,
        spec: TrainingJobSpec,
        echo: Option<Echo>,
        tags: Vec<(String, String)>,
        origin: Origin,
    ) -> Result<TrainingJob> {
        self.create_with(account, spec, echo, tags, origin, None)
            .await
    }

    /// A child of a tuning job (`jobs/tuning/runner.rs`): checked as a
    /// client's job, and marked with its tuning job.
    pub async fn create_for_tuning(
        &self,
        account: &AccountId,
        spec: TrainingJobSpec,
        tuning_job_arn: &str,
    ) -> Result<TrainingJob> {
        self.create_with(
            account,
            spec,
            None,
            Vec::new(),
            Origin::Client,
            Some(tuning_job_arn.to_owned()),
        )
        .await
    }

    async fn create_with(
        &self,
        account: &AccountId,
        spec: TrainingJobSpec,
        echo: Option<Echo>,
        tags: Vec<(String, String)>,
        origin: Origin,
        tuning_job_arn: Option<String>,
    ) -> Result<TrainingJob> {
        // A validation's jobs run with the role checked when the resource
        // was created.
        if origin == Origin::Client {
            self.svc
                .iam()
                .require_assumable(account, "RoleArn", &spec.role_arn)
                .await?;
        }
        let rt = self.svc.jobs.clone();
        rt.require_engine("TrainingJobName")?;
        let mut req = spec;
        let plan = self.plan(account, &mut req, origin, &rt.settings).await?;
        let mut st = RunState::default();
        st.enter(Secondary::Starting, None, self.svc.now_micros());
        let doc = TrainingJobDocument {
            spec: req,
            echo,
            plan,
            state: st,
            tuning_job_arn,
        };
        let name = doc.spec.training_job_name.clone();
        let mut record = new_record(
            self.svc,
            account,
            KIND,
            &name,
            status::IN_PROGRESS,
            document(&doc)?,
        );
        record.summary = Some(state::summary_of(&doc)?);
        self.svc
            .store
            .insert(&record, &tags_of(&tags))
            .await
            .map_err(|e| match e {
                MetaError::AlreadyExists { .. } => Error::AlreadyExists {
                    message: format!(
                        "Training job names must be unique within an AWS account and region, and a training job with this name already exists ({})",
                        record.arn
                    ),
                },
                other => other.into(),
            })?;
        runner::spawn(
            self.svc.clone(),
            account.clone(),
            record.key.clone(),
            record.arn.clone(),
            Entry::Fresh,
        );
        Ok(TrainingJob { record, doc })
    }

    /// Checks the request and decides how the job runs.
    async fn plan(
        &self,
        account: &AccountId,
        req: &mut TrainingJobSpec,
        origin: Origin,
        settings: &crate::jobs::JobSettings,
    ) -> Result<Plan> {
        let spec = &req.algorithm_specification;
        let (image, metric_definitions, algorithm_arn) =
            match (&spec.training_image, &spec.algorithm_name) {
                (Some(_), Some(_)) => {
                    return Err(Error::invalid(
                        "AlgorithmSpecification",
                        "Only one of TrainingImage or AlgorithmName may be specified in AlgorithmSpecification.",
                    ))
                }
                (None, None) => {
                    return Err(Error::invalid(
                        "AlgorithmSpecification",
                        "AlgorithmSpecification must specify either TrainingImage or AlgorithmName.",
                    ))
                }
                (Some(image), None) => (image.clone(), spec.metric_definitions.clone(), None),
                (None, Some(name)) => {
                    let algo = self.svc.algorithms().describe(account, name).await.map_err(|e| match e {
                        Error::NotFound { message } => Error::NotFound { message },
                        other => other,
                    })?;
                    let field = "AlgorithmSpecification.AlgorithmName";
                    if self.svc.check_marketplace_use(account, &algo.record, field).await?
                        && req.enable_network_isolation != Some(true)
                    {
                        return Err(Error::invalid(
                            "EnableNetworkIsolation",
                            "EnableNetworkIsolation must be true for jobs using SageMaker Marketplace algorithms.",
                        ));
                    }
                    if origin == Origin::Client && algo.record.status != "Completed" {
                        return Err(Error::invalid(
                            "AlgorithmSpecification.AlgorithmName",
                            format!(
                                "Algorithm {} is in status {}; only a Completed algorithm can be used for training.",
                                algo.record.arn, algo.record.status
                            ),
                        ));
                    }
                    let training = &algo.doc.spec.training;
                    let def = TrainingJobDefinition {
                        training_input_mode: spec.training_input_mode.clone(),
                        hyper_parameters: req.hyper_parameters.clone(),
                        input_data_config: req.input_data_config.clone(),
                        output_data_config: req.output_data_config.clone(),
                        resource_config: req.resource_config.clone(),
                        stopping_condition: req.stopping_condition.clone(),
                    };
                    crate::checks::training_job_definition(training, &def, "")
                        .map_err(strip_leading_dot)?;
                    let mut metrics = training.metric_definitions.clone();
                    for m in &spec.metric_definitions {
                        if !metrics.iter().any(|d| d.name == m.name) {
                            metrics.push(m.clone());
                        }
                    }
                    (training.training_image.clone(), metrics, Some(algo.record.arn))
                }
            };
        for (i, m) in metric_definitions.iter().enumerate() {
            metrics::compile(&m.regex).map_err(|why| {
                Error::invalid(
                    format!("AlgorithmSpecification.MetricDefinitions.{}.Regex", i + 1),
                    format!(
                        "MetricDefinition '{}' has a regex that does not compile: {why}",
                        m.name
                    ),
                )
            })?;
        }
        self.check_channels(req)?;
        if S3Uri::parse(&req.output_data_config.s3_output_path).is_none() {
            return Err(Error::invalid(
                "OutputDataConfig.S3OutputPath",
                format!(
                    "S3OutputPath {} is not a valid s3:// URI.",
                    req.output_data_config.s3_output_path
                ),
            ));
        }
        if let Some(cp) = &req.checkpoint_config {
            if S3Uri::parse(&cp.s3_uri).is_none() {
                return Err(Error::invalid(
                    "CheckpointConfig.S3Uri",
                    format!(
                        "CheckpointConfig.S3Uri {} is not a valid s3:// URI.",
                        cp.s3_uri
                    ),
                ));
            }
        }
        let (instance_groups, instance_type) = super::cluster::plan_cluster(req, settings)?;
        let limits = instance_types::resolve(&instance_type)
            .limits(settings.host_cpus, settings.memory_cap_bytes);
        let max_runtime = req
            .stopping_condition
            .max_runtime_in_seconds
            .unwrap_or(DEFAULT_MAX_RUNTIME_SECONDS);
        req.stopping_condition.max_runtime_in_seconds = Some(max_runtime);
        let marketplace = algorithm_arn
            .as_deref()
            .is_some_and(|a| self.svc.is_marketplace_arn(a));
        let max_runtime = super::spot::runtime_budget(req, max_runtime, marketplace)?;
        Ok(Plan {
            image,
            metric_definitions,
            instance_type,
            nano_cpus: limits.nano_cpus,
            memory_bytes: limits.memory_bytes,
            max_runtime_seconds: max_runtime,
            algorithm_arn,
            instance_groups,
        })
    }

    fn check_channels(&self, req: &TrainingJobSpec) -> Result<()> {
        let mut seen = std::collections::HashSet::new();
        for (i, ch) in req.input_data_config.iter().enumerate() {
            let field = format!("InputDataConfig.{}", i + 1);
            if !seen.insert(ch.channel_name.as_str()) {
                return Err(Error::invalid(
                    format!("{field}.ChannelName"),
                    format!(
                        "Channel names must be unique; '{}' appears more than once.",
                        ch.channel_name
                    ),
                ));
            }
            let Some(s3) = &ch.data_source.s3_data_source else {
                return Err(Error::invalid(
                    format!("{field}.DataSource"),
                    format!(
                        "Channel '{}' must have an S3DataSource (Slipway reads channel data from its object storage).",
                        ch.channel_name
                    ),
                ));
            };
            let pipe = channel_mode(req, ch) == "Pipe";
            match s3.s3_data_type.as_str() {
                "S3Prefix" | "ManifestFile" => {}
                "AugmentedManifestFile" if pipe => {
                    if s3.attribute_names.is_empty() {
                        return Err(Error::invalid(
                            format!("{field}.DataSource.S3DataSource.AttributeNames"),
                            format!(
                                "AttributeNames must name at least one attribute for channel '{}' with S3DataType AugmentedManifestFile.",
                                ch.channel_name
                            ),
                        ));
                    }
                }
                other => {
                    return Err(Error::invalid(
                        format!("{field}.DataSource.S3DataSource.S3DataType"),
                        format!(
                            "S3DataType {other} of channel '{}' is only valid in Pipe mode; use S3Prefix or ManifestFile.",
                            ch.channel_name
                        ),
                    ))
                }
            }
            if S3Uri::parse(&s3.s3_uri).is_none() {
                return Err(Error::invalid(
                    format!("{field}.DataSource.S3DataSource.S3Uri"),
                    format!(
                        "S3Uri {} of channel '{}' is not a valid s3:// URI.",
                        s3.s3_uri, ch.channel_name
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// The shared definition checks name fields from a prefix; a training job
/// has none.
fn strip_leading_dot(e: Error) -> Error {
    match e {
        Error::Invalid { field, reason } => Error::Invalid {
            field: field.trim_start_matches('.').to_owned(),
            reason,
        },
        other => other,
    }
}
