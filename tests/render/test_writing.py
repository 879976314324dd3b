"""Writing pictures: DOT always, SVG and PNG through `dot`, and a one-line hint when `dot` is
missing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from listwatch.errors import ListwatchError
from listwatch.render import writing

PICTURES = {"first": "digraph first {\n\ta -> b\n}\n", "second": "digraph second {\n\tc -> d\n}\n"}
needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot is not installed"
)


def test_without_dot_every_dot_file_is_still_written_with_a_one_line_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    written = writing.write(PICTURES, tmp_path / "out", formats=("svg", "png"))
    assert written.files == (tmp_path / "out" / "first.dot", tmp_path / "out" / "second.dot")
    assert (tmp_path / "out" / "first.dot").read_text() == PICTURES["first"]
    assert "\n" not in written.hint
    assert written.hint.startswith("dot not found: install Graphviz (apt install graphviz)")
    assert (
        f"dot -Tsvg {tmp_path / 'out' / 'first.dot'} -o {tmp_path / 'out' / 'first.svg'}"
        in written.hint
    )


def test_when_which_finds_no_dot_nothing_is_rendered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writing.shutil, "which", lambda name: None)
    written = writing.write(PICTURES, tmp_path, formats=("dot", "svg"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.dot", "second.dot"]
    assert written.hint


@needs_dot
def test_with_dot_the_pictures_are_rendered_without_paths_in_them(tmp_path: Path) -> None:
    written = writing.write(PICTURES, tmp_path, formats=("dot", "svg", "png"))
    assert [p.name for p in written.files] == [
        "first.dot",
        "first.svg",
        "first.png",
        "second.dot",
        "second.svg",
        "second.png",
    ]
    assert written.hint == ""
    svg = (tmp_path / "first.svg").read_text()
    assert svg.startswith("<?xml") and str(tmp_path) not in svg
    assert (tmp_path / "first.png").read_bytes().startswith(b"\x89PNG")


@needs_dot
def test_only_the_formats_asked_for_are_written(tmp_path: Path) -> None:
    writing.write(PICTURES, tmp_path, formats=("svg",))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.svg", "second.svg"]


def test_formats_are_a_checked_comma_list() -> None:
    assert writing.parse_formats("dot, SVG,dot") == ("dot", "svg")
    with pytest.raises(
        ListwatchError, match=r"--format 'dot,gif': expected a comma list of dot, svg, png"
    ):
        writing.parse_formats("dot,gif")
    with pytest.raises(ListwatchError):
        writing.parse_formats(" , ")
