"""The `listwatch` command.

    listwatch run [MANIFEST ...] [--runtime memory|docker] [--nodes node01,node02]
        [--label NODE:KEY=VALUE ...] [--trace FILE] [--diagrams DIR] [--html FILE] [--diagnose]
    listwatch check TRACE [--strict] [--emit-feature FILE] [--format text|json]
    listwatch check --follow [--kubeconfig K] [-n NAMESPACE] [--duration SECONDS] [--strict]
    listwatch record [--kubeconfig K] [-n NAMESPACE] [-o FILE] [--duration SECONDS]
    listwatch validate scheduler|kubelet|controller-manager [--junit FILE] [--report FILE]
        -- COMMAND [ARGS]
    listwatch conformance [--backend memory|docker|cluster] [--kubeconfig K] [--junit FILE]
        [--cucumber-json FILE]
    listwatch serve [--runtime memory|docker] [--nodes node01,node02] [--port 6443]
        [--kubeconfig-out FILE] [--without COMPONENT ...] [--ui-port PORT | --no-ui]
    listwatch view TRACE [--port PORT] [--html FILE]
    listwatch diagrams [--out DIR] [--format dot,svg,png] [--trace FILE]
    listwatch diagnose POD [--kubeconfig K] [-n NAMESPACE]
    listwatch explain POD [--kubeconfig K] [-n NAMESPACE]
    listwatch describe pod NAME [--kubeconfig K] [-n NAMESPACE]
    listwatch logs POD [-c CONTAINER] [--tail N] [-p] [--kubeconfig K] [-n NAMESPACE]
    listwatch exec POD [-c CONTAINER] [--kubeconfig K] [-n NAMESPACE] -- COMMAND ...
    listwatch spec validate [DIR]
    listwatch spec show [DIR]

Exit codes: 0 success; 1 a user error (bad manifest, bad spec, a bad option value) reported on
stderr, or a run that breaks the spec (check), or a pod with a problem (diagnose); 2 a command
line argparse cannot parse (with its usage), a trace that cannot be read (check), or no such pod
(diagnose). `exec` exits with the command's exit code (1 when it cannot run it).
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from listwatch import (
    __version__,
    checker,
    conformance,
    errors,
    manifests,
    observe,
    paths,
    printers,
    render,
    server,
    validate,
)
from listwatch import engine as engine_module
from listwatch.apiserver import objects
from listwatch.apiserver.selectors import valid_label_key, valid_label_value
from listwatch.clock import SystemClock
from listwatch.cluster import DEFAULT_NODES, Cluster
from listwatch.clusterfacts import ClusterSource
from listwatch.components.scheduler import explain
from listwatch.flow import FlowTracker, StepEvent
from listwatch.loop import Loop
from listwatch.remote.facts import KubeSource
from listwatch.remote.kubeapi import KubeAPI
from listwatch.remote.kubeexec import exec_in_pod
from listwatch.runtime import RUNTIMES, RuntimeKind, kind_of
from listwatch.spec.model import Spec
from listwatch.trace import TraceWriter
from listwatch.troubleshoot.diagnose import diagnose
from listwatch.troubleshoot.diagnose import write as write_diagnosis
from listwatch.web import feed, page, viewing
from listwatch.web.journal import REPORT, Journal


class StepPrinter:
    """Prints each step of the flow as it happens: time, id, who talks to whom, what changed."""

    def __init__(self, spec: Spec, out: IO[str]) -> None:
        self.spec = spec
        self.out = out

    def __call__(self, event: StepEvent) -> None:
        step, action = event.step, event.action
        actor = (
            action.actor
            if action.actor.partition("/")[0] in step.sources
            else " / ".join(step.sources)
        )
        target = (
            action.target
            if action.target and action.target.partition("/")[0] in step.targets
            else " / ".join(step.targets)
        )
        seen = "internal" if step.internal else "observable"
        what = f"{action.obj}: " if action.obj is not None else ""
        detail = action.detail
        if event.repeats:
            detail = (
                f"{detail} (the same write and event as {event.repeats}: the pod was created "
                "directly)"
            )
        self.out.write(
            f"  [{action.time:8.3f}s] {step.id}  {actor} \u2192 {target}  ({seen}) {step.title}\n"
        )
        self.out.write(f"                         {what}{detail}\n")


def _parse_labels(values: Sequence[str], nodes: Sequence[str]) -> list[tuple[str, str, str]]:
    parsed = []
    for value in values:
        node, sep, pair = value.partition(":")
        key, eq, label = pair.partition("=")
        if not sep or not eq:
            raise errors.ListwatchError(
                f"--label {value!r}: expected NODE:KEY=VALUE, e.g. node02:cz=bob"
            )
        if node not in nodes:
            raise errors.ListwatchError(
                f"--label {value!r}: no node {node!r}; the nodes are {', '.join(nodes)}"
            )
        if not valid_label_key(key) or not valid_label_value(label):
            raise errors.ListwatchError(
                f"--label {value!r}: {key}={label} is not a valid Kubernetes label"
            )
        parsed.append((node, key, label))
    return parsed


def cmd_run(args: argparse.Namespace, out: IO[str]) -> int:
    engine = engine_module.load(args.spec)
    nodes = [n.strip() for n in args.nodes.split(",") if n.strip()]
    labels = _parse_labels(args.label, nodes)
    # Every manifest is read and checked before the cluster starts: a bad file changes nothing.
    user_manifests = manifests.read(args.manifests) if args.manifests else None
    with ExitStack() as stack:
        tracker_sinks: list[Callable[[StepEvent], None]] = [StepPrinter(engine.spec, out)]

        def on_step(event: StepEvent) -> None:
            for sink in tracker_sinks:
                sink(event)

        runtime = kind_of(args.runtime)
        cluster = _cluster(engine, nodes, runtime, [FlowTracker(engine.spec.flow, on_step)], stack)
        stack.callback(cluster.close)
        settle = _settler(cluster, runtime, args.wait)
        if user_manifests is not None:
            manifests.check(cluster.api, user_manifests)
        writers: list[TraceWriter] = []
        if args.trace:
            writers.append(
                TraceWriter.to_stream(stack.enter_context(open(args.trace, "w", encoding="utf-8")))
            )
        journal = Journal(engine.spec, mode=REPORT) if args.html else None
        if journal is not None:
            stack.callback(feed.attach(journal, cluster))
        records: list[dict[str, Any]] = []
        if args.diagrams:
            writers.append(TraceWriter(records.append))
        for writer in writers:
            tracker_sinks.append(writer.step)
            writer.observe(cluster.api)
            cluster.on_explain(writer.explain)
        out.write(
            f"listwatch: a simulated Kubernetes v1.32 cluster on the {cluster.runtime.describe()} "
            f"backend; nodes: {', '.join(nodes)}\n\n"
        )
        out.write("The components start and open their List-Watches:\n")
        cluster.start()
        if user_manifests is None:
            _tutorial(cluster, labels, out, settle)
        else:
            for node, key, value in labels:
                _kubectl(out, f"label nodes {node} {key}={value}")
                cluster.label_node(node, key, value, overwrite=True)
                out.write(f"node/{node} labeled\n")
            _kubectl(out, f"create -f {' '.join(args.manifests)}")
            created = manifests.apply_all(cluster.api, user_manifests)
            for obj in created:
                out.write(
                    f"{cluster.api.resource(obj['kind']).singular}/{objects.name_of(obj)} created\n"
                )
            settle()
        _report(cluster, out)
        if args.diagnose:
            _diagnose_all(engine, cluster, out)
        for writer in writers:
            writer.close()
        if args.trace:
            out.write(f"\ntrace: {writers[0].records} records written to {args.trace}\n")
        if args.diagrams:
            written = render.write_run_diagrams(engine.spec, records, args.diagrams)
            out.write(f"diagrams of this run: {', '.join(str(f) for f in written.files)}\n")
            if written.hint:
                out.write(written.hint + "\n")
        if journal is not None:
            journal.set_machines(cluster.states.snapshot())
            out.write(f"web view of this run: {page.write_report(journal, args.html)}\n")
    return 0


#: How long a run on the docker backend waits for its pods, in real seconds, each time it settles.
DOCKER_WAIT_SECONDS = 120.0
#: How long every pod must stay at rest before a run on the docker backend reports.
DOCKER_QUIET_SECONDS = 1.0


def _cluster(
    engine: engine_module.Engine,
    nodes: Sequence[str],
    runtime: RuntimeKind,
    sinks: Sequence[Callable[[Any], None]],
    stack: ExitStack,
) -> Cluster:
    """The run's cluster: under the logical clock on a simulated runtime; on a real-time one
    (docker), under the system clock with that runtime (BackendUnavailable, one line, when it
    cannot run here). The loop closes after the cluster (`stack` unwinds in reverse)."""
    if not runtime.real_time:
        return Cluster(engine, nodes=nodes, sinks=sinks)
    loop = Loop(SystemClock())
    stack.callback(loop.close)
    return Cluster(engine, nodes=nodes, loop=loop, runtime=runtime.make(loop, 0), sinks=sinks)


def _settler(cluster: Cluster, runtime: RuntimeKind, wait: float) -> Callable[[], object]:
    """How the run waits for its cluster to settle. A simulated runtime runs until nothing is
    left to do (no real time passes); on a real-time one containers run in real seconds and a
    running one is never "done", so the wait is until every pod is at rest, or `wait` seconds."""
    if not runtime.real_time:
        return cluster.settle
    return lambda: _settle_real(cluster, wait)


def _settle_real(cluster: Cluster, wait: float) -> None:
    """Run until every pod is at rest and stays so for DOCKER_QUIET_SECONDS (a pod Running and
    Ready may be a job about to end), or until `wait` real seconds have passed."""
    deadline = cluster.clock.now() + wait
    while True:
        cluster.settle(
            horizon=max(0.0, deadline - cluster.clock.now()), until=lambda: _at_rest(cluster)
        )
        left = deadline - cluster.clock.now()
        if left <= 0 or not _at_rest(cluster):
            return
        cluster.advance(min(DOCKER_QUIET_SECONDS, left))
        if _at_rest(cluster):
            return


def _at_rest(cluster: Cluster) -> bool:
    """Every controller has its pods and every pod is Running and Ready, finished, or stuck."""
    for plural in ("replicationcontrollers", "replicasets"):
        for owner in cluster.api.list(plural).items:
            wanted = (owner.get("spec") or {}).get("replicas", 1)
            if (owner.get("status") or {}).get("replicas", 0) != wanted:
                return False
    stuck = cluster.spec.stuck_reasons()
    return all(_pod_at_rest(pod, stuck) for pod in cluster.pods())


def _pod_at_rest(pod: objects.Obj, stuck: frozenset[str]) -> bool:
    """`stuck`: the waiting reasons a pod stays in however long a run waits (the spec's
    `waitingReasons` marked `stuck`); a run on the docker backend stops waiting for it."""
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    status = pod.get("status") or {}
    if status.get("phase") in ("Succeeded", "Failed"):
        return True
    conditions = {c.get("type"): c for c in status.get("conditions") or []}
    if (conditions.get("Ready") or {}).get("status") == "True" and status.get("phase") == "Running":
        return True
    if (conditions.get("PodScheduled") or {}).get("reason") == "Unschedulable":
        return True
    waiting = [
        ((c.get("state") or {}).get("waiting") or {}).get("reason")
        for c in status.get("containerStatuses") or []
    ]
    return any(reason in stuck for reason in waiting)


def _diagnose_all(engine: engine_module.Engine, cluster: Cluster, out: IO[str]) -> None:
    """Walk the troubleshooting tree for every pod that is not healthy."""
    tree = engine.spec.troubleshooting
    if tree is None:
        return
    source = ClusterSource(cluster)
    unhealthy = 0
    for pod in cluster.pods():
        found = diagnose(tree, source, objects.name_of(pod), objects.namespace_of(pod))
        if found.exit_code != 0:
            unhealthy += 1
            out.write("\n")
            write_diagnosis(found, out)
    if not unhealthy:
        out.write("\nEvery pod is healthy.\n")


def _kubectl(out: IO[str], command: str) -> None:
    out.write(f"\n$ kubectl {command}\n")


def _tutorial(
    cluster: Cluster,
    labels: Sequence[tuple[str, str, str]],
    out: IO[str],
    settle: Callable[[], object],
) -> None:
    """The tutorial's section 3: the nodeName example, node labels, the nodeSelector example."""
    base = paths.examples_dir()
    out.write("\n# 3.1 nodeName: the pod names its node; the scheduler is skipped\n")
    _create(cluster, base / "pod5.yaml", out, settle)
    out.write(
        "\n# 3.2 nodeSelector: label the nodes, then let the scheduler place the pod by label\n"
    )
    _kubectl(out, "get node")
    out.write(printers.get_nodes(cluster.api.list("nodes").items, cluster.clock.wall()))
    for node, key, value in [("node01", "cz", "alice"), ("node02", "cz", "bob"), *labels]:
        if node in cluster.kubelets:
            _kubectl(out, f"label nodes {node} {key}={value}")
            cluster.label_node(node, key, value, overwrite=True)
            out.write(f"node/{node} labeled\n")
    _kubectl(out, "get nodes --show-labels")
    settle()
    out.write(
        printers.get_nodes(cluster.api.list("nodes").items, cluster.clock.wall(), show_labels=True)
    )
    _create(cluster, base / "pod5-nodeselector.yaml", out, settle)


