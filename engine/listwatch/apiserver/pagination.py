"""Pages of a list, as kube-apiserver v1.32's storage cuts them (`limit` and `continue`).

A page holds the first `limit` objects, in key order, that match the list's selectors, read at one
revision; when objects remain after it, the page carries a continue token and, when the list has
no selector, `remainingItemCount` (how many keys follow the page). The token (storage/continue.go)
is unpadded URL-safe base64 of the JSON `{"v":"meta.k8s.io/v1","rv":REVISION,"start":KEY}`:
the key just after the page's last one (its key and a NUL byte), relative to the listed prefix.
The watch cache writes a first page's token relative to its key without the trailing slash (a
start of `/web-1\\u0000`), etcd relative to the prefix (`web-1\\u0000`); both decode to the same
key.

A continued list is read from etcd at the token's revision; once that revision is compacted it is
the 410 below, carrying a token of revision -1 that continues from the same key at the current
state (an inconsistent list, as the message says). A token that does not decode is a 400
`invalid continue token: ...` with storage's reason.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from listwatch import errors
from listwatch.store.mvcc import KeyValue

API_VERSION = "meta.k8s.io/v1"
_INVALID = "continue key is not valid"
#: The 410 of a continued list whose revision was compacted (etcd3's inconsistentContinue).
INCONSISTENT_CONTINUE = (
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue token in this response "
    "to retrieve the remainder of the results. Continuing with the provided token results in an "
    "inconsistent list - objects that were created, modified, or deleted between the time the "
    "first chunk was returned and now may show up in the list."
)
RESOURCE_VERSION_WITH_CONTINUE = "specifying resource version is not allowed when using continue"
#: What Go's JSON decoder names each kind of value in a type error.
_GO_KINDS = {str: "string", bool: "bool", list: "array", dict: "object"}


@dataclass(frozen=True, slots=True)
class Start:
    """Where a continued list starts: the first key it may return, and the revision to read at
    (-1: the current state)."""

    key: str
    revision: int


@dataclass(frozen=True, slots=True)
class Page:
    """The objects of one page and what the list's metadata says about the rest."""

    items: list[KeyValue]
    continue_token: str = ""
    remaining: int | None = None


class ExpiredContinue(errors.Gone):
    """The 410 for a continue token whose revision is compacted: its Status carries, in
    `metadata.continue`, a token that continues from the same key at the current state."""

    def __init__(self, token: str) -> None:
        super().__init__(INCONSISTENT_CONTINUE)
        self.continue_token = token

    def status(self) -> dict[str, object]:
        body = super().status()
        body["metadata"] = {"continue": self.continue_token}
        return body


def encode(key: str, prefix: str, revision: int) -> str:
    """The token for a list continuing at `key` (under `prefix`) at `revision`."""
    token = {"v": API_VERSION, "rv": revision, "start": key.removeprefix(prefix)}
    data = json.dumps(token, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")


def decode(token: str, prefix: str) -> Start:
    """Where the list continued by `token` starts; a 400 `invalid continue token: ...` with
    storage's reason when the token does not decode."""
    try:
        return _decode(token, prefix)
    except ValueError as reason:
        raise errors.BadRequest(f"invalid continue token: {reason}") from None


def _decode(token: str, prefix: str) -> Start:
    data = _base64(token)
    fields = _go_json_fields(data)
    version = fields.get("v", "")
    if version != API_VERSION:
        raise ValueError(f"{_INVALID}: server does not recognize this encoded version {version}")
    revision, start = fields.get("rv", 0), fields.get("start", "")
    if revision == 0:
        raise ValueError(
            f"{_INVALID}: incorrect encoded start resourceVersion (version {API_VERSION})"
        )
    if not start:
        raise ValueError(f"{_INVALID}: encoded start key empty (version {API_VERSION})")
    key = start if start.startswith("/") else "/" + start
    if clean_path(key) != key:  # no climbing out of the listed prefix
        raise ValueError(f"{_INVALID}: {start}")
    return Start(prefix + key[1:], int(revision))


def _base64(token: str) -> bytes:
    """Unpadded URL-safe base64, refused as Go's RawURLEncoding refuses it (`illegal base64 data
    at input byte N`: the first byte outside the alphabet, or a lone last byte)."""
    alphabet = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    raw = token.encode()
    kept = 0
    for index, byte in enumerate(raw):
        if byte in b"\r\n":
            continue
        if byte not in alphabet:
            raise ValueError(f"{_INVALID}: illegal base64 data at input byte {index}")
        kept += 1
    if kept % 4 == 1:
        last = max(i for i, b in enumerate(raw) if b not in b"\r\n")
        raise ValueError(f"{_INVALID}: illegal base64 data at input byte {last}")
    text = raw.replace(b"\r", b"").replace(b"\n", b"")
    try:
        return base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))
    except binascii.Error as exc:  # pragma: no cover - the checks above leave nothing to refuse
        raise ValueError(f"{_INVALID}: {exc}") from None


