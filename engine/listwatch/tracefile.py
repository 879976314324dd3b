"""Reading a recorded run: the shapes in which a watch of Pods and Events is saved, as a stream of
records.

Accepted in one input (a file, or `-` for standard input), mixed freely:

- JSON Lines, one value a line (what `listwatch run --trace` writes);
- concatenated JSON values, pretty-printed over many lines or not (what `kubectl get pods -w -o
  json --output-watch-events` prints);
- a JSON array of values (how `kubespy record` saves the successive objects of a watch);
- a Kubernetes List (`PodList`, `EventList`, kubectl's `List`, with `items`): each item in turn.

Each value is a watch event `{"type": "ADDED|MODIFIED|DELETED|BOOKMARK|ERROR", "object": {...}}`,
a simulator STEP record `{"type": "STEP", "step": ...}`, a simulator EXPLAIN record (the scheduler's
explanation of one attempt, `listwatch.trace`), or a bare Kubernetes object (it has a
`kind`; an Event's own `type`, Normal or Warning, does not make it a watch event).

Guarantees:

- streaming: values are decoded as their lines arrive, and only the value being read is held in
  memory (a List is one value);
- each `Record` carries the line on which its value starts (for an item of a List, the item's);
- malformed input raises `TraceError` naming the input, the line and what was expected there, as
  soon as it is met; records before it have been yielded, nothing after it is read.
"""

from __future__ import annotations

import io
import json
import json.scanner
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any, cast

from listwatch import errors

WATCH_TYPES = ("ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR")
STEP = "STEP"
EXPLAIN = "EXPLAIN"
#: The simulator's own record types: no Kubernetes watch sends them.
SIMULATOR_TYPES = (STEP, EXPLAIN)
STDIN = "-"


class TraceError(errors.ListwatchError):
    """A trace cannot be read: names the input, the line and what was expected there."""

    def __init__(self, name: str, line: int | None, problem: str) -> None:
        self.name = name
        self.line = line
        self.problem = problem
        super().__init__(f"{name}:{line}: {problem}" if line is not None else f"{name}: {problem}")


@dataclass(frozen=True, slots=True)
class Record:
    """One value of a trace: its first line, its watch event type (None for a bare object), its
    object.

    For a STEP or EXPLAIN record `object` is the record itself; for a watch event, the event's
    object.
    """

    line: int
    type: str | None
    object: Mapping[str, Any]


def read(source: str | os.PathLike[str] | IO[str], *, name: str | None = None) -> Iterator[Record]:
    """The records of a trace file, of `-` (standard input) or of an open text stream, in order."""
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if path == STDIN:
            label = name or "<stdin>"
            raw = getattr(sys.stdin, "buffer", None)
            yield from decode(_utf8(raw, label) if raw is not None else sys.stdin, name=label)
            return
        try:
            stream = open(path, "rb")  # noqa: SIM115
        except OSError as exc:
            raise TraceError(name or path, None, f"cannot be read: {exc.strerror or exc}") from exc
        with stream:
            yield from decode(_utf8(stream, name or path), name=name or path)
        return
    yield from decode(source, name=name or getattr(source, "name", None) or "trace")


def _utf8(stream: Iterable[bytes], name: str) -> Iterator[str]:
    """Lines of bytes as text, each decoded on its own, so a bad byte is reported at its line."""
    number = 0
    try:
        for number, raw in enumerate(stream, 1):  # noqa: B007 (the line is reported below)
            yield raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TraceError(
            name, number, f"expected UTF-8 text: {exc.reason} at column {exc.start + 1}"
        ) from exc


def parse(text: str, *, name: str = "trace") -> list[Record]:
    """The records in `text` (a whole trace held in memory, as tests build them)."""
    return list(decode(io.StringIO(text), name=name))


def decode(lines: Iterable[str], *, name: str) -> Iterator[Record]:
    """The records in an iterable of text lines (an open file, standard input)."""
    for line, value, text in _values(lines, name):
        found = _records(value, line, text, name)
        if isinstance(found, Record):
            yield found
        else:
            yield from found


