"""A decoded body held against its kind's schema, as decoding it into the Go type would hold it.

kube-apiserver decodes a body into the kind's Go struct: a value of the wrong JSON type is a
decode error ("json: cannot unmarshal string into Go struct field Pod.spec of type v1.PodSpec"),
so is an integer outside its Go type (int32 unless declared int64 below), a quantity that does
not parse or a timestamp that is not RFC 3339; a field the struct lacks is dropped ("unknown
field", a warning, or an error under fieldValidation=Strict); `null` is the field's zero value,
that is, absent. `conform` does the same from the OpenAPI schemas the server serves
(`schemas.py`), so the same schemas that `kubectl explain` reads decide what a write may hold:
a body of the served API (`server.messages`) and a manifest of `listwatch run` (`manifests`).

Guarantees: `conform_model` returns a copy in which every known field has its schema's type and
every `null` known field is gone (a `null` list item or map value is its zero value), and lists
the paths of the unknown fields it dropped; or it raises `DecodeError`, whose text is what Go's
decoder says and whose `path` is where (with indices: `spec.containers[0].ports[0].containerPort`).
No I/O here.

What the schemas cannot say is declared once here: which integers are int64, which strings are
quantities (a JSON number is one too, written back as text).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from listwatch.apiserver import schemas
from listwatch.rules import quantity as quantities

_REF = "#/components/schemas/"
INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
#: Integer fields that are int64 in k8s.io/api (every other integer is an int32).
_INT64_FIELDS = frozenset(
    {
        "activeDeadlineSeconds",
        "deletionGracePeriodSeconds",
        "expirationSeconds",
        "fsGroup",
        "generation",
        "gracePeriodSeconds",
        "observedGeneration",
        "runAsGroup",
        "runAsUser",
        "supplementalGroups",
        "terminationGracePeriodSeconds",
        "tolerationSeconds",
    }
)
#: (schema, property) pairs whose values are resource.Quantity (a map of them, or one).
_QUANTITIES = frozenset(
    {
        ("io.k8s.api.core.v1.ResourceRequirements", "limits"),
        ("io.k8s.api.core.v1.ResourceRequirements", "requests"),
        ("io.k8s.api.core.v1.VolumeResourceRequirements", "limits"),
        ("io.k8s.api.core.v1.VolumeResourceRequirements", "requests"),
        ("io.k8s.api.core.v1.NodeStatus", "capacity"),
        ("io.k8s.api.core.v1.NodeStatus", "allocatable"),
        ("io.k8s.api.core.v1.PodSpec", "overhead"),
        ("io.k8s.api.core.v1.ContainerStatus", "allocatedResources"),
        ("io.k8s.api.core.v1.EmptyDirVolumeSource", "sizeLimit"),
    }
)
QUANTITY_PATTERN = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
_QUANTITY_SHAPE = re.compile(QUANTITY_PATTERN)
_QUANTITY_MAX_CHARS = 64
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


class DecodeError(ValueError):
    """The body cannot be decoded into the Go type; the text is Go's, `path` the field's (with
    indices; empty for the body itself)."""

    def __init__(self, message: str, *, path: str = "") -> None:
        super().__init__(message)
        self.path = path


@dataclass
class Conformed:
    """The value as the Go type holds it, and the paths of the fields it dropped as unknown."""

    value: Any
    unknown: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _At:
    """Where the decoder is: the innermost Go struct and the JSON path (without indices) from the
    root, and the path with indices (for unknown-field reports)."""

    struct: str
    path: str
    indexed: str

    def child(self, name: str) -> _At:
        def join(base: str) -> str:
            return f"{base}.{name}" if base else name

        return _At(self.struct, join(self.path), join(self.indexed))

    def item(self, index: int | str) -> _At:
        return _At(self.struct, self.path, f"{self.indexed}[{index}]")


def conform_model(model: str, value: Any) -> Conformed:
    """`value` decoded as the client model `model` (`V1Pod`, `V1Scale`, `V1Binding`, ...)."""
    document = schemas.model_schemas(model)
    root = schemas.served_name(model)
    out = Conformed(None)
    out.value = _object(document, root, value, _At("", "", ""), out.unknown)
    return out


def _short(name: str) -> str:
    return name.rpartition(".")[2]


def _go_type(document: Mapping[str, Any], node: Mapping[str, Any], name: str) -> str:
    """The Go type a schema node decodes into, as encoding/json names it in errors."""
    ref = _ref(node)
    if ref is not None:
        if ref == schemas.INT_OR_STRING:
            return "intstr.IntOrString"
        return f"v1.{_short(ref)}"
    kind = node.get("type")
    if kind == "array":
        return "[]" + _go_type(document, node.get("items") or {}, name)
    if kind == "object":
        inner = node.get("additionalProperties")
        if isinstance(inner, dict):
            return "map[string]" + _go_type(document, inner, name)
        return "map[string]interface {}"
    if kind == "integer":
        return "int64" if name in _INT64_FIELDS else "int32"
    if kind == "number":
        return "float64"
    if kind == "boolean":
        return "bool"
    if node.get("format") == "date-time":
        return "v1.Time"
    return "string"


def _ref(node: Mapping[str, Any]) -> str | None:
    for part in node.get("allOf") or ():
        target = part.get("$ref", "")
        if target.startswith(_REF):
            return str(target[len(_REF) :])
    return None


def json_kind(value: Any) -> str:
    """What Go's decoder calls a JSON value's kind in its errors (`string`, `number`,
    `array`...)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else "null"


