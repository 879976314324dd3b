"""DaemonSets with the official Python client against `listwatch serve`, as an operator reads
them: the typed DaemonSet and its status, the pods it made, its ControllerRevisions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from listwatch.engine import Engine
from tests.served import official_client, serving, wait_until

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client  # noqa: E402


@pytest.fixture(scope="module")
def api_client(engine: Engine) -> Iterator[Any]:
    with serving(engine, speed=10) as server, official_client(server) as made:
        yield made


def test_the_client_creates_a_daemon_set_and_reads_its_status_pods_and_revisions(
    api_client: Any,
) -> None:
    apps = client.AppsV1Api(api_client)
    core = client.CoreV1Api(api_client)
    body = client.V1DaemonSet(
        metadata=client.V1ObjectMeta(name="agent"),
        spec=client.V1DaemonSetSpec(
            selector=client.V1LabelSelector(match_labels={"app": "agent"}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels={"app": "agent"}),
                spec=client.V1PodSpec(
                    containers=[
                        client.V1Container(
                            name="main", image="busybox:1.36", command=["sleep", "3600"]
                        )
                    ]
                ),
            ),
        ),
    )
    created = apps.create_namespaced_daemon_set("default", body)
    assert created.spec.update_strategy.rolling_update.max_unavailable == 1
    assert created.metadata.annotations == {"deprecated.daemonset.template.generation": "1"}

    def ready() -> bool:
        status = apps.read_namespaced_daemon_set_status("agent", "default").status
        return status.number_available == 2 and status.observed_generation == 1

    assert wait_until(ready, timeout=30)
    status = apps.read_namespaced_daemon_set("agent", "default").status
    assert (
        status.desired_number_scheduled,
        status.current_number_scheduled,
        status.number_ready,
        status.updated_number_scheduled,
        status.number_misscheduled,
        status.number_unavailable,
    ) == (2, 2, 2, 2, 0, None)
    pods = core.list_namespaced_pod("default", label_selector="app=agent").items
    assert sorted(p.spec.node_name for p in pods) == ["node01", "node02"]
    (revision,) = apps.list_namespaced_controller_revision(
        "default", label_selector="app=agent"
    ).items
    assert revision.revision == 1
    assert revision.metadata.owner_references[0].kind == "DaemonSet"
    hash_ = revision.metadata.labels["controller-revision-hash"]
    assert {p.metadata.labels["controller-revision-hash"] for p in pods} == {hash_}
    assert revision.data["spec"]["template"]["$patch"] == "replace"