def records_of(values: Iterable[Any], *, name: str = "trace") -> Iterator[Record]:
    """Records from JSON values already parsed; a value's line is its position, counting from 1."""
    for number, value in enumerate(values, 1):
        found = _records(value, number, None, name)
        if isinstance(found, Record):
            yield found
        else:
            yield from found


def _records(value: Any, line: int, text: str | None, name: str) -> Record | Iterator[Record]:
    """The record a JSON value is, or the records of a List's items (one value per line is the rule:
    no generator for it)."""
    if not isinstance(value, dict):
        raise TraceError(
            name,
            line,
            "expected a JSON object (a watch event, a STEP record or a Kubernetes object), found "
            f"{_json_kind(value)}",
        )
    type_ = value.get("type")
    if type_ in SIMULATOR_TYPES:
        return Record(line, type_, value)
    if "kind" in value and "object" not in value:
        items = value.get("items")
        kind = str(value["kind"])
        if kind.endswith("List") and isinstance(items, list):
            return _list_items(value, items, line, text, name)
        return Record(line, None, value)
    if type_ in WATCH_TYPES:
        obj = value.get("object")
        if not isinstance(obj, dict):
            raise TraceError(
                name,
                line,
                f"expected the {type_} watch event's `object` to be a JSON object, found "
                f"{_json_kind(obj)}",
            )
        return Record(line, type_, obj)
    if type_ is None:
        raise TraceError(
            name,
            line,
            "expected a watch event (`type` and `object`), a STEP record or a Kubernetes object "
            "(`kind`); found neither `type` nor `kind`",
        )
    raise TraceError(
        name,
        line,
        f"expected a record type of {', '.join((*WATCH_TYPES, STEP))} or {EXPLAIN}, found "
        f"{type_!r}",
    )


def _list_items(
    value: Mapping[str, Any], items: list[Any], line: int, text: str | None, name: str
) -> Iterator[Record]:
    """The items of a List; a PodList's items carry no `kind`, so they get the List's."""
    item_kind = str(value["kind"])[: -len("List")]
    lines = _item_lines(text, line) if text is not None else None
    if lines is None or len(lines) != len(items):
        lines = [line] * len(items)
    for item_line, item in zip(lines, items, strict=True):
        if not isinstance(item, dict):
            raise TraceError(
                name,
                item_line,
                f"expected each item of a {value['kind']} to be a JSON object, found "
                f"{_json_kind(item)}",
            )
        if "kind" not in item and item_kind:
            item = {"kind": item_kind, **item}
        yield Record(item_line, None, item)


def _values(lines: Iterable[str], name: str) -> Iterator[tuple[int, Any, str]]:
    """(first line, value, its JSON text) for each JSON value in the lines, however they are laid
    out.

    A value on one line is decoded at once. Otherwise its lines are gathered until one may close
    it or start the next value: a line that starts with a bracket and is indented no deeper than
    the value's first line (pretty printers indent what is inside). Top-level arrays are entered:
    their elements are the values. A decoding error before the end of the text so far is a
    malformed value, reported there and then.
    """
    decoder = json.JSONDecoder()
    # The scanner json.loads ends in (the decoder's own `scan_once`), without its layers: a line is
    # one value, or not.
    scan = json.scanner.make_scanner(cast(Any, decoder))
    pending: list[str] = []
    start = 0
    indent = 0
    in_array = 0
    number = 0
    for line in lines:
        number += 1
        if number == 1 and line.startswith("\ufeff"):
            line = line[1:]
        if pending:
            pending.append(line)
            lead = line.lstrip()
            if not lead or lead[0] not in "}]{[" or len(line) - len(lead) > indent:
                continue
        else:
            stripped = line.strip()
            if not stripped:
                continue
            if not in_array and stripped[0] == "{" and stripped[-1] == "}":
                try:
                    value, end = scan(stripped, 0)
                except (ValueError, StopIteration, RecursionError):
                    pass
                else:
                    if end == len(stripped):
                        yield number, value, stripped
                        continue
            pending, start = [line], number
        text = "".join(pending)
        pending = []
        pos, at = 0, start
        while True:
            pos, at, in_array = _skip(text, pos, at, in_array, name)
            if pos >= len(text):
                break
            try:
                value, end = decoder.raw_decode(text, pos)
            except RecursionError as exc:
                raise _too_deep(name, at) from exc
            except json.JSONDecodeError as exc:
                if text[exc.pos :].strip():
                    raise _malformed(
                        name, text, exc, start=at - text.count("\n", 0, pos), first=at
                    ) from exc
                pending, start = [text[pos:]], at
                indent = pos - (text.rfind("\n", 0, pos) + 1)
                break
            yield at, value, text[pos:end]
            at += text.count("\n", pos, end)
            pos = end
    if pending:
        text = "".join(pending)
        try:
            decoder.raw_decode(text, len(text) - len(text.lstrip()))
        except RecursionError as exc:
            raise _too_deep(name, start) from exc
        except json.JSONDecodeError as exc:
            raise TraceError(
                name,
                start,
                "expected a complete JSON value; the input ends inside the one that starts here "
                f"({exc.msg} at line {start + exc.lineno - 1})",
            ) from exc
    if in_array:
        raise TraceError(
            name,
            number,
            f"expected `]`: the input ends inside the JSON array opened at line {in_array}",
        )


