//! Endpoints: the API side of their lifecycle (docs/endpoints.md). Every
//! change is persisted first, then the endpoint's runner (`runner.rs`)
//! is told; the runner does the container work and records the outcome.

use crate::runner::{self, Command};
use crate::state::{status, Deployment, Endpoint, EndpointDocument, EndpointState, VariantState};
use crate::Hosting;
use serde_json::Value;
use slipway_core::ports::metadata::MetaError;
use slipway_core::{AccountId, ResourceKind, ResourceRecord};
use slipway_service::listing::ListParams;
use slipway_service::resources::{decode, document, list_page, new_record, tags_of};
use slipway_service::{Error, Result};

pub const KIND: ResourceKind = ResourceKind::Endpoint;

/// One variant's desired weight and/or instance count
/// (UpdateEndpointWeightsAndCapacities).
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredCapacity {
    pub variant_name: String,
    pub weight: Option<f64>,
    pub instance_count: Option<i64>,
}

/// How a variant is doing right now in this process.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveVariant {
    pub name: String,
    /// Containers answering GET /ping (CurrentInstanceCount).
    pub healthy: usize,
    pub weight: f64,
}

pub struct Endpoints<'a> {
    pub(crate) hosting: &'a Hosting,
}

impl Endpoints<'_> {
    /// CreateEndpoint: stored `Creating`; the runner deploys the config.
    pub async fn create(
        &self,
        account: &AccountId,
        endpoint_name: &str,
        config_name: &str,
        tags: Vec<(String, String)>,
    ) -> Result<Endpoint> {
        let svc = self.hosting.service();
        svc.job_runtime().require_engine("EndpointConfigName")?;
        let deployment = self.deployment(account, config_name, 1).await?;
        let doc = EndpointDocument {
            endpoint_name: endpoint_name.to_owned(),
            state: EndpointState {
                pending: Some(deployment),
                generation: 1,
                ..EndpointState::default()
            },
        };
        let record = new_record(
            svc,
            account,
            KIND,
            endpoint_name,
            status::CREATING,
            document(&doc)?,
        );
        svc.metadata()
            .insert(&record, &tags_of(&tags))
            .await
            .map_err(|e| match e {
                MetaError::AlreadyExists { .. } => Error::invalid(
                    "EndpointName",
                    format!(
                        "Cannot create already existing endpoint \"{}\".",
                        record.arn
                    ),
                ),
                other => other.into(),
            })?;
        runner::tell(self.hosting, account, &record.key, Command::Start);
        Ok(Endpoint { record, doc })
    }

    /// The deployment of `config_name` as generation `generation`.
    async fn deployment(
        &self,
        account: &AccountId,
        config_name: &str,
        generation: u64,
    ) -> Result<Deployment> {
        let config = self
            .hosting
            .endpoint_configs()
            .describe(account, config_name)
            .await
            .map_err(|e| match e {
                Error::NotFound { message } => Error::invalid("EndpointConfigName", message),
                other => other,
            })?;
        let variants = config
            .doc
            .spec
            .variants
            .iter()
            .map(|v| VariantState {
                spec: v.clone(),
                weight: v.initial_variant_weight,
                instance_count: v.initial_instance_count,
                deployed_images: Vec::new(),
            })
            .collect();
        Ok(Deployment {
            generation,
            config_name: config.doc.spec.endpoint_config_name.clone(),
            variants,
            network_isolation: config.doc.spec.enable_network_isolation == Some(true),
            start: self.hosting.service().wall_micros(),
        })
    }

    pub async fn describe(&self, account: &AccountId, reference: &str) -> Result<Endpoint> {
        use slipway_service::reference::{arn_for, key_for};
        let svc = self.hosting.service();
        let arn = arn_for(reference, account, svc.region(), KIND);
        let not_found = || Error::NotFound {
            message: format!("Could not find endpoint \"{arn}\"."),
        };
        let key = key_for(reference, account, svc.region(), KIND).ok_or_else(not_found)?;
        let record = svc
            .metadata()
            .get(account, KIND, &key)
            .await?
            .ok_or_else(not_found)?;
        let doc = decode(&record)?;
        Ok(Endpoint { record, doc })
    }

    /// The variants this process serves for the endpoint, if any.
    pub fn live(&self, account: &AccountId, key: &str) -> Vec<LiveVariant> {
        self.hosting
            .fleet(account, key)
            .map(|f| f.live())
            .unwrap_or_default()
    }

    pub async fn list(
        &self,
        account: &AccountId,
        params: &ListParams,
    ) -> Result<(Vec<(ResourceRecord, Value)>, Option<String>)> {
        let q = params.to_query(account, KIND, true)?;
        list_page::<Value>(self.hosting.service(), q, params).await
    }

    /// UpdateEndpoint: blue/green. The new config's containers start beside
    /// the serving ones; traffic moves only once they are all healthy, and
    /// if they fail the endpoint stays on the old config with the reason.
    pub async fn update(
        &self,
        account: &AccountId,
        reference: &str,
        config_name: &str,
    ) -> Result<Endpoint> {
        let current = self.describe(account, reference).await?;
        let generation = current.doc.state.generation + 1;
        let deployment = self.deployment(account, config_name, generation).await?;
        let updated = mutate(self.hosting, account, &current.record.key, |st, doc| {
            require_in_service(st, &current.record.arn)?;
            doc.state.generation = generation;
            doc.state.pending = Some(deployment.clone());
            doc.state.failure_reason = None;
            *st = status::UPDATING.into();
            Ok(true)
        })
        .await?;
        runner::tell(self.hosting, account, &updated.record.key, Command::Update);
        Ok(updated)
    }

    /// UpdateEndpointWeightsAndCapacities: new weights apply at once; new
    /// instance counts start or stop containers of the serving deployment.
    pub async fn update_weights(
        &self,
        account: &AccountId,
        reference: &str,
        desired: Vec<DesiredCapacity>,
    ) -> Result<Endpoint> {
        let current = self.describe(account, reference).await?;
        let updated = mutate(self.hosting, account, &current.record.key, |st, doc| {
            require_in_service(st, &current.record.arn)?;
            let Some(serving) = doc.state.serving.as_mut() else {
                return Err(Error::invalid(
                    "EndpointName",
                    format!("Endpoint {} has no deployed variants.", current.record.arn),
                ));
            };
            for (i, d) in desired.iter().enumerate() {
                let field = format!("DesiredWeightsAndCapacities.{}", i + 1);
                let Some(v) = serving
                    .variants
                    .iter_mut()
                    .find(|v| v.spec.variant_name == d.variant_name)
                else {
                    return Err(Error::invalid(
                        format!("{field}.VariantName"),
                        format!(
                            "The variant name(s) [{}] is/are not present in the endpoint {}.",
                            d.variant_name, current.record.arn
                        ),
                    ));
                };
                if d.weight.is_none() && d.instance_count.is_none() {
                    return Err(Error::invalid(
                        field,
                        "Either DesiredWeight or DesiredInstanceCount must be specified.",
                    ));
                }
                if let Some(w) = d.weight {
                    v.weight = w;
                }
                if let Some(n) = d.instance_count {
                    v.instance_count = n;
                }
            }
            *st = status::UPDATING.into();
            Ok(true)
        })
        .await?;
        runner::tell(self.hosting, account, &updated.record.key, Command::Scale);
        Ok(updated)
    }

    /// DeleteEndpoint: `Deleting` at once; the runner stops the containers
    /// (SIGTERM, then SIGKILL after the grace) and removes the endpoint.
    pub async fn delete(&self, account: &AccountId, reference: &str) -> Result<()> {
        let current = self.describe(account, reference).await?;
        mutate(self.hosting, account, &current.record.key, |st, _| {
            if st == status::DELETING {
                return Ok(false);
            }
            *st = status::DELETING.into();
            Ok(true)
        })
        .await?;
        runner::tell(self.hosting, account, &current.record.key, Command::Delete);
        Ok(())
    }
}

fn require_in_service(status: &str, arn: &str) -> Result<()> {
    match status {
        status::IN_SERVICE => Ok(()),
        status::FAILED => Err(Error::invalid(
            "EndpointName",
            format!("Cannot update failed endpoint \"{arn}\"; delete it and create it again."),
        )),
        _ => Err(Error::invalid(
            "EndpointName",
            format!("Cannot update in-progress endpoint \"{arn}\"."),
        )),
    }
}

/// The one way an endpoint's record changes (read, change, write with the
/// revision check, retry): the API and the runner never overwrite each
/// other's change.
pub(crate) async fn mutate<F>(
    hosting: &Hosting,
    account: &AccountId,
    key: &str,
    change: F,
) -> Result<Endpoint>
where
    F: FnMut(&mut String, &mut EndpointDocument) -> Result<bool>,
{
    let (record, doc) =
        slipway_service::jobs::record::mutate(hosting.service(), account, KIND, key, None, change)
            .await?;
    Ok(Endpoint { record, doc })
}
