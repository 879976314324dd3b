"""The scheduler: filters nodes, scores the feasible ones, binds the pod to the best.

A scheduling cycle, as kube-scheduler v1.32 runs it (`schedule_one.go`):
1. walk the nodes round-robin from where the last cycle stopped, running the spec's filters in
   order on each, until enough feasible nodes are found (adaptive percentageOfNodesToScore: at
   least 100 nodes, or all when there are fewer);
2. one feasible node is chosen at once; several are scored by the spec's score plugins and
   weights, and the highest wins (ties by reservoir sampling, seeded, so runs repeat);
3. no feasible node: a FitError whose message counts the reasons ("0/2 nodes are available: 2
   node(s) didn't match Pod's node affinity/selector. preemption: ..."), PodScheduled=False with
   reason Unschedulable, and a FailedScheduling event.
The queue (active, back-off, unschedulable) is the spec's `scheduling` machine.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable, Mapping
from typing import Any

from listwatch import errors
from listwatch.apiserver import objects, quantity
from listwatch.apiserver.objects import Obj
from listwatch.apiserver.selectors import LabelSelector, selector_from_map
from listwatch.client.informer import InformerEvent
from listwatch.clock import rfc3339
from listwatch.components.base import Component
from listwatch.components.nodeaffinity import required_affinity
from listwatch.machines.callbacks import action, guard


class NodeInfo:
    """The scheduler's view of a node: labels, taints, capacity and what its pods request."""

    __slots__ = (
        "alloc_cpu",
        "alloc_mem",
        "alloc_pods",
        "labels",
        "name",
        "nz_cpu",
        "nz_mem",
        "obj",
        "pods",
        "req_cpu",
        "req_mem",
        "taints",
        "unschedulable",
    )

    def __init__(self, obj: Obj) -> None:
        self.name = objects.name_of(obj)
        self.req_cpu = self.req_mem = self.nz_cpu = self.nz_mem = 0
        self.pods: dict[str, tuple[int, int, int, int]] = {}
        self.update(obj)

    def update(self, obj: Obj) -> None:
        self.obj = obj
        self.labels: Mapping[str, str] = objects.labels_of(obj)
        spec = obj.get("spec") or {}
        self.unschedulable = bool(spec.get("unschedulable"))
        self.taints = [t for t in spec.get("taints") or () if t.get("effect") in ("NoSchedule", "NoExecute")]
        alloc = (obj.get("status") or {}).get("allocatable") or {}
        self.alloc_cpu = quantity.milli_cpu(alloc.get("cpu", "0"))
        self.alloc_mem = quantity.bytes_(alloc.get("memory", "0"))
        self.alloc_pods = int(alloc.get("pods", "110"))


class QueuedPod:
    """A pod in the scheduling queue; `scheduling` is its state in the spec machine."""

    __slots__ = ("attempts", "change", "failed", "fit_error", "last_attempt", "node", "pod", "scheduling", "timer", "uid")

    def __init__(self, pod: Obj) -> None:
        self.pod = pod
        self.uid = objects.uid_of(pod)
        self.scheduling = ""
        self.attempts = 0
        self.last_attempt = 0.0
        self.node = ""
        self.failed: set[str] = set()
        self.fit_error = ""
        self.change: tuple[Obj | None, Obj | None] = (None, None)
        self.timer: Any = None


def pod_requests(pod: Mapping[str, Any], default_cpu: int, default_mem: int) -> tuple[int, int, int, int]:
    """(cpu, memory) requested, and the non-zero (defaulted) values the scoring counts."""
    cpu = mem = nz_cpu = nz_mem = 0
    for c in (pod.get("spec") or {}).get("containers") or ():
        requests = (c.get("resources") or {}).get("requests") or {}
        c_cpu = quantity.milli_cpu(requests["cpu"]) if "cpu" in requests else 0
        c_mem = quantity.bytes_(requests["memory"]) if "memory" in requests else 0
        cpu += c_cpu
        mem += c_mem
        nz_cpu += c_cpu or default_cpu
        nz_mem += c_mem or default_mem
    return cpu, mem, nz_cpu, nz_mem


