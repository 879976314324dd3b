"""The controller manager's namespace controller: a namespace being deleted is emptied, then
finalized, and only then does the API server remove it.

It owns the spec's `namespace-deletion` machine: each namespace it watches runs it. What it
promises, as kube-controller-manager's namespace controller (`deletion/namespaced_resources_
deleter.go`) does in v1.32:

- a namespace with a deletionTimestamp has every object of every namespaced kind served deleted
  (in the background: what they own goes with them);
- after each pass its status carries the five conditions the real controller keeps, in the
  spec's words: NamespaceDeletionDiscoveryFailure, NamespaceDeletionGroupVersionParsingFailure,
  NamespaceDeletionContentFailure, NamespaceContentRemaining, NamespaceFinalizersRemaining
  (False with their "ok" reason while nothing is wrong, True with the failure's reason and
  message when something is);
- while objects remain it looks again: after half the longest grace period of the pods still
  running, plus a second, while that period has not passed since the namespace's deletion; after
  `finalizerEstimateSeconds` when what remains is held by finalizers; with an exponential
  back-off (5 ms, doubling, at most 60 s) when objects remain for no reason it can tell;
- once nothing remains it removes its `kubernetes` finalizer through `namespaces/{name}/finalize`,
  and the API server removes the namespace.

Discovery and group-version parsing cannot fail here (every kind is served in process): those two
conditions are always their "ok" variants.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from listwatch import errors
from listwatch.apiserver import objects
from listwatch.apiserver.api import APIServer
from listwatch.apiserver.objects import Obj
from listwatch.apiserver.resources import Resource
from listwatch.client.informer import InformerEvent
from listwatch.loop import Loop
from listwatch.machines.building import Machine
from listwatch.machines.callbacks import action, guard
from listwatch.printers import parse_time

ACTOR = "namespace-controller"


@dataclass
class ContentPass:
    """What one pass over a namespace's content found (deleteAllContent)."""

    #: Objects left, by resource ("pods." for core pods, as the condition names them).
    remaining: dict[str, int] = field(default_factory=dict)
    #: Objects left holding each finalizer.
    finalizers: dict[str, int] = field(default_factory=dict)
    #: Why deleting a resource failed, one message each.
    failures: list[str] = field(default_factory=list)
    #: Seconds until what remains should be gone (0: nothing to wait for).
    estimate: int = 0


class WatchedNamespace:
    """A namespace under watch; `namespace_deletion` is its machine state."""

    __slots__ = ("backoff", "dirty", "last", "name", "namespace_deletion", "obj", "timer")

    def __init__(self, obj: Obj) -> None:
        self.obj = obj
        self.name = objects.name_of(obj)
        self.namespace_deletion = ""
        self.last = ContentPass()
        self.backoff = 0.0
        self.dirty = False
        self.timer: Any = None


