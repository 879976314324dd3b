"""Deletion on `listwatch serve` as the official client and the real kubectl (v1.32) see it:
propagation policies and the garbage collector, finalizers, namespaces being terminated, the
default ServiceAccount."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from listwatch.engine import Engine
from listwatch.server import Server
from tests.served import official_client, serving, wait_until

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"


@pytest.fixture(scope="module")
def server(engine: Engine) -> Iterator[Server]:
    with serving(engine) as served:
        yield served


@pytest.fixture(scope="module")
def api(server: Server) -> Iterator[Any]:
    with official_client(server) as api_client:
        yield api_client


def kubectl(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    if not os.access(KUBECTL, os.X_OK):
        pytest.skip("kubectl is not installed")
    return subprocess.run(
        [KUBECTL, *args],
        env={**os.environ, "KUBECONFIG": str(server.kubeconfig)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def rc(name: str, replicas: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"app": name},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "terminationGracePeriodSeconds": 1,
                    "containers": [{"name": "c", "image": "busybox", "command": ["sleep", "3600"]}],
                },
            },
        },
    }


def pods_of(v1: Any, app: str, namespace: str = "default") -> list[Any]:
    return list(v1.list_namespaced_pod(namespace, label_selector=f"app={app}").items)


def running(v1: Any, app: str, count: int) -> bool:
    pods = pods_of(v1, app)
    return len(pods) == count and all(p.status.phase == "Running" for p in pods)


def raw(response: Any) -> Any:
    return json.loads(response.data)


def test_foreground_deletion_keeps_the_owner_until_its_pods_are_gone(api: Any) -> None:
    v1 = client.CoreV1Api(api)
    v1.create_namespaced_replication_controller("default", rc("fg", 2))
    assert wait_until(lambda: running(v1, "fg", 2))
    answer = raw(
        v1.delete_namespaced_replication_controller(
            "fg", "default", propagation_policy="Foreground", _preload_content=False
        )
    )
    assert answer["kind"] == "ReplicationController"
    assert answer["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert answer["metadata"]["deletionGracePeriodSeconds"] == 0
    owner = v1.read_namespaced_replication_controller("fg", "default")
    assert owner.metadata.deletion_timestamp is not None
    assert wait_until(lambda: pods_of(v1, "fg") == [], timeout=20)
    assert wait_until(
        lambda: not _exists(lambda: v1.read_namespaced_replication_controller("fg", "default"))
    )


def test_orphan_deletion_leaves_the_pods_without_owner(api: Any) -> None:
    v1 = client.CoreV1Api(api)
    v1.create_namespaced_replication_controller("default", rc("orph", 2))
    assert wait_until(lambda: len(pods_of(v1, "orph")) == 2)
    v1.delete_namespaced_replication_controller("orph", "default", propagation_policy="Orphan")
    assert wait_until(
        lambda: all(not p.metadata.owner_references for p in pods_of(v1, "orph")), timeout=10
    )
    with pytest.raises(ApiException):
        v1.read_namespaced_replication_controller("orph", "default")
    assert len(pods_of(v1, "orph")) == 2
    v1.delete_collection_namespaced_pod(
        "default", label_selector="app=orph", grace_period_seconds=0
    )


def test_a_removed_replication_controller_is_answered_with_a_status(api: Any) -> None:
    v1 = client.CoreV1Api(api)
    created = v1.create_namespaced_replication_controller("default", rc("bg", 0))
    answer = raw(
        v1.delete_namespaced_replication_controller(
            "bg", "default", propagation_policy="Background", _preload_content=False
        )
    )
    assert answer == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": {"name": "bg", "kind": "replicationcontrollers", "uid": created.metadata.uid},
    }


def test_a_bad_propagation_policy_is_a_422_with_v1_32s_message(api: Any) -> None:
    v1 = client.CoreV1Api(api)
    with pytest.raises(ApiException) as caught:
        v1.delete_namespaced_pod("whatever", "default", propagation_policy="Sometimes")
    body = json.loads(caught.value.body)
    assert caught.value.status == 422 and body["reason"] == "Invalid"
    assert body["message"] == (
        'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: '
        '"Sometimes": supported values: "Foreground", "Background", "Orphan", "nil"'
    )


def test_a_finalizer_holds_a_deleted_pod_until_it_is_removed(api: Any) -> None:
    v1 = client.CoreV1Api(api)
    body = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "held", "finalizers": ["example.com/hold"]},
        "spec": {
            "containers": [{"name": "c", "image": "busybox", "command": ["sleep", "3600"]}],
            "terminationGracePeriodSeconds": 1,
        },
    }
    v1.create_namespaced_pod("default", body)
    v1.delete_namespaced_pod("held", "default")
    assert wait_until(
        lambda: (
            v1.read_namespaced_pod("held", "default").metadata.deletion_grace_period_seconds == 0
        ),
        timeout=10,
    )
    with pytest.raises(ApiException) as caught:
        v1.patch_namespaced_pod(
            "held",
            "default",
            {"metadata": {"finalizers": ["example.com/hold", "example.com/more"]}},
        )
    assert caught.value.status == 422
    assert json.loads(caught.value.body)["message"] == (
        'Pod "held" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if '
        'the object is being deleted, found new finalizers []string{"example.com/more"}'
    )
    v1.patch_namespaced_pod("held", "default", {"metadata": {"finalizers": None}})
    with pytest.raises(ApiException) as gone:
        v1.read_namespaced_pod("held", "default")
    assert gone.value.status == 404


def test_a_namespace_terminates_refuses_creates_and_goes_once_empty(api: Any) -> None:
    v1 = client.CoreV1Api(api)
    v1.create_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "doomed"}})
    assert wait_until(
        lambda: _exists(lambda: v1.read_namespaced_service_account("default", "doomed"))
    )
    v1.create_namespaced_pod(
        "doomed",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "inside"},
            "spec": {
                "nodeName": "node01",
                "terminationGracePeriodSeconds": 1,
                "containers": [{"name": "c", "image": "busybox", "command": ["sleep", "3600"]}],
            },
        },
    )
    assert wait_until(lambda: v1.read_namespaced_pod("inside", "doomed").status.phase == "Running")
    v1.delete_namespace("doomed")
    ns = v1.read_namespace("doomed")
    assert ns.status.phase == "Terminating" and ns.spec.finalizers == ["kubernetes"]
    with pytest.raises(ApiException) as caught:
        v1.create_namespaced_pod(
            "doomed",
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "late"},
                "spec": {"containers": [{"name": "c", "image": "busybox"}]},
            },
        )
    refused = json.loads(caught.value.body)
    assert caught.value.status == 403 and refused["reason"] == "Forbidden"
    assert refused["message"] == (
        'pods "late" is forbidden: unable to create new content in namespace doomed because it '
        "is being terminated"
    )
    assert refused["details"]["causes"] == [
        {
            "reason": "NamespaceTerminating",
            "message": "namespace doomed is being terminated",
            "field": "metadata.namespace",
        }
    ]
    assert wait_until(lambda: not _exists(lambda: v1.read_namespace("doomed")), timeout=30)


def test_the_default_namespace_may_not_be_deleted(api: Any) -> None:
    v1 = client.CoreV1Api(api)
    with pytest.raises(ApiException) as caught:
        v1.delete_namespace("default")
    assert caught.value.status == 403
    assert json.loads(caught.value.body)["message"] == (
        'namespaces "default" is forbidden: this namespace may not be deleted'
    )


def test_kubectl_deletes_a_namespace_and_waits_until_it_is_gone(server: Server, api: Any) -> None:
    # (the official client makes it; kubectl create namespace is covered in test_kubectl_protobuf)
    client.CoreV1Api(api).create_namespace(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kc-doomed"}}
    )
    assert wait_until(
        lambda: "default" in kubectl(server, "get", "sa", "-n", "kc-doomed", "-o", "name").stdout
    )
    done = kubectl(server, "delete", "namespace", "kc-doomed")
    assert done.returncode == 0 and done.stdout == 'namespace "kc-doomed" deleted\n', done
    gone = kubectl(server, "get", "namespace", "kc-doomed")
    assert gone.returncode == 1
    assert 'namespaces "kc-doomed" not found' in gone.stderr


def test_kubectl_delete_cascade_orphan_keeps_the_pods(server: Server, api: Any) -> None:
    v1 = client.CoreV1Api(api)
    v1.create_namespaced_replication_controller("default", rc("kc-orph", 1))
    assert wait_until(lambda: len(pods_of(v1, "kc-orph")) == 1)
    done = kubectl(server, "delete", "rc", "kc-orph", "--cascade=orphan")
    assert done.returncode == 0 and done.stdout == 'replicationcontroller "kc-orph" deleted\n'
    assert wait_until(lambda: not pods_of(v1, "kc-orph")[0].metadata.owner_references)
    v1.delete_collection_namespaced_pod(
        "default", label_selector="app=kc-orph", grace_period_seconds=0
    )


def _exists(read: Any) -> bool:
    try:
        read()
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise
    return True
