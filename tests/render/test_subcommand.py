"""`listwatch diagrams`: its options, what it writes, and what it says."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from listwatch.engine import Engine
from listwatch.render import catalogue, subcommand
from listwatch.render.__main__ import main


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    subcommand.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_the_options_default_to_dot_and_svg_in_diagrams() -> None:
    args = parse()
    assert (args.out, args.format, args.trace) == ("diagrams", "dot,svg", None)


def test_the_command_writes_every_picture_of_the_spec_and_says_so(
    engine: Engine, tmp_path: Path
) -> None:
    out = io.StringIO()
    assert (
        subcommand.command(parse("--out", str(tmp_path), "--format", "dot"), out, engine.spec) == 0
    )
    assert sorted(p.stem for p in tmp_path.glob("*.dot")) == sorted(catalogue.sources(engine.spec))
    assert (
        out.getvalue()
        == f"{len(catalogue.sources(engine.spec))} pictures of the spec written to {tmp_path}/ "
        "(dot)\n"
    )


def test_the_command_without_dot_prints_the_hint(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    out = io.StringIO()
    subcommand.command(parse("--out", str(tmp_path / "d")), out, engine.spec)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and lines[1].startswith("dot not found:")
    assert (tmp_path / "d" / "flow.dot").is_file()


def test_the_command_with_a_trace_draws_the_run(engine: Engine, tmp_path: Path) -> None:
    trace = tmp_path / "real.json"
    trace.write_text(
        json.dumps(
            [
                {
                    "kind": "Pod",
                    "metadata": {"name": "p", "uid": "u"},
                    "spec": {},
                    "status": {"phase": "Pending"},
                }
            ]
        )
    )
    out = io.StringIO()
    assert (
        subcommand.command(
            parse("--out", str(tmp_path), "--format", "dot", "--trace", str(trace)),
            out,
            engine.spec,
        )
        == 0
    )
    assert "LW-02 \u00d71" in (tmp_path / "run.dot").read_text()
    assert str(tmp_path / "run.dot") in out.getvalue()


def test_python_dash_m_listwatch_render_refuses_a_bad_format(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["--out", str(tmp_path), "--format", "gif"]) == 1
    assert capsys.readouterr().err.startswith("error: --format 'gif'")