def _create(cluster: Cluster, path: Path, out: IO[str], settle: Callable[[], object]) -> None:
    found = manifests.read([path])
    _kubectl(out, f"create -f {path.name}")
    for obj in manifests.apply_all(cluster.api, found):
        out.write(f"{cluster.api.resource(obj['kind']).singular}/{objects.name_of(obj)} created\n")
    settle()


def _report(cluster: Cluster, out: IO[str]) -> None:
    now = cluster.clock.wall()
    pods = cluster.pods()
    _kubectl(out, "get pods -o wide")
    out.write(printers.get_pods(pods, now, wide=True))
    for pod in pods:
        _kubectl(out, f"describe pod {objects.name_of(pod)}   # its events")
        out.write(printers.tabwrite(printers.events_section(cluster.events_for(pod), now)))


def _kube(args: argparse.Namespace) -> KubeAPI:
    return KubeAPI(args.kubeconfig)


def cmd_diagnose(args: argparse.Namespace, out: IO[str]) -> int:
    """Walk the troubleshooting tree for one pod of a live cluster (exit 0 healthy, 1 a finding, 2
    no such pod)."""
    tree = engine_module.load(args.spec).spec.troubleshooting
    if tree is None:
        raise errors.ListwatchError(
            "the spec has no troubleshooting tree (spec/troubleshooting.yaml)"
        )
    found = diagnose(tree, KubeSource(_kube(args)), args.pod, args.namespace)
    write_diagnosis(found, out)
    return found.exit_code


