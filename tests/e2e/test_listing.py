"""List* operations: every filter, sort, MaxResults, NextToken and the
boto3 paginators, against a server of this module's own (so the listed
population is exactly what the fixture created)."""

from __future__ import annotations

import datetime as dt
import math
import random
import time

import pytest
from botocore.exceptions import ClientError

from e2e_helpers import error_of, simple_inference_spec

WORDS = ["delta", "alpha", "kilo", "echo", "bravo", "hotel", "foxtrot", "charlie", "golf", "juliet", "india", "lima", "mike"]
N = len(WORDS)


class Kind:
    def __init__(self, key, list_op, paginator, list_key, name_key, arn_key, create):
        self.key, self.list_op, self.paginator = key, list_op, paginator
        self.list_key, self.name_key, self.arn_key, self.create = list_key, name_key, arn_key, create


KINDS = {
    "algorithms": Kind(
        "algorithms", "list_algorithms", "list_algorithms", "AlgorithmSummaryList", "AlgorithmName", "AlgorithmArn",
        lambda c, name: c.create_algorithm(
            AlgorithmName=name,
            TrainingSpecification={
                "TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1",
                "SupportedTrainingInstanceTypes": ["ml.m5.large"],
                "TrainingChannels": [{"Name": "train", "SupportedContentTypes": ["text/csv"], "SupportedInputModes": ["File"]}],
            },
        )["AlgorithmArn"],
    ),
    "model_packages": Kind(
        "model_packages", "list_model_packages", "list_model_packages", "ModelPackageSummaryList", "ModelPackageName",
        "ModelPackageArn",
        lambda c, name: c.create_model_package(ModelPackageName=name, InferenceSpecification=simple_inference_spec())[
            "ModelPackageArn"
        ],
    ),
    "model_package_groups": Kind(
        "model_package_groups", "list_model_package_groups", "list_model_package_groups",
        "ModelPackageGroupSummaryList", "ModelPackageGroupName", "ModelPackageGroupArn",
        lambda c, name: c.create_model_package_group(ModelPackageGroupName=name)["ModelPackageGroupArn"],
    ),
}


@pytest.fixture(scope="module")
def client(module_server):
    return module_server.client()


@pytest.fixture(scope="module")
def populated(client):
    """For each kind: N resources named lst-<word>-<k>, created in an order that
    differs from name order, each with a distinct CreationTime."""
    rnd = random.Random(7)
    out = {}
    for key, kind in KINDS.items():
        words = WORDS[:]
        rnd.shuffle(words)
        items = []  # creation order
        for i, w in enumerate(words):
            name = f"lst-{w}-{i:02d}"
            arn = kind.create(client, name)
            items.append((name, arn))
            time.sleep(0.003)
        # an extra one that NameContains="lst-" must not match
        kind.create(client, f"other-{key.replace('_', '-')}")
        listed = getattr(client, kind.list_op)(NameContains="lst-", MaxResults=100)[kind.list_key]
        times = {x[kind.name_key]: x["CreationTime"] for x in listed}
        out[key] = {"items": items, "times": times}
    return out


def names(resp, kind) -> list[str]:
    return [x[kind.name_key] for x in resp[kind.list_key]]


def collect(client, kind, **kw) -> tuple[list[str], list[int]]:
    """Follow NextToken by hand; returns (names, page sizes)."""
    all_names, sizes, token = [], [], None
    for _ in range(200):
        args = dict(kw)
        if token:
            args["NextToken"] = token
        resp = getattr(client, kind.list_op)(**args)
        page = names(resp, kind)
        all_names += page
        sizes.append(len(page))
        token = resp.get("NextToken")
        if not token:
            assert "NextToken" not in resp, "an empty NextToken must be left out"
            return all_names, sizes
    raise AssertionError("pagination did not terminate")


kinds = pytest.mark.parametrize("kind", list(KINDS.values()), ids=list(KINDS))


@kinds
def test_default_order_is_creation_time_ascending(client, populated, kind):
    created = [n for n, _ in populated[kind.key]["items"]]
    assert names(getattr(client, kind.list_op)(NameContains="lst-", MaxResults=100), kind) == created


@kinds
@pytest.mark.parametrize("sort_by", ["Name", "CreationTime"])
@pytest.mark.parametrize("order", ["Ascending", "Descending"])
def test_sort(client, populated, kind, sort_by, order):
    created = [n for n, _ in populated[kind.key]["items"]]
    expected = sorted(created) if sort_by == "Name" else list(created)
    if order == "Descending":
        expected.reverse()
    got = names(getattr(client, kind.list_op)(NameContains="lst-", SortBy=sort_by, SortOrder=order, MaxResults=100), kind)
    assert got == expected
    # paging preserves the order
    paged, _ = collect(client, kind, NameContains="lst-", SortBy=sort_by, SortOrder=order, MaxResults=4)
    assert paged == expected


