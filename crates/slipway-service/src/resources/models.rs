//! Models: an inference container definition (image, model data,
//! environment), or a model package referenced by name or ARN. A transform
//! job (and later an endpoint) runs a model's container (docs/contracts.md §2.7).

use super::{document, new_record, tags_of};
use crate::error::{Error, Result};
use crate::listing::ListParams;
use crate::Service;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use slipway_core::ports::metadata::MetaError;
use slipway_core::{AccountId, ResourceKind, ResourceRecord};
use std::collections::BTreeMap;

const KIND: ResourceKind = ResourceKind::Model;

/// One `ContainerDefinition`, with the members Slipway acts on typed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerDefinition {
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
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// What is stored and echoed by DescribeModel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ModelDocument {
    pub model_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_container: Option<ContainerDefinition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub containers: Option<Vec<ContainerDefinition>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_network_isolation: Option<bool>,
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl ModelDocument {
    /// The containers in order (PrimaryContainer alone, or Containers).
    pub fn container_list(&self) -> Vec<&ContainerDefinition> {
        match (&self.primary_container, &self.containers) {
            (Some(p), _) => vec![p],
            (None, Some(list)) => list.iter().collect(),
            (None, None) => Vec::new(),
        }
    }
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
        request: Map<String, Value>,
        tags: Vec<(String, String)>,
    ) -> Result<Model> {
        if let Some(arn) = request.get("ExecutionRoleArn").and_then(Value::as_str) {
            self.svc
                .iam()
                .require_assumable(account, "ExecutionRoleArn", arn)
                .await?;
        }
        self.create_checked(account, request, tags, true).await
    }

    /// The model a validation builds from the resource under validation
    /// (which is not Completed yet).
    pub async fn create_for_validation(
        &self,
        account: &AccountId,
        request: Map<String, Value>,
    ) -> Result<Model> {
        self.create_checked(account, request, Vec::new(), false)
            .await
    }

    async fn create_checked(
        &self,
        account: &AccountId,
        request: Map<String, Value>,
        tags: Vec<(String, String)>,
        require_validated: bool,
    ) -> Result<Model> {
        let mut request = request;
        request.remove("Tags");
        let doc: ModelDocument = serde_json::from_value(Value::Object(request)).map_err(|e| {
            Error::invalid(
                "CreateModelRequest",
                format!("Cannot read the request: {e}"),
            )
        })?;
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
                    self.package_container(account, pkg, &field).await?;
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
        let record = new_record(
            self.svc,
            account,
            KIND,
            &doc.model_name,
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
        let list = model.doc.container_list();
        let [c] = list.as_slice() else {
            return Err(Error::invalid(
                "ModelName",
                format!(
                    "Model {} has {} containers; Slipway runs single-container models only (no inference pipelines).",
                    model.doc.model_name,
                    list.len()
                ),
            ));
        };
        let isolation = model.doc.enable_network_isolation == Some(true);
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
        if let Some(spec) = &pkg.doc.inference_specification {
            let first: ContainerDefinition = spec
                .containers
                .first()
                .cloned()
                .map(serde_json::from_value)
                .transpose()
                .map_err(|e| Error::internal("decoding a package container", e))?
                .unwrap_or_default();
            return Ok(ResolvedContainer {
                image: first.image.unwrap_or_default(),
                model_data_url: first.model_data_url,
                environment: first.environment,
                hostname: None,
                network_isolation: false,
                source,
            });
        }
        let algo = pkg
            .doc
            .source_algorithm_specification
            .as_ref()
            .and_then(|s| s.get("SourceAlgorithms"))
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .cloned()
            .unwrap_or(Value::Null);
        let algo_name = algo.get("AlgorithmName").and_then(Value::as_str).ok_or_else(|| {
            Error::invalid(
                format!("{field}.ModelPackageName"),
                format!("Model package {} has neither an InferenceSpecification nor a source algorithm.", pkg.record.arn),
            )
        })?;
        let algorithm = self.svc.algorithms().describe(account, algo_name).await?;
        let image = algorithm
            .doc
            .inference_specification
            .as_ref()
            .and_then(|s| s.containers.first())
            .and_then(|c| c.get("Image"))
            .and_then(Value::as_str)
            .ok_or_else(|| {
                Error::invalid(
                    format!("{field}.ModelPackageName"),
                    format!("Algorithm {} has no inference image.", algorithm.record.arn),
                )
            })?;
        Ok(ResolvedContainer {
            image: image.to_owned(),
            model_data_url: algo
                .get("ModelDataUrl")
                .and_then(Value::as_str)
                .map(str::to_owned),
            environment: BTreeMap::new(),
            hostname: None,
            network_isolation: false,
            source,
        })
    }
}
