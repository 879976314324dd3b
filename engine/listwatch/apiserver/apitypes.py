"""Facts of the Kubernetes v1.32 API types: each field's JSON name, protobuf number and type, and
its patch strategy, merge key, list type and map keys.

The table (`spec/api/types.json`) is extracted from kubernetes/api and kubernetes/apimachinery at
v0.32.0 by `.ci/api_facts.py` (which says what it reads); types are named as OpenAPI serves them
(`io.k8s.api.core.v1.PodSpec`). The protobuf codec (`server.protobuf`), the OpenAPI schemas'
`x-kubernetes-*` extensions (`schemas`) and strategic merge patch (`api.strategic_merge`) all
read it, so they agree. Loaded on first use (about 150 KB of JSON) and kept for the process.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from listwatch import paths

META = "io.k8s.apimachinery.pkg.apis.meta.v1"


@dataclass(frozen=True)
class Field:
    """One field of an API type."""

    json: str
    number: int
    #: "opt", "rep" (repeated) or "map" (string keys; `type` is the value's type).
    label: str
    #: A protobuf scalar (`string`, `int32`, `bytes`, ...) or the served name of a message type.
    type: str
    #: A Go embedded struct: its fields are the parent's in JSON.
    inline: bool = False
    #: A Go pointer: a zero value sent is a value, not "unset".
    pointer: bool = False
    #: A Go value without `omitempty`: JSON writes its zero value.
    always: bool = False
    patch_strategy: str = ""
    patch_merge_key: str = ""
    list_type: str = ""
    list_map_keys: tuple[str, ...] = ()
    map_type: str = ""
    #: The Go field's name (`ObjectMeta` for `metadata`), which Go's decoding errors name.
    go: str = ""


@dataclass(frozen=True)
class TypeFacts:
    """The fields of one API type (by protobuf number), and whether the type is a named slice
    carried on the wire as a message with one `items` field (`Verbs`)."""

    name: str
    fields: tuple[Field, ...]
    by_json: Mapping[str, Field] = field(default_factory=dict)
    items: bool = False
    #: The embedded structs, whose fields are this type's in JSON.
    inline: tuple[Field, ...] = ()


@functools.cache
def _table() -> Mapping[str, Any]:
    with open(paths.spec_dir() / "api" / "types.json", encoding="utf-8") as f:
        types: Mapping[str, Any] = json.load(f)["types"]
    return types


@functools.cache
def facts(name: str) -> TypeFacts | None:
    """The facts of the type served as `name`, or None when the table has none (a CRD's kind)."""
    entry = _table().get(name)
    if entry is None:
        return None
    fields = tuple(sorted((_field(row) for row in entry["fields"]), key=lambda f: f.number))
    return TypeFacts(
        name,
        fields,
        {f.json: f for f in fields if not f.inline},
        bool(entry.get("items")),
        tuple(f for f in fields if f.inline),
    )


def _field(row: list[Any]) -> Field:
    extras: Mapping[str, Any] = row[4] if len(row) > 4 else {}
    return Field(
        json=row[0],
        number=row[1],
        label=row[2],
        type=row[3],
        inline=bool(extras.get("inline")),
        pointer=bool(extras.get("pointer")),
        always=bool(extras.get("always")),
        patch_strategy=extras.get("patchStrategy", ""),
        patch_merge_key=extras.get("patchMergeKey", ""),
        list_type=extras.get("listType", ""),
        list_map_keys=tuple(extras.get("listMapKeys", ())),
        map_type=extras.get("mapType", ""),
        go=extras.get("go") or row[0][:1].upper() + row[0][1:],
    )


def names() -> list[str]:
    """Every type the table has, by served name."""
    return list(_table())


def type_name(api_version: str, kind: str) -> str | None:
    """The served name of the type of a kind in an API version (`apps/v1`, `Deployment` ->
    `io.k8s.api.apps.v1.Deployment`); the meta types (Status, APIResourceList, ...) whatever the
    version, as kube-apiserver sends them; None when the table has no such type."""
    group, _, version = api_version.rpartition("/")
    package = group.split(".")[0] if group else "core"
    for name in (f"io.k8s.api.{package}.{version}.{kind}", f"{META}.{kind}"):
        if name in _table():
            return name
    return None


def field_of(type_name: str, json_name: str) -> Field | None:
    """A field of a type by its JSON name, looking into inline (embedded) structs."""
    found = facts(type_name)
    if found is None:
        return None
    direct = found.by_json.get(json_name)
    if direct is not None:
        return direct
    for f in found.fields:
        if f.inline:
            inner = field_of(f.type, json_name)
            if inner is not None:
                return inner
    return None
