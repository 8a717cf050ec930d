//! The Agreement operations: typed requests from the generated layer turned
//! into `slipway-marketplace` reads, and its answers and errors into the
//! Agreement API's shapes (the only place its error codes live).

use super::search::{page, Query};
use super::{terms, validation};
use crate::generated::marketplace_agreement::*;
use axum::http::StatusCode;
use slipway_core::AccountId;
use slipway_marketplace::model::EntityBody;
use slipway_marketplace::{CatalogError, Marketplace, Subscription};
use slipway_wire_core::context::Cx;
use slipway_wire_core::error::AwsError;

/// SearchAgreements and GetAgreementTerms answer at most this many items
/// when `maxResults` is not given (the model's maximum).
const DEFAULT_MAX: usize = 50;

pub struct Agreements<'a> {
    pub m: &'a Marketplace,
}

/// The Agreement API's codes and statuses for the marketplace's errors.
fn error(e: CatalogError) -> AwsError {
    match e {
        CatalogError::Validation(m) => validation(m),
        CatalogError::NotFound(m) => {
            AwsError::new(StatusCode::NOT_FOUND, "ResourceNotFoundException", m)
        }
        CatalogError::AccessDenied(m) => {
            AwsError::new(StatusCode::FORBIDDEN, "AccessDeniedException", m)
        }
        other => {
            tracing::error!(error = %other, "marketplace agreements");
            AwsError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerException",
                "An internal error occurred. Try again.",
            )
        }
    }
}

impl Agreements<'_> {
    /// The agreement `id` if `caller` is its acceptor or proposer; anyone
    /// else learns nothing about it, not even that it exists.
    async fn agreement(&self, caller: &AccountId, id: &str) -> Result<Subscription, AwsError> {
        self.m
            .subscriptions(caller)
            .await
            .map_err(error)?
            .into_iter()
            .find(|s| s.agreement_id == id)
            .ok_or_else(|| {
                AwsError::new(
                    StatusCode::NOT_FOUND,
                    "ResourceNotFoundException",
                    format!("Agreement {id} was not found."),
                )
            })
    }

    /// The product's dimension keys (a Free offer prices each at 0) and
    /// the offer's legal and support terms, read as their seller (who always
    /// sees its own entities). A failure leaves them out, logged: the
    /// pricing itself is the agreement's own snapshot.
    async fn offer_context(&self, s: &Subscription) -> (Vec<String>, Vec<serde_json::Value>) {
        let free = s.pricing.as_ref().is_some_and(|p| p.model == "Free");
        let keys = if free {
            match self.m.describe_entity(&s.seller, &s.product_id).await {
                Ok(e) => match e.body {
                    EntityBody::Product(p) => p.dimension_keys(),
                    EntityBody::Offer(_) => Vec::new(),
                },
                Err(e) => {
                    tracing::warn!(error = %e, product = %s.product_id, "reading an agreement's product");
                    Vec::new()
                }
            }
        } else {
            Vec::new()
        };
        let other = match self.m.describe_entity(&s.seller, &s.offer_id).await {
            Ok(e) => match e.body {
                EntityBody::Offer(o) => o.other_terms,
                EntityBody::Product(_) => Vec::new(),
            },
            Err(e) => {
                tracing::warn!(error = %e, offer = %s.offer_id, "reading an agreement's offer");
                Vec::new()
            }
        };
        (keys, other)
    }
}

impl AgreementApi for Agreements<'_> {
    async fn search_agreements(
        &self,
        cx: &Cx<'_>,
        input: SearchAgreementsInput,
    ) -> Result<SearchAgreementsOutput, AwsError> {
        let filters = input.filters.unwrap_or_default();
        let q = Query::parse(input.catalog.as_deref(), &filters, input.sort.as_ref())?;
        let all = self.m.subscriptions(cx.account).await.map_err(error)?;
        let mut hits: Vec<&Subscription> =
            all.iter().filter(|s| q.matches(cx.account, s)).collect();
        q.sort(&mut hits);
        let (items, next_token) = page(
            hits,
            input.max_results,
            input.next_token.as_deref(),
            DEFAULT_MAX,
        )?;
        Ok(SearchAgreementsOutput {
            agreement_view_summaries: Some(items.into_iter().map(terms::summary).collect()),
            next_token,
        })
    }

    async fn describe_agreement(
        &self,
        cx: &Cx<'_>,
        input: DescribeAgreementInput,
    ) -> Result<DescribeAgreementOutput, AwsError> {
        let s = self.agreement(cx.account, &input.agreement_id).await?;
        Ok(terms::describe(&s))
    }

    async fn get_agreement_terms(
        &self,
        cx: &Cx<'_>,
        input: GetAgreementTermsInput,
    ) -> Result<GetAgreementTermsOutput, AwsError> {
        let s = self.agreement(cx.account, &input.agreement_id).await?;
        let (keys, other) = self.offer_context(&s).await;
        let (accepted, next_token) = page(
            terms::accepted(&s, &keys, &other),
            input.max_results,
            input.next_token.as_deref(),
            DEFAULT_MAX,
        )?;
        Ok(GetAgreementTermsOutput {
            accepted_terms: Some(accepted),
            next_token,
        })
    }
}
