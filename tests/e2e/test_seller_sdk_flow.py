"""AWS's own seller flows, run unmodified against Slipway with a seller
container built like AWS's `scikit_bring_your_own` sample
(`samples/scikit-byo`: Python, scikit-learn decision tree, nginx in front
of gunicorn + Flask, `train`/`serve` on PATH, no ENTRYPOINT).

- The `scikit_bring_your_own` notebook: `Estimator(image).fit(prefix)` on
  the prefix `Session.upload_data()` returns (no trailing slash), then
  `.transformer(...).transform(prefix, input_filter="$[1:]")` on the
  labelled training data, and `OUTPUT/iris.csv.out` read back.
- The marketplace notebook "Creating Algorithm and Model Package":
  CreateAlgorithm with a validation profile on those prefixes, waiting for
  Completed; `AlgorithmEstimator(...).fit({"training": ...})` then
  `.transformer(...).transform(...)`; CreateModelPackage from the
  algorithm (`SourceAlgorithmSpecification`) with a validation profile.

The SDK (v2, in-process) is configured only as a user would: the
environment block `slipway serve` prints (AWS_ENDPOINT_URL), a boto3
session with the account's keys, a `sagemaker.Session` with a default
bucket. The image is pushed to Slipway's registry and named by its ECR URI,
as both notebooks do.

Jobs are waited on with `logs=False` (a describe every 5 s): the SDK's
log loop describes a job every 30 s at most, which would add ~40 s per job
(test_training_sdk.py covers `logs=True`).
"""

from __future__ import annotations

import csv
import json
import shutil
import time
import warnings
import pytest

from e2e_helpers import REPO, uniq
from jobs_helpers import split_uri
from registry_helpers import push_to_ecr, run
from s3_helpers import new_bucket, s3 as s3_client

