"""The API server's watch cache: one etcd watch per resource, fanned out to every client watch.

Guarantees, as Kubernetes' cacher gives them:
- a client watch sees the changes to the objects its selectors match, in revision order;
- an object that starts matching arrives as ADDED, one that stops matching as DELETED (carrying
  its previous state with the event's resourceVersion), a change as MODIFIED;
- a watch from resourceVersion N sees exactly the changes after N, or gets ERROR 410 Gone when the
  history since N was compacted; a watch from "" or "0" first gets ADDED for what exists;
- watchers pinned to one `spec.nodeName` (a kubelet's) are indexed by it, so an event costs only
  the watchers it can concern, not every kubelet in the cluster;
- when its etcd watch breaks (`interrupt`: a leader change, a network blip) the cache sees nothing
  until it watches again (`resume`) from the revision after the last one it saw; nothing is lost.
  If etcd compacted past that revision meanwhile (ErrCompacted) the cache re-lists, as the
  cacher's reflector does: every client watch is ended (terminateAllWatchers), and a watch from
  before the list's revision then gets 410 Gone, so each client re-lists too.

Worked example (pods; the cache has seen revision 7):

    interrupt()     etcd-watch Synced -> Cancelled; a pod is created at revision 8, unseen
    compact(8)      etcd forgets revisions up to 8
    resume()        etcd-watch from 8: Unsynced -> Compacted; re-list at 8 (lists 2), client
                    watches ended; a new etcd watch from 9 (Synced)
    (a client)      watch from 7: 410 Gone "too old resource version: 7 (8)"; list, then watch
                    from 8, and it sees each pod created after the list

Delivery is asynchronous: each client watch has a queue flushed by the event loop.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from listwatch import errors
from listwatch.actions import Action, ActionSink, ObjectRef
from listwatch.apiserver import objects
from listwatch.apiserver.objects import Obj
from listwatch.apiserver.resources import Resource
from listwatch.apiserver.selectors import FieldSelector, LabelSelector, field_value
from listwatch.loop import Loop
from listwatch.machines.building import Machine
from listwatch.machines.callbacks import action, guard
from listwatch.store.mvcc import DELETE, Event
from listwatch.store.watch import EtcdWatcher, WatchableStore

ADDED, MODIFIED, DELETED, BOOKMARK, ERROR = "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"

#: The field whose exact value indexes watchers, per resource (as the cacher's IndexerFuncs):
#: a kubelet's watches pin its node's name, so an event reaches only the kubelet it concerns.
INDEXED_FIELDS = {"pods": "spec.nodeName", "nodes": "metadata.name"}


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One event of a watch. The same event goes to every watcher that sees the same change;
    `encoded` keeps its wire forms, so that each is made once (by the served API)."""

    type: str
    object: Obj
    encoded: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)


Handler = Callable[[WatchEvent], None]


def selection(labels: LabelSelector, fields: FieldSelector) -> Callable[[Mapping[str, Any]], bool]:
    """A predicate for objects that both selectors select."""
    if not labels.requirements and not fields.requirements:
        return lambda obj: True

    def selects(obj: Mapping[str, Any]) -> bool:
        if labels.requirements and not labels.matches((obj.get("metadata") or {}).get("labels")):
            return False
        return not fields.requirements or fields.matches(obj)

    return selects


class ClientWatch:
    """A client's watch: its selectors, its queue, and its state in the `api-watch` machine."""

    __slots__ = (
        "_selects",
        "actor",
        "api_watch",
        "bookmarks",
        "cache",
        "ended",
        "fields",
        "handler",
        "index_value",
        "labels",
        "namespace",
        "pending",
        "resource_version",
        "scheduled",
        "since",
    )

    def __init__(
        self,
        cache: WatchCache,
        *,
        namespace: str | None,
        labels: LabelSelector,
        fields: FieldSelector,
        handler: Handler,
        actor: str,
        bookmarks: bool,
        resource_version: str,
    ) -> None:
        self.cache = cache
        self.namespace = namespace
        self.labels = labels
        self.fields = fields
        self.handler = handler
        self.actor = actor
        self.bookmarks = bookmarks
        self.resource_version = resource_version
        self.api_watch = ""
        self.pending: deque[WatchEvent] = deque()
        self.scheduled = False
        self.index_value: str | None = None
        #: Called when the API server ends the watch (a re-list of its cache), not the client.
        self.ended: Callable[[], None] | None = None
        self.since = (
            0  # events up to this revision were sent at the start (initial state or replay)
        )
        self._selects = selection(labels, fields)

    def matches(self, obj: Mapping[str, Any]) -> bool:
        if self.namespace and (obj.get("metadata") or {}).get("namespace") != self.namespace:
            return False
        return self._selects(obj)

    @property
    def active(self) -> bool:
        return self.api_watch == "Streaming"

    def stop(self) -> None:
        """Stop the watch; nothing more is delivered (a dropped connection, or the client's
        choice)."""
        self.cache.stop(self)


