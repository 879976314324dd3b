"""`listwatch serve`: the simulated cluster behind a Kubernetes API until SIGINT or SIGTERM.

    listwatch serve [--runtime memory|docker] [--nodes node01,node02] [--port 6443]
                    [--kubeconfig-out FILE] [--without scheduler|kubelet|controller-manager ...]
                    [--speed N] [--explain] [--ui-port PORT | --no-ui]

With `--runtime docker` the kubelets' runtime is a Docker Engine: pods become real containers, so
`kubectl logs` reads their real output and `kubectl exec` runs commands in them.

It prints the URL and where the kubeconfig is, and the web view's address (with its token; on
127.0.0.1 too), then serves until interrupted. Exit codes: 0 after
a clean stop; 1 for a user error (a bad option, a port already in use), reported on `err`.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import IO, Any

from listwatch import engine as engine_module
from listwatch import errors
from listwatch.cluster import DEFAULT_NODES
from listwatch.components.scheduler.explain import ANNOTATION as EXPLANATION_ANNOTATION
from listwatch.runtime import RUNTIMES
from listwatch.server.app import Server
from listwatch.spec.model import Spec
from listwatch.web import feed
from listwatch.web.journal import LIVE, Journal
from listwatch.web.uiserver import UIServer

#: The components `--without` can leave out, so that an outside implementation can stand in.
COMPONENTS = ("scheduler", "kubelet", "controller-manager")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `listwatch serve`."""
    parser.add_argument(
        "--runtime",
        "--backend",
        dest="runtime",
        choices=RUNTIMES,
        default="memory",
        help="the kubelets' container runtime: memory (simulated, the default) or docker (a Docker "
        "Engine: real containers, logs and exec); --backend is its former name",
    )
    parser.add_argument(
        "--nodes",
        default=",".join(DEFAULT_NODES),
        help="comma-separated node names (default: node01,node02)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=6443,
        help="the port on 127.0.0.1 (default: 6443; 0 picks a free one)",
    )
    parser.add_argument(
        "--kubeconfig-out",
        metavar="FILE",
        default=None,
        help="write the kubeconfig (server URL, CA, token) here and keep it (default: a temporary "
        "file removed on exit)",
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        metavar="N",
        help="run the cluster's clock N times faster than real time: image pulls, back-offs, grace "
        "periods, heartbeats (memory runtime only; timestamps stay on the wall clock)",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="the scheduler writes why it chose each pod's node (or none) on the pod, as the "
        f"annotation {EXPLANATION_ANNOTATION} (off by default: objects stay as a real cluster's)",
    )
    parser.add_argument(
        "--ui-port",
        type=int,
        default=0,
        metavar="PORT",
        help="serve the web view (the flow as it happens, the pods, each pod's timeline, why the "
        "scheduler chose its node) on this port of 127.0.0.1 (default: a free port)",
    )
    parser.add_argument(
        "--no-ui",
        action="store_true",
        help="serve no web view (the components then report no acts: a little faster)",
    )
    parser.add_argument(
        "--without",
        action="append",
        default=[],
        metavar="COMPONENT",
        help="leave a component out, so that your own can run against the API: "
        f"{', '.join(COMPONENTS)}, or one of the controller manager's controllers by the name "
        "kube-controller-manager's --controllers takes (replicaset-controller, "
        "replicationcontroller-controller, ...) (repeatable, or comma-separated)",
    )


def parse_without(values: list[str], spec: Spec) -> list[str]:
    """The components and controllers `--without` names, each checked."""
    chosen = [v.strip() for value in values for v in value.split(",") if v.strip()]
    known = leavable(spec)
    for name in chosen:
        if name not in known:
            raise errors.ListwatchError(
                f"--without {name}: not a component; choose from {', '.join(known)}"
            )
    return chosen


def leavable(spec: Spec) -> tuple[str, ...]:
    """What a served cluster can run without: each component, and each of the controller
    manager's controllers (the spec's `controllers`)."""
    controllers = spec.component("controller-manager").settings.get("controllers") or {}
    return (*COMPONENTS, *controllers)


