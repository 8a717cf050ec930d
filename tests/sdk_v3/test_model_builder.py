"""`ModelBuilder` (sagemaker.serve) against Slipway: a seller's own image
and model artifact (`image_uri` + `s3_model_data_url`, the SDK's
pass-through build), `.build()` -> CreateModel, `.transformer()` -> a batch
transform whose output is read back, and `.register()` as an unversioned
package and as versions in a model package group (the SDK always sends
`CertifyForMarketplace=false`, a `ModelApprovalStatus` and
`SkipModelValidation`)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from v3_helpers import (  # noqa: E402
    BATCH, EXPECTED, INSTANCE, default_bucket, model_tarball, predictions, read_object, uniq)


@pytest.fixture(scope="module")
def bucket(sdk) -> str:
    return default_bucket()


@pytest.fixture(scope="module")
def model_data(bucket, s3) -> str:
    key = f"{uniq('v3-model')}/model.tar.gz"
    s3.put_object(Bucket=bucket, Key=key, Body=model_tarball())
    return f"s3://{bucket}/{key}"


def _builder(sample_image, model_data, role_arn):
    from sagemaker.serve import ModelBuilder

    # A serving role is passed explicitly: for "serving" the SDK reads no
    # role from its config file (only SageMaker.TrainingJob.RoleArn feeds
    # its role resolver) and falls back to the caller's identity.
    return ModelBuilder(image_uri=sample_image, s3_model_data_url=model_data, role_arn=role_arn,
                        instance_type=INSTANCE)


def test_build_creates_the_model(sdk, sample_image, model_data, role_arn, sm):
    from sagemaker.core.resources import Model

    name = uniq("v3-mb")
    model = _builder(sample_image, model_data, role_arn).build(model_name=name)
    assert isinstance(model, Model) and model.model_name == name
    d = sm.describe_model(ModelName=name)
    container = d.get("PrimaryContainer") or d["Containers"][0]
    assert container["Image"] == sample_image
    assert container["ModelDataUrl"] == model_data
    assert d["ExecutionRoleArn"] == role_arn
    assert model.model_arn == d["ModelArn"]


def test_built_model_transforms(sdk, sample_image, model_data, role_arn, bucket, s3, sm):
    prefix = uniq("v3-batch")
    s3.put_object(Bucket=bucket, Key=f"{prefix}/in/q.csv", Body=BATCH)
    mb = _builder(sample_image, model_data, role_arn)
    mb.build(model_name=uniq("v3-mbt"))
    job = uniq("v3-mbt-job")
    t = mb.transformer(instance_count=1, instance_type=INSTANCE, output_path=f"s3://{bucket}/{prefix}/out",
                       accept="text/csv", assemble_with="Line", strategy="MultiRecord")
    t.transform(data=f"s3://{bucket}/{prefix}/in/", content_type="text/csv", split_type="Line",
                job_name=job, wait=True, logs=False)
    d = sm.describe_transform_job(TransformJobName=job)
    assert d["TransformJobStatus"] == "Completed", d.get("FailureReason")
    assert predictions(read_object(s3, f"s3://{bucket}/{prefix}/out/q.csv.out")) == EXPECTED


def test_register_unversioned(sdk, sample_image, model_data, role_arn, sm):
    from sagemaker.core.resources import ModelPackage

    mb = _builder(sample_image, model_data, role_arn)
    mb.build(model_name=uniq("v3-mbr"))
    name = uniq("v3-pkg")
    arn = mb.register(model_package_name=name, content_types=["text/csv"], response_types=["text/csv"],
                      inference_instances=[INSTANCE], transform_instances=[INSTANCE])
    assert arn.endswith(f":model-package/{name}"), arn
    pkg = ModelPackage.get(name)
    assert pkg.model_package_arn == arn
    assert pkg.certify_for_marketplace is False
    container = pkg.inference_specification.containers[0]
    assert container.image == sample_image and container.model_data_url == model_data
    d = sm.describe_model_package(ModelPackageName=name)
    assert d["ModelPackageStatus"] in ("Pending", "InProgress", "Completed")
    assert d["InferenceSpecification"]["SupportedTransformInstanceTypes"] == [INSTANCE]


def test_register_versions_into_a_group(sdk, sample_image, model_data, role_arn, sm):
    mb = _builder(sample_image, model_data, role_arn)
    mb.build(model_name=uniq("v3-mbg"))
    group = uniq("v3-group")
    # The SDK creates the group when it does not exist (Search, else
    # ListModelPackageGroups, then CreateModelPackageGroup).
    first = mb.register(model_package_group_name=group, content_types=["text/csv"],
                        response_types=["text/csv"], inference_instances=[INSTANCE],
                        transform_instances=[INSTANCE])
    second = mb.register(model_package_group_name=group, approval_status="Approved",
                         content_types=["text/csv"], response_types=["text/csv"],
                         inference_instances=[INSTANCE], transform_instances=[INSTANCE])
    assert sm.describe_model_package_group(ModelPackageGroupName=group)["ModelPackageGroupName"] == group
    d1 = sm.describe_model_package(ModelPackageName=first)
    d2 = sm.describe_model_package(ModelPackageName=second)
    assert (d1["ModelPackageGroupName"], d1["ModelPackageVersion"]) == (group, 1)
    assert (d2["ModelPackageGroupName"], d2["ModelPackageVersion"]) == (group, 2)
    assert d1["ModelApprovalStatus"] == "PendingManualApproval"
    assert d2["ModelApprovalStatus"] == "Approved"
    assert d1["InferenceSpecification"]["Containers"][0]["ModelDataUrl"] == model_data
