"""CustomResourceDefinitions: the CRD kind's own rules, and the resources a CRD makes served.

A CRD (apiextensions.k8s.io/v1) names a group, a kind and its names, a scope, and versions, each
with a structural OpenAPI v3 schema. Once its names are accepted, each served version is a
resource like the built-in ones (`Resource`, `custom=True`), stored once under
`/registry/<group>/<plural>/` in the storage version. Its objects are decoded unstructured, then
as apiextensions-apiserver does: unknown fields pruned (or refused under
fieldValidation=Strict), defaults of the schema applied, and the schema validated, with
kube-openapi's messages (`spec.replicas in body must be of type integer: "string"`).
Printer columns come from the version's additionalPrinterColumns (a JSONPath each), or Age.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from listwatch.apiserver import objects
from listwatch.apiserver.fields import FieldErrors, go_quote, shown, validate_meta
from listwatch.apiserver.objects import Obj

GROUP = "apiextensions.k8s.io"
#: The resource CRDs are stored as.
RESOURCE = "customresourcedefinitions"
#: The finalizer a deleted CRD carries while its objects are deleted.
CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"
_SCOPES = ("Cluster", "Namespaced")
_ROOT_FIELDS = ("apiVersion", "kind", "metadata")


# -- the CRD kind ---------------------------------------------------------------------------------


def crd_on_write(obj: Obj) -> Obj:
    """SetDefaults of apiextensions/v1: the singular and list kind from the kind, and the
    conversion strategy None."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return obj
    spec = dict(spec)
    names = dict(spec.get("names") or {})
    kind = names.get("kind")
    if isinstance(kind, str) and kind:
        names.setdefault("singular", kind.lower())
        names.setdefault("listKind", f"{kind}List")
    spec["names"] = names
    spec.setdefault("conversion", {"strategy": "None"})
    return {**obj, "spec": spec}


def validate_crd(obj: Obj) -> FieldErrors:
    """The checks of ValidateCustomResourceDefinition a CRD most often fails, in its words."""
    errs = validate_meta(obj, namespaced=False)
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    assert isinstance(spec, dict)
    group = spec.get("group") or ""
    names = spec.get("names") if isinstance(spec.get("names"), dict) else {}
    assert isinstance(names, dict)
    plural = names.get("plural") or ""
    name = objects.name_of(obj)
    if name and plural and group and name != f"{plural}.{group}":
        errs.append(
            f"metadata.name: Invalid value: {go_quote(name)}: "
            'must be spec.names.plural+"."+spec.group'
        )
    if not group:
        errs.append("spec.group: Required value")
    elif "." not in group:
        errs.append(
            f"spec.group: Invalid value: {go_quote(group)}: "
            "should be a domain with at least one dot"
        )
    for field in ("plural", "kind"):
        if not names.get(field):
            errs.append(f"spec.names.{field}: Required value")
    scope = spec.get("scope")
    if scope not in _SCOPES:
        choices = ", ".join(go_quote(s) for s in _SCOPES)
        scope_text = go_quote(str(scope or ""))
        errs.append(f"spec.scope: Unsupported value: {scope_text}: supported values: {choices}")
    versions = spec.get("versions") if isinstance(spec.get("versions"), list) else []
    assert isinstance(versions, list)
    # Go prints the whole []CustomResourceDefinitionVersion with %#v here; it is shortened.
    listed = "[]apiextensions.CustomResourceDefinitionVersion{...}"
    if sum(1 for v in versions if isinstance(v, dict) and v.get("storage")) != 1:
        errs.append(
            f"spec.versions: Invalid value: {listed}: "
            "must have exactly one version marked as storage version"
        )
    if not any(isinstance(v, dict) and v.get("served") for v in versions):
        errs.append(
            f"spec.versions: Invalid value: {listed}: "
            "must have at least one version marked as served"
        )
    for i, version in enumerate(versions):
        version = version if isinstance(version, dict) else {}
        schema = (version.get("schema") or {}).get("openAPIV3Schema")
        if not isinstance(schema, dict):
            errs.append(
                f"spec.versions[{i}].schema.openAPIV3Schema: Required value: schemas are required"
            )
        elif schema.get("type") != "object":
            errs.append(
                f"spec.versions[{i}].schema.openAPIV3Schema.type: Unsupported value: "
                f'{go_quote(str(schema.get("type", "")))}: supported values: "object"'
            )
    return errs


