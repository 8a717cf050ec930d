//! The Catalog operations: typed requests from the generated layer turned
//! into `slipway-marketplace` calls, and its answers and errors into the
//! Catalog's shapes (the only place its error codes and statuses live).

use super::UNPROCESSABLE;
use crate::generated::marketplace_catalog::*;
use axum::http::StatusCode;
use serde_json::{json, Value};
use slipway_core::ports::metadata::Tag as StoredTag;
use slipway_marketplace::model::Entity;
use slipway_marketplace::{
    render, CatalogError, ChangeSetFilter, EntityFilter, Marketplace, NewChange, NewChangeSet,
};
use slipway_wire_core::context::Cx;
use slipway_wire_core::error::AwsError;

pub struct Catalog<'a> {
    pub m: &'a Marketplace,
}

/// The Catalog's codes and HTTP statuses.
pub(crate) fn error(e: CatalogError) -> AwsError {
    match e {
        CatalogError::Validation(m) => AwsError::new(UNPROCESSABLE, "ValidationException", m),
        CatalogError::NotFound(m) => {
            AwsError::new(StatusCode::NOT_FOUND, "ResourceNotFoundException", m)
        }
        CatalogError::InUse(m) => AwsError::new(StatusCode::LOCKED, "ResourceInUseException", m),
        CatalogError::AccessDenied(m) => {
            AwsError::new(StatusCode::FORBIDDEN, "AccessDeniedException", m)
        }
        CatalogError::QuotaExceeded(m) => AwsError::new(
            StatusCode::PAYMENT_REQUIRED,
            "ServiceQuotaExceededException",
            m,
        ),
        CatalogError::NotSupported(m) => AwsError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "ResourceNotSupportedException",
            m,
        ),
        CatalogError::Service(e) => {
            tracing::error!(error = %e, "marketplace catalog");
            AwsError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServiceException",
                "An internal error occurred. Try again.",
            )
        }
    }
}

fn shape<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, AwsError> {
    serde_json::from_value(v).map_err(|e| {
        tracing::error!(error = %e, "rendering a catalog answer");
        AwsError::internal()
    })
}

fn describe(m: &Marketplace, e: &Entity) -> DescribeEntityResponse {
    DescribeEntityResponse {
        entity_type: Some(e.entity_type().versioned()),
        entity_identifier: Some(format!("{}@{}", e.id, e.revision)),
        entity_arn: Some(m.entity_arn(e)),
        last_modified_date: Some(render::iso(e.modified)),
        details: Some(render::entity_details(e, m.service().region()).to_string()),
        details_document: Some(render::entity_details(e, m.service().region())),
    }
}

fn summary(m: &Marketplace, e: &Entity) -> EntitySummary {
    let visibility = render::entity_visibility(e);
    let name = e.display_name();
    let mut s = EntitySummary {
        name: Some(name.clone()),
        entity_type: Some(e.entity_type().name().to_owned()),
        entity_id: Some(e.id.clone()),
        entity_arn: Some(m.entity_arn(e)),
        last_modified_date: Some(render::iso(e.modified)),
        visibility: Some(visibility.clone()),
        ..EntitySummary::default()
    };
    match &e.body {
        slipway_marketplace::model::EntityBody::Product(_) => {
            s.machine_learning_product_summary = Some(MachineLearningProductSummary {
                product_title: Some(name),
                visibility: Some(visibility),
            });
        }
        slipway_marketplace::model::EntityBody::Offer(o) => {
            s.offer_summary = shape(json!({"Name": o.name, "ProductId": o.product_id, "State": if visibility == "Draft" {"Draft"} else {"Released"}})).ok();
        }
    }
    s
}

fn catalog_ok(catalog: &str) -> Result<(), AwsError> {
    if catalog == slipway_marketplace::model::CATALOG {
        return Ok(());
    }
    Err(AwsError::new(
        UNPROCESSABLE,
        "ValidationException",
        format!("Catalog '{catalog}' is not supported. The only catalog is AWSMarketplace."),
    ))
}

impl Catalog<'_> {
    /// The ARN's resource (a change set or an entity) if it is the
    /// caller's; tags are keyed by ARN.
    async fn own_arn(&self, caller: &slipway_core::AccountId, arn: &str) -> Result<(), AwsError> {
        let missing = || {
            AwsError::new(
                StatusCode::NOT_FOUND,
                "ResourceNotFoundException",
                format!("Resource {arn} was not found."),
            )
        };
        let rest = arn
            .strip_prefix("arn:aws:aws-marketplace:")
            .ok_or_else(missing)?;
        let mut p = rest.splitn(3, ':');
        let (_region, account, path) = (p.next(), p.next(), p.next());
        if account != Some(caller.as_str()) {
            return Err(missing());
        }
        let path = path.unwrap_or_default();
        if let Some(id) = path.strip_prefix("AWSMarketplace/ChangeSet/") {
            self.m
                .describe_change_set(caller, id)
                .await
                .map_err(|_| missing())?;
            return Ok(());
        }
        let id = path.rsplit('/').next().unwrap_or_default();
        match self.m.describe_entity(caller, id).await {
            Ok(e) if &e.owner == caller => Ok(()),
            _ => Err(missing()),
        }
    }
}

