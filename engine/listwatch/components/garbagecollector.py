"""The controller manager's garbage collector: dependents whose owners are gone are deleted.

It owns the spec's `garbage-collection` machine: each object it watches that owns or is owned
(by `metadata.ownerReferences`) runs it. What it promises, as kube-controller-manager's
garbagecollector does in v1.32:

- an object none of whose owners is left (each is gone, or has another UID, or is itself being
  deleted in the foreground) is deleted, with the UID as a precondition, in the background (in
  the foreground if it has dependents of its own and an owner waits for them); one with an owner
  left loses the references to the owners that are gone;
- an owner deleted with `propagationPolicy: Orphan` (the `orphan` finalizer): its dependents'
  references to it are removed, then the finalizer, and the API server removes it;
- an owner deleted with `Foreground` (the `foregroundDeletion` finalizer): every dependent is
  deleted; the finalizer is removed (and the owner goes) once no dependent whose reference has
  `blockOwnerDeletion` is left;
- an object being deleted otherwise is left alone.

An owner is looked up as the real collector does when it is not in its graph: a GET of the kind
the reference names, in the dependent's namespace. Not modelled: owners of kinds it does not
serve (never collected), and the cycle detection between foreground deletions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from listwatch import errors
from listwatch.apiserver import objects
from listwatch.apiserver.api import APIServer
from listwatch.apiserver.deletion import FOREGROUND, ORPHAN
from listwatch.apiserver.objects import Obj
from listwatch.apiserver.resources import KINDS
from listwatch.client.informer import InformerEvent
from listwatch.components.failures import Failures
from listwatch.loop import Loop
from listwatch.machines.building import Machine
from listwatch.machines.callbacks import action, guard

#: Who the API server's trace and the objects' managers see acting.
ACTOR = "generic-garbage-collector"


class GraphNode:
    """An object in the collector's graph; `garbage_collection` is its machine state."""

    __slots__ = ("dirty", "garbage_collection", "obj", "plural", "uid")

    def __init__(self, obj: Obj) -> None:
        self.obj = obj
        self.uid = objects.uid_of(obj)
        self.plural = KINDS[obj["kind"]].plural
        self.garbage_collection = ""
        self.dirty = False

    @property
    def finalizers(self) -> list[str]:
        return list(objects.meta(self.obj).get("finalizers") or [])

    @property
    def being_deleted(self) -> bool:
        return bool(objects.meta(self.obj).get("deletionTimestamp"))

    @property
    def owner_references(self) -> list[Mapping[str, Any]]:
        refs = objects.meta(self.obj).get("ownerReferences") or []
        return [r for r in refs if isinstance(r, Mapping) and r.get("uid")]


