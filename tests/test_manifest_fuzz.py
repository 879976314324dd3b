"""Fuzzed manifests: whatever the file, `listwatch run` ends with success or one error line.

A few hundred seeded mutations of the examples (tests/manifest_mutations.py) run in-process
through `listwatch.cli.main`. The longer, subprocess-per-file run with time and memory measured is
`benchmarks/fuzz_manifests.py`.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from listwatch import engine as engine_module
from listwatch.cli import main
from listwatch.engine import Engine
from tests.manifest_mutations import mutations

SEED = 20240611
COUNT = 300


def run_file(path: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["run", str(path)], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_every_mutated_manifest_runs_or_is_refused_with_one_error_line(
    tmp_path: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Loading the spec takes longer than most runs: every run here shares the session's engine.
    monkeypatch.setattr(engine_module, "load", lambda *_args, **_kwargs: engine)
    problems = []
    codes = {0: 0, 1: 0}
    for name, raw in mutations(SEED, COUNT):
        path = tmp_path / f"{name}.yaml"
        path.write_bytes(raw)
        code, _out, err = run_file(path)
        lines = err.splitlines()
        if code == 0 and not err:
            codes[0] += 1
            continue
        refused = code == 1 and len(lines) == 1 and lines[0].startswith(f"error: {path}")
        if refused and "Traceback" not in err:
            codes[1] += 1
            continue
        problems.append(f"{name}: exit {code}: {err[:500]!r}")
        path.rename(tmp_path / f"failed-{name}.yaml")
    assert not problems, "\n".join(problems)
    # The mutations are not all fatal, nor all harmless: both outcomes are exercised.
    assert codes[0] >= 10 and codes[1] >= COUNT // 2, codes


@pytest.mark.parametrize("seed", [1, 2])
def test_the_mutations_are_the_same_for_the_same_seed(seed: int) -> None:
    assert list(mutations(seed, 20)) == list(mutations(seed, 20))