class NamespaceController:
    """Deletes the content of the namespaces being deleted and finalizes them."""

    def __init__(
        self,
        *,
        api: APIServer,
        loop: Loop,
        machine: Machine,
        settings: Mapping[str, Any],
    ) -> None:
        self.api = api
        self.loop = loop
        self.machine = machine
        #: The spec's `namespaceDeletion` settings: finalizer, conditions, timings.
        self.settings = settings
        self.namespaces: dict[str, WatchedNamespace] = {}

    # -- events from the controller manager's namespace watch --------------------------------------

    def namespace_changed(self, event: InformerEvent) -> None:
        name = objects.name_of(event.object)
        watched = self.namespaces.get(name)
        if watched is None:
            watched = WatchedNamespace(event.object)
            self.machine.start(watched)
            self.namespaces[name] = watched
        watched.obj = event.object
        if objects.meta(event.object).get("deletionTimestamp"):
            self._enqueue(watched)

    def namespace_deleted(self, event: InformerEvent) -> None:
        watched = self.namespaces.pop(objects.name_of(event.object), None)
        if watched is not None:
            self.machine.fire(self, watched, "forget")
            if watched.timer is not None:
                watched.timer.cancel()

    def _enqueue(self, watched: WatchedNamespace, delay: float = 0.0) -> None:
        if delay > 0:
            if watched.timer is not None:
                watched.timer.cancel()
            watched.timer = self.loop.call_later(delay, self._enqueue, watched)
            return
        if not watched.dirty:
            watched.dirty = True
            self.loop.call_soon(self._sync, watched)

    def _sync(self, watched: WatchedNamespace) -> None:
        watched.dirty = False
        if self.namespaces.get(watched.name) is not watched:
            return
        with contextlib.suppress(errors.NotFound):
            watched.obj = self.api.get("namespaces", watched.name)
            self.machine.fire(self, watched, "sync")

    # -- the namespace-deletion machine's callbacks ------------------------------------------------

    @guard
    def being_deleted(self, watched: WatchedNamespace) -> bool:
        return bool(objects.meta(watched.obj).get("deletionTimestamp"))

    @guard
    def content_remains(self, watched: WatchedNamespace) -> bool:
        """The last pass left objects, or failed to delete some."""
        last = watched.last
        return bool(last.remaining or last.failures or last.estimate)

    @action
    def delete_content(self, watched: WatchedNamespace) -> None:
        """Delete every object of every namespaced kind in the namespace, then count what is
        left (deleteAllContent)."""
        found = ContentPass()
        deleted_at = parse_time(objects.meta(watched.obj).get("deletionTimestamp"))
        since = (
            (self.loop.clock.wall() - deleted_at).total_seconds() if deleted_at is not None else 0
        )
        for res in _deletable(self.api.registry.stored(), self.settings):
            estimate = self._estimate(res, watched.name, since)
            failure = self._delete_all(res, watched.name)
            left = self.api.list(res.ref, namespace=watched.name).items
            if failure:
                found.failures.append(failure)
            if not left:
                found.estimate = max(found.estimate, estimate)
                continue
            holding: dict[str, int] = {}
            for obj in left:
                for finalizer in objects.meta(obj).get("finalizers") or []:
                    holding[finalizer] = holding.get(finalizer, 0) + 1
            found.remaining[f"{res.plural}.{res.group}"] = len(left)
            for finalizer, count in holding.items():
                found.finalizers[finalizer] = found.finalizers.get(finalizer, 0) + count
            if estimate:
                found.estimate = max(found.estimate, estimate)
            elif holding:
                found.estimate = max(found.estimate, int(self.settings["finalizerEstimateSeconds"]))
            else:
                found.failures.append(
                    f"unexpected items still remain in namespace: {watched.name} for gvr: "
                    f"{_gvr(res)}"
                )
        watched.last = found

    def _estimate(self, res: Resource, namespace: str, since: float) -> int:
        """How long the pods still running may take to stop (estimateGracefulTermination): the
        longest terminationGracePeriodSeconds, 0 once that long has passed since the namespace's
        deletion."""
        if res.plural != "pods":
            return 0
        estimate = 0
        for pod in self.api.list("pods", namespace=namespace).items:
            if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                continue
            grace = (pod.get("spec") or {}).get("terminationGracePeriodSeconds")
            if isinstance(grace, int) and grace > estimate:
                estimate = grace
        return 0 if since >= estimate else estimate

    def _delete_all(self, res: Resource, namespace: str) -> str:
        """Delete every object of a kind in the namespace in the background (a deletecollection);
        the first failure's message, or ""."""
        failure = ""
        for obj in self.api.list(res.ref, namespace=namespace).items:
            try:
                self.api.delete(
                    res.ref,
                    objects.name_of(obj),
                    namespace=namespace,
                    actor=ACTOR,
                    propagation_policy="Background",
                )
            except errors.NotFound:
                continue
            except errors.APIError as exc:
                failure = failure or str(exc)
        return failure

    @action
    def report_conditions(self, watched: WatchedNamespace) -> None:
        """Set the namespace's deletion conditions from the last pass (a status update when they
        change)."""
        wanted = self._conditions(watched.last)
        status = dict(watched.obj.get("status") or {})
        conditions = [dict(c) for c in status.get("conditions") or []]
        changed = False
        now = self.loop.stamps.now()
        for new in wanted:
            old = next((c for c in conditions if c.get("type") == new["type"]), None)
            if old is None:
                conditions.append({**new, "lastTransitionTime": now})
                changed = True
            elif any(old.get(k) != new[k] for k in ("status", "reason", "message")):
                if old.get("status") != new["status"]:
                    old["lastTransitionTime"] = now
                old.update(status=new["status"], reason=new["reason"], message=new["message"])
                changed = True
        if not changed:
            return
        with contextlib.suppress(errors.NotFound, errors.Conflict):
            watched.obj = self.api.update_status(
                "namespaces",
                {**watched.obj, "status": {**status, "conditions": conditions}},
                actor=ACTOR,
            )

    def _conditions(self, last: ContentPass) -> list[dict[str, str]]:
        """The five conditions, in the controller's order, from the spec's words."""
        spec = self.settings["conditions"]
        failed: dict[str, tuple[str, str]] = {}
        if last.failures:
            failed["NamespaceDeletionContentFailure"] = (
                spec["NamespaceDeletionContentFailure"]["failed"],
                spec["NamespaceDeletionContentFailure"]["message"].format(
                    count=len(last.failures), errors=", ".join(sorted(last.failures))
                ),
            )
        if last.remaining:
            parts = sorted(
                f"{resource} has {count} resource instances"
                for resource, count in last.remaining.items()
            )
            failed["NamespaceContentRemaining"] = (
                spec["NamespaceContentRemaining"]["failed"],
                spec["NamespaceContentRemaining"]["message"].format(remaining=", ".join(parts)),
            )
        if last.finalizers:
            parts = sorted(
                f"{f} in {count} resource instances" for f, count in last.finalizers.items()
            )
            failed["NamespaceFinalizersRemaining"] = (
                spec["NamespaceFinalizersRemaining"]["failed"],
                spec["NamespaceFinalizersRemaining"]["message"].format(remaining=", ".join(parts)),
            )
        out = []
        for kind, words in spec.items():
            if kind in failed:
                reason, message = failed[kind]
                out.append({"type": kind, "status": "True", "reason": reason, "message": message})
            else:
                out.append(
                    {
                        "type": kind,
                        "status": "False",
                        "reason": words["ok"],
                        "message": words["okMessage"],
                    }
                )
        return out

    @action
    def look_again(self, watched: WatchedNamespace) -> None:
        """Queue the namespace again: at once when nothing remains (to finalize it), after half
        the estimate plus a second while objects are terminating, with back-off after a
        failure."""
        last = watched.last
        if not (last.remaining or last.failures or last.estimate):
            watched.backoff = 0.0
            self._enqueue(watched)
        elif last.failures or not last.estimate:
            base = float(self.settings["retryBaseSeconds"])
            watched.backoff = min(
                float(self.settings["retryMaxSeconds"]), watched.backoff * 2 or base
            )
            self._enqueue(watched, watched.backoff)
        else:
            watched.backoff = 0.0
            self._enqueue(watched, last.estimate // 2 + 1)

    @action
    def remove_finalizer(self, watched: WatchedNamespace) -> None:
        """PUT namespaces/{name}/finalize without our finalizer; the API server removes the
        namespace when no finalizer is left."""
        finalizer = self.settings["finalizer"]
        kept = sorted(
            {f for f in (watched.obj.get("spec") or {}).get("finalizers") or [] if f != finalizer}
        )
        with contextlib.suppress(errors.NotFound):
            watched.obj = self.api.finalize(watched.name, kept, actor=ACTOR)


def _deletable(stored: Iterable[Resource], settings: Mapping[str, Any]) -> list[Resource]:
    """The namespaced kinds served that can be deleted (custom ones too), in the registry's
    order (the spec may leave some out: `skipped`)."""
    skipped = set(settings.get("skipped", ()))
    return [r for r in stored if r.namespaced and "delete" in r.verbs and r.plural not in skipped]


def _gvr(res: Resource) -> str:
    """A GroupVersionResource as Go's %v prints it."""
    return f"{{{res.group} {res.version} {res.plural}}}"
