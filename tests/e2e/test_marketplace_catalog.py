"""Publishing through the AWS Marketplace Catalog API (docs/marketplace.md):
boto3's `marketplace-catalog` client and the AWS CLI, unmodified, publish the
sample seller's validated model package and algorithm; every rejection AWS
makes at listing comes back with its code and a message that says what to fix;
the published copy lives in the marketplace's account and outlives the
seller's original."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError

from conftest import CONTROL_PLANE_ONLY, _start
from e2e_helpers import TEST_ACCOUNT_ENV
from jobs_helpers import ROLE, SAMPLE_IMAGE, ensure_images, linear_rows, model_tar, uniq
from registry_helpers import push_to_ecr, run
from s3_helpers import new_bucket, s3 as s3_client
from test_validation import algorithm, training_definition, wait_resource

CATALOG = "AWSMarketplace"


@pytest.fixture(scope="module", autouse=True)
def images():
    ensure_images()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = _start(tmp_path_factory, "mkt", env=dict(TEST_ACCOUNT_ENV))
    yield s
    s.stop()
    s.kill()


@pytest.fixture(scope="module")
def sm(server):
    return server.client()


@pytest.fixture(scope="module")
def mc(server):
    return server.client(service="marketplace-catalog")


@pytest.fixture(scope="module")
def s3(server):
    return s3_client(server)


@pytest.fixture(scope="module")
def data(s3):
    b = new_bucket(s3, "mkt")
    s3.put_object(Bucket=b, Key="model/model.tar.gz", Body=model_tar([3.0, -2.0], 1.0))
    s3.put_object(Bucket=b, Key="batch/q.csv", Body=b"1,1\n2,-1\n0,0\n")
    s3.put_object(Bucket=b, Key="train/data.csv", Body=linear_rows(200))
    return b


def push(server, tmp_path_factory, repo: str) -> str:
    """The sample image pushed to `repo` of the server's account; its ECR URI."""
    server.client(service="ecr").create_repository(repositoryName=repo)
    return push_to_ecr(server, SAMPLE_IMAGE, repo, tmp_path_factory.mktemp("auth"))


@pytest.fixture(scope="module")
def image(server, tmp_path_factory):
    return push(server, tmp_path_factory, uniq("seller"))


def package_request(name: str, image: str, bucket: str, *, certify: bool = True, validate: bool = True,
                    model_key: str = "model/model.tar.gz") -> dict:
    req = {
        "ModelPackageName": name,
        "InferenceSpecification": {
            "Containers": [{"Image": image, "ModelDataUrl": f"s3://{bucket}/{model_key}"}],
            "SupportedTransformInstanceTypes": ["ml.m5.large", "ml.m5.xlarge"],
            "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
            "SupportedContentTypes": ["text/csv"], "SupportedResponseMIMETypes": ["text/csv"],
        },
        "CertifyForMarketplace": certify,
    }
    if validate:
        req["ValidationSpecification"] = {"ValidationRole": ROLE, "ValidationProfiles": [{
            "ProfileName": "smoke",
            "TransformJobDefinition": {
                "MaxConcurrentTransforms": 1, "MaxPayloadInMB": 6, "BatchStrategy": "MultiRecord",
                "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{bucket}/batch/"}},
                                   "ContentType": "text/csv", "SplitType": "Line"},
                "TransformOutput": {"S3OutputPath": f"s3://{bucket}/out/{name}/", "Accept": "text/csv", "AssembleWith": "Line"},
                "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
            }}]}
    return req


def validated_package(sm, image: str, bucket: str, **kw) -> dict:
    name = uniq("mp")
    sm.create_model_package(**package_request(name, image, bucket, **kw))
    return wait_resource(lambda: sm.describe_model_package(ModelPackageName=name), "ModelPackageStatus")


@pytest.fixture(scope="module")
def pkg(sm, image, data):
    d = validated_package(sm, image, data)
    assert d["ModelPackageStatus"] == "Completed", d["ModelPackageStatusDetails"]
    return d