impl CatalogApi for Catalog<'_> {
    async fn start_change_set(
        &self,
        cx: &Cx<'_>,
        input: StartChangeSetRequest,
    ) -> Result<StartChangeSetResponse, AwsError> {
        let new = NewChangeSet {
            catalog: input.catalog,
            changes: input
                .change_set
                .into_iter()
                .map(|c| NewChange {
                    change_type: c.change_type,
                    entity_type: c.entity.r#type,
                    identifier: c.entity.identifier,
                    details: c.details,
                    details_document: c.details_document,
                    change_name: c.change_name,
                    entity_tags: c
                        .entity_tags
                        .unwrap_or_default()
                        .into_iter()
                        .map(|t| (t.key, t.value))
                        .collect(),
                })
                .collect(),
            name: input.change_set_name,
            client_token: input.client_request_token,
            tags: input
                .change_set_tags
                .unwrap_or_default()
                .into_iter()
                .map(|t| (t.key, t.value))
                .collect(),
            intent: input.intent,
        };
        let set = self
            .m
            .start_change_set(cx.account, new)
            .await
            .map_err(error)?;
        Ok(StartChangeSetResponse {
            change_set_id: Some(set.id),
            change_set_arn: Some(set.arn),
        })
    }

    async fn describe_change_set(
        &self,
        cx: &Cx<'_>,
        input: DescribeChangeSetRequest,
    ) -> Result<DescribeChangeSetResponse, AwsError> {
        catalog_ok(&input.catalog)?;
        let set = self
            .m
            .describe_change_set(cx.account, &input.change_set_id)
            .await
            .map_err(error)?;
        shape(render::change_set(&set))
    }

    async fn cancel_change_set(
        &self,
        cx: &Cx<'_>,
        input: CancelChangeSetRequest,
    ) -> Result<CancelChangeSetResponse, AwsError> {
        catalog_ok(&input.catalog)?;
        let set = self
            .m
            .cancel_change_set(cx.account, &input.change_set_id)
            .await
            .map_err(error)?;
        Ok(CancelChangeSetResponse {
            change_set_id: Some(set.id),
            change_set_arn: Some(set.arn),
        })
    }

    async fn list_change_sets(
        &self,
        cx: &Cx<'_>,
        input: ListChangeSetsRequest,
    ) -> Result<ListChangeSetsResponse, AwsError> {
        catalog_ok(&input.catalog)?;
        let sort = input.sort.unwrap_or_default();
        let filter = ChangeSetFilter {
            filters: input
                .filter_list
                .unwrap_or_default()
                .into_iter()
                .map(|f| (f.name.unwrap_or_default(), f.value_list.unwrap_or_default()))
                .collect(),
            sort_by: sort.sort_by,
            descending: sort.sort_order.as_deref() == Some("DESCENDING"),
            max_results: input.max_results.map(|n| n.max(0) as usize),
            next_token: input.next_token,
        };
        let page = self
            .m
            .list_change_sets(cx.account, &filter)
            .await
            .map_err(error)?;
        Ok(ListChangeSetsResponse {
            change_set_summary_list: Some(
                page.items
                    .iter()
                    .map(|s| shape(render::change_set_summary(s)))
                    .collect::<Result<_, _>>()?,
            ),
            next_token: page.next_token,
        })
    }

    async fn describe_entity(
        &self,
        cx: &Cx<'_>,
        input: DescribeEntityRequest,
    ) -> Result<DescribeEntityResponse, AwsError> {
        catalog_ok(&input.catalog)?;
        let e = self
            .m
            .describe_entity(cx.account, &input.entity_id)
            .await
            .map_err(error)?;
        Ok(describe(self.m, &e))
    }

    async fn list_entities(
        &self,
        cx: &Cx<'_>,
        input: ListEntitiesRequest,
    ) -> Result<ListEntitiesResponse, AwsError> {
        catalog_ok(&input.catalog)?;
        let mut filter = EntityFilter {
            entity_type: input.entity_type,
            ownership: input.ownership_type,
            max_results: input.max_results.map(|n| n.max(0) as usize),
            next_token: input.next_token,
            ..EntityFilter::default()
        };
        for f in input.filter_list.unwrap_or_default() {
            let values = f.value_list.unwrap_or_default();
            match f.name.as_deref() {
                Some("EntityId") => filter.entity_ids = values,
                Some("Visibility") => filter.visibilities = values,
                Some("ProductTitle") | Some("Name") => {
                    filter.title_contains = values.into_iter().next()
                }
                _ => {}
            }
        }
        if let Some(ml) = input
            .entity_type_filters
            .and_then(|t| t.machine_learning_product_filters)
        {
            if let Some(v) = ml.entity_id.and_then(|x| x.value_list) {
                filter.entity_ids = v;
            }
            if let Some(v) = ml.visibility.and_then(|x| x.value_list) {
                filter.visibilities = v;
            }
            if let Some(t) = ml.product_title {
                filter.title_contains = t
                    .wild_card_value
                    .or_else(|| t.value_list.and_then(|v| v.into_iter().next()));
            }
        }
        let sort = input
            .entity_type_sort
            .and_then(|s| s.machine_learning_product_sort)
            .map(|s| (s.sort_by, s.sort_order))
            .or_else(|| input.sort.map(|s| (s.sort_by, s.sort_order)));
        if let Some((by, order)) = sort {
            filter.sort_by = by;
            filter.descending = order.as_deref() == Some("DESCENDING");
        }
        let page = self
            .m
            .list_entities(cx.account, &filter)
            .await
            .map_err(error)?;
        Ok(ListEntitiesResponse {
            entity_summary_list: Some(page.items.iter().map(|e| summary(self.m, e)).collect()),
            next_token: page.next_token,
        })
    }

    async fn batch_describe_entities(
        &self,
        cx: &Cx<'_>,
        input: BatchDescribeEntitiesRequest,
    ) -> Result<BatchDescribeEntitiesResponse, AwsError> {
        let mut details = std::collections::BTreeMap::new();
        let mut errors = std::collections::BTreeMap::new();
        for r in input.entity_request_list {
            if catalog_ok(&r.catalog).is_err() {
                errors.insert(
                    r.entity_id,
                    BatchDescribeErrorDetail {
                        error_code: Some("ValidationException".into()),
                        error_message: Some(format!("Catalog '{}' is not supported.", r.catalog)),
                    },
                );
                continue;
            }
            match self.m.describe_entity(cx.account, &r.entity_id).await {
                Ok(e) => {
                    let d = describe(self.m, &e);
                    details.insert(
                        r.entity_id,
                        EntityDetail {
                            entity_type: d.entity_type,
                            entity_arn: d.entity_arn,
                            entity_identifier: d.entity_identifier,
                            last_modified_date: d.last_modified_date,
                            details_document: d.details_document,
                        },
                    );
                }
                Err(e) => {
                    let a = error(e);
                    errors.insert(
                        r.entity_id,
                        BatchDescribeErrorDetail {
                            error_code: Some(a.code.to_owned()),
                            error_message: Some(a.message),
                        },
                    );
                }
            }
        }
        Ok(BatchDescribeEntitiesResponse {
            entity_details: Some(details),
            errors: Some(errors),
        })
    }

    async fn tag_resource(
        &self,
        cx: &Cx<'_>,
        input: TagResourceRequest,
    ) -> Result<TagResourceResponse, AwsError> {
        self.own_arn(cx.account, &input.resource_arn).await?;
        let tags: Vec<StoredTag> = input
            .tags
            .into_iter()
            .map(|t| StoredTag {
                key: t.key,
                value: t.value,
            })
            .collect();
        match cx.svc.metadata().put_tags(&input.resource_arn, &tags, 200).await {
            Ok(()) => Ok(TagResourceResponse::default()),
            Err(slipway_core::ports::metadata::TagLimit::Exceeded { max, would_be }) => Err(AwsError::new(
                StatusCode::PAYMENT_REQUIRED,
                "ServiceQuotaExceededException",
                format!("A resource can have at most {max} tags; this request would make {would_be}."),
            )),
            Err(slipway_core::ports::metadata::TagLimit::Store(e)) => Err(error(CatalogError::Service(e.into()))),
        }
    }

    async fn untag_resource(
        &self,
        cx: &Cx<'_>,
        input: UntagResourceRequest,
    ) -> Result<UntagResourceResponse, AwsError> {
        self.own_arn(cx.account, &input.resource_arn).await?;
        cx.svc
            .metadata()
            .delete_tags(&input.resource_arn, &input.tag_keys)
            .await
            .map_err(|e| error(CatalogError::Service(e.into())))?;
        Ok(UntagResourceResponse::default())
    }

    async fn list_tags_for_resource(
        &self,
        cx: &Cx<'_>,
        input: ListTagsForResourceRequest,
    ) -> Result<ListTagsForResourceResponse, AwsError> {
        self.own_arn(cx.account, &input.resource_arn).await?;
        let tags = cx
            .svc
            .metadata()
            .list_tags(&input.resource_arn)
            .await
            .map_err(|e| error(CatalogError::Service(e.into())))?;
        Ok(ListTagsForResourceResponse {
            resource_arn: Some(input.resource_arn),
            tags: Some(
                tags.into_iter()
                    .map(|t| Tag {
                        key: t.key,
                        value: t.value,
                    })
                    .collect(),
            ),
        })
    }
}
