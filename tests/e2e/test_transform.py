"""Batch transform end to end (docs/jobs.md "Batch transform"; docs/contracts.md §5): a table of cases, one per
combination that changes behaviour, each with its input objects, the job's
settings and the exact expected output objects, run through a real server
against the sample seller's inference image (really predicting) and its
minimal echo mode (answering each request with its own body). Then the
hostile containers, stops, models from training and unsafe archives."""

from __future__ import annotations

import gzip
import io
import json
import struct
import tarfile
import time
from dataclasses import dataclass, field

import pytest
from botocore.exceptions import ClientError

from e2e_helpers import TEST_ACCOUNT_ENV, error_of
from jobs_helpers import (
    ROLE, SAMPLE_IMAGE, channel, containers_of, ensure_images, put_training_data, training_request,
    uniq, wait_for,
)
from s3_helpers import new_bucket, s3 as s3_client


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
def s3(server):
    return s3_client(server)


@pytest.fixture(scope="module")
def bucket(s3):
    return new_bucket(s3, "transform")


def make_model(sm, env: dict | None = None, model_data: str | None = None, **extra) -> str:
    name = uniq("model")
    container = {"Image": SAMPLE_IMAGE, "Environment": env or {}}
    if model_data:
        container["ModelDataUrl"] = model_data
    sm.create_model(ModelName=name, PrimaryContainer=container, ExecutionRoleArn=ROLE, **extra)
    return name


def wait_transform(sm, name: str, timeout: float = 120) -> dict:
    deadline = time.time() + timeout
    while True:
        d = sm.describe_transform_job(TransformJobName=name)
        if d["TransformJobStatus"] in ("Completed", "Failed", "Stopped"):
            return d
        assert time.time() < deadline, f"{name} still {d['TransformJobStatus']}"
        time.sleep(0.25)


