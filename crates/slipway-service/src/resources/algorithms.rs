//! Algorithms: a training image with its channels, hyperparameters and
//! metrics, plus an optional inference image, optionally validated.

use super::{document, map_insert, new_record, tags_of};
use crate::error::{Error, Result};
use crate::listing::ListParams;
use crate::{checks, Service};
use serde::{Deserialize, Serialize};
use slipway_core::spec::{InferenceSpec, StatusDetails, TrainingSpec, ValidationSpec};
use slipway_core::{AccountId, Echo, ResourceKind, ResourceRecord};

const KIND: ResourceKind = ResourceKind::Algorithm;

/// An algorithm as the control plane acts on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct AlgorithmSpec {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub training: TrainingSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inference: Option<InferenceSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<ValidationSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certify_for_marketplace: Option<bool>,
}

/// CreateAlgorithm, converted by the wire layer.
#[derive(Debug, Clone, Default)]
pub struct NewAlgorithm {
    pub spec: AlgorithmSpec,
    /// The request as sent, for DescribeAlgorithm.
    pub echo: Echo,
    pub tags: Vec<(String, String)>,
}

/// What is stored for an algorithm (docs/architecture.md, "Stored
/// documents"): DescribeAlgorithm shows the echo with the status details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlgorithmDocument {
    pub spec: AlgorithmSpec,
    pub echo: Echo,
    pub status_details: StatusDetails,
}

/// The members ListAlgorithms shows beyond the record's own columns.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AlgorithmSummary {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl AlgorithmSummary {
    pub(crate) fn of(spec: &AlgorithmSpec) -> Result<String> {
        document(&AlgorithmSummary {
            name: spec.name.clone(),
            description: spec.description.clone(),
        })
    }
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
        let NewAlgorithm {
            spec: new,
            echo,
            tags,
        } = new;
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
                    images.push((
                        format!("InferenceSpecification.Containers.{}.Image", i + 1),
                        c.image.clone(),
                    ));
                }
            }
            crate::validation::check_images(self.svc, account, &images).await?;
        }
        // Status honesty: with profiles to run, the algorithm waits for a
        // validation; without, it is usable at once, as on AWS.
        let status = if profiles > 0 { "Pending" } else { "Completed" };
        let doc = AlgorithmDocument {
            status_details: StatusDetails::not_started(new.validation.as_ref()),
            spec: new,
            echo,
        };
        let mut record = new_record(
            self.svc,
            account,
            KIND,
            &doc.spec.name,
            status,
            document(&doc)?,
        );
        record.summary = Some(AlgorithmSummary::of(&doc.spec)?);
        self.svc
            .store
            .insert(&record, &tags_of(&tags))
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
