"""A command running inside a Docker container, its streams joined to the caller: `kubectl exec`.

The docker backend's side of the served `pods/exec` (see `listwatch.runtime.base.ExecSession`).
It is the Docker Engine's exec API as the docker CLI uses it: create an exec instance, start it on
a hijacked connection (`Upgrade: tcp`), then read the command's output from that connection and
write its standard input to it; a half-close of the connection is the end of standard input.

Without a TTY the engine multiplexes stdout and stderr on the connection, each chunk behind an
8-byte header (stream number, three zero bytes, the chunk's length as a big-endian uint32); with a
TTY the output is the terminal's raw bytes, all of it stdout, as on a Kubernetes node.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import time
from typing import Any

import docker
import docker.errors

from listwatch.runtime.base import STDERR, STDOUT

#: How long `exit_code` waits for the engine to record the exit of a command whose output has ended.
_EXIT_WAIT_SECONDS = 5.0
_HEADER = struct.Struct(">BxxxL")


class DockerExec:
    """One exec instance in a running container (see the module docstring). Not thread-safe: one
    caller drives it, as the served API's connection thread does."""

    def __init__(
        self,
        client: docker.DockerClient,
        container_id: str,
        command: list[str],
        *,
        stdin: bool,
        tty: bool,
    ) -> None:
        """Start `command`; raises docker.errors.DockerException or OSError when the engine
        refuses."""
        self.client = client
        self.tty = tty
        created = client.api.exec_create(
            container_id, command, stdout=True, stderr=True, stdin=stdin, tty=tty
        )
        self.exec_id = str(created["Id"])
        stream: Any = client.api.exec_start(self.exec_id, tty=tty, socket=True)
        self._stream = stream
        # The connection's socket itself: reads and writes go to it, never through a buffer.
        self._sock: socket.socket = getattr(stream, "_sock", stream)
        self._buffer = b""
        self._ended = False

    def fileno(self) -> int:
        return self._sock.fileno()

    def read(self) -> list[tuple[int, bytes]] | None:
        """The output that has arrived (call when `fileno` is readable), or None at its end."""
        if self._ended:
            return None
        try:
            data = self._sock.recv(1 << 16)
        except (ConnectionError, TimeoutError):
            data = b""
        if not data:
            self._ended = True
            return None
        if self.tty:
            return [(STDOUT, data)]
        self._buffer += data
        chunks: list[tuple[int, bytes]] = []
        while len(self._buffer) >= _HEADER.size:
            number, size = _HEADER.unpack_from(self._buffer)
            if len(self._buffer) < _HEADER.size + size:
                break
            chunk = self._buffer[_HEADER.size : _HEADER.size + size]
            self._buffer = self._buffer[_HEADER.size + size :]
            chunks.append((STDERR if number == 2 else STDOUT, chunk))
        return chunks

    def write(self, data: bytes) -> None:
        self._sock.sendall(data)

    def close_stdin(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_WR)

    def resize(self, width: int, height: int) -> None:
        if self.tty:
            with contextlib.suppress(docker.errors.DockerException, OSError):
                self.client.api.exec_resize(self.exec_id, height=height, width=width)

    def exit_code(self) -> int:
        """The command's exit code, once its output has ended (the engine records it a moment
        later)."""
        deadline = time.monotonic() + _EXIT_WAIT_SECONDS
        while True:
            state = self.client.api.exec_inspect(self.exec_id)
            if not state.get("Running") or time.monotonic() > deadline:
                return int(state.get("ExitCode") or 0)
            time.sleep(0.02)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self._stream.close()
        response = getattr(self._stream, "_response", None)
        if response is not None:
            with contextlib.suppress(Exception):
                response.close()
        with contextlib.suppress(OSError):
            self._sock.close()
