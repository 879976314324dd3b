"""Placement: the indexed choice is the linear walk's choice, pod after pod; the index's
max-tree."""

from __future__ import annotations

import random
from typing import Any

import pytest

from listwatch.components.scheduler.nodeinfo import pod_requests
from listwatch.components.scheduler.placement import MaxTree, Placement
from listwatch.engine import Engine


def node(name: str, labels: dict[str, str], pods: int = 110) -> dict[str, Any]:
    return {
        "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "spec": {},
        "status": {"allocatable": {"cpu": "4", "memory": "16Gi", "pods": str(pods)}},
    }


def best_effort(name: str, selector: dict[str, str] | None, containers: int = 1) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "containers": [{"name": f"c{i}", "image": "nginx"} for i in range(containers)]
    }
    if selector:
        spec["nodeSelector"] = selector
    return {"kind": "Pod", "metadata": {"name": name, "uid": name}, "spec": spec}


def twin_placements(engine: Engine, nodes: list[dict[str, Any]]) -> tuple[Placement, Placement]:
    settings = engine.spec.component("scheduler").settings
    indexed, linear = Placement(settings, seed=7), Placement(settings, seed=7)
    linear.indexed = False
    for obj in nodes:
        indexed.add_or_update(obj)
        linear.add_or_update(obj)
    return indexed, linear


@pytest.mark.parametrize(
    ("nodes", "zones", "capacity"), [(7, 3, 110), (150, 10, 110), (400, 4, 3), (1200, 10, 110)]
)
def test_the_indexed_choice_is_the_linear_choice_pod_after_pod(
    engine: Engine, nodes: int, zones: int, capacity: int
) -> None:
    rng = random.Random(nodes)
    objs = [node(f"n{i:04d}", {"zone": f"z{rng.randrange(zones)}"}, capacity) for i in range(nodes)]
    indexed, linear = twin_placements(engine, objs)
    for i in range(600):
        kind = rng.randrange(4)
        selector = (
            None if kind == 0 else {"zone": f"z{rng.randrange(zones + 1)}"}
        )  # z{zones} matches nothing
        pod = best_effort(f"p{i}", selector, containers=1 + (kind == 3))
        requests = pod_requests(pod, 100, 209715200)
        a = indexed.choose(pod, requests)
        b = linear.choose(pod, requests)
        assert a == b, f"pod {i} ({selector}): indexed {a} vs linear {b}"
        assert indexed.next_start == linear.next_start
        if a[0]:
            for placement in (indexed, linear):
                info = placement.by_name[a[0]]
                info.add_pod(pod["metadata"]["uid"], requests)
                placement.pod_count_changed(info)
        if i == 300:  # relabel a node midway
            changed = node(objs[0]["metadata"]["name"], {"zone": "z0"}, capacity)
            indexed.add_or_update(changed)
            linear.add_or_update(changed)


def test_the_fit_error_of_the_indexed_path_is_the_linear_one(engine: Engine) -> None:
    indexed, linear = twin_placements(
        engine, [node("a", {"cz": "alice"}), node("b", {"cz": "bob"})]
    )
    pod = best_effort("p", {"cz": "carol"})
    requests = pod_requests(pod, 100, 209715200)
    assert indexed.choose(pod, requests) == linear.choose(pod, requests)
    assert indexed.choose(pod, requests)[1].startswith(
        "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector."
    )


def test_a_max_tree_finds_the_maximum_its_count_and_each_occurrence() -> None:
    values = [3, 7, 1, 7, 7, 2, 7, 0]
    tree = MaxTree(values)
    assert tree.query(0, 7) == (7, 4)
    assert tree.query(2, 2) == (1, 1)
    assert [tree.nth(2, 6, 7, n) for n in range(3)] == [3, 4, 6]
    tree.update(4, 9)
    assert tree.query(0, 7) == (9, 1) and tree.nth(0, 7, 9, 0) == 4
    assert tree.query(5, 7) == (7, 1)
