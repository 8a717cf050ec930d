"""Validation end to end (docs/jobs.md "Validation"; docs/contracts.md §6): algorithms and model packages created
with a ValidationSpecification really run their jobs, and their status and
ValidationStatuses say what happened — including, for each failure class,
a reason a seller can act on without opening logs."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
from botocore.exceptions import ClientError

from e2e_helpers import TEST_ACCOUNT_ENV, error_of
from jobs_helpers import (
    ROLE, SAMPLE_IMAGE, containers_of, ensure_images, linear_rows, uniq,
)
from s3_helpers import new_bucket, s3 as s3_client


@pytest.fixture(scope="module", autouse=True)
def images():
    ensure_images()


@pytest.fixture(scope="module")
def sm(jobs_server):
    return jobs_server.client()


@pytest.fixture(scope="module")
def s3(jobs_server):
    return s3_client(jobs_server)


def seed(s3) -> str:
    b = new_bucket(s3, "val")
    s3.put_object(Bucket=b, Key="train/data.csv", Body=linear_rows(200))
    s3.put_object(Bucket=b, Key="batch/q.csv", Body=b"1,1\n2,-1\n0,0\n")
    return b


def training_definition(bucket: str, hyper: dict | None = None) -> dict:
    return {
        "TrainingInputMode": "File",
        "HyperParameters": hyper or {"epochs": "200"},
        "InputDataConfig": [{"ChannelName": "train", "ContentType": "text/csv",
                             "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/train/"}}}],
        "OutputDataConfig": {"S3OutputPath": f"s3://{bucket}/validation-output/"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
        "StoppingCondition": {"MaxRuntimeInSeconds": 300},
    }


def transform_definition(bucket: str, prefix: str = "batch/") -> dict:
    return {
        "MaxConcurrentTransforms": 2, "MaxPayloadInMB": 6, "BatchStrategy": "MultiRecord",
        "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/{prefix}"}},
                           "ContentType": "text/csv", "SplitType": "Line"},
        "TransformOutput": {"S3OutputPath": f"s3://{bucket}/validation-batch/", "Accept": "text/csv", "AssembleWith": "Line"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
    }


def algorithm(name: str, bucket: str, *, hyper=None, inference_env=None, transform=True,
              image: str = SAMPLE_IMAGE) -> dict:
    profile = {"ProfileName": "smoke", "TrainingJobDefinition": training_definition(bucket, hyper)}
    if transform:
        profile["TransformJobDefinition"] = transform_definition(bucket)
    container = {"Image": SAMPLE_IMAGE}
    if inference_env:
        container["Environment"] = inference_env
    return {
        "AlgorithmName": name,
        "TrainingSpecification": {
            "TrainingImage": image,
            "SupportedHyperParameters": [
                {"Name": "epochs", "Type": "Integer", "IsTunable": False, "IsRequired": False,
                 "Range": {"IntegerParameterRangeSpecification": {"MinValue": "1", "MaxValue": "5000"}}},
                {"Name": "mode", "Type": "Categorical", "IsTunable": False, "IsRequired": False,
                 "Range": {"CategoricalParameterRangeSpecification": {"Values": ["normal", "fail", "slow", "crash"]}}},
                {"Name": "seconds", "Type": "Integer", "IsTunable": False, "IsRequired": False,
                 "Range": {"IntegerParameterRangeSpecification": {"MinValue": "0", "MaxValue": "600"}}},
            ],
            "SupportedTrainingInstanceTypes": ["ml.m5.large"],
            "TrainingChannels": [{"Name": "train", "IsRequired": True, "SupportedContentTypes": ["text/csv"],
                                  "SupportedInputModes": ["File"]}],
            "MetricDefinitions": [{"Name": "train:mse", "Regex": r"^train:mse=([0-9.eE+-]+)"}],
        },
        "InferenceSpecification": {
            "Containers": [container],
            "SupportedTransformInstanceTypes": ["ml.m5.large"],
            "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"],
        },
        "ValidationSpecification": {"ValidationRole": ROLE, "ValidationProfiles": [profile]},
        "CertifyForMarketplace": True,
    }


def wait_resource(describe, key: str, timeout: float = 180) -> dict:
    deadline = time.time() + timeout
    while True:
        d = describe()
        if d[key] in ("Completed", "Failed"):
            return d
        assert time.time() < deadline, f"still {d[key]}"
        time.sleep(0.3)


def test_algorithm_validation_runs_training_then_transform(sm, s3):
    b = seed(s3)
    name = uniq("algo-ok")
    sm.create_algorithm(**algorithm(name, b))
    first = sm.describe_algorithm(AlgorithmName=name)
    assert first["AlgorithmStatus"] in ("Pending", "InProgress")
    d = wait_resource(lambda: sm.describe_algorithm(AlgorithmName=name), "AlgorithmStatus")
    assert d["AlgorithmStatus"] == "Completed", d["AlgorithmStatusDetails"]
    assert d["AlgorithmStatusDetails"]["ValidationStatuses"] == [{"Name": "smoke", "Status": "Completed"}]
    assert d["CertifyForMarketplace"] is True
    # The validation jobs are ordinary jobs of the account, network-isolated.
    jobs = sm.list_training_jobs(NameContains=name)["TrainingJobSummaries"]
    assert len(jobs) == 1 and jobs[0]["TrainingJobStatus"] == "Completed"
    tj = sm.describe_training_job(TrainingJobName=jobs[0]["TrainingJobName"])
    assert tj["EnableNetworkIsolation"] is True and tj["AlgorithmSpecification"]["AlgorithmName"] == d["AlgorithmArn"]
    tf = sm.list_transform_jobs(NameContains=name)["TransformJobSummaries"]
    assert len(tf) == 1 and tf[0]["TransformJobStatus"] == "Completed"
    out = s3.get_object(Bucket=b, Key="validation-batch/q.csv.out")["Body"].read().split()
    preds = [float(x) for x in out]
    assert abs(preds[0] - 2) < 0.05 and abs(preds[1] - 9) < 0.05 and abs(preds[2] - 1) < 0.05, preds
    # A validated algorithm trains for clients too.
    job = uniq("use-validated")
    sm.create_training_job(
        TrainingJobName=job, RoleArn=ROLE,
        AlgorithmSpecification={"AlgorithmName": name, "TrainingInputMode": "File"},
        InputDataConfig=training_definition(b)["InputDataConfig"],
        OutputDataConfig={"S3OutputPath": f"s3://{b}/client/"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1})


def test_model_package_validation_and_use_in_a_model(sm, s3):
    b = seed(s3)
    name = uniq("pkg-ok")
    sm.create_model_package(
        ModelPackageName=name,
        InferenceSpecification={"Containers": [{"Image": SAMPLE_IMAGE}],
                                "SupportedTransformInstanceTypes": ["ml.m5.large"],
                                "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
                                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
        ValidationSpecification={"ValidationRole": ROLE, "ValidationProfiles": [
            {"ProfileName": "batch-check", "TransformJobDefinition": transform_definition(b)}]},
        CertifyForMarketplace=True)
    d = wait_resource(lambda: sm.describe_model_package(ModelPackageName=name), "ModelPackageStatus")
    assert d["ModelPackageStatus"] == "Completed", d["ModelPackageStatusDetails"]
    assert d["ModelPackageStatusDetails"]["ValidationStatuses"] == [{"Name": "batch-check", "Status": "Completed"}]
    # The baked-in model answered: 0.5·x1 + 0.25·x2 + 10.
    out = s3.get_object(Bucket=b, Key="validation-batch/q.csv.out")["Body"].read().split()
    assert [float(x) for x in out] == [10.75, 10.75, 10.0]
    model = uniq("from-pkg")
    sm.create_model(ModelName=model, PrimaryContainer={"ModelPackageName": d["ModelPackageArn"]}, ExecutionRoleArn=ROLE)


def failed_reason(d: dict, details: str) -> str:
    statuses = d[details]["ValidationStatuses"]
    assert statuses[0]["Status"] == "Failed", statuses
    return statuses[0]["FailureReason"]


def test_training_failure_is_explained(sm, s3):
    b = seed(s3)
    name = uniq("algo-fail")
    sm.create_algorithm(**algorithm(name, b, hyper={"mode": "fail"}))
    d = wait_resource(lambda: sm.describe_algorithm(AlgorithmName=name), "AlgorithmStatus")
    assert d["AlgorithmStatus"] == "Failed"
    reason = failed_reason(d, "AlgorithmStatusDetails")
    assert reason.startswith("Profile 'smoke': step 1 of 2 (training): training job ") and " Failed: AlgorithmError: " in reason, reason
    assert "mode=fail" in reason


def test_inference_container_that_never_answers_ping(server_factory):
    ensure_images()
    srv = server_factory(env={**TEST_ACCOUNT_ENV, "SLIPWAY_JOB_READY_TIMEOUT_SECONDS": "3"}).start()
    sm, s3 = srv.client(), s3_client(srv)
    b = seed(s3)
    name = uniq("algo-noping")
    sm.create_algorithm(**algorithm(name, b, inference_env={"SAMPLE_MODE": "never-ready"}))
    d = wait_resource(lambda: sm.describe_algorithm(AlgorithmName=name), "AlgorithmStatus")
    reason = failed_reason(d, "AlgorithmStatusDetails")
    assert "step 2 of 2 (batch transform): transform job " in reason, reason
    assert "did not answer GET /ping with 200 within 3 s" in reason, reason


def test_invocation_errors_fail_a_model_package(sm, s3):
    b = seed(s3)
    name = uniq("pkg-500")
    sm.create_model_package(
        ModelPackageName=name,
        InferenceSpecification={"Containers": [{"Image": SAMPLE_IMAGE, "Environment": {"SAMPLE_MODE": "error500"}}],
                                "SupportedTransformInstanceTypes": ["ml.m5.large"],
                                "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
                                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
        ValidationSpecification={"ValidationRole": ROLE, "ValidationProfiles": [
            {"ProfileName": "batch-check", "TransformJobDefinition": transform_definition(b)}]})
    d = wait_resource(lambda: sm.describe_model_package(ModelPackageName=name), "ModelPackageStatus")
    assert d["ModelPackageStatus"] == "Failed"
    reason = failed_reason(d, "ModelPackageStatusDetails")
    assert "HTTP 500" in reason and f"s3://{b}/batch/q.csv" in reason, reason
    with pytest.raises(ClientError) as e:
        sm.create_model(ModelName=uniq("bad"), PrimaryContainer={"ModelPackageName": name}, ExecutionRoleArn=ROLE)
    assert "only a Completed model package" in error_of(e)[1]


def test_missing_data_is_a_client_error(sm, s3):
    b = seed(s3)
    name = uniq("algo-nodata")
    doc = algorithm(name, b)
    doc["ValidationSpecification"]["ValidationProfiles"][0]["TrainingJobDefinition"]["InputDataConfig"][0][
        "DataSource"]["S3DataSource"]["S3Uri"] = f"s3://{b}/empty/"
    sm.create_algorithm(**doc)
    d = wait_resource(lambda: sm.describe_algorithm(AlgorithmName=name), "AlgorithmStatus")
    reason = failed_reason(d, "AlgorithmStatusDetails")
    assert f"ClientError: Data download failed: no objects found under s3://{b}/empty/" in reason, reason


def test_unresolvable_image_is_refused_at_create(sm, s3):
    b = seed(s3)
    with pytest.raises(ClientError) as e:
        sm.create_algorithm(**algorithm(uniq("algo-noimage"), b, image="localhost/no-such-seller-image:9"))
    code, message, _ = error_of(e)
    assert code == "ValidationException"
    assert "TrainingSpecification.TrainingImage" in message and "localhost/no-such-seller-image:9" in message


def test_deleting_a_resource_under_validation_stops_its_jobs(sm, s3):
    b = seed(s3)
    name = uniq("algo-del")
    sm.create_algorithm(**algorithm(name, b, hyper={"mode": "slow", "seconds": "60"}))
    deadline = time.time() + 60
    while not sm.list_training_jobs(NameContains=name, StatusEquals="InProgress")["TrainingJobSummaries"]:
        assert time.time() < deadline
        time.sleep(0.3)
    job = sm.list_training_jobs(NameContains=name)["TrainingJobSummaries"][0]["TrainingJobName"]
    sm.delete_algorithm(AlgorithmName=name)
    deadline = time.time() + 60
    while sm.describe_training_job(TrainingJobName=job)["TrainingJobStatus"] != "Stopped":
        assert time.time() < deadline
        time.sleep(0.3)
    assert containers_of(sm.describe_training_job(TrainingJobName=job)["TrainingJobArn"]) == []


def test_validation_survives_a_server_kill(server_factory):
    ensure_images()
    srv = server_factory(env=dict(TEST_ACCOUNT_ENV)).start()
    sm, s3 = srv.client(), s3_client(srv)
    b = seed(s3)
    name = uniq("algo-restart")
    sm.create_algorithm(**algorithm(name, b, hyper={"mode": "slow", "seconds": "4"}))
    deadline = time.time() + 60
    while not sm.list_training_jobs(NameContains=name, StatusEquals="InProgress")["TrainingJobSummaries"]:
        assert time.time() < deadline
        time.sleep(0.2)
    os.killpg(srv.proc.pid, signal.SIGKILL)
    srv.proc.wait()
    srv.start()
    sm = srv.client()
    d = wait_resource(lambda: sm.describe_algorithm(AlgorithmName=name), "AlgorithmStatus")
    assert d["AlgorithmStatus"] == "Completed", d["AlgorithmStatusDetails"]
    # Resumed, not repeated: still one training job.
    assert len(sm.list_training_jobs(NameContains=name)["TrainingJobSummaries"]) == 1


def test_validation_with_images_from_the_registry_by_ecr_uri(jobs_server, sm, s3, tmp_path):
    """The seed's flow: the seller pushes to the (ECR-compatible) registry
    and names the image by ECR URI; the validation pulls it from there with
    the account's credentials."""
    from registry_helpers import push_to_ecr
    repo = uniq("seller")
    ecr = jobs_server.client(service="ecr")
    ecr.create_repository(repositoryName=repo)
    uri = push_to_ecr(jobs_server, SAMPLE_IMAGE, repo, tmp_path)
    b = seed(s3)
    name = uniq("algo-ecr")
    doc = algorithm(name, b, image=uri)
    doc["InferenceSpecification"]["Containers"][0]["Image"] = uri
    sm.create_algorithm(**doc)
    d = wait_resource(lambda: sm.describe_algorithm(AlgorithmName=name), "AlgorithmStatus")
    assert d["AlgorithmStatus"] == "Completed", d["AlgorithmStatusDetails"]
    # An ECR URI of a tag that was never pushed is refused at create time.
    with pytest.raises(ClientError) as e:
        sm.create_algorithm(**algorithm(uniq("algo-ecr-missing"), b, image=uri.replace(":v1", ":v9")))
    assert "TrainingSpecification.TrainingImage" in error_of(e)[1]