def transform(sm, model: str, bucket: str, prefix: str, *, data_type: str = "S3Prefix", uri: str | None = None,
              split: str | None = None, strategy: str | None = None, assemble: str | None = None,
              content_type: str | None = None, accept: str | None = None, compression: str | None = None,
              max_payload: int | None = None, concurrency: int | None = None, data_processing: dict | None = None,
              client_config: dict | None = None, name: str | None = None) -> tuple[str, str]:
    name = name or uniq("tj")
    out = f"s3://{bucket}/out/{name}"
    tin = {"DataSource": {"S3DataSource": {"S3DataType": data_type, "S3Uri": uri or f"s3://{bucket}/{prefix}"}}}
    for k, v in (("SplitType", split), ("ContentType", content_type), ("CompressionType", compression)):
        if v is not None:
            tin[k] = v
    tout = {"S3OutputPath": out}
    for k, v in (("AssembleWith", assemble), ("Accept", accept)):
        if v is not None:
            tout[k] = v
    req = {"TransformJobName": name, "ModelName": model, "TransformInput": tin, "TransformOutput": tout,
           "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1}}
    for k, v in (("BatchStrategy", strategy), ("MaxPayloadInMB", max_payload),
                 ("MaxConcurrentTransforms", concurrency), ("DataProcessing", data_processing),
                 ("ModelClientConfig", client_config)):
        if v is not None:
            req[k] = v
    sm.create_transform_job(**req)
    return name, out


def outputs(s3, out_uri: str) -> dict[str, bytes]:
    bucket, _, prefix = out_uri[5:].partition("/")
    got = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
        for o in page.get("Contents", []):
            got[o["Key"][len(prefix) + 1:]] = s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()
    return got


def recordio(payloads: list[bytes]) -> bytes:
    out = b""
    for p in payloads:
        out += struct.pack("<II", 0xCED7230A, len(p)) + p + b"\0" * ((4 - len(p) % 4) % 4)
    return out


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def masked(data: bytes) -> int:
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def tfrecord(payloads: list[bytes]) -> bytes:
    out = b""
    for p in payloads:
        length = struct.pack("<Q", len(p))
        out += length + struct.pack("<I", masked(length)) + p + struct.pack("<I", masked(p))
    return out


@dataclass
class Case:
    id: str
    inputs: dict[str, bytes]              # key under the case prefix -> body
    expected: dict[str, bytes]            # key under the output path -> body
    settings: dict = field(default_factory=dict)
    env: dict = field(default_factory=lambda: {"SAMPLE_MODE": "echo"})


LINES = b"a,1\nb,2\nc,3\n"
CASES = [
    Case("none-split-whole-object", {"x.bin": b"\x00\x01binary\nbody"}, {"x.bin.out": b"\x00\x01binary\nbody"}),
    Case("line-multi-assemble-line", {"d.csv": LINES}, {"d.csv.out": LINES},
         {"split": "Line", "strategy": "MultiRecord", "assemble": "Line"}),
    Case("line-single-assemble-none", {"d.csv": LINES}, {"d.csv.out": LINES},
         {"split": "Line", "strategy": "SingleRecord"}),
    Case("line-single-assemble-line-adds-newline", {"d.csv": b"a\nb\nlast-without-newline"},
         {"d.csv.out": b"a\nb\nlast-without-newline\n"},
         {"split": "Line", "strategy": "SingleRecord", "assemble": "Line"}),
    Case("recursive-prefix-keeps-relative-keys", {"top.csv": b"1\n", "sub/deep/inner.csv": b"2\n"},
         {"top.csv.out": b"1\n", "sub/deep/inner.csv.out": b"2\n"}, {"split": "Line"}),
    Case("gzip-input", {"z.csv.gz": gzip.compress(LINES)}, {"z.csv.gz.out": LINES},
         {"split": "Line", "compression": "Gzip"}),
    Case("recordio-single-strips-framing", {"r.rec": recordio([b"one", b"three"])}, {"r.rec.out": b"onethree"},
         {"split": "RecordIO", "strategy": "SingleRecord"}),
    Case("recordio-multi-keeps-framing", {"r.rec": recordio([b"one", b"three"])},
         {"r.rec.out": recordio([b"one", b"three"])}, {"split": "RecordIO", "strategy": "MultiRecord"}),
    Case("tfrecord-single", {"t.tfr": tfrecord([b"alpha", b"beta"])}, {"t.tfr.out": b"alpha\nbeta\n"},
         {"split": "TFRecord", "strategy": "SingleRecord", "assemble": "Line"}),
    Case("headers-reach-the-container", {"h.csv": b"1\n2\n"},
         {"h.csv.out": b"content-type=text/csv;accept=text/csv;batch=true\n" * 2},
         {"split": "Line", "strategy": "SingleRecord", "content_type": "text/csv", "accept": "text/csv"},
         {"SAMPLE_MODE": "echo-headers"}),
    Case("payload-limit-splits-batches-in-order",
         {"big.csv": b"".join(b"%06d," % i + b"x" * 1000 + b"\n" for i in range(3000))},
         {"big.csv.out": b"".join(b"%06d," % i + b"x" * 1000 + b"\n" for i in range(3000))},
         {"split": "Line", "strategy": "MultiRecord", "max_payload": 1, "concurrency": 4}),
    # No ModelDataUrl: nothing is mounted over /opt/ml/model, so the image's
    # baked-in model (0.5·x1 + 0.25·x2 + 10) answers.
    Case("baked-in-model-predicts-csv", {"f.csv": b"1,2\n3,4\n"}, {"f.csv.out": b"11\n12.5\n"},
         {"split": "Line", "content_type": "text/csv", "accept": "text/csv", "assemble": "Line"}, {}),
    Case("csv-input-filter-join-output-filter", {"rows.csv": b"7,1,2\n8,10,20\n"}, {"rows.csv.out": b"7,11\n8,20\n"},
         {"split": "Line", "content_type": "text/csv", "accept": "text/csv", "assemble": "Line",
          "data_processing": {"InputFilter": "$[1,2]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"}}, {}),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_transform_case(sm, s3, bucket, case):
    prefix = f"in/{uniq(case.id)}/"
    for key, body in case.inputs.items():
        s3.put_object(Bucket=bucket, Key=prefix + key, Body=body)
    model = make_model(sm, case.env)
    name, out = transform(sm, model, bucket, prefix, **case.settings)
    d = wait_transform(sm, name)
    assert d["TransformJobStatus"] == "Completed", d.get("FailureReason")
    assert outputs(s3, out) == case.expected
    assert d["TransformStartTime"] <= d["TransformEndTime"]
    assert containers_of(d["TransformJobArn"]) == []


def test_manifest_inputs(sm, s3, bucket):
    base = f"in/{uniq('man')}/"
    s3.put_object(Bucket=bucket, Key=base + "a/one.csv", Body=b"1\n")
    s3.put_object(Bucket=bucket, Key=base + "b/two.csv", Body=b"2\n")
    s3.put_object(Bucket=bucket, Key=base + "ignored.csv", Body=b"nope\n")
    manifest = json.dumps([{"prefix": f"s3://{bucket}/{base}"}, "a/one.csv", "b/two.csv"]).encode()
    s3.put_object(Bucket=bucket, Key=base + "list.manifest", Body=manifest)
    name, out = transform(sm, make_model(sm, {"SAMPLE_MODE": "echo"}), bucket, "",
                          data_type="ManifestFile", uri=f"s3://{bucket}/{base}list.manifest", split="Line")
    d = wait_transform(sm, name)
    assert d["TransformJobStatus"] == "Completed", d.get("FailureReason")
    assert outputs(s3, out) == {"a/one.csv.out": b"1\n", "b/two.csv.out": b"2\n"}


def test_concurrent_transforms_really_run_in_parallel(jobs_server, sm, s3, bucket):
    """Judged by when the container saw each invocation begin (its log
    lines' times), not by the job's wall time: that includes the
    container's start and stop, which take seconds more when the machine
    is busy with other tests (16 s was seen in a full run)."""
    prefix = f"in/{uniq('par')}/"
    s3.put_object(Bucket=bucket, Key=prefix + "slow.csv", Body=b"".join(b"%d\n" % i for i in range(8)))
    model = make_model(sm, {"SAMPLE_MODE": "echo", "SAMPLE_DELAY_MS": "1000", "SAMPLE_LOG_INVOCATIONS": "1"})
    name, out = transform(sm, model, bucket, prefix, split="Line", strategy="SingleRecord", concurrency=4)
    d = wait_transform(sm, name)
    assert d["TransformJobStatus"] == "Completed", d.get("FailureReason")
    assert outputs(s3, out) == {"slow.csv.out": b"".join(b"%d\n" % i for i in range(8))}
    logs = jobs_server.client(service="logs")
    [stream] = logs.describe_log_streams(logGroupName="/aws/sagemaker/TransformJobs",
                                         logStreamNamePrefix=f"{name}/")["logStreams"]
    events = logs.get_log_events(logGroupName="/aws/sagemaker/TransformJobs",
                                 logStreamName=stream["logStreamName"], startFromHead=True)["events"]
    starts = sorted(e["timestamp"] for e in events if e["message"].startswith("invocation:"))
    assert len(starts) == 8, events
    # Each invocation takes 1 s: one at a time, four would begin over 3 s,
    # which whole-second times (Podman's log API) show as at least 2 s;
    # in flight together, within one second or across a second's edge.
    window = min(starts[i + 3] - starts[i] for i in range(len(starts) - 3))
    assert window <= 1000, f"no four invocations overlapped; begun at (ms) {[t - starts[0] for t in starts]}"


def test_model_from_a_training_job(sm, s3, bucket):
    put_training_data(s3, bucket, "tr/")
    job = uniq("for-transform")
    sm.create_training_job(**training_request(job, bucket, [channel("train", f"s3://{bucket}/tr/")],
                                              hyper={"epochs": "300"}))
    trained = wait_for(sm, job)
    assert trained["TrainingJobStatus"] == "Completed", trained.get("FailureReason")
    model = make_model(sm, None, trained["ModelArtifacts"]["S3ModelArtifacts"])
    prefix = f"in/{uniq('pred')}/"
    s3.put_object(Bucket=bucket, Key=prefix + "q.csv", Body=b"1,1\n2,-1\n")
    name, out = transform(sm, model, bucket, prefix, split="Line", content_type="text/csv", accept="text/csv")
    d = wait_transform(sm, name)
    assert d["TransformJobStatus"] == "Completed", d.get("FailureReason")
    preds = [float(x) for x in outputs(s3, out)["q.csv.out"].split()]
    assert abs(preds[0] - 2) < 0.05 and abs(preds[1] - 9) < 0.05, preds


def _tar(entries: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def test_unsafe_model_archive_is_refused(sm, s3, bucket):
    evil = tarfile.TarInfo("../../escape.txt")
    evil.size = 4
    key = f"models/{uniq('evil')}/model.tar.gz"
    s3.put_object(Bucket=bucket, Key=key, Body=_tar([(evil, b"evil")]))
    model = make_model(sm, None, f"s3://{bucket}/{key}")
    prefix = f"in/{uniq('evil')}/"
    s3.put_object(Bucket=bucket, Key=prefix + "q.csv", Body=b"1,1\n")
    name, out = transform(sm, model, bucket, prefix, split="Line")
    d = wait_transform(sm, name)
    assert d["TransformJobStatus"] == "Failed"
    assert d["FailureReason"].startswith("ClientError: the model s3://") and "escape.txt" in d["FailureReason"], d["FailureReason"]
    assert outputs(s3, out) == {}


@pytest.mark.parametrize("mode, expect", [
    ("error500", "500"),
    ("crash-after-ready", "AlgorithmError"),
])
def test_failing_invocations_fail_the_job_with_a_reason(sm, s3, bucket, mode, expect):
    prefix = f"in/{uniq(mode)}/"
    s3.put_object(Bucket=bucket, Key=prefix + "a.csv", Body=b"1,2\n")
    name, out = transform(sm, make_model(sm, {"SAMPLE_MODE": mode}), bucket, prefix, split="Line",
                          content_type="text/csv", client_config={"InvocationsMaxRetries": 1, "InvocationsTimeoutInSeconds": 5})
    d = wait_transform(sm, name)
    assert d["TransformJobStatus"] == "Failed"
    reason = d["FailureReason"]
    assert f"s3://{bucket}/{prefix}a.csv" in reason and expect in reason, reason
    assert outputs(s3, out) == {}
    assert containers_of(d["TransformJobArn"]) == []


def test_hanging_invocation_times_out(sm, s3, bucket):
    prefix = f"in/{uniq('hang')}/"
    s3.put_object(Bucket=bucket, Key=prefix + "a.csv", Body=b"1,2\n")
    name, _ = transform(sm, make_model(sm, {"SAMPLE_MODE": "hang"}), bucket, prefix, split="Line",
                        client_config={"InvocationsMaxRetries": 0, "InvocationsTimeoutInSeconds": 1})
    d = wait_transform(sm, name)
    assert d["TransformJobStatus"] == "Failed" and "tim" in d["FailureReason"].lower(), d["FailureReason"]


def test_huge_answers_are_assembled(sm, s3, bucket):
    prefix = f"in/{uniq('huge')}/"
    s3.put_object(Bucket=bucket, Key=prefix + "a.csv", Body=b"1,2\n")
    name, out = transform(sm, make_model(sm, {"SAMPLE_MODE": "huge"}), bucket, prefix, split="Line")
    d = wait_transform(sm, name)
    assert d["TransformJobStatus"] == "Completed", d.get("FailureReason")
    head = s3.head_object(Bucket=bucket, Key=out[len(f"s3://{bucket}/"):] + "/a.csv.out")
    assert head["ContentLength"] == 50 * 1024 * 1024


def test_never_ready_container_fails_after_the_ready_timeout(server_factory):
    srv = server_factory(env={**TEST_ACCOUNT_ENV, "SLIPWAY_JOB_READY_TIMEOUT_SECONDS": "3"}).start()
    sm, s3 = srv.client(), s3_client(srv)
    b = new_bucket(s3, "ready")
    s3.put_object(Bucket=b, Key="in/a.csv", Body=b"1\n")
    name, _ = transform(sm, make_model(sm, {"SAMPLE_MODE": "never-ready"}), b, "in/")
    d = wait_transform(sm, name, timeout=60)
    assert d["TransformJobStatus"] == "Failed"
    assert "did not answer GET /ping with 200 within 3 s" in d["FailureReason"], d["FailureReason"]


def test_stop_transform_job(sm, s3, bucket):
    prefix = f"in/{uniq('stop')}/"
    s3.put_object(Bucket=bucket, Key=prefix + "a.csv", Body=b"1,2\n")
    name, out = transform(sm, make_model(sm, {"SAMPLE_MODE": "hang"}), bucket, prefix, split="Line")
    time.sleep(1.5)
    sm.stop_transform_job(TransformJobName=name)
    d = wait_transform(sm, name, timeout=60)
    assert d["TransformJobStatus"] == "Stopped"
    assert outputs(s3, out) == {}
    with pytest.raises(ClientError) as e:
        sm.stop_transform_job(TransformJobName=name)
    assert error_of(e)[0] == "ValidationException"


def test_record_larger_than_the_payload_limit_fails_with_client_error(sm, s3, bucket):
    prefix = f"in/{uniq('toolarge')}/"
    s3.put_object(Bucket=bucket, Key=prefix + "a.csv", Body=b"small\n" + b"x" * (2 * 1024 * 1024) + b"\n")
    name, _ = transform(sm, make_model(sm, {"SAMPLE_MODE": "echo"}), bucket, prefix, split="Line",
                        strategy="MultiRecord", max_payload=1)
    d = wait_transform(sm, name)
    assert d["TransformJobStatus"] == "Failed"
    assert d["FailureReason"].startswith("ClientError") and "record 2" in d["FailureReason"], d["FailureReason"]


@pytest.mark.parametrize("change, text", [
    ({"MaxPayloadInMB": 101}, "MaxPayloadInMB"),
    ({"MaxPayloadInMB": 30, "MaxConcurrentTransforms": 4}, "exceeds 100"),
    ({"ModelName": "no-such-model"}, "Could not find model"),
])
def test_bad_transform_requests(sm, bucket, change, text):
    model = make_model(sm, {"SAMPLE_MODE": "echo"})
    req = {"TransformJobName": uniq("bad"), "ModelName": model,
           "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/in/"}}},
           "TransformOutput": {"S3OutputPath": f"s3://{bucket}/out"},
           "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1}}
    req.update(change)
    with pytest.raises(ClientError) as e:
        sm.create_transform_job(**req)
    code, message, _ = error_of(e)
    assert code == "ValidationException" and text in message, message


def test_models_api(sm):
    name = make_model(sm, {"A": "1"})
    d = sm.describe_model(ModelName=name)
    assert d["PrimaryContainer"]["Environment"] == {"A": "1"} and d["ModelArn"].endswith(f":model/{name}")
    assert any(m["ModelName"] == name for m in sm.list_models(NameContains=name)["Models"])
    with pytest.raises(ClientError) as e:
        sm.create_model(ModelName=name, PrimaryContainer={"Image": SAMPLE_IMAGE}, ExecutionRoleArn=ROLE)
    assert error_of(e)[0] == "ValidationException" and "already existing model" in error_of(e)[1]
    sm.delete_model(ModelName=name)
    with pytest.raises(ClientError) as e:
        sm.describe_model(ModelName=name)
    assert error_of(e)[0] == "ValidationException" and "Could not find model" in error_of(e)[1]


def test_jsonlines_filters_and_join(sm, s3, bucket):
    prefix = f"in/{uniq('jsonl')}/"
    lines = [{"id": 5, "features": [1, 2]}, {"id": 6, "features": [4, 8]}]
    s3.put_object(Bucket=bucket, Key=prefix + "r.jsonl", Body="".join(json.dumps(l) + "\n" for l in lines).encode())
    # No ModelDataUrl: the image's baked-in model (0.5·x1 + 0.25·x2 + 10).
    name, out = transform(sm, make_model(sm, {}), bucket, prefix, split="Line", strategy="MultiRecord",
                          content_type="application/jsonlines", accept="application/jsonlines", assemble="Line",
                          data_processing={"InputFilter": "$.features", "JoinSource": "Input",
                                           "OutputFilter": "$['id','SageMakerOutput']"})
    d = wait_transform(sm, name)
    assert d["TransformJobStatus"] == "Completed", d.get("FailureReason")
    got = [json.loads(l) for l in outputs(s3, out)["r.jsonl.out"].decode().splitlines()]
    assert got == [{"id": 5, "SageMakerOutput": {"prediction": 11.0}},
                   {"id": 6, "SageMakerOutput": {"prediction": 14.0}}]


def test_max_payload_zero_streams_the_whole_object(sm, s3, bucket):
    prefix = f"in/{uniq('stream')}/"
    body = b"".join(b"%d,%d\n" % (i, i) for i in range(200_000))  # ~2.6 MB, one request
    s3.put_object(Bucket=bucket, Key=prefix + "all.csv", Body=body)
    name, out = transform(sm, make_model(sm, {"SAMPLE_MODE": "echo"}), bucket, prefix, max_payload=0)
    d = wait_transform(sm, name)
    assert d["TransformJobStatus"] == "Completed", d.get("FailureReason")
    assert outputs(s3, out) == {"all.csv.out": body}


def test_unsupported_content_type_fails_with_415_and_logs_are_kept(sm, s3, bucket):
    prefix = f"in/{uniq('415')}/"
    s3.put_object(Bucket=bucket, Key=prefix + "a.txt", Body=b"hello\n")
    name, _ = transform(sm, make_model(sm, {}), bucket, prefix, split="Line", content_type="text/plain",
                        client_config={"InvocationsMaxRetries": 0})
    d = wait_transform(sm, name)
    assert d["TransformJobStatus"] == "Failed"
    assert "HTTP 415" in d["FailureReason"] and "unsupported Content-Type" in d["FailureReason"], d["FailureReason"]


def test_transform_logs_reach_cloudwatch(jobs_server, sm, s3, bucket):
    prefix = f"in/{uniq('logs')}/"
    s3.put_object(Bucket=bucket, Key=prefix + "a.csv", Body=b"1,2\n")
    name, _ = transform(sm, make_model(sm, {}), bucket, prefix, split="Line", content_type="text/csv")
    assert wait_transform(sm, name)["TransformJobStatus"] == "Completed"
    logs = jobs_server.client(service="logs")
    deadline = time.time() + 10
    while True:
        try:
            streams = logs.describe_log_streams(logGroupName="/aws/sagemaker/TransformJobs",
                                                logStreamNamePrefix=f"{name}/")["logStreams"]
        except logs.exceptions.ResourceNotFoundException:
            streams = []
        if streams or time.time() > deadline:
            break
        time.sleep(0.3)
    assert len(streams) == 1 and streams[0]["logStreamName"].startswith(f"{name}/i-")
    deadline = time.time() + 10
    while True:
        events = logs.get_log_events(logGroupName="/aws/sagemaker/TransformJobs",
                                     logStreamName=streams[0]["logStreamName"], startFromHead=True)["events"]
        if any("serve" in e["message"] for e in events) or time.time() > deadline:
            break
        time.sleep(0.3)
    assert any("serve" in e["message"] for e in events), events
