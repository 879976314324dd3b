"""A recorded run drawn over the flow: counts on edges, unseen steps grey, violations red."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from listwatch.cli import main
from listwatch.engine import Engine
from listwatch.render import coverage, overlay, style, subcommand
from tests.dot_text import step_edges
from tests.pod_records import RUNNING, changed, pod, watch


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The trace of `listwatch run`: the tutorial's nodeName pod, then its nodeSelector pod."""
    path = tmp_path_factory.mktemp("run") / "run.jsonl"
    assert main(["run", "--trace", str(path)], out=io.StringIO(), err=io.StringIO()) == 0
    return [json.loads(line) for line in path.read_text().splitlines()]


def draw(engine: Engine, records: list[Any], **given: Any) -> dict[str, list[Any]]:
    run = coverage.of_trace(engine.spec, records, **given)
    return step_edges(overlay.picture(engine.spec, style.palette(engine.spec), run).source)


def test_each_edge_is_labelled_with_how_often_the_run_showed_it(
    engine: Engine, simulated: list[dict[str, Any]]
) -> None:
    drawn = draw(engine, simulated)
    assert drawn["LW-02"][0].label == "LW-02 \u00d72"
    assert drawn["LW-10"][0].label == "LW-10 \u00d71"
    assert drawn["NN-01"][0].label == "NN-01 \u00d71"
    by_actor = {e.tail: e.label for e in drawn["LW-01"]}
    assert by_actor["scheduler"] == "LW-01 \u00d74" and by_actor["kubelet"] == "LW-01 \u00d74"


def test_steps_the_run_never_showed_are_grey_and_the_others_keep_their_colour(
    engine: Engine, simulated: list[dict[str, Any]]
) -> None:
    drawn = draw(engine, simulated)
    pal = style.palette(engine.spec)
    for step_id in ("US-01", "UP-01", "RC-02", "NN-03"):
        assert {e.attrs["color"] for e in drawn[step_id]} == {style.UNSEEN.line}, step_id
        assert drawn[step_id][0].label.endswith("\u00d70")
    assert drawn["LW-10"][0].attrs["color"] == pal.of("scheduler").line


def test_a_violation_is_red_with_its_message_on_the_edge_and_one_without_a_step_under_the_title(
    engine: Engine, simulated: list[dict[str, Any]]
) -> None:
    violations = [
        ("LW-10", "nodeName changed after binding"),
        ("", "the trace ends before the pod is Running"),
    ]
    run = coverage.of_trace(engine.spec, simulated, violations=violations)
    dot = overlay.picture(engine.spec, style.palette(engine.spec), run).source
    [bound] = step_edges(dot)["LW-10"]
    assert bound.attrs[
        "color"
    ] == style.VIOLATION and "nodeName changed after binding" in bound.label.replace("\\n", " ")
    assert "the trace ends before the pod is Running" in dot
    assert "2 violations" in dot


def test_a_real_cluster_trace_marks_internal_steps_as_not_visible(engine: Engine) -> None:
    created = pod()
    bound = changed(
        created,
        spec__nodeName="node01",
        status__conditions=[{"type": "PodScheduled", "status": "True"}],
    )
    running = changed(bound, status__containerStatuses=RUNNING, status__phase="Running")
    drawn = draw(engine, watch(created, bound, running))
    assert (
        drawn["LW-03"][0].label == "LW-03 \u2014" and drawn["LW-03"][0].attrs["style"] == "dotted"
    )
    assert (
        drawn["LW-10"][0].label == "LW-10 \u00d71" and drawn["LW-10"][0].attrs["style"] == "solid"
    )
    assert drawn["NN-01"][0].label == "NN-01 \u00d70"


def test_write_run_diagrams_writes_the_run_picture_for_listwatch_run(
    engine: Engine, simulated: list[dict[str, Any]], tmp_path: Path
) -> None:
    written = subcommand.write_run_diagrams(engine.spec, simulated, tmp_path, formats=("dot",))
    assert written.files == (tmp_path / "run.dot",)
    assert "LW-10 \u00d71" in (tmp_path / "run.dot").read_text()
