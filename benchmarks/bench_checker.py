"""Benchmark of the streaming checker: `listwatch check` on traces the memory backend records.

Two kinds of trace, each recorded at two lengths (by default 250,000 and 1,000,000 records) in a
fresh process through the trace writer (`listwatch run --trace` writes the same records: watch
events of Pods, Nodes and Events, and a STEP record per spec step) to a temporary file:

- many pods: pods created in batches of 1,000 on 500 nodes labelled across 10 zones, a third
  naming their node (spec.nodeName), a third selecting a zone (nodeSelector), a third
  unconstrained; every tenth pod of a batch deleted once the batch runs. The longer trace has
  about four times the pods, so what the checker holds per pod shows.
- same pods, longer: 1,000 pods whose container exits 1 under restartPolicy Always, restarted by
  the kubelet in CrashLoopBackOff for as long as the trace needs. Both lengths hold the same
  pods: the checker streams, so its memory must not grow with the trace's length.

Each trace is then judged by `listwatch check FILE`, run as a subprocess; the figures are its wall
time (interpreter start and spec loading included), records per second, and its peak RSS (from
`wait4`, the child's own), beside the same command's on a one-record trace (what the interpreter,
listwatch and the spec take before any record). Wall-clock figures: run it on a quiet machine.
Target (issue 3): at least 50,000 records/s on a 1,000,000-record trace.

    python benchmarks/bench_checker.py                        # 250k and 1M records, both kinds
    python benchmarks/bench_checker.py --records 100000 --records 400000 --kind many-pods
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LENGTHS = (250_000, 1_000_000)
KINDS = ("many-pods", "same-pods")
TARGET = 50_000
NODES = 500
ZONES = 10
BATCH = 1_000
CRASHING_PODS = 1_000


def _pod(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": "bench"}},
        "spec": spec,
    }


def record(kind: str, records: int, path: str, spec: str | None = None) -> dict[str, Any]:
    """Record a trace of at least `records` records of the memory backend into `path` (in this
    process)."""
    sys.path.insert(0, str(ROOT / "engine"))
    from listwatch import engine
    from listwatch.cluster import Cluster
    from listwatch.flow import FlowTracker
    from listwatch.trace import TraceWriter

    gc.set_threshold(
        100_000, 1_000, 1_000
    )  # trees of dicts without cycles: no need to rescan the heap often
    eng = engine.load(spec)
    nodes = [f"node{i:03d}" for i in range(NODES if kind == "many-pods" else 100)]
    labels = {name: {"zone": f"z{i % ZONES}"} for i, name in enumerate(nodes)}
    start = time.perf_counter()
    pods = 0
    with open(path, "w", encoding="utf-8") as stream:
        writer = TraceWriter.to_stream(stream)
        cluster = Cluster(
            eng, nodes=nodes, node_labels=labels, sinks=[FlowTracker(eng.spec.flow, writer.step)]
        )
        writer.observe(cluster.api)
        cluster.start()
        if kind == "many-pods":
            while writer.records < records:
                names = []
                for i in range(pods, pods + BATCH):
                    spec: dict[str, Any] = {"containers": [{"name": "app", "image": "nginx:1.25"}]}
                    if i % 3 == 0:
                        spec["nodeName"] = nodes[(i * 7) % len(nodes)]
                    elif i % 3 == 1:
                        spec["nodeSelector"] = {"zone": f"z{i % ZONES}"}
                    names.append(f"pod-{i:07d}")
                    cluster.apply(_pod(names[-1], spec))
                pods += BATCH
                cluster.settle()
                for name in names[::10]:
                    cluster.delete("pods", name)
                cluster.settle()
        else:
            command = ["sh", "-c", "sleep 1; exit 1"]
            for i in range(CRASHING_PODS):
                cluster.apply(
                    _pod(
                        f"crash-{i:05d}",
                        {
                            "containers": [
                                {"name": "app", "image": "busybox:1.36", "command": command}
                            ]
                        },
                    )
                )
            pods = CRASHING_PODS
            while writer.records < records:
                cluster.advance(30)
        writer.close()
        cluster.close()
    return {
        "kind": kind,
        "records": writer.records,
        "pods": pods,
        "seconds": round(time.perf_counter() - start, 1),
    }


def check(path: str, spec: str | None, env: dict[str, str]) -> dict[str, Any]:
    """`listwatch check FILE` in a subprocess: its wall time, its peak RSS, what it reported."""
    command = [
        sys.executable,
        "-m",
        "listwatch",
        *(["--spec", spec] if spec else []),
        "check",
        path,
    ]
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        last = out.read().rstrip().rpartition("\n")[2]
    return {
        "exit": child.returncode,
        "seconds": seconds,
        "peak_rss_mib": usage.ru_maxrss / 1024,
        "summary": last,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--records",
        type=int,
        action="append",
        help="trace lengths (repeatable); default: 250k and 1M",
    )
    parser.add_argument(
        "--kind", choices=KINDS, action="append", help="which traces (repeatable); default: both"
    )
    parser.add_argument("--keep", metavar="DIR", help="write the traces to DIR and keep them")
    parser.add_argument(
        "--spec", metavar="DIR", help="the spec to run and check with (default: the shipped one)"
    )
    parser.add_argument(
        "--record", nargs=3, metavar=("KIND", "RECORDS", "FILE"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.record:
        print(json.dumps(record(args.record[0], int(args.record[1]), args.record[2], args.spec)))
        return 0
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "engine"), os.environ.get("PYTHONPATH", "")]),
    }
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-checker-") as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        empty = folder / "one-record.jsonl"
        empty.write_text(
            '{"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"1"}}}\n'
        )
        baseline = check(str(empty), args.spec, env)
        print(
            f"baseline: `listwatch check` on a one-record trace takes {baseline['seconds']:.1f}s "
            f"and {baseline['peak_rss_mib']:.0f} MiB "
            "(the interpreter, listwatch and the spec loaded)",
            flush=True,
        )
        for kind in args.kind or KINDS:
            for length in args.records or LENGTHS:
                path = folder / f"{kind}-{length}.jsonl"
                done = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        *(["--spec", args.spec] if args.spec else []),
                        "--record",
                        kind,
                        str(length),
                        str(path),
                    ],
                    capture_output=True,
                    text=True,
                    check=False,
                    env=env,
                )
                if done.returncode != 0:
                    print(done.stderr, file=sys.stderr)
                    return done.returncode
                made = json.loads(done.stdout)
                size = path.stat().st_size / 2**20
                judged = check(str(path), args.spec, env)
                rate = made["records"] / judged["seconds"]
                results.append({**made, **judged, "rate": rate})
                print(
                    f"{kind:>9} {made['records']:>9,} records ({made['pods']:,} pods, {size:,.0f} "
                    f"MiB, recorded in {made['seconds']}s): "
                    f"checked in {judged['seconds']:.1f}s = {rate:,.0f} records/s, peak RSS "
                    f"{judged['peak_rss_mib']:.0f} MiB",
                    flush=True,
                )
                print(f"{'':>10}{judged['summary']}", flush=True)
                if judged["exit"] != 0:
                    print(
                        f"{'':>10}listwatch check exited {judged['exit']}: the recorded run "
                        "should keep to the spec",
                        file=sys.stderr,
                    )
                    return 1
    for kind in args.kind or KINDS:
        mine = sorted((r for r in results if r["kind"] == kind), key=lambda r: r["records"])
        top = mine[-1]
        verdict = "meets" if top["rate"] >= TARGET else "is BELOW"
        print(
            f"{kind}: at {top['records']:,} records, {top['rate']:,.0f} records/s, which "
            f"{verdict} the target of {TARGET:,} records/s"
        )
        if len(mine) >= 2:
            small, big = mine[0], mine[-1]
            growth = big["peak_rss_mib"] / small["peak_rss_mib"]
            per_pod = (
                (big["peak_rss_mib"] - small["peak_rss_mib"]) * 1024 / (big["pods"] - small["pods"])
                if big["pods"] != small["pods"]
                else 0.0
            )
            why = (
                f"it grows with the pods, about {per_pod:.1f} KiB a pod"
                if per_pod
                else "the same pods, the same memory"
            )
            print(
                f"{'':>10}{big['records'] / small['records']:.1f}x the records, "
                f"{big['pods'] / small['pods']:.1f}x the pods: "
                f"peak RSS {small['peak_rss_mib']:.0f} -> {big['peak_rss_mib']:.0f} MiB "
                f"({growth:.2f}x): {why}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
