"""The compiled machines agree with `transitions` itself, for every machine of the spec."""

from __future__ import annotations

import random
from typing import Any

import pytest
import transitions

from listwatch.engine import Engine
from listwatch.machines import building
from listwatch.machines.building import Machine


class Recorder:
    """An owner whose every guard answers from a script and whose every callback is logged."""

    def __init__(self, answers: random.Random) -> None:
        self.answers = answers
        self.log: list[str] = []


class Context:
    pass


def scripted(machine: Machine, rng_seed: int) -> tuple[list[str], list[str]]:
    """Fire random triggers through the compiled table and through transitions; return both logs."""
    definition = machine.definition
    triggers = list(definition.triggers)

    def run(use_reference: bool) -> list[str]:
        rng = random.Random(rng_seed)
        guard_rng = random.Random(rng_seed + 1)
        log: list[str] = []

        def wrap(name: str, kind: str) -> Any:
            def callback(owner: Any, context: Any) -> Any:
                log.append(f"{kind}:{name}")
                return guard_rng.random() < 0.5 if kind == "guard" else None

            return callback

        # Build a reference machine with logging callbacks in place of the engine's.
        specs = []
        for t in definition.transitions:
            specs.append(
                {
                    "trigger": t.trigger,
                    "source": list(t.sources),
                    "dest": t.dest,
                    "conditions": [wrap(n, "guard") for n in t.conditions],
                    "unless": [wrap(n, "guard") for n in t.unless],
                    "before": [wrap(n, "before") for n in t.before],
                    "after": [wrap(n, "after") for n in t.after],
                }
            )
        context = Context()
        reference = transitions.Machine(
            model=context if use_reference else None,
            states=list(definition.state_names),
            initial=definition.initial,
            transitions=specs,
            auto_transitions=False,
            model_attribute="state",
            ignore_invalid_triggers=True,
        )
        compiled = Machine(definition, reference)
        compiled.attribute = "state"
        if not use_reference:
            context.state = definition.initial  # type: ignore[attr-defined]
        for _ in range(60):
            trigger = rng.choice(triggers)
            if use_reference:
                context.trigger(trigger, None, context)  # type: ignore[attr-defined]
            else:
                compiled.fire(None, context, trigger)
            log.append(f"state:{context.state}")  # type: ignore[attr-defined]
        return log

    return run(True), run(False)


def test_every_spec_machine_runs_exactly_as_transitions_runs_it(engine: Engine) -> None:
    for name, machine in engine.machines.items():
        for seed in range(5):
            reference, compiled = scripted(machine, seed)
            assert compiled == reference, f"{name} diverges from transitions with seed {seed}"


def test_an_invalid_trigger_changes_nothing(engine: Engine) -> None:
    machine = engine.machines["pod-phase"]
    context = Context()
    machine.start(context)
    assert machine.fire(None, context, "node_recovered") is None
    assert machine.state(context) == "Pending"


def test_machines_are_built_with_transitions_and_keep_it_for_inspection(engine: Engine) -> None:
    machine = engine.machines["scheduling"]
    assert isinstance(machine.reference, transitions.Machine)
    assert set(machine.reference.states) == set(machine.definition.state_names)
    assert machine.can("Queued", "schedule") and not machine.can("Bound", "schedule")


@pytest.mark.parametrize(
    "name",
    [
        "container",
        "pod-phase",
        "scheduling",
        "pod-worker",
        "replication",
        "list-watch",
        "request",
        "api-watch",
        "etcd-watch",
    ],
)
def test_every_state_of_every_machine_is_reachable(engine: Engine, name: str) -> None:
    definition = engine.machines[name].definition
    seen = {definition.initial}
    frontier = [definition.initial]
    while frontier:
        state = frontier.pop()
        for t in definition.transitions:
            if state in t.sources and t.dest not in seen:
                seen.add(t.dest)
                frontier.append(t.dest)
    assert seen == set(definition.state_names)


def test_state_counts_follow_every_context_from_its_start_and_fired_edges_skip_starts(
    engine: Engine,
) -> None:
    counts, fired = building.StateCounts(), building.FiredEdges()
    machine = engine.machines["pod-phase"].observed(building.both(counts, fired))
    first, second = Context(), Context()
    machine.start(first)
    machine.start(second)
    assert counts.counts["pod-phase"] == {"Pending": 2} and fired.edges == set()
    assert machine.fire(None, first, "reject") == "Failed"  # a transition with no guard
    assert counts.snapshot()["pod-phase"] == {"Pending": 1, "Failed": 1}
    assert fired.edges == {("pod-phase", "reject", "Pending", "Failed")}
