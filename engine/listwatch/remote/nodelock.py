"""Locks that order scenarios sharing one cluster's nodes: the node labels, and the components.

Scenarios on a cluster each have a namespace of their own, but the nodes are shared: one
scenario labelling `node01 cz=alice` while another expects a pod with the nodeSelector `cz=bob`
to stay Pending would each break the other, and so would two scenarios that each fill a node's
CPU. So a scenario that labels a node, or whose pods depend on node labels (a nodeSelector) or
ask for resources, holds this lock from then until it has restored the labels and closed;
scenarios that do none of these run alongside.

The lock is an `flock` on a file named for the API server's URL in the temporary directory: it
orders the processes of this machine (pytest-xdist workers, several `listwatch conformance`
runs) and is released by the kernel if a holder dies, even by SIGKILL. Runs from different
machines against one cluster are not ordered by it: run one suite at a time there.

A cluster whose control API lets a scenario stop a kubelet or cut a component's watch (`listwatch
serve`) needs more: a stopped kubelet stalls every scenario's pods on its node, and a scenario
that checks which watches are open must not run while another has cut one. So there every
scenario holds the `DisruptionLock` shared from its start, and one that disrupts a component
holds it exclusive from then until it has put the component back and closed. A scenario waiting
for it exclusive goes before scenarios that start after it (a gate file), so that it is not
starved by a stream of short ones.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
import threading
from collections.abc import Iterator
from typing import IO


class NodeLabelLock:
    """The exclusive lock on a cluster's node labels (see the module docstring)."""

    def __init__(self, server: str, *, directory: str | None = None) -> None:
        digest = hashlib.sha256(server.encode()).hexdigest()[:16]
        self.path = os.path.join(
            directory or tempfile.gettempdir(), f"listwatch-node-labels-{digest}.lock"
        )
        self._file: IO[bytes] | None = None
        self._mutex = threading.Lock()

    @property
    def held(self) -> bool:
        return self._file is not None

    def acquire(self) -> None:
        """Wait until no other holder has it, then hold it (again: a no-op)."""
        with self._mutex:
            if self._file is not None:
                return
            stream = open(self.path, "ab")  # noqa: SIM115 (held open for as long as the lock is held)
            try:
                fcntl.flock(stream.fileno(), fcntl.LOCK_EX)
            except BaseException:
                stream.close()
                raise
            self._file = stream

    def release(self) -> None:
        with self._mutex:
            if self._file is not None:
                fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
                self._file.close()
                self._file = None


class DisruptionLock:
    """Shared by every scenario on a controllable cluster, exclusive for one that disrupts a
    component (see the module docstring): two `flock`s, the lock and its gate."""

    def __init__(self, server: str, *, directory: str | None = None) -> None:
        digest = hashlib.sha256(server.encode()).hexdigest()[:16]
        base = os.path.join(directory or tempfile.gettempdir(), f"listwatch-components-{digest}")
        self.path, self.gate_path = f"{base}.lock", f"{base}.gate"
        self._file: IO[bytes] | None = None
        self.mode = ""  # "", "shared" or "exclusive"
        self._mutex = threading.Lock()

    def share(self) -> None:
        """Hold it shared: wait while a holder has it exclusive, or one waits for it so."""
        with self._mutex:
            if self.mode:
                return
            with _held(self.gate_path):
                self._file = _locked(self.path, fcntl.LOCK_SH)
            self.mode = "shared"

    def exclude(self) -> None:
        """Hold it exclusive: wait until every other holder has released it (again: a no-op).

        A shared hold is given up first, so that two scenarios asking at once do not wait for each
        other; new holders wait at the gate meanwhile."""
        with self._mutex:
            if self.mode == "exclusive":
                return
            self._unlock()
            with _held(self.gate_path):
                self._file = _locked(self.path, fcntl.LOCK_EX)
            self.mode = "exclusive"

    def release(self) -> None:
        with self._mutex:
            self._unlock()

    def _unlock(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None
        self.mode = ""


def _locked(path: str, operation: int) -> IO[bytes]:
    """The file at `path`, open and flocked (`LOCK_SH` or `LOCK_EX`), once the lock is granted."""
    stream = open(path, "ab")  # noqa: SIM115 (held open for as long as the lock is held)
    try:
        fcntl.flock(stream.fileno(), operation)
    except BaseException:
        stream.close()
        raise
    return stream


@contextlib.contextmanager
def _held(path: str) -> Iterator[None]:
    """The file at `path` locked exclusive for the duration (the gate)."""
    stream = _locked(path, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(stream.fileno(), fcntl.LOCK_UN)
        stream.close()
