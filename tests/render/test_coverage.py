"""Counting what a run covered: from the checker, from STEP records, or inferred from objects."""

from __future__ import annotations

from listwatch.engine import Engine
from listwatch.render import coverage

STEPS = [
    {"type": "STEP", "step": "LW-01", "actor": "scheduler"},
    {"type": "STEP", "step": "LW-01", "actor": "kubelet/node01"},
    {"type": "STEP", "step": "LW-01", "actor": "kubelet/node02"},
    {"type": "STEP", "step": "LW-01", "actor": "trace"},
    {"type": "STEP", "step": "LW-02", "actor": "kubectl"},
    {"type": "ADDED", "object": {"kind": "Pod", "metadata": {"uid": "u"}}},
]


def test_step_records_are_counted_and_a_step_with_several_actors_per_actor(engine: Engine) -> None:
    run = coverage.of_trace(engine.spec, STEPS)
    assert not run.inferred and run.records == len(STEPS)
    assert run.count("LW-01") == 4 and run.count("LW-02") == 1 and run.count("LW-03") == 0
    assert run.count("LW-01", "kubelet") == 2 and run.count("LW-01", "scheduler") == 1
    assert run.count("LW-01", "controller-manager") == 0
    assert run.count("LW-02", "kubectl") == 1


def test_without_step_records_the_counts_are_the_checker_s(engine: Engine) -> None:
    pod = {
        "kind": "Pod",
        "metadata": {"uid": "u", "name": "p", "namespace": "default"},
        "spec": {},
        "status": {"phase": "Pending"},
    }
    run = coverage.of_trace(engine.spec, [{"type": "ADDED", "object": pod}])
    assert run.inferred and dict(run.counts) == {"LW-02": 1, "LW-07": 1}


def test_the_checker_s_violations_are_drawn_with_its_messages(engine: Engine) -> None:
    base = {
        "kind": "Pod",
        "metadata": {"uid": "u", "name": "p", "namespace": "default"},
        "spec": {"nodeName": "n1"},
    }
    running = {**base, "status": {"phase": "Running"}}
    pending = {**base, "status": {"phase": "Pending"}}
    run = coverage.of_trace(
        engine.spec, [{"type": "ADDED", "object": running}, {"type": "MODIFIED", "object": pending}]
    )
    assert run.violations and any("Pending" in message for _, message in run.violations)


def test_counts_and_violations_given_by_a_checker_are_used_as_given(engine: Engine) -> None:
    run = coverage.of_trace(
        engine.spec,
        STEPS,
        counts={"LW-10": 3},
        violations=[("LW-10", "bound twice"), ("LW-10", "to another node")],
    )
    assert dict(run.counts) == {"LW-10": 3} and not run.by_actor
    assert run.violated("LW-10") == ["bound twice", "to another node"]
    assert run.violated("LW-02") == []
