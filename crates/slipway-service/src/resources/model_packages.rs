//! Model packages: an inference image with optional artifacts, either
//! unversioned (by name) or a numbered version inside a group.

use super::{decode, document, map_insert, new_record, tags_of};
use crate::error::{Error, Result};
use crate::listing::ListParams;
use crate::reference::key_for;
use crate::{checks, Service};
use serde::{Deserialize, Serialize};
use slipway_core::echo::EchoPatch;
use slipway_core::ports::metadata::{MetaError, ParentFilter};
use slipway_core::spec::{InferenceSpec, StatusDetails, ValidationSpec};
use slipway_core::time_util::Micros;
use slipway_core::{AccountId, Arn, Echo, ResourceKind, ResourceRecord};

const KIND: ResourceKind = ResourceKind::ModelPackage;

/// A model package's source algorithm: its inference containers serve
/// this model data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SourceAlgorithm {
    pub algorithm_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_data_url: Option<String>,
}

/// CreateModelPackage, converted by the wire layer.
#[derive(Debug, Clone, Default)]
pub struct NewModelPackage {
    pub name: Option<String>,
    /// Name or ARN of the group, for a versioned package.
    pub group: Option<String>,
    pub description: Option<String>,
    pub inference: Option<InferenceSpec>,
    pub validation: Option<ValidationSpec>,
    /// `None` when the request has no SourceAlgorithmSpecification.
    pub source_algorithms: Option<Vec<SourceAlgorithm>>,
    pub certify_for_marketplace: Option<bool>,
    pub approval: Option<String>,
    /// How many AdditionalInferenceSpecifications the request has
    /// (UpdateModelPackage allows 15 in all).
    pub additional_inference_count: usize,
    /// Shown by listings as given.
    pub model_life_cycle: Option<Echo>,
    pub registration_type: Option<String>,
    pub tags: Vec<(String, String)>,
    /// Idempotency token: a retried create with the same token returns
    /// the package the first call made instead of failing or duplicating.
    pub client_token: Option<String>,
    /// The request as sent, for DescribeModelPackage.
    pub echo: Echo,
}

/// The inference specification of a package built from an algorithm:
/// the algorithm's own (as its echo) serving the source's model data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DerivedInference {
    pub algorithm_echo: Echo,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_data_url: Option<String>,
}

/// What is stored for a model package (docs/architecture.md, "Stored
/// documents"): the typed members the control plane acts on and owns,
/// and the request's echo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelPackageDocument {
    pub model_package_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_package_group_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_package_version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_package_description: Option<String>,
    /// The effective inference specification: the package's own, or its
    /// source algorithm's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inference: Option<InferenceSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub derived_inference: Option<DerivedInference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_algorithms: Vec<SourceAlgorithm>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<ValidationSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certify_for_marketplace: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_approval_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval_description: Option<String>,
    pub status_details: StatusDetails,
    #[serde(default)]
    pub additional_inference_count: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_life_cycle: Option<Echo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<Micros>,
    pub echo: Echo,
}

/// The members ListModelPackages shows, decoded from a stored summary
/// without materialising the document (listings decode up to 100).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelPackageSummary {
    pub model_package_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_package_group_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_package_version: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_package_description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_approval_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_life_cycle: Option<Echo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_type: Option<String>,
}

impl ModelPackageSummary {
    /// The listing view of a package document, stored beside it.
    pub(crate) fn of(doc: &ModelPackageDocument) -> Option<String> {
        let summary = Self {
            model_package_name: doc.model_package_name.clone(),
            model_package_group_name: doc.model_package_group_name.clone(),
            model_package_version: doc.model_package_version,
            model_package_description: doc.model_package_description.clone(),
            model_approval_status: doc.model_approval_status.clone(),
            model_life_cycle: doc.model_life_cycle.clone(),
            registration_type: doc.registration_type.clone(),
        };
        serde_json::to_string(&summary).ok()
    }
}

#[derive(Debug, Clone)]
pub struct ModelPackage {
    pub record: ResourceRecord,
    pub doc: ModelPackageDocument,
}

