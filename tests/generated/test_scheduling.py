"""Generated scheduling rounds (`listwatch.generated.scheduling`): reproducible from their seed,
judged from the objects at the end.

A pure placement (`place`, a scheduler in twenty lines: the filters in kube-scheduler's order,
first node that fits) gets no finding over many seeds; the same placement with one filter or duty
left out is found, at the step the spec gives it, in a sentence naming the pod and the node. The
built-in scheduler, on the served cluster, gets none over 20 seeds.
"""

from __future__ import annotations

from typing import Any

import pytest

from listwatch.generated import scheduling
from listwatch.generated.round import Finding
from listwatch.rules import resources
from tests.generated import served

NODES = [f"node{i:02d}" for i in range(1, 6)]
Obj = dict[str, Any]


def nodes_of(scenario: scheduling.Scenario) -> list[Obj]:
    return [scheduling._patched(name, patch) for name, patch in scenario.nodes.items()]


def place(scenario: scheduling.Scenario, *, wrong: str = "") -> tuple[list[Obj], list[Obj]]:
    """Where a scheduler puts the round's pods, in order, and the Events it records; `wrong`
    leaves one thing out (a filter, or a duty), as the shipped wrong schedulers do."""
    nodes = nodes_of(scenario)
    placed: list[Obj] = []
    events: list[Obj] = []
    for pod in scenario.pods:
        pod = {
            **pod,
            "metadata": {**pod["metadata"], "namespace": scenario.namespace},
            "spec": dict(pod["spec"]),
            "status": {},
        }
        placed.append(pod)
        if pod["spec"]["schedulerName"] != scenario.scheduler and wrong != "binds-others":
            continue
        room = [
            n
            for n in nodes
            if (wrong == "ignores-filters" or _passes(pod, n, wrong))
            and (
                wrong in ("overcommits", "ignores-filters")
                or resources.bind_fit(
                    pod,
                    n,
                    [p for p in placed if p["spec"].get("nodeName") == n["metadata"]["name"]],
                )
                is None
            )
        ]
        about = {"kind": "Pod", "namespace": scenario.namespace, "name": pod["metadata"]["name"]}
        if room:
            node = room[0]["metadata"]["name"]
            pod["spec"]["nodeName"] = node
            told = [node, room[-1]["metadata"]["name"]] if wrong == "binds-twice" else [node]
            events += [
                {"reason": "Scheduled", "involvedObject": about, "message": f"assigned to {n}"}
                for n in told
            ]
        elif wrong != "never-unschedulable":
            pod["status"]["conditions"] = [
                {"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}
            ]
            events.append({"reason": "FailedScheduling", "involvedObject": about})
    return placed, events


def _passes(pod: Obj, node: Obj, wrong: str) -> bool:
    why = scheduling.refusal(pod, node)
    if why is None:
        return True
    ignored = {
        "ignores-node-selector": "do not match",
        "ignores-taints": "does not tolerate",
    }.get(wrong)
    return ignored is not None and ignored in why


def findings_of(seed: int, wrong: str = "") -> list[Finding]:
    scenario = scheduling.generate(seed, NODES)
    placed, events = place(scenario, wrong=wrong)
    return scheduling.judge(scenario, placed, nodes_of(scenario), events)


def test_a_seed_gives_the_same_round_every_time_and_another_seed_another() -> None:
    assert scheduling.generate(7, NODES) == scheduling.generate(7, NODES)
    assert scheduling.generate(7, NODES).pods != scheduling.generate(8, NODES).pods


def test_every_round_has_its_traps_that_fit_no_node_and_pods_of_every_shape() -> None:
    shapes: set[str] = set()
    for seed in range(50):
        scenario = scheduling.generate(seed, NODES)
        assert len(scenario.traps) == len(scheduling.TRAPS)
        traps = [p for p in scenario.pods if p["metadata"]["name"] in scenario.traps]
        for trap in traps:
            if trap["spec"]["schedulerName"] != scenario.scheduler:
                continue
            for node in nodes_of(scenario):
                assert (
                    scheduling.refusal(trap, node) is not None
                    or resources.bind_fit(trap, node, []) is not None
                ), (trap, node)
        for pod in scenario.pods:
            spec = pod["spec"]
            shapes.update(k for k in ("nodeSelector", "affinity", "tolerations") if k in spec)
            shapes.update(["requests"] if "resources" in spec["containers"][0] else [])
            shapes.update(["other"] if spec["schedulerName"] != scenario.scheduler else [])
        patches = scenario.nodes.values()
        shapes.update(["tainted"] if any(p["spec"]["taints"] for p in patches) else [])
        shapes.update(["cordoned"] if any(p["spec"].get("unschedulable") for p in patches) else [])
    assert shapes == {
        "nodeSelector",
        "affinity",
        "tolerations",
        "requests",
        "other",
        "tainted",
        "cordoned",
    }


def test_a_correct_placement_has_no_finding_over_200_seeds() -> None:
    found = {seed: findings_of(seed) for seed in range(200)}
    assert {seed: f for seed, f in found.items() if f} == {}


@pytest.mark.parametrize(
    ("wrong", "step", "words"),
    [
        ("ignores-node-selector", "LW-10", "do not match its node constraints"),
        ("ignores-taints", "LW-10", "it does not tolerate"),
        ("overcommits", "LW-10", "is overcommitted: its pods"),
        ("binds-twice", "LW-10", "times ("),
        ("binds-others", "LW-10", "took a pod that is not its own"),
        ("never-unschedulable", "US-01", "fits no node, but the scheduler never said so"),
        ("ignores-filters", "LW-10", "was bound to"),
    ],
)
def test_a_wrong_placement_is_found_at_its_step_in_every_one_of_20_seeds(
    wrong: str, step: str, words: str
) -> None:
    for seed in range(20):
        found = findings_of(seed, wrong)
        assert any(f.step == step and words in f.sentence for f in found), (seed, found)


def test_a_pod_left_unbound_where_a_node_has_room_is_found_at_us_01() -> None:
    scenario = scheduling.generate(3, NODES)
    placed, events = place(scenario)
    pod = next(p for p in placed if p["spec"].get("nodeName"))
    pod["spec"]["nodeName"] = ""
    found = scheduling.judge(scenario, placed, nodes_of(scenario), events)
    assert [f.step for f in found] == ["US-01"]
    assert found[0].sentence.startswith(
        f"generated-3/{pod['metadata']['name']} was left unbound although node"
    )


def test_a_scheduler_picking_nodes_at_random_passes_at_most_one_round_in_a_thousand() -> None:
    passed, total = scheduling.chance_of_passing(range(1000), NODES)
    assert (passed, total) == (0, 1000)
    # Even without the traps (which it always misplaces).
    passed, total = scheduling.chance_of_passing(range(1000), NODES, without_traps=True)
    assert passed <= 1 and total == 1000


@pytest.mark.slow
def test_the_built_in_scheduler_has_no_finding_and_no_violation_over_20_seeds() -> None:
    rounds = served.play_all("scheduler", list(range(1, 21)))
    assert [(r.seed, r.findings) for r in rounds if r.findings] == []
    assert [(r.seed, r.violations) for r in rounds if r.violations] == []
    # Each round bound pods and reported one unschedulable: the steps were exercised.
    for r in rounds:
        assert r.step_counts["LW-10"] > 0 and r.step_counts["US-01"] > 0, r.summary