def test_aws_cli_flow_from_the_examples(jobs_server, s3, tmp_path):
    """The repository's example request, sent with the real AWS CLI
    (`--cli-input-json`), validated end to end."""
    from e2e_helpers import EXAMPLES
    b = seed(s3)
    text = (EXAMPLES / "create-algorithm.json").read_text()
    text = text.replace("ACCOUNT.dkr.ecr.us-east-1.amazonaws.com/slipway-sample:latest", SAMPLE_IMAGE)
    text = text.replace("ACCOUNT", jobs_server.account_id).replace("s3://quickstart/", f"s3://{b}/")
    name = uniq("cli-algo")
    doc = json.loads(text)
    doc["AlgorithmName"] = name
    path = tmp_path / "algo.json"
    path.write_text(json.dumps(doc))
    arn = jobs_server.cli("sagemaker", "create-algorithm", "--cli-input-json", f"file://{path}").json["AlgorithmArn"]
    deadline = time.time() + 180
    while True:
        d = jobs_server.cli("sagemaker", "describe-algorithm", "--algorithm-name", arn).json
        if d["AlgorithmStatus"] in ("Completed", "Failed") or time.time() > deadline:
            break
        time.sleep(0.5)
    assert d["AlgorithmStatus"] == "Completed", d["AlgorithmStatusDetails"]
    jobs = jobs_server.cli("sagemaker", "list-training-jobs", "--name-contains", name).json["TrainingJobSummaries"]
    assert [j["TrainingJobStatus"] for j in jobs] == ["Completed"]
