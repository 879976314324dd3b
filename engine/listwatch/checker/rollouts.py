"""The surge limit: the deployment controller never gives a Deployment's ReplicaSets more than
replicas + maxSurge replicas in all.

This is the count the v1.32 controller bounds (NewRSNewReplicas sums the spec.replicas of every
ReplicaSet the Deployment controls; proportional scaling brings the sum to exactly replicas +
maxSurge; Recreate has no surge and grows the new ReplicaSet only once the old ones are at 0). It
is not a bound on pods: an old ReplicaSet scaled down still has its pod until the replicaset
controller deletes it, while the new one may already have its next pod, so the active pods can
pass replicas + maxSurge for a moment on a real cluster too.

Only a ReplicaSet that appears with replicas, or grows, can break the rule (shrinking is always
legal), and the limit is the larger of replicas + maxSurge as the Deployment was last seen and as
it was seen before that, so that a growth already under way when the Deployment changed is not
blamed. A ReplicaSet whose Deployment the trace has not shown is not judged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from listwatch.actions import ObjectRef
from listwatch.apiserver.kinds.deployments import max_surge

#: The kinds this rule follows.
KINDS = frozenset({"Deployment", "ReplicaSet"})


@dataclass
class _Deployment:
    ref: ObjectRef
    #: replicas + maxSurge as last seen, and as seen before that.
    limits: tuple[int, int]
    #: spec.replicas of each ReplicaSet it controls, by UID.
    sets: dict[str, int] = field(default_factory=dict)


def _limit(obj: Mapping[str, Any]) -> int:
    spec = obj.get("spec") or {}
    return int(spec.get("replicas", 1)) + max_surge(spec)


class Rollouts:
    """Each Deployment's surge limit and its ReplicaSets' sizes, fed record by record."""

    def __init__(self) -> None:
        self._deployments: dict[str, _Deployment] = {}

    def feed(self, kind: str | None, obj: Mapping[str, Any]) -> tuple[str, str] | None:
        """Take a Deployment or ReplicaSet record; what was expected and what was observed if it
        takes a Deployment's ReplicaSets past its limit."""
        if obj.get("kind") == "Deployment":
            self._deployment(kind, obj)
            return None
        return self._replica_set(kind, obj)

    def _deployment(self, kind: str | None, obj: Mapping[str, Any]) -> None:
        ref = ObjectRef.of(obj)
        if kind == "DELETED":
            self._deployments.pop(ref.uid, None)
            return
        limit = _limit(obj)
        known = self._deployments.get(ref.uid)
        if known is None:
            self._deployments[ref.uid] = _Deployment(ref, (limit, limit))
        elif limit != known.limits[0]:
            known.limits = (limit, known.limits[0])

    def _replica_set(self, kind: str | None, obj: Mapping[str, Any]) -> tuple[str, str] | None:
        meta = obj.get("metadata") or {}
        owner = next((r for r in meta.get("ownerReferences") or () if r.get("controller")), None)
        if owner is None or owner.get("kind") != "Deployment":
            return None
        deployment = self._deployments.get(str(owner.get("uid", "")))
        if deployment is None:
            return None
        uid = str(meta.get("uid", ""))
        if kind == "DELETED":
            deployment.sets.pop(uid, None)
            return None
        replicas = int((obj.get("spec") or {}).get("replicas", 1))
        before = deployment.sets.get(uid, 0)
        deployment.sets[uid] = replicas
        if replicas <= before:
            return None
        total = sum(deployment.sets.values())
        limit = max(deployment.limits)
        if total <= limit:
            return None
        return (
            f"at most {limit} replicas (replicas + maxSurge) across the ReplicaSets of "
            f"Deployment {deployment.ref}",
            f"{meta.get('name')} grew from {before} to {replicas}: {total} in all",
        )