IMAGE = "localhost/slipway-scikit-byo:latest"
SAMPLE = REPO / "samples" / "scikit-byo"
IRIS = SAMPLE / "data" / "iris.csv"
INSTANCE = "ml.m5.large"
SDK_CONFIG = {"SchemaVersion": "1.0",
              "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}}}


@pytest.fixture(scope="module")
def role(jobs_server) -> str:
    """The execution / validation role every request names. One place to
    switch to a role created through IAM once Slipway checks roles."""
    return f"arn:aws:iam::{jobs_server.account_id}:role/SlipwayTests"


@pytest.fixture(scope="module")
def built_image() -> str:
    """samples/scikit-byo/build.sh's image (scripts/test.sh builds it first;
    a re-run is a no-op when the image is up to date)."""
    run(str(SAMPLE / "build.sh"), timeout=3600)
    return IMAGE


@pytest.fixture(scope="module")
def image_uri(jobs_server, built_image, tmp_path_factory) -> str:
    """The image pushed to Slipway's registry the way the notebooks push to
    ECR (`aws ecr get-login-password | podman login`, push), named by its
    ECR URI."""
    repo = uniq("decision-trees-sample")
    jobs_server.client(service="ecr").create_repository(repositoryName=repo)
    return push_to_ecr(jobs_server, built_image, repo, tmp_path_factory.mktemp("registry-auth"),
                       tag="latest", timeout=900)


@pytest.fixture(scope="module")
def sess(jobs_server):
    """A SageMaker SDK session set up as the README tells a user: the
    printed AWS_ENDPOINT_URL in the environment, the printed keys in a
    boto3 session, a default bucket."""
    import boto3
    import sagemaker

    warnings.filterwarnings("ignore", module="sagemaker")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ENDPOINT_URL", jobs_server.endpoint)
        boto_session = boto3.Session(aws_access_key_id=jobs_server.access_key,
                                     aws_secret_access_key=jobs_server.secret_key,
                                     region_name=jobs_server.region)
        bucket = new_bucket(s3_client(jobs_server), "seller")
        yield sagemaker.Session(boto_session=boto_session, default_bucket=bucket,
                                sagemaker_config=SDK_CONFIG)


@pytest.fixture(scope="module")
def data(sess, tmp_path_factory) -> dict[str, str]:
    """The notebooks' uploads: iris with its label column under
    `<prefix>/training-input-data`, iris without it under
    `<prefix>/batch-inference-input-data`. `upload_data` of a directory
    returns the prefix without a trailing slash, and that is what is used."""
    root = tmp_path_factory.mktemp("iris")
    (root / "training").mkdir()
    (root / "transform").mkdir()
    shutil.copy(IRIS, root / "training" / "iris.csv")
    with open(root / "transform" / "batchtransform_test.csv", "w", newline="") as f:
        csv.writer(f).writerows(row[1:] for row in iris_rows())
    prefix = uniq("DEMO-scikit-byo-iris")
    training = sess.upload_data(str(root / "training"), key_prefix=f"{prefix}/training-input-data")
    batch = sess.upload_data(str(root / "transform"), key_prefix=f"{prefix}/batch-inference-input-data")
    assert not training.endswith("/") and not batch.endswith("/"), (training, batch)
    return {"prefix": prefix, "training": training, "batch": batch}


def iris_rows() -> list[list[str]]:
    with open(IRIS, newline="") as f:
        return [row for row in csv.reader(f) if row]


def read_s3(sess, uri: str) -> str:
    bucket, key = split_uri(uri)
    try:
        body = sess.boto_session.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    except Exception as e:  # say what *is* there: the usual mistake is a folder too deep
        parent = key.rsplit("/", 1)[0] + "/"
        found = sess.boto_session.client("s3").list_objects_v2(Bucket=bucket, Prefix=parent).get("Contents", [])
        raise AssertionError(f"cannot read {uri} ({e}); under s3://{bucket}/{parent}: "
                             f"{[o['Key'] for o in found]}") from e
    return body.decode()


def assert_sensible(predictions: str, labels: list[str]) -> None:
    got = [line.strip() for line in predictions.splitlines() if line.strip()]
    assert len(got) == len(labels), f"{len(got)} predictions for {len(labels)} records:\n{predictions[:500]}"
    right = sum(g == want for g, want in zip(got, labels))
    assert right >= 0.9 * len(labels), f"only {right}/{len(labels)} right: {got[:10]}…"


def wait_status(describe, key: str, timeout: float = 240) -> dict:
    """The notebooks' loop: describe until Completed or Failed."""
    deadline = time.time() + timeout
    while True:
        d = describe()
        if d[key] in ("Completed", "Failed"):
            return d
        assert time.time() < deadline, f"still {d[key]} after {timeout}s"
        time.sleep(1)


def test_the_image_is_built_like_the_aws_sample(built_image):
    """No ENTRYPOINT; `train` and `serve` are found on PATH in /opt/program,
    next to Debian's nginx and gunicorn."""
    cfg = json.loads(run("podman", "image", "inspect", built_image).stdout)[0]["Config"]
    assert not cfg.get("Entrypoint"), cfg
    assert any(e.startswith("PATH=/opt/program:") for e in cfg["Env"]), cfg["Env"]
    out = run("podman", "run", "--rm", "--network", "none", built_image, "sh", "-c",
              "for p in train serve nginx gunicorn; do command -v $p; done").stdout.split()
    assert out == ["/opt/program/train", "/opt/program/serve", "/usr/sbin/nginx", "/usr/bin/gunicorn"], out


def test_estimator_fit_and_transform_on_prefixes_without_slash(sess, data, image_uri, role):
    """scikit_bring_your_own: fit on `upload_data()`'s prefix, batch
    transform of the labelled data with `input_filter="$[1:]"`, output read
    from OUTPUT/iris.csv.out."""
    from sagemaker.estimator import Estimator

    est = Estimator(image_uri=image_uri, role=role, instance_count=1, instance_type=INSTANCE,
                    output_path=f"s3://{sess.default_bucket()}/{data['prefix']}/output",
                    hyperparameters={"max_leaf_nodes": 5}, sagemaker_session=sess)
    est.fit(data["training"], logs=False)
    desc = sess.sagemaker_client.describe_training_job(TrainingJobName=est.latest_training_job.name)
    assert desc["TrainingJobStatus"] == "Completed", desc.get("FailureReason")
    assert desc["HyperParameters"]["max_leaf_nodes"] == "5"

    out = f"s3://{sess.default_bucket()}/{data['prefix']}/estimator-transform-output"
    t = est.transformer(1, INSTANCE, output_path=out, assemble_with="Line", accept="text/csv")
    t.transform(data=data["training"], content_type="text/csv", split_type="Line", input_filter="$[1:]",
                logs=False)
    assert_sensible(read_s3(sess, f"{out}/iris.csv.out"), [row[0] for row in iris_rows()])


@pytest.fixture(scope="module")
def algorithm(sess, data, image_uri, role) -> str:
    """The marketplace notebook's CreateAlgorithm (its training, inference and
    validation specification templates), waited on until Completed."""
    name = uniq("scikit-decision-trees")
    bucket = sess.default_bucket()
    out = f"s3://{bucket}/{data['prefix']}"
    sess.sagemaker_client.create_algorithm(
        AlgorithmName=name,
        AlgorithmDescription="Decision trees using Scikit",
        CertifyForMarketplace=True,
        TrainingSpecification={
            "TrainingImage": image_uri,
            "SupportedHyperParameters": [{
                "Name": "max_leaf_nodes", "Description": "Grow a tree with max_leaf_nodes in best-first fashion.",
                "Type": "Integer", "Range": {"IntegerParameterRangeSpecification": {"MinValue": "1", "MaxValue": "100000"}},
                "IsTunable": True, "IsRequired": False, "DefaultValue": "100"}],
            "SupportedTrainingInstanceTypes": [INSTANCE, "ml.m5.xlarge", "ml.c5.xlarge"],
            "SupportsDistributedTraining": False,
            "MetricDefinitions": [{"Name": "train:accuracy", "Regex": "train:accuracy=(\\S+)"}],
            "TrainingChannels": [{
                "Name": "training", "Description": "Input channel that provides training data",
                "IsRequired": True, "SupportedContentTypes": ["text/csv"],
                "SupportedCompressionTypes": ["None"], "SupportedInputModes": ["File"]}],
            "SupportedTuningJobObjectiveMetrics": [{"Type": "Maximize", "MetricName": "train:accuracy"}],
        },
        InferenceSpecification={
            "Containers": [{"Image": image_uri}],
            "SupportedTransformInstanceTypes": [INSTANCE, "ml.m5.xlarge"],
            "SupportedRealtimeInferenceInstanceTypes": [INSTANCE, "ml.m5.xlarge"],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        ValidationSpecification={
            "ValidationRole": role,
            "ValidationProfiles": [{
                "ProfileName": "ValidationProfile1",
                "TrainingJobDefinition": {
                    "TrainingInputMode": "File",
                    "HyperParameters": {},
                    "InputDataConfig": [{
                        "ChannelName": "training",
                        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": data["training"],
                                                        "S3DataDistributionType": "FullyReplicated"}},
                        "ContentType": "text/csv", "CompressionType": "None", "RecordWrapperType": "None"}],
                    "OutputDataConfig": {"KmsKeyId": "", "S3OutputPath": f"{out}/training-output"},
                    "ResourceConfig": {"InstanceType": INSTANCE, "InstanceCount": 1, "VolumeSizeInGB": 10,
                                       "VolumeKmsKeyId": ""},
                    "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
                },
                "TransformJobDefinition": transform_definition(data, out),
            }],
        },
    )
    d = wait_status(lambda: sess.sagemaker_client.describe_algorithm(AlgorithmName=name), "AlgorithmStatus")
    assert d["AlgorithmStatus"] == "Completed", d["AlgorithmStatusDetails"]
    return d["AlgorithmArn"]


