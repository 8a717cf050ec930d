"""The web console's seller flows (docs/console.md): a model package and an
algorithm created entirely in the browser, from an image pushed to the
server's own registry and data in its own S3, validated to Completed; a
broken model package's FailureReason on its page; API validation errors at
the field they concern; the JSON editor's checks and completion.

Data is prepared with boto3 and the image pushed with podman, as a seller
does; everything the tests assert is what the browser shows, then checked
against the API."""

from __future__ import annotations

import shutil
import time

import pytest

from console_helpers import run_scenario
from jobs_helpers import ROLE, SAMPLE_IMAGE, ensure_images, linear_rows, model_tar, uniq
from registry_helpers import push_to_ecr, run
from s3_helpers import new_bucket, s3 as s3_client

pytestmark = pytest.mark.skipif(shutil.which("podman") is None, reason="podman is needed (scripts/setup.sh)")


@pytest.fixture(scope="module", autouse=True)
def images():
    ensure_images()


@pytest.fixture(scope="module")
def sm(jobs_server):
    return jobs_server.client()


@pytest.fixture(scope="module")
def repo(jobs_server, tmp_path_factory) -> str:
    """The sample image pushed to the server's registry (`aws ecr
    get-login-password | podman login`, push), as repository REPO:latest."""
    name = uniq("console-sample")
    jobs_server.client(service="ecr").create_repository(repositoryName=name)
    push_to_ecr(jobs_server, SAMPLE_IMAGE, name, tmp_path_factory.mktemp("registry-auth"), tag="latest")
    return name


@pytest.fixture(scope="module")
def bucket(jobs_server) -> str:
    """A seller's bucket: training data, test data for batch transform and a model."""
    s3 = s3_client(jobs_server)
    b = new_bucket(s3, "console")
    s3.put_object(Bucket=b, Key="train/data.csv", Body=linear_rows(200))
    s3.put_object(Bucket=b, Key="batch/q.csv", Body=b"1,1\n2,-1\n0,0\n")
    s3.put_object(Bucket=b, Key="model/model.tar.gz", Body=model_tar([3.0, -2.0], 1.0))
    return b


def ecr_uri(server, repo: str, tag: str = "latest") -> str:
    return f"{server.account_id}.dkr.ecr.{server.region}.amazonaws.com/{repo}:{tag}"


def test_model_package_created_in_the_console_validates_to_completed(jobs_server, sm, repo, bucket):
    name = uniq("console-mp")
    figures = run_scenario("model_package_create", jobs_server, NAME=name, REPO=repo, BUCKET=bucket)
    d = sm.describe_model_package(ModelPackageName=name)
    assert d["ModelPackageStatus"] == "Completed", d["ModelPackageStatusDetails"]
    container = d["InferenceSpecification"]["Containers"][0]
    # Chosen with the pickers: the registry's URI and the S3 object.
    assert container["Image"] == ecr_uri(jobs_server, repo)
    assert container["ModelDataUrl"] == f"s3://{bucket}/model/model.tar.gz"
    profile = d["ValidationSpecification"]["ValidationProfiles"][0]
    source = profile["TransformJobDefinition"]["TransformInput"]["DataSource"]["S3DataSource"]
    assert source["S3Uri"] == f"s3://{bucket}/batch/"
    assert d["CertifyForMarketplace"] is True
    # The job the page linked to is the validation's own.
    assert figures["transformJob"] in {j["TransformJobName"] for j in sm.list_transform_jobs(
        NameContains=name)["TransformJobSummaries"]}


