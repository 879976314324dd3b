"""The kubelet's volumes: what a configMap or secret projects, and a mount that fails."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from listwatch.cluster import Cluster
from listwatch.components.kubelet import volumes
from listwatch.runtime.volumes import Projected, Volume
from tests.builders import events_of, pod


@pytest.fixture
def cluster(make_cluster: Callable[..., Cluster]) -> Cluster:
    return make_cluster()


def with_volumes(name: str, *sources: dict[str, Any]) -> dict[str, Any]:
    made = pod(name, node_name="node01")
    made["spec"]["volumes"] = list(sources)
    made["spec"]["containers"][0]["volumeMounts"] = [
        {"name": s["name"], "mountPath": f"/mnt/{s['name']}"} for s in sources
    ]
    return made


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_a_config_map_projects_every_key_and_its_binary_data(cluster: Cluster) -> None:
    cluster.api.create(
        "configmaps",
        {"metadata": {"name": "cfg"}, "data": {"a": "1"}, "binaryData": {"b": b64("\x00\x01")}},
    )
    resolved = volumes.resolve(
        cluster.api, with_volumes("p", {"name": "c", "configMap": {"name": "cfg"}})
    )
    assert resolved == [
        Volume(
            "c",
            "configmap",
            {"a": Projected(b"1", 0o644), "b": Projected(b"\x00\x01", 0o644)},
            read_only=True,
        )
    ]


def test_items_choose_keys_paths_and_modes_and_a_secret_is_decoded(cluster: Cluster) -> None:
    cluster.api.create("secrets", {"metadata": {"name": "s"}, "data": {"pw": b64("hunter2")}})
    source = {
        "name": "sec",
        "secret": {
            "secretName": "s",
            "defaultMode": 0o400,
            "items": [{"key": "pw", "path": "deep/password"}],
        },
    }
    (resolved,) = volumes.resolve(cluster.api, with_volumes("p", source))  # type: ignore[misc]
    assert resolved.files == {"deep/password": Projected(b"hunter2", 0o400)}
    assert resolved.plugin == "secret" and resolved.read_only


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ({"configMap": {"name": "nope"}}, 'configmap "nope" not found'),
        ({"secret": {"secretName": "nope"}}, 'secret "nope" not found'),
        (
            {"configMap": {"name": "cfg", "items": [{"key": "missing", "path": "m"}]}},
            "configmap references non-existent config key: missing",
        ),
    ],
)
def test_what_is_missing_fails_the_mount_with_the_kubelet_s_message(
    cluster: Cluster, source: dict[str, Any], error: str
) -> None:
    cluster.api.create("configmaps", {"metadata": {"name": "cfg"}, "data": {"a": "1"}})
    resolved = volumes.resolve(cluster.api, with_volumes("p", {"name": "v", **source}))
    assert resolved == volumes.MountFailure("v", error)


def test_an_optional_source_that_is_missing_is_an_empty_volume(cluster: Cluster) -> None:
    source = {"name": "v", "configMap": {"name": "nope", "optional": True}}
    resolved = volumes.resolve(cluster.api, with_volumes("p", source))
    assert resolved == [Volume("v", "configmap", {}, read_only=True)]


def test_a_pod_whose_config_map_is_missing_waits_in_container_creating_until_it_exists(
    cluster: Cluster,
) -> None:
    cluster.apply(with_volumes("web", {"name": "config", "configMap": {"name": "web-config"}}))
    cluster.settle(horizon=cluster.loop.clock.now() + 30)
    web = cluster.pod("web")
    assert web["status"]["phase"] == "Pending"
    assert web["status"]["containerStatuses"][0]["state"] == {
        "waiting": {"reason": "ContainerCreating"}
    }
    failed = [e for e in events_of(cluster, "web") if e[1] == "FailedMount"]
    assert failed and failed[0] == (
        "Warning",
        "FailedMount",
        'MountVolume.SetUp failed for volume "config" : configmap "web-config" not found',
    )
    cluster.apply({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-config"}})
    assert cluster.settle(until=lambda: cluster.pod("web")["status"]["phase"] == "Running")
