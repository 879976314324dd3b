"""The controllers apiextensions-apiserver runs inside kube-apiserver for CustomResourceDefinitions.

They watch CRDs like any controller. The naming and establishing controllers accept a new CRD's
names and mark it Established, and from then on its versions are served (`Registry.establish`).
A deleted CRD is first marked with the `customresourcecleanup` finalizer and the Terminating
condition; the finalizer controller deletes every object of it, stops serving it, and removes the
finalizer, and only then is the CRD gone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from listwatch import errors
from listwatch.apiserver import crds, objects
from listwatch.apiserver.watchcache import WatchEvent

if TYPE_CHECKING:
    from listwatch.apiserver.api import APIServer

RESOURCE = crds.RESOURCE
ACTOR = "apiextensions-apiserver"


class CRDControllers:
    """Naming, establishing and finalizing, for every CRD of one API server."""

    def __init__(self, api: APIServer) -> None:
        self.api = api
        api.watch(RESOURCE, self._changed, actor=ACTOR, traced=False)

    def _changed(self, event: WatchEvent) -> None:
        crd = event.object
        name = objects.name_of(crd)
        if event.type == "DELETED":
            self.api.stop_serving(name)
            return
        meta = objects.meta(crd)
        if meta.get("deletionTimestamp"):
            if crds.CLEANUP_FINALIZER in (meta.get("finalizers") or ()):
                self.api.loop.call_soon(self._finalize, name)
            return
        self.api.serve(crd)
        if not crds.is_established(crd):
            self.api.loop.call_soon(self._establish, name)

    def _establish(self, name: str) -> None:
        crd = self._current(name)
        if crd is None or objects.meta(crd).get("deletionTimestamp"):
            return
        self.api.serve(crd)
        now = self.api.loop.stamps.now()
        status = crds.established(crd, now)
        for condition, kept in zip(
            status["conditions"], (crd.get("status") or {}).get("conditions") or (), strict=False
        ):
            if condition["type"] == kept.get("type") and kept.get("status") == "True":
                condition["lastTransitionTime"] = kept.get("lastTransitionTime", now)
        self.api.update_status(RESOURCE, {**crd, "status": status}, actor=ACTOR)

    def _finalize(self, name: str) -> None:
        crd = self._current(name)
        if crd is None:
            return
        for resource in self.api.registry.established(name)[:1]:
            for obj in self.api.list(resource.ref).items:
                self.api.delete(
                    resource.ref,
                    objects.name_of(obj),
                    namespace=objects.namespace_of(obj) or None,
                    actor=ACTOR,
                )
        self.api.stop_serving(name)
        finalizers = [
            f for f in objects.meta(crd).get("finalizers") or () if f != crds.CLEANUP_FINALIZER
        ]
        self.api.update(
            RESOURCE,
            objects.replace(crd, "metadata.finalizers", finalizers),
            actor=ACTOR,
        )

    def _current(self, name: str) -> dict[str, Any] | None:
        try:
            return dict(self.api.get(RESOURCE, name))
        except errors.NotFound:  # gone meanwhile
            return None
