"""Step definitions for features/preemption.feature and features/disruption.feature: priority
classes, pods of a given priority and size, budgets, evictions."""

from __future__ import annotations

from typing import Any

import yaml
from pytest_bdd import parsers, then, when

from listwatch import errors
from listwatch.apiserver import objects

from .steps import events, source
from .world import World


@when(parsers.re(r"I create this (?P<kind>PriorityClass|PodDisruptionBudget):"))
def create_this(world: World, kind: str, docstring: str) -> None:
    obj = yaml.safe_load(docstring)
    assert obj.get("kind") == kind, obj
    world.backend.apply(obj)


@when(
    parsers.re(
        r'I create a pod "(?P<name>[^"]+)" asking for (?P<cpus>\d+) CPUs'
        r"(?: on the node (?P<node>[\w-]+))?"
        r'(?: with the PriorityClass "(?P<priority_class>[^"]+)")?$'
    )
)
def create_sized_pod(
    world: World, name: str, cpus: str, node: str | None, priority_class: str | None
) -> None:
    container = {
        "name": "app",
        "image": "busybox:1.36",
        "command": ["sleep", "3600"],
        "resources": {"requests": {"cpu": cpus}},
    }
    # sleep as PID 1 ignores SIGTERM: a short grace period lets a preempted pod go at once.
    spec: dict[str, Any] = {"containers": [container], "terminationGracePeriodSeconds": 1}
    if node:
        spec["nodeName"] = node
    if priority_class:
        spec["priorityClassName"] = priority_class
    manifest = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": spec,
    }
    world.created[name] = world.backend.apply(manifest)


@then(parsers.parse('the pod "{name}" has the priority {value:d}'))
def has_priority(world: World, name: str, value: int) -> None:
    assert world.backend.pod(name)["spec"].get("priority") == value


@then(
    parsers.parse('the pod "{victim}" was preempted by the pod "{preemptor}" on the node "{node}"')
)
def preempted_by(world: World, victim: str, preemptor: str, node: str) -> None:
    assert world.wait(lambda: world.pod_or_none(victim) is None), f"the pod {victim} is still there"
    uid = objects.uid_of(world.backend.pod(preemptor))
    wanted = ("Normal", "Preempted", f"Preempted by pod {uid} on node {node}", "default-scheduler")
    found = [
        (e["type"], e["reason"], e["message"], source(e))
        for e in events(world, world.created[victim])
    ]
    assert wanted in found, found


def _budget(world: World, name: str) -> dict[str, Any] | None:
    try:
        return world.backend.get("poddisruptionbudgets", name)
    except errors.NotFound:
        return None


@then(
    parsers.re(
        r'the PodDisruptionBudget "(?P<name>[^"]+)" allows (?P<allowed>\d+) disruptions?, with '
        r"(?P<healthy>\d+) of (?P<expected>\d+) expected pods healthy and (?P<desired>\d+) desired"
    )
)
def budget_allows(
    world: World, name: str, allowed: str, healthy: str, expected: str, desired: str
) -> None:
    wanted = {
        "disruptionsAllowed": int(allowed),
        "currentHealthy": int(healthy),
        "expectedPods": int(expected),
        "desiredHealthy": int(desired),
    }

    def status() -> dict[str, Any]:
        budget = _budget(world, name) or {}
        return {k: (budget.get("status") or {}).get(k) for k in wanted}

    assert world.wait(lambda: status() == wanted), status()
    budget = _budget(world, name) or {}
    condition = objects.condition(budget, "DisruptionAllowed") or {}
    reason = "SufficientPods" if int(allowed) > 0 else "InsufficientPods"
    assert (condition.get("status"), condition.get("reason")) == (
        "True" if int(allowed) > 0 else "False",
        reason,
    ), condition
    assert budget["status"].get("observedGeneration") == objects.meta(budget).get("generation")


def _one_pod_of(world: World, controller: str) -> str:
    names = sorted(objects.name_of(p) for p in world.owned_pods(controller))
    assert names, f"the replication controller {controller} has no pods"
    return names[0]


@when(parsers.parse('I evict one pod of the replication controller "{name}"'))
def evict_one(world: World, name: str) -> None:
    world.deleted = _one_pod_of(world, name)
    world.backend.evict(world.deleted)


@when(parsers.parse('I try to evict one pod of the replication controller "{name}"'))
def try_evict_one(world: World, name: str) -> None:
    world.refusal = None
    try:
        world.backend.evict(_one_pod_of(world, name))
    except errors.APIError as exc:
        world.refusal = exc


@then("the evicted pod no longer exists")
def evicted_gone(world: World) -> None:
    assert world.wait(lambda: world.pod_or_none(world.deleted) is None), world.deleted


@when(parsers.parse('I delete the PodDisruptionBudget "{name}"'))
def delete_budget(world: World, name: str) -> None:
    world.backend.delete("poddisruptionbudgets", name)


@then(parsers.parse('the PodDisruptionBudget "{name}" no longer exists'))
def budget_gone(world: World, name: str) -> None:
    assert world.wait(lambda: _budget(world, name) is None)
