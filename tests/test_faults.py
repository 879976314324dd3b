"""List-Watch under faults: cut watches, compacted history, re-lists; nothing lost, nothing
twice."""

from __future__ import annotations

from collections.abc import Callable

from listwatch.actions import Action
from listwatch.cluster import Cluster
from tests.builders import pod, replication_controller


def test_a_component_whose_watch_is_cut_during_compaction_relists_and_finishes(
    make_cluster: Callable[..., Cluster], actions: list[Action]
) -> None:
    cluster = make_cluster(node_labels={"node02": {"cz": "bob"}})
    kubelet = cluster.kubelets["node02"]
    pods_informer = kubelet.informers["pods"]
    # The kubelet loses its watch; the pod is created and bound meanwhile; history is compacted.
    pods_informer.stop_watch()
    cluster.apply(pod("web", node_selector={"cz": "bob"}))
    cluster.settle()
    assert cluster.pod("web")["spec"]["nodeName"] == "node02"
    assert cluster.pod("web")["status"]["phase"] == "Pending"
    cluster.api.compact()
    lists_before = pods_informer.lists
    pods_informer.drop_watch()  # resume from its old resourceVersion: 410 Gone, then a re-list
    cluster.settle()
    assert pods_informer.lists == lists_before + 1
    web = cluster.pod("web")
    assert web["status"]["phase"] == "Running"
    starts = [e for e in cluster.events_for(web) if e["reason"] == "Started"]
    assert len(starts) == 1 and starts[0]["count"] == 1


def test_a_scheduler_that_relists_does_not_bind_twice(
    make_cluster: Callable[..., Cluster], actions: list[Action]
) -> None:
    cluster = make_cluster()
    assert cluster.scheduler is not None
    informer = cluster.scheduler.informers["unscheduled-pods"]
    cluster.apply(pod("a"))
    cluster.apply(pod("b"))
    cluster.settle()
    cluster.api.compact()
    informer.stop_watch()
    cluster.apply(pod("c"))
    informer.drop_watch()
    cluster.settle()
    binds = [a for a in actions if a.action == "write" and a.verb == "bind"]
    assert sorted(a.obj.name for a in binds if a.obj) == ["a", "b", "c"]
    assert all(p["status"]["phase"] == "Running" for p in cluster.pods())


def test_a_controller_manager_that_relists_does_not_create_twice(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster()
    assert cluster.controller_manager is not None
    informer = cluster.controller_manager.informers["pods"]
    informer.stop_watch()  # it creates pods it cannot see yet
    cluster.apply(replication_controller("web", 3))
    cluster.settle()
    cluster.api.compact()
    informer.drop_watch()
    cluster.settle()
    cluster.advance(30)
    assert len(cluster.pods()) == 3


def test_a_watch_that_ends_resumes_without_a_list(make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster()
    informer = cluster.kubelets["node01"].informers["pods"]
    lists = informer.lists
    informer.drop_watch()
    cluster.apply(pod("web", node_name="node01"))
    cluster.settle()
    assert informer.lists == lists
    assert cluster.pod("web")["status"]["phase"] == "Running"
