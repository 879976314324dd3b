"""A Deployment's status as the deployment controller writes it (v1.32's calculateStatus,
syncRolloutStatus and SetDeploymentCondition): the replica counts summed over its ReplicaSets
and the Available, Progressing and ReplicaFailure conditions. Values in, values out: no API here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from listwatch.apiserver import objects
from listwatch.apiserver.kinds import deployments as kind
from listwatch.clock import parse_rfc3339
from listwatch.components.revisions import (
    complete,
    condition,
    has_deadline,
    progressing,
    replicas_of,
    status_count,
)

Status = dict[str, Any]


def calculate(
    deployment: Mapping[str, Any],
    replica_sets: Sequence[Mapping[str, Any]],
    new: Mapping[str, Any] | None,
    *,
    now: str,
) -> Status:
    """calculateStatus: counts over every ReplicaSet (`new` among them), and Available."""
    spec = deployment.get("spec") or {}
    available = sum(status_count(rs, "availableReplicas") for rs in replica_sets)
    total = sum(replicas_of(rs) for rs in replica_sets)
    before = deployment.get("status") or {}
    status: Status = {
        "observedGeneration": objects.meta(deployment).get("generation", 1),
        "replicas": sum(status_count(rs, "replicas") for rs in replica_sets),
        "updatedReplicas": status_count(new, "replicas"),
        "readyReplicas": sum(status_count(rs, "readyReplicas") for rs in replica_sets),
        "availableReplicas": available,
        "unavailableReplicas": max(0, total - available),
    }
    if "collisionCount" in before:
        status["collisionCount"] = before["collisionCount"]
    status = {k: v for k, v in status.items() if v or k == "observedGeneration"}
    status["conditions"] = [dict(c) for c in before.get("conditions") or []]
    if available >= int(spec.get("replicas", kind.DEFAULT_REPLICAS)) - kind.max_unavailable(spec):
        wanted = ("True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
    else:
        wanted = (
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
        )
    set_condition(status, "Available", *wanted, now=now)
    return status


def with_progress(
    deployment: Mapping[str, Any],
    status: Status,
    new: Mapping[str, Any] | None,
    failure: tuple[str, str, str] | None,
    *,
    now: str,
    wall: datetime,
) -> Status:
    """syncRolloutStatus's conditions on a calculated `status`: Progressing as the rollout
    stands (complete, progressing, or past its deadline; none without a deadline), and
    ReplicaFailure as `failure` (a ReplicaSet's, `replica_failure`) says."""
    spec = deployment.get("spec") or {}
    before = deployment.get("status") or {}
    current = condition(deployment, "Progressing")
    if not has_deadline(spec):
        status["conditions"] = [
            c for c in status.get("conditions", []) if c.get("type") != "Progressing"
        ]
    finished = (
        status.get("replicas", 0) == status.get("updatedReplicas", 0)
        and current is not None
        and current.get("reason") == "NewReplicaSetAvailable"
    )
    subject = (
        f'ReplicaSet "{objects.name_of(new)}"'
        if new is not None
        else f'Deployment "{objects.name_of(deployment)}"'
    )
    if has_deadline(spec) and not finished:
        if complete(deployment, status):
            set_condition(
                status,
                "Progressing",
                "True",
                "NewReplicaSetAvailable",
                f"{subject} has successfully progressed.",
                now=now,
            )
        elif progressing(before, status):
            since = (
                current.get("lastTransitionTime")
                if current is not None and current.get("status") == "True"
                else None
            )
            status["conditions"] = [
                c for c in status.get("conditions", []) if c.get("type") != "Progressing"
            ]
            set_condition(
                status,
                "Progressing",
                "True",
                "ReplicaSetUpdated",
                f"{subject} is progressing.",
                now=now,
            )
            if since is not None:
                status["conditions"][-1]["lastTransitionTime"] = since
        elif timed_out(spec, status, wall):
            set_condition(
                status,
                "Progressing",
                "False",
                "ProgressDeadlineExceeded",
                f"{subject} has timed out progressing.",
                now=now,
            )
    if failure is None:
        status["conditions"] = [
            c for c in status.get("conditions", []) if c.get("type") != "ReplicaFailure"
        ]
    else:
        set_condition(status, "ReplicaFailure", *failure, now=now)
    if not status["conditions"]:
        del status["conditions"]
    return status


def set_condition(
    status: Status, type_: str, state: str, reason: str, message: str, *, now: str
) -> None:
    """SetDeploymentCondition: unchanged when status and reason are; the transition time kept
    when only the reason changes; the condition moved last."""
    conditions = [dict(c) for c in status.get("conditions") or []]
    current = next((c for c in conditions if c.get("type") == type_), None)
    if current is not None and current.get("status") == state and current.get("reason") == reason:
        status["conditions"] = conditions
        return
    fresh = {
        "type": type_,
        "status": state,
        "lastUpdateTime": now,
        "lastTransitionTime": now,
        "reason": reason,
        "message": message,
    }
    if current is not None and current.get("status") == state:
        fresh["lastTransitionTime"] = current.get("lastTransitionTime", now)
    status["conditions"] = [c for c in conditions if c.get("type") != type_] + [fresh]


def timed_out(spec: Mapping[str, Any], status: Mapping[str, Any], wall: datetime) -> bool:
    """DeploymentTimedOut: Progressing last updated more than progressDeadlineSeconds ago."""
    found = next(
        (c for c in status.get("conditions") or [] if c.get("type") == "Progressing"), None
    )
    if found is None or found.get("reason") == "NewReplicaSetAvailable":
        return False
    if found.get("reason") == "ProgressDeadlineExceeded":
        return True
    return deadline_left(spec, found, wall) < 0


def deadline_left(spec: Mapping[str, Any], progress: Mapping[str, Any], wall: datetime) -> float:
    """Seconds until the rollout's Progressing condition `progress` is past its deadline."""
    updated = parse_rfc3339(str(progress.get("lastUpdateTime")))
    deadline = int(spec.get("progressDeadlineSeconds", kind.DEFAULT_DEADLINE))
    return (updated - wall).total_seconds() + deadline


def replica_failure(replica_sets: Sequence[Mapping[str, Any]]) -> tuple[str, str, str] | None:
    """getReplicaFailures: the first ReplicaFailure condition (status, reason, message) of the
    ReplicaSets, in their order (the new one first)."""
    for rs in replica_sets:
        for c in (rs.get("status") or {}).get("conditions") or []:
            if c.get("type") == "ReplicaFailure":
                return (str(c.get("status")), str(c.get("reason")), str(c.get("message")))
    return None
