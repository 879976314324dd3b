"""`listwatch view TRACE`: a recorded run (`listwatch run --trace`, a kubectl watch) in the web
view, read-only, until SIGINT or SIGTERM; with `--html FILE`, written as one file instead.

    listwatch view TRACE.jsonl [--port PORT] [--html FILE]

Exit codes: 0 after a clean stop (or once the file is written); 1 for a user error (a trace that
cannot be read, a port in use), reported on `err`, with nothing served or written.
"""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from listwatch import engine as engine_module
from listwatch import errors, tracefile
from listwatch.web import page
from listwatch.web.journal import TRACE, Journal
from listwatch.web.uiserver import UIServer


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `listwatch view`."""
    parser.add_argument("trace", help="the trace: a file, or - for standard input")
    parser.add_argument(
        "--port",
        type=int,
        default=0,
        help="the port on 127.0.0.1 (default: a free one)",
    )
    parser.add_argument(
        "--html",
        metavar="FILE",
        default=None,
        help="write the view as one self-contained HTML file instead of serving it",
    )


def read(spec_dir: str | None, trace: str) -> Journal:
    """A journal of the whole trace (a TraceError names the line that cannot be read)."""
    journal = Journal(engine_module.load(spec_dir).spec, mode=TRACE)
    name = "<stdin>" if trace == tracefile.STDIN else trace
    for record in tracefile.read(trace):
        try:
            journal.add_record(record)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise tracefile.TraceError(
                name,
                record.line,
                f"the web view cannot read this {record.type or 'bare object'} record "
                f"({type(exc).__name__}: {exc}); expected the shapes `listwatch run --trace` "
                "writes",
            ) from exc
    journal.close()
    return journal


def command(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """Serve the trace's view until SIGINT or SIGTERM (or `args.stop_event` is set)."""
    if not 0 <= args.port <= 65535:
        raise errors.ListwatchError(f"--port {args.port}: not a TCP port")
    journal = read(getattr(args, "spec", None), args.trace)
    if args.html:
        written = page.write_report(journal, args.html)
        out.write(f"listwatch: the view of {args.trace} written to {written}\n")
        return 0
    stop: threading.Event = getattr(args, "stop_event", None) or threading.Event()
    with UIServer(journal, port=args.port) as ui, _stopping_on_signals(stop):
        out.write(f"listwatch: the run recorded in {args.trace}, read-only\n")
        out.write(f"UI: {ui.url}\n")
        out.write("Stop with Ctrl-C (SIGINT) or SIGTERM.\n")
        out.flush()
        while not stop.wait(0.5):
            pass
    return 0


@contextmanager
def _stopping_on_signals(stop: threading.Event) -> Iterator[None]:
    """Set `stop` on SIGINT and SIGTERM while inside (from the main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {
        sig: signal.signal(sig, lambda signum, frame: stop.set())
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
