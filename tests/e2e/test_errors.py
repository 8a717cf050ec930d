"""Error behaviour: duplicates, missing resources, the business rules on
validation profiles, tags, and malformed requests sent raw over HTTP."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from e2e_helpers import JSON_CT, algorithm_doc, deepcopy, error_of, model_package_doc, simple_inference_spec, uniq


def expect_error(fn, code="ValidationException", status=400, **kw):
    with pytest.raises(ClientError) as e:
        fn(**kw)
    got_code, msg, got_status = error_of(e)
    assert (got_code, got_status) == (code, status), msg
    return msg


# -- duplicates and missing resources --------------------------------------------
def test_duplicate_algorithm_name(sm, account_id):
    doc = algorithm_doc(account_id, uniq("dup-alg"))
    sm.create_algorithm(**doc)
    msg = expect_error(sm.create_algorithm, "ResourceInUse", **doc)
    assert doc["AlgorithmName"] in msg
    # a different spec under the same name is a duplicate too, and the original is untouched
    other = deepcopy(doc)
    other["AlgorithmDescription"] = "something else"
    expect_error(sm.create_algorithm, "ResourceInUse", **other)
    assert sm.describe_algorithm(AlgorithmName=doc["AlgorithmName"])["AlgorithmDescription"] == doc["AlgorithmDescription"]


def test_duplicate_model_package_name(sm, account_id):
    doc = model_package_doc(account_id, uniq("dup-mp"))
    sm.create_model_package(**doc)
    expect_error(sm.create_model_package, "ResourceInUse", **doc)


def test_duplicate_model_package_group_name(sm):
    g = uniq("dup-group")
    sm.create_model_package_group(ModelPackageGroupName=g)
    expect_error(sm.create_model_package_group, "ResourceInUse", ModelPackageGroupName=g)


@pytest.mark.parametrize(
    "op,kw",
    [
        ("describe_algorithm", {"AlgorithmName": "no-such-algorithm"}),
        ("describe_algorithm", {"AlgorithmName": "arn:aws:sagemaker:us-east-1:123456789012:algorithm/no-such"}),
        ("delete_algorithm", {"AlgorithmName": "no-such-algorithm"}),
        ("describe_model_package", {"ModelPackageName": "no-such-package"}),
        ("describe_model_package", {"ModelPackageName": "no-such-group/3"}),
        ("delete_model_package", {"ModelPackageName": "no-such-package"}),
        ("describe_model_package_group", {"ModelPackageGroupName": "no-such-group"}),
        ("delete_model_package_group", {"ModelPackageGroupName": "no-such-group"}),
    ],
)
def test_missing_resource_is_validation_exception(sm, op, kw):
    expect_error(getattr(sm, op), "ValidationException", **kw)


def test_update_missing_model_package(sm, account_id):
    expect_error(
        sm.update_model_package,
        ModelPackageArn=f"arn:aws:sagemaker:us-east-1:{account_id}:model-package/no-such-group/1",
        ModelApprovalStatus="Approved",
    )


# -- business rules ---------------------------------------------------------------
def _tj(doc):
    return doc["ValidationSpecification"]["ValidationProfiles"][0]["TrainingJobDefinition"]


def _xj(doc):
    return doc["ValidationSpecification"]["ValidationProfiles"][0]["TransformJobDefinition"]


def _no_validation(doc):
    del doc["ValidationSpecification"]


def _extra_channel(doc):
    _tj(doc)["InputDataConfig"].append(
        {"ChannelName": "bogus", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/bogus/"}}}
    )


def _required_channel_missing(doc):
    _tj(doc)["InputDataConfig"][0]["ChannelName"] = "validation"


def _hp(name, value):
    return lambda doc: _tj(doc)["HyperParameters"].__setitem__(name, value)


def _train_instance(doc):
    _tj(doc)["ResourceConfig"]["InstanceType"] = "ml.c5.xlarge"


def _transform_instance(doc):
    _xj(doc)["TransformResources"]["InstanceType"] = "ml.c5.xlarge"


def _two_instances(doc):
    _tj(doc)["ResourceConfig"]["InstanceCount"] = 2


def _no_inference(doc):
    del doc["InferenceSpecification"]


ALGORITHM_RULES = [
    ("certify-without-validation", _no_validation, ["CertifyForMarketplace"]),
    ("channel-not-in-training-spec", _extra_channel, ["bogus"]),
    ("required-channel-missing", _required_channel_missing, ["train"]),
    ("hyperparameter-above-range", _hp("epochs", "1001"), ["epochs", "1001"]),
    ("hyperparameter-below-range", _hp("learning_rate", "0.00001"), ["learning_rate"]),
    ("hyperparameter-wrong-type-integer", _hp("epochs", "ten"), ["epochs", "ten"]),
    ("hyperparameter-wrong-type-fraction", _hp("epochs", "2.5"), ["epochs"]),
    ("hyperparameter-wrong-type-continuous", _hp("learning_rate", "fast"), ["learning_rate"]),
    ("hyperparameter-not-a-categorical-value", _hp("mode", "turbo"), ["mode", "turbo"]),
    ("hyperparameter-unknown", _hp("momentum", "0.9"), ["momentum"]),
    ("training-instance-type-not-supported", _train_instance, ["ml.c5.xlarge"]),
    ("transform-instance-type-not-supported", _transform_instance, ["ml.c5.xlarge"]),
    ("instance-count-2-without-distributed-training", _two_instances, ["InstanceCount"]),
    ("transform-definition-without-inference-spec", _no_inference, ["InferenceSpecification"]),
]


@pytest.mark.parametrize("mutate,mentions", [r[1:] for r in ALGORITHM_RULES], ids=[r[0] for r in ALGORITHM_RULES])
def test_algorithm_business_rules(sm, account_id, mutate, mentions):
    doc = algorithm_doc(account_id, uniq("rule-alg"))
    mutate(doc)
    msg = expect_error(sm.create_algorithm, "ValidationException", **doc)
    for m in mentions:
        assert m.lower() in msg.lower(), f"message does not name {m!r}: {msg}"
    expect_error(sm.describe_algorithm, "ValidationException", AlgorithmName=doc["AlgorithmName"])


def test_algorithm_business_rules_accept_the_valid_variants(sm, account_id):
    """Guards the rule tests: each boundary they cross is accepted on the right side."""
    doc = algorithm_doc(account_id, uniq("rule-ok"))
    _tj(doc)["HyperParameters"].update(epochs="1000", learning_rate="0.0001", mode="crash")
    _tj(doc)["InputDataConfig"].append(
        {"ChannelName": "validation", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/v/"}}}
    )
    _tj(doc)["ResourceConfig"]["InstanceType"] = "ml.m5.xlarge"
    sm.create_algorithm(**doc)

    dist = algorithm_doc(account_id, uniq("rule-dist"))
    dist["TrainingSpecification"]["SupportsDistributedTraining"] = True
    _two_instances(dist)
    sm.create_algorithm(**dist)

    no_xf = algorithm_doc(account_id, uniq("rule-noxf"))
    del no_xf["InferenceSpecification"]
    del no_xf["ValidationSpecification"]["ValidationProfiles"][0]["TransformJobDefinition"]
    sm.create_algorithm(**no_xf)


def test_model_package_certify_without_validation(sm, account_id):
    doc = model_package_doc(account_id, uniq("rule-mp"))
    del doc["ValidationSpecification"]
    msg = expect_error(sm.create_model_package, **doc)
    assert "certifyformarketplace" in msg.lower(), msg


def test_model_package_certify_with_empty_profile_list(sm, account_id):
    doc = model_package_doc(account_id, uniq("rule-mp0"))
    doc["ValidationSpecification"]["ValidationProfiles"] = []
    msg = expect_error(sm.create_model_package, **doc)
    assert "certifyformarketplace" in msg.lower(), msg


def test_model_package_transform_instance_type_not_supported(sm, account_id):
    doc = model_package_doc(account_id, uniq("rule-mpi"))
    doc["ValidationSpecification"]["ValidationProfiles"][0]["TransformJobDefinition"]["TransformResources"][
        "InstanceType"
    ] = "ml.c5.xlarge"
    msg = expect_error(sm.create_model_package, **doc)
    assert "ml.c5.xlarge" in msg, msg


def test_model_package_both_names(sm, account_id):
    g = uniq("both-group")
    sm.create_model_package_group(ModelPackageGroupName=g)
    doc = model_package_doc(account_id, uniq("both-mp"), ModelPackageGroupName=g)
    msg = expect_error(sm.create_model_package, **doc)
    assert "ModelPackageName" in msg and "ModelPackageGroupName" in msg, msg
    assert sm.list_model_packages(ModelPackageGroupName=g)["ModelPackageSummaryList"] == []


def test_model_package_neither_name(sm):
    expect_error(sm.create_model_package, InferenceSpecification=simple_inference_spec())


# -- tags -------------------------------------------------------------------------
@pytest.fixture
def tagged_algorithm(sm, account_id):
    doc = algorithm_doc(account_id, uniq("tags-alg"))
    doc["Tags"] = [{"Key": "team", "Value": "seller"}]
    return sm.create_algorithm(**doc)["AlgorithmArn"]


def _tags(sm, arn) -> dict[str, str]:
    out, token = {}, None
    while True:
        resp = sm.list_tags(ResourceArn=arn, **({"NextToken": token} if token else {}))
        out.update({t["Key"]: t["Value"] for t in resp["Tags"]})
        token = resp.get("NextToken")
        if not token:
            return out


def test_tags_round_trip(sm, tagged_algorithm):
    arn = tagged_algorithm
    assert _tags(sm, arn) == {"team": "seller"}, "Tags given at create time are listed"
    added = sm.add_tags(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "ml"}])
    assert sorted((t["Key"], t["Value"]) for t in added["Tags"]) == [("env", "dev"), ("team", "ml")]
    assert _tags(sm, arn) == {"team": "ml", "env": "dev"}, "the same key overwrites"
    sm.delete_tags(ResourceArn=arn, TagKeys=["team", "not-there"])
    assert _tags(sm, arn) == {"env": "dev"}
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": "empty", "Value": ""}])
    assert _tags(sm, arn) == {"env": "dev", "empty": ""}


def test_tags_on_every_resource_kind(sm, account_id):
    g = uniq("tags-group")
    garn = sm.create_model_package_group(ModelPackageGroupName=g, Tags=[{"Key": "k", "Value": "g"}])[
        "ModelPackageGroupArn"
    ]
    varn = sm.create_model_package(
        ModelPackageGroupName=g, InferenceSpecification=simple_inference_spec(), Tags=[{"Key": "k", "Value": "v"}]
    )["ModelPackageArn"]
    parn = sm.create_model_package(**model_package_doc(account_id, uniq("tags-mp"), Tags=[{"Key": "k", "Value": "p"}]))[
        "ModelPackageArn"
    ]
    assert _tags(sm, garn) == {"k": "g"}
    assert _tags(sm, varn) == {"k": "v"}
    assert _tags(sm, parn) == {"k": "p"}
    for arn in (garn, varn, parn):
        sm.add_tags(ResourceArn=arn, Tags=[{"Key": "extra", "Value": "1"}])
        assert _tags(sm, arn)["extra"] == "1"


def test_list_tags_pages(sm, tagged_algorithm):
    arn = tagged_algorithm
    sm.add_tags(ResourceArn=arn, Tags=[{"Key": f"k{i:02d}", "Value": str(i)} for i in range(49)])
    first = sm.list_tags(ResourceArn=arn, MaxResults=50)
    assert len(first["Tags"]) == 50
    assert "NextToken" not in first
    pages = list(sm.get_paginator("list_tags").paginate(ResourceArn=arn))
    assert sum(len(p["Tags"]) for p in pages) == 50


def test_more_than_50_tags_in_one_call(sm, tagged_algorithm):
    msg = expect_error(
        sm.add_tags, ResourceArn=tagged_algorithm, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    )
    assert "tags" in msg.lower()
    assert _tags(sm, tagged_algorithm) == {"team": "seller"}


def test_more_than_50_tags_in_total(sm, tagged_algorithm):
    sm.add_tags(ResourceArn=tagged_algorithm, Tags=[{"Key": f"a{i}", "Value": "v"} for i in range(40)])
    expect_error(sm.add_tags, ResourceArn=tagged_algorithm, Tags=[{"Key": f"b{i}", "Value": "v"} for i in range(10)])
    assert len(_tags(sm, tagged_algorithm)) == 41
    # overwriting existing keys does not count twice
    sm.add_tags(ResourceArn=tagged_algorithm, Tags=[{"Key": f"a{i}", "Value": "w"} for i in range(40)])
    sm.add_tags(ResourceArn=tagged_algorithm, Tags=[{"Key": f"c{i}", "Value": "v"} for i in range(9)])
    assert len(_tags(sm, tagged_algorithm)) == 50


def test_create_with_51_tags(sm, account_id):
    doc = algorithm_doc(account_id, uniq("tags51"), Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)])
    expect_error(sm.create_algorithm, **doc)


def test_tags_on_another_accounts_arn(sm, server, tagged_algorithm):
    other = server.create_account(uniq("tag-other"))
    foreign = tagged_algorithm.replace(tagged_algorithm.split(":")[4], other.account_id)
    assert foreign != tagged_algorithm
    expect_error(sm.add_tags, ResourceArn=foreign, Tags=[{"Key": "x", "Value": "y"}])
    expect_error(sm.list_tags, ResourceArn=foreign)
    expect_error(sm.delete_tags, ResourceArn=foreign, TagKeys=["team"])
    # another region of the same account is not this resource either
    elsewhere = tagged_algorithm.replace(":us-east-1:", ":eu-west-1:")
    expect_error(sm.add_tags, ResourceArn=elsewhere, Tags=[{"Key": "x", "Value": "y"}])


def test_tags_on_missing_resource(sm, account_id):
    arn = f"arn:aws:sagemaker:us-east-1:{account_id}:algorithm/never-created"
    expect_error(sm.add_tags, ResourceArn=arn, Tags=[{"Key": "x", "Value": "y"}])
    expect_error(sm.list_tags, ResourceArn=arn)


def test_tags_are_gone_with_the_resource(sm, account_id):
    name = uniq("tags-gone")
    arn = sm.create_model_package_group(ModelPackageGroupName=name, Tags=[{"Key": "a", "Value": "b"}])[
        "ModelPackageGroupArn"
    ]
    sm.delete_model_package_group(ModelPackageGroupName=name)
    sm.create_model_package_group(ModelPackageGroupName=name)
    assert _tags(sm, arn) == {}


# -- malformed requests -----------------------------------------------------------
BAD_REQUESTS = {
    "malformed-json": dict(target="SageMaker.ListAlgorithms", body=b'{"MaxResults": 1'),
    "not-json-at-all": dict(target="SageMaker.ListAlgorithms", body=b"\xff\xfe garbage"),
    "json-array": dict(target="SageMaker.ListAlgorithms", body=b"[1, 2]"),
    "json-string": dict(target="SageMaker.ListAlgorithms", body=b'"hello"'),
    "json-number": dict(target="SageMaker.ListAlgorithms", body=b"42"),
    "json-null": dict(target="SageMaker.ListAlgorithms", body=b"null"),
    "wrong-content-type": dict(target="SageMaker.ListAlgorithms", body=b"{}", content_type="text/plain"),
    "form-content-type": dict(
        target="SageMaker.ListAlgorithms", body=b"a=b", content_type="application/x-www-form-urlencoded"
    ),
    "unknown-target": dict(target="SageMaker.LaunchRockets", body=b"{}"),
    "unknown-target-prefix": dict(target="NotSageMaker.ListAlgorithms", body=b"{}"),
    "target-without-dot": dict(target="ListAlgorithms", body=b"{}"),
    "wrong-member-type": dict(target="SageMaker.ListAlgorithms", body=b'{"MaxResults": "ten"}'),
    "wrong-nested-type": dict(
        target="SageMaker.CreateAlgorithm",
        body=json.dumps({"AlgorithmName": "x", "TrainingSpecification": {"TrainingChannels": "train"}}).encode(),
    ),
    "deeply-nested": dict(target="SageMaker.ListAlgorithms", body=b'{"X":' + b"[" * 5000 + b"]" * 5000 + b"}"),
    "body-over-8MiB": dict(
        target="SageMaker.CreateModelPackageGroup",
        body=b'{"ModelPackageGroupName":"' + b"a" * (8 * 1024 * 1024 + 16) + b'"}',
    ),
}


@pytest.mark.parametrize("case", list(BAD_REQUESTS.values()), ids=list(BAD_REQUESTS))
def test_malformed_requests_get_json_4xx(server, case):
    resp = server.raw(case["target"], case["body"], content_type=case.get("content_type", JSON_CT))
    assert 400 <= resp.status < 500, resp
    assert resp.headers.get("content-type", "").startswith("application/x-amz-json-1.1"), resp.headers
    doc = resp.json
    assert isinstance(doc.get("__type"), str) and doc["__type"], resp
    assert isinstance(doc.get("message"), str) and doc["message"], resp
    assert doc.get("Message") == doc["message"], "both message and Message are sent"
    assert resp.headers.get("x-amzn-requestid"), "every response carries x-amzn-RequestId"
    # the server is still alive and serving
    assert server.alive(), server.log_tail()
    ok = server.raw("SageMaker.ListAlgorithms", {"MaxResults": 1})
    assert ok.status == 200, ok


def test_specific_error_codes_for_malformed_requests(server):
    assert server.raw("SageMaker.LaunchRockets", {}).error_type == "UnknownOperationException"
    assert server.raw("SageMaker.ListAlgorithms", b'{"a":').error_type == "SerializationException"
    r = server.raw("SageMaker.CreateModelPackageGroup", b'{"ModelPackageGroupName":"' + b"a" * (9 << 20) + b'"}')
    assert r.status in (400, 413), r


def test_unknown_members_are_ignored(server):
    r = server.raw("SageMaker.ListAlgorithms", {"MaxResults": 1, "SomeFutureMember": {"x": 1}})
    assert r.status == 200, r


def test_null_members_are_treated_as_absent(server):
    r = server.raw("SageMaker.ListAlgorithms", {"MaxResults": None, "NameContains": None})
    assert r.status == 200, r
    name = uniq("nullmember")
    r = server.raw(
        "SageMaker.CreateModelPackageGroup", {"ModelPackageGroupName": name, "ModelPackageGroupDescription": None}
    )
    assert r.status == 200, r


def test_success_response_framing(server):
    r = server.raw("SageMaker.ListAlgorithms", {"MaxResults": 1})
    assert r.status == 200
    assert r.headers["content-type"].startswith("application/x-amz-json-1.1")
    assert len(r.headers["x-amzn-requestid"]) >= 16
    assert isinstance(r.json["AlgorithmSummaryList"], list)
    name = uniq("framing")
    r = server.raw("SageMaker.CreateModelPackageGroup", {"ModelPackageGroupName": name})
    r = server.raw("SageMaker.DeleteModelPackageGroup", {"ModelPackageGroupName": name})
    assert r.status == 200 and r.json == {}, r


# -- more profile consistency rules (docs/contracts.md §2.4–2.5) -------------------------------
def _channel(key, value):
    return lambda doc: _tj(doc)["InputDataConfig"][0].__setitem__(key, value)


def _job_input_mode(doc):
    _tj(doc)["TrainingInputMode"] = "Pipe"


def _xf(section, key, value):
    return lambda doc: _xj(doc)[section].__setitem__(key, value)


CONSISTENCY_RULES = [
    ("channel-input-mode-not-supported", _channel("InputMode", "Pipe"), ["Pipe", "train"]),
    ("job-input-mode-not-supported", _job_input_mode, ["Pipe"]),
    ("channel-content-type-not-supported", _channel("ContentType", "application/json"), ["application/json"]),
    ("channel-compression-not-supported", _channel("CompressionType", "Gzip"), ["Gzip"]),
    ("transform-content-type-not-supported", _xf("TransformInput", "ContentType", "application/json"),
     ["application/json"]),
    ("transform-accept-not-supported", _xf("TransformOutput", "Accept", "application/json"), ["application/json"]),
]


@pytest.mark.parametrize("mutate,mentions", [r[1:] for r in CONSISTENCY_RULES], ids=[r[0] for r in CONSISTENCY_RULES])
def test_algorithm_profile_consistency(sm, account_id, mutate, mentions):
    doc = algorithm_doc(account_id, uniq("cons-alg"))
    mutate(doc)
    msg = expect_error(sm.create_algorithm, **doc)
    for m in mentions:
        assert m in msg, f"message does not name {m!r}: {msg}"


@pytest.mark.parametrize("section,key", [("TransformInput", "ContentType"), ("TransformOutput", "Accept")])
def test_model_package_profile_consistency(sm, account_id, section, key):
    doc = model_package_doc(account_id, uniq("cons-mp"))
    doc["ValidationSpecification"]["ValidationProfiles"][0]["TransformJobDefinition"][section][key] = "application/json"
    msg = expect_error(sm.create_model_package, **doc)
    assert "application/json" in msg, msg


def test_source_algorithm_must_exist_and_have_inference(sm, account_id):
    msg = expect_error(sm.create_model_package, ModelPackageName=uniq("src-missing"), SourceAlgorithmSpecification={
        "SourceAlgorithms": [{"AlgorithmName": "no-such-algorithm", "ModelDataUrl": "s3://b/m.tar.gz"}]})
    assert "no-such-algorithm" in msg, msg
    alg = algorithm_doc(account_id, uniq("src-noinf"))
    for k in ("InferenceSpecification", "ValidationSpecification", "CertifyForMarketplace"):
        del alg[k]
    sm.create_algorithm(**alg)
    msg = expect_error(sm.create_model_package, ModelPackageName=uniq("src-noinf-mp"), SourceAlgorithmSpecification={
        "SourceAlgorithms": [{"AlgorithmName": alg["AlgorithmName"], "ModelDataUrl": "s3://b/m.tar.gz"}]})
    assert "InferenceSpecification" in msg, msg


def test_model_package_needs_a_specification(sm):
    msg = expect_error(sm.create_model_package, ModelPackageName=uniq("nospec"))
    assert "InferenceSpecification" in msg, msg


def test_unversioned_inference_spec_needs_instance_types(sm, account_id):
    spec = simple_inference_spec(account_id)
    del spec["SupportedRealtimeInferenceInstanceTypes"]
    msg = expect_error(sm.create_model_package, ModelPackageName=uniq("noinst"), InferenceSpecification=spec)
    assert "SupportedRealtimeInferenceInstanceTypes" in msg, msg


def test_approval_status_is_for_versioned_packages_only(sm, account_id):
    # Both SageMaker SDKs' register() send one for unversioned packages too:
    # accepted at create and not stored (docs/fidelity.md), but an update
    # cannot give an unversioned package an approval status.
    name = uniq("unv-approval")
    arn = sm.create_model_package(ModelPackageName=name, InferenceSpecification=simple_inference_spec(),
                                  ModelApprovalStatus="Approved")["ModelPackageArn"]
    assert "ModelApprovalStatus" not in sm.describe_model_package(ModelPackageName=arn)
    expect_error(sm.update_model_package, ModelPackageArn=arn, ModelApprovalStatus="Approved")
