"""What a scenario acts on: a backend (any implementation of `Backend`), and what it has seen.

Steps talk to `World`, never to one backend's internals. What only a simulator can show (the
internal steps of the flow, a component's own watches, cutting a watch, compacting, stopping a
kubelet) is a `Capability` the backend declares (`listwatch.backend`): a step
that needs one calls `require`, and on a backend without it the scenario is skipped, saying why.
The cluster backend has some of them against `listwatch serve`, through its control API; World's
methods for them (`open_watches`, `cut_watches`, `compact`, `stop_kubelet` ...) do the same thing
on every backend that has them: `listwatch.control` on the in-process cluster, its HTTP API on a
served one.

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
from listwatch.apiserver.selectors import parse_field_selector, parse_label_selector
from listwatch.backend import API_ONLY, SIMULATOR, Capability, missing
from listwatch.checker import Report
from listwatch.checker.lifecycle import event_fields
from listwatch.checker.projection import Projection
from listwatch.clock import SystemClock
from listwatch.cluster import Cluster
from listwatch.clusterfacts import ClusterSource
from listwatch.control import Control, InformerState, OpenWatch
from listwatch.engine import Engine
from listwatch.flow import FlowTracker, StepEvent
from listwatch.loop import Loop
from listwatch.remote.cluster import RemoteCluster
from listwatch.remote.facts import RemoteSource
from listwatch.runtime import runtime_for
from listwatch.runtime.base import Runtime
from listwatch.troubleshoot.facts import Source

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
        self.control: Control | None = None  # the in-process cluster's out-of-band control
        self.nodes: list[str] = []
        self.steps: dict[str, list[str]] = {}  # by object name
        self.watchers: set[str] = set()
        self.actions: list[Action] = []
        self.deleted = ""
        self.remembered_rv = ""
        self.remembered_lists = 0  # how many times a component had listed, when its watch was cut
        self.diagnosis: Any = None  # the last troubleshooting diagnosis
        self._loop: Loop | None = None
        self._runtime: Runtime | None = None
        if backend_name == "docker":
            self._loop = Loop(SystemClock())
            self._runtime = runtime_for("docker", self._loop)

    @property
    def capabilities(self) -> frozenset[Capability]:
        """The simulator's; on the cluster backend, what its cluster offers (known once started)."""
        if self.backend_name != "cluster":
            return SIMULATOR
        return self.remote.capabilities if self.remote is not None else API_ONLY

    def require(self, capability: Capability) -> None:
        """Skip the scenario, saying why, when the backend cannot do what the step needs."""
        reason = missing(self.capabilities, capability, backend=self.backend_name)
        if reason is not None:
            pytest.skip(reason)

    def start(self, nodes: list[str]) -> None:
        self.nodes = list(nodes)
        if self.backend_name == "cluster":
            self.remote = RemoteCluster(self.engine.spec, kubeconfig=self.kubeconfig)
            self.remote.start(nodes)
            return
        tracker = FlowTracker(self.engine.spec.flow, self._on_step)
        sinks = [tracker, self.actions.append]
        if self._loop is not None:
            self.cluster = Cluster(
                self.engine, nodes=nodes, sinks=sinks, loop=self._loop, runtime=self._runtime
            )
        else:
            self.cluster = Cluster(self.engine, nodes=nodes, sinks=sinks)
        self.cluster.start()
        self.control = Control(self.cluster)

    def _on_step(self, event: StepEvent) -> None:
        if event.step.id == "LW-01":
            self.watchers.add(event.action.actor)
        elif event.action.obj is not None:
            self.steps.setdefault(event.action.obj.name, []).append(event.step.id)

    @property
    def backend(self) -> Cluster | RemoteCluster:
        found = self.cluster or self.remote
        assert found is not None, (
            "the scenario has no cluster: start with 'Given a cluster with nodes ...'"
        )
        return found

    def _in_process(self) -> Cluster:
        assert self.cluster is not None, (
            f"the {self.backend_name} backend has no in-process cluster"
        )
        return self.cluster

    def _control(self) -> Control:
        assert self.control is not None, (
            "the scenario has no cluster: start with 'Given a cluster with nodes ...'"
        )
        return self.control

    def wait(self, condition: Callable[[], bool], *, patience: float = PATIENCE) -> bool:
        """Let the cluster run until `condition` holds (at most `patience` seconds of its clock)."""
        return self.backend.settle(until=condition, horizon=patience)

    def run_for(self, seconds: float) -> None:
        self.backend.advance(seconds)

    def get(self, kind: str, name: str) -> dict[str, Any]:
        if self.remote is not None:
            return self.remote.get(kind, name)
        return self._in_process().api.get(kind, name)

    def pod_or_none(self, name: str) -> dict[str, Any] | None:
        for pod in self.backend.pods():
            if objects.name_of(pod) == name:
                return pod
        return None

    def owned_pods(self, controller: str) -> list[dict[str, Any]]:
        return [
            p
            for p in self.backend.pods()
            if (objects.controller_of(p) or {}).get("name") == controller
        ]

    def pod_list_resource_version(self) -> str:
        return self.list_pods()[1]

    def list_pods(self) -> tuple[list[str], str]:
        """The names of the scenario's pods and the resourceVersion the list was read at."""
        if self.remote is not None:
            items, rv = self.remote.list_at("pods")
        else:
            found = self._in_process().api.list("pods")
            items, rv = found.items, found.resource_version
        return [objects.name_of(p) for p in items], rv

    def source(self) -> Source:
        """Where the troubleshooting tree reads its facts."""
        if self.remote is not None:
            return RemoteSource(self.remote)
        return ClusterSource(self._in_process())

    # -- out of band: what a simulator, or listwatch serve's control API, can do -------------------
    # Each step calls `require` with the capability first.

    def open_watches(self) -> list[OpenWatch]:
        """The API server's open watches (actor, resource, selectors, resourceVersion)."""
        return self.remote.watches() if self.remote is not None else self._control().watches()

    def expected_watches(self) -> list[tuple[str, str, str, str]]:
        """(actor, resource, label selector, field selector) of every watch the spec gives the
        controller manager, the scheduler and each node's kubelet, selectors as the API server prints them."""
        found = []
        for component, nodes in (
            ("controller-manager", [""]),
            ("scheduler", [""]),
            ("kubelet", self.nodes),
        ):
            for node in nodes:
                actor = f"{component}/{node}" if node else component
                for watch in self.engine.spec.component(component).watches:
                    labels = str(parse_label_selector(watch.label_selector.replace("{node}", node)))
                    fields = str(parse_field_selector(watch.field_selector.replace("{node}", node)))
                    found.append((actor, watch.resource, labels, fields))
        return found

    def informers(self, actor: str) -> list[InformerState]:
        """The List-Watches of one of the cluster's components (`scheduler`, `kubelet/node01` ...)."""
        return (
            self.remote.informers(actor=actor)
            if self.remote is not None
            else self._control().informers(actor=actor)
        )

    def cut_watches(self, actor: str, *, resource: str = "", reconnect: bool = True) -> None:
        if self.remote is not None:
            self.remote.cut_watches(actor, resource=resource, reconnect=reconnect)
        else:
            self._control().cut(actor, resource=resource, reconnect=reconnect)

    def reconnect(self, actor: str, *, resource: str = "") -> None:
        if self.remote is not None:
            self.remote.reconnect(actor, resource=resource)
        else:
            self._control().reconnect(actor, resource=resource)

    def compact(self) -> None:
        """The API server compacts its history to the current revision."""
        if self.remote is not None:
            self.remote.compact()
        else:
            self._control().compact()

    def stop_kubelet(self, node: str) -> None:
        if self.remote is not None:
            self.remote.stop_kubelet(node)
        else:
            self._control().stop_kubelet(node)

    def watch_pods(
        self,
        resource_version: str,
        *,
        until: Callable[[list[dict[str, Any]]], bool],
        during: Callable[[], object] | None = None,
        patience: float = 10.0,
    ) -> list[dict[str, Any]]:
        """Watch the scenario's pods from `resource_version`, do `during`, and return the events
        ({"type", "object"}) once `until` holds for them (or after `patience` seconds)."""
        received: list[dict[str, Any]] = []
        if self.remote is not None:
            with self.remote.watching(
                "pods", resource_version=resource_version, seconds=max(1, int(patience))
            ) as events:
                if during is not None:
                    during()
                for event in events:
                    received.append(event)
                    if until(received):
                        break
            return received
        api = self._in_process().api
        watch = api.watch(
            "pods",
            lambda e: received.append({"type": e.type, "object": e.object}),
            resource_version=resource_version,
        )
        try:
            if during is not None:
                during()
            self.wait(lambda: until(received), patience=patience)
        finally:
            watch.stop()
        return received

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
            return _contiguous(
                expected, seen
            ), f"{name} went through {seen}, expected {expected} in order"
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
                f"(of {expected}; the others are internal)"
                + "".join(f"\n  violation: {p}" for p in problems)
            )
        # A controller: only its Events show its steps (LW-06, RC-01, RC-02), counted for the run.
        wanted = [
            s
            for s in expected
            if s in projection.rules
            and not projection.rules[s].becomes
            and not projection.rules[s].creation
        ]
        counts = report.step_counts
        problems = [v.message for v in report.violations]
        ok = not problems and all(
            counts.get(s, 0) > 0 or self._answered(projection, name, s) for s in wanted
        )
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
        return any(
            sign.matches(*event_fields(e)) and int(objects.rv_of(e) or 0) > int(since)
            for e in self.remote.events_for(obj)
        )

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


def observable_part(
    projection: Projection, expected: list[str], *, shown: tuple[str, ...]
) -> list[str]:
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
