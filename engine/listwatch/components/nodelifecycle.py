"""The controller manager's node lifecycle controller: a node whose kubelet falls silent is Unknown.

It keeps, per node, when it last saw the node's heartbeat change (its own clock, as the real
controller's probe timestamps) and runs the spec's `node-lifecycle` machine every
nodeMonitorPeriod. Not modelled: the eviction of the node's pods once their unreachable
tolerations (300s) run out, and zone-wide rate limits.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from listwatch import errors
from listwatch.apiserver import objects
from listwatch.apiserver.objects import Obj
from listwatch.client.informer import InformerEvent
from listwatch.components.base import Component
from listwatch.components.events import EventRecorder
from listwatch.machines.callbacks import action, guard


class WatchedNode:
    """A node under watch; `node_lifecycle` is its state in the spec machine."""

    __slots__ = ("heartbeat", "name", "node_lifecycle", "obj", "seen")

    def __init__(self, obj: Obj, now: float) -> None:
        self.obj = obj
        self.name = objects.name_of(obj)
        self.node_lifecycle = ""
        self.heartbeat = _heartbeat(obj)
        self.seen = now


def _heartbeat(node: Mapping[str, Any]) -> str:
    return str((objects.condition(node, "Ready") or {}).get("lastHeartbeatTime", ""))


class NodeLifecycle(Component):
    """Mixed into the controller manager: the node lifecycle controller's part."""

    recorders: dict[str, EventRecorder]

    def start_node_monitor(self) -> None:
        self.watched_nodes: dict[str, WatchedNode] = {}
        self._node_machine = self.machines["node-lifecycle"]
        self.loop.call_later(float(self.settings["nodeMonitorPeriod"]), self._monitor_nodes, daemon=True)

    @action
    def node_observed(self, event: InformerEvent) -> None:
        now = self.loop.clock.now()
        watched = self.watched_nodes.get(objects.name_of(event.object))
        if watched is None:
            watched = WatchedNode(event.object, now)
            self._node_machine.start(watched)
            self.watched_nodes[watched.name] = watched
        elif _heartbeat(event.object) != watched.heartbeat:
            watched.heartbeat = _heartbeat(event.object)
            watched.seen = now
        watched.obj = event.object

    @action
    def node_forgotten(self, event: InformerEvent) -> None:
        self.watched_nodes.pop(objects.name_of(event.object), None)

    def _monitor_nodes(self) -> None:
        for watched in list(self.watched_nodes.values()):
            self._node_machine.fire(self, watched, "monitor")
        self.loop.call_later(float(self.settings["nodeMonitorPeriod"]), self._monitor_nodes, daemon=True)

    @guard
    def heartbeat_stale(self, watched: WatchedNode) -> bool:
        return self.loop.clock.now() - watched.seen > float(self.settings["nodeMonitorGracePeriod"])

    @action
    def mark_node_unknown(self, watched: WatchedNode) -> None:
        now = self.loop.stamps.now()
        unknown = self.settings["unknownCondition"]
        conditions = [
            {**c, "status": unknown["status"], "reason": unknown["reason"], "message": unknown["message"], "lastTransitionTime": now}
            for c in (watched.obj.get("status") or {}).get("conditions") or ()
        ]
        taints = [t for t in (watched.obj.get("spec") or {}).get("taints") or () if not _unreachable(self, t)]
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
        informer = self.informers.get("pods")
        pods = informer.cache.values() if informer is not None else ()
        now = self.loop.stamps.now()
        for pod in [p for p in pods if (p.get("spec") or {}).get("nodeName") == watched.name]:
            ready = objects.condition(pod, "Ready")
            if ready is None or ready.get("status") == "False":
                continue
            with contextlib.suppress(errors.APIError):
                condition = {**ready, "status": "False", "lastTransitionTime": now}
                self.api.patch(
                    "pods",
                    objects.name_of(pod),
                    {"status": {"conditions": [condition]}},
                    namespace=objects.namespace_of(pod),
                    patch_type="strategic",
                    subresource="status",
                    actor=self.actor,
                )
                self.recorders["Node"].record(pod, "NodeNotReady")

    @action
    def lift_unreachable_taints(self, watched: WatchedNode) -> None:
        taints = [t for t in (watched.obj.get("spec") or {}).get("taints") or () if not _unreachable(self, t)]
        with contextlib.suppress(errors.APIError):
            self.api.patch("nodes", watched.name, {"spec": {"taints": taints or None}}, actor=self.actor)


def _unreachable(controller: NodeLifecycle, taint: Mapping[str, Any]) -> bool:
    return any(taint.get("key") == t["key"] and taint.get("effect") == t["effect"] for t in controller.settings["unreachableTaints"])
