//! The ECR API (AWS JSON 1.1, `AmazonEC2ContainerRegistry_V20150921.<Op>`,
//! SigV4 scope `ecr`). Requests are checked against the botocore ECR model
//! first; handlers translate shapes and call the registry service.
//!
//! The registry id is the account: a request naming another account's
//! `registryId` is refused, so one account never sees another's images.

use crate::auth::Caller;
use crate::error::AwsError;
use crate::json::{ok, Input, Reply};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};
use slipway_core::AccountId;
use slipway_registry::ImageId;
use slipway_service::Service;

mod images;
mod repos;

/// The target prefix of ECR operations.
pub(crate) const TARGET_PREFIX: &str = "AmazonEC2ContainerRegistry_V20150921.";

const OPERATIONS: [&str; 12] = [
    "GetAuthorizationToken",
    "CreateRepository",
    "DescribeRepositories",
    "DeleteRepository",
    "DescribeImages",
    "ListImages",
    "BatchGetImage",
    "BatchDeleteImage",
    "BatchCheckLayerAvailability",
    "PutImageTagMutability",
    "PutImageScanningConfiguration",
    "PutImage",
];

pub(super) type Out = Result<Value, AwsError>;

/// Decodes, checks against the ECR model, and runs one operation.
pub(crate) async fn handle(
    svc: &Service,
    caller: &Caller,
    op: &str,
    body: &[u8],
) -> Result<Response, AwsError> {
    if !OPERATIONS.contains(&op) {
        let message = if slipway_model::ecr().operation(op).is_some() {
            format!(
                "Operation {op} is part of the ECR API but not implemented by this Slipway server."
            )
        } else {
            format!("Unknown operation {TARGET_PREFIX}{op}")
        };
        return Err(AwsError::new(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            message,
        ));
    }
    let input = Input::decode(body)?;
    // Operations outside the extracted subset were refused above.
    slipway_model::ecr()
        .check_input(op, &input.as_value())
        .map_err(AwsError::from_ecr_input)?;
    let account = &caller.account;
    if let Some(id) = input.str("registryId") {
        if id != account.as_str() {
            return Err(AwsError::new(
                StatusCode::BAD_REQUEST,
                "AccessDeniedException",
                format!("User in account {account} is not authorized to access registry {id}"),
            ));
        }
    }
    let cx = Cx { svc, account };
    let out = match op {
        "GetAuthorizationToken" => cx.get_authorization_token(),
        "CreateRepository" => cx.create_repository(&input).await,
        "DescribeRepositories" => cx.describe_repositories(&input).await,
        "DeleteRepository" => cx.delete_repository(&input).await,
        "DescribeImages" => cx.describe_images(&input).await,
        "ListImages" => cx.list_images(&input).await,
        "BatchGetImage" => cx.batch_get_image(&input).await,
        "BatchDeleteImage" => cx.batch_delete_image(&input).await,
        "BatchCheckLayerAvailability" => cx.batch_check_layer_availability(&input).await,
        "PutImageTagMutability" => cx.put_image_tag_mutability(&input).await,
        "PutImageScanningConfiguration" => cx.put_image_scanning_configuration(&input).await,
        "PutImage" => cx.put_image(&input).await,
        _ => Err(AwsError::internal()),
    }?;
    Ok(ok(Reply::from(out)))
}

pub(super) struct Cx<'a> {
    svc: &'a Service,
    account: &'a AccountId,
}

pub(super) fn err(e: slipway_registry::RegistryError) -> AwsError {
    AwsError::from_ecr(e)
}

pub(super) fn image_id(v: &Value) -> ImageId {
    ImageId {
        tag: v.get("imageTag").and_then(Value::as_str).map(str::to_owned),
        digest: v
            .get("imageDigest")
            .and_then(Value::as_str)
            .map(str::to_owned),
    }
}

pub(super) fn id_json(id: &ImageId) -> Value {
    let mut o = serde_json::Map::new();
    if let Some(d) = &id.digest {
        o.insert("imageDigest".into(), d.clone().into());
    }
    if let Some(t) = &id.tag {
        o.insert("imageTag".into(), t.clone().into());
    }
    Value::Object(o)
}

pub(super) fn page_size(input: &Input, default: usize) -> usize {
    input.usize("maxResults").unwrap_or(default).clamp(1, 1000)
}

impl Cx<'_> {
    pub(super) fn registry(&self) -> slipway_registry::Registry<'_> {
        self.svc.registry()
    }

    fn get_authorization_token(&self) -> Out {
        let t = self
            .registry()
            .authorization_token(self.account)
            .map_err(err)?;
        // Clients log in to the proxy endpoint: this server, not AWS.
        let endpoint = self
            .registry()
            .listen_addr()
            .map(|a| format!("http://{a}"))
            .unwrap_or_default();
        Ok(json!({"authorizationData": [{
            "authorizationToken": t.authorization_token,
            "expiresAt": t.expires_at,
            "proxyEndpoint": endpoint,
        }]}))
    }
}
