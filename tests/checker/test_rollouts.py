"""The surge limit (`listwatch.checker.rollouts`): a ReplicaSet that grows a Deployment's
ReplicaSets past replicas + maxSurge is a violation at LW-06; shrinking, a limit lowered while a
growth was under way, and the simulator's own rollouts are not."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from listwatch.apiserver.watchcache import WatchEvent
from listwatch.checker.run import check_records
from listwatch.cluster import Cluster
from listwatch.engine import Engine


def deployment(replicas: int, *, surge: Any = "25%", rv: int = 1) -> dict[str, Any]:
    return {
        "type": "ADDED" if rv == 1 else "MODIFIED",
        "object": {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": "web",
                "namespace": "default",
                "uid": "d-1",
                "resourceVersion": str(rv),
            },
            "spec": {
                "replicas": replicas,
                "strategy": {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": surge, "maxUnavailable": "25%"},
                },
            },
        },
    }


def replica_set(name: str, replicas: int, *, rv: int, kind: str = "MODIFIED") -> dict[str, Any]:
    owner = {"kind": "Deployment", "name": "web", "uid": "d-1", "controller": True}
    return {
        "type": kind,
        "object": {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": name,
                "namespace": "default",
                "uid": f"uid-{name}",
                "resourceVersion": str(rv),
                "ownerReferences": [owner],
            },
            "spec": {"replicas": replicas},
        },
    }


def surge_violations(engine: Engine, records: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    report = check_records(records, engine.spec)
    return [(v.pod.name, v.step, v.observed) for v in report.violations if v.rule == "surge"]


def test_a_replica_set_grown_past_replicas_plus_max_surge_is_a_violation(engine: Engine) -> None:
    records = [
        deployment(4),  # maxSurge 25% of 4: 1, so at most 5 in all
        replica_set("web-a", 4, rv=2, kind="ADDED"),
        replica_set("web-b", 1, rv=3, kind="ADDED"),
        replica_set("web-b", 2, rv=4),
    ]
    assert surge_violations(engine, records) == [
        ("web-b", "LW-06", "web-b grew from 1 to 2: 6 in all")
    ]


def test_the_old_replica_set_shrinking_first_makes_room(engine: Engine) -> None:
    records = [
        deployment(4),
        replica_set("web-a", 4, rv=2, kind="ADDED"),
        replica_set("web-b", 1, rv=3, kind="ADDED"),
        replica_set("web-a", 3, rv=4),
        replica_set("web-b", 2, rv=5),
    ]
    assert surge_violations(engine, records) == []


def test_a_growth_under_way_when_the_deployment_shrank_is_not_blamed(engine: Engine) -> None:
    records = [
        deployment(8),
        replica_set("web-a", 8, rv=2, kind="ADDED"),
        deployment(4, rv=3),
        replica_set("web-b", 2, rv=4, kind="ADDED"),
    ]
    assert surge_violations(engine, records) == []


def test_a_replica_set_of_no_deployment_seen_is_not_judged(engine: Engine) -> None:
    assert surge_violations(engine, [replica_set("web-a", 50, rv=2, kind="ADDED")]) == []


def test_the_simulators_rollouts_keep_the_limit(
    make_cluster: Callable[..., Cluster], engine: Engine
) -> None:
    """A rollout, a scale up during another rollout, and a rollback, as one ordered watch of
    Deployments and ReplicaSets records them."""
    cluster = make_cluster()
    records: list[dict[str, Any]] = []

    def seen(event: WatchEvent) -> None:
        records.append({"type": event.type, "object": event.object})

    cluster.api.watch("deployments", seen)
    cluster.api.watch("replicasets", seen)
    template = {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "nginx", "image": "nginx:1.14"}]},
    }
    cluster.apply(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 4,
                "selector": {"matchLabels": {"app": "web"}},
                "template": template,
            },
        }
    )
    cluster.settle()
    image = {
        "spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.15"}]}}}
    }
    cluster.patch("deployments", "web", image)
    cluster.loop.run(horizon=cluster.clock.now() + 1.0)
    cluster.patch("deployments", "web", {"spec": {"replicas": 9}})
    cluster.settle()
    back = {
        "spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.14"}]}}}
    }
    cluster.patch("deployments", "web", back)
    cluster.settle()
    grown = [r for r in records if r["object"]["kind"] == "ReplicaSet"]
    assert len({r["object"]["metadata"]["name"] for r in grown}) == 2
    assert surge_violations(engine, records) == []
