"""Buyers of a Marketplace listing (docs/marketplace.md "Buyers"): three
accounts on one server — the seller, a subscribed buyer, another buyer —
and every rule AWS applies when a product is used by ARN, reached through
boto3, the `slipway marketplace` CLI and the SageMaker Python SDK v2:
subscriptions, "Caller is not subscribed to the marketplace offering.",
network isolation required (and proven from inside the container), the
buyer never reaching the seller's image or artifacts while the platform
runs them, restricted versions, region-scoped ARNs."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
import warnings

import pytest
from botocore.exceptions import ClientError

from conftest import _start
from e2e_helpers import REPO, TEST_ACCOUNT_ENV, clean_env, ensure_roles
from jobs_helpers import ensure_images, linear_rows, model_tar, uniq
from s3_helpers import new_bucket, s3 as s3_client
from test_marketplace_catalog import (CATALOG, PACKAGE_KEYS, package_option, package_request, prices,
                                      product_of, publish_changes, push, start, validated_package)
from test_validation import algorithm, training_definition, wait_resource

DATA_PATH = REPO / "sdk" / "botocore-data"
NOT_SUBSCRIBED = "Caller is not subscribed to the marketplace offering."


@pytest.fixture(scope="module", autouse=True)
def images():
    ensure_images()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = _start(tmp_path_factory, "buyers", env=dict(TEST_ACCOUNT_ENV))
    yield s
    s.stop()
    s.kill()


class Party:
    """One account's clients, role and bucket."""

    def __init__(self, server, creds, tag):
        self.server, self.creds = server, creds
        self.account_id = creds.account_id if creds else server.account_id
        self.sm = server.client(creds)
        self.mc = server.client(creds, service="marketplace-catalog")
        os.environ["AWS_DATA_PATH"] = str(DATA_PATH)
        self.mp = server.client(creds, service="slipwaymarketplace")
        self.s3 = s3_client(server) if creds is None else server.client(creds, service="s3")
        self.role = ensure_roles(server, creds, names=("SlipwayTests",))[0]
        self.bucket = new_bucket(self.s3, tag)
        self.s3.put_object(Bucket=self.bucket, Key="batch/q.csv", Body=b"1,1\n2,-1\n0,0\n")
        self.s3.put_object(Bucket=self.bucket, Key="train/data.csv", Body=linear_rows(200))

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        env = clean_env()
        env.update(AWS_ENDPOINT_URL=self.server.endpoint, AWS_ACCESS_KEY_ID=self.creds.access_key,
                   AWS_SECRET_ACCESS_KEY=self.creds.secret_key, AWS_DEFAULT_REGION=self.server.region)
        out = subprocess.run([os.environ["SLIPWAY_BIN"], "marketplace", *args], env=env,
                             capture_output=True, text=True, timeout=60)
        if check:
            assert out.returncode == 0, out.stderr
        return out


@pytest.fixture(scope="module")
def seller(server):
    p = Party(server, None, "seller")
    p.s3.put_object(Bucket=p.bucket, Key="model/model.tar.gz", Body=model_tar([3.0, -2.0], 1.0))
    return p


@pytest.fixture(scope="module")
def buyer(server):
    return Party(server, server.create_account("buyer"), "buyer")


@pytest.fixture(scope="module")
def other(server):
    return Party(server, server.create_account("other"), "other")


@pytest.fixture(scope="module")
def image(server, tmp_path_factory):
    return push(server, tmp_path_factory, uniq("seller"))


@pytest.fixture(scope="module")
def package_product(seller, image):
    """A validated package published as a Limited product: (product id, copy ARN, package)."""
    pkg = validated_package(seller.sm, image, seller.bucket)
    assert pkg["ModelPackageStatus"] == "Completed", pkg["ModelPackageStatusDetails"]
    cs = start(seller.mc, publish_changes(package_option(pkg["ModelPackageArn"]), title="Buyable model"))
    assert cs["Status"] == "SUCCEEDED", cs
    pid = product_of(cs)
    doc = seller.mc.describe_entity(Catalog=CATALOG, EntityId=pid)["DetailsDocument"]
    return pid, doc["Versions"][0]["Sources"][0]["ModelPackageArn"], pkg


