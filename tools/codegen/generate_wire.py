#!/usr/bin/env python3
"""Generate the JSON wire layer of SageMaker, CloudWatch Logs and ECR from the service models.

Why: the operation list, the request and response shapes and the dispatch
of the three AWS JSON 1.1 APIs are facts of the botocore model. Keeping them
by hand drifted (three copies of each operation list); generating them from
the model subsets `tools/codegen/extract_model.py` already checks into
`crates/slipway-botocore/src/<service>/service-model.json` keeps one source.

Input:  crates/slipway-botocore/src/{sagemaker,logs,ecr}/service-model.json
Output: crates/slipway-wire/src/generated/{mod.rs,sagemaker.rs,logs.rs}
        crates/slipway-wire-registry/src/generated/{mod.rs,ecr.rs}
Each service's shapes go to the crate whose handlers implement its trait
(SERVICES below): the handlers convert shapes into the control plane's
specs with `From`/`TryFrom`, which Rust allows only in the crate that
defines the shape or the spec. The generated code uses `Cx`, `AwsError`
and the `json` helpers of `slipway-wire-core`.

Per service the output holds:
  - `Operation`: one variant per operation of the model subset, `ALL`,
    `name()` and `parse()`;
  - one serde struct per structure reachable from an operation's input or
    output (members renamed to the model's names; members the model does not
    mark required are `Option` and left out when `None`; unknown members are
    ignored on decode, as AWS ignores them; recursive members are boxed);
  - a dispatch trait (`SageMakerApi`, `LogsApi`, `EcrApi`) with one method
    per operation, taking the request context and the typed request; each
    method defaults to AWS's "not implemented" answer, so an operation added
    to the model subset is routed but refused until a handler implements it;
  - `dispatch()`: decodes an already shape-checked body into the typed
    request, calls the trait method and encodes its output.

Operations whose answer is a stored document echoed back (the SageMaker
Describe* operations, see ECHO below) return `serde_json::Value` instead of
the typed output, because the echo keeps exactly the members the creator
sent.

Run from the workspace root (standard library only, so CI needs no venv):

    python3 tools/codegen/generate_wire.py            # rewrite the files
    python3 tools/codegen/generate_wire.py --out DIR  # DIR/<crate>/ instead (CI check)

The output is deterministic and piped through `rustfmt --edition 2021`.
`scripts/check-generated.sh` regenerates into a temporary directory and
fails if the checked-in files differ, so never edit them by hand.

How to add an operation: add it to extract_model.py's list and re-run it,
re-run this script, then implement the new trait method in the protocol's
handler (docs/architecture.md "Adding an operation").
"""

import argparse
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL_DIR = os.path.join(ROOT, "crates", "slipway-botocore", "src")
CRATES_DIR = os.path.join(ROOT, "crates")

# service -> (trait name, API label in the "not implemented" message, the
# crate whose `src/generated/` holds it: the one implementing the trait)
SERVICES = {
    "sagemaker": ("SageMakerApi", "SageMaker", "slipway-wire"),
    "logs": ("LogsApi", "CloudWatch Logs", "slipway-wire"),
    "ecr": ("EcrApi", "ECR", "slipway-wire-registry"),
    # rest-json: the edge (slipway-wire/src/catalog/) gathers query-string
    # and body members into one JSON object before `dispatch`.
    "marketplace-catalog": ("CatalogApi", "AWS Marketplace Catalog", "slipway-wire"),
    # smithy-rpc-v2-cbor or AWS JSON 1.0: the edge (slipway-wire/src/agreement/)
    # turns a CBOR body into JSON before `dispatch`, and the answer back.
    "marketplace-agreement": ("AgreementApi", "AWS Marketplace Agreement", "slipway-wire"),
    # smithy-rpc-v2-cbor, AWS JSON 1.0 or query: the edge
    # (slipway-wire/src/monitoring/) turns each into JSON before `dispatch`.
    "cloudwatch": ("CloudWatchApi", "CloudWatch", "slipway-wire"),
}

