"""The `listwatch` command.

    listwatch run [MANIFEST ...] [--nodes node01,node02] [--label NODE:KEY=VALUE ...] [--trace FILE] [--diagrams DIR] [--diagnose]
    listwatch check TRACE [--strict] [--emit-feature FILE] [--format text|json]
    listwatch conformance [--backend memory|docker|cluster] [--kubeconfig K] [--junit FILE] [--cucumber-json FILE]
    listwatch serve [--nodes node01,node02] [--port 6443] [--kubeconfig-out FILE] [--without COMPONENT ...]
    listwatch diagrams [--out DIR] [--format dot,svg,png] [--trace FILE]
    listwatch diagnose POD [--kubeconfig K] [-n NAMESPACE]
    listwatch describe pod NAME [--kubeconfig K] [-n NAMESPACE]
    listwatch logs POD [-c CONTAINER] [--tail N] [-p] [--kubeconfig K] [-n NAMESPACE]
    listwatch spec validate [DIR]
    listwatch spec show [DIR]

Exit codes: 0 success; 1 a user error (bad manifest, bad spec, bad option) reported on stderr, or a
run that breaks the spec (check), or a pod with a problem (diagnose); 2 a trace that cannot be
read (check), or no such pod (diagnose).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from listwatch import checker, conformance, errors, manifests, paths, printers, render, server
from listwatch import engine as engine_module
from listwatch.apiserver import objects
from listwatch.apiserver.selectors import valid_label_key, valid_label_value
from listwatch.backends.kubeapi import KubeAPI
from listwatch.cluster import DEFAULT_NODES, Cluster
from listwatch.flow import FlowTracker, StepEvent
from listwatch.spec.model import Spec
from listwatch.trace import TraceWriter
from listwatch.troubleshoot.diagnose import diagnose
from listwatch.troubleshoot.diagnose import write as write_diagnosis
from listwatch.troubleshoot.kubesource import KubeSource
from listwatch.troubleshoot.sources import ClusterSource


class StepPrinter:
    """Prints each step of the flow as it happens: time, id, who talks to whom, what changed."""

    def __init__(self, spec: Spec, out: IO[str]) -> None:
        self.spec = spec
        self.out = out

    def __call__(self, event: StepEvent) -> None:
        step, action = event.step, event.action
        actor = action.actor if action.actor.partition("/")[0] in step.sources else " / ".join(step.sources)
        target = action.target if action.target and action.target.partition("/")[0] in step.targets else " / ".join(step.targets)
        seen = "internal" if step.internal else "observable"
        what = f"{action.obj}: " if action.obj is not None else ""
        detail = action.detail
        if event.repeats:
            detail = f"{detail} (the same write and event as {event.repeats}: the pod was created directly)"
        self.out.write(f"  [{action.time:8.3f}s] {step.id}  {actor} \u2192 {target}  ({seen}) {step.title}\n")
        self.out.write(f"                         {what}{detail}\n")


def _parse_labels(values: Sequence[str], nodes: Sequence[str]) -> list[tuple[str, str, str]]:
    parsed = []
    for value in values:
        node, sep, pair = value.partition(":")
        key, eq, label = pair.partition("=")
        if not sep or not eq:
            raise errors.ListwatchError(f"--label {value!r}: expected NODE:KEY=VALUE, e.g. node02:cz=bob")
        if node not in nodes:
            raise errors.ListwatchError(f"--label {value!r}: no node {node!r}; the nodes are {', '.join(nodes)}")
        if not valid_label_key(key) or not valid_label_value(label):
            raise errors.ListwatchError(f"--label {value!r}: {key}={label} is not a valid Kubernetes label")
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

        cluster = Cluster(engine, nodes=nodes, sinks=[FlowTracker(engine.spec.flow, on_step)])
        stack.callback(cluster.close)
        if user_manifests is not None:
            manifests.check(cluster.api, user_manifests)
        writers: list[TraceWriter] = []
        if args.trace:
            writers.append(TraceWriter.to_stream(stack.enter_context(open(args.trace, "w", encoding="utf-8"))))
        records: list[dict[str, Any]] = []
        if args.diagrams:
            writers.append(TraceWriter(records.append))
        for writer in writers:
            tracker_sinks.append(writer.step)
            writer.observe(cluster.api)
        out.write(
            f"listwatch: a simulated Kubernetes v1.32 cluster on the {cluster.runtime.describe()} backend; nodes: {', '.join(nodes)}\n\n"
        )
        out.write("The components start and open their List-Watches:\n")
        cluster.start()
        if user_manifests is None:
            _tutorial(cluster, labels, out)
        else:
            for node, key, value in labels:
                _kubectl(out, f"label nodes {node} {key}={value}")
                cluster.label_node(node, key, value, overwrite=True)
                out.write(f"node/{node} labeled\n")
            _kubectl(out, f"create -f {' '.join(args.manifests)}")
            created = manifests.apply_all(cluster.api, user_manifests)
            for obj in created:
                out.write(f"{cluster.api.resource(obj['kind']).singular}/{objects.name_of(obj)} created\n")
            cluster.settle()
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
    return 0


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


def _tutorial(cluster: Cluster, labels: Sequence[tuple[str, str, str]], out: IO[str]) -> None:
    """The tutorial's section 3: the nodeName example, node labels, the nodeSelector example."""
    base = paths.examples_dir()
    out.write("\n# 3.1 nodeName: the pod names its node; the scheduler is skipped\n")
    _create(cluster, base / "pod5.yaml", out)
    out.write("\n# 3.2 nodeSelector: label the nodes, then let the scheduler place the pod by label\n")
    _kubectl(out, "get node")
    out.write(printers.get_nodes(cluster.api.list("nodes").items, cluster.clock.wall()))
    for node, key, value in [("node01", "cz", "alice"), ("node02", "cz", "bob"), *labels]:
        if node in cluster.kubelets:
            _kubectl(out, f"label nodes {node} {key}={value}")
            cluster.label_node(node, key, value, overwrite=True)
            out.write(f"node/{node} labeled\n")
    _kubectl(out, "get nodes --show-labels")
    cluster.settle()
    out.write(printers.get_nodes(cluster.api.list("nodes").items, cluster.clock.wall(), show_labels=True))
    _create(cluster, base / "pod5-nodeselector.yaml", out)


