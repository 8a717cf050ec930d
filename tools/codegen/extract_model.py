#!/usr/bin/env python3
"""Extract the service-model subsets Slipway implements (SageMaker, CloudWatch Logs, ECR, STS, IAM, Marketplace).

Why: Slipway checks request bodies exactly as AWS does (required members,
lengths, patterns, enums, ranges). The rules come from the botocore service
model rather than hand-written code, so this script copies the relevant part
of that model into the `slipway-botocore` crate, which embeds it at compile time.

Re-run (from the workspace root) after bumping botocore or changing the
operation list:

    /opt/slipway-venv/bin/python tools/codegen/extract_model.py
    /opt/slipway-venv/bin/python tools/codegen/extract_model.py CreateModel DescribeModel ...
    /opt/slipway-venv/bin/python tools/codegen/extract_model.py --out /tmp/x.json
    /opt/slipway-venv/bin/python tools/codegen/extract_model.py --service logs

    /opt/slipway-venv/bin/python tools/codegen/extract_model.py --service ecr
    /opt/slipway-venv/bin/python tools/codegen/extract_model.py --service sts
    /opt/slipway-venv/bin/python tools/codegen/extract_model.py --service iam
    /opt/slipway-venv/bin/python tools/codegen/extract_model.py --service marketplace-agreement
    /opt/slipway-venv/bin/python tools/codegen/extract_model.py --service cloudwatch

With no operation names, the service's default list in SERVICES below is
used. The output is `crates/slipway-botocore/src/<service>/service-model.json`
(`sagemaker` by default) and is deterministic:
object keys are sorted, except inside a structure's `members`, which keep the
model's order (the checker reports violations in that order, as AWS does).
Then run `cargo test -p slipway-botocore`: it fails if a pattern no longer
compiles or an operation the tests name has gone.
"""

import argparse
import json
import os
import sys

import botocore
import botocore.loaders

SAGEMAKER_OPERATIONS = """
CreateModelPackage DescribeModelPackage ListModelPackages UpdateModelPackage DeleteModelPackage
CreateModelPackageGroup DescribeModelPackageGroup ListModelPackageGroups DeleteModelPackageGroup
CreateAlgorithm DescribeAlgorithm ListAlgorithms DeleteAlgorithm
AddTags ListTags DeleteTags
CreateTrainingJob DescribeTrainingJob ListTrainingJobs StopTrainingJob DeleteTrainingJob
CreateModel DescribeModel ListModels DeleteModel
CreateTransformJob DescribeTransformJob ListTransformJobs StopTransformJob
CreateEndpointConfig DescribeEndpointConfig DeleteEndpointConfig ListEndpointConfigs
CreateEndpoint DescribeEndpoint DeleteEndpoint ListEndpoints
UpdateEndpoint UpdateEndpointWeightsAndCapacities
CreateHyperParameterTuningJob DescribeHyperParameterTuningJob ListHyperParameterTuningJobs
StopHyperParameterTuningJob DeleteHyperParameterTuningJob ListTrainingJobsForHyperParameterTuningJob
""".split()

# The CloudWatch Logs operations the job-log API serves (docs/services.md "CloudWatch Logs").
LOGS_OPERATIONS = """
CreateLogGroup CreateLogStream DeleteLogGroup PutLogEvents
DescribeLogGroups DescribeLogStreams GetLogEvents FilterLogEvents
""".split()

# service -> (botocore model name, API version, default operations)
# The ECR API Slipway serves beside its registry (`aws ecr get-login-password`,
# repository and image management, tag mutability).
ECR_OPERATIONS = """
GetAuthorizationToken CreateRepository DescribeRepositories DeleteRepository
DescribeImages ListImages BatchGetImage BatchDeleteImage BatchCheckLayerAvailability
PutImageTagMutability PutImageScanningConfiguration PutImage
StartImageScan DescribeImageScanFindings
""".split()

