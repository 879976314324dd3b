"""The controller manager's deployment controller: a Deployment's rollouts, through ReplicaSets.

It owns the spec's `deployment` machine: each Deployment (a `Rollout`) runs it on every sync.
What it promises, as kube-controller-manager's deployment controller does in v1.32:

- one ReplicaSet per pod template (revision), named `<deployment>-<pod-template-hash>`, the hash
  label added to its selector, its template and so its pods; the ReplicaSet whose template equals
  the Deployment's (ignoring that label) is the new one, every other it controls is old;
- annotations: `deployment.kubernetes.io/revision` (the new ReplicaSet's is one more than the
  highest old one; the Deployment carries its new ReplicaSet's), `desired-replicas` and
  `max-replicas` on each ReplicaSet it scales, and the Deployment's own annotations copied;
- RollingUpdate: the new ReplicaSet grows while all ReplicaSets' replicas stay within
  replicas + maxSurge, and old ones shrink while the available pods (Ready for minReadySeconds, as
  the ReplicaSets count them) stay at least replicas - maxUnavailable; Recreate: the old
  ReplicaSets go to 0, and once none of their pods is left the new one goes to replicas;
- a change of spec.replicas alone scales the active ReplicaSets proportionally; a paused
  Deployment is only scaled; old ReplicaSets beyond revisionHistoryLimit (scaled to 0) are
  deleted; a rollback is a template that matches an old ReplicaSet again (`kubectl rollout undo`
  writes it), which becomes the new one with the next revision;
- status: observedGeneration, the replica counts summed over its ReplicaSets, collisionCount, and
  the conditions Available and Progressing with v1.32's reasons and messages (a rollout that makes
  no progress for progressDeadlineSeconds is ProgressDeadlineExceeded); each scaling a
  ScalingReplicaSet Event.

The pods themselves are the replicaset controller's (`replication`). Not modelled: adopting
orphaned ReplicaSets that match the selector, and the deprecated rollbackTo annotation.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from typing import Any

from listwatch import errors
from listwatch.apiserver import objects
from listwatch.apiserver.api import APIServer
from listwatch.apiserver.kinds import deployments as kind
from listwatch.apiserver.objects import Obj
from listwatch.client.informer import InformerEvent
from listwatch.components import rolloutstatus
from listwatch.components.base import Acts
from listwatch.components.events import EventRecorder
from listwatch.components.failures import Failures
from listwatch.components.revisions import (
    DESIRED_REPLICAS,
    HASH_LABEL,
    MAX_HISTORY_CHARS,
    MAX_REPLICAS,
    NOT_COPIED,
    REVISION,
    REVISION_HISTORY,
    annotation,
    by_creation,
    complete,
    condition,
    equal_ignore_hash,
    has_deadline,
    newer,
    pod_template_hash,
    replicas_of,
    revision_of,
    status_count,
)
from listwatch.components.workqueue import Tracked, WorkQueue
from listwatch.loop import Loop
from listwatch.machines.building import Machine
from listwatch.machines.callbacks import action, guard


class Rollout(Tracked):
    """A Deployment under reconciliation; `deployment` is its machine state. `acted` is set once a
    sync has scaled something: the rest of that sync only writes the status (the controller's
    early returns)."""

    __slots__ = ("acted", "deployment", "new")

    def __init__(self, obj: Obj) -> None:
        super().__init__(obj)
        self.deployment = ""
        self.acted = False
        self.new: Obj | None = None

    @property
    def spec(self) -> Mapping[str, Any]:
        return self.obj.get("spec") or {}

    @property
    def replicas(self) -> int:
        return int(self.spec.get("replicas", kind.DEFAULT_REPLICAS))


class DeploymentController:
    """Reconciles every Deployment with the ReplicaSets it controls."""

    def __init__(
        self,
        *,
        api: APIServer,
        loop: Loop,
        actor: str,
        act: Acts,
        machine: Machine,
        recorder: EventRecorder,
        pods: Callable[[], list[Obj]],
        failures: Failures | None = None,
    ) -> None:
        """`pods` reads the controller manager's pod cache (Recreate waits for old pods to go)."""
        self.api = api
        self.loop = loop
        self.actor = actor
        self.act = act
        self.machine = machine
        self.recorder = recorder
        self.pods = pods
        self.failures = failures
        self.rollouts: WorkQueue[Rollout] = WorkQueue(loop, self._fire, failures)
        #: Every ReplicaSet seen, by UID: the watch's latest, or the controller's own write.
        self.replica_sets: dict[str, Obj] = {}

    # -- events from the controller manager's watches ----------------------------------------------

    def deployment_changed(self, event: InformerEvent) -> None:
        self.rollouts.changed(event.object, self._track)

    def _track(self, obj: Obj) -> Rollout:
        rollout = Rollout(obj)
        self.machine.start(rollout)
        return rollout

    def deployment_deleted(self, event: InformerEvent) -> None:
        rollout = self.rollouts.deleted(event.object)
        if rollout is not None:
            self.machine.fire(self, rollout, "delete")

    def replica_set_changed(self, event: InformerEvent) -> None:
        obj = event.object
        uid = objects.uid_of(obj)
        if newer(obj, self.replica_sets.get(uid)):
            self.replica_sets[uid] = obj
        self._owner_changed(obj)

    def replica_set_deleted(self, event: InformerEvent) -> None:
        self.replica_sets.pop(objects.uid_of(event.object), None)
        self._owner_changed(event.object)

    def pod_deleted(self, event: InformerEvent) -> None:
        """A pod of a Recreate Deployment's ReplicaSet is gone: the new one may now start."""
        ref = objects.controller_of(event.object)
        rs = self.replica_sets.get(str((ref or {}).get("uid", "")))
        if rs is not None:
            self._owner_changed(rs)

    def _owner_changed(self, rs: Mapping[str, Any]) -> None:
        ref = objects.controller_of(rs)
        if ref is None or ref.get("kind") != "Deployment":
            return
        rollout = self.rollouts.get(str(ref.get("uid", "")))
        if rollout is not None:
            self.rollouts.enqueue(rollout)

    def _fire(self, rollout: Rollout) -> None:
        """One sync. A write that meets a newer object (409: another writer, the replicaset
        controller's status, came first) ends it; the controller reads again and syncs anew, as
        its work queue retries a key whose sync failed."""
        rollout.acted = False
        rollout.new = None
        try:
            self.machine.fire(self, rollout, "sync")
        except errors.Conflict:
            self._read_again(rollout)
            self.rollouts.enqueue(rollout)

    def _read_again(self, rollout: Rollout) -> None:
        namespace = objects.namespace_of(rollout.obj)
        with contextlib.suppress(errors.NotFound):
            rollout.obj = self.api.get(
                "deployments", objects.name_of(rollout.obj), namespace=namespace
            )
        for rs in self._owned(rollout):
            try:
                self.replica_sets[objects.uid_of(rs)] = self.api.get(
                    "replicasets", objects.name_of(rs), namespace=namespace
                )
            except errors.NotFound:
                self.replica_sets.pop(objects.uid_of(rs), None)

    # -- what it reads -----------------------------------------------------------------------------

    def _owned(self, rollout: Rollout) -> list[Obj]:
        """The ReplicaSets the Deployment controls, oldest first."""
        namespace = objects.namespace_of(rollout.obj)
        found = [
            rs
            for rs in self.replica_sets.values()
            if objects.namespace_of(rs) == namespace
            and (objects.controller_of(rs) or {}).get("uid") == rollout.uid
        ]
        return sorted(found, key=by_creation)

    def _find_new(self, rollout: Rollout) -> Obj | None:
        """FindNewReplicaSet: the oldest whose template equals the Deployment's."""
        template = rollout.spec.get("template") or {}
        for rs in self._owned(rollout):
            if equal_ignore_hash((rs.get("spec") or {}).get("template") or {}, template):
                return rs
        return None

    def _old(self, rollout: Rollout, new: Mapping[str, Any] | None) -> list[Obj]:
        new_uid = objects.uid_of(new) if new is not None else None
        return [rs for rs in self._owned(rollout) if objects.uid_of(rs) != new_uid]

    def _all(self, rollout: Rollout) -> list[Obj]:
        new = rollout.new
        return [*self._old(rollout, new), *([new] if new is not None else [])]

    # -- the deployment machine's guards -----------------------------------------------------------

    @guard
    def being_deleted(self, rollout: Rollout) -> bool:
        return bool(objects.meta(rollout.obj).get("deletionTimestamp"))

    @guard
    def paused(self, rollout: Rollout) -> bool:
        return bool(rollout.spec.get("paused"))

    @guard
    def scaling_event(self, rollout: Rollout) -> bool:
        """isScalingEvent: an active ReplicaSet's desired-replicas is not spec.replicas."""
        new = self._find_new(rollout)
        for rs in [*self._old(rollout, new), *([new] if new is not None else [])]:
            if replicas_of(rs) <= 0:
                continue
            desired = (objects.meta(rs).get("annotations") or {}).get(DESIRED_REPLICAS)
            if desired is not None and desired.isdigit() and int(desired) != rollout.replicas:
                return True
        return False

    @guard
    def recreate(self, rollout: Rollout) -> bool:
        return (rollout.spec.get("strategy") or {}).get("type") == kind.RECREATE

    # -- the deployment machine's actions ----------------------------------------------------------

    @action
    def note_paused(self, rollout: Rollout) -> None:
        """checkPausedConditions: Progressing Unknown DeploymentPaused while paused, then
        DeploymentResumed (never over ProgressDeadlineExceeded)."""
        if not has_deadline(rollout.spec):
            return
        current = condition(rollout.obj, "Progressing")
        if current is not None and current.get("reason") == "ProgressDeadlineExceeded":
            return
        pausing = bool(rollout.spec.get("paused"))
        shown = current is not None and current.get("reason") == "DeploymentPaused"
        if pausing and not shown:
            wanted = ("Unknown", "DeploymentPaused", "Deployment is paused")
        elif not pausing and shown:
            wanted = ("Unknown", "DeploymentResumed", "Deployment is resumed")
        else:
            return
        status = dict(rollout.obj.get("status") or {})
        rolloutstatus.set_condition(status, "Progressing", *wanted, now=self.loop.stamps.now())
        self._write_status(rollout, status)

    @action
    def sync_revision(self, rollout: Rollout) -> None:
        """getAllReplicaSetsAndSyncRevision without creating: the existing new ReplicaSet's
        revision and annotations brought up to date."""
        rollout.new = self._new_replica_set(rollout, create=False)

    @action
    def create_new_replica_set(self, rollout: Rollout) -> None:
        """getAllReplicaSetsAndSyncRevision, creating the new ReplicaSet when there is none (a
        Recreate Deployment only once its old pods are gone)."""
        if rollout.acted:
            return
        if rollout.new is None:
            rollout.new = self._new_replica_set(rollout, create=True)

    @action
    def scale_replica_sets(self, rollout: Rollout) -> None:
        """scale: the only active ReplicaSet (or the newest) to spec.replicas; with a saturated
        new one, the old ones to 0; else, in a rolling update, each active one in proportion."""
        new = rollout.new
        old = self._old(rollout, new)
        replicas = rollout.replicas
        active = [rs for rs in [*old, *([new] if new else [])] if replicas_of(rs) > 0]
        if len(active) <= 1:
            latest = active[0] if active else (new or (max(old, key=by_creation) if old else None))
            if latest is not None and replicas_of(latest) != replicas:
                self._scale(rollout, latest, replicas)
            return
        if new is not None and self._saturated(rollout, new):
            for rs in old:
                if replicas_of(rs) > 0:
                    self._scale(rollout, rs, 0)
            return
        if self.recreate(rollout):
            return
        allowed = replicas + kind.max_surge(rollout.spec) if replicas > 0 else 0
        to_add = allowed - sum(replicas_of(rs) for rs in active)
        if to_add > 0:  # ReplicaSetsBySizeNewer
            active.sort(key=by_creation, reverse=True)
            active.sort(key=replicas_of, reverse=True)
            direction = "up"
        elif to_add < 0:  # ReplicaSetsBySizeOlder
            active.sort(key=by_creation)
            active.sort(key=replicas_of, reverse=True)
            direction = "down"
        else:
            direction = ""
        sizes: dict[str, int] = {}
        added = 0
        for rs in active:
            share = self._proportion(rollout, rs, to_add, added)
            sizes[objects.uid_of(rs)] = replicas_of(rs) + share
            added += share
        for i, rs in enumerate(active):
            size = sizes[objects.uid_of(rs)]
            if i == 0 and to_add != 0:
                size = max(0, size + to_add - added)
            self._scale(rollout, rs, size, direction=direction)

    @action
    def scale_up_new_replica_set(self, rollout: Rollout) -> None:
        """reconcileNewReplicaSet: the new ReplicaSet to spec.replicas, in steps that keep all
        replicas within replicas + maxSurge."""
        new = rollout.new
        if rollout.acted or new is None:
            return
        replicas = rollout.replicas
        have = replicas_of(new)
        if have == replicas:
            return
        if have > replicas:
            self._scale(rollout, new, replicas)
            return
        self._scale(rollout, new, self._new_replicas(rollout, new))

    @action
    def scale_down_old_replica_sets(self, rollout: Rollout) -> None:
        """reconcileOldReplicaSets: first the old ReplicaSets' unavailable replicas, then
        available ones, never below replicas - maxUnavailable available pods."""
        new = rollout.new
        if rollout.acted:
            return
        old = [rs for rs in self._old(rollout, new) if replicas_of(rs) > 0]
        if not old:
            return
        everything = [*old, *([new] if new is not None else [])]
        min_available = rollout.replicas - kind.max_unavailable(rollout.spec)
        new_unavailable = replicas_of(new) - status_count(new, "availableReplicas")
        budget = sum(replicas_of(rs) for rs in everything) - min_available - new_unavailable
        if budget <= 0:
            return
        cleaned = 0
        for rs in sorted(old, key=by_creation):  # cleanupUnhealthyReplicas
            if cleaned >= budget:
                break
            unhealthy = replicas_of(rs) - status_count(rs, "availableReplicas")
            if replicas_of(rs) == 0 or unhealthy <= 0:
                continue
            down = min(budget - cleaned, unhealthy)
            self._scale(rollout, rs, replicas_of(rs) - down)
            cleaned += down
        old = [self.replica_sets.get(objects.uid_of(rs), rs) for rs in old]
        everything = [*old, *([new] if new is not None else [])]
        available = sum(status_count(rs, "availableReplicas") for rs in everything)
        room = available - min_available
        scaled = 0
        for rs in sorted(old, key=by_creation):  # scaleDownOldReplicaSetsForRollingUpdate
            if room <= 0 or scaled >= room:
                break
            if replicas_of(rs) == 0:
                continue
            down = min(replicas_of(rs), room - scaled)
            self._scale(rollout, rs, replicas_of(rs) - down)
            scaled += down

    @action
    def scale_old_replica_sets_to_zero(self, rollout: Rollout) -> None:
        """scaleDownOldReplicaSetsForRecreate."""
        for rs in self._old(rollout, rollout.new):
            if replicas_of(rs) > 0:
                self._scale(rollout, rs, 0)

    @action
    def wait_for_old_pods(self, rollout: Rollout) -> None:
        """oldPodsRunning: while an old ReplicaSet has replicas or a pod not finished (a
        terminating one too), the new ReplicaSet waits."""
        if rollout.acted:
            return
        old = self._old(rollout, rollout.new)
        if any(status_count(rs, "replicas") > 0 for rs in old):
            rollout.acted = True
            return
        old_uids = {objects.uid_of(rs) for rs in old}
        for pod in self.pods():
            ref = objects.controller_of(pod) or {}
            if ref.get("uid") in old_uids and (pod.get("status") or {}).get("phase") not in (
                "Succeeded",
                "Failed",
            ):
                rollout.acted = True
                return

    @action
    def scale_new_replica_set_to_replicas(self, rollout: Rollout) -> None:
        """scaleUpNewReplicaSetForRecreate."""
        if not rollout.acted and rollout.new is not None:
            self._scale(rollout, rollout.new, rollout.replicas)
            rollout.acted = False  # Recreate goes on to its cleanup and status in the same sync

    @action
    def clean_up_when_complete(self, rollout: Rollout) -> None:
        if not rollout.acted and complete(rollout.obj, rollout.obj.get("status") or {}):
            self.clean_up_old_replica_sets(rollout)

    @action
    def clean_up_old_replica_sets(self, rollout: Rollout) -> None:
        """cleanupDeployment: the oldest revisions beyond revisionHistoryLimit, if scaled to 0
        and synced, are deleted."""
        limit = rollout.spec.get("revisionHistoryLimit")
        if limit is None:
            return
        alive = [
            rs
            for rs in self._old(rollout, rollout.new)
            if not objects.meta(rs).get("deletionTimestamp")
        ]
        surplus = len(alive) - int(limit)
        if surplus <= 0:
            return
        alive.sort(key=lambda rs: (revision_of(rs), *by_creation(rs)))
        for rs in alive[:surplus]:
            status = rs.get("status") or {}
            if (
                status_count(rs, "replicas") != 0
                or replicas_of(rs) != 0
                or objects.meta(rs).get("generation", 0) > status.get("observedGeneration", 0)
            ):
                continue
            with contextlib.suppress(errors.NotFound):
                self.api.delete(
                    "replicasets",
                    objects.name_of(rs),
                    namespace=objects.namespace_of(rs),
                    actor=self.actor,
                )

    @action
    def sync_status(self, rollout: Rollout) -> None:
        """syncDeploymentStatus: the counts and the Available condition, nothing about
        progress."""
        status = self._calculate_status(rollout)
        if status != (rollout.obj.get("status") or {}):
            self._write_status(rollout, status)

    @action
    def sync_rollout_status(self, rollout: Rollout) -> None:
        """syncRolloutStatus: the counts, Available, and Progressing as the rollout stands
        (complete, progressing, or past its deadline); a stuck one is looked at again when its
        deadline passes."""
        new = rollout.new
        status = rolloutstatus.with_progress(
            rollout.obj,
            self._calculate_status(rollout),
            new,
            rolloutstatus.replica_failure(
                [*([new] if new is not None else []), *self._old(rollout, new)]
            ),
            now=self.loop.stamps.now(),
            wall=self.loop.clock.wall(),
        )
        if status == (rollout.obj.get("status") or {}):
            self._requeue_stuck(rollout, status)
            return
        self._write_status(rollout, status)

    @action
    def forget(self, rollout: Rollout) -> None:
        """The Deployment is gone: its ReplicaSets are the garbage collector's."""
        rollout.cancel_timer()

    # -- the steps those take ----------------------------------------------------------------------

    def _new_replica_set(self, rollout: Rollout, *, create: bool) -> Obj | None:
        """getNewReplicaSet."""
        obj = rollout.obj
        spec = rollout.spec
        existing = self._find_new(rollout)
        old = self._old(rollout, existing)
        revision = str(max((revision_of(rs) for rs in old), default=0) + 1)
        if existing is not None:
            found: Obj = objects.deep_copy(existing)
            changed = self._annotate(obj, found, revision, exists=True)
            ready = spec.get("minReadySeconds", 0)
            if changed or (found.get("spec") or {}).get("minReadySeconds", 0) != ready:
                found["spec"]["minReadySeconds"] = ready
                return self._write_replica_set(found)
            status = dict(obj.get("status") or {})
            annotations = dict(objects.meta(obj).get("annotations") or {})
            needs = annotations.get(REVISION) != annotation(found, REVISION)
            annotations[REVISION] = annotation(found, REVISION)
            if has_deadline(spec) and condition(obj, "Progressing") is None:
                rolloutstatus.set_condition(
                    status,
                    "Progressing",
                    "True",
                    "FoundNewReplicaSet",
                    f'Found new replica set "{objects.name_of(found)}"',
                    now=self.loop.stamps.now(),
                )
                needs = True
            if needs:
                self._write_status(rollout, status, annotations=annotations)
            return found
        if not create:
            return None
        collisions = (obj.get("status") or {}).get("collisionCount")
        template = objects.deep_copy(spec.get("template") or {})
        hashed = pod_template_hash(template, collisions)
        template.setdefault("metadata", {})
        template["metadata"]["labels"] = {
            **(template["metadata"].get("labels") or {}),
            HASH_LABEL: hashed,
        }
        selector = objects.deep_copy(spec.get("selector") or {})
        selector["matchLabels"] = {**(selector.get("matchLabels") or {}), HASH_LABEL: hashed}
        rs: Obj = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{objects.name_of(obj)}-{hashed}",
                "namespace": objects.namespace_of(obj),
                "labels": dict(template["metadata"]["labels"]),
                "ownerReferences": [
                    {
                        "apiVersion": "apps/v1",
                        "kind": "Deployment",
                        "name": objects.name_of(obj),
                        "uid": rollout.uid,
                        "controller": True,
                        "blockOwnerDeletion": True,
                    }
                ],
            },
            "spec": {
                "replicas": 0,
                "minReadySeconds": spec.get("minReadySeconds", 0),
                "selector": selector,
                "template": template,
            },
        }
        replicas = self._new_replicas(rollout, rs)
        rs["spec"]["replicas"] = replicas
        self._annotate(obj, rs, revision, exists=False)
        name = objects.name_of(rs)
        try:
            created = self.api.create(
                "replicasets", rs, namespace=objects.namespace_of(obj), actor=self.actor
            )
        except errors.AlreadyExists:
            return self._collision(rollout, name)
        except errors.APIError as exc:
            message = f'Failed to create new replica set "{name}": {exc}'
            if has_deadline(spec):
                status = dict(obj.get("status") or {})
                rolloutstatus.set_condition(
                    status,
                    "Progressing",
                    "False",
                    "ReplicaSetCreateError",
                    message,
                    now=self.loop.stamps.now(),
                )
                self._write_status(rollout, status)
            self.recorder.emit(obj, "Warning", "ReplicaSetCreateError", message)
            raise
        self.replica_sets[objects.uid_of(created)] = created
        self.act(
            "reconcile",
            obj,
            result="created",
            detail=f"{objects.name_of(obj)}: new ReplicaSet {name} (revision {revision})",
        )
        if replicas > 0:
            self._scaled_event(obj, "up", name, 0, replicas)
        status = dict(obj.get("status") or {})
        annotations = {**(objects.meta(obj).get("annotations") or {}), REVISION: revision}
        if has_deadline(spec):
            rolloutstatus.set_condition(
                status,
                "Progressing",
                "True",
                "NewReplicaSetCreated",
                f'Created new replica set "{name}"',
                now=self.loop.stamps.now(),
            )
        self._write_status(rollout, status, annotations=annotations)
        return created

    def _collision(self, rollout: Rollout, name: str) -> Obj | None:
        """A ReplicaSet of that name exists: ours with this template (adopt the answer), or a hash
        collision (collisionCount raised; the next sync hashes again)."""
        namespace = objects.namespace_of(rollout.obj)
        found = self.api.get("replicasets", name, namespace=namespace)
        ref = objects.controller_of(found) or {}
        template = rollout.spec.get("template") or {}
        if ref.get("uid") == rollout.uid and equal_ignore_hash(
            (found.get("spec") or {}).get("template") or {}, template
        ):
            self.replica_sets[objects.uid_of(found)] = found
            return found
        status = dict(rollout.obj.get("status") or {})
        status["collisionCount"] = int(status.get("collisionCount", 0)) + 1
        self._write_status(rollout, status)
        raise errors.AlreadyExists(f'replicasets.apps "{name}" already exists')

    def _annotate(self, deployment: Obj, rs: Obj, revision: str, *, exists: bool) -> bool:
        """SetNewReplicaSetAnnotations: copied annotations, the revision (and the history of a
        ReplicaSet rolled back to), and on a new one the replica annotations."""
        meta = rs.setdefault("metadata", {})
        annotations = meta.setdefault("annotations", {})
        changed = False
        for key, value in (objects.meta(deployment).get("annotations") or {}).items():
            if key in NOT_COPIED or annotations.get(key) == value:
                continue
            annotations[key] = value
            changed = True
        before = annotations.get(REVISION)
        try:
            before_number = int(before) if before else 0
        except ValueError:
            return changed
        if before_number < int(revision):
            annotations[REVISION] = revision
            changed = True
            if before:
                history = annotations.get(REVISION_HISTORY, "")
                kept = [*history.split(","), before] if history else [before]
                while len(",".join(kept)) > MAX_HISTORY_CHARS and len(kept) > 1:
                    kept.pop(0)
                annotations[REVISION_HISTORY] = ",".join(kept)
        if not exists:
            changed = self._replica_annotations(deployment, rs) or changed
        return changed

    def _replica_annotations(self, deployment: Obj, rs: Obj) -> bool:
        """SetReplicasAnnotations: desired-replicas and max-replicas (replicas + maxSurge)."""
        spec = deployment.get("spec") or {}
        replicas = int(spec.get("replicas", kind.DEFAULT_REPLICAS))
        wanted = {
            DESIRED_REPLICAS: str(replicas),
            MAX_REPLICAS: str(replicas + kind.max_surge(spec)),
        }
        annotations = rs.setdefault("metadata", {}).setdefault("annotations", {})
        changed = any(annotations.get(k) != v for k, v in wanted.items())
        annotations.update(wanted)
        return changed

    def _new_replicas(self, rollout: Rollout, new: Mapping[str, Any]) -> int:
        """NewRSNewReplicas."""
        replicas = rollout.replicas
        if self.recreate(rollout):
            return replicas
        new_uid = objects.uid_of(new)
        current = replicas_of(new) + sum(
            replicas_of(rs) for rs in self._owned(rollout) if objects.uid_of(rs) != new_uid
        )
        most = replicas + kind.max_surge(rollout.spec)
        if current >= most:
            return replicas_of(new)
        return replicas_of(new) + min(most - current, replicas - replicas_of(new))

    def _saturated(self, rollout: Rollout, rs: Mapping[str, Any]) -> bool:
        desired = annotation(rs, DESIRED_REPLICAS)
        return (
            desired.isdigit()
            and replicas_of(rs) == rollout.replicas
            and int(desired) == rollout.replicas
            and status_count(rs, "availableReplicas") == rollout.replicas
        )

    def _proportion(self, rollout: Rollout, rs: Mapping[str, Any], to_add: int, added: int) -> int:
        """GetProportion: the ReplicaSet's share of the replicas to add (or remove)."""
        if replicas_of(rs) == 0 or to_add == 0 or to_add == added:
            return 0
        if rollout.replicas == 0:
            fraction = -replicas_of(rs)
        else:
            size = rollout.replicas + kind.max_surge(rollout.spec)
            annotated = annotation(rs, MAX_REPLICAS)
            base = (
                int(annotated)
                if annotated.isdigit()
                else int((rollout.obj.get("status") or {}).get("replicas", 0))
            )
            share = replicas_of(rs) * size / base if base else float(replicas_of(rs))
            rounded = int(share + 0.5) if share >= 0 else int(share - 0.5)
            fraction = rounded - replicas_of(rs)
        allowed = to_add - added
        return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)

    def _scale(self, rollout: Rollout, rs: Obj, replicas: int, *, direction: str = "") -> None:
        """scaleReplicaSet: spec.replicas and the replica annotations, with a ScalingReplicaSet
        Event when the size changed."""
        current = self.replica_sets.get(objects.uid_of(rs), rs)
        before = replicas_of(current)
        body = objects.deep_copy(current)
        annotations_changed = self._replica_annotations(rollout.obj, body)
        if before == replicas and not annotations_changed:
            return
        body["spec"]["replicas"] = replicas
        self._write_replica_set(body)
        if before != replicas:
            rollout.acted = True
            if rollout.new is not None and objects.uid_of(rollout.new) == objects.uid_of(body):
                rollout.new = self.replica_sets.get(objects.uid_of(body), rollout.new)
            way = direction or ("up" if before < replicas else "down")
            self.act(
                "reconcile",
                rollout.obj,
                result="scaled",
                detail=f"{objects.name_of(rs)}: {before} -> {replicas} replicas",
            )
            self._scaled_event(rollout.obj, way, objects.name_of(rs), before, replicas)

    def _scaled_event(self, obj: Obj, way: str, name: str, before: int, after: int) -> None:
        self.recorder.record(
            obj, "ScalingReplicaSet", direction=way, replicaSet=name, before=before, after=after
        )

    def _write_replica_set(self, rs: Obj) -> Obj:
        written = self.api.update("replicasets", rs, actor=self.actor)
        self.replica_sets[objects.uid_of(written)] = written
        return written

    def _write_status(
        self, rollout: Rollout, status: Mapping[str, Any], *, annotations: Any = None
    ) -> None:
        body = {**rollout.obj, "status": dict(status)}
        if annotations is not None:
            body = objects.replace(body, "metadata.annotations", annotations)
        try:
            rollout.obj = self.api.update_status("deployments", body, actor=self.actor)
        except errors.NotFound:
            return

    def _calculate_status(self, rollout: Rollout) -> dict[str, Any]:
        return rolloutstatus.calculate(
            rollout.obj, self._all(rollout), rollout.new, now=self.loop.stamps.now()
        )

    def _requeue_stuck(self, rollout: Rollout, status: Mapping[str, Any]) -> None:
        """requeueStuckDeployment: a rollout not complete is looked at again at its deadline."""
        current = condition(rollout.obj, "Progressing")
        if (
            not has_deadline(rollout.spec)
            or current is None
            or complete(rollout.obj, status)
            or current.get("reason") == "ProgressDeadlineExceeded"
        ):
            return
        left = rolloutstatus.deadline_left(rollout.spec, current, self.loop.clock.wall())
        # A daemon timer: a rollout waiting for its deadline does not keep the cluster busy.
        self.rollouts.later(rollout, max(0.0, left) + 1, daemon=True)