# Operations answering a stored document merged with computed members; the
# typed output cannot carry members it does not know, so these answer JSON.
ECHO = {
    "sagemaker": {
        "DescribeAlgorithm",
        "DescribeEndpointConfig",
        "DescribeHyperParameterTuningJob",
        "DescribeModel",
        "DescribeModelPackage",
        "DescribeTrainingJob",
        "DescribeTransformJob",
    },
    "logs": set(),
    "ecr": set(),
    "marketplace-catalog": set(),
    "marketplace-agreement": set(),
    "cloudwatch": set(),
}

RUST_KEYWORDS = {
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum",
    "extern", "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move",
    "mut", "pub", "ref", "return", "self", "static", "struct", "super", "trait", "true",
    "type", "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final",
    "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
}
# Names a generated struct must not take (they are used unqualified below).
RESERVED_TYPES = {"Operation", "String", "Vec", "Option", "Box", "BTreeMap", "Value", "Result",
                  "AwsError", "Reply", "Cx"}

SCALARS = {
    "string": "String",
    "integer": "i64",
    "long": "i64",
    "boolean": "bool",
    "float": "f64",
    "double": "f64",
    "timestamp": "f64",
    "blob": "String",
    "document": "serde_json::Value",
}


def module(key):
    """The Rust module (and file) name of a service key: `marketplace-catalog` -> `marketplace_catalog`."""
    return key.replace("-", "_")


def is_document(shape):
    """A botocore document: any JSON value (e.g. the Catalog's `DetailsDocument`)."""
    return shape["type"] == "structure" and shape.get("document", False)


def snake(name):
    """`ModelPackageGroupArn` -> `model_package_group_arn`, `S3Uri` -> `s3_uri`."""
    out = []
    for i, c in enumerate(name):
        if c.isupper() and i > 0:
            prev = name[i - 1]
            nxt = name[i + 1] if i + 1 < len(name) else ""
            if prev.islower() or prev.isdigit() or (prev.isupper() and nxt.islower()):
                out.append("_")
        out.append(c.lower())
    return "".join(out)


def ident(name):
    s = snake(name)
    return "r#" + s if s in RUST_KEYWORDS else s


