"""`listwatch validate COMPONENT -- COMMAND [ARGS]`: an implementation of a component judged against
the spec, on the simulated cluster with that component left out.

    listwatch validate scheduler [--junit FILE] [--report FILE] [-k EXPR] -- python my_scheduler.py

It serves the cluster without COMPONENT (on 127.0.0.1, a free port), starts COMMAND with
`KUBECONFIG` pointing at it (and `KUBERNETES_SERVICE_HOST`/`_PORT`, which in-cluster programs read),
records every watch stream of pods, events and nodes, runs the conformance scenarios tagged with
the spec steps that concern the component (the observable steps it acts in), and judges the
recording with the checker. The report has a line per step: passed, failed (what the component did
or failed to do, with the objects), or not exercised. Exit 0 only when nothing failed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest

from listwatch import conformance, errors
from listwatch import engine as engine_module
from listwatch.checker.run import Report, check_records
from listwatch.cluster import DEFAULT_NODES
from listwatch.remote.kubeapi import KubeAPI
from listwatch.remote.recording import WatchRecorder
from listwatch.server.app import Server
from listwatch.server.command import COMPONENTS
from listwatch.spec.model import Spec, Step

PASSED, FAILED, NOT_EXERCISED = "passed", "failed", "not exercised"
#: How much of a failed scenario's assertion the report quotes.
WHY_CHARS = 240
#: How long COMMAND gets to stop after SIGTERM before it is killed.
STOP_SECONDS = 10.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `validate`; the implementation's command line is what follows `--`
    (`split_command`)."""
    parser.add_argument("component", choices=COMPONENTS, help="the component COMMAND implements")
    parser.add_argument(
        "--nodes",
        default=",".join(DEFAULT_NODES),
        help="comma-separated node names (default: node01,node02)",
    )
    parser.add_argument("--junit", metavar="FILE", help="also write the scenarios as JUnit XML")
    parser.add_argument(
        "--report", metavar="FILE", help="also write the report as JSON (steps, scenarios, checker)"
    )
    parser.add_argument(
        "-k", dest="keyword", metavar="EXPRESSION", help="only the scenarios matching it too"
    )


def split_command(argv: list[str]) -> tuple[list[str], list[str]]:
    """`validate ... -- COMMAND ARGS` split at its first `--`: listwatch's part, the command."""
    if "validate" in argv and "--" in argv[argv.index("validate") :]:
        cut = argv.index("--", argv.index("validate"))
        return argv[:cut], argv[cut + 1 :]
    return argv, []


def steps_of(spec: Spec, component: str) -> list[Step]:
    """The observable steps in which `component` acts: it sends the step's message, or the step is
    matched by what it does."""
    found = []
    for step in spec.flow.steps:
        if step.internal:
            continue
        actors = step.match.get("actor") or ()
        actors = (actors,) if isinstance(actors, str) else tuple(actors)
        if component in step.sources or component in actors:
            found.append(step)
    return found


@dataclass
class Scenarios:
    """A pytest plugin: each scenario's outcome, its step tags and, when it failed, why."""

    step_ids: frozenset[str]
    outcomes: dict[str, str] = field(default_factory=dict)
    tags: dict[str, list[str]] = field(default_factory=dict)
    why: dict[str, str] = field(default_factory=dict)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call" and report.outcome == "passed":
            return
        self.tags[report.nodeid] = [k for k in report.keywords if k in self.step_ids]
        if report.outcome == "failed" or report.nodeid not in self.outcomes:
            self.outcomes[report.nodeid] = report.outcome
        if report.failed:
            crash = getattr(report.longrepr, "reprcrash", None)
            first = str(getattr(crash, "message", report.longrepr)).split("\n")[0]
            self.why[report.nodeid] = first[:WHY_CHARS] + ("..." if len(first) > WHY_CHARS else "")


@dataclass(frozen=True)
class StepResult:
    step: Step
    verdict: str
    reasons: tuple[str, ...]


def judge(steps: list[Step], scenarios: Scenarios, report: Report) -> list[StepResult]:
    """Each step's verdict: failed when the checker found a violation at it or a scenario tagged
    with it failed; passed when it was seen; else not exercised."""
    results = []
    for step in steps:
        reasons = [f"{v.pod}: {v.message}" for v in report.violations if v.step == step.id]
        for nodeid, outcome in scenarios.outcomes.items():
            if outcome == "failed" and step.id in scenarios.tags.get(nodeid, ()):
                name = nodeid.rpartition("::")[2]
                reasons.append(f"scenario {name} failed: {scenarios.why.get(nodeid, '')}")
        if reasons:
            verdict = FAILED
        elif report.step_counts.get(step.id, 0):
            verdict = PASSED
        else:
            verdict = NOT_EXERCISED
        results.append(StepResult(step, verdict, tuple(reasons)))
    return results


