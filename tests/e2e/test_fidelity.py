"""Fidelity with what AWS's own notebooks and the SageMaker SDKs do
(docs/fidelity.md): S3 prefixes without a trailing slash, model packages
built from an algorithm, register(), JSONPath unions in DataProcessing,
versioned packages registered before their containers are known, and a
transform container that dies before /ping."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from jobs_helpers import (
    ROLE, SAMPLE_IMAGE, channel, ensure_images, read_tar, shell_job, uniq, wait_for,
)
from s3_helpers import new_bucket, s3 as s3_client
from test_transform import make_model, outputs, transform, wait_transform
from test_validation import algorithm


@pytest.fixture(scope="module", autouse=True)
def images():
    ensure_images()


@pytest.fixture(scope="module")
def sm(jobs_server):
    return jobs_server.client()


@pytest.fixture(scope="module")
def s3(jobs_server):
    return s3_client(jobs_server)


@pytest.fixture(scope="module")
def bucket(s3):
    return new_bucket(s3, "fidelity")


# --- S3 prefixes that name a folder without its trailing slash ------------

def test_training_channel_prefix_without_slash_lands_at_the_channel_root(sm, s3, bucket):
    """`Session.upload_data()` returns `s3://b/prefix/training-input-data`;
    the file under it must be at /opt/ml/input/data/training/iris.csv."""
    base = f"{uniq('p')}/training-input-data"
    s3.put_object(Bucket=bucket, Key=f"{base}/iris.csv", Body=b"1,2\n")
    s3.put_object(Bucket=bucket, Key=f"{base}/deep/more.csv", Body=b"3,4\n")
    # A sibling whose name merely starts with the prefix keeps its name.
    s3.put_object(Bucket=bucket, Key=f"{base}-extra.csv", Body=b"5,6\n")
    name = uniq("prefix")
    script = "set -e; (cd /opt/ml/input/data && find . -type f | sort) > /opt/ml/model/files.txt"
    req = shell_job(s3, name, bucket, script, [channel("training", f"s3://{bucket}/{base}")])
    sm.create_training_job(**req)
    d = wait_for(sm, name)
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    files = read_tar(s3, d["ModelArtifacts"]["S3ModelArtifacts"])["files.txt"].decode().split()
    training = [f for f in files if f.startswith("./training/")]
    assert training == ["./training/deep/more.csv", "./training/iris.csv",
                        "./training/training-input-data-extra.csv"], files


def test_transform_output_of_a_prefix_without_slash_is_directly_under_the_output(sm, s3, bucket):
    base = f"{uniq('x')}/DEMO"
    s3.put_object(Bucket=bucket, Key=f"{base}/iris.csv", Body=b"1,1\n2,2\n")
    s3.put_object(Bucket=bucket, Key=f"{base}/sub/b.csv", Body=b"3,3\n")
    model = make_model(sm, {"SAMPLE_MODE": "echo"})
    name, out = transform(sm, model, bucket, base, split="Line", content_type="text/csv")
    d = wait_transform(sm, name)
    assert d["TransformJobStatus"] == "Completed", d.get("FailureReason")
    assert sorted(outputs(s3, out)) == ["iris.csv.out", "sub/b.csv.out"]


def test_manifest_prefix_without_slash_follows_the_same_rule(sm, s3, bucket):
    base = f"{uniq('m')}/DEMO"
    s3.put_object(Bucket=bucket, Key=f"{base}/a.csv", Body=b"1\n")
    manifest = json.dumps([{"prefix": f"s3://{bucket}/{base}"}, "/a.csv"])
    key = f"{uniq('manifest')}.json"
    s3.put_object(Bucket=bucket, Key=key, Body=manifest.encode())
    model = make_model(sm, {"SAMPLE_MODE": "echo"})
    name, out = transform(sm, model, bucket, "", data_type="ManifestFile", uri=f"s3://{bucket}/{key}",
                          split="Line", content_type="text/csv")
    d = wait_transform(sm, name)
    assert d["TransformJobStatus"] == "Completed", d.get("FailureReason")
    assert list(outputs(s3, out)) == ["a.csv.out"]


# --- DataProcessing: the JSONPath AWS documents ------------------------------

def test_output_filter_union_of_index_and_slice_from_the_aws_reference(sm, s3, bucket):
    """`$[0,5:]` is the OutputFilter example of AWS's DataProcessing page."""
    prefix = f"{uniq('union')}/"
    s3.put_object(Bucket=bucket, Key=f"{prefix}rows.csv", Body=b"id1,a,b,c,d,e\nid2,f,g,h,i,j\n")
    model = make_model(sm, {"SAMPLE_MODE": "echo"})
    name, out = transform(sm, model, bucket, prefix, split="Line", content_type="text/csv", accept="text/csv",
                          assemble="Line",
                          data_processing={"InputFilter": "$[1:]", "JoinSource": "Input",
                                           "OutputFilter": "$[0,5:]"})
    d = wait_transform(sm, name)
    assert d["TransformJobStatus"] == "Completed", d.get("FailureReason")
    # Joined: id, a..e, then the echoed a..e; kept: id and columns 5 onwards.
    assert outputs(s3, out)["rows.csv.out"] == b"id1,e,a,b,c,d,e\nid2,j,f,g,h,i,j\n"


