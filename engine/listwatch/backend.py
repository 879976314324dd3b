"""What a backend can do beyond the `Backend` protocol, declared, so that a scenario needing more is skipped.

Every backend creates, labels, scales, deletes and reads objects, and waits for the cluster to get
somewhere. Some things only a simulator can do, because it *is* the control plane: report the flow's
internal steps, reach into a component's own watches, compact the API server's history on demand,
stop or restart a kubelet. A backend
declares the capabilities it has (`Capable.capabilities`); a step that needs one it lacks asks
`missing(...)` for the reason it cannot run there, and skips with it.

The in-process backends (memory, docker) have them all (`SIMULATOR`). The cluster backend, which
talks to an API, has none of them on a real cluster (`API_ONLY`): it asserts what a client can
observe instead. Against `listwatch serve` it finds the served cluster's control API (GET
/listwatch/v1, a 404 on a real cluster) and has what that API offers (`SERVED`): a test cluster's
out-of-band control, as `docker stop` is kind's.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

#: Where the features run: the one list of backends (`listwatch conformance --backend`, pytest's
#: `--backend`). memory and docker are the engine's own control plane over a container runtime
#: (`listwatch.runtime`); cluster is any Kubernetes API through a kubeconfig (`listwatch.remote`).
BACKENDS = ("memory", "docker", "cluster")


class Capability(enum.Enum):
    """A thing a backend may be able to do; the value says what, in a user's words."""

    INTERNAL_STEPS = "report the flow's internal steps (etcd writes, watch events passed on, a component's decisions)"
    COMPONENT_WATCHES = (
        "show and cut a component's own List-Watch (which watches are open, a kubelet's re-list)"
    )
    COMPACTION = "compact the API server's history on demand"
    KUBELET_CONTROL = "stop or restart a node's kubelet"


#: Everything: the backends whose control plane is the engine itself.
SIMULATOR: frozenset[Capability] = frozenset(Capability)
#: Nothing beyond the API: a cluster behind a kubeconfig.
API_ONLY: frozenset[Capability] = frozenset()
#: What `listwatch serve`'s control API (/listwatch/v1) offers a client: a component's watches, the
#: history's compaction, its kubelets; not the internal steps, nor a look inside a container.
SERVED: frozenset[Capability] = frozenset(
    {Capability.COMPONENT_WATCHES, Capability.COMPACTION, Capability.KUBELET_CONTROL}
)


class Capable(Protocol):
    """A backend that declares its capabilities."""

    @property
    def capabilities(self) -> frozenset[Capability]: ...


def missing(have: frozenset[Capability], need: Capability, *, backend: str) -> str | None:
    """None when `need` is in `have`; else why a step needing it cannot run on `backend`."""
    if need in have:
        return None
    if need in SERVED:
        return (
            f"the {backend} backend cannot {need.value}: only a simulator (--backend memory or docker) can, "
            "or the cluster backend against listwatch serve (its control API, /listwatch/v1)"
        )
    return f"the {backend} backend cannot {need.value}: only a simulator (--backend memory or docker) can"


@runtime_checkable
class Backend(Protocol):
    """What conformance scenarios and the CLI do to a cluster, whatever runs it.

    The in-memory cluster implements it (`listwatch.cluster.Cluster`, over the memory runtime or
    a Docker Engine); a real cluster behind a kubeconfig implements it with a Kubernetes client.
    Objects go in and come out as Kubernetes JSON; waiting is `settle`, never a sleep.
    """

    def start(self) -> None: ...

    def apply(self, obj: dict[str, Any], *, actor: str = "kubectl") -> dict[str, Any]: ...

    def delete(
        self,
        kind: str,
        name: str,
        *,
        namespace: str = "default",
        grace_period_seconds: int | None = None,
    ) -> dict[str, Any]: ...

    def label_node(
        self, node: str, key: str, value: str | None, *, overwrite: bool = False
    ) -> dict[str, Any]: ...

    def scale(
        self, kind: str, name: str, replicas: int, *, namespace: str = "default"
    ) -> dict[str, Any]: ...

    def set_image(
        self, pod: str, container: str, image: str, *, namespace: str = "default"
    ) -> dict[str, Any]: ...

    def pods(self, namespace: str | None = None) -> list[dict[str, Any]]: ...

    def pod(self, name: str, namespace: str = "default") -> dict[str, Any]: ...

    def events_for(self, obj: Mapping[str, Any]) -> list[dict[str, Any]]: ...

    def logs(
        self,
        pod: str,
        *,
        namespace: str = "default",
        container: str | None = None,
        tail: int | None = None,
        previous: bool = False,
    ) -> str: ...

    def settle(self, *, horizon: float = ..., until: Callable[[], bool] | None = None) -> bool: ...

    def close(self) -> None: ...
