#!/usr/bin/env python3
"""Wrong schedulers, as test fixtures: examples/scheduler.py broken in exactly one way each.

    python tests/wrong/scheduler.py --wrong MODE [--kubeconfig K] [--scheduler-name N] [--seed S]

Each mode is a subclass of the example's `Scheduler` that changes one thing; its docstring says
what it does wrong and what a validator (`listwatch validate scheduler -- python
tests/wrong/scheduler.py --wrong MODE`) should see. Everything else is the example's: the
watches, the queue, the Events, the FailedScheduling message.

It stops on SIGINT or SIGTERM.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

from kubernetes import client, config

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: examples/ is found from the repository's root
    sys.path.insert(0, str(ROOT))

from examples.scheduler import (  # noqa: E402
    FILTERS,
    Node,
    Pod,
    Requests,
    Room,
    Scheduler,
    arguments,
    serve,
)


class IgnoresNodeSelector(Scheduler):
    """Skips the NodeAffinity filter (the nodeSelector and the required node affinity) and takes
    the first remaining node by name (as the example's `--ignore-node-selector`).

    A validator should see a pod bound to a node whose labels do not match its nodeSelector or
    affinity (listwatch's checker: rule node-affinity at step LW-10), and the kubelet rejecting it
    (NodeAffinity); a pod that matches no node is bound instead of reported unschedulable."""

    def __init__(self, api: client.CoreV1Api, **options: Any) -> None:
        super().__init__(api, skip=["NodeAffinity"], first_by_name=True, **options)


class IgnoresTaints(Scheduler):
    """Skips the TaintToleration filter: binds pods to nodes with NoSchedule or NoExecute taints
    they do not tolerate.

    A validator should see a pod bound to a node with a taint it does not tolerate, where
    kube-scheduler would have chosen another node or reported `node(s) had untolerated taint`.
    The kubelet admits it under a NoSchedule taint (it checks only NoExecute ones) and rejects it
    (TaintToleration) under a NoExecute one."""

    def __init__(self, api: client.CoreV1Api, **options: Any) -> None:
        super().__init__(api, skip=["TaintToleration"], **options)


class Overcommits(Scheduler):
    """Skips the NodeResourcesFit filter: binds pods to nodes without room for their requests
    (cpu, memory, the pod count).

    A validator should see a pod bound to a node whose allocatable its requests exceed, given the
    pods bound there (listwatch's checker: rule resources, "Insufficient cpu"), and the kubelet
    rejecting it (OutOfcpu, OutOfmemory); a pod too big for every node is bound instead of
    reported unschedulable."""

    def __init__(self, api: client.CoreV1Api, **options: Any) -> None:
        super().__init__(api, skip=["NodeResourcesFit"], **options)


class BindsTwice(Scheduler):
    """After binding a pod, binds it again, to another node (as a scheduler whose cache lost the
    first bind would). The API server refuses the second bind with 409 Conflict; this scheduler
    ignores that and records a second `Scheduled` Event, naming the second node.

    A validator should see two Scheduled Events for one pod, the second naming a node the pod is
    not bound to (its spec.nodeName keeps the first), and one refused pods/binding."""

    def bind(self, pod: Pod, node: str) -> None:
        super().bind(pod, node)
        with self._lock:
            names = sorted(self.nodes)
        again = next((name for name in names if name != node), node)
        try:
            self.post_binding(pod, again)
        except client.ApiException as exc:
            if exc.status != 409:
                raise
        namespace, name = pod.metadata.namespace, pod.metadata.name
        self.event(
            pod,
            "Normal",
            "Scheduled",
            f"Successfully assigned {namespace}/{name} to {again}",
            action="Binding",
        )


class BindsOthers(Scheduler):
    """Takes pods of every schedulerName: watches unbound pods without the
    `spec.schedulerName=NAME` field selector and binds them all, those that ask for another
    scheduler too.

    A validator should see a pod whose spec.schedulerName is not NAME (`other-scheduler`, say)
    bound, with a Scheduled Event whose reportingController is NAME."""

    def pod_selector(self) -> str:
        return "spec.nodeName="

    def is_mine(self, pod: Pod) -> bool:
        return True


class NeverUnschedulable(Scheduler):
    """When no node fits, says nothing: neither the PodScheduled=False (Unschedulable) condition
    nor a FailedScheduling Event, and never tries the pod again (it drops it silently).

    A validator should see a pod that fits no node stay Pending with no PodScheduled condition
    and no FailedScheduling Event (listwatch: step US-01 never shown), and stay unbound even once
    a node that fits it appears."""

    def __init__(self, api: client.CoreV1Api, **options: Any) -> None:
        super().__init__(api, **options)
        self.dropped: set[tuple[str, str]] = set()

    def fail(self, pod: Pod, message: str, *, retry: bool = False) -> None:
        self.dropped.add((pod.metadata.namespace, pod.metadata.name))

    def enqueue(self, key: tuple[str, str]) -> None:
        if key not in self.dropped:
            super().enqueue(key)


class RandomNode(Scheduler):
    """Ignores every filter and binds each pod to a node drawn uniformly at random (seeded by
    `--seed`, so a run repeats): cordoned, tainted, unmatched or full nodes included.

    A validator should see pods bound to nodes that fail their nodeSelector, taints or requests
    (for a pod that only one of two nodes fits, about half the time), and no pod ever reported
    unschedulable."""

    def __init__(self, api: client.CoreV1Api, *, seed: int = 0, **options: Any) -> None:
        super().__init__(api, skip=FILTERS, **options)
        self.random = random.Random(seed)

    def choose(
        self, pod: Pod, requests: Requests, fitting: list[Node], used: dict[str, Room]
    ) -> str:
        return str(self.random.choice(fitting).metadata.name)


MODES: dict[str, type[Scheduler]] = {
    "ignores-node-selector": IgnoresNodeSelector,
    "ignores-taints": IgnoresTaints,
    "overcommits": Overcommits,
    "binds-twice": BindsTwice,
    "binds-others": BindsOthers,
    "never-unschedulable": NeverUnschedulable,
    "random-node": RandomNode,
}


def make(mode: str, api: client.CoreV1Api, *, name: str, seed: int = 0) -> Scheduler:
    """The wrong scheduler of `mode`."""
    if mode == "random-node":
        return RandomNode(api, name=name, seed=seed)
    return MODES[mode](api, name=name)


def main(argv: list[str] | None = None) -> int:
    parser = arguments()
    parser.description = (__doc__ or "").split("\n", 1)[0]
    parser.add_argument("--wrong", required=True, choices=sorted(MODES), help="the mistake")
    parser.add_argument("--seed", type=int, default=0, help="random-node's seed (default: 0)")
    args = parser.parse_args(argv)
    config.load_kube_config(config_file=args.kubeconfig)  # type: ignore[no-untyped-call]
    scheduler = make(args.wrong, client.CoreV1Api(), name=args.scheduler_name, seed=args.seed)
    return serve(scheduler, f" (wrong: {args.wrong})")


if __name__ == "__main__":
    sys.exit(main())
