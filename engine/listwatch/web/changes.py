"""The change one write made to an object, as the page's timeline shows it: each leaf that was
added, removed or changed, by its path (`status.conditions[1].status`).

Bookkeeping that every write changes (resourceVersion, managedFields) is left out: it says nothing
a learner needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Paths whose change says nothing about what the write did.
IGNORED = frozenset(
    {
        "kind",
        "apiVersion",
        "metadata.resourceVersion",
        "metadata.managedFields",
        "metadata.generation",
    }
)
#: The keys by which the items of a list of objects are told apart, as strategic merge patch does
#: (conditions by type, containers and their statuses by name).
MERGE_KEYS = ("type", "name")
#: At most this many changes of one write are kept; the rest are counted.
MOST = 40


@dataclass(frozen=True, slots=True)
class Change:
    """One leaf: `old` is None when it was added, `new` None when it was removed."""

    path: str
    old: Any
    new: Any

    @property
    def op(self) -> str:
        return "add" if self.old is None else "remove" if self.new is None else "change"

    def as_json(self) -> dict[str, Any]:
        return {"op": self.op, "path": self.path, "old": self.old, "new": self.new}


def diff(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[Change]:
    """What changed from `old` (None: the object is new) to `new`, leaf by leaf, in document
    order."""
    found: list[Change] = []
    _walk("", old if old is not None else {}, new, found)
    return found


def as_json(changes: list[Change]) -> dict[str, Any]:
    """The changes as the page reads them: the first MOST, and how many more there were."""
    return {"changes": [c.as_json() for c in changes[:MOST]], "more": max(0, len(changes) - MOST)}


def _walk(path: str, old: Any, new: Any, found: list[Change]) -> None:
    # Objects are JSON data: dicts and lists.
    if path in IGNORED or old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(new) + [k for k in old if k not in new]:
            _walk(f"{path}.{key}" if path else str(key), old.get(key), new.get(key), found)
    elif isinstance(old, list) and isinstance(new, list) and (key := _merge_key(old + new)):
        before = {item[key]: item for item in old}
        after = {item[key]: item for item in new}
        for name in list(after) + [n for n in before if n not in after]:
            _walk(
                f"{path}[{key}={name}]",
                _without(before.get(name), key),
                _without(after.get(name), key),
                found,
            )
    elif isinstance(old, list) and isinstance(new, list):
        for index in range(max(len(old), len(new))):
            _walk(
                f"{path}[{index}]",
                old[index] if index < len(old) else None,
                new[index] if index < len(new) else None,
                found,
            )
    elif isinstance(new, dict | list) and old is None:
        _walk(path, _empty(new), new, found)
    elif isinstance(old, dict | list) and new is None:
        _walk(path, old, _empty(old), found)
    else:
        found.append(Change(path, old, new))


def _merge_key(items: list[Any]) -> str:
    """The key every item of `items` has, distinct among them ("" when there is none)."""
    for key in MERGE_KEYS:
        if items and all(isinstance(i, dict) and isinstance(i.get(key), str) for i in items):
            return key
    return ""


def _without(item: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
    """An item of a keyed list without its key (the path names it already)."""
    return None if item is None else {k: v for k, v in item.items() if k != key}


def _empty(like: Any) -> Any:
    return {} if isinstance(like, dict) else []
