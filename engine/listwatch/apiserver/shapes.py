"""The shape of an object at each path, for field ownership (sigs.k8s.io/structured-merge-diff's
typed values): struct, map, list (with its list type and keys) or scalar, and whether atomic.

A path is a tuple of elements `("f", name)` (a field or a map key), `("k", '{"name":"web"}')` (an
item of an associative list, its keys as JSON in name order), `("v", '"x"')` (an item of a set
list) or `("i", 3)`; a field set is a frozenset of paths. The shape comes from the fact table
(`apitypes`: the Go tags' listType, listMapKeys, patch strategy and mapType, plus the types that
v1.32 marks `+structType=atomic`) or, for a custom resource, from its CRD's structural schema
(`x-kubernetes-list-type`, `x-kubernetes-list-map-keys`, `x-kubernetes-map-type`; other lists are
atomic). Values are read as the Go structs they decode into are written back (`filled`), and a
value of the wrong type is named as the API server names it (`problems`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from listwatch.apiserver import apitypes

PathElement = tuple[str, Any]
Path = tuple[PathElement, ...]
FieldSet = frozenset[Path]

META = apitypes.META
#: The Go types that v0.32.0 marks `+structType=atomic` (owned whole, like a scalar).
ATOMIC_STRUCTS = frozenset(
    {
        "io.k8s.api.admissionregistration.v1.MatchResources",
        "io.k8s.api.admissionregistration.v1.NamedRuleWithOperations",
        "io.k8s.api.admissionregistration.v1.ParamKind",
        "io.k8s.api.admissionregistration.v1.ParamRef",
        "io.k8s.api.admissionregistration.v1.Variable",
        "io.k8s.api.autoscaling.v1.CrossVersionObjectReference",
        "io.k8s.api.core.v1.ConfigMapKeySelector",
        "io.k8s.api.core.v1.EndpointAddress",
        "io.k8s.api.core.v1.EndpointPort",
        "io.k8s.api.core.v1.LocalObjectReference",
        "io.k8s.api.core.v1.NodeSelector",
        "io.k8s.api.core.v1.NodeSelectorTerm",
        "io.k8s.api.core.v1.ObjectFieldSelector",
        "io.k8s.api.core.v1.ObjectReference",
        "io.k8s.api.core.v1.ResourceFieldSelector",
        "io.k8s.api.core.v1.ScopeSelector",
        "io.k8s.api.core.v1.SecretKeySelector",
        "io.k8s.api.core.v1.SecretReference",
        "io.k8s.api.core.v1.TopologySelectorTerm",
        "io.k8s.api.core.v1.TypedLocalObjectReference",
        "io.k8s.api.discovery.v1.EndpointPort",
        "io.k8s.api.networking.v1.ServiceBackendPort",
        "io.k8s.api.rbac.v1.RoleRef",
        "io.k8s.api.rbac.v1.Subject",
        f"{META}.LabelSelector",
        f"{META}.OwnerReference",
    }
)
#: Types whose JSON is a scalar (a string or a number), whatever their Go struct.
_SCALAR_TYPES = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": 0,
    "io.k8s.apimachinery.pkg.api.resource.Quantity": "0",
    f"{META}.Time": None,
    f"{META}.MicroTime": None,
    f"{META}.Duration": "0s",
}
#: Types whose JSON is anything (their shape is deduced from the value).
_UNTYPED = {f"{META}.FieldsV1", "io.k8s.apimachinery.pkg.runtime.RawExtension"}
_NUMBERS = {"int32", "int64", "uint32", "uint64", "double", "float", "fixed32", "fixed64"}
_PROTO_SCALARS = {"string": "", "bytes": "", "bool": False} | dict.fromkeys(_NUMBERS, 0)


# -- shapes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """What structured-merge-diff knows of one node: `kind` is "struct" (declared fields), "map"
    (any keys, values of one shape), "list", "scalar" or "untyped" (deduced from the value: maps
    granular, lists atomic). A built-in struct names its type; a custom one carries its schema."""

    kind: str
    atomic: bool = False
    list_type: str = "atomic"
    keys: tuple[str, ...] = ()
    type_name: str = ""
    schema: Mapping[str, Any] | None = None
    #: The shape of a map's values or a list's items.
    element: Shape | None = None
    #: What a scalar holds: "numeric", "string", "boolean" or "" (anything scalar).
    scalar: str = ""
    #: A custom resource's top level, whose metadata is ObjectMeta whatever its schema says.
    root: bool = False

    def field(self, name: str) -> Shape | None:
        """The shape of a struct's field (None: not declared)."""
        if self.kind == "map" or self.kind == "untyped":
            return self.element or UNTYPED
        if self.kind != "struct":
            return None
        if self.schema is not None:
            return _schema_field(self.schema, name, root=self.root)
        found = apitypes.field_of(self.type_name, name)
        if found is None and name in ("apiVersion", "kind"):  # TypeMeta, which has no protobuf
            top = apitypes.field_of(self.type_name, "metadata") is not None
            return Shape("scalar", scalar="string") if top else None
        return _of_field(found) if found is not None else None

    def item(self) -> Shape:
        return self.element or UNTYPED


