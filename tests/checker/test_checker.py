"""`listwatch check`: a recorded run judged against the spec's observable projection.

Runs come from the simulator (its own traces, then edited to break the spec in one place each),
from small streams written here, and from real clusters (`../shared/real-world/`).
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import sys
import textwrap
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pytest_bdd.gherkin_parser import get_gherkin_document

from listwatch import checker, tracefile
from listwatch.checker import scenario
from listwatch.checker.lifecycle import repeated
from listwatch.checker.verdicts import RULES
from listwatch.cluster import Cluster
from listwatch.engine import Engine
from listwatch.errors import SpecError
from listwatch.spec.model import Spec
from tests import recorded
from tests.builders import pod
from tests.conftest import REAL_WORLD
from tests.spec_copies import changed_spec, step_of

Records = list[dict[str, Any]]


def _stream(*records: dict[str, Any]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def _pod(
    rv: int,
    *,
    uid: str = "u1",
    name: str = "web",
    node: str = "",
    phase: str = "Pending",
    image: str = "nginx:1.15",
    **status: Any,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "c", "image": image}]}
    if node:
        spec["nodeName"] = node
    meta = {"name": name, "namespace": "default", "uid": uid, "resourceVersion": str(rv)}
    return {
        "kind": "Pod",
        "apiVersion": "v1",
        "metadata": meta,
        "spec": spec,
        "status": {"phase": phase, **status},
    }


SCHEDULED = [{"type": "PodScheduled", "status": "True"}]
RUNNING = [
    {
        "name": "c",
        "image": "nginx:1.15",
        "restartCount": 0,
        "state": {"running": {"startedAt": "t"}},
    }
]

#: A watch that coalesced the bind and the kubelet's first statuses into one update.
COALESCED_BIND_AND_START = _stream(
    {"type": "ADDED", "object": _pod(1)},
    {
        "type": "MODIFIED",
        "object": _pod(
            5, node="node01", phase="Running", conditions=SCHEDULED, containerStatuses=RUNNING
        ),
    },
)

#: A cluster of 2016 (v1.2 era): no PodScheduled condition, only Ready; the bind shows only as
#: spec.nodeName.
ONLY_READY_CONDITION = _stream(
    {"type": "ADDED", "object": _pod(1)},
    {"type": "MODIFIED", "object": _pod(2, node="n1")},
    {
        "type": "MODIFIED",
        "object": _pod(
            3,
            node="n1",
            phase="Running",
            conditions=[{"type": "Ready", "status": "True"}],
            containerStatuses=RUNNING,
        ),
    },
)

#: A watch that expired (410 Gone), a re-list that replays what exists, a bookmark, and a duplicate.
RELIST_AFTER_GONE = _stream(
    {"type": "ADDED", "object": _pod(1)},
    {"type": "MODIFIED", "object": _pod(2, node="n1", conditions=SCHEDULED)},
    {
        "type": "ERROR",
        "object": {
            "kind": "Status",
            "apiVersion": "v1",
            "status": "Failure",
            "reason": "Expired",
            "code": 410,
        },
    },
    {
        "type": "ADDED",
        "object": _pod(
            9, node="n1", phase="Running", conditions=SCHEDULED, containerStatuses=RUNNING
        ),
    },
    {
        "type": "ADDED",
        "object": _pod(
            9, node="n1", phase="Running", conditions=SCHEDULED, containerStatuses=RUNNING
        ),
    },
    {
        "type": "BOOKMARK",
        "object": {"kind": "Pod", "apiVersion": "v1", "metadata": {"resourceVersion": "12"}},
    },
)

#: The same name twice: a pod deleted, then a new one (a new uid) made in its place, on another
#: node.
NAME_REUSED = _stream(
    {"type": "ADDED", "object": _pod(1, uid="first")},
    {"type": "MODIFIED", "object": _pod(2, uid="first", node="n1", conditions=SCHEDULED)},
    {"type": "DELETED", "object": _pod(3, uid="first", node="n1", conditions=SCHEDULED)},
    {"type": "ADDED", "object": _pod(4, uid="second")},
    {"type": "MODIFIED", "object": _pod(5, uid="second", node="n2", conditions=SCHEDULED)},
    {
        "type": "MODIFIED",
        "object": _pod(
            6,
            uid="second",
            node="n2",
            phase="Running",
            conditions=SCHEDULED,
            containerStatuses=RUNNING,
        ),
    },
)

#: A watch started while the pod already ran: its first state is past its creation.
STARTED_LATE = _stream(
    {
        "type": "ADDED",
        "object": _pod(
            7, node="n1", phase="Running", conditions=SCHEDULED, containerStatuses=RUNNING
        ),
    },
    {
        "type": "MODIFIED",
        "object": _pod(
            8,
            node="n1",
            phase="Running",
            conditions=SCHEDULED,
            containerStatuses=RUNNING,
            podIP="10.0.0.9",
        ),
    },
)

#: A watch started while the pod waited for a node, on a cluster that reports only Ready: then
#: bound, then running.
JOINED_WHILE_PENDING = _stream(
    {"type": "MODIFIED", "object": _pod(4, conditions=[{"type": "Ready", "status": "False"}])},
    {
        "type": "MODIFIED",
        "object": _pod(5, node="n1", conditions=[{"type": "Ready", "status": "False"}]),
    },
    {
        "type": "MODIFIED",
        "object": _pod(
            6,
            node="n1",
            phase="Running",
            conditions=[{"type": "Ready", "status": "True"}],
            containerStatuses=RUNNING,
        ),
    },
)


def _event(reason: str, source: str, *, rv: int = 1, count: int = 1) -> dict[str, Any]:
    involved = {
        "kind": "Pod",
        "namespace": "default",
        "name": "web",
        "uid": "u1",
        "resourceVersion": str(rv),
    }
    meta = {"name": f"web.{reason.lower()}", "namespace": "default"}
    return {
        "kind": "Event",
        "metadata": meta,
        "involvedObject": involved,
        "reason": reason,
        "type": "Normal",
        "source": {"component": source},
        "count": count,
    }


#: The events watch ahead of the pods watch: the Scheduled and Started events arrive before the
#: pod's own states.
EVENTS_AHEAD_OF_THE_POD = _stream(
    {"type": "ADDED", "object": _event("Scheduled", "default-scheduler")},
    {"type": "ADDED", "object": _event("Pulling", "kubelet", rv=2)},
    {"type": "ADDED", "object": _event("Started", "kubelet", rv=2)},
    {"type": "ADDED", "object": _pod(1)},
    {"type": "MODIFIED", "object": _pod(2, node="n1", conditions=SCHEDULED)},
    {
        "type": "MODIFIED",
        "object": _pod(
            3, node="n1", phase="Running", conditions=SCHEDULED, containerStatuses=RUNNING
        ),
    },
    {"type": "MODIFIED", "object": _event("Started", "kubelet", rv=3, count=2)},
)

#: Things nobody asked about: an unknown status field, another kind of object, a node.
UNKNOWN_FIELDS_AND_KINDS = _stream(
    {"type": "ADDED", "object": {**_pod(1), "futureField": {"x": 1}}},
    {
        "type": "ADDED",
        "object": {"kind": "ConfigMap", "metadata": {"name": "cm", "uid": "cm"}, "data": {}},
    },
    {"type": "MODIFIED", "object": _pod(2, node="n1", conditions=SCHEDULED, cpuSet="0-3")},
    {
        "type": "MODIFIED",
        "object": _pod(
            3, node="n1", phase="Running", conditions=SCHEDULED, containerStatuses=RUNNING
        ),
    },
)

#: A pod created with spec.nodeName that nevertheless gets the scheduler's Scheduled event
#: (events/v1 style).
NODE_NAME_POD_SCHEDULED = _stream(
    {"type": "ADDED", "object": _pod(1, node="node01")},
    {
        "type": "ADDED",
        "object": {
            "kind": "Event",
            "metadata": {"name": "web.17", "namespace": "default"},
            "involvedObject": {
                "kind": "Pod",
                "namespace": "default",
                "name": "web",
                "uid": "u1",
                "resourceVersion": "1",
            },
            "reason": "Scheduled",
            "type": "Normal",
            "source": {},
            "reportingComponent": "default-scheduler",
            "message": "Successfully assigned default/web to node01",
        },
    },
)


# -- simulated runs --------------------------------------------------------------------------------


def _rc(c: Cluster) -> None:
    recorded.replicas(c)
    c.scale("replicationcontrollers", "rc", 1)
    c.settle()


SCENARIOS: dict[str, tuple[Callable[[Cluster], object], str]] = {
    "unschedulable, then a node labelled to match": (recorded.labelled_later, "pass"),
    "a nodeName pod whose node fails its nodeSelector": (
        lambda c: (
            c.apply(pod("web", node_name="node01", node_selector={"cz": "bob"})),
            c.settle(),
        ),
        "pass",
    ),
    "a ReplicationController scaled up, a replica deleted, scaled down": (_rc, "pass"),
    "an image upgrade": (recorded.upgrade, "pass"),
    "a crash loop": (
        lambda c: (
            c.apply(pod("crash", image="busybox:1.36", command=["sh", "-c", "exit 1"])),
            c.advance(120),
        ),
        "pass",
    ),
    "an image that cannot be pulled": (
        lambda c: (c.apply(pod("bad", image="nope:1")), c.advance(60)),
        "inconclusive",
    ),
    "exit 0 under restartPolicy Never": (
        lambda c: (
            c.apply(
                pod(
                    "ok",
                    image="busybox:1.36",
                    command=["sh", "-c", "exit 0"],
                    restart_policy="Never",
                )
            ),
            c.settle(),
        ),
        "pass",
    ),
    "exit 3 under restartPolicy Never": (
        lambda c: (
            c.apply(
                pod(
                    "ko",
                    image="busybox:1.36",
                    command=["sh", "-c", "exit 3"],
                    restart_policy="Never",
                )
            ),
            c.settle(),
        ),
        "pass",
    ),
    "a pod deleted": (
        lambda c: (c.apply(pod("web")), c.settle(), c.delete("pods", "web"), c.settle()),
        "pass",
    ),
}


@pytest.fixture(scope="module")
def tutorial(tmp_path_factory: pytest.TempPathFactory) -> Records:
    """`listwatch run --trace FILE`: the tutorial's nodeName pod and nodeSelector pod."""
    return recorded.tutorial(tmp_path_factory.mktemp("trace"))


