"""The replica count: a replication controller never makes a ReplicationController or ReplicaSet
more active pods than its spec.replicas, and the job controller never makes a Job more active pods
than its spec.parallelism.

Active pods are those the controller owns (their controller ownerReference) that are not being
deleted and not finished, as the controller counts them. Only a pod that *appears* can break the
rule (a scale-down leaves surplus pods until the controller deletes them, which is legal), and the
limit is the larger of spec.replicas as last seen and as seen before that, so a creation already
under way when the count was lowered is not blamed. Too few replicas cannot be told from a trace
that ends early; `listwatch validate`'s generated rounds judge that from the end state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from listwatch.actions import ObjectRef

#: The kinds whose active pods are counted, and the spec field (with its default) that bounds them.
LIMITS: Mapping[str, tuple[str, int]] = {
    "ReplicationController": ("replicas", 1),
    "ReplicaSet": ("replicas", 1),
    "Job": ("parallelism", 1),
}
KINDS = frozenset(LIMITS)


@dataclass
class _Owner:
    ref: ObjectRef
    #: The bounding field (spec.replicas, spec.parallelism).
    bound: str
    #: Its value as last seen, and as seen before that.
    replicas: tuple[int, int]
    active: set[str] = field(default_factory=set)


class Replicas:
    """Each controller's replicas and active pods, fed record by record."""

    def __init__(self) -> None:
        self._owners: dict[str, _Owner] = {}

    def controller(self, kind: str | None, obj: Mapping[str, Any]) -> None:
        ref = ObjectRef.of(obj)
        if kind == "DELETED":
            self._owners.pop(ref.uid, None)
            return
        name, default = LIMITS[str(obj.get("kind"))]
        replicas = int((obj.get("spec") or {}).get(name, default))
        owner = self._owners.get(ref.uid)
        if owner is None:
            self._owners[ref.uid] = _Owner(ref, name, (replicas, replicas))
        elif replicas != owner.replicas[0]:
            owner.replicas = (replicas, owner.replicas[0])

    def pod(self, kind: str | None, obj: Mapping[str, Any]) -> tuple[str, str] | None:
        """What was expected and what was observed, if this pod record makes its owner one
        active pod too many."""
        meta = obj.get("metadata") or {}
        controller = next(
            (r for r in meta.get("ownerReferences") or () if r.get("controller")), None
        )
        owner = self._owners.get(str((controller or {}).get("uid", "")))
        if owner is None:
            return None
        uid = str(meta.get("uid", ""))
        going = (
            kind == "DELETED"
            or bool(meta.get("deletionTimestamp"))
            or (obj.get("status") or {}).get("phase") in ("Succeeded", "Failed")
        )
        if going:
            owner.active.discard(uid)
            return None
        if uid in owner.active:
            return None
        owner.active.add(uid)
        limit = max(owner.replicas)
        if len(owner.active) <= limit:
            return None
        return (
            f"at most {limit} active pods owned by {owner.ref.kind} {owner.ref} "
            f"(spec.{owner.bound} {owner.replicas[0]})",
            f"{meta.get('name')} appeared as its active pod number {len(owner.active)}",
        )
