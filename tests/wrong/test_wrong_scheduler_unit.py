"""examples/scheduler.py's filters, message and binding, and each wrong scheduler's one mistake,
without a cluster: the schedulers run against a fake CoreV1Api that keeps pods in a dict."""

from __future__ import annotations

import time
from typing import Any, cast

import pytest
from examples.scheduler import (
    Node,
    Pod,
    Requests,
    Room,
    Scheduler,
    fit_error,
    pod_requests,
    quantity,
)
from kubernetes import client

from tests.wrong.scheduler import MODES, make

ALLOCATABLE = {"cpu": "4", "memory": "16261904Ki", "pods": "110"}


def node(name: str, *, labels: dict[str, str] | None = None, **spec: Any) -> Node:
    return client.V1Node(
        metadata=client.V1ObjectMeta(name=name, labels=labels or {}),
        spec=client.V1NodeSpec(**spec),
        status=client.V1NodeStatus(allocatable=dict(ALLOCATABLE)),
    )


def pod(name: str, *, cpu: str | None = None, memory: str | None = None, **spec: Any) -> Pod:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    container = client.V1Container(
        name="c", resources=client.V1ResourceRequirements(requests=requests or None)
    )
    spec.setdefault("scheduler_name", "default-scheduler")
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name, namespace="default", uid=f"uid-{name}"),
        spec=client.V1PodSpec(containers=[container], **spec),
        status=client.V1PodStatus(phase="Pending"),
    )


def taint(key: str, value: str = "", effect: str = "NoSchedule") -> client.V1Taint:
    return client.V1Taint(key=key, value=value or None, effect=effect)


def toleration(**fields: Any) -> client.V1Toleration:
    return client.V1Toleration(**fields)


def required(*terms: dict[str, Any]) -> client.V1Affinity:
    def requirements(items: list[tuple[str, str, list[str]]]) -> list[Any]:
        return [client.V1NodeSelectorRequirement(key=k, operator=o, values=v) for k, o, v in items]

    return client.V1Affinity(
        node_affinity=client.V1NodeAffinity(
            required_during_scheduling_ignored_during_execution=client.V1NodeSelector(
                node_selector_terms=[
                    client.V1NodeSelectorTerm(
                        match_expressions=requirements(t.get("labels", [])) or None,
                        match_fields=requirements(t.get("fields", [])) or None,
                    )
                    for t in terms
                ]
            )
        )
    )


class FakeApi:
    """The CoreV1Api calls the scheduler makes, on pods kept here; a second bind is a 409."""

    def __init__(self, *pods: Pod) -> None:
        self.pods = {p.metadata.name: p for p in pods}
        self.bindings: list[tuple[str, str]] = []
        self.patches: list[tuple[str, Any]] = []

    def read_namespaced_pod(self, name: str, namespace: str) -> Pod:
        return self.pods[name]

    def create_namespaced_binding(self, namespace: str, body: Any, **_: Any) -> None:
        name, target = body.metadata.name, body.target.name
        self.bindings.append((name, target))
        if self.pods[name].spec.node_name:
            raise client.ApiException(status=409, reason="Conflict")
        self.pods[name].spec.node_name = target

    def patch_namespaced_pod_status(self, name: str, namespace: str, body: Any, **_: Any) -> None:
        self.patches.append((name, body))


Events = list[tuple[str, str, str]]


def scheduler_for(
    monkeypatch: pytest.MonkeyPatch,
    nodes: list[Node],
    *pods: Pod,
    mode: str | None = None,
    **options: Any,
) -> tuple[Scheduler, FakeApi, Events]:
    api = FakeApi(*pods)
    core = cast(client.CoreV1Api, api)
    scheduler = make(mode, core, name="default-scheduler", **options) if mode else None
    scheduler = scheduler or Scheduler(core, **options)
    scheduler.nodes = {n.metadata.name: n for n in nodes}
    events: Events = []

    def record(p: Any, type_: str, reason: str, message: str, *, action: str) -> None:
        events.append((p.metadata.name, reason, message))

    monkeypatch.setattr(scheduler, "event", record)
    return scheduler, api, events


TWO = [node("node01"), node("node02", labels={"disk": "ssd"})]


# -- quantities and requests -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "scale", "expected"),
    [
        ("500m", 1000, 500),
        ("1", 1000, 1000),
        ("1.5", 1000, 1500),
        ("0.1m", 1000, 1),
        ("128Mi", 1, 128 * 2**20),
        ("1Gi", 1, 2**30),
        ("1e3", 1, 1000),
        ("2E", 1, 2 * 10**18),
        ("16261904Ki", 1, 16261904 * 1024),
        ("1k", 1, 1000),
        (110, 1, 110),
    ],
)
def test_quantities_are_read_as_kubernetes_rounds_them(
    text: object, scale: int, expected: int
) -> None:
    assert quantity(text, scale) == expected