@pytest.fixture(scope="module")
def runs(engine: Engine) -> dict[str, Records]:
    return {name: recorded.record(engine, act) for name, (act, _) in SCENARIOS.items()}


def check(records: Records, spec: Spec) -> checker.Report:
    return checker.check_records(records, spec)


def without_steps(records: Records) -> Records:
    return [r for r in records if r["type"] not in ("STEP", "EXPLAIN")]


def observable_step_records(records: Records, spec: Spec) -> Counter[str]:
    """The simulator's own count of what a client could see: its observable STEP records about pods,
    or shown by an Event."""
    counted: Counter[str] = Counter()
    for r in records:
        if r["type"] != "STEP" or not r["observable"]:
            continue
        seen = spec.flow.step(r["step"]).observable or {}
        if "when" not in seen and (r["object"]["kind"] == "Pod" or "event" in seen):
            counted[r["step"]] += 1
    return counted


def positions(records: Records, name: str, *, kind: str = "Pod", reason: str = "") -> list[int]:
    """Indexes of the watch records about `name` (Pods by name; Events by involved pod and
    reason)."""
    found = []
    for i, r in enumerate(records):
        obj = r.get("object") or {}
        if r["type"] in ("STEP", "EXPLAIN") or obj.get("kind") != kind:
            continue
        if kind == "Pod" and obj["metadata"]["name"] == name:
            found.append(i)
        if kind == "Event" and obj["involvedObject"]["name"] == name and obj["reason"] == reason:
            found.append(i)
    return found


# -- a run that keeps to the spec ------------------------------------------------------------------


