"""`kubectl exec POD -- COMMAND`, through the official Python client's WebSocket stream.

It does what kubectl does: read the pod first (a finished pod cannot be entered; the container
defaults to the one the `kubectl.kubernetes.io/default-container` annotation names, else the
first, saying so when there are several), then open `pods/exec` as a WebSocket
(`kubernetes.stream.stream`, subprotocols v5.channel.k8s.io and v4.channel.k8s.io), copy the
command's stdout and stderr as they come, and read the Status the server sends on the error
channel at the end. The result is the command's exit code; a refusal is an `APIError` built from
the server's Status (before the upgrade: the handshake's answer; after it: the error channel).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import IO, Any

import kubernetes.client
import kubernetes.stream
from kubernetes.client.exceptions import ApiException

from listwatch import errors
from listwatch.remote.kubeapi import KubeAPI

#: The error channel of the remote command protocol.
ERROR_CHANNEL = 3
DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"
#: How long one wait for the stream lasts before the output read so far is written.
_UPDATE_SECONDS = 0.5


def exec_in_pod(
    api: KubeAPI,
    pod: str,
    command: Sequence[str],
    *,
    namespace: str,
    container: str | None,
    out: IO[str],
    err: IO[str],
) -> int:
    """Run `command` in the pod's container, writing its output to `out` and `err` as it comes;
    return its exit code (writing kubectl's `command terminated with exit code N` for non-zero)."""
    found = api.get("pods", pod, namespace=namespace)
    phase = (found.get("status") or {}).get("phase", "")
    if phase in ("Succeeded", "Failed"):
        raise errors.ListwatchError(
            f"cannot exec into a container in a completed pod; current phase is {phase}"
        )
    if container is None:
        container = default_container(found, err)
    core = kubernetes.client.CoreV1Api(api.client)
    try:
        stream: Any = kubernetes.stream.stream(
            core.connect_get_namespaced_pod_exec,
            pod,
            namespace,
            command=list(command),
            container=container,
            stdin=False,
            stdout=True,
            stderr=True,
            tty=False,
            _preload_content=False,
        )
    except ApiException as exc:
        raise _refusal(exc) from exc
    try:
        while stream.is_open():
            stream.update(timeout=_UPDATE_SECONDS)
            _copy(stream, out, err)
        _copy(stream, out, err)
        status_text = stream.read_channel(ERROR_CHANNEL)
    finally:
        stream.close()
        # After the server's close frame websocket-client's close() is a no-op that leaves the
        # socket open.
        if stream.sock is not None:
            stream.sock.shutdown()
    return _exit_code(status_text, err)


def default_container(pod: Mapping[str, Any], err: IO[str]) -> str:
    """The container kubectl picks when none is named, telling `err` when it chose among several."""
    spec = pod.get("spec") or {}
    names = [c["name"] for c in spec.get("containers") or []]
    init_names = [c["name"] for c in spec.get("initContainers") or []]
    if not names:
        raise errors.ListwatchError(
            f"pod {(pod.get('metadata') or {}).get('name', '')} has no containers"
        )
    chosen = ((pod.get("metadata") or {}).get("annotations") or {}).get(
        DEFAULT_CONTAINER_ANNOTATION
    ) or names[0]
    if len(names) + len(init_names) > 1:
        every = [*names, *(f"{name} (init)" for name in init_names)]
        err.write(f'Defaulted container "{chosen}" out of: {", ".join(every)}\n')
    return str(chosen)


def _copy(stream: Any, out: IO[str], err: IO[str]) -> None:
    if stream.peek_stdout():
        out.write(stream.read_stdout())
        out.flush()
    if stream.peek_stderr():
        err.write(stream.read_stderr())
        err.flush()


def _exit_code(status_text: str, err: IO[str]) -> int:
    """The command's exit code from the error channel's Status (none at all: the server went
    away)."""
    if not status_text:
        raise errors.ListwatchError(
            "the exec stream ended without a status: the server closed the connection"
        )
    try:
        status = json.loads(status_text)
    except ValueError as exc:
        raise errors.ListwatchError(
            f"the exec stream ended with an unreadable status: {status_text[:200]!r}"
        ) from exc
    if status.get("status") == "Success":
        return 0
    if status.get("reason") == "NonZeroExitCode":
        for cause in (status.get("details") or {}).get("causes") or []:
            if cause.get("reason") == "ExitCode" and str(cause.get("message", "")).isdigit():
                code = int(cause["message"])
                err.write(f"command terminated with exit code {code}\n")
                return code
    # As kubectl: a failure after the upgrade (no running container, a runtime that cannot exec) is
    # its message.
    raise errors.ListwatchError(str(status.get("message") or status_text))


def _refusal(exc: ApiException) -> errors.APIError:
    """The server's Status from a refused upgrade (websocket-client keeps the answer's body)."""
    cause = exc.__context__
    body = getattr(cause, "resp_body", None)
    code = int(getattr(cause, "status_code", 0) or 0)
    try:
        status = json.loads(body) if body else {}
    except ValueError:
        status = {}
    if not isinstance(status, dict) or not status.get("message"):
        return errors.APIError(f"cannot open the exec stream: {exc.reason}")
    return _status_error(status, code=code)


def _status_error(status: Mapping[str, Any], *, code: int) -> errors.APIError:
    error = errors.APIError(str(status.get("message", "")))
    error.code = int(status.get("code") or code or 500)
    error.reason = str(status.get("reason") or "InternalError")
    return error
