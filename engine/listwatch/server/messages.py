"""Requests and responses of the served API as data, and how their parts are read.

`Request` is an authenticated request with its body read; `Response` is what goes back, whole or
as the head of a stream (`Streamed`). The readers here turn a request's parts into API values
with kube-apiserver's errors (v1.32, k8s.io/apiserver/pkg/endpoints/handlers). Every body is
decoded in one place (`strictjson`, as Go's decoder reads JSON) and held against its type
(`conformed`, through `apiserver.conform` and the kinds' OpenAPI schemas, which `listwatch run`
holds manifests against too) before any of it reaches the API server:
- a fieldValidation kube-apiserver does not take is 422 (`CreateOptions.meta.k8s.io "" is
  invalid: ...`, UpdateOptions for a PUT, PatchOptions for a PATCH);
- a body that is not JSON (or not an object with a string kind) is 400 `the object provided is
  unrecognized (must be of type Pod): couldn't get version/kind; json parse error: ... (<the
  body's first 30 bytes>)`;
- a value of the wrong type, an integer out of its Go type's range, a bad quantity is 400
  `Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal ...` for a body, and
  the 422 `"" is invalid: patch: Invalid value: ...` for the result of a patch;
- unknown and repeated fields are dropped (the last repeat kept) with a `Warning` header each, or
  refused under fieldValidation=Strict, all in one message in Go's order;
- a patch body is read as handlers/patch.go reads it (`patch_body`), and a JSON patch that does
  not apply is the generic 422 `the server rejected our request due to an error in our request`;
- an Accept header naming nothing the server writes is 406, a bad integer parameter is 400.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import jsonpatch

from listwatch import errors
from listwatch.apiserver import (
    apitypes,
    conform,
    crds,
    listoptions,
    objects,
    schemas,
    shapes,
)
from listwatch.apiserver.deletion import DeleteOptions
from listwatch.apiserver.fields import go_quote
from listwatch.apiserver.resources import Resource
from listwatch.apiserver.watchcache import WatchEvent
from listwatch.server import protobuf, routes, strictjson, tables
from listwatch.server.watchstream import DEFAULT_TIMEOUT_SECONDS, WatchStream
from listwatch.server.websocket import WebSocket
from listwatch.spec.yamlread import parse_yaml

#: kube-apiserver's limit on a request body (its MaxRequestBodyBytes).
MAX_BODY_BYTES = 3 * 1024 * 1024
JSON = "application/json"


@dataclass
class PatchBody:
    """A PATCH body as `patch_body` read it: its format ("json", "merge" or "strategic"), its value
    and its strict decoding errors (repeated keys; unknown fields of JSON patch operations), which
    kube-apiserver reports together with those of the patched object."""

    format: str = ""
    value: Any = None
    strict: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Request:
    """An authenticated request, its body read (at most MAX_BODY_BYTES)."""

    method: str
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)  # names in lower case
    body: bytes = b""
    #: Every query parameter in order, repeats included (`command` of pods/exec repeats); `query`
    #: keeps the last value of each.
    pairs: tuple[tuple[str, str], ...] = ()
    #: Warnings for the answer's `Warning` headers (unknown and duplicate fields), added while
    #: the request is answered.
    warnings: list[str] = field(default_factory=list)
    #: A PATCH body as `patch_body` read it, for `conformed_patch`.
    patch: PatchBody = field(default_factory=PatchBody)

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    def values(self, name: str) -> list[str]:
        """Every value of a query parameter, in order."""
        return [value for key, value in self.pairs if key == name]


#: What takes over a WebSocket request (pods/exec): given the WebSocket, it answers the handshake
#: and speaks over it until it returns (on a worker thread).
Upgrade = Callable[[WebSocket], None]


@dataclass
class Response:
    """A whole response (`body`), the head of a streamed one (`stream` yields its chunks), or the
    hand-over of the connection to another protocol (`upgrade`)."""

    status: int
    body: bytes = b""
    content_type: str = JSON
    stream: Streamed | None = None
    upgrade: Upgrade | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Streamed:
    """A chunked response: a watch (`watch`, with its encoder) or a followed log (`chunks`)."""

    watch: WatchStream | None = None
    encode: Callable[[WatchEvent], bytes] | None = None
    chunks: Iterator[bytes] | None = None
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS


def check_acceptable(accept: str, produced: str, *also: str) -> None:
    """NotAcceptable when the Accept header names media types and none of them is what the
    server writes (JSON or protobuf, or text for logs): a client that asks for YAML alone, say."""
    types = [entry["type"] for entry in tables.media_types(accept)]
    if not types:
        return
    for media in (produced, *also):
        major = media.partition("/")[0]
        if any(t in (media, "*/*", f"{major}/*") for t in types):
            return
    accepted = ", ".join((produced, *also))
    raise errors.NotAcceptable(f"only the following media types are accepted: {accepted}")


def prefers_protobuf(accept: str) -> bool:
    """Whether kube-apiserver's negotiation would answer `accept` in protobuf: the media types
    ordered by their q values (a wildcard after a named type of the same q), the first one the
    server writes decides. A conversion (`;as=Table`) is never protobuf here."""
    entries = []
    for index, entry in enumerate(tables.media_types(accept)):
        try:
            q = float(entry.get("q", "1"))
        except ValueError:
            q = 0.0
        entries.append((-q, "*" in entry["type"], index, entry))
    for _, _, _, entry in sorted(entries, key=lambda e: e[:3]):
        if entry.get("q") in ("0", "0.0"):
            continue
        if entry["type"] == protobuf.MEDIA_TYPE and "as" not in entry:
            return True
        if entry["type"] in (JSON, "application/*", "*/*"):
            return False
    return False


def media_type(request: Request) -> str:
    """The media type of the request's body (its Content-Type without parameters)."""
    return request.header("content-type").partition(";")[0].strip().lower()


