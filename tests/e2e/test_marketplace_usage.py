"""Metering of Marketplace products (docs/marketplace.md "Metering"): a seller
publishes the sample algorithm, a buyer account subscribes, trains with the
published copy and hosts the trained model for three minutes. GetUsage
(`SlipwayMarketplace_20261201`, AWS JSON 1.1 signed for `aws-marketplace`)
answers the training's billable time and the endpoint's instance time within
5 % of the wall time, per started minute, priced with the agreement; the
inferences the container counts with `X-Amzn-Inference-Metering`; and the
seller's own run of its product, recorded but not billed. The CLI
(`slipway marketplace usage`) answers the same lines as JSON and CSV, and the
console shows each side its lines and downloads the same CSV."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import subprocess
import time

import botocore.auth
import botocore.credentials
import pytest
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ClientError

from conftest import _start
from console_helpers import run_scenario
from e2e_helpers import TEST_ACCOUNT_ENV, clean_env, ensure_roles, send_raw
from jobs_helpers import ROLE, ensure_images, linear_rows, uniq
from s3_helpers import new_bucket, s3 as s3_client
from test_marketplace_catalog import CATALOG, errors_of, product_of, push, start
from test_validation import algorithm, training_definition, wait_resource

TARGET = "SlipwayMarketplace_20261201."
PRICES = {"ml.m5.large.a.t": 2.0, "ml.m5.large.a.i.b": 1.0, "ml.m5.large.a.i.r": 1.5, "a.i.c": 0.002}
ENDPOINT_SECONDS = 180
METERING_SECONDS = 5


@pytest.fixture(scope="module", autouse=True)
def images():
    ensure_images()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = dict(TEST_ACCOUNT_ENV, SLIPWAY_MARKETPLACE_METERING_SECONDS=str(METERING_SECONDS))
    s = _start(tmp_path_factory, "usage", env=env)
    yield s
    s.stop()
    s.kill()


def mkt(server, creds, op: str, body: dict) -> tuple[int, dict]:
    """One call of Slipway's marketplace API, signed for aws-marketplace."""
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": TARGET + op}
    req = AWSRequest(method="POST", url=server.endpoint + "/", data=data, headers=headers)
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(creds.access_key, creds.secret_key),
                            "aws-marketplace", server.region).add_auth(req)
    r = send_raw(server.host_port, "POST", "/", data, dict(req.headers.items()))
    return r.status, r.json


def usage(server, creds, **filters) -> list[dict]:
    status, doc = mkt(server, creds, "GetUsage", filters)
    assert status == 200, doc
    return doc["UsageRecords"]


def usage_once_recorded(server, creds, count: int, timeout: float = 20) -> list[dict]:
    """The usage lines once there are `count`: a job's usage is recorded as
    its runner finishes, a moment after its terminal status (its containers
    are removed in between)."""
    deadline = time.time() + timeout
    while True:
        lines = usage(server, creds)
        if len(lines) >= count or time.time() > deadline:
            return lines
        time.sleep(0.2)


