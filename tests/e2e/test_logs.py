"""The CloudWatch Logs subset (job logs) against a real `slipway serve`:
boto3, the SageMaker Python SDK's own log-reading functions, the AWS CLI,
the polling pattern of AWS CLI v2's `aws logs tail`, AWS's limits and
errors, and account isolation."""

from __future__ import annotations

import contextlib
import io
import json
import time
from collections import defaultdict

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

import sagemaker.logs
import sagemaker.session
from e2e_helpers import JSON_CT, error_of, send_raw, uniq

HOUR_MS = 3_600_000


def now_ms() -> int:
    return int(time.time() * 1000)


@pytest.fixture(scope="module")
def logs(module_server):
    return module_server.client(service="logs")


@pytest.fixture(scope="module")
def raw_logs(module_server):
    """boto3 without client-side parameter validation, so limits reach the server."""
    return module_server.client(service="logs", validate=False)


def new_stream(logs, group: str | None = None, stream: str = "s") -> tuple[str, str]:
    group = group or "/slipway/test/" + uniq("g")
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    return group, stream


def put(logs, group, stream, events):
    return logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": t, "message": m} for t, m in events],
    )


def messages(events) -> list[str]:
    return [e["message"] for e in events]


# -- GetLogEvents ----------------------------------------------------------------


def test_put_then_get_from_head_and_tail(logs):
    group, stream = new_stream(logs)
    t0 = now_ms() - 10_000
    put(logs, group, stream, [(t0, "one"), (t0 + 1, "two")])
    put(logs, group, stream, [(t0 + 2, "three")])
    head = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)
    assert messages(head["events"]) == ["one", "two", "three"]
    assert [e["timestamp"] for e in head["events"]] == [t0, t0 + 1, t0 + 2]
    assert all(abs(e["ingestionTime"] - now_ms()) < 60_000 for e in head["events"])
    assert head["nextForwardToken"].startswith("f/") and head["nextBackwardToken"].startswith("b/")
    # Without startFromHead the newest events come back (still oldest first).
    tail = logs.get_log_events(logGroupName=group, logStreamName=stream, limit=2)
    assert messages(tail["events"]) == ["two", "three"]
    back = logs.get_log_events(
        logGroupName=group, logStreamName=stream, nextToken=tail["nextBackwardToken"]
    )
    assert messages(back["events"]) == ["one"]
    # At the start going backward, the same backward token returns.
    again = logs.get_log_events(
        logGroupName=group, logStreamName=stream, nextToken=back["nextBackwardToken"]
    )
    assert again["events"] == [] and again["nextBackwardToken"] == back["nextBackwardToken"]


def test_forward_token_repeats_at_the_end_and_picks_up_new_events(logs):
    group, stream = new_stream(logs)
    t0 = now_ms() - 60_000
    put(logs, group, stream, [(t0 + i, f"line {i}") for i in range(25)])
    seen, token, calls = [], None, 0
    while True:
        kw = {"nextToken": token} if token else {}
        page = logs.get_log_events(
            logGroupName=group, logStreamName=stream, startFromHead=True, limit=10, **kw
        )
        calls += 1
        seen += messages(page["events"])
        if page["nextForwardToken"] == token:
            assert page["events"] == []
            break
        token = page["nextForwardToken"]
        assert calls < 10, "the forward token never repeated"
    assert seen == [f"line {i}" for i in range(25)]
    assert calls == 4  # 10 + 10 + 5, then the repeated token
    put(logs, group, stream, [(t0 + 100, "late")])
    page = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True, nextToken=token)
    assert messages(page["events"]) == ["late"]


def test_empty_stream_tokens_lead_to_later_events(logs):
    group, stream = new_stream(logs)
    first = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)
    assert first["events"] == []
    put(logs, group, stream, [(now_ms(), "hello")])
    nxt = logs.get_log_events(
        logGroupName=group, logStreamName=stream, startFromHead=True, nextToken=first["nextForwardToken"]
    )
    assert messages(nxt["events"]) == ["hello"]


def test_time_range_is_start_inclusive_end_exclusive(logs):
    group, stream = new_stream(logs)
    t0 = now_ms() - 60_000
    put(logs, group, stream, [(t0 + i * 10, f"e{i}") for i in range(6)])
    page = logs.get_log_events(
        logGroupName=group, logStreamName=stream, startTime=t0 + 10, endTime=t0 + 40, startFromHead=True
    )
    assert messages(page["events"]) == ["e1", "e2", "e3"]