def _go_json_fields(data: bytes) -> dict[str, Any]:
    """The token's fields as Go's json.Unmarshal fills its struct: keys matched without regard
    to case, the last one winning, unknown keys and nulls ignored; Go's error text otherwise."""
    try:
        value = json.loads(data.decode("utf-8", "replace"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{_INVALID}: {_go_syntax_error(exc)}") from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(
            f"{_INVALID}: json: cannot unmarshal {_go_kind(value)} into Go value of type "
            "storage.continueToken"
        )
    fields: dict[str, Any] = {}
    for name, item in value.items():
        field = name.lower() if name.lower() in ("v", "rv", "start") else None
        if field is None or item is None:
            continue
        wanted = "int64" if field == "rv" else "string"
        if field == "rv":
            ok = isinstance(item, int) and not isinstance(item, bool) and -(2**63) <= item < 2**63
        else:
            ok = isinstance(item, str)
        if not ok:
            kind = _go_kind(item)
            if kind == "number" and field == "rv":  # a fraction or out of range: Go quotes it
                kind = f"number {json.dumps(item)}"
            raise ValueError(
                f"{_INVALID}: json: cannot unmarshal {kind} into Go struct field "
                f"continueToken.{field} of type {wanted}"
            )
        fields[field] = item
    return fields


def _go_kind(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "number"
    return _GO_KINDS.get(type(value), "value")


def _go_syntax_error(exc: json.JSONDecodeError) -> str:
    """Go's json syntax error for what Python's decoder stopped at."""
    doc, pos = exc.doc, exc.pos
    if pos >= len(doc) or (exc.msg == "Unterminated string starting at"):
        return "unexpected end of JSON input"
    char = _go_quote_char(doc[pos])
    context = {
        "Expecting value": "looking for beginning of value",
        "Expecting property name enclosed in double quotes": (
            "looking for beginning of object key string"
        ),
        "Expecting ':' delimiter": "after object key",
        "Extra data": "after top-level value",
        "Invalid control character at": "in string literal",
        "Invalid \\escape": "in string escape code",
    }.get(exc.msg)
    if exc.msg == "Expecting ',' delimiter":
        opener = _innermost_open(doc[:pos])
        context = "after array element" if opener == "[" else "after object key:value pair"
    return f"invalid character {char} {context or 'looking for beginning of value'}"


def _innermost_open(text: str) -> str:
    """Which bracket encloses the end of `text` (strings skipped)."""
    stack: list[str] = []
    in_string = escaped = False
    for ch in text:
        if in_string:
            escaped = ch == "\\" and not escaped
            if ch == '"' and not escaped:
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "[{":
            stack.append(ch)
        elif ch in "]}" and stack:
            stack.pop()
    return stack[-1] if stack else ""


def _go_quote_char(ch: str) -> str:
    """A character as Go's json errors quote it (quoteChar)."""
    if ch == "'":
        return "'\\''"
    if ch == '"':
        return "'\"'"
    quoted = json.dumps(ch, ensure_ascii=False)[1:-1]
    return f"'{quoted}'"


def clean_path(path: str) -> str:
    """Go's path.Clean: the shortest equivalent of a slash-separated path."""
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append(part)
            continue
        parts.append(part)
    cleaned = "/".join(parts)
    if rooted:
        return "/" + cleaned
    return cleaned or "."


def cut(
    kvs: Sequence[KeyValue],
    matches: Callable[[Any], bool],
    limit: int,
    *,
    prefix: str,
    revision: int,
    counted: bool,
) -> Page:
    """The first `limit` of `kvs` (sorted by key) that match, and a token for the rest when a key
    follows the page's last (matching or not: the next page may be empty); `counted` (a list
    with no selector) adds remainingItemCount, the keys after the page. No limit: all that
    match."""
    if limit <= 0:
        return Page([kv for kv in kvs if matches(kv.value)])
    items: list[KeyValue] = []
    for index, kv in enumerate(kvs):
        if not matches(kv.value):
            continue
        items.append(kv)
        if len(items) >= limit:
            if index == len(kvs) - 1:
                break
            token = encode(kv.key + "\x00", prefix, revision)
            return Page(items, token, len(kvs) - limit if counted else None)
    return Page(items)
