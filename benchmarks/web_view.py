"""The web view with many pods: does the page stay responsive, and what does it cost the cluster?

A served cluster of `--nodes` nodes (memory runtime, its clock `--speed` times faster, its web
view on) gets
`--pods` pods through the API server; a headless chromium (Debian's, as the tests use it) keeps
the page open throughout. Measured, each at the baseline size (`--baseline` pods) and at the
full size, in this one run:

- load: from asking for the page until its table shows every pod (and its first paint);
- update: from a create through the API until the new pod's row is in the page (median of
  `--samples`), and until the row says Running;
- filter: from typing a name into the filter until the table shows that one pod;
- the data: the snapshot's size, and what one pod's change costs in a response;
- the cluster: the time to bring the pods to Running with the page open, and with `--no-ui`
  (no journal, no acts reported) for the ratio.

    python benchmarks/web_view.py                    # 5000 pods, baseline 10
    python benchmarks/web_view.py --pods 2000 --speed 20
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "engine"), str(ROOT)]

from selenium.webdriver.common.by import By  # noqa: E402
from tests.web import chromium  # noqa: E402

from listwatch import engine as engine_module  # noqa: E402
from listwatch.server import Server  # noqa: E402
from listwatch.server.command import WebView  # noqa: E402

#: Appends, in the page, the moment (ms since the epoch) each row appears and says Running.
WATCH_ROWS = """
window.seen = {};
new MutationObserver(() => {
  for (const tr of document.querySelectorAll('#pods tbody tr[data-key^="default/probe-"]')) {
    const key = tr.dataset.key, entry = window.seen[key] || (window.seen[key] = {});
    if (!entry.row) entry.row = Date.now();
    if (!entry.running && tr.dataset.status === "Running") entry.running = Date.now();
  }
}).observe(document.querySelector('#pods tbody'), {subtree: true, childList: true,
  attributes: true, attributeFilter: ["data-status"]});
"""


def pod(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"containers": [{"name": "app", "image": "nginx:1.25"}]},
    }


def create(server: Server, names: list[str]) -> None:
    cluster = server.live.cluster
    for start in range(0, len(names), 200):
        batch = names[start : start + 200]
        server.live.call(lambda b=batch: [cluster.apply(pod(n)) for n in b], timeout=120)


def running(server: Server) -> int:
    def count() -> int:
        pods = server.live.api.list("pods", namespace="default").items
        return sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Running")

    return server.live.call(count, timeout=120)


def bring_up(server: Server, count: int, prefix: str) -> float:
    """Create `count` pods and wait until every pod is Running; the seconds it took."""
    began = time.perf_counter()
    create(server, [f"{prefix}-{i:05d}" for i in range(count)])
    while (up := running(server)) < count:
        if time.perf_counter() - began > 1800:
            raise SystemExit(f"only {up} of {count} pods Running after 30 minutes")
        time.sleep(0.2)
    return time.perf_counter() - began


def nodes(count: int) -> list[str]:
    """Enough nodes for the pods: a kubelet takes 110 pods at most."""
    return [f"node{i:02d}" for i in range(1, count + 1)]


def measure(pods: int, args: argparse.Namespace, spec_dir: str | None) -> dict[str, Any]:
    engine = engine_module.load(spec_dir)
    server = Server(engine, nodes=nodes(args.nodes), port=0, speed=args.speed, trace_actions=True)
    view = WebView.before_start(server, port=0)
    server.start()
    view.start()
    driver = chromium.start(height=1200)
    try:
        driver.get(view.url)
        # The pods come while the page is open, as they would on a cluster a learner watches.
        cluster_seconds = bring_up(server, pods, "web")
        began = time.perf_counter()
        driver.get(view.url)
        want = f"{pods} pods"
        while driver.find_element(By.ID, "pod-count").text != want:
            time.sleep(0.01)
        load = time.perf_counter() - began
        paint = driver.execute_script(
            "const p = performance.getEntriesByName('first-contentful-paint')[0];"
            "return p ? p.startTime : null;"
        )
        driver.execute_script(WATCH_ROWS)
        rows, runs = [], []
        for i in range(args.samples):
            name = f"probe-{i:03d}"
            sent = time.time() * 1000
            create(server, [name])
            while True:
                seen = driver.execute_script(f"return window.seen['default/{name}'] || null")
                if seen and seen.get("running"):
                    break
                time.sleep(0.005)
            rows.append(seen["row"] - sent)
            runs.append(seen["running"] - sent)
        box = driver.find_element(By.ID, "pod-filter")
        began = time.perf_counter()
        box.send_keys(f"web-{pods - 1:05d}")
        while (
            driver.find_element(By.ID, "pod-count").text
            != f"showing 1 of {pods + args.samples} pods"
        ):
            time.sleep(0.005)
        filtered = time.perf_counter() - began
        snapshot = urllib.request.urlopen(view.url.replace("/?", "/api/snapshot?"), timeout=60)
        size = len(snapshot.read())
        seq = json.loads(
            urllib.request.urlopen(view.url.replace("/?", "/api/snapshot?"), timeout=60).read()
        )["seq"]
        create(server, ["probe-last"])
        time.sleep(0.5)
        change = urllib.request.urlopen(
            view.url.replace("/?", f"/api/changes?since={seq}&"), timeout=60
        ).read()
        return {
            "pods": pods,
            "cluster_seconds": cluster_seconds,
            "load_seconds": load,
            "first_paint_ms": paint,
            "row_ms": statistics.median(rows),
            "running_ms": statistics.median(runs),
            "filter_ms": filtered * 1000,
            "snapshot_bytes": size,
            "one_pod_change_bytes": len(change),
        }
    finally:
        driver.quit()
        view.stop()
        server.stop()


def without_ui(pods: int, args: argparse.Namespace, spec_dir: str | None) -> float:
    server = Server(engine_module.load(spec_dir), nodes=nodes(args.nodes), port=0, speed=args.speed)
    server.start()
    try:
        return bring_up(server, pods, "web")
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pods", type=int, default=5000)
    parser.add_argument("--baseline", type=int, default=10)
    parser.add_argument("--samples", type=int, default=7)
    parser.add_argument("--speed", type=float, default=20.0)
    parser.add_argument("--nodes", type=int, default=50)
    parser.add_argument("--spec", default=None)
    args = parser.parse_args()
    small = measure(args.baseline, args, args.spec)
    large = measure(args.pods, args, args.spec)
    plain = without_ui(args.pods, args, args.spec)
    print(
        f"web view, {args.baseline} pods (baseline) and {args.pods} pods, {args.nodes} nodes, "
        f"clock x{args.speed:g}"
    )
    for key, unit in (
        ("load_seconds", "s"),
        ("first_paint_ms", "ms"),
        ("row_ms", "ms"),
        ("running_ms", "ms"),
        ("filter_ms", "ms"),
        ("snapshot_bytes", "B"),
        ("one_pod_change_bytes", "B"),
    ):
        a, b = small[key], large[key]
        ratio = f"{b / a:.2f}x" if a else "-"
        print(f"  {key:22} {a:12.1f} {unit:2}  {b:12.1f} {unit:2}  ({ratio} the baseline)")
    print(
        f"  bringing {args.pods} pods to Running: {large['cluster_seconds']:.1f} s with the page "
        f"open, {plain:.1f} s with --no-ui ({large['cluster_seconds'] / plain:.2f}x)"
    )


if __name__ == "__main__":
    main()