def test_unsupported_jsonpath_is_still_refused_naming_the_member(sm, bucket):
    model = make_model(sm, {"SAMPLE_MODE": "echo"})
    with pytest.raises(ClientError) as e:
        transform(sm, model, bucket, "none/", split="Line", content_type="text/csv",
                  data_processing={"InputFilter": "$..a"})
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert "DataProcessing.InputFilter" in e.value.response["Error"]["Message"]


# --- A transform container that dies before /ping ----------------------------

def test_container_dying_at_start_is_quoted_in_every_failure_reason(sm, s3, bucket):
    """The reason waits for the container's last output: each of several
    runs quotes what it printed before it died (it raced before)."""
    prefix = f"{uniq('dies')}/"
    s3.put_object(Bucket=bucket, Key=f"{prefix}a.csv", Body=b"1,1\n")
    model = make_model(sm, {"SAMPLE_MODE": "no-such-mode"})
    names = [transform(sm, model, bucket, prefix, split="Line", content_type="text/csv")[0] for _ in range(4)]
    for name in names:
        d = wait_transform(sm, name, timeout=180)
        assert d["TransformJobStatus"] == "Failed"
        reason = d["FailureReason"]
        assert "before answering GET /ping" in reason, reason
        assert "unknown SAMPLE_MODE" in reason, reason


# --- Model packages ---------------------------------------------------------

def test_model_package_from_an_algorithm_describes_its_inference_specification(jobs_server, sm):
    """What the SDK's AlgorithmEstimator.transformer()/deploy() read."""
    algo = uniq("algo")
    req = algorithm(algo, "unused-bucket")
    req.pop("ValidationSpecification")
    req.pop("CertifyForMarketplace")
    sm.create_algorithm(**req)
    pkg = uniq("pkg")
    data = "s3://some-bucket/job/output/model.tar.gz"
    sm.create_model_package(ModelPackageName=pkg, SourceAlgorithmSpecification={
        "SourceAlgorithms": [{"AlgorithmName": algo, "ModelDataUrl": data}]})
    d = sm.describe_model_package(ModelPackageName=pkg)
    spec = d["InferenceSpecification"]
    assert spec["Containers"][0]["Image"] == SAMPLE_IMAGE
    assert spec["Containers"][0]["ModelDataUrl"] == data
    assert spec["SupportedTransformInstanceTypes"] == ["ml.m5.large"]
    assert spec["SupportedRealtimeInferenceInstanceTypes"] == ["ml.m5.large"]
    assert spec["SupportedContentTypes"] == ["text/csv"]
    assert d["SourceAlgorithmSpecification"]["SourceAlgorithms"][0]["AlgorithmName"] == algo


def _inference(image: str = SAMPLE_IMAGE) -> dict:
    return {"Containers": [{"Image": image}], "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
            "SupportedTransformInstanceTypes": ["ml.m5.large"],
            "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"]}


