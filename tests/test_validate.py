"""`listwatch validate`: which steps concern a component, the command line split at `--`, and
how the steps are judged from the scenarios and the checker (the whole command, run against
examples/scheduler.py, is in test_examples_scheduler.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from listwatch import generated, validate
from listwatch.engine import Engine
from listwatch.generated import admission, replication, scheduling

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


def test_every_generated_round_names_only_steps_its_component_acts_in(engine: Engine) -> None:
    for component, module in (
        ("scheduler", scheduling),
        ("kubelet", admission),
        ("controller-manager", replication),
        ("replicationcontroller-controller", replication),
        ("replicaset-controller", replication),
    ):
        assert generated.round_for(component, 1, generated.Options()) is not None
        steps = {step.id for step in validate.steps_of(engine.spec, component)}
        assert steps >= module.STEPS, component
    assert generated.round_for("namespace-controller", 1, generated.Options()) is None


def test_a_component_that_exits_early_fails_the_validation(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "listwatch",
            "validate",
            "scheduler",
            "--no-features",
            "--rounds",
            "1",
            "--report",
            str(tmp_path / "report.json"),
            "--",
            sys.executable,
            "-c",
            "print('cannot start: no such cluster'); raise SystemExit(3)",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        "scheduler: exited with code 3 before the scenarios ended (a failure); its last lines:\n"
        "  cannot start: no such cluster\n"
    ) in done.stderr
    assert done.stdout.rstrip().endswith("scheduler: FAILED")
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["rounds"]["played"] == ["seed 1"]
    # Nobody placed the round's pods: each one that fits is reported at US-01.
    assert any(
        f["step"] == "US-01" and "was left unbound although" in f["sentence"]
        for f in report["rounds"]["findings"]
    )
