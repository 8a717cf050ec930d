"""SigV4 on every request (header and presigned forms), the credential scope's
region, presigned URL lifetimes, and account isolation."""

from __future__ import annotations

import copy

import datetime as dt
import http.client
import json
from urllib.parse import urlsplit
from xml.etree import ElementTree

import boto3
import pytest
import requests
from botocore import UNSIGNED
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from e2e_helpers import (
    JSON_CT,
    Account,
    algorithm_doc,
    error_of,
    model_package_doc,
    presign,
    send_raw,
    sign_headers,
    simple_inference_spec,
    uniq,
    utcnow,
)
from registry_helpers import basic, token_password

LIST = "SageMaker.ListAlgorithms"


def assert_error(resp, status, code, starts=None):
    assert resp.status == status, resp
    assert resp.error_type == code, resp
    assert resp.message, resp
    if starts:
        assert resp.message.startswith(starts), resp.message


# -- header form ---------------------------------------------------------------------
def test_signed_request_works(server):
    r = server.raw(LIST, {})
    assert r.status == 200, r


def test_unsigned_request(server):
    assert_error(server.raw(LIST, {}, sign=False), 403, "MissingAuthenticationTokenException")


def test_unsigned_boto3_client(server):
    c = server.client(signature_version=UNSIGNED)
    with pytest.raises(ClientError) as e:
        c.list_algorithms()
    code, _msg, status = error_of(e)
    assert (code, status) == ("MissingAuthenticationTokenException", 403)


def _flip_signature(h):
    auth = h["Authorization"]
    last = auth[-1]
    h["Authorization"] = auth[:-1] + ("0" if last != "0" else "1")


def test_forged_signature(server):
    assert_error(server.raw(LIST, {}, after_sign=_flip_signature), 403, "InvalidSignatureException")


def test_wrong_secret_with_boto3(server):
    c = server.client(Account(None, server.access_key, "wrong" + server.secret_key[5:]))
    with pytest.raises(ClientError) as e:
        c.list_algorithms()
    code, _msg, status = error_of(e)
    assert (code, status) == ("InvalidSignatureException", 403)


def test_body_changed_after_signing(server):
    body = json.dumps({"MaxResults": 5}).encode()
    hdrs = sign_headers(server.endpoint + "/", "POST", body, {"Content-Type": JSON_CT, "X-Amz-Target": LIST},
                        server.creds, server.region)
    r = send_raw(server.host_port, "POST", "/", json.dumps({"MaxResults": 6}).encode(), hdrs)
    assert_error(r, 403, "InvalidSignatureException")


def test_signed_header_changed_after_signing(server):
    def swap_target(h):
        h["X-Amz-Target"] = "SageMaker.ListModelPackages"

    assert_error(server.raw(LIST, {}, after_sign=swap_target), 403, "InvalidSignatureException")


def test_unknown_access_key(server):
    c = server.client(Account(None, "AKIAUNKNOWNUNKNOWN00", "x" * 40))
    with pytest.raises(ClientError) as e:
        c.list_algorithms()
    code, _msg, status = error_of(e)
    assert (code, status) == ("UnrecognizedClientException", 403)


MALFORMED = {
    "garbage": lambda h: h.__setitem__("Authorization", "AWS4-HMAC-SHA256 garbage"),
    "no-signature": lambda h: h.__setitem__("Authorization", h["Authorization"].rsplit(", Signature=", 1)[0]),
    "no-signed-headers": lambda h: h.__setitem__(
        "Authorization", ", ".join(p for p in h["Authorization"].split(", ") if not p.startswith("SignedHeaders="))
    ),
    "no-credential": lambda h: h.__setitem__(
        "Authorization", "AWS4-HMAC-SHA256 " + h["Authorization"].split(", ", 1)[1]
    ),
    "no-date": lambda h: h.pop("X-Amz-Date"),
}


