"""The flow tracker: the spec's steps, in order, for each variant of pod creation."""

from __future__ import annotations

from collections.abc import Callable

from listwatch.actions import EMITTED, Action, misfit
from listwatch.apiserver import objects
from listwatch.cluster import Cluster
from listwatch.engine import Engine
from listwatch.flow import FlowTracker, StepEvent
from tests.builders import pod, priority_class, replication_controller, sized


def tracked(
    make_cluster: Callable[..., Cluster], engine: Engine, **kwargs: object
) -> tuple[Cluster, list[StepEvent]]:
    steps: list[StepEvent] = []
    tracker = FlowTracker(engine.spec.flow, steps.append)
    cluster = make_cluster(start=False, **kwargs)
    cluster.sinks.add(tracker)
    cluster.start()
    return cluster, steps


def ids_for(steps: list[StepEvent], name: str) -> list[str]:
    return [s.step.id for s in steps if s.action.obj is not None and s.action.obj.name == name]


def test_the_components_watch_before_any_pod_exists(
    make_cluster: Callable[..., Cluster], engine: Engine
) -> None:
    cluster, steps = tracked(make_cluster, engine)
    watchers = {s.action.actor for s in steps if s.step.id == "LW-01"}
    assert watchers == {"controller-manager", "scheduler", "kubelet/node01", "kubelet/node02"}
    assert cluster.pods() == []


def test_a_node_selector_pod_goes_through_the_thirteen_steps_in_order(
    make_cluster: Callable[..., Cluster], engine: Engine
) -> None:
    cluster, steps = tracked(make_cluster, engine, node_labels={"node02": {"cz": "bob"}})
    cluster.apply(pod("pod-example", node_selector={"cz": "bob"}))
    cluster.settle()
    assert ids_for(steps, "pod-example") == [f"LW-{n:02d}" for n in range(2, 14)]
    repeated = {s.step.id: s.repeats for s in steps if s.repeats}
    assert repeated == {"LW-07": "LW-03", "LW-08": "LW-04"}


def test_a_node_name_pod_skips_the_scheduler(
    make_cluster: Callable[..., Cluster], engine: Engine
) -> None:
    cluster, steps = tracked(make_cluster, engine)
    cluster.apply(pod("pod-example", node_name="node01"))
    cluster.settle()
    assert ids_for(steps, "pod-example") == [
        "LW-02",
        "LW-03",
        "LW-04",
        "LW-05",
        "LW-06",
        "LW-07",
        "LW-08",
        "NN-01",
        "NN-02",
        "LW-12",
        "LW-13",
    ]


def test_a_rejected_node_name_pod_ends_at_the_rejection(
    make_cluster: Callable[..., Cluster], engine: Engine
) -> None:
    cluster, steps = tracked(make_cluster, engine)
    cluster.apply(pod("pod-example", node_name="node01", node_selector={"cz": "bob"}))
    cluster.settle()
    assert ids_for(steps, "pod-example")[-2:] == ["NN-01", "NN-03"]


def test_an_unschedulable_pod_waits_then_rejoins_the_flow(
    make_cluster: Callable[..., Cluster], engine: Engine
) -> None:
    cluster, steps = tracked(make_cluster, engine)
    cluster.apply(pod("pod-example", node_selector={"cz": "bob"}))
    cluster.settle()
    cluster.label_node("node02", "cz", "bob")
    cluster.settle()
    assert ids_for(steps, "pod-example")[7:] == [
        "LW-09",
        "US-01",
        "US-02",
        "LW-09",
        "LW-10",
        "LW-11",
        "LW-12",
        "LW-13",
    ]


def test_replicas_enter_the_flow_at_step_seven(
    make_cluster: Callable[..., Cluster], engine: Engine
) -> None:
    cluster, steps = tracked(make_cluster, engine)
    cluster.apply(replication_controller("web", 2))
    cluster.settle()
    assert ids_for(steps, "web") == ["LW-02", "LW-03", "LW-04", "LW-05", "LW-06"]
    replicas = [objects.name_of(p) for p in cluster.pods()]
    for name in replicas:
        assert ids_for(steps, name) == [
            "LW-07",
            "LW-08",
            "LW-09",
            "LW-10",
            "LW-11",
            "LW-12",
            "LW-13",
        ]
    cluster.scale("replicationcontrollers", "web", 3)
    cluster.settle()
    assert ids_for(steps, "web")[-1] == "RC-01"
    (new,) = [objects.name_of(p) for p in cluster.pods() if objects.name_of(p) not in replicas]
    assert ids_for(steps, new)[0] == "LW-07"


def test_an_image_upgrade_runs_the_kubelet_steps_again(
    make_cluster: Callable[..., Cluster], engine: Engine
) -> None:
    cluster, steps = tracked(make_cluster, engine)
    cluster.apply(pod("web", node_name="node01"))
    cluster.settle()
    cluster.set_image("web", "nginx", "nginx:1.16")
    cluster.settle()
    assert ids_for(steps, "web")[-4:] == ["UP-01", "UP-02", "LW-12", "LW-13"]


def test_every_act_the_engine_emits_fits_the_kinds_the_spec_may_match(
    make_cluster: Callable[..., Cluster], actions: list[Action]
) -> None:
    cluster = make_cluster()
    cluster.apply(pod("plain", node_selector={"kubernetes.io/hostname": "node02"}))
    cluster.apply(pod("nowhere", node_selector={"cz": "carol"}))
    cluster.apply(pod("refused", node_name="node01", node_selector={"cz": "carol"}))
    cluster.apply(replication_controller("web", replicas=2))
    cluster.settle()
    cluster.label_node("node01", "cz", "carol")
    cluster.set_image("plain", "nginx", "nginx:1.27")
    cluster.settle()
    # Both nodes full, then a pod of higher priority: the scheduler preempts.
    cluster.apply(priority_class("high", 1000))
    for name, node, klass in (
        ("hog-1", "node01", ""),
        ("hog-2", "node02", ""),
        ("vip", "", "high"),
    ):
        cluster.apply(sized(name, "4", node=node, priority_class=klass))
        cluster.settle()
    misfits = {f"{a.action} by {a.actor}: {why}" for a in actions if (why := misfit(a))}
    assert not misfits
    assert {a.action for a in actions} == set(EMITTED)
