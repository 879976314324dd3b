"""Writing a run as a trace: JSON Lines, in the shape of Kubernetes watch streams.

Core records are exactly what a watch sends: `{"type": "ADDED|MODIFIED|DELETED", "object": {...}}`
for Pods, Nodes and Events, so a trace reads like `kubectl get pods -w -o json
--output-watch-events` (and the same for events) on a real cluster. The simulator adds a record
per spec step, marked with type `STEP` (no Kubernetes watch sends that type), carrying the step's
id, whether a client could observe it, and the act that realised it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import IO, Any

from listwatch.apiserver.api import APIServer
from listwatch.apiserver.watchcache import BOOKMARK, ClientWatch, WatchEvent
from listwatch.flow import StepEvent

STEP = "STEP"
TRACED_RESOURCES = ("nodes", "pods", "events")


class TraceWriter:
    """Hands each record (a watch event or a step), in the order they happen, to `write`."""

    def __init__(self, write: Callable[[dict[str, Any]], None]) -> None:
        self.write = write
        self._watches: list[ClientWatch] = []
        self.records = 0

    @classmethod
    def to_stream(cls, stream: IO[str]) -> TraceWriter:
        """A writer of JSON Lines: one compact JSON object per line."""

        def write(record: dict[str, Any]) -> None:
            stream.write(json.dumps(record, separators=(",", ":")) + "\n")

        return cls(write)

    def observe(self, api: APIServer) -> None:
        """Watch pods, nodes and events from the beginning, as an all-seeing client would."""
        for resource in TRACED_RESOURCES:
            self._watches.append(api.watch(resource, self._on_watch, actor="trace"))

    def _on_watch(self, event: WatchEvent) -> None:
        if event.type != BOOKMARK:
            self._write({"type": event.type, "object": event.object})

    def step(self, event: StepEvent) -> None:
        action = event.action
        record: dict[str, Any] = {
            "type": STEP,
            "step": event.step.id,
            "observable": not event.step.internal,
            "time": round(action.time, 6),
            "actor": action.actor,
            "target": action.target,
            "action": action.action,
        }
        if action.obj is not None:
            record["object"] = {
                "kind": action.obj.kind,
                "namespace": action.obj.namespace,
                "name": action.obj.name,
                "uid": action.obj.uid,
            }
        if action.revision:
            record["revision"] = action.revision
        if action.detail:
            record["detail"] = action.detail
        if event.repeats:
            record["repeats"] = event.repeats
        self._write(record)

    def _write(self, record: dict[str, Any]) -> None:
        self.write(record)
        self.records += 1

    def close(self) -> None:
        for watch in self._watches:
            watch.stop()