def command(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    argv = args.argv
    if not argv:
        raise errors.ListwatchError("validate: give the implementation's command after --")
    nodes = [n.strip() for n in args.nodes.split(",") if n.strip()]
    engine = engine_module.load(args.spec)
    steps = steps_of(engine.spec, args.component)
    with tempfile.TemporaryDirectory(prefix="listwatch-validate-") as workdir:
        log_path = Path(workdir, "component.log")
        with Server(engine, nodes=nodes, port=0, without=[args.component], err=err) as server:
            assert server.kubeconfig is not None
            api = KubeAPI(str(server.kubeconfig))
            recorder = WatchRecorder(api, [("pods", None), ("events", None), ("nodes", None)])
            recorder.start()
            with open(log_path, "wb") as log:
                proc = _start(argv, server, log)
            try:
                out.write(
                    f"validating {args.component}: {' '.join(argv)} (pid {proc.pid}) against "
                    f"{server.url}\n"
                )
                out.flush()
                scenarios = Scenarios(frozenset(s.id for s in steps))
                code = _run_scenarios(args, steps, str(server.kubeconfig), scenarios)
            finally:
                exit_code = _stop(proc)
                recorder.stop()
                api.close()
        records = recorder.in_revision_order()
        report = check_records(records, engine.spec, name=f"validate {args.component}")
        results = judge(steps, scenarios, report)
        if exit_code is not None and exit_code not in (0, -15):
            tail = log_path.read_text(errors="replace").strip().splitlines()[-5:]
            err.write(
                f"{args.component}: exited with code {exit_code} before the scenarios ended; its "
                "last lines:\n" + "".join(f"  {line}\n" for line in tail)
            )
    write(results, scenarios, out)
    if args.report:
        _write_json(args, argv, results, scenarios, report)
    failed = any(r.verdict == FAILED for r in results) or code not in (0, 5)
    out.write(f"{args.component}: {'FAILED' if failed else 'PASSED'}\n")
    return 1 if failed else 0


def _start(argv: list[str], server: Server, log: IO[bytes]) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "KUBECONFIG": str(server.kubeconfig),
        "KUBERNETES_SERVICE_HOST": server.host,
        "KUBERNETES_SERVICE_PORT": str(server.port),
    }
    try:
        return subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
    except OSError as exc:
        raise errors.ListwatchError(
            f"validate: cannot start {argv[0]}: {exc.strerror or exc}"
        ) from exc


def _stop(proc: subprocess.Popen[bytes]) -> int | None:
    """SIGTERM, then SIGKILL after STOP_SECONDS; its exit code if it had ended by itself."""
    ended = proc.poll()
    if ended is None:
        proc.terminate()
        try:
            proc.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return ended


def _run_scenarios(
    args: argparse.Namespace, steps: list[Step], kubeconfig: str, plugin: Scenarios
) -> int:
    """The scenarios tagged with the steps, on the cluster backend; pytest's exit code."""
    selected = " or ".join(step.id for step in steps)
    keyword = f"({selected}) and ({args.keyword})" if args.keyword else selected
    options = argparse.Namespace(
        backend="cluster",
        kubeconfig=kubeconfig,
        junit=args.junit,
        cucumber_json=None,
        keyword=keyword,
    )
    code = int(pytest.main([*conformance.pytest_arguments(options), "-q"], plugins=[plugin]))
    sys.stdout.flush()
    return code


def write(results: list[StepResult], scenarios: Scenarios, out: IO[str]) -> None:
    """A line per step, its reasons under it, then the scenarios' tally."""
    out.write("\nSTEP    VERDICT        TITLE\n")
    for r in results:
        out.write(f"{r.step.id:<8}{r.verdict:<15}{r.step.title}\n")
        for reason in r.reasons:
            out.write(f"          - {reason}\n")
    tally = Counter(scenarios.outcomes.values())
    out.write(
        f"scenarios: {sum(tally.values())} run: "
        + ", ".join(f"{tally[o]} {o}" for o in ("passed", "failed", "skipped"))
        + "\n"
    )


def _write_json(
    args: argparse.Namespace,
    argv: list[str],
    results: list[StepResult],
    scenarios: Scenarios,
    report: Report,
) -> None:
    data: dict[str, Any] = {
        "component": args.component,
        "command": argv,
        "steps": [
            {
                "id": r.step.id,
                "title": r.step.title,
                "verdict": r.verdict,
                "reasons": list(r.reasons),
            }
            for r in results
        ],
        "scenarios": [
            {
                "id": nodeid,
                "outcome": outcome,
                "steps": scenarios.tags.get(nodeid, []),
                "why": scenarios.why.get(nodeid, ""),
            }
            for nodeid, outcome in scenarios.outcomes.items()
        ],
        "checker": report.as_json(),
    }
    try:
        Path(args.report).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise errors.ListwatchError(
            f"--report {args.report}: cannot be written: {exc.strerror or exc}"
        ) from exc
