"""The flow pictures: components as nodes, one edge per step, numbered, styled by observability."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from listwatch.engine import Engine
from listwatch.render import catalogue, flow, style
from tests.dot_text import edges, nodes, step_edges
from tests.spec_copies import changed_spec, remove_step, step_of

NEW_STEP: dict[str, Any] = {
    "id": "LW-14",
    "title": "A client reads the pod back",
    "from": "kubectl",
    "to": "apiserver",
    "message": "GET the pod; kubectl get pod shows it",
    "match": {"action": "request", "actor": "kubectl", "verb": "get"},
    "observable": {"change": "the client sees the pod"},
    "next": [],
}


def add_step(flow_doc: dict[str, Any]) -> None:
    flow_doc["steps"].append(NEW_STEP)
    step_of(flow_doc, "LW-13")["next"].append("LW-14")


def test_the_full_flow_draws_one_edge_for_each_actor_and_target_of_each_step(
    engine: Engine,
) -> None:
    spec = engine.spec
    drawn = step_edges(flow.full(spec, style.palette(spec)).source)
    assert set(drawn) == set(spec.flow.step_ids)
    for step in spec.flow.steps:
        assert sorted((e.tail, e.head) for e in drawn[step.id]) == sorted(flow.pairs(step))
    assert {(e.tail, e.head) for e in drawn["LW-01"]} == {
        ("controller-manager", "apiserver"),
        ("scheduler", "apiserver"),
        ("kubelet", "apiserver"),
    }


def test_every_actor_of_the_flow_is_a_node_of_the_flow_picture(engine: Engine) -> None:
    drawn = nodes(flow.full(engine.spec, style.palette(engine.spec)).source)
    assert set(engine.spec.flow.actors) <= set(drawn)


def test_a_step_added_to_a_copy_of_the_spec_appears_as_a_new_edge(tmp_path: Path) -> None:
    spec = changed_spec(tmp_path, "flow.yaml", add_step)
    dot = flow.full(spec, style.palette(spec)).source
    [added] = step_edges(dot)["LW-14"]
    assert (added.tail, added.head, added.label) == ("kubectl", "apiserver", "LW-14")
    assert "A client reads the pod back" in dot


def test_a_step_removed_from_a_copy_of_the_spec_disappears_from_every_flow_picture(
    tmp_path: Path,
) -> None:
    spec = changed_spec(tmp_path, "flow.yaml", lambda doc: remove_step(doc, "NN-03"))
    for name, source in catalogue.sources(spec).items():
        if name.startswith("flow") or name == "scheduling":
            assert "NN-03" not in source, name
    assert "NN-02" in step_edges(flow.full(spec, style.palette(spec)).source)


def test_observable_steps_are_solid_lines_and_internal_steps_dashed(engine: Engine) -> None:
    spec = engine.spec
    drawn = step_edges(flow.full(spec, style.palette(spec)).source)
    for step in spec.flow.steps:
        expected = "dashed" if step.internal else "solid"
        assert {e.attrs["style"] for e in drawn[step.id]} == {expected}, step.id
    assert (
        drawn["LW-03"][0].attrs["style"] == "dashed" and drawn["LW-10"][0].attrs["style"] == "solid"
    )


def test_each_edge_is_in_the_colour_of_the_component_that_acts(engine: Engine) -> None:
    spec = engine.spec
    pal = style.palette(spec)
    for edge in edges(flow.full(spec, pal).source):
        assert edge.attrs["color"] == pal.of(edge.tail).line


def test_a_variant_numbers_its_edges_in_path_order_and_a_step_taken_twice_carries_both_numbers(
    engine: Engine,
) -> None:
    spec = engine.spec
    path = next(v for v in spec.flow.variants if v.id == "unschedulable")
    drawn = step_edges(flow.variant(spec, style.palette(spec), path).source)
    assert set(drawn) == set(path.steps)
    assert drawn["LW-09"][0].label == "9, 12  LW-09"
    assert drawn["US-01"][0].label == "10  US-01"
    assert drawn["LW-13"][0].label == "16  LW-13"


def test_the_nodename_variant_skips_the_scheduler_and_goes_to_the_kubelet(engine: Engine) -> None:
    spec = engine.spec
    path = next(v for v in spec.flow.variants if v.id == "nodeName")
    drawn = step_edges(flow.variant(spec, style.palette(spec), path).source)
    assert "LW-09" not in drawn and "LW-10" not in drawn
    assert [(e.tail, e.head, e.label) for e in drawn["NN-01"]] == [
        ("apiserver", "kubelet", "9  NN-01")
    ]
    assert [(e.tail, e.head) for e in drawn["NN-02"]] == [("kubelet", "kubelet")]


def test_every_variant_of_the_spec_has_its_own_picture(engine: Engine) -> None:
    names = catalogue.sources(engine.spec)
    for wanted in ("nodeName", "nodeSelector", "unschedulable", "replication"):
        assert f"flow-{wanted}" in names
    assert {f"flow-{v.id}" for v in engine.spec.flow.variants} <= set(names)


def test_the_table_says_what_a_client_of_the_api_sees_of_each_step(engine: Engine) -> None:
    flow_ = engine.spec.flow
    assert flow.seen_as(flow_.step("LW-03")) == "internal"
    assert flow.seen_as(flow_.step("LW-10")).startswith(
        "MODIFIED, Event Scheduled: spec.nodeName set"
    )
    assert "no Scheduled Event" in flow.seen_as(flow_.step("NN-01"))
    assert flow.seen_as(flow_.step("RC-01")) == "Event SuccessfulCreate or SuccessfulDelete"
    dot = flow.full(engine.spec, style.palette(engine.spec)).source
    assert "Event Scheduled" in dot and "no Scheduled Event" in dot