def wait_change_set(mc, cs_id: str, timeout: float = 60) -> dict:
    deadline = time.time() + timeout
    while True:
        d = mc.describe_change_set(Catalog=CATALOG, ChangeSetId=cs_id)
        if d["Status"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return d
        assert time.time() < deadline, d["Status"]
        time.sleep(0.2)


def package_option(arn: str, **extra) -> dict:
    details = {"SageMakerModelPackageArn": arn, "UsageInstructions": "POST text/csv rows of two numbers.",
               "RecommendedInstanceTypes": {"BatchTransform": "ml.m5.large", "RealtimeInference": "ml.m5.large"}}
    details.update(extra)
    return {"Details": {"SageMakerModelPackageDeliveryOptionDetails": details}}


def prices(keys: list[str], price: float = 0.25) -> dict:
    return {"PricingModel": "Usage", "Terms": [{"Type": "UsageBasedPricingTerm", "CurrencyCode": "USD",
            "RateCards": [{"RateCard": [{"DimensionKey": k, "Price": price} for k in keys]}]}]}


PACKAGE_KEYS = ["ml.m5.large.m.i.b", "ml.m5.xlarge.m.i.b", "ml.m5.large.m.i.r"]


def publish_changes(option: dict, *, title="Linear model", version="1.0", pricing=None, release=True) -> list[dict]:
    changes = [
        {"ChangeType": "CreateProduct", "Entity": {"Type": "MachineLearningProduct@1.0"},
         "DetailsDocument": {"ProductTitle": title}, "ChangeName": "CreateProductChange"},
        {"ChangeType": "UpdateInformation",
         "Entity": {"Type": "MachineLearningProduct@1.0", "Identifier": "$CreateProductChange.Entity.Identifier"},
         "DetailsDocument": {"ShortDescription": "Predicts y = 3a - 2b + 1.", "LongDescription": "A linear model.",
                             "Highlights": ["Fast"], "SearchKeywords": ["linear"], "Categories": ["Machine Learning"]}},
        {"ChangeType": "AddDeliveryOptions",
         "Entity": {"Type": "MachineLearningProduct@1.0", "Identifier": "$CreateProductChange.Entity.Identifier"},
         "DetailsDocument": {"Version": {"VersionTitle": version, "ReleaseNotes": "First release."},
                             "DeliveryOptions": [option]}},
        {"ChangeType": "CreateOffer", "Entity": {"Type": "Offer@1.0"},
         "DetailsDocument": {"ProductId": "$CreateProductChange.Entity.Identifier"}, "ChangeName": "CreateOfferChange"},
        {"ChangeType": "UpdatePricingTerms",
         "Entity": {"Type": "Offer@1.0", "Identifier": "$CreateOfferChange.Entity.Identifier"},
         "DetailsDocument": pricing if pricing is not None else prices(PACKAGE_KEYS)},
    ]
    if release:
        changes.append({"ChangeType": "ReleaseProduct",
                        "Entity": {"Type": "MachineLearningProduct@1.0", "Identifier": "$CreateProductChange.Entity.Identifier"},
                        "DetailsDocument": {}})
    return changes


def start(mc, changes: list[dict], **kw) -> dict:
    r = mc.start_change_set(Catalog=CATALOG, ChangeSet=changes, **kw)
    return wait_change_set(mc, r["ChangeSetId"])


def errors_of(cs: dict) -> dict[str, list[tuple[str, str]]]:
    return {c["ChangeType"]: [(e["ErrorCode"], e["ErrorMessage"]) for e in c["ErrorDetailList"]]
            for c in cs["ChangeSet"] if c["ErrorDetailList"]}


def product_of(cs: dict) -> str:
    return next(c["Entity"]["Identifier"] for c in cs["ChangeSet"] if c["ChangeType"] == "CreateProduct").split("@")[0]


def test_boto3_publishes_a_validated_model_package_in_one_change_set(server, sm, mc, pkg):
    cs = start(mc, publish_changes(package_option(pkg["ModelPackageArn"])), ChangeSetName="publish-linear")
    assert cs["Status"] == "SUCCEEDED", errors_of(cs) or cs
    assert cs["Intent"] == "APPLY" and cs["EndTime"] >= cs["StartTime"]
    pid = product_of(cs)
    e = mc.describe_entity(Catalog=CATALOG, EntityId=pid)
    assert e["EntityType"] == "MachineLearningProduct@1.0" and e["EntityIdentifier"].startswith(pid + "@")
    assert e["EntityArn"] == f"arn:aws:aws-marketplace:{server.region}:{server.account_id}:AWSMarketplace/MachineLearningProduct/{pid}"
    doc = e["DetailsDocument"]
    assert json.loads(e["Details"]) == doc
    assert doc["Description"]["ProductTitle"] == "Linear model" and doc["Description"]["Visibility"] == "Limited"
    assert len(doc["Description"]["ProductCode"]) == 25
    [v] = doc["Versions"]
    assert v["VersionTitle"] == "1.0" and v["ReleaseNotes"] == "First release."
    copy_arn = v["Sources"][0]["ModelPackageArn"]
    assert v["Sources"][0]["Type"] == "SageMakerModelPackage"
    # The version serves the marketplace's copy, not the seller's package.
    assert copy_arn != pkg["ModelPackageArn"] and f":{server.account_id}:" not in copy_arn
    assert copy_arn.split("/")[-1].startswith(pkg["ModelPackageName"] + "-")
    opt = v["DeliveryOptions"][0]
    assert opt["Visibility"] == "Limited"
    assert opt["SupportedInstanceTypes"]["BatchTransform"] == ["ml.m5.large", "ml.m5.xlarge"]
    assert opt["RecommendedInstanceTypes"] == {"BatchTransform": "ml.m5.large", "RealtimeInference": "ml.m5.large"}
    assert sorted(d["Key"] for d in doc["Dimensions"]) == sorted(PACKAGE_KEYS)
    # The seller reads the copy: ProductId on each container, images by digest in the marketplace's registry.
    copy = sm.describe_model_package(ModelPackageName=copy_arn)
    assert copy["ModelPackageStatus"] == "Completed" and copy["CertifyForMarketplace"] is True
    c = copy["InferenceSpecification"]["Containers"][0]
    assert c["ProductId"] == pid and f"/{pid}@sha256:" in c["Image"] and c["ImageDigest"].startswith("sha256:")
    assert c["ModelDataUrl"].startswith("s3://sagemaker-marketplace-")
    assert "ValidationSpecification" not in copy
    # Listings: the seller's own products; the offer, with its prices.
    products = mc.list_entities(Catalog=CATALOG, EntityType="MachineLearningProduct")["EntitySummaryList"]
    assert any(p["EntityId"] == pid and p["Visibility"] == "Limited" for p in products)
    offers = mc.list_entities(Catalog=CATALOG, EntityType="Offer")["EntitySummaryList"]
    offer = next(o for o in offers if mc.describe_entity(Catalog=CATALOG, EntityId=o["EntityId"])["DetailsDocument"]["ProductId"] == pid)
    od = mc.describe_entity(Catalog=CATALOG, EntityId=offer["EntityId"])["DetailsDocument"]
    rates = {r["DimensionKey"]: r["Price"] for t in od["Terms"] for c in t.get("RateCards", []) for r in c["RateCard"]}
    assert rates == {k: 0.25 for k in PACKAGE_KEYS}
    listed = mc.list_change_sets(Catalog=CATALOG, FilterList=[{"Name": "ChangeSetName", "ValueList": ["publish-linear"]}])
    [item] = listed["ChangeSetSummaryList"]
    assert item["Status"] == "SUCCEEDED" and pid in item["EntityIdList"]


def test_a_second_version_restricting_the_first_and_going_public(sm, mc, pkg, image, data):
    cs = start(mc, publish_changes(package_option(pkg["ModelPackageArn"]), title="Versions"))
    assert cs["Status"] == "SUCCEEDED", errors_of(cs)
    pid = product_of(cs)
    pkg2 = validated_package(sm, image, data)
    assert pkg2["ModelPackageStatus"] == "Completed"
    add = {"ChangeType": "AddDeliveryOptions", "Entity": {"Type": "MachineLearningProduct@1.0", "Identifier": pid},
           "DetailsDocument": {"Version": {"VersionTitle": "2.0", "ReleaseNotes": "Retrained."},
                               "DeliveryOptions": [package_option(pkg2["ModelPackageArn"])]}}
    cs = start(mc, [add])
    assert cs["Status"] == "SUCCEEDED", errors_of(cs)
    doc = mc.describe_entity(Catalog=CATALOG, EntityId=pid)["DetailsDocument"]
    assert [v["VersionTitle"] for v in doc["Versions"]] == ["1.0", "2.0"]
    first = doc["Versions"][0]["DeliveryOptions"][0]["Id"]
    second = doc["Versions"][1]["DeliveryOptions"][0]["Id"]
    # UpdateDeliveryOptions edits a version's instructions; its resource cannot change.
    upd = lambda details: start(mc, [{"ChangeType": "UpdateDeliveryOptions",
                                      "Entity": {"Type": "MachineLearningProduct@1.0", "Identifier": pid},
                                      "DetailsDocument": {"DeliveryOptions": [{"Id": second, "Details": {
                                          "SageMakerModelPackageDeliveryOptionDetails": details}}]}}])
    cs = upd({"UsageInstructions": "Send CSV; get one number per row."})
    assert cs["Status"] == "SUCCEEDED", errors_of(cs)
    doc = mc.describe_entity(Catalog=CATALOG, EntityId=pid)["DetailsDocument"]
    assert doc["Versions"][1]["DeliveryOptions"][0]["Instructions"]["Usage"] == "Send CSV; get one number per row."
    cs = upd({"SageMakerModelPackageArn": pkg["ModelPackageArn"]})
    assert [c for c, _ in errors_of(cs)["UpdateDeliveryOptions"]] == ["INVALID_ASSET_ARN"]
    cs = start(mc, [{"ChangeType": "RestrictDeliveryOptions", "Entity": {"Type": "MachineLearningProduct@1.0", "Identifier": pid},
                     "DetailsDocument": {"DeliveryOptionIds": [first]}}])
    assert cs["Status"] == "SUCCEEDED", errors_of(cs)
    # Restricting the last available version is refused, and nothing changes.
    cs = start(mc, [{"ChangeType": "RestrictDeliveryOptions", "Entity": {"Type": "MachineLearningProduct@1.0", "Identifier": pid},
                     "DetailsDocument": {"DeliveryOptionIds": [second]}}])
    assert cs["Status"] == "FAILED" and cs["FailureCode"] == "CLIENT_ERROR"
    [(code, msg)] = errors_of(cs)["RestrictDeliveryOptions"]
    assert code == "ALL_DELIVERY_OPTIONS_RESTRICTED" and "at least one version" in msg
    cs = start(mc, [{"ChangeType": "UpdateVisibility", "Entity": {"Type": "MachineLearningProduct@1.0", "Identifier": pid},
                     "DetailsDocument": {"TargetVisibility": "Public"}}])
    assert cs["Status"] == "SUCCEEDED", errors_of(cs)
    doc = mc.describe_entity(Catalog=CATALOG, EntityId=pid)["DetailsDocument"]
    assert doc["Description"]["Visibility"] == "Public"
    assert [v["DeliveryOptions"][0]["Visibility"] for v in doc["Versions"]] == ["Restricted", "Public"]
    # Same title again, same package again.
    dup = dict(add, DetailsDocument={"Version": {"VersionTitle": "2.0", "ReleaseNotes": "x"},
                                     "DeliveryOptions": [package_option(pkg2["ModelPackageArn"])]})
    cs = start(mc, [dup])
    codes = [c for c, _ in errors_of(cs)["AddDeliveryOptions"]]
    assert cs["Status"] == "FAILED" and "DUPLICATE_VERSION_TITLE" in codes and "DUPLICATE_ASSET" in codes


def reject(mc, option: dict, **kw) -> list[tuple[str, str]]:
    before = len(mc.list_entities(Catalog=CATALOG, EntityType="MachineLearningProduct")["EntitySummaryList"])
    cs = start(mc, publish_changes(option, **kw))
    assert cs["Status"] == "FAILED" and cs["FailureCode"] == "CLIENT_ERROR", cs
    # All or nothing: no product, no offer.
    after = len(mc.list_entities(Catalog=CATALOG, EntityType="MachineLearningProduct")["EntitySummaryList"])
    assert after == before
    return [e for errs in errors_of(cs).values() for e in errs]


def codes(errors) -> set[str]:
    return {c for c, _ in errors}


def test_every_listing_rejection_has_its_code_and_a_useful_message(server, sm, mc, pkg, image, data):
    arn = pkg["ModelPackageArn"]
    e = reject(mc, package_option(arn, RecommendedInstanceTypes={"BatchTransform": "ml.p3.2xlarge"}))
    assert codes(e) == {"INVALID_RECOMMENDED_INSTANCE_TYPE"} and "ml.m5.large, ml.m5.xlarge" in e[0][1]
    e = reject(mc, package_option(arn), pricing=prices(["ml.m5.large.m.i.b"]))
    assert codes(e) == {"UPDATE_PRICING_REQUIRED"} and "ml.m5.xlarge.m.i.b" in e[0][1]
    other = arn.replace(f":{server.account_id}:", ":111122223333:")
    e = reject(mc, package_option(other))
    assert codes(e) == {"ASSET_NOT_FOUND"} and "111122223333" in e[0][1]
    e = reject(mc, package_option(arn + "-missing"))
    assert codes(e) == {"ASSET_NOT_FOUND"}
    e = reject(mc, package_option("arn:aws:sagemaker:us-east-1:123:nothing"))
    assert codes(e) == {"INVALID_ASSET_ARN"}
    # Not certified (and never validated): cannot be added, and the message says to recreate it.
    name = uniq("uncert")
    sm.create_model_package(**package_request(name, image, data, certify=False, validate=False))
    e = reject(mc, package_option(sm.describe_model_package(ModelPackageName=name)["ModelPackageArn"]))
    assert codes(e) == {"ASSET_VALIDATION_EXCEPTION"} and any("CertifyForMarketplace" in m for _, m in e)
    # A failed validation (model artifacts missing).
    failed = validated_package(sm, image, data, model_key="model/missing.tar.gz")
    assert failed["ModelPackageStatus"] == "Failed"
    e = reject(mc, package_option(failed["ModelPackageArn"]))
    assert "ASSET_VALIDATION_EXCEPTION" in codes(e) and any("validation status is Failed" in m for _, m in e)
    # An image outside the seller's registry.
    name = uniq("local")
    sm.create_model_package(**package_request(name, SAMPLE_IMAGE, data, certify=False, validate=False))
    e = reject(mc, package_option(sm.describe_model_package(ModelPackageName=name)["ModelPackageArn"]))
    assert any(c == "ASSET_VALIDATION_EXCEPTION" and "registry" in m for c, m in e)
    # Details typos are named; lengths are AWS's.
    changes = publish_changes(package_option(arn))
    changes[1]["DetailsDocument"]["ShortDescripton"] = "typo"
    changes[1]["DetailsDocument"]["Highlights"] = ["x" * 501]
    cs = start(mc, changes)
    msgs = [m for _, m in errors_of(cs)["UpdateInformation"]]
    assert cs["Status"] == "FAILED" and any("ShortDescripton" in m for m in msgs) and any("at most 500" in m for m in msgs)


def test_a_package_derived_from_an_algorithm_and_mixing_kinds_are_refused(sm, mc, pkg, image, data):
    algo = uniq("algo")
    sm.create_algorithm(**algorithm(algo, data, image=image))
    a = wait_resource(lambda: sm.describe_algorithm(AlgorithmName=algo), "AlgorithmStatus")
    assert a["AlgorithmStatus"] == "Completed", a["AlgorithmStatusDetails"]
    derived = uniq("derived")
    sm.create_model_package(ModelPackageName=derived,
                            SourceAlgorithmSpecification={"SourceAlgorithms": [
                                {"AlgorithmName": a["AlgorithmArn"], "ModelDataUrl": f"s3://{data}/model/model.tar.gz"}]})
    d = wait_resource(lambda: sm.describe_model_package(ModelPackageName=derived), "ModelPackageStatus")
    e = reject(mc, package_option(d["ModelPackageArn"]))
    assert any(c == "ASSET_VALIDATION_EXCEPTION" and "derived from an algorithm" in m for c, m in e)
    # A training-only algorithm validates, but cannot be published.
    training_only = uniq("trainonly")
    req = algorithm(training_only, data, image=image, transform=False)
    del req["InferenceSpecification"]
    sm.create_algorithm(**req)
    t = wait_resource(lambda: sm.describe_algorithm(AlgorithmName=training_only), "AlgorithmStatus")
    assert t["AlgorithmStatus"] == "Completed", t["AlgorithmStatusDetails"]
    e = reject(mc, {"Details": {"SageMakerAlgorithmDeliveryOptionDetails": {"SageMakerAlgorithmArn": t["AlgorithmArn"]}}},
               pricing={"PricingModel": "Free", "Terms": []})
    assert any(c == "ASSET_VALIDATION_EXCEPTION" and "no InferenceSpecification" in m for c, m in e), e
    cs = start(mc, publish_changes(package_option(pkg["ModelPackageArn"]), title="Mixed"))
    pid = product_of(cs)
    mix = {"ChangeType": "AddDeliveryOptions", "Entity": {"Type": "MachineLearningProduct@1.0", "Identifier": pid},
           "DetailsDocument": {"Version": {"VersionTitle": "algo", "ReleaseNotes": "x"},
                               "DeliveryOptions": [{"Details": {"SageMakerAlgorithmDeliveryOptionDetails": {
                                   "SageMakerAlgorithmArn": a["AlgorithmArn"]}}}]}}
    cs = start(mc, [mix])
    assert "INCOMPATIBLE_DELIVERY_OPTIONS" in [c for c, _ in errors_of(cs)["AddDeliveryOptions"]]


def test_the_cli_publishes_an_algorithm_and_the_copy_outlives_the_original(server, sm, mc, data, tmp_path, tmp_path_factory):
    repo = uniq("algo-img")
    image = push(server, tmp_path_factory, repo)
    name = uniq("algo")
    req = algorithm(name, data, image=image)
    req["InferenceSpecification"]["Containers"][0]["Image"] = image
    sm.create_algorithm(**req)
    a = wait_resource(lambda: sm.describe_algorithm(AlgorithmName=name), "AlgorithmStatus")
    assert a["AlgorithmStatus"] == "Completed", a["AlgorithmStatusDetails"]
    option = {"Details": {"SageMakerAlgorithmDeliveryOptionDetails": {
        "SageMakerAlgorithmArn": a["AlgorithmArn"], "UsageInstructions": "Train on CSV.",
        "RecommendedInstanceTypes": {"Training": "ml.m5.large", "BatchTransform": "ml.m5.large"}}}}
    changes = publish_changes(option, title="Linear trainer",
                              pricing={"PricingModel": "Free", "Terms": []})
    f = tmp_path / "changes.json"
    f.write_text(json.dumps(changes))
    out = server.cli("marketplace-catalog", "start-change-set", "--catalog", CATALOG,
                     "--change-set", f"file://{f}", "--change-set-name", "cli-publish")
    cs_id = json.loads(out.stdout)["ChangeSetId"]
    deadline = time.time() + 60
    while True:
        d = json.loads(server.cli("marketplace-catalog", "describe-change-set", "--catalog", CATALOG,
                                  "--change-set-id", cs_id).stdout)
        if d["Status"] not in ("PREPARING", "APPLYING"):
            break
        assert time.time() < deadline
        time.sleep(0.3)
    assert d["Status"] == "SUCCEEDED", errors_of(d)
    pid = product_of(d)
    e = json.loads(server.cli("marketplace-catalog", "describe-entity", "--catalog", CATALOG, "--entity-id", pid).stdout)
    [v] = e["DetailsDocument"]["Versions"]
    copy_arn = v["Sources"][0]["AlgorithmArn"]
    assert sorted(x["Key"] for x in e["DetailsDocument"]["Dimensions"]) == [
        "ml.m5.large.a.i.b", "ml.m5.large.a.i.r", "ml.m5.large.a.t"]
    # Delete the seller's algorithm and its image: the copy still describes, and the platform still pulls its image.
    sm.delete_algorithm(AlgorithmName=name)
    ecr = server.client(service="ecr")
    ecr.batch_delete_image(repositoryName=repo, imageIds=[{"imageTag": "v1"}])
    ecr.delete_repository(repositoryName=repo, force=True)
    run("podman", "rmi", "--ignore", image)
    copy = sm.describe_algorithm(AlgorithmName=copy_arn)
    assert copy["ProductId"] == pid and copy["AlgorithmStatus"] == "Completed"
    assert f"/{pid}@sha256:" in copy["TrainingSpecification"]["TrainingImage"]
    job = uniq("from-copy")
    sm.create_training_job(
        TrainingJobName=job, RoleArn=ROLE, EnableNetworkIsolation=True,
        AlgorithmSpecification={"AlgorithmName": copy_arn, "TrainingInputMode": "File"},
        InputDataConfig=training_definition(data)["InputDataConfig"],
        OutputDataConfig={"S3OutputPath": f"s3://{data}/from-copy/"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
        StoppingCondition={"MaxRuntimeInSeconds": 300})
    t = wait_resource(lambda: sm.describe_training_job(TrainingJobName=job), "TrainingJobStatus")
    assert t["TrainingJobStatus"] == "Completed", t.get("FailureReason")
    # Another account sees neither the copy nor the limited product.
    other = server.create_account("mkt-other")
    osm = server.client(other)
    with pytest.raises(ClientError) as ei:
        osm.describe_algorithm(AlgorithmName=copy_arn)
    assert "does not exist" in str(ei.value)
    omc = server.client(other, service="marketplace-catalog")
    with pytest.raises(ClientError) as ei:
        omc.describe_entity(Catalog=CATALOG, EntityId=pid)
    assert ei.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_validate_intent_checks_and_changes_nothing(mc, pkg):
    before = mc.list_entities(Catalog=CATALOG, EntityType="MachineLearningProduct")["EntitySummaryList"]
    cs = start(mc, publish_changes(package_option(pkg["ModelPackageArn"]), title="Dry run"), Intent="VALIDATE")
    assert cs["Status"] == "SUCCEEDED" and cs["Intent"] == "VALIDATE"
    assert mc.list_entities(Catalog=CATALOG, EntityType="MachineLearningProduct")["EntitySummaryList"] == before
    bad = start(mc, publish_changes(package_option(pkg["ModelPackageArn"]), pricing=prices(["nope"])), Intent="VALIDATE")
    assert bad["Status"] == "FAILED"


def test_api_errors_have_the_catalogs_codes_and_statuses(server, mc):
    def err(call, **kw):
        with pytest.raises(ClientError) as ei:
            call(**kw)
        r = ei.value.response
        return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"]

    both = {"ChangeType": "CreateProduct", "Entity": {"Type": "MachineLearningProduct@1.0"},
            "Details": "{}", "DetailsDocument": {}}
    assert err(mc.start_change_set, Catalog=CATALOG, ChangeSet=[both])[:2] == ("ValidationException", 422)
    assert err(mc.describe_change_set, Catalog=CATALOG, ChangeSetId="nosuchchangeset")[:2] == ("ResourceNotFoundException", 404)
    assert err(mc.describe_entity, Catalog=CATALOG, EntityId="prod-doesnotexist1")[:2] == ("ResourceNotFoundException", 404)
    code, status, msg = err(mc.start_change_set, Catalog=CATALOG, ChangeSet=[
        {"ChangeType": "UpdateInformation", "Entity": {"Type": "MachineLearningProduct@1.0", "Identifier": "$Nope.Entity.Identifier"},
         "DetailsDocument": {}}])
    assert (code, status) == ("ValidationException", 422) and "Nope" in msg
    assert err(mc.start_change_set, Catalog=CATALOG, ChangeSet=[
        {"ChangeType": "CreateProduct", "Entity": {"Type": "AmiProduct@1.0"}, "DetailsDocument": {}}])[:2] == (
        "ResourceNotSupportedException", 415)
    assert err(mc.list_entities, Catalog="Other", EntityType="MachineLearningProduct")[:2] == ("ValidationException", 422)
    # Another account's entity: 403 on change.
    cs = start(mc, [{"ChangeType": "CreateProduct", "Entity": {"Type": "MachineLearningProduct@1.0"},
                     "DetailsDocument": {"ProductTitle": "Mine"}, "ChangeName": "P"}])
    pid = product_of(cs)
    other = server.create_account("mkt-403")
    omc = server.client(other, service="marketplace-catalog")
    assert err(omc.start_change_set, Catalog=CATALOG, ChangeSet=[
        {"ChangeType": "UpdateInformation", "Entity": {"Type": "MachineLearningProduct@1.0", "Identifier": pid},
         "DetailsDocument": {"ProductTitle": "Theirs"}}])[:2] == ("AccessDeniedException", 403)
    # Tags on the product and the change set.
    arn = mc.describe_entity(Catalog=CATALOG, EntityId=pid)["EntityArn"]
    mc.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "ml"}])
    assert mc.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ml"}]
    mc.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert mc.list_tags_for_resource(ResourceArn=arn)["Tags"] == []
    # BatchDescribeEntities: found and missing in one answer.
    b = mc.batch_describe_entities(EntityRequestList=[{"Catalog": CATALOG, "EntityId": pid},
                                                      {"Catalog": CATALOG, "EntityId": "prod-missing00000"}])
    assert pid in b["EntityDetails"] and b["Errors"]["prod-missing00000"]["ErrorCode"] == "ResourceNotFoundException"


