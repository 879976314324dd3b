"""Checks across the spec: a state with no way out, observed-only transitions, waiting reasons."""

from __future__ import annotations

from pathlib import Path

import pytest

from listwatch import engine as engine_module
from listwatch.errors import SpecError
from listwatch.machines import building
from listwatch.spec import loading
from listwatch.spec.model import Spec
from tests.conftest import SPEC
from tests.spec_copies import edit

#: The first line of the `why` of pod-phase's node_lost transition.
NODE_LOST_WHY = '        why: "older clusters'


def drop_line(root: Path, name: str, needle: str, *, after: str = "") -> None:
    """Remove the first line holding `needle` (after the first line holding `after`)."""
    path = root / name
    lines = path.read_text().splitlines(keepends=True)
    start = next(n for n, line in enumerate(lines) if after in line) if after else 0
    cut = next(n for n in range(start, len(lines)) if needle in lines[n])
    path.write_text("".join(lines[:cut] + lines[cut + 1 :]))


def line_of(root: Path, name: str, needle: str) -> int:
    lines = (root / name).read_text().splitlines()
    return next(n for n, line in enumerate(lines, start=1) if needle in line)


def test_a_state_with_no_way_out_that_is_not_final_is_refused(spec_copy: Path) -> None:
    edit(
        spec_copy,
        "objects/pod.yaml",
        '{name: Succeeded, final: true, doc: "every',
        '{name: Succeeded, doc: "every',
    )
    with pytest.raises(SpecError) as caught:
        loading.load(spec_copy)
    error = caught.value
    assert (error.file, error.path) == ("spec/objects/pod.yaml", "machines[0].states[2]")
    assert error.line == line_of(spec_copy, "objects/pod.yaml", "{name: Succeeded")
    assert "a way out of Succeeded" in error.problem and "final: true" in error.problem


def test_observed_only_needs_a_why(spec_copy: Path) -> None:
    drop_line(spec_copy, "objects/pod.yaml", NODE_LOST_WHY)
    with pytest.raises(SpecError) as caught:
        loading.load(spec_copy)
    error = caught.value
    assert error.file == "spec/objects/pod.yaml"
    shipped = [t.trigger for t in loading.load(SPEC).machine("pod-phase").transitions]
    assert error.path == f"machines[0].transitions[{shipped.index('node_lost')}]"
    assert "'why' is a dependency of 'observedOnly'" in error.problem


def test_the_shipped_observed_only_transitions_are_what_v1_32_no_longer_does() -> None:
    spec = engine_module.load().spec
    marked = {
        (m.name, t.trigger)
        for m in spec.machines.values()
        for t in m.transitions
        if t.observed_only
    }
    assert marked == {("pod-phase", "node_lost"), ("pod-phase", "node_recovered")}


def test_an_observed_only_transition_is_not_owed_by_the_simulator(spec_copy: Path) -> None:
    def owed(spec: Spec) -> set[tuple[str, str]]:
        gaps = building.unfired(spec, set())
        return {(g.machine.name, g.machine.transitions[g.index].trigger) for g in gaps}

    shipped = owed(loading.load(spec_copy))
    assert ("pod-phase", "sync") in shipped
    assert ("pod-phase", "node_lost") not in shipped
    assert ("pod-phase", "node_recovered") not in shipped
    drop_line(spec_copy, "objects/pod.yaml", NODE_LOST_WHY)
    drop_line(spec_copy, "objects/pod.yaml", "observedOnly: true", after="trigger: node_lost")
    assert ("pod-phase", "node_lost") in owed(loading.load(spec_copy))


def test_a_waiting_state_must_show_a_declared_reason(spec_copy: Path) -> None:
    edit(
        spec_copy,
        "objects/container.yaml",
        "reason: ErrImagePull}, doc:",
        "reason: ErrImagePul}, doc:",
    )
    with pytest.raises(SpecError) as caught:
        loading.load(spec_copy)
    error = caught.value
    assert (error.file, error.path) == (
        "spec/objects/container.yaml",
        "machines[0].states[2].status.reason",
    )
    assert "'ErrImagePul'" in error.problem
