"""The scheduler component: its watches, its queue, and the spec's `scheduling` machine.

Each pod without a node waits in the active queue; a scheduling cycle takes one at a time and
asks the placement (`placement.py`) for a node. Found: the pod is assumed on the node (counted
against it at once, as kube-scheduler's cache assumes it), bound with one pods/binding write, and
a Scheduled event is recorded. Not found: the PostFilter
(`preemption.py`) looks for a node where evicting pods of lower priority makes room; if there is
one, those victims are marked DisruptionTarget and deleted and the pod is nominated to the node
(status.nominatedNodeName). Either way PodScheduled=False with reason Unschedulable and the
FitError message ("0/2 nodes are available: ...", with "preemption: ..." when preemption found
nothing), and a FailedScheduling event; the pod waits until a change that may help (queueing
hints: a node changed, a pod gone) or the periodic flush sends it back through the back-off
queue.
"""

from __future__ import annotations

import contextlib
import heapq
import json
from collections.abc import Callable
from typing import Any

from listwatch import errors
from listwatch.apiserver import objects
from listwatch.apiserver.objects import Obj
from listwatch.client.informer import InformerEvent
from listwatch.components.base import Component
from listwatch.components.scheduler import explain
from listwatch.components.scheduler.nodeinfo import pod_requests
from listwatch.components.scheduler.placement import Placement
from listwatch.components.scheduler.plugins import HINTS
from listwatch.components.scheduler.preemption import Outcome, Preemption
from listwatch.machines.callbacks import action, guard


class QueuedPod:
    """A pod in the scheduling queue; `scheduling` is its state in the spec machine."""

    __slots__ = (
        "attempts",
        "change",
        "error",
        "explanation",
        "failed",
        "fit_error",
        "last_attempt",
        "node",
        "outcome",
        "pod",
        "scheduling",
        "timer",
        "uid",
    )

    def __init__(self, pod: Obj) -> None:
        self.pod = pod
        self.uid = objects.uid_of(pod)
        self.scheduling = ""
        self.attempts = 0
        self.last_attempt = 0.0
        self.node = ""
        self.failed: set[str] = set()
        self.fit_error = ""
        #: Whether the last attempt ended in an error other than "no node fits".
        self.error = False
        self.change: tuple[Obj | None, Obj | None] = (None, None)
        self.timer: Any = None
        #: What the last attempt's PostFilter (preemption) decided.
        self.outcome: Outcome | None = None
        #: The last attempt's explanation (`explain.py`), when anyone asked for it.
        self.explanation: explain.Record | None = None


