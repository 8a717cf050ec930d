//! The SageMaker control-plane API (AWS JSON 1.1, `SageMaker.<Op>`).
//!
//! Every request is first checked against the botocore shape model
//! (required members, lengths, patterns, enums, ranges) exactly as AWS
//! checks it; the generated dispatch (`crate::generated::sagemaker`) then
//! decodes the typed request and calls one method of [`SageMakerApi`],
//! implemented below. Operations of the model subset without a method here
//! answer the generated "not implemented" error.

mod algorithms;
mod common;
mod endpoints;
mod model_packages;
mod models;
mod package_groups;
pub(crate) mod specs;
mod tags;
mod training_jobs;
mod transform_jobs;
mod tuning_jobs;

use crate::generated::sagemaker::*;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;
use slipway_hosting::Hosting;
use slipway_service::Service;
use slipway_wire_core::auth::Caller;
use slipway_wire_core::context::Cx;
use slipway_wire_core::error::AwsError;
use slipway_wire_core::json::{Input, Reply};

/// Decodes, checks against the shape model, and runs one operation.
pub async fn handle(
    svc: &Service,
    hosting: &Hosting,
    caller: &Caller,
    op_name: &str,
    body: &[u8],
) -> Result<Response, AwsError> {
    run(svc, hosting, &caller.account, op_name, body)
        .await
        .map(slipway_wire_core::json::ok)
}

/// One operation for a caller already known to be `account`, exactly as
/// the HTTP API runs it (shape checks included), answering the response
/// document. `slipway validate` submits its request through here.
pub async fn call(
    hosting: &Hosting,
    account: &slipway_core::AccountId,
    op_name: &str,
    body: &[u8],
) -> Result<Value, AwsError> {
    match run(hosting.service(), hosting, account, op_name, body).await? {
        Reply::Value(v) => Ok(v),
        Reply::Text(t) => serde_json::from_str(&t).map_err(|_| AwsError::internal()),
    }
}

async fn run(
    svc: &Service,
    hosting: &Hosting,
    account: &slipway_core::AccountId,
    op_name: &str,
    body: &[u8],
) -> Result<Reply, AwsError> {
    let Some(op) = Operation::parse(op_name) else {
        return Err(AwsError::new(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            format!("Unknown operation SageMaker.{op_name}"),
        ));
    };
    let input = Value::Object(Input::decode(body)?.0);
    slipway_botocore::sagemaker()
        .check_input(op_name, &input)
        .map_err(AwsError::from_input)?;
    dispatch(&Handlers { hosting }, &Cx { svc, account }, op, input).await
}

/// The SageMaker operations this server serves. Endpoint configs and
/// endpoints are the hosting capability's (`slipway-hosting`).
struct Handlers<'a> {
    hosting: &'a Hosting,
}

