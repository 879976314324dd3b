"""Generated replication rounds: seeded ReplicationControllers (or ReplicaSets), scaled up and
down and robbed of pods, judged by the replica counts they end with.

A replication controller keeps each ReplicationController's (a ReplicaSet controller each
ReplicaSet's) active pods (its own, not being
deleted, not finished) at spec.replicas and reports the count in status.replicas. Every round
scales controllers both ways and deletes pods, and has one controller at zero, so a controller
that over- or under-creates, or forgets to replace a pod, ends a round with a wrong count.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from listwatch.generated.round import Finding, Obj, settle
from listwatch.remote.kubeapi import KubeAPI

IMAGE = "nginx:1.15"
#: The steps its findings name (each one the replication controller acts in).
STEPS = frozenset({"LW-06", "RC-01", "RC-02"})
#: What a round does to its controllers once they are created, in order.
SCALE, DELETE_POD = "scale", "delete-pod"


#: The kinds a round can make, with their resource and apiVersion.
KINDS = {
    "ReplicationController": ("replicationcontrollers", "v1"),
    "ReplicaSet": ("replicasets", "apps/v1"),
}


@dataclass(frozen=True)
class Scenario:
    seed: int
    namespace: str
    kind: str
    controllers: tuple[Obj, ...]
    #: (what, controller, number): scale to the number, or delete the pod at that index.
    operations: tuple[tuple[str, str, int], ...]


def generate(seed: int, *, controllers: int = 4, kind: str = "ReplicationController") -> Scenario:
    """The scenario of `seed`: `controllers` controllers of `kind` (the first at zero replicas),
    then scalings and pod deletions among them."""
    rng = random.Random(seed)
    made = tuple(
        _controller(f"rc-{seed}-{i}", 0 if i == 0 else rng.randint(1, 4), kind)
        for i in range(controllers)
    )
    operations: list[tuple[str, str, int]] = []
    for _ in range(rng.randint(3, 6)):
        name = str(rng.choice(made[1:])["metadata"]["name"])
        if rng.random() < 0.5:
            operations.append((SCALE, name, rng.randint(0, 5)))
        else:
            operations.append((DELETE_POD, name, rng.randrange(4)))
    operations.append((SCALE, str(made[0]["metadata"]["name"]), rng.randint(1, 3)))
    return Scenario(seed, f"replication-{seed}", kind, made, tuple(operations))


def _controller(name: str, replicas: int, kind: str) -> Obj:
    labels = {"app": name}
    return {
        "apiVersion": KINDS[kind][1],
        "kind": kind,
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels} if kind == "ReplicaSet" else labels,
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": IMAGE}]},
            },
        },
    }


@dataclass
class ReplicationRound:
    """A round for a replication controller (`listwatch.generated.round.Round`)."""

    scenario: Scenario
    nodes: Sequence[str]
    pods: int = 0
    #: The controllers each operation touched (the step a wrong count is blamed on).
    touched: dict[str, str] = field(default_factory=dict)

    @property
    def seed(self) -> int:
        return self.scenario.seed

    @property
    def plural(self) -> str:
        return KINDS[self.scenario.kind][0]

    def prepare(self, api: KubeAPI) -> None:
        api.create("namespaces", {"metadata": {"name": self.scenario.namespace}})

    def play(self, api: KubeAPI) -> list[Finding]:
        namespace = self.scenario.namespace
        for controller in self.scenario.controllers:
            api.create(self.plural, controller, namespace=namespace)
        self._settle(api)
        for what, name, number in self.scenario.operations:
            if what == SCALE:
                api.patch(
                    self.plural,
                    name,
                    {"spec": {"replicas": number}},
                    namespace=namespace,
                )
                self.touched[name] = "RC-01"
            else:
                owned = sorted(
                    str(p["metadata"]["name"])
                    for p in active(api.list("pods", namespace=namespace), name)
                )
                if owned:
                    api.delete("pods", owned[number % len(owned)], namespace=namespace)
                    self.touched.setdefault(name, "RC-02")
            self._settle(api)
        pods = api.list("pods", namespace=namespace)
        self.pods = len(pods)
        return judge(
            self.scenario,
            pods,
            api.list(self.plural, namespace=namespace),
            self.touched,
        )

    def _settle(self, api: KubeAPI) -> None:
        namespace = self.scenario.namespace

        def read() -> list[Obj]:
            return [
                *api.list(self.plural, namespace=namespace),
                *api.list("pods", namespace=namespace),
            ]

        def done(objects: list[Obj]) -> bool:
            pods = [o for o in objects if "replicas" not in (o.get("spec") or {})]
            return all(
                len(active(pods, c["metadata"]["name"])) == c["spec"].get("replicas", 1)
                for c in objects
                if "replicas" in (c.get("spec") or {})
            )

        settle(read, done)

    def summary(self) -> str:
        return (
            f"{len(self.scenario.controllers)} {self.scenario.kind}s, "
            f"{len(self.scenario.operations)} scalings and pod deletions: {self.pods} pods"
        )


def round_of(seed: int, kind: str = "ReplicationController") -> ReplicationRound:
    return ReplicationRound(generate(seed, kind=kind), ["node01", "node02"])


def active(pods: Iterable[Mapping[str, Any]], controller: str) -> list[Mapping[str, Any]]:
    """The controller's active pods: owned by it, not being deleted, not finished."""
    return [
        p
        for p in pods
        if any(
            r.get("controller") and r.get("name") == controller
            for r in p["metadata"].get("ownerReferences") or ()
        )
        and not p["metadata"].get("deletionTimestamp")
        and (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
    ]


def judge(
    scenario: Scenario,
    pods: Sequence[Mapping[str, Any]],
    controllers: Iterable[Mapping[str, Any]],
    touched: Mapping[str, str],
) -> list[Finding]:
    """Each controller's active pods against its spec.replicas, and its status.replicas against
    them; a wrong count is blamed on the step of what was last done to it (created: LW-06,
    scaled: RC-01, a pod deleted: RC-02)."""
    findings = []
    for controller in controllers:
        name = str(controller["metadata"]["name"])
        subject = f"{scenario.namespace}/{name}"
        wanted = int(controller["spec"].get("replicas", 1))
        have = active(pods, name)
        step = touched.get(name, "LW-06")
        if len(have) != wanted:
            names = ", ".join(sorted(str(p["metadata"]["name"]) for p in have)) or "none"
            more = "too many" if len(have) > wanted else "too few"
            findings.append(
                Finding(
                    step,
                    subject,
                    f"{subject} has {len(have)} active pods ({names}) for spec.replicas "
                    f"{wanted}: {abs(len(have) - wanted)} {more}",
                )
            )
            continue
        reported = (controller.get("status") or {}).get("replicas", 0)
        if reported != len(have):
            findings.append(
                Finding(
                    step,
                    subject,
                    f"{subject} reports status.replicas {reported} but has {len(have)} active pods",
                )
            )
    return findings
