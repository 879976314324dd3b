"""`listwatch record` and `listwatch check --follow`: a live cluster's watch streams, written as a
trace or judged, record by record, as they come.

    listwatch record [--kubeconfig K] [-n NAMESPACE] [-o FILE] [--duration SECONDS]
    listwatch check --follow [--kubeconfig K] [-n NAMESPACE] [--duration SECONDS]

Pods, Events, Nodes, ReplicationControllers, ReplicaSets and Jobs are each listed and then watched
from the list's resourceVersion (kubectl watches one resource type at a time, so `kubectl get
pods,events -w` cannot record them together).
Both run until SIGINT or SIGTERM (or `--duration`), then stop their watches and exit: record with
0, check with the checker's exit code for what it saw.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

from listwatch import tracefile
from listwatch.checker.run import Checker, violation_line, write_report
from listwatch.remote.kubeapi import KubeAPI
from listwatch.remote.recording import WatchRecorder
from listwatch.spec.model import Spec

#: How often the loop looks for a stop request between records.
POLL_SECONDS = 0.2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options shared by `record` and `check --follow`."""
    parser.add_argument(
        "--kubeconfig",
        default=None,
        help="the cluster's kubeconfig (default: $KUBECONFIG or ~/.kube/config)",
    )
    parser.add_argument(
        "-n",
        "--namespace",
        default=None,
        help="only the pods and events of this namespace (default: every namespace)",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=None,
        metavar="SECONDS",
        help="stop after this many seconds (default: at SIGINT or SIGTERM)",
    )


def follow(
    args: argparse.Namespace, on_record: Callable[[dict[str, Any]], None], err: IO[str]
) -> list[str]:
    """Watch pods, events, nodes and replicated controllers, handing each record to `on_record` in
    arrival order, until a signal or the duration ends; the watches' errors. A line on `err` says
    when the watches are open."""
    api = KubeAPI(args.kubeconfig)
    recorder = WatchRecorder(
        api,
        [
            ("pods", args.namespace),
            ("events", args.namespace),
            ("nodes", None),
            ("replicationcontrollers", args.namespace),
            ("replicasets", args.namespace),
            ("deployments", args.namespace),
            ("jobs", args.namespace),
        ],
    )
    deadline = None if args.duration is None else time.monotonic() + args.duration
    with _stopped_by_signals() as stop:
        recorder.start()
        where = f"namespace {args.namespace}" if args.namespace else "every namespace"
        err.write(f"watching pods and events of {where}, and nodes, at {api.host}\n")
        err.flush()
        seen = 0
        try:
            while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
                recorder.wait_past(seen, timeout=POLL_SECONDS)
                for record in recorder.records_since(seen):
                    seen += 1
                    on_record(record)
        finally:
            recorder.stop()
            api.close()
    for record in recorder.records_since(seen):
        on_record(record)
    return recorder.errors


@contextmanager
def _stopped_by_signals() -> Iterator[threading.Event]:
    """An event set by SIGINT or SIGTERM while the block runs (the handlers are put back after)."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def record_command(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """`listwatch record`: every record as a JSON line, written (and flushed) as it comes."""
    stream = open(args.output, "w", encoding="utf-8") if args.output else out  # noqa: SIM115
    count = 0

    def write(record: dict[str, Any]) -> None:
        nonlocal count
        count += 1
        stream.write(json.dumps(record, separators=(",", ":")) + "\n")
        stream.flush()

    try:
        problems = follow(args, write, err)
    finally:
        if stream is not out:
            stream.close()
    for problem in problems:
        err.write(f"warning: {problem}\n")
    err.write(f"recorded {count} records{f' to {args.output}' if args.output else ''}\n")
    return 0


def check_command(args: argparse.Namespace, out: IO[str], err: IO[str], spec: Spec) -> int:
    """`listwatch check --follow`: each violation printed when the record that shows it comes,
    the report at the end."""
    name = "live"
    checker = Checker(spec, name=name)
    reported = 0
    number = 0

    def judge(value: dict[str, Any]) -> None:
        nonlocal number, reported
        number += 1
        for record in tracefile.records_of([value], name=name):
            checker.feed(tracefile.Record(number, record.type, record.object))
        violations = checker.run.violations
        for violation in violations[reported:]:
            out.write(violation_line(name, violation) + "\n")
        if len(violations) > reported:
            out.flush()
            reported = len(violations)

    for problem in follow(args, judge, err):
        err.write(f"warning: {problem}\n")
    report = checker.finish()
    out.write("\n")
    write_report(report, out, strict=args.strict)
    return report.exit_code(strict=args.strict)
