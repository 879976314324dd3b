"""Generated admission rounds: pods that name their node (spec.nodeName, so no scheduler is
involved), many of which fit and some of which do not, judged by what the kubelet did with each.

The kubelet admits a pod only if it passes the checks of its admission (spec/components/
kubelet.yaml: the node's pod count and allocatable against the pods it admitted before,
NodeAffinity, NoExecute taints) and rejects it otherwise (phase Failed, the check's reason). The
round creates its pods one at a time, so the order the kubelet sees them in is the order they
were made, and `judge` replays the admission in that order. Every round has traps: a pod asking
for more CPU than a node has, one asking for more memory, and one whose nodeSelector no node
matches; a kubelet that starts what it must reject fails every round.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from listwatch.generated.round import Finding, Obj, settle, shown
from listwatch.remote.kubeapi import KubeAPI
from listwatch.rules import affinity, resources

IMAGE = "nginx:1.15"
CPUS = ("", "", "250m", "500m", "1", "1500m", "2")
MEMORIES = ("", "", "256Mi", "1Gi", "4Gi")
#: A label no node has: a nodeSelector on it fails the NodeAffinity check everywhere.
NOWHERE = {"listwatch.io/zone": "nowhere"}
#: How long the kubelet gets to register its nodes before the round gives up on it.
REGISTER_SECONDS = 30.0
#: The steps its findings name (each one the kubelet acts in).
STEPS = frozenset({"NN-03", "LW-12"})
TRAPS = {
    "cpu": {"requests": {"cpu": "64"}},
    "memory": {"requests": {"memory": "64Gi"}},
}


@dataclass(frozen=True)
class Scenario:
    seed: int
    namespace: str
    nodes: tuple[str, ...]
    #: In the order they are created.
    pods: tuple[Obj, ...]


def generate(seed: int, nodes: Sequence[str] = ("node01", "node02"), *, pods: int = 16) -> Scenario:
    """The scenario of `seed`: `pods` pods spread over the nodes with random requests (enough,
    together, to fill some node), and the three traps among them."""
    rng = random.Random(seed)
    made = [
        _pod(f"adm-{seed}-{i:02d}", rng.choice(nodes), rng.choice(CPUS), rng.choice(MEMORIES))
        for i in range(pods)
    ]
    for kind, resources_ in TRAPS.items():
        trap = _pod(f"trap-{seed}-{kind}", rng.choice(nodes), "", "")
        trap["spec"]["containers"][0]["resources"] = resources_
        made.insert(rng.randrange(len(made) + 1), trap)
    selector = _pod(f"trap-{seed}-selector", rng.choice(nodes), "", "")
    selector["spec"]["nodeSelector"] = dict(NOWHERE)
    made.insert(rng.randrange(len(made) + 1), selector)
    return Scenario(seed, f"admission-{seed}", tuple(nodes), tuple(made))


def _pod(name: str, node: str, cpu: str, memory: str) -> Obj:
    container: Obj = {"name": "app", "image": IMAGE}
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
    if requests:
        container["resources"] = {"requests": requests}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"nodeName": node, "containers": [container]},
    }


@dataclass
class AdmissionRound:
    """A round for a kubelet (`listwatch.generated.round.Round`)."""

    scenario: Scenario
    nodes: Sequence[str]
    running: int = 0

    @property
    def seed(self) -> int:
        return self.scenario.seed

    def prepare(self, api: KubeAPI) -> None:
        api.create("namespaces", {"metadata": {"name": self.scenario.namespace}})

    def play(self, api: KubeAPI) -> list[Finding]:
        scenario = self.scenario
        missing = _wait_for_nodes(api, scenario.nodes)
        if missing:
            return [
                Finding(
                    "LW-12",
                    node,
                    f"the kubelet never registered its node {node} (within "
                    f"{REGISTER_SECONDS:g} s): no pod there could be admitted",
                )
                for node in missing
            ]
        for pod in scenario.pods:
            api.create("pods", pod, namespace=scenario.namespace)
        pods = settle(
            lambda: api.list("pods", namespace=scenario.namespace),
            lambda pods: all(_phase(p) in ("Running", "Failed") for p in pods),
        )
        self.running = sum(1 for p in pods if _phase(p) == "Running")
        return judge(scenario, pods, api.list("nodes"))

    def summary(self) -> str:
        return (
            f"{len(self.scenario.pods)} pods naming their node on {len(self.nodes)} nodes: "
            f"{self.running} running"
        )


def round_of(seed: int, nodes: Sequence[str] = ("node01", "node02")) -> AdmissionRound:
    return AdmissionRound(generate(seed, nodes), list(nodes))


def _wait_for_nodes(api: KubeAPI, nodes: Iterable[str]) -> list[str]:
    deadline = time.monotonic() + REGISTER_SECONDS
    while True:
        registered = {n["metadata"]["name"] for n in api.list("nodes")}
        missing = [n for n in nodes if n not in registered]
        if not missing or time.monotonic() >= deadline:
            return missing
        time.sleep(0.2)


def expected(
    scenario: Scenario, nodes: Mapping[str, Mapping[str, Any]]
) -> dict[str, tuple[str, str] | None]:
    """Each pod's fate, replaying the kubelet's admission in creation order: None when admitted,
    else the reason and why."""
    admitted: dict[str, list[Obj]] = {}
    fates: dict[str, tuple[str, str] | None] = {}
    for pod in scenario.pods:
        name, node = pod["metadata"]["name"], pod["spec"]["nodeName"]
        others = admitted.setdefault(node, [])
        lacking = resources.admission_fit(pod, nodes[node], others)
        if lacking is not None:
            fates[name] = (
                lacking.kubelet_reason,
                f"it requests {shown(lacking.resource, lacking.requested)} "
                f"{lacking.resource}, the pods admitted there "
                f"{shown(lacking.resource, lacking.used)}, of "
                f"{shown(lacking.resource, lacking.capacity)}",
            )
        elif not affinity.fits_node(pod, nodes[node]):
            fates[name] = ("NodeAffinity", f"its nodeSelector {pod['spec'].get('nodeSelector')}")
        else:
            fates[name] = None
            others.append(pod)
    return fates


def judge(
    scenario: Scenario, pods: Iterable[Mapping[str, Any]], nodes: Iterable[Mapping[str, Any]]
) -> list[Finding]:
    """What the kubelet did wrong with the round's pods: a pod it should have rejected that is
    not Failed with the check's reason, or one it should have admitted that it rejected (both
    NN-03, the rejection), or one it admitted whose containers never ran (LW-12)."""
    by_name = {n["metadata"]["name"]: n for n in nodes}
    fates = expected(scenario, by_name)
    findings = []
    for pod in sorted(pods, key=lambda p: str(p["metadata"]["name"])):
        name = str(pod["metadata"]["name"])
        if name not in fates:
            continue
        subject = f"{scenario.namespace}/{name}"
        node = pod["spec"]["nodeName"]
        status = pod.get("status") or {}
        fate = fates[name]
        if fate is not None:
            reason, why = fate
            if _phase(pod) != "Failed" or status.get("reason") != reason:
                shown = _phase(pod) + (f" ({status['reason']})" if status.get("reason") else "")
                findings.append(
                    Finding(
                        "NN-03",
                        subject,
                        f"{subject} does not fit {node} ({why}) and should have been rejected "
                        f"with reason {reason}, but it is {shown}",
                    )
                )
        elif _phase(pod) == "Failed":
            findings.append(
                Finding(
                    "NN-03",
                    subject,
                    f"{subject} fits {node} yet was rejected: {status.get('reason')}: "
                    f"{status.get('message')}",
                )
            )
        elif _phase(pod) != "Running":
            findings.append(
                Finding(
                    "LW-12",
                    subject,
                    f"{subject} fits {node} and was not rejected, but its containers never "
                    f"ran (phase {_phase(pod) or 'none'})",
                )
            )
    return findings


def _phase(pod: Mapping[str, Any]) -> str:
    return str((pod.get("status") or {}).get("phase") or "")
