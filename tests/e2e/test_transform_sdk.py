"""The SageMaker Python SDK's batch transform against Slipway: a validated
model package (Completed, certified) used the way a Marketplace buyer or
the seller's own script would, through `ModelPackage(...).transformer(...)
.transform(...)` — CreateModel from the package, then CreateTransformJob."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time

import pytest

from e2e_helpers import clean_env
from jobs_helpers import ROLE, SAMPLE_IMAGE, ensure_images, uniq
from s3_helpers import new_bucket, s3 as s3_client

SCRIPT = textwrap.dedent("""
    import json, sys
    import sagemaker
    from sagemaker import ModelPackage
    args = json.loads(sys.argv[1])
    sess = sagemaker.Session(default_bucket=args["bucket"])
    package = ModelPackage(role=args["role"], model_package_arn=args["package"], sagemaker_session=sess)
    t = package.transformer(instance_count=1, instance_type="ml.m5.large",
                            output_path=f"s3://{args['bucket']}/sdk-batch", accept="text/csv",
                            assemble_with="Line", strategy="MultiRecord", max_concurrent_transforms=2)
    t.transform(data=f"s3://{args['bucket']}/batch/", content_type="text/csv", split_type="Line",
                job_name=args["job"], wait=True, logs=False)
    print("JOB_STATUS=" + sess.sagemaker_client.describe_transform_job(TransformJobName=args["job"])["TransformJobStatus"])
""")


@pytest.fixture(scope="module", autouse=True)
def images():
    ensure_images()


def test_transformer_on_a_validated_model_package(jobs_server, tmp_path):
    sm, s3 = jobs_server.client(), s3_client(jobs_server)
    b = new_bucket(s3, "sdkbatch")
    s3.put_object(Bucket=b, Key="batch/q.csv", Body=b"1,1\n2,-1\n0,0\n")
    name = uniq("sdk-pkg")
    arn = sm.create_model_package(
        ModelPackageName=name,
        InferenceSpecification={"Containers": [{"Image": SAMPLE_IMAGE}],
                                "SupportedTransformInstanceTypes": ["ml.m5.large"],
                                "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
                                "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"]},
        ValidationSpecification={"ValidationRole": ROLE, "ValidationProfiles": [{
            "ProfileName": "check", "TransformJobDefinition": {
                "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{b}/batch/"}},
                                   "ContentType": "text/csv", "SplitType": "Line"},
                "TransformOutput": {"S3OutputPath": f"s3://{b}/validation-out"},
                "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1}}}]},
        CertifyForMarketplace=True)["ModelPackageArn"]
    deadline = time.time() + 120
    while sm.describe_model_package(ModelPackageName=name)["ModelPackageStatus"] != "Completed":
        assert time.time() < deadline
        time.sleep(0.3)
    config = tmp_path / "sagemaker-config.yaml"
    config.write_text("SchemaVersion: '1.0'\nSageMaker:\n  PythonSDK:\n    Modules:\n      TelemetryOptOut: true\n")
    env = clean_env()
    env.update(jobs_server.export)
    env["SAGEMAKER_USER_CONFIG_OVERRIDE"] = str(config)
    env["SAGEMAKER_ADMIN_CONFIG_OVERRIDE"] = str(config)
    job = uniq("sdk-transform")
    out = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(
        {"bucket": b, "package": arn, "job": job, "role": ROLE})], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "JOB_STATUS=Completed" in out.stdout
    body = s3.get_object(Bucket=b, Key="sdk-batch/q.csv.out")["Body"].read()
    assert [float(x) for x in body.split()] == [10.75, 10.75, 10.0]
    d = sm.describe_transform_job(TransformJobName=job)
    assert d["MaxConcurrentTransforms"] == 2 and d["BatchStrategy"] == "MultiRecord"
    model = sm.describe_model(ModelName=d["ModelName"])
    container = model.get("PrimaryContainer") or model["Containers"][0]
    assert container["ModelPackageName"] == arn
