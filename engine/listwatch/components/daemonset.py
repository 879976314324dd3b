"""The controller manager's daemonset controller: a pod of each DaemonSet on every node that fits.

It owns the spec's `daemonset` machine: each DaemonSet (a `Daemon`) runs it on every sync. What it
promises, as kube-controller-manager's daemonset controller does in v1.32:

- a ControllerRevision per pod template, `<daemonset>-<hash>` (the hash of the template and
  status.collisionCount), labelled with the template's labels and `controller-revision-hash`,
  carrying the DaemonSet's annotations, owned by it, its data the patch that puts the template
  back, its revision one more than the highest other; revisions beyond revisionHistoryLimit that
  no pod uses are deleted, the oldest first;
- a pod on each node that fits (`rules.daemonsets.should_run`), created from the template with the
  DaemonSet's name as generateName, the daemon tolerations, the `controller-revision-hash` and
  `pod-template-generation` labels, a controller reference, and a required node affinity on
  `metadata.name` in place of the template's: the default scheduler binds it there. A node that
  no longer fits loses its pod; a failed pod is deleted (a FailedDaemonPod Warning; again on the
  same node only after a back-off), a succeeded one too (SucceededDaemonPod); beyond one pod per
  node (two while surging) the youngest go; an unbound pod for a node that is gone is deleted;
- pods created or deleted are expected: until the pod watch shows them the controller only
  writes the status (`Waiting`), as its expectations make it; creates go in slow-start batches
  (1, 2, 4 ...; an error skips the rest), at most burstReplicas per sync, each a
  SuccessfulCreate Event (`Created pod: NAME`) or FailedCreate (`Error creating: ...`), each
  delete SuccessfulDelete or FailedDelete;
- RollingUpdate (`roll_out`): without maxSurge, old pods are deleted while at most
  maxUnavailable of the nodes that should run a pod are without an available one (an old pod
  not available goes at once); with maxSurge, a new pod starts beside an old one on up to
  maxSurge nodes at a time and the old one goes once the new one is available. OnDelete only
  replaces what someone deleted;
- status: desiredNumberScheduled, currentNumberScheduled, numberMisscheduled, numberReady,
  numberAvailable (Ready for minReadySeconds), numberUnavailable, updatedNumberScheduled (the
  oldest pod on each node is of the current revision) and observedGeneration (not raised while
  waiting), written in v1.32's field order only when a count changed. A DaemonSet being deleted
  is left alone.

Not modelled: adopting orphaned pods or revisions that match the selector, releasing pods whose
labels stop matching it, and deduplicating two revisions of the same template.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
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
from listwatch.components.revisions import newer, pod_template_hash
from listwatch.components.workqueue import Tracked, WorkQueue
from listwatch.loop import Loop
from listwatch.machines.building import Machine
from listwatch.machines.callbacks import action, guard
from listwatch.rules import daemonsets as rules

KIND = "DaemonSet"
#: controller.SlowStartInitialBatchSize.
SLOW_START = 1
#: DaemonSetStatus's fields in the order v1.32 writes them, and those omitted when zero.
_STATUS_ORDER = (
    "currentNumberScheduled",
    "numberMisscheduled",
    "desiredNumberScheduled",
    "numberReady",
    "observedGeneration",
    "updatedNumberScheduled",
    "numberAvailable",
    "numberUnavailable",
    "collisionCount",
    "conditions",
)
_OMIT_EMPTY = frozenset(
    {"observedGeneration", "updatedNumberScheduled", "numberAvailable", "numberUnavailable"}
)


@dataclass
class Plan:
    """What a sync decided for the pods: the nodes to start one on, the pods to delete."""

    create: list[str] = field(default_factory=list)
    delete: list[Mapping[str, Any]] = field(default_factory=list)


class Daemon(Tracked):
    """A DaemonSet under reconciliation; `daemonset` is its machine state, `hash` the
    controller-revision-hash of its current revision, `old` its other revisions."""

    __slots__ = ("daemonset", "hash", "old", "pending_adds", "pending_deletes")

    def __init__(self, obj: Obj) -> None:
        super().__init__(obj)
        self.daemonset = ""
        self.hash = ""
        self.old: list[Obj] = []
        self.pending_adds = 0
        self.pending_deletes: set[str] = set()

    @property
    def spec(self) -> Mapping[str, Any]:
        return self.obj.get("spec") or {}

    @property
    def template(self) -> Mapping[str, Any]:
        return self.spec.get("template") or {}


class DaemonSetController:
    """Runs every DaemonSet's pods on the nodes that fit it."""

    def __init__(
        self,
        *,
        api: APIServer,
        loop: Loop,
        actor: str,
        act: Acts,
        machine: Machine,
        recorder: EventRecorder,
        settings: Mapping[str, Any],
        nodes: Callable[[], list[Obj]],
        burst: int,
        failures: Failures | None = None,
    ) -> None:
        """`settings` is the spec's `daemonSets` block; `nodes` reads the controller manager's
        node cache."""
        self.api = api
        self.loop = loop
        self.actor = actor
        self.act = act
        self.machine = machine
        self.recorder = recorder
        self.tolerations: Sequence[Mapping[str, Any]] = settings["tolerations"]
        self.host_network: Sequence[Mapping[str, Any]] = settings["hostNetworkTolerations"]
        self.generation_annotation = str(settings["generationAnnotation"])
        self.backoff_initial = float(settings["failedPodBackoffSeconds"])
        self.backoff_max = float(settings["maxFailedPodBackoffSeconds"])
        self.nodes = nodes
        self.burst = burst
        self.failures = failures
        self.daemons: WorkQueue[Daemon] = WorkQueue(loop, self._sync, failures)
        #: The pods each DaemonSet (by UID) controls, by pod UID, as the pod watch last showed them.
        self.owned: dict[str, dict[str, Obj]] = {}
        #: Every ControllerRevision seen, by UID: the watch's latest, or the controller's own write.
        self.revisions: dict[str, Obj] = {}
        #: failedPodsBackoff: per DaemonSet, generation and node, (delay, when last used).
        self.backoff: dict[str, tuple[float, float]] = {}

    # -- events from the controller manager's watches ----------------------------------------------

    def daemonset_changed(self, event: InformerEvent) -> None:
        self.daemons.changed(event.object, self._track)

    def _track(self, obj: Obj) -> Daemon:
        daemon = Daemon(obj)
        self.machine.start(daemon)
        self.owned.setdefault(daemon.uid, {})
        return daemon

    def daemonset_deleted(self, event: InformerEvent) -> None:
        daemon = self.daemons.deleted(event.object)
        if daemon is not None:
            self.machine.fire(self, daemon, "delete")

    def pod_changed(self, event: InformerEvent) -> None:
        pod = event.object
        owner = self._owner(pod)
        if owner is None:
            return
        uid = objects.uid_of(pod)
        pods = self.owned.setdefault(owner, {})
        seen = uid in pods
        pods[uid] = pod
        daemon = self.daemons.get(owner)
        if daemon is None:
            return
        if not seen and daemon.pending_adds > 0:
            daemon.pending_adds -= 1
        if objects.meta(pod).get("deletionTimestamp"):
            daemon.pending_deletes.discard(uid)
        self.daemons.enqueue(daemon)

    def pod_deleted(self, event: InformerEvent) -> None:
        pod = event.object
        owner = self._owner(pod)
        if owner is None:
            return
        uid = objects.uid_of(pod)
        self.owned.get(owner, {}).pop(uid, None)
        daemon = self.daemons.get(owner)
        if daemon is not None:
            daemon.pending_deletes.discard(uid)
            self.daemons.enqueue(daemon)

    def node_changed(self, event: InformerEvent) -> None:
        """A node added, gone, or with other labels or taints: every DaemonSet looks again (the
        heartbeats that change only its status are ignored, as shouldIgnoreNodeUpdate does)."""
        old = event.old
        if event.type == "MODIFIED" and old is not None:
            new = event.object
            if objects.labels_of(old) == objects.labels_of(new) and (old.get("spec") or {}).get(
                "taints"
            ) == (new.get("spec") or {}).get("taints"):
                return
        for daemon in self.daemons:
            self.daemons.enqueue(daemon)

    def revision_changed(self, event: InformerEvent) -> None:
        obj = event.object
        known = self.revisions.get(objects.uid_of(obj))
        if newer(obj, known):
            self.revisions[objects.uid_of(obj)] = obj
        self._enqueue_owner(obj)

    def revision_deleted(self, event: InformerEvent) -> None:
        self.revisions.pop(objects.uid_of(event.object), None)
        self._enqueue_owner(event.object)

    def _owner(self, obj: Mapping[str, Any]) -> str | None:
        ref = objects.controller_of(obj)
        if ref is None or ref.get("kind") != KIND:
            return None
        return str(ref.get("uid", ""))

    def _enqueue_owner(self, obj: Mapping[str, Any]) -> None:
        owner = self._owner(obj)
        daemon = self.daemons.get(owner) if owner is not None else None
        if daemon is not None:
            self.daemons.enqueue(daemon)

    def _sync(self, daemon: Daemon) -> None:
        self.machine.fire(self, daemon, "sync")

    # -- what a sync reads -------------------------------------------------------------------------

    def _should_run(self, daemon: Daemon, node: Mapping[str, Any]) -> tuple[bool, bool]:
        return rules.should_run(
            node, daemon.template.get("spec") or {}, self.tolerations, self.host_network
        )

    def _node_list(self) -> list[Obj]:
        return sorted(self.nodes(), key=objects.name_of)

    def _nodes_to_pods(self, daemon: Daemon) -> dict[str, list[Obj]]:
        """getNodesToDaemonPods: its pods by the node each is for (a finished pod being deleted
        is left out)."""
        out: dict[str, list[Obj]] = {}
        for pod in self.owned.get(daemon.uid, {}).values():
            finished = (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")
            if finished and objects.meta(pod).get("deletionTimestamp"):
                continue
            node = rules.target_node(pod)
            if node is not None:
                out.setdefault(node, []).append(pod)
        for pods in out.values():
            pods.sort(key=rules.oldest_first)
        return out

    def _available(self, daemon: Daemon, pod: Mapping[str, Any]) -> bool:
        """IsPodAvailable: Ready, for at least minReadySeconds."""
        ready = objects.condition(pod, "Ready") or {}
        if ready.get("status") != "True":
            return False
        min_ready = int(daemon.spec.get("minReadySeconds") or 0)
        if min_ready <= 0:
            return True
        since = ready.get("lastTransitionTime")
        if not since:
            return False
        waited = (self.loop.clock.wall() - parse_rfc3339(str(since))).total_seconds()
        return waited * self.loop.clock.speed > min_ready

    # -- the daemonset machine's guards ------------------------------------------------------------

    @guard
    def being_deleted(self, daemon: Daemon) -> bool:
        return bool(objects.meta(daemon.obj).get("deletionTimestamp"))

    @guard
    def expectations_satisfied(self, daemon: Daemon) -> bool:
        return daemon.pending_adds <= 0 and not daemon.pending_deletes

    @guard
    def on_delete(self, daemon: Daemon) -> bool:
        return (daemon.spec.get("updateStrategy") or {}).get("type") == rules.ON_DELETE

    # -- the daemonset machine's actions -----------------------------------------------------------

    @action
    def construct_history(self, daemon: Daemon) -> None:
        """constructHistory: the revision of the current template (created when there is none,
        renumbered when an older one is current again), and the others."""
        data = rules.revision_data(daemon.template)
        mine = [
            r for r in self.revisions.values() if self._owner(r) == daemon.uid and r.get("data")
        ]
        current = [r for r in mine if r.get("data") == data]
        old = [r for r in mine if r.get("data") != data]
        wanted = max((int(r.get("revision", 0)) for r in old), default=0) + 1
        if current:
            cur = max(current, key=lambda r: int(r.get("revision", 0)))
            if int(cur.get("revision", 0)) < wanted:
                cur = self.api.update(
                    "controllerrevisions", {**cur, "revision": wanted}, actor=self.actor
                )
                self.revisions[objects.uid_of(cur)] = cur
        else:
            cur = self._snapshot(daemon, data, wanted)
        daemon.hash = str(objects.labels_of(cur).get(rules.HASH_LABEL, ""))
        daemon.old = old

    def _snapshot(self, daemon: Daemon, data: Mapping[str, Any], revision: int) -> Obj:
        """A new ControllerRevision; a name taken by another template's is a hash collision:
        status.collisionCount goes up and the sync is retried with the next hash."""
        obj = daemon.obj
        collisions = (obj.get("status") or {}).get("collisionCount")
        hash_ = pod_template_hash(daemon.template, collisions)
        labels = {**(objects.meta(daemon.template).get("labels") or {}), rules.HASH_LABEL: hash_}
        meta: dict[str, Any] = {
            "name": f"{objects.name_of(obj)}-{hash_}",
            "namespace": objects.namespace_of(obj),
            "labels": labels,
        }
        annotations = objects.meta(obj).get("annotations")
        if annotations:
            meta["annotations"] = dict(annotations)
        meta["ownerReferences"] = [_controller_ref(obj)]
        body = {
            "apiVersion": "apps/v1",
            "kind": "ControllerRevision",
            "metadata": meta,
            "data": objects.deep_copy(dict(data)),
            "revision": revision,
        }
        try:
            created = self.api.create(
                "controllerrevisions", body, namespace=objects.namespace_of(obj), actor=self.actor
            )
        except errors.AlreadyExists:
            found = self.api.get(
                "controllerrevisions", meta["name"], namespace=objects.namespace_of(obj)
            )
            if self._owner(found) == daemon.uid and found.get("data") == data:
                self.revisions[objects.uid_of(found)] = found
                return found
            status = dict(obj.get("status") or {})
            status["collisionCount"] = int(collisions or 0) + 1
            daemon.obj = self.api.update_status(
                "daemonsets", {**obj, "status": _ordered(status)}, actor=self.actor
            )
            raise
        self.revisions[objects.uid_of(created)] = created
        return created

    @action
    def manage_daemon_pods(self, daemon: Daemon) -> None:
        """manage: per node, the pod it lacks or the pods it must lose; then an unbound pod for
        a node that is gone."""
        nodes = self._node_list()
        by_node = self._nodes_to_pods(daemon)
        plan = Plan()
        for node in nodes:
            self._plan_node(daemon, node, by_node.get(objects.name_of(node), []), plan)
        names = {objects.name_of(n) for n in nodes}
        for node_name, pods in sorted(by_node.items()):
            if node_name not in names:
                plan.delete.extend(p for p in pods if not (p.get("spec") or {}).get("nodeName"))
        self._sync_nodes(daemon, plan)

    def _plan_node(self, daemon: Daemon, node: Obj, pods: list[Obj], plan: Plan) -> None:
        """podsShouldBeOnNode."""
        should_run, should_continue = self._should_run(daemon, node)
        name = objects.name_of(node)
        if should_run and not pods:
            plan.create.append(name)
            return
        if not should_continue:
            plan.delete.extend(p for p in pods if not objects.meta(p).get("deletionTimestamp"))
            return
        running = []
        for pod in pods:
            if objects.meta(pod).get("deletionTimestamp"):
                continue
            phase = (pod.get("status") or {}).get("phase")
            if phase == "Failed":
                left = self._backoff_left(daemon, name)
                if left > 0:
                    self.daemons.later(daemon, left + 0.001)
                    continue
                self._back_off(daemon, name)
                self._record_finished(daemon, pod, name, "FailedDaemonPod")
                plan.delete.append(pod)
            elif phase == "Succeeded":
                self._record_finished(daemon, pod, name, "SucceededDaemonPod")
                plan.delete.append(pod)
            else:
                running.append(pod)
        if not rules.allows_surge(daemon.spec):
            plan.delete.extend(running[1:])
            return
        if not running:
            if should_run:
                plan.create.append(name)
            return
        oldest_new = oldest_old = None
        for pod in running:
            if rules.updated(pod, daemon.hash):
                if oldest_new is None:
                    oldest_new = pod
                    continue
            elif oldest_old is None:
                oldest_old = pod
                continue
            plan.delete.append(pod)
        if oldest_new is not None and oldest_old is not None:
            old_ready = (objects.condition(oldest_old, "Ready") or {}).get("status") == "True"
            if not old_ready or self._available(daemon, oldest_new):
                plan.delete.append(oldest_old)

    def _record_finished(self, daemon: Daemon, pod: Obj, node: str, event: str) -> None:
        self.recorder.record(
            daemon.obj,
            event,
            namespace=objects.namespace_of(pod),
            pod=objects.name_of(pod),
            node=node,
        )

    def _backoff_key(self, daemon: Daemon, node: str) -> str:
        generation = (daemon.obj.get("status") or {}).get("observedGeneration", 0)
        return f"{daemon.uid}/{generation}/{node}"

    def _backoff_left(self, daemon: Daemon, node: str) -> float:
        entry = self.backoff.get(self._backoff_key(daemon, node))
        if entry is None:
            return 0.0
        delay, since = entry
        return max(0.0, since + delay - self.loop.clock.now())

    def _back_off(self, daemon: Daemon, node: str) -> None:
        key = self._backoff_key(daemon, node)
        entry = self.backoff.get(key)
        delay = self.backoff_initial if entry is None else min(entry[0] * 2, self.backoff_max)
        self.backoff[key] = (delay, self.loop.clock.now())

    @action
    def roll_out(self, daemon: Daemon) -> None:
        """rollingUpdate, once what manage did has been seen: old pods replaced within
        maxUnavailable, or surged within maxSurge."""
        if not self.expectations_satisfied(daemon):
            return
        nodes = self._node_list()
        by_node = self._nodes_to_pods(daemon)
        wanting = [n for n in nodes if self._should_run(daemon, n)[0]]
        for node in wanting:
            by_node.setdefault(objects.name_of(node), [])
        surge, unavailable = rules.rolling_counts(daemon.spec, len(wanting))

        def available(pod: Mapping[str, Any]) -> bool:
            return self._available(daemon, pod)

        if surge == 0:
            doomed = rules.replace_in_place(by_node, daemon.hash, unavailable, available)
            self._sync_nodes(daemon, Plan(delete=doomed))
            return
        known = {objects.name_of(n): n for n in nodes}

        def fits(name: str) -> bool:
            node = known.get(name)
            return node is not None and self._should_run(daemon, node)[0]

        create, delete = rules.surge(
            by_node, daemon.hash, surge, len(wanting), available=available, should_run=fits
        )
        self._sync_nodes(daemon, Plan(create=create, delete=delete))

    def _sync_nodes(self, daemon: Daemon, plan: Plan) -> None:
        """syncNodes: expect, then create (slow start) and delete, each recorded."""
        obj = daemon.obj
        create = plan.create[: self.burst]
        delete = plan.delete[: self.burst]
        daemon.pending_adds = len(create)
        daemon.pending_deletes = {objects.uid_of(p) for p in delete}
        if create:
            self.act(
                "reconcile",
                obj,
                result="created",
                detail=f"daemon set {objects.name_of(obj)} has no pod on "
                f"{', '.join(create)}: create {len(create)}",
            )
            self._create_pods(daemon, create)
        for pod in delete:
            self._delete_pod(daemon, pod)

    def _create_pods(self, daemon: Daemon, nodes: list[str]) -> None:
        template = self._pod_template(daemon)
        position, batch = 0, min(len(nodes), SLOW_START)
        while position < len(nodes):
            failed = False
            for node in nodes[position : position + batch]:
                if not self._create_pod(daemon, template, node):
                    failed = True
            position += batch
            if failed and position < len(nodes):
                daemon.pending_adds -= len(nodes) - position
                return
            batch = min(2 * batch, len(nodes) - position)

    def _create_pod(self, daemon: Daemon, template: Mapping[str, Any], node: str) -> bool:
        obj = daemon.obj
        pod = objects.deep_copy(dict(template))
        pod["spec"]["affinity"] = rules.pinned_to(pod["spec"].get("affinity"), node)
        try:
            created = self.api.create(
                "pods", pod, namespace=objects.namespace_of(obj), actor=self.actor
            )
        except errors.APIError as exc:
            daemon.pending_adds -= 1
            if _namespace_terminating(exc):
                return True  # the namespace is going: every create would fail the same way
            self.recorder.emit(obj, "Warning", "FailedCreate", f"Error creating: {exc}")
            return False
        self.recorder.record(obj, "SuccessfulCreate", pod=objects.name_of(created))
        return True

    def _delete_pod(self, daemon: Daemon, pod: Mapping[str, Any]) -> None:
        obj = daemon.obj
        try:
            self.api.delete(
                "pods", objects.name_of(pod), namespace=objects.namespace_of(pod), actor=self.actor
            )
        except errors.NotFound:
            daemon.pending_deletes.discard(objects.uid_of(pod))
            return
        except errors.APIError as exc:
            daemon.pending_deletes.discard(objects.uid_of(pod))
            self.recorder.emit(obj, "Warning", "FailedDelete", f"Error deleting: {exc}")
            return
        self.recorder.record(obj, "SuccessfulDelete", pod=objects.name_of(pod))

    def _pod_template(self, daemon: Daemon) -> Obj:
        """CreatePodTemplate and GetPodFromTemplate: the template with the daemon tolerations,
        the generation and revision labels, generateName and the controller reference."""
        obj = daemon.obj
        template = daemon.template
        source = objects.meta(template)
        labels = dict(source.get("labels") or {})
        generation = (objects.meta(obj).get("annotations") or {}).get(self.generation_annotation)
        if generation is not None:
            labels[rules.GENERATION_LABEL] = str(generation)
        if daemon.hash:
            labels[rules.HASH_LABEL] = daemon.hash
        meta: dict[str, Any] = {"generateName": f"{objects.name_of(obj)}-", "labels": labels}
        for key in ("annotations", "finalizers"):
            if source.get(key):
                meta[key] = objects.deep_copy(source[key])
        meta["ownerReferences"] = [_controller_ref(obj)]
        spec = rules.with_tolerations(
            objects.deep_copy(dict(template.get("spec") or {})),
            self.tolerations,
            self.host_network,
        )
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}

    @action
    def clean_up_history(self, daemon: Daemon) -> None:
        """cleanupHistory: the old revisions beyond revisionHistoryLimit that no pod uses, the
        oldest first."""
        limit = int(daemon.spec.get("revisionHistoryLimit", 10))
        excess = len(daemon.old) - limit
        if excess <= 0:
            return
        live = {
            objects.labels_of(p).get(rules.HASH_LABEL)
            for p in self.owned.get(daemon.uid, {}).values()
        }
        unused = [r for r in daemon.old if objects.labels_of(r).get(rules.HASH_LABEL) not in live]
        for revision in sorted(unused, key=lambda r: int(r.get("revision", 0)))[:excess]:
            with contextlib.suppress(errors.NotFound):
                self.api.delete(
                    "controllerrevisions",
                    objects.name_of(revision),
                    namespace=objects.namespace_of(revision),
                    actor=self.actor,
                )
            self.revisions.pop(objects.uid_of(revision), None)

    @action
    def update_daemon_status(self, daemon: Daemon) -> None:
        """updateDaemonSetStatus: the counts over the nodes (the oldest pod of each), written
        when one changed; observedGeneration raised unless waiting."""
        obj = daemon.obj
        by_node = self._nodes_to_pods(daemon)
        desired = current = misscheduled = ready = updated = available = 0
        for node in self._node_list():
            should_run, _ = self._should_run(daemon, node)
            pods = by_node.get(objects.name_of(node), [])
            if not should_run:
                misscheduled += 1 if pods else 0
                continue
            desired += 1
            if not pods:
                continue
            current += 1
            oldest = pods[0]
            if (objects.condition(oldest, "Ready") or {}).get("status") == "True":
                ready += 1
                available += 1 if self._available(daemon, oldest) else 0
            updated += 1 if rules.updated(oldest, daemon.hash) else 0
        status = dict(obj.get("status") or {})
        counts = {
            "currentNumberScheduled": current,
            "numberMisscheduled": misscheduled,
            "desiredNumberScheduled": desired,
            "numberReady": ready,
            "updatedNumberScheduled": updated,
            "numberAvailable": available,
            "numberUnavailable": desired - available,
        }
        generation = int(objects.meta(obj).get("generation", 1))
        observed = int(status.get("observedGeneration", 0))
        unchanged = all(int(status.get(k, 0)) == v for k, v in counts.items())
        if unchanged and observed >= generation:
            return
        status.update(counts)
        if daemon.daemonset != "Waiting":
            status["observedGeneration"] = generation
        min_ready = int(daemon.spec.get("minReadySeconds") or 0)
        if min_ready > 0 and ready != available:
            self.daemons.later(daemon, min_ready + 0.001)
        with contextlib.suppress(errors.Conflict, errors.NotFound):
            daemon.obj = self.api.update_status(
                "daemonsets", {**obj, "status": _ordered(status)}, actor=self.actor
            )

    @action
    def forget_daemon(self, daemon: Daemon) -> None:
        """The DaemonSet is gone: the garbage collector deletes its pods and revisions."""
        self.owned.pop(daemon.uid, None)
        prefix = f"{daemon.uid}/"
        for key in [k for k in self.backoff if k.startswith(prefix)]:
            del self.backoff[key]


def _namespace_terminating(exc: errors.APIError) -> bool:
    """HasStatusCause(err, NamespaceTerminatingCause)."""
    causes = exc.details.get("causes")
    return isinstance(causes, list) and any(
        isinstance(c, Mapping) and c.get("reason") == "NamespaceTerminating" for c in causes
    )


def _controller_ref(obj: Obj) -> dict[str, Any]:
    return {
        "apiVersion": obj.get("apiVersion", "apps/v1"),
        "kind": KIND,
        "name": objects.name_of(obj),
        "uid": objects.uid_of(obj),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _ordered(status: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: status[k] for k in _STATUS_ORDER if k in status}
    for key in _OMIT_EMPTY:
        if not out.get(key):
            out.pop(key, None)
    return out
