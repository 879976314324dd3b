"""Out-of-band control of a simulated cluster, for test harnesses: faults injected, insides shown.

A real test cluster is controlled from outside its API: on kind one runs `docker stop` on a node,
or `systemctl stop kubelet` inside it. A simulated cluster offers the same powers as calls, and
`listwatch serve` serves them (`server.control`, under /listwatch/v1):

- `watches`: the watches the API server has open (who, on what, with which selectors, from which
  resourceVersion); `informers`: the List-Watch of each of listwatch's own components (its state,
  how many times it listed, where it is);
- `cut`: end an actor's watches as a lost connection ends them. The actor resumes from its last
  resourceVersion (and re-lists on 410 Gone). With `reconnect=False` one of listwatch's own
  components stays without its watch (a network partition) until `reconnect`. The actor
  `apiserver` is the API server's own watch on etcd (its watch cache's, one per resource): cut, it
  misses every change until it resumes from the last revision it saw; if etcd compacted past it,
  the cache re-lists, ends its clients' watches, and a client behind the list gets 410 Gone;
- `compact`: forget the history up to a revision (the current one by default), as the API server's
  compactor does every few minutes; a watch from before it then gets 410 Gone;
- `stop_kubelet` / `restart_kubelet`: a node's kubelet dies (no watches, no heartbeats: the node
  goes Unknown after nodeMonitorGracePeriod) or comes back.

Guarantees: nothing here changes an API object itself (only components and the history do); every
call raises an `APIError` whose Status says what was wrong (404 for an actor without watches or a
kubelet the cluster does not run, 400 for a bad argument, 409 for a revision already compacted).
Every method runs on the cluster's loop thread (the served API hands calls over with
`LiveCluster.call`). Results are plain JSON (`listwatch.backend`'s `TypedDict`s), the bodies the
served API answers with.

Worked example (the kubelet of node01, whose pod watch starts at revision 7):

    cut("kubelet/node01", resource="pods", reconnect=False)   the watch is gone; the informer waits
    (a pod is bound to node01 at revision 9: the kubelet does not see it)
    compact()                                                  history up to 9 forgotten
    reconnect("kubelet/node01")                                watch from 7: 410 Gone; it re-lists
    informers(actor="kubelet/node01")                          pods: Watching, lists 2, from 9

The same for the API server's watch on etcd: `cut("apiserver", resource="pods", reconnect=False)`,
then `reconnect("apiserver")` re-lists its cache (`informers(actor="apiserver")`: pods, lists 2).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from listwatch import errors
from listwatch.apiserver.watchcache import ClientWatch, WatchCache
from listwatch.backend import Compaction, InformerState, KubeletState, OpenWatch
from listwatch.client.informer import Informer

if TYPE_CHECKING:
    from listwatch.cluster import Cluster
    from listwatch.components.kubelet import Kubelet

#: The apiVersion of the control API's objects.
API_VERSION = "listwatch.io/v1"
RUNNING, STOPPED = "Running", "Stopped"
#: The actor that names the API server's own watches on etcd (its watch caches').
APISERVER = "apiserver"


class Control:
    """The control of one cluster (see the module docstring); it remembers which watches it holds
    cut."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._held: list[Informer] = []
        self._held_caches: list[WatchCache] = []

    # -- watches -----------------------------------------------------------------------------------

    def watches(self, *, actor: str = "") -> list[OpenWatch]:
        """The API server's open watches (of `actor`, when given), by actor then resource."""
        found = [_described(w) for w in self._open(actor=actor)]
        return sorted(
            found, key=lambda w: (w["actor"], w["resource"], w["fieldSelector"], w["labelSelector"])
        )

    def informers(self, *, actor: str = "") -> list[InformerState]:
        """The List-Watches of listwatch's own components (of `actor`, when given)."""
        connected = {
            id(informer) for informer in map(_informer_of, self._open()) if informer is not None
        }
        found: list[InformerState] = []
        if actor in ("", APISERVER):
            found.extend(self._cache_state(cache) for cache in self._caches())
        for component in self.cluster.components:
            if actor and component.actor != actor:
                continue
            for watch_id, informer in component.informers.items():
                found.append(
                    {
                        "actor": component.actor,
                        "watch": watch_id,
                        "resource": informer.resource,
                        "labelSelector": informer.label_selector,
                        "fieldSelector": informer.field_selector,
                        "state": informer.list_watch,
                        "lists": informer.lists,
                        "resourceVersion": informer.resource_version,
                        "connected": id(informer) in connected,
                        "held": informer in self._held,
                    }
                )
        return found

    def cut(self, actor: str, *, resource: str = "", reconnect: bool = True) -> list[OpenWatch]:
        """End `actor`'s open watches (of `resource`, when given), as a lost connection; what was
        cut.

        With `reconnect` (the default) the actor may watch again at once: listwatch's components
        resume from their resourceVersion, an HTTP client's stream ends and it decides. Without it,
        listwatch's components stay without a watch until `reconnect`; an HTTP client cannot be
        held off, so that is a 400 for an actor that is one.
        """
        if not actor:
            raise errors.BadRequest(
                "actor is required: whose watches to cut (e.g. kubelet/node01; see GET "
                "/listwatch/v1/watches)"
            )
        if actor == APISERVER:
            return self._cut_caches(resource, reconnect=reconnect)
        cut = [
            w
            for w in self._open(actor=actor)
            if not resource or w.cache.resource.plural == resource
        ]
        if not cut:
            raise errors.NotFound(
                f"{actor} has no open watch{' of ' + resource if resource else ''} to cut (the "
                f"actors watching: {self._actors()})",
                details={"name": actor, "kind": "watches", "group": "listwatch.io"},
            )
        outside = sorted({w.actor for w in cut if _informer_of(w) is None})
        if not reconnect and outside:
            raise errors.BadRequest(
                f"{actor} is not one of listwatch's own components: its watches can be cut "
                "(reconnect: true), "
                "not held off (it is a client of the API and watches again when it likes)"
            )
        described = [_described(w) for w in cut]
        for watch in cut:
            informer = _informer_of(watch)
            if informer is None:  # a served stream: told that its watch ended, it ends
                watch.stop()
                if watch.ended is not None:
                    watch.ended()
            elif reconnect:
                informer.drop_watch()
            else:
                informer.stop_watch()
                if informer not in self._held:
                    self._held.append(informer)
        return described

    def reconnect(self, actor: str, *, resource: str = "") -> list[InformerState]:
        """Let `actor`'s watches held off by `cut(reconnect=False)` watch again (from their
        resourceVersion)."""
        if actor == APISERVER:
            return self._reconnect_caches(resource)
        held = [
            i for i in self._held if i.actor == actor and (not resource or i.resource == resource)
        ]
        if not held:
            raise errors.NotFound(
                f"{actor} has no watch{' of ' + resource if resource else ''} held off by a cut "
                "(reconnect: false) to reconnect",
                details={"name": actor, "kind": "watches", "group": "listwatch.io"},
            )
        for informer in held:
            self._held.remove(informer)
            informer.drop_watch()
        return self.informers(actor=actor)

    def _open(self, *, actor: str = "") -> list[ClientWatch]:
        return [
            w
            for cache in self.cluster.api.caches.values()
            for w in cache.watches()
            if not actor or w.actor == actor
        ]

    def _actors(self) -> str:
        return ", ".join(sorted({w.actor for w in self._open()})) or "none"

    # -- the API server's own watches on etcd ----------------------------------------------------

    def _caches(self, resource: str = "") -> list[WatchCache]:
        caches = self.cluster.api.caches
        return [caches[plural] for plural in sorted(caches) if not resource or plural == resource]

    def _cut_caches(self, resource: str, *, reconnect: bool) -> list[OpenWatch]:
        """Break the watch caches' etcd watches; without `reconnect` they wait for `reconnect`."""
        cut = [cache for cache in self._caches(resource) if cache.connected]
        if not cut:
            raise errors.NotFound(
                f"the API server has no open watch on etcd{' of ' + resource if resource else ''} "
                "to cut",
                details={"name": APISERVER, "kind": "watches", "group": "listwatch.io"},
            )
        described = [_etcd_watch(cache) for cache in cut]
        for cache in cut:
            cache.interrupt()
            if reconnect:
                cache.resume()
            elif cache not in self._held_caches:
                self._held_caches.append(cache)
        return described

    def _reconnect_caches(self, resource: str) -> list[InformerState]:
        held = [c for c in self._held_caches if not resource or c.resource.plural == resource]
        if not held:
            raise errors.NotFound(
                f"the API server has no watch on etcd{' of ' + resource if resource else ''} held "
                "off by a cut (reconnect: false) to reconnect",
                details={"name": APISERVER, "kind": "watches", "group": "listwatch.io"},
            )
        for cache in held:
            self._held_caches.remove(cache)
            cache.resume()
        return self.informers(actor=APISERVER)

    def _cache_state(self, cache: WatchCache) -> InformerState:
        """A watch cache as a List-Watch: the cacher's reflector lists etcd, then watches it."""
        plural = cache.resource.plural
        return {
            "actor": APISERVER,
            "watch": plural,
            "resource": plural,
            "labelSelector": "",
            "fieldSelector": "",
            "state": "Watching" if cache.connected else "Stopped",
            "lists": cache.lists,
            "resourceVersion": str(cache.revision),
            "connected": cache.connected,
            "held": cache in self._held_caches,
        }

    # -- compaction --------------------------------------------------------------------------------

    def compact(self, revision: int | None = None) -> Compaction:
        """Compact the history up to `revision` (default: the current revision), as etcd's
        Compact."""
        store = self.cluster.store
        current = store.revision
        if revision is None:
            target = current
        else:
            if revision < 1:
                raise errors.BadRequest(f"revision must be a positive integer, got {revision}")
            if revision > current:
                raise errors.BadRequest(
                    f"mvcc: required revision is a future revision: {revision} (the current "
                    f"revision is {current})"
                )
            if revision <= store.compacted:
                raise errors.Conflict(
                    f"mvcc: required revision has been compacted: {revision} (compacted up to "
                    f"{store.compacted})"
                )
            target = revision
        store.compact(target)
        return {
            "kind": "Compaction",
            "apiVersion": API_VERSION,
            "revision": max(target, store.compacted),
            "currentRevision": current,
        }

    # -- kubelets ----------------------------------------------------------------------------------

    def kubelets(self) -> list[KubeletState]:
        return [
            _kubelet_state(name, kubelet) for name, kubelet in sorted(self.cluster.kubelets.items())
        ]

    def kubelet(self, node: str) -> KubeletState:
        return _kubelet_state(node, self._kubelet(node))

    def stop_kubelet(self, node: str) -> KubeletState:
        """The kubelet of `node` stops (stopping a stopped one changes nothing, as systemctl
        stop)."""
        kubelet = self._kubelet(node)
        if kubelet.reporting:
            self._held = [i for i in self._held if i.actor != kubelet.actor]
            self.cluster.stop_kubelet(node)
        return _kubelet_state(node, kubelet)

    def restart_kubelet(self, node: str) -> KubeletState:
        """A stopped kubelet starts again: it lists, watches, and reports its node and pods (a
        running one is left as it is)."""
        kubelet = self._kubelet(node)
        if not kubelet.reporting:
            self.cluster.restart_kubelet(node)
        return _kubelet_state(node, kubelet)

    def _kubelet(self, node: str) -> Kubelet:
        found = self.cluster.kubelets.get(node)
        if found is not None:
            return found
        details: dict[str, object] = {"name": node, "kind": "kubelets", "group": "listwatch.io"}
        if not self.cluster.kubelets:
            raise errors.NotFound(
                f"no kubelet of listwatch's runs on {node}: this cluster was served without its "
                "kubelets (--without kubelet), "
                "so a node's kubelet is yours to stop or restart",
                details=details,
            )
        raise errors.NotFound(
            f'kubelets "{node}" not found (the kubelets: '
            f"{', '.join(sorted(self.cluster.kubelets))})",
            details=details,
        )


def _informer_of(watch: ClientWatch) -> Informer | None:
    """The component informer a watch delivers to, or None for another client's (an HTTP stream)."""
    owner: Any = getattr(watch.handler, "__self__", None)
    return owner if isinstance(owner, Informer) else None


def _etcd_watch(cache: WatchCache) -> OpenWatch:
    """The API server's watch on etcd of one resource, from the last revision it saw."""
    return {
        "actor": APISERVER,
        "resource": cache.resource.plural,
        "namespace": "",
        "labelSelector": "",
        "fieldSelector": "",
        "resourceVersion": str(cache.revision),
    }


def _described(watch: ClientWatch) -> OpenWatch:
    return {
        "actor": watch.actor,
        "resource": watch.cache.resource.plural,
        "namespace": watch.namespace or "",
        "labelSelector": str(watch.labels),
        "fieldSelector": str(watch.fields),
        "resourceVersion": watch.resource_version,
    }


def _kubelet_state(node: str, kubelet: Kubelet) -> KubeletState:
    return {
        "kind": "Kubelet",
        "apiVersion": API_VERSION,
        "node": node,
        "state": RUNNING if kubelet.reporting else STOPPED,
    }