class Scheduler(Component):
    """kube-scheduler, fed by its List-Watches of unscheduled pods, assigned pods and nodes."""

    name = "scheduler"

    def __init__(self, *, seed: int = 0, **kwargs: Any) -> None:
        super().__init__(host=kwargs.pop("host", "control-plane"), **kwargs)
        self.machine = self.machines["scheduling"]
        s = self.settings
        self.placement = Placement(s, seed=seed)
        self.default_cpu = int(s["defaultMilliCPURequest"])
        self.default_mem = int(s["defaultMemoryRequest"])
        self.pods: dict[str, QueuedPod] = {}
        self._active: list[tuple[int, int, str]] = []
        self._seq = 0
        self._cycle_scheduled = False
        self._assigned: dict[str, str] = {}
        #: The pods counted on each node (by node, then UID), for preemption to choose from.
        self._on_node: dict[str, dict[str, Obj]] = {}
        #: PodDisruptionBudgets by namespace/name, as the budget watch shows them.
        self.budgets: dict[str, Obj] = {}
        self.preemption = Preemption(
            filters=self.placement.filters,
            messages=s["messages"],
            requests_of=lambda pod: pod_requests(pod, self.default_cpu, self.default_mem),
        )
        #: Who gets each attempt's explanation (`explain.py`); none, and none is computed.
        self.explain_listeners: list[Callable[[explain.Record], None]] = []
        #: Whether each pod scheduled (or not) gets its explanation as an annotation (serve
        #: --explain), patched before the binding or the PodScheduled=False condition.
        self.annotate_explanations = False
        loop = self.loop
        loop.call_later(float(s["unschedulableFlushSeconds"]), self._flush_leftover, daemon=True)

    # -- watch handlers ----------------------------------------------------------------------------

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
        self._assume(event.object)

    def _assume(self, pod: Obj) -> None:
        """Count a pod against its node: when its binding is decided (assumed), or seen bound."""
        uid = objects.uid_of(pod)
        node = pod["spec"].get("nodeName", "")
        if self._assigned.get(uid) == node:
            self._on_node[node][uid] = pod
            return
        self._unassign(uid)
        info = self.placement.by_name.get(node)
        if info is None:
            return
        info.add_pod(uid, pod_requests(pod, self.default_cpu, self.default_mem))
        self._assigned[uid] = node
        self._on_node.setdefault(node, {})[uid] = pod
        self.placement.pod_count_changed(info)

    @action
    def unassign_pod(self, event: InformerEvent) -> None:
        self._unassign(objects.uid_of(event.object))
        self._cluster_changed(None, None, pod_deleted=True)

    def _unassign(self, uid: str) -> None:
        node = self._assigned.pop(uid, None)
        if node:
            self._on_node.get(node, {}).pop(uid, None)
        info = self.placement.by_name.get(node) if node else None
        if info is not None and info.remove_pod(uid):
            self.placement.pod_count_changed(info)

    @action
    def budget_seen(self, event: InformerEvent) -> None:
        obj = event.object
        self.budgets[f"{objects.namespace_of(obj)}/{objects.name_of(obj)}"] = obj

    @action
    def budget_gone(self, event: InformerEvent) -> None:
        obj = event.object
        self.budgets.pop(f"{objects.namespace_of(obj)}/{objects.name_of(obj)}", None)

    @action
    def node_changed(self, event: InformerEvent) -> None:
        self.placement.add_or_update(event.object)
        self._cluster_changed(event.old, event.object)

    @action
    def node_deleted(self, event: InformerEvent) -> None:
        self.placement.remove(objects.name_of(event.object))

    def _cluster_changed(
        self, old: Obj | None, new: Obj | None, *, pod_deleted: bool = False
    ) -> None:
        for queued in [q for q in self.pods.values() if q.scheduling == "Unschedulable"]:
            queued.change = (old, new) if not pod_deleted else (None, None)
            self.machine.fire(self, queued, "node_changed")

    def _flush_leftover(self) -> None:
        horizon = float(self.settings["podMaxInUnschedulablePodsDuration"])
        now = self.loop.clock.now()
        for queued in [q for q in self.pods.values() if q.scheduling == "Unschedulable"]:
            if now - queued.last_attempt >= horizon:
                self.machine.fire(self, queued, "flush")
        self.loop.call_later(
            float(self.settings["unschedulableFlushSeconds"]), self._flush_leftover, daemon=True
        )

    # -- the queue ---------------------------------------------------------------------------------

    def _push(self, queued: QueuedPod) -> None:
        self._seq += 1
        heapq.heappush(
            self._active, (-int(queued.pod["spec"].get("priority") or 0), self._seq, queued.uid)
        )
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

    # -- the scheduling machine's callbacks --------------------------------------------------------

    @guard
    def node_found(self, queued: QueuedPod) -> bool:
        queued.error = False
        queued.explanation = None
        try:
            requests = pod_requests(queued.pod, self.default_cpu, self.default_mem)
            if self.explain_listeners or self.annotate_explanations:
                queued.explanation = explain.explain(
                    self.placement,
                    queued.pod,
                    requests,
                    attempt=queued.attempts,
                    time=self.loop.clock.now(),
                )
            chosen = self.placement.choose(queued.pod, requests)
        except Exception as exc:  # not a misfit: an error (kube-scheduler's SchedulerError)
            if self.failures is None:
                raise
            self.failures.handled(
                key=f"schedule {queued.uid}", event="schedule", obj=queued.pod, exc=exc
            )
            chosen = ("", str(exc), set())
            queued.error = True
        queued.node, queued.fit_error, queued.failed = chosen
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
        self._assume({**pod, "spec": {**pod["spec"], "nodeName": queued.node}})
        self._explained(queued)
        try:
            self.api.bind(namespace, name, queued.node, actor=self.actor)
        except errors.APIError:
            self._unassign(queued.uid)
            return  # bound or deleted meanwhile: the watch tells the rest
        self.recorder.record(
            pod, "Scheduled", namespace=namespace, name=name, node=queued.node, action="Binding"
        )

    @guard
    def preemption_helps(self, queued: QueuedPod) -> bool:
        """DefaultPreemption: a node where evicting pods of lower priority makes room. When there
        is none, the FitError gets its "preemption: ..." part."""
        queued.outcome = None
        if queued.error or not self.placement.nodes:
            return False  # an error, or no nodes at all, is not a FitError: no PostFilter runs
        requests = pod_requests(queued.pod, self.default_cpu, self.default_mem)
        outcome = self.preemption.post_filter(
            queued.pod,
            requests,
            self.placement.nodes,
            lambda node: self._on_node.get(node, {}),
            self.budgets.values(),
        )
        queued.outcome = outcome
        if outcome.message:
            postfix = str(self.settings["messages"]["preemption"]).format(message=outcome.message)
            queued.fit_error = f"{queued.fit_error} {postfix}"
        if outcome.candidate is None:
            return False
        self.act(
            "preempt",
            queued.pod,
            result=outcome.candidate.node,
            detail=f"preempting {len(outcome.candidate.victims)} pod(s) on "
            f"{outcome.candidate.node}",
        )
        return True

    @action
    def preempt_victims(self, queued: QueuedPod) -> None:
        """Each victim gets the DisruptionTarget condition, is deleted, and gets a Preempted
        event (prepareCandidate)."""
        assert queued.outcome is not None and queued.outcome.candidate is not None
        node = queued.outcome.candidate.node
        template = dict(self.settings["preemptionCondition"])
        scheduler = queued.pod["spec"].get("schedulerName", "default-scheduler")
        condition = {
            **template,
            "message": str(template["message"]).format(scheduler=scheduler),
            "lastProbeTime": None,
            "lastTransitionTime": self.loop.stamps.now(),
        }
        for victim in queued.outcome.candidate.victims:
            current = objects.condition(victim, "DisruptionTarget") or {}
            try:
                if any(current.get(k) != condition[k] for k in ("status", "reason", "message")):
                    self.set_pod_condition(victim, condition)
                self.api.delete(
                    "pods",
                    objects.name_of(victim),
                    namespace=objects.namespace_of(victim),
                    actor=self.actor,
                )
            except errors.APIError:
                pass  # gone already (or refused): the next attempt sees what became of it
            self.recorder.record(
                victim, "Preempted", uid=queued.uid, node=node, action="Preempting"
            )

    def _explained(self, queued: QueuedPod) -> None:
        """Hand the attempt's explanation to its listeners and, with annotations on, write it on
        the pod (a metadata patch, as a scheduler extension would)."""
        record = queued.explanation
        if record is None:
            return
        queued.explanation = None
        for listener in self.explain_listeners:
            listener(record)
        if not self.annotate_explanations:
            return
        text = json.dumps(record, separators=(",", ":"))
        with contextlib.suppress(errors.APIError):  # deleted meanwhile: the watch tells the rest
            queued.pod = self.api.patch(
                "pods",
                objects.name_of(queued.pod),
                {"metadata": {"annotations": {explain.ANNOTATION: text}}},
                namespace=objects.namespace_of(queued.pod),
                actor=self.actor,
            )

    @action
    def record_unschedulable(self, queued: QueuedPod) -> None:
        if queued.explanation is not None:
            explain.failed(queued.explanation, queued.fit_error, error=queued.error)
            self._explained(queued)
        pod = queued.pod
        self.recorder.record(
            pod, "FailedScheduling", message=queued.fit_error[:1024], action="Scheduling"
        )
        current = objects.condition(pod, "PodScheduled") or {}
        nominate = queued.outcome.nominate if queued.outcome is not None else None
        if nominate is not None and nominate == (pod.get("status") or {}).get(
            "nominatedNodeName", ""
        ):
            nominate = None
        if (
            current.get("status") == "False"
            and current.get("message") == queued.fit_error
            and nominate is None
        ):
            return
        condition = {
            "type": "PodScheduled",
            "status": "False",
            "lastProbeTime": None,
            "lastTransitionTime": current.get("lastTransitionTime")
            if current.get("status") == "False"
            else self.loop.stamps.now(),
            "reason": "SchedulerError" if queued.error else "Unschedulable",
            "message": queued.fit_error,
        }
        try:
            if nominate is None:
                updated = self.set_pod_condition(pod, condition)
            else:  # the nomination goes in the same status patch (updatePod)
                updated = self.api.patch(
                    "pods",
                    objects.name_of(pod),
                    {"status": {"conditions": [condition], "nominatedNodeName": nominate or None}},
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
        if queued.error:
            return True  # an error, not a misfit: any change may help
        old, new = queued.change
        if new is None:
            return "NodeResourcesFit" in queued.failed
        for plugin in queued.failed:
            hint = HINTS.get(plugin)
            if hint is None or hint(queued.pod, old, new):
                return True
        return False

    @action
    def back_off(self, queued: QueuedPod) -> None:
        s = self.settings
        # Doubled per attempt up to the maximum, as kube-scheduler's calculateBackoffDuration; the
        # exponent is bounded so that a pod unschedulable for hours cannot overflow it.
        delay = min(
            float(s["podInitialBackoffSeconds"]) * 2.0 ** min(max(0, queued.attempts - 1), 64),
            float(s["podMaxBackoffSeconds"]),
        )
        remaining = queued.last_attempt + delay - self.loop.clock.now()
        self.act(
            "requeue",
            queued.pod,
            result="requeued",
            detail=f"a node change may help; retry in {max(0.0, remaining):g}s",
        )
        queued.timer = self.loop.call_later(
            max(0.0, remaining), self.machine.fire, self, queued, "backoff_expired"
        )

    @action
    def activate(self, queued: QueuedPod) -> None:
        queued.timer = None
        self._push(queued)