# STS and IAM (query protocol): what the SDKs and the seller's console
# flow call (caller identity, temporary credentials, execution roles).
STS_OPERATIONS = "GetCallerIdentity GetSessionToken AssumeRole".split()
IAM_OPERATIONS = """
CreateRole GetRole ListRoles DeleteRole
AttachRolePolicy DetachRolePolicy ListAttachedRolePolicies SimulatePrincipalPolicy
""".split()

# The SageMaker runtime (rest-json): calling an endpoint. Its members carry
# their HTTP location (header, URI, payload), which the runtime's edge
# reads (docs/contracts.md §1.8).
RUNTIME_OPERATIONS = """
InvokeEndpoint InvokeEndpointWithResponseStream InvokeEndpointAsync
""".split()

# The AWS Marketplace Catalog API (rest-json, signed for `aws-marketplace`):
# publishing machine-learning products (docs/marketplace.md).
CATALOG_OPERATIONS = """
StartChangeSet DescribeChangeSet ListChangeSets CancelChangeSet
DescribeEntity ListEntities BatchDescribeEntities
TagResource UntagResource ListTagsForResource
""".split()

# The AWS Marketplace Agreement API's read side (smithy-rpc-v2-cbor or AWS
# JSON 1.0, signed for `aws-marketplace`): who subscribes to what
# (docs/marketplace.md "Agreements").
AGREEMENT_OPERATIONS = "SearchAgreements DescribeAgreement GetAgreementTerms".split()

# CloudWatch metrics (smithy-rpc-v2-cbor, AWS JSON 1.0 or query, signed for
# `monitoring`): training-job metrics as TrainingJobAnalytics reads them
# (docs/services.md "CloudWatch metrics").
CLOUDWATCH_OPERATIONS = "GetMetricStatistics GetMetricData ListMetrics".split()

# service -> (botocore model name, API version, default operations)
SERVICES = {
    "cloudwatch": ("cloudwatch", "2010-08-01", CLOUDWATCH_OPERATIONS),
    "marketplace-agreement": ("marketplace-agreement", "2020-03-01", AGREEMENT_OPERATIONS),
    "marketplace-catalog": ("marketplace-catalog", "2018-09-17", CATALOG_OPERATIONS),
    "sagemaker-runtime": ("sagemaker-runtime", "2017-05-13", RUNTIME_OPERATIONS),
    "sagemaker": ("sagemaker", "2017-07-24", SAGEMAKER_OPERATIONS),
    "logs": ("logs", "2014-03-28", LOGS_OPERATIONS),
    "ecr": ("ecr", "2015-09-21", ECR_OPERATIONS),
    "sts": ("sts", "2011-06-15", STS_OPERATIONS),
    "iam": ("iam", "2010-05-08", IAM_OPERATIONS),
}

# Shape-level keys kept; everything else (documentation, box, ...) is dropped.
SHAPE_KEYS = (
    "type", "members", "required", "min", "max", "pattern", "enum",
    "sensitive", "member", "key", "value", "union", "exception", "document",
)
# Kept only for rest-json services (the runtime), whose members travel in
# headers, the URI or the body: which member is the body, event streams,
# an error's HTTP status, and where each member goes.
REST_SHAPE_KEYS = ("payload", "eventstream", "error")
REST_REF_KEYS = ("location", "locationName", "eventpayload")
# Member-reference keys kept (documentation and deprecation notes dropped).
REF_KEYS = ("shape", "jsonvalue", "idempotencyToken")
# Operation keys kept.
OP_KEYS = ("name", "input", "output", "errors")
# Kept only for rest-json services: the method and path an operation answers.
REST_OP_KEYS = ("http",)

# Corrections to a botocore model where it contradicts the service's own
# documented requests: service -> shape -> key -> value. botocore does not
# check patterns client-side, so a wrong one never shows there, but Slipway
# checks every pattern. The Catalog's `EntityType` pattern `^[a-zA-Z]+$`
# would refuse `MachineLearningProduct@1.0`, which every change set names
# (Change.Entity.Type, "Working with machine learning products"); its
# `ChangeName` (`^[a-zA-Z]$`: one letter) would refuse the documented
# `CreateProductChange`; its `Identifier` would refuse the documented
# `$CreateProductChange.Entity.Identifier` references.
OVERRIDES = {
    "marketplace-catalog": {
        "EntityType": {"pattern": "^[a-zA-Z]+(@[0-9]+\\.[0-9]+)?$"},
        "ChangeName": {"pattern": "^[a-zA-Z0-9]+$"},
        "Identifier": {"pattern": "^[\\w\\-@]+$|^\\$[a-zA-Z0-9]+\\.Entity\\.Identifier$"},
    },
}