@pytest.fixture(scope="module")
def algorithm_product(seller, image):
    name = uniq("algo")
    req = algorithm(name, seller.bucket, image=image)
    req["InferenceSpecification"]["Containers"][0]["Image"] = image
    modes = req["TrainingSpecification"]["SupportedHyperParameters"][1]["Range"]["CategoricalParameterRangeSpecification"]
    modes["Values"].append("dial-out")
    seller.sm.create_algorithm(**req)
    a = wait_resource(lambda: seller.sm.describe_algorithm(AlgorithmName=name), "AlgorithmStatus")
    assert a["AlgorithmStatus"] == "Completed", a["AlgorithmStatusDetails"]
    option = {"Details": {"SageMakerAlgorithmDeliveryOptionDetails": {"SageMakerAlgorithmArn": a["AlgorithmArn"]}}}
    cs = start(seller.mc, publish_changes(option, title="Buyable trainer", pricing={"PricingModel": "Free", "Terms": []}))
    assert cs["Status"] == "SUCCEEDED", cs
    pid = product_of(cs)
    doc = seller.mc.describe_entity(Catalog=CATALOG, EntityId=pid)["DetailsDocument"]
    return pid, doc["Versions"][0]["Sources"][0]["AlgorithmArn"]


def change(seller, pid, change_type, details):
    cs = start(seller.mc, [{"ChangeType": change_type,
                            "Entity": {"Type": "MachineLearningProduct@1.0", "Identifier": pid},
                            "DetailsDocument": details}])
    assert cs["Status"] == "SUCCEEDED", cs["ChangeSet"]


def release_offer(seller, pid):
    """Releases the product's offer (a public product's offer must be released to be accepted)."""
    for o in seller.mc.list_entities(Catalog=CATALOG, EntityType="Offer")["EntitySummaryList"]:
        if seller.mc.describe_entity(Catalog=CATALOG, EntityId=o["EntityId"])["DetailsDocument"]["ProductId"] == pid:
            cs = start(seller.mc, [{"ChangeType": "ReleaseOffer", "Entity": {"Type": "Offer@1.0", "Identifier": o["EntityId"]},
                                    "DetailsDocument": {}}])
            assert cs["Status"] == "SUCCEEDED", cs["ChangeSet"]
            return
    raise AssertionError(f"no offer for {pid}")


def error(call, **kw) -> tuple[str, str]:
    with pytest.raises(ClientError) as ei:
        call(**kw)
    return ei.value.response["Error"]["Code"], ei.value.response["Error"]["Message"]


def test_limited_listings_are_seen_by_targeted_buyers_who_subscribe(seller, buyer, other, package_product, algorithm_product):
    pid, copy_arn, _ = package_product
    shared = lambda p: [e["EntityId"] for e in p.mc.list_entities(Catalog=CATALOG, EntityType="MachineLearningProduct",
                                                                  OwnershipType="SHARED")["EntitySummaryList"]]
    assert pid not in shared(buyer)
    assert error(buyer.mp.subscribe, ProductId=pid)[0] == "ResourceNotFoundException"
    for p in (package_product[0], algorithm_product[0]):
        change(seller, p, "UpdateTargeting", {"PositiveTargeting": {"BuyerAccounts": [buyer.account_id]}})
    assert pid in shared(buyer) and pid not in shared(other)
    assert buyer.mc.describe_entity(Catalog=CATALOG, EntityId=pid)["DetailsDocument"]["Description"]["ProductTitle"] == "Buyable model"
    assert error(other.mc.describe_entity, Catalog=CATALOG, EntityId=pid)[0] == "ResourceNotFoundException"
    # A targeted buyer may read the copy before subscribing (the SDK checks its ProductId), not use it.
    d = buyer.sm.describe_model_package(ModelPackageName=copy_arn)
    assert d["InferenceSpecification"]["Containers"][0]["ProductId"] == pid
    code, msg = error(buyer.sm.create_model, ModelName=uniq("m"), ExecutionRoleArn=buyer.role,
                      PrimaryContainer={"ModelPackageName": copy_arn}, EnableNetworkIsolation=True)
    assert (code, msg) == ("ValidationException", NOT_SUBSCRIBED)
    sub = buyer.mp.subscribe(ProductId=pid)["Subscription"]
    assert sub["Status"] == "ACTIVE" and sub["Role"] == "Buyer" and sub["AgreementId"].startswith("agmt-")
    assert buyer.mp.subscribe(ProductId=pid)["Subscription"]["AgreementId"] == sub["AgreementId"]
    buyer.mp.subscribe(ProductId=algorithm_product[0])
    seen = seller.mp.list_subscriptions(Role="Seller")["Subscriptions"]
    assert {(s["ProductId"], s["BuyerAccountId"]) for s in seen} >= {(pid, buyer.account_id)}