@pytest.mark.parametrize("mutate", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_authorization_header(server, mutate):
    assert_error(server.raw(LIST, {}, after_sign=mutate), 400, "IncompleteSignatureException")


@pytest.mark.parametrize(
    "minutes,ok,starts",
    [(-16, False, "Signature expired"), (16, False, "Signature not yet current"), (-14, True, None), (14, True, None)],
    ids=["16min-past", "16min-future", "14min-past", "14min-future"],
)
def test_clock_skew(server, minutes, ok, starts):
    r = server.raw(LIST, {}, when=utcnow() + dt.timedelta(minutes=minutes))
    if ok:
        assert r.status == 200, r
    else:
        assert_error(r, 403, "InvalidSignatureException", starts)


def test_credential_scope_date_must_match_request_date(server):
    def scope_date(h):
        auth = h["Authorization"]
        date = auth.split("Credential=", 1)[1].split("/")[1]
        other = f"{int(date[:4]) - 1}{date[4:]}"
        h["Authorization"] = auth.replace(f"/{date}/", f"/{other}/", 1)

    assert_error(server.raw(LIST, {}, after_sign=scope_date), 403, "InvalidSignatureException")


def test_host_must_be_signed(server):
    def drop_host(h):
        h["Authorization"] = h["Authorization"].replace(";host;", ";")

    assert_error(server.raw(LIST, {}, after_sign=drop_host), 403, "InvalidSignatureException")


def test_credential_scope_must_name_the_sagemaker_service(server):
    """A signature scoped to another service (here s3) is not a SageMaker
    signature: AWS answers 403 InvalidSignatureException "Credential should be
    scoped to correct service: 'sagemaker'."."""
    body = b"{}"
    req = AWSRequest(method="POST", url=server.endpoint + "/", data=body,
                     headers={"Content-Type": JSON_CT, "X-Amz-Target": LIST})
    SigV4Auth(Credentials(server.access_key, server.secret_key), "s3", server.region).add_auth(req)
    assert_error(send_raw(server.host_port, "POST", "/", body, dict(req.headers)), 403, "InvalidSignatureException")


# -- presigned (query) form ---------------------------------------------------------------
def _presigned(server, body=b"{}", expires=300, when=None, creds=None):
    return presign(server.endpoint + "/", body, {"Content-Type": JSON_CT, "X-Amz-Target": LIST},
                   creds or server.creds, server.region, expires=expires, when=when)


def test_presigned_request_works(server):
    path, hdrs = _presigned(server)
    assert "X-Amz-Signature=" in path and "Authorization" not in hdrs
    r = send_raw(server.host_port, "POST", path, b"{}", hdrs)
    assert r.status == 200, r
    assert "AlgorithmSummaryList" in r.json


def test_presigned_with_forged_signature(server):
    path, hdrs = _presigned(server)
    path = path[:-1] + ("0" if path[-1] != "0" else "1")
    assert_error(send_raw(server.host_port, "POST", path, b"{}", hdrs), 403, "InvalidSignatureException")


def test_presigned_with_other_body(server):
    path, hdrs = _presigned(server)
    r = send_raw(server.host_port, "POST", path, b'{"MaxResults": 1}', hdrs)
    assert_error(r, 403, "InvalidSignatureException")


def test_presigned_expired(server):
    path, hdrs = _presigned(server, expires=60, when=utcnow() - dt.timedelta(minutes=5))
    r = send_raw(server.host_port, "POST", path, b"{}", hdrs)
    assert r.status == 403, r
    assert r.error_type, r


def test_presigned_with_unknown_key(server):
    path, hdrs = _presigned(server, creds=Account(None, "AKIAUNKNOWNUNKNOWN00", "x" * 40))
    assert_error(send_raw(server.host_port, "POST", path, b"{}", hdrs), 403, "UnrecognizedClientException")


# -- accounts -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def two_accounts(server, account_id):
    a = server.client()
    b_acct = server.create_account(uniq("team-b"))
    b = server.client(b_acct)
    token = uniq("iso")
    alg = algorithm_doc(account_id, f"{token}-alg")
    alg_arn = a.create_algorithm(**alg)["AlgorithmArn"]
    mp = model_package_doc(account_id, f"{token}-mp")
    mp_arn = a.create_model_package(**mp)["ModelPackageArn"]
    group = f"{token}-group"
    group_arn = a.create_model_package_group(ModelPackageGroupName=group)["ModelPackageGroupArn"]
    v_arn = a.create_model_package(ModelPackageGroupName=group, InferenceSpecification=simple_inference_spec())[
        "ModelPackageArn"
    ]
    a.add_tags(ResourceArn=alg_arn, Tags=[{"Key": "owner", "Value": "a"}])
    return dict(a=a, b=b, b_acct=b_acct, token=token, alg=alg, alg_arn=alg_arn, mp=mp, mp_arn=mp_arn, group=group,
                group_arn=group_arn, v_arn=v_arn)


def test_second_account_has_its_own_id(two_accounts, account_id):
    b_acct = two_accounts["b_acct"]
    assert len(b_acct.account_id) == 12 and b_acct.account_id.isdigit()
    assert b_acct.account_id != account_id


def _b_calls(t):
    tok = t["token"]
    return [
        ("describe_algorithm", {"AlgorithmName": f"{tok}-alg"}),
        ("describe_algorithm", {"AlgorithmName": t["alg_arn"]}),
        ("delete_algorithm", {"AlgorithmName": f"{tok}-alg"}),
        ("describe_model_package", {"ModelPackageName": f"{tok}-mp"}),
        ("describe_model_package", {"ModelPackageName": t["mp_arn"]}),
        ("delete_model_package", {"ModelPackageName": f"{tok}-mp"}),
        ("delete_model_package", {"ModelPackageName": t["mp_arn"]}),
        ("describe_model_package", {"ModelPackageName": f"{t['group']}/1"}),
        ("describe_model_package", {"ModelPackageName": t["v_arn"]}),
        ("delete_model_package", {"ModelPackageName": t["v_arn"]}),
        ("update_model_package", {"ModelPackageArn": t["v_arn"], "ModelApprovalStatus": "Approved"}),
        ("describe_model_package_group", {"ModelPackageGroupName": t["group"]}),
        ("describe_model_package_group", {"ModelPackageGroupName": t["group_arn"]}),
        ("delete_model_package_group", {"ModelPackageGroupName": t["group"]}),
        ("delete_model_package_group", {"ModelPackageGroupName": t["group_arn"]}),
        ("add_tags", {"ResourceArn": t["alg_arn"], "Tags": [{"Key": "owner", "Value": "b"}]}),
        ("add_tags", {"ResourceArn": t["mp_arn"], "Tags": [{"Key": "owner", "Value": "b"}]}),
        ("list_tags", {"ResourceArn": t["alg_arn"]}),
        ("delete_tags", {"ResourceArn": t["alg_arn"], "TagKeys": ["owner"]}),
        ("list_model_packages", {"ModelPackageGroupName": t["group_arn"]}),
    ]


def test_b_cannot_touch_a_resources(two_accounts):
    t = two_accounts
    b = t["b"]
    failures = []
    for op, kw in _b_calls(t):
        try:
            resp = getattr(b, op)(**kw)
        except ClientError as e:
            code = e.response["Error"]["Code"]
            if code not in ("ValidationException", "ResourceNotFound"):
                failures.append(f"{op}({kw}): unexpected error {code}")
            continue
        # only a list of A's group may "succeed", and then it must show nothing of A's
        if op == "list_model_packages" and resp["ModelPackageSummaryList"] == []:
            continue
        failures.append(f"{op}({kw}) succeeded for account B: {resp}")
    assert not failures, "\n".join(failures)

    # and A's resources are exactly as before
    a = t["a"]
    assert a.describe_algorithm(AlgorithmName=t["alg_arn"])["AlgorithmName"] == t["alg"]["AlgorithmName"]
    assert a.describe_model_package(ModelPackageName=t["mp_arn"])["ModelPackageArn"] == t["mp_arn"]
    v = a.describe_model_package(ModelPackageName=t["v_arn"])
    assert v["ModelApprovalStatus"] == "PendingManualApproval"
    assert a.describe_model_package_group(ModelPackageGroupName=t["group"])["ModelPackageGroupArn"] == t["group_arn"]
    assert a.list_tags(ResourceArn=t["alg_arn"])["Tags"] == [{"Key": "owner", "Value": "a"}]


def test_b_lists_only_its_own(two_accounts):
    t = two_accounts
    b, tok = t["b"], t["token"]
    assert b.list_algorithms(NameContains=tok)["AlgorithmSummaryList"] == []
    assert b.list_model_packages(NameContains=tok, ModelPackageType="Both")["ModelPackageSummaryList"] == []
    assert b.list_model_package_groups(NameContains=tok)["ModelPackageGroupSummaryList"] == []

    # B may use the same names; they are B's own resources
    b_alg = copy.deepcopy(t["alg"])
    b_alg["AlgorithmDescription"] = "account B's"
    # A role is the account's own: B validates with its default role.
    b_alg["ValidationSpecification"]["ValidationRole"] = (
        f"arn:aws:iam::{t['b_acct'].account_id}:role/SlipwayExecutionRole")
    b_arn = b.create_algorithm(**b_alg)["AlgorithmArn"]
    assert b_arn == t["alg_arn"].replace(t["alg_arn"].split(":")[4], t["b_acct"].account_id)
    b_group_arn = b.create_model_package_group(ModelPackageGroupName=t["group"])["ModelPackageGroupArn"]
    assert b_group_arn.split(":")[4] == t["b_acct"].account_id

    listed = b.list_algorithms(NameContains=tok)["AlgorithmSummaryList"]
    assert [x["AlgorithmArn"] for x in listed] == [b_arn]
    assert [x["AlgorithmArn"] for x in t["a"].list_algorithms(NameContains=tok)["AlgorithmSummaryList"]] == [
        t["alg_arn"]
    ]
    assert b.describe_algorithm(AlgorithmName=b_alg["AlgorithmName"])["AlgorithmDescription"] == "account B's"
    assert t["a"].describe_algorithm(AlgorithmName=b_alg["AlgorithmName"])["AlgorithmDescription"] == t["alg"][
        "AlgorithmDescription"
    ]
    # B's full listings contain nothing of A's account
    a_id = t["alg_arn"].split(":")[4]
    for page in b.get_paginator("list_algorithms").paginate():
        assert all(x["AlgorithmArn"].split(":")[4] != a_id for x in page["AlgorithmSummaryList"])
    for page in b.get_paginator("list_model_packages").paginate(ModelPackageType="Both"):
        assert all(x["ModelPackageArn"].split(":")[4] != a_id for x in page["ModelPackageSummaryList"])


def test_b_cannot_version_into_a_group(two_accounts):
    t = two_accounts
    with pytest.raises(ClientError) as e:
        t["b"].create_model_package(ModelPackageGroupName=t["group_arn"], InferenceSpecification=simple_inference_spec())
    assert error_of(e)[0] == "ValidationException"
    assert len(t["a"].list_model_packages(ModelPackageGroupName=t["group"])["ModelPackageSummaryList"]) == 1


def test_b_keys_with_a_account_signature_scope_mismatch(server, two_accounts):
    """A's key id with B's secret is a signature mismatch, not access to anything."""
    c = server.client(Account(None, server.access_key, two_accounts["b_acct"].secret_key))
    with pytest.raises(ClientError) as e:
        c.list_algorithms()
    assert error_of(e)[:1] == ("InvalidSignatureException",)


# -- the credential scope's region ------------------------------------------------------
# AWS answers for one region per endpoint: a signature scoped to another is
# refused before it is checked. The JSON services answer 403
# InvalidSignatureException; S3 answers 400 AuthorizationHeaderMalformed
# (header) or AuthorizationQueryParametersError (presigned URL), naming the
# right region in <Region>.
OTHER_REGION = "us-west-2"

JSON_CALLS = {
    "sagemaker": ("sagemaker", "SageMaker.ListAlgorithms"),
    "logs": ("logs", "Logs_20140328.DescribeLogGroups"),
    "ecr": ("ecr", "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories"),
}


def _json_call(server, service, target, region):
    body = b"{}"
    req = AWSRequest(method="POST", url=server.endpoint + "/", data=body,
                     headers={"Content-Type": JSON_CT, "X-Amz-Target": target})
    SigV4Auth(Credentials(server.access_key, server.secret_key), service, region).add_auth(req)
    return send_raw(server.host_port, "POST", "/", body, dict(req.headers))


def _client_in(server, region, service, **cfg):
    """A boto3 client of the server's default account configured for `region`."""
    session = boto3.session.Session(aws_access_key_id=server.access_key,
                                    aws_secret_access_key=server.secret_key, region_name=region)
    config = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=30,
                    s3={"addressing_style": "path"}, **cfg)
    return session.client(service, endpoint_url=server.endpoint, config=config)


