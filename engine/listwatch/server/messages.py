"""Requests and responses of the served API as data, and how their parts are read.

`Request` is an authenticated request with its body read; `Response` is what goes back, whole or
as the head of a stream (`Streamed`). The readers here turn a request's parts into API values
with kube-apiserver's errors. Every body is decoded in one place (`json_body`, through
`strictjson`, as Go's decoder reads JSON) and held against its type (`conformed`, through
`apiserver.conform` and the kinds' OpenAPI schemas, which `listwatch run` holds manifests
against too) before any of it reaches the API server:
- a body that is not JSON is 400 "couldn't get version/kind; json parse error: ...";
- a value of the wrong type, an integer out of its Go type's range, a bad quantity is 400
  `Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal ...` for a body, and
  the 422 `"" is invalid: patch: Invalid value: ...` for the result of a patch;
- unknown and repeated fields are dropped (the last repeat kept) with a `Warning` header, or
  refused under fieldValidation=Strict;
- an Accept header naming nothing the server writes is 406, a bad integer parameter is 400.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonpatch

from listwatch import errors
from listwatch.apiserver import conform, objects, schemas
from listwatch.apiserver.resources import Resource
from listwatch.apiserver.watchcache import WatchEvent
from listwatch.server import strictjson, tables
from listwatch.server.watchstream import DEFAULT_TIMEOUT_SECONDS, WatchStream
from listwatch.server.websocket import WebSocket

#: kube-apiserver's limit on a request body (its MaxRequestBodyBytes).
MAX_BODY_BYTES = 3 * 1024 * 1024
JSON = "application/json"


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


def check_acceptable(accept: str, produced: str) -> None:
    """NotAcceptable when the Accept header names media types and none of them is what the
    server writes (JSON, or text for logs): a client that asks for protobuf alone, say."""
    types = [entry["type"] for entry in tables.media_types(accept)]
    if not types:
        return
    major = produced.partition("/")[0]
    if any(t in (produced, "*/*", f"{major}/*") for t in types):
        return
    raise errors.NotAcceptable(f"only the following media types are accepted: {produced}")


def json_body(request: Request, *, kind: str = "") -> Any:
    """The body, decoded as kube-apiserver's Go decoder reads it (`strictjson`): 400 when it is not
    JSON; a repeated key keeps its last value and is a warning, or with fieldValidation=Strict a
    400 (`kind` names the type in that message)."""
    if not request.body:
        raise errors.BadRequest("the request has no body; expected a JSON document")
    field_validation(request)  # a directive it does not take is refused whatever the body
    try:
        decoded = strictjson.decode(request.body)
    except ValueError as exc:
        raise errors.BadRequest(f"couldn't get version/kind; json parse error: {exc}") from exc
    field_problems(request, [f'duplicate field "{path}"' for path in decoded.duplicates], kind=kind)
    return decoded.value


#: fieldValidation values kube-apiserver takes (its default is Warn).
FIELD_VALIDATIONS = ("Ignore", "Strict", "Warn")


def field_validation(request: Request) -> str:
    """The request's fieldValidation directive; 422 for a value kube-apiserver does not take."""
    value = request.query.get("fieldValidation") or "Warn"
    if value not in FIELD_VALIDATIONS:
        supported = ", ".join(f'"{v}"' for v in FIELD_VALIDATIONS)
        raise errors.Invalid(
            'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: '
            f'"{value}": supported values: {supported}',
            details={
                "group": "meta.k8s.io",
                "kind": "CreateOptions",
                "causes": [
                    {
                        "reason": "FieldValueNotSupported",
                        "message": f'Unsupported value: "{value}": supported values: {supported}',
                        "field": "fieldValidation",
                    }
                ],
            },
        )
    return value


def field_problems(request: Request, problems: list[str], *, kind: str = "") -> None:
    """Unknown or duplicate fields: warnings (Warn, the default), nothing (Ignore), or a 400
    (Strict)."""
    if not problems:
        return
    directive = field_validation(request)
    if directive == "Strict":
        prefix = f'{kind} in version "v1" cannot be handled as a {kind}: ' if kind else ""
        raise errors.BadRequest(f"{prefix}strict decoding error: {', '.join(problems)}")
    if directive == "Warn":
        request.warnings.extend(problems)


def conformed(request: Request, model: str, value: Any, *, kind: str, version: str) -> Any:
    """A decoded body held against its type (`conform`): 400 as kube-apiserver's decoder answers a
    value of the wrong type (`Pod in version "v1" cannot be handled as a Pod: json: ...`); unknown
    fields dropped, and warned of or refused as fieldValidation says."""
    try:
        result = conform.conform_model(model, value)
    except conform.DecodeError as exc:
        raise errors.BadRequest(
            f'{kind} in version "{version}" cannot be handled as a {kind}: {exc}'
        ) from exc
    field_problems(request, [f'unknown field "{path}"' for path in result.unknown], kind=kind)
    return result.value


def conformed_patch(
    request: Request, model: str, transform: Callable[[Any], Any]
) -> Callable[[Any], Any]:
    """`transform` (a patch) followed by holding its result against the type: a result the type
    cannot hold is kube-apiserver's 422 `"" is invalid: patch: Invalid value: "<patched>":
    <why>`."""

    def apply(current: Any) -> Any:
        patched = transform(current)
        try:
            result = conform.conform_model(model, patched)
        except conform.DecodeError as exc:
            shown = json.dumps(patched, separators=(",", ":"), ensure_ascii=False)
            quoted = json.dumps(shown, ensure_ascii=False)
            raise errors.Invalid(
                f' "" is invalid: patch: Invalid value: {quoted}: {exc}',
                details={
                    "causes": [
                        {
                            "reason": "FieldValueInvalid",
                            "message": f"Invalid value: {quoted}: {exc}",
                            "field": "patch",
                        }
                    ]
                },
            ) from exc
        field_problems(request, [f'unknown field "{path}"' for path in result.unknown])
        return result.value

    return apply


MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"


def patch_body(request: Request) -> tuple[str, Any]:
    """A PATCH request's format ("merge", "strategic" or "json") and its body: a JSON object for the
    merge formats, a `jsonpatch.JsonPatch` for RFC 6902; 400 or 415 as kube-apiserver answers."""
    kind = request.header("content-type").partition(";")[0].strip().lower()
    if kind == APPLY_PATCH:
        raise errors.UnsupportedMediaType(
            "server-side apply (application/apply-patch+yaml) is not supported by listwatch; "
            f"use one of: {JSON_PATCH}, {MERGE_PATCH}, {STRATEGIC_PATCH}"
        )
    if kind not in (MERGE_PATCH, STRATEGIC_PATCH, JSON_PATCH):
        raise errors.UnsupportedMediaType(
            "the body of the request was in an unknown format - accepted media types include: "
            f"{JSON_PATCH}, {MERGE_PATCH}, {STRATEGIC_PATCH}"
        )
    body = json_body(request)
    if kind == JSON_PATCH:
        if not isinstance(body, list) or not all(isinstance(op, dict) for op in body):
            raise errors.BadRequest(
                f"json: cannot unmarshal {conform.json_kind(body)} into Go value of type "
                "jsonpatch.Patch"
            )
        return "json", body
    if not isinstance(body, dict):
        raise errors.BadRequest(
            f"json: cannot unmarshal {conform.json_kind(body)} into Go value of type "
            f"map[string]interface {{}}"
        )
    return ("merge" if kind == MERGE_PATCH else "strategic"), body


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


def json_patch_problem(patch: list[dict[str, Any]]) -> str | None:
    """Why an RFC 6902 patch cannot apply whatever the document (as the apiserver's json-patch
    library says it), or None."""
    for op in patch:
        kind = op.get("op")
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


def json_patcher(patch: list[dict[str, Any]]) -> Callable[[Any], Any]:
    """A transform that applies an RFC 6902 patch to a copy of an object; when it cannot, the 422
    kube-apiserver gives (its generic "rejected our request" Status, the reason as a cause)."""

    def refused(reason: str) -> errors.APIError:
        return errors.Invalid(
            "the server rejected our request due to an error in our request",
            details={"causes": [{"reason": "UnexpectedServerResponse", "message": reason}]},
        )

    problem = json_patch_problem(patch)

    def apply(current: Any) -> Any:
        if problem is not None:
            raise refused(problem)
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
            raise refused(str(exc) or type(exc).__name__) from exc

    return apply


#: The type kube-apiserver first decodes a body into, to find its kind, as Go names it.
_TYPE_META = (
    'struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string '
    '"json:\\"kind,omitempty\\"" }'
)


def object_body(request: Request, res: Resource) -> dict[str, Any]:
    """A create or update body: a JSON object of the resource's kind, held against its type."""
    kind = request.header("content-type").partition(";")[0].strip().lower()
    if kind and kind not in (JSON, "*/*"):
        raise errors.UnsupportedMediaType(
            "the body of the request was in an unknown format - accepted media types include: "
            f'{JSON}, got "{kind}"'
        )
    body = json_body(request, kind=res.kind)
    if not isinstance(body, dict):
        raise errors.BadRequest(
            "couldn't get version/kind; json parse error: json: cannot unmarshal "
            f"{conform.json_kind(body)} into Go value of type {_TYPE_META}"
        )
    given_kind, given_version = body.get("kind"), body.get("apiVersion")
    for name, given in (("kind", given_kind), ("apiVersion", given_version)):
        if given is not None and not isinstance(given, str):
            raise errors.BadRequest(
                "couldn't get version/kind; json parse error: json: cannot unmarshal "
                f"{conform.json_kind(given)} into Go struct field .{name} of type string"
            )
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
    value: dict[str, Any] = conformed(
        request, schemas.model_name(res), body, kind=res.kind, version=res.version
    )
    return value


def delete_options(request: Request) -> tuple[int | None, str]:
    """gracePeriodSeconds and the uid precondition, from the query or a DeleteOptions body."""
    options: Mapping[str, Any] = {}
    if request.body:
        parsed = json_body(request, kind="DeleteOptions")
        if not isinstance(parsed, dict):
            raise errors.BadRequest("the body of a delete must be a DeleteOptions object")
        options = conformed(request, "V1DeleteOptions", parsed, kind="DeleteOptions", version="v1")
    grace: Any = options.get("gracePeriodSeconds")
    if request.query.get("gracePeriodSeconds") is not None:
        grace = non_negative(request.query["gracePeriodSeconds"], "gracePeriodSeconds")
    if grace is not None and (not isinstance(grace, int | float) or isinstance(grace, bool)):
        raise errors.BadRequest(f"gracePeriodSeconds must be an integer, got {grace!r}")
    uid = str(((options.get("preconditions") or {}).get("uid")) or "")
    return (None if grace is None else int(grace)), uid


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
    """JSON as the API server writes it. Decoding keeps lone surrogates out of stored values; should
    one reach here anyway it is written as U+FFFD rather than failing the answer."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode(errors="replace")


def status_response(error: errors.APIError) -> Response:
    return Response(error.code, encode(error.status()))


def success(code: int) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": code}
