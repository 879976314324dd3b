"""A Deployment's revisions, as the deployment controller reads them (deploymentutil, v1.32): the
pod-template-hash that names each ReplicaSet, when two pod templates are the same one, the
revision and replica annotations, and the rules its status follows (complete, progressing, a
deadline). Values in, values out: no API here.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from typing import Any

from listwatch.apiserver import objects
from listwatch.apiserver.kinds import deployments as kind

HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
#: The Deployment's annotations never copied to its ReplicaSets (annotationsToSkip).
NOT_COPIED = frozenset(
    {
        "kubectl.kubernetes.io/last-applied-configuration",
        REVISION,
        REVISION_HISTORY,
        DESIRED_REPLICAS,
        MAX_REPLICAS,
        "deprecated.deployment.rollback.to",
    }
)
#: The revision history kept on a ReplicaSet rolled back to, at most (in characters).
MAX_HISTORY_CHARS = 2000
#: The alphabet of rand.SafeEncodeString: no vowels, no confusable digits.
SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def pod_template_hash(template: Mapping[str, Any], collision_count: int | None) -> str:
    """controller.ComputeHash: FNV-1a (32 bit) of the template, then of the collision count as 8
    little-endian bytes, written in decimal and each digit mapped into SAFE_ALPHABET.

    Kubernetes hashes go-spew's dump of the Go struct; this hashes the canonical JSON of the
    template instead, so the value differs from a real cluster's for the same template while
    its form (up to 10 characters of that alphabet) and its behaviour (a new hash per template,
    a new one per collision) are the same."""
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    if collision_count is not None:
        data += struct.pack("<I", collision_count & 0xFFFFFFFF) + bytes(4)
    value = 0x811C9DC5
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return "".join(SAFE_ALPHABET[ord(c) % len(SAFE_ALPHABET)] for c in str(value))


def pruned(value: Any) -> Any:
    """A JSON value without nulls and empty maps or lists (Go's zero values, omitted)."""
    if isinstance(value, Mapping):
        kept = {k: pruned(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [pruned(v) for v in value]
    return value


def equal_ignore_hash(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """EqualIgnoreHash: two pod templates alike but for the pod-template-hash label."""

    def without(template: Mapping[str, Any]) -> Any:
        t = objects.deep_copy(dict(template))
        labels = (t.get("metadata") or {}).get("labels")
        if isinstance(labels, dict):
            labels.pop(HASH_LABEL, None)
        return pruned(t)

    return bool(without(a) == without(b))


def revision_of(rs: Mapping[str, Any]) -> int:
    """deploymentutil.Revision: the revision annotation, 0 when absent or not a number."""
    try:
        return int((objects.meta(rs).get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


def replicas_of(rs: Mapping[str, Any] | None) -> int:
    return int(((rs or {}).get("spec") or {}).get("replicas", 1)) if rs is not None else 0


def status_count(rs: Mapping[str, Any] | None, field: str) -> int:
    return int(((rs or {}).get("status") or {}).get(field, 0)) if rs is not None else 0


def by_creation(rs: Mapping[str, Any]) -> tuple[str, str]:
    meta = objects.meta(rs)
    return (str(meta.get("creationTimestamp", "")), objects.name_of(rs))


def annotation(obj: Mapping[str, Any], key: str) -> str:
    return str((objects.meta(obj).get("annotations") or {}).get(key, ""))


def condition(obj: Mapping[str, Any], type_: str) -> Mapping[str, Any] | None:
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == type_:
            return c  # type: ignore[no-any-return]
    return None


def has_deadline(spec: Mapping[str, Any]) -> bool:
    deadline = spec.get("progressDeadlineSeconds")
    return deadline is not None and deadline != 2**31 - 1


def complete(obj: Mapping[str, Any], status: Mapping[str, Any]) -> bool:
    """DeploymentComplete: every replica updated and available, the generation observed."""
    replicas = int((obj.get("spec") or {}).get("replicas", kind.DEFAULT_REPLICAS))
    return (
        status.get("updatedReplicas", 0) == replicas
        and status.get("replicas", 0) == replicas
        and status.get("availableReplicas", 0) == replicas
        and int(status.get("observedGeneration", 0)) >= int(objects.meta(obj).get("generation", 1))
    )


def progressing(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """DeploymentProgressing: more updated, fewer old, more ready or more available replicas."""

    def old(s: Mapping[str, Any]) -> int:
        return int(s.get("replicas", 0)) - int(s.get("updatedReplicas", 0))

    return (
        after.get("updatedReplicas", 0) > before.get("updatedReplicas", 0)
        or old(after) < old(before)
        or after.get("readyReplicas", 0) > before.get("readyReplicas", 0)
        or after.get("availableReplicas", 0) > before.get("availableReplicas", 0)
    )


def newer(obj: Mapping[str, Any], known: Mapping[str, Any] | None) -> bool:
    """Whether `obj` is at least as recent as what is `known` (resourceVersions compared as the
    store's numbers)."""
    if known is None:
        return True
    try:
        return int(objects.rv_of(obj) or 0) >= int(objects.rv_of(known) or 0)
    except ValueError:
        return True
