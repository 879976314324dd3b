"""End-to-end benchmark of the in-memory cluster: pods from creation to Running.

Each scale runs in a fresh process (so that its peak RSS is its own) on a cluster of 5,000 nodes
labelled across 10 zones. A third of the pods name their node (spec.nodeName), a third select a
zone (nodeSelector), a third are unconstrained. Pods are created through the API server in batches,
as a client would, while the control plane runs; the clock stops when every pod is Running with
its conditions and its kubelet's events (Pulling/Pulled or already present, Created, Started) and,
for scheduled pods, the Scheduled event.

    python benchmarks/bench_lifecycle.py                 # 1k, 10k, 100k, 150k pods
    python benchmarks/bench_lifecycle.py --pods 10000    # one scale

Targets (issue 2): at least 2,000 pods/s at 150k pods, at most 4 GiB peak RSS, and pods/s at 150k
within 25% of pods/s at 10k.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

SCALES = (1_000, 10_000, 100_000, 150_000)
NODES = 5_000
ZONES = 10
BATCH = 1_000


def pod(i: int, nodes: int) -> dict:
    spec: dict = {"containers": [{"name": "app", "image": "nginx:1.25"}]}
    kind = i % 3
    if kind == 0:
        spec["nodeName"] = f"node{(i * 7) % nodes:05d}"
    elif kind == 1:
        spec["nodeSelector"] = {"zone": f"z{i % ZONES}"}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"pod-{i:06d}", "labels": {"app": "bench"}},
        "spec": spec,
    }


def run_one(pods: int, nodes: int) -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))
    from listwatch import engine
    from listwatch.cluster import Cluster

    # A long run of many small objects: keep the cyclic garbage collector from rescanning the
    # whole heap every few thousand allocations (the objects are trees of dicts, without cycles).
    gc.set_threshold(100_000, 1_000, 1_000)
    eng = engine.load()
    names = [f"node{i:05d}" for i in range(nodes)]
    labels = {name: {"zone": f"z{i % ZONES}"} for i, name in enumerate(names)}
    build_start = time.perf_counter()
    cluster = Cluster(eng, nodes=names, node_labels=labels, trace_actions=False)
    cluster.start()
    gc.freeze()
    build_seconds = time.perf_counter() - build_start

    running = 0

    def count(event) -> None:  # a client watching phases, as `kubectl get pods -w` would
        nonlocal running
        if event.type == "MODIFIED" and event.object["status"].get("phase") == "Running":
            conditions = event.object["status"].get("conditions") or ()
            if any(c["type"] == "Ready" and c["status"] == "True" for c in conditions):
                running += 1

    seen: set[str] = set()

    def once(event) -> None:
        uid = event.object["metadata"]["uid"]
        if (
            uid not in seen
            and event.type == "MODIFIED"
            and event.object["status"].get("phase") == "Running"
        ):
            seen.add(uid)
            count(event)

    cluster.api.watch("pods", once, actor="bench")
    start = time.perf_counter()
    created = 0
    while created < pods:
        for i in range(created, min(created + BATCH, pods)):
            cluster.api.create("pods", pod(i, nodes), actor="bench")
        created = min(created + BATCH, pods)
        cluster.loop.run_ready()
    cluster.settle(until=lambda: running >= pods, horizon=3600)
    seconds = time.perf_counter() - start
    events = cluster.store.count("/registry/events/")
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "pods": pods,
        "nodes": nodes,
        "running": running,
        "seconds": round(seconds, 2),
        "pods_per_second": round(pods / seconds, 1),
        "events": events,
        "revision": cluster.store.revision,
        "simulated_seconds": round(cluster.clock.now(), 1),
        "cluster_start_seconds": round(build_seconds, 2),
        "peak_rss_mib": round(rss_kib / 1024, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--pods",
        type=int,
        action="append",
        help="pods to run (repeatable); default: 1k, 10k, 100k, 150k",
    )
    parser.add_argument("--nodes", type=int, default=NODES)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.nodes)))
        return 0
    results = []
    for pods in args.pods or SCALES:
        done = subprocess.run(
            [sys.executable, __file__, "--one", str(pods), "--nodes", str(args.nodes)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return done.returncode
        result = json.loads(done.stdout)
        results.append(result)
        print(
            f"{result['pods']:>7} pods on {result['nodes']} nodes: {result['seconds']:>7.2f}s  "
            f"{result['pods_per_second']:>8.1f} pods/s  "
            f"peak RSS {result['peak_rss_mib']:>7.1f} MiB  ({result['events']} events, revision "
            f"{result['revision']}, "
            f"{result['simulated_seconds']}s simulated; cluster start "
            f"{result['cluster_start_seconds']}s)",
            flush=True,
        )
        assert result["running"] == result["pods"], "not every pod reached Running"
    by_scale = {r["pods"]: r for r in results}
    if 10_000 in by_scale and 150_000 in by_scale:
        ratio = by_scale[150_000]["pods_per_second"] / by_scale[10_000]["pods_per_second"]
        print(f"pods/s at 150k relative to 10k: {ratio:.2f} (target: at least 0.75)")
    if 150_000 in by_scale:
        top = by_scale[150_000]
        print(
            f"at 150k: {top['pods_per_second']} pods/s (target: at least 2000), peak "
            f"{top['peak_rss_mib'] / 1024:.2f} GiB (target: at most 4)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
