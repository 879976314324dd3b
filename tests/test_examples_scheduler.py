"""Validating a component: examples/scheduler.py judged by `listwatch validate scheduler`.

Everything is real and runs as a user would run it: `listwatch validate` as a process, which
serves the cluster without its scheduler, starts the example (the plain `kubernetes` client) with
KUBECONFIG pointing at it, runs the scheduling scenarios on the cluster backend and judges the
recorded watch streams. The right scheduler passes; the wrong one (it ignores nodeSelector) fails,
and the report names the step it broke and what it did.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCHEDULER = ROOT / "examples" / "scheduler.py"
#: The scheduling scenarios: nodeSelector placement (every row of the outline), unschedulable pods,
#: and the 13 steps.
SCHEDULING = (
    "node_whose_label or no_node_matches or labelling_a_node or decide_where or thirteen_steps"
)
#: Two scenarios where a pod's nodeSelector matches node02 only: a scheduler ignoring it binds
#: node01.
MISPLACED = "node_whose_label or thirteen_steps"

pytestmark = pytest.mark.slow


def validate(tmp_path: Path, options: list[str], *scheduler_args: str) -> tuple[int, str, Any]:
    """`listwatch validate scheduler OPTIONS -- python examples/scheduler.py ARGS`: its exit
    code, its output and its JSON report."""
    report = tmp_path / "report.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "listwatch",
            "validate",
            "scheduler",
            *options,
            "--report",
            str(report),
            "--junit",
            str(tmp_path / "junit.xml"),
            "--",
            sys.executable,
            str(SCHEDULER),
            *scheduler_args,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert report.exists(), (done.stdout + done.stderr)[-6000:]
    assert "Traceback" not in done.stderr and "Error in ASGI" not in done.stderr, done.stderr
    return done.returncode, done.stdout, json.loads(report.read_text())


def verdicts(report: Any) -> dict[str, str]:
    return {step["id"]: step["verdict"] for step in report["steps"]}


def test_the_example_scheduler_passes_the_scheduling_scenarios(tmp_path: Path) -> None:
    code, output, report = validate(tmp_path, ["-k", SCHEDULING, "--rounds", "0"])
    assert code == 0, output[-6000:]
    assert verdicts(report) == {"LW-10": "passed", "US-01": "passed"}, report["steps"]
    # Those of the scheduling scenarios that are tagged with the scheduler's steps: all of them
    # but one.
    outcomes = [s["outcome"] for s in report["scenarios"]]
    assert outcomes == ["passed"] * 12, report["scenarios"]
    assert all(checked["violations"] == [] for checked in report["checker"])
    assert (tmp_path / "junit.xml").read_text().count("<testcase") == len(outcomes)
    assert output.rstrip().endswith("scheduler: PASSED"), output[-2000:]


def test_a_scheduler_that_ignores_node_selector_fails_naming_lw_10_and_what_it_did(
    tmp_path: Path,
) -> None:
    code, output, report = validate(
        tmp_path, ["-k", MISPLACED, "--rounds", "0"], "--ignore-node-selector"
    )
    assert code == 1, output[-6000:]
    assert verdicts(report)["LW-10"] == "failed", report["steps"]
    reasons = next(s["reasons"] for s in report["steps"] if s["id"] == "LW-10")
    # The checker names what the scheduler did: bound to a node its nodeSelector does not match.
    assert any(
        "expected a node that passes the scheduler's NodeAffinity filter (cz=bob); observed bound "
        "to node01" in reason
        for reason in reasons
    ), reasons
    assert "LW-10   failed" in output and output.rstrip().endswith("scheduler: FAILED"), output