def transform_definition(data: dict, out: str) -> dict:
    """The notebooks' TransformJobDefinition template, on the batch prefix."""
    return {
        "MaxConcurrentTransforms": 1,
        "MaxPayloadInMB": 6,
        "TransformInput": {
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": data["batch"]}},
            "ContentType": "text/csv", "CompressionType": "None", "SplitType": "Line"},
        "TransformOutput": {"S3OutputPath": f"{out}/batch-transform-output", "Accept": "text/csv",
                            "AssembleWith": "Line", "KmsKeyId": ""},
        "TransformResources": {"InstanceType": INSTANCE, "InstanceCount": 1},
    }


def test_create_algorithm_validates(sess, algorithm):
    d = sess.sagemaker_client.describe_algorithm(AlgorithmName=algorithm)
    statuses = d["AlgorithmStatusDetails"]["ValidationStatuses"]
    assert [s["Status"] for s in statuses] == ["Completed"], statuses


@pytest.fixture(scope="module")
def algorithm_estimator(sess, data, algorithm, role):
    from sagemaker.algorithm import AlgorithmEstimator

    est = AlgorithmEstimator(algorithm_arn=algorithm, role=role, instance_count=1, instance_type=INSTANCE,
                             output_path=f"s3://{sess.default_bucket()}/{data['prefix']}/algorithm-output",
                             sagemaker_session=sess)
    est.fit({"training": data["training"]}, logs=False)
    return est