def command(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """Serve until SIGINT or SIGTERM (or until `args.stop_event`, a threading.Event, is set)."""
    try:
        nodes = [n.strip() for n in args.nodes.split(",") if n.strip()]
        if not nodes:
            raise errors.ListwatchError("--nodes: give at least one node name")
        if not 0 <= args.port <= 65535:
            raise errors.ListwatchError(f"--port {args.port}: not a TCP port")
        ui = not getattr(args, "no_ui", False)
        ui_port = getattr(args, "ui_port", 0)
        if not 0 <= ui_port <= 65535:
            raise errors.ListwatchError(f"--ui-port {ui_port}: not a TCP port")
        engine = engine_module.load(getattr(args, "spec", None))
        without = parse_without(args.without, engine.spec)
        server = Server(
            engine,
            nodes=nodes,
            port=args.port,
            without=without,
            kubeconfig_out=args.kubeconfig_out,
            err=err,
            runtime=args.runtime,
            speed=args.speed,
            trace_actions=ui,
        )
        try:
            view = WebView.before_start(server, port=ui_port) if ui else None
        except errors.ListwatchError:
            server.live.stop()  # never started: closed here
            raise
    except errors.ListwatchError as exc:
        err.write(f"error: {exc}\n")
        return 1
    scheduler = server.live.cluster.scheduler
    if getattr(args, "explain", False) and scheduler is not None:
        scheduler.annotate_explanations = True
    stop: threading.Event = getattr(args, "stop_event", None) or threading.Event()
    restore = _on_signals(stop)
    try:
        try:
            server.start()
        except OSError as exc:
            err.write(f"error: cannot serve on 127.0.0.1:{args.port}: {exc.strerror or exc}\n")
            if view is not None:
                view.stop()
            return 1
        except errors.ListwatchError as exc:
            err.write(f"error: {exc}\n")
            if view is not None:
                view.stop()
            server.stop()
            return 1
        if view is not None:
            view.start()
        served = ", ".join(nodes) if "kubelet" not in without else "none (no kubelet)"
        out.write(
            f"listwatch: a simulated Kubernetes v1.32 cluster is served at {server.url} (nodes: "
            f"{served})\n"
        )
        if RUNTIMES[args.runtime].real_time:
            out.write(f"kubelet runtime: {server.live.cluster.runtime.describe()}\n")
        if without:
            out.write(f"left out: {', '.join(without)}\n")
        if args.speed != 1:
            out.write(f"clock: {args.speed:g} times faster than real time\n")
        out.write(f"kubeconfig: {server.kubeconfig}\n")
        out.write(f"  export KUBECONFIG={server.kubeconfig}\n")
        if view is not None:
            out.write(f"UI: {view.url}\n")
        out.write("Stop with Ctrl-C (SIGINT) or SIGTERM.\n")
        out.flush()
        while not stop.wait(0.5):
            pass
        out.write("listwatch: stopping\n")
        out.flush()
        if view is not None:
            view.stop()
        server.stop()
        return 0
    finally:
        restore()


def _on_signals(stop: threading.Event) -> Any:
    """Set `stop` on SIGINT and SIGTERM (from the main thread only); return how to undo it."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore


class WebView:
    """The web view of a served cluster: a journal fed on the cluster's loop, and its server."""

    def __init__(self, server: Server, ui: UIServer, detach: Callable[[], None]) -> None:
        self._server = server
        self._ui = ui
        self._detach = detach

    @classmethod
    def before_start(cls, server: Server, *, port: int) -> WebView:
        """Bind the view's port and feed a journal from `server`'s cluster, before the cluster
        starts (so that the components' first List-Watches are seen too)."""
        live = server.live
        journal = Journal(live.cluster.spec, mode=LIVE)
        ui = UIServer(journal, port=port)
        return cls(server, ui, feed.attach(journal, live.cluster))

    def start(self) -> None:
        self._ui.start()

    @property
    def url(self) -> str:
        return self._ui.url

    def stop(self) -> None:
        self._ui.stop()
        live = self._server.live
        if live.running:
            with contextlib.suppress(errors.ListwatchError):
                live.call(self._detach)
