"""Generated admission rounds (`listwatch.generated.admission`): reproducible from their seed,
replayed in creation order; a kubelet that runs what it must reject or rejects what fits is found
at NN-03, one that never runs what it admitted at LW-12; the built-in kubelet has no finding."""

from __future__ import annotations

from typing import Any

import pytest

from listwatch.generated import admission
from tests.generated import served

NODE = {
    "metadata": {"name": "node01", "labels": {"kubernetes.io/hostname": "node01"}},
    "status": {"allocatable": {"cpu": "4", "memory": "16261904Ki", "pods": "110"}},
}


def nodes(scenario: admission.Scenario) -> dict[str, Any]:
    return {n: {**NODE, "metadata": {**NODE["metadata"], "name": n}} for n in scenario.nodes}


def as_kubelet_left_them(scenario: admission.Scenario, *, wrong: str = "") -> list[dict[str, Any]]:
    """The round's pods as a kubelet leaves them: admitted ones Running, rejected ones Failed
    with the reason, unless `wrong` says otherwise."""
    fates = admission.expected(scenario, nodes(scenario))
    pods = []
    for pod in scenario.pods:
        fate = fates[pod["metadata"]["name"]]
        status: dict[str, Any] = {"phase": "Running"}
        if fate is not None and wrong != "starts-rejected":
            status = {"phase": "Failed", "reason": fate[0]}
        if fate is None and wrong == "rejects-all":
            status = {"phase": "Failed", "reason": "OutOfcpu", "message": "no"}
        if fate is None and wrong == "never-runs":
            status = {"phase": "Pending"}
        pods.append({**pod, "status": status})
    return pods


def test_a_seed_gives_the_same_round_and_its_traps_are_always_rejected() -> None:
    assert admission.generate(4) == admission.generate(4)
    assert admission.generate(4) != admission.generate(5)
    for seed in range(30):
        scenario = admission.generate(seed)
        fates = admission.expected(scenario, nodes(scenario))
        assert fates[f"trap-{seed}-cpu"] is not None and fates[f"trap-{seed}-cpu"][0] == "OutOfcpu"
        assert fates[f"trap-{seed}-memory"] == (
            "OutOfmemory",
            fates[f"trap-{seed}-memory"][1],  # type: ignore[index]
        )
        assert fates[f"trap-{seed}-selector"] == (
            "NodeAffinity",
            "its nodeSelector {'listwatch.io/zone': 'nowhere'}",
        )
        assert sum(f is None for f in fates.values()) >= 8  # most pods fit


def test_the_replay_counts_only_what_was_admitted_before() -> None:
    scenario = admission.Scenario(
        1,
        "admission-1",
        ("node01",),
        tuple(
            admission._pod(name, "node01", cpu, "")
            for name, cpu in (("a", "3"), ("b", "2"), ("c", "1"))
        ),
    )
    fates = admission.expected(scenario, nodes(scenario))
    assert fates["a"] is None and fates["c"] is None
    assert fates["b"] == (
        "OutOfcpu",
        "it requests 2000m cpu, the pods admitted there 3000m, of 4000m",
    )


def test_a_kubelet_that_does_what_it_must_has_no_finding() -> None:
    for seed in range(20):
        scenario = admission.generate(seed)
        assert (
            admission.judge(scenario, as_kubelet_left_them(scenario), nodes(scenario).values())
            == []
        )


@pytest.mark.parametrize(
    ("wrong", "step", "words"),
    [
        (
            "starts-rejected",
            "NN-03",
            "should have been rejected with reason OutOfcpu, but it is Running",
        ),
        ("rejects-all", "NN-03", "yet was rejected: OutOfcpu: no"),
        ("never-runs", "LW-12", "but its containers never ran (phase Pending)"),
    ],
)
def test_a_wrong_kubelet_is_found_at_its_step_in_every_round(
    wrong: str, step: str, words: str
) -> None:
    for seed in range(20):
        scenario = admission.generate(seed)
        found = admission.judge(
            scenario, as_kubelet_left_them(scenario, wrong=wrong), nodes(scenario).values()
        )
        assert any(f.step == step and words in f.sentence for f in found), (seed, found)


@pytest.mark.slow
def test_the_built_in_kubelet_has_no_finding_and_no_violation_over_5_seeds() -> None:
    for r in served.play_all("kubelet", list(range(1, 6))):
        assert (r.findings, r.violations) == ([], []), r.seed
        assert r.step_counts["NN-03"] > 0 and r.step_counts["LW-12"] > 0, r.summary
