"""A command running inside a Docker container, its streams joined to the caller: `kubectl exec`.

The docker backend's side of the served `pods/exec` (see `listwatch.runtime.base.ExecSession`).
It is the Docker Engine's exec API as the docker CLI uses it: create an exec instance, start it on
a hijacked connection (`Upgrade: tcp`), then read the command's output from that connection and
write its standard input to it; a half-close of the connection is the end of standard input.

Without a TTY the engine multiplexes stdout and stderr on the connection, each chunk behind an
8-byte header (stream number, three zero bytes, the chunk's length as a big-endian uint32); with a
TTY the output is the terminal's raw bytes, all of it stdout, as on a Kubernetes node.

`dial_in_namespace` is the other way into a pod, kubectl port-forward's: a connection to a port on
the loopback of the pod's network namespace.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import socket
import struct
import threading
import time
from typing import Any

import docker
import docker.errors

from listwatch.runtime.base import STDERR, STDOUT, PortUnreachable, port_refused

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


#: setns(2)'s flag for a network namespace.
_CLONE_NEWNET = 0x40000000
#: How long a connection to a port on the pod's loopback may take (it is local: refused at once).
_DIAL_SECONDS = 5.0


def dial_in_namespace(sandbox_id: str, pid: int, port: int) -> socket.socket:
    """A TCP connection to `port` on the loopback of the network namespace of process `pid` (the
    pod's sandbox), 127.0.0.1 first, then ::1, as containerd dials for the kubelet: a thread of
    its own enters the namespace (setns, as root) and creates the socket there, where it stays
    once the thread ends. Raises PortUnreachable with containerd's words when neither answers."""
    outcome: list[socket.socket | BaseException] = []

    def work() -> None:
        try:
            _enter_network_namespace(pid)
            outcome.append(_dial_loopback(sandbox_id, port))
        except BaseException as exc:  # handed to the caller
            outcome.append(exc)

    thread = threading.Thread(target=work, name=f"portforward {sandbox_id[:12]}:{port}")
    thread.start()
    thread.join()
    result = outcome[0]
    if isinstance(result, BaseException):
        raise result
    return result


def _enter_network_namespace(pid: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    try:
        fd = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)
    except OSError as exc:
        raise PortUnreachable("", f"failed to open the network namespace of {pid}: {exc}") from exc
    try:
        if libc.setns(fd, _CLONE_NEWNET) != 0:
            code = ctypes.get_errno()
            raise PortUnreachable("", f"failed to enter the network namespace: {os.strerror(code)}")
    finally:
        os.close(fd)


def _dial_loopback(sandbox_id: str, port: int) -> socket.socket:
    reasons = []
    for family, address in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(_DIAL_SECONDS)
        try:
            sock.connect((address, port))
        except OSError as exc:
            sock.close()
            reasons.append(f"connect: {_go_words(exc)}")
            continue
        sock.settimeout(None)
        return sock
    raise port_refused(sandbox_id, port, reasons[0], reasons[1])


def _go_words(exc: OSError) -> str:
    """An errno as Go's syscall package words it (`connection refused`)."""
    if isinstance(exc, TimeoutError) and exc.errno is None:
        return "i/o timeout"
    text = os.strerror(exc.errno) if exc.errno else str(exc)
    return text[:1].lower() + text[1:]
