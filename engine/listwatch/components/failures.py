"""What a component does with an object it cannot handle: log it, count it, go on, retry later.

The choke points are the informer's dispatch (`client.informer.Informer`), where an exception
raised while a component handles one watch event is handed to `Failures.handled`, never to the
event loop, and the places where a component works on one object later, off its own queue (the
replication manager's sync, the scheduler's cycle). So a component outlives an odd object, as a
controller's worker outlives a failed sync in Kubernetes.

Guarantees:
- one log line per failure (logger `listwatch.components`, level ERROR) naming the component, the
  object's kind, namespace and name, and the error;
- every failure is appended to the shared `errors` list (the cluster's `component_errors`), which
  a test asserts is empty: a bug in a handler is caught here but never hidden;
- the object is handed to the component again on its next watch event, or, failing that (when
  the caller gives a `retry`), after a back-off of `RETRY_INITIAL` seconds, doubling, at most
  `RETRY_LIMIT` times, as a rate-limited work queue re-adds a failed key and then drops it. A
  retry re-delivers the event with the object as the informer's cache holds it then; none is made
  when a newer event came meanwhile.

Worked example (initial 1, limit 3): ADDED(rv 5) fails at t=0 -> retried at 1, fails -> at 3,
fails -> at 7, fails -> no more retries (four errors recorded). Had a MODIFIED(rv 6) come at t=2,
it would have been handed on at once and the retry at 3 (for rv 5) would do nothing; the count of
retries starts over only once the object is handled without error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from listwatch.apiserver.objects import Obj
from listwatch.loop import Loop

LOG = logging.getLogger("listwatch.components")

#: The first retry's delay, in seconds; each further one doubles it.
RETRY_INITIAL = 1.0
#: How many times a failed event is retried before the object waits for its next event.
RETRY_LIMIT = 5


@dataclass(frozen=True, slots=True)
class ComponentError:
    """One watch event a component failed to handle."""

    component: str
    kind: str
    namespace: str
    name: str
    event: str
    error: str

    def __str__(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.component}: cannot handle {self.event} {self.kind} {where}: {self.error}"


class Failures:
    """One component's failed events: the log line, the shared error list, the retries."""

    def __init__(self, *, actor: str, loop: Loop, errors: list[ComponentError]) -> None:
        self.actor = actor
        self.loop = loop
        self.errors = errors
        #: Per object key: how many retries its current failure has had.
        self._attempts: dict[str, int] = {}

    def succeeded(self, key: str) -> None:
        self._attempts.pop(key, None)

    def handled(
        self,
        *,
        key: str,
        event: str,
        obj: Obj,
        exc: Exception,
        retry: Callable[[], None] | None = None,
    ) -> None:
        """Record that handling `event` (a watch event's type, or the work done: `sync`) on `obj`
        raised `exc`; schedule `retry` if one is given and the limit is not reached."""
        meta = obj.get("metadata") or {}
        failure = ComponentError(
            component=self.actor,
            kind=str(obj.get("kind") or ""),
            namespace=str(meta.get("namespace") or ""),
            name=str(meta.get("name") or ""),
            event=event,
            error=f"{type(exc).__name__}: {exc}",
        )
        self.errors.append(failure)
        LOG.error("%s", failure)
        LOG.debug("%s: the traceback", self.actor, exc_info=exc)
        if retry is None:
            return
        attempts = self._attempts.get(key, 0)
        if attempts >= RETRY_LIMIT:
            self._attempts.pop(key, None)
            return
        self._attempts[key] = attempts + 1
        self.loop.call_later(RETRY_INITIAL * 2**attempts, retry)


def guarded_sync(
    failures: Failures | None,
    *,
    key: str,
    obj: Obj,
    sync: Callable[[], object],
    retry: Callable[[], None],
) -> None:
    """Run one object's sync. A failure is recorded and the object retried with back-off while
    the component goes on with the others; a success forgets its earlier failures. Without
    `failures` (a run that wants errors raised) the sync runs bare."""
    if failures is None:
        sync()
        return
    try:
        sync()
    except Exception as exc:  # this object waits for its retry; the others go on
        failures.handled(key=key, event="sync", obj=obj, exc=exc, retry=retry)
    else:
        failures.succeeded(key)
