"""Watch streams: from the loop thread's watch cache to one client's HTTP response on the event
loop that serves HTTP.

A `WatchStream` opens a watch in the API server's watch cache (on the cluster's loop thread),
whose handler appends each event to the stream's queue and wakes the stream's `pump` on the HTTP
event loop (`Wakeups`: one cross-thread call per burst, however many streams it wakes). `pump`
writes the queued events, several to one write when they pile up. Guarantees:
- the client sees exactly what the watch cache sends for its watch: from resourceVersion N the
  changes after N (no replay of older ones), from "" or "0" an ADDED per existing object first,
  and for a compacted N one ERROR event carrying a 410 Expired Status, after which the stream ends;
- with `sendInitialEvents=true` the ADDED events are followed by a BOOKMARK annotated
  `k8s.io/initial-events-end: "true"` at the revision they were read at (the WatchList protocol);
- a watcher that falls too far behind (more than `MAX_PENDING` events queued, or one write blocked
  for `SLOW_WATCHER_SECONDS`) is closed, as kube-apiserver's cacher closes an unresponsive
  watcher: the others never wait for it, and its client watches again from its resourceVersion;
- when the client goes away, its time is up, or the server stops, the watch is stopped in the
  watch cache: nothing is left behind.

Worked example (a kubelet's watch):

    open     -> watch cache: 1 watcher      loop thread: handler queues ADDED pod-a, wakes
    pump     -> writes ADDED pod-a          (waits: no timer, no polling, until the next wake)
    client goes away -> its pump is cancelled; close() -> watch cache: 0 watchers
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import Awaitable, Callable

from listwatch.apiserver.watchcache import BOOKMARK, ERROR, ClientWatch, WatchEvent
from listwatch.server.live import LiveCluster

#: A watch without timeoutSeconds ends after this long (kube-apiserver: 30-60 minutes).
DEFAULT_TIMEOUT_SECONDS = 1800.0
INITIAL_EVENTS_END = "k8s.io/initial-events-end"
#: Events queued for one watcher beyond which it is closed as unresponsive.
MAX_PENDING = 20_000
#: How long one write to a watcher may stay blocked (its client reads nothing) before the watcher
#: is closed as unresponsive.
SLOW_WATCHER_SECONDS = 30.0
#: Queued events are joined into one write up to about this many bytes.
BATCH_BYTES = 256 * 1024


class Wakeups:
    """Sets asyncio events of one event loop from other threads, with one `call_soon_threadsafe`
    per burst: a watch event that reaches 1,000 watchers costs one wake-up of the loop, not
    1,000."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._lock = threading.Lock()
        self._due: set[asyncio.Event] = set()
        self._scheduled = False

    def wake(self, event: asyncio.Event) -> None:
        with self._lock:
            self._due.add(event)
            if self._scheduled:
                return
            self._scheduled = True
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody is left to wake
            self.loop.call_soon_threadsafe(self._run)

    def _run(self) -> None:
        with self._lock:
            due, self._due = self._due, set()
            self._scheduled = False
        for event in due:
            event.set()


