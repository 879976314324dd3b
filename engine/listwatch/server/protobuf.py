"""Kubernetes' protobuf encoding (`application/vnd.kubernetes.protobuf`) of API objects, to and from
the dicts the JSON path reads and writes.

A body is the 4-byte magic `k8s\\x00` and then a `runtime.Unknown` message: typeMeta {apiVersion,
kind}, raw (the object's own message), contentEncoding, contentType. A watch stream
(`;stream=watch`) is a sequence of frames, each a 4-byte big-endian length and a `metav1.WatchEvent`
message {type, object: RawExtension {raw: the object as a body, magic included}}. Each type's
fields (numbers, wire types, JSON names) come from the fact table (`apiserver.apitypes`), extracted
from the v1.32 sources; types without facts (a CRD's kinds) have no protobuf form.

Decoding gives what the JSON path would read from the JSON encoding of the same Go value: a zero
scalar the Go field would omit (`omitempty`) is left out, a pointer's zero is kept, a field Go
always writes is there (`null` for an empty Time or list). The types whose JSON is not their
message: Time and MicroTime (`{seconds, nanos}` <-> RFC 3339, microseconds for MicroTime), Duration
(nanoseconds <-> `1h2m3s`), Quantity (a string), IntOrString (`{type, intVal, strVal}` <-> a number
or a string), FieldsV1 and RawExtension (JSON bytes, or a protobuf object in a watch event),
`[]byte` (base64 in JSON) and the named slices carried as `{items}` (Verbs).

The wire format is four wire types (varint, 64-bit, length-delimited, 32-bit), written here
directly: the mapping to Kubernetes' JSON (inlined structs, omitempty, the special types) has to be
written either way, and run-time descriptors for the `protobuf` package would add a dependency to
save a few dozen lines. Errors are `DecodeError`s worded as Go's gogo-protobuf code words them.
"""

from __future__ import annotations

import base64
import functools
import json
import operator
import re
import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from listwatch.apiserver import apitypes
from listwatch.apiserver.apitypes import META, Field
from listwatch.clock import parse_rfc3339

MEDIA_TYPE = "application/vnd.kubernetes.protobuf"
WATCH_MEDIA_TYPE = f"{MEDIA_TYPE};stream=watch"
MAGIC = b"k8s\x00"

TIME = f"{META}.Time"
MICRO_TIME = f"{META}.MicroTime"
DURATION = f"{META}.Duration"
FIELDS_V1 = f"{META}.FieldsV1"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
INT_OR_STRING = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
RAW_EXTENSION = "io.k8s.apimachinery.pkg.runtime.RawExtension"
WATCH_EVENT = f"{META}.WatchEvent"

