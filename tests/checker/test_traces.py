"""Good traces for the checker's own tests: recorded runs that keep to the spec, and how to edit
them.

A good trace is a real cluster's recording (`../shared/real-world/`, read where it is) or a run
of the memory backend recorded in-process, as `listwatch run --trace` writes it. `Trace` is a
working copy that tests read and edit in the trace's own shape (watch events, or the bare objects
of an array). The checker must accept every good trace, and every legal variation of one: what a
watcher may see differently (a watch started late, states coalesced, Events lost or ahead of the
pod, no STEP records). `test_mutants` breaks them instead.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from listwatch import checker, tracefile
from listwatch.checker.projection import Projection
from listwatch.cluster import Cluster
from listwatch.engine import Engine
from tests import recorded
from tests.builders import pod
from tests.conftest import REAL_WORLD

Value = dict[str, Any]

# -- good traces -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Good:
    """A trace that keeps to the spec: its JSON values, and the verdicts its pods must get."""

    name: str
    values: tuple[Value, ...]
    verdicts: frozenset[str]


#: The recordings from real clusters, with the verdict each pod gets (their README says what each
#: shows).
REAL: dict[str, str] = {
    "21_watch_pod_create_success.json": "pass",
    "22_watch_pod_errimagepull_imagepullbackoff.json": "inconclusive",
    "24_watch_pod_unschedulable_insufficient_memory.json": "inconclusive",
    "27_watch_pod_completed_restart_never_succeeded.json": "pass",
    "29_watch_raw_pod_create_to_running_2017.jsonl": "pass",
    "31_watch_raw_pod_create_to_running_2016_v1.2era.jsonl": "pass",
}


def read_real(name: str) -> tuple[Value, ...]:
    """A real recording as JSON values: bare objects stay bare, watch events keep their type."""
    values = []
    for record in tracefile.read(REAL_WORLD / name):
        obj = dict(record.object)
        values.append(obj if record.type is None else {"type": record.type, "object": obj})
    return tuple(values)


#: Runs of the memory backend: (what is done, the verdict every pod gets).
SIMULATED: dict[str, tuple[Callable[[Cluster], object], str]] = {
    "a ReplicationController scaled up and a replica deleted": (recorded.replicas, "pass"),
    "an image upgrade": (recorded.upgrade, "pass"),
    "a CrashLoopBackOff pod": (
        recorded.for_seconds(
            pod("crash", image="busybox:1.36", command=["sh", "-c", "exit 1"]), 120
        ),
        "pass",
    ),
    "an ErrImagePull pod": (recorded.for_seconds(pod("bad", image="nope:1"), 60), "inconclusive"),
    "an unschedulable pod, then a node labelled to match": (recorded.labelled_later, "pass"),
    "a pod no node fits": (
        recorded.settled(pod("web", node_selector={"cz": "carol"})),
        "inconclusive",
    ),
    "exit 0 under restartPolicy Never": (
        recorded.settled(
            pod("ok", image="busybox:1.36", command=["sh", "-c", "exit 0"], restart_policy="Never")
        ),
        "pass",
    ),
    "exit 3 under restartPolicy Never": (
        recorded.settled(
            pod("ko", image="busybox:1.36", command=["sh", "-c", "exit 3"], restart_policy="Never")
        ),
        "pass",
    ),
    "a nodeName pod": (recorded.settled(pod("web", node_name="node02")), "pass"),
    "a nodeName pod its node rejects": (
        recorded.settled(pod("web", node_name="node01", node_selector={"cz": "bob"})),
        "pass",
    ),
    "a pod deleted": (
        lambda c: (c.apply(pod("web")), c.settle(), c.delete("pods", "web"), c.settle()),
        "pass",
    ),
}
TUTORIAL = "the tutorial (listwatch run --trace)"
GOOD_NAMES = [TUTORIAL, *SIMULATED, *REAL]


def good_traces(engine: Engine, tmp: Path) -> dict[str, Good]:
    """Every good trace there is here: the simulated ones always, the real ones where they are."""
    traces = {TUTORIAL: Good(TUTORIAL, tuple(recorded.tutorial(tmp)), frozenset({"pass"}))}
    for name, (act, verdict) in SIMULATED.items():
        traces[name] = Good(name, tuple(recorded.record(engine, act)), frozenset({verdict}))
    if REAL_WORLD.is_dir():
        for name, verdict in REAL.items():
            traces[name] = Good(name, read_real(name), frozenset({verdict}))
    return traces


# -- reading and editing a trace -------------------------------------------------------------------


def obj_of(value: Value) -> Value:
    """The object a JSON value of a trace is about: a watch event's object, or the bare object
    itself."""
    return value["object"] if value.get("type") in tracefile.WATCH_TYPES else value


def is_step(value: Value) -> bool:
    return value.get("type") == tracefile.STEP


def kind_of(value: Value) -> str:
    return "" if is_step(value) else str(obj_of(value).get("kind", ""))


def rv_of(obj: Value) -> int | None:
    rv = (obj.get("metadata") or {}).get("resourceVersion")
    return int(rv) if isinstance(rv, str) and rv.isdigit() else None


def rv_str(obj: Value) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion", ""))


def node_of(obj: Value) -> str:
    return str((obj.get("spec") or {}).get("nodeName") or "")


def phase_of(obj: Value) -> str:
    return str((obj.get("status") or {}).get("phase") or "")


def containers_of(obj: Value) -> list[Value]:
    return list((obj.get("status") or {}).get("containerStatuses") or ())


def started(obj: Value) -> bool:
    """A container of the pod runs or has run: what the spec's LW-12 shows (`containers:
    started`)."""
    return any(
        "running" in (c.get("state") or {}) or "terminated" in (c.get("state") or {})
        for c in containers_of(obj)
    )


def condition_of(obj: Value, type_: str) -> str | None:
    for c in (obj.get("status") or {}).get("conditions") or ():
        if c.get("type") == type_:
            return str(c.get("status"))
    return None


def set_condition(obj: Value, type_: str, status: str | None, *, reason: str = "") -> None:
    """Set a condition's status (None removes it)."""
    conditions = [
        c for c in (obj.setdefault("status", {}).get("conditions") or ()) if c.get("type") != type_
    ]
    if status is not None:
        conditions.append(
            {"type": type_, "status": status, **({"reason": reason} if reason else {})}
        )
    obj["status"]["conditions"] = conditions


def unbind(obj: Value) -> None:
    """No node: spec.nodeName and the PodScheduled condition gone."""
    obj["spec"].pop("nodeName", None)
    set_condition(obj, "PodScheduled", None)


def running_containers(obj: Value) -> list[Value]:
    """A status for each container of the spec, running, as the kubelet reports it."""
    return [
        {
            "name": c["name"],
            "image": c["image"],
            "ready": True,
            "restartCount": 0,
            "state": {"running": {"startedAt": "2025-01-01T00:00:00Z"}},
        }
        for c in obj["spec"]["containers"]
    ]


def running(obj: Value) -> None:
    """Phase Running with every container running."""
    obj["status"]["phase"] = "Running"
    obj["status"]["containerStatuses"] = running_containers(obj)


@dataclass
class PodView:
    """One pod of a trace, as mutations look at it: where its states, Events and STEP records
    are."""

    uid: str
    name: str
    namespace: str
    states: list[int]
    events: list[int]
    steps: list[int]


class Trace:
    """A working copy of a good trace that a mutation reads and edits, in the trace's own shape.

    Positions are indexes into `values`; an edit that inserts or removes values says so, and
    mutations take positions again after one (`pods()` reads the trace as it is now).
    """

    def __init__(self, good: Good, projection: Projection) -> None:
        self.name = good.name
        self.values: list[Value] = copy.deepcopy(list(good.values))
        self.p = projection
        self.watch = any(v.get("type") in tracefile.WATCH_TYPES for v in self.values)

    # -- reading --

    def obj(self, i: int) -> Value:
        return obj_of(self.values[i])

    def pods(self) -> list[PodView]:
        """The pods in the order first seen, each with its states, the Events about it and its STEP
        records."""
        found: dict[str, PodView] = {}
        names: dict[tuple[str, str], str] = {}
        for i, value in enumerate(self.values):
            if is_step(value):
                ref = value.get("object") or {}
                if ref.get("kind") == "Pod" and ref.get("uid") in found:
                    found[ref["uid"]].steps.append(i)
                continue
            obj = obj_of(value)
            if obj.get("kind") == "Pod":
                meta = obj["metadata"]
                view = found.setdefault(
                    meta["uid"],
                    PodView(meta["uid"], meta["name"], meta.get("namespace", ""), [], [], []),
                )
                view.states.append(i)
                names[(view.namespace, view.name)] = view.uid
            elif (
                obj.get("kind") == "Event"
                and (obj.get("involvedObject") or {}).get("kind") == "Pod"
            ):
                involved = obj["involvedObject"]
                uid = involved.get("uid") or names.get(
                    (involved.get("namespace", ""), involved.get("name", ""))
                )
                if uid in found:
                    found[uid].events.append(i)
        for i, value in enumerate(self.values):  # STEP records come before the pod's first state
            ref = value.get("object") or {}
            if (
                is_step(value)
                and ref.get("kind") == "Pod"
                and ref.get("uid") in found
                and i not in found[ref["uid"]].steps
            ):
                found[ref["uid"]].steps.append(i)
        for view in found.values():
            view.steps.sort()
        return list(found.values())

    def again(self, view: PodView) -> PodView:
        """The same pod, its positions read again after an edit that moved them."""
        return next(p for p in self.pods() if p.uid == view.uid)

    def pod(self, fits: Callable[[PodView], bool]) -> PodView | None:
        """The first pod that fits."""
        return next((p for p in self.pods() if fits(p)), None)

    def bound_at(self, view: PodView) -> int | None:
        """Which of the pod's states shows the scheduler's bind (nodeName set after a state
        without), if any."""
        for k, i in enumerate(view.states):
            if node_of(self.obj(i)):
                return k if k > 0 else None
        return None

    def named(self, view: PodView) -> bool:
        """Created naming its node (spec.nodeName in its first state): the nodeName variant."""
        return bool(node_of(self.obj(view.states[0])))

    def started_at(self, view: PodView) -> int | None:
        """Which of the pod's states first shows a container started, if any."""
        return next((k for k, i in enumerate(view.states) if started(self.obj(i))), None)

    def deleted(self, view: PodView) -> bool:
        return any(self.values[i].get("type") == "DELETED" for i in view.states)

    def last(self, view: PodView) -> Value:
        return self.obj(view.states[-1])

    def events(self, view: PodView, reason: str) -> list[int]:
        """Where the pod's Events with this reason are."""
        return [i for i in view.events if self.obj(i).get("reason") == reason]

    def kubelet_events(self, view: PodView) -> list[int]:
        """Where the Events the kubelet recorded about the pod are."""
        return [
            i
            for i in view.events
            if ((self.obj(i).get("source") or {}).get("component")) == "kubelet"
        ]

    def node_labels(self) -> dict[str, dict[str, str]]:
        """Each node the trace shows, with its last labels."""
        nodes: dict[str, dict[str, str]] = {}
        for value in self.values:
            if kind_of(value) == "Node":
                meta = obj_of(value)["metadata"]
                nodes[meta["name"]] = dict(meta.get("labels") or {})
        return nodes

    def other_node(self, node: str) -> str:
        """A node other than `node`: another one the trace shows, or a made-up one."""
        return next((n for n in self.node_labels() if n != node), f"{node}-2")

    def fresh_rv(self) -> str:
        """A resourceVersion above every one in the trace: a state written after all of them."""
        rvs = [rv_of(obj_of(v)) for v in self.values if not is_step(v)]
        return str(max((r for r in rvs if r is not None), default=0) + 1)

    # -- editing --

    def shaped(self, obj: Value, type_: str = "MODIFIED") -> Value:
        """`obj` as a value of this trace: a watch event if the trace has them, else the bare
        object."""
        return {"type": type_, "object": obj} if self.watch else obj

    def append_state(self, view: PodView, edit: Callable[[Value], None]) -> int:
        """A new state of the pod after its last one: a copy of it, edited, at a fresh
        resourceVersion."""
        obj = copy.deepcopy(self.last(view))
        obj["metadata"]["resourceVersion"] = self.fresh_rv()
        edit(obj)
        at = view.states[-1] + 1
        self.values.insert(at, self.shaped(obj))
        return at

    def edit_states(self, positions: list[int], edit: Callable[[Value], None]) -> None:
        for i in positions:
            edit(self.obj(i))

    def ensure_node(self, node: str) -> None:
        """Make the trace show the node and its labels (a Node record first), so a selector can be
        judged against it."""
        if node not in self.node_labels():
            self.values.insert(
                0,
                self.shaped(
                    {
                        "kind": "Node",
                        "apiVersion": "v1",
                        "metadata": {"name": node, "labels": {"kubernetes.io/hostname": node}},
                    },
                    "ADDED",
                ),
            )

    def event(
        self,
        view: PodView,
        reason: str,
        source: str,
        *,
        type_: str = "Normal",
        message: str = "",
        rv: str = "",
    ) -> Value:
        """A new Event about the pod, as the component `source` records it."""
        first = self.obj(view.states[0])["metadata"]
        involved = {
            "kind": "Pod",
            "namespace": view.namespace,
            "name": view.name,
            "uid": view.uid,
            "resourceVersion": rv or first["resourceVersion"],
        }
        meta = {"name": f"{view.name}.mutant-{reason.lower()}", "namespace": view.namespace}
        return self.shaped(
            {
                "kind": "Event",
                "apiVersion": "v1",
                "metadata": meta,
                "involvedObject": involved,
                "reason": reason,
                "type": type_,
                "source": {"component": source},
                "count": 1,
                "message": message,
            },
            "ADDED",
        )

    def step_record(self, view: PodView, step: str) -> Value:
        """A simulator STEP record of `step` about the pod, marked observable as the spec says."""
        return {
            "type": tracefile.STEP,
            "step": step,
            "observable": step in self.p.rules,
            "object": {
                "kind": "Pod",
                "namespace": view.namespace,
                "name": view.name,
                "uid": view.uid,
            },
        }


# -- legal variations ------------------------------------------------------------------------------


def variations(good: Good, projection: Projection) -> list[tuple[str, list[Value]]]:
    """What another watcher of the same run may have recorded: each a legal trace.

    For each pod: the recording starting later (at each of its states: its earlier states and
    Events, and its STEP records, not recorded), one or two of its states in a row coalesced into
    the next; for the trace: no Events (they are best effort), no STEP records (a real cluster's
    watch), every Event ahead of every pod state (another watch, ahead of the pods watch).
    """
    t = Trace(good, projection)
    found: list[tuple[str, list[Value]]] = []

    def without(drop: set[int]) -> list[Value]:
        return [v for i, v in enumerate(t.values) if i not in drop]

    for view in t.pods():
        for k in range(1, len(view.states)):
            start = view.states[k]
            found.append(
                (
                    f"{view.name} first seen at its state {k}",
                    without(
                        {i for i in (*view.states, *view.events) if i < start} | set(view.steps)
                    ),
                )
            )
        for k in range(1, len(view.states) - 1):
            found.append((f"{view.name}'s state {k} coalesced", without({view.states[k]})))
        for k in range(1, len(view.states) - 2):
            found.append(
                (
                    f"{view.name}'s states {k} and {k + 1} coalesced",
                    without({view.states[k], view.states[k + 1]}),
                )
            )
    events = [v for v in t.values if kind_of(v) == "Event"]
    found.append(("no Events", [v for v in t.values if kind_of(v) != "Event"]))
    found.append(("no STEP records", [v for v in t.values if not is_step(v)]))
    found.append(
        (
            "the Events ahead",
            events + [v for v in t.values if kind_of(v) != "Event" and not is_step(v)],
        )
    )
    return found


# -- tests -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def traces(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Good]:
    """The good traces, recorded once for the module."""
    return good_traces(engine, tmp_path_factory.mktemp("run"))


def _good(name: str, traces: dict[str, Good]) -> Good:
    if name not in traces:
        pytest.skip(f"the real-world recordings are not here ({REAL_WORLD}); CI has them")
    return traces[name]


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_every_good_trace_keeps_to_the_spec_with_the_verdicts_it_should_get(
    name: str, traces: dict[str, Good], engine: Engine
) -> None:
    good = _good(name, traces)
    report = checker.check_records(list(good.values), engine.spec, name=name)
    assert report.violations == ()
    assert report.pods and {p.verdict for p in report.pods} == good.verdicts


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_what_another_watcher_of_a_good_run_may_have_recorded_keeps_to_the_spec(
    name: str, traces: dict[str, Good], engine: Engine
) -> None:
    found = variations(_good(name, traces), Projection(engine.spec))
    rejected = {
        what: [v.message for v in report.violations]
        for what, values in found
        if (report := checker.check_records(values, engine.spec)).violations
    }
    assert len(found) > 3 and rejected == {}