def validate_crd_update(old: Obj, new: Obj) -> FieldErrors:
    errs = validate_crd(new)
    for path in ("spec.group", "spec.names.plural"):
        if objects.get_path(new, path) != objects.get_path(old, path):
            value = objects.get_path(new, path)
            errs.append(f"{path}: Invalid value: {go_quote(str(value))}: field is immutable")
    return errs


def is_established(crd: Mapping[str, Any]) -> bool:
    """Whether the CRD's status shows its names accepted and every storage version recorded."""
    spec, status = crd.get("spec") or {}, crd.get("status") or {}
    storage = {v.get("name") for v in spec.get("versions") or () if v.get("storage")}
    conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or ()}
    return (
        status.get("acceptedNames") == spec.get("names")
        and conditions.get("Established") == "True"
        and storage <= set(status.get("storedVersions") or ())
    )


def established(crd: Mapping[str, Any], now: str) -> dict[str, Any]:
    """The status the naming and establishing controllers give a CRD whose names are free."""
    spec = crd.get("spec") or {}
    storage = [v.get("name") for v in spec.get("versions") or () if v.get("storage")]
    stored = list((crd.get("status") or {}).get("storedVersions") or ())
    return {
        "acceptedNames": dict(spec.get("names") or {}),
        "conditions": [
            _condition("NamesAccepted", "NoConflicts", "no conflicts found", now),
            _condition(
                "Established", "InitialNamesAccepted", "the initial names have been accepted", now
            ),
        ],
        "storedVersions": [*stored, *(v for v in storage if v not in stored)],
    }


def marked_for_cleanup(crd: Obj, now: str) -> Obj:
    """A CRD being deleted, as its REST Delete first writes it: the cleanup finalizer (its
    objects go first) and the Terminating condition."""
    meta = objects.meta(crd)
    if meta.get("deletionTimestamp"):
        return crd
    finalizers = list(meta.get("finalizers") or ())
    if CLEANUP_FINALIZER not in finalizers:
        finalizers.append(CLEANUP_FINALIZER)
    status = dict(crd.get("status") or {})
    conditions = [c for c in status.get("conditions") or () if c.get("type") != "Terminating"]
    conditions.append(
        _condition(
            "Terminating",
            "InstanceDeletionPending",
            "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon",
            now,
        )
    )
    status["conditions"] = conditions
    out = objects.replace(crd, "metadata.finalizers", finalizers)
    out["status"] = status
    return out


def _condition(kind: str, reason: str, message: str, now: str) -> dict[str, Any]:
    return {
        "type": kind,
        "status": "True",
        "lastTransitionTime": now,
        "reason": reason,
        "message": message,
    }


# -- a served version ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PrinterColumn:
    """An additionalPrinterColumn: a Table column whose cells a JSONPath picks."""

    name: str
    type: str
    json_path: str
    description: str = ""
    priority: int = 0
    format: str = ""


@dataclass(frozen=True)
class Served:
    """What one served version of a CRD needs beyond a Resource's names."""

    group: str
    version: str
    storage_version: str
    schema: Mapping[str, Any]
    status: bool
    scale: Mapping[str, str] | None
    columns: tuple[PrinterColumn, ...]
    categories: tuple[str, ...]


def served_versions(crd: Mapping[str, Any]) -> list[Served]:
    """The served versions of an established CRD, the storage version's first."""
    spec = crd.get("spec") or {}
    storage = next(v["name"] for v in spec["versions"] if v.get("storage"))
    out = []
    for v in sorted(spec["versions"], key=lambda v: not v.get("storage")):
        if not v.get("served"):
            continue
        subresources = v.get("subresources") or {}
        columns = tuple(
            PrinterColumn(
                name=c["name"],
                type=c.get("type", "string"),
                json_path=c["jsonPath"],
                description=c.get("description", ""),
                priority=int(c.get("priority", 0)),
                format=c.get("format", ""),
            )
            for c in v.get("additionalPrinterColumns") or ()
        ) or (
            PrinterColumn(
                "Age",
                "date",
                ".metadata.creationTimestamp",
                "CreationTimestamp is a timestamp representing the server time when this object "
                "was created.",
            ),
        )
        out.append(
            Served(
                group=spec["group"],
                version=v["name"],
                storage_version=storage,
                schema=(v.get("schema") or {}).get("openAPIV3Schema") or {"type": "object"},
                status="status" in subresources,
                scale=subresources.get("scale"),
                columns=columns,
                categories=tuple((spec.get("names") or {}).get("categories") or ()),
            )
        )
    return out


# -- objects: pruning, defaulting, validation ----------------------------------------------------