def test_algorithm_created_in_the_console_validates_to_completed(jobs_server, sm, repo, bucket):
    name = uniq("console-algo")
    figures = run_scenario("algorithm_create", jobs_server, NAME=name, REPO=repo, BUCKET=bucket)
    d = sm.describe_algorithm(AlgorithmName=name)
    assert d["AlgorithmStatus"] == "Completed", d["AlgorithmStatusDetails"]
    t = d["TrainingSpecification"]
    assert t["TrainingImage"] == ecr_uri(jobs_server, repo)
    assert d["InferenceSpecification"]["Containers"][0]["Image"] == ecr_uri(jobs_server, repo)
    assert [c["Name"] for c in t["TrainingChannels"]] == ["train"]
    [epochs] = t["SupportedHyperParameters"]
    assert epochs["Name"] == "epochs" and epochs["Type"] == "Integer" and epochs["IsTunable"] is True
    assert epochs["Range"]["IntegerParameterRangeSpecification"] == {"MinValue": "1", "MaxValue": "1000"}
    assert t["MetricDefinitions"] == [{"Name": "train:mse", "Regex": "train:mse=([0-9.eE+-]+)"}]
    assert t["SupportedTuningJobObjectiveMetrics"] == [{"Type": "Minimize", "MetricName": "train:mse"}]
    jobs = {j["TrainingJobName"] for j in sm.list_training_jobs(NameContains=name)["TrainingJobSummaries"]}
    assert figures["trainingJob"] in jobs


def wait_status(describe, key: str, timeout: float = 180) -> dict:
    deadline = time.time() + timeout
    while True:
        d = describe()
        if d[key] in ("Completed", "Failed"):
            return d
        assert time.time() < deadline, f"still {d[key]}"
        time.sleep(0.5)


def test_a_failed_model_package_shows_why_on_its_page(jobs_server, sm, repo, bucket):
    """The sample answers 415 to a content type it does not serve: the
    validation's transform job fails, and the page says so first thing."""
    name = uniq("console-broken")
    sm.create_model_package(
        ModelPackageName=name,
        InferenceSpecification={
            "Containers": [{"Image": ecr_uri(jobs_server, repo), "ModelDataUrl": f"s3://{bucket}/model/model.tar.gz"}],
            "SupportedTransformInstanceTypes": ["ml.m5.large"],
            "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
            "SupportedContentTypes": ["application/x-unheard-of"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        ValidationSpecification={"ValidationRole": ROLE, "ValidationProfiles": [{
            "ProfileName": "wrong-type",
            "TransformJobDefinition": {
                "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/batch/"}},
                                   "ContentType": "application/x-unheard-of", "SplitType": "Line"},
                "TransformOutput": {"S3OutputPath": f"s3://{bucket}/broken-output/"},
                "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
            },
        }]},
        CertifyForMarketplace=True,
    )
    d = wait_status(lambda: sm.describe_model_package(ModelPackageName=name), "ModelPackageStatus")
    assert d["ModelPackageStatus"] == "Failed"
    [status] = d["ModelPackageStatusDetails"]["ValidationStatuses"]
    assert status["Status"] == "Failed" and "415" in status["FailureReason"], status
    run_scenario("model_package_failed", jobs_server, NAME=name, REASON=status["FailureReason"])


def test_errors_are_shown_at_their_field_and_the_editor_checks_as_you_type(jobs_server, repo, bucket):
    run_scenario("model_package_errors", jobs_server, NAME=uniq("console-err"), BUCKET=bucket,
                 MISSING_IMAGE=ecr_uri(jobs_server, repo, "never-pushed"))


def test_model_package_groups_list_their_versions_and_delete(jobs_server, sm):
    group = uniq("console-group")
    sm.create_model_package_group(ModelPackageGroupName=group, ModelPackageGroupDescription="for the console")
    for _ in range(2):
        sm.create_model_package(ModelPackageGroupName=group, InferenceSpecification={
            "Containers": [{"Image": SAMPLE_IMAGE}], "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"]})
    run_scenario("model_package_groups", jobs_server, GROUP=group)
    # The scenario deleted version 2, then tried the group (refused: it
    # still holds version 1).
    versions = sm.list_model_packages(ModelPackageGroupName=group)["ModelPackageSummaryList"]
    assert [v["ModelPackageVersion"] for v in versions] == [1]
