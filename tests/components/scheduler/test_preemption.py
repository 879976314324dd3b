"""DefaultPreemption: a pod that fits nowhere evicts pods of lower priority (nodes of 4 CPUs)."""

from __future__ import annotations

from collections.abc import Callable

from listwatch import printers
from listwatch.apiserver import objects
from listwatch.cluster import Cluster
from listwatch.components.scheduler.preemption import Candidate, pick_one
from tests.builders import condition, events_of, pod, priority_class, sized


def full_cluster(make_cluster: Callable[..., Cluster]) -> Cluster:
    """Two nodes each running a pod of priority 0 that takes 3 of its 4 CPUs."""
    cluster = make_cluster()
    cluster.apply(priority_class("high", 1000))
    cluster.apply(sized("low-1", "3", node="node01"))
    cluster.apply(sized("low-2", "3", node="node02"))
    cluster.settle()
    return cluster


def test_a_pod_preempts_a_lower_priority_pod_and_runs_in_its_place(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = full_cluster(make_cluster)
    urgent = cluster.apply(sized("urgent", "3", priority_class="high"))

    def marked() -> bool:
        return any(condition(p, "DisruptionTarget") for p in cluster.pods())

    assert cluster.settle(until=marked)
    (victim,) = [p for p in cluster.pods() if condition(p, "DisruptionTarget")]
    target = condition(victim, "DisruptionTarget")
    assert target is not None
    assert (target["status"], target["reason"], target["message"]) == (
        "True",
        "PreemptionByScheduler",
        "default-scheduler: preempting to accommodate a higher priority pod",
    )
    assert victim["metadata"]["deletionTimestamp"]
    node = victim["spec"]["nodeName"]
    assert cluster.pod("urgent")["status"]["nominatedNodeName"] == node
    described = printers.describe_pod(cluster.pod("urgent"), [], cluster.clock.wall())
    lines = {" ".join(line.split()) for line in described.splitlines()}
    assert {"Priority: 1000", "Priority Class Name: high", f"NominatedNodeName: {node}"} <= lines
    cluster.settle()
    running = cluster.pod("urgent")
    assert running["status"]["phase"] == "Running" and running["spec"]["nodeName"] == node
    assert objects.name_of(victim) not in {objects.name_of(p) for p in cluster.pods()}
    preempted = [
        (e["type"], e["reason"], e["message"], e.get("action"), e["reportingComponent"])
        for e in cluster.api.list("events", namespace="default").items
        if e["involvedObject"].get("uid") == objects.uid_of(victim)
    ]
    assert (
        "Normal",
        "Preempted",
        f"Preempted by pod {objects.uid_of(urgent)} on node {node}",
        "Preempting",
        "default-scheduler",
    ) in preempted
    # The attempt that preempted reports the FitError alone: preemption found a node.
    assert ("Warning", "FailedScheduling", "0/2 nodes are available: 2 Insufficient cpu.") in (
        events_of(cluster, "urgent")
    )


def test_the_node_whose_victims_have_the_lowest_priority_is_chosen(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    cluster.apply(priority_class("high", 1000))
    cluster.apply(priority_class("medium", 500))
    cluster.apply(sized("medium", "3", node="node01", priority_class="medium"))
    cluster.apply(sized("low", "3", node="node02"))
    cluster.settle()
    cluster.apply(sized("urgent", "3", priority_class="high"))
    cluster.settle()
    assert cluster.pod("urgent")["spec"]["nodeName"] == "node02"
    assert {objects.name_of(p) for p in cluster.pods()} == {"medium", "urgent"}


def test_a_pod_a_budget_protects_is_spared_when_another_node_has_room(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = full_cluster(make_cluster)
    cluster.apply(
        {
            "apiVersion": "policy/v1",
            "kind": "PodDisruptionBudget",
            "metadata": {"name": "keep-low-1"},
            "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "low-1"}}},
        }
    )
    cluster.settle()
    cluster.apply(sized("urgent", "3", priority_class="high"))
    cluster.settle()
    assert cluster.pod("urgent")["spec"]["nodeName"] == "node02"
    assert {objects.name_of(p) for p in cluster.pods()} == {"low-1", "urgent"}


def test_a_pod_whose_class_says_never_does_not_preempt(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = full_cluster(make_cluster)
    cluster.apply(priority_class("polite", 1000, preemptionPolicy="Never"))
    cluster.apply(sized("polite", "3", priority_class="polite"))
    cluster.settle()
    message = (
        "0/2 nodes are available: 2 Insufficient cpu. preemption: not eligible due to "
        "preemptionPolicy=Never."
    )
    scheduled = condition(cluster.pod("polite"), "PodScheduled")
    assert scheduled is not None and scheduled["message"] == message
    assert {objects.name_of(p) for p in cluster.pods()} == {"low-1", "low-2", "polite"}
    assert "nominatedNodeName" not in cluster.pod("polite")["status"]


def test_a_pod_too_big_even_without_the_lower_pods_gets_the_filter_s_reason(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = full_cluster(make_cluster)
    cluster.apply(sized("huge", "8", priority_class="high"))
    cluster.settle()
    scheduled = condition(cluster.pod("huge"), "PodScheduled")
    assert scheduled is not None
    assert scheduled["message"] == (
        "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 "
        "Insufficient cpu."
    )
    assert {objects.name_of(p) for p in cluster.pods()} == {"low-1", "low-2", "huge"}


def test_pods_of_equal_priority_are_not_victims(make_cluster: Callable[..., Cluster]) -> None:
    cluster = full_cluster(make_cluster)
    cluster.apply(sized("peer", "3"))
    cluster.settle()
    scheduled = condition(cluster.pod("peer"), "PodScheduled")
    assert scheduled is not None
    assert scheduled["message"].endswith(
        "preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod."
    )


def candidate(node: str, *priorities: int, violations: int = 0) -> Candidate:
    victims = tuple(
        {"metadata": {"name": f"v{i}"}, "spec": {"priority": p}, "status": {}}
        for i, p in enumerate(priorities)
    )
    return Candidate(node, victims, violations)


def test_the_choice_among_nodes_follows_kube_scheduler_s_order_of_criteria() -> None:
    # Fewest budget violations first, whatever the priorities.
    assert pick_one([candidate("a", 1, violations=1), candidate("b", 900)]).node == "b"
    # Then the lowest highest-priority victim.
    assert pick_one([candidate("a", 500), candidate("b", 10, 10, 10)]).node == "b"
    # Then the smallest sum of priorities (each shifted by 2^31: more victims weigh more).
    assert pick_one([candidate("a", 10, 10), candidate("b", 10, 5)]).node == "b"
    assert pick_one([candidate("a", 10, 0, 0), candidate("b", 10, 0)]).node == "b"
    # A node with no victims at all wins at once; a full tie takes the first.
    assert pick_one([candidate("a", 1), candidate("b")]).node == "b"
    assert pick_one([candidate("a", 3), candidate("b", 3)]).node == "a"


def test_a_nominated_pod_does_not_preempt_again_while_its_victims_terminate(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = full_cluster(make_cluster)
    cluster.apply(pod("bystander", node_name="node02"))
    slow = sized("slow", "3", node="node01")
    cluster.delete("pods", "low-1", grace_period_seconds=0)
    slow["spec"]["terminationGracePeriodSeconds"] = 600
    slow["spec"]["containers"][0]["command"] = ["sh", "-c", "while true; do sleep 1; done"]
    slow["spec"]["containers"][0]["image"] = "busybox:1.36"
    cluster.apply(slow)
    cluster.settle()
    cluster.apply(sized("urgent", "3", priority_class="high"))
    assert cluster.settle(until=lambda: bool(condition(cluster.pod("slow"), "DisruptionTarget")))
    cluster.delete("pods", "bystander", grace_period_seconds=0)  # a change that requeues urgent

    def scheduled_message() -> str:
        return str((condition(cluster.pod("urgent"), "PodScheduled") or {}).get("message", ""))

    assert cluster.settle(
        until=lambda: scheduled_message().endswith(
            "preemption: not eligible due to a terminating pod on the nominated node."
        ),
        horizon=60,
    ), scheduled_message()
    assert "low-2" in {objects.name_of(p) for p in cluster.pods()}  # no second victim
