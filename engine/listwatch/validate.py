"""`listwatch validate COMPONENT -- COMMAND [ARGS]`: an implementation of a component judged against
the spec, on the simulated cluster with that component left out.

    listwatch validate scheduler [--junit FILE] [--report FILE] [-k EXPR] -- python my_scheduler.py

It serves the cluster without COMPONENT (on 127.0.0.1, a free port), starts COMMAND with
`KUBECONFIG` pointing at it (and `KUBERNETES_SERVICE_HOST`/`_PORT`, which in-cluster programs read),
records every watch stream of pods, events, nodes and replicated controllers, runs the conformance
scenarios tagged with the spec steps that concern the component (the observable steps it acts in),
and judges the recording with the checker. Then come generated rounds (`listwatch.generated`) where
they concern the component (a scheduler; a replication controller): for each seed from `--seed`,
a fresh cluster, the component started anew, and a seeded workload (nodes labelled, tainted and
cordoned, pods of every shape; ReplicationControllers scaled and robbed of pods), judged from the
objects at its end and by the checker. The report has a line per step: passed, failed (what the
component did or failed to do, with the objects), or not exercised. Exit 0 only when nothing failed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest

from listwatch import conformance, errors, generated
from listwatch import engine as engine_module
from listwatch.checker.run import Report, check_records
from listwatch.cluster import DEFAULT_NODES
from listwatch.engine import Engine
from listwatch.remote.kubeapi import KubeAPI
from listwatch.remote.recording import WatchRecorder
from listwatch.server.app import Server
from listwatch.server.command import COMPONENTS, parse_without
from listwatch.spec.model import Spec, Step

PASSED, FAILED, NOT_EXERCISED = "passed", "failed", "not exercised"
#: How much of a failed scenario's assertion the report quotes.
WHY_CHARS = 240
#: How long COMMAND gets to stop after SIGTERM before it is killed.
STOP_SECONDS = 10.0
#: What is recorded: every pod, Event, node, replicated controller and Deployment.
WATCHED: list[tuple[str, str | None]] = [
    ("pods", None),
    ("events", None),
    ("nodes", None),
    ("replicationcontrollers", None),
    ("replicasets", None),
    ("deployments", None),
]
#: The schedulerName the conformance scenarios' pods ask for.
DEFAULT_SCHEDULER = "default-scheduler"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `validate`; the implementation's command line is what follows `--`
    (`split_command`)."""
    parser.add_argument(
        "component",
        help="the component COMMAND implements: "
        f"{', '.join(COMPONENTS)}, or a controller of the controller manager by the name "
        "kube-controller-manager's --controllers takes (e.g. replicationcontroller-controller)",
    )
    parser.add_argument(
        "--nodes",
        default=",".join(DEFAULT_NODES),
        help="comma-separated node names (default: node01,node02)",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        metavar="N",
        help="run the cluster's clock N times faster (as `serve --speed`; an implementation with "
        "timers of its own must then be told to run as fast)",
    )
    parser.add_argument("--junit", metavar="FILE", help="also write the scenarios as JUnit XML")
    parser.add_argument(
        "--report", metavar="FILE", help="also write the report as JSON (steps, scenarios, checker)"
    )
    parser.add_argument(
        "-k", dest="keyword", metavar="EXPRESSION", help="only the scenarios matching it too"
    )
    generation = parser.add_argument_group(
        "generated rounds (scheduler)",
        "seeded, reproducible clusters and pods (labels, selectors, node affinity, taints and "
        "tolerations, cordons, requests, schedulerNames): one round per seed, each on a fresh "
        "cluster with the scheduler started anew",
    )
    generation.add_argument("--seed", type=int, default=1, help="the first round's seed (1)")
    generation.add_argument(
        "--rounds", type=_count, default=3, metavar="N", help="how many seeds, from --seed (3)"
    )
    generation.add_argument(
        "--pods", type=_count, default=24, metavar="N", help="pods in each round (24)"
    )
    generation.add_argument(
        "--round-nodes", type=_count, default=5, metavar="N", help="nodes in each round (5)"
    )
    generation.add_argument(
        "--scheduler-name",
        default=DEFAULT_SCHEDULER,
        metavar="NAME",
        help="the schedulerName the scheduler takes pods of (the conformance scenarios, whose "
        "pods ask for default-scheduler, run only when it is default-scheduler)",
    )
    parser.add_argument(
        "--no-features",
        dest="features",
        action="store_false",
        help="skip the conformance scenarios (only generated rounds)",
    )