def _too_deep(name: str, line: int) -> TraceError:
    """Python's JSON decoder recurses once per level: a value nested past its recursion limit
    (no watch event nests more than a few dozen levels) is refused rather than crashing."""
    return TraceError(
        name,
        line,
        "expected a watch event or a Kubernetes object; this JSON value is nested too deeply "
        "to read (hundreds of levels)",
    )


def _skip(text: str, pos: int, at: int, in_array: int, name: str) -> tuple[int, int, int]:
    """Past whitespace, and at the top level the brackets and commas of an array being read."""
    size = len(text)
    while pos < size:
        char = text[pos]
        if char == "\n":
            at += 1
        elif char == "[" and not in_array:
            in_array = at
        elif char in ",]" and in_array:
            in_array = 0 if char == "]" else in_array
        elif not char.isspace():
            if char in ",]":
                raise TraceError(
                    name, at, f"expected a JSON value, found {char!r} outside any array"
                )
            break
        pos += 1
    return pos, at, in_array


def _malformed(
    name: str, text: str, exc: json.JSONDecodeError, *, start: int, first: int
) -> TraceError:
    line = start + exc.lineno - 1
    where = "" if line == first else f" (in the value that starts at line {first})"
    at = "" if exc.msg.endswith(" at") else " at"
    return TraceError(name, line, f"expected valid JSON: {exc.msg}{at} column {exc.colno}{where}")


def _item_lines(text: str, line: int) -> list[int] | None:
    """The line of each item of the List whose JSON text is `text`, or None if they cannot be
    told."""
    decoder = json.JSONDecoder()
    try:
        pos = _blank(text, 0)
        if text[pos] != "{":
            return None
        pos += 1
        while True:
            pos = _blank(text, pos)
            if text[pos] == "}":
                return None
            key, pos = decoder.raw_decode(text, pos)
            pos = _blank(text, pos)
            pos = _blank(text, pos + 1)
            if key == "items" and text[pos] == "[":
                found: list[int] = []
                counted, at = 0, line
                pos += 1
                while True:
                    pos = _blank(text, pos)
                    if text[pos] == "]":
                        return found
                    at += text.count("\n", counted, pos)
                    counted = pos
                    found.append(at)
                    _, pos = decoder.raw_decode(text, pos)
                    pos = _blank(text, pos)
                    if text[pos] == ",":
                        pos += 1
            _, pos = decoder.raw_decode(text, pos)
            pos = _blank(text, pos)
            if text[pos] == ",":
                pos += 1
    except (ValueError, IndexError):
        return None


def _blank(text: str, pos: int) -> int:
    while text[pos].isspace():
        pos += 1
    return pos


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
