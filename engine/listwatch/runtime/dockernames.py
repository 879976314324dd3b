"""Names and labels of the docker backend's containers, and who owns them (no engine I/O here).

The kubelet's Docker integration (dockershim) named a pod's containers
`k8s_<container>_<pod>_<namespace>_<uid>_<attempt>`, its sandbox `k8s_POD_...`, and labelled them
with the pod's identity; listwatch adds the simulated node, the runtime object that made them and
the process that owns them (`host:pid:start`), by which a crashed run's containers are found.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from typing import Any

POD_NAME = "io.kubernetes.pod.name"
POD_NAMESPACE = "io.kubernetes.pod.namespace"
POD_UID = "io.kubernetes.pod.uid"
CONTAINER_NAME = "io.kubernetes.container.name"
CONTAINER_TYPE = "io.kubernetes.docker.type"
SANDBOX_ID = "io.kubernetes.sandbox.id"
RESTART_COUNT = "annotation.io.kubernetes.container.restartCount"
NODE = "io.listwatch.node"
RUNTIME = "io.listwatch.runtime"
OWNER = "io.listwatch.owner"

#: The image and command of a pod's sandbox: a pause-like container that only holds the pod's
#: namespaces. busybox is the one image the project's test engine has (imported, no registry).
SANDBOX_IMAGE = "busybox:latest"
SANDBOX_COMMAND = ("sleep", "infinity")


def container_name(container: str, pod: Mapping[str, Any], attempt: int) -> str:
    """dockershim's name: `k8s_<container>_<pod>_<namespace>_<uid>_<attempt>` (`POD` for the
    sandbox)."""
    meta = pod.get("metadata") or {}
    namespace = meta.get("namespace") or "default"
    return f"k8s_{container}_{meta.get('name', '')}_{namespace}_{meta.get('uid', '')}_{attempt}"


def process_owner(pid: int | None = None) -> str:
    """`host:pid:start` of a process (this one by default); `start` tells a reused PID apart."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}:{pid}:{_start_ticks(pid)}"


def owner_alive(owner: str) -> bool:
    """Whether the process an `io.listwatch.owner` label names still runs.

    A process on another host cannot be checked from here: it counts as alive, so its containers
    are left alone.
    """
    host, _, rest = owner.partition(":")
    pid_text, _, start = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    return not start or start == _start_ticks(pid)


def _start_ticks(pid: int) -> str:
    """The process's start time in clock ticks since boot (field 22 of /proc/PID/stat), or ''."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rpartition(")")[2].split()[19]
    except (OSError, IndexError):
        return ""


def environment(container: Mapping[str, Any]) -> list[str]:
    """A container's `env` as `NAME=value` strings (entries without `value`, such as `valueFrom`,
    are left out)."""
    return [
        f"{e['name']}={e.get('value', '')}"
        for e in container.get("env") or ()
        if "valueFrom" not in e
    ]
