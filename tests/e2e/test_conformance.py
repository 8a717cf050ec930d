"""Conformance with botocore's SageMaker service model.

For each implemented operation, a hand-written valid baseline (proved valid
by botocore's own validator and by the server accepting it), then one
mutation per constraint of every member it contains — required, lengths,
patterns, enums, ranges, list and map sizes — and of every optional
top-level scalar it leaves out. Each mutation must come back as
ValidationException / HTTP 400 with AWS's message naming the member:
"N validation error(s) detected: Value ... at '<path>' failed to satisfy
constraint: <phrase>".
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any, Callable

import pytest
from botocore.exceptions import ClientError, ParamValidationError
from botocore.validate import ParamValidator

from conformance_gen import SERVICE, Mutation, generate

OPS = [
    "CreateModelPackage", "DescribeModelPackage", "ListModelPackages", "UpdateModelPackage", "DeleteModelPackage",
    "CreateModelPackageGroup", "DescribeModelPackageGroup", "ListModelPackageGroups", "DeleteModelPackageGroup",
    "CreateAlgorithm", "DescribeAlgorithm", "ListAlgorithms", "DeleteAlgorithm", "AddTags", "ListTags", "DeleteTags",
    "CreateTrainingJob", "DescribeTrainingJob", "ListTrainingJobs", "StopTrainingJob",
]

BUSYBOX = "localhost/slipway-test-busybox:latest"


def training_job_request(c: "Ctx", name: str, command: list[str] | None = None) -> dict:
    """A legal CreateTrainingJob using most members; the job it starts runs
    `command` in busybox (it fails quickly for want of its bucket, which is
    fine: only the request is under test)."""
    return {
        "TrainingJobName": name,
        "HyperParameters": {"epochs": "10", "learning_rate": "0.1"},
        "AlgorithmSpecification": {
            "TrainingImage": BUSYBOX, "TrainingInputMode": "File",
            "MetricDefinitions": [{"Name": "train:mse", "Regex": "train:mse=([0-9.]+)"}],
            "ContainerEntrypoint": command or ["/bin/true"], "ContainerArguments": ["train"],
        },
        "RoleArn": f"arn:aws:iam::{c.account}:role/SageMakerRole",
        "InputDataConfig": [{
            "ChannelName": "train",
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://cf-training/train/",
                                            "S3DataDistributionType": "FullyReplicated"}},
            "ContentType": "text/csv", "CompressionType": "None", "RecordWrapperType": "None", "InputMode": "File",
        }],
        "OutputDataConfig": {"S3OutputPath": "s3://cf-training/output", "CompressionType": "GZIP"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
        "Tags": tags(),
        "EnableNetworkIsolation": True,
        "Environment": {"SELLER_MODE": "conformance"},
        "CheckpointConfig": {"S3Uri": "s3://cf-training/checkpoints/", "LocalPath": "/opt/ml/checkpoints"},
        "RetryStrategy": {"MaximumRetryAttempts": 1},
    }


@dataclass
class Ctx:
    account: str
    region: str = "us-east-1"
    client: Any = None


# -- shared valid fragments -----------------------------------------------------------
def image(ctx) -> str:
    # A resource with validation profiles must name an image the engine can
    # resolve (checked at create time); the sample image is built by the suite.
    return "localhost/slipway-sample:latest"


DIGEST = "sha256:" + "ab" * 32


def container(ctx) -> dict:
    return {
        "ContainerHostname": "primary",
        "Image": image(ctx),
        "ImageDigest": DIGEST,
        "ModelDataUrl": "s3://quickstart/model/model.tar.gz",
        "ProductId": "prod-1",
        "Environment": {"LOG_LEVEL": "info", "WORKERS": "2"},
        "ModelInput": {"DataInputConfig": '{"input": [1, 3]}'},
        "Framework": "XGBOOST",
        "FrameworkVersion": "1.5",
        "NearestModelName": "xgboost",
    }


def inference_spec(ctx) -> dict:
    return {
        "Containers": [container(ctx)],
        "SupportedTransformInstanceTypes": ["ml.m5.large", "ml.m5.xlarge"],
        "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
        "SupportedContentTypes": ["text/csv"],
        "SupportedResponseMIMETypes": ["text/csv"],
    }


def transform_job(ctx) -> dict:
    return {
        "MaxConcurrentTransforms": 2,
        "MaxPayloadInMB": 6,
        "BatchStrategy": "MultiRecord",
        "Environment": {"MODE": "batch"},
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://quickstart/batch/"}},
            "ContentType": "text/csv",
            "CompressionType": "None",
            "SplitType": "Line",
        },
        "TransformOutput": {
            "S3OutputPath": "s3://quickstart/batch-output/",
            "Accept": "text/csv",
            "AssembleWith": "Line",
            "KmsKeyId": "alias/output-key",
        },
        "TransformResources": {
            "InstanceType": "ml.m5.large",
            "InstanceCount": 1,
            "VolumeKmsKeyId": "volume-key-1",
            "TransformAmiVersion": "al2-ami-sagemaker-batch-gpu-470",
        },
    }


def role(ctx) -> str:
    return f"arn:aws:iam::{ctx.account}:role/SlipwayValidation"


def tags() -> list:
    return [{"Key": "team", "Value": "ml"}, {"Key": "env", "Value": "dev"}]


def training_spec(ctx) -> dict:
    return {
        "TrainingImage": image(ctx),
        "TrainingImageDigest": DIGEST,
        "SupportedHyperParameters": [
            {"Name": "epochs", "Description": "passes over the data", "Type": "Integer", "IsTunable": True,
             "IsRequired": False, "DefaultValue": "10",
             "Range": {"IntegerParameterRangeSpecification": {"MinValue": "1", "MaxValue": "1000"}}},
            {"Name": "learning_rate", "Type": "Continuous", "IsTunable": True, "DefaultValue": "0.01",
             "Range": {"ContinuousParameterRangeSpecification": {"MinValue": "0.0001", "MaxValue": "1"}}},
            {"Name": "mode", "Type": "Categorical", "DefaultValue": "normal",
             "Range": {"CategoricalParameterRangeSpecification": {"Values": ["normal", "fail", "crash"]}}},
            {"Name": "note", "Type": "FreeText", "DefaultValue": "none"},
        ],
        "SupportedTrainingInstanceTypes": ["ml.m5.large", "ml.m5.xlarge"],
        "SupportsDistributedTraining": False,
        "MetricDefinitions": [{"Name": "train:mse", "Regex": "mse=([0-9.eE+-]+)"}],
        "TrainingChannels": [
            {"Name": "train", "Description": "training data", "IsRequired": True,
             "SupportedContentTypes": ["text/csv"], "SupportedCompressionTypes": ["None"],
             "SupportedInputModes": ["File"]},
            {"Name": "validation", "IsRequired": False, "SupportedContentTypes": ["text/csv"],
             "SupportedInputModes": ["File"]},
        ],
        "SupportedTuningJobObjectiveMetrics": [{"Type": "Minimize", "MetricName": "train:mse"}],
    }


def training_job(ctx) -> dict:
    return {
        "TrainingInputMode": "File",
        "HyperParameters": {"epochs": "20", "learning_rate": "0.05"},
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://quickstart/train/",
                                                "S3DataDistributionType": "FullyReplicated"}},
                "ContentType": "text/csv",
                "CompressionType": "None",
                "RecordWrapperType": "None",
                "InputMode": "File",
                "ShuffleConfig": {"Seed": 7},
            }
        ],
        "OutputDataConfig": {"S3OutputPath": "s3://quickstart/output/", "KmsKeyId": "alias/out",
                             "CompressionType": "GZIP"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5,
                           "VolumeKmsKeyId": "vol-key", "KeepAlivePeriodInSeconds": 0},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600, "MaxPendingTimeInSeconds": 7200},
    }


def create_algorithm(ctx, s) -> dict:
    return {
        "AlgorithmName": f"cf-alg-{s}",
        "AlgorithmDescription": "Least-squares linear regression (conformance baseline).",
        "TrainingSpecification": training_spec(ctx),
        "InferenceSpecification": inference_spec(ctx),
        "ValidationSpecification": {
            "ValidationRole": role(ctx),
            "ValidationProfiles": [
                {"ProfileName": "smoke", "TrainingJobDefinition": training_job(ctx),
                 "TransformJobDefinition": transform_job(ctx)}
            ],
        },
        "CertifyForMarketplace": True,
        "Tags": tags(),
    }


def metrics_source() -> dict:
    return {"ContentType": "application/json", "ContentDigest": DIGEST, "S3Uri": "s3://quickstart/metrics/stats.json"}


def create_model_package(ctx, s) -> dict:
    return {
        "ModelPackageName": f"cf-mp-{s}",
        "ModelPackageDescription": "A trained model (conformance baseline).",
        "InferenceSpecification": inference_spec(ctx),
        "ValidationSpecification": {
            "ValidationRole": role(ctx),
            "ValidationProfiles": [{"ProfileName": "batch-check", "TransformJobDefinition": transform_job(ctx)}],
        },
        "CertifyForMarketplace": True,
        "Tags": tags(),
        "MetadataProperties": {"CommitId": "abc123", "Repository": "https://example.com/repo.git",
                               "GeneratedBy": "pipeline", "ProjectId": "p-1"},
        "ModelMetrics": {"ModelQuality": {"Statistics": metrics_source()}},
        "ClientToken": f"cf-token-{s}",
        "Domain": "MACHINE_LEARNING",
        "Task": "REGRESSION",
        "SamplePayloadUrl": "s3://quickstart/sample/payload.tar.gz",
        "CustomerMetadataProperties": {"owner": "seller"},
        "DriftCheckBaselines": {"ModelQuality": {"Constraints": metrics_source()}},
        "SkipModelValidation": "None",
        "SourceUri": "s3://quickstart/source/model.tar.gz",
        "SecurityConfig": {"KmsKeyId": "alias/model-key"},
        "ModelCard": {"ModelCardContent": "{}", "ModelCardStatus": "Draft"},
        "ModelLifeCycle": {"Stage": "Development", "StageStatus": "InProgress", "StageDescription": "first cut"},
    }


def create_versioned_package(ctx, s) -> dict:
    return {
        "ModelPackageGroupName": "cf-versioned",
        "ModelPackageDescription": "a version",
        "InferenceSpecification": inference_spec(ctx),
        "ModelApprovalStatus": "PendingManualApproval",
        "AdditionalInferenceSpecifications": [
            {"Name": "gpu", "Description": "GPU variant", "Containers": [container(ctx)],
             "SupportedTransformInstanceTypes": ["ml.g4dn.xlarge"],
             "SupportedRealtimeInferenceInstanceTypes": ["ml.g4dn.xlarge"],
             "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]}
        ],
        "ModelPackageRegistrationType": "Registered",
    }


def create_from_algorithm(ctx, s) -> dict:
    return {
        "ModelPackageName": f"cf-from-alg-{s}",
        "SourceAlgorithmSpecification": {
            "SourceAlgorithms": [{"AlgorithmName": "cf-source-alg", "ModelDataUrl": "s3://quickstart/model/model.tar.gz"}]
        },
    }


def small_algorithm(name: str) -> dict:
    return {
        "AlgorithmName": name,
        "TrainingSpecification": {
            "TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1",
            "SupportedTrainingInstanceTypes": ["ml.m5.large"],
            "TrainingChannels": [{"Name": "train", "SupportedContentTypes": ["text/csv"], "SupportedInputModes": ["File"]}],
        },
    }


def small_package(ctx, name: str) -> dict:
    return {"ModelPackageName": name, "InferenceSpecification": {"Containers": [{"Image": image(ctx)}],
                                                                 "SupportedTransformInstanceTypes": ["ml.m5.large"],
                                                                 "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"]}}


T0 = "2020-01-01T00:00:00Z"
T1 = "2100-01-01T00:00:00Z"


def _arn(ctx, rest: str) -> str:
    return f"arn:aws:sagemaker:{ctx.region}:{ctx.account}:{rest}"


@dataclass
class Case:
    op: str
    build: Callable[[Ctx, str], dict]
    prepare: Callable[[Ctx, str], None] | None = None
    variant: str = ""
    only: set | None = None


def _prep_versioned_group(ctx, s):
    try:
        ctx.client.create_model_package_group(ModelPackageGroupName="cf-versioned")
    except ClientError as e:
        assert e.response["Error"]["Code"] == "ResourceInUse"


def _prep_source_alg(ctx, s):
    try:
        ctx.client.create_algorithm(**{**small_algorithm("cf-source-alg"), "InferenceSpecification": inference_spec(ctx)})
    except ClientError as e:
        assert e.response["Error"]["Code"] == "ResourceInUse"


CASES = [
    Case("CreateAlgorithm", create_algorithm),
    Case("CreateModelPackage", create_model_package),
    Case("CreateModelPackage", create_versioned_package, _prep_versioned_group, "versioned",
         {"ModelPackageGroupName", "ModelApprovalStatus", "AdditionalInferenceSpecifications",
          "ModelPackageRegistrationType"}),
    Case("CreateModelPackage", create_from_algorithm, _prep_source_alg, "from-algorithm", {"SourceAlgorithmSpecification"}),
    Case("DescribeModelPackage", lambda c, s: {"ModelPackageName": f"cf-dmp-{s}", "IncludedData": "AllData"},
         lambda c, s: c.client.create_model_package(**small_package(c, f"cf-dmp-{s}"))),
    Case("DescribeModelPackage", lambda c, s: {"ModelPackageName": f"cf-dmpg-{s}/1"},
         lambda c, s: (c.client.create_model_package_group(ModelPackageGroupName=f"cf-dmpg-{s}"),
                       c.client.create_model_package(ModelPackageGroupName=f"cf-dmpg-{s}",
                                                     InferenceSpecification=inference_spec(c))), "group-version"),
    Case("ListModelPackages", lambda c, s: {
        "CreationTimeAfter": T0, "CreationTimeBefore": T1, "MaxResults": 10, "NameContains": "cf",
        "ModelApprovalStatus": "Approved", "ModelPackageGroupName": "cf-versioned", "ModelPackageType": "Both",
        "SortBy": "Name", "SortOrder": "Descending"}, _prep_versioned_group),
    Case("UpdateModelPackage", lambda c, s: {
        "ModelPackageArn": _arn(c, f"model-package/cf-upd-{s}/1"), "ModelApprovalStatus": "Approved",
        "ApprovalDescription": "approved by conformance", "CustomerMetadataProperties": {"reviewer": "qa"},
        "CustomerMetadataPropertiesToRemove": ["stale"], "ClientToken": f"cf-upd-{s}",
        "SourceUri": "s3://quickstart/source/v2.tar.gz",
        "ModelLifeCycle": {"Stage": "Production", "StageStatus": "Approved", "StageDescription": "go"},
        "ModelCard": {"ModelCardContent": "{}", "ModelCardStatus": "Draft"},
        "AdditionalInferenceSpecificationsToAdd": [
            {"Name": "extra", "Containers": [container(c)], "SupportedContentTypes": ["text/csv"]}],
    }, lambda c, s: (c.client.create_model_package_group(ModelPackageGroupName=f"cf-upd-{s}"),
                     c.client.create_model_package(ModelPackageGroupName=f"cf-upd-{s}",
                                                   InferenceSpecification=inference_spec(c)))),
    Case("DeleteModelPackage", lambda c, s: {"ModelPackageName": f"cf-delmp-{s}"},
         lambda c, s: c.client.create_model_package(**small_package(c, f"cf-delmp-{s}"))),
    Case("CreateModelPackageGroup", lambda c, s: {
        "ModelPackageGroupName": f"cf-grp-{s}", "ModelPackageGroupDescription": "a group", "Tags": tags()}),
    Case("DescribeModelPackageGroup", lambda c, s: {"ModelPackageGroupName": f"cf-dgrp-{s}"},
         lambda c, s: c.client.create_model_package_group(ModelPackageGroupName=f"cf-dgrp-{s}")),
    Case("ListModelPackageGroups", lambda c, s: {
        "CreationTimeAfter": T0, "CreationTimeBefore": T1, "MaxResults": 10, "NameContains": "cf",
        "SortBy": "Name", "SortOrder": "Ascending", "CrossAccountFilterOption": "SameAccount"}),
    Case("DeleteModelPackageGroup", lambda c, s: {"ModelPackageGroupName": f"cf-delgrp-{s}"},
         lambda c, s: c.client.create_model_package_group(ModelPackageGroupName=f"cf-delgrp-{s}")),
    Case("DescribeAlgorithm", lambda c, s: {"AlgorithmName": _arn(c, f"algorithm/cf-dalg-{s}")},
         lambda c, s: c.client.create_algorithm(**small_algorithm(f"cf-dalg-{s}"))),
    Case("ListAlgorithms", lambda c, s: {
        "CreationTimeAfter": T0, "CreationTimeBefore": T1, "MaxResults": 10, "NameContains": "cf",
        "SortBy": "CreationTime", "SortOrder": "Descending"}),
    Case("DeleteAlgorithm", lambda c, s: {"AlgorithmName": f"cf-delalg-{s}"},
         lambda c, s: c.client.create_algorithm(**small_algorithm(f"cf-delalg-{s}"))),
    Case("AddTags", lambda c, s: {"ResourceArn": _arn(c, f"algorithm/cf-tag-{s}"), "Tags": tags()},
         lambda c, s: c.client.create_algorithm(**small_algorithm(f"cf-tag-{s}"))),
    Case("ListTags", lambda c, s: {"ResourceArn": _arn(c, f"algorithm/cf-ltag-{s}"), "MaxResults": 50},
         lambda c, s: c.client.create_algorithm(**small_algorithm(f"cf-ltag-{s}"))),
    Case("DeleteTags", lambda c, s: {"ResourceArn": _arn(c, f"algorithm/cf-dtag-{s}"), "TagKeys": ["team", "env"]},
         lambda c, s: c.client.create_algorithm(**{**small_algorithm(f"cf-dtag-{s}"), "Tags": tags()})),
    Case("CreateTrainingJob", lambda c, s: training_job_request(c, f"cf-tj-{s}")),
    Case("DescribeTrainingJob", lambda c, s: {"TrainingJobName": f"cf-dtj-{s}"},
         lambda c, s: c.client.create_training_job(**training_job_request(c, f"cf-dtj-{s}"))),
    Case("ListTrainingJobs", lambda c, s: {
        "CreationTimeAfter": T0, "CreationTimeBefore": T1, "LastModifiedTimeAfter": T0,
        "LastModifiedTimeBefore": T1, "MaxResults": 10, "NameContains": "cf", "StatusEquals": "Completed",
        "SortBy": "Status", "SortOrder": "Ascending"}),
    Case("StopTrainingJob", lambda c, s: {"TrainingJobName": f"cf-stj-{s}"},
         lambda c, s: c.client.create_training_job(**{
             k: v for k, v in training_job_request(c, f"cf-stj-{s}", ["/bin/sleep", "30"]).items()
             if k not in ("InputDataConfig", "CheckpointConfig")})),
]

assert {c.op for c in CASES} == set(OPS)

# -- generation (at collection time, against a placeholder account) -----------------------
_PLACEHOLDER = Ctx(account="111122223333")
MUTATIONS: list[tuple[Case, Mutation]] = []
SKIPPED: dict[str, list[str]] = {}
COUNTS: dict[str, int] = {op: 0 for op in OPS}
for _case in CASES:
    _muts, _skips = generate(_case.op, _case.build(_PLACEHOLDER, "0"), _case.variant, _case.only)
    MUTATIONS += [(_case, m) for m in _muts]
    SKIPPED.setdefault(_case.op, []).extend(_skips)
    COUNTS[_case.op] += len(_muts)

_counter = itertools.count(1)


def _suffix() -> str:
    return f"{next(_counter)}"


def _case_id(case: Case) -> str:
    return case.op + (f"-{case.variant}" if case.variant else "")


@pytest.fixture(scope="module")
def ctx(jobs_server):
    return Ctx(account=jobs_server.account_id, region=jobs_server.region, client=jobs_server.client())


@pytest.fixture(scope="module")
def raw_client(jobs_server):
    return jobs_server.client(validate=False)


def _call(client, op: str, params: dict):
    return client._make_api_call(op, params)


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_baseline_is_valid(ctx, raw_client, case):
    s = _suffix()
    params = case.build(ctx, s)
    # botocore's own validator accepts it (the baseline is a legal input) ...
    report = ParamValidator().validate(params, SERVICE.operation_model(case.op).input_shape)
    assert not report.has_errors(), report.generate_report()
    if case.prepare:
        case.prepare(ctx, s)
    # ... and so does the server
    resp = _call(raw_client, case.op, params)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200


VALIDATION_HEAD = re.compile(r"^(1 validation error detected|[2-9]\d* validation errors detected): ")


@pytest.mark.parametrize("case,mutation", MUTATIONS, ids=[m.test_id for _, m in MUTATIONS])
def test_constraint_violation(ctx, raw_client, case, mutation):
    params = mutation.apply(case.build(ctx, _suffix()))
    try:
        resp = _call(raw_client, case.op, params)
    except ParamValidationError as e:  # pragma: no cover - validation is off
        pytest.fail(f"client-side validation ran: {e}")
    except ClientError as e:
        err = e.response["Error"]
        msg = err.get("Message", "")
        assert err["Code"] == "ValidationException", f"{err['Code']}: {msg}"
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert VALIDATION_HEAD.match(msg), f"not an AWS constraint message: {msg[:500]}"
        assert re.search(mutation.expected_regex(), msg), (
            f"message does not name {mutation.wire_path!r}: {msg[:1500]}")
        assert mutation.phrase in msg, f"message lacks {mutation.phrase!r}: {msg[:1500]}"
        return
    pytest.fail(f"accepted: {case.op} with {mutation.kind} at {mutation.wire_path} "
                f"(value {str(mutation.value)[:120]!r}) -> {str(resp)[:300]}")


def test_mutation_counts():
    total = sum(COUNTS.values())
    print("\nconformance mutations per operation:", COUNTS, "total", total)
    print("skipped (pattern admits everything):", {k: len(v) for k, v in SKIPPED.items() if v})
    assert total >= 400, COUNTS
    for op in OPS:
        assert COUNTS[op] >= 1, f"no mutation generated for {op}"
    assert COUNTS["CreateAlgorithm"] >= 150 and COUNTS["CreateModelPackage"] >= 150, COUNTS
