"""The official Python client's own end-to-end suite against `listwatch serve`.

The suite is kubernetes-client/python's `kubernetes/e2e_test` and `kubernetes/aio/e2e_test` (51
tests). No PyPI distribution of the client carries them, so they are not part of listwatch: give
this script a checkout of the client's repository (`--suite DIR`): `git clone
https://github.com/kubernetes-client/python DIR && git -C DIR checkout 024658493` (2026-08-17,
the commit the figures in the README were measured with; later commits work too). It starts
`listwatch serve` (a subprocess on a free port, stopped by its PID), runs the suite with pytest
against it (KUBECONFIG pointing at the served cluster, as the suite's base.py reads it; the
suite's modules import as part of the installed client, through `client_e2e_plugin`; a test
still running after TEST_SECONDS fails), and reports each test's outcome against the list of
known failures below, each with its cause.

    python benchmarks/client_e2e.py --suite DIR [--runtime memory|docker] [--kubeconfig FILE]

With --kubeconfig it runs against that cluster instead of starting one. It exits 0 when every
test not listed as a known failure passed.
"""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
DIRECTORIES = ("kubernetes/e2e_test", "kubernetes/aio/e2e_test")

# The causes of the known failures, one word each, as the report groups them.
EXEC = "exec needs a container"
LISTEN = "nothing listens in a simulated container"
METRICS = "metrics"
MEMORY = ("memory",)
ALL = ("memory", "docker")


@dataclass(frozen=True, slots=True)
class Known:
    """Why a test of the suite fails against `listwatch serve`, and on which runtimes."""

    cause: str
    detail: str
    runtimes: tuple[str, ...] = ALL


#: The suite's tests that fail today, by test id (path under the suite::class::method), each with
#: its cause; every other test must pass. Remove a line when the work it names is merged.
KNOWN_FAILURES: dict[str, Known] = {
    "kubernetes/e2e_test/test_client.py::TestClient::test_exit_code": Known(
        EXEC, "the exec stream's exit status (error channel) from a real container", MEMORY
    ),
    "kubernetes/e2e_test/test_client.py::TestClient::test_pod_apis": Known(
        EXEC, "/bin/sh -c 'echo ...' output from a busybox container", MEMORY
    ),
    "kubernetes/e2e_test/test_client.py::TestClient::test_pod_exec_close_channel": Known(
        EXEC, "an interactive shell reading stdin", MEMORY
    ),
    "kubernetes/e2e_test/test_client.py::TestClient::test_portforward_http": Known(
        LISTEN, "nginx's port 80: the error channel says the connection was refused", MEMORY
    ),
    "kubernetes/e2e_test/test_client.py::TestClient::test_portforward_raw": Known(
        LISTEN, "`python` runs no echo servers (its startup probe never passes)", MEMORY
    ),
}

#: Tests the suite itself skips against any cluster without what they need.
KNOWN_SKIPS: dict[str, Known] = {
    "kubernetes/e2e_test/test_utils.py::TestUtils::test_metrics_utilities_integration": Known(
        METRICS, "no metrics.k8s.io API (metrics-server); the test skips itself"
    ),
}


@dataclass(frozen=True, slots=True)
class Outcome:
    """One test's result: passed, failed, error or skipped, with the first line of why."""

    test: str
    result: str
    message: str = ""
    seconds: float = 0.0


def suite_tests(suite: Path) -> list[str]:
    """The ids of the suite's tests, read from its sources (no import, no run)."""
    ids = []
    for directory in DIRECTORIES:
        for path in sorted((suite / directory).glob("test_*.py")):
            tree = ast.parse(path.read_text())
            relative = path.relative_to(suite).as_posix()
            for node in tree.body:
                if isinstance(node, ast.ClassDef):
                    ids += [
                        f"{relative}::{node.name}::{item.name}"
                        for item in node.body
                        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                        and item.name.startswith("test")
                    ]
                elif isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
                    ids.append(f"{relative}::{node.name}")
    return ids


@contextmanager
def served(runtime: str = "memory") -> Iterator[Path]:
    """`listwatch serve` on a free port of 127.0.0.1, as a user starts it: yields its
    kubeconfig, and stops the server by its PID on exit."""
    with tempfile.TemporaryDirectory(prefix="listwatch-clientsuite-") as tmp:
        kubeconfig = Path(tmp) / "kubeconfig"
        log = Path(tmp) / "serve.log"
        env = {**os.environ, "PYTHONPATH": _pythonpath()}
        command = [sys.executable, "-m", "listwatch", "serve", "--port", "0", "--runtime", runtime]
        with log.open("w") as out:
            server = subprocess.Popen(
                [*command, "--kubeconfig-out", str(kubeconfig)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )
        try:
            deadline = time.monotonic() + 60
            while "kubeconfig: " not in log.read_text():
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"listwatch serve did not start:\n{log.read_text()}")
                time.sleep(0.1)
            yield kubeconfig
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _pythonpath() -> str:
    """This checkout's engine first, so that the server and the suite's process run it, and this
    directory, for the suite's plugin."""
    paths = (str(ROOT / "engine"), str(HERE), os.environ.get("PYTHONPATH"))
    return os.pathsep.join(p for p in paths if p)


#: How long one test of the suite may run before it fails (some wait forever for a pod to run).
TEST_SECONDS = 90