def test_a_pods_requests_sum_its_containers_take_the_largest_init_container_and_the_overhead() -> (
    None
):
    p = pod("p", cpu="100m", memory="64Mi")
    p.spec.containers.append(
        client.V1Container(
            name="d", resources=client.V1ResourceRequirements(limits={"cpu": "200m"})
        )
    )
    p.spec.init_containers = [
        client.V1Container(
            name="i", resources=client.V1ResourceRequirements(requests={"cpu": "500m"})
        )
    ]
    p.spec.overhead = {"cpu": "10m"}
    assert pod_requests(p) == Requests(510, 64 * 2**20)


# -- the filters -------------------------------------------------------------------------------


def rejection(p: Pod, n: Node, used: Room | None = None) -> Any:
    scheduler = Scheduler(cast(client.CoreV1Api, FakeApi()))
    return scheduler.rejection(p, pod_requests(p), n, used)


def test_a_cordoned_node_is_unschedulable_unless_the_pod_tolerates_it() -> None:
    cordoned = node("n", unschedulable=True)
    assert rejection(pod("p"), cordoned) == ("NodeUnschedulable", ["node(s) were unschedulable"])
    tolerant = pod(
        "p",
        tolerations=[
            toleration(
                key="node.kubernetes.io/unschedulable", operator="Exists", effect="NoSchedule"
            )
        ],
    )
    assert rejection(tolerant, cordoned) is None


@pytest.mark.parametrize(
    ("tolerations", "fits"),
    [
        ([], False),
        ([toleration(key="dedicated", value="gpu")], True),  # Equal by default, any effect
        ([toleration(key="dedicated", operator="Equal", value="cpu")], False),
        ([toleration(key="dedicated", operator="Exists", effect="NoSchedule")], True),
        ([toleration(key="dedicated", operator="Exists", effect="NoExecute")], False),
        ([toleration(operator="Exists")], True),  # an empty key with Exists: every taint
        ([toleration(key="other", operator="Exists")], False),
    ],
)
def test_noschedule_taints_must_be_tolerated(tolerations: list[Any], fits: bool) -> None:
    tainted = node("n", taints=[taint("dedicated", "gpu")])
    found = rejection(pod("p", tolerations=tolerations), tainted)
    if fits:
        assert found is None
    else:
        assert found == ("TaintToleration", ["node(s) had untolerated taint {dedicated: gpu}"])


def test_prefer_no_schedule_taints_do_not_filter_and_no_execute_ones_do() -> None:
    assert rejection(pod("p"), node("n", taints=[taint("a", effect="PreferNoSchedule")])) is None
    assert rejection(pod("p"), node("n", taints=[taint("a", effect="NoExecute")])) == (
        "TaintToleration",
        ["node(s) had untolerated taint {a: }"],
    )


@pytest.mark.parametrize(
    ("affinity", "fits"),
    [
        (required({"labels": [("disk", "In", ["ssd", "nvme"])]}), True),
        (required({"labels": [("disk", "NotIn", ["ssd"])]}), False),
        (required({"labels": [("disk", "Exists", [])]}), True),
        (required({"labels": [("gpu", "DoesNotExist", [])]}), True),
        (required({"labels": [("rank", "Gt", ["5"])]}), True),
        (required({"labels": [("rank", "Lt", ["5"])]}), False),
        (required({"labels": [("disk", "Gt", ["5"])]}), False),  # not an integer
        # terms ORed, requirements within one ANDed
        (required({"labels": [("disk", "In", ["ssd"]), ("rank", "Lt", ["5"])]}), False),
        (required({"labels": [("rank", "Lt", ["5"])]}, {"labels": [("disk", "Exists", [])]}), True),
        (required({"fields": [("metadata.name", "In", ["n"])]}), True),
        (required({"fields": [("metadata.name", "NotIn", ["n"])]}), False),
        (required({}), False),  # a term without requirements matches nothing
        (required(), False),  # and so do no terms
    ],
)
def test_required_node_affinity(affinity: client.V1Affinity, fits: bool) -> None:
    labelled = node("n", labels={"disk": "ssd", "rank": "7"})
    found = rejection(pod("p", affinity=affinity), labelled)
    assert found == (None if fits else ("NodeAffinity", [AFFINITY]))


AFFINITY = "node(s) didn't match Pod's node affinity/selector"


def test_node_selector_and_required_affinity_must_both_hold() -> None:
    labelled = node("n", labels={"disk": "ssd"})
    both = required({"labels": [("disk", "Exists", [])]})
    assert rejection(pod("p", node_selector={"disk": "ssd"}, affinity=both), labelled) is None
    assert rejection(pod("p", node_selector={"disk": "hdd"}, affinity=both), labelled) == (
        "NodeAffinity",
        [AFFINITY],
    )


