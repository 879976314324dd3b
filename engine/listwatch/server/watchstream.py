"""Watch streams across threads: from the loop thread's watch cache to one HTTP connection.

A `WatchStream` opens a watch in the API server's watch cache (on the loop thread), whose
handler puts each event on a thread-safe queue; the connection's thread takes events off the
queue and writes each as one chunk of a chunked HTTP response (`pump`). Guarantees:
- the client sees exactly what the watch cache sends for its watch: from resourceVersion N the
  changes after N (no replay of older ones), from "" or "0" an ADDED per existing object first,
  and for a compacted N one ERROR event carrying a 410 Expired Status, after which the stream ends;
- with `sendInitialEvents=true` the ADDED events are followed by a BOOKMARK annotated
  `k8s.io/initial-events-end: "true"` at the revision they were read at (the WatchList protocol);
- when the client goes away (a failed write, or the socket found closed while the stream is idle)
  or the server stops, the watch is stopped in the watch cache: nothing is left behind.

Worked example (a dropped client):

    open   -> watch cache: 1 watcher       the handler queues ADDED pod-a
    pump   -> writes ADDED pod-a           (idle: every `poll` seconds, is the peer gone?)
    client closes its socket               peer_gone() is True
    pump returns; close()                  watch cache: 0 watchers
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import Protocol

from listwatch.apiserver.watchcache import BOOKMARK, ERROR, ClientWatch, WatchEvent
from listwatch.server.live import LiveCluster

#: How long the stream waits for an event before it checks whether the client is still there.
DEFAULT_POLL_SECONDS = 0.25
#: A watch without timeoutSeconds ends after this long (kube-apiserver: 30-60 minutes).
DEFAULT_TIMEOUT_SECONDS = 1800.0
INITIAL_EVENTS_END = "k8s.io/initial-events-end"


class Sink(Protocol):
    """Where a stream's chunks go: `write` raises OSError once the peer is gone."""

    def write(self, chunk: bytes) -> None: ...

    def peer_gone(self) -> bool: ...


class WatchStream:
    """One client's watch on one resource, carried from the loop thread to the client's thread."""

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
        self._queue: queue.SimpleQueue[WatchEvent] = queue.SimpleQueue()
        self._watch: ClientWatch | None = None
        self._closed = threading.Event()

    def open(self) -> None:
        """Open the watch in the watch cache; a bad selector or resourceVersion raises
        BadRequest."""
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
            self._queue.put,
            namespace=self.namespace,
            resource_version=rv,
            label_selector=self.label_selector,
            field_selector=self.field_selector,
            actor=self.actor,
            allow_bookmarks=self.allow_bookmarks,
        )
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
            api.loop.call_soon(self._queue.put, WatchEvent(BOOKMARK, mark))
        return watch

    def next(self, timeout: float) -> WatchEvent | None:
        """The next event, or None when none came within `timeout` seconds."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    @property
    def cut(self) -> bool:
        """Whether the API server stopped the watch without the client (the control API cut it) and
        everything queued before was sent: the stream then ends, as a dropped connection ends it."""
        watch = self._watch
        return watch is not None and watch.api_watch == "Stopped" and self._queue.empty()

    def close(self) -> None:
        """Stop the watch in the watch cache (idempotent; safe once the server has stopped)."""
        if self._closed.is_set():
            return
        self._closed.set()
        watch = self._watch
        if watch is not None and self.live.running:
            try:
                self.live.call(watch.stop, timeout=5.0)
            except Exception:
                self.live.post(watch.stop)


def pump(
    stream: WatchStream,
    sink: Sink,
    encode: Callable[[WatchEvent], bytes],
    *,
    stopping: threading.Event,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    poll: float = DEFAULT_POLL_SECONDS,
) -> str:
    """Write the stream's events to `sink` until it ends; return why it ended.

    The reasons: "error" (an ERROR event was sent: 410 Gone), "timeout" (timeoutSeconds passed),
    "gone" (the client went away), "stopping" (the server is shutting down), "cut" (the API server
    stopped the watch: `control`). The watch is closed in every case.
    """
    deadline = time.monotonic() + timeout_seconds
    try:
        while True:
            if stopping.is_set():
                return "stopping"
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return "timeout"
            event = stream.next(min(poll, remaining))
            if event is None:
                if sink.peer_gone():
                    return "gone"
                if stream.cut:
                    return "cut"
                continue
            try:
                sink.write(encode(event))
            except OSError:
                return "gone"
            if event.type == ERROR:
                return "error"
    finally:
        stream.close()
