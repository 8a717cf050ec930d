//! The SageMaker control-plane API (AWS JSON 1.1, `SageMaker.<Op>`).
//!
//! Every request is first checked against the botocore shape model
//! (required members, lengths, patterns, enums, ranges) exactly as AWS
//! checks it; handlers then only translate shapes and call the service.

mod algorithms;
mod common;
mod model_packages;
mod models;
pub(crate) mod specs;
mod tags;
mod training_jobs;
mod transform_jobs;

use crate::auth::Caller;
use crate::error::AwsError;
use crate::json::{Input, Reply};
use axum::http::StatusCode;
use axum::response::Response;
use slipway_service::Service;

/// The operations this server implements, parsed from `X-Amz-Target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    CreateAlgorithm,
    DescribeAlgorithm,
    ListAlgorithms,
    DeleteAlgorithm,
    CreateModelPackage,
    DescribeModelPackage,
    ListModelPackages,
    UpdateModelPackage,
    DeleteModelPackage,
    CreateModelPackageGroup,
    DescribeModelPackageGroup,
    ListModelPackageGroups,
    DeleteModelPackageGroup,
    AddTags,
    ListTags,
    DeleteTags,
    CreateTrainingJob,
    DescribeTrainingJob,
    ListTrainingJobs,
    StopTrainingJob,
    DeleteTrainingJob,
    CreateModel,
    DescribeModel,
    ListModels,
    DeleteModel,
    CreateTransformJob,
    DescribeTransformJob,
    ListTransformJobs,
    StopTransformJob,
}

impl Operation {
    pub const ALL: [Operation; 29] = [
        Self::CreateAlgorithm,
        Self::DescribeAlgorithm,
        Self::ListAlgorithms,
        Self::DeleteAlgorithm,
        Self::CreateModelPackage,
        Self::DescribeModelPackage,
        Self::ListModelPackages,
        Self::UpdateModelPackage,
        Self::DeleteModelPackage,
        Self::CreateModelPackageGroup,
        Self::DescribeModelPackageGroup,
        Self::ListModelPackageGroups,
        Self::DeleteModelPackageGroup,
        Self::AddTags,
        Self::ListTags,
        Self::DeleteTags,
        Self::CreateTrainingJob,
        Self::DescribeTrainingJob,
        Self::ListTrainingJobs,
        Self::StopTrainingJob,
        Self::DeleteTrainingJob,
        Self::CreateModel,
        Self::DescribeModel,
        Self::ListModels,
        Self::DeleteModel,
        Self::CreateTransformJob,
        Self::DescribeTransformJob,
        Self::ListTransformJobs,
        Self::StopTransformJob,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::CreateAlgorithm => "CreateAlgorithm",
            Self::DescribeAlgorithm => "DescribeAlgorithm",
            Self::ListAlgorithms => "ListAlgorithms",
            Self::DeleteAlgorithm => "DeleteAlgorithm",
            Self::CreateModelPackage => "CreateModelPackage",
            Self::DescribeModelPackage => "DescribeModelPackage",
            Self::ListModelPackages => "ListModelPackages",
            Self::UpdateModelPackage => "UpdateModelPackage",
            Self::DeleteModelPackage => "DeleteModelPackage",
            Self::CreateModelPackageGroup => "CreateModelPackageGroup",
            Self::DescribeModelPackageGroup => "DescribeModelPackageGroup",
            Self::ListModelPackageGroups => "ListModelPackageGroups",
            Self::DeleteModelPackageGroup => "DeleteModelPackageGroup",
            Self::AddTags => "AddTags",
            Self::ListTags => "ListTags",
            Self::DeleteTags => "DeleteTags",
            Self::CreateTrainingJob => "CreateTrainingJob",
            Self::DescribeTrainingJob => "DescribeTrainingJob",
            Self::ListTrainingJobs => "ListTrainingJobs",
            Self::StopTrainingJob => "StopTrainingJob",
            Self::DeleteTrainingJob => "DeleteTrainingJob",
            Self::CreateModel => "CreateModel",
            Self::DescribeModel => "DescribeModel",
            Self::ListModels => "ListModels",
            Self::DeleteModel => "DeleteModel",
            Self::CreateTransformJob => "CreateTransformJob",
            Self::DescribeTransformJob => "DescribeTransformJob",
            Self::ListTransformJobs => "ListTransformJobs",
            Self::StopTransformJob => "StopTransformJob",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }
}

/// Decodes, checks against the shape model, and runs one operation.
pub async fn handle(
    svc: &Service,
    caller: &Caller,
    op_name: &str,
    body: &[u8],
) -> Result<Response, AwsError> {
    run(svc, &caller.account, op_name, body)
        .await
        .map(crate::json::ok)
}