def cmd_explain(args: argparse.Namespace, out: IO[str]) -> int:
    """Why the scheduler chose a pod's node: on a live cluster (--kubeconfig), what the spec's
    scheduler decides for the pod on the cluster as it is; else each attempt of the tutorial's run
    (`listwatch run`) at the pod."""
    engine = engine_module.load(args.spec)
    if args.kubeconfig:
        api = _kube(args)
        try:
            pod = api.get("pods", args.pod, namespace=args.namespace)
            bound = pod["spec"].get("nodeName")
            record = explain.of_cluster(
                engine.spec.component("scheduler").settings,
                pod,
                api.list("nodes"),
                api.list("pods", field_selector="spec.nodeName!="),
            )
        finally:
            api.close()
        if bound:
            out.write(
                f"pod {args.namespace}/{args.pod} is bound to {bound}; explained against the "
                "cluster as it is now, without the pod itself:\n\n"
            )
        out.write(explain.table(record))
        return 0
    records: list[dict[str, Any]] = []
    with ExitStack() as stack:
        cluster = Cluster(engine)
        stack.callback(cluster.close)
        cluster.on_explain(records.append)
        cluster.start()
        _tutorial(cluster, [], io.StringIO(), cluster.settle)
        try:
            pod = cluster.pod(args.pod, args.namespace)
        except errors.NotFound:
            names = ", ".join(objects.name_of(p) for p in cluster.pods(args.namespace))
            raise errors.ListwatchError(
                f'pods "{args.pod}" not found in namespace {args.namespace} of the tutorial\'s '
                f"run (its pods there: {names or 'none'})"
            ) from None
    mine = [r for r in records if r["pod"]["uid"] == objects.uid_of(pod)]
    if not mine:
        out.write(
            f"pod {args.namespace}/{args.pod} names its node (spec.nodeName: "
            f"{pod['spec'].get('nodeName')}): the scheduler never sees it, there is no choice to "
            "explain\n"
        )
    for index, record in enumerate(mine):
        out.write(("\n" if index else "") + explain.table(record))
    return 0