def train(sm, role: str, copy_arn: str, bucket: str) -> dict:
    job = uniq("train")
    sm.create_training_job(
        TrainingJobName=job, RoleArn=role, EnableNetworkIsolation=True,
        AlgorithmSpecification={"AlgorithmName": copy_arn, "TrainingInputMode": "File"},
        InputDataConfig=training_definition(bucket)["InputDataConfig"],
        OutputDataConfig={"S3OutputPath": f"s3://{bucket}/out/"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
        StoppingCondition={"MaxRuntimeInSeconds": 300})
    t = wait_resource(lambda: sm.describe_training_job(TrainingJobName=job), "TrainingJobStatus")
    assert t["TrainingJobStatus"] == "Completed", t.get("FailureReason")
    return t


def hours(seconds: float, count: int = 1) -> float:
    """Instance hours per started minute."""
    return math.ceil(seconds / 60) * count / 60


def check_training_line(line: dict, job: dict, *, price: float, billed: bool = True) -> None:
    billable = (job["TrainingEndTime"] - job["TrainingStartTime"]).total_seconds()
    assert line["UsageType"] == "Training" and line["Dimension"] == "ml.m5.large.a.t"
    assert line["InstanceType"] == "ml.m5.large" and line["InstanceCount"] == 1
    assert abs(line["DurationSeconds"] - billable) <= max(1, 0.05 * billable), (line, billable)
    assert line["Unit"] == "Hrs" and line["Quantity"] == pytest.approx(hours(line["DurationSeconds"] + 0.5), abs=1 / 60)
    assert line["Price"] == price and line["Quantity"] > 0
    assert line["Amount"] == (pytest.approx(line["Quantity"] * price) if billed else 0)


def test_a_buyers_training_and_three_minute_endpoint_are_metered_and_priced(server, tmp_path_factory):
    sm = server.client()
    s3 = s3_client(server)
    seller_bucket = new_bucket(s3, "seller")
    s3.put_object(Bucket=seller_bucket, Key="train/data.csv", Body=linear_rows(200))
    s3.put_object(Bucket=seller_bucket, Key="batch/q.csv", Body=b"1,1\n2,-1\n")
    buyer = server.create_account("buyer")

    # The seller validates and publishes its algorithm, targeted at the buyer.
    image = push(server, tmp_path_factory, uniq("algo-img"))
    name = uniq("algo")
    req = algorithm(name, seller_bucket, image=image)
    req["InferenceSpecification"]["Containers"][0]["Image"] = image
    sm.create_algorithm(**req)
    a = wait_resource(lambda: sm.describe_algorithm(AlgorithmName=name), "AlgorithmStatus")
    assert a["AlgorithmStatus"] == "Completed", a["AlgorithmStatusDetails"]
    mc = server.client(service="marketplace-catalog")
    option = {"Details": {"SageMakerAlgorithmDeliveryOptionDetails": {
        "SageMakerAlgorithmArn": a["AlgorithmArn"], "UsageInstructions": "Train on CSV, then host."}}}
    pricing = {"PricingModel": "Usage", "Terms": [{"Type": "UsageBasedPricingTerm", "CurrencyCode": "USD",
               "RateCards": [{"RateCard": [{"DimensionKey": k, "Price": p} for k, p in PRICES.items()]}]}]}
    changes = [
        {"ChangeType": "CreateProduct", "Entity": {"Type": "MachineLearningProduct@1.0"},
         "DetailsDocument": {"ProductTitle": "Metered trainer"}, "ChangeName": "P"},
        {"ChangeType": "AddDeliveryOptions",
         "Entity": {"Type": "MachineLearningProduct@1.0", "Identifier": "$P.Entity.Identifier"},
         "DetailsDocument": {"Version": {"VersionTitle": "1.0", "ReleaseNotes": "First."},
                             "DeliveryOptions": [option]}},
        {"ChangeType": "UpdateTargeting",
         "Entity": {"Type": "MachineLearningProduct@1.0", "Identifier": "$P.Entity.Identifier"},
         "DetailsDocument": {"PositiveTargeting": {"BuyerAccounts": [buyer.account_id]}}},
        {"ChangeType": "CreateOffer", "Entity": {"Type": "Offer@1.0"},
         "DetailsDocument": {"ProductId": "$P.Entity.Identifier"}, "ChangeName": "O"},
        {"ChangeType": "UpdatePricingTerms", "Entity": {"Type": "Offer@1.0", "Identifier": "$O.Entity.Identifier"},
         "DetailsDocument": pricing},
        {"ChangeType": "ReleaseProduct",
         "Entity": {"Type": "MachineLearningProduct@1.0", "Identifier": "$P.Entity.Identifier"},
         "DetailsDocument": {}},
    ]
    cs = start(mc, changes)
    assert cs["Status"] == "SUCCEEDED", errors_of(cs) or cs
    pid = product_of(cs)
    [v] = mc.describe_entity(Catalog=CATALOG, EntityId=pid)["DetailsDocument"]["Versions"]
    copy_arn = v["Sources"][0]["AlgorithmArn"]

    # The buyer subscribes: the agreement snapshots the offer's prices.
    status, sub = mkt(server, buyer, "Subscribe", {"ProductId": pid})
    sub = sub["Subscription"]
    assert status == 200 and sub["AgreementId"].startswith("agmt-"), sub
    agreement = sub["AgreementId"]
    assert usage(server, buyer) == []

    # The buyer trains with the copy.
    ensure_roles(server, buyer)
    bsm = server.client(buyer)
    role = f"arn:aws:iam::{buyer.account_id}:role/SlipwayTests"
    bs3 = s3_client(server, buyer)
    bucket = new_bucket(bs3, "buyer")
    bs3.put_object(Bucket=bucket, Key="train/data.csv", Body=linear_rows(200))
    job = train(bsm, role, copy_arn, bucket)
    [line] = usage_once_recorded(server, buyer, 1)
    check_training_line(line, job, price=PRICES["ml.m5.large.a.t"])
    assert (line["ProductId"], line["AgreementId"], line["BuyerAccountId"]) == (pid, agreement, buyer.account_id)
    assert line["SellerAccountId"] == server.account_id and line["SellersOwnUse"] is False
    assert line["ResourceArn"] == job["TrainingJobArn"] and line["CopyArn"] == copy_arn

    # ... and hosts the trained model (a package built from the copy), whose
    # container counts 5 inferences per answer.
    pkg = bsm.create_model_package(
        ModelPackageName=uniq("trained"),
        SourceAlgorithmSpecification={"SourceAlgorithms": [
            {"AlgorithmName": copy_arn, "ModelDataUrl": job["ModelArtifacts"]["S3ModelArtifacts"]}]})
    model = uniq("m")
    bsm.create_model(ModelName=model, ExecutionRoleArn=role, EnableNetworkIsolation=True,
                     PrimaryContainer={"ModelPackageName": pkg["ModelPackageArn"],
                                       "Environment": {"SAMPLE_METERING": "5"}})
    cfg = uniq("cfg")
    bsm.create_endpoint_config(EndpointConfigName=cfg, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": model, "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}])
    ep = uniq("ep")
    bsm.create_endpoint(EndpointName=ep, EndpointConfigName=cfg)
    deadline = time.time() + 120
    while (d := bsm.describe_endpoint(EndpointName=ep))["EndpointStatus"] != "InService":
        assert d["EndpointStatus"] == "Creating" and time.time() < deadline, d
        time.sleep(0.25)
    serving = time.time()
    rt = server.client(buyer, service="sagemaker-runtime")
    for _ in range(3):
        r = rt.invoke_endpoint(EndpointName=ep, ContentType="text/csv", Body=b"1,1\n2,0\n")
        assert r["Body"].read() and r["ResponseMetadata"]["HTTPStatusCode"] == 200
    # A refused call (the container answers 415) is not billed.
    with pytest.raises(ClientError) as ei:
        rt.invoke_endpoint(EndpointName=ep, ContentType="image/png", Body=b"\x89PNG")
    assert ei.value.response["Error"]["Code"] == "ModelError"

    # The seller's own run of its product, meanwhile: recorded, not billed.
    own = train(sm, ROLE, copy_arn, seller_bucket)

    # While it serves, the endpoint's usage is already recorded (a crash
    # loses at most one metering interval).
    time.sleep(2 * METERING_SECONDS)
    live = [x for x in usage(server, buyer) if x["UsageType"] == "RealTimeInference"]
    assert len(live) == 1 and live[0]["DurationSeconds"] >= METERING_SECONDS, live

    time.sleep(max(0.0, serving + ENDPOINT_SECONDS - time.time()))
    bsm.delete_endpoint(EndpointName=ep)
    while True:
        try:
            bsm.describe_endpoint(EndpointName=ep)
        except ClientError:
            break
        time.sleep(0.25)
    wall = time.time() - serving

    lines = usage(server, buyer, ProductId=pid)
    by_type = {x["UsageType"]: x for x in lines}
    assert sorted(by_type) == ["InferenceCount", "RealTimeInference", "Training"], lines
    rt_line = by_type["RealTimeInference"]
    assert rt_line["Dimension"] == "ml.m5.large.a.i.r" and rt_line["InstanceCount"] == 1
    assert abs(rt_line["DurationSeconds"] - wall) <= 0.05 * wall, (rt_line, wall)
    assert rt_line["Quantity"] == pytest.approx(hours(rt_line["DurationSeconds"] + 0.5), abs=1 / 60)
    assert rt_line["Quantity"] >= 3 / 60
    assert rt_line["Amount"] == pytest.approx(rt_line["Quantity"] * PRICES["ml.m5.large.a.i.r"])
    inf = by_type["InferenceCount"]
    assert (inf["Dimension"], inf["Quantity"], inf["Unit"]) == ("a.i.c", 15, "Count"), inf
    assert inf["Amount"] == pytest.approx(15 * PRICES["a.i.c"])
    assert all(x["AgreementId"] == agreement for x in lines)

    # The seller sees the buyer's usage and its own run, which costs nothing.
    seller_lines = usage(server, server.creds, ProductId=pid)
    assert [x for x in seller_lines if not x["SellersOwnUse"]] == lines
    [mine] = [x for x in seller_lines if x["SellersOwnUse"]]
    check_training_line(mine, own, price=PRICES["ml.m5.large.a.t"], billed=False)
    assert mine["AgreementId"] is None and mine["BuyerAccountId"] == server.account_id
    # Filters, and a caller party to nothing.
    assert usage(server, buyer, AgreementId=agreement) == lines
    assert usage(server, buyer, ProductId="prod-doesnotexist0000000000") == []
    assert usage(server, server.create_account("stranger")) == []
    status, doc = mkt(server, buyer, "GetUsage", {"ProductId": ""})
    assert status == 400 and doc["__type"] == "ValidationException", doc

    # The CLI answers the same lines, as JSON and as CSV.
    assert json.loads(cli(server, buyer, "usage", "--product-id", pid, "--output", "json"))["UsageRecords"] == lines
    buyer_csv = cli(server, buyer, "usage", "--product-id", pid, "--output", "csv")
    rows = list(csv.DictReader(io.StringIO(buyer_csv)))
    assert [(r["usage_type"], r["agreement_id"], r["dimension"]) for r in rows] == [
        (x["UsageType"], agreement, x["Dimension"]) for x in lines]
    assert [float(r["amount"]) for r in rows] == pytest.approx([x["Amount"] for x in lines], abs=1e-6)
    seller_csv = cli(server, server.creds, "usage", "--product-id", pid, "--output", "csv")

    # The console shows each side its lines, priced, and downloads the CLI's CSV.
    seen = run_scenario("usage", server, creds=buyer, STEP="buyer", AGREEMENT=agreement, LINES=json.dumps(lines),
                        TRAINING_JOB=job["TrainingJobName"])
    assert seen["csv"].replace("\r\n", "\n") == buyer_csv  # text-mode subprocess output has \n
    seen = run_scenario("usage", server, STEP="seller", PRODUCT_ID=pid, BUYER=buyer.account_id,
                        LINES=json.dumps(seller_lines))
    assert seen["csv"].replace("\r\n", "\n") == seller_csv


def cli(server, creds, *args: str) -> str:
    """`slipway marketplace ARGS` with the standard AWS variables; its output."""
    env = clean_env()
    env.update(AWS_ENDPOINT_URL=server.endpoint, AWS_ACCESS_KEY_ID=creds.access_key,
               AWS_SECRET_ACCESS_KEY=creds.secret_key, AWS_DEFAULT_REGION=server.region)
    out = subprocess.run([os.environ["SLIPWAY_BIN"], "marketplace", *args], env=env, capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout
