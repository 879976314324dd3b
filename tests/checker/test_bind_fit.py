"""The checker judges the scheduler's NodeResourcesFit at each bind: a pod bound to a node whose
allocatable its requests, with those of the pods bound there before it, exceed is a violation of
the bind step, named with the numbers."""

from __future__ import annotations

from typing import Any

from listwatch import checker
from listwatch.engine import Engine


def node(name: str, cpu: str) -> dict[str, Any]:
    return {
        "type": "ADDED",
        "object": {
            "kind": "Node",
            "apiVersion": "v1",
            "metadata": {"name": name, "resourceVersion": "1", "labels": {}},
            "status": {"allocatable": {"cpu": cpu, "memory": "8Gi", "pods": "110"}},
        },
    }


def pod(name: str, rv: int, *, cpu: str, on: str = "") -> dict[str, Any]:
    spec: dict[str, Any] = {
        "schedulerName": "default-scheduler",
        "containers": [{"name": "c", "image": "nginx", "resources": {"requests": {"cpu": cpu}}}],
    }
    status: dict[str, Any] = {"phase": "Pending", "qosClass": "Burstable"}
    if on:
        spec["nodeName"] = on
        status["conditions"] = [
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": "2026-01-01T00:00:01Z"}
        ]
    return {
        "type": "MODIFIED" if on else "ADDED",
        "object": {
            "kind": "Pod",
            "apiVersion": "v1",
            "metadata": {
                "name": name,
                "namespace": "default",
                "uid": f"uid-{name}",
                "resourceVersion": str(rv),
            },
            "spec": spec,
            "status": status,
        },
    }


def binds(count: int, cpu: str, *, nodes: tuple[str, ...] = ("node01",)) -> list[Any]:
    records: list[Any] = [node(n, "4") for n in nodes]
    rv = 10
    for i in range(count):
        name = f"p{i}"
        records.append(pod(name, rv, cpu=cpu))
        records.append(pod(name, rv + 1, cpu=cpu, on=nodes[i % len(nodes)]))
        rv += 2
    return records


def test_six_pods_of_one_and_a_half_cpus_on_four_are_caught_at_the_third_bind(
    engine: Engine,
) -> None:
    report = checker.check_records(binds(6, "1500m"), engine.spec)
    caught = [(v.pod.name, v.step, v.rule) for v in report.violations]
    assert caught == [(f"p{i}", "LW-10", "resources") for i in range(2, 6)], report.violations
    first = report.violations[0]
    assert first.observed == (
        "bound to node01: Insufficient cpu (the pod requests 1500, the 2 pods bound there 3000, "
        "of 4000)"
    ), first.observed
    assert "NodeResourcesFit" in first.expected


def test_binds_that_fit_pass(engine: Engine) -> None:
    report = checker.check_records(binds(4, "1500m", nodes=("node01", "node02")), engine.spec)
    assert report.violations == ()
