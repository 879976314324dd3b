"""The controller manager's disruption controller: each PodDisruptionBudget's status.

It owns the spec's `disruption` machine: each budget (a `Budget`) runs it. A sync counts, as
v1.32's DisruptionController.trySync does:
- the pods the budget selects in its namespace (none: a `NoPods` Event);
- expectedPods and desiredHealthy: with an integer minAvailable, the pods found and minAvailable;
  with a percentage, or with maxUnavailable, the replicas of the controllers (ReplicationController,
  ReplicaSet) owning those pods, and the percentage of them rounded up (desiredHealthy =
  expected - maxUnavailable, at least 0). Pods with no controller are left out of that count;
- currentHealthy: the Ready pods that are not terminating and not just evicted (an eviction names
  the pod in status.disruptedPods; it stays out of the count for two minutes, or until it is
  terminating, after which the entry is dropped);
- disruptionsAllowed = currentHealthy - desiredHealthy, 0 when negative or when no pod is
  expected; the DisruptionAllowed condition (SufficientPods / InsufficientPods) says whether it
  is above 0; observedGeneration is the budget's generation.
The status is written only when it changed. A sync follows every change of a budget and of a pod
it selects (before or after the change).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from listwatch import errors
from listwatch.apiserver import objects
from listwatch.apiserver.api import APIServer
from listwatch.apiserver.eviction import allowed_condition
from listwatch.apiserver.kinds import poddisruptionbudgets as pdbs
from listwatch.apiserver.objects import Obj
from listwatch.client.informer import InformerEvent
from listwatch.clock import parse_rfc3339
from listwatch.components.events import EventRecorder
from listwatch.loop import Loop
from listwatch.machines.building import Machine
from listwatch.machines.callbacks import action, guard

_RESOURCE_OF = {"ReplicationController": "replicationcontrollers", "ReplicaSet": "replicasets"}


class Budget:
    """A PodDisruptionBudget under watch; `disruption` is its state in the spec machine."""

    __slots__ = ("disruption", "key", "obj", "queued", "status")

    def __init__(self, obj: Obj) -> None:
        self.obj = obj
        self.key = f"{objects.namespace_of(obj)}/{objects.name_of(obj)}"
        self.disruption = ""
        self.queued = False
        #: The status the last sync computed (without its condition), for `update_budget_status`.
        self.status: dict[str, Any] = {}


def _ready(pod: Mapping[str, Any]) -> bool:
    return (objects.condition(pod, "Ready") or {}).get("status") == "True"


def _parse(stamp: str) -> datetime | None:
    try:
        return parse_rfc3339(stamp)
    except (ValueError, TypeError):
        return None


class Disruption:
    """Keeps the status of every PodDisruptionBudget."""

    def __init__(
        self,
        *,
        api: APIServer,
        loop: Loop,
        actor: str,
        settings: Mapping[str, Any],
        machine: Machine,
        recorders: Mapping[str, EventRecorder],
        pods: Callable[[], Iterable[Obj]],
    ) -> None:
        self.api = api
        self.loop = loop
        self.actor = actor
        self.machine = machine
        self.recorder = recorders["PodDisruptionBudget"]
        #: Every pod, as the controller manager's pod watch shows them.
        self.pods = pods
        #: How long an evicted pod named in status.disruptedPods stays out of currentHealthy.
        self.deletion_timeout = float(settings["disruptedPodTimeoutSeconds"])
        self.budgets: dict[str, Budget] = {}

    # -- events from the controller manager's watches ----------------------------------------------

    def budget_changed(self, event: InformerEvent) -> None:
        obj = event.object
        key = f"{objects.namespace_of(obj)}/{objects.name_of(obj)}"
        budget = self.budgets.get(key)
        if budget is None:
            budget = self.budgets[key] = Budget(obj)
            self.machine.start(budget)
        budget.obj = obj
        self._enqueue(budget)

    def budget_deleted(self, event: InformerEvent) -> None:
        obj = event.object
        budget = self.budgets.pop(f"{objects.namespace_of(obj)}/{objects.name_of(obj)}", None)
        if budget is not None:
            self.machine.fire(self, budget, "delete")

    def pod_changed(self, event: InformerEvent) -> None:
        """A pod added, changed or deleted: the budgets that select it, before or after, sync."""
        if not self.budgets:
            return
        for budget in self.budgets.values():
            if pdbs.covers(budget.obj, event.object) or (
                event.old is not None and pdbs.covers(budget.obj, event.old)
            ):
                self._enqueue(budget)

    def _enqueue(self, budget: Budget) -> None:
        if not budget.queued:
            budget.queued = True
            self.loop.call_soon(self._sync, budget)

    def _sync(self, budget: Budget) -> None:
        budget.queued = False
        if self.budgets.get(budget.key) is budget:
            self.machine.fire(self, budget, "sync")

    # -- the disruption machine's callbacks --------------------------------------------------------

    @guard
    def disruption_allowed(self, budget: Budget) -> bool:
        """Count the budget's pods (see the module docstring); True when a disruption is
        allowed."""
        pdb = budget.obj
        pods = [p for p in self.pods() if pdbs.covers(pdb, p)]
        if not pods:
            self.recorder.record(pdb, "NoPods")
        expected, desired = self._expected(pdb, pods)
        now = self.loop.clock.wall()
        disrupted, recheck = self._disrupted(pdb, pods, now)
        healthy = sum(
            1
            for p in pods
            if not objects.meta(p).get("deletionTimestamp")
            and objects.name_of(p) not in disrupted
            and _ready(p)
        )
        allowed = healthy - desired
        if expected <= 0 or allowed <= 0:
            allowed = 0
        budget.status = {
            "observedGeneration": int(objects.meta(pdb).get("generation", 0)),
            "disruptionsAllowed": allowed,
            "currentHealthy": healthy,
            "desiredHealthy": desired,
            "expectedPods": expected,
        }
        if disrupted:
            budget.status["disruptedPods"] = disrupted
        if recheck is not None:
            self.loop.call_later(
                max(0.0, (recheck - now).total_seconds()), self._enqueue, budget, daemon=True
            )
        return allowed > 0

    def _expected(self, pdb: Obj, pods: list[Obj]) -> tuple[int, int]:
        """(expectedPods, desiredHealthy), as getExpectedPodCount computes them."""
        spec = pdb.get("spec") or {}
        min_available, max_unavailable = spec.get("minAvailable"), spec.get("maxUnavailable")
        if max_unavailable is not None:
            expected = self._expected_scale(pods)
            return expected, max(
                0, expected - pdbs.scaled(max_unavailable, expected, round_up=True)
            )
        if isinstance(min_available, int):
            return len(pods), min_available
        if isinstance(min_available, str):
            expected = self._expected_scale(pods)
            return expected, pdbs.scaled(min_available, expected, round_up=True)
        return 0, 0

    def _expected_scale(self, pods: list[Obj]) -> int:
        """The replicas of the controllers owning the pods, each controller counted once."""
        total = 0
        seen: set[str] = set()
        for pod in pods:
            ref = objects.controller_of(pod)
            if ref is None or ref.get("uid") in seen or ref.get("kind") not in _RESOURCE_OF:
                continue
            seen.add(str(ref.get("uid")))
            try:
                owner = self.api.get(
                    _RESOURCE_OF[ref["kind"]], ref["name"], namespace=objects.namespace_of(pod)
                )
            except errors.NotFound:
                continue
            total += int((owner.get("spec") or {}).get("replicas", 1))
        return total

    def _disrupted(
        self, pdb: Obj, pods: list[Obj], now: datetime
    ) -> tuple[dict[str, str], datetime | None]:
        """The entries of status.disruptedPods still in force, and when the first runs out."""
        listed = (pdb.get("status") or {}).get("disruptedPods") or {}
        kept: dict[str, str] = {}
        recheck: datetime | None = None
        timeout = timedelta(seconds=self.deletion_timeout)
        for pod in pods:
            name = objects.name_of(pod)
            since = _parse(listed.get(name, "")) if name in listed else None
            if since is None or objects.meta(pod).get("deletionTimestamp"):
                continue
            due = since + timeout
            if due >= now:
                kept[name] = listed[name]
                recheck = due if recheck is None or due < recheck else recheck
        return kept, recheck

    @action
    def update_budget_status(self, budget: Budget) -> None:
        """Write the status the sync computed, with its DisruptionAllowed condition, if it
        changed."""
        pdb = budget.obj
        current = pdb.get("status") or {}
        status = dict(budget.status)
        status["conditions"] = allowed_condition(
            current.get("conditions") or [],
            allowed=status["disruptionsAllowed"] > 0,
            generation=status["observedGeneration"],
            now=self.loop.stamps.now(),
        )
        if status == current:
            return
        try:
            budget.obj = self.api.update_status(
                "poddisruptionbudgets", {**pdb, "status": status}, actor=self.actor
            )
        except errors.Conflict:
            self._enqueue(budget)  # the eviction wrote first: count again from what it wrote
        except errors.NotFound:
            pass
