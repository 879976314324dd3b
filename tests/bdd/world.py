"""What a scenario acts on: a backend (any implementation of `Backend`), and what it has seen.

Steps talk to `World`, never to one backend's internals. What only a simulator can show (the
internal steps of the flow, a component's own watches, cutting a watch) is asked of the backend
through `capabilities`; a scenario needing what a backend lacks is skipped, saying why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from listwatch.actions import Action
from listwatch.apiserver import objects
from listwatch.backends import runtime_for
from listwatch.backends.base import Runtime
from listwatch.clock import SystemClock
from listwatch.cluster import Cluster
from listwatch.engine import Engine
from listwatch.flow import FlowTracker, StepEvent
from listwatch.loop import Loop

#: How long a Then step waits for the cluster to get there, in seconds of the cluster's clock:
#: simulated on the memory backend, real on the docker backend.
PATIENCE = 120.0
#: The in-process backends: the engine's own control plane, over a memory runtime (logical clock)
#: or a Docker Engine (real clock: containers run in real time).
IN_PROCESS = ("memory", "docker")
#: Set (to anything) where a run must have a Docker Engine: the docker tests then fail, not skip.
REQUIRE_DOCKER = "LISTWATCH_REQUIRE_DOCKER"


class World:
    """One scenario's cluster and memory of what happened in it.

    On the docker backend the runtime is made with the world, so a missing Docker Engine shows
    (as `BackendUnavailable`) before the scenario starts.
    """

    def __init__(self, engine: Engine, backend_name: str) -> None:
        self.engine = engine
        self.backend_name = backend_name
        self.cluster: Cluster | None = None
        self.steps: dict[str, list[str]] = {}  # by object name
        self.watchers: set[str] = set()
        self.actions: list[Action] = []
        self.deleted = ""
        self.remembered_rv = ""
        self.diagnosis: Any = None  # the last troubleshooting diagnosis
        self._loop: Loop | None = None
        self._runtime: Runtime | None = None
        if backend_name == "docker":
            self._loop = Loop(SystemClock())
            self._runtime = runtime_for("docker", self._loop)

    def start(self, nodes: list[str]) -> None:
        tracker = FlowTracker(self.engine.spec.flow, self._on_step)
        sinks = [tracker, self.actions.append]
        if self._loop is not None:
            self.cluster = Cluster(self.engine, nodes=nodes, sinks=sinks, loop=self._loop, runtime=self._runtime)
        else:
            self.cluster = Cluster(self.engine, nodes=nodes, sinks=sinks)
        self.cluster.start()

    def _on_step(self, event: StepEvent) -> None:
        if event.step.id == "LW-01":
            self.watchers.add(event.action.actor)
        elif event.action.obj is not None:
            self.steps.setdefault(event.action.obj.name, []).append(event.step.id)

    @property
    def backend(self) -> Cluster:
        assert self.cluster is not None, "the scenario has no cluster: start with 'Given a cluster with nodes ...'"
        return self.cluster

    def wait(self, condition: Callable[[], bool], *, patience: float = PATIENCE) -> bool:
        """Let the cluster run until `condition` holds (at most `patience` seconds of its clock)."""
        return self.backend.settle(until=condition, horizon=patience)

    def run_for(self, seconds: float) -> None:
        self.backend.advance(seconds)

    def pod_or_none(self, name: str) -> dict[str, Any] | None:
        for pod in self.backend.pods():
            if objects.name_of(pod) == name:
                return pod
        return None

    def owned_pods(self, controller: str) -> list[dict[str, Any]]:
        return [p for p in self.backend.pods() if (objects.controller_of(p) or {}).get("name") == controller]

    def close(self) -> None:
        """Stop the cluster; on docker, remove its containers and end the runtime's worker threads."""
        if self.cluster is not None:
            self.cluster.close()
        elif self._runtime is not None:
            self._runtime.close()
        if self._loop is not None:
            self._loop.close()
