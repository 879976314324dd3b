"""The checker judges a bind by the scheduler's TaintToleration and NodeUnschedulable filters too,
the scheduler of a Scheduled Event against the pod's spec.schedulerName, and lets the kubelet
reject a wrongly bound pod: only the bind is blamed.

The traces are written by hand, as `kubectl get pods,nodes,events -w -o json` would show them.
"""

from __future__ import annotations

from typing import Any

from listwatch import checker
from listwatch.engine import Engine

Records = list[dict[str, Any]]

GPU = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}
EVICT = {"key": "dedicated", "value": "gpu", "effect": "NoExecute"}


def node(
    name: str,
    *,
    labels: dict[str, str] | None = None,
    taints: list[dict[str, str]] | None = None,
    unschedulable: bool = False,
    rv: int = 1,
    cpu: str = "4",
) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if taints:
        spec["taints"] = taints
    if unschedulable:
        spec["unschedulable"] = True
    return {
        "type": "ADDED" if rv == 1 else "MODIFIED",
        "object": {
            "kind": "Node",
            "apiVersion": "v1",
            "metadata": {"name": name, "resourceVersion": str(rv), "labels": labels or {}},
            "spec": spec,
            "status": {"allocatable": {"cpu": cpu, "memory": "8Gi", "pods": "110"}},
        },
    }


def pod(
    rv: int,
    *,
    on: str = "",
    named: bool = False,
    selector: dict[str, str] | None = None,
    tolerations: list[dict[str, str]] | None = None,
    scheduler: str = "",
    cpu: str = "",
    rejected: str = "",
    running: bool = False,
) -> dict[str, Any]:
    """The pod `web` at resourceVersion `rv`: pending, bound to `on` (or created on it, `named`),
    rejected by its kubelet with the reason `rejected`, or running."""
    container: dict[str, Any] = {"name": "c", "image": "nginx"}
    if cpu:
        container["resources"] = {"requests": {"cpu": cpu}}
    spec: dict[str, Any] = {"containers": [container]}
    if scheduler:
        spec["schedulerName"] = scheduler
    if selector:
        spec["nodeSelector"] = selector
    if tolerations:
        spec["tolerations"] = tolerations
    status: dict[str, Any] = {"phase": "Pending", "qosClass": "BestEffort"}
    if on:
        spec["nodeName"] = on
        if not named:
            status["conditions"] = [{"type": "PodScheduled", "status": "True"}]
    if rejected:
        status.update(
            phase="Failed",
            reason=rejected,
            message=f"Pod was rejected: {rejected}",
            startTime="2026-01-01T00:00:02Z",
        )
    if running:
        status.update(
            phase="Running",
            startTime="2026-01-01T00:00:02Z",
            containerStatuses=[
                {
                    "name": "c",
                    "image": "docker.io/library/nginx:latest",
                    "ready": True,
                    "restartCount": 0,
                    "state": {"running": {"startedAt": "2026-01-01T00:00:03Z"}},
                }
            ],
        )
    first = rv == 10
    return {
        "type": "ADDED" if first else "MODIFIED",
        "object": {
            "kind": "Pod",
            "apiVersion": "v1",
            "metadata": {
                "name": "web",
                "namespace": "default",
                "uid": "uid-web",
                "resourceVersion": str(rv),
            },
            "spec": spec,
            "status": status,
        },
    }


def event(name: str, reason: str, source: str, *, pod_rv: int, type_: str = "Normal") -> Any:
    """A core/v1 Event about `web`, as client-go's legacy recorder writes it (source.component)."""
    return {
        "type": "ADDED",
        "object": {
            "kind": "Event",
            "apiVersion": "v1",
            "metadata": {"name": name, "namespace": "default", "resourceVersion": "100"},
            "involvedObject": {
                "kind": "Pod",
                "namespace": "default",
                "name": "web",
                "uid": "uid-web",
                "apiVersion": "v1",
                "resourceVersion": str(pod_rv),
            },
            "reason": reason,
            "type": type_,
            "source": {"component": source} if source else {},
            "count": 1,
            "message": reason,
        },
    }


def scheduled_v1(controller: str, *, pod_rv: int) -> Any:
    """A Scheduled Event as kube-scheduler writes it, read through events.k8s.io/v1."""
    return {
        "type": "ADDED",
        "object": {
            "kind": "Event",
            "apiVersion": "events.k8s.io/v1",
            "metadata": {"name": "web.sched", "namespace": "default", "resourceVersion": "101"},
            "eventTime": "2026-01-01T00:00:01.000000Z",
            "reportingController": controller,
            "reportingInstance": f"{controller}-control-plane",
            "action": "Binding",
            "reason": "Scheduled",
            "regarding": {
                "kind": "Pod",
                "namespace": "default",
                "name": "web",
                "uid": "uid-web",
                "apiVersion": "v1",
                "resourceVersion": str(pod_rv),
            },
            "note": "Successfully assigned default/web to node02",
            "type": "Normal",
        },
    }


def judged(records: Records, engine: Engine) -> list[tuple[str, str]]:
    return [(v.step, v.rule) for v in checker.check_records(records, engine.spec).violations]