class WatchCache:
    """Fans one resource's etcd events out to its client watches (the spec's `apiserver` owner of
    `api-watch`)."""

    def __init__(
        self,
        resource: Resource,
        etcd: WatchableStore,
        loop: Loop,
        *,
        machines: Mapping[str, Machine],
        sink: ActionSink | None = None,
    ) -> None:
        self.resource = resource
        self.etcd = etcd
        self.loop = loop
        self.sink = sink
        self._machine = machines["api-watch"]
        self._general: list[ClientWatch] = []
        self._indexed: dict[str, list[ClientWatch]] = {}
        self._index_field = INDEXED_FIELDS.get(resource.plural)
        self._prefix = resource.prefix(None)
        #: How many times the cache listed etcd (once at its start; once more per re-list).
        self.lists = 1
        #: The last revision seen from etcd, and the one the cache last listed at: a client watch
        #: from before the list gets 410 Gone (the cache holds no events older than its list).
        self.revision = self._listed = etcd.store.revision
        self.etcd_watcher = self._watch_etcd()

    # -- client side -------------------------------------------------------------------------------

    def watch(
        self,
        handler: Handler,
        *,
        namespace: str | None = None,
        labels: LabelSelector,
        fields: FieldSelector,
        resource_version: str = "",
        actor: str = "client",
        bookmarks: bool = False,
    ) -> ClientWatch:
        watch = ClientWatch(
            self,
            namespace=namespace,
            labels=labels,
            fields=fields,
            handler=handler,
            actor=actor,
            bookmarks=bookmarks,
            resource_version=resource_version,
        )
        self._machine.start(watch)
        self._machine.fire(self, watch, "start")
        return watch

    def stop(self, watch: ClientWatch) -> None:
        if self._machine.fire(self, watch, "stop") is None:
            return
        if watch.index_value is not None:
            group = self._indexed.get(watch.index_value, [])
            if watch in group:
                group.remove(watch)
            if not group:
                self._indexed.pop(watch.index_value, None)
        elif watch in self._general:
            self._general.remove(watch)
        watch.pending.clear()

    @guard
    def resource_version_available(self, watch: ClientWatch) -> bool:
        rv = watch.resource_version
        if rv in ("", "0"):
            return True
        return int(rv) >= self._oldest()

    def _oldest(self) -> int:
        """The oldest resourceVersion a watch may start from: the history before it is gone."""
        return max(self.etcd.store.compacted, self._listed)

    @action
    def send_initial_events(self, watch: ClientWatch) -> None:
        rv = watch.resource_version
        store = self.etcd.store
        # Events committed so far are sent now; those still on their way from etcd are skipped
        # when they arrive, so that nothing is sent twice.
        watch.since = store.revision
        if rv in ("", "0"):
            prefix = self.resource.prefix(watch.namespace)
            for kv in sorted(store.iter_prefix(prefix), key=lambda kv: kv.mod_revision):
                if watch.matches(kv.value):
                    self._enqueue(watch, WatchEvent(ADDED, kv.value))
        elif int(rv) < store.revision:
            for event in store.events_since(int(rv), self._prefix):
                self._route(watch, event)
        if self._index_field is not None:
            value = watch.fields.exact(self._index_field)
            if value is not None:
                watch.index_value = value
                self._indexed.setdefault(value, []).append(watch)
                return
        self._general.append(watch)

    @action
    def send_gone(self, watch: ClientWatch) -> None:
        rv = watch.resource_version
        oldest = self._oldest()
        error = errors.Gone(f"too old resource version: {rv} ({oldest})")
        self._enqueue(watch, WatchEvent(ERROR, error.status()))

    def bookmark(self) -> None:
        """Send a BOOKMARK with the current resourceVersion to every watch that asked for them."""
        rv = str(self.etcd.store.revision)
        kind = self.resource.kind
        api_version = self.resource.api_version
        for watch in self.watches():
            if watch.bookmarks and watch.active:
                self._enqueue(
                    watch,
                    WatchEvent(
                        BOOKMARK,
                        {
                            "kind": kind,
                            "apiVersion": api_version,
                            "metadata": {"resourceVersion": rv},
                        },
                    ),
                )

    def close(self) -> None:
        """Stop watching etcd and end every client watch (its resource is no longer served)."""
        self.etcd.cancel(self.etcd_watcher)
        for watch in self.watches():
            self.stop(watch)
            if watch.ended is not None:
                self.loop.call_soon(watch.ended)

    def watches(self) -> list[ClientWatch]:
        found = list(self._general)
        for group in self._indexed.values():
            found.extend(group)
        return found

    # -- etcd side ---------------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """Whether the cache's watch on etcd is open (neither broken nor being re-listed)."""
        return self.etcd_watcher.etcd_watch == "Synced"

    def interrupt(self) -> bool:
        """The cache's etcd watch breaks (etcd-watch `cancel`); False if it was not open."""
        return self.etcd.cancel(self.etcd_watcher)

    def resume(self) -> None:
        """Watch etcd again from the revision after the last one seen (`relist` if compacted)."""
        if not self.connected:
            self.etcd_watcher = self._watch_etcd()

    def _watch_etcd(self) -> EtcdWatcher:
        return self.etcd.watch(
            self._prefix, self.revision + 1, self._on_etcd_event, on_cancel=self._relist
        )

    def _relist(self, cause: Exception) -> None:
        """ErrCompacted: the cacher's reflector re-lists. It ends every client watch first (the
        cacher's terminateAllWatchers; each client watches again from its resourceVersion), lists
        (here: takes the store's revision, as this cache reads the store's objects directly) and
        watches etcd from after the list."""
        for watch in self.watches():
            self.stop(watch)
            if watch.ended is not None:
                self.loop.call_soon(watch.ended)
        self.lists += 1
        self.revision = self._listed = self.etcd.store.revision
        self.etcd_watcher = self._watch_etcd()

    def _on_etcd_event(self, event: Event) -> None:
        if event.revision <= self.revision:
            return  # already seen (a resumed watch replays from the revision after the last)
        self.revision = event.revision
        new = None if event.type == DELETE else event.kv.value
        old = event.prev.value if event.prev is not None else None
        if self.sink is not None:
            obj = new if new is not None else old
            self.sink(
                Action(
                    "notify",
                    "etcd",
                    "apiserver",
                    resource=self.resource.plural,
                    type=DELETED if new is None else (MODIFIED if old is not None else ADDED),
                    obj=ObjectRef.of(obj or {}),
                    revision=event.revision,
                    time=self.loop.clock.now(),
                    detail=f"watch event {'DELETE' if new is None else 'PUT'} at revision "
                    f"{event.revision}",
                )
            )
        candidates = self._general
        field = self._index_field
        if field is not None and self._indexed:
            extra: list[ClientWatch] = []
            for obj in (old, new):
                if obj is not None:
                    group = self._indexed.get(field_value(obj, field))
                    if group:
                        extra.extend(w for w in group if w not in extra)
            if extra:
                candidates = candidates + extra
        revision = event.revision
        shared: dict[str, WatchEvent] = {}
        for watch in candidates:
            if revision > watch.since:
                self._route(watch, event, shared)

    def _route(
        self, watch: ClientWatch, event: Event, shared: dict[str, WatchEvent] | None = None
    ) -> None:
        """Queue what `event` means to `watch`. Watchers that see the same change get the same
        WatchEvent (`shared`, per etcd event), so that it is encoded once for all of them."""
        new = None if event.type == DELETE else event.kv.value
        old = event.prev.value if event.prev is not None else None
        new_match = new is not None and watch.matches(new)
        old_match = old is not None and watch.matches(old)
        if not new_match and not old_match:
            return
        kind = (MODIFIED if old_match else ADDED) if new_match else DELETED
        made = shared.get(kind) if shared is not None else None
        if made is None:
            if new_match:
                assert new is not None
                made = WatchEvent(kind, new)
            else:
                assert old is not None
                made = WatchEvent(
                    DELETED, objects.replace(old, "metadata.resourceVersion", str(event.revision))
                )
            if shared is not None:
                shared[kind] = made
        self._enqueue(watch, made)

    def _enqueue(self, watch: ClientWatch, event: WatchEvent) -> None:
        watch.pending.append(event)
        if not watch.scheduled:
            watch.scheduled = True
            self.loop.call_soon(self._flush, watch)

    def _flush(self, watch: ClientWatch) -> None:
        watch.scheduled = False
        pending = watch.pending
        sink = self.sink
        while pending:
            event = pending.popleft()
            if sink is not None and event.type in (ADDED, MODIFIED, DELETED):
                sink(
                    Action(
                        "deliver",
                        "apiserver",
                        watch.actor,
                        resource=self.resource.plural,
                        type=event.type,
                        obj=ObjectRef.of(event.object),
                        revision=int(objects.rv_of(event.object) or 0),
                        time=self.loop.clock.now(),
                        detail=f"watch event {event.type}",
                    )
                )
            watch.handler(event)
            if event.type == ERROR:
                pending.clear()
                return