def test_equal_timestamps_keep_append_order(logs):
    group, stream = new_stream(logs)
    t = now_ms() - 1000
    put(logs, group, stream, [(t, f"a{i}") for i in range(5)])
    put(logs, group, stream, [(t, f"b{i}") for i in range(5)])
    page = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)
    assert messages(page["events"]) == [f"a{i}" for i in range(5)] + [f"b{i}" for i in range(5)]


def test_one_megabyte_page_cap(logs):
    group, stream = new_stream(logs)
    t = now_ms() - 1000
    big = "x" * 200_000
    for i in range(3):  # 6 events of ~200 KB: more than 1 MB in total
        put(logs, group, stream, [(t + 2 * i, big), (t + 2 * i + 1, big)])
    page = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)
    assert len(page["events"]) == 5
    rest = logs.get_log_events(
        logGroupName=group, logStreamName=stream, startFromHead=True, nextToken=page["nextForwardToken"]
    )
    assert len(rest["events"]) == 1


# -- The SageMaker Python SDK's reading path ------------------------------------


def test_sagemaker_sdk_flush_log_streams_prints_every_line_once(logs):
    """`Session.logs_for_job` polls `_flush_log_streams`: DescribeLogStreams
    with prefix `<job>/`, then `multi_stream_iter` over GetLogEvents with
    startFromHead and nextToken, keeping (timestamp, skip) positions."""
    group = "/aws/sagemaker/TrainingJobs-" + uniq("sdk")
    job = uniq("job")
    t0 = now_ms() - 30_000
    s1, s2 = f"{job}/algo-1-1700000000", f"{job}/algo-2-1700000000"
    logs.create_log_group(logGroupName=group)
    put_runner = {s1: [(t0, "1-a"), (t0 + 2, "1-b"), (t0 + 2, "1-c")], s2: [(t0 + 1, "2-a"), (t0 + 3, "2-b")]}
    for s, evs in put_runner.items():
        logs.create_log_stream(logGroupName=group, logStreamName=s)
        put(logs, group, s, evs)
    # A stream of another job with the same prefix characters must not show.
    new_stream(logs, group, job + "x/algo-1-1")
    put(logs, group, job + "x/algo-1-1", [(t0, "other job")])

    positions: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        sagemaker.session._flush_log_streams(
            [], 2, logs, group, job, positions, False, sagemaker.logs.ColorWrap(force=False)
        )
    assert out.getvalue().splitlines() == ["1-a", "2-a", "1-b", "1-c", "2-b"]
    assert sorted(positions) == [s1, s2]
    assert positions[s1] == sagemaker.logs.Position(timestamp=t0 + 2, skip=2)

    # More output arrives, including one more line at an already-seen
    # timestamp: the next poll prints only the new lines.
    put(logs, group, s1, [(t0 + 2, "1-d"), (t0 + 5, "1-e")])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        sagemaker.session._flush_log_streams(
            [s1, s2], 2, logs, group, job, positions, False, sagemaker.logs.ColorWrap(force=False)
        )
    assert out.getvalue().splitlines() == ["1-d", "1-e"]


def test_sagemaker_sdk_ignores_a_missing_group_until_the_job_logs(logs):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        sagemaker.session._flush_log_streams(
            [], 1, logs, "/aws/sagemaker/" + uniq("Nope"), "job", {}, False, sagemaker.logs.ColorWrap(force=False)
        )
    assert out.getvalue() == "."  # the SDK prints a dot when there is nothing yet


# -- DescribeLogGroups / DescribeLogStreams --------------------------------------