def test_the_tutorials_trace_passes_with_each_pods_observable_steps(
    tutorial: Records, engine: Engine
) -> None:
    report = check(tutorial, engine.spec)
    verdicts = {p.pod.name: (p.verdict, p.steps, p.node) for p in report.pods}
    assert verdicts == {
        "pod-example": ("pass", ("LW-02", "LW-07", "NN-01", "LW-12"), "node01"),
        "pod-example-selector": ("pass", ("LW-02", "LW-07", "LW-10", "LW-12"), "node02"),
    }
    assert report.violations == () and report.exit_code() == 0


def test_the_step_counts_are_the_simulators_own_count_of_what_a_client_sees(
    tutorial: Records, engine: Engine
) -> None:
    report = check(tutorial, engine.spec)
    expected = observable_step_records(tutorial, engine.spec)
    assert {s: n for s, n in report.step_counts.items() if n} == dict(expected)
    assert report.step_counts["LW-06"] == 0  # observable only `when` a controller creates pods
    assert set(report.step_counts) == {s.id for s in engine.spec.flow.steps if not s.internal}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_every_simulated_run_keeps_to_the_spec_and_counts_what_the_simulator_counts(
    scenario: str, runs: dict[str, Records], engine: Engine
) -> None:
    records = runs[scenario]
    report = check(records, engine.spec)
    assert report.violations == ()
    assert {p.verdict for p in report.pods} == {SCENARIOS[scenario][1]}
    counted = {
        s: n
        for s, n in report.step_counts.items()
        if n and "when" not in (engine.spec.flow.step(s).observable or {})
    }
    assert counted == dict(observable_step_records(records, engine.spec))


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_the_observable_projection_needs_no_step_records(
    scenario: str, runs: dict[str, Records], engine: Engine
) -> None:
    full, bare = (
        check(runs[scenario], engine.spec),
        check(without_steps(runs[scenario]), engine.spec),
    )
    assert bare.step_counts == full.step_counts
    assert [(p.pod, p.verdict, p.steps) for p in bare.pods] == [
        (p.pod, p.verdict, p.steps) for p in full.pods
    ]
    assert bare.step_records == {} and full.step_records


def test_a_replication_controllers_events_show_lw06_then_scale_and_replacement(
    runs: dict[str, Records], engine: Engine
) -> None:
    counts = check(
        runs["a ReplicationController scaled up, a replica deleted, scaled down"], engine.spec
    ).step_counts
    assert (counts["LW-06"], counts["RC-01"], counts["RC-02"], counts["LW-07"]) == (1, 2, 1, 4)


def test_an_image_upgrade_shows_lw12_again_after_up01_and_up02(
    runs: dict[str, Records], engine: Engine
) -> None:
    (web,) = check(runs["an image upgrade"], engine.spec).pods
    assert web.steps == ("LW-02", "LW-07", "NN-01", "LW-12", "UP-01", "UP-02", "LW-12")


def test_a_pod_whose_image_cannot_be_pulled_is_inconclusive_at_lw10(
    runs: dict[str, Records], engine: Engine
) -> None:
    (bad,) = check(runs["an image that cannot be pulled"], engine.spec).pods
    assert bad.verdict == "inconclusive" and bad.steps[-1] == "LW-10"
    assert "ImagePullBackOff" in bad.note and "next in the spec: LW-12" in bad.note