def _s3_error(resp):
    """(Code, Message, Region) of an S3 XML error body."""
    doc = ElementTree.fromstring(resp.body)
    assert doc.tag == "Error", resp
    return doc.findtext("Code"), doc.findtext("Message"), doc.findtext("Region")


def _path(url):
    u = urlsplit(url)
    return u.path + ("?" + u.query if u.query else "")


@pytest.mark.parametrize("call", list(JSON_CALLS.values()), ids=list(JSON_CALLS))
def test_json_services_refuse_a_scope_for_another_region(server, call):
    service, target = call
    assert _json_call(server, service, target, server.region).status == 200
    r = _json_call(server, service, target, OTHER_REGION)
    assert_error(r, 403, "InvalidSignatureException")
    assert r.message == f"Credential should be scoped to a valid region, not '{OTHER_REGION}'.", r


def test_boto3_client_for_another_region_is_refused(server):
    with pytest.raises(ClientError) as e:
        _client_in(server, OTHER_REGION, "sagemaker").list_algorithms()
    assert error_of(e) == ("InvalidSignatureException",
                           f"Credential should be scoped to a valid region, not '{OTHER_REGION}'.", 403)


def test_json_presigned_for_another_region_is_refused(server):
    path, hdrs = presign(server.endpoint + "/", b"{}", {"Content-Type": JSON_CT, "X-Amz-Target": LIST},
                         server.creds, OTHER_REGION)
    assert_error(send_raw(server.host_port, "POST", path, b"{}", hdrs), 403, "InvalidSignatureException")