def default_out(service):
    return os.path.join(
        os.path.dirname(os.path.abspath(__file__)),
        "..", "..", "crates", "slipway-botocore", "src", service, "service-model.json",
    )


def sort_dict(value):
    """Recursively sorted dicts, so the output never depends on model order."""
    if isinstance(value, dict):
        return {k: sort_dict(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [sort_dict(v) for v in value]
    return value


# Set by main() for a rest-json service.
REST = False


def trim_ref(ref):
    keys = REF_KEYS + (REST_REF_KEYS if REST else ())
    return sort_dict({k: ref[k] for k in keys if k in ref})


def trim_shape(shape):
    out = {}
    for key in sorted(SHAPE_KEYS + (REST_SHAPE_KEYS if REST else ())):
        if key not in shape:
            continue
        if key == "members":
            # Model order on purpose: it is the order violations are reported in.
            out[key] = {name: trim_ref(ref) for name, ref in shape[key].items()}
        elif key in ("member", "key", "value"):
            out[key] = trim_ref(shape[key])
        else:
            out[key] = shape[key]
    return out


def referenced(shape):
    """Names of the shapes one shape refers to directly."""
    refs = [ref["shape"] for ref in shape.get("members", {}).values()]
    refs += [shape[k]["shape"] for k in ("member", "key", "value") if k in shape]
    return refs


def extract(model, op_names, source):
    missing = [op for op in op_names if op not in model["operations"]]
    if missing:
        sys.exit(f"unknown operation(s) in botocore {botocore.__version__}: {' '.join(missing)}")

    operations = {}
    todo = []
    for op_name in op_names:
        op = model["operations"][op_name]
        keys = OP_KEYS + (REST_OP_KEYS if REST else ())
        operations[op_name] = sort_dict({k: op[k] for k in keys if k in op})
        todo += [op[k]["shape"] for k in ("input", "output") if k in op]
        # Error shapes too, so every name in the file resolves.
        todo += [err["shape"] for err in op.get("errors", [])]

    shapes = {}
    while todo:
        name = todo.pop()
        if name in shapes:
            continue
        shape = model["shapes"][name]
        shapes[name] = trim_shape(shape)
        todo += referenced(shape)

    metadata = sort_dict(dict(model["metadata"]))
    metadata["slipwayExtract"] = {
        "botocoreVersion": botocore.__version__,
        "source": source,
        "generator": "tools/codegen/extract_model.py",
    }
    return {
        "metadata": sort_dict(metadata),
        "operations": {k: operations[k] for k in sorted(operations)},
        "shapes": {k: shapes[k] for k in sorted(shapes)},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("operations", nargs="*", help="operation names (default: the built-in list)")
    parser.add_argument("--service", default="sagemaker", choices=sorted(SERVICES), help="which service")
    parser.add_argument("--out", default=None, help="output path")
    args = parser.parse_args()

    name, version, default_ops = SERVICES[args.service]
    out = args.out or default_out(args.service)
    # The loader reads service-2.json or service-2.json.gz, whichever ships.
    model = botocore.loaders.Loader().load_service_model(name, "service-2", version)
    global REST
    REST = model["metadata"].get("protocol") == "rest-json"
    for shape, keys in OVERRIDES.get(args.service, {}).items():
        model["shapes"][shape].update(keys)
    source = f"botocore/data/{name}/{version}/service-2.json"
    subset = extract(model, args.operations or default_ops, source)

    text = json.dumps(subset, indent=1, ensure_ascii=False) + "\n"
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    print(
        f"wrote {os.path.normpath(out)}: {len(subset['operations'])} operations, "
        f"{len(subset['shapes'])} shapes, botocore {botocore.__version__}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
