"""The node lifecycle controller and the taint eviction controller: a node whose kubelet falls
silent goes Unknown, and its pods are evicted when their tolerations run out (logical clock)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from listwatch.apiserver.objects import Obj
from listwatch.cluster import Cluster
from tests.builders import condition, pod, replication_controller

EVICTION_SOURCE = {"component": "taint-eviction-controller"}


def node_unknown(cluster: Cluster, node: str) -> bool:
    return (condition(cluster.api.get("nodes", node), "Ready") or {}).get("status") == "Unknown"


def taint_events(cluster: Cluster) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (e["reason"], e["message"], e["involvedObject"])
        for e in cluster.api.list("events", namespace="default").items
        if e["source"] == EVICTION_SOURCE
    ]


def silent_node(cluster: Cluster, node: str = "node01") -> float:
    """Stop the node's kubelet; return the clock when its node went Unknown."""
    cluster.stop_kubelet(node)
    assert cluster.settle(until=lambda: node_unknown(cluster, node))
    return cluster.loop.clock.now()


def test_a_silent_node_goes_unknown_tainted_and_its_pods_not_ready(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(pod("web", node_name="node01"))
    cluster.settle()
    silent_node(cluster)
    node = cluster.api.get("nodes", "node01")
    assert (condition(node, "Ready") or {})["reason"] == "NodeStatusUnknown"
    assert {(t["key"], t["effect"]) for t in node["spec"]["taints"]} == {
        ("node.kubernetes.io/unreachable", "NoSchedule"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
    }
    assert (condition(cluster.pod("web"), "Ready") or {})["status"] == "False"


def test_a_pod_is_evicted_when_its_300s_toleration_runs_out_and_replaced_elsewhere(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(replication_controller("web", 1))
    cluster.settle()
    (first,) = cluster.pods()
    name, node = first["metadata"]["name"], first["spec"]["nodeName"]
    other = "node02" if node == "node01" else "node01"
    unknown_at = silent_node(cluster, node)
    cluster.advance(unknown_at + 295 - cluster.loop.clock.now())
    assert not cluster.pod(name)["metadata"].get("deletionTimestamp")
    cluster.advance(10)
    evicted = cluster.pod(name)
    assert evicted["metadata"].get("deletionTimestamp")  # Terminating: no kubelet to confirm
    disruption = condition(evicted, "DisruptionTarget") or {}
    assert (disruption.get("status"), disruption.get("reason")) == (
        "True",
        "DeletionByTaintManager",
    )
    reference = {
        "kind": "Pod",
        "namespace": "default",
        "name": name,
        "apiVersion": "v1",
    }  # no UID: describe does not list it
    assert taint_events(cluster) == [
        ("TaintManagerEviction", f"Marking for deletion Pod default/{name}", reference)
    ]
    assert cluster.settle(
        until=lambda: any(
            p["spec"].get("nodeName") == other and p["status"].get("phase") == "Running"
            for p in cluster.pods()
        )
    )
    cluster.restart_kubelet(node)
    assert cluster.settle(
        until=lambda: all(p["metadata"]["uid"] != first["metadata"]["uid"] for p in cluster.pods())
    )


def test_tolerations_decide_when_and_whether_a_pod_is_evicted(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    unreachable = {
        "key": "node.kubernetes.io/unreachable",
        "operator": "Exists",
        "effect": "NoExecute",
    }
    for name, tolerations in (
        ("brief", [{**unreachable, "tolerationSeconds": 30}]),
        ("forever", [unreachable]),
    ):
        body: Obj = pod(name, node_name="node01")
        body["spec"]["tolerations"] = tolerations
        cluster.apply(body)
    cluster.settle()
    unknown_at = silent_node(cluster)
    assert cluster.settle(
        until=lambda: bool(cluster.pod("brief")["metadata"].get("deletionTimestamp"))
    )
    assert 30 <= cluster.loop.clock.now() - unknown_at <= 35
    cluster.advance(1000)
    assert not cluster.pod("forever")["metadata"].get("deletionTimestamp")


def test_a_node_back_before_the_deadline_cancels_the_evictions(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(pod("web", node_name="node01"))
    cluster.settle()
    silent_node(cluster)
    cluster.advance(60)
    cluster.restart_kubelet("node01")
    assert cluster.settle(
        until=lambda: not node_unknown(cluster, "node01") and taint_events(cluster) != []
    )
    assert [(reason, message) for reason, message, _ in taint_events(cluster)] == [
        ("TaintManagerEviction", "Cancelling deletion of Pod default/web")
    ]
    cluster.advance(600)
    assert not cluster.pod("web")["metadata"].get("deletionTimestamp")