def protobuf_body(request: Request, kind: str, api_version: str = "v1") -> Any:
    """A protobuf body (kubectl's typed commands send them) as the dict the JSON path decodes; a
    body that is not one is kube-apiserver's 400 (transformDecodeError): `the object provided is
    unrecognized (must be of type Namespace): ...` before the envelope names a kind, `Pod in
    version "v1" cannot be handled as a Namespace: ...` after."""
    try:
        return protobuf.decode(request.body, default_api_version=api_version, default_kind=kind)
    except protobuf.DecodeError as exc:
        if exc.gvk is None:
            raise errors.BadRequest(unrecognized(kind, str(exc), request.body)) from exc
        version, given = exc.gvk[0].rpartition("/")[2], exc.gvk[1]
        raise errors.BadRequest(
            f'{given} in version "{version}" cannot be handled as a {kind}: {exc}'
        ) from exc


def json_body(request: Request, *, kind: str = "", api_version: str = "v1") -> Any:
    """The body, decoded as kube-apiserver's Go decoder reads it (`strictjson`), once the request's
    fieldValidation is one kube-apiserver takes.

    With `kind` (a write of that kind) a body that is not JSON, or not an object whose kind and
    apiVersion are strings, is the 400 of handlers/rest.go's transformDecodeError, and repeated
    keys are left for `conformed` to report with the unknown fields; a protobuf body of the kind
    (`api_version` is the resource's) is read by `protobuf_body`. Without (listwatch's own
    endpoints) it is a 400 "json parse error", and repeated keys are warned of or refused here."""
    if not kind and not request.body:
        raise errors.BadRequest("the request has no body; expected a JSON document")
    field_validation(request)  # a directive it does not take is refused whatever the body
    if kind and media_type(request) == protobuf.MEDIA_TYPE:
        return protobuf_body(request, kind, api_version)
    try:
        decoded = strictjson.decode(request.body)
    except ValueError as exc:
        parse = f"couldn't get version/kind; json parse error: {exc}"
        raise errors.BadRequest(unrecognized(kind, parse, request.body) if kind else parse) from exc
    if kind:
        problem = kind_problem(decoded.value)
        if problem:
            raise errors.BadRequest(unrecognized(kind, problem, request.body))
        return decoded.value
    field_problems(request, [f'duplicate field "{path}"' for path in decoded.duplicates])
    return decoded.value


#: The type kube-apiserver first decodes a body into, to find its kind, as Go names it.
_TYPE_META = (
    'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string '
    '"json:\\"kind,omitempty\\"" }'
)


def kind_problem(value: Any) -> str:
    """Why kube-apiserver cannot read the kind and apiVersion of a decoded body (its json
    serializer's Interpret), or "": not an object, a kind or apiVersion that is not a string, an
    apiVersion with more than one `/`."""
    if not isinstance(value, dict):
        return (
            "couldn't get version/kind; json parse error: json: cannot unmarshal "
            f"{conform.json_kind(value)} into Go value of type {_TYPE_META}"
        )
    for name, given in value.items():
        if name in ("kind", "apiVersion") and given is not None and not isinstance(given, str):
            return (
                "couldn't get version/kind; json parse error: json: cannot unmarshal "
                f"{conform.json_kind(given)} into Go struct field .{name} of type string"
            )
    version = value.get("apiVersion")
    if isinstance(version, str) and version != "/" and version.count("/") > 1:
        return f"unexpected GroupVersion string: {version}"
    return ""


def unrecognized(kind: str, problem: str, body: bytes) -> str:
    """kube-apiserver's message for a body whose kind it could not read (transformDecodeError)."""
    return (
        f"the object provided is unrecognized (must be of type {kind}): {problem} ({summary(body)})"
    )


def summary(body: bytes, limit: int = 30) -> str:
    """The start of a body as kube-apiserver shows it in a decode error (summarizeData): an object
    as text, anything else in hex, cut at `limit` bytes; an invalid UTF-8 byte is U+FFFD, as Go's
    JSON encoder writes it."""
    if not body:
        return "<empty>"
    more = " ..." if len(body) > limit else ""
    if body[:1] == b"{":
        text = body[:limit].decode("utf-8", errors="surrogateescape")
        return "".join("\ufffd" if "\udc80" <= ch <= "\udcff" else ch for ch in text) + more
    return body[:limit].hex() + more