def test_the_rules_of_using_a_product(server, seller, buyer, other, package_product, algorithm_product):
    pid, copy_arn, pkg = package_product
    algo_pid, algo_copy = algorithm_product
    for p in (pid, algo_pid):
        change(seller, p, "UpdateVisibility", {"TargetVisibility": "Public"})
        release_offer(seller, p)
    # Public now: the other buyer sees it, but is not subscribed.
    assert other.mc.describe_entity(Catalog=CATALOG, EntityId=pid)["EntityArn"]
    assert error(other.sm.create_model, ModelName=uniq("m"), ExecutionRoleArn=other.role,
                 PrimaryContainer={"ModelPackageName": copy_arn}, EnableNetworkIsolation=True) == ("ValidationException", NOT_SUBSCRIBED)
    code, msg = error(other.sm.create_training_job, TrainingJobName=uniq("t"), RoleArn=other.role, EnableNetworkIsolation=True,
                      AlgorithmSpecification={"AlgorithmName": algo_copy, "TrainingInputMode": "File"},
                      InputDataConfig=training_definition(other.bucket)["InputDataConfig"],
                      OutputDataConfig={"S3OutputPath": f"s3://{other.bucket}/out/"},
                      ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
                      StoppingCondition={"MaxRuntimeInSeconds": 300})
    assert (code, msg) == ("ValidationException", NOT_SUBSCRIBED)
    # Subscribed, but without network isolation.
    code, msg = error(buyer.sm.create_model, ModelName=uniq("m"), ExecutionRoleArn=buyer.role,
                      PrimaryContainer={"ModelPackageName": copy_arn})
    assert code == "ValidationException" and msg.startswith("EnableNetworkIsolation must be true")
    code, msg = error(buyer.sm.create_training_job, TrainingJobName=uniq("t"), RoleArn=buyer.role,
                      AlgorithmSpecification={"AlgorithmName": algo_copy, "TrainingInputMode": "File"},
                      InputDataConfig=training_definition(buyer.bucket)["InputDataConfig"],
                      OutputDataConfig={"S3OutputPath": f"s3://{buyer.bucket}/out/"},
                      ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
                      StoppingCondition={"MaxRuntimeInSeconds": 300})
    assert (code, msg) == ("ValidationException", "EnableNetworkIsolation must be true for jobs using SageMaker Marketplace algorithms.")
    # The same rules for a tuning job with the algorithm's ARN.
    def tune(party, isolated):
        td = {"StaticHyperParameters": {}, "RoleArn": party.role, "EnableNetworkIsolation": isolated,
              "AlgorithmSpecification": {"AlgorithmName": algo_copy, "TrainingInputMode": "File"},
              "InputDataConfig": training_definition(party.bucket)["InputDataConfig"],
              "OutputDataConfig": {"S3OutputPath": f"s3://{party.bucket}/out/"},
              "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
              "StoppingCondition": {"MaxRuntimeInSeconds": 300}}
        cfg = {"Strategy": "Random", "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "train:mse"},
               "ResourceLimits": {"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 1},
               "ParameterRanges": {"IntegerParameterRanges": [{"Name": "epochs", "MinValue": "10", "MaxValue": "50"}]}}
        return error(party.sm.create_hyper_parameter_tuning_job, HyperParameterTuningJobName=uniq("hpo")[:32],
                     HyperParameterTuningJobConfig=cfg, TrainingJobDefinition=td)
    assert tune(other, True) == ("ValidationException", NOT_SUBSCRIBED)
    assert tune(buyer, False) == ("ValidationException",
                                  "EnableNetworkIsolation must be true for jobs using SageMaker Marketplace algorithms.")
    # Subscribed and isolated, the algorithm's own rules apply: its epochs are not tunable.
    code, msg = tune(buyer, True)
    assert code == "ValidationException" and "untunable hyperparameters: [epochs]" in msg, msg
    # Another region's ARN, and an unknown one.
    other_region = copy_arn.replace(f":{server.region}:", ":eu-west-3:")
    code, msg = error(buyer.sm.describe_model_package, ModelPackageName=other_region)
    assert code == "ValidationException" and msg == f"ARN should be scoped to correct region: {server.region}"
    assert "does not exist" in error(buyer.sm.describe_model_package, ModelPackageName=copy_arn + "x")[1]
    # The buyer never reaches the seller's image or the copy's artifacts and image directly.
    mkt = copy_arn.split(":")[4]
    ecr = server.client(buyer.creds, service="ecr")
    with pytest.raises(ClientError):
        ecr.describe_images(registryId=mkt, repositoryName=pid)
    with pytest.raises(ClientError):
        ecr.describe_images(registryId=seller.account_id, repositoryName=pkg["InferenceSpecification"]["Containers"][0]["Image"].split("/", 1)[1].split(":")[0])
    data_url = buyer.sm.describe_model_package(ModelPackageName=copy_arn)["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    bucket, key = data_url[5:].split("/", 1)
    assert error(buyer.s3.get_object, Bucket=bucket, Key=key)[0] == "AccessDenied"
    assert error(buyer.s3.get_object, Bucket=seller.bucket, Key="model/model.tar.gz")[0] == "AccessDenied"


def test_a_subscribed_buyer_runs_transform_and_training_isolated(server, buyer, package_product, algorithm_product):
    pid, copy_arn, _ = package_product
    model = uniq("bm")
    buyer.sm.create_model(ModelName=model, ExecutionRoleArn=buyer.role, EnableNetworkIsolation=True,
                          PrimaryContainer={"ModelPackageName": copy_arn})
    job = uniq("bt")
    buyer.sm.create_transform_job(
        TransformJobName=job, ModelName=model,
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{buyer.bucket}/batch/"}},
                        "ContentType": "text/csv", "SplitType": "Line"},
        TransformOutput={"S3OutputPath": f"s3://{buyer.bucket}/predictions/", "AssembleWith": "Line"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1})
    t = wait_resource(lambda: buyer.sm.describe_transform_job(TransformJobName=job), "TransformJobStatus")
    assert t["TransformJobStatus"] == "Completed", t.get("FailureReason")
    preds = [float(x) for x in buyer.s3.get_object(Bucket=buyer.bucket, Key="predictions/q.csv.out")["Body"].read().split()]
    assert [round(p) for p in preds] == [2, 9, 1]
    # Training with the algorithm, proven isolated from inside: it dials the host's own
    # address (a listener of this test) and reports its environment's credentials.
    listener = socket.socket()
    listener.bind(("0.0.0.0", 0))
    listener.listen(8)
    listener.settimeout(0.5)
    accepted = []

    def accept():
        deadline = time.time() + 120
        while time.time() < deadline and not accepted:
            try:
                accepted.append(listener.accept())
            except OSError:
                pass

    th = threading.Thread(target=accept, daemon=True)
    th.start()
    host_ip = subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()[0]
    port = listener.getsockname()[1]
    algo_copy = algorithm_product[1]
    job = uniq("btr")
    buyer.sm.create_training_job(
        TrainingJobName=job, RoleArn=buyer.role, EnableNetworkIsolation=True,
        AlgorithmSpecification={"AlgorithmName": algo_copy, "TrainingInputMode": "File"},
        HyperParameters={"mode": "dial-out", "epochs": "50"},
        Environment={"SAMPLE_DIAL_URL": f"http://{host_ip}:{port}/weights.bin"},
        InputDataConfig=training_definition(buyer.bucket)["InputDataConfig"],
        OutputDataConfig={"S3OutputPath": f"s3://{buyer.bucket}/train-out/"},
        ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
        StoppingCondition={"MaxRuntimeInSeconds": 300})
    d = wait_resource(lambda: buyer.sm.describe_training_job(TrainingJobName=job), "TrainingJobStatus")
    assert d["TrainingJobStatus"] == "Completed", d.get("FailureReason")
    assert d["EnableNetworkIsolation"] is True and d["AlgorithmSpecification"]["AlgorithmName"] == algo_copy
    logs = server.client(buyer.creds, service="logs")
    stream = logs.describe_log_streams(logGroupName="/aws/sagemaker/TrainingJobs", logStreamNamePrefix=job)["logStreams"][0]
    text = "\n".join(e["message"] for e in logs.get_log_events(logGroupName="/aws/sagemaker/TrainingJobs",
                                                                logStreamName=stream["logStreamName"])["events"])
    assert "credentials in the environment: none" in text, text
    assert f"downloading weights from http://{host_ip}:{port}/weights.bin" in text
    assert "weights download failed" in text, text
    listener.close()
    th.join(2)
    assert accepted == [], "the isolated container reached the host"
    # The trained model is the buyer's own; a package built from it is derived and cannot be published.
    derived = uniq("derived")
    buyer.sm.create_model_package(ModelPackageName=derived, SourceAlgorithmSpecification={"SourceAlgorithms": [
        {"AlgorithmName": algo_copy, "ModelDataUrl": d["ModelArtifacts"]["S3ModelArtifacts"]}]})
    p = wait_resource(lambda: buyer.sm.describe_model_package(ModelPackageName=derived), "ModelPackageStatus")
    assert p["ModelPackageStatus"] == "Completed"
    assert p["InferenceSpecification"]["Containers"][0]["ProductId"] == algorithm_product[0]
    cs = start(buyer.mc, publish_changes(package_option(p["ModelPackageArn"]), title="Resold"))
    assert cs["Status"] == "FAILED"
    msgs = [e["ErrorMessage"] for c in cs["ChangeSet"] for e in c["ErrorDetailList"]]
    assert any("derived from an algorithm" in m for m in msgs), msgs


def test_the_cli_subscribes_and_restricted_versions_stay_with_earlier_subscribers(server, seller, buyer, other, image, package_product):
    pid, v1_copy, _ = package_product
    out = other.cli("subscribe", pid)
    assert pid in out.stdout and "ACTIVE" in out.stdout
    listed = json.loads(other.cli("subscriptions", "--output", "json").stdout)["Subscriptions"]
    assert [s["ProductId"] for s in listed if s["Status"] == "ACTIVE"] == [pid]
    # A second version, then the first restricted: earlier subscribers keep it, a new one cannot use it.
    pkg2 = validated_package(seller.sm, image, seller.bucket)
    change(seller, pid, "AddDeliveryOptions", {"Version": {"VersionTitle": "2.0", "ReleaseNotes": "new"},
                                               "DeliveryOptions": [package_option(pkg2["ModelPackageArn"])]})
    doc = seller.mc.describe_entity(Catalog=CATALOG, EntityId=pid)["DetailsDocument"]
    change(seller, pid, "RestrictDeliveryOptions", {"DeliveryOptionIds": [doc["Versions"][0]["DeliveryOptions"][0]["Id"]]})
    v2_copy = doc["Versions"][1]["Sources"][0]["ModelPackageArn"]
    late = Party(server, server.create_account("late"), "late")
    late.cli("subscribe", pid)
    model = lambda p, arn: p.sm.create_model(ModelName=uniq("m"), ExecutionRoleArn=p.role, EnableNetworkIsolation=True,
                                             PrimaryContainer={"ModelPackageName": arn})
    assert error(model, p=late, arn=v1_copy) == ("ValidationException", NOT_SUBSCRIBED)
    model(late, v2_copy)
    model(other, v1_copy)
    # Unsubscribed: new models are refused again.
    out = other.cli("unsubscribe", pid)
    assert "CANCELLED" in out.stdout
    assert error(model, p=other, arn=v2_copy) == ("ValidationException", NOT_SUBSCRIBED)
    bad = other.cli("unsubscribe", pid, check=False)
    assert bad.returncode != 0 and "ResourceNotFoundException" in bad.stderr


def test_the_sdk_runs_a_marketplace_package_and_algorithm_unmodified(server, buyer, package_product, algorithm_product):
    import boto3
    import sagemaker
    from sagemaker import ModelPackage
    from sagemaker.algorithm import AlgorithmEstimator

    warnings.filterwarnings("ignore", module="sagemaker")
    config = {"SchemaVersion": "1.0", "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}}}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ENDPOINT_URL", server.endpoint)
        bs = boto3.Session(aws_access_key_id=buyer.creds.access_key, aws_secret_access_key=buyer.creds.secret_key,
                           region_name=server.region)
        sess = sagemaker.Session(boto_session=bs, default_bucket=buyer.bucket, sagemaker_config=config)
        mpkg = ModelPackage(role=buyer.role, model_package_arn=package_product[1], sagemaker_session=sess)
        assert mpkg.enable_network_isolation() is True
        tr = mpkg.transformer(instance_count=1, instance_type="ml.m5.large",
                              output_path=f"s3://{buyer.bucket}/sdk-out/", assemble_with="Line")
        tr.transform(f"s3://{buyer.bucket}/batch/", content_type="text/csv", split_type="Line", logs=False, wait=True)
        out = buyer.s3.get_object(Bucket=buyer.bucket, Key="sdk-out/q.csv.out")["Body"].read().split()
        assert [round(float(x)) for x in out] == [2, 9, 1]
        # deploy(): an endpoint the platform runs from the marketplace's image and artifacts.
        endpoint = uniq("bep")
        mpkg.deploy(initial_instance_count=1, instance_type="ml.m5.large", endpoint_name=endpoint, wait=True)
        rt = server.client(buyer.creds, service="sagemaker-runtime")
        answer = rt.invoke_endpoint(EndpointName=endpoint, ContentType="text/csv", Body=b"1,1\n")
        assert round(float(answer["Body"].read().decode().split()[0])) == 2
        assert buyer.sm.describe_model(ModelName=buyer.sm.describe_endpoint_config(
            EndpointConfigName=buyer.sm.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
        )["ProductionVariants"][0]["ModelName"])["EnableNetworkIsolation"] is True
        buyer.sm.delete_endpoint(EndpointName=endpoint)
        est = AlgorithmEstimator(algorithm_arn=algorithm_product[1], role=buyer.role, instance_count=1,
                                 instance_type="ml.m5.large", sagemaker_session=sess,
                                 output_path=f"s3://{buyer.bucket}/sdk-train/", hyperparameters={"epochs": "50"})
        assert est.enable_network_isolation() is True
        est.fit({"train": f"s3://{buyer.bucket}/train/"}, logs=False)
        desc = sess.sagemaker_client.describe_training_job(TrainingJobName=est.latest_training_job.name)
        assert desc["TrainingJobStatus"] == "Completed" and desc["EnableNetworkIsolation"] is True
        # deploy(): the SDK registers the trained model as a package of the
        # algorithm (SourceAlgorithmSpecification), waits for its validation
        # and hosts it isolated.
        from sagemaker.deserializers import CSVDeserializer
        from sagemaker.serializers import CSVSerializer
        predictor = est.deploy(initial_instance_count=1, instance_type="ml.m5.large", endpoint_name=uniq("aep"),
                               serializer=CSVSerializer(), deserializer=CSVDeserializer(), wait=True)
        [[value]] = predictor.predict([[1.0, 1.0]])
        assert isinstance(float(value), float)
        hosted = buyer.sm.describe_endpoint_config(
            EndpointConfigName=buyer.sm.describe_endpoint(EndpointName=predictor.endpoint_name)["EndpointConfigName"])
        trained = buyer.sm.describe_model(ModelName=hosted["ProductionVariants"][0]["ModelName"])
        assert trained["EnableNetworkIsolation"] is True
        [container] = trained["Containers"]  # the SDK's ModelPackage writes Containers
        made = buyer.sm.describe_model_package(ModelPackageName=container["ModelPackageName"])
        assert made["SourceAlgorithmSpecification"]["SourceAlgorithms"][0]["AlgorithmName"] == algorithm_product[1]
        assert made["ModelPackageStatus"] == "Completed"
        predictor.delete_endpoint()
        t2 = est.transformer(instance_count=1, instance_type="ml.m5.large",
                             output_path=f"s3://{buyer.bucket}/sdk-algo-out/", assemble_with="Line")
        t2.transform(f"s3://{buyer.bucket}/batch/", content_type="text/csv", split_type="Line", logs=False, wait=True)
        out = buyer.s3.get_object(Bucket=buyer.bucket, Key="sdk-algo-out/q.csv.out")["Body"].read().split()
        assert len(out) == 3