UNTYPED = Shape("untyped")


def builtin(api_version: str, kind: str) -> Shape:
    """The shape of a built-in kind (untyped when the fact table has no such type)."""
    name = apitypes.type_name(api_version, kind)
    return _of_type(name) if name else UNTYPED


def custom(schema: Mapping[str, Any]) -> Shape:
    """The shape of a custom resource from its version's openAPIV3Schema; `metadata` is always
    ObjectMeta, `apiVersion` and `kind` strings."""
    return Shape("struct", schema=schema, root=True)


@functools.cache
def _of_type(name: str) -> Shape:
    if name in _PROTO_SCALARS:
        return Shape("scalar", scalar=_scalar_class(name))
    if name in _SCALAR_TYPES:
        return Shape("scalar")
    facts = apitypes.facts(name)
    if facts is None or name in _UNTYPED:
        return UNTYPED
    if facts.items:
        return Shape("list", element=UNTYPED)
    return Shape("struct", atomic=name in ATOMIC_STRUCTS, type_name=name)


def _scalar_class(proto: str) -> str:
    if proto in _NUMBERS:
        return "numeric"
    return "boolean" if proto == "bool" else "string"


@functools.cache
def _of_field(f: apitypes.Field) -> Shape:
    element = _of_type(f.type)
    if f.label == "map":
        return Shape("map", atomic=f.map_type == "atomic", element=element)
    if f.label != "rep":
        return element
    list_type = f.list_type
    if not list_type:
        merging = "merge" in f.patch_strategy.split(",")
        list_type = ("map" if f.patch_merge_key else "set") if merging else "atomic"
    keys = f.list_map_keys or ((f.patch_merge_key,) if f.patch_merge_key else ())
    if f.type == "bytes" and list_type == "atomic":
        element = Shape("scalar", scalar="string")
    return Shape("list", list_type=list_type, keys=tuple(keys), element=element)


def _schema_field(schema: Mapping[str, Any], name: str, *, root: bool) -> Shape | None:
    if root and name == "metadata":
        return _of_type(f"{META}.ObjectMeta")
    if root and name in ("apiVersion", "kind"):
        return Shape("scalar", scalar="string")
    properties = schema.get("properties") or {}
    if name in properties:
        return _of_schema(properties[name])
    extra = schema.get("additionalProperties")
    if isinstance(extra, Mapping):
        return _of_schema(extra)
    if extra is True or schema.get("x-kubernetes-preserve-unknown-fields"):
        return UNTYPED
    return None


def _of_schema(schema: Mapping[str, Any]) -> Shape:
    if schema.get("x-kubernetes-int-or-string"):
        return Shape("scalar")
    kind = schema.get("type")
    if kind == "object":
        atomic = schema.get("x-kubernetes-map-type") == "atomic"
        if "properties" not in schema and isinstance(schema.get("additionalProperties"), Mapping):
            return Shape("map", atomic=atomic, element=_of_schema(schema["additionalProperties"]))
        if "properties" not in schema and schema.get("x-kubernetes-preserve-unknown-fields"):
            return UNTYPED
        return Shape("struct", atomic=atomic, schema=schema)
    if kind == "array":
        items = schema.get("items")
        return Shape(
            "list",
            list_type=schema.get("x-kubernetes-list-type") or "atomic",
            keys=tuple(schema.get("x-kubernetes-list-map-keys") or ()),
            element=_of_schema(items) if isinstance(items, Mapping) else UNTYPED,
        )
    if kind in ("integer", "number"):
        return Shape("scalar", scalar="numeric")
    if kind == "string":
        return Shape("scalar", scalar="string")
    if kind == "boolean":
        return Shape("scalar", scalar="boolean")
    return UNTYPED


def resolved_kind(shape: Shape, value: Any) -> str:
    """The node's kind for this value: an untyped node is a map, a list or a scalar by value."""
    if shape.kind != "untyped":
        return shape.kind
    if isinstance(value, Mapping):
        return "map"
    if isinstance(value, list):
        return "atomic-list"
    return "scalar"


# -- typed values ---------------------------------------------------------------------------------
#
# The API server compares objects as the Go structs they decode into are written back: a struct's
# fields without `omitempty`, and its struct-valued fields, are present at their zero value. The
# comparison below fills those in as it walks (`_zeros`), so that parts both sides share (the same
# dict, as writes keep what they do not change) are skipped without a copy.


