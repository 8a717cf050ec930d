"""`ModelTrainer` (sagemaker.train) against Slipway: a custom training image
and an `algorithm_name`, with the bucket and role taken from the SDK's
defaults file, data uploaded with the SDK's own `Session.upload_data`
(which returns a prefix without a trailing slash), and `train(wait=True,
logs=True)` following the job and its CloudWatch log stream."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from jobs_helpers import METRICS, linear_rows  # noqa: E402
from v3_helpers import INSTANCE, read_tar, uniq  # noqa: E402


@pytest.fixture(scope="module")
def train_uri(sdk, tmp_path_factory) -> str:
    """Training data uploaded the way a user does: a local folder through
    the SDK's Session (default bucket from the config file)."""
    from sagemaker.core.helper.session_helper import Session

    d = tmp_path_factory.mktemp("train")
    (d / "part-1.csv").write_bytes(linear_rows(120))
    (d / "nested").mkdir()
    (d / "nested" / "part-2.csv").write_bytes(linear_rows(80))
    uri = Session().upload_data(str(d), key_prefix=uniq("v3-data") + "/train")
    assert not uri.endswith("/"), uri
    return uri


def _compute():
    from sagemaker.core.training.configs import Compute

    return Compute(instance_type=INSTANCE, instance_count=1, volume_size_in_gb=5)


def _assert_trained(sm, s3, job_name: str, bucket: str, role_arn: str) -> dict:
    d = sm.describe_training_job(TrainingJobName=job_name)
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    assert d["RoleArn"] == role_arn  # from SageMaker.TrainingJob.RoleArn
    assert d["OutputDataConfig"]["S3OutputPath"].startswith(f"s3://{bucket}/")
    artifacts = read_tar(s3, d["ModelArtifacts"]["S3ModelArtifacts"])
    model = json.loads(artifacts["model.json"])
    assert model["format"] == "slipway-sample-linear-v1" and model["feature_count"] == 2
    return d


def test_custom_image_trains_on_s3_input(sdk, sample_image, train_uri, sm, s3, role_arn):
    from sagemaker.core.shapes import MetricDefinition
    from sagemaker.train import ModelTrainer
    from sagemaker.core.training.configs import InputData

    trainer = ModelTrainer(
        training_image=sample_image,
        base_job_name="v3-custom",
        hyperparameters={"epochs": 150},
        compute=_compute(),
    ).with_metric_definitions([MetricDefinition(name=m["Name"], regex=m["Regex"]) for m in METRICS])
    trainer.train(input_data_config=[InputData(channel_name="train", data_source=train_uri)],
                  wait=True, logs=True)

    job = trainer._latest_training_job  # what the SDK's own examples read
    assert job.training_job_status == "Completed"
    bucket = train_uri[5:].split("/", 1)[0]
    d = _assert_trained(sm, s3, job.training_job_name, bucket, role_arn)
    assert d["HyperParameters"]["epochs"] == "150"
    assert d["AlgorithmSpecification"]["TrainingImage"] == sample_image
    assert d["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] == train_uri
    assert {m["MetricName"] for m in d.get("FinalMetricDataList", [])} == {"train:mse"}
    # The artifacts the SDK points at are where Slipway put them.
    assert job.model_artifacts.s3_model_artifacts == d["ModelArtifacts"]["S3ModelArtifacts"]


def test_algorithm_name_trains(sdk, sample_image, train_uri, sm, s3, role_arn):
    from sagemaker.train import ModelTrainer
    from sagemaker.core.training.configs import InputData

    algo = uniq("v3-algo")
    sm.create_algorithm(
        AlgorithmName=algo,
        TrainingSpecification={
            "TrainingImage": sample_image,
            "SupportedHyperParameters": [
                {"Name": "epochs", "Type": "Integer", "IsTunable": False, "IsRequired": False,
                 "Range": {"IntegerParameterRangeSpecification": {"MinValue": "1", "MaxValue": "5000"}},
                 "DefaultValue": "200"}],
            "SupportedTrainingInstanceTypes": [INSTANCE],
            "TrainingChannels": [{"Name": "train", "IsRequired": True, "SupportedContentTypes": ["text/csv"],
                                  "SupportedInputModes": ["File"]}],
            "MetricDefinitions": METRICS,
        })
    trainer = ModelTrainer(algorithm_name=algo, hyperparameters={"epochs": 120}, compute=_compute())
    trainer.train(input_data_config=[InputData(channel_name="train", data_source=train_uri)],
                  wait=True, logs=False)

    job = trainer._latest_training_job
    assert job.training_job_status == "Completed", job.failure_reason
    bucket = train_uri[5:].split("/", 1)[0]
    d = _assert_trained(sm, s3, job.training_job_name, bucket, role_arn)
    assert d["AlgorithmSpecification"]["AlgorithmName"] == algo
    assert d["HyperParameters"]["epochs"] == "120"
    # The algorithm's metric definitions apply.
    assert {m["MetricName"] for m in d.get("FinalMetricDataList", [])} == {"train:mse"}
