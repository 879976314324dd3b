"""Shared fixtures: the loaded engine, a cluster factory, and manifests as Python data."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from listwatch import engine as engine_module
from listwatch.actions import Action
from listwatch.cluster import Cluster
from listwatch.engine import Engine
from listwatch.spec import loading

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "spec"
REAL_WORLD = ROOT.parent / "shared" / "real-world"
BACKENDS = ("memory", "docker", "cluster")

pytest_plugins = ["tests.bdd.steps"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("listwatch")
    group.addoption("--backend", choices=BACKENDS, default="memory", help="where the features run (default: memory)")
    group.addoption("--kubeconfig", default=None, help="the cluster backend's kubeconfig")


def pytest_configure(config: pytest.Config) -> None:
    """Every spec step ID is a marker, so that features can be tagged with the steps they cover."""
    for step in loading.load(SPEC).flow.steps:
        config.addinivalue_line("markers", f"{step.id}: covers spec step {step.id}: {step.title}")


@pytest.fixture(scope="session")
def engine() -> Engine:
    return engine_module.load(SPEC)


@pytest.fixture
def actions() -> list[Action]:
    return []


@pytest.fixture
def make_cluster(engine: Engine, actions: list[Action]) -> Iterator[Callable[..., Cluster]]:
    made: list[Cluster] = []

    def make(*, nodes: tuple[str, ...] = ("node01", "node02"), start: bool = True, eng: Engine | None = None, **kwargs: Any) -> Cluster:
        cluster = Cluster(eng or engine, nodes=nodes, sinks=[actions.append], **kwargs)
        made.append(cluster)
        if start:
            cluster.start()
        return cluster

    yield make
    for cluster in made:
        cluster.close()
