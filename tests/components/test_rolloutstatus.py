"""A Deployment's status from its ReplicaSets: counts, Available, Progressing, ReplicaFailure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from listwatch.components import rolloutstatus

T0 = "2026-01-01T00:00:00Z"
T1 = "2026-01-01T00:05:00Z"


def rs(name: str, replicas: int, available: int, **status: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {"replicas": replicas},
        "status": {"replicas": replicas, "availableReplicas": available, **status},
    }


def deployment(replicas: int = 3, **fields: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "web", "generation": 2},
        "spec": {"replicas": replicas, "progressDeadlineSeconds": 600, **fields},
    }


def test_counts_sum_over_every_replica_set_and_available_allows_max_unavailable() -> None:
    new, old = rs("web-new", 1, 0), rs("web-old", 3, 3, readyReplicas=3)
    status = rolloutstatus.calculate(deployment(4), [new, old], new, now=T0)  # 25%: 1 may lack
    assert {k: v for k, v in status.items() if k != "conditions"} == {
        "observedGeneration": 2,
        "replicas": 4,
        "updatedReplicas": 1,
        "readyReplicas": 3,
        "availableReplicas": 3,
        "unavailableReplicas": 1,
    }
    (available,) = status["conditions"]
    assert (available["status"], available["reason"]) == ("True", "MinimumReplicasAvailable")
    short = rolloutstatus.calculate(deployment(), [rs("web-new", 3, 1)], None, now=T0)
    assert short["conditions"][0]["reason"] == "MinimumReplicasUnavailable"


def test_a_condition_keeps_its_transition_time_when_only_its_reason_changes() -> None:
    status: dict[str, Any] = {}
    rolloutstatus.set_condition(status, "Progressing", "True", "ReplicaSetUpdated", "m", now=T0)
    rolloutstatus.set_condition(
        status, "Progressing", "True", "NewReplicaSetAvailable", "n", now=T1
    )
    (progress,) = status["conditions"]
    assert (progress["lastTransitionTime"], progress["lastUpdateTime"]) == (T0, T1)
    rolloutstatus.set_condition(
        status, "Progressing", "True", "NewReplicaSetAvailable", "x", now=T1
    )
    assert status["conditions"][0]["message"] == "n"  # same status and reason: unchanged


def test_a_rollout_without_progress_past_its_deadline_has_timed_out() -> None:
    progress = {
        "type": "Progressing",
        "status": "True",
        "reason": "ReplicaSetUpdated",
        "lastUpdateTime": T0,
    }
    spec = deployment()["spec"]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert rolloutstatus.deadline_left(spec, progress, start + timedelta(seconds=100)) == 500
    status = {"conditions": [progress]}
    assert not rolloutstatus.timed_out(spec, status, start + timedelta(seconds=599))
    assert rolloutstatus.timed_out(spec, status, start + timedelta(seconds=601))


def test_with_progress_says_the_new_replica_set_is_progressing_then_reports_failures() -> None:
    new = rs("web-new", 3, 1)
    obj = deployment()
    status = rolloutstatus.calculate(obj, [new], new, now=T0)
    failure = ("True", "FailedCreate", 'pods "web-new-x" is forbidden: exceeded quota')
    out = rolloutstatus.with_progress(obj, status, new, failure, now=T0, wall=datetime.now(UTC))
    reasons = {c["type"]: (c["reason"], c["message"]) for c in out["conditions"]}
    assert reasons["Progressing"] == ("ReplicaSetUpdated", 'ReplicaSet "web-new" is progressing.')
    assert reasons["ReplicaFailure"] == failure[1:]
    assert rolloutstatus.replica_failure([new]) is None
    failing = rs(
        "web-new",
        3,
        1,
        conditions=[
            {"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate", "message": "m"}
        ],
    )
    assert rolloutstatus.replica_failure([failing]) == ("True", "FailedCreate", "m")
