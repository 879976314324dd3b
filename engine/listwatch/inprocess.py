"""The in-process backends: the engine's own control plane (`cluster.Cluster`) as a `Backend`.

A thin adapter: objects go to the cluster's API server as a client's requests would; waiting is
the cluster's loop (`settle`, under the logical clock on the memory runtime: no real time passes);
out-of-band control is `control.Control`; the troubleshooting facts are `clusterfacts`. It has
every capability (`backend.SIMULATOR`): it runs the flow itself, so it reports the flow's internal
steps (a `FlowTracker` on the cluster's actions) and records no watch streams (`report` is None).

Made before `start` so that a runtime that cannot run here (no Docker Engine) shows before the
scenario does; `start` builds and starts the cluster on the scenario's nodes.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from listwatch import backend, errors
from listwatch.backend import Compaction, InformerStates, Obj, Objs, OpenWatches
from listwatch.checker import Report
from listwatch.cluster import DEFAULT_HORIZON, Cluster
from listwatch.clusterfacts import ClusterSource
from listwatch.control import Control
from listwatch.engine import Engine
from listwatch.flow import FlowTracker, StepEvent
from listwatch.loop import Loop
from listwatch.runtime.base import Runtime
from listwatch.troubleshoot.facts import Source

#: The step of the flow in which a component opens its watch.
WATCH_STEP = "LW-01"


class InProcess:
    """A `Backend` over an in-process `Cluster` and its `Control` (see the module docstring).

    `loop` and `runtime` go together (a runtime made for a loop, as Docker's: its clock is then
    the loop's); without them the cluster makes its own memory runtime under a logical clock.
    The backend owns both: `close` closes them.
    """

    def __init__(
        self, engine: Engine, *, loop: Loop | None = None, runtime: Runtime | None = None
    ) -> None:
        self.engine = engine
        self._loop = loop
        self._runtime = runtime
        self._cluster: Cluster | None = None
        self._control: Control | None = None
        self._steps: dict[str, list[str]] = {}
        self._watchers: set[str] = set()
        self._changed: dict[str, str] = {}

    @classmethod
    def on(cls, engine: Engine, runtime: Callable[[Loop], Runtime], loop: Loop) -> InProcess:
        """An in-process backend over the runtime `runtime(loop)` makes; the loop is closed if the
        runtime cannot be made (`BackendUnavailable`, raised on)."""
        try:
            made = runtime(loop)
        except BaseException:
            loop.close()
            raise
        return cls(engine, loop=loop, runtime=made)

    @property
    def capabilities(self) -> frozenset[backend.Capability]:
        return backend.SIMULATOR

    @property
    def cluster(self) -> Cluster:
        """The in-process cluster, once started."""
        if self._cluster is None:
            raise _not_started()
        return self._cluster

    @property
    def control(self) -> Control:
        """The cluster's out-of-band control, once started."""
        if self._control is None:
            raise _not_started()
        return self._control

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self, nodes: Sequence[str]) -> None:
        tracker = FlowTracker(self.engine.spec.flow, self._on_step)
        if self._loop is not None:
            cluster = Cluster(
                self.engine, nodes=nodes, sinks=[tracker], loop=self._loop, runtime=self._runtime
            )
        else:
            cluster = Cluster(self.engine, nodes=nodes, sinks=[tracker])
        self._cluster = cluster
        cluster.start()
        self._control = Control(cluster)

    def close(self) -> None:
        """Stop the cluster (its runtime removes its containers), then end the loop's workers."""
        if self._cluster is not None:
            self._cluster.close()
        elif self._runtime is not None:
            self._runtime.close()
        if self._loop is not None:
            self._loop.close()

    def _on_step(self, event: StepEvent) -> None:
        if event.step.id == WATCH_STEP:
            self._watchers.add(event.action.actor)
        elif event.action.obj is not None:
            self._steps.setdefault(event.action.obj.name, []).append(event.step.id)

    # -- objects -----------------------------------------------------------------------------------

    def apply(self, obj: Obj, *, actor: str = "kubectl") -> Obj:
        created = self.cluster.apply(obj, actor=actor)
        self._remember(str(created.get("kind", "")), created)
        return created

    def get(self, kind: str, name: str, *, namespace: str = "default") -> Obj:
        return self.cluster.api.get(kind, name, namespace=namespace)

    def list(self, kind: str, *, namespace: str | None = "default") -> Objs:
        return self.cluster.api.list(kind, namespace=namespace).items

    def list_at(self, kind: str, *, namespace: str = "default") -> tuple[Objs, str]:
        found = self.cluster.api.list(kind, namespace=namespace)
        return found.items, found.resource_version

    def delete(
        self,
        kind: str,
        name: str,
        *,
        namespace: str = "default",
        grace_period_seconds: int | None = None,
        propagation: str = "Background",
    ) -> Obj:
        return self.cluster.delete(
            kind,
            name,
            namespace=namespace,
            grace_period_seconds=grace_period_seconds,
            propagation=propagation,
        )

    def evict(self, pod: str, *, namespace: str = "default") -> None:
        self.cluster.evict(pod, namespace=namespace)

    def label_node(self, node: str, key: str, value: str | None, *, overwrite: bool = False) -> Obj:
        return self.cluster.label_node(node, key, value, overwrite=overwrite)

    def scale(self, kind: str, name: str, replicas: int, *, namespace: str = "default") -> Obj:
        scaled = self.cluster.scale(kind, name, replicas, namespace=namespace)
        self._remember(kind, scaled)
        return scaled

    def set_image(self, pod: str, container: str, image: str, *, namespace: str = "default") -> Obj:
        return self.cluster.set_image(pod, container, image, namespace=namespace)

    def patch(self, resource: str, name: str, patch: Obj, *, namespace: str = "default") -> Obj:
        return self.cluster.patch(resource, name, patch, namespace=namespace)

    def pods(self, namespace: str | None = None) -> Objs:
        return self.cluster.pods(namespace)

    def pod(self, name: str, namespace: str = "default") -> Obj:
        return self.cluster.pod(name, namespace)

    def events_for(self, obj: Mapping[str, Any]) -> Objs:
        return self.cluster.events_for(obj)

    def logs(
        self,
        pod: str,
        *,
        namespace: str = "default",
        container: str | None = None,
        tail: int | None = None,
        previous: bool = False,
    ) -> str:
        return self.cluster.logs(
            pod, namespace=namespace, container=container, tail=tail, previous=previous
        )

    def changed_at(self, kind: str, name: str) -> str:
        return self._changed.get(f"{self.cluster.api.resource(kind).kind}/{name}", "")

    def _remember(self, kind: str, obj: Obj) -> None:
        meta = obj.get("metadata") or {}
        key = f"{self.cluster.api.resource(kind).kind}/{meta.get('name', '')}"
        self._changed[key] = str(meta.get("resourceVersion", ""))

    # -- waiting and watching ----------------------------------------------------------------------

    def settle(
        self, *, horizon: float = DEFAULT_HORIZON, until: Callable[[], bool] | None = None
    ) -> bool:
        return self.cluster.settle(horizon=horizon, until=until)

    def advance(self, seconds: float) -> None:
        self.cluster.advance(seconds)

    @contextlib.contextmanager
    def watching(
        self, kind: str, *, resource_version: str, seconds: float = 10.0
    ) -> Iterator[Iterator[Obj]]:
        """The API server's watch (see `backend.Watching`); iterating runs the cluster's loop until
        the next event arrives, the loop has nothing left to do, or `seconds` of its clock pass."""
        cluster = self.cluster
        received: deque[Obj] = deque()
        watch = cluster.api.watch(
            kind,
            lambda e: received.append({"type": e.type, "object": e.object}),
            namespace="default",
            resource_version=resource_version,
        )
        deadline = cluster.clock.now() + seconds

        def events() -> Iterator[Obj]:
            while True:
                if received:
                    yield received.popleft()
                    continue
                left = deadline - cluster.clock.now()
                if left <= 0 or not cluster.settle(until=lambda: bool(received), horizon=left):
                    return

        try:
            yield events()
        finally:
            watch.stop()

    # -- out of band -------------------------------------------------------------------------------

    def watches(self, *, actor: str = "") -> OpenWatches:
        return self.control.watches(actor=actor)

    def informers(self, *, actor: str = "") -> InformerStates:
        return self.control.informers(actor=actor)

    def cut(self, actor: str, *, resource: str = "", reconnect: bool = True) -> OpenWatches:
        return self.control.cut(actor, resource=resource, reconnect=reconnect)

    def reconnect(self, actor: str, *, resource: str = "") -> InformerStates:
        return self.control.reconnect(actor, resource=resource)

    def compact(self) -> Compaction:
        return self.control.compact()

    def stop_kubelet(self, node: str) -> None:
        self.control.stop_kubelet(node)

    def restart_kubelet(self, node: str) -> None:
        self.control.restart_kubelet(node)

    # -- what was seen -----------------------------------------------------------------------------

    def report(self) -> Report | None:
        return None

    def steps_of(self, name: str) -> tuple[str, ...]:
        return tuple(self._steps.get(name, ()))

    def watchers(self) -> frozenset[str]:
        return frozenset(self._watchers)

    def facts(self) -> Source:
        return ClusterSource(self.cluster)


def _not_started() -> errors.BackendUnavailable:
    return errors.BackendUnavailable(
        "the in-process cluster has not been started (start() makes it on the scenario's nodes)"
    )