def prune(schema: Mapping[str, Any], obj: Obj) -> tuple[Obj, list[str]]:
    """`obj` without the fields its structural schema does not declare, and their paths (what
    fieldValidation=Strict refuses as `unknown field "spec.foo"`); apiVersion, kind and
    metadata are always kept at the root."""
    unknown: list[str] = []
    out = dict(obj)
    properties = schema.get("properties") or {}
    for key in list(out):
        if key in _ROOT_FIELDS:
            continue
        if key in properties:
            out[key] = _pruned(properties[key], out[key], key, unknown)
        elif not schema.get("x-kubernetes-preserve-unknown-fields"):
            unknown.append(key)
            del out[key]
    return out, unknown


def _pruned(schema: Mapping[str, Any], value: Any, path: str, unknown: list[str]) -> Any:
    if schema.get("x-kubernetes-preserve-unknown-fields") and not schema.get("properties"):
        return value
    if isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            return [_pruned(items, item, f"{path}[{i}]", unknown) for i, item in enumerate(value)]
        return value
    if not isinstance(value, dict):
        return value
    if schema.get("x-kubernetes-embedded-resource"):
        keep = {k: value[k] for k in _ROOT_FIELDS if k in value}
    else:
        keep = {}
    properties = schema.get("properties") or {}
    extra = schema.get("additionalProperties")
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key in properties:
            out[key] = _pruned(properties[key], item, f"{path}.{key}", unknown)
        elif isinstance(extra, dict):
            out[key] = _pruned(extra, item, f"{path}.{key}", unknown)
        elif extra is True or schema.get("x-kubernetes-preserve-unknown-fields") or key in keep:
            out[key] = item
        else:
            unknown.append(f"{path}.{key}")
    return out


def with_defaults(schema: Mapping[str, Any], value: Any) -> Any:
    """`value` with the schema's `default`s where a property is unset (structural defaulting)."""
    if isinstance(value, list):
        items = schema.get("items")
        return [with_defaults(items, v) for v in value] if isinstance(items, dict) else value
    if not isinstance(value, dict):
        return value
    out = dict(value)
    for key, prop in (schema.get("properties") or {}).items():
        if key not in out and "default" in prop:
            out[key] = copy.deepcopy(prop["default"])
        if key in out:
            out[key] = with_defaults(prop, out[key])
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        props = schema.get("properties") or {}
        for key in out:
            if key not in props:
                out[key] = with_defaults(extra, out[key])
    return out


_JSON_TYPES = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def schema_problems(schema: Mapping[str, Any], obj: Obj) -> FieldErrors:
    """The field errors of `obj` against its structural schema, as kube-openapi's validator
    words them (metadata is the API server's to check)."""
    errs: FieldErrors = []
    for key, prop in (schema.get("properties") or {}).items():
        if key == "metadata":
            continue
        if key in obj:
            _check(prop, obj[key], key, errs)
    for key in schema.get("required") or ():
        if key not in obj:
            errs.append(f"{key}: Required value")
    return errs


def _check(schema: Mapping[str, Any], value: Any, path: str, errs: FieldErrors) -> None:
    if value is None:
        if not schema.get("nullable"):
            kind = schema.get("type")
            if kind:
                errs.append(
                    f'{path}: Invalid value: "null": {path} in body must be of type {kind}: "null"'
                )
        return
    kind = schema.get("type")
    if schema.get("x-kubernetes-int-or-string"):
        if not isinstance(value, (int, str)) or isinstance(value, bool):
            actual = _json_type(value)
            errs.append(
                f"{path}: Invalid value: {go_quote(actual)}: {path} in body must be of type "
                f'integer,string: "{actual}"'
            )
            return
    elif kind in _JSON_TYPES:
        matches = isinstance(value, _JSON_TYPES[kind]) and not (
            isinstance(value, bool) and kind in ("integer", "number")
        )
        if kind == "integer" and isinstance(value, float) and value.is_integer():
            matches = True
        if not matches:
            actual = _json_type(value)
            errs.append(
                f"{path}: Invalid value: {go_quote(actual)}: {path} in body must be of type "
                f"{kind}: {go_quote(actual)}"
            )
            return
    enum = schema.get("enum")
    if enum is not None and value not in enum:
        choices = ", ".join(shown(e) for e in enum)
        errs.append(f"{path}: Unsupported value: {shown(value)}: supported values: {choices}")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        _check_number(schema, value, path, errs)
    if isinstance(value, str):
        _check_string(schema, value, path, errs)
    if isinstance(value, list):
        _check_list(schema, value, path, errs)
    if isinstance(value, dict):
        for key, prop in (schema.get("properties") or {}).items():
            if key in value:
                _check(prop, value[key], f"{path}.{key}", errs)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key, item in value.items():
                if key not in (schema.get("properties") or {}):
                    _check(extra, item, f"{path}.{key}", errs)
        for key in schema.get("required") or ():
            if key not in value:
                errs.append(f"{path}.{key}: Required value")


