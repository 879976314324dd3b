"""The controller manager's statefulset controller: each StatefulSet (a `Stateful`) runs the spec's
`statefulset` machine on every sync.

What it promises, as kube-controller-manager's statefulset controller does in v1.32:

- pods named `<set>-<ordinal>` for ordinals start .. start+replicas-1, made from the pod template
  of their revision (`statefulpods.new_pod`): a missing one is created (its claims first, one
  PersistentVolumeClaim `<template>-<set>-<ordinal>` per volumeClaimTemplate, never deleted), a
  Failed or Succeeded one deleted and then created again with the same name;
- OrderedReady: one pod at a time, in ordinal order, each only once every lower one is Running,
  Ready and available (minReadySeconds); pods beyond replicas deleted from the highest ordinal
  down, one at a time, while the others are healthy. Parallel: all at once, without waiting;
- revisions: a ControllerRevision `<set>-<hash>` per pod template (an equal older one becomes the
  newest again, renumbered); RollingUpdate deletes the highest-ordinal pod at or above the
  partition that is not at the update revision, once every pod above it is available again (it
  is created at the update revision); a pod below the partition is created at the current one.
  OnDelete leaves the pods alone: a pod deleted by someone is created at the update revision.
  When every pod is updated and Ready, the update revision becomes the current one. Revisions
  beyond revisionHistoryLimit that no pod uses are deleted;
- status: observedGeneration, replicas, readyReplicas, currentReplicas, updatedReplicas,
  currentRevision, updateRevision, collisionCount, availableReplicas (no conditions: v1.32 writes
  none); SuccessfulCreate / SuccessfulDelete Events with its pod control's texts.

Not modelled: adopting or releasing pods by selector (only pods it controls are its), the
persistentVolumeClaimRetentionPolicy's Delete (claims are always retained), maxUnavailable
(alpha), and the stale-claim check. No provisioner binds the claims: they stay Pending, and since
the simulated scheduler does not bind volumes the pods still run (a real cluster without a
provisioner would leave them Pending, unschedulable).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from listwatch import errors
from listwatch.apiserver import objects
from listwatch.apiserver.api import APIServer
from listwatch.apiserver.objects import Obj
from listwatch.client.informer import InformerEvent
from listwatch.components import statefulpods as sp
from listwatch.components.base import Acts
from listwatch.components.events import EventRecorder
from listwatch.components.failures import Failures
from listwatch.components.revisions import newer
from listwatch.components.workqueue import Tracked, WorkQueue
from listwatch.loop import Loop
from listwatch.machines.building import Machine
from listwatch.machines.callbacks import action, guard

#: The StatefulSet's status fields in the order v1.32 writes them.
_STATUS_ORDER = (
    "observedGeneration",
    "replicas",
    "readyReplicas",
    "currentReplicas",
    "updatedReplicas",
    "currentRevision",
    "updateRevision",
    "collisionCount",
    "conditions",
    "availableReplicas",
)
#: Status fields Go omits when zero (omitempty).
_OMITTED_WHEN_ZERO = ("readyReplicas", "currentReplicas", "updatedReplicas", "currentRevision")


@dataclass
class View:
    """What one sync sees of a StatefulSet: its pods by ordinal, its revisions, the time."""

    #: The pods at ordinals start .. start+replicas-1 (None: missing), in ordinal order.
    replicas: list[Obj | None] = field(default_factory=list)
    #: The pods at other ordinals, highest first.
    condemned: list[Obj] = field(default_factory=list)
    #: Its ControllerRevisions, by revision number.
    revisions: list[Obj] = field(default_factory=list)
    current: Obj = field(default_factory=dict)
    update: Obj = field(default_factory=dict)
    collision_count: int = 0
    now: datetime = datetime.min


class Stateful(Tracked):
    """A StatefulSet under reconciliation; `statefulset` is its machine state."""

    __slots__ = ("statefulset", "view")

    def __init__(self, obj: Obj) -> None:
        super().__init__(obj)
        self.statefulset = ""
        self.view = View()


class StatefulSetController:
    """Runs every StatefulSet's pods, in order, one stable identity per ordinal."""

    def __init__(
        self,
        *,
        api: APIServer,
        loop: Loop,
        actor: str,
        act: Acts,
        machine: Machine,
        recorder: EventRecorder,
        failures: Failures | None = None,
    ) -> None:
        self.api = api
        self.loop = loop
        self.actor = actor
        self.act = act
        self.machine = machine
        self.recorder = recorder
        self.failures = failures
        self.sets: WorkQueue[Stateful] = WorkQueue(loop, self._fire, failures)
        #: The pods each StatefulSet (by UID) controls, by pod name, as the pod watch last showed
        #: them or as the controller's own delete answered.
        self.owned: dict[str, dict[str, Obj]] = {}
        #: Pods it created that the watch has not shown yet, by (set UID, pod name): not created
        #: twice meanwhile.
        self.creating: set[tuple[str, str]] = set()

    # -- events from the controller manager's watches ----------------------------------------------

    def statefulset_changed(self, event: InformerEvent) -> None:
        self.sets.changed(event.object, self._track)

    def _track(self, obj: Obj) -> Stateful:
        stateful = Stateful(obj)
        self.machine.start(stateful)
        self.owned.setdefault(stateful.uid, {})
        return stateful

    def statefulset_deleted(self, event: InformerEvent) -> None:
        stateful = self.sets.deleted(event.object)
        if stateful is not None:
            self.machine.fire(self, stateful, "delete")

    def pod_changed(self, event: InformerEvent) -> None:
        pod = event.object
        owner = self._owner(pod)
        if owner is None:
            return
        name = objects.name_of(pod)
        pods = self.owned.setdefault(owner, {})
        if newer(pod, pods.get(name)):
            pods[name] = pod
        self.creating.discard((owner, name))
        self._owner_changed(owner)

    def pod_deleted(self, event: InformerEvent) -> None:
        pod = event.object
        owner = self._owner(pod)
        if owner is None:
            return
        pods = self.owned.get(owner, {})
        name = objects.name_of(pod)
        if objects.uid_of(pods.get(name) or {}) == objects.uid_of(pod):
            del pods[name]
        self._owner_changed(owner)

    def _owner(self, pod: Mapping[str, Any]) -> str | None:
        ref = objects.controller_of(pod)
        if ref is None or ref.get("kind") != "StatefulSet":
            return None
        return str(ref.get("uid", ""))

    def _owner_changed(self, owner: str) -> None:
        stateful = self.sets.get(owner)
        if stateful is not None:
            self.sets.enqueue(stateful)

    def _fire(self, stateful: Stateful) -> None:
        """One sync. A write that meets a newer object (409) ends it; the controller reads the
        StatefulSet again and syncs anew, as its work queue retries a key whose sync failed."""
        stateful.view = self._view(stateful)
        try:
            self.machine.fire(self, stateful, "sync")
        except errors.Conflict:
            with contextlib.suppress(errors.NotFound):
                stateful.obj = self.api.get(
                    "statefulsets",
                    objects.name_of(stateful.obj),
                    namespace=objects.namespace_of(stateful.obj),
                )
            self.sets.enqueue(stateful)

    # -- what a sync sees --------------------------------------------------------------------------

    def _view(self, stateful: Stateful) -> View:
        sts = stateful.obj
        start, count = sp.start_ordinal(sts), sp.replicas_of(sts)
        view = View(now=self.loop.clock.wall())
        view.replicas = [None] * count
        condemned = []
        for pod in self.owned.get(stateful.uid, {}).values():
            parent, ordinal = sp.parent_and_ordinal(pod)
            if parent != objects.name_of(sts) or ordinal < 0:
                continue
            if start <= ordinal < start + count:
                view.replicas[ordinal - start] = pod
            else:
                condemned.append(pod)
        view.condemned = sorted(condemned, key=sp.ordinal_of, reverse=True)
        view.revisions = sorted(
            (
                r
                for r in self.api.list(
                    "controllerrevisions", namespace=objects.namespace_of(sts)
                ).items
                if (objects.controller_of(r) or {}).get("uid") == stateful.uid
            ),
            key=lambda r: (int(r.get("revision", 0)), objects.name_of(r)),
        )
        view.collision_count = int((sts.get("status") or {}).get("collisionCount") or 0)
        latest = int(view.revisions[-1].get("revision", 0)) if view.revisions else 0
        candidate = sp.new_revision(sts, latest + 1, view.collision_count)
        equal = [r for r in view.revisions if sp.equal_revisions(r, candidate)]
        view.update = equal[-1] if equal else candidate
        named = str((sts.get("status") or {}).get("currentRevision") or "")
        view.current = next((r for r in view.revisions if objects.name_of(r) == named), view.update)
        return view

    def _min_ready(self, stateful: Stateful) -> int:
        return int(sp.spec_of(stateful.obj).get("minReadySeconds") or 0)

    def _available(self, stateful: Stateful, pod: Mapping[str, Any]) -> bool:
        return sp.available(pod, self._min_ready(stateful), stateful.view.now)

    def _pending(self, stateful: Stateful, index: int) -> bool:
        """Whether the replica at `index` holds the sync up: missing, finished, or (OrderedReady)
        terminating, not Running and Ready, or not available."""
        pod = stateful.view.replicas[index]
        if pod is None or sp.finished(pod):
            return True
        if not sp.monotonic(stateful.obj):
            return False
        return sp.terminating(pod) or not self._available(stateful, pod)

    # -- the statefulset machine's guards ----------------------------------------------------------

    @guard
    def being_deleted(self, stateful: Stateful) -> bool:
        return bool(objects.meta(stateful.obj).get("deletionTimestamp"))

    @guard
    def replicas_pending(self, stateful: Stateful) -> bool:
        return any(self._pending(stateful, i) for i in range(len(stateful.view.replicas)))

    @guard
    def pods_condemned(self, stateful: Stateful) -> bool:
        return bool(stateful.view.condemned)

    @guard
    def update_pending(self, stateful: Stateful) -> bool:
        if sp.strategy_of(stateful.obj) != sp.ROLLING_UPDATE:
            return False
        update = objects.name_of(stateful.view.update)
        replicas = stateful.view.replicas
        return any(
            pod is not None and sp.revision_of(pod) != update
            for pod in replicas[sp.partition_of(stateful.obj) :]
        )

    # -- the statefulset machine's actions ---------------------------------------------------------

    @action
    def sync_revisions(self, stateful: Stateful) -> None:
        """getStatefulSetRevisions: the update revision created when new, or an equal older one
        renumbered as the newest; a name taken by other data counts a collision (the status's
        collisionCount goes up and the sync starts again)."""
        view = stateful.view
        update = view.update
        latest = int(view.revisions[-1].get("revision", 0)) if view.revisions else 0
        known = {objects.name_of(r) for r in view.revisions}
        name = objects.name_of(update)
        if name not in known:
            try:
                view.update = self.api.create(
                    "controllerrevisions",
                    update,
                    namespace=objects.namespace_of(stateful.obj),
                    actor=self.actor,
                )
            except errors.AlreadyExists as exc:
                existing = self.api.get(
                    "controllerrevisions", name, namespace=objects.namespace_of(stateful.obj)
                )
                if not sp.equal_revisions(existing, update):
                    self._count_collision(stateful)
                    raise errors.Conflict(
                        f"controllerrevision {name} exists with other data"
                    ) from exc
                view.update = existing
            view.revisions.append(view.update)
        elif objects.uid_of(update) != objects.uid_of(view.revisions[-1]):
            view.update = self.api.update(
                "controllerrevisions", {**update, "revision": latest + 1}, actor=self.actor
            )
            view.revisions = [
                r for r in view.revisions if objects.uid_of(r) != objects.uid_of(update)
            ] + [view.update]
        if objects.name_of(view.current) == name:
            view.current = view.update

    def _count_collision(self, stateful: Stateful) -> None:
        status = dict(stateful.obj.get("status") or {})
        status["collisionCount"] = stateful.view.collision_count + 1
        with contextlib.suppress(errors.NotFound):
            stateful.obj = self.api.update_status(
                "statefulsets", {**stateful.obj, "status": status}, actor=self.actor
            )

    @action
    def manage_replicas(self, stateful: Stateful) -> None:
        """processReplica for each ordinal in order: a finished pod deleted, a missing one created;
        OrderedReady stops at the first pod it acted on or that is not yet available."""
        view = stateful.view
        ordered = sp.monotonic(stateful.obj)
        start = sp.start_ordinal(stateful.obj)
        for index, pod in enumerate(view.replicas):
            if pod is not None and sp.finished(pod):
                if not sp.terminating(pod):
                    self._delete_pod(stateful, pod)
                if ordered:
                    return
                continue
            if pod is None:
                self._create_pod(stateful, start + index)
                if ordered:
                    return
                continue
            if ordered and self._pending(stateful, index):
                return

    @action
    def delete_condemned(self, stateful: Stateful) -> None:
        """processCondemned, highest ordinal first: OrderedReady deletes one pod, and only while
        the others are healthy (or it is the first unhealthy one); Parallel deletes them all."""
        view = stateful.view
        ordered = sp.monotonic(stateful.obj)
        min_ready = self._min_ready(stateful)
        candidates: list[Obj | None] = [*view.replicas, *reversed(view.condemned)]
        first_unhealthy = next(
            (p for p in candidates if sp.unavailable(p, min_ready, view.now)), None
        )
        for pod in view.condemned:
            if sp.terminating(pod):
                if ordered:
                    return
                continue
            if ordered and pod is not first_unhealthy and not self._available(stateful, pod):
                return
            self._delete_pod(stateful, pod)
            if ordered:
                return

    @action
    def update_next_pod(self, stateful: Stateful) -> None:
        """The rolling update, from the highest ordinal down to the partition: the first pod not
        at the update revision is deleted (it comes back at it), unless a pod above it is not
        available yet."""
        view = stateful.view
        update = objects.name_of(view.update)
        min_ready = self._min_ready(stateful)
        partition = sp.partition_of(stateful.obj)
        for index in range(len(view.replicas) - 1, partition - 1, -1):
            pod = view.replicas[index]
            if pod is not None and sp.revision_of(pod) != update and not sp.terminating(pod):
                self._delete_pod(stateful, pod)
                return
            if sp.unavailable(pod, min_ready, view.now):
                return

    @action
    def update_set_status(self, stateful: Stateful) -> None:
        """updateStatefulSetStatus: the counts over its pods, its revisions (the update revision
        becomes the current one once every pod is updated and Ready), written when changed."""
        sts = stateful.obj
        view = stateful.view
        pods = [p for p in [*view.replicas, *view.condemned] if p is not None]
        current, update = objects.name_of(view.current), objects.name_of(view.update)
        min_ready = self._min_ready(stateful)
        counts = sp.replica_counts(pods, min_ready, view.now, current, update)
        status: dict[str, Any] = {
            "observedGeneration": objects.meta(sts).get("generation", 1),
            **counts,
            "currentRevision": current,
            "updateRevision": update,
            "collisionCount": view.collision_count,
        }
        if (
            sp.strategy_of(sts) == sp.ROLLING_UPDATE
            and counts["updatedReplicas"] == counts["replicas"]
            and counts["readyReplicas"] == counts["replicas"]
        ):
            status["currentReplicas"] = counts["updatedReplicas"]
            status["currentRevision"] = update
        conditions = (sts.get("status") or {}).get("conditions")
        if conditions:
            status["conditions"] = conditions
        if min_ready > 0 and counts["availableReplicas"] < counts["readyReplicas"]:
            self.sets.later(stateful, float(min_ready) + 0.001)
        ordered = {k: status[k] for k in _STATUS_ORDER if k in status}
        for key in _OMITTED_WHEN_ZERO:
            if not ordered.get(key):
                ordered.pop(key, None)
        if sts.get("status") == ordered:
            return
        with contextlib.suppress(errors.NotFound):
            stateful.obj = self.api.update_status(
                "statefulsets", {**sts, "status": ordered}, actor=self.actor
            )

    @action
    def truncate_history(self, stateful: Stateful) -> None:
        """truncateHistory: the revisions no pod uses, current and update aside, beyond
        revisionHistoryLimit, oldest first, are deleted."""
        view = stateful.view
        live = {objects.name_of(view.current), objects.name_of(view.update)}
        live |= {sp.revision_of(p) for p in [*view.replicas, *view.condemned] if p is not None}
        history = [r for r in view.revisions if objects.name_of(r) not in live]
        limit = int(sp.spec_of(stateful.obj).get("revisionHistoryLimit", 10))
        for revision in history[: max(0, len(history) - limit)]:
            with contextlib.suppress(errors.NotFound):
                self.api.delete(
                    "controllerrevisions",
                    objects.name_of(revision),
                    namespace=objects.namespace_of(revision),
                    actor=self.actor,
                )

    @action
    def forget(self, stateful: Stateful) -> None:
        """The StatefulSet is gone: the garbage collector deletes its pods and revisions; its
        claims, which it does not own, stay."""
        self.owned.pop(stateful.uid, None)
        self.creating = {k for k in self.creating if k[0] != stateful.uid}

    # -- its pod control ---------------------------------------------------------------------------

    def _create_pod(self, stateful: Stateful, ordinal: int) -> None:
        """CreateStatefulPod, at the revision its ordinal takes (newVersionedStatefulSetPod): its
        claims first, then the pod, each with its Event."""
        sts = stateful.obj
        view = stateful.view
        name = sp.pod_name(sts, ordinal)
        if (stateful.uid, name) in self.creating:
            return
        below_partition = sp.strategy_of(sts) == sp.ROLLING_UPDATE and ordinal < (
            sp.start_ordinal(sts) + sp.partition_of(sts)
        )
        revision = view.current if below_partition else view.update
        pod = sp.new_pod(sts, sp.template_of_revision(revision), ordinal, objects.name_of(revision))
        namespace = objects.namespace_of(sts)
        for claim in sp.new_claims(sts, ordinal):
            claim_name = objects.name_of(claim)
            try:
                self.api.get("persistentvolumeclaims", claim_name, namespace=namespace)
                continue
            except errors.NotFound:
                pass
            try:
                self.api.create(
                    "persistentvolumeclaims", claim, namespace=namespace, actor=self.actor
                )
            except errors.APIError as exc:
                error = f"Failed to create PVC {claim_name}: {exc}"
                self.recorder.record(
                    sts,
                    "StatefulClaimCreateFailed",
                    claim=claim_name,
                    pod=name,
                    set=_n(sts),
                    error=exc,
                )
                self.recorder.record(
                    sts, "StatefulPodCreateFailed", pod=name, set=_n(sts), error=error
                )
                return
            self.recorder.record(
                sts, "StatefulClaimCreated", claim=claim_name, pod=name, set=_n(sts)
            )
        try:
            self.api.create("pods", pod, namespace=namespace, actor=self.actor)
        except errors.AlreadyExists:
            return
        except errors.APIError as exc:
            self.recorder.record(sts, "StatefulPodCreateFailed", pod=name, set=_n(sts), error=exc)
            return
        self.creating.add((stateful.uid, name))
        self.act("reconcile", sts, result="created", detail=f"statefulset {_n(sts)}: create {name}")
        self.recorder.record(sts, "StatefulPodCreated", pod=name, set=_n(sts))

    def _delete_pod(self, stateful: Stateful, pod: Obj) -> None:
        """DeleteStatefulPod: the pod deleted (its claims stay), with its Event."""
        sts = stateful.obj
        name = objects.name_of(pod)
        try:
            answer = self.api.delete(
                "pods",
                name,
                namespace=objects.namespace_of(pod),
                actor=self.actor,
                uid=objects.uid_of(pod),
            )
        except (errors.NotFound, errors.Conflict):
            return
        pods = self.owned.setdefault(stateful.uid, {})
        known = pods.get(name)
        if (
            objects.meta(answer).get("deletionTimestamp")
            and objects.uid_of(answer) == objects.uid_of(known or {})
            and newer(answer, known)
        ):
            pods[name] = answer
        self.act("reconcile", sts, result="deleted", detail=f"statefulset {_n(sts)}: delete {name}")
        self.recorder.record(sts, "StatefulPodDeleted", pod=name, set=_n(sts))


def _n(obj: Mapping[str, Any]) -> str:
    return objects.name_of(obj)
