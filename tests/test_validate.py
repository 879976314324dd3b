"""`listwatch validate`: which steps concern a component, the command line split at `--`, and
how the steps are judged from the scenarios and the checker (the whole command, run against
examples/scheduler.py, is in test_examples_scheduler.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from listwatch import validate
from listwatch.engine import Engine

ROOT = Path(__file__).resolve().parents[1]


def test_a_component_is_judged_on_the_observable_steps_it_acts_in(engine: Engine) -> None:
    ids = {
        component: [step.id for step in validate.steps_of(engine.spec, component)]
        for component in ("scheduler", "kubelet", "controller-manager")
    }
    assert ids["scheduler"] == ["LW-10", "US-01"]
    assert "LW-12" in ids["kubelet"] and "NN-03" in ids["kubelet"]
    assert "RC-01" in ids["controller-manager"] and "LW-10" not in ids["controller-manager"]
    internal = {step.id for step in engine.spec.flow.steps if step.internal}
    assert not internal & {i for found in ids.values() for i in found}


def test_the_command_line_is_split_at_the_first_double_dash_after_validate() -> None:
    assert validate.split_command(
        ["--spec", "s", "validate", "scheduler", "-k", "x", "--", "python", "s.py", "--", "-k"]
    ) == (["--spec", "s", "validate", "scheduler", "-k", "x"], ["python", "s.py", "--", "-k"])
    assert validate.split_command(["exec", "p", "--", "ls"]) == (["exec", "p", "--", "ls"], [])


def test_without_a_command_validate_says_what_is_missing() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "listwatch", "validate", "scheduler"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr == "error: validate: give the implementation's command after --\n"
