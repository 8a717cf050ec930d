//! Model package groups: the containers of versioned model packages.

use super::{document, map_insert, new_record, tags_of};
use crate::error::{Error, Result};
use crate::listing::ListParams;
use crate::Service;
use serde::{Deserialize, Serialize};
use slipway_core::{AccountId, ResourceKind, ResourceRecord};

const KIND: ResourceKind = ResourceKind::ModelPackageGroup;

/// What is stored for a group: its name and description (there is
/// nothing else to echo).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupDocument {
    pub model_package_group_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_package_group_description: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ModelPackageGroup {
    pub record: ResourceRecord,
    pub doc: GroupDocument,
}

pub struct ModelPackageGroups<'a> {
    pub(crate) svc: &'a Service,
}

impl ModelPackageGroups<'_> {
    pub async fn create(
        &self,
        account: &AccountId,
        name: &str,
        description: Option<String>,
        tags: &[(String, String)],
    ) -> Result<ModelPackageGroup> {
        let doc = GroupDocument {
            model_package_group_name: name.to_owned(),
            model_package_group_description: description,
        };
        let record = new_record(self.svc, account, KIND, name, "Completed", document(&doc)?);
        self.svc
            .store
            .insert(&record, &tags_of(tags))
            .await
            .map_err(|e| map_insert(e, "Model Package Group", &record.arn))?;
        Ok(ModelPackageGroup { record, doc })
    }

    pub async fn describe(
        &self,
        account: &AccountId,
        reference: &str,
    ) -> Result<ModelPackageGroup> {
        let (record, doc) =
            super::find(self.svc, account, KIND, "ModelPackageGroup", reference).await?;
        Ok(ModelPackageGroup { record, doc })
    }

    pub async fn list(
        &self,
        account: &AccountId,
        params: &ListParams,
    ) -> Result<(Vec<ModelPackageGroup>, Option<String>)> {
        let q = params.to_query(account, KIND, false)?;
        let (items, next) = super::list_page(self.svc, q, params).await?;
        Ok((
            items
                .into_iter()
                .map(|(record, doc)| ModelPackageGroup { record, doc })
                .collect(),
            next,
        ))
    }

    /// Deletes an empty group; a group holding versions is a conflict.
    pub async fn delete(&self, account: &AccountId, reference: &str) -> Result<()> {
        let group = self.describe(account, reference).await?;
        let versions = self
            .svc
            .store
            .count_children(account, ResourceKind::ModelPackage, &group.record.key)
            .await?;
        if versions > 0 {
            return Err(Error::Conflict(format!(
                "Model Package Group {} still contains {versions} model package version(s); delete them first.",
                group.record.arn
            )));
        }
        self.svc
            .store
            .delete(account, KIND, &group.record.key)
            .await?;
        Ok(())
    }
}