#: fieldValidation values kube-apiserver takes ("" is its default, Warn), as it lists them.
FIELD_VALIDATIONS = ("", "Ignore", "Strict", "Warn")
_OPTIONS = {"PUT": "UpdateOptions", "PATCH": "PatchOptions"}


def field_validation(request: Request) -> str:
    """The request's fieldValidation directive; 422 for a value kube-apiserver does not take,
    naming the options of the request's verb (CreateOptions, UpdateOptions, PatchOptions)."""
    value = request.query.get("fieldValidation", "")
    if value not in FIELD_VALIDATIONS:
        supported = ", ".join(go_quote(v) for v in FIELD_VALIDATIONS)
        detail = f"Unsupported value: {go_quote(value)}: supported values: {supported}"
        options = _OPTIONS.get(request.method, "CreateOptions")
        raise errors.Invalid(
            f'{options}.meta.k8s.io "" is invalid: fieldValidation: {detail}',
            details={
                "group": "meta.k8s.io",
                "kind": options,
                "causes": [
                    {
                        "reason": "FieldValueNotSupported",
                        "message": detail,
                        "field": "fieldValidation",
                    }
                ],
            },
        )
    return value or "Warn"


def field_problems(
    request: Request, problems: list[str], *, kind: str = "", version: str = "v1"
) -> None:
    """Strict decoding errors (unknown or duplicate fields): warnings (Warn, the default), nothing
    (Ignore), or one 400 naming them all (Strict)."""
    if not problems:
        return
    directive = field_validation(request)
    if directive == "Strict":
        prefix = f'{kind} in version "{version}" cannot be handled as a {kind}: ' if kind else ""
        raise errors.BadRequest(f"{prefix}strict decoding error: {', '.join(problems)}")
    if directive == "Warn":
        request.warnings.extend(problems)


def conformed(request: Request, model: str, value: Any, *, kind: str, version: str) -> Any:
    """A decoded body held against its type (`conform`): 400 as kube-apiserver's decoder answers a
    value of the wrong type (`Pod in version "v1" cannot be handled as a Pod: json: ...`); unknown
    and repeated fields dropped, and warned of or refused as fieldValidation says."""
    try:
        result = conform.conform_model(model, value)
    except conform.DecodeError as exc:
        raise errors.BadRequest(
            f'{kind} in version "{version}" cannot be handled as a {kind}: {exc}'
        ) from exc
    field_problems(request, [str(e) for e in result.strict], kind=kind, version=version)
    return result.value


def conformed_patch(
    request: Request, model: str, transform: Callable[[Any], Any]
) -> Callable[[Any], Any]:
    """`transform` (the request's patch, as `patch_body` read it) followed by holding its result
    against the type, as handlers/patch.go does: a result the type cannot hold is the 422
    `"" is invalid: patch: Invalid value: "<shown>": <why>`, and so are strict decoding errors
    under fieldValidation=Strict (those of the patch, then those of the result; warnings under
    Warn). `<shown>` is the patched object as JSON, or for a strategic merge patch the patch
    itself as Go prints a map, which is also when the reasons are the unstructured converter's
    (`cannot restore struct from: int64`)."""
    patch = request.patch
    directive = field_validation(request)
    strategic = patch.format == "strategic"

    def shown(patched: Any) -> str:
        if strategic:
            return go_print(patch.value)
        return go_json(patched, sort_keys=not isinstance(patched, dict))

    def apply(current: Any) -> Any:
        patched = transform(current)
        problem = "" if strategic else kind_problem(patched)
        if problem:
            raise patch_invalid(shown(patched), problem)
        try:
            result = conform.conform_model(model, patched)
        except conform.DecodeError as exc:
            raise patch_invalid(
                shown(patched), exc.unstructured if strategic else str(exc)
            ) from exc
        if directive == "Ignore":
            return result.value
        if strategic:  # the converter lists unknown fields sorted
            found = sorted(str(e) for e in result.strict)
        else:  # the patched JSON has every object the patch touched with its keys sorted
            found = [str(e) for e in sorted(result.strict, key=lambda e: e.at)]
        problems = [*patch.strict, *found]
        if problems and directive == "Strict":
            raise patch_invalid(shown(patched), f"strict decoding error: {', '.join(problems)}")
        request.warnings.extend(problems)
        return result.value

    return apply


def patch_invalid(shown: str, why: str) -> errors.Invalid:
    """kube-apiserver's 422 for a patch whose result it cannot decode (field `patch`)."""
    message = f"Invalid value: {go_quote(shown)}: {why}"
    return errors.Invalid(
        f' "" is invalid: patch: {message}',
        details={"causes": [{"reason": "FieldValueInvalid", "message": message, "field": "patch"}]},
    )


