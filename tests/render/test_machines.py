"""State-machine pictures: every machine of the spec, its states, its numbered transitions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from listwatch.engine import Engine
from listwatch.render import catalogue, machines, style
from tests.dot_text import edges, nodes
from tests.spec_copies import changed_spec


def test_every_machine_of_the_spec_has_a_picture(engine: Engine) -> None:
    names = catalogue.sources(engine.spec)
    assert {f"machine-{m}" for m in engine.spec.machines} <= set(names)
    for wanted in (
        "pod-phase",
        "container",
        "scheduling",
        "pod-worker",
        "replication",
        "list-watch",
    ):
        assert f"machine-{wanted}" in names


def test_each_transition_is_an_edge_from_each_of_its_sources_carrying_its_number(
    engine: Engine,
) -> None:
    spec = engine.spec
    for machine in spec.machines.values():
        drawn = {
            (e.tail, e.head): e.label
            for e in edges(machines.picture(spec, style.palette(spec), machine).source)
        }
        for number, transition in enumerate(machine.transitions, 1):
            for source in transition.sources:
                assert f"{number} {transition.trigger}" in drawn[(source, transition.dest)].split(
                    "\\n"
                ), (machine.name, number)
        assert drawn[("__initial", machine.initial)] == ""


def test_final_states_have_a_double_border_and_the_others_a_single_one(engine: Engine) -> None:
    machine = engine.spec.machine("pod-phase")
    drawn = nodes(machines.picture(engine.spec, style.palette(engine.spec), machine).source)
    assert (
        drawn["Succeeded"].attrs["peripheries"] == "2"
        and drawn["Failed"].attrs["peripheries"] == "2"
    )
    assert drawn["Pending"].attrs["peripheries"] == "1"


def test_a_machine_takes_the_colour_of_the_component_that_runs_it(engine: Engine) -> None:
    spec = engine.spec
    assert machines.runner(spec, spec.machine("scheduling")) == "scheduler"
    assert machines.runner(spec, spec.machine("container")) == "kubelet"
    assert machines.runner(spec, spec.machine("api-watch")) == "apiserver"
    assert machines.runner(spec, spec.machine("list-watch")) == ""
    drawn = nodes(machines.picture(spec, style.palette(spec), spec.machine("list-watch")).source)
    assert drawn["Watching"].attrs["color"] == style.NEUTRAL.line


def test_the_table_gives_guards_and_actions_and_marks_a_fallback_as_otherwise(
    engine: Engine,
) -> None:
    dot = machines.picture(
        engine.spec, style.palette(engine.spec), engine.spec.machine("scheduling")
    ).source
    assert "node_found" in dot and "bind_pod" in dot and "record_unschedulable" in dot
    assert "<i>otherwise</i>" in dot


def test_a_transition_added_to_a_copy_of_the_spec_appears_in_its_machine(tmp_path: Path) -> None:
    def add(doc: dict[str, Any]) -> None:
        doc["machines"][0]["transitions"].append(
            {"trigger": "evict", "source": "Bound", "dest": "Gone"}
        )

    spec = changed_spec(tmp_path, "components/scheduler.yaml", add)
    drawn = {
        (e.tail, e.head): e.label for e in edges(catalogue.sources(spec)["machine-scheduling"])
    }
    assert drawn[("Bound", "Gone")] == f"{len(spec.machine('scheduling').transitions)} evict"