def _create(cluster: Cluster, path: Path, out: IO[str]) -> None:
    found = manifests.read([path])
    _kubectl(out, f"create -f {path.name}")
    for obj in manifests.apply_all(cluster.api, found):
        out.write(f"{cluster.api.resource(obj['kind']).singular}/{objects.name_of(obj)} created\n")
    cluster.settle()


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
    """Walk the troubleshooting tree for one pod of a live cluster (exit 0 healthy, 1 a finding, 2 no such pod)."""
    tree = engine_module.load(args.spec).spec.troubleshooting
    if tree is None:
        raise errors.ListwatchError("the spec has no troubleshooting tree (spec/troubleshooting.yaml)")
    found = diagnose(tree, KubeSource(_kube(args)), args.pod, args.namespace)
    write_diagnosis(found, out)
    return found.exit_code


def cmd_describe(args: argparse.Namespace, out: IO[str]) -> int:
    """kubectl describe pod NAME, from a live cluster."""
    api = _kube(args)
    pod = api.get("pods", args.name, namespace=args.namespace)
    events = KubeSource(api).events_for(pod)
    out.write(printers.describe_pod(pod, events, datetime.now(UTC)))
    return 0


def cmd_logs(args: argparse.Namespace, out: IO[str]) -> int:
    """kubectl logs POD [-c CONTAINER] [--tail N] [--previous], from a live cluster."""
    out.write(_kube(args).logs(args.pod, namespace=args.namespace, container=args.container, tail=args.tail, previous=args.previous))
    return 0


def cmd_diagrams(args: argparse.Namespace, out: IO[str]) -> int:
    return render.command(args, out, engine_module.load(args.spec).spec)


