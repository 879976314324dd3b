"""Generated replication rounds (`listwatch.generated.replication`): reproducible from their seed;
a wrong replica count or status is found at the step of what was last done to the controller;
the built-in replication manager, on the served cluster, has no finding."""

from __future__ import annotations

from typing import Any

import pytest

from listwatch.generated import replication
from tests.generated import served


def pod(name: str, owner: str, **metadata: Any) -> dict[str, Any]:
    refs = [{"kind": "ReplicationController", "name": owner, "controller": True}]
    return {
        "metadata": {"name": name, "ownerReferences": refs, **metadata},
        "status": {"phase": "Running"},
    }


def controller(name: str, replicas: int, reported: int) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {"replicas": replicas},
        "status": {"replicas": reported},
    }


SCENARIO = replication.generate(1)


def test_a_seed_gives_the_same_round_every_time_and_it_scales_and_deletes() -> None:
    assert replication.generate(5) == replication.generate(5)
    assert replication.generate(5) != replication.generate(6)
    kinds = {what for seed in range(20) for what, _, _ in replication.generate(seed).operations}
    assert kinds == {replication.SCALE, replication.DELETE_POD}
    assert all(
        replication.generate(seed).controllers[0]["spec"]["replicas"] == 0 for seed in range(20)
    )


def test_a_replicaset_round_makes_replicasets_as_apps_v1_selects() -> None:
    scenario = replication.generate(3, kind="ReplicaSet")
    assert {c["kind"] for c in scenario.controllers} == {"ReplicaSet"}
    first = scenario.controllers[0]
    assert first["apiVersion"] == "apps/v1"
    assert first["spec"]["selector"] == {"matchLabels": {"app": "rc-3-0"}}
    assert replication.round_of(3, "ReplicaSet").plural == "replicasets"


def test_only_owned_pods_that_are_not_going_count_as_active() -> None:
    pods = [
        pod("a", "web"),
        pod("b", "web", deletionTimestamp="2026-01-01T00:00:00Z"),
        pod("c", "other"),
        {**pod("d", "web"), "status": {"phase": "Failed"}},
    ]
    assert [p["metadata"]["name"] for p in replication.active(pods, "web")] == ["a"]


def test_the_right_count_and_status_have_no_finding() -> None:
    pods = [pod("web-a", "web"), pod("web-b", "web")]
    assert replication.judge(SCENARIO, pods, [controller("web", 2, 2)], {}) == []


@pytest.mark.parametrize(
    ("pods", "touched", "step", "sentence"),
    [
        (
            ["web-a", "web-b", "web-c"],
            {},
            "LW-06",
            "replication-1/web has 3 active pods (web-a, web-b, web-c) for spec.replicas 2: "
            "1 too many",
        ),
        (
            ["web-a"],
            {"web": "RC-01"},
            "RC-01",
            "replication-1/web has 1 active pods (web-a) for spec.replicas 2: 1 too few",
        ),
        (
            [],
            {"web": "RC-02"},
            "RC-02",
            "replication-1/web has 0 active pods (none) for spec.replicas 2: 2 too few",
        ),
    ],
)
def test_a_wrong_count_is_found_at_the_step_of_what_was_last_done(
    pods: list[str], touched: dict[str, str], step: str, sentence: str
) -> None:
    found = replication.judge(
        SCENARIO, [pod(n, "web") for n in pods], [controller("web", 2, 2)], touched
    )
    assert [(f.step, f.sentence) for f in found] == [(step, sentence)]


def test_a_status_that_misreports_the_count_is_found() -> None:
    pods = [pod("web-a", "web"), pod("web-b", "web")]
    found = replication.judge(SCENARIO, pods, [controller("web", 2, 3)], {"web": "RC-01"})
    assert [(f.step, f.sentence) for f in found] == [
        ("RC-01", "replication-1/web reports status.replicas 3 but has 2 active pods")
    ]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("component", "seeds"),
    [("replicationcontroller-controller", [1, 2, 3, 4, 5]), ("replicaset-controller", [1, 2])],
)
def test_the_built_in_controllers_have_no_finding_and_no_violation(
    component: str, seeds: list[int]
) -> None:
    """Five seeds of ReplicationControllers, two of ReplicaSets (whose Events, from
    replicaset-controller, the flow's LW-06 does not name: the checker counts only the
    replication controller's)."""
    for r in served.play_all(component, seeds):
        assert (r.findings, r.violations) == ([], []), r.seed
        if component == "replicationcontroller-controller":
            assert r.step_counts["LW-06"] > 0, r.summary