class WatchStream:
    """One client's watch on one resource, carried from the loop thread to the client's
    response."""

    def __init__(
        self,
        live: LiveCluster,
        resource: str,
        *,
        namespace: str | None = None,
        resource_version: str = "",
        label_selector: str = "",
        field_selector: str = "",
        allow_bookmarks: bool = False,
        send_initial_events: bool = False,
        actor: str = "client",
    ) -> None:
        self.live = live
        self.resource = resource
        self.namespace = namespace
        self.resource_version = resource_version
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.allow_bookmarks = allow_bookmarks
        self.send_initial_events = send_initial_events
        self.actor = actor
        self.pending: deque[WatchEvent] = deque()
        #: Set once the API server ended the watch without the client (a cut or a re-list).
        self.ended = False
        #: Set when more than MAX_PENDING events waited: the watcher is closed as unresponsive.
        self.overflowed = False
        self._notify: Callable[[], None] | None = None
        self._watch: ClientWatch | None = None
        self._closed = False

    def open(self) -> None:
        """Open the watch in the watch cache (blocking: call it off the HTTP event loop); a bad
        selector or resourceVersion raises BadRequest."""
        rv = (
            ""
            if self.send_initial_events and self.resource_version in ("", "0")
            else self.resource_version
        )
        self._watch = self.live.call(self._open_on_loop, rv)

    def _open_on_loop(self, rv: str) -> ClientWatch:
        api = self.live.api
        watch = api.watch(
            self.resource,
            self._deliver,
            namespace=self.namespace,
            resource_version=rv,
            label_selector=self.label_selector,
            field_selector=self.field_selector,
            actor=self.actor,
            allow_bookmarks=self.allow_bookmarks,
        )
        watch.ended = self._end
        if self.send_initial_events and watch.active:
            # Queued after the watch cache's flush of the initial ADDED events: it follows them.
            res = api.resource(self.resource)
            mark = {
                "kind": res.kind,
                "apiVersion": res.api_version,
                "metadata": {
                    "resourceVersion": str(watch.since),
                    "annotations": {INITIAL_EVENTS_END: "true"},
                },
            }
            api.loop.call_soon(self._deliver, WatchEvent(BOOKMARK, mark))
        return watch

    def _deliver(self, event: WatchEvent) -> None:
        """The watch cache's handler (on the loop thread)."""
        if self._closed:
            return
        self.pending.append(event)
        if len(self.pending) > MAX_PENDING:
            self.overflowed = True
        self._wake()

    def _end(self) -> None:
        self.ended = True
        self._wake()

    def _wake(self) -> None:
        notify = self._notify
        if notify is not None:
            notify()

    def listen(self, notify: Callable[[], None] | None) -> None:
        """Call `notify` (from any thread) whenever there is something new for the pump."""
        self._notify = notify

    def take(self, encode: Callable[[WatchEvent], bytes], limit: int) -> tuple[bytes, bool]:
        """The queued events, encoded and joined (up to about `limit` bytes), and whether an ERROR
        event was among them (the last one: the stream ends after it)."""
        parts: list[bytes] = []
        size = 0
        while self.pending and size < limit:
            event = self.pending.popleft()
            data = encode(event)
            parts.append(data)
            size += len(data)
            if event.type == ERROR:
                return b"".join(parts), True
        return b"".join(parts), False

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Stop the watch in the watch cache, without waiting (idempotent; harmless once the
        cluster has stopped)."""
        if self._closed:
            return
        self._closed = True
        self._notify = None
        watch = self._watch
        if watch is not None:
            self.live.post(watch.stop)


Send = Callable[[bytes], Awaitable[None]]


class Pump:
    """Writes one stream's events to its response until the stream ends (`run`).

    `run` returns why it ended: "error" (an ERROR event was sent: 410 Gone), "timeout"
    (timeoutSeconds passed), "stopping" (the server is shutting down), "cut" (the API server ended
    the watch), "slow" (the client fell too far behind). A client that goes away cancels the task
    that runs it. The watch is closed in every case.
    """

    def __init__(
        self,
        stream: WatchStream,
        send: Send,
        encode: Callable[[WatchEvent], bytes],
        *,
        wakeups: Wakeups,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self.stream = stream
        self.send = send
        self.encode = encode
        self.wakeups = wakeups
        self.timeout_seconds = timeout_seconds
        self.ready = asyncio.Event()
        self.stopping = False
        self.timed_out = False
        #: The loop time a write started at, while one is blocked; None between writes.
        self.writing_since: float | None = None

    def stop(self) -> None:
        """End the stream (the server is stopping); call on the event loop."""
        self.stopping = True
        self.ready.set()

    async def run(self) -> str:
        loop = asyncio.get_running_loop()
        stream = self.stream
        timer = loop.call_later(self.timeout_seconds, self._time_up)
        stream.listen(lambda: self.wakeups.wake(self.ready))
        try:
            while True:
                if self.stopping:
                    return "stopping"
                if stream.overflowed:
                    return "slow"
                if self.timed_out:
                    return "timeout"
                if not stream.pending:
                    if stream.ended:
                        return "cut"
                    self.ready.clear()
                    if not stream.pending and not stream.ended:
                        await self.ready.wait()
                    continue
                data, error = stream.take(self.encode, BATCH_BYTES)
                self.writing_since = loop.time()
                await self.send(data)
                self.writing_since = None
                if error:
                    return "error"
        finally:
            timer.cancel()
            stream.close()

    def _time_up(self) -> None:
        self.timed_out = True
        self.ready.set()

    def unresponsive(self, now: float) -> bool:
        """Whether the client has kept one write blocked for SLOW_WATCHER_SECONDS, or let more
        than MAX_PENDING events pile up."""
        since = self.writing_since
        return self.stream.overflowed or (since is not None and now - since > SLOW_WATCHER_SECONDS)
