"""The tutorial's six-arrow figure, drawn from the spec's `flow.simplified`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from listwatch.engine import Engine
from listwatch.render import simplified, style
from tests.dot_text import edges
from tests.spec_copies import changed_spec


def _arrows(dot: str) -> dict[str, tuple[str, str, dict[str, str]]]:
    return {
        e.attrs["id"]: (e.tail, e.head or "", e.attrs)
        for e in edges(dot)
        if e.attrs.get("id", "").startswith("arrow")
    }


def test_the_six_arrows_are_drawn_between_their_components(engine: Engine) -> None:
    drawn = _arrows(simplified.picture(engine.spec, style.palette(engine.spec)).source)
    assert [(a, b) for a, b, _ in drawn.values()] == [
        ("kubectl", "apiserver"),
        ("apiserver", "etcd"),
        ("apiserver", "scheduler"),
        ("apiserver", "kubelet"),
        ("kubelet", "apiserver"),
        ("apiserver", "etcd"),
        ("kubectl", "apiserver"),
    ]


def test_an_arrow_through_the_api_server_is_two_edges_with_the_same_number(engine: Engine) -> None:
    drawn = _arrows(simplified.picture(engine.spec, style.palette(engine.spec)).source)
    assert drawn["arrow1.0"][2]["label"].startswith("<<b>1</b>  the pod is stored")
    assert drawn["arrow1.1"][2]["label"] == "<<b>1</b>>"
    assert "LW-02, LW-03, LW-04" in drawn["arrow1.0"][2]["label"]


def test_an_arrow_of_internal_steps_only_is_dashed_and_a_client_read_solid(engine: Engine) -> None:
    drawn = _arrows(simplified.picture(engine.spec, style.palette(engine.spec)).source)
    assert drawn["arrow5.0"][2]["style"] == "dashed"
    assert drawn["arrow6.0"][2]["style"] == "solid"
    assert drawn["arrow2.0"][2]["style"] == "solid"


def test_a_reworded_arrow_in_a_copy_of_the_spec_is_reworded_in_the_picture(tmp_path: Path) -> None:
    def reword(doc: dict[str, Any]) -> None:
        doc["simplified"][3]["label"] = "the kubelet reports back"

    spec = changed_spec(tmp_path, "flow.yaml", reword)
    assert "the kubelet reports back" in simplified.picture(spec, style.palette(spec)).source
