"""StatefulSets on an update: the generation moves with the spec only (statefulSetStrategy's
PrepareForUpdate), never through the status subresource."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from listwatch.apiserver.kinds import statefulsets
from listwatch.cluster import Cluster


def stateful_set(name: str = "web") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name},
        "spec": {
            "serviceName": name,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx:1.14"}]},
            },
        },
    }


@pytest.fixture
def cluster(make_cluster: Callable[..., Cluster]) -> Cluster:
    # The API server alone: no statefulset controller writes the status.
    return make_cluster(without=("controller-manager", "scheduler", "kubelet"))


def test_a_change_of_the_template_or_the_replicas_moves_the_generation(cluster: Cluster) -> None:
    created = cluster.api.create("statefulsets", stateful_set(), namespace="default")
    assert created["metadata"]["generation"] == 1
    assert created["status"] == {"replicas": 0, "availableReplicas": 0}
    image = {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "x:2"}]}}}}
    assert cluster.patch("statefulsets", "web", image)["metadata"]["generation"] == 2
    scaled = cluster.scale("statefulsets", "web", 3)
    assert scaled["metadata"]["generation"] == 3


def test_labels_and_status_leave_the_generation_alone(cluster: Cluster) -> None:
    created = cluster.api.create("statefulsets", stateful_set(), namespace="default")
    labelled = cluster.patch("statefulsets", "web", {"metadata": {"labels": {"tier": "db"}}})
    assert labelled["metadata"]["generation"] == 1
    status = {**labelled, "status": {"replicas": 0, "availableReplicas": 0, "collisionCount": 0}}
    written = cluster.api.update_status("statefulsets", status, actor="test")
    assert written["metadata"]["generation"] == 1 and written["status"]["collisionCount"] == 0
    assert created["metadata"]["uid"] == written["metadata"]["uid"]


def test_prepare_update_counts_from_the_old_generation() -> None:
    old = {"metadata": {"generation": 4}, "spec": {"replicas": 1}}
    assert (
        statefulsets.prepare_update(old, {**old, "spec": {"replicas": 2}}, {}, status=False)[
            "metadata"
        ]["generation"]
        == 5
    )
    assert (
        statefulsets.prepare_update(old, dict(old), {}, status=False)["metadata"]["generation"] == 4
    )
    changed = {**old, "spec": {"replicas": 2}}
    assert statefulsets.prepare_update(old, changed, {}, status=True) is changed