@pytest.fixture(scope="module")
def s3c(server):
    return _client_in(server, server.region, "s3", signature_version="s3v4")


@pytest.fixture(scope="module")
def s3_object(s3c):
    bucket = uniq("scope")
    s3c.create_bucket(Bucket=bucket)
    s3c.put_object(Bucket=bucket, Key="k", Body=b"scoped")
    return bucket, "k"


def test_s3_header_signature_for_another_region(server, s3_object):
    bucket, key = s3_object
    req = AWSRequest(method="GET", url=f"{server.endpoint}/{bucket}/{key}")
    S3SigV4Auth(Credentials(server.access_key, server.secret_key), "s3", OTHER_REGION).add_auth(req)
    r = send_raw(server.host_port, "GET", f"/{bucket}/{key}", b"", dict(req.headers))
    assert r.status == 400, r
    assert _s3_error(r) == (
        "AuthorizationHeaderMalformed",
        f"The authorization header is malformed; the region '{OTHER_REGION}' is wrong; expecting '{server.region}'",
        server.region,
    )
    assert r.headers["x-amz-bucket-region"] == server.region


def test_s3_presigned_url_for_another_region(server, s3c, s3_object):
    bucket, key = s3_object
    good = s3c.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
    r = send_raw(server.host_port, "GET", _path(good), b"", {})
    assert (r.status, r.body) == (200, b"scoped"), r
    other = _client_in(server, OTHER_REGION, "s3", signature_version="s3v4")
    url = other.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
    assert f"%2F{OTHER_REGION}%2Fs3%2F" in url
    r = send_raw(server.host_port, "GET", _path(url), b"", {})
    assert r.status == 400, r
    assert _s3_error(r) == (
        "AuthorizationQueryParametersError",
        f"Error parsing the X-Amz-Credential parameter; the region '{OTHER_REGION}' is wrong; "
        f"expecting '{server.region}'",
        server.region,
    )


