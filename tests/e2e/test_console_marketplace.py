"""Publishing in AWS Marketplace from the web console (docs/console.md,
"Marketplace"): a validated model package certified for Marketplace, its
image in the seller's own registry, is validated-only and then published
entirely in the browser with the Publish form (one change set); the change
set's page follows it to SUCCEEDED; the product's page shows the version
with the marketplace's copy (another account) and the prices entered; the
buyer accounts and Limited → Public are changed there too, a second
version is added from another certified package (pricing its new instance
type) and the first one restricted. A package
created without CertifyForMarketplace says why it cannot be published. A
change set sent with boto3 recommending an instance type the package does
not support fails, and its page shows the error code at that change.

What the page showed is checked again through the Catalog API with boto3
(`marketplace-catalog`) afterwards."""

from __future__ import annotations

import json
import shutil
import time

import pytest

from console_helpers import run_scenario
from jobs_helpers import ROLE, SAMPLE_IMAGE, ensure_images, model_tar, uniq
from registry_helpers import push_to_ecr, run
from s3_helpers import new_bucket, s3 as s3_client

pytestmark = pytest.mark.skipif(shutil.which("podman") is None, reason="podman is needed (scripts/setup.sh)")

CATALOG = "AWSMarketplace"
BATCH = ["ml.m5.large", "ml.c5.xlarge"]
REALTIME = ["ml.m5.large"]
PRICES = {"ml.m5.large.m.i.b": "0.125", "ml.c5.xlarge.m.i.b": "0.2", "ml.m5.large.m.i.r": "0.35"}
BUYERS = ["111122223333", "444455556666"]
NEW_TYPE = "ml.m5.xlarge"
NEW_PRICE = "0.5"


@pytest.fixture(scope="module", autouse=True)
def images():
    ensure_images()


def pushed(server, tmp_path_factory) -> str:
    """The sample image in a repository of the seller's account (AWS
    Marketplace lists only images from the seller's own registry)."""
    repo = uniq("console-mkt")
    server.client(service="ecr").create_repository(repositoryName=repo)
    return push_to_ecr(server, SAMPLE_IMAGE, repo, tmp_path_factory.mktemp("auth"))


def package(name: str, image: str, bucket: str, *, certify: bool, batch: list[str] = BATCH) -> dict:
    return {
        "ModelPackageName": name,
        "ModelPackageDescription": "The sample seller's linear model.",
        "InferenceSpecification": {
            "Containers": [{"Image": image, "ModelDataUrl": f"s3://{bucket}/model/model.tar.gz"}],
            "SupportedTransformInstanceTypes": batch,
            "SupportedRealtimeInferenceInstanceTypes": REALTIME,
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"],
        },
        "ValidationSpecification": {"ValidationRole": ROLE, "ValidationProfiles": [{
            "ProfileName": "smoke",
            "TransformJobDefinition": {
                "MaxConcurrentTransforms": 1, "MaxPayloadInMB": 6, "BatchStrategy": "MultiRecord",
                "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/batch/"}},
                                   "ContentType": "text/csv", "SplitType": "Line"},
                "TransformOutput": {"S3OutputPath": f"s3://{bucket}/out/{name}/", "Accept": "text/csv", "AssembleWith": "Line"},
                "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
            }}]},
        "CertifyForMarketplace": certify,
    }


def completed(sm, name: str, timeout: float = 400) -> dict:
    deadline = time.time() + timeout
    while True:
        p = sm.describe_model_package(ModelPackageName=name)
        if p["ModelPackageStatus"] in ("Completed", "Failed"):
            assert p["ModelPackageStatus"] == "Completed", p["ModelPackageStatusDetails"]
            return p
        assert time.time() < deadline, p["ModelPackageStatus"]
        time.sleep(1)