def test_resources_fit_names_every_resource_lacking() -> None:
    n = node("n")
    assert rejection(pod("p", cpu="4"), n) is None
    used = Room(1000, 0, 1)
    assert rejection(pod("p", cpu="3001m"), n, used) == ("NodeResourcesFit", ["Insufficient cpu"])
    assert rejection(pod("p", cpu="3.5", memory="16Gi"), n, Room(1000, 0, 110)) == (
        "NodeResourcesFit",
        ["Too many pods", "Insufficient cpu", "Insufficient memory"],
    )


def test_filters_run_in_order_and_a_node_counts_under_the_first_it_fails() -> None:
    n = node("n", unschedulable=True, taints=[taint("a")])
    assert rejection(pod("p", node_selector={"x": "y"}, cpu="9"), n) == (
        "NodeUnschedulable",
        ["node(s) were unschedulable"],
    )


def test_the_fit_error_is_kube_schedulers_message() -> None:
    message = fit_error(
        3,
        [
            ("TaintToleration", ["node(s) had untolerated taint {dedicated: gpu}"]),
            ("NodeResourcesFit", ["Insufficient cpu", "Insufficient memory"]),
            ("NodeResourcesFit", ["Insufficient cpu"]),
        ],
    )
    assert message == (
        "0/3 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint "
        "{dedicated: gpu}, 2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption "
        "is not helpful for scheduling, 2 No preemption victims found for incoming pod."
    )
    assert fit_error(0, []) == "no nodes available to schedule pods"


# -- the example scheduler ---------------------------------------------------------------------


def test_it_binds_each_pod_once_to_a_node_that_fits(monkeypatch: pytest.MonkeyPatch) -> None:
    pods = [pod("a", cpu="3"), pod("b", cpu="3"), pod("ssd", node_selector={"disk": "ssd"})]
    scheduler, api, events = scheduler_for(monkeypatch, TWO, *pods)
    for p in ("a", "b", "ssd", "a"):
        scheduler.schedule("default", p)
    # b counts a (assumed: no watch told it yet), so it goes to the other node.
    assert api.bindings == [("a", "node01"), ("b", "node02"), ("ssd", "node02")]
    assert [e[1] for e in events] == ["Scheduled"] * 3
    assert events[0][2] == "Successfully assigned default/a to node01"


