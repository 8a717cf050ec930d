"""Training metrics through the CloudWatch metrics API (`monitoring`): a
training job of the sample image whose MetricDefinitions match its
per-epoch lines (`epoch=N train:mse=...`) publishes every value; the
SageMaker SDK's `TrainingJobAnalytics(...).dataframe()` (botocore sends
Smithy RPC v2 CBOR), boto3's GetMetricStatistics / GetMetricData /
ListMetrics, AWS JSON 1.0 and the AWS CLI read them; another account sees
nothing; the points survive a restart."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap
import urllib.request

import botocore.exceptions
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from conftest import _start
from e2e_helpers import TEST_ACCOUNT_ENV, clean_env
from jobs_helpers import ensure_images, put_training_data, training_request, uniq, wait_for
from s3_helpers import new_bucket, s3 as s3_client

NS = "/aws/sagemaker/TrainingJobs"
EPOCHS = 12
# The sample prints `epoch=N train:mse=...` for epochs 1..10 and every
# `epochs/100`th after, so 12 epochs print 12 lines.
EPOCH_METRICS = [{"Name": "train:mse", "Regex": r"epoch=\d+ train:mse=([0-9.eE+-]+)"},
                 {"Name": "epoch", "Regex": r"epoch=(\d+) "}]

SDK = textwrap.dedent("""
    import json, sys
    import sagemaker
    from sagemaker.analytics import TrainingJobAnalytics
    args = json.loads(sys.argv[1])
    sess = sagemaker.Session()
    df = TrainingJobAnalytics(args["job"], metric_names=["train:mse"], sagemaker_session=sess,
                              period=args["period"]).dataframe()
    print("ROWS=" + df.to_json(orient="records"))
