"""The features' seam: what a scenario does to a cluster, whatever runs it, as small Protocols.

A backend is composed of facets, each a Protocol of its own, so that a consumer can declare the
narrow one it uses (client-go style: `Lister` + `Watcher` = `ListerWatcher`):

- `Lifecycle`: start on the scenario's nodes, close (leaving nothing behind), and the
  `capabilities` it declares;
- `Objects`: what a user does and reads (create, get, list, list at a resourceVersion, delete,
  label, scale, set an image, a pod's Events, its logs), objects in and out as Kubernetes JSON;
- `Waiting`: `settle` until a condition holds, `advance` the cluster's clock; never a sleep in a
  step;
- `Watching`: a watch from a resourceVersion, its events as a watch stream carries them;
- `Controlling`: the out-of-band control a test harness has over a test cluster (a component's
  watches and List-Watches, cutting and reconnecting them, compacting the history, stopping and
  restarting a kubelet); its results are the bodies of `listwatch serve`'s control API
  (`OpenWatch`, `InformerState`, `Compaction`, `KubeletState`);
- `Reporting`: the checker's verdict on what the backend recorded, and the internal steps of the
  flow where the backend runs the flow itself;
- `Facts`: where the troubleshooting tree reads its facts.

`Backend` is all of them. The in-process backends implement it with the engine's own control
plane (`listwatch.inprocess`, over the memory runtime or a Docker Engine); the cluster backend
with a Kubernetes client (`listwatch.remote.cluster`). `listwatch.backends` is the one registry
of them, by name.

What a backend can do beyond the API is declared, so that a scenario needing more is skipped.
Some things only a simulator can do, because it *is* the control plane: report the flow's
internal steps, reach into a component's own watches, compact the API server's history on
demand, stop or restart a kubelet. A backend declares the capabilities it has
(`Lifecycle.capabilities`); a step that needs one it lacks asks `missing(...)` for the reason it
cannot run there, and skips with it. A facet method whose capability the backend lacks raises
`errors.BackendUnavailable`, saying why.

The in-process backends have them all (`SIMULATOR`). The cluster backend, which talks to an API,
has none of them on a real cluster (`API_ONLY`): it asserts what a client can observe instead.
Against `listwatch serve` it finds the served cluster's control API (GET /listwatch/v1, a 404 on a
real cluster) and has what that API offers (`SERVED`): a test cluster's out-of-band control, as
`docker stop` is kind's.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol, TypedDict, runtime_checkable

from listwatch.checker import Report
from listwatch.troubleshoot.facts import Source

Obj = dict[str, Any]
#: A list of objects (a name of its own: `list` is also a method of `Objects`).
Objs = list[Obj]


class Capability(enum.Enum):
    """A thing a backend may be able to do; the value says what, in a user's words."""

    INTERNAL_STEPS = (
        "report the flow's internal steps (etcd writes, watch events passed on, a "
        "component's decisions)"
    )
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


def missing(have: frozenset[Capability], need: Capability, *, backend: str) -> str | None:
    """None when `need` is in `have`; else why a step needing it cannot run on `backend`."""
    if need in have:
        return None
    if need in SERVED:
        return (
            f"the {backend} backend cannot {need.value}: only a simulator (--backend memory or "
            "docker) can, "
            "or the cluster backend against listwatch serve (its control API, /listwatch/v1)"
        )
    return (
        f"the {backend} backend cannot {need.value}: only a simulator (--backend memory or "
        "docker) can"
    )


# -- the control API's bodies ----------------------------------------------------------------------


class OpenWatch(TypedDict):
    """A watch the API server has open."""

    actor: str  # who watches: a component (`scheduler`, `kubelet/node01`) or a client's program
    resource: str
    namespace: str  # "" for every namespace
    labelSelector: str
    fieldSelector: str
    resourceVersion: str  # where the watch started ("" or "0": from the current state)


class InformerState(TypedDict):
    """One List-Watch of one of listwatch's own components."""

    actor: str
    watch: str  # the watch's id in the spec (`pods`, `unscheduled-pods`, ...)
    resource: str
    labelSelector: str
    fieldSelector: str
    state: str  # the spec's list-watch machine: Stopped, Listing or Watching
    lists: int  # how many times it has listed (1 after its start; one more per re-list)
    resourceVersion: str  # the last one it saw
    connected: bool  # whether its watch is open in the API server
    held: bool  # cut with reconnect=False, waiting for `reconnect`


class Compaction(TypedDict):
    kind: str
    apiVersion: str
    revision: int  # the history up to and including this revision is gone
    currentRevision: int


#: Lists of them (names of their own: `list` is also a method of `Objects`).
OpenWatches = list[OpenWatch]
InformerStates = list[InformerState]


class KubeletState(TypedDict):
    kind: str
    apiVersion: str
    node: str
    state: str  # Running or Stopped


# -- the facets ------------------------------------------------------------------------------------


class Capable(Protocol):
    """A backend that declares its capabilities."""

    @property
    def capabilities(self) -> frozenset[Capability]: ...


class Lifecycle(Capable, Protocol):
    """Made (cheaply: nothing is touched before `start`), started once, closed once.

    Making one may raise `BackendUnavailable` (no Docker Engine); so may `start` (no API to
    reach). `close` undoes what the backend did: its containers removed, or, on a real cluster,
    what it created deleted and node labels put back. `capabilities` are final once started.
    """

    def start(self, nodes: Sequence[str]) -> None: ...

    def close(self) -> None: ...


