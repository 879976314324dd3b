"""Validating a component: examples/scheduler.py against `listwatch serve --without scheduler`.

Everything is real and runs as a user would run it: `listwatch serve` as a process, the example
scheduler as a process (the plain `kubernetes` client), and the features on the cluster backend
as a pytest process. The right scheduler passes the scheduling features; the wrong one (it ignores
nodeSelector) fails them, and the checker explains which step it broke.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCHEDULER = ROOT / "examples" / "scheduler.py"
#: The scheduling scenarios: nodeSelector placement (every row of the outline), unschedulable pods,
#: and the 13 steps.
SCHEDULING = (
    "node_whose_label or no_node_matches or labelling_a_node or decide_where or thirteen_steps"
)
SCHEDULING_COUNT = 13
#: Two scenarios where a pod's nodeSelector matches node02 only: a scheduler ignoring it binds
#: node01.
MISPLACED = "node_whose_label or thirteen_steps"

pytestmark = pytest.mark.slow


@contextmanager
def process(
    args: list[str], log: Path, *, ready: str = "", timeout: float = 30.0
) -> Iterator[subprocess.Popen[bytes]]:
    """A process whose output goes to `log`, started (and, with `ready`, waited for until `log` has
    that text) and stopped by its PID with SIGTERM at the end."""
    with log.open("wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        deadline = time.monotonic() + timeout
        while ready and ready not in log.read_text():
            assert proc.poll() is None, f"{args[:3]} exited: {log.read_text()}"
            assert time.monotonic() < deadline, (
                f"{args[:3]} did not start within {timeout:g}s: {log.read_text()}"
            )
            time.sleep(0.1)
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Path]:
    """`listwatch serve --without scheduler` on a free port; its kubeconfig."""
    kubeconfig = tmp_path / "kubeconfig"
    args = [
        sys.executable,
        "-m",
        "listwatch",
        "serve",
        "--without",
        "scheduler",
        "--port",
        "0",
        "--kubeconfig-out",
        str(kubeconfig),
    ]
    with process(args, tmp_path / "serve.log", ready="kubeconfig: "):
        yield kubeconfig


def features(kubeconfig: Path, keyword: str) -> subprocess.CompletedProcess[str]:
    """The features matching `keyword`, on the cluster backend, as a separate pytest run (its
    temporary files, the node-label lock among them, beside the kubeconfig)."""
    args = [
        sys.executable,
        "-m",
        "pytest",
        "--backend",
        "cluster",
        "--kubeconfig",
        str(kubeconfig),
        "tests/bdd",
        "-k",
        keyword,
    ]
    args += ["-p", "no:cacheprovider", "-n", "4", "-q"]
    env = {**os.environ, "LISTWATCH_REQUIRE_CLUSTER": "1", "TMPDIR": str(kubeconfig.parent)}
    return subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def test_the_example_scheduler_passes_the_scheduling_features(served: Path, tmp_path: Path) -> None:
    with process(
        [sys.executable, str(SCHEDULER), "--kubeconfig", str(served)],
        tmp_path / "scheduler.log",
        ready="scheduler: ",
    ):
        run = features(served, SCHEDULING)
    assert run.returncode == 0, run.stdout[-6000:]
    assert f"{SCHEDULING_COUNT} passed" in run.stdout, run.stdout[-3000:]


def test_a_scheduler_that_ignores_node_selector_fails_them_with_the_checker_s_explanation(
    served: Path, tmp_path: Path
) -> None:
    wrong = [sys.executable, str(SCHEDULER), "--kubeconfig", str(served), "--ignore-node-selector"]
    with process(wrong, tmp_path / "scheduler.log", ready="scheduler: "):
        run = features(served, MISPLACED)
    assert run.returncode == 1, run.stdout[-6000:]
    assert "2 failed" in run.stdout, run.stdout[-3000:]
    # The checker names the step broken and why: bound to a node its nodeSelector does not match.
    assert (
        "LW-10: expected a node that passes the scheduler's NodeAffinity filter (cz=bob); "
        "observed bound to node01" in run.stdout
    )
    # ... and what followed from it: the kubelet of node01 rejected the pod.
    assert "the pod pod-example is Failed, not Running" in run.stdout
