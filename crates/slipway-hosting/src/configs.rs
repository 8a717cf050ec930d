//! Endpoint configs: which models an endpoint runs, on how many instances
//! of which type, with which share of the traffic (docs/contracts.md §2.7).

use crate::state::{EndpointConfig, EndpointConfigDocument, EndpointConfigSpec, VariantSpec};
use crate::Hosting;
use serde_json::Value;
use slipway_core::ports::metadata::MetaError;
use slipway_core::{AccountId, Echo, ResourceKind, ResourceRecord};
use slipway_service::listing::ListParams;
use slipway_service::resources::{decode, document, list_page, new_record, tags_of};
use slipway_service::{Error, Result};
use std::collections::BTreeSet;

pub const KIND: ResourceKind = ResourceKind::EndpointConfig;

pub struct EndpointConfigs<'a> {
    pub(crate) hosting: &'a Hosting,
}

impl EndpointConfigs<'_> {
    /// CreateEndpointConfig: every variant's model must exist, names must
    /// be unique, and a model made from a model package (or an algorithm)
    /// may only use an instance type it lists for real-time inference.
    pub async fn create(
        &self,
        account: &AccountId,
        spec: EndpointConfigSpec,
        echo: Echo,
        tags: Vec<(String, String)>,
    ) -> Result<EndpointConfig> {
        let svc = self.hosting.service();
        if let Some(arn) = &spec.execution_role_arn {
            svc.iam()
                .require_assumable(account, "ExecutionRoleArn", arn)
                .await?;
        }
        let mut names = BTreeSet::new();
        for (i, v) in spec.variants.iter().enumerate() {
            let field = format!("ProductionVariants.{}", i + 1);
            if !names.insert(v.variant_name.to_ascii_lowercase()) {
                return Err(Error::invalid(
                    format!("{field}.VariantName"),
                    format!(
                        "Variant name '{}' is used more than once in the ProductionVariants list; variant names must be unique.",
                        v.variant_name
                    ),
                ));
            }
            self.check_variant(account, v, &field).await?;
        }
        let doc = EndpointConfigDocument { spec, echo };
        let record = new_record(
            svc,
            account,
            KIND,
            &doc.spec.endpoint_config_name,
            "Created",
            document(&doc)?,
        );
        svc.metadata()
            .insert(&record, &tags_of(&tags))
            .await
            .map_err(|e| match e {
                MetaError::AlreadyExists { .. } => Error::invalid(
                    "EndpointConfigName",
                    format!(
                        "Cannot create already existing endpoint configuration \"{}\".",
                        record.arn
                    ),
                ),
                other => other.into(),
            })?;
        Ok(EndpointConfig { record, doc })
    }

    async fn check_variant(&self, account: &AccountId, v: &VariantSpec, field: &str) -> Result<()> {
        let svc = self.hosting.service();
        let model = svc
            .models()
            .describe(account, &v.model_name)
            .await
            .map_err(|e| match e {
                Error::NotFound { message } => {
                    Error::invalid(format!("{field}.ModelName"), message)
                }
                other => other,
            })?;
        if slipway_executor::instance_types::lookup(&v.instance_type).is_none() {
            return Err(Error::invalid(
                format!("{field}.InstanceType"),
                format!(
                    "Instance type {} is not a SageMaker hosting instance type this server knows.",
                    v.instance_type
                ),
            ));
        }
        if let Some((source, supported)) =
            crate::deploy::supported_realtime_types(svc, account, &model).await?
        {
            if !supported.iter().any(|t| t == &v.instance_type) {
                return Err(Error::invalid(
                    format!("{field}.InstanceType"),
                    format!(
                        "Instance type {} is not supported for real-time inference by {source}; supported: {}.",
                        v.instance_type,
                        supported.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    pub async fn describe(&self, account: &AccountId, reference: &str) -> Result<EndpointConfig> {
        use slipway_service::reference::{arn_for, key_for};
        let svc = self.hosting.service();
        let arn = arn_for(reference, account, svc.region(), KIND);
        let not_found = || Error::NotFound {
            message: format!("Could not find endpoint configuration \"{arn}\"."),
        };
        let key = key_for(reference, account, svc.region(), KIND).ok_or_else(not_found)?;
        let record = svc
            .metadata()
            .get(account, KIND, &key)
            .await?
            .ok_or_else(not_found)?;
        let doc = decode(&record)?;
        Ok(EndpointConfig { record, doc })
    }

    pub async fn list(
        &self,
        account: &AccountId,
        params: &ListParams,
    ) -> Result<(Vec<(ResourceRecord, Value)>, Option<String>)> {
        let q = params.to_query(account, KIND, true)?;
        list_page::<Value>(self.hosting.service(), q, params).await
    }

    /// DeleteEndpointConfig. As on AWS, an endpoint that uses the config
    /// keeps running: its deployment holds what it needs.
    pub async fn delete(&self, account: &AccountId, reference: &str) -> Result<()> {
        let config = self.describe(account, reference).await?;
        self.hosting
            .service()
            .metadata()
            .delete(account, KIND, &config.record.key)
            .await?;
        Ok(())
    }
}
