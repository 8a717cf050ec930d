"""The SageMaker Python SDK (v2) trains against Slipway unmodified: the
seller's own `Estimator(...).fit(...)` and `AlgorithmEstimator`, pointed at
the server only through the environment block `slipway serve` prints. Each
run is a separate Python process, as a seller's script would be."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from e2e_helpers import clean_env
from jobs_helpers import METRICS, SAMPLE_IMAGE, ensure_images, put_training_data, uniq
from s3_helpers import new_bucket, s3 as s3_client

SCRIPT = textwrap.dedent("""
    import json, sys
    import sagemaker
    from sagemaker.estimator import Estimator
    from sagemaker.algorithm import AlgorithmEstimator
    args = json.loads(sys.argv[1])
    sess = sagemaker.Session(default_bucket=args["bucket"])
    common = dict(role="arn:aws:iam::123456789012:role/SellerRole", instance_count=1,
                  instance_type="ml.m5.large", sagemaker_session=sess,
                  output_path=f"s3://{args['bucket']}/sdk-out", max_run=600)
    if args["kind"] == "estimator":
        est = Estimator(image_uri=args["image"], hyperparameters={"epochs": 150},
                        metric_definitions=args["metrics"], **common)
    else:
        est = AlgorithmEstimator(algorithm_arn=args["algorithm"], hyperparameters={"epochs": 150}, **common)
    est.fit({"train": f"s3://{args['bucket']}/train/"}, job_name=args["job"], logs=args["logs"])
    print("MODEL_DATA=" + est.model_data)
    desc = sess.sagemaker_client.describe_training_job(TrainingJobName=args["job"])
    print("STATUS=" + desc["TrainingJobStatus"])
""")


@pytest.fixture(scope="module", autouse=True)
def images():
    ensure_images()


@pytest.fixture(scope="module")
def server(jobs_server):
    return jobs_server


@pytest.fixture(scope="module")
def sm(jobs_server):
    return jobs_server.client()


@pytest.fixture(scope="module")
def bucket(server):
    s3 = s3_client(server)
    b = new_bucket(s3, "sdk")
    put_training_data(s3, b)
    return b


def run_sdk(server, tmp_path, **args) -> str:
    config = tmp_path / "sagemaker-config.yaml"
    # The SDK reports usage to AWS unless told not to; this machine has no
    # route out, and a seller's CI may not either.
    config.write_text("SchemaVersion: '1.0'\nSageMaker:\n  PythonSDK:\n    Modules:\n      TelemetryOptOut: true\n")
    env = clean_env()
    env.update(server.export)
    env["SAGEMAKER_USER_CONFIG_OVERRIDE"] = str(config)
    env["SAGEMAKER_ADMIN_CONFIG_OVERRIDE"] = str(config)
    out = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(args)], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out.stdout + out.stderr


def test_estimator_fit_with_live_logs(server, tmp_path, bucket):
    job = uniq("sdk-est")
    text = run_sdk(server, tmp_path, kind="estimator", image=SAMPLE_IMAGE, bucket=bucket, job=job,
                   metrics=METRICS, logs=True)
    assert f"MODEL_DATA=s3://{bucket}/sdk-out/{job}/output/model.tar.gz" in text
    assert "STATUS=Completed" in text
    # `logs=True` prints the container's own output, read through the
    # CloudWatch Logs API from the job's stream.
    assert "train:mse=" in text and "epoch=1 " in text, text[-3000:]


def test_algorithm_estimator_fit(server, tmp_path, bucket):
    sm = server.client()
    algo = uniq("sdk-algo")
    arn = sm.create_algorithm(
        AlgorithmName=algo,
        TrainingSpecification={
            "TrainingImage": SAMPLE_IMAGE,
            "SupportedHyperParameters": [
                {"Name": "epochs", "Type": "Integer", "IsTunable": False, "IsRequired": False,
                 "Range": {"IntegerParameterRangeSpecification": {"MinValue": "1", "MaxValue": "5000"}},
                 "DefaultValue": "200"}],
            "SupportedTrainingInstanceTypes": ["ml.m5.large"],
            "TrainingChannels": [{"Name": "train", "IsRequired": True, "SupportedContentTypes": ["text/csv"],
                                  "SupportedInputModes": ["File"]}],
            "MetricDefinitions": METRICS,
        })["AlgorithmArn"]
    job = uniq("sdk-alg")
    text = run_sdk(server, tmp_path, kind="algorithm", algorithm=arn, bucket=bucket, job=job, logs=False)
    assert "STATUS=Completed" in text, text[-3000:]
    d = sm.describe_training_job(TrainingJobName=job)
    assert d["AlgorithmSpecification"]["AlgorithmName"] == arn
    assert d["HyperParameters"]["epochs"] == "150"