_VARINT, _FIXED64, _BYTES, _FIXED32 = 0, 1, 2, 5
_SCALAR_WIRE = {
    "string": _BYTES,
    "bytes": _BYTES,
    "int32": _VARINT,
    "int64": _VARINT,
    "uint32": _VARINT,
    "uint64": _VARINT,
    "bool": _VARINT,
    "double": _FIXED64,
    "float": _FIXED32,
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SMALL = [bytes([n]) for n in range(0x80)]
_NUMBER = operator.attrgetter("number")
#: The scheme kube-apiserver names when a body's kind is not one it has.
_SCHEME = "k8s.io/kubernetes/pkg/api/legacyscheme/scheme.go:30"


class DecodeError(ValueError):
    """A body that is not a protobuf object of a known kind; `gvk` is (apiVersion, kind) once the
    envelope was read (kube-apiserver then words its 400 differently)."""

    def __init__(self, message: str, gvk: tuple[str, str] | None = None) -> None:
        super().__init__(message)
        self.gvk = gvk


# -- objects -------------------------------------------------------------------------------------


def type_of(obj: Mapping[str, Any]) -> str | None:
    """The served type name of an object (by its apiVersion and kind), or None when it has no
    protobuf form."""
    kind, version = obj.get("kind"), obj.get("apiVersion")
    if not isinstance(kind, str) or not isinstance(version, str) or not kind:
        return None
    return apitypes.type_name(version, kind)


def encode(obj: Mapping[str, Any]) -> bytes:
    """An object (with kind and apiVersion) as a protobuf body; ValueError when its kind has no
    protobuf form."""
    name = type_of(obj)
    if name is None:
        raise ValueError(f"no protobuf form for {obj.get('apiVersion')}/{obj.get('kind')}")
    envelope = bytearray(MAGIC)
    type_meta = _string_field(1, obj["apiVersion"]) + _string_field(2, obj["kind"])
    envelope += _length_field(1, type_meta)
    envelope += _length_field(2, encode_message(name, obj))
    envelope += _string_field(3, "") + _string_field(4, "")
    return bytes(envelope)


def decode(body: bytes, *, default_api_version: str = "v1", default_kind: str = "") -> Any:
    """A protobuf body as the dict its JSON encoding decodes to, kind and apiVersion included (from
    the envelope, else the defaults, as kube-apiserver defaults them from the resource)."""
    if not body:
        raise DecodeError("empty data")
    if body[: len(MAGIC)] != MAGIC:
        raise DecodeError(
            "provided data does not appear to be a protobuf message, expected prefix "
            f"[{' '.join(str(b) for b in MAGIC)}]"
        )
    envelope = _fields(body[len(MAGIC) :], "Unknown")
    type_meta = _fields(_bytes_of(envelope.get(1), "Unknown", "TypeMeta"), "TypeMeta")
    api_version = _text(type_meta.get(1), "TypeMeta", "APIVersion") or default_api_version
    kind = _text(type_meta.get(2), "TypeMeta", "Kind") or default_kind
    gvk = (api_version, kind)
    encoding = _text(envelope.get(3), "Unknown", "ContentEncoding")
    if encoding:
        raise DecodeError(f"unsupported content encoding {encoding!r}", gvk)
    name = apitypes.type_name(api_version, kind)
    if name is None:
        raise DecodeError(
            f'no kind "{kind}" is registered for version "{api_version}" in scheme "{_SCHEME}"',
            gvk,
        )
    raw = _bytes_of(envelope.get(2), "Unknown", "Raw")
    try:
        value = decode_message(name, raw)
    except (ValueError, TypeError, OverflowError, struct.error) as exc:
        raise DecodeError(str(exc), gvk) from None  # DecodeError is a ValueError
    return {"kind": kind, "apiVersion": api_version, **value}


def watch_frame(event_type: str, obj: Mapping[str, Any]) -> bytes:
    """One watch event as a frame of a protobuf watch stream."""
    raw = _length_field(1, encode(obj))
    event = _string_field(1, event_type) + _length_field(2, raw)
    return struct.pack(">I", len(event)) + event


def read_watch_frames(stream: bytes) -> Iterator[tuple[str, Any]]:
    """The (type, object) of each whole frame of a protobuf watch stream (for clients and tests)."""
    pos = 0
    while pos + 4 <= len(stream):
        (size,) = struct.unpack(">I", stream[pos : pos + 4])
        if pos + 4 + size > len(stream):
            return
        event = decode_message(WATCH_EVENT, stream[pos + 4 : pos + 4 + size])
        pos += 4 + size
        yield event.get("type", ""), event.get("object")


# -- messages ------------------------------------------------------------------------------------


def encode_message(name: str, value: Mapping[str, Any]) -> bytes:
    """The fields of `value` (a dict in the JSON form of type `name`) as a protobuf message."""
    found = apitypes.facts(name)
    if found is None:
        raise ValueError(f"no protobuf facts for {name}")
    out = bytearray()
    present = [f for key in value if (f := found.by_json.get(key)) is not None]
    if found.inline:
        present.extend(found.inline)
    for f in sorted(present, key=_NUMBER):
        if f.inline:
            out += _length_field(f.number, encode_message(f.type, value))
            continue
        given = value.get(f.json)
        if given is None:
            if f.type in (TIME, MICRO_TIME) and not f.pointer and f.json in value:
                out += _length_field(f.number, b"")  # the zero time, which JSON writes as null
            continue
        if f.label == "rep":
            if not isinstance(given, list):
                raise ValueError(f"{name}.{f.json}: expected a list")
            for item in given:
                out += _single(f.number, f.type, item)
        elif f.label == "map":
            if not isinstance(given, Mapping):
                raise ValueError(f"{name}.{f.json}: expected a map")
            for key in sorted(given):
                entry = _string_field(1, str(key))
                if given[key] is not None:
                    entry += _single(2, f.type, given[key])
                out += _length_field(f.number, entry)
        else:
            out += _single(f.number, f.type, given)
    return bytes(out)


def _single(number: int, ptype: str, value: Any) -> bytes:
    wire = _SCALAR_WIRE.get(ptype)
    if wire is None:
        return _length_field(number, _message_value(ptype, value))
    key = _key(number, wire)
    if ptype == "string":
        data = str(value).encode()
        return key + _varint(len(data)) + data
    if ptype == "bytes":
        data = base64.b64decode(value) if isinstance(value, str) else bytes(value)
        return key + _varint(len(data)) + data
    if ptype == "bool":
        return key + _varint(1 if value else 0)
    if ptype == "double":
        return key + struct.pack("<d", float(value))
    if ptype == "float":
        return key + struct.pack("<f", float(value))
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ValueError(f"{value!r} is not an integer")
    return key + _varint(int(value) & 0xFFFFFFFFFFFFFFFF)


def _message_value(ptype: str, value: Any) -> bytes:
    """The message bytes of a field of a message type, its JSON form being `value`."""
    if ptype in (TIME, MICRO_TIME):
        moment = parse_rfc3339(_trim_fraction(str(value)))
        seconds = (moment - _EPOCH) // timedelta(seconds=1)
        nanos = moment.microsecond * 1000 if ptype == MICRO_TIME else 0
        return _int_field(1, seconds) + _int_field(2, nanos)
    if ptype == DURATION:
        return _int_field(1, parse_duration(str(value)))
    if ptype == QUANTITY:
        return _string_field(1, str(value))
    if ptype == INT_OR_STRING:
        if isinstance(value, str):
            return _int_field(1, 1) + _int_field(2, 0) + _string_field(3, value)
        return _int_field(1, 0) + _int_field(2, int(value)) + _string_field(3, "")
    if ptype in (FIELDS_V1, RAW_EXTENSION):
        return _length_field(1, json.dumps(value, separators=(",", ":")).encode())
    found = apitypes.facts(ptype)
    if found is not None and found.items:
        return encode_message(ptype, {"items": value})
    if not isinstance(value, Mapping):
        raise ValueError(f"{ptype}: expected an object")
    return encode_message(ptype, value)


def decode_message(name: str, data: bytes) -> dict[str, Any]:
    """A protobuf message of type `name` as the dict the JSON encoding of the same Go value
    decodes to (see the module docstring)."""
    plan = _plan(name)
    by_number = plan.by_number
    short = plan.short
    result: dict[str, Any] = {}
    seen: set[int] = set()
    for number, wire, raw in _records(data, short):
        f = by_number.get(number)
        if f is None:
            continue  # an unknown field is skipped, as the generated code skips it
        seen.add(number)
        expected = _SCALAR_WIRE.get(f.type, _BYTES)
        packed = f.label == "rep" and wire == _BYTES and expected != _BYTES
        if wire != expected and not packed:
            raise DecodeError(f"proto: wrong wireType = {wire} for field {f.go}")
        if f.inline:
            result.update(decode_message(f.type, _as_bytes(raw)))
        elif f.label == "rep":
            items = result.setdefault(f.json, [])
            if packed:
                items.extend(_unpacked(f.type, _as_bytes(raw), short))
            else:
                items.append(_value(f.type, raw, short))
        elif f.label == "map":
            entry = dict(((n, r) for n, _, r in _records(_as_bytes(raw), short)))
            key = _text(entry.get(1), short, f.go)
            result.setdefault(f.json, {})[key] = (
                _value(f.type, entry[2], short) if 2 in entry else _zero(f.type)
            )
        else:
            result[f.json] = _value(f.type, raw, short)
    for f in plan.written:
        if f.number not in seen:
            result[f.json] = _zero(f.type) if f.label == "opt" else None  # null: a nil slice
    for number in seen & plan.omitted:
        f = by_number[number]
        if _is_zero(result[f.json], f.type):
            del result[f.json]  # omitempty: the JSON encoding leaves it out
    return result


@dataclass(frozen=True)
class _Plan:
    """How a type's message becomes its JSON form: its fields by number, those JSON writes even
    when Go did not send them (`written`), and the numbers of those whose zero JSON leaves out."""

    short: str
    by_number: Mapping[int, Field]
    written: tuple[Field, ...]
    omitted: frozenset[int]


@functools.cache
def _plan(name: str) -> _Plan:
    found = apitypes.facts(name)
    if found is None:
        raise DecodeError(f"no protobuf facts for {name}")
    plain = [f for f in found.fields if not f.inline and not f.pointer]
    opt = [f for f in plain if f.label == "opt" and f.type not in (TIME, MICRO_TIME)]
    return _Plan(
        name.rpartition(".")[2],
        {f.number: f for f in found.fields},
        tuple(f for f in plain if f.always and (f.label != "opt" or f in opt)),
        frozenset(f.number for f in opt if not f.always),
    )


def _value(ptype: str, raw: int | bytes, where: str) -> Any:
    if isinstance(raw, int):
        return _scalar_number(ptype, raw)
    if ptype == "string":
        return raw.decode("utf-8", errors="replace")
    if ptype == "bytes":
        return base64.b64encode(raw).decode()
    if ptype in ("double", "float"):
        return struct.unpack("<d" if len(raw) == 8 else "<f", raw)[0]
    if ptype in (TIME, MICRO_TIME):
        parts = _fields(raw, ptype.rpartition(".")[2])
        seconds = _signed(int(parts.get(1, 0)), 64)
        nanos = int(parts.get(2, 0))
        if not raw:
            return None  # the zero time: JSON null
        moment = _EPOCH + timedelta(seconds=seconds, microseconds=nanos // 1000)
        if ptype == MICRO_TIME:
            return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if ptype == DURATION:
        return format_duration(_signed(int(_fields(raw, "Duration").get(1, 0)), 64))
    if ptype == QUANTITY:
        return _text(_fields(raw, "Quantity").get(1), "Quantity", "String")
    if ptype == INT_OR_STRING:
        parts = _fields(raw, "IntOrString")
        if int(parts.get(1, 0)) == 1:
            return _text(parts.get(3), "IntOrString", "StrVal")
        return _signed(int(parts.get(2, 0)), 32)
    if ptype in (FIELDS_V1, RAW_EXTENSION):
        inner = _bytes_of(_fields(raw, ptype.rpartition(".")[2]).get(1), where, "Raw")
        if not inner:
            return None
        if inner[: len(MAGIC)] == MAGIC:
            return decode(inner)
        try:
            return json.loads(inner)
        except ValueError as exc:
            raise DecodeError(f"invalid JSON in {ptype.rpartition('.')[2]}: {exc}") from None
    found = apitypes.facts(ptype)
    if found is not None and found.items:
        return decode_message(ptype, raw).get("items") or []
    return decode_message(ptype, raw)


def _unpacked(ptype: str, data: bytes, where: str) -> list[Any]:
    values: list[Any] = []
    pos = 0
    while pos < len(data):
        if ptype == "double":
            values.append(struct.unpack("<d", _take(data, pos, 8))[0])
            pos += 8
        elif ptype == "float":
            values.append(struct.unpack("<f", _take(data, pos, 4))[0])
            pos += 4
        else:
            number, pos = _read_varint(data, pos)
            values.append(_scalar_number(ptype, number))
    return values


def _scalar_number(ptype: str, number: int) -> Any:
    if ptype == "bool":
        return number != 0
    if ptype == "int32":
        return _signed(number, 32)
    if ptype == "int64":
        return _signed(number, 64)
    if ptype in ("uint32", "uint64"):
        return number
    raise DecodeError(f"proto: wrong wireType = 0 for a {ptype} field")


def _zero(ptype: str) -> Any:
    if ptype == "string":
        return ""
    if ptype == "bool":
        return False
    if ptype in ("int32", "int64", "uint32", "uint64", "double", "float"):
        return 0
    if ptype in (TIME, MICRO_TIME, "bytes", FIELDS_V1, RAW_EXTENSION):
        return None
    if ptype in (QUANTITY, DURATION):
        return "0" if ptype == QUANTITY else "0s"
    if ptype == INT_OR_STRING:
        return 0
    return {}


def _is_zero(value: Any, ptype: str) -> bool:
    if ptype in _SCALAR_WIRE:
        return value in ("", 0, False) and not isinstance(value, dict)
    return value is None


def _signed(number: int, bits: int) -> int:
    number &= (1 << bits) - 1
    return number - (1 << bits) if number >> (bits - 1) else number


# -- the wire ------------------------------------------------------------------------------------


@functools.cache
def _key(number: int, wire: int) -> bytes:
    return _varint(number << 3 | wire)


def _varint(number: int) -> bytes:
    if 0 <= number < 0x80:
        return _SMALL[number]
    out = bytearray()
    while True:
        low = number & 0x7F
        number >>= 7
        if number:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _int_field(number: int, value: int) -> bytes:
    return _varint(number << 3 | _VARINT) + _varint(value & 0xFFFFFFFFFFFFFFFF)


def _length_field(number: int, data: bytes) -> bytes:
    return _key(number, _BYTES) + _varint(len(data)) + data


def _string_field(number: int, text: str) -> bytes:
    return _length_field(number, text.encode())


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    number = shift = 0
    while True:
        if shift >= 64:
            raise DecodeError("proto: integer overflow")
        if pos >= len(data):
            raise DecodeError("unexpected EOF")
        byte = data[pos]
        pos += 1
        number |= (byte & 0x7F) << shift
        if byte < 0x80:
            return number, pos
        shift += 7


def _take(data: bytes, pos: int, size: int) -> bytes:
    if pos + size > len(data):
        raise DecodeError("unexpected EOF")
    return data[pos : pos + size]


def _records(data: bytes, where: str) -> Iterator[tuple[int, int, int | bytes]]:
    """Each (field number, wire type, value) of a message: an int for a varint, bytes otherwise."""
    pos = 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if number <= 0:
            raise DecodeError(f"proto: {where}: illegal tag {number} (wire type {wire})")
        if wire == _VARINT:
            value, pos = _read_varint(data, pos)
            yield number, wire, value
        elif wire == _FIXED64:
            yield number, wire, _take(data, pos, 8)
            pos += 8
        elif wire == _FIXED32:
            yield number, wire, _take(data, pos, 4)
            pos += 4
        elif wire == _BYTES:
            size, pos = _read_varint(data, pos)
            if size < 0:
                raise DecodeError("proto: negative length found during unmarshaling")
            yield number, wire, _take(data, pos, size)
            pos += size
        else:
            raise DecodeError(f"proto: {where}: illegal wireType {wire}")


def _fields(data: bytes, where: str) -> dict[int, int | bytes]:
    """The last value of each field of a small message (the envelope, a Time)."""
    return {number: value for number, _, value in _records(data, where)}


def _as_bytes(raw: int | bytes) -> bytes:
    if isinstance(raw, int):
        raise DecodeError("proto: wrong wireType = 0 for a message field")
    return raw


def _bytes_of(raw: int | bytes | None, where: str, name: str) -> bytes:
    if raw is None:
        return b""
    if isinstance(raw, int):
        raise DecodeError(f"proto: wrong wireType = 0 for field {name}")
    return raw


def _text(raw: int | bytes | None, where: str, name: str) -> str:
    return _bytes_of(raw, where, name).decode("utf-8", errors="replace")


# -- Go's durations and timestamps ---------------------------------------------------------------

_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": 10**9}
_UNITS.update({"m": 60 * 10**9, "h": 3600 * 10**9})
_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")
_FRACTION = re.compile(r"(\.[0-9]{6})[0-9]+")


def parse_duration(text: str) -> int:
    """A Go duration string (`1h2m3.5s`) in nanoseconds; ValueError when it is not one."""
    sign = -1 if text.startswith("-") else 1
    rest = text.lstrip("+-")
    if rest == "0":
        return 0
    total, pos = 0.0, 0
    for m in _DURATION_PART.finditer(rest):
        if m.start() != pos or m.group(1) in ("", "."):
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(rest) or not rest:
        raise ValueError(f'time: invalid duration "{text}"')
    return sign * round(total)


def format_duration(nanos: int) -> str:
    """Nanoseconds as Go's Duration.String writes them (`1h0m0s`, `1.5s`, `300ms`)."""
    if nanos == 0:
        return "0s"
    sign, nanos = ("-", -nanos) if nanos < 0 else ("", nanos)
    if nanos < 10**9:
        for unit, size in (("ms", 10**6), ("µs", 10**3), ("ns", 1)):
            if nanos >= size:
                return sign + _decimal(nanos, size) + unit
    hours, rest = divmod(nanos, 3600 * 10**9)
    minutes, rest = divmod(rest, 60 * 10**9)
    text = _decimal(rest, 10**9) + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{text}"
    if minutes:
        return f"{sign}{minutes}m{text}"
    return sign + text


def _decimal(value: int, unit: int) -> str:
    whole, fraction = divmod(value, unit)
    if not fraction:
        return str(whole)
    digits = str(fraction).rjust(len(str(unit)) - 1, "0").rstrip("0")
    return f"{whole}.{digits}"


def _trim_fraction(stamp: str) -> str:
    """A timestamp with at most microseconds (Python's parser reads no more)."""
    return _FRACTION.sub(r"\1", stamp)