/// One operation for a caller already known to be `account`, exactly as
/// the HTTP API runs it (shape checks included), answering the response
/// document. `slipway validate` submits its request through here.
pub async fn call(
    svc: &Service,
    account: &slipway_core::AccountId,
    op_name: &str,
    body: &[u8],
) -> Result<serde_json::Value, AwsError> {
    match run(svc, account, op_name, body).await? {
        Reply::Value(v) => Ok(v),
        Reply::Text(t) => serde_json::from_str(&t).map_err(|_| AwsError::internal()),
    }
}

async fn run(
    svc: &Service,
    account: &slipway_core::AccountId,
    op_name: &str,
    body: &[u8],
) -> Result<Reply, AwsError> {
    let Some(op) = Operation::parse(op_name) else {
        let known = slipway_model::sagemaker().operation(op_name).is_some();
        let message = if known {
            format!("Operation {op_name} is part of the SageMaker API but not implemented by this Slipway server.")
        } else {
            format!("Unknown operation SageMaker.{op_name}")
        };
        return Err(AwsError::new(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            message,
        ));
    };
    let input = Input::decode(body)?;
    slipway_model::sagemaker()
        .check_input(op_name, &input.as_value())
        .map_err(AwsError::from_input)?;
    use Operation::*;
    let result = match op {
        CreateAlgorithm => algorithms::create_algorithm(svc, account, input)
            .await
            .map(Reply::from),
        DescribeAlgorithm => algorithms::describe_algorithm(svc, account, input)
            .await
            .map(Reply::from),
        ListAlgorithms => algorithms::list_algorithms(svc, account, input).await,
        DeleteAlgorithm => algorithms::delete_algorithm(svc, account, input)
            .await
            .map(Reply::from),
        CreateModelPackage => model_packages::create_model_package(svc, account, input)
            .await
            .map(Reply::from),
        DescribeModelPackage => model_packages::describe_model_package(svc, account, input)
            .await
            .map(Reply::from),
        ListModelPackages => model_packages::list_model_packages(svc, account, input).await,
        UpdateModelPackage => model_packages::update_model_package(svc, account, input)
            .await
            .map(Reply::from),
        DeleteModelPackage => model_packages::delete_model_package(svc, account, input)
            .await
            .map(Reply::from),
        CreateModelPackageGroup => model_packages::create_model_package_group(svc, account, input)
            .await
            .map(Reply::from),
        DescribeModelPackageGroup => {
            model_packages::describe_model_package_group(svc, account, input)
                .await
                .map(Reply::from)
        }
        ListModelPackageGroups => model_packages::list_model_package_groups(svc, account, input)
            .await
            .map(Reply::from),
        DeleteModelPackageGroup => model_packages::delete_model_package_group(svc, account, input)
            .await
            .map(Reply::from),
        AddTags => tags::add_tags(svc, account, input).await.map(Reply::from),
        ListTags => tags::list_tags(svc, account, input).await.map(Reply::from),
        DeleteTags => tags::delete_tags(svc, account, input)
            .await
            .map(Reply::from),
        CreateTrainingJob => training_jobs::create_training_job(svc, account, input)
            .await
            .map(Reply::from),
        DescribeTrainingJob => training_jobs::describe_training_job(svc, account, input)
            .await
            .map(Reply::from),
        ListTrainingJobs => training_jobs::list_training_jobs(svc, account, input).await,
        StopTrainingJob => training_jobs::stop_training_job(svc, account, input)
            .await
            .map(Reply::from),
        DeleteTrainingJob => training_jobs::delete_training_job(svc, account, input)
            .await
            .map(Reply::from),
        CreateModel => models::create_model(svc, account, input)
            .await
            .map(Reply::from),
        DescribeModel => models::describe_model(svc, account, input)
            .await
            .map(Reply::from),
        ListModels => models::list_models(svc, account, input).await,
        DeleteModel => models::delete_model(svc, account, input)
            .await
            .map(Reply::from),
        CreateTransformJob => transform_jobs::create_transform_job(svc, account, input)
            .await
            .map(Reply::from),
        DescribeTransformJob => transform_jobs::describe_transform_job(svc, account, input)
            .await
            .map(Reply::from),
        ListTransformJobs => transform_jobs::list_transform_jobs(svc, account, input).await,
        StopTransformJob => transform_jobs::stop_transform_job(svc, account, input)
            .await
            .map(Reply::from),
    }?;
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_exists_in_the_botocore_model() {
        for op in Operation::ALL {
            assert!(
                slipway_model::sagemaker().operation(op.name()).is_some(),
                "{}",
                op.name()
            );
            assert_eq!(Operation::parse(op.name()), Some(op));
        }
    }
}
