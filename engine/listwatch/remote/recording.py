"""A recording of what a client sees of a cluster: watch streams of Pods, Events and Nodes, as a
trace.

`WatchRecorder` lists each resource, then watches it from the list's resourceVersion (so nothing
between the two is missed), and keeps every event as a trace record in the order it arrived:
`{"type": "ADDED|MODIFIED|DELETED|ERROR", "object": {...}}`, the shape of `kubectl get
pods -w -o json --output-watch-events` and of `listwatch check`'s input (`tracefile`).
The items of a list come as bare objects (a record without a watch type). When a watch ends (its
timeout) it is opened again from the last resourceVersion seen; a 410 Gone is kept as its ERROR
record and followed by a fresh list, as a reflector re-lists. BOOKMARKs move the resourceVersion
on and are not kept.

Guarantees: per resource, records are in the order the API sent them; across resources, in the
order they arrived (a watch of one resource gives no order against another's, as in Kubernetes).
`wait` wakes on every new record, so a caller waiting for the cluster to get somewhere re-reads
it when something changed, not on a timer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from listwatch import errors
from listwatch.apiserver.resources import RESOURCES
from listwatch.remote.kubeapi import KubeAPI, Watch

Obj = dict[str, Any]
GONE = 410
#: How long one watch request lasts before it is opened again (kube-apiserver's default is 30-60
#: minutes).
WATCH_SECONDS = 300
#: How long a broken watch waits before it is opened again.
RETRY_SECONDS = 1.0


class WatchRecorder:
    """Watches (plural, namespace) pairs and records their events; `stop` ends every watch at
    once."""

    def __init__(self, api: KubeAPI, watched: list[tuple[str, str | None]]) -> None:
        self.api = api
        self.watched = watched
        self._records: list[Obj] = []
        self._changed = threading.Condition()
        self._stopped = threading.Event()
        self._watches: dict[str, Watch] = {}
        self._threads: list[threading.Thread] = []
        self.errors: list[str] = []

    def start(self) -> None:
        """List each resource (recording what is there), then watch it on a thread of its own."""
        for plural, namespace in self.watched:
            rv = self._list(plural, namespace)
            thread = threading.Thread(
                target=self._watch,
                args=(plural, namespace, rv),
                name=f"listwatch-record-{plural}",
                daemon=True,
            )
            self._threads.append(thread)
            thread.start()

    def _list(self, plural: str, namespace: str | None) -> str:
        items, rv = self.api.list_at(plural, namespace=namespace)
        kind = RESOURCES[plural].kind
        for item in items:
            self._record({"apiVersion": "v1", "kind": kind, **item}, None)
        return rv

    def _record(self, obj: Obj, kind: str | None) -> None:
        with self._changed:
            self._records.append({"type": kind, "object": obj} if kind is not None else obj)
            self._changed.notify_all()

    def _watch(self, plural: str, namespace: str | None, rv: str) -> None:
        """One resource's watch, opened again after each end, until `stop`."""
        while not self._stopped.is_set():
            try:
                watch = self.api.watch(
                    plural, namespace=namespace, resource_version=rv, timeout=WATCH_SECONDS
                )
            except errors.APIError as exc:
                if exc.code != GONE:
                    raise
                rv = self._relist(
                    plural,
                    namespace,
                    {"kind": "Status", "code": GONE, "reason": "Expired", "message": str(exc)},
                )
                continue
            except errors.BackendUnavailable as exc:
                if not self._stopped.is_set():
                    self.errors.append(f"watch of {plural}: {exc}")
                    self._stopped.wait(RETRY_SECONDS)
                continue
            self._watches[plural] = watch
            if self._stopped.is_set():
                watch.close()
            try:
                rv = self._follow(plural, namespace, watch, rv)
            except errors.BackendUnavailable as exc:
                self.errors.append(f"watch of {plural}: {exc}")
                self._stopped.wait(RETRY_SECONDS)

    def _follow(self, plural: str, namespace: str | None, watch: Watch, rv: str) -> str:
        """Record a watch's events until it ends; the resourceVersion to go on from."""
        for event in watch:
            kind, obj = event.get("type"), event.get("object") or {}
            if kind == "BOOKMARK":
                rv = str((obj.get("metadata") or {}).get("resourceVersion") or rv)
                continue
            if kind == "ERROR":
                if obj.get("code") == GONE:
                    return self._relist(plural, namespace, obj)
                self._record(obj, "ERROR")
                return rv
            self._record(obj, str(kind))
            rv = str((obj.get("metadata") or {}).get("resourceVersion") or rv)
        return rv

    def _relist(self, plural: str, namespace: str | None, status: Obj) -> str:
        self._record(status, "ERROR")
        return self._list(plural, namespace)

    # -- reading -----------------------------------------------------------------------------------

    def records(self) -> list[Obj]:
        """Every record so far, in arrival order (a copy)."""
        with self._changed:
            return list(self._records)

    def records_since(self, index: int) -> list[Obj]:
        """The records that came after the first `index`, in arrival order."""
        with self._changed:
            return self._records[index:]

    def in_revision_order(self) -> list[Obj]:
        """Every record so far in the order the cluster wrote them, where that can be told.

        Watches of different resources have no order between them: a pod's update and the Event
        written after it may arrive the other way round, and the checker would see an effect
        before its cause (a replacement pod's SuccessfulCreate before the deletion that caused
        it). A cluster whose API server stores everything in one etcd gives every write one
        global revision, which is the resourceVersion; when every record's resourceVersion is an
        integer, the records are put in that order (a record without one, an ERROR, keeps its
        place after the record before it). Kubernetes tells clients not to compare
        resourceVersions, and a cluster that keeps Events in an etcd of their own
        (`--etcd-servers-overrides`) breaks this: there, and whenever a resourceVersion is not an
        integer, the arrival order is kept.
        """
        records = self.records()
        keyed: list[tuple[int, int, Obj]] = []
        last = 0
        for index, record in enumerate(records):
            obj = (
                record.get("object")
                if "type" in record and isinstance(record.get("object"), dict)
                else record
            )
            rv = str(((obj or {}).get("metadata") or {}).get("resourceVersion") or "")
            if rv:
                if not rv.isdigit():
                    return records
                last = int(rv)
            keyed.append((last, index, record))
        keyed.sort(key=lambda item: (item[0], item[1]))
        return [record for _, _, record in keyed]

    def __len__(self) -> int:
        with self._changed:
            return len(self._records)

    def wait(self, condition: Callable[[], bool], *, timeout: float, recheck: float = 1.0) -> bool:
        """Wait until `condition()` holds, checking it again on every new record (and at least every
        `recheck` seconds, for what no watched resource shows), for at most `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            seen = len(
                self
            )  # before the check: a record that comes during it ends the wait at once
            if condition():
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.wait_past(seen, timeout=min(left, recheck))

    def quiet(self, *, seconds: float, timeout: float) -> bool:
        """Wait until no record has come for `seconds` (the cluster has settled), at most
        `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen = len(self)
            if not self.wait_past(
                seen, timeout=min(seconds, max(0.0, deadline - time.monotonic()))
            ):
                return True
        return False

    def wait_past(self, seen: int, *, timeout: float) -> bool:
        """Wait until there are more than `seen` records; whether there are."""
        with self._changed:
            return self._changed.wait_for(lambda: len(self._records) > seen, timeout=timeout)

    def stop(self) -> None:
        """End every watch (their threads wake at once) and wait for the threads."""
        self._stopped.set()
        for watch in list(self._watches.values()):
            watch.close()
        for thread in self._threads:
            thread.join(10)