def test_describe_log_streams_prefix_order_and_pagination(logs):
    group = "/slipway/test/" + uniq("desc")
    logs.create_log_group(logGroupName=group)
    t0 = now_ms() - 100_000
    names = [f"job/algo-{i}" for i in range(7)]
    for i, n in enumerate(names):
        logs.create_log_stream(logGroupName=group, logStreamName=n)
        put(logs, group, n, [(t0 + (7 - i) * 1000, f"m{i}")])
    logs.create_log_stream(logGroupName=group, logStreamName="zzz-other")
    pages = list(
        logs.get_paginator("describe_log_streams").paginate(
            logGroupName=group, logStreamNamePrefix="job/", PaginationConfig={"PageSize": 3}
        )
    )
    assert [len(p["logStreams"]) for p in pages] == [3, 3, 1]
    assert "nextToken" not in pages[-1]
    listed = [s for p in pages for s in p["logStreams"]]
    assert [s["logStreamName"] for s in listed] == names
    s0 = listed[0]
    assert s0["firstEventTimestamp"] == s0["lastEventTimestamp"] == t0 + 7000
    assert s0["arn"].endswith(f":log-group:{group}:log-stream:job/algo-0")
    assert s0["storedBytes"] == 2 and "lastIngestionTime" in s0 and "creationTime" in s0
    newest = logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", descending=True, limit=2)
    assert [s["logStreamName"] for s in newest["logStreams"]] == ["job/algo-0", "job/algo-1"]
    assert "nextToken" in newest
    exact = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix="job/", limit=7)
    assert "nextToken" not in exact, "a full last page must not carry a token (the SDK loops on it)"


def test_describe_log_groups_prefix_and_pagination(logs):
    base = "/slipway/grp-" + uniq("p")
    made = [f"{base}/{c}" for c in "abcde"]
    for g in made:
        logs.create_log_group(logGroupName=g)
    pages = list(
        logs.get_paginator("describe_log_groups").paginate(
            logGroupNamePrefix=base + "/", PaginationConfig={"PageSize": 2}
        )
    )
    assert [g["logGroupName"] for p in pages for g in p["logGroups"]] == made
    assert len(pages) == 3
    g = pages[0]["logGroups"][0]
    assert g["arn"] == g["logGroupArn"] + ":*" and g["logGroupArn"].startswith("arn:aws:logs:")
    # logGroupNamePattern: case-sensitive substring; the reply is brief.
    found = logs.describe_log_groups(logGroupNamePattern=base.rsplit("-", 1)[1] + "/c")["logGroups"]
    assert [g["logGroupName"] for g in found] == [made[2]]
    assert set(found[0]) == {"logGroupName", "creationTime", "arn"}
    assert logs.describe_log_groups(logGroupNamePattern=base.rsplit("-", 1)[1] + "/C")["logGroups"] == []
    logs.delete_log_group(logGroupName=made[0])
    left = logs.describe_log_groups(logGroupNamePrefix=base + "/")["logGroups"]
    assert [g["logGroupName"] for g in left] == made[1:]


# -- FilterLogEvents ---------------------------------------------------------------


@pytest.fixture(scope="module")
def filter_group(logs):
    group = "/slipway/test/" + uniq("filter")
    t0 = now_ms() - 50_000
    data = {
        "job/algo-1": [(t0, "ERROR disk full"), (t0 + 20, "INFO epoch 1 loss=0.5"), (t0 + 40, "WARN slow")],
        "job/algo-2": [(t0 + 10, "INFO epoch 1 acc=0.9"), (t0 + 30, "ERROR will retry")],
        "other": [(t0 + 15, "INFO health check")],
    }
    for s, evs in data.items():
        new_stream(logs, group, s)
        put(logs, group, s, evs)
    return group, t0


def test_filter_interleaves_streams_in_time_order(logs, filter_group):
    group, t0 = filter_group
    page = logs.filter_log_events(logGroupName=group)
    assert messages(page["events"]) == [
        "ERROR disk full", "INFO epoch 1 acc=0.9", "INFO health check",
        "INFO epoch 1 loss=0.5", "ERROR will retry", "WARN slow",
    ]
    assert "nextToken" not in page
    ev = page["events"][0]
    assert ev["logStreamName"] == "job/algo-1" and ev["timestamp"] == t0 and ev["ingestionTime"] > 0
    assert len({e["eventId"] for e in page["events"]}) == 6
    again = logs.filter_log_events(logGroupName=group)
    assert [e["eventId"] for e in again["events"]] == [e["eventId"] for e in page["events"]]
    newest = logs.filter_log_events(logGroupName=group, startFromHead=False, limit=2)
    assert messages(newest["events"]) == ["WARN slow", "ERROR will retry"] and "nextToken" in newest


@pytest.mark.parametrize(
    "pattern, expected",
    [
        ("ERROR", ["ERROR disk full", "ERROR will retry"]),
        ("ERROR retry", ["ERROR will retry"]),
        ('"epoch 1"', ["INFO epoch 1 acc=0.9", "INFO epoch 1 loss=0.5"]),
        ("?WARN ?disk", ["ERROR disk full", "WARN slow"]),
        ("INFO -health", ["INFO epoch 1 acc=0.9", "INFO epoch 1 loss=0.5"]),
        ("error", []),
    ],
)
def test_filter_patterns(logs, filter_group, pattern, expected):
    group, _ = filter_group
    assert messages(logs.filter_log_events(logGroupName=group, filterPattern=pattern)["events"]) == expected


