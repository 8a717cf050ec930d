"""The seed's two seller flows, driven by boto3 and by the real AWS CLI
(`--cli-input-json file://examples/...`), read back with Describe*; and the
versioned model-package flow (groups, versions, approval, filters)."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from botocore.exceptions import ClientError

from e2e_helpers import (
    algorithm_doc,
    assert_described,
    deepcopy,
    error_of,
    load_example,
    model_package_doc,
    simple_inference_spec,
    uniq,
)

ALGORITHM_MEMBERS = [
    "AlgorithmName",
    "AlgorithmDescription",
    "TrainingSpecification",
    "InferenceSpecification",
    "ValidationSpecification",
    "CertifyForMarketplace",
]
PACKAGE_MEMBERS = [
    "ModelPackageName",
    "ModelPackageDescription",
    "InferenceSpecification",
    "ValidationSpecification",
    "CertifyForMarketplace",
]


def _recent(t: dt.datetime) -> bool:
    now = dt.datetime.now(dt.timezone.utc)
    return abs((now - t).total_seconds()) < 300


def _check_pending_algorithm(desc: dict, sent: dict, arn: str) -> None:
    assert desc["AlgorithmArn"] == arn
    assert_described(sent, desc, ALGORITHM_MEMBERS)
    assert desc["AlgorithmStatus"] == "Pending"
    profiles = [p["ProfileName"] for p in sent["ValidationSpecification"]["ValidationProfiles"]]
    assert desc["AlgorithmStatusDetails"]["ValidationStatuses"] == [
        {"Name": p, "Status": "NotStarted"} for p in profiles
    ]


def _check_pending_package(desc: dict, sent: dict, arn: str) -> None:
    assert desc["ModelPackageArn"] == arn
    assert_described(sent, desc, PACKAGE_MEMBERS)
    assert desc["ModelPackageStatus"] == "Pending"
    profiles = [p["ProfileName"] for p in sent["ValidationSpecification"]["ValidationProfiles"]]
    assert desc["ModelPackageStatusDetails"]["ValidationStatuses"] == [
        {"Name": p, "Status": "NotStarted"} for p in profiles
    ]


# -- algorithm flow -------------------------------------------------------------
def test_algorithm_flow_boto3(sm, account_id, server):
    name = uniq("linreg-boto3")
    doc = algorithm_doc(account_id, name)
    arn = sm.create_algorithm(**doc)["AlgorithmArn"]
    assert arn == f"arn:aws:sagemaker:{server.region}:{account_id}:algorithm/{name}"

    by_name = sm.describe_algorithm(AlgorithmName=name)
    _check_pending_algorithm(by_name, doc, arn)
    assert _recent(by_name["CreationTime"])
    by_arn = sm.describe_algorithm(AlgorithmName=arn)
    by_name.pop("ResponseMetadata")
    by_arn.pop("ResponseMetadata")
    assert by_arn == by_name

    listed = sm.list_algorithms(NameContains=name)["AlgorithmSummaryList"]
    assert [a["AlgorithmArn"] for a in listed] == [arn]
    assert listed[0]["AlgorithmStatus"] == "Pending"
    assert listed[0]["AlgorithmDescription"] == doc["AlgorithmDescription"]
    assert listed[0]["CreationTime"] == by_name["CreationTime"]


def test_algorithm_flow_cli(server, account_id, tmp_path):
    doc = load_example("create-algorithm.json", account_id)
    path = tmp_path / "create-algorithm.json"
    path.write_text(json.dumps(doc))
    out = server.cli("sagemaker", "create-algorithm", "--cli-input-json", f"file://{path}").json
    arn = f"arn:aws:sagemaker:{server.region}:{account_id}:algorithm/{doc['AlgorithmName']}"
    assert out == {"AlgorithmArn": arn}

    desc = server.cli("sagemaker", "describe-algorithm", "--algorithm-name", doc["AlgorithmName"]).json
    _check_pending_algorithm(desc, doc, arn)
    assert isinstance(desc["CreationTime"], (int, float))

    listed = server.cli("sagemaker", "list-algorithms", "--name-contains", doc["AlgorithmName"]).json
    assert arn in [a["AlgorithmArn"] for a in listed["AlgorithmSummaryList"]]

    # the CLI sees a duplicate as the error it is, with a non-zero exit
    again = server.cli("sagemaker", "create-algorithm", "--cli-input-json", f"file://{path}", check=False)
    assert again.returncode != 0
    assert "ResourceInUse" in again.stderr


# -- model package flow ---------------------------------------------------------
def test_model_package_flow_boto3(sm, account_id, server):
    name = uniq("linreg-model-boto3")
    doc = model_package_doc(account_id, name)
    arn = sm.create_model_package(**doc)["ModelPackageArn"]
    assert arn == f"arn:aws:sagemaker:{server.region}:{account_id}:model-package/{name}"

    desc = sm.describe_model_package(ModelPackageName=name)
    _check_pending_package(desc, doc, arn)
    assert _recent(desc["CreationTime"])
    assert "ModelPackageGroupName" not in desc
    assert "ModelPackageVersion" not in desc
    assert "ModelApprovalStatus" not in desc  # only versioned packages carry one

    by_arn = sm.describe_model_package(ModelPackageName=arn)
    desc.pop("ResponseMetadata")
    by_arn.pop("ResponseMetadata")
    assert by_arn == desc

    listed = sm.list_model_packages(NameContains=name)["ModelPackageSummaryList"]
    assert [p["ModelPackageArn"] for p in listed] == [arn]
    assert listed[0]["ModelPackageStatus"] == "Pending"
    assert listed[0]["ModelPackageName"] == name


def test_model_package_flow_cli(server, account_id, tmp_path):
    doc = load_example("create-model-package.json", account_id)
    path = tmp_path / "create-model-package.json"
    path.write_text(json.dumps(doc))
    out = server.cli("sagemaker", "create-model-package", "--cli-input-json", f"file://{path}").json
    arn = f"arn:aws:sagemaker:{server.region}:{account_id}:model-package/{doc['ModelPackageName']}"
    assert out == {"ModelPackageArn": arn}

    desc = server.cli("sagemaker", "describe-model-package", "--model-package-name", arn).json
    _check_pending_package(desc, doc, arn)


# -- without a validation specification: Completed at once ---------------------
def test_algorithm_without_validation_is_completed(sm, account_id):
    doc = algorithm_doc(account_id, uniq("noval-alg"))
    del doc["ValidationSpecification"]
    del doc["CertifyForMarketplace"]
    sm.create_algorithm(**doc)
    desc = sm.describe_algorithm(AlgorithmName=doc["AlgorithmName"])
    assert desc["AlgorithmStatus"] == "Completed"
    assert desc["AlgorithmStatusDetails"]["ValidationStatuses"] == []
    assert "ValidationSpecification" not in desc
    assert_described(doc, desc)


def test_model_package_without_validation_is_completed(sm, account_id):
    doc = model_package_doc(account_id, uniq("noval-mp"))
    del doc["ValidationSpecification"]
    doc["CertifyForMarketplace"] = False
    sm.create_model_package(**doc)
    desc = sm.describe_model_package(ModelPackageName=doc["ModelPackageName"])
    assert desc["ModelPackageStatus"] == "Completed"
    assert desc["ModelPackageStatusDetails"]["ValidationStatuses"] == []
    assert "ValidationSpecification" not in desc
    assert_described(doc, desc)


def test_model_package_from_source_algorithm(sm, account_id):
    alg = algorithm_doc(account_id, uniq("src-alg"))
    sm.create_algorithm(**alg)
    doc = {
        "ModelPackageName": uniq("from-alg"),
        "SourceAlgorithmSpecification": {
            "SourceAlgorithms": [
                {"AlgorithmName": alg["AlgorithmName"], "ModelDataUrl": "s3://quickstart/model/model.tar.gz"}
            ]
        },
    }
    arn = sm.create_model_package(**doc)["ModelPackageArn"]
    desc = sm.describe_model_package(ModelPackageName=arn)
    assert_described(doc, desc)
    assert desc["ModelPackageStatus"] == "Completed"


def test_delete_algorithm_and_package(sm, account_id):
    alg = algorithm_doc(account_id, uniq("del-alg"))
    sm.create_algorithm(**alg)
    sm.delete_algorithm(AlgorithmName=alg["AlgorithmName"])
    with pytest.raises(ClientError) as e:
        sm.describe_algorithm(AlgorithmName=alg["AlgorithmName"])
    assert error_of(e)[0] == "ValidationException"
    assert sm.list_algorithms(NameContains=alg["AlgorithmName"])["AlgorithmSummaryList"] == []

    mp = model_package_doc(account_id, uniq("del-mp"))
    arn = sm.create_model_package(**mp)["ModelPackageArn"]
    sm.delete_model_package(ModelPackageName=arn)
    with pytest.raises(ClientError) as e:
        sm.describe_model_package(ModelPackageName=mp["ModelPackageName"])
    assert error_of(e)[0] == "ValidationException"
    # the name is free again
    sm.create_model_package(**mp)


# -- versioned packages ------------------------------------------------------------
@pytest.fixture(scope="module")
def versioned(sm, account_id):
    token = uniq("vflow")
    group = f"{token}-group"
    garn = sm.create_model_package_group(
        ModelPackageGroupName=group, ModelPackageGroupDescription="three versions"
    )["ModelPackageGroupArn"]
    arns = []
    for i in range(3):
        spec = simple_inference_spec(account_id)
        spec["Containers"][0]["ModelDataUrl"] = f"s3://quickstart/model/v{i + 1}/model.tar.gz"
        arns.append(
            sm.create_model_package(
                ModelPackageGroupName=group,
                ModelPackageDescription=f"version {i + 1}",
                InferenceSpecification=spec,
            )["ModelPackageArn"]
        )
    unversioned = sm.create_model_package(
        ModelPackageName=f"{token}-plain", InferenceSpecification=simple_inference_spec(account_id)
    )["ModelPackageArn"]
    return {"token": token, "group": group, "group_arn": garn, "arns": arns, "unversioned": unversioned}


def test_versions_are_numbered_with_versioned_arns(sm, account_id, server, versioned):
    g = versioned["group"]
    prefix = f"arn:aws:sagemaker:{server.region}:{account_id}:model-package/{g}/"
    assert versioned["arns"] == [prefix + "1", prefix + "2", prefix + "3"]
    assert versioned["group_arn"] == f"arn:aws:sagemaker:{server.region}:{account_id}:model-package-group/{g}"
    for n, arn in enumerate(versioned["arns"], start=1):
        desc = sm.describe_model_package(ModelPackageName=arn)
        assert desc["ModelPackageArn"] == arn
        assert desc["ModelPackageGroupName"] == g
        assert desc["ModelPackageName"] == g
        assert desc["ModelPackageVersion"] == n
        assert desc["ModelPackageDescription"] == f"version {n}"
        assert desc["ModelApprovalStatus"] == "PendingManualApproval"
        assert desc["ModelPackageStatus"] == "Completed"
        assert desc["InferenceSpecification"]["Containers"][0]["ModelDataUrl"].endswith(f"/v{n}/model.tar.gz")


def test_describe_versioned_by_group_slash_version(sm, versioned):
    g = versioned["group"]
    desc = sm.describe_model_package(ModelPackageName=f"{g}/2")
    assert desc["ModelPackageArn"] == versioned["arns"][1]
    assert desc["ModelPackageVersion"] == 2
    with pytest.raises(ClientError) as e:
        sm.describe_model_package(ModelPackageName=f"{g}/4")
    assert error_of(e)[0] == "ValidationException"


def test_describe_group_by_name_and_arn(sm, versioned):
    a = sm.describe_model_package_group(ModelPackageGroupName=versioned["group"])
    b = sm.describe_model_package_group(ModelPackageGroupName=versioned["group_arn"])
    for d in (a, b):
        assert d["ModelPackageGroupName"] == versioned["group"]
        assert d["ModelPackageGroupArn"] == versioned["group_arn"]
        assert d["ModelPackageGroupDescription"] == "three versions"
        assert d["ModelPackageGroupStatus"] == "Completed"
        assert "CreatedBy" in d
    groups = sm.list_model_package_groups(NameContains=versioned["token"])["ModelPackageGroupSummaryList"]
    assert [x["ModelPackageGroupArn"] for x in groups] == [versioned["group_arn"]]


def test_update_model_package_approval(sm, server, versioned):
    arn = versioned["arns"][1]
    out = sm.update_model_package(
        ModelPackageArn=arn, ModelApprovalStatus="Approved", ApprovalDescription="looks good"
    )
    assert out["ModelPackageArn"] == arn
    desc = sm.describe_model_package(ModelPackageName=arn)
    assert desc["ModelApprovalStatus"] == "Approved"
    assert desc["ApprovalDescription"] == "looks good"
    assert "LastModifiedTime" in desc
    # the CLI agrees
    cli = server.cli("sagemaker", "describe-model-package", "--model-package-name", arn).json
    assert cli["ModelApprovalStatus"] == "Approved"
    # the others are untouched
    for other in (versioned["arns"][0], versioned["arns"][2]):
        assert sm.describe_model_package(ModelPackageName=other)["ModelApprovalStatus"] == "PendingManualApproval"


def _arns(resp) -> list[str]:
    return [p["ModelPackageArn"] for p in resp["ModelPackageSummaryList"]]


def test_list_model_packages_filters(sm, versioned):
    sm.update_model_package(ModelPackageArn=versioned["arns"][1], ModelApprovalStatus="Approved")
    g, tok = versioned["group"], versioned["token"]
    vs, plain = versioned["arns"], versioned["unversioned"]

    assert _arns(sm.list_model_packages(ModelPackageGroupName=g)) == vs
    assert _arns(sm.list_model_packages(ModelPackageGroupName=versioned["group_arn"])) == vs
    assert _arns(sm.list_model_packages(ModelPackageGroupName=g, ModelApprovalStatus="Approved")) == [vs[1]]
    assert _arns(
        sm.list_model_packages(ModelPackageGroupName=g, ModelApprovalStatus="PendingManualApproval")
    ) == [vs[0], vs[2]]
    assert _arns(sm.list_model_packages(ModelPackageGroupName=g, ModelApprovalStatus="Rejected")) == []

    assert _arns(sm.list_model_packages(NameContains=tok)) == [plain]  # default: Unversioned
    assert _arns(sm.list_model_packages(NameContains=tok, ModelPackageType="Unversioned")) == [plain]
    assert _arns(sm.list_model_packages(NameContains=tok, ModelPackageType="Versioned")) == vs
    assert sorted(_arns(sm.list_model_packages(NameContains=tok, ModelPackageType="Both"))) == sorted(vs + [plain])

    summaries = sm.list_model_packages(ModelPackageGroupName=g)["ModelPackageSummaryList"]
    assert [s["ModelPackageVersion"] for s in summaries] == [1, 2, 3]
    assert all(s["ModelPackageGroupName"] == g for s in summaries)
    assert [s["ModelApprovalStatus"] for s in summaries] == ["PendingManualApproval", "Approved", "PendingManualApproval"]


def test_version_numbers_continue_after_delete(sm, account_id):
    g = uniq("vgap")
    sm.create_model_package_group(ModelPackageGroupName=g)
    a1 = sm.create_model_package(ModelPackageGroupName=g, InferenceSpecification=simple_inference_spec())[
        "ModelPackageArn"
    ]
    a2 = sm.create_model_package(ModelPackageGroupName=g, InferenceSpecification=simple_inference_spec())[
        "ModelPackageArn"
    ]
    assert a2.endswith(f"/{g}/2")
    sm.delete_model_package(ModelPackageName=a1)
    a3 = sm.create_model_package(ModelPackageGroupName=g, InferenceSpecification=simple_inference_spec())[
        "ModelPackageArn"
    ]
    assert a3.endswith(f"/{g}/3")
    assert _arns(sm.list_model_packages(ModelPackageGroupName=g)) == [a2, a3]


def test_version_in_missing_group_is_rejected(sm):
    with pytest.raises(ClientError) as e:
        sm.create_model_package(ModelPackageGroupName=uniq("nogroup"), InferenceSpecification=simple_inference_spec())
    code, _msg, status = error_of(e)
    assert status == 400
    assert code == "ValidationException"


def test_delete_group_with_versions_conflicts(sm):
    g = uniq("delgroup")
    sm.create_model_package_group(ModelPackageGroupName=g)
    arns = [
        sm.create_model_package(ModelPackageGroupName=g, InferenceSpecification=simple_inference_spec())[
            "ModelPackageArn"
        ]
        for _ in range(2)
    ]
    with pytest.raises(ClientError) as e:
        sm.delete_model_package_group(ModelPackageGroupName=g)
    code, _msg, status = error_of(e)
    assert (code, status) == ("ConflictException", 400)
    assert sm.describe_model_package_group(ModelPackageGroupName=g)["ModelPackageGroupName"] == g

    for arn in arns:
        sm.delete_model_package(ModelPackageName=arn)
    sm.delete_model_package_group(ModelPackageGroupName=g)
    with pytest.raises(ClientError) as e:
        sm.describe_model_package_group(ModelPackageGroupName=g)
    assert error_of(e)[0] == "ValidationException"


def test_versioned_package_with_explicit_approval_and_validation_profile(sm, account_id):
    g = uniq("vrules")
    sm.create_model_package_group(ModelPackageGroupName=g)
    arn = sm.create_model_package(
        ModelPackageGroupName=g, InferenceSpecification=simple_inference_spec(), ModelApprovalStatus="Approved"
    )["ModelPackageArn"]
    assert sm.describe_model_package(ModelPackageName=arn)["ModelApprovalStatus"] == "Approved"
    doc = deepcopy(model_package_doc(account_id, "unused"))
    del doc["ModelPackageName"]
    del doc["CertifyForMarketplace"]  # Marketplace certification is for unversioned packages
    doc["ModelPackageGroupName"] = g
    arn2 = sm.create_model_package(**doc)["ModelPackageArn"]
    desc = sm.describe_model_package(ModelPackageName=arn2)
    assert desc["ModelPackageVersion"] == 2
    assert_described(doc, desc, ["InferenceSpecification", "ValidationSpecification"])
    assert desc["ModelPackageStatus"] == "Pending"


# -- names, encodings, idempotency, races -------------------------------------------
def test_arns_carry_the_lower_cased_name(sm, account_id, server):
    name = "Mixed-Case-" + uniq("Alg").replace("alg", "ALG")
    doc = algorithm_doc(account_id, name)
    arn = sm.create_algorithm(**doc)["AlgorithmArn"]
    assert arn == f"arn:aws:sagemaker:{server.region}:{account_id}:algorithm/{name.lower()}"
    assert sm.describe_algorithm(AlgorithmName=name)["AlgorithmName"] == name, "the name keeps its case"
    assert sm.describe_algorithm(AlgorithmName=arn)["AlgorithmName"] == name
    with pytest.raises(ClientError) as e:
        sm.create_algorithm(**algorithm_doc(account_id, name.lower()))
    assert error_of(e)[0] == "ResourceInUse", "names differing only in case collide (their ARNs are equal)"


def test_unicode_round_trip(sm, account_id):
    doc = algorithm_doc(account_id, uniq("unicode"))
    doc["AlgorithmDescription"] = "Régression linéaire ✓ 中文 🚀 — “quotes” and 'apostrophes' \\ backslash"
    doc["Tags"] = [{"Key": "clé équipe", "Value": "données 1"}]
    arn = sm.create_algorithm(**doc)["AlgorithmArn"]
    assert sm.describe_algorithm(AlgorithmName=arn)["AlgorithmDescription"] == doc["AlgorithmDescription"]
    assert sm.list_tags(ResourceArn=arn)["Tags"] == doc["Tags"]


def test_timestamps_are_epoch_numbers_and_iso_input_is_accepted(server):
    name = uniq("encoding")
    server.raw("SageMaker.CreateModelPackageGroup", {"ModelPackageGroupName": name})
    r = server.raw("SageMaker.DescribeModelPackageGroup", {"ModelPackageGroupName": name})
    t = r.json["CreationTime"]
    assert isinstance(t, (int, float)) and not isinstance(t, bool), r
    for after in ("2020-01-01T00:00:00Z", 1577836800, 1577836800.5):
        lst = server.raw("SageMaker.ListModelPackageGroups", {"NameContains": name, "CreationTimeAfter": after})
        assert lst.status == 200, lst
        assert [g["ModelPackageGroupName"] for g in lst.json["ModelPackageGroupSummaryList"]] == [name]
    r = server.raw("SageMaker.DescribeModelPackageGroup", {"ModelPackageGroupName": name},
                   content_type="application/x-amz-json-1.1; charset=utf-8")
    assert r.status == 200, r


def test_client_token_makes_version_creation_idempotent(sm):
    """Same ClientToken, same request: the same version comes back, no new one
    (botocore resends the same token when it retries a lost response)."""
    g = uniq("idem")
    sm.create_model_package_group(ModelPackageGroupName=g)
    token = uniq("tok")
    first = sm.create_model_package(ModelPackageGroupName=g, InferenceSpecification=simple_inference_spec(),
                                    ClientToken=token)["ModelPackageArn"]
    again = sm.create_model_package(ModelPackageGroupName=g, InferenceSpecification=simple_inference_spec(),
                                    ClientToken=token)["ModelPackageArn"]
    assert again == first
    assert _arns(sm.list_model_packages(ModelPackageGroupName=g)) == [first]
    other = sm.create_model_package(ModelPackageGroupName=g, InferenceSpecification=simple_inference_spec(),
                                    ClientToken=uniq("tok"))["ModelPackageArn"]
    assert other.endswith(f"/{g}/2")


def test_client_token_makes_unversioned_creation_idempotent(sm):
    name = uniq("idem-mp")
    token = uniq("tok")
    first = sm.create_model_package(ModelPackageName=name, InferenceSpecification=simple_inference_spec(),
                                    ClientToken=token)["ModelPackageArn"]
    again = sm.create_model_package(ModelPackageName=name, InferenceSpecification=simple_inference_spec(),
                                    ClientToken=token)["ModelPackageArn"]
    assert again == first


def test_concurrent_creates_of_one_name(server, account_id):
    clients = [server.client() for _ in range(8)]
    name = uniq("race")
    go = threading.Event()
    results: list[str] = []

    def worker(c):
        go.wait()
        try:
            c.create_algorithm(**algorithm_doc(account_id, name))
            results.append("ok")
        except ClientError as e:
            results.append(e.response["Error"]["Code"])

    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    go.set()
    for t in threads:
        t.join(30)
    assert sorted(results) == ["ResourceInUse"] * 7 + ["ok"], results


def test_concurrent_versions_get_distinct_numbers(server):
    sm = server.client()
    g = uniq("race-versions")
    sm.create_model_package_group(ModelPackageGroupName=g)
    clients = [server.client() for _ in range(8)]
    go = threading.Event()
    arns: list[str] = []

    def worker(c):
        go.wait()
        for _ in range(3):
            arns.append(c.create_model_package(ModelPackageGroupName=g,
                                               InferenceSpecification=simple_inference_spec())["ModelPackageArn"])

    threads = [threading.Thread(target=worker, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    go.set()
    for t in threads:
        t.join(60)
    assert sorted(int(a.rsplit("/", 1)[1]) for a in arns) == list(range(1, 25))
    listed = sm.list_model_packages(ModelPackageGroupName=g, MaxResults=100)["ModelPackageSummaryList"]
    assert [p["ModelPackageVersion"] for p in listed] == list(range(1, 25))
