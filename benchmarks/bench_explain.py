"""Scheduling throughput with and without the scheduler's explanations (`explain.py`).

A cluster of `--nodes` nodes in 10 zones; `--pods` pods, a third selecting a zone, a third
requesting CPU, a third unconstrained, created through the API server while the control plane
runs. The clock runs from the first create until every pod is bound. Each mode runs `--repeat`
times, alternating, in this process; the best run of each is reported (pods bound per second),
and the ratio explained/plain.

    python benchmarks/bench_explain.py                        # 100 and 1000 nodes, 2000 pods
    python benchmarks/bench_explain.py --nodes 1000 --pods 5000
    python benchmarks/bench_explain.py --engine /work/main/engine --modes off   # a baseline

Modes: `off` (nobody asks: nothing is computed), `on` (a listener takes each record, as a trace
writer or the web view does).
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path
from typing import Any

ZONES = 10


def pod(i: int) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "app", "image": "nginx:1.25"}
    spec: dict[str, Any] = {"containers": [container]}
    kind = i % 3
    if kind == 1:
        spec["nodeSelector"] = {"zone": f"z{i % ZONES}"}
    elif kind == 2:
        container["resources"] = {"requests": {"cpu": "10m", "memory": "16Mi"}}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"pod-{i:06d}"},
        "spec": spec,
    }


def run_once(nodes: int, pods: int, mode: str) -> dict[str, Any]:
    from listwatch import engine
    from listwatch.cluster import Cluster

    gc.collect()
    names = [f"node{i:05d}" for i in range(nodes)]
    labels = {name: {"zone": f"z{i % ZONES}"} for i, name in enumerate(names)}
    cluster = Cluster(engine.load(), nodes=names, node_labels=labels, trace_actions=False)
    records = 0
    if mode == "on":

        def take(record: dict[str, Any]) -> None:
            nonlocal records
            records += 1

        cluster.on_explain(take)
    cluster.start()
    scheduler = cluster.scheduler
    assert scheduler is not None
    start = time.perf_counter()
    for i in range(pods):
        cluster.api.create("pods", pod(i), namespace="default", actor="bench")
        if i % 500 == 499:
            cluster.loop.run_ready()
    cluster.settle(until=lambda: not scheduler.pods)
    seconds = time.perf_counter() - start
    bound = sum(1 for p in cluster.pods() if p["spec"].get("nodeName"))
    cluster.close()
    return {
        "mode": mode,
        "nodes": nodes,
        "pods": pods,
        "bound": bound,
        "seconds": round(seconds, 3),
        "pods_per_second": round(bound / seconds, 1),
        "explanations": records,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, action="append", default=None)
    parser.add_argument("--pods", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--modes", default="off,on")
    parser.add_argument(
        "--engine", default=str(Path(__file__).resolve().parents[1] / "engine"), help="listwatch"
    )
    args = parser.parse_args()
    sys.path.insert(0, args.engine)
    modes = args.modes.split(",")
    for nodes in args.nodes or [100, 1000]:
        best: dict[str, dict[str, Any]] = {}
        for _ in range(args.repeat):
            for mode in modes:
                result = run_once(nodes, args.pods, mode)
                if mode not in best or result["seconds"] < best[mode]["seconds"]:
                    best[mode] = result
        for result in best.values():
            print(json.dumps(result))
        if "on" in best and "off" in best:
            ratio = best["on"]["pods_per_second"] / best["off"]["pods_per_second"]
            print(json.dumps({"nodes": nodes, "explained_over_plain": round(ratio, 3)}))


if __name__ == "__main__":
    main()