""")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    ensure_images()
    s = _start(tmp_path_factory, "cwmetrics", env=dict(TEST_ACCOUNT_ENV))
    yield s
    s.stop()
    s.kill()


@pytest.fixture(scope="module")
def job(server):
    """A completed job with EPOCHS per-epoch metric lines; its name."""
    s3 = s3_client(server)
    bucket = new_bucket(s3, "cwm")
    put_training_data(s3, bucket)
    name = uniq("cwm")
    req = training_request(name, bucket, hyper={"epochs": str(EPOCHS)}, channels=[{
        "ChannelName": "train",
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/train/",
                                        "S3DataDistributionType": "FullyReplicated"}}}])
    req["AlgorithmSpecification"]["MetricDefinitions"] = EPOCH_METRICS
    sm = server.client()
    sm.create_training_job(**req)
    d = wait_for(sm, name, timeout=180)
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    return name


def cw(server, creds=None):
    return server.client(creds, service="cloudwatch")


def window(server, job):
    d = server.client().describe_training_job(TrainingJobName=job)
    return d["TrainingStartTime"] - dt.timedelta(minutes=1), d["TrainingEndTime"] + dt.timedelta(minutes=1)


def stats(server, job, period=60, creds=None, **kw):
    start, end = window(server, job)
    args = dict(Namespace=NS, MetricName="train:mse", Dimensions=[{"Name": "TrainingJobName", "Value": job}],
                StartTime=start, EndTime=end, Period=period,
                Statistics=["Average", "SampleCount", "Minimum", "Maximum", "Sum"])
    args.update(kw)
    return cw(server, creds).get_metric_statistics(**args)


def test_every_epoch_value_is_a_point(server, job):
    r = stats(server, job)
    dps = r["Datapoints"]
    assert r["Label"] == "train:mse"
    assert dps and sum(d["SampleCount"] for d in dps) == EPOCHS, dps
    for d in dps:
        assert d["Unit"] == "None"
        assert d["Minimum"] <= d["Average"] <= d["Maximum"]
        assert d["Timestamp"].second == 0, "periods start on the minute"
    # The `epoch` metric holds each epoch number once.
    epochs = stats(server, job, MetricName="epoch")["Datapoints"]
    assert sum(d["Sum"] for d in epochs) == sum(range(1, EPOCHS + 1))
    # The Host dimension names the same series.
    host = stats(server, job, Dimensions=[{"Name": "Host", "Value": f"{job}/algo-1"}])["Datapoints"]
    assert sorted(d["Timestamp"] for d in host) == sorted(d["Timestamp"] for d in dps)
    # Percentiles, over one period holding every point.
    start, end = window(server, job)
    p = cw(server).get_metric_statistics(
        Namespace=NS, MetricName="train:mse", Dimensions=[{"Name": "TrainingJobName", "Value": job}],
        StartTime=start, EndTime=end, Period=3600, ExtendedStatistics=["p50", "p100"])
    [one] = p["Datapoints"]
    assert one["ExtendedStatistics"]["p100"] == max(d["Maximum"] for d in dps)


def test_training_job_analytics_dataframe(server, job, tmp_path):
    config = tmp_path / "sagemaker-config.yaml"
    config.write_text("SchemaVersion: '1.0'\nSageMaker:\n  PythonSDK:\n    Modules:\n      TelemetryOptOut: true\n")
    env = clean_env()
    env.update(server.export)
    env["SAGEMAKER_USER_CONFIG_OVERRIDE"] = str(config)
    env["SAGEMAKER_ADMIN_CONFIG_OVERRIDE"] = str(config)
    out = subprocess.run([sys.executable, "-c", SDK, json.dumps({"job": job, "period": 60})], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    rows = json.loads(out.stdout.split("ROWS=", 1)[1])
    expected = sorted(stats(server, job)["Datapoints"], key=lambda d: d["Timestamp"])
    assert len(rows) == len(expected) >= 1, (rows, expected)
    assert [r["metric_name"] for r in rows] == ["train:mse"] * len(rows)
    assert [r["value"] for r in rows] == pytest.approx([d["Average"] for d in expected])
    assert rows[0]["timestamp"] == 0.0


def test_get_metric_data_pages_and_labels(server, job):
    start, end = window(server, job)
    c = cw(server)
    q = [{"Id": "mse", "Label": "loss", "MetricStat": {
             "Metric": {"Namespace": NS, "MetricName": "train:mse",
                        "Dimensions": [{"Name": "TrainingJobName", "Value": job}]},
             "Period": 1, "Stat": "Average"}},
         {"Id": "n", "ReturnData": False, "MetricStat": {
             "Metric": {"Namespace": NS, "MetricName": "epoch",
                        "Dimensions": [{"Name": "TrainingJobName", "Value": job}]},
             "Period": 60, "Stat": "SampleCount"}}]
    whole = c.get_metric_data(MetricDataQueries=q, StartTime=start, EndTime=end, ScanBy="TimestampAscending")
    [r] = whole["MetricDataResults"]
    assert (r["Id"], r["Label"], r["StatusCode"]) == ("mse", "loss", "Complete")
    assert r["Timestamps"] == sorted(r["Timestamps"]) and len(r["Values"]) == len(r["Timestamps"]) >= 1
    # Paged one datapoint at a time, newest first, the same values reversed.
    values, token, pages = [], None, 0
    while True:
        kw = {"NextToken": token} if token else {}
        page = c.get_metric_data(MetricDataQueries=q, StartTime=start, EndTime=end, MaxDatapoints=1, **kw)
        values += page["MetricDataResults"][0]["Values"]
        pages += 1
        token = page.get("NextToken")
        if not token:
            break
    assert values == list(reversed(r["Values"])) and pages == len(values)
    paginated = c.get_paginator("get_metric_data").paginate(
        MetricDataQueries=q, StartTime=start, EndTime=end, MaxDatapoints=2)
    assert sum(len(p["MetricDataResults"][0]["Values"]) for p in paginated) == len(values)


def test_list_metrics(server, job):
    c = cw(server)
    got = c.list_metrics(Namespace=NS, Dimensions=[{"Name": "TrainingJobName", "Value": job}])["Metrics"]
    assert sorted(m["MetricName"] for m in got) == ["epoch", "train:mse"]
    hosts = c.list_metrics(MetricName="train:mse", Dimensions=[{"Name": "Host"}])["Metrics"]
    assert {"Namespace": NS, "MetricName": "train:mse",
            "Dimensions": [{"Name": "Host", "Value": f"{job}/algo-1"}]} in hosts
    assert c.list_metrics(Namespace="AWS/EC2")["Metrics"] == []
    everything = [m for p in c.get_paginator("list_metrics").paginate() for m in p["Metrics"]]
    assert len(everything) == 4


def test_aws_cli_and_json_protocol(server, job):
    start, end = window(server, job)
    out = server.cli("cloudwatch", "get-metric-statistics", "--namespace", NS, "--metric-name", "train:mse",
                     "--dimensions", f"Name=TrainingJobName,Value={job}", "--start-time", start.isoformat(),
                     "--end-time", end.isoformat(), "--period", "60", "--statistics", "SampleCount")
    dps = json.loads(out.stdout)["Datapoints"]
    assert sum(d["SampleCount"] for d in dps) == EPOCHS
    # AWS JSON 1.0, as other SDKs may send it.
    body = json.dumps({"Namespace": NS}).encode()
    req = AWSRequest(method="POST", url=server.endpoint + "/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.0",
        "X-Amz-Target": "GraniteServiceVersion20100801.ListMetrics"})
    SigV4Auth(Credentials(server.creds.access_key, server.creds.secret_key), "monitoring",
              server.region).add_auth(req)
    r = urllib.request.urlopen(urllib.request.Request(server.endpoint + "/", data=body,
                                                      headers=dict(req.headers.items())), timeout=30)
    assert r.status == 200
    assert len(json.loads(r.read())["Metrics"]) == 4


def test_errors_are_cloudwatch_errors(server, job):
    start, end = window(server, job)
    c = cw(server)
    base = dict(Namespace=NS, MetricName="train:mse", StartTime=start, EndTime=end)

    def code(fn, **kw):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            fn(**kw)
        return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]

    assert code(c.get_metric_statistics, Period=45, Statistics=["Average"], **base)[0] == "InvalidParameterValue"
    assert code(c.get_metric_statistics, Period=60, **base)[0] == "MissingParameter"
    assert code(c.get_metric_statistics, Period=60, Statistics=["Average"], ExtendedStatistics=["p90"],
                **base)[0] == "InvalidParameterCombination"
    c2, msg = code(c.get_metric_statistics, Period=1, Statistics=["Average"], Namespace=NS, MetricName="m",
                   StartTime=start, EndTime=start + dt.timedelta(hours=2))
    assert c2 == "InvalidParameterCombination" and "exceeds the limit of 1,440" in msg
    assert code(c.get_metric_statistics, Period=60, Statistics=["Average"], Namespace=NS, MetricName="m",
                StartTime=end, EndTime=start)[0] == "InvalidParameterValue"
    with pytest.raises(c.exceptions.InvalidParameterValueException):
        c.get_metric_statistics(Period=60, ExtendedStatistics=["p101"], **base)
    # The model's enum: CloudWatch's "1 validation error detected" answer.
    assert code(c.get_metric_statistics, Period=60, Statistics=["Median"], **base)[0] == "ValidationError"
    expr = [{"Id": "e", "Expression": "SUM(METRICS())"}]
    assert code(c.get_metric_data, MetricDataQueries=expr, StartTime=start, EndTime=end)[0] == "InvalidParameterValue"
    q = [{"Id": "a", "MetricStat": {"Metric": {"Namespace": NS, "MetricName": "m"}, "Period": 60, "Stat": "Average"}}]
    assert code(c.get_metric_data, MetricDataQueries=q, StartTime=start, EndTime=end,
                NextToken="bogus")[0] == "InvalidNextToken"
    # Constraints botocore leaves to the server.
    raw = server.client(service="cloudwatch", validate=False)
    assert code(raw.get_metric_statistics, Period=0, Statistics=["Average"], **base)[0] == "ValidationError"
    assert code(raw.get_metric_statistics, Period=60, Statistics=["Average"], Namespace=NS, MetricName="m",
                StartTime=start)[0] == "MissingParameter"


def test_another_account_sees_nothing(server, job):
    other = server.create_account(uniq("cwm-other"))
    assert stats(server, job, creds=other)["Datapoints"] == []
    assert cw(server, other).list_metrics()["Metrics"] == []


def test_points_survive_a_restart(server, job):
    before = stats(server, job)["Datapoints"]
    server.restart()
    after = stats(server, job)["Datapoints"]
    key = lambda d: d["Timestamp"]  # noqa: E731
    assert sorted(after, key=key) == sorted(before, key=key)
