"""What a scenario acts on: a backend (any implementation of `Backend`), and what it has seen.

Steps talk to `World`, never to one backend's internals. What only a simulator can show (the
internal steps of the flow, a component's own watches, cutting a watch, compacting, stopping a
kubelet) is a `Capability` the backend declares (`listwatch.backends.capabilities`): a step
that needs one calls `require`, and on a backend without it the scenario is skipped, saying why.

Where the internal steps cannot be seen (the cluster backend), `went_through` asserts what a
client can see instead: the checker's verdict over the recorded watch streams, and the
observable steps among those named, in that order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from listwatch import errors
from listwatch.actions import Action
from listwatch.apiserver import objects
from listwatch.backends import runtime_for
from listwatch.backends.base import Runtime
from listwatch.backends.capabilities import SIMULATOR, Capability, missing
from listwatch.backends.remote import RemoteCluster, RemoteSource
from listwatch.checker import Report
from listwatch.checker.lifecycle import event_fields
from listwatch.checker.projection import Projection
from listwatch.clock import SystemClock
from listwatch.cluster import Cluster
from listwatch.engine import Engine
from listwatch.flow import FlowTracker, StepEvent
from listwatch.loop import Loop
from listwatch.troubleshoot.facts import Source
from listwatch.troubleshoot.sources import ClusterSource

#: How long a Then step waits for the cluster to get there, in seconds of the cluster's clock:
#: simulated on the memory backend, real on the docker and cluster backends.
PATIENCE = 120.0
#: The in-process backends: the engine's own control plane, over a memory runtime (logical clock)
#: or a Docker Engine (real clock: containers run in real time).
IN_PROCESS = ("memory", "docker")
#: Set (to anything) where a run must have a Docker Engine: the docker tests then fail, not skip.
REQUIRE_DOCKER = "LISTWATCH_REQUIRE_DOCKER"
#: Set (to anything) where a run must reach its cluster: the cluster backend then fails, not skips.
REQUIRE_CLUSTER = "LISTWATCH_REQUIRE_CLUSTER"


class World:
    """One scenario's cluster and memory of what happened in it.

    On the docker backend the runtime is made with the world, so a missing Docker Engine shows
    (as `BackendUnavailable`) before the scenario starts. On the cluster backend nothing is
    touched before `start`, which makes the scenario's namespace and maps its nodes.
    """

    def __init__(self, engine: Engine, backend_name: str, *, kubeconfig: str | None = None) -> None:
        self.engine = engine
        self.backend_name = backend_name
        self.kubeconfig = kubeconfig
        self.cluster: Cluster | None = None
        self.remote: RemoteCluster | None = None
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

    @property
    def capabilities(self) -> frozenset[Capability]:
        return RemoteCluster.capabilities if self.backend_name == "cluster" else SIMULATOR

    def require(self, capability: Capability) -> None:
        """Skip the scenario, saying why, when the backend cannot do what the step needs."""
        reason = missing(self.capabilities, capability, backend=self.backend_name)
        if reason is not None:
            pytest.skip(reason)

    def start(self, nodes: list[str]) -> None:
        if self.backend_name == "cluster":
            self.remote = RemoteCluster(self.engine.spec, kubeconfig=self.kubeconfig)
            self.remote.start(nodes)
            return
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
    def backend(self) -> Cluster | RemoteCluster:
        found = self.cluster or self.remote
        assert found is not None, "the scenario has no cluster: start with 'Given a cluster with nodes ...'"
        return found

    @property
    def simulator(self) -> Cluster:
        """The in-process cluster, for steps that `require` a simulator's capability first."""
        assert self.cluster is not None, f"the {self.backend_name} backend has no simulator: the step must require its capability"
        return self.cluster

    def wait(self, condition: Callable[[], bool], *, patience: float = PATIENCE) -> bool:
        """Let the cluster run until `condition` holds (at most `patience` seconds of its clock)."""
        return self.backend.settle(until=condition, horizon=patience)

    def run_for(self, seconds: float) -> None:
        self.backend.advance(seconds)

    def get(self, kind: str, name: str) -> dict[str, Any]:
        if self.remote is not None:
            return self.remote.get(kind, name)
        return self.simulator.api.get(kind, name)

    def pod_or_none(self, name: str) -> dict[str, Any] | None:
        for pod in self.backend.pods():
            if objects.name_of(pod) == name:
                return pod
        return None

    def owned_pods(self, controller: str) -> list[dict[str, Any]]:
        return [p for p in self.backend.pods() if (objects.controller_of(p) or {}).get("name") == controller]

    def pod_list_resource_version(self) -> str:
        if self.remote is not None:
            return self.remote.resource_version("pods")
        return self.simulator.api.list("pods").resource_version

    def source(self) -> Source:
        """Where the troubleshooting tree reads its facts."""
        if self.remote is not None:
            return RemoteSource(self.remote)
        return ClusterSource(self.simulator)

    # -- the flow, as far as the backend shows it --------------------------------------------------

    def went_through(self, name: str, expected: list[str]) -> tuple[bool, str]:
        """Whether the object `name` went through `expected` in order, and what it went through.

        With the internal steps (a simulator), the steps recorded for it must contain `expected`
        as a contiguous run. Without them, the checker judges the recorded watch streams: the
        object shows no violation, and it showed each observable step among `expected` that the
        checker can attribute to it (`observable_part`). The order is the checker's to judge (its
        `order` rule follows the flow graph): the order in which it recognised the steps is the
        order their records arrived, and a pod's watch and the Events' watch are two streams with
        no order between them (a Scheduled Event may arrive before the pod's ADDED).
        """
        if Capability.INTERNAL_STEPS in self.capabilities:
            seen = self.steps.get(name, [])
            return _contiguous(expected, seen), f"{name} went through {seen}, expected {expected} in order"
        report = self.report()
        assert report is not None
        projection = Projection(self.engine.spec)
        verdicts = [p for p in report.pods if p.pod.name == name]
        if verdicts:  # a pod: its own observable steps (the last pod of that name)
            verdict = verdicts[-1]
            wanted = observable_part(projection, expected, shown=verdict.steps)
            problems = [v.message for v in verdict.violations]
            ok = not problems and not Counter(wanted) - Counter(verdict.steps)
            return ok, (
                f"{name}: the checker saw the observable steps {list(verdict.steps)} (verdict {verdict.verdict}), expected {wanted} "
                f"(of {expected}; the others are internal)" + "".join(f"\n  violation: {p}" for p in problems)
            )
        # A controller: only its Events show its steps (LW-06, RC-01, RC-02), counted for the run.
        wanted = [s for s in expected if s in projection.rules and not projection.rules[s].becomes and not projection.rules[s].creation]
        counts = report.step_counts
        problems = [v.message for v in report.violations]
        ok = not problems and all(counts.get(s, 0) > 0 or self._answered(projection, name, s) for s in wanted)
        shown = {s: n for s, n in counts.items() if n}
        return (
            ok,
            f"{name}: the checker counted {shown}, expected {wanted} (of {expected}; the others are internal or the pods')"
            + "".join(f"\n  violation: {p}" for p in problems),
        )

    def _answered(self, projection: Projection, controller: str, step: str) -> bool:
        """Whether the controller wrote the Event that shows `step` after the scenario last changed it.

        The checker counts a controller's steps from its Events alone, and takes the Events of one
        controller, reason and second for one reconcile: a scale right after the creation (both
        within a second, as on a real clock) reads as the creation's. The scenario knows when it
        changed the controller (the resourceVersion of its create or scale), so an Event of the
        step's observable sign written after that change shows the step.
        """
        assert self.remote is not None
        sign = projection.rules[step].event
        since = self.remote.changed_at.get(f"ReplicationController/{controller}", "")
        if sign is None or not since.isdigit():
            return False
        try:
            obj = self.remote.get("replicationcontrollers", controller)
        except errors.NotFound:
            return False
        return any(sign.matches(*event_fields(e)) and int(objects.rv_of(e) or 0) > int(since) for e in self.remote.events_for(obj))

    def report(self) -> Report | None:
        """The checker's verdict on what the backend recorded (None where nothing is recorded)."""
        return self.remote.report() if self.remote is not None else None

    def close(self) -> None:
        """Stop the cluster; on docker, remove its containers and end the runtime's worker threads;
        on a real cluster, delete what the scenario made and restore the node labels."""
        if self.remote is not None:
            self.remote.close()
        if self.cluster is not None:
            self.cluster.close()
        elif self._runtime is not None:
            self._runtime.close()
        if self._loop is not None:
            self._loop.close()


def observable_part(projection: Projection, expected: list[str], *, shown: tuple[str, ...]) -> list[str]:
    """The steps of `expected` a client sees on the pod itself: observable ones, less the controller's
    Events (LW-06, RC-01, RC-02: not the pod's) and the creation step of the other origin (LW-02
    for a pod a controller made, LW-07 for one created directly: the pod shows which it was)."""
    rules = projection.rules
    wanted = []
    for step in expected:
        rule = rules.get(step)
        if rule is None or (not rule.becomes and not rule.creation):
            continue
        if rule.creation and step not in shown:
            continue
        wanted.append(step)
    return wanted


def _contiguous(expected: list[str], seen: list[str]) -> bool:
    """Whether `expected` occurs in `seen` as a contiguous run."""
    n = len(expected)
    return any(seen[i : i + n] == expected for i in range(len(seen) - n + 1))