def test_the_trace_in_kubectls_pretty_printed_shape_is_judged_the_same(
    tutorial: Records, engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "kubectl.json"
    path.write_text("".join(json.dumps(r, indent=4) + "\n" for r in without_steps(tutorial)))
    pretty = checker.check_trace(path, engine.spec)
    assert [(p.pod.name, p.verdict, p.steps) for p in pretty.pods] == [
        (p.pod.name, p.verdict, p.steps) for p in check(tutorial, engine.spec).pods
    ]
    first_lines = [i + 1 for i, line in enumerate(path.read_text().splitlines()) if line == "{"]
    assert [p.first_line for p in pretty.pods] == [
        first_lines[positions(without_steps(tutorial), p.pod.name)[0]] for p in pretty.pods
    ]


# -- what varies between versions is tolerated -----------------------------------------------------


@pytest.mark.parametrize(
    ("stream", "steps"),
    [
        (COALESCED_BIND_AND_START, ("LW-02", "LW-07", "LW-10", "LW-12")),
        (ONLY_READY_CONDITION, ("LW-02", "LW-07", "LW-10", "LW-12")),
        (UNKNOWN_FIELDS_AND_KINDS, ("LW-02", "LW-07", "LW-10", "LW-12")),
        (RELIST_AFTER_GONE, ("LW-02", "LW-07", "LW-10", "LW-12")),
        (JOINED_WHILE_PENDING, ("LW-10", "LW-12")),
        (EVENTS_AHEAD_OF_THE_POD, ("LW-10", "LW-12", "LW-02", "LW-07")),
    ],
    ids=[
        "coalesced updates",
        "only the Ready condition",
        "unknown fields and kinds",
        "a re-list after 410 Gone",
        "a watch started while the pod waited",
        "events ahead of the pod",
    ],
)
def test_what_a_watcher_may_see_differently_passes(
    stream: str, steps: tuple[str, ...], engine: Engine
) -> None:
    report = checker.check_trace(io.StringIO(stream), engine.spec)
    assert report.violations == ()
    assert [(p.verdict, p.steps) for p in report.pods] == [("pass", steps)]


def test_a_re_list_is_counted_and_replays_no_step(engine: Engine) -> None:
    report = checker.check_trace(io.StringIO(RELIST_AFTER_GONE), engine.spec)
    assert report.relists == 1 and report.records == 6
    assert report.step_counts["LW-10"] == 1 and report.step_counts["LW-12"] == 1


def test_a_name_reused_with_a_new_uid_is_a_new_pod(engine: Engine) -> None:
    report = checker.check_trace(io.StringIO(NAME_REUSED), engine.spec)
    assert [(p.pod.uid, p.verdict, p.node) for p in report.pods] == [
        ("first", "pass", "n1"),
        ("second", "pass", "n2"),
    ]
    assert report.pods[0].note == "deleted" and report.violations == ()


def test_a_pod_first_seen_past_its_creation_joins_unjudged(engine: Engine) -> None:
    (web,) = checker.check_trace(io.StringIO(STARTED_LATE), engine.spec).pods
    assert web.verdict == "pass" and web.steps == ()
    assert "first seen at line 1, past its creation" in web.note


#: A watch started just after `kubectl set image`: the container still runs the old image, then
#: restarts with the new one.
RESTARTED = {"restartCount": 1, "lastState": {"terminated": {"exitCode": 0, "reason": "Completed"}}}
STARTED_AFTER_AN_IMAGE_CHANGE = _stream(
    {
        "type": "ADDED",
        "object": _pod(
            7,
            node="n1",
            phase="Running",
            image="nginx:1.16",
            conditions=SCHEDULED,
            containerStatuses=RUNNING,
        ),
    },
    {
        "type": "MODIFIED",
        "object": _pod(
            8,
            node="n1",
            phase="Running",
            image="nginx:1.16",
            conditions=SCHEDULED,
            containerStatuses=[
                {
                    "name": "c",
                    "image": "nginx:1.16",
                    "state": {"waiting": {"reason": "ContainerCreating"}},
                    **RESTARTED,
                }
            ],
        ),
    },
    {
        "type": "MODIFIED",
        "object": _pod(
            9,
            node="n1",
            phase="Running",
            image="nginx:1.16",
            conditions=SCHEDULED,
            containerStatuses=[
                {
                    "name": "c",
                    "image": "nginx:1.16",
                    "state": {"running": {"startedAt": "t"}},
                    **RESTARTED,
                }
            ],
        ),
    },
)


def test_a_pod_first_seen_just_after_its_image_changed_is_unjudged_for_the_change_it_missed(
    engine: Engine,
) -> None:
    report = checker.check_trace(io.StringIO(STARTED_AFTER_AN_IMAGE_CHANGE), engine.spec)
    assert report.violations == ()
    assert [(p.verdict, p.steps) for p in report.pods] == [("pass", ("UP-02", "LW-12"))]


def test_a_pod_first_seen_running_without_a_node_breaks_lw10_though_it_joins_past_its_creation(
    engine: Engine,
) -> None:
    stream = _stream(
        {"type": "ADDED", "object": _pod(7, phase="Running", containerStatuses=RUNNING)}
    )
    (v,) = checker.check_trace(io.StringIO(stream), engine.spec).violations
    assert (v.line, v.step, v.rule) == (1, "LW-10", "order")
    assert v.expected == "LW-10 (spec.nodeName set) before LW-12"


def test_two_states_at_one_resource_version_break_lw11_but_a_state_repeated_does_not(
    engine: Engine,
) -> None:
    stream = _stream(
        {"type": "ADDED", "object": _pod(1)},
        {"type": "MODIFIED", "object": _pod(2, node="n1", conditions=SCHEDULED)},
        {"type": "ADDED", "object": _pod(2, node="n1", conditions=SCHEDULED)},
        {
            "type": "MODIFIED",
            "object": _pod(
                2, node="n1", phase="Running", conditions=SCHEDULED, containerStatuses=RUNNING
            ),
        },
    )
    (v,) = checker.check_trace(io.StringIO(stream), engine.spec).violations
    assert (v.line, v.step, v.rule) == (4, "LW-11", "resource-version")
    assert v.observed == "MODIFIED at resourceVersion 2 with another phase, containers"


def test_an_event_seen_again_at_a_count_seen_is_a_repeat_and_only_its_last_count_is_kept() -> None:
    counts: dict[str, Any] = {}
    assert [repeated(counts, "web.17", n) for n in (1, 2, 2, 1, 3)] == [
        False,
        False,
        True,
        True,
        False,
    ]
    assert counts == {"web.17": 3}


def test_many_pods_interleaved_are_judged_each_by_its_uid(
    runs: dict[str, Records], engine: Engine
) -> None:
    report = check(
        runs["a ReplicationController scaled up, a replica deleted, scaled down"], engine.spec
    )
    assert len({p.pod.uid for p in report.pods}) == len(report.pods) == 4
    assert all(p.steps == ("LW-07", "LW-10", "LW-12") for p in report.pods)


# -- what breaks the spec is reported: the pod, the line, the step, expected and observed ----------


def _phase_appended(records: Records, phase: str) -> int:
    """The pod's last record again, later, in `phase`."""
    last = copy.deepcopy(records[positions(records, "pod-example-selector")[-1]])
    last["object"]["status"]["phase"] = phase
    last["object"]["metadata"]["resourceVersion"] = "999"
    records.append(last)
    return len(records)


def _phase_back(records: Records) -> int:
    return _phase_appended(records, "Pending")


def _node_changed(records: Records) -> int:
    i = positions(records, "pod-example-selector")[2]
    records[i]["object"]["spec"]["nodeName"] = "node01"
    return i + 1


def _node_removed(records: Records) -> int:
    i = positions(records, "pod-example-selector")[2]
    del records[i]["object"]["spec"]["nodeName"]
    return i + 1


def _scheduled_for_node_name_pod(records: Records) -> int:
    event = copy.deepcopy(
        records[positions(records, "pod-example-selector", kind="Event", reason="Scheduled")[0]]
    )
    nn = records[positions(records, "pod-example")[0]]["object"]["metadata"]
    event["object"]["involvedObject"].update(name="pod-example", uid=nn["uid"])
    event["object"]["metadata"]["name"] = "pod-example.scheduled"
    at = positions(records, "pod-example")[1] + 1
    records.insert(at, event)
    return at + 1


def _podscheduled_without_node(records: Records) -> int:
    mine = positions(records, "pod-example-selector")
    for i in mine[1:]:
        del records[i]["object"]["spec"]["nodeName"]
    return mine[1] + 1


def _running_before_bound(records: Records) -> int:
    mine = positions(records, "pod-example-selector")
    for i in mine[1:]:
        obj = records[i]["object"]
        del obj["spec"]["nodeName"]
        obj["status"]["conditions"] = [
            c for c in obj["status"].get("conditions", ()) if c["type"] != "PodScheduled"
        ]
    records[:] = [
        r
        for r in records
        if not (r["type"] not in ("STEP", "EXPLAIN") and r["object"].get("reason") == "Scheduled")
    ]
    return positions(records, "pod-example-selector")[-1] + 1


def _rv_backwards(records: Records) -> int:
    i = positions(records, "pod-example-selector")[2]
    records[i]["object"]["metadata"]["resourceVersion"] = "3"
    return i + 1


def _scheduled_after_kubelet(records: Records) -> int:
    event = records.pop(
        positions(records, "pod-example-selector", kind="Event", reason="Scheduled")[0]
    )
    at = positions(records, "pod-example-selector", kind="Event", reason="Pulling")[0] + 1
    records.insert(at, event)
    return at + 1


def _succeeded_under_always(records: Records) -> int:
    return _phase_appended(records, "Succeeded")


def _step_record_dropped(records: Records) -> int:
    i = next(i for i, r in enumerate(records) if r["type"] == "STEP" and r["step"] == "LW-10")
    del records[i]
    return i + 1


def _changed_after_deleted(records: Records) -> int:
    deleted = copy.deepcopy(records[positions(records, "pod-example-selector")[-1]])
    deleted["type"] = "DELETED"
    deleted["object"]["metadata"]["resourceVersion"] = "998"
    again = copy.deepcopy(deleted)
    again["type"] = "MODIFIED"
    again["object"]["metadata"]["resourceVersion"] = "999"
    records += [deleted, again]
    return len(records)


#: Edits of the tutorial's trace, each breaking one rule: (edit, returning the line broken; step;
#: rule).
TUTORIAL_MUTANTS: dict[str, tuple[Callable[[Records], int], str, str]] = {
    "a phase going back from Running to Pending": (_phase_back, "LW-12", "pod-phase"),
    "spec.nodeName changed after the bind": (_node_changed, "LW-10", "keeps"),
    "spec.nodeName removed after the bind": (_node_removed, "LW-10", "keeps"),
    "a Scheduled event for a pod created with spec.nodeName": (
        _scheduled_for_node_name_pod,
        "NN-01",
        "forbids-event",
    ),
    "PodScheduled=True without spec.nodeName": (_podscheduled_without_node, "LW-10", "shows"),
    "containers running while spec.nodeName is empty": (_running_before_bound, "LW-10", "order"),
    "a resourceVersion going backwards": (_rv_backwards, "LW-11", "resource-version"),
    "Succeeded under restartPolicy Always": (_succeeded_under_always, "LW-12", "restart-policy"),
    "a STEP record missing from the simulator's trace": (_step_record_dropped, "LW-10", "flow"),
    "a pod changed after its DELETED event": (_changed_after_deleted, "LW-11", "deleted"),
}


@pytest.mark.parametrize("mutant", list(TUTORIAL_MUTANTS))
def test_a_run_broken_in_one_place_is_rejected_at_that_record_with_the_step_expected(
    mutant: str, tutorial: Records, engine: Engine
) -> None:
    records = copy.deepcopy(tutorial)
    edit, step, rule = TUTORIAL_MUTANTS[mutant]
    line = edit(records)
    report = check(records, engine.spec)
    first = report.violations[0]
    assert (first.line, first.step, first.rule) == (line, step, rule), first.message
    assert report.exit_code() == 1
    failed = [p for p in report.pods if p.verdict == "fail"]
    assert [p.pod for p in failed] == [first.pod] and first.pod.uid


def test_a_scheduled_event_delivered_after_the_kubelets_once_the_bind_was_seen_is_no_violation(
    tutorial: Records, engine: Engine
) -> None:
    """Each component records its Events through its own asynchronous broadcaster, so the
    scheduler's Scheduled may land after the kubelet's Pulling; the pod's records had shown the
    bind already."""
    records = copy.deepcopy(tutorial)
    _scheduled_after_kubelet(records)
    report = check(records, engine.spec)
    assert report.violations == ()
    assert report.step_counts["LW-10"] > 0


def test_a_step_record_where_another_should_have_come_names_the_step_missing(
    tutorial: Records, engine: Engine
) -> None:
    records = copy.deepcopy(tutorial)
    first = next(i for i, r in enumerate(records) if r["type"] == "STEP" and r["step"] == "LW-02")
    del records[first : first + 2]
    v = check(records, engine.spec).violations[0]
    assert (v.line, v.step, v.rule) == (first + 1, "LW-02", "flow")
    assert (
        v.expected == "the object's flow to start at an entry (LW-02, LW-07) (LW-02 before LW-04)"
    )


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda r: r.update(observable=True), "LW-03 marked internal, as the spec says"),
        (lambda r: r.update(step="LW-99"), "a step the spec declares"),
    ],
    ids=["an internal step marked observable", "a step the spec lacks"],
)
def test_a_step_record_that_disagrees_with_the_spec_is_a_flow_violation(
    edit: Callable[[dict[str, Any]], None], expected: str, tutorial: Records, engine: Engine
) -> None:
    records = copy.deepcopy(tutorial)
    i = next(i for i, r in enumerate(records) if r["type"] == "STEP" and r["step"] == "LW-03")
    edit(records[i])
    v = check(records, engine.spec).violations[0]
    assert (v.line, v.rule, v.expected) == (i + 1, "flow", expected)


