"""Putting a cluster back as it was: what a run changed, undone at its end, even when it is
interrupted.

An `UndoLog` keeps, for each change a run makes to a cluster it does not own (an object created, a
node label set), how to take it back. `undo` runs them newest first, each once, and goes on past
one that fails (reporting it), so one stuck object does not leave a node label behind.

While a log is `armed`, it is also run when the process ends without closing it: at exit
(`atexit`), and on SIGINT or SIGTERM, after which the signal does what it did before (SIGINT
raises KeyboardInterrupt; SIGTERM, by default, ends the process with it). A SIGKILL cannot be
caught: what a killed run left is labelled `app.kubernetes.io/managed-by=listwatch` (namespaces)
for an operator to find.

Signal handlers can only be set from the main thread; elsewhere a log relies on `atexit` and on
its owner's `undo`.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

Undo = Callable[[], None]


class UndoLog:
    """Changes to take back, newest first, each once."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._entries: list[tuple[str, Undo]] = []
        self._lock = threading.Lock()

    def push(self, what: str, undo: Undo) -> None:
        """Remember how to take back a change (`what` says which, for a failure's report)."""
        with self._lock:
            self._entries.append((what, undo))

    def __len__(self) -> int:
        return len(self._entries)

    def undo(self) -> list[str]:
        """Take back every change, newest first; the failures, as `what: error` lines."""
        failures: list[str] = []
        while True:
            with self._lock:
                if not self._entries:
                    break
                what, undo = self._entries.pop()
            try:
                undo()
            except Exception as exc:  # go on: the next change must still be taken back
                failures.append(f"{what}: {exc}")
        return failures


class _Guard:
    """The process's armed logs, and the exit and signal hooks that run them."""

    def __init__(self) -> None:
        self.logs: list[UndoLog] = []
        self.lock = threading.Lock()
        self.installed = False
        self.previous: dict[int, Any] = {}

    def arm(self, log: UndoLog) -> None:
        with self.lock:
            self.logs.append(log)
            if not self.installed:
                self.installed = True
                atexit.register(self.run_all)
                if threading.current_thread() is threading.main_thread():
                    for sig in (signal.SIGINT, signal.SIGTERM):
                        self.previous[sig] = signal.signal(sig, self.on_signal)

    def disarm(self, log: UndoLog) -> None:
        with self.lock:
            if log in self.logs:
                self.logs.remove(log)

    def run_all(self) -> None:
        with self.lock:
            logs, self.logs = list(self.logs), []
        for log in logs:
            for failure in log.undo():
                sys.stderr.write(f"listwatch: {log.name}: could not undo {failure}\n")

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.run_all()
        previous = self.previous.get(signum)
        if callable(previous):
            previous(signum, frame)
        elif previous != signal.SIG_IGN:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)


_GUARD = _Guard()


def arm(log: UndoLog) -> None:
    """Run `log` at exit and on SIGINT/SIGTERM until it is disarmed (see the module docstring)."""
    _GUARD.arm(log)


def disarm(log: UndoLog) -> None:
    """The owner has undone (or will undo) the log itself: no hook runs it any more."""
    _GUARD.disarm(log)