def _count(text: str) -> int:
    value = int(text) if text.isdigit() else -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
    return value


def split_command(argv: list[str]) -> tuple[list[str], list[str]]:
    """`validate ... -- COMMAND ARGS` split at its first `--`: listwatch's part, the command."""
    if "validate" in argv and "--" in argv[argv.index("validate") :]:
        cut = argv.index("--", argv.index("validate"))
        return argv[:cut], argv[cut + 1 :]
    return argv, []


def steps_of(spec: Spec, component: str) -> list[Step]:
    """The observable steps in which `component` acts: it sends the step's message, or the step is
    matched by what it does; for a controller, the steps the spec gives it."""
    controllers = spec.component("controller-manager").settings.get("controllers") or {}
    if component in controllers:
        ids = controllers[component].get("steps") or ()
        return [step for step in spec.flow.steps if step.id in ids]
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


def judge(
    steps: list[Step],
    scenarios: Scenarios,
    reports: list[tuple[str, Report]],
    findings: Sequence[tuple[int, generated.Finding]] = (),
) -> list[StepResult]:
    """Each step's verdict: failed when the checker found a violation at it (in the scenarios'
    recording or a generated round's, labelled), a scenario tagged with it failed, or a generated
    round found the component wrong at it; passed when it was seen; else not exercised."""
    results = []
    for step in steps:
        reasons = []
        judged = set()
        for label, report in reports:
            for v in report.violations:
                if v.step == step.id:
                    reasons.append(f"{label}{v.pod}: {v.message}")
                    judged.add(str(v.pod))
        for nodeid, outcome in scenarios.outcomes.items():
            if outcome == "failed" and step.id in scenarios.tags.get(nodeid, ()):
                name = nodeid.rpartition("::")[2]
                reasons.append(f"scenario {name} failed: {scenarios.why.get(nodeid, '')}")
        for seed, finding in findings:
            if finding.step == step.id and finding.subject not in judged:
                reasons.append(f"seed {seed}: {finding.sentence}")
        if reasons:
            verdict = FAILED
        elif any(report.step_counts.get(step.id, 0) for _, report in reports):
            verdict = PASSED
        else:
            verdict = NOT_EXERCISED
        results.append(StepResult(step, verdict, tuple(reasons)))
    return results