@pytest.fixture(scope="module")
def slow(tmp_path_factory):
    env = dict(CONTROL_PLANE_ONLY, SLIPWAY_MARKETPLACE_PREPARING_MS="1500", SLIPWAY_MARKETPLACE_MAX_PRODUCTS="3")
    s = _start(tmp_path_factory, "mkt-slow", env=env)
    yield s
    s.stop()
    s.kill()


def test_a_locked_entity_gets_423_cancel_releases_it_and_quotas_give_402(slow):
    mc = slow.client(service="marketplace-catalog")
    cs = mc.start_change_set(Catalog=CATALOG, ChangeSet=[
        {"ChangeType": "CreateProduct", "Entity": {"Type": "MachineLearningProduct@1.0"}, "DetailsDocument": {"ProductTitle": "A"}}])
    done = wait_change_set(mc, cs["ChangeSetId"])
    assert done["Status"] == "SUCCEEDED"
    pid = product_of(done)
    change = [{"ChangeType": "UpdateInformation", "Entity": {"Type": "MachineLearningProduct@1.0", "Identifier": pid},
               "DetailsDocument": {"ProductTitle": "B"}}]
    first = mc.start_change_set(Catalog=CATALOG, ChangeSet=change, ClientRequestToken="tok-1")
    # The same token is the same change set.
    assert mc.start_change_set(Catalog=CATALOG, ChangeSet=change, ClientRequestToken="tok-1")["ChangeSetId"] == first["ChangeSetId"]
    with pytest.raises(ClientError) as ei:
        mc.start_change_set(Catalog=CATALOG, ChangeSet=change)
    r = ei.value.response
    assert r["Error"]["Code"] == "ResourceInUseException" and r["ResponseMetadata"]["HTTPStatusCode"] == 423
    assert first["ChangeSetId"] in r["Error"]["Message"]
    assert mc.describe_change_set(Catalog=CATALOG, ChangeSetId=first["ChangeSetId"])["Status"] == "PREPARING"
    mc.cancel_change_set(Catalog=CATALOG, ChangeSetId=first["ChangeSetId"])
    c = mc.describe_change_set(Catalog=CATALOG, ChangeSetId=first["ChangeSetId"])
    assert c["Status"] == "CANCELLED"
    time.sleep(2)
    assert mc.describe_entity(Catalog=CATALOG, EntityId=pid)["DetailsDocument"]["Description"]["ProductTitle"] == "A"
    again = wait_change_set(mc, mc.start_change_set(Catalog=CATALOG, ChangeSet=change)["ChangeSetId"])
    assert again["Status"] == "SUCCEEDED"
    # Cancelling an ended change set is refused.
    with pytest.raises(ClientError) as ei:
        mc.cancel_change_set(Catalog=CATALOG, ChangeSetId=again["ChangeSetId"])
    assert ei.value.response["ResponseMetadata"]["HTTPStatusCode"] == 422
    create = [{"ChangeType": "CreateProduct", "Entity": {"Type": "MachineLearningProduct@1.0"}, "DetailsDocument": {}}]
    for _ in range(2):
        mc.start_change_set(Catalog=CATALOG, ChangeSet=create)
    with pytest.raises(ClientError) as ei:
        mc.start_change_set(Catalog=CATALOG, ChangeSet=create)
    r = ei.value.response
    assert r["Error"]["Code"] == "ServiceQuotaExceededException" and r["ResponseMetadata"]["HTTPStatusCode"] == 402