def test_a_violation_says_what_was_expected_and_what_was_observed(
    tutorial: Records, engine: Engine
) -> None:
    records = copy.deepcopy(tutorial)
    _node_changed(records)
    (v,) = check(records, engine.spec).violations
    assert v.pod.name == "pod-example-selector" and v.pod.namespace == "default"
    assert v.expected.startswith("spec.nodeName to stay 'node02' once LW-10 set it (line ")
    assert v.observed == "spec.nodeName 'node01'"


def test_containers_running_before_the_bind_name_lw10_as_the_step_expected(
    tutorial: Records, engine: Engine
) -> None:
    records = copy.deepcopy(tutorial)
    _running_before_bound(records)
    v = check(records, engine.spec).violations[-1]
    assert v.expected == "LW-10 (spec.nodeName set) before LW-12"
    assert v.observed == "a container started (running or terminated) (LW-12) with no spec.nodeName"


def test_a_rejected_pod_left_pending_breaks_nn03(runs: dict[str, Records], engine: Engine) -> None:
    records = copy.deepcopy(runs["a nodeName pod whose node fails its nodeSelector"])
    i = positions(records, "web")[-1]
    records[i]["object"]["status"] = {"phase": "Pending"}
    (v,) = check(records, engine.spec).violations
    assert (v.line, v.step, v.rule) == (i + 1, "NN-03", "lasting")
    assert v.observed == "no status.reason, phase Pending"


