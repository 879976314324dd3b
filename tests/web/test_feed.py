"""Feeding the web view's journal from a running cluster: the memory runtime and a Docker Engine
alike, and nothing more once detached."""

from __future__ import annotations

import time
from collections.abc import Callable

from listwatch.cluster import Cluster
from listwatch.engine import Engine
from listwatch.web import feed
from listwatch.web.journal import LIVE, Journal
from tests.builders import pod
from tests.dockerengine import BUSYBOX
from tests.served import serving


def test_once_detached_the_journal_hears_nothing_more(make_cluster: Callable[..., Cluster]) -> None:
    cluster = make_cluster(start=False)
    view = Journal(cluster.spec)
    detach = feed.attach(view, cluster)
    cluster.start()
    cluster.apply(pod("before"))
    cluster.settle()
    detach()
    seq = view.snapshot()["seq"]
    cluster.apply(pod("after"))
    cluster.settle()
    assert view.snapshot()["seq"] == seq
    assert [r["cells"][1] for r in view.snapshot()["pods"]] == ["before"]


def test_a_pod_on_the_docker_runtime_takes_its_steps_in_the_view(engine: Engine) -> None:
    sleeper = pod("sleeper", image=BUSYBOX, command=["sleep", "3600"])
    with serving(engine, nodes=("node01",), runtime="docker", trace_actions=True) as server:
        live = server.live
        journal = Journal(engine.spec, mode=LIVE)
        detach = live.call(feed.attach, journal, live.cluster)  # on the loop, as it runs
        try:
            live.call(live.cluster.apply, sleeper)
            deadline = time.monotonic() + 90
            while not [r for r in journal.snapshot()["pods"] if r["phase"] == "Running"]:
                assert time.monotonic() < deadline, "the pod never ran in a container"
                time.sleep(0.2)
            (row,) = journal.snapshot()["pods"]
            detail = journal.pod(row["uid"])
            assert detail is not None
            steps = [e["step"] for e in detail["timeline"] if e["kind"] == "step"]
            assert steps[0] == "LW-02" and steps[-1] == "LW-13"
            assert "Started" in [e["reason"] for e in detail["events"]]
        finally:
            live.call(detach)
