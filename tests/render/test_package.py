"""The render package's public surface, and its promise to be the only importer of graphviz."""

from __future__ import annotations

import re

import listwatch.render
from tests.conftest import ROOT


def test_the_public_surface_is_what_the_cli_the_checker_and_the_web_view_wire_to() -> None:
    assert sorted(listwatch.render.__all__) == [
        "Coverage",
        "Written",
        "add_arguments",
        "command",
        "live_flow",
        "pictures",
        "run_source",
        "sources",
        "svg",
        "write_run_diagrams",
    ]
    for name in listwatch.render.__all__:
        assert getattr(listwatch.render, name).__doc__


def test_only_the_render_package_imports_graphviz() -> None:
    engine = ROOT / "engine" / "listwatch"
    importers = sorted(
        str(path.relative_to(engine))
        for path in engine.rglob("*.py")
        if re.search(r"^\s*(import|from) graphviz\b", path.read_text(), re.MULTILINE)
    )
    assert importers and all(path.startswith("render/") for path in importers), importers