def go_json(value: Any, *, sort_keys: bool = False) -> str:
    """JSON as Go's encoding/json writes it (compact; `<`, `>`, `&`, U+2028 and U+2029 escaped;
    with `sort_keys` as it writes a map)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=sort_keys)
    return text.translate(_GO_JSON_ESCAPES)


_GO_JSON_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def go_print(value: Any) -> str:
    """A decoded JSON value as Go's `%+v` prints a map[string]interface{} holding it (integers as
    int64): `map[metadata:map[name:web] spec:[1 x true <nil>]]`, keys sorted."""
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{go_print(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, list):
        return "[" + " ".join(go_print(item) for item in value) + "]"
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and conform.INT64[0] <= value <= conform.INT64[1]:
        return str(value)
    if isinstance(value, float) or (isinstance(value, int) and value.bit_length() < 1024):
        return go_float(float(value))
    return str(value)


def go_float(number: float) -> str:
    """A float64 as Go's `%v` prints it: the shortest digits that read back, with an exponent
    below 1e-4 and from 1e+06 (strconv.FormatFloat(f, 'g', -1, 64))."""
    if number == 0:
        return "-0" if math.copysign(1, number) < 0 else "0"
    if not math.isfinite(number):
        return "NaN" if math.isnan(number) else f"{'+' if number > 0 else '-'}Inf"
    sign, digits, exponent = Decimal(repr(number)).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    point = len(text) + exponent  # where the decimal point goes
    lead = "-" if sign else ""
    if point - 1 < -4 or point - 1 >= 6:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        power = point - 1
        return f"{lead}{mantissa}e{'-' if power < 0 else '+'}{abs(power):02d}"
    if point <= 0:
        return f"{lead}0.{'0' * -point}{text}"
    if point >= len(text):
        return f"{lead}{text}{'0' * (point - len(text))}"
    return f"{lead}{text[:point]}.{text[point:]}"


MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"


def patch_body(request: Request) -> tuple[str, Any]:
    """A PATCH request's format ("merge", "strategic" or "json") and its body, read as
    handlers/patch.go reads it: a JSON object for the merge formats (`null` changes nothing in a
    strategic merge patch), a list of operations for RFC 6902; 400 (or 415, 413) with
    kube-apiserver's words otherwise. What `conformed_patch` needs of it goes on the request.

    Under fieldValidation Warn or Strict kube-apiserver first decodes a merge or JSON patch
    strictly (its errors then begin "error decoding patch: "), and its repeated keys (and a JSON
    patch operation's unknown members) are strict decoding errors; under Ignore the json-patch
    library's own decoding speaks."""
    media = request.header("content-type").partition(";")[0].strip().lower()
    if media not in _PATCH_FORMATS:
        raise errors.UnsupportedMediaType(
            "the body of the request was in an unknown format - accepted media types include: "
            f"{JSON_PATCH}, {MERGE_PATCH}, {APPLY_PATCH}, {STRATEGIC_PATCH}"
        )
    kind = _PATCH_FORMATS[media]
    if kind == "apply":
        config = apply_body(request)
        request.patch.format, request.patch.value = kind, config
        return kind, config
    strict = field_validation(request) != "Ignore"
    value: Any
    try:
        decoded = strictjson.decode(request.body)
    except ValueError as exc:
        raise errors.BadRequest(_undecodable_patch(kind, strict, str(exc))) from exc
    if kind == "json":
        value = _json_patch(decoded.value, strict)
        problems = [f"json patch {p}" for p in _json_patch_problems(decoded.value or [])]
        if len(value) > MAX_JSON_PATCH_OPERATIONS:
            raise errors.RequestEntityTooLarge(
                "Request entity too large: The allowed maximum operations in a JSON patch is "
                f"{MAX_JSON_PATCH_OPERATIONS}, got {len(value)}"
            )
    else:
        value = strictjson.plain(decoded.value) if decoded.duplicates else decoded.value
        problems = [f'duplicate field "{path}"' for path in decoded.duplicates]
        if kind == "merge":
            value = _merge_patch(value, strict)
        elif value is None:
            value = {}
        elif not isinstance(value, dict):
            raise errors.BadRequest(
                f"json: cannot unmarshal {conform.json_kind(value)} into Go value of type "
                "map[string]interface {}"
            )
    request.patch.format, request.patch.value = kind, value
    request.patch.strict = problems if strict else []
    return kind, value


_PATCH_FORMATS = {
    JSON_PATCH: "json",
    MERGE_PATCH: "merge",
    STRATEGIC_PATCH: "strategic",
    APPLY_PATCH: "apply",
}
#: kube-apiserver's limit on the operations of one JSON patch (maxJSONPatchOperations).
MAX_JSON_PATCH_OPERATIONS = 10_000
#: What the json-patch library (gopkg.in/evanphx/json-patch.v4) answers a merge patch that is not
#: a JSON object (ErrBadJSONPatch).
_BAD_JSON_PATCH = "Invalid JSON Patch"


def _undecodable_patch(kind: str, strict: bool, problem: str) -> str:
    """What kube-apiserver answers a patch body that is not JSON."""
    if kind == "strategic":
        return problem
    if strict:
        return f"error decoding patch: {problem}"
    return problem if kind == "json" else _BAD_JSON_PATCH


def _json_patch(value: Any, strict: bool) -> list[Any]:
    """The operations of an RFC 6902 patch (`null` is none), or the 400 of decoding it into
    []handlers.jsonPatchOp (strict) or jsonpatch.Patch: the first value of the wrong type, in
    document order."""
    prefix = "error decoding patch: " if strict else ""
    whole, item = ("[]handlers.jsonPatchOp", "handlers.jsonPatchOp")
    if not strict:
        whole, item = ("jsonpatch.Patch", "jsonpatch.Operation")

    def refused(given: Any, into: str) -> errors.BadRequest:
        return errors.BadRequest(
            f"{prefix}json: cannot unmarshal {conform.json_kind(given)} into Go {into}"
        )

    if value is None:
        return []
    if not isinstance(value, list):
        raise refused(value, f"value of type {whole}")
    for op in value:
        if op is None:
            continue
        if not isinstance(op, dict):
            raise refused(op, f"value of type {item}")
        for name, member in op.items() if strict else ():
            if (
                name in ("op", "path", "from")
                and member is not None
                and not isinstance(member, str)
            ):
                raise refused(member, f"struct field jsonPatchOp.{name} of type string")
    return [strictjson.plain(op) for op in value]


_JSON_PATCH_MEMBERS = ("op", "path", "from", "value")


def _json_patch_problems(ops: list[Any]) -> list[str]:
    """The strict decoding errors of a JSON patch decoded into []handlers.jsonPatchOp, in document
    order: members an operation does not have (once each), repeated members, and keys repeated in
    a value."""
    found: dict[str, None] = {}
    for i, op in enumerate(ops):
        if not isinstance(op, dict):
            continue
        keys = op.document_keys if isinstance(op, conform.RepeatedKeys) else list(op)
        last = {key: at for at, key in enumerate(keys)}
        seen: set[str] = set()
        for at, key in enumerate(keys):
            if key not in _JSON_PATCH_MEMBERS:
                found.setdefault(f'unknown field "[{i}].{key}"')
            elif key in seen:
                found.setdefault(f'duplicate field "[{i}].{key}"')
            seen.add(key)
            if key == "value" and last[key] == at:
                for path in strictjson.duplicate_paths(op[key], f"[{i}].value"):
                    found.setdefault(f'duplicate field "{path}"')
    return list(found)[: conform.MAX_STRICT_ERRORS]


def _merge_patch(value: Any, strict: bool) -> Any:
    """A JSON merge patch as kube-apiserver takes it: an object. Strictly decoded, anything else
    but `null` cannot be a map[string]interface{}; then the json-patch library refuses all but an
    array, which (its objects without their null members) it gives back as the patched
    document."""
    if isinstance(value, dict):
        return value
    if strict and value is not None:
        raise errors.BadRequest(
            f"error decoding patch: json: cannot unmarshal {conform.json_kind(value)} into Go "
            "value of type map[string]interface {}"
        )
    if not isinstance(value, list):
        raise errors.BadRequest(_BAD_JSON_PATCH)
    return [_without_nulls(item) for item in value]


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


def warning_header(request: Request) -> str:
    """The request's warnings as one `Warning` header value (RFC 7234: code 299, agent "-"),
    comma-separated as client-go reads several."""
    return ", ".join(f"299 - {json.dumps(text)}" for text in dict.fromkeys(request.warnings))


#: RFC 6902 operations and the members each needs besides `op` and `path`.
_JSON_PATCH_OPS: Mapping[str, tuple[str, ...]] = {
    "add": ("value",),
    "remove": (),
    "replace": ("value",),
    "move": ("from",),
    "copy": ("from",),
    "test": ("value",),
}


def json_patch_problem(patch: list[Any]) -> str | None:
    """Why an RFC 6902 patch cannot apply whatever the document (as the apiserver's json-patch
    library would say it), or None."""
    for op in patch:
        kind = op.get("op") if isinstance(op, dict) else None
        if not isinstance(kind, str) or kind not in _JSON_PATCH_OPS:
            return f"Unexpected kind: {kind if isinstance(kind, str) else 'unknown'}"
        for member in ("path", *_JSON_PATCH_OPS[kind]):
            if member not in op:
                return f"{kind} operation missing {member} field"
        for member in ("path", "from"):
            pointer = op.get(member, "")
            if not isinstance(pointer, str):
                return f"{kind} operation has a non-string {member}"
            if pointer and not pointer.startswith("/"):
                return f'{kind} operation does not apply: doc is missing path: "{pointer}"'
    return None


class _Rejected(errors.Invalid):
    """kube-apiserver's generic 422 (NewGenericServerResponse): `the server rejected our request
    due to an error in our request`, with empty details, whatever the reason."""

    def __init__(self) -> None:
        super().__init__(
            "the server rejected our request due to an error in our request", details={}
        )


def json_patcher(patch: list[Any]) -> Callable[[Any], Any]:
    """A transform that applies an RFC 6902 patch to a copy of an object; when it cannot, the 422
    kube-apiserver gives (its generic "rejected our request" Status, which says no more)."""
    problem = json_patch_problem(patch)

    def apply(current: Any) -> Any:
        if problem is not None:
            raise _Rejected()
        try:
            return jsonpatch.JsonPatch(patch).apply(objects.deep_copy(current))
        except (
            jsonpatch.JsonPatchException,
            jsonpatch.JsonPointerException,
            KeyError,
            IndexError,
            TypeError,
            ValueError,
        ) as exc:  # what the library raises for a path or value the document does not have
            raise _Rejected() from exc

    return apply


def object_body(request: Request, res: Resource) -> dict[str, Any]:
    """A create or update body: a JSON object of the resource's kind, held against its type. An
    update checks its fieldValidation before its content type, a create after (as
    handlers/update.go and create.go do)."""
    if request.method == "PUT":
        field_validation(request)
    kind = media_type(request)
    readable = [JSON, protobuf.MEDIA_TYPE] if protobuf_kind(res) else [JSON]
    if kind and kind not in (*readable, "*/*"):
        # kube-apiserver's words (negotiation.NewUnsupportedMediaTypeError), naming what
        # listwatch reads (kube-apiserver also reads YAML)
        raise errors.UnsupportedMediaType(
            "the body of the request was in an unknown format - accepted media types include: "
            + ", ".join(readable)
        )
    body = json_body(request, kind=res.kind, api_version=res.api_version)
    given_kind, given_version = body.get("kind"), body.get("apiVersion")
    if given_kind and given_kind != res.kind:
        raise errors.BadRequest(
            f'{given_kind} in version "{given_version or res.version}" cannot be handled as a '
            f"{res.kind}: the kind does not match the resource ({res.plural})"
        )
    if given_version and given_version != res.api_version:
        raise errors.BadRequest(
            f"the API version in the data ({given_version}) does not match the expected API "
            f"version ({res.api_version})"
        )
    if res.custom is not None:
        return custom_object(request, res, body)
    value: dict[str, Any] = conformed(
        request, schemas.model_name(res), body, kind=res.kind, version=res.version
    )
    return value


# -- server-side apply ---------------------------------------------------------------------------


def write_kind(request: Request, verb: str) -> str:
    """The verb, or "apply" for a PATCH that is a server-side apply."""
    media = request.header("content-type").partition(";")[0].strip().lower()
    return "apply" if verb == "patch" and media == APPLY_PATCH else verb


def apply_body(request: Request) -> dict[str, Any]:
    """An apply patch's configuration: the first YAML document of the body as the JSON it stands
    for (`yamlread`, the manifests' reader), a 400 `error decoding YAML: ...` when it is not YAML
    or not a map, as applyPatcher reads it; an empty body is an empty configuration."""
    try:
        documents = parse_yaml(
            "patch", request.body.decode("utf-8", "replace"), error=errors.ManifestError
        )
    except errors.ManifestError as exc:
        raise errors.BadRequest(
            f"error decoding YAML: error converting YAML to JSON: yaml: {exc.problem}"
        ) from exc
    value = documents[0].data if documents else {}
    if not isinstance(value, dict):
        raise errors.BadRequest(
            f"error decoding YAML: json: cannot unmarshal {conform.json_kind(value)} into Go "
            "value of type map[string]interface {}"
        )
    return value


def apply_options(request: Request) -> tuple[str, bool]:
    """An apply's fieldManager and force, checked as ValidatePatchOptions checks them: a missing
    fieldManager is the 422 `PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required
    value: is required for apply patch`; force is "true" or "false" (400 otherwise)."""
    manager = field_manager(request)
    force_text = request.query.get("force", "")
    if force_text not in ("", "true", "false"):
        raise errors.BadRequest(f'strconv.ParseBool: parsing "{force_text}": invalid syntax')
    if not manager:
        raise _patch_options_invalid(
            "fieldManager", "FieldValueRequired", "Required value: is required for apply patch"
        )
    return manager, force_text == "true"


def field_manager(request: Request) -> str:
    """The request's `fieldManager` ("" when none), refused as ValidateFieldManager refuses
    one: longer than 128 characters or with a character that is not printable (422); `force` on
    a patch that is not an apply is the 422 kube-apiserver answers too."""
    manager = request.query.get("fieldManager", "")
    options = _OPTIONS.get(request.method, "CreateOptions")
    if len(manager) > FIELD_MANAGER_MAX_LENGTH:
        raise _patch_options_invalid(
            "fieldManager",
            "FieldValueTooLong",
            f"Too long: may not be more than {FIELD_MANAGER_MAX_LENGTH} bytes",
            options=options,
        )
    for i, ch in enumerate(manager):
        if not ch.isprintable():
            raise _patch_options_invalid(
                f"fieldManager[{i}]",
                "FieldValueInvalid",
                f"Invalid value: {json.dumps(manager)}: invalid character",
                options=options,
            )
    if request.method == "PATCH" and "force" in request.query and request.patch.format != "apply":
        raise _patch_options_invalid(
            "force", "FieldValueForbidden", "Forbidden: may not be specified for non-apply patch"
        )
    return manager


#: The longest fieldManager kube-apiserver takes (FieldManagerMaxLength).
FIELD_MANAGER_MAX_LENGTH = 128


def _patch_options_invalid(
    path: str, reason: str, detail: str, *, options: str = "PatchOptions"
) -> errors.Invalid:
    return errors.Invalid(
        f'{options}.meta.k8s.io "" is invalid: {path}: {detail}',
        details={
            "group": "meta.k8s.io",
            "kind": options,
            "causes": [{"reason": reason, "message": detail, "field": path}],
        },
    )


def checked_apply(
    request: Request, res: Resource, name: str, namespace: str | None, config: dict[str, Any]
) -> dict[str, Any]:
    """An apply configuration the API server can merge, refused as kube-apiserver refuses one:
    another API version (400 `Incorrect version specified in apply patch. ...`), managedFields
    set (400), another name than the URL's, and a value its type cannot hold (400 `failed to
    create typed patch object (...)`: kube-apiserver v1.32 answers that one with a 500, which
    listwatch gives no bad input). A custom resource's undeclared fields are pruned and warned of
    (or refused under fieldValidation=Strict) as for any body of it."""
    version = config.get("apiVersion")
    if version != res.api_version:
        shown = version if isinstance(version, str) else ""
        raise errors.BadRequest(
            "Incorrect version specified in apply patch. Specified patch version: "
            f"{shown}, expected: {res.api_version}"
        )
    meta = config.get("metadata")
    if isinstance(meta, dict) and meta.get("managedFields") is not None:
        raise errors.BadRequest("metadata.managedFields must be nil")
    given = meta.get("name") if isinstance(meta, dict) else None
    if given != name:
        raise errors.BadRequest(
            f"the name of the object ({given or ''}) does not match the name on the URL ({name})"
        )
    kind = config.get("kind")
    group_version = f"{'/' if '/' not in res.api_version else ''}{res.api_version}"
    kind_text = kind if isinstance(kind, str) else ""
    where = f"{namespace or ''}/{name}; {group_version}, Kind={kind_text}"
    if kind != res.kind:
        raise errors.BadRequest(
            f"failed to create typed patch object ({where}): no corresponding type for "
            f"{group_version}, Kind={kind_text}"
        )
    if res.custom is not None:
        shape = shapes.custom(res.custom.schema)
        config = custom_object(request, res, config)
    else:
        shape = shapes.builtin(res.api_version, res.kind)
    problems = shapes.problems(config, shape)
    if problems:
        text = problems[0] if len(problems) == 1 else "errors:\n  " + "\n  ".join(problems)
        raise errors.BadRequest(f"failed to create typed patch object ({where}): {text}")
    return config


def custom_patch(
    request: Request, res: Resource, transform: Callable[[Any], Any]
) -> Callable[[Any], Any]:
    """A patch of a custom resource: JSON or merge patches only (no strategic merge: its types
    declare no merge keys, 415 as kube-apiserver answers), the result pruned like a body."""
    if request.patch.format == "strategic":
        raise errors.UnsupportedMediaType(
            "the body of the request was in an unknown format - accepted media types include: "
            "application/json-patch+json, application/merge-patch+json, "
            "application/apply-patch+yaml"
        )

    def apply(current: Any) -> Any:
        patched = transform(current)
        if not isinstance(patched, dict):
            raise patch_invalid(go_json(patched), "the patched object is not a JSON object")
        problem = kind_problem(patched) or _metadata_problem(patched)
        if problem:
            raise patch_invalid(go_json(patched), problem)
        return custom_object(request, res, patched)

    return apply


def _metadata_problem(body: dict[str, Any]) -> str:
    """Why apiextensions-apiserver cannot read a custom object's metadata (GetObjectMeta, which
    drops malformed fields of an object but cannot drop the object itself), or ""."""
    metadata = body.get("metadata")
    if metadata is None or isinstance(metadata, dict):
        return ""
    return f"invalid metadata: expected object, got {conform.go_type(metadata)}"


def custom_object(request: Request, res: Resource, body: dict[str, Any]) -> dict[str, Any]:
    """A custom resource's body, decoded unstructured as apiextensions-apiserver decodes it: the
    fields its schema does not declare are pruned, and warned of or refused as fieldValidation
    says (`unknown field "spec.foo"`)."""
    assert res.custom is not None
    problem = _metadata_problem(body)
    if problem:
        raise errors.BadRequest(problem)
    pruned, unknown = crds.prune(res.custom.schema, body)
    field_problems(
        request, [f'unknown field "{path}"' for path in unknown], kind=res.kind, version=res.version
    )
    return pruned


def protobuf_kind(res: Resource) -> bool:
    """Whether the resource's kind has a protobuf form (every built-in kind; not a CRD's)."""
    return apitypes.type_name(res.api_version, res.kind) is not None


def delete_options(request: Request) -> DeleteOptions:
    """gracePeriodSeconds, the uid precondition, propagationPolicy and orphanDependents, from the
    query or a DeleteOptions body (a body's policy wins over the query's, as kube-apiserver reads
    the query only without a body). Their validation is the API server's (`APIServer.delete`)."""
    options: Mapping[str, Any] = {}
    if request.body:  # decoded as handlers/delete.go does: no fieldValidation, nothing strict
        try:
            if media_type(request) == protobuf.MEDIA_TYPE:
                parsed = protobuf_body(request, "DeleteOptions")
            else:
                parsed = strictjson.decode(request.body).value
        except ValueError as exc:
            raise errors.BadRequest(f"couldn't get version/kind; json parse error: {exc}") from exc
        if not isinstance(parsed, dict):
            raise errors.BadRequest("the body of a delete must be a DeleteOptions object")
        try:
            options = conform.conform_model("V1DeleteOptions", parsed).value
        except conform.DecodeError as exc:
            raise errors.BadRequest(
                'DeleteOptions in version "v1" cannot be handled as a DeleteOptions: ' + str(exc)
            ) from exc
    grace: Any = options.get("gracePeriodSeconds")
    if request.query.get("gracePeriodSeconds") is not None:
        grace = non_negative(request.query["gracePeriodSeconds"], "gracePeriodSeconds")
    if grace is not None and (not isinstance(grace, int | float) or isinstance(grace, bool)):
        raise errors.BadRequest(f"gracePeriodSeconds must be an integer, got {grace!r}")
    uid = str(((options.get("preconditions") or {}).get("uid")) or "")
    policy = options.get("propagationPolicy")
    orphan = options.get("orphanDependents")
    if not request.body:
        policy = request.query.get("propagationPolicy")
        if request.query.get("orphanDependents") is not None:
            orphan = routes.truthy(request.query["orphanDependents"])
    return DeleteOptions(
        grace_period_seconds=None if grace is None else int(grace),
        uid=uid,
        propagation_policy=None if policy is None else str(policy),
        orphan_dependents=None if orphan is None else bool(orphan),
    )


def non_negative(value: str | None, name: str) -> float | None:
    """A non-negative integer query parameter (as a float), or None when it is absent."""
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        raise errors.BadRequest(
            f'invalid value for {name}: "{value}": an integer is required'
        ) from None
    if number < 0:
        raise errors.BadRequest(
            f'invalid value for {name}: "{value}": must be greater than or equal to 0'
        )
    return float(number)


def list_options(request: Request) -> listoptions.ListOptions:
    """A list's resourceVersion, resourceVersionMatch, limit, continue and sendInitialEvents,
    from the query (a limit that is not a whole number is a 400, as the parameter codec answers
    it)."""
    q = request.query
    limit = q.get("limit") or "0"
    if not re.fullmatch(r"[+-]?[0-9]+", limit):
        raise errors.BadRequest(f"strconv.ParseInt: parsing {go_quote(limit)}: invalid syntax")
    return listoptions.ListOptions(
        resource_version=q.get("resourceVersion", ""),
        match=q.get("resourceVersionMatch", ""),
        limit=int(limit),
        continue_=q.get("continue", ""),
        send_initial_events="sendInitialEvents" in q,
    )


def include_object(request: Request) -> str:
    value = request.query.get("includeObject") or "Metadata"
    if value not in ("None", "Metadata", "Object"):
        raise errors.BadRequest(
            f'includeObject must be one of None, Metadata or Object, got "{value}"'
        )
    return value


def actor(request: Request) -> str:
    """Who is asking, as the API server's log would name them (the client's program)."""
    agent = request.header("user-agent").partition("/")[0].strip()
    return agent or "client"


def encode(obj: Any) -> bytes:
    """JSON as kube-apiserver writes a body or a watch event (its serializer's json.Encoder): Go's
    escapes (`<`, `>`, `&`, U+2028, U+2029) and a trailing newline. Decoding keeps lone surrogates
    out of stored values; should one reach here anyway it is written as U+FFFD rather than failing
    the answer."""
    return marshal(obj) + b"\n"


def marshal(obj: Any) -> bytes:
    """JSON as Go's json.Marshal writes it: as `encode`, without the newline (what the kubelet
    writes on an exec's error channel)."""
    return go_json(obj).encode(errors="replace")


def status_response(error: errors.APIError) -> Response:
    return Response(error.code, encode(error.status()))


def success(code: int) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": code}
