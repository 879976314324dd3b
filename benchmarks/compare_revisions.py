"""The benchmarks of two revisions side by side, in one run on one machine: is a change slower?

Machines differ (the same benchmark ran 3x slower on another machine of one kind), so a figure
alone says little; this script measures a base revision (`git archive` into a temporary folder)
and the working tree alternately, round after round, and prints each figure's median beside the
ratio head/base. Two workloads, each in a fresh process per measurement:

- lifecycle: `bench_lifecycle.py --one PODS` (pods from creation to Running, pods/s and peak RSS);
- checker: a trace recorded once by the head (`bench_checker.py --record many-pods`), judged by
  each revision's `listwatch check` (records/s and peak RSS).

    python benchmarks/compare_revisions.py --base HEAD~3                  # 10k pods, 200k records
    python benchmarks/compare_revisions.py --base main --pods 2000 --records 50000 --rounds 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HEAD = Path(__file__).resolve().parents[1]


def extract(revision: str, into: Path) -> Path:
    """The tree of `revision` as files under `into` (no worktree is registered)."""
    archive = into / "base.tar"
    subprocess.run(
        ["git", "-C", str(HEAD), "archive", "--format=tar", "-o", str(archive), revision],
        check=True,
    )
    tree = into / "base"
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="data")
    return tree


def lifecycle(tree: Path, pods: int, nodes: int) -> dict[str, float]:
    """One `bench_lifecycle.py --one` run of `tree` (which puts its own engine first on the
    path)."""
    done = subprocess.run(
        [
            sys.executable,
            str(tree / "benchmarks" / "bench_lifecycle.py"),
            "--one",
            str(pods),
            "--nodes",
            str(nodes),
        ],
        capture_output=True,
        text=True,
        check=True,
        env=_env(tree),
    )
    result = json.loads(done.stdout)
    return {"pods/s": result["pods_per_second"], "peak RSS MiB": result["peak_rss_mib"]}


def checker(tree: Path, trace: Path, records: int) -> dict[str, float]:
    """`listwatch check` of `tree` on `trace`: records per second and the child's peak RSS."""
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "listwatch", "check", str(trace)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=_env(tree),
    )
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"listwatch check of {tree} failed on {trace}")
    return {"records/s": round(records / seconds), "peak RSS MiB": usage.ru_maxrss / 1024}


def _env(tree: Path) -> dict[str, str]:
    """The environment in which `python -m listwatch` imports `tree`'s engine, not the installed
    one."""
    return {**os.environ, "PYTHONPATH": str(tree / "engine")}


def alternate(
    rounds: int, base: Callable[[], dict[str, float]], head: Callable[[], dict[str, float]]
) -> dict[str, tuple[float, float]]:
    """Each metric's median over `rounds` runs of base and head taken in turn: (base, head)."""
    seen: dict[str, tuple[list[float], list[float]]] = {}
    for _ in range(rounds):
        for side, run in enumerate((base, head)):
            for metric, value in run().items():
                seen.setdefault(metric, ([], []))[side].append(value)
    return {m: (statistics.median(b), statistics.median(h)) for m, (b, h) in seen.items()}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base", required=True, help="the revision to compare with (git)")
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--nodes", type=int, default=1_000)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="listwatch-compare-") as tmp:
        base = extract(args.base, Path(tmp))
        trace = Path(tmp) / "trace.jsonl"
        subprocess.run(
            [
                sys.executable,
                str(HEAD / "benchmarks" / "bench_checker.py"),
                "--record",
                "many-pods",
                str(args.records),
                str(trace),
            ],
            check=True,
            capture_output=True,
            env=_env(HEAD),
        )
        records = sum(1 for _ in trace.open(encoding="utf-8"))
        rows: list[tuple[str, str, tuple[float, float]]] = []
        for metric, pair in alternate(
            args.rounds,
            lambda: lifecycle(base, args.pods, args.nodes),
            lambda: lifecycle(HEAD, args.pods, args.nodes),
        ).items():
            rows.append((f"lifecycle, {args.pods:,} pods", metric, pair))
        for metric, pair in alternate(
            args.rounds,
            lambda: checker(base, trace, records),
            lambda: checker(HEAD, trace, records),
        ).items():
            rows.append((f"checker, {records:,} records", metric, pair))
    print(f"base {args.base} vs the working tree; medians of {args.rounds} alternating rounds")
    print(f"{'workload':<28}{'metric':<16}{'base':>12}{'head':>12}{'head/base':>11}")
    for workload, metric, (b, h) in rows:
        print(f"{workload:<28}{metric:<16}{b:>12,.1f}{h:>12,.1f}{h / b:>11.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
