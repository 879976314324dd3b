"""The replication controller: N replicas kept, scaling both ways, deleted pods replaced, no double
work."""

from __future__ import annotations

from collections.abc import Callable

from listwatch.actions import Action
from listwatch.apiserver import objects
from listwatch.cluster import Cluster
from tests.builders import replication_controller


def owned(cluster: Cluster, name: str) -> list[dict]:
    return [p for p in cluster.pods() if (objects.controller_of(p) or {}).get("name") == name]


def test_a_replication_controller_creates_its_replicas_and_they_run(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(replication_controller("web", 3))
    cluster.settle()
    pods = owned(cluster, "web")
    assert len(pods) == 3
    assert all(
        p["metadata"]["name"].startswith("web-") and len(p["metadata"]["name"]) == 9 for p in pods
    )
    assert all(p["status"]["phase"] == "Running" for p in pods)
    rc = cluster.api.get("replicationcontrollers", "web")
    assert rc["status"]["replicas"] == 3 and rc["status"]["readyReplicas"] == 3
    events = [(e["reason"], e["source"]["component"]) for e in cluster.events_for(rc)]
    assert events.count(("SuccessfulCreate", "replication-controller")) == 3


def test_scaling_up_and_down(make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster()
    cluster.apply(replication_controller("web", 2))
    cluster.settle()
    cluster.scale("replicationcontrollers", "web", 4)
    cluster.settle()
    assert len(owned(cluster, "web")) == 4
    cluster.scale("replicationcontrollers", "web", 1)
    cluster.settle()
    assert len(owned(cluster, "web")) == 1
    rc = cluster.api.get("replicationcontrollers", "web")
    assert [e["reason"] for e in cluster.events_for(rc)].count("SuccessfulDelete") == 3


def test_a_deleted_replica_is_replaced(
    make_cluster: Callable[..., Cluster], actions: list[Action]
) -> None:
    cluster = make_cluster()
    cluster.apply(replication_controller("web", 2))
    cluster.settle()
    victim = owned(cluster, "web")[0]["metadata"]["name"]
    cluster.delete("pods", victim)
    cluster.settle()
    names = [p["metadata"]["name"] for p in owned(cluster, "web")]
    assert len(names) == 2 and victim not in names
    results = [
        a.result
        for a in actions
        if a.action == "reconcile"
        and a.actor == "controller-manager"
        and a.obj
        and a.obj.kind == "ReplicationController"
    ]
    assert results == ["created", "replaced"]


def test_a_replica_set_is_reconciled_like_a_replication_controller(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    rs = replication_controller("api", 2)
    rs["apiVersion"], rs["kind"] = "apps/v1", "ReplicaSet"
    rs["spec"]["selector"] = {"matchLabels": {"app": "api"}}
    cluster.apply(rs)
    cluster.settle()
    assert len(owned(cluster, "api")) == 2
    created = cluster.api.get("replicasets", "api")
    assert {e["source"]["component"] for e in cluster.events_for(created)} == {
        "replicaset-controller"
    }


def test_deleting_the_controller_deletes_its_pods(make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster()
    cluster.apply(replication_controller("web", 2))
    cluster.settle()
    cluster.delete("replicationcontrollers", "web")
    cluster.settle()
    assert owned(cluster, "web") == []


def test_a_large_scale_up_comes_in_bursts_of_burst_replicas(
    make_cluster: Callable[..., Cluster], actions: list[Action]
) -> None:
    cluster = make_cluster()
    cluster.apply(replication_controller("web", 1_200))
    cluster.settle()
    assert len(owned(cluster, "web")) == 1_200
    creates = [
        a.detail.rpartition("create ")[2]
        for a in actions
        if a.action == "reconcile" and ": create " in a.detail
    ]
    # kube-controller-manager's burstReplicas (500): one loop turn never creates them all.
    assert creates[:3] == ["500", "500", "200"]


def test_a_controller_left_out_leaves_its_kind_to_another_program(
    make_cluster: Callable[..., Cluster],
) -> None:
    """`serve --without replicationcontroller-controller`: ReplicationControllers get no pods,
    ReplicaSets still do (each kind has its own controller, as in kube-controller-manager)."""
    cluster = make_cluster(without=["replicationcontroller-controller"])
    cluster.apply(replication_controller("web", 2))
    rs = replication_controller("api", 2)
    rs["apiVersion"], rs["kind"] = "apps/v1", "ReplicaSet"
    rs["spec"]["selector"] = {"matchLabels": {"app": "api"}}
    cluster.apply(rs)
    cluster.settle()
    assert owned(cluster, "web") == []
    assert len(owned(cluster, "api")) == 2