_ABSENT = object()


@functools.cache
def _fields(type_name: str) -> tuple[apitypes.Field, ...]:
    facts = apitypes.facts(type_name)
    if facts is None:
        return ()
    out: list[apitypes.Field] = []
    for f in facts.fields:
        if f.inline:
            out.extend(_fields(f.type))
        else:
            out.append(f)
    return tuple(out)


@functools.cache
def _zeros(type_name: str) -> Mapping[str, Any]:
    """The fields a present struct of this type has at least, at their zero values (shared:
    never changed)."""
    out = {}
    for f in _fields(type_name):
        zero = _zero(f)
        if zero is not _ABSENT:
            out[f.json] = zero
    return out


def _zero(f: apitypes.Field) -> Any:
    """A field's value in the JSON of a zero Go struct, or _ABSENT when it is left out."""
    if f.pointer:
        return None if f.always else _ABSENT
    if f.label in ("rep", "map"):
        return None if f.always else _ABSENT
    if f.type in _PROTO_SCALARS:
        return _PROTO_SCALARS[f.type] if f.always else _ABSENT
    if f.type in _SCALAR_TYPES:
        return _SCALAR_TYPES[f.type]
    shape = _of_type(f.type)
    if shape.kind != "struct":
        return _ABSENT
    return dict(_zeros(shape.type_name))


def filled(value: Any, shape: Shape) -> Any:
    """A present struct with its zero-valued fields (see above); other values as they are."""
    if shape.kind != "struct" or shape.schema is not None or not isinstance(value, Mapping):
        return value
    zeros = _zeros(shape.type_name)
    if not zeros or all(k in value for k in zeros):
        return value
    return {**zeros, **value}


def problems(value: Any, shape: Shape) -> list[str]:
    """What stops a value from being typed against its shape (a field the type does not declare,
    a value of the wrong kind), as structured-merge-diff words it: `.spec.x: field not declared
    in schema`."""
    out: list[str] = []
    _check(value, shape, (), out)
    return out


def _check(value: Any, shape: Shape, path: Path, out: list[str]) -> None:
    if value is None:
        return
    where = path_text(path)
    if shape.kind == "scalar":
        if isinstance(value, (Mapping, list)):
            out.append(f"{where}: expected {shape.scalar or 'scalar'}, got {_go_value(value)}")
        elif shape.scalar == "numeric" and (
            isinstance(value, bool) or not isinstance(value, (int, float))
        ):
            out.append(f"{where}: expected numeric (int or float), got {_go_type(value)}")
        elif shape.scalar == "string" and not isinstance(value, str):
            out.append(f"{where}: expected string, got {_go_value(value)}")
        elif shape.scalar == "boolean" and not isinstance(value, bool):
            out.append(f"{where}: expected boolean, got {_go_value(value)}")
    elif shape.kind == "list":
        if not isinstance(value, list):
            out.append(f"{where}: expected list, got {_go_value(value)}")
            return
        for i, item in enumerate(value):
            _check(item, shape.item(), (*path, item_element(shape, item, i)), out)
    elif shape.kind in ("struct", "map"):
        if not isinstance(value, Mapping):
            out.append(f"{where}: expected map, got {_go_value(value)}")
            return
        for key, child in value.items():
            sub = shape.field(key)
            if sub is None:
                out.append(f"{path_text((*path, ('f', key)))}: field not declared in schema")
                continue
            _check(child, sub, (*path, ("f", key)), out)


def _go_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    return "map[string]interface {}" if isinstance(value, Mapping) else "[]interface {}"


def _go_value(value: Any) -> str:
    shown = json.dumps(value) if isinstance(value, str) else canonical_json(value)
    return f"&value.valueUnstructured{{Value:{shown}}}"


def item_element(shape: Shape, item: Any, index: int) -> PathElement:
    """The path element of a list item: its keys (associative), its value (set) or its index."""
    if shape.list_type == "map" and shape.keys and isinstance(item, Mapping):
        key = {k: item[k] for k in sorted(shape.keys) if k in item}
        return ("k", canonical_json(key))
    if shape.list_type == "set":
        return ("v", canonical_json(item))
    return ("i", index)


def canonical_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def path_text(path: Path) -> str:
    """A path as structured-merge-diff prints it: `.spec.containers[name="web"].image`."""
    parts = []
    for kind, value in path:
        if kind == "f":
            parts.append(f".{value}")
        elif kind == "k":
            keys = json.loads(value)
            parts.append("[" + ",".join(f"{k}={canonical_json(v)}" for k, v in keys.items()) + "]")
        elif kind == "v":
            parts.append(f"[={value}]")
        else:
            parts.append(f"[{value}]")
    return "".join(parts)
