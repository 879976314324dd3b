"""The scheduling framework's filter and score plugins the spec may name, and their queueing hints.

A filter returns None when the node passes, or the values its reason (from the spec) needs; a
score returns 0..100 for a node. Kubernetes v1.32 semantics (pkg/scheduler/framework/plugins).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from listwatch.apiserver.objects import Obj
from listwatch.components.scheduler.nodeinfo import NodeInfo, Requests
from listwatch.rules import affinity, resources, taints


class FilterContext:
    __slots__ = ("amounts", "node_fit", "pod", "requests", "tolerations")

    def __init__(self, pod: Obj, requests: Requests) -> None:
        spec = pod.get("spec") or {}
        self.pod = pod
        self.requests = requests
        self.amounts = {resources.CPU: requests[0], resources.MEMORY: requests[1]}
        self.node_fit = affinity.node_fit(spec)
        self.tolerations = spec.get("tolerations") or ()


Problem = Mapping[str, Any] | None
#: framework.MaxNodeScore: a normalized score is 0..100.
MAX_NODE_SCORE = 100


def filter_unschedulable(ctx: FilterContext, info: NodeInfo) -> Problem:
    if info.unschedulable and not taints.tolerates(
        ctx.tolerations, {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}
    ):
        return {}
    return None


def filter_node_name(ctx: FilterContext, info: NodeInfo) -> Problem:
    wanted = ctx.pod["spec"].get("nodeName")
    return {} if wanted and wanted != info.name else None


def filter_taints(ctx: FilterContext, info: NodeInfo) -> Problem:
    taint = taints.first_untolerated(info.taints, ctx.tolerations)
    if taint is None:
        return None
    return {"key": taint.get("key", ""), "value": taint.get("value", "")}


def filter_node_affinity(ctx: FilterContext, info: NodeInfo) -> Problem:
    if ctx.node_fit.constrained and not ctx.node_fit.matches(info.labels, info.name):
        return {}
    return None


def filter_resources(ctx: FilterContext, info: NodeInfo) -> Problem:
    lacking = resources.fit(ctx.amounts, info.allocatable, info.requested)
    return {"resource": lacking[0].resource} if lacking else None


def score_least_allocated(info: NodeInfo, requests: Requests) -> int:
    cpu = _least(info.nz_cpu + requests[2], info.alloc_cpu)
    mem = _least(info.nz_mem + requests[3], info.alloc_mem)
    return (cpu + mem) // 2


def _least(requested: int, capacity: int) -> int:
    if capacity == 0 or requested > capacity:
        return 0
    return (capacity - requested) * 100 // capacity


def score_balanced(info: NodeInfo, requests: Requests) -> int:
    cpu = min(1.0, (info.req_cpu + requests[0]) / info.alloc_cpu) if info.alloc_cpu else 1.0
    mem = min(1.0, (info.req_mem + requests[1]) / info.alloc_mem) if info.alloc_mem else 1.0
    return int((1 - abs(cpu - mem) / 2) * 100)


def score_taints(info: NodeInfo, requests: Requests) -> int:
    # Without PreferNoSchedule taints every node normalises to the maximum.
    return 100


def raw_taints(info: NodeInfo, requests: Requests) -> int:
    """TaintToleration's raw score: the node's untolerated PreferNoSchedule taints, of which the
    node cache keeps none (it keeps NoSchedule and NoExecute only)."""
    return 0


def normalize_reverse(scores: Sequence[int]) -> list[int]:
    """DefaultNormalizeScore reversed (TaintToleration): the fewest untolerated taints score 100;
    all 0 (no such taint anywhere) all score 100."""
    top = max(scores, default=0)
    if top == 0:
        return [MAX_NODE_SCORE] * len(scores)
    return [MAX_NODE_SCORE - s * MAX_NODE_SCORE // top for s in scores]


FILTERS: dict[str, Callable[[FilterContext, NodeInfo], Problem]] = {
    "NodeUnschedulable": filter_unschedulable,
    "NodeName": filter_node_name,
    "TaintToleration": filter_taints,
    "NodeAffinity": filter_node_affinity,
    "NodeResourcesFit": filter_resources,
}
SCORES: dict[str, Callable[[NodeInfo, Requests], int]] = {
    "TaintToleration": score_taints,
    "NodeResourcesFit": score_least_allocated,
    "NodeResourcesBalancedAllocation": score_balanced,
}
#: The raw score of the plugins whose score in SCORES is already normalized, and how each
#: normalizes over the feasible nodes (NormalizeScore); the others' raw score is their score.
RAW_SCORES: dict[str, Callable[[NodeInfo, Requests], int]] = {"TaintToleration": raw_taints}
NORMALIZE: dict[str, Callable[[Sequence[int]], list[int]]] = {"TaintToleration": normalize_reverse}
#: Plugins whose rejection preemption cannot lift (UnschedulableAndUnresolvable).
UNRESOLVABLE = frozenset({"NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity"})


def _hint_affinity(pod: Obj, old: Obj | None, new: Obj | None) -> bool:
    if new is None:
        return False
    ctx = FilterContext(pod, (0, 0, 0, 0))
    matches_now = filter_node_affinity(ctx, NodeInfo(new)) is None
    matched_before = old is not None and filter_node_affinity(ctx, NodeInfo(old)) is None
    return matches_now and not matched_before


def _hint_node_update(pod: Obj, old: Obj | None, new: Obj | None) -> bool:
    return new is not None


#: Queueing hints: may this node change make a pod that this plugin rejected schedulable?
HINTS: dict[str, Callable[[Obj, Obj | None, Obj | None], bool]] = {
    "NodeAffinity": _hint_affinity,
    "NodeUnschedulable": _hint_node_update,
    "TaintToleration": _hint_node_update,
    "NodeResourcesFit": _hint_node_update,
}
