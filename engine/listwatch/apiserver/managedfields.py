"""Field ownership: `metadata.managedFields`, as kube-apiserver v1.32 keeps it on every write
(k8s.io/apimachinery's managedfields over sigs.k8s.io/structured-merge-diff v4).

What each write (create, update or patch) does to the managers, as the structured-merge-diff
Updater does it: the old and the new object are compared, both as typed values (`shapes`); every
path added or changed goes to the writer's Update entry (with the time of the write), every path
removed leaves every manager, and a path another manager owned and this write changed leaves it.
`apiVersion`, `kind`, `metadata` itself and the server-set metadata fields are nobody's; a write
to the main resource of a kind with a status subresource owns no `status` path, and a write to
`status` owns only `status` paths. Server-side apply is `apply`'s. Nothing here does I/O.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from listwatch.apiserver.fieldsets import (
    Comparison,
    compare,
    decode,
    encode,
    field_set,
    only,
    without,
)
from listwatch.apiserver.shapes import FieldSet, Path, PathElement, Shape

#: The paths no manager owns (stripMetaManager's set).
STRIPPED = frozenset(
    {
        (("f", "apiVersion"),),
        (("f", "kind"),),
        (("f", "metadata"),),
        *(
            (("f", "metadata"), ("f", name))
            for name in (
                "name",
                "namespace",
                "creationTimestamp",
                "selfLink",
                "uid",
                "clusterName",
                "generation",
                "managedFields",
                "resourceVersion",
            )
        ),
    }
)
#: The most Update entries an object keeps; older ones merge into "ancient-changes".
MAX_UPDATE_MANAGERS = 10


# -- managers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One manager's entry: who, how (Apply or Update), in which version, and what it owns."""

    manager: str
    operation: str
    api_version: str
    fields: FieldSet
    time: str | None = None
    subresource: str = ""

    @property
    def identity(self) -> tuple[str, str, str, str]:
        """What tells entries apart (BuildManagerIdentifier): an Apply entry's version does not."""
        version = "" if self.operation == "Apply" else self.api_version
        return (self.manager, self.operation, version, self.subresource)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "manager": self.manager,
            "operation": self.operation,
            "apiVersion": self.api_version,
        }
        if self.time is not None:
            out["time"] = self.time
        out["fieldsType"] = "FieldsV1"
        out["fieldsV1"] = encode(self.fields)
        if self.subresource:
            out["subresource"] = self.subresource
        return out

    def described(self) -> str:
        """How a conflict names it (printManager)."""
        text = json.dumps(self.manager)
        if self.subresource:
            text += f" with subresource {json.dumps(self.subresource)}"
        if self.operation == "Update":
            text += f" using {self.api_version}"
        return text


def entries(obj: Any) -> list[Entry]:
    """The entries of an object's `metadata.managedFields`; none when they cannot be read as
    ManagedFieldsEntry values (DecodeManagedFields fails on the whole list)."""
    meta = obj.get("metadata") if isinstance(obj, Mapping) else None
    raw_entries = meta.get("managedFields") if isinstance(meta, Mapping) else None
    if not isinstance(raw_entries, list):
        return []
    out = []
    for raw in raw_entries:
        if not isinstance(raw, Mapping) or not _readable(raw):
            return []
        out.append(
            Entry(
                manager=raw.get("manager") or "",
                operation=raw.get("operation") or "",
                api_version=raw.get("apiVersion") or "",
                fields=decode(raw.get("fieldsV1") or {}),
                time=raw.get("time") or None,
                subresource=raw.get("subresource") or "",
            )
        )
    return out


def _readable(raw: Mapping[str, Any]) -> bool:
    texts = ("manager", "operation", "apiVersion", "time", "fieldsType", "subresource")
    if any(raw.get(k) is not None and not isinstance(raw.get(k), str) for k in texts):
        return False
    fields = raw.get("fieldsV1")
    return fields is None or isinstance(fields, Mapping)


def encoded(found: Iterable[Entry]) -> list[dict[str, Any]]:
    """Entries as `metadata.managedFields`, in kube-apiserver's order (Apply before Update, then
    by time, manager, apiVersion and subresource), empty ones left out."""
    kept = [e for e in found if e.fields]
    kept.sort(key=lambda e: (e.operation, e.time or "", e.manager, e.api_version, e.subresource))
    return [e.as_json() for e in kept]


