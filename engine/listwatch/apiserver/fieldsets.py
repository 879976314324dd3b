"""Field sets: the paths a value sets, the comparison of two values, and FieldsV1.

`encode` writes a set in FieldsV1 (`f:`, `k:`, `v:`, `i:`, and `.` for a node that is itself a
member and has children), the form of `metadata.managedFields[].fieldsV1`; `decode` reads it.
Paths and shapes are `shapes`'.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from listwatch.apiserver.shapes import (
    UNTYPED,
    FieldSet,
    Path,
    PathElement,
    Shape,
    canonical_json,
    filled,
    item_element,
    resolved_kind,
)

# -- field sets -----------------------------------------------------------------------------------


def field_set(value: Any, shape: Shape) -> FieldSet:
    """The paths a value sets (ToFieldSet): its scalars, atomic nodes and list items, and its
    map keys that are not declared fields, empty maps and nulls."""
    out: set[Path] = set()
    _collect(value, shape, (), out)
    return frozenset(out)


def _collect(value: Any, shape: Shape, path: Path, out: set[Path]) -> None:
    kind = resolved_kind(shape, value)
    if kind in ("scalar", "atomic-list") or shape.atomic:
        out.add(path)
    elif kind == "list":
        if shape.list_type == "atomic":
            out.add(path)
            return
        for i, item in enumerate(value if isinstance(value, list) else ()):
            child = (*path, item_element(shape, item, i))
            _collect(item, shape.item(), child, out)
            out.add(child)
    elif isinstance(value, Mapping):
        for key, child_value in value.items():
            sub = shape.field(key)
            child = (*path, ("f", key))
            _collect(child_value, sub or UNTYPED, child, out)
            if (
                child_value is None
                or (isinstance(child_value, Mapping) and not child_value)
                or shape.kind != "struct"
            ):
                out.add(child)
    else:
        out.add(path)


@dataclass(frozen=True)
class Comparison:
    added: FieldSet
    modified: FieldSet
    removed: FieldSet

    @property
    def changed(self) -> FieldSet:
        return self.added | self.modified


_MISSING = object()


def compare(old: Any, new: Any, shape: Shape) -> Comparison:
    """What changed between two typed values (structured-merge-diff's Compare): leaves added,
    changed and removed, and every map, list or item that appears or goes as a whole."""
    added: set[Path] = set()
    modified: set[Path] = set()
    removed: set[Path] = set()
    _compare(old, new, shape, (), added, modified, removed)
    return Comparison(frozenset(added), frozenset(modified), frozenset(removed))


def _compare(
    lhs: Any,
    rhs: Any,
    shape: Shape,
    path: Path,
    added: set[Path],
    modified: set[Path],
    removed: set[Path],
) -> None:
    if lhs is rhs:
        return
    kind = resolved_kind(shape, rhs if rhs is not _MISSING else lhs)
    leaf = kind in ("scalar", "atomic-list") or shape.atomic
    if not leaf and kind == "list":
        lv = lhs if isinstance(lhs, list) else []
        rv = rhs if isinstance(rhs, list) else []
        leaf = shape.list_type == "atomic" or (not lv and not rv)
        if not leaf:
            left = {item_element(shape, item, i): item for i, item in enumerate(lv)}
            right = {item_element(shape, item, i): item for i, item in enumerate(rv)}
            for pe in [*left, *(p for p in right if p not in left)]:
                _compare(
                    left.get(pe, _MISSING),
                    right.get(pe, _MISSING),
                    shape.item(),
                    (*path, pe),
                    added,
                    modified,
                    removed,
                )
    elif not leaf:
        lm = filled(lhs, shape) if isinstance(lhs, Mapping) else {}
        rm = filled(rhs, shape) if isinstance(rhs, Mapping) else {}
        leaf = not lm and not rm
        if not leaf:
            for key in [*lm, *(k for k in rm if k not in lm)]:
                _compare(
                    lm.get(key, _MISSING),
                    rm.get(key, _MISSING),
                    shape.field(key) or UNTYPED,
                    (*path, ("f", key)),
                    added,
                    modified,
                    removed,
                )
    if leaf:
        if lhs is _MISSING and rhs is not _MISSING:
            added.add(path)
        elif rhs is _MISSING and lhs is not _MISSING:
            removed.add(path)
        elif lhs is not _MISSING and not _same(lhs, rhs, shape):
            modified.add(path)
        return
    if lhs is _MISSING:
        added.add(path)
    elif rhs is _MISSING:
        removed.add(path)


def _same(a: Any, b: Any, shape: Shape) -> bool:
    """Whether two leaves are equal as JSON values (1 is not true, nor 1.0 a different number)."""
    if type(a) is type(b) and not isinstance(a, (Mapping, list)):
        return bool(a == b)
    if isinstance(a, (Mapping, list)) or isinstance(b, (Mapping, list)):
        return canonical_json(filled(a, shape)) == canonical_json(filled(b, shape))
    numbers = (int, float)
    both = isinstance(a, numbers) and isinstance(b, numbers)
    return both and not isinstance(a, bool) and not isinstance(b, bool) and a == b


def without(fields: Iterable[Path], prefixes: Iterable[Path]) -> FieldSet:
    """`fields` without any path at or under one of `prefixes` (RecursiveDifference)."""
    cut = tuple(prefixes)
    if not cut:
        return frozenset(fields)
    return frozenset(p for p in fields if not any(p[: len(c)] == c for c in cut))


def only(fields: Iterable[Path], prefixes: Iterable[Path]) -> FieldSet:
    """`fields` at or under one of `prefixes`."""
    keep = tuple(prefixes)
    return frozenset(p for p in fields if any(p[: len(c)] == c for c in keep))


# -- FieldsV1 -------------------------------------------------------------------------------------


def encode(fields: Iterable[Path]) -> dict[str, Any]:
    """A field set in FieldsV1: `{"f:spec": {"f:replicas": {}}, ...}`, `.` first in a node that
    is a member and has children, the rest in structured-merge-diff's order."""
    root: dict[PathElement, Any] = {}
    members: set[Path] = set(fields)
    for path in members:
        node = root
        for pe in path:
            node = node.setdefault(pe, {})
    return _emit(root, (), members)


def _emit(node: Mapping[PathElement, Any], path: Path, members: set[Path]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if path and path in members and node:
        out["."] = {}
    for pe in sorted(node, key=element_order):
        out[_element_text(pe)] = _emit(node[pe], (*path, pe), members)
    return out


_RANK = {"f": 0, "k": 1, "v": 2, "i": 3}


def element_order(pe: PathElement) -> tuple[int, Any]:
    kind, value = pe
    if kind == "k":
        return (1, sorted(json.loads(value).items(), key=lambda kv: (kv[0], _value_order(kv[1]))))
    if kind == "v":
        return (2, _value_order(json.loads(value)))
    return (_RANK[kind], value)


def _value_order(value: Any) -> tuple[int, str]:
    if value is None:
        return (0, "")
    if isinstance(value, bool):
        return (3, str(value))
    if isinstance(value, (int, float)):
        return (1, f"{float(value):030.6f}")
    if isinstance(value, str):
        return (2, value)
    return (4, canonical_json(value))


def _element_text(pe: PathElement) -> str:
    kind, value = pe
    return f"{kind}:{value}"


def decode(fields: Any) -> FieldSet:
    """A FieldsV1 value read back into a field set (what cannot be read is left out)."""
    out: set[Path] = set()
    _read(fields, (), out)
    return frozenset(out)


def _read(node: Any, path: Path, out: set[Path]) -> None:
    if not isinstance(node, Mapping):
        return
    for text, child in node.items():
        if text == ".":
            if path:
                out.add(path)
            continue
        kind, sep, value = text.partition(":")
        if not sep or kind not in _RANK or not _element_readable(kind, value):
            continue
        pe: PathElement = (kind, int(value) if kind == "i" else value)
        if isinstance(child, Mapping) and child:
            _read(child, (*path, pe), out)
        else:
            out.add((*path, pe))


def _element_readable(kind: str, value: str) -> bool:
    """Whether a FieldsV1 key's value is what its kind holds (a key's JSON object, a value's
    JSON, an index's digits); others are left out of the set."""
    if kind == "i":
        return value.isdigit()
    if kind in ("k", "v"):
        try:
            parsed = json.loads(value)
        except ValueError:
            return False
        return isinstance(parsed, dict) or kind == "v"
    return True
