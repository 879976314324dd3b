"""Shared fixtures: the loaded engine, a cluster factory, and manifests as Python data."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from listwatch.actions import Action
from listwatch.cluster import Cluster
from listwatch.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "spec"
REAL_WORLD = ROOT.parent / "shared" / "real-world"
pytest_plugins = [
    "tests.bdd.plugin",
    "tests.bdd.steps",
    "tests.bdd.disruption_steps",
    "tests.bdd.troubleshooting_steps",
    "tests.bdd.deployment_steps",
    "tests.bdd.job_steps",
    "tests.bdd.daemonset_steps",
    "tests.bdd.statefulset_steps",
    "tests.bdd.explain_steps",
    "tests.dockerengine",
    "tests.served",
]


@pytest.fixture
def actions() -> list[Action]:
    return []


@pytest.fixture
def make_cluster(engine: Engine, actions: list[Action]) -> Iterator[Callable[..., Cluster]]:
    made: list[Cluster] = []

    def make(
        *,
        nodes: tuple[str, ...] = ("node01", "node02"),
        start: bool = True,
        eng: Engine | None = None,
        **kwargs: Any,
    ) -> Cluster:
        cluster = Cluster(eng or engine, nodes=nodes, sinks=[actions.append], **kwargs)
        made.append(cluster)
        if start:
            cluster.start()
        return cluster

    yield make
    for cluster in made:
        cluster.close()
    # A component catches what it fails to handle and goes on: that must not hide a bug here. A
    # test that feeds a component such an object takes its errors off the list itself.
    failed = [str(error) for cluster in made for error in cluster.component_errors]
    assert not failed, "a component failed to handle an object:\n" + "\n".join(failed)