def cmd_describe(args: argparse.Namespace, out: IO[str]) -> int:
    """kubectl describe pod NAME, from a live cluster."""
    api = _kube(args)
    pod = api.get("pods", args.name, namespace=args.namespace)
    events = KubeSource(api).events_for(pod)
    out.write(printers.describe_pod(pod, events, datetime.now(UTC)))
    return 0


def cmd_logs(args: argparse.Namespace, out: IO[str]) -> int:
    """kubectl logs POD [-c CONTAINER] [--tail N] [--previous], from a live cluster."""
    out.write(
        _kube(args).logs(
            args.pod,
            namespace=args.namespace,
            container=args.container,
            tail=args.tail,
            previous=args.previous,
        )
    )
    return 0


def cmd_exec(args: argparse.Namespace, out: IO[str]) -> int:
    """kubectl exec POD [-c CONTAINER] -- COMMAND ..., on a live cluster: the command's exit
    code."""
    api = _kube(args)
    try:
        return exec_in_pod(
            api,
            args.pod,
            args.argv,
            namespace=args.namespace,
            container=args.container,
            out=out,
            err=args.err,
        )
    except errors.APIError as exc:  # refused by the server: kubectl's shape
        args.err.write(f"Error from server ({exc.reason}): {exc.message}\n")
        return 1
    finally:
        api.close()


