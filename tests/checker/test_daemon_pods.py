"""The checker judges a daemon pod's bind as the scheduler filters it: the daemonset controller
pins each pod to its node with a required node affinity on metadata.name (matchFields), so a
bind to another node breaks LW-10, and the bind to the pinned node passes, whatever taints of
the node conditions the daemon tolerations cover."""

from __future__ import annotations

from typing import Any

from listwatch import checker
from listwatch.engine import Engine
from listwatch.rules import daemonsets
from tests.checker.test_bind_filters import Records, node, pod

DAEMON_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
]


def pinned(record: dict[str, Any], node_name: str) -> dict[str, Any]:
    """The pod record as the daemonset controller made it: pinned to `node_name`, tolerating."""
    spec = record["object"]["spec"]
    spec["affinity"] = daemonsets.pinned_to(None, node_name)
    spec["tolerations"] = DAEMON_TOLERATIONS
    return record


def daemon_pod_bound(nodes: Records, *, pin: str, to: str) -> Records:
    return [
        *nodes,
        pinned(pod(10), pin),
        pinned(pod(11, on=to), pin),
        pinned(pod(12, on=to, running=True), pin),
    ]


def test_a_daemon_pod_bound_off_its_pinned_node_breaks_lw10(engine: Engine) -> None:
    records = daemon_pod_bound([node("node01"), node("node02")], pin="node01", to="node02")
    (violation,) = checker.check_records(records, engine.spec).violations
    assert (violation.step, violation.line) == ("LW-10", 4)
    assert "node02" in violation.observed


def test_a_daemon_pod_bound_to_its_cordoned_pinned_node_passes(engine: Engine) -> None:
    cordoned = node(
        "node01",
        unschedulable=True,
        taints=[{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}],
    )
    records = daemon_pod_bound([cordoned, node("node02")], pin="node01", to="node01")
    assert checker.check_records(records, engine.spec).violations == ()
    for record in records[2:]:
        del record["object"]["spec"]["tolerations"]
    (violation,) = checker.check_records(records, engine.spec).violations
    assert violation.step == "LW-10"  # without the daemon tolerations the cordon keeps it off