def test_filter_by_stream_names_prefix_and_time(logs, filter_group):
    group, t0 = filter_group
    by_prefix = logs.filter_log_events(logGroupName=group, logStreamNamePrefix="job/algo-2")
    assert {e["logStreamName"] for e in by_prefix["events"]} == {"job/algo-2"}
    by_names = logs.filter_log_events(logGroupName=group, logStreamNames=["other", "job/algo-2"])
    assert len(by_names["events"]) == 3
    # startTime and endTime are both inclusive for FilterLogEvents.
    window = logs.filter_log_events(logGroupName=group, startTime=t0 + 10, endTime=t0 + 30)
    assert [e["timestamp"] - t0 for e in window["events"]] == [10, 15, 20, 30]
    with pytest.raises(ClientError) as ei:
        logs.filter_log_events(logGroupName=group, logStreamNames=["other"], logStreamNamePrefix="job/")
    assert error_of(ei)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as ei:
        logs.filter_log_events(logGroupName=group, filterPattern='{ $.level = "ERROR" }')
    assert error_of(ei)[0] == "InvalidParameterException"


def test_filter_paginates_with_next_token(logs, filter_group):
    group, _ = filter_group
    pages = list(logs.get_paginator("filter_log_events").paginate(logGroupName=group, PaginationConfig={"PageSize": 4}))
    assert [len(p["events"]) for p in pages] == [4, 2]
    assert "nextToken" not in pages[-1]
    matched = list(
        logs.get_paginator("filter_log_events").paginate(
            logGroupName=group, filterPattern="INFO", PaginationConfig={"PageSize": 1}
        )
    )
    assert [m for p in matched for m in messages(p["events"])] == [
        "INFO epoch 1 acc=0.9", "INFO health check", "INFO epoch 1 loss=0.5"
    ]


def tail_follow(logs, group: str, start: int, polls: int, between):
    """AWS CLI v2's `aws logs tail --follow` loop (awscli/customizations/logs/
    tail.py): FilterLogEvents with startTime (and interleaved), follow
    nextToken while present, then restart from the newest timestamp seen,
    dropping events already printed (by eventId, per timestamp)."""
    kwargs = {"logGroupName": group, "startTime": start, "interleaved": True}
    seen_ids = defaultdict(set)
    printed = []
    for poll in range(polls):
        while True:
            resp = logs.filter_log_events(**kwargs)
            for e in resp["events"]:
                if e["eventId"] not in seen_ids[e["timestamp"]]:
                    seen_ids[e["timestamp"]].add(e["eventId"])
                    printed.append(e["message"])
            if "nextToken" in resp:
                kwargs["nextToken"] = resp["nextToken"]
            else:
                break
        if seen_ids:
            newest = max(seen_ids)
            seen_ids = defaultdict(set, {newest: seen_ids[newest]})
            kwargs["startTime"] = newest
        kwargs.pop("nextToken", None)
        between(poll)
    return printed


def test_aws_cli_v2_tail_polling_sees_each_event_once(logs):
    group = "/slipway/test/" + uniq("tail")
    new_stream(logs, group, "a")
    new_stream(logs, group, "b")
    t0 = now_ms() - 10_000
    put(logs, group, "a", [(t0 - 5_000, "before start")] + [(t0 + i, f"a{i}") for i in range(3)])
    expected = [f"a{i}" for i in range(3)]

    def between(poll):
        # New lines land at the newest timestamp already seen, and later.
        ts = t0 + 2 + poll
        put(logs, group, "b", [(ts, f"b{poll}-same"), (ts + 1, f"b{poll}-next")])
        expected.extend([f"b{poll}-same", f"b{poll}-next"])

    printed = tail_follow(logs, group, t0, polls=4, between=between)
    # The last `between` ran after the last poll; its lines are not read.
    assert printed == expected[:-2]
    assert len(printed) == len(set(printed))


# -- Limits and errors -----------------------------------------------------------


