"""Hyperparameter tuning with the SageMaker Python SDK v2, unmodified
(docs/tuning.md): `HyperparameterTuner(...).fit()` with an
`AlgorithmEstimator` (Bayesian) and with a plain `Estimator` (Random), then
`tuner.best_training_job()`, `HyperparameterTuningJobAnalytics(...).dataframe()`
and `TrainingJobAnalytics(job).dataframe()`, which reads the training
metrics' time series from CloudWatch. Both searches find a better
objective than the algorithm's default learning rate."""

from __future__ import annotations

import warnings

import pytest

from conftest import _start
from e2e_helpers import TEST_ACCOUNT_ENV
from jobs_helpers import ROLE, SAMPLE_IMAGE, ensure_images, uniq
from s3_helpers import new_bucket, s3 as s3_client
from test_tuning import EPOCHS, default_mse, tunable_algorithm
from test_validation import wait_resource
from jobs_helpers import linear_rows

# Unanchored: also matches the per-epoch lines (`epoch=3 train:mse=…`), so
# CloudWatch gets a series.
MSE = r"train:mse=([0-9.eE+-]+)"


@pytest.fixture(scope="module", autouse=True)
def images():
    ensure_images()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = _start(tmp_path_factory, "tuning-sdk", env=dict(TEST_ACCOUNT_ENV))
    yield s
    s.stop()
    s.kill()


@pytest.fixture(scope="module")
def bucket(server):
    s3 = s3_client(server)
    b = new_bucket(s3, "tunesdk")
    s3.put_object(Bucket=b, Key="train/data.csv", Body=linear_rows(200))
    s3.put_object(Bucket=b, Key="batch/q.csv", Body=b"1,1\n")
    return b


@pytest.fixture(scope="module")
def session(server, bucket):
    import boto3
    import sagemaker

    warnings.filterwarnings("ignore", module="sagemaker")
    config = {"SchemaVersion": "1.0", "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}}}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ENDPOINT_URL", server.endpoint)
        bs = boto3.Session(aws_access_key_id=server.creds.access_key,
                           aws_secret_access_key=server.creds.secret_key, region_name=server.region)
        yield sagemaker.Session(boto_session=bs, default_bucket=bucket, sagemaker_config=config)


@pytest.fixture(scope="module")
def algo(server, bucket):
    sm = server.client()
    name = uniq("sdk-tunable")
    sm.create_algorithm(**tunable_algorithm(name, bucket))
    a = wait_resource(lambda: sm.describe_algorithm(AlgorithmName=name), "AlgorithmStatus")
    assert a["AlgorithmStatus"] == "Completed", a["AlgorithmStatusDetails"]
    return a["AlgorithmArn"]


def test_bayesian_tuning_of_an_algorithm_estimator(server, session, bucket, algo):
    from sagemaker.algorithm import AlgorithmEstimator
    from sagemaker.analytics import HyperparameterTuningJobAnalytics
    from sagemaker.tuner import ContinuousParameter, HyperparameterTuner

    baseline = default_mse(server.client(), bucket, algo)
    est = AlgorithmEstimator(algorithm_arn=algo, role=ROLE, instance_count=1, instance_type="ml.m5.large",
                             sagemaker_session=session, output_path=f"s3://{bucket}/sdk-tune/",
                             hyperparameters={"epochs": EPOCHS})
    tuner = HyperparameterTuner(est, objective_metric_name="train:mse", objective_type="Minimize",
                                hyperparameter_ranges={"learning_rate": ContinuousParameter(0.01, 1.0, "Logarithmic")},
                                strategy="Bayesian", max_jobs=8, max_parallel_jobs=2,
                                base_tuning_job_name="sdk-bayes")
    tuner.fit({"train": f"s3://{bucket}/train/"}, wait=True)
    name = tuner.latest_tuning_job.name
    d = session.sagemaker_client.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    assert d["HyperParameterTuningJobStatus"] == "Completed", d.get("FailureReason")
    best = tuner.best_training_job()
    assert best == d["BestTrainingJob"]["TrainingJobName"]
    assert d["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] < baseline
    frame = HyperparameterTuningJobAnalytics(name, sagemaker_session=session).dataframe()
    assert len(frame) == 8 and set(frame["TrainingJobStatus"]) == {"Completed"}
    assert frame["FinalObjectiveValue"].min() == pytest.approx(
        d["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"]["Value"])
    assert frame["learning_rate"].between(0.01, 1.0).all()


def test_random_tuning_of_an_estimator_and_its_metric_series(server, session, bucket):
    from sagemaker.analytics import TrainingJobAnalytics
    from sagemaker.estimator import Estimator
    from sagemaker.tuner import ContinuousParameter, HyperparameterTuner

    est = Estimator(image_uri=SAMPLE_IMAGE, role=ROLE, instance_count=1, instance_type="ml.m5.large",
                    sagemaker_session=session, output_path=f"s3://{bucket}/sdk-est/",
                    hyperparameters={"epochs": EPOCHS})
    tuner = HyperparameterTuner(est, objective_metric_name="train:mse", objective_type="Minimize",
                                metric_definitions=[{"Name": "train:mse", "Regex": MSE}],
                                hyperparameter_ranges={"learning_rate": ContinuousParameter(0.01, 1.0)},
                                strategy="Random", max_jobs=4, max_parallel_jobs=2, base_tuning_job_name="sdk-rand")
    tuner.fit({"train": f"s3://{bucket}/train/"}, wait=True)
    best = tuner.best_training_job()
    job = session.sagemaker_client.describe_training_job(TrainingJobName=best)
    assert job["HyperParameters"]["_tuning_objective_metric"] == "train:mse"
    # The metric's values over the job (per-epoch lines and the final one),
    # read from CloudWatch by the SDK.
    frame = TrainingJobAnalytics(best, metric_names=["train:mse"], sagemaker_session=session,
                                 period=1).dataframe()
    assert len(frame) >= 1 and set(frame["metric_name"]) == {"train:mse"}
    final = next(m["Value"] for m in job["FinalMetricDataList"] if m["MetricName"] == "train:mse")
    # Each row is a period's Average; the loss falls over the epochs, so
    # every average is at least the final value, and the series holds more
    # than the final point (the per-epoch lines matched too).
    assert (frame["value"] >= final - 1e-9).all()
    cw = server.client(service="cloudwatch")
    stats = cw.get_metric_statistics(Namespace="/aws/sagemaker/TrainingJobs", MetricName="train:mse",
                                     Dimensions=[{"Name": "TrainingJobName", "Value": best}],
                                     StartTime=job["CreationTime"], EndTime=job["LastModifiedTime"],
                                     Period=3600, Statistics=["SampleCount", "Minimum"])["Datapoints"]
    assert sum(p["SampleCount"] for p in stats) > 1
    assert min(p["Minimum"] for p in stats) == pytest.approx(final)
