"""The AWS Marketplace Agreement API's read side (docs/marketplace.md
"Agreements"): after a buyer subscribes to the sample seller's products,
boto3's `marketplace-agreement` client, unmodified (it speaks Smithy RPC v2
CBOR), lists who subscribes to what for the seller (Proposer) and the buyer
(Acceptor), describes each agreement and its accepted terms, and nobody
else learns anything about them. AWS JSON 1.0 answers the same."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from conftest import _start
from e2e_helpers import REPO, TEST_ACCOUNT_ENV, send_raw
from jobs_helpers import ensure_images, model_tar
from s3_helpers import new_bucket, s3 as s3_client
from test_marketplace_catalog import (
    CATALOG, PACKAGE_KEYS, errors_of, package_option, prices, product_of, publish_changes, push, start,
    validated_package,
)

TARGET = "AWSMPCommerceService_v20200301"
FREE_TRIAL = {"Type": "FreeTrialPricingTerm", "Duration": "P7D",
              "Grants": [{"DimensionKey": "ml.m5.large.m.i.b", "MaxQuantity": 1}]}


@pytest.fixture(scope="module", autouse=True)
def images():
    ensure_images()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = _start(tmp_path_factory, "agmt", env=dict(TEST_ACCOUNT_ENV))
    yield s
    s.stop()
    s.kill()


def subscriptions_client(server, creds):
    # Slipway's own Subscribe operation, through its botocore model.
    os.environ["AWS_DATA_PATH"] = str(REPO / "sdk" / "botocore-data")
    return server.client(creds, service="slipwaymarketplace")


@pytest.fixture(scope="module")
def world(server, tmp_path_factory):
    """Two products of the seller (usage-priced with a free trial and a
    EULA; free), both targeted at a buyer who subscribes to both."""
    sm, mc = server.client(), server.client(service="marketplace-catalog")
    s3 = s3_client(server)
    bucket = new_bucket(s3, "agmt")
    s3.put_object(Bucket=bucket, Key="model/model.tar.gz", Body=model_tar([3.0, -2.0], 1.0))
    s3.put_object(Bucket=bucket, Key="batch/q.csv", Body=b"1,1\n2,-1\n0,0\n")
    image = push(server, tmp_path_factory, "agmt-seller")
    pkg = validated_package(sm, image, bucket)
    assert pkg["ModelPackageStatus"] == "Completed", pkg["ModelPackageStatusDetails"]
    buyer = server.create_account("buyer")
    other = server.create_account("other")

    def publish(title: str, pricing: dict, extra: list[dict]) -> str:
        changes = publish_changes(package_option(pkg["ModelPackageArn"]), title=title, pricing=pricing)
        target = {"ChangeType": "UpdateTargeting",
                  "Entity": {"Type": "MachineLearningProduct@1.0", "Identifier": "$CreateProductChange.Entity.Identifier"},
                  "DetailsDocument": {"PositiveTargeting": {"BuyerAccounts": [buyer.account_id]}}}
        cs = start(mc, changes + [target] + extra)
        assert cs["Status"] == "SUCCEEDED", errors_of(cs) or cs
        return product_of(cs)

    usage = prices(PACKAGE_KEYS)
    usage["Terms"].append(FREE_TRIAL)
    legal = {"ChangeType": "UpdateLegalTerms",
             "Entity": {"Type": "Offer@1.0", "Identifier": "$CreateOfferChange.Entity.Identifier"},
             "DetailsDocument": {"Terms": [{"Type": "LegalTerm",
                                            "Documents": [{"Type": "StandardEula", "Version": "2022-07-14"}]}]}}
    paid = publish("Paid linear", usage, [legal])
    free = publish("Free linear", {"PricingModel": "Free", "Terms": []}, [])
    subs = subscriptions_client(server, buyer)
    agreements = {pid: subs.subscribe(ProductId=pid)["Subscription"]["AgreementId"] for pid in (paid, free)}
    return dict(seller=server.creds, buyer=buyer, other=other, paid=paid, free=free, agreements=agreements,
                subs=subs)


def agreements_client(server, creds=None, **cfg):
    return server.client(creds, service="marketplace-agreement", **cfg)


def search(client, party: str, *filters: tuple[str, str], **kw) -> list[dict]:
    fs = [{"name": "PartyType", "values": [party]}, {"name": "AgreementType", "values": ["PurchaseAgreement"]}]
    fs += [{"name": n, "values": [v]} for n, v in filters]
    return client.search_agreements(catalog=CATALOG, filters=fs, **kw)["agreementViewSummaries"]


def test_boto3_speaks_cbor_to_it():
    # The premise of the edge: botocore 1.44 picks Smithy RPC v2 CBOR.
    import boto3
    c = boto3.client("marketplace-agreement", region_name="us-east-1")
    assert c.meta.service_model.protocol == "smithy-rpc-v2-cbor"


def test_seller_and_buyer_each_see_who_subscribes_to_what(server, world):
    seller = agreements_client(server)
    buyer = agreements_client(server, world["buyer"])
    paid_id = world["agreements"][world["paid"]]
    mine = search(seller, "Proposer")
    assert {a["agreementId"] for a in mine} == set(world["agreements"].values())
    a = next(a for a in mine if a["agreementId"] == paid_id)
    assert a["acceptor"] == {"accountId": world["buyer"].account_id}
    assert a["proposer"] == {"accountId": server.account_id}
    assert a["agreementType"] == "PurchaseAgreement" and a["status"] == "ACTIVE"
    assert a["proposalSummary"]["resources"] == [{"id": world["paid"], "type": "MachineLearningProduct"}]
    assert a["proposalSummary"]["offerId"].startswith("offer-")
    # Timestamps arrive as datetimes (CBOR tag 1), not bare numbers.
    assert isinstance(a["startTime"], dt.datetime) and isinstance(a["acceptanceTime"], dt.datetime)
    assert abs((dt.datetime.now(dt.timezone.utc) - a["startTime"]).total_seconds()) < 600
    assert "endTime" not in a
    # The buyer sees the same agreements as Acceptor, none as Proposer.
    assert {a["agreementId"] for a in search(buyer, "Acceptor")} == set(world["agreements"].values())
    assert search(buyer, "Proposer") == [] and search(seller, "Acceptor") == []
    # Another account sees nothing.
    other = agreements_client(server, world["other"])
    assert search(other, "Proposer") == [] and search(other, "Acceptor") == []


def test_filters_and_pages(server, world):
    seller = agreements_client(server)
    paid_id = world["agreements"][world["paid"]]
    assert [a["agreementId"] for a in search(seller, "Proposer", ("ResourceIdentifier", world["paid"]))] == [paid_id]
    assert len(search(seller, "Proposer", ("AcceptorAccountId", world["buyer"].account_id), ("Status", "ACTIVE"))) == 2
    assert search(seller, "Proposer", ("AcceptorAccountId", world["other"].account_id)) == []
    assert search(seller, "Proposer", ("ResourceType", "SaaSProduct")) == []
    assert search(seller, "Proposer", ("Status", "CANCELLED")) == []
    assert search(seller, "Proposer", ("BeforeEndTime", "2030-01-01T00:00:00Z")) == []
    # One at a time, following nextToken: every agreement once.
    seen, token = [], None
    while True:
        kw = {"nextToken": token} if token else {}
        r = seller.search_agreements(catalog=CATALOG, maxResults=1,
                                     filters=[{"name": "PartyType", "values": ["Proposer"]}], **kw)
        assert len(r["agreementViewSummaries"]) == 1
        seen += [a["agreementId"] for a in r["agreementViewSummaries"]]
        token = r.get("nextToken")
        if not token:
            break
    assert sorted(seen) == sorted(world["agreements"].values())


def test_describe_agreement_only_for_its_parties(server, world):
    paid_id = world["agreements"][world["paid"]]
    for creds in (None, world["buyer"]):
        d = agreements_client(server, creds).describe_agreement(agreementId=paid_id)
        assert d["agreementId"] == paid_id and d["status"] == "ACTIVE"
        assert d["acceptor"]["accountId"] == world["buyer"].account_id
        assert d["proposer"]["accountId"] == server.account_id
        assert d["proposalSummary"]["resources"][0]["id"] == world["paid"]
        assert isinstance(d["startTime"], dt.datetime)
    with pytest.raises(ClientError) as e:
        agreements_client(server, world["other"]).describe_agreement(agreementId=paid_id)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as e:
        agreements_client(server).get_agreement_terms(agreementId="agmt-doesnotexist")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_accepted_terms_are_the_offers_pricing(server, world):
    buyer = agreements_client(server, world["buyer"])
    terms = buyer.get_agreement_terms(agreementId=world["agreements"][world["paid"]])["acceptedTerms"]
    usage = next(t["usageBasedPricingTerm"] for t in terms if "usageBasedPricingTerm" in t)
    assert usage["currencyCode"] == "USD" and usage["type"] == "UsageBasedPricingTerm"
    rates = {r["dimensionKey"]: r["price"] for c in usage["rateCards"] for r in c["rateCard"]}
    assert rates == {k: "0.25" for k in PACKAGE_KEYS}
    trial = next(t["freeTrialPricingTerm"] for t in terms if "freeTrialPricingTerm" in t)
    assert trial["duration"] == "P7D" and trial["grants"] == [{"dimensionKey": "ml.m5.large.m.i.b", "maxQuantity": 1}]
    legal = next(t["legalTerm"] for t in terms if "legalTerm" in t)
    assert legal["documents"] == [{"type": "StandardEula", "version": "2022-07-14"}]
    assert len({list(t.values())[0]["id"] for t in terms}) == len(terms)
    # The seller reads the same terms; paging splits them.
    seller = agreements_client(server)
    first = seller.get_agreement_terms(agreementId=world["agreements"][world["paid"]], maxResults=1)
    assert first["acceptedTerms"] == terms[:1] and first["nextToken"]
    # A free offer: every dimension at 0.
    free = buyer.get_agreement_terms(agreementId=world["agreements"][world["free"]])["acceptedTerms"]
    [card] = free[0]["usageBasedPricingTerm"]["rateCards"]
    assert {r["dimensionKey"]: r["price"] for r in card["rateCard"]} == {k: "0" for k in PACKAGE_KEYS}


def test_requests_the_api_refuses_have_its_codes(server, world):
    seller = agreements_client(server, validate=False)
    cases = [
        (dict(catalog=CATALOG), "PartyType"),
        (dict(catalog="Other", filters=[{"name": "PartyType", "values": ["Proposer"]}]), "AWSMarketplace"),
        (dict(catalog=CATALOG, filters=[{"name": "PartyType", "values": ["Proposer"]}], maxResults=500), "maxResults"),
        (dict(catalog=CATALOG, filters=[{"name": "PartyType", "values": ["Proposer"]}, {"name": "Color", "values": ["x"]}]), "Color"),
        (dict(catalog=CATALOG, filters=[{"name": "PartyType", "values": ["Proposer"]}], nextToken="99"), "nextToken"),
    ]
    for kw, needle in cases:
        with pytest.raises(ClientError) as e:
            seller.search_agreements(**kw)
        err = e.value.response["Error"]
        assert err["Code"] == "ValidationException", (kw, err)
        assert needle in err["Message"], (kw, err)
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_cancelled_subscription_shows_its_end(server, world):
    world["subs"].unsubscribe(ProductId=world["free"])
    free_id = world["agreements"][world["free"]]
    seller = agreements_client(server)
    [a] = search(seller, "Proposer", ("Status", "CANCELLED"))
    assert a["agreementId"] == free_id and isinstance(a["endTime"], dt.datetime)
    assert [x["agreementId"] for x in search(seller, "Proposer", ("BeforeEndTime", "2100-01-01T00:00:00Z"))] == [free_id]
    assert [x["agreementId"] for x in search(seller, "Proposer", ("Status", "ACTIVE"))] == [world["agreements"][world["paid"]]]
    d = agreements_client(server, world["buyer"]).describe_agreement(agreementId=free_id)
    assert d["status"] == "CANCELLED" and d["endTime"] >= d["startTime"]


def signed(server, creds, service: str, target: str, body: dict) -> dict:
    data = json.dumps(body).encode()
    req = AWSRequest(method="POST", url=server.endpoint + "/", data=data,
                     headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"{TARGET}.{target}"})
    SigV4Auth(Credentials(creds.access_key, creds.secret_key), service, server.region).add_auth(req)
    r = send_raw(server.host_port, "POST", "/", data, dict(req.headers.items()))
    return {"status": r.status, "body": json.loads(r.body or b"{}")}


def test_aws_json_1_0_answers_the_same(server, world):
    paid_id = world["agreements"][world["paid"]]
    r = signed(server, world["buyer"], "aws-marketplace", "DescribeAgreement", {"agreementId": paid_id})
    assert r["status"] == 200, r
    assert r["body"]["agreementId"] == paid_id and isinstance(r["body"]["startTime"], (int, float))
    r = signed(server, world["buyer"], "aws-marketplace", "SearchAgreements",
               {"catalog": CATALOG, "filters": [{"name": "PartyType", "values": ["Acceptor"]}]})
    assert r["status"] == 200 and len(r["body"]["agreementViewSummaries"]) == 2, r
    # Signed for another service: refused.
    r = signed(server, world["buyer"], "sagemaker", "DescribeAgreement", {"agreementId": paid_id})
    assert r["status"] == 403 and r["body"]["__type"] == "InvalidSignatureException", r


def test_a_malformed_cbor_body_is_refused_in_cbor(server, world):
    path = f"/service/{TARGET}/operation/SearchAgreements"
    for body, code in [(b"\xff\x00", b"SerializationException"), (b"\x9f" * 200 + b"\xf6", b"SerializationException")]:
        req = AWSRequest(method="POST", url=server.endpoint + path, data=body,
                         headers={"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"})
        SigV4Auth(Credentials(world["buyer"].access_key, world["buyer"].secret_key), "aws-marketplace",
                  server.region).add_auth(req)
        r = send_raw(server.host_port, "POST", path, body, dict(req.headers.items()))
        assert r.status == 400 and code in r.body, (r.status, r.body)
        assert r.headers.get("content-type") == "application/cbor"
    # An operation of the API Slipway does not serve.
    path = f"/service/{TARGET}/operation/AcceptAgreementRequest"
    req = AWSRequest(method="POST", url=server.endpoint + path, data=b"\xa0", headers={"Content-Type": "application/cbor"})
    SigV4Auth(Credentials(world["buyer"].access_key, world["buyer"].secret_key), "aws-marketplace", server.region).add_auth(req)
    r = send_raw(server.host_port, "POST", path, b"\xa0", dict(req.headers.items()))
    assert r.status == 400 and b"UnknownOperationException" in r.body, (r.status, r.body)


def test_the_aws_cli_lists_the_sellers_agreements(server, world):
    out = server.cli("marketplace-agreement", "search-agreements", "--catalog", CATALOG,
                     "--filters", "name=PartyType,values=Proposer", "--output", "json")
    ids = {a["agreementId"] for a in json.loads(out.stdout)["agreementViewSummaries"]}
    assert ids == set(world["agreements"].values())