class Service:
    def __init__(self, key, model):
        self.key = key
        self.model = model
        self.shapes = model["shapes"]
        self.trait, self.label, _ = SERVICES[key]
        self.ops = sorted(model["operations"].items())

    def shape(self, name):
        return self.shapes[name]

    def reachable(self):
        """Structure names reachable from the operations' inputs and outputs."""
        seen = set()
        stack = []
        for _, op in self.ops:
            for io in ("input", "output"):
                if io in op:
                    stack.append(op[io]["shape"])
        while stack:
            name = stack.pop()
            sh = self.shape(name)
            t = sh["type"]
            if is_document(sh):
                continue
            if t == "structure":
                if name in seen:
                    continue
                seen.add(name)
                for m in sh.get("members", {}).values():
                    stack.append(m["shape"])
            elif t == "list":
                stack.append(sh["member"]["shape"])
            elif t == "map":
                stack.append(sh["key"]["shape"])
                stack.append(sh["value"]["shape"])
        return sorted(seen)

    def direct(self, name):
        """Structures held inline (not behind a Vec or map) by structure `name`."""
        return [m["shape"] for m in self.shape(name).get("members", {}).values()
                if self.shape(m["shape"])["type"] == "structure"
                and not is_document(self.shape(m["shape"]))]

    def reaches(self, start, goal):
        seen, stack = set(), [start]
        while stack:
            n = stack.pop()
            if n == goal:
                return True
            if n in seen:
                continue
            seen.add(n)
            stack.extend(self.direct(n))
        return False

    def rust_type(self, name):
        sh = self.shape(name)
        t = sh["type"]
        if is_document(sh):
            return SCALARS["document"]
        if t == "structure":
            return name
        if t == "list":
            return "Vec<%s>" % self.rust_type(sh["member"]["shape"])
        if t == "map":
            return "BTreeMap<String, %s>" % self.rust_type(sh["value"]["shape"])
        if t not in SCALARS:
            sys.exit("generate_wire: shape %s has unsupported type %s" % (name, t))
        return SCALARS[t]

    def field(self, owner, member, ref, required):
        target = ref["shape"]
        t = self.shape(target)["type"]
        ty = self.rust_type(target)
        if t == "structure" and not is_document(self.shape(target)) and self.reaches(target, owner):
            ty = "Box<%s>" % ty
        attrs = ['rename = "%s"' % member]
        # Lenient where the shape check is: integers may arrive as `5.0`,
        # timestamps as ISO-8601 text (docs/contracts.md "JSON protocol").
        lenient = {"integer": "int", "long": "int", "timestamp": "timestamp"}.get(t)
        if required:
            if lenient:
                attrs.append('deserialize_with = "slipway_wire_core::json::de::%s"' % lenient)
        else:
            ty = "Option<%s>" % ty
            attrs.append('default')
            attrs.append('skip_serializing_if = "Option::is_none"')
            if lenient:
                attrs.append('deserialize_with = "slipway_wire_core::json::de::opt_%s"' % lenient)
        # One attribute per concern keeps each on one line after rustfmt.
        lines = ['    #[serde(%s)]\n' % attrs[0]]
        if len(attrs) > 1:
            lines.append('    #[serde(%s)]\n' % ", ".join(attrs[1:]))
        return "".join(lines) + "    pub %s: %s,\n" % (ident(member), ty)

    def structs(self):
        out = []
        for name in self.reachable():
            if name in RESERVED_TYPES:
                sys.exit("generate_wire: structure %s clashes with a reserved name" % name)
            sh = self.shape(name)
            members = sh.get("members", {})
            required = set(sh.get("required", []))
            fields = [ident(m) for m in members]
            if len(set(fields)) != len(fields):
                sys.exit("generate_wire: two members of %s map to one field name" % name)
            out.append("/// `%s`.\n" % name)
            out.append("#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]\n")
            out.append("pub struct %s {\n" % name)
            for member, ref in members.items():
                out.append(self.field(name, member, ref, member in required))
            out.append("}\n\n")
        return "".join(out)

    def operation_enum(self):
        names = [n for n, _ in self.ops]
        out = ["/// The operations of the model subset, parsed from `X-Amz-Target`.\n",
               "#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]\n",
               "pub enum Operation {\n"]
        out += ["    %s,\n" % n for n in names]
        out.append("}\n\nimpl Operation {\n")
        out.append("    pub const ALL: [Operation; %d] = [%s];\n\n"
                   % (len(names), ", ".join("Self::%s" % n for n in names)))
        out.append("    pub fn name(self) -> &'static str {\n        match self {\n")
        out += ['            Self::%s => "%s",\n' % (n, n) for n in names]
        out.append("        }\n    }\n\n")
        out.append("    pub fn parse(name: &str) -> Option<Self> {\n        match name {\n")
        out += ['            "%s" => Some(Self::%s),\n' % (n, n) for n in names]
        out.append("            _ => None,\n        }\n    }\n}\n\n")
        return "".join(out)

    def output_type(self, name, op):
        if name in ECHO[self.key]:
            return "Value"
        if "output" in op:
            return op["output"]["shape"]
        return "()"

    def trait_def(self):
        out = ["/// One method per operation. Each defaults to AWS's \"not implemented\"\n",
               "/// answer; the wire handlers override the operations Slipway serves.\n",
               "pub trait %s: Sync {\n" % self.trait]
        for name, op in self.ops:
            inp = op["input"]["shape"]
            ret = self.output_type(name, op)
            out.append("    /// `%s`.\n" % name)
            out.append("    fn %s(&self, cx: &Cx<'_>, input: %s) -> impl Future<Output = Result<%s, AwsError>> + Send {\n"
                       % (ident(name), inp, ret))
            out.append("        let _ = (cx, input);\n")
            out.append('        async { Err(AwsError::not_implemented(API, "%s")) }\n' % name)
            out.append("    }\n\n")
        out.append("}\n\n")
        return "".join(out)

    def dispatch(self):
        out = ["/// Decodes `input` (already checked against the model) into the typed\n",
               "/// request of `op`, runs it on `api` and encodes the answer.\n",
               "pub async fn dispatch<A: %s>(api: &A, cx: &Cx<'_>, op: Operation, input: Value) -> Result<Reply, AwsError> {\n" % self.trait,
               "    match op {\n"]
        for name, op in self.ops:
            ret = self.output_type(name, op)
            call = "api.%s(cx, decode(input)?).await?" % ident(name)
            if ret == "Value":
                enc = "Ok(Reply::Value(%s))" % call
            elif ret == "()":
                enc = "{ %s; Ok(Reply::Value(Value::Object(Default::default()))) }" % call
            else:
                enc = "encode(&%s)" % call
            out.append("        Operation::%s => %s,\n" % (name, enc))
        out.append("    }\n}\n")
        return "".join(out)

    def render(self):
        meta = self.model["metadata"]
        head = ("// @generated by tools/codegen/generate_wire.py from "
                "crates/slipway-botocore/src/%s/service-model.json; do not edit by hand.\n"
                "//! The %s JSON wire layer (`%s.<Op>`, API %s): operations, shapes and dispatch.\n\n"
                % (self.key, meta.get("serviceFullName", self.label),
                   meta.get("targetPrefix", "rest-json, signed for " + meta.get("signingName", self.key)),
                   meta["apiVersion"]))
        uses = ("#![allow(dead_code, clippy::all)]\n\n"
                "use slipway_wire_core::context::Cx;\n"
                "use slipway_wire_core::error::AwsError;\n"
                "use slipway_wire_core::json::{decode, encode, Reply};\n"
                "use serde::{Deserialize, Serialize};\n"
                "use serde_json::Value;\n"
                "%s"
                "use std::future::Future;\n\n"
                "/// The API's name in the \"not implemented\" answer.\n"
                "const API: &str = \"%s\";\n\n")
        body = self.operation_enum() + self.trait_def() + self.dispatch() + "\n" + self.structs()
        # Only a model with maps needs BTreeMap (an unused import warns).
        maps = "use std::collections::BTreeMap;\n" if "BTreeMap<" in body else ""
        return head + uses % (maps, self.label) + body