class Scheduler(Component):
    """kube-scheduler, fed by its List-Watches of unscheduled pods, assigned pods and nodes."""

    name = "scheduler"
    event_style = "events/v1"

    def __init__(self, *, seed: int = 0, **kwargs: Any) -> None:
        super().__init__(host=kwargs.pop("host", "control-plane"), **kwargs)
        self.machine = self.machines["scheduling"]
        s = self.settings
        self.filters = [(f["plugin"], f["reason"], FILTERS[f["plugin"]]) for f in s["filters"]]
        self.scores = [(sc["plugin"], sc["weight"]) for sc in s["scores"]]
        self.default_cpu = int(s["defaultMilliCPURequest"])
        self.default_mem = int(s["defaultMemoryRequest"])
        self.nodes: dict[str, NodeInfo] = {}
        self.node_list: list[NodeInfo] = []
        self.next_start = 0
        self.pods: dict[str, QueuedPod] = {}
        self._active: list[tuple[int, int, str]] = []
        self._seq = 0
        self._cycle_scheduled = False
        self._assigned: dict[str, str] = {}
        self._random = random.Random(seed)
        loop = self.loop
        loop.call_later(float(s["unschedulableFlushSeconds"]), self._flush_leftover, daemon=True)

    # -- watch handlers ------------------------------------------------------------------------------

    @action
    def enqueue_pod(self, event: InformerEvent) -> None:
        pod = event.object
        if pod["spec"].get("schedulerName", "default-scheduler") != "default-scheduler":
            return
        if objects.uid_of(pod) in self.pods:
            return
        queued = QueuedPod(pod)
        self.machine.start(queued)
        self.pods[queued.uid] = queued
        self._push(queued)

    @action
    def update_pod(self, event: InformerEvent) -> None:
        queued = self.pods.get(objects.uid_of(event.object))
        if queued is not None:
            queued.pod = event.object

    @action
    def forget_pod(self, event: InformerEvent) -> None:
        queued = self.pods.pop(objects.uid_of(event.object), None)
        if queued is not None:
            self.machine.fire(self, queued, "forget")
            if queued.timer is not None:
                queued.timer.cancel()

    @action
    def assign_pod(self, event: InformerEvent) -> None:
        pod = event.object
        uid = objects.uid_of(pod)
        node = pod["spec"].get("nodeName", "")
        if self._assigned.get(uid) == node:
            return
        self._unassign(uid)
        info = self.nodes.get(node)
        if info is None:
            return
        requests = pod_requests(pod, self.default_cpu, self.default_mem)
        info.pods[uid] = requests
        info.req_cpu += requests[0]
        info.req_mem += requests[1]
        info.nz_cpu += requests[2]
        info.nz_mem += requests[3]
        self._assigned[uid] = node

    @action
    def unassign_pod(self, event: InformerEvent) -> None:
        self._unassign(objects.uid_of(event.object))
        self._cluster_changed(None, None, pod_deleted=True)

    def _unassign(self, uid: str) -> None:
        node = self._assigned.pop(uid, None)
        info = self.nodes.get(node) if node else None
        if info is not None and uid in info.pods:
            cpu, mem, nz_cpu, nz_mem = info.pods.pop(uid)
            info.req_cpu -= cpu
            info.req_mem -= mem
            info.nz_cpu -= nz_cpu
            info.nz_mem -= nz_mem

    @action
    def node_changed(self, event: InformerEvent) -> None:
        obj = event.object
        info = self.nodes.get(objects.name_of(obj))
        if info is None:
            info = NodeInfo(obj)
            self.nodes[info.name] = info
            self.node_list.append(info)
        else:
            info.update(obj)
        self._cluster_changed(event.old, obj)

    @action
    def node_deleted(self, event: InformerEvent) -> None:
        info = self.nodes.pop(objects.name_of(event.object), None)
        if info is not None:
            self.node_list.remove(info)

    def _cluster_changed(self, old: Obj | None, new: Obj | None, *, pod_deleted: bool = False) -> None:
        for queued in [q for q in self.pods.values() if q.scheduling == "Unschedulable"]:
            queued.change = (old, new) if not pod_deleted else (None, None)
            self.machine.fire(self, queued, "node_changed")

    def _flush_leftover(self) -> None:
        horizon = float(self.settings["podMaxInUnschedulablePodsDuration"])
        now = self.loop.clock.now()
        for queued in [q for q in self.pods.values() if q.scheduling == "Unschedulable"]:
            if now - queued.last_attempt >= horizon:
                self.machine.fire(self, queued, "flush")
        self.loop.call_later(float(self.settings["unschedulableFlushSeconds"]), self._flush_leftover, daemon=True)

    # -- the queue ----------------------------------------------------------------------------------

    def _push(self, queued: QueuedPod) -> None:
        self._seq += 1
        heapq.heappush(self._active, (-int(queued.pod["spec"].get("priority") or 0), self._seq, queued.uid))
        if not self._cycle_scheduled:
            self._cycle_scheduled = True
            self.loop.call_soon(self._schedule_next)

    def _schedule_next(self) -> None:
        """One scheduling cycle per call; the loop interleaves cycles with everything else."""
        self._cycle_scheduled = False
        while self._active:
            _, _, uid = heapq.heappop(self._active)
            queued = self.pods.get(uid)
            if queued is not None and queued.scheduling == "Queued":
                queued.attempts += 1
                queued.last_attempt = self.loop.clock.now()
                self.machine.fire(self, queued, "schedule")
                break
        if self._active and not self._cycle_scheduled:
            self._cycle_scheduled = True
            self.loop.call_soon(self._schedule_next)

    # -- the scheduling machine's callbacks ----------------------------------------------------------------

    @guard
    def node_found(self, queued: QueuedPod) -> bool:
        queued.node, queued.fit_error, queued.failed = self.find_node(queued.pod)
        self.act(
            "schedule",
            queued.pod,
            result=queued.node or "none",
            detail=f"chose {queued.node}" if queued.node else queued.fit_error,
        )
        return bool(queued.node)

    @action
    def bind_pod(self, queued: QueuedPod) -> None:
        pod = queued.pod
        namespace, name = objects.namespace_of(pod), objects.name_of(pod)
        self.pods.pop(queued.uid, None)
        try:
            self.api.bind(namespace, name, queued.node, actor=self.actor)
        except errors.APIError:
            return  # bound or deleted meanwhile: the watch tells the rest
        self.recorder.record(pod, "Scheduled", namespace=namespace, name=name, node=queued.node, action="Binding")

    @action
    def record_unschedulable(self, queued: QueuedPod) -> None:
        pod = queued.pod
        self.recorder.record(pod, "FailedScheduling", message=queued.fit_error[:1024], action="Scheduling")
        current = objects.condition(pod, "PodScheduled") or {}
        if current.get("status") == "False" and current.get("message") == queued.fit_error:
            return
        condition = {
            "type": "PodScheduled",
            "status": "False",
            "lastProbeTime": None,
            "lastTransitionTime": current.get("lastTransitionTime")
            if current.get("status") == "False"
            else rfc3339(self.loop.clock.wall()),
            "reason": "Unschedulable",
            "message": queued.fit_error,
        }
        try:
            updated = self.api.patch(
                "pods",
                objects.name_of(pod),
                {"status": {"conditions": [condition]}},
                namespace=objects.namespace_of(pod),
                patch_type="strategic",
                subresource="status",
                actor=self.actor,
            )
            queued.pod = updated
        except errors.APIError:
            pass

    @guard
    def change_may_help(self, queued: QueuedPod) -> bool:
        """Queueing hints: only a change that could lift one of the rejections requeues the pod."""
        old, new = queued.change
        if new is None:
            return "NodeResourcesFit" in queued.failed
        for plugin in queued.failed:
            hint = HINTS.get(plugin)
            if hint is None or hint(self, queued.pod, old, new):
                return True
        return False

    @action
    def back_off(self, queued: QueuedPod) -> None:
        s = self.settings
        delay = min(float(s["podInitialBackoffSeconds"]) * 2 ** max(0, queued.attempts - 1), float(s["podMaxBackoffSeconds"]))
        remaining = queued.last_attempt + delay - self.loop.clock.now()
        self.act("requeue", queued.pod, result="requeued", detail=f"a node change may help; retry in {max(0.0, remaining):g}s")
        queued.timer = self.loop.call_later(max(0.0, remaining), self.machine.fire, self, queued, "backoff_expired")

    @action
    def activate(self, queued: QueuedPod) -> None:
        queued.timer = None
        self._push(queued)

    # -- the algorithm -------------------------------------------------------------------------------

    def nodes_to_find(self, total: int) -> int:
        s = self.settings
        minimum = int(s["minFeasibleNodesToFind"])
        if total < minimum:
            return total
        percentage = int(s["percentageOfNodesToScore"])
        if percentage <= 0:
            percentage = max(50 - total // 125, int(s["minFeasibleNodesPercentageToFind"]))
        return max(total * percentage // 100, minimum)

    def find_node(self, pod: Obj) -> tuple[str, str, set[str]]:
        """(node, "", {}) for the chosen node, or ("", fit error message, failing plugins)."""
        nodes = self.node_list
        total = len(nodes)
        if total == 0:
            return "", self.settings["messages"]["noNodes"], set()
        wanted = self.nodes_to_find(total)
        requests = pod_requests(pod, self.default_cpu, self.default_mem)
        context = FilterContext(pod, requests)
        feasible: list[NodeInfo] = []
        reasons: dict[str, int] = {}
        unresolvable = 0
        failed: set[str] = set()
        filters = self.filters
        start = self.next_start
        processed = 0
        for i in range(total):
            info = nodes[(start + i) % total]
            processed += 1
            for plugin, reason, check in filters:
                problem = check(context, info)
                if problem is not None:
                    text = reason.format(**problem) if problem else reason
                    reasons[text] = reasons.get(text, 0) + 1
                    failed.add(plugin)
                    if plugin in UNRESOLVABLE:
                        unresolvable += 1
                    break
            else:
                feasible.append(info)
                if len(feasible) >= wanted:
                    break
        self.next_start = (start + processed) % total
        if not feasible:
            return "", self._fit_error(total, reasons, unresolvable), failed
        if len(feasible) == 1:
            return feasible[0].name, "", set()
        return self._select(feasible, requests), "", set()

    def _fit_error(self, total: int, reasons: Mapping[str, int], unresolvable: int) -> str:
        messages = self.settings["messages"]
        histogram = ", ".join(sorted(f"{count} {reason}" for reason, count in reasons.items()))
        text = messages["unschedulable"].format(total=total, reasons=histogram)
        if unresolvable == total:
            text += messages["preemption"].format(total=total)
        else:
            parts = []
            if unresolvable:
                parts.append(f"{unresolvable} Preemption is not helpful for scheduling")
            parts.append(f"{total - unresolvable} No preemption victims found for incoming pod")
            text += f" preemption: 0/{total} nodes are available: {', '.join(sorted(parts))}."
        return str(text)

    def _select(self, feasible: list[NodeInfo], requests: tuple[int, int, int, int]) -> str:
        best: list[NodeInfo] = []
        best_score = -1
        scores = self.scores
        for info in feasible:
            total = 0
            for plugin, weight in scores:
                total += weight * SCORES[plugin](info, requests)
            if total > best_score:
                best_score = total
                best = [info]
            elif total == best_score:
                best.append(info)
        if len(best) == 1:
            return best[0].name
        return best[self._random.randrange(len(best))].name


class FilterContext:
    __slots__ = ("affinity", "pod", "requests", "selector", "tolerations")

    def __init__(self, pod: Obj, requests: tuple[int, int, int, int]) -> None:
        spec = pod.get("spec") or {}
        self.pod = pod
        self.requests = requests
        self.selector: LabelSelector = selector_from_map(spec.get("nodeSelector"))
        self.affinity = required_affinity(spec)
        self.tolerations = spec.get("tolerations") or ()


Problem = Mapping[str, Any] | None


def _tolerates(tolerations: Any, taint: Mapping[str, Any]) -> bool:
    for t in tolerations:
        if t.get("effect") and t.get("effect") != taint.get("effect"):
            continue
        if t.get("operator") == "Exists":
            if not t.get("key") or t.get("key") == taint.get("key"):
                return True
        elif t.get("key") == taint.get("key") and t.get("value", "") == taint.get("value", ""):
            return True
    return False


def filter_unschedulable(ctx: FilterContext, info: NodeInfo) -> Problem:
    if info.unschedulable and not _tolerates(ctx.tolerations, {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}):
        return {}
    return None


def filter_node_name(ctx: FilterContext, info: NodeInfo) -> Problem:
    wanted = ctx.pod["spec"].get("nodeName")
    return {} if wanted and wanted != info.name else None


def filter_taints(ctx: FilterContext, info: NodeInfo) -> Problem:
    for taint in info.taints:
        if not _tolerates(ctx.tolerations, taint):
            return {"key": taint.get("key", ""), "value": taint.get("value", "")}
    return None


def filter_node_affinity(ctx: FilterContext, info: NodeInfo) -> Problem:
    if ctx.selector.requirements and not ctx.selector.matches(info.labels):
        return {}
    if ctx.affinity is not None and not ctx.affinity(info.labels):
        return {}
    return None


def filter_resources(ctx: FilterContext, info: NodeInfo) -> Problem:
    cpu, mem = ctx.requests[0], ctx.requests[1]
    if len(info.pods) + 1 > info.alloc_pods:
        return {"resource": "pods"}
    if cpu and info.req_cpu + cpu > info.alloc_cpu:
        return {"resource": "cpu"}
    if mem and info.req_mem + mem > info.alloc_mem:
        return {"resource": "memory"}
    return None


def score_least_allocated(info: NodeInfo, requests: tuple[int, int, int, int]) -> int:
    cpu = _least(info.nz_cpu + requests[2], info.alloc_cpu)
    mem = _least(info.nz_mem + requests[3], info.alloc_mem)
    return (cpu + mem) // 2


def _least(requested: int, capacity: int) -> int:
    if capacity == 0 or requested > capacity:
        return 0
    return (capacity - requested) * 100 // capacity


def score_balanced(info: NodeInfo, requests: tuple[int, int, int, int]) -> int:
    cpu = min(1.0, (info.req_cpu + requests[0]) / info.alloc_cpu) if info.alloc_cpu else 1.0
    mem = min(1.0, (info.req_mem + requests[1]) / info.alloc_mem) if info.alloc_mem else 1.0
    return int((1 - abs(cpu - mem) / 2) * 100)


def score_taints(info: NodeInfo, requests: tuple[int, int, int, int]) -> int:
    # Without PreferNoSchedule taints every node normalises to the maximum.
    return 100


FILTERS: dict[str, Callable[[FilterContext, NodeInfo], Problem]] = {
    "NodeUnschedulable": filter_unschedulable,
    "NodeName": filter_node_name,
    "TaintToleration": filter_taints,
    "NodeAffinity": filter_node_affinity,
    "NodeResourcesFit": filter_resources,
}
SCORES: dict[str, Callable[[NodeInfo, tuple[int, int, int, int]], int]] = {
    "TaintToleration": score_taints,
    "NodeResourcesFit": score_least_allocated,
    "NodeResourcesBalancedAllocation": score_balanced,
}
#: Plugins whose rejection preemption cannot lift (UnschedulableAndUnresolvable).
UNRESOLVABLE = frozenset({"NodeUnschedulable", "NodeName", "TaintToleration", "NodeAffinity"})


def _hint_affinity(scheduler: Scheduler, pod: Obj, old: Obj | None, new: Obj | None) -> bool:
    if new is None:
        return False
    ctx = FilterContext(pod, (0, 0, 0, 0))
    matches_now = filter_node_affinity(ctx, NodeInfo(new)) is None
    matched_before = old is not None and filter_node_affinity(ctx, NodeInfo(old)) is None
    return matches_now and not matched_before


def _hint_node_update(scheduler: Scheduler, pod: Obj, old: Obj | None, new: Obj | None) -> bool:
    return new is not None


HINTS: dict[str, Callable[[Scheduler, Obj, Obj | None, Obj | None], bool]] = {
    "NodeAffinity": _hint_affinity,
    "NodeUnschedulable": _hint_node_update,
    "TaintToleration": _hint_node_update,
    "NodeResourcesFit": _hint_node_update,
}


def plugin_names() -> dict[str, frozenset[str]]:
    """The plugin names the spec's scheduler settings may use."""
    return {"filters": frozenset(FILTERS), "scores": frozenset(SCORES)}
