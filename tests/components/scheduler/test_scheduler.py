"""The scheduler: filters, scores, binds; unschedulable pods wait and are retried on node
changes."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from listwatch.cluster import Cluster
from listwatch.components.scheduler import Scheduler
from listwatch.printers import parse_time
from tests.builders import condition, events_of, pod

NO_MATCH_ON_TWO = (
    "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. "
    "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
)


def test_a_node_selector_pod_is_bound_to_the_matching_node(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster(node_labels={"node02": {"cz": "bob"}})
    cluster.apply(pod("web", node_selector={"cz": "bob"}))
    cluster.settle()
    web = cluster.pod("web")
    assert web["spec"]["nodeName"] == "node02"
    assert web["status"]["phase"] == "Running"
    assert ("Normal", "Scheduled", "Successfully assigned default/web to node02") in events_of(
        cluster, "web"
    )


def test_no_matching_node_leaves_the_pod_pending_with_the_v1_32_message(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(pod("web", node_selector={"cz": "carol"}))
    cluster.settle()
    web = cluster.pod("web")
    assert web["status"]["phase"] == "Pending"
    assert "nodeName" not in web["spec"]
    scheduled = condition(web, "PodScheduled")
    assert scheduled is not None
    assert (scheduled["status"], scheduled["reason"], scheduled["message"]) == (
        "False",
        "Unschedulable",
        NO_MATCH_ON_TWO,
    )
    assert ("Warning", "FailedScheduling", NO_MATCH_ON_TWO) in events_of(cluster, "web")


def test_labelling_a_node_to_match_gets_the_pod_scheduled(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(pod("web", node_selector={"cz": "carol"}))
    cluster.settle()
    labelled_at = cluster.clock.now()
    cluster.label_node("node01", "cz", "carol")
    cluster.settle()
    web = cluster.pod("web")
    assert web["spec"]["nodeName"] == "node01"
    assert web["status"]["phase"] == "Running"
    scheduled = next(e for e in cluster.events_for(web) if e["reason"] == "Scheduled")
    assert scheduled["message"] == "Successfully assigned default/web to node01"
    assert cluster.scheduler is not None
    assert cluster.scheduler.pods == {}
    # Scheduled within the back-off (1s) of the label change, not at the 5-minute flush.
    when = parse_time(scheduled["eventTime"])
    assert when is not None
    assert 0 <= (when - cluster.clock.wall(labelled_at)).total_seconds() <= 2


def test_a_pod_unschedulable_for_thousands_of_attempts_backs_off_the_maximum(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(pod("web", node_selector={"cz": "carol"}))
    cluster.settle()
    assert cluster.scheduler is not None
    (queued,) = cluster.scheduler.pods.values()
    queued.attempts = 5000  # hours of node changes, each a retry (2**4999 overflowed a float)
    cluster.label_node("node01", "cz", "carol")
    cluster.settle()
    assert cluster.pod("web")["spec"]["nodeName"] == "node01"


def test_a_label_that_does_not_help_does_not_requeue(make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster()
    cluster.apply(pod("web", node_selector={"cz": "carol"}))
    cluster.settle()
    failed = [
        e for e in cluster.events_for(cluster.pod("web")) if e["reason"] == "FailedScheduling"
    ]
    cluster.label_node("node01", "cz", "dave")
    cluster.settle(horizon=30)
    again = [e for e in cluster.events_for(cluster.pod("web")) if e["reason"] == "FailedScheduling"]
    assert again == failed  # no new attempt, so no new event or series


def test_unconstrained_pods_spread_over_the_nodes(make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster(nodes=("n1", "n2", "n3"))
    for i in range(9):
        cluster.apply(pod(f"web-{i}"))
    cluster.settle()
    placed = [p["spec"]["nodeName"] for p in cluster.pods()]
    assert sorted(placed.count(n) for n in ("n1", "n2", "n3")) == [3, 3, 3]


@pytest.mark.parametrize(
    ("nodes", "expected"), [(5, 5), (100, 100), (1000, 420), (5000, 500), (10000, 500)]
)
def test_nodes_to_find_follows_the_adaptive_percentage(
    make_cluster: Callable[..., Cluster], nodes: int, expected: int
) -> None:
    cluster = make_cluster(nodes=("n1",))
    assert isinstance(cluster.scheduler, Scheduler)
    assert cluster.scheduler.placement.nodes_to_find(nodes) == expected


def test_insufficient_resources_name_the_resource(make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster()
    big = pod("big")
    big["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "64"}}
    cluster.apply(big)
    cluster.settle()
    scheduled = condition(cluster.pod("big"), "PodScheduled")
    assert scheduled is not None
    assert scheduled["message"] == (
        "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No "
        "preemption victims found for incoming pod."
    )


def test_a_pod_for_another_scheduler_is_left_alone(make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster()
    other = pod("other")
    other["spec"]["schedulerName"] = "my-scheduler"
    cluster.apply(other)
    cluster.settle()
    assert "nodeName" not in cluster.pod("other")["spec"]
    assert events_of(cluster, "other") == []
