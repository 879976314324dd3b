#!/usr/bin/env python3
"""A wrong kubelet: examples/kubelet.py with its admission skipped.

    python tests/wrong/kubelet.py --wrong starts-rejected [--kubeconfig K] [--node N ...]

`starts-rejected`: every pod bound to its nodes runs, even one the real kubelet rejects: one
requesting more cpu or memory than the node has left (OutOfcpu, OutOfmemory), one past the node's
pod count (OutOfpods), one whose nodeSelector or required node affinity the node does not match
(NodeAffinity), one not tolerating a NoExecute taint of the node (TaintToleration). The pod goes
Pending then Running instead of Failed, and no Warning Event says why.

What a validator sees: the pod's status reaches phase Running where the spec allows only the
kubelet's rejection (phase Failed, reason OutOf{resource}, NodeAffinity or TaintToleration).
`listwatch check` reports it as step NN-03, e.g. "expected NN-03: the kubelet rejects the pod
(node01 has too little cpu: the pod requests 6000, its admitted pods 0, of 4000; OutOfcpu);
observed LW-12: big running", and the features that expect a rejection fail. Everything else
(node registration, pods that fit, deletion) is the example's, so only admission is judged wrong.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "kubelet.py"
WRONGS = ("starts-rejected",)


def load_example() -> ModuleType:
    """examples/kubelet.py, imported by its path (examples/ is no package)."""
    spec = importlib.util.spec_from_file_location("example_kubelet", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


example = load_example()


class AdmitsAll(example.NodeAgent):  # type: ignore[name-defined,misc]
    """The node agent with no admission: every pod fits."""

    def admit(self, pod: dict[str, Any]) -> tuple[str, str] | None:
        return None


class WrongKubelet(example.Kubelet):  # type: ignore[name-defined,misc]
    agent = AdmitsAll


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--wrong", required=True, choices=WRONGS, help="the way to be wrong")
    args, rest = parser.parse_known_args(argv)
    print(f"kubelet: wrong ({args.wrong}): admission skipped, every pod runs", flush=True)
    code: int = example.main(rest, kubelet=WrongKubelet)
    return code


if __name__ == "__main__":
    sys.exit(main())
