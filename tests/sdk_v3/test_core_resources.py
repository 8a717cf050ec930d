"""The `sagemaker-core` resource classes (sagemaker.core.resources) against
Slipway: create, `get`, `get_all` listings, `wait`, `wait_for_status`,
`delete`, and a batch transform through `TransformJob.create` whose output
is read back. Every call goes through the SDK's own clients (default
session, AWS_ENDPOINT_URL)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from jobs_helpers import linear_rows  # noqa: E402
from v3_helpers import (  # noqa: E402
    BATCH, EXPECTED, INSTANCE, default_bucket, model_tarball, predictions, read_object, read_tar, uniq)


@pytest.fixture(scope="module")
def bucket(sdk) -> str:
    return default_bucket()


@pytest.fixture(scope="module")
def model_data(bucket, s3) -> str:
    key = f"{uniq('core-model')}/model.tar.gz"
    s3.put_object(Bucket=bucket, Key=key, Body=model_tarball())
    return f"s3://{bucket}/{key}"


def _container(image, model_data=None):
    from sagemaker.core.shapes import ContainerDefinition

    return ContainerDefinition(image=image, model_data_url=model_data) if model_data else ContainerDefinition(image=image)


def _training_job(name, image, bucket, train_uri, role_arn):
    from sagemaker.core.resources import TrainingJob
    from sagemaker.core.shapes import (AlgorithmSpecification, Channel, DataSource, OutputDataConfig,
                                       ResourceConfig, S3DataSource, StoppingCondition)

    return TrainingJob.create(
        training_job_name=name,
        role_arn=role_arn,
        algorithm_specification=AlgorithmSpecification(training_image=image, training_input_mode="File"),
        hyper_parameters={"epochs": "50"},
        input_data_config=[Channel(channel_name="train", data_source=DataSource(s3_data_source=S3DataSource(
            s3_data_type="S3Prefix", s3_uri=train_uri, s3_data_distribution_type="FullyReplicated")))],
        output_data_config=OutputDataConfig(s3_output_path=f"s3://{bucket}/core-out"),
        resource_config=ResourceConfig(instance_type=INSTANCE, instance_count=1, volume_size_in_gb=5),
        stopping_condition=StoppingCondition(max_runtime_in_seconds=300),
    )


def test_training_job_create_wait_get_list(sdk, sample_image, bucket, s3, role_arn):
    from sagemaker.core.resources import TrainingJob

    prefix = uniq("core-train")
    s3.put_object(Bucket=bucket, Key=f"{prefix}/part-1.csv", Body=linear_rows(60))
    name = uniq("core-tj")
    job = _training_job(name, sample_image, bucket, f"s3://{bucket}/{prefix}/", role_arn)
    assert job.training_job_name == name
    job.wait(poll=1, timeout=300)
    assert job.training_job_status == "Completed"

    got = TrainingJob.get(name)
    assert got.training_job_arn == job.training_job_arn
    assert got.secondary_status == "Completed"
    assert got.algorithm_specification.training_image == sample_image
    model = json.loads(read_tar(s3, got.model_artifacts.s3_model_artifacts)["model.json"])
    assert model["format"] == "slipway-sample-linear-v1"

    listed = [j.training_job_name for j in TrainingJob.get_all(name_contains=name)]
    assert listed == [name]
    completed = [j.training_job_name for j in TrainingJob.get_all(status_equals="Completed", name_contains="core-tj")]
    assert name in completed


def test_training_job_delete(sdk, sample_image, bucket, s3, role_arn):
    """DeleteTrainingJob (in the botocore model SageMaker's clients use):
    a job in a terminal state can be deleted, and is gone afterwards."""
    from botocore.exceptions import ClientError
    from sagemaker.core.resources import TrainingJob

    prefix = uniq("core-del")
    s3.put_object(Bucket=bucket, Key=f"{prefix}/part-1.csv", Body=linear_rows(30))
    name = uniq("core-tjdel")
    job = _training_job(name, sample_image, bucket, f"s3://{bucket}/{prefix}/", role_arn)
    job.wait(poll=1, timeout=300)
    job.delete()
    with pytest.raises(ClientError) as e:
        TrainingJob.get(name)
    assert e.value.response["Error"]["Code"] in ("ResourceNotFound", "ValidationException")
    assert [j.training_job_name for j in TrainingJob.get_all(name_contains=name)] == []


def test_model_create_get_list_delete_and_transform(sdk, sample_image, model_data, bucket, s3, role_arn):
    from botocore.exceptions import ClientError
    from sagemaker.core.resources import Model, TransformJob
    from sagemaker.core.shapes import (TransformDataSource, TransformInput, TransformOutput,
                                       TransformResources, TransformS3DataSource)

    name = uniq("core-model")
    model = Model.create(model_name=name, primary_container=_container(sample_image, model_data),
                         execution_role_arn=role_arn)
    assert model.model_name == name
    got = Model.get(name)
    assert got.model_arn == model.model_arn
    assert got.primary_container.image == sample_image
    assert got.primary_container.model_data_url == model_data
    assert got.execution_role_arn == role_arn
    assert name in [m.model_name for m in Model.get_all(name_contains=name)]

    prefix = uniq("core-batch")
    s3.put_object(Bucket=bucket, Key=f"{prefix}/in/q.csv", Body=BATCH)
    job_name = uniq("core-tf")
    job = TransformJob.create(
        transform_job_name=job_name,
        model_name=name,
        transform_input=TransformInput(
            data_source=TransformDataSource(s3_data_source=TransformS3DataSource(
                s3_data_type="S3Prefix", s3_uri=f"s3://{bucket}/{prefix}/in/")),
            content_type="text/csv", split_type="Line"),
        transform_output=TransformOutput(s3_output_path=f"s3://{bucket}/{prefix}/out", accept="text/csv",
                                         assemble_with="Line"),
        transform_resources=TransformResources(instance_type=INSTANCE, instance_count=1),
        batch_strategy="MultiRecord",
    )
    job.wait(poll=1, timeout=300)
    assert job.transform_job_status == "Completed", job.failure_reason
    assert predictions(read_object(s3, f"s3://{bucket}/{prefix}/out/q.csv.out")) == EXPECTED
    assert TransformJob.get(job_name).model_name == name
    assert [j.transform_job_name for j in TransformJob.get_all(name_contains=job_name)] == [job_name]

    got.delete()
    with pytest.raises(ClientError):
        Model.get(name)
    assert name not in [m.model_name for m in Model.get_all(name_contains=name)]


def test_algorithm_get_list_wait_delete(sdk, sample_image, sm):
    from botocore.exceptions import ClientError
    from sagemaker.core.resources import Algorithm

    name = uniq("core-algo")
    sm.create_algorithm(AlgorithmName=name, TrainingSpecification={
        "TrainingImage": sample_image, "SupportedTrainingInstanceTypes": [INSTANCE],
        "TrainingChannels": [{"Name": "train", "SupportedContentTypes": ["text/csv"],
                              "SupportedInputModes": ["File"]}]})
    algo = Algorithm.get(name)
    algo.wait_for_status("Completed", poll=1, timeout=60)
    assert algo.algorithm_status == "Completed"
    assert algo.training_specification.training_image == sample_image
    assert name in [a.algorithm_name for a in Algorithm.get_all(name_contains=name)]
    algo.delete()
    with pytest.raises(ClientError):
        Algorithm.get(name)


def test_model_package_and_group(sdk, sample_image, model_data, sm):
    from botocore.exceptions import ClientError
    from sagemaker.core.resources import ModelPackage, ModelPackageGroup

    # Packages come from boto3: sagemaker-core 2.27's ModelPackage.create
    # cannot create one against AWS either. It reads
    # response["ModelPackageName"], which CreateModelPackage never returns
    # (its output is ModelPackageArn only), and types
    # `inference_specification` with the model card's InferenceSpecification
    # (sagemaker.core.shapes re-exports model_card_shapes over shapes.shapes),
    # which carries containers only.
    name = uniq("core-pkg")
    sm.create_model_package(ModelPackageName=name, InferenceSpecification={
        "Containers": [{"Image": sample_image, "ModelDataUrl": model_data}],
        "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"],
        "SupportedTransformInstanceTypes": [INSTANCE], "SupportedRealtimeInferenceInstanceTypes": [INSTANCE]})
    got = ModelPackage.get(name)
    got.wait_for_status("Completed", poll=1, timeout=60)
    assert got.model_package_status == "Completed"
    assert got.inference_specification.containers[0].model_data_url == model_data
    assert name in [p.model_package_name for p in ModelPackage.get_all(name_contains=name)]

    group = uniq("core-group")
    g = ModelPackageGroup.create(model_package_group_name=group)
    assert ModelPackageGroup.get(group).model_package_group_arn == g.model_package_group_arn
    assert group in [x.model_package_group_name for x in ModelPackageGroup.get_all(name_contains=group)]
    v1_arn = sm.create_model_package(ModelPackageGroupName=group, ModelApprovalStatus="Approved",
                                     InferenceSpecification={"Containers": [{"Image": sample_image,
                                                                             "ModelDataUrl": model_data}]}
                                     )["ModelPackageArn"]
    v1 = ModelPackage.get(v1_arn)
    assert v1.model_package_version == 1 and v1.model_approval_status == "Approved"
    # Not ModelPackage.get_all(model_package_group_name=...): it refreshes
    # each summary by its ModelPackageName, which for a version is the
    # group's name (as on AWS), and DescribeModelPackage needs the ARN.
    versions = sm.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"]
    assert [v["ModelPackageArn"] for v in versions] == [v1.model_package_arn]

    got.delete()
    with pytest.raises(ClientError):
        ModelPackage.get(name)
    # By ARN: v1.delete() sends the version's ModelPackageName (the group's).
    sm.delete_model_package(ModelPackageName=v1.model_package_arn)
    g.delete()
    with pytest.raises(ClientError):
        ModelPackageGroup.get(group)
