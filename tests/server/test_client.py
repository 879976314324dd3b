"""The official Python client (`kubernetes`) against the served API: what the cluster backend and
outside components (a scheduler of one's own) do with it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from listwatch.engine import Engine
from listwatch.server import Server
from tests.served import official_client, serving, wait_until

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client, watch  # noqa: E402


@pytest.fixture(scope="module")
def server(engine: Engine) -> Iterator[Server]:
    with serving(engine, without=("scheduler",)) as served:
        yield served


@pytest.fixture(scope="module")
def v1(server: Server) -> Iterator[Any]:
    with official_client(server) as api_client:
        yield client.CoreV1Api(api_client)


def a_pod(name: str, **spec: Any) -> Any:
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name, labels={"app": "client"}),
        spec=client.V1PodSpec(
            containers=[
                client.V1Container(
                    name="c", image="busybox", command=["sh", "-c", "echo hi; sleep 3600"]
                )
            ],
            **spec,
        ),
    )


def test_the_client_creates_reads_and_lists_with_selectors(v1: Any) -> None:
    created = v1.create_namespaced_pod("default", a_pod("c-one", node_name="node01"))
    assert created.metadata.uid and created.spec.scheduler_name == "default-scheduler"
    listed = v1.list_namespaced_pod(
        "default", label_selector="app=client", field_selector="spec.nodeName=node01"
    )
    assert "c-one" in [p.metadata.name for p in listed.items]
    assert v1.read_namespaced_pod("c-one", "default").spec.node_name == "node01"


def test_an_outside_scheduler_watches_unbound_pods_and_binds_them(v1: Any) -> None:
    """What item 4's external scheduler does: watch pods without a node, POST the binding."""
    start_rv = v1.list_namespaced_pod("default").metadata.resource_version
    bound = threading.Event()

    def scheduler() -> None:
        w = watch.Watch()
        for event in w.stream(
            v1.list_namespaced_pod,
            "default",
            field_selector="spec.nodeName=,spec.schedulerName=default-scheduler",
            resource_version=start_rv,
            timeout_seconds=30,
        ):
            pod = event["object"]
            if event["type"] == "ADDED" and pod.metadata.name == "c-unbound":
                binding = client.V1Binding(
                    metadata=client.V1ObjectMeta(name=pod.metadata.name),
                    target=client.V1ObjectReference(kind="Node", name="node02"),
                )
                v1.create_namespaced_pod_binding(
                    pod.metadata.name, "default", binding, _preload_content=False
                )
                bound.set()
                w.stop()

    thread = threading.Thread(target=scheduler, daemon=True)
    thread.start()
    v1.create_namespaced_pod("default", a_pod("c-unbound"))
    assert bound.wait(30)
    thread.join(10)
    assert v1.read_namespaced_pod("c-unbound", "default").spec.node_name == "node02"
    assert wait_until(
        lambda: v1.read_namespaced_pod("c-unbound", "default").status.phase == "Running", timeout=20
    )


def test_the_client_reads_logs_and_patches_labels(v1: Any, server: Server) -> None:
    v1.create_namespaced_pod("default", a_pod("c-logs", node_name="node02"))
    assert wait_until(
        lambda: v1.read_namespaced_pod("c-logs", "default").status.phase == "Running", timeout=20
    )
    assert wait_until(lambda: v1.read_namespaced_pod_log("c-logs", "default") == "hi\n")
    patched = v1.patch_namespaced_pod(
        "c-logs", "default", {"metadata": {"labels": {"patched": "yes"}}}
    )
    assert patched.metadata.labels == {"app": "client", "patched": "yes"}
    node = v1.patch_node("node01", {"metadata": {"labels": {"cz": "alice"}}})
    assert node.metadata.labels["cz"] == "alice"


def test_the_client_gets_api_exceptions_with_kubernetes_status_codes(v1: Any) -> None:
    with pytest.raises(client.ApiException) as missing:
        v1.read_namespaced_pod("c-nope", "default")
    assert missing.value.status == 404 and '"reason":"NotFound"' in missing.value.body
    v1.create_namespaced_pod("default", a_pod("c-dup", node_name="node01"))
    with pytest.raises(client.ApiException) as duplicate:
        v1.create_namespaced_pod("default", a_pod("c-dup", node_name="node01"))
    assert duplicate.value.status == 409


def test_the_client_lists_at_an_exact_resource_version_and_reads_410_once_compacted(
    v1: Any, server: Server
) -> None:
    v1.create_namespaced_pod("default", a_pod("c-exact-1", node_name="node01"))
    mark = v1.list_namespaced_pod("default", label_selector="app=client").metadata.resource_version
    v1.create_namespaced_pod("default", a_pod("c-exact-2", node_name="node01"))
    then = v1.list_namespaced_pod("default", resource_version=mark, resource_version_match="Exact")
    names = [p.metadata.name for p in then.items]
    assert then.metadata.resource_version == mark
    assert "c-exact-1" in names and "c-exact-2" not in names
    server.live.call(server.live.api.compact)
    with pytest.raises(client.ApiException) as gone:
        v1.list_namespaced_pod("default", resource_version=mark, resource_version_match="Exact")
    assert gone.value.status == 410
    body = gone.value.body
    text = body.decode() if isinstance(body, bytes) else str(body)
    assert '"message":"The resourceVersion for the provided list is too old."' in text
    with pytest.raises(client.ApiException) as invalid:
        v1.list_namespaced_pod("default", resource_version_match="Exact")
    assert invalid.value.status == 422


def test_the_client_reads_a_log_with_timestamps(v1: Any) -> None:
    v1.create_namespaced_pod("default", a_pod("c-stamped", node_name="node02"))

    def logged() -> bool:
        try:
            return "hi" in v1.read_namespaced_pod_log("c-stamped", "default")
        except client.ApiException:  # 400 until the container has started
            return False

    assert wait_until(logged, timeout=15)
    stamped = v1.read_namespaced_pod_log("c-stamped", "default", timestamps=True)
    stamp, _, text = stamped.partition(" ")
    assert (
        text == "hi\n"
        and stamp.endswith("Z")
        and len(stamp) == len("2026-01-01T00:00:00.000000000Z")
    )