def cmd_check(args: argparse.Namespace, out: IO[str]) -> int:
    if args.follow == (args.trace is not None):
        raise errors.ListwatchError(
            "check: give a TRACE to judge, or --follow (with --kubeconfig) to judge a live "
            "cluster, not both"
        )
    spec = engine_module.load(args.spec).spec
    if args.follow:
        return observe.check_command(args, out, args.err, spec)
    return checker.command(args, out, args.err, spec)


def cmd_diagrams(args: argparse.Namespace, out: IO[str]) -> int:
    return render.command(args, out, engine_module.load(args.spec).spec)


def cmd_spec(args: argparse.Namespace, out: IO[str]) -> int:
    engine = engine_module.load(args.dir)
    spec = engine.spec
    if args.action == "validate":
        main = [s for s in spec.flow.steps if s.id.startswith("LW-")]
        out.write(
            f"{spec.root}: valid. {len(main)} steps ({main[0].id} to {main[-1].id}), "
            f"{len(spec.flow.steps) - len(main)} variant steps, {len(spec.flow.variants)} "
            "variants, "
            f"{len(engine.machines)} machines, {len(spec.components)} components; every name "
            "resolves.\n"
        )
        return 0
    out.write(f"Flow {spec.flow.name}: {len(spec.flow.steps)} steps\n")
    for step in spec.flow.steps:
        seen = "internal" if step.internal else "observable"
        out.write(
            f"  {step.id}  {' / '.join(step.sources)} \u2192 {' / '.join(step.targets)}  ({seen}) "
            f" {step.title}\n"
        )
        if step.next:
            out.write(f"         next: {', '.join(step.next)}\n")
    out.write("\nVariants:\n")
    for variant in spec.flow.variants:
        path = " \u2192 ".join(variant.steps)
        out.write(f"  {variant.id}: {variant.name}\n    {path}\n")
    out.write("\nMachines:\n")
    for machine in spec.machines.values():
        out.write(
            f"  {machine.name} (one per {machine.per}; callbacks of {machine.owner}): initial "
            f"{machine.initial}\n"
        )
        for t in machine.transitions:
            guard = ""
            if t.conditions or t.unless:
                guard = " [" + ", ".join([*t.conditions, *(f"not {u}" for u in t.unless)]) + "]"
            after = f" / {', '.join(t.after)}" if t.after else ""
            out.write(f"    {','.join(t.sources)} --{t.trigger}{guard}--> {t.dest}{after}\n")
    out.write("\nWatches:\n")
    for component in spec.components.values():
        for watch in component.watches:
            selectors = " ".join(
                x
                for x in (
                    watch.field_selector and f"fieldSelector={watch.field_selector}",
                    watch.label_selector and f"labelSelector={watch.label_selector}",
                )
                if x
            )
            out.write(f"  {component.name}: {watch.resource} {selectors}\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="listwatch", description="The Kubernetes pod lifecycle as an executable specification."
    )
    parser.add_argument(
        "--spec", default=None, help="the spec directory (default: the spec shipped with listwatch)"
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run", help="run manifests (default: the tutorial's examples) on a simulated cluster"
    )
    run.add_argument(
        "manifests",
        nargs="*",
        help="Kubernetes manifest files or directories (multi-document YAML allowed)",
    )
    run.add_argument(
        "--nodes",
        default=",".join(DEFAULT_NODES),
        help="comma-separated node names (default: node01,node02)",
    )
    run.add_argument(
        "--label",
        action="append",
        default=[],
        metavar="NODE:KEY=VALUE",
        help="label a node before the manifests are applied",
    )
    run.add_argument("--trace", metavar="FILE", help="write the run as a JSON Lines trace")
    run.add_argument(
        "--diagrams", metavar="DIR", help="draw this run over the flow into DIR (run.dot, run.svg)"
    )
    run.add_argument(
        "--html",
        metavar="FILE",
        help="write the run's web view (the flow, the pods, each pod's timeline, why each node) "
        "as one self-contained HTML file",
    )
    run.add_argument(
        "--diagnose", action="store_true", help="at the end, diagnose every pod that is not healthy"
    )
    run.add_argument(
        "--runtime",
        "--backend",
        dest="runtime",
        choices=RUNTIMES,
        default="memory",
        help="the kubelets' container runtime: memory (simulated, the default) or docker (a Docker "
        "Engine: real containers); --backend is its former name",
    )
    run.add_argument(
        "--wait",
        type=float,
        default=DOCKER_WAIT_SECONDS,
        metavar="SECONDS",
        help="docker backend: how long to wait, in real seconds, for the pods to run or finish "
        f"(default: {DOCKER_WAIT_SECONDS:g})",
    )
    run.set_defaults(func=cmd_run)
    check = sub.add_parser(
        "check", help="judge a recorded run (a trace, a kubectl watch) against the spec"
    )
    checker.add_arguments(check)
    check.add_argument(
        "--follow",
        action="store_true",
        help="judge a live cluster (--kubeconfig) as it runs, each violation printed when it "
        "happens, instead of a TRACE",
    )
    observe.add_arguments(check)
    check.set_defaults(func=cmd_check)
    record = sub.add_parser(
        "record",
        help="record a live cluster's pods, events, nodes, ReplicationControllers, "
        "ReplicaSets and Jobs (each its own watch) as a trace",
    )
    observe.add_arguments(record)
    record.add_argument(
        "-o", "--output", metavar="FILE", help="write the trace here (default: standard output)"
    )
    record.set_defaults(func=lambda args, out: observe.record_command(args, out, args.err))
    conformance_parser = sub.add_parser(
        "conformance", help="run the Gherkin conformance features against a backend"
    )
    conformance.add_arguments(conformance_parser)
    conformance_parser.set_defaults(func=lambda args, out: conformance.command(args, out))
    serve = sub.add_parser(
        "serve",
        help="serve the simulated cluster as a Kubernetes API on 127.0.0.1 (for kubectl and "
        "clients)",
    )
    server.add_arguments(serve)
    serve.set_defaults(func=lambda args, out: server.command(args, out, args.err))
    view = sub.add_parser(
        "view",
        help="show a recorded run (a trace) in the web view, read-only, on 127.0.0.1",
    )
    viewing.add_arguments(view)
    view.set_defaults(func=lambda args, out: viewing.command(args, out, args.err))

    def live(name: str, help_text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_text)
        command.add_argument(
            "--kubeconfig",
            default=None,
            help="the cluster's kubeconfig (default: $KUBECONFIG or ~/.kube/config)",
        )
        command.add_argument("-n", "--namespace", default="default")
        return command

    validate_parser = sub.add_parser(
        "validate",
        usage="listwatch validate COMPONENT [options] -- COMMAND [ARGS]",
        help="judge your implementation of a component: serve the cluster without it, run yours, "
        "run the scenarios that concern it",
    )
    validate.add_arguments(validate_parser)
    validate_parser.set_defaults(func=lambda args, out: validate.command(args, out, args.err))
    diagnose_parser = live("diagnose", "walk the troubleshooting tree for a pod of a live cluster")
    diagnose_parser.add_argument("pod")
    diagnose_parser.set_defaults(func=cmd_diagnose)
    explain_parser = sub.add_parser(
        "explain", help="why the scheduler chose a pod's node: each filter, score and the ranking"
    )
    explain_parser.add_argument("pod")
    explain_parser.add_argument("-n", "--namespace", default="default")
    explain_parser.add_argument(
        "--kubeconfig",
        default=None,
        help="explain against this cluster as it is now (default: the tutorial's run, simulated)",
    )
    explain_parser.set_defaults(func=cmd_explain)
    describe = live("describe", "kubectl describe pod NAME, from a live cluster")
    describe.add_argument("kind", choices=["pod", "pods", "po"])
    describe.add_argument("name")
    describe.set_defaults(func=cmd_describe)
    logs = live("logs", "kubectl logs POD, from a live cluster")
    logs.add_argument("pod")
    logs.add_argument("-c", "--container", default=None)
    logs.add_argument("--tail", type=int, default=None)
    logs.add_argument("-p", "--previous", action="store_true")
    logs.set_defaults(func=cmd_logs)
    exec_parser = live(
        "exec",
        "kubectl exec POD -- COMMAND, on a live cluster (real containers: serve --runtime docker)",
    )
    exec_parser.add_argument("pod")
    exec_parser.add_argument("-c", "--container", default=None)
    exec_parser.add_argument(
        "argv", nargs="+", metavar="COMMAND", help="the command and its arguments, after --"
    )
    exec_parser.set_defaults(func=cmd_exec)
    diagrams = sub.add_parser(
        "diagrams", help="draw the spec's pictures, or a recorded run over the flow"
    )
    render.add_arguments(diagrams)
    diagrams.set_defaults(func=cmd_diagrams)
    spec = sub.add_parser("spec", help="validate or show the spec")
    spec.add_argument("action", choices=["validate", "show"])
    spec.add_argument(
        "dir", nargs="?", default=None, help="the spec directory (default: the shipped spec)"
    )
    spec.set_defaults(func=cmd_spec)
    return parser


def main(
    argv: Sequence[str] | None = None, *, out: IO[str] | None = None, err: IO[str] | None = None
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    mine, command = validate.split_command(list(sys.argv[1:] if argv is None else argv))
    args = build_parser().parse_args(mine)
    args.err = err
    if args.command == "validate":
        args.argv = command
    if args.command == "spec" and args.dir is None:
        args.dir = args.spec
    try:
        return int(args.func(args, out))
    except errors.ListwatchError as exc:
        err.write(f"error: {_one_line(str(exc))}\n")
        return 1
    except KeyboardInterrupt:
        err.write("error: interrupted\n")
        return 130
    except Exception as exc:  # the last resort: a bug in listwatch, not a user's mistake
        return _internal_error(exc, err)


#: The exit code of an unexpected failure inside listwatch (BSD's EX_SOFTWARE).
EXIT_INTERNAL = 70


def _one_line(message: str) -> str:
    """A message on one line: an error is one line on stderr, whatever the text it quotes."""
    return " ".join(message.split()) if "\n" in message or "\r" in message else message


def _internal_error(exc: Exception, err: IO[str]) -> int:
    """An exception listwatch did not raise on purpose: one line naming it and where it was
    raised (for a bug report), instead of a traceback; LISTWATCH_TRACEBACK=1 shows the full one."""
    if os.environ.get("LISTWATCH_TRACEBACK"):
        traceback.print_exception(exc, file=err)
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    err.write(
        f"error: internal error{where}: {type(exc).__name__}: {_one_line(str(exc))[:300]} "
        "(a bug in listwatch; please report it with the input; LISTWATCH_TRACEBACK=1 shows more)\n"
    )
    return EXIT_INTERNAL


def main_entry() -> None:
    """The console script: exit with main's status."""
    sys.exit(main())
