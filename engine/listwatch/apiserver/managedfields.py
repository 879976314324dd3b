"""Field ownership: `metadata.managedFields` and server-side apply, as kube-apiserver v1.32 keeps
them (k8s.io/apimachinery's managedfields over sigs.k8s.io/structured-merge-diff v4).

A field set is a frozenset of paths; a path is a tuple of elements `("f", name)` (a field or a map
key), `("k", '{"name":"web"}')` (an item of an associative list, its keys as JSON in name order),
`("v", '"x"')` (an item of a set list) or `("i", 3)`. `encode` writes a set in FieldsV1 (`f:`,
`k:`, `v:`, `i:`, and `.` for a node that is itself a member and has children); `decode` reads it.

What each write does to the managers (`update` for create, update and patch; `apply` for an
apply patch), as the structured-merge-diff Updater does it:
- the old and the new object are compared, both as typed values (a Go struct's fields without
  `omitempty` and its struct-valued fields present at their zero value); every path added or
  changed goes to the writer's Update entry (with the time of the write), every path removed
  leaves every manager, a path another manager owned and this write changed leaves it;
- an apply merges its configuration into the object (maps by key, associative lists by their
  keys, sets by value, atomic lists and atomic structs whole), makes the configuration's paths
  the applier's Apply entry, removes what the applier applied before and applies no more unless
  another manager owns it, and refuses (409) to change a path another manager owns unless forced;
- `apiVersion`, `kind`, `metadata` itself and the server-set metadata fields are nobody's; a write
  to the main resource of a kind with a status subresource owns no `status` path, and a write to
  `status` owns only `status` paths.

The shape of each path (struct, map, list type and keys, atomic) comes from the fact table
(`apitypes`: the Go tags' listType, listMapKeys, patch strategy and mapType, plus the types that
v1.32 marks `+structType=atomic`) or, for a custom resource, from its CRD's structural schema
(`x-kubernetes-list-type`, `x-kubernetes-list-map-keys`, `x-kubernetes-map-type`; other lists are
atomic). Nothing here does I/O.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from listwatch import errors
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
#: The paths no manager owns (stripMetaManager's set).
STRIPPED = frozenset(
    {
        (("f", "apiVersion"),),
        (("f", "kind"),),
        (("f", "metadata"),),
        *(
            (("f", "metadata"), ("f", name))
            for name in (
                "name",
                "namespace",
                "creationTimestamp",
                "selfLink",
                "uid",
                "clusterName",
                "generation",
                "managedFields",
                "resourceVersion",
            )
        ),
    }
)
#: The most Update entries an object keeps; older ones merge into "ancient-changes".
MAX_UPDATE_MANAGERS = 10


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


def _resolved(shape: Shape, value: Any) -> str:
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


def _filled(value: Any, shape: Shape) -> Any:
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
    shown = json.dumps(value) if isinstance(value, str) else _json(value)
    return f"&value.valueUnstructured{{Value:{shown}}}"


# -- field sets -----------------------------------------------------------------------------------


def field_set(value: Any, shape: Shape) -> FieldSet:
    """The paths a value sets (ToFieldSet): its scalars, atomic nodes and list items, and its
    map keys that are not declared fields, empty maps and nulls."""
    out: set[Path] = set()
    _collect(value, shape, (), out)
    return frozenset(out)


def _collect(value: Any, shape: Shape, path: Path, out: set[Path]) -> None:
    kind = _resolved(shape, value)
    if kind in ("scalar", "atomic-list") or shape.atomic:
        out.add(path)
    elif kind == "list":
        if shape.list_type == "atomic":
            out.add(path)
            return
        for i, item in enumerate(value if isinstance(value, list) else ()):
            child = (*path, item_element(shape, item, i))
            _collect(item, shape.item(), child, out)
            out.add(child)
    elif isinstance(value, Mapping):
        for key, child_value in value.items():
            sub = shape.field(key)
            child = (*path, ("f", key))
            _collect(child_value, sub or UNTYPED, child, out)
            if (
                child_value is None
                or (isinstance(child_value, Mapping) and not child_value)
                or shape.kind != "struct"
            ):
                out.add(child)
    else:
        out.add(path)


def item_element(shape: Shape, item: Any, index: int) -> PathElement:
    """The path element of a list item: its keys (associative), its value (set) or its index."""
    if shape.list_type == "map" and shape.keys and isinstance(item, Mapping):
        key = {k: item[k] for k in sorted(shape.keys) if k in item}
        return ("k", _json(key))
    if shape.list_type == "set":
        return ("v", _json(item))
    return ("i", index)


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class Comparison:
    added: FieldSet
    modified: FieldSet
    removed: FieldSet

    @property
    def changed(self) -> FieldSet:
        return self.added | self.modified


_MISSING = object()


def compare(old: Any, new: Any, shape: Shape) -> Comparison:
    """What changed between two typed values (structured-merge-diff's Compare): leaves added,
    changed and removed, and every map, list or item that appears or goes as a whole."""
    added: set[Path] = set()
    modified: set[Path] = set()
    removed: set[Path] = set()
    _compare(old, new, shape, (), added, modified, removed)
    return Comparison(frozenset(added), frozenset(modified), frozenset(removed))


def _compare(
    lhs: Any,
    rhs: Any,
    shape: Shape,
    path: Path,
    added: set[Path],
    modified: set[Path],
    removed: set[Path],
) -> None:
    if lhs is rhs:
        return
    kind = _resolved(shape, rhs if rhs is not _MISSING else lhs)
    leaf = kind in ("scalar", "atomic-list") or shape.atomic
    if not leaf and kind == "list":
        lv = lhs if isinstance(lhs, list) else []
        rv = rhs if isinstance(rhs, list) else []
        leaf = shape.list_type == "atomic" or (not lv and not rv)
        if not leaf:
            left = {item_element(shape, item, i): item for i, item in enumerate(lv)}
            right = {item_element(shape, item, i): item for i, item in enumerate(rv)}
            for pe in [*left, *(p for p in right if p not in left)]:
                _compare(
                    left.get(pe, _MISSING),
                    right.get(pe, _MISSING),
                    shape.item(),
                    (*path, pe),
                    added,
                    modified,
                    removed,
                )
    elif not leaf:
        lm = _filled(lhs, shape) if isinstance(lhs, Mapping) else {}
        rm = _filled(rhs, shape) if isinstance(rhs, Mapping) else {}
        leaf = not lm and not rm
        if not leaf:
            for key in [*lm, *(k for k in rm if k not in lm)]:
                _compare(
                    lm.get(key, _MISSING),
                    rm.get(key, _MISSING),
                    shape.field(key) or UNTYPED,
                    (*path, ("f", key)),
                    added,
                    modified,
                    removed,
                )
    if leaf:
        if lhs is _MISSING and rhs is not _MISSING:
            added.add(path)
        elif rhs is _MISSING and lhs is not _MISSING:
            removed.add(path)
        elif lhs is not _MISSING and not _same(lhs, rhs, shape):
            modified.add(path)
        return
    if lhs is _MISSING:
        added.add(path)
    elif rhs is _MISSING:
        removed.add(path)


def _same(a: Any, b: Any, shape: Shape) -> bool:
    """Whether two leaves are equal as JSON values (1 is not true, nor 1.0 a different number)."""
    if type(a) is type(b) and not isinstance(a, (Mapping, list)):
        return bool(a == b)
    if isinstance(a, (Mapping, list)) or isinstance(b, (Mapping, list)):
        return _json(_filled(a, shape)) == _json(_filled(b, shape))
    numbers = (int, float)
    both = isinstance(a, numbers) and isinstance(b, numbers)
    return both and not isinstance(a, bool) and not isinstance(b, bool) and a == b


def without(fields: Iterable[Path], prefixes: Iterable[Path]) -> FieldSet:
    """`fields` without any path at or under one of `prefixes` (RecursiveDifference)."""
    cut = tuple(prefixes)
    if not cut:
        return frozenset(fields)
    return frozenset(p for p in fields if not any(p[: len(c)] == c for c in cut))


def only(fields: Iterable[Path], prefixes: Iterable[Path]) -> FieldSet:
    """`fields` at or under one of `prefixes`."""
    keep = tuple(prefixes)
    return frozenset(p for p in fields if any(p[: len(c)] == c for c in keep))


# -- FieldsV1 -------------------------------------------------------------------------------------


def encode(fields: Iterable[Path]) -> dict[str, Any]:
    """A field set in FieldsV1: `{"f:spec": {"f:replicas": {}}, ...}`, `.` first in a node that
    is a member and has children, the rest in structured-merge-diff's order."""
    root: dict[PathElement, Any] = {}
    members: set[Path] = set(fields)
    for path in members:
        node = root
        for pe in path:
            node = node.setdefault(pe, {})
    return _emit(root, (), members)


def _emit(node: Mapping[PathElement, Any], path: Path, members: set[Path]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if path and path in members and node:
        out["."] = {}
    for pe in sorted(node, key=_order):
        out[_element_text(pe)] = _emit(node[pe], (*path, pe), members)
    return out


_RANK = {"f": 0, "k": 1, "v": 2, "i": 3}


def _order(pe: PathElement) -> tuple[int, Any]:
    kind, value = pe
    if kind == "k":
        return (1, sorted(json.loads(value).items(), key=lambda kv: (kv[0], _value_order(kv[1]))))
    if kind == "v":
        return (2, _value_order(json.loads(value)))
    return (_RANK[kind], value)


def _value_order(value: Any) -> tuple[int, str]:
    if value is None:
        return (0, "")
    if isinstance(value, bool):
        return (3, str(value))
    if isinstance(value, (int, float)):
        return (1, f"{float(value):030.6f}")
    if isinstance(value, str):
        return (2, value)
    return (4, _json(value))


def _element_text(pe: PathElement) -> str:
    kind, value = pe
    return f"{kind}:{value}"


def decode(fields: Any) -> FieldSet:
    """A FieldsV1 value read back into a field set (what cannot be read is left out)."""
    out: set[Path] = set()
    _read(fields, (), out)
    return frozenset(out)


def _read(node: Any, path: Path, out: set[Path]) -> None:
    if not isinstance(node, Mapping):
        return
    for text, child in node.items():
        if text == ".":
            if path:
                out.add(path)
            continue
        kind, sep, value = text.partition(":")
        if not sep or kind not in _RANK or not _element_readable(kind, value):
            continue
        pe: PathElement = (kind, int(value) if kind == "i" else value)
        if isinstance(child, Mapping) and child:
            _read(child, (*path, pe), out)
        else:
            out.add((*path, pe))


def _element_readable(kind: str, value: str) -> bool:
    """Whether a FieldsV1 key's value is what its kind holds (a key's JSON object, a value's
    JSON, an index's digits); others are left out of the set."""
    if kind == "i":
        return value.isdigit()
    if kind in ("k", "v"):
        try:
            parsed = json.loads(value)
        except ValueError:
            return False
        return isinstance(parsed, dict) or kind == "v"
    return True


def path_text(path: Path) -> str:
    """A path as structured-merge-diff prints it: `.spec.containers[name="web"].image`."""
    parts = []
    for kind, value in path:
        if kind == "f":
            parts.append(f".{value}")
        elif kind == "k":
            keys = json.loads(value)
            parts.append("[" + ",".join(f"{k}={_json(v)}" for k, v in keys.items()) + "]")
        elif kind == "v":
            parts.append(f"[={value}]")
        else:
            parts.append(f"[{value}]")
    return "".join(parts)


# -- managers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One manager's entry: who, how (Apply or Update), in which version, and what it owns."""

    manager: str
    operation: str
    api_version: str
    fields: FieldSet
    time: str | None = None
    subresource: str = ""

    @property
    def identity(self) -> tuple[str, str, str, str]:
        """What tells entries apart (BuildManagerIdentifier): an Apply entry's version does not."""
        version = "" if self.operation == "Apply" else self.api_version
        return (self.manager, self.operation, version, self.subresource)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "manager": self.manager,
            "operation": self.operation,
            "apiVersion": self.api_version,
        }
        if self.time is not None:
            out["time"] = self.time
        out["fieldsType"] = "FieldsV1"
        out["fieldsV1"] = encode(self.fields)
        if self.subresource:
            out["subresource"] = self.subresource
        return out

    def described(self) -> str:
        """How a conflict names it (printManager)."""
        text = json.dumps(self.manager)
        if self.subresource:
            text += f" with subresource {json.dumps(self.subresource)}"
        if self.operation == "Update":
            text += f" using {self.api_version}"
        return text


def entries(obj: Any) -> list[Entry]:
    """The entries of an object's `metadata.managedFields`; none when they cannot be read as
    ManagedFieldsEntry values (DecodeManagedFields fails on the whole list)."""
    meta = obj.get("metadata") if isinstance(obj, Mapping) else None
    raw_entries = meta.get("managedFields") if isinstance(meta, Mapping) else None
    if not isinstance(raw_entries, list):
        return []
    out = []
    for raw in raw_entries:
        if not isinstance(raw, Mapping) or not _readable(raw):
            return []
        out.append(
            Entry(
                manager=raw.get("manager") or "",
                operation=raw.get("operation") or "",
                api_version=raw.get("apiVersion") or "",
                fields=decode(raw.get("fieldsV1") or {}),
                time=raw.get("time") or None,
                subresource=raw.get("subresource") or "",
            )
        )
    return out


def _readable(raw: Mapping[str, Any]) -> bool:
    texts = ("manager", "operation", "apiVersion", "time", "fieldsType", "subresource")
    if any(raw.get(k) is not None and not isinstance(raw.get(k), str) for k in texts):
        return False
    fields = raw.get("fieldsV1")
    return fields is None or isinstance(fields, Mapping)


def encoded(found: Iterable[Entry]) -> list[dict[str, Any]]:
    """Entries as `metadata.managedFields`, in kube-apiserver's order (Apply before Update, then
    by time, manager, apiVersion and subresource), empty ones left out."""
    kept = [e for e in found if e.fields]
    kept.sort(key=lambda e: (e.operation, e.time or "", e.manager, e.api_version, e.subresource))
    return [e.as_json() for e in kept]


@dataclass(frozen=True)
class Write:
    """One write's say on ownership: the shape of the kind, the writer, the served version, the
    subresource written, whether the kind has a status subresource, and the time."""

    shape: Shape
    manager: str
    api_version: str
    now: str
    subresource: str = ""
    has_status: bool = False
    kind: str = ""

    def compare(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> Comparison:
        """What the write changed of what it may own: only `status` for a status write, all but
        `status` for a write of the main resource of a kind with a status subresource (the
        fields the strategies reset, left out of the comparison as kube-apiserver leaves them)."""
        if self.subresource == "status":
            old = {"status": old["status"]} if "status" in old else {}
            new = {"status": new["status"]} if "status" in new else {}
        elif not self.subresource and self.has_status:
            old = {k: v for k, v in old.items() if k != "status"}
            new = {k: v for k, v in new.items() if k != "status"}
        return compare(old, new, self.shape)

    def owned(self, fields: Iterable[Path]) -> FieldSet:
        """The paths a write of this kind and subresource may own."""
        kept = frozenset(fields) - STRIPPED
        status: Path = (("f", "status"),)
        if self.subresource == "status":
            return only(kept, [status])
        if self.subresource:
            return kept
        return without(kept, [status]) if self.has_status else kept


def updated(
    write: Write,
    old: Any,
    new: Mapping[str, Any],
    base: list[Entry],
    *,
    created_from: Mapping[str, Any] | None = None,
) -> list[Entry]:
    """The entries after a create, update or patch from `old` (None for a create) to `new`
    (managedFields removed from both): the writer's Update entry gains what it added or changed
    (its time now), every entry loses what was removed, the others what the writer changed.
    On a create, what admission plugins added to the body (`created_from`, see `admitted`) is
    nobody's, as kube-apiserver tracks fields before admission."""
    comparison = write.compare(_bare(old) if old is not None else {}, _bare(new))
    changed = write.owned(comparison.changed)
    if created_from is not None:
        changed = without(changed, admitted(write.kind, created_from, changed, write.shape))
    removed = comparison.removed
    out = []
    mine = Entry(write.manager, "Update", write.api_version, frozenset(), None, write.subresource)
    previous: Entry | None = None
    for entry in base:
        if entry.identity == mine.identity:
            previous = entry
            continue
        out.append(_replace_fields(entry, entry.fields - removed - changed))
    if changed:
        fields = (previous.fields - removed if previous else frozenset()) | changed
        out.append(_replace_fields(mine, fields, time=write.now))
    elif previous is not None:
        out.append(_replace_fields(previous, previous.fields - removed))
    return _capped([e for e in out if e.fields])


def _capped(found: list[Entry]) -> list[Entry]:
    """At most MAX_UPDATE_MANAGERS Update entries: the oldest merge into "ancient-changes"."""
    updates = [e for e in found if e.operation == "Update"]
    if len(updates) <= MAX_UPDATE_MANAGERS:
        return found
    updates.sort(key=lambda e: e.time or "")
    surplus = updates[: len(updates) - MAX_UPDATE_MANAGERS + 1]
    merged: frozenset[Path] = frozenset().union(*(e.fields for e in surplus))
    ancient = Entry("ancient-changes", "Update", surplus[-1].api_version, merged, surplus[-1].time)
    return [e for e in found if e not in surplus] + [ancient]


def _replace_fields(entry: Entry, fields: FieldSet, *, time: str | None = None) -> Entry:
    return Entry(
        entry.manager,
        entry.operation,
        entry.api_version,
        fields,
        time if time is not None else entry.time,
        entry.subresource,
    )


def _bare(obj: Any) -> Any:
    if not isinstance(obj, Mapping):
        return obj
    meta = obj.get("metadata")
    if isinstance(meta, Mapping) and "managedFields" in meta:
        return {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}
    return obj


def base_entries(old: Any, body: Mapping[str, Any], *, subresource: str) -> list[Entry]:
    """The entries a write starts from (decodeLiveOrNew): the body's own when it carries some
    (an empty list resets them), the stored object's otherwise and always for a subresource."""
    if subresource:
        return entries(old)
    meta = body.get("metadata")
    given = meta.get("managedFields") if isinstance(meta, Mapping) else None
    if isinstance(given, list) and (not given or given == [{}]):
        return []
    found = entries(body)
    return found if found else entries(old)


# -- apply ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Applied:
    """An apply's result: the object to write (managedFields not set) and the new entries."""

    obj: dict[str, Any]
    entries: list[Entry]


def apply(
    write: Write, live: Any, config: Mapping[str, Any], base: list[Entry], *, force: bool
) -> Applied:
    """Server-side apply of `config` by `write.manager` to `live` (None: the object is created):
    see the module's docstring. A conflict is the 409 kube-apiserver answers."""
    live_obj = _bare(live) if live is not None else {}
    merged = merge(live_obj, config, write.shape)
    applied = write.owned(field_set(config, write.shape))
    mine = Entry(write.manager, "Apply", write.api_version, applied, None, write.subresource)
    last = next((e for e in base if e.identity == mine.identity), None)
    others = [e for e in base if e.identity != mine.identity]
    if last is not None:
        owned = frozenset().union(applied, *(e.fields for e in others))
        merged = _pruned(merged, last.fields - owned, owned, write.shape)
    comparison = write.compare(live_obj, merged)
    changed = write.owned(comparison.changed)
    conflicts = [(e, p) for e in others for p in sorted(e.fields & changed, key=_path_order)]
    if conflicts and not force and write.manager == KUBECTL:
        allowed = _allowed_by_last_applied(live_obj, write.shape)
        conflicts = [(e, p) for e, p in conflicts if p not in allowed]
    if conflicts and not force:
        raise conflict_error(conflicts)
    out = [_replace_fields(e, e.fields - comparison.removed - changed) for e in others]
    time = write.now if (merged != live_obj or last is None) else last.time
    out.append(_replace_fields(mine, applied, time=time or write.now))
    if write.manager == KUBECTL and _last_applied(live_obj) is not None:
        merged = _with_last_applied(merged, config)
    return Applied(merged, _capped([e for e in out if e.fields]))


#: The manager `kubectl apply --server-side` applies as by default, and the annotation of
#: client-side apply: for that manager kube-apiserver lets an apply take over the fields the
#: annotation still describes (the upgrade from client-side apply), and keeps the annotation
#: up to date (lastAppliedManager, lastAppliedUpdater).
KUBECTL = "kubectl"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def _last_applied(obj: Mapping[str, Any]) -> Any:
    text = ((obj.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    if not isinstance(text, str) or not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _allowed_by_last_applied(live: Mapping[str, Any], shape: Shape) -> FieldSet:
    """The fields the client-side apply annotation sets to the values they still have."""
    last = _last_applied(live)
    if last is None:
        return frozenset()
    modified = compare(last, live, shape).modified
    return field_set(last, shape) - modified


def _with_last_applied(obj: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    """`obj` with the annotation set to the applied configuration (without the annotation), as
    UnstructuredJSONScheme encodes it: keys sorted, Go's escapes, a trailing newline."""
    meta = dict(config.get("metadata") or {})
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k != LAST_APPLIED}
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    text = json.dumps(
        {**config, "metadata": meta}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    for ch, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(ch, escaped)
    out_meta = dict(obj.get("metadata") or {})
    out_meta["annotations"] = {**(out_meta.get("annotations") or {}), LAST_APPLIED: text + "\n"}
    return {**obj, "metadata": out_meta}


def _path_order(path: Path) -> list[tuple[int, Any]]:
    return [_order(pe) for pe in path]


def conflict_error(conflicts: list[tuple[Entry, Path]]) -> errors.Conflict:
    """The 409 of an apply that would change other managers' fields (NewApplyConflict)."""
    causes = [
        {
            "reason": "FieldManagerConflict",
            "message": f"conflict with {entry.described()}",
            "field": path_text(path),
        }
        for entry, path in conflicts
    ]
    if len(conflicts) == 1:
        entry, path = conflicts[0]
        message = (
            f"Apply failed with 1 conflict: conflict with {entry.described()}: {path_text(path)}"
        )
    else:
        by_manager: dict[str, list[Path]] = {}
        for entry, path in conflicts:
            by_manager.setdefault(entry.described(), []).append(path)
        lines = []
        for described in sorted(by_manager):
            lines.append(f"conflicts with {described}:")
            lines.extend(f"- {path_text(p)}" for p in by_manager[described])
        message = f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
    return errors.Conflict(message, details={"causes": causes})


def merge(live: Any, config: Any, shape: Shape) -> Any:
    """`config` merged into `live` as structured-merge-diff merges: maps and structs by key,
    associative lists by their keys and sets by value (live order, new items after), atomic
    nodes and scalars replaced."""
    kind = _resolved(shape, config)
    if shape.atomic or kind in ("scalar", "atomic-list"):
        return config
    if kind == "list":
        if shape.list_type == "atomic" or not isinstance(config, list):
            return config
        if not isinstance(live, list):
            live = []
        items = {item_element(shape, item, i): item for i, item in enumerate(live)}
        order = list(items)
        for i, item in enumerate(config):
            pe = item_element(shape, item, i)
            if pe in items:
                items[pe] = merge(items[pe], item, shape.item())
            else:
                items[pe] = item
                order.append(pe)
        return [items[pe] for pe in order]
    if not isinstance(config, Mapping):
        return config
    if not isinstance(live, Mapping):
        return dict(config)
    out = dict(live)
    for key, value in config.items():
        sub = shape.field(key) or UNTYPED
        out[key] = merge(live[key], value, sub) if key in live else value
    return out


def _pruned(obj: Any, drop: FieldSet, owned: FieldSet, shape: Shape) -> Any:
    """`obj` without the paths in `drop`, except where a path under one is still owned."""
    if not drop:
        return obj
    return _prune(obj, (), drop, owned, shape)


def _prune(value: Any, path: Path, drop: FieldSet, owned: FieldSet, shape: Shape) -> Any:
    kind = _resolved(shape, value)
    if kind == "list" and isinstance(value, list) and shape.list_type != "atomic":
        out = []
        for i, item in enumerate(value):
            child = (*path, item_element(shape, item, i))
            if child in drop and not _owned_under(child, owned):
                continue
            out.append(_prune(item, child, drop, owned, shape.item()))
        return out
    if isinstance(value, Mapping) and kind in ("struct", "map", "untyped") and not shape.atomic:
        result = {}
        for key, child_value in value.items():
            child = (*path, ("f", key))
            if child in drop and not _owned_under(child, owned):
                continue
            result[key] = _prune(child_value, child, drop, owned, shape.field(key) or UNTYPED)
        return result
    return value


def _owned_under(path: Path, owned: FieldSet) -> bool:
    n = len(path)
    return any(len(p) > n and p[:n] == path for p in owned)


# -- admission ------------------------------------------------------------------------------------

#: What admission plugins add to a new object of a kind, which nobody owns: kube-apiserver tracks
#: fields before admission (ServiceAccount: the account and its token volume and mounts;
#: DefaultTolerationSeconds: the tolerations; Priority: priority and preemptionPolicy). Each
#: pattern is a path of field names, `*` (any element) and `~text` (an item whose keys contain
#: text); a pattern ending in `=` matches that path only, the others everything under it too.
ADMITTED: Mapping[str, tuple[tuple[str, ...], ...]] = {
    "Pod": (
        ("spec", "serviceAccountName"),
        ("spec", "serviceAccount"),
        ("spec", "priority"),
        ("spec", "preemptionPolicy"),
        ("spec", "tolerations"),
        ("spec", "volumes", "="),
        ("spec", "volumes", "~kube-api-access-"),
        ("spec", "containers", "*", "volumeMounts", "="),
        ("spec", "containers", "*", "volumeMounts", "~/var/run/secrets/kubernetes.io/"),
    ),
}


def admitted(kind: str, body: Mapping[str, Any], changed: Iterable[Path], shape: Shape) -> FieldSet:
    """Of the paths a create of `kind` from `body` set, those admission plugins set (see
    ADMITTED): they match a pattern, and the body does not have them."""
    patterns = _patterns(kind)
    if not patterns:
        return frozenset()
    second = {pe for pattern in patterns for i, pe in pattern.names if i == 1}
    found = [
        p
        for p in changed
        if len(p) > 1 and p[1] in second and any(pattern.matches(p) for pattern in patterns)
    ]
    if not found:
        return frozenset()
    given = field_set(_bare(body), shape)
    return frozenset(p for p in found if not any(q[: len(p)] == p for q in given))


@dataclass(frozen=True)
class _Pattern:
    """An ADMITTED pattern made ready to test: its length, the field names it fixes (by index,
    deepest first) and the key texts its items must contain."""

    length: int
    exact: bool
    names: tuple[tuple[int, PathElement], ...]
    keys: tuple[tuple[int, str], ...]

    def matches(self, path: Path) -> bool:
        n = len(path)
        if n < self.length or (self.exact and n != self.length):
            return False
        if any(path[i] != pe for i, pe in self.names):
            return False
        return all(path[i][0] == "k" and text in path[i][1] for i, text in self.keys)


@functools.cache
def _patterns(kind: str) -> tuple[_Pattern, ...]:
    out = []
    for pattern in ADMITTED.get(kind, ()):
        exact = pattern[-1] == "="
        steps = pattern[:-1] if exact else pattern
        names = tuple(
            (i, ("f", step)) for i, step in enumerate(steps) if step != "*" and step[0] != "~"
        )
        keys = tuple((i, step[1:]) for i, step in enumerate(steps) if step[0] == "~")
        out.append(_Pattern(len(steps), exact, names[::-1], keys))
    return tuple(out)


# -- who writes -----------------------------------------------------------------------------------

#: listwatch's components by the program kube-apiserver would name them after (their User-Agent).
_PROGRAMS = {
    "kubelet": "kubelet",
    "scheduler": "kube-scheduler",
    "default-scheduler": "kube-scheduler",
    "apiserver": "kube-apiserver",
    "controller-manager": "kube-controller-manager",
    "generic-garbage-collector": "kube-controller-manager",
}


def manager_of(actor: str) -> str:
    """The manager kube-apiserver records for a writer that names none: its User-Agent's program
    (the part before the first "/", at most 128 characters); listwatch's own components as the
    binaries they stand for (kubelet, kube-scheduler, kube-controller-manager)."""
    program = actor.partition("/")[0].strip()
    if program in _PROGRAMS:
        return _PROGRAMS[program]
    if program.endswith("-controller"):
        return "kube-controller-manager"
    return program[:128]
