"""The controller manager's node lifecycle controller: a node whose kubelet falls silent is Unknown.

It owns the spec's `node-lifecycle` machine: each watched node runs it. It keeps, per node, when it
last saw the node's heartbeat change (its own clock, as the real controller's probe timestamps) and
runs the spec's `node-lifecycle` machine every nodeMonitorPeriod. The taint eviction controller's
part rides on the same ticks: while a node is tainted unreachable, each of its pods is deleted once
its tolerations of the NoExecute taint run out (so within nodeMonitorPeriod of the exact moment).
Not modelled: zone-wide rate limits, and NoExecute taints other than the unreachable one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any

from listwatch import errors
from listwatch.apiserver import objects
from listwatch.apiserver.api import APIServer
from listwatch.apiserver.objects import Obj
from listwatch.client.informer import InformerEvent
from listwatch.components.events import EventRecorder
from listwatch.loop import Loop
from listwatch.machines.building import Machine
from listwatch.machines.callbacks import action, guard
from listwatch.rules.taints import eviction_delay


class WatchedNode:
    """A node under watch; `node_lifecycle` is its state in the spec machine."""

    __slots__ = ("heartbeat", "name", "node_lifecycle", "obj", "pending", "seen", "unknown_since")

    def __init__(self, obj: Obj, now: float) -> None:
        self.obj = obj
        self.name = objects.name_of(obj)
        self.node_lifecycle = ""
        self.heartbeat = _heartbeat(obj)
        self.seen = now
        self.unknown_since = now
        #: The pods ("namespace/name") whose eviction is due once their tolerations run out.
        self.pending: dict[str, Obj] = {}


def _heartbeat(node: Mapping[str, Any]) -> str:
    return str((objects.condition(node, "Ready") or {}).get("lastHeartbeatTime", ""))


class NodeLifecycle:
    """Watches every node's heartbeat; marks a silent node Unknown, taints it and evicts its
    pods."""

    def __init__(
        self,
        *,
        api: APIServer,
        loop: Loop,
        actor: str,
        settings: Mapping[str, Any],
        machine: Machine,
        recorders: Mapping[str, EventRecorder],
        pods_on: Callable[[str], list[Obj]],
        set_pod_condition: Callable[[Mapping[str, Any], Mapping[str, Any]], Obj],
    ) -> None:
        self.api = api
        self.loop = loop
        self.actor = actor
        self.settings = settings
        self.machine = machine
        #: Event recorders by source kind (`Node`, `TaintEviction`).
        self.recorders = recorders
        #: The pods bound to a node, as the controller manager's pod watch shows them.
        self.pods_on = pods_on
        self.set_pod_condition = set_pod_condition
        self.watched_nodes: dict[str, WatchedNode] = {}

    def start(self) -> None:
        """Monitor the watched nodes every nodeMonitorPeriod."""
        self.loop.call_later(
            float(self.settings["nodeMonitorPeriod"]), self._monitor_nodes, daemon=True
        )

    # -- events from the controller manager's node watch -------------------------------------------

    def node_observed(self, event: InformerEvent) -> None:
        now = self.loop.clock.now()
        watched = self.watched_nodes.get(objects.name_of(event.object))
        if watched is None:
            watched = WatchedNode(event.object, now)
            self.machine.start(watched)
            self.watched_nodes[watched.name] = watched
        elif _heartbeat(event.object) != watched.heartbeat:
            watched.heartbeat = _heartbeat(event.object)
            watched.seen = now
        watched.obj = event.object

    def node_forgotten(self, event: InformerEvent) -> None:
        self.watched_nodes.pop(objects.name_of(event.object), None)

    def _monitor_nodes(self) -> None:
        for watched in list(self.watched_nodes.values()):
            self.machine.fire(self, watched, "monitor")
        self.loop.call_later(
            float(self.settings["nodeMonitorPeriod"]), self._monitor_nodes, daemon=True
        )

    # -- the node-lifecycle machine's callbacks ----------------------------------------------------

    @guard
    def heartbeat_stale(self, watched: WatchedNode) -> bool:
        return self.loop.clock.now() - watched.seen > float(self.settings["nodeMonitorGracePeriod"])

    @action
    def mark_node_unknown(self, watched: WatchedNode) -> None:
        now = self.loop.stamps.now()
        watched.unknown_since = self.loop.clock.now()
        unknown = self.settings["unknownCondition"]
        conditions = [
            {
                **c,
                "status": unknown["status"],
                "reason": unknown["reason"],
                "message": unknown["message"],
                "lastTransitionTime": now,
            }
            for c in (watched.obj.get("status") or {}).get("conditions") or ()
        ]
        taints = [
            t
            for t in (watched.obj.get("spec") or {}).get("taints") or ()
            if not _unreachable(self.settings, t)
        ]
        taints += [{**t, "timeAdded": now} for t in self.settings["unreachableTaints"]]
        with contextlib.suppress(errors.APIError):
            self.api.patch(
                "nodes",
                watched.name,
                {"status": {"conditions": conditions}},
                patch_type="strategic",
                subresource="status",
                actor=self.actor,
            )
            self.api.patch("nodes", watched.name, {"spec": {"taints": taints}}, actor=self.actor)

    @action
    def mark_pods_not_ready(self, watched: WatchedNode) -> None:
        now = self.loop.stamps.now()
        for pod in self.pods_on(watched.name):
            ready = objects.condition(pod, "Ready")
            if ready is None or ready.get("status") == "False":
                continue
            with contextlib.suppress(errors.APIError):
                self.set_pod_condition(pod, {**ready, "status": "False", "lastTransitionTime": now})
                self.recorders["Node"].record(pod, "NodeNotReady")

    @action
    def evict_pods_past_their_tolerations(self, watched: WatchedNode) -> None:
        """Delete each pod of the node whose tolerations of its NoExecute taints have run out,
        marking it DisruptionTarget first; keep the others pending."""
        taints = [t for t in self.settings["unreachableTaints"] if t["effect"] == "NoExecute"]
        elapsed = self.loop.clock.now() - watched.unknown_since
        for pod in self.pods_on(watched.name):
            if objects.meta(pod).get("deletionTimestamp"):
                continue
            key = f"{objects.namespace_of(pod)}/{objects.name_of(pod)}"
            delay = eviction_delay((pod.get("spec") or {}).get("tolerations") or (), taints)
            if delay is None:
                continue
            if elapsed < delay:
                watched.pending[key] = _reference(pod)
                continue
            watched.pending.pop(key, None)
            self.recorders["TaintEviction"].record(_reference(pod), "TaintManagerEviction", pod=key)
            condition = {
                **self.settings["evictionCondition"],
                "lastTransitionTime": self.loop.stamps.now(),
            }
            with contextlib.suppress(errors.APIError):
                self.set_pod_condition(pod, condition)
                self.api.delete(
                    "pods",
                    objects.name_of(pod),
                    namespace=objects.namespace_of(pod),
                    actor=self.actor,
                )

    @action
    def cancel_evictions(self, watched: WatchedNode) -> None:
        for key, pod in sorted(watched.pending.items()):
            self.recorders["TaintEviction"].record(pod, "TaintManagerEvictionCancelled", pod=key)
        watched.pending.clear()

    @action
    def lift_unreachable_taints(self, watched: WatchedNode) -> None:
        taints = [
            t
            for t in (watched.obj.get("spec") or {}).get("taints") or ()
            if not _unreachable(self.settings, t)
        ]
        with contextlib.suppress(errors.APIError):
            self.api.patch(
                "nodes", watched.name, {"spec": {"taints": taints or None}}, actor=self.actor
            )


def _reference(pod: Mapping[str, Any]) -> Obj:
    """The pod as the taint eviction controller's events name it: kind, namespace and name, no
    UID."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": objects.name_of(pod), "namespace": objects.namespace_of(pod)},
    }


def _unreachable(settings: Mapping[str, Any], taint: Mapping[str, Any]) -> bool:
    return any(
        taint.get("key") == t["key"] and taint.get("effect") == t["effect"]
        for t in settings["unreachableTaints"]
    )
