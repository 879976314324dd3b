#!/usr/bin/env python3
"""Wrong replication controllers, as test fixtures: the example's controller, broken one way.

    python tests/wrong/controller.py --wrong MODE [--kubeconfig K]

It is examples/replication_controller.py (imported by path) with `wanted`, the number of active
pods a sync aims at, changed; everything else (watches, expectations, Events, status) is the
example's. What each mode gets wrong, and what a validator sees, is in its class's docstring.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from kubernetes import client, config

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "replication_controller.py"


def _load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("replication_controller_example", EXAMPLE)
    assert spec is not None and spec.loader is not None, EXAMPLE
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


example = _load_example()


class OverCreates(example.ReplicationManager):  # type: ignore[name-defined,misc]
    """`over-creates`: keeps one replica more than spec.replicas.

    Each RC ends with spec.replicas + 1 Running pods (one SuccessfulCreate too many, and a scale
    down deletes one pod too few), and its status.replicas says so. A validator
    (`listwatch validate controller-manager -k "Scaling or replaced" -- python
    tests/wrong/controller.py --wrong over-creates`) sees the replication scenarios fail: their
    background never sees the RC of 2 replicas with exactly 2 Running pods, or "web has 3
    Running pods of 3, expected 2"; RC-01 and RC-02 failed, controller-manager: FAILED.
    """

    def wanted(self, rc: Any) -> int:
        return int(super().wanted(rc)) + 1


class UnderCreates(example.ReplicationManager):  # type: ignore[name-defined,misc]
    """`under-creates`: keeps one replica fewer than spec.replicas (never below 0).

    An RC of 1 replica gets no pod at all; one of N gets N - 1 (a deleted pod is replaced up to
    N - 1 only), and status.replicas is one short of spec.replicas. A validator sees the
    replication scenarios fail: their background's RC of 2 replicas never has 2 Running pods
    (only 1); RC-01 and RC-02 failed, controller-manager: FAILED.
    """

    def wanted(self, rc: Any) -> int:
        return max(0, int(super().wanted(rc)) - 1)


MODES: dict[str, type[Any]] = {"over-creates": OverCreates, "under-creates": UnderCreates}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--wrong", required=True, choices=sorted(MODES), help="how to be wrong")
    parser.add_argument(
        "--kubeconfig",
        default=None,
        help="the cluster's kubeconfig (default: $KUBECONFIG or ~/.kube/config)",
    )
    args = parser.parse_args(argv)
    config.load_kube_config(config_file=args.kubeconfig)  # type: ignore[no-untyped-call]
    controller = MODES[args.wrong](client.CoreV1Api())
    return int(example.serve(controller, f" (wrong: {args.wrong})"))


if __name__ == "__main__":
    sys.exit(main())