def test_a_change_set_interrupted_by_a_kill_finishes_after_restart(slow):
    mc = slow.client(service="marketplace-catalog")
    cs = mc.start_change_set(Catalog=CATALOG, ChangeSet=[
        {"ChangeType": "UpdateInformation", "Entity": {"Type": "MachineLearningProduct@1.0",
         "Identifier": mc.list_entities(Catalog=CATALOG, EntityType="MachineLearningProduct")["EntitySummaryList"][0]["EntityId"]},
         "DetailsDocument": {"ShortDescription": "written across a kill"}}])
    assert mc.describe_change_set(Catalog=CATALOG, ChangeSetId=cs["ChangeSetId"])["Status"] == "PREPARING"
    slow.kill()
    slow.start()
    mc = slow.client(service="marketplace-catalog")
    done = wait_change_set(mc, cs["ChangeSetId"])
    assert done["Status"] == "SUCCEEDED", errors_of(done)
    pid = done["ChangeSet"][0]["Entity"]["Identifier"]
    doc = mc.describe_entity(Catalog=CATALOG, EntityId=pid)["DetailsDocument"]
    assert doc["Description"]["ShortDescription"] == "written across a kill"
    # Its lock went with it: the next change set on the product runs.
    again = wait_change_set(mc, mc.start_change_set(Catalog=CATALOG, ChangeSet=[
        {"ChangeType": "UpdateInformation", "Entity": {"Type": "MachineLearningProduct@1.0", "Identifier": pid},
         "DetailsDocument": {"Sku": "after"}}])["ChangeSetId"])
    assert again["Status"] == "SUCCEEDED"
