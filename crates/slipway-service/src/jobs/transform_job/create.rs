//! CreateTransformJob: the request's rules (docs/contracts.md §5.1, §5.6), the
//! model's container resolved and pinned, then the runner starts.

use super::runner;
use super::spec::TransformJobSpec;
use super::state::{self, status, Plan, RunState, TransformJob, TransformJobDocument, KIND};
use super::TransformJobs;
use crate::error::{Error, Result};
use crate::jobs::instance_types;
use crate::jobs::transfer::S3Uri;
use crate::resources::{document, new_record, tags_of};
use slipway_batch::batch::BatchStrategy;
use slipway_batch::filters::DataProcessing;
use slipway_batch::split::SplitType;
use slipway_core::ports::metadata::MetaError;
use slipway_core::{AccountId, Echo};

impl TransformJobs<'_> {
    /// CreateTransformJob. `echo` is the request as sent, for
    /// DescribeTransformJob (`None` for a validation's job).
    pub async fn create(
        &self,
        account: &AccountId,
        spec: TransformJobSpec,
        echo: Option<Echo>,
        tags: Vec<(String, String)>,
    ) -> Result<TransformJob> {
        let rt = self.svc.jobs.clone();
        rt.require_engine("TransformJobName")?;
        let req = spec;
        check(&req)?;
        // Each instance is a container; a job that could never get all
        // its container slots at once would wait forever.
        let count = req.transform_resources.instance_count.unwrap_or(1);
        let cap = rt.settings.max_transform_containers.max(1);
        if usize::try_from(count).is_ok_and(|c| c > cap) {
            return Err(Error::invalid(
                "TransformResources.InstanceCount",
                format!(
                    "InstanceCount {count} is more than this server runs at once: it runs at most {cap} transform containers (SLIPWAY_MAX_TRANSFORM_CONTAINERS)."
                ),
            ));
        }
        let model = self.svc.models().describe(account, &req.model_name).await?;
        let container = self.svc.models().resolve(account, &model).await?;
        let it = req.transform_resources.instance_type.clone();
        let limits = instance_types::resolve(&it)
            .limits(rt.settings.host_cpus, rt.settings.memory_cap_bytes);
        let plan = Plan::from_container(container, it, limits.nano_cpus, limits.memory_bytes);
        let doc = TransformJobDocument {
            spec: req,
            echo,
            plan,
            state: RunState::default(),
        };
        let name = doc.spec.transform_job_name.clone();
        let mut record = new_record(
            self.svc,
            account,
            KIND,
            &name,
            status::IN_PROGRESS,
            document(&doc)?,
        );
        record.summary = state::summary_of(&doc)?;
        self.svc
            .store
            .insert(&record, &tags_of(&tags))
            .await
            .map_err(|e| match e {
                MetaError::AlreadyExists { .. } => Error::AlreadyExists {
                    message: format!(
                        "Transform job names must be unique within an AWS account and region, and a transform job with this name already exists ({})",
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
        );
        Ok(TransformJob { record, doc })
    }
}

/// Rules that need no lookups.
fn check(req: &TransformJobSpec) -> Result<()> {
    let mb = req.max_payload_in_mb;
    if let Some(mb) = mb {
        if mb > 100 {
            return Err(Error::invalid(
                "MaxPayloadInMB",
                format!("MaxPayloadInMB {mb} is greater than the maximum of 100."),
            ));
        }
    }
    if let (Some(mb), Some(c)) = (mb, req.max_concurrent_transforms) {
        if c > 0 && mb * c > 100 {
            return Err(Error::invalid(
                "MaxConcurrentTransforms",
                format!(
                    "MaxConcurrentTransforms ({c}) × MaxPayloadInMB ({mb}) = {} exceeds 100 MB.",
                    c * mb
                ),
            ));
        }
    }
    if let Some(s) = &req.batch_strategy {
        BatchStrategy::parse(s).ok_or_else(|| {
            Error::invalid("BatchStrategy", format!("Unknown BatchStrategy {s}."))
        })?;
    }
    let input = &req.transform_input;
    let split = input.split_type.as_deref().unwrap_or("None");
    SplitType::parse(split).ok_or_else(|| {
        Error::invalid(
            "TransformInput.SplitType",
            format!("Unknown SplitType {split}."),
        )
    })?;
    let src = &input.data_source.s3_data_source;
    if !matches!(src.s3_data_type.as_str(), "S3Prefix" | "ManifestFile") {
        return Err(Error::invalid(
            "TransformInput.DataSource.S3DataSource.S3DataType",
            format!(
                "S3DataType {} is not valid for batch transform; use S3Prefix or ManifestFile.",
                src.s3_data_type
            ),
        ));
    }
    if S3Uri::parse(&src.s3_uri).is_none() {
        return Err(Error::invalid(
            "TransformInput.DataSource.S3DataSource.S3Uri",
            format!("S3Uri {} is not a valid s3:// URI.", src.s3_uri),
        ));
    }
    if S3Uri::parse(&req.transform_output.s3_output_path).is_none() {
        return Err(Error::invalid(
            "TransformOutput.S3OutputPath",
            format!(
                "S3OutputPath {} is not a valid s3:// URI.",
                req.transform_output.s3_output_path
            ),
        ));
    }
    if let Some(dp) = &req.data_processing {
        DataProcessing::new(
            dp.input_filter.as_deref(),
            dp.output_filter.as_deref(),
            dp.join_source.as_deref() == Some("Input"),
            input.content_type.as_deref(),
            req.transform_output.accept.as_deref(),
        )
        .and_then(|d| {
            d.check_framing(
                split == "Line",
                req.transform_output.assemble_with.as_deref() == Some("Line"),
            )
        })
        .map_err(|e| Error::invalid("DataProcessing", e.to_string()))?;
    }
    Ok(())
}
