"""The controller manager's replication controller (ReplicationController and ReplicaSet alike).

It owns the spec's `replication` machine: each controller object (a `Controlled`) runs it. A sync
counts the active pods the controller owns and creates or deletes the difference, through the API
like any client (the tutorial's step 6). Expectations make it safe under lost watches and
re-lists: after creating n pods it waits until its watch has shown it n new pods before it acts
again, so no pod is ever created twice for one missing replica. A controller being deleted
(deletionTimestamp set, its finalizers pending) creates and deletes nothing more; its pods are the
garbage collector's (`garbagecollector`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

from listwatch import errors
from listwatch.apiserver import objects
from listwatch.apiserver.api import APIServer
from listwatch.apiserver.objects import Obj
from listwatch.client.informer import InformerEvent
from listwatch.clock import parse_rfc3339
from listwatch.components.base import Acts
from listwatch.components.events import EventRecorder
from listwatch.components.failures import Failures
from listwatch.components.workqueue import Tracked, WorkQueue
from listwatch.loop import Loop
from listwatch.machines.building import Machine
from listwatch.machines.callbacks import action, guard

RESOURCE_OF = {"ReplicationController": "replicationcontrollers", "ReplicaSet": "replicasets"}


class Controlled(Tracked):
    """A ReplicationController or ReplicaSet under reconciliation; `replication` is its machine
    state."""

    __slots__ = ("pending_adds", "pending_deletes", "replicas_seen", "replication", "result")

    def __init__(self, obj: Obj) -> None:
        super().__init__(obj)
        self.replication = ""
        self.pending_adds = 0
        self.pending_deletes: set[str] = set()
        self.replicas_seen: int | None = None
        self.result = ""


def is_active(pod: Mapping[str, Any]) -> bool:
    """Counted as a replica: not being deleted, not Succeeded, not Failed."""
    return not objects.meta(pod).get("deletionTimestamp") and (pod.get("status") or {}).get(
        "phase"
    ) not in ("Succeeded", "Failed")


class Replication:
    """Reconciles every ReplicationController and ReplicaSet with the pods it owns."""

    def __init__(
        self,
        *,
        api: APIServer,
        loop: Loop,
        actor: str,
        act: Acts,
        machine: Machine,
        recorders: Mapping[str, EventRecorder],
        burst: int,
        kinds: frozenset[str] = frozenset({"ReplicationController", "ReplicaSet"}),
        failures: Failures | None = None,
    ) -> None:
        """`kinds` are the kinds of controller it reconciles (one whose controller is turned off is
        left to another program). With `failures`, a sync that raises is recorded there and
        retried with back-off (as the replication manager's work queue re-adds a key whose sync
        failed, rate limited)."""
        self.api = api
        self.failures = failures
        self.loop = loop
        self.actor = actor
        self.act = act
        self.machine = machine
        #: One event recorder per kind of controller (their events' source differs).
        self.recorders = recorders
        #: At most this many pods created or deleted per sync (kube-controller-manager's
        #: burstReplicas); the rest come in later syncs, as the pods made are observed.
        self.burst = burst
        self.kinds = kinds
        self.controllers: WorkQueue[Controlled] = WorkQueue(loop, self._sync, failures)
        #: The pods each controller (by UID) owns, by pod UID, as the pod watch last showed them.
        self.owned: dict[str, dict[str, Obj]] = {}

    # -- events from the controller manager's watches ----------------------------------------------

    def controller_changed(self, event: InformerEvent) -> None:
        obj = event.object
        if obj.get("kind") not in self.kinds:
            return
        self.controllers.changed(obj, self._track)

    def _track(self, obj: Obj) -> Controlled:
        controlled = Controlled(obj)
        self.machine.start(controlled)
        self.owned.setdefault(controlled.uid, {})
        return controlled

    def controller_deleted(self, event: InformerEvent) -> None:
        controlled = self.controllers.deleted(event.object)
        if controlled is not None:
            self.machine.fire(self, controlled, "delete")

    def pod_added(self, event: InformerEvent) -> None:
        pod = event.object
        ref = objects.controller_of(pod)
        if ref is None:
            self.act(
                "reconcile",
                pod,
                result="no-controller",
                detail="no ReplicationController or ReplicaSet owns this pod: nothing to do",
            )
            return
        owner = ref.get("uid", "")
        self.owned.setdefault(owner, {})[objects.uid_of(pod)] = pod
        controlled = self.controllers.get(owner)
        if controlled is not None:
            if controlled.pending_adds > 0:
                controlled.pending_adds -= 1
            self.controllers.enqueue(controlled)

    def pod_updated(self, event: InformerEvent) -> None:
        pod = event.object
        ref = objects.controller_of(pod)
        if ref is None:
            return
        owner = ref.get("uid", "")
        pods = self.owned.setdefault(owner, {})
        before = pods.get(objects.uid_of(pod))
        pods[objects.uid_of(pod)] = pod
        controlled = self.controllers.get(owner)
        if controlled is not None and (
            before is None or is_active(before) != is_active(pod) or _ready(before) != _ready(pod)
        ):
            self.controllers.enqueue(controlled)

    def pod_deleted(self, event: InformerEvent) -> None:
        pod = event.object
        ref = objects.controller_of(pod)
        if ref is None:
            return
        owner = ref.get("uid", "")
        uid = objects.uid_of(pod)
        self.owned.get(owner, {}).pop(uid, None)
        controlled = self.controllers.get(owner)
        if controlled is not None:
            controlled.pending_deletes.discard(uid)
            self.controllers.enqueue(controlled)

    def _sync(self, controlled: Controlled) -> None:
        self.machine.fire(self, controlled, "sync")

    # -- the replication machine's callbacks -------------------------------------------------------

    def _active(self, controlled: Controlled) -> list[Obj]:
        pods = self.owned.get(controlled.uid, {}).values()
        return [p for p in pods if is_active(p)]

    def _wanted(self, controlled: Controlled) -> int:
        return int((controlled.obj.get("spec") or {}).get("replicas", 1))

    @guard
    def expectations_satisfied(self, controlled: Controlled) -> bool:
        return controlled.pending_adds <= 0 and not controlled.pending_deletes

    @guard
    def too_few_replicas(self, controlled: Controlled) -> bool:
        if _being_deleted(controlled.obj):  # manageReplicas is skipped for one being deleted
            return False
        return len(self._active(controlled)) < self._wanted(controlled)

    @guard
    def too_many_replicas(self, controlled: Controlled) -> bool:
        if _being_deleted(controlled.obj):
            return False
        return len(self._active(controlled)) > self._wanted(controlled)

    @action
    def create_replicas(self, controlled: Controlled) -> None:
        obj = controlled.obj
        wanted = self._wanted(controlled)
        have = len(self._active(controlled))
        missing = min(wanted - have, self.burst)
        result = self._result(controlled, wanted)
        self.act(
            "reconcile",
            obj,
            result=result,
            detail=f"{objects.name_of(obj)} wants {wanted} replicas, has {have}: create {missing}",
        )
        controlled.pending_adds = missing
        for _ in range(missing):
            try:
                pod = self.api.create(
                    "pods",
                    self._pod_for(obj),
                    namespace=objects.namespace_of(obj),
                    actor=self.actor,
                )
            except errors.APIError as exc:
                controlled.pending_adds -= 1
                self.recorders[obj["kind"]].emit(
                    obj, "Warning", "FailedCreate", f"Error creating: {exc}"
                )
                continue
            self.recorders[obj["kind"]].record(obj, "SuccessfulCreate", pod=objects.name_of(pod))

    @action
    def delete_replicas(self, controlled: Controlled) -> None:
        obj = controlled.obj
        wanted = self._wanted(controlled)
        active = self._active(controlled)
        surplus = min(len(active) - wanted, self.burst)
        self.act(
            "reconcile",
            obj,
            result=self._result(controlled, wanted),
            detail=f"{objects.name_of(obj)} wants {wanted} replicas, has {len(active)}: delete "
            f"{surplus}",
        )
        # Kubernetes deletes the least valuable first: unscheduled, then pending, then not ready,
        # then newest.
        for pod in sorted(active, key=_deletion_rank)[:surplus]:
            uid = objects.uid_of(pod)
            controlled.pending_deletes.add(uid)
            try:
                self.api.delete(
                    "pods",
                    objects.name_of(pod),
                    namespace=objects.namespace_of(pod),
                    actor=self.actor,
                )
            except errors.NotFound:
                controlled.pending_deletes.discard(uid)
                continue
            self.recorders[obj["kind"]].record(obj, "SuccessfulDelete", pod=objects.name_of(pod))

    def _result(self, controlled: Controlled, wanted: int) -> str:
        seen, controlled.replicas_seen = controlled.replicas_seen, wanted
        if seen is None:
            return "created"
        return "scaled" if seen != wanted else "replaced"

    @action
    def update_status(self, controlled: Controlled) -> None:
        obj = controlled.obj
        if controlled.replicas_seen is None:
            controlled.replicas_seen = self._wanted(controlled)
        pods = self._active(controlled)
        ready = sum(1 for p in pods if _ready(p))
        min_ready = int((obj.get("spec") or {}).get("minReadySeconds") or 0)
        available = sum(1 for p in pods if self._available(p, min_ready))
        if available < ready:  # look again once they have been Ready for minReadySeconds
            self.loop.call_later(min_ready, self.controllers.enqueue, controlled)
        status = {
            "replicas": len(pods),
            "fullyLabeledReplicas": len(pods),
            "readyReplicas": ready,
            "availableReplicas": available,
            "observedGeneration": objects.meta(obj).get("generation", 1),
        }
        status = {k: v for k, v in status.items() if v or k in ("replicas", "observedGeneration")}
        if obj.get("status") == status:
            return
        resource = RESOURCE_OF[obj["kind"]]
        with contextlib.suppress(errors.APIError):
            controlled.obj = self.api.update_status(
                resource, {**obj, "status": status}, actor=self.actor
            )

    def _available(self, pod: Mapping[str, Any], min_ready: int) -> bool:
        """IsPodAvailable: Ready, for at least minReadySeconds."""
        if not _ready(pod):
            return False
        if min_ready <= 0:
            return True
        since = (objects.condition(pod, "Ready") or {}).get("lastTransitionTime")
        if not since:
            return False
        waited = (self.loop.clock.wall() - parse_rfc3339(str(since))).total_seconds()
        return waited > min_ready

    @action
    def forget_pods(self, controlled: Controlled) -> None:
        """The controller is gone: forget the pods it owned (the garbage collector deletes them,
        unless it was deleted with propagationPolicy Orphan)."""
        self.owned.pop(controlled.uid, None)

    def _pod_for(self, obj: Obj) -> Obj:
        spec = obj.get("spec") or {}
        template = spec.get("template") or {}
        meta = dict(template.get("metadata") or {})
        meta.pop("name", None)
        meta["generateName"] = f"{objects.name_of(obj)}-"
        meta["ownerReferences"] = [
            {
                "apiVersion": obj["apiVersion"],
                "kind": obj["kind"],
                "name": objects.name_of(obj),
                "uid": objects.uid_of(obj),
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": meta,
            "spec": objects.deep_copy(template.get("spec") or {}),
        }


def _being_deleted(obj: Mapping[str, Any]) -> bool:
    return bool(objects.meta(obj).get("deletionTimestamp"))


def _ready(pod: Mapping[str, Any]) -> bool:
    return (objects.condition(pod, "Ready") or {}).get("status") == "True"


def _deletion_rank(pod: Mapping[str, Any]) -> tuple[int, int, str]:
    scheduled = 1 if (pod.get("spec") or {}).get("nodeName") else 0
    phase = {"Pending": 0, "Unknown": 1, "Running": 2}.get(
        (pod.get("status") or {}).get("phase", "Pending"), 0
    )
    created = objects.meta(pod).get("creationTimestamp", "")
    return (scheduled, phase, "".join(chr(255 - ord(c)) for c in created))
