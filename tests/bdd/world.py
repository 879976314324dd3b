"""What a scenario acts on: a backend (any implementation of `Backend`), and what it has seen.

Steps talk to `World` and to `world.backend`, never to one backend's internals: the backend is
made by name from the one registry (`listwatch.backends`) and used through its protocol
(`listwatch.backend.Backend`), whichever it is. What only some backends can do (the internal
steps of the flow, a component's own watches, cutting a watch, compacting, stopping a kubelet)
is a `Capability` the backend declares: a step that needs one calls `require`, and on a backend
without it the scenario is skipped, saying why. The cluster backend has some of them against
`listwatch serve`, through its control API.

Where the internal steps cannot be seen (the cluster backend), `went_through` asserts what a
client can see instead: the checker's verdict over the recorded watch streams, and the
observable steps among those named, in that order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from listwatch import backends, errors
from listwatch.apiserver import objects
from listwatch.apiserver.selectors import parse_field_selector, parse_label_selector
from listwatch.backend import Backend, Capability, missing
from listwatch.checker import Report
from listwatch.checker.lifecycle import event_fields
from listwatch.checker.projection import Projection
from listwatch.engine import Engine

#: How long a Then step waits for the cluster to get there, in seconds of the cluster's clock:
#: simulated on the memory backend, real on the docker and cluster backends.
PATIENCE = 120.0
REQUIRE_DOCKER = backends.REQUIRE_DOCKER
REQUIRE_CLUSTER = backends.REQUIRE_CLUSTER


class World:
    """One scenario's cluster and memory of what happened in it.

    The backend is made with the world, so a backend that cannot run here (no Docker Engine)
    shows (as `BackendUnavailable`) before the scenario starts; a cluster is reached at `start`.
    """

    def __init__(self, engine: Engine, backend_name: str, *, kubeconfig: str | None = None) -> None:
        self.engine = engine
        self.backend_name = backend_name
        self.backend: Backend = backends.make(
            backend_name, engine, backends.Options(kubeconfig=kubeconfig)
        )
        self.nodes: list[str] = []
        self.deleted = ""
        self.remembered_rv = ""
        self.remembered_lists = 0  # how many times a component had listed, when its watch was cut
        self.diagnosis: Any = None  # the last troubleshooting diagnosis
        self.refusal: errors.APIError | None = (
            None  # what the API server answered a refused request
        )
        self.deleted_pod: dict[str, Any] = {}  # the pod as it was when the scenario deleted it
        self.created: dict[str, dict[str, Any]] = {}  # pods the scenario created, by name

    @property
    def capabilities(self) -> frozenset[Capability]:
        """What the backend can do (on the cluster backend, known once started)."""
        return self.backend.capabilities

    def require(self, capability: Capability) -> None:
        """Skip the scenario, saying why, when the backend cannot do what the step needs."""
        reason = missing(self.capabilities, capability, backend=self.backend_name)
        if reason is not None:
            pytest.skip(reason)

    def start(self, nodes: list[str]) -> None:
        self.nodes = list(nodes)
        self.backend.start(nodes)

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
        return [
            p
            for p in self.backend.pods()
            if (objects.controller_of(p) or {}).get("name") == controller
        ]

    def list_pods(self) -> tuple[list[str], str]:
        """The names of the scenario's pods and the resourceVersion the list was read at."""
        items, rv = self.backend.list_at("pods")
        return [objects.name_of(p) for p in items], rv

    def expected_watches(self) -> list[tuple[str, str, str, str]]:
        """(actor, resource, label selector, field selector) of every watch the spec gives the
        controller manager, the scheduler and each node's kubelet, selectors as the API server
        prints them."""
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
        with self.backend.watching(
            "pods", resource_version=resource_version, seconds=patience
        ) as events:
            if during is not None:
                during()
            for event in events:
                received.append(event)
                if until(received):
                    break
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
            seen = list(self.backend.steps_of(name))
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
                f"{name}: the checker saw the observable steps {list(verdict.steps)} (verdict "
                f"{verdict.verdict}), expected {wanted} "
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
            f"{name}: the checker counted {shown}, expected {wanted} (of {expected}; the others "
            "are internal or the pods')" + "".join(f"\n  violation: {p}" for p in problems),
        )

    def _answered(self, projection: Projection, controller: str, step: str) -> bool:
        """Whether the controller wrote the Event that shows `step` after the scenario last changed
        it.

        The checker counts a controller's steps from its Events alone, and takes the Events of one
        controller, reason and second for one reconcile: a scale right after the creation (both
        within a second, as on a real clock) reads as the creation's. The scenario knows when it
        changed the controller (the resourceVersion of its create or scale), so an Event of the
        step's observable sign written after that change shows the step.
        """
        sign = projection.rules[step].event
        since = self.backend.changed_at("replicationcontrollers", controller)
        if sign is None or not since.isdigit():
            return False
        try:
            obj = self.backend.get("replicationcontrollers", controller)
        except errors.NotFound:
            return False
        return any(
            sign.matches(*event_fields(e)) and int(objects.rv_of(e) or 0) > int(since)
            for e in self.backend.events_for(obj)
        )

    def report(self) -> Report | None:
        """The checker's verdict on what the backend recorded (None where nothing is recorded)."""
        return self.backend.report()

    def close(self) -> None:
        """Stop the cluster; on docker, remove its containers and end the runtime's worker threads;
        on a real cluster, delete what the scenario made and restore the node labels."""
        self.backend.close()


def observable_part(
    projection: Projection, expected: list[str], *, shown: tuple[str, ...]
) -> list[str]:
    """The steps of `expected` a client sees on the pod itself: observable ones, less the
    controller's Events (LW-06, RC-01, RC-02: not the pod's) and the creation step of the other
    origin (LW-02 for a pod a controller made, LW-07 for one created directly: the pod shows which
    it was)."""
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
