"""What a network-isolated container tried to reach ends up in its own
CloudWatch log stream (docs/jobs.md "Logs", docs/architecture.md "Security
model"): a real server runs a busybox training job with
EnableNetworkIsolation through Podman, driven by boto3."""

from __future__ import annotations

import re

import pytest

from jobs_helpers import ensure_images, put_training_data, shell_job, uniq, wait_for
from s3_helpers import new_bucket, s3 as s3_client

PREFIX = "[slipway] network isolation: "


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
    b = new_bucket(s3, "netiso")
    put_training_data(s3, b)
    return b


def stream_messages(jobs_server, job: str) -> list[str]:
    logs = jobs_server.client(service="logs")
    group = "/aws/sagemaker/TrainingJobs"
    stream = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=job)["logStreams"][0]
    messages, token = [], None
    while True:
        kw = {"nextToken": token} if token else {}
        page = logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"],
                                   startFromHead=True, **kw)
        messages += [e["message"] for e in page["events"]]
        if page["nextForwardToken"] == token:
            return messages
        token = page["nextForwardToken"]


def test_an_isolated_training_job_logs_what_it_tried_to_download(jobs_server, sm, s3, bucket):
    """The container tries to download its weights (busybox's static wget
    crashes in its resolver, so `nc` sends the same request), then looks up
    many names: the attempts are in its log stream, at most 100 of them,
    and nothing answered it."""
    name = uniq("netiso")
    script = (
        "printf 'GET /weights.bin HTTP/1.1\\r\\nHost: models.example.com\\r\\n\\r\\n'"
        " | nc -w 3 models.example.com 80 > /tmp/answer\n"
        "[ -s /tmp/answer ] && echo got-an-answer\n"
        "for i in $(seq 1 80); do nslookup n$i.example.org 127.0.0.1 >/dev/null 2>&1; done\n"
        "echo weights unavailable\n"
    )
    sm.create_training_job(**shell_job(s3, name, bucket, script, EnableNetworkIsolation=True))
    d = wait_for(sm, name)
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    messages = stream_messages(jobs_server, name)
    assert "weights unavailable" in messages
    assert "got-an-answer" not in messages
    attempts = [m[len(PREFIX):] for m in messages if m.startswith(PREFIX)]
    assert "resolve models.example.com (A)" in attempts, attempts
    assert any(re.fullmatch(
        r"connect models\.example\.com:80 \(198\.1[89]\.\d+\.\d+\): "
        r"GET http://models\.example\.com/weights\.bin", a) for a in attempts), attempts
    # 80 look-ups of A and AAAA: 100 lines, then how many more there were.
    assert len(attempts) == 101, attempts[-3:]
    more = re.fullmatch(r"(\d+) more attempts to reach the network were not logged \(at most 100 are\)",
                        attempts[-1])
    assert more and int(more.group(1)) >= 60, attempts[-1]


def test_a_job_with_a_network_logs_no_isolation_lines(jobs_server, sm, s3, bucket):
    """Without EnableNetworkIsolation nothing is recorded (the container
    only talks to itself here, so no traffic leaves the machine)."""
    name = uniq("netok")
    sm.create_training_job(**shell_job(
        s3, name, bucket, "nslookup models.example.com 127.0.0.1; echo finished\n"))
    d = wait_for(sm, name)
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    messages = stream_messages(jobs_server, name)
    assert "finished" in messages
    assert not [m for m in messages if m.startswith(PREFIX)], messages