def test_put_log_events_limits(raw_logs):
    logs = raw_logs
    group, stream = new_stream(logs)
    t = now_ms() - 1000

    def err(events):
        with pytest.raises(ClientError) as ei:
            put(logs, group, stream, events)
        return error_of(ei)

    code, msg, status = err([(t + i, "x") for i in range(10_001)])
    assert (code, status) == ("InvalidParameterException", 400)
    assert "at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to 10000" in msg
    code, msg, _ = err([(t, "late"), (t - 1, "early")])
    assert code == "InvalidParameterException" and "chronological order" in msg
    code, msg, _ = err([(t - 25 * HOUR_MS, "old"), (t, "new")])
    assert code == "InvalidParameterException" and "cannot span more than 24 hours" in msg
    # 1,048,576 bytes counting 26 per event: exactly the limit passes, one more fails.
    half = (1_048_576 - 2 * 26) // 2
    put(logs, group, stream, [(t, "a" * half), (t, "b" * half)])
    code, msg, _ = err([(t, "a" * half), (t, "b" * (half + 1))])
    assert (code, msg) == ("InvalidParameterException", "Upload too large: 1048577 bytes exceeds limit of 1048576")
    code, msg, _ = err([])
    assert code == "InvalidParameterException" and "length greater than or equal to 1" in msg
    ok = put(logs, group, stream, [(t, "fits")])
    assert "nextSequenceToken" in ok and "rejectedLogEventsInfo" not in ok


def test_too_old_and_too_new_events_are_rejected_not_stored(logs):
    group, stream = new_stream(logs)
    now = now_ms()
    # The 24-hour span rule applies to the events that are kept only.
    resp = put(logs, group, stream, [
        (now - 14 * 24 * HOUR_MS - 60_000, "too old"),
        (now, "fine"),
        (now + 3 * HOUR_MS, "too new"),
    ])
    # AWS answers the index of the last too-old event (0 here), not one past it.
    assert resp["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 0, "tooNewLogEventStartIndex": 2}
    page = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)
    assert messages(page["events"]) == ["fine"]


def test_read_limits_and_bad_input(raw_logs):
    logs = raw_logs
    group, stream = new_stream(logs)

    def err(call, **kw):
        with pytest.raises(ClientError) as ei:
            call(**kw)
        return error_of(ei)

    code, msg, _ = err(logs.get_log_events, logGroupName=group, logStreamName=stream, limit=10_001)
    assert (code, msg) == (
        "InvalidParameterException",
        "1 validation error detected: Value '10001' at 'limit' failed to satisfy constraint: "
        "Member must have value less than or equal to 10000",
    )
    code, msg, _ = err(logs.describe_log_streams, logGroupName=group, limit=51)
    assert code == "InvalidParameterException" and "less than or equal to 50" in msg
    code, msg, _ = err(logs.describe_log_streams, logGroupName=group, limit=0)
    assert code == "InvalidParameterException" and "greater than or equal to 1" in msg
    code, msg, _ = err(
        logs.describe_log_streams, logGroupName=group, orderBy="LastEventTime", logStreamNamePrefix="s"
    )
    assert (code, msg) == ("InvalidParameterException", "Cannot order by LastEventTime with a logStreamNamePrefix.")
    code, _, _ = err(logs.describe_log_streams)
    assert code == "InvalidParameterException"
    code, _, _ = err(logs.filter_log_events, logGroupName=group, limit=10_001)
    assert code == "InvalidParameterException"
    code, msg, _ = err(logs.get_log_events, logGroupName=group, logStreamName=stream, nextToken="f/garbage")
    assert code == "InvalidParameterException" and "nextToken" in msg
    code, msg, _ = err(logs.create_log_group, logGroupName="bad name!")
    assert code == "InvalidParameterException" and "regular expression pattern" in msg
    code, msg, _ = err(logs.create_log_group, logGroupName=group)
    assert (code, msg) == ("ResourceAlreadyExistsException", "The specified log group already exists")
    code, _, _ = err(logs.create_log_stream, logGroupName=group, logStreamName=stream)
    assert code == "ResourceAlreadyExistsException"
    code, msg, _ = err(logs.get_log_events, logGroupName=group, logStreamName="missing")
    assert (code, msg) == ("ResourceNotFoundException", "The specified log stream does not exist.")
    code, msg, _ = err(lambda: put(logs, group, "missing", [(now_ms(), "x")]))
    assert code == "ResourceNotFoundException"
    code, msg, _ = err(logs.describe_log_streams, logGroupName=group + "-missing")
    assert (code, msg) == ("ResourceNotFoundException", "The specified log group does not exist.")
    code, _, _ = err(logs.delete_log_group, logGroupName=group + "-missing")
    assert code == "ResourceNotFoundException"