def test_algorithm_estimator_fit_then_transform(sess, data, algorithm_estimator):
    job = algorithm_estimator.latest_training_job.name
    desc = sess.sagemaker_client.describe_training_job(TrainingJobName=job)
    assert desc["TrainingJobStatus"] == "Completed", desc.get("FailureReason")
    assert desc["HyperParameters"].get("max_leaf_nodes") == "100"  # the algorithm's default
    out = f"s3://{sess.default_bucket()}/{data['prefix']}/algorithm-transform-output"
    t = algorithm_estimator.transformer(1, INSTANCE, output_path=out)
    t.transform(data["batch"], content_type="text/csv", split_type="Line", logs=False)
    assert_sensible(read_s3(sess, f"{out}/batchtransform_test.csv.out"), [row[0] for row in iris_rows()])


def test_model_package_from_the_algorithm_validates(sess, data, algorithm, algorithm_estimator, role, image_uri):
    sm = sess.sagemaker_client
    job = sm.describe_training_job(TrainingJobName=algorithm_estimator.latest_training_job.name)
    model_data = job["ModelArtifacts"]["S3ModelArtifacts"]
    name = uniq("scikit-iris-detector")
    out = f"s3://{sess.default_bucket()}/{data['prefix']}/model-package"
    sm.create_model_package(
        ModelPackageName=name,
        ModelPackageDescription="Model to detect 3 different types of irises (Setosa, Versicolour, and Virginica)",
        CertifyForMarketplace=True,
        SourceAlgorithmSpecification={"SourceAlgorithms": [{"AlgorithmName": algorithm, "ModelDataUrl": model_data}]},
        ValidationSpecification={"ValidationRole": role, "ValidationProfiles": [{
            "ProfileName": "ValidationProfile1", "TransformJobDefinition": transform_definition(data, out)}]},
    )
    d = wait_status(lambda: sm.describe_model_package(ModelPackageName=name), "ModelPackageStatus")
    assert d["ModelPackageStatus"] == "Completed", d["ModelPackageStatusDetails"]
    # As AWS describes it: the inference specification derived from the
    # algorithm, with the source's model data (what the SDK's ModelPackage
    # reads before CreateModel).
    spec = d.get("InferenceSpecification")
    assert spec is not None, f"no InferenceSpecification in {sorted(d)}"
    assert [(c["Image"], c.get("ModelDataUrl")) for c in spec["Containers"]] == [(image_uri, model_data)]
    assert spec["SupportedContentTypes"] == ["text/csv"]
    # The validation transform's output, directly under its output path.
    bucket, key = split_uri(f"{out}/batch-transform-output/")
    keys = [o["Key"] for o in sess.boto_session.client("s3").list_objects_v2(
        Bucket=bucket, Prefix=key).get("Contents", [])]
    assert f"{key}batchtransform_test.csv.out" in keys, keys
    assert_sensible(read_s3(sess, f"s3://{bucket}/{key}batchtransform_test.csv.out"),
                    [row[0] for row in iris_rows()])
