//! Models: an inference container definition (image, model data,
//! environment), or a model package referenced by name or ARN. A transform
//! job (and later an endpoint) runs a model's container (docs/contracts.md §2.7).

use super::{document, new_record, tags_of};
use crate::error::{Error, Result};
use crate::listing::ListParams;
use crate::Service;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use slipway_core::ports::metadata::MetaError;
use slipway_core::{AccountId, Echo, ResourceKind, ResourceRecord};
use std::collections::BTreeMap;

const KIND: ResourceKind = ResourceKind::Model;

/// One container of a model: an image with its model data and
/// environment, or a model package that supplies them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ContainerSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_data_url: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_package_name: Option<String>,
}

/// A model as the control plane acts on it (CreateModel, converted by the
/// wire layer).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ModelSpec {
    pub model_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_container: Option<ContainerSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub containers: Option<Vec<ContainerSpec>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_role_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_network_isolation: Option<bool>,
}

impl ModelSpec {
    /// The containers in order (PrimaryContainer alone, or Containers).
    pub fn container_list(&self) -> Vec<&ContainerSpec> {
        match (&self.primary_container, &self.containers) {
            (Some(p), _) => vec![p],
            (None, Some(list)) => list.iter().collect(),
            (None, None) => Vec::new(),
        }
    }
}

/// What is stored for a model (docs/architecture.md, "Stored documents").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelDocument {
    pub spec: ModelSpec,
    /// The request as the client sent it, for DescribeModel; `None` for
    /// the models a validation makes, which the wire renders from `spec`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub echo: Option<Echo>,
}

/// A stored model.
#[derive(Debug, Clone)]
pub struct Model {
    pub record: ResourceRecord,
    pub doc: ModelDocument,
}

/// What a job runs for a model: one container, resolved through its
/// model package if it names one.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedContainer {
    pub image: String,
    pub model_data_url: Option<String>,
    pub environment: BTreeMap<String, String>,
    pub hostname: Option<String>,
    pub network_isolation: bool,
    /// The package or algorithm the container came from, for messages.
    pub source: Option<String>,
    /// Whether it comes from a Marketplace product (a published copy, or
    /// a package built from one's algorithm): the model must then run
    /// network-isolated.
    pub marketplace: bool,
    /// The published copy (model package or algorithm ARN) a run of this
    /// container is metered against (docs/marketplace.md "Metering").
    pub metered: Option<String>,
}

pub struct Models<'a> {
    pub(crate) svc: &'a Service,
}