def test_register_parameters_the_sdks_always_send_are_accepted(sm):
    """Both SDKs' register() send CertifyForMarketplace=false and a
    ModelApprovalStatus, for versioned and unversioned packages alike."""
    group = uniq("group")
    sm.create_model_package_group(ModelPackageGroupName=group)
    arn = sm.create_model_package(ModelPackageGroupName=group, InferenceSpecification=_inference(),
                                  CertifyForMarketplace=False, ModelApprovalStatus="Approved",
                                  SkipModelValidation="None")["ModelPackageArn"]
    d = sm.describe_model_package(ModelPackageName=arn)
    assert d["ModelApprovalStatus"] == "Approved" and d["ModelPackageVersion"] == 1
    name = uniq("unversioned")
    sm.create_model_package(ModelPackageName=name, InferenceSpecification=_inference(),
                            CertifyForMarketplace=False, ModelApprovalStatus="PendingManualApproval")
    assert sm.describe_model_package(ModelPackageName=name)["ModelPackageStatus"] == "Completed"
    # Certifying a version for the Marketplace is still refused.
    with pytest.raises(ClientError) as e:
        sm.create_model_package(ModelPackageGroupName=group, InferenceSpecification=_inference(),
                                CertifyForMarketplace=True)
    assert "CertifyForMarketplace" in e.value.response["Error"]["Message"]


def test_sdk_v2_model_register_into_a_group_and_unversioned(jobs_server, sm):
    import boto3
    import sagemaker
    from sagemaker.model import Model

    session = sagemaker.Session(
        boto_session=boto3.Session(aws_access_key_id=jobs_server.access_key,
                                   aws_secret_access_key=jobs_server.secret_key,
                                   region_name=jobs_server.region),
        sagemaker_client=sm, default_bucket=uniq("sdk-register"))
    model = Model(image_uri=SAMPLE_IMAGE, role=ROLE, sagemaker_session=session)
    group = uniq("sdkgroup")
    pkg = model.register(content_types=["text/csv"], response_types=["text/csv"],
                         inference_instances=["ml.m5.large"], transform_instances=["ml.m5.large"],
                         model_package_group_name=group, approval_status="Approved")
    d = sm.describe_model_package(ModelPackageName=pkg.model_package_arn)
    assert d["ModelPackageGroupName"] == group and d["ModelApprovalStatus"] == "Approved"
    name = uniq("sdkpkg")
    pkg = model.register(content_types=["text/csv"], response_types=["text/csv"],
                         inference_instances=["ml.m5.large"], transform_instances=["ml.m5.large"],
                         model_package_name=name)
    assert sm.describe_model_package(ModelPackageName=name)["ModelPackageName"] == name


def test_versioned_package_without_inference_gets_it_later(sm):
    group = uniq("later")
    sm.create_model_package_group(ModelPackageGroupName=group)
    arn = sm.create_model_package(ModelPackageGroupName=group,
                                  ModelPackageDescription="containers come later")["ModelPackageArn"]
    assert "InferenceSpecification" not in sm.describe_model_package(ModelPackageName=arn)
    sm.update_model_package(ModelPackageArn=arn, InferenceSpecification=_inference())
    d = sm.describe_model_package(ModelPackageName=arn)
    assert d["InferenceSpecification"]["Containers"][0]["Image"] == SAMPLE_IMAGE
    # An unversioned package still needs one, and so does a validated version.
    with pytest.raises(ClientError) as e:
        sm.create_model_package(ModelPackageName=uniq("none"))
    assert "InferenceSpecification" in e.value.response["Error"]["Message"]



# --- DeleteTrainingJob (sagemaker-core's TrainingJob.delete()) --------------

def test_delete_training_job_only_once_it_has_ended(sm, s3, bucket):
    name = uniq("del")
    sm.create_training_job(**shell_job(s3, name, bucket, "trap 'exit 0' TERM; sleep 300 & wait"))
    with pytest.raises(ClientError) as e:
        sm.delete_training_job(TrainingJobName=name)
    assert e.value.response["Error"]["Code"] == "ResourceInUse", e.value.response
    sm.stop_training_job(TrainingJobName=name)
    assert wait_for(sm, name, timeout=180)["TrainingJobStatus"] == "Stopped"
    sm.delete_training_job(TrainingJobName=name)
    with pytest.raises(ClientError) as e:
        sm.describe_training_job(TrainingJobName=name)
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert name not in [j["TrainingJobName"] for j in sm.list_training_jobs(NameContains=name)["TrainingJobSummaries"]]
    with pytest.raises(ClientError) as e:
        sm.delete_training_job(TrainingJobName=name)
    assert e.value.response["Error"]["Code"] == "ValidationException"
