"""The backends the features run on, by name: how to make each, and what it can do.

    memory   the engine's control plane over the memory runtime, under a logical clock
    docker   the engine's control plane over a Docker Engine, on the real clock
    cluster  any Kubernetes API through a kubeconfig (a real cluster, or `listwatch serve`)

`BACKENDS` is the one registry: `listwatch conformance --backend`, pytest's `--backend` and the
features' World choose from it, and nothing else names a backend to decide what to do. Each entry
makes a `backend.Backend` (not yet started) and says what it can do at most; a started backend
says what it can do there (`Backend.capabilities`: the cluster backend has `SERVED` against
`listwatch serve`, nothing beyond the API on a real cluster).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from listwatch import backend, errors
from listwatch.backend import Backend
from listwatch.clock import SystemClock
from listwatch.engine import Engine
from listwatch.inprocess import InProcess
from listwatch.loop import Loop
from listwatch.remote.cluster import RemoteCluster
from listwatch.remote.kubeapi import KubeAPI
from listwatch.remote.names import NameMap, choose_nodes
from listwatch.runtime import runtime_for

#: Set (to anything) where a run must have a Docker Engine: the docker tests then fail, not skip.
REQUIRE_DOCKER = "LISTWATCH_REQUIRE_DOCKER"
#: Set (to anything) where a run must reach its cluster: the cluster backend then fails, not skips.
REQUIRE_CLUSTER = "LISTWATCH_REQUIRE_CLUSTER"


@dataclass(frozen=True)
class Options:
    """What a run tells the backend it makes (only the cluster backend reads any)."""

    kubeconfig: str | None = None  # None: $KUBECONFIG's, else ~/.kube/config


@dataclass(frozen=True)
class Registered:
    """One backend: its name, how it is made, and what it can do at most."""

    name: str
    summary: str
    #: Makes the backend, unstarted; raises `BackendUnavailable` where it cannot run (no Docker
    #: Engine). Cheap otherwise: a cluster is reached at `start`.
    make: Callable[[Engine, Options], Backend]
    capabilities: frozenset[backend.Capability]
    #: The environment variable that, when set, turns its absence from a skip into a failure.
    required_by: str = ""
    #: A line for a test run's header (which API, which nodes), given the scenarios' node names.
    header: Callable[[Options, Sequence[str]], str] | None = None


def _docker(engine: Engine, options: Options) -> Backend:
    return InProcess.on(engine, lambda loop: runtime_for("docker", loop), Loop(SystemClock()))


def _cluster_header(options: Options, nodes: Sequence[str]) -> str:
    """Which API, and which of its nodes the scenarios' nodes are (or why it cannot be reached)."""
    try:
        api = KubeAPI(options.kubeconfig)
        try:
            mapping = choose_nodes(list(nodes), api.list("nodes"))
        finally:
            api.close()
    except (errors.BackendUnavailable, errors.APIError) as exc:
        return f"cluster backend: {exc}"
    return (
        f"cluster backend: {api.host}; the features' nodes are {NameMap('', mapping).described()}; "
        "each scenario works in a namespace listwatch-<random> of its own, deleted after it"
    )


#: Where the features run, by name, in the order the options list them.
BACKENDS: Mapping[str, Registered] = MappingProxyType(
    {
        "memory": Registered(
            "memory",
            "the engine's control plane over the memory runtime, under a logical clock",
            lambda engine, options: InProcess(engine),
            backend.SIMULATOR,
        ),
        "docker": Registered(
            "docker",
            "the engine's control plane over a Docker Engine, on the real clock",
            _docker,
            backend.SIMULATOR,
            required_by=REQUIRE_DOCKER,
        ),
        "cluster": Registered(
            "cluster",
            "any Kubernetes API through a kubeconfig (a real cluster, or listwatch serve)",
            lambda engine, options: RemoteCluster(engine.spec, kubeconfig=options.kubeconfig),
            backend.SERVED,
            required_by=REQUIRE_CLUSTER,
            header=_cluster_header,
        ),
    }
)


def make(name: str, engine: Engine, options: Options | None = None) -> Backend:
    """The backend called `name`, unstarted (a KeyError names the backends there are)."""
    found = BACKENDS.get(name)
    if found is None:
        raise KeyError(f"no backend named {name!r}; expected one of {', '.join(BACKENDS)}")
    return found.make(engine, options or Options())
