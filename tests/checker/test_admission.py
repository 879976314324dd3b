"""The checker judges the kubelet's admission by resources: a pod that names a node too small for it
(counting the pods its kubelet surely admitted) must be rejected, with any admission reason."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from listwatch import checker
from listwatch.cluster import Cluster
from listwatch.engine import Engine
from tests import recorded
from tests.builders import pod

Records = recorded.Records


def asking(name: str, cpu: str) -> dict[str, Any]:
    manifest = pod(name, node_name="node01")
    manifest["spec"]["containers"][0]["resources"] = {"requests": {"cpu": cpu}}
    return manifest


def _big(c: Cluster) -> None:
    c.apply(asking("big", "100"))
    c.settle()


def _second(c: Cluster) -> None:
    c.apply(asking("first", "3"))
    c.settle()
    c.apply(asking("second", "2"))
    c.settle()


@pytest.fixture(scope="module")
def rejected(engine: Engine) -> Records:
    return recorded.record(engine, _big)


@pytest.fixture(scope="module")
def crowded(engine: Engine) -> Records:
    return recorded.record(engine, _second)


def pods_only(records: Records) -> Records:
    """What `kubectl get pods,nodes -w -o json` shows: no STEP records, no Events."""
    return [r for r in records if r["type"] != "STEP" and r["object"].get("kind") != "Event"]


def test_an_out_of_cpu_rejection_passes_as_the_kubelet_s_rejection_step(
    rejected: Records, engine: Engine
) -> None:
    for records in (rejected, pods_only(rejected)):
        report = checker.check_records(records, engine.spec)
        assert report.violations == ()
        ((name, verdict, steps),) = [(p.pod.name, p.verdict, p.steps) for p in report.pods]
        assert (name, verdict, steps[-2:]) == ("big", "pass", ("NN-01", "NN-03"))


def test_a_pod_too_big_for_its_node_that_runs_breaks_nn03(
    rejected: Records, engine: Engine
) -> None:
    records = copy.deepcopy(rejected)
    ran = recorded.record(engine, lambda c: (c.apply(pod("other", node_name="node01")), c.settle()))
    running = next(
        r["object"]["status"]
        for r in reversed(ran)
        if r["type"] != "STEP" and r["object"].get("kind") == "Pod"
    )
    last = max(
        i for i, r in enumerate(records) if r["type"] != "STEP" and r["object"].get("kind") == "Pod"
    )
    records[last]["object"]["status"] = copy.deepcopy(running)
    records = pods_only(records)
    (v,) = checker.check_records(records, engine.spec).violations
    assert (v.step, v.rule) == ("NN-03", "admission")
    assert "node01 has too little cpu: the pod requests 100000, its admitted pods 0, of 4000" in (
        v.expected
    )
    assert v.observed.startswith("LW-12")


def test_the_pods_already_admitted_count_against_the_node(crowded: Records, engine: Engine) -> None:
    report = checker.check_records(pods_only(crowded), engine.spec)
    assert report.violations == ()
    verdicts = {p.pod.name: p.steps[-1] for p in report.pods}
    assert verdicts == {"first": "LW-12", "second": "NN-03"}


def test_without_the_node_s_object_the_checker_does_not_judge_resources(
    rejected: Records, engine: Engine
) -> None:
    records = [r for r in pods_only(rejected) if r["object"].get("kind") != "Node"]
    report = checker.check_records(records, engine.spec)
    assert report.violations == ()


def test_a_pod_that_runs_where_the_admitted_pods_leave_no_room_breaks_nn03(
    crowded: Records, engine: Engine
) -> None:
    records = pods_only(copy.deepcopy(crowded))
    mine = [i for i, r in enumerate(records) if r["object"]["metadata"].get("name") == "second"]
    first = [r for r in records if r["object"]["metadata"].get("name") == "first"]
    records[mine[-1]]["object"]["status"] = copy.deepcopy(first[-1]["object"]["status"])
    (v,) = checker.check_records(records, engine.spec).violations
    assert (v.step, v.rule) == ("NN-03", "admission")
    assert "requests 2000, its admitted pods 3000, of 4000" in v.expected