def test_a_pod_its_node_should_reject_but_runs_breaks_nn03_even_without_events(
    runs: dict[str, Records], tutorial: Records, engine: Engine
) -> None:
    records = [
        r
        for r in copy.deepcopy(runs["a nodeName pod whose node fails its nodeSelector"])
        if r.get("object", {}).get("kind") != "Event"
    ]
    i = positions(records, "web")[-1]
    records[i]["object"]["status"] = copy.deepcopy(
        tutorial[positions(tutorial, "pod-example")[-1]]["object"]["status"]
    )
    (v,) = check(records, engine.spec).violations
    assert (v.line, v.step, v.rule) == (i + 1, "NN-03", "admission")
    assert "node01 has no cz label; the pod wants cz=bob" in v.expected


def test_a_bind_to_a_node_that_fails_the_nodeselector_breaks_lw10(
    runs: dict[str, Records], engine: Engine
) -> None:
    records = copy.deepcopy(runs["unschedulable, then a node labelled to match"])
    mine = [i for i in positions(records, "web") if records[i]["object"]["spec"].get("nodeName")]
    for i in mine:
        records[i]["object"]["spec"]["nodeName"] = "node01"
    (v,) = check(records, engine.spec).violations
    assert (v.line, v.step, v.rule) == (mine[0] + 1, "LW-10", "node-affinity")
    assert v.observed == "bound to node01, which has no cz label"


def test_restarts_rising_while_the_image_cannot_be_pulled_break_the_container_rule(
    runs: dict[str, Records], engine: Engine
) -> None:
    records = copy.deepcopy(runs["an image that cannot be pulled"])
    mine = positions(records, "bad")[4:]
    for i in mine:
        records[i]["object"]["status"]["containerStatuses"][0]["restartCount"] = 1
    (v,) = check(records, engine.spec).violations
    assert (v.line, v.step, v.rule) == (mine[0] + 1, "LW-12", "restarts")


def test_leaving_a_final_phase_is_rejected(runs: dict[str, Records], engine: Engine) -> None:
    records = copy.deepcopy(runs["exit 0 under restartPolicy Never"])
    again = copy.deepcopy(records[positions(records, "ok")[-2]])
    again["object"]["metadata"]["resourceVersion"] = "999"
    records.append(again)
    (v,) = check(records, engine.spec).violations
    assert (v.line, v.rule) == (len(records), "pod-phase")
    assert (
        v.expected
        == "a phase the pod-phase machine allows after Succeeded (none: Succeeded is final)"
    )


def test_a_scheduled_event_in_the_events_v1_style_for_a_node_name_pod_is_rejected(
    engine: Engine,
) -> None:
    (v,) = checker.check_trace(
        io.StringIO(NODE_NAME_POD_SCHEDULED), engine.spec, name="kubectl.json"
    ).violations
    assert (v.line, v.step, v.rule, v.pod.uid) == (2, "NN-01", "forbids-event", "u1")
    assert v.observed == "Scheduled event from default-scheduler"


def test_the_same_scheduled_event_watched_through_events_k8s_io_is_judged_alike(
    engine: Engine,
) -> None:
    """`kubectl get events.v1.events.k8s.io -w -o json` records `regarding` and `note`."""
    records = [json.loads(line) for line in NODE_NAME_POD_SCHEDULED.splitlines()]
    core = records[1]["object"]
    records[1]["object"] = {
        "kind": "Event",
        "apiVersion": "events.k8s.io/v1",
        "metadata": core["metadata"],
        "eventTime": "2026-01-01T00:00:00.000001Z",
        "reportingController": "default-scheduler",
        "reportingInstance": "default-scheduler-control-plane",
        "action": "Binding",
        "reason": "Scheduled",
        "regarding": core["involvedObject"],
        "note": core["message"],
        "type": "Normal",
        "deprecatedSource": {},
        "deprecatedFirstTimestamp": None,
        "deprecatedLastTimestamp": None,
    }
    stream = io.StringIO("".join(json.dumps(r) + "\n" for r in records))
    (v,) = checker.check_trace(stream, engine.spec, name="events.json").violations
    assert (v.line, v.step, v.rule, v.pod.uid) == (2, "NN-01", "forbids-event", "u1")
    assert v.observed == "Scheduled event from default-scheduler"


def test_a_violation_in_a_pretty_printed_recording_points_at_the_first_line_of_its_record(
    tmp_path: Path, engine: Engine
) -> None:
    objects = [
        json.loads(json.dumps(_pod(1))),
        _pod(2, node="n1", conditions=SCHEDULED),
        _pod(3, node="n1", phase="Running", containerStatuses=RUNNING),
    ]
    objects.append(_pod(4, node="n1", phase="Pending"))
    path = tmp_path / "recording.json"
    path.write_text(json.dumps(objects, indent=2))
    (v,) = checker.check_trace(path, engine.spec).violations
    lines = path.read_text().splitlines()
    assert lines[v.line - 1] == "  {" and json.loads(
        "\n".join(lines[v.line - 1 :])[2:].split("\n  }")[0] + "}"
    )
    assert v.line == [i + 1 for i, line in enumerate(lines) if line == "  {"][3]
    assert (v.step, v.rule) == ("LW-12", "pod-phase")


# -- the spec drives the checker -------------------------------------------------------------------