def rustfmt(text):
    r = subprocess.run(["rustfmt", "--edition", "2021", "--emit", "stdout"],
                       input=text.encode(), capture_output=True, cwd=ROOT)
    if r.returncode != 0:
        sys.exit("generate_wire: rustfmt failed:\n" + r.stderr.decode())
    return r.stdout.decode()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", help="write each crate's generated/ directory to OUT/<crate>/ "
                   "instead of crates/<crate>/src/generated/")
    args = p.parse_args()
    by_crate = {}
    for key, (_, _, crate) in SERVICES.items():
        by_crate.setdefault(crate, []).append(key)
    for crate, keys in sorted(by_crate.items()):
        out = (os.path.join(args.out, crate) if args.out
               else os.path.join(CRATES_DIR, crate, "src", "generated"))
        os.makedirs(out, exist_ok=True)
        files = {}
        for key in keys:
            with open(os.path.join(MODEL_DIR, key, "service-model.json")) as f:
                model = json.load(f)
            files[module(key) + ".rs"] = rustfmt(Service(key, model).render())
        models = keys[0] if len(keys) == 1 else "{%s}" % ",".join(keys)
        mod = ("// @generated by tools/codegen/generate_wire.py from "
               "crates/slipway-botocore/src/%s/service-model.json; do not edit by hand.\n"
               "//! Wire types and dispatch generated from the botocore model subsets\n"
               "//! (docs/architecture.md \"Adding an operation\").\n\n" % models
               + "".join("pub mod %s;\n" % module(key) for key in sorted(keys)))
        files["mod.rs"] = rustfmt(mod)
        for name, text in sorted(files.items()):
            with open(os.path.join(out, name), "w") as f:
                f.write(text)


if __name__ == "__main__":
    main()