def test_boto3_s3_client_for_another_region_is_redirected_as_on_aws(server, s3_object):
    """botocore reads <Region> (x-amz-bucket-region for HEAD) from the refusal
    and signs again for the server's region, as it does against AWS: the
    wrong-region attempt is refused, the second one is served."""
    bucket, key = s3_object

    def client_recording_scopes():
        # A new client each time: botocore remembers a bucket's region.
        c = _client_in(server, OTHER_REGION, "s3")
        scopes: list[str] = []

        def record(request, **_):
            auth = request.headers["Authorization"]
            scopes.append((auth.decode() if isinstance(auth, bytes) else auth).split("/")[2])

        c.meta.events.register("before-send.s3", record)
        return c, scopes

    c, scopes = client_recording_scopes()
    assert c.get_object(Bucket=bucket, Key=key)["Body"].read() == b"scoped"
    assert scopes == [OTHER_REGION, server.region]
    c, scopes = client_recording_scopes()
    c.put_object(Bucket=bucket, Key="put-by-redirect", Body=b"x")
    assert scopes == [OTHER_REGION, server.region]
    c, scopes = client_recording_scopes()
    assert c.head_object(Bucket=bucket, Key=key)["ContentLength"] == 6
    assert scopes[0] == OTHER_REGION and scopes[-1] == server.region


