"""A StatefulSet's pods, claims and revisions as values, as the statefulset controller (v1.32,
stateful_set_utils.go and controller/history) makes and reads them: no API here.

- a pod's identity: `<set>-<ordinal>`, hostname its name, subdomain the set's serviceName, the
  labels `statefulset.kubernetes.io/pod-name` and `apps.kubernetes.io/pod-index`, and
  `controller-revision-hash` naming the ControllerRevision whose template it was made from;
- its claims: one PersistentVolumeClaim per volumeClaimTemplate, `<template>-<set>-<ordinal>`,
  labelled with the set's selector, mounted as a volume named for the template;
- a revision: a ControllerRevision `<set>-<hash>` whose data is the patch that restores the pod
  template (`{"spec": {"template": {..., "$patch": "replace"}}}`);
- the health rules: Running and Ready, available after minReadySeconds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from listwatch.apiserver import objects
from listwatch.apiserver.objects import Obj
from listwatch.clock import parse_rfc3339
from listwatch.components.revisions import pod_template_hash, pruned

REVISION_LABEL = "controller-revision-hash"
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
ROLLING_UPDATE = "RollingUpdate"
ON_DELETE = "OnDelete"
PARALLEL = "Parallel"
#: ControllerRevisionName keeps a prefix of at most this many characters before the hash.
MAX_PREFIX = 223

_ORDINAL = re.compile(r"^(.*)-([0-9]+)$")


def parent_and_ordinal(pod: Mapping[str, Any]) -> tuple[str, int]:
    """getParentNameAndOrdinal: the set a pod's name says it belongs to and its ordinal (-1 when
    the name has none)."""
    match = _ORDINAL.match(objects.name_of(pod))
    if match is None:
        return "", -1
    return match.group(1), int(match.group(2))


def ordinal_of(pod: Mapping[str, Any]) -> int:
    return parent_and_ordinal(pod)[1]


def spec_of(sts: Mapping[str, Any]) -> Mapping[str, Any]:
    return sts.get("spec") or {}


def replicas_of(sts: Mapping[str, Any]) -> int:
    return int(spec_of(sts).get("replicas", 1))


def start_ordinal(sts: Mapping[str, Any]) -> int:
    return int((spec_of(sts).get("ordinals") or {}).get("start", 0))


def monotonic(sts: Mapping[str, Any]) -> bool:
    """OrderedReady: one pod at a time (Parallel is allowsBurst)."""
    return spec_of(sts).get("podManagementPolicy") != PARALLEL


def strategy_of(sts: Mapping[str, Any]) -> str:
    return str((spec_of(sts).get("updateStrategy") or {}).get("type", ROLLING_UPDATE))


def partition_of(sts: Mapping[str, Any]) -> int:
    rolling = (spec_of(sts).get("updateStrategy") or {}).get("rollingUpdate") or {}
    return int(rolling.get("partition", 0))


def pod_name(sts: Mapping[str, Any], ordinal: int) -> str:
    return f"{objects.name_of(sts)}-{ordinal}"


def claim_name(sts: Mapping[str, Any], template: Mapping[str, Any], ordinal: int) -> str:
    return f"{objects.name_of(template)}-{objects.name_of(sts)}-{ordinal}"


def revision_of(pod: Mapping[str, Any]) -> str:
    return str(objects.labels_of(pod).get(REVISION_LABEL, ""))


# -- revisions -------------------------------------------------------------------------------------


def revision_data(template: Mapping[str, Any]) -> dict[str, Any]:
    """getPatch: what a ControllerRevision of a StatefulSet keeps, its pod template to restore."""
    return {
        "spec": {"template": {**pruned(objects.deep_copy(dict(template))), "$patch": "replace"}}
    }


def template_of_revision(revision: Mapping[str, Any]) -> dict[str, Any]:
    """ApplyRevision, for the one field a revision keeps: the pod template it restores."""
    template = dict(((revision.get("data") or {}).get("spec") or {}).get("template") or {})
    template.pop("$patch", None)
    return template


def revision_hash(template: Mapping[str, Any], collision_count: int) -> str:
    """HashControllerRevision of the revision the template makes (see
    `revisions.pod_template_hash` for how the value differs from a real cluster's)."""
    return pod_template_hash(revision_data(template), collision_count)


def revision_name(sts: Mapping[str, Any], template_hash: str) -> str:
    """ControllerRevisionName: `<set>-<hash>`, the set's name cut to MAX_PREFIX characters."""
    return f"{objects.name_of(sts)[:MAX_PREFIX]}-{template_hash}"


def controller_ref(sts: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "name": objects.name_of(sts),
        "uid": objects.uid_of(sts),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def new_revision(sts: Mapping[str, Any], number: int, collision_count: int) -> Obj:
    """NewControllerRevision of the set's pod template: the template's labels and the hash label,
    owned by the set."""
    template = spec_of(sts).get("template") or {}
    digest = revision_hash(template, collision_count)
    labels = dict((template.get("metadata") or {}).get("labels") or {})
    labels[REVISION_LABEL] = digest
    return {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {
            "name": revision_name(sts, digest),
            "namespace": objects.namespace_of(sts),
            "labels": labels,
            "ownerReferences": [controller_ref(sts)],
        },
        "data": revision_data(template),
        "revision": number,
    }


def equal_revisions(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """FindEqualRevisions' test: the same hash label and the same data."""
    return objects.labels_of(a).get(REVISION_LABEL) == objects.labels_of(b).get(
        REVISION_LABEL
    ) and pruned(a.get("data")) == pruned(b.get("data"))


# -- pods and claims -------------------------------------------------------------------------------


def new_pod(
    sts: Mapping[str, Any], template: Mapping[str, Any], ordinal: int, revision: str
) -> Obj:
    """newStatefulSetPod from `template` (the pod template of the revision it is made at), its
    identity (initIdentity), its storage (updateStorage) and its revision label."""
    meta = objects.deep_copy(dict(template.get("metadata") or {}))
    meta.pop("name", None)
    name = pod_name(sts, ordinal)
    labels = dict(meta.get("labels") or {})
    labels[POD_NAME_LABEL] = name
    labels[POD_INDEX_LABEL] = str(ordinal)
    labels[REVISION_LABEL] = revision
    meta.update(
        {
            "name": name,
            "generateName": f"{objects.name_of(sts)}-",
            "namespace": objects.namespace_of(sts),
            "labels": labels,
            "ownerReferences": [controller_ref(sts)],
        }
    )
    spec = objects.deep_copy(dict(template.get("spec") or {}))
    spec["hostname"] = name
    service = spec_of(sts).get("serviceName")
    if service:
        spec["subdomain"] = service
    claims = spec_of(sts).get("volumeClaimTemplates") or []
    if claims:
        own = {objects.name_of(c) for c in claims}
        mounted = [
            {
                "name": objects.name_of(c),
                "persistentVolumeClaim": {"claimName": claim_name(sts, c, ordinal)},
            }
            for c in claims
        ]
        spec["volumes"] = mounted + [
            v for v in spec.get("volumes") or [] if v.get("name") not in own
        ]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def new_claims(sts: Mapping[str, Any], ordinal: int) -> list[Obj]:
    """getPersistentVolumeClaims: each volumeClaimTemplate named for the pod, in the set's
    namespace, its labels with the set's selector's matchLabels."""
    match = (spec_of(sts).get("selector") or {}).get("matchLabels") or {}
    claims = []
    for template in spec_of(sts).get("volumeClaimTemplates") or []:
        meta = objects.deep_copy(dict(template.get("metadata") or {}))
        meta["name"] = claim_name(sts, template, ordinal)
        meta["namespace"] = objects.namespace_of(sts)
        meta["labels"] = {**(meta.get("labels") or {}), **match}
        claims.append(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": meta,
                "spec": objects.deep_copy(dict(template.get("spec") or {})),
            }
        )
    return claims


# -- health ----------------------------------------------------------------------------------------


def phase_of(pod: Mapping[str, Any]) -> str:
    return str((pod.get("status") or {}).get("phase", ""))


def created(pod: Mapping[str, Any]) -> bool:
    """isCreated: the API server has given it a phase."""
    return phase_of(pod) != ""


def finished(pod: Mapping[str, Any]) -> bool:
    """isFailed or isSucceeded: a pod the controller deletes to create it again."""
    return phase_of(pod) in ("Failed", "Succeeded")


def terminating(pod: Mapping[str, Any]) -> bool:
    return bool(objects.meta(pod).get("deletionTimestamp"))


def running_and_ready(pod: Mapping[str, Any]) -> bool:
    return (
        phase_of(pod) == "Running"
        and (objects.condition(pod, "Ready") or {}).get("status") == "True"
    )


def available(pod: Mapping[str, Any], min_ready: int, now: datetime) -> bool:
    """isRunningAndAvailable: Running and Ready for at least minReadySeconds."""
    if not running_and_ready(pod):
        return False
    if min_ready <= 0:
        return True
    since = (objects.condition(pod, "Ready") or {}).get("lastTransitionTime")
    if not since:
        return False
    return (now - parse_rfc3339(str(since))).total_seconds() >= min_ready


def unavailable(pod: Mapping[str, Any] | None, min_ready: int, now: datetime) -> bool:
    """isUnavailable: not there, terminating, or not available."""
    return pod is None or terminating(pod) or not available(pod, min_ready, now)


def replica_counts(
    pods: Sequence[Mapping[str, Any]], min_ready: int, now: datetime, current: str, update: str
) -> dict[str, int]:
    """computeReplicaStatus: created pods, Ready ones, available ones, and the pods (not
    terminating) at the current and at the update revision."""
    counts = dict.fromkeys(
        ("replicas", "readyReplicas", "availableReplicas", "currentReplicas", "updatedReplicas"), 0
    )
    for pod in pods:
        if created(pod):
            counts["replicas"] += 1
        if running_and_ready(pod):
            counts["readyReplicas"] += 1
            if available(pod, min_ready, now):
                counts["availableReplicas"] += 1
        if created(pod) and not terminating(pod):
            if revision_of(pod) == current:
                counts["currentReplicas"] += 1
            if revision_of(pod) == update:
                counts["updatedReplicas"] += 1
    return counts
