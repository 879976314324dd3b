"""What the web view shows, kept from a run's trace records (`listwatch.trace`): the pods as
`kubectl get pods -A -o wide` prints them, each pod's timeline (its steps, the change each write
made, its Events, the scheduler's explanations), the steps as they happen, and the machines' state
counts.

A journal is fed on one thread (the cluster's loop, or the reader of a trace file) and read on
others (the page's requests): every method takes its lock. A reader asks for what changed since
the sequence number it last saw (`since`); changes are coalesced per pod, so a page that falls
behind a burst of 5,000 pods gets each pod's latest row once, not every write.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from listwatch import printers, tracefile
from listwatch.apiserver import objects
from listwatch.apiserver.objects import Obj
from listwatch.spec.model import Spec
from listwatch.troubleshoot.diagnose import Diagnosis, diagnose
from listwatch.web import changes

#: The columns of the pods table: `kubectl get pods -A -o wide`.
COLUMNS = ("NAMESPACE", *printers.POD_COLUMNS, *printers.POD_WIDE_COLUMNS)
#: How many steps the "as they happen" log keeps; how many explanations a pod keeps.
RECENT_STEPS = 300
RECENT_EXPLANATIONS = 3
#: The most timeline entries a pod keeps: its first HISTORY_HEAD (how it came to be) and its
#: latest (a pod that restarts for hours writes without end).
MOST_HISTORY = 500
HISTORY_HEAD = 100
#: Pods whose steps came before their first watch event, kept until it comes.
EARLY_PODS = 1000
#: Deleted pods kept (their timelines stay readable) before the oldest is forgotten.
KEEP_DELETED = 2000

LIVE = "live"
TRACE = "trace"
REPORT = "report"


@dataclass
class _Pod:
    """One pod as the journal knows it; `seq` moves on every change to it, `row_seq` when its row
    changes."""

    uid: str
    obj: Obj
    seq: int
    row_seq: int
    history: list[dict[str, Any]] = field(default_factory=list)
    events: dict[str, Obj] = field(default_factory=dict)
    explanations: deque[Mapping[str, Any]] = field(
        default_factory=lambda: deque(maxlen=RECENT_EXPLANATIONS)
    )
    deleted: bool = False
    row: dict[str, Any] | None = None


class Journal:
    """The web view's state, fed by `add` (a trace record sink) and `set_machines`."""

    def __init__(self, spec: Spec, *, mode: str = LIVE, clock: Callable[[], float] = time.time):
        """`mode`: live (a served cluster; ages run on the wall clock `clock`), trace (a recorded
        run, read-only) or report (a finished run, written as one file)."""
        self.spec = spec
        self.mode = mode
        self._clock = clock
        self._cond = threading.Condition()
        self.seq = 0
        self._pods: dict[str, _Pod] = {}
        self._deleted: deque[str] = deque()
        self._forgotten: deque[tuple[int, str]] = deque(maxlen=KEEP_DELETED)
        self._nodes: dict[str, Obj] = {}
        self._early: dict[str, list[dict[str, Any]]] = {}
        self._recent: deque[dict[str, Any]] = deque(maxlen=RECENT_STEPS)
        self._step_counts: dict[str, int] = {}
        self._machines: dict[str, dict[str, int]] = {}
        self._machines_seq = 0
        self._time = 0.0
        self._latest_stamp = 0.0
        self._titles = {step.id: step.title for step in spec.flow.steps}
        self._internal = {step.id for step in spec.flow.steps if step.internal}
        self.closed = False

    # -- feeding ---------------------------------------------------------------------------------

    def add(self, record: Mapping[str, Any]) -> None:
        """One trace record: a watch event of a Pod, Node or Event, a STEP or an EXPLAIN."""
        kind = record.get("type")
        with self._cond:
            if kind == tracefile.STEP:
                self._step(record)
            elif kind == tracefile.EXPLAIN:
                self._explain(record)
            elif kind in ("ADDED", "MODIFIED", "DELETED"):
                obj = record.get("object")
                if isinstance(obj, dict):
                    self._object(str(kind), obj)
            else:
                return
            self._cond.notify_all()

    def add_record(self, record: tracefile.Record) -> None:
        """One record as `tracefile.read` yields it (a bare object counts as ADDED). A pod's row
        is made at once, so that a field of the wrong shape fails on its record's line."""
        if record.type in tracefile.SIMULATOR_TYPES:
            self.add(record.object)
            return
        if record.type in ("ADDED", "MODIFIED", "DELETED"):
            self.add({"type": record.type, "object": record.object})
        elif record.type is None:
            self.add({"type": "ADDED", "object": record.object})
        with self._cond:
            pod = self._pods.get(str((record.object.get("metadata") or {}).get("uid", "")))
            if pod is not None:
                self._row(pod)

    def set_machines(self, counts: Mapping[str, Mapping[str, int]]) -> None:
        """The machines' state counts (`building.StateCounts.snapshot`), when they changed."""
        fresh = {name: dict(states) for name, states in counts.items()}
        with self._cond:
            if fresh != self._machines:
                self._machines = fresh
                self._machines_seq = self._next()
                self._cond.notify_all()

    def close(self) -> None:
        """No more records will come (a trace read to its end, a cluster stopped)."""
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def _next(self) -> int:
        self.seq += 1
        return self.seq

    def _step(self, record: Mapping[str, Any]) -> None:
        step = str(record.get("step", ""))
        self._time = max(self._time, float(record.get("time") or 0.0))
        self._step_counts[step] = self._step_counts.get(step, 0) + 1
        ref = record.get("object") or {}
        uid = ref.get("uid", "")
        seq = self._next()
        entry = {
            "kind": "step",
            "seq": seq,
            "step": step,
            "title": self._titles.get(step, ""),
            "internal": step in self._internal,
            "time": record.get("time"),
            "actor": record.get("actor", ""),
            "target": record.get("target", ""),
            "action": record.get("action", ""),
            "detail": record.get("detail", ""),
            "revision": record.get("revision", 0),
            "repeats": record.get("repeats", ""),
        }
        self._recent.append(
            {
                "seq": seq,
                "step": step,
                "time": entry["time"],
                "actor": entry["actor"],
                "uid": uid,
                "object": "/".join(p for p in (ref.get("namespace"), ref.get("name")) if p),
            }
        )
        pod = self._pods.get(uid)
        if pod is not None:
            _remember(pod.history, entry)
            pod.seq = seq
        elif uid and ref.get("kind") == "Pod":
            # The steps before a pod's watch event (its create request, the write) wait for it.
            self._early.setdefault(uid, []).append(entry)
            while len(self._early) > EARLY_PODS:
                del self._early[next(iter(self._early))]

    def _explain(self, record: Mapping[str, Any]) -> None:
        pod = self._pods.get(str((record.get("pod") or {}).get("uid", "")))
        if pod is not None:
            pod.explanations.append(dict(record))
            pod.seq = self._next()

    def _object(self, kind: str, obj: Obj) -> None:
        what = obj.get("kind")
        meta = obj.get("metadata") or {}
        if what == "Pod":
            self._pod(kind, obj, meta)
        elif what == "Node":
            if kind == "DELETED":
                self._nodes.pop(meta.get("name", ""), None)
            else:
                self._nodes[meta.get("name", "")] = obj
        elif what == "Event":
            involved = obj.get("involvedObject") or {}
            pod = self._pods.get(involved.get("uid", ""))
            if pod is not None:
                self._stamp(obj.get("lastTimestamp") or obj.get("eventTime"))
                if kind == "DELETED":
                    pod.events.pop(meta.get("name", ""), None)
                else:
                    pod.events[meta.get("name", "")] = obj
                pod.seq = self._next()

    def _pod(self, kind: str, obj: Obj, meta: Mapping[str, Any]) -> None:
        uid = meta.get("uid", "")
        seq = self._next()
        pod = self._pods.get(uid)
        if pod is None:
            self._stamp(meta.get("creationTimestamp"))
            pod = self._pods[uid] = _Pod(uid, obj, seq, seq, self._early.pop(uid, []))
            before: Mapping[str, Any] | None = None
        else:
            before = pod.obj
        self._stamp(meta.get("deletionTimestamp"))
        _remember(
            pod.history,
            {
                "kind": "write",
                "seq": seq,
                "type": kind,
                "time": self._time,
                "revision": int(meta.get("resourceVersion") or 0),
                "changes": changes.diff(before, obj) if kind != "DELETED" else [],
            },
        )
        pod.obj, pod.seq, pod.row_seq = obj, seq, seq
        if kind == "DELETED" and not pod.deleted:
            pod.deleted = True
            self._deleted.append(uid)
            while len(self._deleted) > KEEP_DELETED:
                forgotten = self._deleted.popleft()
                self._pods.pop(forgotten, None)
                self._forgotten.append((seq, forgotten))

    def _stamp(self, stamp: Any) -> None:
        parsed = printers.parse_time(stamp) if isinstance(stamp, str) else None
        if parsed is not None:
            self._latest_stamp = max(self._latest_stamp, parsed.timestamp())

    # -- reading ---------------------------------------------------------------------------------

    def now(self) -> float:
        """The time ages are counted to: the wall clock when live, the latest time the records
        show otherwise."""
        return self._clock() if self.mode == LIVE else self._latest_stamp or self._clock()

    def snapshot(self) -> dict[str, Any]:
        """Everything the page shows at first, as JSON-ready data."""
        with self._cond:
            return {
                "mode": self.mode,
                "seq": self.seq,
                "now": self.now(),
                "closed": self.closed,
                "columns": COLUMNS,
                "steps": [
                    {
                        "id": s.id,
                        "title": s.title,
                        "internal": s.internal,
                        "sources": s.sources,
                        "targets": s.targets,
                    }
                    for s in self.spec.flow.steps
                ],
                "variants": {v.id: v.steps for v in self.spec.flow.variants},
                "pods": [self._row(pod) for pod in self._pods.values()],
                "stepCounts": dict(self._step_counts),
                "recent": list(self._recent),
                "machines": self._machine_list(),
            }

    def since(self, seq: int, *, timeout: float = 0.0) -> dict[str, Any]:
        """What changed after `seq`: the rows that changed, the pods touched in any way, the steps
        realised (the latest RECENT_STEPS), the step counts, the machines if they changed.
        Waits up to `timeout` seconds for a change first."""
        with self._cond:
            # Woken by every record, even one that changed nothing shown (a node's heartbeat):
            # wait on until something did.
            self._cond.wait_for(lambda: self.seq > seq or self.closed, timeout)
            pods = [self._row(p) for p in self._pods.values() if p.row_seq > seq]
            touched = [p.uid for p in self._pods.values() if p.seq > seq]
            known = self._pods.keys()
            return {
                "seq": self.seq,
                "now": self.now(),
                "closed": self.closed,
                "pods": pods,
                "touched": touched,
                "gone": [uid for at, uid in self._forgotten if at > seq and uid not in known],
                "recent": [r for r in self._recent if r["seq"] > seq],
                "stepCounts": dict(self._step_counts),
                "machines": self._machine_list() if self._machines_seq > seq else None,
            }

    def pod(self, uid: str) -> dict[str, Any] | None:
        """One pod's detail: its timeline, Events, explanations and the troubleshooting tree's
        finding."""
        with self._cond:
            pod = self._pods.get(uid)
            if pod is None:
                return None
            return {
                "row": self._row(pod),
                "object": pod.obj,
                "timeline": self._timeline(pod),
                "events": [self._event(e) for e in printers.sort_events(pod.events.values())],
                "explanations": list(pod.explanations),
                "diagnosis": self._diagnosis(pod),
            }

    def details(self) -> dict[str, dict[str, Any]]:
        """Every pod's detail, by uid (for a report written as one file)."""
        with self._cond:
            uids = list(self._pods)
        return {uid: detail for uid in uids if (detail := self.pod(uid)) is not None}

    def _row(self, pod: _Pod) -> dict[str, Any]:
        """The pod's row, made once per change of the pod (its AGE the page counts itself)."""
        if pod.row is None or pod.row["seq"] != pod.row_seq:
            pod.row = self._make_row(pod)
        return pod.row

    def _make_row(self, pod: _Pod) -> dict[str, Any]:
        obj = pod.obj
        created = printers.parse_time(objects.meta(obj).get("creationTimestamp"))
        stamp = created.timestamp() if created is not None else self.now()
        cells = printers.pod_row(obj, datetime.fromtimestamp(self.now(), UTC))
        return {
            "uid": pod.uid,
            "seq": pod.row_seq,
            "cells": [objects.namespace_of(obj), *cells],
            "created": stamp,
            "deleted": pod.deleted,
            "phase": (obj.get("status") or {}).get("phase", ""),
        }

    def _timeline(self, pod: _Pod) -> list[dict[str, Any]]:
        """The pod's steps in order, each with the change its write made; a write no step
        realised is an entry of its own."""
        writes = {w["revision"]: w for w in pod.history if w["kind"] == "write" and w["revision"]}
        claimed: set[int] = set()
        entries: list[dict[str, Any]] = []
        for entry in pod.history:
            if entry["kind"] == "step":
                shown = dict(entry)
                write = writes.get(entry["revision"])
                if write is not None and entry["revision"] not in claimed:
                    claimed.add(entry["revision"])
                    shown["change"] = changes.as_json(write["changes"])
                entries.append(shown)
        for entry in pod.history:
            if entry["kind"] == "write" and entry["revision"] not in claimed:
                shown = {k: v for k, v in entry.items() if k != "changes"}
                shown["change"] = changes.as_json(entry["changes"])
                entries.append(shown)
        entries.sort(key=lambda e: e["seq"])
        return entries

    def _event(self, event: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "type": event.get("type", ""),
            "reason": event.get("reason", ""),
            "message": event.get("message", ""),
            "count": event.get("count") or 1,
            "source": printers.event_source(event),
            "last": event.get("lastTimestamp") or event.get("eventTime") or "",
        }

    def _diagnosis(self, pod: _Pod) -> dict[str, Any] | None:
        tree = self.spec.troubleshooting
        if tree is None or pod.deleted:
            return None
        try:
            found: Diagnosis = diagnose(
                tree,
                _JournalSource(self, pod),
                objects.name_of(pod.obj),
                objects.namespace_of(pod.obj),
            )
        except (AttributeError, KeyError, TypeError, ValueError):
            return None  # a recorded pod of a shape the tree's checks cannot read: no finding
        return {
            "path": [{"id": n.id, "ask": n.ask, "answer": a} for n, a in found.path],
            "finding": found.finding.finding,
            "id": found.finding.id,
            "healthy": found.finding.healthy,
            "evidence": list(found.evidence),
            "fix": list(found.fix.commands) if found.fix is not None else [],
        }

    def _machine_list(self) -> list[dict[str, Any]]:
        return [
            {
                "name": m.name,
                "title": m.title,
                "owner": m.owner,
                "per": m.per,
                "states": m.state_names,
                "counts": self._machines.get(m.name, {}),
            }
            for m in self.spec.machines.values()
        ]


def _remember(history: list[dict[str, Any]], entry: dict[str, Any]) -> None:
    """Append `entry`; past MOST_HISTORY, forget the oldest entry after the first HISTORY_HEAD."""
    history.append(entry)
    if len(history) > MOST_HISTORY:
        del history[HISTORY_HEAD]


class _JournalSource:
    """The troubleshooting tree's `Source` over what the journal holds: the pod, its Events and
    the nodes. What only a live cluster can tell (logs, ports, answers) it cannot: None."""

    def __init__(self, journal: Journal, pod: _Pod) -> None:
        self._journal = journal
        self._pod = pod

    def pod(self, name: str, namespace: str) -> Obj | None:
        return self._pod.obj

    def events_for(self, pod: Obj) -> list[Obj]:
        return list(self._pod.events.values())

    def nodes(self) -> list[Obj]:
        return list(self._journal._nodes.values())

    def services(self, namespace: str) -> list[Obj]:
        return []

    def logs(self, pod: Obj, container: str, *, tail: int, previous: bool = False) -> str | None:
        return None

    def listening(self, pod: Obj, container: str) -> frozenset[int] | None:
        return None

    def answers(self, pod: Obj, port: int) -> bool | None:
        return None
