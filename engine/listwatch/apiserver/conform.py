"""A decoded body held against its kind's schema, as decoding it into the Go type would hold it.

kube-apiserver decodes a body into the kind's Go struct: a value of the wrong JSON type is a
decode error ("json: cannot unmarshal string into Go struct field Pod.spec of type v1.PodSpec"),
so is an integer outside its Go type (int32 unless declared int64 below), a quantity that does
not parse or a timestamp that is not RFC 3339 (one that is comes back in UTC, to the second, or
to the microsecond for a MicroTime); a field the struct lacks is dropped ("unknown
field", a warning, or an error under fieldValidation=Strict); `null` is the field's zero value,
that is, absent. `conform` does the same from the OpenAPI schemas the server serves
(`schemas.py`), so the same schemas that `kubectl explain` reads decide what a write may hold:
a body of the served API (`server.messages`) and a manifest of `listwatch run` (`manifests`).

Guarantees: `conform_model` returns a copy in which every known field has its schema's type and
every `null` known field is gone (a `null` list item or map value is its zero value), and lists
the paths of the unknown fields it dropped, and the strict decoding errors Go's strict decoder
reports (unknown fields, and keys that repeat in a `RepeatedKeys` object) in Go's order; or it
raises `DecodeError`, whose text is what Go's decoder says and whose `path` is where (with indices:
`spec.containers[0].ports[0].containerPort`). No I/O here.

What the schemas cannot say is declared once here: which integers are int64, which strings are
quantities (a JSON number is one too, written back as text).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from listwatch.apiserver import schemas
from listwatch.clock import parse_rfc3339
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
#: Fields that are metav1.MicroTime (every other timestamp is a metav1.Time, to the second).
_MICRO_TIMES = frozenset({"eventTime", "lastObservedTime", "acquireTime", "renewTime"})
QUANTITY_PATTERN = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
_QUANTITY_SHAPE = re.compile(QUANTITY_PATTERN)
_QUANTITY_MAX_CHARS = 64
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


#: At most this many strict decoding errors are reported (sigs.k8s.io/json's limit).
MAX_STRICT_ERRORS = 100


class RepeatedKeys(dict[str, Any]):
    """A JSON object in which a key repeats, as a decoder read it: the last value of each key (Go's
    rule) and every key in document order, repeats included (`document_keys`), from which the
    strict decoding errors are reported in the order Go reports them."""

    __slots__ = ("document_keys",)

    def __init__(self, items: Mapping[str, Any], document_keys: list[str]) -> None:
        super().__init__(items)
        self.document_keys = document_keys


class DecodeError(ValueError):
    """The body cannot be decoded into the Go type; the text is Go's, `path` the field's (with
    indices; empty for the body itself). `unstructured` is what kube-apiserver's unstructured
    converter says instead (of the result of a strategic merge patch), where its words differ."""

    def __init__(self, message: str, *, path: str = "", unstructured: str = "") -> None:
        super().__init__(message)
        self.path = path
        self.unstructured = unstructured or message


@dataclass(frozen=True)
class StrictError:
    """A strict decoding error: `unknown field` or `duplicate field`, and the field's path as Go
    writes it (`spec.containers[0].imagee`, `metadata.labels.app`), as a tuple of names and list
    indices (`("spec", "containers", 0, "imagee")`)."""

    problem: str
    at: tuple[str | int, ...]

    def __str__(self) -> str:
        path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in self.at)
        return f'{self.problem} "{path.removeprefix(".")}"'


@dataclass
class Conformed:
    """The value as the Go type holds it, the paths of the fields it dropped as unknown, and the
    strict decoding errors (each once, at most MAX_STRICT_ERRORS) in document order."""

    value: Any
    unknown: list[str] = field(default_factory=list)
    strict: list[StrictError] = field(default_factory=list)


@dataclass(frozen=True)
class _At:
    """Where the decoder is: the innermost Go struct and the JSON path (without indices) from the
    root, the path with indices (for unknown-field reports) and the path as Go's strict decoder
    walks it (a map's key is a name there, not an index)."""

    struct: str
    path: str
    indexed: str
    strict: tuple[str | int, ...] = ()

    def child(self, name: str) -> _At:
        def join(base: str) -> str:
            return f"{base}.{name}" if base else name

        return _At(self.struct, join(self.path), join(self.indexed), (*self.strict, name))

    def item(self, index: int | str) -> _At:
        return _At(self.struct, self.path, f"{self.indexed}[{index}]", (*self.strict, index))


class _Found:
    """What a walk reports besides the value: unknown fields (for `Conformed.unknown`) and the
    strict decoding errors, each once."""

    def __init__(self) -> None:
        self.unknown: list[str] = []
        self.strict: dict[StrictError, None] = {}

    def add(self, problem: str, at: tuple[str | int, ...]) -> None:
        if len(self.strict) < MAX_STRICT_ERRORS:
            self.strict.setdefault(StrictError(problem, at))


def conform_model(model: str, value: Any) -> Conformed:
    """`value` decoded as the client model `model` (`V1Pod`, `V1Scale`, `V1Binding`, ...)."""
    document = schemas.model_schemas(model)
    root = schemas.served_name(model)
    found = _Found()
    result = _object(document, root, value, _At("", "", ""), found)
    return Conformed(result, found.unknown, list(found.strict))


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


def _go_kind(value: Any) -> str:
    """The reflect.Kind of a JSON value in a map[string]interface{} decoded with integers kept
    (`int64`, `float64`, `string`, `bool`, `map`, `slice`), as kube-apiserver's unstructured
    converter names it in its errors."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64" if INT64[0] <= value <= INT64[1] else "float64"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    return "slice" if isinstance(value, list) else "map"


def go_type(value: Any) -> str:
    """The Go type (`%T`) of a JSON value in a map[string]interface{} decoded with integers kept:
    `int64`, `[]interface {}`, `map[string]interface {}` ..."""
    kind = _go_kind(value)
    return {"slice": "[]interface {}", "map": "map[string]interface {}"}.get(kind, kind)


def _unstructured(value: Any, shape: str, go_type: str) -> str:
    """What the unstructured converter (runtime.DefaultUnstructuredConverter) says of `value` where
    the Go type is `go_type`, of the shape `struct`, `slice`, `map` or `scalar`."""
    kind = _go_kind(value)
    if shape == "struct":
        return f"cannot restore struct from: {kind}"
    if shape in ("slice", "map"):
        return f"cannot restore {shape} from {kind}"
    numeric = go_type in ("int32", "int64", "float64")
    if kind == "int64" and (numeric or go_type == "string"):
        return f"cannot convert int64 to {go_type}"
    if kind == "float64" and go_type in ("int32", "int64"):
        return f"cannot convert float64 to {go_type}"
    return f"unrecognized type: {go_type}"


def _mismatch(
    value: Any, at: _At, go_type: str, *, number: bool = False, shape: str = "scalar"
) -> DecodeError:
    shown = json_kind(value)
    unstructured = _unstructured(value, shape, go_type)
    if number:
        shown = f"number {value}"
        if not isinstance(value, float) or value.is_integer():
            unstructured = ""  # the converter takes it (into a wrapped int32); listwatch does not
    return DecodeError(
        f"json: cannot unmarshal {shown} into Go struct field {at.struct}.{at.path} of type "
        f"{go_type}",
        path=at.indexed,
        unstructured=unstructured,
    )


def _object(
    document: Mapping[str, Any], name: str, value: Any, at: _At, found: _Found
) -> dict[str, Any]:
    """A value of the named struct schema: a JSON object whose known fields conform. An unknown
    key is reported once, where it first appears; a repeated known key where it repeats."""
    schema = document[name]
    if not isinstance(value, dict):
        if not at.path:
            raise DecodeError(
                f"json: cannot unmarshal {json_kind(value)} into Go value of type v1.{_short(name)}"
            )
        raise _mismatch(value, at, f"v1.{_short(name)}", shape="struct")
    inside = _At(_short(name), at.path, at.indexed, at.strict)
    properties: Mapping[str, Any] = schema.get("properties") or {}
    out: dict[str, Any] = {}
    repeats = isinstance(value, RepeatedKeys)
    keys = value.document_keys if isinstance(value, RepeatedKeys) else value
    last = {key: i for i, key in enumerate(keys)} if repeats else {}
    seen: set[str] = set()
    for i, key in enumerate(keys):
        child = inside.child(key)
        node = properties.get(key)
        if node is None:
            if key not in seen:
                found.unknown.append(child.indexed)
                found.add("unknown field", child.strict)
        elif key in seen:
            found.add("duplicate field", child.strict)
        if repeats:
            seen.add(key)
            if last[key] != i:
                continue
        item = value[key]
        if node is None or item is None:
            continue  # null is the zero value: absent
        is_quantity = (name, key) in _QUANTITIES
        out[key] = _value(document, node, key, item, child, found, is_quantity=is_quantity)
    if repeats:
        out = {key: out[key] for key in value if key in out}
    return out


def _value(
    document: Mapping[str, Any],
    node: Mapping[str, Any],
    name: str,
    value: Any,
    at: _At,
    found: _Found,
    *,
    is_quantity: bool = False,
) -> Any:
    """`value` as the field `name` (schema `node`) holds it."""
    ref = _ref(node)
    if ref == schemas.INT_OR_STRING:
        return _int_or_string(value, at)
    if ref is not None:
        return _object(document, ref, value, at, found)
    kind = node.get("type")
    if kind == "array":
        if not isinstance(value, list):
            raise _mismatch(value, at, _go_type(document, node, name), shape="slice")
        items = node.get("items") or {}
        return [
            _zero(document, items, name)
            if item is None
            else _value(document, items, name, item, at.item(i), found, is_quantity=is_quantity)
            for i, item in enumerate(value)
        ]
    if kind == "object":
        inner = node.get("additionalProperties")
        if not isinstance(value, dict):
            raise _mismatch(value, at, _go_type(document, node, name), shape="map")
        if not isinstance(inner, dict):
            return value  # free-form (FieldsV1): any object
        if isinstance(value, RepeatedKeys):
            seen: set[str] = set()
            for key in value.document_keys:
                if key in seen:
                    found.add("duplicate field", (*at.strict, key))
                seen.add(key)
        return {
            key: _zero(document, inner, name)
            if item is None
            else _value(document, inner, name, item, at.item(key), found, is_quantity=is_quantity)
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
        if node.get("format") == "date-time":
            return _time(value, name, at)
        return value
    return value


def _time(value: str, name: str, at: _At) -> str:
    """A timestamp as metav1.Time (or MicroTime) decodes and encodes it: any RFC 3339 offset
    read, written back in UTC, to the second (Time) or the microsecond (MicroTime)."""
    try:
        if not _RFC3339.match(value):
            raise ValueError(value)
        moment = parse_rfc3339(value)
    except ValueError:
        raise DecodeError(
            f'parsing time "{value}" as "2006-01-02T15:04:05Z07:00": cannot parse "{value}" '
            'as "2006"',
            path=at.indexed,
        ) from None
    if name in _MICRO_TIMES:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


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
