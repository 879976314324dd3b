"""The web view's journal, fed by a simulated cluster (`feed.attach`) or by a trace read back."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from listwatch import printers, tracefile
from listwatch.cluster import Cluster
from listwatch.flow import FlowTracker
from listwatch.trace import TraceWriter
from listwatch.web import feed, journal
from listwatch.web.journal import REPORT, TRACE, Journal
from tests.builders import pod

PLAIN_LESS_WATCHES = [
    "LW-02", "LW-03", "LW-04", "LW-05", "LW-06", "LW-07",
    "LW-08", "LW-09", "LW-10", "LW-11", "LW-12", "LW-13",
]  # fmt: skip


def fed(make_cluster: Callable[..., Cluster]) -> tuple[Cluster, Journal, Callable[[], None]]:
    cluster = make_cluster(start=False)
    view = Journal(cluster.spec, mode=REPORT)
    detach = feed.attach(view, cluster)
    cluster.start()
    return cluster, view, detach


def uid(cluster: Cluster, name: str) -> str:
    return str(cluster.api.get("pods", name, namespace="default")["metadata"]["uid"])


def test_a_pods_row_is_what_kubectl_get_pods_prints(make_cluster: Callable[..., Cluster]) -> None:
    cluster, view, _ = fed(make_cluster)
    cluster.apply(pod("web"))
    cluster.settle()
    stored = cluster.api.get("pods", "web", namespace="default")
    (row,) = view.snapshot()["pods"]
    now = datetime.fromtimestamp(view.now(), UTC)
    expected = ["default", *printers.pod_row(stored, now)]
    assert row["cells"][:5] == expected[:5] and row["cells"][6:] == expected[6:]  # AGE aside
    assert row["cells"][3] == "Running" and row["phase"] == "Running" and not row["deleted"]


def test_a_direct_pods_timeline_is_the_plain_path_each_step_with_its_writes_change(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster, view, _ = fed(make_cluster)
    cluster.apply(pod("web", node_selector={"cz": "bob"}))
    cluster.label_node("node02", "cz", "bob")
    cluster.settle()
    detail = view.pod(uid(cluster, "web"))
    assert detail is not None
    steps = [e for e in detail["timeline"] if e["kind"] == "step"]
    assert [e["step"] for e in steps] == PLAIN_LESS_WATCHES
    by_step = {e["step"]: e for e in steps}
    created = {c["path"] for c in by_step["LW-03"]["change"]["changes"]}
    assert {"metadata.name", "spec.nodeSelector.cz"} <= created
    bound = by_step["LW-10"]["change"]["changes"]
    assert {"op": "add", "path": "spec.nodeName", "old": None, "new": "node02"} in bound
    assert "change" not in by_step["LW-09"]  # a decision, not a write
    assert by_step["LW-07"]["repeats"] == "LW-03"
    # The scheduler's explanation and the Events come with it; the tree finds it healthy.
    (attempt,) = detail["explanations"]
    assert attempt["chosen"] == "node02"
    node01 = next(n for n in attempt["nodes"] if n["node"] == "node01")
    assert {"plugin": "NodeAffinity", "verdict": "Rejected"}.items() <= next(
        f for f in node01["filters"] if f["plugin"] == "NodeAffinity"
    ).items()
    assert [e["reason"] for e in detail["events"]][:1] == ["Scheduled"]
    assert detail["diagnosis"]["finding"] == "The pod is healthy"


def test_an_unschedulable_pod_gets_the_trees_finding_and_fix(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster, view, _ = fed(make_cluster)
    cluster.apply(pod("lost", node_selector={"cz": "nobody"}))
    cluster.settle()
    detail = view.pod(uid(cluster, "lost"))
    assert detail is not None
    diagnosis = detail["diagnosis"]
    assert diagnosis["finding"] == "No node matches the pod's nodeSelector"
    assert not diagnosis["healthy"] and diagnosis["fix"]
    assert detail["explanations"][-1]["chosen"] is None
    assert detail["explanations"][-1]["message"].startswith("0/2 nodes are available")


def test_changes_since_a_point_come_once_per_pod_however_many_writes(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster, view, _ = fed(make_cluster)
    start = view.snapshot()["seq"]
    cluster.apply(pod("a"))
    cluster.apply(pod("b"))
    cluster.settle()
    changed = view.since(start)
    assert sorted(r["cells"][1] for r in changed["pods"]) == ["a", "b"]
    assert sorted(changed["touched"]) == sorted([uid(cluster, "a"), uid(cluster, "b")])
    assert [r["step"] for r in changed["recent"] if r["object"] == "default/a"] == (
        PLAIN_LESS_WATCHES
    )
    assert changed["stepCounts"]["LW-02"] == 2
    quiet = view.since(changed["seq"])
    assert quiet["pods"] == [] and quiet["recent"] == [] and quiet["touched"] == []


def test_a_reader_waiting_for_changes_is_woken_by_one() -> None:
    from listwatch import engine

    view = Journal(engine.load().spec)
    seq = view.snapshot()["seq"]
    began = time.monotonic()
    assert view.since(seq, timeout=0.2)["seq"] == seq
    assert time.monotonic() - began >= 0.2
    got: list[dict[str, object]] = []
    reader = threading.Thread(target=lambda: got.append(view.since(seq, timeout=10)))
    reader.start()
    time.sleep(0.1)
    view.add({"type": "ADDED", "object": pod("x") | {"metadata": {"name": "x", "uid": "u1"}}})
    reader.join(5)
    assert not reader.is_alive() and [r["uid"] for r in got[0]["pods"]] == ["u1"]  # type: ignore[index]


def test_deleted_pods_stay_readable_until_the_oldest_is_forgotten(
    make_cluster: Callable[..., Cluster], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journal, "KEEP_DELETED", 2)
    cluster, view, _ = fed(make_cluster)
    start = view.snapshot()["seq"]
    uids = []
    for name in ("p1", "p2", "p3"):
        cluster.apply(pod(name))
        cluster.settle()
        uids.append(uid(cluster, name))
        cluster.delete("Pod", name, grace_period_seconds=0)
        cluster.settle()
    kept = {r["uid"]: r for r in view.snapshot()["pods"]}
    assert sorted(kept) == sorted(uids[1:]) and all(r["deleted"] for r in kept.values())
    assert view.pod(uids[0]) is None and view.pod(uids[2]) is not None
    assert view.since(start)["gone"] == [uids[0]]


def test_the_machines_counts_are_the_clusters(make_cluster: Callable[..., Cluster]) -> None:
    cluster, view, detach = fed(make_cluster)
    cluster.apply(pod("web"))
    cluster.settle()
    detach()
    machines = {m["name"]: m for m in view.snapshot()["machines"]}
    assert machines["scheduling"]["counts"] == cluster.states.counts["scheduling"]
    assert machines["scheduling"]["counts"]["Bound"] == 1
    assert machines["pod-phase"]["counts"].get("Running") == 1
    assert machines["pod-phase"]["states"][0] == "Pending"


def test_a_trace_read_back_gives_the_view_the_run_gave(
    make_cluster: Callable[..., Cluster],
) -> None:
    cluster = make_cluster(start=False)
    live = Journal(cluster.spec, mode=REPORT)
    feed.attach(live, cluster)
    written = io.StringIO()
    writer = TraceWriter.to_stream(written)  # as `listwatch run --trace` writes it
    writer.observe(cluster.api)
    cluster.sinks.add(FlowTracker(cluster.spec.flow, writer.step))
    cluster.on_explain(writer.explain)
    cluster.start()
    cluster.apply(pod("web", node_selector={"cz": "bob"}))
    cluster.label_node("node02", "cz", "bob")
    cluster.settle()
    writer.close()

    replay = Journal(cluster.spec, mode=TRACE)
    for record in tracefile.read(io.StringIO(written.getvalue()), name="trace"):
        replay.add_record(record)
    replay.close()
    assert replay.snapshot()["closed"] and replay.mode == TRACE
    assert [r["cells"] for r in replay.snapshot()["pods"]] == [
        r["cells"] for r in live.snapshot()["pods"]
    ]
    assert replay.snapshot()["stepCounts"] == live.snapshot()["stepCounts"]
    web = uid(cluster, "web")
    seen, wanted = replay.pod(web), live.pod(web)
    assert seen is not None and wanted is not None

    def unnumbered(timeline: list[dict[str, object]]) -> list[dict[str, object]]:
        return [{k: v for k, v in entry.items() if k != "seq"} for entry in timeline]

    assert unnumbered(seen["timeline"]) == unnumbered(wanted["timeline"])
    for key in ("events", "explanations", "diagnosis"):
        assert seen[key] == wanted[key], key


def test_a_pod_that_writes_without_end_keeps_its_beginning_and_its_latest(
    make_cluster: Callable[..., Cluster], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journal, "MOST_HISTORY", 20)
    monkeypatch.setattr(journal, "HISTORY_HEAD", 5)
    cluster, view, _ = fed(make_cluster)
    cluster.apply(pod("web"))
    cluster.settle()
    web = uid(cluster, "web")
    for value in range(30):  # kubectl label pods web round=N --overwrite
        patch = {"metadata": {"labels": {"round": str(value)}}}
        cluster.api.patch("pods", "web", patch, namespace="default")
        cluster.settle()
    detail = view.pod(web)
    assert detail is not None
    timeline = detail["timeline"]
    assert len(timeline) <= 20
    assert [e["step"] for e in timeline[:2]] == ["LW-02", "LW-03"]  # how it came to be
    last = timeline[-1]["change"]["changes"]
    assert {"op": "change", "path": "metadata.labels.round", "old": "28", "new": "29"} in last


def test_a_record_that_changes_nothing_shown_does_not_end_the_wait() -> None:
    from listwatch import engine

    view = Journal(engine.load().spec)
    seq = view.snapshot()["seq"]
    heartbeat = {"type": "MODIFIED", "object": {"kind": "Node", "metadata": {"name": "node01"}}}
    threading.Timer(0.1, view.add, (heartbeat,)).start()
    began = time.monotonic()
    assert view.since(seq, timeout=0.5)["seq"] == seq
    assert time.monotonic() - began >= 0.5