def test_s3_post_upload_for_another_region(server, s3c, s3_object):
    """A browser-form POST carries its scope in a form field s3s reads from
    the body; the account lookup after s3s refuses it all the same."""
    bucket, _ = s3_object
    good = s3c.generate_presigned_post(bucket, "posted")
    r = requests.post(good["url"], data=good["fields"], files={"file": ("f", b"posted")}, timeout=30)
    assert r.status_code == 204, r.text
    other = _client_in(server, OTHER_REGION, "s3", signature_version="s3v4")
    bad = other.generate_presigned_post(bucket, "posted-elsewhere")
    r = requests.post(bad["url"], data=bad["fields"], files={"file": ("f", b"no")}, timeout=30)
    assert r.status_code == 400, r.text
    doc = ElementTree.fromstring(r.content)
    assert doc.findtext("Code") == "AuthorizationHeaderMalformed"
    assert doc.findtext("Message") == (f"The authorization header is malformed; the region '{OTHER_REGION}' "
                                       f"is wrong; expecting '{server.region}'")
    with pytest.raises(ClientError):
        s3c.head_object(Bucket=bucket, Key="posted-elsewhere")


# -- presigned URL lifetime (S3) ---------------------------------------------------------
def _presigned_get(server, s3c, bucket, key, expires):
    url = s3c.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires)
    assert f"X-Amz-Expires={expires}&" in url or url.endswith(f"X-Amz-Expires={expires}")
    return send_raw(server.host_port, "GET", _path(url), b"", {})


@pytest.mark.parametrize("expires", [1, 604800], ids=["1s", "a-week"])
def test_s3_presigned_url_lifetime_up_to_a_week_works(server, s3c, s3_object, expires):
    r = _presigned_get(server, s3c, *s3_object, expires)
    assert (r.status, r.body) == (200, b"scoped"), r


WEEK_MESSAGE = ("X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires "
                "must be less than 604800 seconds")


@pytest.mark.parametrize(
    "expires,message",
    [(604801, WEEK_MESSAGE), (10 ** 10, WEEK_MESSAGE), (-1, "X-Amz-Expires must be non-negative")],
    ids=["a-week-and-a-second", "centuries", "negative"],
)
def test_s3_presigned_url_lifetime_out_of_range(server, s3c, s3_object, expires, message):
    r = _presigned_get(server, s3c, *s3_object, expires)
    assert r.status == 400, r
    assert _s3_error(r) == ("AuthorizationQueryParametersError", message, None)


def test_s3_presigned_url_lifetime_not_a_number(server, s3c, s3_object):
    bucket, key = s3_object
    url = s3c.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=300)
    r = send_raw(server.host_port, "GET", _path(url.replace("X-Amz-Expires=300", "X-Amz-Expires=soon")), b"", {})
    assert r.status == 400, r
    assert _s3_error(r) == ("AuthorizationQueryParametersError", "X-Amz-Expires should be a number", None)


# -- a server configured for another region ---------------------------------------------
def test_a_server_in_another_region_serves_clients_of_that_region(server_factory):
    srv = server_factory(env={"SLIPWAY_JOBS": "off", "SLIPWAY_REGION": "eu-west-1"}).start()
    assert srv.region == "eu-west-1"
    # Every protocol works for clients configured as the export line says.
    assert "AlgorithmSummaryList" in srv.client().list_algorithms()
    assert "logGroups" in srv.client(service="logs").describe_log_groups()
    s3c = _client_in(srv, srv.region, "s3", signature_version="s3v4")
    bucket = uniq("eu")
    s3c.create_bucket(Bucket=bucket)
    s3c.put_object(Bucket=bucket, Key="k", Body=b"eu")
    url = s3c.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=60)
    assert send_raw(srv.host_port, "GET", _path(url), b"", {}).body == b"eu"
    # The registry's token login (not SigV4) is unaffected.
    password = token_password(srv.client(service="ecr"))
    conn = http.client.HTTPConnection(*srv.host_port, timeout=30)
    conn.request("GET", "/v2/", headers={"Authorization": basic(password)})
    assert conn.getresponse().status == 200
    conn.close()
    # us-east-1, the default elsewhere, is now the other region.
    r = _json_call(srv, "sagemaker", LIST, "us-east-1")
    assert_error(r, 403, "InvalidSignatureException")
    assert r.message == "Credential should be scoped to a valid region, not 'us-east-1'."
    req = AWSRequest(method="GET", url=f"{srv.endpoint}/{bucket}/k")
    S3SigV4Auth(Credentials(srv.access_key, srv.secret_key), "s3", "us-east-1").add_auth(req)
    r = send_raw(srv.host_port, "GET", f"/{bucket}/k", b"", dict(req.headers))
    assert _s3_error(r) == (
        "AuthorizationHeaderMalformed",
        "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-1'",
        "eu-west-1",
    )