def command(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    argv = args.argv
    if not argv:
        raise errors.ListwatchError("validate: give the implementation's command after --")
    engine = engine_module.load(args.spec)
    parse_without([args.component], engine.spec)
    steps = steps_of(engine.spec, args.component)
    scenarios = Scenarios(frozenset(s.id for s in steps))
    reports: list[tuple[str, Report]] = []
    findings: list[tuple[int, generated.Finding]] = []
    code, crashed = 0, 0
    with tempfile.TemporaryDirectory(prefix="listwatch-validate-") as workdir:
        log_path = Path(workdir, "component.log")
        if args.features and not _features_apply(engine.spec, args.component):
            out.write(
                f"conformance scenarios: not run (they exercise another controller than "
                f"{args.component})\n"
            )
        elif args.features and args.scheduler_name == DEFAULT_SCHEDULER:
            with _serving(args, engine, list(args.nodes.split(",")), log_path, out, err) as run:
                code = _run_scenarios(args, steps, run.kubeconfig, scenarios)
            reports.append(("", run.report(engine, f"validate {args.component}")))
            crashed += run.crashed
        elif args.features:
            out.write(
                f"conformance scenarios: not run (their pods ask for {DEFAULT_SCHEDULER}, not "
                f"{args.scheduler_name})\n"
            )
        options = generated.Options(args.pods, args.round_nodes, args.scheduler_name)
        for seed in range(args.seed, args.seed + args.rounds):
            played = generated.round_for(args.component, seed, options)
            if played is None:
                break
            with _serving(args, engine, list(played.nodes), log_path, out, err, played) as run:
                found = played.play(run.api)
            out.write(f"seed {seed}: {played.summary()}: {len(found)} finding(s)\n")
            if found:
                err.write(_last_lines(f"seed {seed}: {args.component}", log_path))
            reports.append((f"seed {seed}: ", run.report(engine, f"seed {seed}")))
            findings.extend((seed, f) for f in found)
            crashed += run.crashed
    results = judge(steps, scenarios, reports, findings)
    write(results, scenarios, out)
    if args.report:
        _write_json(args, argv, results, scenarios, reports, findings)
    failed = any(r.verdict == FAILED for r in results) or code not in (0, 5) or crashed > 0
    out.write(f"{args.component}: {'FAILED' if failed else 'PASSED'}\n")
    return 1 if failed else 0


def _features_apply(spec: Spec, component: str) -> bool:
    """Whether the conformance scenarios exercise the component (the spec's controllers say
    `conformance: false` when they exercise another)."""
    controllers = spec.component("controller-manager").settings.get("controllers") or {}
    return bool((controllers.get(component) or {}).get("conformance", True))


@dataclass
class _Run:
    """One served cluster with the component running against it, and its recording."""

    kubeconfig: str
    api: KubeAPI
    recorder: WatchRecorder
    crashed: int = 0

    def report(self, engine: Engine, name: str) -> Report:
        return check_records(self.recorder.in_revision_order(), engine.spec, name=name)


@contextlib.contextmanager
def _serving(
    args: argparse.Namespace,
    engine: Engine,
    nodes: list[str],
    log_path: Path,
    out: IO[str],
    err: IO[str],
    played: generated.Round | None = None,
) -> Iterator[_Run]:
    """The cluster without the component (made ready for a generated round first), every
    watch recorded, and COMMAND started against it; on exit COMMAND is stopped (an exit of its
    own before that is a crash, counted in `crashed`) and so is the recording."""
    nodes = [n.strip() for n in nodes if n.strip()]
    with Server(
        engine, nodes=nodes, port=0, without=[args.component], err=err, speed=args.speed
    ) as server:
        assert server.kubeconfig is not None
        api = KubeAPI(str(server.kubeconfig))
        run = _Run(str(server.kubeconfig), api, WatchRecorder(api, WATCHED))
        try:
            if played is not None:
                played.prepare(api)
            run.recorder.start()
            with open(log_path, "wb") as log:
                proc = _start(args.argv, server, nodes, log)
            out.write(
                f"validating {args.component}: {' '.join(args.argv)} (pid {proc.pid}) against "
                f"{server.url}\n"
            )
            out.flush()
            try:
                yield run
            finally:
                exit_code = _stop(proc)
                if exit_code is not None:
                    run.crashed += 1
                    err.write(
                        _last_lines(
                            f"{args.component}: exited with code {exit_code} before the "
                            "scenarios ended (a failure)",
                            log_path,
                        )
                    )
        finally:
            run.recorder.stop()
            api.close()


def _last_lines(what: str, log_path: Path) -> str:
    """`what`, then the component's last lines of output (what it said about it)."""
    tail = log_path.read_text(errors="replace").strip().splitlines()[-5:]
    return f"{what}; its last lines:\n" + "".join(f"  {line}\n" for line in tail)


def _start(
    argv: list[str], server: Server, nodes: list[str], log: IO[bytes]
) -> subprocess.Popen[bytes]:
    """COMMAND, told where the cluster is and (in `LISTWATCH_NODES`, for a kubelet that must
    register them) its nodes' names."""
    env = {
        **os.environ,
        "KUBECONFIG": str(server.kubeconfig),
        "LISTWATCH_NODES": ",".join(nodes),
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
    """SIGTERM, then SIGKILL after STOP_SECONDS; its exit code if it had ended by itself (a
    component runs until it is stopped: ending earlier, even with 0, is a crash)."""
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
    reports: list[tuple[str, Report]],
    findings: list[tuple[int, generated.Finding]],
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
        "rounds": {
            "played": [label.rstrip(": ") for label, _ in reports if label],
            "findings": [
                {"seed": seed, "step": f.step, "subject": f.subject, "sentence": f.sentence}
                for seed, f in findings
            ],
        },
        "checker": [report.as_json() for _, report in reports],
    }
    try:
        Path(args.report).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise errors.ListwatchError(
            f"--report {args.report}: cannot be written: {exc.strerror or exc}"
        ) from exc