def test_log_group_identifier_accepts_name_or_arn(logs):
    group, stream = new_stream(logs)
    put(logs, group, stream, [(now_ms(), "via arn")])
    arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["logGroupArn"]
    # The identifier pattern has no `*`, so the `arn` form (`...:*`) is refused by the model.
    for ident in (group, arn):
        page = logs.get_log_events(logGroupIdentifier=ident, logStreamName=stream, startFromHead=True)
        assert messages(page["events"]) == ["via arn"], ident


# -- Protocol and accounts ---------------------------------------------------------


def _signed_for(server, target: str, body: dict, service: str):
    data = json.dumps(body).encode()
    req = AWSRequest(method="POST", url=server.endpoint + "/", data=data,
                     headers={"Content-Type": JSON_CT, "X-Amz-Target": target})
    SigV4Auth(Credentials(server.access_key, server.secret_key), service, server.region).add_auth(req)
    return send_raw(server.host_port, "POST", "/", data, dict(req.headers.items()))


def test_signature_must_be_scoped_to_logs(module_server):
    ok = _signed_for(module_server, "Logs_20140328.DescribeLogGroups", {}, "logs")
    assert ok.status == 200 and "logGroups" in ok.json
    wrong = _signed_for(module_server, "Logs_20140328.DescribeLogGroups", {}, "sagemaker")
    assert wrong.status == 403 and wrong.error_type == "InvalidSignatureException"
    unknown = _signed_for(module_server, "Logs_20140328.DeleteLogStream", {}, "logs")
    assert unknown.status == 400 and unknown.error_type == "UnknownOperationException"


def test_accounts_do_not_see_each_others_logs(module_server, logs):
    other = module_server.client(module_server.create_account(uniq("logs-b")), service="logs")
    group, stream = new_stream(logs)
    put(logs, group, stream, [(now_ms(), "secret of A")])
    assert other.describe_log_groups(logGroupNamePrefix=group)["logGroups"] == []
    for call in (
        lambda: other.get_log_events(logGroupName=group, logStreamName=stream),
        lambda: other.filter_log_events(logGroupName=group),
        lambda: other.describe_log_streams(logGroupName=group),
        lambda: put(other, group, stream, [(now_ms(), "intrusion")]),
        lambda: other.delete_log_group(logGroupName=group),
    ):
        with pytest.raises(ClientError) as ei:
            call()
        assert error_of(ei)[0] == "ResourceNotFoundException"
    # The same name in B is B's own group.
    new_stream(other, group, stream)
    put(other, group, stream, [(now_ms(), "B's line")])
    assert messages(other.filter_log_events(logGroupName=group)["events"]) == ["B's line"]
    assert messages(logs.filter_log_events(logGroupName=group)["events"]) == ["secret of A"]


def test_aws_cli_reads_logs(module_server, logs):
    group = "/aws/sagemaker/TrainingJobs-" + uniq("cli")
    new_stream(logs, group, "job/algo-1-1700000000")
    t0 = now_ms() - 5000
    put(logs, group, "job/algo-1-1700000000", [(t0 + i, f"cli line {i}") for i in range(30)])
    got = module_server.cli(
        "logs", "get-log-events", "--log-group-name", group,
        "--log-stream-name", "job/algo-1-1700000000", "--start-from-head", "--limit", "5",
    ).json
    assert messages(got["events"]) == [f"cli line {i}" for i in range(5)]
    assert got["nextForwardToken"].startswith("f/")
    # The CLI follows nextToken itself (page size 7 → 5 requests).
    filtered = module_server.cli(
        "logs", "filter-log-events", "--log-group-name", group, "--page-size", "7",
        "--filter-pattern", "line",
    ).json
    assert messages(filtered["events"]) == [f"cli line {i}" for i in range(30)]
    streams = module_server.cli(
        "logs", "describe-log-streams", "--log-group-name", group, "--log-stream-name-prefix", "job/",
    ).json
    assert [s["logStreamName"] for s in streams["logStreams"]] == ["job/algo-1-1700000000"]
    bad = module_server.cli(
        "logs", "describe-log-streams", "--log-group-name", group, "--order-by", "LastEventTime",
        "--log-stream-name-prefix", "job/", check=False,
    )
    assert bad.returncode != 0 and "InvalidParameterException" in bad.stderr