def test_it_leaves_other_schedulers_pods_deleted_pods_and_bound_pods(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    other = pod("other", scheduler_name="other-scheduler")
    gone = pod("gone")
    gone.metadata.deletion_timestamp = "2026-01-01T00:00:00Z"
    bound = pod("bound", node_name="node02")
    scheduler, api, events = scheduler_for(monkeypatch, TWO, other, gone, bound)
    for p in ("other", "gone", "bound"):
        scheduler.schedule("default", p)
    assert api.bindings == [] and events == []
    assert scheduler.pod_selector() == "spec.schedulerName=default-scheduler,spec.nodeName="


def test_when_no_node_fits_it_says_so_once_and_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    scheduler, api, events = scheduler_for(monkeypatch, TWO, pod("big", cpu="5"))
    scheduler.schedule("default", "big")
    message = (
        "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No "
        "preemption victims found for incoming pod."
    )
    assert events == [("big", "FailedScheduling", message)]
    condition = api.patches[0][1]["status"]["conditions"][0]
    assert (condition["type"], condition["status"], condition["reason"]) == (
        "PodScheduled",
        "False",
        "Unschedulable",
    )
    assert set(scheduler.unschedulable) == {("default", "big")}
    scheduler.moved()
    assert scheduler.queue.get_nowait() == ("default", "big")


def test_room_freed_by_a_finished_pod_sends_the_unschedulable_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scheduler, _, _ = scheduler_for(monkeypatch, TWO[:1], pod("big", cpu="3"))
    running = pod("running", cpu="2", node_name="node01")
    scheduler._bound_pod_event("ADDED", running)
    scheduler.schedule("default", "big")
    assert set(scheduler.unschedulable) == {("default", "big")}
    running.status.phase = "Succeeded"
    scheduler._bound_pod_event("MODIFIED", running)
    assert scheduler.queue.get_nowait() == ("default", "big")
    assert scheduler.used() == {}


def test_only_a_node_change_that_may_help_sends_the_unschedulable_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scheduler, _, _ = scheduler_for(monkeypatch, [], pod("p"))
    scheduler._node_event("LISTED", [node("node01")])
    scheduler.unschedulable[("default", "p")] = time.monotonic()
    heartbeat = node("node01")
    heartbeat.status.conditions = [client.V1NodeCondition(type="Ready", status="True")]
    scheduler._node_event("MODIFIED", heartbeat)
    assert scheduler.queue.empty()
    scheduler._node_event("MODIFIED", node("node01", labels={"disk": "ssd"}))
    assert scheduler.queue.get_nowait() == ("default", "p")


def test_every_attempt_records_its_failure_and_five_minutes_bring_another(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scheduler, api, events = scheduler_for(monkeypatch, TWO, pod("p", node_selector={"x": "y"}))
    scheduler.schedule("default", "p")
    scheduler.flush()
    assert scheduler.queue.empty()
    scheduler.unschedulable[("default", "p")] -= 300
    scheduler.flushed -= 30
    scheduler.flush()
    assert scheduler.queue.get_nowait() == ("default", "p")
    message = api.patches[0][1]["status"]["conditions"][0]["message"]
    api.pods["p"].status.conditions = [
        client.V1PodCondition(type="PodScheduled", status="False", message=message)
    ]
    scheduler.schedule("default", "p")
    assert len(api.patches) == 1  # the condition says it already
    assert [e[1] for e in events] == ["FailedScheduling"] * 2


# -- the wrong schedulers ----------------------------------------------------------------------


def test_every_mode_has_its_docstring() -> None:
    assert sorted(MODES) == [
        "binds-others",
        "binds-twice",
        "ignores-node-selector",
        "ignores-taints",
        "never-unschedulable",
        "overcommits",
        "random-node",
    ]
    for cls in MODES.values():
        assert "A validator should see" in (cls.__doc__ or "")


def test_ignores_node_selector_binds_the_first_node(monkeypatch: pytest.MonkeyPatch) -> None:
    scheduler, api, _ = scheduler_for(
        monkeypatch, TWO, pod("p", node_selector={"disk": "ssd"}), mode="ignores-node-selector"
    )
    scheduler.schedule("default", "p")
    assert api.bindings == [("p", "node01")]


def test_ignores_taints_binds_a_tainted_node(monkeypatch: pytest.MonkeyPatch) -> None:
    nodes = [node("node01", taints=[taint("dedicated", "gpu")]), node("node02", unschedulable=True)]
    scheduler, api, _ = scheduler_for(monkeypatch, nodes, pod("p"), mode="ignores-taints")
    scheduler.schedule("default", "p")
    assert api.bindings == [("p", "node01")]


def test_overcommits_binds_a_pod_no_node_has_room_for(monkeypatch: pytest.MonkeyPatch) -> None:
    scheduler, api, events = scheduler_for(monkeypatch, TWO, pod("p", cpu="5"), mode="overcommits")
    scheduler.schedule("default", "p")
    assert api.bindings == [("p", "node01")] and events[0][1] == "Scheduled"


def test_binds_twice_binds_again_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    scheduler, api, events = scheduler_for(monkeypatch, TWO, pod("p"), mode="binds-twice")
    scheduler.schedule("default", "p")
    assert api.bindings == [("p", "node01"), ("p", "node02")]  # the second refused: 409
    assert api.pods["p"].spec.node_name == "node01"
    assert [e[2] for e in events] == [
        "Successfully assigned default/p to node01",
        "Successfully assigned default/p to node02",
    ]


def test_binds_others_takes_every_schedulers_pods(monkeypatch: pytest.MonkeyPatch) -> None:
    p = pod("p", scheduler_name="other-scheduler")
    scheduler, api, _ = scheduler_for(monkeypatch, TWO, p, mode="binds-others")
    assert scheduler.pod_selector() == "spec.nodeName="
    scheduler.schedule("default", "p")
    assert api.bindings == [("p", "node01")]


def test_never_unschedulable_drops_the_pod_silently(monkeypatch: pytest.MonkeyPatch) -> None:
    scheduler, api, events = scheduler_for(
        monkeypatch, TWO, pod("p", cpu="5"), mode="never-unschedulable"
    )
    scheduler.schedule("default", "p")
    assert api.bindings == [] and api.patches == [] and events == []
    assert scheduler.unschedulable == {}
    scheduler.enqueue(("default", "p"))
    assert scheduler.queue.empty()


def test_random_node_ignores_the_filters_and_repeats_with_its_seed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def placements(seed: int) -> list[tuple[str, str]]:
        pods = [pod(f"p{i}", node_selector={"disk": "nvme"}, cpu="5") for i in range(20)]
        scheduler, api, _ = scheduler_for(monkeypatch, TWO, *pods, mode="random-node", seed=seed)
        for p in pods:
            scheduler.schedule("default", p.metadata.name)
        return api.bindings

    first = placements(0)
    assert len(first) == 20 and {n for _, n in first} == {"node01", "node02"}
    assert placements(0) == first
