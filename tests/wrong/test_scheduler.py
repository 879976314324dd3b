"""examples/scheduler.py's filters and its FitError message, as pure functions of nodes and pods
(what it and the wrong schedulers do against a cluster is judged by `listwatch validate` against
`listwatch serve`, in tests/test_validate_examples.py)."""

from __future__ import annotations

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

from tests.wrong.scheduler import MODES

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
    scheduler = Scheduler(cast(client.CoreV1Api, None))  # rejection() reads no API
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