def bind(nodes: Records, **fields: Any) -> Records:
    """The nodes, then `web` created and bound to node02 and running there."""
    return [
        *nodes,
        pod(10, **fields),
        pod(11, on="node02", **fields),
        pod(12, on="node02", running=True, **fields),
    ]


# -- TaintToleration and NodeUnschedulable at the bind ---------------------------------------------


def test_a_bind_to_a_node_with_an_untolerated_noschedule_taint_breaks_lw10(engine: Engine) -> None:
    records = bind([node("node01"), node("node02", taints=[GPU])])
    (v,) = checker.check_records(records, engine.spec).violations
    assert (v.step, v.rule, v.line) == ("LW-10", "taints", 4)
    assert v.expected == (
        "a node that passes the scheduler's TaintToleration filter (the pod tolerates every "
        "NoSchedule/NoExecute taint)"
    )
    assert v.observed == "bound to node02, which has the untolerated taint dedicated=gpu:NoSchedule"


def test_a_tolerated_or_preferring_taint_passes(engine: Engine) -> None:
    tolerating = [{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}]
    assert judged(bind([node("node02", taints=[GPU])], tolerations=tolerating), engine) == []
    exists = [{"operator": "Exists"}]
    assert judged(bind([node("node02", taints=[GPU, EVICT])], tolerations=exists), engine) == []
    prefer = {**GPU, "effect": "PreferNoSchedule"}
    assert judged(bind([node("node02", taints=[prefer])]), engine) == []


def test_a_taint_added_or_removed_under_the_bind_is_not_blamed(engine: Engine) -> None:
    added = [node("node02"), node("node02", taints=[GPU], rv=2)]
    assert judged(bind(added), engine) == []
    then_a_heartbeat = [*added, node("node02", taints=[GPU], rv=3)]
    assert judged(bind(then_a_heartbeat), engine) == []
    removed = [node("node02", taints=[GPU]), node("node02", rv=2)]
    assert judged(bind(removed), engine) == []
    kept = [node("node02", taints=[GPU]), node("node02", taints=[GPU], rv=2)]
    assert judged(bind(kept), engine) == [("LW-10", "taints")]


def test_a_bind_to_a_cordoned_node_breaks_lw10(engine: Engine) -> None:
    records = bind([node("node02", unschedulable=True)])
    (v,) = checker.check_records(records, engine.spec).violations
    assert (v.step, v.rule) == ("LW-10", "node-unschedulable")
    assert v.observed == "bound to node02, whose spec.unschedulable is true"
    cordoned_under_the_bind = [node("node02"), node("node02", unschedulable=True, rv=2)]
    assert judged(bind(cordoned_under_the_bind), engine) == []
    cordoned_and_uncordoned = [*cordoned_under_the_bind, node("node02", rv=3)]
    assert judged(bind(cordoned_and_uncordoned), engine) == []
    cordoned_twice = [node("node02", unschedulable=True, rv=r) for r in (1, 2)]
    assert judged(bind(cordoned_twice), engine) == [("LW-10", "node-unschedulable")]
    tolerating = [{"key": "node.kubernetes.io/unschedulable", "operator": "Exists"}]
    assert judged(bind([node("node02", unschedulable=True)], tolerations=tolerating), engine) == []


def test_a_pod_that_names_its_node_is_not_judged_by_the_scheduler_s_filters(
    engine: Engine,
) -> None:
    """NoSchedule taints and cordons keep the scheduler away, not a pod created on its node (the
    kubelet's admission checks only NoExecute taints)."""
    nodes = [node("node02", taints=[GPU], unschedulable=True)]
    records = [
        *nodes,
        pod(10, on="node02", named=True),
        pod(11, on="node02", named=True, running=True),
    ]
    assert judged(records, engine) == []


def test_the_kubelet_must_reject_a_named_pod_on_a_node_with_an_untolerated_noexecute_taint(
    engine: Engine,
) -> None:
    nodes = [node("node02", taints=[EVICT])]
    runs = [
        *nodes,
        pod(10, on="node02", named=True),
        pod(11, on="node02", named=True, running=True),
    ]
    (v,) = checker.check_records(runs, engine.spec).violations
    assert (v.step, v.rule) == ("NN-03", "admission")
    assert "node02 has the untolerated taint dedicated=gpu:NoExecute" in v.expected
    rejected = [
        *nodes,
        pod(10, on="node02", named=True),
        pod(11, on="node02", named=True, rejected="TaintToleration"),
    ]
    assert judged(rejected, engine) == []
    mirrored = [*nodes, *runs[1:]]
    for state in mirrored[1:]:
        state["object"]["metadata"]["annotations"] = {
            "kubernetes.io/config.source": "file",
            "kubernetes.io/config.mirror": "0123abcd",
        }
    assert judged(mirrored, engine) == [], "a static pod's taints are not checked by its kubelet"


# -- the scheduler that schedules the pod ----------------------------------------------------------


