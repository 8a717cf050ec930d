"""The SageMaker Python SDK v2 deploying to Slipway and predicting, as a
seller or a buyer does (docs/endpoints.md): `Model(...).deploy()`,
`ModelPackage(...).deploy()` of a validated package, `Estimator.fit().deploy()`
and `AlgorithmEstimator.fit().deploy()`, then `Predictor.predict()` with the
CSV and JSON serializers and `delete_endpoint()`. Each run is a separate
Python process pointed at the server only through its environment block."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import pytest

from e2e_helpers import clean_env
from jobs_helpers import model_tar, METRICS, ROLE, SAMPLE_IMAGE, ensure_images, put_training_data, uniq
from s3_helpers import new_bucket, s3 as s3_client

SCRIPT = textwrap.dedent("""
    import json, sys
    import sagemaker
    from sagemaker.model import Model
    from sagemaker import ModelPackage
    from sagemaker.estimator import Estimator
    from sagemaker.algorithm import AlgorithmEstimator
    from sagemaker.predictor import Predictor
    from sagemaker.serializers import CSVSerializer, JSONSerializer
    from sagemaker.deserializers import CSVDeserializer, JSONDeserializer
    args = json.loads(sys.argv[1])
    sess = sagemaker.Session(default_bucket=args["bucket"])
    role = args["role"]
    where = dict(initial_instance_count=1, instance_type="ml.m5.large", endpoint_name=args["endpoint"])
    fit = dict(role=role, instance_count=1, instance_type="ml.m5.large", sagemaker_session=sess,
               output_path=f"s3://{args['bucket']}/sdk-ep-out", max_run=600)
    kind = args["kind"]
    if kind == "model":
        # deploy(wait=True): the SDK's own wait for InService.
        model = Model(image_uri=args["image"], model_data=args["model_data"], role=role, sagemaker_session=sess)
        model.deploy(wait=True, **where)
    else:
        if kind == "package":
            model = ModelPackage(role=role, model_package_arn=args["package"], sagemaker_session=sess)
            model.deploy(wait=False, **where)
        else:
            if kind == "estimator":
                est = Estimator(image_uri=args["image"], hyperparameters={"epochs": 150},
                                metric_definitions=args["metrics"], **fit)
            else:
                est = AlgorithmEstimator(algorithm_arn=args["algorithm"], hyperparameters={"epochs": 150}, **fit)
            est.fit({"train": f"s3://{args['bucket']}/train/"}, job_name=args["job"], logs=False)
            est.deploy(wait=False, **where)
        # The SDK's waiter polls every 30 s by default; a second is enough here.
        sess.wait_for_endpoint(args["endpoint"], poll=1)
    csv = Predictor(args["endpoint"], sess, serializer=CSVSerializer(), deserializer=CSVDeserializer())
    print("CSV=" + json.dumps(csv.predict([[1, 1], [2, 0]])))
    js = Predictor(args["endpoint"], sess, serializer=JSONSerializer(), deserializer=JSONDeserializer())
    print("JSON=" + json.dumps(js.predict({"instances": [[1, 1]]})))
    csv.delete_endpoint()
    print("DELETED")
""")


@pytest.fixture(scope="module", autouse=True)
def images():
    ensure_images()


@pytest.fixture(scope="module")
def server(jobs_server):
    return jobs_server


@pytest.fixture(scope="module")
def bucket(server):
    s3 = s3_client(server)
    b = new_bucket(s3, "sdkep")
    put_training_data(s3, b)
    return b


def run_sdk(server, tmp_path, **args) -> str:
    config = tmp_path / "sagemaker-config.yaml"
    config.write_text("SchemaVersion: '1.0'\nSageMaker:\n  PythonSDK:\n    Modules:\n      TelemetryOptOut: true\n")
    env = clean_env()
    env.update(server.export)
    env["SAGEMAKER_USER_CONFIG_OVERRIDE"] = str(config)
    env["SAGEMAKER_ADMIN_CONFIG_OVERRIDE"] = str(config)
    args.setdefault("role", ROLE)
    args.setdefault("endpoint", uniq("sdk-ep"))
    out = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(args)], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    sm = server.client()
    assert not sm.list_endpoints(NameContains=args["endpoint"])["Endpoints"] or \
        sm.describe_endpoint(EndpointName=args["endpoint"])["EndpointStatus"] == "Deleting"
    return out.stdout


def predictions(text: str) -> tuple[list, dict]:
    # deploy(wait=True) prints its progress dots ("-", "!") on the same line.
    lines = dict(line.lstrip("-!").split("=", 1) for line in text.splitlines() if "=" in line)
    assert "DELETED" in text
    return json.loads(lines["CSV"]), json.loads(lines["JSON"])


def test_model_deploy_and_predict(server, tmp_path, bucket):
    s3_client(server).put_object(Bucket=bucket, Key="sdk-model/model.tar.gz", Body=model_tar([2.0, 3.0], 1.0))
    csv, js = predictions(run_sdk(server, tmp_path, kind="model", image=SAMPLE_IMAGE,
                                  model_data=f"s3://{bucket}/sdk-model/model.tar.gz", bucket=bucket))
    assert [[float(x) for x in row] for row in csv] == [[6.0], [5.0]]
    assert js == {"predictions": [6.0]}


def test_model_package_deploy(server, tmp_path, bucket):
    sm = server.client()
    s3_client(server).put_object(Bucket=bucket, Key="pkg-batch/q.csv", Body=b"1,1\n")
    name = uniq("sdk-ep-pkg")
    arn = sm.create_model_package(
        ModelPackageName=name,
        InferenceSpecification={"Containers": [{"Image": SAMPLE_IMAGE}],
                                "SupportedTransformInstanceTypes": ["ml.m5.large"],
                                "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
                                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
        ValidationSpecification={"ValidationRole": ROLE, "ValidationProfiles": [{
            "ProfileName": "check", "TransformJobDefinition": {
                "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                                   "S3Uri": f"s3://{bucket}/pkg-batch/"}},
                                   "ContentType": "text/csv", "SplitType": "Line"},
                "TransformOutput": {"S3OutputPath": f"s3://{bucket}/pkg-validation-out"},
                "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1}}}]},
        CertifyForMarketplace=True)["ModelPackageArn"]
    deadline = time.time() + 120
    while sm.describe_model_package(ModelPackageName=name)["ModelPackageStatus"] != "Completed":
        assert time.time() < deadline
        time.sleep(0.3)
    csv, js = predictions(run_sdk(server, tmp_path, kind="package", package=arn, bucket=bucket))
    assert len(csv) == 2 and "predictions" in js


@pytest.mark.parametrize("kind", ["estimator", "algorithm"])
def test_fit_then_deploy(server, tmp_path, bucket, kind):
    args = dict(kind=kind, image=SAMPLE_IMAGE, metrics=METRICS, bucket=bucket, job=uniq("sdk-ep-fit"))
    if kind == "algorithm":
        sm = server.client()
        args["algorithm"] = sm.create_algorithm(
            AlgorithmName=uniq("sdk-ep-algo"),
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
            },
            InferenceSpecification={"Containers": [{"Image": SAMPLE_IMAGE}],
                                    "SupportedTransformInstanceTypes": ["ml.m5.large"],
                                    "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
                                    "SupportedContentTypes": ["text/csv", "application/json"],
                                    "SupportedResponseMIMETypes": ["text/csv", "application/json"]},
        )["AlgorithmArn"]
    csv, js = predictions(run_sdk(server, tmp_path, **args))
    # The trained model (put_training_data's linear data) really predicts.
    assert len(csv) == 2 and len(js["predictions"]) == 1