def test_without_lw10s_keeps_a_node_changed_after_the_bind_is_no_longer_a_violation(
    tutorial: Records, tmp_path: Path
) -> None:
    spec = changed_spec(
        tmp_path, "flow.yaml", lambda flow: step_of(flow, "LW-10")["observable"]["pod"].pop("keeps")
    )
    records = copy.deepcopy(tutorial)
    _node_changed(records)
    assert check(records, spec).violations == ()


def test_a_pod_phase_transition_added_to_the_spec_makes_that_phase_change_acceptable(
    tutorial: Records, tmp_path: Path
) -> None:
    def back_to_pending(pod_doc: dict[str, Any]) -> None:
        pod_doc["machines"][0]["transitions"].append(
            {"trigger": "restart_all", "source": "Running", "dest": "Pending"}
        )

    records = copy.deepcopy(tutorial)
    _phase_back(records)
    assert (
        check(records, changed_spec(tmp_path, "objects/pod.yaml", back_to_pending)).violations == ()
    )


def test_a_new_forbidden_event_in_the_spec_is_enforced(tutorial: Records, tmp_path: Path) -> None:
    def no_pulled_on_lw10(flow: dict[str, Any]) -> None:
        step_of(flow, "LW-10")["observable"]["forbids_event"] = {"reason": "Pulled"}

    report = check(copy.deepcopy(tutorial), changed_spec(tmp_path, "flow.yaml", no_pulled_on_lw10))
    assert {(v.step, v.rule, v.pod.name) for v in report.violations} == {
        ("LW-10", "forbids-event", "pod-example-selector")
    }


def test_a_phase_the_pod_phase_machine_lacks_is_a_spec_error_naming_its_place(
    tmp_path: Path,
) -> None:
    spec = changed_spec(
        tmp_path,
        "flow.yaml",
        lambda flow: step_of(flow, "NN-03")["observable"]["pod"]["shows"].update(phase="Rejected"),
    )
    with pytest.raises(
        SpecError,
        match=r"flow\.yaml:\d+: at steps\[\d+\]\.observable\.pod\.shows\.phase: expected a state "
        r"of the pod-phase machine",
    ):
        checker.Checker(spec)


def test_an_unknown_pod_fact_in_the_spec_is_refused_by_the_schema(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"observable.pod.becomes.*expected only the known fields"):
        changed_spec(
            tmp_path,
            "flow.yaml",
            lambda flow: step_of(flow, "LW-12")["observable"]["pod"]["becomes"].update(ready=True),
        )


# -- real clusters ---------------------------------------------------------------------------------

real_world = pytest.mark.skipif(
    not REAL_WORLD.is_dir(),
    reason=f"the real-world recordings are not here ({REAL_WORLD}); CI has them",
)


@real_world
@pytest.mark.parametrize(
    ("name", "verdict", "steps", "phase"),
    [
        (
            "21_watch_pod_create_success.json",
            "pass",
            ("LW-02", "LW-07", "LW-10", "LW-12"),
            "Running",
        ),
        (
            "22_watch_pod_errimagepull_imagepullbackoff.json",
            "inconclusive",
            ("LW-02", "LW-07", "LW-10"),
            "Pending",
        ),
        (
            "24_watch_pod_unschedulable_insufficient_memory.json",
            "inconclusive",
            ("LW-02", "LW-07", "US-01"),
            "Pending",
        ),
        (
            "27_watch_pod_completed_restart_never_succeeded.json",
            "pass",
            ("LW-02", "LW-07", "LW-10", "LW-12"),
            "Succeeded",
        ),
        (
            "29_watch_raw_pod_create_to_running_2017.jsonl",
            "pass",
            ("LW-02", "LW-07", "LW-10", "LW-12"),
            "Running",
        ),
        (
            "31_watch_raw_pod_create_to_running_2016_v1.2era.jsonl",
            "pass",
            ("LW-07", "LW-10", "LW-12"),
            "Running",
        ),
    ],
)
def test_every_real_recording_is_accepted_with_the_steps_it_shows(
    name: str, verdict: str, steps: tuple[str, ...], phase: str, engine: Engine
) -> None:
    report = checker.check_trace(REAL_WORLD / name, engine.spec)
    assert report.violations == () and report.exit_code() == 0
    assert [(p.verdict, p.steps, p.phase) for p in report.pods] == [(verdict, steps, phase)]
    assert sum(report.step_counts.values()) == len(steps)


@real_world
def test_a_real_recordings_pod_phase_flipped_back_is_rejected_at_its_element(
    engine: Engine, tmp_path: Path
) -> None:
    states = json.loads((REAL_WORLD / "21_watch_pod_create_success.json").read_text())
    back = copy.deepcopy(states[-1])
    back["status"]["phase"] = "Pending"
    back["metadata"]["resourceVersion"] = str(int(back["metadata"]["resourceVersion"]) + 1)
    path = tmp_path / "flipped.json"
    path.write_text(json.dumps([*states, back], indent=2))
    (v,) = checker.check_trace(path, engine.spec).violations
    assert (v.step, v.rule, v.pod.uid) == ("LW-12", "pod-phase", states[0]["metadata"]["uid"])
    assert (
        v.line
        == [i + 1 for i, line in enumerate(path.read_text().splitlines()) if line == "  {"][
            len(states)
        ]
    )


# -- the command -----------------------------------------------------------------------------------


def command(spec: Spec, *argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="listwatch check")
    checker.add_arguments(parser)
    out, err = io.StringIO(), io.StringIO()
    code = checker.command(parser.parse_args(list(argv)), out, err, spec)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def broken_trace(tutorial: Records, tmp_path: Path) -> Iterator[Path]:
    records = copy.deepcopy(tutorial)
    _scheduled_for_node_name_pod(records)
    path = tmp_path / "broken.jsonl"
    path.write_text(_stream(*records))
    yield path