@kinds
def test_name_contains_is_a_case_insensitive_substring(client, populated, kind):
    created = [n for n, _ in populated[kind.key]["items"]]
    lst = getattr(client, kind.list_op)
    assert names(lst(NameContains="lst-", MaxResults=100), kind) == created
    assert names(lst(NameContains="LST-", MaxResults=100), kind) == created
    assert names(lst(NameContains="ALPHA", MaxResults=100), kind) == [n for n in created if "alpha" in n]
    assert names(lst(NameContains="Ha-", MaxResults=100), kind) == [n for n in created if "ha-" in n]
    other = f"other-{kind.key.replace('_', '-')}"  # created last
    assert names(lst(NameContains="o", MaxResults=100), kind) == [n for n in created if "o" in n] + [other]
    assert names(lst(NameContains="OTHER", MaxResults=100), kind) == [other]
    assert names(lst(NameContains="nothing-matches-this", MaxResults=100), kind) == []
    everything, _ = collect(client, kind, MaxResults=100)
    assert len(everything) == N + 1


def _times(populated, kind):
    created = [n for n, _ in populated[kind.key]["items"]]
    times = populated[kind.key]["times"]
    assert len(set(times.values())) == N, "fixture needs distinct creation times"
    return created, times


@kinds
def test_creation_time_after_is_strict(client, populated, kind):
    """CreationTimeAfter = the CreationTime the server itself reported for a
    resource must exclude that resource (and include everything later)."""
    created, times = _times(populated, kind)
    lst = getattr(client, kind.list_op)
    for k in (0, N // 2, N - 1):
        after = names(lst(NameContains="lst-", CreationTimeAfter=times[created[k]], MaxResults=100), kind)
        assert after == created[k + 1 :], (
            f"CreationTimeAfter={times[created[k]].isoformat()} (the CreationTime reported for {created[k]}) "
            f"returned {after}")


@kinds
def test_creation_time_before_is_strict(client, populated, kind):
    created, times = _times(populated, kind)
    lst = getattr(client, kind.list_op)
    for k in (0, N // 2, N - 1):
        before = names(lst(NameContains="lst-", CreationTimeBefore=times[created[k]], MaxResults=100), kind)
        assert before == created[:k]
    # just past t_k (1 ms): millisecond timestamps are not truncated to seconds
    plus = times[created[N // 2]] + dt.timedelta(milliseconds=1)
    assert names(lst(NameContains="lst-", CreationTimeBefore=plus, MaxResults=100), kind) == created[: N // 2 + 1]


@kinds
def test_creation_time_range(client, populated, kind):
    created, times = _times(populated, kind)
    lst = getattr(client, kind.list_op)
    # a window whose ends lie halfway between neighbouring creation times
    lo = times[created[1]] + (times[created[2]] - times[created[1]]) / 2
    hi = times[created[4]] + (times[created[5]] - times[created[4]]) / 2
    assert names(lst(NameContains="lst-", CreationTimeAfter=lo, CreationTimeBefore=hi, MaxResults=100), kind) \
        == created[2:5]
    far_past = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
    far_future = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3650)
    assert names(lst(NameContains="lst-", CreationTimeAfter=far_past, MaxResults=100), kind) == created
    assert names(lst(NameContains="lst-", CreationTimeBefore=far_past, MaxResults=100), kind) == []
    assert names(lst(NameContains="lst-", CreationTimeAfter=far_future, MaxResults=100), kind) == []
    assert names(lst(NameContains="lst-", CreationTimeAfter=far_future, CreationTimeBefore=far_past,
                     MaxResults=100), kind) == []


@kinds
@pytest.mark.parametrize("max_results", [1, 2, 5, 12, 13, 100])
def test_max_results_and_next_token(client, populated, kind, max_results):
    created = [n for n, _ in populated[kind.key]["items"]]
    got, sizes = collect(client, kind, NameContains="lst-", MaxResults=max_results)
    assert got == created
    assert all(s <= max_results for s in sizes)
    assert len(sizes) == max(1, math.ceil(N / max_results)), sizes
    assert all(s == max_results for s in sizes[:-1])


@kinds
def test_no_max_results_still_pages_through_everything(client, populated, kind):
    created = [n for n, _ in populated[kind.key]["items"]]
    got, sizes = collect(client, kind, NameContains="lst-")
    assert got == created
    assert all(1 <= s <= 100 for s in sizes)


@kinds
def test_boto3_paginator(client, populated, kind):
    created = [n for n, _ in populated[kind.key]["items"]]
    pages = list(
        client.get_paginator(kind.paginator).paginate(NameContains="lst-", PaginationConfig={"PageSize": 3})
    )
    assert len(pages) == math.ceil(N / 3)
    assert [x[kind.name_key] for p in pages for x in p[kind.list_key]] == created
    # build_full_result with MaxItems hands out a resumable token
    first = client.get_paginator(kind.paginator).paginate(
        NameContains="lst-", SortBy="Name", SortOrder="Descending", PaginationConfig={"PageSize": 2, "MaxItems": 5}
    ).build_full_result()
    assert [x[kind.name_key] for x in first[kind.list_key]] == sorted(created, reverse=True)[:5]
    rest = client.get_paginator(kind.paginator).paginate(
        NameContains="lst-", SortBy="Name", SortOrder="Descending",
        PaginationConfig={"PageSize": 2, "StartingToken": first["NextToken"]},
    ).build_full_result()
    assert [x[kind.name_key] for x in rest[kind.list_key]] == sorted(created, reverse=True)[5:]


@kinds
def test_summaries_carry_the_documented_members(client, populated, kind):
    listed = getattr(client, kind.list_op)(NameContains="lst-", MaxResults=100)[kind.list_key]
    arns = dict(populated[kind.key]["items"])
    for x in listed:
        assert x[kind.arn_key] == arns[x[kind.name_key]]
        assert isinstance(x["CreationTime"], dt.datetime)
        status_key = {"algorithms": "AlgorithmStatus", "model_packages": "ModelPackageStatus",
                      "model_package_groups": "ModelPackageGroupStatus"}[kind.key]
        assert x[status_key] == "Completed"


def _token(client, kind, **kw) -> str:
    resp = getattr(client, kind.list_op)(**kw)
    assert resp.get("NextToken"), "expected more pages"
    return resp["NextToken"]


@kinds
@pytest.mark.parametrize(
    "changed",
    [
        {"NameContains": "lst-a"},
        {"SortBy": "Name"},
        {"SortOrder": "Descending"},
        {"CreationTimeAfter": dt.datetime(2001, 1, 1, tzinfo=dt.timezone.utc)},
        {"CreationTimeBefore": dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc)},
    ],
    ids=["NameContains", "SortBy", "SortOrder", "CreationTimeAfter", "CreationTimeBefore"],
)
def test_next_token_with_different_filters_is_rejected(client, populated, kind, changed):
    base = {"NameContains": "lst-", "MaxResults": 3}
    token = _token(client, kind, **base)
    with pytest.raises(ClientError) as e:
        getattr(client, kind.list_op)(**{**base, **changed, "NextToken": token})
    code, msg, status = error_of(e)
    assert (code, status) == ("ValidationException", 400), msg


@kinds
def test_next_token_with_other_max_results_continues(client, populated, kind):
    created = [n for n, _ in populated[kind.key]["items"]]
    token = _token(client, kind, NameContains="lst-", MaxResults=3)
    got = names(getattr(client, kind.list_op)(NameContains="lst-", MaxResults=5, NextToken=token), kind)
    assert got == created[3:8]


@kinds
def test_garbage_next_token_is_rejected(client, populated, kind):
    for bad in ["not-a-token", "AAAA", "eyJ4IjoxfQ=="]:
        with pytest.raises(ClientError) as e:
            getattr(client, kind.list_op)(NameContains="lst-", NextToken=bad)
        code, msg, status = error_of(e)
        assert (code, status) == ("ValidationException", 400), (bad, msg)


def test_next_token_of_another_operation_is_rejected(client, populated):
    a, m = KINDS["algorithms"], KINDS["model_packages"]
    token = _token(client, a, NameContains="lst-", MaxResults=3)
    with pytest.raises(ClientError) as e:
        client.list_model_packages(NameContains="lst-", MaxResults=3, NextToken=token)
    assert error_of(e)[0] == "ValidationException"
    assert names(client.list_model_packages(NameContains="lst-", MaxResults=3), m)  # still fine without


@pytest.mark.parametrize("bad", [0, 101, -1])
@pytest.mark.parametrize("op", ["ListAlgorithms", "ListModelPackages", "ListModelPackageGroups"])
def test_max_results_out_of_range(module_server, op, bad):
    raw_client = module_server.client(validate=False)
    with pytest.raises(ClientError) as e:
        raw_client._make_api_call(op, {"MaxResults": bad})
    code, msg, status = error_of(e)
    assert (code, status) == ("ValidationException", 400)
    assert "at 'maxResults'" in msg


def test_deleted_items_disappear_from_listing(client, populated):
    kind = KINDS["model_package_groups"]
    kind.create(client, "lst-ephemeral")
    assert "lst-ephemeral" in collect(client, kind, NameContains="ephemeral")[0]
    client.delete_model_package_group(ModelPackageGroupName="lst-ephemeral")
    assert collect(client, kind, NameContains="ephemeral")[0] == []