impl Models<'_> {
    /// CreateModel from a client: a referenced model package must have
    /// passed its validation (Completed), as on AWS.
    pub async fn create(
        &self,
        account: &AccountId,
        spec: ModelSpec,
        echo: Echo,
        tags: Vec<(String, String)>,
    ) -> Result<Model> {
        if let Some(arn) = &spec.execution_role_arn {
            self.svc
                .iam()
                .require_assumable(account, "ExecutionRoleArn", arn)
                .await?;
        }
        self.create_checked(account, spec, Some(echo), tags, true)
            .await
    }

    /// The model a validation builds from the resource under validation
    /// (which is not Completed yet).
    pub async fn create_for_validation(
        &self,
        account: &AccountId,
        spec: ModelSpec,
    ) -> Result<Model> {
        self.create_checked(account, spec, None, Vec::new(), false)
            .await
    }

    async fn create_checked(
        &self,
        account: &AccountId,
        doc: ModelSpec,
        echo: Option<Echo>,
        tags: Vec<(String, String)>,
        require_validated: bool,
    ) -> Result<Model> {
        match (&doc.primary_container, &doc.containers) {
            (Some(_), Some(_)) => {
                return Err(Error::invalid(
                    "PrimaryContainer",
                    "Only one of PrimaryContainer or Containers may be specified.",
                ))
            }
            (None, None) | (None, Some(_)) if doc.container_list().is_empty() => {
                return Err(Error::invalid(
                    "PrimaryContainer",
                    "Either PrimaryContainer or Containers must be specified.",
                ))
            }
            _ => {}
        }
        for (i, c) in doc.container_list().into_iter().enumerate() {
            let field = if doc.primary_container.is_some() {
                "PrimaryContainer".to_owned()
            } else {
                format!("Containers.{}", i + 1)
            };
            match (&c.image, &c.model_package_name) {
                (None, None) => {
                    return Err(Error::invalid(
                        field,
                        "A container definition needs an Image or a ModelPackageName.",
                    ))
                }
                (_, Some(pkg)) => {
                    // Resolving it now refuses a missing or unusable package
                    // at create time, as AWS does.
                    let resolved = self.package_container(account, pkg, &field).await?;
                    if resolved.marketplace && doc.enable_network_isolation != Some(true) {
                        return Err(Error::invalid(
                            "EnableNetworkIsolation",
                            "EnableNetworkIsolation must be true for models using SageMaker Marketplace model packages.",
                        ));
                    }
                    if require_validated {
                        let p = self.svc.model_packages().describe(account, pkg).await?;
                        if p.record.status != "Completed" {
                            return Err(Error::invalid(
                                format!("{field}.ModelPackageName"),
                                format!(
                                    "Model package {} is in status {}; only a Completed model package can be used in a model.",
                                    p.record.arn, p.record.status
                                ),
                            ));
                        }
                    }
                }
                _ => {}
            }
            if let Some(url) = &c.model_data_url {
                if crate::jobs::transfer::S3Uri::parse(url).is_none() {
                    return Err(Error::invalid(
                        format!("{field}.ModelDataUrl"),
                        format!("ModelDataUrl {url} is not an s3:// URI."),
                    ));
                }
            }
        }
        let doc = ModelDocument { spec: doc, echo };
        let record = new_record(
            self.svc,
            account,
            KIND,
            &doc.spec.model_name,
            "Created",
            document(&doc)?,
        );
        self.svc
            .store
            .insert(&record, &tags_of(&tags))
            .await
            .map_err(|e| match e {
                MetaError::AlreadyExists { .. } => Error::invalid(
                    "ModelName",
                    format!("Cannot create already existing model \"{}\".", record.arn),
                ),
                other => other.into(),
            })?;
        Ok(Model { record, doc })
    }

    pub async fn describe(&self, account: &AccountId, reference: &str) -> Result<Model> {
        use crate::reference::{arn_for, key_for};
        let arn = arn_for(reference, account, self.svc.region(), KIND);
        let not_found = || Error::NotFound {
            message: format!("Could not find model \"{arn}\"."),
        };
        let key = key_for(reference, account, self.svc.region(), KIND).ok_or_else(not_found)?;
        let record = self
            .svc
            .store
            .get(account, KIND, &key)
            .await?
            .ok_or_else(not_found)?;
        let doc = super::decode(&record)?;
        Ok(Model { record, doc })
    }

    pub async fn list(
        &self,
        account: &AccountId,
        params: &ListParams,
    ) -> Result<(Vec<(ResourceRecord, Value)>, Option<String>)> {
        let q = params.to_query(account, KIND, true)?;
        // Listings show only name, ARN and time, all in the record.
        let (items, next) = super::list_page::<Value>(self.svc, q, params).await?;
        Ok((items, next))
    }

    pub async fn delete(&self, account: &AccountId, reference: &str) -> Result<()> {
        let model = self.describe(account, reference).await?;
        self.svc
            .store
            .delete(account, KIND, &model.record.key)
            .await?;
        Ok(())
    }

    /// The container a job runs for this model. Multi-container models
    /// (inference pipelines) are refused: Slipway runs one container.
    pub async fn resolve(&self, account: &AccountId, model: &Model) -> Result<ResolvedContainer> {
        let spec = &model.doc.spec;
        let list = spec.container_list();
        let [c] = list.as_slice() else {
            return Err(Error::invalid(
                "ModelName",
                format!(
                    "Model {} has {} containers; Slipway runs single-container models only (no inference pipelines).",
                    spec.model_name,
                    list.len()
                ),
            ));
        };
        let isolation = spec.enable_network_isolation == Some(true);
        let mut resolved = match &c.model_package_name {
            Some(pkg) => {
                self.package_container(account, pkg, "PrimaryContainer")
                    .await?
            }
            None => ResolvedContainer {
                image: c.image.clone().unwrap_or_default(),
                model_data_url: None,
                environment: BTreeMap::new(),
                hostname: None,
                network_isolation: false,
                source: None,
                marketplace: false,
                metered: None,
            },
        };
        if c.model_data_url.is_some() {
            resolved.model_data_url = c.model_data_url.clone();
        }
        resolved.environment.extend(c.environment.clone());
        resolved.hostname = c.container_hostname.clone();
        resolved.network_isolation = isolation;
        Ok(resolved)
    }

    /// A model package's inference container (from its InferenceSpecification,
    /// or from the algorithm it was trained with).
    pub async fn package_container(
        &self,
        account: &AccountId,
        package: &str,
        field: &str,
    ) -> Result<ResolvedContainer> {
        let pkg = self
            .svc
            .model_packages()
            .describe(account, package)
            .await
            .map_err(|e| match e {
                Error::NotFound { message } => {
                    Error::invalid(format!("{field}.ModelPackageName"), message)
                }
                other => other,
            })?;
        let source = Some(pkg.record.arn.clone());
        let pkg_field = format!("{field}.ModelPackageName");
        let mut marketplace = self
            .svc
            .check_marketplace_use(account, &pkg.record, &pkg_field)
            .await?;
        let mut metered = marketplace.then(|| pkg.record.arn.clone());
        // A package the buyer built from a Marketplace algorithm serves
        // that algorithm's image: the same rules apply.
        for a in &pkg.doc.source_algorithms {
            if let Ok(algo) = self
                .svc
                .algorithms()
                .describe(account, &a.algorithm_name)
                .await
            {
                if self
                    .svc
                    .check_marketplace_use(account, &algo.record, &pkg_field)
                    .await?
                {
                    marketplace = true;
                    metered.get_or_insert_with(|| algo.record.arn.clone());
                }
            }
        }
        if let Some(spec) = &pkg.doc.inference {
            let first = spec.containers.first().cloned().unwrap_or_default();
            return Ok(ResolvedContainer {
                image: first.image,
                model_data_url: first.model_data_url,
                environment: first.environment,
                hostname: None,
                network_isolation: false,
                source,
                marketplace,
                metered,
            });
        }
        let algo = pkg.doc.source_algorithms.first();
        let algo_name = algo.map(|a| a.algorithm_name.as_str()).ok_or_else(|| {
            Error::invalid(
                format!("{field}.ModelPackageName"),
                format!("Model package {} has neither an InferenceSpecification nor a source algorithm.", pkg.record.arn),
            )
        })?;
        let algorithm = self.svc.algorithms().describe(account, algo_name).await?;
        let image = algorithm
            .doc
            .spec
            .inference
            .as_ref()
            .and_then(|s| s.containers.first())
            .map(|c| c.image.as_str())
            .ok_or_else(|| {
                Error::invalid(
                    format!("{field}.ModelPackageName"),
                    format!("Algorithm {} has no inference image.", algorithm.record.arn),
                )
            })?;
        Ok(ResolvedContainer {
            image: image.to_owned(),
            model_data_url: algo.and_then(|a| a.model_data_url.clone()),
            environment: BTreeMap::new(),
            hostname: None,
            network_isolation: false,
            source,
            marketplace,
            metered,
        })
    }
}
