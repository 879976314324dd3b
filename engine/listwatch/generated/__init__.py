"""Generated rounds: seeded, reproducible workloads a component must get right, each on a fresh
cluster and judged from the objects at its end (`listwatch validate` plays them after the
conformance scenarios).

- `scheduling`: labelled, tainted and cordoned nodes; pods with selectors, affinity,
  tolerations, requests and schedulerNames (for a scheduler);
- `admission`: pods that name their node, some too big or unfit for it (for a kubelet);
- `replication`: ReplicationControllers (or ReplicaSets) scaled and robbed of pods (for the
  replication or replicaset controller, or the controller manager as a whole).
"""

from __future__ import annotations

from dataclasses import dataclass

from listwatch.generated import admission, replication, scheduling
from listwatch.generated.round import Finding, Round

__all__ = ["Finding", "Options", "Round", "round_for"]


@dataclass(frozen=True)
class Options:
    """How big a round is, and whose pods a scheduler takes."""

    pods: int = 24
    nodes: int = 5
    scheduler: str = "default-scheduler"


def round_for(component: str, seed: int, options: Options) -> Round | None:
    """The round of `seed` for `component`, or None when no generated round concerns it."""
    if component == "scheduler":
        return scheduling.round_of(
            seed, pods=options.pods, nodes=options.nodes, scheduler=options.scheduler
        )
    if component == "kubelet":
        return admission.round_of(seed)
    if component in ("controller-manager", "replicationcontroller-controller"):
        return replication.round_of(seed)
    if component == "replicaset-controller":
        return replication.round_of(seed, "ReplicaSet")
    return None