def test_a_scheduled_event_from_another_scheduler_than_the_pod_s_breaks_lw10(
    engine: Engine,
) -> None:
    records = [
        node("node02"),
        pod(10, scheduler="other-scheduler"),
        pod(11, on="node02", scheduler="other-scheduler"),
        event("web.1", "Scheduled", "default-scheduler", pod_rv=11),
    ]
    (v,) = checker.check_records(records, engine.spec).violations
    assert (v.step, v.rule, v.line) == ("LW-10", "scheduler-name", 4)
    assert v.message == (
        "LW-10: expected the pod's own scheduler (other-scheduler) to schedule it; observed a "
        "Scheduled Event from default-scheduler"
    )


def test_the_scheduler_name_is_read_from_events_k8s_io_and_from_an_event_ahead_of_the_pod(
    engine: Engine,
) -> None:
    ahead = [
        node("node02"),
        scheduled_v1("default-scheduler", pod_rv=11),
        pod(10, scheduler="other-scheduler"),
        pod(11, on="node02", scheduler="other-scheduler"),
    ]
    assert judged(ahead, engine) == [("LW-10", "scheduler-name")]
    by_its_own = [
        node("node02"),
        pod(10),
        pod(11, on="node02"),
        scheduled_v1("default-scheduler", pod_rv=11),
    ]
    assert judged(by_its_own, engine) == []
    default_named_other = [node("node02"), pod(10), pod(11, on="node02")]
    default_named_other.append(event("web.1", "Scheduled", "my-scheduler", pod_rv=11))
    assert judged(default_named_other, engine) == [("LW-10", "scheduler-name")]


def test_a_scheduled_event_that_names_no_reporter_is_not_judged(engine: Engine) -> None:
    records = [
        node("node02"),
        pod(10, scheduler="other-scheduler"),
        pod(11, on="node02", scheduler="other-scheduler"),
        event("web.1", "Scheduled", "", pod_rv=11),
    ]
    assert judged(records, engine) == []


# -- the cascade: the kubelet rejects a wrongly bound pod -----------------------------------------


def rejected_after_bind(
    nodes: Records, reason: str, *, events: str = "after", **fields: Any
) -> Records:
    """`web` bound to node02 by the scheduler and rejected there by the kubelet (`reason`), with
    the Scheduled and rejection Events after the bind (`events`: "after"), ahead of the pod's
    states ("ahead") or none ("none")."""
    states = [
        pod(10, **fields),
        pod(11, on="node02", **fields),
        pod(12, on="node02", rejected=reason, **fields),
    ]
    said = [
        event("web.1", "Scheduled", "default-scheduler", pod_rv=11),
        event("web.2", reason, "kubelet", pod_rv=11, type_="Warning"),
    ]
    if events == "none":
        return [*nodes, *states]
    if events == "ahead":
        return [*nodes, *said, *states]
    return [*nodes, *states[:2], *said, states[2]]


def test_the_kubelet_rejecting_a_pod_bound_against_its_selector_blames_only_the_bind(
    engine: Engine,
) -> None:
    nodes = [node("node01", labels={"cz": "alice"}), node("node02")]
    for events in ("after", "ahead", "none"):
        records = rejected_after_bind(nodes, "NodeAffinity", events=events, selector={"cz": "bob"})
        report = checker.check_records(records, engine.spec)
        (v,) = report.violations
        assert (v.step, v.rule) == ("LW-10", "node-affinity"), events
        assert v.observed == "bound to node02, which has no cz label"
        (verdict,) = report.pods
        assert (verdict.verdict, verdict.steps[-1]) == ("fail", "NN-03"), events
        assert "LW-10" in verdict.steps, events


def test_the_kubelet_rejecting_a_pod_bound_to_a_node_too_small_or_evicting_blames_the_bind(
    engine: Engine,
) -> None:
    small = [node("node02", cpu="1")]
    records = rejected_after_bind(small, "OutOfcpu", cpu="2")
    assert judged(records, engine) == [("LW-10", "resources")]
    evicting = [node("node02", taints=[EVICT])]
    assert judged(rejected_after_bind(evicting, "TaintToleration"), engine) == [("LW-10", "taints")]


def test_a_kubelet_rejection_that_no_broken_filter_explains_is_still_out_of_order(
    engine: Engine,
) -> None:
    """The kubelet's admission checks no NoSchedule taint, nor a cordon: it would have admitted
    the pod, and a correct bind leaves it nothing to reject."""
    tainted = [node("node02", taints=[GPU])]
    assert judged(rejected_after_bind(tainted, "TaintToleration"), engine) == [
        ("LW-10", "taints"),
        ("NN-03", "order"),  # the pod's state (NN-03's Event is its NodeAffinity one only)
    ]
    fine = [node("node02")]
    for events in ("after", "ahead"):
        assert judged(rejected_after_bind(fine, "NodeAffinity", events=events), engine) == [
            ("NN-03", "order"),
            ("NN-03", "order"),
        ], events
    events_only = [
        r for r in rejected_after_bind(fine, "NodeAffinity") if r["object"]["kind"] != "Pod"
    ]
    assert judged(events_only, engine) == [("NN-03", "order")]