def _mismatch(value: Any, at: _At, go_type: str, *, number: bool = False) -> DecodeError:
    shown = json_kind(value)
    if number:
        shown = f"number {value}"
    return DecodeError(
        f"json: cannot unmarshal {shown} into Go struct field {at.struct}.{at.path} of type "
        f"{go_type}",
        path=at.indexed,
    )


def _object(
    document: Mapping[str, Any], name: str, value: Any, at: _At, unknown: list[str]
) -> dict[str, Any]:
    """A value of the named struct schema: a JSON object whose known fields conform."""
    schema = document[name]
    if not isinstance(value, dict):
        if not at.path:
            raise DecodeError(
                f"json: cannot unmarshal {json_kind(value)} into Go value of type v1.{_short(name)}"
            )
        raise _mismatch(value, at, f"v1.{_short(name)}")
    inside = _At(_short(name), at.path, at.indexed)
    properties: Mapping[str, Any] = schema.get("properties") or {}
    out: dict[str, Any] = {}
    for key, item in value.items():
        node = properties.get(key)
        if node is None:
            unknown.append(inside.child(key).indexed)
            continue
        if item is None:
            continue  # null is the zero value: absent
        child = inside.child(key)
        is_quantity = (name, key) in _QUANTITIES
        out[key] = _value(document, node, key, item, child, unknown, is_quantity=is_quantity)
    return out


def _value(
    document: Mapping[str, Any],
    node: Mapping[str, Any],
    name: str,
    value: Any,
    at: _At,
    unknown: list[str],
    *,
    is_quantity: bool = False,
) -> Any:
    """`value` as the field `name` (schema `node`) holds it."""
    ref = _ref(node)
    if ref == schemas.INT_OR_STRING:
        return _int_or_string(value, at)
    if ref is not None:
        return _object(document, ref, value, at, unknown)
    kind = node.get("type")
    if kind == "array":
        if not isinstance(value, list):
            raise _mismatch(value, at, _go_type(document, node, name))
        items = node.get("items") or {}
        return [
            _zero(document, items, name)
            if item is None
            else _value(document, items, name, item, at.item(i), unknown, is_quantity=is_quantity)
            for i, item in enumerate(value)
        ]
    if kind == "object":
        inner = node.get("additionalProperties")
        if not isinstance(value, dict):
            raise _mismatch(value, at, _go_type(document, node, name))
        if not isinstance(inner, dict):
            return value  # free-form (FieldsV1): any object
        return {
            key: _zero(document, inner, name)
            if item is None
            else _value(document, inner, name, item, at.item(key), unknown, is_quantity=is_quantity)
            for key, item in value.items()
        }
    if is_quantity:
        return _quantity(value, at)
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _mismatch(value, at, _go_type(document, node, name))
        low, high = INT64 if name in _INT64_FIELDS else INT32
        if isinstance(value, float) or not low <= value <= high:
            raise _mismatch(value, at, _go_type(document, node, name), number=True)
        return value
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _mismatch(value, at, "float64")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _mismatch(value, at, "bool")
        return value
    if kind == "string":
        if not isinstance(value, str):
            if node.get("format") == "date-time":
                raise DecodeError(
                    f"json: cannot unmarshal {json_kind(value)} into Go value of type string",
                    path=at.indexed,
                )
            raise _mismatch(value, at, "string")
        if node.get("format") == "date-time" and not _RFC3339.match(value):
            raise DecodeError(
                f'parsing time "{value}" as "2006-01-02T15:04:05Z07:00": cannot parse "{value}" '
                'as "2006"',
                path=at.indexed,
            )
        return value
    return value


def _zero(document: Mapping[str, Any], node: Mapping[str, Any], name: str) -> Any:
    """The zero value Go gives a `null` list item or map value."""
    if _ref(node) is not None and _ref(node) != schemas.INT_OR_STRING:
        return {}
    return {"integer": 0, "number": 0, "boolean": False, "array": [], "object": {}}.get(
        str(node.get("type")), ""
    )


def _int_or_string(value: Any, at: _At) -> int | str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and INT32[0] <= value <= INT32[1]:
        return value
    shown = (
        f"number {value}"
        if isinstance(value, int | float) and not isinstance(value, bool)
        else json_kind(value)
    )
    raise DecodeError(
        f"json: cannot unmarshal {shown} into Go value of type int32", path=at.indexed
    )


def _quantity(value: Any, at: _At) -> str:
    """A resource quantity: a string or a JSON number that parses as one; its text. Go's Quantity
    saturates its int64 milli-value; listwatch refuses a quantity whose milli-value does not fit
    (its scheduler counts in exact integers)."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    elif isinstance(value, int | float | str):
        text = str(value)
    else:
        text = json_kind(value)
    shape = f"quantities must match the regular expression '{QUANTITY_PATTERN}'"
    if len(text) > _QUANTITY_MAX_CHARS or not _QUANTITY_SHAPE.match(text):
        raise DecodeError(shape, path=at.indexed)
    try:
        amount = quantities.parse(text)
    except ValueError:
        raise DecodeError("unable to parse quantity's suffix", path=at.indexed) from None
    if not amount.is_finite() or abs(amount.adjusted()) > 18 or abs(amount) * 1000 > INT64[1]:
        raise DecodeError(
            f"quantity {text!r} is too large (listwatch: its milli-value must fit an int64)",
            path=at.indexed,
        )
    return text