def test_the_command_prints_each_violation_with_file_line_pod_and_uid_and_exits_1(
    broken_trace: Path, engine: Engine
) -> None:
    code, out, _ = command(engine.spec, str(broken_trace))
    assert code == 1
    violation = next(line for line in out.splitlines() if line.startswith(f"  {broken_trace}:"))
    assert (
        " default/pod-example (uid " in violation
        and ": NN-01: expected no Scheduled event" in violation
    )
    table = out.split("\n\n")[1].splitlines()
    assert table[0].split() == ["POD", "UID", "VERDICT", "STEPS", "OBSERVED", "NOTE"]
    assert table[1].split()[:3][0] == "default/pod-example" and table[1].split()[2] == "fail"
    assert out.rstrip().endswith("1 violation. FAILED")


def test_an_inconclusive_pod_passes_the_command_unless_strict(
    runs: dict[str, Records], engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "pull.jsonl"
    path.write_text(_stream(*runs["an image that cannot be pulled"]))
    assert command(engine.spec, str(path))[0] == 0
    code, out, _ = command(engine.spec, str(path), "--strict")
    assert code == 1 and out.rstrip().endswith("FAILED (--strict: inconclusive pods fail)")


def test_malformed_json_is_an_error_naming_the_line_and_exits_2(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(COALESCED_BIND_AND_START + '{"type": "MODIFIED", "object": {"kind": "Pod",}}\n')
    code, out, err = command(engine.spec, str(path))
    assert (code, out) == (2, "")
    assert err.startswith(
        f"error: {path}:3: expected valid JSON: Expecting property name enclosed in double quotes"
    )


def test_the_command_reads_standard_input_for_a_dash(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(NODE_NAME_POD_SCHEDULED))
    code, out, _ = command(engine.spec, "-")
    assert code == 1 and "  <stdin>:2: default/web (uid u1): NN-01" in out


def test_the_json_report_holds_verdicts_violations_and_step_counts(
    broken_trace: Path, engine: Engine
) -> None:
    code, out, _ = command(engine.spec, str(broken_trace), "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["summary"] == {"pass": 1, "fail": 1, "inconclusive": 0}
    assert [(v["step"], v["rule"], v["name"]) for v in data["violations"]] == [
        ("NN-01", "forbids-event", "pod-example")
    ]
    assert data["step_counts"]["LW-12"] == 2


def test_emit_feature_writes_a_gherkin_scenario_tagged_with_the_step(
    broken_trace: Path, engine: Engine, tmp_path: Path
) -> None:
    feature = tmp_path / "found.feature"
    code, _, err = command(engine.spec, str(broken_trace), "--emit-feature", str(feature))
    text = feature.read_text()
    assert code == 1 and f"written to {feature}" in err
    assert '    Given a cluster with nodes "node01" and "node02"\n' in text
    assert '    When I create a pod "pod-example" on the node node01\n' in text
    assert (
        '    Then the pod "pod-example" is Running on the node "node01"\n    And the pod '
        '"pod-example" has no "Scheduled" event\n' in text
    )
    document = get_gherkin_document(str(feature))
    (scenario,) = [child.scenario for child in document.feature.children if child.scenario]
    assert [tag.name for tag in scenario.tags] == ["@NN-01"]


def test_emit_feature_reproduces_a_rejected_pod_with_its_node_labels(
    runs: dict[str, Records], engine: Engine, tmp_path: Path
) -> None:
    records = copy.deepcopy(runs["a nodeName pod whose node fails its nodeSelector"])
    records.append(
        {
            "type": "MODIFIED",
            "object": {"kind": "Node", "metadata": {"name": "node02", "labels": {"cz": "bob"}}},
        }
    )
    records[positions(records, "web")[-1]]["object"]["status"] = {"phase": "Pending"}
    text = scenario.feature(check(records, engine.spec), engine.spec)
    assert text is not None
    assert '    And the node "node02" has the labels cz=bob\n' in text
    manifest = yaml.safe_load(
        textwrap.dedent(
            text.split('    When I create this pod:\n      """\n')[1].split('      """')[0]
        )
    )
    assert manifest["spec"] == {
        "nodeName": "node01",
        "nodeSelector": {"cz": "bob"},
        "containers": [{"name": "nginx", "image": "nginx:1.15"}],
    }
    assert (
        '    Then the pod "web" is Failed with reason "NodeAffinity"\n    And the pod "web" has a '
        "Warning event NodeAffinity from kubelet\n" in text
    )
    feature = tmp_path / "rejected.feature"
    feature.write_text(text)
    assert get_gherkin_document(str(feature)).feature.children


def test_a_violation_only_in_the_simulators_step_records_gets_no_scenario(
    tutorial: Records, engine: Engine
) -> None:
    records = copy.deepcopy(tutorial)
    _step_record_dropped(records)
    report = check(records, engine.spec)
    assert [v.rule for v in report.violations] == ["flow"] and scenario.feature(
        report, engine.spec
    ) is None


def test_no_violation_writes_no_feature(tutorial: Records, engine: Engine, tmp_path: Path) -> None:
    path, feature = tmp_path / "ok.jsonl", tmp_path / "none.feature"
    path.write_text(_stream(*tutorial))
    code, _, err = command(engine.spec, str(path), "--emit-feature", str(feature))
    assert code == 0 and not feature.exists() and "no violation" in err


# -- the programmatic API --------------------------------------------------------------------------


def test_the_checker_module_exposes_its_api() -> None:
    assert set(checker.__all__) == {
        "Checker",
        "PodVerdict",
        "Report",
        "Violation",
        "add_arguments",
        "check_records",
        "check_trace",
        "command",
    }


def test_records_fed_one_at_a_time_give_the_same_report(tutorial: Records, engine: Engine) -> None:
    one = checker.Checker(engine.spec)
    for record in tracefile.records_of(tutorial):
        one.feed(record)
    assert one.finish() == check(tutorial, engine.spec)


def test_every_violation_names_a_rule_the_checker_documents(
    tutorial: Records, engine: Engine
) -> None:
    rules = set()
    for edit, _, rule in TUTORIAL_MUTANTS.values():
        records = copy.deepcopy(tutorial)
        edit(records)
        rules |= {v.rule for v in check(records, engine.spec).violations}
        assert rule in rules
    assert rules <= set(RULES)
