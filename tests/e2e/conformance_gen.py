"""Generates constraint-violating inputs from botocore's own SageMaker
service model, one broken constraint of one member at a time.

Used by test_conformance.py. A mutation is a path into the input (dict keys
and list indices), what to do there (remove it / set a value), the wire
paths AWS would name in its message, and the constraint phrase expected.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

import botocore.session
import regex

SERVICE = botocore.session.get_session().get_service_model("sagemaker")

# Candidate values tried, in order, to violate a regular-expression pattern.
PATTERN_BREAKERS = [
    "!!invalid value!!",
    "inv@lid#",
    "a b",
    "abc",
    "-",
    "a-",
    " ",
    "\n",
    "x\ny",
    "\u0001",
    "\u0001\u0002\u0003",
    "!",
    "1234567890",
]


@dataclass
class Mutation:
    op: str
    variant: str
    path: tuple  # keys / 0-based indices into the input document
    kind: str
    action: str  # "remove" | "set"
    value: Any = None
    wire_path: str = ""  # the path AWS names, lowerCamelCase, 1-based .member
    prefix_ok: bool = False  # element-level violation reported at the list/map itself
    phrase: str = ""  # constraint phrase that must appear in the message
    extra: dict = field(default_factory=dict)

    @property
    def test_id(self) -> str:
        v = f"-{self.variant}" if self.variant else ""
        return f"{self.op}{v}-{self.wire_path}-{self.kind}"

    def apply(self, doc: dict) -> dict:
        doc = copy.deepcopy(doc)
        parent = doc
        for key in self.path[:-1]:
            parent = parent[key]
        last = self.path[-1]
        if self.action == "remove":
            del parent[last]
        else:
            parent[last] = copy.deepcopy(self.value)
        return doc

    def expected_regex(self) -> str:
        p = re.escape(self.wire_path)
        if self.prefix_ok:
            return rf"at '{p}(\.[^']*)?'"
        return rf"at '{p}'"


def lower_camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def pattern_of(shape) -> str | None:
    return shape.metadata.get("pattern")


def matches(pattern: str, value: str) -> bool:
    return regex.fullmatch(pattern, value) is not None


def violating_pattern_value(shape) -> str | None:
    pat = pattern_of(shape)
    lo = shape.metadata.get("min", 0)
    hi = shape.metadata.get("max", 10**9)
    failing = [c for c in PATTERN_BREAKERS if not matches(pat, c)]
    for c in failing:
        if lo <= len(c) <= hi:
            return c
    return failing[0] if failing else None


def too_long_value(shape, current: str | None) -> str:
    """One character over the maximum, still matching the pattern if possible."""
    hi = shape.metadata["max"]
    pat = pattern_of(shape)
    base = (current or "")[:hi]
    for filler in ("a", "1", "x", "A"):
        cand = base + filler * (hi + 1 - len(base))
        if pat is None or matches(pat, cand):
            return cand
    return "a" * (hi + 1)


def too_short_value(shape, current: str | None) -> str:
    lo = shape.metadata["min"]
    base = current or ""
    return (base + "a" * lo)[: lo - 1]


class Generator:
    def __init__(self, op: str, variant: str = ""):
        self.op, self.variant = op, variant
        self.mutations: list[Mutation] = []
        self.skipped: list[str] = []

    def add(self, **kw) -> None:
        self.mutations.append(Mutation(op=self.op, variant=self.variant, **kw))

    # -- walking --------------------------------------------------------------
    def structure(self, shape, value: dict, path: tuple, wire: str, top: bool, only: set[str] | None) -> None:
        for name, mshape in shape.members.items():
            if top and only is not None and name not in only:
                continue
            mpath = path + (name,)
            mwire = f"{wire}.{lower_camel(name)}" if wire else lower_camel(name)
            if name in value and value[name] is not None:
                if name in shape.required_members:
                    self.add(path=mpath, kind="required", action="remove", wire_path=mwire,
                             phrase="Member must not be null")
                self.member(mshape, value[name], mpath, mwire, top=top, only=only)
            elif top and mshape.type_name in ("string", "integer", "long"):
                # optional top-level scalar the baseline leaves out: add it, broken
                self.scalar(mshape, None, mpath, mwire, prefix_ok=False)

    def member(self, shape, value: Any, path: tuple, wire: str, top: bool = False, only=None) -> None:
        t = shape.type_name
        if t == "structure":
            self.structure(shape, value, path, wire, top=False, only=None)
        elif t == "list":
            self.list_(shape, value, path, wire)
        elif t == "map":
            self.map_(shape, value, path, wire)
        elif t in ("string", "integer", "long"):
            self.scalar(shape, value, path, wire, prefix_ok=False)
        # boolean, timestamp, blob, double: no constraints in these operations

    def scalar(self, shape, value: Any, path: tuple, wire: str, prefix_ok: bool, kind_prefix: str = "") -> None:
        md = shape.metadata
        k = kind_prefix
        if shape.type_name == "string":
            if shape.enum:
                self.add(path=path, kind=k + "enum", action="set", value="NotAnEnumValue", wire_path=wire,
                         prefix_ok=prefix_ok, phrase="Member must satisfy enum value set")
            if md.get("min", 0) > 0:
                self.add(path=path, kind=k + "too-short", action="set", value=too_short_value(shape, value),
                         wire_path=wire, prefix_ok=prefix_ok,
                         phrase=f"Member must have length greater than or equal to {md['min']}")
            if "max" in md:
                self.add(path=path, kind=k + "too-long", action="set", value=too_long_value(shape, value),
                         wire_path=wire, prefix_ok=prefix_ok,
                         phrase=f"Member must have length less than or equal to {md['max']}")
            if pattern_of(shape):
                bad = violating_pattern_value(shape)
                if bad is None:
                    self.skipped.append(f"{wire}: pattern {pattern_of(shape)!r} admits every value")
                else:
                    self.add(path=path, kind=k + "pattern", action="set", value=bad, wire_path=wire,
                             prefix_ok=prefix_ok, phrase="Member must satisfy regular expression pattern")
        else:  # integer / long
            if "min" in md:
                self.add(path=path, kind=k + "below-min", action="set", value=md["min"] - 1, wire_path=wire,
                         prefix_ok=prefix_ok, phrase=f"Member must have value greater than or equal to {md['min']}")
            if "max" in md:
                self.add(path=path, kind=k + "above-max", action="set", value=md["max"] + 1, wire_path=wire,
                         prefix_ok=prefix_ok, phrase=f"Member must have value less than or equal to {md['max']}")

    def list_(self, shape, value: list, path: tuple, wire: str) -> None:
        md = shape.metadata
        if md.get("min", 0) > 0:
            self.add(path=path, kind="too-few", action="set", value=value[: md["min"] - 1], wire_path=wire,
                     phrase=f"Member must have length greater than or equal to {md['min']}")
        if "max" in md and value:
            longer = [copy.deepcopy(value[i % len(value)]) for i in range(md["max"] + 1)]
            self.add(path=path, kind="too-many", action="set", value=longer, wire_path=wire,
                     phrase=f"Member must have length less than or equal to {md['max']}")
        if not value:
            return
        el = shape.member
        if el.type_name == "structure":
            self.structure(el, value[0], path + (0,), f"{wire}.1.member", top=False, only=None)
        elif el.type_name in ("string", "integer", "long"):
            # AWS reports element violations of scalar lists at the list itself
            self.scalar(el, value[0], path + (0,), wire, prefix_ok=True, kind_prefix="element-")
        elif el.type_name in ("list", "map"):
            self.member(el, value[0], path + (0,), f"{wire}.1.member")

    def map_(self, shape, value: dict, path: tuple, wire: str) -> None:
        md = shape.metadata
        if md.get("min", 0) > 0:
            self.add(path=path, kind="too-few-entries", action="set", value={}, wire_path=wire,
                     phrase=f"Member must have length greater than or equal to {md['min']}")
        if "max" in md:
            bigger = dict(value)
            i = 0
            while len(bigger) < md["max"] + 1:
                bigger[f"K{i}"] = "v"
                i += 1
            self.add(path=path, kind="too-many-entries", action="set", value=bigger, wire_path=wire,
                     phrase=f"Member must have length less than or equal to {md['max']}")
        if not value:
            return
        first_key = next(iter(value))
        # value violations: set the first entry's value
        vgen = Generator(self.op, self.variant)
        vgen.scalar(shape.value, value[first_key], ("__value__",), wire, prefix_ok=True, kind_prefix="map-value-")
        for m in vgen.mutations:
            self.add(path=path, kind=m.kind, action="set", value={**value, first_key: m.value}, wire_path=wire,
                     prefix_ok=True, phrase=m.phrase)
        self.skipped += vgen.skipped
        # key violations: replace the first key
        kgen = Generator(self.op, self.variant)
        kgen.scalar(shape.key, first_key, ("__key__",), wire, prefix_ok=True, kind_prefix="map-key-")
        for m in kgen.mutations:
            if not isinstance(m.value, str):
                continue
            rebuilt = {(m.value if k == first_key else k): v for k, v in value.items()}
            self.add(path=path, kind=m.kind, action="set", value=rebuilt, wire_path=wire, prefix_ok=True,
                     phrase=m.phrase)
        self.skipped += kgen.skipped


def generate(op: str, baseline: dict, variant: str = "", only: set[str] | None = None) -> tuple[list[Mutation], list[str]]:
    gen = Generator(op, variant)
    gen.structure(SERVICE.operation_model(op).input_shape, baseline, (), "", top=True, only=only)
    # unique test ids
    seen: dict[str, int] = {}
    for m in gen.mutations:
        tid = m.test_id
        if tid in seen:
            seen[tid] += 1
            m.kind = f"{m.kind}-{seen[tid]}"
        else:
            seen[tid] = 1
    return gen.mutations, gen.skipped
