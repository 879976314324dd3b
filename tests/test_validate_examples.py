"""`listwatch validate` on the shipped components, as a user runs it: each correct example passes
20 generated rounds (seeds 1-20) with no failure (and the scheduler, under another name, takes
only its own pods), and each shipped wrong component (tests/wrong/)
fails, at the step that names its mistake, in a sentence that says what it did.

Every run is a `listwatch validate ... --no-features` process of its own (the conformance
scenarios are tests/test_examples_scheduler.py's); they run a few at a time, as each spends most
of its time waiting for the component it judges.
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
#: How many validations run at once.
AT_ONCE = 4
#: Seeds each correct example must pass (the Validate issue: at least 20).
SEEDS = 20

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Case:
    """One validation: the component, the command, and, for a wrong one, the step that must fail
    and words of the reason."""

    name: str
    component: str
    command: tuple[str, ...]
    step: str = ""
    words: str = ""
    #: More options of `listwatch validate`.
    options: tuple[str, ...] = ()
    rounds: int = SEEDS


def scheduler(mode: str, step: str, words: str) -> Case:
    command = (PYTHON, "tests/wrong/scheduler.py", "--wrong", mode)
    return Case(f"scheduler {mode}", "scheduler", command, step, words, rounds=1)


CORRECT = [
    Case("examples/scheduler.py", "scheduler", (PYTHON, "examples/scheduler.py")),
    Case("examples/kubelet.py", "kubelet", (PYTHON, "examples/kubelet.py")),
    Case(
        "examples/replication_controller.py",
        "replicationcontroller-controller",
        (PYTHON, "examples/replication_controller.py"),
    ),
    # A scheduler of another name takes only the pods asking for it; the rounds' others ask for
    # other-scheduler and must be left alone.
    Case(
        "examples/scheduler.py --scheduler-name my-scheduler",
        "scheduler",
        (PYTHON, "examples/scheduler.py", "--scheduler-name", "my-scheduler"),
        options=("--scheduler-name", "my-scheduler"),
        rounds=3,
    ),
]
WRONG = [
    scheduler("ignores-node-selector", "LW-10", "passes the scheduler's NodeAffinity filter"),
    scheduler("ignores-taints", "LW-10", "passes the scheduler's TaintToleration filter"),
    scheduler("overcommits", "LW-10", "passes the scheduler's NodeResourcesFit filter"),
    scheduler("binds-twice", "LW-10", "was scheduled 2 times"),
    scheduler("binds-others", "LW-10", "expected the pod's own scheduler (other-scheduler)"),
    scheduler("never-unschedulable", "US-01", "fits no node, but the scheduler never said so"),
    scheduler("random-node", "LW-10", "observed bound to"),
    Case(
        "kubelet starts-rejected",
        "kubelet",
        (PYTHON, "tests/wrong/kubelet.py", "--wrong", "starts-rejected"),
        "NN-03",
        "expected NN-03: the kubelet rejects the pod (node",
        rounds=1,
    ),
    Case(
        "controller over-creates",
        "replicationcontroller-controller",
        (PYTHON, "tests/wrong/controller.py", "--wrong", "over-creates"),
        "LW-06",
        "appeared as its active pod number",
        rounds=1,
    ),
    Case(
        "controller under-creates",
        "replicationcontroller-controller",
        (PYTHON, "tests/wrong/controller.py", "--wrong", "under-creates"),
        "RC-01",
        "1 too few",
        rounds=1,
    ),
]


def run(case: Case, workdir: Path) -> tuple[int, str, dict[str, Any]]:
    report = workdir / f"{case.name.replace('/', '_').replace(' ', '_')}.json"
    done = subprocess.run(
        [
            PYTHON,
            "-m",
            "listwatch",
            "validate",
            case.component,
            "--no-features",
            "--rounds",
            str(case.rounds),
            *case.options,
            "--report",
            str(report),
            "--",
            *case.command,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert report.exists(), (done.stdout + done.stderr)[-4000:]
    assert "Traceback" not in done.stderr, done.stderr[-4000:]
    return done.returncode, done.stdout, json.loads(report.read_text())


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, str, Any]]:
    workdir = tmp_path_factory.mktemp("validate")
    cases = CORRECT + WRONG
    with ThreadPoolExecutor(AT_ONCE) as pool:
        done = list(pool.map(lambda c: run(c, workdir), cases))
    return {case.name: result for case, result in zip(cases, done, strict=True)}


@pytest.mark.parametrize("case", CORRECT, ids=lambda c: c.name)
def test_a_correct_component_passes_every_round(
    case: Case, results: dict[str, tuple[int, str, Any]]
) -> None:
    code, output, report = results[case.name]
    assert code == 0, output[-6000:]
    assert report["rounds"]["played"] == [f"seed {seed}" for seed in range(1, case.rounds + 1)]
    assert report["rounds"]["findings"] == []
    assert all(checked["violations"] == [] for checked in report["checker"])
    verdicts = {s["id"]: s["verdict"] for s in report["steps"]}
    # The rounds exercise what they concern (a kubelet's image upgrade, UP-02, is the features').
    assert set(verdicts.values()) <= {"passed", "not exercised"}, report["steps"]
    assert list(verdicts.values()).count("passed") >= 2, verdicts


@pytest.mark.parametrize("case", WRONG, ids=lambda c: c.name)
def test_a_wrong_component_fails_at_the_step_of_its_mistake(
    case: Case, results: dict[str, tuple[int, str, Any]]
) -> None:
    code, output, report = results[case.name]
    assert code == 1, output[-6000:]
    step = next(s for s in report["steps"] if s["id"] == case.step)
    assert step["verdict"] == "failed", report["steps"]
    assert any(case.words in reason for reason in step["reasons"]), step["reasons"][:5]
    assert f"{case.step}   failed" in output and output.rstrip().endswith("FAILED")
