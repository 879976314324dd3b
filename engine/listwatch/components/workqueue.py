"""The work queue every workload controller keeps: the objects of its kind it reconciles, by UID,
and their syncs, as client-go's workqueue gives a controller its keys.

An object is in the queue at most once: a change that arrives while its sync is queued is seen by
that sync. A sync that raises is reported and retried (`failures.guarded_sync`), and a sync may
ask to run again later (a back-off, a deadline). The controller keeps what is its own (its
machine, its caches of owned objects) and subclasses `Tracked` with its state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from listwatch.apiserver import objects
from listwatch.apiserver.objects import Obj
from listwatch.components.failures import Failures, guarded_sync
from listwatch.components.revisions import newer
from listwatch.loop import Loop, Timer


class Tracked:
    """An object under reconciliation: its latest version, whether a sync of it is queued, and
    the timer of a later one."""

    __slots__ = ("dirty", "obj", "timer", "uid")

    def __init__(self, obj: Obj) -> None:
        self.obj = obj
        self.uid = objects.uid_of(obj)
        self.dirty = False
        self.timer: Timer | None = None

    def cancel_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


T = TypeVar("T", bound=Tracked)


class WorkQueue(Generic[T]):
    """The tracked objects of one kind, and the syncs of each (`sync`, on the loop)."""

    def __init__(self, loop: Loop, sync: Callable[[T], None], failures: Failures | None) -> None:
        self.loop = loop
        self.sync = sync
        self.failures = failures
        self.items: dict[str, T] = {}

    def get(self, uid: str) -> T | None:
        return self.items.get(uid)

    def __iter__(self) -> Iterator[T]:
        return iter(list(self.items.values()))

    def changed(self, obj: Obj, track: Callable[[Obj], T]) -> T:
        """An ADDED or MODIFIED object: tracked on first sight (`track` makes it and starts its
        machine), else kept at its newer version; enqueued either way."""
        item = self.items.get(objects.uid_of(obj))
        if item is None:
            item = self.items[objects.uid_of(obj)] = track(obj)
        elif newer(obj, item.obj):
            item.obj = obj
        self.enqueue(item)
        return item

    def deleted(self, obj: Obj) -> T | None:
        """A DELETED object: no longer tracked (its later sync cancelled); the tracked object, if
        it was."""
        item = self.items.pop(objects.uid_of(obj), None)
        if item is not None:
            item.cancel_timer()
        return item

    def enqueue(self, item: T) -> None:
        if not item.dirty:
            item.dirty = True
            self.loop.call_soon(self._run, item)

    def later(self, item: T, delay: float, *, daemon: bool = False) -> None:
        """Sync `item` again after `delay` seconds, instead of any later sync already asked for.
        A daemon timer (a deadline far ahead) does not keep the loop busy by itself."""
        item.cancel_timer()
        item.timer = self.loop.call_later(delay, self.enqueue, item, daemon=daemon)

    def _run(self, item: T) -> None:
        item.dirty = False
        if self.items.get(item.uid) is not item:
            return
        guarded_sync(
            self.failures,
            key=f"sync {item.uid}",
            obj=item.obj,
            sync=lambda: self.sync(item),
            retry=lambda: self.enqueue(item),
        )
