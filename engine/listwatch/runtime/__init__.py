"""Where the kubelet's effects land: a simulated runtime (memory) or a Docker Engine.

`RUNTIMES` is the one registry of container runtimes (`listwatch run --runtime`, `listwatch serve
--runtime`, the features' memory and docker backends): each says whether its containers live in
real time, and makes the runtime on a loop. A runtime that cannot run here raises
`BackendUnavailable` with one line saying why and how to get it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from listwatch.errors import BackendUnavailable
from listwatch.loop import Loop
from listwatch.runtime.base import Runtime


@dataclass(frozen=True)
class RuntimeKind:
    """A container runtime the kubelets can run on."""

    name: str
    summary: str
    #: Its containers run in real seconds (a Docker Engine): the cluster's loop must run on the
    #: system clock, and a run waits for its pods in real time. Otherwise the logical clock, and a
    #: run costs no wall-clock time however long its back-offs are.
    real_time: bool
    #: Makes the runtime on a loop; the seed makes a simulated runtime's ids reproducible.
    make: Callable[[Loop, int], Runtime]


def _memory(loop: Loop, seed: int) -> Runtime:
    from listwatch.runtime.memory import MemoryRuntime

    return MemoryRuntime(loop, seed=seed)


def _docker(loop: Loop, seed: int) -> Runtime:
    from listwatch.runtime.docker import DockerRuntime  # the Docker SDK, only when asked for

    return DockerRuntime(loop)


RUNTIMES: Mapping[str, RuntimeKind] = MappingProxyType(
    {
        "memory": RuntimeKind("memory", "simulated containers (the default)", False, _memory),
        "docker": RuntimeKind("docker", "a Docker Engine: real containers", True, _docker),
    }
)


def kind_of(name: str) -> RuntimeKind:
    """The registered runtime called `name` (BackendUnavailable naming those there are)."""
    found = RUNTIMES.get(name)
    if found is None:
        raise BackendUnavailable(
            f"no container runtime named {name!r}; expected one of {', '.join(RUNTIMES)}"
        )
    return found


def runtime_for(name: str, loop: Loop, *, seed: int = 0) -> Runtime:
    """The container runtime called `name`, on `loop`."""
    return kind_of(name).make(loop, seed)