/// UpdateModelPackage, converted by the wire layer.
#[derive(Debug, Clone, Default)]
pub struct ModelPackageUpdate {
    pub arn: String,
    pub approval: Option<String>,
    pub approval_description: Option<String>,
    /// A new InferenceSpecification (it replaces the old one).
    pub inference: Option<InferenceSpec>,
    pub additional_inference_added: usize,
    pub model_life_cycle: Option<Echo>,
    pub registration_type: Option<String>,
    /// The request's changes to the echo (metadata, replaced members).
    pub echo_patch: EchoPatch,
}

/// ListModelPackages filters beyond the common ones.
#[derive(Debug, Clone, Default)]
pub struct ModelPackageFilter {
    pub approval: Option<String>,
    pub group: Option<String>,
    /// `Versioned`, `Unversioned` (default) or `Both`.
    pub package_type: Option<String>,
}

pub struct ModelPackages<'a> {
    pub(crate) svc: &'a Service,
}

impl ModelPackages<'_> {
    pub async fn create(
        &self,
        account: &AccountId,
        mut new: NewModelPackage,
    ) -> Result<ModelPackage> {
        if let Some(v) = &new.validation {
            self.svc
                .iam()
                .require_assumable(account, "ValidationRole", &v.validation_role)
                .await?;
        }
        let versioned = match (&new.name, &new.group) {
            (Some(_), Some(_)) => {
                return Err(Error::invalid(
                    "ModelPackageName",
                    "Both ModelPackageName and ModelPackageGroupName are provided in the input. Cannot determine which one to use.",
                ))
            }
            (None, None) => {
                return Err(Error::invalid(
                    "ModelPackageName",
                    "Missing ARN. Provide either ModelPackageName (unversioned) or ModelPackageGroupName (versioned).",
                ))
            }
            (_, group) => group.is_some(),
        };
        // Both SageMaker SDKs send `CertifyForMarketplace=false` and a
        // `ModelApprovalStatus` with every register(), versioned or not; AWS
        // accepts them where they "do not apply" (docs/fidelity.md). Only a
        // request to certify a version for the Marketplace, which lists
        // unversioned packages alone, is refused.
        if versioned && new.certify_for_marketplace == Some(true) {
            return Err(Error::invalid(
                "CertifyForMarketplace",
                "CertifyForMarketplace applies only to unversioned model packages (ModelPackageName), not to versions in a group.",
            ));
        }
        if !versioned {
            new.approval = None;
        }
        let (inference, derived_inference) = self.effective_inference(account, &new).await?;
        if let (Some(inf), false) = (&inference, versioned) {
            for (list, field) in [
                (
                    &inf.supported_transform_instance_types,
                    "SupportedTransformInstanceTypes",
                ),
                (
                    &inf.supported_realtime_inference_instance_types,
                    "SupportedRealtimeInferenceInstanceTypes",
                ),
            ] {
                if list.as_ref().is_none_or(Vec::is_empty) {
                    return Err(Error::invalid(
                        format!("InferenceSpecification.{field}"),
                        format!("InferenceSpecification.{field} is required for an unversioned model package."),
                    ));
                }
            }
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
        if let (Some(v), Some(inf)) = (&new.validation, &inference) {
            checks::model_package_profiles(inf, v)?;
        }
        if profiles > 0 {
            let images: Vec<(String, String)> = inference
                .iter()
                .flat_map(|inf| inf.containers.iter().enumerate())
                .map(|(i, c)| {
                    (
                        format!("InferenceSpecification.Containers.{}.Image", i + 1),
                        c.image.clone(),
                    )
                })
                .collect();
            crate::validation::check_images(self.svc, account, &images).await?;
        }
        let status = if profiles > 0 { "Pending" } else { "Completed" };
        let mut doc = ModelPackageDocument {
            model_package_name: String::new(),
            model_package_group_name: None,
            model_package_version: None,
            model_package_description: new.description,
            inference,
            derived_inference,
            source_algorithms: new.source_algorithms.unwrap_or_default(),
            status_details: StatusDetails::not_started(new.validation.as_ref()),
            validation: new.validation,
            certify_for_marketplace: new.certify_for_marketplace,
            model_approval_status: None,
            approval_description: None,
            additional_inference_count: new.additional_inference_count,
            model_life_cycle: new.model_life_cycle,
            registration_type: new.registration_type,
            last_modified: None,
            echo: new.echo,
        };
        let tags = tags_of(&new.tags);
        if let Some(name) = new.name {
            doc.model_package_name = name.clone();
            let mut record = new_record(self.svc, account, KIND, &name, status, document(&doc)?);
            record.client_token = new.client_token;
            record.summary = ModelPackageSummary::of(&doc);
            return match self.svc.store.insert(&record, &tags).await {
                Ok(()) => {
                    if profiles > 0 {
                        crate::validation::spawn(self.svc, &record);
                    }
                    Ok(ModelPackage { record, doc })
                }
                Err(MetaError::TokenReused(earlier)) => Self::retried(*earlier),
                Err(e) => Err(map_insert(e, "Model Package", &record.arn)),
            };
        }
        let group_ref = new.group.unwrap_or_default();
        let group = self
            .svc
            .model_package_groups()
            .describe(account, &group_ref)
            .await?;
        let group_name = group.doc.model_package_group_name;
        doc.model_package_name = group_name.clone();
        doc.model_package_group_name = Some(group_name.clone());
        let approval = new
            .approval
            .unwrap_or_else(|| "PendingManualApproval".into());
        doc.model_approval_status = Some(approval.clone());
        let mut record = new_record(self.svc, account, KIND, &group_name, status, String::new());
        record.parent = Some(group.record.key.clone());
        record.approval = Some(approval);
        record.client_token = new.client_token;
        let region = self.svc.region().to_owned();
        let clock = self.svc.clock.clone();
        let finish = move |r: &mut ResourceRecord, version: i64| {
            // Stamped inside the store's transaction, which hands out
            // versions in order: creation times then sort like versions.
            let now = clock.now_micros();
            r.created = now;
            r.modified = now;
            let resource = format!("{}/{version}", r.name);
            r.key = resource.to_ascii_lowercase();
            r.arn = Arn::new(&region, &r.account, KIND, &resource).to_string();
            let mut d = doc.clone();
            d.model_package_version = Some(version);
            r.document = serde_json::to_string(&d).unwrap_or_default();
            r.summary = ModelPackageSummary::of(&d);
        };
        let inserted = self
            .svc
            .store
            .insert_version(ResourceKind::ModelPackageGroup, record, &tags, &finish)
            .await;
        match inserted {
            Ok(record) => {
                if profiles > 0 {
                    crate::validation::spawn(self.svc, &record);
                }
                Ok(ModelPackage {
                    doc: decode(&record)?,
                    record,
                })
            }
            Err(MetaError::TokenReused(earlier)) => Self::retried(*earlier),
            Err(MetaError::MissingParent(_)) => Err(Error::NotFound {
                message: format!("ModelPackageGroup {} does not exist.", group.record.arn),
            }),
            Err(other) => Err(other.into()),
        }
    }

    /// The result of the create that a retried request (same ClientToken) repeats.
    fn retried(record: ResourceRecord) -> Result<ModelPackage> {
        Ok(ModelPackage {
            doc: decode(&record)?,
            record,
        })
    }

    /// The inference specification validation will run: the package's
    /// own, or its source algorithm's (then also returned as the
    /// algorithm's echo, which DescribeModelPackage shows).
    async fn effective_inference(
        &self,
        account: &AccountId,
        new: &NewModelPackage,
    ) -> Result<(Option<InferenceSpec>, Option<DerivedInference>)> {
        if let Some(inf) = &new.inference {
            checks::inference_containers(inf, "InferenceSpecification")?;
        }
        let Some(sources) = &new.source_algorithms else {
            // A version in a group may be registered before its inference
            // containers are known and get them later through
            // UpdateModelPackage, as AWS allows (docs/fidelity.md); it
            // cannot be validated until then.
            let versioned = new.group.is_some() && new.name.is_none();
            let validated = new
                .validation
                .as_ref()
                .is_some_and(|v| !v.validation_profiles.is_empty());
            if new.inference.is_none() && (!versioned || validated) {
                return Err(Error::invalid(
                    "InferenceSpecification",
                    "A model package needs an InferenceSpecification or a SourceAlgorithmSpecification.",
                ));
            }
            return Ok((new.inference.clone(), None));
        };
        for (i, algo) in sources.iter().enumerate() {
            let field = format!(
                "SourceAlgorithmSpecification.SourceAlgorithms.{}.AlgorithmName",
                i + 1
            );
            let found = self
                .svc
                .algorithms()
                .describe(account, &algo.algorithm_name)
                .await
                .map_err(|e| match e {
                    Error::NotFound { message } => Error::invalid(field.clone(), message),
                    other => other,
                })?;
            self.svc
                .check_marketplace_use(account, &found.record, &field)
                .await?;
            if new.inference.is_none() {
                let Some(mut inf) = found.doc.spec.inference else {
                    return Err(Error::invalid(
                        field,
                        format!("Algorithm {} has no InferenceSpecification, so a model package cannot be built from it.", found.record.arn),
                    ));
                };
                // As AWS describes such a package: the algorithm's
                // inference containers, each serving the source's model.
                if let Some(url) = &algo.model_data_url {
                    for container in &mut inf.containers {
                        container.model_data_url = Some(url.clone());
                    }
                }
                let derived = DerivedInference {
                    algorithm_echo: found.doc.echo,
                    model_data_url: algo.model_data_url.clone(),
                };
                return Ok((Some(inf), Some(derived)));
            }
        }
        Ok((new.inference.clone(), None))
    }

    pub async fn describe(&self, account: &AccountId, reference: &str) -> Result<ModelPackage> {
        let (record, doc) = super::find(self.svc, account, KIND, "ModelPackage", reference).await?;
        Ok(ModelPackage { record, doc })
    }

    pub async fn list(
        &self,
        account: &AccountId,
        params: &ListParams,
        filter: &ModelPackageFilter,
    ) -> Result<(Vec<(ResourceRecord, ModelPackageSummary)>, Option<String>)> {
        let mut q = params.to_query(account, KIND, false)?;
        q.summaries = true;
        q.approval = filter.approval.clone();
        q.parent = if let Some(group) = &filter.group {
            match key_for(
                group,
                account,
                self.svc.region(),
                ResourceKind::ModelPackageGroup,
            ) {
                Some(k) => ParentFilter::Of(k),
                None => return Ok((Vec::new(), None)),
            }
        } else {
            match filter.package_type.as_deref() {
                Some("Versioned") => ParentFilter::Some,
                Some("Both") => ParentFilter::Any,
                _ => ParentFilter::None,
            }
        };
        super::list_page(self.svc, q, params).await
    }

    pub async fn update(
        &self,
        account: &AccountId,
        update: ModelPackageUpdate,
    ) -> Result<ModelPackage> {
        let mut pkg = self.describe(account, &update.arn).await?;
        if let Some(approval) = &update.approval {
            if pkg.record.parent.is_none() {
                return Err(Error::invalid(
                    "ModelApprovalStatus",
                    "ModelApprovalStatus can only be set on versioned model packages.",
                ));
            }
            pkg.doc.model_approval_status = Some(approval.clone());
            pkg.record.approval = Some(approval.clone());
        }
        if let Some(d) = update.approval_description {
            pkg.doc.approval_description = Some(d);
        }
        if update.additional_inference_added > 0 {
            let total = pkg.doc.additional_inference_count + update.additional_inference_added;
            if total > 15 {
                return Err(Error::invalid(
                    "AdditionalInferenceSpecificationsToAdd",
                    "A model package can have at most 15 AdditionalInferenceSpecifications.",
                ));
            }
            pkg.doc.additional_inference_count = total;
        }
        if let Some(inference) = update.inference {
            pkg.doc.inference = Some(inference);
            pkg.doc.derived_inference = None;
        }
        if let Some(life_cycle) = update.model_life_cycle {
            pkg.doc.model_life_cycle = Some(life_cycle);
        }
        if let Some(kind) = update.registration_type {
            pkg.doc.registration_type = Some(kind);
        }
        pkg.doc.echo.apply(&update.echo_patch);
        let now = self.svc.now_micros();
        pkg.doc.last_modified = Some(now);
        pkg.record.modified = now;
        pkg.record.document = document(&pkg.doc)?;
        pkg.record.summary = ModelPackageSummary::of(&pkg.doc);
        let record = self.svc.store.update(&pkg.record).await?;
        Ok(ModelPackage {
            record,
            doc: pkg.doc,
        })
    }

    pub async fn delete(&self, account: &AccountId, reference: &str) -> Result<()> {
        let pkg = self.describe(account, reference).await?;
        crate::validation::stop_jobs(self.svc, account, &pkg.record).await;
        self.svc
            .store
            .delete(account, KIND, &pkg.record.key)
            .await?;
        Ok(())
    }
}
