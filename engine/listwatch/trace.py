"""Writing a run as a trace: JSON Lines, in the shape of Kubernetes watch streams.

Core records are exactly what a watch sends: `{"type": "ADDED|MODIFIED|DELETED", "object": {...}}`
for Pods, Nodes and Events, so a trace reads like `kubectl get pods -w -o json
--output-watch-events` (and the same for events) on a real cluster. The simulator adds a record
per spec step, marked with type `STEP` (no Kubernetes watch sends that type), carrying the step's
id, whether a client could observe it, and the act that realised it.

A second simulator record, type `EXPLAIN`, is the scheduler's explanation of one scheduling
attempt (`listwatch.components.scheduler.explain`), written when the attempt ends (before the
binding, or with the PodScheduled=False condition):

    {"type": "EXPLAIN", "time": <sim seconds>, "attempt": <1-based, per pod>,
     "pod": {"namespace", "name", "uid"}, "evaluated": <nodes evaluated>, "total": <nodes>,
     "filters": [{"plugin"}], "scores": [{"plugin", "weight"}],   # the profile's plugins, in order
     "nodes": [{"node", "feasible", "filters": [{"plugin", "verdict": "Passed|Rejected|Skipped",
                "reason"}], "scores": [{"plugin", "raw", "normalized", "weight", "weighted"}],
                "total": <int or null>}],                 # scores [] and total null: not scored
     "ranking": [<feasible nodes, best first>], "chosen": <node or null>, "scored": <bool>,
     "message": <the FitError the pod's PodScheduled condition got, or "">}

`tied` (the nodes sharing the top total, one drawn at random) and `error` (the attempt failed on
an error, not a misfit) appear when they apply. The checker ignores EXPLAIN records.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import IO, Any

from listwatch.apiserver.api import APIServer
from listwatch.apiserver.watchcache import BOOKMARK, ClientWatch, WatchEvent
from listwatch.flow import StepEvent

STEP = "STEP"
EXPLAIN = "EXPLAIN"
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

    def explain(self, record: Mapping[str, Any]) -> None:
        """An EXPLAIN record: a scheduling attempt's explanation (`Cluster.on_explain` hands them
        over)."""
        self._write({**record, "type": EXPLAIN})

    def _write(self, record: dict[str, Any]) -> None:
        self.write(record)
        self.records += 1

    def close(self) -> None:
        for watch in self._watches:
            watch.stop()