def run_suite(
    suite: Path, kubeconfig: Path, junit: Path, *, timeout: float = 3000
) -> dict[str, Outcome]:
    """Run the suite against the cluster of `kubeconfig`; each test's outcome. The suite runs
    with settings of its own (not listwatch's pyproject), each test failing after TEST_SECONDS."""
    with tempfile.TemporaryDirectory(prefix="listwatch-clientsuite-home-") as home:
        env = {
            **os.environ,
            "KUBECONFIG": str(kubeconfig),
            "PYTHONPATH": _pythonpath(),
            "HOME": home,  # nothing of the user's (~/.kube) is read
            "LISTWATCH_SUITE_DIR": str(suite),
            "LISTWATCH_SUITE_TEST_SECONDS": str(TEST_SECONDS),
        }
        ini = Path(home) / "pytest.ini"
        ini.write_text("[pytest]\naddopts = -p no:cacheprovider --import-mode=importlib\n")
        try:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pytest",
                    "-c",
                    str(ini),
                    "--rootdir",
                    str(suite),
                    "-p",
                    "client_e2e_plugin",
                    "-q",
                    f"--junitxml={junit}",
                    *DIRECTORIES,
                ],
                cwd=suite,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=timeout,
                check=False,
            )
        finally:  # what the aio suite's YAML test leaves behind when it fails
            (suite / "temp.yaml").unlink(missing_ok=True)
    return outcomes(junit)


def outcomes(junit: Path) -> dict[str, Outcome]:
    """Each test's outcome from pytest's JUnit XML report, by test id."""
    found = {}
    for case in ET.parse(junit).iter("testcase"):
        module, _, cls = (case.get("classname") or "").rpartition(".")
        test = f"{module.replace('.', '/')}.py::{cls}::{case.get('name')}"
        result, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                result = {"failure": "failed"}.get(child.tag, child.tag)
                text = (child.get("message") or child.text or "").strip()
                message = text.splitlines()[0][:200] if text else ""
                break
        found[test] = Outcome(test, result, message, float(case.get("time") or 0))
    return found


def known(test: str, runtime: str) -> Known | None:
    """The known failure or skip of `test` on `runtime`, if it is one."""
    entry = KNOWN_FAILURES.get(test) or KNOWN_SKIPS.get(test)
    return entry if entry is not None and runtime in entry.runtimes else None


def unexpected(suite: Path, results: dict[str, Outcome], runtime: str) -> list[str]:
    """What goes against the list: a test missing from the run, or one that did not pass and is
    not a known failure (a known skip may only skip)."""
    problems = []
    for test in suite_tests(suite):
        outcome = results.get(test)
        if outcome is None:
            problems.append(f"{test}: did not run")
        elif (outcome.result != "passed" and known(test, runtime) is None) or (
            test in KNOWN_SKIPS and outcome.result not in ("passed", "skipped")
        ):
            problems.append(f"{test}: {outcome.result}: {outcome.message}")
    return problems


def report(suite: Path, results: dict[str, Outcome], runtime: str) -> str:
    """Each test's outcome, then the failures by cause, then what goes against the list."""
    title = f"kubernetes-client/python e2e suite ({suite})"
    lines = [f"{title} against listwatch serve --runtime {runtime}"]
    for test in suite_tests(suite):
        outcome = results.get(test, Outcome(test, "missing"))
        entry = known(test, runtime)
        note = f"  [{entry.cause}: {entry.detail}]" if entry and outcome.result != "passed" else ""
        if entry and outcome.result == "passed" and entry.cause not in (METRICS,):
            note = "  [known failure now passes: remove it from the list]"
        lines.append(f"{outcome.result:8} {outcome.seconds:6.1f}s  {test}{note}")
    counts: dict[str, int] = {}
    for outcome in results.values():
        counts[outcome.result] = counts.get(outcome.result, 0) + 1
    lines.append(", ".join(f"{n} {result}" for result, n in sorted(counts.items())))
    by_cause: dict[str, list[str]] = {}
    for test, outcome in results.items():
        entry = known(test, runtime)
        if outcome.result != "passed" and entry is not None:
            by_cause.setdefault(entry.cause, []).append(
                f"{test.rpartition('::')[2]} ({entry.detail})"
            )
    lines.append("not passing, by cause:")
    for cause, tests in sorted(by_cause.items(), key=lambda kv: -len(kv[1])):
        lines.append(f"  {cause}: {len(tests)}")
        lines += [f"    {t}" for t in tests]
    problems = unexpected(suite, results, runtime)
    lines.append("unexpected: " + ("none" if not problems else f"{len(problems)}"))
    lines += [f"  {p}" for p in problems]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--suite", type=Path, required=True, help="a checkout of kubernetes-client/python"
    )
    parser.add_argument("--runtime", choices=("memory", "docker"), default="memory")
    parser.add_argument("--kubeconfig", type=Path, help="a running cluster instead of a new one")
    parser.add_argument("--junit", type=Path, help="keep pytest's JUnit XML report here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="listwatch-clientsuite-run-") as tmp:
        junit = args.junit or Path(tmp) / "junit.xml"
        suite = args.suite.resolve()
        if not (suite / DIRECTORIES[0]).is_dir():
            parser.error(f"{suite} holds no {DIRECTORIES[0]}: give a checkout of the client")
        if args.kubeconfig is not None:
            results = run_suite(suite, args.kubeconfig, junit)
        else:
            with served(args.runtime) as kubeconfig:
                results = run_suite(suite, kubeconfig, junit)
    print(report(suite, results, args.runtime))
    return 1 if unexpected(suite, results, args.runtime) else 0


if __name__ == "__main__":
    sys.exit(main())