impl SageMakerApi for Handlers<'_> {
    async fn create_hyper_parameter_tuning_job(
        &self,
        cx: &Cx<'_>,
        input: CreateHyperParameterTuningJobRequest,
    ) -> Result<CreateHyperParameterTuningJobResponse, AwsError> {
        tuning_jobs::create_hyper_parameter_tuning_job(cx, input).await
    }

    async fn describe_hyper_parameter_tuning_job(
        &self,
        cx: &Cx<'_>,
        input: DescribeHyperParameterTuningJobRequest,
    ) -> Result<Value, AwsError> {
        tuning_jobs::describe_hyper_parameter_tuning_job(cx, input).await
    }

    async fn list_hyper_parameter_tuning_jobs(
        &self,
        cx: &Cx<'_>,
        input: ListHyperParameterTuningJobsRequest,
    ) -> Result<ListHyperParameterTuningJobsResponse, AwsError> {
        tuning_jobs::list_hyper_parameter_tuning_jobs(cx, input).await
    }

    async fn stop_hyper_parameter_tuning_job(
        &self,
        cx: &Cx<'_>,
        input: StopHyperParameterTuningJobRequest,
    ) -> Result<(), AwsError> {
        tuning_jobs::stop_hyper_parameter_tuning_job(cx, input).await
    }

    async fn delete_hyper_parameter_tuning_job(
        &self,
        cx: &Cx<'_>,
        input: DeleteHyperParameterTuningJobRequest,
    ) -> Result<(), AwsError> {
        tuning_jobs::delete_hyper_parameter_tuning_job(cx, input).await
    }

    async fn list_training_jobs_for_hyper_parameter_tuning_job(
        &self,
        cx: &Cx<'_>,
        input: ListTrainingJobsForHyperParameterTuningJobRequest,
    ) -> Result<ListTrainingJobsForHyperParameterTuningJobResponse, AwsError> {
        tuning_jobs::list_training_jobs_for_hyper_parameter_tuning_job(cx, input).await
    }

    async fn create_algorithm(
        &self,
        cx: &Cx<'_>,
        input: CreateAlgorithmInput,
    ) -> Result<CreateAlgorithmOutput, AwsError> {
        algorithms::create_algorithm(cx, input).await
    }

    async fn describe_algorithm(
        &self,
        cx: &Cx<'_>,
        input: DescribeAlgorithmInput,
    ) -> Result<Value, AwsError> {
        algorithms::describe_algorithm(cx, input).await
    }

    async fn list_algorithms(
        &self,
        cx: &Cx<'_>,
        input: ListAlgorithmsInput,
    ) -> Result<ListAlgorithmsOutput, AwsError> {
        algorithms::list_algorithms(cx, input).await
    }

    async fn delete_algorithm(
        &self,
        cx: &Cx<'_>,
        input: DeleteAlgorithmInput,
    ) -> Result<(), AwsError> {
        algorithms::delete_algorithm(cx, input).await
    }

    async fn create_model_package(
        &self,
        cx: &Cx<'_>,
        input: CreateModelPackageInput,
    ) -> Result<CreateModelPackageOutput, AwsError> {
        model_packages::create_model_package(cx, input).await
    }

    async fn describe_model_package(
        &self,
        cx: &Cx<'_>,
        input: DescribeModelPackageInput,
    ) -> Result<Value, AwsError> {
        model_packages::describe_model_package(cx, input).await
    }

    async fn list_model_packages(
        &self,
        cx: &Cx<'_>,
        input: ListModelPackagesInput,
    ) -> Result<ListModelPackagesOutput, AwsError> {
        model_packages::list_model_packages(cx, input).await
    }

    async fn update_model_package(
        &self,
        cx: &Cx<'_>,
        input: UpdateModelPackageInput,
    ) -> Result<UpdateModelPackageOutput, AwsError> {
        model_packages::update_model_package(cx, input).await
    }

    async fn delete_model_package(
        &self,
        cx: &Cx<'_>,
        input: DeleteModelPackageInput,
    ) -> Result<(), AwsError> {
        model_packages::delete_model_package(cx, input).await
    }

    async fn create_model_package_group(
        &self,
        cx: &Cx<'_>,
        input: CreateModelPackageGroupInput,
    ) -> Result<CreateModelPackageGroupOutput, AwsError> {
        package_groups::create_model_package_group(cx, input).await
    }

    async fn describe_model_package_group(
        &self,
        cx: &Cx<'_>,
        input: DescribeModelPackageGroupInput,
    ) -> Result<DescribeModelPackageGroupOutput, AwsError> {
        package_groups::describe_model_package_group(cx, input).await
    }

    async fn list_model_package_groups(
        &self,
        cx: &Cx<'_>,
        input: ListModelPackageGroupsInput,
    ) -> Result<ListModelPackageGroupsOutput, AwsError> {
        package_groups::list_model_package_groups(cx, input).await
    }

    async fn delete_model_package_group(
        &self,
        cx: &Cx<'_>,
        input: DeleteModelPackageGroupInput,
    ) -> Result<(), AwsError> {
        package_groups::delete_model_package_group(cx, input).await
    }

    async fn add_tags(&self, cx: &Cx<'_>, input: AddTagsInput) -> Result<AddTagsOutput, AwsError> {
        tags::add_tags(cx, input).await
    }

    async fn list_tags(
        &self,
        cx: &Cx<'_>,
        input: ListTagsInput,
    ) -> Result<ListTagsOutput, AwsError> {
        tags::list_tags(cx, input).await
    }

    async fn delete_tags(
        &self,
        cx: &Cx<'_>,
        input: DeleteTagsInput,
    ) -> Result<DeleteTagsOutput, AwsError> {
        tags::delete_tags(cx, input).await
    }

    async fn create_training_job(
        &self,
        cx: &Cx<'_>,
        input: CreateTrainingJobRequest,
    ) -> Result<CreateTrainingJobResponse, AwsError> {
        training_jobs::create_training_job(cx, input).await
    }

    async fn describe_training_job(
        &self,
        cx: &Cx<'_>,
        input: DescribeTrainingJobRequest,
    ) -> Result<Value, AwsError> {
        training_jobs::describe_training_job(cx, input).await
    }

    async fn list_training_jobs(
        &self,
        cx: &Cx<'_>,
        input: ListTrainingJobsRequest,
    ) -> Result<ListTrainingJobsResponse, AwsError> {
        training_jobs::list_training_jobs(cx, input).await
    }

    async fn stop_training_job(
        &self,
        cx: &Cx<'_>,
        input: StopTrainingJobRequest,
    ) -> Result<(), AwsError> {
        training_jobs::stop_training_job(cx, input).await
    }

    async fn delete_training_job(
        &self,
        cx: &Cx<'_>,
        input: DeleteTrainingJobRequest,
    ) -> Result<(), AwsError> {
        training_jobs::delete_training_job(cx, input).await
    }

    async fn create_model(
        &self,
        cx: &Cx<'_>,
        input: CreateModelInput,
    ) -> Result<CreateModelOutput, AwsError> {
        models::create_model(cx, input).await
    }

    async fn describe_model(
        &self,
        cx: &Cx<'_>,
        input: DescribeModelInput,
    ) -> Result<Value, AwsError> {
        models::describe_model(cx, input).await
    }

    async fn list_models(
        &self,
        cx: &Cx<'_>,
        input: ListModelsInput,
    ) -> Result<ListModelsOutput, AwsError> {
        models::list_models(cx, input).await
    }

    async fn delete_model(&self, cx: &Cx<'_>, input: DeleteModelInput) -> Result<(), AwsError> {
        models::delete_model(cx, input).await
    }

    async fn create_transform_job(
        &self,
        cx: &Cx<'_>,
        input: CreateTransformJobRequest,
    ) -> Result<CreateTransformJobResponse, AwsError> {
        transform_jobs::create_transform_job(cx, input).await
    }

    async fn describe_transform_job(
        &self,
        cx: &Cx<'_>,
        input: DescribeTransformJobRequest,
    ) -> Result<Value, AwsError> {
        transform_jobs::describe_transform_job(cx, input).await
    }

    async fn list_transform_jobs(
        &self,
        cx: &Cx<'_>,
        input: ListTransformJobsRequest,
    ) -> Result<ListTransformJobsResponse, AwsError> {
        transform_jobs::list_transform_jobs(cx, input).await
    }

    async fn stop_transform_job(
        &self,
        cx: &Cx<'_>,
        input: StopTransformJobRequest,
    ) -> Result<(), AwsError> {
        transform_jobs::stop_transform_job(cx, input).await
    }
    async fn create_endpoint_config(
        &self,
        cx: &Cx<'_>,
        input: CreateEndpointConfigInput,
    ) -> Result<CreateEndpointConfigOutput, AwsError> {
        endpoints::create_endpoint_config(cx, self.hosting, input).await
    }

    async fn describe_endpoint_config(
        &self,
        cx: &Cx<'_>,
        input: DescribeEndpointConfigInput,
    ) -> Result<Value, AwsError> {
        endpoints::describe_endpoint_config(cx, self.hosting, input).await
    }

    async fn list_endpoint_configs(
        &self,
        cx: &Cx<'_>,
        input: ListEndpointConfigsInput,
    ) -> Result<ListEndpointConfigsOutput, AwsError> {
        endpoints::list_endpoint_configs(cx, self.hosting, input).await
    }

    async fn delete_endpoint_config(
        &self,
        cx: &Cx<'_>,
        input: DeleteEndpointConfigInput,
    ) -> Result<(), AwsError> {
        endpoints::delete_endpoint_config(cx, self.hosting, input).await
    }

    async fn create_endpoint(
        &self,
        cx: &Cx<'_>,
        input: CreateEndpointInput,
    ) -> Result<CreateEndpointOutput, AwsError> {
        endpoints::create_endpoint(cx, self.hosting, input).await
    }

    async fn describe_endpoint(
        &self,
        cx: &Cx<'_>,
        input: DescribeEndpointInput,
    ) -> Result<DescribeEndpointOutput, AwsError> {
        endpoints::describe_endpoint(cx, self.hosting, input).await
    }

    async fn list_endpoints(
        &self,
        cx: &Cx<'_>,
        input: ListEndpointsInput,
    ) -> Result<ListEndpointsOutput, AwsError> {
        endpoints::list_endpoints(cx, self.hosting, input).await
    }

    async fn update_endpoint(
        &self,
        cx: &Cx<'_>,
        input: UpdateEndpointInput,
    ) -> Result<UpdateEndpointOutput, AwsError> {
        endpoints::update_endpoint(cx, self.hosting, input).await
    }

    async fn update_endpoint_weights_and_capacities(
        &self,
        cx: &Cx<'_>,
        input: UpdateEndpointWeightsAndCapacitiesInput,
    ) -> Result<UpdateEndpointWeightsAndCapacitiesOutput, AwsError> {
        endpoints::update_endpoint_weights_and_capacities(cx, self.hosting, input).await
    }

    async fn delete_endpoint(
        &self,
        cx: &Cx<'_>,
        input: DeleteEndpointInput,
    ) -> Result<(), AwsError> {
        endpoints::delete_endpoint(cx, self.hosting, input).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operations_are_the_botocore_model_subset() {
        for op in Operation::ALL {
            assert!(
                slipway_botocore::sagemaker().operation(op.name()).is_some(),
                "{}",
                op.name()
            );
            assert_eq!(Operation::parse(op.name()), Some(op));
        }
        assert_eq!(
            slipway_botocore::sagemaker().operations().len(),
            Operation::ALL.len()
        );
    }

    /// Every operation of the model subset has a handler today, so the
    /// generated default (what an operation added to the subset answers
    /// before its handler exists) is exercised here rather than over HTTP.
    #[tokio::test]
    async fn an_operation_without_a_handler_answers_not_implemented() {
        struct NoHandlers;
        impl SageMakerApi for NoHandlers {}
        let t = slipway_service::testkit::TestService::start().await;
        let cx = Cx {
            svc: &t.svc,
            account: &t.account,
        };
        let input = serde_json::json!({"EndpointName": "e", "EndpointConfigName": "c"});
        let Err(err) = dispatch(&NoHandlers, &cx, Operation::CreateEndpoint, input).await else {
            panic!("the default handler answered");
        };
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        assert_eq!(err.code, "UnknownOperationException");
        assert_eq!(
            err.message,
            "Operation CreateEndpoint is part of the SageMaker API but not implemented by this Slipway server."
        );
    }
}
