"""Runs of the memory backend recorded as `listwatch run --trace` records them: the good traces the
checker's tests judge, break and vary."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from listwatch import cli
from listwatch.cluster import Cluster
from listwatch.engine import Engine
from listwatch.flow import FlowTracker
from listwatch.trace import TraceWriter
from tests.builders import pod, replication_controller

Records = list[dict[str, Any]]
Act = Callable[[Cluster], object]


def record(engine: Engine, act: Act) -> Records:
    """A run of the memory backend, as `listwatch run --trace` writes it: watch events and STEP
    records."""
    records: Records = []
    writer = TraceWriter(records.append)
    cluster = Cluster(engine, sinks=[FlowTracker(engine.spec.flow, writer.step)])
    writer.observe(cluster.api)
    cluster.start()
    act(cluster)
    writer.close()
    cluster.close()
    loaded: Records = json.loads(json.dumps(records))
    return loaded


def tutorial(directory: Path) -> Records:
    """`listwatch run --trace FILE`: the tutorial's nodeName pod, the nodes labelled, its
    nodeSelector pod."""
    path = directory / "tutorial.jsonl"
    assert cli.main(["run", "--trace", str(path)], out=io.StringIO(), err=io.StringIO()) == 0
    return [json.loads(line) for line in path.read_text().splitlines()]


def replicas(c: Cluster) -> None:
    """A ReplicationController of 2, scaled to 3, then one of its pods deleted (and replaced)."""
    c.apply(replication_controller("rc", 2))
    c.settle()
    c.scale("replicationcontrollers", "rc", 3)
    c.settle()
    c.delete("pods", c.pods()[0]["metadata"]["name"])
    c.settle()


def upgrade(c: Cluster) -> None:
    """A nodeName pod whose image is changed once it runs."""
    c.apply(pod("web", node_name="node01"))
    c.settle()
    c.set_image("web", "nginx", "nginx:1.16")
    c.settle()


def labelled_later(c: Cluster) -> None:
    """A pod whose nodeSelector no node matches, until node02 gets the label."""
    c.apply(pod("web", node_selector={"cz": "bob"}))
    c.settle()
    c.label_node("node02", "cz", "bob")
    c.settle()


def settled(manifest: dict[str, Any]) -> Act:
    """Create the pod and let the cluster settle."""
    return lambda c: (c.apply(manifest), c.settle())


def for_seconds(manifest: dict[str, Any], seconds: float) -> Act:
    """Create the pod and let `seconds` of logical time pass (a pod that never settles: restarts,
    pull retries)."""
    return lambda c: (c.apply(manifest), c.advance(seconds))
