"""List-Watch on the client side: a reflector feeding a cache and a component's handlers.

Each informer runs the spec's `list-watch` machine (owner `reflector`). Its guarantees, as
client-go's shared informer states them:
- the cache converges on the API server's state (eventual consistency);
- handlers see, per object, a subsequence of its states in order; nothing about the order
  across objects;
- after a 410 Gone the informer re-lists, and the difference between its cache and the new list
  reaches the handlers as ADDED / MODIFIED / DELETED: no change is lost, none is delivered twice
  (an object whose resourceVersion did not change produces no event);
- given `failures`, a handler that raises never stops dispatch: the failure goes to `failures`
  (which logs, records and retries it), and an object whose ADDED failed is handed on as ADDED
  again on its next event, so a component never meets a MODIFIED for an object it never took in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from listwatch.apiserver import objects
from listwatch.apiserver.api import APIServer
from listwatch.apiserver.objects import Obj
from listwatch.apiserver.watchcache import (
    ADDED,
    BOOKMARK,
    DELETED,
    ERROR,
    MODIFIED,
    ClientWatch,
    WatchEvent,
)
from listwatch.loop import Loop
from listwatch.machines.building import Machine
from listwatch.machines.callbacks import action, guard


@dataclass(frozen=True, slots=True)
class InformerEvent:
    """A change as a handler sees it: the new object (or the last known one, for DELETED) and the
    old."""

    type: str
    object: Obj
    old: Obj | None = None


Handler = Callable[[InformerEvent], None]


class HandlerFailures(Protocol):
    """Where an exception raised by a handler goes (`components.failures.Failures`)."""

    def handled(
        self, *, key: str, event: str, obj: Obj, exc: Exception, retry: Callable[[], None]
    ) -> None: ...

    def succeeded(self, key: str) -> None: ...


class Informer:
    """List, then watch from the list's resourceVersion; re-list after 410 Gone."""

    def __init__(
        self,
        api: APIServer,
        loop: Loop,
        resource: str,
        *,
        machine: Machine,
        handlers: Mapping[str, Handler],
        actor: str,
        namespace: str | None = None,
        label_selector: str = "",
        field_selector: str = "",
        failures: HandlerFailures | None = None,
    ) -> None:
        """With `failures`, an exception a handler raises is handed to it and dispatch goes on
        with the next event; without, it propagates to the caller (the event loop)."""
        self.api = api
        self.loop = loop
        self.resource = resource
        self.machine = machine
        self.handlers = dict(handlers)
        self.actor = actor
        self.namespace = namespace
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.failures = failures
        self.cache: dict[str, Obj] = {}
        self.resource_version = ""
        self.list_watch = ""
        self.lists = 0
        self._watch: ClientWatch | None = None
        self._pending: list[Obj] = []
        #: Objects whose ADDED a handler failed on: their next MODIFIED is handed on as ADDED.
        self._unadded: set[str] = set()
        machine.start(self)

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        self.machine.fire(self, self, "start")

    def stop(self) -> None:
        self.machine.fire(self, self, "stop")

    def drop_watch(self) -> None:
        """Cut the watch as a lost connection would; the informer resumes from its
        resourceVersion."""
        if self._watch is not None:
            self._watch.stop()
            self._watch = None
        self.loop.call_soon(self.machine.fire, self, self, "watch_ended")

    @property
    def synced(self) -> bool:
        return self.list_watch == "Watching"

    # -- the list-watch machine's callbacks --------------------------------------------------------

    @action
    def list(self, _: Any = None) -> None:
        result = self.api.list(
            self.resource,
            namespace=self.namespace,
            label_selector=self.label_selector,
            field_selector=self.field_selector,
        )
        self.lists += 1
        self._pending = result.items
        self.resource_version = result.resource_version
        # The list's response arrives later than its request, like any API call.
        self.loop.call_soon(self.machine.fire, self, self, "listed")

    @action
    def replace_cache(self, _: Any = None) -> None:
        listed = {_key(obj): obj for obj in self._pending}
        self._pending = []
        old_cache, self.cache = self.cache, listed
        for key, obj in listed.items():
            old = old_cache.get(key)
            if old is None:
                self._dispatch(InformerEvent(ADDED, obj))
            elif objects.rv_of(old) != objects.rv_of(obj):
                self._dispatch(InformerEvent(MODIFIED, obj, old))
        for key, old in old_cache.items():
            if key not in listed:
                self._dispatch(InformerEvent(DELETED, old, old))

    @action
    def watch(self, _: Any = None) -> None:
        self._watch = self.api.watch(
            self.resource,
            self._on_event,
            namespace=self.namespace,
            resource_version=self.resource_version,
            label_selector=self.label_selector,
            field_selector=self.field_selector,
            actor=self.actor,
            allow_bookmarks=True,
        )
        watch = self._watch
        watch.ended = lambda: self._watch_closed(watch)

    @guard
    def resource_version_known(self, _: Any = None) -> bool:
        return bool(self.resource_version)

    @action
    def stop_watch(self, _: Any = None) -> None:
        if self._watch is not None:
            self._watch.stop()
            self._watch = None

    # -- events -----------------------------------------------------------------------------------

    def _watch_closed(self, watch: ClientWatch) -> None:
        """The API server ended the watch (its cache re-listed): resume from our resourceVersion."""
        if self._watch is watch:
            self._watch = None
            self.machine.fire(self, self, "watch_ended")

    def _on_event(self, event: WatchEvent) -> None:
        kind = event.type
        if kind == ERROR:
            self._watch = None
            if event.object.get("code") == 410:
                self.resource_version = ""
                self.machine.fire(self, self, "expired")
            else:
                self.machine.fire(self, self, "watch_ended")
            return
        obj = event.object
        self.resource_version = objects.rv_of(obj) or self.resource_version
        if kind == BOOKMARK:
            return
        key = _key(obj)
        old = self.cache.get(key)
        if kind == DELETED:
            self.cache.pop(key, None)
        else:
            self.cache[key] = obj
        self._dispatch(InformerEvent(kind, obj, old))

    def _dispatch(self, event: InformerEvent) -> None:
        if self.failures is None:
            handler = self.handlers.get(event.type)
            if handler is not None:
                handler(event)
            return
        key = _key(event.object)
        if event.type == MODIFIED and key in self._unadded:
            event = InformerEvent(ADDED, event.object)  # the component never took it in
        elif event.type == DELETED:
            self._unadded.discard(key)
        handler = self.handlers.get(event.type)
        if handler is None:
            return
        try:
            handler(event)
        except Exception as exc:  # the component goes on; `failures` logs, records and retries
            if event.type == ADDED:
                self._unadded.add(key)
            self.failures.handled(
                key=key,
                event=event.type,
                obj=event.object,
                exc=exc,
                retry=lambda: self._retry(key, event),
            )
        else:
            self._unadded.discard(key)
            self.failures.succeeded(key)

    def _retry(self, key: str, event: InformerEvent) -> None:
        """Hand a failed event to its handler again, unless a newer event for the object came
        meanwhile (it was handed on then) or the informer no longer watches."""
        if not self.synced:
            return
        current = self.cache.get(key)
        if event.type == DELETED:
            if current is None:
                self._dispatch(event)
        elif current is not None and objects.rv_of(current) == objects.rv_of(event.object):
            self._dispatch(event)


def _key(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    namespace = meta.get("namespace")
    return f"{namespace}/{meta.get('name')}" if namespace else str(meta.get("name"))


def owner_classes() -> dict[str, type]:
    return {"reflector": Informer}
