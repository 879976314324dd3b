"""The scheduling decision: drawn from the flow graph and the scheduler's settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from listwatch.engine import Engine
from listwatch.render import scheduling, style
from tests.dot_text import edges
from tests.spec_copies import changed_spec, remove_step


def test_the_decision_runs_from_the_new_pod_event_to_the_kubelet(engine: Engine) -> None:
    steps = [s.id for s in scheduling.region(engine.spec)]
    assert steps[0] == "LW-08"
    assert {"LW-09", "LW-10", "LW-11", "LW-12", "NN-01", "NN-02", "NN-03", "US-01", "US-02"} == set(
        steps[1:]
    )


def test_nodename_goes_to_the_kubelet_and_no_nodename_to_the_scheduler_by_their_watches(
    engine: Engine,
) -> None:
    drawn = {
        (e.tail, e.head): e.label
        for e in edges(scheduling.picture(engine.spec, style.palette(engine.spec)).source)
    }
    assert "spec.nodeName={node}" in drawn[("LW-08", "NN-01")]
    assert "kubelet" in drawn[("LW-08", "NN-01")]
    assert (
        "spec.nodeName=," in drawn[("LW-08", "LW-09")] and "scheduler" in drawn[("LW-08", "LW-09")]
    )


def test_no_node_fitting_leads_to_unschedulable_and_back_to_scheduling_on_a_node_change(
    engine: Engine,
) -> None:
    drawn = {
        (e.tail, e.head)
        for e in edges(scheduling.picture(engine.spec, style.palette(engine.spec)).source)
    }
    assert {("LW-09", "US-01"), ("US-01", "US-02"), ("US-02", "LW-09"), ("LW-09", "LW-10")} <= drawn
    assert {("NN-01", "NN-02"), ("NN-01", "NN-03"), ("NN-02", "LW-12"), ("LW-11", "LW-12")} <= drawn


def test_the_scheduler_step_lists_the_filters_in_order_and_the_weighted_scores(
    engine: Engine,
) -> None:
    dot = scheduling.picture(engine.spec, style.palette(engine.spec)).source
    filters = [f["plugin"] for f in engine.spec.settings("scheduler")["filters"]]
    positions = [dot.index(f"{i}. {name}") for i, name in enumerate(filters, 1)]
    assert positions == sorted(positions)
    assert "TaintToleration \u00d73" in dot
    assert "after 300s" in dot and "(podMaxInUnschedulablePodsDuration)" in dot


def test_a_changed_weight_and_a_removed_filter_in_a_copy_of_the_spec_change_the_picture(
    tmp_path: Path,
) -> None:
    def change(doc: dict[str, Any]) -> None:
        doc["settings"]["scores"][0]["weight"] = 5
        doc["settings"]["filters"] = [
            f for f in doc["settings"]["filters"] if f["plugin"] != "NodeUnschedulable"
        ]

    spec = changed_spec(tmp_path, "components/scheduler.yaml", change)
    dot = scheduling.picture(spec, style.palette(spec)).source
    assert "TaintToleration \u00d75" in dot and "\u00d73" not in dot
    assert "NodeUnschedulable" not in dot and "1. NodeName" in dot


def test_without_the_unschedulable_steps_the_picture_has_no_unschedulable_branch(
    tmp_path: Path,
) -> None:
    def change(doc: dict[str, Any]) -> None:
        remove_step(doc, "US-02")
        remove_step(doc, "US-01")

    spec = changed_spec(tmp_path, "flow.yaml", change)
    dot = scheduling.picture(spec, style.palette(spec)).source
    assert "US-01" not in dot and "US-02" not in dot and "LW-10" in dot
