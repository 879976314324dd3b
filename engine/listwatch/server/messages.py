"""Requests and responses of the served API as data, and how their parts are read.

`Request` is an authenticated request with its body read; `Response` is what goes back, whole or
as the head of a stream (`Streamed`). The readers here turn a request's parts into API values
with kube-apiserver's errors: a body that is not JSON is 400 "couldn't get version/kind; json
parse error", a body of another kind is 400, an Accept header naming nothing the server writes is
406, a bad integer parameter is 400.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonpatch

from listwatch import errors
from listwatch.apiserver import objects
from listwatch.apiserver.resources import Resource
from listwatch.apiserver.watchcache import WatchEvent
from listwatch.server import tables
from listwatch.server.watchstream import DEFAULT_TIMEOUT_SECONDS, WatchStream

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

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    def values(self, name: str) -> list[str]:
        """Every value of a query parameter, in order."""
        return [value for key, value in self.pairs if key == name]


#: What takes over a connection switched to another protocol (a WebSocket): given the connection's
#: socket, it writes the 101 answer itself and speaks the new protocol until it returns.
Upgrade = Callable[[socket.socket], None]


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


def json_body(request: Request) -> Any:
    if not request.body:
        raise errors.BadRequest("the request has no body; expected a JSON document")
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.BadRequest(f"couldn't get version/kind; json parse error: {exc}") from exc


MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"


def patch_body(request: Request) -> tuple[str, Any]:
    """A PATCH request's format ("merge", "strategic" or "json") and its body: a JSON object for
    the merge formats, a `jsonpatch.JsonPatch` for RFC 6902; 400 or 415 as kube-apiserver answers."""
    kind = request.header("content-type").partition(";")[0].strip().lower()
    if kind == APPLY_PATCH:
        raise errors.UnsupportedMediaType(
            "server-side apply (application/apply-patch+yaml) is not supported by listwatch; "
            f"use one of: {JSON_PATCH}, {MERGE_PATCH}, {STRATEGIC_PATCH}"
        )
    if kind not in (MERGE_PATCH, STRATEGIC_PATCH, JSON_PATCH):
        raise errors.UnsupportedMediaType(
            f"the body of the request was in an unknown format - accepted media types include: {JSON_PATCH}, {MERGE_PATCH}, {STRATEGIC_PATCH}"
        )
    body = json_body(request)
    if kind == JSON_PATCH:
        if not isinstance(body, list) or not all(isinstance(op, dict) for op in body):
            raise errors.BadRequest(
                "a JSON patch (RFC 6902) must be a list of operations, each a JSON object"
            )
        return "json", jsonpatch.JsonPatch(body)
    if not isinstance(body, dict):
        raise errors.BadRequest("the patch must be a JSON object")
    return ("merge" if kind == MERGE_PATCH else "strategic"), body


def json_patcher(patch: jsonpatch.JsonPatch, what: str) -> Callable[[Any], Any]:
    """A transform that applies an RFC 6902 patch to a copy of the object `what` names; 422 when it cannot."""

    def apply(current: Any) -> Any:
        try:
            return patch.apply(objects.deep_copy(current))
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as exc:
            raise errors.Invalid(
                f"{what} is invalid: the JSON patch could not be applied: {exc}"
            ) from exc

    return apply


def object_body(request: Request, res: Resource) -> dict[str, Any]:
    kind = request.header("content-type").partition(";")[0].strip().lower()
    if kind and kind not in (JSON, "*/*"):
        raise errors.UnsupportedMediaType(
            f'the body of the request was in an unknown format - accepted media types include: {JSON}, got "{kind}"'
        )
    body = json_body(request)
    if not isinstance(body, dict):
        raise errors.BadRequest(
            f"couldn't get version/kind; the body is not a JSON object: {type(body).__name__}"
        )
    given_kind, given_version = body.get("kind"), body.get("apiVersion")
    if given_kind and given_kind != res.kind:
        raise errors.BadRequest(
            f'{given_kind} in version "{given_version or res.version}" cannot be handled as a {res.kind}: the kind does not match the resource ({res.plural})'
        )
    if given_version and given_version != res.api_version:
        raise errors.BadRequest(
            f"the API version in the data ({given_version}) does not match the expected API version ({res.api_version})"
        )
    metadata = body.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise errors.BadRequest(
            f'{res.kind} in version "{res.version}" cannot be handled as a {res.kind}: metadata must be a JSON object'
        )
    return body


def delete_options(request: Request) -> tuple[int | None, str]:
    """gracePeriodSeconds and the uid precondition, from the query or a DeleteOptions body."""
    options: Mapping[str, Any] = {}
    if request.body:
        parsed = json_body(request)
        if not isinstance(parsed, dict):
            raise errors.BadRequest("the body of a delete must be a DeleteOptions object")
        options = parsed
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
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def status_response(error: errors.APIError) -> Response:
    return Response(error.code, encode(error.status()))


def success(code: int) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": code}
