"""STS and IAM on the shared port (README, the STS and IAM entries of the feature list): caller
identity and temporary credentials that sign every service as the account
that got them, IAM roles per account in IAM's own protocol, SageMaker's
role parameters checked against them (with the switch that accepts any
well-formed ARN), and a parsable error, in its own shape, from any service
Slipway does not implement."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import time
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from e2e_helpers import SAGEMAKER_TRUST_POLICY, SLIPWAY_BIN, Account, clean_env, error_of
from s3_helpers import new_bucket

EC2_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
ASSUME_REFUSED = ("Could not assume role {arn}. Please ensure that the role exists and allows principal "
                  "'sagemaker.amazonaws.com' to assume the role.")


def client(server, service: str, creds: dict | None = None, account: Account | None = None, **cfg):
    """A boto3 client; `creds` are STS Credentials (with SessionToken)."""
    if creds is not None:
        keys = dict(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                    aws_session_token=creds.get("SessionToken"))
    else:
        a = account or server.creds
        keys = dict(aws_access_key_id=a.access_key, aws_secret_access_key=a.secret_key)
    config = Config(retries={"max_attempts": 1, "mode": "standard"}, **cfg)
    return boto3.session.Session(region_name=server.region, **keys).client(
        service, endpoint_url=server.endpoint, config=config)


def code_of(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def uniq(prefix: str) -> str:
    return f"{prefix}-{time.time_ns() % 10**10}"


@pytest.fixture(scope="module")
def srv(module_server):
    return module_server


@pytest.fixture(scope="module")
def sts(srv):
    return client(srv, "sts")


@pytest.fixture(scope="module")
def iam(srv):
    return client(srv, "iam")


def new_role(iam, trust: str = SAGEMAKER_TRUST_POLICY, **kw) -> dict:
    return iam.create_role(RoleName=uniq("role"), AssumeRolePolicyDocument=trust, **kw)["Role"]


# -- STS ---------------------------------------------------------------------

def test_get_caller_identity_is_the_accounts_root(srv, sts):
    me = sts.get_caller_identity()
    assert me["Account"] == srv.account_id
    assert me["Arn"] == f"arn:aws:iam::{srv.account_id}:root"
    assert me["UserId"] == srv.account_id
    assert me["ResponseMetadata"]["RequestId"]


def test_session_token_credentials_sign_every_service(srv, sts, tmp_path):
    before = dt.datetime.now(dt.timezone.utc)
    creds = sts.get_session_token()["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    assert creds["SessionToken"] and len(creds["SecretAccessKey"]) == 40
    lifetime = creds["Expiration"] - before
    assert dt.timedelta(hours=11, minutes=59) < lifetime <= dt.timedelta(hours=12, minutes=1), lifetime
    short = sts.get_session_token(DurationSeconds=900)["Credentials"]
    assert short["Expiration"] - before <= dt.timedelta(seconds=901)

    assert client(srv, "sts", creds).get_caller_identity()["Arn"] == f"arn:aws:iam::{srv.account_id}:root"
    # SageMaker (JSON): resources land in the same account.
    sm = client(srv, "sagemaker", creds)
    group = uniq("tmpcreds")
    arn = sm.create_model_package_group(ModelPackageGroupName=group)["ModelPackageGroupArn"]
    assert f":{srv.account_id}:" in arn
    srv.client().describe_model_package_group(ModelPackageGroupName=group)
    # Logs (JSON), ECR (JSON).
    logs = client(srv, "logs", creds)
    logs.create_log_group(logGroupName=f"/tmp/{group}")
    assert logs.describe_log_groups(logGroupNamePrefix=f"/tmp/{group}")["logGroups"]
    assert client(srv, "ecr", creds).get_authorization_token()["authorizationData"]
    # S3, headers and presigned URLs (SigV4 and boto3's default).
    s3 = client(srv, "s3", creds, s3={"addressing_style": "path"})
    b = new_bucket(s3, "tmpcreds")
    s3.put_object(Bucket=b, Key="k", Body=b"hello")
    assert s3.get_object(Bucket=b, Key="k")["Body"].read() == b"hello"
    assert b in [x["Name"] for x in client(srv, "s3").list_buckets()["Buckets"]]
    for signer in ("s3v4", None):
        extra = {"signature_version": signer} if signer else {}
        url = client(srv, "s3", creds, s3={"addressing_style": "path"}, **extra).generate_presigned_url(
            "get_object", Params={"Bucket": b, "Key": "k"}, ExpiresIn=60)
        assert "security-token" in url.lower()
        with urllib.request.urlopen(url, timeout=10) as r:
            assert r.read() == b"hello"
        tampered = url.replace("ecurity-Token=", "ecurity-Token=x").replace("ecurity-token=", "ecurity-token=x")
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(tampered, timeout=10)
        assert e.value.code in (400, 403)


def test_session_credentials_cannot_get_another_session_token(srv, sts):
    creds = sts.get_session_token()["Credentials"]
    with pytest.raises(ClientError) as e:
        client(srv, "sts", creds).get_session_token()
    assert error_of(e) == ("AccessDenied", "Cannot call GetSessionToken with session credentials", 403)


def test_assume_role_acts_as_the_role(srv, sts, iam):
    role = new_role(iam)
    out = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="seller@ci")
    user = out["AssumedRoleUser"]
    assert user["Arn"] == f"arn:aws:sts::{srv.account_id}:assumed-role/{role['RoleName']}/seller@ci"
    assert user["AssumedRoleId"] == f"{role['RoleId']}:seller@ci"
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    lifetime = creds["Expiration"] - dt.datetime.now(dt.timezone.utc)
    assert dt.timedelta(minutes=59) < lifetime <= dt.timedelta(hours=1), lifetime
    me = client(srv, "sts", creds).get_caller_identity()
    assert me["Arn"] == user["Arn"] and me["UserId"] == user["AssumedRoleId"]
    assert me["Account"] == srv.account_id
    name = uniq("assumed")
    client(srv, "sagemaker", creds).create_model_package_group(ModelPackageGroupName=name)
    srv.client().describe_model_package_group(ModelPackageGroupName=name)


def test_assume_role_refusals(srv, sts, iam):
    role = new_role(iam)
    missing = f"arn:aws:iam::{srv.account_id}:role/NoSuchRole"
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=missing, RoleSessionName="ss")
    assert error_of(e) == ("AccessDenied", f"User: arn:aws:iam::{srv.account_id}:root is not authorized to "
                           f"perform: sts:AssumeRole on resource: {missing}", 403)
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="ss", DurationSeconds=7200)
    assert error_of(e) == ("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration "
                           "set for this role.", 400)
    raw = client(srv, "sts", parameter_validation=False)
    with pytest.raises(ClientError) as e:
        raw.assume_role(RoleArn=role["Arn"], RoleSessionName="not allowed!")
    c, msg, status = error_of(e)
    assert (c, status) == ("ValidationError", 400)
    assert msg.startswith("1 validation error detected: Value 'not allowed!' at 'roleSessionName' failed to "
                          "satisfy constraint: Member must satisfy regular expression pattern: "), msg
    with pytest.raises(ClientError) as e:
        raw.get_session_token(DurationSeconds=60)
    assert error_of(e)[0] == "ValidationError" and "greater than or equal to 900" in error_of(e)[1]


def test_missing_or_wrong_session_tokens_are_refused(srv, sts):
    creds = sts.get_session_token()["Credentials"]
    no_token = dict(creds, SessionToken=None)
    wrong = dict(creds, SessionToken=creds["SessionToken"][:-4] + "AAAA")
    for bad, s3_code, json_code, sts_code in (
        (no_token, "InvalidAccessKeyId", "UnrecognizedClientException", "InvalidClientTokenId"),
        (wrong, "InvalidToken", "UnrecognizedClientException", "InvalidClientTokenId"),
    ):
        with pytest.raises(ClientError) as e:
            client(srv, "sagemaker", bad).list_model_package_groups()
        assert code_of(e) == json_code
        with pytest.raises(ClientError) as e:
            client(srv, "logs", bad).describe_log_groups()
        assert code_of(e) == json_code
        with pytest.raises(ClientError) as e:
            client(srv, "s3", bad, s3={"addressing_style": "path"}).list_buckets()
        assert code_of(e) == s3_code
        with pytest.raises(ClientError) as e:
            client(srv, "sts", bad).get_caller_identity()
        assert error_of(e) == (sts_code, "The security token included in the request is invalid.", 403)
    # An account's own key with a token it never had is refused too.
    with pytest.raises(ClientError) as e:
        client(srv, "sts", dict(AccessKeyId=srv.access_key, SecretAccessKey=srv.secret_key,
                                SessionToken=creds["SessionToken"])).get_caller_identity()
    assert code_of(e) == "InvalidClientTokenId"


def test_temporary_credentials_expire_and_survive_a_restart(server_factory):
    srv = server_factory(env={"SLIPWAY_JOBS": "off", "SLIPWAY_TEST_SESSION_LIFETIME_SECONDS": "4"}).start()
    sts = client(srv, "sts")
    short = sts.get_session_token()["Credentials"]
    assert short["Expiration"] - dt.datetime.now(dt.timezone.utc) <= dt.timedelta(seconds=5)
    role = srv.client(service="iam").get_role(RoleName="SlipwayExecutionRole")["Role"]
    assumed = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="short")["Credentials"]
    client(srv, "sagemaker", short).list_model_package_groups()
    srv.restart()
    # Stored: still good after a restart, until they expire.
    client(srv, "sagemaker", short).list_model_package_groups()
    client(srv, "sts", assumed).get_caller_identity()
    time.sleep(max(0.0, (short["Expiration"] - dt.datetime.now(dt.timezone.utc)).total_seconds()) + 1.5)
    for creds in (short, assumed):
        with pytest.raises(ClientError) as e:
            client(srv, "sagemaker", creds).list_model_package_groups()
        assert error_of(e) == ("ExpiredTokenException", "The security token included in the request is expired", 400)
        with pytest.raises(ClientError) as e:
            client(srv, "logs", creds).describe_log_groups()
        assert code_of(e) == "ExpiredTokenException"
        with pytest.raises(ClientError) as e:
            client(srv, "s3", creds, s3={"addressing_style": "path"}).list_buckets()
        assert error_of(e) == ("ExpiredToken", "The provided token has expired.", 400)
        with pytest.raises(ClientError) as e:
            client(srv, "sts", creds).get_caller_identity()
        assert error_of(e) == ("ExpiredToken", "The security token included in the request is expired", 403)


def test_aws_cli_sts_and_iam(srv, tmp_path):
    me = srv.cli("sts", "get-caller-identity").json
    assert me["Account"] == srv.account_id
    trust = tmp_path / "trust.json"
    trust.write_text(SAGEMAKER_TRUST_POLICY)
    name = uniq("cli")
    made = srv.cli("iam", "create-role", "--role-name", name, "--path", "/service-role/",
                   "--assume-role-policy-document", f"file://{trust}").json["Role"]
    assert made["Arn"] == f"arn:aws:iam::{srv.account_id}:role/service-role/{name}"
    got = srv.cli("iam", "get-role", "--role-name", name).json["Role"]
    assert got["AssumeRolePolicyDocument"] == json.loads(SAGEMAKER_TRUST_POLICY)
    srv.cli("iam", "attach-role-policy", "--role-name", name, "--policy-arn",
            "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess")
    bad = srv.cli("iam", "delete-role", "--role-name", name, check=False)
    assert bad.returncode != 0 and "DeleteConflict" in bad.stderr, bad.stderr


# -- IAM ---------------------------------------------------------------------

def test_iam_role_lifecycle(srv, iam):
    name = uniq("Life")
    tags = [{"Key": "team", "Value": "sellers"}]
    made = iam.create_role(RoleName=name, Path="/team/", AssumeRolePolicyDocument=SAGEMAKER_TRUST_POLICY,
                           Description="for tests", MaxSessionDuration=7200, Tags=tags)["Role"]
    assert made["Arn"] == f"arn:aws:iam::{srv.account_id}:role/team/{name}"
    assert made["RoleId"].startswith("AROA") and len(made["RoleId"]) == 21
    assert made["Path"] == "/team/" and made["MaxSessionDuration"] == 7200
    assert isinstance(made["CreateDate"], dt.datetime)
    got = iam.get_role(RoleName=name.lower())["Role"]  # names are case-insensitive
    assert got["RoleName"] == name and got["Description"] == "for tests" and got["Tags"] == tags
    assert got["AssumeRolePolicyDocument"] == json.loads(SAGEMAKER_TRUST_POLICY)
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName=name.upper(), AssumeRolePolicyDocument=SAGEMAKER_TRUST_POLICY)
    assert error_of(e) == ("EntityAlreadyExists", f"Role with name {name.upper()} already exists.", 409)
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName=uniq("bad"), AssumeRolePolicyDocument="{not json")
    assert code_of(e) == "MalformedPolicyDocument"
    with pytest.raises(ClientError) as e:
        iam.create_role(RoleName="has space", AssumeRolePolicyDocument=SAGEMAKER_TRUST_POLICY)
    assert code_of(e) == "ValidationError" and "'roleName'" in error_of(e)[1]

    policy = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"
    iam.attach_role_policy(RoleName=name, PolicyArn=policy)
    iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonSageMakerServiceCatalogProductsUseRole")
    attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    assert attached[0] == {"PolicyName": "AmazonSageMakerFullAccess", "PolicyArn": policy}
    assert len(iam.list_attached_role_policies(RoleName=name, PathPrefix="/service-role/")["AttachedPolicies"]) == 1
    with pytest.raises(ClientError) as e:
        iam.attach_role_policy(RoleName=name, PolicyArn="arn:aws:s3:::not-a-policy")
    assert code_of(e) in ("InvalidInput", "ValidationError")
    with pytest.raises(ClientError) as e:
        iam.delete_role(RoleName=name)
    assert error_of(e) == ("DeleteConflict", "Cannot delete entity, must detach all policies first.", 409)
    for p in [a["PolicyArn"] for a in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]]:
        iam.detach_role_policy(RoleName=name, PolicyArn=p)
    with pytest.raises(ClientError) as e:
        iam.detach_role_policy(RoleName=name, PolicyArn=policy)
    assert error_of(e) == ("NoSuchEntity", f"Policy {policy} was not found.", 404)
    iam.delete_role(RoleName=name)
    with pytest.raises(ClientError) as e:
        iam.get_role(RoleName=name)
    assert error_of(e) == ("NoSuchEntity", f"The role with name {name} cannot be found.", 404)


def test_list_roles_pages_and_filters_by_path(srv, iam):
    prefix = f"/{uniq('page')}/"
    names = sorted(iam.create_role(RoleName=uniq(f"p{i}"), Path=prefix,
                                   AssumeRolePolicyDocument=SAGEMAKER_TRUST_POLICY)["Role"]["RoleName"]
                   for i in range(5))
    seen, marker, pages = [], None, 0
    while True:
        kw = {"Marker": marker} if marker else {}
        page = iam.list_roles(PathPrefix=prefix, MaxItems=2, **kw)
        pages += 1
        seen += [r["RoleName"] for r in page["Roles"]]
        if not page["IsTruncated"]:
            assert "Marker" not in page
            break
        marker = page["Marker"]
    assert seen == names and pages == 3
    everything = [r["RoleName"] for p in iam.get_paginator("list_roles").paginate() for r in p["Roles"]]
    assert set(names) <= set(everything) and "SlipwayExecutionRole" in everything


def test_simulate_principal_policy(srv, iam):
    role = new_role(iam)
    out = iam.simulate_principal_policy(PolicySourceArn=role["Arn"],
                                        ActionNames=["sagemaker:CreateTrainingJob", "s3:GetObject"])
    results = out["EvaluationResults"]
    assert [(r["EvalActionName"], r["EvalDecision"], r["EvalResourceName"]) for r in results] == [
        ("sagemaker:CreateTrainingJob", "allowed", "*"), ("s3:GetObject", "allowed", "*")]
    assert out["IsTruncated"] is False
    with pytest.raises(ClientError) as e:
        iam.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{srv.account_id}:role/Missing",
                                      ActionNames=["s3:GetObject"])
    assert code_of(e) == "NoSuchEntity"


def test_roles_are_per_account(srv, iam):
    role = new_role(iam)
    other = srv.create_account("iam-other")
    theirs = client(srv, "iam", account=other)
    with pytest.raises(ClientError) as e:
        theirs.get_role(RoleName=role["RoleName"])
    assert code_of(e) == "NoSuchEntity"
    assert role["RoleName"] not in [r["RoleName"] for r in theirs.list_roles()["Roles"]]
    with pytest.raises(ClientError) as e:
        client(srv, "sts", account=other).assume_role(RoleArn=role["Arn"], RoleSessionName="xx")
    assert code_of(e) == "AccessDenied"
    # A new account comes with its own default execution role.
    default = theirs.get_role(RoleName="SlipwayExecutionRole")["Role"]
    assert default["Arn"] == f"arn:aws:iam::{other.account_id}:role/SlipwayExecutionRole"
    assert theirs.list_attached_role_policies(RoleName="SlipwayExecutionRole")["AttachedPolicies"] == [
        {"PolicyName": "AmazonSageMakerFullAccess", "PolicyArn": "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"}]


# -- SageMaker's role parameters ----------------------------------------------

def _training(name: str, role: str) -> dict:
    return dict(
        TrainingJobName=name, RoleArn=role,
        AlgorithmSpecification={"TrainingImage": "busybox", "TrainingInputMode": "File"},
        OutputDataConfig={"S3OutputPath": "s3://b/out"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        StoppingCondition={"MaxRuntimeInSeconds": 60},
    )


def _package(name: str, role: str) -> dict:
    return dict(
        ModelPackageName=name,
        InferenceSpecification={"Containers": [{"Image": "busybox"}], "SupportedContentTypes": ["text/csv"],
                                "SupportedResponseMIMETypes": ["text/csv"],
                                "SupportedTransformInstanceTypes": ["ml.m5.large"],
                                "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"]},
        ValidationSpecification={"ValidationRole": role, "ValidationProfiles": [{
            "ProfileName": "p", "TransformJobDefinition": {
                "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/in"}}},
                "TransformOutput": {"S3OutputPath": "s3://b/out"},
                "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1}}}]},
    )


def test_sagemaker_refuses_roles_it_cannot_assume(srv, iam):
    sm = srv.client()
    ec2_role = new_role(iam, EC2_TRUST)["Arn"]
    other_account = "arn:aws:iam::111122223333:role/SlipwayExecutionRole"
    for role in (f"arn:aws:iam::{srv.account_id}:role/DoesNotExist", ec2_role, other_account):
        want = ("ValidationException", ASSUME_REFUSED.format(arn=role), 400)
        with pytest.raises(ClientError) as e:
            sm.create_training_job(**_training(uniq("tj"), role))
        assert error_of(e) == want
        with pytest.raises(ClientError) as e:
            sm.create_model(ModelName=uniq("m"), PrimaryContainer={"Image": "busybox"}, ExecutionRoleArn=role)
        assert error_of(e) == want
        with pytest.raises(ClientError) as e:
            sm.create_model_package(**_package(uniq("mp"), role))
        assert error_of(e) == want
    # The default execution role is good for all of them.
    default = f"arn:aws:iam::{srv.account_id}:role/SlipwayExecutionRole"
    sm.create_model(ModelName=uniq("m"), PrimaryContainer={"Image": "busybox"}, ExecutionRoleArn=default)
    sm.create_model_package(**_package(uniq("mp"), default))


def test_the_switch_accepts_any_well_formed_role(server_factory):
    srv = server_factory(env={"SLIPWAY_JOBS": "off", "SLIPWAY_ACCEPT_ANY_ROLE_ARN": "true"}).start()
    sm = srv.client()
    anyrole = "arn:aws:iam::111122223333:role/service-role/AmazonSageMaker-ExecutionRole-20240101T000000"
    sm.create_model(ModelName=uniq("m"), PrimaryContainer={"Image": "busybox"}, ExecutionRoleArn=anyrole)
    sm.create_model_package(**_package(uniq("mp"), anyrole))
    with pytest.raises(ClientError) as e:  # still checked against the model
        srv.client(validate=False).create_model(ModelName=uniq("m"), PrimaryContainer={"Image": "busybox"},
                                                ExecutionRoleArn="not-an-arn")
    assert code_of(e) == "ValidationException"


def test_first_start_prints_the_default_role_and_account_create_makes_one(tmp_path):
    data = tmp_path / "data"
    env = dict(clean_env(), SLIPWAY_JOBS="off", RUST_LOG="warn")
    proc = subprocess.Popen([str(SLIPWAY_BIN), "serve", "--data-dir", str(data), "--listen", "127.0.0.1:0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    try:
        assert proc.stdout is not None
        export = proc.stdout.readline().strip()
        role_line = proc.stdout.readline().strip()
    finally:
        proc.terminate()
        proc.wait(10)
    assert export.startswith("export AWS_ENDPOINT_URL=http://127.0.0.1:")
    assert role_line.startswith("# SageMaker execution role"), role_line
    arn = role_line.rsplit(" ", 1)[-1]
    assert arn.startswith("arn:aws:iam::") and arn.endswith(":role/SlipwayExecutionRole"), arn
    out = subprocess.run([str(SLIPWAY_BIN), "account", "create", "--data-dir", str(data), "--name", "t"],
                         capture_output=True, text=True, env=clean_env(), timeout=60, check=True).stdout
    vals = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    assert vals["SAGEMAKER_ROLE_ARN"] == f"arn:aws:iam::{vals['ACCOUNT_ID']}:role/SlipwayExecutionRole"


# -- services Slipway does not implement --------------------------------------

def test_unimplemented_services_answer_in_their_own_shape(srv):
    for service, call, code in (
        ("sns", lambda c: c.list_topics(), "InvalidAction"),
        ("ec2", lambda c: c.describe_instances(), "InvalidAction"),
        ("cloudformation", lambda c: c.list_stacks(), "InvalidAction"),
        ("dynamodb", lambda c: c.list_tables(), "UnknownOperationException"),
        ("lambda", lambda c: c.list_functions(), "UnknownOperationException"),
    ):
        with pytest.raises(ClientError) as e:
            call(client(srv, service))
        got, message, status = error_of(e)
        assert got == code, (service, e.value.response)
        assert status == 400 and "does not implement" in message, (service, message)
    # Unsigned query requests name the service from their Version.
    req = urllib.request.Request(srv.endpoint + "/", data=b"Action=GetCallerIdentity&Version=2011-06-15",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    body = e.value.read().decode()
    assert e.value.code == 403 and "<ErrorResponse" in body and "<Type>Sender</Type>" in body, body
    assert "https://sts.amazonaws.com/doc/2011-06-15/" in body


def test_s3_still_answers_posts_and_root_requests(srv):
    s3 = client(srv, "s3", s3={"addressing_style": "path"})
    b = new_bucket(s3, "stillok")
    s3.put_object(Bucket=b, Key="a", Body=b"1")
    assert s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "a"}]})["Deleted"] == [{"Key": "a"}]
    post = s3.generate_presigned_post(b, "form-upload")
    import requests  # noqa: PLC0415 (only this test posts a form)
    r = requests.post(post["url"], data=post["fields"], files={"file": ("x", b"form-bytes")}, timeout=10)
    assert r.status_code in (200, 204), r.text
    assert s3.get_object(Bucket=b, Key="form-upload")["Body"].read() == b"form-bytes"
    assert b in [x["Name"] for x in s3.list_buckets()["Buckets"]]
