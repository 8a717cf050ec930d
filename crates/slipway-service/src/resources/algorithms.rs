//! Algorithms: a training image with its channels, hyperparameters and
//! metrics, plus an optional inference image, optionally validated.

use super::{document, map_insert, new_record, tags_of};
use crate::error::{Error, Result};
use crate::listing::ListParams;
use crate::{checks, Service};
use serde::{Deserialize, Serialize};
use slipway_core::spec::{
    InferenceSpecification, StatusDetails, TrainingSpecification, ValidationSpecification,
};
use slipway_core::{AccountId, ResourceKind, ResourceRecord};

const KIND: ResourceKind = ResourceKind::Algorithm;

/// CreateAlgorithm, parsed.
#[derive(Debug, Clone)]
pub struct NewAlgorithm {
    pub name: String,
    pub description: Option<String>,
    pub training: TrainingSpecification,
    pub inference: Option<InferenceSpecification>,
    pub validation: Option<ValidationSpecification>,
    pub certify_for_marketplace: Option<bool>,
    pub tags: Vec<(String, String)>,
}

/// What is stored (and echoed by DescribeAlgorithm).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AlgorithmDocument {
    pub algorithm_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm_description: Option<String>,
    pub training_specification: TrainingSpecification,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inference_specification: Option<InferenceSpecification>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation_specification: Option<ValidationSpecification>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certify_for_marketplace: Option<bool>,
    pub algorithm_status_details: StatusDetails,
}

/// The members ListAlgorithms shows beyond the record's own columns.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AlgorithmSummary {
    pub algorithm_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm_description: Option<String>,
}

/// A stored algorithm: its record (ARN, status, times) and document.
#[derive(Debug, Clone)]
pub struct Algorithm {
    pub record: ResourceRecord,
    pub doc: AlgorithmDocument,
}

pub struct Algorithms<'a> {
    pub(crate) svc: &'a Service,
}

impl Algorithms<'_> {
    pub async fn create(&self, account: &AccountId, new: NewAlgorithm) -> Result<Algorithm> {
        checks::training_specification(&new.training)?;
        if let Some(v) = &new.validation {
            self.svc
                .iam()
                .require_assumable(account, "ValidationRole", &v.validation_role)
                .await?;
        }
        if let Some(inf) = &new.inference {
            checks::inference_containers(inf, "InferenceSpecification")?;
        }
        let profiles = new
            .validation
            .as_ref()
            .map_or(0, |v| v.validation_profiles.len());
        if new.certify_for_marketplace == Some(true) && profiles == 0 {
            return Err(Error::invalid(
                "CertifyForMarketplace",
                "CertifyForMarketplace requires a ValidationSpecification with at least one validation profile.",
            ));
        }
        if let Some(v) = &new.validation {
            checks::algorithm_profiles(&new.training, new.inference.as_ref(), v)?;
        }
        if profiles > 0 {
            let mut images = vec![(
                "TrainingSpecification.TrainingImage".to_owned(),
                new.training.training_image.clone(),
            )];
            if let Some(inf) = &new.inference {
                for (i, c) in inf.containers.iter().enumerate() {
                    if let Some(image) = c.get("Image").and_then(serde_json::Value::as_str) {
                        images.push((
                            format!("InferenceSpecification.Containers.{}.Image", i + 1),
                            image.to_owned(),
                        ));
                    }
                }
            }
            crate::validation::check_images(self.svc, account, &images).await?;
        }
        // Status honesty: with profiles to run, the algorithm waits for a
        // validation; without, it is usable at once, as on AWS.
        let status = if profiles > 0 { "Pending" } else { "Completed" };
        let doc = AlgorithmDocument {
            algorithm_name: new.name.clone(),
            algorithm_description: new.description,
            training_specification: new.training,
            inference_specification: new.inference,
            algorithm_status_details: StatusDetails::not_started(new.validation.as_ref()),
            validation_specification: new.validation,
            certify_for_marketplace: new.certify_for_marketplace,
        };
        let mut record = new_record(self.svc, account, KIND, &new.name, status, document(&doc)?);
        record.summary = Some(document(&AlgorithmSummary {
            algorithm_name: doc.algorithm_name.clone(),
            algorithm_description: doc.algorithm_description.clone(),
        })?);
        self.svc
            .store
            .insert(&record, &tags_of(&new.tags))
            .await
            .map_err(|e| map_insert(e, "Algorithm", &record.arn))?;
        if profiles > 0 {
            crate::validation::spawn(self.svc, &record);
        }
        Ok(Algorithm { record, doc })
    }

    /// Finds an algorithm by name or ARN, or fails as DescribeAlgorithm does.
    pub async fn describe(&self, account: &AccountId, reference: &str) -> Result<Algorithm> {
        let (record, doc) = super::find(self.svc, account, KIND, "Algorithm", reference).await?;
        Ok(Algorithm { record, doc })
    }

    pub async fn list(
        &self,
        account: &AccountId,
        params: &ListParams,
    ) -> Result<(Vec<(ResourceRecord, AlgorithmSummary)>, Option<String>)> {
        let mut q = params.to_query(account, KIND, false)?;
        q.summaries = true;
        super::list_page(self.svc, q, params).await
    }

    pub async fn delete(&self, account: &AccountId, name: &str) -> Result<()> {
        let algo = self.describe(account, name).await?;
        crate::validation::stop_jobs(self.svc, account, &algo.record).await;
        self.svc
            .store
            .delete(account, KIND, &algo.record.key)
            .await?;
        Ok(())
    }
}
