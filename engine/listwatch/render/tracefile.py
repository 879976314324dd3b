"""Reading a recorded run: the JSON a watch prints, in any of the shapes a user may have saved.

Accepted, in one file:

- JSON Lines, one record a line (what `listwatch run --trace` writes);
- concatenated JSON objects, pretty-printed or not (what `kubectl get pods,events -w -o json
  --output-watch-events` prints);
- a JSON array of records, or of bare objects as a watch delivered them without the event type
  (as `kubespy record` saves them): each object is then ADDED the first time its uid (else its
  namespace and name) appears and MODIFIED after.

- a Kubernetes List (`PodList`, kubectl's `List`): its `items`, each as a bare object.

A record is a watch event `{"type": "ADDED|MODIFIED|DELETED|BOOKMARK|ERROR", "object": {...}}` or
a simulator STEP record; any other value with a `kind` is a bare object (an Event's own `type`,
Normal or Warning, does not make it a record) and is wrapped as in an array.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from listwatch import errors

RECORD_TYPES = ("ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR", "STEP")


def read(path: Path) -> list[dict[str, Any]]:
    """The records of the trace at `path`, in order; an error names the file and the line."""
    try:
        content = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise errors.ListwatchError(f"{path}: cannot read the trace: {exc.strerror or exc}") from exc
    return parse(content, str(path))


def parse(content: str, name: str = "trace") -> list[dict[str, Any]]:
    """The records in `content` (see the module docstring for the shapes accepted)."""
    decoder = json.JSONDecoder()
    values: list[Any] = []
    index = 0
    while True:
        while index < len(content) and content[index].isspace():
            index += 1
        if index >= len(content):
            break
        try:
            value, index = decoder.raw_decode(content, index)
        except json.JSONDecodeError as exc:
            raise errors.ListwatchError(f"{name}:{exc.lineno}: not JSON: {exc.msg}") from exc
        values.extend(value if isinstance(value, list) else [value])
    return records(_unlisted(values), name)


def _unlisted(values: list[Any]) -> list[Any]:
    """Values with each Kubernetes List replaced by its items."""
    flat: list[Any] = []
    for value in values:
        if isinstance(value, dict) and str(value.get("kind", "")).endswith("List") and isinstance(value.get("items"), list):
            flat.extend(value["items"])
        else:
            flat.append(value)
    return flat


def records(values: list[Any], name: str = "trace") -> list[dict[str, Any]]:
    """Watch records from parsed JSON values: records kept, bare objects typed ADDED then MODIFIED."""
    seen: set[str] = set()
    result: list[dict[str, Any]] = []
    for number, value in enumerate(values, 1):
        if not isinstance(value, dict):
            raise errors.ListwatchError(f"{name}: value {number}: expected a JSON object, found {type(value).__name__}")
        if value.get("type") in RECORD_TYPES and ("object" in value or value["type"] == "STEP"):
            result.append(value)
            continue
        if "kind" not in value:
            raise errors.ListwatchError(f"{name}: value {number}: expected a watch record (type, object) or a Kubernetes object (kind)")
        meta = value.get("metadata", {})
        key = str(meta.get("uid") or f"{value['kind']}/{meta.get('namespace', '')}/{meta.get('name', '')}")
        result.append({"type": "MODIFIED" if key in seen else "ADDED", "object": value})
        seen.add(key)
    return result
