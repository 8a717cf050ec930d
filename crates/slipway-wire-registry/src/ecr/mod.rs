//! The ECR API (AWS JSON 1.1, `AmazonEC2ContainerRegistry_V20150921.<Op>`,
//! SigV4 scope `ecr`). Requests are checked against the botocore ECR model
//! first; handlers translate shapes and call the registry service.
//!
//! The registry id is the account: a request naming another account's
//! `registryId` is refused, so one account never sees another's images.

use crate::generated::ecr::*;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;
use slipway_registry::{ImageId, Registry};
use slipway_service::Service;
use slipway_wire_core::auth::Caller;
use slipway_wire_core::context::Cx;
use slipway_wire_core::error::AwsError;
use slipway_wire_core::json::{ok, Input};

mod images;
mod repos;
mod scans;

/// The target prefix of ECR operations.
pub const TARGET_PREFIX: &str = "AmazonEC2ContainerRegistry_V20150921.";

/// Decodes, checks against the ECR model, and runs one operation.
pub async fn handle(
    svc: &Service,
    caller: &Caller,
    op_name: &str,
    body: &[u8],
) -> Result<Response, AwsError> {
    let Some(op) = Operation::parse(op_name) else {
        return Err(AwsError::new(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            format!("Unknown operation {TARGET_PREFIX}{op_name}"),
        ));
    };
    let input = Value::Object(Input::decode(body)?.0);
    slipway_botocore::ecr()
        .check_input(op_name, &input)
        .map_err(AwsError::from_ecr_input)?;
    let account = &caller.account;
    // Every ECR request may name a registry; only the caller's own exists.
    if let Some(id) = input.get("registryId").and_then(Value::as_str) {
        if id != account.as_str() {
            return Err(AwsError::new(
                StatusCode::BAD_REQUEST,
                "AccessDeniedException",
                format!("User in account {account} is not authorized to access registry {id}"),
            ));
        }
    }
    let cx = Cx { svc, account };
    dispatch(&Handlers, &cx, op, input).await.map(ok)
}

/// The ECR operations this server serves: every one of the model subset.
struct Handlers;

impl EcrApi for Handlers {
    async fn get_authorization_token(
        &self,
        cx: &Cx<'_>,
        _input: GetAuthorizationTokenRequest,
    ) -> Result<GetAuthorizationTokenResponse, AwsError> {
        get_authorization_token(cx)
    }

    async fn create_repository(
        &self,
        cx: &Cx<'_>,
        input: CreateRepositoryRequest,
    ) -> Result<CreateRepositoryResponse, AwsError> {
        repos::create_repository(cx, input).await
    }

    async fn describe_repositories(
        &self,
        cx: &Cx<'_>,
        input: DescribeRepositoriesRequest,
    ) -> Result<DescribeRepositoriesResponse, AwsError> {
        repos::describe_repositories(cx, input).await
    }

    async fn delete_repository(
        &self,
        cx: &Cx<'_>,
        input: DeleteRepositoryRequest,
    ) -> Result<DeleteRepositoryResponse, AwsError> {
        repos::delete_repository(cx, input).await
    }

    async fn put_image_tag_mutability(
        &self,
        cx: &Cx<'_>,
        input: PutImageTagMutabilityRequest,
    ) -> Result<PutImageTagMutabilityResponse, AwsError> {
        repos::put_image_tag_mutability(cx, input).await
    }

    async fn put_image_scanning_configuration(
        &self,
        cx: &Cx<'_>,
        input: PutImageScanningConfigurationRequest,
    ) -> Result<PutImageScanningConfigurationResponse, AwsError> {
        repos::put_image_scanning_configuration(cx, input).await
    }

    async fn describe_images(
        &self,
        cx: &Cx<'_>,
        input: DescribeImagesRequest,
    ) -> Result<DescribeImagesResponse, AwsError> {
        images::describe_images(cx, input).await
    }

    async fn list_images(
        &self,
        cx: &Cx<'_>,
        input: ListImagesRequest,
    ) -> Result<ListImagesResponse, AwsError> {
        images::list_images(cx, input).await
    }

    async fn batch_get_image(
        &self,
        cx: &Cx<'_>,
        input: BatchGetImageRequest,
    ) -> Result<BatchGetImageResponse, AwsError> {
        images::batch_get_image(cx, input).await
    }

    async fn batch_delete_image(
        &self,
        cx: &Cx<'_>,
        input: BatchDeleteImageRequest,
    ) -> Result<BatchDeleteImageResponse, AwsError> {
        images::batch_delete_image(cx, input).await
    }

    async fn batch_check_layer_availability(
        &self,
        cx: &Cx<'_>,
        input: BatchCheckLayerAvailabilityRequest,
    ) -> Result<BatchCheckLayerAvailabilityResponse, AwsError> {
        images::batch_check_layer_availability(cx, input).await
    }

    async fn put_image(
        &self,
        cx: &Cx<'_>,
        input: PutImageRequest,
    ) -> Result<PutImageResponse, AwsError> {
        images::put_image(cx, input).await
    }

    async fn start_image_scan(
        &self,
        cx: &Cx<'_>,
        input: StartImageScanRequest,
    ) -> Result<StartImageScanResponse, AwsError> {
        scans::start_image_scan(cx, input).await
    }

    async fn describe_image_scan_findings(
        &self,
        cx: &Cx<'_>,
        input: DescribeImageScanFindingsRequest,
    ) -> Result<DescribeImageScanFindingsResponse, AwsError> {
        scans::describe_image_scan_findings(cx, input).await
    }
}

pub(super) fn registry<'a>(cx: &Cx<'a>) -> Registry<'a> {
    cx.svc.registry()
}

pub(super) fn err(e: slipway_registry::RegistryError) -> AwsError {
    AwsError::from_ecr(e)
}

pub(super) fn image_id(id: ImageIdentifier) -> ImageId {
    ImageId {
        tag: id.image_tag,
        digest: id.image_digest,
    }
}

pub(super) fn identifier(id: &ImageId) -> ImageIdentifier {
    ImageIdentifier {
        image_digest: id.digest.clone(),
        image_tag: id.tag.clone(),
    }
}

/// A `maxResults` member, or `default`, within ECR's 1–1000.
pub(super) fn page_size(max_results: Option<i64>, default: usize) -> usize {
    max_results
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(default)
        .clamp(1, 1000)
}

fn get_authorization_token(cx: &Cx<'_>) -> Result<GetAuthorizationTokenResponse, AwsError> {
    let t = registry(cx).authorization_token(cx.account).map_err(err)?;
    // Clients log in to the proxy endpoint: this server, not AWS.
    let endpoint = registry(cx)
        .listen_addr()
        .map(|a| format!("http://{a}"))
        .unwrap_or_default();
    Ok(GetAuthorizationTokenResponse {
        authorization_data: Some(vec![AuthorizationData {
            authorization_token: Some(t.authorization_token),
            expires_at: Some(t.expires_at as f64),
            proxy_endpoint: Some(endpoint),
        }]),
    })
}
