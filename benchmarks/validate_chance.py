"""How likely a scheduler that picks nodes at random is to pass `listwatch validate scheduler`'s
generated rounds: the measured share of seeds it passes, with the traps and without them.

The random scheduler binds each of its pods to a uniformly random node and is judged on where it
put them alone, as if its Events were perfect (`listwatch.generated.scheduling.chance_of_passing`).
Each seed is one round of the default size (24 pods and the traps on 5 nodes). The target (the
Validate issue): at most 1 in 1,000.

    python benchmarks/validate_chance.py                 # 10,000 seeds
    python benchmarks/validate_chance.py --seeds 100000
"""

from __future__ import annotations

import argparse
import time

from listwatch.generated import scheduling

NODES = [f"node{i:02d}" for i in range(1, 6)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seeds", type=int, default=10_000)
    args = parser.parse_args()
    seeds = range(1, args.seeds + 1)
    failed = False
    for label, without_traps in (("with the traps", False), ("without the traps", True)):
        started = time.perf_counter()
        passed, total = scheduling.chance_of_passing(seeds, NODES, without_traps=without_traps)
        elapsed = time.perf_counter() - started
        print(
            f"random-node scheduler, {label}: passed {passed} of {total} seeds "
            f"({passed / total:.5f}; target at most 0.001) in {elapsed:.1f} s"
        )
        failed |= passed / total > 0.001
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
