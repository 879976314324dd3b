"""The replica count (`listwatch.checker.replicas`): a pod that appears as one active pod too many
for its ReplicationController or ReplicaSet is a violation at LW-06; surplus left by a scale-down,
pods going away and a creation already under way when the count was lowered are not."""

from __future__ import annotations

from typing import Any

from listwatch.checker.run import check_records
from listwatch.engine import Engine


def rc(replicas: int, kind: str = "ADDED", *, rv: int = 1) -> dict[str, Any]:
    return {
        "type": kind,
        "object": {
            "apiVersion": "v1",
            "kind": "ReplicationController",
            "metadata": {
                "name": "web",
                "namespace": "default",
                "uid": "rc-1",
                "resourceVersion": str(rv),
            },
            "spec": {"replicas": replicas},
        },
    }


def pod(name: str, kind: str = "ADDED", *, rv: int, **metadata: Any) -> dict[str, Any]:
    owner = {"kind": "ReplicationController", "name": "web", "uid": "rc-1", "controller": True}
    return {
        "type": kind,
        "object": {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": name,
                "namespace": "default",
                "uid": f"uid-{name}",
                "resourceVersion": str(rv),
                "ownerReferences": [owner],
                **metadata,
            },
            "spec": {"containers": [{"name": "c", "image": "nginx:1.15"}]},
            "status": {"phase": "Pending"},
        },
    }


def replica_violations(engine: Engine, records: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    report = check_records(records, engine.spec)
    return [(v.pod.name, v.step, v.observed) for v in report.violations if v.rule == "replicas"]


def test_one_active_pod_too_many_is_a_violation_at_lw_06(engine: Engine) -> None:
    records = [rc(2), pod("web-a", rv=2), pod("web-b", rv=3), pod("web-c", rv=4)]
    assert replica_violations(engine, records) == [
        ("web-c", "LW-06", "web-c appeared as its active pod number 3")
    ]
    report = check_records(records, engine.spec)
    assert next(v for v in report.violations if v.rule == "replicas").expected == (
        "at most 2 active pods owned by ReplicationController default/web (spec.replicas 2)"
    )


def test_a_replacement_for_a_pod_going_away_is_not_too_many(engine: Engine) -> None:
    records = [
        rc(2),
        pod("web-a", rv=2),
        pod("web-b", rv=3),
        pod("web-a", "MODIFIED", rv=4, deletionTimestamp="2026-01-01T00:00:00Z"),
        pod("web-c", rv=5),
        pod("web-b", "DELETED", rv=6),
        pod("web-d", rv=7),
    ]
    assert replica_violations(engine, records) == []


def test_a_creation_under_way_when_the_count_was_lowered_is_not_blamed(engine: Engine) -> None:
    records = [
        rc(3),
        pod("web-a", rv=2),
        pod("web-b", rv=3),
        rc(1, "MODIFIED", rv=4),
        pod("web-c", rv=5),
    ]
    assert replica_violations(engine, records) == []
    # ...but a fourth is too many under either count.
    records += [rc(1, "MODIFIED", rv=6), pod("web-d", rv=7)]
    assert [name for name, *_ in replica_violations(engine, records)] == ["web-d"]


def job(parallelism: int, kind: str = "ADDED", *, rv: int = 1) -> dict[str, Any]:
    return {
        "type": kind,
        "object": {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "name": "web",
                "namespace": "default",
                "uid": "rc-1",
                "resourceVersion": str(rv),
            },
            "spec": {"parallelism": parallelism, "completions": 10},
        },
    }


def test_a_job_never_has_more_active_pods_than_its_parallelism(engine: Engine) -> None:
    records = [job(2), pod("web-a", rv=2), pod("web-b", rv=3), pod("web-c", rv=4)]
    assert replica_violations(engine, records) == [
        ("web-c", "LW-06", "web-c appeared as its active pod number 3")
    ]
    report = check_records(records, engine.spec)
    assert next(v for v in report.violations if v.rule == "replicas").expected == (
        "at most 2 active pods owned by Job default/web (spec.parallelism 2)"
    )


def test_a_job_pod_that_finished_makes_room_for_the_next(engine: Engine) -> None:
    done = pod("web-a", "MODIFIED", rv=4)
    done["object"]["status"] = {"phase": "Succeeded"}
    records = [job(1), pod("web-a", rv=2), done, pod("web-b", rv=5)]
    assert replica_violations(engine, records) == []