def cmd_spec(args: argparse.Namespace, out: IO[str]) -> int:
    engine = engine_module.load(args.dir)
    spec = engine.spec
    if args.action == "validate":
        main = [s for s in spec.flow.steps if s.id.startswith("LW-")]
        out.write(
            f"{spec.root}: valid. {len(main)} steps ({main[0].id} to {main[-1].id}), "
            f"{len(spec.flow.steps) - len(main)} variant steps, {len(spec.flow.variants)} variants, "
            f"{len(engine.machines)} machines, {len(spec.components)} components; every name resolves.\n"
        )
        return 0
    out.write(f"Flow {spec.flow.name}: {len(spec.flow.steps)} steps\n")
    for step in spec.flow.steps:
        seen = "internal" if step.internal else "observable"
        out.write(f"  {step.id}  {' / '.join(step.sources)} \u2192 {' / '.join(step.targets)}  ({seen})  {step.title}\n")
        if step.next:
            out.write(f"         next: {', '.join(step.next)}\n")
    out.write("\nVariants:\n")
    for variant in spec.flow.variants:
        path = " \u2192 ".join(variant.steps)
        out.write(f"  {variant.id}: {variant.name}\n    {path}\n")
    out.write("\nMachines:\n")
    for machine in spec.machines.values():
        out.write(f"  {machine.name} (one per {machine.per}; callbacks of {machine.owner}): initial {machine.initial}\n")
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
    parser = argparse.ArgumentParser(prog="listwatch", description="The Kubernetes pod lifecycle as an executable specification.")
    parser.add_argument("--spec", default=None, help="the spec directory (default: the spec shipped with listwatch)")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run manifests (default: the tutorial's examples) on a simulated cluster")
    run.add_argument("manifests", nargs="*", help="Kubernetes manifest files or directories (multi-document YAML allowed)")
    run.add_argument("--nodes", default=",".join(DEFAULT_NODES), help="comma-separated node names (default: node01,node02)")
    run.add_argument("--label", action="append", default=[], metavar="NODE:KEY=VALUE", help="label a node before the manifests are applied")
    run.add_argument("--trace", metavar="FILE", help="write the run as a JSON Lines trace")
    run.add_argument("--diagrams", metavar="DIR", help="draw this run over the flow into DIR (run.dot, run.svg)")
    run.add_argument("--diagnose", action="store_true", help="at the end, diagnose every pod that is not healthy")
    run.set_defaults(func=cmd_run)
    check = sub.add_parser("check", help="judge a recorded run (a trace, a kubectl watch) against the spec")
    checker.add_arguments(check)
    check.set_defaults(func=lambda args, out: checker.command(args, out, args.err, engine_module.load(args.spec).spec))
    conformance_parser = sub.add_parser("conformance", help="run the Gherkin conformance features against a backend")
    conformance.add_arguments(conformance_parser)
    conformance_parser.set_defaults(func=lambda args, out: conformance.command(args, out))
    serve = sub.add_parser("serve", help="serve the simulated cluster as a Kubernetes API on 127.0.0.1 (for kubectl and clients)")
    server.add_arguments(serve)
    serve.set_defaults(func=lambda args, out: server.command(args, out, args.err))

    def live(name: str, help_text: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_text)
        command.add_argument("--kubeconfig", default=None, help="the cluster's kubeconfig (default: $KUBECONFIG or ~/.kube/config)")
        command.add_argument("-n", "--namespace", default="default")
        return command

    diagnose_parser = live("diagnose", "walk the troubleshooting tree for a pod of a live cluster")
    diagnose_parser.add_argument("pod")
    diagnose_parser.set_defaults(func=cmd_diagnose)
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
    diagrams = sub.add_parser("diagrams", help="draw the spec's pictures, or a recorded run over the flow")
    render.add_arguments(diagrams)
    diagrams.set_defaults(func=cmd_diagrams)
    spec = sub.add_parser("spec", help="validate or show the spec")
    spec.add_argument("action", choices=["validate", "show"])
    spec.add_argument("dir", nargs="?", default=None, help="the spec directory (default: the shipped spec)")
    spec.set_defaults(func=cmd_spec)
    return parser


def main(argv: Sequence[str] | None = None, *, out: IO[str] | None = None, err: IO[str] | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    args.err = err
    if args.command == "spec" and args.dir is None:
        args.dir = args.spec
    try:
        return int(args.func(args, out))
    except errors.ListwatchError as exc:
        err.write(f"error: {exc}\n")
        return 1


def main_entry() -> None:
    """The console script: exit with main's status."""
    sys.exit(main())
