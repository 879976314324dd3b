"""Server-side apply (`PATCH` with `application/apply-patch+yaml`), as kube-apiserver v1.32 does
it over sigs.k8s.io/structured-merge-diff v4.

An apply merges its configuration into the object (maps by key, associative lists by their keys,
sets by value, atomic lists and atomic structs whole), makes the configuration's paths the
applier's Apply entry, removes what the applier applied before and applies no more unless another
manager owns it, and refuses (409) to change a path another manager owns unless forced. Nothing
here does I/O.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from listwatch import errors
from listwatch.apiserver.fieldsets import compare, element_order, field_set
from listwatch.apiserver.managedfields import Entry, Write, bare, capped, with_fields
from listwatch.apiserver.shapes import (
    UNTYPED,
    FieldSet,
    Path,
    Shape,
    item_element,
    path_text,
    resolved_kind,
)

# -- apply ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Applied:
    """An apply's result: the object to write (managedFields not set) and the new entries."""

    obj: dict[str, Any]
    entries: list[Entry]


def apply(
    write: Write, live: Any, config: Mapping[str, Any], base: list[Entry], *, force: bool
) -> Applied:
    """Server-side apply of `config` by `write.manager` to `live` (None: the object is created):
    see the module's docstring. A conflict is the 409 kube-apiserver answers."""
    live_obj = bare(live) if live is not None else {}
    merged = merge(live_obj, config, write.shape)
    applied = write.owned(field_set(config, write.shape))
    mine = Entry(write.manager, "Apply", write.api_version, applied, None, write.subresource)
    last = next((e for e in base if e.identity == mine.identity), None)
    others = [e for e in base if e.identity != mine.identity]
    if last is not None:
        owned = frozenset().union(applied, *(e.fields for e in others))
        merged = _pruned(merged, last.fields - owned, owned, write.shape)
    comparison = write.compare(live_obj, merged)
    changed = write.owned(comparison.changed)
    conflicts = [(e, p) for e in others for p in sorted(e.fields & changed, key=_path_order)]
    if conflicts and not force and write.manager == KUBECTL:
        allowed = _allowed_by_last_applied(live_obj, write.shape)
        conflicts = [(e, p) for e, p in conflicts if p not in allowed]
    if conflicts and not force:
        raise conflict_error(conflicts)
    out = [with_fields(e, e.fields - comparison.removed - changed) for e in others]
    time = write.now if (merged != live_obj or last is None) else last.time
    out.append(with_fields(mine, applied, time=time or write.now))
    if write.manager == KUBECTL and _last_applied(live_obj) is not None:
        merged = _with_last_applied(merged, config)
    return Applied(merged, capped([e for e in out if e.fields]))


#: The manager `kubectl apply --server-side` applies as by default, and the annotation of
#: client-side apply: for that manager kube-apiserver lets an apply take over the fields the
#: annotation still describes (the upgrade from client-side apply), and keeps the annotation
#: up to date (lastAppliedManager, lastAppliedUpdater).
KUBECTL = "kubectl"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def _last_applied(obj: Mapping[str, Any]) -> Any:
    text = ((obj.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    if not isinstance(text, str) or not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _allowed_by_last_applied(live: Mapping[str, Any], shape: Shape) -> FieldSet:
    """The fields the client-side apply annotation sets to the values they still have."""
    last = _last_applied(live)
    if last is None:
        return frozenset()
    modified = compare(last, live, shape).modified
    return field_set(last, shape) - modified


def _with_last_applied(obj: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
    """`obj` with the annotation set to the applied configuration (without the annotation), as
    UnstructuredJSONScheme encodes it: keys sorted, Go's escapes, a trailing newline."""
    meta = dict(config.get("metadata") or {})
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k != LAST_APPLIED}
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)
    text = json.dumps(
        {**config, "metadata": meta}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    for ch, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(ch, escaped)
    out_meta = dict(obj.get("metadata") or {})
    out_meta["annotations"] = {**(out_meta.get("annotations") or {}), LAST_APPLIED: text + "\n"}
    return {**obj, "metadata": out_meta}


def _path_order(path: Path) -> list[tuple[int, Any]]:
    return [element_order(pe) for pe in path]


def conflict_error(conflicts: list[tuple[Entry, Path]]) -> errors.Conflict:
    """The 409 of an apply that would change other managers' fields (NewApplyConflict)."""
    causes = [
        {
            "reason": "FieldManagerConflict",
            "message": f"conflict with {entry.described()}",
            "field": path_text(path),
        }
        for entry, path in conflicts
    ]
    if len(conflicts) == 1:
        entry, path = conflicts[0]
        message = (
            f"Apply failed with 1 conflict: conflict with {entry.described()}: {path_text(path)}"
        )
    else:
        by_manager: dict[str, list[Path]] = {}
        for entry, path in conflicts:
            by_manager.setdefault(entry.described(), []).append(path)
        lines = []
        for described in sorted(by_manager):
            lines.append(f"conflicts with {described}:")
            lines.extend(f"- {path_text(p)}" for p in by_manager[described])
        message = f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
    return errors.Conflict(message, details={"causes": causes})


def merge(live: Any, config: Any, shape: Shape) -> Any:
    """`config` merged into `live` as structured-merge-diff merges: maps and structs by key,
    associative lists by their keys and sets by value (live order, new items after), atomic
    nodes and scalars replaced."""
    kind = resolved_kind(shape, config)
    if shape.atomic or kind in ("scalar", "atomic-list"):
        return config
    if kind == "list":
        if shape.list_type == "atomic" or not isinstance(config, list):
            return config
        if not isinstance(live, list):
            live = []
        items = {item_element(shape, item, i): item for i, item in enumerate(live)}
        order = list(items)
        for i, item in enumerate(config):
            pe = item_element(shape, item, i)
            if pe in items:
                items[pe] = merge(items[pe], item, shape.item())
            else:
                items[pe] = item
                order.append(pe)
        return [items[pe] for pe in order]
    if not isinstance(config, Mapping):
        return config
    if not isinstance(live, Mapping):
        return dict(config)
    out = dict(live)
    for key, value in config.items():
        sub = shape.field(key) or UNTYPED
        out[key] = merge(live[key], value, sub) if key in live else value
    return out


def _pruned(obj: Any, drop: FieldSet, owned: FieldSet, shape: Shape) -> Any:
    """`obj` without the paths in `drop`, except where a path under one is still owned."""
    if not drop:
        return obj
    return _prune(obj, (), drop, owned, shape)


def _prune(value: Any, path: Path, drop: FieldSet, owned: FieldSet, shape: Shape) -> Any:
    kind = resolved_kind(shape, value)
    if kind == "list" and isinstance(value, list) and shape.list_type != "atomic":
        out = []
        for i, item in enumerate(value):
            child = (*path, item_element(shape, item, i))
            if child in drop and not _owned_under(child, owned):
                continue
            out.append(_prune(item, child, drop, owned, shape.item()))
        return out
    if isinstance(value, Mapping) and kind in ("struct", "map", "untyped") and not shape.atomic:
        result = {}
        for key, child_value in value.items():
            child = (*path, ("f", key))
            if child in drop and not _owned_under(child, owned):
                continue
            result[key] = _prune(child_value, child, drop, owned, shape.field(key) or UNTYPED)
        return result
    return value


def _owned_under(path: Path, owned: FieldSet) -> bool:
    n = len(path)
    return any(len(p) > n and p[:n] == path for p in owned)