@dataclass(frozen=True)
class Write:
    """One write's say on ownership: the shape of the kind, the writer, the served version, the
    subresource written, whether the kind has a status subresource, and the time."""

    shape: Shape
    manager: str
    api_version: str
    now: str
    subresource: str = ""
    has_status: bool = False
    kind: str = ""

    def compare(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> Comparison:
        """What the write changed of what it may own: only `status` for a status write, all but
        `status` for a write of the main resource of a kind with a status subresource (the
        fields the strategies reset, left out of the comparison as kube-apiserver leaves them)."""
        if self.subresource == "status":
            old = {"status": old["status"]} if "status" in old else {}
            new = {"status": new["status"]} if "status" in new else {}
        elif not self.subresource and self.has_status:
            old = {k: v for k, v in old.items() if k != "status"}
            new = {k: v for k, v in new.items() if k != "status"}
        return compare(old, new, self.shape)

    def owned(self, fields: Iterable[Path]) -> FieldSet:
        """The paths a write of this kind and subresource may own."""
        kept = frozenset(fields) - STRIPPED
        status: Path = (("f", "status"),)
        if self.subresource == "status":
            return only(kept, [status])
        if self.subresource:
            return kept
        return without(kept, [status]) if self.has_status else kept


def updated(
    write: Write,
    old: Any,
    new: Mapping[str, Any],
    base: list[Entry],
    *,
    created_from: Mapping[str, Any] | None = None,
) -> list[Entry]:
    """The entries after a create, update or patch from `old` (None for a create) to `new`
    (managedFields removed from both): the writer's Update entry gains what it added or changed
    (its time now), every entry loses what was removed, the others what the writer changed.
    On a create, what admission plugins added to the body (`created_from`, see `admitted`) is
    nobody's, as kube-apiserver tracks fields before admission."""
    comparison = write.compare(bare(old) if old is not None else {}, bare(new))
    changed = write.owned(comparison.changed)
    if created_from is not None:
        changed = without(changed, admitted(write.kind, created_from, changed, write.shape))
    removed = comparison.removed
    out = []
    mine = Entry(write.manager, "Update", write.api_version, frozenset(), None, write.subresource)
    previous: Entry | None = None
    for entry in base:
        if entry.identity == mine.identity:
            previous = entry
            continue
        out.append(with_fields(entry, entry.fields - removed - changed))
    if changed:
        fields = (previous.fields - removed if previous else frozenset()) | changed
        out.append(with_fields(mine, fields, time=write.now))
    elif previous is not None:
        out.append(with_fields(previous, previous.fields - removed))
    return capped([e for e in out if e.fields])


def capped(found: list[Entry]) -> list[Entry]:
    """At most MAX_UPDATE_MANAGERS Update entries: the oldest merge into "ancient-changes"."""
    updates = [e for e in found if e.operation == "Update"]
    if len(updates) <= MAX_UPDATE_MANAGERS:
        return found
    updates.sort(key=lambda e: e.time or "")
    surplus = updates[: len(updates) - MAX_UPDATE_MANAGERS + 1]
    merged: frozenset[Path] = frozenset().union(*(e.fields for e in surplus))
    ancient = Entry("ancient-changes", "Update", surplus[-1].api_version, merged, surplus[-1].time)
    return [e for e in found if e not in surplus] + [ancient]


def with_fields(entry: Entry, fields: FieldSet, *, time: str | None = None) -> Entry:
    return Entry(
        entry.manager,
        entry.operation,
        entry.api_version,
        fields,
        time if time is not None else entry.time,
        entry.subresource,
    )


def bare(obj: Any) -> Any:
    if not isinstance(obj, Mapping):
        return obj
    meta = obj.get("metadata")
    if isinstance(meta, Mapping) and "managedFields" in meta:
        return {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}
    return obj


def base_entries(old: Any, body: Mapping[str, Any], *, subresource: str) -> list[Entry]:
    """The entries a write starts from (decodeLiveOrNew): the body's own when it carries some
    (an empty list resets them), the stored object's otherwise and always for a subresource."""
    if subresource:
        return entries(old)
    meta = body.get("metadata")
    given = meta.get("managedFields") if isinstance(meta, Mapping) else None
    if isinstance(given, list) and (not given or given == [{}]):
        return []
    found = entries(body)
    return found if found else entries(old)


# -- admission ------------------------------------------------------------------------------------

#: What admission plugins add to a new object of a kind, which nobody owns: kube-apiserver tracks
#: fields before admission (ServiceAccount: the account and its token volume and mounts;
#: DefaultTolerationSeconds: the tolerations; Priority: priority and preemptionPolicy). Each
#: pattern is a path of field names, `*` (any element) and `~text` (an item whose keys contain
#: text); a pattern ending in `=` matches that path only, the others everything under it too.
ADMITTED: Mapping[str, tuple[tuple[str, ...], ...]] = {
    "Pod": (
        ("spec", "serviceAccountName"),
        ("spec", "serviceAccount"),
        ("spec", "priority"),
        ("spec", "preemptionPolicy"),
        ("spec", "tolerations"),
        ("spec", "volumes", "="),
        ("spec", "volumes", "~kube-api-access-"),
        ("spec", "containers", "*", "volumeMounts", "="),
        ("spec", "containers", "*", "volumeMounts", "~/var/run/secrets/kubernetes.io/"),
    ),
}


def admitted(kind: str, body: Mapping[str, Any], changed: Iterable[Path], shape: Shape) -> FieldSet:
    """Of the paths a create of `kind` from `body` set, those admission plugins set (see
    ADMITTED): they match a pattern, and the body does not have them."""
    patterns = _patterns(kind)
    if not patterns:
        return frozenset()
    second = {pe for pattern in patterns for i, pe in pattern.names if i == 1}
    found = [
        p
        for p in changed
        if len(p) > 1 and p[1] in second and any(pattern.matches(p) for pattern in patterns)
    ]
    if not found:
        return frozenset()
    given = field_set(bare(body), shape)
    return frozenset(p for p in found if not any(q[: len(p)] == p for q in given))


@dataclass(frozen=True)
class _Pattern:
    """An ADMITTED pattern made ready to test: its length, the field names it fixes (by index,
    deepest first) and the key texts its items must contain."""

    length: int
    exact: bool
    names: tuple[tuple[int, PathElement], ...]
    keys: tuple[tuple[int, str], ...]

    def matches(self, path: Path) -> bool:
        n = len(path)
        if n < self.length or (self.exact and n != self.length):
            return False
        if any(path[i] != pe for i, pe in self.names):
            return False
        return all(path[i][0] == "k" and text in path[i][1] for i, text in self.keys)


@functools.cache
def _patterns(kind: str) -> tuple[_Pattern, ...]:
    out = []
    for pattern in ADMITTED.get(kind, ()):
        exact = pattern[-1] == "="
        steps = pattern[:-1] if exact else pattern
        names = tuple(
            (i, ("f", step)) for i, step in enumerate(steps) if step != "*" and step[0] != "~"
        )
        keys = tuple((i, step[1:]) for i, step in enumerate(steps) if step[0] == "~")
        out.append(_Pattern(len(steps), exact, names[::-1], keys))
    return tuple(out)


# -- who writes -----------------------------------------------------------------------------------

#: listwatch's components by the program kube-apiserver would name them after (their User-Agent).
_PROGRAMS = {
    "kubelet": "kubelet",
    "scheduler": "kube-scheduler",
    "default-scheduler": "kube-scheduler",
    "apiserver": "kube-apiserver",
    "controller-manager": "kube-controller-manager",
    "generic-garbage-collector": "kube-controller-manager",
}


def manager_of(actor: str) -> str:
    """The manager kube-apiserver records for a writer that names none: its User-Agent's program
    (the part before the first "/", at most 128 characters); listwatch's own components as the
    binaries they stand for (kubelet, kube-scheduler, kube-controller-manager)."""
    program = actor.partition("/")[0].strip()
    if program in _PROGRAMS:
        return _PROGRAMS[program]
    if program.endswith("-controller"):
        return "kube-controller-manager"
    return program[:128]
