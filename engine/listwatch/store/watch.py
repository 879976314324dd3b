"""Watches on the MVCC store, as etcd's watchable store runs them.

A watcher starts at a revision (inclusive, as in etcd). It begins *unsynced*: the history from its
start revision is replayed to it; then it is *synced* and receives each event as it is committed.
If its start revision was compacted it is cancelled with `CompactedError` instead. These states and
their order come from the spec's `etcd-watch` machine.

Delivery is asynchronous: committed events are handed to `schedule` (the event loop), never
delivered inside the writer's call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from listwatch import errors
from listwatch.machines.building import Machine
from listwatch.machines.callbacks import action, guard
from listwatch.store.mvcc import Event, MVCCStore

Deliver = Callable[[Event], None]


class EtcdWatcher:
    """One watch on a key prefix, from a start revision."""

    __slots__ = ("deliver", "error", "etcd_watch", "on_cancel", "prefix", "start_revision")

    def __init__(
        self,
        prefix: str,
        start_revision: int,
        deliver: Deliver,
        on_cancel: Callable[[Exception], None],
    ) -> None:
        self.prefix = prefix
        self.start_revision = start_revision
        self.deliver = deliver
        self.on_cancel = on_cancel
        self.etcd_watch = ""
        self.error: Exception | None = None


class WatchableStore:
    """The store plus its watchers (the spec's `etcd` owner)."""

    def __init__(
        self, store: MVCCStore, *, schedule: Callable[..., None], machines: Mapping[str, Machine]
    ) -> None:
        self.store = store
        self._schedule = schedule
        self._machine = machines["etcd-watch"]
        self._synced: list[EtcdWatcher] = []
        store.subscribe(self._on_commit)

    def watch(
        self,
        prefix: str,
        start_revision: int,
        deliver: Deliver,
        *,
        on_cancel: Callable[[Exception], None] = lambda exc: None,
    ) -> EtcdWatcher:
        """Watch keys under `prefix` from `start_revision` (inclusive; 0 means from now on)."""
        watcher = EtcdWatcher(prefix, start_revision, deliver, on_cancel)
        self._machine.start(watcher)
        self._machine.fire(self, watcher, "sync")
        return watcher

    def cancel(self, watcher: EtcdWatcher) -> bool:
        """Cancel a synced watcher (its connection broke, or its client closed it): nothing more is
        delivered to it, not even events already committed; False if it was not synced."""
        if self._machine.fire(self, watcher, "cancel") is None:
            return False
        self._synced.remove(watcher)
        return True

    @guard
    def start_revision_available(self, watcher: EtcdWatcher) -> bool:
        return watcher.start_revision == 0 or watcher.start_revision > self.store.compacted

    @action
    def replay_history(self, watcher: EtcdWatcher) -> None:
        if watcher.start_revision:
            for event in self.store.events_since(watcher.start_revision - 1, watcher.prefix):
                self._schedule(self._deliver, watcher, event)
        self._synced.append(watcher)

    @action
    def cancel_compacted(self, watcher: EtcdWatcher) -> None:
        watcher.error = errors.CompactedError(watcher.start_revision, self.store.compacted)
        self._schedule(watcher.on_cancel, watcher.error)

    def _on_commit(self, event: Event) -> None:
        key = event.kv.key
        for watcher in self._synced:
            if key.startswith(watcher.prefix):
                self._schedule(self._deliver, watcher, event)

    @staticmethod
    def _deliver(watcher: EtcdWatcher, event: Event) -> None:
        if watcher.etcd_watch == "Synced":  # a watcher cancelled meanwhile gets nothing more
            watcher.deliver(event)

    @property
    def watchers(self) -> int:
        return len(self._synced)


def owner_classes() -> dict[str, type[Any]]:
    return {"etcd": WatchableStore}
