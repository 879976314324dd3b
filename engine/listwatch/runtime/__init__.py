"""Where the kubelet's effects land: a simulated runtime (memory), a Docker Engine, or a real cluster.

`runtime_for` picks the kubelet's container runtime by backend name; a backend that cannot run
here raises `BackendUnavailable` with one line saying why and how to get it.
"""

from __future__ import annotations

from listwatch.errors import BackendUnavailable
from listwatch.loop import Loop
from listwatch.runtime.base import Runtime

RUNTIMES = ("memory", "docker")


def runtime_for(name: str, loop: Loop) -> Runtime:
    """The container runtime of the named backend, on `loop`."""
    if name == "memory":
        from listwatch.runtime.memory import MemoryRuntime

        return MemoryRuntime(loop)
    if name == "docker":
        from listwatch.runtime.docker import DockerRuntime  # the Docker SDK, only when asked for

        return DockerRuntime(loop)
    raise BackendUnavailable(
        f"no container runtime named {name!r}; expected one of {', '.join(RUNTIMES)}"
    )
