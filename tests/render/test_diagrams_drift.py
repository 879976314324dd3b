"""The committed diagrams are the ones the spec draws: regenerate, compare, and name what to run."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from listwatch.engine import Engine
from listwatch.render import catalogue, writing
from listwatch.spec.model import Spec
from tests.conftest import ROOT
from tests.spec_copies import changed_spec, step_of

DIAGRAMS = ROOT / "diagrams"
REGENERATE = "listwatch diagrams --out diagrams (or: python -m listwatch.render --out diagrams)"


def drift(spec: Spec, committed: Path, scratch: Path) -> list[str]:
    """What differs between the DOT files in `committed` and those regenerated from `spec` into
    `scratch`."""
    written = writing.write(catalogue.sources(spec), scratch, formats=("dot",))
    problems = []
    for fresh in written.files:
        old = committed / fresh.name
        if not old.is_file():
            problems.append(f"{fresh.name} is missing")
        elif old.read_text() != fresh.read_text():
            problems.append(f"{fresh.name} differs from the spec")
    drawn = {f.name for f in written.files}
    problems += [
        f"{old.name} is no longer drawn: delete it"
        for old in sorted(committed.glob("*.dot"))
        if old.name not in drawn and not old.name.startswith("run")
    ]
    return problems


def test_the_committed_diagrams_are_the_ones_the_spec_draws(engine: Engine, tmp_path: Path) -> None:
    problems = drift(engine.spec, DIAGRAMS, tmp_path)
    assert not problems, (
        f"diagrams/ is out of date with spec/ ({'; '.join(problems)}): run {REGENERATE}"
    )


def test_every_committed_dot_source_has_its_svg_beside_it() -> None:
    missing = [
        p.name for p in sorted(DIAGRAMS.glob("*.dot")) if not p.with_suffix(".svg").is_file()
    ]
    assert not missing, f"no SVG for {', '.join(missing)}: run {REGENERATE}"


def committed_copy(spec: Spec, where: Path) -> Path:
    """Diagrams as they would be committed for `spec`: freshly regenerated into `where`."""
    writing.write(catalogue.sources(spec), where, formats=("dot",))
    return where


def test_the_drift_check_catches_a_committed_diagram_edited_by_hand(
    engine: Engine, tmp_path: Path
) -> None:
    committed = committed_copy(engine.spec, tmp_path / "committed")
    assert drift(engine.spec, committed, tmp_path / "unchanged") == []
    flow = committed / "flow.dot"
    flow.write_text(flow.read_text().replace("LW-10", "LW-1O", 1))
    (committed / "flow-removed-variant.dot").write_text("digraph x {}\n")
    assert drift(engine.spec, committed, tmp_path / "fresh") == [
        "flow.dot differs from the spec",
        "flow-removed-variant.dot is no longer drawn: delete it",
    ]


def test_the_drift_check_catches_a_spec_change_whose_diagrams_were_not_regenerated(
    engine: Engine, tmp_path: Path
) -> None:
    committed = committed_copy(engine.spec, tmp_path / "committed")

    def retitle(doc: dict[str, Any]) -> None:
        step_of(doc, "LW-10")["title"] = "The scheduler binds the pod"

    spec = changed_spec(tmp_path, "flow.yaml", retitle)
    problems = drift(spec, committed, tmp_path / "fresh")
    assert (
        "flow.dot differs from the spec" in problems
        and "scheduling.dot differs from the spec" in problems
    )
    assert "machine-container.dot differs from the spec" not in problems


def test_the_same_spec_draws_the_same_bytes_with_no_paths_or_timestamps(engine: Engine) -> None:
    first, second = catalogue.sources(engine.spec), catalogue.sources(engine.spec)
    assert first == second
    for source in first.values():
        assert str(ROOT) not in source and "/tmp" not in source and engine.spec.root not in source
        assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}:\d{2}", source)
