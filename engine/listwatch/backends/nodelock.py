"""One run at a time with the nodes' labels of a cluster: an exclusive lock per API server, per machine.

Scenarios on a cluster each have a namespace of their own, but the nodes are shared: one
scenario labelling `node01 cz=alice` while another expects a pod with the nodeSelector `cz=bob`
to stay Pending would each break the other. So a scenario that labels a node, or whose pods
depend on node labels (a nodeSelector), holds this lock from then until it has restored the
labels and closed; scenarios that do neither run alongside.

The lock is an `flock` on a file named for the API server's URL in the temporary directory: it
orders the processes of this machine (pytest-xdist workers, several `listwatch conformance`
runs) and is released by the kernel if a holder dies, even by SIGKILL. Runs from different
machines against one cluster are not ordered by it: run one suite at a time there.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
import threading
from typing import IO


class NodeLabelLock:
    """The exclusive lock on a cluster's node labels (see the module docstring)."""

    def __init__(self, server: str, *, directory: str | None = None) -> None:
        digest = hashlib.sha256(server.encode()).hexdigest()[:16]
        self.path = os.path.join(directory or tempfile.gettempdir(), f"listwatch-node-labels-{digest}.lock")
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