def _check_number(schema: Mapping[str, Any], value: float, path: str, errs: FieldErrors) -> None:
    text = shown(value)
    if "maximum" in schema:
        if schema.get("exclusiveMaximum") and value >= schema["maximum"]:
            errs.append(
                f"{path}: Invalid value: {text}: {path} in body should be less than "
                f"{schema['maximum']}"
            )
        elif value > schema["maximum"]:
            errs.append(
                f"{path}: Invalid value: {text}: {path} in body should be less than or equal "
                f"to {schema['maximum']}"
            )
    if "minimum" in schema:
        if schema.get("exclusiveMinimum") and value <= schema["minimum"]:
            errs.append(
                f"{path}: Invalid value: {text}: {path} in body should be greater than "
                f"{schema['minimum']}"
            )
        elif value < schema["minimum"]:
            errs.append(
                f"{path}: Invalid value: {text}: {path} in body should be greater than or "
                f"equal to {schema['minimum']}"
            )


def _check_string(schema: Mapping[str, Any], value: str, path: str, errs: FieldErrors) -> None:
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        errs.append(f"{path}: Too long: may not be more than {schema['maxLength']} bytes")
    if "minLength" in schema and len(value) < schema["minLength"]:
        errs.append(
            f"{path}: Invalid value: {go_quote(value)}: {path} in body should be at least "
            f"{schema['minLength']} chars long"
        )
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and re.search(pattern, value) is None:
        errs.append(
            f"{path}: Invalid value: {go_quote(value)}: {path} in body should match '{pattern}'"
        )


def _check_list(schema: Mapping[str, Any], value: list[Any], path: str, errs: FieldErrors) -> None:
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        errs.append(f"{path}: Too many: {len(value)}: must have at most {schema['maxItems']} items")
    if "minItems" in schema and len(value) < schema["minItems"]:
        errs.append(
            f"{path}: Invalid value: {len(value)}: {path} in body should have at least "
            f"{schema['minItems']} items"
        )
    items = schema.get("items")
    if isinstance(items, dict):
        for i, item in enumerate(value):
            _check(items, item, f"{path}[{i}]", errs)


# -- JSONPath, as printer columns use it ---------------------------------------------------------

_STEP = re.compile(r"\.([^.\[]+)|\[(\*|\d+)\]|\[\?\(@\.([\w.]+)\s*==\s*['\"]([^'\"]*)['\"]\)\]")


def json_path(expression: str, obj: Any) -> list[Any]:
    """The values a printer column's JSONPath selects (`.spec.replicas`, `.items[0].name`,
    `.spec.containers[*].image`, `.status.conditions[?(@.type=="Ready")].status`)."""
    text = expression.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    values = [obj]
    at = 0
    while at < len(text):
        match = _STEP.match(text, at)
        if match is None:
            return []
        at = match.end()
        name, index, key, want = match.groups()
        values = list(_step(values, name, index, key, want))
    return values


def _step(
    values: Sequence[Any], name: str | None, index: str | None, key: str | None, want: str | None
) -> Iterator[Any]:
    for value in values:
        if name is not None:
            if isinstance(value, dict) and name in value:
                yield value[name]
        elif index is not None:
            if not isinstance(value, list):
                continue
            if index == "*":
                yield from value
            elif int(index) < len(value):
                yield value[int(index)]
        elif isinstance(value, list) and key is not None:
            yield from (
                item
                for item in value
                if str(objects.get_path(item, key) if isinstance(item, dict) else None) == want
            )


Cell = str | int | float | bool | None


def column_cell(column: PrinterColumn, obj: Obj, age: Callable[[str], str]) -> Cell:
    """A printer column's cell (cellForJSONValue): the first value its path selects, as the
    column's type; a date as the age since it."""
    found = json_path(column.json_path, obj)
    if not found:
        return None
    value = found[0]
    if column.type == "date":
        return age(value) if isinstance(value, str) else None
    if column.type == "integer":
        return (
            int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
        )
    if column.type == "number":
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if column.type == "boolean":
        return value if isinstance(value, bool) else None
    return value if isinstance(value, str) else str(value)
