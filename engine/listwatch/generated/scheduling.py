"""Generated scheduling rounds: a seeded cluster of labelled, tainted and cordoned nodes, and
pods with nodeSelectors, required node affinity, tolerations, resource requests and
schedulerNames, judged by where a scheduler put them.

The same seed always gives the same scenario. Each has traps (`TRAPS`), pods that a scheduler
leaving out one filter or duty cannot get right, and many pods that only some nodes can take, so
a scheduler that ignores a filter, takes another scheduler's pods, binds a pod twice or keeps
quiet about an unschedulable pod fails every round rather than by chance (`chance_of_passing`
measures it for a scheduler that picks nodes at random, with and without the traps).

`judge` needs only the objects at the end of a round, not how they got there: pods are only
added during a round, so room only shrinks, and a pod that found no node when it was tried finds
none at the end either; one that fits a node at the end could have been bound there.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from listwatch.apiserver import objects
from listwatch.checker.lifecycle import event_count
from listwatch.generated.round import Finding, Obj, settle, shown
from listwatch.remote.kubeapi import KubeAPI
from listwatch.rules import affinity, resources, taints

ZONE = "topology.kubernetes.io/zone"
ZONES = ("zone-a", "zone-b", "zone-c")
DISK, DISKS = "disk", ("ssd", "hdd")
SPOT = "listwatch.io/spot"
TEAMS = ("gpu", "batch")
#: The taint a cordoned node carries; a pod tolerating it may still go there (NodeUnschedulable).
UNSCHEDULABLE_TAINT = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}
#: The schedulerName of the pods the validated scheduler must leave alone (when it is not theirs).
OTHER_SCHEDULER = "other-scheduler"
CPUS = ("", "", "250m", "500m", "1", "1500m", "2")
MEMORIES = ("", "", "256Mi", "1Gi", "4Gi")
IMAGE = "nginx:1.15"
#: The steps its findings name (each one the scheduler acts in).
STEPS = frozenset({"LW-10", "US-01"})


@dataclass(frozen=True)
class Scenario:
    """One generated round: the node patches to make first, then the pods to create."""

    seed: int
    namespace: str
    scheduler: str
    #: Each node's merge patch (labels, taints, cordon), by name.
    nodes: dict[str, Obj]
    pods: tuple[Obj, ...]
    #: The names of the traps (`TRAPS`) among the pods.
    traps: tuple[str, ...]


def generate(
    seed: int, nodes: Sequence[str], *, pods: int = 24, scheduler: str = "default-scheduler"
) -> Scenario:
    """The scenario of `seed` over these nodes (at least three): `pods` pods of random shapes,
    most asking for `scheduler`, and the traps (`TRAPS`) among them."""
    if len(nodes) < 3:
        raise ValueError(f"a generated round needs at least 3 nodes, not {len(nodes)}")
    rng = random.Random(seed)
    patches = {name: _node_patch(rng, index) for index, name in enumerate(nodes)}
    other = OTHER_SCHEDULER if scheduler != OTHER_SCHEDULER else "another-scheduler"
    made = [
        _pod(rng, f"gen-{seed}-{i:02d}", scheduler if rng.random() < 0.85 else other)
        for i in range(pods)
    ]
    traps = [_trap(kind, seed, scheduler, other, nodes) for kind in TRAPS]
    for trap in traps:
        made.insert(rng.randrange(len(made) + 1), trap)
    return Scenario(
        seed,
        f"generated-{seed}",
        scheduler,
        patches,
        tuple(made),
        tuple(t["metadata"]["name"] for t in traps),
    )


#: The pods every round has, each of which one kind of wrong scheduler cannot get right: a zone no
#: node is in (NodeAffinity), more CPU than a node has (NodeResourcesFit), only the tainted node
#: (TaintToleration), only the cordoned node (NodeUnschedulable), and another scheduler's pod.
#: Each of the first four fits no node: the scheduler must say so.
TRAPS = ("zone", "cpu", "taint", "cordon", "other")


def _trap(kind: str, seed: int, scheduler: str, other: str, nodes: Sequence[str]) -> Obj:
    container: Obj = {"name": "app", "image": IMAGE}
    spec: Obj = {"schedulerName": other if kind == "other" else scheduler}
    if kind == "zone":
        spec["nodeSelector"] = {ZONE: "zone-nowhere"}
    elif kind == "cpu":
        container["resources"] = {"requests": {"cpu": "64"}}
    elif kind in ("taint", "cordon"):
        only = nodes[TAINTED if kind == "taint" else CORDONED]
        term = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [only]}]}
        spec["affinity"] = {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}
            }
        }
    spec["containers"] = [container]
    name = f"trap-{seed}-{kind}"
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


#: The node that always has a NoSchedule taint, and the one always cordoned (by index); the
#: first node is always open to every pod.
TAINTED, CORDONED = 1, 2


def _node_patch(rng: random.Random, index: int) -> Obj:
    labels: dict[str, str | None] = {ZONE: rng.choice(ZONES), DISK: rng.choice(DISKS)}
    labels[SPOT] = "true" if rng.random() < 0.3 else None
    node_taints = []
    spec: Obj = {}
    if index == TAINTED or (index > CORDONED and rng.random() < 0.35):
        effect = "NoSchedule" if index == TAINTED else rng.choice(("NoSchedule", "NoExecute"))
        node_taints.append({"key": "dedicated", "value": rng.choice(TEAMS), "effect": effect})
    if index == CORDONED or (index > CORDONED and rng.random() < 0.15):
        spec["unschedulable"] = True
        node_taints.append(dict(UNSCHEDULABLE_TAINT))
    spec["taints"] = node_taints or None
    return {"metadata": {"labels": labels}, "spec": spec}


def _pod(rng: random.Random, name: str, scheduler: str) -> Obj:
    spec: Obj = {"schedulerName": scheduler}
    shape = rng.random()
    if shape < 0.3:
        key, values = rng.choice(((ZONE, ZONES), (DISK, DISKS)))
        spec["nodeSelector"] = {key: rng.choice(values)}
    elif shape < 0.55:
        spec["affinity"] = {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": [_expression(rng)]}]
                }
            }
        }
    if rng.random() < 0.3:
        team = rng.choice(TEAMS)
        spec["tolerations"] = [
            rng.choice(
                (
                    {"key": "dedicated", "operator": "Equal", "value": team},
                    {"key": "dedicated", "operator": "Exists"},
                    {"key": "dedicated", "value": team, "effect": "NoSchedule"},
                )
            )
        ]
    requests = {"cpu": rng.choice(CPUS), "memory": rng.choice(MEMORIES)}
    container: Obj = {"name": "app", "image": IMAGE}
    if any(requests.values()):
        container["resources"] = {"requests": {k: v for k, v in requests.items() if v}}
    spec["containers"] = [container]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def _expression(rng: random.Random) -> Obj:
    operator = rng.choice(("In", "NotIn", "Exists", "DoesNotExist"))
    if operator in ("Exists", "DoesNotExist"):
        return {"key": SPOT, "operator": operator}
    return {"key": ZONE, "operator": operator, "values": rng.sample(ZONES, rng.choice((1, 2)))}


# -- running a round -------------------------------------------------------------------------------


@dataclass
class SchedulingRound:
    """A round for a scheduler (`listwatch.generated.round.Round`)."""

    scenario: Scenario
    nodes: Sequence[str]
    placed: int = 0

    @property
    def seed(self) -> int:
        return self.scenario.seed

    def prepare(self, api: KubeAPI) -> None:
        """Label, taint and cordon the nodes and make the round's namespace (before the
        scheduler starts, so that it lists the nodes as the pods will find them)."""
        for name, patch in self.scenario.nodes.items():
            api.patch("nodes", name, patch)
        api.create("namespaces", {"metadata": {"name": self.scenario.namespace}})

    def play(self, api: KubeAPI) -> list[Finding]:
        scenario = self.scenario
        for pod in scenario.pods:
            api.create("pods", pod, namespace=scenario.namespace)
        ours = settle(
            lambda: api.list("pods", namespace=scenario.namespace),
            lambda pods: all(
                _bound(p) or _reported_unschedulable(p)
                for p in pods
                if p["spec"].get("schedulerName") == scenario.scheduler
            ),
        )
        self.placed = sum(1 for p in ours if _bound(p))
        return judge(
            scenario,
            api.list("pods"),
            api.list("nodes"),
            api.list("events", namespace=scenario.namespace),
        )

    def summary(self) -> str:
        mine = sum(
            1 for p in self.scenario.pods if p["spec"]["schedulerName"] == self.scenario.scheduler
        )
        return (
            f"{len(self.scenario.pods)} pods ({mine} for {self.scenario.scheduler}) on "
            f"{len(self.nodes)} nodes: {self.placed} bound"
        )


def round_of(
    seed: int, *, pods: int = 24, nodes: int = 5, scheduler: str = "default-scheduler"
) -> SchedulingRound:
    names = [f"node{i:02d}" for i in range(1, nodes + 1)]
    return SchedulingRound(generate(seed, names, pods=pods, scheduler=scheduler), names)


# -- judging ---------------------------------------------------------------------------------------


def judge(
    scenario: Scenario,
    pods: Iterable[Mapping[str, Any]],
    nodes: Iterable[Mapping[str, Any]],
    events: Iterable[Mapping[str, Any]] = (),
) -> list[Finding]:
    """What the scheduler did wrong with the round's pods, given every pod, node and Event at its
    end (`pods` may hold other namespaces' pods: they take room on the nodes too)."""
    by_node: dict[str, list[Mapping[str, Any]]] = {}
    ours = []
    for pod in pods:
        if _bound(pod) and (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
            by_node.setdefault(pod["spec"]["nodeName"], []).append(pod)
        if pod["metadata"].get("namespace", scenario.namespace) == scenario.namespace:
            ours.append(pod)
    node_objects = {n["metadata"]["name"]: n for n in nodes}
    said = _events_by_pod(events, scenario.namespace)
    findings: list[Finding] = []
    for pod in sorted(ours, key=lambda p: str(p["metadata"]["name"])):
        findings.extend(_judge_pod(scenario, pod, node_objects, by_node, said))
    for name, node in sorted(node_objects.items()):
        findings.extend(_overcommitted(name, node, by_node.get(name, [])))
    return findings


def _judge_pod(
    scenario: Scenario,
    pod: Mapping[str, Any],
    nodes: Mapping[str, Mapping[str, Any]],
    by_node: Mapping[str, list[Mapping[str, Any]]],
    said: Mapping[str, list[Mapping[str, Any]]],
) -> list[Finding]:
    name = f"{scenario.namespace}/{pod['metadata']['name']}"
    wants = pod["spec"].get("schedulerName") or "default-scheduler"
    node = pod["spec"].get("nodeName") or ""
    events = said.get(pod["metadata"]["name"], [])
    if wants != scenario.scheduler:
        if node:
            return [
                Finding(
                    "LW-10",
                    name,
                    f"{name} asks for the scheduler {wants}, yet it was bound to {node}: "
                    f"{scenario.scheduler} took a pod that is not its own",
                )
            ]
        return []
    if node:
        found = []
        refused = refusal(pod, nodes[node]) if node in nodes else None
        if refused:
            found.append(Finding("LW-10", name, f"{name} was bound to {refused}"))
        scheduled = [e for e in events if e.get("reason") == "Scheduled"]
        told = [str(e.get("message") or e.get("note") or "") for e in scheduled]
        times = sum(int(event_count(e)) for e in scheduled)
        if times > 1 or any(not t.endswith(f" {node}") for t in told):
            found.append(
                Finding(
                    "LW-10",
                    name,
                    f"{name} was scheduled {times} times "
                    f"({'; '.join(repr(t) for t in told)}) but is bound once, to {node}",
                )
            )
        return found
    room = [
        n
        for n, obj in sorted(nodes.items())
        if refusal(pod, obj) is None and resources.bind_fit(pod, obj, by_node.get(n, [])) is None
    ]
    if room:
        return [
            Finding(
                "US-01",
                name,
                f"{name} was left unbound although {room[0]} could take it "
                f"({len(room)} node(s) had room for it)",
            )
        ]
    missing = []
    if not _reported_unschedulable(pod):
        missing.append("no PodScheduled=False condition with reason Unschedulable")
    if not any(e.get("reason") == "FailedScheduling" for e in events):
        missing.append("no FailedScheduling Event")
    if missing:
        return [
            Finding(
                "US-01",
                name,
                f"{name} fits no node, but the scheduler never said so: {' and '.join(missing)}",
            )
        ]
    return []


def refusal(pod: Mapping[str, Any], node: Mapping[str, Any]) -> str | None:
    """Why the scheduler's filters (NodeUnschedulable, TaintToleration, NodeAffinity; not room)
    refuse the node for the pod, as "NODE, which ...", or None."""
    spec, name = pod.get("spec") or {}, node["metadata"]["name"]
    tolerations = spec.get("tolerations") or ()
    node_spec = node.get("spec") or {}
    if node_spec.get("unschedulable") and not taints.tolerates(tolerations, UNSCHEDULABLE_TAINT):
        return f"{name}, which is cordoned (spec.unschedulable)"
    taint = taints.first_untolerated(node_spec.get("taints") or (), tolerations)
    if taint is not None:
        text = f"{taint.get('key')}={taint.get('value') or ''}:{taint.get('effect')}"
        return f"{name}, whose taint {text} it does not tolerate"
    if not affinity.fits_node(pod, node):
        labels = (node.get("metadata") or {}).get("labels") or {}
        wanted = spec.get("nodeSelector") or (spec.get("affinity") or {}).get("nodeAffinity")
        shown = {k: labels[k] for k in (ZONE, DISK, SPOT) if k in labels}
        return f"{name}, whose labels {shown} do not match its node constraints {wanted}"
    return None


def _overcommitted(
    name: str, node: Mapping[str, Any], bound: list[Mapping[str, Any]]
) -> list[Finding]:
    capacity = resources.allocatable(node)
    used: dict[str, int] = {resources.PODS: len(bound)}
    for pod in bound:
        for resource, value in resources.pod_requests(pod).items():
            used[resource] = used.get(resource, 0) + value
    over = [
        r
        for r in (resources.CPU, resources.MEMORY, resources.PODS)
        if used.get(r, 0) > capacity.get(r, 0)
    ]
    if not over:
        return []
    pods = ", ".join(sorted(str(p["metadata"]["name"]) for p in bound))
    amounts = "; ".join(
        f"{r} {shown(r, used[r])} of {shown(r, capacity.get(r, 0))} allocatable" for r in over
    )
    return [Finding("LW-10", name, f"{name} is overcommitted: its pods ({pods}) request {amounts}")]


def _bound(pod: Mapping[str, Any]) -> bool:
    return bool((pod.get("spec") or {}).get("nodeName"))


def _reported_unschedulable(pod: Mapping[str, Any]) -> bool:
    scheduled = objects.condition(pod, "PodScheduled") or {}
    return scheduled.get("status") == "False" and scheduled.get("reason") == "Unschedulable"


def _events_by_pod(
    events: Iterable[Mapping[str, Any]], namespace: str
) -> dict[str, list[Mapping[str, Any]]]:
    found: dict[str, list[Mapping[str, Any]]] = {}
    for event in events:
        about = event.get("involvedObject") or event.get("regarding") or {}
        if about.get("kind") == "Pod" and about.get("namespace") == namespace:
            found.setdefault(str(about.get("name")), []).append(event)
    return found


# -- a scheduler that picks at random --------------------------------------------------------------


def chance_of_passing(
    seeds: Iterable[int],
    nodes: Sequence[str],
    *,
    pods: int = 24,
    without_traps: bool = False,
) -> tuple[int, int]:
    """How many of `seeds` a scheduler that binds each of its pods to a uniformly random node
    passes (judged on placement alone, as if its Events were perfect), and of how many.
    `without_traps` leaves the traps out (which it always misplaces)."""
    passed = total = 0
    for seed in seeds:
        scenario = generate(seed, nodes, pods=pods)
        rng = random.Random(-seed - 1)
        node_objects = [_patched(name, patch) for name, patch in scenario.nodes.items()]
        placed = [
            _placed(pod, scenario, rng.choice(nodes))
            for pod in scenario.pods
            if not (without_traps and pod["metadata"]["name"] in scenario.traps)
        ]
        total += 1
        passed += not judge(scenario, placed, node_objects, _scheduled(placed))
    return passed, total


def _patched(name: str, patch: Obj) -> Obj:
    labels = {k: v for k, v in patch["metadata"]["labels"].items() if v is not None}
    spec = {k: v for k, v in patch["spec"].items() if v is not None}
    return {
        "metadata": {"name": name, "labels": labels},
        "spec": spec,
        "status": {"allocatable": {"cpu": "4", "memory": "16261904Ki", "pods": "110"}},
    }


def _placed(pod: Obj, scenario: Scenario, node: str) -> Obj:
    mine = pod["spec"]["schedulerName"] == scenario.scheduler
    return {
        **pod,
        "metadata": {**pod["metadata"], "namespace": scenario.namespace},
        "spec": {**pod["spec"], "nodeName": node if mine else ""},
    }


def _scheduled(pods: Iterable[Obj]) -> list[Obj]:
    return [
        {
            "reason": "Scheduled",
            "involvedObject": {
                "kind": "Pod",
                "namespace": p["metadata"]["namespace"],
                "name": p["metadata"]["name"],
            },
            "message": f"Successfully assigned to {p['spec']['nodeName']}",
        }
        for p in pods
        if p["spec"]["nodeName"]
    ]
