"""What the checker concludes: violations, and a verdict per pod, as plain values (the checker's
public types).

A `Violation` names the object, the line on which the offending record starts, the spec step
expected, what was expected and what was observed, and the kind of rule broken (`RULES`). A
`PodVerdict` is pass (no violation, its flow ended), fail (a violation) or inconclusive (no
violation, but the trace ends mid-flow), with the observable steps the pod showed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from sys import intern
from typing import Any

from listwatch.actions import ObjectRef

PASS, FAIL, INCONCLUSIVE = "pass", "fail", "inconclusive"

#: The kinds of rule a violation breaks, as `Violation.rule` names them.
RULES = {
    "shows": "a step's facts, in the update that shows it (observable.pod.becomes and shows)",
    "order": "the flow graph: a step shown where it cannot come next",
    "keeps": "a field a step keeps (observable.pod.keeps)",
    "lasting": "a lasting fact of an earlier step (a final phase, a bound node, a terminal step's "
    "facts)",
    "forbids-event": "an Event a step forbids (observable.forbids_event)",
    "pod-phase": "the pod-phase machine: a phase no transition leads to",
    "resource-version": "a watch sends an object's changes in revision order, one state per "
    "revision",
    "deleted": "a deleted object changes no more",
    "node-affinity": "the scheduler's NodeAffinity filter (nodeSelector, required node affinity)",
    "resources": "the scheduler's NodeResourcesFit filter: requests within a node's allocatable",
    "taints": "the scheduler's TaintToleration filter: every NoSchedule/NoExecute taint of the "
    "node tolerated",
    "node-unschedulable": "the scheduler's NodeUnschedulable filter: no pod bound to a cordoned "
    "node (spec.unschedulable) unless it tolerates node.kubernetes.io/unschedulable",
    "scheduler-name": "a pod is scheduled by the scheduler its spec.schedulerName names (its "
    "Scheduled Event's reporting component)",
    "admission": "the kubelet's admission checks (NodeResourcesFit, NodeAffinity, "
    "TaintToleration of NoExecute taints)",
    "restarts": "the container machine: restartCount only grows, after a container ran and ended",
    "restart-policy": "the pod-phase machine: Succeeded means no container will restart",
    "replicas": "the replication and job controllers: no more active pods than spec.replicas "
    "(a Job: spec.parallelism)",
    "flow": "a STEP record: the step must follow the one before in the flow graph",
}


@dataclass(frozen=True, slots=True)
class Violation:
    """Where a run breaks the spec: the object, the record's first line, the step expected, what was
    seen."""

    line: int
    pod: ObjectRef
    step: str
    expected: str
    observed: str
    rule: str

    @property
    def message(self) -> str:
        return f"{self.step}: expected {self.expected}; observed {self.observed}"


@dataclass(frozen=True, slots=True)
class PodSummary:
    """How the pod was made, as far as its first observed state tells: what a scenario needs to make
    it again."""

    node_name: str = ""
    node_selector: tuple[tuple[str, str], ...] = ()
    container: str = ""
    image: str = ""
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    restart_policy: str = ""
    owner: str = ""
    created: bool = False


@dataclass(frozen=True, slots=True)
class PodVerdict:
    """A pod's verdict: pass, fail, or inconclusive (the trace ends mid-flow), with the steps it
    showed."""

    pod: ObjectRef
    verdict: str
    steps: tuple[str, ...]
    phase: str
    node: str
    note: str
    first_line: int
    last_line: int
    violations: tuple[Violation, ...] = ()
    summary: PodSummary = field(default_factory=PodSummary)


def summary_of(obj: Mapping[str, Any], *, created: bool) -> PodSummary:
    spec = obj.get("spec") or {}
    containers = spec.get("containers") or [{}]
    first = containers[0] if isinstance(containers[0], dict) else {}
    refs = (obj.get("metadata") or {}).get("ownerReferences") or ()
    owner = next(
        (
            f"{r.get('kind', '')}/{r.get('name', '')}"
            for r in refs
            if isinstance(r, dict) and r.get("controller")
        ),
        "",
    )
    # Kept for every pod of a run, and mostly words from a small set (node names, images): interned.
    return PodSummary(
        node_name=intern(str(spec.get("nodeName") or "")),
        node_selector=tuple(
            sorted(
                (intern(str(k)), intern(str(v)))
                for k, v in (spec.get("nodeSelector") or {}).items()
            )
        ),
        container=intern(str(first.get("name", ""))),
        image=intern(str(first.get("image", ""))),
        command=tuple(str(a) for a in first.get("command") or ()),
        args=tuple(str(a) for a in first.get("args") or ()),
        restart_policy=intern(str(spec.get("restartPolicy") or "")),
        owner=owner,
        created=created,
    )