class GarbageCollector:
    """Keeps the graph of owners and dependents from the controller manager's watches, and runs
    each object that needs attention through the spec's `garbage-collection` machine."""

    def __init__(
        self,
        *,
        api: APIServer,
        loop: Loop,
        machine: Machine,
        failures: Failures | None = None,
    ) -> None:
        self.api = api
        self.loop = loop
        self.machine = machine
        self.failures = failures
        #: The objects that own, are owned or are being deleted with a collector's finalizer.
        self.nodes: dict[str, GraphNode] = {}
        #: The UIDs of each owner's dependents.
        self.dependents: dict[str, set[str]] = {}

    # -- events from the controller manager's watches ----------------------------------------------

    def observed(self, event: InformerEvent) -> None:
        """An object added or changed: update the graph; queue what it may concern."""
        obj = event.object
        uid = objects.uid_of(obj)
        node = self.nodes.get(uid)
        refs = objects.meta(obj).get("ownerReferences") or []
        if node is None:
            if (
                not refs
                and uid not in self.dependents
                and not _collector_finalizer(obj)
                and obj.get("kind") == "Pod"
            ):
                return  # a pod that owns nothing and is owned by nothing: not in the graph
            node = GraphNode(obj)
            self.machine.start(node)
            self.nodes[uid] = node
        else:
            self._unlink(node)
        node.obj = obj
        for ref in node.owner_references:
            self.dependents.setdefault(str(ref["uid"]), set()).add(uid)
        if node.being_deleted and _collector_finalizer(obj):
            self._enqueue(node)  # an owner to orphan, or whose dependents to delete first
            for dep in self.dependents.get(uid, ()):
                if FOREGROUND in node.finalizers and dep in self.nodes:
                    self._enqueue(self.nodes[dep])
        if any(self._maybe_gone(node, ref) for ref in node.owner_references):
            self._enqueue(node)

    def forgotten(self, event: InformerEvent) -> None:
        """An object deleted: its dependents may be garbage now, and an owner waiting for it in
        the foreground may go."""
        uid = objects.uid_of(event.object)
        node = self.nodes.pop(uid, None)
        if node is None:
            return
        self._unlink(node)
        self.machine.fire(self, node, "forget")
        for dep in self.dependents.pop(uid, set()):
            if dep in self.nodes:
                self._enqueue(self.nodes[dep])
        for ref in node.owner_references:
            owner = self.nodes.get(str(ref["uid"]))
            if owner is not None and owner.being_deleted and FOREGROUND in owner.finalizers:
                self._enqueue(owner)

    def _unlink(self, node: GraphNode) -> None:
        for ref in node.owner_references:
            deps = self.dependents.get(str(ref["uid"]))
            if deps is not None:
                deps.discard(node.uid)

    def _maybe_gone(self, node: GraphNode, ref: Mapping[str, Any]) -> bool:
        """Whether the owner might be gone or waiting for its dependents' deletion (then the
        dependent is looked at; otherwise the owner is in the graph and stays)."""
        owner = self.nodes.get(str(ref["uid"]))
        if owner is None:
            return ref.get("kind") in KINDS and not node.being_deleted
        return owner.being_deleted and FOREGROUND in owner.finalizers

    def _enqueue(self, node: GraphNode) -> None:
        if not node.dirty:
            node.dirty = True
            self.loop.call_soon(self._attempt, node)

    def _attempt(self, node: GraphNode) -> None:
        node.dirty = False
        if self.nodes.get(node.uid) is not node or not self._refresh(node):
            return
        if self.failures is None:
            self.machine.fire(self, node, "attempt")
            return
        key = f"garbage {node.uid}"
        try:
            self.machine.fire(self, node, "attempt")
        except Exception as exc:  # this object waits for its retry; the others go on
            self.failures.handled(
                key=key, event="attempt", obj=node.obj, exc=exc, retry=lambda: self._enqueue(node)
            )
        else:
            self.failures.succeeded(key)

    def _refresh(self, node: GraphNode) -> bool:
        """Read the object as it is now (attemptToDeleteItem works on the latest, not on what the
        watch last showed): False when it is gone, or another object has its name."""
        try:
            latest = self.api.get(
                node.plural,
                objects.name_of(node.obj),
                namespace=objects.namespace_of(node.obj) or None,
            )
        except errors.NotFound:
            return False
        if objects.uid_of(latest) != node.uid:
            return False
        node.obj = latest
        return True

    # -- what an owner reference stands for --------------------------------------------------------

    def _classify(self, node: GraphNode) -> tuple[list[str], list[str], list[str]]:
        """The owner UIDs of `node` as (solid, dangling, waiting for their dependents'
        deletion): classifyReferences, with a live lookup of each owner."""
        solid: list[str] = []
        dangling: list[str] = []
        waiting: list[str] = []
        for ref in node.owner_references:
            uid = str(ref["uid"])
            owner = self._lookup(node, ref)
            if owner is None:
                dangling.append(uid)
            elif objects.meta(owner).get("deletionTimestamp") and FOREGROUND in (
                objects.meta(owner).get("finalizers") or []
            ):
                waiting.append(uid)
            else:
                solid.append(uid)
        return solid, dangling, waiting

    def _lookup(self, node: GraphNode, ref: Mapping[str, Any]) -> Obj | None:
        """The owner a reference names, or None when it is gone (or is another of that name). An
        owner of a kind not served counts as present: nothing is collected on a guess."""
        resource = KINDS.get(str(ref.get("kind", "")))
        if resource is None:
            return {"metadata": {"uid": ref["uid"]}}
        try:
            owner = self.api.get(
                resource.plural,
                str(ref.get("name", "")),
                namespace=objects.namespace_of(node.obj) if resource.namespaced else None,
            )
        except errors.NotFound:
            return None
        return owner if objects.uid_of(owner) == ref["uid"] else None

    def _blocking(self, node: GraphNode) -> list[GraphNode]:
        """The dependents whose reference to `node` blocks its deletion."""
        found = []
        for uid in self.dependents.get(node.uid, ()):
            dep = self.nodes.get(uid)
            if dep is None:
                continue
            for ref in dep.owner_references:
                if ref["uid"] == node.uid and ref.get("blockOwnerDeletion"):
                    found.append(dep)
                    break
        return found

    # -- the garbage-collection machine's callbacks ------------------------------------------------

    @guard
    def orphan_finalizer_pending(self, node: GraphNode) -> bool:
        return node.being_deleted and ORPHAN in node.finalizers

    @guard
    def foreground_finalizer_pending(self, node: GraphNode) -> bool:
        return node.being_deleted and FOREGROUND in node.finalizers

    @guard
    def owners_gone(self, node: GraphNode) -> bool:
        """Owned, not being deleted, and no owner left that keeps it."""
        if node.being_deleted or not node.owner_references:
            return False
        solid, _, _ = self._classify(node)
        return not solid

    @guard
    def some_owners_gone(self, node: GraphNode) -> bool:
        if node.being_deleted or not node.owner_references:
            return False
        solid, dangling, waiting = self._classify(node)
        return bool(solid) and bool(dangling or waiting)

    @guard
    def blocking_dependents_remain(self, node: GraphNode) -> bool:
        return bool(self._blocking(node))

    @action
    def delete_object(self, node: GraphNode) -> None:
        """Delete an object whose owners are gone (attemptToDeleteItem): in the foreground when an
        owner waits for it and it has dependents, else as its own finalizers say (background by
        default)."""
        _, _, waiting = self._classify(node)
        policy = "Background"
        if waiting and self.dependents.get(node.uid):
            policy = "Foreground"
        elif ORPHAN in node.finalizers:
            policy = "Orphan"
        elif FOREGROUND in node.finalizers:
            policy = "Foreground"
        try:
            self.api.delete(
                node.plural,
                objects.name_of(node.obj),
                namespace=objects.namespace_of(node.obj) or None,
                actor=ACTOR,
                uid=node.uid,
                propagation_policy=policy,
            )
        except (errors.NotFound, errors.Conflict):
            return  # gone already, or another object of that name now

    @action
    def remove_dangling_references(self, node: GraphNode) -> None:
        """Remove the references to owners that are gone or wait for their dependents, while
        another owner keeps the object (a strategic merge patch deleting them by UID)."""
        _, dangling, waiting = self._classify(node)
        self._drop_references(node, [*dangling, *waiting])

    @action
    def orphan_dependents(self, node: GraphNode) -> None:
        """Each dependent loses its reference to this owner (orphanDependents)."""
        for uid in sorted(self.dependents.get(node.uid, ())):
            dep = self.nodes.get(uid)
            if dep is not None:
                self._drop_references(dep, [node.uid])

    @action
    def delete_dependents(self, node: GraphNode) -> None:
        """An owner deleted in the foreground: look at each of its dependents (each is deleted,
        its owner waiting for it)."""
        for uid in sorted(self.dependents.get(node.uid, ())):
            dep = self.nodes.get(uid)
            if dep is not None:
                self._enqueue(dep)

    @action
    def remove_orphan_finalizer(self, node: GraphNode) -> None:
        self._remove_finalizer(node, ORPHAN)

    @action
    def remove_foreground_finalizer(self, node: GraphNode) -> None:
        self._remove_finalizer(node, FOREGROUND)

    def _drop_references(self, node: GraphNode, owners: list[str]) -> None:
        """A strategic merge patch deleting the references by UID (the list goes, as Go omits
        it, when none is left)."""
        if not owners:
            return
        left = [r for r in node.owner_references if r["uid"] not in owners]
        refs: Any = [{"$patch": "delete", "uid": uid} for uid in owners] if left else None
        patch = {"metadata": {"ownerReferences": refs, "uid": node.uid}}
        try:
            node.obj = self.api.patch(
                node.plural,
                objects.name_of(node.obj),
                patch,
                namespace=objects.namespace_of(node.obj) or None,
                patch_type="strategic",
                actor=ACTOR,
            )
        except errors.NotFound:
            return

    def _remove_finalizer(self, node: GraphNode, finalizer: str) -> None:
        """A merge patch of the finalizers without `finalizer`, at the object's resourceVersion
        (a Conflict is retried with the object as it is then)."""
        current = self.api.get(
            node.plural,
            objects.name_of(node.obj),
            namespace=objects.namespace_of(node.obj) or None,
        )
        finalizers = [f for f in objects.meta(current).get("finalizers") or [] if f != finalizer]
        patch = {
            "metadata": {
                "resourceVersion": objects.rv_of(current),
                "finalizers": finalizers or None,
            }
        }
        self.api.patch(
            node.plural,
            objects.name_of(current),
            patch,
            namespace=objects.namespace_of(current) or None,
            actor=ACTOR,
        )


def _collector_finalizer(obj: Mapping[str, Any]) -> bool:
    finalizers = objects.meta(obj).get("finalizers") or []
    return ORPHAN in finalizers or FOREGROUND in finalizers
