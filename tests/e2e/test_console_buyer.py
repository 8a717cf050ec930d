"""The buyer's side of the Marketplace in the web console (docs/console.md,
"Catalog", "Subscriptions"): a seller publishes a validated model package
with boto3 as a Limited product with a released offer and targets a second
account. That buyer signs in to the console, finds the product in the
Catalog (its seller, visibility), reads its page (the version, the
marketplace's copy by ARN, the instance types, the offer's prices) and
subscribes; boto3's `slipwaymarketplace` client then sees the subscription
ACTIVE. Signed in as the seller, the console's Subscriptions page shows who
subscribes. The buyer unsubscribes in the console (CANCELLED through
boto3). A third account, not targeted, does not find the product in the
Catalog, and a deep link to it says "not found"."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from console_helpers import run_scenario
from e2e_helpers import REPO
from jobs_helpers import ensure_images, model_tar, uniq
from s3_helpers import new_bucket, s3 as s3_client
from test_marketplace_catalog import (CATALOG, PACKAGE_KEYS, package_option, product_of, publish_changes, push,
                                      start, validated_package)

pytestmark = pytest.mark.skipif(shutil.which("podman") is None, reason="podman is needed (scripts/setup.sh)")

PRICE = "0.25"  # publish_changes prices every PACKAGE_KEYS dimension at 0.25


@pytest.fixture(scope="module", autouse=True)
def images():
    ensure_images()


def release_offer() -> dict:
    """The change that releases the offer the publishing change set creates:
    buyers see an offer only once it is released."""
    return {"ChangeType": "ReleaseOffer",
            "Entity": {"Type": "Offer@1.0", "Identifier": "$CreateOfferChange.Entity.Identifier"},
            "DetailsDocument": {}}


def marketplace(server, creds):
    """boto3's client of Slipway's buyer operations (its botocore model is in sdk/botocore-data)."""
    os.environ["AWS_DATA_PATH"] = str(REPO / "sdk" / "botocore-data")
    return server.client(creds, service="slipwaymarketplace")


def test_a_buyer_finds_subscribes_and_unsubscribes_in_the_browser(jobs_server, tmp_path_factory):
    server = jobs_server
    sm, mc = server.client(), server.client(service="marketplace-catalog")
    s3 = s3_client(server)
    bucket = new_bucket(s3, "console-buyer")
    s3.put_object(Bucket=bucket, Key="model/model.tar.gz", Body=model_tar([3.0, -2.0], 1.0))
    s3.put_object(Bucket=bucket, Key="batch/q.csv", Body=b"1,1\n2,-1\n0,0\n")
    image = push(server, tmp_path_factory, uniq("console-buyer"))
    pkg = validated_package(sm, image, bucket)
    assert pkg["ModelPackageStatus"] == "Completed", pkg["ModelPackageStatusDetails"]

    title = f"Buyable model {uniq('b')[-6:]}"
    cs = start(mc, publish_changes(package_option(pkg["ModelPackageArn"]), title=title) + [release_offer()])
    assert cs["Status"] == "SUCCEEDED", cs
    pid = product_of(cs)
    buyer, outsider = server.create_account("console-buyer"), server.create_account("console-outsider")
    cs = start(mc, [{"ChangeType": "UpdateTargeting", "Entity": {"Type": "MachineLearningProduct@1.0", "Identifier": pid},
                     "DetailsDocument": {"PositiveTargeting": {"BuyerAccounts": [buyer.account_id]}}}])
    assert cs["Status"] == "SUCCEEDED", cs["ChangeSet"]
    copy_arn = mc.describe_entity(Catalog=CATALOG, EntityId=pid)["DetailsDocument"]["Versions"][0]["Sources"][0]["ModelPackageArn"]
    buyer_mp = marketplace(server, buyer)
    assert buyer_mp.list_subscriptions(ProductId=pid)["Subscriptions"] == []

    figures = run_scenario("buyer", server, creds=buyer, STEP="subscribe", PRODUCT_ID=pid, TITLE=title,
                           SELLER=server.account_id, COPY_ARN=copy_arn,
                           PRICES=json.dumps({k: PRICE for k in PACKAGE_KEYS}))
    [sub] = buyer_mp.list_subscriptions(Role="Buyer", ProductId=pid)["Subscriptions"]
    assert (sub["Status"], sub["AgreementId"], sub["BuyerAccountId"], sub["SellerAccountId"]) == (
        "ACTIVE", figures["agreement"], buyer.account_id, server.account_id), sub

    run_scenario("buyer", server, STEP="seller", PRODUCT_ID=pid, BUYER=buyer.account_id, AGREEMENT=sub["AgreementId"])

    run_scenario("buyer", server, creds=buyer, STEP="unsubscribe", PRODUCT_ID=pid, AGREEMENT=sub["AgreementId"])
    [sub] = buyer_mp.list_subscriptions(Role="Buyer", ProductId=pid)["Subscriptions"]
    assert (sub["Status"], sub["AgreementId"]) == ("CANCELLED", figures["agreement"]), sub
    assert sub["EndTime"] >= sub["StartTime"]

    run_scenario("buyer", server, creds=outsider, STEP="outsider", PRODUCT_ID=pid)
    outsider_mc = server.client(outsider, service="marketplace-catalog")
    shared = outsider_mc.list_entities(Catalog=CATALOG, EntityType="MachineLearningProduct", OwnershipType="SHARED")
    assert pid not in [e["EntityId"] for e in shared["EntitySummaryList"]]