def ended(mc, change_set_id: str, timeout: float = 120) -> dict:
    deadline = time.time() + timeout
    while True:
        cs = mc.describe_change_set(Catalog=CATALOG, ChangeSetId=change_set_id)
        if cs["Status"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return cs
        assert time.time() < deadline, cs["Status"]
        time.sleep(0.5)


def unsupported_recommendation(arn: str) -> list[dict]:
    """A product whose first version recommends a batch type the package
    does not support (ml.p3.2xlarge)."""
    product = "$CreateProductChange.Entity.Identifier"
    return [
        {"ChangeType": "CreateProduct", "ChangeName": "CreateProductChange",
         "Entity": {"Type": "MachineLearningProduct@1.0"}, "DetailsDocument": {"ProductTitle": "Unsupported recommendation"}},
        {"ChangeType": "AddDeliveryOptions", "Entity": {"Type": "MachineLearningProduct@1.0", "Identifier": product},
         "DetailsDocument": {"Version": {"VersionTitle": "1.0", "ReleaseNotes": "First."}, "DeliveryOptions": [
             {"Details": {"SageMakerModelPackageDeliveryOptionDetails": {
                 "SageMakerModelPackageArn": arn, "UsageInstructions": "POST text/csv.",
                 "RecommendedInstanceTypes": {"BatchTransform": "ml.p3.2xlarge", "RealtimeInference": "ml.m5.large"}}}}]}},
    ]


def test_publish_a_model_package_in_the_browser(jobs_server, tmp_path_factory):
    sm = jobs_server.client()
    mc = jobs_server.client(service="marketplace-catalog")
    s3 = s3_client(jobs_server)
    bucket = new_bucket(s3, "console-mkt")
    s3.put_object(Bucket=bucket, Key="model/model.tar.gz", Body=model_tar([3.0, -2.0], 1.0))
    s3.put_object(Bucket=bucket, Key="batch/q.csv", Body=b"1,1\n2,-1\n0,0\n0.5,4\n")
    image = pushed(jobs_server, tmp_path_factory)

    certified, plain, second = uniq("console-mkt"), uniq("console-mkt-plain"), uniq("console-mkt-v2")
    sm.create_model_package(**package(certified, image, bucket, certify=True))
    sm.create_model_package(**package(plain, image, bucket, certify=False))
    # The second version's package supports one more batch type: a new
    # pricing dimension the Add-a-version form must price.
    sm.create_model_package(**package(second, image, bucket, certify=True, batch=BATCH + [NEW_TYPE]))
    arn = completed(sm, certified)["ModelPackageArn"]
    completed(sm, plain)
    completed(sm, second)
    before = {e["EntityId"] for e in mc.list_entities(Catalog=CATALOG, EntityType="MachineLearningProduct",
                                                      OwnershipType="SELF")["EntitySummaryList"]}

    # The failing change set, through the API: its page must show why, at the change.
    failing = mc.start_change_set(Catalog=CATALOG, ChangeSet=unsupported_recommendation(arn),
                                  ChangeSetName="Unsupported recommendation")["ChangeSetId"]
    failed = ended(mc, failing)
    assert failed["Status"] == "FAILED", failed
    errors = {c["ChangeType"]: [e["ErrorCode"] for e in c.get("ErrorDetailList", [])] for c in failed["ChangeSet"]}
    assert errors["AddDeliveryOptions"] == ["INVALID_RECOMMENDED_INSTANCE_TYPE"], errors

    title = f"Linear model {certified[-6:]}"
    figures = run_scenario("marketplace", jobs_server, timeout=600, NAME=certified, PLAIN=plain, TITLE=title,
                           PACKAGE_ARN=arn, ACCOUNT=jobs_server.account_id, PRICES=json.dumps(PRICES), SECOND=second,
                           NEW_KEY=f"{NEW_TYPE}.m.i.b", NEW_PRICE=NEW_PRICE,
                           BUYERS=",".join(BUYERS), FAILED_ID=failing, FAILED=json.dumps(failed, default=str))

    # The validate-only change set created nothing; the published one, one product.
    validated = mc.describe_change_set(Catalog=CATALOG, ChangeSetId=figures["validateId"])
    assert (validated["Intent"], validated["Status"]) == ("VALIDATE", "SUCCEEDED"), validated
    products = [e for e in mc.list_entities(Catalog=CATALOG, EntityType="MachineLearningProduct",
                                            OwnershipType="SELF")["EntitySummaryList"] if e["EntityId"] not in before]
    assert [p["EntityId"] for p in products] == [figures["productId"]], products
    published = mc.describe_change_set(Catalog=CATALOG, ChangeSetId=figures["publishId"])
    assert published["Status"] == "SUCCEEDED" and published["Intent"] == "APPLY", published
    assert [c["ChangeType"] for c in published["ChangeSet"]] == [
        "CreateProduct", "UpdateInformation", "AddDeliveryOptions", "CreateOffer", "UpdatePricingTerms",
        "UpdateLegalTerms", "ReleaseProduct", "ReleaseOffer"]

    doc = mc.describe_entity(Catalog=CATALOG, EntityId=figures["productId"])["DetailsDocument"]
    assert doc["Description"]["ProductTitle"] == title
    assert doc["Description"]["Visibility"] == "Public"
    assert sorted(doc["Targeting"]["PositiveTargeting"]["BuyerAccounts"]) == BUYERS
    versions = {v["VersionTitle"]: v for v in doc["Versions"]}
    assert sorted(versions) == ["1.0", "2.0"], doc["Versions"]
    version = versions["1.0"]
    # Restricted in the browser; the second version stays Limited.
    assert [o["Visibility"] for o in version["DeliveryOptions"]] == ["Restricted"]
    assert [o["Visibility"] for o in versions["2.0"]["DeliveryOptions"]] != ["Restricted"]
    assert NEW_TYPE in versions["2.0"]["DeliveryOptions"][0]["SupportedInstanceTypes"]["BatchTransform"]
    source = version["Sources"][0]["ModelPackageArn"]
    assert source == figures["sourceArn"]
    assert source.split(":")[4] != jobs_server.account_id and source != arn
    option = version["DeliveryOptions"][0]
    assert option["RecommendedInstanceTypes"]["BatchTransform"] == "ml.c5.xlarge", option
    assert sorted(option["SupportedInstanceTypes"]["BatchTransform"]) == sorted(BATCH)

    # The offer's prices are the ones typed in the form.
    offers = [mc.describe_entity(Catalog=CATALOG, EntityId=o["EntityId"])["DetailsDocument"]
              for o in mc.list_entities(Catalog=CATALOG, EntityType="Offer", OwnershipType="SELF")["EntitySummaryList"]]
    [offer] = [o for o in offers if o.get("ProductId") == figures["productId"]]
    rates = {r["DimensionKey"]: r["Price"] for t in offer["Terms"] if t["Type"] == "UsageBasedPricingTerm"
             for card in t["RateCards"] for r in card["RateCard"]}
    expected = dict(PRICES, **{f"{NEW_TYPE}.m.i.b": NEW_PRICE})
    assert {k: float(v) for k, v in rates.items()} == {k: float(v) for k, v in expected.items()}, rates