class Objects(Protocol):
    """What a user does and reads. Names are the features' (`default`, `node01`): a backend that
    works elsewhere (its own namespace, a cluster's node names) maps them both ways."""

    def apply(self, obj: Obj, *, actor: str = "kubectl") -> Obj:
        """kubectl create: the object as stored."""
        ...

    def get(self, kind: str, name: str, *, namespace: str = "default") -> Obj:
        """kubectl get KIND NAME; `errors.NotFound` when there is none."""
        ...

    def list(self, kind: str, *, namespace: str | None = "default") -> Objs:
        """kubectl get KIND (`namespace` None: every namespace the backend shows)."""
        ...

    def list_at(self, kind: str, *, namespace: str = "default") -> tuple[Objs, str]:
        """The objects of `kind`, and the resourceVersion the list was read at (to watch from)."""
        ...

    def delete(
        self,
        kind: str,
        name: str,
        *,
        namespace: str = "default",
        grace_period_seconds: int | None = None,
        propagation: str = "Background",
    ) -> Obj:
        """kubectl delete KIND NAME [--grace-period N] [--cascade=background|foreground|orphan]:
        `propagation` is the propagationPolicy sent (kubectl's default, Background)."""
        ...

    def evict(self, pod: str, *, namespace: str = "default") -> None:
        """POST pods/POD/eviction (what kubectl drain sends); the API server's refusal (429 when
        a PodDisruptionBudget does not allow it) as an APIError."""
        ...

    def label_node(self, node: str, key: str, value: str | None, *, overwrite: bool = False) -> Obj:
        """kubectl label nodes NODE KEY=VALUE (None removes it); a Conflict, as kubectl's, for a
        changed value without `overwrite`."""
        ...

    def scale(self, kind: str, name: str, replicas: int, *, namespace: str = "default") -> Obj: ...

    def set_image(self, pod: str, container: str, image: str, *, namespace: str = "default") -> Obj:
        """kubectl set image pod/POD CONTAINER=IMAGE."""
        ...

    def patch(self, resource: str, name: str, patch: Obj, *, namespace: str = "default") -> Obj:
        """kubectl patch RESOURCE NAME -p PATCH (a JSON merge patch)."""
        ...

    def pods(self, namespace: str | None = None) -> Objs:
        """The pods the scenario sees (None: the features' `default`, or every namespace)."""
        ...

    def pod(self, name: str, namespace: str = "default") -> Obj: ...

    def events_for(self, obj: Mapping[str, Any]) -> Objs:
        """The Events whose involvedObject is `obj` (by uid)."""
        ...

    def logs(
        self,
        pod: str,
        *,
        namespace: str = "default",
        container: str | None = None,
        tail: int | None = None,
        previous: bool = False,
    ) -> str:
        """kubectl logs, with its errors (a BadRequest naming the container's state)."""
        ...

    def changed_at(self, kind: str, name: str) -> str:
        """The resourceVersion of this backend's last create or scale of the object ("" if none)."""
        ...


class Waiting(Protocol):
    """Letting the cluster get somewhere, in seconds of its clock (simulated under a logical
    one)."""

    def settle(self, *, horizon: float = ..., until: Callable[[], bool] | None = None) -> bool:
        """Run until `until` holds (or, without it, until the cluster is quiet), at most `horizon`
        seconds on; whether it got there."""
        ...

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass."""
        ...


class Watching(Protocol):
    def watching(
        self, kind: str, *, resource_version: str, seconds: float = 10.0
    ) -> AbstractContextManager[Iterator[Obj]]:
        """A watch of `kind` in the features' `default` from `resource_version`, open for at most
        `seconds`: its events ({"type", "object"}) as a watch stream carries them, in order. A
        watch from a compacted resourceVersion yields one ERROR event whose object is the 410
        Gone Status. Iterating lets the cluster run; the iterator ends when the time is up."""
        ...


class Controlling(Protocol):
    """Out-of-band control of a test cluster (`listwatch.control` has the semantics). Actors and
    nodes are the features' names. Each needs a capability (`COMPONENT_WATCHES`, `COMPACTION`,
    `KUBELET_CONTROL`); without it, `BackendUnavailable`."""

    def watches(self, *, actor: str = "") -> OpenWatches: ...

    def informers(self, *, actor: str = "") -> InformerStates: ...

    def cut(self, actor: str, *, resource: str = "", reconnect: bool = True) -> OpenWatches: ...

    def reconnect(self, actor: str, *, resource: str = "") -> InformerStates: ...

    def compact(self) -> Compaction: ...

    def stop_kubelet(self, node: str) -> None:
        """The kubelet of `node` stops (no watches, no heartbeats); stopping a stopped one is no
        change."""
        ...

    def restart_kubelet(self, node: str) -> None:
        """A stopped kubelet starts again (lists, watches, reports); a running one is left alone."""
        ...


class Reporting(Protocol):
    def report(self) -> Report | None:
        """The checker's verdict on the watch streams the backend recorded; None where it records
        none (a simulator: its internal steps say more, `steps_of`)."""
        ...

    def steps_of(self, name: str) -> tuple[str, ...]:
        """The flow's steps (spec IDs, in order) the object `name` went through, internal ones
        included. Needs `INTERNAL_STEPS`."""
        ...

    def watchers(self) -> frozenset[str]:
        """The actors the flow saw open a watch (LW-01). Needs `INTERNAL_STEPS`."""
        ...


class Facts(Protocol):
    def facts(self) -> Source:
        """Where the troubleshooting tree reads a pod's facts, in the features' names."""
        ...


@runtime_checkable
class Backend(Lifecycle, Objects, Waiting, Watching, Controlling, Reporting, Facts, Protocol):
    """Everything the features do to a cluster, whatever runs it (see the module docstring)."""
